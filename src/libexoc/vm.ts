// A process's memory map: the regions (VMAs) it has asked for with mmap/brk/exec, and the policy
// that fills them on demand. The exokernel only knows page mappings; which page should hold what
// (zeroes, bytes of a file, a copy after fork) is decided here when the page is first touched,
// through a page-fault exit or a system call's access to user memory.

import type { Exokernel } from "../exokernel/kernel.js";
import type { CapHandle } from "../exokernel/caps.js";
import { MAP_WRITE, USER_TOP } from "../exokernel/aspace.js";
import { sysError } from "./errors.js";

export const PROT_NONE = 0, PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;
export const PAGE = 4096;

/** Source of a file-backed region's bytes. */
export interface PageSource {
  /** Reads up to buf.length bytes at file offset `off` into buf; returns bytes read. */
  pread(buf: Uint8Array, off: number): number;
  /** Writes bytes back (MAP_SHARED writable mappings). */
  pwrite?(buf: Uint8Array, off: number): number;
  /** Name shown in /proc/self/maps and traces. */
  readonly name: string;
}

export class Vma {
  constructor(
    public start: number,
    public end: number,
    public prot: number,
    public shared: boolean,
    public source: PageSource | null,
    /** File offset of `start`. */
    public offset: number,
    /** File bytes are used only below this address; above it pages are zero (ELF .bss). */
    public fileEnd: number,
    public name: string,
  ) {}

  clone(start: number, end: number): Vma {
    return new Vma(start, end, this.prot, this.shared, this.source, this.offset + (start - this.start), this.fileEnd, this.name);
  }
}

/** Fault resolution results. */
export const FAULT_OK = 0, FAULT_MAPERR = 1, FAULT_ACCERR = 2;

/** Bottom of the area mmap hands out top-down (below the stack), as a 3 GiB i386 kernel does. */
export const MMAP_TOP = 0xb8000000;
export const MMAP_BOTTOM = 0x10000;
export const STACK_TOP = USER_TOP;
export const STACK_SIZE = 8 << 20;

export class AddressMap {
  /** Regions sorted by start; none overlap. Addresses are unsigned numbers. */
  readonly vmas: Vma[] = [];
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

  /** Whether [start, end) intersects no region. */
  isFree(start: number, end: number): boolean {
    return !this.vmas.some((v) => v.start < end && start < v.end);
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

  /** Adds a region, replacing whatever was mapped in its range. */
  map(v: Vma): void {
    if (v.start % PAGE || v.end % PAGE || v.end <= v.start || v.end > USER_TOP) sysError("EINVAL");
    this.unmap(v.start, v.end - v.start);
    let i = 0;
    while (i < this.vmas.length && this.vmas[i].start < v.start) i++;
    this.vmas.splice(i, 0, v);
  }

  /** Removes [start, start+len): pages are written back if shared and dirty, then released. */
  unmap(start: number, len: number): void {
    const end = start + len;
    const out: Vma[] = [];
    for (const v of this.vmas) {
      if (v.end <= start || v.start >= end) {
        out.push(v);
        continue;
      }
      const cutStart = Math.max(v.start, start), cutEnd = Math.min(v.end, end);
      this.releasePages(v, cutStart, cutEnd);
      if (v.start < cutStart) out.push(v.clone(v.start, cutStart));
      if (cutEnd < v.end) out.push(v.clone(cutEnd, v.end));
    }
    this.vmas.length = 0;
    this.vmas.push(...out);
  }

  private releasePages(v: Vma, start: number, end: number): void {
    const as = this.kernel.aspace(this.aspace);
    as.forEach(start, end, (va) => {
      if (v.shared && v.source?.pwrite && as.dirty(va)) this.writeBack(v, va);
      as.unmap(va);
    });
  }

  /** Writes a dirty page of a shared file mapping back to its file. */
  private writeBack(v: Vma, va: number): void {
    const ppn = this.kernel.aspace(this.aspace).frame(va);
    if (ppn < 0 || !v.source?.pwrite) return;
    const fileOff = v.offset + (va - v.start);
    const n = Math.min(PAGE, v.fileEnd - va);
    if (n > 0) v.source.pwrite(this.kernel.mem.u8.subarray(ppn * PAGE, ppn * PAGE + n), fileOff);
  }

  /** Changes the protection of [start, start+len), splitting regions at the edges. */
  protect(start: number, len: number, prot: number): void {
    const end = start + len;
    // Every page in the range must be mapped (POSIX: ENOMEM otherwise).
    let at = start;
    for (const v of this.vmas) {
      if (v.end <= at || v.start >= end) continue;
      if (v.start > at) sysError("ENOMEM");
      at = v.end;
    }
    if (at < end) sysError("ENOMEM");
    const out: Vma[] = [];
    const as = this.kernel.aspace(this.aspace);
    for (const v of this.vmas) {
      if (v.end <= start || v.start >= end) {
        out.push(v);
        continue;
      }
      const a = Math.max(v.start, start), b = Math.min(v.end, end);
      if (v.start < a) out.push(v.clone(v.start, a));
      const mid = v.clone(a, b);
      mid.prot = prot;
      out.push(mid);
      if (b < v.end) out.push(v.clone(b, v.end));
      as.forEach(a, b, (va) => {
        if (prot === PROT_NONE) as.unmap(va);
        else as.protect(va, prot & PROT_WRITE ? MAP_WRITE : 0);
      });
    }
    this.vmas.length = 0;
    this.vmas.push(...out);
  }

  /**
   * Resolves a fault at `va`: a page of a region that was never touched gets a frame filled
   * with zeroes or file bytes. Returns FAULT_OK, or why the access is an error.
   */
  resolveFault(va: number, write: boolean): number {
    const v = this.find(va);
    if (!v) return FAULT_MAPERR;
    if (v.prot === PROT_NONE || (write && (v.prot & PROT_WRITE) === 0)) return FAULT_ACCERR;
    const page = (va >>> 0) - ((va >>> 0) % PAGE);
    const as = this.kernel.aspace(this.aspace);
    if (as.frame(page) >= 0) {
      // Present but the access was refused: only a write to a read-only page of a writable
      // region gets here, which cannot happen without copy-on-write.
      return FAULT_ACCERR;
    }
    const ppn = this.kernel.mapNew(this.aspace, page, v.prot & PROT_WRITE ? MAP_WRITE : 0);
    if (v.source && page < v.fileEnd) {
      const n = Math.min(PAGE, v.fileEnd - page);
      const at = ppn * PAGE;
      v.source.pread(this.kernel.mem.u8.subarray(at, at + n), v.offset + (page - v.start));
    }
    return FAULT_OK;
  }

  /** Moves the program break; returns the new break (unchanged on failure, as Linux does). */
  setBrk(addr: number): number {
    addr >>>= 0;
    if (addr < this.brkStart) return this.brk;
    const oldEnd = pageUp(this.brk), newEnd = pageUp(addr);
    if (newEnd > oldEnd) {
      if (!this.isFree(oldEnd, newEnd) || newEnd > MMAP_TOP) return this.brk;
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

  /** Writes back every dirty shared page and releases all regions (exit, exec). */
  clear(): void {
    for (const v of [...this.vmas]) this.releasePages(v, v.start, v.end);
    this.vmas.length = 0;
  }
}

export function pageUp(x: number): number {
  return Math.ceil((x >>> 0) / PAGE) * PAGE;
}

export function pageDown(x: number): number {
  return (x >>> 0) - ((x >>> 0) % PAGE);
}
