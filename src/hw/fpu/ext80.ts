// Exact 80-bit (x87 double-extended) arithmetic.
//
// Design. Values stay in their exact x87 encoding: a 16-bit sign/exponent word and a 64-bit
// significand held as two 32-bit words. The core is a small soft-float unit in the style of
// Berkeley SoftFloat's extF80 routines (same rounding, tininess-after-rounding and NaN rules as
// its 8086 specialisation, which match the hardware), written so that V8 keeps everything in
// int32/double registers:
//   - no allocation: results go to the module-level Int32Array `R` (sign/exponent, significand
//     words, exception flags), intermediate words to module-level numbers;
//   - add/sub work on three 32-bit words (64-bit significand plus a round/sticky word) with
//     carries computed exactly in doubles (sums of two uint32 stay below 2^53);
//   - multiplication splits each significand into four 16-bit limbs; the 16 partial products
//     and their column sums are exact in doubles, so a 128-bit product costs ~40 flops;
//   - division and square root get a 53-bit estimate from the FPU's own double arithmetic,
//     refine it to a 66+-bit candidate with exact integer remainders (the 16-bit-limb
//     multiplier again), and decide the last bits exactly (remainder sign): no BigInt;
//   - one rounding routine (`roundTo`) handles precision control 24/53/64, all four rounding
//     modes, the extended exponent range, denormals (gradual underflow), overflow, and reports
//     PE/UE/OE plus "rounded up" (C1), for the register format and the m32/m64 formats alike.
// So every basic operation is exact at every precision and rounding setting, with no separate
// slow path for huge exponents or denormals: they are the same integer code. JS doubles alone
// cannot do this (glibc runs the x87 at 64-bit precision), and a double fast path would only
// help when values come straight from memory, which chained register arithmetic rarely does.

import { IE, DE, ZE, OE, UE, PE, C1 } from "./state.js";

export const BIAS = 16383;
/** Biased exponent limits of the target formats, expressed in the extended bias. */
export const EXT_MIN = 1, EXT_MAX = 0x7ffe;
export const DBL_MIN = BIAS - 1022, DBL_MAX = BIAS + 1023;
export const SGL_MIN = BIAS - 126, SGL_MAX = BIAS + 127;
/** Exponent word of infinity/NaN. */
export const EXP_SPECIAL = 0x7fff;

/** Result of the last operation: [sign<<15 | exponent, significand high, low, exception flags
 *  (IE/DE/ZE/OE/UE/PE and C1 for "rounded up")]. */
export const R = new Int32Array(4);
/** Scratch words of the helpers (shift results, normalized operands, products, quotients...). A
 *  Float64Array holds uint32 values unboxed; module-level `let`s would allocate a heap number on
 *  every store of a value above 2^30. */
export const SC = new Float64Array(32);
export const R_SE = 0, R_MH = 1, R_ML = 2, R_EXC = 3;

// ---- 96-bit shift helpers (results in H, L, X) ----

/** Shifts (h, l, x) right by n >= 0 bits, or-ing everything shifted out into bit 0 of X. */
export function shr(h: number, l: number, x: number, n: number): void {
  if (n === 0) {
    SC[0] = h; SC[1] = l; SC[2] = x;
  } else if (n < 32) {
    const s = (x << (32 - n)) !== 0 ? 1 : 0;
    SC[2] = ((l << (32 - n)) | (x >>> n) | s) >>> 0;
    SC[1] = ((h << (32 - n)) | (l >>> n)) >>> 0;
    SC[0] = h >>> n;
  } else if (n === 32) {
    SC[2] = (l | (x !== 0 ? 1 : 0)) >>> 0;
    SC[1] = h;
    SC[0] = 0;
  } else if (n < 64) {
    const m = n - 32;
    const s = ((l << (32 - m)) | x) !== 0 ? 1 : 0;
    SC[2] = ((h << (32 - m)) | (l >>> m) | s) >>> 0;
    SC[1] = h >>> m;
    SC[0] = 0;
  } else if (n === 64) {
    SC[2] = (h | ((l | x) !== 0 ? 1 : 0)) >>> 0;
    SC[1] = 0;
    SC[0] = 0;
  } else if (n < 96) {
    const m = n - 64;
    const s = ((h << (32 - m)) | l | x) !== 0 ? 1 : 0;
    SC[2] = ((h >>> m) | s) >>> 0;
    SC[1] = 0;
    SC[0] = 0;
  } else {
    SC[2] = (h | l | x) !== 0 ? 1 : 0;
    SC[1] = 0;
    SC[0] = 0;
  }
}

/** Shifts (h, l, x) left by 0 <= n < 64 (results in H, L, X). */
export function shl(h: number, l: number, x: number, n: number): void {
  if (n === 0) {
    SC[0] = h; SC[1] = l; SC[2] = x;
  } else if (n < 32) {
    SC[0] = ((h << n) | (l >>> (32 - n))) >>> 0;
    SC[1] = ((l << n) | (x >>> (32 - n))) >>> 0;
    SC[2] = (x << n) >>> 0;
  } else if (n === 32) {
    SC[0] = l; SC[1] = x; SC[2] = 0;
  } else {
    const m = n - 32;
    SC[0] = ((l << m) | (x >>> (32 - m))) >>> 0;
    SC[1] = (x << m) >>> 0;
    SC[2] = 0;
  }
}

/** Leading zeros of the 64-bit (h, l). */
export function clz64(h: number, l: number): number {
  return h !== 0 ? Math.clz32(h) : 32 + Math.clz32(l);
}

// ---- rounding ----

/** Rounds sign s, biased exponent e (any integer), significand (h, l) with extra bits x (bit 31
 *  the round bit, the rest sticky) to p significand bits in the exponent range [emin, emax],
 *  with rounding control rc (0 nearest, 1 down, 2 up, 3 toward zero). (h, l) must be normalized
 *  (bit 63 set) unless the value is zero. The rounded value goes to R in extended layout (denormal
 *  results have exponent emin - 1 encoded as... see pack helpers: here exponent field 0 is used
 *  only for the extended format; callers of other formats read RE/RH/RL instead). */

export function roundTo(s: number, e: number, h: number, l: number, x: number, p: number, emin: number, emax: number, rc: number): void {
  const rb = 64 - p;
  if (e >= emin && e <= emax && rb < 32) {
    // Fast path (normal result, 64- or 53-bit precision): round within the low word.
    const mask = rb === 0 ? 0 : (1 << rb) - 1;
    const rem = l & mask;
    if ((rem | x) === 0) {
      SC[6] = e; SC[7] = h; SC[8] = l;
      return;
    }
    let inc: boolean;
    if (rc === 0) {
      if (rb === 0) inc = x > 0x80000000 || (x === 0x80000000 && (l & 1) !== 0);
      else {
        const half = 1 << (rb - 1);
        inc = rem > half || (rem === half && (x !== 0 || (l & (mask + 1)) !== 0));
      }
    } else if (rc === 3) inc = false;
    else inc = (rc === 1) === (s !== 0);
    let ml = (l - rem), mh = h;
    if (inc) {
      ml += mask + 1;
      if (ml > 0xffffffff) {
        ml -= 4294967296;
        mh += 1;
        if (mh > 0xffffffff) {
          mh = 0x80000000;
          e++;
        }
      }
    }
    if (e <= emax) {
      SC[6] = e; SC[7] = mh; SC[8] = ml;
      R[R_EXC] |= inc ? PE | C1 : PE;
      return;
    }
    // rounded up into overflow: the general path below handles it
  }
  let exc = 0;
  let tiny = false;
  let d = 0;
  if (e < emin) {
    // Tiny before rounding; after rounding (x86 semantics) it is tiny unless rounding the
    // unbounded-exponent value carries it up to 2^emin.
    tiny = e < emin - 1 || !carriesOut(s, h, l, x, rb, rc);
    d = emin - e;
    e = emin;
  }
  shr(h, l, x, d + rb);
  let mh = SC[0], ml = SC[1];
  const rx = SC[2];
  if (rx !== 0) {
    exc |= PE;
    if (tiny) exc |= UE;
    let inc: boolean;
    if (rc === 0) inc = rx > 0x80000000 || (rx === 0x80000000 && (ml & 1) !== 0);
    else if (rc === 3) inc = false;
    else inc = (rc === 1) === (s !== 0);
    if (inc) {
      exc |= C1;
      ml = ml + 1;
      if (ml > 0xffffffff) {
        ml = 0;
        mh = mh + 1;
      }
      // Carry out of the p-bit significand: renormalize.
      const top = p > 32 ? mh >= 2 ** (p - 32) : ml >= 2 ** p;
      if (top) {
        // it was all ones: now exactly 2^p, i.e. 2^(p-1) one exponent up
        if (p > 32) {
          mh = 2 ** (p - 33);
          ml = 0;
        } else {
          ml = 2 ** (p - 1);
        }
        e++;
      }
    }
  }
  shl(mh, ml, 0, rb);
  mh = SC[0];
  ml = SC[1];
  if ((mh | ml) === 0) e = emin - 1; // exact or rounded zero
  else if (mh < 0x80000000 && e === emin) e = emin - 1; // denormal: tagged by exponent emin - 1
  if (e > emax) {
    exc |= OE | PE;
    if (rc === 0 || (rc === 1 && s !== 0) || (rc === 2 && s === 0)) {
      e = EXP_SPECIAL;
      mh = 0x80000000;
      ml = 0;
      exc |= C1;
    } else {
      e = emax;
      shl(0xffffffff, 0xffffffff, 0, 0);
      // largest p-bit significand
      shr(0xffffffff, 0xffffffff, 0, rb);
      shl(SC[0], SC[1], 0, rb);
      mh = SC[0];
      ml = SC[1];
      exc &= ~C1;
    }
  }
  SC[6] = e;
  SC[7] = mh;
  SC[8] = ml;
  R[R_EXC] |= exc;
}

/** Whether rounding (h, l, x) at rb dropped bits increments it into 2^64 (all kept bits set). */
function carriesOut(s: number, h: number, l: number, x: number, rb: number, rc: number): boolean {
  shr(h, l, x, rb);
  const full = rb === 0 ? ((SC[0] & SC[1]) >>> 0) === 0xffffffff : rb < 32 ? SC[0] === 0xffffffff >>> rb && SC[1] === 0xffffffff : SC[0] === 0 && SC[1] === 0xffffffff >>> (rb - 32);
  if (!full || SC[2] === 0) return false;
  if (rc === 0) return SC[2] >= 0x80000000;
  if (rc === 3) return false;
  return (rc === 1) === (s !== 0);
}

/** Rounds into the register format and stores it in R (exponent field 0 for denormals). */
export function round80(s: number, e: number, h: number, l: number, x: number, p: number, rc: number): void {
  // Callers on hot paths pass the words as int32 (no heap-number boxing across calls).
  h >>>= 0;
  l >>>= 0;
  x >>>= 0;
  if (p === 64 && e >= 1 && e <= 0x7ffe) {
    // The common case (glibc runs at 64-bit precision): a normal result rounded in the low word.
    if (x === 0) {
      R[R_SE] = (s << 15) | e;
      R[R_MH] = h;
      R[R_ML] = l;
      return;
    }
    const inc = rc === 0 ? x > 0x80000000 || (x === 0x80000000 && (l & 1) !== 0) : rc === 3 ? false : (rc === 1) === (s !== 0);
    if (!inc) {
      R[R_EXC] |= PE;
      R[R_SE] = (s << 15) | e;
      R[R_MH] = h;
      R[R_ML] = l;
      return;
    }
    if (l !== 0xffffffff) {
      R[R_EXC] |= PE | C1;
      R[R_SE] = (s << 15) | e;
      R[R_MH] = h;
      R[R_ML] = l + 1;
      return;
    }
    // carries into the high word (or beyond): general path
  }
  roundTo(s, e, h, l, x, p, EXT_MIN, EXT_MAX, rc);
  R[R_SE] = (s << 15) | (SC[6] < EXT_MIN ? 0 : SC[6]);
  R[R_MH] = SC[7];
  R[R_ML] = SC[8];
}

/** Rounds to double format; returns the IEEE bits in W0 (low) and W1 (high). */
export function roundDouble(s: number, e: number, h: number, l: number, x: number, rc: number): void {
  roundTo(s, e, h, l, x, 53, DBL_MIN, DBL_MAX, rc);
  const be = SC[6] === EXP_SPECIAL ? 0x7ff : SC[6] < DBL_MIN ? 0 : SC[6] - DBL_MIN + 1;
  // significand bits 62..11 are the 52 fraction bits (bit 63 is the integer bit; for denormals
  // the value is already shifted so that bits 62..11 are the fraction).
  const fh = (SC[7] >>> 11) & 0xfffff;
  const fl = ((SC[7] << 21) | (SC[8] >>> 11)) >>> 0;
  SC[10] = ((s << 31) | (be << 20) | fh) | 0;
  SC[9] = fl | 0;
}

/** Rounds to single format; returns the IEEE bits in W0. */
export function roundSingle(s: number, e: number, h: number, l: number, x: number, rc: number): void {
  roundTo(s, e, h, l, x, 24, SGL_MIN, SGL_MAX, rc);
  const be = SC[6] === EXP_SPECIAL ? 0xff : SC[6] < SGL_MIN ? 0 : SC[6] - SGL_MIN + 1;
  SC[9] = ((s << 31) | (be << 23) | ((SC[7] >>> 8) & 0x7fffff)) | 0;
}

// ---- classification ----

export const K_ZERO = 0, K_NORMAL = 1, K_DENORMAL = 2, K_INF = 3, K_QNAN = 4, K_SNAN = 5, K_UNSUPPORTED = 6;

/** Class of an encoded value. */
export function classify(se: number, h: number, l: number): number {
  const e = se & 0x7fff;
  if (e === 0x7fff) {
    if (h >= 0) return K_UNSUPPORTED; // pseudo-infinity / pseudo-NaN
    if ((h & 0x7fffffff) === 0 && l === 0) return K_INF;
    return (h & 0x40000000) !== 0 ? K_QNAN : K_SNAN;
  }
  if (e === 0) return (h | l) === 0 ? K_ZERO : K_DENORMAL;
  return h < 0 ? K_NORMAL : K_UNSUPPORTED; // unnormal
}

/** Normalized exponent and significand of a finite nonzero value (denormals and pseudo-denormals
 *  shifted up, exponent below 1): sets NE, NH, NL. */
export function norm(se: number, h: number, l: number): void {
  let e = se & 0x7fff;
  h >>>= 0;
  l >>>= 0;
  if (e === 0) e = 1;
  const z = clz64(h, l);
  if (z === 0) {
    SC[3] = e; SC[4] = h; SC[5] = l;
    return;
  }
  shl(h, l, 0, z);
  SC[3] = e - z;
  SC[4] = SC[0];
  SC[5] = SC[1];
}

export function setResult(se: number, h: number, l: number): void {
  R[R_SE] = se;
  R[R_MH] = h;
  R[R_ML] = l;
}

export function setIndefiniteR(): void {
  setResult(0xffff, 0xc0000000 | 0, 0);
}

/** Quiet NaN propagation between two operands (at least one a NaN), SoftFloat 8086 rules. */
export function propagateNaN(ase: number, ah: number, al: number, bse: number, bh: number, bl: number): void {
  const ka = classify(ase, ah, al), kb = classify(bse, bh, bl);
  const aNaN = ka === K_QNAN || ka === K_SNAN, bNaN = kb === K_QNAN || kb === K_SNAN;
  if (ka === K_SNAN || kb === K_SNAN) R[R_EXC] |= IE;
  let useA: boolean;
  if (ka === K_SNAN && !(kb === K_SNAN)) useA = !bNaN;
  else if (kb === K_SNAN && !(ka === K_SNAN)) useA = aNaN;
  else if (!bNaN) useA = true;
  else if (!aNaN) useA = false;
  else {
    const ma = (ah & 0x7fffffff) >>> 0, mb = (bh & 0x7fffffff) >>> 0;
    if (ma !== mb) useA = ma > mb;
    else if (al >>> 0 !== bl >>> 0) useA = al >>> 0 > bl >>> 0;
    else useA = (ase & 0xffff) < (bse & 0xffff);
  }
  if (useA) setResult(ase, ah | 0x40000000, al);
  else setResult(bse, bh | 0x40000000, bl);
}

/** NaN result of a one-operand operation on a NaN (quieted; IE for a signaling one). */
export function quietNaN(se: number, h: number, l: number): void {
  if ((h & 0x40000000) === 0) R[R_EXC] |= IE;
  setResult(se, h | 0x40000000, l);
}

/** Handles operands that are not both normal/zero/denormal/inf: NaNs and unsupported encodings.
 *  Returns true when the result is set. */
export function specialPair(ka: number, kb: number, ase: number, ah: number, al: number, bse: number, bh: number, bl: number): boolean {
  if (ka === K_UNSUPPORTED || kb === K_UNSUPPORTED) {
    R[R_EXC] |= IE;
    setIndefiniteR();
    return true;
  }
  if (ka >= K_QNAN || kb >= K_QNAN) {
    propagateNaN(ase, ah, al, bse, bh, bl);
    return true;
  }
  return false;
}

// ---- add / subtract ----

/** a + b (b's sign flipped when `neg` is 1) into R. */
export function add(ase: number, ah: number, al: number, bse: number, bh: number, bl: number, neg: number, p: number, rc: number): void {
  const ea = ase & 0x7fff, eb = bse & 0x7fff;
  if (ea - 1 >>> 0 >= 0x7ffe || ah >= 0 || eb - 1 >>> 0 >= 0x7ffe || bh >= 0) {
    addSpecial(ase, ah, al, bse, bh, bl, neg, p, rc);
    return;
  }
  // both normal: the small, inlinable common case
  const sa = (ase >> 15) & 1, sb = ((bse >> 15) ^ neg) & 1;
  if (sa === sb) addMags(sa, ea, ah, al, eb, bh, bl, p, rc);
  else subMags(sa, ea, ah, al, eb, bh, bl, p, rc);
}

/** add() when an operand is zero, denormal, infinite, NaN or unsupported. */
function addSpecial(ase: number, ah: number, al: number, bse: number, bh: number, bl: number, neg: number, p: number, rc: number): void {
  const ka = classify(ase, ah, al);
  const kb = classify(bse, bh, bl);
  if (specialPair(ka, kb, ase, ah, al, bse, bh, bl)) return;
  bse ^= neg << 15;
  if (ka === K_DENORMAL || kb === K_DENORMAL) R[R_EXC] |= DE;
  if (ka === K_INF || kb === K_INF) {
    if (ka === K_INF && kb === K_INF && ((ase ^ bse) & 0x8000) !== 0) {
      R[R_EXC] |= IE;
      setIndefiniteR();
    } else if (ka === K_INF) setResult(ase & 0xffff, 0x80000000 | 0, 0);
    else setResult(bse & 0xffff, 0x80000000 | 0, 0);
    return;
  }
  if (ka === K_ZERO || kb === K_ZERO) {
    if (ka === K_ZERO && kb === K_ZERO) {
      const sa = (ase >> 15) & 1, sb = (bse >> 15) & 1;
      const s = sa === sb ? sa : rc === 1 ? 1 : 0;
      setResult(s << 15, 0, 0);
      return;
    }
    // x + 0 = x, rounded to the precision (denormals keep their encoding unless rounding moves them).
    const z = ka === K_ZERO;
    const se = z ? bse : ase;
    norm(se, z ? bh : ah, z ? bl : al);
    round80((se >> 15) & 1, SC[3], SC[4] | 0, SC[5] | 0, 0, p, rc);
    return;
  }
  const sa = (ase >> 15) & 1, sb = (bse >> 15) & 1;
  let xe: number, xh: number, xl: number, ye: number, yh: number, yl: number;
  if (ka === K_NORMAL) { xe = ase & 0x7fff; xh = ah; xl = al; } else { norm(ase, ah, al); xe = SC[3]; xh = SC[4] | 0; xl = SC[5] | 0; }
  if (kb === K_NORMAL) { ye = bse & 0x7fff; yh = bh; yl = bl; } else { norm(bse, bh, bl); ye = SC[3]; yh = SC[4] | 0; yl = SC[5] | 0; }
  if (sa === sb) addMags(sa, xe, xh, xl, ye, yh, yl, p, rc);
  else subMags(sa, xe, xh, xl, ye, yh, yl, p, rc);
}

function addMags(s: number, xe: number, xh: number, xl: number, ye: number, yh: number, yl: number, p: number, rc: number): void {
  xh >>>= 0; xl >>>= 0; yh >>>= 0; yl >>>= 0;
  if (xe < ye) {
    let t = xe; xe = ye; ye = t;
    t = xh; xh = yh; yh = t;
    t = xl; xl = yl; yl = t;
  }
  const d = xe - ye;
  let sh: number, sl: number, x: number;
  if (d === 0) {
    sh = yh; sl = yl; x = 0;
  } else if (d < 32) {
    x = (yl << (32 - d)) >>> 0;
    sl = ((yh << (32 - d)) | (yl >>> d)) >>> 0;
    sh = yh >>> d;
  } else {
    shr(yh, yl, 0, d);
    sh = SC[0]; sl = SC[1]; x = SC[2];
  }
  let l = xl + sl;
  let h = xh + sh;
  if (l > 0xffffffff) { l -= 0x100000000; h++; }
  let e = xe;
  if (h > 0xffffffff) {
    h -= 0x100000000;
    // shift right one with the carry as the new top bit
    x = ((l & 1) << 31 | (x >>> 1) | (x & 1)) >>> 0;
    l = ((h & 1) << 31 | (l >>> 1)) >>> 0;
    h = (0x80000000 | (h >>> 1)) >>> 0;
    e++;
  }
  round80(s, e, h | 0, l | 0, x | 0, p, rc);
}

function subMags(s: number, xe: number, xh: number, xl: number, ye: number, yh: number, yl: number, p: number, rc: number): void {
  xh >>>= 0; xl >>>= 0; yh >>>= 0; yl >>>= 0;
  // Make x the larger magnitude.
  if (xe < ye || (xe === ye && (xh < yh || (xh === yh && xl < yl)))) {
    let t = xe; xe = ye; ye = t;
    t = xh; xh = yh; yh = t;
    t = xl; xl = yl; yl = t;
    s ^= 1;
  } else if (xe === ye && xh === yh && xl === yl) {
    setResult(rc === 1 ? 0x8000 : 0, 0, 0);
    return;
  }
  const d = xe - ye;
  let sh: number, sl: number, sx: number;
  if (d === 0) {
    sh = yh; sl = yl; sx = 0;
  } else if (d < 32) {
    sx = (yl << (32 - d)) >>> 0;
    sl = ((yh << (32 - d)) | (yl >>> d)) >>> 0;
    sh = yh >>> d;
  } else {
    shr(yh, yl, 0, d);
    sh = SC[0]; sl = SC[1]; sx = SC[2];
  }
  // (xh, xl, 0) - (sh, sl, sx)
  let x = -sx;
  let borrow = 0;
  if (x < 0) { x += 0x100000000; borrow = 1; }
  let l = xl - sl - borrow;
  borrow = 0;
  if (l < 0) { l += 0x100000000; borrow = 1; }
  const h = xh - sh - borrow;
  const z = h !== 0 ? Math.clz32(h) : l !== 0 ? 32 + Math.clz32(l) : 64 + Math.clz32(x);
  if (z === 0) {
    round80(s, xe, h | 0, l | 0, x | 0, p, rc);
    return;
  }
  if (z < 32) {
    round80(s, xe - z, (h << z) | (l >>> (32 - z)), (l << z) | (x >>> (32 - z)), x << z, p, rc);
    return;
  }
  shl(h, l, x, z < 64 ? z : 63);
  if (z >= 64) shl(SC[0], SC[1], SC[2], z - 63);
  round80(s, xe - z, SC[0], SC[1], SC[2], p, rc);
}
