// /proc/PID/mem: a process's memory as a file whose offsets are its addresses (Linux's
// mem_rw). Opened with the right to trace the process, it keeps the address space it was opened
// on (not taking it: once the process is gone, it reads as empty); reads stop at the first address not mapped (EIO if that is the first), and writes reach
// read-only private pages too, as a debugger's do (Linux's FOLL_FORCE): gdb reads and writes
// its inferior, breakpoints included, through it.

import { PositionalFile, seekWithoutEnd, type FileStat, type OpenMode } from "../file.js";
import type { Mm } from "../mm.js";
import { SysError, sysError } from "../errors.js";

/** Addresses a 32-bit process has. */
const TOP = 2 ** 32;

export class ProcMemFile extends PositionalFile {
  constructor(
    path: string,
    mode: OpenMode,
    /** The address space it was opened on (once no task uses it, reads and writes find
     *  nothing: end of file, as Linux's once the mm is gone). */
    private readonly mm: Mm,
    private readonly st: FileStat,
  ) {
    super(path, mode);
  }

  override pread(buf: Uint8Array, off: number): number {
    return this.each(buf.length, off, (at, n, done) => buf.set(this.mm.mem.read(at, n), done));
  }

  override pwrite(buf: Uint8Array, off: number): number {
    return this.each(buf.length, off, (at, n, done) => this.mm.mem.forceWrite(at, buf.subarray(done, done + n)));
  }

  /** Moves `len` bytes at address `off` page by page; stops at a page it cannot reach, EIO if
   *  that is the first. */
  private each(len: number, off: number, move: (at: number, n: number, done: number) => void): number {
    if (this.mm.users === 0) return 0;
    let done = 0;
    while (done < len && off + done < TOP) {
      const at = off + done;
      const n = Math.min(len - done, 0x1000 - (at % 0x1000));
      try {
        move(at, n, done);
      } catch (e) {
        if (!(e instanceof SysError)) throw e;
        if (done === 0) sysError("EIO");
        break;
      }
      done += n;
    }
    return done;
  }

  override seek(off: number, whence: number): number {
    this.offset = seekWithoutEnd(off, whence, this.offset);
    return this.offset;
  }

  stat(): FileStat {
    return this.st;
  }
}
