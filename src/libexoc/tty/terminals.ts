// The terminal devices of a system, as device-registry drivers and device nodes:
//   /dev/tty      (5,0)   the caller's controlling terminal; ENXIO without one
//   /dev/console  (5,1)   the console terminal (never becomes a controlling terminal by open)
//   /dev/ttyS0    (4,64)  the console's serial line (a session leader opening it acquires it)
//   /dev/ptmx     (5,2)   a new pseudo-terminal pair: the master
//   /dev/pts/N    (136,N) pty slaves, on the devpts file system mounted at /dev/pts
// Without a console (exojit run passing the host's streams through) the first process's
// session shares exojit's own terminal: there /dev/tty and /dev/console still reach the host's.

import type { System } from "../system.js";
import type { Task } from "../task.js";
import type { Process } from "../process.js";
import type { CapHandle } from "../../exokernel/caps.js";
import { sysError } from "../errors.js";
import type { OpenFile } from "../file.js";
import type { DeviceDriver, DeviceOpen } from "../vfs/devices.js";
import type { FsCaller } from "../volume.js";
import { TmpFs } from "../volumes/tmpfs.js";
import { addDeviceNode } from "../volumes/devfs.js";
import { anonDev } from "../volumes/anondev.js";
import { TTYAUX_MAJOR, TTY_MINOR, CONSOLE_MINOR } from "../vfs/memdev.js";
import { stdTermios, B115200, CS8, CREAD, HUPCL, CLOCAL } from "./termios.js";
import { Tty } from "./tty.js";
import { TtyFile } from "./ttyfile.js";
import { Pty, PtyMasterFile, type PtyOwner } from "./pty.js";
import { ConsoleDriver } from "./console.js";
import { DEV_CONSOLE } from "../exo/index.js";
import { acquireOnOpen } from "./jobctl.js";
import { later } from "../../exokernel/later.js";

export const TTY_MAJOR = 4, TTYS0_MINOR = 64, PTMX_MINOR = 2, UNIX98_PTY_SLAVE_MAJOR = 136;
/** Groups owning terminal nodes (Debian's "tty" and "dialout"). */
const TTY_GROUP = 5, DIALOUT_GROUP = 20;
/** Most pty pairs at once (Linux's default /proc/sys/kernel/pty/max). */
export const PTY_MAX = 4096;

export class Terminals implements PtyOwner {
  /** Live pty pairs by index. */
  readonly ptys = new Map<number, Pty>();
  /** The console terminal, once a console is attached. */
  console: Tty | null = null;
  /** The devpts file system (one instance, mounted at /dev/pts). */
  readonly devpts: TmpFs;
  /** The host's terminal (what /dev/tty and /dev/console were before a terminal of our own). */
  private readonly hostTty: DeviceDriver | undefined;

  constructor(private readonly sys: System) {
    this.devpts = new TmpFs({ dev: anonDev(), mode: 0o755, fsType: "devpts", shownOptions: "gid=5,mode=620,ptmxmode=000" });
    addDeviceNode(this.devpts, "ptmx", "char", TTYAUX_MAJOR, PTMX_MINOR, 0o000);
    addDeviceNode(sys.devfs, "ptmx", "char", TTYAUX_MAJOR, PTMX_MINOR, 0o666, 0, TTY_GROUP);
    this.hostTty = sys.devices.lookup("char", TTYAUX_MAJOR, TTY_MINOR);
    const r = sys.devices;
    r.register("char", TTYAUX_MAJOR, TTY_MINOR, { name: "tty", open: (o) => this.openCurrent(o) });
    r.register("char", TTYAUX_MAJOR, PTMX_MINOR, { name: "ptmx", open: (o) => this.openPtmx(o) });
    r.register("char", UNIX98_PTY_SLAVE_MAJOR, "*", { name: "pts", open: (o) => this.openSlave(o) });
    sys.fsTypes.register({ name: "devpts", nodev: true, mount: () => this.devpts });
  }

  private caller(who: FsCaller): Process | null {
    return this.sys.findProcess(who.proc.pid) ?? null;
  }

  /** /dev/tty: the caller's controlling terminal. */
  private openCurrent(o: DeviceOpen): OpenFile {
    const p = this.caller(o.who);
    if (p?.ctty) return new TtyFile(o.path, o.mode, p.ctty, o.stat);
    const first = this.sys.first;
    if (this.console === null && this.hostTty !== undefined && p !== null && first !== null && p.sid === first.sid && this.sys.hostSession) return this.hostTty.open(o);
    return sysError("ENXIO", "no controlling terminal");
  }

  /** /dev/ptmx: a new pair, its slave locked until unlockpt. */
  private openPtmx(o: DeviceOpen): OpenFile {
    let index = 0;
    while (this.ptys.has(index)) index++;
    if (index >= PTY_MAX) sysError("ENOSPC");
    const pty = new Pty(this.sys, index, this);
    this.ptys.set(index, pty);
    const owner = o.who.proc.fsuid ?? o.who.proc.euid;
    addDeviceNode(this.devpts, String(index), "char", UNIX98_PTY_SLAVE_MAJOR, index, 0o620, owner, TTY_GROUP);
    return new PtyMasterFile(o.path, o.mode, pty, o.stat);
  }

  /** `p`'s master closed: the pair and its /dev/pts node go. */
  ptyGone(p: Pty): void {
    this.ptys.delete(p.index);
    const name = Buffer.from(String(p.index), "latin1");
    if (this.devpts.lookup(this.devpts.rootNode, name) !== null) this.devpts.unlink(this.devpts.rootNode, name);
  }

  /** /dev/pts/N: a slave (EIO while locked or after its master closed). */
  private openSlave(o: DeviceOpen): OpenFile {
    const pty = this.ptys.get(o.minor);
    if (pty === undefined) return sysError("EIO");
    const f = new TtyFile(o.path, o.mode, pty.slave, o.stat);
    const p = this.caller(o.who);
    if (p !== null) acquireOnOpen(p, pty.slave, o.mode.read, o.noctty);
    return f;
  }

  /** Attaches the console capability `cap` as the console terminal: /dev/console and
   *  /dev/ttyS0 open it from now on. */
  attachConsole(cap: CapHandle): Tty {
    const drv = new ConsoleDriver(this.sys.kernel, cap);
    // exojit_dev_open of the console: a capability derived from this one (there is one console).
    this.sys.exo.provide(DEV_CONSOLE, (index, rights) => {
      if (index !== 0) sysError("ENXIO", `no console ${index}`);
      return this.sys.kernel.caps.derive(cap, rights);
    });
    const tty = new Tty(this.sys, "console", drv, stdTermios(B115200 | CS8 | CREAD | HUPCL | CLOCAL));
    this.console = tty;
    drv.attach(tty);
    const r = this.sys.devices;
    r.register("char", TTYAUX_MAJOR, CONSOLE_MINOR, { name: "console", open: (o) => new TtyFile(o.path, o.mode, tty, o.stat) });
    r.register("char", TTY_MAJOR, TTYS0_MINOR, {
      name: "ttyS",
      open: (o) => {
        const f = new TtyFile(o.path, o.mode, tty, o.stat);
        const p = this.caller(o.who);
        if (p !== null) acquireOnOpen(p, tty, o.mode.read, o.noctty);
        return f;
      },
    });
    addDeviceNode(this.sys.devfs, "ttyS0", "char", TTY_MAJOR, TTYS0_MINOR, 0o660, 0, DIALOUT_GROUP);
    return tty;
  }

  /** Gives task `t` (a new session's leader) the console as fds 0, 1 and 2 (one open file
   *  description, as init gets it) and as its controlling terminal. */
  consoleStdio(t: Task, controlling = true): void {
    const tty = this.console;
    if (tty === null) return sysError("ENXIO", "no console attached");
    const dev = this.sys.devfs;
    const node = dev.lookup(dev.rootNode, Buffer.from("console", "latin1"));
    if (node === null) return sysError("ENOENT", "/dev/console");
    const f = new TtyFile("/dev/console", { read: true, write: true, append: false, nonblock: false }, tty, later(dev, "getattr", node));
    t.fds.add(f);
    for (let k = 1; k < 3; k++) {
      f.refs++;
      t.fds.add(f);
    }
    if (controlling) tty.attach(t.proc);
  }
}
