// procfs's text against the host's own /proc (the host is Linux: its files are the oracle for
// layout, order and column widths; values differ, so lines are compared by shape), Linux's load
// average rule against its continuous-time meaning, and the tree over a real System: what
// /proc lists and resolves for a process that System created.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { Exokernel } from "../../src/exokernel/kernel.js";
import { System } from "../../src/libexoc/system.js";
import type { Vfs } from "../../src/libexoc/vfs/vfs.js";
import { HostVolume } from "../../src/libexoc/volumes/host.js";
import { FdTable } from "../../src/libexoc/fdtable.js";
import { makePipe } from "../../src/libexoc/pipe.js";
import { SysError } from "../../src/libexoc/errors.js";
import type { OpenMode } from "../../src/libexoc/file.js";
import { DirFile } from "../../src/libexoc/dirfile.js";
import { SystemStats, FSHIFT } from "../../src/libexoc/sysstat.js";
import type { Task, Personality } from "../../src/libexoc/task.js";
import type { Process } from "../../src/libexoc/process.js";
import type { View } from "../../src/libexoc/procfs/pid.js";
import { limitsText, statusText, statText, statmText } from "../../src/libexoc/procfs/pid.js";
import { meminfoText, cpuinfoText } from "../../src/libexoc/procfs/global.js";
import { vmstatText, partitionsText, diskstatsText, swapsText } from "../../src/libexoc/procfs/vmstat.js";
import type { BlockInfo } from "../../src/libexoc/sysfs.js";
import { locksText } from "../../src/libexoc/procfs/locks.js";
import { devicesText } from "../../src/libexoc/procfs/devices.js";
import { KeyTable } from "../../src/libexoc/keys.js";
import { LockTable } from "../../src/libexoc/vfs/locks.js";
import { lockKey } from "../../src/libexoc/vfs/ref.js";
import { CAP_ALL } from "../../src/libexoc/capability.js";

const host = (p: string): string => fs.readFileSync(p, "latin1");
const keys = (text: string): string[] => text.split("\n").filter((l) => l.includes(":")).map((l) => l.slice(0, l.indexOf(":")).trim());

/** Whether `sub` appears in `all` in the same order. */
function inOrder(sub: string[], all: string[]): boolean {
  let i = 0;
  for (const k of all) if (i < sub.length && k === sub[i]) i++;
  return i === sub.length;
}

describe("load averages", () => {
  /** A system whose clock is `now` and whose tasks are `running` runnable ones. */
  function fakeSystem(): { stats: SystemStats; set: (ns: number, running: number) => void } {
    let now = 0;
    const tasks = new Map<number, unknown>();
    const kernel = { clock: { now: () => now }, env: () => ({ suspended: false, waiting: false }) };
    const sys = { kernel, tasks } as unknown as System; // only the clock and the task table are used
    return {
      stats: new SystemStats(sys),
      set: (ns, running) => {
        now = ns;
        tasks.clear();
        for (let k = 0; k < running; k++) tasks.set(k, { alive: true, kernel, env: k, proc: { stopped: false }, blocked: null });
      },
    };
  }
  const value = (x: number): number => x / (1 << FSHIFT);

  it("move towards the runnable count by exp(-5s/T) per 5-second interval, as Linux's", () => {
    const { stats, set } = fakeSystem();
    set(4.9e9, 1);
    expect(stats.loadAverage()).toEqual([0, 0, 0]);
    set(60e9, 1); // 12 intervals with one runnable task
    const [a, b, c] = stats.loadAverage().map(value);
    expect(a).toBeCloseTo(1 - Math.exp(-1), 2);
    expect(b).toBeCloseTo(1 - Math.exp(-60 / 300), 2);
    expect(c).toBeCloseTo(1 - Math.exp(-60 / 900), 2);
    set(120e9, 0); // 12 more intervals with none
    expect(value(stats.loadAverage()[0])).toBeCloseTo((1 - Math.exp(-1)) * Math.exp(-1), 2);
  });
});

describe("text formats against the host's /proc", () => {
  it("limits: the host's own limits print byte for byte as the host prints them", () => {
    const text = host("/proc/self/limits");
    const rows = text.split("\n").slice(1, -1).map((l) => [l.slice(26, 46).trim(), l.slice(47, 67).trim()]);
    const num = (s: string): number => (s === "unlimited" ? Infinity : Number(s));
    const p = { limit: (r: number) => [num(rows[r][0]), num(rows[r][1])] } as unknown as Process; // limitsText reads limits only
    expect(limitsText({ p } as View)).toBe(text);
  });

  /** A system with 1000 frames, 600 free, and a page cache of 50 file pages (20 mapped) and 10 of shared memory. */
  const memSys = {
    kernel: { frames: { total: 1000, available: 600 } },
    pageCache: { usage: () => ({ files: 50, mapped: 20, idle: 30, shmem: 10 }) },
    tasks: new Map(),
  } as unknown as System; // meminfo reads frame counts, the cache's usage and the task table

  it("meminfo: the host's labels in the host's order, numbers ending at column 24", () => {
    const ours = meminfoText(memSys);
    const i386Only = ["HighTotal", "HighFree", "LowTotal", "LowFree", "DirectMap4M"];
    expect(inOrder(keys(ours).filter((k) => !i386Only.includes(k)), keys(host("/proc/meminfo")))).toBe(true);
    const column = (l: string): number => (l.endsWith(" kB") ? l.length - 3 : l.length);
    for (const text of [ours, host("/proc/meminfo")]) {
      for (const line of text.trimEnd().split("\n")) {
        expect(line).toMatch(/^[\w()]+:\s+\d+( kB)?$/);
        if (/\d{9}/.test(line)) continue;
        expect(column(line), line).toBe(24);
      }
    }
    expect(ours).toMatch(/^MemTotal: +4000 kB\nMemFree: +2400 kB\nMemAvailable: +2520 kB\nBuffers: +0 kB\nCached: +240 kB\n/);
    expect(ours).toMatch(/\nShmem: +40 kB\n/);
    expect(ours).toMatch(/\nAnonPages: +1360 kB\n/);
  });

  /** Two block devices: a disk that read 10 sectors and wrote 6 in 3 and 2 ms, an empty loop device. */
  const blocks: BlockInfo[] = [
    { name: "sda", major: 8, minor: 0, sectors: 2048, readOnly: false, io: [5, 10, 3, 6], ioNs: [2.5e6, 1.2e6], readAheadSectors: 256, loop: null },
    { name: "loop0", major: 7, minor: 0, sectors: 0, readOnly: false, io: [0, 0, 0, 0], ioNs: [0, 0], readAheadSectors: 256, loop: null },
  ];
  const blockSys = { ...memSys, blockDevices: () => blocks } as unknown as System; // vmstat's memory figures are meminfo's

  it("vmstat: the host's counter names in the host's order (but i386's and 6.1's own), meminfo's figures in pages, KiB read and written", () => {
    const ours = vmstatText(blockSys);
    const lines = ours.trimEnd().split("\n");
    for (const l of lines) expect(l).toMatch(/^[a-z0-9_]+ \d+$/);
    const names = lines.map((l) => l.split(" ")[0]);
    expect(new Set(names).size).toBe(names.length);
    // (highmem zones exist on i386 only; nr_bounce and nr_writeback_temp left Linux after 6.1,
    // and 6.10 made the demotion counters node counters, printed before the events)
    const notHost = ["pgalloc_high", "allocstall_high", "pgskip_high", "nr_bounce", "nr_writeback_temp", "pgdemote_kswapd", "pgdemote_direct"];
    const hostNames = host("/proc/vmstat").trimEnd().split("\n").map((l) => l.split(" ")[0]);
    expect(inOrder(names.filter((n) => !notHost.includes(n)), hostNames)).toBe(true);
    const v = new Map(lines.map((l) => [l.split(" ")[0], Number(l.split(" ")[1])]));
    // 1000 frames, 600 free; 50 file pages (20 mapped, 30 not) and 10 of shared memory: 340 anonymous
    expect(v.get("nr_free_pages")).toBe(600);
    expect(v.get("nr_anon_pages")).toBe(340);
    expect(v.get("nr_file_pages")).toBe(60);
    expect(v.get("nr_shmem")).toBe(10);
    expect(v.get("nr_mapped")).toBe(20);
    expect(v.get("nr_inactive_file")).toBe(30);
    expect(v.get("nr_dirty_threshold")).toBe(130); // 20% of free + file pages
    expect(v.get("nr_dirty_background_threshold")).toBe(65);
    expect([v.get("pgpgin"), v.get("pgpgout"), v.get("pswpin"), v.get("pswpout")]).toEqual([5, 3, 0, 0]);
  });

  it("partitions, diskstats and swaps: the host's headers and columns, the block devices' sizes and I/O", () => {
    // the header as the host prints it; sizes in KiB, devices without sectors left out
    expect(partitionsText(blockSys)).toBe("major minor  #blocks  name\n\n   8        0       1024 sda\n");
    expect(host("/proc/partitions").startsWith("major minor  #blocks  name\n\n")).toBe(true);
    const ours = diskstatsText(blockSys).trimEnd().split("\n");
    expect(ours).toEqual([
      "   8       0 sda 5 0 10 3 3 0 6 2 0 5 5 0 0 0 0 0 0",
      "   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0",
    ]);
    // (the host's lines have the same columns: a 4-wide major, a 7-wide minor, 17 counters)
    const shape = /^[ \d]{4} [ \d]{7} \S+( \d+){17}$/;
    for (const l of [...ours, ...host("/proc/diskstats").trimEnd().split("\n")]) expect(l).toMatch(shape);
    expect(swapsText()).toBe(host("/proc/swaps").split("\n")[0] + "\n");
  });

  it("locks: each lock held, as the host prints its own (record, open-description and flock locks)", () => {
    const table = new LockTable();
    const a = lockKey(0xfe00n, 1499311n), b = lockKey(0x801n, 12n);
    const fds = {}, ofd = {}, desc = {};
    table.set(a, fds, 1000, "write", 20, 29, false);
    table.set(a, fds, 1000, "read", 40, Infinity, false);
    table.set(b, ofd, -1, "read", 0, 99, false);
    table.flock(b, desc, "write", true, 1002);
    expect(locksText(table.list())).toBe(
      "1: POSIX  ADVISORY  WRITE 1000 fe:00:1499311 20 29\n" +
      "2: POSIX  ADVISORY  READ 1000 fe:00:1499311 40 EOF\n" +
      "3: OFDLCK ADVISORY  READ -1 08:01:12 0 99\n" +
      "4: FLOCK  ADVISORY  WRITE 1002 08:01:12 0 EOF\n",
    );
    table.flock(b, desc, null, true);
    expect(locksText(table.list())).not.toContain("FLOCK");
    // (the host's lines, when it has locks, have the same shape)
    const shape = /^\d+: (POSIX |OFDLCK|FLOCK |LEASE ) (ADVISORY |MANDATORY|ACTIVE   |BREAKING |BREAKER  ) (WRITE|READ|UNLCK) -?\d+ [0-9a-f]{2,}:[0-9a-f]{2,}:\d+ \d+ (\d+|EOF)$/;
    for (const l of [...locksText(table.list()).trimEnd().split("\n"), ...host("/proc/locks").trimEnd().split("\n").filter((x) => x !== "" && !x.includes("->"))]) expect(l).toMatch(shape);
  });

  it("devices: the majors with drivers under Linux's names for the minors driven, in the host's layout", () => {
    const list = [
      ["char", 5, 1, "console"], ["char", 1, 3, "null"], ["char", 136, "*", "pts"], ["char", 4, 64, "ttyS0"], ["char", 5, 2, "ptmx"],
      ["char", 10, 237, "loop-control"], ["char", 240, 0, "gadget"], ["block", 8, "*", "sd"], ["block", 7, "*", "loop"],
    ];
    const text = devicesText({ devices: { list: () => list } } as unknown as System); // the device registry only
    expect(text).toBe("Character devices:\n  1 mem\n  4 ttyS\n  5 /dev/console\n  5 /dev/ptmx\n 10 misc\n136 pts\n240 gadget\n\nBlock devices:\n  7 loop\n  8 sd\n");
    // (the host's file: the same two headings, a blank line between, "%3d %s" lines)
    const shape = (t: string): string => t.replace(/^ *\d+ \S.*$/gm, "N");
    expect(shape(text).replace(/(N\n)+/g, "N\n")).toBe(shape(host("/proc/devices")).replace(/(N\n)+/g, "N\n"));
  });

  it("key-users: per user with keys, by uid, the references, keys and quota use against the quotas, in the host's layout", () => {
    const keys = new KeyTable();
    keys.make("user", "a", 1000, 1000, 0x3f010000, new Uint8Array(10));
    keys.make("user", "bb", 1000, 1000, 0x3f010000, new Uint8Array(5));
    keys.make("keyring", "_ses", 0, 0, 0x3f010000, new Uint8Array(0), false);
    // (bytes: each key's description with its NUL, and payload)
    expect(keys.usersText()).toBe("    0:     2 1/1 1/1000000 5/25000000\n 1000:     3 2/2 2/200 20/20000\n");
    keys.quotas.maxKeys = 10;
    expect(keys.usersText()).toContain(" 1000:     3 2/2 2/10 20/20000\n");
    // (the host's lines: "%5u: %5d %d/%d %d/%d %d/%d")
    const shape = /^ *\d+: +\d+ \d+\/\d+ \d+\/\d+ \d+\/\d+$/;
    for (const l of [...keys.usersText().trimEnd().split("\n"), ...host("/proc/key-users").trimEnd().split("\n").filter((x) => x !== "")]) expect(l).toMatch(shape);
  });

  it("cpuinfo: the host's keys in the host's order (but i386's bug lines), CPUID's vendor, flags the host knows", () => {
    const k = new Exokernel({ memory: 16 << 20 });
    const ours = cpuinfoText({ kernel: k } as unknown as System); // cpuinfo asks the exokernel only
    const block = host("/proc/cpuinfo").split("\n\n")[0];
    const i386Only = ["fdiv_bug", "f00f_bug", "coma_bug"];
    expect(inOrder(keys(ours).filter((x) => !i386Only.includes(x)), keys(block))).toBe(true);
    expect(ours.endsWith("\n\n")).toBe(true);
    const [, b, c, d] = k.cpuid(0);
    const vendor = Buffer.alloc(12);
    [b, d, c].forEach((r, i) => vendor.writeInt32LE(r, i * 4));
    expect(ours).toContain(`\nvendor_id\t: ${vendor.toString("latin1")}\n`);
    const flags = (t: string): string[] => (/\nflags\t\t: (.*)\n/.exec(t)?.[1] ?? "").split(" ");
    expect(flags(ours).length).toBeGreaterThan(0);
    // (Linux's synthetic flag for CPUID faulting, which every exojit CPU has: a host shows it only
    // where its own CPU can fault CPUID: the CI machines of 2026-12, AMD EPYC VMs, show no such flag)
    const synthetic = ["cpuid_fault"];
    for (const f of synthetic) expect(flags(ours)).toContain(f);
    for (const f of flags(ours).filter((x) => !synthetic.includes(x))) expect(flags(block)).toContain(f);
  });
});

describe("/proc over a real System", () => {
  const personality: Personality = {
    name: "test",
    uname: () => ({ sysname: "Linux", nodename: "box", release: "6.1.0-test", version: "#1 test", machine: "i686", domainname: "(none)" }),
    trap: () => {},
    deliverSignal: () => false,
    resume: () => {},
    interrupted: () => {},
  };
  let root = "";
  let sys: System;
  let vfs: Vfs;
  let t: Task;
  let pipeIno = 0n;
  const READ: OpenMode = { read: true, write: false, append: false, nonblock: false };
  const read = (p: string): string => {
    const f = vfs.open(t, p, "/", { mode: READ, create: false, exclusive: false, truncate: false, directory: false, noFollow: false, perm: 0 });
    const buf = new Uint8Array(1 << 16);
    return Buffer.from(buf.subarray(0, f.read(buf))).toString("latin1");
  };
  const list = (p: string): string[] => {
    const d = vfs.open(t, p, "/", { mode: READ, create: false, exclusive: false, truncate: false, directory: true, noFollow: false, perm: 0 });
    return (d as DirFile).entries().map((e) => e.name.toString()).filter((n) => n !== "." && n !== "..");
  };
  const errno = (fn: () => unknown): string => {
    try {
      fn();
      return "ok";
    } catch (e) {
      if (e instanceof SysError) return e.errno;
      throw e;
    }
  };

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "exojit-procfs-"));
    fs.chmodSync(root, 0o755); // searchable by the test's unprivileged process, as a root is
    sys = new System({ kernel: new Exokernel({ memory: 16 << 20 }), personality });
    vfs = sys.newVfs(new HostVolume(root, false, []));
    const fds = new FdTable();
    const [r, w] = makePipe(false);
    fds.add(r);
    fds.add(w);
    pipeIno = r.pipe.ino;
    t = sys.createFirst(vfs, "/", fds, 1000, 1000);
  });

  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it("lists the system files, self links and the process at the top", () => {
    expect(list("/proc")).toEqual(["sys", "stat", "locks", "swaps", "mounts", "uptime", "vmstat", "cmdline", "cpuinfo", "devices", "loadavg", "meminfo", "sysvipc", "version", "config.gz", "diskstats", "key-users", "partitions", "filesystems", "self", "thread-self", "1", String(t.pid)]);
    expect(vfs.readlink(t, "/proc/self", "/").toString()).toBe(String(t.pid));
    expect(vfs.readlink(t, "/proc/thread-self", "/").toString()).toBe(`${t.pid}/task/${t.tid}`);
    expect(list("/proc/self/task")).toEqual([String(t.tid)]);
  });

  it("config.gz: the configuration of the kernel exojit presents, gzipped", () => {
    const text = gunzipSync(Buffer.from(read("/proc/config.gz"), "latin1")).toString();
    expect(text).toMatch(/^#\n# Automatically generated file; DO NOT EDIT\.\n# Linux\/i386 6\.1\.0-test Kernel Configuration\n/);
    expect(text).toContain("\nCONFIG_INOTIFY_USER=y\n");
    expect(text).toContain("\n# CONFIG_USER_NS is not set\n");
  });

  it("shows the descriptors: fd/ links and fdinfo/", () => {
    expect(list("/proc/self/fd")).toEqual(["0", "1"]);
    expect(vfs.readlink(t, "/proc/self/fd/0", "/").toString()).toBe(`pipe:[${pipeIno}]`);
    expect(read("/proc/self/fdinfo/1")).toMatch(/^pos:\t0\nflags:\t01\nmnt_id:\t\d+\nino:\t\d+\n$/);
    expect(errno(() => vfs.stat(t, "/proc/self/fd/7", "/", false))).toBe("ENOENT");
  });

  it("status and stat describe the process in the host's layout", () => {
    const ours = statusText({ sys, p: t.proc, t, id: t.pid, whole: true, permitted: true, ttyNr: 0, ttyPgrp: -1 });
    const theirs = host("/proc/self/status");
    expect(inOrder(keys(ours), keys(theirs))).toBe(true);
    const value = (text: string, k: string): string => new RegExp(`^${k}:\\t(.*)$`, "m").exec(text)?.[1] ?? "?";
    const shape = (v: string): string => v.replace(/[0-9a-f]{16}/g, "X").replace(/ *\d+ kB/, (m) => (m.length === 11 ? "kB" : m)).replace(/\d+/g, "9");
    for (const k of ["Umask", "Tgid", "Pid", "PPid", "Uid", "Gid", "FDSize", "NStgid", "VmSize", "VmRSS", "VmStk", "Threads", "SigQ", "SigBlk", "SigCgt", "CapEff", "CapBnd", "voluntary_ctxt_switches"]) {
      expect(shape(value(ours, k)), k).toBe(shape(value(theirs, k)));
    }
    expect(value(ours, "Uid")).toBe("1000\t1000\t1000\t1000");
    expect(value(ours, "CapEff")).toBe("0000000000000000");
    const stat = read(`/proc/${t.pid}/stat`);
    expect(stat.trimEnd().split(" ")).toHaveLength(52);
    expect(stat).toMatch(new RegExp(`^${t.pid} \\(\\) [RS] 1 ${t.pid} ${t.pid} 0 -1 `));
    expect(statmText({ sys, p: t.proc, t, id: t.pid, whole: true, permitted: true, ttyNr: 0, ttyPgrp: -1 })).toBe("0 0 0 0 0 0 0\n");
    expect(statText({ sys, p: t.proc, t, id: t.pid, whole: false, permitted: false, ttyNr: 0, ttyPgrp: -1 }).split(" ")[25]).toBe("1");
  });

  it("sysctl files: read as text; root changes those exojit has, the others are read-only even for it", () => {
    expect(read("/proc/sys/kernel/ostype")).toBe("Linux\n");
    expect(read("/proc/sys/kernel/osrelease")).toBe("6.1.0-test\n");
    expect(read("/proc/version")).toBe("Linux version 6.1.0-test (exojit@exojit) (exojit) #1 test\n");
    expect(list("/proc/sys")).toEqual(["fs", "kernel", "vm"]);
    // (a nested directory: /proc/sys/fs/inotify)
    expect(list("/proc/sys/fs")).toEqual(["inotify", "mqueue", "aio-max-nr", "aio-nr", "lease-break-time", "nr_open", "pipe-max-size", "pipe-user-pages-hard", "pipe-user-pages-soft"]);
    expect(read("/proc/cmdline")).toBe("\n");
    expect(read("/proc/sys/fs/inotify/max_queued_events")).toBe("16384\n");
    expect(read("/proc/sys/kernel/shmmni")).toBe("4096\n");
    expect(read("/proc/sys/kernel/sem")).toBe("32000\t1024000000\t500\t32000\n");
    // (Linux's defaults for what exojit does not count or write)
    expect(read("/proc/sys/fs/pipe-user-pages-soft")).toBe("16384\n");
    expect(read("/proc/sys/fs/nr_open")).toBe("1048576\n");
    expect(read("/proc/sys/kernel/core_pattern")).toBe("core\n");
    expect(read("/proc/sys/kernel/printk")).toBe("4\t4\t1\t7\n");
    expect(read("/proc/sys/kernel/shm_next_id")).toBe("-1\n");
    expect(read("/proc/sys/kernel/ns_last_pid")).toBe(`${sys.lastPid}\n`);
    expect(read("/proc/sys/kernel/random/entropy_avail")).toBe("256\n");
    const v4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\n$/;
    expect(read("/proc/sys/kernel/random/boot_id")).toMatch(v4);
    expect(read("/proc/sys/kernel/random/boot_id")).toBe(read("/proc/sys/kernel/random/boot_id"));
    expect(read("/proc/sys/kernel/random/uuid")).toMatch(v4);
    expect(read("/proc/sys/kernel/random/uuid")).not.toBe(read("/proc/sys/kernel/random/uuid"));
    const write: OpenMode = { read: false, write: true, append: false, nonblock: false };
    const rq = { mode: write, create: false, exclusive: false, truncate: false, directory: false, noFollow: false, perm: 0 };
    t.proc.euid = 0;
    t.proc.capEff = CAP_ALL;
    try {
      expect(errno(() => vfs.open(t, "/proc/sys/kernel/ostype", "/", rq))).toBe("EACCES");
      expect(errno(() => vfs.open(t, "/proc/sys/vm/overcommit_memory", "/", rq).write(new Uint8Array(1)))).toBe("EROFS");
      const put = (path: string, text: string): string => errno(() => vfs.open(t, path, "/", rq).write(Buffer.from(text)));
      expect(put("/proc/sys/kernel/msgmni", "123\n")).toBe("ok");
      expect(read("/proc/sys/kernel/msgmni")).toBe("123\n");
      expect(sys.ipc.msg.table.max).toBe(123);
      expect(put("/proc/sys/kernel/msgmni", "12x")).toBe("EINVAL");
      expect(put("/proc/sys/kernel/shmmni", "40000")).toBe("EINVAL");
      expect(put("/proc/sys/kernel/sem", "250 32000 32")).toBe("ok");
      expect(read("/proc/sys/kernel/sem")).toBe("250\t32000\t32\t32000\n");
      // (this system's personality has names it cannot change)
      expect(put("/proc/sys/kernel/hostname", "guest\n")).toBe("EROFS");
      expect(errno(() => vfs.open(t, "/proc/meminfo", "/", rq).write(new Uint8Array(1)))).toBe("EIO");
      expect(errno(() => vfs.open(t, "/proc/self/stat", "/", rq).write(new Uint8Array(1)))).toBe("EINVAL");
    } finally {
      t.proc.euid = 1000;
      t.proc.capEff = 0;
    }
    expect(errno(() => vfs.open(t, "/proc/meminfo", "/", rq))).toBe("EACCES");
  });

  it("another user's process: its environ and links need the right to inspect it", () => {
    const other = { tid: 4242, proc: { pid: 4242, euid: 2000, egid: 2000, groups: [] } };
    expect(errno(() => vfs.readlink(other, `/proc/${t.pid}/exe`, "/"))).toBe("EACCES");
    expect(errno(() => vfs.stat(other, `/proc/${t.pid}/fd/0`, "/", false))).toBe("EACCES");
    expect(errno(() => vfs.stat(other, `/proc/${t.pid}/status`, "/", true))).toBe("ok");
    expect(read(`/proc/${t.pid}/cmdline`)).toBe("");
  });

  it("a process that ended is gone", () => {
    const pid = t.pid;
    t.proc.exitGroup({ kind: "exit", code: 0 });
    expect(errno(() => vfs.stat(t, `/proc/${pid}`, "/", true))).toBe("ENOENT");
    expect(list("/proc")).not.toContain(String(pid));
  });
});
