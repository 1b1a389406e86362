// The terminal line discipline (libexoc/tty/ldisc.ts) on its own: bytes fed in as a driver
// would, what it echoes and outputs, what reads return, and the signals it raises. Expected
// echoes are Linux's n_tty behaviour (the pty differential test checks them on the host too).

import { describe, expect, it } from "vitest";
import { LineDiscipline, RX_BREAK, type LdiscEvents, type ReadWait } from "../../src/libexoc/tty/ldisc.js";
import type { TtyOutput } from "../../src/libexoc/tty/output.js";
import {
  stdTermios, ICANON, ECHO, ECHOE, ECHOK, ECHOKE, ECHOCTL, ECHONL, ECHOPRT, ISIG, NOFLSH, IEXTEN, ICRNL, INLCR, IGNCR, ISTRIP, IXON, IXANY, IXOFF,
  BRKINT, OPOST, ONLCR, OCRNL, ONOCR, ONLRET, XTABS, VMIN, VTIME, VEOL, VSTOP, VSTART, type Termios,
} from "../../src/libexoc/tty/termios.js";
import { SIGINT, SIGQUIT, SIGTSTP } from "../../src/libexoc/signal.js";

const enc = (s: string): Uint8Array => Buffer.from(s, "latin1");
const dec = (b: Uint8Array | number[]): string => Buffer.from(b).toString("latin1");

class Rig implements TtyOutput, LdiscEvents {
  out: number[] = [];
  signals: number[] = [];
  flushes = 0;
  clock = 1_000_000_000;
  space = 1 << 20;
  xchars: number[] = [];
  ld: LineDiscipline;

  constructor(tweak: (t: Termios) => void = () => {}, throttles = false) {
    const t = stdTermios();
    tweak(t);
    this.ld = new LineDiscipline(t, this, this, throttles);
  }
  room(): number {
    return this.space;
  }
  write(b: Uint8Array): void {
    this.out.push(...b);
    this.space -= b.length;
  }
  xchar(c: number): void {
    this.xchars.push(c);
  }
  signal(sig: number): void {
    this.signals.push(sig);
  }
  flushOutput(): void {
    this.flushes++;
  }
  now(): number {
    return this.clock;
  }
  inputRoom(): void {}

  type(s: string): this {
    this.ld.receive(enc(s));
    return this;
  }
  /** What was echoed/output since the last call. */
  shown(): string {
    const s = dec(this.out);
    this.out = [];
    return s;
  }
  read(n = 4096, started = this.clock): string | ReadWait {
    const b = new Uint8Array(n);
    const r = this.ld.read(b, started);
    return typeof r === "number" ? dec(b.subarray(0, r)) : r;
  }
}

describe("canonical input", () => {
  it("returns one line per read, with its newline, and waits without one", () => {
    const r = new Rig().type("ab\ncd\nef");
    expect(r.read()).toBe("ab\n");
    expect(r.read()).toBe("cd\n");
    expect(r.read()).toEqual({ deadline: null });
    expect(r.ld.inputReady()).toBe(false);
  });

  it("maps CR to NL (ICRNL), drops it (IGNCR), or NL to CR (INLCR)", () => {
    expect(new Rig().type("x\r").read()).toBe("x\n");
    expect(new Rig((t) => (t.iflag |= IGNCR)).type("x\r\n").read()).toBe("x\n");
    const r = new Rig((t) => (t.iflag = INLCR));
    r.type("x\ny\r");
    expect(r.read()).toEqual({ deadline: null }); // CR ends no line without ICRNL
    r.ld.setTermios({ ...r.ld.termios, lflag: r.ld.termios.lflag & ~ICANON, cc: Uint8Array.from({ length: 19 }, (_, k) => (k === VMIN ? 1 : 0)) });
    expect(r.read()).toBe("x\ry\r");
  });

  it("ERASE with ECHOE echoes backspace-space-backspace; a ^X pair takes two", () => {
    const r = new Rig();
    r.type("ab\x7f");
    expect(r.shown()).toBe("ab\b \b");
    r.type("\x01\x7f");
    expect(r.shown()).toBe("^A\b \b\b \b");
    r.type("\n");
    expect(r.read()).toBe("a\n");
  });

  it("ERASE without ECHOE echoes the erase character; erasing nothing does nothing", () => {
    const r = new Rig((t) => (t.lflag &= ~ECHOE));
    r.type("\x7fab\x7f\n");
    expect(r.shown()).toBe("ab^?\r\n");
    expect(r.read()).toBe("a\n");
  });

  it("KILL with ECHOKE erases the line visibly; with ECHOK only, echoes ^U and NL", () => {
    const r = new Rig();
    r.type("abc\x15");
    expect(r.shown()).toBe("abc\b \b\b \b\b \b");
    r.type("z\n");
    expect(r.read()).toBe("z\n");
    const k = new Rig((t) => (t.lflag &= ~ECHOKE));
    k.type("abc\x15");
    expect(k.shown()).toBe("abc^U\r\n");
  });

  it("WERASE erases the last word and the blanks after it", () => {
    const r = new Rig();
    r.type("one two  \x17");
    expect(r.shown()).toBe("one two  " + "\b \b".repeat(5));
    r.type("x\n");
    expect(r.read()).toBe("one x\n");
  });

  it("LNEXT quotes the next character (shown as ^ then replaced)", () => {
    const r = new Rig();
    r.type("a\x16\x7fb\x16\x03\n");
    expect(r.shown()).toBe("a^\b^?b^\b^C\r\n");
    expect(r.read()).toBe("a\x7fb\x03\n");
    expect(r.signals).toEqual([]);
  });

  it("EOF ends a line without being returned; alone it reads as end of file", () => {
    const r = new Rig();
    r.type("ab\x04\x04");
    expect(r.shown()).toBe("ab");
    expect(r.read()).toBe("ab");
    expect(r.read()).toBe("");
    expect(r.ld.available()).toBe(0);
  });

  it("an EOF after a line read in parts is not an end of file", () => {
    const r = new Rig();
    r.type("abcd\x04");
    expect(r.read(2)).toBe("ab");
    expect(r.read(2)).toBe("cd");
    expect(r.read(2)).toEqual({ deadline: null });
  });

  it("EOL ends a line and is returned; FIONREAD counts complete lines only", () => {
    const r = new Rig((t) => (t.cc[VEOL] = 0x3b));
    r.type("ab;cd");
    expect(r.ld.available()).toBe(3);
    expect(r.read()).toBe("ab;");
  });

  it("REPRINT echoes ^R, a newline and the line so far", () => {
    const r = new Rig();
    r.type("ab\x12");
    expect(r.shown()).toBe("ab^R\r\nab");
  });

  it("ECHOPRT shows erased characters between \\ and /", () => {
    const r = new Rig((t) => (t.lflag = (t.lflag | ECHOPRT) & ~ECHOE));
    r.type("abc\x7f\x7fd");
    expect(r.shown()).toBe("abc\\cb/d");
  });

  it("erasing a tab backs up to where the tab started", () => {
    const r = new Rig();
    r.type("ab\t\x7f");
    expect(r.shown()).toBe("ab\t\b\b\b\b\b\b");
  });

  it("without ECHO nothing is echoed but ECHONL still echoes newlines", () => {
    const r = new Rig((t) => (t.lflag = (t.lflag & ~ECHO) | ECHONL));
    r.type("secret\n");
    expect(r.shown()).toBe("\r\n");
    expect(r.read()).toBe("secret\n");
  });

  it("ISTRIP clears the eighth bit", () => {
    const r = new Rig((t) => (t.iflag |= ISTRIP));
    r.type("\xe1\n");
    expect(r.read()).toBe("a\n");
  });

  it("a full line keeps taking characters in its last place; NL still ends it", () => {
    const r = new Rig((t) => (t.lflag &= ~ECHO));
    r.type("x".repeat(5000) + "\n");
    const line = r.read() as string;
    expect(line.length).toBe(4095);
    expect(line.endsWith("x\n")).toBe(true);
  });
});

describe("signals", () => {
  it("INTR, QUIT and SUSP raise their signals, flush input, and echo as ^X", () => {
    const r = new Rig();
    r.type("abc").type("\x03");
    expect(r.signals).toEqual([SIGINT]);
    expect(r.shown()).toBe("abc^C");
    expect(r.flushes).toBe(1);
    r.type("\n");
    expect(r.read()).toBe("\n");
    r.type("\x1c\x1a");
    expect(r.signals).toEqual([SIGINT, SIGQUIT, SIGTSTP]);
  });

  it("echoes of the same delivery not yet shown are flushed with the input", () => {
    const r = new Rig();
    r.type("abc\x03");
    expect(r.shown()).toBe("^C");
  });

  it("NOFLSH keeps the input; without ISIG the characters are data", () => {
    const r = new Rig((t) => (t.lflag |= NOFLSH));
    r.type("ab\x03\n");
    expect(r.read()).toBe("ab\n");
    const q = new Rig((t) => (t.lflag &= ~ISIG));
    q.type("a\x03\n");
    expect(q.signals).toEqual([]);
    expect(q.read()).toBe("a\x03\n");
  });

  it("a break raises SIGINT with BRKINT, else reads as NUL", () => {
    const r = new Rig((t) => (t.iflag |= BRKINT));
    r.ld.receive(Uint8Array.of(0), Uint8Array.of(RX_BREAK));
    expect(r.signals).toEqual([SIGINT]);
    const q = new Rig((t) => (t.lflag &= ~ICANON));
    q.ld.receive(Uint8Array.of(0), Uint8Array.of(RX_BREAK));
    expect(q.read()).toBe("\0");
  });
});

describe("non-canonical reads (VMIN/VTIME)", () => {
  const raw = (min: number, time: number) => (t: Termios) => {
    t.lflag &= ~(ICANON | ECHO);
    t.cc[VMIN] = min;
    t.cc[VTIME] = time;
  };

  it("MIN=0 TIME=0 returns what is there, even nothing", () => {
    const r = new Rig(raw(0, 0));
    expect(r.read()).toBe("");
    r.type("ab");
    expect(r.read()).toBe("ab");
  });

  it("MIN>0 TIME=0 waits for MIN bytes (or a smaller buffer's worth)", () => {
    const r = new Rig(raw(3, 0));
    r.type("ab");
    expect(r.read()).toEqual({ deadline: null });
    expect(r.read(2)).toBe("ab");
    r.type("cde");
    expect(r.read()).toBe("cde");
  });

  it("MIN=0 TIME>0 waits TIME tenths from the call for one byte, then returns 0", () => {
    const r = new Rig(raw(0, 5));
    const t0 = r.clock;
    expect(r.read(10, t0)).toEqual({ deadline: t0 + 500_000_000 });
    r.clock += 500_000_000;
    expect(r.read(10, t0)).toBe("");
    r.type("z");
    expect(r.read(10, r.clock)).toBe("z");
  });

  it("MIN>0 TIME>0 waits for a first byte, then TIME tenths between bytes", () => {
    const r = new Rig(raw(4, 2));
    expect(r.read()).toEqual({ deadline: null });
    r.type("ab");
    expect(r.read()).toEqual({ deadline: r.clock + 200_000_000 });
    r.clock += 100_000_000;
    r.type("c");
    expect(r.read()).toEqual({ deadline: r.clock + 200_000_000 });
    r.clock += 200_000_000;
    expect(r.read()).toBe("abc");
    r.type("wxyz");
    expect(r.read()).toBe("wxyz");
  });

  it("a NL typed in raw mode with ECHOCTL echoes as ^J, a CR mapped by ICRNL as a newline", () => {
    const r = new Rig((t) => {
      t.lflag &= ~ICANON;
      t.cc[VMIN] = 1;
    });
    r.type("\n\r");
    expect(r.shown()).toBe("^J\r\n");
    expect(r.read()).toBe("\n\n");
  });

  it("switching canonical mode on makes buffered input one line", () => {
    const r = new Rig(raw(1, 0));
    r.type("abc");
    r.ld.setTermios({ ...r.ld.termios, lflag: r.ld.termios.lflag | ICANON });
    expect(r.read()).toBe("abc");
  });
});

describe("output processing and flow control", () => {
  const write = (r: Rig, s: string): number => r.ld.write(enc(s));

  it("ONLCR turns NL into CR NL; without OPOST bytes pass as they are", () => {
    const r = new Rig();
    write(r, "a\nb");
    expect(r.shown()).toBe("a\r\nb");
    const q = new Rig((t) => (t.oflag &= ~OPOST));
    write(q, "a\nb");
    expect(q.shown()).toBe("a\nb");
  });

  it("OCRNL, ONOCR, ONLRET and XTABS", () => {
    const r = new Rig((t) => (t.oflag = OPOST | OCRNL));
    write(r, "a\rb");
    expect(r.shown()).toBe("a\nb");
    const q = new Rig((t) => (t.oflag = OPOST | ONOCR));
    write(q, "\rab\r");
    expect(q.shown()).toBe("ab\r");
    const x = new Rig((t) => (t.oflag = OPOST | XTABS));
    write(x, "ab\tc");
    expect(x.shown()).toBe("ab      c");
    const n = new Rig((t) => (t.oflag = OPOST | ONLRET | ONOCR));
    write(n, "ab\n\r");
    expect(n.shown()).toBe("ab\n");
  });

  it("a write takes only what the driver has room for (ONLCR needs two)", () => {
    const r = new Rig();
    r.space = 2;
    expect(write(r, "a\nb")).toBe(1);
    expect(r.shown()).toBe("a");
  });

  it("STOP stops output (writes take nothing, echoes wait) until START", () => {
    const r = new Rig();
    r.type("\x13");
    expect(r.ld.stopped).toBe(true);
    expect(write(r, "out")).toBe(0);
    r.type("ab");
    expect(r.shown()).toBe("");
    r.type("\x11");
    expect(r.shown()).toBe("ab");
    expect(write(r, "out")).toBe(3);
  });

  it("IXANY restarts output on any character; tcflow's TCOOFF is not undone by START", () => {
    const r = new Rig((t) => (t.iflag |= IXANY));
    r.type("\x13x");
    expect(r.ld.stopped).toBe(false);
    r.ld.flowOff();
    r.type("\x11");
    expect(r.ld.stopped).toBe(true);
    r.ld.flowOn();
    expect(r.ld.stopped).toBe(false);
  });

  it("with IXON off, STOP and START are data", () => {
    const r = new Rig((t) => (t.iflag &= ~IXON));
    r.type("\x13\x11\n");
    expect(r.read()).toBe("\x13\x11\n");
  });

  it("IXOFF sends STOP when the buffer nearly fills and START once it drains", () => {
    const r = new Rig((t) => {
      t.iflag |= IXOFF;
      t.lflag &= ~(ICANON | ECHO);
    }, true);
    r.type("x".repeat(4000));
    expect(r.xchars).toEqual([r.ld.termios.cc[VSTOP]]);
    r.read(4000);
    expect(r.xchars).toEqual([r.ld.termios.cc[VSTOP], r.ld.termios.cc[VSTART]]);
  });

  it("the input buffer holds 4095 bytes; the rest waits with the driver", () => {
    const r = new Rig((t) => (t.lflag &= ~(ICANON | ECHO)));
    expect(r.ld.receive(enc("y".repeat(5000)))).toBe(4095);
  });
});

// Keep the flags imported for the cases above in use (the tests name them in their tweaks).
void [ECHOK, ECHOCTL, IEXTEN, ICRNL, ONLCR];
