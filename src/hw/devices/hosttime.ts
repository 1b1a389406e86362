// The host's time, as the clock devices see it: the oscillator that drives the PIT (pit.ts) and
// the battery-backed clock the CMOS RTC (rtc.ts) starts from. Devices take it as a parameter, so
// tests drive them with a manual source and step time by hand.

/** A source of host time. Both readings are plain numbers: reading allocates nothing. */
export interface HostTime {
  /** Nanoseconds on a monotonic host clock (any origin; never goes backwards). */
  monotonicNs(): number;
  /** Milliseconds since the Unix epoch on the host's wall clock (read once, at power-on). */
  wallMs(): number;
}

/** Milliseconds on the host's monotonic clock since the process started, at nanosecond
 *  resolution. The same reading as `performance.now()` (near enough the same origin) without its
 *  cost: the `performance` global loads Node's perf_hooks on first use, 2.5 ms of every start-up. */
export function hostNowMs(): number {
  return process.uptime() * 1000;
}

/** The real host: hostNowMs() (sub-microsecond, monotonic) and Date.now(). Shared by
 *  every machine, so frozen: no machine's snapshot keeps or writes it. */
export const systemTime: HostTime = Object.freeze({
  monotonicNs: () => Math.round(hostNowMs() * 1e6),
  wallMs: () => Date.now(),
});

/** A source tests move by hand: `ns` and `wall` are whatever they were last set to. */
export class ManualTime implements HostTime {
  constructor(
    public ns = 0,
    /** Wall clock at ns = 0 (ms since the epoch); the wall reading follows `ns`. */
    public wallAtZeroMs = 0,
  ) {}

  monotonicNs(): number {
    return this.ns;
  }

  wallMs(): number {
    return this.wallAtZeroMs + this.ns / 1e6;
  }

  advance(ns: number): void {
    this.ns += ns;
  }
}
