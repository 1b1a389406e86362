// Conformance with a real third-party program: Debian's static i386 busybox. Each applet runs
// natively (the host runs i386 code) and under exojit, with the same arguments, input and
// working directory contents, and must print the same bytes and end with the same status.
// The file-system sequence runs command after command in a fresh directory per side.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, it } from "vitest";
import { ensureBusybox, expectSameRun, limiter, runExojitAsync, runNativeAsync, type RunResult } from "./helpers/guest.js";

const slot = limiter(2);
let bb = "";
const dirs: string[] = [];

const INPUT = ["3 banana", "10 apple", "3 banana", "7 cherry:red", "1 date", ""].join("\n");

/** Applets that read stdin or arguments only. */
const APPLETS: [string, string[]][] = [
  ["echo", ["hello", "world"]],
  ["printf", ["%05d|%s|%x\\n", "42", "x", "255"]],
  ["seq", ["1", "3", "20"]],
  ["expr", ["6", "*", "7"]],
  ["basename", ["/a/b/c.txt", ".txt"]],
  ["sort", ["-n"]],
  ["sort", ["-r", "-k2"]],
  ["uniq", ["-c"]],
  ["wc", []],
  ["cut", ["-d", ":", "-f2"]],
  ["tr", ["a-z", "A-Z"]],
  ["sed", ["-e", "s/an/AN/g", "-e", "/date/d"]],
  ["awk", ["{ s += $1 } END { printf \"%d %.4f %s\\n\", s, s / 3, toupper($2) }"]],
  ["grep", ["-n", "-e", "an", "-e", "ch"]],
  ["head", ["-n", "2"]],
  ["tail", ["-n", "2"]],
  ["od", ["-An", "-tx1", "-N", "16"]],
  ["md5sum", []],
  ["sha256sum", []],
  ["base64", []],
  ["sh", ["-c", "x=3; while [ $x -gt 0 ]; do echo $((x * x)); x=$((x - 1)); done; echo ${PWD:+set}"]],
  ["test", ["-n", "abc"]],
  ["false", []],
];

/** A file-system session: each command is a separate busybox process in the same directory. */
const SESSION: string[][] = [
  ["mkdir", "-p", "a/b/c"],
  ["touch", "a/f", "a/b/g"],
  ["ls", "-a", "a"],
  ["cp", "a/f", "a/copy"],
  ["mv", "a/copy", "a/b/moved"],
  ["ln", "-s", "moved", "a/b/link"],
  ["chmod", "640", "a/b/moved"],
  ["stat", "-c", "%n %s %a %F", "a/b/moved", "a/b/link", "a/b/c"],
  ["find", "a", "-type", "f"],
  ["du", "-a", "a"],
  ["rm", "a/b/link"],
  ["rmdir", "a/b/c"],
  ["rm", "-r", "a"],
  ["ls", "-a"],
];

beforeAll(() => {
  bb = ensureBusybox();
}, 300_000);

afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "exojit-bb-"));
  dirs.push(d);
  return d;
}

describe.concurrent("busybox applets: native vs exojit", () => {
  for (const [applet, args] of APPLETS) {
    it(`${applet} ${args.join(" ")}`.slice(0, 60), async () => {
      const opts = { stdin: INPUT };
      const n = await slot(() => runNativeAsync(bb, [applet, ...args], opts));
      const e = await slot(() => runExojitAsync(bb, [applet, ...args], opts));
      expectSameRun(n, e, applet);
    });
  }

  it("a file-system session (mkdir, touch, cp, mv, ln, chmod, stat, find, du, rm)", async () => {
    const run = async (side: "native" | "exojit"): Promise<RunResult[]> => {
      const cwd = tempDir();
      const out: RunResult[] = [];
      for (const cmd of SESSION) {
        out.push(await slot(() => (side === "native" ? runNativeAsync(bb, cmd, { cwd }) : runExojitAsync(bb, cmd, { cwd }))));
      }
      return out;
    };
    const [n, e] = await Promise.all([run("native"), run("exojit")]);
    SESSION.forEach((cmd, k) => expectSameRun(n[k], e[k], cmd.join(" ")));
  }, 300_000);
});
