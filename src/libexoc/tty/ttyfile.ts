// Open files on terminals. TerminalFile is what the ioctl layer recognises: an open terminal
// of either side. TtyFile is the terminal side (the console, /dev/tty, a pty slave): reads and
// writes go through the line discipline with job control, and a hangup leaves the file
// reading 0 and failing writes with EIO. The pty master side is in pty.ts.

import type { WaitQueue } from "../../exokernel/wait.js";
import { OpenFile, WHOLE_READ_MAX, POLLIN, POLLRDNORM, POLLOUT, POLLWRNORM, POLLHUP, POLLERR, type FileStat, type OpenMode } from "../file.js";
import { sysError } from "../errors.js";
import { WouldBlock, RESTART_IF_SA, later, laterFn, partialCount } from "../blocking.js";
import { SIGTTIN, SIGTTOU } from "../signal.js";
import type { Task } from "../task.js";
import { jobControl } from "./jobctl.js";
import { TOSTOP } from "./termios.js";
import type { Tty, TtyOpening } from "./tty.js";
import type { Pty } from "./pty.js";

/** An open terminal, either side. `tty` is the terminal whose settings and job control apply
 *  (a pty master's is its slave); `pty` is set on a master. */
export abstract class TerminalFile extends OpenFile {
  abstract readonly tty: Tty;
  abstract readonly pty: Pty | null;
  /** Cut off by a hangup. */
  hungUp = false;

  override isatty(): boolean {
    return true;
  }

  override pollable(): boolean {
    return true;
  }

  override wholeReadMax(): number {
    return WHOLE_READ_MAX;
  }
}

export class TtyFile extends TerminalFile implements TtyOpening {
  readonly pty: Pty | null = null;

  constructor(
    path: string,
    mode: OpenMode,
    readonly tty: Tty,
    private readonly st: () => FileStat,
  ) {
    super(path, mode);
    // A pty slave counts its openers (and refuses them once locked or its master is gone).
    tty.driver.opened?.();
    tty.files.add(this);
  }

  read(buf: Uint8Array): number {
    return this.readFrom(null, buf);
  }

  override readBy(who: Task, buf: Uint8Array): number {
    return this.readFrom(who, buf);
  }

  private readFrom(who: Task | null, buf: Uint8Array): number {
    if (this.hungUp) return 0;
    if (who !== null) jobControl(who, this.tty, SIGTTIN);
    const ld = this.tty.ldisc;
    const started = who !== null ? who.deadlineAfter(0) : this.tty.sys.kernel.clock.now();
    const r = ld.read(buf, started, this.tty.inputEnded);
    if (typeof r === "number") return r;
    if (this.mode.nonblock) sysError("EAGAIN");
    throw new WouldBlock([ld.readable], r.deadline, RESTART_IF_SA);
  }

  write(buf: Uint8Array): number {
    if (this.hungUp) sysError("EIO");
    return this.writeFrom(buf, 0);
  }

  override writeBy(who: Task, buf: Uint8Array): number {
    if (this.hungUp) sysError("EIO");
    if ((this.tty.ldisc.termios.lflag & TOSTOP) !== 0) jobControl(who, this.tty, SIGTTOU);
    return this.writeFrom(buf, 0);
  }

  /** Writes buf[done..]; a blocking write waits until all of it is taken (or a signal ends the
   *  wait, returning what was written). */
  private writeFrom(buf: Uint8Array, done: number): number {
    const ld = this.tty.ldisc;
    for (;;) {
      if (this.hungUp) {
        if (done > 0) return done;
        sysError("EIO");
      }
      const n = ld.write(buf.subarray(done));
      done += n;
      if (done === buf.length) return done;
      if (n > 0) continue;
      if (this.mode.nonblock) {
        if (done > 0) return done;
        sysError("EAGAIN");
      }
      const at = done;
      throw new WouldBlock([ld.writable], null, RESTART_IF_SA, later(this, "writeFrom", buf, at), laterFn(partialCount, at));
    }
  }

  override poll(): number {
    if (this.hungUp) return POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLERR | POLLHUP;
    const ld = this.tty.ldisc;
    let ev = 0;
    if (ld.inputReady() || this.tty.inputEnded) ev |= POLLIN | POLLRDNORM;
    if (this.tty.inputEnded) ev |= POLLHUP;
    if (!ld.stopped && this.tty.driver.room() > 0) ev |= POLLOUT | POLLWRNORM;
    return ev;
  }

  override pollQueues(): WaitQueue[] {
    return [this.tty.ldisc.readable, this.tty.ldisc.writable];
  }

  override available(): number {
    return this.tty.ldisc.available();
  }

  stat(): FileStat {
    return this.st();
  }

  /** The same terminal opened again (/proc/PID/fd/N): never a new controlling terminal. */
  override reopen(mode: OpenMode): OpenFile {
    if (this.hungUp) sysError("EIO");
    return new TtyFile(this.path, mode, this.tty, this.st);
  }

  override release(): void {
    this.tty.files.delete(this);
    this.tty.driver.released?.();
  }
}
