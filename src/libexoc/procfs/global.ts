// The text of the system-wide /proc files, as Linux 6.1 prints them on one i686 processor:
// meminfo (fs/proc/meminfo.c, from the exokernel's frame counts and the page cache), cpuinfo
// (arch/x86/kernel/cpu/proc.c, from what CPUID reports), stat, uptime, loadavg, version,
// filesystems, and the sysctl values under /proc/sys.

import type { Task } from "../task.js";
import { sysError } from "../errors.js";
import { capable, CAP_SYS_ADMIN, CAP_CHECKPOINT_RESTORE } from "../capability.js";
import type { IpcPerm } from "../ipc/ids.js";
import { HARD_MSGMAX, HARD_MSGSIZEMAX } from "../ipc/mqueue.js";
import { hostRandom } from "../random.js";
import type { System } from "../system.js";
import { PROT_WRITE } from "../vm.js";
import { FSHIFT } from "../sysstat.js";
import { PAGE, ticks, CPUID1_EDX_FLAGS, CPUID1_ECX_FLAGS } from "./linux.js";

const KB_PER_PAGE = PAGE / 1024;

/** One "Label:   value kB" line: the label padded to 16 columns, the value to 8. */
function kbLine(label: string, kib: number): string {
  return `${(label + ":").padEnd(16)}${String(kib).padStart(8)} kB\n`;
}

/** Bytes of private writable memory every process has mapped (Committed_AS's measure). */
function committedPages(sys: System): number {
  const seen = new Set<object>();
  let pages = 0;
  for (const t of sys.tasks.values()) {
    if (seen.has(t.mm)) continue;
    seen.add(t.mm);
    for (const v of t.mm.vm.vmas) if (v.prot & PROT_WRITE && !v.shared) pages += (v.end - v.start) / PAGE;
  }
  return pages;
}

/** Guest RAM in pages as meminfo and vmstat show it: all of it, what is free, the page
 *  cache's usage (file pages, those mapped and not, shared memory), and what else is in use,
 *  which is process memory. */
export function memoryPages(sys: System): { total: number; free: number; c: ReturnType<System["pageCache"]["usage"]>; anon: number } {
  const frames = sys.kernel.frames;
  const total = frames.total, free = frames.available;
  const c = sys.pageCache.usage();
  return { total, free, c, anon: Math.max(0, total - free - c.files - c.shmem) };
}

/** /proc/meminfo. Guest RAM is the exokernel's frames; the page cache's file pages are Cached
 *  (those no process maps are what MemAvailable counts as reclaimable) and its shared memory is
 *  Shmem; what else is in use is process memory (AnonPages). There is no swap, no high memory,
 *  and the kernel's own structures live outside guest RAM (Slab, KernelStack... are 0). */
export function meminfoText(sys: System): string {
  const { total, free, c, anon } = memoryPages(sys);
  const k = (pages: number): number => pages * KB_PER_PAGE;
  const rows: [string, number][] = [
    ["MemTotal", k(total)], ["MemFree", k(free)], ["MemAvailable", k(free + c.idle)], ["Buffers", 0], ["Cached", k(c.files + c.shmem)],
    ["SwapCached", 0], ["Active", k(anon + c.shmem + c.mapped)], ["Inactive", k(c.idle)], ["Active(anon)", k(anon + c.shmem)],
    ["Inactive(anon)", 0], ["Active(file)", k(c.mapped)], ["Inactive(file)", k(c.idle)], ["Unevictable", 0], ["Mlocked", 0],
    ["HighTotal", 0], ["HighFree", 0], ["LowTotal", k(total)], ["LowFree", k(free)],
    ["SwapTotal", 0], ["SwapFree", 0], ["Zswap", 0], ["Zswapped", 0], ["Dirty", 0], ["Writeback", 0],
    ["AnonPages", k(anon)], ["Mapped", k(c.mapped)], ["Shmem", k(c.shmem)], ["KReclaimable", 0], ["Slab", 0], ["SReclaimable", 0],
    ["SUnreclaim", 0], ["KernelStack", 0], ["PageTables", 0], ["NFS_Unstable", 0], ["Bounce", 0], ["WritebackTmp", 0],
    ["CommitLimit", k(Math.floor(total / 2))], ["Committed_AS", k(committedPages(sys))], ["VmallocTotal", 0], ["VmallocUsed", 0],
    ["VmallocChunk", 0], ["Percpu", 0], ["AnonHugePages", 0], ["ShmemHugePages", 0], ["ShmemPmdMapped", 0], ["FileHugePages", 0],
    ["FilePmdMapped", 0],
  ];
  let out = rows.map(([l, v]) => kbLine(l, v)).join("");
  out += "HugePages_Total:       0\nHugePages_Free:        0\nHugePages_Rsvd:        0\nHugePages_Surp:        0\n";
  out += kbLine("Hugepagesize", 4096) + kbLine("Hugetlb", 0);
  // The direct mapping of RAM: 4 MiB pages (PSE, no PAE), the rest in 4 KiB pages.
  const totalKb = k(total);
  out += kbLine("DirectMap4k", totalKb % 4096) + kbLine("DirectMap4M", totalKb - (totalKb % 4096));
  return out;
}

/** Four little-endian bytes of a register as text (vendor and brand strings). */
function regText(...regs: number[]): string {
  const b = Buffer.alloc(regs.length * 4);
  regs.forEach((r, i) => b.writeInt32LE(r | 0, i * 4));
  return b.toString("latin1");
}

/** /proc/cpuinfo: one processor, described by the CPUID leaves the guests see. */
export function cpuinfoText(sys: System): string {
  const k = sys.kernel;
  const [maxLeaf, vb, vc, vd] = k.cpuid(0);
  const [sig, misc, ecx1, edx1] = k.cpuid(1);
  const family = (sig >>> 8) & 0xf;
  const model = ((sig >>> 4) & 0xf) | (family === 6 || family === 15 ? ((sig >>> 16) & 0xf) << 4 : 0);
  const stepping = sig & 0xf;
  let brand = "";
  if (k.cpuid(0x80000000)[0] >>> 0 >= 0x80000004) {
    for (let leaf = 0x80000002; leaf <= 0x80000004; leaf++) brand += regText(...k.cpuid(leaf));
  }
  brand = brand.replace(/\0.*$/s, "").trim();
  const flags: string[] = [];
  CPUID1_EDX_FLAGS.forEach((n, bit) => n !== null && (edx1 >>> bit) & 1 && flags.push(n));
  CPUID1_ECX_FLAGS.forEach((n, bit) => n !== null && (ecx1 >>> bit) & 1 && flags.push(n));
  // (Linux's synthetic flag for the CPUID faulting every exojit CPU has: arch_prctl ARCH_SET_CPUID)
  flags.push("cpuid_fault");
  const fpu = edx1 & 1 ? "yes" : "no";
  // CLFLUSH line size from CPUID when the instruction exists, else the i386 default of 32.
  const clflush = (edx1 >>> 19) & 1 ? ((misc >>> 8) & 0xff) * 8 : 32;
  const khz = Math.round(k.tscHz / 1000);
  // bogomips: the delay loop is calibrated against the TSC, two loops per cycle.
  const bogo = (2 * khz) / 1000;
  return (
    `processor\t: 0\nvendor_id\t: ${regText(vb, vd, vc)}\ncpu family\t: ${family}\nmodel\t\t: ${model}\n` +
    `model name\t: ${brand || "unknown"}\nstepping\t: ${stepping}\n` +
    ((edx1 >>> 4) & 1 ? `cpu MHz\t\t: ${Math.floor(khz / 1000)}.${String(khz % 1000).padStart(3, "0")}\n` : "") +
    "physical id\t: 0\nsiblings\t: 1\ncore id\t\t: 0\ncpu cores\t: 1\napicid\t\t: 0\ninitial apicid\t: 0\n" +
    `fdiv_bug\t: no\nf00f_bug\t: no\ncoma_bug\t: no\nfpu\t\t: ${fpu}\nfpu_exception\t: ${fpu}\ncpuid level\t: ${maxLeaf}\nwp\t\t: yes\n` +
    `flags\t\t:${flags.map((f) => " " + f).join("")}\nbugs\t\t:\nbogomips\t: ${bogo.toFixed(2)}\n` +
    `clflush size\t: ${clflush}\ncache_alignment\t: ${clflush}\naddress sizes\t: 32 bits physical, 32 bits virtual\npower management:\n\n`
  );
}

/** /proc/stat: CPU time since boot (all of it user time, the rest idle), context switches, the
 *  boot time, tasks created, and tasks running now. Interrupts are not counted. */
export function statText(sys: System): string {
  const st = sys.stats;
  const { busyNs, switches } = st.cpuTotals();
  const idle = ticks(Math.max(0, st.uptimeNs() - busyNs));
  const cpu = `${ticks(busyNs)} 0 0 ${idle} 0 0 0 0 0 0`;
  return (
    `cpu  ${cpu}\ncpu0 ${cpu}\nintr 0${" 0".repeat(16)}\nctxt ${switches}\nbtime ${Math.floor(st.bootWallMs / 1000)}\n` +
    `processes ${sys.created}\nprocs_running ${st.counts().running}\nprocs_blocked 0\nsoftirq 0${" 0".repeat(10)}\n`
  );
}

/** Seconds with two decimals, as uptime prints them (truncated). */
function centis(ns: number): string {
  const cs = Math.floor(ns / 1e7);
  return `${Math.floor(cs / 100)}.${String(cs % 100).padStart(2, "0")}`;
}

/** /proc/uptime: seconds since boot, and seconds the processor was idle. */
export function uptimeText(sys: System): string {
  const up = sys.stats.uptimeNs();
  return `${centis(up)} ${centis(Math.max(0, up - sys.stats.cpuTotals().busyNs))}\n`;
}

/** A load average as LOAD_INT.LOAD_FRAC. */
function load(x: number): string {
  const frac = ((x & ((1 << FSHIFT) - 1)) * 100) >> FSHIFT;
  return `${x >> FSHIFT}.${String(frac).padStart(2, "0")}`;
}

/** /proc/loadavg: the three averages, running/all tasks, the last process id handed out. */
export function loadavgText(sys: System): string {
  const [a, b, c] = sys.stats.loadAverage();
  const n = sys.stats.counts();
  return `${load(a)} ${load(b)} ${load(c)} ${n.running}/${n.total} ${sys.lastPid}\n`;
}

/** /proc/version (linux_proc_banner): who built the kernel is exojit. */
export function versionText(sys: System): string {
  const u = sys.personality.uname();
  return `${u.sysname} version ${u.release} (exojit@exojit) (exojit) ${u.version}\n`;
}

/** /proc/filesystems: the file system types mount knows (and pipefs, which holds pipes);
 *  "nodev" marks those without a device. */
export function filesystemsText(sys: System): string {
  return filesystemTypes(sys).map((t) => `${t.nodev ? "nodev" : ""}\t${t.name}\n`).join("");
}

/** The file system types in the kernel's order (/proc/filesystems, sysfs(2)). */
export function filesystemTypes(sys: System): { name: string; nodev: boolean }[] {
  const types = sys.fsTypes.list();
  return [...types.filter((t) => t.nodev), { name: "pipefs", nodev: true }, ...types.filter((t) => !t.nodev)].map((t) => ({ name: t.name, nodev: t.nodev === true }));
}

/** A random (version 4) UUID, as /proc/sys/kernel/random/uuid prints it. */
function uuid(): string {
  const b = new Uint8Array(16);
  hostRandom(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Buffer.from(b).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A sysctl: [directory, name, permission bits, value, and for one root may change, what a
 *  write does (given the text written and the writer; it throws a SysError to refuse it)]. */
export type Sysctl = [string, string, number, () => string, ((text: string, who: Task | null) => void)?];

/** Integers written to a sysctl file, as Linux's proc_dointvec reads them (decimal, optionally
 *  negative, separated by white space): at least one and at most `n`, each within [min, max];
 *  EINVAL otherwise. */
export function sysctlInts(text: string, n: number, min: number, max: number): number[] {
  const words = text.trim().split(/\s+/).filter((w) => w !== "");
  if (words.length === 0 || words.length > n) sysError("EINVAL");
  return words.map((w) => {
    if (!/^-?[0-9]+$/.test(w)) sysError("EINVAL");
    const v = Number(w);
    if (v < min || v > max) sysError("EINVAL");
    return v;
  });
}

/** One integer (see sysctlInts). */
const int = (text: string, min: number, max: number): number => sysctlInts(text, 1, min, max)[0];
/** A string sysctl's text: up to the first newline, at most `max` bytes. */
const str = (text: string, max: number): string => {
  const v = text.split("\n")[0];
  if (v.length > max) sysError("EINVAL");
  return v;
};
/** Linux's INT_MAX, IPCMNI (most System V objects of a kind), HARD_MSGMAX/HARD_MSGSIZEMAX (POSIX
 *  queues' hard limits), PID_MAX_LIMIT (32-bit), and the longest host and domain names. */
const INT_MAX = 0x7fffffff, INT_MIN = -0x80000000, IPCMNI = 32768, PID_MAX_LIMIT = 32768, UTS_LEN = 64;

/** Sysctl values under /proc/sys. Those root may change (0644, as in Linux) take effect where
 *  exojit has what they tune; the others refuse writes with EROFS. */
export function sysctlTable(sys: System): Sysctl[] {
  const u = (): ReturnType<typeof sys.personality.uname> => sys.personality.uname();
  const { shm, sem, msg, mqueue } = sys.ipc;
  const mq = mqueue.limits, ino = sys.inotifyLimits, kq = sys.keys.quotas;
  // (a personality that cannot rename the system keeps its names: EROFS)
  const rename = (which: "hostname" | "domainname", name: string): void => {
    // (called on the personality: a class's method needs its `this`)
    const p = sys.personality;
    if (p.rename === undefined) sysError("EROFS");
    p.rename(which, name);
  };
  // (in Linux's listing order: by directory, then name)
  const rows: Sysctl[] = [
    ["fs", "aio-max-nr", 0o644, () => String(sys.aioMaxNr), (t) => void (sys.aioMaxNr = int(t, 0, INT_MAX))],
    ["fs", "aio-nr", 0o444, () => String(sys.aioNr)],
    ["fs", "lease-break-time", 0o644, () => String(sys.leaseSettings.breakTime), (t) => void (sys.leaseSettings.breakTime = int(t, 0, INT_MAX))],
    // (from BITS_PER_LONG to Linux's i386 ceiling, INT_MAX / 2 rounded down to a word)
    ["fs", "nr_open", 0o644, () => String(sys.nrOpen), (t) => void (sys.nrOpen = int(t, 32, 0x3fffffe0))],
    ["fs", "pipe-max-size", 0o644, () => String(sys.pipeMaxSize), (t) => {
      // (rounded up to a power of two pages, as Linux's round_pipe_size)
      const v = int(t, 1, 2 ** 31);
      let size = 4096;
      while (size < v) size *= 2;
      sys.pipeMaxSize = size;
    }],
    // (pipe buffers are not counted per user here: no limit, and Linux's default soft one)
    ["fs", "pipe-user-pages-hard", 0o644, () => "0"],
    ["fs", "pipe-user-pages-soft", 0o644, () => "16384"],
    ["fs/inotify", "max_queued_events", 0o644, () => String(ino.maxQueuedEvents), (t) => void (ino.maxQueuedEvents = int(t, 0, INT_MAX))],
    ["fs/inotify", "max_user_instances", 0o644, () => String(ino.maxUserInstances), (t) => void (ino.maxUserInstances = int(t, 0, INT_MAX))],
    ["fs/inotify", "max_user_watches", 0o644, () => String(ino.maxUserWatches), (t) => void (ino.maxUserWatches = int(t, 0, INT_MAX))],
    ["fs/mqueue", "msg_default", 0o644, () => String(mq.msgDefault), (t) => void (mq.msgDefault = int(t, 1, HARD_MSGMAX))],
    ["fs/mqueue", "msg_max", 0o644, () => String(mq.msgMax), (t) => void (mq.msgMax = int(t, 1, HARD_MSGMAX))],
    ["fs/mqueue", "msgsize_default", 0o644, () => String(mq.msgsizeDefault), (t) => void (mq.msgsizeDefault = int(t, 128, HARD_MSGSIZEMAX))],
    ["fs/mqueue", "msgsize_max", 0o644, () => String(mq.msgsizeMax), (t) => void (mq.msgsizeMax = int(t, 128, HARD_MSGSIZEMAX))],
    ["fs/mqueue", "queues_max", 0o644, () => String(mq.queuesMax), (t) => void (mq.queuesMax = int(t, 0, INT_MAX))],
    // (the highest capability number Linux 6.1 knows, CAP_CHECKPOINT_RESTORE)
    ["kernel", "cap_last_cap", 0o444, () => "40"],
    // (where core files go, and whether their name gets the pid: posix/coredump.ts)
    ["kernel", "core_pattern", 0o644, () => sys.corePattern, (t) => void (sys.corePattern = str(t, 127))],
    ["kernel", "core_uses_pid", 0o644, () => String(sys.coreUsesPid ? 1 : 0), (t) => void (sys.coreUsesPid = int(t, INT_MIN, INT_MAX) !== 0)],
    // (syslog(2) is root's only: posix/sys/klog.ts)
    ["kernel", "dmesg_restrict", 0o644, () => "1"],
    ["kernel", "domainname", 0o644, () => u().domainname, (t) => rename("domainname", str(t, UTS_LEN))],
    ["kernel", "hostname", 0o644, () => u().nodename, (t) => rename("hostname", str(t, UTS_LEN))],
    ["kernel", "ngroups_max", 0o444, () => "65536"],
    // (the key retention service's quotas, per user: libexoc/keys.ts)
    ["kernel/keys", "maxbytes", 0o644, () => String(kq.maxBytes), (t) => void (kq.maxBytes = int(t, 0, INT_MAX))],
    ["kernel/keys", "maxkeys", 0o644, () => String(kq.maxKeys), (t) => void (kq.maxKeys = int(t, 0, INT_MAX))],
    ["kernel/keys", "root_maxbytes", 0o644, () => String(kq.rootMaxBytes), (t) => void (kq.rootMaxBytes = int(t, 0, INT_MAX))],
    ["kernel/keys", "root_maxkeys", 0o644, () => String(kq.rootMaxKeys), (t) => void (kq.rootMaxKeys = int(t, 0, INT_MAX))],
    // (System V IPC's limits, as ipc/ enforces them)
    ["kernel", "msgmax", 0o644, () => String(msg.max), (t) => void (msg.max = int(t, 0, INT_MAX))],
    ["kernel", "msgmnb", 0o644, () => String(msg.mnb), (t) => void (msg.mnb = int(t, 0, INT_MAX))],
    ["kernel", "msgmni", 0o644, () => String(msg.table.max), (t) => void (msg.table.max = int(t, 0, IPCMNI))],
    // (the id the next object made gets, once: -1 when none is set)
    ["kernel", "msg_next_id", 0o644, () => String(msg.table.nextId), (t) => void (msg.table.nextId = int(t, 0, INT_MAX))],
    ["kernel", "ns_last_pid", 0o666, () => String(sys.lastPid), (t, who) => {
      if (who !== null && !capable(who.proc, CAP_SYS_ADMIN) && !capable(who.proc, CAP_CHECKPOINT_RESTORE)) sysError("EPERM");
      sys.setLastPid(int(t, 0, sys.pidMax - 1));
    }],
    ["kernel", "printk", 0o644, () => "4\t4\t1\t7"],
    // (random: the pool is always full, as since Linux 5.18; boot_id is this boot's, uuid a new
    // one at each read)
    ["kernel/random", "boot_id", 0o444, () => (sys.bootId ??= uuid())],
    ["kernel/random", "entropy_avail", 0o444, () => "256"],
    ["kernel/random", "poolsize", 0o444, () => "256"],
    ["kernel/random", "uuid", 0o444, () => uuid()],
    ["kernel", "sem_next_id", 0o644, () => String(sem.table.nextId), (t) => void (sem.table.nextId = int(t, 0, INT_MAX))],
    ["kernel", "shm_next_id", 0o644, () => String(shm.table.nextId), (t) => void (shm.table.nextId = int(t, 0, INT_MAX))],
    ["kernel", "osrelease", 0o444, () => u().release],
    // (no module or fault has tainted the kernel)
    ["kernel", "tainted", 0o644, () => "0"],
    ["kernel", "ostype", 0o444, () => u().sysname],
    ["kernel", "sem", 0o644, () => [sem.msl, sem.mns, sem.opm, sem.table.max].join("\t"), (t) => {
      const v = sysctlInts(t, 4, 0, INT_MAX);
      if (v.length > 3 && v[3] > IPCMNI) sysError("EINVAL");
      [sem.msl, sem.mns, sem.opm, sem.table.max] = [v[0], v[1] ?? sem.mns, v[2] ?? sem.opm, v[3] ?? sem.table.max];
    }],
    ["kernel", "shmall", 0o644, () => String(shm.all), (t) => void (shm.all = int(t, 0, 0xffffffff))],
    ["kernel", "shmmax", 0o644, () => String(shm.max), (t) => void (shm.max = int(t, 0, 0xffffffff))],
    ["kernel", "shmmni", 0o644, () => String(shm.table.max), (t) => void (shm.table.max = int(t, 0, IPCMNI))],
    ["kernel", "pid_max", 0o644, () => String(sys.pidMax), (t) => void (sys.pidMax = int(t, 301, PID_MAX_LIMIT))],
    ["kernel", "threads-max", 0o644, () => String(sys.threadsMax), (t) => void (sys.threadsMax = int(t, 1, 0x3fffffff))],
    ["kernel", "version", 0o444, () => u().version],
    // (write-only: 1 frees the page cache's clean files no process maps, as Linux's drop_caches
    // frees clean page cache; 2 and 3 the same, there being no separate dentry and inode caches)
    ["vm", "drop_caches", 0o200, () => "0", (t) => {
      const v = int(t, 1, 4);
      if (v & 3) sys.pageCache.reclaim(Infinity);
    }],
    ["vm", "max_map_count", 0o644, () => String(sys.maxMapCount), (t) => void (sys.maxMapCount = int(t, 0, INT_MAX))],
    ["vm", "overcommit_memory", 0o644, () => "0"],
  ];
  return rows.sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1));
}

/** /proc/sysvipc/{msg,sem,shm}: one line per System V object, as Linux's sysvipc_*_proc_show
 *  print them (a 32-bit kernel's: shm's sizes 10 wide), what ipcs reads first. */
export function sysvipcText(sys: System, kind: "msg" | "sem" | "shm"): string {
  const r = (v: number, w: number): string => String(v).padStart(w);
  const o = (mode: number): string => (mode & 0o7777).toString(8).padStart(4);
  const ids = (p: IpcPerm): string => `${r(p.key | 0, 10)} ${r(p.id, 10)}  ${o(p.mode)}`;
  const owners = (p: IpcPerm): string => [p.uid, p.gid, p.cuid, p.cgid].map((v) => r(v, 5)).join(" ");
  const ipc = sys.ipc;
  if (kind === "msg") {
    const rows = ipc.msg.table.entries().map(([, q]) =>
      `${ids(q.perm)}  ${r(q.bytes, 10)} ${r(q.messages.length, 10)} ${r(q.lspid, 5)} ${r(q.lrpid, 5)} ${owners(q.perm)} ${r(q.stime, 10)} ${r(q.rtime, 10)} ${r(q.ctime, 10)}\n`);
    return "       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n" + rows.join("");
  }
  if (kind === "sem") {
    const rows = ipc.sem.table.entries().map(([, s]) => `${ids(s.perm)} ${r(s.nsems, 10)} ${owners(s.perm)} ${r(s.otime, 10)} ${r(s.ctime, 10)}\n`);
    return "       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n" + rows.join("");
  }
  const rows = ipc.shm.table.entries().map(([, g]) =>
    `${ids(g.perm)} ${r(g.size, 10)} ${r(g.cpid, 5)} ${r(g.lpid, 5)}  ${r(g.nattch, 5)} ${owners(g.perm)} ${r(g.atime, 10)} ${r(g.dtime, 10)} ${r(g.ctime, 10)} ${r(g.resident * PAGE, 10)} ${r(0, 10)}\n`);
  return "       key      shmid perms       size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime        rss       swap\n" + rows.join("");
}
