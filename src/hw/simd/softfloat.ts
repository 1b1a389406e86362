// Exact IEEE binary32/binary64 arithmetic as SSE computes it, on raw bit patterns (BigInt), for
// every case the JavaScript fast path (fparith.ts) does not take: rounding modes other than
// nearest, DAZ/FTZ, NaN/infinite/denormal operands, tiny or huge results, unmasked exceptions.
// Values are unpacked to sign * m * 2^e with an exact BigInt significand, combined exactly (a
// quotient or root carries a sticky bit for what it drops), and rounded once.
//
// x86 specifics (Intel SDM vol. 1, 4.8.3 and 11.5.2; checked against the host CPU by the
// generated ISA tests): a NaN result is the first operand if it is a NaN, else the second, made
// quiet; invalid operations give the default NaN (negative, quiet, zero payload); tininess is
// detected after rounding; a masked underflow is flagged only when the result is also inexact,
// FTZ flushes tiny results to zero and flags UE|PE; DAZ reads denormal operands as zeros
// without flagging DE. Exception flags accumulate in `exc` (pre-computation: IE DE ZE;
// post-computation: OE UE PE) until the instruction commits them (state.ts).

import { IE, DE, ZE, OE, UE, PE, DAZ, FTZ, exc } from "./state.js";

export interface Format {
  /** Significand bits including the implicit one. */
  p: number;
  emin: number;
  emax: number;
  bias: number;
  /** Bits of the whole encoding. */
  width: number;
}
export const F32: Format = { p: 24, emin: -126, emax: 127, bias: 127, width: 32 };
export const F64: Format = { p: 53, emin: -1022, emax: 1023, bias: 1023, width: 64 };

/** Operand classes. */
export const ZERO = 0, NORMAL = 1, DENORMAL = 2, INF = 3, QNAN = 4, SNAN = 5;

/** A decoded operand: value (-1)^sign * m * 2^e for finite classes. */
export interface Num {
  cls: number;
  sign: number;
  m: bigint;
  e: number;
  bits: bigint;
}

const fracMask = (f: Format): bigint => (1n << BigInt(f.p - 1)) - 1n;
const expMask = (f: Format): bigint => (1n << BigInt(f.width - f.p)) - 1n;
const signBit = (f: Format): bigint => 1n << BigInt(f.width - 1);
const quietBit = (f: Format): bigint => 1n << BigInt(f.p - 2);

/** The default NaN (real indefinite). */
export function defaultNaN(f: Format): bigint {
  return signBit(f) | (expMask(f) << BigInt(f.p - 1)) | quietBit(f);
}

export function infinity(f: Format, sign: number): bigint {
  return (sign ? signBit(f) : 0n) | (expMask(f) << BigInt(f.p - 1));
}

export function zero(f: Format, sign: number): bigint {
  return sign ? signBit(f) : 0n;
}

function maxFinite(f: Format, sign: number): bigint {
  return (sign ? signBit(f) : 0n) | ((expMask(f) - 1n) << BigInt(f.p - 1)) | fracMask(f);
}

export function quiet(f: Format, bits: bigint): bigint {
  return bits | quietBit(f);
}

/** Decodes bits; with `daz`, denormals read as zeros of the same sign. */
export function unpack(f: Format, bits: bigint, daz: boolean): Num {
  const sign = Number(bits >> BigInt(f.width - 1)) & 1;
  const ex = Number((bits >> BigInt(f.p - 1)) & expMask(f));
  const frac = bits & fracMask(f);
  if (ex === Number(expMask(f))) {
    if (frac === 0n) return { cls: INF, sign, m: 0n, e: 0, bits };
    return { cls: (frac & quietBit(f)) !== 0n ? QNAN : SNAN, sign, m: 0n, e: 0, bits };
  }
  if (ex === 0) {
    if (frac === 0n || daz) return { cls: ZERO, sign, m: 0n, e: 0, bits };
    return { cls: DENORMAL, sign, m: frac, e: f.emin - f.p + 1, bits };
  }
  return { cls: NORMAL, sign, m: frac | (1n << BigInt(f.p - 1)), e: ex - f.bias - f.p + 1, bits };
}

export function isNaN(n: Num): boolean {
  return n.cls >= QNAN;
}

/** Rounding control from MXCSR bits 13-14 (or an instruction's own): 0 nearest, 1 down, 2 up,
 *  3 toward zero. */
export const RN = 0, RD = 1, RU = 2, RZ = 3;

function bitLength(m: bigint): number {
  return m.toString(2).length;
}

/** m * 2^e (plus less than 2^e when sticky: callers keep two spare bits below the rounding
 *  point) rounded to a multiple of 2^q. Returns the multiple's count and whether it is inexact. */
function roundAt(m: bigint, e: number, sticky: boolean, q: number, rc: number, sign: number): [bigint, boolean] {
  if (e >= q) return [m << BigInt(e - q), sticky];
  const sh = BigInt(q - e);
  let r = m >> sh;
  const rem = m - (r << sh);
  const half = 1n << (sh - 1n);
  const inexact = rem !== 0n || sticky;
  let up = false;
  if (rc === RN) up = rem > half || (rem === half && (sticky || (r & 1n) === 1n));
  else if (rc === RD) up = inexact && sign === 1;
  else if (rc === RU) up = inexact && sign === 0;
  if (up) r += 1n;
  return [r, inexact];
}

/** Rounds (-1)^sign * m * 2^e (+sticky) to the format under MXCSR `mx` and rounding `rc`,
 *  flagging OE/UE/PE in `exc`; returns the encoding. */
export function pack(f: Format, sign: number, m: bigint, e: number, sticky: boolean, mx: number, rc: number): bigint {
  const sb = sign ? signBit(f) : 0n;
  if (m === 0n && !sticky) return sb;
  const lead = bitLength(m) - 1 + e;
  let q = lead - (f.p - 1);
  let [r, inexact] = roundAt(m, e, sticky, q, rc, sign);
  if (r === 1n << BigInt(f.p)) {
    r >>= 1n;
    q += 1;
  }
  const er = q + f.p - 1;
  if (er > f.emax) {
    // unmasked, nothing is delivered: PE only when rounding to the precision was inexact
    exc.post |= (mx & (OE << 7)) === 0 ? OE | (inexact ? PE : 0) : OE | PE;
    if (rc === RN || (rc === RU && !sign) || (rc === RD && sign)) return infinity(f, sign);
    return maxFinite(f, sign);
  }
  if (er < f.emin) {
    const ueMasked = (mx & (UE << 7)) !== 0;
    if (!ueMasked) {
      exc.post |= UE | (inexact ? PE : 0);
      return sb;
    }
    if (mx & FTZ) {
      exc.post |= UE | PE;
      return sb;
    }
    const [d, inex] = roundAt(m, e, sticky, f.emin - f.p + 1, rc, sign);
    if (inex) exc.post |= UE | PE;
    return sb | d; // a carry into the implicit bit gives the smallest normal's encoding
  }
  if (inexact) exc.post |= PE;
  return sb | (BigInt(er + f.bias) << BigInt(f.p - 1)) | (r & fracMask(f));
}

// ---- operations on decoded operands ----

/** NaN result of a two-operand operation: the first operand if it is a NaN, else the second,
 *  quiet; IE when either is signalling. */
export function nanResult(f: Format, a: Num, b: Num): bigint {
  if (a.cls === SNAN || b.cls === SNAN) exc.pre |= IE;
  return quiet(f, isNaN(a) ? a.bits : b.bits);
}

/** DE for denormal operands (DAZ already turned them into zeros). */
function denormals(...xs: Num[]): void {
  for (const x of xs) if (x.cls === DENORMAL) exc.pre |= DE;
}

export const OP_ADD = 0, OP_SUB = 1, OP_MUL = 2, OP_DIV = 3;

function rcOf(mx: number): number {
  return (mx >> 13) & 3;
}

/** a op b (OP_ADD, OP_SUB, OP_MUL, OP_DIV) on encodings. */
export function arith(f: Format, op: number, abits: bigint, bbits: bigint, mx: number): bigint {
  const daz = (mx & DAZ) !== 0;
  const a = unpack(f, abits, daz), b = unpack(f, bbits, daz);
  if (isNaN(a) || isNaN(b)) return nanResult(f, a, b);
  const rc = rcOf(mx);
  const bsign = op === OP_SUB ? b.sign ^ 1 : b.sign;
  if (op === OP_ADD || op === OP_SUB) {
    if (a.cls === INF || b.cls === INF) {
      if (a.cls === INF && b.cls === INF && a.sign !== bsign) {
        exc.pre |= IE;
        return defaultNaN(f);
      }
      denormals(a, b);
      return infinity(f, a.cls === INF ? a.sign : bsign);
    }
    denormals(a, b);
    const e = Math.min(a.e, b.e);
    const ma = a.m << BigInt(a.e - e), mb = b.m << BigInt(b.e - e);
    const s = (a.sign ? -ma : ma) + (bsign ? -mb : mb);
    if (s === 0n) {
      if (a.cls === ZERO && b.cls === ZERO && a.sign === bsign) return zero(f, a.sign);
      return zero(f, rc === RD ? 1 : 0);
    }
    return pack(f, s < 0n ? 1 : 0, s < 0n ? -s : s, e, false, mx, rc);
  }
  const sign = a.sign ^ b.sign;
  if (op === OP_MUL) {
    if (a.cls === INF || b.cls === INF) {
      if (a.cls === ZERO || b.cls === ZERO) {
        exc.pre |= IE;
        return defaultNaN(f);
      }
      denormals(a, b);
      return infinity(f, sign);
    }
    denormals(a, b);
    if (a.cls === ZERO || b.cls === ZERO) return zero(f, sign);
    return pack(f, sign, a.m * b.m, a.e + b.e, false, mx, rc);
  }
  // division
  if (a.cls === INF) {
    if (b.cls === INF) {
      exc.pre |= IE;
      return defaultNaN(f);
    }
    denormals(b);
    return infinity(f, sign);
  }
  if (b.cls === INF) {
    denormals(a);
    return zero(f, sign);
  }
  if (b.cls === ZERO) {
    if (a.cls === ZERO) {
      exc.pre |= IE;
      return defaultNaN(f);
    }
    // division by zero takes precedence over a denormal dividend
    exc.pre |= ZE;
    return infinity(f, sign);
  }
  denormals(a, b);
  if (a.cls === ZERO) return zero(f, sign);
  const k = f.p + 3 + bitLength(b.m) - bitLength(a.m);
  const num = k >= 0 ? a.m << BigInt(k) : a.m >> BigInt(-k);
  const qt = num / b.m;
  return pack(f, sign, qt, a.e - b.e - k, num - qt * b.m !== 0n, mx, rc);
}

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(bitLength(n) / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

export function sqrt(f: Format, abits: bigint, mx: number): bigint {
  const a = unpack(f, abits, (mx & DAZ) !== 0);
  if (isNaN(a)) return nanResult(f, a, a);
  if (a.cls === ZERO) return zero(f, a.sign);
  if (a.sign) {
    exc.pre |= IE;
    return defaultNaN(f);
  }
  if (a.cls === INF) return abits;
  denormals(a);
  let m = a.m, e = a.e;
  if (e & 1) {
    m <<= 1n;
    e -= 1;
  }
  // enough bits that the root has p + 3 of them
  const k = Math.max(0, f.p + 3 - Math.floor(bitLength(m) / 2));
  m <<= BigInt(2 * k);
  const r = isqrt(m);
  return pack(f, 0, r, e / 2 - k, r * r !== m, mx, rcOf(mx));
}

/** Converts between the formats (cvtss2sd, cvtsd2ss): NaNs keep their payload's top bits. */
export function convert(from: Format, to: Format, abits: bigint, mx: number): bigint {
  const a = unpack(from, abits, (mx & DAZ) !== 0);
  if (isNaN(a)) {
    if (a.cls === SNAN) exc.pre |= IE;
    const payload = abits & fracMask(from);
    const shifted = to.p >= from.p ? payload << BigInt(to.p - from.p) : payload >> BigInt(from.p - to.p);
    return quiet(to, (a.sign ? signBit(to) : 0n) | (expMask(to) << BigInt(to.p - 1)) | shifted);
  }
  if (a.cls === INF) return infinity(to, a.sign);
  if (a.cls === ZERO) return zero(to, a.sign);
  denormals(a);
  return pack(to, a.sign, a.m, a.e, false, mx, rcOf(mx));
}

/** A signed integer (up to 64 bits) to the format, rounded by MXCSR. */
export function fromInt(to: Format, v: bigint, mx: number): bigint {
  if (v === 0n) return 0n;
  return pack(to, v < 0n ? 1 : 0, v < 0n ? -v : v, 0, false, mx, rcOf(mx));
}

/** The value rounded to an integer by `rc` (as a BigInt), or null when NaN/infinite. Flags PE
 *  when inexact unless `suppressPE`; DE is not reported by these conversions. */
export function toIntegral(f: Format, abits: bigint, mx: number, rc: number, suppressPE: boolean): bigint | null {
  const a = unpack(f, abits, (mx & DAZ) !== 0);
  if (a.cls >= INF) return null;
  if (a.cls === ZERO) return 0n;
  let r: bigint, inexact: boolean;
  if (a.e >= 0) {
    r = a.m << BigInt(a.e);
    inexact = false;
  } else {
    // two guard bits below the integer position: roundAt wants them
    [r, inexact] = roundAt(a.m << 2n, a.e - 2, false, 0, rc, a.sign);
  }
  if (inexact && !suppressPE) exc.post |= PE;
  return a.sign ? -r : r;
}

/** cvt(t)ss2si / cvt(t)sd2si and the packed forms: the integer of `bits` bits (32 or 64) or the
 *  integer indefinite (its most negative value) with IE when NaN or out of range. */
export function toInt(f: Format, abits: bigint, mx: number, rc: number, bits: number): bigint {
  const r = toIntegral(f, abits, mx, rc, true);
  const lim = 1n << BigInt(bits - 1);
  if (r === null || r >= lim || r < -lim) {
    exc.pre |= IE;
    return -lim;
  }
  // PE only for results that fit (an invalid conversion reports IE alone)
  toIntegral(f, abits, mx, rc, false);
  return r;
}

/** roundss/roundsd/roundps/roundpd: the value rounded to an integral value in its own format. */
export function roundIntegral(f: Format, abits: bigint, mx: number, rc: number, suppressPE: boolean): bigint {
  const a = unpack(f, abits, (mx & DAZ) !== 0);
  if (isNaN(a)) return nanResult(f, a, a);
  if (a.cls === INF || a.cls === ZERO) return a.cls === ZERO ? zero(f, a.sign) : abits;
  const r = toIntegral(f, abits, mx, rc, suppressPE) as bigint;
  if (r === 0n) return zero(f, a.sign);
  const mag = r < 0n ? -r : r;
  return pack(f, a.sign, mag, 0, false, mx | (PE << 7), RZ);
}

/** Comparison: -1 less, 0 equal, 1 greater, 2 unordered. IE on a signalling NaN, or on any NaN
 *  when `signalQuiet` (the ordered compares, comiss/comisd); DE for denormal operands. */
export function compare(f: Format, abits: bigint, bbits: bigint, mx: number, signalQuiet: boolean): number {
  const daz = (mx & DAZ) !== 0;
  const a = unpack(f, abits, daz), b = unpack(f, bbits, daz);
  if (isNaN(a) || isNaN(b)) {
    if (a.cls === SNAN || b.cls === SNAN || signalQuiet) exc.pre |= IE;
    return 2;
  }
  denormals(a, b);
  // infinities as numbers beyond every finite one
  const sa = a.cls === ZERO ? 0 : a.sign ? -1 : 1, sb = b.cls === ZERO ? 0 : b.sign ? -1 : 1;
  if (sa !== sb) return sa < sb ? -1 : 1;
  if (sa === 0) return 0;
  const ma0 = a.cls === INF ? 1n : a.m, mb0 = b.cls === INF ? 1n : b.m;
  const ea = a.cls === INF ? 4096 : a.e, eb = b.cls === INF ? 4096 : b.e;
  const e = Math.min(ea, eb);
  const ma = ma0 << BigInt(ea - e), mb = mb0 << BigInt(eb - e);
  if (ma === mb) return 0;
  return (ma < mb) === (sa > 0) ? -1 : 1;
}
