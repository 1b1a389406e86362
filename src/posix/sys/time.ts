// Clocks and sleeping: clock_gettime (32- and 64-bit time), gettimeofday, time, clock_getres,
// nanosleep and clock_nanosleep. Glibc 2.36 tries the *_time64 numbers first.

import type { Sys } from "../types.js";
import type { Process } from "../../libexoc/process.js";
import { sysError } from "../../libexoc/errors.js";
import { timespec32, timespec64, timeval32 } from "../abi/structs.js";

export const CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_PROCESS_CPUTIME_ID = 2, CLOCK_THREAD_CPUTIME_ID = 3;
export const CLOCK_MONOTONIC_RAW = 4, CLOCK_REALTIME_COARSE = 5, CLOCK_MONOTONIC_COARSE = 6, CLOCK_BOOTTIME = 7;
export const CLOCK_REALTIME_ALARM = 8, CLOCK_BOOTTIME_ALARM = 9, CLOCK_TAI = 11;

const NS = 1000000000n;
/** Wall-clock time at start-up, and the monotonic reading it corresponds to. */
const wallBase = BigInt(Date.now()) * 1000000n;
const monoBase = process.hrtime.bigint();

/** Nanoseconds on the given clock; EINVAL for unknown clocks. */
export function clockNs(clock: number): bigint {
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
    case CLOCK_THREAD_CPUTIME_ID: {
      const u = process.cpuUsage();
      return BigInt(u.user + u.system) * 1000n;
    }
    default:
      return sysError("EINVAL", `clock ${clock}`);
  }
}

export const clockGettime: Sys = (p, clock, buf) => {
  const ns = clockNs(clock);
  if (ns / NS > 0x7fffffffn) sysError("EOVERFLOW");
  p.mem.write(buf, timespec32(ns));
  return 0;
};

export const clockGettime64: Sys = (p, clock, buf) => {
  p.mem.write(buf, timespec64(clockNs(clock)));
  return 0;
};

function resolution(clock: number): bigint {
  clockNs(clock);
  return clock === CLOCK_REALTIME_COARSE || clock === CLOCK_MONOTONIC_COARSE ? 4000000n : 1n;
}

export const clockGetres: Sys = (p, clock, buf) => {
  const r = resolution(clock);
  if (buf !== 0) p.mem.write(buf, timespec32(r));
  return 0;
};

export const clockGetres64: Sys = (p, clock, buf) => {
  const r = resolution(clock);
  if (buf !== 0) p.mem.write(buf, timespec64(r));
  return 0;
};

export const gettimeofday: Sys = (p, tv, tz) => {
  if (tv !== 0) p.mem.write(tv, timeval32(clockNs(CLOCK_REALTIME)));
  if (tz !== 0) p.mem.write(tz, new Uint8Array(8)); // UTC, no DST
  return 0;
};

export const time: Sys = (p, tloc) => {
  const t = Number(clockNs(CLOCK_REALTIME) / NS);
  if (tloc !== 0) p.mem.putU32(tloc, t);
  return t | 0;
};

function readTimespec(p: Process, va: number, wide: boolean): bigint {
  const sec = wide ? BigInt(p.mem.i64(va)) : BigInt(p.mem.i32(va));
  const nsec = wide ? p.mem.i64(va + 8) : p.mem.i32(va + 4);
  if (sec < 0n || nsec < 0 || nsec >= 1e9) sysError("EINVAL");
  return sec * NS + BigInt(nsec);
}

/** Blocks the runtime for `ns` nanoseconds (a single guest process has nothing else to run). */
function sleepNs(ns: bigint): void {
  const ms = Number(ns / 1000000n);
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  const end = process.hrtime.bigint() + (ns % 1000000n);
  while (process.hrtime.bigint() < end) {
    // sub-millisecond remainder
  }
}

const TIMER_ABSTIME = 1;

function nanosleep(p: Process, clock: number, flags: number, req: number, wide: boolean): number {
  if (clock === CLOCK_THREAD_CPUTIME_ID) sysError("EINVAL");
  const t = readTimespec(p, req, wide);
  if (flags & TIMER_ABSTIME) {
    const now = clockNs(clock);
    if (t > now) sleepNs(t - now);
  } else {
    clockNs(clock);
    sleepNs(t);
  }
  return 0;
}

export const nanosleep32: Sys = (p, req) => nanosleep(p, CLOCK_MONOTONIC, 0, req, false);
export const clockNanosleep: Sys = (p, clock, flags, req) => nanosleep(p, clock, flags, req, false);
export const clockNanosleep64: Sys = (p, clock, flags, req) => nanosleep(p, clock, flags, req, true);
