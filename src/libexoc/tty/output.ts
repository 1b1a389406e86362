// Output processing of a terminal (POSIX "output modes"): what a program writes and what the
// line discipline echoes both pass through here on their way to the driver. With OPOST set,
// ONLCR turns NL into CR NL, OCRNL turns CR into NL, ONOCR drops a CR in column 0, ONLRET
// makes NL return to column 0, XTABS expands tabs, OLCUC maps to upper case. The current column
// is tracked for erasing echoed tabs.
//
// Echoes are queued as operations (a character, a "^X" pair, column bookkeeping, erasing a tab)
// and run when the driver has room: while output is stopped (^S, tcflow) they wait, and the
// column they work with is the one the screen has when they finally appear.

import { IUTF8, OPOST, OLCUC, ONLCR, OCRNL, ONOCR, ONLRET, TABDLY, XTABS, isCntrl, type Termios } from "./termios.js";

/** Where processed output goes: the terminal's driver (a UART, a pseudo-terminal master). */
export interface TtyOutput {
  /** Bytes the driver can take now (0: the writer must wait). */
  room(): number;
  write(bytes: Uint8Array): void;
  /** Sends a flow-control character ahead of any queued output (IXOFF, tcflow). */
  xchar?(c: number): void;
}

/** Echo operations beyond plain characters (plain characters are queued as their value). */
const OP_CTRL = 0x100; // | c: "^" and c ^ 0x40
const OP_SET_CANON_COL = 0x200; // the canonical line starts at the current column
const OP_BACK_COL = 0x201; // the column moved back one (a multibyte character erased)
const OP_ERASE_TAB = 0x400; // | columns since line start or the previous tab (mod 8) | 0x80 if after a tab
const AFTER_TAB = 0x80;

export class OutputProcessor {
  /** Column the output is in, and where the current canonical line's input started. */
  column = 0;
  canonColumn = 0;
  private echoes: number[] = [];
  private batch: number[] = [];

  constructor(
    private readonly tio: () => Termios,
    private readonly out: TtyOutput,
    /** Whether output is stopped (flow control): nothing is sent then. */
    private readonly stopped: () => boolean,
  ) {}

  private space(): number {
    return this.stopped() ? 0 : this.out.room();
  }

  private send(): void {
    if (this.batch.length === 0) return;
    const b = Uint8Array.from(this.batch);
    this.batch = [];
    this.out.write(b);
  }

  /** One character with OPOST processing into the batch, if `space` allows: the bytes used,
   *  or -1 when it does not fit. */
  private outChar(c: number, space: number): number {
    const t = this.tio();
    if (space <= 0) return -1;
    switch (c) {
      case 0x0a: // NL
        if (t.oflag & ONLRET) this.column = 0;
        if (t.oflag & ONLCR) {
          if (space < 2) return -1;
          this.canonColumn = this.column = 0;
          this.batch.push(0x0d, 0x0a);
          return 2;
        }
        this.canonColumn = this.column;
        break;
      case 0x0d: // CR
        if (t.oflag & ONOCR && this.column === 0) return 0;
        if (t.oflag & OCRNL) {
          c = 0x0a;
          if (t.oflag & ONLRET) this.canonColumn = this.column = 0;
          break;
        }
        this.canonColumn = this.column = 0;
        break;
      case 0x09: {
        // TAB
        const spaces = 8 - (this.column & 7);
        if ((t.oflag & TABDLY) === XTABS) {
          if (space < spaces) return -1;
          this.column += spaces;
          for (let k = 0; k < spaces; k++) this.batch.push(0x20);
          return spaces;
        }
        this.column += spaces;
        break;
      }
      case 0x08: // BS
        if (this.column > 0) this.column--;
        break;
      default:
        if (!isCntrl(c)) {
          if (t.oflag & OLCUC && c >= 0x61 && c <= 0x7a) c -= 0x20;
          if (!this.isContinuation(c)) this.column++;
        }
    }
    this.batch.push(c);
    return 1;
  }

  private isContinuation(c: number): boolean {
    return (this.tio().iflag & IUTF8) !== 0 && (c & 0xc0) === 0x80;
  }

  /** A program's write: as much of `data` as the driver takes (with OPOST processing). Queued
   *  echoes go first. Returns the bytes of `data` consumed. */
  write(data: Uint8Array): number {
    this.runEchoes();
    let space = this.space();
    if (space <= 0) return 0;
    let n = 0;
    if ((this.tio().oflag & OPOST) === 0) {
      n = Math.min(space, data.length);
      this.out.write(data.subarray(0, n));
      return n;
    }
    for (; n < data.length; n++) {
      const used = this.outChar(data[n], space);
      if (used < 0) break;
      space -= used;
    }
    this.send();
    return n;
  }

  // ---- echoes ----

  /** A character echoed as it is (with output processing). */
  echoRaw(c: number): void {
    this.echoes.push(c);
  }

  /** A character echoed as the user sees it typed: control characters as "^X" with ECHOCTL
   *  (`ctl`), except TAB. */
  echoChar(c: number, ctl: boolean): void {
    this.echoes.push(ctl && isCntrl(c) && c !== 0x09 ? OP_CTRL | c : c);
  }

  echoSetCanonCol(): void {
    this.echoes.push(OP_SET_CANON_COL);
  }

  echoMoveBackCol(): void {
    this.echoes.push(OP_BACK_COL);
  }

  /** Erases a tab: `chars` columns were used since the line's start (or since the previous
   *  tab, with `afterTab`). */
  echoEraseTab(chars: number, afterTab: boolean): void {
    this.echoes.push(OP_ERASE_TAB | (chars & 7) | (afterTab ? AFTER_TAB : 0));
  }

  /** Drops echoes not yet shown (a signal character flushing). */
  discardEchoes(): void {
    this.echoes = [];
  }

  /** Runs queued echoes while the driver has room. */
  runEchoes(): void {
    if (this.echoes.length === 0) return;
    let space = this.space();
    const opost = (this.tio().oflag & OPOST) !== 0;
    let k = 0;
    for (; k < this.echoes.length; k++) {
      const op = this.echoes[k];
      if (op === OP_SET_CANON_COL) {
        this.canonColumn = this.column;
      } else if (op === OP_BACK_COL) {
        if (this.column > 0) this.column--;
      } else if ((op & OP_ERASE_TAB) !== 0) {
        let chars = op & 7;
        if ((op & AFTER_TAB) === 0) chars += this.canonColumn;
        const bs = 8 - (chars & 7);
        if (bs > space) break;
        space -= bs;
        for (let i = 0; i < bs; i++) {
          this.batch.push(0x08);
          if (this.column > 0) this.column--;
        }
      } else if ((op & OP_CTRL) !== 0) {
        if (space < 2) break;
        this.batch.push(0x5e, (op & 0xff) ^ 0x40);
        this.column += 2;
        space -= 2;
      } else if (opost) {
        const used = this.outChar(op, space);
        if (used < 0) break;
        space -= used;
      } else {
        if (space <= 0) break;
        this.batch.push(op);
        space--;
      }
    }
    this.echoes.splice(0, k);
    this.send();
  }

  /** Echoes still waiting (output stopped or the driver full). */
  get pendingEchoes(): number {
    return this.echoes.length;
  }
}
