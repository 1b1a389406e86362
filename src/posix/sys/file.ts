// File I/O system calls: open/openat/creat/close, read/write and their vector and positioned
// forms, lseek/_llseek, dup/dup2/dup3, fcntl, and the pieces of /proc a program looks at.

import type { Sys } from "../types.js";
import type { Process } from "../../libexoc/process.js";
import { sysError, SysError } from "../../libexoc/errors.js";
import { type OpenFile, DirFile, HostFile } from "../../libexoc/file.js";
import { Struct } from "../abi/structs.js";
import { openRequest, AT_FDCWD, F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETLK, F_SETLK, F_SETLKW, F_GETLK64, F_SETLK64, F_SETLKW64, FD_CLOEXEC, O_APPEND, O_NONBLOCK, O_RDONLY, O_WRONLY, O_RDWR, O_LARGEFILE } from "../abi/fcntl.js";

/** Largest single transfer, as Linux's MAX_RW_COUNT. */
const MAX_RW = 0x7ffff000;

/** Guest directory a *at() call resolves relative paths against. */
export function baseDir(p: Process, dirfd: number, path: string): string {
  if (path.startsWith("/") || dirfd === AT_FDCWD) return p.cwd;
  const f = p.fds.get(dirfd);
  if (!(f instanceof DirFile)) sysError("ENOTDIR");
  return f.path;
}

/** Reads a path argument (bytes kept 1:1 in a latin1 string). */
export function pathArg(p: Process, va: number): string {
  if (va === 0) sysError("EFAULT");
  return p.mem.cstring(va, 4096).toString("latin1");
}

/** /proc entries answered by the process itself: a symlink target, or null. */
export function procLink(p: Process, path: string): string | null {
  const m = /^\/proc\/(self|\d+)\/(exe|cwd|fd\/(\d+))$/.exec(path.replace(/\/+/g, "/"));
  if (!m || (m[1] !== "self" && Number(m[1]) !== p.pid)) return null;
  if (m[2] === "exe") return p.exe;
  if (m[2] === "cwd") return p.cwd;
  const fd = Number(m[3]);
  return p.fds.has(fd) ? p.fds.get(fd).path : null;
}

function openAt(p: Process, dirfd: number, pathVa: number, flags: number, mode: number): number {
  const path = pathArg(p, pathVa);
  const req = openRequest(flags, mode, p.umask);
  const link = procLink(p, path);
  const target = link !== null && link.startsWith("/") ? link : path;
  const file = p.fs.open(target, baseDir(p, dirfd, path), req);
  return p.fds.add(file, req.cloexec);
}

export const open: Sys = (p, path, flags, mode) => openAt(p, AT_FDCWD, path, flags, mode);
export const openat: Sys = (p, dirfd, path, flags, mode) => openAt(p, dirfd, path, flags, mode);
export const creat: Sys = (p, path, mode) => openAt(p, AT_FDCWD, path, 0o1101 /* O_CREAT|O_WRONLY|O_TRUNC */, mode);

export const close: Sys = (p, fd) => {
  p.fds.close(fd);
  return 0;
};

function readable(p: Process, fd: number): OpenFile {
  const f = p.fds.get(fd);
  if (!f.mode.read) sysError("EBADF");
  return f;
}

function writable(p: Process, fd: number): OpenFile {
  const f = p.fds.get(fd);
  if (!f.mode.write) sysError("EBADF");
  return f;
}

/** Reads into guest memory page by page, stopping at the first short read. */
function readInto(p: Process, buf: number, count: number, rd: (view: Uint8Array) => number): number {
  return p.mem.eachChunk(buf, Math.min(count >>> 0, MAX_RW), true, rd);
}

/** The bytes of a guest buffer as one array (a view when it lies in one page). */
function gather(p: Process, buf: number, count: number): Uint8Array {
  const n = Math.min(count >>> 0, MAX_RW);
  if (n === 0) return new Uint8Array(0);
  if ((buf & 0xfff) + n <= 0x1000) {
    let view: Uint8Array | null = null;
    p.mem.chunks(buf, n, false, (v) => (view = v));
    return view ?? new Uint8Array(0);
  }
  return p.mem.read(buf, n);
}

export const read: Sys = (p, fd, buf, count) => {
  const f = readable(p, fd);
  return readInto(p, buf, count, (v) => f.read(v));
};

export const write: Sys = (p, fd, buf, count) => {
  const f = writable(p, fd);
  const data = gather(p, buf, count);
  return data.length === 0 ? 0 : f.write(data);
};

/** sendfile/sendfile64: copies up to `count` bytes from in_fd (at *offset, which is updated
 *  and leaves the file offset alone, or at the file offset) to out_fd. */
function sendfileImpl(p: Process, outFd: number, inFd: number, offVa: number, count: number, wide: boolean): number {
  const out = writable(p, outFd);
  const src = readable(p, inFd);
  if (out.mode.append) sysError("EINVAL");
  let off = offVa === 0 ? -1 : wide ? p.mem.i64(offVa) : p.mem.i32(offVa);
  if (offVa !== 0 && off < 0) sysError("EINVAL");
  const chunk = new Uint8Array(1 << 16);
  let left = Math.min(count >>> 0, MAX_RW), done = 0;
  while (left > 0) {
    const want = chunk.subarray(0, Math.min(left, chunk.length));
    const n = off < 0 ? src.read(want) : src.pread(want, off);
    if (n <= 0) break;
    const w = out.write(chunk.subarray(0, n));
    done += w;
    left -= w;
    if (off >= 0) off += w;
    if (w < n) {
      if (off < 0) src.seek(w - n, 1); // give back what could not be written
      break;
    }
  }
  if (offVa !== 0) {
    if (wide) p.mem.write(offVa, new Struct(8).i64(0, off).bytes);
    else p.mem.putU32(offVa, off);
  }
  return done;
}

export const sendfile: Sys = (p, outFd, inFd, offVa, count) => sendfileImpl(p, outFd, inFd, offVa, count, false);
export const sendfile64: Sys = (p, outFd, inFd, offVa, count) => sendfileImpl(p, outFd, inFd, offVa, count, true);

function offset64(lo: number, hi: number): number {
  const off = (lo >>> 0) + hi * 4294967296;
  if (off < 0) sysError("EINVAL");
  return off;
}

export const pread64: Sys = (p, fd, buf, count, lo, hi) => {
  const f = readable(p, fd);
  let off = offset64(lo, hi);
  return readInto(p, buf, count, (v) => {
    const n = f.pread(v, off);
    off += n;
    return n;
  });
};

export const pwrite64: Sys = (p, fd, buf, count, lo, hi) => {
  const f = writable(p, fd);
  const data = gather(p, buf, count);
  return data.length === 0 ? 0 : f.pwrite(data, offset64(lo, hi));
};

/** Reads a struct iovec array: [base, len] pairs. */
function iovecs(p: Process, iov: number, cnt: number): [number, number][] {
  if (cnt < 0 || cnt > 1024) sysError("EINVAL");
  const out: [number, number][] = [];
  let total = 0;
  for (let k = 0; k < cnt; k++) {
    const base = p.mem.u32(iov + k * 8), len = p.mem.u32(iov + k * 8 + 4) >>> 0;
    total += len;
    if (len > MAX_RW || total > MAX_RW) sysError("EINVAL");
    out.push([base, len]);
  }
  return out;
}

export const readv: Sys = (p, fd, iov, cnt) => {
  const f = readable(p, fd);
  let total = 0;
  for (const [base, len] of iovecs(p, iov, cnt)) {
    const n = readInto(p, base, len, (v) => f.read(v));
    total += n;
    if (n < len) break;
  }
  return total;
};

export const writev: Sys = (p, fd, iov, cnt) => {
  const f = writable(p, fd);
  const parts = iovecs(p, iov, cnt).map(([base, len]) => p.mem.read(base, len));
  const all = Buffer.concat(parts);
  return all.length === 0 ? 0 : f.write(all);
};

export const lseek: Sys = (p, fd, off, whence) => {
  const pos = p.fds.get(fd).seek(off, whence);
  if (pos > 0x7fffffff) sysError("EOVERFLOW");
  return pos;
};

export const llseek: Sys = (p, fd, hi, lo, result, whence) => {
  const f = p.fds.get(fd);
  const pos = f.seek((lo >>> 0) + hi * 4294967296, whence);
  p.mem.write(result, new Uint8Array(new BigUint64Array([BigInt(pos)]).buffer));
  return 0;
};

export const dup: Sys = (p, fd) => p.fds.dup(fd);

export const dup2: Sys = (p, fd, fd2) => {
  const f = p.fds.get(fd);
  if (fd === fd2) return fd2;
  if (fd2 < 0 || fd2 >= p.fds.limit) sysError("EBADF");
  f.refs++;
  p.fds.put(fd2, f, false);
  return fd2;
};

export const dup3: Sys = (p, fd, fd2, flags) => {
  if (fd === fd2) sysError("EINVAL");
  if ((flags & ~0o2000000) !== 0) sysError("EINVAL");
  const f = p.fds.get(fd);
  if (fd2 < 0 || fd2 >= p.fds.limit) sysError("EBADF");
  f.refs++;
  p.fds.put(fd2, f, (flags & 0o2000000) !== 0);
  return fd2;
};

/** Status flags as F_GETFL reports them. */
function statusFlags(f: OpenFile): number {
  const acc = f.mode.read && f.mode.write ? O_RDWR : f.mode.write ? O_WRONLY : O_RDONLY;
  return acc | (f.mode.append ? O_APPEND : 0) | (f.mode.nonblock ? O_NONBLOCK : 0) | (f instanceof HostFile ? O_LARGEFILE : 0);
}

export const fcntl64: Sys = (p, fd, cmd, arg) => {
  const f = p.fds.get(fd);
  switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
      if (arg < 0 || arg >= p.fds.limit) sysError("EINVAL");
      return p.fds.dup(fd, arg, cmd === F_DUPFD_CLOEXEC);
    case F_GETFD:
      return p.fds.cloexec(fd) ? FD_CLOEXEC : 0;
    case F_SETFD:
      p.fds.setCloexec(fd, (arg & FD_CLOEXEC) !== 0);
      return 0;
    case F_GETFL:
      return statusFlags(f);
    case F_SETFL:
      f.mode = { ...f.mode, append: (arg & O_APPEND) !== 0, nonblock: (arg & O_NONBLOCK) !== 0 };
      return 0;
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW:
    case F_GETLK64:
    case F_SETLK64:
    case F_SETLKW64:
      // One process sees no competing locks; F_GETLK reports the lock as free (l_type = F_UNLCK).
      if (cmd === F_GETLK || cmd === F_GETLK64) p.mem.write(arg, new Uint8Array([2, 0]));
      return 0;
    default:
      return sysError("EINVAL", `fcntl command ${cmd}`);
  }
};

export const getcwd: Sys = (p, buf, size) => {
  const b = Buffer.from(p.cwd + "\0", "latin1");
  if ((size >>> 0) < b.length) sysError("ERANGE");
  p.mem.write(buf, b);
  return b.length;
};

export const chdir: Sys = (p, path) => {
  const r = p.fs.resolve(pathArg(p, path), p.cwd, true);
  if (r.st === null) sysError("ENOENT");
  if (!r.st.isDirectory()) sysError("ENOTDIR");
  p.cwd = r.guest;
  return 0;
};

export const fchdir: Sys = (p, fd) => {
  const f = p.fds.get(fd);
  if (!(f instanceof DirFile)) sysError("ENOTDIR");
  p.cwd = f.path;
  return 0;
};

/** Rethrows anything but an errno, for code that probes optional behaviour. */
export function isErrno(e: unknown, name: string): boolean {
  return e instanceof SysError && e.errno === name;
}
