// The file-system name space, differential: guest programs that exercise permissions as an
// unprivileged user (perms.c), locks and concurrent writers between processes (locks.c) and
// mounts (mounts.c: natively inside a mount name space of its own) run natively and under
// exojit with every engine, each in a fresh working directory; stdout, stderr and the exit
// status must match byte for byte. They need root natively (as CI runs them); a native run
// that is not root, or cannot make a mount name space, says so and the test demands instead
// that exojit (root inside its guest) shows the mount behaviour the program checks.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildGuest, ensureToolchain, expectSameRun, limiter, runExojitAsync, runNativeAsync, type RunResult } from "./helpers/guest.js";

const ENGINES = ["auto", "interp", "jit"] as const;
const slot = limiter(2);

interface Case {
  name: string;
  src: string;
}

const CASES: Case[] = [
  { name: "perms: mode bits, sticky and set-group-ID directories, chmod/chown/utimes rules, access, setfsuid, exec as uid 1000", src: "perms.c" },
  { name: "locks: fcntl record locks (waiting, EDEADLK), OFD locks, flock, O_APPEND and O_EXCL between processes, fsync", src: "locks.c" },
  { name: "mounts: tmpfs over a directory, EXDEV, busy mounts, nested and bind mounts, remount read-only, /proc/self/mounts", src: "mounts.c" },
];

const bins = new Map<Case, string>();
const dirs: string[] = [];

function freshDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "exojit-vfs-"));
  dirs.push(d);
  return d;
}

const nativeRuns = new Map<Case, Promise<RunResult>>();
function native(c: Case): Promise<RunResult> {
  let p = nativeRuns.get(c);
  if (p === undefined) {
    p = slot(() => runNativeAsync(bins.get(c) as string, [], { cwd: freshDir(), timeoutMs: 60_000 }));
    nativeRuns.set(c, p);
  }
  return p;
}

beforeAll(() => {
  ensureToolchain();
  for (const c of CASES) bins.set(c, buildGuest(c.src));
}, 120_000);

afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe("file-system programs natively (the oracle itself)", () => {
  for (const c of CASES) {
    it.concurrent(`${c.src} exits 0 and reports`, async () => {
      const r = await native(c);
      expect(r.status, r.stderr.toString()).toBe(0);
      expect(r.stderr.toString()).toBe("");
      expect(r.stdout.length).toBeGreaterThan(0);
    }, 120_000);
  }
});

for (const engine of ENGINES) {
  describe(`exojit --engine ${engine} matches the native run`, () => {
    for (const c of CASES) {
      it.concurrent(c.name, async () => {
        const n = await native(c);
        const e = await slot(() => runExojitAsync(bins.get(c) as string, [], { engine, cwd: freshDir(), timeoutMs: 180_000 }));
        const out = n.stdout.toString();
        if (out.startsWith("not run as root") || out.startsWith("no mount name space")) {
          // No oracle here: the guest (root under exojit) must still see what Linux shows.
          expect(e.status, e.stderr.toString()).toBe(0);
          if (c.src === "mounts.c") {
            const text = e.stdout.toString();
            for (const line of ["mount tmpfs on m (size=1m)                   ok", "    none ./m tmpfs rw,relatime,size=1024k 0 0", "rename m/f to ./moved (other mount)          Invalid cross-device link", "umount m with a file open in it              Device or resource busy", "  ls m: . .. under"]) {
              expect(text).toContain(line);
            }
          }
          return;
        }
        expectSameRun(n, e, `${c.src} --engine ${engine}`);
      }, 300_000);
    }
  });
}
