// Clocks and sleeping: clock_gettime (32- and 64-bit time), gettimeofday, time, clock_getres,
// nanosleep and clock_nanosleep, times and getrusage. Glibc 2.36 tries the *_time64 numbers
// first. A sleep parks the thread until its deadline (other guests run meanwhile); the CPU-time
// clocks count the host time the exokernel gave the process or thread.

import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import { sysError } from "../../libexoc/errors.js";
import { WouldBlock, EINTR_ON_HANDLER } from "../../libexoc/blocking.js";
import { timespec32, timespec64, timeval32, Struct } from "../abi/structs.js";

export const CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_PROCESS_CPUTIME_ID = 2, CLOCK_THREAD_CPUTIME_ID = 3;
export const CLOCK_MONOTONIC_RAW = 4, CLOCK_REALTIME_COARSE = 5, CLOCK_MONOTONIC_COARSE = 6, CLOCK_BOOTTIME = 7;
export const CLOCK_REALTIME_ALARM = 8, CLOCK_BOOTTIME_ALARM = 9, CLOCK_TAI = 11;

const NS = 1000000000n;
/** Wall-clock time at start-up, and the monotonic reading it corresponds to. */
const wallBase = BigInt(Date.now()) * 1000000n;
const monoBase = process.hrtime.bigint();

/** Nanoseconds on the given clock; EINVAL for unknown clocks. The CPU-time clocks need the
 *  calling thread. */
export function clockNs(clock: number, t?: Task): bigint {
  switch (clock) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_REALTIME_ALARM:
    case CLOCK_TAI:
      return wallBase + (process.hrtime.bigint() - monoBase);
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
    case CLOCK_BOOTTIME_ALARM:
      return process.hrtime.bigint();
    case CLOCK_PROCESS_CPUTIME_ID:
      return BigInt(Math.round(t !== undefined ? processCpuNs(t) : 0));
    case CLOCK_THREAD_CPUTIME_ID:
      return BigInt(Math.round(t !== undefined ? t.kernel.cpuTime(t.env) : 0));
    default:
      return sysError("EINVAL", `clock ${clock}`);
  }
}

/** CPU time of the caller's process: its threads', including the turn now running. */
function processCpuNs(t: Task): number {
  let n = t.proc.deadCpuNs;
  for (const th of t.proc.threads) n += th.kernel.cpuTime(th.env);
  return n;
}

export const clockGettime: Sys = (t, clock, buf) => {
  const ns = clockNs(clock, t);
  if (ns / NS > 0x7fffffffn) sysError("EOVERFLOW");
  t.mem.write(buf, timespec32(ns));
  return 0;
};

export const clockGettime64: Sys = (t, clock, buf) => {
  t.mem.write(buf, timespec64(clockNs(clock, t)));
  return 0;
};

function resolution(clock: number): bigint {
  clockNs(clock);
  return clock === CLOCK_REALTIME_COARSE || clock === CLOCK_MONOTONIC_COARSE ? 4000000n : 1n;
}

export const clockGetres: Sys = (t, clock, buf) => {
  const r = resolution(clock);
  if (buf !== 0) t.mem.write(buf, timespec32(r));
  return 0;
};

export const clockGetres64: Sys = (t, clock, buf) => {
  const r = resolution(clock);
  if (buf !== 0) t.mem.write(buf, timespec64(r));
  return 0;
};

export const gettimeofday: Sys = (t, tv, tz) => {
  if (tv !== 0) t.mem.write(tv, timeval32(clockNs(CLOCK_REALTIME)));
  if (tz !== 0) t.mem.write(tz, new Uint8Array(8)); // UTC, no DST
  return 0;
};

export const time: Sys = (t, tloc) => {
  const sec = Number(clockNs(CLOCK_REALTIME) / NS);
  if (tloc !== 0) t.mem.putU32(tloc, sec);
  return sec | 0;
};

/** Reads a timespec (32- or 64-bit seconds) as nanoseconds; EINVAL if out of range. */
export function readTimespec(t: Task, va: number, wide: boolean): bigint {
  const sec = wide ? BigInt(t.mem.i64(va)) : BigInt(t.mem.i32(va));
  const nsec = wide ? t.mem.i64(va + 8) : t.mem.i32(va + 4);
  if (sec < 0n || nsec < 0 || nsec >= 1e9) sysError("EINVAL");
  return sec * NS + BigInt(nsec);
}

const TIMER_ABSTIME = 1;

/** Sleeps until `deadline` (exokernel clock ns); a signal handler ends the sleep with EINTR,
 *  writing the time left to `rem` if given. */
function sleepUntil(t: Task, deadline: number, rem: number, wide: boolean): number {
  if (t.kernel.clock.now() >= deadline) return 0;
  const onInterrupt = rem === 0 ? null : (): null => {
    const left = BigInt(Math.max(0, deadline - t.kernel.clock.now()));
    t.mem.write(rem, wide ? timespec64(left) : timespec32(left));
    return null;
  };
  throw new WouldBlock([], deadline, EINTR_ON_HANDLER, () => sleepUntil(t, deadline, rem, wide), onInterrupt);
}

function nanosleep(t: Task, clock: number, flags: number, req: number, rem: number, wide: boolean): number {
  if (clock === CLOCK_THREAD_CPUTIME_ID || clock === CLOCK_PROCESS_CPUTIME_ID) sysError("EINVAL");
  const ns = readTimespec(t, req, wide);
  if (flags & TIMER_ABSTIME) {
    const left = ns - clockNs(clock, t);
    return sleepUntil(t, t.kernel.clock.now() + Math.max(0, Number(left)), 0, wide);
  }
  clockNs(clock, t);
  return sleepUntil(t, t.deadlineAfter(Number(ns)), rem, wide);
}

export const nanosleep32: Sys = (t, req, rem) => nanosleep(t, CLOCK_MONOTONIC, 0, req, rem, false);
export const clockNanosleep: Sys = (t, clock, flags, req, rem) => nanosleep(t, clock, flags, req, rem, false);
export const clockNanosleep64: Sys = (t, clock, flags, req, rem) => nanosleep(t, clock, flags, req, rem, true);

/** Clock ticks per second of times() and /proc (USER_HZ). */
export const USER_HZ = 100;
const ticks = (ns: number): number => Math.floor((ns * USER_HZ) / 1e9);

/** times(buf): user, system, children's user and system times in ticks; returns ticks since
 *  an arbitrary point (exojit's start). */
export const times: Sys = (t, buf) => {
  if (buf !== 0) {
    t.mem.write(buf, new Struct(16).u32(0, ticks(processCpuNs(t))).u32(8, ticks(t.proc.childCpuNs)).bytes);
  }
  return ticks(t.kernel.clock.now()) | 0;
};

const RUSAGE_SELF = 0, RUSAGE_CHILDREN = -1, RUSAGE_THREAD = 1;

/** getrusage: user time (everything the guest does is user time here) and the peak memory. */
export const getrusage: Sys = (t, who, buf) => {
  let ns: number;
  if (who === RUSAGE_SELF) ns = processCpuNs(t);
  else if (who === RUSAGE_CHILDREN) ns = t.proc.childCpuNs;
  else if (who === RUSAGE_THREAD) ns = t.kernel.cpuTime(t.env);
  else return sysError("EINVAL");
  const us = Math.floor(ns / 1000);
  const maxrssKb = (t.kernel.aspace(t.aspace).pages * 4096) / 1024;
  t.mem.write(buf, new Struct(72).u32(0, Math.floor(us / 1e6)).u32(4, us % 1e6).u32(16, maxrssKb).bytes);
  return 0;
};
