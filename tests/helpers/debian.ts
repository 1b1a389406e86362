// A Debian i386 root file system for the tests that run Debian's own binaries: made once with
// `debootstrap --variant=minbase --arch=i386 bookworm` (plus procps) and cached outside the
// repository, so every later run reuses it. `.ci/run` creates it before the tests; a test run
// as root creates it on demand. EXOJIT_DEBIAN_ROOT names another root to use.
//
// The same root serves both sides of a comparison: natively under `chroot ROOT` (the host
// kernel is the oracle) and under `exojit run --root ROOT`.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** Where the root is cached unless EXOJIT_DEBIAN_ROOT says otherwise. */
export const DEFAULT_DEBIAN_ROOT = "/var/cache/exojit/debian-bookworm-i386";
/** Packages beyond minbase the tests use (a root made before one was added gets it from
 *  ensurePackages). */
export const DEBIAN_EXTRA_PACKAGES = ["procps", "strace"];
/** Written last by a complete bootstrap: a root without it is unfinished. */
const STAMP = ".exojit-root-complete";

function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

function complete(dir: string): boolean {
  return fs.existsSync(path.join(dir, STAMP)) && fs.existsSync(path.join(dir, "bin", "bash"));
}

/** The command that makes the root (also what a non-root user is told to run). */
export function bootstrapCommand(dir: string): string[] {
  return ["debootstrap", "--variant=minbase", "--arch=i386", `--include=${DEBIAN_EXTRA_PACKAGES.join(",")}`, "bookworm", dir];
}

/** Installs into `dir` (with apt-get under chroot, as root) those of DEBIAN_EXTRA_PACKAGES a
 *  root made before they were added lacks (each is known by a program of its own). */
function ensurePackages(dir: string): void {
  const missing = DEBIAN_EXTRA_PACKAGES.filter((p) => !fs.existsSync(path.join(dir, "usr", "bin", PACKAGE_PROGRAM[p] ?? p)));
  if (missing.length === 0 || !isRoot()) return;
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  spawnSync("chroot", [dir, "apt-get", "update", "-qq"], { stdio: "ignore", env });
  const r = spawnSync("chroot", [dir, "apt-get", "install", "-y", "-qq", "--no-install-recommends", ...missing], { encoding: "utf8", env });
  if (r.status !== 0) throw new Error(`installing ${missing.join(" ")} into ${dir} failed:\n${(r.stdout ?? "").slice(-2000)}\n${(r.stderr ?? "").slice(-2000)}`);
}

/** A program each extra package installs (for ensurePackages). */
const PACKAGE_PROGRAM: Record<string, string> = { procps: "ps", strace: "strace" };

/** Creates the root (as root; takes a few minutes) unless it is there. Returns its path. */
export function debianRoot(): string {
  const dir = process.env.EXOJIT_DEBIAN_ROOT ?? DEFAULT_DEBIAN_ROOT;
  if (complete(dir)) {
    ensurePackages(dir);
    return dir;
  }
  if (process.env.EXOJIT_DEBIAN_ROOT !== undefined && fs.existsSync(path.join(dir, "bin", "bash"))) return dir;
  if (!isRoot()) throw new Error(`a Debian i386 root is needed at ${dir}: sudo ${bootstrapCommand(dir).join(" ")} && sudo touch ${dir}/${STAMP}`);
  if (spawnSync("which", ["debootstrap"]).status !== 0) {
    spawnSync("apt-get", ["install", "-y", "-qq", "debootstrap"], { stdio: "ignore", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  }
  const tmp = `${dir}.partial`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const [cmd, ...args] = bootstrapCommand(tmp);
  const r = spawnSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== 0) throw new Error(`debootstrap failed (status ${r.status}):\n${(r.stdout ?? "").slice(-2000)}\n${(r.stderr ?? "").slice(-2000)}`);
  fs.writeFileSync(path.join(tmp, STAMP), new Date().toISOString() + "\n");
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  return dir;
}
