// /dev: a tmpfs (devtmpfs, as Linux names it) holding the device nodes every system has: the
// memory devices, the terminal's tty and console, links to the caller's descriptors through
// /proc (fd, stdin, stdout, stderr), and empty pts/ and shm/ (shm sticky and open to all, as
// /dev/shm is). What opening each node means is the device registry's business.

import { S_IFCHR } from "../file.js";
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
  return v;
}
