// Wait queues: the one mechanism by which anything in exojit waits for anything else. A queue is
// an event source (a pipe becoming readable, a child changing state, a futex word, host input);
// waiters are environments, or library objects that relay readiness (an epoll instance). The
// exokernel attaches no meaning to a queue; the library OS decides which queue stands for what.
//
// Rules: notify() wakes waiters in the order they started waiting (FIFO, as futex wake-ups
// should be) and removes them from the queue before calling them, so a waiter that starts
// waiting again from inside wake() joins the back of the queue and is not woken twice.

export interface Waiter {
  /** The queue `q` was notified while this waiter was on it. An exclusive waiter returns
   *  whether it took the notification (false: it passes it on to the next exclusive one). */
  wake(q: WaitQueue): boolean | void;
  /** One of the waiters a notification wakes only one of (Linux's exclusive waits, as
   *  EPOLLEXCLUSIVE makes them); the others are all woken. */
  readonly exclusive?: boolean;
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
   *  when it is called are woken, and of the exclusive ones only the first that takes it (the
   *  others stay on the queue). */
  notify(max = Infinity): number {
    if (this.waiters.size === 0) return 0;
    let n = 0;
    let taken = false;
    for (const w of [...this.waiters]) {
      if (n >= max) break;
      if (w.exclusive === true && taken) continue;
      if (!this.waiters.delete(w)) continue; // left the queue while others were woken
      n++;
      if (w.wake(this) !== false && w.exclusive === true) taken = true;
    }
    return n;
  }

  /** The waiters, oldest first (a copy: for requeueing and inspection). */
  list(): Waiter[] {
    return [...this.waiters];
  }
}
