// The terminal, differential: tests/guest/pty.c drives the line discipline through a
// pseudo-terminal pair (canonical editing, echo variants, mappings, VMIN/VTIME, signals, job
// control, window size, flow control, controlling terminals, hangups), natively (the host
// kernel is the oracle) and under exojit with every engine; the outputs must match byte for
// byte. The console end to end (exojit run --console) is in console.test.ts.

import { beforeAll, describe, expect, it } from "vitest";
import { buildGuest, ensureToolchain, expectSameRun, limiter, runExojitAsync, runNativeAsync, type RunResult } from "./helpers/guest.js";

const ENGINES = ["auto", "interp", "jit"] as const;
const slot = limiter(2);
let bin = "";
let nativeRun: Promise<RunResult> | null = null;

function native(): Promise<RunResult> {
  nativeRun ??= slot(() => runNativeAsync(bin, [], { timeoutMs: 60_000 }));
  return nativeRun;
}

beforeAll(() => {
  ensureToolchain();
  bin = buildGuest("pty.c");
}, 120_000);

describe("pty.c natively (the oracle itself)", () => {
  it("exits 0 and covers every section", async () => {
    const r = await native();
    expect(r.status, r.stderr.toString()).toBe(0);
    const out = r.stdout.toString();
    for (const section of ["erase:", "ECHOPRT:", "MIN 5 TIME 1", "ISIG:", "job control:", "window size:", "controlling terminals:", "leader exit:", "master close:"]) expect(out).toContain(section);
    expect(out).toContain("write from the background: stopped by 22");
    expect(out).toContain("read from the background: stopped by 21");
  }, 120_000);
});

describe("exojit matches the native run", () => {
  for (const engine of ENGINES) {
    it.concurrent(`pty.c --engine ${engine}`, async () => {
      const n = await native();
      const e = await slot(() => runExojitAsync(bin, [], { engine, timeoutMs: 120_000 }));
      expectSameRun(n, e, `pty.c --engine ${engine}`);
    }, 300_000);
  }
});
