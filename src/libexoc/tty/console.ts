// The console terminal's driver: the line discipline over the exokernel's console capability
// (a UART whose line is the host's terminal). It waits on the console's input queue like any
// other waiter; when the host sends bytes it takes them from the UART at once and hands them to
// the line discipline, so echo and ^C happen whether or not a program is reading. What the
// line discipline cannot take yet stays in the UART (and the host is paused) until a read
// makes room. When the host's input ends (the carrier drops) the terminal's input ends.

import type { Exokernel } from "../../exokernel/kernel.js";
import type { CapHandle } from "../../exokernel/caps.js";
import { R_READ, R_WRITE } from "../../exokernel/caps.js";
import { CON_BREAK } from "../../exokernel/console.js";
import type { Waiter, WaitQueue } from "../../exokernel/wait.js";
import { RX_BREAK, RX_NORMAL } from "./ldisc.js";
import type { Tty, TtyDriver } from "./tty.js";

/** Bytes taken from the UART per step. */
const CHUNK = 256;

export class ConsoleDriver implements TtyDriver, Waiter {
  readonly kind = "console";
  private tty: Tty | null = null;
  private readonly rx = new Uint8Array(CHUNK);
  private readonly rxFlags = new Uint8Array(CHUNK);
  /** Received bytes the line discipline has not taken yet: rx[heldAt, heldEnd). */
  private heldAt = 0;
  private heldEnd = 0;

  constructor(
    private readonly kernel: Exokernel,
    private readonly cap: CapHandle,
  ) {}

  /** Connects the terminal and starts listening for input. */
  attach(tty: Tty): void {
    this.tty = tty;
    this.kernel.console(this.cap, R_READ).input.add(this);
    this.pump();
  }

  /** The console's input queue was notified: deliver, and go on listening. */
  wake(q: WaitQueue): void {
    this.pump();
    q.add(this);
  }

  room(): number {
    return 1 << 20; // the UART sends synchronously to the host
  }

  write(bytes: Uint8Array): void {
    this.kernel.console(this.cap, R_WRITE).send(bytes);
  }

  xchar(c: number): void {
    this.write(Uint8Array.of(c));
  }

  /** Output reaches the host as it is written: nothing waits to be flushed. */
  flushOutput(): void {}

  outq(): number {
    return 0;
  }

  /** Received bytes the line discipline has not taken yet are dropped. */
  flushInput(): void {
    this.heldAt = this.heldEnd = 0;
  }

  sendBreak(ms: number): void {
    const con = this.kernel.console(this.cap, R_WRITE);
    // A character is ten bit times at the UART's rate.
    con.sendBreak(Math.max(1, Math.ceil((ms * con.uart.baud) / 10_000)));
  }

  /** Moves received bytes into the line discipline while it takes them. (A signal character
   *  flushing the input asks for more from inside; the loop already goes on.) */
  pump(): void {
    const tty = this.tty;
    if (tty === null || this.pumping) return;
    this.pumping = true;
    try {
      this.deliver(tty);
    } finally {
      this.pumping = false;
    }
  }

  private pumping = false;

  private deliver(tty: Tty): void {
    const con = this.kernel.console(this.cap, R_READ);
    for (;;) {
      if (this.heldAt === this.heldEnd) {
        const n = con.receive(this.rx, this.rxFlags);
        if (n === 0) break;
        for (let k = 0; k < n; k++) this.rxFlags[k] = (this.rxFlags[k] & CON_BREAK) !== 0 ? RX_BREAK : RX_NORMAL;
        this.heldAt = 0;
        this.heldEnd = n;
      }
      const took = tty.ldisc.receive(this.rx.subarray(this.heldAt, this.heldEnd), this.rxFlags.subarray(this.heldAt, this.heldEnd));
      this.heldAt += took;
      if (took === 0) return;
    }
    if (!con.pending && !con.carrier && !tty.inputEnded) tty.endInput();
  }
}
