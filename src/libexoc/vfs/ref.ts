// The link between an open file description and the mounted file it was opened from: the
// mount counts it (a busy mount cannot be unmounted), and locks are released by its closes.

import type { LeaseTable } from "./leases.js";
import type { FileRef, FileStat, OpenFile } from "../file.js";
import type { VolumeNode } from "../volume.js";
import { atimePolicy, type AtimePolicy, type Mount } from "./mounts.js";
import type { LockTable } from "./locks.js";
import { IN_CLOSE_WRITE, IN_CLOSE_NOWRITE, type Notifier, type Parent } from "./notify.js";
import type { WriteDenial } from "./denywrite.js";

export class VfsRef implements FileRef {
  private readonly writer: boolean;
  /** Where a regular file's write access is counted (exec's ETXTBSY), or null. */
  private readonly denial: WriteDenial | null;

  constructor(
    f: OpenFile,
    readonly mnt: Mount,
    readonly node: VolumeNode,
    /** The file's lock key (its device and inode), which is also its key for watches. */
    readonly key: string,
    private readonly locks: LockTable,
    /** Where events about the file go (null: none, an O_PATH descriptor), whether it is a
     *  directory, and the directory it was opened in with its name there. */
    private readonly notifier: Notifier | null = null,
    private readonly dir = false,
    private readonly parent: Parent | null = null,
    denial: WriteDenial | null = null,
    /** A regular file's leases (the opens they count, the lease this description may hold). */
    private readonly leases: LeaseTable | null = null,
  ) {
    this.writer = f.mode.write;
    this.denial = this.writer ? denial : null;
    this.denial?.writer(key, 1);
    leases?.opened(key, this.writer, 1);
    mnt.openFiles++;
    if (this.writer) mnt.writers++;
    mnt.vol.pinned?.(node);
    notifier?.opening(key);
  }

  /** Something happened to the file through this description (access, modify, attrib). */
  event(mask: number): void {
    const n = this.notifier;
    if (n !== null && n.count > 0) n.object(this.key, mask, this.dir, this.parent);
  }

  /** An fd of the description was closed by `owner` (an fd table): POSIX record locks of that
   *  owner on the file go, whichever fd set them. */
  fdClosed(_f: OpenFile, owner: object): void {
    if (this.locks.holdsAny(owner)) this.locks.releaseOwner(this.key, owner);
  }

  stat(): FileStat {
    return this.mnt.vol.getattr(this.node);
  }

  atimePolicy(): AtimePolicy {
    return this.mnt.flags.readOnly ? "noatime" : atimePolicy(this.mnt.flags, false);
  }

  /** The description's last reference went: its flock and open-description locks go. */
  released(f: OpenFile): void {
    this.mnt.openFiles--;
    if (this.writer) this.mnt.writers--;
    this.denial?.writer(this.key, -1);
    this.leases?.opened(this.key, this.writer, -1);
    this.leases?.remove(f, this.key);
    releaseDescriptionLocks(this.locks, this.key, f);
    this.mnt.vol.unpinned?.(this.node);
    if (this.notifier !== null) {
      this.event(this.writer ? IN_CLOSE_WRITE : IN_CLOSE_NOWRITE);
      this.notifier.closing(this.key);
    }
    // (the last file of a lazily unmounted volume: the volume goes now)
    const idle = this.mnt.openFiles === 0 ? this.mnt.onIdle : null;
    if (idle !== null) {
      this.mnt.onIdle = null;
      idle();
    }
  }
}

/** A description that has no mounted file (a pipe, an inherited stream) but took a lock: its
 *  closes release the lock as a mounted file's would. */
export class LockRef implements FileRef {
  constructor(
    readonly key: string,
    private readonly locks: LockTable,
  ) {}

  fdClosed(_f: OpenFile, owner: object): void {
    if (this.locks.holdsAny(owner)) this.locks.releaseOwner(this.key, owner);
  }

  released(f: OpenFile): void {
    releaseDescriptionLocks(this.locks, this.key, f);
  }
}

function releaseDescriptionLocks(locks: LockTable, key: string, f: OpenFile): void {
  if (locks.hasFlock(key, f)) locks.flock(key, f, null, true);
  if (locks.holdsAny(f)) locks.releaseOwner(key, f);
}

/** The lock key of a file: device and inode. */
export function lockKey(dev: bigint, ino: bigint): string {
  return `${dev}:${ino}`;
}

/** The device and inode of lock key `key` (lockKey's inverse). */
export function lockKeyParts(key: string): [bigint, bigint] {
  const [dev, ino] = key.split(":");
  return [BigInt(dev), BigInt(ino)];
}
