// The kernel's NTP clock discipline as adjtimex and clock_adjtime show it (Linux's
// kernel/time/ntp.c): the status word, frequency and tick corrections, error estimates, time
// constant, TAI offset, the one-shot adjustment of adjtime(3) and a phase-locked loop's phase
// offset. The corrections act on the guest's wall clock (exokernel Clock): the frequency and
// the tick make it run faster or slower, the one-shot adjustment is slewed in at 500 us per
// second, a phase offset decays into it with the loop's time constant, and ADJ_SETOFFSET steps
// it. Leap seconds are announced (the state a read returns) but not inserted, and there is no
// PPS signal (its fields read 0).

import type { Task } from "./task.js";
import { sysError } from "./errors.js";
import { capable, CAP_SYS_TIME } from "./capability.js";
import { clockRead, setClock, CLOCK_REALTIME, NS_PER_S } from "./time.js";

/** struct timex, its fields as numbers (time: seconds and micro- or nanoseconds). */
export interface Timex {
  modes: number;
  offset: number;
  freq: number;
  maxerror: number;
  esterror: number;
  status: number;
  constant: number;
  precision: number;
  tolerance: number;
  sec: number;
  usec: number;
  tick: number;
  ppsfreq: number;
  jitter: number;
  shift: number;
  stabil: number;
  jitcnt: number;
  calcnt: number;
  errcnt: number;
  stbcnt: number;
  tai: number;
}

/** The fields of struct timex after `modes`, in order (each a long but status, shift and tai,
 *  which are ints; `sec` and `usec` are struct timeval's). */
export const TIMEX_FIELDS = ["offset", "freq", "maxerror", "esterror", "status", "constant", "precision", "tolerance", "sec", "usec", "tick", "ppsfreq", "jitter", "shift", "stabil", "jitcnt", "calcnt", "errcnt", "stbcnt", "tai"] as const;

// modes (linux/timex.h)
export const ADJ_OFFSET = 0x0001, ADJ_FREQUENCY = 0x0002, ADJ_MAXERROR = 0x0004, ADJ_ESTERROR = 0x0008;
export const ADJ_STATUS = 0x0010, ADJ_TIMECONST = 0x0020, ADJ_TAI = 0x0080, ADJ_SETOFFSET = 0x0100;
export const ADJ_MICRO = 0x1000, ADJ_NANO = 0x2000, ADJ_TICK = 0x4000;
/** adjtime(3)'s modes: ADJ_ADJTIME with ADJ_OFFSET (user space's ADJ_OFFSET_SINGLESHOT), and
 *  ADJ_OFFSET_READONLY to only read what is left (ADJ_OFFSET_SS_READ). */
const ADJ_ADJTIME = 0x8000, ADJ_OFFSET_READONLY = 0x2000;
// status
export const STA_PLL = 0x0001, STA_PPSFREQ = 0x0002, STA_PPSTIME = 0x0004, STA_FLL = 0x0008, STA_INS = 0x0010, STA_DEL = 0x0020;
export const STA_UNSYNC = 0x0040, STA_FREQHOLD = 0x0080, STA_PPSSIGNAL = 0x0100, STA_PPSJITTER = 0x0200, STA_PPSWANDER = 0x0400;
export const STA_PPSERROR = 0x0800, STA_CLOCKERR = 0x1000, STA_NANO = 0x2000, STA_MODE = 0x4000, STA_CLK = 0x8000;
/** Status bits only the kernel sets. */
const STA_RONLY = STA_PPSSIGNAL | STA_PPSJITTER | STA_PPSWANDER | STA_PPSERROR | STA_CLOCKERR | STA_NANO | STA_MODE | STA_CLK;
// results
export const TIME_OK = 0, TIME_INS = 1, TIME_DEL = 2, TIME_ERROR = 5;

/** USER_HZ: a tick is 10,000 us at the nominal rate; ADJ_TICK takes 90% to 110% of it. */
const USER_HZ = 100;
/** Most frequency correction (ppm), and its scaled form (ppm << 16: `freq`'s unit). */
const MAXFREQ_PPM = 500;
const PPM_SHIFT = 65536;
/** Largest phase offset (ns), TAI offset (s) and time constant; error estimates' start (us). */
const MAXPHASE_NS = 500_000_000;
const MAX_TAI = 100_000;
const MAXTC = 10;
const NTP_PHASE_LIMIT = 16_000_000;
/** The loop's shifts (SHIFT_PLL, SHIFT_FLL) and the update intervals between which it mixes in
 *  the frequency-locked loop (MINSEC, MAXSEC), in seconds. */
const SHIFT_PLL = 2, SHIFT_FLL = 2, MINSEC = 256, MAXSEC = 2048;
/** Slews of the wall clock (Clock.slew): adjtime's, and the phase offset's. */
const SLEW_ADJTIME = 0, SLEW_PHASE = 1;

/** The discipline's state, one per system (as the kernel's is). */
export class NtpState {
  status = STA_UNSYNC;
  /** Frequency correction, in ppm (reported scaled by 2^16). */
  freqPpm = 0;
  maxerror = NTP_PHASE_LIMIT;
  esterror = NTP_PHASE_LIMIT;
  constant = 2;
  tick = 1_000_000 / USER_HZ;
  tai = 0;
  /** Wall-clock second of the last phase offset taken (for the loop's frequency update). */
  reftime = 0;
}

/** Whether the status says the clock is not synchronised (is_error_status). */
function errorStatus(s: number): boolean {
  return (
    (s & (STA_UNSYNC | STA_CLOCKERR)) !== 0 ||
    ((s & (STA_PPSFREQ | STA_PPSTIME)) !== 0 && (s & STA_PPSSIGNAL) === 0) ||
    (s & (STA_PPSTIME | STA_PPSJITTER)) === (STA_PPSTIME | STA_PPSJITTER) ||
    ((s & STA_PPSFREQ) !== 0 && (s & (STA_PPSWANDER | STA_PPSERROR)) !== 0)
  );
}

const clamp = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);

/**
 * adjtimex on the wall clock: checks `tx` (EINVAL, EPERM as timekeeping_validate_timex), makes
 * the changes its modes ask for, fills it with the state after them and returns the clock's
 * state (TIME_OK, TIME_INS, TIME_DEL or TIME_ERROR).
 */
export function adjtimex(t: Task, tx: Timex): number {
  const m = tx.modes >>> 0;
  const root = capable(t.proc, CAP_SYS_TIME);
  if ((m & ADJ_ADJTIME) !== 0) {
    // (adjtime(3): with the single-shot bit, ADJ_OFFSET, and no other)
    if ((m & ADJ_OFFSET) === 0) sysError("EINVAL");
    if ((m & ADJ_OFFSET_READONLY) === 0 && !root) sysError("EPERM");
  } else {
    if (m !== 0 && !root) sysError("EPERM");
    if ((m & ADJ_TICK) !== 0 && (tx.tick < 900_000 / USER_HZ || tx.tick > 1_100_000 / USER_HZ)) sysError("EINVAL");
  }
  if ((m & ADJ_SETOFFSET) !== 0) {
    if (!root) sysError("EPERM");
    const nano = (m & ADJ_NANO) !== 0;
    if (tx.usec < 0 || tx.usec >= (nano ? 1e9 : 1e6)) sysError("EINVAL");
    const ns = clockRead(t, CLOCK_REALTIME) + BigInt(tx.sec) * NS_PER_S + BigInt(nano ? tx.usec : tx.usec * 1000);
    if (ns < 0n) sysError("EINVAL");
    setClock(t, CLOCK_REALTIME, ns);
  }
  const n = t.sys.ntp, clocks = t.kernel.clocks, cap = t.sys.clockCap;
  const now = clockRead(t, CLOCK_REALTIME);
  if ((m & ADJ_ADJTIME) !== 0) {
    const left = (m & ADJ_OFFSET_READONLY) !== 0 ? clocks.slewLeft(cap, SLEW_ADJTIME) : clocks.slew(cap, SLEW_ADJTIME, tx.offset * 1000);
    tx.offset = Math.trunc(left / 1000);
  } else {
    if (m !== 0) applyModes(t, n, tx, m, now);
    const phase = clocks.slewLeft(cap, SLEW_PHASE);
    tx.offset = (n.status & STA_NANO) !== 0 ? Math.round(phase) : Math.trunc(phase / 1000);
  }
  const nano = (n.status & STA_NANO) !== 0;
  tx.freq = Math.round(n.freqPpm * PPM_SHIFT);
  tx.maxerror = n.maxerror;
  tx.esterror = n.esterror;
  tx.status = n.status;
  tx.constant = n.constant;
  tx.precision = 1;
  tx.tolerance = MAXFREQ_PPM * PPM_SHIFT;
  tx.tick = n.tick;
  tx.tai = n.tai;
  tx.ppsfreq = tx.jitter = tx.shift = tx.stabil = tx.jitcnt = tx.calcnt = tx.errcnt = tx.stbcnt = 0;
  tx.sec = Number(now / NS_PER_S);
  const sub = Number(now % NS_PER_S);
  tx.usec = nano ? sub : Math.floor(sub / 1000);
  if (errorStatus(n.status)) return TIME_ERROR;
  return (n.status & STA_INS) !== 0 ? TIME_INS : (n.status & STA_DEL) !== 0 ? TIME_DEL : TIME_OK;
}

/** process_adjtimex_modes: the changes of `tx` that `m` selects, in the kernel's order. */
function applyModes(t: Task, n: NtpState, tx: Timex, m: number, now: bigint): void {
  const sec = Number(now / NS_PER_S);
  if ((m & ADJ_STATUS) !== 0) {
    // (turning the loop off clears its state; turning it on starts its update interval)
    if ((n.status & STA_PLL) !== 0 && (tx.status & STA_PLL) === 0) {
      n.status = STA_UNSYNC;
      t.kernel.clocks.slew(t.sys.clockCap, SLEW_PHASE, 0);
    }
    if ((n.status & STA_PLL) === 0 && (tx.status & STA_PLL) !== 0) n.reftime = sec;
    n.status = (n.status & STA_RONLY) | (tx.status & ~STA_RONLY);
  }
  if ((m & ADJ_NANO) !== 0) n.status |= STA_NANO;
  if ((m & ADJ_MICRO) !== 0) n.status &= ~STA_NANO;
  if ((m & ADJ_FREQUENCY) !== 0) n.freqPpm = clamp(tx.freq / PPM_SHIFT, -MAXFREQ_PPM, MAXFREQ_PPM);
  if ((m & ADJ_MAXERROR) !== 0) n.maxerror = tx.maxerror;
  if ((m & ADJ_ESTERROR) !== 0) n.esterror = tx.esterror;
  if ((m & ADJ_TIMECONST) !== 0) n.constant = clamp(tx.constant + ((n.status & STA_NANO) !== 0 ? 0 : 4), 0, MAXTC);
  if ((m & ADJ_TAI) !== 0 && tx.constant >= 0 && tx.constant <= MAX_TAI) n.tai = tx.constant;
  if ((m & ADJ_OFFSET) !== 0) takeOffset(t, n, tx.offset, sec);
  if ((m & ADJ_TICK) !== 0) n.tick = tx.tick;
  if ((m & (ADJ_TICK | ADJ_FREQUENCY | ADJ_OFFSET)) !== 0) {
    // (the wall clock's rate: the tick's share of a nominal second, and the frequency)
    t.kernel.clocks.setRate(t.sys.clockCap, (n.tick * USER_HZ - 1e6) / 1e6 + n.freqPpm * 1e-6);
  }
}

/** ntp_update_offset: a phase offset measured by the loop (us, or ns with STA_NANO), taken in
 *  only while it runs (STA_PLL): it decays into the clock with the loop's time constant, and
 *  the frequency follows it (the phase-locked loop, and past MINSEC between updates with
 *  STA_FLL, or past MAXSEC, the frequency-locked one). */
function takeOffset(t: Task, n: NtpState, offset: number, sec: number): void {
  if ((n.status & STA_PLL) === 0) return;
  let ns = (n.status & STA_NANO) !== 0 ? offset : clamp(offset, -1e6, 1e6) * 1000;
  ns = clamp(ns, -MAXPHASE_NS, MAXPHASE_NS);
  let secs = (n.status & STA_FREQHOLD) !== 0 ? 0 : sec - n.reftime;
  n.reftime = sec;
  n.status &= ~STA_MODE;
  // (corrections in ns per second, then ppm)
  let adj = 0;
  if (secs >= MINSEC && ((n.status & STA_FLL) !== 0 || secs > MAXSEC)) {
    n.status |= STA_MODE;
    adj = ns / (2 ** SHIFT_FLL * secs);
  }
  secs = Math.min(secs, 2 ** (SHIFT_PLL + 1 + n.constant));
  adj += (ns * secs) / 2 ** (2 * (SHIFT_PLL + 2 + n.constant));
  n.freqPpm = clamp(n.freqPpm + adj / 1000, -MAXFREQ_PPM, MAXFREQ_PPM);
  // (the kernel takes 2^-(SHIFT_PLL + constant) of what is left each second)
  t.kernel.clocks.slew(t.sys.clockCap, SLEW_PHASE, ns, 2 ** (SHIFT_PLL + n.constant) * 1e9);
}
