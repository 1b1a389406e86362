// x87 arithmetic instructions: fadd/fsub/fsubr/fmul/fdiv/fdivr in all operand forms (ST(0),ST(i);
// ST(i),ST(0); the popping forms; m32/m64 reals; fi* with m16/m32 integers), and the one-operand
// fchs, fabs, fsqrt, frndint. Each handler reads its memory operand (which may fault) before it
// changes any FPU state, so faults are precise.

import type { Cpu } from "../cpu.js";
import { type Insn, type Exec, K_MEM } from "../isa.js";
import { ea } from "../interp/operand.js";
import {
  type FpuState, FORM_ENC, fpuOf, checkPending, raise, underflow, setIndefinite, pop, precisionBits, IE, DE, ZE, C1,
} from "./state.js";
import {
  R, R_SE, R_MH, R_ML, R_EXC, add,
} from "./ext80.js";
import { mul, div, sqrt } from "./muldiv.js";
import {
  loadF32, loadF64, loadInt, roundInt,
} from "./formats.js";

export const OP_ADD = 0, OP_MUL = 1, OP_SUB = 2, OP_SUBR = 3, OP_DIV = 4, OP_DIVR = 5;

/** Exceptions that, unmasked, leave the destination unchanged. */
const NO_STORE = IE | DE | ZE;

/** Loads the memory operand of an arithmetic instruction into R (float or integer by `int`). */
export function loadMemOperand(c: Cpu, i: Insn, f: FpuState, int: boolean): void {
  const a = ea(c, i);
  f.fdp = a;
  f.fds = c.sreg[i.seg];
  R[R_EXC] = 0;
  if (int) {
    if (i.msz === 2) {
      const v = (c.rd16(a) << 16) >> 16;
      loadInt(v < 0 ? 1 : 0, 0, Math.abs(v));
    } else {
      const v = c.rd32(a);
      loadInt(v < 0 ? 1 : 0, 0, Math.abs(v));
    }
  } else if (i.msz === 4) loadF32(c.rd32(a));
  else loadF64(c.rd32(a), c.rd32((a + 4) | 0));
}

/** Runs the operation on a and b (raw words) into R. */
function compute(op: number, ase: number, ah: number, al: number, bse: number, bh: number, bl: number, p: number, rc: number): void {
  switch (op) {
    case OP_ADD: add(ase, ah, al, bse, bh, bl, 0, p, rc); break;
    case OP_SUB: add(ase, ah, al, bse, bh, bl, 1, p, rc); break;
    case OP_SUBR: add(bse, bh, bl, ase, ah, al, 1, p, rc); break;
    case OP_MUL: mul(ase, ah, al, bse, bh, bl, p, rc); break;
    case OP_DIV: div(ase, ah, al, bse, bh, bl, p, rc); break;
    default: div(bse, bh, bl, ase, ah, al, p, rc); break;
  }
}

/** Stores R into physical register d with the exception bookkeeping; false if not stored. */
export function commit(f: FpuState, d: number): boolean {
  const exc = R[R_EXC];
  f.sw = (f.sw & ~C1) | (exc & C1);
  if (exc !== 0 && raise(f, exc) && (exc & NO_STORE & ~f.cw) !== 0) return false;
  f.se[d] = R[R_SE];
  f.mh[d] = R[R_MH];
  f.ml[d] = R[R_ML];
  f.form[d] = FORM_ENC;
  f.empty[d] = 0;
  return true;
}

/** Register-register form: dest = ST(r0) op ST(r1), popping afterwards when `popAfter`. */
function arithReg(c: Cpu, i: Insn, op: number, popAfter: boolean): void {
  const f = fpuOf(c);
  checkPending(f);
  f.fip = i.eip;
  const top = f.top;
  const d = (top + i.r0) & 7, s = (top + i.r1) & 7;
  if (f.empty[d] | f.empty[s]) {
    if (!underflow(f)) setIndefinite(f, d);
    else return;
  } else {
    R[R_EXC] = 0;
    compute(op, f.se[d], f.mh[d], f.ml[d], f.se[s], f.mh[s], f.ml[s], precisionBits(f.cw), (f.cw >> 10) & 3);
    if (!commit(f, d)) return;
  }
  if (popAfter) pop(f);
}

/** Memory form: ST(0) = ST(0) op mem. */
function arithMem(c: Cpu, i: Insn, op: number, int: boolean): void {
  const f = fpuOf(c);
  checkPending(f);
  f.fip = i.eip;
  loadMemOperand(c, i, f, int);
  const d = f.top;
  if (f.empty[d]) {
    if (!underflow(f)) setIndefinite(f, d);
    return;
  }
  // A denormal m32/m64 operand reports DE, unless ST(0) is a NaN (which wins, as on the hardware).
  if ((R[R_EXC] & DE) !== 0 && (f.se[d] & 0x7fff) === 0x7fff && (f.mh[d] & 0x7fffffff | f.ml[d]) !== 0) R[R_EXC] &= ~DE;
  compute(op, f.se[d], f.mh[d], f.ml[d], R[R_SE], R[R_MH], R[R_ML], precisionBits(f.cw), (f.cw >> 10) & 3);
  commit(f, d);
}

function arith(op: number, popping: boolean, int: boolean): Exec {
  if (int) return (c, i) => arithMem(c, i, op, true);
  if (popping) return (c, i) => arithReg(c, i, op, true);
  return (c, i) => (i.k0 === K_MEM ? arithMem(c, i, op, false) : arithReg(c, i, op, false));
}

/** One-operand operations on ST(0). */
function unary(c: Cpu, i: Insn, kind: number): void {
  const f = fpuOf(c);
  checkPending(f);
  f.fip = i.eip;
  const d = f.top;
  if (f.empty[d]) {
    if (!underflow(f)) setIndefinite(f, d);
    return;
  }
  if (kind === 0) {
    f.se[d] ^= 0x8000; // fchs
    f.form[d] = FORM_ENC;
    f.sw &= ~C1;
    return;
  }
  if (kind === 1) {
    f.se[d] &= 0x7fff; // fabs
    f.form[d] = FORM_ENC;
    f.sw &= ~C1;
    return;
  }
  R[R_EXC] = 0;
  if (kind === 2) sqrt(f.se[d], f.mh[d], f.ml[d], precisionBits(f.cw), (f.cw >> 10) & 3);
  else roundInt(f.se[d], f.mh[d], f.ml[d], (f.cw >> 10) & 3);
  commit(f, d);
}

export const ARITH_HANDLERS: Record<string, Exec> = {
  fadd: arith(OP_ADD, false, false),
  faddp: arith(OP_ADD, true, false),
  fiadd: arith(OP_ADD, false, true),
  fsub: arith(OP_SUB, false, false),
  fsubp: arith(OP_SUB, true, false),
  fisub: arith(OP_SUB, false, true),
  fsubr: arith(OP_SUBR, false, false),
  fsubrp: arith(OP_SUBR, true, false),
  fisubr: arith(OP_SUBR, false, true),
  fmul: arith(OP_MUL, false, false),
  fmulp: arith(OP_MUL, true, false),
  fimul: arith(OP_MUL, false, true),
  fdiv: arith(OP_DIV, false, false),
  fdivp: arith(OP_DIV, true, false),
  fidiv: arith(OP_DIV, false, true),
  fdivr: arith(OP_DIVR, false, false),
  fdivrp: arith(OP_DIVR, true, false),
  fidivr: arith(OP_DIVR, false, true),
  fchs: (c, i) => unary(c, i, 0),
  fabs: (c, i) => unary(c, i, 1),
  fsqrt: (c, i) => unary(c, i, 2),
  frndint: (c, i) => unary(c, i, 3),
};
