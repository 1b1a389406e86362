// timerfd: a timer whose expirations are read from a file descriptor (Linux's fs/timerfd.c). It
// counts expirations; a read of 8 bytes takes the count (waiting while it is 0) and clears it,
// so a periodic timer read late reports every expiry it missed. Readable while the count is not
// 0. On the wall clock with TFD_TIMER_ABSTIME it expires at the wall time asked for, as the
// clock read when it was set. (A later change of the wall clock does not move it, and
// TFD_TIMER_CANCEL_ON_SET is accepted without its ECANCELED.)

import { WaitQueue } from "../exokernel/wait.js";
import type { Timer } from "../exokernel/clock.js";
import { block, later } from "./blocking.js";
import { sysError } from "./errors.js";
import { OpenFile, WHOLE_READ_MAX, POLLIN, POLLRDNORM, type FileStat } from "./file.js";
import { anonStat, newAnonIno } from "./sigwait.js";
import { monotonicNs, realtimeNs } from "./time.js";
import type { System } from "./system.js";

export class TimerFd extends OpenFile {
  override splices(): boolean {
    return false;
  }

  private readonly ino = newAnonIno();
  /** Notified at each expiry and when a read takes the count. */
  readonly expirations = new WaitQueue();
  /** Expirations not read yet. */
  ticks = 0;
  /** Monotonic time (ns) of the next expiry, while armed (it may be past: an absolute time
   *  already gone by counts the intervals since as expirations, as Linux's do). */
  expiry = 0;
  armed = false;
  interval = 0;
  private host: Timer | null = null;

  constructor(
    private readonly sys: System,
    /** Whether it runs on the wall clock (CLOCK_REALTIME, its alarm twin), not the monotonic. */
    readonly wall: boolean,
    nonblock: boolean,
  ) {
    super("anon_inode:[timerfd]", { read: true, write: true, append: false, nonblock });
  }

  /** Arms it to expire at `value` ns (on its clock if `abs`, else from now) and every
   *  `interval` ns after; 0 disarms it. Unread expirations are dropped. Returns the setting it
   *  had, as get() reported it. */
  set(value: bigint, interval: bigint, abs: boolean): [number, number] {
    const old = this.get();
    this.cancelHost();
    this.ticks = 0;
    this.armed = false;
    this.interval = 0;
    if (value === 0n) return old;
    const now = monotonicNs(this.sys);
    this.interval = Number(interval);
    if (!abs) this.expiry = now + Math.max(1, Number(value));
    else if (this.wall) this.expiry = now + Number(value - realtimeNs(this.sys));
    else this.expiry = Number(value);
    this.armed = true;
    this.arm();
    return old;
  }

  /** [time to the next expiry, interval] in ns; [0, 0] when disarmed. */
  get(): [number, number] {
    this.catchUp();
    if (!this.armed) return [0, 0];
    return [Math.max(1, this.expiry - monotonicNs(this.sys)), this.interval];
  }

  private arm(): void {
    this.host = this.sys.kernel.clocks.at(this.sys.clockCap, this.expiry, later(this, "expired"));
  }

  private cancelHost(): void {
    if (this.host === null) return;
    this.sys.kernel.clocks.cancel(this.sys.clockCap, this.host);
    this.host = null;
  }

  /** Counts the expirations due by now whose exokernel timer has not gone off yet (it goes
   *  off at the next turn boundary): a read, poll or reading of the time sees every expiry
   *  due, as Linux's does. */
  private catchUp(): void {
    if (!this.armed || monotonicNs(this.sys) < this.expiry) return;
    this.cancelHost();
    this.expired();
  }

  /** Its exokernel timer went off: one expiry, and those a periodic timer missed meanwhile. */
  private expired(): void {
    this.host = null;
    if (!this.armed) return;
    if (this.interval > 0) {
      const now = monotonicNs(this.sys);
      const missed = now > this.expiry ? Math.floor((now - this.expiry) / this.interval) : 0;
      this.ticks += missed + 1;
      this.expiry += (missed + 1) * this.interval;
      this.arm();
    } else {
      this.ticks++;
      this.armed = false;
    }
    this.expirations.notify();
  }

  read(buf: Uint8Array): number {
    if (buf.length < 8) sysError("EINVAL");
    this.catchUp();
    if (this.ticks === 0) {
      if (this.mode.nonblock) sysError("EAGAIN");
      block([this.expirations]);
    }
    new DataView(buf.buffer, buf.byteOffset, 8).setBigUint64(0, BigInt(this.ticks), true);
    this.ticks = 0;
    return 8;
  }

  write(_buf: Uint8Array): number {
    return sysError("EINVAL");
  }

  /** Whole reads: the 8 bytes come in one buffer even where the guest's straddles a page. */
  override wholeReadMax(): number {
    return WHOLE_READ_MAX;
  }

  stat(): FileStat {
    return anonStat(this.ino);
  }

  override poll(): number {
    this.catchUp();
    return this.ticks > 0 ? POLLIN | POLLRDNORM : 0;
  }

  override pollQueues(): WaitQueue[] {
    return [this.expirations];
  }

  override pollable(): boolean {
    return true;
  }

  /** The last descriptor is closed: the timer stops. */
  override release(): void {
    this.cancelHost();
    this.armed = false;
  }
}
