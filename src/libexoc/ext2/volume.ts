// ext2/ext3/ext4 as a libexoc Volume: the VFS's operations (volume.ts's contract) over Ext2Fs.
// Each operation checks what protects the file system's consistency (names already there,
// directories not empty, link limits, a directory moved under itself) and changes the medium
// in an order where a failure (ENOSPC) comes before anything is changed, or is undone.
//
// Open files are Ext2File (file.ts's OpenFile); an inode whose last name goes while it is open
// lives on until its last open file is released. fsync and fdatasync write back the whole file
// system and flush the image to the host's disk (a full sync is one consistent state on the
// image, and costs little more than the file's own blocks with a write-back cache).

import { OpenFile, PositionalFile, seekPosition, type FileStat, type OpenMode } from "../file.js";
import { DT_BLK, DT_CHR, DT_DIR, DT_FIFO, DT_LNK, DT_REG, DT_SOCK, DT_UNKNOWN, type DirEntry } from "../dirfile.js";
import { SysError, sysError } from "../errors.js";
import type { SetAttr, Volume, VolumeFigures, VolumeNode } from "../volume.js";
import type { FileIdentity, Mappable, PageCache, PageSource } from "../pagecache.js";
import { WouldBlock, UNINTERRUPTIBLE } from "../blocking.js";
import { dataRuns, readData, setSize, writeData } from "./data.js";
import { Ext2Fs, S_IFBLK, S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from "./fs.js";
import { FL_APPEND, FL_EXTENTS, FL_IMMUTABLE, I_BLOCK_SIZE, I_CRTIME, I_CRTIME_EXTRA, ROOT_INO, type Inode } from "./inode.js";
import { FT_BLK, FT_CHR, FT_DIR, FT_FIFO, FT_REG, FT_SOCK, FT_SYMLINK } from "./dir.js";
import { COMPAT_HAS_JOURNAL, EXT2_MAGIC, IN_64BIT, IN_EXTENTS, IN_FLEX_BG, RO_METADATA_CSUM } from "./superblock.js";

const FT_TO_DT: Record<number, number> = {
  [FT_REG]: DT_REG, [FT_DIR]: DT_DIR, [FT_CHR]: DT_CHR, [FT_BLK]: DT_BLK, [FT_FIFO]: DT_FIFO, [FT_SOCK]: DT_SOCK, [FT_SYMLINK]: DT_LNK,
};
const MODE_TO_DT: Record<number, number> = {
  [S_IFREG]: DT_REG, [S_IFDIR]: DT_DIR, [S_IFCHR]: DT_CHR, [S_IFBLK]: DT_BLK, [0o010000]: DT_FIFO, [0o140000]: DT_SOCK, [S_IFLNK]: DT_LNK,
};

// Inode time fields and their _extra words.
const ATIME: [number, number] = [0x08, 0x8c], CTIME: [number, number] = [0x0c, 0x84], MTIME: [number, number] = [0x10, 0x88];
/** The inode flags chattr shows (ext4's FL_USER_VISIBLE) and may set (ext2's FL_USER_MODIFIABLE: not
 *  the extents flag, which would need the file converted). */
const FL_USER_VISIBLE = 0x705bdfff, FL_USER_MODIFIABLE = 0x000380ff;
/** The inode flags statx reports as attributes (FS_COMPR_FL, FS_IMMUTABLE_FL, FS_APPEND_FL,
 *  FS_NODUMP_FL: STATX_ATTR_COMPRESSED, IMMUTABLE, APPEND and NODUMP have their values). */
const STATX_ATTR_FLAGS = 0x4 | 0x10 | 0x20 | 0x40;
/** relatime moves an access time at least once a day. */
const DAY_NS = 86_400_000_000_000n;

/** Read-ahead past what a read asks for, taken only when the read waits for the disk anyway. */
export const READ_AHEAD = 128 * 1024;

/** Numbers volumes apart in page-cache keys. */
let volumeIds = 0;

function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

/** glibc's makedev/major/minor (the encoding FileStat.rdev uses). */
export function devMajor(dev: bigint): number {
  return Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
}
export function devMinor(dev: bigint): number {
  return Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
}
export function makeDev(major: number, minor: number): bigint {
  const M = BigInt(major), m = BigInt(minor);
  return ((M & 0xfffn) << 8n) | ((M & ~0xfffn) << 32n) | (m & 0xffn) | ((m & ~0xffn) << 12n);
}

export class Ext2Volume implements Volume {
  readonly fsType: string;
  readOnly: boolean;
  private unmounted = false;
  /** The system's page cache, kept coherent with read and write when set (mmap and exec of
   *  the volume's files go through it). */
  pageCache: PageCache | null = null;
  private readonly id = ++volumeIds;

  constructor(
    readonly fs: Ext2Fs,
    readonly dev: bigint = 0x800n,
  ) {
    const sb = fs.sb;
    this.readOnly = fs.readOnly;
    this.fsType = (sb.incompat & (IN_EXTENTS | IN_64BIT | IN_FLEX_BG)) !== 0 || (sb.roCompat & RO_METADATA_CSUM) !== 0 ? "ext4" : (sb.compat & COMPAT_HAS_JOURNAL) !== 0 ? "ext3" : "ext2";
    fs.noteMount();
  }

  private node(n: VolumeNode): Inode {
    return this.fs.canon(n);
  }

  private dirNode(n: VolumeNode): Inode {
    const d = this.node(n);
    if ((d.mode & S_IFMT) !== S_IFDIR) sysError("ENOTDIR");
    return d;
  }

  private write(): void {
    if (this.unmounted) sysError("EIO", "volume unmounted");
    this.fs.writable();
  }

  root(): VolumeNode {
    return this.fs.iget(ROOT_INO);
  }

  lookup(dir: VolumeNode, name: Buffer): VolumeNode | null {
    const ino = this.fs.dirs.lookup(this.dirNode(dir), name);
    return ino === 0 ? null : this.fs.iget(ino);
  }

  getattr(node: VolumeNode): FileStat {
    const n = this.node(node);
    const t = n.mode & S_IFMT;
    return {
      dev: this.dev, ino: n.ino, mode: n.mode, nlink: n.links, uid: n.uid, gid: n.gid,
      rdev: t === S_IFCHR || t === S_IFBLK ? this.rdevOf(n) : 0n,
      size: BigInt(t === S_IFREG || t === S_IFDIR || t === S_IFLNK ? n.size : 0),
      blksize: this.fs.bs, blocks: BigInt(n.blocks512(this.fs.sb)),
      atimeNs: n.time(...ATIME), mtimeNs: n.time(...MTIME), ctimeNs: n.time(...CTIME),
      // (the creation time, in inodes large enough to hold it: ext4's i_crtime)
      ...(n.hasExtra(I_CRTIME, 4) ? { btimeNs: n.time(I_CRTIME, I_CRTIME_EXTRA) } : {}),
      // (statx's attributes are the inode flags of the same values: compressed, immutable,
      // append-only, no-dump)
      attributes: n.flags & STATX_ATTR_FLAGS, attributesMask: STATX_ATTR_FLAGS,
    };
  }

  private rdevOf(n: Inode): bigint {
    const old = n.blockWord(0);
    if (old !== 0) return makeDev((old >>> 8) & 0xff, old & 0xff);
    const d = n.blockWord(1);
    return makeDev((d & 0xfff00) >>> 8, (d & 0xff) | ((d >>> 12) & 0xfff00));
  }

  private setRdev(n: Inode, rdev: bigint): void {
    const major = devMajor(rdev), minor = devMinor(rdev);
    if (major < 256 && minor < 256) {
      n.setBlockWord(0, (major << 8) | minor);
      n.setBlockWord(1, 0);
    } else {
      n.setBlockWord(0, 0);
      n.setBlockWord(1, ((minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12)) >>> 0);
    }
  }

  readlink(node: VolumeNode): Buffer {
    const n = this.node(node);
    if ((n.mode & S_IFMT) !== S_IFLNK) sysError("EINVAL");
    if (n.size > this.fs.bs || n.size === 0) sysError("EUCLEAN", `symlink ${n.num}: size ${n.size}`);
    if (this.fs.fastSymlink(n)) return Buffer.from(n.iblock.subarray(0, n.size));
    const out = Buffer.alloc(n.size);
    readData(this.fs, n, 0, out);
    return out;
  }

  /** SEEK_DATA and SEEK_HOLE: the first offset at or after `from` in a block of file `n` that
   *  holds data (a mapped block) or a hole (one never written, or the end of the file); -1
   *  when no data follows. */
  nextDataOrHole(n: Inode, from: number, hole: boolean): number {
    const bs = this.fs.bs, size = n.size;
    const last = Math.floor((size - 1) / bs);
    for (let l = Math.floor(from / bs); l <= last; ) {
      const [p, run] = this.fs.mapRun(n, l, last - l + 1);
      if ((p === 0) === hole) return Math.max(from, l * bs);
      l += Math.max(1, Math.min(run, last - l + 1));
    }
    return hole ? size : -1;
  }

  /** A read of `n` (its data or its entries): the access time moves as the mount's `policy`
   *  says: always (strictatime), never (noatime, nodiratime), or by relatime's rule (when it
   *  is not after the last modification or change, or is a day old); not on a read-only
   *  volume. */
  private accessed(n: Inode, policy: "relatime" | "noatime" | "strictatime"): void {
    if (this.readOnly || this.unmounted || policy === "noatime") return;
    const a = n.time(...ATIME), now = nowNs();
    if (policy === "relatime" && a > n.time(...MTIME) && a > n.time(...CTIME) && now - a < DAY_NS) return;
    n.setTime(...ATIME, now);
    this.fs.store(n);
  }

  readdir(dir: VolumeNode, atime: "relatime" | "noatime" | "strictatime" = "relatime"): DirEntry[] {
    const d = this.dirNode(dir);
    this.accessed(d, atime);
    const out: DirEntry[] = [];
    const ft = this.fs.dirFormat.filetype;
    this.fs.dirs.scan(d, (ents) => {
      for (const e of ents) {
        if (e.ino === 0) continue;
        if (e.name.length <= 2 && (e.name.toString() === "." || e.name.toString() === "..")) continue;
        let type = ft ? (FT_TO_DT[e.type] ?? DT_UNKNOWN) : DT_UNKNOWN;
        if (!ft) type = MODE_TO_DT[this.fs.iget(e.ino).mode & S_IFMT] ?? DT_UNKNOWN;
        out.push({ ino: BigInt(e.ino), type, name: Buffer.from(e.name) });
      }
      return false;
    });
    return out;
  }

  /** Fails with EEXIST if `name` is in `d`. */
  private absent(d: Inode, name: Buffer): void {
    if (name.length === 0 || name.length > 255) sysError(name.length === 0 ? "ENOENT" : "ENAMETOOLONG");
    if (this.fs.dirs.lookup(d, name) !== 0) sysError("EEXIST");
  }

  /** Links a new inode into `d` under `name`; on failure the inode is freed again. */
  private linkNew(d: Inode, name: Buffer, n: Inode, now: bigint): void {
    try {
      this.fs.dirs.add(d, name, n.num, n.mode, now);
    } catch (e) {
      n.links = 0;
      this.fs.freeInode(n, now);
      throw e;
    }
  }

  create(dir: VolumeNode, name: Buffer, mode: number, rdev: bigint, uid: number, gid: number): VolumeNode {
    this.write();
    const d = this.dirNode(dir);
    this.absent(d, name);
    const t = mode & S_IFMT;
    if (t === S_IFDIR || t === S_IFLNK || t === 0) sysError("EINVAL");
    const now = nowNs();
    const n = this.fs.newInode(mode, uid, gid, d, now);
    if (t === S_IFCHR || t === S_IFBLK) {
      this.setRdev(n, rdev);
      this.fs.store(n);
    }
    this.linkNew(d, name, n, now);
    return n;
  }

  mkdir(dir: VolumeNode, name: Buffer, perm: number, uid: number, gid: number): VolumeNode {
    this.write();
    const d = this.dirNode(dir);
    this.absent(d, name);
    if (d.links + 1 > this.fs.maxLinks(true)) sysError("EMLINK");
    const now = nowNs();
    const n = this.fs.newInode(S_IFDIR | (perm & 0o7777), uid, gid, d, now);
    try {
      this.fs.dirs.init(n, d.num);
      n.links = 2;
      this.fs.store(n);
    } catch (e) {
      n.links = 0;
      this.fs.freeInode(n, now);
      throw e;
    }
    this.linkNew(d, name, n, now);
    this.fs.dirLinks(d, 1);
    this.fs.store(d);
    return n;
  }

  symlink(dir: VolumeNode, name: Buffer, target: Buffer, uid: number, gid: number): VolumeNode {
    this.write();
    const d = this.dirNode(dir);
    this.absent(d, name);
    if (target.length === 0) sysError("ENOENT");
    if (target.length >= this.fs.bs) sysError("ENAMETOOLONG");
    const now = nowNs();
    const n = this.fs.newInode(S_IFLNK | 0o777, uid, gid, d, now);
    try {
      if (target.length < I_BLOCK_SIZE) {
        n.flags = n.flags & ~FL_EXTENTS;
        n.iblock.fill(0);
        target.copy(n.iblock);
        n.size = target.length;
        this.fs.store(n);
      } else writeData(this.fs, n, 0, target);
    } catch (e) {
      n.links = 0;
      this.fs.freeInode(n, now);
      throw e;
    }
    this.linkNew(d, name, n, now);
    return n;
  }

  link(dir: VolumeNode, name: Buffer, target: VolumeNode): void {
    this.write();
    const d = this.dirNode(dir);
    const n = this.node(target);
    if ((n.mode & S_IFMT) === S_IFDIR) sysError("EPERM");
    this.absent(d, name);
    if (n.links + 1 > this.fs.maxLinks(false)) sysError("EMLINK");
    const now = nowNs();
    this.fs.dirs.add(d, name, n.num, n.mode, now);
    n.links = n.links + 1;
    n.setTime(...CTIME, now);
    this.fs.store(n);
  }

  /** One name of `n` is gone: free it with its last name, unless it is still open. */
  private dropLink(n: Inode, now: bigint): void {
    const dir = (n.mode & S_IFMT) === S_IFDIR;
    n.links = dir ? 0 : Math.max(0, n.links - 1);
    n.setTime(...CTIME, now);
    if (n.links === 0 && n.openCount === 0) this.fs.freeInode(n, now);
    else if (n.links === 0) this.fs.orphanAdd(n);
    else this.fs.store(n);
  }

  unlink(dir: VolumeNode, name: Buffer): void {
    this.write();
    const d = this.dirNode(dir);
    const ino = this.fs.dirs.lookup(d, name);
    if (ino === 0) sysError("ENOENT");
    const n = this.fs.iget(ino);
    if ((n.mode & S_IFMT) === S_IFDIR) sysError("EISDIR");
    if ((n.flags & (FL_IMMUTABLE | FL_APPEND)) !== 0 || (d.flags & (FL_IMMUTABLE | FL_APPEND)) !== 0) sysError("EPERM");
    const now = nowNs();
    this.fs.dirs.remove(d, name, now);
    this.dropLink(n, now);
  }

  rmdir(dir: VolumeNode, name: Buffer): void {
    this.write();
    const d = this.dirNode(dir);
    const ino = this.fs.dirs.lookup(d, name);
    if (ino === 0) sysError("ENOENT");
    const n = this.fs.iget(ino);
    if ((n.mode & S_IFMT) !== S_IFDIR) sysError("ENOTDIR");
    if (ino === ROOT_INO) sysError("EBUSY");
    if (!this.fs.dirs.empty(n)) sysError("ENOTEMPTY");
    const now = nowNs();
    this.fs.dirs.remove(d, name, now);
    this.fs.dirLinks(d, -1);
    this.fs.store(d);
    this.dropLink(n, now);
  }

  /** Whether directory `a` is `b` or below it (walking ".." up from `a`). */
  private within(a: Inode, b: Inode): boolean {
    let cur = a;
    for (let depth = 0; depth < 65536; depth++) {
      if (cur.num === b.num) return true;
      if (cur.num === ROOT_INO) return false;
      const up = this.fs.dirs.lookup(cur, Buffer.from(".."));
      if (up === 0 || up === cur.num) return false;
      cur = this.fs.iget(up);
    }
    return sysError("EUCLEAN", "directory tree loops");
  }

  rename(fromDir: VolumeNode, fromName: Buffer, toDir: VolumeNode, toName: Buffer, flags: { noReplace: boolean; exchange: boolean }): void {
    this.write();
    const fd = this.dirNode(fromDir), td = this.dirNode(toDir);
    const fino = this.fs.dirs.lookup(fd, fromName);
    if (fino === 0) sysError("ENOENT");
    const from = this.fs.iget(fino);
    const tino = this.fs.dirs.lookup(td, toName);
    const fromIsDir = (from.mode & S_IFMT) === S_IFDIR;
    const now = nowNs();
    if (flags.exchange) {
      if (tino === 0) sysError("ENOENT");
      const to = this.fs.iget(tino);
      const toIsDir = (to.mode & S_IFMT) === S_IFDIR;
      if (fd.num !== td.num) {
        if (fromIsDir && this.within(td, from)) sysError("EINVAL");
        if (toIsDir && this.within(fd, to)) sysError("EINVAL");
      }
      this.fs.dirs.retarget(fd, fromName, tino, to.mode, now);
      this.fs.dirs.retarget(td, toName, fino, from.mode, now);
      if (fd.num !== td.num && fromIsDir !== toIsDir) {
        // The directory among the two changes parents: counts follow.
        const [moved, oldP, newP] = fromIsDir ? [from, fd, td] : [to, td, fd];
        this.fs.dirs.retarget(moved, Buffer.from(".."), newP.num, newP.mode, now);
        this.fs.dirLinks(oldP, -1);
        this.fs.dirLinks(newP, 1);
        this.fs.store(oldP);
        this.fs.store(newP);
      } else if (fd.num !== td.num && fromIsDir && toIsDir) {
        this.fs.dirs.retarget(from, Buffer.from(".."), td.num, td.mode, now);
        this.fs.dirs.retarget(to, Buffer.from(".."), fd.num, fd.mode, now);
      }
      from.setTime(...CTIME, now);
      to.setTime(...CTIME, now);
      this.fs.store(from);
      this.fs.store(to);
      return;
    }
    if (tino !== 0 && flags.noReplace) sysError("EEXIST");
    if (tino === fino) return;
    if (fromIsDir && fd.num !== td.num && this.within(td, from)) sysError("EINVAL");
    let replaced: Inode | null = null;
    if (tino !== 0) {
      replaced = this.fs.iget(tino);
      const toIsDir = (replaced.mode & S_IFMT) === S_IFDIR;
      if (fromIsDir && !toIsDir) sysError("ENOTDIR");
      if (!fromIsDir && toIsDir) sysError("EISDIR");
      if (toIsDir && !this.fs.dirs.empty(replaced)) sysError("ENOTEMPTY");
      this.fs.dirs.retarget(td, toName, fino, from.mode, now);
    } else {
      if (fromIsDir && fd.num !== td.num && td.links + 1 > this.fs.maxLinks(true)) sysError("EMLINK");
      this.fs.dirs.add(td, toName, fino, from.mode, now);
    }
    this.fs.dirs.remove(fd, fromName, now);
    if (fromIsDir && fd.num !== td.num) {
      this.fs.dirs.retarget(from, Buffer.from(".."), td.num, td.mode, now);
      this.fs.dirLinks(fd, -1);
      this.fs.store(fd);
      if (replaced === null) this.fs.dirLinks(td, 1);
      this.fs.store(td);
    }
    if (replaced !== null) {
      if ((replaced.mode & S_IFMT) === S_IFDIR) {
        if (!fromIsDir || fd.num === td.num) this.fs.dirLinks(td, -1);
        this.fs.store(td);
      }
      this.dropLink(replaced, now);
    }
    from.setTime(...CTIME, now);
    this.fs.store(from);
  }

  setattr(node: VolumeNode, a: SetAttr): void {
    this.write();
    const n = this.node(node);
    // (an immutable file's attributes stay; an append-only one's size, mode and owners too:
    // its times the VFS lets through only as "now")
    if ((n.flags & FL_IMMUTABLE) !== 0) sysError("EPERM");
    if ((n.flags & FL_APPEND) !== 0 && (a.size !== undefined || a.perm !== undefined || a.uid !== undefined || a.gid !== undefined)) sysError("EPERM");
    if (a.size !== undefined) {
      if ((n.mode & S_IFMT) === S_IFDIR) sysError("EISDIR");
      if ((n.mode & S_IFMT) !== S_IFREG) sysError("EINVAL");
      if (a.size < 0) sysError("EINVAL");
      setSize(this.fs, n, a.size);
      this.pageCache?.lookup(this.cacheKey(n))?.truncated(a.size);
      n.setTime(...MTIME, nowNs());
    }
    if (a.perm !== undefined) n.mode = (n.mode & S_IFMT) | (a.perm & 0o7777);
    if (a.uid !== undefined) n.uid = a.uid;
    if (a.gid !== undefined) n.gid = a.gid;
    if (a.atimeNs !== undefined) n.setTime(...ATIME, a.atimeNs);
    if (a.mtimeNs !== undefined) n.setTime(...MTIME, a.mtimeNs);
    n.setTime(...CTIME, nowNs());
    this.fs.store(n);
  }

  openData(node: VolumeNode, path: string, mode: OpenMode): OpenFile {
    const n = this.node(node);
    if ((n.mode & S_IFMT) !== S_IFREG) sysError((n.mode & S_IFMT) === S_IFDIR ? "EISDIR" : "EINVAL");
    if (mode.write) {
      this.write();
      // (an immutable file opens for reading only, an append-only one for appending: may_open)
      if ((n.flags & FL_IMMUTABLE) !== 0 || ((n.flags & FL_APPEND) !== 0 && !mode.append)) sysError("EPERM");
    }
    return new Ext2File(path, mode, this, n);
  }

  /** FS_IOC_FIEMAP: the runs of contiguous blocks behind file bytes [from, to) (merged:
   *  the file maps blocks one by one, not by extents; last: the file's final run). */
  fileExtents(node: VolumeNode, from: number, to: number): { logical: number; physical: number; length: number; last: boolean; merged: boolean }[] {
    const n = this.node(node);
    const bs = this.fs.bs;
    const out: { logical: number; physical: number; length: number; last: boolean; merged: boolean }[] = [];
    if (n.size === 0) return out;
    const lastBlock = Math.floor((n.size - 1) / bs);
    const merged = (n.flags & FL_EXTENTS) === 0;
    let finalRun = -1;
    for (let l = 0; l <= lastBlock; ) {
      const [p, run] = this.fs.mapRun(n, l, lastBlock - l + 1);
      const k = Math.max(1, Math.min(run, lastBlock - l + 1));
      if (p !== 0) {
        const prev = out.length > 0 ? out[out.length - 1] : null;
        if (prev !== null && prev.logical + prev.length === l * bs && prev.physical + prev.length === p * bs) prev.length += k * bs;
        else out.push({ logical: l * bs, physical: p * bs, length: k * bs, last: false, merged });
        finalRun = out.length - 1;
      }
      l += k;
    }
    if (finalRun >= 0) out[finalRun].last = true;
    return out.filter((e) => e.logical + e.length > from && e.logical < to);
  }

  /** FS_IOC_GETFLAGS: the inode flags a user may see (chattr's). */
  inodeFlags(node: VolumeNode): number {
    return this.node(node).flags & FL_USER_VISIBLE;
  }

  /** FS_IOC_SETFLAGS: the flags a user may change, by the file's owner (or CAP_FOWNER, which
   *  the VFS checked); the immutable and append-only ones only with CAP_LINUX_IMMUTABLE. */
  setInodeFlags(node: VolumeNode, flags: number, mayImmutable: boolean): void {
    this.write();
    const n = this.node(node);
    const old = n.flags;
    if (((old ^ flags) & (FL_IMMUTABLE | FL_APPEND)) !== 0 && !mayImmutable) sysError("EPERM");
    if ((flags & ~FL_USER_VISIBLE) !== 0) sysError("EOPNOTSUPP");
    n.flags = (old & ~FL_USER_MODIFIABLE) | (flags & FL_USER_MODIFIABLE);
    n.setTime(...CTIME, nowNs());
    this.fs.store(n);
  }

  statfs(): VolumeFigures {
    const sb = this.fs.sb;
    return {
      type: EXT2_MAGIC, bsize: this.fs.bs, blocks: sb.blocksCount - sb.firstDataBlock, bfree: sb.freeBlocks,
      bavail: Math.max(0, sb.freeBlocks - sb.reservedBlocks), files: sb.inodesCount, ffree: sb.freeInodes, namelen: 255,
    };
  }

  sync(): void {
    if (!this.unmounted) this.fs.sync();
  }

  /** fsync/fdatasync of a file: everything reaches the image and the host's disk. */
  fsync(_node: VolumeNode, _dataOnly: boolean): void {
    this.sync();
  }

  /** A remount: read-write makes the file system writable if it can be (EROFS if not);
   *  read-only keeps the file system as it is, writes being refused above it. */
  setReadOnly(readOnly: boolean): void {
    if (!readOnly) this.fs.allowWrites();
    this.readOnly = readOnly;
  }

  /** Whether unmount() was called (the volume is finished). */
  get gone(): boolean {
    return this.unmounted;
  }

  unmount(): void {
    if (this.unmounted) return;
    this.sync();
    this.unmounted = true;
  }

  /** An open description holds node `n` (a directory opened for listing, as much as a file):
   *  removed, it stays (an orphan) until the description goes, so its number is not reused
   *  meanwhile and it lists as removed (ENOENT). */
  pinned(n: VolumeNode): void {
    this.node(n).openCount++;
  }

  unpinned(n: VolumeNode): void {
    this.released(this.node(n));
  }

  /** An open file was released: an inode with no names left goes with its last one. */
  released(n: Inode): void {
    n.openCount--;
    if (n.openCount === 0 && n.links === 0 && !this.readOnly && !this.unmounted) this.fs.freeInode(n, nowNs());
  }

  /** The page cache's name for file `n`. */
  cacheKey(n: Inode): string {
    return `ext2-${this.id}:${n.num}`;
  }

  /** Reads file data (for Ext2File); what shared writable mappings changed is written back
   *  first. With asynchronous reads (`wait`), data missing from the buffer cache is read in
   *  while the caller waits (WouldBlock); otherwise it is read synchronously. */
  readAt(n: Inode, buf: Uint8Array, off: number, wait = true, atime: "relatime" | "noatime" | "strictatime" = "relatime"): number {
    const cf = this.pageCache?.lookup(this.cacheKey(n));
    if (cf?.writable) cf.sync();
    if (wait) this.dataReady(n, off, buf.length, 0);
    const got = readData(this.fs, n, off, buf);
    if (buf.length > 0) this.accessed(n, atime);
    return got;
  }

  /** Throws WouldBlock until file `n`'s bytes [off, off + len) are in the buffer cache (when
   *  the volume reads asynchronously; at most a quarter of the cache is asked for at once).
   *  When it waits, up to `ahead` bytes past them are read along. Disk waits are not ended by
   *  signals (Linux's uninterruptible sleep); a failed read is EIO. */
  dataReady(n: Inode, off: number, len: number, ahead: number): void {
    const cache = this.fs.cache;
    if (cache.reader === null || len <= 0 || off >= n.size) return;
    len = Math.min(len, cache.prefetchLimit * this.fs.bs);
    const need = dataRuns(this.fs, n, off, len);
    if (need.length === 0) return;
    const queues = cache.prefetch(need, () => (ahead > 0 ? dataRuns(this.fs, n, off + len, ahead) : []));
    if (queues.length > 0) throw new WouldBlock(queues, null, UNINTERRUPTIBLE);
  }

  /** Reads for the page cache itself (no write-back of mapped pages first). */
  readPages(n: Inode, buf: Uint8Array, off: number): number {
    return readData(this.fs, n, off, buf);
  }

  writeAt(n: Inode, buf: Uint8Array, off: number): number {
    this.write();
    if ((n.flags & FL_IMMUTABLE) !== 0) sysError("EPERM");
    const w = writeData(this.fs, n, off, buf);
    this.pageCache?.lookup(this.cacheKey(n))?.written(buf.subarray(0, w), off);
    const now = nowNs();
    n.setTime(...MTIME, now);
    n.setTime(...CTIME, now);
    this.fs.store(n);
    return w;
  }
}

/** A file's pages for the page cache: the inode counts as open until the cache closes them. */
export class Ext2Pages implements PageSource {
  private open = true;

  constructor(
    private readonly vol: Ext2Volume,
    private readonly node: Inode,
  ) {}

  read(view: Uint8Array, off: number): number {
    return this.vol.readPages(this.node, view, off);
  }

  close(): void {
    if (this.open) this.vol.released(this.node);
    this.open = false;
  }

  gone(): boolean {
    return this.node.links === 0;
  }
}

/** An open regular file of an ext2 volume. */
export class Ext2File extends PositionalFile implements Mappable {
  constructor(
    path: string,
    mode: OpenMode,
    private readonly vol: Ext2Volume,
    private readonly node: Inode,
  ) {
    super(path, mode);
    node.openCount++;
  }

  override write(buf: Uint8Array): number {
    if (this.mode.append) this.offset = this.vol.fs.canon(this.node).size;
    return super.write(buf);
  }

  override pread(buf: Uint8Array, off: number): number {
    if (!this.mode.read) sysError("EBADF");
    if (off < 0) sysError("EINVAL");
    return this.vol.readAt(this.vol.fs.canon(this.node), buf, off, true, this.readAtime());
  }

  override preadNow(buf: Uint8Array, off: number): number {
    if (!this.mode.read) sysError("EBADF");
    if (off < 0) sysError("EINVAL");
    return this.vol.readAt(this.vol.fs.canon(this.node), buf, off, false, this.readAtime());
  }

  override prepareRead(off: number, len: number): void {
    if (this.mode.read && off >= 0) this.vol.dataReady(this.vol.fs.canon(this.node), off, len, READ_AHEAD);
  }

  override pwrite(buf: Uint8Array, off: number): number {
    if (!this.mode.write) sysError("EBADF");
    if (off < 0) sysError("EINVAL");
    return this.vol.writeAt(this.vol.fs.canon(this.node), buf, off);
  }

  override seek(off: number, whence: number): number {
    const n = this.vol.fs.canon(this.node);
    this.offset = seekPosition(off, whence, this.offset, () => n.size, (from, hole) => this.vol.nextDataOrHole(n, from, hole));
    return this.offset;
  }

  stat(): FileStat {
    return this.vol.getattr(this.node);
  }

  /** fsync(2) and fdatasync(2). */
  override fsync(dataOnly = false): void {
    this.vol.fsync(this.node, dataOnly);
  }

  override release(): void {
    this.vol.released(this.vol.fs.canon(this.node));
  }

  override mapping(): Mappable {
    return this;
  }

  identity(): FileIdentity {
    const n = this.vol.fs.canon(this.node);
    return { key: this.vol.cacheKey(n), dev: this.vol.dev, ino: BigInt(n.num), size: BigInt(n.size), mtimeNs: n.time(...MTIME) };
  }

  /** Pages for the page cache: the inode stays alive (even unlinked) while they are cached. */
  source(): PageSource {
    const node = this.vol.fs.canon(this.node);
    node.openCount++;
    return new Ext2Pages(this.vol, node);
  }

  override reopen(mode: OpenMode): OpenFile {
    return this.vol.openData(this.node, this.path, mode);
  }
}

export { SysError };
