// The memory devices every system has (null, zero, full, random, urandom), and a stand-in for
// the terminal devices (/dev/tty, /dev/console) until the terminal has drivers of its own: it
// opens the host's terminal as a stream, as the guest got it before exojit had a /dev.

import * as fs from "node:fs";
import { OpenFile, HostStream, type FileStat, type OpenMode } from "../file.js";
import { sysError, fromHostError } from "../errors.js";
import { hostRandom } from "../random.js";
import type { DeviceDriver, DeviceOpen, DeviceRegistry } from "./devices.js";

export type MemKind = "null" | "zero" | "full" | "random";

/** The memory devices' numbers (character major 1) and what each is. */
export const MEM_DEVICES: { name: string; minor: number; kind: MemKind }[] = [
  { name: "null", minor: 3, kind: "null" },
  { name: "zero", minor: 5, kind: "zero" },
  { name: "full", minor: 7, kind: "full" },
  { name: "random", minor: 8, kind: "random" },
  { name: "urandom", minor: 9, kind: "random" },
];
export const MEM_MAJOR = 1;

/** Terminal devices: /dev/tty (5,0) and /dev/console (5,1). */
export const TTYAUX_MAJOR = 5, TTY_MINOR = 0, CONSOLE_MINOR = 1;

/** An open memory device: null reads nothing and swallows writes, zero reads zeroes, full
 *  fails writes with ENOSPC, random and urandom read random bytes. mmap of /dev/zero gives
 *  anonymous memory (mm.ts). */
export class MemDevice extends OpenFile {
  constructor(
    path: string,
    mode: OpenMode,
    readonly kind: MemKind,
    private readonly st: () => FileStat,
  ) {
    super(path, mode);
  }

  read(buf: Uint8Array): number {
    switch (this.kind) {
      case "null":
        return 0;
      case "random":
        hostRandom(buf);
        return buf.length;
      default:
        buf.fill(0);
        return buf.length;
    }
  }

  write(buf: Uint8Array): number {
    // (random takes the bytes as well, and discards them)
    const n = this.blindWrite(buf.length);
    return n < 0 ? buf.length : n;
  }

  override blindWrite(count: number): number {
    if (this.kind === "full") sysError("ENOSPC");
    return this.kind === "random" ? -1 : count;
  }

  override pread(buf: Uint8Array, _off: number): number {
    return this.read(buf);
  }

  override pwrite(buf: Uint8Array, _off: number): number {
    return this.write(buf);
  }

  override seek(_off: number, _whence: number): number {
    this.offset = 0;
    return 0;
  }

  stat(): FileStat {
    return this.st();
  }
}

function memDriver(name: string, kind: MemKind): DeviceDriver {
  return { name, open: (o: DeviceOpen) => new MemDevice(o.path, o.mode, kind, o.stat) };
}

/** The host's controlling terminal as a stream (ENXIO when exojit has none, as Linux answers
 *  for /dev/tty without a controlling terminal). */
const hostTerminal: DeviceDriver = Object.freeze({
  name: "tty (host)",
  open(o: DeviceOpen): OpenFile {
    const flags = o.mode.read && o.mode.write ? fs.constants.O_RDWR : o.mode.write ? fs.constants.O_WRONLY : fs.constants.O_RDONLY;
    let fd: number;
    try {
      fd = fs.openSync("/dev/tty", flags | fs.constants.O_NOCTTY);
    } catch (e) {
      throw fromHostError(e);
    }
    return new HostStream(o.path, o.mode, fd, true);
  },
}); // (one for every machine: frozen, so no snapshot keeps or writes it)

/** Registers the memory devices, and the host terminal as /dev/tty and /dev/console. */
export function registerStandardDevices(r: DeviceRegistry): void {
  for (const d of MEM_DEVICES) r.register("char", MEM_MAJOR, d.minor, memDriver(d.name, d.kind));
  r.register("char", TTYAUX_MAJOR, TTY_MINOR, hostTerminal);
  r.register("char", TTYAUX_MAJOR, CONSOLE_MINOR, hostTerminal);
}
