// /proc/PID/pagemap: a 64-bit entry per page of the address space (Linux's pagemap_read): bit 63
// present, 61 a file's or shared memory's page, 56 mapped by this address space alone, and the
// frame number in bits 0-54 for a reader with CAP_SYS_ADMIN (0 for others, as Linux hides it
// since 4.2). Pages are never swapped here (bit 62). Reads are whole entries at entry-aligned
// offsets (EINVAL otherwise); once the process's memory is gone it reads as empty.

import { PositionalFile, seekWithoutEnd, type FileStat, type OpenMode } from "../file.js";
import type { Mm } from "../mm.js";
import { sysError } from "../errors.js";

const ENTRY = 8;
const PM_PRESENT = 1n << 63n, PM_FILE = 1n << 61n, PM_MMAP_EXCLUSIVE = 1n << 56n;
const PFN_MASK = (1n << 55n) - 1n;
/** Entries of a 32-bit address space (4 GiB of pages). */
const ENTRIES = 2 ** 20;

export class ProcPagemapFile extends PositionalFile {
  constructor(
    path: string,
    mode: OpenMode,
    private readonly mm: Mm,
    private readonly st: FileStat,
    /** Whether the reader may see frame numbers (CAP_SYS_ADMIN when it opened the file). */
    private readonly showFrames: boolean,
  ) {
    super(path, mode);
  }

  override write(_buf: Uint8Array): number {
    return sysError("EBADF");
  }

  override pread(buf: Uint8Array, off: number): number {
    if (off % ENTRY !== 0 || buf.length % ENTRY !== 0) sysError("EINVAL");
    if (this.mm.users === 0) return 0;
    const first = off / ENTRY, count = Math.min(buf.length / ENTRY, Math.max(0, ENTRIES - first));
    const dv = new DataView(buf.buffer, buf.byteOffset, count * ENTRY);
    const as = this.mm.kernel.aspace(this.mm.aspace);
    for (let k = 0; k < count; k++) {
      const va = (first + k) * 4096;
      let e = 0n;
      const v = this.mm.vm.find(va);
      const pte = v === undefined ? 0 : as.pte(va);
      if (v !== undefined && (pte & 1) !== 0) {
        const ppn = pte >>> 12;
        const objectPage = v.object !== null && (v.object.peek !== undefined ? v.object.peek((v.offset + (va - v.start)) / 4096) === ppn : v.shared);
        e = PM_PRESENT;
        if (objectPage) e |= PM_FILE;
        if (as.holders(ppn) - (objectPage ? 1 : 0) <= 1) e |= PM_MMAP_EXCLUSIVE;
        if (this.showFrames) e |= BigInt(ppn) & PFN_MASK;
      }
      dv.setBigUint64(k * ENTRY, e, true);
    }
    return count * ENTRY;
  }

  override seek(off: number, whence: number): number {
    this.offset = seekWithoutEnd(off, whence, this.offset);
    return this.offset;
  }

  stat(): FileStat {
    return this.st;
  }
}
