// An Intel 8254 programmable interval timer (the PC's PIT at ports 0x40-0x43): three 16-bit
// down-counters clocked at 1.193182 MHz. Channel 0's output drives IRQ 0 (the system timer),
// channel 1 once refreshed DRAM, channel 2's output goes to the speaker and its gate to port
// 0x61 bit 0.
//
// Interface, Firecracker style: `read(offset)` / `write(offset, value)` on the four byte
// registers (offset = port - 0x40; the only interface a guest driver sees), plus `setGate` for
// the gate inputs, `edges`/`nextEdgeNs` for whoever turns channel outputs into interrupts, and
// `nowNs` for the host side: the oscillator's elapsed time, which the exokernel's clock reads
// (a kernel counting channel 0's wraps would see the same time, at 838 ns granularity).
//
// Nothing ticks: each channel remembers the input-clock tick at which it (re)started counting,
// and its count and output are computed from the host time source when read. So the model
// costs nothing while nobody looks, whatever the counts.
//
// What is modelled (from the 8254 data sheet):
// - Control word (offset 3): SC selects the channel (3 = read-back), RW the access (0 = counter
//   latch command, 1 = low byte, 2 = high byte, 3 = low then high), M the mode (6 and 7 alias 2
//   and 3), BCD the count format. Writing it stops the channel until a new count is written.
// - A count written is loaded on the next input clock; 0 means 65536 (10000 in BCD). In the
//   low-then-high access, the count is complete after the high byte.
// - Mode 0 (interrupt on terminal count): OUT low, goes high N clocks after the count is
//   loaded and stays high; the counter keeps counting down (wrapping). Gate low pauses it.
// - Mode 1 (hardware one-shot): a rising gate loads the count; OUT low until it expires.
// - Mode 2 (rate generator): OUT high, low for one clock when the count reaches 1, reload: a
//   period of N clocks. Mode 3 (square wave): OUT high for ceil(N/2) clocks, low for
//   floor(N/2), the count going down by two. In both, gate low stops counting and forces OUT
//   high; a rising gate reloads.
// - Modes 4 and 5 (software and hardware strobe): OUT low for one clock when the count expires,
//   no reload (5 starts on a rising gate).
// - Counter latch command and the read-back command (latch counts and/or status bytes of any
//   channels); a latched value is read once, then reads follow the live count again. Status:
//   OUT, null count (a count written but not yet loaded), and the channel's RW, mode and BCD.
//
// Not modelled: reading the odd-count mode 3 sequence exactly (it reads N, N-2, ..., then
// N-1, N-3, ...); a new count written to a running mode 2 or 3 channel takes effect at once
// (the 8254 waits for the end of the period); the short OUT glitches of reprogramming.

import type { HostTime } from "./hosttime.js";

/** Input clock of every channel (Hz): the PC's 14.31818 MHz crystal divided by 12. */
export const PIT_HZ = 1193182;

// ---- Registers (byte offsets from the base port 0x40) ----
export const PIT_COUNTER0 = 0;
export const PIT_COUNTER1 = 1;
export const PIT_COUNTER2 = 2;
/** Control word register (write only; reads return 0xff, as on a real 8254). */
export const PIT_CONTROL = 3;

// ---- Control word fields ----
export const CW_SC_SHIFT = 6; // bits 7-6: the channel, or SC_READBACK
export const SC_READBACK = 3;
export const CW_RW_SHIFT = 4; // bits 5-4: the access
export const RW_LATCH = 0; // counter latch command
export const RW_LO = 1; // low byte only
export const RW_HI = 2; // high byte only
export const RW_LOHI = 3; // low byte, then high byte
export const CW_MODE_SHIFT = 1; // bits 3-1: the mode
export const CW_BCD = 0x01; // bit 0: four-decade BCD count

// ---- Read-back command bits (control word with SC = 3) ----
export const RB_NO_COUNT = 0x20; // 0: latch the selected channels' counts
export const RB_NO_STATUS = 0x10; // 0: latch their status bytes
export const RB_CH0 = 0x02;
export const RB_CH1 = 0x04;
export const RB_CH2 = 0x08;

// ---- Status byte ----
export const ST_OUT = 0x80; // the OUT pin's level
export const ST_NULL_COUNT = 0x40; // a count was written and not loaded yet

export const MODE_TERMINAL = 0, MODE_ONESHOT = 1, MODE_RATE = 2, MODE_SQUARE = 3, MODE_SW_STROBE = 4, MODE_HW_STROBE = 5;

const NS_PER_S = 1e9;

export class Channel {
  mode = MODE_TERMINAL;
  rw = RW_LOHI;
  bcd = false;
  /** The count as the guest wrote it, in binary (1..65536). */
  n = 0x10000;
  /** Input-clock tick at which the count was loaded (counting starts), or -1 while none is. */
  start = -1;
  /** Tick at which a count was written (null count until start). */
  written = -1;
  /** LOHI writes: the low byte is in and the high byte is expected. */
  writeHi = false;
  lowByte = 0;
  /** LOHI reads of the live count: the low byte was read. */
  readHi = false;
  /** A latched count (binary) and which of its bytes are still to be read (LOHI: 2), or -1. */
  latched = -1;
  latchedLeft = 0;
  /** A latched status byte, or -1. */
  status = -1;
  /** Gate input level; while low, ticks counted before it went low (mode 0) or the stop. */
  gate = true;
  pausedAt = -1;
}

export class Pit {
  private readonly ch = [new Channel(), new Channel(), new Channel()];
  /** Host time (ns) at power-on: tick 0. */
  private base: number;
  /** Rising edges already reported by edges(), per channel. */
  private readonly reported = [0, 0, 0];

  constructor(private readonly time: HostTime) {
    this.base = time.monotonicNs();
  }

  /** Nanoseconds since power-on (the oscillator's elapsed time; allocates nothing). */
  nowNs(): number {
    return this.time.monotonicNs() - this.base;
  }

  /** Makes the time since power-on `ns` now: the oscillator goes on from there (a machine
   *  put back to an earlier state goes on from that state's time). */
  setElapsed(ns: number): void {
    this.base = this.time.monotonicNs() - ns;
  }

  /** Input-clock ticks since power-on. */
  tick(): number {
    return Math.floor((this.nowNs() / NS_PER_S) * PIT_HZ);
  }

  read(offset: number): number {
    if (offset === PIT_CONTROL || offset < 0 || offset > PIT_CONTROL) return 0xff;
    const c = this.ch[offset];
    if (c.status >= 0) {
      const s = c.status;
      c.status = -1;
      return s;
    }
    let v: number;
    let hi: boolean;
    if (c.latched >= 0) {
      v = this.encode(c, c.latched);
      hi = c.rw === RW_HI || (c.rw === RW_LOHI && c.latchedLeft === 1);
      if (--c.latchedLeft <= 0) c.latched = -1;
    } else {
      v = this.encode(c, this.count(c, this.tick()));
      hi = c.rw === RW_HI || (c.rw === RW_LOHI && c.readHi);
      if (c.rw === RW_LOHI) c.readHi = !c.readHi;
    }
    return hi ? (v >>> 8) & 0xff : v & 0xff;
  }

  write(offset: number, value: number): void {
    value &= 0xff;
    if (offset === PIT_CONTROL) return this.control(value);
    if (offset < 0 || offset > PIT_COUNTER2) return;
    const c = this.ch[offset];
    let raw: number;
    if (c.rw === RW_LO) raw = value;
    else if (c.rw === RW_HI) raw = value << 8;
    else if (!c.writeHi) {
      c.lowByte = value;
      c.writeHi = true;
      // Mode 0: writing the first byte stops the count (OUT stays low) until the second.
      if (c.mode === MODE_TERMINAL) c.start = -1;
      return;
    } else {
      c.writeHi = false;
      raw = c.lowByte | (value << 8);
    }
    this.load(c, raw);
  }

  /** Sets a channel's gate input (channel 2's is port 0x61 bit 0; the others are tied high). */
  setGate(channel: number, level: boolean): void {
    const c = this.ch[channel];
    if (c.gate === level) return;
    const now = this.tick();
    c.gate = level;
    if (!level) {
      c.pausedAt = now;
      return;
    }
    const pausedAt = c.pausedAt;
    c.pausedAt = -1;
    if (c.written < 0) return;
    if (c.mode === MODE_TERMINAL || c.mode === MODE_SW_STROBE) {
      // Counting resumes where it stopped.
      if (c.start >= 0 && pausedAt >= 0 && pausedAt >= c.start) c.start += now - pausedAt;
    } else {
      // A rising gate (re)triggers modes 1 and 5 and reloads modes 2 and 3.
      c.start = now + 1;
      this.reported[channel] = 0;
    }
  }

  /** The OUT pin of `channel` now. */
  out(channel: number): boolean {
    return this.outAt(this.ch[channel], this.tick());
  }

  /** Rising edges of `channel`'s OUT since the last call (an interrupt controller raises IRQ 0
   *  on channel 0's): at most one for the one-shot modes, one per period for modes 2 and 3. */
  edges(channel: number): number {
    const c = this.ch[channel];
    const total = this.risesUpTo(c, this.tick());
    const n = Math.max(0, total - this.reported[channel]);
    this.reported[channel] = total;
    return n;
  }

  /** Host time (ns since power-on) of `channel`'s next rising edge, or Infinity. */
  nextEdgeNs(channel: number): number {
    const c = this.ch[channel];
    if (c.start < 0 || (!c.gate && c.mode !== MODE_ONESHOT && c.mode !== MODE_HW_STROBE)) return Infinity;
    const t = this.tick();
    let at: number;
    const k = t - c.start;
    switch (c.mode) {
      case MODE_TERMINAL:
      case MODE_ONESHOT:
        at = c.start + c.n;
        if (t >= at) return Infinity;
        break;
      case MODE_SW_STROBE:
      case MODE_HW_STROBE:
        at = c.start + c.n + 1;
        if (t >= at) return Infinity;
        break;
      default:
        at = c.start + (k < 0 ? 1 : Math.floor(k / c.n) + 1) * c.n;
    }
    return Math.ceil((at * NS_PER_S) / PIT_HZ);
  }

  /** The channels' programming and counting state, for snapshots. */
  getState(): Float64Array {
    const s = new Float64Array(3 * 14 + 1);
    s[0] = this.nowNs();
    this.ch.forEach((c, i) => {
      s.set([c.mode, c.rw, c.bcd ? 1 : 0, c.n, c.start, c.written, c.writeHi ? 1 : 0, c.lowByte, c.readHi ? 1 : 0, c.latched, c.latchedLeft, c.status, c.gate ? 1 : 0, c.pausedAt], 1 + i * 14);
    });
    return s;
  }

  setState(s: Float64Array): void {
    // Ticks are relative to power-on; a restored PIT goes on from the saved time.
    const shift = Math.floor((this.nowNs() / NS_PER_S) * PIT_HZ) - Math.floor((s[0] / NS_PER_S) * PIT_HZ);
    const rel = (v: number): number => (v < 0 ? v : v + shift);
    this.ch.forEach((c, i) => {
      const o = 1 + i * 14;
      c.mode = s[o]; c.rw = s[o + 1]; c.bcd = s[o + 2] === 1; c.n = s[o + 3]; c.start = rel(s[o + 4]); c.written = rel(s[o + 5]);
      c.writeHi = s[o + 6] === 1; c.lowByte = s[o + 7]; c.readHi = s[o + 8] === 1; c.latched = s[o + 9]; c.latchedLeft = s[o + 10];
      c.status = s[o + 11]; c.gate = s[o + 12] === 1; c.pausedAt = rel(s[o + 13]);
    });
  }

  // ---- internals ----

  private control(v: number): void {
    const sc = v >>> CW_SC_SHIFT;
    if (sc === SC_READBACK) {
      const now = this.tick();
      for (let i = 0; i < 3; i++) {
        if ((v & (RB_CH0 << i)) === 0) continue;
        const c = this.ch[i];
        if ((v & RB_NO_STATUS) === 0 && c.status < 0) c.status = this.statusByte(c, now);
        if ((v & RB_NO_COUNT) === 0 && c.latched < 0) this.latch(c, now);
      }
      return;
    }
    const c = this.ch[sc];
    const rw = (v >>> CW_RW_SHIFT) & 3;
    if (rw === RW_LATCH) {
      if (c.latched < 0) this.latch(c, this.tick());
      return;
    }
    let mode = (v >>> CW_MODE_SHIFT) & 7;
    if (mode > 5) mode -= 4;
    c.mode = mode;
    c.rw = rw;
    c.bcd = (v & CW_BCD) !== 0;
    c.start = -1;
    c.written = -1;
    c.writeHi = c.readHi = false;
    c.latched = c.status = -1;
    this.reported[sc] = 0;
  }

  /** A complete count arrived: it is loaded on the next clock (or the next gate trigger). */
  private load(c: Channel, raw: number): void {
    let n = c.bcd ? fromBcd(raw) : raw;
    if (n === 0) n = c.bcd ? 10000 : 0x10000;
    const now = this.tick();
    c.n = n;
    c.written = now;
    this.reported[this.ch.indexOf(c)] = 0;
    // Modes 1 and 5 wait for a rising gate; the others load on the next clock.
    c.start = c.mode === MODE_ONESHOT || c.mode === MODE_HW_STROBE ? -1 : now + 1;
  }

  private latch(c: Channel, now: number): void {
    c.latched = this.count(c, now);
    c.latchedLeft = c.rw === RW_LOHI ? 2 : 1;
  }

  private statusByte(c: Channel, now: number): number {
    const nullCount = c.written >= 0 && (c.start < 0 ? c.mode !== MODE_ONESHOT && c.mode !== MODE_HW_STROBE : now < c.start);
    return (this.outAt(c, now) ? ST_OUT : 0) | (nullCount ? ST_NULL_COUNT : 0) | (c.rw << CW_RW_SHIFT) | (c.mode << CW_MODE_SHIFT) | (c.bcd ? CW_BCD : 0);
  }

  /** Clocks counted since the count was loaded, at `now` (gate pauses taken out). */
  private elapsed(c: Channel, now: number): number {
    if (c.start < 0) return -1;
    const at = !c.gate && c.pausedAt >= 0 ? Math.min(now, c.pausedAt) : now;
    return at - c.start;
  }

  /** The counting element's value (binary; 0x10000 reads as 0). */
  private count(c: Channel, now: number): number {
    const k = this.elapsed(c, now);
    const wrap = c.bcd ? 10000 : 0x10000;
    if (k < 0) return c.n % wrap;
    switch (c.mode) {
      case MODE_RATE:
        return (c.n - (k % c.n)) % wrap;
      case MODE_SQUARE: {
        const p = k % c.n;
        const high = Math.ceil(c.n / 2);
        const v = p < high ? c.n - 2 * p : c.n - (c.n & 1) - 2 * (p - high);
        return v % wrap;
      }
      default:
        return (((c.n - k) % wrap) + wrap) % wrap;
    }
  }

  private outAt(c: Channel, now: number): boolean {
    const k = this.elapsed(c, now);
    switch (c.mode) {
      case MODE_TERMINAL:
        return k >= c.n; // low from the control word until the terminal count
      case MODE_ONESHOT:
        return k < 0 || k >= c.n;
      case MODE_RATE:
        if (k < 0 || !c.gate) return true;
        return k % c.n !== c.n - 1;
      case MODE_SQUARE:
        if (k < 0 || !c.gate) return true;
        return k % c.n < Math.ceil(c.n / 2);
      default: // strobes: one low clock at the terminal count
        return k !== c.n;
    }
  }

  /** Rising edges of OUT from the count's load up to `now`. */
  private risesUpTo(c: Channel, now: number): number {
    const k = this.elapsed(c, now);
    if (k < 0) return 0;
    switch (c.mode) {
      case MODE_TERMINAL:
      case MODE_ONESHOT:
        return k >= c.n ? 1 : 0;
      case MODE_RATE:
      case MODE_SQUARE:
        return Math.floor(k / c.n);
      default:
        return k > c.n ? 1 : 0;
    }
  }

  private encode(c: Channel, v: number): number {
    return c.bcd ? toBcd(v) : v & 0xffff;
  }
}

/** Four BCD digits to binary (invalid digits are taken at face value, as the counter does). */
function fromBcd(v: number): number {
  return ((v >>> 12) & 0xf) * 1000 + ((v >>> 8) & 0xf) * 100 + ((v >>> 4) & 0xf) * 10 + (v & 0xf);
}

function toBcd(v: number): number {
  v %= 10000;
  return (Math.floor(v / 1000) << 12) | (Math.floor(v / 100) % 10 << 8) | (Math.floor(v / 10) % 10 << 4) | v % 10;
}
