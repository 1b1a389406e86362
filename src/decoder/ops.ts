// How iced-x86 mnemonics map onto our Op values, and which CPUID features the CPU model
// implements (an instruction that needs any other feature raises #UD, as on a CPU without it).

import { Op } from "../hw/isa.js";

/** iced Mnemonic name → Op name. Conditional families (Jcc, SETcc, CMOVcc) are added below. */
export const MNEMONIC_OPS: Record<string, keyof typeof Op> = {
  Mov: "MOV", Movzx: "MOVZX", Movsx: "MOVSX", Xchg: "XCHG", Cmpxchg: "CMPXCHG", Cmpxchg8b: "CMPXCHG8B",
  Xadd: "XADD", Bswap: "BSWAP", Lea: "LEA", Push: "PUSH", Pop: "POP", Pusha: "PUSHA", Pushad: "PUSHA",
  Popa: "POPA", Popad: "POPA", Pushf: "PUSHF", Pushfd: "PUSHF", Popf: "POPF", Popfd: "POPF",
  Lahf: "LAHF", Sahf: "SAHF", Cbw: "CBW", Cwde: "CBW", Cwd: "CWD", Cdq: "CWD", Xlatb: "XLAT",
  Lds: "LDS", Les: "LES", Lfs: "LFS", Lgs: "LGS", Lss: "LSS",
  Add: "ADD", Or: "OR", Adc: "ADC", Sbb: "SBB", And: "AND", Sub: "SUB", Xor: "XOR", Cmp: "CMP",
  Test: "TEST", Inc: "INC", Dec: "DEC", Neg: "NEG", Not: "NOT", Mul: "MUL", Imul: "IMUL", Div: "DIV",
  Idiv: "IDIV", Rol: "ROL", Ror: "ROR", Rcl: "RCL", Rcr: "RCR", Shl: "SHL", Sal: "SHL", Shr: "SHR",
  Sar: "SAR", Shld: "SHLD", Shrd: "SHRD", Bt: "BT", Bts: "BTS", Btr: "BTR", Btc: "BTC", Bsf: "BSF",
  Bsr: "BSR", Daa: "DAA", Das: "DAS", Aaa: "AAA", Aas: "AAS", Aam: "AAM", Aad: "AAD", Salc: "SALC",
  Jmp: "JMP", Jcxz: "JCXZ", Jecxz: "JCXZ", Loop: "LOOP", Loope: "LOOPE", Loopne: "LOOPNE",
  Call: "CALL", Ret: "RET", Retf: "RETF", Iret: "IRET", Iretd: "IRET", Int: "INT", Int3: "INT3",
  Into: "INTO", Int1: "INT1", Bound: "BOUND", Enter: "ENTER", Leave: "LEAVE", Hlt: "HLT", Nop: "NOP",
  Reservednop: "NOP", Endbr32: "NOP", Endbr64: "NOP", Ud0: "UD", Ud1: "UD", Ud2: "UD",
  // rdssp sits in the reserved-NOP space: without shadow stacks it leaves its register alone,
  // which is how glibc learns that none is active (its unwinder zeroes the register first).
  Rdsspd: "NOP",
  Movsb: "MOVS", Movsw: "MOVS", Movsd: "MOVS", Cmpsb: "CMPS", Cmpsw: "CMPS", Cmpsd: "CMPS",
  Scasb: "SCAS", Scasw: "SCAS", Scasd: "SCAS", Lodsb: "LODS", Lodsw: "LODS", Lodsd: "LODS",
  Stosb: "STOS", Stosw: "STOS", Stosd: "STOS", Insb: "INS", Insw: "INS", Insd: "INS",
  Outsb: "OUTS", Outsw: "OUTS", Outsd: "OUTS",
  Clc: "CLC", Stc: "STC", Cmc: "CMC", Cld: "CLD", Std: "STD", Cli: "CLI", Sti: "STI",
  Cpuid: "CPUID", Rdtsc: "RDTSC", Rdtscp: "RDTSCP", Rdpmc: "RDPMC", Pause: "PAUSE", In: "IN", Out: "OUT",
  Sysenter: "SYSENTER", Sysexit: "SYSEXIT", Syscall: "SYSCALL", Lar: "LAR", Lsl: "LSL", Verr: "VERR",
  Verw: "VERW", Arpl: "ARPL", Sgdt: "SGDT", Sidt: "SIDT", Sldt: "SLDT", Str: "STR", Smsw: "SMSW",
  Lmsw: "LMSW", Lgdt: "LGDT", Lidt: "LIDT", Lldt: "LLDT", Ltr: "LTR", Invlpg: "INVLPG", Clts: "CLTS",
  Wbinvd: "WBINVD", Invd: "INVD", Rdmsr: "RDMSR", Wrmsr: "WRMSR", Wait: "WAIT", Lfence: "LFENCE",
  Mfence: "MFENCE", Sfence: "SFENCE", Prefetchnta: "PREFETCH", Prefetcht0: "PREFETCH",
  Prefetcht1: "PREFETCH", Prefetcht2: "PREFETCH", Prefetchw: "PREFETCH", Prefetch: "PREFETCH",
  Clflush: "CLFLUSH",
};

export const CC_SUFFIXES = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"];
for (const cc of CC_SUFFIXES) {
  MNEMONIC_OPS["J" + cc] = "JCC";
  MNEMONIC_OPS["Set" + cc] = "SETCC";
  MNEMONIC_OPS["Cmov" + cc] = "CMOV";
}

/** CPUID features (iced CpuidFeature names) whose instructions this CPU implements. Prefetch
 *  and CET instructions execute as the hint NOPs they are on CPUs without those features. */
export const SUPPORTED_FEATURES = [
  "INTEL8086", "INTEL186", "INTEL286", "INTEL386", "INTEL486", "CPUID", "CMOV", "CX8", "TSC",
  "MULTIBYTENOP", "PAUSE", "MSR", "CLFSH", "CET_IBT", "SEP", "FXSR",
];

/** The SIMD feature sets (hw/simd); their instructions decode to op SIMD. */
export const SIMD_FEATURES = ["MMX", "SSE", "SSE2", "SSE3", "SSSE3", "SSE4_1", "SSE4_2", "POPCNT"];
SUPPORTED_FEATURES.push(...SIMD_FEATURES);
