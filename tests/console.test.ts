// `exojit run --console` end to end: the guest's fds 0-2 are its console, a UART whose line is
// exojit's stdin and stdout, with the guest's own line discipline. Non-interactively (stdin a
// pipe) input is echoed as it arrives, lines are read one by one, and the end of the pipe
// reads as end of file. Interactively, under a real host pty made by script(1), typed keys
// are edited by the guest's terminal, ^C kills the spinning program through ISIG, and the
// escape key Ctrl-A quits or prints help.

import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { buildGuest, ensureToolchain, CLI, REPO, DEFAULT_ENV } from "./helpers/guest.js";

let bin = "";

beforeAll(() => {
  ensureToolchain();
  if (!fs.existsSync(CLI)) throw new Error("dist/cli/main.cjs is missing: run `npx tsc -p .`");
  bin = buildGuest("console.c");
}, 120_000);

describe("exojit run --console with a pipe as stdin", () => {
  it("echoes input, reads a line at a time, and reads 0 at the end of the pipe", () => {
    const r = spawnSync(process.execPath, [CLI, "run", "--console", bin, "cat"], { input: "hello\nworld\npartial", env: { ...DEFAULT_ENV }, cwd: REPO, timeout: 60_000 });
    const out = r.stdout.toString("latin1");
    expect(r.status, r.stderr.toString()).toBe(3);
    // The program's lines, in order (ONLCR turns its newlines into CR NL). The input is all in
    // the pipe from the start, and its echo comes out when it reaches the terminal: before the
    // program's first line if that is first, as on a real terminal with typed-ahead input.
    const first = "isatty 1 1 1, foreground 1, session leader 1\r\n";
    expect(out.startsWith(first) || out.startsWith(`hello\r\nworld\r\npartial${first}`), JSON.stringify(out)).toBe(true);
    const lines = ["got 6: hello\r\n", "got 6: world\r\n", "got 7: partial", "read returned 0\r\n"];
    let at = out.indexOf(first) + first.length;
    for (const l of lines) {
      const k = out.indexOf(l, at);
      expect(k, `${JSON.stringify(l)} in ${JSON.stringify(out)}`).toBeGreaterThanOrEqual(0);
      at = k + l.length;
    }
    // The echo of what was typed (cooked mode echoes as input arrives).
    expect(out.split("hello\r\n").length - 1).toBe(2);
    expect(r.stderr.toString()).toBe("");
  }, 90_000);

  it("the default exojit run still passes the host's streams through", () => {
    const r = spawnSync(process.execPath, [CLI, "run", bin, "cat"], { input: "abc\n", env: { ...DEFAULT_ENV }, cwd: REPO, timeout: 60_000 });
    expect(r.stdout.toString()).toBe("isatty 0 0 0, foreground 0, session leader 1\ngot 4: abc\nread returned 0\n");
  }, 90_000);
});

/** A shell command line running exojit with `args`. */
function exojit(...args: string[]): string {
  return [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(" ");
}

/** Runs shell command `cmd` under script(1) on a new host pty; `steps` wait for output, then
 *  type. */
function underScript(cmd: string, steps: { waitFor: string; type: string }[]): Promise<{ out: string; status: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-q", "-e", "-f", "-c", cmd, "/dev/null"], { env: { ...DEFAULT_ENV, TERM: "dumb" }, cwd: REPO, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let step = 0;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`timed out at step ${step}; output so far: ${JSON.stringify(out)}`));
    }, 60_000);
    const advance = (): void => {
      while (step < steps.length && out.includes(steps[step].waitFor)) {
        child.stdin.write(steps[step].type);
        step++;
      }
    };
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString("latin1");
      advance();
    });
    child.stdin.on("error", () => {});
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ out, status });
    });
  });
}

describe("exojit run --console on a host terminal (script)", () => {
  beforeAll(() => {
    if (spawnSync("script", ["--version"]).status !== 0) throw new Error("script(1) is needed: apt-get install -y util-linux");
  });

  it("edits a typed line in the guest and ^C kills the spinning program", async () => {
    const r = await underScript(exojit("run", "--console", bin, "interactive"), [
      { waitFor: "name? ", type: "worlx\x7fd\x17wor\x16\x7f\x7fld\r" },
      { waitFor: "spinning", type: "\x03" },
    ]);
    expect(r.out).toContain("hello [world]");
    // The guest echoed the editing: "x", then backspace-space-backspace, and the ^C.
    expect(r.out).toContain("worlx\b \bd");
    expect(r.out).toContain("^C");
    expect(r.status).toBe(130);
  }, 90_000);

  it("Ctrl-A h lists the keys and Ctrl-A x quits with status 0, leaving the terminal cooked", async () => {
    const r = await underScript(`${exojit("run", "--console", bin, "interactive")}; echo "status $?"; stty -a`, [
      { waitFor: "name? ", type: "\x01h" },
      { waitFor: "C-a x", type: "\x01\x01\r" },
      { waitFor: "spinning", type: "\x01x" },
    ]);
    expect(r.out).toContain("C-a x    exit exojit");
    // C-a C-a typed a literal ^A, echoed by the guest as ^A.
    expect(r.out).toContain("hello [\x01]");
    expect(r.out).toContain("status 0");
    // stty after exojit: the host terminal is back in canonical mode with echo.
    expect(r.out).toMatch(/[^-]icanon/);
    expect(r.out).toMatch(/[^-]echo /);
  }, 90_000);
});
