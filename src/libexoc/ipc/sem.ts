// System V semaphores (semget, semop/semtimedop, semctl). A set holds up to SEMMSL counters;
// semop applies a list of operations to one set atomically: all of them or none. An operation
// that cannot proceed (a decrement below zero, a wait for zero on a nonzero counter) makes the
// caller wait (EAGAIN with IPC_NOWAIT), queued on the set in arrival order.
//
// As in Linux, whoever changes a set completes the waiting operations that can now proceed on
// their callers' behalf (oldest first, again until nothing more can), and then wakes them: a
// woken caller finds its operation done, so a newcomer cannot overtake a waiter, and the outcome
// does not depend on who runs first. A removed set wakes its waiters with EIDRM; a signal ends a
// wait with EINTR (semop is never restarted); a timeout (semtimedop) with EAGAIN.
//
// SEM_UNDO: each process keeps, per set and counter, the sum of the inverse of its SEM_UNDO
// operations (semadj); when the process ends they are applied (clamped to 0..SEMVMX), as if it
// had undone what it did. A child starts with none; threads share their process's; SETVAL and
// SETALL reset the adjustments of the counters they set.

import { WaitQueue } from "../../exokernel/wait.js";
import { WouldBlock, EINTR_ON_HANDLER, later } from "../blocking.js";
import { sysError, type ErrnoName } from "../errors.js";
import type { Task } from "../task.js";
import type { Process } from "../process.js";
import { IpcPerm, IpcTable, IPC_READ, IPC_WRITE, checkAccess, checkOwner, setPerm, nowSeconds, type GetRequest, type IpcObject } from "./ids.js";

/** Limits (Linux's defaults): counters per set, most sets, operations per call, largest value,
 *  largest adjustment. */
export const SEMMSL = 32000, SEMMNI = 32000, SEMMNS = SEMMNI * SEMMSL, SEMOPM = 500, SEMVMX = 32767, SEMAEM = SEMVMX;

/** One operation of a semop call. */
export interface SemOp {
  num: number;
  op: number;
  noWait: boolean;
  undo: boolean;
}

interface Counter {
  val: number;
  /** The process that changed it last. */
  pid: number;
}

/** A caller waiting in semop. */
interface Waiter {
  proc: Process;
  ops: SemOp[];
  /** Index of the operation that could not proceed (for GETNCNT and GETZCNT). */
  blocking: number;
  readonly q: WaitQueue;
  /** null while waiting; then "done", or why it ended. */
  outcome: "done" | ErrnoName | null;
}

export class SemSet implements IpcObject {
  readonly perm: IpcPerm;
  readonly sems: Counter[];
  otime = 0;
  ctime = nowSeconds();
  readonly pending: Waiter[] = [];

  constructor(key: number, creator: Process, mode: number, nsems: number) {
    this.perm = new IpcPerm(key, creator, mode);
    this.sems = Array.from({ length: nsems }, () => ({ val: 0, pid: 0 }));
  }

  get nsems(): number {
    return this.sems.length;
  }
}

/** `w` stops waiting on `set`. */
function forget(set: SemSet, w: Waiter): void {
  const i = set.pending.indexOf(w);
  if (i >= 0) set.pending.splice(i, 1);
}

/** Why an attempt at a list of operations did not apply them. */
type Attempt = { ok: true } | { ok: false; block: number } | { ok: false; error: ErrnoName };

export class Semaphores {
  readonly table = new IpcTable<SemSet>(SEMMNI);
  /** Counters per set, counters in all, operations per call (the `sem` sysctl with SEMMNI). */
  msl = SEMMSL;
  mns = SEMMNS;
  opm = SEMOPM;
  /** Per process that used SEM_UNDO: set → adjustment per counter (dropped when it ends). */
  private readonly undo = new Map<Process, Map<SemSet, Int32Array>>();

  /** Whether `p` has a list of SEM_UNDO adjustments (Linux makes one at its first SEM_UNDO
   *  operation: kcmp compares them). */
  hasUndo(p: Process): boolean {
    return this.undo.has(p);
  }
  private total = 0;

  /** semget: returns the id. */
  get(p: Process, r: GetRequest, nsems: number): number {
    if (nsems < 0 || nsems > this.msl) sysError("EINVAL");
    const s = this.table.get(
      p,
      r,
      (o) => {
        if (nsems > o.nsems) sysError("EINVAL");
      },
      () => {
        if (nsems === 0) sysError("EINVAL");
        if (this.total + nsems > this.mns) sysError("ENOSPC");
        this.total += nsems;
        return new SemSet(r.key, p, r.mode, nsems);
      },
    );
    return s.perm.id;
  }

  /** semop/semtimedop: applies `ops` to set `id` atomically, waiting until they can be (until
   *  `deadline`, clock ns, if not null). */
  semop(t: Task, id: number, ops: SemOp[], deadline: number | null): number {
    if (ops.length < 1) sysError("EINVAL");
    if (ops.length > this.opm) sysError("E2BIG");
    const set = this.table.lookup(id);
    let alter = false;
    for (const o of ops) {
      if (o.num >= set.nsems) sysError("EFBIG");
      if (o.op !== 0) alter = true;
    }
    checkAccess(t.proc, set.perm, alter ? IPC_WRITE : IPC_READ);
    const a = this.attempt(set, t.proc, ops);
    if (a.ok) {
      if (alter) this.update(set);
      return 0;
    }
    if ("error" in a) sysError(a.error);
    if (ops[a.block].noWait) sysError("EAGAIN");
    if (deadline !== null && t.kernel.clock.now() >= deadline) sysError("EAGAIN");
    const w: Waiter = { proc: t.proc, ops, blocking: a.block, q: new WaitQueue(), outcome: null };
    set.pending.push(w);
    throw this.waiting(t, set, w, deadline);
  }

  /** The wait of `w` (queued on `set`) until its operations are done, the set goes (EIDRM) or
   *  the deadline passes (EAGAIN). */
  private waiting(t: Task, set: SemSet, w: Waiter, deadline: number | null): WouldBlock {
    return new WouldBlock([w.q], deadline, EINTR_ON_HANDLER, later(this, "waited", t, set, w, deadline), later(this, "waitInterrupted", set, w));
  }

  private waited(t: Task, set: SemSet, w: Waiter, deadline: number | null): number {
    if (w.outcome === "done") return 0;
    if (w.outcome !== null) return sysError(w.outcome);
    if (deadline !== null && t.kernel.clock.now() >= deadline) {
      forget(set, w);
      return sysError("EAGAIN");
    }
    throw this.waiting(t, set, w, deadline);
  }

  /** A signal after the operations were done for it does not undo them: the call succeeded. */
  private waitInterrupted(set: SemSet, w: Waiter): number | null {
    if (w.outcome === "done") return 0;
    forget(set, w);
    if (w.outcome !== null) sysError(w.outcome);
    return null;
  }

  /** Tries `ops` on `set` for `p`: applies them all (with their undo adjustments), or none. */
  private attempt(set: SemSet, p: Process, ops: SemOp[]): Attempt {
    const vals = set.sems.map((s) => s.val);
    const adj = ops.some((o) => o.undo) ? this.adjustments(p, set) : null;
    const newAdj = adj?.slice() ?? null;
    for (let k = 0; k < ops.length; k++) {
      const o = ops[k];
      const v = vals[o.num];
      if (o.op === 0) {
        if (v !== 0) return { ok: false, block: k };
        continue;
      }
      const r = v + o.op;
      if (r < 0) return { ok: false, block: k };
      if (r > SEMVMX) return { ok: false, error: "ERANGE" };
      if (o.undo && newAdj !== null) {
        const na = newAdj[o.num] - o.op;
        if (na < -SEMAEM - 1 || na > SEMAEM) return { ok: false, error: "ERANGE" };
        newAdj[o.num] = na;
      }
      vals[o.num] = r;
    }
    for (let k = 0; k < ops.length; k++) set.sems[ops[k].num].pid = p.pid;
    vals.forEach((v, k) => (set.sems[k].val = v));
    if (adj !== null && newAdj !== null) adj.set(newAdj);
    set.otime = nowSeconds();
    return { ok: true };
  }

  /** The set changed: completes the waiting operations that can proceed now, oldest first,
   *  until none more can, and wakes their callers. */
  private update(set: SemSet): void {
    for (let progress = true; progress; ) {
      progress = false;
      for (const w of [...set.pending]) {
        const a = this.attempt(set, w.proc, w.ops);
        if (!a.ok && "block" in a) {
          w.blocking = a.block;
          continue;
        }
        set.pending.splice(set.pending.indexOf(w), 1);
        w.outcome = a.ok ? "done" : a.error;
        w.q.notify();
        if (a.ok && w.ops.some((o) => o.op !== 0)) progress = true;
      }
    }
  }

  /** The process's adjustments for `set` (made on first use). */
  private adjustments(p: Process, set: SemSet): Int32Array {
    let m = this.undo.get(p);
    if (m === undefined) {
      m = new Map();
      this.undo.set(p, m);
    }
    let a = m.get(set);
    if (a === undefined) {
      a = new Int32Array(set.nsems);
      m.set(set, a);
    }
    return a;
  }

  /** The process ended: its adjustments are applied to the sets that still exist, each
   *  counter clamped to 0..SEMVMX, and waiters that can now proceed go on. */
  exit(p: Process): void {
    const m = this.undo.get(p);
    if (m === undefined) return;
    this.undo.delete(p);
    for (const [set, adj] of m) {
      if (set.perm.removed) continue;
      let changed = false;
      adj.forEach((d, k) => {
        if (d === 0) return;
        const c = set.sems[k];
        c.val = Math.max(0, Math.min(SEMVMX, c.val + d));
        c.pid = p.pid;
        changed = true;
      });
      if (changed) {
        set.otime = nowSeconds();
        this.update(set);
      }
    }
  }

  /** Resets every process's adjustments of counter `num` (all counters when null). */
  private clearAdjustments(set: SemSet, num: number | null): void {
    for (const m of this.undo.values()) {
      const a = m.get(set);
      if (a === undefined) continue;
      if (num === null) a.fill(0);
      else a[num] = 0;
    }
  }

  /** GETVAL, GETPID, GETNCNT, GETZCNT. */
  getOne(p: Process, set: SemSet, num: number, what: "val" | "pid" | "ncnt" | "zcnt"): number {
    checkAccess(p, set.perm, IPC_READ);
    if (num < 0 || num >= set.nsems) sysError("EINVAL");
    if (what === "val") return set.sems[num].val;
    if (what === "pid") return set.sems[num].pid;
    let n = 0;
    for (const w of set.pending) {
      const o = w.ops[w.blocking];
      if (o.num === num && (what === "zcnt" ? o.op === 0 : o.op < 0)) n++;
    }
    return n;
  }

  getAll(p: Process, set: SemSet): number[] {
    checkAccess(p, set.perm, IPC_READ);
    return set.sems.map((s) => s.val);
  }

  /** SETVAL. */
  setVal(p: Process, set: SemSet, num: number, val: number): void {
    if (num < 0 || num >= set.nsems) sysError("EINVAL");
    if (val < 0 || val > SEMVMX) sysError("ERANGE");
    checkAccess(p, set.perm, IPC_WRITE);
    this.clearAdjustments(set, num);
    set.sems[num].val = val;
    set.sems[num].pid = p.pid;
    set.ctime = nowSeconds();
    this.update(set);
  }

  /** SETALL. */
  setAll(p: Process, set: SemSet, vals: number[]): void {
    checkAccess(p, set.perm, IPC_WRITE);
    for (const v of vals) if (v < 0 || v > SEMVMX) sysError("ERANGE");
    this.clearAdjustments(set, null);
    vals.forEach((v, k) => {
      set.sems[k].val = v;
      set.sems[k].pid = p.pid;
    });
    set.ctime = nowSeconds();
    this.update(set);
  }

  stat(p: Process, set: SemSet, any: boolean): { perm: IpcPerm; otime: number; ctime: number; nsems: number } {
    if (!any) checkAccess(p, set.perm, IPC_READ);
    return { perm: set.perm, otime: set.otime, ctime: set.ctime, nsems: set.nsems };
  }

  setPerm(p: Process, set: SemSet, uid: number, gid: number, mode: number): void {
    checkOwner(p, set.perm);
    setPerm(set.perm, uid, gid, mode);
    set.ctime = nowSeconds();
  }

  /** IPC_RMID: the set goes at once; its waiters wake with EIDRM. */
  remove(p: Process, set: SemSet): void {
    checkOwner(p, set.perm);
    this.table.remove(set);
    this.total -= set.nsems;
    for (const w of set.pending.splice(0)) {
      w.outcome = "EIDRM";
      w.q.notify();
    }
  }

  /** SEM_INFO's figures: sets, and counters in all of them. */
  info(): { sets: number; sems: number } {
    return { sets: this.table.size, sems: this.total };
  }
}
