// The MC146818 model through its index and data registers, with a hand-moved time source: the
// calendar in BCD and binary, 12- and 24-hour forms, setting the time under SET, UIP around the
// update, the periodic, update and alarm flags of register C and IRQ 8, and CMOS RAM.

import { describe, expect, it } from "vitest";
import { ManualTime } from "../../src/hw/devices/hosttime.js";
import {
  Rtc, RTC_INDEX, RTC_DATA, REG_SECONDS, REG_MINUTES, REG_HOURS, REG_DAY_OF_WEEK, REG_DAY_OF_MONTH, REG_MONTH, REG_YEAR, REG_CENTURY, REG_A, REG_B, REG_C,
  REG_D, REG_SECONDS_ALARM, REG_MINUTES_ALARM, REG_HOURS_ALARM, A_UIP, A_DV_NORMAL, A_DV_RESET, B_SET, B_DM, B_24H, B_PIE, B_UIE, B_AIE, C_IRQF, C_PF,
  C_UF, C_AF, D_VRT, HOUR_PM,
} from "../../src/hw/devices/rtc.js";

/** 2024-02-29 13:45:30.250 UTC, a Thursday. */
const WALL_MS = Date.UTC(2024, 1, 29, 13, 45, 30, 250);

function rig(): { t: ManualTime; rtc: Rtc } {
  const t = new ManualTime(1_000_000_000, WALL_MS - 1000);
  return { t, rtc: new Rtc(t) };
}

function rd(rtc: Rtc, reg: number): number {
  rtc.write(RTC_INDEX, reg);
  return rtc.read(RTC_DATA);
}

function wr(rtc: Rtc, reg: number, v: number): void {
  rtc.write(RTC_INDEX, reg);
  rtc.write(RTC_DATA, v);
}

describe("MC146818 RTC", () => {
  it("starts at the host's wall time and shows it in BCD, 24-hour form, with the IBM century byte", () => {
    const { rtc } = rig();
    expect([REG_SECONDS, REG_MINUTES, REG_HOURS, REG_DAY_OF_MONTH, REG_MONTH, REG_YEAR, REG_CENTURY, REG_DAY_OF_WEEK].map((r) => rd(rtc, r)))
      .toEqual([0x30, 0x45, 0x13, 0x29, 0x02, 0x24, 0x20, 0x05]);
    expect(rd(rtc, REG_D)).toBe(D_VRT);
    const out = new Float64Array(2);
    rtc.wallTime(out);
    expect(out[0]).toBe(Math.floor(WALL_MS / 1000));
    expect(out[1]).toBe(250_000_000);
  });

  it("binary and 12-hour modes change how the same time reads", () => {
    const { rtc } = rig();
    wr(rtc, REG_B, B_DM);
    expect(rd(rtc, REG_HOURS)).toBe(1 | HOUR_PM);
    expect(rd(rtc, REG_MINUTES)).toBe(45);
    wr(rtc, REG_B, 0); // BCD, 12-hour
    expect(rd(rtc, REG_HOURS)).toBe(0x01 | HOUR_PM);
    wr(rtc, REG_B, B_24H | B_DM);
    expect(rd(rtc, REG_YEAR)).toBe(24);
  });

  it("advances with the monotonic source, not the host's wall clock, across a date change", () => {
    const { t, rtc } = rig();
    t.wallAtZeroMs = 0; // the host's clock is set back: the RTC does not care
    t.advance((10 * 3600 + 14 * 60 + 30) * 1e9); // to 2024-03-01 00:00:00.250
    expect([REG_SECONDS, REG_MINUTES, REG_HOURS, REG_DAY_OF_MONTH, REG_MONTH].map((r) => rd(rtc, r))).toEqual([0x00, 0x00, 0x00, 0x01, 0x03]);
  });

  it("SET stops updates while the time is written; clearing it starts the second over", () => {
    const { t, rtc } = rig();
    wr(rtc, REG_B, B_24H | B_SET);
    wr(rtc, REG_YEAR, 0x99);
    wr(rtc, REG_CENTURY, 0x19);
    wr(rtc, REG_MONTH, 0x12);
    wr(rtc, REG_DAY_OF_MONTH, 0x31);
    wr(rtc, REG_HOURS, 0x23);
    wr(rtc, REG_MINUTES, 0x59);
    wr(rtc, REG_SECONDS, 0x58);
    t.advance(5e9);
    expect(rd(rtc, REG_SECONDS)).toBe(0x58);
    wr(rtc, REG_B, B_24H);
    t.advance(0.5e9);
    expect(rd(rtc, REG_SECONDS)).toBe(0x58);
    t.advance(0.5e9);
    expect(rd(rtc, REG_SECONDS)).toBe(0x59);
    t.advance(1e9);
    expect([REG_SECONDS, REG_MINUTES, REG_HOURS, REG_DAY_OF_MONTH, REG_MONTH, REG_YEAR, REG_CENTURY].map((r) => rd(rtc, r)))
      .toEqual([0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x20]);
    const out = new Float64Array(2);
    rtc.wallTime(out);
    expect(out[0]).toBe(Date.UTC(2000, 0, 1) / 1000);
  });

  it("UIP is set from 244 us before an update until the update cycle ends", () => {
    const { t, rtc } = rig(); // 250 ms into a second
    expect(rd(rtc, REG_A) & A_UIP).toBe(0);
    t.advance(750e6 - 300_000);
    expect(rd(rtc, REG_A) & A_UIP).toBe(0);
    t.advance(100_000);
    expect(rd(rtc, REG_A) & A_UIP).toBe(A_UIP);
    t.advance(1_500_000);
    expect(rd(rtc, REG_A) & A_UIP).toBe(A_UIP);
    t.advance(1_000_000);
    expect(rd(rtc, REG_A) & A_UIP).toBe(0);
  });

  it("a divider held in reset stops the clock; the first update comes 500 ms after release", () => {
    const { t, rtc } = rig();
    wr(rtc, REG_A, A_DV_RESET | 6);
    t.advance(3e9);
    expect(rd(rtc, REG_SECONDS)).toBe(0x30);
    wr(rtc, REG_A, A_DV_NORMAL | 6);
    t.advance(0.4e9);
    expect(rd(rtc, REG_SECONDS)).toBe(0x30);
    t.advance(0.2e9);
    expect(rd(rtc, REG_SECONDS)).toBe(0x31);
  });

  it("register C reports periodic and update flags whether enabled or not, IRQF only for enabled ones, and clears on read", () => {
    const { t, rtc } = rig();
    rd(rtc, REG_C);
    wr(rtc, REG_A, A_DV_NORMAL | 15); // 2 Hz periodic rate
    t.advance(0.1e9);
    expect(rd(rtc, REG_C)).toBe(0);
    t.advance(0.2e9); // crosses the half-second tick
    expect(rd(rtc, REG_C)).toBe(C_PF);
    expect(rd(rtc, REG_C)).toBe(0);
    wr(rtc, REG_B, B_24H | B_PIE | B_UIE);
    t.advance(0.7e9); // crosses a second: periodic and update
    expect(rtc.irq()).toBe(true);
    expect(rd(rtc, REG_C)).toBe(C_IRQF | C_PF | C_UF);
    expect(rtc.irq()).toBe(false);
  });

  it("the alarm matches its time, with don't-care bytes matching anything", () => {
    const { t, rtc } = rig(); // 13:45:30.25
    wr(rtc, REG_B, B_24H | B_AIE);
    wr(rtc, REG_SECONDS_ALARM, 0x35);
    wr(rtc, REG_MINUTES_ALARM, 0x45);
    wr(rtc, REG_HOURS_ALARM, 0xc0); // any hour
    rd(rtc, REG_C);
    t.advance(4e9); // 13:45:34
    expect(rd(rtc, REG_C) & C_AF).toBe(0);
    t.advance(1e9); // 13:45:35
    expect(rd(rtc, REG_C) & ~C_PF).toBe(C_IRQF | C_AF | C_UF); // PF: the 1024 Hz rate firmware left
    t.advance(3600e9); // an hour later the same minute and second matched again
    expect(rd(rtc, REG_C) & C_AF).toBe(C_AF);
  });

  it("CMOS RAM bytes keep what is written; C and D are read-only", () => {
    const { rtc } = rig();
    wr(rtc, 0x40, 0xa5);
    wr(rtc, 0x7f, 0x5a);
    expect(rd(rtc, 0x40)).toBe(0xa5);
    expect(rd(rtc, 0x7f)).toBe(0x5a);
    wr(rtc, REG_D, 0);
    expect(rd(rtc, REG_D)).toBe(D_VRT);
    rtc.write(RTC_INDEX, 0x80 | 0x40); // NMI disable bit, index 0x40
    expect(rtc.nmiMasked).toBe(true);
    expect(rtc.read(RTC_DATA)).toBe(0xa5);
    expect(rtc.read(RTC_INDEX)).toBe(0xff);
  });
});
