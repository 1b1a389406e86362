// Scheduling policy: which runnable environment gets the CPU next, and for how long. The
// exokernel's loop (Exokernel.runLoop) asks the policy; a library OS may plug in another one
// (the seed's custom schedulers) through `Exokernel.sched`.
//
// The default is round robin with priorities: runnable environments take turns in FIFO order,
// and an environment's turn lasts a number of guest instructions proportional to the weight of
// its nice value (the weights grow by 1.25x per step, as Linux's CFS weights do, so nice 0
// against nice 5 is about 3:1). `yieldTo` puts an environment at the head of the queue.

import type { Environment } from "./env.js";

export interface SchedPolicy {
  /** `env` became runnable (or used up its turn and is still runnable). */
  enqueue(env: Environment): void;
  /** `env` left the run queue (it waits, is suspended, or is gone). */
  dequeue(env: Environment): void;
  /** The environment to run next, taken off the queue; null when none is runnable. */
  pick(): Environment | null;
  /** Guest instructions `env` may run in its turn. */
  slice(env: Environment): number;
  /** Makes `env` (runnable) the next to run. */
  yieldTo(env: Environment): void;
  /** Runnable environments queued. */
  readonly length: number;
}

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
