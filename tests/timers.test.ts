// Time, timers and advanced signals, differential: guest programs run natively (the host
// kernel is the oracle) and under exojit with every engine; stdout, stderr and the exit status
// must match byte for byte. The programs print only orders, values and generous bounds, never
// raw times (see tests/guest/timers.c and rtsignals.c).

import { beforeAll, describe, expect, it } from "vitest";
import { buildGuest, ensureToolchain, expectSameRun, limiter, runExojitAsync, runNativeAsync, type RunResult } from "./helpers/guest.js";

const ENGINES = ["auto", "interp", "jit"] as const;
const slot = limiter(2);

const CASES = [
  { name: "timers: alarm, interval and POSIX timers with values and overruns, absolute sleeps, EINTR, CPU clocks, rusage, clock_settime EPERM", src: "timers.c" },
  { name: "rtsignals: queued real-time signals in order, sigqueue/sigtimedwait, tgsigqueueinfo, signalfd with poll/epoll, nested sigaltstack, pidfd", src: "rtsignals.c" },
];

const bins = new Map<string, string>();
const natives = new Map<string, Promise<RunResult>>();

function native(src: string): Promise<RunResult> {
  let p = natives.get(src);
  if (p === undefined) {
    p = slot(() => runNativeAsync(bins.get(src) as string, [], { timeoutMs: 30_000 }));
    natives.set(src, p);
  }
  return p;
}

beforeAll(() => {
  ensureToolchain();
  for (const c of CASES) bins.set(c.src, buildGuest(c.src, { flags: ["-pthread"] }));
}, 120_000);

describe("time and signal programs natively (the oracle itself)", () => {
  for (const c of CASES) {
    it.concurrent(`${c.src} exits 0 and prints its report`, async () => {
      const r = await native(c.src);
      expect(r.status, r.stderr.toString()).toBe(0);
      expect(r.stdout.toString()).not.toContain("Success"); // errno captured right (TRY)
      expect(r.stdout.length).toBeGreaterThan(500);
    }, 60_000);
  }
});

for (const engine of ENGINES) {
  describe(`exojit --engine ${engine} matches the native run`, () => {
    for (const c of CASES) {
      it.concurrent(c.name, async () => {
        const n = await native(c.src);
        const e = await slot(() => runExojitAsync(bins.get(c.src) as string, [], { engine, timeoutMs: 120_000 }));
        expectSameRun(n, e, `${c.src} --engine ${engine}`);
      }, 240_000);
    }
  });
}
