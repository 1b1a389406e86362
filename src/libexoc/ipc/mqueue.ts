// POSIX message queues (mq_open, mq_timedsend, mq_timedreceive, mq_notify, mq_getsetattr,
// mq_unlink) and the mqueue file system that holds them. As in Linux, the queues are the files
// of one file system instance per system: mq_open and mq_unlink work on it directly, and
// mounting type "mqueue" (at /dev/mqueue, conventionally) shows the same queues, where `ls`
// lists them, `cat` shows their state and `rm` unlinks them.
//
// A queue holds at most mq_maxmsg messages of at most mq_msgsize bytes each; receivers get the
// oldest message of the highest priority. A full queue makes senders wait, an empty one
// receivers (EAGAIN with O_NONBLOCK; ETIMEDOUT past an absolute timeout). As in Linux, a
// sender hands its message straight to the first waiting receiver, and a receiver that frees a
// slot moves the first waiting sender's message in, so waiters are served in arrival order.
// A queue descriptor is pollable: readable with messages queued, writable with room left.
//
// mq_notify registers one process to hear of a message arriving in an empty queue that no
// receiver is waiting on: a signal with the registered value (SIGEV_SIGNAL) or nothing
// (SIGEV_NONE), or a cookie written to a netlink socket (SIGEV_THREAD: glibc's helper thread
// reads it and runs the function); the registration is then removed.

import { WaitQueue } from "../../exokernel/wait.js";
import { WouldBlock, EINTR_ON_HANDLER, later } from "../blocking.js";
import { OpenFile, S_IFMT, S_IFDIR, S_IFREG, POLLIN, POLLRDNORM, POLLOUT, POLLWRNORM, type FileStat, type OpenMode } from "../file.js";
import { DT_DIR, DT_REG, type DirEntry } from "../dirfile.js";
import { sysError } from "../errors.js";
import { anonDev } from "../volumes/anondev.js";
import { credOf, modePermits, stickyForbids } from "../vfs/perm.js";
import { MAY_READ, MAY_WRITE, type FsCaller, type SetAttr, type Volume, type VolumeFigures, type VolumeNode } from "../volume.js";
import type { Process } from "../process.js";
import type { Task } from "../task.js";
import { capable, CAP_SYS_RESOURCE } from "../capability.js";
import type { UnixSocket } from "../socket.js";

export const MQUEUE_MAGIC = 0x19800202;
/** Priorities are below this. */
export const MQ_PRIO_MAX = 32768;
/** Limits of /proc/sys/fs/mqueue (Linux's defaults) and the hard ones root may go up to. */
export const MSG_MAX = 10, MSGSIZE_MAX = 8192, MSG_DEFAULT = 10, MSGSIZE_DEFAULT = 8192, QUEUES_MAX = 256;
export const HARD_MSGMAX = 65536, HARD_MSGSIZEMAX = 16 << 20;
/** The last byte of a SIGEV_THREAD cookie: a message came, or the registration went. */
const NOTIFY_WOKENUP = 1, NOTIFY_REMOVED = 2;

/** Sends a SIGEV_THREAD registration's cookie with its last byte set to `code`, and lets go of
 *  the socket. */
function sendCookie(th: { sock: UnixSocket; cookie: Uint8Array }, code: number): void {
  const c = th.cookie.slice();
  c[c.length - 1] = code;
  th.sock.fromKernel(c);
  th.sock.drop();
}

/** si_code of a queue's notification signal (SI_MESGQ). */
export const SI_MESGQ = -3;

function now(): bigint {
  return BigInt(Date.now()) * 1000000n;
}

export interface MqAttr {
  maxmsg: number;
  msgsize: number;
}

interface QueuedMessage {
  prio: number;
  data: Uint8Array;
}

/** How a registered process hears of a message: a signal with a value, or nothing. */
export interface MqNotification {
  owner: Process;
  /** SIGEV_THREAD: the netlink socket that gets the cookie (its 32 bytes, the last one set to
   *  NOTIFY_WOKENUP or NOTIFY_REMOVED), held while registered; glibc's helper thread reads it
   *  and runs the function. Null for SIGEV_SIGNAL and SIGEV_NONE. */
  thread: { sock: UnixSocket; cookie: Uint8Array } | null;
  /** The owner's descriptor table: closing any descriptor of the queue through it removes the
   *  registration (Linux's mqueue_flush_file, which compares the closing process). */
  table: object;
  signal: number;
  value: number;
}

interface Receiver {
  got: QueuedMessage | null;
  readonly q: WaitQueue;
}

interface Sender {
  msg: QueuedMessage;
  sent: boolean;
  readonly q: WaitQueue;
}

/** A queue: its messages, highest priority first and FIFO within one, and its waiters. */
export class Mqueue {
  readonly messages: QueuedMessage[] = [];
  bytes = 0;
  notification: MqNotification | null = null;
  readonly receivers: Receiver[] = [];
  readonly senders: Sender[] = [];
  /** Notified whenever messages come or go (poll). */
  readonly changed = new WaitQueue();

  constructor(readonly attr: MqAttr) {}

  get full(): boolean {
    return this.messages.length >= this.attr.maxmsg;
  }

  private insert(m: QueuedMessage): void {
    let k = this.messages.length;
    while (k > 0 && this.messages[k - 1].prio < m.prio) k--;
    this.messages.splice(k, 0, m);
    this.bytes += m.data.length;
  }

  /** Sends `m` (the queue has room or a receiver waits); `sender` is told of a notification. */
  put(m: QueuedMessage, sender: Process): void {
    const r = this.receivers.shift();
    if (r !== undefined) {
      r.got = m;
      r.q.notify();
    } else {
      this.insert(m);
      if (this.messages.length === 1) this.notify(sender);
    }
    this.changed.notify();
  }

  /** Takes the first message (there is one); a waiting sender's message takes its place. */
  take(): QueuedMessage {
    const m = this.messages.shift() as QueuedMessage; // callers check the queue is not empty
    this.bytes -= m.data.length;
    const s = this.senders.shift();
    if (s !== undefined) {
      this.insert(s.msg);
      s.sent = true;
      s.q.notify();
    }
    this.changed.notify();
    return m;
  }

  private notify(sender: Process): void {
    const n = this.notification;
    if (n === null) return;
    this.notification = null;
    if (n.thread !== null) {
      sendCookie(n.thread, NOTIFY_WOKENUP);
      return;
    }
    if (n.signal === 0 || n.owner.termination !== null) return;
    n.owner.signal(n.signal, { signal: n.signal, code: SI_MESGQ, addr: 0, pid: sender.pid, uid: sender.uid, trapno: 0, error: 0, value: n.value });
  }

  /** The registration goes without a message (unregistered, its owner's descriptor closed or
   *  its owner gone, replaced): a SIGEV_THREAD one tells its socket. */
  removeNotification(): void {
    const n = this.notification;
    if (n === null) return;
    this.notification = null;
    if (n.thread !== null) sendCookie(n.thread, NOTIFY_REMOVED);
  }

  /** What reading the queue's file shows. */
  status(): string {
    const n = this.notification;
    const pad = (v: number, w: number): string => String(v).padEnd(w);
    return `QSIZE:${pad(this.bytes, 10)} NOTIFY:${pad(n === null ? 0 : n.signal === 0 ? 1 : 0, 5)} SIGNO:${pad(n?.signal ?? 0, 5)} NOTIFY_PID:${pad(n?.owner.pid ?? 0, 6)}\n`;
  }
}

/** A file or the root directory of the mqueue file system. */
export class MqNode implements VolumeNode {
  atimeNs = now();
  mtimeNs = this.atimeNs;
  ctimeNs = this.atimeNs;
  nlink = 1;

  constructor(
    readonly ino: bigint,
    public mode: number,
    public uid: number,
    public gid: number,
    readonly queue: Mqueue | null,
  ) {}
}

function mn(n: VolumeNode): MqNode {
  return n as MqNode; // the VFS hands a volume only nodes it made
}

/** The file system of queues: a flat directory, sticky and open to all. */
export class MqueueFs implements Volume {
  /** /proc/sys/fs/mqueue's limits, which root may change. */
  readonly limits = { msgDefault: MSG_DEFAULT, msgMax: MSG_MAX, msgsizeDefault: MSGSIZE_DEFAULT, msgsizeMax: MSGSIZE_MAX, queuesMax: QUEUES_MAX };
  readonly fsType = "mqueue";
  readonly dev = anonDev();
  readOnly = false;
  private nextIno = 2n;
  readonly rootNode = new MqNode(1n, S_IFDIR | 0o1777, 0, 0, null);
  readonly entries = new Map<string, MqNode>();

  root(_who: FsCaller): VolumeNode {
    return this.rootNode;
  }

  lookup(dir: VolumeNode, name: Buffer): VolumeNode | null {
    if (dir !== this.rootNode) sysError("ENOTDIR");
    return this.entries.get(name.toString("latin1")) ?? null;
  }

  getattr(node: VolumeNode): FileStat {
    const n = mn(node);
    const size = n.queue === null ? 0 : 80; // Linux's FILENT_SIZE
    return {
      dev: this.dev, ino: n.ino, mode: n.mode, nlink: n === this.rootNode ? 2 : 1, uid: n.uid, gid: n.gid, rdev: 0n, size: BigInt(size),
      blksize: 4096, blocks: 0n, atimeNs: n.atimeNs, mtimeNs: n.mtimeNs, ctimeNs: n.ctimeNs,
    };
  }

  readlink(_n: VolumeNode): Buffer {
    return sysError("EINVAL");
  }

  readdir(_dir: VolumeNode): DirEntry[] {
    return [...this.entries].map(([name, n]) => ({ ino: n.ino, type: n.queue === null ? DT_DIR : DT_REG, name: Buffer.from(name, "latin1") }));
  }

  /** A new queue `name` (creating a file here makes one with the default attributes). */
  create(_dir: VolumeNode, name: Buffer, mode: number, _rdev: bigint, uid: number, gid: number, attr?: MqAttr): VolumeNode {
    if ((mode & S_IFMT) !== S_IFREG) sysError("EPERM");
    const key = name.toString("latin1");
    if (this.entries.has(key)) sysError("EEXIST");
    const n = new MqNode(this.nextIno++, S_IFREG | (mode & 0o777), uid, gid, new Mqueue(attr ?? { maxmsg: this.limits.msgDefault, msgsize: this.limits.msgsizeDefault }));
    this.entries.set(key, n);
    this.rootNode.mtimeNs = this.rootNode.ctimeNs = now();
    return n;
  }

  mkdir(): VolumeNode {
    return sysError("EPERM");
  }

  symlink(): VolumeNode {
    return sysError("EPERM");
  }

  link(): void {
    sysError("EPERM");
  }

  /** The queue goes with its name; descriptors still open keep using it. */
  unlink(_dir: VolumeNode, name: Buffer): void {
    if (!this.entries.delete(name.toString("latin1"))) sysError("ENOENT");
    this.rootNode.mtimeNs = this.rootNode.ctimeNs = now();
  }

  rmdir(): void {
    sysError("ENOTDIR");
  }

  rename(): void {
    sysError("EPERM");
  }

  setattr(node: VolumeNode, a: SetAttr): void {
    const n = mn(node);
    if (a.perm !== undefined) n.mode = (n.mode & S_IFMT) | (a.perm & 0o7777);
    if (a.uid !== undefined) n.uid = a.uid;
    if (a.gid !== undefined) n.gid = a.gid;
    if (a.atimeNs !== undefined) n.atimeNs = a.atimeNs;
    if (a.mtimeNs !== undefined) n.mtimeNs = a.mtimeNs;
    n.ctimeNs = now();
  }

  openData(node: VolumeNode, path: string, mode: OpenMode): OpenFile {
    const n = mn(node);
    if (n.queue === null) return sysError("EISDIR");
    return new MqFile(path, mode, this, n);
  }

  statfs(_n: VolumeNode): VolumeFigures {
    return { type: MQUEUE_MAGIC, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, namelen: 255 };
  }

  sync(): void {}

  /** The queue named `name` (mq_open's name without its leading slash), checked as Linux's
   *  lookup checks a name. */
  private checkName(name: Buffer): string {
    if (name.length === 0) sysError("ENOENT");
    if (name.length > 255) sysError("ENAMETOOLONG");
    const s = name.toString("latin1");
    if (s.includes("/") || s === "." || s === "..") sysError("EACCES");
    return s;
  }

  /** mq_open: opens (or with `create`, makes) queue `name` for `t`. */
  open(t: Task, name: Buffer, mode: OpenMode, o: { create: boolean; exclusive: boolean; perm: number; attr: MqAttr | null }): MqFile {
    const key = this.checkName(name);
    const c = credOf(t);
    let n = this.entries.get(key);
    if (n !== undefined) {
      if (o.create && o.exclusive) sysError("EEXIST");
      const want = (mode.read ? MAY_READ : 0) | (mode.write ? MAY_WRITE : 0);
      if (!modePermits(c, this.getattr(n), want)) sysError("EACCES");
    } else {
      if (!o.create) sysError("ENOENT");
      const priv = capable(t.proc, CAP_SYS_RESOURCE);
      const l = this.limits;
      const attr = o.attr ?? { maxmsg: Math.min(l.msgDefault, l.msgMax), msgsize: Math.min(l.msgsizeDefault, l.msgsizeMax) };
      if (attr.maxmsg <= 0 || attr.msgsize <= 0) sysError("EINVAL");
      if (priv ? attr.maxmsg > HARD_MSGMAX || attr.msgsize > HARD_MSGSIZEMAX : attr.maxmsg > l.msgMax || attr.msgsize > l.msgsizeMax) sysError("EINVAL");
      if (!priv && this.entries.size >= l.queuesMax) sysError("ENOSPC");
      n = mn(this.create(this.rootNode, name, S_IFREG | (o.perm & ~t.umask & 0o777), 0n, c.uid, c.gid, attr));
    }
    return new MqFile(`/${key}`, mode, this, n);
  }

  /** mq_unlink. */
  unlinkQueue(t: Task, name: Buffer): void {
    const key = this.checkName(name);
    const n = this.entries.get(key);
    if (n === undefined) sysError("ENOENT");
    if (stickyForbids(credOf(t), this.getattr(this.rootNode), this.getattr(n))) sysError("EPERM");
    this.unlink(this.rootNode, name);
  }
}

/** A queue descriptor: what mq_open returns, and what opening a file of the file system gives
 *  (read() then shows the queue's state). */
export class MqFile extends OpenFile {
  override splices(): boolean {
    return false;
  }

  constructor(
    path: string,
    mode: OpenMode,
    private readonly fs: MqueueFs,
    private readonly node: MqNode,
  ) {
    super(path, mode);
  }

  get queue(): Mqueue {
    return this.node.queue as Mqueue; // only queue nodes are opened
  }

  read(buf: Uint8Array): number {
    const text = Buffer.from(this.queue.status(), "latin1");
    if (this.offset >= text.length) return 0;
    const n = Math.min(buf.length, text.length - this.offset);
    buf.set(text.subarray(this.offset, this.offset + n));
    this.offset += n;
    return n;
  }

  write(_buf: Uint8Array): number {
    return sysError("EINVAL");
  }

  stat(): FileStat {
    return this.fs.getattr(this.node);
  }

  override poll(): number {
    const q = this.queue;
    return (q.messages.length > 0 ? POLLIN | POLLRDNORM : 0) | (!q.full ? POLLOUT | POLLWRNORM : 0);
  }

  override pollQueues(): WaitQueue[] {
    return [this.queue.changed];
  }

  override pollable(): boolean {
    return true;
  }

  /** The owner's registration goes when its descriptor does. */
  override release(): void {
    const q = this.queue;
    if (q.notification !== null && q.notification.owner.termination !== null) q.removeNotification();
  }

  /** A descriptor of the queue closed through the registered owner's table: the registration
   *  goes, whichever descriptor it was made through. */
  override flushed(table: object): void {
    const q = this.queue;
    if (q.notification !== null && q.notification.table === table) q.removeNotification();
  }

  /** mq_timedsend: `deadline` is clock ns or null. */
  send(t: Task, data: Uint8Array, prio: number, deadline: number | null): number {
    if (!this.mode.write) sysError("EBADF");
    const q = this.queue;
    if (data.length > q.attr.msgsize) sysError("EMSGSIZE");
    const msg: QueuedMessage = { prio, data };
    if (!q.full || q.receivers.length > 0) {
      q.put(msg, t.proc);
      this.touch();
      return 0;
    }
    if (this.mode.nonblock) sysError("EAGAIN");
    if (deadline !== null && t.kernel.clock.now() >= deadline) sysError("ETIMEDOUT");
    const s: Sender = { msg, sent: false, q: new WaitQueue() };
    q.senders.push(s);
    throw this.waiting(t, deadline, s, 0, 0);
  }

  /** mq_timedreceive: the message goes to guest memory at `ptr` (and its priority to
   *  `prioPtr`, unless 0); the result is its length. */
  receive(t: Task, size: number, deadline: number | null, ptr: number, prioPtr: number): number {
    if (!this.mode.read) sysError("EBADF");
    const q = this.queue;
    if (size < q.attr.msgsize) sysError("EMSGSIZE");
    if (q.messages.length > 0) {
      const m = q.take();
      this.touch();
      return this.deliver(t, m, ptr, prioPtr);
    }
    if (this.mode.nonblock) sysError("EAGAIN");
    if (deadline !== null && t.kernel.clock.now() >= deadline) sysError("ETIMEDOUT");
    const r: Receiver = { got: null, q: new WaitQueue() };
    q.receivers.push(r);
    throw this.waiting(t, deadline, r, ptr, prioPtr);
  }

  private deliver(t: Task, m: QueuedMessage, ptr: number, prioPtr: number): number {
    t.mem.write(ptr, m.data);
    if (prioPtr !== 0) t.mem.putU32(prioPtr, m.prio);
    return m.data.length;
  }

  /** The wait of sender or receiver `w` (registered on the queue): until it is done, a signal
   *  (EINTR) or the deadline (ETIMEDOUT). `ptr` and `prioPtr` are a receiver's. */
  private waiting(t: Task, deadline: number | null, w: Sender | Receiver, ptr: number, prioPtr: number): WouldBlock {
    return new WouldBlock([w.q], deadline, EINTR_ON_HANDLER, later(this, "waited", t, deadline, w, ptr, prioPtr), later(this, "waitInterrupted", t, w, ptr, prioPtr));
  }

  /** Whether `w`'s message was sent, or a message came for it. */
  private done(w: Sender | Receiver): boolean {
    return "sent" in w ? w.sent : w.got !== null;
  }

  /** The call's result once `w` is done: 0 for a sender, the message for a receiver. */
  private finish(t: Task, w: Sender | Receiver, ptr: number, prioPtr: number): number {
    if ("sent" in w) return 0;
    return this.deliver(t, w.got as QueuedMessage, ptr, prioPtr); // done() said it came
  }

  /** `w` stops waiting: it leaves the queue's waiters. */
  private forget(w: Sender | Receiver): void {
    if ("sent" in w) remove(this.queue.senders, w);
    else remove(this.queue.receivers, w);
  }

  private waited(t: Task, deadline: number | null, w: Sender | Receiver, ptr: number, prioPtr: number): number {
    if (this.done(w)) {
      this.touch();
      return this.finish(t, w, ptr, prioPtr);
    }
    if (deadline !== null && t.kernel.clock.now() >= deadline) {
      this.forget(w);
      return sysError("ETIMEDOUT");
    }
    throw this.waiting(t, deadline, w, ptr, prioPtr);
  }

  private waitInterrupted(t: Task, w: Sender | Receiver, ptr: number, prioPtr: number): number | null {
    if (this.done(w)) return this.finish(t, w, ptr, prioPtr);
    this.forget(w);
    return null;
  }

  private touch(): void {
    this.node.atimeNs = this.node.mtimeNs = this.node.ctimeNs = now();
  }

  /** mq_notify: registers `n` (null: removes the caller's registration). */
  notify(p: Process, n: MqNotification | null): void {
    const q = this.queue;
    const cur = q.notification;
    if (n === null) {
      if (cur !== null && cur.owner === p) q.removeNotification();
      return;
    }
    if (cur !== null && cur.owner.termination === null) sysError("EBUSY");
    q.removeNotification();
    if (n.thread !== null) n.thread.sock.refs++;
    q.notification = n;
  }

  /** mq_getsetattr's view: flags (O_NONBLOCK as a boolean), limits, messages queued. */
  attr(): { nonblock: boolean; maxmsg: number; msgsize: number; curmsgs: number } {
    const q = this.queue;
    return { nonblock: this.mode.nonblock, maxmsg: q.attr.maxmsg, msgsize: q.attr.msgsize, curmsgs: q.messages.length };
  }
}

function remove<T>(list: T[], x: T): void {
  const i = list.indexOf(x);
  if (i >= 0) list.splice(i, 1);
}
