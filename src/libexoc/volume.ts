// The contract between the VFS and each kind of file system: a Volume is one mounted file
// system (ext2 on a block device, the host directory view, tmpfs, /proc, /dev), addressed by
// nodes (inodes). The VFS (mount table, path walking, permission checks from the caller's
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
//   directory, unlink never on one); a volume rechecks only what protects its own consistency.
// - Times are nanoseconds since the epoch; sizes and counts are numbers (exact below 2^53).

import type { FileStat, OpenFile, OpenMode } from "./file.js";
import type { DirEntry } from "./dirfile.js";

/** A node of a volume: what lookup returns and every other operation takes. Volumes keep
 *  their own fields on it; the VFS reads only `ino`. */
export interface VolumeNode {
  readonly ino: bigint;
}

/** Attribute changes (chmod, chown, utimensat, truncate); absent fields stay as they are. */
export interface SetAttr {
  /** Permission bits (the file type cannot change). */
  perm?: number;
  uid?: number;
  gid?: number;
  atimeNs?: bigint;
  mtimeNs?: bigint;
  /** New size of a regular file (truncate or extend with zeroes). */
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

/** What the VFS needs of a mounted file system. */
export interface Volume {
  /** The type name mount(2) and /proc/mounts use ("ext2", "ext4", "tmpfs", "proc"...). */
  readonly fsType: string;
  /** st_dev of its files. */
  readonly dev: bigint;
  /** Mounted read-only (writes fail with EROFS before reaching the volume). */
  readonly readOnly: boolean;

  root(): VolumeNode;
  /** The entry `name` of directory `dir`, or null. */
  lookup(dir: VolumeNode, name: Buffer): VolumeNode | null;
  getattr(n: VolumeNode): FileStat;
  /** A symbolic link's target. */
  readlink(n: VolumeNode): Buffer;
  /** A directory's entries, without "." and "..", in the volume's order. */
  readdir(dir: VolumeNode): DirEntry[];

  /** Creates a non-directory: `mode` holds the type (S_IFREG, S_IFIFO, S_IFCHR, S_IFBLK,
   *  S_IFSOCK) and the permission bits; `rdev` is a device node's device number. */
  create(dir: VolumeNode, name: Buffer, mode: number, rdev: bigint, uid: number, gid: number): VolumeNode;
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
   *  work on the node; truncation on open is a setattr the VFS makes first. */
  openData(n: VolumeNode, path: string, mode: OpenMode): OpenFile;

  statfs(): VolumeFigures;
  /** Writes everything dirty to the medium (sync, and umount). */
  sync(): void;
  /** fsync(2) (or fdatasync(2) with `dataOnly`) of node `n`: once it returns, the file's data
   *  and what finds it are on the medium and survive a crash. Volumes without a medium of
   *  their own leave it out. */
  fsync?(n: VolumeNode, dataOnly: boolean): void;
  /** The volume is unmounted (it syncs first). */
  unmount?(): void;
}
