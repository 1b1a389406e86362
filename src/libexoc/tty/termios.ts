// Terminal settings (POSIX termios): the flag bits and control characters, with the values
// Linux gives them (libexoc's POSIX constants are Linux's, as signal numbers are), the
// settings a terminal starts with, and a termios record.

/** c_iflag: input modes. */
export const IGNBRK = 0o1, BRKINT = 0o2, IGNPAR = 0o4, PARMRK = 0o10, INPCK = 0o20, ISTRIP = 0o40;
export const INLCR = 0o100, IGNCR = 0o200, ICRNL = 0o400, IUCLC = 0o1000, IXON = 0o2000, IXANY = 0o4000;
export const IXOFF = 0o10000, IMAXBEL = 0o20000, IUTF8 = 0o40000;

/** c_oflag: output modes. */
export const OPOST = 0o1, OLCUC = 0o2, ONLCR = 0o4, OCRNL = 0o10, ONOCR = 0o20, ONLRET = 0o40;
export const OFILL = 0o100, OFDEL = 0o200, TABDLY = 0o14000, XTABS = 0o14000;

/** c_cflag: control modes (the line's speed is in CBAUD). */
export const CBAUD = 0o10017, B38400 = 0o17, B115200 = 0o10002, CSIZE = 0o60, CS8 = 0o60, CSTOPB = 0o100;
export const CREAD = 0o200, PARENB = 0o400, PARODD = 0o1000, HUPCL = 0o2000, CLOCAL = 0o4000;

/** c_lflag: local modes. */
export const ISIG = 0o1, ICANON = 0o2, XCASE = 0o4, ECHO = 0o10, ECHOE = 0o20, ECHOK = 0o40, ECHONL = 0o100;
export const NOFLSH = 0o200, TOSTOP = 0o400, ECHOCTL = 0o1000, ECHOPRT = 0o2000, ECHOKE = 0o4000;
export const FLUSHO = 0o10000, PENDIN = 0o40000, IEXTEN = 0o100000, EXTPROC = 0o200000;

/** c_cc indices. */
export const VINTR = 0, VQUIT = 1, VERASE = 2, VKILL = 3, VEOF = 4, VTIME = 5, VMIN = 6, VSWTC = 7;
export const VSTART = 8, VSTOP = 9, VSUSP = 10, VEOL = 11, VREPRINT = 12, VDISCARD = 13, VWERASE = 14;
export const VLNEXT = 15, VEOL2 = 16;
export const NCCS = 19;
/** A control character set to this is disabled (_POSIX_VDISABLE). */
export const VDISABLE = 0;

/** tcflush queues and tcflow actions. */
export const TCIFLUSH = 0, TCOFLUSH = 1, TCIOFLUSH = 2;
export const TCOOFF = 0, TCOON = 1, TCIOFF = 2, TCION = 3;

export interface Termios {
  iflag: number;
  oflag: number;
  cflag: number;
  lflag: number;
  /** The line discipline number (0: N_TTY). */
  line: number;
  cc: Uint8Array;
}

/** Control characters of a new terminal: ^C ^\ DEL ^U ^D, TIME 0, MIN 1, ^Q ^S ^Z, ^R ^O ^W ^V. */
const STD_CC = [3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0, 0, 0];

/** The settings a terminal starts with (Linux's tty_std_termios): cooked mode with echo. */
export function stdTermios(cflag = B38400 | CS8 | CREAD | HUPCL): Termios {
  return {
    iflag: ICRNL | IXON,
    oflag: OPOST | ONLCR,
    cflag,
    lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
    line: 0,
    cc: Uint8Array.from(STD_CC),
  };
}

export function copyTermios(t: Termios): Termios {
  return { ...t, cc: t.cc.slice() };
}

/** Whether `c` is a control character (C's iscntrl in the C locale). */
export function isCntrl(c: number): boolean {
  return c < 0x20 || c === 0x7f;
}

/** C's isalnum in the C locale. */
export function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}
