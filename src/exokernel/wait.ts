// Wait queues: the one mechanism by which anything in exojit waits for anything else. A queue is
// an event source (a pipe becoming readable, a child changing state, a futex word, host input);
// waiters are environments, or library objects that relay readiness (an epoll instance). The
// exokernel attaches no meaning to a queue; the library OS decides which queue stands for what.
//
// Rules: notify() wakes waiters in the order they started waiting (FIFO, as futex wake-ups
// should be) and removes them from the queue before calling them, so a waiter that starts
// waiting again from inside wake() joins the back of the queue and is not woken twice.

export interface Waiter {
  /** The queue `q` was notified while this waiter was on it. */
  wake(q: WaitQueue): void;
}

export class WaitQueue {
  private readonly waiters = new Set<Waiter>();

  get size(): number {
    return this.waiters.size;
  }

  add(w: Waiter): void {
    this.waiters.add(w);
  }

  remove(w: Waiter): void {
    this.waiters.delete(w);
  }

  has(w: Waiter): boolean {
    return this.waiters.has(w);
  }

  /** Wakes up to `max` waiters, oldest first; returns how many were woken. Only those waiting
   *  when it is called are woken. */
  notify(max = Infinity): number {
    if (this.waiters.size === 0) return 0;
    let n = 0;
    for (const w of [...this.waiters]) {
      if (n >= max) break;
      if (!this.waiters.delete(w)) continue; // left the queue while others were woken
      n++;
      w.wake(this);
    }
    return n;
  }

  /** The waiters, oldest first (a copy: for requeueing and inspection). */
  list(): Waiter[] {
    return [...this.waiters];
  }
}
