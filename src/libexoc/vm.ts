// A process's memory map: the regions (VMAs) it has asked for with mmap/brk/exec, and the policy
// that fills them on demand. The exokernel only knows page mappings; which page should hold what
// (zeroes, a page of a file from the page cache, a shared page, a private copy after fork) is
// decided here when the page is first touched, through a page-fault exit or a system call's
// access to user memory.
//
// Private file pages are the page cache's frames mapped read-only (copy-on-write if the region
// is writable), so every process running a program shares its text; the page holding the end of
// an ELF segment's file bytes is a private copy with the rest zeroed (.bss). Shared regions map
// their object's frames writable and stay shared across fork.

import type { Exokernel } from "../exokernel/kernel.js";
import type { CapHandle } from "../exokernel/caps.js";
import { MAP_WRITE, MAP_SHARE, USER_TOP } from "../exokernel/aspace.js";
import { ExoError } from "../exokernel/errors.js";
import { sysError } from "./errors.js";
import { READ_AROUND, type MemObject } from "./pagecache.js";

export const PROT_NONE = 0, PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;
export const PAGE = 4096;

export class Vma {
  /** Protections mprotect may grant (a read-only System V attachment cannot become writable). */
  maxProt = PROT_READ | PROT_WRITE | PROT_EXEC;

  constructor(
    public start: number,
    public end: number,
    public prot: number,
    public shared: boolean,
    /** Where pages below `fileEnd` come from (null: anonymous zero pages). The VMA holds one
     *  reference, taken by whoever creates it. */
    public object: MemObject | null,
    /** Object offset of `start`. */
    public offset: number,
    /** Object bytes are used only below this address; above it pages are zero (ELF .bss). */
    public fileEnd: number,
    public name: string,
  ) {}

  /** madvise's MADV_DONTFORK (a child gets no such region) and MADV_WIPEONFORK (a child gets
   *  it zero-filled). */
  dontFork = false;
  wipeOnFork = false;
  /** MADV_DONTDUMP: a core file leaves the region's contents out. */
  dontDump = false;
  /** Locked (mlock, mlockall, MAP_LOCKED): counted against RLIMIT_MEMLOCK and shown as VmLck.
   *  (Every guest page is resident anyway.) Not inherited across fork. */
  locked = false;
  /** MAP_GROWSDOWN: a fault in the unmapped space just below it extends it down (a stack), as
   *  far as Linux's stack guard gap from the region below allows (AddressMap.resolveFault). */
  growsDown = false;

  /** The part [start, end) of this region as a region of its own, holding its own reference. */
  clone(start: number, end: number): Vma {
    this.object?.hold();
    if (this.object && this.shared && this.prot & PROT_WRITE) this.object.writers(1);
    const v = new Vma(start, end, this.prot, this.shared, this.object, this.offset + (start - this.start), this.fileEnd, this.name);
    v.maxProt = this.maxProt;
    v.dontFork = this.dontFork;
    v.wipeOnFork = this.wipeOnFork;
    v.dontDump = this.dontDump;
    v.locked = this.locked;
    v.growsDown = this.growsDown;
    return v;
  }

  /** Lets go of the object (the region was unmapped). */
  drop(): void {
    if (this.object && this.shared && this.prot & PROT_WRITE) this.object.writers(-1);
    this.object?.release();
  }
}

/** Whether `b`, which starts where `a` ends, can be one region with it: the same protections,
 *  sharing, flags and name, and both anonymous or the same object at contiguous offsets (Linux's
 *  is_mergeable_vma and the offset test of can_vma_merge_after). */
function mergeable(a: Vma, b: Vma): boolean {
  return a.end === b.start && a.prot === b.prot && a.maxProt === b.maxProt && a.shared === b.shared && a.name === b.name &&
    a.dontFork === b.dontFork && a.wipeOnFork === b.wipeOnFork && a.dontDump === b.dontDump && a.locked === b.locked && a.growsDown === b.growsDown && a.object === b.object &&
    (a.object === null || (a.offset + (a.end - a.start) === b.offset && a.fileEnd === b.fileEnd));
}

/** The room a growing stack keeps from the region below it (Linux's stack_guard_gap: 256
 *  pages). */
export const STACK_GUARD_GAP = 256 * PAGE;

/** Fault resolution results. */
export const FAULT_OK = 0, FAULT_MAPERR = 1, FAULT_ACCERR = 2, FAULT_OOM = 3;
/** A file mapping's page wholly past the end of its file (SIGBUS, BUS_ADRERR, on Linux). */
export const FAULT_BUS = 4;

/** Regions a process may have (Linux's vm.max_map_count default): mmap fails with ENOMEM
 *  beyond it. */
export const MAX_MAP_COUNT = 65530;

/** Bottom of the area mmap hands out top-down (below the stack), as a 3 GiB i386 kernel does. */
export const MMAP_TOP = 0xb8000000;
export const MMAP_BOTTOM = 0x10000;
export const STACK_TOP = USER_TOP;
export const STACK_SIZE = 8 << 20;

export class AddressMap {
  /** Regions sorted by start; none overlap. Addresses are unsigned numbers. */
  readonly vmas: Vma[] = [];
  /** mlockall(MCL_FUTURE): regions mapped from now on are locked (Linux's VM_LOCKED in
   *  mm->def_flags; a fork or an exec starts without it). */
  lockFuture = false;
  brkStart = 0;
  brk = 0;

  constructor(
    private readonly kernel: Exokernel,
    readonly aspace: CapHandle,
  ) {}

  find(va: number): Vma | undefined {
    va >>>= 0;
    let lo = 0, hi = this.vmas.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.vmas[mid];
      if (va < v.start) hi = mid - 1;
      else if (va >= v.end) lo = mid + 1;
      else return v;
    }
    return undefined;
  }

  /** The index of the first region that ends after `addr` (vmas.length if none): the regions
   *  are sorted and disjoint, so a binary search (a process may have tens of thousands). */
  private firstEndingAfter(addr: number): number {
    let lo = 0, hi = this.vmas.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.vmas[mid].end <= addr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Whether [start, end) intersects no region. */
  isFree(start: number, end: number): boolean {
    const i = this.firstEndingAfter(start);
    return i === this.vmas.length || this.vmas[i].start >= end;
  }

  /** Bytes of locked regions in [start, end) (the whole space by default): locked_vm. */
  lockedBytes(start = 0, end = 2 ** 32): number {
    let n = 0;
    for (const v of this.vmas) if (v.locked && v.end > start && v.start < end) n += Math.min(v.end, end) - Math.max(v.start, start);
    return n;
  }

  /** Bytes of address space mapped (RLIMIT_AS). */
  get size(): number {
    let n = 0;
    for (const v of this.vmas) n += v.end - v.start;
    return n;
  }

  /** Bytes of private writable memory (what RLIMIT_DATA counts, as Linux does since 4.7). */
  get dataSize(): number {
    let n = 0;
    for (const v of this.vmas) if (!v.shared && (v.prot & PROT_WRITE) !== 0 && v.name !== "[stack]") n += v.end - v.start;
    return n;
  }

  /** A free range of `len` bytes, highest first below MMAP_TOP (or at/after `hint` if free). */
  findFree(len: number, hint = 0): number {
    if (hint !== 0 && hint + len <= MMAP_TOP && hint >= MMAP_BOTTOM && this.isFree(hint, hint + len)) return hint;
    let top = MMAP_TOP;
    for (let i = this.vmas.length - 1; i >= 0; i--) {
      const v = this.vmas[i];
      if (v.start >= top) continue;
      if (v.end <= top && top - v.end >= len) return top - len;
      top = v.start;
    }
    if (top - MMAP_BOTTOM >= len) return top - len;
    return sysError("ENOMEM", `no ${len}-byte hole`);
  }

  /** Adds a region (whose object reference it takes over), replacing whatever was mapped in
   *  its range; it becomes one with a neighbour it continues (mergeable). */
  map(v: Vma): void {
    if (v.start % PAGE || v.end % PAGE || v.end <= v.start || v.end > USER_TOP) sysError("EINVAL");
    this.unmap(v.start, v.end - v.start);
    if (v.object && v.shared && v.prot & PROT_WRITE) v.object.writers(1);
    // (nothing overlaps it now: it goes before the first region that ends after its start)
    this.vmas.splice(this.firstEndingAfter(v.start), 0, v);
    this.merge(v.start, v.end);
  }

  /** Makes each region that meets [start, end), and the neighbours on either side, one with the
   *  next where they are mergeable, as Linux's vma_merge does after mmap, mprotect, madvise and
   *  mlock: a range split by an mprotect and given its old protection back is one region again
   *  (mremap takes only a range within one region, and /proc/PID/maps shows one line). */
  private merge(start: number, end: number): void {
    let i = Math.max(0, this.firstEndingAfter(start) - 1);
    while (i + 1 < this.vmas.length && this.vmas[i].start <= end) {
      const a = this.vmas[i], b = this.vmas[i + 1];
      if (!mergeable(a, b)) {
        i++;
        continue;
      }
      a.end = b.end;
      b.drop();
      this.vmas.splice(i + 1, 1);
    }
  }

  /** Removes [start, start+len): pages are written back if shared and dirty, then released. */
  unmap(start: number, len: number): void {
    const end = start + len;
    // (only the regions that meet the range are replaced, found by a binary search: a process
    // with tens of thousands of regions unmaps one in time that does not grow with them)
    const first = this.firstEndingAfter(start);
    let last = first;
    const pieces: Vma[] = [];
    while (last < this.vmas.length && this.vmas[last].start < end) {
      const v = this.vmas[last++];
      const cutStart = Math.max(v.start, start), cutEnd = Math.min(v.end, end);
      this.releasePages(v, cutStart, cutEnd);
      if (v.start < cutStart) pieces.push(v.clone(v.start, cutStart));
      if (cutEnd < v.end) pieces.push(v.clone(cutEnd, v.end));
      v.drop();
    }
    if (last > first) this.vmas.splice(first, last - first, ...pieces);
  }

  private releasePages(v: Vma, start: number, end: number): void {
    const as = this.kernel.aspace(this.aspace);
    as.forEach(start, end, (va) => {
      if (v.shared && v.object && as.dirty(va)) v.object.writeBack(this.objectIndex(v, va));
      as.unmap(va);
    });
  }

  private objectIndex(v: Vma, page: number): number {
    return (v.offset + (page - v.start)) / PAGE;
  }

  /** Writes back the dirty pages of shared regions in [start, end) (msync); throws the first
   *  error a write-back of theirs met (since the last msync). */
  sync(start: number, end: number): void {
    const as = this.kernel.aspace(this.aspace);
    let failed: Error | null = null;
    for (const v of this.vmas) {
      if (!v.shared || !v.object || v.end <= start || v.start >= end) continue;
      as.forEach(Math.max(v.start, start), Math.min(v.end, end), (va) => {
        if (!as.dirty(va)) return;
        v.object?.writeBack(this.objectIndex(v, va));
        as.clean(va);
      });
      failed ??= v.object.takeWriteError?.() ?? null;
    }
    if (failed !== null) throw failed;
  }

  /** Drops the pages of [start, end) so the next touch starts afresh: zeroes for private
   *  anonymous memory, the file's bytes for private file pages, the shared contents for shared
   *  regions (MADV_DONTNEED). */
  discard(start: number, end: number): void {
    const as = this.kernel.aspace(this.aspace);
    for (const v of this.vmas) {
      if (v.end <= start || v.start >= end) continue;
      as.forEach(Math.max(v.start, start), Math.min(v.end, end), (va) => {
        if (v.shared && v.object && as.dirty(va)) v.object.writeBack(this.objectIndex(v, va));
        as.unmap(va);
      });
    }
  }

  /** Whether the page at `va` is in memory (mincore): mapped in the page tables, or, for a
   *  page of a file or shared object not mapped here yet, in its object (Linux looks at the
   *  page cache there). An anonymous page never touched is not. */
  resident(va: number): boolean {
    const page = (va >>> 0) - ((va >>> 0) % PAGE);
    if (this.kernel.aspace(this.aspace).frame(page) >= 0) return true;
    const v = this.find(page);
    if (v === undefined || v.object === null || page >= v.fileEnd) return false;
    return v.object.inMemory?.(this.objectIndex(v, page)) ?? false;
  }

  /** Faults in the pages of [start, end) as mlock and MAP_POPULATE do (Linux's
   *  populate_vma_page_range): a write fault for private writable regions (so the pages are the
   *  process's own), a read fault otherwise; regions without access are skipped. Throws ENOMEM
   *  when guest memory runs out (mlock turns it into EAGAIN, as Linux does). */
  populate(start: number, end: number): void {
    const as = this.kernel.aspace(this.aspace);
    for (const v of this.vmas) {
      if (v.end <= start || v.start >= end || v.prot === PROT_NONE) continue;
      const write = !v.shared && (v.prot & PROT_WRITE) !== 0;
      for (let va = Math.max(v.start, start); va < Math.min(v.end, end); va += PAGE) {
        if (as.frame(va) >= 0 && !write) continue;
        if (this.resolveFault(va, write) === FAULT_OOM) sysError("ENOMEM");
      }
    }
  }

  /** Sets what `set` sets on the regions of [start, end), splitting them at the edges. */
  mark(start: number, end: number, set: (v: Vma) => void): void {
    const out: Vma[] = [];
    for (const v of this.vmas) {
      if (v.end <= start || v.start >= end) {
        out.push(v);
        continue;
      }
      const a = Math.max(v.start, start), b = Math.min(v.end, end);
      if (v.start < a) out.push(v.clone(v.start, a));
      const mid = v.clone(a, b);
      set(mid);
      out.push(mid);
      if (b < v.end) out.push(v.clone(b, v.end));
      v.drop();
    }
    this.vmas.length = 0;
    this.vmas.push(...out);
    this.merge(start, end);
  }

  /** Whether every page of [start, end) is mapped (POSIX's ENOMEM for mprotect, madvise,
   *  msync otherwise). */
  covers(start: number, end: number): boolean {
    let at = start;
    for (const v of this.vmas) {
      if (v.end <= at || v.start >= end) continue;
      if (v.start > at) return false;
      at = v.end;
    }
    return at >= end;
  }

  /** Changes the protection of [start, start+len), splitting regions at the edges. */
  protect(start: number, len: number, prot: number): void {
    const end = start + len;
    if (!this.covers(start, end)) sysError("ENOMEM");
    for (const v of this.vmas) if (v.start < end && start < v.end && (prot & ~v.maxProt) !== 0) sysError("EACCES");
    const as = this.kernel.aspace(this.aspace);
    this.mark(start, end, (mid) => {
      if (mid.object && mid.shared) mid.object.writers(((prot & PROT_WRITE) !== 0 ? 1 : 0) - ((mid.prot & PROT_WRITE) !== 0 ? 1 : 0));
      mid.prot = prot;
      as.forEach(mid.start, mid.end, (va) => {
        if (prot === PROT_NONE) as.unmap(va);
        else as.protect(va, (prot & PROT_WRITE ? MAP_WRITE : 0) | (mid.shared ? MAP_SHARE : 0));
      });
    });
  }

  /**
   * Resolves a fault at `va`: a page of a region that was never touched gets its frame (zeroes,
   * the page cache's, the shared object's); a write to a copy-on-write page gets a private copy.
   * Returns FAULT_OK, or why the access is an error (FAULT_OOM: no frame left).
   */
  resolveFault(va: number, write: boolean): number {
    const v = this.find(va) ?? this.growDown(va);
    if (!v) return FAULT_MAPERR;
    if (v.prot === PROT_NONE || (write && (v.prot & PROT_WRITE) === 0)) return FAULT_ACCERR;
    const page = (va >>> 0) - ((va >>> 0) % PAGE);
    const as = this.kernel.aspace(this.aspace);
    try {
      if (as.frame(page) >= 0) {
        // Present but refused: a write to a copy-on-write page, or a real violation.
        return write && this.kernel.copyOnWrite(this.aspace, page) ? FAULT_OK : FAULT_ACCERR;
      }
      // (the file part of a mapping whose file ends before this page: no page to map)
      const inFile = v.object?.pagesInFile?.();
      if (inFile !== undefined && page < v.fileEnd && this.objectIndex(v, page) >= inFile) return FAULT_BUS;
      this.fill(v, page, write);
      return FAULT_OK;
    } catch (e) {
      if (e instanceof ExoError && (e.code === "E_NOMEM" || e.code === "E_QUOTA")) return FAULT_OOM;
      if (e instanceof Error && "errno" in e && (e as { errno: string }).errno === "ENOMEM") return FAULT_OOM;
      throw e;
    }
  }

  /** The MAP_GROWSDOWN region just above `va` (which no region maps), extended down to its page,
   *  unless that comes within STACK_GUARD_GAP of an accessible region below that does not grow
   *  down itself (Linux's expand_downwards); undefined if there is none or it may not grow. */
  private growDown(va: number): Vma | undefined {
    const i = this.firstEndingAfter(va >>> 0);
    const v = this.vmas[i] as Vma | undefined;
    if (v === undefined || !v.growsDown) return undefined;
    const page = (va >>> 0) - ((va >>> 0) % PAGE);
    const below = i > 0 ? this.vmas[i - 1] : undefined;
    if (below !== undefined && !below.growsDown && below.prot !== PROT_NONE && page - below.end < STACK_GUARD_GAP) return undefined;
    if (v.object !== null) v.offset -= v.start - page;
    v.start = page;
    return v;
  }

  private fill(v: Vma, page: number, write: boolean): void {
    const writable = (v.prot & PROT_WRITE) !== 0;
    const k = this.kernel;
    if (v.object === null || page >= v.fileEnd) {
      k.mapNew(this.aspace, page, writable ? MAP_WRITE : 0);
      return;
    }
    const src = v.object.page(this.objectIndex(v, page));
    if (v.shared || (page + PAGE <= v.fileEnd && !write)) {
      this.mapCached(v, page, src);
      this.faultAround(v, page);
    } else {
      const ppn = k.mapNew(this.aspace, page, writable ? MAP_WRITE : 0);
      const n = Math.min(PAGE, v.fileEnd - page);
      k.frameBytes(ppn).set(k.frameBytes(src).subarray(0, n));
    }
  }

  /** Maps the page cache's frame `src` at `page` of file mapping `v`: itself for a shared
   *  mapping, and for a private one until a write copies it. */
  private mapCached(v: Vma, page: number, src: number): void {
    const writable = (v.prot & PROT_WRITE) !== 0;
    if (v.shared) {
      this.kernel.mapShared(this.aspace, page, src, MAP_SHARE | (writable ? MAP_WRITE : 0));
    } else {
      this.kernel.mapShared(this.aspace, page, src, 0);
      if (writable) this.kernel.aspace(this.aspace).protect(page, MAP_WRITE);
    }
  }

  /** Linux's fault-around: after a fault on `page` of file mapping `v`, the pages of its
   *  READ_AROUND-page window that the page cache holds already (the file's read-around,
   *  pagecache.ts, brought them in with it) are mapped too, as that fault would have mapped
   *  them, so that code and data read in order take one fault per window instead of one per
   *  page: python3 -c pass took 1,075 faults on file pages, each a host read and a way out of
   *  compiled code, through the exokernel and back. Only whole pages of the file, and none
   *  mapped already. */
  private faultAround(v: Vma, page: number): void {
    const object = v.object;
    if (object === null || object.peek === undefined) return;
    const span = READ_AROUND * PAGE, window = page - (page % span);
    const first = Math.max(v.start, window);
    const end = Math.min(v.end, window + span, v.fileEnd - (v.fileEnd % PAGE));
    const as = this.kernel.aspace(this.aspace);
    for (let q = first; q < end; q += PAGE) {
      if (q === page || as.frame(q) >= 0) continue;
      const src = object.peek(this.objectIndex(v, q));
      if (src !== undefined) this.mapCached(v, q, src);
    }
  }

  /**
   * Turns the private pages of [start, end) into a shared region over `object` (object offset
   * 0 at `start`) without moving or copying them: the regions are replaced (split at the
   * edges), and the pages present become shared mappings, so fork keeps sharing them. The
   * caller has put every page of the range into `object` (libos_share_memory).
   */
  adoptShared(start: number, end: number, object: MemObject, name: string): void {
    const out: Vma[] = [];
    const as = this.kernel.aspace(this.aspace);
    for (const v of this.vmas) {
      if (v.end <= start || v.start >= end) {
        out.push(v);
        continue;
      }
      const a = Math.max(v.start, start), b = Math.min(v.end, end);
      if (v.start < a) out.push(v.clone(v.start, a));
      object.hold();
      const mid = new Vma(a, b, v.prot, true, object, a - start, b, name);
      if (mid.prot & PROT_WRITE) object.writers(1);
      out.push(mid);
      if (b < v.end) out.push(v.clone(b, v.end));
      v.drop();
      as.forEach(a, b, (va) => as.protect(va, (v.prot & PROT_WRITE ? MAP_WRITE : 0) | MAP_SHARE));
    }
    this.vmas.length = 0;
    this.vmas.push(...out);
  }

  /** Moves the program break; returns the new break (unchanged on failure, as Linux does).
   *  Growth stays within `limit` of private writable memory (RLIMIT_DATA), `maxGrowth` at once
   *  and `asLimit` of all memory mapped (RLIMIT_AS). */
  setBrk(addr: number, limit = Infinity, maxGrowth = Infinity, asLimit = Infinity): number {
    addr >>>= 0;
    if (addr < this.brkStart) return this.brk;
    const oldEnd = pageUp(this.brk), newEnd = pageUp(addr);
    if (newEnd > oldEnd) {
      if (!this.isFree(oldEnd, newEnd) || newEnd > MMAP_TOP || newEnd - oldEnd > maxGrowth) return this.brk;
      if (this.dataSize + (newEnd - oldEnd) > limit || this.size + (newEnd - oldEnd) > asLimit) return this.brk;
      const heap = this.vmas.find((v) => v.name === "[heap]" && v.end === oldEnd);
      if (heap) {
        heap.end = newEnd;
      } else {
        this.map(new Vma(oldEnd, newEnd, PROT_READ | PROT_WRITE, false, null, 0, 0, "[heap]"));
      }
    } else if (newEnd < oldEnd) {
      this.unmap(newEnd, oldEnd - newEnd);
    }
    this.brk = addr;
    return addr;
  }

  /** Moves the pages of [from, from+len) to `to` (an unmapped range), frames and all (mremap). */
  movePages(from: number, len: number, to: number): void {
    const as = this.kernel.aspace(this.aspace);
    const pages: number[] = [];
    as.forEach(from, from + len, (va) => pages.push(va));
    for (const va of pages) as.move(va, to + (va - from));
  }

  /** The same regions over `aspace`, a copy-on-write duplicate of this map's space (fork). */
  fork(aspace: CapHandle): AddressMap {
    const m = new AddressMap(this.kernel, aspace);
    const child = this.kernel.aspace(aspace);
    for (const v of this.vmas) {
      // (the child's copy of the pages goes where madvise said so: the region too for DONTFORK)
      if (v.dontFork || v.wipeOnFork) child.forEach(v.start, v.end, (va) => child.unmap(va));
      if (!v.dontFork) m.vmas.push(v.clone(v.start, v.end));
    }
    // (memory locks, and mlockall's MCL_FUTURE, are not inherited)
    for (const v of m.vmas) v.locked = false;
    m.brkStart = this.brkStart;
    m.brk = this.brk;
    return m;
  }

  /** Writes back every dirty shared page and releases all regions, leaving the pages mapped
   *  for the address space's destruction, which follows (exit, exec, a failed exec). */
  clear(): void {
    const as = this.kernel.aspace(this.aspace);
    for (const v of this.vmas) {
      if (v.shared && v.object) {
        const obj = v.object;
        as.forEach(v.start, v.end, (va) => {
          if (as.dirty(va)) obj.writeBack(this.objectIndex(v, va));
        });
      }
      v.drop();
    }
    this.vmas.length = 0;
  }
}

export function pageUp(x: number): number {
  return Math.ceil((x >>> 0) / PAGE) * PAGE;
}

export function pageDown(x: number): number {
  return (x >>> 0) - ((x >>> 0) % PAGE);
}
