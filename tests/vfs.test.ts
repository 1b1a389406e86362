// The file-system name space, differential: guest programs that exercise permissions as an
// unprivileged user (perms.c), locks and concurrent writers between processes (locks.c) and
// mounts (mounts.c: natively inside a mount name space of its own) run natively and under
// exojit with every engine, each in a fresh working directory; stdout, stderr and the exit
// status must match byte for byte. They need root natively (as CI runs them); a native run
// that is not root, or cannot make a mount name space, says so and the test demands instead
// that exojit (root inside its guest) shows the mount behaviour the program checks.

import { expect } from "vitest";
import { expectSameRun } from "./helpers/guest.js";
import { differentialSuite, type DiffCase } from "./helpers/differential.js";

const CASES: DiffCase[] = [
  { name: "perms: mode bits, sticky and set-group-ID directories, chmod/chown/utimes rules, access, setfsuid, exec as uid 1000", src: "perms.c" },
  { name: "locks: fcntl record locks (waiting, EDEADLK), OFD locks, flock, O_APPEND and O_EXCL between processes, fsync", src: "locks.c" },
  { name: "mounts: tmpfs over a directory, EXDEV, busy mounts, nested and bind mounts, remount read-only, /proc/self/mounts", src: "mounts.c" },
];

differentialSuite({
  cases: CASES,
  tmpPrefix: "exojit-vfs-",
  oracleTitle: "file-system programs natively (the oracle itself)",
  oracleTest: (c) => `${c.src} exits 0 and reports`,
  nativeTimeoutMs: 60_000,
  exojitTimeoutMs: 180_000,
  checkNative: (_c, r) => {
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(r.stderr.toString()).toBe("");
    expect(r.stdout.length).toBeGreaterThan(0);
  },
  compare: (c, n, e, engine) => {
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
  },
});
