// The run loop: gives the CPU to runnable environments in turns the scheduling policy sizes,
// dispatches each exit to the environment's handler, fires timers, and when nothing is runnable
// sleeps in the host until a timer or a host event makes something runnable (zero CPU while
// idle). It is async: between turns it lets Node's event loop run, so host input, host signals
// and timers are delivered while guests compute.

import type { Exokernel } from "./kernel.js";
import { X_BUDGET, type Environment } from "./env.js";
import { TURN_NS } from "./sched.js";
import { enterLog, leaveLog, logger, trace, type LogScope } from "../log.js";

/** Host time between returns to Node's event loop while guests run (ns). */
const YIELD_EVERY_NS = 10_000_000;
/** Sleeps shorter than this are taken synchronously (setTimeout cannot sleep below ~1 ms).
 *  A longer one sleeps on a timer until about half of this before its deadline, and the rest
 *  synchronously: a timer fires up to a millisecond late (Node rounds to whole milliseconds,
 *  and the host adds its own latency), which every guest sleep of a few milliseconds paid. */
const SHORT_SLEEP_NS = 2_000_000;
/** Longest idle sleep before the loop looks again (keeps a timer referenced, so Node waits). */
const MAX_IDLE_MS = 60_000;

export interface LoopOptions {
  /** Checked between turns: the loop returns once this is true. */
  done(): boolean;
  /** An embedder's logger for what happens in the loop (src/log.ts, log scopes). */
  log?: LogScope | null;
  /** Called between turns, with no environment on the CPU: work for the owner to do there
   *  (a snapshot, a restore), which the loop awaits before it goes on; null when there is none. */
  between?: () => Promise<void> | null;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

export class RunLoop {
  private wakeIdle: (() => void) | null = null;
  /** Idle sleeps taken and time spent in them (ns), for --stats. */
  idleSleeps = 0;
  idleNs = 0;

  private readonly log = logger("sched");

  constructor(private readonly k: Exokernel) {
    k.onRunnable = () => {
      const w = this.wakeIdle;
      if (w !== null) {
        this.wakeIdle = null;
        w();
      }
    };
  }

  async run(o: LoopOptions): Promise<void> {
    const k = this.k;
    let yieldAt = k.clock.now() + YIELD_EVERY_NS;
    for (;;) {
      // The caller's log scope is active while the loop works, never across an await (where
      // other machines' loops and the embedder's code run).
      const prev = enterLog(o.log ?? null);
      let next: "done" | "yield" | Promise<void> | null;
      try {
        next = this.step(o, yieldAt);
      } finally {
        leaveLog(prev);
      }
      if (next === "done") return;
      if (next === null) continue;
      await (next === "yield" ? new Promise<void>((res) => setImmediate(res)) : next);
      yieldAt = k.clock.now() + YIELD_EVERY_NS;
    }
  }

  /** One pass of the loop: "done", a turn after which Node's event loop is due ("yield"), an
   *  idle sleep to await, or null to go on. */
  private step(o: LoopOptions, yieldAt: number): "done" | "yield" | Promise<void> | null {
    const k = this.k;
    const now = k.clock.now();
    if (k.clock.next() <= now) k.clock.fire(now);
    const work = o.between?.() ?? null;
    if (work !== null) return work;
    if (o.done()) return "done";
    // An environment woken by a direct switch (endpoint IPC) runs next, without a pick.
    const env = k.takeDirect() ?? k.sched.pick();
    if (env === null) return this.idle();
    this.turn(env, k.sched.slice(env));
    if (env.alive && !env.waiting && !env.suspended) k.sched.enqueue(env, "preempted");
    return k.clock.now() >= yieldAt ? "yield" : null;
  }

  /** Runs `env` for up to `slice` instructions, handling its exits, until it waits, is
   *  suspended or destroyed, uses up its turn, or a wait it began already ended (its handler
   *  hears of that at the start of its next turn). */
  turn(env: Environment, slice: number): void {
    const k = this.k;
    const t0 = k.clock.now();
    k.turnStart = t0;
    if (trace.sched) this.log.trace({ env: env.label, vruntime: env.vruntime }, `run ${env.label || env.id} (${k.sched.length} more runnable)`);
    const reason = env.wakeReason;
    env.wakeReason = 0;
    env.handler?.handleWake?.(env, reason);
    let left = slice;
    let exits = 0;
    env.turnOver = false;
    while (left > 0 && env.alive && !env.waiting && !env.suspended && !env.turnOver && env.wakeReason === 0) {
      const before = env.insns;
      const x = k.runEnv(env, left, true);
      left -= Math.max(1, env.insns - before);
      if (env.handler === null) throw new Error(`environment ${env.id} has no exit handler`);
      env.handler.handleExit(env, x);
      if (x.kind === X_BUDGET) break;
      // Exits are cheap to count; the clock is read every few of them.
      if ((++exits & 15) === 0 && k.clock.now() - t0 >= TURN_NS) break;
    }
    const ns = k.clock.now() - t0;
    env.cpuNs += ns;
    k.sched.account?.(env, ns);
    k.turnStart = 0;
    if (env.alive) env.handler?.accounted?.(env, ns);
  }

  /** Sleeps until the next timer or until something becomes runnable. */
  private async idle(): Promise<void> {
    const k = this.k;
    const t0 = k.clock.now();
    this.idleSleeps++;
    const wait = k.clock.next() - t0;
    if (trace.sched) this.log.trace({ wait }, wait === Infinity ? "idle until a host event" : `idle for ${(wait / 1e6).toFixed(3)} ms`);
    if (wait < SHORT_SLEEP_NS) {
      if (wait > 0) Atomics.wait(sleeper, 0, 0, wait / 1e6);
    } else {
      await new Promise<void>((res) => {
        const ms = Math.min(MAX_IDLE_MS, Math.max(1, Math.floor((wait - SHORT_SLEEP_NS / 2) / 1e6)));
        const timer = setTimeout(() => {
          this.wakeIdle = null;
          res();
        }, ms);
        this.wakeIdle = () => {
          clearTimeout(timer);
          res();
        };
      });
    }
    this.idleNs += k.clock.now() - t0;
  }
}
