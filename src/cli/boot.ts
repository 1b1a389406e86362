// `exojit boot [IMAGE]`: a guest system from a disk image. The image is opened through the
// block device (locked against other exojits when read-write) and its ext2/ext3/ext4 file system
// mounted at /, with /proc, /dev and a tmpfs at /tmp (and /run when the image has it); init
// starts as pid 1 with root's credentials, on the guest's console (a UART and the terminal
// driver, on exojit's stdin and stdout) when stdin is a terminal. When init ends, whatever it left is killed, the disk
// is synced and unmounted, and init's status becomes exojit's. The image is closed (synced and
// unlocked) on every way out, errors included.

import type { BootArgs } from "./args.js";
import { cliError } from "./errors.js";
import { attachHostConsole, newMachine, runUntil } from "./machine.js";
import { attachImage, mountImage } from "./disk.js";
import { Disks } from "../libexoc/disks.js";
import { defaultImage } from "./defaultimage.js";
import { ExecError } from "../libexoc/exec.js";
import { SysError } from "../libexoc/errors.js";
import { DEFAULT_FLAGS } from "../libexoc/vfs/mounts.js";
import { SYSTEM_CALLER, type Vfs } from "../libexoc/vfs/vfs.js";
import type { System } from "../libexoc/system.js";
import { startProgram } from "../posix/linux.js";

/** The environment init starts with (the kernel's, as Linux gives init). */
const INIT_ENV = ["HOME=/", "TERM=linux"];
const S_IFMT = 0o170000, S_IFDIR = 0o040000;

export async function bootCommand(a: BootArgs): Promise<number> {
  const imagePath = a.image ?? defaultImage();
  const m = newMachine(a);
  const { sys } = m;
  // The boot disk is /dev/sda (its file system on sda1 when it is partitioned), the --disk
  // images /dev/sdb and on, for the guest to mount.
  const disks = new Disks(sys, m.kernel.blocks);
  try {
    const boot = disks.add(attachImage(imagePath, a.readOnly, m.kernel.blocks), a.readOnly);
    for (const extra of a.disks) disks.add(attachImage(extra.path, extra.readOnly, m.kernel.blocks), extra.readOnly);
    const root = mountImage(disks, boot.name, imagePath, a.readOnly);
    const readOnlyWhy = root.fs.readOnlyWhy;
    if (readOnlyWhy !== null && !a.readOnly) process.stderr.write(`exojit: ${imagePath}: mounted read-only (${readOnlyWhy})\n`);
    const vfs = sys.newVfs(root, { readOnly: a.readOnly || readOnlyWhy !== null });
    mountScratch(sys, vfs);
    const term = process.env.TERM;
    const env = term ? [INIT_ENV[0], `TERM=${term}`] : INIT_ENV;
    const link = a.console ? attachHostConsole(m) : null;
    let first;
    try {
      first = startProgram({ sys, fs: vfs, path: a.init, argv: [a.init, ...a.append], env, cwd: "/", init: true, stdio: link !== null ? "console" : "host" });
    } catch (e) {
      if (e instanceof ExecError) throw cliError("cannotExec", `${imagePath}:${a.init}`, e.reason);
      if (e instanceof SysError) throw cliError("noInit", imagePath, a.init, e.errno);
      throw e;
    }
    const init = first.proc;
    const r = await runUntil(m, a, init, link);
    if (r.limited) throw cliError("insnLimit", String(a.maxInsns));
    // Quitting from the console (C-a x) is a shutdown the user asked for: the disk is synced
    // as the image is closed, and the status is 0.
    if (!r.quit) return init.status;
    disks.closeAll();
    process.stderr.write(`\r\nexojit: stopped from the console (C-a x); ${a.readOnly ? "the image was read-only" : "the disk is synced"}\n`);
    return 0;
  } finally {
    disks.closeAll();
    m.kernel.blocks.detachAll();
  }
}

/** tmpfs at /tmp (always: a read-only image still gets a writable /tmp) and at /run when the
 *  image has that directory. */
function mountScratch(sys: System, vfs: Vfs): void {
  const flags = { ...DEFAULT_FLAGS, nosuid: true, nodev: true };
  vfs.mountInternal(sys.tmpfs("mode=1777"), "/tmp", "tmpfs", flags);
  let run = false;
  try {
    run = (vfs.stat(SYSTEM_CALLER, "/run", "/", true).mode & S_IFMT) === S_IFDIR;
  } catch (e) {
    if (!(e instanceof SysError)) throw e;
  }
  if (run) vfs.mountInternal(sys.tmpfs("mode=755"), "/run", "tmpfs", flags);
}
