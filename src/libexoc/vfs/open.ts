// open(2) over the VFS: the flags as POSIX and Linux define them. O_CREAT makes a regular file
// if the name is free (following a dangling symbolic link to make its target, unless O_EXCL or
// O_NOFOLLOW), and the new file opens whatever its bits say; O_EXCL fails on anything that
// exists, links included; O_TRUNC empties a regular file (needing write permission even with
// O_RDONLY); O_DIRECTORY demands a directory; O_NOFOLLOW refuses a final symbolic link (ELOOP);
// O_PATH names the file without opening it. Directories open for reading only; FIFOs through
// the FIFO table (one pipe per node); device nodes through the device registry (EACCES on a
// nodev mount); regular files through their volume.

import { S_IFMT, S_IFDIR, S_IFREG, S_IFLNK, S_IFIFO, S_IFCHR, S_IFBLK, PathFile, type OpenFile, type OpenMode, type FileStat } from "../file.js";
import type { DirFile } from "../dirfile.js";
import { sysError } from "../errors.js";
import { MAY_READ, MAY_WRITE, MAY_EXEC, type FsCaller } from "../volume.js";
import { guestPath, checkPermission, isDirSt, type Place, type Walk } from "./walk.js";
import { credOf, newOwner, ownerOrRoot } from "./perm.js";
import { VfsRef, lockKey } from "./ref.js";
import type { Vfs } from "./vfs.js";
import { later } from "../../exokernel/later.js";
import { IN_CREATE, IN_MODIFY, IN_OPEN, type Parent } from "./notify.js";

export interface OpenRequest {
  mode: OpenMode;
  create: boolean;
  exclusive: boolean;
  truncate: boolean;
  directory: boolean;
  noFollow: boolean;
  /** O_PATH: a descriptor naming the file (even a symbolic link with noFollow), not opening
   *  it for I/O. */
  pathOnly?: boolean;
  /** O_NOCTTY: a terminal opened does not become the controlling terminal. */
  noctty?: boolean;
  /** O_NOATIME: only the file's owner (or root) may ask for it (EPERM). */
  noatime?: boolean;
  /** Permission bits for a created file (already masked by umask), and as asked for. */
  perm: number;
  requestedPerm?: number;
  /** Opened to be executed (exec): needs execute permission instead of read, a regular file,
   *  and a mount that allows programs (not noexec). */
  exec?: boolean;
  /** openat2's RESOLVE_* restrictions on the path's walk (walk.ts). */
  resolve?: number;
}

function top(w: Walk): Place {
  return w.dirs[w.dirs.length - 1];
}

/** The directory a walk's last name is in, with the name (for its watches), or null. */
export function parentOf(w: Walk): Parent | null {
  if (w.lastType !== "norm" || w.dirs.length === 0) return null;
  const d = top(w).st;
  return { dirKey: lockKey(d.dev, d.ino), name: w.name };
}

/** The object a magic link (/proc/PID/fd/N) leads to, opened again: a file of a volume as a
 *  path to it would open it (permissions, O_TRUNC, a memfd's seals), even when it has no path
 *  any more; a host file through the host's own /proc; pipes and terminals as they reopen. */
function reopened(vfs: Vfs, who: FsCaller, jump: OpenFile, req: OpenRequest): OpenFile {
  const r = jump.ref;
  if (r instanceof VfsRef && jump.hostFd() < 0) {
    return openPlace(vfs, who, { mnt: r.mnt, node: r.node, st: r.mnt.vol.getattr(r.node), name: "" }, jump.path, req, false, null);
  }
  const f = jump.reopen(req.mode);
  // (a host file keeps its place in the volume: locks, watches and ftruncate find it)
  if (r instanceof VfsRef) {
    if (req.mode.write || req.truncate) vfs.denial.checkWrite(r.key);
    f.ref = new VfsRef(f, r.mnt, r.node, r.key, vfs.locks, vfs.notify, false, null, (f.stat().mode & S_IFMT) === S_IFREG ? vfs.denial : null);
  }
  if (req.truncate && (f.stat().mode & S_IFMT) === S_IFREG && !f.truncateOpen(0)) {
    f.drop();
    sysError("EINVAL");
  }
  return f;
}

export function openPath(vfs: Vfs, who: FsCaller, p: string, base: string, req: OpenRequest): OpenFile {
  if (!req.create) {
    const w = vfs.walk(who, p, base, !req.noFollow, req.resolve);
    if (w.jump !== null) return req.pathOnly ? new PathFile(guestPath(w), w.jump.stat()) : reopened(vfs, who, w.jump, req);
    if (w.place === null) return sysError("ENOENT");
    return openPlace(vfs, who, w.place, guestPath(w), req, false, parentOf(w));
  }
  const w = vfs.walk(who, p, base, !(req.exclusive || req.noFollow), req.resolve);
  if (w.lastType !== "norm") sysError("EISDIR");
  if (w.jump !== null) {
    if (req.exclusive) sysError("EEXIST");
    return reopened(vfs, who, w.jump, req);
  }
  if (w.place !== null) {
    if (req.exclusive) sysError("EEXIST");
    if (isDirSt(w.place.st)) sysError("EISDIR");
    return openPlace(vfs, who, w.place, guestPath(w), req, false, parentOf(w));
  }
  if (w.slash) sysError("EISDIR");
  const dir = top(w);
  vfs.checkWritable(dir, w.name);
  checkPermission(who, dir, MAY_WRITE | MAY_EXEC);
  const own = newOwner(credOf(who), dir.st, req.perm, false, req.requestedPerm);
  const vol = dir.mnt.vol;
  const node = vol.create(dir.node, Buffer.from(w.name, "latin1"), S_IFREG | own.perm, 0n, own.uid, own.gid);
  const parent = parentOf(w);
  if (parent !== null) vfs.notify.entry(parent.dirKey, IN_CREATE, w.name, false);
  return openPlace(vfs, who, { mnt: dir.mnt, node, st: vol.getattr(node), name: w.name }, guestPath(w), req, true, parent);
}

/** Opens what a walk found. A file the call just created opens whatever its bits say, and is
 *  not truncated again. */
function openPlace(vfs: Vfs, who: FsCaller, pl: Place, guest: string, req: OpenRequest, created: boolean, parent: Parent | null): OpenFile {
  const st = pl.st;
  const type = st.mode & S_IFMT;
  const key = lockKey(st.dev, st.ino);
  // (an O_PATH descriptor makes no events, as on Linux since 6.5; any other opened is open)
  const attach = <T extends OpenFile>(f: T): T => {
    const regular = type === S_IFREG;
    f.ref = new VfsRef(f, pl.mnt, pl.node, key, vfs.locks, req.pathOnly ? null : vfs.notify, type === S_IFDIR, parent, regular ? vfs.denial : null, regular && !req.pathOnly ? vfs.leases : null);
    if (!req.pathOnly) vfs.notify.object(key, IN_OPEN, type === S_IFDIR, parent);
    return f;
  };
  if (req.pathOnly) {
    if (req.directory && type !== S_IFDIR) sysError("ENOTDIR");
    return attach(new PathFile(guest, st));
  }
  if (type === S_IFLNK) sysError("ELOOP");
  if (req.directory && type !== S_IFDIR) sysError("ENOTDIR");
  const mode = req.mode;
  if (type === S_IFDIR) {
    if (mode.write) sysError("EISDIR");
    checkPermission(who, pl, MAY_READ);
    return attach(withFlags(vfs.dirFile(who, pl, guest), mode));
  }
  if (req.exec) {
    if (type !== S_IFREG || pl.mnt.flags.noexec) sysError("EACCES");
    checkPermission(who, pl, MAY_EXEC);
    return attach(pl.mnt.vol.openData(pl.node, guest, mode));
  }
  const want = (mode.read ? MAY_READ : 0) | (mode.write || req.truncate ? MAY_WRITE : 0);
  if (!created) {
    if (want & MAY_WRITE && type === S_IFREG) vfs.checkWritable(pl);
    checkPermission(who, pl, want);
    // (a program being run: ETXTBSY, after the permission check, as Linux's get_write_access)
    if (want & MAY_WRITE && type === S_IFREG) vfs.denial.checkWrite(key);
  }
  if (req.noatime === true && !ownerOrRoot(credOf(who), st)) sysError("EPERM");
  const stat = later<FileStat>(pl.mnt.vol, "getattr", pl.node);
  switch (type) {
    case S_IFIFO:
      return attach(vfs.fifos.open(lockKey(st.dev, st.ino), guest, mode, stat));
    case S_IFCHR:
    case S_IFBLK:
      if (pl.mnt.flags.nodev) sysError("EACCES");
      return attach(vfs.devices.open(type === S_IFCHR ? "char" : "block", st.rdev, { path: guest, mode, noctty: req.noctty ?? false, who, stat }));
    case S_IFREG:
      break;
    default:
      return sysError("ENXIO"); // a socket cannot be opened
  }
  // (a lease another description holds is broken first, before any truncation, as Linux's
  // do_dentry_open breaks it: this open may wait for its holder, or fail with O_NONBLOCK)
  if (!created) vfs.leases.breakFor(key, (want & MAY_WRITE) !== 0, mode.nonblock);
  if (req.truncate && !created) {
    // An empty file's times still change (open's truncation sets them, as Linux's does).
    pl.mnt.vol.setattr(pl.node, st.size === 0n ? { size: 0, mtimeNs: BigInt(Date.now()) * 1000000n } : { size: 0 });
  }
  const f = attach(pl.mnt.vol.openData(pl.node, guest, mode));
  // (the truncation's modify comes after open, as Linux reports them)
  if (req.truncate && !created) vfs.notify.object(key, IN_MODIFY, false, parent);
  return f;
}

/** A directory keeps the status flags it was opened with (reported by F_GETFL, fdinfo). */
function withFlags(d: DirFile, mode: OpenMode): DirFile {
  d.mode = { ...d.mode, nonblock: mode.nonblock, largeFile: mode.largeFile };
  return d;
}
