// File leases (fcntl's F_SETLEASE, Linux's fs/locks.c leases): the holder of a read lease is told
// (SIGIO, or F_SETSIG's signal, si_code POLL_MSG) before another description opens the file for
// writing, the holder of a write lease before any other open; that open waits until the holder
// lets the lease go (or downgrades a write lease to a read one, for an open to read), or until
// fs.lease-break-time seconds have passed, when the lease is taken away. With O_NONBLOCK the open
// fails with EWOULDBLOCK instead of waiting (the holder is told all the same).

import { WaitQueue } from "../../exokernel/wait.js";
import { WouldBlock, RESTART_IF_SA } from "../blocking.js";
import { sysError } from "../errors.js";
import type { OpenFile } from "../file.js";

export const F_RDLCK = 0, F_WRLCK = 1, F_UNLCK = 2;

/** One description's lease on a file. */
export class Lease {
  /** The type a break asked for (F_RDLCK: a downgrade, F_UNLCK: removal), or null. */
  breakingTo: number | null = null;
  /** When a break that is not answered takes effect anyway (clock ns). */
  deadline = 0;

  constructor(
    readonly f: OpenFile,
    readonly key: string,
    public type: number,
    /** Tells the holder of a break (its description's owner: SIGIO or F_SETSIG's signal). */
    readonly notify: () => void,
  ) {}
}

export class LeaseTable {
  private readonly byKey = new Map<string, Lease[]>();
  /** Open descriptions of each regular file, and those of them open for writing. */
  private readonly opens = new Map<string, number>();
  private readonly writes = new Map<string, number>();
  /** Notified when a lease goes or changes (an open waiting for a break looks again). */
  readonly changed = new WaitQueue();
  /** fs.lease-break-time, in seconds (the system's sysctl: System.newVfs). */
  settings = { breakTime: 45 };
  /** The clock breaks are timed on (ns; the system's: System.newVfs). */
  now: () => number = () => Math.round(performance.now() * 1e6);

  /** A description of file `key` opened (`delta` 1) or released (-1), for writing or not. */
  opened(key: string, write: boolean, delta: number): void {
    bump(this.opens, key, delta);
    if (write) bump(this.writes, key, delta);
  }

  /** The lease `f` holds, if any (what is past its break time is settled first). */
  of(f: OpenFile, key: string): Lease | undefined {
    this.expire(key);
    return this.byKey.get(key)?.find((l) => l.f === f);
  }

  /** F_GETLEASE: the type of `f`'s lease as it will be once a break under way is done. */
  type(f: OpenFile, key: string): number {
    const l = this.of(f, key);
    return l === undefined ? F_UNLCK : (l.breakingTo ?? l.type);
  }

  /** F_SETLEASE with F_RDLCK or F_WRLCK on `f` (open for writing: `writer`), as Linux's
   *  generic_add_lease checks it: EAGAIN for a write lease where another description has the
   *  file open or holds a lease, for a read lease where the file is open for writing, or
   *  where another lease is being broken. */
  set(f: OpenFile, key: string, type: number, writer: boolean, notify: () => void): void {
    this.expire(key);
    const list = this.byKey.get(key) ?? [];
    const mine = list.find((l) => l.f === f);
    for (const l of list) {
      if (l === mine) continue;
      if (type === F_WRLCK || l.breakingTo === F_UNLCK) sysError("EAGAIN");
    }
    // (an open for writing waiting for a break counts as open for writing, as Linux has it open
    // before it breaks the leases: a holder cannot downgrade to a read lease then)
    if (type === F_RDLCK && ((this.writes.get(key) ?? 0) > 0 || list.some((l) => l.breakingTo === F_UNLCK))) sysError("EAGAIN");
    if (type === F_WRLCK && ((this.opens.get(key) ?? 0) !== 1 || (this.writes.get(key) ?? 0) !== (writer ? 1 : 0))) sysError("EAGAIN");
    if (mine !== undefined) {
      mine.type = type;
      // (a downgrade a break asked for answers it)
      if (mine.breakingTo !== null && type <= mine.breakingTo) mine.breakingTo = null;
    } else {
      list.push(new Lease(f, key, type, notify));
      this.byKey.set(key, list);
    }
    this.changed.notify();
  }

  /** F_SETLEASE F_UNLCK, or the description's release: its lease goes. */
  remove(f: OpenFile, key: string): void {
    const list = this.byKey.get(key);
    if (list === undefined) return;
    const rest = list.filter((l) => l.f !== f);
    if (rest.length === list.length) return;
    if (rest.length > 0) this.byKey.set(key, rest);
    else this.byKey.delete(key);
    this.changed.notify();
  }

  /** An open of file `key` (for writing: `write`) by a description not yet made: breaks the
   *  leases it conflicts with (each holder told once), then fails with EWOULDBLOCK (`nonblock`)
   *  or waits while any conflicts. */
  breakFor(key: string, write: boolean, nonblock: boolean): void {
    this.expire(key);
    const list = this.byKey.get(key);
    if (list === undefined) return;
    const conflicting = list.filter((l) => write || l.type === F_WRLCK);
    if (conflicting.length === 0) return;
    const deadline = this.now() + this.settings.breakTime * 1e9;
    for (const l of conflicting) {
      const target = write ? F_UNLCK : F_RDLCK;
      if (l.breakingTo !== null && l.breakingTo <= target) continue;
      l.breakingTo = target;
      l.deadline = deadline;
      l.notify();
    }
    if (nonblock) sysError("EAGAIN");
    // (the open is made again when the wait ends: it goes on if nothing conflicts any more)
    const first = Math.min(...conflicting.map((l) => l.deadline));
    throw new WouldBlock([this.changed], first, RESTART_IF_SA);
  }

  /** Breaks past their deadline take effect: a downgrade makes a read lease, a removal none. */
  private expire(key: string): void {
    const list = this.byKey.get(key);
    if (list === undefined) return;
    const now = this.now();
    let gone = false;
    for (const l of list) {
      if (l.breakingTo === null || now < l.deadline) continue;
      if (l.breakingTo === F_RDLCK) {
        l.type = F_RDLCK;
        l.breakingTo = null;
      } else {
        l.type = F_UNLCK;
        gone = true;
      }
    }
    if (!gone) return;
    const rest = list.filter((l) => l.type !== F_UNLCK);
    if (rest.length > 0) this.byKey.set(key, rest);
    else this.byKey.delete(key);
    this.changed.notify();
  }
}

function bump(m: Map<string, number>, key: string, delta: number): void {
  const n = (m.get(key) ?? 0) + delta;
  if (n > 0) m.set(key, n);
  else m.delete(key);
}
