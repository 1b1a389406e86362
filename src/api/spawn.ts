// A program running while the host talks to it: spawnProgram starts it and returns at once, with
// its standard output and error as Readable streams that deliver output as the guest writes it,
// its standard input as a Writable (or a buffer given up front), a promise of its end, and
// kill(). runProgram (program.ts) is the same launch with buffers instead of streams.

import * as os from "node:os";
import type { Readable, Writable } from "node:stream";
import { SI_USER } from "../libexoc/signal.js";
import { enterLog, leaveLog } from "../log.js";
import { ExojitError } from "./errors.js";
import { drive, launch, type ProgramOptions } from "./program.js";
import { BufferSource } from "./stdio.js";
import { StreamSink, StreamSource } from "./streams.js";

export interface ProgramExit {
  /** The exit code, or 128 + N for a death by signal N. */
  status: number;
  /** Guest instructions executed (all processes). */
  insns: number;
}

export interface SpawnedProgram {
  /** What the program writes to descriptor 1, as it writes it. */
  readonly stdout: Readable;
  /** What it writes to descriptor 2. */
  readonly stderr: Readable;
  /** Its standard input (end it for end of file); null when `stdin` was given as a buffer. */
  readonly stdin: Writable | null;
  /** Resolves when the program has ended, after the last of its output has been pushed into
   *  stdout and stderr; rejects with E_LIMIT at `maxInsns`. */
  readonly exited: Promise<ProgramExit>;
  /** Sends a signal (a number or a name such as "SIGINT"; default SIGTERM) to the program's
   *  first process. Returns whether it was still running to get it. */
  kill(signal?: number | NodeJS.Signals): boolean;
}

/** Starts the Linux i386 program at guest path `path` (options as runProgram's; `stdin` given
 *  as a buffer or string is the whole input, otherwise `stdin` is a Writable). Throws
 *  ExojitError E_PROGRAM when it cannot be started. */
export function spawnProgram(path: string, opts: ProgramOptions = {}): SpawnedProgram {
  const stdout = new StreamSink("/dev/stdout");
  const stderr = new StreamSink("/dev/stderr");
  const source = opts.stdin === undefined ? new StreamSource("/dev/stdin") : null;
  const input = source ?? new BufferSource("/dev/stdin", typeof opts.stdin === "string" ? Buffer.from(opts.stdin) : opts.stdin ?? new Uint8Array(0));
  const l = launch(path, opts, () => [input, stdout, stderr]);
  stdout.log = stderr.log = l.log;
  if (source !== null) source.log = l.log;
  const ending = (): void => {
    stdout.end();
    stderr.end();
  };
  const exited = drive(l, path).then(
    (insns) => {
      ending();
      return { status: l.proc.status, insns };
    },
    (e: unknown) => {
      ending();
      throw e;
    },
  );
  return {
    stdout: stdout.stream,
    stderr: stderr.stream,
    stdin: source?.stream ?? null,
    exited,
    kill(signal: number | NodeJS.Signals = "SIGTERM"): boolean {
      const sig = typeof signal === "number" ? signal : os.constants.signals[signal];
      if (!Number.isInteger(sig) || sig < 1 || sig > 64) throw new ExojitError("E_BADARG", `signal ${String(signal)}`);
      const prev = enterLog(l.log);
      try {
        // Sent as kill(2) from outside the guest's processes would be (pid 0, root).
        const got = l.proc.signal(sig, { signal: sig, code: SI_USER, addr: 0, pid: 0, uid: 0, trapno: 0, error: 0 });
        // A signal that ends the process at once (SIGKILL) wakes no task: the run loop, maybe
        // idle, is told to look again.
        l.kernel.onRunnable?.();
        return got;
      } finally {
        leaveLog(prev);
      }
    },
  };
}
