// Host input as events. A guest reading the host's terminal or a pipe into exojit must never
// block the one JavaScript thread (every other guest would stop), so a read that finds nothing
// buffered starts an asynchronous read of the host descriptor (in libuv's thread pool) and
// reports "would block"; when bytes, end of file or an error arrive, the `readable` queue is
// notified and the reader's waiters run again. Only as much is read ahead as a guest asked for,
// so input the guests never wanted stays in the host pipe for whoever reads it next.
//
// Regular files never block; their readers read synchronously and do not use this.

import * as fs from "node:fs";
import { createRequire } from "node:module";
import { WaitQueue } from "./wait.js";

/** Most bytes read from the host at once. */
const CHUNK = 64 * 1024;
/** Retry delay when the host descriptor is in non-blocking mode and empty (ms). */
const EAGAIN_RETRY_MS = 5;

export class HostInput {
  /** Notified whenever data, end of file or an error becomes available. */
  readonly readable = new WaitQueue();
  private chunks: Buffer[] = [];
  private pending = false;
  private eof = false;
  /** The host error code of a failed read (reported once, then cleared). */
  private error: string | null = null;
  /** Host reads issued (for statistics). */
  reads = 0;

  constructor(readonly fd: number) {}

  /** Whether a read would return without waiting (data, end of file or an error). */
  ready(): boolean {
    return this.chunks.length > 0 || this.eof || this.error !== null;
  }

  /** Buffered bytes. */
  get buffered(): number {
    let n = 0;
    for (const c of this.chunks) n += c.length;
    return n;
  }

  /**
   * Copies buffered bytes into `dst`. Returns the count, 0 at end of file, or -1 when nothing is
   * buffered yet (a host read of about `dst.length` bytes is then under way: wait on
   * `readable`). Throws the host error code (a string) of a failed read.
   */
  read(dst: Uint8Array): number {
    if (this.chunks.length === 0) {
      if (this.error !== null) {
        const e = this.error;
        this.error = null;
        throw e;
      }
      if (this.eof) {
        // A terminal's end of file (^D) is one event: later reads wait for more input.
        this.eof = false;
        return 0;
      }
      this.arm(dst.length);
      return -1;
    }
    let n = 0;
    while (n < dst.length && this.chunks.length > 0) {
      const c = this.chunks[0];
      const k = Math.min(c.length, dst.length - n);
      dst.set(c.subarray(0, k), n);
      n += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    return n;
  }

  /** Starts a host read of up to `want` bytes unless one is under way or input is buffered. */
  arm(want = 4096): void {
    if (this.pending || this.ready()) return;
    this.pending = true;
    this.reads++;
    const buf = Buffer.allocUnsafe(Math.max(1, Math.min(CHUNK, want)));
    fs.read(this.fd, buf, 0, buf.length, null, (err, n) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code ?? "EIO";
        if (code === "EAGAIN") {
          setTimeout(() => {
            this.pending = false;
            this.arm(want);
          }, EAGAIN_RETRY_MS);
          return;
        }
        this.pending = false;
        this.error = code === "EOF" ? null : code;
        if (code === "EOF") this.eof = true;
      } else {
        this.pending = false;
        if (n === 0) this.eof = true;
        else this.chunks.push(buf.subarray(0, n));
      }
      this.readable.notify();
    });
  }
}

/** Linux's major number of the memory devices (/dev/null, /dev/zero, /dev/urandom, ...). */
const MEM_MAJOR = 1;

/** Whether host descriptor `fd` is a terminal. node:tty (which loads node:net and the stream
 *  modules, ~2.5 ms of a start-up) is loaded only for a character device other than Linux's
 *  memory devices: nothing else can be a terminal, and a program's standard streams are far more
 *  often pipes, files or /dev/null. */
export function isTerminal(fd: number): boolean {
  try {
    const st = fs.fstatSync(fd);
    if (!st.isCharacterDevice()) return false;
    if (process.platform === "linux" && ((st.rdev >>> 8) & 0xfff) === MEM_MAJOR) return false;
  } catch {
    return false;
  }
  // `as`: require() is untyped; this is Node's own module.
  return (createRequire(import.meta.url)("node:tty") as typeof import("node:tty")).isatty(fd);
}
