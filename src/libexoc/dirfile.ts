// Directories opened for reading: the entries of a listing ("." and ".." first) and the
// description whose offset walks them (getdents). A listing comes from the host directory
// (hostListing) or from a synthetic tree (synthfs.ts).

import * as fs from "node:fs";
import { hostBytes } from "./hostpath.js";
import { OpenFile, SEEK_SET, type FileStat } from "./file.js";
import { fromHostError, sysError, SysError } from "./errors.js";

/** File types of directory entries (the d_type values POSIX leaves to the system; these are
 *  Linux's DT_*, which the ABI layer passes through). */
export const DT_UNKNOWN = 0, DT_FIFO = 1, DT_CHR = 2, DT_DIR = 4, DT_BLK = 6, DT_REG = 8, DT_LNK = 10, DT_SOCK = 12;

/** One entry of a directory listing. */
export interface DirEntry {
  ino: bigint;
  type: number;
  /** The name's bytes, as the host file system stores them. */
  name: Buffer;
}

/** The d_type of a host directory entry. */
export function direntType(d: fs.Dirent): number {
  if (d.isFile()) return DT_REG;
  if (d.isDirectory()) return DT_DIR;
  if (d.isSymbolicLink()) return DT_LNK;
  if (d.isFIFO()) return DT_FIFO;
  if (d.isSocket()) return DT_SOCK;
  if (d.isCharacterDevice()) return DT_CHR;
  if (d.isBlockDevice()) return DT_BLK;
  return DT_UNKNOWN;
}

/** The listing of host directory `hostPath` (whose stat is `st`), "." and ".." first, in the
 *  host file system's order. Entries that vanish while listed are left out. */
export function hostListing(hostPath: string, st: FileStat): DirEntry[] {
  const parent = (() => {
    try {
      return fs.statSync(hostBytes(`${hostPath}/..`), { bigint: true }).ino;
    } catch {
      return st.ino;
    }
  })();
  const out: DirEntry[] = [
    { ino: st.ino, type: DT_DIR, name: Buffer.from(".") },
    { ino: parent, type: DT_DIR, name: Buffer.from("..") },
  ];
  const dirents: fs.Dirent[] = [];
  try {
    // opendir keeps the file system's order (readdir sorts); Buffer names keep bytes that are
    // not UTF-8 intact.
    const dir = fs.opendirSync(hostBytes(hostPath), { encoding: "buffer" as unknown as "utf8", bufferSize: 128 });
    try {
      for (let d = dir.readSync(); d !== null; d = dir.readSync()) dirents.push(d);
    } finally {
      dir.closeSync();
    }
  } catch (e) {
    throw fromHostError(e);
  }
  for (const d of dirents) {
    const name = d.name as unknown as Buffer;
    try {
      const ino = fs.lstatSync(Buffer.concat([hostBytes(`${hostPath}/`), name]), { bigint: true }).ino;
      out.push({ ino, type: direntType(d), name });
    } catch {
      // removed since the listing was read
    }
  }
  return out;
}

/** A directory opened for reading entries or as a base for *at() calls. Its offset is the index
 *  of the next entry of a listing taken when reading starts (and again after a rewind); the
 *  listing comes from `list` (a host directory's, or a synthetic tree's). */
export class DirFile extends OpenFile {
  override splices(): boolean {
    return false;
  }

  private listing: DirEntry[] | null = null;

  constructor(
    path: string,
    /** The directory's status now (fstat after a chmod sees the new mode). */
    private readonly st: () => FileStat,
    /** The entries now, "." and ".." first. */
    private readonly list: () => DirEntry[],
    /** Its status when it was opened (what fstat falls back on once it is removed). */
    initial: FileStat | null = null,
  ) {
    super(path, { read: true, write: false, append: false, nonblock: false });
    this.last = initial;
  }

  entries(): DirEntry[] {
    // (a directory removed while open cannot be listed: ENOENT, as Linux's IS_DEADDIR; a host
    // directory's listing fails so, a volume's keeps the directory with no links)
    if (this.st().nlink === 0) sysError("ENOENT");
    this.listing ??= this.list();
    return this.listing;
  }

  read(_buf: Uint8Array): number {
    return sysError("EISDIR");
  }

  write(_buf: Uint8Array): number {
    return sysError("EBADF");
  }

  /** Directories sync as part of their file system (nothing to do here). */
  override fsync(_dataOnly: boolean): void {}

  override seek(off: number, whence: number): number {
    if (whence !== SEEK_SET || off < 0) sysError("EINVAL");
    if (off === 0) this.listing = null; // rewinddir sees the directory as it is now
    this.offset = off;
    return off;
  }

  stat(): FileStat {
    // (a directory removed while open may be gone from a host directory: its last status,
    // with no links left, as Linux's rmdir leaves it)
    try {
      this.last = this.st();
    } catch (e) {
      if (!(e instanceof SysError && e.errno === "ENOENT") || this.last === null) throw e;
      return { ...this.last, nlink: 0 };
    }
    return this.last;
  }

  private last: FileStat | null = null;
}
