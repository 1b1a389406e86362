// File data of ext2 inodes: reads (holes and unwritten extents read as zeroes; whole blocks go
// straight from the medium into the caller's buffer), writes (whole blocks straight to the
// medium, partial ones through the buffer cache) and size changes. A write that meets ENOSPC
// part-way keeps what it wrote and reports that count, as write(2) does.

import { SysError } from "../errors.js";
import { corrupt } from "./errors.js";
import type { Ext2Fs } from "./fs.js";
import type { Inode } from "./inode.js";
import { RO_LARGE_FILE, S_FEATURE_RO_COMPAT } from "./superblock.js";

/** Reads up to dst.length bytes at `pos`; returns the count (0 at or past the end). */
export function readData(fs: Ext2Fs, n: Inode, pos: number, dst: Uint8Array): number {
  const size = n.size;
  if (pos >= size) return 0;
  const total = Math.min(dst.length, size - pos);
  const bs = fs.bs;
  let done = 0;
  while (done < total) {
    const at = pos + done;
    const l = Math.floor(at / bs);
    const inBlock = at % bs;
    const [p, run] = fs.mapRun(n, l, Math.ceil((total - done + inBlock) / bs));
    const bytes = Math.min(run * bs - inBlock, total - done);
    if (p === 0) dst.fill(0, done, done + bytes);
    else if (p + run > fs.sb.blocksCount) corrupt(`inode ${n.num}: block ${p} out of range`);
    else if (inBlock === 0 && bytes >= bs) {
      const whole = Math.floor(bytes / bs);
      fs.cache.readRun(p, whole, dst, done);
      done += whole * bs;
      continue;
    } else {
      const b = fs.cache.get(p);
      const take = Math.min(bs - inBlock, bytes);
      dst.set(b.subarray(inBlock, inBlock + take), done);
      done += take;
      continue;
    }
    done += bytes;
  }
  return total;
}

/** The disk blocks holding the file's bytes [pos, pos + len) (clipped to its size; holes and
 *  unwritten extents have none), as [first block, count] runs. Maps through the inode's
 *  extents or indirect blocks (read synchronously, as metadata). */
export function dataRuns(fs: Ext2Fs, n: Inode, pos: number, len: number): [number, number][] {
  const end = Math.min(n.size, pos + len);
  const runs: [number, number][] = [];
  if (pos >= end) return runs;
  const bs = fs.bs;
  const last = Math.floor((end - 1) / bs);
  let l = Math.floor(pos / bs);
  while (l <= last) {
    const [p, run] = fs.mapRun(n, l, last - l + 1);
    const k = Math.max(1, Math.min(run, last - l + 1));
    if (p !== 0) {
      if (p + k > fs.sb.blocksCount) corrupt(`inode ${n.num}: block ${p} out of range`);
      const prev = runs.length > 0 ? runs[runs.length - 1] : null;
      if (prev !== null && prev[0] + prev[1] === p) prev[1] += k;
      else runs.push([p, k]);
    }
    l += k;
  }
  return runs;
}

/** Writes `src` at `pos` (extending the file); returns the count. ENOSPC part-way returns
 *  what was written, or throws if nothing was. */
export function writeData(fs: Ext2Fs, n: Inode, pos: number, src: Uint8Array): number {
  fs.writable();
  if (src.length === 0) return 0;
  if (pos + src.length > fs.maxSize(n)) {
    if (pos >= fs.maxSize(n)) throw new SysError("EFBIG");
    src = src.subarray(0, fs.maxSize(n) - pos);
  }
  const bs = fs.bs;
  const oldSize = n.size;
  let done = 0;
  try {
    while (done < src.length) {
      const at = pos + done;
      const l = Math.floor(at / bs);
      const inBlock = at % bs;
      const [p, run, fresh] = fs.allocRun(n, l, Math.ceil((src.length - done + inBlock) / bs));
      if (inBlock === 0 && src.length - done >= bs) {
        const whole = Math.min(run, Math.floor((src.length - done) / bs));
        fs.cache.writeRun(p, whole, src, done);
        done += whole * bs;
        continue;
      }
      const b = fresh ? fs.cache.zeroed(p) : fs.cache.get(p);
      // A block that was past the old end may hold stale bytes past it: the file reads zeroes there.
      if (!fresh && (l + 1) * bs > oldSize) b.fill(0, Math.max(0, oldSize - l * bs));
      const take = Math.min(bs - inBlock, src.length - done);
      b.set(src.subarray(done, done + take), inBlock);
      fs.cache.dirty(p);
      done += take;
    }
  } catch (e) {
    if (!(e instanceof SysError) || done === 0) {
      finishWrite(fs, n, pos, done);
      throw e;
    }
  }
  finishWrite(fs, n, pos, done);
  return done;
}

function finishWrite(fs: Ext2Fs, n: Inode, pos: number, done: number): void {
  if (pos + done > n.size) {
    n.size = pos + done;
    if (n.size >= 2 ** 31 && (fs.sb.roCompat & RO_LARGE_FILE) === 0) {
      fs.sb.set32(S_FEATURE_RO_COMPAT, fs.sb.roCompat | RO_LARGE_FILE);
    }
  }
  fs.store(n);
}

/** Sets a regular file's size: blocks past it are freed, the tail of its last block zeroed. */
export function setSize(fs: Ext2Fs, n: Inode, size: number): void {
  fs.writable();
  if (size > fs.maxSize(n)) throw new SysError("EFBIG");
  const bs = fs.bs;
  if (size < n.size) {
    fs.truncateBlocks(n, Math.ceil(size / bs));
    if (size % bs !== 0) {
      const p = fs.bmap(n, Math.floor(size / bs));
      if (p !== 0) {
        fs.cache.get(p).fill(0, size % bs);
        fs.cache.dirty(p);
      }
    }
  } else if (n.size % bs !== 0) {
    // Growing: the old last block's bytes past the old end must read as zeroes.
    const p = fs.bmap(n, Math.floor(n.size / bs));
    if (p !== 0) {
      fs.cache.get(p).fill(0, n.size % bs);
      fs.cache.dirty(p);
    }
  }
  n.size = size;
  if (size >= 2 ** 31 && (fs.sb.roCompat & RO_LARGE_FILE) === 0) fs.sb.set32(S_FEATURE_RO_COMPAT, fs.sb.roCompat | RO_LARGE_FILE);
  fs.store(n);
}
