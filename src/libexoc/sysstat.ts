// System-wide figures the guest can ask for (sysinfo, /proc/stat, /proc/loadavg, ps): the boot
// time and uptime, the state of each task as ps shows it, how many tasks run, the CPU time used,
// and the load averages. The system booted when exojit started (the exokernel clock's zero).
//
// Load averages follow Linux's rule: every 5 seconds since boot, each average moves towards the
// number of tasks running, runnable or in uninterruptible waits, by a factor of exp(-5/60),
// exp(-5/300) and exp(-5/900), in Linux's 11-bit fixed point. Nothing runs on a timer: the
// intervals that passed since the last look are applied when the averages are read, with the
// count seen at that moment.

import type { System } from "./system.js";
import type { Task } from "./task.js";
import type { Process } from "./process.js";
import { UNINTERRUPTIBLE } from "./blocking.js";

/** A task's state as ps prints it: running or runnable, sleeping (interruptible), waiting
 *  uninterruptibly, stopped; a process whose threads all ended is a zombie. */
export type TaskState = "R" | "S" | "D" | "T" | "Z";

export function taskState(t: Task): TaskState {
  if (!t.alive) return "Z";
  const env = t.kernel.env(t.env);
  if (t.proc.stopped || env.suspended) return "T";
  if (t.blocked !== null) return t.blocked.restart === UNINTERRUPTIBLE ? "D" : "S";
  return env.waiting ? "S" : "R";
}

/** A process's state: its main thread's, Z once every thread ended. */
export function processState(p: Process): TaskState {
  const t = p.leader;
  return p.termination !== null || t === null ? "Z" : taskState(t);
}

/** Fixed-point load averages (linux/sched/loadavg.h): 11 fractional bits, and the decay per
 *  5-second interval for the 1, 5 and 15 minute averages. */
export const FSHIFT = 11;
const FIXED_1 = 1 << FSHIFT;
const EXP = [1884, 2014, 2037];
const LOAD_FREQ_NS = 5e9;
/** Intervals applied at most in one catch-up (the averages have converged long before). */
const MAX_CATCH_UP = 4096;

export class SystemStats {
  /** Wall-clock time of boot (exojit's start), in ms since the epoch. */
  readonly bootWallMs: number;
  /** Load averages in FSHIFT fixed point, and how many intervals they account for. */
  private readonly avenrun = [0, 0, 0];
  private intervals = 0;

  constructor(private readonly sys: System) {
    this.bootWallMs = Date.now() - sys.kernel.clock.now() / 1e6;
  }

  /** Nanoseconds since boot. */
  uptimeNs(): number {
    return this.sys.kernel.clock.now();
  }

  /** Tasks alive, those running or runnable, and those in uninterruptible waits. */
  counts(): { total: number; running: number; uninterruptible: number } {
    let running = 0, uninterruptible = 0;
    for (const t of this.sys.tasks.values()) {
      const s = taskState(t);
      if (s === "R") running++;
      else if (s === "D") uninterruptible++;
    }
    return { total: this.sys.tasks.size, running, uninterruptible };
  }

  /** CPU time one task has used (ns), including the turn it may be in now. */
  taskCpuNs(t: Task): number {
    return t.alive ? this.sys.kernel.cpuTime(t.env) : 0;
  }

  /** CPU time a process has used (ns): its ended threads' and its live ones'. */
  processCpuNs(p: Process): number {
    let n = p.deadCpuNs;
    for (const t of p.threads) n += this.taskCpuNs(t);
    return n;
  }

  /** CPU time every process since boot has used (ns), and the times tasks were put on the CPU. */
  cpuTotals(): { busyNs: number; switches: number } {
    let busyNs = 0, switches = 0;
    for (const h of this.sys.history) {
      busyNs += h.cpuNs;
      switches += h.switches;
    }
    for (const p of this.sys.procs.values()) {
      if (p.termination !== null) continue; // counted in the history
      busyNs += this.processCpuNs(p);
      switches += p.deadSwitches;
      for (const t of p.threads) switches += this.sys.kernel.env(t.env).switches;
    }
    return { busyNs, switches };
  }

  /** The 1, 5 and 15 minute load averages in FSHIFT fixed point. */
  loadAverage(): [number, number, number] {
    const due = Math.floor(this.uptimeNs() / LOAD_FREQ_NS);
    const steps = Math.min(due - this.intervals, MAX_CATCH_UP);
    if (steps > 0) {
      const c = this.counts();
      const active = (c.running + c.uninterruptible) * FIXED_1;
      for (let k = 0; k < steps; k++) {
        for (let i = 0; i < 3; i++) this.avenrun[i] = calcLoad(this.avenrun[i], EXP[i], active);
      }
    }
    this.intervals = due;
    return [this.avenrun[0], this.avenrun[1], this.avenrun[2]];
  }
}

/** One step of Linux's calc_load (rounding up while the load rises). */
function calcLoad(load: number, exp: number, active: number): number {
  let n = load * exp + active * (FIXED_1 - exp);
  if (active >= load) n += FIXED_1 - 1;
  return Math.floor(n / FIXED_1);
}
