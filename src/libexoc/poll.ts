// Waiting for readiness (poll, select and their variants): which of a set of open files are
// ready for what was asked, and waiting on all their queues at once when none is. The caller
// re-reads its arguments when the wait ends (the call runs again), so this keeps no state.

import type { WaitQueue } from "../exokernel/wait.js";
import { WouldBlock, EINTR_ON_HANDLER } from "./blocking.js";
import { POLLERR, POLLHUP, POLLNVAL, type OpenFile } from "./file.js";
import type { Task } from "./task.js";

/** One entry of a poll set: the file (null: not an open descriptor) and the events asked for. */
export interface PollItem {
  file: OpenFile | null;
  events: number;
}

/** The events of `item` that hold now; errors and hang-ups are always reported. */
export function readiness(item: PollItem): number {
  if (item.file === null) return POLLNVAL;
  return item.file.poll() & (item.events | POLLERR | POLLHUP);
}

/**
 * The ready events of every item. If none is ready and the deadline (clock ns; null: none) has
 * not passed, waits on every item's queues until one may have changed (the call is then made
 * again) or a signal handler interrupts it (EINTR).
 */
export function pollItems(t: Task, items: PollItem[], deadline: number | null): number[] {
  const ready = items.map(readiness);
  if (ready.some((r) => r !== 0)) return ready;
  if (deadline !== null && t.kernel.clock.now() >= deadline) return ready;
  const queues: WaitQueue[] = [];
  for (const it of items) if (it.file !== null) for (const q of it.file.pollQueues()) if (!queues.includes(q)) queues.push(q);
  throw new WouldBlock(queues, deadline, EINTR_ON_HANDLER);
}

/** Installs a temporary signal mask for the call (ppoll, pselect6, epoll_pwait): the old one
 *  comes back when the call returns, or after the handler that interrupted it. */
export function useCallMask(t: Task, lo: number, hi: number): void {
  if (t.retrying) return;
  t.savedMask = [t.sig.maskLo, t.sig.maskHi];
  t.sig.maskLo = lo;
  t.sig.maskHi = hi;
}

/** Puts back the mask useCallMask replaced (the call returns without a handler). */
export function restoreCallMask(t: Task): void {
  if (t.savedMask === null) return;
  [t.sig.maskLo, t.sig.maskHi] = t.savedMask;
  t.savedMask = null;
}

/** Runs `fn` with `mask` (if given) as the signal mask, restoring the old one when `fn` returns
 *  or fails; a wait leaves it in place (see useCallMask). */
export function withCallMask<T>(t: Task, mask: [number, number] | null, fn: () => T): T {
  if (mask !== null) useCallMask(t, mask[0], mask[1]);
  try {
    const r = fn();
    restoreCallMask(t);
    return r;
  } catch (e) {
    if (!(e instanceof WouldBlock)) restoreCallMask(t);
    throw e;
  }
}
