// Creating processes and threads: fork, vfork and clone as one operation with flags saying what
// the new task shares with its creator (Linux's clone flags, which POSIX fork and pthreads are
// built from). The exokernel makes the environment (a copy of the caller's registers, in the
// same address space or a copy-on-write duplicate); everything else is decided here.

import { PidFd } from "./sigwait.js";
import { Process } from "./process.js";
import { Task, FsContext } from "./task.js";
import { SignalState, SigHandlers } from "./signal.js";
import { WouldBlock, UNINTERRUPTIBLE, laterFn, resumable } from "./blocking.js";
import { sysError } from "./errors.js";
import { copyCaps } from "./capability.js";
import { traceClone } from "./ptrace.js";
import type { Mm } from "./mm.js";
import type { FdTable } from "./fdtable.js";

/** clone flags (linux/sched.h). */
export const CLONE_VM = 0x100, CLONE_FS = 0x200, CLONE_FILES = 0x400, CLONE_SIGHAND = 0x800;
export const CLONE_PIDFD = 0x1000, CLONE_PTRACE = 0x2000, CLONE_VFORK = 0x4000, CLONE_PARENT = 0x8000;
export const CLONE_THREAD = 0x10000, CLONE_NEWNS = 0x20000, CLONE_SYSVSEM = 0x40000, CLONE_SETTLS = 0x80000;
export const CLONE_PARENT_SETTID = 0x100000, CLONE_CHILD_CLEARTID = 0x200000, CLONE_DETACHED = 0x400000;
export const CLONE_UNTRACED = 0x800000, CLONE_CHILD_SETTID = 0x1000000, CLONE_NEWCGROUP = 0x2000000;
export const CLONE_NEWUTS = 0x4000000, CLONE_NEWIPC = 0x8000000, CLONE_NEWUSER = 0x10000000;
export const CLONE_NEWPID = 0x20000000, CLONE_NEWNET = 0x40000000, CLONE_IO = 0x80000000 | 0;
/** Namespaces: not supported (a new namespace would need a separate system). */
export const CLONE_NAMESPACES = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET;

export interface CloneArgs {
  flags: number;
  /** Signal sent to the parent when the child ends (fork: SIGCHLD). */
  exitSignal: number;
  /** Stack pointer of the new task (0: the caller's). */
  stack: number;
  /** Where to store the child's tid in the parent (CLONE_PARENT_SETTID). */
  parentTid: number;
  /** Where to store (CLONE_CHILD_SETTID) or clear (CLONE_CHILD_CLEARTID) it in the child. */
  childTid: number;
  /** Sets the new task's thread pointer (CLONE_SETTLS): what the ABI layer makes of `tls`. */
  setTls: ((child: Task) => void) | null;
  /** Where to store a pidfd of the child (CLONE_PIDFD), close-on-exec, in the caller. */
  pidfd?: number;
  /** Register index of the system call's result (the child sees 0 there). */
  resultReg: number;
  /** Register index of the stack pointer. */
  stackReg: number;
}

/** Creates the task; returns its id (the caller's result). vfork-style calls wait until the
 *  child execs or ends. */
export function cloneTask(t: Task, a: CloneArgs): number {
  const f = a.flags;
  if (f & CLONE_NAMESPACES) sysError("EINVAL", "namespaces are not supported");
  if ((f & CLONE_THREAD) && !(f & CLONE_SIGHAND)) sysError("EINVAL");
  if ((f & CLONE_SIGHAND) && !(f & CLONE_VM)) sysError("EINVAL");
  // (a pidfd names a process: a thread gets none)
  if ((f & CLONE_PIDFD) && (f & CLONE_THREAD)) sysError("EINVAL");
  const sys = t.sys;
  const k = t.kernel;
  sys.checkTaskLimit(t.proc);
  if ((f & CLONE_FILES) === 0) t.fds.copyFits(sys.nrOpen);
  const tid = sys.allocPid();

  // The process: the caller's for a thread, else a new one.
  let proc: Process;
  if (f & CLONE_THREAD) {
    proc = t.proc;
  } else {
    const parent = f & CLONE_PARENT ? t.proc.parent : t.proc;
    proc = new Process(sys, tid, parent);
    const src = t.proc;
    proc.pgid = src.pgid;
    proc.sid = src.sid;
    proc.ctty = src.ctty;
    proc.uid = src.uid;
    proc.euid = src.euid;
    proc.suid = src.suid;
    proc.gid = src.gid;
    proc.egid = src.egid;
    proc.sgid = src.sgid;
    proc.groups = [...src.groups];
    proc.fsuidSet = src.fsuidSet;
    proc.fsgidSet = src.fsgidSet;
    copyCaps(proc, src);
    proc.oomScoreAdj = src.oomScoreAdj;
    proc.oomScoreAdjMin = src.oomScoreAdjMin;
    proc.coredumpFilter = src.coredumpFilter;
    proc.keys.session = src.keys.session;
    proc.keys.reqkeyDefault = src.keys.reqkeyDefault;
    proc.rlimits = new Map(src.rlimits);
    proc.exe = src.exe;
    proc.argv = src.argv;
    proc.envp = src.envp;
    proc.exitSignal = a.exitSignal;
    proc.persona = src.persona;
    proc.noNewPrivs = src.noNewPrivs;
    proc.dumpable = src.dumpable;
    // (the address space is copied with its membarrier registrations; exec clears them)
    proc.membarrierRegistered = src.membarrierRegistered;
    proc.poolCap = k.newPool(sys.frameLimit);
    sys.exo.forked(src, proc);
  }

  // The environment: the caller's registers in the same space, or a copy-on-write duplicate.
  const share = (f & CLONE_VM) !== 0;
  const env = k.cloneEnv(t.env, share ? t.proc.poolCap : proc.poolCap, share);
  let mm: Mm;
  if (share) {
    mm = t.mm;
    mm.users++;
  } else {
    mm = t.mm.fork(k.aspaceOf(env));
  }
  let fds: FdTable;
  if (f & CLONE_FILES) {
    fds = t.fds;
    fds.users++;
  } else {
    fds = t.fds.clone();
  }
  let fsx: FsContext;
  if (f & CLONE_FS) {
    fsx = t.fsx;
    fsx.users++;
  } else {
    fsx = t.fsx.copy();
  }
  const sig = new SignalState(f & CLONE_SIGHAND ? t.sig.handlers : new SigHandlers(t.sig.handlers));
  sig.maskLo = t.sig.maskLo;
  sig.maskHi = t.sig.maskHi;

  const child = new Task({ sys, proc, tid, env, mm, fds, fsx, sig });
  child.tls = [...t.tls];
  child.comm = Buffer.from(t.comm);
  // The scheduling policy is inherited (the environment's fixed priority came with it), unless
  // the parent asked for SCHED_RESET_ON_FORK: then SCHED_OTHER (for SCHED_FIFO and SCHED_RR)
  // and a nice value of at least 0, the flag itself not inherited.
  child.schedPolicy = t.schedPolicy;
  child.ioprio = t.ioprio;
  child.seccompMode = t.seccompMode;
  child.seccomp = t.seccomp;
  child.timerSlack = child.defaultTimerSlack = t.timerSlack;
  if (t.resetOnFork) {
    if (t.schedPolicy === 1 || t.schedPolicy === 2) child.schedPolicy = 0;
    k.setFixedPriority(env, 0, false);
    if (k.env(env).nice < 0) k.setNice(env, 0);
  }
  // A thread (shared memory, not vfork) starts without the creator's alternate stack.
  if (!share || (f & CLONE_VFORK)) child.altStack = { ...t.altStack };
  const r = k.regs(env);
  r[a.resultReg] = 0;
  if (a.stack !== 0) r[a.stackReg] = a.stack;
  if (f & CLONE_SETTLS && a.setTls !== null) a.setTls(child);
  if (f & CLONE_CHILD_CLEARTID) child.clearTid = a.childTid >>> 0;
  let pidfd = -1;
  try {
    if (f & CLONE_PIDFD) {
      pidfd = t.fds.add(new PidFd(proc, false), true);
      t.mem.putU32(a.pidfd ?? 0, pidfd);
    }
    if (f & CLONE_CHILD_SETTID) child.mem.putU32(a.childTid, tid);
    if (f & CLONE_PARENT_SETTID) t.mem.putU32(a.parentTid, tid);
  } catch (e) {
    if (pidfd >= 0) t.fds.close(pidfd);
    // Linux creates the task first and fails the call if a tid cannot be stored.
    child.die();
    // (a new process that never ran is no child to wait for: gone, as if never made)
    if (proc !== t.proc) {
      sys.exo.exit(proc);
      sys.reap(proc);
    }
    throw e;
  }
  sys.addTask(child);
  traceClone(t, child, f, a.exitSignal);

  if ((f & CLONE_VFORK) === 0) return tid;
  // vfork: the caller waits until the child lets go of the memory they share.
  proc.vforkParent = t.proc;
  return vforkWait(proc, tid);
}

/** A vfork parent waits until `child` lets go of the memory; the call's result is its `tid`. */
const vforkWait = resumable("clone.vforkWait", function vforkWait(child: Process, tid: number): number {
  if (!child.vforkPending) return tid;
  throw new WouldBlock([child.vforkDone], null, UNINTERRUPTIBLE, laterFn(vforkWait, child, tid));
});

/**
 * unshare(flags): the caller stops sharing what its flags name with the threads and
 * processes it shared them with. CLONE_FILES and CLONE_FS give it a copy of its descriptor
 * table and file-system context; CLONE_SYSVSEM has nothing to undo (semaphore adjustments are
 * per process here); CLONE_THREAD, CLONE_SIGHAND and CLONE_VM are allowed only when nothing
 * shares them (a single thread), as in Linux. New namespaces are EINVAL, as from a kernel
 * built without them.
 */
export function unshare(t: Task, flags: number): void {
  const known = CLONE_FILES | CLONE_FS | CLONE_SYSVSEM | CLONE_THREAD | CLONE_SIGHAND | CLONE_VM | CLONE_NAMESPACES;
  if ((flags & ~known) !== 0 || (flags & CLONE_NAMESPACES) !== 0) sysError("EINVAL");
  if ((flags & (CLONE_THREAD | CLONE_SIGHAND | CLONE_VM)) !== 0 && t.proc.threads.size > 1) sysError("EINVAL");
  if ((flags & CLONE_FILES) !== 0) t.ownFds();
  if ((flags & CLONE_FS) !== 0) t.ownFsContext();
}
