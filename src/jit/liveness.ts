// Flag liveness: for each instruction of a block, which arithmetic flags some later instruction
// may read before they are overwritten. Translation skips recording flags nobody reads (most
// `add`/`sub`/`and` results feed no branch). Shifts and rotates by a count that may be zero leave
// the flags unchanged, so they never count as overwriting them.
//
// An instruction that may fault reads every flag: a fault stops before it with the flags as they
// are then, and the signal handler's context (or the restarted instruction) must see exactly
// what the CPU would have.

import { type Insn, Op, K_IMM, K_MEM, K_SEG, K_CR, K_DR } from "../hw/isa.js";
import { ARITH_FLAGS } from "../hw/state.js";

/** Operations that cannot fault when none of their operands is in memory. */
const NEVER_FAULT = new Set<number>([
  Op.MOV, Op.MOVZX, Op.MOVSX, Op.XCHG, Op.XADD, Op.CMPXCHG, Op.BSWAP, Op.LEA, Op.LAHF, Op.SAHF, Op.CBW,
  Op.CWD, Op.CMOV, Op.SETCC, Op.ADD, Op.OR, Op.ADC, Op.SBB, Op.AND, Op.SUB, Op.XOR, Op.CMP, Op.TEST,
  Op.INC, Op.DEC, Op.NEG, Op.NOT, Op.MUL, Op.IMUL, Op.ROL, Op.ROR, Op.RCL, Op.RCR, Op.SHL, Op.SHR,
  Op.SAR, Op.SHLD, Op.SHRD, Op.BT, Op.BTS, Op.BTR, Op.BTC, Op.BSF, Op.BSR, Op.DAA, Op.DAS, Op.AAA,
  Op.AAS, Op.AAD, Op.SALC, Op.JMP, Op.JCC, Op.JCXZ, Op.LOOP, Op.LOOPE, Op.LOOPNE, Op.NOP, Op.PAUSE,
  Op.CLC, Op.STC, Op.CMC, Op.CLD, Op.STD, Op.CPUID, Op.RDTSC, Op.LFENCE, Op.MFENCE, Op.SFENCE,
]);

/** Whether executing x may raise an exception (memory access, #DE, #GP, #UD, #MF, ...). */
export function mayFault(x: Insn): boolean {
  for (const k of [x.k0, x.k1, x.k2]) if (k === K_MEM || k === K_SEG || k === K_CR || k === K_DR) return true;
  return !NEVER_FAULT.has(x.op);
}

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
 *  block's successors may read (all of them when unknown). Every flag is live before the
 *  instructions `seen` marks (an embedder's hook runs there and may read EFLAGS). */
export function flagLiveness(insns: readonly Insn[], liveAtEnd = ARITH_FLAGS, seen: Uint8Array | null = null): Int32Array {
  const after = new Int32Array(insns.length);
  let live = liveAtEnd;
  for (let k = insns.length - 1; k >= 0; k--) {
    after[k] = live;
    const x = insns[k];
    live = mayFault(x) || (seen !== null && seen[k] !== 0) ? ARITH_FLAGS : (live & ~flagsKilled(x)) | (x.flagsRead & ARITH_FLAGS);
  }
  return after;
}

/** Flags live on entry to the block. */
export function flagsLiveIn(insns: readonly Insn[], liveAtEnd = ARITH_FLAGS): number {
  let live = liveAtEnd;
  for (let k = insns.length - 1; k >= 0; k--) {
    const x = insns[k];
    live = mayFault(x) ? ARITH_FLAGS : (live & ~flagsKilled(x)) | (x.flagsRead & ARITH_FLAGS);
  }
  return live;
}

/** CF and OF, the flags a rotate writes. */
const CF_OF = 0x801;

/** For each instruction, the index of the instruction that ends its "fault-only" window, or -1.
 *  A rotate by a constant count writes CF and OF only; when no later instruction of the block
 *  reads a flag before one overwrites both, those two bits matter only if something faults in
 *  between (the fault's context must hold them). Such a rotate can keep its CF and OF aside
 *  instead of folding the lazy record into EFLAGS (a call of flagsOf when the record's
 *  producer is not known statically): compiled code applies them only on the way out of a
 *  fault. The window may hold only instructions that read and write no flag and are neither
 *  x87 nor SIMD (those can leave compiled code in mid-block). */
export function faultOnlyRotates(insns: readonly Insn[]): Int32Array {
  const end = new Int32Array(insns.length).fill(-1);
  for (let k = 0; k < insns.length; k++) {
    const x = insns[k];
    if ((x.op !== Op.ROL && x.op !== Op.ROR) || x.k1 !== K_IMM || (x.imm & 31) === 0) continue;
    for (let j = k + 1; j < insns.length; j++) {
      const y = insns[j];
      if ((y.flagsRead & ARITH_FLAGS) !== 0 || y.op === Op.FPU || y.op === Op.SIMD) break;
      if ((y.flagsWritten & ARITH_FLAGS) === 0) continue;
      if ((flagsKilled(y) & CF_OF) === CF_OF) end[k] = j;
      break;
    }
  }
  return end;
}
