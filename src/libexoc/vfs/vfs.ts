// The VFS: one name space of mounted volumes (the system's mount table), and the POSIX calls on
// paths, written once over the Volume contract (volume.ts). Each call walks its path(s)
// (walk.ts), checks what POSIX and Linux check, in Linux's order (a read-only file system before
// permissions, existence before both where Linux looks first), and then asks the volume. Opening
// is in open.ts, mounting in mountops.ts, permission rules in perm.ts.
//
// Every path operation names its caller (FsCaller: the calling thread), whose file-system ids
// the permission checks use; paths are guest paths, relative ones resolved against a base
// directory (the caller's working directory, or a directory descriptor's path).

import * as nodefs from "node:fs";
import { S_IFMT, S_IFDIR, S_IFREG, S_IFLNK, S_IFIFO, S_IFCHR, S_IFBLK, S_IFSOCK, type FileStat, type OpenFile } from "../file.js";
import { DirFile, DT_DIR, type DirEntry } from "../dirfile.js";
import { FifoTable } from "../fifo.js";
import { SocketNames } from "../socket.js";
import { sysError } from "../errors.js";
import { MAY_READ, MAY_WRITE, MAY_EXEC, type FsCaller, type Volume, type VolumeFigures } from "../volume.js";
import { HostVolume } from "../volumes/host.js";
import { MountTable, DEFAULT_FLAGS, atimePolicy, type Mount, type MountFlags } from "./mounts.js";
import { Walker, guestPath, isDirSt, isLinkSt, permitted, checkPermission, type Place, type Walk } from "./walk.js";
import { credOf, credCapable, withRealIds, inGroup, ownerOrRoot, stickyForbids, chmodBits, chownBits, newOwner, mayChown, mayMknod, S_ISVTX } from "./perm.js";
import { CAP_SYS_CHROOT, CAP_LINUX_IMMUTABLE } from "../capability.js";
import { DeviceRegistry } from "./devices.js";
import { FsTypes } from "./fstypes.js";
import { LockTable } from "./locks.js";
import { VfsRef, LockRef, lockKey } from "./ref.js";
import { openPath, parentOf, type OpenRequest } from "./open.js";
import { LeaseTable } from "./leases.js";
import { Notifier, IN_ACCESS, IN_ATTRIB, IN_CREATE, IN_DELETE, IN_MODIFY, IN_MOVED_FROM, IN_MOVED_TO, FS_RENAME, type Parent } from "./notify.js";
import { mount, umount, type MountRequest, type UmountRequest } from "./mountops.js";
import { later } from "../../exokernel/later.js";
import { WriteDenial } from "./denywrite.js";

export type { OpenRequest, MountRequest, UmountRequest };
export { PATH_MAX, MAX_SYMLINKS } from "./walk.js";

/** Access modes of access(): read, write, execute (POSIX R_OK, W_OK, X_OK). */
export const R_OK = 4, W_OK = 2, X_OK = 1;

/** A time for utimes: nanoseconds since the epoch, now, or left as it is (null). */
export type TimeSpec = bigint | "now" | null;

/** What a path names, for the calls that need more than its status (chdir, exec). */
export interface Resolved {
  /** Normalised guest path. */
  guest: string;
  /** Status of what it names (null: the last component does not exist). */
  st: FileStat | null;
  place: Place | null;
  /** The open description a magic link led to, or null. */
  jump: OpenFile | null;
}

/** statfs: the volume's figures and the mount's flags. */
export interface FsFigures extends VolumeFigures {
  flags: MountFlags;
}

export interface VfsOptions {
  devices?: DeviceRegistry;
  fsTypes?: FsTypes;
  /** Source and flags of the root mount, as /proc/mounts shows them. */
  rootSource?: string;
  rootFlags?: MountFlags;
  /** Guest paths in use as working directories (umount refuses to unmount under them). */
  busyPaths?: () => string[];
  /** Told of every rename, with both paths from the system's root: working directories, roots
   *  and descriptors' paths at or below the old one move with it. */
  renamed?: (from: string, to: string) => void;
}

function now(): bigint {
  return BigInt(Date.now()) * 1000000n;
}

/** The append-only inode flag (FS_APPEND_FL). */
const FS_APPEND_FL = 0x20;

export class Vfs {
  readonly mounts: MountTable;
  readonly walker: Walker;
  readonly devices: DeviceRegistry;
  readonly fsTypes: FsTypes;
  readonly locks = new LockTable();
  /** Programs being run and files open for writing (ETXTBSY). */
  readonly denial = new WriteDenial();
  /** The pipes behind the FIFO nodes opened through this name space. */
  readonly fifos = new FifoTable();
  /** Names bound to unix sockets: paths (by their file's identity) and abstract names. */
  readonly sockets = new SocketNames();
  /** Watches on files and the events the calls here make for them (inotify). */
  readonly notify = new Notifier();
  /** Leases on files (F_SETLEASE), which opens break. */
  readonly leases = new LeaseTable();
  /** Guest paths in use as working directories. */
  busyPaths: () => string[];
  /** Told of renames (VfsOptions.renamed). */
  renamed: (from: string, to: string) => void;

  constructor(root: Volume, o: VfsOptions = {}) {
    this.mounts = new MountTable(root, o.rootSource ?? "/dev/root", o.rootFlags ?? DEFAULT_FLAGS);
    this.walker = new Walker(this.mounts);
    this.devices = o.devices ?? new DeviceRegistry();
    this.fsTypes = o.fsTypes ?? new FsTypes();
    this.busyPaths = o.busyPaths ?? (() => []);
    this.renamed = o.renamed ?? (() => {});
  }

  // --- walking -------------------------------------------------------------------------------

  /** Walks `p` from `base` (`resolve`: openat2's RESOLVE_* restrictions, walk.ts). */
  walk(who: FsCaller, p: string, base: string, follow: boolean, resolve = 0): Walk {
    return this.walker.resolve(who, p, base, { follow, resolve });
  }

  /** Walks to the directory holding the last component (which is not looked up). */
  walkParent(who: FsCaller, p: string, base: string): Walk {
    return this.walker.resolve(who, p, base, { follow: false, parentOnly: true });
  }

  /**
   * Resolves `p` (relative to guest directory `base`) for `who`. Intermediate symbolic links are
   * always followed, the last one only if `follow` or if the path ends in "/" (it must then be a
   * directory). The last component may not exist (st = null); a missing or non-directory
   * intermediate component is an error, and so is a directory `who` may not search (EACCES).
   */
  resolve(who: FsCaller, p: string, base: string, follow: boolean): Resolved {
    const w = this.walk(who, p, base, follow);
    return { guest: guestPath(w), st: w.jump !== null ? w.jump.stat() : (w.place?.st ?? null), place: w.place, jump: w.jump };
  }

  /** The entry of a walked-to directory that a change names (looked up now, through mounts). */
  lastOf(who: FsCaller, w: Walk): Place | null {
    return this.walker.step(who, top(w), w.name);
  }

  /** EROFS unless `p` (or, with `name`, its entry `name`) may change. */
  checkWritable(p: Place, name?: string): void {
    const m = p.mnt;
    if (m.flags.readOnly) sysError("EROFS");
    if (!m.vol.readOnly) return;
    if (m.vol.writable?.(p.node, name === undefined ? undefined : Buffer.from(name, "latin1"))) return;
    sysError("EROFS");
  }

  /** Whether the mount's own root is `p` (a mount point, seen from inside). */
  isMountRoot(chain: Place[]): boolean {
    return chain.length === 1 || chain[chain.length - 1].mnt !== chain[chain.length - 2].mnt;
  }

  // --- reading the name space ----------------------------------------------------------------

  open(who: FsCaller, p: string, base: string, req: OpenRequest): OpenFile {
    return openPath(this, who, p, base, req);
  }

  /** chdir: the guest path of a directory the caller may search (EACCES otherwise). */
  chdir(who: FsCaller, p: string, base: string): string {
    const w = this.walk(who, p, base, true);
    const pl = w.place;
    if (pl === null || w.jump !== null) return sysError(w.jump !== null ? "ENOTDIR" : "ENOENT");
    if (!isDirSt(pl.st)) sysError("ENOTDIR");
    checkPermission(who, pl, MAY_EXEC);
    return guestPath(w);
  }

  /** chroot: the canonical path, from the system's root, of the directory `p` names for
   *  `who` (which must be allowed to search it), to be its new root. EPERM unless `who` is
   *  privileged, after the path's own errors, as Linux orders them. */
  chrootPath(who: FsCaller, p: string, base: string): string {
    const rel = this.chdir(who, p, base);
    if (!credCapable(credOf(who), CAP_SYS_CHROOT)) sysError("EPERM");
    const root = who.fsRoot ?? "/";
    return root === "/" ? rel : rel === "/" ? root : root + rel;
  }

  /** fchdir: the directory open as `f`, if the caller may search it. */
  fchdir(who: FsCaller, f: OpenFile): string {
    const r = f.ref;
    if (r instanceof VfsRef) {
      const st = r.mnt.vol.getattr(r.node);
      if (!isDirSt(st)) sysError("ENOTDIR");
      checkPermission(who, { mnt: r.mnt, node: r.node, st, name: "" }, MAY_EXEC);
      return f.path;
    }
    return this.chdir(who, f.path, "/");
  }

  stat(who: FsCaller, p: string, base: string, follow: boolean): FileStat {
    const w = this.walk(who, p, base, follow);
    if (w.jump !== null) return w.jump.stat();
    if (w.place === null) return sysError("ENOENT");
    return w.place.st;
  }

  readlink(who: FsCaller, p: string, base: string): Buffer {
    const w = this.walk(who, p, base, false);
    const pl = w.place;
    if (pl === null) return sysError("ENOENT");
    if (w.jump !== null || !isLinkSt(pl.st)) return sysError("EINVAL");
    return pl.mnt.vol.readlink(pl.node);
  }

  /** access()/faccessat(): whether the caller may use a path as `mode` (R_OK | W_OK | X_OK, or 0
   *  for existence) says, with its real ids unless `effective` (AT_EACCESS). */
  access(who: FsCaller, p: string, base: string, mode: number, follow: boolean, effective = false): void {
    const as = effective ? who : withRealIds(who);
    const w = this.walk(as, p, base, follow);
    if (w.jump !== null) return;
    const pl = w.place;
    if (pl === null) sysError("ENOENT");
    if (mode === 0) return;
    const type = pl.st.mode & S_IFMT;
    if (mode & W_OK && (type === S_IFREG || type === S_IFDIR || type === S_IFLNK)) this.checkWritable(pl);
    if (!permitted(as, pl, mode)) sysError("EACCES");
  }

  /** A directory's entries with "." and "..": ".." is what `guest`/.. names (for a mount's root,
   *  the covered directory's parent). */
  listing(who: FsCaller, pl: Place, guest: string): DirEntry[] {
    let parentIno = pl.st.ino;
    try {
      parentIno = this.walker.resolve(who, guest === "/" ? "/" : guest + "/..", "/", { follow: true, unchecked: true }).place?.st.ino ?? parentIno;
    } catch {
      // a directory removed meanwhile: ".." is itself
    }
    return [
      { ino: pl.st.ino, type: DT_DIR, name: Buffer.from(".") },
      { ino: parentIno, type: DT_DIR, name: Buffer.from("..") },
      ...pl.mnt.vol.readdir(pl.node, pl.mnt.flags.readOnly ? "noatime" : atimePolicy(pl.mnt.flags, true)),
    ];
  }

  /** A directory description for `pl` (its listing is taken when reading starts). */
  dirFile(who: FsCaller, pl: Place, guest: string): DirFile {
    return new DirFile(guest, later<FileStat>(pl.mnt.vol, "getattr", pl.node), later(this, "listing", who, pl, guest), pl.st);
  }

  /** statfs: the file system holding a path. */
  statfs(who: FsCaller, p: string, base: string): FsFigures {
    const w = this.walk(who, p, base, true);
    const pl = w.jump === null ? w.place : this.walker.rootPlace(who);
    if (pl === null) return sysError("ENOENT");
    return { ...pl.mnt.vol.statfs(pl.node), flags: { ...pl.mnt.flags, readOnly: pl.mnt.readOnly } };
  }

  // --- changing the name space ---------------------------------------------------------------

  /** Walks to where `p` would be created: the directory and the (absent) name. EEXIST if it
   *  exists or is "." or ".."; ENOENT for a trailing slash (only mkdir may end in one). */
  private forCreate(who: FsCaller, p: string, base: string, dirOk: boolean): { dir: Place; name: string } {
    const w = this.walkParent(who, p, base);
    if (w.lastType !== "norm") sysError("EEXIST");
    const dir = top(w);
    if (this.lastOf(who, w) !== null) sysError("EEXIST");
    if (w.slash && !dirOk) sysError("ENOENT");
    return { dir, name: w.name };
  }

  /** `name` was made in `dir` (its watches hear create). */
  private created(dir: Place, name: string, isDir: boolean): void {
    this.notify.entry(keyOf(dir), IN_CREATE, name, isDir);
  }

  /** `victim` went from `dir` (rmdir, unlink): for a file, attrib (its link count), then
   *  delete_self if that was its last link (as the walk found it); then delete in the
   *  directory. */
  private removed(dir: Place, name: string, victim: Place): void {
    if (this.notify.count === 0) return;
    const isDir = isDirSt(victim.st), key = keyOf(victim);
    if (!isDir) this.notify.object(key, IN_ATTRIB, false, null);
    if (isDir || victim.st.nlink <= 1) this.notify.unlinked(key);
    this.notify.entry(keyOf(dir), IN_DELETE, name, isDir);
  }


  /** The checks before making an entry in `dir`: a writable file system, then write and
   *  search permission on the directory. */
  private mayCreate(who: FsCaller, dir: Place, name: string): void {
    this.checkWritable(dir, name);
    checkPermission(who, dir, MAY_WRITE | MAY_EXEC);
  }

  /** The checks before removing or renaming `victim` from `dir`: write and search permission,
   *  and the sticky-directory rule (EPERM). */
  private mayDelete(who: FsCaller, dir: Place, victim: Place): void {
    checkPermission(who, dir, MAY_WRITE | MAY_EXEC);
    if (stickyForbids(credOf(who), dir.st, victim.st)) sysError("EPERM");
  }

  mkdir(who: FsCaller, p: string, base: string, perm: number): void {
    const { dir, name } = this.forCreate(who, p, base, true);
    this.mayCreate(who, dir, name);
    const own = newOwner(credOf(who), dir.st, perm & (0o777 | S_ISVTX), true);
    dir.mnt.vol.mkdir(dir.node, Buffer.from(name, "latin1"), own.perm, own.uid, own.gid);
    this.created(dir, name, true);
  }

  /** mknod: a regular file (type 0 or S_IFREG), FIFO, socket or device node (root only);
   *  `perm` is already masked by the umask. */
  mknod(who: FsCaller, p: string, base: string, type: number, perm: number, rdev = 0n, requested = perm): void {
    if (type === 0) type = S_IFREG;
    if (type === S_IFDIR) sysError("EPERM");
    if (type !== S_IFREG && type !== S_IFIFO && type !== S_IFSOCK && type !== S_IFCHR && type !== S_IFBLK) sysError("EINVAL");
    const { dir, name } = this.forCreate(who, p, base, false);
    this.mayCreate(who, dir, name);
    if ((type === S_IFCHR || type === S_IFBLK) && !mayMknod(credOf(who))) sysError("EPERM");
    const own = newOwner(credOf(who), dir.st, perm, false, requested);
    dir.mnt.vol.create(dir.node, Buffer.from(name, "latin1"), type | own.perm, rdev, own.uid, own.gid);
    this.created(dir, name, false);
  }

  symlink(who: FsCaller, target: string, p: string, base: string): void {
    if (target.length === 0) sysError("ENOENT");
    const { dir, name } = this.forCreate(who, p, base, false);
    this.mayCreate(who, dir, name);
    const own = newOwner(credOf(who), dir.st, 0o777, false);
    dir.mnt.vol.symlink(dir.node, Buffer.from(name, "latin1"), Buffer.from(target, "latin1"), own.uid, own.gid);
    this.created(dir, name, false);
  }

  rmdir(who: FsCaller, p: string, base: string): void {
    const w = this.walkParent(who, p, base);
    if (w.lastType === "dot") sysError("EINVAL");
    if (w.lastType === "dotdot") sysError("ENOTEMPTY");
    if (w.lastType === "root") sysError("EBUSY");
    const dir = top(w);
    this.checkWritable(dir, w.name);
    const victim = this.lastOf(who, w);
    if (victim === null) return sysError("ENOENT");
    if (!isDirSt(victim.st)) sysError("ENOTDIR");
    this.mayDelete(who, dir, victim);
    if (victim.mnt !== dir.mnt) sysError("EBUSY");
    dir.mnt.vol.rmdir(dir.node, Buffer.from(w.name, "latin1"));
    this.removed(dir, w.name, victim);
  }

  unlink(who: FsCaller, p: string, base: string): void {
    const w = this.walkParent(who, p, base);
    if (w.lastType !== "norm") sysError("EISDIR");
    const dir = top(w);
    this.checkWritable(dir, w.name);
    const victim = this.lastOf(who, w);
    if (victim === null) return sysError("ENOENT");
    if (isDirSt(victim.st)) sysError("EISDIR");
    if (w.slash) sysError("ENOTDIR");
    this.mayDelete(who, dir, victim);
    if (victim.mnt !== dir.mnt) sysError("EBUSY");
    dir.mnt.vol.unlink(dir.node, Buffer.from(w.name, "latin1"));
    this.removed(dir, w.name, victim);
  }

  /** rename/renameat2: `noReplace` (RENAME_NOREPLACE) refuses an existing target, `exchange`
   *  (RENAME_EXCHANGE) swaps the two. Between mounts: EXDEV. */
  rename(who: FsCaller, from: string, fromBase: string, to: string, toBase: string, flags: { noReplace: boolean; exchange: boolean } | boolean): void {
    const fl = typeof flags === "boolean" ? { noReplace: flags, exchange: false } : flags;
    const a = this.walkParent(who, from, fromBase);
    const b = this.walkParent(who, to, toBase);
    if (a.lastType !== "norm" || b.lastType !== "norm") sysError("EBUSY");
    const ad = top(a), bd = top(b);
    if (ad.mnt !== bd.mnt) sysError("EXDEV");
    this.checkWritable(ad, a.name);
    this.checkWritable(bd, b.name);
    const src = this.lastOf(who, a);
    if (src === null) return sysError("ENOENT");
    const dst = this.lastOf(who, b);
    if (fl.exchange && dst === null) sysError("ENOENT");
    if (fl.noReplace && dst !== null) sysError("EEXIST");
    const srcDir = isDirSt(src.st);
    if ((a.slash || (b.slash && !fl.exchange)) && !srcDir) sysError("ENOTDIR");
    const same = (x: Place, y: Place): boolean => x.mnt === y.mnt && x.node.ino === y.node.ino;
    // A directory cannot move into itself, nor replace one of its own ancestors.
    if (srcDir && b.dirs.some((d) => same(d, src))) sysError("EINVAL");
    if (dst !== null && isDirSt(dst.st) && a.dirs.some((d) => same(d, dst))) sysError(fl.exchange ? "EINVAL" : "ENOTEMPTY");
    // Two names of one file: nothing to do (before any permission check, as Linux).
    if (dst !== null && same(src, dst)) return;
    this.mayDelete(who, ad, src);
    if (dst !== null) {
      this.mayDelete(who, bd, dst);
      if (!fl.exchange && srcDir && !isDirSt(dst.st)) sysError("ENOTDIR");
      if (!fl.exchange && !srcDir && isDirSt(dst.st)) sysError("EISDIR");
    } else {
      checkPermission(who, bd, MAY_WRITE | MAY_EXEC);
    }
    // Moving a directory to another parent rewrites its "..": it must be writable too.
    if (!same(ad, bd)) {
      if (srcDir) checkPermission(who, src, MAY_WRITE);
      if (fl.exchange && dst !== null && isDirSt(dst.st)) checkPermission(who, dst, MAY_WRITE);
    }
    if (src.mnt !== ad.mnt || (dst !== null && dst.mnt !== bd.mnt)) sysError("EBUSY");
    ad.mnt.vol.rename(ad.node, Buffer.from(a.name, "latin1"), bd.node, Buffer.from(b.name, "latin1"), fl);
    if (this.notify.count > 0) this.moveEvents(ad, a.name, src, bd, b.name, dst, fl.exchange);
    const root = who.fsRoot ?? "/";
    const sys = (w: Walk): string => (root === "/" ? guestPath(w) : root + guestPath(w));
    if (fl.exchange) {
      // (the two swap: through a name neither can have)
      const swap = `${sys(a)}\0`;
      this.renamed(sys(a), swap);
      this.renamed(sys(b), sys(a));
      this.renamed(swap, sys(b));
    } else this.renamed(sys(a), sys(b));
  }

  /** The events of a rename (Linux's fsnotify_move): moved_from and moved_to with one cookie,
   *  attrib on a file it replaced, move_self on what moved; for an exchange, the same for the
   *  other; then delete_self of what was replaced, once nothing links to it. */
  private moveEvents(ad: Place, aName: string, src: Place, bd: Place, bName: string, dst: Place | null, exchange: boolean): void {
    const move = (fromDir: Place, from: string, toDir: Place, to: string, what: Place, replaced: Place | null): void => {
      const cookie = this.notify.nextCookie(), isDir = isDirSt(what.st);
      if (keyOf(fromDir) === keyOf(toDir)) this.notify.entry(keyOf(fromDir), FS_RENAME, from, isDir);
      this.notify.entry(keyOf(fromDir), IN_MOVED_FROM, from, isDir, cookie);
      this.notify.entry(keyOf(toDir), IN_MOVED_TO, to, isDir, cookie);
      if (replaced !== null) this.notify.object(keyOf(replaced), IN_ATTRIB, isDirSt(replaced.st), null);
      this.notify.moved(keyOf(what));
    };
    move(ad, aName, bd, bName, src, exchange ? null : dst);
    if (exchange && dst !== null) move(bd, bName, ad, aName, dst, null);
    else if (dst !== null && (isDirSt(dst.st) || dst.st.nlink <= 1)) this.notify.unlinked(keyOf(dst));
  }

  /** link/linkat: a new name `to` for what `from` names (not a directory). */
  link(who: FsCaller, from: string, fromBase: string, to: string, toBase: string, follow: boolean): void {
    const a = this.walk(who, from, fromBase, follow);
    const src = a.place;
    if (src === null) return sysError("ENOENT");
    const { dir, name } = this.forCreate(who, to, toBase, false);
    if (a.jump !== null || src.mnt !== dir.mnt) sysError("EXDEV");
    this.mayCreate(who, dir, name);
    if (isDirSt(src.st)) sysError("EPERM");
    dir.mnt.vol.link(dir.node, Buffer.from(name, "latin1"), src.node);
    this.notify.object(keyOf(src), IN_ATTRIB, false, null);
    this.created(dir, name, false);
  }

  // --- attributes ----------------------------------------------------------------------------

  /** What an attribute change applies to: a path, or an open file's node; for a path, also
   *  the directory it is in with its name there (`parent`, for the change's events). */
  private target(who: FsCaller, p: string | OpenFile, base: string, follow: boolean): (Place & { parent: Parent | null }) | null {
    if (typeof p !== "string") {
      // (an O_PATH descriptor names its file for the *at() calls' AT_EMPTY_PATH; the f*() calls
      // refuse it themselves, EBADF, as Linux's fdget does)
      const r = p.ref;
      if (r instanceof VfsRef) return { mnt: r.mnt, node: r.node, st: r.mnt.vol.getattr(r.node), name: "", parent: null };
      return null;
    }
    const w = this.walk(who, p, base, follow);
    if (w.jump !== null) return null;
    if (w.place === null) return sysError("ENOENT");
    return { ...w.place, parent: parentOf(w) };
  }

  /** `mask` happened to what target() found for `p` (attrib, modify, access): its watches and
   *  its directory's hear it (a description knows its own directory). */
  private changed(p: string | OpenFile, pl: Place & { parent: Parent | null }, mask: number): void {
    if (this.notify.count === 0) return;
    if (typeof p !== "string" && p.ref instanceof VfsRef) p.ref.event(mask);
    else this.notify.object(keyOf(pl), mask, isDirSt(pl.st), pl.parent);
  }

  /** FS_IOC_GETFLAGS of an open file: its inode flags (ENOTTY where the volume keeps none). */
  inodeFlags(f: OpenFile): number {
    const r = f.ref;
    if (!(r instanceof VfsRef) || r.mnt.vol.inodeFlags === undefined) return sysError("ENOTTY");
    return r.mnt.vol.inodeFlags(r.node);
  }

  /** FS_IOC_FIEMAP of an open file: its extents in [from, to) (EOPNOTSUPP where the volume
   *  has no blocks to show). */
  fileExtents(f: OpenFile, from: number, to: number): { logical: number; physical: number; length: number; last: boolean; merged: boolean }[] {
    const r = f.ref;
    if (!(r instanceof VfsRef) || r.mnt.vol.fileExtents === undefined) return sysError("EOPNOTSUPP");
    return r.mnt.vol.fileExtents(r.node, from, to);
  }

  /** FS_IOC_SETFLAGS: by the owner or CAP_FOWNER (EPERM), not on a read-only mount; the
   *  immutable and append-only flags need CAP_LINUX_IMMUTABLE. */
  setInodeFlags(who: FsCaller, f: OpenFile, flags: number): void {
    const r = f.ref;
    if (!(r instanceof VfsRef) || r.mnt.vol.setInodeFlags === undefined) return sysError("ENOTTY");
    const st = r.mnt.vol.getattr(r.node);
    const c = credOf(who);
    if (!ownerOrRoot(c, st)) sysError("EPERM");
    if (r.mnt.flags.readOnly || r.mnt.vol.readOnly) sysError("EROFS");
    r.mnt.vol.setInodeFlags(r.node, flags, credCapable(c, CAP_LINUX_IMMUTABLE));
    if (this.notify.count > 0) r.event(IN_ATTRIB);
  }

  /** chmod/fchmod/fchmodat: by the owner (or root). A symbolic link has no mode of its own
   *  (EOPNOTSUPP, as Linux's fchmodat with AT_SYMLINK_NOFOLLOW). */
  chmod(who: FsCaller, p: string | OpenFile, base: string, perm: number, follow: boolean): void {
    const pl = this.target(who, p, base, follow);
    if (pl === null) return;
    this.checkWritable(pl);
    if (isLinkSt(pl.st)) sysError("EOPNOTSUPP");
    const c = credOf(who);
    if (!ownerOrRoot(c, pl.st)) sysError("EPERM");
    pl.mnt.vol.setattr(pl.node, { perm: chmodBits(c, pl.st, perm) });
    this.changed(p, pl, IN_ATTRIB);
  }

  /** chown family (-1 keeps an id): root may give anything away; the owner may only change
   *  the group, to one of its own. A non-directory loses its set-user-ID bit (and its
   *  set-group-ID bit when the group may execute). */
  chown(who: FsCaller, p: string | OpenFile, base: string, uid: number, gid: number, follow: boolean): void {
    const pl = this.target(who, p, base, follow);
    if (pl === null) return;
    this.checkWritable(pl);
    const c = credOf(who), st = pl.st;
    if (!mayChown(c)) {
      if (uid !== -1 && (uid !== st.uid || c.uid !== st.uid)) sysError("EPERM");
      if (gid !== -1 && (c.uid !== st.uid || (gid !== st.gid && !inGroup(c, gid)))) sysError("EPERM");
    }
    const attrs: { uid?: number; gid?: number; perm?: number } = {};
    if (uid !== -1) attrs.uid = uid;
    if (gid !== -1) attrs.gid = gid;
    const type = st.mode & S_IFMT;
    if (type !== S_IFDIR && type !== S_IFLNK) {
      const bits = chownBits(st.mode);
      if (bits !== (st.mode & 0o7777)) attrs.perm = bits;
    }
    if (attrs.uid === undefined && attrs.gid === undefined && attrs.perm === undefined) return;
    pl.mnt.vol.setattr(pl.node, attrs);
    this.changed(p, pl, IN_ATTRIB);
  }

  /** utimensat/futimens: explicit times need the owner (or root); setting both to now needs
   *  the owner or write permission. */
  utimes(who: FsCaller, p: string | OpenFile, base: string, atime: TimeSpec, mtime: TimeSpec, follow: boolean): void {
    if (atime === null && mtime === null) return;
    const pl = this.target(who, p, base, follow);
    if (pl === null) return;
    this.checkWritable(pl);
    const c = credOf(who);
    // (times of the caller's choosing: any but both "now", an omitted one included, as Linux's
    // ATTR_TIMES_SET: then only the owner, and not on an append-only file)
    const explicit = !(atime === "now" && mtime === "now");
    if (!ownerOrRoot(c, pl.st)) {
      if (explicit) sysError("EPERM");
      if (!permitted(who, pl, MAY_WRITE)) sysError("EACCES");
    }
    // (an append-only file takes "now" but no time of the caller's choosing; the volume
    // refuses any change to an immutable one)
    if (explicit && ((pl.mnt.vol.inodeFlags?.(pl.node) ?? 0) & FS_APPEND_FL) !== 0) sysError("EPERM");
    const t = now();
    const a = atime === "now" ? t : atime, m = mtime === "now" ? t : mtime;
    pl.mnt.vol.setattr(pl.node, { ...(a !== null ? { atimeNs: a } : {}), ...(m !== null ? { mtimeNs: m } : {}) });
    // (both times: attrib; one: access or modify, as Linux's fsnotify_change)
    this.changed(p, pl, a !== null && m !== null ? IN_ATTRIB : a !== null ? IN_ACCESS : IN_MODIFY);
  }

  /** truncate: a regular file the caller may write. */
  truncate(who: FsCaller, p: string, base: string, len: number): void {
    const pl = this.target(who, p, base, true);
    if (pl === null) return sysError("EINVAL");
    const type = pl.st.mode & S_IFMT;
    if (type === S_IFDIR) sysError("EISDIR");
    if (type !== S_IFREG) sysError("EINVAL");
    this.checkWritable(pl);
    checkPermission(who, pl, MAY_WRITE);
    this.denial.checkWrite(lockKey(pl.st.dev, pl.st.ino));
    // (leases are broken first, and the call waits for them: Linux's vfs_truncate)
    this.leases.breakFor(lockKey(pl.st.dev, pl.st.ino), true, false);
    pl.mnt.vol.setattr(pl.node, { size: len });
    this.changed(p, pl, IN_MODIFY);
  }

  /** ftruncate: the file is open for writing, which is all the permission it needs. */
  ftruncate(f: OpenFile, len: number): void {
    const r = f.ref;
    if (!(r instanceof VfsRef)) return sysError("EINVAL");
    // (the description's own status and access: a host file removed while open has no path)
    if ((f.stat().mode & S_IFMT) !== S_IFREG) sysError("EINVAL");
    if (!f.truncateOpen(len)) r.mnt.vol.setattr(r.node, { size: len });
    r.event(IN_MODIFY);
  }

  /** fstatfs: the file system an open file is on (the host's, for a stream exojit inherited);
   *  null for a pipe. */
  fstatfs(f: OpenFile): FsFigures | null {
    const r = f.ref;
    if (r instanceof VfsRef) return { ...r.mnt.vol.statfs(r.node), flags: { ...r.mnt.flags, readOnly: r.mnt.readOnly } };
    if (f.hostFd() < 0) return null;
    try {
      const s = nodefs.statfsSync(`/proc/self/fd/${f.hostFd()}`);
      return { type: s.type, bsize: s.bsize, blocks: s.blocks, bfree: s.bfree, bavail: s.bavail, files: s.files, ffree: s.ffree, namelen: 255, flags: DEFAULT_FLAGS };
    } catch {
      return null;
    }
  }

  /** syncfs: writes out the volume an open file is on. */
  syncfs(f: OpenFile): void {
    const r = f.ref;
    if (r instanceof VfsRef) r.mnt.vol.sync();
  }

  /** sync: writes out every mounted volume. */
  sync(): void {
    const seen = new Set<Volume>();
    for (const m of this.mounts.all()) {
      if (seen.has(m.vol)) continue;
      seen.add(m.vol);
      m.vol.sync();
    }
  }

  /** Mounts `vol` at guest path `path` for the system itself: the path's directory must exist,
   *  the entry need not (the system's /proc and /dev go over whatever the root has). Nothing
   *  happens if something is mounted there already. */
  mountInternal(vol: Volume, path: string, source: string, flags: MountFlags): Mount {
    const w = this.walkParent(SYSTEM_CALLER, path, "/");
    if (w.lastType !== "norm") sysError("EINVAL");
    const dir = top(w);
    const there = this.mounts.covering(dir.mnt, dir.node.ino, w.name);
    if (there !== undefined) return there;
    return this.mounts.add(vol, dir.mnt, { dirIno: dir.node.ino, name: w.name }, guestPath(w), source, flags);
  }

  /** mount(2): a new volume, a bind mount, a remount or a move (mountops.ts). */
  mount(who: FsCaller, r: MountRequest): void {
    mount(this, who, r);
  }

  /** umount2(2). */
  umount(who: FsCaller, r: UmountRequest): void {
    umount(this, who, r);
  }

  /** The key locks of an open file are kept under (its device and inode). A description with
   *  no mounted file behind it (a pipe, an inherited stream) gets a link that releases its
   *  locks when it is closed, as a mounted file's does. */
  lockKey(f: OpenFile): string {
    const r = f.ref;
    if (r instanceof VfsRef || r instanceof LockRef) return r.key;
    const st = f.stat();
    const key = lockKey(st.dev, st.ino);
    if (r === null) f.ref = new LockRef(key, this.locks);
    return key;
  }

  /** The mount an open file is on (fdinfo's mnt_id), or null. */
  mountOf(f: OpenFile): Mount | null {
    return f.ref instanceof VfsRef ? f.ref.mnt : null;
  }

  /** A guest path for host path `host` when the root is a host view holding it, else null
   *  (/proc/PID/fd of an inherited stream). */
  guestOfHost(host: string): string | null {
    const v = this.mounts.root.vol;
    return v instanceof HostVolume ? v.relOf(host) : null;
  }
}

/** The system itself as a caller (mounting its own volumes). */
export const SYSTEM_CALLER: FsCaller = { tid: 0, proc: { pid: 0, euid: 0, egid: 0, groups: [] } };

function top(w: Walk): Place {
  return w.dirs[w.dirs.length - 1];
}

/** A place's key for watches (its device and inode). */
function keyOf(p: Place): string {
  return lockKey(p.st.dev, p.st.ino);
}
