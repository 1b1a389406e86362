// IPC endpoints (src/exokernel/endpoint.ts) and the scheduling-policy registry, driven through
// the exokernel with environments that never run guest code: who waits, who is switched to
// directly, what the messages hold, and the errors.

import { describe, expect, it } from "vitest";
import { Exokernel } from "../../src/exokernel/kernel.js";
import { R_READ, R_WRITE, R_GRANT, type CapHandle } from "../../src/exokernel/caps.js";
import { ExoError } from "../../src/exokernel/errors.js";
import { MSG_WORDS } from "../../src/exokernel/endpoint.js";
import type { Environment } from "../../src/exokernel/env.js";
import type { EnqueueReason, SchedPolicy } from "../../src/exokernel/sched.js";

function setup(): { k: Exokernel; a: Environment; b: Environment; c: Environment; caps: CapHandle[] } {
  const k = new Exokernel({ memory: 4 << 20 });
  const pool = k.newPool(256);
  const caps = [k.newEnv(pool), k.newEnv(pool), k.newEnv(pool)];
  for (const e of caps) k.makeRunnable(e);
  const [a, b, c] = caps.map((h) => k.env(h));
  return { k, a, b, c, caps };
}

function msg(...words: number[]): Int32Array {
  const m = new Int32Array(MSG_WORDS);
  m.set(words);
  return m;
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

describe("IPC endpoints", () => {
  it("a call to a waiting receiver hands it the message and switches to it directly", () => {
    const { k, a, b, caps } = setup();
    const ep = k.endpoints.create();
    expect(k.endpoints.receive(b, ep)).toBe(false);
    k.wait(caps[1], [], null);
    expect(k.endpoints.call(a, ep, msg(7, 8, 9))).toBe(true);
    k.wait(caps[0], [], null);
    // b is not in the policy's queue: it is taken directly, before anything the policy holds.
    expect(k.takeDirect()?.id).toBe(b.id);
    expect(Array.from(k.endpoints.state(b).msg.subarray(0, 3))).toEqual([7, 8, 9]);
    expect(k.endpoints.state(b).phase).toBe("done");
    k.endpoints.reply(b, msg(42));
    expect(k.takeDirect()?.id).toBe(a.id);
    expect(k.endpoints.state(a).phase).toBe("done");
    expect(k.endpoints.state(a).msg[0]).toBe(42);
  });

  it("callers queue in order until a receiver comes", () => {
    const { k, a, b, c } = setup();
    const ep = k.endpoints.create();
    expect(k.endpoints.call(a, ep, msg(1))).toBe(false);
    expect(k.endpoints.call(c, ep, msg(2))).toBe(false);
    expect(k.endpoints.receive(b, ep)).toBe(true);
    expect(k.endpoints.state(b).msg[0]).toBe(1);
    expect(code(() => k.endpoints.receive(b, ep))).toBe("E_INVAL"); // reply first
    k.endpoints.reply(b, msg(10));
    expect(k.endpoints.receive(b, ep)).toBe(true);
    expect(k.endpoints.state(b).msg[0]).toBe(2);
  });

  it("rights are checked on every use: calling needs write, receiving read", () => {
    const { k, a, b } = setup();
    const ep = k.endpoints.create();
    const callOnly = k.caps.derive(ep, R_WRITE | R_GRANT);
    const recvOnly = k.caps.derive(ep, R_READ);
    expect(code(() => k.endpoints.receive(b, callOnly))).toBe("E_PERM");
    expect(code(() => k.endpoints.call(a, recvOnly, msg(1)))).toBe("E_PERM");
    expect(code(() => k.endpoints.destroy(callOnly))).toBe("E_PERM");
    k.caps.revoke(callOnly);
    expect(code(() => k.endpoints.call(a, callOnly, msg(1)))).toBe("E_CAP");
  });

  it("destroying an endpoint wakes its waiters with E_GONE and revokes what was derived", () => {
    const { k, a, b, caps } = setup();
    const ep = k.endpoints.create();
    const derived = k.caps.derive(ep, R_WRITE);
    k.endpoints.call(a, derived, msg(1));
    k.wait(caps[0], [], null);
    k.endpoints.destroy(ep);
    expect(k.endpoints.state(a).phase).toBe("gone");
    expect(k.takeDirect()?.id).toBe(a.id);
    expect(code(() => k.endpoints.call(b, derived, msg(1)))).toBe("E_CAP");
  });

  it("a receiver destroyed while serving wakes its caller with E_GONE; a cancelled caller's reply is dropped", () => {
    const { k, a, b, c, caps } = setup();
    const ep = k.endpoints.create();
    k.endpoints.call(a, ep, msg(1));
    k.wait(caps[0], [], null);
    k.endpoints.receive(b, ep);
    k.destroyEnv(caps[1]);
    expect(k.endpoints.state(a).phase).toBe("gone");
    k.endpoints.state(a).phase = "idle";
    k.endpoints.call(a, ep, msg(2));
    k.endpoints.receive(c, ep);
    k.endpoints.cancel(a); // a signal ended a's wait
    k.endpoints.reply(c, msg(3));
    expect(k.endpoints.state(a).phase).toBe("idle");
    expect(k.endpoints.state(a).msg[0]).toBe(2);
  });
});

/** A policy that runs the most recently queued environment first. */
class Lifo implements SchedPolicy {
  readonly order: Environment[] = [];
  enqueued: EnqueueReason[] = [];
  get length(): number {
    return this.order.length;
  }
  enqueue(env: Environment, why: EnqueueReason = "preempted"): void {
    if (env.queued) return;
    env.queued = true;
    this.enqueued.push(why);
    this.order.push(env);
  }
  dequeue(env: Environment): void {
    const i = this.order.indexOf(env);
    if (i >= 0) this.order.splice(i, 1);
    env.queued = false;
  }
  pick(): Environment | null {
    const e = this.order.pop() ?? null;
    if (e !== null) e.queued = false;
    return e;
  }
  slice(): number {
    return 1000;
  }
  yieldTo(env: Environment): void {
    this.dequeue(env);
    this.enqueue(env);
  }
}

describe("scheduling policies", () => {
  it("an embedder registers a policy; choosing it moves the runnable environments over in their old order", () => {
    const { k, a, b, c } = setup();
    const made: Lifo[] = [];
    k.registerPolicy("lifo", () => {
      const p = new Lifo();
      made.push(p);
      return p;
    });
    expect(k.policyNames()).toEqual(["fair", "round-robin", "lifo"]);
    k.setPolicy("lifo");
    expect(k.policyName).toBe("lifo");
    expect(made.length).toBe(1);
    // The old policy's order, as it handed them over; LIFO runs them backwards.
    const handed = made[0].order.map((e) => e.id);
    expect([...handed].sort()).toEqual([a.id, b.id, c.id].sort());
    const picked = [k.sched.pick(), k.sched.pick(), k.sched.pick()].map((e) => e?.id);
    expect(picked).toEqual([...handed].reverse());
    expect(k.sched.pick()).toBeNull();
    expect(code(() => k.setPolicy("lottery"))).toBe("E_INVAL");
  });

  it("the built-in round-robin policy can be chosen and the fair one chosen back", () => {
    const { k, a } = setup();
    k.setPolicy("round-robin");
    expect(k.sched.length).toBe(3);
    expect(k.sched.pick()?.id).toBe(a.id);
    k.setPolicy("fair");
    expect(k.sched.length).toBe(2);
  });
});
