// Extent-mapped files (ext4's EXTENTS_FL): the tree in i_block and extent blocks is read once
// into a sorted in-memory list of extents; changes edit the list and write the whole tree back
// (store), packing leaves full so the tree is as shallow and narrow as it can be. Files are
// mostly contiguous, so lists are short and rewriting them is cheap; store() allocates the
// blocks the new tree needs before it changes anything, so ENOSPC leaves the old tree intact.

import type { BufferCache } from "./cache.js";
import { crc32c } from "./crc.js";
import { corrupt } from "./errors.js";

export const EXT_MAGIC = 0xf30a;
/** Longest initialised extent, and the longest unwritten (preallocated) one. */
export const EXT_INIT_MAX = 32768;
export const EXT_UNINIT_MAX = 32767;
/** Deepest tree we accept (the kernel's limit is 5). */
const MAX_DEPTH = 5;

/** One extent: `len` blocks from logical `l` at physical `p`; `uninit` reads as zeroes. */
export interface Extent {
  l: number;
  len: number;
  p: number;
  uninit: boolean;
}

export interface ExtentMap {
  list: Extent[];
  /** Blocks the on-disk tree occupies (index and leaf blocks), for reuse by store(). */
  tree: number[];
}

/** What the extent code needs from the file system. */
export interface ExtentEnv {
  cache: BufferCache;
  bs: number;
  blocksCount: number;
  /** Checksum seed of the inode (null: no metadata_csum). */
  seed: number | null;
  /** Allocates one block near `goal` (throws ENOSPC). */
  alloc(goal: number): number;
  free(blk: number, n: number): void;
}

/** Reads the tree rooted at `root` (the 60 bytes of i_block). */
export function loadExtents(root: Buffer, env: ExtentEnv): ExtentMap {
  const map: ExtentMap = { list: [], tree: [] };
  walk(root, -1, env, map, 0);
  for (let i = 1; i < map.list.length; i++) {
    const a = map.list[i - 1], b = map.list[i];
    if (a.l + a.len > b.l) corrupt(`extents overlap at logical block ${b.l}`);
  }
  return map;
}

function walk(node: Buffer, expectDepth: number, env: ExtentEnv, map: ExtentMap, level: number): void {
  if (node.readUInt16LE(0) !== EXT_MAGIC) corrupt("bad extent header magic");
  const entries = node.readUInt16LE(2), max = node.readUInt16LE(4), depth = node.readUInt16LE(6);
  if (entries > max || 12 + 12 * max > node.length || depth > MAX_DEPTH || (expectDepth >= 0 && depth !== expectDepth) || level > MAX_DEPTH) corrupt("bad extent header");
  for (let i = 0; i < entries; i++) {
    const o = 12 + 12 * i;
    if (depth === 0) {
      const raw = node.readUInt16LE(o + 4);
      const uninit = raw > EXT_INIT_MAX;
      const len = uninit ? raw - EXT_INIT_MAX : raw;
      const p = node.readUInt32LE(o + 8) + node.readUInt16LE(o + 6) * 2 ** 32;
      if (len === 0 || p === 0 || p + len > env.blocksCount) corrupt(`extent at block ${p} (+${len}) outside the file system`);
      map.list.push({ l: node.readUInt32LE(o), len, p, uninit });
    } else {
      const child = node.readUInt32LE(o + 4) + node.readUInt16LE(o + 8) * 2 ** 32;
      if (child === 0 || child >= env.blocksCount) corrupt(`extent index block ${child} outside the file system`);
      const b = env.cache.get(child);
      if (env.seed !== null) {
        const cmax = b.readUInt16LE(4);
        const at = 12 + 12 * cmax;
        if (at + 4 > b.length || crc32c(env.seed, b, 0, at) !== b.readUInt32LE(at)) corrupt(`extent block ${child} checksum mismatch`);
      }
      map.tree.push(child);
      walk(Buffer.from(b), depth - 1, env, map, level + 1);
    }
  }
}

/** Index of the extent holding logical block `l`, or -1. */
export function findExtent(list: Extent[], l: number): number {
  let lo = 0, hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const e = list[mid];
    if (l < e.l) hi = mid - 1;
    else if (l >= e.l + e.len) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/** Index of the last extent starting at or before `l` (-1: none). */
export function extentBefore(list: Extent[], l: number): number {
  let lo = 0, hi = list.length - 1, r = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].l <= l) {
      r = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return r;
}

function mergeable(a: Extent, b: Extent): boolean {
  return a.uninit === b.uninit && a.l + a.len === b.l && a.p + a.len === b.p && a.len + b.len <= (a.uninit ? EXT_UNINIT_MAX : EXT_INIT_MAX);
}

/** A new list with `e` (a range not mapped before) inserted and merged with its neighbours. */
export function withExtent(list: Extent[], e: Extent): Extent[] {
  const out = list.slice();
  let i = extentBefore(out, e.l) + 1;
  out.splice(i, 0, { ...e });
  if (i > 0 && mergeable(out[i - 1], out[i])) {
    out[i - 1] = { ...out[i - 1], len: out[i - 1].len + out[i].len };
    out.splice(i, 1);
    i--;
  }
  if (i + 1 < out.length && mergeable(out[i], out[i + 1])) {
    out[i] = { ...out[i], len: out[i].len + out[i + 1].len };
    out.splice(i + 1, 1);
  }
  return out;
}

/** A new list where logical blocks [l, l+n) of unwritten extent `idx` are initialised. */
export function initialised(list: Extent[], idx: number, l: number, n: number): Extent[] {
  const e = list[idx];
  const out = list.slice(0, idx);
  const rest = list.slice(idx + 1);
  if (l > e.l) out.push({ l: e.l, len: l - e.l, p: e.p, uninit: true });
  const mid: Extent = { l, len: n, p: e.p + (l - e.l), uninit: false };
  const after = e.l + e.len - (l + n);
  const tail: Extent[] = after > 0 ? [{ l: l + n, len: after, p: mid.p + n, uninit: true }] : [];
  return withExtent([...out, ...tail, ...rest], mid);
}

/** Cuts the list at logical block `keep` (blocks from it on are dropped); returns the new list
 *  and the physical runs that are no longer mapped. */
export function truncated(list: Extent[], keep: number): [Extent[], [number, number][]] {
  const out: Extent[] = [];
  const freed: [number, number][] = [];
  for (const e of list) {
    if (e.l + e.len <= keep) out.push(e);
    else if (e.l >= keep) freed.push([e.p, e.len]);
    else {
      const n = keep - e.l;
      out.push({ ...e, len: n });
      freed.push([e.p + n, e.len - n]);
    }
  }
  return [out, freed];
}

/** Number of tree blocks a list of `n` extents needs. */
export function treeBlocksFor(n: number, bs: number): number {
  const per = Math.floor((bs - 12) / 12);
  let total = 0;
  let count = n;
  while (count > 4) {
    count = Math.ceil(count / per);
    total += count;
  }
  return total;
}

/**
 * Writes `list` as the tree: the root into `iblock` (60 bytes of the inode), the other levels
 * into blocks reused from `map.tree` or newly allocated. Allocates first, so on ENOSPC nothing
 * has changed. Returns the change in the number of tree blocks.
 */
export function storeExtents(map: ExtentMap, list: Extent[], iblock: Buffer, env: ExtentEnv, goal: number): number {
  const per = Math.floor((env.bs - 12) / 12);
  const need = treeBlocksFor(list.length, env.bs);
  const blocks = map.tree.slice(0, need);
  const got: number[] = [];
  try {
    while (blocks.length < need) {
      const b = env.alloc(goal);
      got.push(b);
      blocks.push(b);
    }
  } catch (e) {
    for (const b of got) env.free(b, 1);
    throw e;
  }
  const extra = map.tree.slice(need);
  for (const b of extra) env.free(b, 1);
  const delta = need - map.tree.length;
  map.tree = blocks;
  map.list = list;

  // Leaves first, then index levels, each a list of [first logical block, block number].
  let level: [number, number][] = [];
  let depth = 0;
  let used = 0;
  if (list.length > 4) {
    for (let i = 0; i < list.length; i += per) {
      const chunk = list.slice(i, i + per);
      const blk = blocks[used++];
      writeNode(env.cache.zeroed(blk), per, 0, chunk.map(leafBytes), env.seed);
      level.push([chunk[0].l, blk]);
    }
    depth = 1;
    while (level.length > 4) {
      const next: [number, number][] = [];
      for (let i = 0; i < level.length; i += per) {
        const chunk = level.slice(i, i + per);
        const blk = blocks[used++];
        writeNode(env.cache.zeroed(blk), per, depth, chunk.map(indexBytes), env.seed);
        next.push([chunk[0][0], blk]);
      }
      level = next;
      depth++;
    }
  }
  const rootEntries = depth === 0 ? list.map(leafBytes) : level.map(indexBytes);
  iblock.fill(0);
  writeNode(iblock, 4, depth, rootEntries, null);
  return delta;
}

function leafBytes(e: Extent): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt32LE(e.l, 0);
  b.writeUInt16LE(e.uninit ? e.len + EXT_INIT_MAX : e.len, 4);
  b.writeUInt16LE(Math.floor(e.p / 2 ** 32), 6);
  b.writeUInt32LE(e.p % 2 ** 32, 8);
  return b;
}

function indexBytes([l, blk]: [number, number]): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt32LE(l, 0);
  b.writeUInt32LE(blk % 2 ** 32, 4);
  b.writeUInt16LE(Math.floor(blk / 2 ** 32), 8);
  return b;
}

function writeNode(node: Buffer, max: number, depth: number, entries: Buffer[], seed: number | null): void {
  node.writeUInt16LE(EXT_MAGIC, 0);
  node.writeUInt16LE(entries.length, 2);
  node.writeUInt16LE(max, 4);
  node.writeUInt16LE(depth, 6);
  node.writeUInt32LE(0, 8);
  entries.forEach((e, i) => e.copy(node, 12 + 12 * i));
  if (seed !== null) {
    const at = 12 + 12 * max;
    node.writeUInt32LE(crc32c(seed, node, 0, at), at);
  }
}

/** An empty tree root (a new extent-mapped inode). */
export function emptyRoot(iblock: Buffer): void {
  iblock.fill(0);
  writeNode(iblock, 4, 0, [], null);
}
