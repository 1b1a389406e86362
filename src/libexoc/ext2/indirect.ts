// Block-mapped files (ext2/ext3's indirect blocks): i_block holds 12 direct block numbers, then
// one single-, one double- and one triple-indirect block. Allocation takes every block a new
// mapping needs (indirect blocks and the data block) before it links any of them, so ENOSPC
// changes nothing.

import type { BufferCache } from "./cache.js";
import { corrupt } from "./errors.js";
import type { Inode } from "./inode.js";

export const NDIR = 12;

export interface IndirectEnv {
  cache: BufferCache;
  bs: number;
  blocksCount: number;
  /** Allocates up to `n` contiguous blocks near `goal`: [first, count] (throws ENOSPC). */
  allocRun(goal: number, n: number): [number, number];
  free(blk: number, n: number): void;
}

/** The path to logical block `l`: i_block index, then the index in each indirect level. */
function path(l: number, a: number): number[] | null {
  if (l < NDIR) return [l];
  l -= NDIR;
  if (l < a) return [NDIR, l];
  l -= a;
  if (l < a * a) return [NDIR + 1, Math.floor(l / a), l % a];
  l -= a * a;
  if (l < a * a * a) return [NDIR + 2, Math.floor(l / (a * a)), Math.floor(l / a) % a, l % a];
  return null;
}

/** Largest number of blocks a block-mapped file can have. */
export function maxIndirectBlocks(bs: number): number {
  const a = bs / 4;
  return NDIR + a + a * a + a * a * a;
}

function check(p: number, env: IndirectEnv): number {
  if (p >= env.blocksCount) corrupt(`block pointer ${p} outside the file system`);
  return p;
}

/** Physical block of logical block `l`, or 0 for a hole. */
export function indirectMap(ino: Inode, l: number, env: IndirectEnv): number {
  const pth = path(l, env.bs / 4);
  if (pth === null) return 0;
  let p = check(ino.blockWord(pth[0]), env);
  for (let k = 1; k < pth.length && p !== 0; k++) p = check(env.cache.get(p).readUInt32LE(4 * pth[k]), env);
  return p;
}

/**
 * Maps logical block `l` (a hole) to a new block near `goal`; returns [data block, blocks
 * allocated in all, indirect ones included]. The new data block's contents are the caller's.
 */
export function indirectAlloc(ino: Inode, l: number, env: IndirectEnv, goal: number): [number, number] {
  const pth = path(l, env.bs / 4);
  if (pth === null) throw new Error("ext2: block beyond the triple-indirect range");
  // Find the first missing level.
  const holders: [Buffer | null, number, number][] = []; // [block buffer or null for the inode, index, block number]
  let p = ino.blockWord(pth[0]);
  holders.push([null, pth[0], 0]);
  let k = 1;
  while (p !== 0 && k < pth.length) {
    check(p, env);
    holders.push([env.cache.get(p), pth[k], p]);
    p = env.cache.get(p).readUInt32LE(4 * pth[k]);
    k++;
  }
  if (p !== 0) return [p, 0];
  const missing = pth.length - (holders.length - 1);
  const got: number[] = [];
  try {
    while (got.length < missing) {
      const [b, n] = env.allocRun(got.length > 0 ? got[got.length - 1] + 1 : goal, missing - got.length);
      for (let i = 0; i < n; i++) got.push(b + i);
    }
  } catch (e) {
    for (const b of got) env.free(b, 1);
    throw e;
  }
  // Link: the last holder found points to got[0], got[i] to got[i+1].
  let [hb, hi, hblk] = holders[holders.length - 1];
  for (let i = 0; i < got.length; i++) {
    if (hb === null) ino.setBlockWord(hi, got[i]);
    else {
      env.cache.get(hblk).writeUInt32LE(got[i], 4 * hi);
      env.cache.dirty(hblk);
    }
    if (i < got.length - 1) {
      hb = env.cache.zeroed(got[i]);
      hblk = got[i];
      hi = pth[pth.length - (got.length - 1 - i)];
    }
  }
  return [got[got.length - 1], got.length];
}

/** Frees every block of logical index `keep` and beyond, and indirect blocks left with
 *  nothing to map; returns how many blocks were freed. */
export function indirectTruncate(ino: Inode, keep: number, env: IndirectEnv): number {
  const a = env.bs / 4;
  let freed = 0;
  const freeTree = (p: number, depth: number): void => {
    check(p, env);
    if (depth > 0) {
      const b = Buffer.from(env.cache.get(p));
      for (let i = 0; i < a; i++) {
        const c = b.readUInt32LE(4 * i);
        if (c !== 0) freeTree(c, depth - 1);
      }
    }
    env.free(p, 1);
    freed++;
  };
  // Returns the pointer to keep in the parent (0 once the subtree is gone).
  const cut = (p: number, depth: number, base: number, span: number): number => {
    if (p === 0) return 0;
    if (keep <= base) {
      freeTree(p, depth);
      return 0;
    }
    if (keep >= base + span) return p;
    check(p, env);
    const child = span / a;
    const b = env.cache.get(p);
    let changed = false;
    for (let i = 0; i < a; i++) {
      const c = b.readUInt32LE(4 * i);
      if (c === 0) continue;
      const nc = depth === 1 ? (base + i >= keep ? (env.free(check(c, env), 1), freed++, 0) : c) : cut(c, depth - 1, base + i * child, child);
      if (nc !== c) {
        env.cache.get(p).writeUInt32LE(nc, 4 * i);
        changed = true;
      }
    }
    if (changed) env.cache.dirty(p);
    return p;
  };
  for (let i = Math.max(0, keep); i < NDIR; i++) {
    const p = ino.blockWord(i);
    if (p !== 0) {
      env.free(check(p, env), 1);
      freed++;
      ino.setBlockWord(i, 0);
    }
  }
  let base = NDIR;
  let span = a;
  for (let level = 1; level <= 3; level++) {
    const w = NDIR + level - 1;
    ino.setBlockWord(w, cut(ino.blockWord(w), level, base, span));
    base += span;
    span *= a;
  }
  return freed;
}
