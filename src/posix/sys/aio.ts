// The native AIO calls (io_setup, io_destroy, io_submit, io_getevents, io_pgetevents, io_cancel)
// over libexoc/aio.ts's contexts. A request is made when it is submitted, with the call it
// stands for (pread64, pwrite64, preadv, pwritev, fsync, fdatasync), and its result becomes the
// event: a regular file's as Linux's buffered AIO makes it; a pipe's or socket's waits in
// io_submit as Linux's does, unless RWF_NOWAIT asks for -EAGAIN instead. IOCB_CMD_POLL is not
// supported (EINVAL). Errors of the request itself (a bad descriptor or mode, reserved fields, a
// full ring) fail the submission; what its I/O meets is the event's result.

import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import { sysError, SysError } from "../../libexoc/errors.js";
import { WouldBlock, EINTR_ON_HANDLER, RESTART_IF_SA, laterFn, resumable, partialCount } from "../../libexoc/blocking.js";
import { AioContext, ringSize, ringHeader, pending, complete, IO_EVENT_SIZE, RING } from "../../libexoc/aio.js";
import { Vma, PROT_READ, PROT_WRITE } from "../../libexoc/vm.js";
import { ERRNO } from "../abi/errno.js";
import { EventFd } from "../../libexoc/eventfd.js";
import { touching } from "./fsevents.js";
import { readTimespec } from "./time.js";
import * as file from "./file.js";
import { fsync, fdatasync } from "./lock.js";
import { logger } from "../../log.js";

/** struct iocb (64 bytes): data, key, rw_flags, opcode, reqprio, fildes, buf, nbytes, offset,
 *  reserved2, flags, resfd. */
const IOCB = { data: 0, key: 8, rwFlags: 12, opcode: 16, reqprio: 18, fildes: 20, buf: 24, nbytes: 32, offset: 40, reserved2: 48, flags: 56, resfd: 60, size: 64 } as const;
const IOCB_CMD_PREAD = 0, IOCB_CMD_PWRITE = 1, IOCB_CMD_FSYNC = 2, IOCB_CMD_FDSYNC = 3, IOCB_CMD_PREADV = 7, IOCB_CMD_PWRITEV = 8;
const IOCB_FLAG_RESFD = 1, IOCB_FLAG_IOPRIO = 2;
/** preadv2's flags an iocb may carry in aio_rw_flags (RWF_HIPRI, DSYNC, SYNC, NOWAIT, APPEND). */
const RWF_NOWAIT = 8, RWF_SUPPORTED = 0x1f;

const log = logger("syscall");

const pread = touching(file.pread64, { from: 0 }), pwrite = touching(file.pwrite64, { to: 0 });
const preadv = touching(file.preadv, { from: 0 }), pwritev = touching(file.pwritev, { to: 0 });
const read = touching(file.read, { from: 0 }), write = touching(file.write, { to: 0 });
const readv = touching(file.readv, { from: 0 }), writev = touching(file.writev, { to: 0 });

function context(t: Task, id: number): AioContext {
  const ctx = t.mm.aio.get(id >>> 0);
  if (ctx === undefined) return sysError("EINVAL");
  return ctx;
}

/** io_setup(nr, ctxp): a new context whose id (its ring's address) goes to *ctxp, which must
 *  hold 0. */
export const ioSetup: Sys = (t, nr, ctxp) => {
  if (t.mem.u32(ctxp) !== 0 || nr >>> 0 === 0) sysError("EINVAL");
  const { bytes, nr: slots } = ringSize(nr >>> 0, t.sys.aioMaxNr, t.sys.aioNr);
  const at = t.vm.findFree(bytes);
  const v = new Vma(at, at + bytes, PROT_READ | PROT_WRITE, false, null, 0, 0, "/[aio] (deleted)");
  v.dontFork = true;
  t.vm.map(v);
  t.mem.write(at, ringHeader(t.mm.aio.size, slots));
  t.mm.aio.set(at >>> 0, new AioContext(at >>> 0, bytes, slots, nr >>> 0));
  try {
    t.mem.putU32(ctxp, at);
  } catch (e) {
    t.mm.aio.delete(at >>> 0);
    t.vm.unmap(at, bytes);
    throw e;
  }
  return 0;
};

/** io_destroy: the context and its ring go (nothing is in flight: requests complete when made). */
export const ioDestroy: Sys = (t, id) => {
  const ctx = context(t, id);
  t.mm.aio.delete(ctx.ring);
  t.vm.unmap(ctx.ring, ctx.bytes);
  ctx.events.notify();
  return 0;
};

/** io_submit(ctx, nr, iocbpp): the requests in order; the count made, or the first one's error
 *  when none was. */
export const ioSubmit: Sys = (t, id, nr, iocbpp) => {
  if ((nr | 0) < 0) sysError("EINVAL");
  const ctx = context(t, id);
  return submitFrom(t, ctx.ring, Math.min(nr | 0, ctx.nr), iocbpp, 0);
};

/** io_submit from request `k` on (after a wait in request `k`, the call goes on with it). */
const submitFrom = resumable("posix/aio.submitFrom", function submitFrom(t: Task, id: number, nr: number, iocbpp: number, k: number): number {
  for (; k < nr; k++) {
    try {
      submitOne(t, context(t, id), t.mem.u32(iocbpp + 4 * k) >>> 0, null);
    } catch (e) {
      if (e instanceof WouldBlock) {
        throw new WouldBlock(e.queues, e.deadline, RESTART_IF_SA, laterFn(submitRest, t, id, nr, iocbpp, k, e.retry), k > 0 ? laterFn(partialCount, k) : null);
      }
      if (k === 0 || !(e instanceof SysError)) throw e;
      return k;
    }
  }
  return k;
});

/** After a wait in request `k`: the rest of it (its call's `retry`), then the requests after. */
const submitRest = resumable("posix/aio.submitRest", function submitRest(t: Task, id: number, nr: number, iocbpp: number, k: number, retry: (() => number) | null): number {
  try {
    submitOne(t, context(t, id), t.mem.u32(iocbpp + 4 * k) >>> 0, retry);
  } catch (e) {
    if (e instanceof WouldBlock) {
      throw new WouldBlock(e.queues, e.deadline, RESTART_IF_SA, laterFn(submitRest, t, id, nr, iocbpp, k, e.retry), k > 0 ? laterFn(partialCount, k) : null);
    }
    if (k === 0 || !(e instanceof SysError)) throw e;
    return k;
  }
  return submitFrom(t, id, nr, iocbpp, k + 1);
});

/** Checks the iocb at `va` as Linux's io_submit_one does, makes its request (or goes on with
 *  `retry`, the rest of one that waited), and puts its completion in the ring. */
function submitOne(t: Task, ctx: AioContext, va: number, retry: (() => number) | null): void {
  const b = t.mem.read(va, IOCB.size);
  const dv = new DataView(b.buffer, b.byteOffset, IOCB.size);
  const data = dv.getBigUint64(IOCB.data, true), rwFlags = dv.getUint32(IOCB.rwFlags, true), op = dv.getUint16(IOCB.opcode, true);
  const fd = dv.getInt32(IOCB.fildes, true), buf = dv.getBigUint64(IOCB.buf, true), nbytes = dv.getBigUint64(IOCB.nbytes, true);
  const offset = dv.getBigInt64(IOCB.offset, true), flags = dv.getUint32(IOCB.flags, true), resfd = dv.getInt32(IOCB.resfd, true);
  if (dv.getBigUint64(IOCB.reserved2, true) !== 0n || buf > 0xffffffffn || nbytes > 0x7fffffffn) sysError("EINVAL");
  if ((flags & ~(IOCB_FLAG_RESFD | IOCB_FLAG_IOPRIO)) !== 0 || (rwFlags & ~RWF_SUPPORTED) !== 0) sysError("EINVAL");
  const f = t.fds.get(fd);
  let notify: EventFd | null = null;
  if ((flags & IOCB_FLAG_RESFD) !== 0) {
    const e = t.fds.get(resfd);
    if (!(e instanceof EventFd)) sysError("EINVAL");
    notify = e;
  }
  const reads = op === IOCB_CMD_PREAD || op === IOCB_CMD_PREADV, writes = op === IOCB_CMD_PWRITE || op === IOCB_CMD_PWRITEV;
  if (!reads && !writes && op !== IOCB_CMD_FSYNC && op !== IOCB_CMD_FDSYNC) {
    log.warn({ op }, `io_submit: iocb opcode ${op} is not supported: EINVAL`);
    sysError("EINVAL");
  }
  if ((reads && !f.mode.read) || (writes && !f.mode.write)) sysError("EBADF");
  if (pending(t.mm, ctx).count >= ctx.nr - 1) sysError("EAGAIN");
  // (the key field is set for io_cancel, as Linux's KIOCB_KEY: 0)
  t.mem.putU32(va + IOCB.key, 0);
  const off = Number(offset), lo = off % 2 ** 32, hi = Math.floor(off / 2 ** 32);
  const positional = f.positional();
  const call = (): number => {
    const p = Number(buf), n = Number(nbytes);
    switch (op) {
      case IOCB_CMD_PREAD:
        return positional ? pread(t, fd, p, n, lo, hi, 0) : read(t, fd, p, n, 0, 0, 0);
      case IOCB_CMD_PWRITE:
        return positional ? pwrite(t, fd, p, n, lo, hi, 0) : write(t, fd, p, n, 0, 0, 0);
      case IOCB_CMD_PREADV:
        return positional ? preadv(t, fd, p, n, lo, hi, 0) : readv(t, fd, p, n, 0, 0, 0);
      case IOCB_CMD_PWRITEV:
        return positional ? pwritev(t, fd, p, n, lo, hi, 0) : writev(t, fd, p, n, 0, 0, 0);
      case IOCB_CMD_FSYNC:
        return fsync(t, fd, 0, 0, 0, 0, 0);
      default:
        return fdatasync(t, fd, 0, 0, 0, 0, 0);
    }
  };
  let res: number;
  try {
    res = retry !== null ? retry() : call();
  } catch (e) {
    if (e instanceof WouldBlock) {
      if ((rwFlags & RWF_NOWAIT) === 0) throw e;
      e.onInterrupt?.();
      res = -ERRNO.EAGAIN;
    } else if (e instanceof SysError) {
      res = -ERRNO[e.errno];
    } else {
      throw e;
    }
  }
  complete(t.mm, ctx, data, va, res);
  if (notify !== null) notify.signal(1n);
}

/** io_getevents(ctx, min_nr, nr, events, timeout): up to `nr` events, waiting (up to the
 *  relative timeout) until at least `min_nr` have come. */
function getevents(t: Task, id: number, minNr: number, nr: number, events: number, timeout: number, wide: boolean): number {
  if ((minNr | 0) < 0 || (nr | 0) < 0 || (minNr | 0) > (nr | 0)) sysError("EINVAL");
  context(t, id);
  const deadline = timeout === 0 ? null : t.deadlineAfter(Number(readTimespec(t, timeout, wide)));
  return take(t, id >>> 0, minNr | 0, nr | 0, events, deadline);
}

/** Takes what the ring holds (up to `nr`); waits while it holds fewer than `minNr` and
 *  `deadline` has not passed (an interrupting signal's handler makes it EINTR). */
const take = resumable("posix/aio.take", function take(t: Task, id: number, minNr: number, nr: number, events: number, deadline: number | null): number {
  const ctx = t.mm.aio.get(id);
  if (ctx === undefined) return sysError("EINVAL");
  const { head, count } = pending(t.mm, ctx);
  const waited = deadline !== null && t.kernel.clock.now() >= deadline;
  if (count < minNr && !waited && (deadline === null || deadline > t.kernel.clock.now())) {
    throw new WouldBlock([ctx.events], deadline, EINTR_ON_HANDLER, laterFn(take, t, id, minNr, nr, events, deadline));
  }
  const n = Math.min(count, nr);
  for (let k = 0; k < n; k++) {
    const at = ctx.ring + RING.size + ((head + k) % ctx.nr) * IO_EVENT_SIZE;
    t.mem.write(events + k * IO_EVENT_SIZE, t.mem.read(at, IO_EVENT_SIZE));
  }
  t.mem.putU32(ctx.ring + RING.head, (head + n) % ctx.nr);
  return n;
});

export const ioGetevents: Sys = (t, id, minNr, nr, events, timeout) => getevents(t, id, minNr, nr, events, timeout, false);

/** io_cancel: every request completed when it was submitted, so none can be cancelled: EINVAL,
 *  after Linux's checks in its order (the iocb's key readable, EFAULT, and io_submit's; the
 *  context). */
export const ioCancel: Sys = (t, id, iocb) => {
  if (t.mem.u32(iocb + IOCB.key) !== 0) sysError("EINVAL");
  context(t, id);
  return sysError("EINVAL");
};
