// /proc/PID/oom_score_adj, oom_adj and oom_score: how the OOM killer would rank a process, and
// the adjustment a process (or its manager: systemd, a browser's sandbox) sets on it. exojit's
// OOM answer kills the process whose page fault found no frame (System.outOfMemory), so the
// values rank nothing here; they are kept, inherited by fork and checked as Linux checks them.
//   - oom_score_adj: -1000..1000. Going below the process's floor (0 at first) needs
//     CAP_SYS_RESOURCE (EACCES otherwise); a value set with it becomes the floor.
//   - oom_adj: the old scale, -17 (OOM_DISABLE) to 15, mapped to and from oom_score_adj.
//   - oom_score: 1000 plus the resident share of RAM in thousandths, plus the adjustment, 0 to
//     2000 (Linux 5.9's scale); 0 for init and for a process without memory.

import type { Task } from "../task.js";
import type { View } from "./pid.js";
import { sysError } from "../errors.js";
import { capable, CAP_SYS_RESOURCE } from "../capability.js";
import { memFigures, rss } from "./mem.js";

const OOM_SCORE_ADJ_MIN = -1000, OOM_SCORE_ADJ_MAX = 1000, OOM_DISABLE = -17, OOM_ADJUST_MAX = 15;

/** An integer written to a /proc file (an optional sign, digits, an optional newline). */
function writtenInt(data: Uint8Array): number {
  const s = Buffer.from(data).toString("latin1").replace(/\n$/, "").trim();
  if (!/^[-+]?\d+$/.test(s)) sysError("EINVAL");
  return Number(s);
}

function setAdj(v: View, value: number, who: Task | null, legacy: boolean): void {
  const p = v.p;
  if (p.termination !== null) sysError("ESRCH");
  const privileged = who !== null && capable(who.proc, CAP_SYS_RESOURCE);
  if (value < p.oomScoreAdjMin && !privileged) sysError("EACCES");
  p.oomScoreAdj = value;
  if (!legacy && privileged) p.oomScoreAdjMin = value;
}

export function scoreAdjText(v: View): string {
  return `${v.p.oomScoreAdj}\n`;
}

export function storeScoreAdj(v: View, data: Uint8Array, who: Task | null): void {
  const value = writtenInt(data);
  if (value < OOM_SCORE_ADJ_MIN || value > OOM_SCORE_ADJ_MAX) sysError("EINVAL");
  setAdj(v, value, who, false);
}

export function adjText(v: View): string {
  const adj = v.p.oomScoreAdj;
  const old = adj === OOM_SCORE_ADJ_MAX ? OOM_ADJUST_MAX : Math.trunc((adj * -OOM_DISABLE) / OOM_SCORE_ADJ_MAX);
  return `${old}\n`;
}

export function storeAdj(v: View, data: Uint8Array, who: Task | null): void {
  const old = writtenInt(data);
  if ((old < OOM_DISABLE || old > OOM_ADJUST_MAX) && old !== OOM_DISABLE) sysError("EINVAL");
  const value = old === OOM_ADJUST_MAX ? OOM_SCORE_ADJ_MAX : Math.trunc((old * OOM_SCORE_ADJ_MAX) / -OOM_DISABLE);
  setAdj(v, value, who, true);
}

export function scoreText(v: View): string {
  const p = v.p;
  const t = v.t;
  if (p.pid === 1 || t === null || !t.alive) return "0\n";
  const total = v.sys.kernel.frames.total;
  const pages = rss(memFigures(v.sys.kernel, t.mm));
  const badness = pages + (p.oomScoreAdj * total) / 1000;
  return `${Math.max(0, Math.min(2000, Math.floor(1000 + (badness * 1000) / total)))}\n`;
}

/** /proc/PID/coredump_filter (proc_coredump_filter_read/write): eight hex digits; a write takes
 *  a number in C's bases (0x.., 0.., decimal) and keeps its low 9 bits (MMF_DUMP_FILTER_BITS). */
export function coredumpFilterText(v: View): string {
  return `${v.p.coredumpFilter.toString(16).padStart(8, "0")}\n`;
}

export function storeCoredumpFilter(v: View, data: Uint8Array): void {
  const s = Buffer.from(data).toString("latin1").replace(/\n$/, "").trim();
  let n: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) n = parseInt(s.slice(2), 16);
  else if (/^0[0-7]*$/.test(s)) n = parseInt(s, 8);
  else if (/^\+?[1-9]\d*$/.test(s)) n = Number(s);
  else return sysError("EINVAL");
  if (!(n <= 0xffffffff)) sysError("ERANGE");
  if (v.p.termination !== null) sysError("ESRCH");
  v.p.coredumpFilter = n & 0x1ff;
}
