// A POSIX process: a thread group of tasks (task.ts) with one process id, its parent and
// children, process group and session, credentials, resource limits, the signals sent to the
// process as a whole, and the state its parent can wait for (running, stopped, continued, a
// zombie with its termination status).
//
// Rules kept here: a process-directed signal goes to one thread that does not block it (the
// main thread first); SIGKILL and fatal default actions end every thread; a stop signal
// suspends every thread and SIGCONT resumes them, each reported to the parent (SIGCHLD unless
// SA_NOCLDSTOP, and wait with WUNTRACED/WCONTINUED). When the last thread ends the process
// becomes a zombie for its parent to reap, its children go to the reaper (pid 1), and a parent
// that ignores SIGCHLD (or set SA_NOCLDWAIT) never sees it.

import { ProcessKeys } from "./keys.js";
import { WaitQueue } from "../exokernel/wait.js";
import type { System } from "./system.js";
import type { Task } from "./task.js";
import type { Tty } from "./tty/tty.js";
import { sessionLeaderExit } from "./tty/jobctl.js";
import { SysError } from "./errors.js";
import {
  SIGKILL, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGCHLD, SIGTRAP, SIG_IGN, SIG_DFL, DFL_IGNORE, DFL_CONT, DFL_CORE, defaultAction,
  PendingSet, type SigInfo,
} from "./signal.js";
import type { ProcessTimers } from "./timers.js";
import { CAP_ALL } from "./capability.js";
import { traceStop, groupStopCode, trapInfo, PTRACE_EVENT_STOP } from "./ptrace.js";

/** Why a process ended. */
export type Termination = { kind: "exit"; code: number } | { kind: "signal"; signal: number; core: boolean };

/** A change a parent's wait can report besides termination. */
export type StateReport = { kind: "stopped"; signal: number } | { kind: "continued" };

/** SIGCHLD si_code values (POSIX CLD_*; Linux numbers). */
export const CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3, CLD_STOPPED = 5, CLD_CONTINUED = 6;
/** SA_NOCLDSTOP and SA_NOCLDWAIT (Linux values). */
const SA_NOCLDSTOP = 1, SA_NOCLDWAIT = 2;
const RLIMIT_CORE = 4;

function isStopSignal(sig: number): boolean {
  return sig === SIGSTOP || sig === SIGTSTP || sig === SIGTTIN || sig === SIGTTOU;
}

export class Process {
  readonly sys: System;
  readonly pid: number;
  /** The parent; null once adopted by the reaper outside the guest (pid 1 as getppid says),
   *  which is there when no guest process is init (`exojit run`). */
  parent: Process | null;
  readonly children = new Set<Process>();
  pgid: number;
  sid: number;
  readonly threads = new Set<Task>();
  /** Frame pool of the process's memory (its frames are accounted to it). */
  poolCap = 0;
  /** Instructions and CPU time (ns) of its threads that have ended. */
  deadInsns = 0;
  deadCpuNs = 0;
  deadSwitches = 0;
  /** CPU time of its children that were reaped (rusage of RUSAGE_CHILDREN, times()). */
  childCpuNs = 0;
  /** The resident high-water mark (pages) of the memories it ran in and let go (exec, exit),
   *  and the highest of its reaped children's (getrusage's ru_maxrss). */
  maxRssPages = 0;
  childMaxRssPages = 0;
  /** The system time of its threads that ended, and of its reaped children (in the CPU times
   *  above: Task.sysNs). */
  deadSysNs = 0;
  childSysNs = 0;
  uid = 0;
  euid = 0;
  suid = 0;
  gid = 0;
  egid = 0;
  sgid = 0;
  groups: number[] = [];
  /** File-system ids set apart from the effective ones by setfsuid/setfsgid (creds.ts), or
   *  null: they follow the effective ids. */
  fsuidSet: number | null = null;
  fsgidSet: number | null = null;
  /** Capability sets (capability.ts): effective, permitted, inheritable, bounding, ambient; and
   *  the secure bits. Set for the first process by its user id, then inherited. */
  capEff = 0;
  capPrm = 0;
  capInh = 0;
  capBnd = CAP_ALL;
  capAmb = 0;
  securebits = 0;
  /** /proc/PID/oom_score_adj, and the floor below which only CAP_SYS_RESOURCE may set it
   *  (procfs/oom.ts). Inherited by fork, kept by exec. */
  oomScoreAdj = 0;
  oomScoreAdjMin = 0;
  /** /proc/PID/coredump_filter: the kinds of memory a core dump would hold (Linux's default,
   *  0x33: private and shared anonymous memory, ELF headers, private huge pages). Kept by fork
   *  and exec. exojit writes no core files, so it selects nothing yet. */
  coredumpFilter = 0x33;
  /** Its keyrings (keys.ts): the session keyring, kept by fork and exec; the process keyring. */
  readonly keys = new ProcessKeys();
  /** Resource limits changed from their defaults: resource → [soft, hard] (Infinity = none). */
  rlimits = new Map<number, [number, number]>();
  /** Guest path of the running program, its argv and environment (for /proc). */
  exe = "";
  argv: string[] = [];
  envp: Buffer[] = [];
  /** The name of the thread that ended last (what a zombie is called in /proc). */
  lastComm = Buffer.alloc(16);
  /** Signals sent to the process as a whole, waiting for a thread to take them. */
  readonly sigPending = new PendingSet();
  /** Notified whenever a signal becomes pending for the process or one of its threads, blocked
   *  or not (what sigtimedwait and signalfd wait on). */
  readonly sigEvents = new WaitQueue();
  /** Notified when the process ends (its pidfds become readable). */
  readonly exitEvents = new WaitQueue();
  /** Its interval and POSIX timers (timers.ts), made on first use. */
  timers: ProcessTimers | null = null;
  /** The signal the parent gets when this process ends (SIGCHLD for fork; clone's choice). */
  exitSignal = SIGCHLD;
  /** membarrier registrations (their MEMBARRIER_CMD_REGISTER_* bits). */
  membarrierRegistered = 0;
  /** Execution domain (personality(2)): PER_LINUX (0) and its flags, inherited by children.
   *  Reported only: exojit neither randomizes addresses (ADDR_NO_RANDOMIZE) nor keeps readable
   *  pages from being executed (READ_IMPLIES_EXEC) whatever it says. */
  persona = 0;
  /** prctl PR_SET_CHILD_SUBREAPER: orphaned descendants are adopted by this process rather
   *  than by init. */
  childSubreaper = false;
  /** The signal this process gets when its parent ends (prctl PR_SET_PDEATHSIG), or 0. */
  deathSignal = 0;
  /** prctl PR_SET_NO_NEW_PRIVS: exec no longer honours set-user-ID and set-group-ID bits. Kept
   *  across fork and exec, never cleared. */
  noNewPrivs = false;
  /** prctl PR_SET_DUMPABLE (1 by default, and again after an exec; 0 after one that changed
   *  the ids). */
  dumpable = 1;
  /** It has exec'd since it was forked (Linux's PF_FORKNOEXEC cleared): its parent can no
   *  longer move it to another process group (setpgid's EACCES). */
  execed = false;
  /** Set once every thread has ended: the process is a zombie until reaped. */
  termination: Termination | null = null;
  reaped = false;
  stopped = false;
  /** Traced threads of other processes (or not their process's main thread) that ended, for
   *  this tracer's wait to report (ptrace.ts traceeGone). */
  readonly traceZombies: Task[] = [];
  /** A stop or continue not yet reported to a waiting parent. */
  report: StateReport | null = null;
  /** The controlling terminal (inherited by fork, lost by setsid), or null. */
  ctty: Tty | null = null;
  /** The foreground group of the terminal this session leader lost to a hangup (it hears
   *  SIGHUP and SIGCONT when the leader exits). */
  ttyOldPgrp = 0;
  /** Notified when a child changes state (what wait4 and friends wait on). */
  readonly childEvents = new WaitQueue();
  /** While a vfork child borrows this process's memory: notified when it execs or ends. */
  readonly vforkDone = new WaitQueue();
  /** The parent process waiting in vfork for this child to let go of its memory. */
  vforkParent: Process | null = null;
  /** Clock time the process started (ns). */
  readonly startNs: number;
  private exiting = false;

  constructor(sys: System, pid: number, parent: Process | null) {
    this.sys = sys;
    this.pid = pid;
    this.parent = parent;
    this.pgid = parent?.pgid ?? pid;
    this.sid = parent?.sid ?? pid;
    this.startNs = sys.kernel.clock.now();
    parent?.children.add(this);
  }

  /** The ids file permission checks use (Linux's fsuid and fsgid). */
  get fsuid(): number {
    return this.fsuidSet ?? this.euid;
  }

  get fsgid(): number {
    return this.fsgidSet ?? this.egid;
  }

  /** The parent's pid as getppid reports it (1: the reaper). */
  get ppid(): number {
    return this.parent?.pid ?? (this.pid === 1 ? 0 : 1);
  }

  /** The main thread (the first still running), or null once all have ended. */
  get leader(): Task | null {
    for (const t of this.threads) return t;
    return null;
  }

  /** Instructions its threads ran. */
  get insns(): number {
    let n = this.deadInsns;
    for (const t of this.threads) n += this.sys.kernel.env(t.env).insns;
    return n;
  }

  /** CPU time its threads used (ns). */
  get cpuNs(): number {
    let n = this.deadCpuNs;
    for (const t of this.threads) n += this.sys.kernel.env(t.env).cpuNs;
    return n;
  }

  get zombie(): boolean {
    return this.termination !== null && !this.reaped;
  }

  /** Resource limit `res` as [soft, hard], or the system default. */
  limit(res: number): [number, number] {
    return this.rlimits.get(res) ?? this.sys.defaultLimit(res);
  }

  /** Whether a death by `sig` dumps core (reported in the wait status's core bit). */
  dumpsCore(sig: number): boolean {
    return defaultAction(sig) === DFL_CORE && this.limit(RLIMIT_CORE)[0] > 0;
  }

  /** Init (pid 1: the booted system's, or the stand-in under `exojit run`) gets only the
   *  signals it has handlers for, SIGKILL and SIGSTOP not excepted (Linux's SIGNAL_UNKILLABLE). */
  unkillable(sig: number): boolean {
    return this.pid === 1 && this.leader?.sig.actions[sig]?.handler === SIG_DFL;
  }

  /** Whether `sig` would be discarded on arrival: ignored by disposition, and not blocked by
   *  `by` (the receiving thread; the main thread for the process), since a blocked signal stays
   *  pending for a handler that may be installed before it is unblocked (as Linux keeps it). */
  filterSignal(sig: number, by: Task | null = this.leader): boolean {
    const t = this.leader;
    if (t === null || this.unkillable(sig)) return true;
    if (by !== null && by.sig.blocked(sig)) return false;
    // (a traced thread's tracer sees even the signals it ignores)
    for (const th of this.threads) if (th.trace !== null) return false;
    const act = t.sig.actions[sig];
    if (act.handler === SIG_IGN) return true;
    if (act.handler !== SIG_DFL) return false;
    const d = defaultAction(sig);
    return d === DFL_IGNORE || d === DFL_CONT;
  }

  /** A process-directed signal (kill, a terminal, a child's exit, a timer). Returns whether
   *  `info` was queued (false: discarded, or merged with the same standard signal pending). */
  signal(sig: number, info: SigInfo): boolean {
    if (sig === 0 || this.termination !== null || this.threads.size === 0) return false;
    if (this.unkillable(sig)) return false;
    if (sig === SIGKILL) {
      this.exitGroup({ kind: "signal", signal: SIGKILL, core: false });
      return false;
    }
    this.prepareSignal(sig);
    if (this.filterSignal(sig)) return false;
    const queued = this.sigPending.add(info);
    this.sigEvents.notify();
    const leader = this.leader;
    const taker = leader !== null && leader.accepts(sig) ? leader : [...this.threads].find((t) => t.accepts(sig));
    taker?.signalArrived(sig);
    return queued;
  }

  /** What sending `sig` does at once, to whichever thread it is sent (Linux's prepare_signal):
   *  SIGCONT continues the process and discards the stop signals pending in it; a stop signal
   *  discards a pending SIGCONT. */
  prepareSignal(sig: number): void {
    if (sig === SIGCONT) {
      for (const s of [SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU]) {
        this.sigPending.delete(s);
        for (const t of this.threads) t.sig.pending.delete(s);
      }
      this.cont();
    } else if (isStopSignal(sig)) {
      this.sigPending.delete(SIGCONT);
      for (const t of this.threads) t.sig.pending.delete(SIGCONT);
    }
  }

  /** Job-control stop: every thread is suspended, and the parent hears of it. */
  stop(sig: number): void {
    if (this.stopped || this.termination !== null) return;
    this.stopped = true;
    for (const t of this.threads) {
      t.updateSuspension();
      // (a traced thread stops in its tracer's sight: a group stop the tracer lets it out of)
      const tr = t.trace;
      if (tr !== null && tr.stop === null) traceStop(t, "group", groupStopCode(tr, sig));
    }
    this.report = { kind: "stopped", signal: sig };
    this.notifyParent(CLD_STOPPED, sig);
    this.sys.onStop?.(this);
  }

  /** SIGCONT: a stopped process runs again, and the parent hears of it. */
  cont(): void {
    if (!this.stopped) return;
    this.stopped = false;
    for (const t of this.threads) {
      const tr = t.trace;
      // (a seized tracee listening in the group stop traps again: PTRACE_EVENT_STOP)
      if (tr !== null && tr.listening) {
        tr.listening = false;
        traceStop(t, "group", groupStopCode(tr, SIGTRAP), trapInfo(t, (PTRACE_EVENT_STOP << 8) | SIGTRAP));
      } else {
        t.updateSuspension();
      }
    }
    this.report = { kind: "continued" };
    this.notifyParent(CLD_CONTINUED, SIGCONT);
  }

  /** Whether the process has ended or is ending (no longer a parent that can adopt). */
  get exited(): boolean {
    return this.exiting || this.termination !== null;
  }

  /** Tells a new parent of an adopted child that is already a zombie, as its exit would have. */
  notifyAdopted(): void {
    if (this.termination !== null) this.notifyExit(this.termination);
  }

  /** Tells the parent of a stop or continue: wakes its waits, sends SIGCHLD unless it asked not
   *  to hear of stops (SA_NOCLDSTOP). */
  private notifyParent(code: number, status: number): void {
    const parent = this.parent;
    if (parent === null) return;
    parent.childEvents.notify();
    const act = parent.leader?.sig.actions[SIGCHLD];
    if (act && (act.flags & SA_NOCLDSTOP) !== 0) return;
    parent.signal(SIGCHLD, { signal: SIGCHLD, code, addr: 0, status, pid: this.pid, uid: this.uid, trapno: 0, error: 0 });
  }

  /** exit_group, a fatal signal: every thread ends and the process terminates with `t`. */
  exitGroup(term: Termination): void {
    if (this.exiting) return;
    this.exiting = true;
    this.stopped = false;
    // (an exit cannot fail: one thread's teardown meeting an error still ends the others and
    // the process, which would otherwise go on with exiting set and ignore its next exit)
    let failed: unknown = null;
    for (const th of [...this.threads]) {
      try {
        th.die();
      } catch (e) {
        failed ??= e;
      }
    }
    this.finish(term);
    if (failed !== null && !(failed instanceof SysError)) throw failed;
  }

  /** All threads have ended: the process becomes a zombie (or is reaped at once). */
  private finish(term: Termination): void {
    sessionLeaderExit(this);
    this.termination = term;
    this.timers?.stopAll();
    this.sigPending.clear();
    this.exitEvents.notify();
    // SEM_UNDO adjustments are applied before the parent can see the process as ended.
    this.sys.ipc.exit(this);
    this.sys.exo.exit(this);
    this.vforkRelease();
    const groups = new Set([this.pgid, ...[...this.children].map((c) => c.pgid)]);
    for (const c of [...this.children]) {
      if (c.deathSignal !== 0) c.signal(c.deathSignal, { signal: c.deathSignal, code: 0x80, addr: 0, pid: this.pid, uid: this.uid, trapno: 0, error: 0 });
      this.sys.reparent(c, this);
    }
    this.children.clear();
    this.notifyExit(term);
    for (const g of groups) this.sys.checkOrphanedGroup(g);
    this.sys.processEnded(this);
  }

  /** The parent hears that this process ended (its exit signal, its waits woken), or the
   *  process is reaped at once when no one will wait for it. */
  private notifyExit(term: Termination): void {
    const parent = this.parent;
    if (parent === null) {
      this.sys.reap(this);
      return;
    }
    const act = parent.leader?.sig.actions[SIGCHLD];
    const autoReap = this.exitSignal === SIGCHLD && act !== undefined && (act.handler === SIG_IGN || (act.flags & SA_NOCLDWAIT) !== 0);
    // The parent's waits wake before its signal arrives, so that a wait finds what changed
    // (the child to report, or no child left: ECHILD) before the signal can interrupt it, as
    // Linux's do_wait looks at the children before at pending signals.
    if (autoReap) this.sys.reap(this);
    parent.childEvents.notify();
    if (this.exitSignal !== 0) {
      const code = term.kind === "exit" ? CLD_EXITED : term.core ? CLD_DUMPED : CLD_KILLED;
      const status = term.kind === "exit" ? term.code : term.signal;
      parent.signal(this.exitSignal, { signal: this.exitSignal, code, addr: 0, status, pid: this.pid, uid: this.uid, trapno: 0, error: 0 });
    }
  }

  /** A vfork child let go of its parent's memory (it exec'd or ended): the parent goes on. */
  vforkRelease(): void {
    const p = this.vforkParent;
    if (p === null) return;
    this.vforkParent = null;
    this.vforkDone.notify();
  }

  /** Whether the vfork parent is still waiting. */
  get vforkPending(): boolean {
    return this.vforkParent !== null;
  }

  /** Shell-style status: the exit code, or 128 + signal; -1 while running. */
  get status(): number {
    const t = this.termination;
    if (t === null) return -1;
    return t.kind === "exit" ? t.code : 128 + t.signal;
  }
}
