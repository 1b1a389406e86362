// File status system calls: stat64/lstat64/fstat64/fstatat64/statx, readlink/readlinkat and
// access/faccessat.

import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import { sysError } from "../../libexoc/errors.js";
import { PathFile, S_IFMT, S_IFLNK, type FileStat } from "../../libexoc/file.js";
import type { FsFigures } from "../../libexoc/vfs/vfs.js";
import { stat64, oldStat, oldKernelStat, statx as statxStruct, Struct, devMajor, devMinor } from "../abi/structs.js";
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

/** The stat calls of one struct: `encode` fills it (and may refuse with EOVERFLOW). */
function byPath(encode: (st: FileStat) => Uint8Array, flags: number): Sys {
  return (t, path, buf) => {
    t.mem.write(buf, encode(statPath(t, AT_FDCWD, path, flags)));
    return 0;
  };
}
function byFd(encode: (st: FileStat) => Uint8Array): Sys {
  return (t, fd, buf) => {
    t.mem.write(buf, encode(t.fds.get(fd).stat()));
    return 0;
  };
}

export const stat64sys = byPath(stat64, 0);
export const lstat64 = byPath(stat64, AT_SYMLINK_NOFOLLOW);
export const fstat64 = byFd(stat64);

// The original i386 calls, for old binaries: struct stat (stat, lstat, fstat) and struct
// __old_kernel_stat (oldstat, oldlstat, oldfstat), with their EOVERFLOWs (abi/structs.ts).
export const stat = byPath(oldStat, 0);
export const lstat = byPath(oldStat, AT_SYMLINK_NOFOLLOW);
export const fstat = byFd(oldStat);
export const oldstat = byPath(oldKernelStat, 0);
export const oldlstat = byPath(oldKernelStat, AT_SYMLINK_NOFOLLOW);
export const oldfstat = byFd(oldKernelStat);

export const fstatat64: Sys = (t, dirfd, path, buf, flags) => {
  t.mem.write(buf, stat64(statPath(t, dirfd, path, flags)));
  return 0;
};

export const statx: Sys = (t, dirfd, path, flags, mask, buf) => {
  // (STATX__RESERVED, and both sync types at once, are EINVAL before anything is looked up)
  if ((mask & 0x80000000) !== 0 || (flags & 0x6000) === 0x6000) sysError("EINVAL");
  t.mem.write(buf, statxStruct(statPath(t, dirfd, path, flags)));
  return 0;
};

function readlinkAt(t: Task, dirfd: number, pathVa: number, buf: number, size: number): number {
  if (size <= 0) sysError("EINVAL");
  const path = pathArg(t, pathVa);
  let target: Buffer;
  if (path === "") {
    // (an empty path names the descriptor's own file: a symbolic link opened with O_PATH |
    // O_NOFOLLOW is read; anything else, the working directory included, is ENOENT)
    const f = dirfd === AT_FDCWD ? null : t.fds.get(dirfd);
    if (!(f instanceof PathFile) || (f.stat().mode & S_IFMT) !== S_IFLNK) return sysError("ENOENT");
    target = t.fs.readlink(t, f.path, "/");
  } else target = t.fs.readlink(t, path, baseDir(t, dirfd, path));
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
  t.fs.access(t, path, baseDir(t, dirfd, path), mode, (flags & AT_SYMLINK_NOFOLLOW) === 0, (flags & AT_EACCESS) !== 0);
  return 0;
}

export const access: Sys = (t, path, mode) => accessAt(t, AT_FDCWD, path, mode, 0);
export const faccessat: Sys = (t, dirfd, path, mode) => accessAt(t, dirfd, path, mode, 0);
export const faccessat2: Sys = (t, dirfd, path, mode, flags) => accessAt(t, dirfd, path, mode, flags);

/** struct statfs64 on i386 (asm-generic/statfs.h, packed to 4 bytes): 84 bytes; struct statfs
 *  (32-bit counts): 64 bytes. */
const STATFS64_SIZE = 84, STATFS_SIZE = 64;
/** statfs f_flags (ST_*): ST_VALID says the field is filled in. */
const ST_RDONLY = 1, ST_NOSUID = 2, ST_NODEV = 4, ST_NOEXEC = 8, ST_VALID = 0x20, ST_NOATIME = 1024, ST_NODIRATIME = 2048;
const ST_RELATIME = 4096, ST_NOSYMFOLLOW = 0x2000;
/** f_type of the pipe file system (what fstatfs reports for a pipe). */
const PIPEFS_MAGIC = 0x50495045;

function stFlags(f: FsFigures): number {
  const m = f.flags;
  return ST_VALID | (m.readOnly ? ST_RDONLY : 0) | (m.nosuid ? ST_NOSUID : 0) | (m.nodev ? ST_NODEV : 0) | (m.noexec ? ST_NOEXEC : 0) |
    (m.atime === "noatime" ? ST_NOATIME : m.atime === "relatime" ? ST_RELATIME : 0) | (m.nodiratime === true ? ST_NODIRATIME : 0) |
    (m.nosymfollow === true ? ST_NOSYMFOLLOW : 0);
}

/** The file system of an open file: its mount's, the host's for an inherited stream, and
 *  pipefs for a pipe. */
function fileFigures(t: Task, fd: number): FsFigures {
  const fig = t.fs.fstatfs(t.fds.get(fd));
  if (fig !== null) return fig;
  const flags = { readOnly: false, nosuid: false, nodev: false, noexec: false, atime: "relatime" as const };
  return { type: PIPEFS_MAGIC, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, namelen: 255, flags };
}

function putStatfs(t: Task, buf: number, f: FsFigures, wide: boolean): number {
  if (wide) {
    const s = new Struct(STATFS64_SIZE).u32(0, f.type).u32(4, f.bsize).u64(8, f.blocks).u64(16, f.bfree).u64(24, f.bavail);
    s.u64(32, f.files).u64(40, f.ffree).u32(56, f.namelen).u32(60, f.bsize).u32(64, stFlags(f));
    t.mem.write(buf, s.bytes);
    return 0;
  }
  for (const v of [f.blocks, f.bfree, f.bavail, f.files, f.ffree]) if (v > 0xffffffff) sysError("EOVERFLOW");
  const s = new Struct(STATFS_SIZE).u32(0, f.type).u32(4, f.bsize).u32(8, f.blocks).u32(12, f.bfree).u32(16, f.bavail);
  s.u32(20, f.files).u32(24, f.ffree).u32(36, f.namelen).u32(40, f.bsize).u32(44, stFlags(f));
  t.mem.write(buf, s.bytes);
  return 0;
}

export const statfs64: Sys = (t, pathVa, size, buf) => {
  if (size !== STATFS64_SIZE) sysError("EINVAL");
  return putStatfs(t, buf, t.fs.statfs(t, pathArg(t, pathVa), t.cwd), true);
};
export const fstatfs64: Sys = (t, fd, size, buf) => {
  if (size !== STATFS64_SIZE) sysError("EINVAL");
  return putStatfs(t, buf, fileFigures(t, fd), true);
};
/** ustat: the free blocks (f_bfree) and inodes of the file system mounted from device `dev`
 *  (a 32-bit dev_t), in struct ustat (20 bytes; the name and pack fields empty, as Linux
 *  leaves them); EINVAL when nothing is mounted from it. */
export const ustat: Sys = (t, dev, buf) => {
  // (a 32-bit dev_t is the low half of the 64-bit encoding devMajor/devMinor split)
  const major = devMajor(BigInt(dev >>> 0)), minor = devMinor(BigInt(dev >>> 0));
  const m = t.fs.mounts.all().find((x) => devMajor(x.vol.dev) === major && devMinor(x.vol.dev) === minor);
  if (m === undefined) return sysError("EINVAL");
  const f = m.vol.statfs(m.root(t));
  t.mem.write(buf, new Struct(20).u32(0, f.bfree | 0).u32(4, Math.min(f.ffree, 0xffffffff)).bytes);
  return 0;
};

export const statfs: Sys = (t, pathVa, buf) => putStatfs(t, buf, t.fs.statfs(t, pathArg(t, pathVa), t.cwd), false);
export const fstatfs: Sys = (t, fd, buf) => putStatfs(t, buf, fileFigures(t, fd), false);
