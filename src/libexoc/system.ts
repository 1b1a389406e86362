// The system: every process and thread libexoc runs on one exokernel, by id. It allocates
// process ids, keeps process groups and sessions, plays the reaper (pid 1: orphans are adopted
// and their zombies reaped at once; it is not a guest process), routes signals (kill to a
// process, a group, everyone; host signals to the foreground group), and holds what all
// processes share: the page cache, the futex table and the IPC objects (ipc/).
//
// Processes and threads are created by clone.ts, replaced by exec.ts and waited for by
// waitchild.ts; this file is the table they work on. The table is also a file system: procfs
// (procfs/tree.ts) shows it at /proc. The system also holds what its name space of files is
// made of: the device registry (vfs/devices.ts), the file system types mount(2) knows, and
// /dev (volumes/devfs.ts); newVfs makes a name space over a root volume with them, and the
// first process gets /proc, /dev, /dev/shm (a tmpfs) and /dev/mqueue mounted in it.

import { SysFs, type BlockInfo } from "./sysfs.js";
import type { Disks } from "./disks.js";
import { LoopDevices } from "./loop.js";
import { KeyTable } from "./keys.js";
import { NtpState } from "./ntp.js";
import { KernelLog } from "./klog.js";
import type { ProcessAccounting } from "./acct.js";
import type { Exokernel } from "../exokernel/kernel.js";
import { R_READ, R_WRITE, R_CONTROL, type CapHandle } from "../exokernel/caps.js";
import { WaitQueue } from "../exokernel/wait.js";
import { PageCache } from "./pagecache.js";
import { FutexTable } from "./futex.js";
import { Ipc } from "./ipc/index.js";
import { Extensions } from "./exo/index.js";
import { Process } from "./process.js";
import { Task, FsContext, type Personality } from "./task.js";
import { Mm } from "./mm.js";
import { FdTable } from "./fdtable.js";
import { Vfs } from "./vfs/vfs.js";
import { defaultInotifyLimits } from "./vfs/notify.js";
import { DeviceRegistry } from "./vfs/devices.js";
import { registerStandardDevices } from "./vfs/memdev.js";
import { FsTypes, parseOptions } from "./vfs/fstypes.js";
import { DEFAULT_FLAGS } from "./vfs/mounts.js";
import { SynthVolume } from "./volumes/synth.js";
import { TmpFs } from "./volumes/tmpfs.js";
import { makeDevfs } from "./volumes/devfs.js";
import { anonDev } from "./volumes/anondev.js";
import type { Volume } from "./volume.js";
import { SignalState, SigHandlers, SIGCHLD, SIGKILL, SIGCONT, SIGHUP, signalName, type SigInfo } from "./signal.js";
import { DEFAULT_LIMITS, MAX_TASKS, RLIMIT_NPROC, PID_MAX } from "./limits.js";
import { MAX_MAP_COUNT } from "./vm.js";
import { PIPE_MAX_SIZE } from "./pipe.js";

import { AIO_MAX_NR } from "./aio.js";
import { SystemStats } from "./sysstat.js";
import { initialCaps, capable, CAP_KILL, CAP_SYS_RESOURCE, CAP_SYS_ADMIN } from "./capability.js";
import { ProcFs } from "./procfs/tree.js";
import { Terminals } from "./tty/terminals.js";
import { sysError } from "./errors.js";
import { logger, trace } from "../log.js";
import { later } from "../exokernel/later.js";

/** fs.nr_open's default (Linux's NR_OPEN, 1 << 20). */
const NR_OPEN = 1024 * 1024;

/** si_code of a signal sent by kill (SI_USER) and by the kernel (SI_KERNEL). */
export const SI_USER = 0, SI_KERNEL = 0x80;

/** The host terminal as the guest sees it: its settings and which group is in the foreground. */
export interface Terminal {
  /** termios set by the guest (null: never set, the defaults apply). */
  termios: { iflag: number; oflag: number; cflag: number; lflag: number; cc: number[] } | null;
  /** Foreground process group (0: none set yet, the first process's group). */
  fgPgrp: number;
  /** Session the terminal controls (0: none yet). */
  sid: number;
}

export interface SystemOptions {
  kernel: Exokernel;
  personality: Personality;
  /** Most page frames one process may use (its pool's limit). */
  frameLimit?: number;
}

export class System {
  readonly kernel: Exokernel;
  readonly personality: Personality;
  readonly pageCache: PageCache;
  readonly futex = new FutexTable();
  /** System V IPC objects and POSIX message queues (ipc/). */
  readonly ipc: Ipc;
  /** The exokernel extensions offered to programs: endpoint capabilities, fast calls (exo/). */
  readonly exo: Extensions;
  readonly procs = new Map<number, Process>();
  readonly tasks = new Map<number, Task>();
  readonly tty: Terminal = { termios: null, fgPgrp: 0, sid: 0 };
  readonly frameLimit: number;
  /** The first process (exojit run's program); the run ends with it. */
  first: Process | null = null;
  /** Processes ended so far, and the most alive at once (for --stats). */
  ended = 0;
  peakTasks = 0;
  /** Audit records the kernel log has had (seccomp's), numbering the next. */
  auditSerial = 0;
  /** Tunables root may change through /proc/sys (procfs/global.ts sysctlTable): the pid space
   *  (pid_max), tasks at once (threads-max), regions per process (vm.max_map_count), the pipe
   *  size an unprivileged F_SETPIPE_SZ may reach, the core file pattern (no core files are
   *  written; kept as set). */
  pidMax = PID_MAX;
  threadsMax = MAX_TASKS;
  maxMapCount = MAX_MAP_COUNT;
  pipeMaxSize = PIPE_MAX_SIZE;
  /** fs.nr_open: the most descriptors a process may have (RLIMIT_NOFILE's ceiling, and the
   *  largest table fork and unshare(CLONE_FILES) copy). */
  nrOpen = NR_OPEN;
  corePattern = "core";
  /** BSD process accounting, while acct(2) has it on. */
  acct: ProcessAccounting | null = null;
  /** The key retention service's keys (keys.ts). */
  readonly keys = new KeyTable();
  /** kernel.core_uses_pid: a core file's name without %p gets ".PID" appended. */
  coreUsesPid = false;
  /** fs.aio-max-nr: the native AIO requests all contexts may hold (aio.ts). */
  aioMaxNr = AIO_MAX_NR;
  /** fs.lease-break-time (every name space's lease table holds it). */
  readonly leaseSettings = { breakTime: 45 };
  /** /proc/sys/fs/inotify's limits (every name space's notifier holds these). */
  readonly inotifyLimits = defaultInotifyLimits();
  /** What each process that ended did (for --stats), in the order they ended. */
  readonly history: { pid: number; name: string; insns: number; cpuNs: number; switches: number; status: string }[] = [];
  /** Called when a process stops (job control); the command line stops exojit itself with it. */
  onStop: ((p: Process) => void) | null = null;
  /** Asked before each system call (`vector` 0x80 or other `int n`, -1 for sysenter, the
   *  registers as the thread left them): true holds the call, unmade, and ends the thread's
   *  turn; the call is made when the thread next runs. An embedder stops a program there. */
  holdCall: ((t: Task, vector: number) => boolean) | null = null;
  /** Uptime, task states, load averages (sysinfo, /proc). */
  readonly stats: SystemStats;
  /** The kernel's message log (syslog(2), dmesg). */
  readonly klog: KernelLog;
  /** The kernel command line /proc/cmdline shows (a boot sets it). */
  cmdline = "";
  /** Whether reboot(2) may stop the machine: a booted system (exojit run's program is a guest
   *  in a container, without CAP_SYS_BOOT). */
  rebootAllowed = false;
  /** What reboot(2) asked for, once it has: whoever runs the machine stops it. */
  halt: "halt" | "poweroff" | "restart" | null = null;
  /** The process table as a file system, mounted at /proc. */
  readonly procfs: ProcFs;
  /** The clock capability every time function goes through (read, timers, setting the time). */
  readonly clockCap: CapHandle;
  /** Notified when the wall clock is set (absolute sleeps on it look again). */
  readonly clockSet = new WaitQueue();
  /** The time zone settimeofday last set: minutes west of Greenwich, DST correction type. */
  timezone: [number, number] = [0, 0];
  /** The NTP discipline of the wall clock (adjtimex). */
  readonly ntp = new NtpState();
  /** Device drivers by device number: what opening a device node means. */
  readonly devices = new DeviceRegistry();
  /** File system types mount(2) knows. */
  readonly fsTypes = new FsTypes();
  /** /dev (one instance, as Linux's devtmpfs: every mount of it shows the same). */
  private devfsVol: TmpFs | null = null;
  /** Terminal devices: the console, /dev/tty, pseudo-terminals (tty/terminals.ts). */
  readonly terminals: Terminals;
  /** Loop devices (/dev/loopN, /dev/loop-control), the disks (when the system has any), and
   *  /sys, which shows them. */
  readonly loops: LoopDevices;
  disks: Disks | null = null;
  readonly sysfs: SysFs;
  /** The block devices, disks first, then loop devices (/sys/block, /proc/partitions). */
  blockDevices(): BlockInfo[] {
    return [...(this.disks?.blockInfos() ?? []), ...this.loops.blockInfos()];
  }
  /** Whether the first process's session is exojit's own (exojit run passing the host's
   *  streams through): its parent outside the guest keeps its group from being orphaned, and
   *  it shares exojit's terminal. False when the guest has a console of its own. */
  hostSession = true;
  /** Tasks (processes and threads) created since boot, and the id handed out last. */
  created = 0;
  lastPid = 0;
  private nextPid = 1000;

  /** fs.aio-nr: the requests the native AIO contexts of every live address space hold. */
  get aioNr(): number {
    const seen = new Set<Mm>();
    let n = 0;
    for (const t of this.tasks.values()) {
      if (seen.has(t.mm)) continue;
      seen.add(t.mm);
      for (const c of t.mm.aio.values()) n += c.maxReqs;
    }
    return n;
  }

  /** kernel.ns_last_pid written: the next pid is the one after `pid` (if free). */
  setLastPid(pid: number): void {
    this.lastPid = pid;
    this.nextPid = pid + 1;
  }
  /** The guest's init (pid 1) when the system was booted: it adopts orphans, and gets only the
   *  signals it handles. Null under `exojit run`, where the reaper is outside the guest. */
  init: Process | null = null;
  /** Under `exojit run`, pid 1 as the guest sees it: a root-owned process that never runs and
   *  ignores every signal (standInInit), so that kill, the sched calls, getpgid, /proc/1 and the
   *  rest find the process every Linux system has. Orphans still go to the reaper outside. */
  standIn: Process | null = null;
  /** This boot's id (/proc/sys/kernel/random/boot_id), made when first read. */
  bootId: string | null = null;
  private readonly log = logger("exec");

  constructor(o: SystemOptions) {
    this.kernel = o.kernel;
    this.personality = o.personality;
    this.clockCap = o.kernel.caps.derive(o.kernel.clockCap, R_READ | R_WRITE | R_CONTROL);
    this.pageCache = new PageCache(o.kernel);
    this.ipc = new Ipc(this.pageCache);
    this.exo = new Extensions(o.kernel);
    // When guest RAM runs out, unmapped files in the page cache give their frames back first.
    o.kernel.frames.reclaim = (n) => this.pageCache.reclaim(n);
    this.frameLimit = o.frameLimit ?? o.kernel.frames.total;
    this.stats = new SystemStats(this);
    this.klog = new KernelLog(() => this.stats.uptimeNs());
    this.procfs = new ProcFs(this);
    registerStandardDevices(this.devices);
    this.fsTypes.register({ name: "proc", nodev: true, mount: () => new SynthVolume(this.procfs) });
    this.fsTypes.register({ name: "devtmpfs", nodev: true, mount: () => this.devfs });
    this.fsTypes.register({ name: "tmpfs", nodev: true, mount: (s) => this.tmpfs(s.options) });
    this.terminals = new Terminals(this);
    this.fsTypes.register({ name: "mqueue", nodev: true, mount: () => this.ipc.mqueue });
    this.loops = new LoopDevices(this);
    this.sysfs = new SysFs(() => this.blockDevices());
    this.fsTypes.register({ name: "sysfs", nodev: true, mount: () => new SynthVolume(this.sysfs) });
    // (the ext2 family on loop devices; with disks, Disks takes these names and sends loop
    // devices here)
    for (const name of ["ext2", "ext3", "ext4"]) this.fsTypes.register({ name, nodev: false, mount: (s) => this.loops.mount(s) });
  }

  /** /dev/shm's volume: a tmpfs of its own (POSIX shared memory objects are its files). */
  private shmVol: TmpFs | null = null;

  /** /dev's volume. */
  get devfs(): TmpFs {
    this.devfsVol ??= makeDevfs(this.pageCache);
    return this.devfsVol;
  }

  /** A new tmpfs with mount options `options` (size=, nr_inodes=, mode=, uid=, gid=; sizes
   *  in bytes with k, m, g or a percentage of guest RAM, as tmpfs takes them). Half of guest
   *  RAM and an inode per two of its pages by default. */
  tmpfs(options: string): TmpFs {
    const ram = this.kernel.frames.total * 4096;
    const num = (v: string, pct: boolean): number => {
      const m = /^(\d+)([kKmMgG%]?)$/.exec(v);
      if (m === null || (m[2] === "%" && !pct)) return sysError("EINVAL", `bad tmpfs option value ${v}`);
      const n = Number(m[1]);
      const unit = m[2].toLowerCase();
      return unit === "%" ? Math.floor((ram * n) / 100) : n * (unit === "k" ? 1024 : unit === "m" ? 1 << 20 : unit === "g" ? 1 << 30 : 1);
    };
    let maxBytes = Math.floor(ram / 2);
    let maxInodes = Math.floor(ram / 4096 / 2);
    let mode = 0o1777, uid = 0, gid = 0;
    const shown: string[] = [];
    for (const [k, v] of parseOptions(options)) {
      if (k === "size") {
        maxBytes = num(v, true);
        shown.push(`size=${Math.ceil(maxBytes / 4096) * 4}k`);
      } else if (k === "nr_inodes") {
        maxInodes = num(v, false);
        shown.push(`nr_inodes=${maxInodes}`);
      } else if (k === "mode") {
        if (!/^[0-7]+$/.test(v)) sysError("EINVAL");
        mode = parseInt(v, 8) & 0o7777;
      } else if (k === "uid" || k === "gid") {
        if (!/^\d+$/.test(v)) sysError("EINVAL");
        if (k === "uid") uid = Number(v);
        else gid = Number(v);
      } else if (!["rw", "ro", "nosuid", "nodev", "noexec", "relatime", "noatime", "strictatime", "defaults", "huge", "inode64", "inode32"].includes(k)) {
        sysError("EINVAL", `tmpfs: unknown option ${k}`);
      }
    }
    if (mode !== 0o1777) shown.push(`mode=${mode.toString(8).padStart(3, "0")}`);
    if (uid !== 0) shown.push(`uid=${uid}`);
    if (gid !== 0) shown.push(`gid=${gid}`);
    return new TmpFs({ dev: anonDev(), maxBytes, maxInodes, mode, uid, gid, pageCache: this.pageCache, shownOptions: shown.join(",") });
  }

  /** Every live thread's working directory (a mount there is busy). */
  workingDirs(): string[] {
    return [...this.tasks.values()].filter((t) => t.alive).map((t) => t.cwd);
  }

  /** `from` was renamed `to` (paths from the system's root): the working directories, roots
   *  and descriptors' paths of every thread at or below it follow (Linux keeps them as
   *  inodes, which a rename leaves where they are). A path that would leave its thread's root
   *  stays as it was. */
  pathsRenamed(from: string, to: string): void {
    const moved = (path: string): string | null => (path === from ? to : path.startsWith(`${from}/`) ? to + path.slice(from.length) : null);
    /** A path below `root` as the system sees it, and back. */
    const outOf = (root: string, p: string): string => (root === "/" ? p : p === "/" ? root : root + p);
    const into = (root: string, p: string): string | null => (root === "/" ? p : p === root ? "/" : p.startsWith(`${root}/`) ? p.slice(root.length) : null);
    const seenFs = new Set<object>(), seenFds = new Set<object>(), seenFiles = new Set<object>();
    for (const t of this.tasks.values()) {
      if (!t.alive) continue;
      const fsx = t.fsx;
      const root = fsx.root;
      if (!seenFs.has(fsx)) {
        seenFs.add(fsx);
        const cwd = moved(outOf(root, fsx.cwd));
        const rel = cwd === null ? null : into(root, cwd);
        if (rel !== null) fsx.cwd = rel;
        const newRoot = moved(root);
        if (newRoot !== null) fsx.root = newRoot;
      }
      if (seenFds.has(t.fds)) continue;
      seenFds.add(t.fds);
      for (const fd of t.fds.list()) {
        const f = t.fds.get(fd);
        if (seenFiles.has(f) || !f.path.startsWith("/")) continue;
        seenFiles.add(f);
        const p = moved(outOf(root, f.path));
        const rel = p === null ? null : into(fsx.root, p);
        if (rel !== null) f.path = rel;
      }
    }
  }

  /** A name space over root volume `root`, with this system's devices and file system types. */
  newVfs(root: Volume, opts: { readOnly?: boolean } = {}): Vfs {
    const v = new Vfs(root, {
      devices: this.devices,
      fsTypes: this.fsTypes,
      rootFlags: { ...DEFAULT_FLAGS, readOnly: opts.readOnly === true },
      busyPaths: later(this, "workingDirs"),
      renamed: later(this, "pathsRenamed"),
    });
    // (inotify's limits and the lease break time are the system's, whatever name space a watch
    // or lease is made in; breaks are timed on its clock)
    v.notify.limits = this.inotifyLimits;
    v.leases.settings = this.leaseSettings;
    v.leases.now = later(this.kernel.clock, "now");
    return v;
  }

  /** Mounts /proc and /dev in `vfs` unless something is mounted there already (over whatever
   *  the root has at those names, present or not). */
  mountStandard(vfs: Vfs): void {
    vfs.busyPaths = later(this, "workingDirs");
    vfs.renamed = later(this, "pathsRenamed");
    vfs.mountInternal(new SynthVolume(this.procfs), "/proc", "proc", { ...DEFAULT_FLAGS, nosuid: true, nodev: true, noexec: true });
    vfs.mountInternal(new SynthVolume(this.sysfs), "/sys", "sysfs", { ...DEFAULT_FLAGS, nosuid: true, nodev: true, noexec: true });
    vfs.mountInternal(this.devfs, "/dev", "udev", { ...DEFAULT_FLAGS, nosuid: true });
    vfs.mountInternal(this.terminals.devpts, "/dev/pts", "devpts", { ...DEFAULT_FLAGS, nosuid: true, noexec: true });
    // shm_open and sem_open (glibc) make their objects as files in /dev/shm: a tmpfs, whose
    // mapped pages are the same frames in every process.
    this.shmVol ??= this.tmpfs("");
    vfs.mountInternal(this.shmVol, "/dev/shm", "tmpfs", { ...DEFAULT_FLAGS, nosuid: true, nodev: true });
    vfs.mountInternal(this.ipc.mqueue, "/dev/mqueue", "mqueue", { ...DEFAULT_FLAGS, nosuid: true, nodev: true, noexec: true });
  }

  defaultLimit(res: number): [number, number] {
    const l = DEFAULT_LIMITS[res];
    if (l === undefined) sysError("EINVAL");
    return [l[0], l[1]];
  }

  /** A free id for a process or thread (pids and tids share one space, as in Linux). */
  allocPid(): number {
    for (let k = 0; k < this.pidMax; k++) {
      const pid = this.nextPid >= this.pidMax ? 300 : this.nextPid;
      this.nextPid = pid + 1 >= this.pidMax ? 300 : pid + 1;
      if (!this.tasks.has(pid) && !this.procs.has(pid) && !this.groupExists(pid)) {
        this.lastPid = pid;
        return pid;
      }
    }
    return sysError("EAGAIN");
  }

  private groupExists(id: number): boolean {
    for (const p of this.procs.values()) if (p.pgid === id || p.sid === id) return true;
    return false;
  }

  /** Fails with EAGAIN if `owner` may not have another task: RLIMIT_NPROC (which root's user,
   *  by real id, is not held to, nor CAP_SYS_RESOURCE or CAP_SYS_ADMIN, as in Linux), and the
   *  global cap, which holds for everyone. */
  checkTaskLimit(owner: Process): void {
    if (this.tasks.size >= this.threadsMax) sysError("EAGAIN", "too many tasks");
    const [soft] = owner.limit(RLIMIT_NPROC);
    if (soft === Infinity || owner.uid === 0 || capable(owner, CAP_SYS_RESOURCE) || capable(owner, CAP_SYS_ADMIN)) return;
    let n = 0;
    for (const p of this.procs.values()) if (p.uid === owner.uid && !p.zombie) n += p.threads.size;
    if (n >= soft) sysError("EAGAIN", "RLIMIT_NPROC");
  }

  /** Registers a new task (and its process, if new). */
  addTask(t: Task): void {
    this.tasks.set(t.tid, t);
    this.created++;
    t.proc.threads.add(t);
    this.procs.set(t.proc.pid, t.proc);
    if (this.tasks.size > this.peakTasks) this.peakTasks = this.tasks.size;
    this.kernel.makeRunnable(t.env);
    if (trace.sched) logger("sched").trace({ pid: t.pid, tid: t.tid }, `${t.tid}: new task of process ${t.pid}`);
  }

  /**
   * The first process: a fresh environment and memory, the given descriptors and file-system
   * context, no parent (the reaper is its parent). Its program is loaded by exec.ts afterwards.
   * The name space `fs` gets this system's /proc and /dev.
   */
  createFirst(fs: Vfs, cwd: string, fds: FdTable, uid: number, gid: number, opts: { init?: boolean } = {}): Task {
    this.mountStandard(fs);
    if (opts.init === true && (this.init !== null || this.standIn !== null)) throw new Error("the system has a pid 1 already");
    if (opts.init !== true && this.init === null && this.standIn === null) this.standIn = this.standInInit(fs);
    const pid = opts.init === true ? 1 : this.allocPid();
    const proc = new Process(this, pid, null);
    if (opts.init === true) {
      this.init = proc;
      this.nextPid = 2;
    }
    proc.uid = proc.euid = proc.suid = uid;
    proc.gid = proc.egid = proc.sgid = gid;
    initialCaps(proc, uid);
    proc.poolCap = this.kernel.newPool(this.frameLimit);
    const env = this.kernel.newEnv(proc.poolCap);
    const mm = Mm.empty(this.kernel, this.kernel.aspaceOf(env));
    const t = new Task({ sys: this, proc, tid: pid, env, mm, fds, fsx: new FsContext(fs, cwd, 0o022), sig: new SignalState(new SigHandlers()) });
    this.first ??= proc;
    if (this.tty.sid === 0) {
      this.tty.sid = proc.sid;
      this.tty.fgPgrp = proc.pgid;
    }
    this.addTask(t);
    return t;
  }

  /** Pid 1 when no guest program is init: root's, in its own session and group, with no memory
   *  and no descriptors, asleep for good (S in ps) and never scheduled. It gets no signal (init
   *  takes only those it has handlers for, and it has none). */
  private standInInit(fs: Vfs): Process {
    const proc = new Process(this, 1, null);
    proc.argv = ["init"];
    initialCaps(proc, 0);
    proc.poolCap = this.kernel.newPool(this.frameLimit);
    const env = this.kernel.newEnv(proc.poolCap);
    const mm = Mm.empty(this.kernel, this.kernel.aspaceOf(env));
    const t = new Task({ sys: this, proc, tid: 1, env, mm, fds: new FdTable(), fsx: new FsContext(fs, "/", 0o022), sig: new SignalState(new SigHandlers()) });
    t.comm.write("init");
    proc.lastComm = t.comm;
    this.tasks.set(1, t);
    proc.threads.add(t);
    this.procs.set(1, proc);
    this.kernel.wait(env, [], null);
    return proc;
  }

  /**
   * `p`'s parent `from` is ending: `p` is adopted, as Linux does, by the nearest living
   * ancestor of `from` that is a child subreaper, else by init (a guest process under `exojit
   * boot`), else by the reaper outside the guest, which reaps it as soon as it is a zombie. The
   * new parent hears of an adopted zombie as of any child's exit.
   */
  reparent(p: Process, from: Process): void {
    let to: Process | null = null;
    for (let a = from.parent; a !== null && to === null; a = a.parent) if (a.childSubreaper && !a.exited) to = a;
    if (to === null && this.init !== null && this.init !== from && !this.init.exited) to = this.init;
    p.parent = to;
    if (to === null) {
      if (p.zombie) this.reap(p);
      return;
    }
    to.children.add(p);
    if (p.exitSignal !== 0) p.exitSignal = SIGCHLD;
    if (p.zombie) p.notifyAdopted();
  }

  /** Removes a zombie from the table: its pid is free again. */
  reap(p: Process): void {
    if (p.reaped) return;
    p.reaped = true;
    p.parent?.children.delete(p);
    this.procs.delete(p.pid);
  }

  /** A process's last thread ended (it is a zombie or already reaped). */
  processEnded(p: Process): void {
    this.ended++;
    this.acct?.ended(p);
    const t = p.termination;
    const status = t === null ? "?" : t.kind === "exit" ? `exit ${t.code}` : `killed by ${signalName(t.signal)}`;
    this.history.push({ pid: p.pid, name: p.exe.slice(p.exe.lastIndexOf("/") + 1), insns: p.deadInsns, cpuNs: p.deadCpuNs, switches: p.deadSwitches, status });
    if (trace.sched) logger("sched").trace({ pid: p.pid }, `${p.pid}: ended (${status})`);
  }

  /** A page fault found no free frame: the process is killed, as Linux's OOM killer would. */
  outOfMemory(t: Task): void {
    this.log.error({ pid: t.pid }, `process ${t.pid} (${t.proc.exe}) killed: out of guest memory`);
    t.proc.exitGroup({ kind: "signal", signal: SIGKILL, core: false });
  }

  /** Whether every guest process has ended (what `exojit boot` waits for). */
  get idle(): boolean {
    return this.tasks.size === 0;
  }

  findProcess(pid: number): Process | undefined {
    const p = this.procs.get(pid);
    return p !== undefined && !p.reaped ? p : undefined;
  }

  /** Live processes of process group `pgid`. */
  group(pgid: number): Process[] {
    return [...this.procs.values()].filter((p) => p.pgid === pgid && p.termination === null);
  }

  /** POSIX: when a process group becomes orphaned (no member has a parent in another group of
   *  the same session) while a member is stopped, every member gets SIGHUP then SIGCONT, so a
   *  stopped job nobody can continue any more is not left behind. */
  checkOrphanedGroup(pgid: number): void {
    const members = this.group(pgid);
    if (members.length === 0 || !members.some((p) => p.stopped)) return;
    if (!this.isOrphanedGroup(pgid)) return;
    for (const sig of [SIGHUP, SIGCONT]) {
      for (const p of members) p.signal(sig, { signal: sig, code: SI_KERNEL, addr: 0, pid: 0, uid: 0, trapno: 0, error: 0 });
    }
  }

  /** POSIX: a group is orphaned when no member has a parent in another group of the same
   *  session. In the host's session the first process's parent is outside the guest (whoever
   *  started exojit), in another group of that session: its group is not orphaned while it
   *  lives. */
  isOrphanedGroup(pgid: number): boolean {
    return !this.group(pgid).some((p) => {
      const parent = p.parent;
      if (p === this.first && this.hostSession) return true;
      return parent !== null && parent.termination === null && parent.pgid !== pgid && parent.sid === p.sid;
    });
  }

  /** Whether `sender` may send a signal to `target` (POSIX: same real or effective user as the
   *  target's real or saved user; root may signal anyone; SIGCONT within a session). */
  maySignal(sender: Process, target: Process, sig: number): boolean {
    if (capable(sender, CAP_KILL)) return true;
    if (sig === SIGCONT && sender.sid === target.sid) return true;
    return sender.uid === target.uid || sender.uid === target.suid || sender.euid === target.uid || sender.euid === target.suid;
  }

  /**
   * kill(2): `pid` > 0 one process, 0 the sender's group, -1 every process it may signal but
   * itself and pid 1, < -1 the group -pid. ESRCH if nothing matched, EPERM if nothing could be
   * signalled for lack of permission.
   */
  kill(sender: Task, pid: number, sig: number, code = SI_USER): void {
    const me = sender.proc;
    // (a zombie, exited but not yet waited for, is still there to send to, as on Linux: the
    // call succeeds and the signal is dropped)
    let targets: Process[];
    const unreaped = [...this.procs.values()].filter((p) => !p.reaped);
    if (pid > 0) {
      const p = this.findProcess(pid) ?? this.tasks.get(pid)?.proc;
      targets = p !== undefined ? [p] : [];
    } else if (pid === -1) {
      targets = unreaped.filter((p) => p !== me && p.pid !== 1);
    } else {
      const g = pid === 0 ? me.pgid : -pid;
      targets = unreaped.filter((p) => p.pgid === g);
    }
    if (targets.length === 0) sysError("ESRCH");
    const allowed = targets.filter((p) => this.maySignal(me, p, sig));
    // (kill(-1) reports no EPERM: it signals whom it may)
    if (allowed.length === 0 && pid !== -1) sysError("EPERM");
    const info: SigInfo = { signal: sig, code, addr: 0, pid: me.pid, uid: me.uid, trapno: 0, error: 0 };
    for (const p of allowed) if (p.termination === null) p.signal(sig, { ...info });
  }

  /** A signal sent to exojit itself (SIGINT from the terminal, SIGTERM, SIGWINCH...): it goes
   *  to the terminal's foreground process group, as a terminal driver would send it. Returns
   *  whether any process got it. */
  hostSignal(sig: number): boolean {
    const con = this.terminals.console;
    const pgid = con !== null && con.pgrp !== 0 ? con.pgrp : this.tty.fgPgrp !== 0 ? this.tty.fgPgrp : this.first?.pgid ?? 0;
    let targets = this.group(pgid);
    if (targets.length === 0 && this.first !== null && this.first.termination === null) targets = [this.first];
    const info: SigInfo = { signal: sig, code: SI_KERNEL, addr: 0, pid: 0, uid: 0, trapno: 0, error: 0 };
    for (const p of targets) p.signal(sig, { ...info });
    return targets.length > 0;
  }

  /** Kills every remaining process (the run is over). */
  killAll(): void {
    for (const p of [...this.procs.values()]) if (p.termination === null) p.exitGroup({ kind: "signal", signal: SIGKILL, core: false });
  }

  /** The system is done: every process is killed, and the page cache lets go of its files
   *  (the host descriptors it reads them through). */
  shutdown(): void {
    this.killAll();
    this.pageCache.close();
  }
}
