// Exact multiplication, division and square root of 80-bit values (see ext80.ts for the design).
// Products use 16-bit limbs whose partial sums are exact in doubles. The quotient or root is
// estimated with the host's double arithmetic, then corrected until its exact 128-bit remainder
// (computed with the same multiplier) proves it right; the remainder then gives the round and
// sticky bits. Usually two or three multiplications, never BigInt.

import { IE, DE, ZE } from "./state.js";
import {
  R, R_EXC, BIAS, K_ZERO, K_DENORMAL, K_INF, K_QNAN, K_SNAN, K_UNSUPPORTED, classify, norm, round80, setResult, setIndefiniteR, specialPair, quietNaN, SC,
} from "./ext80.js";

// ---- multiply ----

/** 64x64 -> 128-bit product of (ah, al) and (bh, bl) into P3..P0 (32-bit words, P3 highest). */
export function mul64(ah: number, al: number, bh: number, bl: number): void {
  // 16-bit limbs; two columns at a time (a column of 16x16 products plus the next column times
  // 2^16 stays below 2^51), carried in base 2^32 with exact double arithmetic.
  const a3 = ah >>> 16, a2 = ah & 0xffff, a1 = al >>> 16, a0 = al & 0xffff;
  const b3 = bh >>> 16, b2 = bh & 0xffff, b1 = bl >>> 16, b0 = bl & 0xffff;
  let t = a0 * b0 + (a0 * b1 + a1 * b0) * 65536;
  let c = Math.floor(t * INV32);
  SC[11] = t - c * 4294967296;
  t = c + a0 * b2 + a1 * b1 + a2 * b0 + (a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0) * 65536;
  c = Math.floor(t * INV32);
  SC[12] = t - c * 4294967296;
  t = c + a1 * b3 + a2 * b2 + a3 * b1 + (a2 * b3 + a3 * b2) * 65536;
  c = Math.floor(t * INV32);
  SC[13] = t - c * 4294967296;
  SC[14] = c + a3 * b3;
}

const INV32 = 1 / 4294967296;

export function mul(ase: number, ah: number, al: number, bse: number, bh: number, bl: number, p: number, rc: number): void {
  const ea = ase & 0x7fff, eb = bse & 0x7fff;
  if (ea - 1 >>> 0 >= 0x7ffe || ah >= 0 || eb - 1 >>> 0 >= 0x7ffe || bh >= 0) {
    mulSpecial(ase, ah, al, bse, bh, bl, p, rc);
    return;
  }
  mulNormal(((ase ^ bse) >> 15) & 1, ea, ah, al, eb, bh, bl, p, rc);
}

/** Product of normalized significands (int32 words) with biased exponents xe, ye. */
function mulNormal(s: number, xe: number, xh: number, xl: number, ye: number, yh: number, yl: number, p: number, rc: number): void {
  mul64(xh, xl, yh, yl);
  const e = xe + ye - BIAS;
  if (SC[14] >= 0x80000000) {
    round80(s, e + 1, SC[14] | 0, SC[13] | 0, SC[12] | (SC[11] !== 0 ? 1 : 0), p, rc);
  } else {
    const h = (SC[14] << 1) | (SC[13] >>> 31);
    const l = (SC[13] << 1) | (SC[12] >>> 31);
    const x = (SC[12] << 1) | (SC[11] !== 0 ? 1 : 0);
    round80(s, e, h, l, x, p, rc);
  }
}

/** mul() when an operand is zero, denormal, infinite, NaN or unsupported. */
function mulSpecial(ase: number, ah: number, al: number, bse: number, bh: number, bl: number, p: number, rc: number): void {
  const s = ((ase ^ bse) >> 15) & 1;
  let xe = ase & 0x7fff, xh = ah, xl = al, ye = bse & 0x7fff, yh = bh, yl = bl;
  const ka = classify(ase, ah, al), kb = classify(bse, bh, bl);
  if (specialPair(ka, kb, ase, ah, al, bse, bh, bl)) return;
  if (ka === K_DENORMAL || kb === K_DENORMAL) R[R_EXC] |= DE;
  if (ka === K_INF || kb === K_INF) {
    if (ka === K_ZERO || kb === K_ZERO) {
      R[R_EXC] |= IE;
      setIndefiniteR();
    } else setResult((s << 15) | 0x7fff, 0x80000000 | 0, 0);
    return;
  }
  if (ka === K_ZERO || kb === K_ZERO) {
    setResult(s << 15, 0, 0);
    return;
  }
  if (ka === K_DENORMAL) { norm(ase, ah, al); xe = SC[3]; xh = SC[4] | 0; xl = SC[5] | 0; }
  if (kb === K_DENORMAL) { norm(bse, bh, bl); ye = SC[3]; yh = SC[4] | 0; yl = SC[5] | 0; }
  mulNormal(s, xe, xh, xl, ye, yh, yl, p, rc);
}


// ---- divide and square root: exact integer quotients/roots from double estimates ----

const TWO32 = 0x100000000;
/** Signed remainder words of the last `rem128` (D3 signed, D2..D0 in [0, 2^32)). */

/** (n3, n2, n1, n0) - (P3, P2, P1, P0) into D3..D0. */
function rem128(n3: number, n2: number, n1: number, n0: number): void {
  let r0 = n0 - SC[11], r1 = n1 - SC[12], r2 = n2 - SC[13], r3 = n3 - SC[14];
  if (r0 < 0) { r0 += TWO32; r1 -= 1; }
  if (r1 < 0) { r1 += TWO32; r2 -= 1; }
  if (r2 < 0) { r2 += TWO32; r3 -= 1; }
  SC[18] = r3; SC[17] = r2; SC[16] = r1; SC[15] = r0;
}

/** Result of divSig/sqrtSig: 64-bit (QH, QL) and the round/sticky word QX. */

/** q = floor(N / B) for the 128-bit N = (n3..n0) and 64-bit normalized B, where q < 2^64, with QX
 *  holding the round bit (remainder >= B/2) and sticky bit of the fraction. */
function divSig(n3: number, n2: number, n1: number, n0: number, bh: number, bl: number): void {
  const bd = bh * TWO32 + bl;
  const nd = ((n3 * TWO32 + n2) * TWO32 + n1) * TWO32 + n0;
  let q = Math.floor(nd / bd);
  if (q >= 18446744073709551616) q = 18446744073709549568;
  let qh = Math.floor(q / TWO32), ql = q - qh * TWO32;
  for (let iter = 0; ; iter++) {
    mul64(qh | 0, ql | 0, bh | 0, bl | 0);
    rem128(n3, n2, n1, n0);
    if (SC[18] === 0 && SC[17] === 0 && (SC[16] < bh || (SC[16] === bh && SC[15] < bl))) break;
    let dq: number;
    if (iter < 4) {
      const rd = ((SC[18] * TWO32 + SC[17]) * TWO32 + SC[16]) * TWO32 + SC[15];
      dq = Math.floor(rd / bd);
      if (dq === 0) dq = 1;
    } else dq = SC[18] < 0 ? -1 : 1;
    ql += dq;
    while (ql < 0) { ql += TWO32; qh -= 1; }
    while (ql >= TWO32) { ql -= TWO32; qh += 1; }
  }
  SC[19] = qh;
  SC[20] = ql;
  // Compare the remainder r = (D1, D0) with B/2.
  const hb = bh >>> 1, lb = (((bh & 1) << 31) | (bl >>> 1)) >>> 0;
  if (SC[16] > hb || (SC[16] === hb && SC[15] > lb)) SC[21] = 0x80000001;
  else if (SC[16] === hb && SC[15] === lb) SC[21] = (bl & 1) === 0 ? 0x80000000 : 1;
  else SC[21] = (SC[16] | SC[15]) !== 0 ? 1 : 0;
}

export function div(ase: number, ah: number, al: number, bse: number, bh: number, bl: number, p: number, rc: number): void {
  const ea = ase & 0x7fff, eb = bse & 0x7fff;
  const s = ((ase ^ bse) >> 15) & 1;
  let xe = ea, xh = ah >>> 0, xl = al >>> 0, ye = eb, yh = bh >>> 0, yl = bl >>> 0;
  if (ea - 1 >>> 0 >= 0x7ffe || ah >= 0 || eb - 1 >>> 0 >= 0x7ffe || bh >= 0) {
    const ka = classify(ase, ah, al), kb = classify(bse, bh, bl);
    if (specialPair(ka, kb, ase, ah, al, bse, bh, bl)) return;
    if (ka === K_INF) {
      if (kb === K_INF) {
        R[R_EXC] |= IE;
        setIndefiniteR();
      } else {
        if (kb === K_DENORMAL) R[R_EXC] |= DE;
        setResult((s << 15) | 0x7fff, 0x80000000 | 0, 0);
      }
      return;
    }
    if (kb === K_INF) {
      if (ka === K_DENORMAL) R[R_EXC] |= DE;
      setResult(s << 15, 0, 0);
      return;
    }
    if (kb === K_ZERO) {
      if (ka === K_ZERO) {
        R[R_EXC] |= IE;
        setIndefiniteR();
      } else {
        R[R_EXC] |= ZE; // no DE for a denormal dividend (as the hardware)
        setResult((s << 15) | 0x7fff, 0x80000000 | 0, 0);
      }
      return;
    }
    if (ka === K_DENORMAL || kb === K_DENORMAL) R[R_EXC] |= DE;
    if (ka === K_ZERO) {
      setResult(s << 15, 0, 0);
      return;
    }
    if (ka === K_DENORMAL) { norm(ase, ah, al); xe = SC[3]; xh = SC[4]; xl = SC[5]; }
    if (kb === K_DENORMAL) { norm(bse, bh, bl); ye = SC[3]; yh = SC[4]; yl = SC[5]; }
  }
  if (xh > yh || (xh === yh && xl >= yl)) {
    // A >= B: q = A * 2^63 / B in [2^63, 2^64).
    divSig(xh >>> 1, (((xh & 1) << 31) | (xl >>> 1)) >>> 0, ((xl & 1) << 31) >>> 0, 0, yh, yl);
    round80(s, xe - ye + BIAS, SC[19] | 0, SC[20] | 0, SC[21] | 0, p, rc);
  } else {
    divSig(xh, xl, 0, 0, yh, yl);
    round80(s, xe - ye + BIAS - 1, SC[19] | 0, SC[20] | 0, SC[21] | 0, p, rc);
  }
}

/** r = isqrt(N) for the 128-bit N = (n3..n0) in [2^126, 2^128) (so r < 2^64), with QX the round
 *  and sticky bits of sqrt(N) - r. */
function sqrtSig(n3: number, n2: number, n1: number, n0: number): void {
  const nd = ((n3 * TWO32 + n2) * TWO32 + n1) * TWO32 + n0;
  let r = Math.floor(Math.sqrt(nd));
  if (r >= 18446744073709551616) r = 18446744073709549568;
  let rh = Math.floor(r / TWO32), rl = r - rh * TWO32;
  for (let iter = 0; ; iter++) {
    mul64(rh | 0, rl | 0, rh | 0, rl | 0);
    rem128(n3, n2, n1, n0);
    // done when 0 <= rem <= 2r
    if (SC[18] === 0 && (SC[17] === 0 || SC[17] === 1)) {
      // exact check: rem <= 2r  <=>  (D2, D1, D0) <= (rh >>> 31, rh << 1 | rl >>> 31, rl << 1)
      const t2 = rh >>> 31, t1 = (((rh << 1) | (rl >>> 31)) >>> 0), t0 = (rl << 1) >>> 0;
      const le = SC[17] < t2 || (SC[17] === t2 && (SC[16] < t1 || (SC[16] === t1 && SC[15] <= t0)));
      if (le) break;
    }
    let dr: number;
    const rd = ((SC[18] * TWO32 + SC[17]) * TWO32 + SC[16]) * TWO32 + SC[15];
    if (iter < 4) {
      dr = Math.floor(rd / (2 * (rh * TWO32 + rl)));
      if (dr === 0) dr = rd < 0 ? -1 : 1;
    } else dr = rd < 0 ? -1 : 1;
    rl += dr;
    while (rl < 0) { rl += TWO32; rh -= 1; }
    while (rl >= TWO32) { rl -= TWO32; rh += 1; }
  }
  SC[19] = rh;
  SC[20] = rl;
  // round bit: rem > r (sqrt(N) is never exactly r + 1/2)
  const gt = SC[17] > 0 || SC[16] > rh || (SC[16] === rh && SC[15] > rl);
  SC[21] = gt ? 0x80000001 : (SC[17] | SC[16] | SC[15]) !== 0 ? 1 : 0;
}

export function sqrt(se: number, h: number, l: number, p: number, rc: number): void {
  const k = classify(se, h, l);
  const s = (se >> 15) & 1;
  if (k === K_UNSUPPORTED) {
    R[R_EXC] |= IE;
    setIndefiniteR();
    return;
  }
  if (k === K_QNAN || k === K_SNAN) {
    quietNaN(se, h, l);
    return;
  }
  if (k === K_ZERO) {
    setResult(se & 0xffff, 0, 0);
    return;
  }
  if (s !== 0) {
    R[R_EXC] |= IE;
    setIndefiniteR();
    return;
  }
  if (k === K_INF) {
    setResult(se & 0xffff, h, l);
    return;
  }
  if (k === K_DENORMAL) R[R_EXC] |= DE;
  norm(se, h, l);
  // value = M * 2^(e-63), e unbiased; N = M << (63 + odd) makes e - 63 - shift even, and
  // sqrt(value) = isqrt(N) * 2^((e - odd)/2 - 63).
  const e = SC[3] - BIAS;
  const odd = e & 1;
  if (odd) sqrtSig(SC[4], SC[5], 0, 0);
  else sqrtSig(SC[4] >>> 1, (((SC[4] & 1) << 31) | (SC[5] >>> 1)) >>> 0, ((SC[5] & 1) << 31) >>> 0, 0);
  round80(0, (e - odd) / 2 + BIAS, SC[19] | 0, SC[20] | 0, SC[21] | 0, p, rc);
}
