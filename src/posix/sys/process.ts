// Process lifetime system calls: fork, vfork, clone, clone3, execve, execveat, exit,
// exit_group, wait4, waitpid, waitid, set_tid_address, set_robust_list, get_robust_list. The
// semantics live in libexoc (clone.ts, exec.ts, waitchild.ts); this file decodes the i386
// arguments and encodes the results.

import { rusageTimes } from "./time.js";
import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import { cloneTask, unshare as unshareTask, CLONE_VM, CLONE_VFORK, CLONE_SETTLS, CLONE_PIDFD, CLONE_PARENT_SETTID } from "../../libexoc/clone.js";
import { PidFd } from "../../libexoc/sigwait.js";
import { execProgram } from "../../libexoc/exec.js";
import { traceExec, traceExitEvent } from "../../libexoc/ptrace.js";
import { PathFile } from "../../libexoc/file.js";
import { waitChild, type ChildSelector, type WaitReport } from "../../libexoc/waitchild.js";
import { sysError } from "../../libexoc/errors.js";
import { SIGCHLD, NSIG } from "../../libexoc/signal.js";
import { Struct } from "../abi/structs.js";
import { pathArg, baseDir } from "./file.js";
import { setTlsFrom } from "./tls.js";
import type { LinuxPersonality } from "../linux.js";
import { mayAccess } from "./crossproc.js";

const EAX = 0, ESP = 4;
/** clone flags that only clone3 knows, and the exit-signal byte of clone's flags. */
const CSIGNAL = 0xff;
const CLONE_CLEAR_SIGHAND = 0x100000000;

function clone(t: Task, flags: number, stack: number, ptid: number, tls: number, ctid: number, exitSignal: number, pidfd = 0): number {
  if (exitSignal < 0 || exitSignal > NSIG) sysError("EINVAL");
  return cloneTask(t, {
    flags, exitSignal, stack, parentTid: ptid, childTid: ctid, pidfd, resultReg: EAX, stackReg: ESP,
    setTls: (flags & CLONE_SETTLS) !== 0 ? (child) => setTlsFrom(child, tls, t) : null,
  });
}

export const fork: Sys = (t) => clone(t, 0, 0, 0, 0, 0, SIGCHLD);
export const vfork: Sys = (t) => clone(t, CLONE_VM | CLONE_VFORK, 0, 0, 0, 0, SIGCHLD);

/** i386 clone(flags, newsp, parent_tidptr, tls, child_tidptr). */
export const unshare: Sys = (t, flags) => {
  unshareTask(t, flags);
  return 0;
};

export const cloneSys: Sys = (t, flags, sp, ptid, tls, ctid) => {
  // (the old clone stores a pidfd where CLONE_PARENT_SETTID stores the tid: not both)
  if ((flags & CLONE_PIDFD) !== 0 && (flags & CLONE_PARENT_SETTID) !== 0) sysError("EINVAL");
  return clone(t, flags & ~CSIGNAL, sp >>> 0, ptid, tls, ctid, flags & CSIGNAL, ptid);
};

/** clone3(struct clone_args *, size): 64-bit fields flags, pidfd, child_tid, parent_tid,
 *  exit_signal, stack, stack_size, tls (set_tid and cgroup are refused). */
export const clone3: Sys = (t, args, size) => {
  size >>>= 0;
  if (size < 64 || size > 4096) sysError("EINVAL");
  const b = t.mem.read(args, size);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const u64 = (off: number): number => Number(dv.getBigUint64(off, true));
  for (let off = 64; off < size; off++) if (b[off] !== 0 && off >= 88) sysError("E2BIG");
  const flags = u64(0);
  if (flags >= CLONE_CLEAR_SIGHAND * 2 || (flags & 0xff) !== 0) sysError("EINVAL");
  if (flags >= CLONE_CLEAR_SIGHAND) sysError("EINVAL", "CLONE_CLEAR_SIGHAND is not supported");
  if (size > 64 && (u64(64) !== 0 || u64(72) !== 0)) sysError("EINVAL", "set_tid is not supported");
  const stack = u64(40), stackSize = u64(48);
  if ((stack === 0) !== (stackSize === 0)) sysError("EINVAL");
  return clone(t, flags | 0, stack === 0 ? 0 : (stack + stackSize) >>> 0, u64(24), u64(56), u64(16), u64(32), u64(8));
};

export const exit: Sys = (t, code) => {
  // (a tracer that asked sees the thread at its exit first: it ends when let go)
  if (traceExitEvent(t, -1 - (code & 0xff), (code & 0xff) << 8)) return 0;
  t.exitThread(code);
  return 0;
};

export const exitGroup: Sys = (t, code) => {
  if (traceExitEvent(t, code & 0xff, (code & 0xff) << 8)) return 0;
  t.proc.exitGroup({ kind: "exit", code: code & 0xff });
  return 0;
};

function doExec(t: Task, path: string, base: string, argvVa: number, envpVa: number, noFollow: boolean, fdFile: ReturnType<Task["fds"]["get"]> | undefined): number {
  const argv = t.mem.stringArray(argvVa);
  const envp = t.mem.stringArray(envpVa);
  // (no arguments at all: the program gets one empty argv[0], as Linux gives it since 5.18,
  // so that argv[1] is never the first environment string)
  if (argv.length === 0) argv.push(Buffer.alloc(0));
  execProgram(t, { path, base, argv, envp, noFollow, file: fdFile }, t.personality as LinuxPersonality);
  traceExec(t);
  return 0;
}

export const execve: Sys = (t, pathVa, argv, envp) => doExec(t, pathArg(t, pathVa), t.cwd, argv, envp, false, undefined);

const AT_EMPTY_PATH = 0x1000, AT_SYMLINK_NOFOLLOW = 0x100;

export const execveat: Sys = (t, dirfd, pathVa, argv, envp, flags) => {
  if ((flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) !== 0) sysError("EINVAL");
  const p = t.mem.cstring(pathVa, 4096).toString("latin1");
  if (p.length === 0) {
    if ((flags & AT_EMPTY_PATH) === 0) sysError("ENOENT");
    const f = t.fds.get(dirfd);
    // (a descriptor that cannot be read, as O_PATH's cannot, names the file: it is opened
    // again to be run, with the exec permission checks)
    if (f instanceof PathFile || !f.mode.read) return doExec(t, f.path, "/", argv, envp, false, undefined);
    return doExec(t, f.path, "/", argv, envp, false, f);
  }
  return doExec(t, p, baseDir(t, dirfd, p), argv, envp, (flags & AT_SYMLINK_NOFOLLOW) !== 0, undefined);
};

/** wait options (linux/wait.h). */
const WNOHANG = 1, WUNTRACED = 2, WEXITED = 4, WCONTINUED = 8, WNOWAIT = 0x01000000;
const WNOTHREAD = 0x20000000, WALL = 0x40000000, WCLONE = 0x80000000 | 0;

/** The child selector of wait4's pid argument. */
function selector(t: Task, pid: number): ChildSelector {
  if (pid > 0) return { kind: "pid", pid };
  if (pid === -1) return { kind: "any" };
  if (pid === 0) return { kind: "pgid", pgid: t.proc.pgid };
  return { kind: "pgid", pgid: -pid };
}

/** The wait status word as Linux encodes it. */
function statusWord(r: WaitReport): number {
  switch (r.kind) {
    case "exited":
      return (r.status & 0xff) << 8;
    case "killed":
      return r.status & 0x7f;
    case "dumped":
      return (r.status & 0x7f) | 0x80;
    case "stopped":
    case "trapped":
      return ((r.status & 0xffff) << 8) | 0x7f;
    case "continued":
      return 0xffff;
  }
}

/** struct rusage (i386, 72 bytes): user and system time, then 14 longs. */
function putRusage(t: Task, va: number, cpuNs: number, sysNs: number): void {
  t.mem.write(va, rusageTimes(new Struct(72), cpuNs, sysNs).bytes);
}

export const wait4: Sys = (t, pid, statusVa, options, rusage) => {
  if ((options & ~(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE)) !== 0) sysError("EINVAL");
  // (INT_MIN names no group: its negation does not fit)
  if ((pid | 0) === -2147483648) sysError("ESRCH");
  const r = waitChild(t, selector(t, pid), {
    noHang: (options & WNOHANG) !== 0, exited: true, stopped: (options & WUNTRACED) !== 0, continued: (options & WCONTINUED) !== 0, noWait: false,
  });
  if (r === null) return 0;
  if (statusVa !== 0) t.mem.putU32(statusVa, statusWord(r));
  if (rusage !== 0) putRusage(t, rusage, r.cpuNs, r.sysNs);
  return r.pid;
};

export const waitpid: Sys = (t, pid, statusVa, options) => wait4(t, pid, statusVa, options, 0, 0, 0);

/** waitid id types. */
const P_ALL = 0, P_PID = 1, P_PGID = 2, P_PIDFD = 3;
/** SIGCHLD si_code values. */
const CLD_CODES: Record<WaitReport["kind"], number> = { exited: 1, killed: 2, dumped: 3, trapped: 4, stopped: 5, continued: 6 };

export const waitid: Sys = (t, idtype, id, infop, options, rusage) => {
  if ((options & ~(WNOHANG | WEXITED | WUNTRACED | WCONTINUED | WNOWAIT | WNOTHREAD | WALL | WCLONE)) !== 0) sysError("EINVAL");
  if ((options & (WEXITED | WUNTRACED | WCONTINUED)) === 0) sysError("EINVAL");
  let sel: ChildSelector;
  let nonblockPidfd = false;
  switch (idtype) {
    case P_ALL:
      sel = { kind: "any" };
      break;
    case P_PID:
      if (id <= 0) sysError("EINVAL");
      sel = { kind: "pid", pid: id };
      break;
    case P_PGID:
      if (id < 0) sysError("EINVAL");
      sel = { kind: "pgid", pgid: id === 0 ? t.proc.pgid : id };
      break;
    case P_PIDFD: {
      // (the process a pidfd names: EBADF for no descriptor, EINVAL for one that is no pidfd;
      // a non-blocking pidfd waits as WNOHANG does, and finding nothing is EAGAIN unless the
      // caller asked for WNOHANG itself)
      const f = t.fds.get(id);
      if (!(f instanceof PidFd)) return sysError("EINVAL");
      sel = { kind: "pid", pid: f.proc.pid };
      nonblockPidfd = f.mode.nonblock;
      break;
    }
    default:
      return sysError("EINVAL");
  }
  const r = waitChild(t, sel, {
    noHang: (options & WNOHANG) !== 0 || nonblockPidfd, exited: (options & WEXITED) !== 0, stopped: (options & WUNTRACED) !== 0,
    continued: (options & WCONTINUED) !== 0, noWait: (options & WNOWAIT) !== 0,
  });
  if (r === null && nonblockPidfd && (options & WNOHANG) === 0) sysError("EAGAIN");
  if (infop !== 0) {
    const s = new Struct(128);
    if (r !== null) s.u32(0, SIGCHLD).u32(8, CLD_CODES[r.kind]).u32(12, r.pid).u32(16, r.uid).u32(20, r.status);
    t.mem.write(infop, s.bytes);
  }
  if (rusage !== 0) putRusage(t, rusage, r?.cpuNs ?? 0, r?.sysNs ?? 0);
  return 0;
};

export const setTidAddress: Sys = (t, addr) => {
  t.clearTid = addr >>> 0;
  return t.tid;
};

/** struct robust_list_head is 12 bytes on i386. */
const ROBUST_HEAD_SIZE = 12;

export const setRobustList: Sys = (t, head, len) => {
  if (len !== ROBUST_HEAD_SIZE) sysError("EINVAL");
  t.robustList = head >>> 0;
  t.robustLen = len;
  return 0;
};

/** get_robust_list: another thread's needs the right to inspect its process (EPERM), as
 *  Linux's ptrace_may_access with real credentials. */
export const getRobustList: Sys = (t, pid, headVa, lenVa) => {
  const target = pid === 0 ? t : t.sys.tasks.get(pid);
  if (target === undefined || !target.alive) return sysError("ESRCH");
  if (target.proc !== t.proc && !mayAccess(t, target.proc)) sysError("EPERM");
  t.mem.putU32(headVa, target.robustList);
  t.mem.putU32(lenVa, ROBUST_HEAD_SIZE);
  return 0;
};
