// splice, tee and vmsplice: bytes moved between a pipe and another file (or a second pipe)
// without passing through the caller (splice), copied from one pipe into another without being
// taken from the first (tee), or between a pipe and the caller's iovecs (vmsplice).
//
// As Linux (fs/splice.c): a zero length returns 0 before anything is looked at; flags other
// than SPLICE_F_MOVE/NONBLOCK/MORE/GIFT are EINVAL; an offset pointer on a pipe's side is
// ESPIPE; neither side a pipe, or both the same pipe, is EINVAL; an output opened O_APPEND is
// EINVAL. Only the pipe operations honour SPLICE_F_NONBLOCK (also set by O_NONBLOCK on the pipe
// end, or on the other file for a pipe-to-pipe move): they fail with EAGAIN instead of waiting.
// A pipe with no writer left reads as end of file (0); writing into one with no reader raises
// SIGPIPE and fails with EPIPE.
//
// Nothing is taken from the input before the output is known to take it: a call that must wait
// waits with nothing moved, and runs again from the start when woken (the pipe's room, or the
// bytes waiting in it, are looked at first; an output that takes less than it was given gets the
// rest back in the pipe, since bytes are taken from the pipe only once written).

import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import { sysError } from "../../libexoc/errors.js";
import { WouldBlock } from "../../libexoc/blocking.js";
import type { OpenFile } from "../../libexoc/file.js";
import { PipeEnd, type Pipe } from "../../libexoc/pipe.js";
import { Struct } from "../abi/structs.js";
import { MAX_RW, writeTo, isErrno, readv, writev } from "./file.js";

const SPLICE_F_NONBLOCK = 2;
const SPLICE_F_ALL = 0xf;
/** Most bytes moved in one step (a pipe holds 64 KiB by default). */
const CHUNK = 1 << 16;

function pipeOf(f: OpenFile): Pipe | null {
  return f instanceof PipeEnd ? f.pipe : null;
}

/** EAGAIN when the move must not wait, else a wait on `p`'s queue (the call then runs again). */
function waitOn(nonblock: boolean, queue: Pipe["readable"]): never {
  if (nonblock) sysError("EAGAIN");
  throw new WouldBlock([queue]);
}

/** The bytes waiting in input pipe `p`, or the reason there are none to move now. Returns 0
 *  for end of file (no writer left). */
function waiting(p: Pipe, nonblock: boolean): number {
  if (p.length > 0) return p.length;
  if (p.writers === 0) return 0;
  return waitOn(nonblock, p.readable);
}

/** The room in output pipe `p` (whole free buffers), waiting for some, or EPIPE and SIGPIPE
 *  when no one reads it. */
function room(t: Task, p: Pipe, nonblock: boolean): number {
  if (p.readers === 0) return writeTo(t, () => sysError("EPIPE"));
  const n = p.room;
  return n > 0 ? n : waitOn(nonblock, p.writable);
}

/** A 64-bit offset argument (loff_t *), or -1 for the file's own. */
function offsetArg(t: Task, va: number): number {
  return va === 0 ? -1 : t.mem.i64(va);
}

/** I/O at an offset given by pointer: a file without positions (a socket) is EINVAL there. */
function positioned(io: () => number): number {
  try {
    return io();
  } catch (e) {
    if (isErrno(e, "ESPIPE")) sysError("EINVAL");
    throw e;
  }
}

function storeOffset(t: Task, va: number, off: number): void {
  if (va !== 0) t.mem.write(va, new Struct(8).i64(0, off).bytes);
}

export const splice: Sys = (t, fdIn, offInVa, fdOut, offOutVa, len, flags) => {
  len >>>= 0;
  if (len === 0) return 0;
  if ((flags & ~SPLICE_F_ALL) !== 0) sysError("EINVAL");
  const src = t.fds.get(fdIn), dst = t.fds.get(fdOut);
  const pin = pipeOf(src), pout = pipeOf(dst);
  if ((pin !== null && offInVa !== 0) || (pout !== null && offOutVa !== 0)) sysError("ESPIPE");
  const offIn = offsetArg(t, offInVa), offOut = offsetArg(t, offOutVa);
  if (!src.mode.read || !dst.mode.write) sysError("EBADF");
  if (pin === null && pout === null) sysError("EINVAL");
  if (pin !== null && pin === pout) sysError("EINVAL");
  let nonblock = (flags & SPLICE_F_NONBLOCK) !== 0;
  const count = Math.min(len, MAX_RW, CHUNK);
  if (pin !== null && pout !== null) {
    if (src.mode.nonblock || dst.mode.nonblock) nonblock = true;
    const have = waiting(pin, nonblock);
    if (have === 0) return 0;
    const n = Math.min(count, have, room(t, pout, nonblock));
    const data = new Uint8Array(n);
    pin.copyOut(data);
    pin.writable.notify();
    return dst.write(data);
  }
  if (dst.mode.append) sysError("EINVAL");
  if ((offInVa !== 0 && offIn < 0) || (offOutVa !== 0 && offOut < 0)) sysError("EINVAL");
  // (a file splice cannot move bytes to or from is EINVAL before anything waits)
  if (!(pin !== null ? dst : src).splices()) sysError("EINVAL");
  if (pin !== null) return fromPipe(t, pin, dst, offOutVa, offOut, count, nonblock || src.mode.nonblock);
  return toPipe(t, src, offInVa, offIn, dst, pout as Pipe, count, nonblock || dst.mode.nonblock);
};

/** splice from pipe `p` to file `dst`, at `off` (-1: its own offset). */
function fromPipe(t: Task, p: Pipe, dst: OpenFile, offVa: number, off: number, count: number, nonblock: boolean): number {
  const have = waiting(p, nonblock);
  if (have === 0) return 0;
  const data = new Uint8Array(Math.min(count, have));
  p.peek(data);
  let w: number;
  if (off >= 0) {
    w = positioned(() => dst.pwrite(data, off));
    storeOffset(t, offVa, off + w);
  } else {
    // (an output that would wait, a socket, takes nothing: the call waits for it with the
    // bytes still in the pipe)
    const was = dst.mode.nonblock;
    dst.mode.nonblock = true;
    try {
      w = writeTo(t, () => dst.writeBy(t, data));
    } catch (e) {
      if (!(e instanceof WouldBlock || isErrno(e, "EAGAIN"))) throw e;
      if (was) sysError("EAGAIN");
      throw new WouldBlock(dst.pollQueues());
    } finally {
      dst.mode.nonblock = was;
    }
  }
  p.copyOut(data.subarray(0, w));
  p.writable.notify();
  return w;
}

/** splice from file `src`, at `off` (-1: its own offset), into pipe `p` (write end `dst`). */
function toPipe(t: Task, src: OpenFile, offVa: number, off: number, dst: OpenFile, p: Pipe, count: number, nonblock: boolean): number {
  const want = Math.min(count, room(t, p, nonblock));
  const data = new Uint8Array(want);
  src.prepareRead(off >= 0 ? off : src.offset, want);
  const n = off >= 0 ? positioned(() => src.pread(data, off)) : src.readBy(t, data);
  if (n <= 0) return 0;
  // (it fits: at most the room of whole free buffers)
  const w = dst.write(data.subarray(0, n));
  if (off >= 0) storeOffset(t, offVa, off + w);
  return w;
}

/** tee: up to `len` bytes of pipe `fdIn` copied into pipe `fdOut`, staying in the first. */
export const tee: Sys = (t, fdIn, fdOut, len, flags) => {
  len >>>= 0;
  if (len === 0) return 0;
  if ((flags & ~SPLICE_F_ALL) !== 0) sysError("EINVAL");
  const src = t.fds.get(fdIn), dst = t.fds.get(fdOut);
  if (!src.mode.read || !dst.mode.write) sysError("EBADF");
  const pin = pipeOf(src), pout = pipeOf(dst);
  if (pin === null || pout === null || pin === pout) sysError("EINVAL");
  const nonblock = (flags & SPLICE_F_NONBLOCK) !== 0 || src.mode.nonblock || dst.mode.nonblock;
  const have = waiting(pin, nonblock);
  if (have === 0) return 0;
  const data = new Uint8Array(Math.min(len, MAX_RW, CHUNK, have, room(t, pout, nonblock)));
  pin.peek(data);
  return dst.write(data);
};

/** vmsplice: the caller's iovecs written into a pipe (its write end) or read out of one (its
 *  read end), as writev and readv would; SPLICE_F_NONBLOCK makes the pipe not wait. */
export const vmsplice: Sys = (t, fd, iov, cnt, flags) => {
  if ((flags & ~SPLICE_F_ALL) !== 0) sysError("EINVAL");
  const f = t.fds.get(fd);
  const p = pipeOf(f);
  if (p === null) sysError("EBADF");
  const was = f.mode.nonblock;
  if (!f.mode.write) {
    f.mode.nonblock = was || (flags & SPLICE_F_NONBLOCK) !== 0;
    try {
      return readv(t, fd, iov, cnt, 0, 0, 0);
    } finally {
      f.mode.nonblock = was;
    }
  }
  // Into a pipe, as Linux's vmsplice_to_pipe: it waits for room if there is none (unless
  // SPLICE_F_NONBLOCK: the descriptor's O_NONBLOCK does not count), then moves what fits and
  // returns, unlike a write, which waits until all of it is in (a caller that empties the pipe
  // itself after each call would wait for ever).
  f.mode.nonblock = true;
  try {
    return writev(t, fd, iov, cnt, 0, 0, 0);
  } catch (e) {
    if (isErrno(e, "EAGAIN")) waitOn((flags & SPLICE_F_NONBLOCK) !== 0, p.writable);
    throw e;
  } finally {
    f.mode.nonblock = was;
  }
};
