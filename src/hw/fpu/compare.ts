// x87 comparisons: fcom/fcomp/fcompp, fucom/fucomp/fucompp, ficom/ficomp, ftst, fxam (condition
// codes C3/C2/C0 in the status word) and fcomi/fcomip/fucomi/fucomip (ZF/PF/CF in EFLAGS, with
// OF/SF/AF cleared).

import type { Cpu } from "../cpu.js";
import { type Insn, type Exec, K_MEM } from "../isa.js";
import { setArith } from "../flags.js";
import { CF, PF, ZF, AF, SF as EF_SF, OF } from "../state.js";
import { type FpuState, fpuOf, checkPending, raise, underflow, pop, IE, DE, C0, C1, C2, C3 } from "./state.js";
import {
  R, R_SE, R_MH, R_ML, R_EXC, K_ZERO, K_NORMAL, K_DENORMAL, K_INF, K_QNAN, K_SNAN, K_UNSUPPORTED, classify, norm, SC,
} from "./ext80.js";
import { loadMemOperand } from "./arith.js";

export const LT = 0, EQ = 1, GT = 2, UN = 3;

/** Compares a with b; IE for NaNs (only signaling ones when `quiet`) and unsupported encodings,
 *  DE for denormals (flags in R[R_EXC]). */
export function compareValues(ase: number, ah: number, al: number, bse: number, bh: number, bl: number, quiet: boolean): number {
  const ka = classify(ase, ah, al), kb = classify(bse, bh, bl);
  if (ka !== K_NORMAL || kb !== K_NORMAL) {
    if (ka === K_UNSUPPORTED || kb === K_UNSUPPORTED) {
      R[R_EXC] |= IE;
      return UN;
    }
    if (ka >= K_QNAN || kb >= K_QNAN) {
      if (!quiet || ka === K_SNAN || kb === K_SNAN) R[R_EXC] |= IE;
      return UN;
    }
    if (ka === K_DENORMAL || kb === K_DENORMAL) R[R_EXC] |= DE;
    if (ka === K_ZERO && kb === K_ZERO) return EQ;
  }
  const sa = (ase >> 15) & 1, sb = (bse >> 15) & 1;
  if (ka === K_ZERO) return sb ? GT : LT;
  if (kb === K_ZERO) return sa ? LT : GT;
  if (sa !== sb) return sa ? LT : GT;
  let xe = ase & 0x7fff, xh = ah >>> 0, xl = al >>> 0;
  let ye = bse & 0x7fff, yh = bh >>> 0, yl = bl >>> 0;
  if (ka === K_DENORMAL) { norm(ase, ah, al); xe = SC[3]; xh = SC[4]; xl = SC[5]; }
  if (kb === K_DENORMAL) { norm(bse, bh, bl); ye = SC[3]; yh = SC[4]; yl = SC[5]; }
  let mag: number;
  if (xe !== ye) mag = xe > ye ? 1 : -1;
  else if (xh !== yh) mag = xh > yh ? 1 : -1;
  else if (xl !== yl) mag = xl > yl ? 1 : -1;
  else return EQ;
  if (sa) mag = -mag;
  return mag > 0 ? GT : LT;
  void K_INF;
}

const CC_BITS = [C0, C3, 0, C3 | C2 | C0];

/** Sets C3/C2/C0 (C1 cleared) from a comparison result. */
function setCC(f: FpuState, r: number): void {
  f.sw = (f.sw & ~(C0 | C1 | C2 | C3)) | CC_BITS[r];
}

/** fcom-family with `pops` pops; `quiet` for fucom; memory operands real or integer. */
function fcom(pops: number, quiet: boolean, int: boolean): Exec {
  return (c, i) => {
    const f = fpuOf(c);
    checkPending(f);
    f.fip = i.eip;
    let bse: number, bh: number, bl: number;
    const a = f.top;
    let emptyB = false;
    if (i.k0 === K_MEM) {
      loadMemOperand(c, i, f, int);
      bse = R[R_SE]; bh = R[R_MH]; bl = R[R_ML];
    } else {
      // fcom st(i) (one operand) or fcom st(0), st(i); fcompp/fucompp compare with ST(1)
      const r = i.k1 !== 0 ? i.r1 : i.k0 !== 0 ? i.r0 : 1;
      const b = (f.top + r) & 7;
      emptyB = f.empty[b] !== 0;
      bse = f.se[b]; bh = f.mh[b]; bl = f.ml[b];
      R[R_EXC] = 0;
    }
    if (f.empty[a] || emptyB) {
      if (underflow(f)) return;
      setCC(f, UN);
    } else {
      const r = compareValues(f.se[a], f.mh[a], f.ml[a], bse, bh, bl, quiet);
      const exc = R[R_EXC];
      if (exc !== 0 && raise(f, exc) && (exc & (IE | DE) & ~f.cw) !== 0) return;
      setCC(f, r);
    }
    for (let k = 0; k < pops; k++) pop(f);
  };
}

/** fcomi family: EFLAGS ZF/PF/CF. */
function fcomi(pops: number, quiet: boolean): Exec {
  return (c, i) => {
    const f = fpuOf(c);
    checkPending(f);
    f.fip = i.eip;
    const a = f.top, b = (f.top + i.r1) & 7;
    let r: number;
    if (f.empty[a] | f.empty[b]) {
      if (underflow(f)) return;
      r = UN;
    } else {
      R[R_EXC] = 0;
      r = compareValues(f.se[a], f.mh[a], f.ml[a], f.se[b], f.mh[b], f.ml[b], quiet);
      const exc = R[R_EXC];
      f.sw &= ~C1;
      if (exc !== 0 && raise(f, exc) && (exc & (IE | DE) & ~f.cw) !== 0) return;
    }
    const v = r === LT ? CF : r === EQ ? ZF : r === GT ? 0 : ZF | PF | CF;
    setArith(c.r, CF | PF | ZF | AF | EF_SF | OF, v);
    for (let k = 0; k < pops; k++) pop(f);
  };
}

function FTST(c: Cpu, i: Insn): void {
  const f = fpuOf(c);
  checkPending(f);
  f.fip = i.eip;
  const a = f.top;
  if (f.empty[a]) {
    if (underflow(f)) return;
    setCC(f, UN);
    return;
  }
  R[R_EXC] = 0;
  const r = compareValues(f.se[a], f.mh[a], f.ml[a], 0, 0, 0, false);
  const exc = R[R_EXC];
  if (exc !== 0 && raise(f, exc) && (exc & (IE | DE) & ~f.cw) !== 0) return;
  setCC(f, r);
}

function FXAM(c: Cpu, i: Insn): void {
  const f = fpuOf(c);
  checkPending(f);
  f.fip = i.eip;
  const a = f.top;
  const sign = f.se[a] & 0x8000 ? C1 : 0;
  let cc: number;
  if (f.empty[a]) cc = C3 | C0;
  else {
    switch (classify(f.se[a], f.mh[a], f.ml[a])) {
      case K_UNSUPPORTED: cc = 0; break;
      case K_QNAN: case K_SNAN: cc = C0; break;
      case K_NORMAL: cc = C2; break;
      case K_INF: cc = C2 | C0; break;
      case K_ZERO: cc = C3; break;
      default: cc = C3 | C2; break; // denormal
    }
  }
  f.sw = (f.sw & ~(C0 | C1 | C2 | C3)) | cc | sign;
}

export const COMPARE_HANDLERS: Record<string, Exec> = {
  fcom: fcom(0, false, false),
  fcomp: fcom(1, false, false),
  fcompp: fcom(2, false, false),
  fucom: fcom(0, true, false),
  fucomp: fcom(1, true, false),
  fucompp: fcom(2, true, false),
  ficom: fcom(0, false, true),
  ficomp: fcom(1, false, true),
  fcomi: fcomi(0, false),
  fcomip: fcomi(1, false),
  fucomi: fcomi(0, true),
  fucomip: fcomi(1, true),
  ftst: FTST,
  fxam: FXAM,
};
