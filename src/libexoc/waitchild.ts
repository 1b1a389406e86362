// Waiting for children (wait4, waitpid, waitid): which children a call selects, what it may
// report (termination, stop, continue), and reaping. A call that finds nothing to report waits
// on the process's child-event queue and runs again when a child changes state.

import { processSysNs } from "./time.js";
import { WouldBlock, RESTART_IF_SA } from "./blocking.js";
import { sysError } from "./errors.js";
import type { Process } from "./process.js";
import type { Task } from "./task.js";

/** Which children: one pid, a process group, or any. */
export type ChildSelector = { kind: "pid"; pid: number } | { kind: "pgid"; pgid: number } | { kind: "any" };

export interface WaitOptions {
  /** Return at once if nothing is ready (WNOHANG). */
  noHang: boolean;
  /** Report terminated children (always for wait4; WEXITED for waitid). */
  exited: boolean;
  /** Report stopped children (WUNTRACED / WSTOPPED). */
  stopped: boolean;
  /** Report continued children (WCONTINUED). */
  continued: boolean;
  /** Leave the child waitable (WNOWAIT). */
  noWait: boolean;
}

/** What a wait reports. `status` is the exit code, or the signal that killed, stopped or
 *  continued the child. */
export interface WaitReport {
  pid: number;
  uid: number;
  kind: "exited" | "killed" | "dumped" | "stopped" | "continued";
  status: number;
  /** The child's CPU time (ns) and its reaped children's, for rusage. */
  cpuNs: number;
  /** The part of cpuNs that was system time. */
  sysNs: number;
}

function selects(sel: ChildSelector, c: Process): boolean {
  switch (sel.kind) {
    case "any":
      return true;
    case "pid":
      return c.pid === sel.pid;
    case "pgid":
      return c.pgid === sel.pgid;
  }
}

/** Looks for a child to report; null if none is ready and WNOHANG was given. Waits otherwise;
 *  ECHILD if no child matches at all. */
export function waitChild(t: Task, sel: ChildSelector, o: WaitOptions): WaitReport | null {
  const me = t.proc;
  const kids = [...me.children].filter((c) => selects(sel, c));
  if (kids.length === 0) sysError("ECHILD");
  for (const c of kids) {
    const r = report(t, c, o);
    if (r !== null) return r;
  }
  if (o.noHang) return null;
  throw new WouldBlock([me.childEvents], null, RESTART_IF_SA);
}

function report(t: Task, c: Process, o: WaitOptions): WaitReport | null {
  const term = c.termination;
  if (term !== null) {
    if (!o.exited) return null;
    const r: WaitReport = {
      pid: c.pid, uid: c.uid, cpuNs: c.cpuNs + c.childCpuNs, sysNs: processSysNs(c, c.cpuNs) + c.childSysNs,
      kind: term.kind === "exit" ? "exited" : term.core ? "dumped" : "killed",
      status: term.kind === "exit" ? term.code : term.signal,
    };
    if (!o.noWait) {
      t.proc.childCpuNs += r.cpuNs;
      t.proc.childMaxRssPages = Math.max(t.proc.childMaxRssPages, c.maxRssPages, c.childMaxRssPages);
      t.proc.childSysNs += r.sysNs;
      t.sys.reap(c);
    }
    return r;
  }
  const rep = c.report;
  if (rep === null) return null;
  if (rep.kind === "stopped" && o.stopped) {
    if (!o.noWait) c.report = null;
    return { pid: c.pid, uid: c.uid, kind: "stopped", status: rep.signal, cpuNs: c.cpuNs, sysNs: processSysNs(c, c.cpuNs) };
  }
  if (rep.kind === "continued" && o.continued) {
    if (!o.noWait) c.report = null;
    return { pid: c.pid, uid: c.uid, kind: "continued", status: 18, cpuNs: c.cpuNs, sysNs: processSysNs(c, c.cpuNs) };
  }
  return null;
}
