// Snapshots of the bare machine (machine.ts): the CPU (general and segment registers with their
// descriptors, the TLS descriptors, EFLAGS, EIP, x87, SSE, MXCSR), which pages are mapped with
// what protection, and their contents.
//
// How. A snapshot holds a reference to every mapped page's frame (the frames' reference counts,
// accounted in a pool of its own) and its writable pages become copy-on-write, as a fork's
// pages do (aspace.ts: PTE_COW). The first guest or host write to such a page copies the frame
// and the page is recorded as dirty. The machine remembers which snapshot its memory last
// equalled (the "base": the last one taken or restored), the pages copied since ("hot" pages:
// a private, writable copy of a snapshot page) and the pages remapped since. Restoring the base
// puts only those back. A hot page keeps its private frame: when its dirty bit (PTE_D, which
// the CPU sets on the first write through the page tables) says it was written, the snapshot's
// bytes are copied over it, the bit is cleared and the page's cached write permission dropped
// from the TLB; a loop that writes the same pages every run so costs one 4 KiB copy per page
// per restore and no fault. (A page whose snapshot frame holds translated code gets that
// frame back instead, keeping the code.) Remapped pages get their snapshot frame again (shared,
// copy-on-write). So a restore costs well under a microsecond plus a 4 KiB copy per page
// changed, whatever the machine's size. Code translated from a snapshot frame stays in the
// cache (it is keyed by physical page, and the frame's bytes never change), so code runs
// compiled again after a restore without being translated again. Restoring any other snapshot
// compares every mapped page (cheap when most are equal).
//
// A snapshot belongs to its machine until released (release() gives its frames back; a
// FinalizationRegistry does it for snapshots garbage-collected unreleased, as a backup). One
// made by Snapshot.fromBuffer (snapformat.ts) belongs to no machine and restores into any of
// the same memory size, copying its pages in.

import type { Exokernel } from "../exokernel/kernel.js";
import type { Environment } from "../exokernel/env.js";
import type { CapHandle } from "../exokernel/caps.js";
import { USER_TOP, MAP_WRITE, PTE_COW, type AddressSpace } from "../exokernel/aspace.js";
import { FramePool } from "../exokernel/frames.js";
import { ExoError } from "../exokernel/errors.js";
import { PTE_P, PTE_W, PTE_D } from "../hw/mmu.js";
import { TLB_INVALID } from "../hw/cpu.js";
import { PAGE_SHIFT } from "../hw/memory.js";
import { PF_PRESENT, PF_WRITE } from "../hw/fault.js";
import { ExojitError } from "./errors.js";
import { encodeSnapshot, decodeSnapshot, PAGE_WRITABLE, PAGE_ZERO, type SnapshotImage } from "./snapformat.js";
import { applyCpuImage, setTlsWords, CpuCapture } from "./snapcpu.js";

const PAGE = 4096;

/** Counters of a machine's snapshot machinery. */
export interface SnapshotStats {
  /** Snapshots taken, and restores (of which full: not of the last snapshot taken or restored). */
  taken: number;
  restores: number;
  fullRestores: number;
  /** Pages put back by restores, and copied on a first write after a snapshot or restore. */
  pagesRestored: number;
  pagesCopied: number;
  /** Frames the machine's live snapshots hold references to. */
  framesHeld: number;
}

/** What a snapshot bound to a machine keeps: its pages' frames, shared with the machine. */
interface Frames {
  pool: FramePool;
  ppns: Int32Array;
  live: boolean;
}

const finalizer = new FinalizationRegistry<Frames>((f) => dropFrames(f));

function dropFrames(f: Frames): void {
  if (!f.live) return;
  f.live = false;
  for (let k = 0; k < f.ppns.length; k++) f.pool.release(f.ppns[k]);
}

/** What a snapshot holds, kept out of its public surface. */
interface SnapshotData {
  /** The machine's snapshot keeper (null: made from a buffer). */
  owner: SnapshotKeeper | null;
  /** Page addresses, ascending, and which are writable. */
  vas: Int32Array;
  writable: Uint8Array;
  /** Address → index in vas (bound snapshots). */
  index: Map<number, number>;
  /** Bound snapshots: the frames, the CPU, the TLS descriptors. */
  frames: Frames | null;
  ctx: CpuCapture | null;
  tls: Int32Array;
  /** Made from a buffer: what it holds. */
  image: SnapshotImage | null;
  released: boolean;
}

const DATA = new WeakMap<Snapshot, SnapshotData>();
const MAKE = Symbol("snapshot");

function makeSnapshot(memorySize: number, d: Omit<SnapshotData, "index" | "released">): Snapshot {
  const s = new Snapshot(MAKE, memorySize);
  const index = new Map<number, number>();
  if (d.frames !== null) for (let k = 0; k < d.vas.length; k++) index.set(d.vas[k], k);
  DATA.set(s, { ...d, index, released: false });
  return s;
}

/** A snapshot's data, checked: not released. */
function live(s: Snapshot): SnapshotData {
  const d = DATA.get(s);
  if (d === undefined) throw new ExojitError("E_BADARG", "not a snapshot");
  if (d.released) throw new ExojitError("E_SNAPSHOT", "the snapshot was released");
  return d;
}

/** A machine's state at one moment (see the module comment): from Machine.snapshot() or
 *  Snapshot.fromBuffer(). */
export class Snapshot {
  /** Guest memory size of the machine it was taken from, in bytes. */
  readonly memorySize: number;

  /** Not for embedders: snapshots come from Machine.snapshot() and Snapshot.fromBuffer(). */
  constructor(token: symbol, memorySize: number) {
    if (token !== MAKE) throw new ExojitError("E_BADARG", "snapshots come from Machine.snapshot() or Snapshot.fromBuffer()");
    this.memorySize = memorySize;
  }

  /** Parses a buffer from toBuffer() (E_SNAPSHOT when it is not a valid one). The snapshot
   *  belongs to no machine: it restores into any machine of the same memory size. */
  static fromBuffer(buf: Uint8Array): Snapshot {
    const img = decodeSnapshot(buf);
    const writable = new Uint8Array(img.flags.length);
    for (let k = 0; k < writable.length; k++) writable[k] = img.flags[k] & PAGE_WRITABLE;
    return makeSnapshot(img.memory, { owner: null, vas: img.vas, writable, frames: null, ctx: null, tls: img.cpu.tls, image: img });
  }

  /** Number of pages mapped when it was taken. */
  get pageCount(): number {
    return DATA.get(this)!.vas.length;
  }

  get released(): boolean {
    return DATA.get(this)!.released;
  }

  /** Gives back the frames the snapshot holds (memory the machine may need: a snapshot keeps
   *  every page as it was, so pages changed since cost a frame each). It cannot be restored
   *  afterwards. Releasing twice does nothing. */
  release(): void {
    const d = DATA.get(this)!;
    if (d.released) return;
    d.released = true;
    if (d.frames !== null) {
      finalizer.unregister(this);
      dropFrames(d.frames);
    }
    d.owner?.forget(this);
  }

  /** The snapshot in the versioned binary format of snapformat.ts (zero pages left out). */
  toBuffer(): Uint8Array {
    const d = live(this);
    const img = d.image;
    if (img !== null) {
      const flags = img.flags;
      const zero = new Uint8Array(PAGE);
      return encodeSnapshot(this.memorySize, img.cpu, d.vas, d.writable, (k) => (flags[k] & PAGE_ZERO ? zero : img.data.subarray(img.offsets[k], img.offsets[k] + PAGE)));
    }
    const ppns = d.frames!.ppns, mem = d.owner!.mem;
    return encodeSnapshot(this.memorySize, d.ctx!.image(d.tls), d.vas, d.writable, (k) => mem.subarray(ppns[k] << PAGE_SHIFT, (ppns[k] + 1) << PAGE_SHIFT));
  }
}

/** One machine's snapshot machinery: takes and restores its snapshots and keeps track of what
 *  changed since the base (see the module comment). */
export class SnapshotKeeper {
  /** Frame references the machine's snapshots hold (their own account, without a limit: they
   *  only share frames, and the machine's pool limits what it allocates). */
  private readonly pool: FramePool;
  private base: Snapshot | null = null;
  /** Pages of the base with a private writable copy, and pages mapped, unmapped or protected
   *  since the base (or copied read-only for a host write). */
  private readonly hot: number[] = [];
  private readonly changed = new Set<number>();
  private readonly counts = { taken: 0, restores: 0, fullRestores: 0, pagesRestored: 0, pagesCopied: 0 };
  /** @internal Guest RAM (toBuffer reads frames from it). */
  readonly mem: Uint8Array;

  constructor(
    private readonly kernel: Exokernel,
    private readonly envCap: CapHandle,
    private readonly env: Environment,
    private readonly space: AddressSpace,
    private readonly spaceCap: CapHandle,
  ) {
    this.pool = new FramePool(kernel.frames, Infinity);
    this.mem = kernel.mem.u8;
    // Copy-on-write faults are resolved in place, without an exit (the exokernel offers user
    // page faults to the environment's handler; the machine runs no scheduler, so only this
    // part of the handler is ever called).
    env.handler = {
      handleExit: () => {},
      resolvePageFault: (_env, addr, error) => {
        try {
          return this.resolveFault(addr, error);
        } catch (e) {
          // Out of frames: the fault exits, and run() reports E_NOMEM from resolving it there
          // (with the CPU state precise, as after any fault).
          if (e instanceof ExojitError && e.code === "E_NOMEM") return false;
          throw e;
        }
      },
    };
  }

  stats(): SnapshotStats {
    return { ...this.counts, framesHeld: this.pool.used };
  }

  take(): Snapshot {
    const vas: number[] = [], ppns: number[] = [], writable: number[] = [];
    this.space.forEach(0, USER_TOP, (va, pte) => {
      vas.push(va);
      ppns.push(pte >>> PAGE_SHIFT);
      writable.push((pte & (PTE_W | PTE_COW)) !== 0 ? 1 : 0);
    });
    const frames: Frames = { pool: this.pool, ppns: Int32Array.from(ppns), live: true };
    let k = 0;
    try {
      for (; k < ppns.length; k++) this.pool.share(ppns[k]);
    } catch (e) {
      // (a frame's reference count is 16-bit: some 65,000 unreleased snapshots of one page)
      for (let u = 0; u < k; u++) this.pool.release(ppns[u]);
      if (e instanceof ExoError) throw new ExojitError("E_NOMEM", `snapshot: ${e.message} (release snapshots no longer needed)`);
      throw e;
    }
    // Shared now: writable pages become copy-on-write.
    for (k = 0; k < vas.length; k++) if (writable[k]) this.space.protect(vas[k], MAP_WRITE);
    // (x87 state is made if the guest never used it: every register's contents, empty ones
    // too, are kept and put back exactly)
    const ctx = new CpuCapture(this.kernel.cpu);
    const s = makeSnapshot(this.kernel.mem.size, { owner: this, vas: Int32Array.from(vas), writable: Uint8Array.from(writable), frames, ctx, tls: this.env.tls.slice(), image: null });
    finalizer.register(s, frames, s);
    this.setBase(s);
    this.counts.taken++;
    return s;
  }

  restore(snap: Snapshot): void {
    const s = live(snap);
    if (s.owner === null) return this.restoreImage(s.image!);
    if (s.owner !== this) throw new ExojitError("E_SNAPSHOT", "the snapshot belongs to another machine (restore toBuffer()'s bytes instead)");
    if (snap === this.base) {
      const hot = this.hot;
      let n = 0;
      for (let i = 0; i < hot.length; i++) {
        const va = hot[i];
        if (this.changed.has(va)) continue; // (put back below, and no longer hot)
        if (this.refresh(s, va)) hot[n++] = va;
        else this.restorePage(s, va);
      }
      hot.length = n;
      for (const va of this.changed) this.restorePage(s, va);
      this.changed.clear();
    } else {
      const live: number[] = [];
      this.space.forEach(0, USER_TOP, (va) => live.push(va));
      for (const va of live) if (!s.index.has(va)) this.space.unmap(va);
      for (let k = 0; k < s.vas.length; k++) this.restorePage(s, s.vas[k]);
      this.counts.fullRestores++;
      this.setBase(snap);
    }
    s.ctx!.load(this.kernel.cpu);
    setTlsWords(this.kernel, this.envCap, this.env, s.tls);
    this.counts.restores++;
  }

  /** Puts a hot page's snapshot bytes back in place if it was written (see the module
   *  comment); false when the page is not hot any more (remapped, protected, shared). */
  private refresh(s: SnapshotData, va: number): boolean {
    const k = s.index.get(va);
    if (k === undefined || s.writable[k] === 0) return false;
    const pte = this.space.pte(va);
    if ((pte & (PTE_P | PTE_W | PTE_COW)) !== (PTE_P | PTE_W)) return false;
    const live = pte >>> PAGE_SHIFT, ppn = s.frames!.ppns[k];
    if (live === ppn || this.kernel.frames.refs[live] !== 1) return false;
    // Code was translated from the snapshot's frame: mapping that frame back keeps it.
    if (this.kernel.cpu.codePages[ppn] !== 0) return false;
    if (pte & PTE_D) {
      this.kernel.frameReused(live);
      this.kernel.mem.copyPage(live, ppn);
      this.space.clearDirty(va);
      this.kernel.cpu.tlbW[va >>> PAGE_SHIFT] = TLB_INVALID;
      this.counts.pagesRestored++;
    }
    return true;
  }

  /** A snapshot was released. */
  forget(s: Snapshot): void {
    if (this.base === s) this.setBase(null);
  }

  /** The embedder mapped, unmapped or protected [start, end). */
  mappingChanged(start: number, end: number): void {
    if (this.base === null) return;
    for (let va = start; va < end; va += PAGE) this.changed.add(va);
  }

  /** Before the host writes [addr, addr + len): mapped copy-on-write pages there get their
   *  private copy (so the snapshot's frame keeps its bytes). */
  unshare(addr: number, len: number): void {
    for (let va = addr & ~(PAGE - 1); va < addr + len && va < USER_TOP; va += PAGE) {
      const pte = this.space.pte(va);
      if ((pte & PTE_P) === 0) continue;
      if (pte & PTE_COW) this.breakCow(va);
      else if (this.kernel.frames.refs[pte >>> PAGE_SHIFT] > 1) this.copyReadOnly(va, pte);
      // (host writes do not go through the page tables: the dirty bit is set for them)
      if (this.base !== null) this.space.touch(va, true);
    }
  }

  /** The host writes a read-only page a snapshot shares: it gets a private copy, read-only. */
  private copyReadOnly(va: number, pte: number): void {
    let frame: number;
    try {
      frame = this.space.pool.alloc(false);
    } catch (e) {
      if (e instanceof ExoError) throw new ExojitError("E_NOMEM", `copying page 0x${va.toString(16)} after a snapshot`);
      throw e;
    }
    this.kernel.mem.copyPage(frame, pte >>> PAGE_SHIFT);
    this.kernel.frameReused(frame);
    this.space.map(va, frame, 0);
    this.counts.pagesCopied++;
    if (this.base !== null) this.changed.add(va);
  }

  /** A guest page fault: resolves a write to a copy-on-write page (true: run on). */
  resolveFault(addr: number, error: number): boolean {
    if ((error & (PF_PRESENT | PF_WRITE)) !== (PF_PRESENT | PF_WRITE)) return false;
    const va = (addr & ~(PAGE - 1)) >>> 0;
    if (va >= USER_TOP || (this.space.pte(va) & (PTE_P | PTE_COW)) !== (PTE_P | PTE_COW)) return false;
    this.breakCow(va);
    return true;
  }

  private breakCow(va: number): void {
    const before = this.space.frame(va);
    let frame: number;
    try {
      frame = this.space.breakCow(va);
    } catch (e) {
      if (e instanceof ExoError && (e.code === "E_NOMEM" || e.code === "E_QUOTA")) throw new ExojitError("E_NOMEM", `copying page 0x${va.toString(16)} after a snapshot`);
      throw e;
    }
    if (frame !== before) {
      this.kernel.frameReused(frame);
      this.counts.pagesCopied++;
    }
    if (this.base !== null) this.hot.push(va);
  }

  private setBase(s: Snapshot | null): void {
    this.base = s;
    this.hot.length = 0;
    this.changed.clear();
  }

  /** Makes the page at `va` what it was in snapshot `s` (bound to this machine). */
  private restorePage(s: SnapshotData, va: number): void {
    const k = s.index.get(va);
    const pte = this.space.pte(va);
    if (k === undefined) {
      if (pte & PTE_P) this.space.unmap(va);
      return;
    }
    const ppn = s.frames!.ppns[k];
    if ((pte & PTE_P) === 0 || pte >>> PAGE_SHIFT !== ppn) {
      this.space.pool.share(ppn);
      this.space.map(va, ppn, 0);
      this.counts.pagesRestored++;
    }
    // (writable and shared with the snapshot: copy-on-write)
    this.space.protect(va, s.writable[k] ? MAP_WRITE : 0);
  }

  /** Restores a snapshot made from a buffer: its CPU state, then its pages copied into fresh
   *  frames in place of every mapping. */
  private restoreImage(img: SnapshotImage): void {
    if (img.memory !== this.kernel.mem.size) throw new ExojitError("E_SNAPSHOT", `taken on a machine with ${img.memory} bytes of memory, this one has ${this.kernel.mem.size}`);
    // Enough frames once the current pages are gone (those no snapshot shares)? Counting a
    // page table for every 4 MiB the snapshot touches (some exist already), so that running
    // out half-way cannot happen.
    const live: number[] = [];
    let freed = 0;
    this.space.forEach(0, USER_TOP, (va, pte) => {
      live.push(va);
      if (this.kernel.frames.refs[pte >>> PAGE_SHIFT] === 1) freed++;
    });
    const tables = new Set<number>();
    for (let k = 0; k < img.vas.length; k++) tables.add(img.vas[k] >>> 22);
    if (img.vas.length + tables.size > this.kernel.frames.available + freed) {
      throw new ExojitError("E_NOMEM", `the snapshot has ${img.vas.length} pages, the machine has room for ${this.kernel.frames.available + freed}`);
    }
    applyCpuImage(this.kernel, this.envCap, this.env, img.cpu);
    for (const va of live) this.space.unmap(va);
    const mem = this.kernel.mem.u8;
    try {
      for (let k = 0; k < img.vas.length; k++) {
        const ppn = this.kernel.mapNew(this.spaceCap, img.vas[k], img.flags[k] & PAGE_WRITABLE ? MAP_WRITE : 0);
        const at = img.offsets[k];
        if (at >= 0) mem.set(img.data.subarray(at, at + PAGE), ppn << PAGE_SHIFT);
      }
    } catch (e) {
      if (e instanceof ExoError && (e.code === "E_NOMEM" || e.code === "E_QUOTA")) throw new ExojitError("E_NOMEM", `restoring ${img.vas.length} pages`);
      throw e;
    }
    this.setBase(null);
    this.counts.restores++;
    this.counts.fullRestores++;
  }
}
