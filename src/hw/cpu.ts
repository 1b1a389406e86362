// The CPU: register file, segment state, control registers, and virtual memory access through the
// TLB. Memory accessors are small methods with an inline fast path (one TLB load, one xor, one
// typed-array access) and an out-of-line slow path in mmu.ts; V8 inlines them into the
// interpreter's handlers and the JIT's generated code.
//
// TLB entries hold (physical page XOR virtual page) << 12 with the low 12 bits clear; any set low
// bit marks an entry invalid. So `(e & 0xfff) === 0` tests validity and `e ^ lin` is the physical
// address. The write TLB only holds pages that are writable at the current CPL, already dirty, and
// hold no translated code, so every write that needs attention takes the slow path.

import { PhysMemory, PAGE_SHIFT } from "./memory.js";
import { REG_SLOTS, FLAGS, FLAGS_FIXED, ESP, MXCSR } from "./state.js";
import { readSlow, writeSlow, translate, flushTlb, physRead, physWrite } from "./mmu.js";
import { DEFAULT_MODEL, type CpuidModel } from "./cpuid.js";
import { FpuState } from "./fpu/state.js";
import { SseState, MXCSR_DEFAULT } from "./simd/state.js";
import { saveImage, loadImage } from "./fpu/image.js";
import type { CpuHooks } from "./hooks.js";
import { settleOnce } from "./v8fields.js";

export const TLB_ENTRIES = 1 << 20;
/** TLB entries are stored XORed with TLB_KEY, so that a zero-filled array (what a new Int32Array
 *  is, without touching its 8 MB) holds only invalid entries. Read back (`tlbR[vpn] ^ TLB_KEY`),
 *  an entry is valid when its low 12 bits are zero: it is then physical ^ linear for the page.
 *  TLB_INVALID is the stored form of an invalid entry. */
export const TLB_KEY = 0xfff;
export const TLB_INVALID = 0;
/** [0]: a count, process-wide, that changes whenever a read entry of any TLB is dropped or
 *  replaced by another (a flush, invlpg, a refill after the page tables changed), and never goes
 *  back (snapshots do not hold it). Compiled code checks that the pages it was decoded from are
 *  still mapped as then only when it has changed since its last check (jit/compile.ts). */
export const TLB_EPOCH = new Int32Array(1);
/** TLB array pairs of released CPUs (all entries invalid), kept for the next CPUs of this
 *  thread (module state is per thread, so workers keep their own). */
const spareTlbs: [Int32Array, Int32Array][] = [];
const MAX_SPARE_TLBS = 2;
/** Filled TLB slots are remembered so a flush clears only those; past this many, clear all. */
export const TLB_LIST_MAX = 1 << 16;

/** Why the CPU stopped executing guest code without a fault (`Cpu.exit`). */
export const EXIT_NONE = 0;
/** `int n` (n in exitArg) intercepted by the host, EIP after the instruction. */
export const EXIT_INT = 1;
/** `hlt`. */
export const EXIT_HLT = 2;
/** `sysenter` (fast system call; Linux's vDSO entry). */
export const EXIT_SYSENTER = 3;
/** An I/O port access the host must handle. */
export const EXIT_IO = 4;
/** An embedder's hook ended the run or moved EIP (hw/hooks.ts); the engine handles it. */
export const EXIT_HOOK = 5;

/** Handles physical accesses that fall outside RAM (memory-mapped devices). */
export interface MmioHandler {
  read(phys: number, size: number): number;
  write(phys: number, size: number, value: number): void;
}

/** Handles I/O port instructions (in/out/ins/outs). */
export interface PortHandler {
  portRead(port: number, size: number): number;
  portWrite(port: number, size: number, value: number): void;
}

/** Rate of the time-stamp counter (it counts host nanoseconds). */
export const TSC_HZ = 1e9;

export class Cpu {
  readonly mem: PhysMemory;
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  /** The same bytes as a DataView (compiled code's unaligned loads). */
  readonly dv: DataView;

  /** General registers, EIP, EFLAGS and lazy-flag state (indices in state.ts). */
  readonly r = new Int32Array(REG_SLOTS);
  /** Byte view of `r` (AL = 0, AH = 1, CL = 4, ...). */
  readonly r8 = new Uint8Array(this.r.buffer);
  /** Word view of `r` (AX = 0, CX = 2, ...). */
  readonly r16 = new Uint16Array(this.r.buffer);

  /** Segment selectors, bases, limits and descriptor attributes (ES, CS, SS, DS, FS, GS). Limits
   *  start at 4 GiB (-1), a flat model, until a segment is loaded. */
  readonly sreg = new Int32Array(6);
  readonly sbase = new Int32Array(6);
  readonly slimit = new Int32Array(6).fill(-1);
  readonly sattr = new Int32Array(6);

  cr0 = 0;
  cr2 = 0;
  cr3 = 0;
  cr4 = 0;
  /** MSR_MISC_FEATURES_ENABLES bit 0 (CPUID faulting): CPUID outside ring 0 raises #GP. */
  cpuidFaulting = false;
  /** Current privilege level (0 or 3). */
  cpl = 0;
  gdtBase = 0;
  gdtLimit = 0;
  idtBase = 0;
  idtLimit = 0;
  ldtSel = 0;
  ldtBase = 0;
  ldtLimit = 0;
  trSel = 0;
  /** Debug registers DR0-DR7 (stored; breakpoints are not implemented). */
  readonly dr = new Int32Array(8);
  /** Model-specific registers that exist, as [low, high] pairs. */
  readonly msr = new Map<number, [number, number]>([
    [0x10, [0, 0]], // IA32_TIME_STAMP_COUNTER (reads are not live)
    [0x174, [0, 0]], // IA32_SYSENTER_CS
    [0x175, [0, 0]], // IA32_SYSENTER_ESP
    [0x176, [0, 0]], // IA32_SYSENTER_EIP
  ]);
  /** What CPUID reports. */
  model: CpuidModel = DEFAULT_MODEL;

  /** Read (and execute) and write TLBs, indexed by virtual page number. */
  readonly tlbR: Int32Array;
  readonly tlbW: Int32Array;
  readonly tlbList = new Int32Array(TLB_LIST_MAX);
  tlbCount = 0;

  /** Nonzero for physical pages that hold translated code (see CodeWrite in fault.ts). */
  readonly codePages: Uint8Array;

  /** Why execution stopped (EXIT_*), and its argument (interrupt vector, port). */
  exit = EXIT_NONE;
  exitArg = 0;

  /** Guest instructions retired, for budgets and statistics (a double: it outgrows int32). */
  icount = 0;
  /** Elements REP string instructions have processed (a REP instruction retires as one
   *  instruction whatever its count): a scheduler's slice counts them as work, so that a
   *  program of long REP SCAS or CMPS runs ends its slices (hw/interp/string.ts). */
  repWork = 0;
  /** Budget left in compiled code when it threw (the engine's accounting). */
  jitLeft = 0;
  /** The engine's token for the compiled code that returned or threw last (regions call one
   *  another, so it is not always the one the engine entered). */
  jitFrom: object | null = null;
  /** Instructions compiled code counted but did not run when it last left: non-zero when it
   *  left at an instruction of its own, a memory access it could not make inline, which the
   *  engine runs (jit/emit.ts Emitter.sideExit). Set at every exit of compiled code. */
  jitLeftAt = 0;
  /** Set by a memory access at an address not aligned to its size (rd16 and the like, mmu.ts
   *  readSlow, writeSlow); the engine notes the instructions that set it (Block.misalignedAt). */
  misaligned = false;
  /** Protected mode with 32-bit code and zero CS/DS/ES/SS bases: what compiled code assumes. */
  flat = false;

  /** Time-stamp counter source: nanoseconds since the CPU was created (a TSC_HZ TSC). */
  private readonly tscStart = process.hrtime.bigint();
  mmio: MmioHandler | null = null;
  /** Resolves a user-mode page fault in place (demand paging, copy-on-write) before it is
   *  raised: gets the linear address and the error code, returns true if the page tables now
   *  allow the access (the walk is retried), false to raise #PF. Set by the host. */
  onPageFault: ((lin: number, error: number) => boolean) | null = null;
  /** x87 state (fpu/state.ts), created by the FPU unit on the first x87 instruction. */
  fpu: FpuState | null = null;
  /** XMM registers and the SIMD unit's scratch slots (MXCSR is r[MXCSR]). */
  readonly sse = new SseState();
  /** x87/SSE state save and restore (context switches, signal handlers): fpu/image.ts. */
  fpuSave: ((into: Uint8Array | null) => Uint8Array) | null = (into) => saveImage(this, into);
  fpuLoad: ((from: Uint8Array | null) => void) | null = (from) => loadImage(this, from);
  ports: PortHandler | null = null;
  /** An embedder's hooks (hw/hooks.ts), or null: no code path looks further then. */
  hooks: CpuHooks | null = null;

  constructor(mem: PhysMemory) {
    // The TLB arrays in the machine's memory, where compiled WebAssembly reads them; arrays of
    // its own for a second CPU on the same memory (tests).
    const own = mem.takeTlb();
    this.tlbInMemory = own !== null;
    const spare = own === null ? spareTlbs.pop() : undefined;
    this.tlbR = own?.[0] ?? spare?.[0] ?? new Int32Array(TLB_ENTRIES);
    this.tlbW = own?.[1] ?? spare?.[1] ?? new Int32Array(TLB_ENTRIES);
    this.mem = mem;
    this.u8 = mem.u8;
    this.u16 = mem.u16;
    this.i32 = mem.i32;
    this.f64 = mem.f64;
    this.dv = mem.dv;
    this.codePages = new Uint8Array(mem.pages);
    this.r[FLAGS] = FLAGS_FIXED;
    this.r[MXCSR] = MXCSR_DEFAULT;
    // (v8fields.ts: the count outgrows a small integer; the engine leaves regions here; the
    // x87 state is made on the first x87 instruction, which in many programs comes late)
    settleOnce(this, { icount: [1, 2 ** 40 + 0.5], repWork: [1, 2 ** 40 + 0.5], exit: [1], exitArg: [1], jitLeft: [1], jitLeftAt: [1], jitFrom: [{}, [], null], fpu: [new FpuState()] });
  }

  /** The CPU will not run again: its TLB arrays, every entry made invalid, go to the next CPU
   *  this thread makes (filling 8 MB of fresh arrays costs a short-lived machine, a program run
   *  by an embedder or a pool's task, more than its guest code). */
  release(): void {
    flushTlb(this);
    if (this.tlbInMemory) this.mem.giveBackTlb();
    else if (spareTlbs.length < MAX_SPARE_TLBS) spareTlbs.push([this.tlbR, this.tlbW]);
  }

  /** Whether tlbR and tlbW are the arrays inside the memory (PhysMemory.takeTlb). */
  readonly tlbInMemory: boolean;

  rd8(lin: number): number {
    const e = this.tlbR[lin >>> PAGE_SHIFT] ^ TLB_KEY;
    if ((e & 0xfff) === 0) return this.u8[e ^ lin];
    return readSlow(this, lin, 1);
  }

  // An unaligned access inside a page the TLB maps is served here too, from its entry: it is
  // compiled code's slow path (its inline path takes aligned ones), and readSlow/writeSlow walk
  // the TLB again through translate(). perf/programs/strings made 6.9M such calls (memcpy's and
  // vfprintf's word copies at odd addresses), one per 200 guest instructions. A page a hook
  // watches, a code page for writes and MMIO have no TLB entry, so they still go the slow way.

  rd16(lin: number): number {
    const e = this.tlbR[lin >>> PAGE_SHIFT] ^ TLB_KEY;
    if ((e & 0xfff) === 0) {
      if ((lin & 1) === 0) return this.u16[(e ^ lin) >>> 1];
      if ((lin & 0xfff) !== 0xfff) {
        this.misaligned = true;
        return physRead(this, e ^ lin, 2);
      }
    }
    return readSlow(this, lin, 2);
  }

  rd32(lin: number): number {
    const e = this.tlbR[lin >>> PAGE_SHIFT] ^ TLB_KEY;
    if ((e & 0xfff) === 0) {
      if ((lin & 3) === 0) return this.i32[(e ^ lin) >>> 2];
      if ((lin & 0xfff) <= 0xffc) {
        this.misaligned = true;
        return physRead(this, e ^ lin, 4);
      }
    }
    return readSlow(this, lin, 4);
  }

  wr8(lin: number, v: number): void {
    const e = this.tlbW[lin >>> PAGE_SHIFT] ^ TLB_KEY;
    if ((e & 0xfff) === 0) this.u8[e ^ lin] = v;
    else writeSlow(this, lin, 1, v);
  }

  wr16(lin: number, v: number): void {
    const e = this.tlbW[lin >>> PAGE_SHIFT] ^ TLB_KEY;
    if ((e & 0xfff) === 0) {
      if ((lin & 1) === 0) {
        this.u16[(e ^ lin) >>> 1] = v;
        return;
      }
      if ((lin & 0xfff) !== 0xfff) {
        this.misaligned = true;
        physWrite(this, e ^ lin, 2, v);
        return;
      }
    }
    writeSlow(this, lin, 2, v);
  }

  wr32(lin: number, v: number): void {
    const e = this.tlbW[lin >>> PAGE_SHIFT] ^ TLB_KEY;
    if ((e & 0xfff) === 0) {
      if ((lin & 3) === 0) {
        this.i32[(e ^ lin) >>> 2] = v;
        return;
      }
      if ((lin & 0xfff) <= 0xffc) {
        this.misaligned = true;
        physWrite(this, e ^ lin, 4, v);
        return;
      }
    }
    writeSlow(this, lin, 4, v);
  }

  /** Current time-stamp counter value (exact below 2^53, i.e. for 104 days). */
  tsc(): number {
    return Number(process.hrtime.bigint() - this.tscStart);
  }

  /** Reads `size` (1, 2, 4) bytes, zero-extended for 1 and 2. */
  rd(lin: number, size: number): number {
    return size === 4 ? this.rd32(lin) : size === 1 ? this.rd8(lin) : this.rd16(lin);
  }

  wr(lin: number, size: number, v: number): void {
    if (size === 4) this.wr32(lin, v);
    else if (size === 1) this.wr8(lin, v);
    else this.wr16(lin, v);
  }

  /** Checks that `size` bytes at `lin` can be written (faulting now if not), so an instruction
   *  can change registers before its final write without losing precision. */
  probeWrite(lin: number, size: number): void {
    const e = this.tlbW[lin >>> PAGE_SHIFT] ^ TLB_KEY;
    if ((e & 0xfff) === 0 && (lin & 0xfff) <= 0x1000 - size) return;
    translate(this, lin, true);
    // The second page faults with CR2 at its first byte, as the CPU reports a split access.
    if ((lin & 0xfff) > 0x1000 - size) translate(this, (lin + size - 1) & ~0xfff, true);
  }

  /** Physical address of an instruction byte (instruction fetch). */
  fetchPhys(lin: number): number {
    return translate(this, lin, false);
  }

  push32(v: number): void {
    const sp = (this.r[ESP] - 4) | 0;
    this.wr32(sp, v);
    this.r[ESP] = sp;
  }

  pop32(): number {
    const sp = this.r[ESP];
    const v = this.rd32(sp);
    this.r[ESP] = (sp + 4) | 0;
    return v;
  }

  /** Recomputes `flat` after segment registers or CR0 change: 32-bit code and stack (the D and
   *  B bits of CS and SS) and zero bases. */
  updateFlat(): void {
    const sb = this.sbase, sa = this.sattr;
    // (a stack segment the host set up without a descriptor counts as 32-bit, as in sp())
    const ss32 = (sa[2] & (1 << 14)) !== 0 || (sa[2] & (1 << 4)) === 0;
    this.flat = (this.cr0 & 1) !== 0 && (sb[0] | sb[1] | sb[2] | sb[3]) === 0 && (sa[1] & (1 << 14)) !== 0 && ss32;
  }

  /** Drops every TLB entry (CR3 load, CPL change, page-table edits by the host). */
  flushTlb(): void {
    flushTlb(this);
  }

  /** Drops the TLB entries for one virtual page (invlpg). */
  invlpg(lin: number): void {
    TLB_EPOCH[0]++;
    this.tlbR[lin >>> PAGE_SHIFT] = TLB_INVALID;
    this.tlbW[lin >>> PAGE_SHIFT] = TLB_INVALID;
  }
}
