// x87 fprem/fprem1, fscale, fxtract (exact) and the transcendental instructions f2xm1, fyl2x,
// fyl2xp1, fptan, fpatan, fsin, fcos, fsincos. The transcendentals are computed in double
// precision with the host's libm (about 53 correct bits; the hardware's own 64-bit results are
// not reproducible bit for bit anyway); fprem's exact remainder uses BigInt (it is rare and
// iterative by nature).

import type { Cpu } from "../cpu.js";
import type { Insn, Exec } from "../isa.js";
import {
  type FpuState, fpuOf, checkPending, raise, underflow, setIndefinite, pop, pushCheck, IE, DE, ZE, PE, C0, C1, C2, C3,
} from "./state.js";
import {
  R, R_SE, R_MH, R_ML, R_EXC, BIAS, K_ZERO, K_DENORMAL, K_INF, K_QNAN, K_SNAN, K_UNSUPPORTED, classify, norm, round80, setResult, setIndefiniteR, specialPair, quietNaN, clz64, shl, SC,
} from "./ext80.js";
import { commit } from "./arith.js";
import {
  loadF64,
} from "./formats.js";

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
function begin(c: Cpu, i: Insn, n: number): FpuState | null {
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
function nanOperand(f: FpuState, r: number): boolean {
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

const TWO63 = 2 ** 63;

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
    const x = toDouble(f.se[t], f.mh[t], f.ml[t]);
    if (!Number.isFinite(x)) {
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
    if (Math.abs(x) >= TWO63) {
      f.sw |= C2;
      return;
    }
    if (kind === 0) storeDouble(f, t, Math.sin(x), [x]);
    else if (kind === 1) storeDouble(f, t, Math.cos(x), [x === 0 ? 1 : x]);
    else {
      const a = kind === 2 ? Math.tan(x) : Math.sin(x);
      const b = kind === 2 ? 1 : Math.cos(x);
      if (!storeDouble(f, t, a, [x])) return;
      const n = (t - 1) & 7;
      f.top = n;
      R[R_EXC] = 0;
      if (kind === 2) {
        setResult(0x3fff, 0x80000000 | 0, 0);
        commit(f, n);
      } else storeDouble(f, n, b, [x === 0 ? 1 : x]);
    }
  };
}

/** Two-operand operations ST(1) = g(ST(1), ST(0)), then pop. */
function binaryPop(g: (y: number, x: number) => number, kind: number): Exec {
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
    if (ka === K_DENORMAL || kb === K_DENORMAL) R[R_EXC] |= DE;
    const x = toDouble(f.se[t], f.mh[t], f.ml[t]), y = toDouble(f.se[u], f.mh[u], f.ml[u]);
    if (kind === 1 && x === 0 && y !== 0 && Number.isFinite(y)) R[R_EXC] |= ZE;
    const v = g(y, x);
    if (Number.isNaN(v)) {
      R[R_EXC] |= IE;
      setIndefiniteR();
      if (commit(f, u)) pop(f);
      return;
    }
    if (storeDouble(f, u, v, [x, y])) pop(f);
  };
}

function F2XM1(c: Cpu, i: Insn): void {
  const f = begin(c, i, 1);
  if (f === null) return;
  const t = f.top;
  if (nanOperand(f, t)) {
    commit(f, t);
    return;
  }
  const x = toDouble(f.se[t], f.mh[t], f.ml[t]);
  if (x === Infinity) setResult(f.se[t], f.mh[t], f.ml[t]);
  else if (x === -Infinity) setResult(0xbfff, 0x80000000 | 0, 0);
  else if (Math.abs(x) > 1) return; // outside -1..+1 the result is undefined; the hardware leaves ST(0)
  else {
    storeDouble(f, t, Math.expm1(x * Math.LN2), [x]);
    return;
  }
  commit(f, t);
}

/** fprem (truncating) and fprem1 (round to nearest): exact partial remainder. */
function fprem(nearest: boolean): Exec {
  return (c, i) => {
    const f = begin(c, i, 2);
    if (f === null) return;
    const t = f.top, u = (t + 1) & 7;
    const ase = f.se[t], ah = f.mh[t], al = f.ml[t], bse = f.se[u], bh = f.mh[u], bl = f.ml[u];
    const ka = classify(ase, ah, al), kb = classify(bse, bh, bl);
    f.sw &= ~(C0 | C1 | C2 | C3);
    if (specialPair(ka, kb, ase, ah, al, bse, bh, bl)) {
      commit(f, t);
      return;
    }
    if (ka === K_INF || kb === K_ZERO) {
      R[R_EXC] |= IE;
      setIndefiniteR();
      commit(f, t);
      return;
    }
    if (ka === K_DENORMAL || kb === K_DENORMAL) R[R_EXC] |= DE;
    if (ka === K_ZERO) {
      setResult(ase, ah, al);
      commit(f, t);
      return;
    }
    const s = (ase >> 15) & 1;
    norm(ase, ah, al);
    const ea = SC[3], ma = (BigInt(SC[4]) << 32n) | BigInt(SC[5]);
    if (kb === K_INF) {
      round80(s, SC[3], SC[4], SC[5], 0, 64, 0); // unchanged, but re-encoded (pseudo-denormals normalize)
      commit(f, t);
      return;
    }
    const ah2 = SC[4], al2 = SC[5];
    norm(bse, bh, bl);
    const eb = SC[3], mb = (BigInt(SC[4]) << 32n) | BigInt(SC[5]);
    const d = ea - eb;
    if (d < 0 && !(nearest && d === -1)) {
      round80(s, ea, ah2, al2, 0, 64, 0);
      commit(f, t);
      return;
    }
    let q: bigint, r: bigint, re: number, partial = false;
    if (d < 64) {
      // a/b = ma * 2^d / mb (d may be -1 for fprem1)
      const num = d >= 0 ? ma << BigInt(d) : ma;
      const den = d >= 0 ? mb : mb << 1n;
      q = num / den;
      r = num - q * den;
      if (nearest && (2n * r > den || (2n * r === den && (q & 1n) === 1n))) {
        q += 1n;
        r -= den;
      }
      re = d >= 0 ? eb : eb - 1; // r is in units of 2^(re - BIAS - 63)
    } else {
      const n = (d & 31) | 32;
      q = (ma << BigInt(n)) / mb;
      r = (ma << BigInt(n)) - q * mb;
      re = eb + (d - n);
      partial = true;
    }
    let rs = s;
    if (r < 0n) {
      r = -r;
      rs ^= 1;
    }
    if (r === 0n) setResult(s << 15, 0, 0);
    else {
      const rh = Number(r >> 32n), rl = Number(r & 0xffffffffn);
      const z = clz64(rh, rl);
      shl(rh, rl, 0, z);
      round80(rs, re - z, SC[0], SC[1], 0, 64, 0);
    }
    if (!commit(f, t)) return;
    f.sw &= ~(C0 | C1 | C2 | C3);
    if (partial) f.sw |= C2;
    else {
      const qb = Number(q & 7n);
      if (qb & 4) f.sw |= C0;
      if (qb & 2) f.sw |= C3;
      if (qb & 1) f.sw |= C1;
    }
  };
}

function FSCALE(c: Cpu, i: Insn): void {
  const f = begin(c, i, 2);
  if (f === null) return;
  const t = f.top, u = (t + 1) & 7;
  const ase = f.se[t], ah = f.mh[t], al = f.ml[t], bse = f.se[u], bh = f.mh[u], bl = f.ml[u];
  const ka = classify(ase, ah, al), kb = classify(bse, bh, bl);
  if (specialPair(ka, kb, ase, ah, al, bse, bh, bl)) {
    commit(f, t);
    return;
  }
  if (ka === K_DENORMAL || kb === K_DENORMAL) R[R_EXC] |= DE;
  const bneg = (bse & 0x8000) !== 0;
  if (kb === K_INF) {
    if ((ka === K_ZERO && !bneg) || (ka === K_INF && bneg)) {
      R[R_EXC] |= IE;
      setIndefiniteR();
    } else if (ka === K_ZERO || ka === K_INF) setResult(ase, ah, al);
    else setResult(bneg ? ase & 0x8000 : (ase & 0x8000) | 0x7fff, bneg ? 0 : 0x80000000 | 0, 0);
    commit(f, t);
    return;
  }
  if (ka === K_ZERO || ka === K_INF) {
    setResult(ase, ah, al);
    commit(f, t);
    return;
  }
  // n = trunc(ST1), clamped (anything beyond +-2^16 saturates the result anyway)
  let n = 0;
  if (kb !== K_ZERO) {
    norm(bse, bh, bl);
    const e = SC[3] - BIAS;
    if (e >= 0) n = e > 20 ? 1 << 20 : Math.floor(SC[4] / 2 ** (31 - e));
    if (bneg) n = -n;
  }
  norm(ase, ah, al);
  round80((ase >> 15) & 1, SC[3] + n, SC[4], SC[5], 0, 64, (f.cw >> 10) & 3);
  commit(f, t);
}

function FXTRACT(c: Cpu, i: Insn): void {
  const f = begin(c, i, 1);
  if (f === null) return;
  const t = f.top, n = (t - 1) & 7;
  if (!f.empty[n]) {
    pushCheck(f);
    return;
  }
  const se = f.se[t], h = f.mh[t], l = f.ml[t];
  const k = classify(se, h, l);
  let ese: number, eh: number, el: number;
  if (k === K_UNSUPPORTED || k === K_QNAN || k === K_SNAN) {
    if (nanOperand(f, t)) {
      ese = R[R_SE]; eh = R[R_MH]; el = R[R_ML];
    } else return;
  } else if (k === K_ZERO) {
    R[R_EXC] |= ZE;
    ese = 0xffff; eh = 0x80000000 | 0; el = 0;
    setResult(se, h, l);
  } else if (k === K_INF) {
    ese = 0x7fff; eh = 0x80000000 | 0; el = 0;
    setResult(se, h, l);
  } else {
    if (k === K_DENORMAL) R[R_EXC] |= DE;
    norm(se, h, l);
    const e = SC[3] - BIAS;
    const m = Math.abs(e);
    ese = m === 0 ? 0 : (e < 0 ? 0x8000 : 0) | (BIAS + 31 - Math.clz32(m));
    eh = m === 0 ? 0 : (m << Math.clz32(m)) | 0;
    el = 0;
    setResult((se & 0x8000) | BIAS, SC[4] | 0, SC[5] | 0);
  }
  const sse = R[R_SE], sh = R[R_MH], sl = R[R_ML];
  R[R_SE] = ese; R[R_MH] = eh; R[R_ML] = el;
  if (!commit(f, t)) return;
  R[R_SE] = sse; R[R_MH] = sh; R[R_ML] = sl; R[R_EXC] = 0;
  f.top = n;
  commit(f, n);
}

export const TRANS_HANDLERS: Record<string, Exec> = {
  fsin: trig(0),
  fcos: trig(1),
  fptan: trig(2),
  fsincos: trig(3),
  fpatan: binaryPop((y, x) => Math.atan2(y, x), 0),
  fyl2x: binaryPop((y, x) => (x < 0 ? NaN : y * Math.log2(x)), 1),
  fyl2xp1: binaryPop((y, x) => (y * Math.log1p(x)) / Math.LN2, 2),
  f2xm1: F2XM1,
  fprem: fprem(false),
  fprem1: fprem(true),
  fscale: FSCALE,
  fxtract: FXTRACT,
};
void R_SE;
