// eventfd, timerfd and memfd_create, differential: tests/guest/fdevents.c runs natively (the host kernel is
// the oracle) and under exojit with every engine; the program prints times only as bounds.

import { expect } from "vitest";
import { differentialSuite } from "./helpers/differential.js";

differentialSuite({
  cases: [{ name: "fdevents: eventfd counts, semaphores, limits, poll/epoll, blocking reads; timerfd one-shot, periodic, absolute, disarmed, bad arguments; memfd shared with a child", src: "fdevents.c", flags: ["-pthread"] }],
  oracleTitle: "the eventfd, timerfd and memfd program natively (the oracle itself)",
  checkNative: (_c, r) => {
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(r.stdout.toString()).toContain("expirations after a 55 ms sleep: every one due");
    expect(r.stdout.toString()).not.toContain("OUT OF RANGE");
    expect(r.stdout.toString()).not.toContain("Success"); // errno captured right (TRY)
  },
});
