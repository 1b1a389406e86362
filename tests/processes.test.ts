// Processes and threads, differential: guest programs that fork, exec, wait, pipe, poll, wait on
// futexes and run glibc's pthreads, each run natively (the host kernel is the oracle) and under
// exojit with every engine; stdout, stderr and the exit status must match byte for byte. Each
// run gets a fresh working directory (the programs write scripts and files there).

import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildGuest, ensureBusybox, runExojit, runNative } from "./helpers/guest.js";
import { differentialSuite, type DiffCase } from "./helpers/differential.js";
import { i386Host } from "./helpers/oracle.js";
import { launch, drive } from "../src/api/program.js";
import { BufferSink, BufferSource } from "../src/api/stdio.js";

/** Arguments may name "$echoargs", replaced by the dynamically linked helper's path. */
type Case = DiffCase;

const CASES: Case[] = [
  { name: "procs: fork trees, waits, SIGCHLD, orphans, groups, job control, copy-on-write, shared memory, vfork", src: "procs.c" },
  { name: "execs: exec chains (static, dynamic, #! scripts), what exec keeps and drops, its errors", src: "execs.c", args: ["$echoargs"] },
  { name: "pipes: pipelines, EOF, SIGPIPE, non-blocking, atomic writes, poll/select/epoll", src: "pipes.c" },
  { name: "threads: glibc pthreads (mutexes, condition variables, barriers, rwlocks, TLS, cancellation)", src: "threads.c", flags: ["-pthread"] },
  { name: "waits: futex operations and timeouts, sleeps, signals interrupting and restarting calls", src: "waits.c", flags: ["-pthread"] },
  { name: "limits: RLIMIT_NOFILE, RLIMIT_AS, RLIMIT_DATA, prlimit on a child, inheritance", src: "limits.c" },
  { name: "rusage: ru_maxrss as a high-water mark, of the process and of its reaped children", src: "rusage.c" },
];

let echoargs = "";

differentialSuite({
  cases: CASES,
  tmpPrefix: "exojit-proc-",
  oracleTitle: "process programs natively (the oracle itself)",
  setup: () => {
    echoargs = buildGuest("echoargs.c", { dynamic: true });
  },
  args: (c) => (c.args ?? []).map((a) => (a === "$echoargs" ? echoargs : a)),
  checkNative: (_c, r) => {
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(100);
  },
});

// Guests that try to exhaust exojit run under exojit only (natively they would exhaust the
// host): the answer is structural.
describe("exhaustion stays inside the guest", () => {
  it("a fork bomb meets EAGAIN at the task cap; its parent stays responsive and cleans up", () => {
    const bomb = buildGuest("bomb.c");
    const r = runExojit(bomb, ["bomb"], { timeoutMs: 120_000 });
    expect(r.stderr.toString()).toBe("");
    expect(r.stdout.toString()).toBe("the bomb saw fork fail with EAGAIN: 1\nbomb leader killed: 1\nfork works again afterwards: status 7\n");
    expect(r.status).toBe(0);
  }, 180_000);

  it("a process that uses up guest memory is killed with a one-line message; exojit and the others go on", () => {
    const bomb = buildGuest("bomb.c");
    const r = runExojit(bomb, ["oom"], { extra: ["--memory", "48M"], timeoutMs: 120_000 });
    expect(r.stdout.toString()).toBe("the child was killed by Killed\nthe parent can still allocate: 1\n");
    expect(r.stderr.toString()).toMatch(/^[^\n]*out of guest memory\n$/);
    expect(r.status).toBe(0);
  }, 180_000);
});

// The host's kernel is x86-64: what only an i386 kernel answers is checked against expected text.
describe("answers of a 32-bit kernel", () => {
  it("mmap2's page offset overflowing 32 bits is EOVERFLOW; uname's machine is i686; no protection keys without PKU", () => {
    const r = runExojit(buildGuest("kernel32.c"), [], { timeoutMs: 60_000 });
    expect(r.stderr.toString()).toBe("");
    expect(r.stdout.toString()).toBe(
      "mmap2 of 4 GiB at page offset 2^32-1: Value too large for defined data type\nthe same at offset 0: Cannot allocate memory\nmachine i686\n" +
        "pkey_alloc: -1 Invalid argument\npkey_alloc with flags: -1 Invalid argument\npkey_mprotect -1: 0\npkey_mprotect 0: -1 Invalid argument\n" +
        "pkey_mprotect 1: -1 Invalid argument\npkey_free 1: -1 Invalid argument\npkey_free 0: -1 Invalid argument\n",
    );
    expect(r.status).toBe(0);
  }, 90_000);
});

// Sysctl writes change the system they are made in: natively, that would be the host's.
describe("sysctl writes", () => {
  it("root's writes to /proc/sys take effect where exojit has what they tune, within Linux's ranges", () => {
    const r = runExojit(buildGuest("sysctl.c"), [], { timeoutMs: 60_000 });
    expect(r.stderr.toString()).toBe("");
    expect(r.stdout.toString()).toBe([
      "/proc/sys/kernel/msgmni: 32000", "write /proc/sys/kernel/msgmni = 5", ": 2 ", "/proc/sys/kernel/msgmni: 5",
      "write /proc/sys/kernel/msgmni = abc: -1 Invalid argument", "write /proc/sys/kernel/msgmni = -3: -1 Invalid argument",
      "write /proc/sys/kernel/msgmni = 40000: -1 Invalid argument", "msgmni via IPC_INFO 5",
      "write /proc/sys/kernel/msg_next_id = 777: 3 ", "/proc/sys/kernel/msg_next_id: 777", "msgget id 777", "/proc/sys/kernel/msg_next_id: -1",
      "write /proc/sys/kernel/hostname = exohost: 7 ", "uname nodename exohost", "write /proc/sys/kernel/domainname = example.net: 11 ", "/proc/sys/kernel/domainname: example.net",
      "/proc/sys/kernel/shmmax: 4278190079", "shmmax via IPC_INFO 4278190079", "write /proc/sys/kernel/shmmax = 8192: 4 ", "shmmax via IPC_INFO 8192", "shmget 16384 above shmmax: -1 Invalid argument", "shmget 4096: ok",
      "/proc/sys/kernel/sem: 32000 1024000000 500 32000", "write /proc/sys/kernel/sem = 250 32000 32 128: 16 ", "/proc/sys/kernel/sem: 250 32000 32 128",
      "write /proc/sys/kernel/pid_max = 100: -1 Invalid argument", "write /proc/sys/kernel/pid_max = 40000: -1 Invalid argument",
      "write /proc/sys/fs/inotify/max_user_instances = 0: 1 ", "inotify_init with max_user_instances 0: -1 Too many open files",
      "write /proc/sys/fs/inotify/max_user_instances = 128: 3 ", "write /proc/sys/fs/nr_open = 8: -1 Invalid argument", "write /proc/sys/fs/nr_open = 64: 2 ", "fork with fd 65 open: -1 Too many open files",
      "RLIMIT_NOFILE hard 100 above nr_open: -1 Operation not permitted", "fork with fd 65 closed: 0", "write /proc/sys/fs/nr_open = 1048576: 7 ",
      "write /proc/sys/fs/pipe-max-size = 5000: 4 ", "/proc/sys/fs/pipe-max-size: 8192",
      "write /proc/sys/kernel/core_pattern = core.%p", ": 8 ", "/proc/sys/kernel/core_pattern: core.%p",
      "write /proc/sys/kernel/ns_last_pid = 30000: 5 ", "forked pid 30001", "write /proc/sys/kernel/osrelease: open Permission denied", "",
    ].join("\n"));
    expect(r.status).toBe(0);
  }, 90_000);
});

// The code cache is keyed by physical page and program text comes from the page cache, so a
// program run again (a new process, fork + exec) reuses the blocks decoded and the regions
// compiled for the first run.
describe("compiled code is shared between processes", () => {
  it("running a program four times decodes little more than running it once", () => {
    const bb = ensureBusybox();
    const decoded = (times: number): number => {
      const cmd = Array.from({ length: times }, () => "busybox md5sum /bin/busybox").join("; ");
      const r = runExojit(bb, ["sh", "-c", cmd], { extra: ["--stats"], timeoutMs: 120_000 });
      expect(r.status, r.stderr.toString()).toBe(0);
      const m = /blocks decoded (\d+)/.exec(r.stderr.toString());
      expect(m, r.stderr.toString()).not.toBeNull();
      return Number(m?.[1]);
    };
    const once = decoded(1), four = decoded(4);
    // Without sharing each run would decode its own copy: about four times as many blocks.
    expect(four, `${once} blocks for one run, ${four} for four`).toBeLessThan(once * 1.5);
  }, 180_000);
});

// Core files: what the program reads back from the core its crashing child left is checked
// against expected text under exojit (with the pattern cases, which change kernel.core_pattern,
// so exojit only), and natively when the host runs i386 programs itself and writes plain "core"
// files where a process crashed (natively that also proves the expectation is Linux's; a host
// twin would write an x86-64 core, and qemu-i386 its own).
describe("core files", () => {
  const COMMON = [
    "crashed: signal 11, core bit 1", "core file mode 600", "ELF core for i386: 1", "first segment is the notes: 1",
    "every segment within the file: 1", "threads 2; the first: the crashing one 1, signal 11, its eip in the program 1",
    "register sets per thread: fnsave 2, fxsave 2, tls 2", "psinfo names the process: 1", "siginfo: signal 11, code 1, address 0",
    "auxv page size 4096, NT_FILE names the program 1", "the buffer's bytes: 1", "untouched memory: segment 1, bytes 0",
    "MADV_DONTDUMP memory: segment 1, bytes 0", "a mapped ELF file: bytes 4096, its header 1", "RLIMIT_CORE 0: signal 11, core bit 0",
    "RLIMIT_CORE below a page: signal 11, core bit 0", "not dumpable: signal 11, core bit 0", "a core file anyway: 0",
    "a directory named core: signal 11, core bit 0",
  ];
  const PATTERNS = [
    "write /proc/sys/kernel/core_pattern = cores/%e-%s-%%-%x: 1", "pattern cores/%e-%s-%%: signal 11, core bit 1", "cores/COMM-11-%-: 1",
    "write /proc/sys/kernel/core_pattern = cores/c: 1", "write /proc/sys/kernel/core_uses_pid = 1: 1", "SIGQUIT, core_uses_pid: signal 3, core bit 1",
    "cores/c.PID: 1", "write /proc/sys/kernel/core_uses_pid = 0: 1", "write /proc/sys/kernel/core_pattern = |/bin/false: 1",
    "a pipe pattern: signal 11, core bit 0", "write /proc/sys/kernel/core_pattern = core: 1",
  ];
  const text = (lines: string[]): string => lines.map((l) => l + "\n").join("");
  const fresh = (): string => fs.mkdtempSync(path.join(os.tmpdir(), "exojit-core-"));
  const hostWritesCore = (): boolean => {
    try {
      return fs.readFileSync("/proc/sys/kernel/core_pattern", "latin1").trim() === "core";
    } catch {
      return false;
    }
  };

  it("a crash leaves an ELF core gdb can read: notes, registers, memory as coredump_filter says; none where Linux writes none", () => {
    const bin = buildGuest("coredump.c", { flags: ["-pthread"] });
    const cwd = fresh();
    const r = runExojit(bin, ["patterns"], { cwd, timeoutMs: 120_000 });
    expect(r.stderr.toString()).toBe("");
    expect(r.stdout.toString()).toBe(text([...COMMON, ...PATTERNS]));
    expect(r.status).toBe(0);
    expect(fs.readdirSync(cwd)).toEqual([]);
    if (hostWritesCore() && i386Host() === "native") {
      const n = runNative(bin, [], { cwd: fresh(), timeoutMs: 60_000 });
      expect(n.stdout.toString()).toBe(text(COMMON));
    }
  }, 180_000);
});

// Process accounting is system-wide: natively acct(2) would record the host's every process. The
// expected text is what Linux 6.18 printed for this program (run once by hand as root).
describe("process accounting", () => {
  it("acct(2) appends a version 3 record per process that ends; its errors", () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "exojit-acct-"));
    const r = runExojit(buildGuest("acct.c"), [], { cwd, timeoutMs: 60_000 });
    expect(r.stderr.toString()).toBe("");
    const child = "  started within 10 s: 1, elapsed under 5 s: 1, cpu under 5 s: 1";
    expect(r.stdout.toString()).toBe(
      [
        "acct on: 0 ", "acct off: 0 ", "records whole: 1",
        "child 0: version 3, flags 0x1, exit status 0x700, uid 0 gid 0, parent is us 1, comm [ours]", child,
        "child 1: version 3, flags 0x11, exit status 0xf, uid 0 gid 0, parent is us 1, comm [ours]", child,
        "child 2: version 3, flags 0, exit status 0x300, uid 0 gid 0, parent is us 1, comm [exe]", child,
        "each child once: 1 1 1", "acct on a directory: -1 Is a directory", "acct on a device: -1 Permission denied",
        "acct on a missing file: -1 No such file or directory", "acct as a user: -1 Operation not permitted",
      ].map((l) => l + "\n").join(""),
    );
    expect(r.status).toBe(0);
  }, 90_000);
});

// Loop devices are the host's natively (taking one would change the host's devices): the
// expected text is what Linux 6.18 printed for this program (run once by hand as root).
describe("loop devices", () => {
  it("/dev/loop-control and /dev/loopN: binding a file, its bytes, offset and size limit, status, /sys/block, read-only, coming apart, errors", () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "exojit-loop-"));
    const r = runExojit(buildGuest("loopdev.c"), [], { cwd, timeoutMs: 60_000 });
    expect(r.stderr.toString()).toBe("");
    expect(r.stdout.toString()).toBe(
      [
        "a free device: 1",
        "its node: block 1, major 7",
        "unbound size 0",
        "status unbound: No such device or address",
        "read unbound: 0",
        "bind: ok",
        "bind again: Device or resource busy",
        "size 1048576, sector 512",
        "the device shows the file: 5 [hello]",
        "sysfs: 7:N links to ../../devices/virtual/block/loopN: 1",
        "sysfs size: 2048",
        "sysfs ro: 0",
        "sysfs loop/offset: 0",
        "sysfs loop/sizelimit: 0",
        "sysfs loop/autoclear: 0",
        "sysfs backing_file names img: 1",
        "sysfs stat fields: 17",
        "a write to it reaches the file: [world]",
        "status: ok",
        "  offset 0, limit 0, flags 0, file named 0",
        "offset 4096, limit 8192: ok",
        "  size 8192; at 0: 5 [hello]; at 8192: 0",
        "  a write past its end: -1 Success",
        "block size 1000: Invalid argument",
        "unbind: ok",
        "unbind again: No such device or address",
        "bind while it comes apart: Device or resource busy",
        "status after the close: No such device or address",
        "bind a directory: Invalid argument",
        "bind a read-only file: ok",
        "  read-only: flags 0x1, BLKROGET 1",
        "  a write: -1 Success",
        "unbind: ok",
        "status after the close: No such device or address",
        "add loop200: 200, its node: 1",
        "add it again: File exists",
        "remove it: 0",
        "remove it again: No such device",
        "unknown control ioctl: Function not implemented",
      ].map((l) => l + "\n").join(""),
    );
    expect(r.status).toBe(0);
  }, 90_000);
});

describe("what a process holds of the exokernel", () => {
  // A process's address space and frame pool are capabilities; they went with it no more, and
  // LTP's fork13 (a million forks) ran the capability space out and crashed exojit.
  it("goes when it ends: the capabilities in force do not grow with the processes forked and reaped", async () => {
    const bin = buildGuest("forkloop.c");
    const live = async (n: number): Promise<number> => {
      const out = new BufferSink("/dev/stdout");
      const l = launch(bin, { argv: ["forkloop", String(n)] }, () => [new BufferSource("/dev/stdin", new Uint8Array(0)), out, new BufferSink("/dev/stderr")]);
      await drive(l, bin);
      expect(out.contents().toString()).toBe(`${n} of ${n} reaped\n`);
      return l.kernel.caps.live;
    };
    expect(await live(200)).toBe(await live(10));
  }, 120_000);
});
