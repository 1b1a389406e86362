// The wall clock's NTP discipline (adjtimex, clock_adjtime, adjtime): tests/guest/ntp.c under
// exojit only, as root (natively it would discipline the host's clock). What a fresh Linux
// reports is the host's own state before any NTP daemon runs (as `adjtimex` read it here:
// TIME_ERROR, STA_UNSYNC, 16 s error estimates, time constant 2, tolerance 500 ppm).

import { describe, expect, it } from "vitest";
import { buildGuest, runExojit } from "./helpers/guest.js";

const root = typeof process.getuid === "function" && process.getuid() === 0;

describe("adjtimex", () => {
  it.skipIf(!root)("reports a fresh system's state, takes root's changes, runs the wall clock faster by its frequency and tick, slews adjtime in, steps by ADJ_SETOFFSET; EINVAL, EPERM, EFAULT, EOPNOTSUPP", () => {
    const bin = buildGuest("ntp.c");
    const r = runExojit(bin, [], { timeoutMs: 60_000 });
    expect(r.stderr.toString()).toBe("");
    expect(r.stdout.toString()).toBe(
      [
        "fresh: 5 status 0x40 offset 0 freq 0 maxerror 16000000 esterror 16000000 constant 2 precision 1 tolerance 32768000 tick 10000 tai 0",
        "adjtimex (32-bit): 5 status 0x40 offset 0 freq 0 maxerror 16000000 esterror 16000000 constant 2 precision 1 tolerance 32768000 tick 10000 tai 0",
        // (ADJ_TAI takes its value from `constant`, and in microsecond mode the constant gains 4)
        "synchronised: 0 status 0x1 offset 0 freq 0 maxerror 1000 esterror 50 constant 7 precision 1 tolerance 32768000 tick 10000 tai 3",
        "tai 37: 0 status 0x1 offset 0 freq 0 maxerror 1000 esterror 50 constant 7 precision 1 tolerance 32768000 tick 10000 tai 37",
        "leap second announced: 1 status 0x11 offset 0 freq 0 maxerror 1000 esterror 50 constant 7 precision 1 tolerance 32768000 tick 10000 tai 37",
        "freq +500 ppm: 0 status 0x1 offset 0 freq 32768000 maxerror 1000 esterror 50 constant 7 precision 1 tolerance 32768000 tick 10000 tai 37",
        "wall clock ahead by 100 us over 200 ms: yes",
        "freq +600 ppm (clamped): 0 status 0x1 offset 0 freq 32768000 maxerror 1000 esterror 50 constant 7 precision 1 tolerance 32768000 tick 10000 tai 37",
        "tick 10010: ahead by 100 us over 100 ms: yes",
        "tick 10000: no drift: yes",
        "phase offset of 1000 us taken: yes",
        "after 100 ms, about 999.8 us left: yes",
        "adjtime +0.5 s: 0",
        "nothing left before: 0.000000",
        "adjtime read: 0",
        "left after 200 ms: about 499900 us: yes",
        "adjtime cancelled: 0",
        "adjtime read: 0",
        "left: 0.000000",
        "ADJ_SETOFFSET +10.5 s: 0",
        "stepped 10.5 s: yes",
        "nanoseconds now: status has STA_NANO: yes, time's fraction below 1e9: yes",
        "ADJ_SETOFFSET with 1e9 ns: -1 Invalid argument",
        "tick 8999: -1 Invalid argument",
        "tick 11001: -1 Invalid argument",
        "ADJ_ADJTIME without ADJ_OFFSET: -1 Invalid argument",
        "nothing written back: yes",
        "bad pointer: -1 Bad address",
        "clock_adjtime(CLOCK_MONOTONIC): -1 Operation not supported",
        "clock_adjtime(100): -1 Invalid argument",
        "unprivileged read: 0",
        "unprivileged write: -1 Operation not permitted",
        "unprivileged adjtime read: 0",
        "unprivileged adjtime: -1 Operation not permitted",
        "",
      ].join("\n"),
    );
    expect(r.status).toBe(0);
  }, 90_000);
});
