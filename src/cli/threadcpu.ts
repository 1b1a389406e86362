// CPU time of Node's main thread, the one that runs the guest, apart from the whole process's:
// V8 compiles optimised code and marks and sweeps the heap on threads of its own, which
// process.cpuUsage() counts in. Debian's sort of 4 MB took 4.6 s of CPU in 2.6 s: 2.0 s on the
// main thread, most of the rest TurboFan compiling regions (`perf record` by thread). Linux's
// /proc only; null elsewhere.

import { readFileSync } from "node:fs";

/** USER_HZ, the unit of /proc's CPU times: 100 on every architecture's Linux user ABI. */
const TICKS_PER_S = 100;

/** User plus system time (ms) in a line of /proc/<pid>/task/<tid>/stat, or null if it is not
 *  one. (The command name, field 2, is in parentheses and may hold spaces and parentheses: the
 *  fields are counted from the last closing one. utime and stime are fields 14 and 15.) */
export function statCpuMs(line: string): number | null {
  const close = line.lastIndexOf(")");
  if (close < 0) return null;
  const f = line.slice(close + 2).split(" ");
  if (f.length < 13) return null;
  const utime = Number(f[11]), stime = Number(f[12]);
  if (!Number.isSafeInteger(utime) || !Number.isSafeInteger(stime) || utime < 0 || stime < 0) return null;
  return ((utime + stime) * 1000) / TICKS_PER_S;
}

/** CPU time (ms) of this process's main thread so far, or null where /proc does not say. */
export function mainThreadCpuMs(): number | null {
  try {
    return statCpuMs(readFileSync(`/proc/self/task/${process.pid}/stat`, "latin1"));
  } catch {
    return null;
  }
}
