// The buffer cache: file-system blocks read through a block capability and kept in memory,
// written back when the file system syncs (write-back). Metadata always goes through it; file
// data of whole blocks may bypass it (readRun/writeRun) but stays coherent with cached copies.
//
// Clean buffers are evicted oldest-first past the cache's capacity; dirty ones stay until
// written back. When dirty buffers pass their limit, `onPressure` asks the file system to sync
// (so what reaches the image is always a consistent state, never half an operation).

import type { CapHandle } from "../../exokernel/caps.js";
import type { BlockService } from "../../exokernel/blockcap.js";
import { ExoError } from "../../exokernel/errors.js";
import { SysError } from "../errors.js";

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
  const info = blocks.info(cap);
  const wrap = (f: () => void): void => {
    try {
      f();
    } catch (e) {
      if (e instanceof ExoError) throw new SysError(e.code === "E_PERM" ? "EROFS" : "EIO", e.message);
      throw e;
    }
  };
  return {
    sectors: info.sectors,
    writable: info.writable,
    read: (s, b) => wrap(() => blocks.read(cap, s, b)),
    write: (s, b) => wrap(() => blocks.write(cap, s, b)),
    flush: () => wrap(() => blocks.flush(cap)),
  };
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
}

export class BufferCache {
  /** Blocks by number; Map order is recency (a hit moves the block to the end). */
  private readonly bufs = new Map<number, Buf>();
  private dirtyCount = 0;
  readonly stats: CacheStats = { hits: 0, misses: 0, writebacks: 0 };
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
    this.bufs.clear();
    this.dirtyCount = 0;
  }

  private insert(b: number, buf: Buf): void {
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
