// Blocking system calls. A call that cannot complete yet throws WouldBlock naming what it waits
// for (wait queues, a deadline). The thread's environment then waits in the exokernel with its
// registers untouched; when a queue is notified or the deadline passes, the call runs again from
// the start (or `retry` runs, for calls whose first part must not be repeated), so the
// implementation simply re-checks its condition. A signal that interrupts the wait ends the call
// with EINTR, or restarts it after the handler, as `restart` says (POSIX's SA_RESTART rules).
//
// `retry` and `onInterrupt` are later calls (exokernel/later.ts), never closures, so a blocked
// call's state can be saved with the system: a method of an object with its arguments
// (`later(this, "method", ...)`) or a function registered with `resumable` (`laterFn`). They
// are re-exported here for the personality, which may import the exokernel only for types.

import type { WaitQueue } from "../exokernel/wait.js";
import { resumable } from "../exokernel/later.js";

export { later, laterFn, resumable } from "../exokernel/later.js";

/** Restart after a handler if it was installed with SA_RESTART, else EINTR (ERESTARTSYS). */
export const RESTART_IF_SA = 1;
/** EINTR whenever a handler runs (sleeps, poll, sigsuspend: ERESTARTNOHAND). */
export const EINTR_ON_HANDLER = 2;
/** Signals wait until the call is done (a vfork parent); only death ends it early. */
export const UNINTERRUPTIBLE = 3;

export class WouldBlock {
  constructor(
    /** Queues whose notification ends the wait (may be empty: a pure sleep). */
    readonly queues: WaitQueue[],
    /** Clock deadline (ns, Exokernel.clock) ending the wait, or null. */
    readonly deadline: number | null = null,
    readonly restart: number = RESTART_IF_SA,
    /** Runs instead of the whole call when the wait ends (it may throw WouldBlock again). */
    readonly retry: (() => number) | null = null,
    /** Called when a signal ends the wait (to report the time left, forget a futex wait...);
     *  a number it returns becomes the call's result instead of EINTR (a write that already
     *  moved some bytes returns their count). */
    readonly onInterrupt: (() => number | null | void) | null = null,
    /** Signals the call itself takes (sigtimedwait: bits as a (lo, hi) mask pair): one of them
     *  arriving ends the wait and the call runs again, even if a handler is installed. */
    readonly takes: [number, number] | null = null,
  ) {}
}

/** A write interrupted after moving `n` bytes returns that count; with none it fails (EINTR or
 *  a restart). The `onInterrupt` of waiting writes, as `laterFn(partialCount, n)`. */
export const partialCount = resumable("blocking.partialCount", function partialCount(n: number): number | null {
  return n > 0 ? n : null;
});

/** Throws WouldBlock: the calling thread waits on `queues` until `deadline`. */
export function block(queues: WaitQueue[], deadline: number | null = null, restart = RESTART_IF_SA): never {
  throw new WouldBlock(queues, deadline, restart);
}
