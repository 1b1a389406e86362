// A task: one thread of a POSIX process, as library policy over one exokernel environment. It
// is the environment's exit handler: system-call traps go to the personality (the ABI layer
// above), page faults to the memory map, other faults become signals; and when a wait of its
// environment ends, it resumes the system call that waited (blocking.ts).
//
// What a task shares with others follows the clone flags that made it: its memory (Mm), file
// descriptor table, file-system context (cwd, umask) and signal dispositions may each be its
// own or shared; its process (thread group, process.ts) holds the rest: ids, credentials,
// limits, children, the signals sent to the whole process.

import type { Key } from "./keys.js";
import type { Exokernel } from "../exokernel/kernel.js";
import type { CapHandle } from "../exokernel/caps.js";
import { DR6_BS, X_BUDGET, X_INT, X_SYSENTER, X_FAULT, X_HALT, WAKE_INTERRUPT, type Environment, type Exit, type ExitHandler } from "../exokernel/env.js";
import { FAULT_OK, FAULT_MAPERR, FAULT_OOM, FAULT_BUS } from "./vm.js";
import type { Mm } from "./mm.js";
import type { FdTable } from "./fdtable.js";
import type { Vfs } from "./vfs/vfs.js";
import type { Process } from "./process.js";
import type { System } from "./system.js";
import { WouldBlock, UNINTERRUPTIBLE } from "./blocking.js";
import { SysError } from "./errors.js";
import { WaitQueue } from "../exokernel/wait.js";
import { KERN_INFO, KERN_EMERG } from "./klog.js";
import {
  SignalState, PendingSet, SIGSEGV, SIGILL, SIGFPE, SIGBUS, SIGTRAP, SIG_IGN, SIG_DFL, defaultAction, DFL_IGNORE, DFL_CONT, DFL_STOP, signalName,
  SA_NODEFER, SA_RESETHAND, SIGKILL, SIGXCPU, SI_KERNEL, sigBit, inMask, type SigAction, type SigInfo,
} from "./signal.js";
import { logger, trace } from "../log.js";
import { RLIMIT_CPU } from "./limits.js";
import { processCpuNs } from "./time.js";
import type { SeccompFilter } from "./seccomp.js";
import { traceStop, tracerGone, traceeGone, afterStop, type Tracing } from "./ptrace.js";

/** Processor exception vectors, as the exokernel reports them (Intel numbering). */
const V_DE = 0, V_DB = 1, V_BP = 3, V_OF = 4, V_BR = 5, V_UD = 6, V_NM = 7, V_NP = 11, V_SS = 12, V_GP = 13, V_PF = 14, V_MF = 16, V_AC = 17, V_XM = 19;

/** si_code of SIGFPE for the x87 exceptions behind a #MF, in the order Linux tests them:
 *  invalid (FPE_FLTINV), divide by zero (FPE_FLTDIV), overflow (FPE_FLTOVF), denormal or
 *  underflow (FPE_FLTUND), precision (FPE_FLTRES). */
function fpeCode(pending: number): number {
  if (pending & 0x01) return 7;
  if (pending & 0x04) return 3;
  if (pending & 0x08) return 4;
  if (pending & 0x12) return 5;
  if (pending & 0x20) return 6;
  return 0;
}

/** The system's identity as uname reports it (and /proc/version, /proc/sys/kernel show it). */
export interface Utsname {
  sysname: string;
  nodename: string;
  release: string;
  version: string;
  machine: string;
  domainname: string;
}

/** The ABI layer: decodes system calls and builds ABI-specific structures. */
export interface Personality {
  /** The kernel this personality presents. */
  uname(): Utsname;
  /** Renames the system (sethostname, setdomainname) as uname will report it. */
  rename?(which: "hostname" | "domainname", name: string): void;
  /** The task executed `int vector` or `sysenter` (vector -1). */
  trap(t: Task, vector: number): void;
  /** Builds the ABI's signal frame on the guest stack and points the registers at the handler
   *  of `act`; `oldLo/oldHi` is the mask to restore on return. False if the frame cannot be
   *  written (the process then dies of SIGSEGV). */
  deliverSignal(t: Task, info: SigInfo, act: SigAction, oldLo: number, oldHi: number): boolean;
  /** A tracer let the thread go on from a stop at a system call's entry (ptrace.ts), with
   *  signal `sig` for it, or from a seccomp filter's trace stop: make the call whose number the
   *  tracing holds (-1: none). */
  traceEntryDone?(t: Task, tr: Tracing, sig: number, afterSeccomp: boolean): void;
  /** The wait of the task's blocked system call ended: run the call again and set its result
   *  (it may block again). */
  resume(t: Task): void;
  /** A signal ends the blocked call's wait; `act` is the handler that will run. Sets the call's
   *  result to EINTR, or arranges for the call to be made again after the handler. */
  interrupted(t: Task, act: SigAction): void;
  /** Writes the core file of `t`'s process, which the signal `info` is killing (its other
   *  threads have not ended yet); whether one was written. Absent: none ever is. */
  dumpCore?(t: Task, info: SigInfo): boolean;
  readonly name: string;
}

/** An empty pending set (a process's that is not looked at). */
const NO_SIGNALS = new PendingSet();

/** Largest staging buffer a task keeps between calls. */
const STAGING_MAX = 1 << 20;

/** What a synchronous fault turns into: signal, si_code and faulting address. */
export interface FaultSignal {
  signal: number;
  /** si_code value (POSIX names: SEGV_MAPERR = 1, SEGV_ACCERR = 2, ILL_ILLOPN = 2, FPE_INTDIV = 1, ...). */
  code: number;
  addr: number;
  /** A seccomp SIGSYS's call (SigInfo.sys) and si_errno. */
  sys?: SigInfo["sys"];
  errno?: number;
}

/** Working directory, umask and name space of files: shared between tasks made with CLONE_FS. */
export class FsContext {
  users = 1;

  constructor(
    public fs: Vfs,
    public cwd: string,
    public umask: number,
    /** The root directory (chroot) as a canonical path from the system's root. */
    public root = "/",
  ) {}

  copy(): FsContext {
    return new FsContext(this.fs, this.cwd, this.umask, this.root);
  }
}

/** A thread-local storage descriptor the task set (base, limit, ABI flags), per slot. */
export type TlsRecord = { base: number; limit: number; flags: number } | null;

export class Task implements ExitHandler {
  readonly sys: System;
  readonly kernel: Exokernel;
  proc: Process;
  tid: number;
  readonly env: CapHandle;
  mm: Mm;
  fds: FdTable;
  fsx: FsContext;
  readonly sig: SignalState;
  /** Thread-local storage descriptors (get_thread_area reads them back). */
  tls: TlsRecord[] = [null, null, null];
  /** Alternate signal stack (sigaltstack): base, flags, size. */
  altStack = { sp: 0, flags: 2 /* SS_DISABLE */, size: 0 };
  /** Thread name (prctl PR_SET_NAME), NUL-padded to 16 bytes. */
  comm = Buffer.alloc(16);
  /** The thread keyring (keys.ts): not inherited by clone, gone at exec. */
  threadKeyring: Key | null = null;
  /** Address written with 0 (and woken as a futex) when the thread ends (CLONE_CHILD_CLEARTID,
   *  set_tid_address). */
  clearTid = 0;
  /** Scheduling policy (sched_setscheduler: SCHED_OTHER 0, FIFO 1, RR 2, BATCH 3, IDLE 5; the
   *  priority of FIFO and RR is the environment's fixed priority), and whether its children
   *  start without it (SCHED_RESET_ON_FORK). */
  schedPolicy = 0;
  resetOnFork = false;
  /** Its fixed priority (1..99 under SCHED_FIFO and SCHED_RR; 0 under the others). */
  get fixedPriority(): number {
    return this.kernel.env(this.env).fixedPrio;
  }
  /** I/O priority (ioprio_set: class << 13 | level; 0: none set). Reported only: the page
   *  cache and disks serve every request at once. Children inherit it. */
  ioprio = 0;
  /** Secure computing (seccomp.ts): the mode (SECCOMP_MODE_*) and the newest filter its calls
   *  pass. A thread made by clone starts with its creator's; exec keeps them. */
  seccompMode = 0;
  seccomp: SeccompFilter | null = null;
  /** ptrace (ptrace.ts): how this thread is traced (null: it is not), the threads it traces,
   *  and the tracing a detach ended while the thread was stopped (what that stop left to do
   *  is done at its next turn). */
  trace: Tracing | null = null;
  readonly tracees = new Set<Task>();
  traceLeft: Tracing | null = null;
  /** exit(2)'s status, for a tracer told of this thread's end (null: it ended with its
   *  process, whose termination says how). */
  exitCode: number | null = null;
  /** Robust futex list head and length (set_robust_list). */
  robustList = 0;
  robustLen = 0;
  /** The mask to restore when the handler a sigsuspend (or ppoll, pselect) waited for returns. */
  savedMask: [number, number] | null = null;
  /** Host time spent in its system calls (ns), sampled (sysTimeWeight): its system time, the
   *  rest of its CPU time being user time. */
  sysNs = 0;
  private sysCalls = 0;

  /** The blocked system call, while its environment waits. */
  blocked: WouldBlock | null = null;
  /** Absolute deadline of the current system call (kept across its re-runs), or null. */
  callDeadline: number | null = null;
  /** True while a blocked call runs again after its wait ended. */
  retrying = false;
  /** A system call held before it was made (System.holdCall): its vector, or null. */
  heldCall: number | null = null;
  /** What this thread waits on in a futex wait (one at a time). */
  readonly futexQueue = new WaitQueue();
  /** Set when a fault became a signal, for the status line and tests. */
  lastFault: FaultSignal | null = null;
  /** Cleared when the thread has ended. */
  alive = true;
  /** prctl's timer slack (ns: how late a sleep may end; exojit's end on time) and the value
   *  PR_SET_TIMERSLACK 0 restores, which a new thread takes from its creator's slack. */
  timerSlack = 50000;
  defaultTimerSlack = 50000;
  /** Clock time the thread was created (ns). */
  readonly startNs: number;
  private readonly log = logger("signal");

  constructor(o: { sys: System; proc: Process; tid: number; env: CapHandle; mm: Mm; fds: FdTable; fsx: FsContext; sig: SignalState }) {
    this.sys = o.sys;
    this.kernel = o.sys.kernel;
    this.proc = o.proc;
    this.tid = o.tid;
    this.env = o.env;
    this.mm = o.mm;
    this.fds = o.fds;
    this.fsx = o.fsx;
    this.sig = o.sig;
    this.startNs = o.sys.kernel.clock.now();
    const env = this.kernel.env(this.env);
    env.handler = this;
    env.label = o.proc.pid === o.tid ? String(o.tid) : `${o.proc.pid}/${o.tid}`;
  }

  get pid(): number {
    return this.proc.pid;
  }

  get personality(): Personality {
    return this.sys.personality;
  }

  get aspace(): CapHandle {
    return this.mm.aspace;
  }

  get vm() {
    return this.mm.vm;
  }

  get mem() {
    return this.mm.mem;
  }

  get fs(): Vfs {
    return this.fsx.fs;
  }

  /** The thread's root directory (FsCaller.fsRoot). */
  get fsRoot(): string {
    return this.fsx.root;
  }

  get cwd(): string {
    return this.fsx.cwd;
  }

  set cwd(v: string) {
    this.fsx.cwd = v;
  }

  get umask(): number {
    return this.fsx.umask;
  }

  set umask(v: number) {
    this.fsx.umask = v;
  }

  /** The live register file (EAX.. in hw/state.ts order). */
  get regs(): Int32Array {
    return this.kernel.regs(this.env);
  }

  /** A buffer of at least `n` bytes for the current system call's data (writes that span
   *  pages are gathered here). It is the task's own, so a call that waits may keep using it:
   *  the task makes no other call meanwhile. */
  staging(n: number): Uint8Array {
    if (n > STAGING_MAX) return new Uint8Array(n);
    let b = this.stagingBuf;
    if (b === null || b.length < n) {
      let size = b === null ? 4096 : b.length;
      while (size < n) size *= 2;
      b = this.stagingBuf = new Uint8Array(size);
    }
    return b.subarray(0, n);
  }

  private stagingBuf: Uint8Array | null = null;

  /** Absolute deadline `ns` from the first run of the current call (the same on its re-runs). */
  deadlineAfter(ns: number): number {
    if (!this.retrying || this.callDeadline === null) this.callDeadline = this.kernel.clock.now() + ns;
    return this.callDeadline;
  }

  handleExit(env: Environment, x: Exit): void {
    switch (x.kind) {
      case X_BUDGET:
        break;
      case X_INT:
      case X_SYSENTER: {
        const vector = x.kind === X_INT ? x.vector : -1;
        if (this.sys.holdCall !== null && this.sys.holdCall(this, vector)) {
          this.heldCall = vector;
          env.turnOver = true;
          return;
        }
        const weight = sysTimeWeight(++this.sysCalls);
        if (weight === 0) {
          this.personality.trap(this, vector);
        } else {
          const t0 = this.kernel.clock.now();
          try {
            this.personality.trap(this, vector);
          } finally {
            this.sysNs += (this.kernel.clock.now() - t0) * weight;
          }
        }
        break;
      }
      case X_FAULT:
        this.fault(x.vector, x.error, x.addr);
        break;
      case X_HALT:
        this.forceSignal({ signal: SIGSEGV, code: 0x80, addr: 0 });
        break;
    }
    // Back to user mode: pending signals that are not blocked are delivered now.
    if (this.alive && this.blocked === null && this.hasDeliverable()) this.deliverPending();
  }

  /** Demand paging and copy-on-write, resolved in place (an exit follows if not). */
  resolvePageFault(_env: Environment, addr: number, error: number): boolean {
    return this.vm.resolveFault(addr, (error & 2) !== 0) === FAULT_OK;
  }

  /** Before each turn on the CPU: finish or resume a call whose wait ended (a signal that
   *  will run a handler interrupts it; after a stop it goes on), deliver pending signals. */
  handleWake(_env: Environment, reason: number): void {
    const tr = this.trace?.resumed != null ? this.trace : this.traceLeft;
    if (tr !== null && tr.resumed !== null) {
      this.traceLeft = null;
      afterStop(this, tr);
      if (!this.alive || this.trace?.stop != null) return;
    }
    if (this.heldCall !== null) {
      // The call an embedder held (System.holdCall) is made now, as its trap would have.
      const vector = this.heldCall;
      this.heldCall = null;
      this.personality.trap(this, vector);
      if (this.alive && this.blocked === null && this.hasDeliverable()) this.deliverPending();
      return;
    }
    if (this.blocked !== null) {
      // A wait that ended on its own (its event, its deadline) is ended by this thread's own
      // signals only: a signal sent to the process went to the thread it interrupted, and this
      // one's call completes (a handler for it may still run here after the call returns).
      const sig = this.blocked.restart === UNINTERRUPTIBLE ? 0 : this.actionablePending(reason === WAKE_INTERRUPT);
      const act = sig !== 0 ? this.sig.actions[sig] : null;
      const takes = this.blocked.takes;
      if (takes !== null && sig !== 0 && inMask(sig, takes[0], takes[1])) {
        // sigtimedwait takes this signal itself: the call runs again below.
      } else if (act !== null && act.handler !== SIG_DFL) {
        this.personality.interrupted(this, act);
        this.endCall();
        // (a traced call's exit stop comes first, showing its restart code)
        if (this.trace?.stop != null) return;
      } else if (sig !== 0) {
        // A default action: the process stops (the call goes on once it continues) or dies.
        this.deliverPending();
        if (!this.alive || this.proc.stopped || this.trace?.stop != null) return;
      }
      if (this.blocked !== null) this.retryCall();
    }
    if (this.alive && this.blocked === null && this.hasDeliverable()) this.deliverPending();
  }

  /** The next pending signal this thread would act on (run a handler, stop, die), discarding
   *  pending signals that are now ignored; 0 if none. */
  actionablePending(sharedToo = true): number {
    const shared = sharedToo ? this.proc.sigPending : NO_SIGNALS;
    for (;;) {
      const sig = this.sig.nextDeliverable(shared);
      if (sig === 0) return 0;
      const act = this.sig.actions[sig];
      const dfl = defaultAction(sig);
      if (act.handler !== SIG_IGN && (act.handler !== SIG_DFL || (dfl !== DFL_IGNORE && dfl !== DFL_CONT))) return sig;
      if (!this.sig.pending.delete(sig)) shared.delete(sig);
    }
  }

  /** After a turn on the CPU that took `ns`: the process's CPU-time timers may have expired,
   *  and its RLIMIT_CPU may have been reached. */
  accounted(_env: Environment, _ns: number): void {
    const timers = this.proc.timers;
    if (timers !== null && timers.cpuArmed > 0) timers.cpuTick(this);
    if (this.proc.rlimits.has(RLIMIT_CPU)) this.checkCpuLimit();
  }

  /** RLIMIT_CPU, as Linux's check_process_timers enforces it: SIGKILL at the hard limit;
   *  SIGXCPU at the soft one, which then moves a second on (while below the hard one), so
   *  that a process that handles SIGXCPU gets it once a second until it is killed. */
  private checkCpuLimit(): void {
    const p = this.proc;
    const [soft, hard] = p.limit(RLIMIT_CPU);
    const sec = processCpuNs(p) / 1e9;
    const info = (signal: number): SigInfo => ({ signal, code: SI_KERNEL, addr: 0, pid: 0, uid: 0, trapno: 0, error: 0 });
    if (sec >= hard) {
      p.signal(SIGKILL, info(SIGKILL));
    } else if (sec >= soft) {
      p.signal(SIGXCPU, info(SIGXCPU));
      if (soft < hard) p.rlimits.set(RLIMIT_CPU, [soft + 1, hard]);
    }
  }

  private retryCall(): void {
    this.retrying = true;
    try {
      this.personality.resume(this);
    } finally {
      this.retrying = false;
    }
  }

  /** The personality parks the task: its environment waits on what `b` names. A signal that
   *  is already pending ends the wait at once (handleWake then sorts it out). */
  waitFor(b: WouldBlock): void {
    this.blocked = b;
    this.kernel.wait(this.env, b.queues, b.deadline);
    if (b.restart !== UNINTERRUPTIBLE && this.actionablePending() !== 0) this.kernel.interrupt(this.env);
  }

  /** The blocked call finished (a result was set). */
  endCall(): void {
    this.blocked = null;
    this.callDeadline = null;
  }

  /** Whether a pending signal is not blocked (a call about to wait is interrupted at once). */
  hasDeliverable(): boolean {
    return (this.sig.pending.size > 0 || this.proc.sigPending.size > 0) && this.sig.nextDeliverable(this.proc.sigPending) !== 0;
  }

  /** A processor exception in this task: resolve it (demand paging, copy-on-write) or signal. */
  private fault(vector: number, error: number, addr: number): void {
    if (trace.fault) logger("fault").trace({ pid: this.pid, tid: this.tid, vector, error, addr }, `${this.tid}: vector ${vector} error 0x${error.toString(16)} addr 0x${(addr >>> 0).toString(16)}`);
    if (vector === V_PF) {
      const r = this.vm.resolveFault(addr, (error & 2) !== 0);
      if (r === FAULT_OK) return;
      if (r === FAULT_OOM) {
        this.sys.outOfMemory(this);
        return;
      }
      if (r === FAULT_BUS) return this.forceSignal({ signal: SIGBUS, code: 2 /* BUS_ADRERR */, addr: addr >>> 0 }, vector, error);
      this.forceSignal({ signal: SIGSEGV, code: r === FAULT_MAPERR ? 1 : 2, addr: addr >>> 0 }, vector, error);
      return;
    }
    const eip = this.regs[8] >>> 0;
    switch (vector) {
      case V_DE:
        return this.forceSignal({ signal: SIGFPE, code: 1 /* FPE_INTDIV */, addr: eip }, vector, error);
      case V_MF:
        return this.forceSignal({ signal: SIGFPE, code: fpeCode(this.kernel.fpuExceptions(this.env)), addr: eip }, vector, error);
      case V_XM:
        return this.forceSignal({ signal: SIGFPE, code: fpeCode(this.kernel.simdExceptions(this.env)), addr: eip }, vector, error);
      case V_UD:
        return this.forceSignal({ signal: SIGILL, code: 2 /* ILL_ILLOPN */, addr: eip }, vector, error);
      case V_NM:
        return this.forceSignal({ signal: SIGILL, code: 0, addr: eip }, vector, error);
      case V_DB:
        // (a single step, EFLAGS.TF: TRAP_TRACE; anything else TRAP_BRKPT)
        return this.forceSignal({ signal: SIGTRAP, code: (error & DR6_BS) !== 0 ? 2 : 1, addr: eip }, vector, 0);
      case V_BP:
        return this.forceSignal({ signal: SIGTRAP, code: 1 /* TRAP_BRKPT */, addr: eip }, vector, error);
      case V_AC:
      case V_SS:
      case V_NP:
        return this.forceSignal({ signal: SIGBUS, code: 2, addr: 0 }, vector, error);
      case V_OF:
      case V_BR:
      case V_GP:
      default:
        // The kernel reports general-protection faults with si_code SI_KERNEL and no address.
        return this.forceSignal({ signal: SIGSEGV, code: 0x80, addr: 0 }, vector, error);
    }
  }

  /** Delivers a synchronous signal caused by the task's own instruction (a fault, or an
   *  `int n` the kernel refuses). It cannot be blocked or ignored: then it kills, as Linux's
   *  force_sig does. */
  forceSignal(f: FaultSignal, trapno = 0, error = 0): void {
    this.lastFault = f;
    const act = this.sig.actions[f.signal];
    if (trace.signal) this.log.trace(f, `${this.tid}: ${signalName(f.signal)} (code ${f.code}, addr 0x${f.addr.toString(16)})`);
    if (this.trace !== null) {
      // A traced thread stops for it first (its tracer may let it handle it, or not): pending,
      // blocked or ignored no more, as Linux's force_sig_info leaves it.
      if (act.handler === SIG_IGN || this.sig.blocked(f.signal)) {
        this.sig.actions[f.signal] = { ...act, handler: SIG_DFL };
        this.sig.unblock(...sigBit(f.signal));
      }
    }
    const info: SigInfo = { signal: f.signal, code: f.code, addr: f.addr, pid: 0, uid: 0, trapno, error, sys: f.sys, errno: f.errno };
    if (this.trace === null && (act.handler === SIG_DFL || act.handler === SIG_IGN || this.sig.blocked(f.signal))) {
      this.logFatal(f, trapno, error);
      this.dieOf(info);
      return;
    }
    this.sig.pending.set(f.signal, info);
    this.proc.sigEvents.notify();
  }

  /** The process dies of the signal `info` carries, dumping core first when the signal's
   *  default action does, RLIMIT_CORE allows it and the personality can write one; the wait
   *  status's core bit says whether it did, as Linux's coredump_finish sets it. */
  dieOf(info: SigInfo): void {
    const sig = info.signal;
    const core = this.proc.dumpsCore(sig) && (this.personality.dumpCore?.(this, info) ?? false);
    this.proc.exitGroup({ kind: "signal", signal: sig, core });
  }

  /** The kernel log's line for a fault that kills the process (Linux's show_signal_msg and
   *  show_signal, on by default: show_unhandled_signals): a page fault, a general-protection
   *  fault, a divide error or an invalid opcode, where it happened and in which file. */
  private logFatal(f: FaultSignal, trapno: number, error: number): void {
    const ip = this.regs[8] >>> 0, sp = this.regs[4] >>> 0;
    const hex = (v: number): string => (v >>> 0).toString(16);
    const who = `${this.comm.toString("latin1").replace(/\0.*$/s, "")}[${this.pid}]`;
    const v = this.vm.find(ip);
    const file = v !== undefined && v.name.startsWith("/") ? v.name.slice(v.name.lastIndexOf("/") + 1) : null;
    const where = v !== undefined && file !== null ? ` in ${file}[${hex(v.start)}+${hex(v.end - v.start)}]` : "";
    const trap = (what: string): string => `traps: ${who} ${what} ip:${hex(ip)} sp:${hex(sp)} error:${hex(error)}${where}`;
    let text: string;
    if (f.signal === SIGSEGV && trapno === V_PF) text = `${who}: segfault at ${hex(f.addr)} ip ${hex(ip).padStart(8, "0")} sp ${hex(sp).padStart(8, "0")} error ${hex(error)}${where}`;
    else if (f.signal === SIGSEGV && trapno === V_GP) text = trap("general protection fault");
    else if (f.signal === SIGFPE && trapno === V_DE && f.code === 1) text = trap("trap divide error");
    else if (f.signal === SIGILL && trapno === V_UD) text = trap("trap invalid opcode");
    else return;
    this.sys.klog.log(this.pid > 1 ? KERN_INFO : KERN_EMERG, text);
  }

  /** Sends a signal to this thread (tgkill, SIGPIPE, timers). Discarded if ignored; otherwise
   *  pending, and delivered when the thread next returns to user mode with it unblocked. */
  sendSignal(sig: number, code = 0, pid = this.pid, uid = this.proc.uid): void {
    this.queueSignal({ signal: sig, code, addr: 0, pid, uid, trapno: 0, error: 0 });
  }

  /** Sends a thread-directed signal with everything its receiver is told (rt_tgsigqueueinfo,
   *  a timer aimed at this thread). Returns whether `info` was queued (false: discarded as
   *  ignored, or merged with the same standard signal pending). */
  queueSignal(info: SigInfo): boolean {
    const sig = info.signal;
    if (sig === 0 || !this.alive) return false;
    this.proc.prepareSignal(sig);
    if (this.proc.filterSignal(sig, this)) return false;
    const queued = this.sig.pending.add(info);
    this.proc.sigEvents.notify();
    this.signalArrived(sig);
    return queued;
  }

  /** A signal was made pending for this thread: end an interruptible wait if it will act. */
  signalArrived(sig: number): void {
    if (!this.alive || this.sig.blocked(sig)) return;
    if (this.blocked !== null && this.blocked.restart !== UNINTERRUPTIBLE) this.kernel.interrupt(this.env);
  }

  /** Whether this thread would act on `sig` now (it does not block it). */
  accepts(sig: number): boolean {
    return this.alive && !this.sig.blocked(sig);
  }

  /** Delivers every pending, unblocked signal: default actions, or a frame for the handler. */
  deliverPending(): void {
    const shared = this.proc.sigPending;
    for (let sig = this.sig.nextDeliverable(shared); sig !== 0 && this.alive; sig = this.sig.nextDeliverable(shared)) {
      const tr = this.trace;
      if (tr !== null && tr.stop !== null) return;
      const info = (this.sig.pending.take(sig) ?? shared.take(sig)) as SigInfo; // nextDeliverable returns a pending key
      // (a traced thread stops in its tracer's sight before each signal but SIGKILL, even one it
      // ignores: the tracer chooses what it gets instead, if anything)
      if (tr !== null && sig !== SIGKILL) {
        traceStop(this, "signal", sig, info);
        return;
      }
      if (!this.deliverOne(info)) return;
    }
  }

  /** Acts on one signal taken from the pending sets: its default action, or a frame for its
   *  handler. False when the thread stopped or ended. */
  deliverOne(info: SigInfo): boolean {
    const sig = info.signal;
    const act = this.sig.actions[sig];
    if (act.handler === SIG_IGN) return true;
    if (act.handler === SIG_DFL) {
      const dfl = defaultAction(sig);
      if (dfl === DFL_IGNORE || dfl === DFL_CONT) return true;
      if (dfl === DFL_STOP) {
        this.proc.stop(sig);
        return false;
      }
      this.dieOf(info);
      return false;
    }
    const [oldLo, oldHi] = this.savedMask ?? [this.sig.maskLo, this.sig.maskHi];
    this.savedMask = null;
    if (!this.personality.deliverSignal(this, info, act, oldLo, oldHi)) {
      if (trace.signal) this.log.trace({ sig }, `${this.tid}: cannot write the frame for ${signalName(sig)}: SIGSEGV`);
      this.dieOf({ signal: SIGSEGV, code: SI_KERNEL, addr: 0, pid: 0, uid: 0, trapno: 0, error: 0 });
      return false;
    }
    if (trace.signal) this.log.trace({ sig, handler: act.handler }, `${this.tid}: delivered ${signalName(sig)} to handler 0x${(act.handler >>> 0).toString(16)}`);
    this.sig.block(act.maskLo, act.maskHi);
    if ((act.flags & SA_NODEFER) === 0) this.sig.block(...sigBit(sig));
    // (only the handler goes back to SIG_DFL: the flags and mask stay, as sigaction shows)
    if ((act.flags & SA_RESETHAND) !== 0) this.sig.actions[sig] = { ...act, handler: SIG_DFL };
    return true;
  }

  /** Whether the environment is held off the CPU: a traced thread while in a ptrace stop (or
   *  listening in its process's group stop), any other while its process is stopped. */
  updateSuspension(): void {
    if (!this.alive) return;
    const tr = this.trace;
    const held = tr !== null ? tr.stop !== null || (tr.listening && this.proc.stopped) : this.proc.stopped;
    this.kernel.suspend(this.env, held);
  }

  /** exit(2): this thread ends; the process ends with `code` when it was the last one. */
  exitThread(code: number): void {
    this.exitCode = code & 0xff;
    if (this.proc.threads.size <= 1) {
      this.proc.exitGroup({ kind: "exit", code: code & 0xff });
      return;
    }
    this.die();
  }

  /** Gives this thread a descriptor table of its own if others share it (exec, unshare,
   *  close_range's CLOSE_RANGE_UNSHARE): a copy, sharing the open descriptions. */
  ownFds(): void {
    if (this.fds.users === 1) return;
    this.fds.copyFits(this.sys.nrOpen);
    this.fds.users--;
    this.fds = this.fds.clone();
  }

  /** Gives this thread a file-system context (root, working directory, umask) of its own if
   *  others share it (unshare CLONE_FS). */
  ownFsContext(): void {
    if (this.fsx.users === 1) return;
    this.fsx.users--;
    this.fsx = this.fsx.copy();
  }

  /** Ends this thread: the robust futexes it held are released, its clear-tid word cleared and
   *  woken, and its memory, descriptors and environment let go. */
  die(): void {
    if (!this.alive) return;
    // A call it is blocked in lets go of what it waits in, as a signal would end it: a dead
    // waiter left queued would take a semaphore count, a message or a futex wake-up meant for
    // the living (Linux removes a dying task's waits in its exit path).
    const b = this.blocked;
    if (b !== null && b.onInterrupt !== null) {
      try {
        b.onInterrupt();
      } catch (e) {
        if (!(e instanceof SysError)) throw e;
      }
    }
    this.alive = false;
    // (its tracees go on, or die with it (PTRACE_O_EXITKILL); its tracer hears of its end)
    if (this.tracees.size > 0) tracerGone(this);
    if (this.trace !== null) traceeGone(this);
    // (the thread ends whatever letting go of its memory met)
    try {
      this.releaseMm(true);
    } finally {
      if (--this.fds.users === 0) this.fds.closeAll();
      this.fsx.users--;
      this.blocked = null;
      const env = this.kernel.env(this.env);
      this.proc.deadInsns += env.insns;
      this.proc.deadCpuNs += this.kernel.cpuTime(this.env); // with the turn it dies in
      this.proc.deadSysNs += this.sysNs;
      this.proc.deadSwitches += env.switches;
      this.proc.lastComm = this.comm;
      this.kernel.destroyEnv(this.env);
      this.proc.threads.delete(this);
      this.sys.tasks.delete(this.tid);
      // (the process's frame pool goes with its last thread: its spaces have let their frames go)
      if (this.proc.threads.size === 0) this.kernel.caps.revoke(this.proc.poolCap);
    }
  }

  /** What a thread does with its memory when it ends or execs (Linux's mm_release): robust
   *  futexes are released, the clear-tid word is cleared and woken if others share the memory,
   *  a vfork parent is let go; with `drop`, the memory itself is released. */
  releaseMm(drop: boolean): void {
    this.sys.futex.exitRobust(this);
    if (this.clearTid !== 0) {
      if (this.mm.users > 1) {
        try {
          this.mem.putU32(this.clearTid, 0);
          this.sys.futex.wake(this, this.clearTid, 1, -1, false);
        } catch {
          // an unmapped clear-tid address is ignored, as Linux does
        }
      }
      this.clearTid = 0;
    }
    this.robustList = 0;
    this.proc.vforkRelease();
    if (drop) {
      if (this.mm.users === 1) this.proc.maxRssPages = Math.max(this.proc.maxRssPages, this.kernel.aspace(this.mm.aspace).peakPages);
      this.mm.release();
    }
  }
}

/** The weight the n-th (from 1) system call of a thread counts with in its system time: the
 *  first 16 are each timed, then one in 16 is and counts 16 times (Linux itself samples user
 *  and system time at its clock ticks; two clock reads are a tenth of a cheap call). */
function sysTimeWeight(n: number): number {
  return n <= 16 ? 1 : (n & 15) === 0 ? 16 : 0;
}
