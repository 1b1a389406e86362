// The terminal line discipline (POSIX "General Terminal Interface"), shared by the console and
// pseudo-terminals: it turns the bytes a driver receives into what programs read, echoes them,
// raises signals, and passes program output through output processing (output.ts).
//
// Input, byte by byte as it arrives (never when a reader asks, so ^C works on a busy program):
// ISTRIP, IUCLC, then the special characters: IXON's START/STOP, ISIG's INTR/QUIT/SUSP (a
// signal to the foreground group; the queues are flushed unless NOFLSH), IGNCR/ICRNL/INLCR,
// and in canonical mode ERASE, KILL, WERASE, LNEXT, REPRINT, EOF, EOL, EOL2 and NL editing the
// current line. A NUL byte is never special (0 disables a control character).
//
// Reading: canonical mode returns at most one line (an EOF character ends a line without being
// returned; alone it reads as end of file). Otherwise VMIN and VTIME choose one of POSIX's
// four cases: MIN=0 TIME=0 returns what is there; MIN>0 TIME=0 waits for MIN bytes; MIN=0
// TIME>0 waits up to TIME tenths for one byte; MIN>0 TIME>0 waits for a first byte, then until
// MIN bytes or TIME tenths pass between bytes. read() never waits itself: it says until when
// the caller should wait (on `readable`), and is called again.
//
// The input buffer holds 4096 bytes, as Linux's n_tty. A full buffer leaves further input with
// the driver (asked for again through inputRoom), except that a canonical line that has no end
// yet keeps taking characters in its last place, so ERASE and NL still work.

import { WaitQueue } from "../../exokernel/wait.js";
import { SIGINT, SIGQUIT, SIGTSTP } from "../signal.js";
import { OutputProcessor, type TtyOutput } from "./output.js";
import {
  IGNBRK, BRKINT, IGNPAR, PARMRK, INPCK, ISTRIP, INLCR, IGNCR, ICRNL, IUCLC, IXON, IXANY, IXOFF, IUTF8,
  ISIG, ICANON, ECHO, ECHOE, ECHOK, ECHONL, NOFLSH, ECHOCTL, ECHOPRT, ECHOKE, IEXTEN,
  VINTR, VQUIT, VERASE, VKILL, VEOF, VTIME, VMIN, VSTART, VSTOP, VSUSP, VEOL, VREPRINT, VWERASE, VLNEXT, VEOL2,
  VDISABLE, isCntrl, isAlnum, copyTermios, type Termios,
} from "./termios.js";
import { later } from "../../exokernel/later.js";

export const N_TTY_BUF_SIZE = 4096;
const MASK = N_TTY_BUF_SIZE - 1;
/** IXOFF sends STOP when less room than this is left, START when the buffer drains below it. */
const THROTTLE_AT = 128;

/** Flags of received bytes (what a UART reports beside each). */
export const RX_NORMAL = 0, RX_BREAK = 1, RX_PARITY = 2, RX_FRAME = 3;

/** What the line discipline asks of the terminal around it. */
export interface LdiscEvents {
  /** Raise `sig` in the terminal's foreground process group (ISIG, BRKINT). */
  signal(sig: number): void;
  /** Discard output the driver has not sent yet (a signal without NOFLSH). */
  flushOutput(): void;
  /** Monotonic time in ns (for VTIME). */
  now(): number;
  /** The input buffer has room again: the driver may deliver input it held back. */
  inputRoom(): void;
}

/** What read() tells its caller to do when it has nothing to return yet. */
export interface ReadWait {
  /** Wait until this clock time at the latest (null: until input arrives). */
  deadline: number | null;
}

export class LineDiscipline {
  private tio: Termios;
  readonly out: OutputProcessor;
  /** Notified when input may have become readable (and on termios changes, hangups). */
  readonly readable = new WaitQueue();
  /** Notified when output may go on (output restarted, the driver made room). */
  readonly writable = new WaitQueue();
  /** Output stopped by STOP (^S) or by tcflow(TCOOFF) (`tcoStopped`). */
  stopped = false;
  tcoStopped = false;
  /** IXOFF sent STOP and START is still due. */
  private throttled = false;
  private readonly buf = new Uint8Array(N_TTY_BUF_SIZE);
  /** Line ends: set at the position of each canonical line's delimiter. */
  private readonly ends = new Uint8Array(N_TTY_BUF_SIZE);
  /** Positions, counting from 0 forever: unread input is [readTail, readHead); complete lines
   *  end before canonHead; lineStart is where the line being read began. */
  private readTail = 0;
  private readHead = 0;
  private canonHead = 0;
  private lineStart = 0;
  private lnext = false;
  /** ECHOPRT's "\" was echoed and the closing "/" is due. */
  private erasing = false;
  /** When input last arrived (clock ns), for VTIME between bytes. */
  private lastInput = 0;

  constructor(
    termios: Termios,
    private readonly driver: TtyOutput,
    private readonly events: LdiscEvents,
    /** Whether IXOFF applies (a serial line; pseudo-terminals are never throttled). */
    private readonly throttles = false,
  ) {
    this.tio = copyTermios(termios);
    this.out = new OutputProcessor(later(this, "currentTermios"), driver, later(this, "outputStopped"));
  }

  /** The settings in force (not a copy: the output processor reads them as they change). */
  private currentTermios(): Termios {
    return this.tio;
  }

  private outputStopped(): boolean {
    return this.stopped;
  }

  get termios(): Termios {
    return copyTermios(this.tio);
  }

  private get icanon(): boolean {
    return (this.tio.lflag & ICANON) !== 0;
  }

  private l(flag: number): boolean {
    return (this.tio.lflag & flag) !== 0;
  }

  private i(flag: number): boolean {
    return (this.tio.iflag & flag) !== 0;
  }

  private cc(k: number): number {
    return this.tio.cc[k];
  }

  /** Bytes of input held (complete lines and the line being edited). */
  get count(): number {
    return this.readHead - this.readTail;
  }

  /** New settings (tcsetattr). Switching canonical mode on makes what is buffered one line;
   *  switching it off makes every buffered byte readable. */
  setTermios(t: Termios): void {
    const old = this.tio;
    this.tio = copyTermios(t);
    if (((old.lflag ^ t.lflag) & ICANON) !== 0) {
      this.ends.fill(0);
      this.lineStart = this.readTail;
      if (!this.icanon || this.count === 0) {
        this.canonHead = this.readTail;
      } else {
        this.ends[(this.readHead - 1) & MASK] = 1;
        this.canonHead = this.readHead;
      }
      this.erasing = false;
      this.lnext = false;
    }
    if ((t.iflag & IXON) === 0 && (old.iflag & IXON) !== 0 && !this.tcoStopped) this.start();
    this.out.runEchoes();
    this.readable.notify();
    this.writable.notify();
  }

  // ---- input ----

  /** Room left in the input buffer for `receive`. */
  private room(): number {
    const left = N_TTY_BUF_SIZE - 1 - this.count;
    if (left > 0) return left;
    // A canonical line with no end yet goes on taking characters (in its last place).
    return this.icanon && this.canonHead === this.readTail ? 1 : 0;
  }

  /** Input from the driver; returns how many bytes were taken (the rest wait for room).
   *  `flags` gives RX_* per byte (all normal when absent). */
  receive(bytes: Uint8Array, flags?: Uint8Array): number {
    let n = 0;
    for (; n < bytes.length; n++) {
      if (this.room() <= 0) break;
      const f = flags?.[n] ?? RX_NORMAL;
      if (f !== RX_NORMAL) this.receiveFlagged(bytes[n], f);
      else this.receiveByte(bytes[n]);
    }
    if (n > 0) this.lastInput = this.events.now();
    this.out.runEchoes();
    if (!this.icanon && this.count > 0) this.readable.notify();
    if (this.throttles && this.i(IXOFF) && !this.throttled && this.room() < THROTTLE_AT && this.cc(VSTOP) !== VDISABLE) {
      this.throttled = true;
      this.xchar(this.cc(VSTOP));
    }
    return n;
  }

  private receiveByte(c: number): void {
    if (this.lnext) {
      this.lnext = false;
      this.receiveNormal(this.preprocess(c));
      return;
    }
    c = this.preprocess(c);
    if (this.isSpecial(c)) this.receiveSpecial(c);
    else this.receiveNormal(c);
  }

  private preprocess(c: number): number {
    if (this.i(ISTRIP)) c &= 0x7f;
    if (this.i(IUCLC) && this.l(IEXTEN) && c >= 0x41 && c <= 0x5a) c += 0x20;
    return c;
  }

  /** Whether `c` needs more than queueing and echoing under the current settings. */
  private isSpecial(c: number): boolean {
    if (c === VDISABLE) return false;
    const t = this.tio;
    if (c === 0x0d && (t.iflag & (IGNCR | ICRNL)) !== 0) return true;
    if (c === 0x0a && (t.iflag & INLCR) !== 0) return true;
    if (this.icanon) {
      if (c === this.cc(VERASE) || c === this.cc(VKILL) || c === this.cc(VEOF) || c === 0x0a || c === this.cc(VEOL)) return true;
      if (this.l(IEXTEN) && (c === this.cc(VWERASE) || c === this.cc(VLNEXT) || c === this.cc(VEOL2))) return true;
      if (this.l(IEXTEN) && this.l(ECHO) && c === this.cc(VREPRINT)) return true;
    }
    if (this.i(IXON) && (c === this.cc(VSTART) || c === this.cc(VSTOP))) return true;
    if (this.l(ISIG) && (c === this.cc(VINTR) || c === this.cc(VQUIT) || c === this.cc(VSUSP))) return true;
    return false;
  }

  private receiveNormal(c: number): void {
    this.restartOnAny();
    if (this.l(ECHO)) {
      this.finishErasing();
      if (this.canonHead === this.readHead) this.out.echoSetCanonCol();
      this.out.echoChar(c, this.l(ECHOCTL));
    }
    if (c === 0xff && this.i(PARMRK)) this.put(c);
    this.put(c);
  }

  /** IXANY: any character restarts stopped output. */
  private restartOnAny(): void {
    if (this.stopped && !this.tcoStopped && this.i(IXON) && this.i(IXANY)) this.start();
  }

  private receiveSpecial(c: number): void {
    if (this.i(IXON)) {
      if (c === this.cc(VSTART)) {
        this.start();
        return;
      }
      if (c === this.cc(VSTOP)) {
        this.stopped = true;
        return;
      }
    }
    if (this.l(ISIG)) {
      const sig = c === this.cc(VINTR) ? SIGINT : c === this.cc(VQUIT) ? SIGQUIT : c === this.cc(VSUSP) ? SIGTSTP : 0;
      if (sig !== 0) {
        this.signalChar(sig, c);
        return;
      }
    }
    this.restartOnAny();
    if (c === 0x0d) {
      if (this.i(IGNCR)) return;
      if (this.i(ICRNL)) c = 0x0a;
    } else if (c === 0x0a && this.i(INLCR)) {
      c = 0x0d;
    }
    if (this.icanon && this.receiveEditing(c)) return;
    if (this.l(ECHO)) {
      this.finishErasing();
      if (c === 0x0a) {
        this.out.echoRaw(c);
      } else {
        if (this.canonHead === this.readHead) this.out.echoSetCanonCol();
        this.out.echoChar(c, this.l(ECHOCTL));
      }
    }
    if (c === 0xff && this.i(PARMRK)) this.put(c);
    this.put(c);
  }

  /** The canonical-mode editing characters; false if `c` is not one of them. */
  private receiveEditing(c: number): boolean {
    const iexten = this.l(IEXTEN);
    if (c === this.cc(VERASE) || c === this.cc(VKILL) || (iexten && c === this.cc(VWERASE))) {
      this.eraser(c);
      return true;
    }
    if (iexten && c === this.cc(VLNEXT)) {
      this.lnext = true;
      if (this.l(ECHO)) {
        this.finishErasing();
        if (this.l(ECHOCTL)) {
          this.out.echoRaw(0x5e); // "^" then back over it: the next character replaces it
          this.out.echoRaw(0x08);
        }
      }
      return true;
    }
    if (iexten && this.l(ECHO) && c === this.cc(VREPRINT)) {
      this.finishErasing();
      this.out.echoChar(c, this.l(ECHOCTL));
      this.out.echoRaw(0x0a);
      for (let k = this.canonHead; k !== this.readHead; k++) this.out.echoChar(this.buf[k & MASK], this.l(ECHOCTL));
      return true;
    }
    if (c === 0x0a) {
      if (this.l(ECHO) || this.l(ECHONL)) this.out.echoRaw(0x0a);
      this.endLine(c);
      return true;
    }
    if (c === this.cc(VEOF)) {
      // The EOF character ends the line without being returned (it is kept as a NUL marker).
      this.endLine(VDISABLE);
      return true;
    }
    if (c === this.cc(VEOL) || (iexten && c === this.cc(VEOL2))) {
      if (this.l(ECHO)) {
        if (this.canonHead === this.readHead) this.out.echoSetCanonCol();
        this.out.echoChar(c, this.l(ECHOCTL));
      }
      if (c === 0xff && this.i(PARMRK)) this.put(c);
      this.endLine(c);
      return true;
    }
    return false;
  }

  private put(c: number): void {
    // A full buffer only reaches here for a canonical line without an end: it keeps taking
    // characters in its last place.
    if (this.count >= N_TTY_BUF_SIZE - 1) this.readHead--;
    this.buf[this.readHead & MASK] = c;
    this.ends[this.readHead & MASK] = 0;
    this.readHead++;
  }

  private endLine(c: number): void {
    this.put(c);
    this.ends[(this.readHead - 1) & MASK] = 1;
    this.canonHead = this.readHead;
    this.readable.notify();
  }

  private finishErasing(): void {
    if (!this.erasing) return;
    this.out.echoRaw(0x2f); // "/"
    this.erasing = false;
  }

  private isContinuation(c: number): boolean {
    return this.i(IUTF8) && (c & 0xc0) === 0x80;
  }

  /** ERASE, WERASE and KILL: remove characters of the line being edited, echoing the erasure
   *  as the ECHO* flags ask. */
  private eraser(c: number): void {
    if (this.readHead === this.canonHead) return;
    const ctl = this.l(ECHOCTL);
    const kind = c === this.cc(VERASE) ? "erase" : c === this.cc(VWERASE) ? "werase" : "kill";
    if (kind === "kill") {
      if (!this.l(ECHO)) {
        this.readHead = this.canonHead;
        return;
      }
      if (!this.l(ECHOK) || !this.l(ECHOKE) || !this.l(ECHOE)) {
        this.readHead = this.canonHead;
        this.finishErasing();
        this.out.echoChar(this.cc(VKILL), ctl);
        if (this.l(ECHOK)) this.out.echoRaw(0x0a);
        return;
      }
    }
    let seenAlnums = 0;
    while (this.readHead !== this.canonHead) {
      let head = this.readHead;
      let ch: number;
      do {
        head--;
        ch = this.buf[head & MASK];
      } while (this.isContinuation(ch) && head !== this.canonHead);
      if (this.isContinuation(ch)) break; // never erase part of a character
      if (kind === "werase") {
        if (isAlnum(ch) || ch === 0x5f) seenAlnums++;
        else if (seenAlnums > 0) break;
      }
      const cnt = this.readHead - head;
      this.readHead = head;
      if (this.l(ECHO)) this.echoErased(ch, cnt, head, kind === "erase");
      if (kind === "erase") break;
    }
    if (this.readHead === this.canonHead && this.l(ECHO)) this.finishErasing();
  }

  /** Echoes the erasure of character `ch` (`cnt` bytes at `head`). */
  private echoErased(ch: number, cnt: number, head: number, erase: boolean): void {
    const ctl = this.l(ECHOCTL);
    if (this.l(ECHOPRT)) {
      if (!this.erasing) {
        this.out.echoRaw(0x5c); // "\"
        this.erasing = true;
      }
      this.out.echoChar(ch, ctl);
      while (--cnt > 0) {
        head++;
        this.out.echoRaw(this.buf[head & MASK]);
        this.out.echoMoveBackCol();
      }
    } else if (erase && !this.l(ECHOE)) {
      this.out.echoChar(this.cc(VERASE), ctl);
    } else if (ch === 0x09) {
      // How far back the tab reached depends on what precedes it on the line.
      let chars = 0;
      let afterTab = false;
      for (let tail = this.readHead; tail !== this.canonHead; ) {
        tail--;
        const p = this.buf[tail & MASK];
        if (p === 0x09) {
          afterTab = true;
          break;
        } else if (isCntrl(p)) {
          if (ctl) chars += 2;
        } else if (!this.isContinuation(p)) {
          chars++;
        }
      }
      this.out.echoEraseTab(chars, afterTab);
    } else {
      const bsb = (): void => {
        this.out.echoRaw(0x08);
        this.out.echoRaw(0x20);
        this.out.echoRaw(0x08);
      };
      if (isCntrl(ch) && ctl) bsb(); // a "^X" takes two columns
      if (!isCntrl(ch) || ctl) bsb();
    }
  }

  /** A signal character: the group is signalled, the queues flushed unless NOFLSH, output
   *  restarted (IXON), and the character echoed. */
  private signalChar(sig: number, c: number): void {
    this.isig(sig);
    if (this.i(IXON)) this.start();
    if (this.l(ECHO)) this.out.echoChar(c, this.l(ECHOCTL));
  }

  private isig(sig: number): void {
    if (!this.l(NOFLSH)) {
      this.out.discardEchoes();
      this.events.flushOutput();
      this.flushInput();
    }
    this.events.signal(sig);
  }

  private receiveFlagged(c: number, flag: number): void {
    if (flag === RX_BREAK) {
      if (this.i(IGNBRK)) return;
      if (this.i(BRKINT)) {
        this.isig(SIGINT);
        return;
      }
      if (this.i(PARMRK)) {
        this.put(0xff);
        this.put(0);
      }
      this.put(0);
    } else {
      // A parity or framing error.
      if (this.i(IGNPAR)) return;
      if (this.i(PARMRK)) {
        this.put(0xff);
        this.put(0);
        this.put(c);
      } else {
        this.put(this.i(INPCK) ? 0 : c);
      }
    }
    this.readable.notify();
  }

  // ---- reading ----

  /** Whether a read would return data now (poll's POLLIN): a complete line, or enough bytes
   *  for MIN (one when TIME is set). */
  inputReady(): boolean {
    if (this.icanon) return this.canonHead !== this.readTail;
    const min = this.cc(VTIME) !== 0 ? 1 : Math.max(1, this.cc(VMIN));
    return this.count >= min;
  }

  /** Bytes a read could return (FIONREAD): canonical mode counts complete lines only, without
   *  their EOF markers. */
  available(): number {
    if (!this.icanon) return this.count;
    let n = this.canonHead - this.readTail;
    for (let k = this.readTail; k < this.canonHead; k++) if (this.ends[k & MASK] && this.buf[k & MASK] === VDISABLE) n--;
    return n;
  }

  /**
   * Reads into `dst`: the byte count (0: end of file in canonical mode, or nothing within the
   * non-canonical timeout), or a ReadWait saying how long to wait before calling again.
   * `started` is when the read call began (clock ns), for MIN=0 TIME>0. With `ended` (the
   * input's source is gone) it never asks to wait.
   */
  read(dst: Uint8Array, started: number, ended = false): number | ReadWait {
    if (dst.length === 0) return 0;
    let n = this.icanon ? this.readLine(dst) : this.readRaw(dst, started);
    // With the input gone for good nothing is worth waiting for: what is there, or 0.
    if (typeof n !== "number" && ended) n = this.icanon ? 0 : this.takeNow(dst);
    if (typeof n === "number" && n > 0) this.consumed();
    return n;
  }

  private readLine(dst: Uint8Array): number | ReadWait {
    for (;;) {
      if (this.canonHead === this.readTail) return { deadline: null };
      let eol = this.readTail;
      while (this.ends[eol & MASK] === 0) eol++;
      const len = eol - this.readTail + 1;
      if (len > dst.length) {
        this.copyOut(dst, dst.length);
        return dst.length;
      }
      const eof = this.buf[eol & MASK] === VDISABLE;
      const n = eof ? len - 1 : len;
      const wasAtStart = this.readTail === this.lineStart;
      this.copyOut(dst, n);
      this.ends[eol & MASK] = 0;
      this.readTail = eol + 1;
      this.lineStart = this.readTail;
      // An EOF that only ends a line already partly read is not an end of file.
      if (eof && n === 0 && !wasAtStart) continue;
      return n;
    }
  }

  private readRaw(dst: Uint8Array, started: number): number | ReadWait {
    const min = this.cc(VMIN);
    const time = this.cc(VTIME) * 100_000_000;
    const have = this.count;
    const want = Math.min(min, dst.length);
    const take = (): number => {
      const n = Math.min(have, dst.length);
      this.copyOut(dst, n);
      return n;
    };
    if (min === 0 && time === 0) return take();
    if (time === 0) return have >= want ? take() : { deadline: null };
    if (min === 0) {
      if (have > 0) return take();
      const deadline = started + time;
      return this.events.now() >= deadline ? 0 : { deadline };
    }
    if (have >= want) return take();
    if (have === 0) return { deadline: null };
    const deadline = this.lastInput + time;
    return this.events.now() >= deadline ? take() : { deadline };
  }

  private takeNow(dst: Uint8Array): number {
    const n = Math.min(this.count, dst.length);
    this.copyOut(dst, n);
    return n;
  }

  private copyOut(dst: Uint8Array, n: number): void {
    for (let k = 0; k < n; k++) dst[k] = this.buf[(this.readTail + k) & MASK];
    this.readTail += n;
  }

  /** Input was taken: the driver may deliver more, IXOFF may send START. */
  private consumed(): void {
    if (this.throttled && this.count <= THROTTLE_AT) {
      this.throttled = false;
      this.xchar(this.cc(VSTART));
    }
    this.events.inputRoom();
  }

  // ---- output, flow control, flushing ----

  /** A program's write: the bytes of `data` taken (0 while output is stopped or full). */
  write(data: Uint8Array): number {
    return this.out.write(data);
  }

  /** The driver can take output again. */
  outputRoom(): void {
    this.out.runEchoes();
    this.writable.notify();
  }

  /** Output restarted (START, tcflow TCOON). */
  start(): void {
    if (!this.stopped || this.tcoStopped) return;
    this.stopped = false;
    this.out.runEchoes();
    this.writable.notify();
  }

  /** tcflow: TCOOFF stops output until TCOON (START does not restart it). */
  flowOff(): void {
    this.stopped = true;
    this.tcoStopped = true;
  }

  flowOn(): void {
    if (!this.tcoStopped) return;
    this.tcoStopped = false;
    this.start();
  }

  /** Sends a flow-control character to the other end, ahead of queued output. */
  xchar(c: number): void {
    if (this.driver.xchar) this.driver.xchar(c);
    else this.driver.write(Uint8Array.of(c));
  }

  /** Discards all input (tcflush TCIFLUSH, a signal character). */
  flushInput(): void {
    this.readTail = this.readHead = this.canonHead = this.lineStart = 0;
    this.ends.fill(0);
    this.erasing = false;
    this.events.inputRoom();
  }

  /** Ends a partial canonical line as EOF would (the input's source is gone for good). */
  pushLine(): void {
    if (this.icanon && this.readHead !== this.canonHead) this.endLine(VDISABLE);
    this.readable.notify();
  }
}
