// The worker pool, "exojit/worker" (src/api/worker.ts), as an embedder gets it: the built
// package (worker threads run dist/, so `npm run build` comes first). Its programs give what
// runProgram gives; an embedder's functions run in the workers; failures are ExojitErrors; a
// crashed worker is replaced; close() rejects what is queued.

import { describe, expect, it } from "vitest";
import { createPool } from "../../dist/api/worker.js";
// The package's own ExojitError (dist/): the class the pool's errors are instances of.
import { runProgram, ExojitError } from "../../dist/index.js";
import { REPO, buildGuest } from "../helpers/guest.js";
import * as path from "node:path";

const TASKS = path.join(REPO, "tests", "api", "fixtures", "pool-tasks.mjs");

/** Pools in tests have at most 2 workers (the machine is shared). */
describe("worker pool", () => {
  it("runs programs in workers with the results runProgram gives", async () => {
    const bin = buildGuest("stdin_lines.c");
    const inputs = Array.from({ length: 6 }, (_, i) => Array.from({ length: 3 + i * 7 }, (_, j) => `line ${i}.${j}\n`).join(""));
    const pool = createPool({ size: 2 });
    try {
      const got = await Promise.all(inputs.map((stdin) => pool.runProgram(bin, { stdin })));
      for (let i = 0; i < inputs.length; i++) {
        const want = await runProgram(bin, { stdin: inputs[i] });
        expect(got[i].stdout.equals(want.stdout)).toBe(true);
        expect(Buffer.isBuffer(got[i].stdout)).toBe(true);
        expect(got[i].stderr.toString()).toBe(want.stderr.toString());
        expect(got[i].status).toBe(want.status);
        expect(got[i].insns).toBeGreaterThan(0);
      }
      const crash = await pool.runProgram(buildGuest("crash.c"), { argv: ["crash", "null"] });
      expect(crash.status).toBe(139);
      await expect(pool.runProgram("/no/such/program")).rejects.toMatchObject({ name: "ExojitError", code: "E_PROGRAM" });
      await expect(pool.runProgram(bin, { logger: {} as never })).rejects.toMatchObject({ code: "E_BADARG" });
    } finally {
      await pool.close();
    }
  });

  it("runs an embedder's function in a worker (bare machines work there), queueing beyond the pool's size", async () => {
    const pool = createPool({ size: 2 });
    try {
      expect(pool.size).toBe(2);
      const ns = [1, 10, 100, 1000, 65536];
      const sums = await Promise.all(ns.map((n) => pool.run<{ reason: string; eax: number; thread: number }>(TASKS, "machineSum", n)));
      expect(sums.map((s) => s.eax)).toEqual(ns.map((n) => (n * (n + 1)) / 2 >>> 0));
      expect(sums.every((s) => s.reason === "halt")).toBe(true);
      // Never more threads than the pool's size; never the main thread.
      const threads = new Set(sums.map((s) => s.thread));
      expect(threads.size).toBeLessThanOrEqual(2);
      expect(threads.has(0)).toBe(false);
      // Three sleeps on two workers: one waits in the queue.
      const sleeps = [pool.run(new URL(`file://${TASKS}`), "sleep", 200), pool.run(TASKS, "sleep", 200), pool.run(TASKS, "sleep", 10)];
      expect(pool.pending).toBe(1);
      await Promise.all(sleeps);
      expect(pool.pending).toBe(0);
      expect(await pool.run(TASKS, "square", 12)).toBe(144);
    } finally {
      await pool.close();
    }
  });

  it("turns a thrown error into an ExojitError (E_WORKER, or the API's own code) and keeps the worker", async () => {
    const pool = createPool({ size: 1 });
    try {
      const e = await pool.run(TASKS, "fail", "no good").catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ExojitError);
      expect(e).toMatchObject({ code: "E_WORKER" });
      expect((e as Error).message).toContain("TypeError: no good");
      expect(((e as Error).cause as Error).message).toBe("no good");
      expect(((e as Error).cause as Error).name).toBe("TypeError");
      await expect(pool.run(TASKS, "badMachine")).rejects.toMatchObject({ name: "ExojitError", code: "E_BADARG" });
      await expect(pool.run(TASKS, "nothing")).rejects.toMatchObject({ code: "E_BADARG" });
      await expect(pool.run(TASKS, "unclonable")).rejects.toMatchObject({ code: "E_WORKER" });
      await expect(pool.run(TASKS, "square", () => 1)).rejects.toMatchObject({ code: "E_BADARG" });
      const t1 = await pool.run<number>(TASKS, "sleep", 0);
      const t2 = await pool.run<number>(TASKS, "sleep", 0);
      expect(t2).toBe(t1);
    } finally {
      await pool.close();
    }
  });

  it("rejects the task of a crashed worker with E_WORKER and replaces the worker", async () => {
    const pool = createPool({ size: 1 });
    try {
      const before = await pool.run<number>(TASKS, "sleep", 0);
      const queued = pool.run<number>(TASKS, "square", 9);
      await expect(pool.run(TASKS, "exitThread", 7)).rejects.toMatchObject({ code: "E_WORKER", message: expect.stringContaining("exited with code 7") });
      const e = await pool.run(TASKS, "uncaught", "lost").catch((x: unknown) => x);
      expect(e).toMatchObject({ code: "E_WORKER" });
      expect((e as Error).message).toContain("lost");
      expect(((e as Error).cause as Error).name).toBe("RangeError");
      expect(await queued).toBe(81);
      const after = await pool.run<number>(TASKS, "sleep", 0);
      expect(after).not.toBe(before);
    } finally {
      await pool.close();
    }
  });

  it("close() lets running tasks finish, rejects queued ones and later ones with E_CLOSED", async () => {
    const pool = createPool({ size: 1 });
    const running = pool.run<number>(TASKS, "sleep", 200);
    const queued = pool.run(TASKS, "square", 3);
    const closed = pool.close();
    await expect(queued).rejects.toMatchObject({ code: "E_CLOSED" });
    expect(typeof (await running)).toBe("number");
    await closed;
    await expect(pool.run(TASKS, "square", 3)).rejects.toMatchObject({ code: "E_CLOSED" });
    await expect(pool.runProgram("/bin/true")).rejects.toBeInstanceOf(ExojitError);
  });

  it("createMachine: a machine in a worker with Machine's methods, async; it has the worker until dispose()", async () => {
    const pool = createPool({ size: 1 });
    try {
      const m = await pool.createMachine({ memory: 4 << 20, engine: "interp" });
      // mov eax,5; add eax,7; mov [0x2000],eax; hlt
      await m.loadCode(0x1000, [0xb8, 5, 0, 0, 0, 0x83, 0xc0, 7, 0xa3, 0x00, 0x20, 0, 0, 0xf4]);
      await m.map(0x2000, 0x1000, "rw");
      expect(await m.run()).toEqual({ reason: "halt", insns: 4 });
      expect(await m.getReg("eax")).toBe(12);
      expect(Array.from(await m.read(0x2000, 4))).toEqual([12, 0, 0, 0]);
      await m.write(0x2004, new Uint8Array([1, 2, 3]));
      expect(Array.from(await m.read(0x2004, 3))).toEqual([1, 2, 3]);
      await m.setReg("ebx", 0xdeadbeef);
      expect((await m.readRegs()).ebx).toBe(0xdeadbeef);
      expect(await m.query(0x2000)).toEqual({ mapped: true, writable: true });
      // Snapshots stay in the worker, named by number.
      const snap = await m.snapshot();
      await m.write(0x2000, new Uint8Array([9, 9, 9, 9]));
      await m.setReg("eax", 1);
      await m.restore(snap);
      expect(Array.from(await m.read(0x2000, 4))).toEqual([12, 0, 0, 0]);
      expect(await m.getReg("eax")).toBe(12);
      await m.releaseSnapshot(snap);
      await expect(m.restore(snap)).rejects.toMatchObject({ code: "E_SNAPSHOT" });
      const lanes = Uint8Array.from({ length: 16 }, (_, k) => k * 3);
      await m.setXmm(2, lanes);
      expect(Array.from(await m.getXmm(2))).toEqual(Array.from(lanes));
      const e = await m.read(0x400000, 4).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ExojitError);
      expect(e).toMatchObject({ code: "E_UNMAPPED" });
      // The only worker is the machine's: a task waits until the machine is disposed.
      const sq = pool.run<number>(TASKS, "square", 5);
      await new Promise((r) => setTimeout(r, 100));
      expect(pool.pending).toBe(1);
      await m.dispose();
      expect(await sq).toBe(25);
      await expect(m.getReg("eax")).rejects.toMatchObject({ code: "E_CLOSED" });
      await expect(pool.createMachine({ memory: 5 })).rejects.toMatchObject({ code: "E_BADARG" });
      // The failed machine left the worker free.
      expect(await pool.run<number>(TASKS, "square", 6)).toBe(36);
    } finally {
      await pool.close();
    }
  });
});
