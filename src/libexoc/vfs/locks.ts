// Advisory file locks, per file (its device and inode), for every volume.
//
// Record locks (fcntl F_SETLK/F_SETLKW/F_GETLK, POSIX): byte ranges locked for reading (shared)
// or writing (exclusive) by an owner. A POSIX lock's owner is the fd table of the process that
// set it: the process's threads share its locks, a child after fork has none of them, and
// closing any fd of the file releases all the owner's locks on it (POSIX's rule, however
// surprising). Open-description locks (F_OFD_*) belong to the open file description instead and
// go with its last close. An owner's ranges merge and split as it relocks; a request that meets
// another owner's conflicting lock fails with EAGAIN, or waits (F_SETLKW) until the file's locks
// change, unless the wait would close a cycle of owners waiting for each other (EDEADLK).
//
// Whole-file locks (flock): shared or exclusive, held by an open file description, released by
// LOCK_UN or its last close; changing a lock's kind releases it first, as Linux does.

import { WaitQueue } from "../../exokernel/wait.js";
import { SEEK_SET, SEEK_CUR, SEEK_END, type OpenFile } from "../file.js";
import { WouldBlock, RESTART_IF_SA, later } from "../blocking.js";
import { sysError } from "../errors.js";

export type LockKind = "read" | "write";

/** The byte range a lock request names: `start` from SEEK_SET, SEEK_CUR (the file offset) or
 *  SEEK_END, `len` bytes (0: to the end of any file; negative: the bytes before start).
 *  Returns [first, last] (last Infinity for len 0); EINVAL for a range before offset 0. */
export function lockRange(f: OpenFile, whence: number, start: number, len: number): [number, number] {
  const base = whence === SEEK_SET ? 0 : whence === SEEK_CUR ? f.offset : whence === SEEK_END ? Number(f.stat().size) : -1;
  if (base < 0) sysError("EINVAL");
  let s = base + start, e: number;
  if (len > 0) e = s + len - 1;
  else if (len === 0) e = Infinity;
  else {
    e = s - 1;
    s += len;
  }
  if (s < 0) sysError("EINVAL");
  return [s, e];
}

/** A byte range [start, end], end inclusive (Infinity: to the end of any file). */
export interface RecordLock {
  owner: object;
  /** Process id F_GETLK reports (-1 for open-description locks). */
  pid: number;
  kind: LockKind;
  start: number;
  end: number;
}

/** A lock as /proc/locks lists it: its file's key (ref.ts lockKey), kind, the process that
 *  holds it (-1 for an open file description's record lock), whether it is a flock, and the
 *  bytes it covers. */
export interface HeldLock {
  key: string;
  kind: LockKind;
  pid: number;
  flock: boolean;
  start: number;
  end: number;
}

export class FileLocks {
  records: RecordLock[] = [];
  readonly flocks = new Map<object, LockKind>();
  /** The process that took each flock (/proc/locks shows it). */
  readonly flockPids = new Map<object, number>();
  /** Notified whenever a lock of the file goes or shrinks (what waiters wait on). */
  readonly changed = new WaitQueue();

  get empty(): boolean {
    return this.records.length === 0 && this.flocks.size === 0;
  }
}

function overlaps(a: { start: number; end: number }, start: number, end: number): boolean {
  return a.start <= end && start <= a.end;
}

export class LockTable {
  private readonly files = new Map<string, FileLocks>();
  /** The files each owner holds record locks on. */
  private readonly held = new Map<object, Set<string>>();
  /** Owners waiting in F_SETLKW, and the owners they wait for. */
  private readonly waitsFor = new Map<object, Set<object>>();

  private file(key: string): FileLocks {
    let f = this.files.get(key);
    if (f === undefined) {
      f = new FileLocks();
      this.files.set(key, f);
    }
    return f;
  }

  private tidy(key: string, f: FileLocks): void {
    if (f.empty && f.changed.size === 0) this.files.delete(key);
  }

  /** The first lock of another owner that conflicts with `kind` over [start, end], or null
   *  (F_GETLK). */
  test(key: string, owner: object, kind: LockKind, start: number, end: number): RecordLock | null {
    const f = this.files.get(key);
    if (f === undefined) return null;
    return f.records.find((l) => l.owner !== owner && overlaps(l, start, end) && (kind === "write" || l.kind === "write")) ?? null;
  }

  /** Whether waiting for `blockers` would make `owner` wait for itself. */
  private deadlocks(owner: object, blockers: Iterable<object>): boolean {
    const seen = new Set<object>();
    const todo = [...blockers];
    while (todo.length > 0) {
      const o = todo.pop() as object; // the loop condition guarantees an element
      if (o === owner) return true;
      if (seen.has(o)) continue;
      seen.add(o);
      for (const next of this.waitsFor.get(o) ?? []) todo.push(next);
    }
    return false;
  }

  /**
   * F_SETLK/F_SETLKW: locks [start, end] of file `key` as `kind` for `owner`, or unlocks it
   * (kind null). A conflict fails with EAGAIN, or with `wait` throws WouldBlock (the call runs
   * again when the file's locks change); EDEADLK if that wait could never end. `detectDeadlock`
   * is off for open-description locks (Linux checks only POSIX ones).
   */
  set(key: string, owner: object, pid: number, kind: LockKind | null, start: number, end: number, wait: boolean, detectDeadlock = true): void {
    const f = this.file(key);
    if (kind !== null) {
      const blockers = f.records.filter((l) => l.owner !== owner && overlaps(l, start, end) && (kind === "write" || l.kind === "write"));
      if (blockers.length > 0) {
        this.tidy(key, f);
        if (!wait) sysError("EAGAIN");
        const owners = new Set(blockers.map((l) => l.owner));
        if (detectDeadlock && this.deadlocks(owner, owners)) {
          this.waitsFor.delete(owner);
          sysError("EDEADLK");
        }
        this.waitsFor.set(owner, owners);
        throw new WouldBlock([f.changed], null, RESTART_IF_SA, null, later(this, "stopWaiting", owner));
      }
    }
    this.waitsFor.delete(owner);
    // The owner's own ranges: the part in [start, end] goes, the rest stays.
    const kept: RecordLock[] = [];
    let shrank = false;
    for (const l of f.records) {
      if (l.owner !== owner || !overlaps(l, start, end)) {
        kept.push(l);
        continue;
      }
      shrank ||= kind === null || l.kind === "write" || l.start < start || l.end > end;
      if (l.start < start) kept.push({ ...l, end: start - 1 });
      if (l.end > end) kept.push({ ...l, start: end + 1 });
    }
    if (kind !== null) {
      // Merge with the owner's adjacent ranges of the same kind.
      let s = start, e = end;
      const merged = kept.filter((l) => {
        if (l.owner !== owner || l.kind !== kind || l.start > e + 1 || s > l.end + 1) return true;
        s = Math.min(s, l.start);
        e = Math.max(e, l.end);
        return false;
      });
      merged.push({ owner, pid, kind, start: s, end: e });
      f.records = merged;
    } else {
      f.records = kept;
    }
    f.records.sort((a, b) => a.start - b.start);
    const mine = f.records.some((l) => l.owner === owner);
    if (mine) {
      let keys = this.held.get(owner);
      if (keys === undefined) this.held.set(owner, (keys = new Set()));
      keys.add(key);
    } else {
      this.forgetHeld(owner, key);
    }
    if (shrank) f.changed.notify();
    this.tidy(key, f);
  }

  /** A signal ended `owner`'s wait for a lock: it waits for no one now. */
  private stopWaiting(owner: object): void {
    this.waitsFor.delete(owner);
  }

  private forgetHeld(owner: object, key: string): void {
    const keys = this.held.get(owner);
    if (keys === undefined) return;
    keys.delete(key);
    if (keys.size === 0) this.held.delete(owner);
  }

  /** Whether `owner` holds record locks on any file (closing an fd checks this first). */
  holdsAny(owner: object): boolean {
    return this.held.has(owner) || this.waitsFor.has(owner);
  }

  /** Releases every record lock of `owner` on file `key` (a close by the owner). */
  releaseOwner(key: string, owner: object): void {
    this.waitsFor.delete(owner);
    const f = this.files.get(key);
    this.forgetHeld(owner, key);
    if (f === undefined) return;
    const before = f.records.length;
    f.records = f.records.filter((l) => l.owner !== owner);
    if (f.records.length !== before) f.changed.notify();
    this.tidy(key, f);
  }

  /** flock: takes a shared or exclusive lock on the whole file for `holder` (an open file
   *  description), or releases it (null). A conflict fails with EAGAIN (`nonblock`) or waits.
   *  `pid`: the process taking it. */
  flock(key: string, holder: object, kind: LockKind | null, nonblock: boolean, pid = 0): void {
    const f = this.file(key);
    const had = f.flocks.get(holder);
    if (had === kind) return;
    if (had !== undefined) {
      f.flocks.delete(holder);
      f.flockPids.delete(holder);
      f.changed.notify();
    }
    if (kind !== null) {
      const conflict = [...f.flocks].some(([h, k]) => h !== holder && (kind === "write" || k === "write"));
      if (conflict) {
        this.tidy(key, f);
        if (nonblock) sysError("EAGAIN");
        throw new WouldBlock([f.changed], null, RESTART_IF_SA);
      }
      f.flocks.set(holder, kind);
      f.flockPids.set(holder, pid);
    }
    this.tidy(key, f);
  }

  /** Whether `holder` has a flock on file `key`. */
  hasFlock(key: string, holder: object): boolean {
    return this.files.get(key)?.flocks.has(holder) ?? false;
  }

  /** The locks of a file (for /proc/locks-like views and tests). */
  records(key: string): readonly RecordLock[] {
    return this.files.get(key)?.records ?? [];
  }

  /** Every lock held, file by file in the order their first lock was taken: record locks
   *  (pid -1 for an open description's), then flocks, each with its file's key. */
  list(): HeldLock[] {
    const out: HeldLock[] = [];
    for (const [key, f] of this.files) {
      for (const l of f.records) out.push({ key, kind: l.kind, pid: l.pid, flock: false, start: l.start, end: l.end });
      for (const [h, kind] of f.flocks) out.push({ key, kind, pid: f.flockPids.get(h) ?? 0, flock: true, start: 0, end: Infinity });
    }
    return out;
  }
}
