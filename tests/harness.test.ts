// The differential harness itself (tests/helpers/guest.ts): builds are cached by content, native
// runs report signals as 128+N and see only the environment they are given, and a mismatch
// between two runs is described by its first differing line.

import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import { buildGuest, compareRuns, describeDifference, ensureToolchain, expectSameRun, runNative, type RunResult } from "./helpers/guest.js";

const res = (stdout: string, status = 0, stderr = ""): RunResult => ({ stdout: Buffer.from(stdout), stderr: Buffer.from(stderr), status });

describe("comparing runs", () => {
  it("finds nothing to report for identical runs", () => {
    expect(compareRuns(res("a\nb\n"), res("a\nb\n"))).toBe("");
    expect(() => expectSameRun(res("x"), res("x"))).not.toThrow();
  });

  it("points at the first differing line and shows both sides", () => {
    const d = describeDifference("stdout", Buffer.from("one\ntwo\nthree\n"), Buffer.from("one\ntwo\nTHREE\n"));
    expect(d).toContain("stdout differs at line 3");
    expect(d).toContain("- native: three");
    expect(d).toContain("+ exojit: THREE");
    expect(d).toContain("    two");
  });

  it("reports a missing tail, escaped control bytes, the status and stderr", () => {
    const d = compareRuns(res("a\nb\tc\n", 0, "warn\n"), res("a\n", 139));
    expect(d).toContain("exit status: native 0, exojit 139");
    expect(d).toContain("- native: b\\tc");
    expect(d).toContain("stderr differs at line 1");
    expect(() => expectSameRun(res("a"), res("b"), "case")).toThrow(/case: exojit's run differs/);
  });
});

describe("building and running guests natively", () => {
  it("builds once and reuses the binary while the source is unchanged", () => {
    ensureToolchain();
    const bin = buildGuest("hello.c");
    const t = fs.statSync(bin).mtimeMs;
    expect(buildGuest("hello.c")).toBe(bin);
    expect(fs.statSync(bin).mtimeMs).toBe(t);
    expect(buildGuest("hello.c", { flags: ["-DUNUSED=1"] })).not.toBe(bin);
  });

  it("reports a death by SIGSEGV as status 139 and keeps the output flushed before it", () => {
    const r = runNative(buildGuest("crash.c"), ["null"]);
    expect(r.status).toBe(139);
    expect(r.stdout.toString()).toBe("about to crash: null\n");
  });

  it("gives the guest exactly the environment it is asked for", () => {
    const r = runNative(buildGuest("args_env.c"), [], { env: { ONLY: "this" } });
    const env = r.stdout.toString().split("\n").filter((l) => l.startsWith("env["));
    expect(env).toEqual(['env[0] "ONLY=this"']);
  });

  it("feeds stdin from the given buffer", () => {
    const r = runNative(buildGuest("stdin_lines.c"), [], { stdin: "abc\n" });
    expect(r.stdout.toString()).toContain("line 1: cba");
  });
});
