// System calls that change the file system: mkdir/rmdir, unlink, rename, symlink, link, chmod,
// utimensat and truncate, in their plain and *at() forms. The checks and the host operations are
// libexoc's (FileSystem); this file decodes arguments and flags.

import type { Sys } from "../types.js";
import type { Process } from "../../libexoc/process.js";
import { sysError } from "../../libexoc/errors.js";
import { AT_FDCWD, AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_EMPTY_PATH } from "../abi/fcntl.js";
import { baseDir, pathArg } from "./file.js";

/** renameat2 flags (linux/fs.h). */
const RENAME_NOREPLACE = 1;
/** utimensat's special tv_nsec values. */
const UTIME_NOW = (1 << 30) - 1, UTIME_OMIT = (1 << 30) - 2;

function at(p: Process, dirfd: number, va: number): [string, string] {
  const path = pathArg(p, va);
  return [path, baseDir(p, dirfd, path)];
}

export const mkdirat: Sys = (p, dirfd, pathVa, mode) => {
  const [path, base] = at(p, dirfd, pathVa);
  p.fs.mkdir(path, base, mode & ~p.umask);
  return 0;
};
export const mkdir: Sys = (p, pathVa, mode) => mkdirat(p, AT_FDCWD, pathVa, mode, 0, 0, 0);

export const unlinkat: Sys = (p, dirfd, pathVa, flags) => {
  if ((flags & ~AT_REMOVEDIR) !== 0) sysError("EINVAL");
  const [path, base] = at(p, dirfd, pathVa);
  if (flags & AT_REMOVEDIR) p.fs.rmdir(path, base);
  else p.fs.unlink(path, base);
  return 0;
};
export const unlink: Sys = (p, pathVa) => unlinkat(p, AT_FDCWD, pathVa, 0, 0, 0, 0);
export const rmdir: Sys = (p, pathVa) => unlinkat(p, AT_FDCWD, pathVa, AT_REMOVEDIR, 0, 0, 0);

export const renameat2: Sys = (p, olddir, oldVa, newdir, newVa, flags) => {
  if ((flags & ~RENAME_NOREPLACE) !== 0) sysError("EINVAL"); // RENAME_EXCHANGE/WHITEOUT
  const [from, fromBase] = at(p, olddir, oldVa);
  const [to, toBase] = at(p, newdir, newVa);
  p.fs.rename(from, fromBase, to, toBase, (flags & RENAME_NOREPLACE) !== 0);
  return 0;
};
export const renameat: Sys = (p, olddir, oldVa, newdir, newVa) => renameat2(p, olddir, oldVa, newdir, newVa, 0, 0);
export const rename: Sys = (p, oldVa, newVa) => renameat2(p, AT_FDCWD, oldVa, AT_FDCWD, newVa, 0, 0);

export const symlinkat: Sys = (p, targetVa, newdir, pathVa) => {
  const target = pathArg(p, targetVa);
  const [path, base] = at(p, newdir, pathVa);
  p.fs.symlink(target, path, base);
  return 0;
};
export const symlink: Sys = (p, targetVa, pathVa) => symlinkat(p, targetVa, AT_FDCWD, pathVa, 0, 0, 0);

export const linkat: Sys = (p, olddir, oldVa, newdir, newVa, flags) => {
  if ((flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) !== 0) sysError("EINVAL");
  const [from, fromBase] = at(p, olddir, oldVa);
  const [to, toBase] = at(p, newdir, newVa);
  p.fs.link(from, fromBase, to, toBase, (flags & AT_SYMLINK_FOLLOW) !== 0);
  return 0;
};
export const link: Sys = (p, oldVa, newVa) => linkat(p, AT_FDCWD, oldVa, AT_FDCWD, newVa, 0, 0);

export const fchmodat: Sys = (p, dirfd, pathVa, mode) => {
  const [path, base] = at(p, dirfd, pathVa);
  p.fs.chmod(path, base, mode, true);
  return 0;
};
export const chmod: Sys = (p, pathVa, mode) => fchmodat(p, AT_FDCWD, pathVa, mode, 0, 0, 0);
export const fchmod: Sys = (p, fd, mode) => {
  p.fs.chmod(p.fds.get(fd).path, "/", mode, true);
  return 0;
};

/** Times from two timespecs (`wide`: 64-bit fields) at `va`, or now for both when va is 0. */
function times(p: Process, va: number, wide: boolean): [number | null, number | null] {
  const now = Date.now() / 1000;
  if (va === 0) return [now, now];
  const size = wide ? 16 : 8;
  const one = (k: number): number | null => {
    const at = va + k * size;
    const sec = wide ? p.mem.i64(at) : p.mem.i32(at);
    const nsec = wide ? p.mem.i64(at + 8) : p.mem.i32(at + 4);
    if (nsec === UTIME_NOW) return now;
    if (nsec === UTIME_OMIT) return null;
    if (nsec < 0 || nsec > 999_999_999) sysError("EINVAL");
    return sec + nsec / 1e9;
  };
  return [one(0), one(1)];
}

function utimens(p: Process, dirfd: number, pathVa: number, timesVa: number, flags: number, wide: boolean): number {
  if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) !== 0) sysError("EINVAL");
  const [a, m] = times(p, timesVa, wide);
  if (a === null && m === null) return 0;
  // A null path names the file open as dirfd (futimens).
  const [path, base] = pathVa === 0 ? [p.fds.get(dirfd).path, "/"] : at(p, dirfd, pathVa);
  p.fs.utimes(path, base, a, m, (flags & AT_SYMLINK_NOFOLLOW) === 0);
  return 0;
}
export const utimensat: Sys = (p, dirfd, pathVa, timesVa, flags) => utimens(p, dirfd, pathVa, timesVa, flags, false);
export const utimensatTime64: Sys = (p, dirfd, pathVa, timesVa, flags) => utimens(p, dirfd, pathVa, timesVa, flags, true);

/** truncate64/ftruncate64 take the length as two registers (low, high). */
function length(lo: number, hi: number): number {
  const n = (lo >>> 0) + hi * 4294967296;
  if (n < 0) sysError("EINVAL");
  return n;
}
export const truncate64: Sys = (p, pathVa, lo, hi) => {
  p.fs.truncate(pathArg(p, pathVa), p.cwd, length(lo, hi));
  return 0;
};
export const truncate: Sys = (p, pathVa, len) => truncate64(p, pathVa, len, len < 0 ? -1 : 0, 0, 0, 0);
export const ftruncate64: Sys = (p, fd, lo, hi) => {
  const f = p.fds.get(fd);
  if (!f.mode.write) sysError("EINVAL");
  p.fs.truncate(f.path, "/", length(lo, hi));
  return 0;
};
export const ftruncate: Sys = (p, fd, len) => ftruncate64(p, fd, len, len < 0 ? -1 : 0, 0, 0, 0);
