// The 8254 model through its four byte registers, with a hand-moved time source: modes 0, 2
// and 3, the counter latch and read-back commands, low/high byte access, BCD, the gate, and
// the rising edges that would raise IRQ 0.

import { describe, expect, it } from "vitest";
import { ManualTime } from "../../src/hw/devices/hosttime.js";
import {
  Pit, PIT_HZ, PIT_CONTROL, PIT_COUNTER0, PIT_COUNTER2, RW_LO, RW_HI, RW_LOHI, RW_LATCH, CW_RW_SHIFT, CW_MODE_SHIFT, CW_SC_SHIFT, CW_BCD,
  SC_READBACK, RB_NO_COUNT, RB_NO_STATUS, RB_CH0, RB_CH2, ST_OUT, ST_NULL_COUNT, MODE_TERMINAL, MODE_RATE, MODE_SQUARE,
} from "../../src/hw/devices/pit.js";

/** Nanoseconds covering `ticks` input clocks (rounded up so the tick is reached). */
const ns = (ticks: number): number => Math.ceil((ticks * 1e9) / PIT_HZ);

function rig(): { t: ManualTime; pit: Pit } {
  const t = new ManualTime(5_000_000);
  return { t, pit: new Pit(t) };
}

/** Moves time to exactly `tick` input clocks after power-on. */
function at(t: ManualTime, tick: number): void {
  t.ns = 5_000_000 + ns(tick) + 1;
}

function program(pit: Pit, ch: number, mode: number, count: number, rw = RW_LOHI, bcd = false): void {
  pit.write(PIT_CONTROL, (ch << CW_SC_SHIFT) | (rw << CW_RW_SHIFT) | (mode << CW_MODE_SHIFT) | (bcd ? CW_BCD : 0));
  if (rw === RW_LO) pit.write(ch, count & 0xff);
  else if (rw === RW_HI) pit.write(ch, count >> 8);
  else {
    pit.write(ch, count & 0xff);
    pit.write(ch, count >> 8);
  }
}

function readCount(pit: Pit, ch: number): number {
  return pit.read(ch) | (pit.read(ch) << 8);
}

function latch(pit: Pit, ch: number): void {
  pit.write(PIT_CONTROL, (ch << CW_SC_SHIFT) | (RW_LATCH << CW_RW_SHIFT));
}

describe("8254 PIT", () => {
  it("nowNs is the oscillator's elapsed time since power-on", () => {
    const { t, pit } = rig();
    expect(pit.nowNs()).toBe(0);
    t.advance(123_456);
    expect(pit.nowNs()).toBe(123_456);
  });

  it("mode 0 counts down from the count loaded on the next clock and raises OUT once at terminal count", () => {
    const { t, pit } = rig();
    at(t, 100);
    program(pit, 0, MODE_TERMINAL, 1000);
    expect(pit.out(0)).toBe(false);
    at(t, 101); // loaded on this clock
    latch(pit, 0);
    expect(readCount(pit, 0)).toBe(1000);
    at(t, 600);
    latch(pit, 0);
    expect(readCount(pit, 0)).toBe(501);
    expect(pit.out(0)).toBe(false);
    expect(pit.edges(0)).toBe(0);
    at(t, 1101);
    expect(pit.out(0)).toBe(true);
    expect(pit.edges(0)).toBe(1);
    // The counter wraps and keeps counting; OUT stays high, no further edge.
    at(t, 5000);
    latch(pit, 0);
    expect(readCount(pit, 0)).toBe((1000 - (5000 - 101) + 0x10000) % 0x10000);
    expect(pit.out(0)).toBe(true);
    expect(pit.edges(0)).toBe(0);
    expect(pit.nextEdgeNs(0)).toBe(Infinity);
  });

  it("mode 2 reloads on terminal count: one rising edge per period, OUT low for one clock", () => {
    const { t, pit } = rig();
    program(pit, 0, MODE_RATE, 100);
    at(t, 1 + 99); // count 1: OUT low
    expect(pit.out(0)).toBe(false);
    latch(pit, 0);
    expect(readCount(pit, 0)).toBe(1);
    at(t, 1 + 100); // reloaded
    expect(pit.out(0)).toBe(true);
    latch(pit, 0);
    expect(readCount(pit, 0)).toBe(100);
    expect(pit.edges(0)).toBe(1);
    at(t, 1 + 1050);
    expect(pit.edges(0)).toBe(9);
    expect(pit.nextEdgeNs(0)).toBe(Math.ceil(((1 + 1100) * 1e9) / PIT_HZ));
  });

  it("mode 3 makes a square wave: OUT high for half the period, the count going down by two", () => {
    const { t, pit } = rig();
    program(pit, 0, MODE_SQUARE, 10);
    at(t, 1);
    latch(pit, 0);
    expect(readCount(pit, 0)).toBe(10);
    expect(pit.out(0)).toBe(true);
    at(t, 3);
    latch(pit, 0);
    expect(readCount(pit, 0)).toBe(6);
    at(t, 1 + 5);
    expect(pit.out(0)).toBe(false);
    at(t, 1 + 9);
    expect(pit.out(0)).toBe(false);
    at(t, 1 + 10);
    expect(pit.out(0)).toBe(true);
    expect(pit.edges(0)).toBe(1);
  });

  it("the counter latch freezes the value until both bytes are read; live reads follow the count", () => {
    const { t, pit } = rig();
    program(pit, 0, MODE_RATE, 0x1234);
    at(t, 1 + 0x34);
    latch(pit, 0);
    at(t, 1 + 0x200); // time moves on; the latched value does not
    expect(pit.read(PIT_COUNTER0)).toBe(0x00);
    latch(pit, 0); // a second latch before the first is read is ignored
    expect(pit.read(PIT_COUNTER0)).toBe(0x12);
    expect(readCount(pit, 0)).toBe(0x1234 - 0x200);
  });

  it("low-only and high-only access read and write one byte", () => {
    const { t, pit } = rig();
    program(pit, 0, MODE_RATE, 0x80, RW_LO);
    at(t, 1 + 0x10);
    expect(pit.read(PIT_COUNTER0)).toBe(0x70);
    expect(pit.read(PIT_COUNTER0)).toBe(0x70);
    program(pit, 0, MODE_RATE, 0x0200, RW_HI);
    at(t, 1 + 0x10 + 1 + 0x100);
    expect(pit.read(PIT_COUNTER0)).toBe(0x01);
  });

  it("BCD mode counts in decimal digits", () => {
    const { t, pit } = rig();
    program(pit, 0, MODE_RATE, 0x1000, RW_LOHI, true); // 1000 decimal
    at(t, 1 + 1);
    latch(pit, 0);
    expect(readCount(pit, 0)).toBe(0x0999);
    at(t, 1 + 1000);
    expect(pit.edges(0)).toBe(1);
  });

  it("read-back latches status (OUT, null count, programming) and counts of several channels", () => {
    const { t, pit } = rig();
    program(pit, 0, MODE_RATE, 500);
    pit.write(PIT_CONTROL, (2 << CW_SC_SHIFT) | (RW_LOHI << CW_RW_SHIFT) | (MODE_TERMINAL << CW_MODE_SHIFT));
    pit.write(PIT_COUNTER2, 0x10);
    pit.write(PIT_COUNTER2, 0x00); // 16, written at tick 0: null count until the next clock
    pit.write(PIT_CONTROL, (SC_READBACK << CW_SC_SHIFT) | RB_NO_COUNT | RB_CH2);
    const st = pit.read(PIT_COUNTER2);
    expect(st & ST_NULL_COUNT).toBe(ST_NULL_COUNT);
    expect(st & ST_OUT).toBe(0);
    expect((st >> CW_MODE_SHIFT) & 7).toBe(MODE_TERMINAL);
    expect((st >> CW_RW_SHIFT) & 3).toBe(RW_LOHI);
    at(t, 1 + 20);
    pit.write(PIT_CONTROL, (SC_READBACK << CW_SC_SHIFT) | RB_CH0 | RB_CH2); // counts and status
    expect(pit.read(PIT_COUNTER0) & (ST_OUT | ST_NULL_COUNT)).toBe(ST_OUT);
    expect(readCount(pit, 0)).toBe(480);
    expect(pit.read(PIT_COUNTER2) & ST_OUT).toBe(ST_OUT); // 16 clocks passed: terminal count
    expect(readCount(pit, 2)).toBe((16 - 20 + 0x10000) % 0x10000);
    pit.write(PIT_CONTROL, (SC_READBACK << CW_SC_SHIFT) | RB_NO_STATUS | RB_CH0);
    expect(readCount(pit, 0)).toBe(480);
  });

  it("gate low pauses mode 0 and stops mode 2 with OUT high; a rising gate reloads mode 2", () => {
    const { t, pit } = rig();
    program(pit, 2, MODE_TERMINAL, 100);
    at(t, 1 + 10);
    pit.setGate(2, false);
    at(t, 1 + 500);
    expect(pit.out(2)).toBe(false);
    latch(pit, 2);
    expect(readCount(pit, 2)).toBe(90);
    pit.setGate(2, true);
    at(t, 1 + 500 + 89);
    expect(pit.out(2)).toBe(false);
    at(t, 1 + 500 + 90);
    expect(pit.out(2)).toBe(true);

    program(pit, 2, MODE_RATE, 50);
    const t0 = Math.floor(((t.ns - 5_000_000) / 1e9) * PIT_HZ);
    at(t, t0 + 1 + 49);
    pit.setGate(2, false);
    expect(pit.out(2)).toBe(true);
    at(t, t0 + 300);
    pit.setGate(2, true); // reload on the next clock
    at(t, t0 + 301);
    latch(pit, 2);
    expect(readCount(pit, 2)).toBe(50);
  });

  it("the control register reads as 0xff and unknown offsets are ignored", () => {
    const { pit } = rig();
    expect(pit.read(PIT_CONTROL)).toBe(0xff);
    expect(pit.read(7)).toBe(0xff);
    pit.write(9, 1);
  });
});
