// The exokernel's FairShare policy with fixed priorities (the real-time class that SCHED_FIFO
// and SCHED_RR map to): the highest priority runs first, first in first out or round robin
// among equals, a yield goes after its equals, and the rest keep 5% of the CPU.

import { describe, expect, it } from "vitest";
import { FairShare } from "../../src/exokernel/sched.js";
import type { Environment } from "../../src/exokernel/env.js";

/** An environment as FairShare sees it. */
function env(name: string, fixedPrio = 0, fixedFifo = false): Environment {
  // `as`: the policy reads only these fields (and the heap's slot) of an Environment.
  return { label: name, queued: false, slot: -1, vruntime: 0, nice: 0, fixedPrio, fixedFifo, yieldedFixed: false } as unknown as Environment;
}

const names = (es: (Environment | null)[]): string[] => es.map((e) => (e === null ? "-" : e.label));

describe("FairShare with fixed priorities", () => {
  it("runs the highest fixed priority first, before any time-sharing environment", () => {
    const s = new FairShare();
    const a = env("a"), lo = env("lo", 10, true), hi = env("hi", 50, false), mid = env("mid", 20, true);
    for (const e of [a, lo, hi, mid]) s.enqueue(e, "new");
    expect(s.length).toBe(4);
    expect(names([s.pick(), s.pick(), s.pick(), s.pick(), s.pick()])).toEqual(["hi", "mid", "lo", "a", "-"]);
  });

  it("keeps a first-in-first-out one running after its turn, and rotates round-robin ones", () => {
    const s = new FairShare();
    const f1 = env("f1", 30, true), f2 = env("f2", 30, true);
    s.enqueue(f1, "new");
    s.enqueue(f2, "new");
    const first = s.pick() as Environment;
    expect(first.label).toBe("f1");
    s.enqueue(first, "preempted"); // its turn ended: it goes on
    expect((s.pick() as Environment).label).toBe("f1");
    s.enqueue(f1, "preempted");
    s.dequeue(f1);
    s.dequeue(f2);

    const r1 = env("r1", 30), r2 = env("r2", 30);
    s.enqueue(r1, "new");
    s.enqueue(r2, "new");
    const got: string[] = [];
    for (let k = 0; k < 4; k++) {
      const e = s.pick() as Environment;
      got.push(e.label);
      s.enqueue(e, "preempted");
    }
    expect(got).toEqual(["r1", "r2", "r1", "r2"]);
  });

  it("puts a first-in-first-out one that yielded after its equals", () => {
    const s = new FairShare();
    const f1 = env("f1", 5, true), f2 = env("f2", 5, true);
    s.enqueue(f1, "new");
    s.enqueue(f2, "new");
    const e = s.pick() as Environment;
    s.yielded(e);
    s.enqueue(e, "preempted");
    expect(names([s.pick(), s.pick()])).toEqual(["f2", "f1"]);
  });

  it("leaves time-sharing environments 5% of the CPU while fixed ones are runnable", () => {
    const s = new FairShare();
    const rt = env("rt", 99, true), other = env("other");
    s.enqueue(rt, "new");
    s.enqueue(other, "new");
    const ran = { rt: 0, other: 0 };
    // 4 s of 1 ms turns: whichever runs stays runnable
    for (let k = 0; k < 4000; k++) {
      const e = s.pick() as Environment;
      ran[e.label as "rt" | "other"]++;
      s.account(e, 1_000_000);
      s.enqueue(e, "preempted");
    }
    expect(ran.rt).toBeGreaterThanOrEqual(3790);
    expect(ran.rt).toBeLessThanOrEqual(3810);
    expect(ran.other).toBe(4000 - ran.rt);
  });

  it("gives a fixed one the CPU whole when nothing else is runnable, and drops it from the queue on dequeue", () => {
    const s = new FairShare();
    const rt = env("rt", 1, false);
    s.enqueue(rt, "new");
    for (let k = 0; k < 2000; k++) {
      expect(s.pick()).toBe(rt);
      s.account(rt, 1_000_000);
      s.enqueue(rt, "preempted");
    }
    s.dequeue(rt);
    expect(s.length).toBe(0);
    expect(s.pick()).toBeNull();
  });
});
