// What the program-snapshot tests (tests/api/progsnap.test.ts, snapserial.test.ts) share: the
// data file tests/guest/snap_target.c reads, in a temporary directory of the test file's own,
// the stop at a program's read of its input, and the native run that is the oracle.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import type { LoadedProgram, ProgramStop, SystemCall } from "../../src/index.js";
import { DEFAULT_ENV, runNative } from "./guest.js";

/** A temporary directory (`dir`) with snap_target.c's data file (`data`), made before the
 *  calling test file's tests and removed after them. */
export function snapTargetFiles(prefix: string): { dir: string; data: string } {
  const tmp = { dir: "", data: "" };
  beforeAll(() => {
    tmp.dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    tmp.data = path.join(tmp.dir, "data.txt");
    fs.writeFileSync(tmp.data, "abcdefghijklmnopqrstuvwxyz0123456789, and the rest of the file\n");
  });
  afterAll(() => {
    fs.rmSync(tmp.dir, { recursive: true, force: true });
  });
  return tmp;
}

/** The program's read of its standard input. */
export const readsStdin = (c: SystemCall): boolean => c.nr === 3 && c.args[0] === 0;

/** A native run; `args` is argv (argv[0] included). */
export function native(bin: string, args: string[], input: string): { out: string; status: number } {
  const r = runNative(bin, args.slice(1), { env: { ...DEFAULT_ENV }, stdin: input, cwd: "/" });
  return { out: r.stdout.toString(), status: r.status };
}

/** What a finished run printed and how it ended, as one string to compare runs by. */
export function outcome(p: LoadedProgram, end: ProgramStop): string {
  return `${p.stdout.toString()}${p.stderr.toString()}|${end.reason === "exit" ? end.status : end.reason}`;
}

/** Runs `p` to its end, stopping at every `every`th system call for `atStop` (which takes a
 *  snapshot there); returns the run's outcome. */
export async function runStoppingEvery(p: LoadedProgram, every: number, atStop: () => void): Promise<string> {
  let calls = 0;
  for (;;) {
    const r = await p.run({ stopAt: () => ++calls % every === 0 });
    if (r.reason === "exit") return outcome(p, r);
    expect(r.reason).toBe("syscall");
    atStop();
  }
}
