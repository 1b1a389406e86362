// The mount table: which volume is mounted where. A mount covers one directory entry of its
// parent mount (the entry's directory and name, as Linux mounts on a dentry), so walking that
// name leads to the mounted volume's root instead of whatever the parent has there; the entry
// need not exist (the system's own /proc and /dev are mounted over any root). A mount may
// also cover the root of another mount (mounting twice on one path stacks: the newest is seen).
// "/" is the root mount, which has no parent. A bind mount shows a directory of a volume
// (its root node) somewhere else.

import type { Volume, VolumeNode, FsCaller } from "../volume.js";
import { sysError } from "../errors.js";
import { WaitQueue } from "../../exokernel/wait.js";

export interface MountFlags {
  readOnly: boolean;
  nosuid: boolean;
  nodev: boolean;
  noexec: boolean;
  /** How access times are kept (shown in /proc/mounts): the volumes that keep them (ext2)
   *  follow it, and nodiratime leaves directories' alone. */
  atime: "relatime" | "noatime" | "strictatime";
  nodiratime?: boolean;
  /** Symbolic links on the mount are not followed (ELOOP; readlink still reads them). */
  nosymfollow?: boolean;
}

/** When a read of a file (or, `dir`, a listing of a directory) moves its access time, by the
 *  mount's flags: never (noatime, nodiratime), always (strictatime), or by relatime's rule. */
export type AtimePolicy = "relatime" | "noatime" | "strictatime";

export function atimePolicy(f: MountFlags, dir: boolean): AtimePolicy {
  return dir && f.nodiratime === true ? "noatime" : f.atime;
}

export const DEFAULT_FLAGS: MountFlags = { readOnly: false, nosuid: false, nodev: false, noexec: false, atime: "relatime" };

/** Where a mount is: the entry `name` of directory `dirIno` of the parent mount, or (name
 *  null) the parent mount's root. */
export interface MountPoint {
  dirIno: bigint;
  name: string | null;
}

export class Mount {
  readonly children = new Set<Mount>();
  /** Open descriptions of files on this mount (umount refuses while there are any), and how
   *  many of them may write (a remount read-only refuses while there are any). */
  openFiles = 0;
  writers = 0;
  /** umount2's MNT_EXPIRE mark: set by a first call, cleared by any use of the mount (a path
   *  walked into it); a second call finding it still set unmounts. */
  expiry = false;
  /** What a lazy unmount (MNT_DETACH) left to do when the last file open on the mount closes:
   *  the volume goes then, not while its files are still in use. */
  onIdle: (() => void) | null = null;

  constructor(
    /** Mount id (mountinfo, fdinfo's mnt_id). */
    readonly id: number,
    readonly vol: Volume,
    public parent: Mount | null,
    public at: MountPoint | null,
    /** Guest path of the mount point. */
    public path: string,
    /** A bind mount's root node (null: the volume's root, for each caller). */
    readonly rootNode: VolumeNode | null,
    /** Path of the root within the volume (mountinfo's root field: "/" unless bound). */
    readonly rootPath: string,
    public source: string,
    public flags: MountFlags,
  ) {}

  root(who: FsCaller): VolumeNode {
    return this.rootNode ?? this.vol.root(who);
  }

  get readOnly(): boolean {
    return this.flags.readOnly || this.vol.readOnly;
  }
}

function key(parent: Mount, at: MountPoint): string {
  return at.name === null ? `${parent.id}:/` : `${parent.id}:${at.dirIno}:${at.name}`;
}

export class MountTable {
  /** Every mount, in the order they were made (what /proc/mounts lists). */
  private readonly list: Mount[] = [];
  private readonly covers = new Map<string, Mount>();
  /** Mount ids count from Linux's first one in a fresh namespace, as the host shows them. */
  private nextId = 21;
  readonly root: Mount;
  /** Changes of the table (a mount made, taken away or changed), and the queue that hears of
   *  each: /proc/PID/mounts and mountinfo report them to poll (POLLPRI | POLLERR). */
  events = 0;
  readonly changed = new WaitQueue();

  constructor(rootVol: Volume, source: string, flags: MountFlags) {
    this.root = new Mount(this.nextId++, rootVol, null, null, "/", null, "/", source, flags);
    this.list.push(this.root);
  }

  all(): readonly Mount[] {
    return this.list;
  }

  /** The mount covering entry `name` of directory `dirIno` in `parent` (the newest one stacked
   *  there), or undefined. */
  covering(parent: Mount, dirIno: bigint, name: string): Mount | undefined {
    const m = this.covers.get(key(parent, { dirIno, name }));
    return m === undefined ? undefined : this.top(m);
  }

  /** The newest mount stacked on `m`'s root, or `m` itself. */
  top(m: Mount): Mount {
    for (let next = this.covers.get(key(m, { dirIno: 0n, name: null })); next !== undefined; next = this.covers.get(key(m, { dirIno: 0n, name: null }))) m = next;
    return m;
  }

  /** Mounts `vol` at `at` of `parent` (whose guest path is `path`). */
  add(vol: Volume, parent: Mount, at: MountPoint, path: string, source: string, flags: MountFlags, rootNode: VolumeNode | null = null, rootPath = "/"): Mount {
    const k = key(parent, at);
    // Something already mounted exactly there: the new mount goes on top of it.
    let under = this.covers.get(k);
    if (under !== undefined) {
      under = this.top(under);
      return this.add(vol, under, { dirIno: 0n, name: null }, path, source, flags, rootNode, rootPath);
    }
    const m = new Mount(this.nextId++, vol, parent, at, path, rootNode, rootPath, source, flags);
    this.covers.set(k, m);
    parent.children.add(m);
    this.list.push(m);
    this.touched();
    return m;
  }

  /** The table changed (add and remove say so themselves; a remount or a move, its caller). */
  touched(): void {
    this.events++;
    this.changed.notify();
  }

  /** Takes `m` out of the table, with the mounts inside it and stacked on it (umount -l). */
  remove(m: Mount): void {
    if (m.parent === null || m.at === null) sysError("EBUSY");
    for (const c of [...m.children]) this.remove(c);
    const k = key(m.parent, m.at);
    if (this.covers.get(k) === m) this.covers.delete(k);
    m.parent.children.delete(m);
    this.list.splice(this.list.indexOf(m), 1);
    this.touched();
  }
}
