// The exokernel: owns guest RAM, the CPU and the execution engine, and multiplexes them between
// environments through capabilities. It provides mechanism only: frames, page mappings (shared
// and copy-on-write), segment descriptors, running an environment until it exits, and making
// environments wait and wake (wait.ts, clock.ts) under a pluggable scheduling policy
// (sched.ts; the loop that drives it is runloop.ts). Everything a POSIX process is (files,
// signals, memory layout) is library policy in src/libexoc.

import { PhysMemory, PAGE_SHIFT } from "../hw/memory.js";
import { Cpu, EXIT_INT, EXIT_HLT, EXIT_SYSENTER, TSC_HZ } from "../hw/cpu.js";
import { cpuid } from "../hw/cpuid.js";
import { CR0_PE, CR0_PG, CR0_WP, CR0_ET, CR0_NE, CR4_PSE, CR4_OSFXSR, CR4_OSXMMEXCPT, MXCSR, CS, SS, DS, ES, FS, GS, FLAGS, FLAGS_FIXED, FOP, IF, TF, FLAGS_USER_WRITABLE } from "../hw/state.js";
import { imageToFxsave, fxsaveToImage } from "../hw/fpu/image.js";
import { MXCSR_MASK } from "../hw/simd/state.js";
import { getFlags } from "../hw/flags.js";
import type { CpuContext } from "../hw/context.js";
import { PF_PRESENT } from "../hw/fault.js";
import { loadSeg, encodeDescriptor, DESC_P, DESC_S, DESC_CODE, DESC_RW, DESC_ACCESSED, DESC_DB, DESC_G } from "../hw/segment.js";
import { Engine, RUN_BUDGET, RUN_FAULT, type EngineOptions } from "../jit/engine.js";
import { DB } from "../hw/fault.js";
import { FrameAllocator, FramePool } from "./frames.js";
import { AddressSpace, GDT_VA } from "./aspace.js";
import { Environment, DR6_BS, X_BUDGET, X_INT, X_SYSENTER, X_FAULT, X_HALT, WAKE_EVENT, WAKE_INTERRUPT, WAKE_TIMEOUT, type Exit } from "./env.js";
import { CapSpace, CAP_ENV, CAP_FRAMES, CAP_ASPACE, CAP_CONSOLE, R_WRITE, R_ALL, R_RUN, R_CONTROL, R_MAP, R_READ, type CapHandle } from "./caps.js";
import { ExoError } from "./errors.js";
import { Clock, ClockService } from "./clock.js";
import type { HostTime } from "../hw/devices/hosttime.js";
import { BlockService } from "./blockcap.js";
import type { Console } from "./console.js";
import { FairShare, RoundRobin, type SchedPolicy, type EnqueueReason } from "./sched.js";
import { EndpointService } from "./endpoint.js";
import type { WaitQueue } from "./wait.js";
import { later } from "./later.js";
import { logger, trace } from "../log.js";
import { settleOnce } from "../hw/v8fields.js";

/** GDT layout, as Linux i386 has it (so selectors match what programs expect). */
/** runEnv's own result for an instruction single-stepped to its end (the debug trap). */
const RUN_STEPPED = -1;
/** CR4.TSD: RDTSC faults outside ring 0. */
const CR4_TSD = 1 << 2;

export const GDT_ENTRIES = 32;
export const GDT_TLS_FIRST = 6;
export const GDT_TLS_COUNT = 3;
export const GDT_USER_CS = 14;
export const GDT_USER_DS = 15;
export const USER_CS = (GDT_USER_CS << 3) | 3; // 0x73
export const USER_DS = (GDT_USER_DS << 3) | 3; // 0x7b

/** Flat 4 GiB ring-3 segment attributes as the CPU caches them. */
const USER_CODE_ATTR = DESC_P | DESC_S | DESC_CODE | DESC_RW | DESC_ACCESSED | (3 << 5) | DESC_DB | DESC_G;
const USER_DATA_ATTR = DESC_P | DESC_S | DESC_RW | DESC_ACCESSED | (3 << 5) | DESC_DB | DESC_G;

export interface KernelOptions {
  /** Guest RAM in bytes (multiple of 4 KiB). */
  memory: number;
  engine?: EngineOptions;
  /** Host time behind the clock devices (tests inject a manual one). */
  time?: HostTime;
}

/** A user-settable segment descriptor (a TLS entry). */
export interface UserDescriptor {
  base: number;
  /** Limit in bytes, or in pages when `pages` is set. */
  limit: number;
  pages: boolean;
  /** 32-bit segment. */
  big: boolean;
  /** Code segment (else data). */
  code: boolean;
  /** Data: read-only; code: execute-only. */
  readOnly: boolean;
  /** Data: expand-down; code: conforming. */
  contents: boolean;
  present: boolean;
  /** The descriptor's AVL bit, free for software (Linux's "useable"). */
  available?: boolean;
}

/** Where an environment's LDT is mapped: 16 pages (8192 descriptors) below the GDT's page. */
export const LDT_VA = (GDT_VA - 0x10000) | 0;
export const LDT_ENTRIES = 8192;

/** The descriptor of a ring-3 code or data segment (accessed bit set, as Linux writes them). */
function userDescriptor(d: UserDescriptor): [number, number] {
  const access = (d.present ? 0x80 : 0) | 0x60 | 0x10 | (d.code ? 0x08 : 0) | (d.contents ? 0x04 : 0) | (d.readOnly ? 0 : 0x02) | 0x01;
  const flags = (d.pages ? 0x8 : 0) | (d.big ? 0x4 : 0) | (d.available ? 0x1 : 0);
  return encodeDescriptor(d.base, d.limit, access, flags);
}

export class Exokernel {
  readonly mem: PhysMemory;
  readonly cpu: Cpu;
  readonly engine: Engine;
  readonly frames: FrameAllocator;
  /** The capability space of the library OS running above. */
  readonly caps = new CapSpace();
  /** Monotonic time and timers, wall time (the clock capability's object). */
  readonly clock: Clock;
  /** Clock capabilities, and the root one a library OS derives its own from. */
  readonly clocks: ClockService;
  readonly clockCap: CapHandle;
  /** Disks and their block capabilities (blockcap.ts). */
  readonly blocks = new BlockService(this.caps);
  /** Who runs next; replaceable by a library OS or an embedder (setPolicy). */
  sched: SchedPolicy = new FairShare();
  /** Scheduling policies by name: the built-in ones and those registered (registerPolicy). */
  private readonly policies = new Map<string, () => SchedPolicy>([
    ["fair", () => new FairShare()],
    ["round-robin", () => new RoundRobin()],
  ]);
  /** The name of the policy in use. */
  policyName = "fair";
  /** An environment woken to run next without a scheduling decision (wakeDirect), or null. */
  private direct: Environment | null = null;
  /** Synchronous IPC endpoints (endpoint.ts). */
  readonly endpoints = new EndpointService(this.caps, (env) => this.wakeDirect(env));
  /** Called when an environment becomes runnable from outside the loop's own turn (a host
   *  event, a timer): the run loop sets this to end its idle wait. */
  onRunnable: (() => void) | null = null;
  private current: Environment | null = null;
  private readonly log = logger("sched");

  constructor(opts: KernelOptions) {
    // (hw/v8fields.ts: a clock reading, beyond a small integer after about a second)
    settleOnce(this, { turnStart: [0.5] });
    this.clock = new Clock(opts.time);
    this.clocks = new ClockService(this.caps, this.clock);
    this.clockCap = this.clocks.attach();
    this.mem = PhysMemory.take(opts.memory);
    this.cpu = new Cpu(this.mem);
    this.engine = new Engine(this.cpu, opts.engine);
    // Frame 0 stays reserved: a null physical pointer never names real data.
    this.frames = new FrameAllocator(this.mem, 1);
    const c = this.cpu;
    c.cr0 = CR0_PE | CR0_PG | CR0_WP | CR0_ET | CR0_NE;
    c.cr4 = CR4_PSE | CR4_OSFXSR | CR4_OSXMMEXCPT;
    c.gdtBase = GDT_VA | 0;
    c.gdtLimit = GDT_ENTRIES * 8 - 1;
    c.onPageFault = (lin, error) => this.pageFaultInPlace(lin, error);
  }

  /** Page faults resolved without an exit (see pageFaultInPlace). */
  faultsInPlace = 0;
  private disposed = false;

  /** Nothing will run on this kernel again: the CPU's TLB arrays go to the next kernel this
   *  thread makes (see Cpu.release), and with `recycleMemory` its RAM too (only when no device
   *  can still write to it: no disk read in flight). Running an environment afterwards is
   *  E_INVAL. */
  dispose(recycleMemory = false): void {
    if (this.disposed) return;
    this.disposed = true;
    this.cpu.release();
    if (recycleMemory) this.mem.recycle();
  }

  /** A user page fault of the environment on the CPU, offered to its handler before it becomes
   *  an exit: demand paging and copy-on-write are then resolved without unwinding the
   *  instruction. A write to a page holding translated code always exits (the engine must drop
   *  that code before the instruction goes on). */
  private pageFaultInPlace(lin: number, error: number): boolean {
    const env = this.current;
    const h = env?.handler;
    if (env === null || h === null || h === undefined || h.resolvePageFault === undefined) return false;
    if ((error & PF_PRESENT) !== 0) {
      const ppn = env.aspace.frame(lin & ~0xfff);
      if (ppn >= 0 && this.cpu.codePages[ppn] !== 0) return false;
    }
    if (!h.resolvePageFault(env, lin, error)) return false;
    this.faultsInPlace++;
    return true;
  }

  /** A console capability for `dev` (a UART whose host side stays with whoever made it). */
  newConsole(dev: Console): CapHandle {
    return this.caps.create(CAP_CONSOLE, R_ALL, dev);
  }

  /** The console behind `cap`, checking `rights` (R_READ to receive, R_WRITE to send). */
  console(cap: CapHandle, rights = R_READ | R_WRITE): Console {
    return this.caps.get<Console>(cap, CAP_CONSOLE, rights);
  }

  /** A frame pool (quota) capability. */
  newPool(limit: number): CapHandle {
    return this.caps.create(CAP_FRAMES, R_ALL, new FramePool(this.frames, limit));
  }

  /** An empty address space drawing frames from `pool`, with the flat user segments in its GDT. */
  private newSpace(pool: FramePool): AddressSpace {
    const as = new AddressSpace(pool, later(this, "invalidateIn"));
    this.writeGdt(as, GDT_USER_CS, ...encodeDescriptor(0, 0xfffff, 0xfb, 0xc));
    this.writeGdt(as, GDT_USER_DS, ...encodeDescriptor(0, 0xfffff, 0xf3, 0xc));
    return as;
  }

  /** A mapping of `as` changed at `va`: its TLB entry goes if `as` is live. */
  private invalidateIn(as: AddressSpace, va: number): void {
    if (this.current !== null && this.current.aspace === as) this.cpu.invlpg(va);
  }

  private newEnvIn(as: AddressSpace, pool: FramePool): Environment {
    const env = new Environment(as, pool, later(this, "endWait"));
    as.users++;
    env.ctx.cr3 = as.cr3;
    return env;
  }

  /** A new ring-3 environment with an empty address space and flat user segments. Returns its
   *  capability; the address space's capability is `aspaceOf(env)`. The environment is not
   *  runnable until `makeRunnable`. */
  newEnv(poolCap: CapHandle): CapHandle {
    const pool = this.caps.get<FramePool>(poolCap, CAP_FRAMES, R_MAP);
    const env = this.newEnvIn(this.newSpace(pool), pool);
    userState(env.ctx);
    return this.caps.create(CAP_ENV, R_ALL, env);
  }

  /** Puts an environment back in the state of a fresh one (a program start): flat user
   *  segments, no FS/GS, interrupts-enabled flags, an unused FPU. General registers are kept. */
  resetUser(envCap: CapHandle): void {
    const env = this.env(envCap);
    if (this.current === env) env.ctx.save(this.cpu);
    userState(env.ctx);
    env.ctx.fpu = null;
    if (this.current === env) {
      this.current = null;
      this.load(env);
      env.switches--;
    }
  }

  /**
   * A new environment that starts as a copy of `srcCap` (registers, FPU, TLS descriptors,
   * priority). With `shareSpace` it runs in the same address space (a thread); otherwise in a
   * copy-on-write duplicate of it whose frames are accounted to `poolCap` (a fork).
   */
  cloneEnv(srcCap: CapHandle, poolCap: CapHandle, shareSpace: boolean): CapHandle {
    const src = this.env(srcCap, R_READ);
    const pool = this.caps.get<FramePool>(poolCap, CAP_FRAMES, R_MAP);
    let as = src.aspace;
    if (!shareSpace) {
      as = this.newSpace(pool);
      try {
        src.aspace.duplicate(as);
        this.copyLdt(src.aspace, as);
      } catch (e) {
        as.destroy();
        throw e;
      }
      // The source's private pages just lost their write permission.
      if (this.current !== null && this.current.aspace === src.aspace) this.cpu.flushTlb();
    }
    const env = this.newEnvIn(as, pool);
    if (this.current === src) env.ctx.save(this.cpu);
    else env.ctx.copyFrom(src.ctx);
    env.ctx.cr3 = as.cr3;
    env.tls.set(src.tls);
    env.noTsc = src.noTsc;
    env.noCpuid = src.noCpuid;
    env.nice = src.nice;
    env.fixedPrio = src.fixedPrio;
    env.fixedFifo = src.fixedFifo;
    this.sched.forked?.(src, env, this.current === src && this.turnStart > 0 ? this.clock.now() - this.turnStart : 0);
    return this.caps.create(CAP_ENV, R_ALL, env);
  }

  /** A new, empty address space drawing frames from `poolCap`, not yet used by any
   *  environment (an exec builds the new image in it, then `setSpace`). */
  createSpace(poolCap: CapHandle): CapHandle {
    const pool = this.caps.get<FramePool>(poolCap, CAP_FRAMES, R_MAP);
    return this.caps.create(CAP_ASPACE, R_ALL, this.newSpace(pool));
  }

  /** Destroys a space no environment runs in (an exec that failed half-way). */
  dropSpace(aspaceCap: CapHandle): void {
    const as = this.aspace(aspaceCap);
    if (as.users === 0) as.destroy();
    this.caps.revoke(aspaceCap);
  }

  /** Moves an environment into address space `aspaceCap` (exec); the old space is released
   *  when no other environment runs in it. Thread-local descriptors are cleared. */
  setSpace(envCap: CapHandle, aspaceCap: CapHandle): void {
    const env = this.env(envCap);
    const as = this.aspace(aspaceCap);
    const old = env.aspace;
    if (old === as) return;
    as.users++;
    env.aspace = as;
    env.tls.fill(0);
    env.ctx.cr3 = as.cr3;
    if (old.gdtOwner === env) old.gdtOwner = null;
    if (this.current === env) {
      this.cpu.cr3 = as.cr3;
      this.cpu.flushTlb();
      this.loadTls(env);
    }
    this.releaseSpace(old);
  }

  /** A zeroed frame accounted to `poolCap`, mapped nowhere yet (for memory objects a library
   *  keeps itself, such as shared memory); `mapShared` maps it, `freeFrame` lets it go. */
  newFrame(poolCap: CapHandle): number {
    const pool = this.caps.get<FramePool>(poolCap, CAP_FRAMES, R_MAP);
    const ppn = pool.alloc();
    this.frameReused(ppn);
    return ppn;
  }

  freeFrame(poolCap: CapHandle, ppn: number): void {
    this.caps.get<FramePool>(poolCap, CAP_FRAMES, R_MAP).release(ppn);
  }

  /** Guest RAM of one frame, as a view (a library OS filling or reading its own frames). */
  frameBytes(ppn: number): Uint8Array {
    return this.mem.u8.subarray(ppn << PAGE_SHIFT, (ppn + 1) << PAGE_SHIFT);
  }

  private releaseSpace(as: AddressSpace): void {
    if (--as.users === 0) as.destroy();
  }

  env(cap: CapHandle, rights = R_CONTROL): Environment {
    return this.caps.get<Environment>(cap, CAP_ENV, rights);
  }

  /** A capability for an environment's address space. */
  aspaceOf(envCap: CapHandle): CapHandle {
    return this.caps.create(CAP_ASPACE, R_ALL, this.env(envCap).aspace);
  }

  aspace(cap: CapHandle, rights = R_MAP): AddressSpace {
    return this.caps.get<AddressSpace>(cap, CAP_ASPACE, rights);
  }

  /** Allocates a zeroed frame from a pool and maps it at `va`; returns the frame. */
  mapNew(aspaceCap: CapHandle, va: number, flags: number): number {
    const as = this.aspace(aspaceCap);
    const ppn = as.pool.alloc();
    this.frameReused(ppn);
    as.map(va, ppn, flags);
    return ppn;
  }

  /** Maps an existing frame (shared, or copy-on-write) at `va` in another mapping. */
  mapShared(aspaceCap: CapHandle, va: number, ppn: number, flags: number): void {
    const as = this.aspace(aspaceCap);
    as.pool.share(ppn);
    as.map(va, ppn, flags);
  }

  /** Resolves a write to the copy-on-write page at `va`: the space gets a private, writable
   *  copy. Returns false if the page is not copy-on-write (the write is a real violation). */
  copyOnWrite(aspaceCap: CapHandle, va: number): boolean {
    const as = this.aspace(aspaceCap);
    const ppn = as.frame(va);
    const frame = as.breakCow(va & ~0xfff);
    if (frame < 0) return false;
    if (frame !== ppn) this.frameReused(frame);
    return true;
  }

  /** Physical address of user address `va` for a write that ignores the page's protection (a
   *  debugger's: ptrace's FOLL_FORCE): the present private page becomes the space's own copy,
   *  permissions kept, and code translated from it is dropped. -1 if the page is not present or
   *  is a shared mapping. */
  forceWritable(aspaceCap: CapHandle, va: number): number {
    const as = this.aspace(aspaceCap);
    const frame = as.privatize(va & ~0xfff);
    if (frame < 0) return -1;
    this.frameReused(frame);
    return (frame << PAGE_SHIFT) | (va & 0xfff);
  }

  /** The environment's live registers (the CPU's while it is loaded). */
  regs(envCap: CapHandle): Int32Array {
    const env = this.env(envCap, R_READ);
    return this.current === env ? this.cpu.r : env.ctx.r;
  }

  /** The x87 exceptions that are pending and unmasked (status word AND NOT control word, bits
   *  IE DE ZE OE UE PE): what a #MF reports. 0 when the environment never used the FPU. */
  fpuExceptions(envCap: CapHandle): number {
    const env = this.env(envCap, R_READ);
    const f = this.current === env ? this.cpu.fpu : null;
    return f === null ? 0 : f.sw & ~f.cw & 0x3f;
  }

  /** The SIMD exceptions flagged and unmasked in MXCSR (bits IE DE ZE OE UE PE): what a #XM
   *  reports. */
  simdExceptions(envCap: CapHandle): number {
    const mx = this.regs(envCap)[MXCSR];
    return mx & ~(mx >> 7) & 0x3f;
  }

  /** A copy of the environment's x87/SSE state (null: never used, i.e. as after fninit). */
  saveFpu(envCap: CapHandle): Uint8Array | null {
    const env = this.env(envCap, R_READ);
    if (this.current === env) return this.cpu.fpuSave ? this.cpu.fpuSave(null) : null;
    return env.ctx.fpu ? env.ctx.fpu.slice() : null;
  }

  /** Replaces the environment's x87/SSE state (null: the initial state). */
  loadFpu(envCap: CapHandle, image: Uint8Array | null): void {
    const env = this.env(envCap);
    if (this.current === env) {
      if (this.cpu.fpuLoad) this.cpu.fpuLoad(image);
    } else {
      env.ctx.fpu = image ? image.slice() : null;
    }
  }

  /** The environment's x87/SSE state as the 512-byte FXSAVE image (signal frames). */
  fxsave(envCap: CapHandle): Uint8Array {
    return imageToFxsave(this.saveFpu(envCap));
  }

  /** Replaces the environment's x87/SSE state with an FXSAVE image's; MXCSR bits the CPU does
   *  not implement are dropped, as the kernel's sanitising does. */
  fxrstor(envCap: CapHandle, fx: Uint8Array): void {
    const b = fx.slice(0, 512);
    new DataView(b.buffer).setInt32(24, new DataView(b.buffer).getInt32(24, true) & MXCSR_MASK, true);
    this.loadFpu(envCap, fxsaveToImage(b));
  }

  /** The selector in segment register `seg` (ES 0 ... GS 5) of an environment. */
  selector(envCap: CapHandle, seg: number): number {
    const env = this.env(envCap, R_READ);
    return (this.current === env ? this.cpu.sreg : env.ctx.sreg)[seg] & 0xffff;
  }

  /** The environment's EFLAGS with the lazily kept arithmetic flags evaluated. */
  eflags(envCap: CapHandle): number {
    return getFlags(this.regs(envCap));
  }

  /** Replaces the EFLAGS bits in `mask` (limited to those user code may change) with `value`'s,
   *  as a return from a signal handler does. */
  setEflags(envCap: CapHandle, value: number, mask: number): void {
    const r = this.regs(envCap);
    const m = mask & FLAGS_USER_WRITABLE;
    r[FLAGS] = (getFlags(r) & ~m) | (value & m);
    r[FOP] = 0;
  }

  /** Writes entry `index` of an environment's GDT. Only ring-3 code/data descriptors in the TLS
   *  slots may be set; they belong to the environment (threads sharing a space each have their
   *  own) and are loaded into the space's GDT whenever it runs. */
  setTls(envCap: CapHandle, index: number, d: UserDescriptor | null): void {
    const env = this.env(envCap);
    if (index < GDT_TLS_FIRST || index >= GDT_TLS_FIRST + GDT_TLS_COUNT) throw new ExoError("E_RANGE", `GDT entry ${index}`);
    const [lo, hi] = d === null ? [0, 0] : userDescriptor(d);
    const k = (index - GDT_TLS_FIRST) * 2;
    env.tls[k] = lo;
    env.tls[k + 1] = hi;
    if (env.aspace.gdtOwner === env) this.writeGdt(env.aspace, index, lo, hi);
  }

  /** Writes entry `index` of the LDT of an environment's address space (threads share it; a
   *  fork copies it), a ring-3 code or data descriptor or null to clear it. The LDT grows to
   *  cover the entry: its limit always spans whole entries up to the highest one written, as
   *  Linux's modify_ldt sizes it. */
  setLdt(envCap: CapHandle, index: number, d: UserDescriptor | null): void {
    const env = this.env(envCap);
    if (index < 0 || index >= LDT_ENTRIES) throw new ExoError("E_RANGE", `LDT entry ${index}`);
    const as = env.aspace;
    const ldt = as.ldt;
    while (ldt.frames.length <= index >> 9) {
      const ppn = as.pool.alloc();
      as.mapKernel((LDT_VA + ldt.frames.length * 4096) | 0, ppn);
      ldt.frames.push(ppn);
    }
    const [lo, hi] = d === null ? [0, 0] : userDescriptor(d);
    const at = (ldt.frames[index >> 9] << (PAGE_SHIFT - 2)) + (index & 511) * 2;
    this.mem.i32[at] = lo;
    this.mem.i32[at + 1] = hi;
    ldt.entries = Math.max(ldt.entries, index + 1);
    if (this.current !== null && this.current.aspace === as) this.loadLdt(this.current);
  }

  /** A fork's space gets a copy of its parent's LDT. */
  private copyLdt(from: AddressSpace, to: AddressSpace): void {
    for (const ppn of from.ldt.frames) {
      const copy = to.pool.alloc(false);
      this.mem.copyPage(copy, ppn);
      to.mapKernel((LDT_VA + to.ldt.frames.length * 4096) | 0, copy);
      to.ldt.frames.push(copy);
    }
    to.ldt.entries = from.ldt.entries;
  }

  /** Points the CPU's LDT register at the environment's space's LDT (none: limit 0). */
  private loadLdt(env: Environment): void {
    const n = env.aspace.ldt.entries;
    this.cpu.ldtBase = n > 0 ? LDT_VA : 0;
    this.cpu.ldtLimit = n > 0 ? n * 8 - 1 : 0;
    env.ctx.ldtBase = this.cpu.ldtBase;
    env.ctx.ldtLimit = this.cpu.ldtLimit;
  }

  /** The LDT descriptors of the environment's space as bytes (empty: it never had one). */
  readLdt(envCap: CapHandle): Uint8Array {
    const ldt = this.env(envCap, R_READ).aspace.ldt;
    const out = new Uint8Array(ldt.entries * 8);
    for (let k = 0; k < out.length; k += 4096) {
      const p = ldt.frames[k >> 12] << PAGE_SHIFT;
      out.set(this.mem.u8.subarray(p, p + Math.min(4096, out.length - k)), k);
    }
    return out;
  }

  /** Copies an environment's TLS descriptors into its space's GDT, if another's are there,
   *  and (the environment being on the CPU) reloads FS and GS from them when they select a TLS
   *  entry, as Linux does on every switch: a new thread's GS then reaches its own TLS. */
  private loadTls(env: Environment): void {
    const as = env.aspace;
    if (as.gdtOwner === env) return;
    for (let k = 0; k < GDT_TLS_COUNT; k++) this.writeGdt(as, GDT_TLS_FIRST + k, env.tls[2 * k], env.tls[2 * k + 1]);
    as.gdtOwner = env;
    if (this.current !== env) return;
    for (const seg of [FS, GS]) {
      const sel = this.cpu.sreg[seg];
      const index = sel >>> 3;
      if ((sel & 4) !== 0 || index < GDT_TLS_FIRST || index >= GDT_TLS_FIRST + GDT_TLS_COUNT) continue;
      try {
        loadSeg(this.cpu, seg, sel);
      } catch {
        // An entry that no longer allows the selector leaves the register null, as Linux does.
        loadSeg(this.cpu, seg, 0);
      }
    }
  }

  private writeGdt(as: AddressSpace, index: number, lo: number, hi: number): void {
    const at = (as.gdt << (PAGE_SHIFT - 2)) + index * 2;
    this.mem.i32[at] = lo;
    this.mem.i32[at + 1] = hi;
  }

  /** Reloads the hidden part of a segment register from the environment's GDT, as the guest's
   *  own `mov` to the register would (after the descriptor it names changed). */
  reloadSegment(envCap: CapHandle, seg: number): void {
    const env = this.env(envCap);
    this.load(env);
    const sel = this.cpu.sreg[seg];
    if ((sel & 0xfffc) === 0) return;
    // Reuse the CPU's own checks: the guest could have loaded this selector itself.
    loadSeg(this.cpu, seg, sel);
  }

  /** Makes `env` the one on the CPU. */
  private load(env: Environment): void {
    if (this.current === env) return;
    if (this.current !== null && this.current.alive) this.current.ctx.save(this.cpu);
    env.ctx.load(this.cpu);
    this.current = env;
    this.loadTsd(env);
    this.loadTls(env);
    this.loadLdt(env);
    env.switches++;
  }

  /** Takes the environment on the CPU off it, its registers saved in its context, and empties
   *  the TLB: then the whole state of the environments is in their records and guest RAM (a
   *  state snapshot is taken or restored so). The next run loads its environment afresh. (The
   *  TLB must go with it: with no environment current, changes to an address space, such as a
   *  fork's copy-on-write, flush nothing, and the environment's next load keeps the TLB when
   *  its page directory is the one loaded.) */
  park(): void {
    const env = this.current;
    if (env !== null && env.alive) env.ctx.save(this.cpu);
    this.current = null;
    this.cpu.flushTlb();
  }

  /** Runs an environment for about `budget` instructions (`soft`: see runEnv); returns why it
   *  stopped. */
  run(envCap: CapHandle, budget: number, soft = false): Exit {
    return this.runEnv(this.env(envCap, R_RUN), budget, soft);
  }

  /** run() for an environment already checked; a `soft` budget (a scheduler's slice) may end a
   *  little early, where compiled code stopped (Engine.run). */
  runEnv(env: Environment, budget: number, soft = false): Exit {
    if (!env.alive) throw new ExoError("E_INVAL", "environment destroyed");
    if (this.disposed) throw new ExoError("E_INVAL", "the kernel was disposed");
    this.load(env);
    const before = this.cpu.icount;
    const x = env.exit;
    x.vector = x.error = x.addr = 0;
    // With the trap flag set, one instruction runs, then the debug exception traps (a system
    // call's trap comes after the call: stepTrap).
    // (TF is no arithmetic flag: the register holds it as it is, lazy flags or not)
    const step = (this.cpu.r[FLAGS] & TF) !== 0;
    const r = !step ? this.engine.run(budget, soft) : env.stepTrap ? RUN_STEPPED : this.engine.step();
    env.stepTrap = step && (r === EXIT_INT || r === EXIT_SYSENTER);
    env.insns += this.cpu.icount - before;
    switch (step && r === RUN_BUDGET ? RUN_STEPPED : r) {
      case RUN_STEPPED:
        x.kind = X_FAULT;
        x.vector = DB;
        x.error = DR6_BS;
        break;
      case RUN_BUDGET:
        x.kind = X_BUDGET;
        break;
      case EXIT_INT:
        x.kind = X_INT;
        x.vector = this.cpu.exitArg;
        break;
      case EXIT_SYSENTER:
        x.kind = X_SYSENTER;
        break;
      case EXIT_HLT:
        x.kind = X_HALT;
        break;
      case RUN_FAULT: {
        const f = this.engine.lastFault;
        x.kind = X_FAULT;
        x.vector = f ? f.vector : 0;
        x.error = f ? f.error : 0;
        x.addr = f ? f.addr : 0;
        break;
      }
      default:
        throw new Error(`unexpected engine result ${r}`);
    }
    return x;
  }

  /** Destroys an environment: it leaves the scheduler and every wait, and its address space is
   *  released once no other environment runs in it. */
  destroyEnv(envCap: CapHandle): void {
    const env = this.env(envCap);
    if (!env.alive) return;
    this.stopWaiting(env);
    this.sched.dequeue(env);
    env.alive = false;
    this.endpoints.gone(env);
    if (this.direct === env) this.direct = null;
    if (this.current === env) this.current = null;
    if (env.aspace.gdtOwner === env) env.aspace.gdtOwner = null;
    this.releaseSpace(env.aspace);
    this.caps.revoke(envCap);
  }

  // ---- scheduling: runnable, waiting, suspended ----

  /** Puts a new environment on the run queue. */
  makeRunnable(envCap: CapHandle): void {
    const env = this.env(envCap);
    if (env.alive && !env.waiting && !env.suspended) this.runnable(env, "new");
  }

  /** Queues `env`, runnable now; when it has a higher fixed priority than the environment whose
   *  turn is under way, that turn ends at its next exit (a system call, the wake itself being
   *  one), as Linux preempts a task for a higher-priority real-time one at once. */
  private runnable(env: Environment, why: EnqueueReason): void {
    this.sched.enqueue(env, why);
    const cur = this.current;
    if (this.turnStart !== 0 && cur !== null && cur !== env && env.fixedPrio > cur.fixedPrio) cur.turnOver = true;
  }

  /**
   * Makes an environment wait until one of `queues` is notified, `deadline` (clock ns) passes,
   * or `interrupt` is called; it is not scheduled meanwhile. Its handler's handleWake hears why.
   */
  wait(envCap: CapHandle, queues: WaitQueue[], deadline: number | null): void {
    const env = this.env(envCap);
    this.stopWaiting(env);
    env.waiting = true;
    env.wakeReason = 0;
    env.waitQueues = queues;
    for (const q of queues) q.add(env);
    if (deadline !== null) env.waitTimer = this.clock.at(deadline, later(this, "endWait", env, WAKE_TIMEOUT));
    this.sched.dequeue(env);
    if (trace.sched) this.log.trace({ env: env.label }, `${env.label || env.id} waits${queues.length > 0 ? ` on ${queues.length} queue(s)` : ""}${deadline !== null ? ` until +${((deadline - this.clock.now()) / 1e6).toFixed(3)} ms` : ""}`);
  }

  /** Ends an environment's wait early (WAKE_INTERRUPT). No effect if it is not waiting. */
  interrupt(envCap: CapHandle): void {
    this.endWait(this.env(envCap), WAKE_INTERRUPT);
  }

  isWaiting(envCap: CapHandle): boolean {
    return this.env(envCap, R_READ).waiting;
  }

  private stopWaiting(env: Environment): void {
    for (const q of env.waitQueues) q.remove(env);
    env.waitQueues = [];
    if (env.waitTimer !== null) {
      this.clock.cancel(env.waitTimer);
      env.waitTimer = null;
    }
    env.waiting = false;
  }

  private endWait(env: Environment, reason: number): void {
    if (!env.waiting || !env.alive) return;
    this.stopWaiting(env);
    env.wakeReason = reason;
    if (trace.sched) this.log.trace({ env: env.label, reason }, `${env.label || env.id} wakes (${["", "event", "timeout", "interrupted"][reason]})`);
    if (!env.suspended) {
      this.runnable(env, "woken");
      this.onRunnable?.();
    }
  }

  /** Suspends or resumes an environment (job control). A suspended environment keeps waiting
   *  if it was, but is not scheduled until resumed. */
  suspend(envCap: CapHandle, on: boolean): void {
    const env = this.env(envCap);
    if (env.suspended === on) return;
    env.suspended = on;
    if (trace.sched) this.log.trace({ env: env.label }, `${env.label || env.id} ${on ? "suspended" : "resumed"}`);
    if (on) this.sched.dequeue(env);
    else if (env.alive && !env.waiting) {
      this.runnable(env, "woken");
      this.onRunnable?.();
    }
  }

  /** Whether an environment's RDTSC works in user mode (false: it faults with #GP, CR4.TSD set
   *  while it runs; Linux's PR_SET_TSC). */
  setTsc(envCap: CapHandle, enabled: boolean): void {
    const env = this.env(envCap);
    env.noTsc = !enabled;
    if (this.current === env) this.loadTsd(env);
  }

  tscEnabled(envCap: CapHandle): boolean {
    return !this.env(envCap, R_READ).noTsc;
  }

  /** Whether an environment's CPUID works in user mode (false: it faults with #GP, the CPU's
   *  CPUID faulting on while it runs; Linux's ARCH_SET_CPUID). */
  setCpuid(envCap: CapHandle, enabled: boolean): void {
    const env = this.env(envCap);
    env.noCpuid = !enabled;
    if (this.current === env) this.loadTsd(env);
  }

  cpuidEnabled(envCap: CapHandle): boolean {
    return !this.env(envCap, R_READ).noCpuid;
  }

  /** The environment's RDTSC and CPUID faulting, into the CPU. */
  private loadTsd(env: Environment): void {
    this.cpu.cr4 = env.noTsc ? this.cpu.cr4 | CR4_TSD : this.cpu.cr4 & ~CR4_TSD;
    this.cpu.cpuidFaulting = env.noCpuid;
  }

  /** Sets an environment's scheduling priority (nice value, clamped to -20..19). */
  setNice(envCap: CapHandle, nice: number): void {
    this.env(envCap).nice = Math.max(-20, Math.min(19, nice | 0));
  }

  /** Gives an environment a fixed priority (1..99, above every environment without one; see
   *  Environment.fixedPrio), first in first out or round robin among its equals, or takes it
   *  away (0). A runnable environment is queued again under its new priority. */
  setFixedPriority(envCap: CapHandle, prio: number, fifo: boolean): void {
    const env = this.env(envCap);
    const queued = env.queued;
    if (queued) this.sched.dequeue(env);
    const was = env.fixedPrio;
    env.fixedPrio = Math.max(0, Math.min(99, prio | 0));
    env.fixedFifo = env.fixedPrio > 0 && fifo;
    if (queued) this.runnable(env, "woken");
    // (the running one lowered: one it no longer outranks may be due; the policy picks again)
    else if (env === this.current && this.turnStart !== 0 && env.fixedPrio < was) env.turnOver = true;
  }

  /** Ends the turn of the running environment `envCap` (sched_yield); with `target`, that
   *  environment (if runnable) runs next (a directed yield). */
  yieldTurn(envCap: CapHandle, targetCap?: CapHandle): void {
    const env = this.env(envCap);
    env.turnOver = true;
    this.sched.yielded?.(env);
    if (targetCap === undefined) return;
    const t = this.env(targetCap);
    if (t.alive && !t.waiting && !t.suspended) this.sched.yieldTo(t);
  }

  /** Ends `env`'s wait and makes it the environment that runs next, without asking the
   *  scheduling policy (a direct switch: the run loop gives it the rest of the current turn).
   *  Only one can be next; a second one waiting to be switched to is queued normally. */
  wakeDirect(env: Environment): void {
    if (!env.waiting || !env.alive) return;
    this.stopWaiting(env);
    env.wakeReason = WAKE_EVENT;
    if (this.direct !== null || env.suspended) {
      if (!env.suspended) this.sched.enqueue(env, "woken");
      this.onRunnable?.();
      return;
    }
    this.direct = env;
    this.onRunnable?.();
  }

  /** The environment to switch to directly, if one was woken so (the run loop takes it). */
  takeDirect(): Environment | null {
    const d = this.direct;
    this.direct = null;
    if (d === null || !d.alive || d.waiting) return null;
    if (d.suspended) return null;
    this.sched.dequeue(d);
    return d;
  }

  /** Makes a scheduling policy available by name (an embedder's own, implementing SchedPolicy):
   *  `factory` makes a fresh instance when it is chosen. */
  registerPolicy(name: string, factory: () => SchedPolicy): void {
    if (name === "") throw new ExoError("E_INVAL", "a policy needs a name");
    this.policies.set(name, factory);
  }

  /** The names of the policies available. */
  policyNames(): string[] {
    return [...this.policies.keys()];
  }

  /** Switches to policy `name`: the runnable environments move to a fresh instance of it, in
   *  the order the old one would have run them. */
  setPolicy(name: string): void {
    const make = this.policies.get(name);
    if (make === undefined) throw new ExoError("E_INVAL", `no scheduling policy ${name}`);
    const next = make();
    const runnable: Environment[] = [];
    for (let e = this.sched.pick(); e !== null; e = this.sched.pick()) runnable.push(e);
    this.sched = next;
    this.policyName = name;
    for (const e of runnable) next.enqueue(e, "preempted");
    if (trace.sched) this.log.trace({ policy: name }, `scheduling policy ${name} (${runnable.length} runnable)`);
  }

  /** The frame mapped at user address `va` of an address space, with one more reference taken
   *  for pool `poolCap` (a library OS keeping an environment's page in a memory object of its
   *  own, to share it: zero-copy sharing). The page must be present; -1 if it is not. */
  holdFrame(poolCap: CapHandle, aspaceCap: CapHandle, va: number): number {
    const pool = this.caps.get<FramePool>(poolCap, CAP_FRAMES, R_MAP);
    const ppn = this.aspace(aspaceCap, R_MAP).frame(va & ~0xfff);
    if (ppn < 0) return -1;
    pool.share(ppn);
    return ppn;
  }

  /** The environment on the CPU now (for the run loop's accounting), or null. */
  get running(): Environment | null {
    return this.current;
  }

  /** When the run loop started the current turn (clock ns). */
  turnStart = 0;

  /** Host time (ns) an environment has had on the CPU, including the turn it is in now. */
  cpuTime(envCap: CapHandle): number {
    const env = this.env(envCap, R_READ);
    return env.cpuNs + (env === this.current && this.turnStart > 0 ? this.clock.now() - this.turnStart : 0);
  }

  /** What CPUID reports for `leaf` and `sub` ([eax, ebx, ecx, edx]): the processor model the
   *  guests see, for a library OS describing it (/proc/cpuinfo). */
  cpuid(leaf: number, sub = 0): [number, number, number, number] {
    return cpuid(this.cpu.model, leaf, sub);
  }

  /** Rate of the guests' time-stamp counter, in Hz. */
  get tscHz(): number {
    return TSC_HZ;
  }

  /** A frame is about to get new contents from the host: drop any code translated from it. */
  frameReused(ppn: number): void {
    if (this.cpu.codePages[ppn] !== 0) this.engine.cache.invalidatePage(ppn);
  }

  /** Physical address for a user access to `va` in an address space, or -1 if the page tables
   *  do not allow it (not present, or not writable for a write). */
  translate(aspaceCap: CapHandle, va: number, write: boolean): number {
    const as = this.aspace(aspaceCap, R_READ);
    const pte = as.touch(va & ~0xfff, write);
    if (pte === 0) return -1;
    return ((pte >>> PAGE_SHIFT) << PAGE_SHIFT) | (va & 0xfff);
  }
}

function userState(x: CpuContext): void {
  x.cpl = 3;
  x.r[FLAGS] = FLAGS_FIXED | IF;
  x.r[FOP] = 0;
  setSeg(x, CS, USER_CS, 0, -1, USER_CODE_ATTR);
  for (const s of [SS, DS, ES]) setSeg(x, s, USER_DS, 0, -1, USER_DATA_ATTR);
  setSeg(x, FS, 0, 0, 0, 0);
  setSeg(x, GS, 0, 0, 0, 0);
}

function setSeg(x: { sreg: Int32Array; sbase: Int32Array; slimit: Int32Array; sattr: Int32Array }, s: number, sel: number, base: number, limit: number, attr: number): void {
  x.sreg[s] = sel;
  x.sbase[s] = base;
  x.slimit[s] = limit;
  x.sattr[s] = attr;
}

