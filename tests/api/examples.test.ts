// The examples in examples/ run as a user would run them (node, importing "exojit" from the
// built package) and print what they promise.

import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO, buildGuest } from "../helpers/guest.js";

/** Input i as examples/pool.mjs and pool-snapshot.mjs make it. */
function poolInput(i: number): string {
  let s = "";
  for (let j = 0; j <= i % 17; j++) s += `input ${i} line ${j} ${"word ".repeat(j % 5)}\n`;
  return s;
}

/** The last line a native run of `bin` prints for pool input i: the oracle for the pools. */
function nativeResult(bin: string, i: number): string | undefined {
  return spawnSync(bin, [], { input: poolInput(i), encoding: "utf8" }).stdout.trimEnd().split("\n").pop();
}

function example(name: string, args: string[]): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, [path.join(REPO, "examples", name), ...args], { cwd: REPO, encoding: "utf8", timeout: 120_000 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

describe("examples", () => {
  for (const engine of ["interp", "jit"]) {
    it(`snippet.mjs runs a loop and reads its registers, then reports a page fault (${engine})`, () => {
      const r = example("snippet.mjs", [engine]);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout).toContain("exit: end after");
      expect(r.stdout).toContain("eax=55 ecx=0 eip=0x1011 [0x2000]=55");
      expect(r.stdout).toContain("exit: fault vector 14 address 0x400000 error 4");
    });
  }

  for (const engine of ["interp", "jit"]) {
    it(`hooks.mjs counts blocks, sees writes, maps the stack on demand and serves int 0x21 (${engine})`, () => {
      const r = example("hooks.mjs", [engine]);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(
        [
          "write at 0x7fffc: mapping the stack page 0x7f000",
          "int 0x21 at eip 0x1017: [0x2000]=55",
          "exit: halt after 54 instructions",
          "writes to [0x2000]: 10 19 27 34 40 45 49 52 54 55",
          "blocks: 0x1000 x1, 0x100a x10, 0x1012 x10, 0x1015 x1, 0x1017 x1",
          "",
        ].join("\n"),
      );
    });
  }

  it("fuzz.mjs finds the one crashing input by coverage, restoring a snapshot per run, the same under every engine", () => {
    const outs = ["interp", "jit", "auto"].map((engine) => {
      const r = example("fuzz.mjs", [engine, "1"]);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^crash after \d+ runs \(\d+ runs\/s\): input "FUZZ", fault vector 14 at address 0x0\ncorpus \d+ inputs, 6 blocks covered\n$/);
      return r.stdout.replace(/\(\d+ runs\/s\)/, "");
    });
    // The same seed makes the same runs: coverage, and so the search, does not depend on the engine.
    expect(outs[1]).toBe(outs[0]);
    expect(outs[2]).toBe(outs[0]);
  });

  it("fuzz-program.mjs snapshots a program at its read of input and finds its crashing input by restoring per run", () => {
    const bin = buildGuest("snap_target.c");
    const r = example("fuzz-program.mjs", [bin, "crasi", path.join(REPO, "package.json")]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^snapshot before read\(0\) after \d+ instructions\ncrash after \d+ runs \(\d+ runs\/s\): input "crash", status 139\nstatuses: 5 139\n$/);
  });

  it("run-program.mjs captures a program's stdout, stderr and status", () => {
    const bin = buildGuest("two_streams.c");
    const r = example("run-program.mjs", [bin, "x"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("status 2,");
    expect(r.stdout).toContain(`stdout (${`out 0 ${bin}\nout 1 x\n`.length} bytes): ${JSON.stringify(`out 0 ${bin}\nout 1 x\n`)}`);
    expect(r.stdout).toContain(`stderr (12 bytes): ${JSON.stringify("err 0\nerr 1\n")}`);
  });

  it("trace-syscalls.mjs prints one line per system call of a program, with its arguments and result", () => {
    const bin = buildGuest("two_streams.c");
    const r = example("trace-syscalls.mjs", [bin, "x"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    const calls = lines.filter((l) => /^\d+ [a-z_0-9]+\(.*\) = /.test(l));
    // The program's own calls, in order, as strace would show them.
    expect(calls.filter((l) => l.includes("write("))).toEqual([
      expect.stringMatching(/^\d+ write\(2, "err 0\\n", 6\) = 6$/),
      expect.stringMatching(/^\d+ write\(2, "err 1\\n", 6\) = 6$/),
      // (strings are cut at 32 characters, as strace does)
      `1000 write(1, ${JSON.stringify(`out 0 ${bin}\nout 1 x\n`.slice(0, 32))}..., ${`out 0 ${bin}\nout 1 x\n`.length}) = ${`out 0 ${bin}\nout 1 x\n`.length}`,
    ]);
    expect(calls.at(-1)).toMatch(/ exit_group\(2\) = 0$/);
    expect(calls.some((l) => / brk\(NULL\) = 0x[0-9a-f]+$/.test(l))).toBe(true);
    expect(lines.at(-1)).toBe(`${calls.length} system calls; status 2; stdout ${JSON.stringify(`out 0 ${bin}\nout 1 x\n`)}`);
  });

  it("pool.mjs runs a program over many inputs in a pool with the results of a native run", () => {
    const bin = buildGuest("stdin_lines.c");
    const n = 12;
    const r = example("pool.mjs", [bin, String(n), "--list"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    for (let i = 0; i < n; i++) expect(r.stdout).toContain(`\n${i}: ${nativeResult(bin, i)}\n`.slice(i === 0 ? 1 : 0));
    expect(r.stdout).toContain(`${n} results (0 with a non-zero status); the same with 1 worker`);
    expect(r.stdout).toMatch(/\d+ workers: [\d.]+ runs\/s; 1 worker: [\d.]+ runs\/s; speed-up [\d.]+x/);
  });

  it("pool-snapshot.mjs runs a program from its saved snapshot in a pool of workers, with the results of a native run", () => {
    const bin = buildGuest("stdin_lines.c");
    const n = 12;
    const r = example("pool-snapshot.mjs", [bin, String(n), "--list"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^snapshot after \d+ instructions: \d+ KiB in /);
    for (let i = 0; i < n; i++) expect(r.stdout).toContain(`\n${i}: ${nativeResult(bin, i)}\n`);
    expect(r.stdout).toMatch(new RegExp(`${n} results \\(0 with a non-zero status\\) from \\d+ workers: [\\d.]+ runs/s`));
  });
});
