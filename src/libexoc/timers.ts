// Timers of a process: the three interval timers of setitimer (and alarm), and POSIX timers
// (timer_create). One mechanism serves both: an IntervalTimer counts on a clock (monotonic,
// wall, the process's or a thread's CPU time), expires at a time and then every `interval`, and
// announces each expiry with a signal to the process or to one thread, or not at all
// (SIGEV_NONE: the timer is only read). Timers on the monotonic and wall clocks are exokernel
// clock timers (through the clock capability), so they wake the run loop from an idle sleep;
// CPU-time timers are looked at after each turn the threads of the clock's process get on the
// CPU (a timer may count another process's CPU time: clock_getcpuclockid).
//
// Rules (Linux's, which POSIX leaves room for):
// - A timer's signal is queued once; the timer is re-armed when that signal is taken (by a
//   handler, sigtimedwait or a signalfd read) or discarded. Expirations missed meanwhile are
//   its overrun: the signal carries it (si_overrun) and timer_getoverrun reports it. So a
//   timer whose signal is blocked costs nothing however fast it runs.
// - A timer set with TIMER_ABSTIME on the wall clock follows changes to the wall clock
//   (clock_settime); relative ones do not.
// - Interval timers survive exec and are not inherited by fork; POSIX timers are deleted by
//   exec; everything stops when the process ends.

import type { Timer } from "../exokernel/clock.js";
import { WaitQueue } from "../exokernel/wait.js";
import type { Task } from "./task.js";
import type { Process } from "./process.js";
import { SIGALRM, SIGVTALRM, SIGPROF, SIGRTMIN, SI_KERNEL, SI_TIMER, type SigInfo } from "./signal.js";
import { monotonicNs, realtimeNs, processCpuNs, threadCpuNs } from "./time.js";
import { sysError } from "./errors.js";
import { later } from "../exokernel/later.js";

/** What a timer counts. */
export const TC_MONOTONIC = 0, TC_REALTIME = 1, TC_PROCESS_CPU = 2, TC_THREAD_CPU = 3;

/** How an expiry is announced. */
export const NOTIFY_SIGNAL = 0, NOTIFY_NONE = 1;

/** Which interval timer (setitimer's numbers). */
export const ITIMER_REAL = 0, ITIMER_VIRTUAL = 1, ITIMER_PROF = 2;

/** The largest overrun reported (POSIX DELAYTIMER_MAX, Linux's INT_MAX). */
const DELAYTIMER_MAX = 0x7fffffff;
/** POSIX timers one process may hold (Linux bounds them by memory only; this bounds a runaway). */
const MAX_TIMERS = 1 << 16;

export interface TimerEvent {
  notify: number;
  signal: number;
  /** si_value (sigev_value). */
  value: number;
  /** SIGEV_THREAD_ID: the thread that gets the signal (else the process does). */
  thread: Task | null;
  /** Instead of a signal, each expiry notifies this queue (a sleep on a CPU-time clock). */
  wake?: WaitQueue;
}

export class IntervalTimer {
  /** When it expires next, on its clock (monotonic ns for the monotonic and wall clocks, CPU ns
   *  for CPU clocks); 0 when disarmed. */
  expiry = 0;
  interval = 0;
  /** Armed with TIMER_ABSTIME on the wall clock: the wall time of `expiry` (ns), or null. */
  absReal: bigint | null = null;
  /** Overrun of the last expiry whose signal was taken. */
  overrunLast = 0;
  /** Its signal is queued and not taken yet (the timer waits to be re-armed). */
  signalPending = false;
  deleted = false;
  private host: Timer | null = null;
  /** Bumped whenever the timer is set or deleted: a signal from an older setting re-arms nothing. */
  private gen = 0;

  constructor(
    readonly owner: ProcessTimers,
    readonly clock: number,
    readonly ev: TimerEvent,
    /** The timer id (POSIX timers), or -1 for an interval timer. */
    readonly id: number,
    /** The thread whose CPU time a TC_THREAD_CPU timer counts. */
    readonly cpuThread: Task | null = null,
    /** The process whose CPU time a TC_PROCESS_CPU timer counts (another's clock, from
     *  clock_getcpuclockid; null: the owner's). */
    readonly cpuProc: Process | null = null,
  ) {}

  /** The armed CPU-time timers that are looked at after the turns of the clock's process. */
  private get watchers(): Set<IntervalTimer> {
    return this.cpuProc === null ? this.owner.cpu : timersOf(this.cpuProc).cpu;
  }

  /** Set to expire (`expiry` is then the clock's time of it, which may be past). */
  armed = false;

  /** The timer's clock now. */
  now(): number {
    const p = this.owner.proc;
    switch (this.clock) {
      case TC_PROCESS_CPU: return processCpuNs(this.cpuProc ?? p);
      case TC_THREAD_CPU: return this.cpuThread !== null ? threadCpuNs(this.cpuThread) : 0;
      default: return monotonicNs(p.sys);
    }
  }

  /**
   * Arms the timer to expire at `value` (ns; on its clock if `abs`, from now otherwise; wall
   * time for an absolute wall-clock timer) and every `interval` ns after; value 0 disarms it.
   * Returns the setting it had, as get() would have reported it.
   */
  set(value: bigint, interval: bigint, abs: boolean): [number, number] {
    const old = this.get();
    this.disarm();
    this.overrunLast = 0;
    if (value === 0n) return old;
    this.interval = Number(interval);
    const now = this.now();
    if (!abs) {
      this.expiry = now + Math.max(1, Number(value));
    } else if (this.clock === TC_REALTIME) {
      this.absReal = value;
      this.expiry = this.fromWallTime(now, value);
    } else {
      this.expiry = Number(value);
    }
    this.armed = true;
    this.arm();
    return old;
  }

  /** [time to the next expiry, interval] in ns; [0, 0] when disarmed. */
  get(): [number, number] {
    if (!this.armed) return [0, 0];
    const now = this.now();
    let left = this.expiry - now;
    if (left <= 0 && this.interval > 0) left = this.interval - ((now - this.expiry) % this.interval);
    return [Math.max(0, left), this.interval];
  }

  delete(): void {
    this.disarm();
    this.deleted = true;
  }

  /** The wall clock was set: an absolute wall-clock timer expires at its wall time still. */
  clockWasSet(): void {
    if (this.absReal === null || !this.armed || this.signalPending) return;
    this.cancelHost();
    this.expiry = this.fromWallTime(this.now(), this.absReal);
    this.arm();
  }

  /** The expiry on the timer's clock for wall time `wall`. A time already past stays in the
   *  past (the timer goes off at once, and a periodic one counts the intervals since as its
   *  overrun, as Linux's hrtimer_forward does). */
  private fromWallTime(now: number, wall: bigint): number {
    return now + Number(wall - realtimeNs(this.owner.proc.sys));
  }

  private disarm(): void {
    this.cancelHost();
    this.watchers.delete(this);
    this.gen++;
    this.armed = false;
    this.expiry = 0;
    this.interval = 0;
    this.absReal = null;
    this.signalPending = false;
  }

  private cancelHost(): void {
    if (this.host !== null) {
      this.owner.proc.sys.kernel.clocks.cancel(this.owner.proc.sys.clockCap, this.host);
      this.host = null;
    }
  }

  /** Waits for `expiry`: an exokernel timer, or the process's CPU-time checks. SIGEV_NONE
   *  timers need neither: reading them computes where they are. */
  private arm(): void {
    if (this.ev.notify === NOTIFY_NONE) return;
    if (this.clock === TC_PROCESS_CPU || this.clock === TC_THREAD_CPU) {
      // (a process that ended looks at no timers: one on its clock, which stopped, never fires)
      if (this.cpuProc === null || this.cpuProc.termination === null) this.watchers.add(this);
      return;
    }
    const sys = this.owner.proc.sys;
    this.host = sys.kernel.clocks.at(sys.clockCap, this.expiry, later(this, "expired"));
  }

  /** Its exokernel timer went off. */
  private expired(): void {
    this.host = null;
    this.fire();
  }

  /** The timer expired: its signal is sent, and the timer waits for it to be taken. */
  fire(): void {
    this.watchers.delete(this);
    if (!this.armed || this.deleted) return;
    if (this.ev.wake !== undefined) {
      this.disarm();
      this.ev.wake.notify();
      return;
    }
    const p = this.owner.proc;
    const gen = this.gen;
    const info: SigInfo = {
      signal: this.ev.signal, code: this.id >= 0 ? SI_TIMER : SI_KERNEL, addr: 0, pid: 0, uid: 0, trapno: 0, error: 0,
      value: this.ev.value, timerId: this.id >= 0 ? this.id : undefined, overrun: 0,
    };
    info.onTake = later(this, "taken", info, gen); // (the signal's own info is what is taken)
    this.signalPending = true;
    const t = this.ev.thread;
    const queued = t !== null ? t.alive && t.queueSignal(info) : p.signal(info.signal, info);
    // Discarded (ignored, or a standard signal already pending): the timer goes on at once.
    if (!queued && this.gen === gen && this.signalPending) this.taken(info, gen);
  }

  /** Its signal was taken (or discarded): re-arm a periodic timer past now, counting the
   *  expirations missed. */
  private taken(info: SigInfo, gen: number): void {
    if (gen !== this.gen || this.deleted || !this.signalPending) return;
    this.signalPending = false;
    if (this.interval <= 0) {
      this.armed = false;
      this.expiry = 0;
      this.absReal = null;
      this.overrunLast = 0;
      return;
    }
    const now = this.now();
    const missed = now >= this.expiry ? Math.floor((now - this.expiry) / this.interval) : 0;
    const step = (missed + 1) * this.interval;
    this.expiry += step;
    if (this.absReal !== null) this.absReal += BigInt(step);
    this.overrunLast = Math.min(missed, DELAYTIMER_MAX);
    info.overrun = this.overrunLast;
    this.arm();
  }
}

/** A process's timers. */
export class ProcessTimers {
  /** The interval timers, by ITIMER_* (made on first use). */
  private readonly itimers: (IntervalTimer | null)[] = [null, null, null];
  readonly posix = new Map<number, IntervalTimer>();
  /** Armed timers on CPU-time clocks. */
  readonly cpu = new Set<IntervalTimer>();
  private nextId = 0;

  constructor(readonly proc: Process) {}

  get cpuArmed(): number {
    return this.cpu.size;
  }

  /** ITIMER_REAL (SIGALRM on the monotonic clock), ITIMER_VIRTUAL (SIGVTALRM) or ITIMER_PROF
   *  (SIGPROF) on the process's CPU time. */
  itimer(which: number): IntervalTimer {
    let it = this.itimers[which];
    if (it === null) {
      const [clock, signal] = which === ITIMER_REAL ? [TC_MONOTONIC, SIGALRM] : [TC_PROCESS_CPU, which === ITIMER_VIRTUAL ? SIGVTALRM : SIGPROF];
      it = this.itimers[which] = new IntervalTimer(this, clock, { notify: NOTIFY_SIGNAL, signal, value: 0, thread: null }, -1);
    }
    return it;
  }

  /** A CPU-time timer of the process's own, not a POSIX timer: it notifies `wake` once its
   *  clock reaches `target` (clock_nanosleep on the process's CPU clock). */
  wakeAt(target: bigint): { timer: IntervalTimer; done: WaitQueue } {
    const done = new WaitQueue();
    const timer = new IntervalTimer(this, TC_PROCESS_CPU, { notify: NOTIFY_SIGNAL, signal: 0, value: 0, thread: null, wake: done }, -1);
    timer.set(target, 0n, true);
    return { timer, done };
  }

  /** A new POSIX timer; with `defaultValue`, its sigev_value is its id (no sigevent given). */
  create(clock: number, ev: TimerEvent, cpuThread: Task | null, defaultValue: boolean, cpuProc: Process | null = null): IntervalTimer {
    if (this.posix.size >= MAX_TIMERS) sysError("EAGAIN");
    let id = this.nextId;
    while (this.posix.has(id)) id = (id + 1) & 0x7fffffff;
    this.nextId = (id + 1) & 0x7fffffff;
    const t = new IntervalTimer(this, clock, defaultValue ? { ...ev, value: id } : ev, id, cpuThread, cpuProc !== this.proc ? cpuProc : null);
    this.posix.set(id, t);
    return t;
  }

  /** The POSIX timer `id` (EINVAL if none). */
  get(id: number): IntervalTimer {
    const t = this.posix.get(id);
    if (t === undefined) return sysError("EINVAL");
    return t;
  }

  remove(id: number): void {
    this.get(id).delete();
    this.posix.delete(id);
  }

  /** After a turn of thread `by`: CPU-time timers that reached their expiry fire. */
  cpuTick(_by: Task): void {
    for (const t of [...this.cpu]) if (t.armed && t.now() >= t.expiry) t.fire();
  }

  clockWasSet(): void {
    for (const t of this.posix.values()) t.clockWasSet();
  }

  /** exec: POSIX timers go, interval timers stay. */
  execReset(): void {
    for (const t of this.posix.values()) t.delete();
    this.posix.clear();
  }

  /** The process ended: nothing fires any more. */
  stopAll(): void {
    this.execReset();
    for (const it of this.itimers) it?.delete();
    this.cpu.clear();
  }
}

/** The timers of `p`, made on first use. */
export function timersOf(p: Process): ProcessTimers {
  p.timers ??= new ProcessTimers(p);
  return p.timers;
}

/** Signals a sigevent may name (1 ... SIGRTMAX). */
export function validTimerSignal(sig: number): boolean {
  return sig >= 1 && sig <= SIGRTMIN + 32;
}
