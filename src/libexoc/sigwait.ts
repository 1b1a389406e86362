// Taking signals without a handler: sigtimedwait's and signalfd's shared rule (which pending
// signal a thread takes next from a set), the signalfd open file, and the pidfd open file.
//
// A thread takes from its own pending signals first, then its process's, the lowest-numbered
// signal of the set first; real-time signals of one number in the order they were sent. Both
// wait on the process's signal events, notified whenever any signal becomes pending there,
// blocked or not: the signals waited for are normally blocked (so no handler runs them), and
// a blocked signal never interrupts a wait by itself.

import type { WaitQueue } from "../exokernel/wait.js";
import { OpenFile, POLLIN, POLLRDNORM, POLLHUP, type FileStat } from "./file.js";
import { WouldBlock, RESTART_IF_SA, later } from "./blocking.js";
import { sysError } from "./errors.js";
import { inMask, type PendingSet, type SigInfo } from "./signal.js";
import type { Task } from "./task.js";
import type { Process } from "./process.js";

function lowestIn(set: PendingSet, lo: number, hi: number): number {
  let best = 0;
  for (const sig of set.keys()) if (inMask(sig, lo, hi) && (best === 0 || sig < best)) best = sig;
  return best;
}

/** The signal of (lo, hi) thread `t` would take next, 0 if none is pending. */
export function pendingIn(t: Task, lo: number, hi: number): number {
  return lowestIn(t.sig.pending, lo, hi) || lowestIn(t.proc.sigPending, lo, hi);
}

/** Takes the next pending signal of (lo, hi) for thread `t`, or null. */
export function takeSignal(t: Task, lo: number, hi: number): SigInfo | null {
  const own = lowestIn(t.sig.pending, lo, hi);
  if (own !== 0) return t.sig.pending.take(own) ?? null;
  const shared = lowestIn(t.proc.sigPending, lo, hi);
  return shared !== 0 ? t.proc.sigPending.take(shared) ?? null : null;
}

/** Signals queued for a process and its threads (held to RLIMIT_SIGPENDING). */
export function queuedSignals(p: Process): number {
  let n = p.sigPending.queued;
  for (const t of p.threads) n += t.sig.pending.queued;
  return n;
}

let nextAnonIno = 1n;

/** An inode number for an open file that is no file (unique in the thread). */
export function newAnonIno(): bigint {
  return nextAnonIno++;
}

/** An open file that is no file: signalfd, pidfd, eventfd (Linux's anonymous inodes). */
export function anonStat(ino: bigint): FileStat {
  return { dev: 0xdn, ino, mode: 0o600, nlink: 1, uid: 0, gid: 0, rdev: 0n, size: 0n, blksize: 4096, blocks: 0n, atimeNs: 0n, mtimeNs: 0n, ctimeNs: 0n };
}

/**
 * signalfd: reading takes pending signals of its mask as fixed-size records (the ABI layer
 * formats them). A read takes the reading thread's signals; poll and the plain read() path,
 * which do not know the caller, look at the thread that made the descriptor (or, once it has
 * ended, its process's first thread).
 */
export class SignalFd extends OpenFile {
  override splices(): boolean {
    return false;
  }

  private readonly ino = nextAnonIno++;

  constructor(
    private readonly owner: Task,
    public maskLo: number,
    public maskHi: number,
    nonblock: boolean,
    /** Size of one record and how to write one. */
    readonly recordSize: number,
    readonly format: (info: SigInfo, into: Uint8Array) => void,
  ) {
    super("anon_inode:[signalfd]", { read: true, write: true, append: false, nonblock });
  }

  /** The thread whose signals poll() looks at. */
  private get reader(): Task | null {
    return this.owner.alive ? this.owner : this.owner.proc.leader;
  }

  /** Reads for thread `t`: as many whole records as fit in `buf` and are pending; waits for
   *  one (or EAGAIN) when none is; EINVAL if not even one record fits. */
  readFor(t: Task, buf: Uint8Array): number {
    const size = this.recordSize;
    if (buf.length < size) sysError("EINVAL");
    let n = 0;
    while (n + size <= buf.length) {
      const info = takeSignal(t, this.maskLo, this.maskHi);
      if (info === null) break;
      this.format(info, buf.subarray(n, n + size));
      n += size;
    }
    if (n > 0) return n;
    if (this.mode.nonblock) sysError("EAGAIN");
    throw new WouldBlock([t.proc.sigEvents], null, RESTART_IF_SA, later(this, "readFor", t, buf));
  }

  read(buf: Uint8Array): number {
    const t = this.reader;
    if (t === null) return sysError("EAGAIN");
    return this.readFor(t, buf);
  }

  write(_buf: Uint8Array): number {
    return sysError("EINVAL");
  }

  stat(): FileStat {
    return anonStat(this.ino);
  }

  override poll(): number {
    const t = this.reader;
    return t !== null && pendingIn(t, this.maskLo, this.maskHi) !== 0 ? POLLIN | POLLRDNORM : 0;
  }

  override pollQueues(): WaitQueue[] {
    return [this.owner.proc.sigEvents];
  }

  override pollable(): boolean {
    return true;
  }
}

/** A pidfd: names a process; readable (poll) once it has ended, hung up once it is reaped. */
export class PidFd extends OpenFile {
  override splices(): boolean {
    return false;
  }

  private readonly ino = nextAnonIno++;

  constructor(
    readonly proc: Process,
    nonblock: boolean,
  ) {
    super("anon_inode:[pidfd]", { read: true, write: true, append: false, nonblock });
  }

  read(_buf: Uint8Array): number {
    return sysError("EINVAL");
  }

  write(_buf: Uint8Array): number {
    return sysError("EINVAL");
  }

  stat(): FileStat {
    return anonStat(this.ino);
  }

  override poll(): number {
    if (this.proc.reaped) return POLLIN | POLLRDNORM | POLLHUP;
    return this.proc.termination !== null ? POLLIN | POLLRDNORM : 0;
  }

  override pollQueues(): WaitQueue[] {
    return [this.proc.exitEvents];
  }

  override pollable(): boolean {
    return true;
  }
}
