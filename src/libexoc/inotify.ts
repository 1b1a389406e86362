// inotify: an instance's watches on files and the queue of their events (Linux's
// fs/notify/inotify). A read takes as many whole events as fit the buffer (struct inotify_event:
// wd, mask, cookie, len, then the name padded with NULs to a multiple of 16 bytes), EINVAL when
// the first does not; an empty queue waits, or EAGAIN when non-blocking. An event equal to the
// last one still queued is merged into it. A queue holding max_queued_events gets one
// in_q_overflow event (wd -1) and drops the rest until it is read.

import { WaitQueue } from "../exokernel/wait.js";
import { block } from "./blocking.js";
import { sysError } from "./errors.js";
import { OpenFile, WHOLE_READ_MAX, POLLIN, POLLRDNORM, type FileStat } from "./file.js";
import { anonStat, newAnonIno } from "./sigwait.js";
import { IN_Q_OVERFLOW, IN_MASK_ADD, IN_MASK_CREATE, IN_ALL_EVENTS, IN_EXCL_UNLINK, IN_ONESHOT, IN_IGNORED, type Notifier, type Watch, type Watcher } from "./vfs/notify.js";


interface Event {
  wd: number;
  mask: number;
  cookie: number;
  name: Buffer | null;
}

/** Bytes of an event on the wire: the header and the name, NUL-terminated and padded to 16. */
function sizeOf(e: Event): number {
  return 16 + (e.name === null ? 0 : (e.name.length + 16) & ~15);
}

export class Inotify extends OpenFile implements Watcher {
  override splices(): boolean {
    return false;
  }

  private readonly ino = newAnonIno();
  private readonly events: Event[] = [];
  private bytes = 0;
  /** Watches by descriptor; the next descriptor (they are not reused soon, as Linux's). */
  private readonly watches = new Map<number, Watch>();
  private nextWd = 1;
  /** An overflow event is queued. */
  private overflowed = false;
  readonly changed = new WaitQueue();

  constructor(
    private readonly notifier: Notifier,
    /** Whose instance limit it counts against. */
    private readonly uid: number,
    nonblock: boolean,
  ) {
    super("anon_inode:inotify", { read: true, write: false, append: false, nonblock });
    notifier.instancesOf.set(uid, (notifier.instancesOf.get(uid) ?? 0) + 1);
  }

  /** Adds a watch on the file `key` (device `dev`) or changes the one there (inotify_add_watch's
   *  rules: mask_create refuses an existing watch, mask_add adds to its mask); its descriptor. */
  watch(key: string, dev: bigint, mask: number, uid: number): number {
    const bits = mask & (IN_ALL_EVENTS | IN_EXCL_UNLINK | IN_ONESHOT);
    const mine = this.notifier.watchesOn(key).find((w) => w.owner === this);
    if (mine !== undefined) {
      if ((mask & IN_MASK_CREATE) !== 0) sysError("EEXIST");
      mine.mask = (mask & IN_MASK_ADD) !== 0 ? mine.mask | bits : bits;
      return mine.wd;
    }
    if ((this.notifier.watchesOf.get(uid) ?? 0) >= this.notifier.limits.maxUserWatches) sysError("ENOSPC");
    const w: Watch = { owner: this, wd: this.nextWd, key, dev, mask: bits, uid };
    this.nextWd = this.nextWd >= 0x7fffffff ? 1 : this.nextWd + 1;
    this.watches.set(w.wd, w);
    this.notifier.add(w);
    return w.wd;
  }

  /** inotify_rm_watch: the watch goes, and ignored is queued. */
  unwatch(wd: number): void {
    const w = this.watches.get(wd);
    if (w === undefined) return sysError("EINVAL");
    this.notifier.remove(w);
    this.watches.delete(wd);
    this.queue(wd, IN_IGNORED, 0, null);
  }

  queue(wd: number, mask: number, cookie: number, name: Buffer | null): void {
    let e: Event = { wd, mask, cookie, name };
    if (this.events.length >= this.notifier.limits.maxQueuedEvents) {
      // (one overflow event at most in the queue)
      if (this.overflowed) return;
      this.overflowed = true;
      e = { wd: -1, mask: IN_Q_OVERFLOW, cookie: 0, name: null };
    } else {
      const last = this.events[this.events.length - 1];
      if (last !== undefined && last.wd === wd && last.mask === mask && last.cookie === cookie && (last.name === null ? name === null : name !== null && last.name.equals(name))) return;
    }
    this.events.push(e);
    this.bytes += sizeOf(e);
    this.changed.notify();
  }

  dropped(w: Watch): void {
    this.watches.delete(w.wd);
  }

  read(buf: Uint8Array): number {
    if (this.events.length === 0) {
      if (this.mode.nonblock) sysError("EAGAIN");
      block([this.changed]);
    }
    if (sizeOf(this.events[0]) > buf.length) sysError("EINVAL");
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.length);
    let at = 0, taken = 0;
    for (const e of this.events) {
      const n = sizeOf(e);
      if (at + n > buf.length) break;
      dv.setInt32(at, e.wd, true);
      dv.setUint32(at + 4, e.mask >>> 0, true);
      dv.setUint32(at + 8, e.cookie >>> 0, true);
      dv.setUint32(at + 12, n - 16, true);
      buf.fill(0, at + 16, at + n);
      if (e.name !== null) buf.set(e.name, at + 16);
      at += n;
      this.bytes -= n;
      taken++;
      if (e.mask === IN_Q_OVERFLOW) this.overflowed = false;
    }
    this.events.splice(0, taken);
    return at;
  }

  write(_buf: Uint8Array): number {
    return sysError("EINVAL");
  }

  /** Whole reads: events are never split across the pages of the guest's buffer. */
  override wholeReadMax(): number {
    return WHOLE_READ_MAX;
  }

  override available(): number {
    return this.bytes;
  }

  stat(): FileStat {
    return anonStat(this.ino);
  }

  override poll(): number {
    return this.events.length > 0 ? POLLIN | POLLRDNORM : 0;
  }

  override pollQueues(): WaitQueue[] {
    return [this.changed];
  }

  override pollable(): boolean {
    return true;
  }

  /** Closed: its watches go, without events. */
  override release(): void {
    for (const w of this.watches.values()) this.notifier.remove(w);
    this.watches.clear();
    this.notifier.instancesOf.set(this.uid, (this.notifier.instancesOf.get(this.uid) ?? 1) - 1);
  }

  /** Its watches, for /proc/PID/fdinfo (descriptor, key, mask). */
  list(): Watch[] {
    return [...this.watches.values()];
  }
}
