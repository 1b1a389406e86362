// Time, timers and advanced signals, differential: guest programs run natively (the host
// kernel is the oracle) and under exojit with every engine; stdout, stderr and the exit status
// must match byte for byte. The programs print only orders, values and generous bounds, never
// raw times (see tests/guest/timers.c and rtsignals.c).

import { describe, expect, it } from "vitest";
import { buildGuest, runExojit } from "./helpers/guest.js";
import { differentialSuite } from "./helpers/differential.js";

differentialSuite({
  cases: [
    { name: "timers: alarm, interval and POSIX timers with values and overruns, absolute sleeps, EINTR, CPU clocks, rusage, clock_settime EPERM", src: "timers.c", flags: ["-pthread"] },
    { name: "rtsignals: queued real-time signals in order, sigqueue/sigtimedwait, tgsigqueueinfo, signalfd with poll/epoll, nested sigaltstack, pidfd", src: "rtsignals.c", flags: ["-pthread"] },
  ],
  oracleTitle: "time and signal programs natively (the oracle itself)",
  oracleTestTimeoutMs: 60_000,
  testTimeoutMs: 240_000,
  checkNative: (_c, r) => {
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(r.stdout.toString()).not.toContain("Success"); // errno captured right (TRY)
    expect(r.stdout.length).toBeGreaterThan(500);
  },
});

// Setting the clock needs root, and natively it would set the host's clock: this one runs under
// exojit only, where the guest system's clock moves and the host's stays where it was.
describe("setting the clock", () => {
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  it.skipIf(!root)("as root, clock_settime and settimeofday move the guest's wall clock only; absolute sleeps and timers follow", () => {
    const bin = buildGuest("settime.c", { flags: ["-pthread"] });
    const r = runExojit(bin, [], { timeoutMs: 60_000 });
    expect(r.stderr.toString()).toBe("");
    expect(r.stdout.toString()).toBe(
      [
        "clock_settime as root: 0",
        "the clock reads 2001-01-01 within a second: 1",
        "time() agrees: 1",
        "monotonic time did not jump: 1",
        "before the change: sleeper awake 0, timer fired 0",
        "settimeofday to 02:00: 0",
        "settimeofday with a zone only: 0",
        "absolute sleep to 01:00 ended when the clock was set to 02:00: 0",
        "the absolute timer fired: 1",
        "gettimeofday's zone: -60 minutes west",
        "",
      ].join("\n"),
    );
    expect(r.status).toBe(0);
    expect(Date.now()).toBeGreaterThan(Date.UTC(2020, 0, 1)); // the host's clock was not touched
  }, 90_000);
});
