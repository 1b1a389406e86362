// Compiled code against the interpreter on short sequences where the JIT takes its own paths:
// a flag producer followed by an instruction that edits single flags (clc, stc, cmc, bt,
// rotates), which makes the JIT fold the lazy record inline, then pushfd to expose EFLAGS.
// The interpreter is checked against the real CPU by tests/isa.test.ts; here the JIT must agree
// with it on random operands.

import { describe, expect, it } from "vitest";
import { EIP, ESP, EAX, ECX, EDX, EBX, ESI } from "../../src/hw/state.js";
import { machine, CODE, DATA, type Machine } from "../helpers/machine.js";
import { compileRegion } from "../../src/jit/compile.js";

const PRODUCERS: Record<string, number[]> = {
  "add eax, ebx": [0x01, 0xd8], "sub eax, ebx": [0x29, 0xd8], "cmp eax, ebx": [0x39, 0xd8], "and eax, ebx": [0x21, 0xd8],
  "xor eax, ebx": [0x31, 0xd8], "or eax, ebx": [0x09, 0xd8], "add al, bl": [0x00, 0xd8], "sub ax, bx": [0x66, 0x29, 0xd8],
  "inc eax": [0x40], "neg eax": [0xf7, 0xd8],
};
const EDITORS: Record<string, number[]> = {
  clc: [0xf8], stc: [0xf9], cmc: [0xf5], "bt eax, 3": [0x0f, 0xba, 0xe0, 0x03], "rol eax, 1": [0xd1, 0xc0],
  "ror eax, 5": [0xc1, 0xc8, 0x05], "rol al, 3": [0xc0, 0xc0, 0x03], "ror ax, cl": [0x66, 0xd3, 0xc8],
};

/** One machine per engine, reused: each run rewrites the code page (dropping its translations). */
const machines = new Map<string, Machine>();

/** Runs `code` (then pushfd; pop edx; int 0x80) from the given registers; returns eax, ebx,
 *  ecx and the arithmetic flags. */
function run(engine: "interp" | "jit", code: number[], regs: number[]): number[] {
  let m = machines.get(engine);
  if (m === undefined) machines.set(engine, (m = machine([], { engine })));
  const { k, env, ppn } = m;
  k.frameReused(ppn);
  k.mem.u8.fill(0, ppn << 12, (ppn << 12) + 64);
  k.mem.u8.set([...code, 0x9c, 0x5a, 0xcd, 0x80], ppn << 12);
  const r = k.regs(env);
  r[EIP] = CODE;
  r[ESP] = DATA + 0x1000;
  [r[EAX], r[EBX], r[ECX]] = regs;
  k.run(env, 1000);
  // (a region that failed to compile would run in the interpreter and prove nothing)
  expect(k.engine.stats.jit.failures).toBe(0);
  const out = k.regs(env);
  return [out[EAX], out[EBX], out[ECX], out[EDX] & 0x8d5];
}

/** A reproducible stream of random int32s. */
function lcg(seed: number): () => number {
  let x = seed;
  return () => (x = (Math.imul(x, 1103515245) + 12345) | 0);
}

describe("compiled code agrees with the interpreter", () => {
  it("on flag edits after every kind of producer", () => {
    const rnd = lcg(7);
    const edge = [0, 1, -1, 0x7fffffff, 0x80000000 | 0, 0xff, 0x80, 0x7f, 0xffff, 0x8000, 0x10, 0x0f];
    for (const [pn, p] of Object.entries(PRODUCERS)) {
      for (const [en, e] of Object.entries(EDITORS)) {
        for (let k = 0; k < 24; k++) {
          const regs = [k < 12 ? edge[k] : rnd(), k < 12 ? edge[(k * 5) % 12] : rnd(), rnd() & 63];
          const code = [...p, ...e];
          expect(run("jit", code, regs), `${pn}; ${en} with ${regs.map((v) => (v >>> 0).toString(16))}`).toEqual(run("interp", code, regs));
        }
      }
    }
  });

  it("on carry conditions after adds, increments and shifts by constant counts", () => {
    // CF (and ZF) for jb/jae/jbe/ja and their setcc are computed inline from the record of a
    // known producer (emit.ts cf/cond); stc first, so increments keep a set carry
    const shifts: Record<string, number[]> = {
      "add eax, ebx": [0x01, 0xd8], "add al, bl": [0x00, 0xd8], "stc; adc eax, ebx": [0xf9, 0x11, 0xd8], "stc; sbb ax, bx": [0xf9, 0x66, 0x19, 0xd8],
      "stc; inc eax": [0xf9, 0x40], "clc; dec eax": [0xf8, 0x48], "stc; dec al": [0xf9, 0xfe, 0xc8], "neg eax": [0xf7, 0xd8],
      "shr eax, 1": [0xd1, 0xe8], "shr eax, 7": [0xc1, 0xe8, 0x07], "shr eax, 31": [0xc1, 0xe8, 0x1f],
      "shl eax, 1": [0xd1, 0xe0], "shl eax, 13": [0xc1, 0xe0, 0x0d], "sar eax, 1": [0xd1, 0xf8], "sar eax, 30": [0xc1, 0xf8, 0x1e],
      "shr al, 3": [0xc0, 0xe8, 0x03], "shl al, 8": [0xc0, 0xe0, 0x08], "shl al, 9": [0xc0, 0xe0, 0x09], "sar al, 5": [0xc0, 0xf8, 0x05],
      "shr ax, 15": [0x66, 0xc1, 0xe8, 0x0f], "shl ax, 16": [0x66, 0xc1, 0xe0, 0x10], "sar ax, 20": [0x66, 0xc1, 0xf8, 0x14],
    };
    const consumers: Record<string, number[]> = {
      "setb cl": [0x0f, 0x92, 0xc1], "setae cl": [0x0f, 0x93, 0xc1], "setbe cl": [0x0f, 0x96, 0xc1], "seta cl": [0x0f, 0x97, 0xc1],
      "adc ebx, 0": [0x83, 0xd3, 0x00], "jb +2; mov cl, 1": [0x72, 0x02, 0xb1, 0x01], "ja +2; mov cl, 2": [0x77, 0x02, 0xb1, 0x02],
    };
    const rnd = lcg(11);
    const edge = [0, 1, -1, 0x7fffffff, 0x80000000 | 0, 0xff, 0x80, 0x7f, 0xffff, 0x8000, 0x40000000, 0x100];
    for (const [sn, sh] of Object.entries(shifts)) {
      // (ebx random, and once equal to eax's complement plus one: a carry out to zero)
      for (const [cn, co] of Object.entries(consumers)) {
        for (let k = 0; k < 16; k++) {
          const a = k < 12 ? edge[k] : rnd();
          const regs = [a, k === 15 ? -a | 0 : rnd(), 0];
          const code = [...sh, ...co];
          expect(run("jit", code, regs), `${sn}; ${cn} with ${(regs[0] >>> 0).toString(16)}`).toEqual(run("interp", code, regs));
        }
      }
    }
  });

  it("on quadword moves into and out of register halves (movlpd, movhpd, movlps, movhps)", () => {
    // Inline in compiled code (simd.ts moveHalf): into a register held as int32 lanes (after
    // paddd) and one held as doubles (after addpd), at unaligned addresses, with signalling
    // NaN payloads among the data; both registers are then stored whole for comparison.
    const ops: Record<string, [number[], number[]]> = {
      movlpd: [[0x66, 0x0f, 0x12], [0x66, 0x0f, 0x13]], movhpd: [[0x66, 0x0f, 0x16], [0x66, 0x0f, 0x17]],
      movlps: [[0x0f, 0x12], [0x0f, 0x13]], movhps: [[0x0f, 0x16], [0x0f, 0x17]],
    };
    const rnd = lcg(5);
    const data = new Uint8Array(0x100);
    const dv = new DataView(data.buffer);
    for (let k = 0; k < 0x100; k += 4) dv.setInt32(k, rnd(), true);
    dv.setBigUint64(40, 0x7ff0000000000001n, true);
    dv.setBigUint64(48, 0xfff4000000000000n, true);
    dv.setBigUint64(57, 0x7ff8dead0000beefn, true);
    const results = new Map<string, Uint8Array>();
    for (const engine of ["interp", "jit"] as const) {
      const m = machine([], { engine });
      const { k, env, ppn } = m;
      const dataPpn = k.aspace(k.aspaceOf(env)).frame(DATA);
      for (const [name, [load, store]] of Object.entries(ops)) {
        for (const off of [0, 3, 8, 40, 48, 57, 61]) {
          const code = [
            0xf3, 0x0f, 0x6f, 0x0e, // movdqu xmm1, [esi]
            0xf3, 0x0f, 0x6f, 0x56, 0x10, // movdqu xmm2, [esi+16]
            0x66, 0x0f, 0xfe, 0xca, // paddd xmm1, xmm2
            0x66, 0x0f, 0x58, 0xd2, // addpd xmm2, xmm2
            ...load, 0x4e, off, // xmm1 half <- [esi+off]
            ...load, 0x56, off + 1, // xmm2 half <- [esi+off+1]
            ...store, 0x4e, 0x80 + off, // [esi+0x80+off] <- xmm1 half
            ...store, 0x56, 0xa0, // [esi-0x60] <- xmm2 half (below esi, same page)
            0xf3, 0x0f, 0x7f, 0x8e, 0x00, 0x01, 0x00, 0x00, // movdqu [esi+0x100], xmm1
            0xf3, 0x0f, 0x7f, 0x96, 0x10, 0x01, 0x00, 0x00, // movdqu [esi+0x110], xmm2
            0xcd, 0x80,
          ];
          k.frameReused(ppn);
          k.mem.u8.fill(0, ppn << 12, (ppn << 12) + 128);
          k.mem.u8.set(code, ppn << 12);
          k.mem.u8.fill(0, dataPpn << 12, (dataPpn << 12) + 0x300);
          k.mem.u8.set(data, (dataPpn << 12) + 0x100);
          const r = k.regs(env);
          r[EIP] = CODE;
          r[ESP] = DATA + 0x1000;
          r[ESI] = DATA + 0x100;
          k.run(env, 1000);
          expect(k.engine.stats.jit.failures).toBe(0);
          expect(k.regs(env)[EIP], `${name} +${off} (${engine}) ran to its end`).toBe(CODE + code.length);
          results.set(`${engine} ${name} ${off}`, k.mem.u8.slice(dataPpn << 12, (dataPpn << 12) + 0x300));
          // (inline: no call of the instruction's helper in the generated code)
          if (engine === "jit") expect(compileRegion([k.engine.lookup(CODE)], "halves").source).not.toMatch(/S_mov[lh]p/);
        }
      }
    }
    for (const [key, bytes] of results) {
      if (!key.startsWith("jit")) continue;
      expect([...bytes], key).toEqual([...(results.get(key.replace("jit", "interp")) as Uint8Array)]);
    }
  });
});
