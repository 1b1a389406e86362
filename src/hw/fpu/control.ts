// x87 control instructions: fldcw/fnstcw, fnstsw (AX and m16), fnclex, fninit, fnop, fwait, and
// the state images fnstenv/fldenv (28 bytes; 14 in their 16-bit form), fnsave/frstor (108; 94)
// and fxsave/fxrstor
// (512 bytes: x87 registers, MXCSR and its mask, XMM0-7) in their 32-bit protected-mode layouts. The waiting
// forms (fstsw, finit, fsave...) that iced decodes as one instruction check for a pending
// exception first, as their leading fwait does.

import type { Cpu } from "../cpu.js";
import type { Insn, Exec } from "../isa.js";
import { ea } from "../interp/operand.js";
import { fault, GP } from "../fault.js";
import { MXCSR } from "../state.js";
import { MXCSR_MASK } from "../simd/state.js";
import { FXSAVE_BYTES, FX, fxsaveImage, fxrstorImage } from "./fxsave.js";
import {
  type FpuState, FORM_ENC, fpuOf, fpuCtl, checkPending, reset, statusWord, tagWord, setTagWord, ES, BUSY, EXC_MASK, SF,
} from "./state.js";

/** Recomputes ES/B after the control word or the exception flags changed. */
function updateES(f: FpuState): void {
  if ((f.sw & ~f.cw & EXC_MASK) !== 0) f.sw |= ES | BUSY;
  else f.sw &= ~(ES | BUSY);
}

function addr(c: Cpu, i: Insn): number {
  return ea(c, i);
}

/** The 11-bit opcode of the x87 instruction at `fip` (read back from memory; 0 if unreadable). */
function opcodeAt(c: Cpu, fip: number): number {
  try {
    let a = fip;
    for (let k = 0; k < 15; k++) {
      const b = c.rd8(a);
      if (b >= 0xd8 && b <= 0xdf) return ((b & 7) << 8) | c.rd8((a + 1) | 0);
      a = (a + 1) | 0;
    }
  } catch {
    // the code page went away: report 0
  }
  return 0;
}

/** Bytes of the protected-mode environment in its 32-bit and 16-bit (operand-size prefix)
 *  forms; fnsave/frstor images add the eight registers (80 bytes). */
const ENV32 = 28, ENV16 = 14;

/** Writes the protected-mode environment at a: 28 bytes, or the 16-bit form's 14 (cw, sw, tw,
 *  IP offset, CS, operand offset, DS as words, no opcode). */
function storeEnv(c: Cpu, f: FpuState, a: number, size: number): void {
  if (size === ENV16) {
    const w = [f.cw, statusWord(f), tagWord(f), f.fip, c.sreg[1], f.fdp, f.fds];
    w.forEach((v, k) => c.wr16((a + 2 * k) | 0, v & 0xffff));
    return;
  }
  const op = opcodeAt(c, f.fip);
  c.wr32(a, 0xffff0000 | f.cw);
  c.wr32((a + 4) | 0, 0xffff0000 | statusWord(f));
  c.wr32((a + 8) | 0, 0xffff0000 | tagWord(f));
  c.wr32((a + 12) | 0, f.fip);
  c.wr32((a + 16) | 0, (c.sreg[1] & 0xffff) | (op << 16));
  c.wr32((a + 20) | 0, f.fdp);
  c.wr32((a + 24) | 0, 0xffff0000 | (f.fds & 0xffff));
}

function loadEnv(c: Cpu, f: FpuState, a: number, size: number): void {
  let cw: number, sw: number, tw: number, fip: number, fcs: number, fdp: number, fds: number;
  if (size === ENV16) {
    const w = [0, 1, 2, 3, 4, 5, 6].map((k) => c.rd16((a + 2 * k) | 0));
    [cw, sw, tw, fip, fcs, fdp, fds] = w;
  } else {
    cw = c.rd16(a);
    sw = c.rd16((a + 4) | 0);
    tw = c.rd16((a + 8) | 0);
    fip = c.rd32((a + 12) | 0);
    fcs = c.rd32((a + 16) | 0);
    fdp = c.rd32((a + 20) | 0);
    fds = c.rd16((a + 24) | 0);
  }
  f.cw = cw;
  f.sw = sw & ~0x3800;
  f.top = (sw >> 11) & 7;
  setTagWord(f, tw);
  f.fip = fip;
  f.fcs = fcs & 0xffff;
  f.fop = size === ENV16 ? f.fop : (fcs >>> 16) & 0x7ff;
  f.fdp = fdp;
  f.fds = fds;
  updateES(f);
}

/** The environment's size for an fnstenv/fldenv (14 or 28) or fnsave/frstor (94 or 108). */
const envSize = (i: Insn): number => (i.msz === ENV16 || i.msz === ENV16 + 80 ? ENV16 : ENV32);

function FSTENV(c: Cpu, i: Insn): void {
  const f = fpuOf(c);
  const a = addr(c, i);
  const n = envSize(i);
  c.probeWrite(a, n);
  storeEnv(c, f, a, n);
  f.cw |= EXC_MASK;
  updateES(f);
}

function FLDENV(c: Cpu, i: Insn): void {
  const f = fpuOf(c);
  loadEnv(c, f, addr(c, i), envSize(i));
}

function FSAVE(c: Cpu, i: Insn): void {
  const f = fpuOf(c);
  const a = addr(c, i);
  const n = envSize(i);
  c.probeWrite(a, n + 80);
  storeEnv(c, f, a, n);
  for (let k = 0; k < 8; k++) {
    const r = (f.top + k) & 7, p = (a + n + k * 10) | 0;
    c.wr32(p, f.ml[r]);
    c.wr32((p + 4) | 0, f.mh[r]);
    c.wr16((p + 8) | 0, f.se[r] & 0xffff);
  }
  reset(f);
}

function FRSTOR(c: Cpu, i: Insn): void {
  const f = fpuOf(c);
  const a = addr(c, i);
  const n = envSize(i);
  // read everything first (faults), then change state
  const regs = readRegs(c, (a + n) | 0);
  loadEnv(c, f, a, n);
  setRegs(f, regs);
}

/** The eight 80-bit register images at `a`, 10 bytes apart (ST(0) first), as
 *  [low, high, sign/exponent] words. */
function readRegs(c: Cpu, a: number): Int32Array {
  const regs = new Int32Array(24);
  for (let k = 0; k < 8; k++) {
    const p = (a + k * 10) | 0;
    regs[k * 3] = c.rd32(p);
    regs[k * 3 + 1] = c.rd32((p + 4) | 0);
    regs[k * 3 + 2] = c.rd16((p + 8) | 0);
  }
  return regs;
}

/** Installs readRegs' images as ST(0)..ST(7) of the current TOP. */
function setRegs(f: FpuState, regs: Int32Array): void {
  for (let k = 0; k < 8; k++) {
    const r = (f.top + k) & 7;
    f.ml[r] = regs[k * 3];
    f.mh[r] = regs[k * 3 + 1];
    f.se[r] = regs[k * 3 + 2];
    f.form[r] = FORM_ENC;
  }
}

function FXSAVE(c: Cpu, i: Insn): void {
  const f = fpuOf(c);
  const a = addr(c, i);
  if ((a & 15) !== 0) fault(GP);
  c.probeWrite(a, FXSAVE_BYTES);
  const b = fxsaveImage(f, c.sse.i32, c.r[MXCSR], c.sreg[1], opcodeAt(c, f.fip));
  const w = new Int32Array(b.buffer);
  // the reserved tail (bytes 288-511) is left as it was, as the CPU does
  for (let k = 0; k < 72; k++) c.wr32((a + 4 * k) | 0, w[k]);
}

function FXRSTOR(c: Cpu, i: Insn): void {
  const f = fpuOf(c);
  const a = addr(c, i);
  if ((a & 15) !== 0) fault(GP);
  const b = new Uint8Array(FXSAVE_BYTES);
  const w = new Int32Array(b.buffer);
  for (let k = 0; k < 72; k++) w[k] = c.rd32((a + 4 * k) | 0);
  if ((w[FX.mxcsr >> 2] & ~MXCSR_MASK) !== 0) fault(GP, 0);
  c.r[MXCSR] = fxrstorImage(f, b, c.sse.i32);
}

function FNSTSW(c: Cpu, i: Insn): void {
  const f = fpuCtl(c);
  if (i.k0 === 2 /* K_R16: AX */) c.r16[0] = statusWord(f);
  else c.wr16(addr(c, i), statusWord(f));
}

function FNSTCW(c: Cpu, i: Insn): void {
  c.wr16(addr(c, i), fpuCtl(c).cw);
}

function FLDCW(c: Cpu, i: Insn): void {
  const f = fpuCtl(c);
  checkPending(f);
  f.cw = c.rd16(addr(c, i));
  updateES(f);
}

function FNCLEX(c: Cpu): void {
  const f = fpuCtl(c);
  f.sw &= ~(EXC_MASK | SF | ES | BUSY);
}

/** Prefixes the waiting (fwait) check to a no-wait handler. */
function waiting(h: Exec): Exec {
  return (c, i) => {
    checkPending(fpuCtl(c));
    h(c, i);
  };
}

function WAIT(c: Cpu): void {
  const f = c.fpu;
  if (f !== null) checkPending(f);
}

export const CONTROL_HANDLERS: Record<string, Exec> = {
  fnstsw: FNSTSW,
  fstsw: waiting(FNSTSW),
  fnstcw: FNSTCW,
  fstcw: waiting(FNSTCW),
  fldcw: FLDCW,
  fnclex: FNCLEX,
  fclex: waiting(FNCLEX),
  fninit: (c) => reset(fpuOf(c)),
  finit: waiting((c) => reset(fpuOf(c))),
  fnstenv: FSTENV,
  fstenv: waiting(FSTENV),
  fldenv: FLDENV,
  fnsave: FSAVE,
  fsave: waiting(FSAVE),
  frstor: FRSTOR,
  fxsave: FXSAVE,
  fxrstor: FXRSTOR,
  fnop: (c) => checkPending(fpuCtl(c)),
  wait: WAIT,
  // 8087/287 leftovers: no-ops on a 387 and later
  fneni: () => {},
  fndisi: () => {},
  fnsetpm: () => {},
  feni: waiting(() => {}),
  fdisi: waiting(() => {}),
  fsetpm: waiting(() => {}),
};
