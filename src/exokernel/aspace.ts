// Address spaces as real IA-32 page tables in guest physical memory: a page directory, page
// tables allocated on demand, and 4 KiB PTEs written with the hardware's bit layout, so the CPU's
// page walk (hw/mmu.ts) is what enforces them. The top 4 MiB belong to the exokernel (the GDT
// lives there) and are supervisor-only.
//
// Sharing rules. Several environments may run in one address space (threads); it is destroyed
// when the last one lets go. `duplicate` makes a copy-on-write twin: every private page is
// shared read-only by both spaces and marked PTE_COW; pages mapped with MAP_SHARE stay shared
// and writable in both. A write to a PTE_COW page faults like any protection fault; the library
// OS decides it is a copy-on-write fault and asks `Exokernel.copyOnWrite` to give the space a
// private copy (or, when no one else holds the frame any more, just the write permission back).

import type { PhysMemory } from "../hw/memory.js";
import { PAGE_SHIFT } from "../hw/memory.js";
import { PTE_P, PTE_W, PTE_U, PTE_A, PTE_D, PTE_FRAME } from "../hw/mmu.js";
import type { FramePool } from "./frames.js";
import { ExoError } from "./errors.js";

/** First address user mappings may not reach (Linux i386's 3 GiB split). */
export const USER_TOP = 0xc0000000;
/** Where each address space maps its GDT (supervisor-only). */
export const GDT_VA = 0xfffff000;

/** Flags a library OS may set on a mapping: writable; stays shared (not copy-on-write) when
 *  the space is duplicated; and one bit free for the library's own use. */
export const MAP_WRITE = PTE_W;
/** The page-table bits the CPU sets: accessed and dirty (what /proc/PID/smaps reports). */
export const PAGE_ACCESSED = PTE_A, PAGE_DIRTY = PTE_D;
export const MAP_SHARE = 1 << 9;
export const MAP_SOFT = 1 << 11;
const MAP_FLAGS = MAP_WRITE | MAP_SHARE | MAP_SOFT;
/** PTE software bit: the page is copy-on-write (read-only now; writable once private). */
export const PTE_COW = 1 << 10;

let nextSpaceId = 1;

export class AddressSpace {
  readonly id = nextSpaceId++;
  /** Page directory frame. */
  readonly pd: number;
  /** Frame holding this space's GDT (mapped supervisor-only at GDT_VA). */
  readonly gdt: number;
  private readonly mem: PhysMemory;
  /** Number of user pages mapped, and the most there have been (the resident high-water mark
   *  getrusage reports as ru_maxrss; a duplicate's starts at what it holds, as Linux's dup_mm
   *  sets it). */
  pages = 0;
  peakPages = 0;
  /** Environments running in this space; the space is destroyed when the last one leaves. */
  users = 0;
  /** The environment whose thread-local descriptors the GDT holds now (see Exokernel.load). */
  gdtOwner: unknown = null;
  /** The local descriptor table (modify_ldt): its frames, mapped supervisor-only from LDT_VA,
   *  and how many entries it has (0: none). Shared by the threads of the space. */
  readonly ldt: { frames: number[]; entries: number } = { frames: [], entries: 0 };
  /** The space this one was duplicated from, and the pages that lost their write permission
   *  there for it: when this space goes, those the source alone still holds get it back (a
   *  fork whose child exits or execs costs its parent no copy-on-write faults). */
  private cowSource: AddressSpace | null = null;
  private cowPages: number[] = [];
  private destroyed = false;

  constructor(
    readonly pool: FramePool,
    /** Called after a mapping changes, to drop stale TLB entries if this space is live. */
    private readonly invalidate: (as: AddressSpace, va: number) => void,
  ) {
    this.mem = pool.frames.mem;
    this.pd = pool.alloc();
    this.gdt = pool.alloc();
    this.install(GDT_VA, this.gdt, PTE_W);
  }

  get alive(): boolean {
    return !this.destroyed;
  }

  /** CR3 value selecting this address space. */
  get cr3(): number {
    return this.pd << PAGE_SHIFT;
  }

  private pdeIndex(va: number): number {
    return (this.pd << (PAGE_SHIFT - 2)) + (va >>> 22);
  }

  /** Int32 index of the PTE for `va`, or -1 when no page table covers it. */
  private pteIndex(va: number): number {
    const pde = this.mem.i32[this.pdeIndex(va)];
    if ((pde & PTE_P) === 0) return -1;
    return ((pde & PTE_FRAME) >>> 2) + ((va >>> PAGE_SHIFT) & 0x3ff);
  }

  /** The PTE mapping `va` (0 if none). */
  pte(va: number): number {
    const i = this.pteIndex(va);
    return i < 0 ? 0 : this.mem.i32[i];
  }

  /** The frame mapped at `va`, or -1. */
  frame(va: number): number {
    const p = this.pte(va);
    return (p & PTE_P) === 0 ? -1 : p >>> PAGE_SHIFT;
  }

  private checkUser(va: number): void {
    if (va >>> 0 >= USER_TOP || (va & 0xfff) !== 0) throw new ExoError("E_RANGE", `0x${(va >>> 0).toString(16)}`);
  }

  /**
   * Maps frame `ppn` at user address `va`. The caller hands over one pool reference to `ppn`;
   * an existing mapping at `va` is released. `flags` may hold MAP_WRITE and MAP_SOFT bits.
   */
  map(va: number, ppn: number, flags: number): void {
    this.checkUser(va);
    this.install(va, ppn, (flags & MAP_FLAGS) | PTE_U);
  }

  private install(va: number, ppn: number, bits: number): void {
    if (this.destroyed) throw new ExoError("E_INVAL", "address space destroyed");
    let i = this.pteIndex(va);
    if (i < 0) {
      const pt = this.pool.alloc();
      this.mem.i32[this.pdeIndex(va)] = (pt << PAGE_SHIFT) | PTE_P | PTE_W | PTE_U;
      i = (pt << (PAGE_SHIFT - 2)) + ((va >>> PAGE_SHIFT) & 0x3ff);
    }
    const old = this.mem.i32[i];
    if (old & PTE_P) this.pool.release(old >>> PAGE_SHIFT);
    else if (va >>> 0 < USER_TOP && ++this.pages > this.peakPages) this.peakPages = this.pages;
    this.mem.i32[i] = (ppn << PAGE_SHIFT) | bits | PTE_P;
    if (old & PTE_P) this.invalidate(this, va);
  }

  /** Maps a supervisor-only page in the exokernel's region (the LDT); takes over one pool
   *  reference to `ppn`. */
  mapKernel(va: number, ppn: number): void {
    if (va >>> 0 < USER_TOP) throw new ExoError("E_RANGE", `0x${(va >>> 0).toString(16)} is a user address`);
    this.install(va, ppn, PTE_W);
  }

  /** Removes the mapping at `va` (if any) and releases its frame. */
  unmap(va: number): void {
    this.checkUser(va);
    const i = this.pteIndex(va);
    if (i < 0) return;
    const old = this.mem.i32[i];
    if ((old & PTE_P) === 0) return;
    this.mem.i32[i] = 0;
    this.pool.release(old >>> PAGE_SHIFT);
    this.pages--;
    this.invalidate(this, va);
  }

  /** Moves the mapping at `from` (frame, permissions, copy-on-write state) to the unmapped
   *  user address `to`. */
  move(from: number, to: number): void {
    this.checkUser(from);
    this.checkUser(to);
    const i = this.presentIndex(from);
    if (i < 0) return;
    const pte = this.mem.i32[i];
    if (this.presentIndex(to) >= 0) throw new ExoError("E_INVAL", "move onto a mapped page");
    this.pool.share(pte >>> PAGE_SHIFT); // install takes over one reference...
    this.install(to, pte >>> PAGE_SHIFT, pte & 0xfff & ~PTE_P);
    this.unmap(from); // ...and unmapping the old address drops the other
  }

  /** Changes the writable and software bits of an existing mapping. A private page whose frame
   *  is still shared with another space becomes copy-on-write instead of writable. */
  protect(va: number, flags: number): void {
    this.checkUser(va);
    const i = this.pteIndex(va);
    if (i < 0) return;
    const old = this.mem.i32[i];
    if ((old & PTE_P) === 0) return;
    let upd = (old & ~(MAP_FLAGS | PTE_COW)) | (flags & MAP_FLAGS);
    if (upd & PTE_W && (upd & MAP_SHARE) === 0 && this.pool.frames.refs[old >>> PAGE_SHIFT] > 1) upd = (upd & ~PTE_W) | PTE_COW;
    if (upd !== old) {
      this.mem.i32[i] = upd;
      this.invalidate(this, va);
    }
  }

  /** Int32 index of the present PTE for user address `va`, or -1. */
  private presentIndex(va: number): number {
    const i = this.pteIndex(va);
    return i >= 0 && (this.mem.i32[i] & PTE_P) !== 0 ? i : -1;
  }

  /**
   * Makes the copy-on-write page at `va` writable for this space alone: a frame no one else
   * holds any more just gets its write permission back, a shared one is copied into a new frame
   * from the pool. Returns the frame now mapped, or -1 if the page is not copy-on-write.
   */
  breakCow(va: number): number {
    const i = this.presentIndex(va);
    if (i < 0) return -1;
    const old = this.mem.i32[i];
    if ((old & PTE_COW) === 0) return -1;
    const ppn = old >>> PAGE_SHIFT;
    let frame = ppn;
    if (this.pool.frames.refs[ppn] > 1) {
      frame = this.pool.alloc(false);
      this.mem.copyPage(frame, ppn);
      this.pool.release(ppn);
    }
    this.mem.i32[i] = (frame << PAGE_SHIFT) | ((old & 0xfff & ~PTE_COW) | PTE_W);
    this.invalidate(this, va);
    return frame;
  }

  /** Makes the present private page at `va` the space's own frame (a copy, if others share
   *  it), keeping its permissions: a copy-on-write page becomes writable, a read-only one stays
   *  read-only. Returns the frame; -1 if the page is not present or is a shared mapping. */
  privatize(va: number): number {
    const i = this.presentIndex(va);
    if (i < 0) return -1;
    const old = this.mem.i32[i];
    if ((old & MAP_SHARE) !== 0) return -1;
    const ppn = old >>> PAGE_SHIFT;
    let frame = ppn;
    if (this.pool.frames.refs[ppn] > 1) {
      frame = this.pool.alloc(false);
      this.mem.copyPage(frame, ppn);
      this.pool.release(ppn);
    }
    const flags = (old & 0xfff & ~PTE_COW) | ((old & PTE_COW) !== 0 ? PTE_W : 0);
    this.mem.i32[i] = (frame << PAGE_SHIFT) | flags;
    this.invalidate(this, va);
    return frame;
  }

  /**
   * Fills the empty space `dst` with this space's user mappings, copy-on-write: private pages
   * are shared read-only by both and marked PTE_COW, MAP_SHARE pages stay shared as they are.
   * The caller flushes the TLB afterwards (this space's PTEs lose their write permission).
   */
  duplicate(dst: AddressSpace): void {
    if (dst.pages !== 0) throw new ExoError("E_INVAL", "duplicate into a space that is not empty");
    dst.cowSource = this;
    const i32 = this.mem.i32;
    for (let d = 0; d < USER_TOP >>> 22; d++) {
      const pde = i32[(this.pd << (PAGE_SHIFT - 2)) + d];
      if ((pde & PTE_P) === 0) continue;
      const pt = (pde >>> PAGE_SHIFT) << (PAGE_SHIFT - 2);
      for (let k = 0; k < 1024; k++) {
        let pte = i32[pt + k];
        if ((pte & PTE_P) === 0) continue;
        if ((pte & MAP_SHARE) === 0 && (pte & (PTE_W | PTE_COW)) !== 0) {
          pte = (pte & ~PTE_W) | PTE_COW;
          i32[pt + k] = pte;
          dst.cowPages.push(((d << 22) | (k << PAGE_SHIFT)) >>> 0);
        }
        dst.pool.share(pte >>> PAGE_SHIFT);
        dst.install(((d << 22) | (k << PAGE_SHIFT)) >>> 0, pte >>> PAGE_SHIFT, pte & (MAP_FLAGS | PTE_COW | PTE_U | PTE_A | PTE_D));
      }
    }
  }

  /** Checks a user access to the page at `va` as the MMU would and sets its accessed (and for a
   *  write, dirty) bit; returns the PTE, or 0 when the access is not allowed. */
  touch(va: number, write: boolean): number {
    const i = this.pteIndex(va);
    if (i < 0) return 0;
    const pte = this.mem.i32[i];
    if ((pte & (PTE_P | PTE_U)) !== (PTE_P | PTE_U) || (write && (pte & PTE_W) === 0)) return 0;
    const upd = pte | PTE_A | (write ? PTE_D : 0);
    // (A copy-on-write page is not writable here: the caller resolves the fault and retries.)
    if (upd !== pte) this.mem.i32[i] = upd;
    return upd;
  }

  /** Whether the page at `va` has been written since mapped (the CPU's dirty bit). */
  dirty(va: number): boolean {
    return (this.pte(va) & PTE_D) !== 0;
  }

  /** Clears the dirty bit of the page at `va` (so the CPU sets it again on the next write to
 *  it). The caller drops the page's cached write permission from the TLB. */
  clearDirty(va: number): void {
    const i = this.presentIndex(va);
    if (i >= 0) this.mem.i32[i] &= ~PTE_D;
  }

  /** Marks the page at `va` clean after its contents were written back (msync), so that only
   *  a later write makes it dirty again. */
  clean(va: number): void {
    const i = this.presentIndex(va);
    if (i < 0 || (this.mem.i32[i] & PTE_D) === 0) return;
    this.mem.i32[i] &= ~PTE_D;
    this.invalidate(this, va);
  }

  /** Calls fn(va, pte) for every present user page in [start, end). */
  forEach(start: number, end: number, fn: (va: number, pte: number) => void): void {
    for (let va = start >>> 0; va < end >>> 0 && va < USER_TOP; ) {
      const pde = this.mem.i32[this.pdeIndex(va)];
      if ((pde & PTE_P) === 0) {
        va = ((va >>> 22) + 1) << 22 >>> 0;
        continue;
      }
      const p = this.pte(va);
      if (p & PTE_P) fn(va, p);
      va += 0x1000;
    }
  }

  /** How many holders frame `ppn` has: the address spaces mapping it, and the object (file,
   *  shared memory) that keeps it, if one does. */
  holders(ppn: number): number {
    return this.pool.frames.refs[ppn];
  }

  /** Gives the write permission back to a copy-on-write page whose frame no other space holds
   *  any more (the duplicate it was shared with is gone). */
  private regainWrite(va: number): void {
    const i = this.presentIndex(va);
    if (i < 0) return;
    const pte = this.mem.i32[i];
    if ((pte & PTE_COW) === 0 || this.pool.frames.refs[pte >>> PAGE_SHIFT] !== 1) return;
    this.mem.i32[i] = (pte & ~PTE_COW) | PTE_W;
    this.invalidate(this, va);
  }

  /** Releases every frame, page table and the directory. */
  destroy(): void {
    if (this.destroyed) return;
    const i32 = this.mem.i32;
    for (let d = 0; d < 1024; d++) {
      const pde = i32[(this.pd << (PAGE_SHIFT - 2)) + d];
      if ((pde & PTE_P) === 0) continue;
      const pt = pde >>> PAGE_SHIFT;
      for (let k = 0; k < 1024; k++) {
        const pte = i32[(pt << (PAGE_SHIFT - 2)) + k];
        if (pte & PTE_P) this.pool.release(pte >>> PAGE_SHIFT);
      }
      this.pool.release(pt);
    }
    this.pool.release(this.pd);
    this.pages = 0;
    this.destroyed = true;
    const src = this.cowSource;
    if (src !== null && src.alive) for (const va of this.cowPages) src.regainWrite(va);
    this.cowSource = null;
    this.cowPages = [];
  }
}

