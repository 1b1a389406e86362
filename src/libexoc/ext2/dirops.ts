// Directory operations over Ext2Fs: lookups, adding, removing and retargeting entries, making
// and emptiness of directories. A directory in use gets an in-memory index (name → inode, and
// the room left in each block), built by one scan and kept up to date by every change, so
// creating the n-th file of a large directory costs no scan of the n-1 before it.

import { SysError } from "../errors.js";
import { addEntry, deindexBlock, emptyBlock, entrySize, firstBlock, indexBlocks, parseBlock, removeEntry, retarget, tailOk, typeOfMode, type DirEnt } from "./dir.js";
import { corrupt } from "./errors.js";
import type { Ext2Fs } from "./fs.js";
import { FL_INDEX, type Inode } from "./inode.js";
import { COMPAT_DIR_INDEX } from "./superblock.js";

/** The in-memory index of one directory. */
export interface DirIndex {
  /** Entry names (latin1 strings: bytes kept exact) → inode numbers. */
  names: Map<string, number>;
  /** Largest entry (in bytes, as entrySize counts) each leaf block can still take; -1 for
   *  index blocks of a hashed directory. */
  room: number[];
}

const DOT = Buffer.from(".");
const DOTDOT = Buffer.from("..");

/** Largest new entry a parsed leaf block can take. */
function roomOf(ents: DirEnt[]): number {
  let best = 0;
  for (const e of ents) {
    const free = e.ino === 0 ? e.rec : e.rec - entrySize(e.name.length);
    if (free > best) best = free;
  }
  return best;
}

export class Directories {
  constructor(private readonly fs: Ext2Fs) {}

  /** Physical blocks of a directory, in order (directories have no holes). */
  blockList(d: Inode): number[] {
    const bs = this.fs.bs;
    if (d.size % bs !== 0) corrupt(`directory ${d.num}: size ${d.size} is not whole blocks`);
    const nb = d.size / bs;
    const out: number[] = [];
    let l = 0;
    while (l < nb) {
      const [p, run] = this.fs.mapRun(d, l, nb - l);
      if (p === 0) corrupt(`directory ${d.num}: hole at block ${l}`);
      for (let k = 0; k < run; k++) out.push(p + k);
      l += run;
    }
    return out;
  }

  private seed(d: Inode): number {
    return this.fs.csum ? this.fs.itable.inodeSeed(d.num, d.generation) : 0;
  }

  /** Logical blocks of a hashed directory's index (empty for a linear one). */
  private indexSet(d: Inode, blocks: number[]): Set<number> {
    if ((d.flags & FL_INDEX) === 0 || (this.fs.sb.compat & COMPAT_DIR_INDEX) === 0) return new Set();
    return new Set(indexBlocks((l) => this.fs.cache.get(blocks[l]), this.fs.dirFormat, blocks.length));
  }

  /** Every leaf block's entries (with "." and ".."), in order; stops when `f` returns true. */
  scan(d: Inode, f: (ents: DirEnt[], blk: number, l: number) => boolean): void {
    const blocks = this.blockList(d);
    const index = this.indexSet(d, blocks);
    const seed = this.seed(d);
    const fmt = this.fs.dirFormat;
    for (let l = 0; l < blocks.length; l++) {
      if (index.has(l)) continue;
      const b = this.fs.cache.get(blocks[l]);
      if (fmt.csum && !tailOk(b, fmt, seed)) corrupt(`directory ${d.num}: block ${l} checksum mismatch`);
      if (f(parseBlock(b, fmt, `directory ${d.num}`), blocks[l], l)) return;
    }
  }

  /** The directory's index, built on first use. */
  index(d: Inode): DirIndex {
    if (d.dirIndex !== null) return d.dirIndex as DirIndex;
    const idx: DirIndex = { names: new Map(), room: [] };
    const blocks = this.blockList(d);
    idx.room = new Array<number>(blocks.length).fill(-1);
    this.scan(d, (ents, _blk, l) => {
      for (const e of ents) if (e.ino !== 0) idx.names.set(e.name.toString("latin1"), e.ino);
      idx.room[l] = roomOf(ents);
      return false;
    });
    d.dirIndex = idx;
    return idx;
  }

  /** The inode number `name` names in `d`, or 0. */
  lookup(d: Inode, name: Buffer): number {
    const ino = this.index(d).names.get(name.toString("latin1")) ?? 0;
    if (ino > this.fs.sb.inodesCount) corrupt(`directory ${d.num}: entry names inode ${ino}`);
    return ino;
  }

  /** Drops a hashed directory's index, so it can be changed as a linear one. */
  private deindex(d: Inode): void {
    if ((d.flags & FL_INDEX) === 0) return;
    const blocks = this.blockList(d);
    const seed = this.seed(d);
    const idx = this.index(d);
    for (const l of this.indexSet(d, blocks)) {
      const b = this.fs.cache.get(blocks[l]);
      deindexBlock(b, this.fs.dirFormat, l === 0, seed);
      this.fs.cache.dirty(blocks[l]);
      idx.room[l] = roomOf(parseBlock(b, this.fs.dirFormat, `directory ${d.num}`));
    }
    d.flags = d.flags & ~FL_INDEX;
    this.fs.store(d);
  }

  /** Adds entry `name` → `ino` to directory `d` (growing it by a block when full). */
  add(d: Inode, name: Buffer, ino: number, mode: number, nowNs: bigint): void {
    this.deindex(d);
    const idx = this.index(d);
    const type = typeOfMode(mode);
    const seed = this.seed(d);
    const need = entrySize(name.length);
    const fmt = this.fs.dirFormat;
    const l = idx.room.findIndex((r) => r >= need);
    if (l >= 0) {
      const blk = this.blockList(d)[l];
      const b = this.fs.cache.get(blk);
      if (!addEntry(b, fmt, ino, name, type, seed)) corrupt(`directory ${d.num}: block ${l} has less room than counted`);
      this.fs.cache.dirty(blk);
      idx.room[l] = roomOf(parseBlock(b, fmt, `directory ${d.num}`));
    } else {
      const nl = idx.room.length;
      const [p] = this.fs.allocRun(d, nl, 1);
      const b = this.fs.cache.zeroed(p);
      emptyBlock(b, fmt, seed);
      addEntry(b, fmt, ino, name, type, seed);
      d.size = d.size + this.fs.bs;
      idx.room.push(roomOf(parseBlock(b, fmt, `directory ${d.num}`)));
    }
    idx.names.set(name.toString("latin1"), ino);
    this.touch(d, nowNs);
  }

  /** The block holding entry `name` ([logical, physical]), or throws ENOENT. */
  private find(d: Inode, name: Buffer): [number, number] {
    let at: [number, number] | null = null;
    this.scan(d, (ents, blk, l) => {
      for (const e of ents) {
        if (e.ino !== 0 && e.name.equals(name)) {
          at = [l, blk];
          return true;
        }
      }
      return false;
    });
    if (at === null) throw new SysError("ENOENT");
    return at;
  }

  /** Removes entry `name` from directory `d`. */
  remove(d: Inode, name: Buffer, nowNs: bigint): void {
    this.deindex(d);
    const idx = this.index(d);
    const [l, blk] = this.find(d, name);
    const b = this.fs.cache.get(blk);
    removeEntry(b, this.fs.dirFormat, name, this.seed(d));
    this.fs.cache.dirty(blk);
    idx.room[l] = roomOf(parseBlock(b, this.fs.dirFormat, `directory ${d.num}`));
    idx.names.delete(name.toString("latin1"));
    this.touch(d, nowNs);
  }

  /** Points existing entry `name` of `d` at `ino`. */
  retarget(d: Inode, name: Buffer, ino: number, mode: number, nowNs: bigint): void {
    this.deindex(d);
    const idx = this.index(d);
    const [, blk] = this.find(d, name);
    retarget(this.fs.cache.get(blk), this.fs.dirFormat, name, ino, typeOfMode(mode), this.seed(d));
    this.fs.cache.dirty(blk);
    idx.names.set(name.toString("latin1"), ino);
    this.touch(d, nowNs);
  }

  /** Whether a directory has entries besides "." and "..". */
  empty(d: Inode): boolean {
    for (const k of this.index(d).names.keys()) if (k !== "." && k !== "..") return false;
    return true;
  }

  /** A new directory's first block ("." and "..") and size. */
  init(d: Inode, parent: number): void {
    const [p] = this.fs.allocRun(d, 0, 1);
    firstBlock(this.fs.cache.zeroed(p), this.fs.dirFormat, d.num, parent, this.seed(d));
    d.size = this.fs.bs;
    d.dirIndex = null;
  }

  touch(d: Inode, nowNs: bigint): void {
    d.setTime(0x10, 0x88, nowNs);
    d.setTime(0x0c, 0x84, nowNs);
    this.fs.store(d);
  }
}

export { DOT, DOTDOT };
