// Address spaces as real IA-32 page tables in guest physical memory: a page directory, page
// tables allocated on demand, and 4 KiB PTEs written with the hardware's bit layout, so the CPU's
// page walk (hw/mmu.ts) is what enforces them. The top 4 MiB belong to the exokernel (the GDT
// lives there) and are supervisor-only.

import type { PhysMemory } from "../hw/memory.js";
import { PAGE_SHIFT } from "../hw/memory.js";
import { PTE_P, PTE_W, PTE_U, PTE_A, PTE_D, PTE_FRAME } from "../hw/mmu.js";
import type { FramePool } from "./frames.js";
import { ExoError } from "./errors.js";

/** First address user mappings may not reach (Linux i386's 3 GiB split). */
export const USER_TOP = 0xc0000000;
/** Where each address space maps its GDT (supervisor-only). */
export const GDT_VA = 0xfffff000;

/** Flags a library OS may set on a mapping: writable, plus the three bits free for software. */
export const MAP_WRITE = PTE_W;
export const MAP_SOFT = 7 << 9;

export class AddressSpace {
  /** Page directory frame. */
  readonly pd: number;
  private readonly mem: PhysMemory;
  /** Number of user pages mapped. */
  pages = 0;
  private destroyed = false;

  constructor(
    readonly pool: FramePool,
    /** Called after a mapping changes, to drop stale TLB entries if this space is live. */
    private readonly invalidate: (va: number) => void,
  ) {
    this.mem = pool.frames.mem;
    this.pd = pool.alloc();
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
    this.install(va, ppn, (flags & (MAP_WRITE | MAP_SOFT)) | PTE_U);
  }

  /** Maps a supervisor-only page in the exokernel's region (GDT). */
  mapKernel(va: number, ppn: number): void {
    if (va >>> 0 < USER_TOP) throw new ExoError("E_RANGE");
    this.install(va, ppn, PTE_W);
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
    else if (va >>> 0 < USER_TOP) this.pages++;
    this.mem.i32[i] = (ppn << PAGE_SHIFT) | bits | PTE_P;
    if (old & PTE_P) this.invalidate(va);
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
    this.invalidate(va);
  }

  /** Changes the writable and software bits of an existing mapping. */
  protect(va: number, flags: number): void {
    this.checkUser(va);
    const i = this.pteIndex(va);
    if (i < 0) return;
    const old = this.mem.i32[i];
    if ((old & PTE_P) === 0) return;
    const upd = (old & ~(MAP_WRITE | MAP_SOFT)) | (flags & (MAP_WRITE | MAP_SOFT));
    if (upd !== old) {
      this.mem.i32[i] = upd;
      this.invalidate(va);
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
    if (upd !== pte) this.mem.i32[i] = upd;
    return upd;
  }

  /** Whether the page at `va` has been written since mapped (the CPU's dirty bit). */
  dirty(va: number): boolean {
    return (this.pte(va) & PTE_D) !== 0;
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
  }
}

