// SIMD memory operands compiled code cannot reach inline (jit/simdmem.ts): bytes in a page the
// TLB has no entry for, or across a page's end, stop the region before the instruction (a
// throw, which needs no type feedback in code V8 optimised before the path was first taken), and
// the interpreter runs it; an instruction that keeps stopping is compiled again calling the slow
// path there. Results and instruction counts are the interpreter's either way.

import { describe, expect, it } from "vitest";
import { EAX } from "../../src/hw/state.js";
import { X_INT } from "../../src/exokernel/env.js";
import { LEFT_AT, STOP_AT } from "../../src/jit/region.js";
import { machine } from "../helpers/machine.js";

/** Eight pages of data the tests read, filled with a pattern. */
const PAGES = 0x08200000, NPAGES = 8;

function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

/** `mov esi, addr; mov ecx, n; pxor xmm1, xmm1; l: movdqu xmm0, [esi]; paddd xmm1, xmm0; add
 *  esi, stride; dec ecx; jnz l; movd eax, xmm1; int 0x80`: the dword sums of n 16-byte loads. */
function sumLoop(addr: number, n: number, stride: number): number[] {
  const body = [0xf3, 0x0f, 0x6f, 0x06, 0x66, 0x0f, 0xfe, 0xc8, 0x81, 0xc6, ...le32(stride), 0x49];
  return [0xbe, ...le32(addr), 0xb9, ...le32(n), 0x66, 0x0f, 0xef, 0xc9, ...body, 0x75, -(body.length + 2) & 0xff, 0x66, 0x0f, 0x7e, 0xc8, 0xcd, 0x80];
}

function run(code: number[], engine: "interp" | "auto") {
  // (without the wasm tier, which takes loops of packed integer SSE: this is the JavaScript tier's)
  const { k, env } = machine(code, { engine, threshold: 40, wasm: false });
  const as = k.aspaceOf(env);
  const frames: number[] = [];
  for (let p = 0; p < NPAGES; p++) {
    const ppn = k.mapNew(as, PAGES + p * 0x1000, 7);
    frames.push(ppn);
    for (let b = 0; b < 0x1000; b++) k.mem.u8[(ppn << 12) + b] = (b * 7 + p * 13 + (b >> 5)) & 0xff;
  }
  expect(k.run(env, 100_000_000).kind).toBe(X_INT);
  // (FNV-1a over the pages, as the program left them)
  let mem = 0x811c9dc5;
  for (const ppn of frames) for (let b = 0; b < 0x1000; b++) mem = Math.imul(mem ^ k.mem.u8[(ppn << 12) + b], 0x01000193);
  return { eax: k.regs(env)[EAX], count: k.cpu.icount, mem, s: k.engine.stats };
}

describe("SIMD memory operands compiled code cannot reach inline", () => {
  it("stop the region at each page the TLB has no entry for yet, and the interpreter runs the instruction", () => {
    // 16-byte loads 16 bytes apart through eight pages: the loop is compiled within the first,
    // which the interpreter has touched, and meets the other seven first in compiled code.
    const code = sumLoop(PAGES, NPAGES * 256, 16);
    const ref = run(code, "interp");
    const jit = run(code, "auto");
    expect({ eax: jit.eax, count: jit.count }).toEqual({ eax: ref.eax, count: ref.count });
    expect(jit.s.jitInsns).toBeGreaterThan(jit.s.interpInsns);
    expect(jit.s.memStops).toBe(NPAGES - 1);
    expect(jit.s.jit.recompiles).toBe(0);
  });

  it("stop it for misaligned data only at a page's end, which a load of any alignment meets, and one the interpreter saw misaligned too", () => {
    // The same loop from 2 bytes past a page's start: every load is misaligned, which movdqu's
    // inline path takes within a page, and one in 256 crosses a page, which it cannot make.
    const n = (NPAGES - 1) * 256;
    const unaligned = sumLoop(PAGES + 2, n, 16);
    const ref = run(unaligned, "interp");
    const jit = run(unaligned, "auto");
    expect({ eax: jit.eax, count: jit.count }).toEqual({ eax: ref.eax, count: ref.count });
    expect(jit.s.memStops).toBeGreaterThan(0);
    expect(jit.s.memStops).toBeLessThanOrEqual(2 * (NPAGES - 1));
    // movq's inline path takes 4-byte-aligned data, and any where the interpreter saw the
    // instruction's data misaligned (else every pass would stop)
    const movq = unaligned.map((v, k) => (k >= 14 && k < 18 ? [0xf3, 0x0f, 0x7e, 0x06][k - 14] : v));
    const ref8 = run(movq, "interp");
    const jit8 = run(movq, "auto");
    expect({ eax: jit8.eax, count: jit8.count }).toEqual({ eax: ref8.eax, count: ref8.count });
    expect(jit8.s.jitInsns).toBeGreaterThan(jit8.s.interpInsns);
    expect(jit8.s.memStops).toBeGreaterThan(0);
    expect(jit8.s.memStops).toBeLessThanOrEqual(2 * (NPAGES - 1));
  });

  it("stop it for data misaligned only once compiled LEFT_AT times, then take it through the DataView there", () => {
    // mov esi, PAGES; mov ecx, 500; call L; mov esi, PAGES + 0x1002; mov ecx, 500; call L; movd
    // eax, xmm1; int 0x80; L: add eax, 1; movq xmm0, [esi]; paddd xmm1, xmm0; add esi, 8; dec
    // ecx; jnz L; ret: the loop is compiled in the first call, where its data is aligned, and
    // the second meets it misaligned (and a page first touched in compiled code); the load is
    // inside its block, so the blocks the interpreter runs from there are not the region's
    const code = [
      0xbe, ...le32(PAGES), 0xb9, ...le32(500), 0xe8, ...le32(21), 0xbe, ...le32(PAGES + 0x1002), 0xb9, ...le32(500), 0xe8, ...le32(6),
      0x66, 0x0f, 0x7e, 0xc8, 0xcd, 0x80,
      0x83, 0xc0, 0x01, 0xf3, 0x0f, 0x7e, 0x06, 0x66, 0x0f, 0xfe, 0xc8, 0x83, 0xc6, 0x08, 0x49, 0x75, 0xef, 0xc3,
    ];
    const ref = run(code, "interp");
    const jit = run(code, "auto");
    expect({ eax: jit.eax, count: jit.count }).toEqual({ eax: ref.eax, count: ref.count });
    expect(jit.s.memStops).toBe(1 + LEFT_AT);
    expect(jit.s.jit.recompiles).toBe(1);
  });

  it("load and store doubles at any alignment inline where the interpreter saw them misaligned", () => {
    // mov esi, PAGES + 3; mov edi, PAGES + 0x4005; mov ecx, n; l: movsd xmm0, [esi]; addsd
    // xmm1, xmm0; movsd [edi], xmm1; add esi, 8; add edi, 8; dec ecx; jnz l; int 0x80
    const n = 3 * 512;
    const code = [
      0xbe, ...le32(PAGES + 3), 0xbf, ...le32(PAGES + 0x4005), 0xb9, ...le32(n),
      0xf2, 0x0f, 0x10, 0x06, 0xf2, 0x0f, 0x58, 0xc8, 0xf2, 0x0f, 0x11, 0x0f, 0x83, 0xc6, 0x08, 0x83, 0xc7, 0x08, 0x49, 0x75, 0xeb, 0xcd, 0x80,
    ];
    const ref = run(code, "interp");
    const jit = run(code, "auto");
    expect({ mem: jit.mem, count: jit.count }).toEqual({ mem: ref.mem, count: ref.count });
    expect(jit.s.jitInsns).toBeGreaterThan(jit.s.interpInsns);
    // (stops where the loads and the stores meet a page's end or a page not in the TLB)
    expect(jit.s.memStops).toBeGreaterThan(0);
    expect(jit.s.memStops).toBeLessThanOrEqual(12);
  });

  it("leave the XMM registers as they were when a region's fault handler is warmed with every lane (compile.ts warmCatch)", () => {
    // mov esi, 0x01020304; movd xmm2, esi; pshufd xmm2, xmm2, 0; pxor xmm1, xmm1; mov ecx, n;
    // l: paddd xmm1, xmm2; jmp m; m: add eax, 1; add edx, 3; add ebx, 5; add ebp, 7; add edi,
    // 9; add esi, 11; dec ecx; jnz l; movd eax, xmm1; int 0x80: a loop whose SIMD block holds
    // too few of its instructions for its registers to be pinned, so that its lane locals start
    // as zeros (what the warmed handler writes back over xmm1 and xmm2, before they are put
    // back); run long enough for its region to be promoted to the tier V8 optimises (warmed)
    const n = 200_000;
    const code = [
      0xbe, ...le32(0x01020304), 0x66, 0x0f, 0x6e, 0xd6, 0x66, 0x0f, 0x70, 0xd2, 0x00, 0x66, 0x0f, 0xef, 0xc9, 0xb9, ...le32(n),
      0x66, 0x0f, 0xfe, 0xca, 0xeb, 0x00, 0x83, 0xc0, 0x01, 0x83, 0xc2, 0x03, 0x83, 0xc3, 0x05, 0x83, 0xc5, 0x07, 0x83, 0xc7, 0x09, 0x83, 0xc6, 0x0b, 0x49, 0x75, 0xe5,
      0x66, 0x0f, 0x7e, 0xc8, 0xcd, 0x80,
    ];
    const ref = run(code, "interp");
    const jit = run(code, "auto");
    expect(ref.eax).toBe(Math.imul(0x01020304, n));
    expect(jit.s.jit.promoted).toBeGreaterThan(0);
    expect({ eax: jit.eax, count: jit.count }).toEqual({ eax: ref.eax, count: ref.count });
  });

  it("stop it where the bytes cross a page's end, until the instruction has stopped STOP_AT times, then call the slow path there", () => {
    // The same 16 bytes across the end of the first page on every pass.
    const n = 3 * STOP_AT;
    const code = sumLoop(PAGES + 0x1000 - 8, n, 0);
    const ref = run(code, "interp");
    const jit = run(code, "auto");
    expect({ eax: jit.eax, count: jit.count }).toEqual({ eax: ref.eax, count: ref.count });
    expect(jit.s.memStops).toBe(STOP_AT);
    expect(jit.s.jit.recompiles).toBe(1);
    // (the version after that ran the rest of the passes)
    expect(jit.s.jitInsns).toBeGreaterThan(5 * (n - STOP_AT - 100));
  });
});
