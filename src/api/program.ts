// Running a Linux i386 program from an embedding host: what `exojit run` does (src/cli/run.ts),
// with the guest's standard streams connected to buffers instead of the host's descriptors, so
// the caller gets stdout, stderr and the exit status back as values.

import * as fs from "node:fs";
import { fromNodePath, hostRealpath } from "../libexoc/hostpath.js";

import { Exokernel } from "../exokernel/kernel.js";
import { RunLoop } from "../exokernel/runloop.js";
import { System } from "../libexoc/system.js";
import { HostVolume } from "../libexoc/volumes/host.js";
import { ExecError } from "../libexoc/exec.js";
import { SysError } from "../libexoc/errors.js";
import { LinuxPersonality, startProgram } from "../posix/linux.js";
import { BufferSink, BufferSource } from "./stdio.js";
import { ExojitError } from "./errors.js";
import type { EngineKind } from "./machine.js";
import type { OpenFile } from "../libexoc/file.js";
import type { Process } from "../libexoc/process.js";
import { enterLog, leaveLog, type LogScope, type TraceCategory } from "../log.js";
import { scopeOf } from "./logging.js";
import type { Logger } from "pino";

export interface ProgramOptions {
  /** argv, program name included (default: [path]). */
  argv?: string[];
  /** Environment as NAME=value strings, or an object (default: none at all). */
  env?: string[] | Record<string, string>;
  /** Host directory that is the guest's root (default "/"); `path` is a guest path in it. */
  root?: string;
  /** Guest working directory (default: the host's working directory as seen under the root,
   *  or "/" when the root does not contain it, as `exojit run` chooses). */
  cwd?: string;
  /** Whether the program may write anywhere under the root (default: nowhere). */
  writable?: boolean;
  /** Standard input (default: empty). */
  stdin?: Uint8Array | string;
  engine?: EngineKind;
  /** Guest physical memory in bytes (default 256 MiB). */
  memory?: number;
  /** Stop the program once it has run this many guest instructions (checked between scheduler
   *  turns, so it may run a little more): the promise rejects with E_LIMIT. */
  maxInsns?: number;
  /** A pino logger that gets exojit's records about this program: warnings and errors, and
   *  the trace records of the `trace` categories (docs/embedding.md, "Logging"). */
  logger?: Logger;
  /** Trace categories (those of the CLI's --trace: syscall, fault, jit, mmu, dev, exec,
   *  signal, sched), or "all"; they need `logger`. */
  trace?: readonly TraceCategory[] | "all";
}

export interface ProgramResult {
  stdout: Buffer;
  stderr: Buffer;
  /** The exit code, or 128 + N for a death by signal N (as a shell reports it). */
  status: number;
  /** Guest instructions executed (all processes). */
  insns: number;
}

/** A program set up to run: its system and first process, not started yet. */
export interface Launched {
  kernel: Exokernel;
  sys: System;
  proc: Process;
  log: LogScope | null;
  limit: number;
}

/** Checks the options, builds the system and creates the program's first process with
 *  `stdio` as descriptors 0-2. Throws ExojitError E_PROGRAM / E_BADARG. */
export function launch(path: string, opts: ProgramOptions, stdio: () => [OpenFile, OpenFile, OpenFile]): Launched {
  const root = opts.root ?? "/";
  let st: fs.Stats;
  try {
    st = fs.statSync(root);
  } catch {
    throw new ExojitError("E_PROGRAM", `root ${root}: no such directory`);
  }
  if (!st.isDirectory()) throw new ExojitError("E_PROGRAM", `root ${root}: not a directory`);
  const limit = opts.maxInsns ?? Infinity;
  if (!(limit > 0)) throw new ExojitError("E_BADARG", `maxInsns ${limit}`);
  const env = Array.isArray(opts.env) ? opts.env : Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`);
  const log = scopeOf(opts.logger, opts.trace);

  const prev = enterLog(log);
  try {
    const kernel = new Exokernel({ memory: opts.memory ?? 256 << 20, engine: { engine: opts.engine ?? "auto" } });
    const sys = new System({ kernel, personality: new LinuxPersonality() });
    const vol = new HostVolume(root, opts.writable === true, []);
    vol.pageCache = sys.pageCache;
    const vfs = sys.newVfs(vol);
    let task;
    try {
      task = startProgram({ sys, fs: vfs, path, argv: opts.argv ?? [path], env, cwd: (opts.cwd !== undefined ? fromNodePath(opts.cwd) : null) ?? vol.relOf(hostRealpath(process.cwd())) ?? "/", stdio: "none" });
    } catch (e) {
      if (e instanceof ExecError) throw new ExojitError("E_PROGRAM", `${path}: ${e.reason}`);
      if (e instanceof SysError) throw new ExojitError("E_PROGRAM", `${path}: ${e.errno}`);
      throw e;
    }
    // Descriptors 0-2 (the table is empty with stdio "none"; the program has not run yet).
    for (const f of stdio()) task.fds.add(f);
    return { kernel, sys, proc: task.proc, log, limit };
  } finally {
    leaveLog(prev);
  }
}

/** Runs a launched program until it ends and returns the instructions it executed; rejects
 *  with E_LIMIT at its instruction limit. What it leaves behind is killed, as `exojit run`
 *  does. */
export async function drive(l: Launched, path: string): Promise<number> {
  const { kernel, proc, limit } = l;
  const start = kernel.cpu.icount;
  let ended = false;
  try {
    await new RunLoop(kernel).run({ done: () => proc.termination !== null || kernel.cpu.icount - start >= limit, log: l.log });
    ended = proc.termination !== null;
  } finally {
    const prev = enterLog(l.log);
    try {
      l.sys.shutdown();
    } finally {
      leaveLog(prev);
    }
  }
  const insns = kernel.cpu.icount - start;
  // (a program's files are host files, read synchronously: nothing writes guest RAM later)
  kernel.dispose(true);
  if (!ended) throw new ExojitError("E_LIMIT", `${path} ran ${insns} instructions`);
  return insns;
}

/** Runs the Linux i386 program at guest path `path` to its end and resolves with its output
 *  and status. Rejects with ExojitError E_PROGRAM when it cannot be started. */
export async function runProgram(path: string, opts: ProgramOptions = {}): Promise<ProgramResult> {
  const stdout = new BufferSink("/dev/stdout");
  const stderr = new BufferSink("/dev/stderr");
  const stdin = new BufferSource("/dev/stdin", typeof opts.stdin === "string" ? Buffer.from(opts.stdin) : opts.stdin ?? new Uint8Array(0));
  const l = launch(path, opts, () => [stdin, stdout, stderr]);
  const insns = await drive(l, path);
  return { stdout: stdout.contents(), stderr: stderr.contents(), status: l.proc.status, insns };
}
