// A Motorola MC146818 real-time clock with its CMOS RAM (the PC's RTC at ports 0x70-0x71): a
// battery-backed calendar clock, an alarm, a periodic interrupt, and 114 bytes of RAM.
//
// Interface, Firecracker style: `read(offset)` / `write(offset, value)` on the two byte
// registers (offset = port - 0x70): offset 0 selects one of 128 CMOS bytes (bit 7 of the value
// masks NMI, kept but unused), offset 1 reads or writes the selected byte. `irq()` is the IRQ 8
// line, and `wallTime()` gives the host side the clock's time at full resolution (a kernel
// reading the registers gets whole seconds and must wait for the update edge to learn more).
//
// Time comes from a host time source: the clock starts at the host's wall time (the battery
// kept it while exojit was off) and then advances with the monotonic source, so setting the
// host's clock later never moves it; only the guest does, through the registers.
//
// What is modelled (from the MC146818A data sheet; numbers are CMOS byte indices):
// - 0x00-0x09: seconds, alarm seconds, minutes, alarm minutes, hours, alarm hours, day of week
//   (1 = Sunday), day of month, month, year (two digits); 0x32 the century (the IBM PC's
//   convention). BCD or binary per register B's DM bit; hours in 24-hour form or 12-hour form
//   (1-12, bit 7 = PM) per its 24/12 bit. Writing a time byte changes the clock at once.
// - Register A (0x0A): UIP (read only) is 1 from 244 us before each update until the update
//   cycle ends (1984 us after the second starts): time bytes read while it is 0 stay valid for
//   at least 244 us. DV (bits 6-4) 010 runs the clock; 11x holds the divider in reset (the
//   clock stops; the first update comes 500 ms after release). RS (bits 3-0) sets the periodic
//   interrupt rate: none, 256 Hz, 128 Hz, then 8192 Hz halving down to 2 Hz at 15.
// - Register B (0x0B): SET stops updates (so software can write the time; clearing it restarts
//   the second), PIE/AIE/UIE enable the periodic, alarm and update-ended interrupts (SET
//   clears UIE), SQWE (kept), DM (1 = binary), 24/12 (1 = 24-hour), DSE (kept, no DST rules).
// - Register C (0x0C, read only): PF, AF and UF are set when their event happens whether or not
//   enabled; IRQF when an enabled one is set. Reading C clears it and lowers IRQ 8.
// - Register D (0x0D, read only): VRT, the battery is good.
// - An alarm byte with its two top bits set matches any value ("don't care").
//
// Nothing ticks: the clock's time, UIP and the flags of register C are computed from the time
// source when read.

import type { HostTime } from "./hosttime.js";

// ---- Bus offsets ----
export const RTC_INDEX = 0; // port 0x70: selects a CMOS byte (bit 7: NMI disable)
export const RTC_DATA = 1; // port 0x71: the selected byte

// ---- CMOS byte indices ----
export const REG_SECONDS = 0x00;
export const REG_SECONDS_ALARM = 0x01;
export const REG_MINUTES = 0x02;
export const REG_MINUTES_ALARM = 0x03;
export const REG_HOURS = 0x04;
export const REG_HOURS_ALARM = 0x05;
export const REG_DAY_OF_WEEK = 0x06;
export const REG_DAY_OF_MONTH = 0x07;
export const REG_MONTH = 0x08;
export const REG_YEAR = 0x09;
export const REG_A = 0x0a;
export const REG_B = 0x0b;
export const REG_C = 0x0c;
export const REG_D = 0x0d;
export const REG_CENTURY = 0x32;
export const CMOS_SIZE = 128;

// ---- Register A ----
export const A_UIP = 0x80; // update in progress (read only)
export const A_DV_MASK = 0x70; // divider control
export const A_DV_NORMAL = 0x20; // 32.768 kHz time base, running
export const A_DV_RESET = 0x60; // 11x: divider held in reset
export const A_RS_MASK = 0x0f; // periodic interrupt rate select

// ---- Register B ----
export const B_SET = 0x80; // halt updates
export const B_PIE = 0x40; // periodic interrupt enable
export const B_AIE = 0x20; // alarm interrupt enable
export const B_UIE = 0x10; // update-ended interrupt enable
export const B_SQWE = 0x08; // square-wave output enable
export const B_DM = 0x04; // data mode: 1 = binary, 0 = BCD
export const B_24H = 0x02; // 1 = 24-hour, 0 = 12-hour with bit 7 of the hours as PM
export const B_DSE = 0x01; // daylight saving enable

// ---- Register C ----
export const C_IRQF = 0x80; // an enabled interrupt flag is set (IRQ 8 asserted)
export const C_PF = 0x40; // periodic
export const C_AF = 0x20; // alarm
export const C_UF = 0x10; // update ended

// ---- Register D ----
export const D_VRT = 0x80; // valid RAM and time (battery good)

/** Hours byte bit 7 in 12-hour mode. */
export const HOUR_PM = 0x80;
/** Alarm bytes with both top bits set match anything. */
const ALARM_DONT_CARE = 0xc0;

/** UIP rises this long before an update and stays up for the update cycle (ns). */
export const UIP_LEAD_NS = 244_000;
export const UPDATE_CYCLE_NS = 1_984_000;
const SEC_NS = 1e9;
/** After the divider leaves reset, the first update comes this much later (ns). */
const RESET_RELEASE_NS = 500_000_000;
const DAY_S = 86400;

/** Periodic interrupt period (ns) for a rate select value, or 0 for none. */
export function periodicNs(rs: number): number {
  if (rs === 0) return 0;
  const hz = rs === 1 ? 256 : rs === 2 ? 128 : 32768 >> (rs - 1);
  return SEC_NS / hz;
}

export class Rtc {
  /** The 128 CMOS bytes; the time bytes, UIP, C and the century are computed, not kept here. */
  private readonly cmos = new Uint8Array(CMOS_SIZE);
  private index = 0;
  /** NMI disabled (bit 7 of the last index written). */
  nmiMasked = false;
  /** While running: the clock showed whole second `baseSec` at monotonic time `baseMono`. */
  private baseSec = 0;
  private baseMono = 0;
  /** While stopped (SET, divider reset): the second it shows. */
  private stoppedSec = -1;
  /** Flags of register C gathered so far, and the time they were gathered up to. */
  private flags = 0;
  private evalMono = 0;

  constructor(private readonly time: HostTime) {
    const ms = time.wallMs();
    const mono = time.monotonicNs();
    this.baseSec = Math.floor(ms / 1000);
    this.baseMono = mono - (ms - this.baseSec * 1000) * 1e6;
    this.evalMono = mono;
    this.cmos[REG_A] = A_DV_NORMAL | 0x06; // what PC firmware leaves: 1024 Hz rate selected
    this.cmos[REG_B] = B_24H;
    for (const r of [REG_SECONDS_ALARM, REG_MINUTES_ALARM, REG_HOURS_ALARM]) this.cmos[r] = 0;
  }

  read(offset: number): number {
    if (offset === RTC_INDEX) return 0xff; // the index register is write-only
    if (offset !== RTC_DATA) return 0xff;
    return this.readByte(this.index);
  }

  write(offset: number, value: number): void {
    value &= 0xff;
    if (offset === RTC_INDEX) {
      this.index = value & 0x7f;
      this.nmiMasked = (value & 0x80) !== 0;
      return;
    }
    if (offset === RTC_DATA) this.writeByte(this.index, value);
  }

  /** IRQ 8: an enabled interrupt flag is set and register C has not been read since. */
  irq(): boolean {
    this.gather();
    return this.irqf();
  }

  /** The clock's time: out[0] = seconds since the epoch, out[1] = nanoseconds into the second
   *  (allocates nothing). */
  wallTime(out: Float64Array): void {
    if (this.stoppedSec >= 0) {
      out[0] = this.stoppedSec;
      out[1] = 0;
      return;
    }
    const d = this.time.monotonicNs() - this.baseMono;
    const s = Math.floor(d / SEC_NS);
    out[0] = this.baseSec + s;
    out[1] = d - s * SEC_NS;
  }

  /** The CMOS bytes as they read now (time and flags included, C not cleared), for snapshots. */
  getState(): Uint8Array {
    this.gather();
    const s = new Uint8Array(CMOS_SIZE);
    for (let i = 0; i < CMOS_SIZE; i++) s[i] = i === REG_C ? this.flags | (this.irqf() ? C_IRQF : 0) : this.readByte(i);
    return s;
  }

  // ---- internals ----

  private get running(): boolean {
    return this.stoppedSec < 0;
  }

  /** Whole seconds shown now. */
  private seconds(): number {
    if (!this.running) return this.stoppedSec;
    return this.baseSec + Math.floor((this.time.monotonicNs() - this.baseMono) / SEC_NS);
  }

  private binary(): boolean {
    return (this.cmos[REG_B] & B_DM) !== 0;
  }

  /** A value (0-99) as the data mode stores it. */
  private enc(v: number): number {
    return this.binary() ? v : ((Math.floor(v / 10) % 10) << 4) | v % 10;
  }

  private dec(b: number): number {
    return this.binary() ? b : (b >>> 4) * 10 + (b & 0xf);
  }

  private encHours(h: number): number {
    if (this.cmos[REG_B] & B_24H) return this.enc(h);
    return this.enc(h % 12 === 0 ? 12 : h % 12) | (h >= 12 ? HOUR_PM : 0);
  }

  private decHours(b: number): number {
    if (this.cmos[REG_B] & B_24H) return this.dec(b);
    const h = this.dec(b & ~HOUR_PM) % 12;
    return (b & HOUR_PM) !== 0 ? h + 12 : h;
  }

  /** A time byte's value at second `sec`. */
  private timeByte(reg: number, sec: number): number {
    const d = new Date(sec * 1000);
    switch (reg) {
      case REG_SECONDS: return this.enc(d.getUTCSeconds());
      case REG_MINUTES: return this.enc(d.getUTCMinutes());
      case REG_HOURS: return this.encHours(d.getUTCHours());
      case REG_DAY_OF_WEEK: return this.enc(d.getUTCDay() + 1);
      case REG_DAY_OF_MONTH: return this.enc(d.getUTCDate());
      case REG_MONTH: return this.enc(d.getUTCMonth() + 1);
      case REG_YEAR: return this.enc(d.getUTCFullYear() % 100);
      default: return this.enc(Math.floor(d.getUTCFullYear() / 100)); // REG_CENTURY
    }
  }

  private isTimeReg(reg: number): boolean {
    return reg === REG_SECONDS || reg === REG_MINUTES || reg === REG_HOURS || reg === REG_DAY_OF_WEEK ||
      reg === REG_DAY_OF_MONTH || reg === REG_MONTH || reg === REG_YEAR || reg === REG_CENTURY;
  }

  private readByte(reg: number): number {
    if (this.isTimeReg(reg)) return this.timeByte(reg, this.seconds());
    switch (reg) {
      case REG_A:
        return (this.cmos[REG_A] & ~A_UIP) | (this.uip() ? A_UIP : 0);
      case REG_C: {
        this.gather();
        const v = this.flags | (this.irqf() ? C_IRQF : 0);
        this.flags = 0;
        return v;
      }
      case REG_D:
        return D_VRT;
      default:
        return this.cmos[reg];
    }
  }

  private writeByte(reg: number, v: number): void {
    if (this.isTimeReg(reg)) return this.setTimeByte(reg, v);
    switch (reg) {
      case REG_A: {
        this.gather();
        const wasReset = (this.cmos[REG_A] & A_DV_RESET) === A_DV_RESET;
        this.cmos[REG_A] = v & ~A_UIP;
        const reset = (v & A_DV_RESET) === A_DV_RESET;
        if (reset && !wasReset) this.stop();
        else if (!reset && wasReset && (this.cmos[REG_B] & B_SET) === 0) this.resume(RESET_RELEASE_NS);
        return;
      }
      case REG_B: {
        this.gather();
        const was = this.cmos[REG_B];
        if (v & B_SET) v &= ~B_UIE;
        this.cmos[REG_B] = v;
        if ((v & B_SET) !== 0 && (was & B_SET) === 0) this.stop();
        else if ((v & B_SET) === 0 && (was & B_SET) !== 0 && (this.cmos[REG_A] & A_DV_RESET) !== A_DV_RESET) this.resume(SEC_NS);
        return;
      }
      case REG_C:
      case REG_D:
        return; // read only
      default:
        this.cmos[reg] = v;
    }
  }

  /** Updates stop: the clock keeps showing the current second. */
  private stop(): void {
    if (!this.running) return;
    this.stoppedSec = this.seconds();
  }

  /** Updates start again: the next one comes `firstNs` from now. */
  private resume(firstNs: number): void {
    if (this.running) return;
    this.baseSec = this.stoppedSec;
    this.baseMono = this.time.monotonicNs() + firstNs - SEC_NS;
    this.stoppedSec = -1;
    this.evalMono = this.time.monotonicNs();
  }

  /** A write to a time byte: the clock shows the date with that field replaced. */
  private setTimeByte(reg: number, v: number): void {
    this.gather();
    const sec = this.seconds();
    const d = new Date(sec * 1000);
    let Y = d.getUTCFullYear(), M = d.getUTCMonth(), D = d.getUTCDate(), h = d.getUTCHours(), m = d.getUTCMinutes(), s = d.getUTCSeconds();
    switch (reg) {
      case REG_SECONDS: s = this.dec(v); break;
      case REG_MINUTES: m = this.dec(v); break;
      case REG_HOURS: h = this.decHours(v); break;
      case REG_DAY_OF_WEEK: return; // follows the date here
      case REG_DAY_OF_MONTH: D = this.dec(v); break;
      case REG_MONTH: M = this.dec(v) - 1; break;
      case REG_YEAR: Y = Math.floor(Y / 100) * 100 + this.dec(v); break;
      default: Y = this.dec(v) * 100 + (Y % 100); // REG_CENTURY
    }
    const next = Math.floor(Date.UTC(Y, M, D, h, m, s) / 1000);
    if (!this.running) {
      this.stoppedSec = next;
    } else {
      this.baseSec += next - sec; // the phase within the second is kept
    }
  }

  /** Update in progress: within UIP_LEAD_NS before a second's end or the update cycle after. */
  private uip(): boolean {
    if (!this.running) return false;
    const into = (this.time.monotonicNs() - this.baseMono) % SEC_NS;
    return into >= SEC_NS - UIP_LEAD_NS || into < UPDATE_CYCLE_NS;
  }

  private irqf(): boolean {
    const b = this.cmos[REG_B];
    return ((this.flags & C_PF) !== 0 && (b & B_PIE) !== 0) || ((this.flags & C_AF) !== 0 && (b & B_AIE) !== 0) || ((this.flags & C_UF) !== 0 && (b & B_UIE) !== 0);
  }

  /** Sets PF, UF and AF for the events between the last look and now. */
  private gather(): void {
    const now = this.time.monotonicNs();
    const from = this.evalMono;
    if (now <= from) return;
    this.evalMono = now;
    const dividerOn = (this.cmos[REG_A] & A_DV_RESET) !== A_DV_RESET;
    const p = periodicNs(this.cmos[REG_A] & A_RS_MASK);
    if (dividerOn && p > 0 && Math.floor((now - this.baseMono) / p) > Math.floor((from - this.baseMono) / p)) this.flags |= C_PF;
    if (!this.running) return;
    const s0 = Math.floor((from - this.baseMono) / SEC_NS), s1 = Math.floor((now - this.baseMono) / SEC_NS);
    if (s1 <= s0) return;
    this.flags |= C_UF;
    // Alarm patterns repeat daily: a day's worth of updates is enough to look at.
    for (let s = Math.max(s0 + 1, s1 - DAY_S); s <= s1 && (this.flags & C_AF) === 0; s++) {
      if (this.alarmMatches(this.baseSec + s)) this.flags |= C_AF;
    }
  }

  private alarmMatches(sec: number): boolean {
    const pairs: [number, number][] = [[REG_SECONDS_ALARM, REG_SECONDS], [REG_MINUTES_ALARM, REG_MINUTES], [REG_HOURS_ALARM, REG_HOURS]];
    for (const [a, r] of pairs) {
      const want = this.cmos[a];
      if ((want & ALARM_DONT_CARE) === ALARM_DONT_CARE) continue;
      if (want !== this.timeByte(r, sec)) return false;
    }
    return true;
  }
}
