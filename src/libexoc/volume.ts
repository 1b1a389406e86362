// The contract between the VFS and each kind of file system: a Volume is one mounted file
// system (ext2 on a block device, the host directory view, tmpfs, /proc, /dev), addressed by
// nodes (inodes). The VFS (vfs/: mount table, path walking, permission checks from the caller's
// credentials, open flags, FIFOs and device nodes, record locks) is written once over this
// interface; a volume only stores and finds things.
//
// Rules every volume keeps:
// - Names are bytes, never "", "." or "..", never containing "/", at most 255 bytes; the VFS
//   checks them before calling.
// - Errors are SysError with a POSIX name (ENOENT, EEXIST, ENOTEMPTY, ENOSPC, EROFS, EIO...);
//   a volume never throws anything else for bad data on its medium (a corrupt image gives EIO
//   or EUCLEAN, not a host exception).
// - The VFS has already checked permissions and types (e.g. rmdir is only called on a
//   directory, unlink never on one, rename never moves a directory into itself); a volume
//   rechecks only what protects its own consistency.
// - The VFS never calls openData on anything but a regular file: it opens directories through
//   readdir, and FIFOs and device nodes itself (fifo.ts, the device registry).
// - Times are nanoseconds since the epoch; sizes and counts are numbers (exact below 2^53).
//   A volume keeps ctime itself: every change of a node (setattr, a link made or removed, a
//   rename) sets it to now, and a directory's entries changing sets its mtime and ctime.

import type { FileStat, OpenFile, OpenMode } from "./file.js";
import type { DirEntry } from "./dirfile.js";

/** The thread on whose behalf a path is resolved (a Task is one): permission checks use its
 *  file-system ids (which follow the effective ones unless setfsuid set them apart), and a
 *  synthetic tree may answer differently for each caller (/proc/self). The real ids are what
 *  access(2) checks with. */
export interface FsCaller {
  readonly tid: number;
  readonly proc: {
    readonly pid: number;
    readonly euid: number;
    readonly egid: number;
    readonly groups: readonly number[];
    /** File-system ids (default: the effective ones). */
    readonly fsuid?: number;
    readonly fsgid?: number;
    /** Real ids (default: the effective ones). */
    readonly uid?: number;
    readonly gid?: number;
    /** Effective and permitted capability sets (capability.ts; default: all of them for
     *  file-system id 0, else none). */
    readonly capEff?: number;
    readonly capPrm?: number;
  };
  /** The directory that is "/" for the caller (chroot), as a canonical path from the system's
   *  root; none or "/": the system's root. */
  readonly fsRoot?: string;
}

/** A node of a volume: what lookup returns and every other operation takes. Volumes keep
 *  their own fields on it; the VFS reads only `ino`. */
export interface VolumeNode {
  /** Identity of the node within its volume (mount points are found by it). Usually st_ino;
   *  the host view, which spans several host file systems, combines device and inode. */
  readonly ino: bigint;
}

/** Attribute changes (chmod, chown, utimensat, truncate); absent fields stay as they are. */
export interface SetAttr {
  /** Permission bits (the file type cannot change). The VFS passes them along with uid/gid
   *  when a chown clears set-user-ID and set-group-ID bits. */
  perm?: number;
  uid?: number;
  gid?: number;
  atimeNs?: bigint;
  mtimeNs?: bigint;
  /** New size of a regular file (truncate or extend with zeroes; mtime and ctime become now). */
  size?: number;
}

/** Figures of statfs. */
export interface VolumeFigures {
  /** f_type, the file system's magic number (EXT2_SUPER_MAGIC 0xef53, TMPFS_MAGIC...). */
  type: number;
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  namelen: number;
}

/** Permission bits a permission check asks for: read, write, execute (search). */
export const MAY_READ = 4, MAY_WRITE = 2, MAY_EXEC = 1;

/** What the VFS needs of a mounted file system. */
export interface Volume {
  /** The type name mount(2) and /proc/mounts use ("ext2", "ext4", "tmpfs", "proc"...). */
  readonly fsType: string;
  /** st_dev of its files. */
  readonly dev: bigint;
  /** Writes fail with EROFS before reaching the volume (except where `writable` allows them).
   *  The VFS changes it on a remount (MS_REMOUNT with or without MS_RDONLY), after a sync. */
  readOnly: boolean;
  /** A remount changes whether the volume may be written (set readOnly when absent); it may
   *  refuse to become writable (EROFS: its medium or its features do not allow it). */
  setReadOnly?(readOnly: boolean): void;
  /** FS_IOC_GETFLAGS and FS_IOC_SETFLAGS (chattr): the inode flags, for volumes that keep
   *  them; `mayImmutable` is CAP_LINUX_IMMUTABLE, for the immutable and append-only ones. */
  inodeFlags?(n: VolumeNode): number;
  /** FS_IOC_FIEMAP: where file `n`'s bytes [from, to) lie on the medium, as runs of bytes
   *  (holes left out), for volumes on a block device. */
  fileExtents?(n: VolumeNode, from: number, to: number): { logical: number; physical: number; length: number; last: boolean; merged: boolean }[];
  setInodeFlags?(n: VolumeNode, flags: number, mayImmutable: boolean): void;

  /** The root directory; `who` is the caller walking into the volume (a synthetic tree may
   *  give each caller its own view; other volumes ignore it). */
  root(who: FsCaller): VolumeNode;
  /** The entry `name` of directory `dir`, or null. */
  lookup(dir: VolumeNode, name: Buffer): VolumeNode | null;
  getattr(n: VolumeNode): FileStat;
  /** A symbolic link's target. */
  readlink(n: VolumeNode): Buffer;
  /** A directory's entries, without "." and "..", in the volume's order. */
  /** The entries of `dir`; `atime` is when listing it moves its access time, by the mount's
   *  flags (the volumes that keep access times follow it). */
  readdir(dir: VolumeNode, atime?: "relatime" | "noatime" | "strictatime"): DirEntry[];

  /** Creates a non-directory: `mode` holds the type (S_IFREG, S_IFIFO, S_IFCHR, S_IFBLK,
   *  S_IFSOCK) and the permission bits; `rdev` is a device node's device number. */
  create(dir: VolumeNode, name: Buffer, mode: number, rdev: bigint, uid: number, gid: number): VolumeNode;
  /** `perm` may include S_ISGID (inherited from a set-group-ID parent) and S_ISVTX. */
  mkdir(dir: VolumeNode, name: Buffer, perm: number, uid: number, gid: number): VolumeNode;
  symlink(dir: VolumeNode, name: Buffer, target: Buffer, uid: number, gid: number): VolumeNode;
  /** A new name for an existing non-directory (EMLINK past the volume's link limit). */
  link(dir: VolumeNode, name: Buffer, target: VolumeNode): void;
  /** Removes a non-directory's name (its data goes with its last name and last open file). */
  unlink(dir: VolumeNode, name: Buffer): void;
  /** Removes an empty directory (ENOTEMPTY otherwise). */
  rmdir(dir: VolumeNode, name: Buffer): void;
  /** rename(2) within the volume; with `noReplace` an existing target is EEXIST, with
   *  `exchange` the two names swap. Replacing a directory needs an empty one. */
  rename(fromDir: VolumeNode, fromName: Buffer, toDir: VolumeNode, toName: Buffer, flags: { noReplace: boolean; exchange: boolean }): void;
  setattr(n: VolumeNode, a: SetAttr): void;

  /** Opens a regular file's data for reading and/or writing (`path` is the guest path it was
   *  opened by, for /proc and traces). The description's read/write/pread/pwrite/seek/stat
   *  work on the node (writes with mode.append at the end, atomically), fsync on the medium,
   *  and mapping() gives the page cache the file's pages (for mmap and exec); truncation on
   *  open is a setattr the VFS makes first. */
  openData(n: VolumeNode, path: string, mode: OpenMode): OpenFile;

  /** Figures of the file system holding `n` (one per volume, except for the host view). */
  statfs(n: VolumeNode): VolumeFigures;
  /** Writes everything dirty to the medium (sync, syncfs, umount, remount read-only). */
  sync(): void;
  /** fsync(2) (or fdatasync(2) with `dataOnly`) of node `n`: once it returns, the file's data
   *  and what finds it are on the medium and survive a crash. Volumes without a medium of
   *  their own leave it out. (The VFS reaches it through the open file's fsync().) */
  fsync?(n: VolumeNode, dataOnly: boolean): void;
  /** The volume is unmounted (the VFS syncs it first). */
  unmount?(): void;
  /** Node `n` is held by an open description from now on, until `unpinned` (a volume whose
   *  nodes name paths keeps them right across renames). */
  pinned?(n: VolumeNode): void;
  unpinned?(n: VolumeNode): void;

  // Optional refinements, for volumes whose rules are not only the mode bits.

  /** Options /proc/mounts shows after the VFS's own ("size=1024k,mode=755"), or "". */
  mountOptions?(): string;
  /** A read-only volume's exceptions: whether directory `dir`'s entry `name` (or, without a
   *  name, the node itself) may change anyway (the host view's writable directories). */
  writable?(n: VolumeNode, name?: Buffer): boolean;
  /** An access check of the volume's own instead of the mode bits' (`want`: MAY_* bits;
   *  /proc's sysctl files bind root too, and some entries need the right to inspect a
   *  process); may throw a SysError of its own. */
  permission?(n: VolumeNode, who: FsCaller, want: number): boolean;
  /** A "magic" symbolic link (/proc/PID/fd/N of a pipe): following it as the last component
   *  reaches this open description itself, whatever its text says. Null: an ordinary link. */
  jump?(n: VolumeNode): OpenFile | null;
  /** Whether link `n` is magic (/proc/PID/fd/N, exe, cwd, root) even where it is followed by its
   *  text (openat2's RESOLVE_NO_MAGICLINKS). */
  magic?(n: VolumeNode): boolean;
}
