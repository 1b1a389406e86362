// Which loops the wasm tier takes (src/jit/wasm/region.ts wasmBlocks): a loop of blocks it all
// translates, with packed integer SSE, or of integer code that jumps and calls only to static
// targets or through fixed memory slots, or calls the one target seen through a register (a direct
// loop), with 64 instructions or more of its own;
// not one that goes through code it does not translate, nor one that jumps through a register or
// a table; and for a small loop of integer code, the answer comes without looking beyond the code
// it translates.

import { describe, expect, it } from "vitest";
import { BlockDecoder, type Block } from "../../src/decoder/block.js";
import { wasmBlocks } from "../../src/jit/wasm/region.js";
import { cpu, CODE } from "./wasmfixture.js";

const HOT = 100;

/** A little-endian int32's bytes. */
const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

/** The blocks of `code` at CODE (each at one of `starts`, offsets), all run HOT times, and a
 *  blockAt that notes every address asked for (and in `decoded`, those asked for to be decoded
 *  if need be: the region's static successors). */
function graph(code: number[], starts: number[]) {
  const c = cpu(code);
  const dec = new BlockDecoder();
  const blocks = new Map<number, Block>();
  for (const s of starts) {
    const b = dec.decode(c, CODE + s, false);
    b.execs = HOT;
    blocks.set(CODE + s, b);
  }
  const asked = new Set<number>();
  const blockAt = (eip: number): Block | null => {
    asked.add(eip - CODE);
    return blocks.get(eip) ?? null;
  };
  const decoded = new Set<number>();
  const decodeAt = (eip: number): Block | null => {
    decoded.add(eip - CODE);
    return blockAt(eip);
  };
  const entry = blocks.get(CODE) as Block;
  const block = (offset: number) => blocks.get(CODE + offset) as Block;
  /** Records edges seen from the block at `from` to those at `to` (in an array of its own, as
   *  the engine gives a block: an unobserved block's is shared by all, Block's NO_SUCC). */
  const observe = (from: number, ...to: number[]): void => {
    block(from).succ = [...block(from).succ, ...to.map(block)];
  };
  return { entry, asked, decoded, block, observe, take: (cap?: number, from = entry) => wasmBlocks(from, blockAt, HOT, decodeAt, cap) };
}

// a: paddb xmm0, xmm1; dec ecx; jnz a (offset 7 next)
const SIMD_LOOP = [0x66, 0x0f, 0xfc, 0xc1, 0x49, 0x75, 0xf9];
// at 7: div ebx; jmp a
const DIV_BACK = [0xf7, 0xf3, 0xeb, 0xf5];

describe("the wasm tier's choice of loops", () => {
  it("takes a loop of packed integer SSE it translates", () => {
    const g = graph([...SIMD_LOOP, 0xf4], [0]);
    expect(g.take()?.map((b) => b.eip - CODE)).toEqual([0]);
  });

  it("leaves a loop that goes round through an instruction it does not translate (div)", () => {
    // the SSE block loops on itself and, through the div block, back to itself: every loop
    // through it is not all translated
    const g = graph([...SIMD_LOOP, ...DIV_BACK], [0, 7]);
    expect(g.take()).toBeNull();
    // (the div block was looked at, and past it; but nothing was decoded for a region: the loop
    // is looked for in all the hot code before the region's blocks are gathered)
    expect(g.asked.has(7)).toBe(true);
    expect(g.decoded.size).toBe(0);
  });

  it("takes an integer loop that calls and jumps to static targets or through a fixed memory slot, or calls one target seen through a register, of 64 instructions or more, and not one that jumps through a register or a table", () => {
    // a (0): 40 x add eax, 1; jmp b. b (122): 40 x add ebx, 1; jmp c. c (244): 30 x add esi, 1;
    // dec edx; jnz a (rel32)
    const adds = (modrm: number, n: number): number[] => Array.from({ length: n }, () => [0x83, modrm, 0x01]).flat();
    const loop = (bEnd: number[]): number[] => [...adds(0xc0, 40), 0xeb, 0x00, ...adds(0xc3, 40), ...bEnd, ...adds(0xc6, 30), 0x4a, 0x0f, 0x85, ...le32(-341)];
    const g = graph(loop([0xeb, 0x00]), [0, 122, 244]);
    expect(g.take()?.map((b) => b.eip - CODE)).toEqual([0, 122, 244]);
    // (looked for early, with a cap on the blocks walked: the same loop within it, none beyond)
    expect(g.take(3)?.map((b) => b.eip - CODE)).toEqual([0, 122, 244]);
    expect(g.take(2)).toBeNull();
    // b ending in a call to c instead (call rel32 to the next instruction, 3 bytes more, so c at
    // 247 and its jnz back 3 further)
    const called = [...adds(0xc0, 40), 0xeb, 0x00, ...adds(0xc3, 40), 0xe8, 0, 0, 0, 0, ...adds(0xc6, 30), 0x4a, 0x0f, 0x85, ...le32(-344)];
    expect(graph(called, [0, 122, 247]).take()?.map((b) => b.eip - CODE)).toEqual([0, 122, 247]);
    // b jumping to c through ebx (jmp ebx, 2 bytes, so c at 244 as before), the edge observed
    const indirect = [...adds(0xc0, 40), 0xeb, 0x00, ...adds(0xc3, 40), 0xff, 0xe3, ...adds(0xc6, 30), 0x4a, 0x0f, 0x85, ...le32(-341)];
    const g2 = graph(indirect, [0, 122, 244]);
    g2.observe(122, 244);
    expect(g2.take()).toBeNull();
    // b calling c through ebx instead (call ebx, 2 bytes: c at 244): taken while one target has
    // been seen (a function pointer's usual use: qsort's comparator), not once there are two
    const viaReg = [...adds(0xc0, 40), 0xeb, 0x00, ...adds(0xc3, 40), 0xff, 0xd3, ...adds(0xc6, 30), 0x4a, 0x0f, 0x85, ...le32(-341)];
    const g5 = graph(viaReg, [0, 122, 244]);
    expect(g5.take()).toBeNull();
    g5.observe(122, 244);
    expect(g5.take()?.map((b) => b.eip - CODE)).toEqual([0, 122, 244]);
    g5.observe(122, 0);
    expect(g5.take()).toBeNull();
    // through a memory slot at a fixed place, as a PLT entry jumps (jmp [ebx+0x48], 3 bytes: c
    // at 245): taken; through a table indexed by a register (jmp [eax*4+0x1000], 7 bytes: c at
    // 249): not
    const slot = [...adds(0xc0, 40), 0xeb, 0x00, ...adds(0xc3, 40), 0xff, 0x63, 0x48, ...adds(0xc6, 30), 0x4a, 0x0f, 0x85, ...le32(-342)];
    const g3 = graph(slot, [0, 122, 245]);
    g3.observe(122, 245);
    expect(g3.take()?.map((b) => b.eip - CODE)).toEqual([0, 122, 245]);
    const table = [...adds(0xc0, 40), 0xeb, 0x00, ...adds(0xc3, 40), 0xff, 0x24, 0x85, ...le32(0x1000), ...adds(0xc6, 30), 0x4a, 0x0f, 0x85, ...le32(-346)];
    const g4 = graph(table, [0, 122, 249]);
    g4.observe(122, 249);
    expect(g4.take()).toBeNull();
  });

  it("takes a loop of more than 4,000 instructions whole (unrolled rounds: Debian's sha512sum's is 12,000)", () => {
    // 40 blocks of 100 x inc eax; jmp next, then dec edx; jnz back to the first (rel32): 4,042
    // instructions in 4,087 bytes, the fixture's one page of code
    const seg = [...Array.from({ length: 100 }, () => 0x40), 0xeb, 0x00];
    const code = [...Array.from({ length: 40 }, () => seg).flat(), 0x4a, 0x0f, 0x85, ...le32(-(40 * seg.length + 7))];
    const starts = [...Array.from({ length: 40 }, (_, k) => k * seg.length), 40 * seg.length];
    const taken = graph(code, starts).take();
    expect(taken?.map((b) => b.eip - CODE)).toEqual(starts);
    expect(taken?.reduce((n, b) => n + b.insns.length, 0)).toBe(4042);
  });

  it("leaves a loop that does not fit in one region (more than 256 blocks)", () => {
    // 300 blocks of inc eax; jmp next (3 bytes each), then dec edx; jnz back to the first
    const code = [...Array.from({ length: 300 }, () => [0x40, 0xeb, 0x00]).flat(), 0x4a, 0x0f, 0x85, ...le32(-(300 * 3 + 7))];
    const starts = [...Array.from({ length: 300 }, (_, k) => 3 * k), 900];
    expect(graph(code, starts).take()).toBeNull();
    // (200 of them fit)
    const fits = [...Array.from({ length: 200 }, () => [0x40, 0xeb, 0x00]).flat(), 0x4a, 0x0f, 0x85, ...le32(-(200 * 3 + 7))];
    expect(graph(fits, [...Array.from({ length: 200 }, (_, k) => 3 * k), 600]).take()?.length).toBe(201);
  });

  it("starts no region at a function that returns to more than one place of the hot code (a PIC thunk), but takes the loop that calls it", () => {
    // F (0): mov eax, ecx; ret. A (3): 40 x add ebx, 1; call F. B (128): 40 x add esi, 1; call F.
    // C (253): 30 x add edi, 1; dec edx; jnz A (rel32). F returns to B and to C.
    const adds = (modrm: number, n: number): number[] => Array.from({ length: n }, () => [0x83, modrm, 0x01]).flat();
    const code = [0x89, 0xc8, 0xc3, ...adds(0xc3, 40), 0xe8, ...le32(-128), ...adds(0xc6, 40), 0xe8, ...le32(-253), ...adds(0xc7, 30), 0x4a, 0x0f, 0x85, ...le32(-347)];
    const g = graph(code, [0, 3, 128, 253]);
    g.observe(0, 128, 253);
    expect(g.take()).toBeNull();
    expect(g.take(undefined, g.block(3))?.map((b) => b.eip - CODE).sort((x, y) => x - y)).toEqual([0, 3, 128, 253]);
  });

  it("follows a return only to the return site of a call it has taken: a loop inside a function does not grow into its caller", () => {
    // F (0): L: 70 x add eax, 1; dec ecx; jnz L (rel32). R (217): ret. P (218): call F.
    // Q (223): add ebx, 1; ret. F returns to Q (P's return site), observed.
    const adds = Array.from({ length: 70 }, () => [0x83, 0xc0, 0x01]).flat();
    const code = [...adds, 0x49, 0x0f, 0x85, ...le32(-217), 0xc3, 0xe8, ...le32(-223), 0x83, 0xc3, 0x01, 0xc3];
    const g = graph(code, [0, 217, 218, 223]);
    g.observe(217, 223);
    expect(g.take()?.map((b) => b.eip - CODE)).toEqual([0, 217]);
  });

  it("follows a return to a block of the loop whatever the call: a loop entered in the function it calls", () => {
    // F (0): add eax, 1; ret. P (4): 70 x add ebx, 1; call F. Q (219): dec ecx; jnz P (rel32).
    // The region is asked for at F, which returns to Q: Q and P are taken through the return.
    const adds = Array.from({ length: 70 }, () => [0x83, 0xc3, 0x01]).flat();
    const code = [0x83, 0xc0, 0x01, 0xc3, ...adds, 0xe8, ...le32(-219), 0x49, 0x0f, 0x85, ...le32(-222), 0xf4];
    const g = graph(code, [0, 4, 219]);
    g.observe(0, 219);
    expect(g.take()?.map((b) => b.eip - CODE)).toEqual([0, 219, 4]);
  });

  it("follows a return met before the call it returns to once that call is taken", () => {
    // L (0): 70 x add eax, 1; call F. R1 (215): dec ecx; jnz L (rel32). C2 (222): add ebx, 1;
    // call F. R2 (230): add esi, 1; ret. F (234): add edx, 1; ret, to R1 and R2. The walk meets
    // F's return (to R2, out of the loop) before C2's call.
    const adds = Array.from({ length: 70 }, () => [0x83, 0xc0, 0x01]).flat();
    const code = [...adds, 0xe8, ...le32(19), 0x49, 0x0f, 0x85, ...le32(-222), 0x83, 0xc3, 0x01, 0xe8, ...le32(4), 0x83, 0xc6, 0x01, 0xc3, 0x83, 0xc2, 0x01, 0xc3];
    const g = graph(code, [0, 215, 222, 230, 234]);
    g.observe(234, 215, 230);
    expect(g.take()?.map((b) => b.eip - CODE)).toEqual([0, 234, 215, 222, 230]);
  });

  it("leaves a small loop of integer code without looking past the code it translates", () => {
    // a: add eax, 1; dec ecx; jnz a; b (6): div ebx; jmp c; c (10): jmp a. Before, every hot
    // block the entry reached was searched (c too) for each block that came due.
    const code = [0x83, 0xc0, 0x01, 0x49, 0x75, 0xfa, 0xf7, 0xf3, 0xeb, 0x00, 0xeb, 0xf4];
    const g = graph(code, [0, 6, 10]);
    expect(g.take()).toBeNull();
    expect(g.asked.has(6)).toBe(true);
    expect(g.asked.has(10)).toBe(false);
  });
});
