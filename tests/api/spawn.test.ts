// spawnProgram (src/api/spawn.ts): a program's output arrives while it runs, its input comes
// from a Writable the test feeds (a read with nothing there blocks the guest until then), its
// end is a promise with the status (128+N for signal N), and kill() sends it a signal.

import { finished } from "node:stream/promises";
import type { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { spawnProgram, runProgram, ExojitError, type EngineKind } from "../../src/index.js";
import { buildGuest } from "../helpers/guest.js";

/** Collects a stream's text; `until(text)` resolves once it contains `s`. */
function collect(r: Readable): { text: () => string; until: (s: string) => Promise<void> } {
  let text = "";
  const waiters: { s: string; res: () => void }[] = [];
  r.setEncoding("utf8");
  r.on("data", (d: string) => {
    text += d;
    for (const w of [...waiters]) if (text.includes(w.s)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.res();
    }
  });
  return {
    text: () => text,
    until: (s) => (text.includes(s) ? Promise.resolve() : new Promise<void>((res) => waiters.push({ s, res }))),
  };
}

/** Resolves once the stream has delivered its end (at once if it already has). */
function ended(r: Readable): Promise<void> {
  return finished(r);
}

describe("spawnProgram", () => {
  for (const engine of ["interp", "auto"] as EngineKind[]) {
    it(`delivers output before the program ends and wakes it with input (${engine})`, async () => {
      const bin = buildGuest("prompt.c");
      const p = spawnProgram(bin, { engine });
      const out = collect(p.stdout);
      const err = collect(p.stderr);
      let done = false;
      void p.exited.then(() => (done = true));
      // The prompt comes while the guest waits for its first line: it cannot have ended.
      await out.until("ready 0\n");
      expect(done).toBe(false);
      p.stdin!.write("one\n");
      await out.until("got one\nready 1\n");
      expect(done).toBe(false);
      p.stdin!.write("two\nthr");
      p.stdin!.write("ee\n");
      await out.until("ready 3\n");
      p.stdin!.end();
      const x = await p.exited;
      expect(x.status).toBe(3);
      expect(x.insns).toBeGreaterThan(0);
      await ended(p.stdout);
      expect(out.text()).toBe("ready 0\ngot one\nready 1\ngot two\nready 2\ngot three\nready 3\n");
      await err.until("3 lines\n");
      expect(err.text()).toBe("3 lines\n");
    });
  }

  it("takes stdin as a buffer, with the same output as runProgram", async () => {
    const bin = buildGuest("stdin_lines.c");
    const input = "alpha\nbeta\n" + "x".repeat(100) + "\n";
    const p = spawnProgram(bin, { stdin: input });
    expect(p.stdin).toBeNull();
    const out = collect(p.stdout);
    const x = await p.exited;
    await ended(p.stdout);
    const want = await runProgram(bin, { stdin: input });
    expect(out.text()).toBe(want.stdout.toString());
    expect(x.status).toBe(want.status);
  });

  it("kill() ends a program waiting for input with 128+N, and a fault is 128+11", async () => {
    const bin = buildGuest("prompt.c");
    const p = spawnProgram(bin);
    const out = collect(p.stdout);
    await out.until("ready 0\n");
    expect(p.kill("SIGINT")).toBe(true);
    expect((await p.exited).status).toBe(128 + 2);
    expect(p.kill()).toBe(false);

    const q = spawnProgram(bin);
    await collect(q.stdout).until("ready 0\n");
    q.kill(9);
    expect((await q.exited).status).toBe(137);
    expect(() => q.kill(99)).toThrow(ExojitError);

    const crash = spawnProgram(buildGuest("crash.c"), { argv: ["crash", "null"], stdin: "" });
    crash.stdout.resume();
    crash.stderr.resume();
    expect((await crash.exited).status).toBe(139);
  });

  it("holds the guest's writes while the host does not read (backpressure), then lets them through", async () => {
    const p = spawnProgram(buildGuest("prompt.c"), { argv: ["prompt", "200000"], stdin: "" });
    let done = false;
    void p.exited.then(() => (done = true));
    // Unread output grows to the 64 KiB high-water mark (plus the write that crossed it: stdio
    // writes 4 KiB at a time) and stays there, the guest waiting, until the host reads.
    let last = -1;
    while (p.stdout.readableLength !== last || last === 0) {
      last = p.stdout.readableLength;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(p.stdout.readableLength).toBeGreaterThanOrEqual(64 << 10);
    expect(p.stdout.readableLength).toBeLessThanOrEqual((64 << 10) + 4096);
    expect(done).toBe(false);
    const out = collect(p.stdout);
    p.stderr.resume();
    const x = await p.exited;
    await ended(p.stdout);
    expect(out.text()).toBe(`${"y".repeat(200_000)}\nready 0\n`);
    expect(x.status).toBe(0);
  });

  it("a destroyed stdout is a pipe without a reader: the guest's next write gets SIGPIPE", async () => {
    const p = spawnProgram(buildGuest("prompt.c"));
    await collect(p.stdout).until("ready 0\n");
    p.stdout.destroy();
    p.stdin!.write("one\n");
    expect((await p.exited).status).toBe(128 + 13);
  });

  it("rejects like runProgram: E_PROGRAM at once, E_LIMIT through exited", async () => {
    expect(() => spawnProgram("/no/such/program")).toThrow(expect.objectContaining({ code: "E_PROGRAM" }));
    const p = spawnProgram(buildGuest("spin.c"), { maxInsns: 1_000_000, stdin: "" });
    await expect(p.exited).rejects.toMatchObject({ code: "E_LIMIT" });
    await ended(p.stdout.resume());
  });
});
