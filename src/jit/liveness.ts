// Flag liveness: for each instruction of a block, which arithmetic flags some later instruction
// may read before they are overwritten. Translation skips recording flags nobody reads (most
// `add`/`sub`/`and` results feed no branch). Shifts and rotates by a count that may be zero leave
// the flags unchanged, so they never count as overwriting them.

import { type Insn, Op, K_IMM } from "../hw/isa.js";
import { ARITH_FLAGS } from "../hw/state.js";

const SHIFTS = new Set<number>([Op.SHL, Op.SHR, Op.SAR, Op.ROL, Op.ROR, Op.RCL, Op.RCR, Op.SHLD, Op.SHRD]);

/** Flags the instruction is certain to overwrite. */
export function flagsKilled(x: Insn): number {
  if (SHIFTS.has(x.op)) {
    const countKind = x.op === Op.SHLD || x.op === Op.SHRD ? x.k2 : x.k1;
    if (countKind !== K_IMM || (x.imm & 31) === 0) return 0;
  }
  return x.flagsWritten & ARITH_FLAGS;
}

/** Returns, for each instruction, the arithmetic flags live after it; `liveAtEnd` are those the
 *  block's successors may read (all of them when unknown). */
export function flagLiveness(insns: readonly Insn[], liveAtEnd = ARITH_FLAGS): Int32Array {
  const after = new Int32Array(insns.length);
  let live = liveAtEnd;
  for (let k = insns.length - 1; k >= 0; k--) {
    after[k] = live;
    const x = insns[k];
    live = (live & ~flagsKilled(x)) | (x.flagsRead & ARITH_FLAGS);
  }
  return after;
}

/** Flags live on entry to the block. */
export function flagsLiveIn(insns: readonly Insn[], liveAtEnd = ARITH_FLAGS): number {
  let live = liveAtEnd;
  for (let k = insns.length - 1; k >= 0; k--) {
    const x = insns[k];
    live = (live & ~flagsKilled(x)) | (x.flagsRead & ARITH_FLAGS);
  }
  return live;
}
