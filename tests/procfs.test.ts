// /proc for the guest. Two oracles:
//  - differential: tests/guest/procfs.c reads its own /proc (self links, maps, status, stat,
//    cmdline, fd/, task/, a child's states, the system files, refusals) and prints only what
//    is the same on any Linux; it runs natively and under exojit with every engine, and the
//    two runs must match byte for byte.
//  - structural: Debian's procps (ps, top, free, vmstat, pgrep, pidof) and lslocks run from a Debian i386 root
//    under `exojit run --root`. Natively these show the host's processes, so the test checks
//    instead that they show exactly the guest's: the shell, its children and their relations,
//    and the guest's RAM size.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CLI, DEFAULT_ENV, buildGuest, engineCompared, ensureToolchain, expectSameRun, limiter, runExojitAsync, runNativeAsync, type RunResult } from "./helpers/guest.js";
import { debianRoot } from "./helpers/debian.js";

const ENGINES = ["auto", "interp", "jit"] as const;
const slot = limiter(2);
const ARGS = ["alpha", "beta gamma"];
const STDIN = "hello\n";
const dirs: string[] = [];
let bin = "";

function freshDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "exojit-procfs-"));
  dirs.push(d);
  return d;
}

let nativeRun: Promise<RunResult> | null = null;
function native(): Promise<RunResult> {
  nativeRun ??= slot(() => runNativeAsync(bin, ARGS, { cwd: freshDir(), stdin: STDIN, timeoutMs: 30_000 }));
  return nativeRun;
}

beforeAll(() => {
  ensureToolchain();
  // (64-bit file offsets: an x86-64 build, the native run on a host without i386 (helpers/
  // oracle.ts), has O_LARGEFILE in every open file's flags, as /proc/PID/fdinfo shows)
  bin = buildGuest("procfs.c", { flags: ["-pthread", "-D_FILE_OFFSET_BITS=64"] });
}, 120_000);

afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe("procfs.c natively (the oracle itself)", () => {
  it("exits 0 and finds what Linux's /proc has", async () => {
    const r = await native();
    const out = r.stdout.toString();
    expect(r.status, r.stderr.toString()).toBe(0);
    for (const line of [
      "exe is argv[0]: yes",
      "self -> pid: yes",
      "/proc/self/.. is /proc: yes",
      "maps: every line parses: yes, binary r-xp: yes, [stack]: 1 holding a local: yes",
      "Tgid is getpid: yes, Pid is getpid: yes, PPid is getppid: yes",
      "cmdline is argv: yes (3 args)",
      "environ is envp: yes",
      "child blocked in read: S, ppid is us: y",
      "stopped child: T",
      "exited, not yet reaped: Z",
      "reaped (status 7): /proc/PID is gone",
      "task/: 3 entries, the main thread among them: yes, each stat names its tid: yes, status Threads: 3",
    ]) {
      expect(out).toContain(line);
    }
    // The runner's stdin is a socket (node's pipes are socket pairs): it cannot be opened again.
    expect(out).toMatch(/^read stdin through fd\/0: (ok 6 hello|ENXIO -1 )$/m);
  });

  it("reads a piped stdin through /proc/self/fd/0", async () => {
    const r = await slot(() => runNativeAsync("/bin/sh", ["-c", PIPED, "sh", bin, "stdin"]));
    expect(r.stdout.toString()).toBe("fd/0 is a pipe\nread stdin through fd/0: ok 6 hello\n");
  });
});

/** Runs "$@" with a real pipe (not node's socket pair) as its stdin. */
const PIPED = 'printf "hello\\n" | "$@"';

for (const engine of ENGINES) {
  describe(`exojit --engine ${engine}`, () => {
    // (on a host without an i386 CPU the interpreter is the reference: helpers/oracle.ts)
    if (engineCompared(engine, "procfs.c")) it.concurrent("procfs.c sees the same /proc as natively", async () => {
      const n = await native();
      const e = await slot(() => runExojitAsync(bin, ARGS, { engine, cwd: freshDir(), stdin: STDIN, timeoutMs: 180_000 }));
      expectSameRun(n, e, `procfs.c --engine ${engine}`);
    }, 300_000);

    it.concurrent("an inherited pipe on stdin opens again through /proc/self/fd/0", async () => {
      const n = await slot(() => runNativeAsync("/bin/sh", ["-c", PIPED, "sh", bin, "stdin"]));
      const e = await slot(() => runNativeAsync("/bin/sh", ["-c", PIPED, "sh", process.execPath, CLI, "run", "--engine", engine, bin, "stdin"], { timeoutMs: 60_000 }));
      expectSameRun(n, e, `procfs.c stdin --engine ${engine}`);
    }, 120_000);
  });
}

// ---------------------------------------------------------------------------------------------
// Debian's procps under --root

/** Guest RAM for the Debian run: free and top must show this, not the host's. */
const GUEST_MB = 256;
/** MemTotal in kB: all of it but the frame the exokernel keeps. */
const GUEST_KB = GUEST_MB * 1024 - 4;

const SCRIPT = `
sleep 100 & S=$!
echo "shell $$ sleeper $S"
echo "--- ps -e"; ps -e
echo "--- ps -o"; ps -o pid,ppid,stat,comm
echo "--- top"; top -bn1 | head -5
echo "--- free"; free
echo "--- pgrep"; pgrep -l sleep; pgrep -P $$ sleep
echo "--- pidof"; pidof sleep
echo "--- meminfo"; head -1 /proc/meminfo
echo "--- vmstat"; vmstat
L=$(mktemp); echo "--- locks"; flock -s $L cat /proc/locks; flock $L lslocks -n -o COMMAND,TYPE,MODE,START,END,PATH; rm -f $L
kill $S
`;

/** The output's sections by their "--- name" lines. */
function sections(out: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  let cur = "";
  for (const line of out.split("\n")) {
    const h = /^--- (.*)$/.exec(line);
    if (h) {
      cur = h[1];
      m.set(cur, []);
    } else if (line !== "") {
      m.get(cur)?.push(line);
    }
  }
  return m;
}

describe("Debian procps under --root shows the guest's processes", () => {
  let out = "";
  let shell = 0, sleeper = 0;
  let sec = new Map<string, string[]>();

  beforeAll(async () => {
    const root = debianRoot();
    const r = await slot(() =>
      runExojitAsync("/bin/sh", ["-c", SCRIPT], { root, cwd: freshDir(), env: { ...DEFAULT_ENV, TERM: "dumb" }, extra: ["--memory", `${GUEST_MB}M`], timeoutMs: 240_000 }),
    );
    out = r.stdout.toString();
    expect(r.status, `${out}\n${r.stderr.toString()}`).toBe(0);
    const m = /^shell (\d+) sleeper (\d+)$/m.exec(out);
    expect(m, out).not.toBeNull();
    shell = Number(m?.[1]);
    sleeper = Number(m?.[2]);
    sec = sections(out);
  }, 300_000);

  it("ps -e lists exactly init (the stand-in, pid 1), the shell, the sleeper and ps itself", () => {
    const rows = sec.get("ps -e") ?? [];
    expect(rows[0], out).toMatch(/^\s*PID TTY\s+TIME CMD$/);
    const procs = rows.slice(1).map((l) => l.trim().split(/\s+/));
    const byCmd = new Map(procs.map((f) => [f[3], Number(f[0])]));
    expect([...byCmd.keys()].sort(), out).toEqual(["init", "ps", "sh", "sleep"]);
    expect(byCmd.get("init")).toBe(1);
    expect(byCmd.get("sh")).toBe(shell);
    expect(byCmd.get("sleep")).toBe(sleeper);
    expect(procs.length).toBe(4);
  });

  it("ps -o pid,ppid,stat,comm shows the parent relations and states", () => {
    const rows = sec.get("ps -o") ?? [];
    expect(rows[0], out).toMatch(/^\s*PID\s+PPID STAT COMMAND$/);
    const procs = new Map(rows.slice(1).map((l) => l.trim().split(/\s+/)).map((f) => [f[3], { pid: Number(f[0]), ppid: Number(f[1]), stat: f[2] }]));
    expect(procs.get("sh"), out).toMatchObject({ pid: shell, ppid: 1 });
    expect(procs.get("sh")?.stat, out).toMatch(/^S/); // waiting for ps
    expect(procs.get("sleep"), out).toMatchObject({ pid: sleeper, ppid: shell });
    expect(procs.get("sleep")?.stat, out).toMatch(/^S/);
    expect(procs.get("ps")?.ppid, out).toBe(shell);
    expect(procs.get("ps")?.stat, out).toMatch(/^R/);
  });

  it("top's summary counts the guest's tasks and memory", () => {
    const rows = sec.get("top") ?? [];
    expect(rows[0], out).toMatch(/^top - \d\d:\d\d:\d\d up .*load average: \d+\.\d\d, \d+\.\d\d, \d+\.\d\d$/);
    // init, sh, sleep, top and head.
    const tasks = /^Tasks:\s+(\d+) total,\s+(\d+) running,\s+(\d+) sleeping,\s+(\d+) stopped,\s+(\d+) zombie/.exec(rows[1] ?? "");
    expect(tasks, out).not.toBeNull();
    expect(Number(tasks?.[1])).toBe(5);
    expect(Number(tasks?.[2])).toBeGreaterThanOrEqual(1);
    expect(Number(tasks?.[2]) + Number(tasks?.[3])).toBe(5);
    const mem = /^MiB Mem :\s+([\d.]+) total/.exec(rows[3] ?? "");
    expect(Number(mem?.[1]), out).toBeCloseTo(GUEST_MB, 0);
  });

  it("free shows the guest's RAM", () => {
    const rows = sec.get("free") ?? [];
    expect(rows[0], out).toMatch(/^\s+total\s+used\s+free\s+shared\s+buff\/cache\s+available$/);
    const mem = rows[1].trim().split(/\s+/);
    expect(mem[0]).toBe("Mem:");
    const [total, used, free, , cache, avail] = mem.slice(1).map(Number);
    expect(total, out).toBe(GUEST_KB);
    // procps 4: used is what is not available; the guest's few processes use a few MiB.
    expect(used, out).toBe(total - avail);
    expect(free + cache, out).toBeLessThanOrEqual(total);
    expect(avail).toBeGreaterThanOrEqual(free);
    expect(used).toBeLessThan(64 * 1024);
    expect(rows[2].trim().split(/\s+/), out).toEqual(["Swap:", "0", "0", "0"]);
  });

  it("vmstat shows the guest's free memory, no swap, and its CPU time adding up to 100", () => {
    const rows = sec.get("vmstat") ?? [];
    expect(rows[0], out).toMatch(/^procs -+memory-+ -+swap-- -+io-+ -system-- -+cpu-+$/);
    expect(rows[1].trim().split(/\s+/), out).toEqual(["r", "b", "swpd", "free", "buff", "cache", "si", "so", "bi", "bo", "in", "cs", "us", "sy", "id", "wa", "st"]);
    const v = rows[2].trim().split(/\s+/).map(Number);
    expect(v, out).toHaveLength(17);
    const [r, , swpd, free, , cache, si, so] = v;
    expect(r).toBeGreaterThanOrEqual(1); // vmstat itself
    expect([swpd, si, so]).toEqual([0, 0, 0]);
    expect(free, out).toBeLessThanOrEqual(GUEST_KB);
    expect(free, out).toBeGreaterThan(GUEST_KB - 64 * 1024);
    expect(cache, out).toBeGreaterThan(0); // the programs' pages in the page cache
    const [us, sy, id, wa, st] = v.slice(12);
    expect(us + sy + id + wa + st, out).toBeGreaterThanOrEqual(99);
    expect(us + sy + id + wa + st, out).toBeLessThanOrEqual(101);
  });

  it("/proc/locks and lslocks show the lock flock holds while it runs a command", () => {
    const rows = sec.get("locks") ?? [];
    expect(rows[0], out).toMatch(/^1: FLOCK {2}ADVISORY {2}READ \d+ [0-9a-f]{2}:[0-9a-f]{2}:\d+ 0 EOF$/);
    const cols = rows.slice(1).map((l) => l.trim().split(/\s+/));
    expect(cols.map((c) => c.slice(0, 5)), out).toEqual([["flock", "FLOCK", "WRITE", "0", "0"]]);
    expect(cols[0][5], out).toMatch(/^\/tmp\/tmp\.\w+$/);
  });

  it("pgrep and pidof find the sleeper", () => {
    expect(sec.get("pgrep"), out).toEqual([`${sleeper} sleep`, `${sleeper}`]);
    expect(sec.get("pidof"), out).toEqual([`${sleeper}`]);
    expect(sec.get("meminfo"), out).toEqual([`MemTotal:       ${String(GUEST_KB).padStart(8)} kB`]);
  });
});
