// Process identity and control: the id getters, process groups and sessions, kill/tkill/tgkill,
// resource limits, scheduling (sched_yield, nice, priorities, affinity), umask and prctl.
// Creation, exec and waiting are in process.ts.

import { queuedSignals } from "../../libexoc/sigwait.js";
import type { Sys } from "../types.js";
import { Struct } from "../abi/structs.js";
import type { Task } from "../../libexoc/task.js";
import type { Process } from "../../libexoc/process.js";
import { sysError } from "../../libexoc/errors.js";
import { NSIG, SIGRTMIN } from "../../libexoc/signal.js";
import { RLIMIT_NOFILE, RLIMIT_NICE, RLIMIT_COUNT, RLIMIT_SIGPENDING } from "../../libexoc/limits.js";
import { capable, CAP_SYS_NICE, CAP_SYS_RESOURCE, CAP_SYS_TTY_CONFIG } from "../../libexoc/capability.js";
import { capPrctl, PR_GET_KEEPCAPS, PR_SET_KEEPCAPS, PR_CAPBSET_READ, PR_CAPBSET_DROP, PR_GET_SECUREBITS, PR_SET_SECUREBITS, PR_CAP_AMBIENT } from "./caps.js";
import { seccompPrctl, PR_GET_SECCOMP, PR_SET_SECCOMP } from "./seccomp.js";

export const getpid: Sys = (t) => t.pid;
export const gettid: Sys = (t) => t.tid;
export const getppid: Sys = (t) => t.proc.ppid;
export const getuid: Sys = (t) => t.proc.uid;
export const geteuid: Sys = (t) => t.proc.euid;
export const getgid: Sys = (t) => t.proc.gid;
export const getegid: Sys = (t) => t.proc.egid;
/** The 16-bit id calls of the original i386 ABI truncate to 16 bits (65534 when too large). */
const id16 = (v: number): number => (v > 0xffff ? 65534 : v);
export const getuid16: Sys = (t) => id16(t.proc.uid);
export const geteuid16: Sys = (t) => id16(t.proc.euid);
export const getgid16: Sys = (t) => id16(t.proc.gid);
export const getegid16: Sys = (t) => id16(t.proc.egid);

/** The process `pid` names (0: the caller's); ESRCH if there is none. */
function target(t: Task, pid: number): Process {
  if (pid === 0) return t.proc;
  if (pid < 0) sysError("ESRCH");
  const p = t.sys.findProcess(pid);
  if (p === undefined || p.termination !== null) sysError("ESRCH");
  return p;
}

export const getpgrp: Sys = (t) => t.proc.pgid;
export const getpgid: Sys = (t, pid) => target(t, pid).pgid;
export const getsid: Sys = (t, pid) => target(t, pid).sid;

/** setpgid: a process may move itself or a child that has not exec'd (we do not track exec in
 *  children, so any child of the same session) into a group of its own session. */
export const setpgid: Sys = (t, pid, pgid) => {
  if (pgid < 0) sysError("EINVAL");
  const me = t.proc;
  const p = target(t, pid);
  if (p !== me && p.parent !== me) sysError("ESRCH");
  if (p.sid !== me.sid) sysError("EPERM");
  // (a child that has exec'd is its own program's now)
  if (p !== me && p.execed) sysError("EACCES");
  if (p.pid === p.sid) sysError("EPERM"); // a session leader stays in its group
  const g = pgid === 0 ? p.pid : pgid;
  if (g !== p.pid && !t.sys.group(g).some((q) => q.sid === me.sid)) sysError("EPERM");
  p.pgid = g;
  return 0;
};

export const setsid: Sys = (t) => {
  const me = t.proc;
  if (me.pgid === me.pid || t.sys.group(me.pid).length > 0) sysError("EPERM");
  me.sid = me.pgid = me.pid;
  me.ctty = null;
  return me.sid;
};

const ARCH_GET_CPUID = 0x1011, ARCH_SET_CPUID = 0x1012;

/** arch_prctl on i386: only CPUID faulting (the other codes are x86-64's: EINVAL). With it
 *  off, the thread's CPUID raises SIGSEGV, in what it forks too, until it execs. */
export const archPrctl: Sys = (t, code, arg) => {
  switch (code) {
    case ARCH_GET_CPUID:
      return t.kernel.cpuidEnabled(t.env) ? 1 : 0;
    case ARCH_SET_CPUID:
      t.kernel.setCpuid(t.env, arg !== 0);
      return 0;
    default:
      return sysError("EINVAL");
  }
};

/** vhangup: hangs up the caller's controlling terminal, if it has one, as if its line dropped
 *  (Linux's tty_vhangup_self: the files open on it are cut off, its session leader gets SIGHUP
 *  and SIGCONT, the session loses it). Needs CAP_SYS_TTY_CONFIG. */
export const vhangup: Sys = (t) => {
  if (!capable(t.proc, CAP_SYS_TTY_CONFIG)) sysError("EPERM");
  t.proc.ctty?.hangup(false);
  return 0;
};

export const umask: Sys = (t, mask) => {
  const old = t.umask;
  t.umask = mask & 0o777;
  return old;
};

/** si_code of signals sent by kill and by tkill/tgkill. */
const SI_USER = 0, SI_TKILL = -6;

function checkSig(sig: number): void {
  if (sig < 0 || sig > NSIG) sysError("EINVAL");
}

export const kill: Sys = (t, pid, sig) => {
  checkSig(sig);
  t.sys.kill(t, pid, sig, SI_USER);
  return 0;
};

/** tkill/tgkill: a signal to one thread (of thread group `tgid`, unless it is -1). */
function signalThread(t: Task, tgid: number, tid: number, sig: number): number {
  checkSig(sig);
  if (tid <= 0 || (tgid !== -1 && tgid <= 0)) sysError("EINVAL");
  const target = t.sys.tasks.get(tid);
  if (target === undefined || (tgid !== -1 && target.pid !== tgid)) sysError("ESRCH");
  if (!t.sys.maySignal(t.proc, target.proc, sig)) sysError("EPERM");
  if (sig === 0) return 0;
  // (a real-time signal past the receiver's RLIMIT_SIGPENDING is not queued: EAGAIN)
  if (sig >= SIGRTMIN && queuedSignals(target.proc) >= target.proc.limit(RLIMIT_SIGPENDING)[0]) sysError("EAGAIN");
  if (sig === 9) {
    // SIGKILL ends the whole process whichever thread it names. (SIGSTOP and SIGCONT are the
    // thread's to take, and act on the whole process then: a traced thread stops for its
    // tracer, which may stop the others one by one, as gdb does.)
    target.proc.signal(sig, { signal: sig, code: SI_TKILL, addr: 0, pid: t.pid, uid: t.proc.uid, trapno: 0, error: 0 });
    return 0;
  }
  target.sendSignal(sig, SI_TKILL, t.pid, t.proc.uid);
  return 0;
}

export const tkill: Sys = (t, tid, sig) => signalThread(t, -1, tid, sig);
export const tgkill: Sys = (t, tgid, tid, sig) => {
  // (-1 is tkill's "any process", never a tgid tgkill takes)
  if (tgid <= 0) sysError("EINVAL");
  return signalThread(t, tgid, tid, sig);
};

export const schedYield: Sys = (t) => {
  t.kernel.yieldTurn(t.env);
  return 0;
};

/** Whether RLIMIT_NICE lets `p` reach nice value `nice` (its value is 20 - nice: the default 0
 *  allows no raise at all). */
export function niceLimitAllows(p: Process, nice: number): boolean {
  return 20 - nice <= p.limit(RLIMIT_NICE)[0];
}

/** Whether `p` may lower its nice value to `nice` (Linux's can_nice): root may, others down to
 *  what RLIMIT_NICE allows. */
function canNice(p: Process, nice: number): boolean {
  return capable(p, CAP_SYS_NICE) || niceLimitAllows(p, nice);
}

/** nice(inc): the new nice value is returned as 20 - nice by the raw system call. */
export const nice: Sys = (t, inc) => {
  const env = t.kernel.env(t.env);
  const next = Math.max(-20, Math.min(19, env.nice + inc));
  if (next < env.nice && !canNice(t.proc, next)) sysError("EPERM");
  t.kernel.setNice(t.env, next);
  return 0;
};

const PRIO_PROCESS = 0, PRIO_PGRP = 1, PRIO_USER = 2;

/** The tasks getpriority/setpriority address (and ioprio_get/ioprio_set, whose `which` is one
 *  more): one thread (0: the caller), a process group's (0: the caller's), a user's. */
export function prioTargets(t: Task, which: number, who: number): Task[] {
  const sys = t.sys;
  switch (which) {
    case PRIO_PROCESS: {
      if (who === 0) return [t];
      const task = sys.tasks.get(who);
      return task ? [task] : [];
    }
    case PRIO_PGRP:
      return sys.group(who === 0 ? t.proc.pgid : who).flatMap((p) => [...p.threads]);
    case PRIO_USER:
      return [...sys.tasks.values()].filter((x) => x.proc.uid === (who === 0 ? t.proc.uid : who));
    default:
      return sysError("EINVAL");
  }
}

/** Whether `t` may change `x`'s priorities: `x`'s real or effective user is `t`'s effective
 *  one, or `t` is root. */
export function mayChange(t: Task, x: Task): boolean {
  return x.proc.uid === t.proc.euid || x.proc.euid === t.proc.euid || capable(t.proc, CAP_SYS_NICE);
}

/** getpriority: the raw call returns 20 - nice (1..40), so no success value is negative. */
export const getpriority: Sys = (t, which, who) => {
  const ts = prioTargets(t, which, who);
  if (ts.length === 0) sysError("ESRCH");
  return 20 - Math.min(...ts.map((x) => x.kernel.env(x.env).nice));
};

export const setpriority: Sys = (t, which, who, prio) => {
  const ts = prioTargets(t, which, who);
  if (ts.length === 0) sysError("ESRCH");
  const nv = Math.max(-20, Math.min(19, prio));
  for (const x of ts) {
    if (!mayChange(t, x)) sysError("EPERM");
    if (nv < x.kernel.env(x.env).nice && !canNice(t.proc, nv)) sysError("EACCES");
  }
  for (const x of ts) x.kernel.setNice(x.env, nv);
  return 0;
};

function limitOf(p: Process, res: number): [number, number] {
  if (res < 0 || res >= RLIMIT_COUNT) sysError("EINVAL");
  return p.limit(res);
}

/** Sets a limit after the checks every setter shares: soft <= hard, raising hard needs root. */
function setLimit(t: Task, p: Process, res: number, soft: number, hard: number): void {
  const [, max] = limitOf(p, res);
  if (soft > hard) sysError("EINVAL");
  if (hard > max && !capable(t.proc, CAP_SYS_RESOURCE)) sysError("EPERM");
  if (res === RLIMIT_NOFILE && hard > t.sys.nrOpen) sysError("EPERM");
  p.rlimits.set(res, [soft, hard]);
  if (res === RLIMIT_NOFILE) for (const th of p.threads) th.fds.limit = Math.min(soft, t.sys.nrOpen);
}

const clamp32 = (v: number, inf: number): number => (v === Infinity || v > inf ? inf : v);

/** ugetrlimit: unsigned 32-bit limits, RLIM_INFINITY = 0xffffffff. */
export const ugetrlimit: Sys = (t, res, buf) => {
  const [cur, max] = limitOf(t.proc, res);
  t.mem.putU32(buf, clamp32(cur, 0xffffffff));
  t.mem.putU32(buf + 4, clamp32(max, 0xffffffff));
  return 0;
};

/** Old getrlimit: signed limits, infinity reported as 0x7fffffff. */
export const getrlimit: Sys = (t, res, buf) => {
  const [cur, max] = limitOf(t.proc, res);
  t.mem.putU32(buf, clamp32(cur, 0x7fffffff));
  t.mem.putU32(buf + 4, clamp32(max, 0x7fffffff));
  return 0;
};

export const setrlimit: Sys = (t, res, buf) => {
  limitOf(t.proc, res);
  const cur = t.mem.u32(buf) >>> 0, nmax = t.mem.u32(buf + 4) >>> 0;
  setLimit(t, t.proc, res, cur === 0xffffffff ? Infinity : cur, nmax === 0xffffffff ? Infinity : nmax);
  return 0;
};

export const prlimit64: Sys = (t, pid, res, newBuf, oldBuf) => {
  const p = target(t, pid);
  // Another process's limits: the caller's real id must be every one of its user and group
  // ids (Linux's check_prlimit_permission), or the caller root.
  const c = t.proc;
  if (p !== c && !capable(c, CAP_SYS_RESOURCE) && !(c.uid === p.uid && c.uid === p.euid && c.uid === p.suid && c.gid === p.gid && c.gid === p.egid && c.gid === p.sgid)) sysError("EPERM");
  const [cur, max] = limitOf(p, res);
  let next: [number, number] | null = null;
  if (newBuf !== 0) {
    const b = t.mem.read(newBuf, 16);
    const dv = new DataView(b.buffer);
    const dec = (v: bigint): number => (v === 0xffffffffffffffffn ? Infinity : Number(v));
    next = [dec(dv.getBigUint64(0, true)), dec(dv.getBigUint64(8, true))];
  }
  if (oldBuf !== 0) {
    const enc = (v: number): bigint => (v === Infinity ? 0xffffffffffffffffn : BigInt(v));
    const b = new Uint8Array(16);
    const dv = new DataView(b.buffer);
    dv.setBigUint64(0, enc(cur), true);
    dv.setBigUint64(8, enc(max), true);
    t.mem.write(oldBuf, b);
  }
  if (next !== null) setLimit(t, p, res, next[0], next[1]);
  return 0;
};

const PR_SET_PDEATHSIG = 1, PR_GET_PDEATHSIG = 2, PR_GET_DUMPABLE = 3, PR_SET_DUMPABLE = 4;
const PR_SET_NAME = 15, PR_GET_NAME = 16;
const PR_SET_CHILD_SUBREAPER = 36, PR_GET_CHILD_SUBREAPER = 37, PR_SET_TIMERSLACK = 29, PR_GET_TIMERSLACK = 30;
const PR_SET_NO_NEW_PRIVS = 38, PR_GET_NO_NEW_PRIVS = 39;
const PR_GET_TSC = 25, PR_SET_TSC = 26, PR_TSC_ENABLE = 1, PR_TSC_SIGSEGV = 2;

/** prctl (its capability options are in caps.ts). */
export const prctl: Sys = (t, option, arg2, arg3, arg4, arg5) => {
  const zero = (...args: number[]): void => {
    if (args.some((a) => a !== 0)) sysError("EINVAL");
  };
  switch (option) {
    case PR_SET_NAME: {
      const s = t.mem.cstring(arg2, 4096).subarray(0, 15);
      t.comm = Buffer.alloc(16);
      s.copy(t.comm);
      return 0;
    }
    case PR_GET_NAME:
      t.mem.write(arg2, t.comm);
      return 0;
    case PR_GET_DUMPABLE:
      return t.proc.dumpable;
    case PR_SET_DUMPABLE:
      if (arg2 !== 0 && arg2 !== 1) sysError("EINVAL");
      t.proc.dumpable = arg2;
      return 0;
    case PR_SET_PDEATHSIG:
      if (arg2 < 0 || arg2 > NSIG) sysError("EINVAL");
      t.proc.deathSignal = arg2;
      return 0;
    case PR_GET_PDEATHSIG:
      t.mem.putU32(arg2, t.proc.deathSignal);
      return 0;
    case PR_SET_TIMERSLACK:
      // (0 puts back the thread's default: what its creator had when it was made)
      t.timerSlack = arg2 === 0 ? t.defaultTimerSlack : arg2 >>> 0;
      return 0;
    case PR_GET_TIMERSLACK:
      return t.timerSlack;
    case PR_SET_CHILD_SUBREAPER:
      t.proc.childSubreaper = arg2 !== 0;
      return 0;
    case PR_GET_CHILD_SUBREAPER:
      t.mem.putU32(arg2, t.proc.childSubreaper ? 1 : 0);
      return 0;
    case PR_SET_NO_NEW_PRIVS:
      if (arg2 !== 1) sysError("EINVAL");
      zero(arg3, arg4, arg5);
      t.proc.noNewPrivs = true;
      return 0;
    case PR_GET_NO_NEW_PRIVS:
      zero(arg2, arg3, arg4, arg5);
      return t.proc.noNewPrivs ? 1 : 0;
    case PR_GET_KEEPCAPS:
    case PR_SET_KEEPCAPS:
    case PR_CAPBSET_READ:
    case PR_CAPBSET_DROP:
    case PR_GET_SECUREBITS:
    case PR_SET_SECUREBITS:
    case PR_CAP_AMBIENT:
      return capPrctl(t, option, arg2, arg3, arg4, arg5);
    case PR_GET_SECCOMP:
    case PR_SET_SECCOMP:
      return seccompPrctl(t, option, arg2, arg3);
    case PR_GET_TSC:
      t.mem.putU32(arg2, t.kernel.tscEnabled(t.env) ? PR_TSC_ENABLE : PR_TSC_SIGSEGV);
      return 0;
    case PR_SET_TSC:
      // (the thread's: RDTSC faults, SIGSEGV, while it runs; kept by fork, clone and exec)
      if (arg2 !== PR_TSC_ENABLE && arg2 !== PR_TSC_SIGSEGV) sysError("EINVAL");
      t.kernel.setTsc(t.env, arg2 === PR_TSC_ENABLE);
      return 0;
    default:
      return sysError("EINVAL", `prctl option ${option}`);
  }
};

/** The process of thread or process `pid` (0: the caller's): what the affinity calls, which
 *  take thread ids, act for. ESRCH if there is none. */
function threadOrProcess(t: Task, pid: number): Process {
  const thread = pid > 0 ? t.sys.tasks.get(pid) : undefined;
  return thread !== undefined && thread.alive ? thread.proc : target(t, pid);
}

/** sched_getaffinity: the emulated machine has one CPU. The kernel's mask is one long (4 bytes
 *  on i386); a smaller buffer is EINVAL. `pid` may name any thread (glibc's
 *  pthread_getattr_np asks with the thread's id). */
export const schedGetaffinity: Sys = (t, pid, len, mask) => {
  threadOrProcess(t, pid);
  if (len >>> 0 < 4 || (len & 3) !== 0) sysError("EINVAL");
  t.mem.putU32(mask, 1);
  return 4;
};

/** sched_setaffinity: any mask that includes CPU 0 is accepted. Linux's order: the mask is
 *  read first (as much of one long as `len` gives; EFAULT), then the process (ESRCH), the
 *  caller's right to change it (EPERM: its effective user is neither the target's real nor
 *  effective one, and it is not root), then the mask's CPUs (EINVAL). */
export const schedSetaffinity: Sys = (t, pid, len, mask) => {
  const n = Math.min(len >>> 0, 4);
  const bytes = n > 0 ? t.mem.read(mask, n) : new Uint8Array(0);
  // (a thread id names its thread, whose credentials are its process's)
  const p = threadOrProcess(t, pid);
  const me = t.proc;
  if (!capable(me, CAP_SYS_NICE) && me.euid !== p.euid && me.euid !== p.uid) sysError("EPERM");
  if (n === 0 || (bytes[0] & 1) === 0) sysError("EINVAL");
  return 0;
};

/** personality(persona): sets the process's execution domain unless `persona` is 0xffffffff
 *  (a query), and returns the one it had. Linux takes any value. */
export const personality: Sys = (t, persona) => {
  const old = t.proc.persona;
  if (persona >>> 0 !== 0xffffffff) t.proc.persona = persona >>> 0;
  return old | 0;
};
