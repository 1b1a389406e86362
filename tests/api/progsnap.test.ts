// loadProgram (src/api/progctl.ts): a Linux program run in steps, with snapshots of its whole
// system (progsnap.ts) restored as a fuzzer restores them. The oracle is the host: a program
// stopped where it reads its input and restored with another input must print what it prints
// natively on that input, whatever it built before the snapshot (heap, mappings, a child on a
// pipe, a file open at an offset, a signal handler, its environment, the time).

import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { loadProgram, ExojitError, type EngineKind, type LoadedProgram, type SystemSnapshot } from "../../src/index.js";
import { buildGuest, DEFAULT_ENV } from "../helpers/guest.js";
import { native, outcome, readsStdin, runStoppingEvery, snapTargetFiles } from "../helpers/snaptarget.js";

const tmp = snapTargetFiles("exojit-progsnap-");

const INPUTS = ["hello world", "other input!", "crash", "x".repeat(300), "", "hello world"];

function expectDisposed(p: LoadedProgram): void {
  p.dispose();
  expect(() => p.snapshot()).toThrow(ExojitError);
}

describe("program snapshots", () => {
  for (const engine of ["interp", "auto"] as EngineKind[]) {
    it(`restores a program stopped at its read of input, once per input, as the host runs it (${engine})`, async () => {
      const bin = buildGuest("snap_target.c");
      const p = loadProgram(bin, { argv: [bin, tmp.data], env: DEFAULT_ENV, stdin: INPUTS[0], engine, cwd: "/" });
      const stop = await p.run({ stopAt: readsStdin });
      expect(stop.reason).toBe("syscall");
      const snap = p.snapshot();
      // The run that goes on from the snapshot, then restores in any order.
      for (const [k, input] of INPUTS.entries()) {
        if (k > 0) p.restore(snap, { stdin: input });
        const end = await p.run();
        const want = native(bin, [bin, tmp.data], input);
        expect(end.reason, `input ${k}`).toBe("exit");
        expect(p.stdout.toString(), `input ${k}`).toBe(want.out);
        expect(end.reason === "exit" && end.status, `input ${k}`).toBe(want.status);
      }
      expect(p.stats.restores).toBe(INPUTS.length - 1);
      expect(p.stats.framesRestored).toBeGreaterThan(0);
      expectDisposed(p);
    });
  }

  it("puts monotonic time back: a restore long after the snapshot sees no time pass", async () => {
    const bin = buildGuest("snap_target.c");
    const p = loadProgram(bin, { argv: [bin, tmp.data], env: DEFAULT_ENV, stdin: "late", cwd: "/" });
    await p.run({ stopAt: readsStdin });
    const snap = p.snapshot();
    await new Promise((r) => setTimeout(r, 700));
    p.restore(snap);
    await p.run();
    expect(p.stdout.toString()).toContain("in under 0.5 s: 1,");
    p.dispose();
  });

  it("stops the program's monotonic clock between steps: a stop long before its read goes on as if none had been", async () => {
    const bin = buildGuest("snap_target.c");
    const p = loadProgram(bin, { argv: [bin, tmp.data], env: DEFAULT_ENV, stdin: "paused", cwd: "/" });
    await new Promise((r) => setTimeout(r, 300)); // set up, not yet running
    await p.run({ stopAt: readsStdin });
    await new Promise((r) => setTimeout(r, 700)); // stopped at the read
    await p.run();
    expect(p.stdout.toString()).toContain("in under 0.5 s: 1,");
    p.dispose();
  });

  it("keeps host files the guest closed after a snapshot open for its restores, and leaks none", async () => {
    const bin = buildGuest("snap_target.c");
    const fds = (): number => fs.readdirSync("/proc/self/fd").length;
    const p = loadProgram(bin, { argv: [bin, tmp.data], env: DEFAULT_ENV, stdin: "a", cwd: "/" });
    await p.run({ stopAt: readsStdin });
    const snap = p.snapshot();
    const before = fds();
    for (let k = 0; k < 40; k++) {
      p.restore(snap, { stdin: `input ${k}` });
      await p.run();
      // (the program reads the rest of the file after its input, then closes it)
      expect(p.stdout.toString()).toContain("rest 55 'ijklmnopqrst'");
    }
    expect(fds()).toBe(before);
    snap.release();
    p.dispose();
    expect(fds()).toBeLessThan(before);
  });

  it("restores threads, futex waits and timers mid-run to the same end (snapshots every N instructions)", async () => {
    const bin = buildGuest("threads.c", { flags: ["-pthread"] });
    const want = native(bin, [bin], "");
    const p = loadProgram(bin, { argv: [bin], env: DEFAULT_ENV, cwd: "/" });
    const snaps = [];
    for (;;) {
      const r = await p.run({ maxInsns: 1_000_000 });
      if (r.reason === "exit") break;
      snaps.push(p.snapshot());
    }
    expect(p.stdout.toString()).toBe(want.out);
    expect(snaps.length).toBeGreaterThan(2);
    for (const s of [snaps[snaps.length - 1], snaps[0], snaps[snaps.length >> 1]]) {
      p.restore(s);
      const r = await p.run();
      expect(r.reason).toBe("exit");
      expect(p.stdout.toString()).toBe(want.out);
    }
    for (const s of snaps) s.release();
    p.dispose();
  });

  for (const src of ["waits.c", "rtsignals.c", "pipes.c"]) {
    it(`stops at every 5th system call of ${src}; each snapshot, restored late, ends as the first run did`, async () => {
      const bin = buildGuest(src, { flags: ["-pthread"] });
      const p = loadProgram(bin, { argv: [bin], env: DEFAULT_ENV, cwd: "/" });
      const snaps: SystemSnapshot[] = [];
      const first = await runStoppingEvery(p, 5, () => snaps.push(p.snapshot()));
      expect(snaps.length).toBeGreaterThan(3);
      const step = Math.max(1, Math.floor(snaps.length / 6));
      for (let k = snaps.length - 1; k >= 0; k -= step) {
        p.restore(snaps[k]);
        const r = await p.run();
        expect(outcome(p, r), `snapshot ${k}`).toBe(first);
      }
      for (const s of snaps) s.release();
      p.dispose();
    });
  }

  it("refuses what cannot be done with typed errors", async () => {
    const bin = buildGuest("snap_target.c");
    const p = loadProgram(bin, { argv: [bin, tmp.data], env: DEFAULT_ENV, stdin: "x", cwd: "/" });
    const q = loadProgram(bin, { argv: [bin, tmp.data], env: DEFAULT_ENV, stdin: "x", cwd: "/" });
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return e instanceof ExojitError ? e.code : "not an ExojitError";
      }
      return undefined;
    };
    await expect(p.run({ maxInsns: 0 })).rejects.toMatchObject({ code: "E_BADARG" });
    await expect(p.run({ stopAt: () => {
      throw new Error("hook bug");
    } })).rejects.toMatchObject({ code: "E_HOOK" });
    // The call the hook threw at was held: the program goes on from it.
    const running = p.run({ stopAt: readsStdin });
    expect(code(() => p.snapshot())).toBe("E_RUNNING");
    await expect(p.run()).rejects.toMatchObject({ code: "E_RUNNING" });
    expect((await running).reason).toBe("syscall");
    const s = p.snapshot();
    expect(code(() => q.restore(s))).toBe("E_SNAPSHOT");
    s.release();
    expect(s.released).toBe(true);
    expect(code(() => p.restore(s))).toBe("E_SNAPSHOT");
    const end = await p.run();
    expect(end.reason).toBe("exit");
    p.dispose();
    q.dispose();
    expect(code(() => p.restore(s))).toBe("E_CLOSED");
    await expect(p.run()).rejects.toMatchObject({ code: "E_CLOSED" });
  });
});
