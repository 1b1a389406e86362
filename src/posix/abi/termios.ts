// Terminal structures of the Linux i386 ABI (asm-generic/termbits.h, asm-generic/termios.h):
// struct termios (36 bytes: four flag words, c_line, c_cc[19]), struct termios2 (termios plus
// input and output speeds, 44 bytes), the old struct termio (16-bit flags, c_cc[8], 18 bytes),
// and struct winsize (8 bytes).

import type { Termios } from "../../libexoc/tty/termios.js";
import type { Winsize } from "../../libexoc/tty/tty.js";
import { CBAUD, NCCS } from "../../libexoc/tty/termios.js";
import { Struct } from "./structs.js";

export const TERMIOS_SIZE = 36, TERMIOS2_SIZE = 44, TERMIO_SIZE = 18, WINSIZE_SIZE = 8;
const CC_OFFSET = 17, TERMIO_NCC = 8;

/** Rates of the CBAUD codes B0..B38400 and B57600..B4000000 (CBAUDEX set). */
const RATES = [0, 50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400];
const RATES_EX = [0, 57600, 115200, 230400, 460800, 500000, 576000, 921600, 1000000, 1152000, 1500000, 2000000, 2500000, 3000000, 3500000, 4000000];

function rate(cflag: number): number {
  const code = cflag & CBAUD;
  return code & 0o10000 ? RATES_EX[code & 0o17] : RATES[code];
}

export function encodeTermios(t: Termios, size = TERMIOS_SIZE): Uint8Array {
  const s = new Struct(size).u32(0, t.iflag).u32(4, t.oflag).u32(8, t.cflag).u32(12, t.lflag).u8(16, t.line);
  for (let k = 0; k < NCCS; k++) s.u8(CC_OFFSET + k, t.cc[k]);
  if (size === TERMIOS2_SIZE) s.u32(36, rate(t.cflag)).u32(40, rate(t.cflag));
  return s.bytes;
}

export function decodeTermios(b: Uint8Array): Termios {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { iflag: dv.getUint32(0, true), oflag: dv.getUint32(4, true), cflag: dv.getUint32(8, true), lflag: dv.getUint32(12, true), line: b[16], cc: b.slice(CC_OFFSET, CC_OFFSET + NCCS) };
}

export function encodeTermio(t: Termios): Uint8Array {
  const s = new Struct(TERMIO_SIZE).u16(0, t.iflag & 0xffff).u16(2, t.oflag & 0xffff).u16(4, t.cflag & 0xffff).u16(6, t.lflag & 0xffff).u8(8, t.line);
  for (let k = 0; k < TERMIO_NCC; k++) s.u8(9 + k, t.cc[k]);
  return s.bytes;
}

/** A struct termio applied over `old`: it replaces the low 16 bits of each flag word and the
 *  first eight control characters, as the kernel's user_termio_to_kernel_termios. */
export function applyTermio(old: Termios, b: Uint8Array): Termios {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const low = (was: number, v: number): number => ((was & 0xffff0000) | v) >>> 0;
  const cc = old.cc.slice();
  cc.set(b.subarray(9, 9 + TERMIO_NCC));
  return { iflag: low(old.iflag, dv.getUint16(0, true)), oflag: low(old.oflag, dv.getUint16(2, true)), cflag: low(old.cflag, dv.getUint16(4, true)), lflag: low(old.lflag, dv.getUint16(6, true)), line: b[8], cc };
}

export function encodeWinsize(w: Winsize): Uint8Array {
  return new Struct(WINSIZE_SIZE).u16(0, w.rows).u16(2, w.cols).u16(4, w.xpixel).u16(6, w.ypixel).bytes;
}

export function decodeWinsize(b: Uint8Array): Winsize {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { rows: dv.getUint16(0, true), cols: dv.getUint16(2, true), xpixel: dv.getUint16(4, true), ypixel: dv.getUint16(6, true) };
}
