// /dev: a tmpfs (devtmpfs, as Linux names it) holding the device nodes every system has: the
// memory devices, the terminal's tty and console, links to the caller's descriptors through
// /proc (fd, stdin, stdout, stderr), and empty pts/, shm/ and mqueue/ (sticky and open to all:
// the system mounts a tmpfs and the mqueue file system on the last two). What opening each
// node means is the device registry's business.

import { S_IFCHR, S_IFBLK } from "../file.js";
import { sysError } from "../errors.js";
import { makeDev } from "../vfs/devices.js";
import { MEM_DEVICES, MEM_MAJOR, TTYAUX_MAJOR, TTY_MINOR, CONSOLE_MINOR } from "../vfs/memdev.js";
import type { PageCache } from "../pagecache.js";
import { TmpFs } from "./tmpfs.js";

/** devtmpfs's device, 0:5 as on Linux. */
export const DEVTMPFS_DEV = makeDev(0, 5);

/** Group of the terminal devices (Debian's "tty"). */
const TTY_GROUP = 5;

export function makeDevfs(pageCache: PageCache | null = null): TmpFs {
  const v = new TmpFs({ dev: DEVTMPFS_DEV, mode: 0o755, fsType: "devtmpfs", pageCache, shownOptions: "mode=755" });
  const root = v.rootNode;
  const name = (s: string): Buffer => Buffer.from(s, "latin1");
  for (const d of MEM_DEVICES) v.create(root, name(d.name), S_IFCHR | 0o666, makeDev(MEM_MAJOR, d.minor), 0, 0);
  v.create(root, name("tty"), S_IFCHR | 0o666, makeDev(TTYAUX_MAJOR, TTY_MINOR), 0, TTY_GROUP);
  v.create(root, name("console"), S_IFCHR | 0o600, makeDev(TTYAUX_MAJOR, CONSOLE_MINOR), 0, 0);
  v.symlink(root, name("fd"), name("/proc/self/fd"), 0, 0);
  ["stdin", "stdout", "stderr"].forEach((s, k) => v.symlink(root, name(s), name(`/proc/self/fd/${k}`), 0, 0));
  v.mkdir(root, name("pts"), 0o755, 0, 0);
  v.mkdir(root, name("shm"), 0o1777, 0, 0);
  v.mkdir(root, name("mqueue"), 0o1777, 0, 0);
  return v;
}

/** Adds a device node to /dev (or a directory of it, "pts/0"): how a driver makes its devices
 *  appear (the terminal's tty1..N, a disk's sda). An existing node of that name is replaced. */
export function addDeviceNode(v: TmpFs, path: string, kind: "char" | "block", major: number, minor: number, perm: number, uid = 0, gid = 0): void {
  const parts = path.split("/").filter((s) => s !== "");
  const last = parts.pop();
  if (last === undefined) return sysError("EINVAL");
  let dir = v.root({ tid: 0, proc: { pid: 0, euid: 0, egid: 0, groups: [] } });
  for (const p of parts) {
    const next = v.lookup(dir, Buffer.from(p, "latin1"));
    dir = next ?? v.mkdir(dir, Buffer.from(p, "latin1"), 0o755, 0, 0);
  }
  const name = Buffer.from(last, "latin1");
  if (v.lookup(dir, name) !== null) v.unlink(dir, name);
  v.create(dir, name, (kind === "char" ? S_IFCHR : S_IFBLK) | (perm & 0o7777), makeDev(major, minor), uid, gid);
}

/** Removes a device node from the top of /dev (a device that went away), if it is there. */
export function removeDeviceNode(v: TmpFs, name: string): void {
  const dir = v.root({ tid: 0, proc: { pid: 0, euid: 0, egid: 0, groups: [] } });
  const n = Buffer.from(name, "latin1");
  if (v.lookup(dir, n) !== null) v.unlink(dir, n);
}
