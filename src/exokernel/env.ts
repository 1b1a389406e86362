// Environments: a CPU context in an address space, with thread-local segment descriptors of its
// own. The exokernel runs one on the CPU until it exits (system call trap, fault, halt, budget),
// then hands the exit record to the environment's handler, which a library OS (libexoc)
// provides. Several environments may share one address space (threads of one process).
//
// Scheduling state is mechanism too: an environment is runnable, or waits (on wait queues, a
// deadline, or both; see wait.ts), and independently of that it may be suspended (a library OS
// uses this for job-control stops); the scheduler runs only environments that are runnable and
// not suspended.

import { CpuContext } from "../hw/context.js";
import { settleOnce } from "../hw/v8fields.js";
import type { AddressSpace } from "./aspace.js";
import type { FramePool } from "./frames.js";
import type { Waiter, WaitQueue } from "./wait.js";
import type { Timer } from "./clock.js";

/** Exit kinds. */
export const X_BUDGET = 0; // the instruction budget ran out
export const X_INT = 1; // software interrupt `int n` (vector), EIP after it
export const X_SYSENTER = 2; // `sysenter`, EIP after it
export const X_FAULT = 3; // processor exception (vector, error code, address), EIP at the instruction
export const X_HALT = 4; // `hlt` in ring 0

export const EXIT_NAMES = ["budget", "int", "sysenter", "fault", "halt"] as const;

/** Why a waiting environment became runnable again. */
export const WAKE_EVENT = 1; // a wait queue it waited on was notified
export const WAKE_TIMEOUT = 2; // its deadline passed
export const WAKE_INTERRUPT = 3; // someone woke it explicitly (a signal, in POSIX terms)

/** Why an environment stopped. One record per environment, reused for every exit. */
export class Exit {
  kind = X_BUDGET;
  vector = 0;
  error = 0;
  addr = 0;
}

/** Implemented by a library OS: what to do when its environment exits, and when it is about to
 *  run again after waiting. */
export interface ExitHandler {
  handleExit(env: Environment, exit: Exit): void;
  /** Called at the start of each turn on the CPU: `reason` (WAKE_*) says why a wait ended
   *  since the last turn, 0 if none did. */
  handleWake?(env: Environment, reason: number): void;
  /** A page fault at `addr` (error code `error`), offered before it becomes an exit: true if
   *  the handler made the access possible (the instruction then goes on), false to take the
   *  fault as an exit. It must not do anything else a fault exit would (signals, traces of
   *  failures): those happen when the fault exits. */
  resolvePageFault?(env: Environment, addr: number, error: number): boolean;
  /** After each turn on the CPU: the environment ran for `ns` of host time (its cpuNs already
   *  counts it), so CPU-time timers can be checked. */
  accounted?(env: Environment, ns: number): void;
}

/** Thread-local descriptors an environment carries into its space's GDT: 3 entries of 2 words. */
export const TLS_WORDS = 6;

let nextEnvId = 1;

/** The bit an X_FAULT exit's error code carries for a debug trap after a single step (the
 *  debug status register's BS bit). */
export const DR6_BS = 0x4000;

export class Environment implements Waiter {
  readonly id = nextEnvId++;
  readonly ctx = new CpuContext();
  readonly exit = new Exit();
  handler: ExitHandler | null = null;
  /** Cleared when destroyed. */
  alive = true;
  /** How traces name it (a library OS sets its own name: a process and thread id). */
  label = "";
  /** The TLS descriptors of this environment (GDT words), loaded into the GDT when it runs. */
  readonly tls = new Int32Array(TLS_WORDS);

  /** Waiting: the queues and timer it waits on; `waiting` is false when runnable. */
  waiting = false;
  waitQueues: WaitQueue[] = [];
  waitTimer: Timer | null = null;
  /** Why the last wait ended (WAKE_*), 0 while none ended since the handler last looked. */
  wakeReason = 0;
  /** Suspended environments are not scheduled, whether or not they wait. */
  suspended = false;
  /** Single-stepping (EFLAGS.TF) stopped at a system call: the debug trap the instruction owes
   *  is taken when the environment next runs, after the call. */
  stepTrap = false;
  /** RDTSC faults in this environment (Exokernel.setTsc). */
  noTsc = false;
  /** CPUID faults in this environment (Exokernel.setCpuid). */
  noCpuid = false;
  /** Whether the scheduler's run queue holds it. */
  queued = false;
  /** Set to end the current turn early (a yield). */
  turnOver = false;
  /** Scheduling priority, -20 (most) ... 19 (least), as POSIX nice values. */
  nice = 0;
  /** Fixed priority, 1 (least) ... 99 (most), above every environment without one (0): the
   *  real-time class (SCHED_FIFO, SCHED_RR). FairShare runs the runnable one of the highest
   *  fixed priority, except for a share of the CPU it keeps for the others. */
  fixedPrio = 0;
  /** With a fixed priority: keeps the CPU until it waits or yields (first in, first out),
   *  rather than taking turns with its equals (round robin). */
  fixedFifo = false;
  /** Set by a yield: its next enqueue puts it after its equals, whatever its discipline. */
  yieldedFixed = false;
  /** Virtual run time (FairShare): host ns run, scaled by the inverse of its nice weight. */
  vruntime = 0;
  /** Its place in the scheduler's run queue (a heap index), -1 when not queued. */
  slot = -1;
  /** Instructions executed, host time spent running it (ns), and times put on the CPU. */
  insns = 0;
  cpuNs = 0;
  switches = 0;

  constructor(
    public aspace: AddressSpace,
    readonly pool: FramePool,
    /** Called when a wait of this environment ends (the exokernel makes it runnable). */
    private readonly onWake: (env: Environment, reason: number) => void,
  ) {
    // (hw/v8fields.ts: these counts outgrow a small integer after about a second or 2^30
    // instructions, in the middle of a run)
    settleOnce(this, { vruntime: [0.5], insns: [0.5], cpuNs: [0.5] });
  }

  /** Waiter: a queue it waits on was notified. */
  wake(_q: WaitQueue): void {
    this.onWake(this, WAKE_EVENT);
  }
}
