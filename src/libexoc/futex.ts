// Futexes: threads wait on a word of user memory until another thread wakes that word. A futex
// is named by a key: for private futexes (and any word in private memory) the memory plus the
// address, so two processes that share a copy-on-write page after fork never meet; for a word
// in shared memory its physical address, so every process mapping the page meets there.
//
// Waiters queue per key by priority, as Linux's futex hash chains (a plist) order them: threads
// with a fixed (real-time) priority first, highest first, then the rest, each priority in
// arrival order; so a wake of one, a requeue and a PI unlock serve the most urgent waiter. Each
// waits on a wait queue of its own, so wake, requeue and the bitset variants choose exactly whom
// to wake. Priority-inheritance futexes (LOCK_PI, UNLOCK_PI, TRYLOCK_PI) keep the owner's thread
// id in the word and hand the lock directly to the first waiter. Robust lists are walked when a
// thread ends: locks it still holds are marked FUTEX_OWNER_DIED and one waiter is woken.

import { WaitQueue } from "../exokernel/wait.js";
import { WouldBlock, RESTART_IF_SA, EINTR_ON_HANDLER, later } from "./blocking.js";
import { sysError, SysError } from "./errors.js";
import type { Task } from "./task.js";

/** Bits of a futex word that hold the owner's thread id, and the two flag bits (linux/futex.h). */
export const FUTEX_TID_MASK = 0x3fffffff;
export const FUTEX_WAITERS = 0x80000000 | 0;
export const FUTEX_OWNER_DIED = 0x40000000;
/** A wake or wait with this bitset matches every waiter. */
export const BITSET_ALL = -1;
/** Most entries followed in a robust list (Linux's ROBUST_LIST_LIMIT). */
const ROBUST_LIST_LIMIT = 2048;

interface Waiter {
  task: Task;
  /** Its task's fixed priority when it queued (0: none), which orders the queue. */
  prio: number;
  bitset: number;
  key: number;
  /** The queue this waiter's task waits on (its own: notified once, when it is woken). */
  readonly q: WaitQueue;
  woken: boolean;
  /** For PI locks: the lock was handed to this waiter. */
  pi: boolean;
  /** futex_waitv: the waiters of the one call, each on one of its futexes (woken as one). */
  group?: Waiter[];
}

export class FutexTable {
  private readonly queues = new Map<number, Waiter[]>();

  /** The key of the word at `uaddr` for `t` (checks alignment): the memory's id and the
   *  address (id * 2^32 + address, exact below 2^53), or for a word in shared memory minus one
   *  minus its physical address. */
  key(t: Task, uaddr: number, priv: boolean): number {
    if ((uaddr & 3) !== 0) sysError("EINVAL");
    const va = uaddr >>> 0;
    if (!priv) {
      // (a shared futex's page is looked up, as Linux's get_futex_key does: EFAULT when it
      // cannot be read; a private one is only an address)
      const phys = t.mem.phys(va, false);
      if (t.vm.find(va)?.shared) return -1 - phys;
    }
    return t.mm.id * 4294967296 + va;
  }

  private list(key: number): Waiter[] {
    let l = this.queues.get(key);
    if (l === undefined) {
      l = [];
      this.queues.set(key, l);
    }
    return l;
  }

  /** Queues `w` on its key after every waiter of its priority or above. */
  private enqueue(w: Waiter): void {
    const l = this.list(w.key);
    let i = l.length;
    while (i > 0 && l[i - 1].prio < w.prio) i--;
    l.splice(i, 0, w);
  }

  private remove(w: Waiter): void {
    const l = this.queues.get(w.key);
    if (l === undefined) return;
    const i = l.indexOf(w);
    if (i >= 0) l.splice(i, 1);
    if (l.length === 0) this.queues.delete(w.key);
  }

  /** Blocks `w`'s task until it is woken (the call returns 0), `deadline` passes (ETIMEDOUT)
   *  or a signal comes. */
  private sleep(w: Waiter, deadline: number | null): never {
    throw this.sleeping(w, deadline);
  }

  private sleeping(w: Waiter, deadline: number | null): WouldBlock {
    return new WouldBlock([w.q], deadline, deadline === null ? RESTART_IF_SA : EINTR_ON_HANDLER, later(this, "slept", w, deadline), later(this, "remove", w));
  }

  private slept(w: Waiter, deadline: number | null): number {
    if (w.woken) return 0;
    if (deadline !== null && w.task.kernel.clock.now() >= deadline) {
      this.remove(w);
      return sysError("ETIMEDOUT");
    }
    throw this.sleeping(w, deadline);
  }

  /** FUTEX_WAIT(_BITSET): waits while the word at `uaddr` holds `val`. */
  wait(t: Task, uaddr: number, val: number, deadline: number | null, bitset: number, priv: boolean): number {
    if (bitset === 0) sysError("EINVAL");
    const key = this.key(t, uaddr, priv);
    if (t.mem.i32(uaddr) !== (val | 0)) sysError("EAGAIN");
    if (deadline !== null && t.kernel.clock.now() >= deadline) sysError("ETIMEDOUT");
    const w: Waiter = { task: t, prio: t.fixedPriority, bitset, key, q: t.futexQueue, woken: false, pi: false };
    this.enqueue(w);
    return this.sleep(w, deadline);
  }

  private wakeOne(w: Waiter): void {
    this.remove(w);
    w.woken = true;
    // (a futex_waitv's other futexes no longer hold it)
    if (w.group !== undefined) for (const o of w.group) if (o !== w) this.remove(o);
    w.q.notify();
  }

  /** futex_waitv: waits on every futex of `list` (each word at `uaddr` holding `val`, checked
   *  after all are queued: EAGAIN if one does not), until a wake on any of them, whose index
   *  is the result, `deadline` (ETIMEDOUT) or a signal. */
  waitv(t: Task, list: { uaddr: number; val: number; priv: boolean }[], deadline: number | null): number {
    const keys = list.map((e) => this.key(t, e.uaddr, e.priv));
    for (const e of list) if (t.mem.i32(e.uaddr) !== (e.val | 0)) sysError("EAGAIN");
    if (deadline !== null && t.kernel.clock.now() >= deadline) sysError("ETIMEDOUT");
    const group: Waiter[] = [];
    for (const key of keys) group.push({ task: t, prio: t.fixedPriority, bitset: BITSET_ALL, key, q: t.futexQueue, woken: false, pi: false, group });
    for (const w of group) this.enqueue(w);
    throw this.sleepingv(group, deadline);
  }

  private sleepingv(group: Waiter[], deadline: number | null): WouldBlock {
    return new WouldBlock([group[0].q], deadline, RESTART_IF_SA, later(this, "sleptv", group, deadline), later(this, "removeAll", group));
  }

  private sleptv(group: Waiter[], deadline: number | null): number {
    // (the index of the last futex woken, as Linux's futex_unqueue_multiple reports it)
    let woken = -1;
    group.forEach((w, i) => {
      if (w.woken) woken = i;
    });
    if (woken >= 0) return woken;
    if (deadline !== null && group[0].task.kernel.clock.now() >= deadline) {
      this.removeAll(group);
      return sysError("ETIMEDOUT");
    }
    throw this.sleepingv(group, deadline);
  }

  private removeAll(group: Waiter[]): void {
    for (const w of group) this.remove(w);
  }

  /** FUTEX_WAKE(_BITSET): wakes up to `n` waiters on `uaddr` whose bitset meets `bitset`. */
  wake(t: Task, uaddr: number, n: number, bitset: number, priv: boolean): number {
    if (bitset === 0) sysError("EINVAL");
    return this.wakeKey(this.key(t, uaddr, priv), n, bitset);
  }

  private wakeKey(key: number, n: number, bitset = BITSET_ALL): number {
    const l = this.queues.get(key);
    if (l === undefined) return 0;
    let done = 0;
    for (const w of [...l]) {
      if (done >= n) break;
      if ((w.bitset & bitset) === 0) continue;
      this.wakeOne(w);
      done++;
    }
    return done;
  }

  /** FUTEX_REQUEUE / FUTEX_CMP_REQUEUE: wakes `n` waiters on `uaddr` and moves up to `n2` more
   *  to `uaddr2`; with `cmp` (not null), only if the word still holds it (else EAGAIN). */
  requeue(t: Task, uaddr: number, n: number, uaddr2: number, n2: number, cmp: number | null, priv: boolean): number {
    if ((n | 0) < 0 || (n2 | 0) < 0) sysError("EINVAL");
    const k1 = this.key(t, uaddr, priv), k2 = this.key(t, uaddr2, priv);
    if (cmp !== null && t.mem.i32(uaddr) !== (cmp | 0)) sysError("EAGAIN");
    let done = this.wakeKey(k1, n);
    const l = this.queues.get(k1);
    if (l === undefined || n2 <= 0) return done;
    const moved = l.splice(0, n2);
    if (l.length === 0) this.queues.delete(k1);
    for (const w of moved) {
      w.key = k2;
      this.enqueue(w);
    }
    done += moved.length;
    return done;
  }

  /** FUTEX_WAKE_OP: atomically *uaddr2 = op(*uaddr2, oparg), wake `n` on uaddr, and if the old
   *  value of *uaddr2 passes the comparison, `n2` on uaddr2. */
  wakeOp(t: Task, uaddr: number, n: number, uaddr2: number, n2: number, encoded: number, priv: boolean): number {
    const k1 = this.key(t, uaddr, priv), k2 = this.key(t, uaddr2, priv);
    const op = (encoded >>> 28) & 7, shiftArg = (encoded >>> 31) & 1, cmp = (encoded >>> 24) & 15;
    let oparg = (encoded << 8) >> 20, cmparg = (encoded << 20) >> 20;
    if (shiftArg) oparg = oparg < 0 || oparg > 31 ? 0 : 1 << oparg;
    const old = t.mem.i32(uaddr2);
    let nv: number;
    switch (op) {
      case 0: nv = oparg; break; // SET
      case 1: nv = old + oparg; break; // ADD
      case 2: nv = old | oparg; break; // OR
      case 3: nv = old & ~oparg; break; // ANDN
      case 4: nv = old ^ oparg; break; // XOR
      default: return sysError("ENOSYS");
    }
    t.mem.putU32(uaddr2, nv);
    let hit: boolean;
    switch (cmp) {
      case 0: hit = old === cmparg; break;
      case 1: hit = old !== cmparg; break;
      case 2: hit = old < cmparg; break;
      case 3: hit = old <= cmparg; break;
      case 4: hit = old > cmparg; break;
      case 5: hit = old >= cmparg; break;
      default: return sysError("ENOSYS");
    }
    let done = this.wakeKey(k1, n);
    if (hit) done += this.wakeKey(k2, n2);
    return done;
  }

  /** FUTEX_LOCK_PI / FUTEX_TRYLOCK_PI: takes the lock whose word holds its owner's tid. */
  lockPi(t: Task, uaddr: number, deadline: number | null, tryOnly: boolean, priv: boolean): number {
    const key = this.key(t, uaddr, priv);
    const v = t.mem.i32(uaddr);
    const owner = v & FUTEX_TID_MASK;
    if (owner === t.tid) sysError("EDEADLK");
    const waiting = this.queues.get(key)?.some((w) => w.pi) ?? false;
    if (owner === 0 || !t.sys.tasks.has(owner)) {
      // Free, or its owner died: take it (keeping OWNER_DIED so the new owner learns of it).
      const died = owner !== 0 ? FUTEX_OWNER_DIED : v & FUTEX_OWNER_DIED;
      t.mem.putU32(uaddr, t.tid | died | (waiting ? FUTEX_WAITERS : 0));
      return 0;
    }
    if (tryOnly) sysError("EAGAIN");
    if (deadline !== null && t.kernel.clock.now() >= deadline) sysError("ETIMEDOUT");
    t.mem.putU32(uaddr, v | FUTEX_WAITERS);
    const w: Waiter = { task: t, prio: t.fixedPriority, bitset: BITSET_ALL, key, q: t.futexQueue, woken: false, pi: true };
    this.enqueue(w);
    return this.sleep(w, deadline);
  }

  /** FUTEX_UNLOCK_PI: hands the lock to the first waiter (the most urgent), or frees it. */
  unlockPi(t: Task, uaddr: number, priv: boolean): number {
    const key = this.key(t, uaddr, priv);
    const v = t.mem.i32(uaddr);
    if ((v & FUTEX_TID_MASK) !== t.tid) sysError("EPERM");
    this.handOver(t, uaddr, key);
    return 0;
  }

  private handOver(t: Task, uaddr: number, key: number): void {
    const l = this.queues.get(key);
    const next = l?.find((w) => w.pi && w.task.alive);
    if (next === undefined) {
      t.mem.putU32(uaddr, 0);
      return;
    }
    this.remove(next);
    const more = this.queues.get(key)?.some((w) => w.pi) ?? false;
    t.mem.putU32(uaddr, next.task.tid | (more ? FUTEX_WAITERS : 0));
    next.woken = true;
    next.q.notify();
  }

  /** A thread ends: each robust futex it still owns is marked OWNER_DIED and a waiter woken. */
  exitRobust(t: Task): void {
    const head = t.robustList;
    if (head === 0) return;
    const m = t.mem;
    try {
      let entry = m.u32(head) >>> 0;
      const offset = m.i32(head + 4);
      const pending = m.u32(head + 8) >>> 0;
      for (let k = 0; entry !== head >>> 0 && k < ROBUST_LIST_LIMIT; k++) {
        const next = m.u32(entry & ~1) >>> 0;
        if (entry !== pending) this.ownerDied(t, ((entry & ~1) + offset) >>> 0, (entry & 1) !== 0);
        entry = next;
      }
      if (pending !== 0) this.ownerDied(t, ((pending & ~1) + offset) >>> 0, (pending & 1) !== 0);
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
      // A list in unmapped memory is abandoned, as Linux does.
    }
  }

  private ownerDied(t: Task, uaddr: number, pi: boolean): void {
    if ((uaddr & 3) !== 0) return;
    const v = t.mem.i32(uaddr);
    if ((v & FUTEX_TID_MASK) !== t.tid) return;
    t.mem.putU32(uaddr, (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED);
    if ((v & FUTEX_WAITERS) === 0) return;
    const key = this.key(t, uaddr, false);
    if (pi) {
      const next = this.queues.get(key)?.find((w) => w.pi);
      if (next !== undefined) this.wakeOne(next);
    } else {
      this.wakeKey(key, 1);
    }
  }
}
