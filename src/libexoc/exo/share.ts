// libos_share_memory(target, addr, len): the caller's pages appear in another process, the
// same frames in both (nothing is copied). The caller's range becomes a shared region over a
// memory object holding its frames (private pages are first made the caller's own: zero pages
// are filled in, copy-on-write pages copied), and the target gets a shared region over the
// same object at an address of its own, which the call returns. Writes by either are seen by
// the other; each keeps the pages until it unmaps them (the object goes with the last region).
//
// Rules: the range must be page-aligned and mapped, private parts writable (read-only private
// pages may be a file's cached pages, which must never become writable through sharing); the
// target must be a live process the caller may signal (same user, or root).

import type { MemObject, PageCache } from "../pagecache.js";
import { Vma, PAGE, pageUp, PROT_WRITE, FAULT_OK, FAULT_OOM } from "../vm.js";
import { sysError } from "../errors.js";
import type { Task } from "../task.js";

/** Frames taken from a process's mapping, kept for the regions that share them. */
export class SharedPages implements MemObject {
  refs = 0;

  constructor(
    private readonly cache: PageCache,
    readonly name: string,
    private readonly frames: number[],
  ) {}

  page(index: number): number {
    const ppn = this.frames[index];
    if (ppn === undefined) return sysError("EFAULT");
    return ppn;
  }

  hold(): void {
    this.refs++;
  }

  release(): void {
    if (--this.refs !== 0) return;
    for (const ppn of this.frames) this.cache.freeFrame(ppn);
    this.frames.length = 0;
  }

  writeBack(_index: number): void {}

  writers(_delta: number): void {}

  inMemory(index: number): boolean {
    return this.frames[index] !== undefined;
  }
}

/** A part of the shared range: a region over an object the caller already shares (its own
 *  offset), or the caller's private pages (gathered into one new object). */
interface Piece {
  start: number;
  end: number;
  prot: number;
  object: MemObject;
  offset: number;
  name: string;
}

export function shareMemory(t: Task, targetPid: number, addr: number, len: number): number {
  addr >>>= 0;
  len >>>= 0;
  if (addr % PAGE !== 0 || len === 0) sysError("EINVAL");
  const end = addr + pageUp(len);
  if (end > 0xc0000000) sysError("EINVAL");
  const target = t.sys.findProcess(targetPid);
  if (target === undefined || target.termination !== null) sysError("ESRCH");
  const dest = target.leader;
  if (dest === null) return sysError("ESRCH");
  if (!t.sys.maySignal(t.proc, target, 0)) sysError("EPERM");
  if (dest.mm === t.mm) sysError("EINVAL"); // the same memory already
  // Every page mapped; private parts writable.
  let at = addr;
  for (const v of t.vm.vmas) {
    if (v.end <= addr || v.start >= end) continue;
    if (v.start > at) sysError("ENOMEM");
    if (!v.shared && (v.prot & PROT_WRITE) === 0) sysError("EACCES");
    at = v.end;
  }
  if (at < end) sysError("ENOMEM");

  // The caller's private pages, made its own and gathered (in order) into one object.
  const frames: number[] = [];
  const privateRuns: [number, number][] = [];
  for (const v of [...t.vm.vmas]) {
    if (v.end <= addr || v.start >= end || v.shared) continue;
    const a = Math.max(v.start, addr), b = Math.min(v.end, end);
    privateRuns.push([a, b]);
  }
  const cache = t.sys.pageCache;
  const name = `[shared by ${t.pid}]`;
  const gathered = new SharedPages(cache, name, frames);
  try {
    for (const [a, b] of privateRuns) {
      for (let va = a; va < b; va += PAGE) {
        const r = t.vm.resolveFault(va, true);
        if (r === FAULT_OOM) sysError("ENOMEM");
        if (r !== FAULT_OK && t.kernel.translate(t.aspace, va, true) < 0) sysError("EFAULT");
        const ppn = cache.adoptFrame(t.aspace, va);
        if (ppn < 0) sysError("EFAULT");
        frames.push(ppn);
      }
    }
  } catch (e) {
    gathered.hold();
    gathered.release();
    throw e;
  }

  // The pieces, in address order, and the caller's private runs turned into shared regions.
  const pieces: Piece[] = [];
  let index = 0;
  for (const v of t.vm.vmas) {
    if (v.end <= addr || v.start >= end) continue;
    const a = Math.max(v.start, addr), b = Math.min(v.end, end);
    if (v.shared && v.object !== null) {
      pieces.push({ start: a, end: b, prot: v.prot, object: v.object, offset: v.offset + (a - v.start), name: v.name });
    } else if (v.shared) {
      sysError("EINVAL"); // a shared region without an object does not exist
    } else {
      pieces.push({ start: a, end: b, prot: v.prot, object: gathered, offset: index * PAGE, name });
      index += (b - a) / PAGE;
    }
  }
  gathered.hold(); // kept while the caller's own regions are converted
  let off = 0;
  for (const [a, b] of privateRuns) {
    // Each run becomes a shared region over the gathered pages, at its place among them.
    const part = new OffsetObject(gathered, off / PAGE);
    t.vm.adoptShared(a, b, part, name);
    off += b - a;
  }
  gathered.release();

  // The target's regions, at a free range of its own.
  const size = end - addr;
  const base = dest.vm.findFree(size);
  for (const p of pieces) {
    p.object.hold();
    dest.vm.map(new Vma(base + (p.start - addr), base + (p.end - addr), p.prot, true, p.object, p.offset, base + (p.end - addr), p.name));
  }
  return base;
}

/** A window of another object starting at page `first` (so a run of the caller's range can be
 *  a region with offset 0 over its part of the gathered pages). */
export class OffsetObject implements MemObject {
  constructor(
    private readonly inner: MemObject,
    private readonly first: number,
  ) {}

  get name(): string {
    return this.inner.name;
  }

  page(index: number): number {
    return this.inner.page(this.first + index);
  }

  hold(): void {
    this.inner.hold();
  }

  release(): void {
    this.inner.release();
  }

  writeBack(index: number): void {
    this.inner.writeBack(this.first + index);
  }

  inMemory(index: number): boolean {
    return this.inner.inMemory?.(this.first + index) ?? false;
  }

  writers(delta: number): void {
    this.inner.writers(delta);
  }
}
