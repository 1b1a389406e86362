// epoll: an open file holding an interest list of other open files. Level-triggered entries
// are reported while ready; edge-triggered ones (EPOLLET) once per change, which a waiter on
// the file's queues records; EPOLLONESHOT entries are disarmed after one report until
// EPOLL_CTL_MOD re-arms them. An entry goes when its file description is closed for good.

import { WaitQueue, type Waiter } from "../exokernel/wait.js";
import { sysError } from "./errors.js";
import { OpenFile, POLLIN, POLLRDNORM, POLLERR, POLLHUP, type FileStat } from "./file.js";

/** epoll flags above the event bits (sys/epoll.h). */
export const EPOLLEXCLUSIVE = 1 << 28, EPOLLWAKEUP = 1 << 29, EPOLLONESHOT = 1 << 30, EPOLLET = 1 << 31;

export class Interest implements Waiter {
  /** Something happened on the file since the last report (for EPOLLET). */
  fired = true;
  armed = true;

  constructor(
    readonly owner: EpollFile,
    readonly fd: number,
    readonly file: OpenFile,
    public events: number,
    /** The 64-bit user data, as two words. */
    public dataLo: number,
    public dataHi: number,
  ) {}

  subscribe(): void {
    for (const q of this.file.pollQueues()) q.add(this);
  }

  unsubscribe(): void {
    for (const q of this.file.pollQueues()) q.remove(this);
  }

  /** EPOLLEXCLUSIVE: of the instances watching a file so, a change wakes one that has a waiter. */
  get exclusive(): boolean {
    return (this.events & EPOLLEXCLUSIVE) !== 0;
  }

  /** One of the file's queues was notified: remember it, stay subscribed, wake epoll waiters.
   *  An exclusive entry takes the notification only if someone waits on its instance (Linux's
   *  ep_poll_callback). */
  wake(q: WaitQueue): boolean {
    this.fired = true;
    q.add(this);
    return this.owner.changed.notify() > 0;
  }

  /** Whether the file is ready for the entry's events now: an edge-triggered entry added or
   *  changed then reports that once, as Linux's ep_insert and ep_modify queue it. */
  readyNow(): boolean {
    return (this.file.poll() & (this.events | POLLERR | POLLHUP)) !== 0;
  }

  /** The events to report now (0: none), updating the edge and one-shot state. */
  take(): number {
    if (!this.armed) return 0;
    const ev = this.file.poll() & (this.events | POLLERR | POLLHUP);
    if (ev === 0) return 0;
    if (this.events & EPOLLET) {
      if (!this.fired) return 0;
      this.fired = false;
    }
    if (this.events & EPOLLONESHOT) this.armed = false;
    return ev;
  }
}

export interface EpollEvent {
  events: number;
  dataLo: number;
  dataHi: number;
}

let nextEpollIno = 1n;

/** Deepest nesting of epoll instances Linux allows (EP_MAX_NESTS). */
const EP_MAX_NESTS = 4;

export class EpollFile extends OpenFile {
  override splices(): boolean {
    return false;
  }

  private readonly interests = new Map<string, Interest>();
  /** Notified when a watched file may have become ready. */
  readonly changed = new WaitQueue();
  private readonly ino = nextEpollIno++;

  constructor() {
    super("anon_inode:[eventpoll]", { read: true, write: true, append: false, nonblock: false });
  }

  private key(fd: number, file: OpenFile): Interest | undefined {
    const i = this.interests.get(String(fd));
    return i !== undefined && i.file === file ? i : undefined;
  }

  /** EPOLL_CTL_ADD */
  add(fd: number, file: OpenFile, events: number, dataLo: number, dataHi: number): void {
    if (file === this) sysError("EINVAL");
    if (!file.pollable()) sysError("EPERM");
    if (this.key(fd, file) !== undefined) sysError("EEXIST");
    // An epoll instance inside another: no cycle, and at most EP_MAX_NESTS levels from the
    // top of any chain through this one to the bottom of any through `file` (ep_loop_check).
    if (file instanceof EpollFile && file.below(this, 0) + 1 + this.above(0) > EP_MAX_NESTS) sysError("ELOOP");
    const i = new Interest(this, fd, file, events, dataLo, dataHi);
    i.fired = i.readyNow();
    this.interests.set(String(fd), i);
    if (file instanceof EpollFile) file.parents.add(this);
    i.subscribe();
  }

  /** Instances that watch this one. */
  private readonly parents = new Set<EpollFile>();

  /** How far down the epoll instances this one watches go (from `depth`): Infinity when they
   *  reach `inserting` (a cycle). */
  private below(inserting: EpollFile, depth: number): number {
    let d = depth;
    for (const i of this.interests.values()) {
      if (!(i.file instanceof EpollFile)) continue;
      if (i.file === inserting) return Infinity;
      d = Math.max(d, i.file.below(inserting, depth + 1));
    }
    return d;
  }

  /** How far up the instances watching this one go (from `depth`). */
  private above(depth: number): number {
    let d = depth;
    for (const p of this.parents) d = Math.max(d, p.above(depth + 1));
    return d;
  }

  /** EPOLL_CTL_MOD: new events and data; a one-shot entry is armed again. */
  modify(fd: number, file: OpenFile, events: number, dataLo: number, dataHi: number): void {
    const i = this.key(fd, file);
    if (i === undefined) sysError("ENOENT");
    if ((events & EPOLLEXCLUSIVE) !== 0 || (i.events & EPOLLEXCLUSIVE) !== 0) sysError("EINVAL");
    i.events = events;
    i.dataLo = dataLo;
    i.dataHi = dataHi;
    i.armed = true;
    i.fired = i.readyNow();
  }

  /** EPOLL_CTL_DEL */
  remove(fd: number, file: OpenFile): void {
    const i = this.key(fd, file);
    if (i === undefined) sysError("ENOENT");
    i.unsubscribe();
    this.interests.delete(String(fd));
    if (file instanceof EpollFile) file.parents.delete(this);
  }

  /** Up to `max` ready entries; entries whose file was closed for good are dropped first. The
   *  entries reported go to the back of the order, as Linux puts a level-triggered entry back
   *  at the tail of its ready list: with more ready than `max`, successive waits take turns
   *  among them instead of reporting the same first ones each time. */
  collect(max: number): EpollEvent[] {
    const out: EpollEvent[] = [];
    const reported: string[] = [];
    for (const [k, i] of this.interests) {
      if (i.file.refs <= 0) {
        i.unsubscribe();
        this.interests.delete(k);
        continue;
      }
      if (out.length >= max) continue;
      const ev = i.take();
      if (ev !== 0) {
        out.push({ events: ev, dataLo: i.dataLo, dataHi: i.dataHi });
        reported.push(k);
      }
    }
    for (const k of reported) {
      const i = this.interests.get(k);
      if (i === undefined) continue;
      this.interests.delete(k);
      this.interests.set(k, i);
    }
    return out;
  }

  /** Queues to wait on for a change: the watched files' and this instance's own. */
  waitQueues(): WaitQueue[] {
    return [this.changed];
  }

  read(_buf: Uint8Array): number {
    return sysError("EINVAL");
  }

  write(_buf: Uint8Array): number {
    return sysError("EINVAL");
  }

  stat(): FileStat {
    return { dev: 0xdn, ino: this.ino, mode: 0o600, nlink: 1, uid: 0, gid: 0, rdev: 0n, size: 0n, blksize: 4096, blocks: 0n, atimeNs: 0n, mtimeNs: 0n, ctimeNs: 0n };
  }

  /** An epoll instance is readable while some entry is ready (without consuming edges). */
  override poll(): number {
    for (const i of this.interests.values()) {
      if (!i.armed || i.file.refs <= 0) continue;
      const ev = i.file.poll() & (i.events | POLLERR | POLLHUP);
      if (ev !== 0 && (!(i.events & EPOLLET) || i.fired)) return POLLIN | POLLRDNORM;
    }
    return 0;
  }

  override pollQueues(): WaitQueue[] {
    return [this.changed];
  }

  override pollable(): boolean {
    return true;
  }

  override release(): void {
    for (const i of this.interests.values()) {
      i.unsubscribe();
      if (i.file instanceof EpollFile) i.file.parents.delete(this);
    }
    this.interests.clear();
    for (const p of this.parents) p.forget(this);
    this.parents.clear();
  }

  /** A watched instance was closed for good: its entry goes. */
  private forget(ep: EpollFile): void {
    for (const [k, i] of this.interests) {
      if (i.file !== ep) continue;
      i.unsubscribe();
      this.interests.delete(k);
    }
  }
}
