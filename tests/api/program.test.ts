// runProgram (src/api/program.ts) through the package root: a static i386 program's stdout,
// stderr and exit status come back as values, the same as the program gives natively (the host
// runs i386 code: it is the oracle, as in tests/differential.test.ts).

import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { runProgram, ExojitError, type EngineKind } from "../../src/index.js";
import { buildGuest, runNative, type RunResult } from "../helpers/guest.js";

interface Case {
  name: string;
  src: string;
  args: string[];
  stdin?: string;
}

const CASES: Case[] = [
  { name: "stdout and stderr kept apart, status from main", src: "two_streams.c", args: ["a", "b c"] },
  { name: "exit(42) after buffered output", src: "exit_codes.c", args: ["exit42"] },
  { name: "_exit drops what stdio buffered", src: "exit_codes.c", args: ["_exit"] },
  { name: "standard input from a buffer", src: "stdin_lines.c", args: [], stdin: "one\ntwo\nthree\n" },
  { name: "death by SIGSEGV is status 139", src: "crash.c", args: ["null"] },
];

const ENV = { LANG: "C", PATH: "/usr/bin:/bin" };
/** argv[0] of both runs (the native run may be another build of the program: helpers/oracle.ts). */
const ARGV0 = "prog";

function native(bin: string, c: Case): RunResult {
  return runNative(bin, c.args, { env: ENV, stdin: c.stdin ?? "", cwd: "/", argv0: ARGV0 });
}

describe("runProgram", () => {
  for (const c of CASES) {
    for (const engine of ["interp", "auto"] as EngineKind[]) {
      it(`${c.name} (${engine})`, async () => {
        const bin = buildGuest(c.src);
        const want = native(bin, c);
        const got = await runProgram(bin, { argv: [ARGV0, ...c.args], env: ENV, stdin: c.stdin, engine });
        expect(got.stdout.toString()).toBe(want.stdout.toString());
        expect(got.stderr.toString()).toBe(want.stderr.toString());
        expect(got.status).toBe(want.status);
        expect(got.insns).toBeGreaterThan(0);
      });
    }
  }

  it("gives each program zeroed memory though runs in one thread reuse guest RAM and TLBs", async () => {
    const bin = buildGuest("dirty_mem.c");
    for (let k = 0; k < 4; k++) {
      const got = await runProgram(bin, { env: ENV, memory: 32 << 20, engine: k % 2 === 0 ? "auto" : "jit" });
      expect(got.stdout.toString(), `run ${k}`).toBe("mmap zero 1, heap zero 1\nfilled 1\n");
      expect(got.status).toBe(0);
    }
  });

  it("runs under another root, with the program's path a guest path", async () => {
    const bin = buildGuest("two_streams.c");
    const got = await runProgram(`/${path.basename(bin)}`, { root: path.dirname(bin), argv: ["x"] });
    expect(got.stdout.toString()).toBe("out 0 x\n");
    expect(got.status).toBe(1);
  });

  it("rejects with E_PROGRAM when the program cannot be started, E_LIMIT at its instruction limit", async () => {
    await expect(runProgram("/no/such/program")).rejects.toMatchObject({ code: "E_PROGRAM" });
    await expect(runProgram("/etc/hostname")).rejects.toBeInstanceOf(ExojitError);
    await expect(runProgram("/bin/true", { root: "/no/such/root" })).rejects.toMatchObject({ code: "E_PROGRAM" });
    const spin = buildGuest("spin.c");
    await expect(runProgram(spin, { maxInsns: 1_000_000 })).rejects.toMatchObject({ code: "E_LIMIT" });
  });
});
