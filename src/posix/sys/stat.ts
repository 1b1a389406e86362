// File status system calls: stat64/lstat64/fstat64/fstatat64/statx, readlink/readlinkat and
// access/faccessat.

import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import { sysError } from "../../libexoc/errors.js";
import type { FileStat } from "../../libexoc/file.js";
import { stat64, statx as statxStruct, Struct } from "../abi/structs.js";
import { AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW, AT_FDCWD, AT_EACCESS, AT_NO_AUTOMOUNT } from "../abi/fcntl.js";
import { baseDir, pathArg } from "./file.js";

function statPath(t: Task, dirfd: number, pathVa: number, flags: number): FileStat {
  if ((flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | 0x6000 /* AT_STATX_SYNC_TYPE */)) !== 0) sysError("EINVAL");
  const path = pathArg(t, pathVa);
  if (path === "" && flags & AT_EMPTY_PATH) {
    if (dirfd === AT_FDCWD) return t.fs.stat(t, t.cwd, "/", true);
    return t.fds.get(dirfd).stat();
  }
  return t.fs.stat(t, path, baseDir(t, dirfd, path), (flags & AT_SYMLINK_NOFOLLOW) === 0);
}

export const stat64sys: Sys = (t, path, buf) => {
  t.mem.write(buf, stat64(statPath(t, AT_FDCWD, path, 0)));
  return 0;
};

export const lstat64: Sys = (t, path, buf) => {
  t.mem.write(buf, stat64(statPath(t, AT_FDCWD, path, AT_SYMLINK_NOFOLLOW)));
  return 0;
};

export const fstat64: Sys = (t, fd, buf) => {
  t.mem.write(buf, stat64(t.fds.get(fd).stat()));
  return 0;
};

export const fstatat64: Sys = (t, dirfd, path, buf, flags) => {
  t.mem.write(buf, stat64(statPath(t, dirfd, path, flags)));
  return 0;
};

export const statx: Sys = (t, dirfd, path, flags, _mask, buf) => {
  t.mem.write(buf, statxStruct(statPath(t, dirfd, path, flags)));
  return 0;
};

function readlinkAt(t: Task, dirfd: number, pathVa: number, buf: number, size: number): number {
  if (size <= 0) sysError("EINVAL");
  const path = pathArg(t, pathVa);
  const target = t.fs.readlink(t, path, baseDir(t, dirfd, path));
  const n = Math.min(target.length, size >>> 0);
  t.mem.write(buf, target.subarray(0, n));
  return n;
}

export const readlink: Sys = (t, path, buf, size) => readlinkAt(t, AT_FDCWD, path, buf, size);
export const readlinkat: Sys = (t, dirfd, path, buf, size) => readlinkAt(t, dirfd, path, buf, size);

/** access modes (unistd.h); libexoc's R_OK/W_OK/X_OK have the same values. */
const R_OK = 4, W_OK = 2, X_OK = 1;

function accessAt(t: Task, dirfd: number, pathVa: number, mode: number, flags: number): number {
  if ((mode & ~(R_OK | W_OK | X_OK)) !== 0) sysError("EINVAL");
  if ((flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) !== 0) sysError("EINVAL");
  const path = pathArg(t, pathVa);
  t.fs.access(t, path, baseDir(t, dirfd, path), mode, (flags & AT_SYMLINK_NOFOLLOW) === 0);
  return 0;
}

export const access: Sys = (t, path, mode) => accessAt(t, AT_FDCWD, path, mode, 0);
export const faccessat: Sys = (t, dirfd, path, mode) => accessAt(t, dirfd, path, mode, 0);
export const faccessat2: Sys = (t, dirfd, path, mode, flags) => accessAt(t, dirfd, path, mode, flags);

/** struct statfs64 on i386 (asm-generic/statfs.h, packed to 4 bytes): 84 bytes. */
const STATFS64_SIZE = 84;

function putStatfs64(t: Task, buf: number, size: number, path: string, base: string): number {
  if (size !== STATFS64_SIZE) sysError("EINVAL");
  const f = t.fs.statfs(t, path, base);
  const s = new Struct(STATFS64_SIZE).u32(0, f.type).u32(4, f.bsize).u64(8, f.blocks).u64(16, f.bfree).u64(24, f.bavail);
  s.u64(32, f.files).u64(40, f.ffree).u32(56, 255).u32(60, f.bsize);
  t.mem.write(buf, s.bytes);
  return 0;
}

export const statfs64: Sys = (t, pathVa, size, buf) => putStatfs64(t, buf, size, pathArg(t, pathVa), t.cwd);
export const fstatfs64: Sys = (t, fd, size, buf) => putStatfs64(t, buf, size, t.fds.get(fd).path, "/");
