// Clocks and sleeping: clock_gettime/clock_getres/clock_settime (32- and 64-bit time),
// gettimeofday/settimeofday, time, stime, nanosleep and clock_nanosleep, times and getrusage.
// Glibc 2.36 tries the *_time64 numbers first. What the clocks mean is libexoc/time.ts; this
// file marshals. A sleep parks only the calling thread (other guests run meanwhile); a signal
// handler ends it with EINTR and the time left, which a stop and continue do not.

import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import { sysError } from "../../libexoc/errors.js";
import { WouldBlock, EINTR_ON_HANDLER, laterFn, resumable } from "../../libexoc/blocking.js";
import {
  CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE,
  CLOCK_MONOTONIC_COARSE, K_REALTIME, K_CPU, K_INVALID, clockKind, clockRead, clockResolution, setClock, monotonicNs, processCpuNs, processSysNs, threadSysNs,
  threadCpuNs, cpuClockOwner,
} from "../../libexoc/time.js";
import { timersOf, type IntervalTimer } from "../../libexoc/timers.js";
import { adjtimex, TIMEX_FIELDS, type Timex } from "../../libexoc/ntp.js";
import { timespec32, timespec64, timeval32, Struct } from "../abi/structs.js";

export { CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID };

const NS = 1000000000n;

export const clockGettime: Sys = (t, clock, buf) => {
  const ns = clockRead(t, clock);
  if (ns / NS > 0x7fffffffn) sysError("EOVERFLOW");
  t.mem.write(buf, timespec32(ns));
  return 0;
};

export const clockGettime64: Sys = (t, clock, buf) => {
  t.mem.write(buf, timespec64(clockRead(t, clock)));
  return 0;
};

export const clockGetres: Sys = (t, clock, buf) => {
  const r = BigInt(clockResolution(t, clock));
  if (buf !== 0) t.mem.write(buf, timespec32(r));
  return 0;
};

export const clockGetres64: Sys = (t, clock, buf) => {
  const r = BigInt(clockResolution(t, clock));
  if (buf !== 0) t.mem.write(buf, timespec64(r));
  return 0;
};

/** clock_settime: the wall clock only, by root only (EPERM), never the host's. */
export const clockSettime: Sys = (t, clock, buf) => {
  const ns = readTimespec(t, buf, false);
  setClock(t, clock, ns);
  return 0;
};

export const clockSettime64: Sys = (t, clock, buf) => {
  const ns = readTimespec(t, buf, true);
  setClock(t, clock, ns);
  return 0;
};

export const gettimeofday: Sys = (t, tv, tz) => {
  if (tv !== 0) t.mem.write(tv, timeval32(clockRead(t, CLOCK_REALTIME)));
  if (tz !== 0) t.mem.write(tz, new Struct(8).i32(0, t.sys.timezone[0]).i32(4, t.sys.timezone[1]).bytes);
  return 0;
};

/** settimeofday(tv, tz): either may be null; the time zone is only remembered (for
 *  gettimeofday), as Linux does apart from its RTC-in-local-time warp. */
export const settimeofday: Sys = (t, tv, tz) => {
  let ns: bigint | null = null;
  if (tv !== 0) {
    const sec = t.mem.i32(tv), usec = t.mem.i32(tv + 4);
    if (usec < 0 || usec >= 1000000 || sec < 0) sysError("EINVAL");
    ns = BigInt(sec) * NS + BigInt(usec) * 1000n;
  }
  const zone: [number, number] | null = tz !== 0 ? [t.mem.i32(tz), t.mem.i32(tz + 4)] : null;
  if (zone !== null && (zone[0] < -15 * 60 || zone[0] > 15 * 60)) sysError("EINVAL");
  setClock(t, CLOCK_REALTIME, ns);
  if (zone !== null) t.sys.timezone = zone;
  return 0;
};

export const time: Sys = (t, tloc) => {
  const sec = Number(clockRead(t, CLOCK_REALTIME) / NS);
  if (tloc !== 0) t.mem.putU32(tloc, sec);
  return sec | 0;
};

/** stime(tptr): sets the wall clock to *tptr seconds. */
export const stime: Sys = (t, tptr) => {
  setClock(t, CLOCK_REALTIME, BigInt(t.mem.i32(tptr)) * NS);
  return 0;
};

/** Reads a timespec (32- or 64-bit seconds) as nanoseconds; EINVAL if out of range. */
export function readTimespec(t: Task, va: number, wide: boolean): bigint {
  const sec = wide ? BigInt(t.mem.i64(va)) : BigInt(t.mem.i32(va));
  const nsec = wide ? t.mem.i64(va + 8) : t.mem.i32(va + 4);
  if (sec < 0n || nsec < 0 || nsec >= 1e9) sysError("EINVAL");
  return sec * NS + BigInt(nsec);
}

export const TIMER_ABSTIME = 1;

/** Sleeps until monotonic time `deadline`; a signal handler ends the sleep with EINTR,
 *  writing the time left to `rem` if given. */
const sleepUntil = resumable("posix/time.sleepUntil", function sleepUntil(t: Task, deadline: number, rem: number, wide: boolean): number {
  if (monotonicNs(t.sys) >= deadline) return 0;
  const onInterrupt = rem === 0 ? null : laterFn(sleepInterrupted, t, deadline, rem, wide);
  throw new WouldBlock([], deadline, EINTR_ON_HANDLER, laterFn(sleepUntil, t, deadline, rem, wide), onInterrupt);
});

/** A signal ended a sleep until `deadline`: the time left goes to `rem`. */
const sleepInterrupted = resumable("posix/time.sleepInterrupted", function sleepInterrupted(t: Task, deadline: number, rem: number, wide: boolean): null {
  const left = BigInt(Math.max(0, deadline - monotonicNs(t.sys)));
  t.mem.write(rem, wide ? timespec64(left) : timespec32(left));
  return null;
});

/** Sleeps until the wall clock reads `target`: when the clock is set meanwhile, the sleep
 *  looks again (a clock set forward past the target ends it). */
const sleepUntilWall = resumable("posix/time.sleepUntilWall", function sleepUntilWall(t: Task, target: bigint): number {
  const left = target - clockRead(t, CLOCK_REALTIME);
  if (left <= 0n) return 0;
  const deadline = monotonicNs(t.sys) + Number(left);
  throw new WouldBlock([t.sys.clockSet], deadline, EINTR_ON_HANDLER, laterFn(sleepUntilWall, t, target));
});

/** Sleeps until the process's CPU time reaches `target` (its other threads must use it). */
const sleepUntilCpu = resumable("posix/time.sleepUntilCpu", function sleepUntilCpu(t: Task, target: bigint, rem: number, wide: boolean): number {
  const now = BigInt(Math.round(processCpuNs(t.proc)));
  if (now >= target) return 0;
  const { timer, done } = timersOf(t.proc).wakeAt(target);
  throw new WouldBlock([done], null, EINTR_ON_HANDLER, laterFn(cpuSleepWoken, t, timer, target, rem, wide), laterFn(cpuSleepInterrupted, t, timer, target, rem, wide));
});

/** The CPU-time sleep's timer fired (or a wake-up came): its timer goes, and it looks again. */
const cpuSleepWoken = resumable("posix/time.cpuSleepWoken", function cpuSleepWoken(t: Task, timer: IntervalTimer, target: bigint, rem: number, wide: boolean): number {
  timer.delete();
  return sleepUntilCpu(t, target, rem, wide);
});

/** A signal ended a CPU-time sleep: its timer goes, and the time left goes to `rem` if given. */
const cpuSleepInterrupted = resumable("posix/time.cpuSleepInterrupted", function cpuSleepInterrupted(t: Task, timer: IntervalTimer, target: bigint, rem: number, wide: boolean): null {
  timer.delete();
  if (rem !== 0) {
    const left = target - BigInt(Math.round(processCpuNs(t.proc)));
    t.mem.write(rem, wide ? timespec64(left > 0n ? left : 0n) : timespec32(left > 0n ? left : 0n));
  }
  return null;
});

function nanosleep(t: Task, clock: number, flags: number, req: number, rem: number, wide: boolean): number {
  const kind = clockKind(clock);
  if (kind === K_INVALID) sysError("EINVAL");
  // (clocks without a sleep of their own, the calling thread's CPU clock among them)
  if (clock === CLOCK_MONOTONIC_RAW || clock === CLOCK_REALTIME_COARSE || clock === CLOCK_MONOTONIC_COARSE || clock === CLOCK_THREAD_CPUTIME_ID) sysError("EOPNOTSUPP");
  if (kind === K_CPU) {
    const o = cpuClockOwner(t, clock);
    if (o.thread !== null || o.proc !== t.proc) sysError("EINVAL");
  }
  if ((flags & ~TIMER_ABSTIME) !== 0) sysError("EINVAL");
  const abs = (flags & TIMER_ABSTIME) !== 0;
  const ns = readTimespec(t, req, wide);
  if (kind === K_CPU) {
    const target = abs ? ns : BigInt(Math.round(processCpuNs(t.proc))) + ns;
    return sleepUntilCpu(t, target, abs ? 0 : rem, wide);
  }
  if (abs) {
    if (kind === K_REALTIME) return sleepUntilWall(t, ns);
    return sleepUntil(t, Math.max(0, Number(ns)), 0, wide);
  }
  return sleepUntil(t, t.deadlineAfter(Number(ns)), rem, wide);
}

export const nanosleep32: Sys = (t, req, rem) => nanosleep(t, CLOCK_MONOTONIC, 0, req, rem, false);
export const clockNanosleep: Sys = (t, clock, flags, req, rem) => nanosleep(t, clock, flags, req, rem, false);
export const clockNanosleep64: Sys = (t, clock, flags, req, rem) => nanosleep(t, clock, flags, req, rem, true);

/** Clock ticks per second of times() and /proc (USER_HZ). */
export const USER_HZ = 100;
const ticks = (ns: number): number => Math.floor((ns * USER_HZ) / 1e9);

/** times(buf): user, system, children's user and system times in ticks (system time: the time
 *  in system calls, Task.sysNs); returns ticks since an arbitrary point (the system's start). */
export const times: Sys = (t, buf) => {
  if (buf !== 0) {
    const p = t.proc, cpu = processCpuNs(p), sys = processSysNs(p, cpu);
    const childSys = systemPart(p.childCpuNs, p.childSysNs);
    const s = new Struct(16).u32(0, ticks(cpu - sys)).u32(4, ticks(sys));
    t.mem.write(buf, s.u32(8, ticks(p.childCpuNs - childSys)).u32(12, ticks(childSys)).bytes);
  }
  return ticks(monotonicNs(t.sys)) | 0;
};

const RUSAGE_SELF = 0, RUSAGE_CHILDREN = -1, RUSAGE_THREAD = 1;

/** getrusage: user and system time (Task.sysNs: the time in system calls), the resident size,
 *  and the context switches: voluntary ones are waits, involuntary ones turns that ran out. */
export const getrusage: Sys = (t, who, buf) => {
  let ns: number, sysNs: number;
  let maxrssKb = 0, nvcsw = 0, nivcsw = 0;
  const k = t.kernel;
  if (who === RUSAGE_SELF) {
    ns = processCpuNs(t.proc);
    sysNs = processSysNs(t.proc, ns);
    maxrssKb = Math.max(t.proc.maxRssPages, k.aspace(t.aspace).peakPages) * 4;
    for (const th of t.proc.threads) nvcsw += k.env(th.env).switches;
  } else if (who === RUSAGE_CHILDREN) {
    ns = t.proc.childCpuNs;
    sysNs = t.proc.childSysNs;
    maxrssKb = t.proc.childMaxRssPages * 4;
  } else if (who === RUSAGE_THREAD) {
    ns = threadCpuNs(t);
    sysNs = threadSysNs(t, ns);
    maxrssKb = k.aspace(t.aspace).peakPages * 4;
    nvcsw = k.env(t.env).switches;
  } else {
    return sysError("EINVAL");
  }
  t.mem.write(buf, rusageTimes(new Struct(72), ns, sysNs).u32(16, maxrssKb).u32(64, nvcsw).u32(68, nivcsw).bytes);
  return 0;
};

/** The system time of `cpuNs` of CPU time reported as `sysNs` (a sampled figure): at most the
 *  CPU time, so that neither it nor user time, the rest, is negative. */
function systemPart(cpuNs: number, sysNs: number): number {
  return Math.min(Math.max(sysNs, 0), cpuNs);
}

/** struct rusage's ru_utime and ru_stime (i386 timevals) for `cpuNs` of CPU time of which
 *  `sysNs` were system time (systemPart). */
export function rusageTimes(s: Struct, cpuNs: number, sysNs: number): Struct {
  const sysNsPart = systemPart(cpuNs, sysNs);
  const user = Math.floor((cpuNs - sysNsPart) / 1000), sys = Math.floor(sysNsPart / 1000);
  return s.u32(0, Math.floor(user / 1e6)).u32(4, user % 1e6).u32(8, Math.floor(sys / 1e6)).u32(12, sys % 1e6);
}

/** struct timex in guest memory: 32-bit longs (128 bytes), or __kernel_timex's 64-bit ones
 *  (208 bytes, clock_adjtime64), with its int fields (status, shift, tai) padded to 8 there. */
function timexIo(wide: boolean): { size: number; at: (field: number) => number } {
  return { size: wide ? 208 : 128, at: (k) => (wide ? 8 + 8 * k : 4 + 4 * k) };
}

/** adjtimex and clock_adjtime on CLOCK_REALTIME, the only clock with a discipline (others valid
 *  are EOPNOTSUPP, as Linux's): reads the struct whole (EFAULT), adjusts, writes it back. */
function adjtimeOn(t: Task, clock: number, va: number, wide: boolean): number {
  if (clockKind(clock) === K_INVALID) sysError("EINVAL");
  if (clock !== CLOCK_REALTIME) sysError("EOPNOTSUPP");
  const io = timexIo(wide);
  const bytes = t.mem.read(va, io.size);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, io.size);
  const tx = { modes: dv.getUint32(0, true) } as Timex;
  TIMEX_FIELDS.forEach((f, k) => (tx[f] = wide ? Number(dv.getBigInt64(io.at(k), true)) : dv.getInt32(io.at(k), true)));
  const state = adjtimex(t, tx);
  TIMEX_FIELDS.forEach((f, k) => (wide ? dv.setBigInt64(io.at(k), BigInt(tx[f]), true) : dv.setInt32(io.at(k), tx[f], true)));
  t.mem.write(va, bytes);
  return state;
}

export const adjtimexSys: Sys = (t, buf) => adjtimeOn(t, CLOCK_REALTIME, buf, false);
export const clockAdjtime: Sys = (t, clock, buf) => adjtimeOn(t, clock, buf, false);
export const clockAdjtime64: Sys = (t, clock, buf) => adjtimeOn(t, clock, buf, true);
