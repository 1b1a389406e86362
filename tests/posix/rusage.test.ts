// CPU times as getrusage and times report them: user plus system time, where system time is a
// sampled estimate (Task.sysNs) that may exceed the CPU time read a moment before it. Neither
// part may come out negative: one run of tests/guest/timers.c under load saw getrusage report
// less than the 60 ms its CPU clock had just shown, user time being -1 s and a few microseconds.

import { describe, expect, it } from "vitest";
import { rusageTimes } from "../../src/posix/sys/time.js";
import { Struct } from "../../src/posix/abi/structs.js";
import { processSysNs } from "../../src/libexoc/time.js";
import type { Process } from "../../src/libexoc/process.js";

/** [ru_utime, ru_stime] in microseconds, read as the guest's signed longs. */
function times(cpuNs: number, sysNs: number): [number, number] {
  const dv = new DataView(rusageTimes(new Struct(72), cpuNs, sysNs).bytes.buffer);
  const tv = (off: number): number => dv.getInt32(off, true) * 1e6 + dv.getInt32(off + 4, true);
  return [tv(0), tv(8)];
}

describe("getrusage's times", () => {
  it("split the CPU time into user and system time, neither negative, their sum the CPU time", () => {
    expect(times(60_123_456, 2_000_999)).toEqual([58_122, 2_000]);
    expect(times(3_500_000_000, 1_000_000_000)).toEqual([2_500_000, 1_000_000]);
    // a sampled system time a little over the CPU time read before it
    expect(times(60_000_000, 60_000_300)).toEqual([0, 60_000]);
    expect(times(60_000_000, 90_000_000)).toEqual([0, 60_000]);
    expect(times(0, 0)).toEqual([0, 0]);
  });

  it("take a process's system time as at most the CPU time the caller read, not a later reading", () => {
    // (no threads on the CPU: only the recorded times count)
    const p = { deadSysNs: 40_000_000, threads: new Set([{ sysNs: 30_000_000 }]) } as unknown as Process;
    expect(processSysNs(p, 60_000_000)).toBe(60_000_000);
    expect(processSysNs(p, 80_000_000)).toBe(70_000_000);
  });
});
