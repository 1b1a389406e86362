// The ext2/ext3/ext4 superblock: field offsets, feature bits, and the checks that decide whether
// an image can be mounted (read-write, read-only, or not at all). Fields are read and written in
// place in the superblock's 1024 raw bytes, so fields we do not know survive untouched.

import { crc32c } from "./crc.js";
import { MountError } from "./errors.js";

export const SUPERBLOCK_OFFSET = 1024;
export const SUPERBLOCK_SIZE = 1024;
export const EXT2_MAGIC = 0xef53;

// Field offsets (struct ext4_super_block).
export const S_INODES_COUNT = 0x00, S_BLOCKS_COUNT_LO = 0x04, S_R_BLOCKS_COUNT_LO = 0x08, S_FREE_BLOCKS_LO = 0x0c;
export const S_FREE_INODES = 0x10, S_FIRST_DATA_BLOCK = 0x14, S_LOG_BLOCK_SIZE = 0x18, S_LOG_CLUSTER_SIZE = 0x1c;
export const S_BLOCKS_PER_GROUP = 0x20, S_CLUSTERS_PER_GROUP = 0x24, S_INODES_PER_GROUP = 0x28, S_MTIME = 0x2c, S_WTIME = 0x30;
export const S_MNT_COUNT = 0x34, S_MAX_MNT_COUNT = 0x36, S_MAGIC = 0x38, S_STATE = 0x3a, S_ERRORS = 0x3c, S_MINOR_REV = 0x3e;
export const S_LASTCHECK = 0x40, S_CHECKINTERVAL = 0x44, S_CREATOR_OS = 0x48, S_REV_LEVEL = 0x4c, S_DEF_RESUID = 0x50, S_DEF_RESGID = 0x52;
export const S_FIRST_INO = 0x54, S_INODE_SIZE = 0x58, S_BLOCK_GROUP_NR = 0x5a, S_FEATURE_COMPAT = 0x5c, S_FEATURE_INCOMPAT = 0x60;
export const S_FEATURE_RO_COMPAT = 0x64, S_UUID = 0x68, S_VOLUME_NAME = 0x78, S_RESERVED_GDT_BLOCKS = 0xce, S_JOURNAL_INUM = 0xe0;
export const S_LAST_ORPHAN = 0xe8, S_HASH_SEED = 0xec, S_DEF_HASH_VERSION = 0xfc, S_DESC_SIZE = 0xfe, S_FIRST_META_BG = 0x104;
export const S_MKFS_TIME = 0x108, S_BLOCKS_COUNT_HI = 0x150, S_R_BLOCKS_COUNT_HI = 0x154, S_FREE_BLOCKS_HI = 0x158;
export const S_MIN_EXTRA_ISIZE = 0x15c, S_WANT_EXTRA_ISIZE = 0x15e, S_FLAGS = 0x160, S_LOG_GROUPS_PER_FLEX = 0x174;
export const S_CHECKSUM_TYPE = 0x175, S_KBYTES_WRITTEN = 0x178, S_BACKUP_BGS = 0x24c, S_CHECKSUM_SEED = 0x270, S_CHECKSUM = 0x3fc;

/** s_state bits. */
export const STATE_VALID = 1, STATE_ERROR = 2;

// Compatible features: safe to ignore.
export const COMPAT_DIR_PREALLOC = 0x1, COMPAT_HAS_JOURNAL = 0x4, COMPAT_EXT_ATTR = 0x8, COMPAT_RESIZE_INODE = 0x10;
export const COMPAT_DIR_INDEX = 0x20, COMPAT_SPARSE_SUPER2 = 0x200;
// Read-only compatible: unknown ones allow only reading.
export const RO_SPARSE_SUPER = 0x1, RO_LARGE_FILE = 0x2, RO_BTREE_DIR = 0x4, RO_HUGE_FILE = 0x8, RO_GDT_CSUM = 0x10;
export const RO_DIR_NLINK = 0x20, RO_EXTRA_ISIZE = 0x40, RO_QUOTA = 0x100, RO_BIGALLOC = 0x200, RO_METADATA_CSUM = 0x400;
export const RO_READONLY = 0x1000, RO_PROJECT = 0x2000, RO_VERITY = 0x8000, RO_ORPHAN_PRESENT = 0x10000;
// Incompatible: unknown ones refuse the mount.
export const IN_COMPRESSION = 0x1, IN_FILETYPE = 0x2, IN_RECOVER = 0x4, IN_JOURNAL_DEV = 0x8, IN_META_BG = 0x10;
export const IN_EXTENTS = 0x40, IN_64BIT = 0x80, IN_MMP = 0x100, IN_FLEX_BG = 0x200, IN_EA_INODE = 0x400, IN_DIRDATA = 0x1000;
export const IN_CSUM_SEED = 0x2000, IN_LARGEDIR = 0x4000, IN_INLINE_DATA = 0x8000, IN_ENCRYPT = 0x10000, IN_CASEFOLD = 0x20000;

const INCOMPAT_NAMES: Record<number, string> = {
  [IN_COMPRESSION]: "compression", [IN_FILETYPE]: "filetype", [IN_RECOVER]: "needs_recovery", [IN_JOURNAL_DEV]: "journal_dev",
  [IN_META_BG]: "meta_bg", [IN_EXTENTS]: "extent", [IN_64BIT]: "64bit", [IN_MMP]: "mmp", [IN_FLEX_BG]: "flex_bg",
  [IN_EA_INODE]: "ea_inode", [IN_DIRDATA]: "dirdata", [IN_CSUM_SEED]: "metadata_csum_seed", [IN_LARGEDIR]: "large_dir",
  [IN_INLINE_DATA]: "inline_data", [IN_ENCRYPT]: "encrypt", [IN_CASEFOLD]: "casefold",
};
const RO_NAMES: Record<number, string> = {
  [RO_SPARSE_SUPER]: "sparse_super", [RO_LARGE_FILE]: "large_file", [RO_BTREE_DIR]: "btree_dir", [RO_HUGE_FILE]: "huge_file",
  [RO_GDT_CSUM]: "uninit_bg", [RO_DIR_NLINK]: "dir_nlink", [RO_EXTRA_ISIZE]: "extra_isize", [RO_QUOTA]: "quota",
  [RO_BIGALLOC]: "bigalloc", [RO_METADATA_CSUM]: "metadata_csum", [RO_READONLY]: "read-only", [RO_PROJECT]: "project",
  [RO_VERITY]: "verity", [RO_ORPHAN_PRESENT]: "orphan_present",
};

/** Incompatible features this library reads and writes. */
export const INCOMPAT_SUPPORTED = IN_FILETYPE | IN_EXTENTS | IN_64BIT | IN_FLEX_BG | IN_CSUM_SEED | IN_LARGEDIR;
/** Read-only-compatible features this library keeps correct when it writes. */
export const RO_SUPPORTED = RO_SPARSE_SUPER | RO_LARGE_FILE | RO_HUGE_FILE | RO_GDT_CSUM | RO_DIR_NLINK | RO_EXTRA_ISIZE | RO_METADATA_CSUM | RO_BTREE_DIR;

/** Names of the bits of `mask` set in `v`. */
function names(v: number, table: Record<number, string>): string[] {
  const out: string[] = [];
  for (let bit = 1; bit !== 0 && bit <= v; bit = (bit << 1) >>> 0) if ((v & bit) !== 0) out.push(table[bit] ?? `0x${bit.toString(16)}`);
  return out;
}

/** The superblock as raw bytes with typed accessors. */
export class Superblock {
  constructor(readonly raw: Buffer) {}

  u16(off: number): number {
    return this.raw.readUInt16LE(off);
  }
  u32(off: number): number {
    return this.raw.readUInt32LE(off);
  }
  set16(off: number, v: number): void {
    this.raw.writeUInt16LE(v & 0xffff, off);
  }
  set32(off: number, v: number): void {
    this.raw.writeUInt32LE(v >>> 0, off);
  }
  /** A 64-bit count split into lo and hi words (hi only with the 64bit feature). */
  u64(lo: number, hi: number): number {
    return this.u32(lo) + (this.is64 ? this.u32(hi) * 2 ** 32 : 0);
  }
  set64(lo: number, hi: number, v: number): void {
    this.set32(lo, v % 2 ** 32);
    if (this.is64) this.set32(hi, Math.floor(v / 2 ** 32));
  }

  get magic(): number {
    return this.u16(S_MAGIC);
  }
  get rev(): number {
    return this.u32(S_REV_LEVEL);
  }
  get compat(): number {
    return this.rev >= 1 ? this.u32(S_FEATURE_COMPAT) : 0;
  }
  get incompat(): number {
    return this.rev >= 1 ? this.u32(S_FEATURE_INCOMPAT) : 0;
  }
  get roCompat(): number {
    return this.rev >= 1 ? this.u32(S_FEATURE_RO_COMPAT) : 0;
  }
  get is64(): boolean {
    return (this.incompat & IN_64BIT) !== 0;
  }
  get blockSize(): number {
    return 1024 << this.u32(S_LOG_BLOCK_SIZE);
  }
  get blocksCount(): number {
    return this.u64(S_BLOCKS_COUNT_LO, S_BLOCKS_COUNT_HI);
  }
  get reservedBlocks(): number {
    return this.u64(S_R_BLOCKS_COUNT_LO, S_R_BLOCKS_COUNT_HI);
  }
  get freeBlocks(): number {
    return this.u64(S_FREE_BLOCKS_LO, S_FREE_BLOCKS_HI);
  }
  set freeBlocks(v: number) {
    this.set64(S_FREE_BLOCKS_LO, S_FREE_BLOCKS_HI, v);
  }
  get freeInodes(): number {
    return this.u32(S_FREE_INODES);
  }
  set freeInodes(v: number) {
    this.set32(S_FREE_INODES, v);
  }
  get inodesCount(): number {
    return this.u32(S_INODES_COUNT);
  }
  get firstDataBlock(): number {
    return this.u32(S_FIRST_DATA_BLOCK);
  }
  get blocksPerGroup(): number {
    return this.u32(S_BLOCKS_PER_GROUP);
  }
  get inodesPerGroup(): number {
    return this.u32(S_INODES_PER_GROUP);
  }
  get inodeSize(): number {
    return this.rev >= 1 ? this.u16(S_INODE_SIZE) : 128;
  }
  get firstIno(): number {
    return this.rev >= 1 ? this.u32(S_FIRST_INO) : 11;
  }
  get descSize(): number {
    return this.is64 ? this.u16(S_DESC_SIZE) : 32;
  }
  get groupCount(): number {
    return Math.ceil((this.blocksCount - this.firstDataBlock) / this.blocksPerGroup);
  }
  get reservedGdtBlocks(): number {
    return (this.compat & COMPAT_RESIZE_INODE) !== 0 ? this.u16(S_RESERVED_GDT_BLOCKS) : 0;
  }
  get metadataCsum(): boolean {
    return (this.roCompat & RO_METADATA_CSUM) !== 0;
  }
  get gdtCsum(): boolean {
    return (this.roCompat & RO_GDT_CSUM) !== 0;
  }
  get uuid(): Buffer {
    return this.raw.subarray(S_UUID, S_UUID + 16);
  }

  /** Whether group `g` holds a copy of the superblock and group descriptors. */
  hasSuper(g: number): boolean {
    if (g === 0) return true;
    if ((this.compat & COMPAT_SPARSE_SUPER2) !== 0) return g === this.u32(S_BACKUP_BGS) || g === this.u32(S_BACKUP_BGS + 4);
    if ((this.roCompat & RO_SPARSE_SUPER) === 0) return true;
    if (g <= 1) return true;
    for (const p of [3, 5, 7]) {
      let n = p;
      while (n < g) n *= p;
      if (n === g) return true;
    }
    return false;
  }

  /** crc32c of the superblock, as stored in s_checksum. */
  checksum(): number {
    return crc32c(0xffffffff, this.raw, 0, S_CHECKSUM);
  }

  updateChecksum(): void {
    if (this.metadataCsum) this.set32(S_CHECKSUM, this.checksum());
  }

  /** Seed of every other metadata checksum. */
  csumSeed(): number {
    if ((this.incompat & IN_CSUM_SEED) !== 0) return this.u32(S_CHECKSUM_SEED);
    return crc32c(0xffffffff, this.uuid);
  }

  /**
   * Checks that this is an ext2/3/4 superblock we can use; throws MountError if not. Returns
   * null when it can be written, or why it can only be read.
   */
  validate(imageBytes: number): string | null {
    if (this.magic !== EXT2_MAGIC) throw new MountError("notext2", "not an ext2/ext3/ext4 file system (no superblock magic)");
    const bad = (why: string): never => {
      throw new MountError("corrupt", `corrupted superblock: ${why}`);
    };
    if (this.rev > 1) bad(`revision ${this.rev}`);
    const log = this.u32(S_LOG_BLOCK_SIZE);
    if (log > 6) bad(`block size 1024<<${log}`);
    const bs = this.blockSize;
    if (this.metadataCsum && this.checksum() !== this.u32(S_CHECKSUM)) bad("checksum mismatch");
    if (this.rev >= 1) {
      const is = this.inodeSize;
      if (is < 128 || is > bs || (is & (is - 1)) !== 0) bad(`inode size ${is}`);
      if (this.firstIno < 11 || this.firstIno > this.inodesCount) bad(`first inode ${this.firstIno}`);
    }
    if (this.is64 && (this.descSize < 64 || this.descSize > 1024 || (this.descSize & (this.descSize - 1)) !== 0)) bad(`descriptor size ${this.descSize}`);
    const bpg = this.blocksPerGroup, ipg = this.inodesPerGroup;
    if (bpg === 0 || bpg > bs * 8 || bpg % 8 !== 0) bad(`${bpg} blocks per group`);
    if (ipg === 0 || ipg > bs * 8 || ipg % 8 !== 0) bad(`${ipg} inodes per group`);
    if (this.firstDataBlock !== (bs === 1024 ? 1 : 0)) bad(`first data block ${this.firstDataBlock}`);
    if (this.blocksCount <= this.firstDataBlock) bad(`${this.blocksCount} blocks`);
    if (this.inodesCount !== ipg * this.groupCount) bad(`${this.inodesCount} inodes for ${this.groupCount} groups of ${ipg}`);
    if (this.blocksCount * bs > imageBytes) {
      throw new MountError("truncated", `image is truncated: the file system has ${this.blocksCount} blocks of ${bs} bytes but the image holds ${Math.floor(imageBytes / bs)}`);
    }
    if (this.freeBlocks > this.blocksCount || this.freeInodes > this.inodesCount) bad("free counts larger than totals");
    if ((this.roCompat & RO_METADATA_CSUM) !== 0 && this.u8(S_CHECKSUM_TYPE) !== 1) bad(`checksum type ${this.u8(S_CHECKSUM_TYPE)}`);

    const inc = this.incompat;
    if ((inc & IN_RECOVER) !== 0) {
      throw new MountError("journal", "the journal needs recovery (the file system was not unmounted cleanly): run 'e2fsck -fy IMAGE' first");
    }
    const unsupported = inc & ~INCOMPAT_SUPPORTED;
    if (unsupported !== 0) throw new MountError("feature", `unsupported ext4 features: ${names(unsupported, INCOMPAT_NAMES).join(", ")}`);
    if ((this.roCompat & RO_METADATA_CSUM) !== 0 && (this.roCompat & RO_GDT_CSUM) !== 0) bad("both metadata_csum and uninit_bg");
    const ro = this.roCompat & ~RO_SUPPORTED;
    if (ro !== 0) return `features we cannot keep up to date on writes: ${names(ro, RO_NAMES).join(", ")}`;
    if ((this.u16(S_STATE) & STATE_ERROR) !== 0) return "the file system has errors (run e2fsck)";
    if ((this.u16(S_STATE) & STATE_VALID) === 0) return "the file system was not cleanly unmounted (run e2fsck)";
    return null;
  }

  u8(off: number): number {
    return this.raw[off];
  }
}
