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

/**
 * What every instruction of one form has in common: the fast decoder's template of the form
 * holds one, and every instruction decoded from that template points at the template's, so a
 * decoded instruction keeps only what differs between instructions of its form (Insn).
 * Measured: Debian's python3 -c pass decodes 170,000 instructions, and as objects of all 32
 * fields (280 bytes each) they were 47.6 MB of the 77 MB V8 heap left at its exit (a heap
 * snapshot), each one allocated, promoted by the scavenger and its memory faulted in afresh;
 * as Insns of 15 fields (144 bytes), 24.4 MB of 50.5 MB. (V8 pretenures object literals that
 * survive, not class instances, so these are promoted by copying: python3's garbage
 * collection took 10-25 ms more, medians of three, which the smaller objects more than repay.)
 */
export interface InsnForm {
  /** Op value. */
  op: number;
  /** Sub-operation for families that share an op (x87 instruction id, string/rep variants). */
  sub: number;
  /** Operand size in bytes (1, 2, 4) and its size code (0, 1, 2). */
  osz: number;
  sz: number;
  /** Operand kinds (K_*), in Intel operand order. */
  k0: number;
  k1: number;
  k2: number;
  /** Address size (2 or 4) and memory access size in bytes. */
  asz: number;
  msz: number;
  /** REP prefix: 0 none, 1 rep/repe, 2 repne. */
  rep: number;
  lock: number;
  /** Condition code for Jcc/SETcc/CMOVcc/LOOPcc. */
  cc: number;
  /** EFLAGS bits the instruction reads, and writes (fully or as undefined), for flag liveness. */
  flagsRead: number;
  flagsWritten: number;
  /** FLOW_* */
  flow: number;
  /** The front end's own instruction code, for disassembly in traces. */
  code: number;
  /** A far branch's selector (its offset is the instruction's target). */
  selector: number;
}

function noHandler(): void {
  throw new Error("instruction has no handler (decoder bug)");
}

/** A copy of form `f`. Every InsnForm is made here, so all of them share one V8 shape. */
export function copyForm(f: InsnForm): InsnForm {
  return {
    op: f.op, sub: f.sub, osz: f.osz, sz: f.sz, k0: f.k0, k1: f.k1, k2: f.k2, asz: f.asz, msz: f.msz,
    rep: f.rep, lock: f.lock, cc: f.cc, flagsRead: f.flagsRead, flagsWritten: f.flagsWritten, flow: f.flow, code: f.code, selector: f.selector,
  };
}

/**
 * A decoded instruction: its own fields, and its form's (`f`) through accessors, so code reads
 * `x.op` as before (V8 inlines the accessors where it optimises). Writing a form's field through
 * an instruction writes the form: only an instruction with a form of its own (newInsn) is
 * written so. The handler is the instruction's own: the interpreter calls it for every
 * instruction it runs, and the decoder puts a specialised one in place per instruction while
 * the form's template keeps the generic one (interp/special.ts).
 *
 * Every Insn is made by this constructor (newInsn, copyInsn), all fields in the same order, so
 * all of them share one V8 shape and the interpreter's reads of them stay monomorphic.
 */
export class Insn {
  constructor(
    /** The form's fields. */
    public f: InsnForm,
    /** Interpreter handler. */
    public fn: Exec,
    /** Linear address of the instruction and its length (`next`: the address after it). */
    public eip: number,
    public len: number,
    /** Operand registers, in Intel operand order (of the form's kinds). */
    public r0: number,
    public r1: number,
    public r2: number,
    /** Immediates (sign-extended to the operand size, as int32). */
    public imm: number,
    public imm2: number,
    /** Memory operand: base and index register numbers (NO_REG if absent), scale as a shift,
     *  displacement and segment. */
    public base: number,
    public index: number,
    public scale: number,
    public disp: number,
    public seg: number,
    /** Branch target (near) or far offset. */
    public target: number,
  ) {}

  /** The address after the instruction. */
  get next(): number {
    return (this.eip + this.len) | 0;
  }

  get op(): number { return this.f.op; }
  set op(v: number) { this.f.op = v; }
  get sub(): number { return this.f.sub; }
  set sub(v: number) { this.f.sub = v; }
  get osz(): number { return this.f.osz; }
  set osz(v: number) { this.f.osz = v; }
  get sz(): number { return this.f.sz; }
  set sz(v: number) { this.f.sz = v; }
  get k0(): number { return this.f.k0; }
  set k0(v: number) { this.f.k0 = v; }
  get k1(): number { return this.f.k1; }
  set k1(v: number) { this.f.k1 = v; }
  get k2(): number { return this.f.k2; }
  set k2(v: number) { this.f.k2 = v; }
  get asz(): number { return this.f.asz; }
  set asz(v: number) { this.f.asz = v; }
  get msz(): number { return this.f.msz; }
  set msz(v: number) { this.f.msz = v; }
  get rep(): number { return this.f.rep; }
  set rep(v: number) { this.f.rep = v; }
  get lock(): number { return this.f.lock; }
  set lock(v: number) { this.f.lock = v; }
  get cc(): number { return this.f.cc; }
  set cc(v: number) { this.f.cc = v; }
  get flagsRead(): number { return this.f.flagsRead; }
  set flagsRead(v: number) { this.f.flagsRead = v; }
  get flagsWritten(): number { return this.f.flagsWritten; }
  set flagsWritten(v: number) { this.f.flagsWritten = v; }
  get flow(): number { return this.f.flow; }
  set flow(v: number) { this.f.flow = v; }
  get code(): number { return this.f.code; }
  set code(v: number) { this.f.code = v; }
  get selector(): number { return this.f.selector; }
  set selector(v: number) { this.f.selector = v; }
}

/** An instruction of `t`'s form (which it shares with `t`), with `t`'s own fields. */
export function copyInsn(t: Insn): Insn {
  return new Insn(t.f, t.fn, t.eip, t.len, t.r0, t.r1, t.r2, t.imm, t.imm2, t.base, t.index, t.scale, t.disp, t.seg, t.target);
}

const BLANK_FORM: InsnForm = copyForm({ op: 0, sub: 0, osz: 4, sz: 2, k0: K_NONE, k1: K_NONE, k2: K_NONE, asz: 4, msz: 0, rep: 0, lock: 0, cc: 0, flagsRead: 0, flagsWritten: 0, flow: FLOW_NEXT, code: 0, selector: 0 });

/** A new instruction with a form of its own, every field at its default (no handler). */
export function newInsn(): Insn {
  return new Insn(copyForm(BLANK_FORM), noHandler, 0, 0, 0, 0, 0, 0, 0, NO_REG, NO_REG, 0, 0, 3, 0);
}
