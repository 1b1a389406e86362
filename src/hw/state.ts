// Layout of the CPU's hot state. Everything an instruction touches on the fast path lives in one
// Int32Array (`Cpu.r`) at the constant indices below, so both tiers read and write it without
// boxing (object fields holding values above 2^30 become heap numbers; typed-array slots never do).
// The 8- and 16-bit registers are Uint8Array/Uint16Array views of the same bytes, as on the CPU.

/** General registers in x86 encoding order. */
export const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;
/** Instruction pointer (linear = CS.base + EIP; CS.base is 0 in flat mode). */
export const EIP = 8;
/** EFLAGS as last materialised; the arithmetic bits are only current while FOP = 0. */
export const FLAGS = 9;
/** Lazy flags: the last flag-setting operation (kind << 2 | size code) and its operands/result. */
export const FOP = 10, FA = 11, FB = 12, FR = 13;
/** MXCSR, the SSE control and status register (hw/simd/state.ts), kept with the registers so
 *  compiled code reads it as cheaply as EFLAGS and context switches carry it. */
export const MXCSR = 14;
/** Number of Int32 slots in the register file. */
export const REG_SLOTS = 16;

export const REG_NAMES = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"] as const;
export const REG8_NAMES = ["al", "cl", "dl", "bl", "ah", "ch", "dh", "bh"] as const;
export const REG16_NAMES = ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di"] as const;

/** Byte index of 8-bit register n (AL, CL, DL, BL, AH, CH, DH, BH) in the register file. */
export function reg8Index(n: number): number {
  return ((n & 3) << 2) | (n >> 2);
}

/** Segment registers in x86 encoding order. */
export const ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5;
export const SEG_NAMES = ["es", "cs", "ss", "ds", "fs", "gs"] as const;

/** EFLAGS bits. */
export const CF = 1 << 0, PF = 1 << 2, AF = 1 << 4, ZF = 1 << 6, SF = 1 << 7;
export const TF = 1 << 8, IF = 1 << 9, DF = 1 << 10, OF = 1 << 11;
export const IOPL = 3 << 12, NT = 1 << 14, RF = 1 << 16, VM = 1 << 17, AC = 1 << 18, VIF = 1 << 19, VIP = 1 << 20, ID = 1 << 21;
/** The six arithmetic status flags. */
export const ARITH_FLAGS = CF | PF | AF | ZF | SF | OF;
/** Bit 1 of EFLAGS always reads as 1. */
export const FLAGS_FIXED = 1 << 1;
/** Flags POPF may change at CPL 3 with IOPL 0 (IF, IOPL and VM are silently kept). */
export const FLAGS_USER_WRITABLE = ARITH_FLAGS | TF | DF | NT | AC | ID;

/** CR0 bits. */
export const CR0_PE = 1 << 0, CR0_MP = 1 << 1, CR0_EM = 1 << 2, CR0_TS = 1 << 3, CR0_ET = 1 << 4, CR0_NE = 1 << 5;
export const CR0_WP = 1 << 16, CR0_AM = 1 << 18, CR0_PG = 1 << 31;
/** CR4 bits. */
export const CR4_PSE = 1 << 4, CR4_PGE = 1 << 7, CR4_OSFXSR = 1 << 9, CR4_OSXMMEXCPT = 1 << 10;
