// The decoded-instruction form both execution tiers consume. The decoder (src/decoder) fills it
// from iced-x86 once per instruction; after that nothing touches the disassembler again, so the
// front end stays replaceable. One class with only number fields keeps every Insn the same shape
// for V8.

import type { Cpu } from "./cpu.js";

/** Operand kinds. */
export const K_NONE = 0;
/** 8-bit register; `r` is its byte index in the register file (AL 0, AH 1, CL 4, ...). */
export const K_R8 = 1;
/** 16-bit register; `r` is its word index in the register file (AX 0, CX 2, ...). */
export const K_R16 = 2;
/** 32-bit register; `r` is its number (EAX 0 ... EDI 7). */
export const K_R32 = 3;
/** The instruction's memory operand (base/index/scale/disp/seg fields, `msz` bytes). */
export const K_MEM = 4;
/** Immediate (`imm`, or `imm2` for the second one). */
export const K_IMM = 5;
/** Segment register; `r` is ES 0 ... GS 5. */
export const K_SEG = 6;
/** x87 stack register ST(r). */
export const K_ST = 7;
/** Control register CRr. */
export const K_CR = 8;
/** Debug register DRr. */
export const K_DR = 9;
/** MMX register MMr (the significand of x87 physical register r). */
export const K_MM = 10;
/** XMM register XMMr (slot r of the SSE register file, hw/simd/state.ts). */
export const K_XMM = 11;

export const NO_REG = -1;

/** Operation identifiers. The decoder maps iced-x86 mnemonics onto these; the interpreter's
 *  handler table and the JIT's translators are indexed by them. */
export const OP_NAMES = [
  "INVALID",
  // data movement
  "MOV", "MOVZX", "MOVSX", "XCHG", "CMPXCHG", "CMPXCHG8B", "XADD", "BSWAP", "LEA", "PUSH", "POP",
  "PUSHA", "POPA", "PUSHF", "POPF", "LAHF", "SAHF", "CBW", "CWD", "CMOV", "SETCC", "XLAT",
  "LDS", "LES", "LFS", "LGS", "LSS",
  // arithmetic and logic
  "ADD", "OR", "ADC", "SBB", "AND", "SUB", "XOR", "CMP", "TEST", "INC", "DEC", "NEG", "NOT",
  "MUL", "IMUL", "DIV", "IDIV",
  "ROL", "ROR", "RCL", "RCR", "SHL", "SHR", "SAR", "SHLD", "SHRD",
  "BT", "BTS", "BTR", "BTC", "BSF", "BSR",
  "DAA", "DAS", "AAA", "AAS", "AAM", "AAD", "SALC",
  // control transfer
  "JMP", "JCC", "JCXZ", "LOOP", "LOOPE", "LOOPNE", "CALL", "RET", "RETF", "JMPF", "CALLF", "IRET",
  "INT", "INT3", "INTO", "INT1", "BOUND", "ENTER", "LEAVE", "HLT", "NOP", "UD",
  // strings
  "MOVS", "CMPS", "SCAS", "LODS", "STOS", "INS", "OUTS",
  // flags
  "CLC", "STC", "CMC", "CLD", "STD", "CLI", "STI",
  // misc and system
  "CPUID", "RDTSC", "RDTSCP", "RDPMC", "PAUSE", "IN", "OUT", "SYSENTER", "SYSEXIT", "SYSCALL",
  "LAR", "LSL", "VERR", "VERW", "ARPL", "SGDT", "SIDT", "SLDT", "STR", "SMSW", "LMSW",
  "LGDT", "LIDT", "LLDT", "LTR", "MOVCR", "MOVDR", "INVLPG", "CLTS", "WBINVD", "INVD",
  "RDMSR", "WRMSR", "WAIT", "LFENCE", "MFENCE", "SFENCE", "PREFETCH", "CLFLUSH",
  // x87 (hw/fpu)
  "FPU",
  // MMX, SSE to SSE4.2, POPCNT (hw/simd)
  "SIMD",
] as const;

export type OpName = (typeof OP_NAMES)[number];
export const Op = Object.fromEntries(OP_NAMES.map((n, i) => [n, i])) as { readonly [K in OpName]: number };

/** Interpreter handler: executes one decoded instruction. */
export type Exec = (c: Cpu, i: Insn) => void;

/** Block-ending behaviour of an instruction (set by the decoder). */
export const FLOW_NEXT = 0, FLOW_BRANCH = 1, FLOW_EXIT = 2;

export interface Insn {
  /** Op value. */
  op: number;
  /** Sub-operation for families that share an op (x87 instruction id, string/rep variants). */
  sub: number;
  /** Interpreter handler. */
  fn: Exec;
  /** Linear address of the instruction, its length, and the address after it. */
  eip: number;
  len: number;
  next: number;
  /** Operand size in bytes (1, 2, 4) and its size code (0, 1, 2). */
  osz: number;
  sz: number;
  /** Operand kinds (K_*) and registers, in Intel operand order. */
  k0: number;
  r0: number;
  k1: number;
  r1: number;
  k2: number;
  r2: number;
  /** Immediates (sign-extended to the operand size, as int32). */
  imm: number;
  imm2: number;
  /** Memory operand: base and index register numbers (NO_REG if absent), scale as a shift,
   *  displacement, segment, address size (2 or 4) and access size in bytes. */
  base: number;
  index: number;
  scale: number;
  disp: number;
  seg: number;
  asz: number;
  msz: number;
  /** REP prefix: 0 none, 1 rep/repe, 2 repne. */
  rep: number;
  lock: number;
  /** Condition code for Jcc/SETcc/CMOVcc/LOOPcc. */
  cc: number;
  /** Branch target (near) or far offset, and far selector. */
  target: number;
  selector: number;
  /** EFLAGS bits the instruction reads, and writes (fully or as undefined), for flag liveness. */
  flagsRead: number;
  flagsWritten: number;
  /** FLOW_* */
  flow: number;
  /** The front end's own instruction code, for disassembly in traces. */
  code: number;
}

function noHandler(): void {
  throw new Error("instruction has no handler (decoder bug)");
}

/** A copy of `t` (a decoder template, or an instruction). Every Insn is made here (newInsn
 *  too), so all of them share one V8 shape with every field in the object, and a copy is one
 *  object literal: V8 clones the literal's boilerplate and stores the fields, where making a
 *  class instance (its field initialisers) and then copying the fields cost a third more while
 *  V8 still runs the decoder in its baseline tiers, which is all of a short program's decoding
 *  (a dynamic program decodes 20-40k instructions in its first 100 ms). (Object spread would
 *  be one step, but V8 keeps only 4 of a spread copy's fields in the object and 28 in a
 *  separate array.) */
export function copyInsn(t: Insn): Insn {
  return {
    op: t.op, sub: t.sub, fn: t.fn, eip: t.eip, len: t.len, next: t.next, osz: t.osz, sz: t.sz,
    k0: t.k0, r0: t.r0, k1: t.k1, r1: t.r1, k2: t.k2, r2: t.r2, imm: t.imm, imm2: t.imm2,
    base: t.base, index: t.index, scale: t.scale, disp: t.disp, seg: t.seg, asz: t.asz, msz: t.msz, rep: t.rep,
    lock: t.lock, cc: t.cc, target: t.target, selector: t.selector, flagsRead: t.flagsRead, flagsWritten: t.flagsWritten, flow: t.flow, code: t.code,
  };
}

const BLANK: Insn = copyInsn({ op: 0, sub: 0, fn: noHandler, eip: 0, len: 0, next: 0, osz: 4, sz: 2, k0: K_NONE, r0: 0, k1: K_NONE, r1: 0, k2: K_NONE, r2: 0, imm: 0, imm2: 0, base: NO_REG, index: NO_REG, scale: 0, disp: 0, seg: 3, asz: 4, msz: 0, rep: 0, lock: 0, cc: 0, target: 0, selector: 0, flagsRead: 0, flagsWritten: 0, flow: FLOW_NEXT, code: 0 });

/** A new instruction with every field at its default (no handler). */
export function newInsn(): Insn {
  return copyInsn(BLANK);
}
