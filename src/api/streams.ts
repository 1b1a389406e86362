// Standard streams backed by Node streams, for a program that runs while its host reads its
// output and feeds its input (spawnProgram). Like the buffers of stdio.ts they look like pipes
// to the guest, and behave like them:
// - StreamSink: what the guest writes comes out of a Readable. Data is handed to the Readable
//   after the guest's turn (a microtask), never from inside a system call, so the embedder's
//   handlers do not run in the middle of one. While 64 KiB or more are unread (in the Readable
//   or not yet handed to it), the guest's writes wait (as on a full pipe); once the host destroys
//   the Readable, they fail with EPIPE (reader gone).
// - StreamSource: what the host writes into a Writable is what the guest reads; a read with
//   nothing there waits on a wait queue that a host write (or its end) notifies, which wakes
//   the run loop if it was idle. Ending the Writable is end of file.

import { Readable, Writable } from "node:stream";
import { WaitQueue } from "../exokernel/wait.js";
import { WouldBlock } from "../libexoc/blocking.js";
import { OpenFile, S_IFIFO, POLLIN, POLLRDNORM, POLLOUT, POLLWRNORM, POLLERR, POLLHUP, type FileStat } from "../libexoc/file.js";
import { sysError } from "../libexoc/errors.js";
import { enterLog, leaveLog, type LogScope } from "../log.js";

/** Notifies `q` from the host's side (a stream callback) under the program's log scope, so what
 *  the wake-up traces goes where the program's records go. */
function notifyIn(log: LogScope | null, q: WaitQueue): void {
  const prev = enterLog(log);
  try {
    q.notify();
  } finally {
    leaveLog(prev);
  }
}

/** How much unread output a sink lets accumulate before the guest's writes wait. */
const HIGH_WATER = 64 << 10;

function pipeStat(): FileStat {
  const now = BigInt(Date.now()) * 1_000_000n;
  return { dev: 0n, ino: 0n, mode: S_IFIFO | 0o600, nlink: 1, uid: 0, gid: 0, rdev: 0n, size: 0n, blksize: 4096, blocks: 0n, atimeNs: now, mtimeNs: now, ctimeNs: now };
}

/** Write-only: the guest's output as a Readable (`stream`). */
export class StreamSink extends OpenFile {
  readonly stream: Readable;
  /** Notified when the host reads, so a guest waiting on a full sink can go on. */
  private readonly writable = new WaitQueue();
  /** Written by the guest, not yet handed to the Readable. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** The program's log scope (set once it is launched). */
  log: LogScope | null = null;
  private ended = false;

  constructor(path: string) {
    super(path, { read: false, write: true, append: false, nonblock: false });
    this.stream = new Readable({
      highWaterMark: HIGH_WATER,
      read: () => notifyIn(this.log, this.writable),
    });
  }

  read(_buf: Uint8Array): number {
    return sysError("EBADF");
  }

  write(buf: Uint8Array): number {
    if (this.stream.destroyed || this.ended) sysError("EPIPE");
    if (buf.length === 0) return 0;
    if (this.full()) {
      if (this.mode.nonblock) sysError("EAGAIN");
      throw new WouldBlock([this.writable]);
    }
    if (this.pending.length === 0) queueMicrotask(() => this.flush());
    this.pending.push(Buffer.from(buf));
    this.pendingBytes += buf.length;
    return buf.length;
  }

  /** Whether the host has as much unread output as it wants (the Readable's own buffer and
   *  what the guest wrote since the last flush). */
  private full(): boolean {
    return this.stream.readableLength + this.pendingBytes >= HIGH_WATER;
  }

  /** Hands what the guest wrote to the Readable. */
  private flush(): void {
    const chunks = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    if (this.stream.destroyed) return;
    for (const c of chunks) this.stream.push(c);
  }

  /** End of the output: what is pending is delivered, then end of stream. Called when the
   *  program has ended (or the last guest descriptor of the sink is closed). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.flush();
    if (!this.stream.destroyed) this.stream.push(null);
    notifyIn(this.log, this.writable);
  }

  override release(): void {
    // (from inside the guest's close(): the end is handed over after its turn, like data)
    queueMicrotask(() => this.end());
  }

  override poll(): number {
    if (this.stream.destroyed || this.ended) return POLLERR;
    return this.full() ? 0 : POLLOUT | POLLWRNORM;
  }

  override pollQueues(): WaitQueue[] {
    return [this.writable];
  }

  override pollable(): boolean {
    return true;
  }

  stat(): FileStat {
    return pipeStat();
  }
}

/** Read-only: what the host writes into `stream` (a Writable), then end of file when it ends. */
export class StreamSource extends OpenFile {
  readonly stream: Writable;
  /** Notified when data or end of file arrives. */
  private readonly readable = new WaitQueue();
  private chunks: Buffer[] = [];
  private eof = false;
  /** The program's log scope (set once it is launched). */
  log: LogScope | null = null;

  constructor(path: string) {
    super(path, { read: true, write: false, append: false, nonblock: false });
    this.stream = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        this.chunks.push(chunk);
        notifyIn(this.log, this.readable);
        cb();
      },
      final: (cb) => {
        this.eof = true;
        notifyIn(this.log, this.readable);
        cb();
      },
      destroy: (err, cb) => {
        this.eof = true;
        notifyIn(this.log, this.readable);
        cb(err);
      },
    });
  }

  read(buf: Uint8Array): number {
    if (buf.length === 0) return 0;
    if (this.chunks.length === 0) {
      if (this.eof) return 0;
      if (this.mode.nonblock) sysError("EAGAIN");
      throw new WouldBlock([this.readable]);
    }
    let n = 0;
    while (n < buf.length && this.chunks.length > 0) {
      const c = this.chunks[0];
      const k = Math.min(c.length, buf.length - n);
      buf.set(c.subarray(0, k), n);
      n += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    return n;
  }

  write(_buf: Uint8Array): number {
    return sysError("EBADF");
  }

  override poll(): number {
    if (this.chunks.length > 0) return POLLIN | POLLRDNORM;
    return this.eof ? POLLHUP : 0;
  }

  override pollQueues(): WaitQueue[] {
    return [this.readable];
  }

  override pollable(): boolean {
    return true;
  }

  override available(): number {
    let n = 0;
    for (const c of this.chunks) n += c.length;
    return n;
  }

  stat(): FileStat {
    return pipeStat();
  }
}
