// Advice and space for open files: fadvise64 and fadvise64_64 (posix_fadvise), readahead,
// sync_file_range, and fallocate.
//
// fadvise checks what Linux's generic_fadvise checks and then takes the advice as a hint it
// may ignore (the page cache reads ahead on its own). fallocate does what each mode asks with
// the file's own writes and size: plain allocation extends the size (the new bytes read as
// zeros), FALLOC_FL_KEEP_SIZE leaves it (memory and host files need no reservation), and
// FALLOC_FL_PUNCH_HOLE and FALLOC_FL_ZERO_RANGE write zeros over the range; collapsing,
// inserting and unsharing ranges are EOPNOTSUPP, as on file systems without them.

import { fsizeAllows } from "./fsops.js";
import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import { sysError } from "../../libexoc/errors.js";
import { PathFile, S_IFMT, S_IFIFO, S_IFDIR, S_IFREG, S_IFBLK, S_IFLNK, type OpenFile } from "../../libexoc/file.js";
import { arg64 } from "./file.js";

const POSIX_FADV_NOREUSE = 5;
const FALLOC_FL_KEEP_SIZE = 1, FALLOC_FL_PUNCH_HOLE = 2, FALLOC_FL_NO_HIDE_STALE = 4, FALLOC_FL_COLLAPSE_RANGE = 8;
const FALLOC_FL_ZERO_RANGE = 0x10, FALLOC_FL_INSERT_RANGE = 0x20, FALLOC_FL_UNSHARE_RANGE = 0x40;
/** The bits that choose the operation (Linux's FALLOC_FL_MODE_MASK), and every bit known. */
const FALLOC_MODES = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_ZERO_RANGE | FALLOC_FL_INSERT_RANGE | FALLOC_FL_UNSHARE_RANGE;
const FALLOC_KNOWN = FALLOC_MODES | FALLOC_FL_KEEP_SIZE | FALLOC_FL_NO_HIDE_STALE;
/** Largest file offset (Linux's MAX_LFS_FILESIZE on 32-bit, as JavaScript can count exactly). */
const MAX_OFFSET = Number.MAX_SAFE_INTEGER;

/** The open file `fd` names, not an O_PATH one (which these calls do not see: EBADF). */
function openFile(t: Task, fd: number): OpenFile {
  const f = t.fds.get(fd);
  if (f instanceof PathFile) sysError("EBADF");
  return f;
}

function fadvise(t: Task, fd: number, offset: number, len: number, advice: number): number {
  const f = openFile(t, fd);
  if ((f.stat().mode & S_IFMT) === S_IFIFO) sysError("ESPIPE");
  if (len < 0 || advice < 0 || advice > POSIX_FADV_NOREUSE) sysError("EINVAL");
  void offset;
  return 0;
}

/** (fadvise64's length is a size_t: never negative) */
export const fadvise64: Sys = (t, fd, lo, hi, len, advice) => fadvise(t, fd, arg64(lo, hi), len >>> 0, advice);
export const fadvise64_64: Sys = (t, fd, lo, hi, lenLo, lenHi, advice) => fadvise(t, fd, arg64(lo, hi), arg64(lenLo, lenHi), advice);

/** readahead: a hint, for regular files open for reading (else EBADF, or EINVAL). */
export const readahead: Sys = (t, fd) => {
  const f = openFile(t, fd);
  if (!f.mode.read) sysError("EBADF");
  if ((f.stat().mode & S_IFMT) !== S_IFREG) sysError("EINVAL");
  return 0;
};

const SYNC_FILE_RANGE_ALL = 7;

/** sync_file_range: nothing to start or wait for (writes reach the file at once); Linux's
 *  checks of the flags, the range and the kind of file. */
export const syncFileRange: Sys = (t, fd, offLo, offHi, lenLo, lenHi, flags) => {
  const f = openFile(t, fd);
  const offset = arg64(offLo, offHi), len = arg64(lenLo, lenHi);
  if ((flags & ~SYNC_FILE_RANGE_ALL) !== 0 || offset < 0 || len < 0 || offset + len > MAX_OFFSET) sysError("EINVAL");
  const type = f.stat().mode & S_IFMT;
  if (type !== S_IFREG && type !== S_IFBLK && type !== S_IFDIR && type !== S_IFLNK) sysError("ESPIPE");
  return 0;
};

/** Writes zeros over [from, to) of `f`, a chunk at a time. */
function zeroRange(f: OpenFile, from: number, to: number): void {
  const zeros = new Uint8Array(Math.min(1 << 16, Math.max(0, to - from)));
  for (let at = from; at < to; ) {
    const n = f.pwrite(zeros.subarray(0, Math.min(zeros.length, to - at)), at);
    if (n <= 0) sysError("EIO");
    at += n;
  }
}

export const fallocate: Sys = (t, fd, mode, offLo, offHi, lenLo, lenHi) => {
  const f = openFile(t, fd);
  const offset = arg64(offLo, offHi), len = arg64(lenLo, lenHi);
  if (offset < 0 || len <= 0) sysError("EINVAL");
  if ((mode & ~FALLOC_KNOWN) !== 0) sysError("EOPNOTSUPP");
  // One operation at a time, as Linux 6 checks them: a hole is punched inside the file only,
  // and collapsing or inserting a range always changes the size.
  const keepSize = (mode & FALLOC_FL_KEEP_SIZE) !== 0;
  switch (mode & FALLOC_MODES) {
    case 0:
    case FALLOC_FL_UNSHARE_RANGE:
    case FALLOC_FL_ZERO_RANGE:
      break;
    case FALLOC_FL_PUNCH_HOLE:
      if (!keepSize) sysError("EOPNOTSUPP");
      break;
    case FALLOC_FL_COLLAPSE_RANGE:
    case FALLOC_FL_INSERT_RANGE:
      if (keepSize) sysError("EOPNOTSUPP");
      break;
    default:
      sysError("EOPNOTSUPP");
  }
  if (!f.mode.write) sysError("EBADF");
  const type = f.stat().mode & S_IFMT;
  if (type === S_IFIFO) sysError("ESPIPE");
  if (type === S_IFDIR) sysError("EISDIR");
  if (type !== S_IFREG && type !== S_IFBLK) sysError("ENODEV");
  if (offset + len > MAX_OFFSET) sysError("EFBIG");
  if ((mode & (FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE | FALLOC_FL_UNSHARE_RANGE)) !== 0 || type === S_IFBLK) sysError("EOPNOTSUPP");
  const size = Number(f.stat().size), end = offset + len;
  if ((mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) !== 0) zeroRange(f, offset, Math.min(end, size));
  if (!keepSize && end > size) {
    fsizeAllows(t, end, size);
    t.fs.ftruncate(f, end);
  }
  return 0;
};
