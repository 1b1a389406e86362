// Integer instruction semantics, written once: the interpreter's handlers and the JIT's generated
// code both call these. Each takes the register file (for the flags), the operands and the size
// code (0 byte, 1 word, 2 dword), records the flags, and returns the result masked to the size
// (dwords as int32). Callers that write the result to memory must do so before calling, or probe
// the write first (Cpu.probeWrite), so a faulting write leaves the flags untouched.

import {
  FK_ADD, FK_SUB, FK_ADC, FK_SBB, FK_LOGIC, FK_INC, FK_DEC, FK_SHL, FK_SHR, FK_SAR, SIZE_MASK, SIZE_SIGN, SIZE_BITS, PARITY,
  setLazy, setLazyIncDec, getCF, getOF, getFlags, setArith, signExtend,
} from "./flags.js";
import { CF, PF, AF, ZF, SF, OF, ARITH_FLAGS } from "./state.js";

export function add(r: Int32Array, a: number, b: number, sz: number): number {
  const res = (a + b) & SIZE_MASK[sz];
  setLazy(r, FK_ADD, sz, a, b, res);
  return res;
}

export function adc(r: Int32Array, a: number, b: number, sz: number): number {
  const res = (a + b + getCF(r)) & SIZE_MASK[sz];
  setLazy(r, FK_ADC, sz, a, b, res);
  return res;
}

export function sub(r: Int32Array, a: number, b: number, sz: number): number {
  const res = (a - b) & SIZE_MASK[sz];
  setLazy(r, FK_SUB, sz, a, b, res);
  return res;
}

export function sbb(r: Int32Array, a: number, b: number, sz: number): number {
  const res = (a - b - getCF(r)) & SIZE_MASK[sz];
  setLazy(r, FK_SBB, sz, a, b, res);
  return res;
}

export function and(r: Int32Array, a: number, b: number, sz: number): number {
  const res = a & b & SIZE_MASK[sz];
  setLazy(r, FK_LOGIC, sz, 0, 0, res);
  return res;
}

export function or(r: Int32Array, a: number, b: number, sz: number): number {
  const res = (a | b) & SIZE_MASK[sz];
  setLazy(r, FK_LOGIC, sz, 0, 0, res);
  return res;
}

export function xor(r: Int32Array, a: number, b: number, sz: number): number {
  const res = (a ^ b) & SIZE_MASK[sz];
  setLazy(r, FK_LOGIC, sz, 0, 0, res);
  return res;
}

export function inc(r: Int32Array, a: number, sz: number): number {
  const res = (a + 1) & SIZE_MASK[sz];
  setLazyIncDec(r, FK_INC, sz, a, res);
  return res;
}

export function dec(r: Int32Array, a: number, sz: number): number {
  const res = (a - 1) & SIZE_MASK[sz];
  setLazyIncDec(r, FK_DEC, sz, a, res);
  return res;
}

export function neg(r: Int32Array, a: number, sz: number): number {
  const res = -a & SIZE_MASK[sz];
  setLazy(r, FK_SUB, sz, 0, a, res);
  return res;
}

/** SHL/SAL. `n` is the count already masked to 5 bits; a zero count changes no flags. */
export function shl(r: Int32Array, a: number, n: number, sz: number): number {
  if (n === 0) return a & SIZE_MASK[sz];
  const res = n < 32 ? (a << n) & SIZE_MASK[sz] : 0;
  setLazy(r, FK_SHL, sz, a, n, res);
  return res;
}

export function shr(r: Int32Array, a: number, n: number, sz: number): number {
  const m = SIZE_MASK[sz];
  if (n === 0) return a & m;
  const res = ((a & m) >>> n) & m;
  setLazy(r, FK_SHR, sz, a, n, res);
  return res;
}

export function sar(r: Int32Array, a: number, n: number, sz: number): number {
  const m = SIZE_MASK[sz];
  if (n === 0) return a & m;
  const res = (signExtend(a, sz) >> n) & m;
  setLazy(r, FK_SAR, sz, a, n, res);
  return res;
}

/** Sets CF and OF (keeping the other flags) after a rotate. */
function rotFlags(r: Int32Array, cf: number, of: number): void {
  setArith(r, CF | OF, (cf ? CF : 0) | (of ? OF : 0));
}

export function rol(r: Int32Array, a: number, n: number, sz: number): number {
  const m = SIZE_MASK[sz], bits = SIZE_BITS[sz];
  a &= m;
  if (n === 0) return a;
  const k = n & (bits - 1);
  const res = k === 0 ? a : ((a << k) | (a >>> (bits - k))) & m;
  const cf = res & 1;
  rotFlags(r, cf, (res & SIZE_SIGN[sz] ? 1 : 0) ^ cf);
  return res;
}

export function ror(r: Int32Array, a: number, n: number, sz: number): number {
  const m = SIZE_MASK[sz], bits = SIZE_BITS[sz];
  a &= m;
  if (n === 0) return a;
  const k = n & (bits - 1);
  const res = k === 0 ? a : ((a >>> k) | (a << (bits - k))) & m;
  const msb = (res >>> (bits - 1)) & 1;
  rotFlags(r, msb, msb ^ ((res >>> (bits - 2)) & 1));
  return res;
}

export function rcl(r: Int32Array, a: number, n: number, sz: number): number {
  const m = SIZE_MASK[sz], bits = SIZE_BITS[sz];
  a &= m;
  const k = sz === 2 ? n : n % (bits + 1);
  if (k === 0) return a;
  // Rotate the (bits+1)-bit quantity CF:a left by k, one bit at a time to stay within int32.
  let cf = getCF(r);
  let v = a;
  for (let j = 0; j < k; j++) {
    const out = (v >>> (bits - 1)) & 1;
    v = ((v << 1) | cf) & m;
    cf = out;
  }
  rotFlags(r, cf, ((v >>> (bits - 1)) & 1) ^ cf);
  return v;
}

export function rcr(r: Int32Array, a: number, n: number, sz: number): number {
  const m = SIZE_MASK[sz], bits = SIZE_BITS[sz];
  a &= m;
  const k = sz === 2 ? n : n % (bits + 1);
  if (k === 0) return a;
  let cf = getCF(r);
  let v = a;
  for (let j = 0; j < k; j++) {
    const out = v & 1;
    v = ((v >>> 1) | (cf << (bits - 1))) & m;
    cf = out;
  }
  // OF is defined for a count of 1: the XOR of the two top bits of the result.
  rotFlags(r, cf, ((v >>> (bits - 1)) ^ (v >>> (bits - 2))) & 1);
  return v;
}

/** Arithmetic flag bits for a result: SF/ZF/PF from it, CF/OF as given, AF clear. */
function resultBits(res: number, sz: number, cf: number, of: number): number {
  const v = res & SIZE_MASK[sz];
  return (cf ? CF : 0) | (of ? OF : 0) | (v === 0 ? ZF : 0) | (v & SIZE_SIGN[sz] ? SF : 0) | (PARITY[v & 0xff] ? PF : 0);
}

/** Sets SF/ZF/PF from a result and CF/OF explicitly; AF cleared. */
function resultFlags(r: Int32Array, res: number, sz: number, cf: number, of: number): void {
  setArith(r, ARITH_FLAGS, resultBits(res, sz, cf, of));
}

// SHLD/SHRD. The SDM leaves the result of a 16-bit shift by more than 16 undefined, and OF (for
// counts above 1) and AF always; these are what the reference CPU (AMD Zen 4, checked by the
// generated ISA tests) produces, since software ends up depending on them:
//  - 16-bit counts 17-31 rotate the second operand alone: the result is b rotated by n - 16
//    (left for shld, right for shrd), with CF = 0;
//  - OF after shld is the new sign XOR CF (CF alone for a 16-bit count of 16, 0 above it);
//    after shrd it is the XOR of the result's two top bits;
//  - AF is set.

/** SHLD: shifts `a` left by n, filling from the top of `b`. n masked to 5 bits. */
export function shld(r: Int32Array, a: number, b: number, n: number, sz: number): number {
  const m = SIZE_MASK[sz];
  a &= m;
  if (n === 0) return a;
  let res: number, cf: number, of: number;
  if (sz === 2) {
    res = (a << n) | (b >>> (32 - n));
    cf = (a >>> (32 - n)) & 1;
    of = ((res >>> 31) ^ cf) & 1;
  } else if (n <= 16) {
    res = ((((a << 16) | (b & 0xffff)) << n) >>> 16) & 0xffff;
    cf = (a >>> (16 - n)) & 1;
    of = n === 16 ? cf : ((res >>> 15) ^ cf) & 1;
  } else {
    const k = n - 16;
    b &= 0xffff;
    res = ((b << k) | (b >>> (16 - k))) & 0xffff;
    cf = 0;
    of = 0;
  }
  res &= m;
  setArith(r, ARITH_FLAGS, resultBits(res, sz, cf, of) | AF);
  return res;
}

/** SHRD: shifts `a` right by n, filling from the bottom of `b`. n masked to 5 bits. */
export function shrd(r: Int32Array, a: number, b: number, n: number, sz: number): number {
  const m = SIZE_MASK[sz];
  a &= m;
  if (n === 0) return a;
  let res: number, cf: number;
  if (sz === 2) {
    res = (a >>> n) | (b << (32 - n));
    cf = (a >>> (n - 1)) & 1;
  } else if (n <= 16) {
    res = ((((b & 0xffff) << 16) | a) >>> n) & 0xffff;
    cf = (a >>> (n - 1)) & 1;
  } else {
    const k = n - 16;
    b &= 0xffff;
    res = ((b >>> k) | (b << (16 - k))) & 0xffff;
    cf = 0;
  }
  res &= m;
  const top = sz === 2 ? 31 : 15;
  setArith(r, ARITH_FLAGS, resultBits(res, sz, cf, ((res >>> top) ^ (res >>> (top - 1))) & 1) | AF);
  return res;
}

/** High 32 bits of the unsigned 64-bit product of two 32-bit values. */
export function mulHiU32(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const lo = a0 * b0;
  const mid1 = a1 * b0 + (lo >>> 16);
  const mid2 = a0 * b1 + (mid1 & 0xffff);
  return (a1 * b1 + Math.floor(mid1 / 65536) + Math.floor(mid2 / 65536)) | 0;
}

/** High 32 bits of the signed 64-bit product. */
export function mulHiS32(a: number, b: number): number {
  let hi = mulHiU32(a, b);
  if (a < 0) hi = (hi - b) | 0;
  if (b < 0) hi = (hi - a) | 0;
  return hi;
}

/** Flags after MUL/IMUL: CF = OF = `overflow`; SF/ZF/PF follow the low result, AF clear. */
export function mulFlags(r: Int32Array, low: number, sz: number, overflow: boolean): void {
  resultFlags(r, low, sz, overflow ? 1 : 0, overflow ? 1 : 0);
}

/** Whether the truncated two-/three-operand IMUL of a and b overflowed. */
function imulOverflow(a: number, b: number, res: number, sz: number): boolean {
  if (sz === 2) return mulHiS32(a, b) !== res >> 31;
  return signExtend(res, sz) !== signExtend(a, sz) * signExtend(b, sz);
}

/** Two- and three-operand IMUL: truncated product, flags set on signed overflow. */
export function imulTrunc(r: Int32Array, a: number, b: number, sz: number): number {
  const res = sz === 2 ? Math.imul(a, b) : (signExtend(a, sz) * signExtend(b, sz)) & SIZE_MASK[sz];
  mulFlags(r, res, sz, imulOverflow(a, b, res, sz));
  return res;
}

/** EFLAGS after a truncated IMUL producing `res`, for code holding flags in a value. */
export function imulFlags(flags: number, a: number, b: number, res: number, sz: number): number {
  const of = imulOverflow(a, b, res, sz) ? 1 : 0;
  return (flags & ~ARITH_FLAGS) | resultBits(res, sz, of, of);
}

/** Quotient and remainder of the last divU64/divS64 call. */
export const divResult = { q: 0, r: 0 };

/** Unsigned (hi:lo) / d for 32-bit hi, lo, d; returns false on divide error (d = 0 or the
 *  quotient does not fit 32 bits). Exact: every intermediate stays below 2^53. */
export function divU64(hi: number, lo: number, d: number): boolean {
  const dd = d >>> 0, h = hi >>> 0;
  if (dd === 0 || h >= dd) return false;
  let rem = h;
  const t1 = rem * 65536 + (lo >>> 16);
  const q1 = Math.floor(t1 / dd);
  rem = t1 - q1 * dd;
  const t0 = rem * 65536 + (lo & 0xffff);
  const q0 = Math.floor(t0 / dd);
  rem = t0 - q0 * dd;
  divResult.q = (q1 * 65536 + q0) | 0;
  divResult.r = rem | 0;
  return true;
}

/** Signed (hi:lo) / d, truncating toward zero; false on divide error. */
export function divS64(hi: number, lo: number, d: number): boolean {
  if (d === 0) return false;
  const negN = hi < 0;
  let nh = hi, nl = lo;
  if (negN) {
    // 64-bit negate
    nl = -lo | 0;
    nh = (~hi + (lo === 0 ? 1 : 0)) | 0;
  }
  const negD = d < 0;
  const ad = negD ? -d | 0 : d;
  if (!divU64(nh, nl, ad)) return false;
  let q = divResult.q >>> 0;
  let rem = divResult.r >>> 0;
  const qneg = negN !== negD;
  if (qneg ? q > 0x80000000 : q > 0x7fffffff) return false;
  divResult.q = qneg ? -q | 0 : q | 0;
  divResult.r = negN ? -rem | 0 : rem | 0;
  return true;
}

/** BSF/BSR: index of lowest/highest set bit; ZF set (and -1 returned) when the source is zero. */
export function bitScan(r: Int32Array, v: number, sz: number, reverse: boolean): number {
  v &= SIZE_MASK[sz];
  if (v === 0) {
    setArith(r, ZF, ZF);
    return -1;
  }
  setArith(r, ZF, 0);
  return reverse ? 31 - Math.clz32(v) : 31 - Math.clz32(v & -v);
}

/** Sets CF to one bit (BT family); the other flags keep their values. */
export function setCF(r: Int32Array, bit: number): void {
  setArith(r, CF, bit ? CF : 0);
}

export { getCF, getOF, getFlags, AF };
