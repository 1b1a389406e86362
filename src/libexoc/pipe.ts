// Pipes: a 64 KiB ring buffer with a read end and a write end, each an open file description.
// POSIX rules: a read returns what is there (at least one byte), waits while the pipe is empty
// and a writer exists, and returns 0 (end of file) once the last writer is gone; a write of at
// most PIPE_BUF bytes is atomic (all or, waiting, nothing), a larger one may be split; writing
// with no reader left fails with EPIPE (the caller also raises SIGPIPE). O_NONBLOCK turns every
// wait into EAGAIN.

import { WaitQueue } from "../exokernel/wait.js";
import { WouldBlock } from "./blocking.js";
import { sysError } from "./errors.js";
import { OpenFile, S_IFIFO, POLLIN, POLLRDNORM, POLLOUT, POLLWRNORM, POLLHUP, POLLERR, type FileStat, type OpenMode } from "./file.js";

export const PIPE_BUF = 4096;
export const PIPE_SIZE = 65536;
/** Largest capacity F_SETPIPE_SZ accepts (Linux's default /proc/sys/fs/pipe-max-size). */
export const PIPE_MAX_SIZE = 1 << 20;

let nextPipeIno = 1n;

export class Pipe {
  private buf = new Uint8Array(PIPE_SIZE);
  private head = 0;
  /** Bytes in the buffer. */
  length = 0;
  readers = 0;
  writers = 0;
  /** Notified when data arrives or the last writer leaves. */
  readonly readable = new WaitQueue();
  /** Notified when room appears or the last reader leaves. */
  readonly writable = new WaitQueue();
  readonly ino = nextPipeIno++;
  readonly created = BigInt(Date.now()) * 1000000n;

  get capacity(): number {
    return this.buf.length;
  }

  /** F_SETPIPE_SZ: the new capacity (a power of two, at least a page); EBUSY if the data does
   *  not fit. */
  resize(size: number): number {
    let cap = PIPE_BUF;
    while (cap < size) cap *= 2;
    if (cap > PIPE_MAX_SIZE) sysError("EPERM");
    if (cap < this.length) sysError("EBUSY");
    const nb = new Uint8Array(cap);
    this.copyOut(nb);
    this.buf = nb;
    this.head = 0;
    return cap;
  }

  /** Copies up to dst.length bytes out of the buffer; returns the count. */
  copyOut(dst: Uint8Array): number {
    const n = Math.min(dst.length, this.length);
    const cap = this.buf.length;
    const first = Math.min(n, cap - this.head);
    dst.set(this.buf.subarray(this.head, this.head + first), 0);
    if (n > first) dst.set(this.buf.subarray(0, n - first), first);
    this.head = (this.head + n) % cap;
    this.length -= n;
    if (this.length === 0) this.head = 0;
    return n;
  }

  /** Copies as much of `src` in as fits; returns the count. */
  copyIn(src: Uint8Array): number {
    const cap = this.buf.length;
    const n = Math.min(src.length, cap - this.length);
    const tail = (this.head + this.length) % cap;
    const first = Math.min(n, cap - tail);
    this.buf.set(src.subarray(0, first), tail);
    if (n > first) this.buf.set(src.subarray(first, n), 0);
    this.length += n;
    return n;
  }
}

/** One end of a pipe. */
export class PipeEnd extends OpenFile {
  constructor(
    readonly pipe: Pipe,
    mode: OpenMode,
  ) {
    super(`pipe:[${pipe.ino}]`, mode);
    if (mode.read) pipe.readers++;
    if (mode.write) pipe.writers++;
  }

  read(buf: Uint8Array): number {
    const p = this.pipe;
    if (buf.length === 0) return 0;
    if (p.length === 0) {
      if (p.writers === 0) return 0;
      if (this.mode.nonblock) sysError("EAGAIN");
      throw new WouldBlock([p.readable]);
    }
    const n = p.copyOut(buf);
    p.writable.notify();
    return n;
  }

  write(buf: Uint8Array): number {
    return this.writeFrom(buf, 0);
  }

  /** Writes buf[done..]; a blocking write waits until all of it is in (returning the total), or
   *  a signal interrupts it (returning what was written, if anything). */
  private writeFrom(buf: Uint8Array, done: number): number {
    const p = this.pipe;
    if (p.readers === 0) sysError("EPIPE");
    for (;;) {
      const left = buf.length - done;
      if (left === 0) return done;
      const room = p.capacity - p.length;
      // Up to PIPE_BUF bytes go in whole or not at all.
      const atomic = buf.length <= PIPE_BUF;
      if (room > 0 && (!atomic || room >= left)) {
        done += p.copyIn(buf.subarray(done));
        p.readable.notify();
        continue;
      }
      if (this.mode.nonblock) {
        if (done > 0) return done;
        sysError("EAGAIN");
      }
      const partial = done;
      throw new WouldBlock(
        [p.writable],
        null,
        undefined,
        () => this.writeFrom(buf, partial),
        () => (partial > 0 ? partial : null),
      );
    }
  }

  stat(): FileStat {
    const t = this.pipe.created;
    return {
      dev: 0xcn, ino: this.pipe.ino, mode: S_IFIFO | 0o600, nlink: 1, uid: 0, gid: 0, rdev: 0n, size: 0n,
      blksize: 4096, blocks: 0n, atimeNs: t, mtimeNs: t, ctimeNs: t,
    };
  }

  override poll(): number {
    const p = this.pipe;
    let ev = 0;
    if (this.mode.read) {
      if (p.length > 0) ev |= POLLIN | POLLRDNORM;
      if (p.writers === 0) ev |= POLLHUP;
    }
    if (this.mode.write) {
      if (p.capacity - p.length >= PIPE_BUF) ev |= POLLOUT | POLLWRNORM;
      if (p.readers === 0) ev |= POLLERR;
    }
    return ev;
  }

  override pollQueues(): WaitQueue[] {
    return this.mode.read ? [this.pipe.readable] : [this.pipe.writable];
  }

  override available(): number {
    return this.pipe.length;
  }

  override release(): void {
    const p = this.pipe;
    if (this.mode.read && --p.readers === 0) p.writable.notify();
    if (this.mode.write && --p.writers === 0) p.readable.notify();
  }
}

/** A new pipe: its read end and its write end. */
export function makePipe(nonblock: boolean): [PipeEnd, PipeEnd] {
  const p = new Pipe();
  return [
    new PipeEnd(p, { read: true, write: false, append: false, nonblock }),
    new PipeEnd(p, { read: false, write: true, append: false, nonblock }),
  ];
}
