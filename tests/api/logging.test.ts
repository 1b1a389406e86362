// The embedder's logger (src/log.ts log scopes, the `logger` and `trace` options): records of
// the categories asked for reach the embedder's pino logger, only those, only from the program
// or machine that was given it, and the process-wide switches are back as they were after.

import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createMachine, runProgram, spawnProgram, ExojitError } from "../../src/index.js";
import { trace } from "../../src/log.js";
import { buildGuest } from "../helpers/guest.js";

interface Rec {
  level: number;
  cat?: string;
  msg: string;
  pid?: number;
  nr?: number;
}

/** A pino logger (at pino's default level, info) that keeps its records. */
function memoryLogger(): { logger: pino.Logger; records: Rec[] } {
  const records: Rec[] = [];
  const dest = new Writable({
    write(line: Buffer, _enc, cb) {
      for (const l of line.toString().split("\n")) if (l !== "") records.push(JSON.parse(l) as Rec);
      cb();
    },
  });
  return { logger: pino({}, dest), records };
}

/** Lets pino's destination stream take what was written. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe("embedder logger", () => {
  it("gets the syscall trace of its program, one record per call, and nothing of categories not asked for", async () => {
    const bin = buildGuest("two_streams.c");
    const { logger, records } = memoryLogger();
    const r = await runProgram(bin, { argv: ["two", "x"], logger, trace: ["syscall"] });
    await settle();
    expect(r.status).toBe(2);
    const sys = records.filter((x) => x.cat === "syscall");
    expect(sys.length).toBeGreaterThan(3);
    expect(records.every((x) => x.cat === "syscall")).toBe(true);
    expect(sys.filter((x) => /\bwrite\(1, /.test(x.msg)).length).toBeGreaterThanOrEqual(1);
    expect(sys.filter((x) => /\bwrite\(2, /.test(x.msg)).length).toBe(2);
    expect(sys.some((x) => /exit_group\(2\)/.test(x.msg))).toBe(true);
    // Trace records (level 10) carry the call's number; warnings (an unimplemented call) come too.
    expect(sys.every((x) => (x.level === 10 && typeof x.nr === "number") || x.level === 40)).toBe(true);
    // The process-wide switches are off again (the CLI's --trace was never set here).
    expect(trace.syscall).toBe(false);
  });

  it("keeps two programs running at once apart: only the one given the logger is traced", async () => {
    const bin = buildGuest("prompt.c");
    const { logger, records } = memoryLogger();
    const a = spawnProgram(bin, { logger, trace: ["syscall"] });
    const b = spawnProgram(bin);
    for (const p of [a, b]) p.stdout.resume();
    // Interleave them: both wait for input, then get different lines.
    b.stdin!.end("bbbb\nbbbb\nbbbb\n");
    a.stdin!.end("aaaa\n");
    expect((await a.exited).status).toBe(1);
    expect((await b.exited).status).toBe(3);
    await settle();
    const reads = records.filter((x) => /\bread\(0, /.test(x.msg));
    expect(reads.length).toBeGreaterThanOrEqual(1);
    expect(records.some((x) => x.msg.includes("aaaa"))).toBe(true);
    expect(records.some((x) => x.msg.includes("bbbb"))).toBe(false);
    expect(records.filter((x) => /exit_group/.test(x.msg)).map((x) => x.msg)).toHaveLength(1);
  });

  it("shows (sched) that a program waiting for input sleeps in the run loop instead of spinning", async () => {
    const { logger, records } = memoryLogger();
    const p = spawnProgram(buildGuest("prompt.c"), { logger, trace: ["sched"] });
    const out: string[] = [];
    await new Promise<void>((res) => p.stdout.on("data", (d: Buffer) => (out.push(d.toString()), res())));
    await new Promise((r) => setTimeout(r, 200));
    await settle();
    const idle = records.filter((x) => x.msg === "idle until a host event").length;
    const turns = records.filter((x) => x.msg.startsWith("run ")).length;
    // One sleep (nothing else can run), and no turns given to the waiting task meanwhile.
    expect(idle).toBe(1);
    const turnsBefore = turns;
    await new Promise((r) => setTimeout(r, 200));
    await settle();
    expect(records.filter((x) => x.msg.startsWith("run ")).length).toBe(turnsBefore);
    p.stdin!.end("x\n");
    expect((await p.exited).status).toBe(1);
    await settle();
    expect(records.filter((x) => x.msg.includes("wakes (event)")).length).toBeGreaterThanOrEqual(1);
  });

  it("gets a bare machine's compiler traces (jit)", async () => {
    const { logger, records } = memoryLogger();
    const m = createMachine({ engine: "jit", logger, trace: ["jit"] });
    m.loadCode(0x1000, [0xb8, 5, 0, 0, 0, 0x83, 0xc0, 7, 0xf4]); // mov eax,5; add eax,7; hlt
    expect(m.run().reason).toBe("halt");
    await settle();
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((x) => x.cat === "jit")).toBe(true);
    expect(trace.jit).toBe(false);
    // A machine without a logger leaves the embedder's logger alone.
    const n = records.length;
    const m2 = createMachine({ engine: "jit" });
    m2.loadCode(0x1000, [0xb8, 5, 0, 0, 0, 0x83, 0xc0, 7, 0xf4]);
    m2.run();
    await settle();
    expect(records.length).toBe(n);
  });

  it("refuses unknown categories and categories without a logger (E_BADARG)", () => {
    const { logger } = memoryLogger();
    expect(() => createMachine({ logger, trace: ["nope" as "jit"] })).toThrow(ExojitError);
    expect(() => createMachine({ trace: ["jit"] })).toThrow(expect.objectContaining({ code: "E_BADARG" }));
    expect(() => spawnProgram("/bin/true", { logger: {} as pino.Logger })).toThrow(expect.objectContaining({ code: "E_BADARG" }));
  });
});
