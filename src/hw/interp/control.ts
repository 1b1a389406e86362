// Interpreter handlers for control transfer. A branch is always the last instruction of a block;
// the block runner has already set EIP to the next instruction, so a branch that is not taken
// does nothing and a taken one overwrites EIP. Software interrupts stop the CPU with EXIT_INT for
// the host (the exokernel) to dispatch.

import type { Cpu } from "../cpu.js";
import { EXIT_INT, EXIT_HLT } from "../cpu.js";
import { type Insn, K_MEM, K_IMM } from "../isa.js";
import { ea, rdop } from "./operand.js";
import { push, peek, sp, setSp, stackLin } from "./move.js";
import { EIP, ECX, ESP, EBP, SS, CS } from "../state.js";
import { cond, getOF, getZF } from "../flags.js";
import { fault, GP, BR, UD } from "../fault.js";
import { loadCodeSeg } from "../segment.js";
import { writeFlags } from "./move.js";

export function JMP(c: Cpu, i: Insn): void {
  c.r[EIP] = i.k0 === K_IMM ? i.target : narrow(rdop(c, i, i.k0, i.r0), i.osz);
}

function narrow(v: number, osz: number): number {
  return osz === 2 ? v & 0xffff : v;
}

export function JCC(c: Cpu, i: Insn): void {
  if (cond(c.r, i.cc)) c.r[EIP] = i.target;
}

export function JCXZ(c: Cpu, i: Insn): void {
  const cnt = i.asz === 2 ? c.r16[ECX << 1] : c.r[ECX];
  if (cnt === 0) c.r[EIP] = i.target;
}

/** LOOP/LOOPE/LOOPNE: decrement CX or ECX (by address size), then branch. */
function loop(c: Cpu, i: Insn, zf: number): void {
  let cnt: number;
  if (i.asz === 2) {
    cnt = (c.r16[ECX << 1] - 1) & 0xffff;
    c.r16[ECX << 1] = cnt;
  } else {
    cnt = (c.r[ECX] - 1) | 0;
    c.r[ECX] = cnt;
  }
  if (cnt !== 0 && (zf < 0 || getZF(c.r) === zf)) c.r[EIP] = i.target;
}

export function LOOP(c: Cpu, i: Insn): void { loop(c, i, -1); }
export function LOOPE(c: Cpu, i: Insn): void { loop(c, i, 1); }
export function LOOPNE(c: Cpu, i: Insn): void { loop(c, i, 0); }

export function CALL(c: Cpu, i: Insn): void {
  const target = i.k0 === K_IMM ? i.target : narrow(rdop(c, i, i.k0, i.r0), i.osz);
  push(c, i.osz, i.next);
  c.r[EIP] = target;
}

export function RET(c: Cpu, i: Insn): void {
  const target = peek(c, i.osz);
  setSp(c, sp(c) + i.osz + (i.k0 === K_IMM ? i.imm & 0xffff : 0));
  c.r[EIP] = target;
}

/** Far jump to ptr16:16/32 or m16:16/32; same-privilege code segments only. */
export function JMPF(c: Cpu, i: Insn): void {
  let off: number, sel: number;
  if (i.k0 === K_MEM) {
    const lin = ea(c, i);
    off = narrow(c.rd(lin, i.osz), i.osz);
    sel = c.rd16((lin + i.osz) | 0);
  } else {
    off = i.target;
    sel = i.selector;
  }
  loadCodeSeg(c, sel);
  c.r[EIP] = off;
}

export function CALLF(c: Cpu, i: Insn): void {
  let off: number, sel: number;
  if (i.k0 === K_MEM) {
    const lin = ea(c, i);
    off = narrow(c.rd(lin, i.osz), i.osz);
    sel = c.rd16((lin + i.osz) | 0);
  } else {
    off = i.target;
    sel = i.selector;
  }
  const oldCs = c.sreg[CS];
  const saved = c.r[ESP];
  push(c, i.osz, oldCs);
  push(c, i.osz, i.next);
  try {
    loadCodeSeg(c, sel);
  } catch (e) {
    c.r[ESP] = saved;
    throw e;
  }
  c.r[EIP] = off;
}

export function RETF(c: Cpu, i: Insn): void {
  const off = peek(c, i.osz);
  const sel = peek(c, i.osz, i.osz) & 0xffff;
  loadCodeSeg(c, sel);
  setSp(c, sp(c) + 2 * i.osz + (i.k0 === K_IMM ? i.imm & 0xffff : 0));
  c.r[EIP] = off;
}

/** IRET to the same privilege level (a guest kernel returning to user mode is handled by the
 *  system-mode code once guest kernels run). */
export function IRET(c: Cpu, i: Insn): void {
  const off = peek(c, i.osz);
  const sel = peek(c, i.osz, i.osz) & 0xffff;
  const fl = peek(c, i.osz, 2 * i.osz);
  if ((sel & 3) !== c.cpl) fault(GP, sel & 0xfffc);
  loadCodeSeg(c, sel);
  setSp(c, sp(c) + 3 * i.osz);
  writeFlags(c, fl, i.osz);
  c.r[EIP] = off;
}

function softInt(c: Cpu, vector: number): void {
  c.exit = EXIT_INT;
  c.exitArg = vector;
}

export function INT(c: Cpu, i: Insn): void { softInt(c, i.imm & 0xff); }
export function INT3(c: Cpu, _i: Insn): void { softInt(c, 3); }
export function INT1(c: Cpu, _i: Insn): void { softInt(c, 1); }
export function INTO(c: Cpu, _i: Insn): void {
  if (getOF(c.r)) softInt(c, 4);
}

export function BOUND(c: Cpu, i: Insn): void {
  const lin = ea(c, i);
  const size = i.osz;
  const sx = (v: number): number => (size === 2 ? (v << 16) >> 16 : v | 0);
  const lo = sx(c.rd(lin, size));
  const hi = sx(c.rd((lin + size) | 0, size));
  const v = sx(rdop(c, i, i.k0, i.r0));
  if (v < lo || v > hi) fault(BR);
}

export function ENTER(c: Cpu, i: Insn): void {
  const size = i.osz;
  const alloc = i.imm & 0xffff;
  const level = i.imm2 & 31;
  const r = c.r;
  let s = sp(c);
  let bp = r[EBP];
  const write = (v: number): void => {
    s = (s - size) | 0;
    if (size === 4) c.wr32(stackLin(c, s), v);
    else c.wr16(stackLin(c, s), v);
  };
  write(bp);
  const frame = s;
  if (level > 0) {
    for (let k = 1; k < level; k++) {
      bp = (bp - size) | 0;
      write(size === 4 ? c.rd32(stackLin(c, bp)) : c.rd16(stackLin(c, bp)));
    }
    write(frame);
  }
  s = (s - alloc) | 0;
  // Probe the lowest byte of the new frame, as the CPU checks the whole allocation.
  if (alloc > 0) c.rd8(stackLin(c, s));
  if (size === 4) r[EBP] = frame;
  else c.r16[EBP << 1] = frame;
  setSp(c, s);
}

export function LEAVE(c: Cpu, i: Insn): void {
  const r = c.r;
  const size = i.osz;
  // ESP (SP for a 16-bit stack) takes EBP, then EBP (BP) is popped
  const bp = r[EBP];
  const v = size === 4 ? c.rd32(stackLin(c, bp)) : c.rd16(stackLin(c, bp));
  setSp(c, bp + size);
  if (size === 4) r[EBP] = v;
  else c.r16[EBP << 1] = v;
}

export function HLT(c: Cpu, _i: Insn): void {
  if (c.cpl !== 0) fault(GP, 0);
  c.exit = EXIT_HLT;
}

export function NOP(_c: Cpu, _i: Insn): void {}

export function UDI(_c: Cpu, _i: Insn): void {
  fault(UD);
}

