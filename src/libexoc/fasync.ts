// Signal-driven I/O (O_ASYNC, fcntl's F_SETOWN family and F_SETSIG): a description with O_ASYNC
// set and an owner (a process, a process group or a thread) sends the owner SIGIO, or the
// signal F_SETSIG chose, whenever it may have become readable or writable: it waits on the
// description's poll queues, as epoll does, and looks at its readiness each time one of them
// is notified. With F_SETSIG's signal, si_code says which (POLL_IN, POLL_OUT, POLL_HUP...).

import type { Waiter } from "../exokernel/wait.js";
import type { System } from "./system.js";
import type { OpenFile } from "./file.js";
import { POLLIN, POLLOUT, POLLERR, POLLHUP, POLLPRI, POLLRDNORM, POLLRDBAND, POLLWRNORM, POLLWRBAND, POLLMSG } from "./file.js";
import { SIGIO, SIGURG, SI_KERNEL, type SigInfo } from "./signal.js";
import { sysError } from "./errors.js";

export const F_OWNER_TID = 0, F_OWNER_PID = 1, F_OWNER_PGRP = 2;

/** si_code of a signal F_SETSIG chose: what the description became (POLL_MSG: dnotify's). */
const POLL_IN = 1, POLL_OUT = 2, POLL_ERR = 4, POLL_PRI = 5, POLL_HUP = 6;
export const POLL_MSG = 3;
/** si_band for each of them (Linux's band_table: poll bits). */
const BAND = [0, POLLIN | POLLRDNORM, POLLOUT | POLLWRNORM | POLLWRBAND, POLLIN | POLLRDNORM | POLLMSG, POLLERR, POLLPRI | POLLRDBAND, POLLHUP | POLLERR];

export interface Owner {
  type: number;
  id: number;
}

export class AsyncIo implements Waiter {
  owner: Owner | null = null;
  /** F_SETSIG's signal (0: SIGIO, with no detail). */
  sig = 0;
  /** O_ASYNC is set. */
  private on = false;
  /** The fd of the fcntl that set it up (si_fd). */
  fd = -1;

  constructor(
    private readonly f: OpenFile,
    private readonly sys: System,
  ) {}

  /** O_ASYNC set or cleared. */
  enable(on: boolean): void {
    if (on === this.on) return;
    this.on = on;
    for (const q of this.f.pollQueues()) {
      if (on) q.add(this);
      else q.remove(this);
    }
  }

  get enabled(): boolean {
    return this.on;
  }

  /** F_SETOWN/F_SETOWN_EX: ESRCH when nothing has that id (0: no owner). */
  setOwner(type: number, id: number): void {
    if (id === 0) {
      this.owner = null;
      return;
    }
    const found = type === F_OWNER_TID ? this.sys.tasks.has(id) : type === F_OWNER_PID ? this.sys.findProcess(id) !== undefined || this.sys.tasks.has(id) : this.sys.group(id).length > 0;
    if (!found) sysError("ESRCH");
    this.owner = { type, id };
  }

  wake(): void {
    if (!this.on) return;
    // (back on every queue before anything else: notify() took it off the one notified)
    for (const q of this.f.pollQueues()) q.add(this);
    const r = this.f.poll();
    if ((r & (POLLIN | POLLOUT | POLLERR | POLLHUP | POLLPRI)) === 0) return;
    this.send(r & POLLERR ? POLL_ERR : r & POLLHUP ? POLL_HUP : r & POLLPRI ? POLL_PRI : r & POLLIN ? POLL_IN : POLL_OUT);
  }

  /** TCP urgent data came: the owner gets SIGURG, with or without O_ASYNC (Linux's
   *  sk_send_sigurg). */
  urgent(): void {
    this.deliver({ signal: SIGURG, code: SI_KERNEL, addr: 0, pid: 0, uid: 0, trapno: 0, error: 0 });
  }

  /** Signals the owner that `reason` (POLL_IN...) happened: SIGIO with no detail (SI_KERNEL),
   *  or F_SETSIG's signal with the reason as si_code, its band and the fd. */
  send(reason: number): void {
    if (this.owner === null) return;
    const sig = this.sig === 0 ? SIGIO : this.sig;
    const info: SigInfo = { signal: sig, code: SI_KERNEL, addr: 0, pid: 0, uid: 0, trapno: 0, error: 0 };
    if (this.sig !== 0) {
      info.code = reason;
      info.poll = { band: BAND[reason] ?? 0, fd: this.fd };
    }
    this.deliver(info);
  }

  /** Sends `info` to the owner: a thread, a process, or each process of a group. */
  private deliver(info: SigInfo): void {
    const o = this.owner;
    if (o === null) return;
    if (o.type === F_OWNER_TID) this.sys.tasks.get(o.id)?.queueSignal(info);
    else if (o.type === F_OWNER_PID) (this.sys.findProcess(o.id) ?? this.sys.tasks.get(o.id)?.proc)?.signal(info.signal, info);
    else for (const p of this.sys.group(o.id)) p.signal(info.signal, { ...info });
  }
}
