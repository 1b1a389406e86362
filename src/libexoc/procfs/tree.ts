// /proc: the process table as a file system (a synthetic tree, synthfs.ts), which System mounts
// in the file-system view of every process. The tree is Linux's: the system-wide files and
// /proc/sys at the top (global.ts; memory counters and block devices, vmstat.ts; file locks,
// locks.ts), "self" and "thread-self" links to the caller's directories,
// and a directory per process (/proc/PID) and per thread (/proc/PID/task/TID, also reachable
// as /proc/TID) holding the files of pid.ts, fd/ (links to what each descriptor is open on),
// fdinfo/ and task/.
//
// Linux's access rules: directories and files carry its permission bits and belong to the
// process's effective user; what would let a reader look inside another user's process (maps,
// environ, the exe/cwd/root/fd links) also needs the right to inspect it, as ptrace would.

import type { WaitQueue } from "../../exokernel/wait.js";
import { kconfigGz } from "./kconfig.js";
import * as fs from "node:fs";
import type { System } from "../system.js";
import type { Process } from "../process.js";
import type { Task } from "../task.js";
import { HostStream, S_IFMT, S_IFDIR, type OpenFile, type OpenMode, type FileStat } from "../file.js";
import { ProcMemFile } from "./memfile.js";
import { ProcPagemapFile } from "./pagemap.js";
import { DT_DIR, DT_REG, DT_LNK } from "../dirfile.js";
import { sysError, type ErrnoName } from "../errors.js";
import type { FsCaller, SynthMount, SynthDir, SynthFile, SynthLink, SynthNode, SynthEntry } from "../synthfs.js";
import * as pid from "./pid.js";
import * as global from "./global.js";
import * as vmstat from "./vmstat.js";
import { locksText } from "./locks.js";
import { devicesText } from "./devices.js";
import { PROC_DEV, PROC_SUPER_MAGIC, devParts, encodeDev } from "./linux.js";
import { isTerminal } from "../../exokernel/hostio.js";
import { credOf, credCapable } from "../vfs/perm.js";
import { CAP_SYS_PTRACE, CAP_SYS_ADMIN } from "../capability.js";
import * as oom from "./oom.js";
import * as smaps from "./smaps.js";

/** Inode of the root and first inode of the entries made at boot (proc_alloc_inum's range). */
const ROOT_INO = 1n, FIXED_INO = 0xf0000000n;
/** Per-process entries get inode numbers from here on. */
const FIRST_DYNAMIC_INO = 0x1000n;
/** Inode numbers remembered before those of ended processes are forgotten. */
const MAX_REMEMBERED = 1 << 16;

const DT = { dir: DT_DIR, file: DT_REG, link: DT_LNK } as const;

/** What every node shares (synthfs's NodeBase). */
type Attrs = Omit<SynthFile, "kind" | "content" | "writeError">;

function toBytes(x: string | Uint8Array): Uint8Array {
  return typeof x === "string" ? Buffer.from(x, "latin1") : x;
}

function dirNode(a: Attrs, entries: () => SynthEntry[], lookup: (name: string) => SynthNode | null): SynthDir {
  return { kind: "dir", ...a, entries, lookup };
}

function fileNode(a: Attrs, text: () => string | Uint8Array, writeError: ErrnoName, store?: (data: Uint8Array, who: Task | null) => void): SynthFile {
  return { kind: "file", ...a, content: () => toBytes(text()), writeError, store };
}

function linkNode(a: Attrs, target: () => string, jump?: () => OpenFile | null, magic = false): SynthLink {
  return { kind: "link", ...a, target, jump, magic };
}

/** Stable inode numbers for per-process entries, by the entry's path below /proc. */
export class Inodes {
  private readonly map = new Map<string, bigint>();
  private next = FIRST_DYNAMIC_INO;
  /** Size at which entries of ended processes are forgotten (grows if few of them ended). */
  private limit = MAX_REMEMBERED;

  constructor(private readonly alive: (id: number) => boolean) {}

  /** The inode of entry `path`, whose first component is the id of a process or thread. */
  get(path: string): bigint {
    let ino = this.map.get(path);
    if (ino === undefined) {
      if (this.map.size >= this.limit) this.forgetEnded();
      ino = this.next++;
      this.map.set(path, ino);
    }
    return ino;
  }

  private forgetEnded(): void {
    for (const k of this.map.keys()) if (!this.alive(Number(k.split("/")[0]))) this.map.delete(k);
    this.limit = Math.max(MAX_REMEMBERED, this.map.size * 2);
  }
}

/** Whether `who` may look inside process `p` (Linux's __ptrace_may_access without ptrace: the
 *  same process, a caller with CAP_SYS_PTRACE, or one whose ids match all of the target's). */
export function mayInspect(who: FsCaller, p: Process): boolean {
  const c = who.proc;
  if (c.pid === p.pid || credCapable(credOf(who), CAP_SYS_PTRACE)) return true;
  return p.uid === c.euid && p.euid === c.euid && p.suid === c.euid && p.gid === c.egid && p.egid === c.egid && p.sgid === c.egid;
}

/** An entry of a process or thread directory (Linux's tgid_base_stuff and tid_base_stuff, in
 *  their order, limited to what exojit provides). */
interface PidEntry {
  name: string;
  kind: "dir" | "file" | "link";
  perm: number;
  /** Only in /proc/PID, not in task/TID. */
  tgidOnly?: true;
  /** Needs the right to inspect the process besides the permission bits. */
  inspect?: true;
  text?: (v: pid.View) => string | Uint8Array;
  /** A writable file's handler (the others refuse writes). */
  store?: (v: pid.View, data: Uint8Array, who: Task | null) => void;
  /** A link's target (it may throw: a zombie has no exe). */
  target?: (v: pid.View) => string;
  /** A file that makes its own open description. */
  open?: (v: pid.View, path: string, mode: OpenMode, st: FileStat, who: FsCaller) => OpenFile;
  /** A file whose changes poll reports (SynthFile.events). */
  events?: (v: pid.View) => { count(): number; queue: WaitQueue } | null;
}

function liveTask(v: pid.View): Task {
  if (v.t === null || !v.t.alive) sysError("ENOENT");
  return v.t;
}

const PID_ENTRIES: PidEntry[] = [
  { name: "task", kind: "dir", perm: 0o555, tgidOnly: true },
  { name: "fd", kind: "dir", perm: 0o500 },
  { name: "fdinfo", kind: "dir", perm: 0o500 },
  { name: "environ", kind: "file", perm: 0o400, inspect: true, text: pid.environBytes },
  { name: "auxv", kind: "file", perm: 0o400, inspect: true, text: (v) => liveTask(v).mm.auxv },
  { name: "mem", kind: "file", perm: 0o600, inspect: true, open: (v, path, mode, st) => new ProcMemFile(path, mode, liveTask(v).mm, st) },
  { name: "pagemap", kind: "file", perm: 0o400, inspect: true, open: (v, path, mode, st, who) => new ProcPagemapFile(path, mode, liveTask(v).mm, st, credCapable(credOf(who), CAP_SYS_ADMIN)) },
  { name: "status", kind: "file", perm: 0o444, text: pid.statusText },
  { name: "limits", kind: "file", perm: 0o444, text: pid.limitsText },
  { name: "comm", kind: "file", perm: 0o644, text: pid.commText },
  { name: "cmdline", kind: "file", perm: 0o444, text: pid.cmdlineBytes },
  { name: "stat", kind: "file", perm: 0o444, text: pid.statText },
  { name: "statm", kind: "file", perm: 0o444, text: pid.statmText },
  { name: "maps", kind: "file", perm: 0o444, inspect: true, text: pid.mapsText },
  { name: "smaps", kind: "file", perm: 0o444, inspect: true, text: smaps.smapsText },
  { name: "smaps_rollup", kind: "file", perm: 0o444, inspect: true, tgidOnly: true, text: smaps.smapsRollupText },
  { name: "cwd", kind: "link", perm: 0o777, inspect: true, target: (v) => liveTask(v).cwd },
  { name: "root", kind: "link", perm: 0o777, inspect: true, target: (v) => (liveTask(v), "/") },
  // (a process that runs no program, as the stand-in init, has none: ENOENT, as a kernel thread)
  { name: "exe", kind: "link", perm: 0o777, inspect: true, target: (v) => (liveTask(v), v.p.exe !== "" ? v.p.exe : sysError("ENOENT")) },
  { name: "mounts", kind: "file", perm: 0o444, text: pid.mountsText, events: pid.mountEvents },
  { name: "mountinfo", kind: "file", perm: 0o444, text: pid.mountinfoText, events: pid.mountEvents },
  { name: "oom_score", kind: "file", perm: 0o444, text: oom.scoreText },
  { name: "oom_adj", kind: "file", perm: 0o644, text: oom.adjText, store: oom.storeAdj },
  { name: "oom_score_adj", kind: "file", perm: 0o644, text: oom.scoreAdjText, store: oom.storeScoreAdj },
  { name: "coredump_filter", kind: "file", perm: 0o644, tgidOnly: true, text: oom.coredumpFilterText, store: oom.storeCoredumpFilter },
];

/** The system-wide entries at the top, and what each holds. */
const TOP_FILES: [string, (sys: System) => string | Uint8Array][] = [
  ["stat", global.statText],
  ["uptime", global.uptimeText],
  ["cpuinfo", global.cpuinfoText],
  ["loadavg", global.loadavgText],
  ["meminfo", global.meminfoText],
  ["version", global.versionText],
  ["filesystems", global.filesystemsText],
  ["vmstat", vmstat.vmstatText],
  ["partitions", vmstat.partitionsText],
  ["diskstats", vmstat.diskstatsText],
  ["swaps", vmstat.swapsText],
  ["devices", devicesText],
  ["key-users", (sys) => sys.keys.usersText()],
  ["config.gz", (sys) => kconfigGz(sys.personality.uname().release)],
  ["cmdline", (sys) => `${sys.cmdline}\n`],
];
/** Top-level names in listing order (Linux keeps them sorted by length, then bytes), then the
 *  links to the caller's own directories. */
const TOP_NAMES = ["sys", "sysvipc", "mounts", "locks", ...TOP_FILES.map(([n]) => n)].sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));

export class ProcFs implements SynthMount {
  readonly dev = PROC_DEV;
  readonly magic = PROC_SUPER_MAGIC;
  readonly fsType = "proc";
  readonly source = "proc";
  readonly options = "rw,nosuid,nodev,noexec,relatime";
  private readonly inodes: Inodes;
  /** The host terminal's device number as tty_nr (null: exojit's input is no terminal). */
  private hostTty: number | null | undefined;

  constructor(readonly sys: System) {
    this.inodes = new Inodes((id) => sys.tasks.has(id) || sys.procs.has(id));
  }

  private get bootNs(): bigint {
    return BigInt(Math.round(this.sys.stats.bootWallMs)) * 1000000n;
  }

  /** Wall-clock time (ns since the epoch) of clock time `ns`. */
  private wallNs(ns: number): bigint {
    return this.bootNs + BigInt(Math.round(ns));
  }

  /** The controlling terminal of `p` as stat shows it: [tty_nr, foreground group]. The guest's
   *  terminal is exojit's own, when its input is one. */
  private terminal(p: Process): [number, number] {
    const t = this.sys.tty;
    if (t.sid === 0 || p.sid !== t.sid) return [0, -1];
    if (this.hostTty === undefined) {
      this.hostTty = null;
      try {
        if (isTerminal(0)) this.hostTty = encodeDev(...devParts(fs.fstatSync(0, { bigint: true }).rdev));
      } catch {
        // no standard input: no terminal
      }
    }
    return this.hostTty === null ? [0, -1] : [this.hostTty, t.fgPgrp];
  }

  root(who: FsCaller): SynthDir {
    const sys = this.sys;
    const base = { uid: 0, gid: 0, timeNs: this.bootNs };
    const live = (): Process[] => [...sys.procs.values()].filter((p) => !p.reaped).sort((a, b) => a.pid - b.pid);
    const fixed = (name: string): bigint => FIXED_INO + 2n + BigInt(TOP_NAMES.indexOf(name));
    return dirNode(
      { ino: ROOT_INO, perm: 0o555, ...base, nlink: 3 + live().length },
      () => [
        ...TOP_NAMES.map((name) => ({ name, ino: fixed(name), type: name === "sys" || name === "sysvipc" ? DT_DIR : name === "mounts" ? DT_LNK : DT_REG })),
        { name: "self", ino: FIXED_INO, type: DT_LNK },
        { name: "thread-self", ino: FIXED_INO + 1n, type: DT_LNK },
        ...live().map((p) => ({ name: String(p.pid), ino: this.inodes.get(`${p.pid}`), type: DT_DIR })),
      ],
      (name) => {
        if (name === "self") return linkNode({ ino: FIXED_INO, perm: 0o777, ...base }, () => String(who.proc.pid));
        if (name === "thread-self") return linkNode({ ino: FIXED_INO + 1n, perm: 0o777, ...base }, () => `${who.proc.pid}/task/${who.tid}`);
        if (name === "mounts") return linkNode({ ino: fixed(name), perm: 0o777, ...base, size: "self/mounts".length }, () => "self/mounts");
        if (name === "sys") return this.sysDir(fixed(name));
        // (the locks of the reader's name space: its processes' files)
        if (name === "locks") return fileNode({ ino: fixed(name), perm: 0o444, ...base }, () => locksText(sys.tasks.get(who.tid)?.fs.locks.list() ?? []), "EIO");
        if (name === "sysvipc") {
          const kinds = ["msg", "sem", "shm"] as const;
          const kindIno = (k: number): bigint => FIXED_INO + 0x80n + BigInt(k);
          return dirNode(
            { ino: fixed(name), perm: 0o555, ...base, nlink: 2 },
            () => kinds.map((k, i) => ({ name: k, ino: kindIno(i), type: DT_REG })),
            (n) => {
              const i = kinds.indexOf(n as (typeof kinds)[number]);
              return i < 0 ? null : fileNode({ ino: kindIno(i), perm: 0o444, ...base }, () => global.sysvipcText(sys, kinds[i]), "EIO");
            },
          );
        }
        const top = TOP_FILES.find(([n]) => n === name);
        if (top !== undefined) return fileNode({ ino: fixed(name), perm: 0o444, ...base }, () => top[1](sys), "EIO");
        if (!/^[1-9][0-9]*$/.test(name)) return null;
        const id = Number(name);
        const p = sys.findProcess(id);
        if (p !== undefined) return this.pidDir(who, p, p.leader, id, true);
        const t = sys.tasks.get(id);
        return t !== undefined ? this.pidDir(who, t.proc, t, id, true) : null;
      },
    );
  }

  /** /proc/sys: directories of sysctl values (their permission bits bind root too); a
   *  table's directory may be nested ("fs/inotify"). */
  private sysDir(ino: bigint): SynthDir {
    const table = global.sysctlTable(this.sys);
    const base = { uid: 0, gid: 0, timeNs: this.bootNs, nlink: 1 };
    // every directory named in the table, with those it is inside of
    const dirs = [...new Set(table.flatMap(([d]) => d.split("/").map((_, k, parts) => parts.slice(0, k + 1).join("/"))))];
    const dirIno = (d: string): bigint => FIXED_INO + 0x100n + BigInt(dirs.indexOf(d));
    const fileIno = (k: number): bigint => FIXED_INO + 0x200n + BigInt(k);
    const dir = (path: string, dino: bigint): SynthDir => {
      const sub = dirs.filter((d) => d.startsWith(`${path}/`) && !d.slice(path.length + 1).includes("/"));
      const rows = table.map((row, k) => [row, k] as const).filter(([[d]]) => d === path);
      const subName = (d: string): string => d.slice(path.length + 1);
      return dirNode(
        { ino: dino, perm: 0o555, ...base },
        () => [...sub.map((d) => ({ name: subName(d), ino: dirIno(d), type: DT_DIR })), ...rows.map(([[, n], k]) => ({ name: n, ino: fileIno(k), type: DT_REG }))],
        (name) => {
          const d = sub.find((x) => subName(x) === name);
          if (d !== undefined) return dir(d, dirIno(d));
          const hit = rows.find(([[, n]]) => n === name);
          if (hit === undefined) return null;
          const [[, , perm, value, store], k] = hit;
          const write = store === undefined ? undefined : (data: Uint8Array, w: Task | null): void => store(Buffer.from(data).toString("latin1"), w);
          return fileNode({ ino: fileIno(k), perm, ...base, strict: true }, () => value() + "\n", "EROFS", write);
        },
      );
    };
    // (the top: "" is no table directory, so its children are the first components)
    const top = dirs.filter((d) => !d.includes("/"));
    return dirNode(
      { ino, perm: 0o555, ...base },
      () => top.map((d) => ({ name: d, ino: dirIno(d), type: DT_DIR })),
      (name) => (top.includes(name) ? dir(name, dirIno(name)) : null),
    );
  }

  /** The directory of process `p` seen through thread `t` (null: a zombie): /proc/ID with
   *  `whole`, /proc/PID/task/ID without. */
  private pidDir(who: FsCaller, p: Process, t: Task | null, id: number, whole: boolean): SynthDir {
    const [ttyNr, ttyPgrp] = this.terminal(p);
    const v: pid.View = { sys: this.sys, p, t, id, whole, permitted: mayInspect(who, p), ttyNr, ttyPgrp };
    const prefix = whole ? `${id}` : `${p.pid}/task/${id}`;
    const entries = PID_ENTRIES.filter((e) => whole || !e.tgidOnly);
    // (a process that is not dumpable has its files owned by root: Linux's task_dump_owner)
    const attrs = (path: string, perm: number): Attrs => ({
      ino: this.inodes.get(path), perm, uid: p.dumpable !== 0 ? p.euid : 0, gid: p.dumpable !== 0 ? p.egid : 0, timeNs: this.wallNs(whole || t === null ? p.startNs : t.startNs),
    });
    const inspect = (w: FsCaller): void => {
      if (!mayInspect(w, p)) sysError("EACCES");
    };
    const dir = dirNode(
      { ...attrs(prefix, 0o555), nlink: 2 + entries.filter((e) => e.kind === "dir").length },
      () => entries.map((e) => ({ name: e.name, ino: this.inodes.get(`${prefix}/${e.name}`), type: DT[e.kind] })),
      (name) => {
        const e = entries.find((x) => x.name === name);
        if (e === undefined) return null;
        const a = { ...attrs(`${prefix}/${name}`, e.perm), guard: e.inspect ? inspect : undefined };
        if (name === "task") return this.taskDir(who, v, a);
        if (name === "fd" || name === "fdinfo") return this.fdDir(v, a, `${prefix}/${name}`, name === "fd", inspect);
        if (e.kind === "link") {
          const target = e.target as (v: pid.View) => string; // every link entry has a target
          return linkNode(a, () => target(v), undefined, true);
        }
        const open = e.open;
        if (open !== undefined) return { ...fileNode(a, () => new Uint8Array(0), "EINVAL"), open: (path, mode, st) => open(v, path, mode, st, who) };
        const text = e.text as (v: pid.View) => string | Uint8Array; // every other file entry has a text
        const store = e.store, events = e.events;
        const node = fileNode(a, () => text(v), e.perm & 0o200 ? "EROFS" : "EINVAL", store === undefined ? undefined : (data, w) => store(v, data, w));
        return events === undefined ? node : { ...node, events: () => events(v) };
      },
    );
    return whole ? { ...dir, process: p } : dir;
  }

  /** /proc/PID/task: a directory per thread. */
  private taskDir(who: FsCaller, v: pid.View, a: Attrs): SynthDir {
    const threads = (): Task[] => [...v.p.threads].sort((x, y) => x.tid - y.tid);
    return dirNode(
      { ...a, nlink: 2 + v.p.threads.size },
      () => threads().map((t) => ({ name: String(t.tid), ino: this.inodes.get(`${v.p.pid}/task/${t.tid}`), type: DT_DIR })),
      (name) => {
        const t = threads().find((x) => String(x.tid) === name);
        return t === undefined ? null : this.pidDir(who, v.p, t, t.tid, false);
      },
    );
  }

  /** /proc/PID/fd (links) or fdinfo (files): an entry per open descriptor. */
  private fdDir(v: pid.View, a: Attrs, path: string, links: boolean, inspect: (w: FsCaller) => void): SynthDir {
    const fds = (): number[] => (v.t !== null && v.t.alive ? v.t.fds.list() : []);
    return dirNode(
      a,
      () => fds().map((fd) => ({ name: String(fd), ino: this.inodes.get(`${path}/${fd}`), type: links ? DT_LNK : DT_REG })),
      (name) => {
        const t = v.t;
        if (!/^(0|[1-9][0-9]*)$/.test(name) || t === null || !t.alive || !t.fds.has(Number(name))) return null;
        const fd = Number(name);
        const f = t.fds.get(fd);
        const at = { ...a, ino: this.inodes.get(`${path}/${fd}`), nlink: 1 };
        if (!links) {
          return fileNode({ ...at, perm: 0o400 }, () => {
            if (!t.alive || !t.fds.has(fd) || t.fds.get(fd) !== f) sysError("ENOENT");
            return pid.fdinfoText(f, t.fds.cloexec(fd), t.fs.mountOf(f)?.id ?? null);
          }, "EINVAL");
        }
        const perm = (f.mode.read ? 0o500 : 0) | (f.mode.write ? 0o300 : 0);
        // (a file removed while open is reached through the link all the same, as Linux's
        // magic links do: its path leads nowhere, or to another file)
        return linkNode({ ...at, perm, size: 64, guard: inspect }, () => fdTarget(t, f), () => (f instanceof HostStream || !fdTarget(t, f).startsWith("/") || removed(f) ? f : null), true);
      },
    );
  }
}

/** Whether `f` is a file of a volume whose last link is gone (not a directory: a path through
 *  a directory's link goes on from its path). */
function removed(f: OpenFile): boolean {
  if (f.ref === null || f instanceof HostStream) return false;
  try {
    const st = f.stat();
    return st.nlink === 0 && (st.mode & S_IFMT) !== S_IFDIR;
  } catch {
    return false;
  }
}

/** What /proc/PID/fd/N reads as: the guest path of a file, "pipe:[ino]" for a pipe, and for a
 *  stream exojit inherited, what the host's own /proc says it is (as a guest path when it lies
 *  inside the root). */
function fdTarget(t: Task, f: OpenFile): string {
  if (!(f instanceof HostStream)) return removed(f) ? `${f.path} (deleted)` : f.path;
  try {
    const host = fs.readlinkSync(`/proc/self/fd/${f.hostFd()}`, { encoding: "latin1" });
    return host.startsWith("/") ? (t.fs.guestOfHost(host) ?? host) : host;
  } catch {
    return f.path;
  }
}
