// Booting a guest system from an embedding host: what `exojit boot` does (src/cli/boot.ts, whose
// startSystem both use), with the guest's console (the 16550 UART under libexoc's terminal
// driver) connected to a pair of Node streams instead of the host's terminal. The caller types
// into `console.input`, reads what the guest prints from `console.output`, and gets init's
// status from `exited`.

import { Readable, Writable } from "node:stream";

import { Exokernel } from "../exokernel/kernel.js";
import { RunLoop } from "../exokernel/runloop.js";
import { Console } from "../exokernel/console.js";
import { System } from "../libexoc/system.js";
import { LinuxPersonality } from "../posix/linux.js";
import { startSystem, INIT_ENV, type BootedSystem } from "../cli/boot.js";
import { defaultImage } from "../cli/defaultimage.js";
import { CliError } from "../cli/errors.js";
import { ExojitError } from "./errors.js";
import { BootSnapshots } from "./syssnap.js";
import type { SystemSnapshot, SystemSnapshotStats } from "./progsnap.js";
import type { EngineKind } from "./machine.js";
import { scopeOf } from "./logging.js";
import { enterLog, leaveLog, type TraceCategory } from "../log.js";
import type { Logger } from "pino";

export interface SystemOptions {
  /** The disk image to boot (default: the image that ships with exojit, made on first use in
   *  the cache directory, as `exojit boot` does). */
  image?: string;
  /** Open the image read-only (writes get EROFS). */
  readOnly?: boolean;
  /** Extra disks, /dev/sdb onwards: paths (read-write) or { path, readOnly }. */
  disks?: (string | { path: string; readOnly?: boolean })[];
  /** init's path in the image (default /sbin/init) and its arguments. */
  init?: string;
  append?: string[];
  /** init's environment (default HOME=/ and TERM=linux). */
  env?: string[] | Record<string, string>;
  /** The console's size in characters (default 24 x 80). */
  rows?: number;
  cols?: number;
  engine?: EngineKind;
  /** Guest physical memory in bytes (default 1 GiB, as `exojit boot`). */
  memory?: number;
  /** Stop the system once it has run this many guest instructions: `exited` rejects with
   *  E_LIMIT. */
  maxInsns?: number;
  /** A pino logger for exojit's records about this system, and the trace categories to send
   *  it (as createMachine's). */
  logger?: Logger;
  trace?: readonly TraceCategory[] | "all";
}

export interface SystemExit {
  /** init's exit code, or 128 + N for a death by signal N. */
  status: number;
  /** Guest instructions executed (all processes). */
  insns: number;
  /** What the guest's reboot(2) asked for, when that ended the system (status 0 then). */
  halt?: "halt" | "poweroff" | "restart";
}

export interface RunningSystem {
  /** The console's line: write to `input` as a user types (end it to hang the line up); read
   *  what the guest writes from `output`. */
  console: { input: Writable; output: Readable };
  /** Tells the guest the console window changed size (SIGWINCH to its foreground group). */
  resize(rows: number, cols: number): void;
  /** Settles once init has ended, the guest halted or powered off (reboot(2)), or shutdown()
   *  was called (every other process is then killed and the disks are synced and closed);
   *  rejects with E_LIMIT at maxInsns. */
  exited: Promise<SystemExit>;
  /** Stops the system now: processes are killed, the disks synced and closed; `exited`
   *  resolves with status -1 unless init had ended. */
  shutdown(): void;
  /** Takes a snapshot of the whole system (memory, every process, the disks) at the next pause
   *  between two scheduler turns, once no disk transfer is in flight. From the first snapshot
   *  until the last is released, disk writes are kept in memory (written to the images then,
   *  or when the system ends). Rejects with E_CLOSED once the system has ended. */
  snapshot(): Promise<SystemSnapshot>;
  /** Puts the system back as `snapshot` saw it (disks included), at the next pause between
   *  turns. What the console already printed stays printed. */
  restore(snapshot: SystemSnapshot): Promise<void>;
  /** Counters of the snapshots taken and restored. */
  readonly snapshotStats: SystemSnapshotStats;
}

/** The console's line as a pair of streams (the UART's host side, ConsoleHost, calls sent and resume). */
class StreamLine {
  dev: Console | null = null;
  /** A write waiting for the console to take more (flow control). */
  private waiting: (() => void) | null = null;
  readonly output = new Readable({ read: () => {} });
  readonly input = new Writable({
    write: (chunk: Buffer, _enc, done) => {
      if (this.dev === null || this.dev.hostInput(chunk)) done();
      else this.waiting = done;
    },
    final: (done) => {
      this.dev?.hostEnd();
      done();
    },
  });

  sent(bytes: Uint8Array): void {
    this.output.push(Buffer.from(bytes));
  }

  resume(): void {
    const w = this.waiting;
    this.waiting = null;
    w?.();
  }
}

/** Boots a guest system (see SystemOptions) and returns its console and exit. Throws
 *  ExojitError E_IMAGE for an image that cannot be opened or mounted, E_PROGRAM when init
 *  cannot be started. */
export function bootSystem(opts: SystemOptions = {}): RunningSystem {
  const limit = opts.maxInsns ?? Infinity;
  if (!(limit > 0)) throw new ExojitError("E_BADARG", `maxInsns ${limit}`);
  const log = scopeOf(opts.logger, opts.trace);
  const rows = opts.rows ?? 24, cols = opts.cols ?? 80;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1 || rows > 0xffff || cols > 0xffff) throw new ExojitError("E_BADARG", `console ${rows}x${cols}`);
  const env = opts.env === undefined ? [...INIT_ENV] : Array.isArray(opts.env) ? opts.env : Object.entries(opts.env).map(([k, v]) => `${k}=${v}`);
  const disks = (opts.disks ?? []).map((d) => (typeof d === "string" ? { path: d, readOnly: false } : { path: d.path, readOnly: d.readOnly === true }));

  const kernel = new Exokernel({ memory: opts.memory ?? 1 << 30, engine: { engine: opts.engine ?? "auto" } });
  const personality = new LinuxPersonality();
  const sys = new System({ kernel, personality });
  const m = { kernel, sys, personality };
  const line = new StreamLine();
  const dev = new Console({ output: (bytes) => line.sent(bytes), resume: () => line.resume() });
  line.dev = dev;
  const tty = sys.terminals.attachConsole(kernel.newConsole(dev));
  tty.winsize = { rows, cols, xpixel: 0, ypixel: 0 };

  let booted: BootedSystem;
  const prev = enterLog(log);
  try {
    booted = startSystem(m, {
      image: opts.image ?? defaultImage(), readOnly: opts.readOnly === true, disks, init: opts.init ?? "/sbin/init", append: opts.append ?? [], env,
      stdio: "console", warn: () => {},
    });
  } catch (e) {
    // (126 and 127: init is not there or cannot be executed; the rest is about the disks)
    if (e instanceof CliError) throw new ExojitError(e.status === 126 || e.status === 127 ? "E_PROGRAM" : "E_IMAGE", e.message);
    throw e;
  } finally {
    leaveLog(prev);
  }
  const init = booted.init;
  let stopped = false;
  const start = kernel.cpu.icount;
  const loop = new RunLoop(kernel);
  // The host side of the console is not state a snapshot keeps.
  const snaps = new BootSnapshots(kernel, [kernel, sys, booted], (o) => o instanceof StreamLine, () => kernel.onRunnable?.());
  const exited = (async (): Promise<SystemExit> => {
    try {
      await loop.run({ done: () => stopped || init.termination !== null || sys.halt !== null || kernel.cpu.icount - start >= limit, log, between: snaps.between });
      const insns = kernel.cpu.icount - start;
      if (!stopped && init.termination === null && sys.halt === null) throw new ExojitError("E_LIMIT", `the system ran ${insns} instructions`);
      if (init.termination === null && sys.halt !== null) return { status: 0, insns, halt: sys.halt };
      return { status: init.termination !== null ? init.status : -1, insns };
    } finally {
      snaps.end();
      const was = enterLog(log);
      try {
        sys.shutdown();
        booted.close();
      } finally {
        leaveLog(was);
      }
      kernel.dispose();
      line.output.push(null);
    }
  })();
  return {
    console: { input: line.input, output: line.output },
    resize: (r, c) => {
      if (!Number.isInteger(r) || !Number.isInteger(c) || r < 1 || c < 1 || r > 0xffff || c > 0xffff) throw new ExojitError("E_BADARG", `console ${r}x${c}`);
      sys.terminals.console?.resize({ rows: r, cols: c, xpixel: 0, ypixel: 0 });
    },
    exited,
    shutdown: () => {
      stopped = true;
      kernel.onRunnable?.();
    },
    snapshot: () => snaps.snapshot(),
    restore: (snap) => snaps.restore(snap),
    snapshotStats: snaps.stats,
  };
}
