// Processes and threads, differential: guest programs that fork, exec, wait, pipe, poll, wait on
// futexes and run glibc's pthreads, each run natively (the host kernel is the oracle) and under
// exojit with every engine; stdout, stderr and the exit status must match byte for byte. Each
// run gets a fresh working directory (the programs write scripts and files there).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildGuest, ensureBusybox, ensureToolchain, expectSameRun, limiter, runExojit, runExojitAsync, runNativeAsync, type RunResult } from "./helpers/guest.js";

const ENGINES = ["auto", "interp", "jit"] as const;
type Engine = (typeof ENGINES)[number];

/** Two guests at a time (two cores); each guest may itself run several processes. */
const slot = limiter(2);

interface Case {
  name: string;
  src: string;
  flags?: string[];
  /** Arguments; "$echoargs" is replaced by the dynamically linked helper's path. */
  args?: string[];
}

const CASES: Case[] = [
  { name: "procs: fork trees, waits, SIGCHLD, orphans, groups, job control, copy-on-write, shared memory, vfork", src: "procs.c" },
  { name: "execs: exec chains (static, dynamic, #! scripts), what exec keeps and drops, its errors", src: "execs.c", args: ["$echoargs"] },
  { name: "pipes: pipelines, EOF, SIGPIPE, non-blocking, atomic writes, poll/select/epoll", src: "pipes.c" },
  { name: "threads: glibc pthreads (mutexes, condition variables, barriers, rwlocks, TLS, cancellation)", src: "threads.c", flags: ["-pthread"] },
  { name: "waits: futex operations and timeouts, sleeps, signals interrupting and restarting calls", src: "waits.c", flags: ["-pthread"] },
  { name: "limits: RLIMIT_NOFILE, RLIMIT_AS, RLIMIT_DATA, prlimit on a child, inheritance", src: "limits.c" },
];

const bins = new Map<Case, string>();
let echoargs = "";
const dirs: string[] = [];

function argsOf(c: Case): string[] {
  return (c.args ?? []).map((a) => (a === "$echoargs" ? echoargs : a));
}

function freshDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "exojit-proc-"));
  dirs.push(d);
  return d;
}

const nativeRuns = new Map<Case, Promise<RunResult>>();
function native(c: Case): Promise<RunResult> {
  let p = nativeRuns.get(c);
  if (p === undefined) {
    p = slot(() => runNativeAsync(bins.get(c) as string, argsOf(c), { cwd: freshDir(), timeoutMs: 30_000 }));
    nativeRuns.set(c, p);
  }
  return p;
}

beforeAll(() => {
  ensureToolchain();
  for (const c of CASES) bins.set(c, buildGuest(c.src, { flags: c.flags }));
  echoargs = buildGuest("echoargs.c", { dynamic: true });
}, 120_000);

afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe("process programs natively (the oracle itself)", () => {
  for (const c of CASES) {
    it.concurrent(`${c.src} exits 0 and prints its report`, async () => {
      const r = await native(c);
      expect(r.status, r.stderr.toString()).toBe(0);
      expect(r.stdout.length).toBeGreaterThan(100);
    }, 120_000);
  }
});

for (const engine of ENGINES) {
  describe(`exojit --engine ${engine} matches the native run`, () => {
    for (const c of CASES) {
      it.concurrent(c.name, async () => {
        const n = await native(c);
        const e = await slot(() => runExojitAsync(bins.get(c) as string, argsOf(c), { engine: engine as Engine, cwd: freshDir(), timeoutMs: 120_000 }));
        expectSameRun(n, e, `${c.src} --engine ${engine}`);
      }, 300_000);
    }
  });
}

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
