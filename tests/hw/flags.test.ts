// Lazy arithmetic flags (hw/flags.ts) through the ALU helpers (hw/alu.ts): hand-computed CF PF AF
// ZF SF OF for add/adc/sub/sbb/neg/inc/dec/and/or/xor/shl/shr/sar at 8, 16 and 32 bits (flags the
// SDM calls undefined are masked out), every condition code through cond(), INC/DEC keeping CF,
// and getFlags/materialize. Then every 8-bit operand pair, and edge and random 16/32-bit pairs,
// against a reference model that computes the flags arithmetically (not with the bitwise
// identities flags.ts uses).

import { describe, expect, it } from "vitest";
import * as alu from "../../src/hw/alu.js";
import { cond, getFlags, materialize, CC_NAMES, SZ8, SZ16, SZ32 } from "../../src/hw/flags.js";
import { REG_SLOTS, FLAGS, FOP, FLAGS_FIXED, CF, PF, AF, ZF, SF, OF, DF, IF, ARITH_FLAGS } from "../../src/hw/state.js";

function regs(flags = FLAGS_FIXED): Int32Array {
  const r = new Int32Array(REG_SLOTS);
  r[FLAGS] = flags;
  return r;
}

/** Arithmetic flags named by letters, e.g. "CZP" (C=CF, P=PF, A=AF, Z=ZF, S=SF, O=OF). */
function F(s: string): number {
  const bits: Record<string, number> = { C: CF, P: PF, A: AF, Z: ZF, S: SF, O: OF };
  let v = 0;
  for (const ch of s) {
    if (!(ch in bits)) throw new Error(`bad flag letter ${ch}`);
    v |= bits[ch];
  }
  return v;
}

function letters(v: number): string {
  return ["C", "P", "A", "Z", "S", "O"].filter((l) => (v & F(l)) !== 0).join("") || "-";
}

const SIZES = { 8: SZ8, 16: SZ16, 32: SZ32 } as const;
type Bits = keyof typeof SIZES;

interface Case {
  op: string;
  bits: Bits;
  a: number;
  b: number;
  /** CF before the operation (for adc/sbb and to show inc/dec keep it). */
  cf?: 0 | 1;
  res: number;
  /** Expected arithmetic flags (letters). */
  flags: string;
  /** Flags the SDM leaves undefined for this case, not compared. */
  undef?: string;
}

/** Runs one ALU operation on fresh registers with CF preset, returning registers and result. */
function run(op: string, bits: Bits, a: number, b: number, cf: number): { r: Int32Array; res: number } {
  const r = regs(FLAGS_FIXED | (cf ? CF : 0));
  const sz = SIZES[bits];
  let res: number;
  switch (op) {
    case "add": res = alu.add(r, a, b, sz); break;
    case "adc": res = alu.adc(r, a, b, sz); break;
    case "sub": res = alu.sub(r, a, b, sz); break;
    case "sbb": res = alu.sbb(r, a, b, sz); break;
    case "neg": res = alu.neg(r, a, sz); break;
    case "inc": res = alu.inc(r, a, sz); break;
    case "dec": res = alu.dec(r, a, sz); break;
    case "and": res = alu.and(r, a, b, sz); break;
    case "or": res = alu.or(r, a, b, sz); break;
    case "xor": res = alu.xor(r, a, b, sz); break;
    case "shl": res = alu.shl(r, a, b, sz); break;
    case "shr": res = alu.shr(r, a, b, sz); break;
    case "sar": res = alu.sar(r, a, b, sz); break;
    default: throw new Error(`unknown op ${op}`);
  }
  return { r, res };
}

const mask = (bits: Bits): number => (bits === 32 ? 0xffffffff : (1 << bits) - 1);

// Hand-computed from the SDM's definitions. PF looks at the low byte of the result only.
const CASES: Case[] = [
  // ADD
  { op: "add", bits: 32, a: 1, b: 2, res: 3, flags: "P" },
  { op: "add", bits: 8, a: 0x7f, b: 1, res: 0x80, flags: "ASO" },
  { op: "add", bits: 8, a: 0xff, b: 1, res: 0, flags: "CPAZ" },
  { op: "add", bits: 8, a: 0x80, b: 0x80, res: 0, flags: "CPZO" },
  { op: "add", bits: 16, a: 0x7fff, b: 1, res: 0x8000, flags: "PASO" },
  { op: "add", bits: 16, a: 0xfff0, b: 0x0020, res: 0x0010, flags: "C" },
  { op: "add", bits: 32, a: 0xffffffff, b: 1, res: 0, flags: "CPAZ" },
  { op: "add", bits: 32, a: 0x7fffffff, b: 0x7fffffff, res: 0xfffffffe, flags: "ASO" },
  { op: "add", bits: 32, a: 0x80000000, b: 0x80000000, res: 0, flags: "CPZO" },
  // ADC
  { op: "adc", bits: 8, a: 0xff, b: 0, cf: 1, res: 0, flags: "CPAZ" },
  { op: "adc", bits: 8, a: 0x7f, b: 0, cf: 1, res: 0x80, flags: "ASO" },
  { op: "adc", bits: 8, a: 0x10, b: 0x20, cf: 0, res: 0x30, flags: "P" },
  { op: "adc", bits: 16, a: 0xffff, b: 0xffff, cf: 1, res: 0xffff, flags: "CPAS" },
  { op: "adc", bits: 32, a: 0xffffffff, b: 0xffffffff, cf: 1, res: 0xffffffff, flags: "CPAS" },
  { op: "adc", bits: 32, a: 0x7fffffff, b: 0, cf: 1, res: 0x80000000, flags: "PASO" },
  // SUB (and CMP)
  { op: "sub", bits: 8, a: 0, b: 1, res: 0xff, flags: "CPAS" },
  { op: "sub", bits: 8, a: 0x80, b: 1, res: 0x7f, flags: "AO" },
  { op: "sub", bits: 8, a: 0x7f, b: 0xff, res: 0x80, flags: "CSO" },
  { op: "sub", bits: 16, a: 5, b: 5, res: 0, flags: "PZ" },
  { op: "sub", bits: 16, a: 0x8000, b: 0x0001, res: 0x7fff, flags: "PAO" },
  { op: "sub", bits: 32, a: 0x80000000, b: 1, res: 0x7fffffff, flags: "PAO" },
  { op: "sub", bits: 32, a: 1, b: 0x80000000, res: 0x80000001, flags: "CSO" },
  { op: "sub", bits: 32, a: 0x10, b: 0x01, res: 0x0f, flags: "PA" },
  // SBB
  { op: "sbb", bits: 8, a: 0, b: 0, cf: 1, res: 0xff, flags: "CPAS" },
  { op: "sbb", bits: 8, a: 0x80, b: 0x7f, cf: 1, res: 0, flags: "PAZO" },
  { op: "sbb", bits: 8, a: 5, b: 5, cf: 0, res: 0, flags: "PZ" },
  { op: "sbb", bits: 16, a: 5, b: 5, cf: 1, res: 0xffff, flags: "CPAS" },
  { op: "sbb", bits: 32, a: 0, b: 0xffffffff, cf: 1, res: 0, flags: "CPAZ" },
  { op: "sbb", bits: 32, a: 0x80000000, b: 0, cf: 1, res: 0x7fffffff, flags: "PAO" },
  // NEG (CF = source nonzero)
  { op: "neg", bits: 8, a: 0, b: 0, res: 0, flags: "PZ" },
  { op: "neg", bits: 8, a: 1, b: 0, res: 0xff, flags: "CPAS" },
  { op: "neg", bits: 8, a: 0x80, b: 0, res: 0x80, flags: "CSO" },
  { op: "neg", bits: 16, a: 0x8000, b: 0, res: 0x8000, flags: "CPSO" },
  { op: "neg", bits: 32, a: 0x80000000, b: 0, res: 0x80000000, flags: "CPSO" },
  { op: "neg", bits: 32, a: 0x10, b: 0, res: 0xfffffff0, flags: "CPS" },
  // INC / DEC keep whatever CF was
  { op: "inc", bits: 8, a: 0x7f, b: 0, cf: 1, res: 0x80, flags: "CASO" },
  { op: "inc", bits: 8, a: 0xff, b: 0, cf: 0, res: 0, flags: "PAZ" },
  { op: "inc", bits: 16, a: 0x7fff, b: 0, cf: 0, res: 0x8000, flags: "PASO" },
  { op: "inc", bits: 32, a: 0xffffffff, b: 0, cf: 1, res: 0, flags: "CPAZ" },
  { op: "inc", bits: 32, a: 0x0e, b: 0, cf: 0, res: 0x0f, flags: "P" },
  { op: "dec", bits: 8, a: 0x80, b: 0, cf: 0, res: 0x7f, flags: "AO" },
  { op: "dec", bits: 8, a: 0, b: 0, cf: 0, res: 0xff, flags: "PAS" },
  { op: "dec", bits: 16, a: 0x8000, b: 0, cf: 1, res: 0x7fff, flags: "CPAO" },
  { op: "dec", bits: 32, a: 1, b: 0, cf: 1, res: 0, flags: "CPZ" },
  { op: "dec", bits: 32, a: 0x80000000, b: 0, cf: 0, res: 0x7fffffff, flags: "PAO" },
  // Logic: CF = OF = 0, AF undefined
  { op: "and", bits: 32, a: 0xf0f0f0f0, b: 0x0f0f0f0f, cf: 1, res: 0, flags: "PZ", undef: "A" },
  { op: "and", bits: 8, a: 0xff, b: 0x81, cf: 1, res: 0x81, flags: "PS", undef: "A" },
  { op: "or", bits: 8, a: 0x80, b: 0x01, res: 0x81, flags: "PS", undef: "A" },
  { op: "or", bits: 16, a: 0x0100, b: 0x0001, res: 0x0101, flags: "", undef: "A" },
  { op: "xor", bits: 16, a: 0xffff, b: 0x7fff, res: 0x8000, flags: "PS", undef: "A" },
  { op: "xor", bits: 32, a: 0x12345678, b: 0x12345678, cf: 1, res: 0, flags: "PZ", undef: "A" },
  // SHL: CF = last bit out; OF = MSB(result) XOR CF for a count of 1, undefined otherwise; AF undefined
  { op: "shl", bits: 8, a: 0x81, b: 1, res: 0x02, flags: "CO", undef: "A" },
  { op: "shl", bits: 8, a: 0x40, b: 1, res: 0x80, flags: "SO", undef: "A" },
  { op: "shl", bits: 8, a: 0xc0, b: 1, res: 0x80, flags: "CS", undef: "A" },
  { op: "shl", bits: 16, a: 0x8000, b: 1, res: 0, flags: "CPZO", undef: "A" },
  { op: "shl", bits: 32, a: 0x18000000, b: 4, res: 0x80000000, flags: "CPS", undef: "AO" },
  { op: "shl", bits: 32, a: 1, b: 31, res: 0x80000000, flags: "PS", undef: "AO" },
  { op: "shl", bits: 8, a: 0x01, b: 8, res: 0, flags: "CPZ", undef: "AO" },
  // SHR: OF = MSB of the original operand for a count of 1
  { op: "shr", bits: 8, a: 0x81, b: 1, res: 0x40, flags: "CO", undef: "A" },
  { op: "shr", bits: 16, a: 1, b: 1, res: 0, flags: "CPZ", undef: "A" },
  { op: "shr", bits: 32, a: 0x80000000, b: 31, res: 1, flags: "", undef: "AO" },
  { op: "shr", bits: 32, a: 0xc0000000, b: 31, res: 1, flags: "C", undef: "AO" },
  { op: "shr", bits: 32, a: 0xffffffff, b: 4, res: 0x0fffffff, flags: "CP", undef: "AO" },
  // SAR: OF = 0 for a count of 1
  { op: "sar", bits: 8, a: 0x81, b: 1, res: 0xc0, flags: "CPS", undef: "A" },
  { op: "sar", bits: 8, a: 0x80, b: 7, res: 0xff, flags: "PS", undef: "AO" },
  { op: "sar", bits: 16, a: 0xfffe, b: 1, res: 0xffff, flags: "PS", undef: "A" },
  { op: "sar", bits: 32, a: 0x80000000, b: 31, res: 0xffffffff, flags: "PS", undef: "AO" },
  { op: "sar", bits: 32, a: 0x40000000, b: 31, res: 0, flags: "CPZ", undef: "AO" },
  { op: "sar", bits: 32, a: 0x7fffffff, b: 1, res: 0x3fffffff, flags: "CP", undef: "A" },
];

/** What each condition code means in terms of the flags (SDM vol. 2, "Jcc"). */
function expectedCond(cc: number, f: number): boolean {
  const has = (bit: number): boolean => (f & bit) !== 0;
  let v: boolean;
  switch (cc >> 1) {
    case 0: v = has(OF); break;
    case 1: v = has(CF); break;
    case 2: v = has(ZF); break;
    case 3: v = has(CF) || has(ZF); break;
    case 4: v = has(SF); break;
    case 5: v = has(PF); break;
    case 6: v = has(SF) !== has(OF); break;
    default: v = has(ZF) || has(SF) !== has(OF); break;
  }
  return (cc & 1) === 0 ? v : !v;
}

/** Flags each condition code reads. */
const CC_READS = [OF, OF, CF, CF, ZF, ZF, CF | ZF, CF | ZF, SF, SF, PF, PF, SF | OF, SF | OF, ZF | SF | OF, ZF | SF | OF];

describe("lazy flags, hand-computed cases", () => {
  for (const k of CASES) {
    const title = `${k.op}${k.bits} ${k.a.toString(16)}, ${k.b.toString(16)}${k.cf !== undefined ? ` (CF=${k.cf})` : ""} → ${k.res.toString(16)} sets ${k.flags || "nothing"}`;
    it(title, () => {
      const { r, res } = run(k.op, k.bits, k.a, k.b, k.cf ?? 0);
      expect((res & mask(k.bits)) >>> 0).toBe(k.res >>> 0);
      const care = ARITH_FLAGS & ~F(k.undef ?? "");
      expect(letters(getFlags(r) & care)).toBe(letters(F(k.flags) & care));
    });
  }
});

describe("condition codes", () => {
  it("every condition code agrees with the flags it reads, after every hand-computed case", () => {
    const wrong: string[] = [];
    for (const k of CASES) {
      const { r } = run(k.op, k.bits, k.a, k.b, k.cf ?? 0);
      const undef = F(k.undef ?? "");
      for (let cc = 0; cc < 16; cc++) {
        if ((CC_READS[cc] & undef) !== 0) continue;
        if (cond(r, cc) !== expectedCond(cc, F(k.flags))) wrong.push(`${k.op}${k.bits} ${k.a.toString(16)},${k.b.toString(16)}: j${CC_NAMES[cc]}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("after cmp, the unsigned and signed conditions order the operands as integers (every 8-bit pair)", () => {
    const wrong: string[] = [];
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b++) {
        const r = regs();
        alu.sub(r, a, b, SZ8);
        const sa = (a << 24) >> 24, sb = (b << 24) >> 24;
        const want = [null, null, a < b, a >= b, a === b, a !== b, a <= b, a > b, null, null, null, null, sa < sb, sa >= sb, sa <= sb, sa > sb];
        for (let cc = 0; cc < 16; cc++) {
          const w = want[cc];
          if (w !== null && cond(r, cc) !== w) wrong.push(`cmp ${a},${b}: j${CC_NAMES[cc]}`);
        }
      }
    }
    expect(wrong.slice(0, 20)).toEqual([]);
  });

  it("after cmp at 16 and 32 bits, conditions order edge values as integers", () => {
    const edges32 = [0, 1, 2, 0x7ffffffe, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff, 0x1234, 0xdeadbeef];
    const edges16 = [0, 1, 0x7ffe, 0x7fff, 0x8000, 0x8001, 0xfffe, 0xffff, 0x1234];
    const wrong: string[] = [];
    for (const [bits, edges] of [[16, edges16], [32, edges32]] as const) {
      const sz = SIZES[bits];
      for (const a of edges) {
        for (const b of edges) {
          const r = regs();
          alu.sub(r, a, b, sz);
          const sa = bits === 32 ? a | 0 : (a << 16) >> 16, sb = bits === 32 ? b | 0 : (b << 16) >> 16;
          const want = [null, null, a < b, a >= b, a === b, a !== b, a <= b, a > b, null, null, null, null, sa < sb, sa >= sb, sa <= sb, sa > sb];
          for (let cc = 0; cc < 16; cc++) {
            const w = want[cc];
            if (w !== null && cond(r, cc) !== w) wrong.push(`cmp${bits} ${a.toString(16)},${b.toString(16)}: j${CC_NAMES[cc]}`);
          }
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it("reads materialized flags when no operation is pending", () => {
    for (let f = 0; f < 64; f++) {
      const flags = [CF, PF, AF, ZF, SF, OF].reduce((v, bit, i) => ((f >> i) & 1 ? v | bit : v), FLAGS_FIXED);
      const r = regs(flags);
      for (let cc = 0; cc < 16; cc++) expect(cond(r, cc), `flags ${letters(flags)} j${CC_NAMES[cc]}`).toBe(expectedCond(cc, flags));
    }
  });
});

describe("INC and DEC keep CF", () => {
  it("a carry from sub survives inc, dec and another inc", () => {
    const r = regs();
    alu.sub(r, 0, 1, SZ32); // CF = 1
    alu.inc(r, 5, SZ32);
    alu.dec(r, 0, SZ8);
    alu.inc(r, 0xffff, SZ16);
    expect(getFlags(r) & CF).toBe(CF);
    expect(cond(r, 2)).toBe(true); // jb
  });

  it("a clear carry stays clear through inc wrapping to zero", () => {
    const r = regs(FLAGS_FIXED | CF);
    alu.add(r, 1, 1, SZ32); // CF = 0
    alu.inc(r, 0xffffffff, SZ32);
    expect(getFlags(r) & (CF | ZF)).toBe(ZF);
  });

  it("adc after inc uses the carry from before the inc", () => {
    const r = regs();
    alu.add(r, 0xff, 1, SZ8); // CF = 1
    alu.inc(r, 0, SZ32);
    expect(alu.adc(r, 1, 1, SZ32)).toBe(3);
  });
});

describe("shifts by zero", () => {
  it("leave every flag as it was", () => {
    for (const op of [alu.shl, alu.shr, alu.sar]) {
      const r = regs();
      alu.sub(r, 0, 1, SZ8); // C P A S
      const before = getFlags(r);
      expect(op(r, 0x80, 0, SZ8)).toBe(0x80);
      expect(getFlags(r)).toBe(before);
    }
  });
});

describe("getFlags and materialize", () => {
  it("getFlags keeps the non-arithmetic bits (DF, IF, bit 1) and replaces the arithmetic ones", () => {
    const r = regs(FLAGS_FIXED | DF | IF | OF | SF);
    alu.add(r, 0xff, 1, SZ8);
    expect(getFlags(r)).toBe(FLAGS_FIXED | DF | IF | CF | PF | AF | ZF);
  });

  it("materialize folds the pending operation into FLAGS and clears it, without changing the value", () => {
    const r = regs(FLAGS_FIXED | DF);
    alu.sub(r, 0x80, 1, SZ8);
    const before = getFlags(r);
    materialize(r);
    expect(r[FOP]).toBe(0);
    expect(r[FLAGS]).toBe(before);
    expect(getFlags(r)).toBe(before);
    for (let cc = 0; cc < 16; cc++) expect(cond(r, cc)).toBe(expectedCond(cc, before));
  });

  it("materialize with nothing pending changes nothing", () => {
    const r = regs(FLAGS_FIXED | ZF | CF);
    materialize(r);
    expect(r[FLAGS]).toBe(FLAGS_FIXED | ZF | CF);
  });
});

// ---------------------------------------------------------------------------------------------
// Reference model: flags from the mathematical results.

function parity(v: number): boolean {
  let n = 0;
  for (let i = 0; i < 8; i++) n += (v >> i) & 1;
  return n % 2 === 0;
}

function refFlags(op: "add" | "adc" | "sub" | "sbb", bits: Bits, a: number, b: number, cf: number): { res: number; flags: number } {
  const m = mask(bits), half = 2 ** (bits - 1), full = 2 ** bits;
  const ua = a >>> 0, ub = b >>> 0;
  const sa = ua >= half ? ua - full : ua, sb = ub >= half ? ub - full : ub;
  const cin = op === "adc" || op === "sbb" ? cf : 0;
  const isAdd = op === "add" || op === "adc";
  const wide = isAdd ? ua + ub + cin : ua - ub - cin;
  const signed = isAdd ? sa + sb + cin : sa - sb - cin;
  const nib = isAdd ? (ua & 15) + (ub & 15) + cin : (ua & 15) - (ub & 15) - cin;
  const res = ((wide % full) + full) % full;
  let f = 0;
  if (isAdd ? wide >= full : wide < 0) f |= CF;
  if (parity(res & 0xff)) f |= PF;
  if (isAdd ? nib > 15 : nib < 0) f |= AF;
  if (res === 0) f |= ZF;
  if (res >= half) f |= SF;
  if (signed < -half || signed >= half) f |= OF;
  return { res: res & m, flags: f };
}

describe("lazy flags against an arithmetic reference model", () => {
  const OPS = ["add", "adc", "sub", "sbb"] as const;

  it("add, adc, sub and sbb agree on every 8-bit operand pair and carry-in", () => {
    const wrong: string[] = [];
    for (const op of OPS) {
      for (let cf = 0; cf < 2; cf++) {
        for (let a = 0; a < 256; a++) {
          for (let b = 0; b < 256; b++) {
            const { r, res } = run(op, 8, a, b, cf);
            const want = refFlags(op, 8, a, b, cf);
            const got = getFlags(r) & ARITH_FLAGS;
            if (res !== want.res || got !== want.flags) wrong.push(`${op}8 ${a},${b} cf=${cf}: got ${res} ${letters(got)}, want ${want.res} ${letters(want.flags)}`);
          }
        }
      }
    }
    expect(wrong.slice(0, 10)).toEqual([]);
  });

  it("add, adc, sub and sbb agree on edge and pseudo-random 16- and 32-bit operands", () => {
    const edges = [0, 1, 2, 0x0f, 0x10, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff];
    const pairs: [number, number][] = [];
    for (const a of edges) for (const b of edges) pairs.push([a, b]);
    let x = 0x9e3779b9;
    for (let i = 0; i < 4000; i++) {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      const a = x >>> 0;
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      pairs.push([a, x >>> 0]);
    }
    const wrong: string[] = [];
    for (const bits of [16, 32] as const) {
      for (const op of OPS) {
        for (const [a0, b0] of pairs) {
          for (let cf = 0; cf < 2; cf++) {
            const a = (a0 & mask(bits)) >>> 0, b = (b0 & mask(bits)) >>> 0;
            const { r, res } = run(op, bits, a, b, cf);
            const want = refFlags(op, bits, a, b, cf);
            const got = getFlags(r) & ARITH_FLAGS;
            if ((res & mask(bits)) >>> 0 !== want.res >>> 0 || got !== want.flags) {
              wrong.push(`${op}${bits} ${a.toString(16)},${b.toString(16)} cf=${cf}: got ${(res >>> 0).toString(16)} ${letters(got)}, want ${want.res.toString(16)} ${letters(want.flags)}`);
            }
          }
        }
      }
    }
    expect(wrong.slice(0, 10)).toEqual([]);
  });
});
