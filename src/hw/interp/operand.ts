// Operand access for the interpreter: effective addresses and reads/writes of the operand kinds in
// isa.ts. The JIT emits the same accesses inline, specialised on the kinds it sees.

import type { Cpu } from "../cpu.js";
import { type Insn, K_R8, K_R16, K_R32, K_MEM, K_IMM, K_SEG } from "../isa.js";
import { DESC_CODE, DESC_CONFORMING, DESC_DB } from "../segment.js";
import { SS } from "../state.js";
import { fault, GP, SS as SS_FAULT } from "../fault.js";

/** Offset of the memory operand within its segment (no segment base). */
export function offset(c: Cpu, i: Insn): number {
  let a = i.disp;
  if (i.base >= 0) a = (a + c.r[i.base]) | 0;
  if (i.index >= 0) a = (a + (c.r[i.index] << i.scale)) | 0;
  return i.asz === 2 ? a & 0xffff : a;
}

/** Linear address of the memory operand, after the segment's limit check. */
export function ea(c: Cpu, i: Insn): number {
  const off = offset(c, i);
  if (c.slimit[i.seg] !== -1) checkLimit(c, i.seg, off, i.msz);
  return (c.sbase[i.seg] + off) | 0;
}

/** Raises #GP(0) (#SS(0) for the stack segment) unless `size` bytes at `off` lie within the
 *  segment's limit: [0, limit] when it expands up, (limit, top] when it expands down (top is
 *  0xffff or 0xffffffff by its B bit). Flat 4 GiB segments (limit -1) never get here. */
export function checkLimit(c: Cpu, seg: number, off: number, size: number): void {
  const lim = c.slimit[seg] >>> 0;
  const attr = c.sattr[seg];
  const last = (off >>> 0) + Math.max(size, 1) - 1;
  let ok: boolean;
  if ((attr & (DESC_CODE | DESC_CONFORMING)) === DESC_CONFORMING) {
    const top = attr & DESC_DB ? 0xffffffff : 0xffff;
    ok = off >>> 0 > lim && last <= top;
  } else {
    ok = last <= lim;
  }
  if (!ok) fault(seg === SS ? SS_FAULT : GP, 0);
}

/** Reads register or immediate operand of kind k (never memory). */
export function rdreg(c: Cpu, i: Insn, k: number, r: number): number {
  switch (k) {
    case K_R32:
      return c.r[r];
    case K_R8:
      return c.r8[r];
    case K_R16:
      return c.r16[r];
    case K_IMM:
      return i.imm;
    case K_SEG:
      return c.sreg[r];
    default:
      throw new Error(`operand kind ${k} is not a register (decoder bug)`);
  }
}

/** Reads any operand of kind k; memory operands read `i.msz` bytes. */
export function rdop(c: Cpu, i: Insn, k: number, r: number): number {
  return k === K_MEM ? c.rd(ea(c, i), i.msz) : rdreg(c, i, k, r);
}

/** Writes a register operand. */
export function wrreg(c: Cpu, k: number, r: number, v: number): void {
  switch (k) {
    case K_R32:
      c.r[r] = v;
      return;
    case K_R8:
      c.r8[r] = v;
      return;
    case K_R16:
      c.r16[r] = v;
      return;
    default:
      throw new Error(`operand kind ${k} is not a writable register (decoder bug)`);
  }
}

/** Writes any operand of kind k. */
export function wrop(c: Cpu, i: Insn, k: number, r: number, v: number): void {
  if (k === K_MEM) c.wr(ea(c, i), i.msz, v);
  else wrreg(c, k, r, v);
}

/** Source operand 1 of a two-operand instruction. */
export function src1(c: Cpu, i: Insn): number {
  return i.k1 === K_MEM ? c.rd(ea(c, i), i.msz) : rdreg(c, i, i.k1, i.r1);
}
