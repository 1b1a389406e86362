// Scheduling policy: which runnable environment gets the CPU next, and for how long. The
// exokernel's loop (runloop.ts) asks the policy; a library OS may plug in another one (the
// seed's custom schedulers) through `Exokernel.sched`. Turns end when their instruction slice
// is used, when the environment waits, or after TURN_NS of host time (a guest making system
// calls in a loop executes few instructions per microsecond).
//
// Two policies:
// - FairShare (the default): each environment accumulates virtual time, the host time it ran
//   divided by the weight of its nice value (weights grow by 1.25x per step, as Linux's CFS
//   weights do, so nice 0 against nice 5 gets about 3:1 of the CPU); the runnable one with the
//   least virtual time runs next. One that wakes from a wait starts no further behind than a
//   few milliseconds, so an interactive process (a shell reading input, a parent waiting for
//   a child) runs soon after its event even when thousands of processes compute, while a
//   process that sleeps a lot cannot bank unbounded credit; a new process starts a little
//   behind its parent (at the virtual time its parent has reached), so a fork bomb cannot crowd
//   out those already running. Above them, environments given a fixed priority (the real-time
//   class: SCHED_FIFO and SCHED_RR) run first, highest priority first, first in first out or
//   round robin among equals, within 95% of the CPU while others are runnable.
// - RoundRobin: runnable environments take turns in FIFO order, each turn's instruction slice
//   proportional to its nice weight. Simple, but a woken process waits behind every runnable
//   one (seconds, under a fork bomb). It has no fixed priorities.

import type { Environment } from "./env.js";
import { IndexedHeap } from "./heap.js";
import { settleOnce } from "../hw/v8fields.js";

/** Why an environment is (re)entering the run queue. */
export type EnqueueReason = "new" | "woken" | "preempted";

export interface SchedPolicy {
  /** `env` became runnable (or used up its turn and is still runnable). */
  enqueue(env: Environment, why?: EnqueueReason): void;
  /** `env` left the run queue (it waits, is suspended, or is gone). */
  dequeue(env: Environment): void;
  /** The environment to run next, taken off the queue; null when none is runnable. */
  pick(): Environment | null;
  /** Guest instructions `env` may run in its turn. */
  slice(env: Environment): number;
  /** Makes `env` (runnable) the next to run. */
  yieldTo(env: Environment): void;
  /** `env` ran for `ns` of host time in its last turn. */
  account?(env: Environment, ns: number): void;
  /** `env` gave up its turn (sched_yield): others that are runnable should go first. */
  yielded?(env: Environment): void;
  /** `child` was made from `parent`, which has run for `runningNs` of its current turn. */
  forked?(parent: Environment, child: Environment, runningNs: number): void;
  /** Runnable environments queued. */
  readonly length: number;
}

/** Longest turn in host time. */
export const TURN_NS = 4_000_000;

/** A turn at nice 0, in guest instructions (about a millisecond of compiled code). */
export const BASE_SLICE = 1 << 18;
const MIN_SLICE = 1 << 12;

/** Weight of nice 0 and the factor between neighbouring nice values. */
const NICE0_WEIGHT = 1024;
const NICE_STEP = 1.25;

export function niceWeight(nice: number): number {
  return NICE0_WEIGHT / Math.pow(NICE_STEP, Math.max(-20, Math.min(19, nice)));
}

export class RoundRobin implements SchedPolicy {
  private queue: Environment[] = [];
  private head = 0;

  get length(): number {
    return this.queue.length - this.head;
  }

  enqueue(env: Environment): void {
    if (env.queued) return;
    env.queued = true;
    this.queue.push(env);
  }

  dequeue(env: Environment): void {
    if (!env.queued) return;
    env.queued = false;
    const i = this.queue.indexOf(env, this.head);
    if (i >= 0) this.queue.splice(i, 1);
  }

  pick(): Environment | null {
    if (this.head >= this.queue.length) return null;
    const env = this.queue[this.head++];
    env.queued = false;
    if (this.head > 64 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return env;
  }

  slice(env: Environment): number {
    return Math.max(MIN_SLICE, Math.round((BASE_SLICE * niceWeight(env.nice)) / NICE0_WEIGHT));
  }

  yieldTo(env: Environment): void {
    this.dequeue(env);
    env.queued = true;
    if (this.head > 0) this.queue[--this.head] = env;
    else this.queue.unshift(env);
  }
}

/** Share of the CPU environments with a fixed priority may take while others are runnable, per
 *  window of run time: Linux's default real-time throttling (sched_rt_runtime_us of
 *  sched_rt_period_us, 950 ms of every second), so a spinning real-time process leaves the
 *  rest a little time, as it does there. */
const FIXED_SHARE = 0.95;
const FIXED_WINDOW_NS = 1e9;

/** Virtual-time credit a waking environment may have over the most advanced runnable one. */
const WAKE_CREDIT_NS = 3_000_000;
/** How far behind a new environment starts. */
const START_DEBIT_NS = 1_000_000;

export class FairShare implements SchedPolicy {
  /** Runnable environments in a min-heap on vruntime; env.slot is its index. */
  private readonly heap = new IndexedHeap<Environment>((e) => e.vruntime);
  /** The least virtual time of the runnable environments (or of the last one picked). */
  private minVruntime = 0;
  /** Runnable environments with a fixed priority (Environment.fixedPrio), in the order each
   *  priority's are served. */
  private readonly fixed: Environment[] = [];
  /** Run time accounted in the current throttling window, and how much of it went to
   *  environments with a fixed priority. */
  private windowNs = 0;
  private fixedNs = 0;

  constructor() {
    // (hw/v8fields.ts: nanoseconds, beyond a small integer after about a second of guest time)
    settleOnce(this, { minVruntime: [0.5], windowNs: [0.5], fixedNs: [0.5] });
  }

  get length(): number {
    return this.heap.length + this.fixed.length;
  }

  enqueue(env: Environment, why: EnqueueReason = "preempted"): void {
    if (env.queued) return;
    if (env.fixedPrio > 0) {
      // First in, first out: one whose turn ended goes on before its equals, unless it yielded;
      // round robin, a woken one and a new one: after them.
      const first = why === "preempted" && env.fixedFifo && !env.yieldedFixed;
      env.yieldedFixed = false;
      env.queued = true;
      if (first) this.fixed.unshift(env);
      else this.fixed.push(env);
      return;
    }
    if (why === "new") env.vruntime = Math.max(env.vruntime, this.minVruntime + START_DEBIT_NS);
    else if (why === "woken") env.vruntime = Math.max(env.vruntime, this.minVruntime - WAKE_CREDIT_NS);
    env.queued = true;
    this.heap.push(env);
  }

  dequeue(env: Environment): void {
    if (!env.queued) return;
    this.take(env);
  }

  pick(): Environment | null {
    if (this.fixed.length > 0 && (this.heap.length === 0 || this.fixedNs < FIXED_SHARE * FIXED_WINDOW_NS)) {
      let best = 0;
      for (let k = 1; k < this.fixed.length; k++) if (this.fixed[k].fixedPrio > this.fixed[best].fixedPrio) best = k;
      const env = this.fixed[best];
      this.fixed.splice(best, 1);
      env.queued = false;
      return env;
    }
    const env = this.heap.peek();
    if (env === undefined) return null;
    this.take(env);
    this.minVruntime = Math.max(this.minVruntime, env.vruntime);
    return env;
  }

  slice(env: Environment): number {
    return Math.max(MIN_SLICE, Math.round((BASE_SLICE * 4 * niceWeight(env.nice)) / NICE0_WEIGHT));
  }

  account(env: Environment, ns: number): void {
    this.windowNs += ns;
    if (env.fixedPrio > 0) this.fixedNs += ns;
    else env.vruntime += (ns * NICE0_WEIGHT) / niceWeight(env.nice);
    if (this.windowNs >= FIXED_WINDOW_NS) this.windowNs = this.fixedNs = 0;
  }

  yieldTo(env: Environment): void {
    this.dequeue(env);
    if (env.fixedPrio > 0) {
      env.queued = true;
      this.fixed.unshift(env);
      return;
    }
    env.vruntime = Math.min(env.vruntime, this.minVruntime - WAKE_CREDIT_NS);
    this.enqueue(env, "preempted");
  }

  /** A child starts where its parent is now (including the turn it is in) and a little behind:
   *  forking does not make CPU credit out of nothing. */
  forked(parent: Environment, child: Environment, runningNs: number): void {
    child.vruntime = parent.vruntime + (runningNs * NICE0_WEIGHT) / niceWeight(parent.nice) + START_DEBIT_NS;
  }

  /** sched_yield: the environment goes after every runnable one (one with a fixed priority:
   *  after its equals). */
  yielded(env: Environment): void {
    if (env.fixedPrio > 0) {
      env.yieldedFixed = true;
      return;
    }
    let max = env.vruntime;
    for (const o of this.heap.items) if (o.vruntime > max) max = o.vruntime;
    if (max > env.vruntime || this.heap.length > 0) env.vruntime = max + 1;
  }

  private take(env: Environment): void {
    env.queued = false;
    const k = this.fixed.indexOf(env);
    if (k >= 0) this.fixed.splice(k, 1);
    else this.heap.remove(env);
  }
}
