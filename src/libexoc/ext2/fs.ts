// An ext2/ext3/ext4 file system over a Disk: mounting (every check that decides whether an
// image can be used), inodes and the orphan chain, the mapping of file blocks (extents or
// indirect blocks), and sync. The VFS-facing operations are in volume.ts; file data in data.ts,
// directories in dirops.ts. Layers below: superblock.ts, groups.ts (bitmaps, allocation),
// inode.ts, extents.ts, indirect.ts, dir.ts, cache.ts (the buffer cache over the disk).
//
// Reads of the image are synchronous (the cache misses call the block capability's read),
// because every operation here must run to completion once started: an operation that parked
// half-way would have to be undone or re-run from a state it had already changed. The one
// exception sits before any operation starts: a read of file data on a volume with an
// asynchronous reader first waits until its blocks are cached (Ext2Volume.dataReady,
// BufferCache.prefetch), and only then runs, synchronously and without misses.

import { SysError } from "../errors.js";
import { crc32c } from "./crc.js";
import { BufferCache, type Disk } from "./cache.js";
import { corrupt, MountError } from "./errors.js";
import { Groups } from "./groups.js";
import { FL_EXTENTS, FL_INLINE_DATA, Inode, InodeTable, NEW_EXTRA_ISIZE, I_EXTRA_ISIZE, ROOT_INO, I_BLOCK_SIZE } from "./inode.js";
import { emptyRoot, findExtent, initialised, loadExtents, storeExtents, truncated, withExtent, EXT_INIT_MAX, type ExtentEnv, type ExtentMap } from "./extents.js";
import { indirectAlloc, indirectMap, indirectTruncate, maxIndirectBlocks, type IndirectEnv } from "./indirect.js";
import type { DirFormat } from "./dir.js";
import { Directories } from "./dirops.js";
import {
  IN_EXTENTS, IN_FILETYPE, RO_DIR_NLINK, S_WTIME, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE, Superblock, S_MTIME, S_MNT_COUNT,
  RO_HUGE_FILE, S_LAST_ORPHAN,
} from "./superblock.js";
import { later } from "../../exokernel/later.js";

export const S_IFMT = 0o170000, S_IFDIR = 0o040000, S_IFREG = 0o100000, S_IFLNK = 0o120000;
export const S_IFCHR = 0o020000, S_IFBLK = 0o060000;

/** Link count at which a directory's count stops (dir_nlink) and most links a file may have. */
const EXT4_LINK_MAX = 65000;
const EXT2_LINK_MAX = 32000;
/** Inodes kept in memory before unused ones are dropped. */
const INODE_CACHE = 65536;

export interface MountOptions {
  readOnly?: boolean;
  /** Buffers the cache keeps (default 16384 blocks). */
  cacheBlocks?: number;
  /** A file system mkfs just laid out, without a root directory yet. */
  fresh?: boolean;
}

/** What the extent and indirect-block code asks of the file system: its cache and block
 *  allocation (an object, not closures, so a saved system holds it as data). */
export class Ext2Blocks implements ExtentEnv, IndirectEnv {
  /** Checksum seed of the inode whose extents are being worked on (null: no metadata_csum). */
  seed: number | null = null;

  constructor(
    readonly cache: BufferCache,
    readonly bs: number,
    readonly blocksCount: number,
    private readonly groups: Groups,
  ) {}

  alloc(goal: number): number {
    return this.groups.allocBlocks(goal, 1)[0];
  }

  allocRun(goal: number, n: number): [number, number] {
    return this.groups.allocBlocks(goal, n);
  }

  free(blk: number, n: number): void {
    this.groups.freeBlocks(blk, n);
  }
}

export class Ext2Fs {
  readonly sb: Superblock;
  readonly cache: BufferCache;
  readonly groups: Groups;
  readonly itable: InodeTable;
  readonly bs: number;
  /** Mounted read-only (a remount read-write may change it: allowWrites). */
  readOnly: boolean;
  /** Why the image is read-only although writing was asked for (null: not forced). */
  readonly readOnlyWhy: string | null;
  readonly dirFormat: DirFormat;
  readonly csum: boolean;
  readonly extentsFeature: boolean;
  private readonly inodes = new Map<number, Inode>();
  /** Set while a sync writes, so cache pressure during it does not start another. */
  private syncing = false;
  private readonly extEnv: ExtentEnv;
  private readonly indEnv: IndirectEnv;

  constructor(
    readonly disk: Disk,
    opts: MountOptions = {},
  ) {
    const bytes = disk.sectors * 512;
    if (bytes === 0) throw new MountError("empty", "the image is empty");
    if (bytes < SUPERBLOCK_OFFSET + SUPERBLOCK_SIZE) throw new MountError("truncated", "the image is too small to hold an ext2 file system");
    const raw = Buffer.alloc(SUPERBLOCK_SIZE);
    try {
      disk.read(SUPERBLOCK_OFFSET / 512, raw);
    } catch (e) {
      throw new MountError("io", `cannot read the superblock (${e instanceof Error ? e.message : String(e)})`);
    }
    this.sb = new Superblock(raw);
    const why = this.sb.validate(bytes);
    this.bs = this.sb.blockSize;
    this.readOnlyWhy = !opts.readOnly && (why !== null || !disk.writable) ? (why ?? "the image is read-only") : null;
    this.readOnly = opts.readOnly === true || this.readOnlyWhy !== null;
    this.csum = this.sb.metadataCsum;
    this.extentsFeature = (this.sb.incompat & IN_EXTENTS) !== 0;
    this.dirFormat = { bs: this.bs, filetype: (this.sb.incompat & IN_FILETYPE) !== 0, csum: this.csum };
    this.cache = new BufferCache(disk, this.bs, opts.cacheBlocks ?? 16384);
    this.groups = new Groups(this.sb, this.cache);
    this.itable = new InodeTable(this.sb, this.groups, this.cache);
    this.extEnv = new Ext2Blocks(this.cache, this.bs, this.sb.blocksCount, this.groups);
    this.indEnv = new Ext2Blocks(this.cache, this.bs, this.sb.blocksCount, this.groups);
    this.cache.onPressure = later(this, "pressure");
    try {
      this.groups.validate();
      if (opts.fresh) return;
      const root = this.iget(ROOT_INO);
      if ((root.mode & S_IFMT) !== S_IFDIR) corrupt("the root inode is not a directory");
      this.dirs.blockList(root);
      if (!this.readOnly) this.releaseOrphans();
    } catch (e) {
      this.cache.clear();
      if (e instanceof SysError) throw new MountError("corrupt", `corrupted file system: ${e.message.replace(/^EUCLEAN: /, "")}`);
      throw e;
    }
  }

  /** Dirty buffers passed the cache's limit: write them out (unless a sync is doing it). */
  private pressure(): void {
    if (!this.syncing) this.sync();
  }

  /** A read-only mount becomes read-write (a remount): only when nothing but the mount made it
   *  read-only (EROFS otherwise); the orphans a killed run left are freed, the mount counted. */
  allowWrites(): void {
    if (!this.readOnly) return;
    if (this.readOnlyWhy !== null || !this.disk.writable) throw new SysError("EROFS", this.readOnlyWhy ?? "the image is read-only");
    this.readOnly = false;
    this.releaseOrphans();
    this.noteMount();
  }

  /** Throws EROFS when mounted read-only. */
  writable(): void {
    if (this.readOnly) throw new SysError("EROFS");
  }

  // ---- inodes ----

  /** The in-memory inode `num` (one object per inode while it is cached). */
  iget(num: number): Inode {
    let n = this.inodes.get(num);
    if (n !== undefined) return n;
    if (num < 1 || num > this.sb.inodesCount) corrupt(`inode number ${num} out of range`);
    n = new Inode(num, this.itable.read(num));
    if (this.inodes.size >= INODE_CACHE) this.shrinkInodes();
    this.inodes.set(num, n);
    return n;
  }

  /** The canonical object for a node the VFS hands back (it may be an evicted copy). */
  canon(node: { ino: bigint }): Inode {
    return this.iget(Number(node.ino));
  }

  private shrinkInodes(): void {
    for (const [num, n] of this.inodes) {
      if (n.openCount === 0 && n.links > 0 && num !== ROOT_INO) this.inodes.delete(num);
      if (this.inodes.size < INODE_CACHE / 2) break;
    }
  }

  /** Writes an inode's bytes back to its table (its checksum with them). */
  store(n: Inode): void {
    this.itable.write(n.num, n.raw);
  }

  /** A new inode of `mode` near directory `near`, stored, with one link. */
  newInode(mode: number, uid: number, gid: number, near: Inode | null, nowNs: bigint, opts: { spread?: boolean; num?: number } = {}): Inode {
    this.writable();
    const dir = (mode & S_IFMT) === S_IFDIR;
    const prefer = near === null ? 0 : Math.floor((near.num - 1) / this.groups.ipg);
    let num: number;
    if (opts.num !== undefined) {
      num = opts.num;
      this.groups.claimInode(num, dir);
    } else num = this.groups.allocInode(prefer, dir, opts.spread ?? dir);
    const raw = Buffer.alloc(this.itable.isz);
    const n = new Inode(num, raw);
    if (raw.length > 128) raw.writeUInt16LE(Math.min(NEW_EXTRA_ISIZE, raw.length - 128), I_EXTRA_ISIZE);
    n.mode = mode;
    n.uid = uid;
    n.gid = gid;
    n.links = 1;
    raw.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, 0x64);
    for (const [t, x] of [[0x08, 0x8c], [0x0c, 0x84], [0x10, 0x88], [0x90, 0x94]]) n.setTime(t, x, nowNs);
    const t = mode & S_IFMT;
    if (this.extentsFeature && (t === S_IFREG || t === S_IFDIR || t === S_IFLNK)) {
      n.flags = FL_EXTENTS;
      emptyRoot(n.iblock);
    }
    this.inodes.set(num, n);
    this.store(n);
    return n;
  }

  // ---- orphans: inodes with no names left that are still open ----
  // They are chained from s_last_orphan through i_dtime, as Linux does, so that a run killed
  // while they are open leaves them recorded: the next read-write mount frees them.

  /** Records an open inode whose last name went. */
  orphanAdd(n: Inode): void {
    if (n.orphan) return;
    n.dtime = this.sb.u32(S_LAST_ORPHAN);
    this.sb.set32(S_LAST_ORPHAN, n.num);
    n.orphan = true;
    this.store(n);
  }

  private orphanRemove(n: Inode): void {
    if (!n.orphan) return;
    n.orphan = false;
    const next = n.dtime;
    n.dtime = 0;
    if (this.sb.u32(S_LAST_ORPHAN) === n.num) {
      this.sb.set32(S_LAST_ORPHAN, next);
      return;
    }
    let cur = this.sb.u32(S_LAST_ORPHAN);
    for (let k = 0; cur !== 0 && k < this.sb.inodesCount; k++) {
      const c = this.iget(cur);
      if (c.dtime === n.num) {
        c.dtime = next;
        this.store(c);
        return;
      }
      cur = c.dtime;
    }
  }

  /** Frees the inodes a killed run left on the orphan chain. */
  private releaseOrphans(): void {
    let cur = this.sb.u32(S_LAST_ORPHAN);
    const now = BigInt(Date.now()) * 1_000_000n;
    for (let k = 0; cur !== 0 && k < this.sb.inodesCount; k++) {
      if (cur < this.sb.firstIno || cur > this.sb.inodesCount) corrupt(`orphan chain names inode ${cur}`);
      const n = this.iget(cur);
      const next = n.dtime;
      n.dtime = 0;
      if (n.links === 0 && this.groups.inodeInUse(cur)) this.freeInode(n, now);
      else this.store(n);
      cur = next;
    }
    this.sb.set32(S_LAST_ORPHAN, 0);
  }

  /** Frees an inode with no links and no open files: its blocks, then the inode itself. */
  freeInode(n: Inode, nowNs: bigint): void {
    this.orphanRemove(n);
    if (this.hasData(n)) this.truncateBlocks(n, 0);
    const acl = n.fileAcl(this.itable.is64);
    if (acl !== 0) {
      this.releaseXattrBlock(n, acl);
    }
    n.dtime = Number(nowNs / 1_000_000_000n);
    n.links = 0;
    n.size = 0;
    this.store(n);
    this.groups.freeInode(n.num, (n.mode & S_IFMT) === S_IFDIR);
    this.inodes.delete(n.num);
  }

  /** Drops a reference to a shared extended-attribute block (freed with its last user). */
  private releaseXattrBlock(n: Inode, blk: number): void {
    if (blk >= this.sb.blocksCount) corrupt(`inode ${n.num}: xattr block ${blk} out of range`);
    const b = this.cache.get(blk);
    const refs = b.readUInt32LE(4);
    if (refs <= 1) this.groups.freeBlocks(blk, 1);
    else {
      b.writeUInt32LE(refs - 1, 4);
      if (this.csum) {
        // ext4_xattr_block_csum: crc32c(seed, le64 block number) then the block with h_checksum zeroed.
        const le = Buffer.alloc(8);
        le.writeUInt32LE(blk % 2 ** 32, 0);
        le.writeUInt32LE(Math.floor(blk / 2 ** 32), 4);
        b.writeUInt32LE(0, 0x10);
        let c = crc32c(this.sb.csumSeed(), le);
        c = crc32c(c, b);
        b.writeUInt32LE(c, 0x10);
      }
      this.cache.dirty(blk);
    }
    n.raw.writeUInt32LE(0, 0x68);
    n.raw.writeUInt16LE(0, 0x76);
    n.addBlocks(this.sb, -1);
  }

  /** Whether the inode's i_block is a block map or extent tree (not a device number, a fast
   *  symlink, or inline data). */
  hasData(n: Inode): boolean {
    const t = n.mode & S_IFMT;
    if (t === S_IFREG || t === S_IFDIR) return (n.flags & FL_INLINE_DATA) === 0;
    if (t === S_IFLNK) return !this.fastSymlink(n);
    return false;
  }

  fastSymlink(n: Inode): boolean {
    if ((n.flags & FL_INLINE_DATA) !== 0) return false;
    const acl = n.fileAcl(this.itable.is64) !== 0 ? this.bs / 512 : 0;
    return n.blocks512(this.sb) - acl === 0 && n.size < I_BLOCK_SIZE;
  }

  maxLinks(dir: boolean): number {
    if (dir) return (this.sb.roCompat & RO_DIR_NLINK) !== 0 ? Infinity : EXT2_LINK_MAX;
    return this.extentsFeature ? EXT4_LINK_MAX : EXT2_LINK_MAX;
  }

  /** Adds `d` to a directory's link count (dir_nlink: past the limit it stays at 1). */
  dirLinks(n: Inode, d: number): void {
    if (n.links === 1 && (this.sb.roCompat & RO_DIR_NLINK) !== 0 && d > 0) return;
    const v = n.links + d;
    if (v >= EXT4_LINK_MAX) {
      if ((this.sb.roCompat & RO_DIR_NLINK) === 0) throw new SysError("EMLINK");
      n.links = 1;
    } else n.links = Math.max(v, d < 0 && n.links === 1 ? 1 : 0);
  }

  // ---- block mapping ----

  private extentMap(n: Inode): ExtentMap {
    if (n.extents === null) n.extents = loadExtents(Buffer.from(n.iblock), this.envFor(n));
    return n.extents as ExtentMap;
  }

  private envFor(n: Inode): ExtentEnv {
    this.extEnv.seed = this.csum ? this.itable.inodeSeed(n.num, n.generation) : null;
    return this.extEnv;
  }

  isExtents(n: Inode): boolean {
    return (n.flags & FL_EXTENTS) !== 0;
  }

  /** Largest file size in bytes the inode's mapping allows. */
  maxSize(n: Inode): number {
    const blocks = this.isExtents(n) ? 2 ** 32 - 1 : maxIndirectBlocks(this.bs);
    let m = blocks * this.bs;
    if ((this.sb.roCompat & RO_HUGE_FILE) === 0 && m > 2 ** 41 - 1) m = (2 ** 32 - 1) * 512;
    if (this.sb.rev === 0) m = Math.min(m, 2 ** 31 - 1);
    return Math.min(m, Number.MAX_SAFE_INTEGER);
  }

  /**
   * The run of blocks from logical `l`: [physical first block (0: a hole or unwritten, reads as
   * zeroes), length], at most `max` long.
   */
  mapRun(n: Inode, l: number, max: number): [number, number] {
    if (this.isExtents(n)) {
      const list = this.extentMap(n).list;
      const i = findExtent(list, l);
      if (i < 0) {
        // A hole up to the next extent.
        let next = Infinity;
        for (let k = 0; k < list.length; k++) if (list[k].l > l) {
          next = list[k].l;
          break;
        }
        return [0, Math.min(max, next - l)];
      }
      const e = list[i];
      return [e.uninit ? 0 : e.p + (l - e.l), Math.min(max, e.l + e.len - l)];
    }
    const p = indirectMap(n, l, this.indEnv);
    let len = 1;
    while (len < max) {
      const q = indirectMap(n, l + len, this.indEnv);
      if ((p === 0) !== (q === 0) || (p !== 0 && q !== p + len)) break;
      len++;
    }
    return [p, len];
  }

  /** Physical block of logical `l` (0: hole). */
  bmap(n: Inode, l: number): number {
    return this.mapRun(n, l, 1)[0];
  }

  /**
   * Makes logical blocks from `l` (up to `want` of them) backed by written blocks, allocating
   * where there is a hole or an unwritten extent. Returns [first physical block, count, fresh]
   * where fresh says the blocks' old contents are not the file's (the caller zero-fills what
   * it does not overwrite). The inode is stored by the caller.
   */
  allocRun(n: Inode, l: number, want: number): [number, number, boolean] {
    if (this.isExtents(n)) {
      const map = this.extentMap(n);
      const i = findExtent(map.list, l);
      if (i >= 0) {
        const e = map.list[i];
        const len = Math.min(want, e.l + e.len - l);
        if (!e.uninit) return [e.p + (l - e.l), len, false];
        const list = initialised(map.list, i, l, len);
        const delta = storeExtents(map, list, n.iblock, this.envFor(n), e.p);
        n.addBlocks(this.sb, delta);
        return [e.p + (l - e.l), len, true];
      }
      // A hole: limit the run to the hole, allocate near the previous extent.
      let next = Infinity;
      let goal = this.goalFor(n);
      for (const e of map.list) {
        if (e.l > l) {
          next = e.l;
          break;
        }
        goal = e.p + (l - e.l);
      }
      const n0 = Math.min(want, next - l, EXT_INIT_MAX);
      const [p, got] = this.groups.allocBlocks(goal, n0);
      const list = withExtent(map.list, { l, len: got, p, uninit: false });
      try {
        const delta = storeExtents(map, list, n.iblock, this.envFor(n), p + got);
        n.addBlocks(this.sb, got + delta);
      } catch (err) {
        this.groups.freeBlocks(p, got);
        throw err;
      }
      return [p, got, true];
    }
    if (l >= maxIndirectBlocks(this.bs)) throw new SysError("EFBIG");
    const p = indirectMap(n, l, this.indEnv);
    if (p !== 0) return [p, 1, false];
    const prev = l > 0 ? indirectMap(n, l - 1, this.indEnv) : 0;
    const [q, count] = indirectAlloc(n, l, this.indEnv, prev !== 0 ? prev + 1 : this.goalFor(n));
    n.addBlocks(this.sb, count);
    return [q, 1, true];
  }

  private goalFor(n: Inode): number {
    const g = Math.floor((n.num - 1) / this.groups.ipg);
    return this.groups.groupStart(g);
  }

  /** Frees the blocks from logical block `keep` on (the size is the caller's). */
  truncateBlocks(n: Inode, keep: number): void {
    if (this.isExtents(n)) {
      const map = this.extentMap(n);
      const [list, freed] = truncated(map.list, keep);
      if (freed.length === 0) return;
      // Shrinking the list never needs more tree blocks, so this cannot fail for space.
      const delta = storeExtents(map, list, n.iblock, this.envFor(n), 0);
      let count = 0;
      for (const [p, len] of freed) {
        this.groups.freeBlocks(p, len);
        count += len;
      }
      n.addBlocks(this.sb, delta - count);
      return;
    }
    const freed = indirectTruncate(n, keep, this.indEnv);
    n.addBlocks(this.sb, -freed);
  }

  /** Directory operations (dirops.ts). */
  readonly dirs: Directories = new Directories(this);

  // ---- sync ----

  /** Writes everything dirty to the image and makes it durable there. */
  sync(): void {
    if (this.readOnly) return;
    this.syncing = true;
    try {
      this.groups.prepareSync();
      this.sb.set32(S_WTIME, Math.floor(Date.now() / 1000));
      this.sb.updateChecksum();
      const sbBlock = Math.floor(SUPERBLOCK_OFFSET / this.bs);
      const b = this.cache.get(sbBlock);
      this.sb.raw.copy(b, SUPERBLOCK_OFFSET % this.bs);
      this.cache.dirty(sbBlock);
      this.cache.writeBack();
      this.disk.flush();
    } finally {
      this.syncing = false;
    }
  }

  /** Records a mount in the superblock (mount time and count), as Linux does. */
  noteMount(): void {
    if (this.readOnly) return;
    this.sb.set32(S_MTIME, Math.floor(Date.now() / 1000));
    this.sb.set16(S_MNT_COUNT, this.sb.u16(S_MNT_COUNT) + 1);
  }
}

