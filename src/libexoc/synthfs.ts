// Synthetic file systems: trees of nodes the library makes itself instead of reading them from
// the host (procfs is one). A tree is a volume through volumes/synth.ts, so the VFS mounts it
// and walks its nodes as any other: `..` and symbolic links lead in and out of it, directories
// must grant search permission, and opening a node gives one of the descriptions below.
//
// Nodes are small objects made at lookup time: they describe what exists at that moment, so a
// listing or a file's text is always current. Nothing here knows what the nodes mean.

import type { Process } from "./process.js";
import type { Task } from "./task.js";
import { OpenFile, PositionalFile, seekWithoutEnd, S_IFDIR, S_IFREG, S_IFLNK, POLLPRI, POLLERR, type FileStat, type OpenMode } from "./file.js";
import type { WaitQueue } from "../exokernel/wait.js";
import { DT_DIR, DT_REG, DT_LNK } from "./dirfile.js";
import { sysError, type ErrnoName } from "./errors.js";
import { MAY_READ, MAY_WRITE, MAY_EXEC, type FsCaller } from "./volume.js";
import { credOf, bitsPermit } from "./vfs/perm.js";

export type { FsCaller };

interface NodeBase {
  /** Inode number; nodes describing the same object have the same one. */
  readonly ino: bigint;
  /** Permission bits (the file type follows from `kind`). */
  readonly perm: number;
  readonly uid: number;
  readonly gid: number;
  /** When the object the node describes came to be (ns since the epoch): all three stat times. */
  readonly timeNs: bigint;
  /** Link count (default: 2 for directories, 1 otherwise) and size in stat (default 0). */
  readonly nlink?: number;
  readonly size?: number;
  /** Whether the permission bits bind root too (Linux's sysctl files); otherwise root may read
   *  and write anything. */
  readonly strict?: boolean;
  /** A check beyond the permission bits before the node is opened, read as a link or followed
   *  (Linux's ptrace-access rule for /proc/PID/maps and friends): throws a SysError. */
  readonly guard?: (who: FsCaller) => void;
}

/** One entry of a synthetic directory's listing. */
export interface SynthEntry {
  name: string;
  ino: bigint;
  /** DT_* type. */
  type: number;
}

export interface SynthDir extends NodeBase {
  readonly kind: "dir";
  /** The entries besides "." and "..", in listing order. */
  entries(): SynthEntry[];
  /** The entry `name`, or null if there is none. */
  lookup(name: string): SynthNode | null;
  /** The process a /proc/PID directory names (whose descriptor pidfd_send_signal takes). */
  readonly process?: Process;
}

export interface SynthFile extends NodeBase {
  readonly kind: "file";
  /** The file's bytes as they are now (asked again whenever a read starts at offset 0). */
  content(): Uint8Array;
  /** What a write fails with (the files are read-only; default EINVAL). */
  readonly writeError?: ErrnoName;
  /** A writable file's handler: takes what one write gave (by `who`: null for a write not made
   *  by a guest task), whole; a write is refused with its SysError. */
  store?(data: Uint8Array, who: Task | null): void;
  /** A file that is no text (/proc/PID/mem): its own open description, instead of one reading
   *  content(). */
  open?(path: string, mode: OpenMode, st: FileStat): OpenFile;
  /** A file whose text changes with events (/proc/PID/mounts): their count and the queue that
   *  hears of each. poll of a description reports events since it last did as POLLPRI and
   *  POLLERR, once, as Linux's mounts_poll. */
  events?(): { count(): number; queue: WaitQueue } | null;
}

export interface SynthLink extends NodeBase {
  readonly kind: "link";
  /** The link's text (readlink); followed like a host symlink's. */
  target(): string;
  /** A "magic" link (/proc/PID/fd/N of a pipe): following it as the last component reaches this
   *  open description itself, whatever the text says. Null: an ordinary link. */
  jump?(): OpenFile | null;
  /** One of /proc's magic links (a process's fd/N, exe, cwd, root), even where it is followed by
   *  its text: openat2's RESOLVE_NO_MAGICLINKS refuses it, as Linux does. */
  readonly magic?: boolean;
}

export type SynthNode = SynthDir | SynthFile | SynthLink;

/** A synthetic tree (mounted as a SynthVolume). */
export interface SynthMount {
  /** Device number of every node (stat st_dev). */
  readonly dev: bigint;
  /** statfs f_type of the file system. */
  readonly magic: number;
  /** File-system type, source and options, as mount tables show them. */
  readonly fsType: string;
  readonly source: string;
  readonly options: string;
  /** The tree's root as `who` sees it. */
  root(who: FsCaller): SynthDir;
}

const TYPE_BITS = { dir: S_IFDIR, file: S_IFREG, link: S_IFLNK } as const;
const DT_OF = { dir: DT_DIR, file: DT_REG, link: DT_LNK } as const;

/** The DT_* type of a node (for listings). */
export function direntType(n: SynthNode): number {
  return DT_OF[n.kind];
}

/** A node's stat on the mount with device `dev`. */
export function synthStat(n: SynthNode, dev: bigint): FileStat {
  const t = n.timeNs;
  return {
    dev, ino: n.ino, mode: TYPE_BITS[n.kind] | n.perm, nlink: n.nlink ?? (n.kind === "dir" ? 2 : 1), uid: n.uid, gid: n.gid,
    rdev: 0n, size: BigInt(n.size ?? 0), blksize: 1024, blocks: 0n, atimeNs: t, mtimeNs: t, ctimeNs: t,
  };
}

export { MAY_READ, MAY_WRITE, MAY_EXEC };

/**
 * POSIX access check of `n` for `who` (its file-system ids): the owner, group or other bits,
 * whichever class the caller is in, then its capabilities (perm.ts; not for a strict node). Root may read and write anything (unless the node is strict), search any
 * directory, and execute a file only if some execute bit is set.
 */
export function permitted(who: FsCaller, n: SynthNode, want: number): boolean {
  const c = credOf(who);
  return bitsPermit(n.strict ? { ...c, caps: 0 } : c, n.perm, n.uid, n.gid, n.kind === "dir", want);
}

/**
 * An open synthetic file. Its text is made when a read starts at offset 0 and kept for reads
 * further on, so reading it piece by piece sees one consistent snapshot and reading it again
 * from the start (lseek 0, pread at 0) sees the present, as Linux's seq_file does. Seeking
 * from the end is refused (EINVAL) because the size is not known until the text is made.
 */
export class SynthOpenFile extends PositionalFile {
  private text: Uint8Array | null = null;
  /** The file's event count when poll of this description last reported it (events). */
  private seen: number;

  constructor(
    path: string,
    mode: OpenMode,
    /** What holds its node (a volume's node: a saved system finds the node again). */
    private readonly at: { readonly n: SynthNode },
    private readonly st: FileStat,
  ) {
    super(path, mode);
    this.seen = this.node.events?.()?.count() ?? 0;
  }

  override poll(): number {
    const ev = this.node.events?.() ?? null;
    if (ev === null || ev.count() === this.seen) return super.poll();
    this.seen = ev.count();
    return super.poll() | POLLPRI | POLLERR;
  }

  override pollQueues(): WaitQueue[] {
    const ev = this.node.events?.() ?? null;
    return ev !== null ? [ev.queue] : [];
  }

  override pollable(): boolean {
    return this.node.events !== undefined;
  }

  private get node(): SynthFile {
    return this.at.n as SynthFile;
  }

  private bytes(fresh: boolean): Uint8Array {
    if (fresh || this.text === null) this.text = this.node.content();
    return this.text;
  }

  override pread(buf: Uint8Array, off: number): number {
    const b = this.bytes(off === 0);
    if (off >= b.length) return 0;
    const n = Math.min(buf.length, b.length - off);
    buf.set(b.subarray(off, off + n));
    return n;
  }

  override write(buf: Uint8Array): number {
    return this.store(buf, null);
  }

  override writeBy(who: Task, buf: Uint8Array): number {
    return this.store(buf, who);
  }

  override pwrite(buf: Uint8Array, _off: number): number {
    return this.store(buf, null);
  }

  private store(buf: Uint8Array, who: Task | null): number {
    const n = this.node;
    if (n.store === undefined) return sysError(n.writeError ?? "EINVAL");
    n.store(buf, who);
    return buf.length;
  }

  override seek(off: number, whence: number): number {
    this.offset = seekWithoutEnd(off, whence, this.offset);
    return this.offset;
  }

  stat(): FileStat {
    return this.st;
  }
}
