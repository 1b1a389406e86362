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

  /** One of the file's queues was notified: remember it, stay subscribed, wake epoll waiters. */
  wake(q: WaitQueue): void {
    this.fired = true;
    q.add(this);
    this.owner.changed.notify();
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

export class EpollFile extends OpenFile {
  private readonly interests = new Map<string, Interest>();
  /** Notified when a watched file may have become ready. */
  readonly changed = new WaitQueue();
  private readonly ino = nextEpollIno++;

  constructor() {
    super("anon_inode:[eventpoll]", { read: true, write: false, append: false, nonblock: false });
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
    const i = new Interest(this, fd, file, events, dataLo, dataHi);
    this.interests.set(String(fd), i);
    i.subscribe();
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
    i.fired = true;
  }

  /** EPOLL_CTL_DEL */
  remove(fd: number, file: OpenFile): void {
    const i = this.key(fd, file);
    if (i === undefined) sysError("ENOENT");
    i.unsubscribe();
    this.interests.delete(String(fd));
  }

  /** Up to `max` ready entries; entries whose file was closed for good are dropped first. */
  collect(max: number): EpollEvent[] {
    const out: EpollEvent[] = [];
    for (const [k, i] of this.interests) {
      if (i.file.refs <= 0) {
        i.unsubscribe();
        this.interests.delete(k);
        continue;
      }
      if (out.length >= max) continue;
      const ev = i.take();
      if (ev !== 0) out.push({ events: ev, dataLo: i.dataLo, dataHi: i.dataHi });
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
    for (const i of this.interests.values()) i.unsubscribe();
    this.interests.clear();
  }
}
