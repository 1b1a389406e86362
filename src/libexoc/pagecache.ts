// Memory objects: what a mapping's pages come from when they are not plain zeroes. A file's
// pages live in the page cache (one frame per page of the file, shared by every process that
// maps it, so a second run of a program finds its text already in RAM, and its compiled code
// still hot: the JIT keys code by physical frame). Shared anonymous memory is an object of its
// own, so processes sharing it after fork see one set of frames however late they touch it.
//
// A file's pages come from a PageSource its open file provides (OpenFile.mapping(): a host
// file's descriptor, a tmpfs file's memory, an image file system's blocks), so any volume's
// regular files can be mapped and executed.
//
// Coherence with read() and write(): writes through the file descriptor update the cached
// frames; reads first write back what shared writable mappings may have changed. A cached file
// whose file changed size or time while nobody mapped it is dropped and read again.
// Unmapped cached files are kept until the frames are needed (`reclaim`), least recently used
// first.

import type { Exokernel } from "../exokernel/kernel.js";
import type { CapHandle } from "../exokernel/caps.js";
import { sysError, SysError } from "./errors.js";
import { ExoError } from "../exokernel/errors.js";

export const PAGE = 4096;
/** Pages of a file read at once on a page fault (CachedFile.readAround), and mapped at once
 *  when the page cache has them (vm.ts faultAround): 64 KiB, Linux's fault_around_bytes. */
export const READ_AROUND = 16;
/** Where read-around reads (one at a time: the system calls run on one thread). */
const aroundBuffer = new Uint8Array(READ_AROUND * PAGE);

/** What mapping a page of an object needs. Every mapping (VMA) holds one reference. */
export interface MemObject {
  /** The frame holding page `index` of the object (filled on first use). */
  page(index: number): number;
  hold(): void;
  release(): void;
  /** Writes page `index` back to where the object keeps its data (files). A failure is kept
   *  for takeWriteError, not thrown: munmap and exit never report one. */
  writeBack(index: number): void;
  /** The first write-back failure since the last call (msync reports it). */
  takeWriteError?(): SysError | null;
  /** Pages the object's file covers now (a partial last page counts): a mapping's page past
   *  them is a bus error. Absent: anonymous memory, which has no end. */
  pagesInFile?(): number;
  /** Whether page `index` is in memory now, without filling it (mincore). Absent: never. */
  inMemory?(index: number): boolean;
  /** The frame holding page `index` now, without filling it (undefined: none yet). */
  peek?(index: number): number | undefined;
  /** A mapping that can write the object's pages through to its file started or ended. */
  writers(delta: number): void;
  readonly name: string;
}

/** Writes bytes to a file at an offset (the mapping's own open file). */
export type PageWriter = (buf: Uint8Array, off: number) => number;
/** A reference held on something (an open file description), given back with drop(). */
export interface Held {
  drop(): void;
}

export abstract class FrameObject implements MemObject {
  protected readonly pages = new Map<number, number>();
  refs = 0;

  constructor(
    protected readonly cache: PageCache,
    readonly name: string,
  ) {}

  abstract fill(index: number, view: Uint8Array): void;

  inMemory(index: number): boolean {
    return this.pages.has(index);
  }

  peek(index: number): number | undefined {
    return this.pages.get(index);
  }

  page(index: number): number {
    let ppn = this.pages.get(index);
    if (ppn === undefined) {
      ppn = this.cache.allocFrame();
      try {
        this.fill(index, this.cache.kernel.frameBytes(ppn));
      } catch (e) {
        this.cache.freeFrame(ppn);
        throw e;
      }
      this.pages.set(index, ppn);
    }
    return ppn;
  }

  hold(): void {
    this.refs++;
  }

  release(): void {
    if (--this.refs === 0) this.unused();
  }

  writeBack(_index: number): void {}

  writers(_delta: number): void {}

  /** The last mapping went away. */
  protected abstract unused(): void;

  /** Frees every frame (mappings still holding one keep it: frames are reference counted). */
  protected freeAll(): void {
    for (const ppn of this.pages.values()) this.cache.freeFrame(ppn);
    this.pages.clear();
  }

  get resident(): number {
    return this.pages.size;
  }
}

/** Shared anonymous memory (MAP_SHARED | MAP_ANONYMOUS, /dev/zero shared): zero-filled pages
 *  that exist as long as some mapping does. */
export class AnonObject extends FrameObject {
  fill(_index: number, view: Uint8Array): void {
    view.fill(0);
  }

  protected unused(): void {
    this.freeAll();
  }
}

/** The cached pages of one file. */
export class CachedFile extends FrameObject {
  /** Mappings that may write pages back (MAP_SHARED, writable). */
  private writeMappers = 0;
  private writer: PageWriter | null = null;
  /** The open file `writer` writes through, held (a reference) while the file is mapped: the
   *  guest may close its descriptor once it has mapped it, as Linux's mappings hold their file. */
  private writerFile: Held | null = null;
  /** The first error a write-back met since msync last looked (Linux reports write-back errors
   *  to msync and fsync, never to munmap or exit). */
  private writeError: SysError | null = null;
  lastUsed = 0;
  readonly key: string;
  /** The file's device and inode (what /proc/PID/maps shows). */
  readonly dev: bigint;
  readonly ino: bigint;
  size: number;
  mtimeNs: bigint;

  constructor(
    cache: PageCache,
    name: string,
    id: FileIdentity,
    private readonly src: PageSource,
  ) {
    super(cache, name);
    this.key = id.key;
    this.dev = id.dev;
    this.ino = id.ino;
    this.size = Number(id.size);
    this.mtimeNs = id.mtimeNs;
  }

  /** The frame of page `index`, read from the file with the missing pages around it. */
  override page(index: number): number {
    const ppn = this.pages.get(index);
    if (ppn !== undefined) return ppn;
    this.readAround(index);
    return super.page(index);
  }

  /** Read-around (Linux's readahead of a page fault): the missing pages next to `index` in its
   *  READ_AROUND-page window, `index` with them, are read from the file at once, so that a
   *  program's text and data cost one host read per window instead of one per page (python3
   *  -c pass made 1,075 reads of a page, and makes 143 so). A read that fails stops it quietly,
   *  and the page is then read alone and reports what it meets; so does memory running out
   *  (the page takes its frame first, the others what is left). */
  private readAround(index: number): void {
    const first = index - (index % READ_AROUND);
    const end = Math.min(first + READ_AROUND, this.pagesInFile());
    let lo = index, hi = index + 1;
    while (lo > first && !this.pages.has(lo - 1)) lo--;
    while (hi < end && !this.pages.has(hi)) hi++;
    if (hi - lo <= 1) return;
    const buf = aroundBuffer.subarray(0, (hi - lo) * PAGE);
    try {
      this.readFully(buf, lo * PAGE);
    } catch (e) {
      if (e instanceof SysError) return;
      throw e;
    }
    /** Puts page i of the window in a frame of its own; false when memory ran out. */
    const place = (i: number): boolean => {
      let ppn: number;
      try {
        ppn = this.cache.allocFrame();
      } catch (e) {
        if (e instanceof SysError) return false;
        throw e;
      }
      this.cache.kernel.frameBytes(ppn).set(buf.subarray((i - lo) * PAGE, (i - lo + 1) * PAGE));
      this.pages.set(i, ppn);
      return true;
    };
    // (the page itself first: the window's pages take only the memory it leaves)
    if (!place(index)) return;
    for (let i = lo; i < hi; i++) if (i !== index && !place(i)) return;
  }

  fill(index: number, view: Uint8Array): void {
    this.readFully(view, index * PAGE);
  }

  /** Fills `view` from the file at `off`, zeroes past its end. */
  private readFully(view: Uint8Array, off: number): void {
    let n = 0;
    while (n < view.length) {
      const k = this.src.read(view.subarray(n), off + n);
      if (k === 0) break;
      n += k;
    }
    view.fill(0, n);
  }

  /** Sets the function shared writable mappings write back through (their own open file,
   *  `file`, whose reference this cached file now holds until nothing maps it). */
  setWriter(w: PageWriter, file: Held): void {
    this.writerFile?.drop();
    this.writer = w;
    this.writerFile = file;
  }

  override writers(delta: number): void {
    this.writeMappers += delta;
  }

  get writable(): boolean {
    return this.writeMappers > 0;
  }

  override writeBack(index: number): void {
    const ppn = this.pages.get(index);
    if (ppn === undefined || this.writer === null) return;
    const off = index * PAGE;
    const n = Math.min(PAGE, this.size - off);
    if (n <= 0) return;
    try {
      this.writer(this.cache.kernel.frameBytes(ppn).subarray(0, n), off);
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
      this.writeError ??= e;
    }
  }

  /** Writes back every cached page (msync, or before a read() that must see mapped writes). */
  sync(): void {
    if (this.writer === null) return;
    for (const index of this.pages.keys()) this.writeBack(index);
  }

  pagesInFile(): number {
    return Math.ceil(this.size / PAGE);
  }

  /** The write-back error met since the last call, if any (msync reports it). */
  takeWriteError(): SysError | null {
    const e = this.writeError;
    this.writeError = null;
    return e;
  }

  /** write() put `data` at file offset `off`: cached pages take the same bytes. */
  written(data: Uint8Array, off: number): void {
    const end = off + data.length;
    if (end > this.size) this.size = end;
    for (let index = Math.floor(off / PAGE); index * PAGE < end; index++) {
      const ppn = this.pages.get(index);
      if (ppn === undefined) continue;
      this.cache.kernel.frameReused(ppn);
      const view = this.cache.kernel.frameBytes(ppn);
      const from = Math.max(off, index * PAGE), to = Math.min(end, (index + 1) * PAGE);
      view.set(data.subarray(from - off, to - off), from - index * PAGE);
    }
  }

  /** The file was truncated to `size`: pages past it are dropped (their tail zeroed). */
  truncated(size: number): void {
    this.size = size;
    for (const [index, ppn] of [...this.pages]) {
      if (index * PAGE >= size) {
        if (this.refs === 0) {
          this.cache.freeFrame(ppn);
          this.pages.delete(index);
        } else {
          this.cache.kernel.frameBytes(ppn).fill(0);
        }
      } else if ((index + 1) * PAGE > size) {
        this.cache.kernel.frameBytes(ppn).fill(0, size - index * PAGE);
      }
    }
  }

  protected unused(): void {
    this.lastUsed = this.cache.tick();
    this.writer = null;
    this.writerFile?.drop();
    this.writerFile = null;
    // A file that no longer exists (a removed tmpfs file) is not worth keeping.
    if (this.src.gone?.() === true) this.cache.drop(this.key);
  }

  /** Drops the cache entry: frames freed, page source closed. */
  evict(): void {
    this.freeAll();
    this.src.close();
  }
}

/** Identity and version of a file, as the cache keys and validates it. */
export interface FileIdentity {
  /** Unique among all files of all volumes (a host file: "dev:ino"). */
  key: string;
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
}

/** Where a cached file's pages are read from: its own handle on the file, kept while the file
 *  is cached (after the open file that mapped it is closed). */
export interface PageSource {
  /** Reads bytes at `off` into `view`; 0 at the end of the file. Throws SysError. */
  read(view: Uint8Array, off: number): number;
  close(): void;
  /** Whether the file is gone (removed, kept only by its mappings): cached pages go with the
   *  last mapping. */
  gone?(): boolean;
}

/** A regular file that can be mapped (OpenFile.mapping()). */
export interface Mappable {
  identity(): FileIdentity;
  /** A new page source for the file. */
  source(): PageSource;
}

export class PageCache {
  private readonly files = new Map<string, CachedFile>();
  private clock = 0;
  /** Frames the cache holds for files and shared anonymous memory together. */
  private inUse = 0;
  private readonly pool: CapHandle;
  /** Most unmapped files kept. */
  static readonly MAX_IDLE_FILES = 512;

  constructor(readonly kernel: Exokernel) {
    this.pool = kernel.newPool(kernel.frames.total);
  }

  tick(): number {
    return ++this.clock;
  }

  /** The cached file for a mappable file, opening a page source for it on first use. A
   *  cached file no one maps that changed since it was cached is dropped and started afresh. */
  file(m: Mappable, name: string): CachedFile {
    const id = m.identity();
    const key = id.key;
    let cf = this.files.get(key);
    if (cf !== undefined && cf.refs === 0 && (cf.mtimeNs !== id.mtimeNs || BigInt(cf.size) !== id.size)) {
      this.files.delete(key);
      cf.evict();
      cf = undefined;
    }
    if (cf === undefined) {
      cf = new CachedFile(this, name, id, m.source());
      this.files.set(key, cf);
    }
    cf.lastUsed = this.tick();
    this.trimIdle();
    return cf;
  }

  /** Drops the cached file `key` if nothing maps it (its file was removed). */
  drop(key: string): void {
    const cf = this.files.get(key);
    if (cf === undefined || cf.refs > 0) return;
    this.files.delete(key);
    cf.evict();
  }

  /** The cached file for `key` if there is one (write and read coherence). */
  lookup(key: string): CachedFile | undefined {
    return this.files.get(key);
  }

  anon(name: string): AnonObject {
    return new AnonObject(this, name);
  }

  /** A frame for the cache (the allocator asks the cache to reclaim idle files when RAM is
   *  full); ENOMEM when there is none. */
  allocFrame(): number {
    let ppn: number;
    try {
      ppn = this.kernel.newFrame(this.pool);
    } catch (e) {
      if (e instanceof ExoError) sysError("ENOMEM", "out of guest memory");
      throw e;
    }
    this.inUse++;
    return ppn;
  }

  /** Takes a reference, for the cache, to the frame a process has at `va` (zero-copy sharing
   *  of a page it already has); -1 if no frame is mapped there. */
  adoptFrame(aspace: CapHandle, va: number): number {
    const ppn = this.kernel.holdFrame(this.pool, aspace, va);
    if (ppn >= 0) this.inUse++;
    return ppn;
  }

  freeFrame(ppn: number): void {
    this.kernel.freeFrame(this.pool, ppn);
    this.inUse--;
  }

  /** Evicts unmapped cached files, least recently used first, until at least `frames` frames
   *  were given back; returns how many were. */
  reclaim(frames: number): number {
    const idle = [...this.files.values()].filter((f) => f.refs === 0).sort((a, b) => a.lastUsed - b.lastUsed);
    let freed = 0;
    for (const f of idle) {
      if (freed >= frames) break;
      freed += f.resident;
      this.files.delete(f.key);
      f.evict();
    }
    return freed;
  }

  /** Drops every cached file (the system is shutting down): frames freed, sources closed. */
  close(): void {
    for (const f of this.files.values()) f.evict();
    this.files.clear();
  }

  /** Keeps at most MAX_IDLE_FILES unmapped files (each may hold a host descriptor). */
  private trimIdle(): void {
    const idle = [...this.files.values()].filter((f) => f.refs === 0).sort((a, b) => a.lastUsed - b.lastUsed);
    for (let k = 0; k < idle.length - PageCache.MAX_IDLE_FILES; k++) {
      this.files.delete(idle[k].key);
      idle[k].evict();
    }
  }

  /** How the cache's frames are used: file pages (some mapped by a process, the rest idle and
   *  free to reclaim) and shared anonymous memory. */
  usage(): { files: number; mapped: number; idle: number; shmem: number } {
    let files = 0, mapped = 0;
    for (const f of this.files.values()) {
      files += f.resident;
      if (f.refs > 0) mapped += f.resident;
    }
    return { files, mapped, idle: files - mapped, shmem: Math.max(0, this.inUse - files) };
  }

  /** Frames the cache holds for files. */
  get frames(): number {
    let n = 0;
    for (const f of this.files.values()) n += f.resident;
    return n;
  }
}
