// System V message queues (msgget, msgsnd, msgrcv, msgctl). A queue holds typed messages in
// arrival order, up to msg_qbytes bytes (and as many messages). msgrcv takes the first message
// of the asked type: any type (0), exactly a type (> 0), any other type (> 0 with MSG_EXCEPT),
// or the lowest type not above |type| (< 0). A message longer than the receiver's buffer stays
// queued (E2BIG) unless MSG_NOERROR truncates it.
//
// Waiting goes both ways: a sender waits while its message does not fit, a receiver while no
// message matches (IPC_NOWAIT: EAGAIN and ENOMSG). As Linux does, a sender hands its message
// straight to the first waiting receiver it matches (one whose buffer is too small is woken
// with E2BIG instead), so a queued receiver is never overtaken by a later one. Removal wakes
// everyone with EIDRM; signals end waits with EINTR (these calls are never restarted).

import { WaitQueue } from "../../exokernel/wait.js";
import { WouldBlock, EINTR_ON_HANDLER, later } from "../blocking.js";
import { sysError, type ErrnoName } from "../errors.js";
import type { Task } from "../task.js";
import type { Process } from "../process.js";
import { IpcPerm, IpcTable, IPC_READ, IPC_WRITE, checkAccess, checkOwner, setPerm, nowSeconds, type GetRequest, type IpcObject } from "./ids.js";
import { capable, CAP_SYS_RESOURCE } from "../capability.js";

/** Limits (Linux's defaults): largest message, default queue size in bytes, most queues. */
export const MSGMAX = 8192, MSGMNB = 16384, MSGMNI = 32000;
/** struct msgbuf's mtype is a C long: 4 bytes on i386; the text follows it. */
export const MTYPE_SIZE = 4;

export interface Message {
  type: number;
  data: Uint8Array;
}

/** How msgrcv picks: the first of any type, of this type, of another type, or the lowest type
 *  up to this one. */
export type Selector = { mode: "any" } | { mode: "equal" | "notequal" | "lessequal"; type: number };

interface Receiver {
  proc: Process;
  sel: Selector;
  /** Largest message it takes (MSG_NOERROR: any). */
  max: number;
  readonly q: WaitQueue;
  got: Message | ErrnoName | null;
}

export class MsgQueue implements IpcObject {
  readonly perm: IpcPerm;
  readonly messages: Message[] = [];
  bytes = 0;
  qbytes = MSGMNB;
  stime = 0;
  rtime = 0;
  ctime = nowSeconds();
  lspid = 0;
  lrpid = 0;
  readonly receivers: Receiver[] = [];
  /** Notified when room frees up (or the queue goes). */
  readonly room = new WaitQueue();

  constructor(key: number, creator: Process, mode: number, qbytes: number) {
    this.perm = new IpcPerm(key, creator, mode);
    this.qbytes = qbytes;
  }
}

function matches(m: Message, s: Selector): boolean {
  switch (s.mode) {
    case "any":
      return true;
    case "equal":
      return m.type === s.type;
    case "notequal":
      return m.type !== s.type;
    case "lessequal":
      return m.type <= s.type;
  }
}

/** Copies `m` to the struct msgbuf at `out`: its type, then at most `max` bytes of text (how
 *  many is the result). */
function deliver(t: Task, m: Message, out: number, max: number): number {
  const n = Math.min(max, m.data.length);
  t.mem.putU32(out, m.type);
  t.mem.write(out + MTYPE_SIZE, m.data.subarray(0, n));
  return n;
}

/** The index of the message `s` picks, or -1. */
function pick(q: MsgQueue, s: Selector): number {
  if (s.mode !== "lessequal") return q.messages.findIndex((m) => matches(m, s));
  let best = -1;
  q.messages.forEach((m, k) => {
    if (m.type <= s.type && (best < 0 || m.type < q.messages[best].type)) best = k;
  });
  return best;
}

export class MessageQueues {
  readonly table = new IpcTable<MsgQueue>(MSGMNI);
  /** The largest message and a new queue's size (msgmax, msgmnb: sysctls). */
  max = MSGMAX;
  mnb = MSGMNB;
  /** Messages and bytes in all queues (MSG_INFO). */
  messages = 0;
  bytes = 0;

  get(p: Process, r: GetRequest): number {
    return this.table.get(p, r, () => {}, () => new MsgQueue(r.key, p, r.mode, this.mnb)).perm.id;
  }

  /** msgsnd: queues a message of `type` (>= 1) and bytes `data`. */
  send(t: Task, id: number, type: number, data: Uint8Array, noWait: boolean): number {
    const q = this.table.lookup(id);
    checkAccess(t.proc, q.perm, IPC_WRITE);
    return this.trySend(t, q, type, data, noWait);
  }

  /** Queues the message if it fits, else waits for room (and tries again). */
  private trySend(t: Task, q: MsgQueue, type: number, data: Uint8Array, noWait: boolean): number {
    if (q.perm.removed) sysError("EIDRM");
    if (q.bytes + data.length > q.qbytes || q.messages.length + 1 > q.qbytes) {
      if (noWait) sysError("EAGAIN");
      throw new WouldBlock([q.room], null, EINTR_ON_HANDLER, later(this, "trySend", t, q, type, data, noWait));
    }
    const m: Message = { type, data };
    q.lspid = t.pid;
    q.stime = nowSeconds();
    if (!this.handOver(q, m)) {
      q.messages.push(m);
      q.bytes += data.length;
      this.messages++;
      this.bytes += data.length;
    }
    return 0;
  }

  /** Gives `m` to the first waiting receiver that wants it (pipelined send); false if none. */
  private handOver(q: MsgQueue, m: Message): boolean {
    for (const r of [...q.receivers]) {
      if (!matches(m, r.sel)) continue;
      q.receivers.splice(q.receivers.indexOf(r), 1);
      if (m.data.length > r.max) {
        r.got = "E2BIG";
        r.q.notify();
        continue;
      }
      r.got = m;
      q.lrpid = r.proc.pid;
      q.rtime = nowSeconds();
      r.q.notify();
      return true;
    }
    return false;
  }

  /**
   * msgrcv: takes the message `sel` picks, at most `max` bytes of it (a longer one is E2BIG
   * unless `truncate`), waiting for one unless `noWait` (ENOMSG), and copies it to the caller's
   * struct msgbuf at `out`; the result is the bytes of text copied.
   */
  receive(t: Task, id: number, sel: Selector, max: number, flags: { noWait: boolean; truncate: boolean; copy: number | null }, out: number): number {
    const q = this.table.lookup(id);
    checkAccess(t.proc, q.perm, IPC_READ);
    if (flags.copy !== null) {
      // MSG_COPY: a copy of the message at that position, which stays queued.
      const m = q.messages[flags.copy];
      if (m === undefined) sysError("ENOMSG");
      if (m.data.length > max && !flags.truncate) sysError("E2BIG");
      return deliver(t, m, out, max);
    }
    const k = pick(q, sel);
    if (k >= 0) {
      const m = q.messages[k];
      if (m.data.length > max && !flags.truncate) sysError("E2BIG");
      q.messages.splice(k, 1);
      q.bytes -= m.data.length;
      this.messages--;
      this.bytes -= m.data.length;
      q.lrpid = t.pid;
      q.rtime = nowSeconds();
      q.room.notify();
      return deliver(t, m, out, max);
    }
    if (flags.noWait) sysError("ENOMSG");
    const r: Receiver = { proc: t.proc, sel, max: flags.truncate ? Infinity : max, q: new WaitQueue(), got: null };
    q.receivers.push(r);
    throw this.waiting(t, q, r, out, max);
  }

  /** The wait of receiver `r` (queued on `q`) for a message, which goes to `out`. */
  private waiting(t: Task, q: MsgQueue, r: Receiver, out: number, max: number): WouldBlock {
    return new WouldBlock([r.q], null, EINTR_ON_HANDLER, later(this, "waited", t, q, r, out, max), later(this, "waitInterrupted", t, q, r, out, max));
  }

  /** The result for `r` once something came for it: the message, or an error. */
  private received(t: Task, r: Receiver, out: number, max: number): number {
    const g = r.got as Message | ErrnoName; // only called once something came
    if (typeof g === "string") return sysError(g);
    return deliver(t, g, out, max);
  }

  private waited(t: Task, q: MsgQueue, r: Receiver, out: number, max: number): number {
    if (r.got !== null) return this.received(t, r, out, max);
    throw this.waiting(t, q, r, out, max);
  }

  private waitInterrupted(t: Task, q: MsgQueue, r: Receiver, out: number, max: number): number | null {
    if (r.got !== null) return this.received(t, r, out, max);
    const i = q.receivers.indexOf(r);
    if (i >= 0) q.receivers.splice(i, 1);
    return null;
  }

  stat(p: Process, q: MsgQueue, any: boolean): MsgQueue {
    if (!any) checkAccess(p, q.perm, IPC_READ);
    return q;
  }

  /** IPC_SET: owner, group, mode and the queue's size (above MSGMNB only for root). */
  set(p: Process, q: MsgQueue, uid: number, gid: number, mode: number, qbytes: number): void {
    checkOwner(p, q.perm);
    if (qbytes > this.mnb && !capable(p, CAP_SYS_RESOURCE)) sysError("EPERM");
    setPerm(q.perm, uid, gid, mode);
    q.qbytes = qbytes;
    q.ctime = nowSeconds();
    q.room.notify();
  }

  /** IPC_RMID: the queue and its messages go; waiters wake with EIDRM. */
  remove(p: Process, q: MsgQueue): void {
    checkOwner(p, q.perm);
    this.table.remove(q);
    this.messages -= q.messages.length;
    this.bytes -= q.bytes;
    q.messages.length = 0;
    for (const r of q.receivers.splice(0)) {
      r.got = "EIDRM";
      r.q.notify();
    }
    q.room.notify();
  }
}
