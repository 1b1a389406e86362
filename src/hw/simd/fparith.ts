// Scalar floating-point lanes: one operation on one float or double lane of the SSE register
// file (indices are lane indices into `Cpu.sse.f32` / `f64`), with the CPU's result bits and
// exception flags. Both engines call these.
//
// Fast path: with MXCSR's control bits in their default state (round to nearest, everything
// masked, no DAZ/FTZ) and normal or zero operands and result, JavaScript arithmetic is exactly
// IEEE binary64 (single precision: Math.fround of the double result, which is correctly rounded
// since 53 >= 2 * 24 + 2), so the only flag left to find is PE, and only while it is still
// clear (it is sticky): then an error-free transformation (TwoSum, Dekker's product) tells
// whether the result is exact. Everything else takes the exact path (softfloat.ts) on the
// operands' bit patterns, so NaN payloads never pass through JavaScript numbers.
// A fast function returns NaN for "not decided here" (a fast result is never a NaN).

import type { Cpu } from "../cpu.js";
import { MXCSR } from "../state.js";
import { exc, PE, CONTROL, MXCSR_DEFAULT, DAZ } from "./state.js";
import {
  F32, F64, type Format, OP_ADD, OP_SUB, OP_MUL, OP_DIV, arith as softArith, sqrt as softSqrt, compare as softCompare,
  convert as softConvert, fromInt, toInt, roundIntegral, unpack, quiet, defaultNaN, infinity, zero, INF, ZERO, DENORMAL, QNAN, SNAN,
} from "./softfloat.js";

export { OP_ADD, OP_SUB, OP_MUL, OP_DIV };

const MIN64 = 2.2250738585072014e-308, MAX64 = 1.7976931348623157e308;
const MIN32 = 1.1754943508222875e-38, MAX32 = 3.4028234663852886e38;
/** Bounds inside which Dekker's product is exact (no overflow in the split, no underflow in
 *  the partial products). */
const SPLIT_MAX = 2 ** 995, PROD_MIN = 2 ** -960, PROD_MAX = 2 ** 1000;
const SPLITTER = 134217729;

function normal64(x: number): boolean {
  const m = Math.abs(x);
  return m >= MIN64 && m <= MAX64;
}
function normal32(x: number): boolean {
  const m = Math.abs(x);
  return m >= MIN32 && m <= MAX32;
}

/** A rounded product, quotient or narrowing that is normal and not the smallest normal: the
 *  smallest normal may be a tiny exact value rounded up, which x86 calls an underflow when the
 *  value rounded with an unbounded exponent stays below it (the exact path decides that). */
function above64(x: number): boolean {
  const m = Math.abs(x);
  return m > MIN64 && m <= MAX64;
}
function above32(x: number): boolean {
  const m = Math.abs(x);
  return m > MIN32 && m <= MAX32;
}

/** a * b - p exactly (p = fl(a * b)), within the SPLIT_MAX/PROD_MIN bounds. */
function productError(a: number, b: number, p: number): number {
  let t = SPLITTER * a;
  const ah = t - (t - a), al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b), bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

function dekkerOk(a: number, b: number): boolean {
  return Math.abs(a) <= SPLIT_MAX && Math.abs(b) <= SPLIT_MAX;
}

/** a op b in binary64, or NaN when the exact path must decide. */
export function fast64(op: number, a: number, b: number, mx: number): number {
  if ((mx & CONTROL) !== MXCSR_DEFAULT) return NaN;
  const zeroA = a === 0;
  if (!(zeroA || normal64(a))) return NaN;
  let r: number;
  switch (op) {
    case OP_ADD:
    case OP_SUB: {
      if (!(b === 0 || normal64(b))) return NaN;
      const bb = op === OP_SUB ? -b : b;
      r = a + bb;
      if (!(r === 0 || normal64(r))) return NaN;
      if ((mx & PE) === 0) {
        const z = r - a;
        if (a - (r - z) + (bb - z) !== 0) exc.post |= PE;
      }
      return r;
    }
    case OP_MUL:
      if (!(b === 0 || normal64(b))) return NaN;
      r = a * b;
      if (r === 0) return zeroA || b === 0 ? r : NaN;
      if (!above64(r)) return NaN;
      if ((mx & PE) === 0) {
        if (!dekkerOk(a, b) || Math.abs(r) < PROD_MIN || Math.abs(r) > PROD_MAX) return NaN;
        if (productError(a, b, r) !== 0) exc.post |= PE;
      }
      return r;
    default: // OP_DIV
      if (!normal64(b)) return NaN;
      r = a / b;
      if (r === 0) return zeroA ? r : NaN;
      if (!above64(r)) return NaN;
      if ((mx & PE) === 0) {
        if (!dekkerOk(r, b) || Math.abs(a) < PROD_MIN || Math.abs(a) > PROD_MAX) return NaN;
        const p = r * b;
        if (p !== a || productError(r, b, p) !== 0) exc.post |= PE;
      }
      return r;
  }
}

/** a op b in binary32 (operands are floats held in doubles), or NaN. */
export function fast32(op: number, a: number, b: number, mx: number): number {
  if ((mx & CONTROL) !== MXCSR_DEFAULT) return NaN;
  const zeroA = a === 0;
  if (!(zeroA || normal32(a))) return NaN;
  let d: number;
  switch (op) {
    case OP_ADD:
    case OP_SUB: {
      if (!(b === 0 || normal32(b))) return NaN;
      const bb = op === OP_SUB ? -b : b;
      d = a + bb;
      const r = Math.fround(d);
      if (!(r === 0 || normal32(r))) return NaN;
      if ((mx & PE) === 0) {
        const z = d - a;
        if (r !== d || a - (d - z) + (bb - z) !== 0) exc.post |= PE;
      }
      return r;
    }
    case OP_MUL: {
      if (!(b === 0 || normal32(b))) return NaN;
      d = a * b; // exact: 24 + 24 bits
      const r = Math.fround(d);
      if (r === 0) return zeroA || b === 0 ? r : NaN;
      if (!above32(r)) return NaN;
      if ((mx & PE) === 0 && r !== d) exc.post |= PE;
      return r;
    }
    default: {
      if (!normal32(b)) return NaN;
      const r = Math.fround(a / b);
      if (r === 0) return zeroA ? r : NaN;
      if (!above32(r)) return NaN;
      if ((mx & PE) === 0 && r * b !== a) exc.post |= PE; // r * b is exact in binary64
      return r;
    }
  }
}

// ---- bit access for the exact path ----

export function get64(c: Cpu, i: number): bigint {
  const u = c.sse.u32;
  return (BigInt(u[i * 2 + 1]) << 32n) | BigInt(u[i * 2]);
}

export function put64(c: Cpu, i: number, v: bigint): void {
  const x = c.sse.i32;
  x[i * 2] = Number(v & 0xffffffffn);
  x[i * 2 + 1] = Number((v >> 32n) & 0xffffffffn);
}

export function get32(c: Cpu, i: number): bigint {
  return BigInt(c.sse.u32[i]);
}

export function put32(c: Cpu, i: number, v: bigint): void {
  c.sse.u32[i] = Number(v & 0xffffffffn);
}

// ---- lane operations ----

/** f64[di] = f64[ai] op f64[bi]. */
export function arith64(c: Cpu, op: number, di: number, ai: number, bi: number): void {
  const F = c.sse.f64;
  const r = fast64(op, F[ai], F[bi], c.r[MXCSR]);
  if (r === r) F[di] = r;
  else put64(c, di, softArith(F64, op, get64(c, ai), get64(c, bi), c.r[MXCSR]));
}

/** f32[di] = f32[ai] op f32[bi]. */
export function arith32(c: Cpu, op: number, di: number, ai: number, bi: number): void {
  const F = c.sse.f32;
  const r = fast32(op, F[ai], F[bi], c.r[MXCSR]);
  if (r === r) F[di] = r;
  else put32(c, di, softArith(F32, op, get32(c, ai), get32(c, bi), c.r[MXCSR]));
}

export function sqrt64(c: Cpu, di: number, ai: number): void {
  const F = c.sse.f64, mx = c.r[MXCSR], a = F[ai];
  if ((mx & CONTROL) === MXCSR_DEFAULT && (a === 0 || (a > 0 && normal64(a)))) {
    const r = Math.sqrt(a);
    if ((mx & PE) === 0) {
      if (a !== 0 && (!dekkerOk(r, r) || a < PROD_MIN || a > PROD_MAX)) {
        put64(c, di, softSqrt(F64, get64(c, ai), mx));
        return;
      }
      const p = r * r;
      if (p !== a || productError(r, r, p) !== 0) exc.post |= PE;
    }
    F[di] = r;
    return;
  }
  put64(c, di, softSqrt(F64, get64(c, ai), mx));
}

export function sqrt32(c: Cpu, di: number, ai: number): void {
  const F = c.sse.f32, mx = c.r[MXCSR], a = F[ai];
  if ((mx & CONTROL) === MXCSR_DEFAULT && (a === 0 || (a > 0 && normal32(a)))) {
    const r = Math.fround(Math.sqrt(a));
    if ((mx & PE) === 0 && r * r !== a) exc.post |= PE; // exact product of two floats
    F[di] = r;
    return;
  }
  put32(c, di, softSqrt(F32, get32(c, ai), mx));
}

function isDenormal(x: number, min: number): boolean {
  return x !== 0 && Math.abs(x) < min;
}

/** Compares lanes: -1 less, 0 equal, 1 greater, 2 unordered (flags as softfloat.compare). */
export function compare64(c: Cpu, ai: number, bi: number, signalQuiet: boolean): number {
  const F = c.sse.f64, a = F[ai], b = F[bi];
  if (a === a && b === b && !isDenormal(a, MIN64) && !isDenormal(b, MIN64)) return a < b ? -1 : a > b ? 1 : 0;
  return softCompare(F64, get64(c, ai), get64(c, bi), c.r[MXCSR], signalQuiet);
}

export function compare32(c: Cpu, ai: number, bi: number, signalQuiet: boolean): number {
  const F = c.sse.f32, a = F[ai], b = F[bi];
  if (a === a && b === b && !isDenormal(a, MIN32) && !isDenormal(b, MIN32)) return a < b ? -1 : a > b ? 1 : 0;
  return softCompare(F32, get32(c, ai), get32(c, bi), c.r[MXCSR], signalQuiet);
}

/** min (max when `isMax`): the second operand unless the first is strictly less (greater),
 *  so NaNs and equal zeros give the second; IE for any NaN, DE for denormals. */
function minMaxBits(f: Format, a: bigint, b: bigint, mx: number, isMax: boolean): bigint {
  const daz = (mx & DAZ) !== 0;
  const ua = unpack(f, a, daz), ub = unpack(f, b, daz);
  const rel = softCompare(f, a, b, mx, true);
  const pick = rel !== 2 && (isMax ? rel > 0 : rel < 0) ? ua : ub;
  return pick.cls === ZERO ? zero(f, pick.sign) : pick.bits;
}

export function minmax64(c: Cpu, di: number, ai: number, bi: number, isMax: boolean): void {
  const F = c.sse.f64, a = F[ai], b = F[bi];
  if (a === a && b === b && !isDenormal(a, MIN64) && !isDenormal(b, MIN64)) {
    F[di] = (isMax ? a > b : a < b) ? a : b;
    return;
  }
  put64(c, di, minMaxBits(F64, get64(c, ai), get64(c, bi), c.r[MXCSR], isMax));
}

export function minmax32(c: Cpu, di: number, ai: number, bi: number, isMax: boolean): void {
  const F = c.sse.f32, a = F[ai], b = F[bi];
  if (a === a && b === b && !isDenormal(a, MIN32) && !isDenormal(b, MIN32)) {
    F[di] = (isMax ? a > b : a < b) ? a : b;
    return;
  }
  put32(c, di, minMaxBits(F32, get32(c, ai), get32(c, bi), c.r[MXCSR], isMax));
}

// ---- conversions ----

/** f64[di] = (double) f32[ai]. */
export function f32to64(c: Cpu, di: number, ai: number): void {
  const a = c.sse.f32[ai];
  if (a === 0 || normal32(a)) c.sse.f64[di] = a;
  else put64(c, di, softConvert(F32, F64, get32(c, ai), c.r[MXCSR]));
}

/** f32[di] = (float) f64[ai]. */
export function f64to32(c: Cpu, di: number, ai: number): void {
  const a = c.sse.f64[ai], mx = c.r[MXCSR];
  if ((mx & CONTROL) === MXCSR_DEFAULT && (a === 0 || normal64(a))) {
    const r = Math.fround(a);
    if (r === 0 ? a === 0 : above32(r)) {
      if (r !== a) exc.post |= PE;
      c.sse.f32[di] = r;
      return;
    }
  }
  put32(c, di, softConvert(F64, F32, get64(c, ai), mx));
}

/** A signed 32-bit integer to a lane (`double`: f64, else f32). */
export function fromInt32(c: Cpu, di: number, v: number, double: boolean): void {
  if (double) {
    c.sse.f64[di] = v;
    return;
  }
  const mx = c.r[MXCSR], r = Math.fround(v);
  if ((mx & CONTROL) === MXCSR_DEFAULT) {
    if (r !== v) exc.post |= PE;
    c.sse.f32[di] = r;
  } else {
    put32(c, di, fromInt(F32, BigInt(v), mx));
  }
}

/** A lane to a signed integer of 32 bits: truncated (`trunc`) or rounded by MXCSR; the integer
 *  indefinite (0x80000000) with IE when NaN or out of range. */
export function toInt32(c: Cpu, ai: number, double: boolean, trunc: boolean): number {
  const mx = c.r[MXCSR];
  const a = double ? c.sse.f64[ai] : c.sse.f32[ai];
  const rc = trunc ? 3 : (mx >> 13) & 3;
  if ((mx & CONTROL & ~0x6000) === (MXCSR_DEFAULT & ~0x6000) && (rc === 0 || rc === 3) && Math.abs(a) < 2147483648) {
    let r = Math.trunc(a);
    if (rc === 0) {
      r = Math.round(a);
      if (r - a === 0.5 && r % 2 !== 0) r -= 1;
    }
    if (r <= 2147483647) {
      if (r !== a) exc.post |= PE;
      return r | 0;
    }
  }
  const f = double ? F64 : F32;
  return Number(toInt(f, double ? get64(c, ai) : get32(c, ai), mx, rc, 32)) | 0;
}

/** roundss/sd/ps/pd: the lane rounded to an integral value by `rc` (0-3); PE unless
 *  `noPE`. */
export function roundLane(c: Cpu, di: number, ai: number, double: boolean, rc: number, noPE: boolean): void {
  const mx = c.r[MXCSR];
  const a = double ? c.sse.f64[ai] : c.sse.f32[ai];
  if ((mx & CONTROL & ~0x6000) === (MXCSR_DEFAULT & ~0x6000) && (double ? normal64(a) : normal32(a))) {
    let r = rc === 1 ? Math.floor(a) : rc === 2 ? Math.ceil(a) : Math.trunc(a);
    if (rc === 0) {
      r = Math.round(a);
      if (r - a === 0.5 && r % 2 !== 0) r -= 1;
    }
    if (r !== a && !noPE) exc.post |= PE;
    if (double) c.sse.f64[di] = r;
    else c.sse.f32[di] = r;
    return;
  }
  if (double) put64(c, di, roundIntegral(F64, get64(c, ai), mx, rc, noPE));
  else put32(c, di, roundIntegral(F32, get32(c, ai), mx, rc, noPE));
}

/** rcpps/rcpss (`rsqrt` false) and rsqrtps/rsqrtss: approximations (the architecture promises
 *  a relative error of at most 1.5 * 2^-12; these are correctly rounded singles). No flags;
 *  denormal inputs act as zeros and results below the normal range flush to zero. */
export function approx32(c: Cpu, di: number, ai: number, rsqrt: boolean): void {
  const bits = get32(c, ai);
  const a = unpack(F32, bits, true);
  let r: bigint;
  if (a.cls === QNAN || a.cls === SNAN) r = quiet(F32, bits);
  else if (a.cls === ZERO || a.cls === DENORMAL) r = infinity(F32, a.sign);
  else if (a.cls === INF) r = rsqrt && a.sign ? defaultNaN(F32) : zero(F32, a.sign);
  else if (rsqrt && a.sign) r = defaultNaN(F32);
  else {
    const x = c.sse.f32[ai];
    const v = Math.fround(rsqrt ? 1 / Math.sqrt(x) : 1 / x);
    c.sse.f32[di] = Math.abs(v) < MIN32 ? (v < 0 ? -0 : 0) : v;
    return;
  }
  put32(c, di, r);
}

/** A 32-bit signed integer as a float lane rounded by MXCSR (cvtdq2ps), or exact (double). */
export { fromInt as softFromInt };
