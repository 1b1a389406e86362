// SSE instructions on XMM registers in the wasm tier (block.ts): each XMM register is a v128
// local, and the packed integer operations, moves, unpacks, packs, shuffles and logic become
// WebAssembly SIMD (the 128-bit forms only; MMX forms, floating point and the rest stay with
// the other tiers). Every mapping is exact on all lanes, and the differential test
// (tests/jit/wasmsimd.test.ts) holds each one to the interpreter's helpers from random and
// edge values.

import { type FnBuilder, OP } from "./asm.js";
import type { IntContext } from "./integer.js";
import { CF, ZF, SF, OF, ARITH_FLAGS, ECX } from "../../hw/state.js";
import { type Insn, Op, K_XMM, K_MEM, K_R32, K_IMM, K_NONE } from "../../hw/isa.js";
import { SIMD_HANDLERS, SIMD_SPECS } from "../../hw/simd/index.js";

/** SIMD opcodes (after 0xfd) used here, from the WebAssembly SIMD proposal's table. */
const S = {
  load: 0x00, load32Zero: 0x5c, load64Zero: 0x5d, load64Lane: 0x57, store: 0x0b, store64Lane: 0x5b, store32Lane: 0x5a,
  f64x2ExtractLane: 0x21, f64x2ReplaceLane: 0x22,
  const: 0x0c, shuffle: 0x0d, i32x4ExtractLane: 0x1b, i32x4ReplaceLane: 0x1c,
  and: 0x4e, andnot: 0x4f, or: 0x50, xor: 0x51, anyTrue: 0x53, i8x16Eq: 0x23,
  i8x16Bitmask: 0x64, i16x8Bitmask: 0x84,
} as const;

const NAME_OF = new Map<unknown, string>(Object.entries(SIMD_HANDLERS).map(([k, v]) => [v, k]));

/** Two-operand operations (dst = dst op src) that are one wasm instruction. */
const BINARY: Record<string, number> = {
  pand: S.and, andps: S.and, andpd: S.and, por: S.or, orps: S.or, orpd: S.or,
  pxor: S.xor, xorps: S.xor, xorpd: S.xor,
  paddb: 0x6e, paddw: 0x8e, paddd: 0xae, paddq: 0xce,
  psubb: 0x71, psubw: 0x91, psubd: 0xb1, psubq: 0xd1,
  paddsb: 0x6f, paddusb: 0x70, psubsb: 0x72, psubusb: 0x73,
  paddsw: 0x8f, paddusw: 0x90, psubsw: 0x92, psubusw: 0x93,
  pmullw: 0x95, pmulld: 0xb5, pmaddwd: 0xba,
  pavgb: 0x7b, pavgw: 0x9b,
  pminsb: 0x76, pminub: 0x77, pmaxsb: 0x78, pmaxub: 0x79,
  pminsw: 0x96, pminuw: 0x97, pmaxsw: 0x98, pmaxuw: 0x99,
  pminsd: 0xb6, pminud: 0xb7, pmaxsd: 0xb8, pmaxud: 0xb9,
  pcmpeqb: 0x23, pcmpeqw: 0x2d, pcmpeqd: 0x37, pcmpeqq: 0xd6,
  pcmpgtb: 0x27, pcmpgtw: 0x31, pcmpgtd: 0x3b, pcmpgtq: 0xd9,
  packsswb: 0x65, packuswb: 0x66, packssdw: 0x85, packusdw: 0x86,
};

const range = (n: number, f: (k: number) => number): number[] => Array.from({ length: n }, (_, k) => f(k));
/** The 16 bytes of a zero v128.const. */
const ZERO_BYTES: readonly number[] = new Array<number>(16).fill(0);
/** Interleaves the `size`-byte elements of the low (or high) halves of two vectors. */
const unpack = (size: number, high: boolean): number[] =>
  range(16, (k) => {
    const elem = k / size >> 1, from = (k / size) & 1, byte = k % size;
    return from * 16 + (high ? 8 : 0) + elem * size + byte;
  });
const UNPACK: Record<string, number[]> = {
  punpcklbw: unpack(1, false), punpckhbw: unpack(1, true), punpcklwd: unpack(2, false), punpckhwd: unpack(2, true),
  punpckldq: unpack(4, false), punpckhdq: unpack(4, true), punpcklqdq: unpack(8, false), punpckhqdq: unpack(8, true),
  unpcklps: unpack(4, false), unpckhps: unpack(4, true), unpcklpd: unpack(8, false), unpckhpd: unpack(8, true),
};
/** The high 16 bits of each 32-bit product (extmul's lanes), as a word vector. */
const HIGH_HALVES = range(16, (b) => (b >> 1) * 4 + 2 + (b & 1));
const MOVES = new Set(["movdqa", "movdqu", "movaps", "movups", "movapd", "movupd", "lddqu"]);
const SHIFTS: Record<string, [op: number, bits: number, arith: boolean]> = {
  psllw: [0x8b, 16, false], psrlw: [0x8d, 16, false], psraw: [0x8c, 16, true],
  pslld: [0xab, 32, false], psrld: [0xad, 32, false], psrad: [0xac, 32, true],
  psllq: [0xcb, 64, false], psrlq: [0xcd, 64, false],
};

/** The instruction's name if it is an SSE form this tier translates. */
export function simdName(x: Insn): string | null {
  if (x.op !== Op.SIMD || x.lock !== 0 || x.rep !== 0) return null;
  const name = NAME_OF.get(x.fn);
  if (name === undefined) return null;
  const mem = x.k0 === K_MEM || x.k1 === K_MEM;
  if (mem && (x.asz !== 4 || x.seg === 4 || x.seg === 5)) return null;
  const xmmOrMem = (k: number): boolean => k === K_XMM || k === K_MEM;
  if (name in BINARY || name in UNPACK || name === "psadbw" || name === "pmulhuw" || name === "pmulhw" || name === "pandn" || name === "andnps" || name === "andnpd" || name === "ptest") {
    return x.k0 === K_XMM && xmmOrMem(x.k1) && x.k2 === K_NONE && (x.k1 !== K_MEM || x.msz === 16) ? name : null;
  }
  if (MOVES.has(name)) {
    return x.k2 === K_NONE && ((x.k0 === K_XMM && xmmOrMem(x.k1)) || (x.k0 === K_MEM && x.k1 === K_XMM)) && (!mem || x.msz === 16) ? name : null;
  }
  if (name in SHIFTS || name === "pslldq" || name === "psrldq") return x.k0 === K_XMM && x.k1 === K_IMM && x.k2 === K_NONE ? name : null;
  if (name === "pshufd" || name === "pshuflw" || name === "pshufhw") {
    return x.k0 === K_XMM && xmmOrMem(x.k1) && x.k2 === K_IMM && (x.k1 !== K_MEM || x.msz === 16) ? name : null;
  }
  if (name === "movd") {
    const ok = (x.k0 === K_XMM && (x.k1 === K_R32 || x.k1 === K_MEM)) || ((x.k0 === K_R32 || x.k0 === K_MEM) && x.k1 === K_XMM);
    return ok && x.k2 === K_NONE && (!mem || x.msz === 4) ? name : null;
  }
  if (name === "movq") {
    const ok = (x.k0 === K_XMM && xmmOrMem(x.k1)) || (x.k0 === K_MEM && x.k1 === K_XMM);
    return ok && x.k2 === K_NONE && (!mem || x.msz === 8) ? name : null;
  }
  if (name === "pmovmskb") return x.k0 === K_R32 && x.k1 === K_XMM && x.k2 === K_NONE ? name : null;
  // (the "equal each" comparison of zero-terminated byte strings, glibc's SSE4.2 strcmp's
  // loop: imm bits 0 and 2-3 say bytes and equal each; bit 1, signed, changes no equality)
  if (name === "pcmpistri") {
    return x.k0 === K_XMM && xmmOrMem(x.k1) && x.k2 === K_IMM && (x.imm & 0x0d) === 0x08 && (x.k1 !== K_MEM || x.msz === 16) ? name : null;
  }
  if (name in DOUBLE_OPS || name === "ucomisd" || name === "comisd") {
    const scalar = name.endsWith("sd");
    return x.k0 === K_XMM && xmmOrMem(x.k1) && x.k2 === K_NONE && (x.k1 !== K_MEM || x.msz === (scalar ? 8 : 16)) ? name : null;
  }
  if (name === "movsd" || name === "movlpd" || name === "movhpd") {
    const ok = name === "movsd" ? (x.k0 === K_XMM && xmmOrMem(x.k1)) || (x.k0 === K_MEM && x.k1 === K_XMM) : (x.k0 === K_XMM && x.k1 === K_MEM) || (x.k0 === K_MEM && x.k1 === K_XMM);
    return ok && x.k2 === K_NONE && (!mem || x.msz === 8) ? name : null;
  }
  return null;
}

/** Double-precision arithmetic: the operation, and whether it is scalar (lane 0 alone). Each
 *  lane is computed by WebAssembly, which is IEEE binary64 with round to nearest, under the
 *  guards the JavaScript tier uses (jit/simd.ts guarded): MXCSR in its default state with PE
 *  already set (checked on entry), operands no denormals, and a result that is finite and no
 *  denormal, so that the CPU's result is the same and no flag changes; otherwise the run ends
 *  before the instruction, and the interpreter's helper computes it. */
const DOUBLE_OPS: Record<string, [op: "add" | "sub" | "mul" | "div" | "sqrt", scalar: boolean]> = {
  addsd: ["add", true], subsd: ["sub", true], mulsd: ["mul", true], divsd: ["div", true], sqrtsd: ["sqrt", true],
  addpd: ["add", false], subpd: ["sub", false], mulpd: ["mul", false], divpd: ["div", false], sqrtpd: ["sqrt", false],
};
const F64_OP = { add: 0xa0, sub: 0xa1, mul: 0xa2, div: 0xa3 } as const;
const MIN64 = 2.2250738585072014e-308, MAX64 = 1.7976931348623157e308;

/** Whether x (simdName's) computes with doubles: a region with such code checks MXCSR on entry. */
export function usesMxcsr(name: string): boolean {
  return name in DOUBLE_OPS || name === "ucomisd" || name === "comisd";
}

const PLAIN_MOVES = new Set([...MOVES, "movsd", "movlpd", "movhpd", "movd", "movq"]);

/** Whether x is a packed integer or logic operation (SSE that is neither a move nor double
 *  arithmetic): what makes a loop worth the wasm tier (region.ts). */
export function packedInteger(x: Insn): boolean {
  const name = simdName(x);
  return name !== null && !usesMxcsr(name) && !PLAIN_MOVES.has(name);
}

/** What emitSimd needs of the block being translated. */
export interface SimdContext {
  f: FnBuilder;
  /** i32 locals of the general registers, v128 locals of the XMM registers. */
  reg: readonly number[];
  xmm: readonly number[];
  /** v128 scratch locals. */
  tmp: number;
  tmp2: number;
  /** The effective address of x's memory operand into the address local. */
  address(x: Insn): void;
  /** Leaves the physical address of the `size` bytes at the address local on the stack, or
   *  ends the run before instruction k when the TLB cannot serve them. */
  translate(write: boolean, k: number, eip: number, size: number): void;
  /** Leaves the 16 bytes at the address local on the stack (from two pages if need be), or ends
   *  the run before instruction k when the TLB cannot serve them. */
  load16(k: number, eip: number): void;
  /** Ends the run before instruction k unless the address local is a multiple of 16 (the
   *  interpreter then raises #GP). */
  aligned(k: number, eip: number): void;
  /** Ends the run before instruction k when the i32 on the stack is 0. */
  unless(k: number, eip: number): void;
  /** f64 scratch locals. */
  da: number;
  db: number;
  dr: number;
  /** The flags locals and what the block knows of them (integer.ts), for the comparisons. */
  int: IntContext;
}

/** Emits instruction k (x, named `name` by simdName). Nothing changes before a memory operand
 *  the TLB cannot serve has ended the run. */
export function emitSimd(s: SimdContext, x: Insn, k: number, name: string): void {
  const { f, xmm } = s;
  /** The 128-bit source operand on the stack (register, or memory checked and loaded). */
  const source = (): void => {
    if (x.k1 === K_XMM) f.get(xmm[x.r1]);
    else {
      s.address(x);
      if (SIMD_SPECS[name].unaligned) s.load16(k, x.eip);
      else {
        s.aligned(k, x.eip);
        s.translate(false, k, x.eip, 16);
        f.simd(S.load, 0, 0);
      }
    }
  };
  const d = xmm[x.r0];
  const op = BINARY[name];
  if (op !== undefined) {
    // (a memory source is read into the scratch local first: the stack holds nothing while a
    // translation may end the run)
    source();
    f.set(s.tmp).get(d).get(s.tmp).simd(op).set(d);
    return;
  }
  const lanes = UNPACK[name];
  if (lanes !== undefined) {
    source();
    f.set(s.tmp).get(d).get(s.tmp).simd(S.shuffle, ...lanes).set(d);
    return;
  }
  if (MOVES.has(name)) {
    if (x.k0 === K_XMM) {
      source();
      f.set(d);
    } else {
      s.address(x);
      if (!SIMD_SPECS[name].unaligned) s.aligned(k, x.eip);
      s.translate(true, k, x.eip, 16);
      f.get(xmm[x.r1]).simd(S.store, 0, 0);
    }
    return;
  }
  const shift = SHIFTS[name];
  if (shift !== undefined) {
    const [sop, bits, arith] = shift;
    const n = x.imm & 255;
    if (n >= bits && !arith) f.simd(S.const, ...ZERO_BYTES).set(d);
    else f.get(d).i32(n >= bits ? bits - 1 : n).simd(sop).set(d);
    return;
  }
  switch (name) {
    case "pandn": case "andnps": case "andnpd":
      // dst = ~dst & src: v128.andnot(src, dst) is src & ~dst
      source();
      f.get(d).simd(S.andnot).set(d);
      return;
    case "psadbw":
      // |a - b| per byte (max - min), summed in pairs to words, to dwords, then each dword pair
      // to its qword (the sum fits the low word; the rest of each qword is zero)
      source();
      f.set(s.tmp).get(d).get(s.tmp).simd(0x79).get(d).get(s.tmp).simd(0x77).simd(0x71).simd(0x7d).simd(0x7f).tee(s.tmp);
      f.simd(S.const, ...[255, 255, 255, 255, 0, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 0]).simd(S.and);
      f.get(s.tmp).i32(32).simd(0xcd).simd(0xce).set(d);
      return;
    case "pmulhuw": case "pmulhw": {
      const lo = name === "pmulhuw" ? 0xbe : 0xbc;
      source();
      f.set(s.tmp).get(d).get(s.tmp).simd(lo).get(d).get(s.tmp).simd(lo + 1).simd(S.shuffle, ...HIGH_HALVES).set(d);
      return;
    }
    case "pshufd": case "pshuflw": case "pshufhw": {
      const imm = x.imm & 255;
      let lanes: number[];
      if (name === "pshufd") lanes = range(16, (b) => ((imm >> ((b >> 2) * 2)) & 3) * 4 + (b & 3));
      else {
        const high = name === "pshufhw" ? 8 : 0;
        lanes = range(16, (b) => {
          if ((b & 8) !== high) return b;
          const w = (b & 7) >> 1;
          return high + ((imm >> (w * 2)) & 3) * 2 + (b & 1);
        });
      }
      source();
      f.set(s.tmp).get(s.tmp).get(s.tmp).simd(S.shuffle, ...lanes).set(d);
      return;
    }
    case "pslldq": case "psrldq": {
      const n = Math.min(x.imm & 255, 16);
      // bytes from the register (0-15) or from a zero vector (16-31)
      const lanes = range(16, (b) => {
        const from = name === "pslldq" ? b - n : b + n;
        return from >= 0 && from < 16 ? from : 16;
      });
      f.get(d).simd(S.const, ...ZERO_BYTES).simd(S.shuffle, ...lanes).set(d);
      return;
    }
    case "movd":
      if (x.k0 === K_XMM) {
        if (x.k1 === K_MEM) {
          s.address(x);
          s.translate(false, k, x.eip, 4);
          f.simd(S.load32Zero, 2, 0).set(d);
        } else f.simd(S.const, ...ZERO_BYTES).get(s.reg[x.r1]).simd(S.i32x4ReplaceLane, 0).set(d);
      } else if (x.k0 === K_R32) f.get(xmm[x.r1]).simd(S.i32x4ExtractLane, 0).set(s.reg[x.r0]);
      else {
        s.address(x);
        s.translate(true, k, x.eip, 4);
        f.get(xmm[x.r1]).simd(S.store32Lane, 2, 0, 0);
      }
      return;
    case "movq":
      if (x.k0 === K_XMM) {
        if (x.k1 === K_MEM) {
          s.address(x);
          s.translate(false, k, x.eip, 8);
          f.simd(S.load64Zero, 3, 0).set(d);
        } else f.get(xmm[x.r1]).simd(S.const, ...ZERO_BYTES).simd(S.shuffle, ...range(16, (b) => (b < 8 ? b : 16))).set(d);
      } else {
        s.address(x);
        s.translate(true, k, x.eip, 8);
        f.get(xmm[x.r1]).simd(S.store64Lane, 3, 0, 0);
      }
      return;
    case "pmovmskb":
      f.get(xmm[x.r1]).simd(S.i8x16Bitmask).set(s.reg[x.r0]);
      return;
    case "ptest": {
      // ZF when d AND s is all zeros, CF when (NOT d) AND s is (v128.andnot(s, d) = s & ~d);
      // the other flags clear
      source();
      f.set(s.tmp);
      arithFlags(s, () => {
        f.get(d).get(s.tmp).simd(S.and).simd(S.anyTrue).op(OP.i32Eqz).i32(ZF).op(OP.i32Mul).op(OP.i32Or);
        f.get(s.tmp).get(d).simd(S.andnot).simd(S.anyTrue).op(OP.i32Eqz).i32(CF).op(OP.i32Mul).op(OP.i32Or);
      });
      return;
    }
    case "pcmpistri":
      pcmpistriEach(s, d, x.imm & 255, source);
      return;
    case "movsd":
      if (x.k0 === K_MEM) {
        s.address(x);
        s.translate(true, k, x.eip, 8);
        f.get(xmm[x.r1]).simd(S.store64Lane, 3, 0, 0);
      } else if (x.k1 === K_MEM) {
        s.address(x);
        s.translate(false, k, x.eip, 8);
        f.simd(S.load64Zero, 3, 0).set(d);
      } else f.get(d).get(xmm[x.r1]).simd(S.shuffle, ...range(16, (b) => (b < 8 ? 16 + b : b))).set(d);
      return;
    case "movlpd": case "movhpd": {
      const lane = name === "movlpd" ? 0 : 1;
      s.address(x);
      if (x.k0 === K_MEM) {
        s.translate(true, k, x.eip, 8);
        f.get(xmm[x.r1]).simd(S.store64Lane, 3, 0, lane);
      } else {
        s.translate(false, k, x.eip, 8);
        f.get(d).simd(S.load64Lane, 3, 0, lane).set(d);
      }
      return;
    }
    case "ucomisd": case "comisd": {
      // ordered operands, no denormal: ZF and CF from the comparison, PF, OF, SF, AF clear
      const { da, db } = s;
      f.get(d).simd(S.f64x2ExtractLane, 0).set(da);
      doubleSource(s, x, k, 0);
      f.set(db);
      ordinary(f, da);
      ordinary(f, db);
      f.op(OP.i32And);
      s.unless(k, x.eip);
      arithFlags(s, () => {
        f.get(da).get(db).op(F64.eq).i32(ZF).op(OP.i32Mul).op(OP.i32Or);
        f.get(da).get(db).op(F64.lt).i32(CF).op(OP.i32Mul).op(OP.i32Or);
      });
      return;
    }
  }
  const arith = DOUBLE_OPS[name];
  if (arith !== undefined) {
    const [op, scalar] = arith;
    const { da, db, dr } = s;
    // each lane's operands, result and guard; then the destination
    if (!scalar) {
      source();
      f.set(s.tmp);
    }
    const lanes = scalar ? [0] : [0, 1];
    for (const lane of lanes) {
      f.get(d).simd(S.f64x2ExtractLane, lane).set(da);
      if (scalar) doubleSource(s, x, k, 0);
      else f.get(s.tmp).simd(S.f64x2ExtractLane, lane);
      f.set(db);
      if (op === "sqrt") f.get(db).op(F64.sqrt).set(dr);
      else f.get(da).get(db).op(F64_OP[op]).set(dr);
      guard(f, op, da, db, dr);
      s.unless(k, x.eip);
      // (the result waits in the scratch vector: nothing changes before every guard passed)
      if (lane === 0) f.get(scalar ? d : s.tmp).get(dr).simd(S.f64x2ReplaceLane, 0).set(scalar ? s.tmp : s.tmp2);
      else f.get(s.tmp2).get(dr).simd(S.f64x2ReplaceLane, 1).set(s.tmp2);
    }
    f.get(scalar ? s.tmp : s.tmp2).set(d);
    return;
  }
  throw new Error(`wasm: no translation for ${name}`);
}

/** f64 opcodes (core, no prefix). */
const F64 = { eq: 0x61, lt: 0x63, le: 0x65, ge: 0x66, abs: 0x99, sqrt: 0x9f, load: 0x2b } as const;

/** The low double of x's source operand (an XMM register's lane, or 8 bytes of memory) on the
 *  stack. */
function doubleSource(s: SimdContext, x: Insn, k: number, lane: number): void {
  if (x.k1 === K_XMM) s.f.get(s.xmm[x.r1]).simd(S.f64x2ExtractLane, lane);
  else {
    s.address(x);
    s.translate(false, k, x.eip, 8);
    s.f.mem(F64.load, 0);
  }
}

function f64(f: FnBuilder, v: number): void {
  const b = new Uint8Array(new Float64Array([v]).buffer);
  f.op(0x44, ...b);
}

/** 1 if local `v` is no denormal (zero, a normal number, an infinity; not a NaN). */
function ordinary(f: FnBuilder, v: number): void {
  f.get(v).op(F64.abs);
  f64(f, MIN64);
  f.op(F64.ge).get(v);
  f64(f, 0);
  f.op(F64.eq).op(OP.i32Or);
}

/** 1 if local `v` is finite (not a NaN nor an infinity). */
function finite(f: FnBuilder, v: number): void {
  f.get(v).op(F64.abs);
  f64(f, MAX64);
  f.op(F64.le);
}

/** 1 if local `v` is a finite number above the smallest normal in magnitude. */
function normal(f: FnBuilder, v: number): void {
  f.get(v).op(F64.abs);
  f64(f, MIN64);
  f.op(0x64); // f64.gt
  finite(f, v);
  f.op(OP.i32And);
}

/** 1 if r = a op b is the CPU's result with no MXCSR flag to change (jit/simd.ts guarded). */
function guard(f: FnBuilder, op: string, a: number, b: number, r: number): void {
  const isZero = (v: number): void => {
    f.get(v);
    f64(f, 0);
    f.op(F64.eq);
  };
  if (op === "sqrt") {
    f.get(b);
    f64(f, 0);
    f.op(F64.ge);
    ordinary(f, b);
    f.op(OP.i32And);
    finite(f, b);
    f.op(OP.i32And);
    return;
  }
  ordinary(f, a);
  ordinary(f, b);
  f.op(OP.i32And);
  if (op === "mul" || op === "div") {
    // a zero result only from a zero operand (a zero dividend); any other result normal
    isZero(r);
    f.if("", 0x7f);
    isZero(a);
    if (op === "mul") {
      isZero(b);
      f.op(OP.i32Or);
    }
    f.else();
    normal(f, r);
    f.end();
  } else {
    finite(f, r);
    ordinary(f, r);
    f.op(OP.i32And);
  }
  f.op(OP.i32And);
}

/** pcmpistri with "equal each" on bytes (simdName): each string's length is the index of its
 *  first zero byte (16 when none: i8x16.eq with zero, its bitmask, the lowest set bit); IntRes1
 *  is the bytes equal below the shorter length, and true from the longer one up (where
 *  neither string has a byte), with the polarity (imm bits 4-5) applied; ECX is the index of
 *  its lowest (imm bit 6: highest) set bit, 16 when none. CF: IntRes2 not zero, ZF: the source
 *  shorter than 16, SF: the destination shorter than 16, OF: IntRes2 bit 0; AF and PF clear. */
function pcmpistriEach(s: SimdContext, d: number, imm: number, source: () => void): void {
  const { f } = s;
  const i = s.int;
  const la = i.v, lb = i.w, res = i.res;
  source();
  f.set(s.tmp);
  /** The length of the string in v128 local `v` into i32 local `into`. */
  const length = (v: number, into: number): void => {
    f.get(v).simd(S.const, ...ZERO_BYTES).simd(S.i8x16Eq).simd(S.i8x16Bitmask).i32(0x10000).op(OP.i32Or).op(OP.i32Ctz).set(into);
  };
  length(d, la);
  length(s.tmp, lb);
  /** 1 << (the shorter length, or with `longer` the longer one) on the stack. */
  const bit = (longer: boolean): void => {
    f.i32(1);
    if (longer) f.get(lb).get(la);
    else f.get(la).get(lb);
    f.get(la).get(lb).op(OP.i32LtU).op(OP.select).op(OP.i32Shl);
  };
  // equal bytes below the shorter length, | 0xffff & -(1 << longer): true past both
  f.get(d).get(s.tmp).simd(S.i8x16Eq).simd(S.i8x16Bitmask);
  bit(false);
  f.i32(1).op(OP.i32Sub).op(OP.i32And);
  f.i32(0);
  bit(true);
  f.op(OP.i32Sub).i32(0xffff).op(OP.i32And).op(OP.i32Or);
  const polarity = (imm >> 4) & 3;
  if (polarity === 1) f.i32(0xffff).op(OP.i32Xor);
  else if (polarity === 3) f.i32(1).get(lb).op(OP.i32Shl).i32(1).op(OP.i32Sub).op(OP.i32Xor);
  f.set(res);
  if ((imm & 0x40) === 0) f.get(res).i32(0x10000).op(OP.i32Or).op(OP.i32Ctz);
  else f.i32(16).i32(31).get(res).op(OP.i32Clz).op(OP.i32Sub).get(res).op(OP.i32Eqz).op(OP.select);
  f.set(s.reg[ECX]);
  arithFlags(s, () => {
    f.get(res).i32(0).op(OP.i32Ne).i32(CF).op(OP.i32Mul).op(OP.i32Or);
    f.get(lb).i32(16).op(OP.i32LtU).i32(ZF).op(OP.i32Mul).op(OP.i32Or);
    f.get(la).i32(16).op(OP.i32LtU).i32(SF).op(OP.i32Mul).op(OP.i32Or);
    f.get(res).i32(1).op(OP.i32And).i32(OF).op(OP.i32Mul).op(OP.i32Or);
  });
}

/** FLAGS with its six arithmetic flags replaced by what `set` ORs in (each `flag * condition`
 *  onto the value on the stack), the lazy record cleared: an instruction that sets them all. */
function arithFlags(s: SimdContext, set: () => void): void {
  const i = s.int;
  s.f.get(i.fl).i32(~ARITH_FLAGS).op(OP.i32And);
  set();
  s.f.set(i.fl).i32(0).set(i.fop);
  i.known = 0;
}
