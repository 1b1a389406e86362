// Time as POSIX clocks: the clock ids (POSIX names; the numbers are Linux's, which the ABI layer
// passes through, as with signals), reading them, their resolutions, and setting the wall clock.
// Every reading goes through the system's clock capability (exokernel/clock.ts), whose time
// comes from the PIT and RTC device models; setting the time moves the guest system's wall
// clock only (an offset kept by the exokernel's clock), never the host's.
//
// CPU-time clocks (CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID, the clocks
// clock_getcpuclockid and pthread_getcpuclockid name, times, getrusage, ITIMER_VIRTUAL and
// ITIMER_PROF) count the host time the exokernel gave the thread on the CPU: its turns,
// including the system calls and page faults the host served for it. Not guest instructions
// at a nominal frequency: programs calibrate against these clocks (spin until clock() says
// 100 ms, profile with SIGPROF) and expect them to advance at the pace of the wall clock while
// they run alone, which instruction counts would not (the interpreter runs 10-50 times fewer
// instructions per second than compiled code, so a nominal frequency would be wrong by that
// factor in one tier or the other). The price is that the readings are not reproducible from
// run to run, as they are not on a real machine either. All of it counts as user time.

import type { Task } from "./task.js";
import type { Process } from "./process.js";
import type { System } from "./system.js";
import { sysError } from "./errors.js";
import { capable, CAP_SYS_TIME } from "./capability.js";

export const CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_PROCESS_CPUTIME_ID = 2, CLOCK_THREAD_CPUTIME_ID = 3;
export const CLOCK_MONOTONIC_RAW = 4, CLOCK_REALTIME_COARSE = 5, CLOCK_MONOTONIC_COARSE = 6, CLOCK_BOOTTIME = 7;
export const CLOCK_REALTIME_ALARM = 8, CLOCK_BOOTTIME_ALARM = 9, CLOCK_TAI = 11;

export const NS_PER_S = 1000000000n;
/** Granularity of the coarse clocks: a scheduler tick of 250 Hz, as Linux's default HZ. */
export const COARSE_NS = 4_000_000;

/** What a clock id names, once decoded. */
export const K_REALTIME = 0, K_MONOTONIC = 1, K_CPU = 2, K_INVALID = -1;

/** The kind of clock `clock` is: wall, monotonic (boot time is monotonic time here: a guest
 *  system never suspends), CPU time, or none. */
export function clockKind(clock: number): number {
  switch (clock) {
    case CLOCK_REALTIME: case CLOCK_REALTIME_COARSE: case CLOCK_REALTIME_ALARM: case CLOCK_TAI:
      return K_REALTIME;
    case CLOCK_MONOTONIC: case CLOCK_MONOTONIC_RAW: case CLOCK_MONOTONIC_COARSE: case CLOCK_BOOTTIME: case CLOCK_BOOTTIME_ALARM:
      return K_MONOTONIC;
    case CLOCK_PROCESS_CPUTIME_ID: case CLOCK_THREAD_CPUTIME_ID:
      return K_CPU;
    default:
      return clock < 0 && (clock & 3) !== 3 ? K_CPU : K_INVALID;
  }
}

/** Monotonic time (ns), the scale of every deadline the exokernel keeps. */
export function monotonicNs(sys: System): number {
  return sys.kernel.clocks.now(sys.clockCap);
}

/** Wall-clock time (ns since the epoch). */
export function realtimeNs(sys: System): bigint {
  return sys.kernel.clocks.realtime(sys.clockCap);
}

/** CPU time one thread has used (ns), including the turn it is in. */
export function threadCpuNs(t: Task): number {
  return t.alive ? t.kernel.cpuTime(t.env) : 0;
}

/** CPU time a process's threads have used (ns), ended ones included. */
export function processCpuNs(p: Process): number {
  let n = p.deadCpuNs;
  for (const th of p.threads) n += threadCpuNs(th);
  return n;
}

/** The part of a thread's CPU time spent in system calls (ns; sampled: Task.sysNs), at most
 *  `cpu`, its CPU time as the caller read it. (Read again here, the CPU time of a thread on the
 *  CPU is a little more than the caller's reading: the sampled system time, which may exceed
 *  it, was cut to that larger value, and user time, the difference, came out negative:
 *  getrusage reported -1 s and a few microseconds of user time, which the timers test saw once
 *  under load as a process CPU clock gone backwards.) */
export function threadSysNs(t: Task, cpu = threadCpuNs(t)): number {
  return t.alive ? Math.min(t.sysNs, cpu) : 0;
}

/** The part of a process's CPU time spent in system calls (ns), ended threads included, at
 *  most `cpu`, its CPU time as the caller read it (see threadSysNs). */
export function processSysNs(p: Process, cpu = processCpuNs(p)): number {
  let n = p.deadSysNs;
  for (const th of p.threads) n += th.sysNs;
  return Math.min(n, cpu);
}

/** The process or thread a CPU clock id names, as seen from `t` (EINVAL if none). The dynamic
 *  ids encode ~pid << 3, bit 2 for a thread, and the low bits for the flavour (profiling,
 *  virtual, scheduler), which all read the same CPU time here. */
export function cpuClockOwner(t: Task, clock: number): { proc: Process; thread: Task | null } {
  if (clock === CLOCK_PROCESS_CPUTIME_ID) return { proc: t.proc, thread: null };
  if (clock === CLOCK_THREAD_CPUTIME_ID) return { proc: t.proc, thread: t };
  const id = ~(clock >> 3);
  if ((clock & 4) !== 0) {
    const th = id === 0 ? t : t.sys.tasks.get(id);
    if (th === undefined || !th.alive || th.proc !== t.proc) return sysError("EINVAL");
    return { proc: th.proc, thread: th };
  }
  const p = id === 0 ? t.proc : t.sys.findProcess(id);
  if (p === undefined || p.termination !== null) return sysError("EINVAL");
  return { proc: p, thread: null };
}

/** Nanoseconds on `clock` now, as `t` sees it; EINVAL for clocks that do not exist. */
export function clockRead(t: Task, clock: number): bigint {
  switch (clockKind(clock)) {
    case K_REALTIME: {
      const ns = realtimeNs(t.sys);
      return clock === CLOCK_REALTIME_COARSE ? ns - (ns % BigInt(COARSE_NS)) : ns;
    }
    case K_MONOTONIC: {
      const ns = monotonicNs(t.sys);
      return BigInt(clock === CLOCK_MONOTONIC_COARSE ? ns - (ns % COARSE_NS) : ns);
    }
    case K_CPU: {
      const o = cpuClockOwner(t, clock);
      return BigInt(Math.round(o.thread !== null ? threadCpuNs(o.thread) : processCpuNs(o.proc)));
    }
    default:
      return sysError("EINVAL", `clock ${clock}`);
  }
}

/** The resolution clock_getres reports (ns). */
export function clockResolution(t: Task, clock: number): number {
  if (clockKind(clock) === K_INVALID) return sysError("EINVAL", `clock ${clock}`);
  if (clockKind(clock) === K_CPU) cpuClockOwner(t, clock);
  if (clock === CLOCK_REALTIME_COARSE || clock === CLOCK_MONOTONIC_COARSE) return COARSE_NS;
  return t.kernel.clocks.resolution(t.sys.clockCap);
}

/**
 * Sets `clock` to `ns` (clock_settime, settimeofday, stime): only the wall clock can be set,
 * and only by a process with the privilege (root: the capability Linux calls CAP_SYS_TIME).
 * The guest system's wall clock moves; sleeps and timers waiting for a wall-clock time look
 * again.
 */
export function setClock(t: Task, clock: number, ns: bigint | null): void {
  const kind = clockKind(clock);
  if (kind === K_INVALID) sysError("EINVAL");
  if (clock !== CLOCK_REALTIME) sysError("EINVAL");
  if (ns !== null && ns < 0n) sysError("EINVAL");
  if (!capable(t.proc, CAP_SYS_TIME)) sysError("EPERM");
  if (ns === null) return;
  t.kernel.clocks.setRealtime(t.sys.clockCap, ns);
  for (const p of t.sys.procs.values()) p.timers?.clockWasSet();
  t.sys.clockSet.notify();
}
