// tmpfs: a file system in memory. Files (sparse: their data is a map of 4 KiB pages, holes read
// as zeroes and cost nothing), directories, symbolic links, hard links, FIFOs, device nodes and
// sockets, with modes, owners and times as POSIX keeps them. A file removed while open lives
// until its last close. Space is limited (pages of file data, and inodes), as tmpfs's size= and
// nr_inodes=; statfs reports both. Directory listings come newest first, as Linux 6.1's.
//
// Regular files open as TmpFile, which maps through the page cache like any file (mmap and exec
// of a program in tmpfs) and keeps the cached pages coherent with write() and truncate.

import { OpenFile, PositionalFile, S_IFMT, S_IFDIR, S_IFREG, S_IFLNK, S_IFIFO, S_IFCHR, S_IFBLK, S_IFSOCK, seekPosition, type FileStat, type OpenMode } from "../file.js";
import { DT_DIR, DT_REG, DT_LNK, DT_FIFO, DT_CHR, DT_BLK, DT_SOCK, DT_UNKNOWN, type DirEntry } from "../dirfile.js";
import { sysError } from "../errors.js";
import type { PageCache, FileIdentity, Mappable, PageSource } from "../pagecache.js";
import type { FsCaller, SetAttr, Volume, VolumeFigures, VolumeNode } from "../volume.js";

export const TMPFS_MAGIC = 0x01021994;
const PAGE = 4096;
/** Size a directory reports per entry (Linux's BOGO_DIRENT_SIZE), "." and ".." included. */
const BOGO_DIRENT_SIZE = 20;
/** Largest file (beyond it: EFBIG). */
const MAX_FILE_SIZE = 2 ** 43;

const DT_OF: Record<number, number> = { [S_IFDIR]: DT_DIR, [S_IFREG]: DT_REG, [S_IFLNK]: DT_LNK, [S_IFIFO]: DT_FIFO, [S_IFCHR]: DT_CHR, [S_IFBLK]: DT_BLK, [S_IFSOCK]: DT_SOCK };

function now(): bigint {
  return BigInt(Date.now()) * 1000000n;
}

/** A node of this volume (the VFS hands a volume only the nodes it made). */
function tn(n: VolumeNode): TmpNode {
  return n as TmpNode;
}

export class TmpNode implements VolumeNode {
  nlink: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  size = 0;
  /** A regular file's pages, by index. */
  readonly pages: Map<number, Uint8Array> | null;
  /** A directory's entries (by name, latin1), in creation order. */
  readonly entries: Map<string, TmpNode> | null;
  /** Open descriptions of the file (its data outlives its last name while there are any). */
  opens = 0;
  /** File seals (F_SEAL_*), or null for a file that cannot be sealed: only memfd_create's can. */
  seals: number | null = null;

  constructor(
    readonly ino: bigint,
    public mode: number,
    public uid: number,
    public gid: number,
    readonly rdev: bigint,
    readonly target: Buffer | null,
  ) {
    const type = mode & S_IFMT;
    this.nlink = type === S_IFDIR ? 2 : 1;
    this.pages = type === S_IFREG ? new Map() : null;
    this.entries = type === S_IFDIR ? new Map() : null;
    this.atimeNs = this.mtimeNs = this.ctimeNs = now();
    if (target !== null) this.size = target.length;
  }

  get type(): number {
    return this.mode & S_IFMT;
  }
}

export interface TmpFsOptions {
  /** st_dev of its files. */
  dev: bigint;
  /** Most bytes of file data (rounded up to pages; default: no limit but the host's). */
  maxBytes?: number;
  maxInodes?: number;
  /** The root directory's bits (default 1777), owner and group. */
  mode?: number;
  uid?: number;
  gid?: number;
  /** The page cache kept coherent with writes and truncation (mapped files). */
  pageCache?: PageCache | null;
  /** Type name (tmpfs; devfs is a tmpfs named devtmpfs). */
  fsType?: string;
  /** Options given at mount time, shown in /proc/mounts as Linux shows them. */
  shownOptions?: string;
}

let nextVolumeId = 1;

export class TmpFs implements Volume {
  readonly fsType: string;
  readonly dev: bigint;
  readOnly = false;
  readonly rootNode: TmpNode;
  /** Distinguishes this instance's files in the page cache. */
  readonly id = nextVolumeId++;
  private nextIno = 1n;
  private readonly maxPages: number;
  private readonly maxInodes: number;
  usedPages = 0;
  usedInodes = 0;
  private readonly cache: PageCache | null;
  private readonly shown: string;

  constructor(o: TmpFsOptions) {
    this.fsType = o.fsType ?? "tmpfs";
    this.dev = o.dev;
    this.maxPages = o.maxBytes !== undefined ? Math.ceil(o.maxBytes / PAGE) : Number.MAX_SAFE_INTEGER;
    this.maxInodes = o.maxInodes ?? Number.MAX_SAFE_INTEGER;
    this.cache = o.pageCache ?? null;
    this.shown = o.shownOptions ?? "";
    this.rootNode = this.newNode(S_IFDIR | (o.mode ?? 0o1777), o.uid ?? 0, o.gid ?? 0, 0n, null);
  }

  private newNode(mode: number, uid: number, gid: number, rdev: bigint, target: Buffer | null): TmpNode {
    if (this.usedInodes >= this.maxInodes) sysError("ENOSPC");
    this.usedInodes++;
    return new TmpNode(this.nextIno++, mode, uid, gid, rdev, target);
  }

  /** A node with no name and no open file is gone: its pages and inode are free again (cached
   *  pages nothing maps go first: they hold the file open). */
  private forgetIfUnused(n: TmpNode): void {
    if (n.nlink > 0) return;
    if (n.pages !== null && n.opens > 0) this.cache?.drop(this.cacheKey(n));
    if (n.opens > 0) return;
    if (n.pages !== null) {
      this.usedPages -= n.pages.size;
      n.pages.clear();
    }
    this.usedInodes--;
  }

  private dir(n: VolumeNode): TmpNode {
    const d = tn(n);
    if (d.entries === null) sysError("ENOTDIR");
    return d;
  }

  private entries(n: VolumeNode): Map<string, TmpNode> {
    return this.dir(n).entries as Map<string, TmpNode>; // dir() checked it is a directory
  }

  /** Directory `d` changed: mtime and ctime are now. */
  private touched(d: TmpNode): void {
    d.mtimeNs = d.ctimeNs = now();
  }

  /** Fails with EEXIST if directory `dir` has an entry `name` (before a node is made for it). */
  private vacant(dir: VolumeNode, name: Buffer): void {
    if (this.entries(dir).has(name.toString("latin1"))) sysError("EEXIST");
  }

  private add(dir: VolumeNode, name: Buffer, n: TmpNode): TmpNode {
    const d = this.dir(dir);
    const es = d.entries as Map<string, TmpNode>; // a directory's
    es.set(name.toString("latin1"), n);
    d.size = (es.size + 2) * BOGO_DIRENT_SIZE;
    if (n.type === S_IFDIR) d.nlink++;
    this.touched(d);
    return n;
  }

  root(_who: FsCaller): VolumeNode {
    return this.rootNode;
  }

  lookup(dir: VolumeNode, name: Buffer): VolumeNode | null {
    return this.entries(dir).get(name.toString("latin1")) ?? null;
  }

  getattr(node: VolumeNode): FileStat {
    const n = tn(node);
    const size = n.entries !== null ? (n.entries.size + 2) * BOGO_DIRENT_SIZE : n.size;
    return {
      dev: this.dev, ino: n.ino, mode: n.mode, nlink: n.nlink, uid: n.uid, gid: n.gid, rdev: n.rdev, size: BigInt(size),
      blksize: PAGE, blocks: BigInt((n.pages?.size ?? 0) * (PAGE / 512)), atimeNs: n.atimeNs, mtimeNs: n.mtimeNs, ctimeNs: n.ctimeNs,
    };
  }

  readlink(n: VolumeNode): Buffer {
    const t = tn(n).target;
    if (t === null) return sysError("EINVAL");
    return Buffer.from(t);
  }

  readdir(dir: VolumeNode): DirEntry[] {
    return [...this.entries(dir)].reverse().map(([name, n]) => ({ ino: n.ino, type: DT_OF[n.type] ?? DT_UNKNOWN, name: Buffer.from(name, "latin1") }));
  }

  create(dir: VolumeNode, name: Buffer, mode: number, rdev: bigint, uid: number, gid: number): VolumeNode {
    const type = mode & S_IFMT;
    if (type === S_IFDIR || type === S_IFLNK || DT_OF[type] === undefined) sysError("EINVAL");
    const isDev = type === S_IFCHR || type === S_IFBLK;
    this.vacant(dir, name);
    return this.add(dir, name, this.newNode(mode, uid, gid, isDev ? rdev : 0n, null));
  }

  mkdir(dir: VolumeNode, name: Buffer, perm: number, uid: number, gid: number): VolumeNode {
    this.vacant(dir, name);
    const n = this.add(dir, name, this.newNode(S_IFDIR | (perm & 0o7777), uid, gid, 0n, null));
    n.size = 2 * BOGO_DIRENT_SIZE;
    return n;
  }

  symlink(dir: VolumeNode, name: Buffer, target: Buffer, uid: number, gid: number): VolumeNode {
    this.vacant(dir, name);
    return this.add(dir, name, this.newNode(S_IFLNK | 0o777, uid, gid, 0n, Buffer.from(target)));
  }

  link(dir: VolumeNode, name: Buffer, target: VolumeNode): void {
    const t = tn(target);
    this.vacant(dir, name);
    this.add(dir, name, t);
    t.nlink++;
    t.ctimeNs = now();
  }

  private take(dir: VolumeNode, name: Buffer): [TmpNode, TmpNode] {
    const d = this.dir(dir);
    const n = (d.entries as Map<string, TmpNode>).get(name.toString("latin1")); // a directory's
    if (n === undefined) return sysError("ENOENT");
    return [d, n];
  }

  /** Takes entry `key` out of directory `d` (its link count is the caller's business). */
  private detach(d: TmpNode, key: string): void {
    const es = d.entries as Map<string, TmpNode>; // a directory's
    const n = es.get(key);
    es.delete(key);
    d.size = (es.size + 2) * BOGO_DIRENT_SIZE;
    if (n !== undefined && n.type === S_IFDIR) d.nlink--;
    this.touched(d);
  }

  unlink(dir: VolumeNode, name: Buffer): void {
    const [d, n] = this.take(dir, name);
    if (n.type === S_IFDIR) sysError("EISDIR");
    this.detach(d, name.toString("latin1"));
    n.nlink--;
    n.ctimeNs = now();
    this.forgetIfUnused(n);
  }

  rmdir(dir: VolumeNode, name: Buffer): void {
    const [d, n] = this.take(dir, name);
    if (n.type !== S_IFDIR) sysError("ENOTDIR");
    if ((n.entries as Map<string, TmpNode>).size > 0) sysError("ENOTEMPTY"); // a directory's
    this.detach(d, name.toString("latin1"));
    n.nlink = 0;
    this.forgetIfUnused(n);
  }

  rename(fromDir: VolumeNode, fromName: Buffer, toDir: VolumeNode, toName: Buffer, flags: { noReplace: boolean; exchange: boolean }): void {
    const [fd, src] = this.take(fromDir, fromName);
    const td = this.dir(toDir);
    const fk = fromName.toString("latin1"), tk = toName.toString("latin1");
    const tes = td.entries as Map<string, TmpNode>; // a directory's
    const dst = tes.get(tk);
    const t = now();
    if (flags.exchange) {
      if (dst === undefined) sysError("ENOENT");
      (fd.entries as Map<string, TmpNode>).set(fk, dst); // take() found it in a directory
      tes.set(tk, src);
      if (fd !== td && (src.type === S_IFDIR) !== (dst.type === S_IFDIR)) {
        const delta = src.type === S_IFDIR ? 1 : -1;
        td.nlink += delta;
        fd.nlink -= delta;
      }
      this.touched(fd);
      this.touched(td);
      src.ctimeNs = dst.ctimeNs = t;
      return;
    }
    if (dst === src) return;
    if (dst !== undefined) {
      if (flags.noReplace) sysError("EEXIST");
      if (dst.type === S_IFDIR) {
        if ((dst.entries as Map<string, TmpNode>).size > 0) sysError("ENOTEMPTY"); // a directory's
        this.detach(td, tk);
        dst.nlink = 0;
      } else {
        this.detach(td, tk);
        dst.nlink--;
      }
      dst.ctimeNs = t;
      this.forgetIfUnused(dst);
    }
    this.detach(fd, fk);
    tes.set(tk, src);
    td.size = (tes.size + 2) * BOGO_DIRENT_SIZE;
    if (src.type === S_IFDIR) td.nlink++;
    this.touched(td);
    src.ctimeNs = t;
  }

  setattr(node: VolumeNode, a: SetAttr): void {
    const n = tn(node);
    const t = now();
    if (n.seals !== null) {
      // (Linux's shmem_setattr and memfd's F_SEAL_EXEC)
      if (a.size !== undefined && a.size < n.size && (n.seals & F_SEAL_SHRINK) !== 0) sysError("EPERM");
      if (a.size !== undefined && a.size > n.size && (n.seals & F_SEAL_GROW) !== 0) sysError("EPERM");
      if (a.perm !== undefined && (n.seals & F_SEAL_EXEC) !== 0 && ((a.perm ^ n.mode) & 0o111) !== 0) sysError("EPERM");
    }
    if (a.perm !== undefined) n.mode = (n.mode & S_IFMT) | (a.perm & 0o7777);
    if (a.uid !== undefined) n.uid = a.uid;
    if (a.gid !== undefined) n.gid = a.gid;
    if (a.atimeNs !== undefined) n.atimeNs = a.atimeNs;
    if (a.mtimeNs !== undefined) n.mtimeNs = a.mtimeNs;
    if (a.size !== undefined) {
      if (n.pages === null) sysError("EINVAL");
      this.truncate(n, a.size);
      n.mtimeNs = t;
    }
    n.ctimeNs = t;
  }

  /** Sets a file's size: pages past it go, the tail of the last one is zeroed. */
  truncate(n: TmpNode, size: number): void {
    const pages = n.pages as Map<number, Uint8Array>; // a regular file's
    if (size > MAX_FILE_SIZE) sysError("EFBIG");
    if (size < n.size) {
      for (const [index, page] of [...pages]) {
        if (index * PAGE >= size) {
          pages.delete(index);
          this.usedPages--;
        } else if ((index + 1) * PAGE > size) {
          page.fill(0, size - index * PAGE);
        }
      }
    }
    n.size = size;
    this.cache?.lookup(this.cacheKey(n))?.truncated(size);
  }

  /** Whether a shared writable mapping of `n` exists (F_SEAL_WRITE is refused then). */
  sharedWriters(n: TmpNode): boolean {
    return this.cache?.lookup(this.cacheKey(n))?.writable ?? false;
  }

  cacheKey(n: TmpNode): string {
    return `tmpfs${this.id}:${n.ino}`;
  }

  /** Copies bytes of `n` at `off` into `buf`; returns how many (0 at the end). What shared
   *  writable mappings changed is written back first. */
  readData(n: TmpNode, buf: Uint8Array, off: number): number {
    const cf = this.cache?.lookup(this.cacheKey(n));
    if (cf?.writable) cf.sync();
    return this.readPages(n, buf, off);
  }

  /** Reads for the page cache itself (no write-back of mapped pages first). */
  readPages(n: TmpNode, buf: Uint8Array, off: number): number {
    const pages = n.pages as Map<number, Uint8Array>; // a regular file's
    const len = Math.max(0, Math.min(buf.length, n.size - off));
    for (let done = 0; done < len; ) {
      const pos = off + done, index = Math.floor(pos / PAGE), at = pos - index * PAGE;
      const k = Math.min(PAGE - at, len - done);
      const page = pages.get(index);
      if (page === undefined) buf.fill(0, done, done + k);
      else buf.set(page.subarray(at, at + k), done);
      done += k;
    }
    return len;
  }

  /** Writes `data` to `n` at `off`; returns how many bytes fit (ENOSPC if none). */
  writeData(n: TmpNode, data: Uint8Array, off: number): number {
    const pages = n.pages as Map<number, Uint8Array>; // a regular file's
    if (off + data.length > MAX_FILE_SIZE) sysError("EFBIG");
    let done = 0;
    while (done < data.length) {
      const pos = off + done, index = Math.floor(pos / PAGE), at = pos - index * PAGE;
      const k = Math.min(PAGE - at, data.length - done);
      let page = pages.get(index);
      if (page === undefined) {
        if (this.usedPages >= this.maxPages) break;
        page = new Uint8Array(PAGE);
        pages.set(index, page);
        this.usedPages++;
      }
      page.set(data.subarray(done, done + k), at);
      done += k;
    }
    if (done === 0 && data.length > 0) sysError("ENOSPC");
    if (off + done > n.size) n.size = off + done;
    n.mtimeNs = n.ctimeNs = now();
    this.cache?.lookup(this.cacheKey(n))?.written(data.subarray(0, done), off);
    return done;
  }

  openData(n: VolumeNode, path: string, mode: OpenMode): OpenFile {
    const t = tn(n);
    if (t.pages === null) return sysError("EINVAL");
    return new TmpFile(path, mode, this, t);
  }

  /** The last open description of `n` went away. */
  closed(n: TmpNode): void {
    n.opens--;
    this.forgetIfUnused(n);
  }

  statfs(_n: VolumeNode): VolumeFigures {
    const files = this.maxInodes === Number.MAX_SAFE_INTEGER ? 0 : this.maxInodes;
    const blocks = this.maxPages === Number.MAX_SAFE_INTEGER ? 0 : this.maxPages;
    return {
      type: TMPFS_MAGIC, bsize: PAGE, blocks, bfree: blocks === 0 ? 0 : blocks - this.usedPages, bavail: blocks === 0 ? 0 : blocks - this.usedPages,
      files, ffree: files === 0 ? 0 : files - this.usedInodes, namelen: 255,
    };
  }

  sync(): void {}

  mountOptions(): string {
    return this.shown;
  }
}

/** A file's pages for the page cache: the node counts as open until the cache closes them. */
export class TmpfsPages implements PageSource {
  private open = true;

  constructor(
    private readonly vol: TmpFs,
    private readonly node: TmpNode,
  ) {}

  read(view: Uint8Array, off: number): number {
    return this.vol.readPages(this.node, view, off);
  }

  close(): void {
    if (this.open) this.vol.closed(this.node);
    this.open = false;
  }

  gone(): boolean {
    return this.node.nlink === 0;
  }
}

/** An open tmpfs file. Reads and writes go to the node's pages; O_APPEND writes land at the
 *  end in one step (no other guest runs in between). */
export class TmpFile extends PositionalFile implements Mappable {
  constructor(
    path: string,
    mode: OpenMode,
    private readonly vol: TmpFs,
    private readonly node: TmpNode,
  ) {
    super(path, mode);
    node.opens++;
  }

  override write(buf: Uint8Array): number {
    if (this.mode.append) this.offset = this.node.size;
    return super.write(buf);
  }

  override pread(buf: Uint8Array, off: number): number {
    const n = this.vol.readData(this.node, buf, off);
    // (relatime: the access time moves when it is older than the last change)
    const node = this.node, policy = this.readAtime();
    if (policy === "strictatime" || (policy === "relatime" && (node.atimeNs <= node.mtimeNs || node.atimeNs <= node.ctimeNs))) node.atimeNs = now();
    return n;
  }

  override pwrite(buf: Uint8Array, off: number): number {
    const seals = this.node.seals;
    if (seals !== null && buf.length > 0) {
      if ((seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) !== 0) sysError("EPERM");
      if ((seals & F_SEAL_GROW) !== 0 && off + buf.length > this.node.size) sysError("EPERM");
    }
    return this.vol.writeData(this.node, buf, off);
  }

  /** What a shared writable mapping changed goes in whatever the seals (F_SEAL_FUTURE_WRITE
   *  leaves mappings made before it writable; F_SEAL_WRITE waits for there to be none). */
  override pwriteMapped(buf: Uint8Array, off: number): number {
    return this.vol.writeData(this.node, buf, off);
  }

  override seek(off: number, whence: number): number {
    this.offset = seekPosition(off, whence, this.offset, () => this.node.size);
    return this.offset;
  }

  stat(): FileStat {
    return this.vol.getattr(this.node);
  }

  override fsync(_dataOnly: boolean): void {}

  override mapping(): Mappable {
    return this;
  }

  identity(): FileIdentity {
    const n = this.node;
    return { key: this.vol.cacheKey(n), dev: this.vol.dev, ino: n.ino, size: BigInt(n.size), mtimeNs: n.mtimeNs };
  }

  source(): PageSource {
    this.node.opens++;
    return new TmpfsPages(this.vol, this.node);
  }

  override release(): void {
    this.vol.closed(this.node);
  }

  override seals(): number | null {
    return this.node.seals;
  }

  /** Makes the file one that can be sealed, with `seals` (memfd_create). */
  sealable(seals: number): void {
    this.node.seals = seals;
  }

  /** F_ADD_SEALS, with Linux's memfd_add_seals checks: a description open for writing, no seal
   *  added after F_SEAL_SEAL, and F_SEAL_WRITE only while no shared mapping may write. */
  override addSeals(seals: number): void {
    const n = this.node;
    if (n.seals === null || (seals & ~F_ALL_SEALS) !== 0) sysError("EINVAL");
    if (!this.mode.write) sysError("EPERM");
    if ((n.seals & F_SEAL_SEAL) !== 0) sysError("EPERM");
    if ((seals & F_SEAL_WRITE) !== 0 && (n.seals & F_SEAL_WRITE) === 0 && this.vol.sharedWriters(n)) sysError("EBUSY");
    n.seals |= seals;
  }
}

/** File seals (fcntl F_ADD_SEALS; Linux's values). */
export const F_SEAL_SEAL = 1, F_SEAL_SHRINK = 2, F_SEAL_GROW = 4, F_SEAL_WRITE = 8, F_SEAL_FUTURE_WRITE = 16, F_SEAL_EXEC = 32;
const F_ALL_SEALS = 63;
