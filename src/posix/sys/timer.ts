// Timers: alarm, setitimer/getitimer, and POSIX timers (timer_create, timer_settime and
// timer_gettime with 32- and 64-bit time, timer_getoverrun, timer_delete). The semantics are
// libexoc/timers.ts; this file reads and writes itimerval, itimerspec and sigevent.

import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import type { Process } from "../../libexoc/process.js";
import { sysError, SysError } from "../../libexoc/errors.js";
import {
  timersOf, validTimerSignal, ITIMER_REAL, ITIMER_PROF, NOTIFY_SIGNAL, NOTIFY_NONE, TC_MONOTONIC, TC_REALTIME, TC_PROCESS_CPU, TC_THREAD_CPU,
  type IntervalTimer, type TimerEvent,
} from "../../libexoc/timers.js";
import {
  clockKind, cpuClockOwner, K_REALTIME, K_MONOTONIC, K_INVALID, CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE,
  CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM,
} from "../../libexoc/time.js";
import { SIGALRM } from "../../libexoc/signal.js";
import { Struct } from "../abi/structs.js";
import { readTimespec, TIMER_ABSTIME } from "./time.js";
import { capable, CAP_WAKE_ALARM } from "../../libexoc/capability.js";

const NS = 1000000000n;

/** struct sigevent (i386): sigev_value, sigev_signo, sigev_notify, then a union whose first
 *  word is the thread id of SIGEV_THREAD_ID. */
const SIGEV_SIGNAL = 0, SIGEV_NONE = 1, SIGEV_THREAD = 2, SIGEV_THREAD_ID = 4;

/** Reads a struct timeval as ns; EINVAL when the microseconds are out of range. */
function readTimeval(t: Task, va: number): bigint {
  const sec = t.mem.i32(va), usec = t.mem.i32(va + 4);
  if (sec < 0 || usec < 0 || usec >= 1000000) sysError("EINVAL");
  return BigInt(sec) * NS + BigInt(usec) * 1000n;
}

/** struct itimerval: interval, then value, as timevals (microseconds rounded up, so a timer
 *  never reads as disarmed while it runs). */
function itimerval(value: number, interval: number): Uint8Array {
  const tv = (ns: number): [number, number] => {
    const us = Math.ceil(ns / 1000);
    return [Math.floor(us / 1e6), us % 1e6];
  };
  const [is, iu] = tv(interval), [vs, vu] = tv(value);
  return new Struct(16).i32(0, is).i32(4, iu).i32(8, vs).i32(12, vu).bytes;
}

function itimer(t: Task, which: number): IntervalTimer {
  if (which < ITIMER_REAL || which > ITIMER_PROF) sysError("EINVAL");
  return timersOf(t.proc).itimer(which);
}

/** The remaining time getitimer shows: an ITIMER_REAL that is due but not yet re-armed reads
 *  as one microsecond, as Linux reports it. */
function itimerNow(it: IntervalTimer, which: number): [number, number] {
  const [v, i] = it.get();
  return [which === ITIMER_REAL && it.armed && v <= 0 ? 1000 : v, i];
}

export const getitimer: Sys = (t, which, cur) => {
  const it = itimer(t, which);
  const [v, i] = itimerNow(it, which);
  t.mem.write(cur, itimerval(v, i));
  return 0;
};

/** setitimer(which, new, old): a null `new` disarms the timer (as Linux has it). */
export const setitimer: Sys = (t, which, nv, ov) => {
  const it = itimer(t, which);
  let value = 0n, interval = 0n;
  if (nv !== 0) {
    interval = readTimeval(t, nv);
    value = readTimeval(t, nv + 8);
  }
  const old = itimerNow(it, which);
  it.set(value, interval, false);
  if (ov !== 0) t.mem.write(ov, itimerval(old[0], old[1]));
  return 0;
};

/** alarm(seconds): ITIMER_REAL once; returns the seconds that were left, rounded to nearest
 *  (at least 1 if any time was left). */
export const alarm: Sys = (t, seconds) => {
  const it = itimer(t, ITIMER_REAL);
  const [left] = itimerNow(it, ITIMER_REAL);
  it.set(BigInt(seconds >>> 0) * NS, 0n, false);
  const us = Math.ceil(left / 1000);
  let s = Math.floor(us / 1e6);
  if ((s === 0 && us > 0) || us % 1e6 >= 500000) s++;
  return s;
};

// ---- POSIX timers ----

/** The timer clock for a timer_create clock id (EINVAL, or EOPNOTSUPP for clocks without
 *  timers), and the thread a thread CPU clock names. */
function timerClock(t: Task, clock: number): [number, Task | null, Process | null] {
  const kind = clockKind(clock);
  if (kind === K_INVALID) sysError("EINVAL");
  if (clock === CLOCK_MONOTONIC_RAW || clock === CLOCK_REALTIME_COARSE || clock === CLOCK_MONOTONIC_COARSE) sysError("EOPNOTSUPP");
  if ((clock === CLOCK_REALTIME_ALARM || clock === CLOCK_BOOTTIME_ALARM) && !capable(t.proc, CAP_WAKE_ALARM)) sysError("EPERM");
  if (kind === K_REALTIME) return [TC_REALTIME, null, null];
  if (kind === K_MONOTONIC) return [TC_MONOTONIC, null, null];
  const o = cpuClockOwner(t, clock);
  // Another process's CPU clock is allowed (Linux asks only that the pid name a process);
  // a thread's clock must be one of the caller's threads (cpuClockOwner checks).
  return o.thread !== null ? [TC_THREAD_CPU, o.thread, null] : [TC_PROCESS_CPU, null, o.proc];
}

/** Reads a struct sigevent. */
function readSigevent(t: Task, va: number): TimerEvent {
  const value = t.mem.u32(va) >>> 0, signo = t.mem.i32(va + 4), notify = t.mem.i32(va + 8), tid = t.mem.i32(va + 12);
  const base = notify & ~SIGEV_THREAD_ID;
  let thread: Task | null = null;
  if ((notify & SIGEV_THREAD_ID) !== 0) {
    if (base !== SIGEV_SIGNAL) sysError("EINVAL");
    const th = t.sys.tasks.get(tid);
    if (th === undefined || !th.alive || th.proc !== t.proc) sysError("EINVAL");
    thread = th;
  }
  if (base === SIGEV_NONE) return { notify: NOTIFY_NONE, signal: 0, value, thread: null };
  // SIGEV_THREAD reaches the kernel only as a signal: glibc makes the thread itself (with
  // SIGEV_THREAD_ID underneath).
  if (base !== SIGEV_SIGNAL && base !== SIGEV_THREAD) sysError("EINVAL");
  if (!validTimerSignal(signo)) sysError("EINVAL");
  return { notify: NOTIFY_SIGNAL, signal: signo, value, thread };
}

export const timerCreate: Sys = (t, clock, sevp, idp) => {
  const [tc, cpuThread, cpuProc] = timerClock(t, clock);
  const ev: TimerEvent = sevp !== 0 ? readSigevent(t, sevp) : { notify: NOTIFY_SIGNAL, signal: SIGALRM, value: 0, thread: null };
  const timers = timersOf(t.proc);
  const timer = timers.create(tc, ev, cpuThread, sevp === 0, cpuProc);
  try {
    t.mem.putU32(idp, timer.id);
  } catch (e) {
    if (e instanceof SysError) timers.remove(timer.id);
    throw e;
  }
  return 0;
};

/** struct itimerspec: interval, then value; timespecs of 32- or 64-bit seconds. */
export function itimerspec(value: number, interval: number, wide: boolean): Uint8Array {
  const s = new Struct(wide ? 32 : 16);
  const put = (at: number, ns: number): void => {
    const sec = Math.floor(ns / 1e9), nsec = ns - sec * 1e9;
    if (wide) s.i64(at, sec).i64(at + 8, nsec);
    else s.i32(at, sec).i32(at + 4, nsec);
  };
  put(0, interval);
  put(wide ? 16 : 8, value);
  return s.bytes;
}

/** Reads a struct itimerspec: [interval, value] in ns (EINVAL for bad nanoseconds). */
export function readItimerspec(t: Task, va: number, wide: boolean): [bigint, bigint] {
  return [readTimespec(t, va, wide), readTimespec(t, va + (wide ? 16 : 8), wide)];
}

function timerSettime(t: Task, id: number, flags: number, nv: number, ov: number, wide: boolean): number {
  const timer = timersOf(t.proc).get(id);
  if (nv === 0) sysError("EINVAL"); // flag bits other than TIMER_ABSTIME are ignored, as Linux does
  const [interval, value] = readItimerspec(t, nv, wide);
  const old = timer.set(value, interval, (flags & TIMER_ABSTIME) !== 0);
  if (ov !== 0) t.mem.write(ov, itimerspec(old[0], old[1], wide));
  return 0;
}

function timerGettime(t: Task, id: number, cur: number, wide: boolean): number {
  const [v, i] = timersOf(t.proc).get(id).get();
  t.mem.write(cur, itimerspec(v, i, wide));
  return 0;
}

export const timerSettime32: Sys = (t, id, flags, nv, ov) => timerSettime(t, id, flags, nv, ov, false);
export const timerSettime64: Sys = (t, id, flags, nv, ov) => timerSettime(t, id, flags, nv, ov, true);
export const timerGettime32: Sys = (t, id, cur) => timerGettime(t, id, cur, false);
export const timerGettime64: Sys = (t, id, cur) => timerGettime(t, id, cur, true);

export const timerGetoverrun: Sys = (t, id) => timersOf(t.proc).get(id).overrunLast;

export const timerDelete: Sys = (t, id) => {
  timersOf(t.proc).remove(id);
  return 0;
};
