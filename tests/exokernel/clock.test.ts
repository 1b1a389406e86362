// The exokernel's clock and its capability: monotonic time from the PIT model, wall time from
// the RTC model plus the offset setting it leaves, timers in deadline order, and the rights
// each clock operation needs.

import { describe, expect, it } from "vitest";
import { ManualTime } from "../../src/hw/devices/hosttime.js";
import { Clock, ClockService } from "../../src/exokernel/clock.js";
import { CapSpace, CAP_FRAMES, R_READ, R_CONTROL, R_WRITE, R_GRANT } from "../../src/exokernel/caps.js";
import { ExoError } from "../../src/exokernel/errors.js";

const WALL_MS = Date.UTC(2030, 5, 15, 12, 0, 0);

function rig(): { time: ManualTime; clock: Clock } {
  const time = new ManualTime(7e9, WALL_MS - 7000);
  return { time, clock: new Clock(time) };
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ExoError) return e.code;
    throw e;
  }
  return "ok";
}

describe("exokernel clock", () => {
  it("monotonic time counts from the clock's creation through the PIT model", () => {
    const { time, clock } = rig();
    expect(clock.now()).toBe(0);
    time.advance(1_500_000);
    expect(clock.now()).toBe(1_500_000);
    expect(clock.pit.nowNs()).toBe(1_500_000);
  });

  it("wall time comes from the RTC; setting it moves the guest's clock only, which then advances", () => {
    const { time, clock } = rig();
    expect(clock.realtime()).toBe(BigInt(WALL_MS) * 1000000n);
    clock.setRealtime(1_000_000_000_000_000_000n);
    time.advance(2_000_000);
    expect(clock.realtime()).toBe(1_000_000_000_002_000_000n);
    time.wallAtZeroMs = 0; // the host's clock changing does not matter
    expect(clock.realtime()).toBe(1_000_000_000_002_000_000n);
    expect(clock.now()).toBe(2_000_000); // nor does setting the wall clock move monotonic time
  });

  it("timers fire once each, in deadline order, when their time comes; cancelled ones never", () => {
    const { clock } = rig();
    const fired: string[] = [];
    clock.at(300, () => fired.push("c"));
    clock.at(100, () => fired.push("a"));
    const b = clock.at(200, () => fired.push("b"));
    clock.at(200, () => fired.push("b2"));
    clock.cancel(b);
    expect(clock.next()).toBe(100);
    expect(clock.fire(250)).toBe(2);
    expect(fired).toEqual(["a", "b2"]);
    expect(clock.fire(1000)).toBe(1);
    expect(fired).toEqual(["a", "b2", "c"]);
    expect(clock.next()).toBe(Infinity);
  });
});

describe("clock capability", () => {
  it("reading needs R_READ, timers R_CONTROL, setting the time R_WRITE; revoking ends every use", () => {
    const { time, clock } = rig();
    const caps = new CapSpace();
    const svc = new ClockService(caps, clock);
    const root = svc.attach();
    const reader = caps.derive(root, R_READ);
    time.advance(5000);
    expect(svc.now(reader)).toBe(5000);
    expect(svc.realtime(reader)).toBe(BigInt(WALL_MS) * 1000000n + 5000n);
    expect(svc.resolution(reader)).toBe(1);
    expect(code(() => svc.setRealtime(reader, 0n))).toBe("E_PERM");
    expect(code(() => svc.at(reader, 10, () => {}))).toBe("E_PERM");

    const lib = caps.derive(root, R_READ | R_WRITE | R_CONTROL | R_GRANT);
    let hit = 0;
    const t = svc.at(lib, 6000, () => hit++);
    svc.cancel(lib, t);
    svc.at(lib, 6000, () => hit++);
    time.advance(1000);
    clock.fire(svc.now(lib));
    expect(hit).toBe(1);
    svc.setRealtime(lib, 42n);
    expect(svc.realtime(reader)).toBe(42n);

    caps.revoke(lib);
    expect(code(() => svc.now(lib))).toBe("E_CAP");
    expect(svc.now(reader)).toBe(6000);
    const frames = caps.create(CAP_FRAMES, R_READ, {});
    expect(code(() => svc.now(frames))).toBe("E_CAP");
  });
});
