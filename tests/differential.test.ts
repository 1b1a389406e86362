// Differential tests: each guest program in tests/guest/ runs natively (the host CPU and kernel
// are the oracle; helpers/oracle.ts for hosts without an i386 CPU) and under `exojit run` with each engine (interp, jit, auto); stdout, stderr and
// the exit status must be identical byte for byte. A first group checks the native runs
// themselves end as the programs intend, so a broken guest program cannot pass as "same output".
//
// Needs dist/ (npm test builds it first; otherwise `npx tsc -p .`) and gcc-multilib.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  buildGuest, DEFAULT_ENV, engineCompared, ensureToolchain, expectSameRun, limiter, runExojitAsync, runNativeAsync, type RunOptions, type RunResult,
} from "./helpers/guest.js";

const ENGINES = ["interp", "jit", "auto"] as const;
type Engine = (typeof ENGINES)[number];

/** At most two guest processes at a time: the machines running this have two cores. */
const slot = limiter(2);

/** Files the `readfile` program reads: a guest root with the binary in /bin. */
let fileRoot = "";

interface Case {
  /** Test title. */
  name: string;
  src: string;
  flags?: string[];
  args?: string[];
  env?: Record<string, string>;
  stdin?: string;
  /** The status the program must end with natively (default 0). */
  status?: number;
  /** Runs under a guest root (readfile): paths and binary differ between the runs. */
  rooted?: boolean;
  /** Runs in the directory the readfile case reads (not under a guest root). */
  inFileRoot?: boolean;
  /** Runs in a new empty directory of its own (each run gets one): the program changes it. */
  tempCwd?: boolean;
  /** The program is meant to print nothing to stdout (natively too). */
  noStdout?: boolean;
  /** It prints its argv[0]: the native run, which may be another build of it (helpers/
   *  oracle.ts), is given the path exojit's run has. */
  printsArgv0?: boolean;
}

const ARGS_ENV_ARGV = ["first", "", "with space", "tab\there", "-x", "--", "a=b", "\u00fcn\u00efc\u00f6d\u00e9", "L".repeat(3000)];
const ARGS_ENV_ENV = { ...DEFAULT_ENV, EMPTY: "", WITH_EQUALS: "a=b=c", SPACES: "  x  ", UTF8: "\u00e9t\u00e9", LONG: "v".repeat(2000) };
const STDIN_TEXT = Array.from({ length: 200 }, (_, i) => `line ${i} ${"*".repeat(i % 17)}`).join("\n") + "\nno newline at the end";

const CASES: Case[] = [
  { name: "hello", src: "hello.c" },
  { name: "hello_raw (no libc, int 0x80)", src: "hello_raw.S", flags: ["-nostdlib"], status: 3 },
  { name: "printf_int", src: "printf_int.c" },
  { name: "malloc_churn", src: "malloc_churn.c" },
  { name: "strings", src: "strings.c" },
  { name: "sort", src: "sort.c" },
  { name: "args_env", src: "args_env.c", args: ARGS_ENV_ARGV, env: ARGS_ENV_ENV, printsArgv0: true },
  { name: "stdin_lines", src: "stdin_lines.c", stdin: STDIN_TEXT },
  { name: "readfile", src: "readfile.c", rooted: true },
  ...[["exit0", 0], ["exit1", 1], ["exit42", 42], ["exit255", 255], ["exit256", 0], ["ret7", 7], ["_exit", 3], ["atexit", 5]].map(
    ([mode, status]): Case => ({ name: `exit_codes ${mode}`, src: "exit_codes.c", args: [String(mode)], status: Number(status), noStdout: mode === "_exit" }),
  ),
  { name: "crash null (SIGSEGV)", src: "crash.c", args: ["null"], status: 128 + 11 },
  { name: "crash ud2 (SIGILL)", src: "crash.c", args: ["ud2"], status: 128 + 4 },
  { name: "crash div0 (SIGFPE)", src: "crash.c", args: ["div0"], status: 128 + 8 },
  { name: "crash divover (SIGFPE)", src: "crash.c", args: ["divover"], status: 128 + 8 },
  { name: "crash jump to unmapped memory (SIGSEGV)", src: "crash.c", args: ["jump"], status: 128 + 11 },
  { name: "fault_siginfo (SA_SIGINFO handlers, si_addr)", src: "fault_siginfo.c" },
  { name: "signals (handlers, masks, pending, altstack, abort)", src: "signals.c", status: 128 + 6 },
  { name: "smc (code rewritten, patched while hot, remapped, rewritten in a forked child)", src: "smc.c" },
  { name: "ldt16 (modify_ldt, far calls into 16-bit code and stack segments)", src: "ldt16.c" },
  { name: "dirs (readdir, getdents64)", src: "dirs.c", inFileRoot: true },
  { name: "smaps (Rss, Pss, shared and private, clean and dirty pages, anonymous, locked; smaps_rollup; coredump_filter; pagemap)", src: "smaps.c", tempCwd: true },
  { name: "fsops (mkdir, rename, link, chmod, fchmodat2, O_PATH with AT_EMPTY_PATH, utimensat, truncate)", src: "fsops.c", tempCwd: true },
  { name: "sysmisc (sendfile, statfs, sched_getaffinity, memory devices)", src: "sysmisc.c", tempCwd: true },
  { name: "sysmisc with 64-bit file offsets", src: "sysmisc.c", flags: ["-D_FILE_OFFSET_BITS=64"], tempCwd: true },
  { name: "splice (splice, tee, vmsplice between files, pipes and sockets; its errors)", src: "splice.c", tempCwd: true },
  { name: "filehints (utime, utimes, futimesat, readahead, sync_file_range, mincore)", src: "filehints.c", tempCwd: true },
  { name: "inotify (events of file and directory changes, watch flags, merging, overflow; the calls' errors)", src: "inotify.c", tempCwd: true },
  { name: "fasync (O_ASYNC with F_SETOWN, F_SETOWN_EX and F_SETSIG: SIGIO, its si_code, si_fd and si_band; dnotify)", src: "fasync.c", tempCwd: true },
  { name: "mmchecks (mmap's descriptor before its length, MAP_SHARED_VALIDATE, mlock without RLIMIT_MEMLOCK, a removed file mapped, SIGBUS past the end of a file, locked memory counted, remap_file_pages)", src: "mmchecks.c" },
  { name: "mremap (regions split by mprotect joined again, MREMAP_FIXED, MREMAP_DONTUNMAP, a shared mapping mapped again; SEEK_DATA and SEEK_HOLE)", src: "mremap.c", tempCwd: true },
  { name: "openat2 (struct open_how checked strictly; RESOLVE_NO_SYMLINKS, NO_MAGICLINKS, NO_XDEV, BENEATH, IN_ROOT)", src: "openat2.c", tempCwd: true },
  { name: "fdchecks (positioned I/O's errors, pwrite on O_APPEND, O_PATH descriptors, O_NOATIME, nested epoll)", src: "fdchecks.c", tempCwd: true },
  { name: "prctl (no_new_privs kept by fork and exec, dumpable, name, pdeathsig, capability queries, TSC mode, CPUID faulting)", src: "prctl.c" },
  { name: "text file busy (a running program cannot be written or truncated, a file open for writing cannot run)", src: "textbusy.c", tempCwd: true },
  { name: "capabilities (capset's rules, permission checks without CAP_DAC_OVERRIDE or with it as a user, set*id and keep-caps, bounding and ambient sets, secure bits, exec)", src: "caps.c" },
  { name: "keys (add_key, request_key, keyctl: user and logon keys, keyrings and links, permissions and possession, revocation, expiry, special keyrings, fork)", src: "keys.c" },
  { name: "seccomp (strict mode; filters checked, attached with TSYNC, inherited by fork, threads and exec; errno, trap, kill, trace and log answers and their precedence; classic BPF arithmetic)", src: "seccomp.c" },
  { name: "ptrace (system-call stops changed and skipped, signal-delivery stops, memory and registers, fork/exec/exit events, SEIZE, INTERRUPT, ATTACH, DETACH, ERESTARTSYS, EXITKILL, errors)", src: "ptrace.c" },
  { name: "aio (io_setup's ring, file reads and writes, an eventfd told, a pipe read that waits or is RWF_NOWAIT, io_getevents, errors)", src: "aio.c", tempCwd: true },
  { name: "leases (F_SETLEASE's rules, breaks by opens: EAGAIN with O_NONBLOCK, a wait until the holder lets go or downgrades, SIGIO or F_SETSIG's signal with POLL_MSG)", src: "leases.c", tempCwd: true },
  { name: "sigflags (SA_RESETHAND keeps the flags and mask, SA_NODEFER, sa_mask in the handler)", src: "sigflags.c" },
  { name: "sieve", src: "sieve.c" },
];

const bins = new Map<string, string>();

function binOf(c: Case): string {
  const key = `${c.src} ${(c.flags ?? []).join(" ")}`;
  let b = bins.get(key);
  if (b === undefined) {
    b = buildGuest(c.src, { flags: c.flags });
    bins.set(key, b);
  }
  return b;
}

/** Deterministic contents for readfile's data file: text lines of varied length. */
function dataFile(): Buffer {
  const lines: string[] = [];
  let x = 12345;
  for (let i = 0; i < 700; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    lines.push(`${i}:` + "abcdefghijklmnopqrstuvwxyz".slice(0, x % 27).repeat(1 + (x % 3)));
  }
  return Buffer.from(lines.join("\n") + "\n");
}

function setupFileRoot(): void {
  fileRoot = fs.mkdtempSync(path.join(os.tmpdir(), "exojit-diff-"));
  fs.mkdirSync(path.join(fileRoot, "bin"));
  fs.mkdirSync(path.join(fileRoot, "dir"));
  fs.writeFileSync(path.join(fileRoot, "data.txt"), dataFile());
  fs.symlinkSync("data.txt", path.join(fileRoot, "link-to-data"));
  fs.writeFileSync(path.join(fileRoot, `${"long-name-".repeat(20)}.txt`), "x");
  fs.copyFileSync(binOf(CASES.find((c) => c.rooted) as Case), path.join(fileRoot, "bin", "readfile"));
}

/** Directories made for tempCwd runs, removed at the end. */
const tempDirs: string[] = [];

function optsOf(c: Case): RunOptions {
  let cwd: string | undefined;
  if (c.rooted || c.inFileRoot) cwd = fileRoot;
  else if (c.tempCwd) tempDirs.push((cwd = fs.mkdtempSync(path.join(os.tmpdir(), "exojit-cwd-"))));
  return { env: c.env, stdin: c.stdin, cwd };
}

function runNativeCase(c: Case): Promise<RunResult> {
  if (c.rooted) {
    const host = (p: string): string => path.join(fileRoot, p);
    return runNativeAsync(host("bin/readfile"), [host("data.txt"), host("missing.txt"), host("dir")], optsOf(c));
  }
  return runNativeAsync(binOf(c), c.args ?? [], { ...optsOf(c), argv0: c.printsArgv0 === true ? binOf(c) : undefined });
}

function runExojitCase(c: Case, engine: Engine): Promise<RunResult> {
  if (c.rooted) return runExojitAsync("/bin/readfile", ["/data.txt", "/missing.txt", "/dir"], { ...optsOf(c), engine, root: fileRoot });
  return runExojitAsync(binOf(c), c.args ?? [], { ...optsOf(c), engine });
}

/** Native runs are made once and shared by the three engines' cases. */
const nativeRuns = new Map<Case, Promise<RunResult>>();
function native(c: Case): Promise<RunResult> {
  let p = nativeRuns.get(c);
  if (p === undefined) {
    p = slot(() => runNativeCase(c));
    nativeRuns.set(c, p);
  }
  return p;
}

beforeAll(() => {
  ensureToolchain();
  for (const c of CASES) binOf(c);
  setupFileRoot();
}, 120_000);

afterAll(() => {
  if (fileRoot !== "") fs.rmSync(fileRoot, { recursive: true, force: true });
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

describe("guest programs natively (the oracle itself)", () => {
  for (const c of CASES) {
    it.concurrent(`${c.name} ends with status ${c.status ?? 0} and ${c.noStdout ? "prints nothing" : "prints something"}`, async () => {
      const r = await native(c);
      expect(r.status, r.stderr.toString()).toBe(c.status ?? 0);
      if (c.noStdout) expect(r.stdout.length).toBe(0);
      else expect(r.stdout.length).toBeGreaterThan(0);
      expect(r.stdout.toString("latin1")).not.toMatch(/\bBAD\b/);
    });
  }
  it("readfile natively finds its data file and misses the missing one", async () => {
    const out = (await native(CASES.find((c) => c.rooted) as Case)).stdout.toString();
    expect(out).toMatch(/^fread: \d+ bytes/m);
    expect(out).toContain("open missing: -1 ENOENT");
  });
});

for (const engine of ENGINES) {
  describe(`exojit --engine ${engine} matches the native run`, () => {
    for (const c of CASES) {
      // (an i386-only program on a host without an i386 CPU: the interpreter is the reference)
      if (!engineCompared(engine, c.src)) continue;
      it.concurrent(c.name, async () => {
        const n = await native(c);
        const e = await slot(() => runExojitCase(c, engine));
        expectSameRun(n, e, `${c.name} --engine ${engine}`);
      }, 300_000);
    }
  });
}
