// File locks and syncing: fcntl's record locks (struct flock and flock64, POSIX and
// open-description locks), flock, fsync/fdatasync/sync/syncfs. The rules are libexoc's
// (vfs/locks.ts); this file converts the structures.

import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import type { OpenFile } from "../../libexoc/file.js";
import { PathFile } from "../../libexoc/file.js";
import { sysError } from "../../libexoc/errors.js";
import { lockRange, type LockKind } from "../../libexoc/vfs/locks.js";
import { Struct } from "../abi/structs.js";
import { F_RDLCK, F_WRLCK, F_UNLCK, LOCK_SH, LOCK_EX, LOCK_NB, LOCK_UN } from "../abi/fcntl.js";

const SEEK_SET = 0;
/** struct flock (32-bit offsets) and struct flock64 on i386: type, whence, start, len, pid. */
const FLOCK_SIZE = 16, FLOCK64_SIZE = 24;

interface Flock {
  type: number;
  whence: number;
  start: number;
  len: number;
  pid: number;
}

function readFlock(t: Task, va: number, wide: boolean): Flock {
  const b = t.mem.read(va, wide ? FLOCK64_SIZE : FLOCK_SIZE);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const type = dv.getInt16(0, true), whence = dv.getInt16(2, true);
  if (wide) return { type, whence, start: Number(dv.getBigInt64(4, true)), len: Number(dv.getBigInt64(12, true)), pid: dv.getInt32(20, true) };
  return { type, whence, start: dv.getInt32(4, true), len: dv.getInt32(8, true), pid: dv.getInt32(12, true) };
}

function writeFlock(t: Task, va: number, wide: boolean, l: Flock): void {
  if (wide) {
    t.mem.write(va, new Struct(FLOCK64_SIZE).u16(0, l.type).u16(2, l.whence).i64(4, l.start).i64(12, l.len).u32(20, l.pid).bytes);
    return;
  }
  if (l.start > 0x7fffffff || l.len > 0x7fffffff) sysError("EOVERFLOW");
  t.mem.write(va, new Struct(FLOCK_SIZE).u16(0, l.type).u16(2, l.whence).u32(4, l.start).u32(8, l.len).u32(12, l.pid).bytes);
}

/** F_GETLK/F_SETLK/F_SETLKW and their 64-bit and open-description forms. */
export function recordLock(t: Task, f: OpenFile, op: "get" | "set" | "wait", va: number, wide: boolean, ofd: boolean): number {
  if (f instanceof PathFile) sysError("EBADF");
  const l = readFlock(t, va, wide);
  if (l.type !== F_RDLCK && l.type !== F_WRLCK && l.type !== F_UNLCK) sysError("EINVAL");
  if (ofd && l.pid !== 0) sysError("EINVAL");
  const [start, end] = lockRange(f, l.whence, l.start, l.len);
  const key = t.fs.lockKey(f);
  const owner: object = ofd ? f : t.fds;
  const locks = t.fs.locks;
  if (op === "get") {
    if (l.type === F_UNLCK) sysError("EINVAL");
    const c = locks.test(key, owner, l.type === F_WRLCK ? "write" : "read", start, end);
    if (c === null) writeFlock(t, va, wide, { ...l, type: F_UNLCK });
    else writeFlock(t, va, wide, { type: c.kind === "write" ? F_WRLCK : F_RDLCK, whence: SEEK_SET, start: c.start, len: c.end === Infinity ? 0 : c.end - c.start + 1, pid: c.pid });
    return 0;
  }
  let kind: LockKind | null = null;
  if (l.type === F_RDLCK) {
    if (!f.mode.read) sysError("EBADF");
    kind = "read";
  } else if (l.type === F_WRLCK) {
    if (!f.mode.write) sysError("EBADF");
    kind = "write";
  }
  locks.set(key, owner, ofd ? -1 : t.pid, kind, start, end, op === "wait", !ofd);
  return 0;
}

export const flock: Sys = (t, fd, op) => {
  const f = t.fds.get(fd);
  if (f instanceof PathFile) sysError("EBADF");
  const what = op & ~LOCK_NB;
  if (what !== LOCK_SH && what !== LOCK_EX && what !== LOCK_UN) sysError("EINVAL");
  t.fs.locks.flock(t.fs.lockKey(f), f, what === LOCK_UN ? null : what === LOCK_EX ? "write" : "read", (op & LOCK_NB) !== 0, t.proc.pid);
  return 0;
};

export const fsync: Sys = (t, fd) => (t.fds.get(fd).fsync(false), 0);
export const fdatasync: Sys = (t, fd) => (t.fds.get(fd).fsync(true), 0);
export const sync: Sys = (t) => (t.fs.sync(), 0);
export const syncfs: Sys = (t, fd) => {
  const f = t.fds.get(fd);
  if (f instanceof PathFile) sysError("EBADF");
  t.fs.syncfs(f);
  return 0;
};
