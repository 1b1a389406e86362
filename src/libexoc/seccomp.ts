// Secure computing (Linux's seccomp, kernel/seccomp.c): a thread in strict mode may make only
// read, write, exit and sigreturn; one in filter mode runs each system call past the classic
// BPF programs it attached (and inherited), and the least permissive answer of any decides:
// allow, log and allow, fail with an errno, SIGSYS, or death. Filters are immutable once
// attached and shared: a thread attaches a new one in front of those it has, a child starts
// with its creator's, and exec keeps them. This module checks and runs the programs; the
// personality asks before each call (posix/linux.ts) and acts on the answer.

import { SysError } from "./errors.js";

export const SECCOMP_MODE_DISABLED = 0, SECCOMP_MODE_STRICT = 1, SECCOMP_MODE_FILTER = 2;

/** Filter results: the action in the high 16 bits (compared as a signed number: lower is less
 *  permissive), data in the low 16. */
export const SECCOMP_RET_KILL_PROCESS = 0x80000000 | 0, SECCOMP_RET_KILL_THREAD = 0, SECCOMP_RET_TRAP = 0x00030000;
export const SECCOMP_RET_ERRNO = 0x00050000, SECCOMP_RET_USER_NOTIF = 0x7fc00000, SECCOMP_RET_TRACE = 0x7ff00000;
export const SECCOMP_RET_LOG = 0x7ffc0000, SECCOMP_RET_ALLOW = 0x7fff0000;
export const SECCOMP_RET_ACTION_FULL = 0xffff0000 | 0, SECCOMP_RET_DATA = 0xffff;

/** The actions a filter may return (SECCOMP_GET_ACTION_AVAIL). */
export const SECCOMP_ACTIONS: readonly number[] = [
  SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP, SECCOMP_RET_ERRNO,
  SECCOMP_RET_USER_NOTIF, SECCOMP_RET_TRACE, SECCOMP_RET_LOG, SECCOMP_RET_ALLOW,
];

/** struct seccomp_data: nr, arch, instruction_pointer (u64), args[6] (u64 each). */
export const SECCOMP_DATA_SIZE = 64;
/** The architecture an i386 call reports (AUDIT_ARCH_I386). */
export const AUDIT_ARCH_I386 = 0x40000003;

/** Longest program (BPF_MAXINSNS), and the instructions all the filters a call runs may hold
 *  (MAX_INSNS_PER_PATH): counted as Linux translates them to eBPF (ebpfLength), each filter
 *  attached before the newest with 4 more. */
export const BPF_MAXINSNS = 4096;
export const MAX_INSNS_PER_PATH = 32768;
/** Scratch memory cells of a classic BPF program (BPF_MEMWORDS). */
const MEMWORDS = 16;

// Classic BPF instruction codes (linux/bpf_common.h, linux/filter.h).
const LD = 0x00, LDX = 0x01, ST = 0x02, STX = 0x03, ALU = 0x04, JMP = 0x05, RET = 0x06, MISC = 0x07;
const W = 0x00, H = 0x08, B = 0x10;
const IMM = 0x00, ABS = 0x20, IND = 0x40, MEM = 0x60, LEN = 0x80, MSH = 0xa0;
const ADD = 0x00, SUB = 0x10, MUL = 0x20, DIV = 0x30, OR = 0x40, AND = 0x50, LSH = 0x60, RSH = 0x70, NEG = 0x80, MOD = 0x90, XOR = 0xa0;
const JA = 0x00, JEQ = 0x10, JGT = 0x20, JGE = 0x30, JSET = 0x40;
const K = 0x00, X = 0x08;
const RET_A = 0x10, TAX = 0x00, TXA = 0x80;

/** Every code a classic BPF program may have (the socket filter's set, chk_code_allowed). */
const CLASSIC = new Set<number>([
  ...[ADD, SUB, MUL, DIV, MOD, AND, OR, XOR, LSH, RSH].flatMap((op) => [ALU | op | K, ALU | op | X]), ALU | NEG,
  LD | W | ABS, LD | H | ABS, LD | B | ABS, LD | W | LEN, LD | W | IND, LD | H | IND, LD | B | IND, LD | IMM, LD | MEM,
  LDX | W | LEN, LDX | B | MSH, LDX | IMM, LDX | MEM, ST, STX, MISC | TAX, MISC | TXA, RET | K, RET | RET_A,
  JMP | JA, ...[JEQ, JGT, JGE, JSET].flatMap((op) => [JMP | op | K, JMP | op | X]),
]);

/** The codes seccomp takes of those (seccomp_check_filter): no packet loads but its data's
 *  words and its length, no modulo. */
const SECCOMP_CODES = new Set<number>([
  ...[ADD, SUB, MUL, DIV, AND, OR, XOR, LSH, RSH].flatMap((op) => [ALU | op | K, ALU | op | X]), ALU | NEG,
  LD | W | ABS, LD | W | LEN, LDX | W | LEN, LD | IMM, LDX | IMM, LD | MEM, LDX | MEM, ST, STX, MISC | TAX, MISC | TXA,
  RET | K, RET | RET_A, JMP | JA, ...[JEQ, JGT, JGE, JSET].flatMap((op) => [JMP | op | K, JMP | op | X]),
]);

const isCondJump = (code: number): boolean => (code & 0x07) === JMP && (code & 0xf0) !== JA;

/** One attached filter: its program (code, jump offsets and constant per instruction), and the
 *  filters attached before it, which run too. */
export class SeccompFilter {
  /** Filters in the chain ending here (a thread's Seccomp_filters). */
  readonly depth: number;
  /** Instructions the chain counts against MAX_INSNS_PER_PATH. */
  readonly pathInsns: number;

  constructor(
    readonly code: Uint16Array,
    readonly jt: Uint8Array,
    readonly jf: Uint8Array,
    readonly k: Int32Array,
    readonly prev: SeccompFilter | null,
    /** SECCOMP_FILTER_FLAG_LOG: its actions other than ALLOW are logged. */
    readonly log: boolean,
  ) {
    this.depth = (prev?.depth ?? 0) + 1;
    this.pathInsns = ebpfLength(code, jt, jf, k) + (prev === null ? 0 : prev.pathInsns + 4);
  }

  /** Whether `f` is this filter or one attached before it. */
  hasAncestor(f: SeccompFilter | null): boolean {
    for (let w: SeccompFilter | null = this; w !== null; w = w.prev) if (w === f) return true;
    return f === null;
  }
}

/** A program as bytes of struct sock_filter (8 each: u16 code, u8 jt, u8 jf, u32 k), checked
 *  as Linux checks one for seccomp (bpf_check_classic, seccomp_check_filter): EINVAL for a code
 *  it does not take, a jump past the end, a constant divide by zero or shift of 32 or more, a
 *  load outside seccomp_data or not of a whole word, a scratch cell out of range or read on
 *  some path before it is written, or a last instruction that does not return. The length
 *  loads become loads of the constant 64. */
export function checkProgram(bytes: Uint8Array, prev: SeccompFilter | null, log: boolean): SeccompFilter {
  const n = bytes.length >>> 3;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const code = new Uint16Array(n), jt = new Uint8Array(n), jf = new Uint8Array(n), k = new Int32Array(n);
  for (let pc = 0; pc < n; pc++) {
    code[pc] = dv.getUint16(pc * 8, true);
    jt[pc] = bytes[pc * 8 + 2];
    jf[pc] = bytes[pc * 8 + 3];
    k[pc] = dv.getInt32(pc * 8 + 4, true);
  }
  const invalid = (why: string): never => {
    throw new SysError("EINVAL", `seccomp filter: ${why}`);
  };
  for (let pc = 0; pc < n; pc++) {
    const c = code[pc], kk = k[pc] >>> 0;
    if (!CLASSIC.has(c)) invalid(`unknown instruction 0x${c.toString(16)} at ${pc}`);
    if ((c === (ALU | DIV | K) || c === (ALU | MOD | K)) && kk === 0) invalid(`division by zero at ${pc}`);
    if ((c === (ALU | LSH | K) || c === (ALU | RSH | K)) && kk >= 32) invalid(`shift by ${kk} at ${pc}`);
    if ((c === (LD | MEM) || c === (LDX | MEM) || c === ST || c === STX) && kk >= MEMWORDS) invalid(`scratch cell ${kk} at ${pc}`);
    if (c === (JMP | JA) && kk >= n - pc - 1) invalid(`jump past the end at ${pc}`);
    if (isCondJump(c) && (pc + jt[pc] + 1 >= n || pc + jf[pc] + 1 >= n)) invalid(`jump past the end at ${pc}`);
  }
  if (n === 0 || (code[n - 1] !== (RET | K) && code[n - 1] !== (RET | RET_A))) invalid("the last instruction does not return");
  checkScratch(code, jt, jf, k, invalid);
  for (let pc = 0; pc < n; pc++) {
    const c = code[pc];
    if (!SECCOMP_CODES.has(c)) invalid(`instruction 0x${c.toString(16)} at ${pc} is not for seccomp`);
    if (c === (LD | W | ABS) && ((k[pc] >>> 0) >= SECCOMP_DATA_SIZE || (k[pc] & 3) !== 0)) invalid(`load at offset ${k[pc] >>> 0}`);
    if (c === (LD | W | LEN)) [code[pc], k[pc]] = [LD | IMM, SECCOMP_DATA_SIZE];
    if (c === (LDX | W | LEN)) [code[pc], k[pc]] = [LDX | IMM, SECCOMP_DATA_SIZE];
  }
  return new SeccompFilter(code, jt, jf, k, prev, log);
}

/** Every scratch cell read is written first on every way there (check_load_and_stores: a cell
 *  written before a jump counts at its targets only if written on every jump there). */
function checkScratch(code: Uint16Array, jt: Uint8Array, jf: Uint8Array, k: Int32Array, invalid: (why: string) => never): void {
  const n = code.length;
  const masks = new Uint16Array(n).fill(0xffff);
  let valid = 0;
  for (let pc = 0; pc < n; pc++) {
    valid &= masks[pc];
    const c = code[pc];
    if (c === ST || c === STX) valid |= 1 << k[pc];
    else if (c === (LD | MEM) || c === (LDX | MEM)) {
      if ((valid & (1 << k[pc])) === 0) invalid(`scratch cell ${k[pc]} read before it is written at ${pc}`);
    } else if (c === (JMP | JA)) {
      masks[pc + 1 + k[pc]] &= valid;
      valid = 0xffff;
    } else if (isCondJump(c)) {
      masks[pc + 1 + jt[pc]] &= valid;
      masks[pc + 1 + jf[pc]] &= valid;
      valid = 0xffff;
    }
  }
}

/** The length of the eBPF program Linux translates a checked one into (bpf_convert_filter), which
 *  is what it counts against MAX_INSNS_PER_PATH: three to start (A, X and the context), two for a
 *  return of a constant, five for a divide by X (its test for zero), and for a conditional jump
 *  one, or two when neither way falls through (or when only the way taken does, for JSET, which
 *  has no inverse), and one more for a negative constant. (Measured on Linux 6.18 by how many
 *  filters of each kind fit.) */
function ebpfLength(code: Uint16Array, jt: Uint8Array, jf: Uint8Array, k: Int32Array): number {
  let n = 3;
  for (let pc = 0; pc < code.length; pc++) {
    const c = code[pc];
    if (c === (RET | K)) n += 2;
    else if (c === (ALU | DIV | X)) n += 5;
    else if (isCondJump(c)) n += ((c & X) === 0 && k[pc] < 0 ? 1 : 0) + (jf[pc] === 0 || (jt[pc] === 0 && (c & 0xf0) !== JSET) ? 1 : 2);
    else n++;
  }
  return n;
}

const scratch = new Int32Array(MEMWORDS);

/** Runs one checked program over seccomp_data as 16 words; returns what it returns. */
export function runProgram(f: SeccompFilter, data: Int32Array): number {
  const { code, jt, jf, k } = f;
  let a = 0, x = 0;
  for (let pc = 0; ; pc++) {
    const c = code[pc], kk = k[pc];
    switch (c) {
      case LD | W | ABS: a = data[kk >>> 2]; break;
      case LD | IMM: a = kk; break;
      case LDX | IMM: x = kk; break;
      case LD | MEM: a = scratch[kk]; break;
      case LDX | MEM: x = scratch[kk]; break;
      case ST: scratch[kk] = a; break;
      case STX: scratch[kk] = x; break;
      case MISC | TAX: x = a; break;
      case MISC | TXA: a = x; break;
      case RET | K: return kk;
      case RET | RET_A: return a;
      case JMP | JA: pc += kk >>> 0; break;
      case ALU | NEG: a = -a | 0; break;
      default: {
        const cls = c & 0x07;
        const v = (c & X) !== 0 ? x : kk;
        if (cls === ALU) {
          switch (c & 0xf0) {
            case ADD: a = (a + v) | 0; break;
            case SUB: a = (a - v) | 0; break;
            case MUL: a = Math.imul(a, v); break;
            // (a divide by a zero X ends the program with 0, as Linux's translation of it does)
            case DIV: if (v === 0) return 0; a = ((a >>> 0) / (v >>> 0)) | 0; break;
            case OR: a |= v; break;
            case AND: a &= v; break;
            case XOR: a ^= v; break;
            case LSH: a <<= v; break;
            case RSH: a = (a >>> v) | 0; break;
          }
        } else {
          let taken: boolean;
          switch (c & 0xf0) {
            case JEQ: taken = a === v; break;
            case JGT: taken = a >>> 0 > v >>> 0; break;
            case JGE: taken = a >>> 0 >= v >>> 0; break;
            default: taken = (a & v) !== 0; break;
          }
          pc += taken ? jt[pc] : jf[pc];
        }
      }
    }
  }
}

/** The answer of a chain of filters for one call: every filter runs, and the least permissive
 *  action wins (the newest filter among equals), with its data and the filter that gave it. */
export interface SeccompVerdict {
  ret: number;
  filter: SeccompFilter | null;
}

export function runFilters(f: SeccompFilter, data: Int32Array): SeccompVerdict {
  let ret = SECCOMP_RET_ALLOW, match: SeccompFilter | null = null;
  for (let w: SeccompFilter | null = f; w !== null; w = w.prev) {
    const r = runProgram(w, data);
    if ((r & SECCOMP_RET_ACTION_FULL) < (ret & SECCOMP_RET_ACTION_FULL)) {
      ret = r;
      match = w;
    }
  }
  return { ret, filter: match };
}

/** System calls strict mode allows on i386: read, write, exit, sigreturn (not rt_sigreturn). */
export const STRICT_CALLS: ReadonlySet<number> = new Set([3, 4, 1, 119]);
