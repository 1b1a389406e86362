// x87 transcendental instructions: f2xm1, fyl2x, fyl2xp1, fptan, fpatan, fsin, fcos, fsincos.
// Their results are the exact function values rounded once to a 64-bit significand with the
// control word's rounding (bigfloat.ts computes them to 256 bits; arguments of the trigonometric
// instructions are reduced with a 640-bit pi), C1 telling whether the rounding went up, as the
// CPU gives them. Zeros, infinities and the cases with exact results are decided apart.

import type { Cpu } from "../cpu.js";
import type { Insn, Exec } from "../isa.js";
import {
  type FpuState, fpuOf, checkPending, raise, underflow, setIndefinite, pop, pushCheck, IE, DE, ZE, UE, PE, C0, C1, C2, C3,
} from "./state.js";
import {
  R, R_SE, R_MH, R_ML, R_EXC, BIAS, K_ZERO, K_NORMAL, K_DENORMAL, K_INF, K_QNAN, K_SNAN, K_UNSUPPORTED, classify, norm, round80, setResult, setIndefiniteR, specialPair, quietNaN, SC,
} from "./ext80.js";
import { commit } from "./arith.js";
import { loadF64 } from "./formats.js";
import { type BF, bf, fromInt, mul, div, sub, pi, ln2, ln, ln1p, atan2, exp2m1, sinCos } from "./bigfloat.js";
import { ddExp2m1, ddYLog2X, ddYLog2P1, ddAtan2, ddResult } from "./ddmath.js";

const f64 = new Float64Array(1);
const i32 = new Int32Array(f64.buffer);

/** The value of an encoded register as a double (rounded; huge/tiny values overflow/underflow). */
export function toDouble(se: number, h: number, l: number): number {
  const k = classify(se, h, l);
  const neg = (se & 0x8000) !== 0;
  if (k === K_ZERO) return neg ? -0 : 0;
  if (k === K_INF) return neg ? -Infinity : Infinity;
  if (k === K_QNAN || k === K_SNAN || k === K_UNSUPPORTED) return NaN;
  norm(se, h, l);
  const m = SC[4] * 4294967296 + SC[5]; // rounded once to 53 bits
  let e = SC[3] - BIAS - 63;
  let v = m;
  // scale in steps that stay exact
  while (e > 1000) { v *= 2 ** 1000; e -= 1000; }
  while (e < -1000) { v *= 2 ** -1000; e += 1000; }
  v *= 2 ** e;
  return neg ? -v : v;
}

/** Loads a double into R exactly. */
export function fromDouble(d: number): void {
  f64[0] = d;
  const exc = R[R_EXC];
  loadF64(i32[0], i32[1]);
  R[R_EXC] = exc; // denormal doubles are fine here: no DE for an internal result
}

function regs(f: FpuState, n: number): boolean {
  for (let k = 0; k < n; k++) if (f.empty[(f.top + k) & 7]) return false;
  return true;
}

/** Common prologue: pending check, operand presence (stack underflow handled: returns false). */
export function begin(c: Cpu, i: Insn, n: number): FpuState | null {
  const f = fpuOf(c);
  checkPending(f);
  f.fip = i.eip;
  R[R_EXC] = 0;
  if (!regs(f, n)) {
    if (!underflow(f)) {
      setIndefinite(f, f.top);
      return null;
    }
    return null;
  }
  f.sw &= ~C1;
  return f;
}

/** Result of a double-precision computation into physical register d; returns false if not stored. */
function storeDouble(f: FpuState, d: number, v: number, inputs: number[]): boolean {
  if (Number.isNaN(v)) {
    R[R_EXC] |= IE;
    setIndefiniteR();
  } else {
    fromDouble(v);
    if (inputs.every((x) => Number.isFinite(x)) && Number.isFinite(v) && !inputs.every((x) => x === 0)) R[R_EXC] |= PE;
  }
  return commit(f, d);
}

/** NaN or unsupported operand of a one-operand instruction: result in R, returns true. */
export function nanOperand(f: FpuState, r: number): boolean {
  const k = classify(f.se[r], f.mh[r], f.ml[r]);
  if (k === K_UNSUPPORTED) {
    R[R_EXC] |= IE;
    setIndefiniteR();
    return true;
  }
  if (k === K_QNAN || k === K_SNAN) {
    quietNaN(f.se[r], f.mh[r], f.ml[r]);
    return true;
  }
  if (k === K_DENORMAL) R[R_EXC] |= DE;
  return false;
}

/** Finite register r as a BigFloat (exact). */
function regBF(f: FpuState, r: number): BF {
  norm(f.se[r], f.mh[r], f.ml[r]);
  const m = (BigInt(SC[4] >>> 0) << 32n) | BigInt(SC[5] >>> 0);
  return bf(f.se[r] & 0x8000 ? -m : m, SC[3] - BIAS - 63);
}

/** Rounds v (nonzero) into R with the control word's rounding, 64-bit significand (precision
 *  control does not apply to these instructions). A transcendental value is never exactly
 *  representable: its true magnitude lies a little above |v| (`dir` 1, v truncated) or, for a
 *  function of a tiny argument whose series tail vanished below v's precision, a little below
 *  (`dir` -1: sin, cos and atan of tiny arguments); `dir` 0 means v is exact. */
function roundBF(v: BF, rc: number, dir = 1): void {
  const s = v.m < 0n ? 1 : 0;
  let m = s ? -v.m : v.m;
  let e = v.e;
  if (dir < 0) {
    // just below |v|: two more bits, minus one
    m = (m << 2n) - 1n;
    e -= 2;
  }
  const n = m.toString(2).length;
  let top: bigint, sticky: boolean;
  if (n >= 96) {
    top = m >> BigInt(n - 96);
    sticky = dir !== 0 || (m & ((1n << BigInt(n - 96)) - 1n)) !== 0n;
  } else {
    top = m << BigInt(96 - n);
    sticky = dir !== 0;
  }
  const x = (Number(top & 0xffffffffn) | (sticky ? 1 : 0)) >>> 0;
  round80(s, e + n - 1 + BIAS, Number(top >> 64n) | 0, Number((top >> 32n) & 0xffffffffn) | 0, x | 0, 64, rc);
}

/** Whether v is within 2^-200 (relative) of `near`: the series tail of a tiny argument was
 *  lost, and the true value lies on the side the function's next term says. */
function collapsed(v: BF, near: BF): boolean {
  const d = sub(v, near);
  return d.m === 0n;
}

const rcOf = (f: FpuState): number => (f.cw >> 10) & 3;

/** Register r as a double-double [hi, lo] (exact: 53 + 11 bits), or null when its exponent is
 *  outside what the fast path handles. */
function regDD(f: FpuState, r: number): [number, number] | null {
  norm(f.se[r], f.mh[r], f.ml[r]);
  const e = SC[3] - BIAS;
  if (e < -900 || e > 900) return null;
  const h = SC[4] >>> 0, l = SC[5] >>> 0;
  const scale = 2 ** (e - 63);
  const neg = (f.se[r] & 0x8000) !== 0 ? -1 : 1;
  const hi = (h * 4294967296 + ((l & 0xfffff800) >>> 0)) * scale, lo = (l & 0x7ff) * scale;
  return [neg * hi, neg * lo];
}

/** Rounds the fast path's result into R when it is decided; false otherwise. */
function roundDD(rc: number): boolean {
  const d = ddResult();
  if (d === null) return false;
  const [s, m, e] = d;
  const x = (Number((m >> 32n) & 0xffffffffn) | 1) | 0; // inexact: a sticky bit
  round80(s, e + 127 + BIAS, Number(m >> 96n) | 0, Number((m >> 64n) & 0xffffffffn) | 0, x, 64, rc);
  return true;
}

/** Whether finite register r's magnitude is at least 2^63 (the trigonometric instructions'
 *  limit: beyond it they set C2 and leave the operand). */
function tooLarge(f: FpuState, r: number): boolean {
  norm(f.se[r], f.mh[r], f.ml[r]);
  return SC[3] - BIAS >= 63;
}

function trig(kind: number): Exec {
  // 0 fsin, 1 fcos, 2 fptan, 3 fsincos
  return (c, i) => {
    const f = begin(c, i, 1);
    if (f === null) return;
    const t = f.top;
    if (kind >= 2 && !f.empty[(t - 1) & 7]) {
      pushCheck(f);
      return;
    }
    if (nanOperand(f, t)) {
      const se = R[R_SE], h = R[R_MH], l = R[R_ML];
      if (!commit(f, t)) return;
      if (kind >= 2) {
        R[R_SE] = se; R[R_MH] = h; R[R_ML] = l; R[R_EXC] = 0;
        const n = (t - 1) & 7;
        f.top = n;
        commit(f, n);
      }
      return;
    }
    const k = classify(f.se[t], f.mh[t], f.ml[t]);
    if (k === K_INF) {
      R[R_EXC] |= IE;
      setIndefiniteR();
      if (!commit(f, t)) return;
      if (kind >= 2) {
        const n = (t - 1) & 7;
        f.top = n;
        setIndefinite(f, n);
      }
      return;
    }
    f.sw &= ~C2;
    if (k !== K_ZERO && tooLarge(f, t)) {
      f.sw |= C2;
      return;
    }
    const rc = rcOf(f);
    const one = (): void => setResult(0x3fff, 0x80000000 | 0, 0);
    let second: (() => void) | null = null;
    if (k === K_ZERO) {
      // sin, tan: the zero itself; cos: 1, exactly
      if (kind === 1) one();
      else setResult(f.se[t], f.mh[t], f.ml[t]);
      if (kind === 2) second = one;
      if (kind === 3) second = one;
    } else {
      const x = regBF(f, t);
      const [sn, cs] = sinCos(x);
      // for tiny x the series collapse onto x and 1: |sin| and cos lie below them, |tan| above
      const sd = collapsed(sn, x) ? -1 : 1, cd = collapsed(cs, fromInt(1)) ? -1 : 1;
      if (kind === 0) roundBF(sn, rc, sd);
      else if (kind === 1) roundBF(cs, rc, cd);
      else if (kind === 2) {
        roundBF(div(sn, cs), rc, 1);
        second = one;
      } else {
        roundBF(sn, rc, sd);
        second = () => roundBF(cs, rc, cd);
      }
    }
    if (!commit(f, t) || second === null) return;
    const n = (t - 1) & 7;
    f.top = n;
    const c1 = f.sw & C1;
    R[R_EXC] = 0;
    second();
    commit(f, n);
    if (kind === 2) f.sw |= c1; // fptan: C1 tells of the tangent's rounding (the 1.0 is exact)
  };
}

/** The exact value of a special case as a double, from IEEE semantics (infinities and zeros
 *  in, an infinity, a zero or a NaN out; for fpatan a multiple of pi/4, made exact below). */
type Special = (y: number, x: number) => number;

/** Two-operand operations ST(1) = g(ST(1), ST(0)), then pop. */
function binaryPop(special: Special, kind: number): Exec {
  // kind 0 fpatan, 1 fyl2x, 2 fyl2xp1
  return (c, i) => {
    const f = fpuOf(c);
    checkPending(f);
    f.fip = i.eip;
    R[R_EXC] = 0;
    const t = f.top, u = (t + 1) & 7;
    if (f.empty[t] | f.empty[u]) {
      if (underflow(f)) return;
      setIndefinite(f, u);
      pop(f);
      return;
    }
    f.sw &= ~C1;
    const ka = classify(f.se[t], f.mh[t], f.ml[t]), kb = classify(f.se[u], f.mh[u], f.ml[u]);
    if (specialPair(ka, kb, f.se[u], f.mh[u], f.ml[u], f.se[t], f.mh[t], f.ml[t])) {
      if (commit(f, u)) pop(f);
      return;
    }
    const denormal = ka === K_DENORMAL || kb === K_DENORMAL ? DE : 0;
    const finite = (ka === K_NORMAL || ka === K_DENORMAL) && (kb === K_NORMAL || kb === K_DENORMAL);
    const xneg = (f.se[t] & 0x8000) !== 0;
    if (kind === 2 && finite && xneg && (ka === K_NORMAL && (f.se[t] & 0x7fff) >= BIAS)) {
      // fyl2xp1 outside its domain (x <= -1): the CPU leaves x as the result, inexact
      setResult(f.se[t], f.mh[t], f.ml[t]);
      R[R_EXC] |= PE | denormal;
      if (commit(f, u)) pop(f);
      return;
    }
    if (finite && !(kind === 1 && xneg)) {
      R[R_EXC] |= denormal;
      const x = regBF(f, t), y = regBF(f, u);
      const dd = ka === K_NORMAL && kb === K_NORMAL;
      computeFinite(kind, x, y, rcOf(f), (f.cw & UE) !== 0, dd ? regDD(f, t) : null, dd ? regDD(f, u) : null);
      if (commit(f, u)) pop(f);
      return;
    }
    // zeros and infinities (and logarithms of negative numbers): IEEE semantics on doubles
    const xd = regDouble(f, t, ka), yd = regDouble(f, u, kb);
    const zeroDivide = kind === 1 && ka === K_ZERO && kb !== K_ZERO && kb !== K_INF;
    if (zeroDivide) R[R_EXC] |= ZE;
    const v = special(yd, xd);
    // an invalid operation or a division by zero takes precedence over a denormal operand
    if (!Number.isNaN(v) && !zeroDivide) R[R_EXC] |= denormal;
    if (Number.isNaN(v)) {
      R[R_EXC] |= IE;
      setIndefiniteR();
    } else if (kind === 0 && v !== 0 && Number.isFinite(v)) {
      // fpatan of zeros and infinities: a multiple of pi/4, rounded from the exact value
      roundBF(mul(fromInt(Math.round(v / (Math.PI / 4))), bf(pi().m, pi().e - 2)), rcOf(f));
    } else fromDouble(v);
    if (commit(f, u)) pop(f);
  };
}

/** An operand as a double: zeros and infinities exactly, finite values near enough for the
 *  special cases (signs, and which side of 1 a logarithm's argument lies). */
function regDouble(f: FpuState, r: number, k: number): number {
  const neg = (f.se[r] & 0x8000) !== 0;
  if (k === K_ZERO) return neg ? -0 : 0;
  if (k === K_INF) return neg ? -Infinity : Infinity;
  norm(f.se[r], f.mh[r], f.ml[r]);
  // beyond the double range a value keeps its side of 0 and of 1
  const v = Math.max(Number.MIN_VALUE, Math.min(Number.MAX_VALUE, (SC[4] >>> 0) * 2 ** (SC[3] - BIAS - 31)));
  return neg ? -v : v;
}

/** fpatan, fyl2x (x > 0), fyl2xp1 on finite nonzero operands, into R: the double-double fast
 *  path when it decides the rounding, else the BigFloat one. */
function computeFinite(kind: number, x: BF, y: BF, rc: number, ueMasked: boolean, xd: [number, number] | null, yd: [number, number] | null): void {
  if (xd !== null && yd !== null) {
    const ok = kind === 0 ? ddAtan2(yd[0], yd[1], xd[0], xd[1]) : kind === 1 ? ddYLog2X(yd[0], yd[1], xd[0], xd[1]) : ddYLog2P1(yd[0], yd[1], xd[0], xd[1]);
    if (ok && roundDD(rc)) return;
  }
  if (kind === 0) {
    const a = atan2(y, x);
    roundBF(a, rc, collapsed(a, div(y, x)) ? -1 : 1);
    return;
  }
  if (kind === 1) {
    // log2 of a power of two is an integer: the product is exact, rounded once (the CPU still
    // reports it inexact)
    const mag = x.m < 0n ? -x.m : x.m;
    if ((mag & (mag - 1n)) === 0n) {
      const k = x.e + mag.toString(2).length - 1;
      if (k === 0) setResult(y.m < 0n ? 0x8000 : 0, 0, 0);
      else {
        roundBF(mul(y, fromInt(k)), rc, 0);
        // inexact as the CPU has it, so a denormal result is an underflow (masked: the
        // unmasked response would rescale a result that is exact here)
        R[R_EXC] |= PE;
        if (ueMasked && (R[R_SE] & 0x7fff) === 0 && (R[R_MH] | R[R_ML]) !== 0) R[R_EXC] |= UE;
      }
      return;
    }
    roundBF(mul(y, div(ln(x), ln2())), rc);
    return;
  }
  roundBF(mul(y, div(ln1p(x), ln2())), rc);
}

function F2XM1(c: Cpu, i: Insn): void {
  const f = begin(c, i, 1);
  if (f === null) return;
  const t = f.top;
  if (nanOperand(f, t)) {
    commit(f, t);
    return;
  }
  const k = classify(f.se[t], f.mh[t], f.ml[t]);
  const neg = (f.se[t] & 0x8000) !== 0;
  if (k === K_ZERO || (k === K_INF && !neg)) setResult(f.se[t], f.mh[t], f.ml[t]);
  else if (k === K_INF) setResult(0xbfff, 0x80000000 | 0, 0);
  else {
    norm(f.se[t], f.mh[t], f.ml[t]);
    const e = SC[3] - BIAS;
    const unit = SC[4] === (0x80000000 | 0) && SC[5] === 0;
    if (e > 0 || (e === 0 && !unit)) {
      // outside -1..+1 the result is undefined; the CPU leaves ST(0) and reports it inexact
      f.sw |= PE;
      return;
    }
    const x = regBF(f, t);
    if (e === 0) {
      // 2^1 - 1 = 1 and 2^-1 - 1 = -1/2, exactly
      setResult(neg ? 0xbffe : 0x3fff, 0x80000000 | 0, 0);
    } else {
      const xd = k === K_NORMAL ? regDD(f, t) : null;
      if (!(xd !== null && ddExp2m1(xd[0], xd[1]) && roundDD(rcOf(f)))) roundBF(exp2m1(x), rcOf(f));
    }
  }
  commit(f, t);
}

export const TRANS_HANDLERS: Record<string, Exec> = {
  fsin: trig(0),
  fcos: trig(1),
  fptan: trig(2),
  fsincos: trig(3),
  fpatan: binaryPop((y, x) => Math.atan2(y, x), 0),
  fyl2x: binaryPop((y, x) => (x < 0 ? NaN : y * Math.log2(x)), 1),
  fyl2xp1: binaryPop((y, x) => y * Math.log1p(x), 2),
  f2xm1: F2XM1,
};
void R_SE;
