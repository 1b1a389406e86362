// Process tracing (Linux's ptrace, kernel/ptrace.c and the ptrace parts of kernel/signal.c): a
// tracer thread attaches to threads of other processes, which then stop where Linux stops them
// (before a signal is delivered, at the entry and exit of system calls when asked, at events:
// fork, clone, exec, exit; at a group stop; when interrupted) until the tracer lets them go on;
// the tracer learns of each stop through wait, as of a child's (the stop's "exit code": the
// signal, SIGTRAP | 0x80 for a system call, SIGTRAP | event << 8). The personality (posix/sys/
// ptrace.ts) reads and writes the stopped thread's registers and memory.
//
// A stopped tracee's environment is suspended; what it does when let go depends on where it
// stopped (Tracing.stop): make the call it stopped before, deliver the signal the tracer chose,
// go on with an exit or a call's return. Task.handleWake runs that at its next turn.

import type { Task } from "./task.js";
import type { SigInfo } from "./signal.js";
import { SIGTRAP, SIGSTOP, SIGKILL, SIGCHLD, SIG_IGN, SI_USER } from "./signal.js";

export const PTRACE_EVENT_FORK = 1, PTRACE_EVENT_VFORK = 2, PTRACE_EVENT_CLONE = 3, PTRACE_EVENT_EXEC = 4;
export const PTRACE_EVENT_VFORK_DONE = 5, PTRACE_EVENT_EXIT = 6, PTRACE_EVENT_SECCOMP = 7, PTRACE_EVENT_STOP = 128;

export const PTRACE_O_TRACESYSGOOD = 1, PTRACE_O_TRACEFORK = 2, PTRACE_O_TRACEVFORK = 4, PTRACE_O_TRACECLONE = 8;
export const PTRACE_O_TRACEEXEC = 0x10, PTRACE_O_TRACEVFORKDONE = 0x20, PTRACE_O_TRACEEXIT = 0x40, PTRACE_O_TRACESECCOMP = 0x80;
export const PTRACE_O_EXITKILL = 0x100000, PTRACE_O_SUSPEND_SECCOMP = 0x200000;
/** The options Linux 6.1 knows (PTRACE_O_MASK). */
export const PTRACE_O_MASK = 0xff | PTRACE_O_EXITKILL | PTRACE_O_SUSPEND_SECCOMP;

/** ptrace's event messages at system-call stops (PTRACE_GETEVENTMSG). */
export const EVENTMSG_SYSCALL_ENTRY = 1, EVENTMSG_SYSCALL_EXIT = 2;

/** Where a tracee stopped, which says what it does when let go. */
export type StopKind =
  /** before a system call: makes it (the number from orig_eax, which the tracer may change) */
  | "entry"
  /** at a seccomp filter's SECCOMP_RET_TRACE (PTRACE_O_TRACESECCOMP): makes the call as at
   *  "entry", the filters asked again (a second TRACE allows it) */
  | "seccomp"
  /** after a system call: returns to user mode */
  | "exit"
  /** before delivering a signal: delivers the one the tracer resumes it with (0: none) */
  | "signal"
  /** at an event inside a call (fork, clone, exec): the call returns */
  | "event"
  /** a call it was stopped in while waiting is seen entering again (Linux restarts such a call,
   *  and a tracer of calls sees it enter): it goes on waiting */
  | "reentry"
  /** at its exit (PTRACE_EVENT_EXIT): ends, with the status kept in `exitCode` */
  | "exit-event"
  /** in a group stop, or trapped by PTRACE_INTERRUPT or a new tracee's first stop */
  | "group";

/** How a tracee runs once let go: to its next stop of the kinds always reported, or also to the
 *  next system call's entry or exit. */
export type ResumeMode = "cont" | "syscall";

/** A traced thread's tracing: its tracer, the options, the stop it is in. */
export class Tracing {
  /** PTRACE_SYSCALL: stop at each system call's entry and exit. */
  syscalls = false;
  /** The stop it is in (null: running), and whether the tracer's wait has reported it. */
  stop: StopKind | null = null;
  reported = false;
  /** The stop's code, as wait reports it (WSTOPSIG and the event above it). */
  code = 0;
  /** The siginfo of a signal-delivery stop (PTRACE_GETSIGINFO; the tracer may change it), or of
   *  a SIGTRAP stop Linux describes with one. */
  info: SigInfo | null = null;
  /** PTRACE_GETEVENTMSG. */
  message = 0;
  /** The signal the tracer let it go with (the `data` of PTRACE_CONT and friends). */
  resumeSignal = 0;
  /** The stop it was let go from (handled at its next turn), or null. */
  resumed: StopKind | null = null;
  /** A call that returned while the tracee was stopped at an event inside it: its exit stop
   *  comes after that stop. */
  exitPending = false;
  /** The exit status a PTRACE_EVENT_EXIT stop goes on with (an exit_group's `code`, or
   *  -1 - code for a thread's own exit). */
  exitCode = 0;
  /** PTRACE_INTERRUPT asked for a stop the tracee has not reached yet. */
  interrupt = false;
  /** PTRACE_LISTEN: stopped in a group stop, it stays so until the process continues. */
  listening = false;
  /** PTRACE_SINGLESTEP set the trap flag (any other resume clears it again). */
  forcedTf = false;
  /** The system call number at the call's entry (orig_eax); -1 outside one. */
  origEax = -1;
  /** EAX once the tracee goes on from a call's exit stop where it showed a restart code (a
   *  signal interrupted the call): the call's number to make it again, or -EINTR. */
  afterExit: number | null = null;

  constructor(
    /** The tracing thread. */
    public tracer: Task,
    /** Attached with PTRACE_SEIZE (no SIGSTOP at attach, PTRACE_EVENT_STOP group stops,
     *  PTRACE_INTERRUPT and PTRACE_LISTEN allowed). */
    readonly seized: boolean,
    public options: number,
  ) {}
}

/** CLD_TRAPPED: SIGCHLD's si_code for a tracee's stop. */
const CLD_TRAPPED = 4;
const SA_NOCLDSTOP = 1;

/** Starts tracing `t` by `tracer`. */
export function attach(tracer: Task, t: Task, seized: boolean, options: number): Tracing {
  const tr = new Tracing(tracer, seized, options);
  t.trace = tr;
  tracer.tracees.add(t);
  return tr;
}

/** Stops `t` (traced) with wait code `code`: its environment is suspended, its tracer's waits
 *  wake, and the tracer's process gets SIGCHLD (CLD_TRAPPED) unless it asked not to hear of
 *  stops. */
export function traceStop(t: Task, kind: StopKind, code: number, info: SigInfo | null = null, message?: number): void {
  const tr = t.trace as Tracing;
  tr.stop = kind;
  tr.code = code;
  tr.reported = false;
  tr.info = info;
  tr.resumed = null;
  tr.interrupt = false;
  if (message !== undefined) tr.message = message;
  t.updateSuspension();
  const tracer = tr.tracer.proc;
  tracer.childEvents.notify();
  const act = tr.tracer.sig.actions[SIGCHLD];
  if (act.handler === SIG_IGN || (act.flags & SA_NOCLDSTOP) !== 0) return;
  tracer.signal(SIGCHLD, { signal: SIGCHLD, code: CLD_TRAPPED, addr: 0, status: code & 0x7f, pid: t.tid, uid: t.proc.uid, trapno: 0, error: 0 });
}

/** Lets a stopped tracee go on (PTRACE_CONT, PTRACE_SYSCALL, PTRACE_DETACH, PTRACE_LISTEN's
 *  end), with `sig` for it to act on as its stop allows. */
export function traceResume(t: Task, mode: ResumeMode, sig: number): void {
  const tr = t.trace as Tracing;
  tr.syscalls = mode === "syscall";
  tr.resumeSignal = sig;
  tr.resumed = tr.stop;
  tr.stop = null;
  tr.listening = false;
  t.updateSuspension();
}

/** Ends the tracing of `t` (PTRACE_DETACH, the tracer's exit): a stopped tracee goes on with
 *  `sig` (what its stop left to do is done at its next turn, untraced: Task.handleWake); one in
 *  a group stop of its process stays stopped. */
export function detach(t: Task, sig: number): void {
  const tr = t.trace;
  if (tr === null) return;
  tr.tracer.tracees.delete(t);
  if (tr.stop !== null) {
    traceResume(t, "cont", sig);
    t.traceLeft = tr;
  }
  t.trace = null;
  t.updateSuspension();
}

/** The tracer `t` is ending: each tracee is killed (PTRACE_O_EXITKILL) or let go. */
export function tracerGone(t: Task): void {
  for (const tracee of [...t.tracees]) {
    const kill = ((tracee.trace?.options ?? 0) & PTRACE_O_EXITKILL) !== 0;
    detach(tracee, 0);
    if (kill && tracee.alive) tracee.proc.signal(SIGKILL, { signal: SIGKILL, code: SI_USER, addr: 0, pid: t.pid, uid: t.proc.uid, trapno: 0, error: 0 });
  }
}

/** Traced thread `t` ended: its tracer stops tracing it, and hears of the end through wait unless
 *  it is the parent of the process whose main thread this was (which hears of it as of a child's
 *  end). */
export function traceeGone(t: Task): void {
  const tr = t.trace as Tracing;
  tr.tracer.tracees.delete(t);
  t.trace = null;
  const tracer = tr.tracer.proc;
  if (t.tid === t.proc.pid && t.proc.parent === tracer) return;
  tracer.traceZombies.push(t);
  tracer.childEvents.notify();
}

/** What a stop's wait status code is for a signal-delivery stop, a group stop and an event. */
export const groupStopCode = (tr: Tracing, sig: number): number => (tr.seized ? sig | (PTRACE_EVENT_STOP << 8) : sig);
export const eventCode = (event: number): number => SIGTRAP | (event << 8);
export const syscallCode = (tr: Tracing): number => SIGTRAP | ((tr.options & PTRACE_O_TRACESYSGOOD) !== 0 ? 0x80 : 0);

/** A SIGTRAP's siginfo as Linux fills it for a ptrace stop of its own (ptrace_do_notify). */
export function trapInfo(t: Task, code: number): SigInfo {
  return { signal: SIGTRAP, code, addr: 0, pid: t.tid, uid: t.proc.uid, trapno: 0, error: 0 };
}

/** The first stop of a tracee attached by PTRACE_ATTACH (a SIGSTOP) or auto-attached at a fork
 *  (seized: a PTRACE_EVENT_STOP trap; else a SIGSTOP it stops for when it first runs). */
export function firstStop(t: Task, tr: Tracing): void {
  if (tr.seized) traceStop(t, "group", groupStopCode(tr, SIGTRAP), trapInfo(t, (PTRACE_EVENT_STOP << 8) | SIGTRAP));
  else t.sendSignal(SIGSTOP, SI_USER, t.pid, t.proc.uid);
}

/** A traced thread's exec succeeded: a PTRACE_EVENT_EXEC stop (message: its thread id), or, for
 *  a tracee attached the old way without that option, a SIGTRAP. */
export function traceExec(t: Task): void {
  const tr = t.trace;
  if (tr === null) return;
  if ((tr.options & PTRACE_O_TRACEEXEC) !== 0) traceStop(t, "event", eventCode(PTRACE_EVENT_EXEC), trapInfo(t, eventCode(PTRACE_EVENT_EXEC)), t.tid);
  else if (!tr.seized) t.sendSignal(SIGTRAP, SI_USER, t.pid, t.proc.uid);
}

/** A traced thread is about to end by exit(2) (`exitCode` -1 - code) or exit_group(2) (`code`):
 *  with PTRACE_O_TRACEEXIT it stops first (message: the wait status), and ends when let go.
 *  Returns whether it stopped. */
export function traceExitEvent(t: Task, exitCode: number, status: number): boolean {
  const tr = t.trace;
  if (tr === null || (tr.options & PTRACE_O_TRACEEXIT) === 0) return false;
  tr.exitCode = exitCode;
  traceStop(t, "exit-event", eventCode(PTRACE_EVENT_EXIT), trapInfo(t, eventCode(PTRACE_EVENT_EXIT)), status);
  return true;
}

const CLONE_VFORK = 0x4000, CLONE_PTRACE = 0x2000, CLONE_UNTRACED = 0x800000;

/** A traced thread made `child` (clone flags `flags`): with the option for its kind (fork,
 *  vfork, clone; or CLONE_PTRACE) the child is traced too, by the same tracer, and stops first;
 *  with the option the creator stops at the event (message: the child's id). */
export function traceClone(t: Task, child: Task, flags: number, exitSignal: number): void {
  const tr = t.trace;
  if (tr === null || (flags & CLONE_UNTRACED) !== 0) return;
  const event = (flags & CLONE_VFORK) !== 0 ? PTRACE_EVENT_VFORK : exitSignal !== SIGCHLD ? PTRACE_EVENT_CLONE : PTRACE_EVENT_FORK;
  const option = event === PTRACE_EVENT_VFORK ? PTRACE_O_TRACEVFORK : event === PTRACE_EVENT_CLONE ? PTRACE_O_TRACECLONE : PTRACE_O_TRACEFORK;
  const reported = (tr.options & option) !== 0;
  if (!reported && (flags & CLONE_PTRACE) === 0) return;
  firstStop(child, attach(tr.tracer, child, tr.seized, tr.options));
  if (reported) traceStop(t, "event", eventCode(event), trapInfo(t, eventCode(event)), child.tid);
}

/** -ENOSYS: what EAX reads at a call's entry stop; EAX's index in the register file. */
const ENOSYS = 38, EAX = 0;

/** A tracer let `t` go on from stop `tr.resumed` (or detached it there): what the stop left to
 *  do (Task.handleWake, at its next turn). */
export function afterStop(t: Task, tr: Tracing): void {
  const from = tr.resumed;
  const sig = tr.resumeSignal;
  tr.resumed = null;
  tr.resumeSignal = 0;
  switch (from) {
    case "entry":
    case "seccomp":
      t.personality.traceEntryDone?.(t, tr, from === "seccomp" ? 0 : sig, from === "seccomp");
      break;
    case "exit":
      // (a call a signal interrupted showed its restart code at the stop: now its result)
      if (tr.afterExit !== null) t.regs[EAX] = tr.afterExit;
      tr.afterExit = null;
      if (sig !== 0) t.sendSignal(sig, 0x80);
      break;
    case "signal": {
      if (sig === 0) break;
      // (another signal than the one it stopped for is described as one the tracer sent)
      const old = tr.info;
      const info: SigInfo = old !== null && old.signal === sig ? old : { signal: sig, code: 0, addr: 0, pid: tr.tracer.pid, uid: tr.tracer.proc.uid, trapno: 0, error: 0 };
      if (t.sig.blocked(sig)) t.sig.pending.add(info);
      else t.deliverOne(info);
      break;
    }
    case "event":
      if (tr.exitPending && t.trace === tr) {
        tr.exitPending = false;
        if (tr.syscalls) traceStop(t, "exit", syscallCode(tr), trapInfo(t, syscallCode(tr)), EVENTMSG_SYSCALL_EXIT);
      }
      break;
    case "exit-event":
      if (tr.exitCode < 0) t.exitThread(-1 - tr.exitCode);
      else t.proc.exitGroup({ kind: "exit", code: tr.exitCode });
      return;
    case "reentry":
      t.regs[EAX] = tr.origEax;
      return;
    default:
      break;
  }
  // (stopped while it waited in a call, by a signal or its tracer, it shows its tracer of calls
  // that call entering again, as Linux, which interrupts and restarts it, does; EAX reads
  // -ENOSYS there, as at an entry. An event's stop inside a call (vfork's, before its wait)
  // is not such a stop.)
  if (t.blocked !== null && t.trace === tr && tr.syscalls && tr.stop === null && (from === "group" || from === "signal")) {
    tr.origEax = t.regs[EAX];
    t.regs[EAX] = -ENOSYS;
    traceStop(t, "reentry", syscallCode(tr), trapInfo(t, syscallCode(tr)), EVENTMSG_SYSCALL_ENTRY);
  }
}
