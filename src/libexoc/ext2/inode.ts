// Inodes: the on-disk record (struct ext4_inode) as raw bytes with typed fields, and the table
// that finds an inode's bytes in its group's inode table. An Inode object is also the VFS's
// VolumeNode: one per inode in use, shared by every lookup and open file of it.

import type { VolumeNode } from "../volume.js";
import type { BufferCache } from "./cache.js";
import { crc32c, crc32cU32 } from "./crc.js";
import { corrupt } from "./errors.js";
import type { Groups } from "./groups.js";
import { IN_64BIT, RO_HUGE_FILE, type Superblock } from "./superblock.js";

// Field offsets.
export const I_MODE = 0x00, I_UID = 0x02, I_SIZE = 0x04, I_ATIME = 0x08, I_CTIME = 0x0c, I_MTIME = 0x10, I_DTIME = 0x14;
export const I_GID = 0x18, I_LINKS = 0x1a, I_BLOCKS = 0x1c, I_FLAGS = 0x20, I_BLOCK = 0x28, I_GENERATION = 0x64;
export const I_FILE_ACL = 0x68, I_SIZE_HIGH = 0x6c, I_BLOCKS_HIGH = 0x74, I_FILE_ACL_HIGH = 0x76, I_UID_HIGH = 0x78;
export const I_GID_HIGH = 0x7a, I_CHECKSUM_LO = 0x7c, I_EXTRA_ISIZE = 0x80, I_CHECKSUM_HI = 0x82, I_CTIME_EXTRA = 0x84;
export const I_MTIME_EXTRA = 0x88, I_ATIME_EXTRA = 0x8c, I_CRTIME = 0x90, I_CRTIME_EXTRA = 0x94;
/** Bytes of i_block (block map, extent root, fast symlink target). */
export const I_BLOCK_SIZE = 60;

// i_flags.
export const FL_IMMUTABLE = 0x10, FL_APPEND = 0x20, FL_INDEX = 0x1000, FL_HUGE_FILE = 0x40000, FL_EXTENTS = 0x80000;
export const FL_EA_INODE = 0x200000, FL_INLINE_DATA = 0x10000000;

export const ROOT_INO = 2;

/** Extra inode bytes we give new inodes (covers the high checksum, ns times and crtime). */
export const NEW_EXTRA_ISIZE = 32;

export class Inode implements VolumeNode {
  readonly ino: bigint;
  /** VFS handles, open files and pending operations keep the in-memory inode alive. */
  openCount = 0;
  /** The in-memory extent list (extents.ts), loaded on first use. */
  extents: unknown = null;
  /** On the orphan chain (no names left, still open). */
  orphan = false;
  /** A directory's in-memory index (dirops.ts), built on first use. */
  dirIndex: unknown = null;

  constructor(
    readonly num: number,
    /** The inode's bytes (inode_size of them), a private copy written back by store(). */
    readonly raw: Buffer,
  ) {
    this.ino = BigInt(num);
  }

  get mode(): number {
    return this.raw.readUInt16LE(I_MODE);
  }
  set mode(v: number) {
    this.raw.writeUInt16LE(v, I_MODE);
  }
  get uid(): number {
    return this.raw.readUInt16LE(I_UID) | (this.raw.readUInt16LE(I_UID_HIGH) << 16);
  }
  set uid(v: number) {
    this.raw.writeUInt16LE(v & 0xffff, I_UID);
    this.raw.writeUInt16LE((v >>> 16) & 0xffff, I_UID_HIGH);
  }
  get gid(): number {
    return this.raw.readUInt16LE(I_GID) | (this.raw.readUInt16LE(I_GID_HIGH) << 16);
  }
  set gid(v: number) {
    this.raw.writeUInt16LE(v & 0xffff, I_GID);
    this.raw.writeUInt16LE((v >>> 16) & 0xffff, I_GID_HIGH);
  }
  get size(): number {
    return this.raw.readUInt32LE(I_SIZE) + this.raw.readUInt32LE(I_SIZE_HIGH) * 2 ** 32;
  }
  set size(v: number) {
    this.raw.writeUInt32LE(v % 2 ** 32, I_SIZE);
    this.raw.writeUInt32LE(Math.floor(v / 2 ** 32), I_SIZE_HIGH);
  }
  get links(): number {
    return this.raw.readUInt16LE(I_LINKS);
  }
  set links(v: number) {
    this.raw.writeUInt16LE(v, I_LINKS);
  }
  get flags(): number {
    return this.raw.readUInt32LE(I_FLAGS);
  }
  set flags(v: number) {
    this.raw.writeUInt32LE(v >>> 0, I_FLAGS);
  }
  get generation(): number {
    return this.raw.readUInt32LE(I_GENERATION);
  }
  get dtime(): number {
    return this.raw.readUInt32LE(I_DTIME);
  }
  set dtime(v: number) {
    this.raw.writeUInt32LE(v >>> 0, I_DTIME);
  }
  /** Extended-attribute block (0: none). */
  fileAcl(is64: boolean): number {
    return this.raw.readUInt32LE(I_FILE_ACL) + (is64 ? this.raw.readUInt16LE(I_FILE_ACL_HIGH) * 2 ** 32 : 0);
  }
  get extraIsize(): number {
    return this.raw.length > 128 ? this.raw.readUInt16LE(I_EXTRA_ISIZE) : 0;
  }
  /** Whether field `off` (of `len` bytes) past the first 128 is present. */
  hasExtra(off: number, len: number): boolean {
    return off + len <= 128 + this.extraIsize;
  }

  /** A time field in ns (the _extra word, when present, adds epoch bits and nanoseconds). */
  time(off: number, extraOff: number): bigint {
    if (off >= 128 && !this.hasExtra(off, 4)) return 0n;
    const lo = this.raw.readInt32LE(off);
    if (!this.hasExtra(extraOff, 4)) return BigInt(lo) * 1_000_000_000n;
    const extra = this.raw.readUInt32LE(extraOff);
    const sec = BigInt(lo) + BigInt(extra & 3) * 2n ** 32n;
    return sec * 1_000_000_000n + BigInt(extra >>> 2);
  }
  setTime(off: number, extraOff: number, ns: bigint): void {
    if (off >= 128 && !this.hasExtra(off, 4)) return;
    let sec = ns / 1_000_000_000n;
    let nsec = ns % 1_000_000_000n;
    if (nsec < 0n) {
      nsec += 1_000_000_000n;
      sec -= 1n;
    }
    const lo = BigInt.asIntN(32, sec);
    this.raw.writeInt32LE(Number(lo), off);
    if (this.hasExtra(extraOff, 4)) {
      const epoch = Number(((sec - lo) >> 32n) & 3n);
      this.raw.writeUInt32LE(((Number(nsec) << 2) | epoch) >>> 0, extraOff);
    }
  }

  /** 512-byte sectors counted in i_blocks. */
  blocks512(sb: Superblock): number {
    let n = this.raw.readUInt32LE(I_BLOCKS);
    if ((sb.roCompat & RO_HUGE_FILE) !== 0) {
      n += this.raw.readUInt16LE(I_BLOCKS_HIGH) * 2 ** 32;
      if ((this.flags & FL_HUGE_FILE) !== 0) n *= sb.blockSize / 512;
    }
    return n;
  }
  setBlocks512(sb: Superblock, n: number): void {
    if ((this.flags & FL_HUGE_FILE) !== 0) {
      this.flags = this.flags & ~FL_HUGE_FILE;
    }
    if (n >= 2 ** 32 && (sb.roCompat & RO_HUGE_FILE) === 0) corrupt("file too large for i_blocks without huge_file");
    this.raw.writeUInt32LE(n % 2 ** 32, I_BLOCKS);
    if ((sb.roCompat & RO_HUGE_FILE) !== 0) this.raw.writeUInt16LE(Math.floor(n / 2 ** 32), I_BLOCKS_HIGH);
  }
  addBlocks(sb: Superblock, fsBlocks: number): void {
    this.setBlocks512(sb, this.blocks512(sb) + fsBlocks * (sb.blockSize / 512));
  }

  /** i_block as 15 little-endian words. */
  blockWord(i: number): number {
    return this.raw.readUInt32LE(I_BLOCK + 4 * i);
  }
  setBlockWord(i: number, v: number): void {
    this.raw.writeUInt32LE(v >>> 0, I_BLOCK + 4 * i);
  }
  get iblock(): Buffer {
    return this.raw.subarray(I_BLOCK, I_BLOCK + I_BLOCK_SIZE);
  }
}

/** Reads and writes inodes in the inode tables, checking and setting their checksums. */
export class InodeTable {
  readonly isz: number;
  private readonly seed: number;
  private readonly csum: boolean;

  constructor(
    private readonly sb: Superblock,
    private readonly groups: Groups,
    private readonly cache: BufferCache,
  ) {
    this.isz = sb.inodeSize;
    this.csum = sb.metadataCsum;
    this.seed = this.csum ? sb.csumSeed() : 0;
  }

  private where(ino: number): [number, number] {
    if (ino < 1 || ino > this.sb.inodesCount) corrupt(`inode number ${ino} out of range`);
    const g = Math.floor((ino - 1) / this.groups.ipg);
    const idx = (ino - 1) % this.groups.ipg;
    const byte = idx * this.isz;
    return [this.groups.inodeTableAt(g) + Math.floor(byte / this.groups.bs), byte % this.groups.bs];
  }

  /** A copy of inode `ino`'s bytes, its checksum verified. */
  read(ino: number): Buffer {
    const [blk, off] = this.where(ino);
    const raw = Buffer.from(this.cache.get(blk).subarray(off, off + this.isz));
    if (this.csum && raw.readUInt16LE(I_MODE) !== 0 && this.checksum(ino, raw) !== this.stored(raw)) corrupt(`inode ${ino} checksum mismatch`);
    return raw;
  }

  /** Writes inode bytes back into the table (checksum updated first). */
  write(ino: number, raw: Buffer): void {
    if (this.csum) {
      const c = this.checksum(ino, raw);
      raw.writeUInt16LE(c & 0xffff, I_CHECKSUM_LO);
      if (raw.length > 128 && 128 + raw.readUInt16LE(I_EXTRA_ISIZE) >= I_CHECKSUM_HI + 2) raw.writeUInt16LE(c >>> 16, I_CHECKSUM_HI);
    }
    const [blk, off] = this.where(ino);
    const b = this.cache.get(blk);
    raw.copy(b, off);
    this.cache.dirty(blk);
  }

  private hasHi(raw: Buffer): boolean {
    return raw.length > 128 && 128 + raw.readUInt16LE(I_EXTRA_ISIZE) >= I_CHECKSUM_HI + 2;
  }

  private stored(raw: Buffer): number {
    const lo = raw.readUInt16LE(I_CHECKSUM_LO);
    return this.hasHi(raw) ? (lo | (raw.readUInt16LE(I_CHECKSUM_HI) << 16)) >>> 0 : lo;
  }

  private checksum(ino: number, raw: Buffer): number {
    let c = crc32cU32(this.seed, ino);
    c = crc32cU32(c, raw.readUInt32LE(I_GENERATION));
    const zero = Buffer.alloc(2);
    c = crc32c(c, raw, 0, I_CHECKSUM_LO);
    c = crc32c(c, zero);
    c = crc32c(c, raw, I_CHECKSUM_LO + 2, 128);
    if (raw.length > 128) {
      const hi = this.hasHi(raw);
      c = crc32c(c, raw, 128, I_CHECKSUM_HI);
      if (hi) {
        c = crc32c(c, zero);
        c = crc32c(c, raw, I_CHECKSUM_HI + 2, raw.length);
      } else c = crc32c(c, raw, I_CHECKSUM_HI, raw.length);
    }
    return this.hasHi(raw) ? c : c & 0xffff;
  }

  /** The checksum seed of inode-owned blocks (directory and extent blocks). */
  inodeSeed(ino: number, generation: number): number {
    return crc32cU32(crc32cU32(this.seed, ino), generation);
  }

  get is64(): boolean {
    return (this.sb.incompat & IN_64BIT) !== 0;
  }
}
