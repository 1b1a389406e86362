// Scheduling policies, differential: tests/guest/sched.c runs natively (the host kernel is the
// oracle) and under exojit with every engine. The oracle must be root to take a real-time
// policy, as CI is; elsewhere the suite says why it does not run.

import { describe, expect, it } from "vitest";
import { differentialSuite } from "./helpers/differential.js";

const root = typeof process.getuid === "function" && process.getuid() === 0;

if (root) {
  differentialSuite({
    cases: [
      { name: "sched: priority ranges, FIFO and RR per thread, bad arguments, rr intervals, inheritance, SCHED_RESET_ON_FORK, EPERM unprivileged, I/O priorities, sched_setattr/getattr", src: "sched.c", flags: ["-pthread"] },
      { name: "rtorder: FIFO threads take a mutex, a semaphore and a condition highest priority first; a higher priority preempts at creation and at a wake, an equal one does not", src: "rtorder.c", flags: ["-pthread"] },
    ],
    oracleTitle: "the scheduling-policy programs natively (the oracle itself)",
    checkNative: (c, r) => {
      expect(r.status, r.stderr.toString()).toBe(0);
      if (c.src === "rtorder.c") {
        // (the order the oracle must show, or it is not one: Linux's futex queues and preemption)
        for (const what of ["mutex", "semaphore", "condition"]) expect(r.stdout.toString()).toContain(`${what}: 20 15 10 5\n`);
        expect(r.stdout.toString()).toContain("higher, woken: ran before sem_post returned");
        return;
      }
      expect(r.stdout.toString()).toContain("FIFO: policy 1, priority 50");
      expect(r.stdout.toString()).not.toContain("Success"); // errno captured right (TRY)
    },
  });
} else {
  describe("scheduling policies", () => {
    it.skip("need root: the native oracle must be allowed SCHED_FIFO and SCHED_RR", () => {});
  });
}
