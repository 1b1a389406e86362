// Memory accesses compiled code cannot make inline (jit/emit.ts Emitter.sideExit) as V8 sees
// them: a page the TLB has no entry for yet (a new heap page, any page after a flush at a
// process switch) is met long after V8 optimised the region, and whatever runs on that path
// then runs for the first time. A call or arithmetic there deoptimised the whole region; the
// region now leaves at the instruction through its ordinary exit (constants and a jump), and
// the engine runs the instruction. Its own file: V8 flags and feedback are per process.

import { setFlagsFromString } from "node:v8";
import { describe, expect, it } from "vitest";
import { EAX, ECX, EDX, ESI, EDI, ESP, EIP } from "../../src/hw/state.js";
import { machine, CODE, DATA } from "../helpers/machine.js";
import { X_INT } from "../../src/exokernel/env.js";
import type { Region } from "../../src/jit/region.js";

/** %GetOptimizationStatus's bit for code V8's optimising compiler made. */
const OPTIMIZED = 16;

// l: mov eax, [esi]; add edx, eax; lea edi, [esi+4]; mov [edi], edx; add esi, 8; dec ecx; jnz l;
// int 0x80 (one access from each base register: no window, jit/stackwin.ts, covers them)
const LOOP = [0x8b, 0x06, 0x01, 0xc2, 0x8d, 0x7e, 0x04, 0x89, 0x17, 0x83, 0xc6, 0x08, 0x49, 0x75, 0xf1, 0xcd, 0x80];
/** Two pages mapped but never touched before the last runs: the TLB has no entry for them. */
const FRESH = DATA + 0x10000;

setFlagsFromString("--allow-natives-syntax");
/** Optimises `f` (V8's natives syntax) on calls of `call`, which calls it. */
const optimize = new Function("f", "call", "%PrepareFunctionForOptimization(f); call(); call(); %OptimizeFunctionOnNextCall(f); call(); %FinalizeOptimization();") as (f: unknown, call: () => void) => void;
const optimized = new Function("f", "return (%GetOptimizationStatus(f) & " + OPTIMIZED + ") !== 0") as (f: unknown) => boolean;

interface Outcome { out: number[][]; count: number; mem: unknown; fn: unknown; m: ReturnType<typeof machine> }

/** Runs `pass` 40 times; then, under the JIT, has V8 optimise the region at CODE over three more
 *  (optimize), where the interpreter makes as many: that region's function, or null. */
function warmAndOptimise(m: ReturnType<typeof machine>, engine: "interp" | "auto", pass: () => void): unknown {
  for (let k = 0; k < 40; k++) pass();
  if (engine !== "auto") {
    for (let k = 0; k < 3; k++) pass();
    return null;
  }
  const fn = (m.k.engine.lookup(CODE).compiled as Region).fn;
  optimize(fn, pass);
  expect(optimized(fn)).toBe(true);
  return fn;
}

/** The same results, count and memory under the JIT as under the interpreter, and the region
 *  at CODE still the function optimised before the last passes, still optimised. */
function keptOptimised(ref: Outcome, jit: Outcome): void {
  expect(jit.out).toEqual(ref.out);
  expect(jit.count).toBe(ref.count);
  expect(jit.mem).toEqual(ref.mem);
  expect((jit.m.k.engine.lookup(CODE).compiled as Region).fn).toBe(jit.fn);
  expect(optimized(jit.fn)).toBe(true);
}

describe("memory accesses that miss the TLB in optimised code", () => {
  it("leave the region at the instruction, which keeps its optimised code, with results and count as the interpreter's", () => {
    const run = (engine: "interp" | "auto") => {
      const m = machine(LOOP, { engine, threshold: 2 });
      const as = m.k.aspaceOf(m.env);
      const fresh = [m.k.mapNew(as, FRESH, 7), m.k.mapNew(as, FRESH + 0x1000, 7)];
      for (const [p, f] of fresh.entries()) for (let k = 0; k < 1024; k++) m.k.mem.i32[(f << 10) + k] = Math.imul(p * 1024 + k + 1, 0x9e3779b1);
      const pass = (esi: number, n: number) => {
        const r = m.k.regs(m.env);
        r[EIP] = CODE;
        r[ESI] = esi;
        r[ECX] = n;
        expect(m.k.run(m.env, 1_000_000).kind).toBe(X_INT);
        return [r[EAX], r[EDX], r[ESI]];
      };
      const out: number[][] = [];
      // warm: compiled, then past promotion to the tier V8 optimises, all in DATA's page
      const fn = warmAndOptimise(m, engine, () => void out.push(pass(DATA + 0x100, 60)));
      // the fresh pages: the first, then from its end into the second
      out.push(pass(FRESH + 0x100, 60), pass(FRESH + 0xf00, 40));
      return { out, count: m.k.cpu.icount, mem: fresh.map((f) => Array.from(m.k.mem.i32.subarray(f << 10, (f + 1) << 10))), fn, m };
    };
    const ref = run("interp"), jit = run("auto");
    keptOptimised(ref, jit);
    expect(jit.m.k.engine.stats.jitInsns).toBeGreaterThan(jit.count / 2);
  });

  it("take misaligned accesses inline where the interpreter met them, or in the version after an instruction kept leaving for them", () => {
    /** `aligned` passes of 30 from DATA + 0x100, then `odd` from DATA + 0x101 (every access
     *  misaligned). */
    const run = (engine: "interp" | "auto", aligned: number, odd: number, threshold = 2) => {
      const m = machine(LOOP, { engine, threshold });
      const out: number[][] = [];
      const interpreted: number[] = [];
      for (let k = 0; k < aligned + odd; k++) {
        const r = m.k.regs(m.env);
        r[EIP] = CODE;
        r[ESI] = DATA + (k < aligned ? 0x100 : 0x101);
        r[ECX] = 30;
        expect(m.k.run(m.env, 1_000_000).kind).toBe(X_INT);
        out.push([r[EAX], r[EDX], r[ESI]]);
        interpreted.push(m.k.engine.stats.interpInsns);
      }
      return { out, count: m.k.cpu.icount, interpreted, m };
    };
    const regionAt = (m: ReturnType<typeof run>["m"]) => m.k.engine.lookup(CODE).compiled as Region;
    // Misaligned from the start: the interpreter's runs before the block came due (the first
    // finds that some instruction met misaligned data, the next ones which) noted its two
    // accesses (Block.misalignedAt: `mov eax, [esi]` at CODE and `mov [edi], edx` at
    // CODE + 7, and none of the five instructions without one), and its first version makes
    // them inline.
    const ref0 = run("interp", 0, 30), jit0 = run("auto", 0, 30, 4);
    expect(jit0.out).toEqual(ref0.out);
    expect(jit0.count).toBe(ref0.count);
    expect([...jit0.m.k.engine.lookup(CODE).misalignedAt].sort()).toEqual([CODE, CODE + 7]);
    expect(regionAt(jit0.m).generation).toBe(0);
    expect(jit0.interpreted[29] - jit0.interpreted[9]).toBeLessThan(20 * 10);
    // Misaligned only once compiled: at first the load leaves at every turn (the 7
    // instructions of each of the 30 turns of a pass are then interpreted), LEFT_AT times;
    // once the region has been compiled again, the passes (210 instructions each) run compiled.
    const ref = run("interp", 20, 60), jit = run("auto", 20, 60);
    expect(jit.out).toEqual(ref.out);
    expect(jit.count).toBe(ref.count);
    expect(jit.interpreted[21] - jit.interpreted[19]).toBeGreaterThanOrEqual(2 * 7 * 30);
    expect(jit.interpreted[79] - jit.interpreted[59]).toBeLessThan(20 * 10);
    const regions = [CODE, CODE + 7].map((a) => jit.m.k.engine.lookup(a).compiled as Region | null);
    expect(regions.some((r) => r !== null && r.generation > 0 && r.anyAlignAt.size > 0)).toBe(true);
  });

  it("and a SIMD load from such a page, with XMM lanes not yet written back, keeps it too (jit/simdmem.ts, warmCatch)", () => {
    // l: movdqu xmm0, [esi]; paddd xmm1, xmm0; movdqu xmm2, [edi]; paddd xmm1, xmm2; add edi,
    // 16; dec ecx; jnz l; movd eax, xmm1; int 0x80: the second load's page is one the TLB has
    // no entry for in the last pass, where xmm1's lanes are still in locals
    const code = [0xf3, 0x0f, 0x6f, 0x06, 0x66, 0x0f, 0xfe, 0xc8, 0xf3, 0x0f, 0x6f, 0x17, 0x66, 0x0f, 0xfe, 0xca, 0x83, 0xc7, 0x10, 0x49, 0x75, 0xea, 0x66, 0x0f, 0x7e, 0xc8, 0xcd, 0x80];
    const run = (engine: "interp" | "auto") => {
      // (without the wasm tier, which takes loops of packed integer SSE)
      const m = machine(code, { engine, threshold: 2, wasm: false });
      const fresh = m.k.mapNew(m.k.aspaceOf(m.env), FRESH, 7);
      for (let k = 0; k < 1024; k++) m.k.mem.i32[(fresh << 10) + k] = Math.imul(k + 3, 0x61c88647);
      const pass = (edi: number) => {
        const r = m.k.regs(m.env);
        r[EIP] = CODE;
        r[ESI] = DATA + 0x100;
        r[EDI] = edi;
        r[ECX] = 50;
        expect(m.k.run(m.env, 1_000_000).kind).toBe(X_INT);
        return [r[EAX], m.k.engine.stats.memStops];
      };
      const out: number[][] = [];
      const fn = warmAndOptimise(m, engine, () => void out.push(pass(DATA + 0x200)));
      out.push(pass(FRESH));
      const stops = out.map(([, n]) => n);
      return { out: out.map(([eax]) => [eax]), count: m.k.cpu.icount, mem: Array.from(m.k.mem.i32.subarray(fresh << 10, (fresh + 1) << 10)), fn, m, stops };
    };
    const ref = run("interp"), jit = run("auto");
    keptOptimised(ref, jit);
    // (one stop, in the last pass: the interpreter filled the TLB, and the region went on)
    expect(jit.stops[jit.stops.length - 1] - jit.stops[jit.stops.length - 2]).toBe(1);
  });

  it("and a stack window's failed check, which goes through the region's fault handler, keep its optimised code too (compile.ts warmCatch)", () => {
    // l: mov eax, [esp+4]; add edx, eax; mov [esp+8], edx; dec ecx; jnz l; int 0x80: one window
    // on ESP covers both accesses (jit/stackwin.ts)
    const code = [0x8b, 0x44, 0x24, 0x04, 0x01, 0xc2, 0x89, 0x54, 0x24, 0x08, 0x49, 0x75, 0xf3, 0xcd, 0x80];
    const run = (engine: "interp" | "auto") => {
      const m = machine(code, { engine, threshold: 2 });
      const fresh = m.k.mapNew(m.k.aspaceOf(m.env), FRESH, 7);
      for (let k = 0; k < 1024; k++) m.k.mem.i32[(fresh << 10) + k] = Math.imul(k + 7, 0x2545f491);
      const pass = (esp: number) => {
        const r = m.k.regs(m.env);
        r[EIP] = CODE;
        r[ESP] = esp;
        r[ECX] = 50;
        expect(m.k.run(m.env, 1_000_000).kind).toBe(X_INT);
        return [r[EAX], r[EDX]];
      };
      const out: number[][] = [];
      const fn = warmAndOptimise(m, engine, () => void out.push(pass(DATA + 0x800)));
      // a stack on the fresh page: the window's page is not in the TLB, its check fails
      out.push(pass(FRESH + 0x800));
      return { out, count: m.k.cpu.icount, mem: Array.from(m.k.mem.i32.subarray(fresh << 10, (fresh + 1) << 10)), fn, m };
    };
    const ref = run("interp"), jit = run("auto");
    keptOptimised(ref, jit);
  });
});
