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

export class Insn {
  /** Op value. */
  op = 0;
  /** Sub-operation for families that share an op (x87 instruction id, string/rep variants). */
  sub = 0;
  /** Interpreter handler. */
  fn: Exec = noHandler;
  /** Linear address of the instruction, its length, and the address after it. */
  eip = 0;
  len = 0;
  next = 0;
  /** Operand size in bytes (1, 2, 4) and its size code (0, 1, 2). */
  osz = 4;
  sz = 2;
  /** Operand kinds (K_*) and registers, in Intel operand order. */
  k0 = K_NONE;
  r0 = 0;
  k1 = K_NONE;
  r1 = 0;
  k2 = K_NONE;
  r2 = 0;
  /** Immediates (sign-extended to the operand size, as int32). */
  imm = 0;
  imm2 = 0;
  /** Memory operand: base and index register numbers (NO_REG if absent), scale as a shift,
   *  displacement, segment, address size (2 or 4) and access size in bytes. */
  base = NO_REG;
  index = NO_REG;
  scale = 0;
  disp = 0;
  seg = 3;
  asz = 4;
  msz = 0;
  /** REP prefix: 0 none, 1 rep/repe, 2 repne. */
  rep = 0;
  lock = 0;
  /** Condition code for Jcc/SETcc/CMOVcc/LOOPcc. */
  cc = 0;
  /** Branch target (near) or far offset, and far selector. */
  target = 0;
  selector = 0;
  /** EFLAGS bits the instruction reads, and writes (fully or as undefined), for flag liveness. */
  flagsRead = 0;
  flagsWritten = 0;
  /** FLOW_* */
  flow = FLOW_NEXT;
  /** The front end's own instruction code, for disassembly in traces. */
  code = 0;
}

function noHandler(): void {
  throw new Error("instruction has no handler (decoder bug)");
}
