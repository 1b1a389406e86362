// `exojit boot [IMAGE]`: a guest system from a disk image. The image is opened through the
// block device (locked against other exojits when read-write) and its ext2/ext3/ext4 file system
// mounted at /, with /proc, /dev and a tmpfs at /tmp (and /run when the image has it); init
// starts as pid 1 with root's credentials, on the guest's console (a UART and the terminal
// driver, on exojit's stdin and stdout) when stdin is a terminal. When init ends, whatever it left is killed, the disk
// is synced and unmounted, and init's status becomes exojit's. The image is closed (synced and
// unlocked) on every way out, errors included.

import type { BootArgs } from "./args.js";
import { cliError } from "./errors.js";
import { attachHostConsole, newMachine, runUntil, type Machine } from "./machine.js";
import { attachImage, mountImage } from "./disk.js";
import { Disks } from "../libexoc/disks.js";
import { defaultImage } from "./defaultimage.js";
import { ExecError } from "../libexoc/exec.js";
import { SysError } from "../libexoc/errors.js";
import { DEFAULT_FLAGS } from "../libexoc/vfs/mounts.js";
import { SYSTEM_CALLER, type Vfs } from "../libexoc/vfs/vfs.js";
import type { System } from "../libexoc/system.js";
import type { Process } from "../libexoc/process.js";
import { startProgram, logBanner } from "../posix/linux.js";
import { KERN_INFO } from "../libexoc/klog.js";

/** The environment init starts with (the kernel's, as Linux gives init). */
export const INIT_ENV = ["HOME=/", "TERM=linux"];
const S_IFMT = 0o170000, S_IFDIR = 0o040000;

export async function bootCommand(a: BootArgs): Promise<number> {
  const imagePath = a.image ?? defaultImage();
  const m = newMachine(a);
  const term = process.env.TERM;
  const env = term ? [INIT_ENV[0], `TERM=${term}`] : INIT_ENV;
  const link = a.console ? attachHostConsole(m) : null;
  const booted = startSystem(m, {
    image: imagePath, readOnly: a.readOnly, disks: a.disks, init: a.init, append: a.append, env,
    stdio: link !== null ? "console" : "host",
    warn: (line) => process.stderr.write(`exojit: ${line}\n`),
  });
  try {
    const r = await runUntil(m, a, booted.init, link);
    if (r.limited) throw cliError("insnLimit", String(a.maxInsns));
    // reboot(2): halting and powering off end the run as a machine would, the disk synced, with
    // status 0; so does a restart, which exojit does not do.
    const halt = m.sys.halt;
    if (halt !== null) {
      booted.disks.closeAll();
      const what = halt === "restart" ? "asked to restart, which exojit does not do: stopped" : halt === "poweroff" ? "powered off" : "halted";
      process.stderr.write(`${link !== null ? "\r\n" : ""}exojit: the guest ${what}; ${a.readOnly ? "the image was read-only" : "the disk is synced"}\n`);
      return 0;
    }
    // Quitting from the console (C-a x) is a shutdown the user asked for: the disk is synced
    // as the image is closed, and the status is 0.
    if (!r.quit) return booted.init.status;
    booted.disks.closeAll();
    process.stderr.write(`\r\nexojit: stopped from the console (C-a x); ${a.readOnly ? "the image was read-only" : "the disk is synced"}\n`);
    return 0;
  } finally {
    booted.close();
  }
}

/** What a system boots from: the image and extra disks, init and its arguments, environment
 *  and standard streams. */
export interface SystemSetup {
  image: string;
  readOnly: boolean;
  disks: readonly { path: string; readOnly: boolean }[];
  init: string;
  append: readonly string[];
  env: string[];
  /** init's fds 0-2: the console (attached before), exojit's own, or none (the caller's). */
  stdio: "console" | "host" | "none";
  /** Told when the image mounts read-only though read-write was asked for. */
  warn(line: string): void;
}

export interface BootedSystem {
  init: Process;
  disks: Disks;
  /** Syncs and closes the disks (idempotent). */
  close(): void;
}

/**
 * Assembles a system on machine `m` (what `exojit boot` and the embedding API's bootSystem
 * share): the boot image as /dev/sda and its file system at /, the extra disks, /proc, /dev,
 * tmpfs at /tmp and /run, and init started as pid 1. Refusals are CliErrors (one line); on any
 * failure the disks are closed again.
 */
export function startSystem(m: Machine, o: SystemSetup): BootedSystem {
  const { sys } = m;
  // The boot disk is /dev/sda (its file system on sda1 when it is partitioned), the extra
  // images /dev/sdb and on, for the guest to mount.
  const disks = new Disks(sys, m.kernel.blocks);
  const close = (): void => {
    disks.closeAll();
    m.kernel.blocks.detachAll();
  };
  try {
    logBanner(sys);
    const boot = disks.add(attachImage(o.image, o.readOnly, m.kernel.blocks), o.readOnly);
    for (const extra of o.disks) disks.add(attachImage(extra.path, extra.readOnly, m.kernel.blocks), extra.readOnly);
    const root = mountImage(disks, boot.name, o.image, o.readOnly);
    sys.rebootAllowed = true;
    sys.cmdline = ["root=/dev/sda", o.readOnly ? "ro" : "rw", `init=${o.init}`, ...o.append].join(" ");
    const readOnlyWhy = root.fs.readOnlyWhy;
    if (readOnlyWhy !== null && !o.readOnly) o.warn(`${o.image}: mounted read-only (${readOnlyWhy})`);
    const vfs = sys.newVfs(root, { readOnly: o.readOnly || readOnlyWhy !== null });
    sys.klog.log(KERN_INFO, `VFS: Mounted root (${root.fsType} filesystem)${o.readOnly || readOnlyWhy !== null ? " readonly" : ""} on device 8:0.`);
    mountScratch(sys, vfs);
    try {
      const first = startProgram({ sys, fs: vfs, path: o.init, argv: [o.init, ...o.append], env: o.env, cwd: "/", init: true, stdio: o.stdio });
      return { init: first.proc, disks, close };
    } catch (e) {
      if (e instanceof ExecError) throw cliError("cannotExec", `${o.image}:${o.init}`, e.reason);
      if (e instanceof SysError) throw cliError("noInit", o.image, o.init, e.errno);
      throw e;
    }
  } catch (e) {
    close();
    throw e;
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
