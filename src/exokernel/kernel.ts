// The exokernel: owns guest RAM, the CPU and the execution engine, and multiplexes them between
// environments through capabilities. It provides mechanism only: frames, page mappings, segment
// descriptors, running an environment until it exits. Everything a POSIX process is (files,
// signals, memory layout) is library policy in src/libexoc.

import { PhysMemory, PAGE_SHIFT } from "../hw/memory.js";
import { Cpu, EXIT_INT, EXIT_HLT, EXIT_SYSENTER } from "../hw/cpu.js";
import { CR0_PE, CR0_PG, CR0_WP, CR0_ET, CR0_NE, CR4_PSE, CR4_OSFXSR, CR4_OSXMMEXCPT, MXCSR, CS, SS, DS, ES, FS, GS, FLAGS, FLAGS_FIXED, FOP, IF, FLAGS_USER_WRITABLE } from "../hw/state.js";
import { imageToFxsave, fxsaveToImage } from "../hw/fpu/image.js";
import { MXCSR_MASK } from "../hw/simd/state.js";
import { getFlags } from "../hw/flags.js";
import { loadSeg, encodeDescriptor, DESC_P, DESC_S, DESC_CODE, DESC_RW, DESC_ACCESSED, DESC_DB, DESC_G } from "../hw/segment.js";
import { Engine, RUN_BUDGET, RUN_FAULT, type EngineOptions } from "../jit/engine.js";
import { FrameAllocator, FramePool } from "./frames.js";
import { AddressSpace, GDT_VA } from "./aspace.js";
import { Environment, X_BUDGET, X_INT, X_SYSENTER, X_FAULT, X_HALT, type Exit } from "./env.js";
import { CapSpace, CAP_ENV, CAP_FRAMES, CAP_ASPACE, R_ALL, R_RUN, R_CONTROL, R_MAP, R_READ, type CapHandle } from "./caps.js";
import { ExoError } from "./errors.js";

/** GDT layout, as Linux i386 has it (so selectors match what programs expect). */
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

interface Ldt {
  frames: number[];
  entries: number;
}

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
  private current: Environment | null = null;
  /** Each environment's LDT frames (mapped at LDT_VA) and entry count, once it has one. */
  private readonly ldts = new WeakMap<Environment, Ldt>();

  constructor(opts: KernelOptions) {
    this.mem = new PhysMemory(opts.memory);
    this.cpu = new Cpu(this.mem);
    this.engine = new Engine(this.cpu, opts.engine);
    // Frame 0 stays reserved: a null physical pointer never names real data.
    this.frames = new FrameAllocator(this.mem, 1);
    const c = this.cpu;
    c.cr0 = CR0_PE | CR0_PG | CR0_WP | CR0_ET | CR0_NE;
    c.cr4 = CR4_PSE | CR4_OSFXSR | CR4_OSXMMEXCPT;
    c.gdtBase = GDT_VA | 0;
    c.gdtLimit = GDT_ENTRIES * 8 - 1;
  }

  /** A frame pool (quota) capability. */
  newPool(limit: number): CapHandle {
    return this.caps.create(CAP_FRAMES, R_ALL, new FramePool(this.frames, limit));
  }

  /** A new ring-3 environment with an empty address space and flat user segments. Returns its
   *  capability; the address space's capability is `aspaceOf(env)`. */
  newEnv(poolCap: CapHandle): CapHandle {
    const pool = this.caps.get<FramePool>(poolCap, CAP_FRAMES, R_MAP);
    let envRef: Environment | null = null;
    const aspace = new AddressSpace(pool, (va) => {
      if (envRef !== null && this.current === envRef) this.cpu.invlpg(va);
    });
    const gdt = pool.alloc();
    aspace.mapKernel(GDT_VA, gdt);
    const env = new Environment(aspace, pool, gdt);
    envRef = env;
    this.writeGdt(env, GDT_USER_CS, ...encodeDescriptor(0, 0xfffff, 0xfb, 0xc));
    this.writeGdt(env, GDT_USER_DS, ...encodeDescriptor(0, 0xfffff, 0xf3, 0xc));
    const x = env.ctx;
    x.cpl = 3;
    x.cr3 = aspace.cr3;
    x.r[FLAGS] = FLAGS_FIXED | IF;
    setSeg(x, CS, USER_CS, 0, -1, USER_CODE_ATTR);
    for (const s of [SS, DS, ES]) setSeg(x, s, USER_DS, 0, -1, USER_DATA_ATTR);
    setSeg(x, FS, 0, 0, 0, 0);
    setSeg(x, GS, 0, 0, 0, 0);
    return this.caps.create(CAP_ENV, R_ALL, env);
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
   *  slots may be set. */
  setTls(envCap: CapHandle, index: number, d: UserDescriptor | null): void {
    const env = this.env(envCap);
    if (index < GDT_TLS_FIRST || index >= GDT_TLS_FIRST + GDT_TLS_COUNT) throw new ExoError("E_RANGE", `GDT entry ${index}`);
    if (d === null) {
      this.writeGdt(env, index, 0, 0);
      return;
    }
    this.writeGdt(env, index, ...userDescriptor(d));
  }

  /** Writes entry `index` of an environment's LDT (a ring-3 code or data descriptor, or null
   *  to clear it). The LDT grows to cover the entry: its limit always spans whole entries up to
   *  the highest one written, as Linux's modify_ldt sizes it. */
  setLdt(envCap: CapHandle, index: number, d: UserDescriptor | null): void {
    const env = this.env(envCap);
    if (index < 0 || index >= LDT_ENTRIES) throw new ExoError("E_RANGE", `LDT entry ${index}`);
    let ldt = this.ldts.get(env);
    if (ldt === undefined) this.ldts.set(env, (ldt = { frames: [], entries: 0 }));
    while (ldt.frames.length <= index >> 9) {
      const ppn = env.pool.alloc();
      env.aspace.mapKernel((LDT_VA + ldt.frames.length * 4096) | 0, ppn);
      ldt.frames.push(ppn);
    }
    const [lo, hi] = d === null ? [0, 0] : userDescriptor(d);
    const at = (ldt.frames[index >> 9] << (PAGE_SHIFT - 2)) + (index & 511) * 2;
    this.mem.i32[at] = lo;
    this.mem.i32[at + 1] = hi;
    ldt.entries = Math.max(ldt.entries, index + 1);
    env.ctx.ldtBase = LDT_VA;
    env.ctx.ldtLimit = ldt.entries * 8 - 1;
    if (this.current === env) {
      this.cpu.ldtBase = env.ctx.ldtBase;
      this.cpu.ldtLimit = env.ctx.ldtLimit;
    }
  }

  /** The environment's LDT descriptors as bytes (empty: it never had one). */
  readLdt(envCap: CapHandle): Uint8Array {
    const env = this.env(envCap, R_READ);
    const ldt = this.ldts.get(env);
    const out = new Uint8Array(ldt ? ldt.entries * 8 : 0);
    for (let k = 0; k < out.length; k += 4096) {
      const p = (ldt as Ldt).frames[k >> 12] << PAGE_SHIFT;
      out.set(this.mem.u8.subarray(p, p + Math.min(4096, out.length - k)), k);
    }
    return out;
  }

  private writeGdt(env: Environment, index: number, lo: number, hi: number): void {
    const at = (env.gdtFrame << (PAGE_SHIFT - 2)) + index * 2;
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
  }

  /** Runs an environment for about `budget` instructions; returns why it stopped. */
  run(envCap: CapHandle, budget: number): Exit {
    const env = this.env(envCap, R_RUN);
    if (!env.alive) throw new ExoError("E_INVAL", "environment destroyed");
    this.load(env);
    const r = this.engine.run(budget);
    const x = env.exit;
    x.vector = x.error = x.addr = 0;
    switch (r) {
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

  /** Runs an environment and dispatches each exit to its handler until it is destroyed or the
   *  handler clears `keepRunning`. */
  dispatch(envCap: CapHandle, budget: number, keepRunning: () => boolean): void {
    const env = this.env(envCap, R_RUN);
    while (env.alive && keepRunning()) {
      const x = this.run(envCap, budget);
      if (env.handler === null) throw new ExoError("E_INVAL", "environment has no exit handler");
      env.handler.handleExit(env, x);
    }
  }

  /** Destroys an environment: its address space and frames are released. */
  destroyEnv(envCap: CapHandle): void {
    const env = this.env(envCap);
    if (!env.alive) return;
    env.alive = false;
    if (this.current === env) this.current = null;
    env.aspace.destroy();
    this.caps.revoke(envCap);
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

function setSeg(x: { sreg: Int32Array; sbase: Int32Array; slimit: Int32Array; sattr: Int32Array }, s: number, sel: number, base: number, limit: number, attr: number): void {
  x.sreg[s] = sel;
  x.sbase[s] = base;
  x.slimit[s] = limit;
  x.sattr[s] = attr;
}

