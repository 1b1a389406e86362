// The JIT's integer stores in x87 runs (jit/x87.ts intStore: fist and fistp to m16 and m32, and
// fisttp) against the interpreter, whose handlers are checked against the CPU elsewhere
// (tests/fpu-programs.test.ts's x87_random stores every rounding of random values). Each case
// makes a 64-bit value (the product of two doubles: its low part is not zero where the product
// needs more than 53 bits), sets the rounding control, and stores the value as a 32-bit and a
// 16-bit integer, then truncated, then again to 16 bits with a pop, saving the status word
// after each (C1, PE, and IE where the value does not fit: the run then leaves to the
// handlers). The values sit at the edges: ties of both signs, a quarter either side of them,
// whole numbers with a tiny part above or below, zeros, the ends of each integer's range. The
// program runs under each rounding control and many times over (small budgets), so that the
// regions run past their warm-up entries (x87warm). Each status word is followed by fnclex and
// fwait, which compiled code runs inline when no exception is pending.

import { describe, expect, it } from "vitest";
import { machine, runRepeatedly } from "../helpers/machine.js";
import { TABLE, RESULTS, CW, runOnPairs, explainPairs } from "../helpers/x87cases.js";
import { handlerCallCounts } from "../../src/jit/handlercalls.js";

const CASE_OUT = 32;

/** Operand pairs (the value is their product). */
function cases(): [number, number][] {
  const out: [number, number][] = [];
  const tiny = 2 ** -40;
  for (const v of [0.5, 1.5, 2.5, 3.25, 3.75, 7, 100.5, 101.5, 32767, 32767.5, 32768, 2 ** 31 - 1, 2 ** 31 - 0.5, 2 ** 31, 1e10, 0]) {
    out.push([v, 1], [-v, 1]);
  }
  // whole numbers and halves with a low part below and above them (products needing 64 bits)
  for (const w of [3, 4, 1000, 2.5, 65535]) out.push([w, 1 + tiny], [w, 1 - tiny], [-w, 1 + tiny], [-w, 1 - tiny]);
  out.push([1 + 2 ** -30, 3 + 2 ** -40], [-(1 + 2 ** -30), 5 - 2 ** -41], [tiny, tiny], [-tiny, 3], [-0, 1], [0.75, -0]);
  // a whole number or a half as the pair's high part, and a low part of 2^-64 or so below or
  // above it: (1 + e)(1 - e) = 1 - e^2, (1 + d)(1 - d + d^2) = 1 + d^3
  const below = 1 - 2 ** -32, above = 1 - 2 ** -21 + 2 ** -42;
  for (const w of [1, 3, 2.5, 0.5, 1.5, 32767.5, 2 ** 31 - 1]) {
    out.push([w * (1 + 2 ** -32), below], [-w * (1 + 2 ** -32), below], [w * (1 + 2 ** -21), above], [-w * (1 + 2 ** -21), above]);
  }
  // -2^31 exactly and just beyond, -2^15 likewise
  out.push([-(2 ** 31), 1], [-(2 ** 31), 1 + tiny], [-32768, 1], [-32768.5, 1], [-32768, 1 + tiny]);
  let s = 11;
  const rnd = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) | 0;
    return (s >>> 0) / 2 ** 32;
  };
  for (let k = 0; k < 40; k++) out.push([(rnd() - 0.5) * 2 ** (k % 20), 1 + rnd() * 2 ** -20]);
  return out;
}

/** The program: for each case, the integer stores and status words; then int 0x80. The control
 *  word with rounding control `rc` goes to CW, the default one to CW + 2. */
function program(n: number, rc: number): number[] {
  const le32 = (v: number): number[] => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, v >>> 24];
  const code: number[] = [0xdb, 0xe3]; // fninit
  code.push(0x66, 0xc7, 0x05, ...le32(CW), 0x7f, 0x03 | (rc << 2)); // mov word [CW], 0x37f | rc << 10
  code.push(0x66, 0xc7, 0x05, ...le32(CW + 2), 0x7f, 0x03); // mov word [CW + 2], 0x37f
  code.push(0xbe, ...le32(TABLE), 0xbf, ...le32(RESULTS), 0xb9, ...le32(n)); // esi, edi, ecx
  const loop = code.length;
  // fnstsw ax; fnclex; fwait; mov [edi+o], ax (an fwait before an x87 instruction is its
  // waiting form, one instruction)
  const sw = (o: number): number[] => [0xdf, 0xe0, 0xdb, 0xe2, 0x9b, 0x66, 0x89, 0x47, o];
  code.push(0xdd, 0x06, 0xdc, 0x4e, 0x08); // fld qword [esi]; fmul qword [esi+8] (at the default control word)
  code.push(0xd9, 0x2d, ...le32(CW)); // fldcw [CW]
  code.push(0xdb, 0x57, 0x00, 0xdf, 0x57, 0x04, ...sw(6)); // fist dword [edi]; fist word [edi+4]
  code.push(0xd9, 0xc0, 0xdb, 0x4f, 0x08, ...sw(12)); // fld st(0); fisttp dword [edi+8]
  code.push(0xdf, 0x5f, 0x0e, ...sw(16)); // fistp word [edi+14]
  code.push(0xd9, 0x2d, ...le32(CW + 2)); // fldcw [CW + 2]
  code.push(0x83, 0xc6, 0x10, 0x83, 0xc7, CASE_OUT, 0x49); // next case
  const back = loop - (code.length + 6);
  code.push(0x0f, 0x85, ...le32(back >>> 0)); // jnz loop
  code.push(0xcd, 0x80);
  return code;
}

/** Runs the program `times` times on a machine of `engine`; the result bytes of each time. */
function run(engine: "interp" | "jit", rc: number, times: number): Uint8Array[] {
  const cs = cases();
  return runOnPairs(program(cs.length, rc), engine, cs, CASE_OUT, times, 2000);
}

function explain(want: Uint8Array, got: Uint8Array): string {
  return explainPairs(want, got, cases(), CASE_OUT, 18);
}

const STORES = /^fis?t?t?p? m(16|32)$/;
const calls = (forms: RegExp): number => handlerCallCounts().filter(([form]) => forms.test(form)).reduce((n, [, k]) => n + k, 0);

describe("JIT x87 integer stores", () => {
  for (const [rc, name] of [[0, "to nearest"], [1, "down"], [2, "up"], [3, "toward zero"]] as const) {
    it(`stores as the interpreter does, rounding ${name}, with the same C1, PE and IE`, () => {
      const want = run("interp", rc, 1)[0];
      // (the cases' answers: not all alike, some out of range)
      expect(new Set(Array.from({ length: cases().length }, (_, i) => want[i * CASE_OUT + 6] & 0x221)).size).toBeGreaterThan(2);
      const before = calls(STORES), waits = calls(/^wait$/);
      const got = run("jit", rc, 12);
      for (const out of got) expect(explain(want, out)).toBe("same");
      // 4 stores a case, 12 times: the handlers run those that do not fit (and some in the
      // warm-up), not every one; fwait, with no exception pending, none
      expect(calls(STORES) - before).toBeLessThan((cases().length * 4 * 12) / 4);
      expect(calls(/^wait$/) - waits).toBe(0);
    });
  }
});

/** Where the table holds the double 3. */
const THREE = 4000;

/** 64-bit integers for fild m64: beyond a double's 53 bits, at the ends of the range, small. */
function int64s(): bigint[] {
  const out = [0n, 1n, -1n, 2n ** 53n + 1n, -(2n ** 53n) - 3n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 32n, 2n ** 32n - 1n, -(2n ** 32n), 12345678901234567n, -987654321987654321n];
  let s = 5n;
  for (let k = 0; k < 40; k++) {
    s = (s * 6364136223846793005n + 1442695040888963407n) & (2n ** 64n - 1n);
    out.push(BigInt.asIntN(64, s >> BigInt(k % 40)));
  }
  return out;
}

/** For each integer in the table, at the default control word: fild m64; three times it stored
 *  as m64 and m32 and both loaded back (from the run's own stores) and subtracted; then, under
 *  rounding control `rc`: the value stored as m64 and m32, as an int32 loaded back and compared
 *  with the value (a run that does not round), and stored less itself; the status words. */
const FILD_OUT = 64;
function fildRun(engine: "interp" | "jit", rc: number, times: number): { outs: Uint8Array[]; fildCalls: number } {
  const le32 = (v: number): number[] => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, v >>> 24];
  const ints = int64s();
  const code: number[] = [0xdb, 0xe3, 0x66, 0xc7, 0x05, ...le32(CW), 0x7f, 0x03 | (rc << 2)]; // fninit; mov word [CW], cw
  code.push(0x66, 0xc7, 0x05, ...le32(CW + 2), 0x7f, 0x03); // mov word [CW + 2], 0x37f
  code.push(0xbe, ...le32(TABLE), 0xbf, ...le32(RESULTS), 0xb9, ...le32(ints.length));
  const loop = code.length;
  const sw = (o: number): number[] => [0xdf, 0xe0, 0xdb, 0xe2, 0x66, 0x89, 0x47, o]; // fnstsw ax; fnclex; mov [edi+o], ax
  code.push(0xd9, 0x2d, ...le32(CW + 2)); // fldcw [CW + 2]
  code.push(0xdf, 0x2e, 0xd9, 0xc0, 0xdc, 0x0d, ...le32(TABLE + THREE)); // fild qword [esi]; fld st0; fmul qword [3.0]
  code.push(0xdd, 0x57, 0x18, 0xd9, 0x5f, 0x20); // fst qword [edi+24]; fstp dword [edi+32]
  code.push(0xdd, 0x47, 0x18, 0xd9, 0x47, 0x20, 0xde, 0xe9, 0xdd, 0x5f, 0x28); // fld qword [edi+24]; fld dword [edi+32]; fsubp; fstp qword [edi+40]
  code.push(...sw(4));
  code.push(0xd9, 0x2d, ...le32(CW)); // fldcw [CW]
  code.push(...sw(0));
  code.push(0xdd, 0x57, 0x08, 0xd9, 0x57, 0x10); // fst qword [edi+8]; fst dword [edi+16]
  code.push(0xdb, 0x57, 0x30, 0xdb, 0x47, 0x30, 0xd8, 0xd9); // fist dword [edi+48]; fild dword [edi+48]; fcomp st(1)
  code.push(...sw(6));
  code.push(0xd9, 0xc0, 0xde, 0xe9, 0xdb, 0x5f, 0x14); // fld st0; fsubp; fistp dword [edi+20]
  code.push(...sw(2));
  code.push(0x83, 0xc6, 0x08, 0x83, 0xc7, FILD_OUT, 0x49); // next
  const back = loop - (code.length + 6);
  code.push(0x0f, 0x85, ...le32(back >>> 0), 0xcd, 0x80);
  const m = machine(code, { engine, threshold: 2 });
  const { k, env } = m;
  const as = k.aspaceOf(env);
  const tab = k.mapNew(as, TABLE, 7), res = k.mapNew(as, RESULTS, 7);
  const dv = new DataView(k.mem.u8.buffer, k.mem.u8.byteOffset + (tab << 12), 4096);
  ints.forEach((v, i) => dv.setBigInt64(i * 8, v, true));
  dv.setFloat64(THREE, 3, true);
  const before = calls(/^fild m64$/);
  const outs = runRepeatedly(m, [res], ints.length * FILD_OUT, times, 2000);
  return { outs, fildCalls: calls(/^fild m64$/) - before };
}

describe("JIT x87 64-bit integer loads", () => {
  for (const rc of [0, 3]) {
    it(`loads every 64-bit integer exactly, as the interpreter does (rounding control ${rc})`, () => {
      const want = fildRun("interp", rc, 1).outs[0];
      const { outs, fildCalls } = fildRun("jit", rc, 12);
      for (const out of outs) expect(Array.from(out)).toEqual(Array.from(want));
      // (a run the inline product or difference cannot decide, a third of these, runs its fild
      // by the handler too)
      expect(fildCalls).toBeLessThan((int64s().length * 12) / 2);
    });
  }
});
