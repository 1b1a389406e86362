// exojit and its host: signals sent to exojit reach the guest (as qemu-user forwards them), a
// guest writing to a host pipe whose reader left dies of SIGPIPE, a guest waiting for host input
// does not stop the other guests, and a guest that waits costs no CPU (no busy loop).

import { beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import * as fs from "node:fs";
import { buildGuest, CLI, DEFAULT_ENV } from "./helpers/guest.js";

let bin = "";

beforeAll(() => {
  bin = buildGuest("hostio.c");
}, 120_000);

interface Running {
  child: ChildProcessWithoutNullStreams;
  /** Resolves with the next stdout text that contains `s`. */
  until(s: string): Promise<void>;
  done: Promise<{ status: number; stdout: string; stderr: string }>;
}

function start(args: string[]): Running {
  const child = spawn(process.execPath, [CLI, "run", bin, ...args], { env: { ...DEFAULT_ENV }, stdio: ["pipe", "pipe", "pipe"] });
  let out = "", err = "";
  const waiters: [string, () => void][] = [];
  child.stdout.on("data", (b: Buffer) => {
    out += b.toString();
    for (const w of [...waiters]) if (out.includes(w[0])) {
      waiters.splice(waiters.indexOf(w), 1);
      w[1]();
    }
  });
  child.stderr.on("data", (b: Buffer) => (err += b.toString()));
  const done = new Promise<{ status: number; stdout: string; stderr: string }>((res) => {
    child.on("close", (code, sig) => res({ status: sig !== null ? 128 + 9 : (code ?? -1), stdout: out, stderr: err }));
  });
  return {
    child,
    until: (s) => (out.includes(s) ? Promise.resolve() : new Promise<void>((res) => waiters.push([s, res]))),
    done,
  };
}

/** CPU time (user + system, in clock ticks of 1/100 s) a host process has used so far. */
function cpuTicks(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const rest = f.slice(f.lastIndexOf(")") + 2).split(" ");
  return Number(rest[11]) + Number(rest[12]);
}

describe("host signals reach the guest", () => {
  it("SIGINT, SIGUSR1 and SIGWINCH run the guest's handlers; SIGHUP ends it through its handler", async () => {
    const r = start(["signals"]);
    await r.until("ready");
    for (const [sig, name] of [["SIGINT", "Interrupt"], ["SIGUSR1", "User defined signal 1"], ["SIGWINCH", "Window changed"]] as const) {
      r.child.kill(sig);
      await r.until(`got ${name}`);
    }
    r.child.kill("SIGHUP");
    const d = await r.done;
    expect(d.stdout).toBe("ready\ngot Interrupt\ngot User defined signal 1\ngot Window changed\ngot Hangup\n");
    expect(d.status).toBe(3);
  }, 60_000);

  it("SIGTERM with the default action ends the guest, and exojit with 128 + 15", async () => {
    const r = start(["sleep", "60000"]);
    await r.until("sleeping");
    r.child.kill("SIGTERM");
    const d = await r.done;
    expect(d.status).toBe(143);
    expect(d.stdout).toBe("sleeping\n");
  }, 60_000);
});

describe("host pipes and input", () => {
  it("a guest writing to a pipe whose reader left dies of SIGPIPE (status 141)", async () => {
    const r = start(["yes"]);
    await r.until("y\ny\n");
    r.child.stdout.destroy();
    const d = await r.done;
    expect(d.status).toBe(141);
  }, 60_000);

  it("a guest waiting for host input does not stop the others", async () => {
    const r = start(["stdin"]);
    // The child's lines can only appear while the parent waits for this line.
    await r.until("child working 4");
    r.child.stdin.end("hello from the host\n");
    const d = await r.done;
    expect(d.status).toBe(0);
    expect(d.stdout).toContain("parent read: hello from the host\n");
    expect(d.stdout.indexOf("child working 4")).toBeLessThan(d.stdout.indexOf("parent read"));
  }, 60_000);
});

describe("job control", () => {
  it("a process group orphaned with a stopped member gets SIGHUP and SIGCONT", async () => {
    const r = start(["orphan"]);
    const d = await r.done;
    expect(d.stdout).toBe("orphaned stopped group: SIGHUP delivered after the stop\n");
    expect(d.status).toBe(0);
  }, 60_000);
});

describe("waiting costs no CPU", () => {
  it("a guest in a long sleep, in sigtimedwait, with armed timers, and guests blocked on each other, leave exojit idle", async () => {
    const ready: Record<string, string> = { sleep: "sleeping", deadlock: "blocked", sigwait: "waiting", timers: "timers armed" };
    for (const mode of [["sleep", "60000"], ["deadlock"], ["sigwait"], ["timers"]]) {
      const r = start(mode);
      await r.until(ready[mode[0]]);
      await new Promise((res) => setTimeout(res, 300));
      const before = cpuTicks(r.child.pid as number);
      await new Promise((res) => setTimeout(res, 1500));
      const used = cpuTicks(r.child.pid as number) - before;
      r.child.kill("SIGTERM");
      const d = await r.done;
      // A busy loop would use ~150 ticks in 1.5 s; an idle exojit uses next to none.
      expect(used, `${mode[0]}: ${used} ticks of CPU in 1.5 s`).toBeLessThan(30);
      expect(d.status).toBe(143);
    }
  }, 90_000);
});
