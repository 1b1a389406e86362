// The interpreter's dispatch table: one handler per Op. The decoder stores the handler in each
// Insn, so execution is one indirect call per instruction.

import { Op, OP_NAMES, type Exec } from "../isa.js";
import * as arith from "./arith.js";
import * as move from "./move.js";
import * as control from "./control.js";
import * as str from "./string.js";
import * as sys from "./system.js";
import * as bcd from "./bcd.js";

const table: Partial<Record<keyof typeof Op, Exec>> = {
  MOV: move.MOV, MOVZX: move.MOVZX, MOVSX: move.MOVSX, XCHG: move.XCHG, CMPXCHG: move.CMPXCHG,
  CMPXCHG8B: move.CMPXCHG8B, XADD: move.XADD, BSWAP: move.BSWAP, LEA: move.LEA, PUSH: move.PUSH,
  POP: move.POP, PUSHA: move.PUSHA, POPA: move.POPA, PUSHF: move.PUSHF, POPF: move.POPF,
  LAHF: move.LAHF, SAHF: move.SAHF, CBW: move.CBW, CWD: move.CWD, CMOV: move.CMOV,
  SETCC: move.SETCC, XLAT: move.XLAT, LDS: move.LDS, LES: move.LES, LFS: move.LFS, LGS: move.LGS,
  LSS: move.LSS,

  ADD: arith.ADD, OR: arith.OR, ADC: arith.ADC, SBB: arith.SBB, AND: arith.AND, SUB: arith.SUB,
  XOR: arith.XOR, CMP: arith.CMP, TEST: arith.TEST, INC: arith.INC, DEC: arith.DEC, NEG: arith.NEG,
  NOT: arith.NOT, MUL: arith.MUL, IMUL: arith.IMUL, DIV: arith.DIV, IDIV: arith.IDIV,
  ROL: arith.ROL, ROR: arith.ROR, RCL: arith.RCL, RCR: arith.RCR, SHL: arith.SHL, SHR: arith.SHR,
  SAR: arith.SAR, SHLD: arith.SHLD, SHRD: arith.SHRD, BT: arith.BT, BTS: arith.BTS, BTR: arith.BTR,
  BTC: arith.BTC, BSF: arith.BSF, BSR: arith.BSR,
  DAA: bcd.DAA, DAS: bcd.DAS, AAA: bcd.AAA, AAS: bcd.AAS, AAM: bcd.AAM, AAD: bcd.AAD, SALC: bcd.SALC,

  JMP: control.JMP, JCC: control.JCC, JCXZ: control.JCXZ, LOOP: control.LOOP, LOOPE: control.LOOPE,
  LOOPNE: control.LOOPNE, CALL: control.CALL, RET: control.RET, RETF: control.RETF, JMPF: control.JMPF,
  CALLF: control.CALLF, IRET: control.IRET, INT: control.INT, INT3: control.INT3, INTO: control.INTO,
  INT1: control.INT1, BOUND: control.BOUND, ENTER: control.ENTER, LEAVE: control.LEAVE,
  HLT: control.HLT, NOP: control.NOP, UD: control.UDI,

  MOVS: str.MOVS, CMPS: str.CMPS, SCAS: str.SCAS, LODS: str.LODS, STOS: str.STOS, INS: str.INS,
  OUTS: str.OUTS,

  CLC: sys.CLC, STC: sys.STC, CMC: sys.CMC, CLD: sys.CLD, STD: sys.STD, CLI: sys.CLI, STI: sys.STI,
  CPUID: sys.CPUID, RDTSC: sys.RDTSC, PAUSE: control.NOP, IN: sys.IN, OUT: sys.OUT,
  SYSENTER: sys.SYSENTER, SGDT: sys.SGDT, SIDT: sys.SIDT, SLDT: sys.SLDT, STR: sys.STR,
  SMSW: sys.SMSW, LMSW: sys.LMSW, LGDT: sys.LGDT, LIDT: sys.LIDT, MOVCR: sys.MOVCR,
  MOVDR: sys.MOVDR, INVLPG: sys.INVLPG, CLTS: sys.CLTS, WBINVD: sys.PRIV_NOP, INVD: sys.PRIV_NOP,
  ARPL: sys.ARPL, LAR: sys.LAR, LSL: sys.LSL, VERR: sys.VERR, VERW: sys.VERW, RDMSR: sys.RDMSR, WRMSR: sys.WRMSR, WAIT: sys.FENCE, LFENCE: sys.FENCE, MFENCE: sys.FENCE,
  SFENCE: sys.FENCE, PREFETCH: sys.FENCE, CLFLUSH: sys.FENCE,
};

/** HANDLERS[op] executes op; ops without a handler raise #UD. */
export const HANDLERS: Exec[] = OP_NAMES.map((name) => table[name] ?? sys.UNSUPPORTED);

/** Registers the handler for an op implemented outside this folder (the x87 unit). */
export function setHandler(op: number, fn: Exec): void {
  HANDLERS[op] = fn;
}

/** Whether an op has a real handler (for coverage reports). */
export function implemented(op: number): boolean {
  return HANDLERS[op] !== sys.UNSUPPORTED;
}
