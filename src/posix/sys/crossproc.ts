// Calls that reach into another process, under Linux's ptrace access rule with the caller's
// real ids (PTRACE_MODE_*_REALCREDS): process_vm_readv/process_vm_writev copy between the
// caller's memory and another's, kcmp tells whether two processes share a resource,
// pidfd_getfd copies a descriptor out of the process a pidfd names.

import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import type { Process } from "../../libexoc/process.js";
import { sysError, SysError } from "../../libexoc/errors.js";
import { PidFd } from "../../libexoc/sigwait.js";
import { capable, CAP_SYS_PTRACE } from "../../libexoc/capability.js";

/** The thread `tid` names (any thread, as find_task_by_vpid), or ESRCH. */
function taskOf(t: Task, tid: number): Task {
  const task = tid > 0 ? t.sys.tasks.get(tid) : undefined;
  if (task === undefined || !task.alive) return sysError("ESRCH");
  return task;
}

/** Linux's __ptrace_may_access with real credentials: the same process; root; or a caller
 *  whose real ids are all of the target's ids, the target dumpable. */
export function mayAccess(t: Task, p: Process): boolean {
  const c = t.proc;
  if (c === p || capable(c, CAP_SYS_PTRACE)) return true;
  const idsMatch = c.uid === p.uid && c.uid === p.euid && c.uid === p.suid && c.gid === p.gid && c.gid === p.egid && c.gid === p.sgid;
  return idsMatch && p.dumpable !== 0;
}

// ---- process_vm_readv, process_vm_writev ----

const IOV_MAX = 1024;

/** A struct iovec array of the caller's: [base, len] pairs (EINVAL past IOV_MAX or when the
 *  lengths add up past SSIZE_MAX). */
function iovecs(t: Task, va: number, cnt: number): [number, number][] {
  if (cnt >>> 0 > IOV_MAX) sysError("EINVAL");
  const out: [number, number][] = [];
  let total = 0;
  for (let k = 0; k < cnt >>> 0; k++) {
    const base = t.mem.u32(va + k * 8) >>> 0, len = t.mem.u32(va + k * 8 + 4) | 0;
    if (len < 0) sysError("EINVAL");
    // (the lengths are cut to MAX_RW_COUNT in all, as import_iovec cuts them)
    const n = Math.min(len, MAX_RW_COUNT - total);
    total += n;
    out.push([base, n]);
  }
  return out;
}

/** Most bytes one call moves (Linux's MAX_RW_COUNT, INT_MAX rounded down to a page). */
const MAX_RW_COUNT = 0x7ffff000;

/** Copies between the caller's `local` iovecs and the target's `remote` ones, in order, until
 *  either ends; a fault on either side ends the copy, which then returns what it moved (the
 *  fault's error when nothing was). */
function vmCopy(t: Task, pid: number, localVa: number, liovcnt: number, remoteVa: number, riovcnt: number, flags: number, write: boolean): number {
  if (flags !== 0) sysError("EINVAL");
  const local = iovecs(t, localVa, liovcnt);
  if (local.every(([, n]) => n === 0)) return 0;
  const remote = iovecs(t, remoteVa, riovcnt);
  if (remote.every(([, n]) => n === 0)) return 0;
  const target = taskOf(t, pid);
  if (!mayAccess(t, target.proc)) sysError("EPERM");
  const there = target.mem;
  const chunk = new Uint8Array(4096);
  let li = 0, lOff = 0, done = 0;
  try {
    for (const [rBase, rLen] of remote) {
      let rOff = 0;
      while (rOff < rLen) {
        while (li < local.length && lOff >= local[li][1]) {
          li++;
          lOff = 0;
        }
        if (li >= local.length) return done;
        const [lBase, lLen] = local[li];
        // (at most to the end of a page on both sides: a fault then moves nothing of the piece)
        const rAt = (rBase + rOff) >>> 0, lAt = (lBase + lOff) >>> 0;
        const n = Math.min(rLen - rOff, lLen - lOff, 4096 - (rAt & 4095), 4096 - (lAt & 4095));
        const piece = chunk.subarray(0, n);
        if (write) {
          piece.set(t.mem.view(lAt, n, false));
          there.view(rAt, n, true).set(piece);
        } else {
          piece.set(there.view(rAt, n, false));
          t.mem.view(lAt, n, true).set(piece);
        }
        rOff += n;
        lOff += n;
        done += n;
      }
    }
  } catch (e) {
    if (done > 0 && e instanceof SysError) return done;
    throw e;
  }
  return done;
}

export const processVmReadv: Sys = (t, pid, lv, lc, rv, rc, flags) => vmCopy(t, pid, lv, lc, rv, rc, flags, false);
export const processVmWritev: Sys = (t, pid, lv, lc, rv, rc, flags) => vmCopy(t, pid, lv, lc, rv, rc, flags, true);

// ---- kcmp ----

const KCMP_FILE = 0, KCMP_VM = 1, KCMP_FILES = 2, KCMP_FS = 3, KCMP_SIGHAND = 4, KCMP_IO = 5, KCMP_SYSVSEM = 6, KCMP_EPOLL_TFD = 7;

/** A number per object compared, scrambled per type as Linux scrambles its pointers (the
 *  order kcmp reports is consistent but means nothing). */
const ids = new WeakMap<object, number>();
let nextId = 1;
const COOKIES = Array.from({ length: 8 }, () => [(Math.random() * 0x7fffffff) | 1, (Math.random() * 0x7fffffff) | 0]);

function order(a: object, b: object, type: number): number {
  if (a === b) return 0;
  const id = (o: object): number => {
    let v = ids.get(o);
    if (v === undefined) ids.set(o, (v = nextId++));
    return (Math.imul(v ^ COOKIES[type][1], COOKIES[type][0]) >>> 0);
  };
  return id(a) < id(b) ? 1 : 2;
}

export const kcmp: Sys = (t, pid1, pid2, type, idx1, idx2) => {
  const a = taskOf(t, pid1), b = taskOf(t, pid2);
  if (!mayAccess(t, a.proc) || !mayAccess(t, b.proc)) sysError("EPERM");
  switch (type) {
    case KCMP_FILE:
      return order(a.fds.get(idx1 >>> 0), b.fds.get(idx2 >>> 0), type);
    case KCMP_VM:
      return order(a.mm, b.mm, type);
    case KCMP_FILES:
      return order(a.fds, b.fds, type);
    case KCMP_FS:
      return order(a.fsx, b.fsx, type);
    case KCMP_SIGHAND:
      return order(a.sig.handlers, b.sig.handlers, type);
    case KCMP_IO:
      // (Linux makes an I/O context at a process's first block I/O of its own; exojit's guests
      // have none, so every two compare equal, as two processes without one do on Linux)
      return 0;
    case KCMP_SYSVSEM: {
      // (undo lists: none is the same as none; each process has its own, CLONE_SYSVSEM aside,
      // which exojit does not share)
      const sem = t.sys.ipc.sem;
      const ua = sem.hasUndo(a.proc), ub = sem.hasUndo(b.proc);
      return !ua && !ub ? 0 : order(ua ? a.proc : {}, ub ? b.proc : {}, type);
    }
    case KCMP_EPOLL_TFD:
      return sysError("EOPNOTSUPP");
    default:
      return sysError("EINVAL");
  }
};

// ---- pidfd_getfd ----

export const pidfdGetfd: Sys = (t, pidfd, targetfd, flags) => {
  const f = t.fds.get(pidfd);
  if (!(f instanceof PidFd)) return sysError("EBADF");
  if (flags !== 0) sysError("EINVAL");
  const p = f.proc;
  const task = p.leader ?? [...p.threads][0];
  if (task === undefined || p.zombie) sysError("ESRCH");
  if (!mayAccess(t, p)) sysError("EPERM");
  const file = task.fds.get(targetfd);
  file.refs++;
  return t.fds.add(file, true);
};
