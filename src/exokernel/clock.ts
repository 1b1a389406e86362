// The clock: monotonic time in nanoseconds and one-shot timers on it, and the wall clock. Both
// are read through device models (src/hw/devices): monotonic time is the PIT's oscillator
// (pit.ts), wall time the CMOS RTC (rtc.ts) plus an offset that setting the time changes (the
// host's clock is never read after power-on, and never set).
//
// Monotonic time is a plain number (2^53 ns is 104 days, enough for any run) and reading it
// allocates nothing: the scheduler reads it on every turn. Timers sit in a binary min-heap keyed
// by deadline, so the scheduler finds the next one in constant time and fires the expired ones
// in order.
//
// ClockService is the capability face of the clock, for a library OS: reading time needs
// R_READ, arming and cancelling timers R_CONTROL, setting the wall clock R_WRITE (who may set
// it is the library's policy; the right is the mechanism's).

import { Pit } from "../hw/devices/pit.js";
import { Rtc } from "../hw/devices/rtc.js";
import { systemTime, type HostTime } from "../hw/devices/hosttime.js";
import { CapSpace, CAP_CLOCK, R_ALL, R_READ, R_WRITE, R_CONTROL, type CapHandle } from "./caps.js";
import { IndexedHeap } from "./heap.js";

export interface Timer {
  deadline: number;
  fn: () => void;
  /** Position in the heap, -1 once fired or cancelled. */
  slot: number;
}

const NS = 1000000000n;

export class Clock {
  private readonly heap = new IndexedHeap<Timer>((t) => t.deadline);
  readonly pit: Pit;
  readonly rtc: Rtc;
  /** Wall time minus the RTC's time (ns): what setting the clock changed. */
  private offsetNs = 0n;
  private readonly wall = new Float64Array(2);

  constructor(time: HostTime = systemTime) {
    this.pit = new Pit(time);
    this.rtc = new Rtc(time);
  }

  /** Nanoseconds since the clock was created (monotonic; allocates nothing). */
  now(): number {
    return this.pit.nowNs();
  }

  /** Sets monotonic time back (or on) to `ns`: the state of a snapshot taken at that time,
   *  timers included, is being restored, and time goes on from there. */
  resumeAt(ns: number): void {
    this.pit.setElapsed(ns);
  }

  /** Wall-clock time, nanoseconds since the epoch. */
  realtime(): bigint {
    this.rtc.wallTime(this.wall);
    return BigInt(this.wall[0]) * NS + BigInt(Math.floor(this.wall[1])) + this.offsetNs;
  }

  /** Sets the wall clock to `ns` since the epoch (from now on it advances from there). */
  setRealtime(ns: bigint): void {
    this.offsetNs = 0n;
    this.offsetNs = ns - this.realtime();
  }

  /** Calls `fn` once the clock reaches `deadline` (ns, as now()). */
  at(deadline: number, fn: () => void): Timer {
    const t: Timer = { deadline, fn, slot: -1 };
    this.heap.push(t);
    return t;
  }

  cancel(t: Timer): void {
    if (t.slot < 0) return;
    this.heap.remove(t);
  }

  /** The earliest deadline, or Infinity. */
  next(): number {
    return this.heap.peek()?.deadline ?? Infinity;
  }

  get pending(): number {
    return this.heap.length;
  }

  /** Fires every timer whose deadline has passed; returns how many. */
  fire(now = this.now()): number {
    let n = 0;
    for (let t = this.heap.peek(); t !== undefined && t.deadline <= now; t = this.heap.peek()) {
      this.cancel(t);
      n++;
      t.fn();
    }
    return n;
  }
}

/** The clock behind capabilities. */
export class ClockService {
  constructor(
    private readonly caps: CapSpace,
    private readonly clock: Clock,
  ) {}

  /** A root capability for the clock (the exokernel makes one; a library derives from it). */
  attach(): CapHandle {
    return this.caps.create(CAP_CLOCK, R_ALL, this.clock);
  }

  /** Monotonic nanoseconds (as Clock.now, whose timers and deadlines use the same scale). */
  now(cap: CapHandle): number {
    return this.caps.get<Clock>(cap, CAP_CLOCK, R_READ).now();
  }

  /** Wall-clock nanoseconds since the epoch. */
  realtime(cap: CapHandle): bigint {
    return this.caps.get<Clock>(cap, CAP_CLOCK, R_READ).realtime();
  }

  setRealtime(cap: CapHandle, ns: bigint): void {
    this.caps.get<Clock>(cap, CAP_CLOCK, R_WRITE).setRealtime(ns);
  }

  /** Resolution of both clocks (ns): the host source's, which is finer than any guest asks. */
  resolution(cap: CapHandle): number {
    this.caps.get<Clock>(cap, CAP_CLOCK, R_READ);
    return 1;
  }

  /** Calls `fn` once monotonic time reaches `deadline`; the run loop wakes for it. */
  at(cap: CapHandle, deadline: number, fn: () => void): Timer {
    return this.caps.get<Clock>(cap, CAP_CLOCK, R_CONTROL).at(deadline, fn);
  }

  cancel(cap: CapHandle, t: Timer): void {
    this.caps.get<Clock>(cap, CAP_CLOCK, R_CONTROL).cancel(t);
  }
}
