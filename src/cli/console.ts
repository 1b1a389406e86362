// The host end of the guest's console: exojit's stdin and stdout as the UART's serial line.
//
// Interactive (stdin is a terminal): the host terminal goes into raw mode, so every key reaches
// the guest's line discipline (^C, ^Z and editing are the guest's), and is put back on every
// way out: a normal end, process.exit, an uncaught exception (the 'exit' event), a stop by
// SIGTSTP (raw mode comes back with SIGCONT). Ctrl-A is the escape key: Ctrl-A x quits (the
// caller hears it through onQuit), Ctrl-A h lists the keys, Ctrl-A b sends a break, Ctrl-A
// Ctrl-A sends a literal ^A. The host window's size follows into the guest (onResize).
//
// Not interactive (a pipe, a file): bytes pass as they are, no escape key, and the end of
// stdin is the end of the console's input.
//
// Input is an event: Node reads stdin in the background and each chunk goes to the console at
// once; when the console has more than it wants, stdin is paused until it asks again.

import { createRequire } from "node:module";
import * as fs from "node:fs";
import type { Console, ConsoleHost } from "../exokernel/console.js";

const CTRL_A = 0x01;

export const ESCAPE_HELP = [
  "",
  "C-a h    print this help",
  "C-a x    exit exojit",
  "C-a b    send a break",
  "C-a C-a  send C-a",
  "",
].join("\r\n");

export interface HostConsoleOptions {
  /** The user asked to quit (Ctrl-A x). */
  onQuit(): void;
  /** The host terminal's size changed. */
  onResize?(rows: number, cols: number): void;
  /** Host descriptors (default: 0 and 1). */
  input?: NodeJS.ReadStream;
  outputFd?: number;
}

/** Writes all of `bytes` to host descriptor `fd`, waiting out EAGAIN (a terminal shared with
 *  a program that set it non-blocking). */
function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) {
    try {
      done += fs.writeSync(fd, bytes, done, bytes.length - done);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") return; // the host end went away
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

export class HostConsole implements ConsoleHost {
  private dev: Console | null = null;
  private readonly input: NodeJS.ReadStream;
  private readonly outFd: number;
  /** stdin is a terminal: raw mode and the escape key. */
  readonly interactive: boolean;
  private escaped = false;
  private started = false;
  /** Listeners to remove at stop(): [emitter, event, listener]. */
  private readonly listeners: [NodeJS.EventEmitter, string, (arg: Buffer) => void][] = [];

  constructor(private readonly o: HostConsoleOptions) {
    this.input = o.input ?? process.stdin;
    this.outFd = o.outputFd ?? 1;
    this.interactive = this.input.isTTY === true;
  }

  /** The console device this is the line of. */
  attach(dev: Console): void {
    this.dev = dev;
  }

  /** The host terminal's size, or null if stdout is not a terminal. */
  size(): { rows: number; cols: number } | null {
    const out = process.stdout;
    return out.isTTY ? { rows: out.rows, cols: out.columns } : null;
  }

  // ---- ConsoleHost ----

  output(bytes: Uint8Array): void {
    writeAll(this.outFd, bytes);
  }

  resume(): void {
    if (this.started) this.input.resume();
  }

  // ---- life cycle ----

  start(): void {
    if (this.started) return;
    this.started = true;
    // Every listener here takes at most a Buffer (stdin's data: no encoding is set).
    const on = (target: NodeJS.EventEmitter, ev: string, fn: (arg: Buffer) => void): void => {
      target.on(ev, fn);
      this.listeners.push([target, ev, fn]);
    };
    if (this.interactive) {
      this.raw(true);
      on(process, "exit", () => this.raw(false));
      on(process, "SIGCONT", () => this.raw(true));
      on(process, "SIGTSTP", () => {
        this.raw(false);
        process.kill(process.pid, "SIGSTOP");
      });
      if (process.stdout.isTTY) on(process.stdout, "resize", () => this.resized());
    }
    on(this.input, "data", (chunk) => this.received(chunk));
    on(this.input, "end", () => this.dev?.hostEnd());
    on(this.input, "error", () => this.dev?.hostEnd());
    this.input.resume();
  }

  /** Stops reading the host and puts the terminal back. */
  stop(): void {
    if (!this.started) return;
    this.started = false;
    for (const [target, ev, fn] of this.listeners) target.off(ev, fn);
    this.listeners.length = 0;
    this.input.pause();
    if (this.interactive) this.raw(false);
  }

  private raw(on: boolean): void {
    try {
      this.input.setRawMode?.(on);
      // libuv's raw mode keeps the host's output processing (ONLCR): the guest's terminal
      // driver does its own, so the host must pass bytes through as they are, or every line
      // ends in CR CR LF and a guest's bare LF moves to column 0. Leaving raw mode restores the
      // settings libuv saved before, OPOST included.
      // node:child_process is required only here (~3 ms of start-up otherwise); `as`: require()
      // is untyped, this is Node's own module.
      if (on) (createRequire(import.meta.url)("node:child_process") as typeof import("node:child_process")).spawnSync("stty", ["-opost"], { stdio: [this.input, "ignore", "ignore"] });
    } catch {
      // the terminal is gone
    }
  }

  private resized(): void {
    const s = this.size();
    if (s !== null) this.o.onResize?.(s.rows, s.cols);
  }

  /** Host bytes: escape sequences handled (interactive), the rest to the console. */
  private received(chunk: Buffer): void {
    const dev = this.dev;
    if (dev === null) return;
    let data: Uint8Array = chunk;
    if (this.interactive) {
      const pass: number[] = [];
      for (const b of chunk) {
        if (!this.escaped) {
          if (b === CTRL_A) this.escaped = true;
          else pass.push(b);
          continue;
        }
        this.escaped = false;
        if (b === CTRL_A) pass.push(CTRL_A);
        else if (b === 0x78 /* x */) this.o.onQuit();
        else if (b === 0x68 /* h */) this.output(Buffer.from(ESCAPE_HELP, "latin1"));
        else if (b === 0x62 /* b */) {
          dev.hostInput(Uint8Array.from(pass));
          pass.length = 0;
          dev.hostBreak();
        }
      }
      data = Uint8Array.from(pass);
    }
    if (!dev.hostInput(data)) this.input.pause();
  }
}
