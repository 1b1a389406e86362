// POSIX message queue system calls: mq_open, mq_unlink, mq_timedsend and mq_timedreceive (with
// 32- and 64-bit timeouts, absolute on CLOCK_REALTIME), mq_notify and mq_getsetattr. glibc's
// mq_send/mq_receive are the timed calls without a timeout. The queues are libexoc/ipc/mqueue.ts.

import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import { sysError } from "../../libexoc/errors.js";
import { MqFile, MQ_PRIO_MAX, type MqAttr, type MqNotification } from "../../libexoc/ipc/mqueue.js";
import { NSIG } from "../../libexoc/signal.js";
import { Struct } from "../abi/structs.js";
import { O_ACCMODE, O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_NONBLOCK, O_CLOEXEC } from "../abi/fcntl.js";
import { readTimespec } from "./time.js";
import { realtimeNs } from "../../libexoc/time.js";
import { UnixSocket } from "../../libexoc/socket.js";
import { AF_NETLINK } from "../../libexoc/netlink.js";

/** struct mq_attr: four longs (flags, maxmsg, msgsize, curmsgs) and four reserved. */
const MQ_ATTR_SIZE = 32;
/** sigev_notify values and the size of struct sigevent. */
const SIGEV_SIGNAL = 0, SIGEV_NONE = 1, SIGEV_THREAD = 2;
const SIGEVENT_SIZE = 64;
/** A SIGEV_THREAD registration's cookie. */
const NOTIFY_COOKIE_LEN = 32;

function queueOf(t: Task, fd: number): MqFile {
  const f = t.fds.get(fd);
  if (!(f instanceof MqFile)) sysError("EBADF");
  return f;
}

export const mqOpen: Sys = (t, namePtr, oflag, mode, attrPtr) => {
  const name = t.mem.cstring(namePtr, 4096);
  const acc = oflag & O_ACCMODE;
  if (acc !== O_RDONLY && acc !== O_WRONLY && acc !== O_RDWR) sysError("EINVAL");
  let attr: MqAttr | null = null;
  if ((oflag & O_CREAT) !== 0 && attrPtr !== 0) {
    const b = t.mem.read(attrPtr, MQ_ATTR_SIZE);
    const dv = new DataView(b.buffer);
    attr = { maxmsg: dv.getInt32(4, true), msgsize: dv.getInt32(8, true) };
  }
  t.fds.needFree();
  const f = t.sys.ipc.mqueue.open(t, name, { read: acc !== O_WRONLY, write: acc !== O_RDONLY, append: false, nonblock: (oflag & O_NONBLOCK) !== 0 }, {
    create: (oflag & O_CREAT) !== 0, exclusive: (oflag & O_EXCL) !== 0, perm: mode & 0o7777, attr,
  });
  return t.fds.add(f, (oflag & O_CLOEXEC) !== 0);
};

export const mqUnlink: Sys = (t, namePtr) => {
  t.sys.ipc.mqueue.unlinkQueue(t, t.mem.cstring(namePtr, 4096));
  return 0;
};

/** The exokernel deadline of an absolute CLOCK_REALTIME timeout (null: none). */
function deadline(t: Task, va: number, wide: boolean): number | null {
  if (va === 0) return null;
  const ns = readTimespec(t, va, wide);
  return t.kernel.clock.now() + Math.max(0, Number(ns - realtimeNs(t.sys)));
}

function timedsend(t: Task, fd: number, ptr: number, len: number, prio: number, timeout: number, wide: boolean): number {
  const f = queueOf(t, fd);
  if (prio >>> 0 >= MQ_PRIO_MAX) sysError("EINVAL");
  const dl = deadline(t, timeout, wide);
  return f.send(t, t.mem.read(ptr, len >>> 0), prio >>> 0, dl);
}

function timedreceive(t: Task, fd: number, ptr: number, len: number, prioPtr: number, timeout: number, wide: boolean): number {
  const f = queueOf(t, fd);
  const dl = deadline(t, timeout, wide);
  return f.receive(t, len >>> 0, dl, ptr, prioPtr);
}

export const mqTimedsend: Sys = (t, fd, ptr, len, prio, timeout) => timedsend(t, fd, ptr, len, prio, timeout, false);
export const mqTimedsend64: Sys = (t, fd, ptr, len, prio, timeout) => timedsend(t, fd, ptr, len, prio, timeout, true);
export const mqTimedreceive: Sys = (t, fd, ptr, len, prio, timeout) => timedreceive(t, fd, ptr, len, prio, timeout, false);
export const mqTimedreceive64: Sys = (t, fd, ptr, len, prio, timeout) => timedreceive(t, fd, ptr, len, prio, timeout, true);

export const mqNotify: Sys = (t, fd, sevp) => {
  // (the request is read and checked before the descriptor, as Linux's mq_notify does)
  let n: MqNotification | null = null;
  if (sevp !== 0) {
    const b = t.mem.read(sevp, SIGEVENT_SIZE);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const value = dv.getInt32(0, true), signo = dv.getInt32(4, true), how = dv.getInt32(8, true);
    if (how !== SIGEV_NONE && how !== SIGEV_SIGNAL && how !== SIGEV_THREAD) sysError("EINVAL");
    if (how === SIGEV_SIGNAL && (signo < 0 || signo > NSIG)) sysError("EINVAL");
    // The kernel's SIGEV_THREAD takes a netlink socket (sigev_signo) and a cookie of 32 bytes
    // (sigev_value's pointer), which it writes to the socket; glibc makes the socket and runs
    // the thread itself. (Linux's order: the cookie, then the socket.)
    let thread: MqNotification["thread"] = null;
    if (how === SIGEV_THREAD) {
      const cookie = t.mem.read(value >>> 0, NOTIFY_COOKIE_LEN).slice();
      const f = t.fds.get(signo);
      if (!(f instanceof UnixSocket)) sysError("ENOTSOCK");
      if (f.family !== AF_NETLINK) sysError("EINVAL");
      thread = { sock: f, cookie };
    }
    n = { owner: t.proc, table: t.fds, signal: how === SIGEV_SIGNAL ? signo : 0, value, thread };
  }
  queueOf(t, fd).notify(t.proc, n);
  return 0;
};

export const mqGetsetattr: Sys = (t, fd, newPtr, oldPtr) => {
  const f = queueOf(t, fd);
  let nonblock: boolean | null = null;
  if (newPtr !== 0) {
    const flags = t.mem.i32(newPtr);
    if ((flags & ~O_NONBLOCK) !== 0) sysError("EINVAL");
    nonblock = (flags & O_NONBLOCK) !== 0;
  }
  if (oldPtr !== 0) {
    const a = f.attr();
    t.mem.write(oldPtr, new Struct(MQ_ATTR_SIZE).i32(0, a.nonblock ? O_NONBLOCK : 0).i32(4, a.maxmsg).i32(8, a.msgsize).i32(12, a.curmsgs).bytes);
  }
  if (nonblock !== null) f.mode = { ...f.mode, nonblock };
  return 0;
};
