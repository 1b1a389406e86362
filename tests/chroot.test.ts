// chroot, differential: tests/guest/chroot.c builds a jail in a fresh working directory and
// runs natively (the host kernel is the oracle) and under exojit with every engine. The
// oracle must be root to chroot, as CI is; elsewhere the suite says why it does not run.

import { describe, expect, it } from "vitest";
import { differentialSuite } from "./helpers/differential.js";

const root = typeof process.getuid === "function" && process.getuid() === 0;

if (root) {
  differentialSuite({
    // (each run in a fresh directory: the program makes its jail in the working directory)
    tmpPrefix: "exojit-chroot-",
    cases: [{ name: "chroot: paths, .. and absolute links confined, the working directory, exec and fork inside, nesting, ENOENT/ENOTDIR/EPERM/EFAULT", src: "chroot.c" }],
    oracleTitle: "the chroot program natively (the oracle itself)",
    checkNative: (_c, r) => {
      expect(r.status, r.stderr.toString()).toBe(0);
      expect(r.stdout.toString()).toContain("inside, the child program reads /etc/name: the jail's");
      expect(r.stdout.toString()).not.toContain("-1 Success"); // errno captured right (TRY)
    },
  });
} else {
  describe("chroot", () => {
    it.skip("needs root: the native oracle must be allowed to chroot", () => {});
  });
}
