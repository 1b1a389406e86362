// eventfd: a 64-bit counter behind a file descriptor (Linux's fs/eventfd.c). A write of 8 bytes
// adds their value (waiting while the sum would pass 2^64 - 2); a read of 8 bytes takes the
// whole count, or 1 in semaphore mode (waiting while it is 0). Readable while the count is not
// 0, writable while 1 more fits. Reads and writes of fewer than 8 bytes, and a write of
// 2^64 - 1, are EINVAL.

import { WaitQueue } from "../exokernel/wait.js";
import { block } from "./blocking.js";
import { sysError } from "./errors.js";
import { OpenFile, WHOLE_READ_MAX, POLLIN, POLLRDNORM, POLLOUT, POLLWRNORM, type FileStat } from "./file.js";
import { anonStat, newAnonIno } from "./sigwait.js";

/** Largest count (ULLONG_MAX - 1). */
const MAX_COUNT = 0xfffffffffffffffen;

export class EventFd extends OpenFile {
  override splices(): boolean {
    return false;
  }

  private readonly ino = newAnonIno();
  /** Notified whenever the count changes (readers and writers wait on it). */
  readonly changed = new WaitQueue();

  constructor(
    /** The counter. */
    public count: bigint,
    /** EFD_SEMAPHORE: a read takes 1, not the whole count. */
    readonly semaphore: boolean,
    nonblock: boolean,
  ) {
    super("anon_inode:[eventfd]", { read: true, write: true, append: false, nonblock });
  }

  read(buf: Uint8Array): number {
    if (buf.length < 8) sysError("EINVAL");
    if (this.count === 0n) {
      if (this.mode.nonblock) sysError("EAGAIN");
      block([this.changed]);
    }
    const v = this.semaphore ? 1n : this.count;
    this.count -= v;
    new DataView(buf.buffer, buf.byteOffset, 8).setBigUint64(0, v, true);
    this.changed.notify();
    return 8;
  }

  write(buf: Uint8Array): number {
    if (buf.length < 8) sysError("EINVAL");
    const v = new DataView(buf.buffer, buf.byteOffset, 8).getBigUint64(0, true);
    if (v > MAX_COUNT) sysError("EINVAL");
    if (v > MAX_COUNT - this.count) {
      if (this.mode.nonblock) sysError("EAGAIN");
      block([this.changed]);
    }
    this.count += v;
    if (v !== 0n) this.changed.notify();
    return 8;
  }

  /** The kernel's own signal (Linux's eventfd_signal: an AIO completion with IOCB_FLAG_RESFD):
   *  adds `n`, up to the largest count, without waiting. */
  signal(n: bigint): void {
    const room = MAX_COUNT - this.count;
    this.count += n < room ? n : room;
    this.changed.notify();
  }

  /** Whole reads: the 8 bytes come in one buffer even where the guest's straddles a page. */
  override wholeReadMax(): number {
    return WHOLE_READ_MAX;
  }

  stat(): FileStat {
    return anonStat(this.ino);
  }

  override poll(): number {
    return (this.count > 0n ? POLLIN | POLLRDNORM : 0) | (this.count < MAX_COUNT ? POLLOUT | POLLWRNORM : 0);
  }

  override pollQueues(): WaitQueue[] {
    return [this.changed];
  }

  override pollable(): boolean {
    return true;
  }
}
