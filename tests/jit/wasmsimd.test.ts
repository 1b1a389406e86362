// SSE instructions translated to WebAssembly SIMD (src/jit/wasm/simd.ts) against the
// interpreter's helpers: each form in a block of its own, from the same random and edge XMM
// values, registers and memory, with memory operands aligned, misaligned (movdqa's #GP comes
// from the interpreter after the block stopped before it) and across a page boundary.

import { describe, expect, it } from "vitest";
import { EBX, ECX, EIP, MXCSR, FLAGS, ARITH_FLAGS } from "../../src/hw/state.js";
import { CR4_OSFXSR, CR4_OSXMMEXCPT } from "../../src/hw/state.js";
import { BlockDecoder } from "../../src/decoder/block.js";
import { compileBlock } from "../../src/jit/wasm/block.js";
import { simdName } from "../../src/jit/wasm/simd.js";
import type { Cpu } from "../../src/hw/cpu.js";
import { cpu, fill, interpret, CODE, DATA, F_DATA, state } from "./wasmfixture.js";
import { rng } from "../helpers/random.js";

const reg = (d: number, s: number): number => 0xc0 | (d << 3) | s;
const mem = (d: number): number => (d << 3) | 3; // [ebx]
/** Two-operand forms: name, opcode bytes before the ModRM byte. */
const BINARY: [string, number[]][] = [
  ...Object.entries({
    punpcklbw: 0x60, punpcklwd: 0x61, punpckldq: 0x62, packsswb: 0x63, pcmpgtb: 0x64, pcmpgtw: 0x65, pcmpgtd: 0x66,
    packuswb: 0x67, punpckhbw: 0x68, punpckhwd: 0x69, punpckhdq: 0x6a, packssdw: 0x6b, punpcklqdq: 0x6c, punpckhqdq: 0x6d,
    pcmpeqb: 0x74, pcmpeqw: 0x75, pcmpeqd: 0x76, paddq: 0xd4, pmullw: 0xd5, psubusb: 0xd8, psubusw: 0xd9, pminub: 0xda,
    pand: 0xdb, paddusb: 0xdc, paddusw: 0xdd, pmaxub: 0xde, pandn: 0xdf, pavgb: 0xe0, pavgw: 0xe3, pmulhuw: 0xe4,
    pmulhw: 0xe5, psubsb: 0xe8, psubsw: 0xe9, pminsw: 0xea, por: 0xeb, paddsb: 0xec, paddsw: 0xed, pmaxsw: 0xee,
    pxor: 0xef, pmaddwd: 0xf5, psadbw: 0xf6, psubb: 0xf8, psubw: 0xf9, psubd: 0xfa, psubq: 0xfb, paddb: 0xfc, paddw: 0xfd, paddd: 0xfe,
    unpcklpd: 0x14, unpckhpd: 0x15, movdqa: 0x6f,
  }).map(([n, op]): [string, number[]] => [n, [0x66, 0x0f, op]]),
  ...Object.entries({ pminsb: 0x38, pminsd: 0x39, pminuw: 0x3a, pminud: 0x3b, pmaxsb: 0x3c, pmaxsd: 0x3d, pmaxuw: 0x3e, pmaxud: 0x3f, pmulld: 0x40, pcmpeqq: 0x29, packusdw: 0x2b, pcmpgtq: 0x37 })
    .map(([n, op]): [string, number[]] => [n, [0x66, 0x0f, 0x38, op]]),
  ...Object.entries({ unpcklps: 0x14, unpckhps: 0x15, andps: 0x54, andnps: 0x55, orps: 0x56, xorps: 0x57, movaps: 0x28, movups: 0x10 })
    .map(([n, op]): [string, number[]] => [n, [0x0f, op]]),
  ["movdqu", [0xf3, 0x0f, 0x6f]],
  ["movq", [0xf3, 0x0f, 0x7e]],
];
/** Forms with an immediate: [name, bytes (ModRM from `modrm`), immediates tried]. */
const SHIFT_IMMS = [0, 1, 3, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 200];
const SHIFTS: [string, number, number][] = [
  ["psrlw", 0x71, 2], ["psraw", 0x71, 4], ["psllw", 0x71, 6], ["psrld", 0x72, 2], ["psrad", 0x72, 4], ["pslld", 0x72, 6],
  ["psrlq", 0x73, 2], ["psrldq", 0x73, 3], ["psllq", 0x73, 6], ["pslldq", 0x73, 7],
];
const SHUFFLE_IMMS = [0x00, 0x1b, 0xe4, 0x4e, 0x93, 0xff, 0x39];

/** Double-precision forms: [name, prefix, opcode, scalar]. */
const DOUBLES: [string, number, number][] = [
  ["addsd", 0xf2, 0x58], ["subsd", 0xf2, 0x5c], ["mulsd", 0xf2, 0x59], ["divsd", 0xf2, 0x5e], ["sqrtsd", 0xf2, 0x51],
  ["addpd", 0x66, 0x58], ["subpd", 0x66, 0x5c], ["mulpd", 0x66, 0x59], ["divpd", 0x66, 0x5e], ["sqrtpd", 0x66, 0x51],
];

/** [label, the instruction's bytes] for every case. */
const CASES: [string, number[]][] = [
  ...BINARY.flatMap(([n, ops]): [string, number[]][] => [[`${n} xmm2, xmm5`, [...ops, reg(2, 5)]], [`${n} xmm3, xmm3`, [...ops, reg(3, 3)]], [`${n} xmm6, [ebx]`, [...ops, mem(6)]]]),
  ...SHIFTS.flatMap(([n, op, ext]) => SHIFT_IMMS.map((i): [string, number[]] => [`${n} xmm1, ${i}`, [0x66, 0x0f, op, reg(ext, 1), i]])),
  ...[["pshufd", 0x66], ["pshuflw", 0xf2], ["pshufhw", 0xf3]].flatMap(([n, p]) =>
    SHUFFLE_IMMS.flatMap((i): [string, number[]][] => [[`${n} xmm4, xmm0, ${i}`, [p as number, 0x0f, 0x70, reg(4, 0), i]], [`${n} xmm4, [ebx], ${i}`, [p as number, 0x0f, 0x70, mem(4), i]]])),
  ["movdqa [ebx], xmm2", [0x66, 0x0f, 0x7f, mem(2)]],
  ["movdqu [ebx], xmm2", [0xf3, 0x0f, 0x7f, mem(2)]],
  ["movaps [ebx], xmm7", [0x0f, 0x29, mem(7)]],
  ["movups [ebx], xmm7", [0x0f, 0x11, mem(7)]],
  ["lddqu xmm1, [ebx]", [0xf2, 0x0f, 0xf0, mem(1)]],
  ["movd xmm1, ecx", [0x66, 0x0f, 0x6e, reg(1, 1)]],
  ["movd xmm1, [ebx]", [0x66, 0x0f, 0x6e, mem(1)]],
  ["movd ecx, xmm5", [0x66, 0x0f, 0x7e, reg(5, 1)]],
  ["movd [ebx], xmm5", [0x66, 0x0f, 0x7e, mem(5)]],
  ["movq xmm2, [ebx]", [0xf3, 0x0f, 0x7e, mem(2)]],
  ["movq [ebx], xmm2", [0x66, 0x0f, 0xd6, mem(2)]],
  ["pmovmskb eax, xmm3", [0x66, 0x0f, 0xd7, reg(0, 3)]],
  ["ptest xmm1, xmm2", [0x66, 0x0f, 0x38, 0x17, reg(1, 2)]],
  ["ptest xmm4, xmm4", [0x66, 0x0f, 0x38, 0x17, reg(4, 4)]],
  ["ptest xmm6, [ebx]", [0x66, 0x0f, 0x38, 0x17, mem(6)]],
  // (equal each on bytes, every polarity, lowest and highest index, signed or not)
  ...[0x08, 0x0a, 0x18, 0x1a, 0x28, 0x2a, 0x38, 0x3a, 0x48, 0x58, 0x68, 0x78, 0x88].flatMap((i): [string, number[]][] => [
    [`pcmpistri xmm2, xmm5, ${i}`, [0x66, 0x0f, 0x3a, 0x63, reg(2, 5), i]],
    [`pcmpistri xmm3, xmm3, ${i}`, [0x66, 0x0f, 0x3a, 0x63, reg(3, 3), i]],
    [`pcmpistri xmm6, [ebx], ${i}`, [0x66, 0x0f, 0x3a, 0x63, mem(6), i]],
  ]),
  ...DOUBLES.flatMap(([n, p, op]): [string, number[]][] => [[`${n} xmm2, xmm5`, [p, 0x0f, op, reg(2, 5)]], [`${n} xmm3, xmm3`, [p, 0x0f, op, reg(3, 3)]], [`${n} xmm6, [ebx]`, [p, 0x0f, op, mem(6)]]]),
  ...[["ucomisd", 0x2e], ["comisd", 0x2f]].flatMap(([n, op]) =>
    [2, 4, 6, 10, 3, 7].flatMap((cc): [string, number[]][] => [
      [`${n} xmm1, xmm2; j${cc}`, [0x66, 0x0f, op as number, reg(1, 2), 0x70 + cc, 0x10]],
      [`${n} xmm1, [ebx]; j${cc}`, [0x66, 0x0f, op as number, mem(1), 0x70 + cc, 0x10]],
    ])),
  ["movsd xmm2, xmm5", [0xf2, 0x0f, 0x10, reg(2, 5)]],
  ["movsd xmm2, [ebx]", [0xf2, 0x0f, 0x10, mem(2)]],
  ["movsd [ebx], xmm5", [0xf2, 0x0f, 0x11, mem(5)]],
  ["movlpd xmm2, [ebx]", [0x66, 0x0f, 0x12, mem(2)]],
  ["movlpd [ebx], xmm5", [0x66, 0x0f, 0x13, mem(5)]],
  ["movhpd xmm2, [ebx]", [0x66, 0x0f, 0x16, mem(2)]],
  ["movhpd [ebx], xmm5", [0x66, 0x0f, 0x17, mem(5)]],
];

/** Doubles at the edges of the fast path's guards, and ordinary ones. */
const EDGE_DOUBLES = [0, -0, 1.5, -2.25, 3, 1e300, -1e300, 1e-300, 2.2250738585072014e-308, 2.2250738585072014e-308 * 1.5, 5e-324, 1e-310, Infinity, -Infinity, NaN, 1e154, 1.7976931348623157e308];

const EDGE_WORDS = [0, -1, 0x7fffffff, 0x80000000 | 0, 0x00ff00ff, 0xff00ff00 | 0, 0x7fff8000, 0x80007fff | 0, 0x7f80807f, 0x01000100];

function fillXmm(c: Cpu, next: () => number, doubles: boolean): void {
  const x = c.sse.i32;
  for (let k = 0; k < 32; k++) x[k] = (next() & 3) === 0 ? EDGE_WORDS[(next() >>> 0) % EDGE_WORDS.length] : next();
  if (!doubles) return;
  // double lanes: edge values, or ordinary numbers of every magnitude
  for (let k = 0; k < 16; k++) {
    const pick = next() >>> 0;
    c.sse.f64[k] = pick % 3 === 0 ? EDGE_DOUBLES[(next() >>> 0) % EDGE_DOUBLES.length] : (next() / 2 ** 31) * 10 ** (((next() >>> 0) % 40) - 20);
  }
  // MXCSR: mostly the fast path's state (default, PE set), else one it does not take
  c.r[MXCSR] = [0x1fa0, 0x1fa0, 0x1fa0, 0x1f80, 0x3fa0, 0x1fa1][(next() >>> 0) % 6];
}

describe("SSE forms translated to WebAssembly SIMD", () => {
  it.each(CASES)("%s: the same state as the interpreter's", (_label, bytes) => {
    const code = [...bytes, 0xeb, 0x00]; // then jmp to the next instruction
    const a = cpu(code), b = cpu(code);
    for (const c of [a, b]) c.cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
    const insns = new BlockDecoder().decode(a, CODE, false).insns;
    expect(insns.length).toBe(2);
    expect(simdName(insns[0]), "the form is one the tier takes").not.toBeNull();
    const block = compileBlock(insns, b.mem);
    expect(block).not.toBeNull();
    const next = rng(0x51d + code.reduce((h, v) => h * 31 + v, 7));
    const doubles = /sd|pd/.test(_label);
    let whole = 0;
    for (let round = 0; round < (doubles ? 120 : 40); round++) {
      const seed = next(), unmapped = round % 10 === 9, warm = round % 4 !== 3;
      for (const c of [a, b]) {
        const r = rng(seed);
        fill(c, r, unmapped, warm);
        fillXmm(c, r, doubles);
        // [ebx]: 16-byte aligned, misaligned, or across the two data pages
        if (!unmapped) c.r[EBX] = [DATA + 0x100 + ((r() & 0x3f) << 4), DATA + 0x200 + ((r() >>> 0) % 16), DATA + 0xff8][(round >> 1) % 3];
        c.r[ECX] = r();
      }
      interpret(a, insns);
      const retired = block!.run(b);
      if (retired < insns.length) interpret(b, insns.slice(retired));
      else whole++;
      expect(state(b)).toEqual(state(a));
      expect(Array.from(b.sse.i32.subarray(0, 32))).toEqual(Array.from(a.sse.i32.subarray(0, 32)));
      expect(b.r[MXCSR]).toBe(a.r[MXCSR]);
      for (const f of F_DATA) expect(Buffer.from(b.mem.u8.subarray(f, f + 0x1000)).equals(Buffer.from(a.mem.u8.subarray(f, f + 0x1000)))).toBe(true);
    }
    expect(whole, "runs the whole block when the TLB serves it").toBeGreaterThan(0);
  });

  it("ptest and pcmpistri give the interpreter's flags and ECX for operands made to set each of them", () => {
    // (random vectors seldom make (NOT d) AND s zero, nor strings equal up to a zero byte)
    const words = (f: (k: number) => number): number[] => [0, 1, 2, 3].map(f);
    const text = (s: string): number[] => words((k) => [0, 1, 2, 3].reduce((v, b) => v | ((s.charCodeAt(4 * k + b) || 0) << (8 * b)), 0));
    const pairs: [number[], number[]][] = [
      [words(() => -1), words((k) => 0x01020304 * (k + 1))], // s within d: CF
      [words((k) => 0x0f0f0f0f << k), words(() => 0)], // s zero: ZF and CF
      [words(() => 0x0f0f0f0f), words(() => 0xf0f0f0f0 | 0)], // disjoint: ZF
      [words((k) => 0x11223344 + k), words((k) => 0x11223344 + k)], // equal, no zero byte
      [text("item-12-ab"), text("item-12-ab")], // equal strings, shorter than 16
      [text("item-12-ab"), text("item-12-ac")], // differing at 9
      [text("item-"), text("item-12")], // one a prefix of the other
      [text(""), text("x")],
    ];
    for (const [label, bytes] of [["ptest", [0x66, 0x0f, 0x38, 0x17, reg(1, 2)]], ...[0x1a, 0x3a, 0x08, 0x58].map((i) => [`pcmpistri ${i}`, [0x66, 0x0f, 0x3a, 0x63, reg(1, 2), i]])] as [string, number[]][]) {
      const code = [...bytes, 0xeb, 0x00];
      const a = cpu(code), b = cpu(code);
      for (const c of [a, b]) c.cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
      const insns = new BlockDecoder().decode(a, CODE, false).insns;
      const block = compileBlock(insns, b.mem);
      expect(block, label).not.toBeNull();
      const seen = new Set<number>();
      for (const [d, s] of [...pairs, ...pairs.map(([x, y]): [number[], number[]] => [y, x])]) {
        for (const c of [a, b]) {
          fill(c, rng(7), false, true);
          c.sse.i32.set(d, 4);
          c.sse.i32.set(s, 8);
        }
        interpret(a, insns);
        expect(block!.run(b), label).toBe(insns.length);
        expect(state(b), `${label}: ${d} ${s}`).toEqual(state(a));
        seen.add(state(a)[FLAGS] & ARITH_FLAGS);
      }
      // (the pairs set CF and ZF in every combination, and for pcmpistri SF and OF too)
      expect(seen.size, label).toBeGreaterThanOrEqual(label === "ptest" ? 4 : 5);
    }
  });

  it("reads 16 bytes across two pages the TLB has without stopping, for every split", () => {
    const code = [0xf3, 0x0f, 0x6f, mem(1), 0xeb, 0x00]; // movdqu xmm1, [ebx]; jmp
    const c = cpu(code);
    const insns = new BlockDecoder().decode(c, CODE, false).insns;
    const block = compileBlock(insns, c.mem)!;
    for (let k = 0; k < 16; k++) c.mem.u8[F_DATA[0] + 0xff0 + k] = 0x10 + k;
    for (let k = 0; k < 16; k++) c.mem.u8[F_DATA[1] + k] = 0x80 + k;
    c.wr32(DATA, c.rd32(DATA));
    c.wr32(DATA + 0x1000, c.rd32(DATA + 0x1000));
    for (let off = 0xff0; off <= 0xfff; off++) {
      c.r[EBX] = DATA + off;
      c.r[EIP] = CODE;
      expect(block.run(c), `at page offset ${off.toString(16)}`).toBe(2);
      const want = Array.from({ length: 16 }, (_, b) => (off + b < 0x1000 ? 0x10 + off - 0xff0 + b : 0x80 + off + b - 0x1000));
      expect(Array.from(c.sse.u8.subarray(16, 32))).toEqual(want);
    }
  });
});
