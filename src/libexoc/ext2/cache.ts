// The buffer cache: file-system blocks read through a block capability and kept in memory,
// written back when the file system syncs (write-back). Metadata always goes through it; file
// data of whole blocks may bypass it (readRun/writeRun) but stays coherent with cached copies.
//
// Clean buffers are evicted oldest-first past the cache's capacity; dirty ones stay until
// written back. When dirty buffers pass their limit, `onPressure` asks the file system to sync
// (so what reaches the image is always a consistent state, never half an operation).
//
// With an asynchronous reader attached (a file system mounted in a running guest system),
// file data can also be brought in without blocking the host: prefetch() queues reads of the
// blocks missing from the cache into a staging area (blocks in flight, each with the wait queue
// of its request) and returns the queues to wait on; a completed read enters the cache as clean
// buffers. Coherence: a block written or freed while its read is in flight is dropped from the
// staging area, so the stale contents never enter the cache (the next reader reads it again).
// A failed read is kept per block until a reader asks for that block: it gets EIO.

import type { CapHandle } from "../../exokernel/caps.js";
import type { BlockIo, BlockService } from "../../exokernel/blockcap.js";
import { ExoError } from "../../exokernel/errors.js";
import { WaitQueue } from "../../exokernel/wait.js";
import { SysError } from "../errors.js";
import { later } from "../../exokernel/later.js";

/** What the file system needs of its medium: whole sectors, synchronously. */
export interface Disk {
  readonly sectors: number;
  readonly writable: boolean;
  read(sector: number, buf: Uint8Array): void;
  write(sector: number, buf: Uint8Array): void;
  /** Everything written so far reaches the host's disk. */
  flush(): void;
}

/** A Disk over a block capability (failures become EIO; writes without R_WRITE, EROFS). */
export function capDisk(blocks: BlockService, cap: CapHandle): Disk {
  return new CapDisk(blocks, cap);
}

export class CapDisk implements Disk {
  readonly sectors: number;
  readonly writable: boolean;

  constructor(
    private readonly blocks: BlockService,
    private readonly cap: CapHandle,
  ) {
    const info = blocks.info(cap);
    this.sectors = info.sectors;
    this.writable = info.writable;
  }

  read(sector: number, buf: Uint8Array): void {
    try {
      this.blocks.read(this.cap, sector, buf);
    } catch (e) {
      throw diskError(e);
    }
  }

  write(sector: number, buf: Uint8Array): void {
    try {
      this.blocks.write(this.cap, sector, buf);
    } catch (e) {
      throw diskError(e);
    }
  }

  flush(): void {
    try {
      this.blocks.flush(this.cap);
    } catch (e) {
      throw diskError(e);
    }
  }
}

/** What a failed block transfer throws: an exokernel error as EROFS (no write right) or EIO;
 *  anything else as it is. */
function diskError(e: unknown): unknown {
  if (e instanceof ExoError) return new SysError(e.code === "E_PERM" ? "EROFS" : "EIO", e.message);
  return e;
}

/** Reads that complete later: `sector` counts from the file system's start. The returned
 *  transfer may already be complete (a refused request). */
export interface AsyncReader {
  submitRead(sector: number, buf: Uint8Array): BlockIo;
}

/** An AsyncReader over a block capability (a refused request completes at once with its error). */
export function capReader(blocks: BlockService, cap: CapHandle): AsyncReader {
  return new CapReader(blocks, cap);
}

export class CapReader implements AsyncReader {
  constructor(
    private readonly blocks: BlockService,
    private readonly cap: CapHandle,
  ) {}

  submitRead(sector: number, buf: Uint8Array): BlockIo {
    try {
      return this.blocks.submit(this.cap, "read", sector, buf);
    } catch (e) {
      if (!(e instanceof ExoError)) throw e;
      return { done: new WaitQueue(), status: e };
    }
  }
}

/** Most bytes one asynchronous read request carries. */
export const MAX_ASYNC_READ = 256 * 1024;

/** One asynchronous read of `count` blocks from `first` into `data`. */
interface Staged {
  first: number;
  count: number;
  data: Buffer;
  /** Notified once the blocks are in the cache (or failed, or were dropped). */
  ready: WaitQueue;
}

interface Buf {
  data: Buffer;
  dirty: boolean;
}

/** Cache figures (for benchmarks and --stats). */
export interface CacheStats {
  hits: number;
  misses: number;
  writebacks: number;
  /** Asynchronous read requests submitted. */
  asyncReads: number;
}

export class BufferCache {
  /** Blocks by number; Map order is recency (a hit moves the block to the end). */
  private readonly bufs = new Map<number, Buf>();
  private dirtyCount = 0;
  readonly stats: CacheStats = { hits: 0, misses: 0, writebacks: 0, asyncReads: 0 };
  /** Set for file systems of a running guest system: file data misses are read asynchronously. */
  reader: AsyncReader | null = null;
  /** Blocks whose asynchronous read is in flight, by block number. */
  private readonly staged = new Map<number, Staged>();
  /** Blocks whose asynchronous read failed, until a reader hears of it. */
  private readonly failed = new Map<number, string>();
  /** Called when dirty buffers pass `maxDirty` (the file system syncs). */
  onPressure: (() => void) | null = null;
  private readonly spb: number;

  constructor(
    private readonly disk: Disk,
    readonly blockSize: number,
    /** Buffers kept at most (clean ones beyond are evicted). */
    private readonly capacity = 16384,
    private readonly maxDirty = 8192,
  ) {
    this.spb = blockSize / 512;
  }

  /** Block `b`'s contents (read from the medium on a miss). The buffer stays valid until the
   *  next cache call that may evict; callers that modify it call dirty(b). */
  get(b: number): Buffer {
    const buf = this.bufs.get(b);
    if (buf !== undefined) {
      this.stats.hits++;
      this.bufs.delete(b);
      this.bufs.set(b, buf);
      return buf.data;
    }
    this.stats.misses++;
    const data = Buffer.allocUnsafe(this.blockSize);
    this.disk.read(b * this.spb, data);
    this.insert(b, { data, dirty: false });
    return data;
  }

  /** A zeroed buffer for block `b` whose old contents do not matter (newly allocated), dirty. */
  zeroed(b: number): Buffer {
    let buf = this.bufs.get(b);
    if (buf === undefined) {
      buf = { data: Buffer.alloc(this.blockSize), dirty: false };
      this.insert(b, buf);
    } else buf.data.fill(0);
    this.dirty(b);
    return buf.data;
  }

  /** Block `b` (got with get() or zeroed()) was modified. */
  dirty(b: number): void {
    const buf = this.bufs.get(b);
    if (buf === undefined) throw new Error(`ext2 cache: block ${b} dirtied while not cached`);
    if (!buf.dirty) {
      buf.dirty = true;
      this.dirtyCount++;
      if (this.dirtyCount > this.maxDirty) this.onPressure?.();
    }
  }

  /** Block `b` was freed: its cached copy goes, written back or not. */
  forget(b: number): void {
    this.unstage(b);
    const buf = this.bufs.get(b);
    if (buf === undefined) return;
    if (buf.dirty) this.dirtyCount--;
    this.bufs.delete(b);
  }

  /** Reads `n` consecutive blocks from `b` into `dst` at `off`, from the cache where cached. */
  readRun(b: number, n: number, dst: Uint8Array, off: number): void {
    let k = 0;
    while (k < n) {
      const cached = this.bufs.get(b + k);
      if (cached !== undefined) {
        dst.set(cached.data, off + k * this.blockSize);
        k++;
        continue;
      }
      let m = 1;
      while (k + m < n && !this.bufs.has(b + k + m)) m++;
      this.disk.read((b + k) * this.spb, dst.subarray(off + k * this.blockSize, off + (k + m) * this.blockSize));
      k += m;
    }
  }

  /** Writes `n` whole blocks from `src` at `off` straight to the medium (file data), updating
   *  cached copies. */
  writeRun(b: number, n: number, src: Uint8Array, off: number): void {
    for (let k = 0; k < n; k++) {
      this.unstage(b + k);
      const cached = this.bufs.get(b + k);
      if (cached !== undefined) {
        cached.data.set(src.subarray(off + k * this.blockSize, off + (k + 1) * this.blockSize));
        if (cached.dirty) {
          cached.dirty = false;
          this.dirtyCount--;
        }
      }
    }
    this.disk.write(b * this.spb, src.subarray(off, off + n * this.blockSize));
  }

  get dirtyBlocks(): number {
    return this.dirtyCount;
  }

  /** Writes every dirty buffer back, in block order, adjacent ones together. */
  writeBack(): void {
    if (this.dirtyCount === 0) return;
    const dirty: number[] = [];
    for (const [b, buf] of this.bufs) if (buf.dirty) dirty.push(b);
    dirty.sort((x, y) => x - y);
    let i = 0;
    while (i < dirty.length) {
      let j = i + 1;
      while (j < dirty.length && dirty[j] === dirty[j - 1] + 1 && j - i < 256) j++;
      const n = j - i;
      if (n === 1) this.disk.write(dirty[i] * this.spb, (this.bufs.get(dirty[i]) as Buf).data);
      else {
        const run = Buffer.allocUnsafe(n * this.blockSize);
        for (let k = 0; k < n; k++) run.set((this.bufs.get(dirty[i + k]) as Buf).data, k * this.blockSize);
        this.disk.write(dirty[i] * this.spb, run);
      }
      for (let k = i; k < j; k++) (this.bufs.get(dirty[k]) as Buf).dirty = false;
      this.stats.writebacks += n;
      i = j;
    }
    this.dirtyCount = 0;
    this.evict();
  }

  /** Drops every buffer (after a failed mount, or unmount). */
  clear(): void {
    this.staged.clear();
    this.failed.clear();
    this.bufs.clear();
    this.dirtyCount = 0;
  }

  /**
   * Makes sure the blocks of `runs` ([first block, count] pairs) come into the cache: those
   * neither cached nor in flight are read asynchronously (adjacent ones together, at most
   * MAX_ASYNC_READ bytes a request). Returns the queues to wait on (empty: all are cached).
   * Only blocks of `need` runs are waited for; `extra` runs (read-ahead) are read along with
   * them, and only when something needed was missing. A block whose earlier read failed
   * throws EIO (once, for all the blocks asked for). Without a reader, returns [] (callers read synchronously).
   */
  prefetch(need: [number, number][], extra: () => [number, number][] = () => []): WaitQueue[] {
    if (this.reader === null) return [];
    const queues = new Set<WaitQueue>();
    const want = new Set<number>();
    let failure: string | null = null;
    for (const [first, count] of need) {
      for (let b = first; b < first + count; b++) {
        if (this.bufs.has(b)) continue;
        const err = this.failed.get(b);
        if (err !== undefined) {
          this.failed.delete(b);
          failure ??= err;
          continue;
        }
        const s = this.staged.get(b);
        if (s !== undefined) queues.add(s.ready);
        else want.add(b);
      }
    }
    if (failure !== null) throw new SysError("EIO", failure);
    if (want.size === 0 && queues.size === 0) return [];
    for (const [first, count] of extra()) {
      for (let b = first; b < first + count; b++) if (!this.bufs.has(b) && !this.staged.has(b) && !this.failed.has(b)) want.add(b);
    }
    const missing = [...want].sort((x, y) => x - y);
    const most = Math.max(1, Math.floor(MAX_ASYNC_READ / this.blockSize));
    let i = 0;
    while (i < missing.length) {
      let j = i + 1;
      while (j < missing.length && missing[j] === missing[j - 1] + 1 && j - i < most) j++;
      queues.add(this.submit(missing[i], j - i));
      i = j;
    }
    return [...queues];
  }

  /** Queues an asynchronous read of `count` blocks from `first` into the staging area. */
  private submit(first: number, count: number): WaitQueue {
    const reader = this.reader as AsyncReader; // prefetch() checked it
    const st: Staged = { first, count, data: Buffer.allocUnsafe(count * this.blockSize), ready: new WaitQueue() };
    for (let k = 0; k < count; k++) this.staged.set(first + k, st);
    this.stats.asyncReads++;
    const io = reader.submitRead(first * this.spb, st.data);
    if (io.status !== null) this.landed(st, io);
    else io.done.add({ wake: later(this, "landed", st, io) });
    return st.ready;
  }

  /** An asynchronous read completed: its blocks still staged (not written or freed since)
   *  enter the cache as clean buffers, or are marked failed; waiters are woken. */
  private landed(st: Staged, io: BlockIo): void {
    const bad = io.status instanceof ExoError ? io.status.message : null;
    for (let k = 0; k < st.count; k++) {
      const b = st.first + k;
      if (this.staged.get(b) !== st) continue;
      this.staged.delete(b);
      if (bad !== null) this.failed.set(b, bad);
      else if (!this.bufs.has(b)) this.insert(b, { data: Buffer.from(st.data.subarray(k * this.blockSize, (k + 1) * this.blockSize)), dirty: false });
    }
    st.ready.notify();
  }

  /** Block `b` changes (written, zeroed or freed): an in-flight read of it must not enter the
   *  cache with the old contents. */
  private unstage(b: number): void {
    if (this.staged.size !== 0) this.staged.delete(b);
    this.failed.delete(b);
  }

  /** Most blocks one read should ask prefetch() for (a quarter of the capacity, so what it
   *  brings in is not evicted before the reader takes it). */
  get prefetchLimit(): number {
    return Math.max(1, Math.floor(this.capacity / 4));
  }

  /** Blocks whose asynchronous read is in flight. */
  get inFlight(): number {
    return this.staged.size;
  }

  /** Caches block `b`; a read of it still in flight is older than this copy and is dropped. */
  private insert(b: number, buf: Buf): void {
    this.unstage(b);
    this.bufs.set(b, buf);
    if (this.bufs.size > this.capacity) this.evict();
  }

  private evict(): void {
    if (this.bufs.size <= this.capacity) return;
    let excess = this.bufs.size - this.capacity;
    for (const [b, buf] of this.bufs) {
      if (excess <= 0) break;
      if (buf.dirty) continue;
      this.bufs.delete(b);
      excess--;
    }
  }
}
