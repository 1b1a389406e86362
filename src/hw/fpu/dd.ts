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
const BE_LO = 1023 - SAFE, BE_HI = 1023 + SAFE;

const F = new Float64Array(1);
const W = new Int32Array(F.buffer);

/** POW2[k + POW_OFF] = 2^k for |k| <= 1074. */
export const POW_OFF = 1100;
export const POW2 = new Float64Array(2 * POW_OFF + 1);
for (let k = -1074; k <= 1023; k++) POW2[k + POW_OFF] = 2 ** k;

/** MAGIC[be] rounds a small double to the 64-bit grid of a value with biased double exponent be
 *  (1.5 * 2^(e - 11), whose ulp is 2^(e - 63)); HALFG[be] is half that grid. */
const MAGIC = new Float64Array(2048);
const HALFG = new Float64Array(2048);
for (let be = BE_LO - 2; be <= BE_HI + 2; be++) {
  MAGIC[be] = 1.5 * 2 ** (be - 1023 - 11);
  HALFG[be] = 2 ** (be - 1023 - 64);
}

const SPLIT = 134217729; // 2^27 + 1
const TINY_RATIO = 2 ** -38;

/** Rounds the exact value h + r + w to 64 bits into H[d], L[d] (see the header). */
function round64(H: Float64Array, L: Float64Array, d: number, h: number, r: number, w: number): number {
  F[0] = h;
  const hw = W[1];
  let be = (hw >>> 20) & 0x7ff;
  if (be < BE_LO || be > BE_HI) return -1;
  const rs = r + w;
  // x just below a power of two h lives in the binade under it: the grid there is finer.
  if ((hw & 0xfffff) === 0 && W[0] === 0 && rs !== 0 && (rs < 0) !== (h < 0)) be--;
  const C = MAGIC[be];
  const t = (r + C) - C;
  let res = r - t;
  if (w !== 0) {
    res += w;
    if (Math.abs(res) >= HALFG[be]) return -1;
  }
  const hi = h + t;
  H[d] = hi;
  L[d] = t - (hi - h);
  if (res === 0) return 0;
  // res is exact - result: the magnitude went up when it points back toward zero, i.e. when
  // res * h is negative. Read as a sign bit: a branch on it would be mispredicted half the time.
  F[0] = res * h;
  return PE | ((W[1] >>> 31) << 9);
}

/** H/L[d] = sa * pair a + sb * pair b (signs +1 or -1). Operands and result are passed by
 *  register index: doubles passed to a call that V8 does not inline are boxed on the heap. */
export function ddAdd(H: Float64Array, L: Float64Array, d: number, a: number, sa: number, b: number, sb: number): number {
  const ah = sa * H[a], al = sa * L[a], bh = sb * H[b], bl = sb * L[b];
  if (ah === 0 || bh === 0) {
    if (bh === 0) {
      H[d] = ah + bh; // keeps a, or gives the IEEE sum of two zeros
      L[d] = al;
    } else {
      H[d] = bh;
      L[d] = bl;
    }
    return 0;
  }
  const aa = Math.abs(ah), ab = Math.abs(bh);
  if (ab < aa * TINY_RATIO || aa < ab * TINY_RATIO) return -1;
  // s + e = ah + bh exactly; y = e + al + bl is exact while the exponents are within 40.
  const s = ah + bh;
  const bb = s - ah;
  const e = (ah - (s - bb)) + (bh - bb);
  const y = (e + al) + bl;
  const h = s + y;
  if (h === 0) {
    H[d] = 0; // exact cancellation: +0 when rounding to nearest
    L[d] = 0;
    return 0;
  }
  const hb = h - s;
  const r = (s - (h - hb)) + (y - hb);
  return round64(H, L, d, h, r, 0);
}

/** H/L[d] = pair a * pair b. */
export function ddMul(H: Float64Array, L: Float64Array, d: number, a: number, b: number): number {
  const ah = H[a], al = L[a], bh = H[b], bl = L[b];
  const p = ah * bh;
  if (p === 0) {
    if (ah !== 0 && bh !== 0) return -1; // underflow
    H[d] = p;
    L[d] = 0;
    return 0;
  }
  let c = SPLIT * ah;
  const a1 = c - (c - ah), a2 = ah - a1;
  c = SPLIT * bh;
  const b1 = c - (c - bh), b2 = bh - b1;
  // p + e = ah * bh exactly (Dekker); the cross and low terms in two exact groups.
  const e = ((a1 * b1 - p) + a1 * b2 + a2 * b1) + a2 * b2;
  const A = a1 * bl + b1 * al;
  const B = (a2 * bl + b2 * al) + al * bl;
  const z1 = e + A;
  const zb = z1 - e;
  const z2 = (e - (z1 - zb)) + (A - zb);
  const w = z2 + B;
  const h = p + z1;
  const hb = h - p;
  const r = (p - (h - hb)) + (z1 - hb);
  return round64(H, L, d, h, r, w);
}

/** Compares canonical pairs a and b: -1, 0 or 1. */
export function ddCompare(H: Float64Array, L: Float64Array, a: number, b: number): number {
  const ah = H[a], bh = H[b];
  if (ah !== bh) return ah < bh ? -1 : 1;
  const al = L[a], bl = L[b];
  if (al !== bl) return al < bl ? -1 : 1;
  return 0;
}

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

// ---- memory formats ----

const F32 = new Float32Array(1);
const I32F = new Int32Array(F32.buffer);

/** Puts an m64 operand (low, high words) into H[d] as a pair's hi (the caller zeroes lo); false
 *  when the fast path cannot hold it (denormal, infinity, NaN, or an exponent beyond SAFE). */
export function ddLoadF64(H: Float64Array, d: number, lo: number, hi: number): boolean {
  const e = (hi >>> 20) & 0x7ff;
  if ((e < BE_LO || e > BE_HI) && (((hi & 0x7fffffff) | lo) !== 0 || e !== 0)) return false;
  W[0] = lo;
  W[1] = hi;
  H[d] = F[0];
  return true;
}

/** Puts an m32 operand (bits) into H[d]; false for denormals, infinities and NaNs. */
export function ddLoadF32(H: Float64Array, d: number, b: number): boolean {
  const e = (b >>> 23) & 0xff;
  if ((e === 0 && (b & 0x7fffffff) !== 0) || e === 0xff) return false;
  I32F[0] = b;
  H[d] = F32[0];
  return true;
}

/** The IEEE words of the double h: BITS[0] low, BITS[1] high. */
export const BITS = W;
export function setF64Bits(H: Float64Array, s: number): void {
  F[0] = H[s];
}

/** Rounds the pair to single precision (to nearest), bits in SINGLE[0]; returns the status bits,
 *  or -1 on a tie or when the result is not a normal single. */
export const SINGLE = I32F;
export function ddToF32(H: Float64Array, L: Float64Array, s: number): number {
  const h = H[s], l = L[s];
  if (h === 0) {
    F32[0] = h;
    return 0;
  }
  const f = Math.fround(h);
  F32[0] = f;
  const e = (I32F[0] >>> 23) & 0xff;
  if (e === 0 || e >= 0xfe) return -1;
  const r = (h - f) + l; // exact: v - f
  // f = RN24(h) is RN24(v) unless v reaches the midpoint to f's neighbour (half an ulp of f, or
  // a quarter below a power of two): then, or on an exact tie, the exact core decides.
  let half = POW2[e - 127 - 24 + POW_OFF];
  if ((I32F[0] & 0x7fffff) === 0 && r !== 0 && (r < 0) !== (f < 0)) half *= 0.5;
  if (Math.abs(r) >= half) return -1;
  if (r === 0) return 0;
  return (r < 0) === (f < 0) ? PE : PE | C1;
}
