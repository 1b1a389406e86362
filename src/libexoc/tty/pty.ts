// Pseudo-terminals (Unix 98 ptys): opening /dev/ptmx makes a pair, a master file and a slave
// terminal /dev/pts/N. The slave is a full terminal (tty.ts: line discipline, job control);
// the master is the other end of its line: what the master writes is the slave's input, what
// the slave outputs (echo included) the master reads, raw.
//
// Rules, as Linux's pty driver:
// - The slave starts locked: opening it fails with EIO until TIOCSPTLCK unlocks it (unlockpt).
// - Master input waits in a buffer of its own (Linux's flip buffer) while the slave's line
//   discipline is full; a master write waits when that is full too.
// - Before the slave was ever opened a master read waits; once every slave file is closed,
//   a master read returns what is left, then fails with EIO, and poll reports POLLHUP.
// - Closing the master hangs the slave up (its files read 0 and fail writes with EIO, its
//   session leader gets SIGHUP and SIGCONT), and /dev/pts/N goes away.

import { WaitQueue } from "../../exokernel/wait.js";
import { POLLIN, POLLRDNORM, POLLOUT, POLLWRNORM, POLLHUP, type FileStat, type OpenMode } from "../file.js";
import { sysError } from "../errors.js";
import { WouldBlock, RESTART_IF_SA, later, laterFn, partialCount } from "../blocking.js";
import type { System } from "../system.js";
import { N_TTY_BUF_SIZE } from "./ldisc.js";
import { stdTermios, B38400, CS8, CREAD } from "./termios.js";
import { TerminalFile } from "./ttyfile.js";
import { Tty, type TtyDriver } from "./tty.js";

/** Slave output the master has not read (Linux: the master's line discipline buffer plus its
 *  flip buffer), and master input the slave's line discipline has not taken. */
const TO_MASTER_MAX = N_TTY_BUF_SIZE + 8192;
const TO_SLAVE_MAX = 8192;

/** Who keeps the pseudo-terminals (the /dev/pts directory). */
export interface PtyOwner {
  /** `p`'s master closed: the pair goes away. */
  ptyGone(p: Pty): void;
}

/** A byte FIFO made of chunks. */
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  length = 0;

  push(b: Uint8Array): void {
    if (b.length === 0) return;
    this.chunks.push(b.slice());
    this.length += b.length;
  }

  /** Removes up to dst.length bytes into dst; returns the count. */
  take(dst: Uint8Array): number {
    let n = 0;
    while (n < dst.length && this.chunks.length > 0) {
      const c = this.chunks[0];
      const k = Math.min(c.length, dst.length - n);
      dst.set(c.subarray(0, k), n);
      n += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.length -= n;
    return n;
  }

  /** The first chunk, without removing it. */
  peek(): Uint8Array | null {
    return this.chunks[0] ?? null;
  }

  drop(n: number): void {
    const c = this.chunks[0];
    if (n >= c.length) this.chunks.shift();
    else this.chunks[0] = c.subarray(n);
    this.length -= Math.min(n, c.length);
  }

  clear(): void {
    this.chunks = [];
    this.length = 0;
  }
}

export class Pty implements TtyDriver {
  readonly kind = "pty";
  readonly slave: Tty;
  /** Notified when the master has something to read (or the slave side closed). */
  readonly masterReadable = new WaitQueue();
  /** Notified when the master may write again. */
  readonly masterWritable = new WaitQueue();
  private readonly toMaster = new ByteQueue();
  private readonly toSlave = new ByteQueue();
  /** TIOCSPTLCK: the slave cannot be opened while locked. */
  locked = true;
  masterOpen = true;
  private slaveOpeners = 0;
  /** Every slave file has been closed (Linux's TTY_OTHER_CLOSED on the master). */
  slaveClosed = false;

  constructor(
    sys: System,
    readonly index: number,
    /** Told when the master closes (the pair goes away). */
    private readonly owner: PtyOwner,
  ) {
    this.slave = new Tty(sys, `pts/${index}`, this, stdTermios(B38400 | CS8 | CREAD));
  }

  // ---- the slave's driver: its output goes to the master ----

  room(): number {
    return Math.max(0, TO_MASTER_MAX - this.toMaster.length);
  }

  write(bytes: Uint8Array): void {
    this.toMaster.push(bytes);
    this.masterReadable.notify();
  }

  /** Output the slave wrote is already with the master; there is nothing to flush. */
  flushOutput(): void {}

  outq(): number {
    return 0;
  }

  /** Master input the slave has not taken yet goes (its flip buffer). */
  flushInput(): void {
    this.toSlave.clear();
    this.masterWritable.notify();
  }

  sendBreak(_ms: number): void {}

  /** The slave's line discipline has room: master input held back goes in. (A signal
   *  character flushing the input asks for more from inside; the loop already goes on.) */
  pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      this.deliver();
    } finally {
      this.pumping = false;
    }
  }

  private pumping = false;

  private deliver(): void {
    let moved = false;
    for (let c = this.toSlave.peek(); c !== null; c = this.toSlave.peek()) {
      const n = this.slave.ldisc.receive(c);
      if (n === 0) break;
      this.toSlave.drop(n);
      moved = true;
    }
    if (moved) this.masterWritable.notify();
  }

  // ---- the master side ----

  masterRead(dst: Uint8Array, nonblock: boolean): number {
    if (this.toMaster.length > 0) {
      const n = this.toMaster.take(dst.subarray(0, Math.min(dst.length, N_TTY_BUF_SIZE)));
      this.slave.ldisc.outputRoom();
      return n;
    }
    if (this.slaveClosed) sysError("EIO");
    if (nonblock) sysError("EAGAIN");
    throw new WouldBlock([this.masterReadable], null, RESTART_IF_SA);
  }

  /** Master input: as much of `src` as fits beside what the slave has not taken yet. */
  masterWrite(src: Uint8Array): number {
    const n = Math.min(src.length, TO_SLAVE_MAX - this.toSlave.length);
    this.toSlave.push(src.subarray(0, n));
    this.pump();
    return n;
  }

  masterPoll(): number {
    let ev = 0;
    if (this.toMaster.length > 0) ev |= POLLIN | POLLRDNORM;
    if (this.slaveClosed) ev |= POLLHUP;
    if (this.toSlave.length < TO_SLAVE_MAX) ev |= POLLOUT | POLLWRNORM;
    return ev;
  }

  /** Bytes the master could read (its FIONREAD). */
  get masterAvailable(): number {
    return this.toMaster.length;
  }

  /** tcflush from the master: its input is the slave's output, its output the slave's input
   *  not yet taken. */
  masterFlush(input: boolean, output: boolean): void {
    if (input) {
      this.toMaster.clear();
      this.slave.ldisc.outputRoom();
    }
    if (output) {
      this.toSlave.clear();
      this.masterWritable.notify();
    }
  }

  masterClosed(): void {
    this.masterOpen = false;
    this.slave.hangup(false);
    this.owner.ptyGone(this);
  }

  // ---- slave openers ----

  /** A slave open: EIO while locked or once the master has gone. */
  opened(): void {
    if (!this.masterOpen || this.locked) sysError("EIO");
    this.slaveOpeners++;
    this.slaveClosed = false;
  }

  released(): void {
    if (--this.slaveOpeners > 0) return;
    this.slaveClosed = true;
    this.masterReadable.notify();
    this.masterWritable.notify();
  }
}

/** The master end of a pty pair (what opening /dev/ptmx gives). */
export class PtyMasterFile extends TerminalFile {
  constructor(
    path: string,
    mode: OpenMode,
    readonly pty: Pty,
    private readonly st: () => FileStat,
  ) {
    super(path, mode);
  }

  /** Settings, window size and job control of a master are its slave's. */
  get tty(): Tty {
    return this.pty.slave;
  }

  read(buf: Uint8Array): number {
    if (buf.length === 0) return 0;
    return this.pty.masterRead(buf, this.mode.nonblock);
  }

  write(buf: Uint8Array): number {
    return this.writeFrom(buf, 0);
  }

  private writeFrom(buf: Uint8Array, done: number): number {
    for (;;) {
      const n = this.pty.masterWrite(buf.subarray(done));
      done += n;
      if (done === buf.length) return done;
      if (n > 0) continue;
      if (this.mode.nonblock) {
        if (done > 0) return done;
        sysError("EAGAIN");
      }
      const at = done;
      throw new WouldBlock([this.pty.masterWritable], null, RESTART_IF_SA, later(this, "writeFrom", buf, at), laterFn(partialCount, at));
    }
  }

  override poll(): number {
    return this.pty.masterPoll();
  }

  override pollQueues(): WaitQueue[] {
    return [this.pty.masterReadable, this.pty.masterWritable];
  }

  override available(): number {
    return this.pty.masterAvailable;
  }

  stat(): FileStat {
    return this.st();
  }

  override release(): void {
    this.pty.masterClosed();
  }
}
