// The JIT's inline x87 arithmetic (jit/x87.ts: the fast cases of ddAdd and ddMul written out,
// doubling, zero operands, the inline m64 store and compare) against the interpreter, whose
// handlers are checked against the CPU elsewhere (tests/isa.test.ts, tests/fpu-programs.test.ts).
// Each case loads two doubles and derives 64-bit values from them (products of doubles, of
// 64-bit values and of both, a square, a sum, a doubling, a difference), each in its own run, so
// that the inline code sees 64-bit operands; every result is stored exactly (its double part
// with fstl, then the rest, value - double, which fits a double) with the status word after
// each operation (PE and C1). The operands sit at the edges of the inline fast cases: products
// and sums on, just under and just over powers of two, exact and inexact results, rounding
// ties, cancellations, zeros of both signs, operands 2^38 apart, exponents at the fast path's
// limits, underflowing and overflowing products. The program runs many times over, so that
// the regions run past their warm-up entries (x87warm), at the default control word and at
// 53-bit precision and upward rounding, where the runs' guards send everything to the handlers.

import { describe, expect, it } from "vitest";
import { TABLE, RESULTS, CW, runOnPairs, explainPairs } from "../helpers/x87cases.js";
import { SAFE } from "../../src/hw/fpu/dd.js";

const CASE_OUT = 120;

/** Operand pairs. */
function cases(): [number, number][] {
  const out: [number, number][] = [];
  const u = 2 ** -52;
  const edges = [1, 1 + u, 1 - u / 2, 1 + 2 * u, 2 - 2 * u, 1.5, 3, 1 / 3, 0.1, 10, 2 ** 32 + 1, 2 ** 26 + 1, 2 ** 27 - 1];
  for (const a of edges) for (const b of [1 + u, 1 - u / 2, 1 - u, 3, 1 / 3, 0.1, -0.7, 2 - 2 * u]) out.push([a, b]);
  // sums on and across powers of two, cancellations, far-apart operands
  out.push([1, -1 + u], [1, -(1 - u / 2)], [2, -u], [1, 2 ** -38], [1, 2 ** -37], [1, -(2 ** -39)], [2 ** 40, 1], [-1.25, 1.25], [0.75, -0.75 * (1 + u)]);
  // zeros
  out.push([0, 1.5], [-0, 1.5], [1.5, 0], [1.5, -0], [0, 0], [-0, 0], [-0, -0], [0, -3]);
  // the fast path's range: products and squares at and beyond 2^(+-SAFE), underflow
  out.push([2 ** (SAFE / 2), 2 ** (SAFE / 2)], [2 ** 440 * 1.5, 2 ** 440], [2 ** -440, 2 ** -440 * 1.25], [2 ** -600, 2 ** -600], [2 ** 600, 2 ** 600]);
  out.push([2 ** SAFE * 1.75, 1.5], [2 ** -SAFE, 0.75], [2 ** -SAFE * 1.5, 3], [2 ** 1000, 1], [2 ** -1000, 1]);
  // deterministic pseudo-random operands of several magnitudes
  let s = 7;
  const rnd = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) | 0;
    return (s >>> 0) / 2 ** 32;
  };
  for (let k = 0; k < 60; k++) {
    const e = Math.floor(rnd() * 40) - 20;
    out.push([(rnd() - 0.5) * 2 ** e, (rnd() - 0.3) * 2 ** (k % 3 === 0 ? e : -e)]);
  }
  return out;
}

/** The program: for each case, the derived values with their status words, then int 0x80. */
function program(n: number, cw: number | null): number[] {
  const le32 = (v: number): number[] => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, v >>> 24];
  const code: number[] = [0xdb, 0xe3]; // fninit
  if (cw !== null) code.push(0x66, 0xc7, 0x05, ...le32(CW), cw & 255, cw >>> 8, 0xd9, 0x2d, ...le32(CW)); // fldcw
  code.push(0xbe, ...le32(TABLE), 0xbf, ...le32(RESULTS), 0xb9, ...le32(n)); // esi, edi, ecx
  const loop = code.length;
  const sw = (o: number): number[] => [0xdf, 0xe0, 0x66, 0x89, 0x47, o]; // fnstsw ax; mov [edi+o], ax
  code.push(0xdb, 0xe2); // fnclex
  code.push(0xdd, 0x06, 0xdd, 0x46, 0x08); // fld a; fld b
  // (the rels loaded in the same run are known doubles to the generator: products and sums
  // with them leave out the terms of their zero low parts)
  code.push(0xd9, 0xc1, 0xd8, 0xc9, ...sw(0)); // p = a * b: two doubles
  code.push(0xd9, 0xc0, 0xd8, 0xc8, ...sw(2)); // q = p * p
  code.push(0xd9, 0xc1, 0xdc, 0x06, ...sw(4)); // r = p + m64 a
  code.push(0xd9, 0xc1, 0xdc, 0x4e, 0x08, ...sw(6)); // u = q * m64 b
  code.push(0xd9, 0xc3, 0xd8, 0xc0, ...sw(8)); // v = p + p
  code.push(0xdd, 0x06, 0xd8, 0xc9, ...sw(10)); // w = a * v, a loaded in the run
  code.push(0xd8, 0xd4, ...sw(12)); // fcom st(4): w against q
  code.push(0xd8, 0xe4, ...sw(14)); // w - q
  for (let k = 0; k < 6; k++) {
    const o = 16 + 16 * k;
    code.push(0xdd, 0x57, o, ...sw(112)); // fstl [edi+o] (a run of its own)
    code.push(0xdc, 0x67, o, 0xdd, 0x5f, o + 8); // fsubl [edi+o]; fstpl [edi+o+8]
  }
  code.push(0xdd, 0xd8, 0xdd, 0xd8); // pop b, a
  code.push(0x83, 0xc6, 0x10, 0x83, 0xc7, CASE_OUT, 0x49); // next case
  const back = loop - (code.length + 6);
  code.push(0x0f, 0x85, ...le32(back >>> 0)); // jnz loop
  code.push(0xcd, 0x80);
  return code;
}

/** Runs the program `times` times on a machine of `engine`; the result bytes of each time. */
function run(engine: "interp" | "jit", cw: number | null, times: number): Uint8Array[] {
  const cs = cases();
  return runOnPairs(program(cs.length, cw), engine, cs, CASE_OUT, times);
}

function explain(want: Uint8Array, got: Uint8Array): string {
  return explainPairs(want, got, cases(), CASE_OUT, 16);
}

describe("JIT x87 inline arithmetic", () => {
  for (const [name, cw] of [["the default control word", null], ["53-bit precision, rounding up", 0x0a7f]] as const) {
    it(`gives the interpreter's results and status words bit for bit (${name})`, () => {
      const [want] = run("interp", cw, 1);
      const got = run("jit", cw, 8);
      got.forEach((g, t) => expect(`pass ${t}: ${explain(want, g)}`).toBe(`pass ${t}: same`));
    });
  }
});
