// System calls that change the file system: mkdir/rmdir, unlink, rename, symlink, link, chmod,
// chown, utimensat and truncate, in their plain and *at() forms. The checks and the host operations are
// libexoc's (the VFS, libexoc/vfs); this file decodes arguments and flags.

import { RLIMIT_FSIZE } from "../../libexoc/limits.js";
import { SIGXFSZ } from "../../libexoc/signal.js";
import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import { sysError } from "../../libexoc/errors.js";
import { PathFile, type OpenFile } from "../../libexoc/file.js";
import { makeDev } from "../../libexoc/vfs/devices.js";
import type { TimeSpec } from "../../libexoc/vfs/vfs.js";
import { AT_FDCWD, AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_EMPTY_PATH } from "../abi/fcntl.js";
import { baseDir, offset64, pathArg } from "./file.js";

/** renameat2 flags (linux/fs.h). */
const RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2, RENAME_WHITEOUT = 4;
/** utimensat's special tv_nsec values. */
const UTIME_NOW = (1 << 30) - 1, UTIME_OMIT = (1 << 30) - 2;

function at(t: Task, dirfd: number, va: number): [string, string] {
  const path = pathArg(t, va);
  return [path, baseDir(t, dirfd, path)];
}

export const mkdirat: Sys = (t, dirfd, pathVa, mode) => {
  const [path, base] = at(t, dirfd, pathVa);
  t.fs.mkdir(t, path, base, mode & ~t.umask);
  return 0;
};
export const mkdir: Sys = (t, pathVa, mode) => mkdirat(t, AT_FDCWD, pathVa, mode, 0, 0, 0);

export const unlinkat: Sys = (t, dirfd, pathVa, flags) => {
  if ((flags & ~AT_REMOVEDIR) !== 0) sysError("EINVAL");
  const [path, base] = at(t, dirfd, pathVa);
  if (flags & AT_REMOVEDIR) t.fs.rmdir(t, path, base);
  else t.fs.unlink(t, path, base);
  return 0;
};
export const unlink: Sys = (t, pathVa) => unlinkat(t, AT_FDCWD, pathVa, 0, 0, 0, 0);
export const rmdir: Sys = (t, pathVa) => unlinkat(t, AT_FDCWD, pathVa, AT_REMOVEDIR, 0, 0, 0);

export const renameat2: Sys = (t, olddir, oldVa, newdir, newVa, flags) => {
  if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) !== 0) sysError("EINVAL");
  if (flags & RENAME_WHITEOUT) sysError("EINVAL"); // overlay file systems' business
  if (flags & RENAME_NOREPLACE && flags & RENAME_EXCHANGE) sysError("EINVAL");
  const [from, fromBase] = at(t, olddir, oldVa);
  const [to, toBase] = at(t, newdir, newVa);
  t.fs.rename(t, from, fromBase, to, toBase, { noReplace: (flags & RENAME_NOREPLACE) !== 0, exchange: (flags & RENAME_EXCHANGE) !== 0 });
  return 0;
};
export const renameat: Sys = (t, olddir, oldVa, newdir, newVa) => renameat2(t, olddir, oldVa, newdir, newVa, 0, 0);
export const rename: Sys = (t, oldVa, newVa) => renameat2(t, AT_FDCWD, oldVa, AT_FDCWD, newVa, 0, 0);

export const symlinkat: Sys = (t, targetVa, newdir, pathVa) => {
  const target = pathArg(t, targetVa);
  const [path, base] = at(t, newdir, pathVa);
  t.fs.symlink(t, target, path, base);
  return 0;
};
export const symlink: Sys = (t, targetVa, pathVa) => symlinkat(t, targetVa, AT_FDCWD, pathVa, 0, 0, 0);

export const linkat: Sys = (t, olddir, oldVa, newdir, newVa, flags) => {
  if ((flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) !== 0) sysError("EINVAL");
  const [from, fromBase] = at(t, olddir, oldVa);
  const [to, toBase] = at(t, newdir, newVa);
  t.fs.link(t, from, fromBase, to, toBase, (flags & AT_SYMLINK_FOLLOW) !== 0);
  return 0;
};
export const link: Sys = (t, oldVa, newVa) => linkat(t, AT_FDCWD, oldVa, AT_FDCWD, newVa, 0, 0);

export const fchmodat: Sys = (t, dirfd, pathVa, mode) => {
  const [path, base] = at(t, dirfd, pathVa);
  t.fs.chmod(t, path, base, mode, true);
  return 0;
};
/** fchmodat2(dirfd, path, mode, flags): fchmodat with the flags it never had. With
 *  AT_SYMLINK_NOFOLLOW a symbolic link is changed itself, which no file system allows
 *  (EOPNOTSUPP); with AT_EMPTY_PATH an empty path is the file dirfd names (an O_PATH one too). */
export const fchmodat2: Sys = (t, dirfd, pathVa, mode, flags) => {
  if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) !== 0) sysError("EINVAL");
  const path = pathArg(t, pathVa);
  if (path === "" && (flags & AT_EMPTY_PATH) !== 0) t.fs.chmod(t, t.fds.get(dirfd), "/", mode, true);
  else t.fs.chmod(t, path, baseDir(t, dirfd, path), mode, (flags & AT_SYMLINK_NOFOLLOW) === 0);
  return 0;
};
export const chmod: Sys = (t, pathVa, mode) => fchmodat(t, AT_FDCWD, pathVa, mode, 0, 0, 0);
export const fchmod: Sys = (t, fd, mode) => {
  t.fs.chmod(t, openedFile(t, fd), "/", mode, true);
  return 0;
};

/** The file an f*() call changes: an O_PATH descriptor names a file but cannot change it. */
function openedFile(t: Task, fd: number): OpenFile {
  const f = t.fds.get(fd);
  if (f instanceof PathFile) sysError("EBADF");
  return f;
}

/** Times from two timespecs (`wide`: 64-bit fields) at `va`, or now for both when va is 0. */
function times(t: Task, va: number, wide: boolean): [TimeSpec, TimeSpec] {
  if (va === 0) return ["now", "now"];
  const size = wide ? 16 : 8;
  const one = (k: number): TimeSpec => {
    const at = va + k * size;
    const sec = wide ? t.mem.i64(at) : t.mem.i32(at);
    const nsec = wide ? t.mem.i64(at + 8) : t.mem.i32(at + 4);
    if (nsec === UTIME_NOW) return "now";
    if (nsec === UTIME_OMIT) return null;
    if (nsec < 0 || nsec > 999_999_999) sysError("EINVAL");
    return BigInt(sec) * 1000000000n + BigInt(nsec);
  };
  return [one(0), one(1)];
}

function utimens(t: Task, dirfd: number, pathVa: number, timesVa: number, flags: number, wide: boolean): number {
  if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) !== 0) sysError("EINVAL");
  const [a, m] = times(t, timesVa, wide);
  // A null path names the file open as dirfd (futimens), which takes no flags; with
  // AT_FDCWD it is a bad path (EFAULT), as Linux's do_utimes sees it.
  if (pathVa === 0) {
    if (dirfd === AT_FDCWD) sysError("EFAULT");
    if (flags !== 0) sysError("EINVAL");
    const f = openedFile(t, dirfd);
    if (a === null && m === null) return 0;
    t.fs.utimes(t, f, "/", a, m, true);
    return 0;
  }
  const path = pathArg(t, pathVa);
  if (path === "" && flags & AT_EMPTY_PATH) {
    t.fs.utimes(t, t.fds.get(dirfd), "/", a, m, true);
    return 0;
  }
  t.fs.utimes(t, path, baseDir(t, dirfd, path), a, m, (flags & AT_SYMLINK_NOFOLLOW) === 0);
  return 0;
}
export const utimensat: Sys = (t, dirfd, pathVa, timesVa, flags) => utimens(t, dirfd, pathVa, timesVa, flags, false);

/** The older calls, whole seconds (utime) or microseconds (utimes, futimesat), as Linux takes
 *  them: the times are read first (EFAULT), a tv_usec outside [0, 10^6) is EINVAL, and a null
 *  path names the file open as dirfd (futimesat), which AT_FDCWD is not (EFAULT). */
function oldUtimes(t: Task, dirfd: number, pathVa: number, a: TimeSpec, m: TimeSpec): number {
  if (pathVa === 0) {
    if (dirfd === AT_FDCWD) sysError("EFAULT");
    t.fs.utimes(t, t.fds.get(dirfd), "/", a, m, true);
    return 0;
  }
  const [path, base] = at(t, dirfd, pathVa);
  t.fs.utimes(t, path, base, a, m, true);
  return 0;
}

export const utime: Sys = (t, pathVa, bufVa) => {
  if (bufVa === 0) return oldUtimes(t, AT_FDCWD, pathVa, "now", "now");
  const sec = (k: number): TimeSpec => BigInt(t.mem.i32(bufVa + 4 * k)) * 1000000000n;
  return oldUtimes(t, AT_FDCWD, pathVa, sec(0), sec(1));
};

export const futimesat: Sys = (t, dirfd, pathVa, tvVa) => {
  if (tvVa === 0) return oldUtimes(t, dirfd, pathVa, "now", "now");
  const tv = [t.mem.i32(tvVa), t.mem.i32(tvVa + 4), t.mem.i32(tvVa + 8), t.mem.i32(tvVa + 12)];
  if (tv[1] < 0 || tv[1] >= 1000000 || tv[3] < 0 || tv[3] >= 1000000) sysError("EINVAL");
  const ns = (k: number): TimeSpec => BigInt(tv[2 * k]) * 1000000000n + BigInt(tv[2 * k + 1]) * 1000n;
  return oldUtimes(t, dirfd, pathVa, ns(0), ns(1));
};

export const utimes: Sys = (t, pathVa, tvVa) => futimesat(t, AT_FDCWD, pathVa, tvVa, 0, 0, 0);
export const utimensatTime64: Sys = (t, dirfd, pathVa, timesVa, flags) => utimens(t, dirfd, pathVa, timesVa, flags, true);

/** truncate64/ftruncate64 take the length as two registers (low, high): offset64. */
export const truncate64: Sys = (t, pathVa, lo, hi) => {
  const path = pathArg(t, pathVa), len = offset64(lo, hi);
  if (len > t.proc.limit(RLIMIT_FSIZE)[0]) fsizeAllows(t, len, Number(t.fs.stat(t, path, t.cwd, true).size));
  t.fs.truncate(t, path, t.cwd, len);
  return 0;
};

/** RLIMIT_FSIZE on a file growing from `was` to `size` (Linux's inode_newsize_ok): past the
 *  limit, SIGXFSZ and EFBIG; shrinking is always allowed. */
export function fsizeAllows(t: Task, size: number, was: number): void {
  if (size <= was || size <= t.proc.limit(RLIMIT_FSIZE)[0]) return;
  t.sendSignal(SIGXFSZ, 0);
  sysError("EFBIG");
}
export const truncate: Sys = (t, pathVa, len) => truncate64(t, pathVa, len, len < 0 ? -1 : 0, 0, 0, 0);
export const ftruncate64: Sys = (t, fd, lo, hi) => {
  const f = t.fds.get(fd);
  if (f instanceof PathFile) sysError("EBADF");
  if (!f.mode.write) sysError("EINVAL");
  const len = offset64(lo, hi);
  fsizeAllows(t, len, Number(f.stat().size));
  t.fs.ftruncate(f, len);
  return 0;
};
export const ftruncate: Sys = (t, fd, len) => ftruncate64(t, fd, len, len < 0 ? -1 : 0, 0, 0, 0);

/** The chown family. The 16-bit calls of the original i386 ABI take 16-bit ids (0xffff: keep). */
const id32 = (v: number): number => (v === -1 ? -1 : v >>> 0);
const id16 = (v: number): number => ((v & 0xffff) === 0xffff ? -1 : v & 0xffff);

function chownAt(t: Task, dirfd: number, pathVa: number, uid: number, gid: number, flags: number): number {
  if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) !== 0) sysError("EINVAL");
  const p = pathArg(t, pathVa);
  if (p === "" && (flags & AT_EMPTY_PATH) !== 0) {
    t.fs.chown(t, t.fds.get(dirfd), "/", uid, gid, true);
    return 0;
  }
  t.fs.chown(t, p, baseDir(t, dirfd, p), uid, gid, (flags & AT_SYMLINK_NOFOLLOW) === 0);
  return 0;
}

function fchownFd(t: Task, fd: number, uid: number, gid: number): number {
  t.fs.chown(t, openedFile(t, fd), "/", uid, gid, true);
  return 0;
}

export const fchownat: Sys = (t, dirfd, path, uid, gid, flags) => chownAt(t, dirfd, path, id32(uid), id32(gid), flags);
export const chown32: Sys = (t, path, uid, gid) => chownAt(t, AT_FDCWD, path, id32(uid), id32(gid), 0);
export const lchown32: Sys = (t, path, uid, gid) => chownAt(t, AT_FDCWD, path, id32(uid), id32(gid), AT_SYMLINK_NOFOLLOW);
export const fchown32: Sys = (t, fd, uid, gid) => fchownFd(t, fd, id32(uid), id32(gid));
export const chown16: Sys = (t, path, uid, gid) => chownAt(t, AT_FDCWD, path, id16(uid), id16(gid), 0);
export const lchown16: Sys = (t, path, uid, gid) => chownAt(t, AT_FDCWD, path, id16(uid), id16(gid), AT_SYMLINK_NOFOLLOW);
export const fchown16: Sys = (t, fd, uid, gid) => fchownFd(t, fd, id16(uid), id16(gid));

/** A device number as mknod takes it on i386 (a 32-bit dev_t: new_decode_dev). */
function decodeDev(dev: number): bigint {
  const d = dev >>> 0;
  return makeDev((d & 0xfff00) >>> 8, (d & 0xff) | ((d >>> 12) & 0xfff00));
}

/** mknod/mknodat: regular files, FIFOs, sockets and device nodes (S_IFMT in `mode`; `dev`
 *  only matters for devices). */
export const mknodat: Sys = (t, dirfd, pathVa, mode, dev) => {
  const [path, base] = at(t, dirfd, pathVa);
  t.fs.mknod(t, path, base, mode & 0o170000, mode & 0o7777 & ~t.umask, decodeDev(dev), mode & 0o7777);
  return 0;
};

export const mknod: Sys = (t, pathVa, mode, dev) => mknodat(t, AT_FDCWD, pathVa, mode, dev, 0, 0);
