// System calls with random numbers and arguments, made from inside guests (tests/guest/fuzz.c:
// workers that fork and start threads, replaced when they die or block for good). exojit must
// never crash (status 0, no internal error), hang (the test's timeout), or leak host file
// descriptors (counted in /proc while the guest lingers at the end). Seeds are fixed so a
// failure can be replayed: `exojit run fuzz SEED 20 3000`; EXOJIT_FUZZ_SEEDS=a,b,c picks others.

import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildGuest, CLI, DEFAULT_ENV } from "./helpers/guest.js";

const SEEDS = (process.env.EXOJIT_FUZZ_SEEDS ?? "1,2").split(",").map(Number);
const WORKERS = 20;
const CALLS = 3000;

interface FuzzRun {
  status: number;
  stdout: string;
  stderr: string;
  /** Host descriptors exojit had open while the guest lingered after its report. */
  openFds: number;
}

function fuzz(bin: string, seed: number): Promise<FuzzRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "exojit-fuzz-"));
  fs.mkdirSync(path.join(dir, "sub"));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, "run", bin, String(seed), String(WORKERS), String(CALLS)], { cwd: dir, env: { ...DEFAULT_ENV }, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [], err: Buffer[] = [];
    let openFds = -1;
    child.stdout.on("data", (b: Buffer) => {
      out.push(b);
      if (openFds < 0 && Buffer.concat(out).includes("fuzz done")) {
        // The guest sleeps 1.5 s after its report: count exojit's open files meanwhile.
        setTimeout(() => {
          try {
            openFds = fs.readdirSync(`/proc/${child.pid}/fd`).length;
          } catch {
            openFds = -2;
          }
        }, 500);
      }
    });
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.stdin.end();
    child.on("error", reject);
    child.on("close", (code, sig) => {
      fs.rmSync(dir, { recursive: true, force: true });
      resolve({ status: sig !== null ? 128 + 9 : (code ?? -1), stdout: Buffer.concat(out).toString("latin1"), stderr: Buffer.concat(err).toString("latin1"), openFds });
    });
  });
}

describe("random system calls from inside the guest", () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}: ${WORKERS} workers of ${CALLS} calls, with forks and threads`, async () => {
      const bin = buildGuest("fuzz.c", { flags: ["-pthread"] });
      const r = await fuzz(bin, seed);
      expect(r.stderr, "exojit reported an internal error").not.toMatch(/internal error|exojit:/);
      expect(r.status, r.stderr).toBe(0);
      const m = /fuzz done: (\d+) calls/.exec(r.stdout);
      expect(m, r.stdout.slice(-500)).not.toBeNull();
      expect(Number(m?.[1])).toBeGreaterThan(10_000);
      // A leak of one descriptor per guest file would show as thousands.
      expect(r.openFds).toBeGreaterThan(0);
      expect(r.openFds).toBeLessThan(64);
    }, 240_000);
  }
});
