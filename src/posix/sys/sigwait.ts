// Advanced signals: sending with a value (rt_sigqueueinfo, rt_tgsigqueueinfo), taking signals
// without a handler (rt_sigtimedwait and its 64-bit-time twin, signalfd/signalfd4), and
// process file descriptors (pidfd_open, pidfd_send_signal). The rules are libexoc/sigwait.ts.

import { VfsRef } from "../../libexoc/vfs/ref.js";
import { SynthVNode } from "../../libexoc/volumes/synth.js";
import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import type { Process } from "../../libexoc/process.js";
import { sysError } from "../../libexoc/errors.js";
import { WouldBlock, EINTR_ON_HANDLER, laterFn, resumable } from "../../libexoc/blocking.js";
import { SignalFd, PidFd, takeSignal, queuedSignals } from "../../libexoc/sigwait.js";
import { NSIG, SIGKILL, SIGSTOP, SIGRTMIN, SI_USER, SI_TKILL, SI_TIMER, SI_KERNEL, SIGCHLD, type SigInfo } from "../../libexoc/signal.js";
import { RLIMIT_SIGPENDING } from "../../libexoc/limits.js";
import { Struct } from "../abi/structs.js";
import { SIGINFO } from "../abi/sigframe.js";
import { O_NONBLOCK, O_CLOEXEC } from "../abi/fcntl.js";
import { putSiginfo } from "./signal.js";
import { readTimespec } from "./time.js";

const SIGSET_SIZE = 8;
const UNBLOCKABLE_LO = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));

/** Reads a siginfo a process sends (rt_sigqueueinfo and friends) as what its receiver will
 *  be told. Codes >= 0 (kill, the kernel) and SI_TKILL may only be claimed for oneself. */
function userSiginfo(t: Task, va: number, sig: number, self: boolean): SigInfo {
  const b = t.mem.read(va, SIGINFO.size);
  const w = (off: number): number => b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24);
  const code = w(SIGINFO.code);
  if ((code >= 0 || code === SI_TKILL) && !self) sysError("EPERM");
  return { signal: sig, code, addr: 0, pid: w(SIGINFO.pid) >>> 0, uid: w(SIGINFO.uid) >>> 0, trapno: 0, error: 0, value: w(SIGINFO.value) >>> 0 };
}

function checkSignal(sig: number): void {
  if (sig < 0 || sig > NSIG) sysError("EINVAL");
}

/** Permission and queue space for sending `sig` to `p`. */
function maySend(t: Task, p: Process, sig: number): void {
  if (!t.sys.maySignal(t.proc, p, sig)) sysError("EPERM");
  if (sig >= SIGRTMIN && queuedSignals(p) >= p.limit(RLIMIT_SIGPENDING)[0]) sysError("EAGAIN");
}

/** rt_sigqueueinfo(tgid, sig, info): a process-directed signal with the sender's siginfo. */
export const rtSigqueueinfo: Sys = (t, tgid, sig, uinfo) => {
  checkSignal(sig);
  const info = userSiginfo(t, uinfo, sig, tgid === t.pid);
  // (any thread's id names its process, as kill's does)
  const p = (tgid > 0 ? t.sys.findProcess(tgid) ?? t.sys.tasks.get(tgid)?.proc : undefined);
  if (p === undefined) return sysError("ESRCH");
  maySend(t, p, sig);
  if (sig !== 0) p.signal(sig, info); // a zombie takes it and ignores it, as on Linux
  return 0;
};

/** rt_tgsigqueueinfo(tgid, tid, sig, info): the same, to one thread of process tgid. */
export const rtTgsigqueueinfo: Sys = (t, tgid, tid, sig, uinfo) => {
  if (tgid <= 0 || tid <= 0) sysError("EINVAL");
  checkSignal(sig);
  const info = userSiginfo(t, uinfo, sig, tid === t.tid);
  const th = t.sys.tasks.get(tid);
  if (th === undefined || !th.alive || th.pid !== tgid) sysError("ESRCH");
  maySend(t, th.proc, sig);
  if (sig !== 0) th.queueSignal(info);
  return 0;
};

/** siginfo_t of a signal taken by sigtimedwait. */
function siginfoBytes(info: SigInfo): Uint8Array {
  const s = new Struct(SIGINFO.size);
  putSiginfo(s, 0, info);
  return s.bytes;
}

/** rt_sigtimedwait(set, info, timeout, sigsetsize): takes a pending signal of `set`, waiting
 *  for one until the timeout (none: forever; zero: a poll); EAGAIN when it passes, EINTR when
 *  a handler of another signal runs (never restarted, as POSIX has it). */
function sigtimedwait(t: Task, set: number, infoVa: number, timeout: number, size: number, wide: boolean): number {
  if (size !== SIGSET_SIZE) sysError("EINVAL");
  const lo = t.mem.u32(set) & ~UNBLOCKABLE_LO, hi = t.mem.u32(set + 4);
  const deadline = timeout !== 0 ? t.deadlineAfter(Number(readTimespec(t, timeout, wide))) : null;
  return takeWaited(t, lo, hi, infoVa, deadline);
}

/** Takes a pending signal of (lo, hi) (its siginfo to `infoVa` unless 0), or waits for one. */
const takeWaited = resumable("posix/sigwait.takeWaited", function takeWaited(t: Task, lo: number, hi: number, infoVa: number, deadline: number | null): number {
  const info = takeSignal(t, lo, hi);
  if (info !== null) {
    if (infoVa !== 0) t.mem.write(infoVa, siginfoBytes(info));
    return info.signal;
  }
  if (deadline !== null && t.kernel.clocks.now(t.sys.clockCap) >= deadline) sysError("EAGAIN");
  throw new WouldBlock([t.proc.sigEvents], deadline, EINTR_ON_HANDLER, laterFn(takeWaited, t, lo, hi, infoVa, deadline), null, [lo, hi]);
});

export const rtSigtimedwait: Sys = (t, set, info, timeout, size) => sigtimedwait(t, set, info, timeout, size, false);
export const rtSigtimedwaitTime64: Sys = (t, set, info, timeout, size) => sigtimedwait(t, set, info, timeout, size, true);

// ---- signalfd ----

/** struct signalfd_siginfo: 128 bytes. */
const SSI = { signo: 0, errno: 4, code: 8, pid: 12, uid: 16, fd: 20, tid: 24, band: 28, overrun: 32, trapno: 36, status: 40, int: 44, ptr: 48, utime: 56, stime: 64, addr: 72, syscall: 84, callAddr: 88, arch: 96, size: 128 } as const;

/** Fills a signalfd_siginfo the way Linux's signalfd_copyinfo does, by siginfo layout (each
 *  signalfd keeps it: registered, so a saved one names it). */
const formatSsi = resumable("posix/sigwait.formatSsi", function formatSsi(info: SigInfo, into: Uint8Array): void {
  const s = new Struct(SSI.size);
  s.u32(SSI.signo, info.signal).i32(SSI.errno, info.errno ?? 0).i32(SSI.code, info.code);
  const ptr = (v: number): bigint => BigInt(v | 0); // (long) si_ptr, sign-extended
  if (info.sys !== undefined) {
    s.i32(SSI.syscall, info.sys.nr).u64(SSI.callAddr, info.sys.callAddr >>> 0).u32(SSI.arch, info.sys.arch);
  } else if (info.code > 0 && info.code < SI_KERNEL && info.signal === SIGCHLD) {
    s.u32(SSI.pid, info.pid).u32(SSI.uid, info.uid).i32(SSI.status, info.status ?? 0);
  } else if (info.poll !== undefined) {
    s.i32(SSI.band, info.poll.band).i32(SSI.fd, info.poll.fd);
  } else if (info.code > 0 && info.code < SI_KERNEL) {
    s.u64(SSI.addr, info.addr >>> 0).u32(SSI.trapno, info.trapno);
  } else if (info.code === SI_TIMER) {
    s.u32(SSI.tid, info.timerId ?? 0).u32(SSI.overrun, info.overrun ?? 0).i32(SSI.int, info.value ?? 0).i64(SSI.ptr, ptr(info.value ?? 0));
  } else if (info.code < 0) {
    s.u32(SSI.pid, info.pid).u32(SSI.uid, info.uid).i32(SSI.int, info.value ?? 0).i64(SSI.ptr, ptr(info.value ?? 0));
  } else {
    s.u32(SSI.pid, info.pid).u32(SSI.uid, info.uid);
  }
  into.set(s.bytes);
});

const SFD_NONBLOCK = O_NONBLOCK, SFD_CLOEXEC = O_CLOEXEC;

function signalfd(t: Task, fd: number, mask: number, size: number, flags: number): number {
  if ((flags & ~(SFD_NONBLOCK | SFD_CLOEXEC)) !== 0 || size !== SIGSET_SIZE) sysError("EINVAL");
  const lo = t.mem.u32(mask) & ~UNBLOCKABLE_LO, hi = t.mem.u32(mask + 4);
  if (fd !== -1) {
    const f = t.fds.get(fd);
    if (!(f instanceof SignalFd)) return sysError("EINVAL");
    f.maskLo = lo;
    f.maskHi = hi;
    t.proc.sigEvents.notify();
    return fd;
  }
  return t.fds.add(new SignalFd(t, lo, hi, (flags & SFD_NONBLOCK) !== 0, SSI.size, formatSsi), (flags & SFD_CLOEXEC) !== 0);
}

export const signalfd4: Sys = (t, fd, mask, size, flags) => signalfd(t, fd, mask, size, flags);
export const signalfdOld: Sys = (t, fd, mask, size) => signalfd(t, fd, mask, size, 0);

/** read(2) of a signalfd: the reading thread's signals, whole records into the guest buffer. */
export const signalfdRead = resumable("posix/sigwait.signalfdRead", function signalfdRead(t: Task, f: SignalFd, buf: number, count: number): number {
  const n = Math.min(count >>> 0, 64 * SSI.size);
  const tmp = new Uint8Array(n - (n % SSI.size) || n);
  let got: number;
  try {
    got = f.readFor(t, tmp);
  } catch (e) {
    // Waiting: the retry must copy out too.
    if (e instanceof WouldBlock) throw new WouldBlock(e.queues, e.deadline, e.restart, laterFn(signalfdRead, t, f, buf, count));
    throw e;
  }
  t.mem.write(buf, tmp.subarray(0, got));
  return got;
});

// ---- pidfd ----

const PIDFD_NONBLOCK = O_NONBLOCK;

export const pidfdOpen: Sys = (t, pid, flags) => {
  if ((flags & ~PIDFD_NONBLOCK) !== 0 || pid <= 0) sysError("EINVAL");
  const p = t.sys.findProcess(pid);
  if (p === undefined) {
    if (t.sys.tasks.has(pid)) sysError("EINVAL"); // a thread that is not its process's leader
    sysError("ESRCH");
  }
  return t.fds.add(new PidFd(p, (flags & PIDFD_NONBLOCK) !== 0), true);
};

/** pidfd_send_signal(pidfd, sig, info, flags): kill, or rt_sigqueueinfo with `info`, to the
 *  process the descriptor names (ESRCH once it has been reaped: its pid may be someone else's
 *  by then, but the descriptor still names the old process). */
export const pidfdSendSignal: Sys = (t, pidfd, sig, uinfo, flags) => {
  if (flags !== 0) sysError("EINVAL");
  const f = t.fds.get(pidfd);
  // (a descriptor of a /proc/PID directory names its process too, as Linux's
  // tgid_pidfd_to_pid allows)
  const node = f.ref instanceof VfsRef && f.ref.node instanceof SynthVNode ? f.ref.node.n : null;
  const p = f instanceof PidFd ? f.proc : node !== null && node.kind === "dir" ? node.process : undefined;
  if (p === undefined) return sysError("EBADF");
  checkSignal(sig);
  // (a siginfo for another signal than the one sent is EINVAL, as Linux's do_pidfd_send_signal)
  if (uinfo !== 0 && t.mem.i32(uinfo) !== sig) sysError("EINVAL");
  if (p.reaped) sysError("ESRCH");
  const info: SigInfo = uinfo !== 0 ? userSiginfo(t, uinfo, sig, p === t.proc) : { signal: sig, code: SI_USER, addr: 0, pid: t.pid, uid: t.proc.uid, trapno: 0, error: 0 };
  maySend(t, p, sig);
  if (sig !== 0) p.signal(sig, info);
  return 0;
};
