// Executes a decoded block in the interpreter. Only the last instruction of a block can transfer
// control, so EIP is written once per block: set to the last instruction's successor before it
// runs (a taken branch overwrites it). A fault leaves EIP at the faulting instruction, with the
// instructions before it retired, and propagates to the engine.

import type { Cpu } from "../cpu.js";
import type { Insn } from "../isa.js";
import { EIP } from "../state.js";

export function execInsns(c: Cpu, insns: readonly Insn[]): void {
  const n = insns.length - 1;
  let k = 0;
  try {
    for (; k < n; k++) {
      const x = insns[k];
      x.fn(c, x);
    }
    const last = insns[n];
    c.r[EIP] = last.next;
    last.fn(c, last);
  } catch (e) {
    c.r[EIP] = insns[k].eip;
    c.icount += k;
    throw e;
  }
  c.icount += n + 1;
}

/** execInsns for a block that has met data not aligned to its accesses' size: each instruction
 *  whose accesses do (Cpu.misaligned) is added to `at` (jit/engine.ts, Block.misalignedAt).
 *  Cpu.misaligned is left set if any did. */
export function execNoting(c: Cpu, insns: readonly Insn[], at: Set<number>): void {
  const n = insns.length - 1;
  let k = 0, any = false;
  try {
    for (; k <= n; k++) {
      const x = insns[k];
      c.misaligned = false;
      if (k === n) c.r[EIP] = x.next;
      x.fn(c, x);
      if (c.misaligned) {
        at.add(x.eip);
        any = true;
      }
    }
  } catch (e) {
    c.r[EIP] = insns[k].eip;
    c.icount += k;
    c.misaligned = any;
    throw e;
  }
  c.icount += n + 1;
  c.misaligned = any;
}

/** Executes one instruction (single-stepping, code-write restarts). */
export function execOne(c: Cpu, x: Insn): void {
  c.r[EIP] = x.next;
  try {
    x.fn(c, x);
  } catch (e) {
    c.r[EIP] = x.eip;
    throw e;
  }
  c.icount += 1;
}
