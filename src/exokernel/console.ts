// The console: a 16550A UART (hw/devices/uart16550.ts) whose serial line is the host's terminal
// (or whatever stream the host side attaches). The exokernel hands it out as a CAP_CONSOLE
// capability; what a terminal means (line editing, echo, signals) is library policy above.
//
// Rules:
// - The guest side sends through the UART's registers: each byte waits for THR to be empty,
//   and the transmitter is clocked until it is idle, so send() returns with every byte handed
//   to the host in order (in one host write per call).
// - The host side is the line: hostInput() queues bytes, which enter the receive FIFO as room
//   allows. Arrivals are an event: the `input` wait queue is notified, so a waiting library
//   object or environment runs again; nothing ever reads the host synchronously.
// - Flow control: hostInput() answers whether more is welcome; when the queue drains below
//   the low-water mark the host's resume() is called (a host stream paused meanwhile).
// - End of host input is the carrier going away: once every queued byte has entered the FIFO,
//   DCD drops, and `carrier` says so.

import { Uart16550, UART_RBR, UART_THR, UART_LSR, UART_LCR, UART_FCR, UART_MCR, UART_MSR, UART_DLL, UART_DLM, LSR_DR, LSR_THRE, LSR_TEMT, LSR_BI, FCR_ENABLE, LCR_DLAB, LCR_SBC, LCR_WLEN, MCR_DTR, MCR_RTS, MCR_OUT2, MSR_CTS, MSR_DSR, MSR_DCD, FIFO_SIZE, type UartBackend } from "../hw/devices/uart16550.js";
import { WaitQueue } from "./wait.js";

/** The host end of the console's line. */
export interface ConsoleHost {
  /** Bytes the guest sent. */
  output(bytes: Uint8Array): void;
  /** The guest sent a break (LCR's set-break bit rose). */
  sendBreak?(): void;
  /** The console can take host input again after hostInput() said it was full. */
  resume?(): void;
}

/** Per-byte receive flags the guest side sees. */
export const CON_BREAK = 1;

/** Host bytes queued beyond the FIFO before the host is asked to wait, and when it may go on. */
const HIGH_WATER = 64 * 1024;
const LOW_WATER = 16 * 1024;
/** LCR for 8-bit words, one stop bit, no parity. */
const LCR_8BITS = LCR_WLEN;

export class Console implements UartBackend {
  readonly uart: Uart16550;
  /** Notified when received bytes wait in the FIFO, or the carrier changed. */
  readonly input = new WaitQueue();
  /** Host bytes not yet in the FIFO (a break is a null entry). */
  private queue: (Uint8Array | null)[] = [];
  private queued = 0;
  private paused = false;
  private ended = false;
  private out: number[] = [];

  constructor(private readonly host: ConsoleHost) {
    this.uart = new Uart16550(this);
    // What firmware would program: 115200 baud 8N1, FIFOs on, DTR, RTS and OUT2 up.
    const u = this.uart;
    u.write(UART_LCR, LCR_DLAB | LCR_8BITS);
    u.write(UART_DLL, 1);
    u.write(UART_DLM, 0);
    u.write(UART_LCR, LCR_8BITS);
    u.write(UART_FCR, FCR_ENABLE);
    u.write(UART_MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
    u.setInputs(MSR_CTS | MSR_DSR | MSR_DCD);
  }

  // ---- UartBackend: the transmitter's line ----

  transmit(byte: number): void {
    this.out.push(byte);
  }

  breakChanged(on: boolean): void {
    if (on) this.host.sendBreak?.();
  }

  // ---- the guest side (through the capability) ----

  /** Sends `bytes` out through the UART; they reach the host before this returns. */
  send(bytes: Uint8Array): number {
    const u = this.uart;
    for (let k = 0; k < bytes.length; k++) {
      while ((u.read(UART_LSR) & LSR_THRE) === 0) u.tick();
      u.write(UART_THR, bytes[k]);
    }
    while ((u.read(UART_LSR) & LSR_TEMT) === 0) u.tick();
    this.flushOut();
    return bytes.length;
  }

  /** Sends a break: the line held at space for `chars` character times. */
  sendBreak(chars: number): void {
    const u = this.uart;
    const lcr = u.read(UART_LCR);
    u.write(UART_LCR, lcr | LCR_SBC);
    for (let k = 0; k < chars; k++) u.tick();
    u.write(UART_LCR, lcr);
  }

  /** Takes received bytes into `dst` (their flags into `flags`: CON_BREAK); returns the count,
   *  0 if nothing has arrived. */
  receive(dst: Uint8Array, flags: Uint8Array): number {
    const u = this.uart;
    let n = 0;
    this.refill();
    while (n < dst.length) {
      // One status read per character: it reports that character's break once.
      const lsr = u.read(UART_LSR);
      if ((lsr & LSR_DR) === 0) break;
      flags[n] = (lsr & LSR_BI) !== 0 ? CON_BREAK : 0;
      dst[n++] = u.read(UART_RBR);
      this.refill();
    }
    return n;
  }

  /** Whether received bytes wait to be taken. (Asked of the line side, not through LSR, whose
   *  reading would consume a waiting character's break report.) */
  get pending(): boolean {
    return this.uart.rxSpace < FIFO_SIZE || this.queue.length > 0;
  }

  /** The carrier (DCD): false once the host's input has ended and every byte was delivered. */
  get carrier(): boolean {
    return (this.uart.read(UART_MSR) & MSR_DCD) !== 0;
  }

  // ---- the host side (the line) ----

  /** Bytes from the host. Returns false when the host should pause until resume(). */
  hostInput(bytes: Uint8Array): boolean {
    if (bytes.length > 0 && !this.ended) {
      this.queue.push(bytes.slice());
      this.queued += bytes.length;
      this.refill();
      this.input.notify();
    }
    if (this.queued >= HIGH_WATER) this.paused = true;
    return !this.paused;
  }

  /** A break from the host. */
  hostBreak(): void {
    this.queue.push(null);
    this.refill();
    this.input.notify();
  }

  /** The host's input ended: the carrier drops once what it sent has been delivered. */
  hostEnd(): void {
    this.ended = true;
    this.refill();
    this.input.notify();
  }

  /** Moves queued host bytes into the receive FIFO while it has room. */
  private refill(): void {
    const u = this.uart;
    while (this.queue.length > 0 && u.rxSpace > 0) {
      const head = this.queue[0];
      if (head === null) {
        u.receiveBreak();
        this.queue.shift();
        continue;
      }
      const k = Math.min(head.length, u.rxSpace);
      for (let i = 0; i < k; i++) u.receive(head[i]);
      this.queued -= k;
      if (k === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(k);
    }
    if (this.ended && this.queue.length === 0 && this.carrier) u.setInputs(MSR_CTS | MSR_DSR);
    if (this.paused && this.queued < LOW_WATER) {
      this.paused = false;
      this.host.resume?.();
    }
  }

  private flushOut(): void {
    if (this.out.length === 0) return;
    const b = Uint8Array.from(this.out);
    this.out = [];
    this.host.output(b);
  }
}
