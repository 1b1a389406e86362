// The terminal, differential: tests/guest/pty.c drives the line discipline through a
// pseudo-terminal pair (canonical editing, echo variants, mappings, VMIN/VTIME, signals, job
// control, window size, flow control, controlling terminals, hangups), natively (the host
// kernel is the oracle) and under exojit with every engine; the outputs must match byte for
// byte. The console end to end (exojit run --console) is in console.test.ts.

import { expect } from "vitest";
import { differentialSuite } from "./helpers/differential.js";

differentialSuite({
  cases: [{ name: "pty.c: the line discipline through a pseudo-terminal pair", src: "pty.c" }],
  oracleTitle: "pty.c natively (the oracle itself)",
  oracleTest: () => "exits 0 and covers every section",
  nativeTimeoutMs: 60_000,
  checkNative: (_c, r) => {
    expect(r.status, r.stderr.toString()).toBe(0);
    const out = r.stdout.toString();
    for (const section of ["erase:", "ECHOPRT:", "MIN 5 TIME 1", "ISIG:", "job control:", "window size:", "controlling terminals:", "leader exit:", "master close:"]) expect(out).toContain(section);
    expect(out).toContain("write from the background: stopped by 22");
    expect(out).toContain("read from the background: stopped by 21");
  },
});
