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
  /** ("trapped": a tracee's ptrace stop, whose status is the stop's code: ptrace.ts) */
  kind: "exited" | "killed" | "dumped" | "stopped" | "continued" | "trapped";
  status: number;
  /** The child's CPU time (ns) and its reaped children's, for rusage. */
  cpuNs: number;
  /** The part of cpuNs that was system time. */
  sysNs: number;
}

/** Whether a thread of another process (a tracee) is one `sel` names: by its thread id. */
function selectsThread(sel: ChildSelector, x: Task): boolean {
  return sel.kind === "pid" ? x.tid === sel.pid : selects(sel, x.proc);
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
  // (a tracer waits for its tracees' threads too, by thread id, and hears of their ends)
  const tracees: Task[] = [];
  for (const th of me.threads) for (const x of th.tracees) if (selectsThread(sel, x)) tracees.push(x);
  const ended = me.traceZombies.filter((x) => selectsThread(sel, x));
  if (kids.length === 0 && tracees.length === 0 && ended.length === 0) sysError("ECHILD");
  for (const x of tracees) {
    const tr = x.trace;
    if (tr === null || tr.stop === null || tr.reported) continue;
    if (!o.noWait) tr.reported = true;
    return { pid: x.tid, uid: x.proc.uid, kind: "trapped", status: tr.code, cpuNs: x.proc.cpuNs, sysNs: processSysNs(x.proc, x.proc.cpuNs) };
  }
  for (const x of ended) {
    if (!o.exited) break;
    if (!o.noWait) me.traceZombies.splice(me.traceZombies.indexOf(x), 1);
    const term = x.exitCode === null ? x.proc.termination : null;
    const kind = term === null ? "exited" : term.kind === "exit" ? "exited" : term.core ? "dumped" : "killed";
    const status = term === null ? (x.exitCode ?? 0) : term.kind === "exit" ? term.code : term.signal;
    return { pid: x.tid, uid: x.proc.uid, kind, status, cpuNs: 0, sysNs: 0 };
  }
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
    // (a process ends for its waiter once the ends of its traced threads are reaped, as
    // Linux's delay_group_leader keeps the leader back while its group is not empty)
    if (t.proc.traceZombies.some((z) => z.proc === c)) return null;
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
  // (a child this process traces is reported through its ptrace stops, not as stopped)
  for (const th of c.threads) if (th.trace !== null && th.trace.tracer.proc === t.proc) return null;
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
