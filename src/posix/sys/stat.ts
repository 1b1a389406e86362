// File status system calls: stat64/lstat64/fstat64/fstatat64/statx, readlink/readlinkat and
// access/faccessat.

import * as fs from "node:fs";
import type { Sys } from "../types.js";
import type { Process } from "../../libexoc/process.js";
import { sysError, fromHostError } from "../../libexoc/errors.js";
import type { FileStat } from "../../libexoc/file.js";
import { stat64, statx as statxStruct, Struct } from "../abi/structs.js";
import { AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW, AT_FDCWD, AT_EACCESS, AT_NO_AUTOMOUNT } from "../abi/fcntl.js";
import { baseDir, pathArg, procLink } from "./file.js";

function statPath(p: Process, dirfd: number, pathVa: number, flags: number): FileStat {
  if ((flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | 0x6000 /* AT_STATX_SYNC_TYPE */)) !== 0) sysError("EINVAL");
  const path = pathArg(p, pathVa);
  if (path === "" && flags & AT_EMPTY_PATH) {
    if (dirfd === AT_FDCWD) return p.fs.stat(p.cwd, "/", true);
    return p.fds.get(dirfd).stat();
  }
  const follow = (flags & AT_SYMLINK_NOFOLLOW) === 0;
  const link = procLink(p, path);
  if (link !== null && follow && link.startsWith("/")) return p.fs.stat(link, "/", true);
  return p.fs.stat(path, baseDir(p, dirfd, path), follow);
}

export const stat64sys: Sys = (p, path, buf) => {
  p.mem.write(buf, stat64(statPath(p, AT_FDCWD, path, 0)));
  return 0;
};

export const lstat64: Sys = (p, path, buf) => {
  p.mem.write(buf, stat64(statPath(p, AT_FDCWD, path, AT_SYMLINK_NOFOLLOW)));
  return 0;
};

export const fstat64: Sys = (p, fd, buf) => {
  p.mem.write(buf, stat64(p.fds.get(fd).stat()));
  return 0;
};

export const fstatat64: Sys = (p, dirfd, path, buf, flags) => {
  p.mem.write(buf, stat64(statPath(p, dirfd, path, flags)));
  return 0;
};

export const statx: Sys = (p, dirfd, path, flags, _mask, buf) => {
  p.mem.write(buf, statxStruct(statPath(p, dirfd, path, flags)));
  return 0;
};

function readlinkAt(p: Process, dirfd: number, pathVa: number, buf: number, size: number): number {
  if (size <= 0) sysError("EINVAL");
  const path = pathArg(p, pathVa);
  const link = procLink(p, path);
  const target = link !== null ? Buffer.from(link, "latin1") : p.fs.readlink(path, baseDir(p, dirfd, path));
  const n = Math.min(target.length, size >>> 0);
  p.mem.write(buf, target.subarray(0, n));
  return n;
}

export const readlink: Sys = (p, path, buf, size) => readlinkAt(p, AT_FDCWD, path, buf, size);
export const readlinkat: Sys = (p, dirfd, path, buf, size) => readlinkAt(p, dirfd, path, buf, size);

const F_OK = 0, R_OK = 4, W_OK = 2, X_OK = 1;

function accessAt(p: Process, dirfd: number, pathVa: number, mode: number, flags: number): number {
  if ((mode & ~(R_OK | W_OK | X_OK)) !== 0) sysError("EINVAL");
  if ((flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) !== 0) sysError("EINVAL");
  const path = pathArg(p, pathVa);
  const r = p.fs.resolve(path, baseDir(p, dirfd, path), (flags & AT_SYMLINK_NOFOLLOW) === 0);
  if (r.host === "") return 0; // a library-provided device: readable and writable by all
  if (r.st === null) sysError("ENOENT");
  if (mode === F_OK) return 0;
  if (mode & W_OK && !p.fs.canWrite(r.guest)) sysError("EROFS");
  try {
    fs.accessSync(r.host, mode);
  } catch (e) {
    throw fromHostError(e);
  }
  return 0;
}

export const access: Sys = (p, path, mode) => accessAt(p, AT_FDCWD, path, mode, 0);
export const faccessat: Sys = (p, dirfd, path, mode) => accessAt(p, dirfd, path, mode, 0);
export const faccessat2: Sys = (p, dirfd, path, mode, flags) => accessAt(p, dirfd, path, mode, flags);

/** struct statfs64 on i386 (asm-generic/statfs.h, packed to 4 bytes): 84 bytes. */
const STATFS64_SIZE = 84;

function putStatfs64(p: Parameters<Sys>[0], buf: number, size: number, path: string, base: string): number {
  if (size !== STATFS64_SIZE) sysError("EINVAL");
  const f = p.fs.statfs(path, base);
  const s = new Struct(STATFS64_SIZE).u32(0, f.type).u32(4, f.bsize).u64(8, f.blocks).u64(16, f.bfree).u64(24, f.bavail);
  s.u64(32, f.files).u64(40, f.ffree).u32(56, 255).u32(60, f.bsize);
  p.mem.write(buf, s.bytes);
  return 0;
}

export const statfs64: Sys = (p, pathVa, size, buf) => putStatfs64(p, buf, size, pathArg(p, pathVa), p.cwd);
export const fstatfs64: Sys = (p, fd, size, buf) => putStatfs64(p, buf, size, p.fds.get(fd).path, "/");
