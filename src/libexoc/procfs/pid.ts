// The text of /proc/PID/* and /proc/PID/task/TID/*, as Linux 6.1 prints it (fs/proc/array.c,
// base.c, task_mmu.c, fd.c): stat, statm, status, cmdline, environ, comm, limits, maps, mounts,
// mountinfo and fdinfo. Each generator reads a View: the process and the thread the directory
// shows, whether it shows the whole process, and whether the reader may inspect it.
// Counters exojit does not keep (page faults, peaks) print as zeros or as the current value,
// as the comments say.

import { processSysNs, threadSysNs } from "../time.js";
import * as nodefs from "node:fs";
import type { WaitQueue } from "../../exokernel/wait.js";
import type { System } from "../system.js";
import type { Process } from "../process.js";
import type { Task } from "../task.js";
import type { Mm } from "../mm.js";
import { mountsText as vfsMountsText, mountinfoText as vfsMountinfoText } from "../vfs/mountops.js";
import type { OpenFile } from "../file.js";
import { DirFile } from "../dirfile.js";
import { PipeEnd } from "../pipe.js";
import { Inotify } from "../inotify.js";
import { devMajor, devMinor } from "../vfs/devices.js";
import { SIG_DFL, SIG_IGN, NSIG, type PendingSet } from "../signal.js";
import { RLIMIT_RSS, RLIMIT_SIGPENDING, RLIMIT_COUNT } from "../limits.js";
import { CachedFile } from "../pagecache.js";
import { PROT_READ, PROT_WRITE, PROT_EXEC, pageUp, type Vma } from "../vm.js";
import { taskState, processState } from "../sysstat.js";
import { memFigures, rss } from "./mem.js";
import {
  PAGE, ticks, STATE_NAMES, LIMIT_NAMES, ULONG_MAX, PF_EXITING, SHMEM_DEV, hexDev, devParts,
  O_WRONLY, O_RDWR, O_APPEND, O_NONBLOCK, O_LARGEFILE, O_DIRECTORY, O_CLOEXEC, MNT_ROOT, MNT_PROC, MNT_PIPEFS, PROC_DEV,
} from "./linux.js";
import { hex } from "../capability.js";

/** What a /proc/PID (or task/TID) directory shows. */
export interface View {
  sys: System;
  p: Process;
  /** The thread: the main thread for /proc/PID, one thread for task/TID; null once the
   *  process is a zombie (every thread ended). */
  t: Task | null;
  /** The number the directory is named by. */
  id: number;
  /** Figures of the whole process (/proc/PID) or of the one thread (task/TID). */
  whole: boolean;
  /** Whether the reader may inspect the process (Linux's ptrace-access rule): addresses and the
   *  exit code show as zeros to others. */
  permitted: boolean;
  /** The controlling terminal's device (new_encode_dev) and foreground group, or 0 and -1. */
  ttyNr: number;
  ttyPgrp: number;
}

/** The thread's memory, or null for a zombie. */
export function mmOf(v: View): Mm | null {
  return v.t !== null && v.t.alive ? v.t.mm : null;
}

function commOf(v: View): string {
  const b = v.t !== null ? v.t.comm : v.p.lastComm;
  const end = b.indexOf(0);
  return b.subarray(0, end < 0 ? b.length : end).toString("latin1");
}

function stateOf(v: View): string {
  if (v.whole || v.t === null) return processState(v.p);
  return taskState(v.t);
}

/** Bit masks (low and high word) of a set of signal numbers. */
function mask(sigs: Iterable<number>): [number, number] {
  let lo = 0, hi = 0;
  for (const s of sigs) {
    if (s >= 1 && s <= 32) lo |= 1 << (s - 1);
    else if (s > 32 && s <= NSIG) hi |= 1 << (s - 33);
  }
  return [lo >>> 0, hi >>> 0];
}

/** Signals ignored and caught by the process's dispositions. */
function dispositions(t: Task | null): { ign: [number, number]; cgt: [number, number] } {
  const ign: number[] = [], cgt: number[] = [];
  if (t !== null) {
    for (let s = 1; s <= NSIG; s++) {
      const h = t.sig.actions[s].handler;
      if (h === SIG_IGN) ign.push(s);
      else if (h !== SIG_DFL) cgt.push(s);
    }
  }
  return { ign: mask(ign), cgt: mask(cgt) };
}

function pendingOf(set: PendingSet | undefined): [number, number] {
  return set === undefined ? [0, 0] : mask(set.keys());
}

/** The signal set as status shows it: 16 hex digits, signal 64 first. */
function sigset([lo, hi]: [number, number]): string {
  return hi.toString(16).padStart(8, "0") + lo.toString(16).padStart(8, "0");
}

/** What a zombie's parent's wait would report (the exit_code field). */
function exitCode(p: Process): number {
  const term = p.termination;
  if (term === null) return 0;
  return term.kind === "exit" ? (term.code & 0xff) << 8 : term.signal | (term.core ? 0x80 : 0);
}

function limitValue(n: number): number {
  return n === Infinity ? ULONG_MAX : n;
}

/** /proc/PID/stat: one line of 52 fields (do_task_stat). */
export function statText(v: View): string {
  const { sys, p, t } = v;
  const mm = mmOf(v);
  const mf = mm !== null ? memFigures(sys.kernel, mm) : null;
  const l = mm?.layout;
  const ok = v.permitted && mm !== null && l !== undefined;
  const cpu = v.whole ? sys.stats.processCpuNs(p) : t !== null ? sys.stats.taskCpuNs(t) : 0;
  // (no more than `cpu`, read a moment earlier)
  const sysNs = v.whole ? processSysNs(p, cpu) : t !== null ? threadSysNs(t, cpu) : 0;
  const nice = t !== null && t.alive ? sys.kernel.env(t.env).nice : 0;
  // (a real-time thread's priority field is -1 - its real-time priority, as task_prio gives)
  const rtPrio = t !== null && t.alive ? sys.kernel.env(t.env).fixedPrio : 0;
  const policy = t !== null ? t.schedPolicy : 0;
  const state = stateOf(v);
  const threads = p.threads.size;
  const { ign, cgt } = dispositions(t);
  const pending = pendingOf(t?.sig.pending);
  const blocked: [number, number] = t !== null ? [t.sig.maskLo >>> 0, t.sig.maskHi >>> 0] : [0, 0];
  const low31 = (m: [number, number]): number => m[0] & 0x7fffffff;
  const wchan = v.permitted && (!v.whole || threads < 2) && state !== "R" ? 1 : 0;
  const leader = t === null || t.tid === p.pid;
  const startNs = v.whole || t === null ? p.startNs : t.startNs;
  const fields: (number | string)[] = [
    v.id, `(${commOf(v)})`, state, p.ppid, p.pgid, p.sid, v.ttyNr, v.ttyPgrp,
    p.termination !== null ? PF_EXITING : 0,
    0, 0, 0, 0, // minor and major faults, own and children's: not counted
    ticks(cpu - sysNs), ticks(sysNs), ticks(p.childCpuNs - p.childSysNs), ticks(p.childSysNs),
    rtPrio > 0 ? -1 - rtPrio : 20 + nice, nice, threads, 0, ticks(startNs),
    mf !== null ? mf.totalVm * PAGE : 0, mf !== null ? rss(mf) : 0, limitValue(p.limit(RLIMIT_RSS)[0]),
    mm !== null ? (ok ? l.startCode : 1) : 0, mm !== null ? (ok ? l.endCode : 1) : 0, ok ? l.startStack : 0,
    0, 0, // kernel stack and instruction pointers: shown for dumping tasks only
    low31(pending), low31(blocked), low31(ign), low31(cgt), wchan, 0, 0,
    leader ? p.exitSignal : -1, 0, rtPrio, policy, 0, 0, 0,
    ok ? l.startData : 0, ok ? l.endData : 0, ok ? l.startBrk : 0, ok ? l.argStart : 0, ok ? l.argEnd : 0, ok ? l.envStart : 0, ok ? l.envEnd : 0,
    v.permitted ? exitCode(p) : 0,
  ];
  return fields.join(" ") + "\n";
}

/** /proc/PID/statm: sizes in pages (proc_pid_statm). */
export function statmText(v: View): string {
  const mm = mmOf(v);
  if (mm === null) return "0 0 0 0 0 0 0\n";
  const f = memFigures(v.sys.kernel, mm);
  return `${f.totalVm} ${rss(f)} ${f.rssFile + f.rssShmem} ${f.textBytes / PAGE} 0 ${f.dataVm + f.stackVm} 0\n`;
}

/** An fd table's size as Linux grows it on i386: 32 slots, then 256 times a power of two. */
function fdSize(maxFd: number): number {
  if (maxFd < 32) return 32;
  let n = 1;
  while (n < Math.floor(maxFd / 256) + 1) n *= 2;
  return 256 * n;
}

const kb = (label: string, kib: number): string => `${label}\t${String(kib).padStart(8)} kB\n`;

/** /proc/PID/status (proc_pid_status): names, ids, memory, signals, capabilities. */
export function statusText(v: View): string {
  const { sys, p, t } = v;
  const mm = mmOf(v);
  const live = t !== null && t.alive;
  const fds = live ? t.fds.list() : [];
  const id = (a: number, b: number, c: number, fs: number): string => `${a}\t${b}\t${c}\t${fs}`;
  const tid = v.whole ? v.id : (t?.tid ?? v.id);
  let out = `Name:\t${commOf(v).replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}\n`;
  if (live) out += `Umask:\t${t.umask.toString(8).padStart(4, "0")}\n`;
  out += `State:\t${STATE_NAMES[stateOf(v)]}\nTgid:\t${p.pid}\nNgid:\t0\nPid:\t${tid}\nPPid:\t${p.ppid}\nTracerPid:\t${t?.trace?.tracer.pid ?? 0}\n`;
  out += `Uid:\t${id(p.uid, p.euid, p.suid, p.fsuid)}\nGid:\t${id(p.gid, p.egid, p.sgid, p.fsgid)}\n`;
  out += `FDSize:\t${live ? fdSize(fds.length > 0 ? fds[fds.length - 1] : 0) : 0}\n`;
  out += `Groups:\t${p.groups.join(" ")} \n`;
  out += `NStgid:\t${p.pid}\nNSpid:\t${tid}\nNSpgid:\t${p.pgid}\nNSsid:\t${p.sid}\n`;
  if (mm !== null) {
    const f = memFigures(sys.kernel, mm);
    const k = (pages: number): number => (pages * PAGE) / 1024;
    const total = rss(f);
    out += kb("VmPeak:", k(f.totalVm)) + kb("VmSize:", k(f.totalVm)) + kb("VmLck:", k(f.lockedVm)) + kb("VmPin:", 0);
    out += kb("VmHWM:", k(total)) + kb("VmRSS:", k(total)) + kb("RssAnon:", k(f.rssAnon)) + kb("RssFile:", k(f.rssFile)) + kb("RssShmem:", k(f.rssShmem));
    out += kb("VmData:", k(f.dataVm)) + kb("VmStk:", k(f.stackVm)) + kb("VmExe:", f.textBytes / 1024);
    out += kb("VmLib:", Math.max(0, k(f.execVm) - f.textBytes / 1024)) + kb("VmPTE:", k(f.ptePages)) + kb("VmSwap:", 0);
    out += `HugetlbPages:\t${String(0).padStart(8)} kB\nCoreDumping:\t0\nTHP_enabled:\t1\n`;
  }
  const queued = (t?.sig.pending.size ?? 0) + p.sigPending.size;
  out += `Threads:\t${p.threads.size}\nSigQ:\t${queued}/${limitValue(p.limit(RLIMIT_SIGPENDING)[0])}\n`;
  const { ign, cgt } = dispositions(t);
  out += `SigPnd:\t${sigset(pendingOf(t?.sig.pending))}\nShdPnd:\t${sigset(pendingOf(p.sigPending))}\n`;
  out += `SigBlk:\t${sigset(t !== null ? [t.sig.maskLo >>> 0, t.sig.maskHi >>> 0] : [0, 0])}\nSigIgn:\t${sigset(ign)}\nSigCgt:\t${sigset(cgt)}\n`;
  out += `CapInh:\t${hex(p.capInh)}\nCapPrm:\t${hex(p.capPrm)}\nCapEff:\t${hex(p.capEff)}\nCapBnd:\t${hex(p.capBnd)}\nCapAmb:\t${hex(p.capAmb)}\n`;
  out += `NoNewPrivs:\t${p.noNewPrivs ? 1 : 0}\nSeccomp:\t${t?.seccompMode ?? 0}\nSeccomp_filters:\t${t?.seccomp?.depth ?? 0}\n`;
  out += "Speculation_Store_Bypass:\tnot vulnerable\nSpeculationIndirectBranch:\tnot affected\n";
  out += "Cpus_allowed:\t1\nCpus_allowed_list:\t0\nMems_allowed:\t1\nMems_allowed_list:\t0\n";
  const switches = live ? sys.kernel.env(t.env).switches : 0;
  out += `voluntary_ctxt_switches:\t${switches}\nnonvoluntary_ctxt_switches:\t0\n`;
  return out;
}

/** Reads [from, to) of a process's memory; what cannot be read ends the result early. */
function readMem(mm: Mm, from: number, to: number): Uint8Array {
  if (to <= from) return new Uint8Array(0);
  try {
    return mm.mem.read(from, to - from);
  } catch {
    return new Uint8Array(0);
  }
}

/** /proc/PID/cmdline: the argument strings as they are in memory now (get_mm_cmdline). A program
 *  that wrote past its last argument (setproctitle) shows its title up to the first NUL, read
 *  on into the environment strings. */
export function cmdlineBytes(v: View): Uint8Array {
  const mm = mmOf(v);
  if (mm === null) return new Uint8Array(0);
  const l = mm.layout;
  const args = readMem(mm, l.argStart, l.argEnd);
  if (args.length === 0 || args[args.length - 1] === 0) return args;
  const title = readMem(mm, l.argStart, Math.min(l.argStart + PAGE, Math.max(l.envEnd, l.argEnd)));
  const nul = title.indexOf(0);
  return nul < 0 ? title : title.subarray(0, nul + 1);
}

/** /proc/PID/environ: the environment strings as they are in memory now. */
export function environBytes(v: View): Uint8Array {
  const mm = mmOf(v);
  return mm === null ? new Uint8Array(0) : readMem(mm, mm.layout.envStart, mm.layout.envEnd);
}

export function commText(v: View): string {
  return commOf(v) + "\n";
}

/** /proc/PID/limits (proc_pid_limits): a header and a row per resource. */
export function limitsText(v: View): string {
  const col = (s: string, w: number): string => s.padEnd(w);
  let out = `${col("Limit", 25)} ${col("Soft Limit", 20)} ${col("Hard Limit", 20)} ${col("Units", 10)}\n`;
  for (let r = 0; r < RLIMIT_COUNT; r++) {
    const [name, unit] = LIMIT_NAMES[r];
    const [soft, hard] = v.p.limit(r);
    const show = (n: number): string => (n === Infinity ? "unlimited" : String(n));
    out += `${col(name, 25)} ${col(show(soft), 20)} ${col(show(hard), 20)} ${unit !== null ? col(unit, 10) + "\n" : "\n"}`;
  }
  return out;
}

/** Column the name of a mapping starts after (seq_setwidth of show_map_vma: 25 + 6 * the size
 *  of a pointer - 1, then one space). */
const MAPS_WIDTH = 25 + 6 * 4 - 1;

const hex8 = (n: number): string => (n >>> 0).toString(16).padStart(8, "0");

/** Inode numbers of shared anonymous memory objects (they have no file). */
const shmemInodes = new WeakMap<object, number>();
let nextShmemInode = 1;

function mapsLine(start: number, end: number, prot: number, shared: boolean, off: number, dev: string, ino: string, name: string): string {
  const perms = (prot & PROT_READ ? "r" : "-") + (prot & PROT_WRITE ? "w" : "-") + (prot & PROT_EXEC ? "x" : "-") + (shared ? "s" : "p");
  const head = `${hex8(start)}-${hex8(end)} ${perms} ${hex8(off)} ${dev} ${ino} `;
  return name === "" ? head + "\n" : head.padEnd(MAPS_WIDTH) + " " + name + "\n";
}

/** One line of /proc/PID/maps and the part of a region it shows. */
export interface MapsEntry {
  vma: Vma;
  start: number;
  end: number;
  line: string;
}

/** The lines of /proc/PID/maps: one per region (show_map_vma). A program segment whose memory
 *  goes on past its file bytes (.bss) shows as Linux maps it: the file part, then anonymous
 *  memory. */
export function mapsEntries(mm: Mm): MapsEntry[] {
  const out: MapsEntry[] = [];
  const add = (vma: Vma, start: number, end: number, line: string): void => void out.push({ vma, start, end, line });
  for (const r of mm.vm.vmas) {
    const special = r.name === "[heap]" || r.name === "[stack]" ? r.name : "";
    if (r.object === null) {
      add(r, r.start, r.end, mapsLine(r.start, r.end, r.prot, r.shared, 0, "00:00", "0", special));
      continue;
    }
    if (!(r.object instanceof CachedFile)) {
      let ino = shmemInodes.get(r.object);
      if (ino === undefined) shmemInodes.set(r.object, (ino = nextShmemInode++));
      add(r, r.start, r.end, mapsLine(r.start, r.end, r.prot, r.shared, r.offset, SHMEM_DEV, String(ino), "/dev/zero (deleted)"));
      continue;
    }
    const { dev, ino } = r.object;
    const fileTop = Math.min(r.end, pageUp(r.fileEnd));
    if (fileTop > r.start) add(r, r.start, fileTop, mapsLine(r.start, fileTop, r.prot, r.shared, r.offset, hexDev(dev), String(ino), r.name));
    const bss = Math.max(fileTop, r.start);
    if (fileTop < r.end) add(r, bss, r.end, mapsLine(bss, r.end, r.prot, r.shared, 0, "00:00", "0", ""));
  }
  return out;
}

/** /proc/PID/maps. */
export function mapsText(v: View): string {
  const mm = mmOf(v);
  return mm === null ? "" : mapsEntries(mm).map((e) => e.line).join("");
}

/** A line as maps prints it, for a range no region has (smaps_rollup's header). */
export function rangeLine(start: number, end: number, name: string): string {
  return mapsLine(start, end, 0, false, 0, "00:00", "0", name);
}

/** /proc/PID/mounts (show_vfsmnt). */
export function mountsText(v: View): string {
  if (v.t === null || !v.t.alive) return "";
  return vfsMountsText(v.t.fs);
}

/** The changes of the mount table /proc/PID/mounts and mountinfo show, for poll. */
export function mountEvents(v: View): { count(): number; queue: WaitQueue } | null {
  if (v.t === null || !v.t.alive) return null;
  const table = v.t.fs.mounts;
  return { count: () => table.events, queue: table.changed };
}

/** /proc/PID/mountinfo (show_mountinfo). */
export function mountinfoText(v: View): string {
  if (v.t === null || !v.t.alive) return "";
  return vfsMountinfoText(v.t.fs);
}

/** /proc/PID/fdinfo/N (seq_show in fs/proc/fd.c): position, open flags, mount and inode. */
export function fdinfoText(f: OpenFile, cloexec: boolean, mount: number | null = null): string {
  let flags = f.mode.read && f.mode.write ? O_RDWR : f.mode.write ? O_WRONLY : 0;
  if (f.mode.append) flags |= O_APPEND;
  if (f.mode.nonblock) flags |= O_NONBLOCK;
  if (f.mode.largeFile === true) flags |= O_LARGEFILE;
  if (f instanceof DirFile) flags |= O_DIRECTORY;
  if (cloexec) flags |= O_CLOEXEC;
  let ino = 0n, dev = -1n;
  try {
    const st = f.stat();
    ino = st.ino;
    dev = st.dev;
  } catch {
    // a host descriptor that went away: no inode to show
  }
  const mnt = mount ?? (f instanceof PipeEnd ? MNT_PIPEFS : dev === PROC_DEV ? MNT_PROC : MNT_ROOT);
  const head = `pos:\t${f.offset}\nflags:\t0${flags.toString(8)}\nmnt_id:\t${mnt}\nino:\t${ino}\n`;
  if (!(f instanceof Inotify)) return head;
  // (inotify_fdinfo: a line per watch, the device as the kernel keeps it, major << 20 | minor)
  return head + f.list().map((w) => {
    const [wdev, wino] = w.key.split(":").map(BigInt);
    const sdev = (devMajor(wdev) << 20) | devMinor(wdev);
    return `inotify wd:${w.wd.toString(16)} ino:${wino.toString(16)} sdev:${(sdev >>> 0).toString(16)} mask:${(w.mask >>> 0).toString(16)} ignored_mask:0\n`;
  }).join("");
}
