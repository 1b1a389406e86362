// Readiness system calls: poll, ppoll, select, _newselect, pselect6 (and their 64-bit-time
// versions), and epoll (create, create1, ctl, wait, pwait, pwait2). Decoding the i386 structures
// (pollfd, fd_set words, timeval/timespec, the pselect6 sigmask pair, the packed 12-byte
// epoll_event) is done here; waiting is libexoc/poll.ts and libexoc/epoll.ts.

import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import { sysError } from "../../libexoc/errors.js";
import { pollItems, withCallMask, type PollItem } from "../../libexoc/poll.js";
import { EpollFile, EPOLLEXCLUSIVE, EPOLLWAKEUP, EPOLLET } from "../../libexoc/epoll.js";
import { WouldBlock, EINTR_ON_HANDLER } from "../../libexoc/blocking.js";
import { POLLIN, POLLOUT, POLLPRI, POLLERR, POLLHUP, POLLRDNORM, POLLRDBAND, POLLWRNORM, POLLWRBAND, PathFile } from "../../libexoc/file.js";
import { readTimespec } from "./time.js";
import { timespec32, timespec64, timeval32, Struct } from "../abi/structs.js";
import { O_CLOEXEC } from "../abi/fcntl.js";

/** Most descriptors a poll set or fd_set may name (RLIMIT_NOFILE's default ceiling). */
const MAX_FDS = 1024 * 1024;
const UNBLOCKABLE_LO = (1 << 8) | (1 << 18); // SIGKILL, SIGSTOP

/** Deadline for a timeout of `ns` nanoseconds from the first run of the call (null: none). */
function deadlineIn(t: Task, ns: number | null): number | null {
  return ns === null ? null : t.deadlineAfter(ns);
}

/** personality(2)'s STICKY_TIMEOUTS: select, pselect and ppoll leave their timeout as it was
 *  (Linux's poll_select_finish). */
const STICKY_TIMEOUTS = 0x4000000;

/** Whether the timeout argument gets what is left written back. */
function timeoutWritten(t: Task, va: number): boolean {
  return va !== 0 && (t.proc.persona & STICKY_TIMEOUTS) === 0;
}

/** What is left of a deadline, in ns (for the timeouts select and ppoll write back). */
function left(t: Task, deadline: number | null): bigint {
  return deadline === null ? 0n : BigInt(Math.max(0, deadline - t.kernel.clock.now()));
}

/** A sigset argument of `size` bytes (8 on i386) as a mask pair, or null for none. */
function sigmask(t: Task, va: number, size: number): [number, number] | null {
  if (va === 0) return null;
  if (size !== 8) sysError("EINVAL");
  return [t.mem.u32(va) & ~UNBLOCKABLE_LO, t.mem.u32(va + 4)];
}

// ---- poll ----

function doPoll(t: Task, fdsVa: number, nfds: number, timeoutNs: number | null, mask: [number, number] | null, after: (deadline: number | null) => void): number {
  nfds >>>= 0;
  if (nfds > MAX_FDS) sysError("EINVAL");
  const raw = nfds === 0 ? new Uint8Array(0) : t.mem.read(fdsVa, nfds * 8);
  const dv = new DataView(raw.buffer);
  // Entries with a negative fd are skipped (revents 0); a closed fd reports POLLNVAL.
  const slots: number[] = [];
  const items: PollItem[] = [];
  for (let k = 0; k < nfds; k++) {
    const fd = dv.getInt32(k * 8, true);
    if (fd < 0) continue;
    slots.push(k);
    items.push({ file: t.fds.has(fd) ? t.fds.get(fd) : null, events: dv.getUint16(k * 8 + 4, true) });
  }
  const deadline = deadlineIn(t, timeoutNs);
  const ready = withCallMask(t, mask, () => pollItems(t, items, deadline));
  for (let k = 0; k < nfds; k++) dv.setUint16(k * 8 + 6, 0, true);
  let n = 0;
  slots.forEach((k, i) => {
    dv.setUint16(k * 8 + 6, ready[i], true);
    if (ready[i] !== 0) n++;
  });
  if (nfds > 0) t.mem.write(fdsVa, raw);
  after(deadline);
  return n;
}

export const poll: Sys = (t, fds, nfds, timeout) => doPoll(t, fds, nfds, timeout < 0 ? null : timeout * 1e6, null, () => {});

function ppoll(t: Task, fds: number, nfds: number, tsVa: number, maskVa: number, size: number, wide: boolean): number {
  const ns = tsVa === 0 ? null : Number(readTimespec(t, tsVa, wide));
  return doPoll(t, fds, nfds, ns, sigmask(t, maskVa, size), (deadline) => {
    if (timeoutWritten(t, tsVa)) t.mem.write(tsVa, wide ? timespec64(left(t, deadline)) : timespec32(left(t, deadline)));
  });
}

export const ppoll32: Sys = (t, fds, nfds, ts, mask, size) => ppoll(t, fds, nfds, ts, mask, size, false);
export const ppoll64: Sys = (t, fds, nfds, ts, mask, size) => ppoll(t, fds, nfds, ts, mask, size, true);

// ---- select ----

const SEL_IN = POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR;
const SEL_OUT = POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR;
const SEL_EX = POLLPRI;

function readSet(t: Task, va: number, words: number): Uint32Array | null {
  if (va === 0) return null;
  const b = t.mem.read(va, words * 4);
  return new Uint32Array(b.buffer, b.byteOffset, words);
}

function doSelect(t: Task, nfds: number, rVa: number, wVa: number, eVa: number, timeoutNs: number | null, mask: [number, number] | null, after: (deadline: number | null) => void): number {
  if (nfds < 0 || nfds > MAX_FDS) sysError("EINVAL");
  const words = (nfds + 31) >>> 5;
  const sets = [readSet(t, rVa, words), readSet(t, wVa, words), readSet(t, eVa, words)];
  const wanted = [SEL_IN, SEL_OUT, SEL_EX];
  const fds: number[] = [];
  const items: PollItem[] = [];
  for (let fd = 0; fd < nfds; fd++) {
    let events = 0;
    for (let s = 0; s < 3; s++) {
      const set = sets[s];
      if (set !== null && ((set[fd >>> 5] >>> (fd & 31)) & 1) !== 0) events |= wanted[s];
    }
    if (events === 0) continue;
    if (!t.fds.has(fd)) sysError("EBADF");
    fds.push(fd);
    items.push({ file: t.fds.get(fd), events });
  }
  const deadline = deadlineIn(t, timeoutNs);
  const ready = withCallMask(t, mask, () => pollItems(t, items, deadline));
  const out = sets.map((s) => (s === null ? null : new Uint32Array(s.length)));
  let n = 0;
  fds.forEach((fd, k) => {
    for (let s = 0; s < 3; s++) {
      const set = sets[s], o = out[s];
      if (set === null || o === null || ((set[fd >>> 5] >>> (fd & 31)) & 1) === 0) continue;
      if ((ready[k] & wanted[s]) !== 0) {
        o[fd >>> 5] |= 1 << (fd & 31);
        n++;
      }
    }
  });
  [rVa, wVa, eVa].forEach((va, s) => {
    const o = out[s];
    if (va !== 0 && o !== null) t.mem.write(va, new Uint8Array(o.buffer));
  });
  after(deadline);
  return n;
}

/** A struct timeval as ns (EINVAL if negative or microseconds out of range). */
function timeval(t: Task, va: number): number {
  const sec = t.mem.i32(va), usec = t.mem.i32(va + 4);
  if (sec < 0 || usec < 0 || usec >= 1e6) sysError("EINVAL");
  return sec * 1e9 + usec * 1e3;
}

/** _newselect: select with a struct timeval that is updated with the time left. */
export const newselect: Sys = (t, nfds, r, w, e, tv) =>
  doSelect(t, nfds, r, w, e, tv === 0 ? null : timeval(t, tv), null, (deadline) => {
    if (timeoutWritten(t, tv)) t.mem.write(tv, timeval32(left(t, deadline)));
  });

/** The old select: one pointer to the five arguments. */
export const oldSelect: Sys = (t, args) => {
  const a = (k: number): number => t.mem.u32(args + k * 4);
  return newselect(t, a(0), a(1), a(2), a(3), a(4), 0);
};

function pselect(t: Task, nfds: number, r: number, w: number, e: number, tsVa: number, sigVa: number, wide: boolean): number {
  let mask: [number, number] | null = null;
  if (sigVa !== 0) mask = sigmask(t, t.mem.u32(sigVa), t.mem.u32(sigVa + 4));
  const ns = tsVa === 0 ? null : Number(readTimespec(t, tsVa, wide));
  return doSelect(t, nfds, r, w, e, ns, mask, (deadline) => {
    if (timeoutWritten(t, tsVa)) t.mem.write(tsVa, wide ? timespec64(left(t, deadline)) : timespec32(left(t, deadline)));
  });
}

export const pselect6: Sys = (t, nfds, r, w, e, ts, sig) => pselect(t, nfds, r, w, e, ts, sig, false);
export const pselect6Time64: Sys = (t, nfds, r, w, e, ts, sig) => pselect(t, nfds, r, w, e, ts, sig, true);

// ---- epoll ----

const EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
/** struct epoll_event is packed on i386: u32 events, u64 data. */
const EVENT_SIZE = 12;
const EPOLL_MAXEVENTS = 0x7fffffff / EVENT_SIZE;

function epollOf(t: Task, fd: number): EpollFile {
  const f = t.fds.get(fd);
  if (!(f instanceof EpollFile)) sysError("EINVAL");
  return f;
}

export const epollCreate1: Sys = (t, flags) => {
  if ((flags & ~O_CLOEXEC) !== 0) sysError("EINVAL");
  return t.fds.add(new EpollFile(), (flags & O_CLOEXEC) !== 0);
};

export const epollCreate: Sys = (t, size) => {
  if (size <= 0) sysError("EINVAL");
  return epollCreate1(t, 0, 0, 0, 0, 0, 0);
};

export const epollCtl: Sys = (t, epfd, op, fd, eventVa) => {
  const ep = epollOf(t, epfd);
  const f = t.fds.get(fd);
  // (an O_PATH descriptor is no file to watch: EBADF, as fdget refuses it)
  if (f instanceof PathFile) sysError("EBADF");
  if (f === ep) sysError("EINVAL");
  if (op === EPOLL_CTL_DEL) {
    ep.remove(fd, f);
    return 0;
  }
  if (op !== EPOLL_CTL_ADD && op !== EPOLL_CTL_MOD) sysError("EINVAL");
  const events = t.mem.u32(eventVa), lo = t.mem.u32(eventVa + 4), hi = t.mem.u32(eventVa + 8);
  if ((events & EPOLLEXCLUSIVE) !== 0 && (events & ~(EPOLLEXCLUSIVE | EPOLLET | EPOLLWAKEUP | POLLIN | POLLOUT | POLLERR | POLLHUP)) !== 0) sysError("EINVAL");
  if (op === EPOLL_CTL_ADD) ep.add(fd, f, events, lo, hi);
  else ep.modify(fd, f, events, lo, hi);
  return 0;
};

function epollWait(t: Task, epfd: number, eventsVa: number, max: number, timeoutNs: number | null, mask: [number, number] | null): number {
  const ep = epollOf(t, epfd);
  if (max <= 0 || max > EPOLL_MAXEVENTS) sysError("EINVAL");
  t.mem.check(eventsVa, max * EVENT_SIZE, true);
  const deadline = deadlineIn(t, timeoutNs);
  const got = withCallMask(t, mask, () => {
    const evs = ep.collect(max);
    if (evs.length > 0 || (deadline !== null && t.kernel.clock.now() >= deadline)) return evs;
    throw new WouldBlock(ep.waitQueues(), deadline, EINTR_ON_HANDLER);
  });
  if (got.length > 0) {
    const s = new Struct(got.length * EVENT_SIZE);
    got.forEach((e, k) => s.u32(k * EVENT_SIZE, e.events).u32(k * EVENT_SIZE + 4, e.dataLo).u32(k * EVENT_SIZE + 8, e.dataHi));
    t.mem.write(eventsVa, s.bytes);
  }
  return got.length;
}

const msTimeout = (ms: number): number | null => (ms < 0 ? null : ms * 1e6);

export const epollWaitSys: Sys = (t, epfd, ev, max, timeout) => epollWait(t, epfd, ev, max, msTimeout(timeout), null);
export const epollPwait: Sys = (t, epfd, ev, max, timeout, maskVa, size) => epollWait(t, epfd, ev, max, msTimeout(timeout), sigmask(t, maskVa, size));
export const epollPwait2: Sys = (t, epfd, ev, max, tsVa, maskVa, size) =>
  epollWait(t, epfd, ev, max, tsVa === 0 ? null : Number(readTimespec(t, tsVa, true)), sigmask(t, maskVa, size));
