// The x87 fast path: handlers that work on the exact double-double pairs of dd.ts when the
// operands are ordinary numbers and the control word is glibc's (64-bit precision, round to
// nearest, inexact masked), and hand everything else to the exact handlers (arith.ts, move.ts,
// compare.ts), which start by flushing the pairs back into 80-bit encodings (state.ts fpuOf).
// A fast handler changes no state before it knows it can finish, so falling back is always
// safe; both engines call these same handlers.

import type { Cpu } from "../cpu.js";
import { type Insn, type Exec, K_MEM } from "../isa.js";
import { ea } from "../interp/operand.js";
import { setArith } from "../flags.js";
import { CF, PF, ZF, AF, SF as EF_SF, OF } from "../state.js";
import { type FpuState, FORM_ENC, FORM_BOTH, FORM_DD, MEM_SLOT, ES, C0, C1, C2, C3 } from "./state.js";
import {
  ddAdd, ddMul, ddDiv, ddSqrt, ddCompare, ddDecode, ddLoadF64, ddLoadF32, ddToF64, ddToF32, BITS, SINGLE,
} from "./dd.js";
import { OP_ADD, OP_MUL, OP_SUB, OP_SUBR, OP_DIV, OP_DIVR } from "./arith.js";

/** Control word bits the arithmetic fast path needs: PC = 64 bits, RC = nearest, PM set. */
const ARITH_CW_MASK = 0xf20, ARITH_CW = 0x320;
/** ... and what the m32/m64 stores need: RC = nearest, PM set. */
const STORE_CW_MASK = 0xc20, STORE_CW = 0x020;

/** The FPU state when the fast path may run at all (state exists, no exception pending). */
function fastState(c: Cpu): FpuState | null {
  const f = c.fpu;
  return f !== null && (f.sw & ES) === 0 ? f : null;
}

/** Makes physical register r's pair current; false when it is empty or not representable. */
export function ready(f: FpuState, r: number): boolean {
  if (f.empty[r] !== 0) return false;
  if (f.form[r] !== FORM_ENC) return true;
  if (!ddDecode(f.hi, f.lo, r, f.se[r], f.mh[r], f.ml[r])) return false;
  f.form[r] = FORM_BOTH;
  return true;
}

/** Records a result pair written to register d. */
function wrote(f: FpuState, d: number): void {
  f.form[d] = FORM_DD;
  f.empty[d] = 0;
  f.fast = true;
}

/** Copies every representation of physical register s to d. */
function copyReg(f: FpuState, s: number, d: number): void {
  f.se[d] = f.se[s];
  f.mh[d] = f.mh[s];
  f.ml[d] = f.ml[s];
  f.hi[d] = f.hi[s];
  f.lo[d] = f.lo[s];
  f.form[d] = f.form[s];
  f.empty[d] = 0;
}

/** Register d = d op s on pairs; -1 when the fast path cannot decide. */
function compute(f: FpuState, op: number, d: number, s: number): number {
  const H = f.hi, L = f.lo;
  switch (op) {
    case OP_ADD: return ddAdd(H, L, d, d, 1, s, 1);
    case OP_SUB: return ddAdd(H, L, d, d, 1, s, -1);
    case OP_SUBR: return ddAdd(H, L, d, s, 1, d, -1);
    case OP_MUL: return ddMul(H, L, d, d, s);
    case OP_DIV: return ddDiv(H, L, d, d, s);
    case OP_DIVR: return ddDiv(H, L, d, s, d);
    default: return -1;
  }
}

function arithReg(c: Cpu, i: Insn, op: number, popAfter: boolean, slow: Exec): void {
  const f = fastState(c);
  if (f === null || (f.cw & ARITH_CW_MASK) !== ARITH_CW) return slow(c, i);
  const top = f.top;
  const d = (top + i.r0) & 7, s = (top + i.r1) & 7;
  if (!ready(f, d) || !ready(f, s)) return slow(c, i);
  const x = compute(f, op, d, s);
  if (x < 0) return slow(c, i);
  wrote(f, d);
  f.sw = (f.sw & ~C1) | x;
  f.fip = i.eip;
  if (popAfter) {
    f.empty[top] = 1;
    f.top = (top + 1) & 7;
  }
}

/** Loads the memory operand of an arithmetic, compare or load instruction into the pair at
 *  MEM_SLOT; false when the fast path cannot hold it. */
function memOperand(c: Cpu, i: Insn, f: FpuState, a: number, int: boolean): boolean {
  if (int) {
    f.hi[MEM_SLOT] = i.msz === 2 ? (c.rd16(a) << 16) >> 16 : c.rd32(a);
    f.lo[MEM_SLOT] = 0;
    return true;
  }
  if (i.msz === 4) return ddLoadF32(f.hi, f.lo, MEM_SLOT, c.rd32(a));
  return ddLoadF64(f.hi, f.lo, MEM_SLOT, c.rd32(a), c.rd32((a + 4) | 0));
}

function arithMem(c: Cpu, i: Insn, op: number, int: boolean, slow: Exec): void {
  const f = fastState(c);
  if (f === null || (f.cw & ARITH_CW_MASK) !== ARITH_CW) return slow(c, i);
  const d = f.top;
  if (!ready(f, d)) return slow(c, i);
  const a = ea(c, i);
  if (!memOperand(c, i, f, a, int)) return slow(c, i);
  const x = compute(f, op, d, MEM_SLOT);
  if (x < 0) return slow(c, i);
  wrote(f, d);
  f.sw = (f.sw & ~C1) | x;
  f.fip = i.eip;
  dataPointer(c, i, f, a);
}

function arith(op: number, popping: boolean, int: boolean, slow: Exec): Exec {
  if (int) return (c, i) => arithMem(c, i, op, true, slow);
  if (popping) return (c, i) => arithReg(c, i, op, true, slow);
  return (c, i) => (i.k0 === K_MEM ? arithMem(c, i, op, false, slow) : arithReg(c, i, op, false, slow));
}

/** fld and fild: ST(i) copies any value; m32/m64 reals of ordinary numbers and m16/m32
 *  integers become pairs. */
function load(int: boolean, slow: Exec): Exec {
  return (c, i) => {
    const f = fastState(c);
    if (f === null) return slow(c, i);
    const top = f.top, d = (top - 1) & 7;
    if (f.empty[d] === 0) return slow(c, i);
    if (i.k0 !== K_MEM) {
      const s = (top + i.r0) & 7;
      if (f.empty[s] !== 0) return slow(c, i);
      copyReg(f, s, d);
    } else {
      if (i.msz === (int ? 8 : 10)) return slow(c, i);
      const a = ea(c, i);
      if (!memOperand(c, i, f, a, int)) return slow(c, i);
      f.hi[d] = f.hi[MEM_SLOT];
      f.lo[d] = 0;
      wrote(f, d);
      dataPointer(c, i, f, a);
    }
    pushed(f, i, d);
  };
}

/** The bookkeeping of a push into d (the new ST(0)). */
function pushed(f: FpuState, i: Insn, d: number): void {
  f.sw &= ~C1;
  f.fip = i.eip;
  f.top = d;
}

/** Records the last memory operand (FDP and its selector). */
function dataPointer(c: Cpu, i: Insn, f: FpuState, a: number): void {
  f.fdp = a;
  f.fds = c.sreg[i.seg];
}

/** fst/fstp to ST(i), m64 and m32. */
function fst(popAfter: boolean, slow: Exec): Exec {
  return (c, i) => {
    const f = fastState(c);
    if (f === null) return slow(c, i);
    const s = f.top;
    if (i.k0 !== K_MEM) {
      if (f.empty[s] !== 0) return slow(c, i);
      copyReg(f, s, (s + i.r0) & 7);
      f.sw &= ~C1;
    } else {
      if (i.msz === 10 || (f.cw & STORE_CW_MASK) !== STORE_CW || !ready(f, s)) return slow(c, i);
      const a = ea(c, i);
      let x: number;
      if (i.msz === 8) {
        // hi is RN53 of the value: the double store is hi, inexact when lo is not zero.
        if ((a & 0xfff) > 0xff8) c.probeWrite(a, 8);
        x = ddToF64(f.hi, f.lo, s);
        c.wr32(a, BITS[0]);
        c.wr32((a + 4) | 0, BITS[1]);
      } else {
        x = ddToF32(f.hi, f.lo, s);
        if (x < 0) return slow(c, i);
        c.wr32(a, SINGLE[0]);
      }
      f.sw = (f.sw & ~C1) | x;
      dataPointer(c, i, f, a);
    }
    f.fip = i.eip;
    if (popAfter) {
      f.empty[s] = 1;
      f.top = (s + 1) & 7;
    }
  };
}

function fxch(slow: Exec): Exec {
  return (c, i) => {
    const f = fastState(c);
    if (f === null) return slow(c, i);
    const a = f.top;
    const b = (a + (i.k1 !== 0 ? i.r1 : i.r0)) & 7;
    if ((f.empty[a] | f.empty[b]) !== 0) return slow(c, i);
    let t = f.se[a]; f.se[a] = f.se[b]; f.se[b] = t;
    t = f.mh[a]; f.mh[a] = f.mh[b]; f.mh[b] = t;
    t = f.ml[a]; f.ml[a] = f.ml[b]; f.ml[b] = t;
    t = f.hi[a]; f.hi[a] = f.hi[b]; f.hi[b] = t;
    t = f.lo[a]; f.lo[a] = f.lo[b]; f.lo[b] = t;
    t = f.form[a]; f.form[a] = f.form[b]; f.form[b] = t;
    f.sw &= ~C1;
    f.fip = i.eip;
  };
}

/** fchs and fabs act on the sign of every representation at once. */
function sign(abs: boolean, slow: Exec): Exec {
  return (c, i) => {
    const f = fastState(c);
    if (f === null) return slow(c, i);
    const d = f.top;
    if (f.empty[d] !== 0) return slow(c, i);
    const h = f.hi[d];
    if (!abs || h < 0 || 1 / h < 0) {
      f.hi[d] = -h;
      f.lo[d] = -f.lo[d];
    }
    f.se[d] = abs ? f.se[d] & 0x7fff : f.se[d] ^ 0x8000;
    f.sw &= ~C1;
    f.fip = i.eip;
  };
}

function fsqrt(slow: Exec): Exec {
  return (c, i) => {
    const f = fastState(c);
    if (f === null || (f.cw & ARITH_CW_MASK) !== ARITH_CW) return slow(c, i);
    const d = f.top;
    if (!ready(f, d)) return slow(c, i);
    const x = ddSqrt(f.hi, f.lo, d, d);
    if (x < 0) return slow(c, i);
    wrote(f, d);
    f.sw = (f.sw & ~C1) | x;
    f.fip = i.eip;
  };
}

/** fldz and fld1: exact constants. */
function constant(v: number, slow: Exec): Exec {
  return (c, i) => {
    const f = fastState(c);
    if (f === null) return slow(c, i);
    const d = (f.top - 1) & 7;
    if (f.empty[d] === 0) return slow(c, i);
    f.hi[d] = v;
    f.lo[d] = 0;
    wrote(f, d);
    pushed(f, i, d);
  };
}

/** fcomi/fucomi(p): EFLAGS from an ordered comparison of two pairs (NaNs never become pairs). */
function fcomi(pops: number, slow: Exec): Exec {
  return (c, i) => {
    const f = fastState(c);
    if (f === null) return slow(c, i);
    const a = f.top, b = (a + i.r1) & 7;
    if (!ready(f, a) || !ready(f, b)) return slow(c, i);
    const r = ddCompare(f.hi, f.lo, a, b);
    f.sw &= ~C1;
    f.fip = i.eip;
    setArith(c.r, CF | PF | ZF | AF | EF_SF | OF, r < 0 ? CF : r === 0 ? ZF : 0);
    if (pops !== 0) {
      f.empty[a] = 1;
      f.top = (a + 1) & 7;
    }
  };
}

/** fcom/fucom/ficom (st(i), m32, m64, m16/m32 integers) and fcompp/fucompp: C3/C2/C0. */
function fcom(pops: number, int: boolean, slow: Exec): Exec {
  return (c, i) => {
    const f = fastState(c);
    if (f === null) return slow(c, i);
    const t = f.top;
    if (!ready(f, t)) return slow(c, i);
    let r: number;
    let a = 0;
    if (i.k0 === K_MEM) {
      a = ea(c, i);
      if (!memOperand(c, i, f, a, int)) return slow(c, i);
      r = ddCompare(f.hi, f.lo, t, MEM_SLOT);
      dataPointer(c, i, f, a);
    } else {
      const b = (t + (i.k1 !== 0 ? i.r1 : i.k0 !== 0 ? i.r0 : 1)) & 7;
      if (!ready(f, b)) return slow(c, i);
      r = ddCompare(f.hi, f.lo, t, b);
    }
    f.sw = (f.sw & ~(C0 | C1 | C2 | C3)) | (r < 0 ? C0 : r === 0 ? C3 : 0);
    f.fip = i.eip;
    for (let k = 0; k < pops; k++) {
      f.empty[f.top] = 1;
      f.top = (f.top + 1) & 7;
    }
  };
}

/** ftst: compares ST(0) with +0. */
function ftst(slow: Exec): Exec {
  return (c, i) => {
    const f = fastState(c);
    if (f === null) return slow(c, i);
    const t = f.top;
    if (!ready(f, t)) return slow(c, i);
    const h = f.hi[t];
    f.sw = (f.sw & ~(C0 | C1 | C2 | C3)) | (h < 0 ? C0 : h === 0 ? C3 : 0);
    f.fip = i.eip;
  };
}

/** Wraps the exact handlers with the fast path where it has one. */
export function withFastPaths(slow: Record<string, Exec>): Record<string, Exec> {
  const out: Record<string, Exec> = { ...slow };
  const ops: [string, number][] = [
    ["fadd", OP_ADD], ["fsub", OP_SUB], ["fsubr", OP_SUBR], ["fmul", OP_MUL], ["fdiv", OP_DIV], ["fdivr", OP_DIVR],
  ];
  for (const [name, op] of ops) {
    out[name] = arith(op, false, false, slow[name]);
    out[name + "p"] = arith(op, true, false, slow[name + "p"]);
    out["fi" + name.slice(1)] = arith(op, false, true, slow["fi" + name.slice(1)]);
  }
  out.fld = load(false, slow.fld);
  out.fild = load(true, slow.fild);
  out.fst = fst(false, slow.fst);
  out.fstp = fst(true, slow.fstp);
  out.fxch = fxch(slow.fxch);
  out.fchs = sign(false, slow.fchs);
  out.fabs = sign(true, slow.fabs);
  out.fldz = constant(0, slow.fldz);
  out.fld1 = constant(1, slow.fld1);
  for (const [name, pops] of [["fcomi", 0], ["fcomip", 1], ["fucomi", 0], ["fucomip", 1]] as const) out[name] = fcomi(pops, slow[name]);
  for (const [name, pops, int] of [
    ["fcom", 0, false], ["fcomp", 1, false], ["fcompp", 2, false], ["fucom", 0, false], ["fucomp", 1, false],
    ["fucompp", 2, false], ["ficom", 0, true], ["ficomp", 1, true],
  ] as const) out[name] = fcom(pops, int, slow[name]);
  out.ftst = ftst(slow.ftst);
  out.fsqrt = fsqrt(slow.fsqrt);
  return out;
}
