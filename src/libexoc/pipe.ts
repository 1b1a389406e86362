// Pipes: a ring of page-sized buffers (16 of them by default, 64 KiB) with a read end and a
// write end, each an open file description. POSIX rules: a read returns what is there (at
// least one byte), waits while the pipe is empty and a writer exists, and returns 0 (end of
// file) once the last writer is gone; a write of at most PIPE_BUF bytes is atomic (all or,
// waiting, nothing), a larger one may be split; writing with no reader left fails with EPIPE
// (the caller also raises SIGPIPE). O_NONBLOCK turns every wait into EAGAIN.
//
// Buffers are filled as Linux fills them, because programs can observe it (how much a
// non-blocking writer gets in, what FIONREAD says): a write first tops up the last buffer with
// its tail (length mod 4096) if that fits, then takes whole pages, each new page holding at
// most 4096 bytes; the pipe is full when every buffer is in use, whatever room is left in them.

import { WaitQueue } from "../exokernel/wait.js";
import { WouldBlock, later, laterFn, partialCount } from "./blocking.js";
import { sysError, SysError } from "./errors.js";
import { OpenFile, S_IFIFO, POLLIN, POLLRDNORM, POLLOUT, POLLWRNORM, POLLHUP, POLLERR, type FileStat, type OpenMode } from "./file.js";

export const PIPE_BUF = 4096;
const PAGE = 4096;
export const PIPE_SIZE = 65536;
/** Largest capacity F_SETPIPE_SZ accepts (Linux's default /proc/sys/fs/pipe-max-size). */
export const PIPE_MAX_SIZE = 1 << 20;

let nextPipeIno = 1n;

/** One page buffer of the ring: its bytes, and the part [off, off+len) holding data. */
interface PipeBuffer {
  bytes: Uint8Array;
  off: number;
  len: number;
}

export class Pipe {
  private ring: PipeBuffer[] = [];
  /** Buffers in use are ring[tail % size] .. ring[(head - 1) % size]. */
  private head = 0;
  private tail = 0;
  private slots = PIPE_SIZE / PAGE;
  /** Bytes in the pipe. */
  length = 0;
  readers = 0;
  writers = 0;
  /** Notified when data arrives or the last writer leaves. */
  readonly readable = new WaitQueue();
  /** Notified when a buffer frees up or the last reader leaves. */
  readonly writable = new WaitQueue();
  readonly ino = nextPipeIno++;
  readonly created = BigInt(Date.now()) * 1000000n;

  get capacity(): number {
    return this.slots * PAGE;
  }

  get full(): boolean {
    return this.head - this.tail >= this.slots;
  }

  private buffer(i: number): PipeBuffer {
    const k = i % this.slots;
    let b = this.ring[k];
    if (b === undefined) {
      b = { bytes: new Uint8Array(PAGE), off: 0, len: 0 };
      this.ring[k] = b;
    }
    return b;
  }

  /** F_SETPIPE_SZ: the new capacity (a power of two number of pages, at most 2^31 bytes:
   *  EINVAL beyond); growing past pipe-max-size (`maxSize`) needs `privileged`
   *  (CAP_SYS_RESOURCE: EPERM);
   *  EBUSY if the buffers in use do not fit. */
  resize(size: number, privileged: boolean, maxSize = PIPE_MAX_SIZE): number {
    if (size > 2 ** 31) sysError("EINVAL");
    let pages = 1;
    while (pages * PAGE < size) pages *= 2;
    if (pages > this.slots && pages * PAGE > maxSize && !privileged) sysError("EPERM");
    const used = this.head - this.tail;
    if (pages < used) sysError("EBUSY");
    const kept: PipeBuffer[] = [];
    for (let i = this.tail; i < this.head; i++) kept.push(this.buffer(i));
    this.ring = kept;
    this.slots = pages;
    this.tail = 0;
    this.head = used;
    this.writable.notify();
    return pages * PAGE;
  }

  /** Copies up to dst.length bytes out, buffer after buffer; returns the count. */
  copyOut(dst: Uint8Array): number {
    let n = 0;
    while (n < dst.length && this.tail < this.head) {
      const b = this.buffer(this.tail);
      const k = Math.min(b.len, dst.length - n);
      dst.set(b.bytes.subarray(b.off, b.off + k), n);
      n += k;
      b.off += k;
      b.len -= k;
      if (b.len === 0) {
        b.off = 0;
        this.tail++;
      }
    }
    this.length -= n;
    return n;
  }

  /** Copies up to dst.length bytes out without taking them (tee, splice); returns the count. */
  peek(dst: Uint8Array): number {
    let n = 0;
    for (let i = this.tail; n < dst.length && i < this.head; i++) {
      const b = this.buffer(i);
      const k = Math.min(b.len, dst.length - n);
      dst.set(b.bytes.subarray(b.off, b.off + k), n);
      n += k;
    }
    return n;
  }

  /** Bytes a write surely puts in without waiting: the pages of the free buffers. */
  get room(): number {
    return (this.slots - (this.head - this.tail)) * PAGE;
  }

  /** The first step of a write: its tail (length mod a page) goes into the last buffer if it
   *  fits there. Returns the bytes taken. */
  merge(src: Uint8Array): number {
    const chars = src.length % PAGE;
    if (chars === 0 || this.head === this.tail) return 0;
    const b = this.buffer(this.head - 1);
    const end = b.off + b.len;
    if (end + chars > PAGE) return 0;
    b.bytes.set(src.subarray(0, chars), end);
    b.len += chars;
    this.length += chars;
    return chars;
  }

  /** Fills new buffers from `src` while there are free ones; returns the bytes taken. */
  fill(src: Uint8Array): number {
    let n = 0;
    while (n < src.length && !this.full) {
      const b = this.buffer(this.head);
      const k = Math.min(PAGE, src.length - n);
      b.bytes.set(src.subarray(n, n + k), 0);
      b.off = 0;
      b.len = k;
      this.head++;
      n += k;
    }
    this.length += n;
    return n;
  }
}

/** One end of a pipe. */
export class PipeEnd extends OpenFile {
  constructor(
    readonly pipe: Pipe,
    mode: OpenMode,
    path = `pipe:[${pipe.ino}]`,
  ) {
    super(path, mode);
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
    const p = this.pipe;
    if (p.readers === 0) sysError("EPIPE");
    if (buf.length === 0) return 0;
    const merged = p.merge(buf);
    if (merged > 0) p.readable.notify();
    return this.writeFrom(buf, merged);
  }

  /** Writes buf[done..] into new buffers and returns `before` plus what it wrote; a blocking
   *  write waits until all of it is in, or a signal interrupts it (returning what was written,
   *  if anything). `buf` stays valid while the caller waits (Task.staging). */
  private writeFrom(buf: Uint8Array, done: number, before = 0): number {
    const p = this.pipe;
    for (;;) {
      if (done === buf.length) return before + done;
      if (p.readers === 0) throw new SysError("EPIPE", "no reader", before + done);
      const n = p.fill(buf.subarray(done));
      if (n > 0) {
        done += n;
        p.readable.notify();
        continue;
      }
      const total = before + done;
      if (this.mode.nonblock) {
        if (total > 0) return total;
        sysError("EAGAIN");
      }
      const at = done;
      throw new WouldBlock([p.writable], null, undefined, later(this, "writeFrom", buf, at, before), laterFn(partialCount, total));
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
      if (!p.full) ev |= POLLOUT | POLLWRNORM;
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

  override pollable(): boolean {
    return true;
  }

  /** Another end of the same pipe, with `mode`'s direction (/proc/PID/fd/N opened again). */
  override reopen(mode: OpenMode): OpenFile {
    return new PipeEnd(this.pipe, mode);
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
