// Conversions between the register format and the memory formats: m32/m64 reals, m16/m32/m64
// integers, m80 packed BCD; frndint's round-to-integer. Loads are exact (every m32/m64/integer
// value is representable); stores round by the rounding control (never the precision control).

import { IE, DE, PE, C1 } from "./state.js";
import {
  R, R_SE, R_MH, R_ML, R_EXC, BIAS, K_ZERO, K_DENORMAL, K_INF, K_QNAN, K_SNAN, K_UNSUPPORTED, classify, norm, shr, shl, clz64, setResult, roundDouble, roundSingle, round80, SC,
} from "./ext80.js";

/** Loads an IEEE single (bits as int32) into R. */
export function loadF32(b: number): void {
  const s = b >>> 31, e = (b >>> 23) & 0xff, f = b & 0x7fffff;
  if (e === 0xff) {
    if (f === 0) setResult((s << 15) | 0x7fff, 0x80000000 | 0, 0);
    else {
      if ((f & 0x400000) === 0) R[R_EXC] |= IE;
      setResult((s << 15) | 0x7fff, (0xc0000000 | (f << 8)) | 0, 0);
    }
  } else if (e === 0) {
    if (f === 0) setResult(s << 15, 0, 0);
    else {
      R[R_EXC] |= DE;
      const z = Math.clz32(f) - 8; // shift to put the top bit at bit 23
      setResult((s << 15) | (BIAS - 126 - z), (f << (8 + z)) | 0, 0);
    }
  } else setResult((s << 15) | (e - 127 + BIAS), (0x80000000 | (f << 8)) | 0, 0);
}

/** Loads an IEEE double (low and high words) into R. */
export function loadF64(lo: number, hi: number): void {
  const s = hi >>> 31, e = (hi >>> 20) & 0x7ff, fh = hi & 0xfffff;
  if (e === 0x7ff) {
    if ((fh | lo) === 0) setResult((s << 15) | 0x7fff, 0x80000000 | 0, 0);
    else {
      if ((fh & 0x80000) === 0) R[R_EXC] |= IE;
      setResult((s << 15) | 0x7fff, (0xc0000000 | (fh << 11) | (lo >>> 21)) | 0, lo << 11);
    }
  } else if (e === 0) {
    if ((fh | lo) === 0) setResult(s << 15, 0, 0);
    else {
      R[R_EXC] |= DE;
      // significand (fh, lo) * 2^(-1074): normalize into 64 bits
      const z = clz64(fh, lo >>> 0);
      shl(fh, lo >>> 0, 0, z);
      // value = (fh:lo) * 2^-1074 = (H:L) * 2^(-1074 - z); as M * 2^(E - BIAS - 63): E = BIAS + 63 - 1074 - z
      setResult((s << 15) | (BIAS + 63 - 1074 - z), SC[0] | 0, SC[1] | 0);
    }
  } else setResult((s << 15) | (e - 1023 + BIAS), (0x80000000 | (fh << 11) | (lo >>> 21)) | 0, lo << 11);
}

/** Loads a signed integer given as magnitude words and sign (from m16/m32/m64) into R. */
export function loadInt(neg: number, h: number, l: number): void {
  h >>>= 0;
  l >>>= 0;
  if ((h | l) === 0) {
    setResult(0, 0, 0);
    return;
  }
  const z = clz64(h, l);
  shl(h, l, 0, z);
  setResult((neg << 15) | (BIAS + 63 - z), SC[0] | 0, SC[1] | 0);
}

/** Stores to double format: bits in W0/W1 (exceptions in R[R_EXC]). */
export function storeF64(se: number, h: number, l: number, rc: number): void {
  const s = (se >> 15) & 1;
  const e = se & 0x7fff;
  if (e >= BIAS - 1022 && e < BIAS + 1023 && h < 0) {
    // Fast path: a normal value that stays normal in double format (rounding cannot overflow).
    const rem = l & 0x7ff;
    let fl = ((h << 21) | (l >>> 11)) >>> 0;
    let fh = (h >>> 11) & 0xfffff;
    let be = e - (BIAS - 1023);
    if (rem !== 0) {
      const inc = rc === 0 ? rem > 0x400 || (rem === 0x400 && (fl & 1) !== 0) : rc === 3 ? false : (rc === 1) === (s !== 0);
      if (inc) {
        R[R_EXC] |= PE | C1;
        fl += 1;
        if (fl > 0xffffffff) {
          fl = 0;
          fh += 1;
          if (fh > 0xfffff) {
            fh = 0;
            be += 1;
          }
        }
      } else R[R_EXC] |= PE;
    }
    SC[22] = fl | 0;
    SC[23] = (s << 31) | (be << 20) | fh;
    return;
  }
  const k = classify(se, h, l);
  switch (k) {
    case K_ZERO:
      SC[22] = 0; SC[23] = s << 31;
      return;
    case K_INF:
      SC[22] = 0; SC[23] = (s << 31) | 0x7ff00000;
      return;
    case K_QNAN:
    case K_SNAN:
      if (k === K_SNAN) R[R_EXC] |= IE;
      SC[23] = (s << 31) | 0x7ff80000 | ((h >>> 11) & 0xfffff);
      SC[22] = ((h << 21) | (l >>> 11)) | 0;
      return;
    case K_UNSUPPORTED:
      R[R_EXC] |= IE;
      SC[22] = 0; SC[23] = 0xfff80000 | 0;
      return;
  }
  norm(se, h, l); // (no DE for a denormal source: the hardware reports none)
  roundDouble(s, SC[3], SC[4], SC[5], 0, rc);
  SC[22] = SC[9]; SC[23] = SC[10];
}

export function storeF32(se: number, h: number, l: number, rc: number): void {
  const k = classify(se, h, l);
  const s = (se >> 15) & 1;
  switch (k) {
    case K_ZERO:
      SC[22] = s << 31;
      return;
    case K_INF:
      SC[22] = (s << 31) | 0x7f800000;
      return;
    case K_QNAN:
    case K_SNAN:
      if (k === K_SNAN) R[R_EXC] |= IE;
      SC[22] = (s << 31) | 0x7fc00000 | ((h >>> 8) & 0x3fffff);
      return;
    case K_UNSUPPORTED:
      R[R_EXC] |= IE;
      SC[22] = 0xffc00000 | 0;
      return;
  }
  norm(se, h, l);
  roundSingle(s, SC[3], SC[4], SC[5], 0, rc);
  SC[22] = SC[9];
}

/** Rounds a finite value to an integer magnitude: IH/IL words, IOV set when it needs more than 64
 *  bits. Sets PE (and C1 when rounded up in magnitude) in R[R_EXC]. */
function roundToInt(s: number, e: number, h: number, l: number, rc: number): void {
  // value = (h:l) * 2^(e - BIAS - 63)
  const sh = BIAS + 63 - e;
  SC[26] = 0;
  if (sh <= 0) {
    SC[26] = sh < 0 ? 1 : 0;
    SC[24] = h; SC[25] = l;
    return;
  }
  shr(h, l, 0, sh);
  let ih = SC[0], il = SC[1];
  const x = SC[2];
  if (x !== 0) {
    R[R_EXC] |= PE;
    let inc: boolean;
    if (rc === 0) inc = x > 0x80000000 || (x === 0x80000000 && (il & 1) !== 0);
    else if (rc === 3) inc = false;
    else inc = (rc === 1) === (s !== 0);
    if (inc) {
      R[R_EXC] |= C1;
      il += 1;
      if (il > 0xffffffff) {
        il = 0;
        ih += 1;
        if (ih > 0xffffffff) {
          ih = 0;
          SC[26] = 1;
        }
      }
    }
  }
  SC[24] = ih; SC[25] = il;
}

/** Stores as a signed integer of `size` bytes (2, 4, 8): S0 low word, S1 high word (for 8). */
export function storeInt(se: number, h: number, l: number, size: number, rc: number): void {
  const k = classify(se, h, l);
  const s = (se >> 15) & 1;
  if (k === K_ZERO) {
    SC[22] = 0; SC[23] = 0;
    return;
  }
  if (k === K_INF || k === K_QNAN || k === K_SNAN || k === K_UNSUPPORTED) {
    indefiniteInt(size);
    return;
  }
  norm(se, h, l);
  const exc = R[R_EXC];
  roundToInt(s, SC[3], SC[4], SC[5], rc);
  // range check on the magnitude
  let ok: boolean;
  if (SC[26]) ok = false;
  else if (size === 8) ok = SC[24] < 0x80000000 || (s === 1 && SC[24] === 0x80000000 && SC[25] === 0);
  else if (size === 4) ok = SC[24] === 0 && (SC[25] < 0x80000000 || (s === 1 && SC[25] === 0x80000000));
  else ok = SC[24] === 0 && (SC[25] < 0x8000 || (s === 1 && SC[25] === 0x8000));
  if (!ok) {
    R[R_EXC] = exc;
    indefiniteInt(size);
    return;
  }
  if (s) {
    // two's complement negate
    let lo = (~SC[25] >>> 0) + 1, hi = ~SC[24] >>> 0;
    if (lo > 0xffffffff) { lo = 0; hi = (hi + 1) >>> 0; }
    SC[22] = lo | 0; SC[23] = hi | 0;
  } else {
    SC[22] = SC[25] | 0; SC[23] = SC[24] | 0;
  }
}

function indefiniteInt(size: number): void {
  R[R_EXC] |= IE;
  if (size === 8) { SC[22] = 0; SC[23] = 0x80000000 | 0; }
  else if (size === 4) { SC[22] = 0x80000000 | 0; SC[23] = 0; }
  else { SC[22] = 0x8000; SC[23] = 0; }
}

/** frndint: rounds to an integer by the rounding control, result in R. */
export function roundInt(se: number, h: number, l: number, rc: number): void {
  const k = classify(se, h, l);
  if (k === K_ZERO || k === K_INF) {
    setResult(se, h, l);
    return;
  }
  if (k === K_QNAN || k === K_SNAN) {
    if (k === K_SNAN) R[R_EXC] |= IE;
    setResult(se, h | 0x40000000, l);
    return;
  }
  if (k === K_UNSUPPORTED) {
    R[R_EXC] |= IE;
    setResult(0xffff, 0xc0000000 | 0, 0);
    return;
  }
  if (k === K_DENORMAL) R[R_EXC] |= DE;
  const s = (se >> 15) & 1;
  norm(se, h, l);
  if (SC[3] >= BIAS + 63) {
    setResult(se, h, l);
    return;
  }
  roundToInt(s, SC[3], SC[4], SC[5], rc);
  if (SC[26]) {
    setResult((s << 15) | (BIAS + 64), 0x80000000 | 0, 0);
    return;
  }
  if ((SC[24] | SC[25]) === 0) {
    setResult(s << 15, 0, 0);
    return;
  }
  const z = clz64(SC[24], SC[25]);
  shl(SC[24], SC[25], 0, z);
  setResult((s << 15) | (BIAS + 63 - z), SC[0] | 0, SC[1] | 0);
}

/** fbld: 10-byte packed BCD (bytes b[0..9]) into R. */
export function loadBCD(b: Uint8Array): void {
  let v = 0n;
  for (let k = 8; k >= 0; k--) v = v * 100n + BigInt((b[k] >> 4) * 10 + (b[k] & 15));
  const neg = b[9] & 0x80 ? 1 : 0;
  loadInt(neg, Number(v >> 32n), Number(v & 0xffffffffn));
  if (v === 0n) setResult(neg << 15, 0, 0);
}

/** fbstp: rounds to an integer and encodes it as packed BCD into `out` (10 bytes); returns false
 *  (after setting IE) when the value does not fit in 18 digits or is not finite. */
export function storeBCD(se: number, h: number, l: number, rc: number, out: Uint8Array): boolean {
  const k = classify(se, h, l);
  const s = (se >> 15) & 1;
  const indefinite = (): boolean => {
    R[R_EXC] |= IE;
    out.fill(0);
    out[7] = 0xc0;
    out[8] = 0xff;
    out[9] = 0xff;
    return false;
  };
  if (k === K_INF || k === K_QNAN || k === K_SNAN || k === K_UNSUPPORTED) return indefinite();
  let mag = 0n;
  if (k !== K_ZERO) {
    norm(se, h, l);
    const exc = R[R_EXC];
    roundToInt(s, SC[3], SC[4], SC[5], rc);
    if (SC[26]) {
      R[R_EXC] = exc;
      return indefinite();
    }
    mag = (BigInt(SC[24]) << 32n) | BigInt(SC[25]);
    if (mag > 999999999999999999n) {
      R[R_EXC] = exc;
      return indefinite();
    }
  }
  for (let k2 = 0; k2 < 9; k2++) {
    const d = Number(mag % 100n);
    mag /= 100n;
    out[k2] = ((Math.floor(d / 10)) << 4) | (d % 10);
  }
  out[9] = s ? 0x80 : 0;
  return true;
}

export { round80, R, R_SE, R_MH, R_ML, SC };
