// Open file descriptions: what an fd refers to. Host files and the inherited standard streams go
// to the host's file descriptors. Offsets are kept by the description (so dup'ed fds share
// them), and seekable files use positioned I/O. Directories are in dirfile.ts, synthetic files
// in synthfs.ts, tmpfs files in volumes/tmpfs.ts, devices in vfs/memdev.ts and their drivers.

import * as fs from "node:fs";
import type { WaitQueue } from "../exokernel/wait.js";
import { HostInput, isTerminal } from "../exokernel/hostio.js";
import { SysError, fromHostError, sysError } from "./errors.js";
import { WouldBlock } from "./blocking.js";
import { HOST_FDS, HOST_REOPEN, closeHostFd, type HostFdHolder } from "./hostfds.js";
import { hostBytes } from "./hostpath.js";
import type { PageCache, CachedFile, FileIdentity, Mappable, PageSource } from "./pagecache.js";
import type { Task } from "./task.js";
import type { AsyncIo } from "./fasync.js";
import type { DirNotify } from "./dnotify.js";

export const S_IFMT = 0o170000, S_IFSOCK = 0o140000, S_IFLNK = 0o120000, S_IFREG = 0o100000;
export const S_IFBLK = 0o060000, S_IFDIR = 0o040000, S_IFCHR = 0o020000, S_IFIFO = 0o010000;

export const SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2, SEEK_DATA = 3, SEEK_HOLE = 4;

/** Where lseek(2) moves a description of a file of `size` bytes (asked for only when needed)
 *  whose offset is `cur`: from the start, the offset or the end, or (SEEK_DATA, SEEK_HOLE) to the
 *  next data or hole at or after `off` by the rule Linux's generic_file_llseek applies where a
 *  file system does not track holes: the whole file is data, and its one hole is at its end
 *  (ENXIO from there on). EINVAL for another `whence` or a position below 0. */
export function seekPosition(off: number, whence: number, cur: number, size: () => number, holes?: (from: number, hole: boolean) => number): number {
  let pos: number;
  if (whence === SEEK_SET) pos = off;
  else if (whence === SEEK_CUR) pos = cur + off;
  else if (whence === SEEK_END) pos = size() + off;
  else if (whence === SEEK_DATA || whence === SEEK_HOLE) {
    const end = size();
    if (off < 0 || off >= end) return sysError("ENXIO");
    // (a file system that keeps holes says where they are: -1 when no data follows)
    pos = holes !== undefined ? holes(off, whence === SEEK_HOLE) : whence === SEEK_DATA ? off : end;
    if (pos < 0) return sysError("ENXIO");
  } else return sysError("EINVAL");
  if (pos < 0) sysError("EINVAL");
  return pos;
}

/** The position lseek gives a file with no end to seek from (a synthetic file made when read,
 *  /proc/PID/mem and pagemap, as Linux's mem_lseek): SEEK_SET and SEEK_CUR only, EINVAL for
 *  any other and for a position below 0. */
export function seekWithoutEnd(off: number, whence: number, cur: number): number {
  const base = whence === SEEK_SET ? 0 : whence === SEEK_CUR ? cur : -1;
  if (base < 0 || base + off < 0) sysError("EINVAL");
  return base + off;
}

/** Readiness events (poll.h; the numbers are Linux's, which the ABI layer passes through). */
export const POLLIN = 0x1, POLLPRI = 0x2, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10, POLLNVAL = 0x20;
export const POLLRDNORM = 0x40, POLLRDBAND = 0x80, POLLWRNORM = 0x100, POLLWRBAND = 0x200, POLLMSG = 0x400, POLLRDHUP = 0x2000;

/** File status as POSIX describes it; times in nanoseconds since the epoch. */
export interface FileStat {
  dev: bigint;
  ino: bigint;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: bigint;
  size: bigint;
  blksize: number;
  blocks: bigint;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  /** When the file was made, where its file system keeps that (statx's STATX_BTIME). */
  btimeNs?: bigint;
  /** statx's stx_attributes and stx_attributes_mask (STATX_ATTR_*: compressed, immutable,
   *  append-only, no-dump), where the file system keeps such flags. */
  attributes?: number;
  attributesMask?: number;
}

export function statFromHost(st: fs.BigIntStats): FileStat {
  return {
    dev: st.dev, ino: st.ino, mode: Number(st.mode), nlink: Number(st.nlink), uid: Number(st.uid), gid: Number(st.gid),
    rdev: st.rdev, size: st.size, blksize: Number(st.blksize), blocks: st.blocks,
    atimeNs: st.atimeNs, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs,
    // (Node reads it with statx: 0 where the host's file system keeps none)
    ...(st.birthtimeNs > 0n ? { btimeNs: st.birthtimeNs } : {}),
  };
}

/** Access mode and status flags of an open file description. */
export interface OpenMode {
  read: boolean;
  write: boolean;
  append: boolean;
  nonblock: boolean;
  /** Opened for offsets past 2 GiB (O_LARGEFILE): only reported back (F_GETFL, fdinfo). */
  largeFile?: boolean;
  /** O_NOATIME: reads leave the file's access time (a host file is opened so too). */
  noatime?: boolean;
}

/** wholeReadMax() of files that read records or lines: a terminal's input buffer holds no
 *  more. */
export const WHOLE_READ_MAX = 4096;

/** What the VFS attaches to a description it opened from a mounted file: it hears when an fd
 *  of the description is closed (record locks go with any close by their owner) and when the
 *  description itself ends (flock and open-description locks, the mount's busy count). */
export interface FileRef {
  fdClosed(f: OpenFile, owner: object): void;
  released(f: OpenFile): void;
  /** The file's attributes now. */
  stat?(): FileStat;
  /** When reads move the file's access time, by its mount's flags (vfs/mounts.ts). */
  atimePolicy?(): "relatime" | "noatime" | "strictatime";
}

export abstract class OpenFile {
  /** Number of fd table entries referring to this description. */
  refs = 1;
  offset = 0;
  /** The VFS's link to the mounted file this description was opened from (null: a pipe, an
   *  inherited stream...). */
  ref: FileRef | null = null;

  /** When this description's reads move the file's access time: never with O_NOATIME, else
   *  as its mount says (relatime where it has no mount). */
  readAtime(): "relatime" | "noatime" | "strictatime" {
    return this.mode.noatime === true ? "noatime" : (this.ref?.atimePolicy?.() ?? "relatime");
  }
  /** Signal-driven I/O (O_ASYNC and its owner: fasync.ts), once fcntl asked for any of it. */
  fasync: AsyncIo | null = null;
  /** F_NOTIFY's requests on this directory, one per fd table that made one (dnotify.ts). */
  dnotify: DirNotify[] | null = null;

  constructor(
    /** Guest path (for /proc/self/fd and traces; a rename of it or of a directory above it
     *  changes it, as Linux's descriptors follow their file). */
    public path: string,
    public mode: OpenMode,
  ) {}

  abstract read(buf: Uint8Array): number;
  abstract write(buf: Uint8Array): number;
  abstract stat(): FileStat;

  /** read() on behalf of the calling thread `who`: a terminal applies job control to it and
   *  times VMIN/VTIME from the start of its call. Other files just read(). */
  readBy(_who: Task, buf: Uint8Array): number {
    return this.read(buf);
  }

  /** write() on behalf of the calling thread (a terminal with TOSTOP checks its group). */
  writeBy(_who: Task, buf: Uint8Array): number {
    return this.write(buf);
  }

  /** Most bytes of the caller's buffer a read must get in one call, instead of page by page
   *  (0: page by page, as a regular file or a pipe is read): a terminal returns at most one line
   *  per read, an event file whole records, a datagram socket one message per read (read page
   *  by page, a message was cut at the first page boundary of the buffer). */
  wholeReadMax(): number {
    return 0;
  }

  /** write() of `count` bytes answered without the bytes (Linux's null and zero devices take
   *  any count, the full device fails, neither reading the caller's buffer), or -1 when the
   *  file needs them. */
  blindWrite(_count: number): number {
    return -1;
  }

  pread(_buf: Uint8Array, _off: number): number {
    return sysError("ESPIPE");
  }

  /** Whether it has positions to read and write at (pread/pwrite: ESPIPE otherwise): a file
   *  that reads at an offset does (Linux's FMODE_PREAD and FMODE_PWRITE). */
  positional(): boolean {
    return this.pread !== OpenFile.prototype.pread;
  }

  /** A read of up to `len` bytes at `off` is about to be made: a file whose data comes from a
   *  disk may throw WouldBlock until that data (and a modest read-ahead) is in memory, so the
   *  read then completes without waiting. Nothing is changed before it throws. */
  prepareRead(_off: number, _len: number): void {}

  /** pread() for the library's own reads outside a waiting system call (exec reading a
   *  header): never throws WouldBlock; a disk is read synchronously. */
  preadNow(buf: Uint8Array, off: number): number {
    return this.pread(buf, off);
  }

  pwrite(_buf: Uint8Array, _off: number): number {
    return sysError("ESPIPE");
  }

  seek(_off: number, _whence: number): number {
    return sysError("ESPIPE");
  }

  isatty(): boolean {
    return false;
  }

  /** Host file descriptor behind this description, if any (for ioctl pass-through). */
  hostFd(): number {
    return -1;
  }

  /** Readiness now, as POLL* bits (regular files are always ready). A description that is not
   *  ready may start what makes it so (a host read). */
  poll(): number {
    return (this.mode.read ? POLLIN | POLLRDNORM : 0) | (this.mode.write ? POLLOUT | POLLWRNORM : 0);
  }

  /** Queues notified when poll() may have changed (none: it never changes). */
  pollQueues(): WaitQueue[] {
    return [];
  }

  /** Whether readiness can change (epoll refuses files that are always ready, with EPERM). */
  pollable(): boolean {
    return false;
  }

  /** Bytes a read would return at once (FIONREAD). */
  available(): number {
    return 0;
  }

  /** Called when the last fd referring to the description is closed. */
  release(): void {}

  /** Called at every close of an fd referring to the description, with the descriptor table
   *  it was closed in (Linux's flush operation). */
  flushed(_table: object): void {}

  /** Drops one reference; the last one releases the description. */
  drop(): void {
    if (--this.refs !== 0) return;
    this.fasync?.enable(false);
    this.release();
    this.ref?.released(this);
  }

  /** fsync/fdatasync: makes the file's data (and, unless `dataOnly`, its metadata) durable.
   *  Objects that cannot be synchronised (pipes, sockets, most devices) refuse with EINVAL,
   *  as Linux does for files without an fsync operation. */
  fsync(_dataOnly: boolean): void {
    sysError("EINVAL");
  }

  /** The file as mmap sees it: a regular file's pages, or null if it cannot be mapped. */
  mapping(): Mappable | null {
    return null;
  }

  /** ftruncate through the description's own access to the file, where it has one: a host file
   *  removed while open has no path its volume could reach it by. False: the caller truncates
   *  through the volume. */
  truncateOpen(_len: number): boolean {
    return false;
  }

  /** Writes back what a shared mapping of the file changed (the page cache's writer): pwrite,
   *  but for seals against writing (volumes/tmpfs.ts). */
  pwriteMapped(buf: Uint8Array, off: number): number {
    return this.pwrite(buf, off);
  }

  /** Whether splice can move bytes to or from it (Linux's splice_read and splice_write): not
   *  for the event and control files (eventfd, timerfd, signalfd, epoll, inotify, pidfds,
   *  message queues), directories and O_PATH descriptors, where splice is EINVAL. */
  splices(): boolean {
    return true;
  }

  /** The file's seals (F_GET_SEALS), or null: a file that cannot be sealed (anything but a
   *  memfd), where fcntl's sealing commands are EINVAL. */
  seals(): number | null {
    return null;
  }

  /** F_ADD_SEALS. */
  addSeals(_seals: number): void {
    sysError("EINVAL");
  }

  /** A new description of the same object with its own offset and `mode`, as opening
   *  /proc/PID/fd/N makes one for an object that has no path (a pipe, an inherited stream).
   *  Objects that cannot be opened again refuse with ENXIO, as Linux does for sockets. */
  reopen(_mode: OpenMode): OpenFile {
    return sysError("ENXIO");
  }
}

/** A file read and written at its offset (a regular file, a disk, a loop device, /proc/PID/mem):
 *  read() and write() are pread() and pwrite() at the offset, which moves by what they moved. A
 *  file opened to append overrides write() to move the offset to its end first. */
export abstract class PositionalFile extends OpenFile {
  read(buf: Uint8Array): number {
    const n = this.pread(buf, this.offset);
    this.offset += n;
    return n;
  }

  write(buf: Uint8Array): number {
    const n = this.pwrite(buf, this.offset);
    this.offset += n;
    return n;
  }
}

/** Pages of a host file read through a descriptor of the page cache's own. */
export class HostPages implements PageSource, HostFdHolder {
  private fd = -1;

  [HOST_FDS](): number[] {
    return this.fd < 0 ? [] : [this.fd];
  }

  /** Opened again on the next read. */
  [HOST_REOPEN](): void {
    this.fd = -1;
  }

  constructor(private readonly hostPath: string) {}

  /** Opens its descriptor now through `fd`, an open descriptor of the same file, which works
   *  when the file's path is gone: a file removed while open (mkstemp then unlink, tmpfile())
   *  and then mapped. (Where /proc/self/fd cannot open it, the path is opened on first read.) */
  openThrough(fd: number): void {
    if (this.fd >= 0 || fd < 0) return;
    try {
      this.fd = fs.openSync(`/proc/self/fd/${fd}`, fs.constants.O_RDONLY);
    } catch {
      // (read() opens the path)
    }
  }

  read(view: Uint8Array, off: number): number {
    try {
      if (this.fd < 0) this.fd = fs.openSync(hostBytes(this.hostPath), fs.constants.O_RDONLY);
      return fs.readSync(this.fd, view, 0, view.length, off);
    } catch (e) {
      throw fromHostError(e);
    }
  }

  close(): void {
    closeHostFd(this.fd);
    this.fd = -1;
  }
}

/** The page-cache key of a host file. */
export function hostFileKey(dev: bigint, ino: bigint): string {
  return `${dev}:${ino}`;
}

/** A regular host file (or anything seekable opened by path). Reads and writes stay coherent
 *  with the page cache's copy of the file (pages mapped with mmap). */
export class HostFile extends PositionalFile implements Mappable, HostFdHolder {
  /** Page-cache key of the file (dev:ino). */
  private key: string;

  constructor(
    path: string,
    mode: OpenMode,
    private fd: number,
    readonly hostPath: string,
    private readonly cache: PageCache | null,
  ) {
    super(path, mode);
    this.key = cache !== null ? this.identity().key : "";
  }

  identity(): FileIdentity {
    const st = this.stat();
    return { key: hostFileKey(st.dev, st.ino), dev: st.dev, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs };
  }

  /** The same host file opened again through the host's /proc/self/fd (which reaches it
   *  after it was removed, as /proc/PID/fd/N does in the guest). */
  override reopen(mode: OpenMode): OpenFile {
    return new HostFile(this.path, mode, reopenHostFd(this.fd, mode), this.hostPath, this.cache);
  }

  source(): PageSource {
    const pages = new HostPages(this.hostPath);
    pages.openThrough(this.fd);
    return pages;
  }

  override mapping(): Mappable {
    return this;
  }

  override fsync(dataOnly: boolean): void {
    try {
      if (dataOnly) fs.fdatasyncSync(this.fd);
      else fs.fsyncSync(this.fd);
    } catch (e) {
      throw fromHostError(e);
    }
  }

  private cached(): CachedFile | undefined {
    return this.cache?.lookup(this.key);
  }

  /** The file was truncated to `len` bytes (cached pages past it go). */
  truncated(len: number): void {
    this.cached()?.truncated(len);
  }

  override truncateOpen(len: number): boolean {
    try {
      fs.ftruncateSync(this.fd, len);
    } catch (e) {
      throw fromHostError(e);
    }
    this.truncated(len);
    return true;
  }

  override write(buf: Uint8Array): number {
    if (this.mode.append) this.offset = Number(fs.fstatSync(this.fd, { bigint: true }).size);
    return super.write(buf);
  }

  override pread(buf: Uint8Array, off: number): number {
    const cf = this.cached();
    if (cf?.writable) cf.sync();
    try {
      return fs.readSync(this.fd, buf, 0, buf.length, off);
    } catch (e) {
      throw fromHostError(e);
    }
  }

  override pwrite(buf: Uint8Array, off: number): number {
    let n: number;
    try {
      n = fs.writeSync(this.fd, buf, 0, buf.length, off);
    } catch (e) {
      throw fromHostError(e);
    }
    this.cached()?.written(buf.subarray(0, n), off);
    return n;
  }

  override seek(off: number, whence: number): number {
    this.offset = seekPosition(off, whence, this.offset, () => Number(this.stat().size));
    return this.offset;
  }

  stat(): FileStat {
    try {
      return statFromHost(fs.fstatSync(this.fd, { bigint: true }));
    } catch (e) {
      throw fromHostError(e);
    }
  }

  override hostFd(): number {
    return this.fd;
  }

  [HOST_FDS](): number[] {
    return this.refs > 0 ? [this.fd] : [];
  }

  /** The same host path opened again, as its description's mode allows (it must still exist). */
  [HOST_REOPEN](): void {
    if (this.refs <= 0) return;
    const m = this.mode;
    const flags = (m.write ? (m.read ? fs.constants.O_RDWR : fs.constants.O_WRONLY) : fs.constants.O_RDONLY) | fs.constants.O_NOFOLLOW;
    this.fd = fs.openSync(hostBytes(this.hostPath), flags);
    if (this.cache !== null) this.key = this.identity().key;
  }

  override release(): void {
    closeHostFd(this.fd);
  }
}

/** A host stream without positions (inherited stdin/stdout/stderr: terminals, pipes). */
export class HostStream extends OpenFile implements HostFdHolder {
  /** Input from a terminal, pipe or socket comes as events (never a blocking host read). */
  private readonly input: HostInput | null;
  /** A regular file or device that is always ready (not a terminal, pipe or socket). */
  private readonly regular: boolean = true;

  constructor(
    path: string,
    mode: OpenMode,
    private readonly fd: number,
    /** Whether the host descriptor is this description's own (closed on release); the
     *  inherited standard streams are not. */
    private readonly owned = false,
  ) {
    super(path, mode);
    try {
      const st = fs.fstatSync(fd);
      this.regular = st.isFile() || st.isDirectory() || (st.isCharacterDevice() && !isTerminal(fd));
    } catch {
      // a closed descriptor: reads fail with EBADF below
    }
    this.input = mode.read && !this.regular ? new HostInput(fd) : null;
  }

  read(buf: Uint8Array): number {
    if (this.input !== null) {
      let n: number;
      try {
        n = this.input.read(buf);
      } catch (code) {
        throw fromHostError({ code });
      }
      if (n >= 0) return n;
      if (this.mode.nonblock) sysError("EAGAIN");
      throw new WouldBlock([this.input.readable]);
    }
    try {
      return fs.readSync(this.fd, buf, 0, buf.length, null);
    } catch (e) {
      if ((e as { code?: string }).code === "EOF") return 0;
      throw fromHostError(e);
    }
  }

  write(buf: Uint8Array): number {
    let done = 0;
    while (done < buf.length) {
      try {
        done += fs.writeSync(this.fd, buf, done, buf.length - done, null);
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === "EAGAIN") {
          // The host descriptor is non-blocking (shared with a program that set it so).
          if (this.mode.nonblock && done === 0) throw new SysError("EAGAIN");
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
          continue;
        }
        if (done > 0) return done;
        throw fromHostError(e);
      }
    }
    return done;
  }

  override poll(): number {
    let ev = this.mode.write ? POLLOUT | POLLWRNORM : 0;
    if (this.mode.read) {
      if (this.input === null || this.input.ready()) ev |= POLLIN | POLLRDNORM;
      else this.input.arm();
    }
    return ev;
  }

  override pollQueues(): WaitQueue[] {
    return this.input !== null ? [this.input.readable] : [];
  }

  override pollable(): boolean {
    return this.input !== null || !this.regular;
  }

  override available(): number {
    return this.input !== null ? this.input.buffered : 0;
  }

  override seek(off: number, whence: number): number {
    // Seeking a regular file inherited as a standard stream works; pipes and ttys give ESPIPE.
    const st = this.stat();
    if ((st.mode & S_IFMT) !== S_IFREG) return sysError("ESPIPE");
    this.offset = seekPosition(off, whence, this.offset, () => Number(st.size));
    return this.offset;
  }

  stat(): FileStat {
    try {
      return statFromHost(fs.fstatSync(this.fd, { bigint: true }));
    } catch (e) {
      throw fromHostError(e);
    }
  }

  override isatty(): boolean {
    return isTerminal(this.fd);
  }

  /** A regular file syncs; pipes and terminals refuse (EINVAL), as the host says. */
  override fsync(dataOnly: boolean): void {
    try {
      if (dataOnly) fs.fdatasyncSync(this.fd);
      else fs.fsyncSync(this.fd);
    } catch (e) {
      throw fromHostError(e);
    }
  }

  override hostFd(): number {
    return this.fd;
  }

  /** The host object opened again through the host's /proc/self/fd (the host is Linux). */
  override reopen(mode: OpenMode): OpenFile {
    return new HostStream(this.path, mode, reopenHostFd(this.fd, mode), true);
  }

  [HOST_FDS](): number[] {
    return this.owned && this.refs > 0 ? [this.fd] : [];
  }

  /** The standard streams it was given stay what they are; a host object opened again through
   *  /proc/self/fd cannot be found from another process. */
  [HOST_REOPEN](): void {
    if (this.owned && this.refs > 0) throw new Error(`${this.path} is a host stream, which cannot be opened again in another process`);
  }

  override release(): void {
    if (this.owned) closeHostFd(this.fd);
  }
}

/** A new host descriptor for what host descriptor `fd` is open on, with `mode`. */
function reopenHostFd(fd: number, mode: OpenMode): number {
  const flags = mode.read && mode.write ? fs.constants.O_RDWR : mode.write ? fs.constants.O_WRONLY : fs.constants.O_RDONLY;
  try {
    return fs.openSync(`/proc/self/fd/${fd}`, flags | (mode.append ? fs.constants.O_APPEND : 0));
  } catch (e) {
    throw fromHostError(e);
  }
}

/** An O_PATH descriptor: names a file (a directory, a symbolic link...) for fstat, fchdir
 *  and the *at calls, without opening it for I/O. */
export class PathFile extends OpenFile {
  override splices(): boolean {
    return false;
  }

  constructor(
    path: string,
    private readonly st: FileStat,
  ) {
    super(path, { read: false, write: false, append: false, nonblock: false });
  }

  get isDirectory(): boolean {
    return (this.st.mode & S_IFMT) === S_IFDIR;
  }

  read(_buf: Uint8Array): number {
    return sysError("EBADF");
  }

  write(_buf: Uint8Array): number {
    return sysError("EBADF");
  }

  override fsync(_dataOnly: boolean): void {
    sysError("EBADF");
  }

  /** The file's attributes now (those it had when opened, for a file outside the VFS). */
  stat(): FileStat {
    return this.ref?.stat?.() ?? this.st;
  }
}
