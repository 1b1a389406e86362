// Stack windows: most of the memory accesses of 32-bit code are to the stack at ESP plus a
// constant (pushes, pops, calls, returns, locals and arguments addressed from ESP): 62% of
// those in bash's compiled regions. Each had its own TLB lookup and its own slow-path call,
// and each such call is an exception edge into the region's fault handler, where every local
// needs a phi: the largest share of what TurboFan spends on a region.
//
// Within a block, while ESP changes only by known constants, the stack accesses of a run of
// instructions all fall in one range from ESP at the run's start. One check before the run
// (the range lies in one page that the TLB maps for reading, and for writing if the run
// writes; ESP is 4-aligned) lets every access of the run go straight to memory. When the
// check fails (a page boundary inside the range, an entry not in the TLB, a page holding
// code), compiled code stops before the run's first instruction, and the engine goes on from
// there: it leaves the region as a memory access that cannot be made inline does, the window's
// kind in Cpu.jitLeftAt (compile.ts windowCheck, WINDOW_LEFT), or, where it may not leave (XMM
// lanes not written back, hooks), throws WINDOW_MISS, or WINDOW_SHAPE_MISS when ESP's value
// itself rules the window out, as a fault there would. A region that keeps stopping so is
// compiled again without windows (region.ts, sooner for misses of the value's shape).
//
// (Leaving by a branch to the region's exit first made TurboFan 30% slower on bash's regions
// than without windows, when every exit also left the region's dispatch loop and V8 made a
// LoopExitValue node of every live value at each; since the loop holds the exit (d8b20d8), a
// branch out costs TurboFan less than a throw.)

import { type Insn, Op, K_MEM, K_R32, K_R16, K_R8, K_IMM } from "../hw/isa.js";
import { ESP, FS, GS } from "../hw/state.js";

/** What a region throws when a stack window's check fails where it may not leave (compile.ts
 *  windowCheck). */
export const WINDOW_MISS: object = Object.freeze({ windowMiss: true });
/** The same for a window on another base register (baseWindows). */
export const BASE_MISS: object = Object.freeze({ baseMiss: true });
/** What they throw instead when the register's value itself rules the window out (misaligned,
 *  or its range crossing a page boundary), which the TLB filling in will not change: a global
 *  block addressed from the GOT pointer across a page boundary, or a stack frame across one at
 *  the depth a loop calls it from, fails at every pass (region.ts SHAPE_MISSES). */
export const WINDOW_SHAPE_MISS: object = Object.freeze({ windowMiss: true, shape: true });
export const BASE_SHAPE_MISS: object = Object.freeze({ baseMiss: true, shape: true });

/** The windows a region is compiled with: none, ESP's only, or ESP's and a base register's
 *  (region.ts takes them away from a region whose checks keep failing). */
export const WINDOWS_NONE = 0, WINDOWS_STACK = 1, WINDOWS_ALL = 2;

/** A run of a block's instructions whose covered accesses use one checked page. */
export interface StackWindow {
  /** Index of its first and one past its last instruction in the block. */
  start: number;
  end: number;
  /** The register its accesses are addressed from: ESP, or a base register (baseWindows). */
  base: number;
  /** Byte range of its accesses relative to the register before instruction `start`. */
  lo: number;
  hi: number;
  /** The alignment its accesses need of the register (3: 4-byte, 1: 2-byte, 0: none). */
  align: number;
  reads: boolean;
  writes: boolean;
}

/** The local holding a window's TLB entry: ESP's windows and a base register's may overlap. */
export function windowKey(w: StackWindow): string {
  return w.base === ESP ? "sk" : "bk";
}

export interface StackPlan {
  windows: StackWindow[];
  /** Per instruction: the key (windowKey) all its memory accesses go through, or null. */
  covered: (string | null)[];
}

/** Fewest covered instructions that make a window worth its check. */
const MIN_COVERED = 2;
/** Largest range one window may span (bytes). */
const MAX_SPAN = 256;

interface Access {
  off: number;
  size: number;
  write: boolean;
}

/** Reads only, for the ops whose memory operand is only read. */
const READ_ONLY = new Set<number>([Op.CMP, Op.TEST, Op.MOVZX, Op.MOVSX, Op.IMUL, Op.MUL, Op.DIV, Op.IDIV, Op.JMP, Op.CMOV, Op.BSF, Op.BSR]);
/** Ops whose memory operand is written and not read. */
const WRITE_ONLY = new Set<number>([Op.MOV, Op.SETCC]);
/** Ops whose memory accesses are not just their operand (a bit string's offset register
 *  reaches beyond it), or are made by other code (x87 runs, SIMD): never covered. */
const OWN_ACCESS = new Set<number>([Op.BT, Op.BTS, Op.BTR, Op.BTC, Op.FPU, Op.SIMD, Op.CMPXCHG8B, Op.LDS, Op.LES, Op.LFS, Op.LGS, Op.XLAT]);
/** Ops that move ESP in ways not modelled here (the window ends before them). */
const STACK_OPS = new Set<number>([Op.PUSHA, Op.POPA, Op.PUSHF, Op.POPF, Op.ENTER, Op.LEAVE, Op.INT, Op.INT3, Op.INTO, Op.INT1, Op.IRET, Op.RETF, Op.CALLF, Op.JMPF, Op.LSS, Op.BOUND]);

/** The stack accesses of `x` relative to ESP before it and how it moves ESP, or null when it
 *  moves ESP otherwise (or may: the window must end before it). `accesses` is null when it
 *  touches memory not through ESP plus a constant (then it is not covered). */
function effect(x: Insn): { accesses: Access[] | null; delta: number } | null {
  if (STACK_OPS.has(x.op)) return null;
  const d = x.osz;
  switch (x.op) {
    case Op.PUSH: {
      const own = x.k0 === K_MEM ? memAccess(x, false) : x.k0 === K_R32 || x.k0 === K_IMM || x.k0 === K_R16 ? [] : null;
      return { accesses: own === null ? null : [...own, { off: -d, size: d, write: true }], delta: -d };
    }
    case Op.POP:
      if (x.k0 === K_R32 && x.r0 === ESP) return null;
      if (x.k0 !== K_R32 && x.k0 !== K_R16) return { accesses: null, delta: d };
      return { accesses: [{ off: 0, size: d, write: false }], delta: d };
    case Op.CALL: {
      if (x.osz !== 4) return null;
      const own = x.k0 === K_MEM ? memAccess(x, false) : [];
      return { accesses: own === null ? null : [...own, { off: -4, size: 4, write: true }], delta: -4 };
    }
    case Op.RET:
      return x.osz === 4 ? { accesses: [{ off: 0, size: 4, write: false }], delta: 4 + (x.k0 === K_IMM ? x.imm & 0xffff : 0) } : null;
  }
  // ESP as a destination: add/sub of a constant and lea from ESP are followed, others end it
  if ((x.k0 === K_R32 && x.r0 === ESP) || (x.k0 === K_R16 && x.r0 === ESP << 1)) {
    if (x.op === Op.CMP || x.op === Op.TEST) return { accesses: memAccess(x, false), delta: 0 };
    if (x.k0 === K_R32 && (x.op === Op.ADD || x.op === Op.SUB) && x.k1 === K_IMM) return { accesses: [], delta: x.op === Op.ADD ? x.imm | 0 : -(x.imm | 0) };
    if (x.k0 === K_R32 && x.op === Op.LEA && x.base === ESP && x.index < 0 && x.asz === 4) return { accesses: [], delta: x.disp };
    return null;
  }
  // ESP as the other operand of an exchange
  if ((x.op === Op.XCHG || x.op === Op.XADD || x.op === Op.CMPXCHG) && x.k1 === K_R32 && x.r1 === ESP) return null;
  const hasMem = x.k0 === K_MEM || x.k1 === K_MEM || x.k2 === K_MEM;
  if (!hasMem) return { accesses: [], delta: 0 };
  if (OWN_ACCESS.has(x.op)) return { accesses: null, delta: 0 };
  if (x.op === Op.LEA || x.op === Op.NOP || x.op === Op.PREFETCH) return { accesses: [], delta: 0 };
  const write = x.k0 === K_MEM && !READ_ONLY.has(x.op);
  const read = !(x.k0 === K_MEM && WRITE_ONLY.has(x.op));
  const own = memAccess(x, write);
  return { accesses: own === null ? null : read && write ? [...own, ...own.map((a) => ({ ...a, write: false }))] : own, delta: 0 };
}

/** The memory operand of `x` as an access from ESP, or null when it is not one. */
function memAccess(x: Insn, write: boolean): Access[] | null {
  if (x.base !== ESP || x.index >= 0 || x.asz !== 4 || x.seg === FS || x.seg === GS) return null;
  const size = x.msz;
  if (size !== 1 && size !== 2 && size !== 4) return null;
  return [{ off: x.disp | 0, size, write }];
}

/** Plans the stack windows of a block's instructions, and those on a base register if `base`. */
export function planStack(insns: readonly Insn[], base = true): StackPlan {
  const covered = new Array<string | null>(insns.length).fill(null);
  const windows: StackWindow[] = [];
  let open: { start: number; delta: number; acc: number[]; lo: number; hi: number; reads: boolean; writes: boolean } | null = null;
  const close = (end: number): void => {
    if (open !== null && open.acc.length >= MIN_COVERED) {
      const w: StackWindow = { start: open.start, end, base: ESP, lo: open.lo, hi: open.hi, align: 3, reads: open.reads, writes: open.writes };
      windows.push(w);
      for (const k of open.acc) covered[k] = windowKey(w);
    }
    open = null;
  };
  for (let k = 0; k < insns.length; k++) {
    const x = insns[k];
    const fx = effect(x);
    if (fx === null) {
      close(k);
      continue;
    }
    const acc = fx.accesses;
    // an access aligned for its size from ESP at the window's start (checked 4-aligned) can
    // be covered
    const at = open === null ? 0 : open.delta;
    if (acc !== null && acc.length > 0 && acc.every((a) => ((at + a.off) & (a.size === 4 ? 3 : a.size === 2 ? 1 : 0)) === 0)) {
      if (open === null) open = { start: k, delta: 0, acc: [], lo: Infinity, hi: -Infinity, reads: false, writes: false };
      const lo = Math.min(open.lo, ...acc.map((a) => open!.delta + a.off));
      const hi = Math.max(open.hi, ...acc.map((a) => open!.delta + a.off + a.size));
      if (hi - lo <= MAX_SPAN) {
        open.lo = lo;
        open.hi = hi;
        open.acc.push(k);
        open.reads ||= acc.some((a) => !a.write);
        open.writes ||= acc.some((a) => a.write);
      } else if (open.acc.length > 0) {
        // too wide: a new window from here
        close(k);
        k--;
        continue;
      }
    }
    if (open !== null) open.delta += fx.delta;
  }
  close(insns.length);
  if (base) baseWindows(insns, windows, covered);
  return { windows, covered };
}

// ---- windows on a base register ----
//
// The same for accesses from another register that the run does not change: a structure's
// fields through its pointer, or the locals of a frame addressed from EBP (sha256's rounds keep
// their state there: 17 accesses a round within 28 bytes of EBP). The run ends before any
// instruction that may write the register otherwise than as an explicit operand of the few
// operations below, and after one that writes it so.

/** Operations whose only register writes are their explicit register operands (operand 0; both
 *  for an exchange) and, for pushes and pops, ESP. */
const EXPLICIT_WRITES = new Set<number>([
  Op.MOV, Op.MOVZX, Op.MOVSX, Op.LEA, Op.ADD, Op.SUB, Op.AND, Op.OR, Op.XOR, Op.ADC, Op.SBB, Op.INC, Op.DEC,
  Op.NEG, Op.NOT, Op.SHL, Op.SHR, Op.SAR, Op.ROL, Op.ROR, Op.CMOV, Op.SETCC, Op.BSWAP, Op.BSF, Op.BSR, Op.CMP,
  Op.TEST, Op.BT, Op.NOP, Op.PREFETCH, Op.PUSH, Op.POP, Op.XCHG,
]);

/** The general register operand kind k, register r names (-1 for none). */
function gpr(k: number, r: number): number {
  return k === K_R32 ? r : k === K_R16 ? r >> 1 : k === K_R8 ? r >> 2 : -1;
}

/** Whether x may write general register `reg`; null when that is not known (any operation
 *  outside EXPLICIT_WRITES, or one with a REP prefix). */
function writesReg(x: Insn, reg: number): boolean | null {
  if (!EXPLICIT_WRITES.has(x.op) || x.rep !== 0) return null;
  if (x.op === Op.CMP || x.op === Op.TEST || x.op === Op.BT || x.op === Op.NOP || x.op === Op.PREFETCH || x.op === Op.PUSH) return reg === ESP;
  if (x.op === Op.POP && reg === ESP) return true;
  return gpr(x.k0, x.r0) === reg || (x.op === Op.XCHG && gpr(x.k1, x.r1) === reg);
}

/** The one access of x to memory if it is [reg + displacement] and x makes no other (an
 *  operation reading and writing its operand counts it once, as both), else null. */
function baseAccess(x: Insn, reg: number): { off: number; size: number; read: boolean; write: boolean } | null {
  if (x.base !== reg || x.index >= 0 || x.asz !== 4 || x.seg === FS || x.seg === GS) return null;
  if (x.op === Op.PUSH || x.op === Op.POP || x.op === Op.LEA || x.op === Op.NOP || x.op === Op.PREFETCH || OWN_ACCESS.has(x.op)) return null;
  if (!EXPLICIT_WRITES.has(x.op) || x.rep !== 0 || (x.k0 !== K_MEM && x.k1 !== K_MEM)) return null;
  const size = x.msz;
  if (size !== 1 && size !== 2 && size !== 4) return null;
  // (an exchange reads and writes its memory operand, whichever operand names it)
  const write = x.op === Op.XCHG || (x.k0 === K_MEM && !READ_ONLY.has(x.op));
  const read = x.op === Op.XCHG || !(x.k0 === K_MEM && WRITE_ONLY.has(x.op));
  return { off: x.disp | 0, size, read, write };
}

/** Adds the windows of the base register that most accesses not already covered are made
 *  from (ESP's windows are planned first). */
function baseWindows(insns: readonly Insn[], windows: StackWindow[], covered: (string | null)[]): void {
  const count = new Int32Array(8);
  for (let k = 0; k < insns.length; k++) {
    const x = insns[k];
    if (covered[k] === null && x.base >= 0 && x.base < 8 && x.base !== ESP && baseAccess(x, x.base) !== null) count[x.base]++;
  }
  let reg = -1;
  for (let r = 0; r < 8; r++) if (count[r] >= MIN_COVERED && (reg < 0 || count[r] > count[reg])) reg = r;
  if (reg < 0) return;
  let open: { start: number; acc: number[]; lo: number; hi: number; align: number; reads: boolean; writes: boolean } | null = null;
  const close = (end: number): void => {
    if (open !== null && open.acc.length >= MIN_COVERED) {
      const w: StackWindow = { start: open.start, end, base: reg, lo: open.lo, hi: open.hi, align: open.align, reads: open.reads, writes: open.writes };
      windows.push(w);
      for (const k of open.acc) covered[k] = windowKey(w);
    }
    open = null;
  };
  for (let k = 0; k < insns.length; k++) {
    const x = insns[k];
    const writes = writesReg(x, reg);
    if (writes === null) {
      close(k);
      continue;
    }
    const a = covered[k] === null ? baseAccess(x, reg) : null;
    if (a !== null) {
      const lo = Math.min(open?.lo ?? Infinity, a.off), hi = Math.max(open?.hi ?? -Infinity, a.off + a.size);
      const align = a.size === 4 ? 3 : a.size === 2 ? 1 : 0;
      if ((a.off & align) !== 0) {
        // (an access the register's alignment cannot make aligned: not covered)
      } else if (open === null || hi - lo <= MAX_SPAN) {
        open ??= { start: k, acc: [], lo, hi, align: 0, reads: false, writes: false };
        open.lo = lo;
        open.hi = hi;
        open.align |= align;
        open.acc.push(k);
        open.reads ||= a.read;
        open.writes ||= a.write;
      } else {
        // too wide: a new window from here
        close(k);
        k--;
        continue;
      }
    }
    // (an instruction writing the register is the window's last: its access used the old value)
    if (writes) close(k + 1);
  }
  close(insns.length);
}
