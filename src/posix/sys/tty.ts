// Terminal ioctls (tty_ioctl, n_tty_ioctl, the pty driver's): the request numbers of
// asm-generic/ioctls.h, each decoded here and carried out by libexoc's terminal (tty/). On a
// pty master, settings, window size and job-control requests reach its slave, as on Linux.
// A file cut off by a hangup answers EIO (ENOTTY for TIOCSPGRP). Unknown requests: ENOTTY,
// logged once each.

import type { Task } from "../../libexoc/task.js";
import { sysError } from "../../libexoc/errors.js";
import type { TerminalFile } from "../../libexoc/tty/ttyfile.js";
import type { Tty } from "../../libexoc/tty/tty.js";
import { jobControl, setControlling, giveUpControlling, setForeground } from "../../libexoc/tty/jobctl.js";
import { SIGTTOU } from "../../libexoc/signal.js";
import { VSTART, VSTOP, VDISABLE, TCIFLUSH, TCOFLUSH, TCIOFLUSH, TCOOFF, TCOON, TCIOFF, TCION } from "../../libexoc/tty/termios.js";
import { encodeTermios, decodeTermios, encodeTermio, applyTermio, encodeWinsize, decodeWinsize, TERMIOS_SIZE, TERMIOS2_SIZE, TERMIO_SIZE, WINSIZE_SIZE } from "../abi/termios.js";
import { logger } from "../../log.js";
import { capable, CAP_SYS_ADMIN, CAP_SYS_TTY_CONFIG } from "../../libexoc/capability.js";

export const TCGETS = 0x5401, TCSETS = 0x5402, TCSETSW = 0x5403, TCSETSF = 0x5404;
export const TCGETA = 0x5405, TCSETA = 0x5406, TCSETAW = 0x5407, TCSETAF = 0x5408;
export const TCSBRK = 0x5409, TCXONC = 0x540a, TCFLSH = 0x540b, TIOCSCTTY = 0x540e, TIOCGPGRP = 0x540f;
export const TIOCSPGRP = 0x5410, TIOCOUTQ = 0x5411, TIOCSTI = 0x5412, TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414;
export const TIOCINQ = 0x541b, TIOCNOTTY = 0x5422, TIOCSETD = 0x5423, TIOCGETD = 0x5424, TCSBRKP = 0x5425;
export const TIOCSBRK = 0x5427, TIOCCBRK = 0x5428, TIOCGSID = 0x5429, TIOCVHANGUP = 0x5437;
export const TCGETS2 = 0x802c542a, TCSETS2 = 0x402c542b, TCSETSW2 = 0x402c542c, TCSETSF2 = 0x402c542d;
export const TIOCGPTN = 0x80045430, TIOCSPTLCK = 0x40045431, TIOCGPTLCK = 0x80045439;

/** How long tcsendbreak(fd, 0) holds the line at space (ms), as Linux. */
const BREAK_MS = 250;

type TtyIoctl = (t: Task, f: TerminalFile, arg: number) => number;

/** Changing the terminal from a background group: SIGTTOU (tty_check_change). */
function mayChange(t: Task, tty: Tty): void {
  jobControl(t, tty, SIGTTOU);
}

function setAttr(f: TerminalFile, t: Task, arg: number, size: number, flush: boolean): number {
  const tty = f.tty;
  mayChange(t, tty);
  const tio = decodeTermios(t.mem.read(arg, size));
  if (flush) tty.ldisc.flushInput();
  tty.setTermios(tio);
  return 0;
}

function setAttrOld(f: TerminalFile, t: Task, arg: number, flush: boolean): number {
  const tty = f.tty;
  mayChange(t, tty);
  const tio = applyTermio(tty.ldisc.termios, t.mem.read(arg, TERMIO_SIZE));
  if (flush) tty.ldisc.flushInput();
  tty.setTermios(tio);
  return 0;
}

/** The terminal whose job-control ids a request reports: a slave or console needs to be the
 *  caller's controlling terminal; a master reports its slave's. */
function reported(t: Task, f: TerminalFile): Tty {
  if (f.pty === null && t.proc.ctty !== f.tty) sysError("ENOTTY");
  return f.tty;
}

function flush(t: Task, f: TerminalFile, queue: number): number {
  if (queue !== TCIFLUSH && queue !== TCOFLUSH && queue !== TCIOFLUSH) sysError("EINVAL");
  const input = queue !== TCOFLUSH, output = queue !== TCIFLUSH;
  if (f.pty !== null) {
    f.pty.masterFlush(input, output);
    return 0;
  }
  mayChange(t, f.tty);
  if (input) f.tty.flushInput();
  if (output) f.tty.driver.flushOutput();
  return 0;
}

function flow(t: Task, f: TerminalFile, action: number): number {
  if (action < TCOOFF || action > TCION) sysError("EINVAL");
  if (f.pty !== null) return 0; // the master's own output is never stopped
  const tty = f.tty;
  mayChange(t, tty);
  const ld = tty.ldisc;
  if (action === TCOOFF) ld.flowOff();
  else if (action === TCOON) ld.flowOn();
  else {
    const c = ld.termios.cc[action === TCIOFF ? VSTOP : VSTART];
    if (c !== VDISABLE) ld.xchar(c);
  }
  return 0;
}

function sendBreak(t: Task, f: TerminalFile, ms: number): number {
  mayChange(t, f.tty);
  if (f.pty === null) f.tty.driver.sendBreak(ms);
  return 0;
}

const TTY_IOCTLS: Record<number, TtyIoctl> = {
  [TCGETS]: (t, f, arg) => (t.mem.write(arg, encodeTermios(f.tty.ldisc.termios)), 0),
  [TCSETS]: (t, f, arg) => setAttr(f, t, arg, TERMIOS_SIZE, false),
  [TCSETSW]: (t, f, arg) => setAttr(f, t, arg, TERMIOS_SIZE, false), // output is never left waiting
  [TCSETSF]: (t, f, arg) => setAttr(f, t, arg, TERMIOS_SIZE, true),
  [TCGETS2]: (t, f, arg) => (t.mem.write(arg, encodeTermios(f.tty.ldisc.termios, TERMIOS2_SIZE)), 0),
  [TCSETS2]: (t, f, arg) => setAttr(f, t, arg, TERMIOS2_SIZE, false),
  [TCSETSW2]: (t, f, arg) => setAttr(f, t, arg, TERMIOS2_SIZE, false),
  [TCSETSF2]: (t, f, arg) => setAttr(f, t, arg, TERMIOS2_SIZE, true),
  [TCGETA]: (t, f, arg) => (t.mem.write(arg, encodeTermio(f.tty.ldisc.termios)), 0),
  [TCSETA]: (t, f, arg) => setAttrOld(f, t, arg, false),
  [TCSETAW]: (t, f, arg) => setAttrOld(f, t, arg, false),
  [TCSETAF]: (t, f, arg) => setAttrOld(f, t, arg, true),
  // tcdrain (arg != 0) has nothing to wait for: output reaches the driver as it is written.
  [TCSBRK]: (t, f, arg) => (arg === 0 ? sendBreak(t, f, BREAK_MS) : (mayChange(t, f.tty), 0)),
  [TCSBRKP]: (t, f, arg) => sendBreak(t, f, arg > 0 ? arg * 100 : BREAK_MS),
  [TIOCSBRK]: (t, f) => (mayChange(t, f.tty), 0),
  [TIOCCBRK]: (t, f) => (mayChange(t, f.tty), 0),
  [TCXONC]: (t, f, arg) => flow(t, f, arg),
  [TCFLSH]: (t, f, arg) => flush(t, f, arg),
  [TIOCINQ]: (t, f, arg) => (t.mem.putU32(arg, f.available()), 0),
  [TIOCOUTQ]: (t, f, arg) => (t.mem.putU32(arg, f.pty !== null ? 0 : f.tty.driver.outq()), 0),
  [TIOCSTI]: (t, f, arg) => {
    const p = t.proc;
    if (!capable(p, CAP_SYS_ADMIN) && (p.ctty !== f.tty || !f.mode.read)) sysError("EPERM");
    f.tty.ldisc.receive(Uint8Array.of(t.mem.u8(arg)));
    return 0;
  },
  [TIOCGWINSZ]: (t, f, arg) => (t.mem.write(arg, encodeWinsize(f.tty.winsize)), 0),
  [TIOCSWINSZ]: (t, f, arg) => (f.tty.resize(decodeWinsize(t.mem.read(arg, WINSIZE_SIZE))), 0),
  [TIOCSCTTY]: (t, f, arg) => (setControlling(t, f.tty, arg === 1, f.mode.read), 0),
  [TIOCNOTTY]: (t, f) => {
    if (f.pty !== null) sysError("ENOTTY");
    giveUpControlling(t, f.tty);
    return 0;
  },
  [TIOCGPGRP]: (t, f, arg) => (t.mem.putU32(arg, reported(t, f).pgrp), 0),
  [TIOCSPGRP]: (t, f, arg) => (setForeground(t, f.tty, t.mem.i32(arg)), 0),
  [TIOCGSID]: (t, f, arg) => {
    const tty = reported(t, f);
    if (tty.session === 0) sysError("ENOTTY");
    t.mem.putU32(arg, tty.session);
    return 0;
  },
  [TIOCGETD]: (t, f, arg) => (t.mem.putU32(arg, f.tty.ldisc.termios.line), 0),
  [TIOCSETD]: (t, _f, arg) => {
    // N_TTY is the only line discipline.
    if (t.mem.i32(arg) !== 0) sysError("EINVAL");
    return 0;
  },
  [TIOCVHANGUP]: (t, f) => {
    if (!capable(t.proc, CAP_SYS_TTY_CONFIG)) sysError("EPERM");
    f.tty.hangup(false);
    return 0;
  },
  [TIOCGPTN]: (t, f, arg) => {
    if (f.pty === null) sysError("ENOTTY");
    t.mem.putU32(arg, f.pty.index);
    return 0;
  },
  [TIOCSPTLCK]: (t, f, arg) => {
    if (f.pty === null) sysError("ENOTTY");
    f.pty.locked = t.mem.i32(arg) !== 0;
    return 0;
  },
  [TIOCGPTLCK]: (t, f, arg) => {
    if (f.pty === null) sysError("ENOTTY");
    t.mem.putU32(arg, f.pty.locked ? 1 : 0);
    return 0;
  },
};

const unknown = new Set<number>();

/** An ioctl on an open terminal. */
export function ttyIoctl(t: Task, f: TerminalFile, req: number, arg: number): number {
  if (f.hungUp) sysError(req === TIOCSPGRP ? "ENOTTY" : "EIO");
  const h = TTY_IOCTLS[req];
  if (h === undefined) {
    if (!unknown.has(req)) {
      unknown.add(req);
      logger("syscall").warn({ req }, `terminal ioctl 0x${req.toString(16)} is not supported: ENOTTY`);
    }
    return sysError("ENOTTY", `ioctl 0x${req.toString(16)}`);
  }
  return h(t, f, arg);
}
