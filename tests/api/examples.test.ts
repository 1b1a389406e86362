// The examples in examples/ run as a user would run them (node, importing "exojit" from the
// built package) and print what they promise.

import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO, buildGuest } from "../helpers/guest.js";

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

  it("run-program.mjs captures a program's stdout, stderr and status", () => {
    const bin = buildGuest("two_streams.c");
    const r = example("run-program.mjs", [bin, "x"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("status 2,");
    expect(r.stdout).toContain(`stdout (${`out 0 ${bin}\nout 1 x\n`.length} bytes): ${JSON.stringify(`out 0 ${bin}\nout 1 x\n`)}`);
    expect(r.stdout).toContain(`stderr (12 bytes): ${JSON.stringify("err 0\nerr 1\n")}`);
  });
});
