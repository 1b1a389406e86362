// Making a new, empty ext2 file system (revision 1: sparse superblocks, file types in
// directory entries, large files, 256-byte inodes with nanosecond times), as `mke2fs -t ext2`
// lays it out: in each group a superblock and descriptor copy where sparse_super puts one, then
// the block bitmap, the inode bitmap and the inode table. The root directory and lost+found are
// made through the file system itself once the layout is written.

import type { Disk } from "./cache.js";
import { Ext2Fs } from "./fs.js";
import { ROOT_INO } from "./inode.js";
import {
  EXT2_MAGIC, IN_FILETYPE, RO_LARGE_FILE, RO_SPARSE_SUPER, STATE_VALID, Superblock, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE, S_BLOCKS_COUNT_LO,
  S_BLOCKS_PER_GROUP, S_BLOCK_GROUP_NR, S_CHECKINTERVAL, S_CLUSTERS_PER_GROUP, S_CREATOR_OS, S_DEF_HASH_VERSION, S_ERRORS, S_FEATURE_COMPAT,
  S_FEATURE_INCOMPAT, S_FEATURE_RO_COMPAT, S_FIRST_DATA_BLOCK, S_FIRST_INO, S_FLAGS, S_FREE_BLOCKS_LO, S_FREE_INODES, S_HASH_SEED,
  S_INODES_COUNT, S_INODES_PER_GROUP, S_INODE_SIZE, S_LASTCHECK, S_LOG_BLOCK_SIZE, S_LOG_CLUSTER_SIZE, S_MAGIC, S_MAX_MNT_COUNT,
  S_MIN_EXTRA_ISIZE, S_MKFS_TIME, S_REV_LEVEL, S_R_BLOCKS_COUNT_LO, S_STATE, S_UUID, S_VOLUME_NAME, S_WANT_EXTRA_ISIZE, S_WTIME,
} from "./superblock.js";
import { emptyBlock } from "./dir.js";
import { hostRandom } from "../random.js";

export interface MkfsOptions {
  /** Block size: 1024, 2048 or 4096 (default: 1024 below 512 MiB, else 4096). */
  blockSize?: number;
  /** Inodes wanted (default: one per 16 KiB, or 4 KiB for 1 KiB blocks). */
  inodes?: number;
  /** Inode size (default 256). */
  inodeSize?: number;
  /** Percentage of blocks reserved for root (default 5). */
  reservedPercent?: number;
  label?: string;
  /** The disk reads as zeroes already (a new sparse file): inode tables need no writing. */
  zeroed?: boolean;
  /** Owner and permissions of the root directory. */
  rootMode?: number;
  rootUid?: number;
  rootGid?: number;
}

/** Writes a new file system over all of `disk` and returns it mounted read-write. */
export function mkfs(disk: Disk, o: MkfsOptions = {}): Ext2Fs {
  const bytes = disk.sectors * 512;
  const bs = o.blockSize ?? (bytes < 512 * 2 ** 20 ? 1024 : 4096);
  if (bs !== 1024 && bs !== 2048 && bs !== 4096) throw new Error(`block size ${bs}`);
  const isz = o.inodeSize ?? 256;
  const first = bs === 1024 ? 1 : 0;
  let blocks = Math.floor(bytes / bs);
  const bpg = bs * 8;
  let groups = Math.ceil((blocks - first) / bpg);
  let inodes = o.inodes ?? Math.floor(bytes / (bs === 1024 ? 4096 : 16384));
  const perItBlock = bs / isz;
  const ipgFor = (g: number): number => {
    let ipg = Math.ceil(Math.max(inodes, 16 * g) / g);
    ipg = Math.ceil(ipg / Math.max(8, perItBlock)) * Math.max(8, perItBlock);
    return Math.min(ipg, bpg, 65536 - perItBlock);
  };
  let ipg = ipgFor(groups);
  const gdtBlocks = (g: number): number => Math.ceil((g * 32) / bs);
  const sbProbe = new Superblock(Buffer.alloc(SUPERBLOCK_SIZE));
  sbProbe.set32(S_REV_LEVEL, 1);
  sbProbe.set32(S_FEATURE_RO_COMPAT, RO_SPARSE_SUPER);
  const overhead = (g: number): number => (sbProbe.hasSuper(g) ? 1 + gdtBlocks(groups) : 0) + 2 + Math.ceil((ipg * isz) / bs);
  // A last group too small for its own metadata and some data is dropped, as mke2fs does.
  const lastSize = blocks - first - (groups - 1) * bpg;
  if (groups > 1 && lastSize < overhead(groups - 1) + 50) {
    groups--;
    blocks = first + groups * bpg;
    ipg = ipgFor(groups);
  }
  if (blocks - first < overhead(0) + 16) throw new Error(`${bytes} bytes is too small for an ext2 file system`);
  inodes = ipg * groups;
  const itBlocks = Math.ceil((ipg * isz) / bs);
  const now = Math.floor(Date.now() / 1000);

  const sbRaw = Buffer.alloc(SUPERBLOCK_SIZE);
  const sb = new Superblock(sbRaw);
  sb.set32(S_INODES_COUNT, inodes);
  sb.set32(S_BLOCKS_COUNT_LO, blocks);
  sb.set32(S_R_BLOCKS_COUNT_LO, Math.floor((blocks * (o.reservedPercent ?? 5)) / 100));
  sb.set32(S_FIRST_DATA_BLOCK, first);
  sb.set32(S_LOG_BLOCK_SIZE, Math.log2(bs) - 10);
  sb.set32(S_LOG_CLUSTER_SIZE, Math.log2(bs) - 10);
  sb.set32(S_BLOCKS_PER_GROUP, bpg);
  sb.set32(S_CLUSTERS_PER_GROUP, bpg);
  sb.set32(S_INODES_PER_GROUP, ipg);
  sb.set32(S_WTIME, now);
  sb.set16(S_MAX_MNT_COUNT, 0xffff);
  sb.set16(S_MAGIC, EXT2_MAGIC);
  sb.set16(S_STATE, STATE_VALID);
  sb.set16(S_ERRORS, 1);
  sb.set32(S_LASTCHECK, now);
  sb.set32(S_CHECKINTERVAL, 0);
  sb.set32(S_CREATOR_OS, 0);
  sb.set32(S_REV_LEVEL, 1);
  sb.set32(S_FIRST_INO, 11);
  sb.set16(S_INODE_SIZE, isz);
  sb.set32(S_FEATURE_COMPAT, 0);
  sb.set32(S_FEATURE_INCOMPAT, IN_FILETYPE);
  sb.set32(S_FEATURE_RO_COMPAT, RO_SPARSE_SUPER | RO_LARGE_FILE);
  hostRandom(sbRaw.subarray(S_UUID, S_UUID + 16));
  Buffer.from((o.label ?? "").slice(0, 16)).copy(sbRaw, S_VOLUME_NAME);
  hostRandom(sbRaw.subarray(S_HASH_SEED, S_HASH_SEED + 16));
  sbRaw[S_DEF_HASH_VERSION] = 1; // half_md4
  sb.set32(S_FLAGS, 1); // signed directory hash, as on x86
  if (isz > 128) {
    sb.set16(S_MIN_EXTRA_ISIZE, 32);
    sb.set16(S_WANT_EXTRA_ISIZE, 32);
  }
  sb.set32(S_MKFS_TIME, now);

  // Layout and bitmaps, group by group.
  const gdt = Buffer.alloc(gdtBlocks(groups) * bs);
  let freeBlocks = 0;
  const freeInodesTotal = inodes - 9; // inodes 1 and 3..10 are reserved
  const zero = Buffer.alloc(bs);
  const write = (blk: number, data: Buffer): void => disk.write((blk * bs) / 512, data);
  for (let g = 0; g < groups; g++) {
    const start = first + g * bpg;
    const n = Math.min(bpg, blocks - start);
    let at = start;
    if (sb.hasSuper(g)) at += 1 + gdtBlocks(groups);
    const bbm = at, ibm = at + 1, itab = at + 2;
    const used = itab + itBlocks - start;
    const bm = Buffer.alloc(bs);
    for (let i = 0; i < used; i++) bm[i >> 3] |= 1 << (i & 7);
    for (let i = n; i < bs * 8; i++) bm[i >> 3] |= 1 << (i & 7);
    const im = Buffer.alloc(bs);
    for (let i = ipg; i < bs * 8; i++) im[i >> 3] |= 1 << (i & 7);
    let freeI = ipg;
    if (g === 0) {
      // Reserved inodes 1 and 3..10 (the root, 2, is claimed when it is made).
      for (let i = 0; i < 10; i++) if (i !== ROOT_INO - 1) im[i >> 3] |= 1 << (i & 7);
      freeI -= 9;
    }
    write(bbm, bm);
    write(ibm, im);
    if (!o.zeroed) for (let k = 0; k < itBlocks; k++) write(itab + k, zero);
    const freeB = n - used;
    freeBlocks += freeB;
    const d = g * 32;
    gdt.writeUInt32LE(bbm, d);
    gdt.writeUInt32LE(ibm, d + 4);
    gdt.writeUInt32LE(itab, d + 8);
    gdt.writeUInt16LE(freeB, d + 12);
    gdt.writeUInt16LE(freeI, d + 14);
  }
  sb.set32(S_FREE_BLOCKS_LO, freeBlocks);
  sb.set32(S_FREE_INODES, freeInodesTotal);
  // Superblock and descriptor copies.
  for (let g = 0; g < groups; g++) {
    if (!sb.hasSuper(g)) continue;
    sb.set16(S_BLOCK_GROUP_NR, g);
    const start = first + g * bpg;
    if (g === 0) {
      const head = Buffer.alloc(Math.max(bs, 2048));
      sbRaw.copy(head, SUPERBLOCK_OFFSET);
      disk.write(0, head.subarray(0, 2048));
    } else {
      const blk = Buffer.alloc(bs);
      sbRaw.copy(blk, 0);
      write(start, blk);
    }
    write(start + 1, gdt.subarray(0, bs * gdtBlocks(groups)));
  }
  sb.set16(S_BLOCK_GROUP_NR, 0);
  disk.flush();

  const fs = new Ext2Fs(disk, { fresh: true });
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const root = fs.newInode(0o040000 | ((o.rootMode ?? 0o755) & 0o7777), o.rootUid ?? 0, o.rootGid ?? 0, null, nowNs, { num: ROOT_INO });
  fs.dirs.init(root, ROOT_INO);
  root.links = 2;
  fs.store(root);
  const lpf = fs.newInode(0o040700, 0, 0, root, nowNs, { spread: false });
  fs.dirs.init(lpf, ROOT_INO);
  // lost+found gets room to reconnect files without allocating (e2fsck's needs).
  while (lpf.size < 16384 && lpf.size < 4 * bs) {
    const l = lpf.size / bs;
    const [p] = fs.allocRun(lpf, l, 1);
    emptyBlock(fs.cache.zeroed(p), fs.dirFormat, 0); // ext2 made here has no checksums
    lpf.size = lpf.size + bs;
  }
  lpf.links = 2;
  fs.store(lpf);
  fs.dirs.add(root, Buffer.from("lost+found"), lpf.num, lpf.mode, nowNs);
  root.links = 3;
  fs.store(root);
  fs.sync();
  return fs;
}

