// x87 fprem/fprem1 (exact partial remainder on BigInt: rare, and iterative by nature), fscale and
// fxtract: the exact operations beside the transcendental ones (trans.ts).

import type { Cpu } from "../cpu.js";
import type { Insn, Exec } from "../isa.js";
import { type FpuState, pushCheck, IE, DE, ZE, C0, C1, C2, C3 } from "./state.js";
import {
  R, R_SE, R_MH, R_ML, R_EXC, BIAS, K_ZERO, K_DENORMAL, K_INF, K_QNAN, K_SNAN, K_UNSUPPORTED, classify, norm, round80, setResult, setIndefiniteR, specialPair, clz64, shl, SC,
} from "./ext80.js";
import { commit } from "./arith.js";
import { begin, nanOperand } from "./trans.js";

/** fprem (truncating) and fprem1 (round to nearest): exact partial remainder. */
function fprem(nearest: boolean): Exec {
  return (c, i) => {
    const f = begin(c, i, 2);
    if (f === null) return;
    const t = f.top, u = (t + 1) & 7;
    const ase = f.se[t], ah = f.mh[t], al = f.ml[t], bse = f.se[u], bh = f.mh[u], bl = f.ml[u];
    const ka = classify(ase, ah, al), kb = classify(bse, bh, bl);
    // invalid operands (NaNs, an infinite dividend, a zero divisor) leave C0 and C3 as they
    // were, as the CPU does; a remainder sets them from the quotient
    f.sw &= ~(C1 | C2);
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
    f.sw &= ~(C0 | C3);
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

export const REMAINDER_HANDLERS: Record<string, Exec> = {
  fprem: fprem(false),
  fprem1: fprem(true),
  fscale: FSCALE,
  fxtract: FXTRACT,
};

