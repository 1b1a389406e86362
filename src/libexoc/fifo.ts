// Named pipes (FIFOs). The name lives in the file system (a FIFO node made by mknod); the pipe
// itself is one of ours, shared by every guest process that opens the name, so guests talk
// through it exactly as through pipe(2). (A host process opening the same host FIFO meets a
// different pipe: the two do not interoperate.)
//
// Opening follows POSIX and Linux: O_RDWR never waits; O_RDONLY waits until a writer opens
// (at once with O_NONBLOCK); O_WRONLY waits until a reader opens, and with O_NONBLOCK fails with
// ENXIO when there is none. An opener counts as a reader or writer while it waits, so the
// partner it waits for proceeds at once; the pipe and its contents go when the last end closes.

import { WaitQueue } from "../exokernel/wait.js";
import { sysError } from "./errors.js";
import { Pipe, PipeEnd } from "./pipe.js";
import type { FileStat, OpenMode } from "./file.js";
import { later } from "../exokernel/later.js";

/** A pipe behind a FIFO name, with the count of opens of each side (what a waiting opener
 *  watches: its partner may open and close again before it runs). */
export class NamedPipe extends Pipe {
  readerOpens = 0;
  writerOpens = 0;
  /** Notified when either side opens. */
  readonly partner = new WaitQueue();
}

/** One end of a FIFO: a pipe end that reports the FIFO's own status and forgets the pipe when
 *  the last end closes. */
export class FifoEnd extends PipeEnd {
  /** While the opener must wait for its partner: the partner's open count at the start. */
  private waitFrom = -1;

  constructor(
    pipe: NamedPipe,
    mode: OpenMode,
    path: string,
    private readonly st: () => FileStat,
    private readonly gone: () => void,
  ) {
    super(pipe, mode, path);
  }

  private get named(): NamedPipe {
    return this.pipe as NamedPipe;
  }

  /** The queue to wait on before the open completes, or null when it may complete now. */
  openWait(): WaitQueue | null {
    if (this.waitFrom < 0) return null;
    const p = this.named;
    const done = this.mode.read ? p.writers > 0 || p.writerOpens !== this.waitFrom : p.readers > 0 || p.readerOpens !== this.waitFrom;
    if (done) {
      this.waitFrom = -1;
      return null;
    }
    return p.partner;
  }

  /** Marks the open as waiting for the other side (called once, by the table). */
  mustWait(): void {
    const p = this.named;
    this.waitFrom = this.mode.read ? p.writerOpens : p.readerOpens;
  }

  override stat(): FileStat {
    return this.st();
  }

  override release(): void {
    super.release();
    const p = this.named;
    if (p.readers === 0 && p.writers === 0) this.gone();
  }
}

export class FifoTable {
  private readonly pipes = new Map<string, NamedPipe>();

  /** FIFO `key`'s pipe is no longer open anywhere: the next open starts a new one. */
  private forget(key: string, pipe: NamedPipe): void {
    if (this.pipes.get(key) === pipe) this.pipes.delete(key);
  }

  /** Opens the FIFO known by `key` (its file identity). */
  open(key: string, path: string, mode: OpenMode, st: () => FileStat): FifoEnd {
    let p = this.pipes.get(key);
    if (p === undefined) {
      p = new NamedPipe();
      this.pipes.set(key, p);
    }
    const pipe = p;
    const rw = mode.read && mode.write;
    if (!rw && mode.write && mode.nonblock && pipe.readers === 0) {
      if (pipe.writers === 0) this.pipes.delete(key);
      sysError("ENXIO");
    }
    const end = new FifoEnd(pipe, mode, path, st, later(this, "forget", key, pipe));
    if (mode.read) pipe.readerOpens++;
    if (mode.write) pipe.writerOpens++;
    pipe.partner.notify();
    if (!rw && !mode.nonblock && (mode.read ? pipe.writers === 0 : pipe.readers === 0)) end.mustWait();
    return end;
  }
}
