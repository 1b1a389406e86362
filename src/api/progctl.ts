// A Linux i386 program under the embedder's control: loadProgram sets it up (as runProgram
// does), and the embedder runs it in steps: until it exits, until an instruction limit, or until
// a system call it picks (held before it is made). Between steps it can snapshot the whole
// system (progsnap.ts: memory, processes, files, pipes, signals, the output so far) and
// restore it, as often as it likes: the loop of a fuzzer that starts a program once, stops it
// where it reads its input, and then runs it from there on input after input.

import { RunLoop } from "../exokernel/runloop.js";
import { EAX, EBX, ECX, EDX, ESI, EDI, EBP } from "../hw/state.js";
import type { Task } from "../libexoc/task.js";
import { enterLog, leaveLog } from "../log.js";
import { ExojitError } from "./errors.js";
import { launch, type Launched, type ProgramOptions } from "./program.js";
import { BufferSink, BufferSource } from "./stdio.js";
import { captureSystem, restoreSystem, SystemSnapshot, imageOf, newSnapshotStats, opaqueOf, type SystemImage } from "./progsnap.js";
import { checkFits, loadSystem, type ParsedSystem } from "./snapserial.js";

/** A system call a program is about to make. */
export interface SystemCall {
  /** The call's number (i386: EAX) and its arguments (EBX, ECX, EDX, ESI, EDI, EBP). */
  nr: number;
  args: [number, number, number, number, number, number];
  /** The calling process and thread. */
  pid: number;
  tid: number;
}

export interface StepOptions {
  /** Stop before the first system call this returns true for (it is made when the program
   *  runs again); the call a step starts with, if a previous step stopped before it, is not
   *  asked about again. */
  stopAt?: (call: SystemCall) => boolean;
  /** Stop once this step has run about this many guest instructions (checked between
   *  scheduler turns). */
  maxInsns?: number;
}

/** Why a step ended; `insns` counts the step's guest instructions (all processes). */
export type ProgramStop =
  | { reason: "exit"; status: number; insns: number }
  | { reason: "syscall"; call: SystemCall; insns: number }
  | { reason: "limit"; insns: number };


/** Sets up the Linux i386 program at guest path `path`, not started (options as runProgram's;
 *  `stdin` is the input until a restore gives another). Throws ExojitError E_PROGRAM when it
 *  cannot be started. */
export function loadProgram(path: string, opts: ProgramOptions = {}): LoadedProgram {
  return new LoadedProgram(path, opts);
}

export class LoadedProgram {
  private readonly l: Launched;
  private readonly out = new BufferSink("/dev/stdout");
  private readonly err = new BufferSink("/dev/stderr");
  private readonly input: BufferSource;
  private readonly roots: object[];
  private running = false;
  private disposed = false;
  /** The saved snapshot last loaded, and an in-memory snapshot of the state it gave. */
  private lastLoad: { parsed: ParsedSystem; img: SystemImage; snap: SystemSnapshot } | null = null;
  /** A snapshot failed to load halfway: the program was disposed. */
  private broken = false;
  private stopAt: ((call: SystemCall) => boolean) | null = null;
  private stopped: SystemCall | null = null;
  private hookError: unknown = null;
  /** The program's monotonic time when it last stopped: between steps its clock stands still,
   *  as a paused machine's does, so its sleeps and timers do not run out while it waits. */
  private pausedAt: number;
  readonly stats = newSnapshotStats();

  /** @internal */
  constructor(
    private readonly path: string,
    opts: ProgramOptions,
  ) {
    this.input = new BufferSource("/dev/stdin", toBytes(opts.stdin));
    this.l = launch(path, opts, () => [this.input, this.out, this.err]);
    this.l.sys.holdCall = (t) => this.hold(t);
    this.pausedAt = this.l.kernel.clock.now();
    // The snapshot's state: the kernel and the library OS, and the streams (the output so
    // far, the input's position), which the file tables reach too; and the first process,
    // whose status this object reports (a loaded snapshot's first process must be it).
    this.roots = [this.l.kernel, this.l.sys, this.out, this.err, this.input, this.l.proc];
  }

  /** What the program wrote to its standard output and error so far. */
  get stdout(): Buffer {
    return this.out.contents();
  }

  get stderr(): Buffer {
    return this.err.contents();
  }

  /** The first process's exit status (128 + N for a death by signal N), or null while it
   *  runs. */
  get status(): number | null {
    return this.l.proc.termination === null ? null : this.l.proc.status;
  }

  /** Runs the program until it exits, a chosen system call, or an instruction limit. */
  async run(opts: StepOptions = {}): Promise<ProgramStop> {
    this.usable();
    if (opts.maxInsns !== undefined && !(opts.maxInsns > 0)) throw new ExojitError("E_BADARG", `maxInsns ${opts.maxInsns}`);
    const { kernel, proc } = this.l;
    const limit = opts.maxInsns ?? Infinity;
    const start = kernel.cpu.icount;
    // Monotonic time stood still since the last step (or the set-up, or a restore).
    kernel.clock.resumeAt(this.pausedAt);
    this.running = true;
    this.stopAt = opts.stopAt ?? null;
    this.stopped = null;
    this.hookError = null;
    try {
      await new RunLoop(kernel).run({
        done: () => this.stopped !== null || this.hookError !== null || proc.termination !== null || kernel.cpu.icount - start >= limit,
        log: this.l.log,
      });
    } finally {
      this.running = false;
      this.stopAt = null;
      this.pausedAt = kernel.clock.now();
    }
    const insns = kernel.cpu.icount - start;
    if (this.hookError !== null) throw new ExojitError("E_HOOK", "stopAt threw", { cause: this.hookError });
    if (this.stopped !== null) return { reason: "syscall", call: this.stopped, insns };
    if (proc.termination !== null) return { reason: "exit", status: proc.status, insns };
    return { reason: "limit", insns };
  }

  /** System.holdCall: asks stopAt about each call (a held call is made when its thread next
   *  runs, without asking again). */
  private hold(t: Task): boolean {
    if (this.stopAt === null || this.stopped !== null || this.hookError !== null) return false;
    const r = t.regs;
    const call: SystemCall = { nr: r[EAX], args: [r[EBX], r[ECX], r[EDX], r[ESI], r[EDI], r[EBP]], pid: t.proc.pid, tid: t.tid };
    let stop: boolean;
    try {
      stop = this.stopAt(call) === true;
    } catch (e) {
      // The call is held unmade, as for a stop, and the step ends with E_HOOK.
      this.hookError = e;
      return true;
    }
    if (stop) this.stopped = call;
    return stop;
  }

  /** The whole system's state now: memory, processes, files, output so far. */
  snapshot(): SystemSnapshot {
    this.usable();
    const prev = enterLog(this.l.log);
    try {
      const s = SystemSnapshot.make(this, captureSystem(this.l.kernel, this.roots));
      this.stats.taken++;
      return s;
    } finally {
      leaveLog(prev);
    }
  }

  /** Puts the system back as it was when `snap` was taken; `stdin` replaces what is left of
   *  the standard input from there on. */
  restore(snap: SystemSnapshot, opts: { stdin?: Uint8Array | string } = {}): void {
    this.usable();
    const r = imageOf(snap, this);
    const prev = enterLog(this.l.log);
    try {
      if ("img" in r) restoreSystem(this.l.kernel, this.roots, r.img, this.stats);
      else if (this.lastLoad?.parsed === r.parsed) restoreSystem(this.l.kernel, this.roots, this.lastLoad.img, this.stats);
      else {
        this.load(r.parsed);
        // What the load gave, kept in memory: restoring the same saved snapshot again is a
        // plain restore (pages compared, objects written back) instead of a load.
        this.lastLoad?.snap.release();
        const img = captureSystem(this.l.kernel, this.roots);
        this.lastLoad = { parsed: r.parsed, img, snap: SystemSnapshot.make(this, img) };
      }
      this.pausedAt = this.l.kernel.clock.now();
      this.stats.restores++;
      if (opts.stdin !== undefined) this.input.refill(toBytes(opts.stdin));
    } finally {
      leaveLog(prev);
    }
  }

  /** Loads a snapshot read from bytes. Checks that find it does not fit this machine change
   *  nothing; a failure while loading (a host file it had open is gone) leaves the program
   *  unusable (E_CLOSED afterwards), as its state would be half of each. */
  private load(p: ParsedSystem): void {
    checkFits(p, this.l.kernel, this.roots.length, "program", []);
    try {
      loadSystem(this.l.kernel, this.roots, p, this.stats, opaqueOf(this.l.kernel));
    } catch (e) {
      this.broken = true;
      try {
        this.dispose();
      } catch {
        // a state half loaded may not shut down cleanly: the machine is freed regardless
      }
      throw e instanceof ExojitError ? e : new ExojitError("E_SNAPSHOT", `loading the snapshot failed: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Ends the program and frees its machine; the object is unusable afterwards. */
  dispose(): void {
    if (this.disposed) return;
    if (this.running) throw new ExojitError("E_RUNNING", "dispose() while the program runs");
    this.disposed = true;
    this.lastLoad?.snap.release();
    this.lastLoad = null;
    const prev = enterLog(this.l.log);
    try {
      this.l.sys.shutdown();
    } finally {
      leaveLog(prev);
    }
    this.l.kernel.dispose(true);
  }

  private usable(): void {
    if (this.disposed) throw new ExojitError("E_CLOSED", this.broken ? `${this.path}: a snapshot failed to load into it` : `${this.path} was disposed`);
    if (this.running) throw new ExojitError("E_RUNNING", "the program is running (await run() first)");
  }
}

/** A private copy (snapshots keep and put back the input's bytes: never the caller's). */
function toBytes(v: Uint8Array | string | undefined): Uint8Array {
  return typeof v === "string" ? Buffer.from(v) : v === undefined ? new Uint8Array(0) : v.slice();
}
