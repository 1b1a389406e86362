// Exclusive use of a disk image between exojit processes. Node has no flock(2), so the lock is
// a file created with O_EXCL (atomic on local file systems) holding the owner's pid and start
// time. It lives in a directory of the host's temporary directory, named by the image's device
// and inode numbers, so the same image reached by another path or a hard link is the same lock,
// and images in read-only directories can be locked too.
//
// A lock whose owner is gone (killed with SIGKILL, the host rebooted) is stale: the pid is not
// running, or is running but started at another time (a reused pid). A stale lock is taken over
// by renaming it away first (only one of several racing openers can rename a given file) and
// checking that what was renamed is still the stale lock it judged, putting it back otherwise.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** Why an image is locked: the pid of the exojit that has it open read-write. */
export class ImageLockedError extends Error {
  constructor(readonly pid: number) {
    super(`in use read-write by another exojit (pid ${pid})`);
  }
}

/** The directory holding image locks. */
export function lockDir(): string {
  return process.env.EXOJIT_LOCK_DIR ?? path.join(os.tmpdir(), "exojit-locks");
}

/** Start time of process `pid` in clock ticks since boot (Linux /proc), or "" if unknown. */
function startTime(pid: number): string {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces and parentheses).
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? "";
  } catch {
    return "";
  }
}

function alive(pid: number, started: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as { code?: string }).code !== "EPERM") return false;
  }
  const now = startTime(pid);
  return now === "" || started === "" || now === started;
}

/** The owner recorded in a lock file's text, or null if unreadable. */
function owner(text: string): { pid: number; started: string } | null {
  const m = /^(\d+) (\S*)\n?$/.exec(text);
  return m ? { pid: Number(m[1]), started: m[2] } : null;
}

function readText(p: string): string | null {
  try {
    return fs.readFileSync(p, "utf8");
  } catch {
    return null;
  }
}

export class ImageLock {
  private released = false;
  private readonly onExit = (): void => this.release();

  private constructor(
    readonly file: string,
    private readonly text: string,
  ) {
    process.on("exit", this.onExit);
  }

  /** The lock file for the image open as host descriptor `fd`. */
  static pathFor(fd: number): string {
    const st = fs.fstatSync(fd, { bigint: true });
    return path.join(lockDir(), `${st.dev}-${st.ino}.lock`);
  }

  /** Takes the lock of the image open as `fd`; throws ImageLockedError if a live exojit
   *  holds it. */
  static acquire(fd: number): ImageLock {
    const file = ImageLock.pathFor(fd);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o1777 });
    const text = `${process.pid} ${startTime(process.pid)}\n`;
    for (let attempt = 0; attempt < 8; attempt++) {
      try {
        const lfd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o644);
        try {
          fs.writeSync(lfd, text);
        } finally {
          fs.closeSync(lfd);
        }
        return new ImageLock(file, text);
      } catch (e) {
        if ((e as { code?: string }).code !== "EEXIST") throw e;
      }
      const seen = readText(file);
      if (seen === null) continue; // released meanwhile
      const o = owner(seen);
      // A lock being written (empty for an instant) counts as live.
      if (o === null && seen === "") continue;
      if (o !== null && alive(o.pid, o.started)) throw new ImageLockedError(o.pid);
      const aside = `${file}.stale-${process.pid}`;
      try {
        fs.renameSync(file, aside);
      } catch {
        continue; // another opener took it over first
      }
      if (readText(aside) !== seen) {
        // We moved a fresh lock someone made after our look: put it back.
        try {
          fs.linkSync(aside, file);
        } catch {
          // a third opener already holds a new one
        }
      }
      fs.rmSync(aside, { force: true });
    }
    throw new Error(`cannot take the image lock ${file}`);
  }

  /** Whether a live exojit holds the lock of the image open as `fd` (pid), or null. */
  static holder(fd: number): number | null {
    let text: string | null;
    try {
      text = readText(ImageLock.pathFor(fd));
    } catch {
      return null;
    }
    const o = text === null ? null : owner(text);
    return o !== null && alive(o.pid, o.started) && o.pid !== process.pid ? o.pid : null;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    process.off("exit", this.onExit);
    if (readText(this.file) === this.text) fs.rmSync(this.file, { force: true });
  }
}
