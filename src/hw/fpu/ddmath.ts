// The fast path of the x87 transcendental instructions that libm calls most (f2xm1, fyl2x,
// fyl2xp1, fpatan: exp, log, pow, atan...): the function in double-double arithmetic (about 100
// correct bits, a few dozen double operations after a table lookup) instead of 256-bit BigInt
// series. The result still has to be the exact value correctly rounded: `decide` rounds the
// double-double value only when its error bound cannot reach a rounding boundary (or the point
// of an exact result, which C1 depends on); otherwise the caller falls back to bigfloat.ts. All
// results are computed into the module's scratch pair (RH, RL); a function returns false when it
// cannot help.

import { type BF, bf, fromInt, div, add, atan, ln, pi, ln2 } from "./bigfloat.js";

/** Result pair. */
let RH = 0, RL = 0;

function twoSum(a: number, b: number): void {
  const s = a + b, bb = s - a;
  RH = s;
  RL = a - (s - bb) + (b - bb);
}

const SPLIT = 134217729;
function twoProd(a: number, b: number): void {
  const p = a * b;
  let t = SPLIT * a;
  const ah = t - (t - a), al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b), bl = b - bh;
  RH = p;
  RL = ah * bh - p + ah * bl + al * bh + al * bl;
}

function add2(ah: number, al: number, bh: number, bl: number): void {
  twoSum(ah, bh);
  const s = RH, e = RL + al + bl;
  RH = s + e;
  RL = e - (RH - s);
}

function mul2(ah: number, al: number, bh: number, bl: number): void {
  twoProd(ah, bh);
  const p = RH, e = RL + ah * bl + al * bh;
  RH = p + e;
  RL = e - (RH - p);
}

function div2(ah: number, al: number, bh: number, bl: number): void {
  const q1 = ah / bh;
  mul2(q1, 0, bh, bl);
  add2(ah, al, -RH, -RL);
  const r1h = RH, r1l = RL;
  const q2 = r1h / bh;
  mul2(q2, 0, bh, bl);
  add2(r1h, r1l, -RH, -RL);
  const q3 = RH / bh;
  twoSum(q1, q2);
  add2(RH, RL, q3, 0);
}

/** A BigFloat as a double-double (rounded to about 106 bits). */
function toDD(v: BF): [number, number] {
  const h = Number(v.m) * 2 ** v.e;
  const rest = sub106(v, h);
  return [h, rest];
}
function sub106(v: BF, h: number): number {
  // v - h exactly in BigFloat, then as a double
  const d = add(v, neg64(h));
  return Number(d.m) * 2 ** d.e;
}
function neg64(h: number): BF {
  const [m, e] = parts(-h);
  return bf(m, e);
}

/** A finite double as m * 2^e with integer m. */
const F = new Float64Array(1), U = new Uint32Array(F.buffer);
function parts(x: number): [bigint, number] {
  if (x === 0) return [0n, 0];
  F[0] = x;
  const hi = U[1], lo = U[0];
  const ex = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (ex === 0) e = -1074;
  else {
    m |= 1n << 52n;
    e = ex - 1075;
  }
  return [hi >>> 31 ? -m : m, e];
}

// ---- tables (from the BigFloat functions, on the first use of a function below) ----
// Computing them takes about 30 ms, which every start-up paid when they were made at load time.

let LN2H = 0, LN2L = 0, INVLN2H = 0, INVLN2L = 0, PIH = 0, PIL = 0;
/** ln(1 + j/64) and atan(j/64), j = 0..64, as pairs. */
const LNT = new Float64Array(130), ATT = new Float64Array(130);
let tablesMade = false;

function makeTables(): void {
  tablesMade = true;
  [LN2H, LN2L] = toDD(ln2());
  [INVLN2H, INVLN2L] = toDD(div(fromInt(1), ln2()));
  [PIH, PIL] = toDD(pi());
  for (let j = 0; j <= 64; j++) {
    const c = bf(BigInt(64 + j), -6);
    [LNT[2 * j], LNT[2 * j + 1]] = j === 0 ? [0, 0] : toDD(ln(c));
    [ATT[2 * j], ATT[2 * j + 1]] = j === 0 ? [0, 0] : toDD(atan(bf(BigInt(j), -6)));
  }
}

// ---- functions (argument and result pairs; |error| below 2^-96 relative) ----

/** 2 atanh(z) = ln((1 + z) / (1 - z)) for |z| <= 1/128: 2 z (1 + z^2/3 + ... + z^14/15). */
function atanh2(zh: number, zl: number): void {
  mul2(zh, zl, zh, zl);
  const z2h = RH, z2l = RL;
  let ph = 1 / 15, pl = 0;
  for (let k = 13; k >= 1; k -= 2) {
    mul2(ph, pl, z2h, z2l);
    const th = RH, tl = RL;
    if (k === 1) add2(th, tl, 1, 0);
    else {
      div2(1, 0, k, 0);
      add2(th, tl, RH, RL);
    }
    ph = RH;
    pl = RL;
  }
  mul2(ph, pl, zh, zl);
  add2(RH, RL, RH, RL);
}

/** ln(m) for a pair in [1, 2): m = c (1 + s), c = 1 + j/64, ln(1 + s) = 2 atanh(s / (2 + s)). */
function lnUnit(mh: number, ml: number): void {
  const j = Math.min(63, Math.floor((mh - 1) * 64));
  const c = 1 + j / 64;
  add2(mh, ml, -c, 0);
  div2(RH, RL, c, 0);
  const sh = RH, sl = RL;
  add2(sh, sl, 2, 0);
  div2(sh, sl, RH, RL);
  atanh2(RH, RL);
  add2(RH, RL, LNT[2 * j], LNT[2 * j + 1]);
}

/** e^t - 1 for |t| <= 0.7: halved 8 times, the series, then expm1(2u) = expm1(u) (expm1(u) + 2). */
function expm1(th: number, tl: number): void {
  const uh = th / 256, ul = tl / 256;
  // u + u^2/2! + ... + u^9/9! by Horner
  let ph = 1 / 362880, pl = 0;
  for (let n = 8; n >= 1; n--) {
    mul2(ph, pl, uh, ul);
    const qh = RH, ql = RL;
    div2(1, 0, factorial(n), 0);
    add2(qh, ql, RH, RL);
    ph = RH;
    pl = RL;
  }
  mul2(ph, pl, uh, ul);
  let eh = RH, el = RL;
  for (let k = 0; k < 8; k++) {
    add2(eh, el, 2, 0);
    mul2(eh, el, RH, RL);
    eh = RH;
    el = RL;
  }
  RH = eh;
  RL = el;
}
const FACT = [1, 1, 2, 6, 24, 120, 720, 5040, 40320, 362880];
const factorial = (n: number): number => FACT[n];

/** atan(z) for 0 <= z <= 1: atan(c) + atan((z - c) / (1 + z c)), c = j/64. */
function atanUnit(zh: number, zl: number): void {
  const j = Math.round(zh * 64);
  const c = j / 64;
  add2(zh, zl, -c, 0);
  const nh = RH, nl = RL;
  mul2(zh, zl, c, 0);
  add2(RH, RL, 1, 0);
  div2(nh, nl, RH, RL); // t, |t| <= 1/128
  const th = RH, tl = RL;
  mul2(th, tl, th, tl);
  const t2h = -RH, t2l = -RL;
  // t (1 - t^2/3 + t^4/5 - ...): to t^14
  let ph = -1 / 15, pl = 0;
  for (let k = 13; k >= 1; k -= 2) {
    mul2(ph, pl, t2h, t2l);
    const qh = RH, ql = RL;
    if (k === 1) add2(qh, ql, 1, 0);
    else {
      div2(1, 0, k, 0);
      add2(qh, ql, RH, RL);
    }
    ph = RH;
    pl = RL;
  }
  mul2(ph, pl, th, tl);
  add2(RH, RL, ATT[2 * j], ATT[2 * j + 1]);
}

// ---- the instructions' functions; false when the arguments are outside the fast path ----

/** 2^x - 1 for 2^-60 <= |x| < 1 (x exact as a pair). */
export function ddExp2m1(xh: number, xl: number): boolean {
  if (!tablesMade) makeTables();
  mul2(xh, xl, LN2H, LN2L);
  expm1(RH, RL);
  return true;
}

/** y log2(x) for x > 0 (pairs). */
export function ddYLog2X(yh: number, yl: number, xh: number, xl: number): boolean {
  if (!tablesMade) makeTables();
  const k = Math.floor(Math.log2(xh));
  const s = 2 ** -k;
  let mh = xh * s, ml = xl * s;
  if (mh < 1) {
    mh *= 2;
    ml *= 2;
  }
  const kk = xh * s < 1 ? k - 1 : k;
  if (mh >= 2) return false;
  lnUnit(mh, ml);
  mul2(RH, RL, INVLN2H, INVLN2L);
  add2(RH, RL, kk, 0);
  if (kk !== 0 && Math.abs(RH) < 0.5) return false; // cancellation: leave it to the exact path
  mul2(RH, RL, yh, yl);
  return true;
}

/** y log2(1 + x) for |x| < 0.29 (pairs). */
export function ddYLog2P1(yh: number, yl: number, xh: number, xl: number): boolean {
  if (!tablesMade) makeTables();
  if (!(Math.abs(xh) < 0.29)) return false;
  if (Math.abs(xh) < 1 / 64) {
    // small x: 2 atanh(x / (2 + x)) straight away (1 + x would lose x's low bits)
    add2(xh, xl, 2, 0);
    div2(xh, xl, RH, RL);
    atanh2(RH, RL);
    mul2(RH, RL, INVLN2H, INVLN2L);
    mul2(RH, RL, yh, yl);
    return true;
  }
  add2(1, 0, xh, xl);
  const mh = RH, ml = RL;
  if (mh < 1) {
    // 1 + x below 1: ln(m) = ln(2m) - ln 2
    lnUnit(mh * 2, ml * 2);
    add2(RH, RL, -LN2H, -LN2L);
  } else lnUnit(mh, ml);
  mul2(RH, RL, INVLN2H, INVLN2L);
  mul2(RH, RL, yh, yl);
  return true;
}

/** atan2(y, x) for finite nonzero pairs. */
export function ddAtan2(yh: number, yl: number, xh: number, xl: number): boolean {
  if (!tablesMade) makeTables();
  const ay = Math.abs(yh), ax = Math.abs(xh);
  const sy = yh < 0 ? -1 : 1, sx = xh < 0 ? -1 : 1;
  if (ay <= ax) {
    div2(ay, yl * sy, ax, xl * sx);
    atanUnit(RH, RL);
  } else {
    div2(ax, xl * sx, ay, yl * sy);
    atanUnit(RH, RL);
    add2(PIH / 2, PIL / 2, -RH, -RL);
  }
  if (sx < 0) add2(PIH, PIL, -RH, -RL);
  if (sy < 0) {
    RH = -RH;
    RL = -RL;
  }
  return true;
}

// ---- rounding ----

/** Relative error bound of the pairs above (generous: each is good to about 2^-100). */
const ERROR = 2 ** -90;

/** The pair (RH, RL) as sign, exponent and 128-bit magnitude, if its rounding to 64 bits is
 *  decided whatever the error within ERROR: [sign, m (128 bits, MSB at bit 127), e] with value
 *  m * 2^e, or null. */
export function ddResult(): [number, bigint, number] | null {
  const h = RH, l = RL;
  if (!Number.isFinite(h) || h === 0) return null;
  const [mh, eh] = parts(h), [ml, el] = parts(l);
  const e = Math.min(eh, el);
  let m = (mh << BigInt(eh - e)) + (ml === 0n ? 0n : ml << BigInt(el - e));
  const sign = m < 0n ? 1 : 0;
  if (sign) m = -m;
  const n = m.toString(2).length;
  // align to 128 bits
  const m128 = n >= 128 ? m >> BigInt(n - 128) : m << BigInt(128 - n);
  const e128 = e + n - 128;
  // bits below the 64-bit rounding point, as a fraction of an ulp: the error reaches
  // ERROR * 2^64 ulp; a fraction that close to 0, 1/2 or 1 is undecided
  const frac = Number(m128 & 0xffffffffffffffffn) / 2 ** 64;
  const margin = ERROR * 2 ** 64;
  if (frac < margin || Math.abs(frac - 0.5) < margin || frac > 1 - margin) return null;
  return [sign, m128, e128];
}

