// Physical page frames: a free stack over guest RAM with a reference count per frame (frames are
// shared between address spaces after fork and for zero-copy sharing), and pools that account
// frames to their owner against a limit. Frames are zeroed when allocated, so no environment
// ever sees another's data: filled with zeros, or never written yet (PhysMemory.zeroFrom).
// Filling a frame the host had not mapped in yet made it fault the page in, whether the guest
// used the page or not (a brk or mmap region, a stack, a page table): on this project's
// virtual machines a fault costs some 12 us, and of the frames Debian's `perl -e 1` was given,
// 1,175 of 1,178 had never been handed out (python3 -c pass: 2,093 of 2,128; a static
// hello-world 177 of 180).

import type { PhysMemory } from "../hw/memory.js";
import { ExoError } from "./errors.js";

export class FrameAllocator {
  private readonly free: Int32Array;
  private top = 0;
  /** Reference count per frame (0 = free or reserved). */
  readonly refs: Uint16Array;
  /** Most frames in use at once so far. */
  peak = 0;
  /** Asked for `n` frames back (by a library OS's caches) before an allocation fails; returns
   *  how many it freed. */
  reclaim: ((n: number) => number) | null = null;

  constructor(
    readonly mem: PhysMemory,
    /** Frames below this number are never handed out (kept for firmware and the exokernel). */
    readonly reserved: number,
  ) {
    this.free = new Int32Array(mem.pages);
    this.refs = new Uint16Array(mem.pages);
    this.fresh = reserved;
  }

  /** Frames from here up have never been handed out: they are taken in ascending order once no
   *  freed frame is left (low frames first keeps RAM use compact), so the free stack needs no
   *  filling at start-up (262144 entries for 1 GiB). */
  private fresh: number;

  get available(): number {
    return this.top + (this.mem.pages - this.fresh);
  }

  get total(): number {
    return this.mem.pages - this.reserved;
  }

  /** A frame with one reference, zeroed unless the caller overwrites all of it (`zero` false);
   *  throws E_NOMEM when RAM is exhausted. */
  alloc(zero = true): number {
    if (this.top === 0 && this.fresh === this.mem.pages && (this.reclaim === null || this.reclaim(64) === 0 || this.top === 0)) throw new ExoError("E_NOMEM");
    const ppn = this.top > 0 ? this.free[--this.top] : this.fresh++;
    this.refs[ppn] = 1;
    const used = this.total - this.available;
    if (used > this.peak) this.peak = used;
    const mem = this.mem;
    if (ppn < mem.zeroFrom) {
      if (zero) mem.zeroPage(ppn);
    } else mem.dirtied(ppn);
    return ppn;
  }

  ref(ppn: number): void {
    if (this.refs[ppn] === 0) throw new Error(`ref of free frame ${ppn} (exokernel bug)`);
    if (this.refs[ppn] === 0xffff) throw new ExoError("E_NOMEM", "frame shared too many times");
    this.refs[ppn]++;
  }

  /** Drops a reference; returns true when the frame became free. */
  unref(ppn: number): boolean {
    if (this.refs[ppn] === 0) throw new Error(`unref of free frame ${ppn} (exokernel bug)`);
    if (--this.refs[ppn] !== 0) return false;
    this.free[this.top++] = ppn;
    return true;
  }
}

/** A frame quota: what a capability of type CAP_FRAMES names. */
export class FramePool {
  used = 0;

  constructor(
    readonly frames: FrameAllocator,
    /** Most frames this pool may hold at once. */
    public limit: number,
  ) {}

  alloc(zero = true): number {
    if (this.used >= this.limit) throw new ExoError("E_QUOTA", `${this.limit} frames`);
    const ppn = this.frames.alloc(zero);
    this.used++;
    return ppn;
  }

  /** Takes a reference to a frame already owned elsewhere (sharing, copy-on-write). */
  share(ppn: number): void {
    if (this.used >= this.limit) throw new ExoError("E_QUOTA", `${this.limit} frames`);
    this.frames.ref(ppn);
    this.used++;
  }

  release(ppn: number): void {
    this.frames.unref(ppn);
    this.used--;
  }
}
