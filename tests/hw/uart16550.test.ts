// The 16550A UART (hw/devices/uart16550.ts) through its registers only: divisor latch, FIFOs
// and trigger levels, the interrupt priorities and what clears each, line status errors and
// overruns, transmit timing by ticks, break, modem status with loopback, and snapshots.

import { describe, expect, it } from "vitest";
import {
  Uart16550, UART_RBR, UART_THR, UART_DLL, UART_DLM, UART_IER, UART_IIR, UART_FCR, UART_LCR, UART_MCR, UART_LSR, UART_MSR, UART_SCR,
  IER_RDI, IER_THRI, IER_RLSI, IER_MSI, IIR_NO_INT, IIR_RDI, IIR_THRI, IIR_RLSI, IIR_TIMEOUT, IIR_MSI, IIR_FIFOS,
  FCR_ENABLE, FCR_CLEAR_RX, FCR_CLEAR_TX, LCR_DLAB, LCR_SBC, MCR_DTR, MCR_RTS, MCR_OUT1, MCR_OUT2, MCR_LOOP,
  LSR_DR, LSR_OE, LSR_BI, LSR_THRE, LSR_TEMT, LSR_FIFOE, MSR_CTS, MSR_DCD, MSR_DCTS, MSR_DDCD, MSR_RI, MSR_TERI, MSR_DSR,
  type UartBackend,
} from "../../src/hw/devices/uart16550.js";

class Line implements UartBackend {
  sent: number[] = [];
  breaks: boolean[] = [];
  controls: number[] = [];
  transmit(b: number): void {
    this.sent.push(b);
  }
  breakChanged(on: boolean): void {
    this.breaks.push(on);
  }
  controlChanged(mcr: number): void {
    this.controls.push(mcr);
  }
}

function make(): { u: Uart16550; line: Line; irqs: boolean[] } {
  const line = new Line();
  const u = new Uart16550(line);
  const irqs: boolean[] = [];
  u.onIrq = (l) => irqs.push(l);
  return { u, line, irqs };
}

const iid = (u: Uart16550): number => u.read(UART_IIR) & 0x0f;

describe("16550A registers", () => {
  it("powers up with THR empty, no interrupt pending and FIFOs off", () => {
    const { u } = make();
    expect(u.read(UART_LSR)).toBe(LSR_THRE | LSR_TEMT);
    expect(u.read(UART_IIR)).toBe(IIR_NO_INT);
    expect(u.read(UART_IER)).toBe(0);
    expect(u.read(UART_LCR)).toBe(0);
  });

  it("DLAB switches offsets 0 and 1 to the divisor latch, which sets the baud rate", () => {
    const { u, line } = make();
    u.write(UART_LCR, LCR_DLAB | 0x03);
    u.write(UART_DLL, 1);
    u.write(UART_DLM, 0);
    expect(u.baud).toBe(115200);
    u.write(UART_DLL, 0x80);
    u.write(UART_DLM, 0x01);
    expect(u.read(UART_DLL)).toBe(0x80);
    expect(u.read(UART_DLM)).toBe(0x01);
    expect(u.baud).toBe(300);
    // Nothing was transmitted and IER was untouched while DLAB was set.
    expect(line.sent).toEqual([]);
    u.write(UART_LCR, 0x03);
    expect(u.read(UART_IER)).toBe(0);
  });

  it("the scratch register keeps what is written; IER keeps only its four bits", () => {
    const { u } = make();
    u.write(UART_SCR, 0xa5);
    expect(u.read(UART_SCR)).toBe(0xa5);
    u.write(UART_IER, 0xff);
    expect(u.read(UART_IER)).toBe(0x0f);
  });

  it("a written character leaves at the next tick, masked to the word length", () => {
    const { u, line } = make();
    u.write(UART_LCR, 0x02); // 7-bit words
    u.write(UART_THR, 0xc1);
    // THR moved to the shift register at once: THR empty, transmitter not.
    expect(u.read(UART_LSR) & (LSR_THRE | LSR_TEMT)).toBe(LSR_THRE);
    expect(line.sent).toEqual([]);
    u.tick();
    expect(line.sent).toEqual([0x41]);
    expect(u.read(UART_LSR) & (LSR_THRE | LSR_TEMT)).toBe(LSR_THRE | LSR_TEMT);
  });

  it("without FIFOs a second character waits in THR and a third is lost", () => {
    const { u, line } = make();
    u.write(UART_LCR, 0x03);
    for (const c of [1, 2, 3]) u.write(UART_THR, c);
    expect(u.read(UART_LSR) & LSR_THRE).toBe(0);
    u.tick();
    u.tick();
    u.tick();
    expect(line.sent).toEqual([1, 2]);
  });

  it("the transmit FIFO holds 16 characters besides the shift register, in order", () => {
    const { u, line } = make();
    u.write(UART_LCR, 0x03);
    u.write(UART_FCR, FCR_ENABLE);
    for (let k = 0; k < 17; k++) u.write(UART_THR, k);
    u.write(UART_THR, 99); // FIFO full: lost
    expect(u.txPending).toBe(17);
    while (u.txPending > 0) u.tick();
    expect(line.sent).toEqual([...Array(17).keys()]);
  });

  it("FCR reports FIFOs in IIR, and clears them on request", () => {
    const { u, line } = make();
    u.write(UART_LCR, 0x03);
    u.write(UART_FCR, FCR_ENABLE);
    expect(u.read(UART_IIR) & IIR_FIFOS).toBe(IIR_FIFOS);
    for (const b of [10, 11, 12]) u.receive(b);
    for (const b of [1, 2, 3]) u.write(UART_THR, b);
    u.write(UART_FCR, FCR_ENABLE | FCR_CLEAR_RX | FCR_CLEAR_TX);
    expect(u.read(UART_LSR) & LSR_DR).toBe(0);
    u.tick();
    u.tick();
    expect(line.sent).toEqual([1]); // only the shift register's character still went out
    u.write(UART_FCR, 0);
    expect(u.read(UART_IIR) & IIR_FIFOS).toBe(0);
  });

  it("received characters are read in order; LSR.DR follows the FIFO", () => {
    const { u } = make();
    u.write(UART_LCR, 0x03);
    u.write(UART_FCR, FCR_ENABLE);
    for (const b of [0x61, 0x62, 0x63]) expect(u.receive(b)).toBe(true);
    expect(u.rxSpace).toBe(13);
    const got: number[] = [];
    while (u.read(UART_LSR) & LSR_DR) got.push(u.read(UART_RBR));
    expect(got).toEqual([0x61, 0x62, 0x63]);
  });

  it("a 17th character overruns: OE is set until LSR is read, the FIFO keeps the first 16", () => {
    const { u } = make();
    u.write(UART_LCR, 0x03);
    u.write(UART_FCR, FCR_ENABLE);
    for (let k = 0; k < 16; k++) u.receive(k);
    expect(u.receive(16)).toBe(false);
    expect(u.overruns).toBe(1);
    expect(u.read(UART_LSR) & LSR_OE).toBe(LSR_OE);
    expect(u.read(UART_LSR) & LSR_OE).toBe(0);
    const got: number[] = [];
    while (u.read(UART_LSR) & LSR_DR) got.push(u.read(UART_RBR));
    expect(got).toEqual([...Array(16).keys()]);
  });

  it("without FIFOs a new character overwrites an unread one and sets OE", () => {
    const { u } = make();
    u.write(UART_LCR, 0x03);
    u.receive(1);
    u.receive(2);
    expect(u.read(UART_LSR) & (LSR_OE | LSR_DR)).toBe(LSR_OE | LSR_DR);
    expect(u.read(UART_RBR)).toBe(2);
    expect(u.read(UART_LSR) & LSR_DR).toBe(0);
  });

  it("received data interrupts at the trigger level and stops below it", () => {
    const { u, irqs } = make();
    u.write(UART_LCR, 0x03);
    u.write(UART_FCR, FCR_ENABLE | 0x40); // trigger at 4
    u.write(UART_IER, IER_RDI);
    u.write(UART_MCR, MCR_OUT2);
    for (const b of [1, 2, 3]) u.receive(b);
    expect(iid(u)).toBe(IIR_NO_INT);
    expect(u.irq).toBe(false);
    u.receive(4);
    expect(iid(u)).toBe(IIR_RDI);
    expect(u.irq).toBe(true);
    u.read(UART_RBR);
    expect(iid(u)).toBe(IIR_NO_INT);
    expect(irqs).toEqual([true, false]);
  });

  it("characters below the trigger level time out after four idle ticks; reading clears it", () => {
    const { u } = make();
    u.write(UART_LCR, 0x03);
    u.write(UART_FCR, FCR_ENABLE | 0xc0); // trigger at 14
    u.write(UART_IER, IER_RDI);
    u.receive(7);
    for (let k = 0; k < 3; k++) u.tick();
    expect(iid(u)).toBe(IIR_NO_INT);
    u.tick();
    expect(iid(u)).toBe(IIR_TIMEOUT);
    expect(u.read(UART_RBR)).toBe(7);
    expect(iid(u)).toBe(IIR_NO_INT);
  });

  it("THR-empty interrupts when enabled with THR empty; reading IIR or writing THR clears it", () => {
    const { u } = make();
    u.write(UART_LCR, 0x03);
    u.write(UART_IER, IER_THRI);
    expect(iid(u)).toBe(IIR_THRI);
    expect(iid(u)).toBe(IIR_NO_INT); // the read acknowledged it
    u.write(UART_THR, 0x41); // into the shift register: THR empty again
    expect(iid(u)).toBe(IIR_THRI);
    u.write(UART_THR, 0x42); // waits in THR
    expect(iid(u)).toBe(IIR_NO_INT);
    u.tick(); // 0x41 sent, 0x42 moves on: THR empty
    expect(iid(u)).toBe(IIR_THRI);
  });

  it("a break arrives as a zero flagged BI: a line-status interrupt, the highest priority", () => {
    const { u } = make();
    u.write(UART_LCR, 0x03);
    u.write(UART_FCR, FCR_ENABLE);
    u.write(UART_IER, IER_RDI | IER_THRI | IER_RLSI);
    u.receiveBreak();
    expect(iid(u)).toBe(IIR_RLSI);
    const lsr = u.read(UART_LSR);
    expect(lsr & (LSR_BI | LSR_DR | LSR_FIFOE)).toBe(LSR_BI | LSR_DR | LSR_FIFOE);
    // Reported once: the next status read shows the character, not the error.
    expect(u.read(UART_LSR) & LSR_BI).toBe(0);
    expect(iid(u)).toBe(IIR_RDI);
    expect(u.read(UART_RBR)).toBe(0);
  });

  it("setting LCR's break bit tells the line", () => {
    const { u, line } = make();
    u.write(UART_LCR, 0x03 | LCR_SBC);
    u.write(UART_LCR, 0x03);
    expect(line.breaks).toEqual([true, false]);
  });

  it("modem inputs show in MSR with delta bits until read, and interrupt when enabled", () => {
    const { u } = make();
    u.write(UART_IER, IER_MSI);
    u.setInputs(MSR_CTS | MSR_DCD | MSR_RI);
    expect(iid(u)).toBe(IIR_MSI);
    expect(u.read(UART_MSR)).toBe(MSR_CTS | MSR_DCD | MSR_RI | MSR_DCTS | MSR_DDCD);
    expect(u.read(UART_MSR)).toBe(MSR_CTS | MSR_DCD | MSR_RI);
    expect(iid(u)).toBe(IIR_NO_INT);
    u.setInputs(MSR_CTS | MSR_DCD); // RI's trailing edge
    expect(u.read(UART_MSR)).toBe(MSR_CTS | MSR_DCD | MSR_TERI);
  });

  it("loopback sends characters back to the receiver and ties the modem lines to MCR", () => {
    const { u, line } = make();
    u.write(UART_LCR, 0x03);
    u.write(UART_FCR, FCR_ENABLE);
    u.write(UART_MCR, MCR_LOOP | MCR_RTS | MCR_OUT1);
    expect(u.read(UART_MSR) & 0xf0).toBe(MSR_CTS | MSR_RI);
    u.write(UART_MCR, MCR_LOOP | MCR_DTR | MCR_OUT2);
    expect(u.read(UART_MSR) & 0xf0).toBe(MSR_DSR | MSR_DCD);
    u.write(UART_THR, 0x5a);
    u.tick();
    expect(line.sent).toEqual([]);
    expect(u.read(UART_RBR)).toBe(0x5a);
    // The line is disconnected meanwhile.
    expect(u.receive(1)).toBe(false);
    u.write(UART_MCR, MCR_DTR | MCR_RTS);
    expect(line.controls.at(-1)).toBe(MCR_DTR | MCR_RTS);
  });

  it("OUT2 gates the interrupt line", () => {
    const { u } = make();
    u.write(UART_IER, IER_THRI);
    expect(u.irq).toBe(false);
    u.write(UART_MCR, MCR_OUT2);
    expect(u.irq).toBe(true);
  });

  it("a snapshot restores registers, FIFO contents and pending interrupts", () => {
    const { u } = make();
    u.write(UART_LCR, 0x03);
    u.write(UART_FCR, FCR_ENABLE);
    u.write(UART_IER, IER_RDI);
    for (const b of [5, 6]) u.receive(b);
    const snap = u.getState();
    const { u: v } = make();
    v.setState(snap);
    expect(v.read(UART_IIR) & 0x0f).toBe(IIR_RDI);
    expect([v.read(UART_RBR), v.read(UART_RBR)]).toEqual([5, 6]);
    expect(() => v.setState(new Uint8Array(3))).toThrow(RangeError);
  });
});
