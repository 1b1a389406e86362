// The clock: monotonic time in nanoseconds and one-shot timers on it. Time is a plain number
// (2^53 ns is 104 days, enough for any run), read from performance.now() (microsecond
// resolution, and no BigInt allocated per reading: the scheduler reads it on every turn); timers
// sit in a binary min-heap keyed by deadline, so the scheduler finds the next one in constant
// time and fires the expired ones in order.

export interface Timer {
  deadline: number;
  fn: () => void;
  /** Position in the heap, -1 once fired or cancelled. */
  slot: number;
}

export class Clock {
  private readonly heap: Timer[] = [];

  /** Nanoseconds since exojit started (monotonic). */
  now(): number {
    return Math.round(performance.now() * 1e6);
  }

  /** Calls `fn` once the clock reaches `deadline` (ns, as now()). */
  at(deadline: number, fn: () => void): Timer {
    const t: Timer = { deadline, fn, slot: this.heap.length };
    this.heap.push(t);
    this.up(t.slot);
    return t;
  }

  cancel(t: Timer): void {
    const i = t.slot;
    if (i < 0) return;
    t.slot = -1;
    const last = this.heap.pop() as Timer; // non-empty: t was in it
    if (i < this.heap.length) {
      this.heap[i] = last;
      last.slot = i;
      this.down(i);
      this.up(i);
    }
  }

  /** The earliest deadline, or Infinity. */
  next(): number {
    return this.heap.length > 0 ? this.heap[0].deadline : Infinity;
  }

  get pending(): number {
    return this.heap.length;
  }

  /** Fires every timer whose deadline has passed; returns how many. */
  fire(now = this.now()): number {
    let n = 0;
    while (this.heap.length > 0 && this.heap[0].deadline <= now) {
      const t = this.heap[0];
      this.cancel(t);
      n++;
      t.fn();
    }
    return n;
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p].deadline <= h[i].deadline) break;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < h.length && h[l].deadline < h[m].deadline) m = l;
      if (r < h.length && h[r].deadline < h[m].deadline) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }

  private swap(a: number, b: number): void {
    const h = this.heap;
    const t = h[a];
    h[a] = h[b];
    h[b] = t;
    h[a].slot = a;
    h[b].slot = b;
  }
}
