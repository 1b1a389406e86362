// Signal state of a process: the action for each signal, the blocked mask, and the default
// actions POSIX defines. Signals are identified by the numbers below; a personality maps its
// ABI's numbers onto them (for Linux they coincide).

export const SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGILL = 4, SIGTRAP = 5, SIGABRT = 6, SIGBUS = 7;
export const SIGFPE = 8, SIGKILL = 9, SIGUSR1 = 10, SIGSEGV = 11, SIGUSR2 = 12, SIGPIPE = 13;
export const SIGALRM = 14, SIGTERM = 15, SIGSTKFLT = 16, SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19;
export const SIGTSTP = 20, SIGTTIN = 21, SIGTTOU = 22, SIGURG = 23, SIGXCPU = 24, SIGXFSZ = 25;
export const SIGVTALRM = 26, SIGPROF = 27, SIGWINCH = 28, SIGIO = 29, SIGPWR = 30, SIGSYS = 31;
export const SIGRTMIN = 32, NSIG = 64;

export const SIGNAL_NAMES: Record<number, string> = {
  1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS",
  8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE",
  14: "SIGALRM", 15: "SIGTERM", 16: "SIGSTKFLT", 17: "SIGCHLD", 18: "SIGCONT", 19: "SIGSTOP",
  20: "SIGTSTP", 21: "SIGTTIN", 22: "SIGTTOU", 23: "SIGURG", 24: "SIGXCPU", 25: "SIGXFSZ",
  26: "SIGVTALRM", 27: "SIGPROF", 28: "SIGWINCH", 29: "SIGIO", 30: "SIGPWR", 31: "SIGSYS",
};

export function signalName(sig: number): string {
  return SIGNAL_NAMES[sig] ?? (sig >= SIGRTMIN && sig <= NSIG ? `SIGRT${sig - SIGRTMIN}` : `signal ${sig}`);
}

/** Default dispositions (POSIX signal.h). */
export const DFL_TERM = 0, DFL_CORE = 1, DFL_IGNORE = 2, DFL_STOP = 3, DFL_CONT = 4;

export function defaultAction(sig: number): number {
  switch (sig) {
    case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS: case SIGFPE: case SIGSEGV:
    case SIGXCPU: case SIGXFSZ: case SIGSYS:
      return DFL_CORE;
    case SIGCHLD: case SIGURG: case SIGWINCH:
      return DFL_IGNORE;
    case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
      return DFL_STOP;
    case SIGCONT:
      return DFL_CONT;
    default:
      return DFL_TERM;
  }
}

/** Handler values with a fixed meaning. */
export const SIG_DFL = 0, SIG_IGN = 1;

export interface SigAction {
  /** Guest address of the handler, or SIG_DFL/SIG_IGN. */
  handler: number;
  flags: number;
  /** Guest address of the restorer trampoline (SA_RESTORER). */
  restorer: number;
  /** Signals blocked during the handler (bit n-1 for signal n), low and high words. */
  maskLo: number;
  maskHi: number;
}

/** Signal numbers whose action or blocking cannot be changed. */
export function unblockable(sig: number): boolean {
  return sig === SIGKILL || sig === SIGSTOP;
}

/** What the receiver of a signal is told about it (the fields of siginfo a personality fills). */
export interface SigInfo {
  signal: number;
  /** si_code: > 0 from the kernel (fault kinds), SI_USER 0 from kill, SI_TKILL -6 from tgkill. */
  code: number;
  /** Faulting address (faults), or 0. */
  addr: number;
  /** Sender's pid and uid (kill; for SIGCHLD, the child's). */
  pid: number;
  uid: number;
  /** SIGCHLD: the child's exit code, or the signal that ended, stopped or continued it. */
  status?: number;
  /** Processor exception vector and error code behind a fault (sigcontext trapno/err), or 0. */
  trapno: number;
  error: number;
  /** The sender's value (sigqueue's si_value, a timer's sigev_value): an int or a pointer. */
  value?: number;
  /** A POSIX timer's signal: the timer's id and the expirations missed (si_timerid,
   *  si_overrun). */
  timerId?: number;
  overrun?: number;
  /** Signal-driven I/O's signal (F_SETSIG): the poll bits of what happened and the fd
   *  (si_band, si_fd). */
  poll?: { band: number; fd: number };
  /** A seccomp filter's SIGSYS (SYS_SECCOMP): the address after the call, its number and
   *  architecture (si_call_addr, si_syscall, si_arch), with the filter's data as si_errno. */
  sys?: { callAddr: number; nr: number; arch: number };
  /** si_errno (0 unless said). */
  errno?: number;
  /** Called when the signal leaves the pending set, taken by a handler, a wait or a read, or
   *  discarded (a timer re-arms then, filling in `overrun` first). */
  onTake?: (info: SigInfo) => void;
}

/** si_code values POSIX names (Linux numbers): kill, sigqueue, a timer, a message queue,
 *  tkill/tgkill, and the kernel itself. */
export const SI_USER = 0, SI_QUEUE = -1, SI_TIMER = -2, SI_MESGQ = -3, SI_TKILL = -6, SI_KERNEL = 0x80;

/** SA_* flags the generic delivery honours (their Linux values, which POSIX leaves open). */
export const SA_ONSTACK = 0x08000000, SA_RESTART = 0x10000000, SA_NODEFER = 0x40000000, SA_RESETHAND = 0x80000000 | 0;
export const SA_SIGINFO = 4, SA_RESTORER = 0x04000000;

/** Signal dispositions: shared by the threads of a process (and by processes created with
 *  CLONE_SIGHAND). */
export class SigHandlers {
  readonly actions: SigAction[] = [];

  constructor(from?: SigHandlers) {
    for (let s = 0; s <= NSIG; s++) this.actions.push(from ? { ...from.actions[s] } : { handler: SIG_DFL, flags: 0, restorer: 0, maskLo: 0, maskHi: 0 });
  }

  /** After exec: caught signals revert to default; ignored stay ignored. */
  resetForExec(): void {
    for (const a of this.actions) {
      if (a.handler !== SIG_IGN) a.handler = SIG_DFL;
      a.flags = 0;
      a.restorer = 0;
      a.maskLo = a.maskHi = 0;
    }
  }
}

/** Pending signals with what to report to the receiver. A standard signal is pending once
 *  however often it is sent; a real-time signal (SIGRTMIN and above) is queued once per send,
 *  and its instances are taken in the order they were sent, each with its own value. A thread
 *  has its own set; its process has a shared one. */
export class PendingSet {
  private readonly q = new Map<number, SigInfo[]>();
  /** Instances queued, over all signals. */
  queued = 0;

  /** Distinct signals pending. */
  get size(): number {
    return this.q.size;
  }

  has(sig: number): boolean {
    return this.q.has(sig);
  }

  /** The instance of `sig` that would be taken next. */
  get(sig: number): SigInfo | undefined {
    return this.q.get(sig)?.[0];
  }

  keys(): IterableIterator<number> {
    return this.q.keys();
  }

  /** Makes `sig` pending with `info` alone (a fault replacing what was there). */
  set(sig: number, info: SigInfo): void {
    this.delete(sig);
    this.q.set(sig, [info]);
    this.queued++;
  }

  /** Sends `info`: a standard signal already pending is merged (false), a real-time one is
   *  queued behind the earlier ones. */
  add(info: SigInfo): boolean {
    const l = this.q.get(info.signal);
    if (l === undefined) this.q.set(info.signal, [info]);
    else if (info.signal >= SIGRTMIN) l.push(info);
    else return false;
    this.queued++;
    return true;
  }

  /** Takes the oldest instance of `sig`. */
  take(sig: number): SigInfo | undefined {
    const l = this.q.get(sig);
    if (l === undefined) return undefined;
    const info = l.shift() as SigInfo; // lists in the map are never empty
    if (l.length === 0) this.q.delete(sig);
    this.queued--;
    info.onTake?.(info);
    return info;
  }

  /** Discards every instance of `sig` (ignored, or cleared by SIGCONT/stop rules). */
  delete(sig: number): boolean {
    const l = this.q.get(sig);
    if (l === undefined) return false;
    this.q.delete(sig);
    this.queued -= l.length;
    for (const info of l) info.onTake?.(info);
    return true;
  }

  /** Forgets everything (the process is gone: nothing is taken). */
  clear(): void {
    this.q.clear();
    this.queued = 0;
  }
}

/** Whether `sig` is in the (lo, hi) mask pair. */
export function inMask(sig: number, lo: number, hi: number): boolean {
  return sig <= 32 ? ((lo >>> (sig - 1)) & 1) === 1 : ((hi >>> (sig - 33)) & 1) === 1;
}

/** Bit of `sig` in a (lo, hi) pair of mask words. */
export function sigBit(sig: number): [number, number] {
  return sig <= 32 ? [1 << (sig - 1), 0] : [0, 1 << (sig - 33)];
}

/** The signal state of one thread: its blocked mask and thread-directed pending signals, and
 *  the dispositions it shares. */
export class SignalState {
  /** Blocked mask, low and high 32 signals. */
  maskLo = 0;
  maskHi = 0;
  /** Pending thread-directed signals (faults, tgkill). */
  readonly pending = new PendingSet();

  constructor(public handlers: SigHandlers) {}

  get actions(): SigAction[] {
    return this.handlers.actions;
  }

  blocked(sig: number): boolean {
    return sig <= 32 ? ((this.maskLo >>> (sig - 1)) & 1) === 1 : ((this.maskHi >>> (sig - 33)) & 1) === 1;
  }

  /** Unblocks the signals in (lo, hi). */
  unblock(lo: number, hi: number): void {
    this.maskLo &= ~lo;
    this.maskHi &= ~hi;
  }

  /** Blocks `sig` and the signals in (lo, hi), as entering a handler does. */
  block(lo: number, hi: number): void {
    this.maskLo |= lo;
    this.maskHi |= hi;
  }

  /** The lowest-numbered signal pending for this thread (its own first, then its process's
   *  `shared` set) that it does not block, or 0. */
  nextDeliverable(shared: PendingSet): number {
    let best = 0;
    for (const sig of this.pending.keys()) if (!this.blocked(sig) && (best === 0 || sig < best)) best = sig;
    if (best !== 0) return best;
    for (const sig of shared.keys()) if (!this.blocked(sig) && (best === 0 || sig < best)) best = sig;
    return best;
  }
}
