// Block groups: their descriptors, block and inode bitmaps, and allocation. Free counts are kept
// exact in three places at once (bitmap, group descriptor, superblock), and every allocation
// either completes or changes nothing (ENOSPC is raised before the first bit is set).
//
// Lazily initialised groups (uninit_bg / metadata_csum): a group marked BLOCK_UNINIT has no
// valid block bitmap on disk; its bitmap is computed from the layout (backup superblock and
// descriptors, and any group's bitmaps and inode table that lie in it) the first time it is
// needed, and the flag is cleared when the group is first allocated from. INODE_UNINIT groups
// likewise start from an empty inode bitmap. Checksums of bitmaps and descriptors are brought
// up to date by prepareSync() before anything is written back.

import type { BufferCache } from "./cache.js";
import { crc16, crc32c, crc32cU32 } from "./crc.js";
import { corrupt } from "./errors.js";
import type { Superblock } from "./superblock.js";
import { SysError } from "../errors.js";

// Group descriptor fields (struct ext4_group_desc).
const G_BLOCK_BITMAP = 0x00, G_INODE_BITMAP = 0x04, G_INODE_TABLE = 0x08, G_FREE_BLOCKS = 0x0c, G_FREE_INODES = 0x0e;
const G_USED_DIRS = 0x10, G_FLAGS = 0x12, G_BLOCK_BITMAP_CSUM = 0x18, G_INODE_BITMAP_CSUM = 0x1a, G_ITABLE_UNUSED = 0x1c;
const G_CHECKSUM = 0x1e, G_BLOCK_BITMAP_HI = 0x20, G_INODE_BITMAP_HI = 0x24, G_INODE_TABLE_HI = 0x28, G_FREE_BLOCKS_HI = 0x2c;
const G_FREE_INODES_HI = 0x2e, G_USED_DIRS_HI = 0x30, G_ITABLE_UNUSED_HI = 0x32, G_BLOCK_BITMAP_CSUM_HI = 0x38, G_INODE_BITMAP_CSUM_HI = 0x3a;

/** bg_flags. */
export const BG_INODE_UNINIT = 1, BG_BLOCK_UNINIT = 2, BG_ITABLE_ZEROED = 4;

export class Groups {
  readonly count: number;
  readonly bs: number;
  readonly bpg: number;
  readonly ipg: number;
  readonly descSize: number;
  /** First block of the descriptor table and its length in blocks. */
  readonly gdtStart: number;
  readonly gdtBlocks: number;
  private readonly csum: boolean;
  private readonly seed: number;
  /** Groups whose descriptor or bitmaps changed since the last prepareSync. */
  private readonly changed = new Set<number>();
  /** Groups whose bitmaps were checked against their checksums. */
  private readonly verified = new Set<string>();

  constructor(
    private readonly sb: Superblock,
    private readonly cache: BufferCache,
  ) {
    this.count = sb.groupCount;
    this.bs = sb.blockSize;
    this.bpg = sb.blocksPerGroup;
    this.ipg = sb.inodesPerGroup;
    this.descSize = sb.descSize;
    this.gdtStart = sb.firstDataBlock + 1;
    this.gdtBlocks = Math.ceil((this.count * this.descSize) / this.bs);
    this.csum = sb.metadataCsum;
    this.seed = this.csum ? sb.csumSeed() : 0;
  }

  // ---- descriptors ----

  private loc(g: number): [Buffer, number, number] {
    const byte = g * this.descSize;
    const blk = this.gdtStart + Math.floor(byte / this.bs);
    return [this.cache.get(blk), byte % this.bs, blk];
  }
  private get16(g: number, lo: number, hi: number): number {
    const [b, o] = this.loc(g);
    return b.readUInt16LE(o + lo) + (this.descSize >= 64 && hi >= 0 ? b.readUInt16LE(o + hi) * 65536 : 0);
  }
  private get32(g: number, lo: number, hi: number): number {
    const [b, o] = this.loc(g);
    return b.readUInt32LE(o + lo) + (this.descSize >= 64 ? b.readUInt32LE(o + hi) * 2 ** 32 : 0);
  }
  private set16(g: number, lo: number, hi: number, v: number): void {
    const [b, o, blk] = this.loc(g);
    b.writeUInt16LE(v & 0xffff, o + lo);
    if (this.descSize >= 64 && hi >= 0) b.writeUInt16LE(Math.floor(v / 65536) & 0xffff, o + hi);
    this.cache.dirty(blk);
    this.changed.add(g);
  }

  blockBitmapAt(g: number): number {
    return this.get32(g, G_BLOCK_BITMAP, G_BLOCK_BITMAP_HI);
  }
  inodeBitmapAt(g: number): number {
    return this.get32(g, G_INODE_BITMAP, G_INODE_BITMAP_HI);
  }
  inodeTableAt(g: number): number {
    return this.get32(g, G_INODE_TABLE, G_INODE_TABLE_HI);
  }
  freeBlocksIn(g: number): number {
    return this.get16(g, G_FREE_BLOCKS, G_FREE_BLOCKS_HI);
  }
  freeInodesIn(g: number): number {
    return this.get16(g, G_FREE_INODES, G_FREE_INODES_HI);
  }
  usedDirsIn(g: number): number {
    return this.get16(g, G_USED_DIRS, G_USED_DIRS_HI);
  }
  flags(g: number): number {
    return this.get16(g, G_FLAGS, -1);
  }
  private itableUnused(g: number): number {
    return this.sb.gdtCsum || this.csum ? this.get16(g, G_ITABLE_UNUSED, G_ITABLE_UNUSED_HI) : 0;
  }

  /** First block of group `g` and its number of blocks. */
  groupStart(g: number): number {
    return this.sb.firstDataBlock + g * this.bpg;
  }
  groupBlocks(g: number): number {
    return Math.min(this.bpg, this.sb.blocksCount - this.groupStart(g));
  }

  /** Checks every descriptor (checksum, locations inside the file system). */
  validate(): void {
    const total = this.sb.blocksCount;
    let freeB = 0, freeI = 0;
    for (let g = 0; g < this.count; g++) {
      if ((this.csum || this.sb.gdtCsum) && this.descChecksum(g) !== this.get16(g, G_CHECKSUM, -1)) corrupt(`group descriptor ${g} checksum mismatch`);
      const bb = this.blockBitmapAt(g), ib = this.inodeBitmapAt(g), it = this.inodeTableAt(g);
      const itBlocks = Math.ceil((this.ipg * this.sb.inodeSize) / this.bs);
      if (bb < this.sb.firstDataBlock || bb >= total) corrupt(`group ${g}: block bitmap at ${bb}`);
      if (ib < this.sb.firstDataBlock || ib >= total) corrupt(`group ${g}: inode bitmap at ${ib}`);
      if (it < this.sb.firstDataBlock || it + itBlocks > total) corrupt(`group ${g}: inode table at ${it}`);
      if (this.freeBlocksIn(g) > this.bpg || this.freeInodesIn(g) > this.ipg) corrupt(`group ${g}: free counts`);
      freeB += this.freeBlocksIn(g);
      freeI += this.freeInodesIn(g);
    }
    // The kernel does not keep the superblock's totals exact; the groups' are authoritative.
    this.sb.freeBlocks = freeB;
    this.sb.freeInodes = freeI;
  }

  private descChecksum(g: number): number {
    const [b, o] = this.loc(g);
    const le = Buffer.alloc(4);
    le.writeUInt32LE(g);
    if (this.csum) {
      let c = crc32c(this.seed, le);
      c = crc32c(c, b, o, o + G_CHECKSUM);
      c = crc32c(c, Buffer.alloc(2));
      if (this.descSize > G_CHECKSUM + 2) c = crc32c(c, b, o + G_CHECKSUM + 2, o + this.descSize);
      return c & 0xffff;
    }
    let c = crc16(0xffff, this.sb.uuid);
    c = crc16(c, le);
    c = crc16(c, b, o, o + G_CHECKSUM);
    if (this.descSize > G_CHECKSUM + 2) c = crc16(c, b, o + G_CHECKSUM + 2, o + this.descSize);
    return c;
  }

  // ---- bitmaps ----

  /** The block bitmap of group `g` (computed if the group is BLOCK_UNINIT). */
  blockBitmap(g: number): Buffer {
    const at = this.blockBitmapAt(g);
    if ((this.flags(g) & BG_BLOCK_UNINIT) !== 0 && (this.csum || this.sb.gdtCsum)) return this.initBlockBitmap(g, at);
    const b = this.cache.get(at);
    if (this.csum && !this.verified.has(`b${g}`)) {
      const c = crc32c(this.seed, b, 0, this.bpg / 8);
      const want = this.get16(g, G_BLOCK_BITMAP_CSUM, G_BLOCK_BITMAP_CSUM_HI);
      if ((this.descSize >= 64 ? c : c & 0xffff) !== want) corrupt(`group ${g}: block bitmap checksum mismatch`);
      this.verified.add(`b${g}`);
    }
    return b;
  }

  inodeBitmap(g: number): Buffer {
    const at = this.inodeBitmapAt(g);
    if ((this.flags(g) & BG_INODE_UNINIT) !== 0 && (this.csum || this.sb.gdtCsum)) {
      const b = this.cache.zeroed(at);
      for (let i = this.ipg; i < this.bs * 8; i++) b[i >> 3] |= 1 << (i & 7);
      this.set16(g, G_FLAGS, -1, this.flags(g) & ~BG_INODE_UNINIT);
      this.cache.dirty(at);
      this.verified.add(`i${g}`);
      return b;
    }
    const b = this.cache.get(at);
    if (this.csum && !this.verified.has(`i${g}`)) {
      const c = crc32c(this.seed, b, 0, this.ipg / 8);
      const want = this.get16(g, G_INODE_BITMAP_CSUM, G_INODE_BITMAP_CSUM_HI);
      if ((this.descSize >= 64 ? c : c & 0xffff) !== want) corrupt(`group ${g}: inode bitmap checksum mismatch`);
      this.verified.add(`i${g}`);
    }
    return b;
  }

  /** Builds the bitmap of a BLOCK_UNINIT group: its metadata blocks in use, the rest free. */
  private initBlockBitmap(g: number, at: number): Buffer {
    const b = this.cache.zeroed(at);
    const start = this.groupStart(g);
    const n = this.groupBlocks(g);
    const mark = (blk: number, len: number): void => {
      for (let k = 0; k < len; k++) {
        const i = blk + k - start;
        if (i >= 0 && i < n) b[i >> 3] |= 1 << (i & 7);
      }
    };
    if (this.sb.hasSuper(g)) mark(start, 1 + this.gdtBlocks + this.sb.reservedGdtBlocks);
    const itBlocks = Math.ceil((this.ipg * this.sb.inodeSize) / this.bs);
    for (let h = 0; h < this.count; h++) {
      mark(this.blockBitmapAt(h), 1);
      mark(this.inodeBitmapAt(h), 1);
      mark(this.inodeTableAt(h), itBlocks);
    }
    for (let i = n; i < this.bs * 8; i++) b[i >> 3] |= 1 << (i & 7);
    this.set16(g, G_FLAGS, -1, this.flags(g) & ~BG_BLOCK_UNINIT);
    this.verified.add(`b${g}`);
    return b;
  }

  /** Whether block `blk` is marked in use. */
  blockInUse(blk: number): boolean {
    const g = Math.floor((blk - this.sb.firstDataBlock) / this.bpg);
    const i = blk - this.groupStart(g);
    return (this.blockBitmap(g)[i >> 3] & (1 << (i & 7))) !== 0;
  }

  // ---- allocation ----

  /**
   * Allocates up to `want` contiguous blocks, the first as close after `goal` as possible;
   * returns [first, count]. ENOSPC when no block is free (nothing changed then).
   */
  allocBlocks(goal: number, want: number): [number, number] {
    if (this.sb.freeBlocks <= 0) throw new SysError("ENOSPC");
    if (goal < this.sb.firstDataBlock || goal >= this.sb.blocksCount) goal = this.sb.firstDataBlock;
    const g0 = Math.floor((goal - this.sb.firstDataBlock) / this.bpg);
    for (let k = 0; k <= this.count; k++) {
      const g = (g0 + k) % this.count;
      if (this.freeBlocksIn(g) === 0) continue;
      const bm = this.blockBitmap(g);
      const n = this.groupBlocks(g);
      const from = k === 0 ? goal - this.groupStart(g) : 0;
      let i = findZero(bm, from, n);
      if (i < 0 && from > 0) i = findZero(bm, 0, from);
      if (i < 0) {
        corrupt(`group ${g}: free block count ${this.freeBlocksIn(g)} but no free bit`);
      }
      let len = 1;
      while (len < want && i + len < n && (bm[(i + len) >> 3] & (1 << ((i + len) & 7))) === 0) len++;
      for (let j = i; j < i + len; j++) bm[j >> 3] |= 1 << (j & 7);
      this.cache.dirty(this.blockBitmapAt(g));
      this.set16(g, G_FREE_BLOCKS, G_FREE_BLOCKS_HI, this.freeBlocksIn(g) - len);
      this.sb.freeBlocks = this.sb.freeBlocks - len;
      return [this.groupStart(g) + i, len];
    }
    throw new SysError("ENOSPC");
  }

  /** Frees `n` blocks from `first` (a run inside one group or spanning several). */
  freeBlocks(first: number, n: number): void {
    let blk = first;
    const end = first + n;
    while (blk < end) {
      if (blk < this.sb.firstDataBlock || blk >= this.sb.blocksCount) corrupt(`freeing block ${blk} outside the file system`);
      const g = Math.floor((blk - this.sb.firstDataBlock) / this.bpg);
      const gEnd = Math.min(end, this.groupStart(g) + this.groupBlocks(g));
      const bm = this.blockBitmap(g);
      let freed = 0;
      for (let b = blk; b < gEnd; b++) {
        const i = b - this.groupStart(g);
        if ((bm[i >> 3] & (1 << (i & 7))) === 0) continue; // already free: a corrupt map, not ours to repeat
        bm[i >> 3] &= ~(1 << (i & 7));
        freed++;
        this.cache.forget(b);
      }
      this.cache.dirty(this.blockBitmapAt(g));
      this.set16(g, G_FREE_BLOCKS, G_FREE_BLOCKS_HI, this.freeBlocksIn(g) + freed);
      this.sb.freeBlocks = this.sb.freeBlocks + freed;
      blk = gEnd;
    }
  }

  /** Allocates an inode, preferring group `prefer`; directories go to a group with fewer
   *  directories than average and free room (spreading the tree, as Orlov does). */
  allocInode(prefer: number, dir: boolean, spread = dir): number {
    if (this.sb.freeInodes <= 0) throw new SysError("ENOSPC");
    let start = prefer;
    if (spread) {
      const avgFree = this.sb.freeInodes / this.count;
      let best = -1;
      for (let k = 0; k < this.count; k++) {
        const g = (prefer + k) % this.count;
        if (this.freeInodesIn(g) >= avgFree && this.freeBlocksIn(g) > 0 && (best < 0 || this.usedDirsIn(g) < this.usedDirsIn(best))) best = g;
      }
      if (best >= 0) start = best;
    }
    for (let k = 0; k < this.count; k++) {
      const g = (start + k) % this.count;
      if (this.freeInodesIn(g) === 0) continue;
      const bm = this.inodeBitmap(g);
      const first = g === 0 ? this.sb.firstIno - 1 : 0;
      const i = findZero(bm, first, this.ipg);
      if (i < 0) corrupt(`group ${g}: free inode count ${this.freeInodesIn(g)} but no free bit`);
      bm[i >> 3] |= 1 << (i & 7);
      this.cache.dirty(this.inodeBitmapAt(g));
      this.set16(g, G_FREE_INODES, G_FREE_INODES_HI, this.freeInodesIn(g) - 1);
      if (dir) this.set16(g, G_USED_DIRS, G_USED_DIRS_HI, this.usedDirsIn(g) + 1);
      const unused = this.itableUnused(g);
      if (unused > 0 && i >= this.ipg - unused) this.set16(g, G_ITABLE_UNUSED, G_ITABLE_UNUSED_HI, this.ipg - i - 1);
      this.sb.freeInodes = this.sb.freeInodes - 1;
      return g * this.ipg + i + 1;
    }
    throw new SysError("ENOSPC");
  }

  /** Marks inode `ino` in use (a reserved inode, such as the root, made by mkfs). */
  claimInode(ino: number, dir: boolean): void {
    const g = Math.floor((ino - 1) / this.ipg);
    const i = (ino - 1) % this.ipg;
    const bm = this.inodeBitmap(g);
    if ((bm[i >> 3] & (1 << (i & 7))) !== 0) return;
    bm[i >> 3] |= 1 << (i & 7);
    this.cache.dirty(this.inodeBitmapAt(g));
    this.set16(g, G_FREE_INODES, G_FREE_INODES_HI, this.freeInodesIn(g) - 1);
    if (dir) this.set16(g, G_USED_DIRS, G_USED_DIRS_HI, this.usedDirsIn(g) + 1);
    this.sb.freeInodes = this.sb.freeInodes - 1;
  }

  freeInode(ino: number, dir: boolean): void {
    const g = Math.floor((ino - 1) / this.ipg);
    const i = (ino - 1) % this.ipg;
    const bm = this.inodeBitmap(g);
    if ((bm[i >> 3] & (1 << (i & 7))) === 0) corrupt(`freeing inode ${ino}, which is free`);
    bm[i >> 3] &= ~(1 << (i & 7));
    this.cache.dirty(this.inodeBitmapAt(g));
    this.set16(g, G_FREE_INODES, G_FREE_INODES_HI, this.freeInodesIn(g) + 1);
    if (dir) this.set16(g, G_USED_DIRS, G_USED_DIRS_HI, Math.max(0, this.usedDirsIn(g) - 1));
    this.sb.freeInodes = this.sb.freeInodes + 1;
  }

  /** Whether inode `ino` is marked in use. */
  inodeInUse(ino: number): boolean {
    const g = Math.floor((ino - 1) / this.ipg);
    const i = (ino - 1) % this.ipg;
    return (this.inodeBitmap(g)[i >> 3] & (1 << (i & 7))) !== 0;
  }

  /** Brings bitmap and descriptor checksums of changed groups up to date. */
  prepareSync(): void {
    for (const g of this.changed) {
      if (this.csum) {
        const [, , blk] = this.loc(g);
        void blk;
        if ((this.flags(g) & BG_BLOCK_UNINIT) === 0) {
          const c = crc32c(this.seed, this.cache.get(this.blockBitmapAt(g)), 0, this.bpg / 8);
          this.raw16(g, G_BLOCK_BITMAP_CSUM, c & 0xffff);
          if (this.descSize >= 64) this.raw16(g, G_BLOCK_BITMAP_CSUM_HI, c >>> 16);
        }
        if ((this.flags(g) & BG_INODE_UNINIT) === 0) {
          const c = crc32c(this.seed, this.cache.get(this.inodeBitmapAt(g)), 0, this.ipg / 8);
          this.raw16(g, G_INODE_BITMAP_CSUM, c & 0xffff);
          if (this.descSize >= 64) this.raw16(g, G_INODE_BITMAP_CSUM_HI, c >>> 16);
        }
      }
      if (this.csum || this.sb.gdtCsum) this.raw16(g, G_CHECKSUM, this.descChecksum(g));
      this.verified.add(`b${g}`).add(`i${g}`);
    }
    this.changed.clear();
  }

  private raw16(g: number, off: number, v: number): void {
    const [b, o, blk] = this.loc(g);
    b.writeUInt16LE(v & 0xffff, o + off);
    this.cache.dirty(blk);
  }
}

/** Index of the first clear bit in [from, to) of a bitmap, or -1. */
export function findZero(bm: Uint8Array, from: number, to: number): number {
  let i = from;
  while (i < to) {
    if ((i & 7) === 0 && i + 8 <= to && bm[i >> 3] === 0xff) {
      i += 8;
      continue;
    }
    if ((bm[i >> 3] & (1 << (i & 7))) === 0) return i;
    i++;
  }
  return -1;
}

export { crc32cU32 };
