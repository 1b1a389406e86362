// File I/O system calls: open/openat/creat/close, read/write and their vector and positioned
// forms, lseek/_llseek, dup/dup2/dup3, fcntl, getcwd/chdir/fchdir.

import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import { sysError, SysError } from "../../libexoc/errors.js";
import { WouldBlock, RESTART_IF_SA, later, laterFn, resumable } from "../../libexoc/blocking.js";
import { FifoEnd } from "../../libexoc/fifo.js";
import { SIGPIPE, SIGXFSZ, NSIG } from "../../libexoc/signal.js";
import { PipeEnd } from "../../libexoc/pipe.js";
import { type OpenFile, PathFile, S_IFMT, S_IFREG, S_IFDIR } from "../../libexoc/file.js";
import { VfsRef } from "../../libexoc/vfs/ref.js";
import { RLIMIT_FSIZE } from "../../libexoc/limits.js";
import { DirFile } from "../../libexoc/dirfile.js";
import { SignalFd } from "../../libexoc/sigwait.js";
import { signalfdRead } from "./sigwait.js";
import { Struct } from "../abi/structs.js";
import { openRequest, AT_FDCWD, F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETLK, F_SETLK, F_SETLKW, F_GETLK64, F_SETLK64, F_SETLKW64, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW, FD_CLOEXEC, O_APPEND, O_NONBLOCK, O_RDONLY, O_WRONLY, O_RDWR, O_LARGEFILE, O_ASYNC } from "../abi/fcntl.js";
import { AsyncIo, F_OWNER_TID, F_OWNER_PID, F_OWNER_PGRP, POLL_MSG } from "../../libexoc/fasync.js";
import { recordLock } from "./lock.js";
import { dirNotify } from "../../libexoc/dnotify.js";
import { UnixSocket } from "../../libexoc/socket.js";
import { sendsOnWrite, writeAsSend } from "./socket.js";
import { capable, CAP_SYS_RESOURCE, CAP_LEASE } from "../../libexoc/capability.js";

/** Largest single transfer, as Linux's MAX_RW_COUNT. */
export const MAX_RW = 0x7ffff000;
/** si_code of a SIGPIPE the kernel raises for a write (SI_USER, as Linux reports it). */
const SI_USER_CODE = 0;
/** fcntl commands for a pipe's capacity. */
const F_SETPIPE_SZ = 1031, F_GETPIPE_SZ = 1032, F_ADD_SEALS = 1033, F_GET_SEALS = 1034;
const F_SETOWN = 8, F_GETOWN = 9, F_SETSIG = 10, F_GETSIG = 11, F_SETOWN_EX = 15, F_GETOWN_EX = 16, F_NOTIFY = 1026;
const F_SETLEASE = 1024, F_GETLEASE = 1025;

/** The description's signal-driven I/O state, made on first use. */
function fasyncOf(t: Task, f: OpenFile): AsyncIo {
  f.fasync ??= new AsyncIo(f, t.sys);
  return f.fasync;
}

/** Guest directory a *at() call resolves relative paths against. */
export function baseDir(t: Task, dirfd: number, path: string): string {
  // (an empty path names nothing, whatever the descriptor: the calls that take AT_EMPTY_PATH
  // handle it before they come here)
  if (path === "") sysError("ENOENT");
  if (path.startsWith("/") || dirfd === AT_FDCWD) return t.cwd;
  const f = t.fds.get(dirfd);
  if (!(f instanceof DirFile) && !(f instanceof PathFile && f.isDirectory)) sysError("ENOTDIR");
  return f.path;
}

/** Reads a path argument (bytes kept 1:1 in a latin1 string). */
export function pathArg(t: Task, va: number): string {
  if (va === 0) sysError("EFAULT");
  return t.mem.cstring(va, 4096).toString("latin1");
}

function openAt(t: Task, dirfd: number, pathVa: number, flags: number, mode: number): number {
  const path = pathArg(t, pathVa);
  const req = openRequest(flags, mode, t.umask);
  t.fds.needFree();
  const file = t.fs.open(t, path, baseDir(t, dirfd, path), req);
  return install(t, file, req.cloexec);
}

/** Gives the opened `file` a descriptor. A FIFO opened for one side waits for the other
 *  (fifo.ts) first; a signal ends the wait (EINTR). */
export const install = resumable("posix/file.install", function install(t: Task, file: OpenFile, cloexec: boolean): number {
  const q = file instanceof FifoEnd ? file.openWait() : null;
  if (q === null) return t.fds.add(file, cloexec);
  throw new WouldBlock([q], null, RESTART_IF_SA, laterFn(install, t, file, cloexec), laterFn(dropOpened, file));
});

/** A signal ended the wait of an open: the file it opened goes. */
const dropOpened = resumable("posix/file.dropOpened", function dropOpened(file: OpenFile): null {
  file.drop();
  return null;
});

export const open: Sys = (t, path, flags, mode) => openAt(t, AT_FDCWD, path, flags, mode);
export const openat: Sys = (t, dirfd, path, flags, mode) => openAt(t, dirfd, path, flags, mode);
export const creat: Sys = (t, path, mode) => openAt(t, AT_FDCWD, path, 0o1101 /* O_CREAT|O_WRONLY|O_TRUNC */, mode);

export const close: Sys = (t, fd) => {
  t.fds.close(fd);
  return 0;
};

const CLOSE_RANGE_UNSHARE = 2, CLOSE_RANGE_CLOEXEC = 4;

/** close_range(first, last, flags): closes (or with CLOSE_RANGE_CLOEXEC marks close-on-exec)
 *  every open fd from `first` to `last`; CLOSE_RANGE_UNSHARE first gives the caller a table
 *  of its own if threads share it. */
export const closeRange: Sys = (t, first, last, flags) => {
  if ((flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) !== 0 || first >>> 0 > last >>> 0) sysError("EINVAL");
  if ((flags & CLOSE_RANGE_UNSHARE) !== 0) t.ownFds();
  for (const fd of t.fds.list()) {
    if (fd < first >>> 0 || fd > last >>> 0) continue;
    if ((flags & CLOSE_RANGE_CLOEXEC) !== 0) t.fds.setCloexec(fd, true);
    else t.fds.close(fd);
  }
  return 0;
};

function readable(t: Task, fd: number): OpenFile {
  const f = t.fds.get(fd);
  if (!f.mode.read) sysError("EBADF");
  return f;
}

function writable(t: Task, fd: number): OpenFile {
  const f = t.fds.get(fd);
  if (!f.mode.write) sysError("EBADF");
  return f;
}

/** The file of a positioned read or write, checked in Linux's order: ESPIPE for one without
 *  positions (a pipe, a socket), then EBADF for the wrong access mode, then EISDIR for a
 *  directory (its read). A write on O_APPEND goes to the end, as Linux's pwrite does. */
function positioned(t: Task, fd: number, write: boolean): OpenFile {
  const f = t.fds.get(fd);
  const dir = f instanceof DirFile;
  if (!dir && !f.positional()) sysError("ESPIPE");
  if (write ? !f.mode.write : !f.mode.read) sysError("EBADF");
  if (dir) sysError("EISDIR");
  return f;
}

/** RLIMIT_FSIZE on a write of `data` to regular file `f` at `pos` (-1: where write() writes,
 *  its offset or, under O_APPEND, its end): the part below the limit, or nothing at or past
 *  it, where the writer gets SIGXFSZ and EFBIG (Linux's generic_write_check_limits). */
export function belowFsizeLimit(t: Task, f: OpenFile, data: Uint8Array, pos: number): Uint8Array {
  const limit = t.proc.limit(RLIMIT_FSIZE)[0];
  if (limit === Infinity || !(f.ref instanceof VfsRef)) return data;
  const st = f.stat();
  if ((st.mode & S_IFMT) !== S_IFREG) return data;
  const at = pos >= 0 ? pos : f.mode.append ? Number(st.size) : f.offset;
  if (at >= limit) {
    t.sendSignal(SIGXFSZ, SI_USER_CODE);
    return sysError("EFBIG");
  }
  return at + data.length > limit ? data.subarray(0, limit - at) : data;
}

/** Where a positioned write of `f` at `off` goes: the end of the file under O_APPEND. */
function writeAt(f: OpenFile, off: number): number {
  return f.mode.append ? Number(f.stat().size) : off;
}

/** Reads into guest memory page by page, stopping at the first short read. Once some bytes
 *  arrived, a page that would wait (or EAGAIN) ends the read with what it has. */
function readInto(t: Task, buf: number, count: number, rd: (view: Uint8Array) => number): number {
  let got = 0;
  try {
    return t.mem.eachChunk(buf, Math.min(count >>> 0, MAX_RW), true, (v) => {
      const n = rd(v);
      got += n;
      return n;
    });
  } catch (e) {
    if (got > 0 && (e instanceof WouldBlock || isErrno(e, "EAGAIN"))) return got;
    throw e;
  }
}

/** Runs a write; one to a pipe or socket with no reader left also raises SIGPIPE in the
 *  writing thread (POSIX) and fails with EPIPE, or returns what it wrote before the reader went;
 *  also when it is a waiting write that goes on. */
export const writeTo = resumable("posix/file.writeTo", function writeTo(t: Task, write: () => number): number {
  try {
    return write();
  } catch (e) {
    const retry = e instanceof WouldBlock ? e.retry : null;
    if (e instanceof WouldBlock && retry !== null) throw new WouldBlock(e.queues, e.deadline, e.restart, laterFn(writeTo, t, retry), e.onInterrupt);
    if (e instanceof SysError && e.errno === "EPIPE") {
      t.sendSignal(SIGPIPE, SI_USER_CODE);
      if (e.partial > 0) return e.partial;
    }
    throw e;
  }
});

/** The bytes of a guest buffer as one array (a view when it lies in one page). */
function gather(t: Task, buf: number, count: number): Uint8Array {
  const n = Math.min(count >>> 0, MAX_RW);
  if (n === 0) return new Uint8Array(0);
  if ((buf & 0xfff) + n <= 0x1000) return t.mem.view(buf, n, false);
  const out = t.staging(n);
  t.mem.chunks(buf, n, false, (v, done) => out.set(v, done));
  return out;
}

/** A read of a file that wants the whole buffer in one call (up to `most` bytes): into the
 *  task's staging buffer, then out to the guest's iovecs [base, len] in order. */
function readWhole(t: Task, f: OpenFile, vecs: [number, number][], most: number): number {
  const total = Math.min(most, vecs.reduce((n, [, len]) => n + len, 0));
  const tmp = t.staging(total);
  const got = f.readBy(t, tmp);
  let at = 0;
  for (const [base, len] of vecs) {
    if (at >= got) break;
    const n = Math.min(len, got - at);
    t.mem.write(base, tmp.subarray(at, at + n));
    at += n;
  }
  return got;
}

export const read: Sys = (t, fd, buf, count) => {
  const f = readable(t, fd);
  if (f instanceof SignalFd) return signalfdRead(t, f, buf, count);
  const whole = f.wholeReadMax();
  if (whole !== 0) return readWhole(t, f, [[buf, Math.min(count >>> 0, MAX_RW)]], whole);
  f.prepareRead(f.offset, Math.min(count >>> 0, MAX_RW));
  return readInto(t, buf, count, (v) => f.readBy(t, v));
};

export const write: Sys = (t, fd, buf, count) => {
  const f = writable(t, fd);
  // (a device that does not read the buffer: write(2) to /dev/null from an address nothing is
  // mapped at succeeds on Linux)
  const blind = f.blindWrite(Math.min(count >>> 0, MAX_RW));
  if (blind >= 0) return blind;
  const data = gather(t, buf, count);
  if (f instanceof UnixSocket && sendsOnWrite(f)) return writeAsSend(t, f, data);
  if (data.length === 0) return 0;
  const part = belowFsizeLimit(t, f, data, -1);
  return writeTo(t, () => f.writeBy(t, part));
};

/** sendfile/sendfile64: copies up to `count` bytes from in_fd (at *offset, which is updated
 *  and leaves the file offset alone, or at the file offset) to out_fd. As Linux's, the call
 *  waits only while it has moved nothing: once some bytes went, what the output cannot take
 *  at once goes back to the input and the call returns the count (a full pipe gives a short
 *  count, not a wait). */
function sendfileImpl(t: Task, outFd: number, inFd: number, offVa: number, count: number, wide: boolean): number {
  const out = writable(t, outFd);
  const src = readable(t, inFd);
  if (out.mode.append) sysError("EINVAL");
  let off = offVa === 0 ? -1 : wide ? t.mem.i64(offVa) : t.mem.i32(offVa);
  if (offVa !== 0 && off < 0) sysError("EINVAL");
  const chunk = new Uint8Array(1 << 16);
  let left = Math.min(count >>> 0, MAX_RW), done = 0;
  /** `w` of the `n` bytes read went out: the offsets follow, the rest goes back. */
  const moved = (w: number, n: number): void => {
    done += w;
    left -= w;
    if (off >= 0) off += w;
    else if (w < n) src.seek(w - n, 1);
  };
  src.prepareRead(off < 0 ? src.offset : off, left);
  while (left > 0) {
    const want = chunk.subarray(0, Math.min(left, chunk.length));
    let n: number;
    try {
      n = off < 0 ? src.read(want) : src.pread(want, off);
    } catch (e) {
      // Once some bytes went, a chunk that would wait ends the call with what it moved.
      if (done > 0 && (e instanceof WouldBlock || isErrno(e, "EAGAIN"))) break;
      throw e;
    }
    if (n <= 0) break;
    const data = chunk.subarray(0, n);
    let w: number;
    if (done === 0) {
      try {
        w = writeTo(t, () => out.write(data));
      } catch (e) {
        // The first chunk waits for room: the wait's retry finishes it and ends the call.
        if (e instanceof WouldBlock && e.retry !== null) throw sendfileWait(t, src, offVa, wide, off, n, e);
        throw e;
      }
    } else {
      w = writeNoWait(t, out, data);
    }
    moved(w, n);
    if (w < n) break;
  }
  storeOffset(t, offVa, wide, off);
  return done;
}

/** Writes sendfile's input offset `off` back to `offVa` (unless 0). */
function storeOffset(t: Task, offVa: number, wide: boolean, off: number): void {
  if (offVa === 0) return;
  if (wide) t.mem.write(offVa, new Struct(8).i64(0, off).bytes);
  else t.mem.putU32(offVa, off);
}

/** The wait `e` of sendfile's first chunk (`n` bytes read from `src`, at input offset `off`;
 *  -1: the file's own), made to end the call when the write is done. Nothing moved before. */
function sendfileWait(t: Task, src: OpenFile, offVa: number, wide: boolean, off: number, n: number, e: WouldBlock): WouldBlock {
  return new WouldBlock(
    e.queues, e.deadline, e.restart,
    laterFn(sendfileWritten, t, src, offVa, wide, off, n, e.retry as () => number), // (only waits with a retry come here)
    laterFn(sendfileInterrupted, t, src, offVa, wide, off, n, e.onInterrupt),
  );
}

/** The first chunk's write finished (`retry` is its own): the offsets follow; the count. */
const sendfileWritten = resumable("posix/file.sendfileWritten", function sendfileWritten(t: Task, src: OpenFile, offVa: number, wide: boolean, off: number, n: number, retry: () => number): number {
  let w: number;
  try {
    w = retry();
  } catch (e) {
    if (e instanceof WouldBlock && e.retry !== null) throw sendfileWait(t, src, offVa, wide, off, n, e);
    throw e;
  }
  return firstChunkMoved(t, src, offVa, wide, off, n, w);
});

/** A signal ended the first chunk's wait: what its write moved (if anything) is the count. */
const sendfileInterrupted = resumable("posix/file.sendfileInterrupted", function sendfileInterrupted(t: Task, src: OpenFile, offVa: number, wide: boolean, off: number, n: number, interrupted: (() => number | null | void) | null): number | null {
  const partial = interrupted?.();
  const done = firstChunkMoved(t, src, offVa, wide, off, n, typeof partial === "number" ? partial : 0);
  return done > 0 ? done : null;
});

/** `w` of the first chunk's `n` bytes went out: the offsets follow (what did not go goes back
 *  to the input), and `w` is all the call moved. */
function firstChunkMoved(t: Task, src: OpenFile, offVa: number, wide: boolean, off: number, n: number, w: number): number {
  if (off >= 0) off += w;
  else if (w < n) src.seek(w - n, 1);
  storeOffset(t, offVa, wide, off);
  return w;
}

/** Writes what `f` takes of `data` now (0 when it would wait). */
function writeNoWait(t: Task, f: OpenFile, data: Uint8Array): number {
  const was = f.mode.nonblock;
  f.mode.nonblock = true;
  try {
    return writeTo(t, () => f.write(data));
  } catch (e) {
    // (EPIPE: the reader went; SIGPIPE is sent, and the call reports what it moved before)
    if (e instanceof WouldBlock || isErrno(e, "EAGAIN") || isErrno(e, "EPIPE")) return 0;
    throw e;
  } finally {
    f.mode.nonblock = was;
  }
}

export const sendfile: Sys = (t, outFd, inFd, offVa, count) => sendfileImpl(t, outFd, inFd, offVa, count, false);
export const sendfile64: Sys = (t, outFd, inFd, offVa, count) => sendfileImpl(t, outFd, inFd, offVa, count, true);

/** A 64-bit argument passed as two registers (low, high), as a signed number. */
export function arg64(lo: number, hi: number): number {
  return (lo >>> 0) + hi * 4294967296;
}

/** A 64-bit offset or length argument: EINVAL if negative. */
export function offset64(lo: number, hi: number): number {
  const off = arg64(lo, hi);
  if (off < 0) sysError("EINVAL");
  return off;
}

export const pread64: Sys = (t, fd, buf, count, lo, hi) => {
  const f = positioned(t, fd, false);
  let off = offset64(lo, hi);
  f.prepareRead(off, Math.min(count >>> 0, MAX_RW));
  return readInto(t, buf, count, (v) => {
    const n = f.pread(v, off);
    off += n;
    return n;
  });
};

export const pwrite64: Sys = (t, fd, buf, count, lo, hi) => {
  const f = positioned(t, fd, true);
  const data = gather(t, buf, count);
  const off = offset64(lo, hi);
  if (data.length === 0) return 0;
  const part = belowFsizeLimit(t, f, data, writeAt(f, off));
  return writeTo(t, () => f.pwrite(part, writeAt(f, off)));
};

/** Reads a struct iovec array: [base, len] pairs. */
function iovecs(t: Task, iov: number, cnt: number): [number, number][] {
  if (cnt < 0 || cnt > 1024) sysError("EINVAL");
  const out: [number, number][] = [];
  let total = 0;
  for (let k = 0; k < cnt; k++) {
    const base = t.mem.u32(iov + k * 8), len = t.mem.u32(iov + k * 8 + 4) >>> 0;
    total += len;
    if (len > MAX_RW || total > MAX_RW) sysError("EINVAL");
    out.push([base, len]);
  }
  return out;
}

export const readv: Sys = (t, fd, iov, cnt) => {
  const f = readable(t, fd);
  const whole = f.wholeReadMax();
  if (whole !== 0) return readWhole(t, f, iovecs(t, iov, cnt), whole);
  const vecs = iovecs(t, iov, cnt);
  f.prepareRead(f.offset, vecs.reduce((n, [, len]) => n + len, 0));
  let total = 0;
  for (const [base, len] of vecs) {
    let n: number;
    try {
      n = readInto(t, base, len, (v) => f.readBy(t, v));
    } catch (e) {
      if (total > 0 && (e instanceof WouldBlock || isErrno(e, "EAGAIN"))) break;
      throw e;
    }
    total += n;
    if (n < len) break;
  }
  return total;
};

export const writev: Sys = (t, fd, iov, cnt) => {
  const f = writable(t, fd);
  const all = gatherv(t, iovecs(t, iov, cnt));
  if (f instanceof UnixSocket && sendsOnWrite(f)) return writeAsSend(t, f, all);
  if (all.length === 0) return 0;
  const part = belowFsizeLimit(t, f, all, -1);
  return writeTo(t, () => f.writeBy(t, part));
};

/** preadv at `off` (>= 0): each iovec in turn from the file at the offset, stopping at a
 *  short read; the file's own offset does not move. */
function preadvAt(t: Task, f: OpenFile, vecs: [number, number][], off: number): number {
  f.prepareRead(off, vecs.reduce((n, [, len]) => n + len, 0));
  let total = 0, at = off;
  for (const [base, len] of vecs) {
    const n = readInto(t, base, len, (v) => {
      const k = f.pread(v, at);
      at += k;
      return k;
    });
    total += n;
    if (n < len) break;
  }
  return total;
}

/** The iovecs' bytes as one array, for a single write. */
function gatherv(t: Task, vecs: [number, number][]): Uint8Array {
  const all = t.staging(vecs.reduce((n, [, len]) => n + len, 0));
  let at = 0;
  for (const [base, len] of vecs) {
    t.mem.chunks(base, len, false, (v, done) => all.set(v, at + done));
    at += len;
  }
  return all;
}

export const preadv: Sys = (t, fd, iov, cnt, lo, hi) => {
  const f = positioned(t, fd, false);
  const vecs = iovecs(t, iov, cnt);
  return preadvAt(t, f, vecs, offset64(lo, hi));
};

export const pwritev: Sys = (t, fd, iov, cnt, lo, hi) => {
  const f = positioned(t, fd, true);
  const vecs = iovecs(t, iov, cnt);
  const off = offset64(lo, hi);
  const all = gatherv(t, vecs);
  if (all.length === 0) return 0;
  const part = belowFsizeLimit(t, f, all, writeAt(f, off));
  return writeTo(t, () => f.pwrite(part, writeAt(f, off)));
};

/** preadv2/pwritev2 flags: RWF_HIPRI, RWF_DSYNC, RWF_SYNC and RWF_NOWAIT (hints here: data is
 *  written through, and nothing waits for a disk), RWF_APPEND; others are EOPNOTSUPP. */
const RWF_HIPRI = 1, RWF_DSYNC = 2, RWF_SYNC = 4, RWF_NOWAIT = 8, RWF_APPEND = 0x10;
const RWF_KNOWN = RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT | RWF_APPEND;

/** An offset of -1 (both halves) means the file's own, as readv and writev use. */
const ownOffset = (lo: number, hi: number): boolean => lo === -1 && hi === -1;

export const preadv2: Sys = (t, fd, iov, cnt, lo, hi, flags) => {
  if ((flags & ~RWF_KNOWN) !== 0) sysError("EOPNOTSUPP");
  return ownOffset(lo, hi) ? readv(t, fd, iov, cnt, 0, 0, 0) : preadv(t, fd, iov, cnt, lo, hi, 0);
};

export const pwritev2: Sys = (t, fd, iov, cnt, lo, hi, flags) => {
  if ((flags & ~RWF_KNOWN) !== 0) sysError("EOPNOTSUPP");
  if ((flags & RWF_APPEND) === 0) return ownOffset(lo, hi) ? writev(t, fd, iov, cnt, 0, 0, 0) : pwritev(t, fd, iov, cnt, lo, hi, 0);
  // RWF_APPEND: at the end of the file, as O_APPEND would (the file's offset then follows
  // when it was the one asked for).
  const f = writable(t, fd);
  const vecs = iovecs(t, iov, cnt);
  const off = Number(f.stat().size);
  const all = gatherv(t, vecs);
  if (all.length === 0) return 0;
  const n = writeTo(t, () => f.pwrite(all, off));
  if (ownOffset(lo, hi)) f.offset = off + n;
  return n;
};

export const lseek: Sys = (t, fd, off, whence) => {
  const pos = t.fds.get(fd).seek(off, whence);
  if (pos > 0x7fffffff) sysError("EOVERFLOW");
  return pos;
};

export const llseek: Sys = (t, fd, hi, lo, result, whence) => {
  const f = t.fds.get(fd);
  const pos = f.seek(arg64(lo, hi), whence);
  t.mem.write(result, new Uint8Array(new BigUint64Array([BigInt(pos)]).buffer));
  return 0;
};

export const dup: Sys = (t, fd) => t.fds.dup(fd);

export const dup2: Sys = (t, fd, fd2) => {
  const f = t.fds.get(fd);
  if (fd === fd2) return fd2;
  if (fd2 < 0 || fd2 >= t.fds.limit) sysError("EBADF");
  f.refs++;
  t.fds.put(fd2, f, false);
  return fd2;
};

export const dup3: Sys = (t, fd, fd2, flags) => {
  if (fd === fd2) sysError("EINVAL");
  if ((flags & ~0o2000000) !== 0) sysError("EINVAL");
  const f = t.fds.get(fd);
  if (fd2 < 0 || fd2 >= t.fds.limit) sysError("EBADF");
  f.refs++;
  t.fds.put(fd2, f, (flags & 0o2000000) !== 0);
  return fd2;
};

/** Status flags as F_GETFL reports them. */
function statusFlags(f: OpenFile): number {
  const acc = f.mode.read && f.mode.write ? O_RDWR : f.mode.write ? O_WRONLY : O_RDONLY;
  return acc | (f.mode.append ? O_APPEND : 0) | (f.mode.nonblock ? O_NONBLOCK : 0) | (f.mode.largeFile === true ? O_LARGEFILE : 0) | (f.fasync?.enabled === true ? O_ASYNC : 0);
}

/** fcntl (`wide`: fcntl64, whose F_*LK64 and F_OFD_* commands take struct flock64). */
function fcntlCall(t: Task, fd: number, cmd: number, arg: number, wide: boolean): number {
  const f = t.fds.get(fd);
  switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
      if (arg < 0 || arg >= t.fds.limit) sysError("EINVAL");
      return t.fds.dup(fd, arg, cmd === F_DUPFD_CLOEXEC);
    case F_GETFD:
      return t.fds.cloexec(fd) ? FD_CLOEXEC : 0;
    case F_SETFD:
      t.fds.setCloexec(fd, (arg & FD_CLOEXEC) !== 0);
      return 0;
    case F_GETFL:
      return statusFlags(f);
    case F_SETFL:
      f.mode = { ...f.mode, append: (arg & O_APPEND) !== 0, nonblock: (arg & O_NONBLOCK) !== 0 };
      if ((arg & O_ASYNC) !== 0 || f.fasync !== null) {
        const a = fasyncOf(t, f);
        if ((arg & O_ASYNC) !== 0) a.fd = fd;
        a.enable((arg & O_ASYNC) !== 0);
      }
      return 0;
    case F_NOTIFY: {
      // (the caller's process becomes the description's owner, which the events signal)
      const st = f.stat();
      const a = fasyncOf(t, f);
      const isDir = (st.mode & S_IFMT) === S_IFDIR;
      dirNotify(f, fd, arg, t.fds, { notifier: t.fs.notify, key: isDir ? t.fs.lockKey(f) : "", dev: st.dev, isDir, uid: t.proc.euid, pid: t.proc.pid }, a);
      return 0;
    }
    case F_SETLEASE:
      return setLease(t, f, fd, arg);
    case F_GETLEASE:
      return regularKey(t, f) === null ? F_UNLCK_LEASE : t.fs.leases.type(f, regularKey(t, f) as string);
    case F_SETOWN:
      fasyncOf(t, f).setOwner(arg < 0 ? F_OWNER_PGRP : F_OWNER_PID, Math.abs(arg));
      return 0;
    case F_GETOWN: {
      const o = f.fasync?.owner ?? null;
      return o === null ? 0 : o.type === F_OWNER_PGRP ? -o.id : o.id;
    }
    case F_SETOWN_EX: {
      const type = t.mem.i32(arg), id = t.mem.i32(arg + 4);
      if (type !== F_OWNER_TID && type !== F_OWNER_PID && type !== F_OWNER_PGRP) sysError("EINVAL");
      fasyncOf(t, f).setOwner(type, id);
      return 0;
    }
    case F_GETOWN_EX: {
      const o = f.fasync?.owner ?? null;
      t.mem.write(arg, new Struct(8).i32(0, o?.type ?? F_OWNER_PID).i32(4, o?.id ?? 0).bytes);
      return 0;
    }
    case F_SETSIG:
      if (arg < 0 || arg > NSIG) sysError("EINVAL");
      fasyncOf(t, f).sig = arg;
      return 0;
    case F_GETSIG:
      return f.fasync?.sig ?? 0;
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW:
      return recordLock(t, f, cmd === F_GETLK ? "get" : cmd === F_SETLK ? "set" : "wait", arg, false, false);
    case F_GETLK64:
    case F_SETLK64:
    case F_SETLKW64:
      if (!wide) sysError("EINVAL");
      return recordLock(t, f, cmd === F_GETLK64 ? "get" : cmd === F_SETLK64 ? "set" : "wait", arg, true, false);
    case F_OFD_GETLK:
    case F_OFD_SETLK:
    case F_OFD_SETLKW:
      return recordLock(t, f, cmd === F_OFD_GETLK ? "get" : cmd === F_OFD_SETLK ? "set" : "wait", arg, wide, true);
    case F_GETPIPE_SZ:
      if (!(f instanceof PipeEnd)) sysError("EBADF");
      return f.pipe.capacity;
    case F_SETPIPE_SZ:
      if (!(f instanceof PipeEnd)) sysError("EBADF");
      return f.pipe.resize(arg >>> 0, capable(t.proc, CAP_SYS_RESOURCE), t.sys.pipeMaxSize);
    case F_ADD_SEALS:
      f.addSeals(arg >>> 0);
      return 0;
    case F_GET_SEALS:
      return f.seals() ?? sysError("EINVAL");
    default:
      return sysError("EINVAL", `fcntl command ${cmd}`);
  }
}

/** F_UNLCK: no lease. */
const F_UNLCK_LEASE = 2;

/** The lease key of a description of a regular file opened through the VFS, else null. */
function regularKey(t: Task, f: OpenFile): string | null {
  return f.ref instanceof VfsRef && (f.stat().mode & S_IFMT) === S_IFREG ? t.fs.lockKey(f) : null;
}

/** F_SETLEASE: a read or write lease on the file, or none (F_UNLCK), as Linux's generic_setlease
 *  checks it: the file's owner (or CAP_LEASE) only (EACCES), a regular file only (EINVAL). The
 *  caller's process becomes the description's owner, which a break signals (SIGIO, or
 *  F_SETSIG's signal with POLL_MSG). */
function setLease(t: Task, f: OpenFile, fd: number, arg: number): number {
  const st = f.stat();
  if (arg !== 0 && arg !== 1 && arg !== F_UNLCK_LEASE) sysError("EINVAL");
  if (st.uid !== t.proc.fsuid && !capable(t.proc, CAP_LEASE)) sysError("EACCES");
  const key = regularKey(t, f);
  if (key === null) return sysError("EINVAL");
  if (arg === F_UNLCK_LEASE) {
    t.fs.leases.remove(f, key);
    return 0;
  }
  const a = fasyncOf(t, f);
  a.setOwner(F_OWNER_PID, t.proc.pid);
  a.fd = fd;
  t.fs.leases.set(f, key, arg, f.mode.write, later(a, "send", POLL_MSG));
  return 0;
}

export const fcntl: Sys = (t, fd, cmd, arg) => fcntlCall(t, fd, cmd, arg, false);
export const fcntl64: Sys = (t, fd, cmd, arg) => fcntlCall(t, fd, cmd, arg, true);

export const getcwd: Sys = (t, buf, size) => {
  const b = Buffer.from(t.cwd + "\0", "latin1");
  if ((size >>> 0) < b.length) sysError("ERANGE");
  t.mem.write(buf, b);
  return b.length;
};

export const chdir: Sys = (t, path) => {
  t.cwd = t.fs.chdir(t, pathArg(t, path), t.cwd);
  return 0;
};

/** chroot(path): the directory becomes the root of the thread's file-system context (shared
 *  with the threads made with CLONE_FS, copied into children). The working directory stays
 *  where it is when it lies inside the new root; one outside it, which Linux would keep,
 *  becomes the new root. */
export const chroot: Sys = (t, path) => {
  const oldRoot = t.fsx.root;
  const root = t.fs.chrootPath(t, pathArg(t, path), t.cwd);
  const cwd = oldRoot === "/" ? t.cwd : t.cwd === "/" ? oldRoot : oldRoot + t.cwd;
  t.fsx.root = root;
  if (root === "/") t.cwd = cwd;
  else t.cwd = cwd === root ? "/" : cwd.startsWith(`${root}/`) ? cwd.slice(root.length) : "/";
  return 0;
};

export const fchdir: Sys = (t, fd) => {
  const f = t.fds.get(fd);
  if (!(f instanceof DirFile) && !(f instanceof PathFile && f.isDirectory)) sysError("ENOTDIR");
  t.cwd = t.fs.fchdir(t, f);
  return 0;
};

/** Rethrows anything but an errno, for code that probes optional behaviour. */
export function isErrno(e: unknown, name: string): boolean {
  return e instanceof SysError && e.errno === name;
}
