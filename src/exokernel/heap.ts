// An indexed binary min-heap: each item keeps its own position (`slot`, -1 when out of the heap),
// so removing an item from the middle costs O(log n) without a search. The scheduler keeps its
// runnable environments in one (keyed by virtual runtime) and the clock its timers (keyed by
// deadline).

export interface HeapItem {
  /** Position in the heap, -1 when not in one. */
  slot: number;
}

export class IndexedHeap<T extends HeapItem> {
  readonly items: T[] = [];

  constructor(private readonly key: (item: T) => number) {}

  get length(): number {
    return this.items.length;
  }

  /** The item with the least key, or undefined. */
  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    item.slot = this.items.length;
    this.items.push(item);
    this.up(item.slot);
  }

  /** Takes `item` out (it must be in this heap). */
  remove(item: T): void {
    const h = this.items;
    const i = item.slot;
    item.slot = -1;
    const last = h.pop() as T; // non-empty: item was in it
    if (i < h.length) {
      h[i] = last;
      last.slot = i;
      this.down(i);
      this.up(last.slot);
    }
  }

  private up(i: number): void {
    const h = this.items;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.key(h[p]) <= this.key(h[i])) break;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.items;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < h.length && this.key(h[l]) < this.key(h[m])) m = l;
      if (r < h.length && this.key(h[r]) < this.key(h[m])) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }

  private swap(a: number, b: number): void {
    const h = this.items;
    const t = h[a];
    h[a] = h[b];
    h[b] = t;
    h[a].slot = a;
    h[b].slot = b;
  }
}
