// The x87 fast path: 80-bit values held as exact double-double pairs, with arithmetic rounded
// to 64 bits exactly as the hardware rounds it.
//
// Why. glibc runs the x87 at 64-bit precision with round-to-nearest, so every fadd/fmul must be
// rounded to a 64-bit significand; a plain f64 result is wrong in the last 11 bits. The integer
// soft-float core (ext80.ts) is exact at every setting but costs ~30 ns per operation. Here a
// register whose value is normal and of moderate exponent is kept as hi + lo, where
// hi = RN53(v) and lo = v - hi exactly (canonical form: every 64-bit value has exactly one such
// pair, so comparisons are lexicographic and a store to m64 is just `hi`).
//
// How the rounding is exact. Each operation first computes its exact result as a sum of
// doubles with error-free transformations (TwoSum; Dekker's split for products):
//   x = h + r + w,  h = fl(x) or close to it, r = x - h's double part, |w| < 2^-12 of a 64-bit ulp.
// The 64-bit grid around x has spacing g = 2^(e(x) - 63), read off h's exponent bits (one below
// when h is a power of two and x lies under it). r is rounded to that grid with the magic-number
// trick ((r + 1.5*2^(e-11)) - 1.5*2^(e-11)), which rounds to nearest-even in grid units; since h
// is a multiple of 2^11 g, that parity is the parity of the whole 64-bit significand. w only
// matters near a half-grid point; if |(r - t) + w| reaches g/2 the operation gives up.
// The sign of the exact residual gives PE (inexact) and C1 (rounded up in magnitude).
//
// Every function returns -1 when it cannot decide within its preconditions (an exponent outside
// [-SAFE, SAFE], operands too far apart for the exact sum, a near-tie with a tiny tail): the
// caller then runs the integer core, which handles everything. Otherwise it returns the status
// bits to merge (0, PE, or PE|C1) and has written the canonical result to H[d], L[d].

/** Status word bits (state.ts has them too; repeated to keep this module free of imports). */
const PE = 0x20, C1 = 0x200;

/** Largest |unbiased exponent| a fast value may have: keeps splits, products and their error
 *  terms far from double overflow and underflow. */
export const SAFE = 880;
export const BE_LO = 1023 - SAFE, BE_HI = 1023 + SAFE;

export const SPLIT = 134217729; // 2^27 + 1, Dekker's splitter
export const TINY_RATIO = 2 ** -38;

const F = new Float64Array(1);
const W = new Int32Array(F.buffer);
const F32 = new Float32Array(1);
const I32F = new Int32Array(F32.buffer);

/** POW2[k + POW_OFF] = 2^k for -1074 <= k <= 1023. */
export const POW_OFF = 1100;
export const POW2 = new Float64Array(2 * POW_OFF + 1);
for (let k = -1074; k <= 1023; k++) POW2[k + POW_OFF] = 2 ** k;

/** MAGIC[be] rounds a small double to the 64-bit grid of a value with biased double exponent be
 *  (1.5 * 2^(e - 11), whose ulp is 2^(e - 63)); HALFG[be] is half that grid. */
export const MAGIC = new Float64Array(2048);
export const HALFG = new Float64Array(2048);
/** BINADE[be] = 2^(be - 1023), the bottom of the binade, for BE_LO <= be <= BE_HI only: 0
 *  elsewhere, which fails the binade test of ddAdd and ddMul (and of the JIT's inline copies,
 *  jit/x87.ts, which rely on that instead of testing the exponent range). */
export const BINADE = new Float64Array(2048);
for (let be = BE_LO - 2; be <= BE_HI + 2; be++) {
  MAGIC[be] = 1.5 * 2 ** (be - 1023 - 11);
  HALFG[be] = 2 ** (be - 1023 - 64);
}
for (let be = BE_LO; be <= BE_HI; be++) BINADE[be] = 2 ** (be - 1023);

// ---- the operations ----
//
// Written for the branch predictor: no branch depends on the sign of a value (random in most
// numerical code, and a mispredicted branch costs as much as the whole addition); the tests
// that guard the rare cases come first in each condition.

/** Rounds the exact value h + r + w to 64 bits into H[d], L[d] (see the header); returns the
 *  status (0, PE, or PE|C1) or -1. */
function round64(H: Float64Array, L: Float64Array, d: number, h: number, r: number, w: number): number {
  F[0] = h;
  const hw = W[1];
  let be = (hw >>> 20) & 0x7ff;
  if (be < BE_LO || be > BE_HI) return -1;
  // x just below a power of two h lies in the binade under it, where the grid is finer
  if ((hw & 0xfffff | W[0]) === 0) {
    const rs = r + w;
    if (rs !== 0 && (rs < 0) !== (h < 0)) be--;
  }
  const C = MAGIC[be];
  const t = r + C - C;
  const res = r - t + w; // exact - result
  if (w !== 0 && Math.abs(res) >= HALFG[be]) return -1;
  const half = HALFG[be] * 2048; // half an ulp of h (of the binade x is in)
  if (Math.abs(t) < half) {
    H[d] = h; // already canonical: h is the double nearest h + t
    L[d] = t;
  } else {
    const hi = h + t;
    H[d] = hi;
    L[d] = t - (hi - h);
  }
  // the magnitude went up when res points back toward zero: res * h negative (its sign bit,
  // which survives underflow; a branch on it would be mispredicted half the time)
  F[0] = res * h;
  const x = PE | ((W[1] >>> 31) << 9);
  return res === 0 ? 0 : x;
}

// ddAdd and ddMul round on the grid of the double nearest-ish result they get first (the sum
// s = RN(ah + bh), the product p = RN(ah * bh)) instead of the grid of h = RN(x), which only
// comes after the whole exact sum: the exponent read, the MAGIC constant and the binade bounds
// then come off the critical path of a chain of dependent operations (nbody's and mandelbrot's
// inner loops are such chains; the general path, ddAddGen/ddMulGen, is ~40% slower on one).
// Why it is exact. Let v be s (or p), 2^E <= |v| < 2^(E+1) its binade, g = 2^(E-63) the 64-bit
// grid of that binade, and x = v + y the exact result (y exact for the sum; y = z1 + w, z1 a
// double and |w| tiny, for the product). v is a double, so a multiple of 2^11 g: rounding y to
// the grid g (the magic-number trick, nearest-even in grid units; |y| < 2^(E-12) keeps y + C in
// C's binade) gives t with v + t = RN_g(x), and the grid parity is the parity of the whole
// 64-bit significand. RN_g(x) is RN64(x) when x lies in v's binade; the grid points 2^E and
// 2^(E+1) bound it, so x < 2^E gives RN_g(x) <= 2^E and x >= 2^(E+1) gives RN_g(x) >= 2^(E+1):
// a result hi = RN53(v + t) strictly inside (2^E, 2^(E+1)) in magnitude proves x is in the
// binade. Anything else (a result on or across a power of two, v out of range or zero, a
// near-tie the tail w could decide, a large y after cancellation) goes to the general path,
// which computes from scratch and is exact on its own. lo = t - (hi - v) is Fast2Sum, exact as
// |v| > |t|. The residual x - (v + t) has the sign of res (computed with one rounding, so its
// sign and zeroness are exact), and v has the sign of the result: PE and C1 as round64 gives.

/** H/L[d] = sa * pair a + sb * pair b (signs 1 or -1); returns the status or -1. Operands and
 *  result are passed by register index: doubles passed to a call that V8 does not inline are
 *  boxed on the heap. */
export function ddAdd(H: Float64Array, L: Float64Array, d: number, a: number, sa: number, b: number, sb: number): number {
  const ah = sa * H[a], al = sa * L[a], bh = sb * H[b], bl = sb * L[b];
  const s = ah + bh;
  F[0] = s;
  const be = (W[1] >>> 20) & 0x7ff;
  const aa = Math.abs(ah), ab = Math.abs(bh);
  // zeros (s or an operand), exponents out of range or too far apart: the general path
  if (be < BE_LO || be > BE_HI || ab < aa * TINY_RATIO || aa < ab * TINY_RATIO) return ddAddGen(H, L, d, a, sa, b, sb);
  const bb = s - ah;
  const y = ah - (s - bb) + (bh - bb) + (al + bl); // exact: see ddAddGen
  const C = MAGIC[be];
  const t = y + C - C;
  const hi = s + t;
  const P = BINADE[be], m = Math.abs(hi);
  if (Math.abs(y) >= P * 2 ** -12 || m <= P || m >= 2 * P) return ddAddGen(H, L, d, a, sa, b, sb);
  H[d] = hi;
  L[d] = t - (hi - s);
  const res = y - t; // exact - result, exactly
  F[0] = res * s;
  const x = PE | ((W[1] >>> 31) << 9);
  return res === 0 ? 0 : x;
}

/** H/L[d] = pair a * pair b; returns the status or -1. Dekker's product of the heads plus the
 *  cross terms (as ddMulGen), rounded on p's grid (see above ddAdd). */
export function ddMul(H: Float64Array, L: Float64Array, d: number, a: number, b: number): number {
  const ah = H[a], al = L[a], bh = H[b], bl = L[b];
  const p = ah * bh;
  F[0] = p;
  const be = (W[1] >>> 20) & 0x7ff;
  if (be < BE_LO || be > BE_HI) return ddMulGen(H, L, d, a, b); // zero, tiny or huge products
  let c = SPLIT * ah;
  const a1 = c - (c - ah), a2 = ah - a1;
  c = SPLIT * bh;
  const b1 = c - (c - bh), b2 = bh - b1;
  const e = a1 * b1 - p + a1 * b2 + a2 * b1 + a2 * b2; // p + e = ah * bh
  const A = a1 * bl + b1 * al;
  const B = a2 * bl + b2 * al + al * bl;
  const z1 = e + A;
  const zb = z1 - e;
  const w = e - (z1 - zb) + (A - zb) + B; // x = p + z1 + w
  const C = MAGIC[be];
  const t = z1 + C - C;
  const res = z1 - t + w; // exact - result, with one rounding
  const hi = p + t;
  const P = BINADE[be], m = Math.abs(hi);
  if ((w !== 0 && Math.abs(res) >= HALFG[be]) || m <= P || m >= 2 * P) return ddMulGen(H, L, d, a, b);
  H[d] = hi;
  L[d] = t - (hi - p);
  F[0] = res * p;
  const x = PE | ((W[1] >>> 31) << 9);
  return res === 0 ? 0 : x;
}

/** H/L[d] = sa * pair a + sb * pair b (signs 1 or -1); returns the status or -1. Operands and
 *  result are passed by register index: doubles passed to a call that V8 does not inline are
 *  boxed on the heap. Exponents within 38 of each other keep e + al + bl exact; a zero operand
 *  is left to the exact core. */
export function ddAddGen(H: Float64Array, L: Float64Array, d: number, a: number, sa: number, b: number, sb: number): number {
  const ah = sa * H[a], al = sa * L[a], bh = sb * H[b], bl = sb * L[b];
  if (bh === 0) {
    H[d] = ah + bh; // a + 0 is a; the IEEE sum for two zeros
    L[d] = al;
    return 0;
  }
  if (ah === 0) {
    H[d] = bh;
    L[d] = bl;
    return 0;
  }
  const aa = Math.abs(ah), ab = Math.abs(bh);
  if (ab < aa * TINY_RATIO || aa < ab * TINY_RATIO) return -1;
  // s + e = ah + bh exactly (TwoSum); y = e + al + bl exactly
  const s = ah + bh;
  const bb = s - ah;
  const e = ah - (s - bb) + (bh - bb);
  const y = e + (al + bl); // exact in any order; al + bl is computed beside the TwoSum
  const h = s + y;
  // the error of h: Fast2Sum when |s| >= |y| (all but cancellations), else TwoSum
  const hb = h - s;
  const r = Math.abs(s) >= Math.abs(y) ? y - hb : s - (h - hb) + (y - hb);
  if (h === 0) {
    H[d] = 0; // exact cancellation: +0 when rounding to nearest
    L[d] = 0;
    return 0;
  }
  return round64(H, L, d, h, r, 0);
}

/** H/L[d] = pair a * pair b; returns the status or -1. Dekker's product of the heads plus the
 *  cross terms in two exact groups; a zero product is left to the exact core. */
export function ddMulGen(H: Float64Array, L: Float64Array, d: number, a: number, b: number): number {
  const ah = H[a], al = L[a], bh = H[b], bl = L[b];
  const p = ah * bh;
  if (p === 0) {
    if (ah !== 0 && bh !== 0) return -1; // underflow
    H[d] = p; // a signed zero
    L[d] = 0;
    return 0;
  }
  let c = SPLIT * ah;
  const a1 = c - (c - ah), a2 = ah - a1;
  c = SPLIT * bh;
  const b1 = c - (c - bh), b2 = bh - b1;
  const e = a1 * b1 - p + a1 * b2 + a2 * b1 + a2 * b2; // p + e = ah * bh
  const A = a1 * bl + b1 * al;
  const B = a2 * bl + b2 * al + al * bl;
  const z1 = e + A;
  const zb = z1 - e;
  const w = e - (z1 - zb) + (A - zb) + B;
  const h = p + z1;
  const r = z1 - (h - p); // Fast2Sum: |z1| is about an ulp of p
  return round64(H, L, d, h, r, w);
}

/** Rounds a quotient or root known only approximately, as h + r within 2^-98 |h|, to 64 bits
 *  into H[d], L[d]. Returns -1 when that is not enough to decide (within 2^-30 of a grid step
 *  of a rounding midpoint), and NEAR when the value is that close to a grid point, which then
 *  goes to CH[0], CL[0] instead: it is the result, but whether it is exact, and on which side,
 *  needs a check (nearStatus). */
const NEAR = -2;
/** Scratch pairs for the exactness check of a quotient or root. */
const CH = new Float64Array(3), CL = new Float64Array(3);
function roundNear(H: Float64Array, L: Float64Array, d: number, h: number, r: number): number {
  F[0] = h;
  const hw = W[1];
  let be = (hw >>> 20) & 0x7ff;
  if (be < BE_LO || be > BE_HI) return -1;
  if ((hw & 0xfffff | W[0]) === 0 && r !== 0 && (r < 0) !== (h < 0)) be--;
  const C = MAGIC[be];
  const t = r + C - C;
  const res = r - t;
  const half = HALFG[be], margin = half * 2 ** -29;
  const ar = Math.abs(res);
  if (ar > half - margin) return -1;
  const hi = h + t;
  if (ar < margin) {
    CH[0] = hi;
    CL[0] = t - (hi - h);
    return NEAR;
  }
  H[d] = hi;
  L[d] = t - (hi - h);
  F[0] = res * h;
  return PE | ((W[1] >>> 31) << 9);
}

/** Writes the result q (in CH[0], CL[0]) near the exact x = a / b to H/L[d] and returns its
 *  status, from the rounded product q * b compared with a (b = q for a square root, x =
 *  sqrt(a)): exact when they are equal and the product exact; else q > x exactly when q * b > a
 *  for positive b. -1 (nothing written) if the product fails. */
function nearStatus(H: Float64Array, L: Float64Array, d: number, ah: number, al: number, bh: number, bl: number): number {
  CH[1] = bh;
  CL[1] = bl;
  const m = ddMul(CH, CL, 2, 0, 1);
  if (m < 0) return -1;
  const ph = CH[2], pl = CL[2];
  let side = (ph > ah ? 1 : 0) - (ph < ah ? 1 : 0) || (pl > al ? 1 : 0) - (pl < al ? 1 : 0);
  const q = CH[0];
  H[d] = q;
  L[d] = CL[0];
  if (side === 0) {
    if (m === 0) return 0;
    // the product rounded to a itself: it was rounded up (C1) when the exact one is nearer zero
    side = ((m & C1) !== 0) === (ah > 0) ? -1 : 1;
  }
  // sign(q - x) = sign(q * b - a) * sign(b); rounded up when that is the sign of q
  const qAbove = bh > 0 ? side > 0 : side < 0;
  return qAbove === q > 0 ? PE | C1 : PE;
}

/** H/L[d] = pair a / pair b; returns the status or -1. The double quotient plus a correction
 *  from the remainder a - q1 * b (exact up to the last additions) gives ~100 bits. */
export function ddDiv(H: Float64Array, L: Float64Array, d: number, a: number, b: number): number {
  const ah = H[a], al = L[a], bh = H[b], bl = L[b];
  if (bh === 0) return -1;
  if (ah === 0) {
    H[d] = ah / bh; // a signed zero
    L[d] = 0;
    return 0;
  }
  const q1 = ah / bh;
  let c = SPLIT * q1;
  const qa = c - (c - q1), qb = q1 - qa;
  c = SPLIT * bh;
  const ba = c - (c - bh), bb = bh - ba;
  const p = q1 * bh;
  const e = qa * ba - p + qa * bb + qb * ba + qb * bb; // p + e = q1 * bh
  const r1 = ah - p - e + al - qa * bl - qb * bl; // ah - p is exact
  const q2 = r1 / bh;
  const h = q1 + q2;
  const x = roundNear(H, L, d, h, q2 - (h - q1)); // Fast2Sum: |q2| is about an ulp of q1
  return x !== NEAR ? x : nearStatus(H, L, d, ah, al, bh, bl);
}

/** H/L[d] = sqrt(pair a); returns the status or -1 (also for zero and negative operands). */
export function ddSqrt(H: Float64Array, L: Float64Array, d: number, a: number): number {
  const ah = H[a], al = L[a];
  if (!(ah > 0)) return -1;
  const s1 = Math.sqrt(ah);
  const c = SPLIT * s1;
  const sa = c - (c - s1), sb = s1 - sa;
  const p = s1 * s1;
  const e = sa * sa - p + 2 * sa * sb + sb * sb; // p + e = s1 * s1
  const s2 = (ah - p - e + al) / (2 * s1);
  const h = s1 + s2;
  const x = roundNear(H, L, d, h, s2 - (h - s1)); // Fast2Sum
  return x !== NEAR ? x : nearStatus(H, L, d, ah, al, CH[0], CL[0]);
}

/** Order of canonical pairs a and b: a number with the sign of a - b. */
export function ddCompare(H: Float64Array, L: Float64Array, a: number, b: number): number {
  const ah = H[a], bh = H[b], al = L[a], bl = L[b];
  return ((ah > bh ? 1 : 0) - (ah < bh ? 1 : 0)) * 2 + (al > bl ? 1 : 0) - (al < bl ? 1 : 0);
}

/** Puts an m64 operand (low, high words) into pair d; false when the fast path cannot hold it
 *  (denormal, infinity, NaN, or an exponent beyond SAFE). */
export function ddLoadF64(H: Float64Array, L: Float64Array, d: number, lo: number, hi: number): boolean {
  const e = (hi >>> 20) & 0x7ff;
  if ((e < BE_LO || e > BE_HI) && (hi & 0x7fffffff | lo) !== 0) return false;
  W[0] = lo;
  W[1] = hi;
  H[d] = F[0];
  L[d] = 0;
  return true;
}

/** Puts an m32 operand (bits) into pair d; false for denormals, infinities and NaNs. */
export function ddLoadF32(H: Float64Array, L: Float64Array, d: number, b: number): boolean {
  const e = (b >>> 23) & 0xff;
  if ((e === 0 && (b & 0x7fffffff) !== 0) || e === 0xff) return false;
  I32F[0] = b;
  H[d] = F32[0];
  L[d] = 0;
  return true;
}

/** Rounds pair s to double: the words in BITS[0] (low) and BITS[1]; returns the status. hi is
 *  already the nearest double; the store is inexact when lo is not zero, and rounded up when lo
 *  points back toward zero. */
export function ddToF64(H: Float64Array, L: Float64Array, s: number): number {
  const h = H[s], l = L[s];
  F[0] = l * h;
  const x = PE | ((W[1] >>> 31) << 9);
  F[0] = h;
  return l === 0 ? 0 : x;
}
export const BITS = W;
/** BITS as the double it holds. */
export const BITS_F64 = F;

/** Rounds pair s to single: the bits in SINGLE[0]; returns the status or -1. f = RN24(hi) is
 *  RN24(value) unless the value reaches the midpoint to f's neighbour (half an ulp of f, a
 *  quarter below a power of two): then, on an exact tie, and for results that are not normal
 *  singles (zero aside), the exact core decides. */
export function ddToF32(H: Float64Array, L: Float64Array, s: number): number {
  const h = H[s], l = L[s];
  const f = Math.fround(h);
  F32[0] = f;
  const bits = I32F[0];
  const e = (bits >>> 23) & 0xff;
  const r = h - f + l; // exact: value - f
  let half = POW2[e - 127 - 24 + POW_OFF];
  if ((bits & 0x7fffff) === 0 && r * f < 0) half *= 0.5;
  if ((e === 0 && h !== 0) || e >= 0xfe || Math.abs(r) >= half) return -1;
  F[0] = r * f;
  const x = PE | ((W[1] >>> 31) << 9);
  return r === 0 ? 0 : x;
}
export const SINGLE = I32F;

/** Converts an 80-bit encoding to a pair in H[r], L[r]; false when it is not a zero or a normal
 *  value with |exponent| <= SAFE. */
export function ddDecode(H: Float64Array, L: Float64Array, r: number, se: number, mh: number, ml: number): boolean {
  const e = se & 0x7fff;
  const neg = (se & 0x8000) !== 0;
  if (mh >= 0) {
    if (e !== 0 || (mh | ml) !== 0) return false;
    H[r] = neg ? -0 : 0;
    L[r] = 0;
    return true;
  }
  const k = e - 16383;
  if (k < -SAFE || k > SAFE) return false;
  const top = (mh >>> 0) * 4294967296;
  const low = ml >>> 0;
  const hi = top + low; // RN53 of the significand
  const lo = (top - hi) + low;
  const scale = POW2[k - 63 + POW_OFF];
  H[r] = neg ? -hi * scale : hi * scale;
  L[r] = neg ? -lo * scale : lo * scale;
  return true;
}

/** The 80-bit encoding of a canonical pair: [sign/exponent, significand high, low] in ENC. */
export const ENC = new Int32Array(3);

export function ddEncode(h: number, l: number): void {
  if (h === 0) {
    ENC[0] = 1 / h < 0 ? 0x8000 : 0;
    ENC[1] = 0;
    ENC[2] = 0;
    return;
  }
  F[0] = h;
  const hw = W[1];
  let k = ((hw >>> 20) & 0x7ff) - 1023;
  if ((hw & 0xfffff) === 0 && W[0] === 0 && l !== 0 && (l < 0) !== (h < 0)) k--;
  const scale = POW2[63 - k + POW_OFF];
  const neg = h < 0;
  const hs = (neg ? -h : h) * scale; // a multiple of 2^11 below 2^64 (2^64 itself when k was lowered)
  const ls = (neg ? -l : l) * scale; // an integer, |ls| <= 2^11
  let mh = Math.floor(hs * (1 / 4294967296));
  let ml = (hs - mh * 4294967296) + ls;
  if (ml < 0) {
    ml += 4294967296;
    mh -= 1;
  } else if (ml >= 4294967296) {
    ml -= 4294967296;
    mh += 1;
  }
  ENC[0] = (neg ? 0x8000 : 0) | (k + 16383);
  ENC[1] = mh | 0;
  ENC[2] = ml | 0;
}
