// The Debian i386 root file system that tests run Debian's own programs in (`exojit run --root`).
// It is a `debootstrap --variant=minbase --arch=i386 bookworm` tree plus `apt-get install
// procps`. debianRoot() is the one place tests get it from: CI replaces it with a helper that
// creates and caches the root; until then the environment names it.

import * as fs from "node:fs";
import * as path from "node:path";

/** Environment variable naming the root. */
export const DEBIAN_ROOT_VAR = "EXOJIT_DEBIAN_ROOT";

/** Programs the tests need in the root (procps and the shell). */
const NEEDED = ["bin/sh", "bin/ps", "usr/bin/top", "usr/bin/free", "usr/bin/pgrep", "bin/pidof", "lib/ld-linux.so.2"];

/**
 * The Debian i386 root: the directory $EXOJIT_DEBIAN_ROOT names. Throws an Error saying what to
 * do when it is unset or lacks what the tests run: never a silent skip.
 */
export function debianRoot(): string {
  const root = process.env[DEBIAN_ROOT_VAR];
  if (root === undefined || root === "") {
    throw new Error(
      `${DEBIAN_ROOT_VAR} is not set: set it to a Debian i386 root with procps, e.g. made with ` +
        "`debootstrap --variant=minbase --arch=i386 bookworm ROOT && chroot ROOT apt-get install -y procps`",
    );
  }
  const missing = NEEDED.filter((p) => !fs.existsSync(path.join(root, p)));
  if (missing.length > 0) throw new Error(`${DEBIAN_ROOT_VAR}=${root} lacks ${missing.join(", ")} (install procps in it)`);
  return fs.realpathSync(root);
}
