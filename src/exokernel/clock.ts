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
  /** Wall time minus the RTC's time (ns): what setting the clock changed, and what its rate
   *  and slews had added by `from`. */
  private offsetNs = 0n;
  private readonly wall = new Float64Array(2);
  /** How much faster than the RTC the wall clock runs (ns per ns; setRate), since `from`
   *  (monotonic ns). */
  private rate = 0;
  private from = 0;
  /** Slews under way (slew()) by kind: ns still to add to the wall clock, and the time constant
   *  (ns) of one that decays exponentially, 0 for one at SLEW_RATE. */
  private readonly slews = [0, 0];
  private readonly taus = [0, 0];

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
    this.settle();
    this.pit.setElapsed(ns);
    this.from = ns;
  }

  /** Wall-clock time, nanoseconds since the epoch. */
  realtime(): bigint {
    this.rtc.wallTime(this.wall);
    const base = BigInt(this.wall[0]) * NS + BigInt(Math.floor(this.wall[1])) + this.offsetNs;
    if (this.rate === 0 && this.slews[0] === 0 && this.slews[1] === 0) return base;
    return base + BigInt(Math.round(this.drift(this.now() - this.from, false)));
  }

  /** Sets the wall clock to `ns` since the epoch (from now on it advances from there). */
  setRealtime(ns: bigint): void {
    this.settle();
    this.offsetNs = 0n;
    this.offsetNs = ns - this.realtime();
  }

  /** Makes the wall clock run faster by `rate` ns per ns (negative: slower) from now on, as a
   *  clock disciplined by NTP runs with its frequency and tick corrections (|rate| < 1e-3). */
  setRate(rate: number): void {
    this.settle();
    this.rate = rate;
  }

  /** Slews the wall clock by `ns` (signed) from now on: it runs SLEW_RATE faster or slower
   *  until that much is added, as adjtime does; or, with a time constant `tau` (ns), adds what
   *  is left of it at 1/tau of it per ns, as an NTP phase-locked loop takes in a phase offset.
   *  Two kinds of slew go on independently (the one-shot adjustment and the phase offset); a
   *  new one of a kind replaces what was left of the last. Returns what was left. */
  slew(kind: 0 | 1, ns: number, tau = 0): number {
    this.settle();
    const left = this.slews[kind];
    this.slews[kind] = ns;
    this.taus[kind] = tau;
    return left;
  }

  /** What a slew of `kind` has still to add (ns). */
  slewLeft(kind: 0 | 1): number {
    this.settle();
    return this.slews[kind];
  }

  /** What the rate and the slews add to the wall clock in `dt` ns from `from`; with `take`,
   *  the slews' parts are taken off what they have left. */
  private drift(dt: number, take: boolean): number {
    let d = dt * this.rate;
    for (let k = 0; k < this.slews.length; k++) {
      const done = slewed(this.slews[k], dt, this.taus[k]);
      d += done;
      if (take) this.slews[k] -= done;
    }
    return d;
  }

  /** Folds what the rate and the slews have added so far into the offset. */
  private settle(): void {
    const now = this.now();
    this.offsetNs += BigInt(Math.round(this.drift(now - this.from, true)));
    this.from = now;
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

/** How fast a slew moves the wall clock: 500 us per second, Linux's MAX_TICKADJ for adjtime. */
export const SLEW_RATE = 500e-6;

/** What a slew with `left` ns to go adds in `dt` ns (`tau`: see Clock.slew). Under a
 *  nanosecond left counts as done. */
function slewed(left: number, dt: number, tau: number): number {
  if (left === 0 || dt <= 0) return 0;
  if (tau > 0) {
    const done = left * -Math.expm1(-dt / tau);
    return Math.abs(left - done) < 1 ? left : done;
  }
  const most = dt * SLEW_RATE;
  return left > most ? most : left < -most ? -most : left;
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

  /** Clock.setRate, Clock.slew and Clock.slewLeft. */
  setRate(cap: CapHandle, rate: number): void {
    this.caps.get<Clock>(cap, CAP_CLOCK, R_WRITE).setRate(rate);
  }

  slew(cap: CapHandle, kind: 0 | 1, ns: number, tau = 0): number {
    return this.caps.get<Clock>(cap, CAP_CLOCK, R_WRITE).slew(kind, ns, tau);
  }

  slewLeft(cap: CapHandle, kind: 0 | 1): number {
    return this.caps.get<Clock>(cap, CAP_CLOCK, R_READ).slewLeft(kind);
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
