// The file descriptor table: small integers naming open file descriptions, with a per-fd
// close-on-exec flag. Several fds (dup, fork) may share one description and its offset.

import { sysError } from "./errors.js";
import type { OpenFile } from "./file.js";
import { endDirNotify } from "./dnotify.js";

/** Default RLIMIT_NOFILE. */
export const FD_LIMIT = 1024;

interface Entry {
  file: OpenFile;
  cloexec: boolean;
}

export class FdTable {
  private readonly entries: (Entry | undefined)[] = [];
  limit = FD_LIMIT;
  /** Tasks sharing this table (CLONE_FILES). */
  users = 1;

  /** EMFILE unless a copy fits in a table of `nrOpen` descriptors (fs.nr_open): its highest
   *  descriptor, both rounded up to whole words of 32 bits as Linux's dup_fd sizes them. What
   *  copies the table asks first, before it has made anything. */
  copyFits(nrOpen: number): void {
    const words = (n: number): number => Math.ceil(n / 32);
    let top = this.entries.length;
    while (top > 0 && this.entries[top - 1] === undefined) top--;
    if (words(top) > words(nrOpen)) sysError("EMFILE");
  }

  /** A copy for a new process: the same open descriptions, each with one more reference. */
  clone(): FdTable {
    const t = new FdTable();
    t.limit = this.limit;
    this.entries.forEach((e, fd) => {
      if (e === undefined) return;
      e.file.refs++;
      t.entries[fd] = { file: e.file, cloexec: e.cloexec };
    });
    return t;
  }

  get(fd: number): OpenFile {
    const e = fd >= 0 ? this.entries[fd] : undefined;
    if (!e) sysError("EBADF");
    return e.file;
  }

  has(fd: number): boolean {
    return fd >= 0 && this.entries[fd] !== undefined;
  }

  cloexec(fd: number): boolean {
    this.get(fd);
    return (this.entries[fd] as Entry).cloexec;
  }

  setCloexec(fd: number, on: boolean): void {
    this.get(fd);
    (this.entries[fd] as Entry).cloexec = on;
  }

  /** Throws EMFILE unless an fd is free: what opens and creates first, as Linux takes the
   *  descriptor before it makes a file or a queue (so EMFILE leaves nothing behind). */
  needFree(): void {
    for (let fd = 0; fd < this.limit; fd++) if (this.entries[fd] === undefined) return;
    sysError("EMFILE");
  }

  /** Installs `file` at the lowest free fd >= `min`; takes over one reference. */
  add(file: OpenFile, cloexec = false, min = 0): number {
    for (let fd = min; fd < this.limit; fd++) {
      if (this.entries[fd] === undefined) {
        this.entries[fd] = { file, cloexec };
        return fd;
      }
    }
    file.drop();
    return sysError("EMFILE");
  }

  /** Installs two new descriptions at the two lowest free fds (pipe2, socketpair); both or
   *  neither: a failure drops both. */
  addPair(a: OpenFile, b: OpenFile, cloexec: boolean): [number, number] {
    let fa: number;
    try {
      fa = this.add(a, cloexec);
    } catch (e) {
      b.drop();
      throw e;
    }
    try {
      return [fa, this.add(b, cloexec)];
    } catch (e) {
      this.close(fa);
      throw e;
    }
  }

  /** Installs `file` at exactly `fd`, closing what was there (dup2/dup3). */
  put(fd: number, file: OpenFile, cloexec: boolean): void {
    if (fd < 0 || fd >= this.limit) sysError("EBADF");
    if (this.entries[fd]) this.close(fd);
    this.entries[fd] = { file, cloexec };
  }

  close(fd: number): void {
    const e = fd >= 0 ? this.entries[fd] : undefined;
    if (!e) sysError("EBADF");
    this.entries[fd] = undefined;
    e.file.ref?.fdClosed(e.file, this);
    // (closing any fd of the description ends this table's F_NOTIFY on it, as Linux's
    // dnotify_flush does)
    if (e.file.dnotify !== null) endDirNotify(e.file, this);
    e.file.flushed(this);
    e.file.drop();
  }

  /** A new fd sharing the description of `fd`. */
  dup(fd: number, min = 0, cloexec = false): number {
    const f = this.get(fd);
    f.refs++;
    return this.add(f, cloexec, min);
  }

  /** Closes every fd marked close-on-exec. */
  closeOnExec(): void {
    this.entries.forEach((e, fd) => {
      if (e?.cloexec) this.close(fd);
    });
  }

  closeAll(): void {
    this.entries.forEach((e, fd) => {
      if (e) this.close(fd);
    });
  }

  /** Open fds in increasing order. */
  list(): number[] {
    const out: number[] = [];
    this.entries.forEach((e, fd) => {
      if (e) out.push(fd);
    });
    return out;
  }
}
