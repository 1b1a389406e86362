// A terminal: a line discipline (ldisc.ts) over a driver (the console's UART, a pseudo-terminal
// master), with what POSIX attaches to a terminal besides its settings: a window size, the
// session it controls and that session's foreground process group, and the open files on it
// (a hangup cuts them all off). Job control and the controlling-terminal rules that use these
// are in jobctl.ts; the open file is ttyfile.ts.
//
// Rules:
// - Signals the line discipline raises (^C, ^\, ^Z, a break) and SIGWINCH go to the foreground
//   process group, from the kernel (SI_KERNEL), as Linux's kill_pgrp(pgrp, sig, 1).
// - A hangup (a pty master closing, the console's session leader exiting) marks every file
//   open on the terminal hung up: reads return 0, writes fail with EIO, poll reports POLLHUP.
//   The session leader gets SIGHUP and SIGCONT, and (when the session leader exits) the
//   foreground group SIGHUP; the session loses its controlling terminal.

import type { System } from "../system.js";
import type { Process } from "../process.js";
import { SIGHUP, SIGCONT, SIGWINCH } from "../signal.js";
import { LineDiscipline, type LdiscEvents } from "./ldisc.js";
import type { TtyOutput } from "./output.js";
import { CSIZE, PARENB, CS8, CREAD, type Termios } from "./termios.js";

/** si_code of signals the kernel raises. */
const SI_KERNEL = 0x80;

export interface Winsize {
  rows: number;
  cols: number;
  xpixel: number;
  ypixel: number;
}

/** What a terminal's driver does besides taking output. */
export interface TtyDriver extends TtyOutput {
  /** "console" for a serial line, "pty" for a pseudo-terminal slave (hangup rules differ). */
  readonly kind: "console" | "pty";
  /** Discards output not yet sent (tcflush TCOFLUSH, a signal character). */
  flushOutput(): void;
  /** Output written but not yet sent (TIOCOUTQ). */
  outq(): number;
  /** Sends a break of about `ms` milliseconds (tcsendbreak). */
  sendBreak(ms: number): void;
  /** The line discipline has room for input again: deliver what was held back. */
  pump(): void;
  /** Discards input received but not yet given to the line discipline (tcflush TCIFLUSH). */
  flushInput?(): void;
  /** A file was opened on the terminal (may refuse with a SysError), or released. */
  opened?(): void;
  released?(): void;
}

/** One open file on a terminal, as the terminal sees it (ttyfile.ts). */
export interface TtyOpening {
  hungUp: boolean;
}

/** What a terminal's line discipline asks of the terminal (an object, not closures, so a
 *  saved system holds it as data). */
export class TtyEvents implements LdiscEvents {
  constructor(private readonly tty: Tty) {}

  signal(sig: number): void {
    this.tty.signalGroup(sig);
  }

  flushOutput(): void {
    this.tty.driver.flushOutput();
  }

  now(): number {
    return this.tty.sys.kernel.clock.now();
  }

  inputRoom(): void {
    this.tty.driver.pump();
  }
}

export class Tty {
  readonly ldisc: LineDiscipline;
  winsize: Winsize = { rows: 0, cols: 0, xpixel: 0, ypixel: 0 };
  /** The session this is the controlling terminal of (0: none), and its foreground group. */
  session = 0;
  pgrp = 0;
  /** The driver's input has ended for good (the console's host input): reads return 0 once
   *  what is buffered was read. */
  inputEnded = false;
  /** Files open on it (a hangup reaches each). */
  readonly files = new Set<TtyOpening>();

  constructor(
    readonly sys: System,
    /** Its name under /dev ("console", "pts/0"). */
    readonly name: string,
    readonly driver: TtyDriver,
    termios: Termios,
  ) {
    this.ldisc = new LineDiscipline(termios, driver, new TtyEvents(this), driver.kind === "console");
  }

  get isPty(): boolean {
    return this.driver.kind === "pty";
  }

  /** Sends `sig` to the foreground process group (nothing if there is none). */
  signalGroup(sig: number, pgid = this.pgrp): void {
    if (pgid === 0) return;
    for (const p of this.sys.group(pgid)) p.signal(sig, { signal: sig, code: SI_KERNEL, addr: 0, pid: 0, uid: 0, trapno: 0, error: 0 });
  }

  /** tcsetattr. A pty's line is always 8 bits without parity, and receiving (as Linux's
   *  pty_set_termios forces). */
  setTermios(t: Termios): void {
    const cflag = this.isPty ? (t.cflag & ~(CSIZE | PARENB)) | CS8 | CREAD : t.cflag;
    this.ldisc.setTermios({ ...t, cflag });
  }

  /** tcflush's input side: the line discipline's buffer and what the driver holds back. */
  flushInput(): void {
    this.driver.flushInput?.();
    this.ldisc.flushInput();
  }

  /** TIOCSWINSZ: a new window size; the foreground group hears of a change (SIGWINCH). */
  resize(ws: Winsize): void {
    const w = this.winsize;
    if (w.rows === ws.rows && w.cols === ws.cols && w.xpixel === ws.xpixel && w.ypixel === ws.ypixel) return;
    this.winsize = { ...ws };
    this.signalGroup(SIGWINCH);
  }

  /** The driver's input ended (the console's host stream closed). */
  endInput(): void {
    this.inputEnded = true;
    this.ldisc.pushLine();
  }

  /** Makes this the controlling terminal of `p`'s session, with `p`'s group in the foreground. */
  attach(p: Process): void {
    this.session = p.sid;
    this.pgrp = p.pgid;
    p.ctty = this;
    p.ttyOldPgrp = 0;
  }

  /** The session no longer has a controlling terminal: every member lets go of it. */
  detachSession(): void {
    if (this.session !== 0) {
      for (const p of this.sys.procs.values()) if (p.sid === this.session && p.ctty === this) p.ctty = null;
    }
    this.session = 0;
    this.pgrp = 0;
  }

  /** Hangs the terminal up (Linux's __tty_hangup): open files are cut off, the session leader
   *  gets SIGHUP and SIGCONT, the foreground group SIGHUP when the session is exiting, and
   *  the session loses its controlling terminal. */
  hangup(exitingSession: boolean): void {
    for (const f of this.files) f.hungUp = true;
    this.files.clear();
    const pgrp = this.pgrp;
    if (this.session !== 0) {
      for (const p of [...this.sys.procs.values()]) {
        if (p.sid !== this.session || p.termination !== null) continue;
        if (p.ctty === this) p.ctty = null;
        if (p.pid !== p.sid) continue;
        for (const sig of [SIGHUP, SIGCONT]) p.signal(sig, { signal: sig, code: SI_KERNEL, addr: 0, pid: 0, uid: 0, trapno: 0, error: 0 });
        p.ttyOldPgrp = pgrp;
      }
    }
    if (exitingSession) this.signalGroup(SIGHUP, pgrp);
    this.session = 0;
    this.pgrp = 0;
    this.ldisc.flushInput();
    this.ldisc.readable.notify();
    this.ldisc.writable.notify();
  }
}
