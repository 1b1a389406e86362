// Permission rules of the VFS (POSIX, with Linux's choices where POSIX leaves them open). The
// caller's file-system ids and groups decide which class of the mode bits applies: owner, group
// or other. Root (file-system uid 0) may read and write anything and search any directory, but
// executes a file only if some execute bit is set. A volume may replace the mode-bit check with
// its own (Volume.permission: /proc).

import { S_IFMT, S_IFDIR, type FileStat } from "../file.js";
import { MAY_EXEC, type FsCaller } from "../volume.js";

export const S_ISUID = 0o4000, S_ISGID = 0o2000, S_ISVTX = 0o1000;

/** The ids a permission check uses. */
export interface Cred {
  uid: number;
  gid: number;
  groups: readonly number[];
}

export function credOf(who: FsCaller): Cred {
  const p = who.proc;
  return { uid: p.fsuid ?? p.euid, gid: p.fsgid ?? p.egid, groups: p.groups };
}

/** The caller with its real ids as file-system ids (what access(2) checks with). */
export function withRealIds(who: FsCaller): FsCaller {
  const p = who.proc;
  return { tid: who.tid, proc: { ...p, pid: p.pid, euid: p.euid, egid: p.egid, groups: p.groups, fsuid: p.uid ?? p.euid, fsgid: p.gid ?? p.egid } };
}

export function inGroup(c: Cred, gid: number): boolean {
  return c.gid === gid || c.groups.includes(gid);
}

export function isDir(st: FileStat): boolean {
  return (st.mode & S_IFMT) === S_IFDIR;
}

/** Whether the mode bits of `st` give `c` every permission in `want` (MAY_* bits). */
export function modePermits(c: Cred, st: FileStat, want: number): boolean {
  if (c.uid === 0) return (want & MAY_EXEC) === 0 || isDir(st) || (st.mode & 0o111) !== 0;
  const bits = c.uid === st.uid ? st.mode >> 6 : inGroup(c, st.gid) ? st.mode >> 3 : st.mode;
  return (bits & want & 7) === (want & 7);
}

/** The owner of `st`, or root: who may chmod, set times explicitly, and so on. */
export function ownerOrRoot(c: Cred, st: FileStat): boolean {
  return c.uid === 0 || c.uid === st.uid;
}

/** A sticky directory lets only the owner of an entry, the owner of the directory or root
 *  remove or rename the entry (the /tmp rule). */
export function stickyForbids(c: Cred, dir: FileStat, st: FileStat): boolean {
  return (dir.mode & S_ISVTX) !== 0 && c.uid !== 0 && c.uid !== st.uid && c.uid !== dir.uid;
}

/** The permission bits chmod may set: a caller outside the file's group (and not root) cannot
 *  set its set-group-ID bit. */
export function chmodBits(c: Cred, st: FileStat, perm: number): number {
  perm &= 0o7777;
  if (c.uid !== 0 && !inGroup(c, st.gid)) perm &= ~S_ISGID;
  return perm;
}

/** The bits a chown leaves on a non-directory: set-user-ID goes, and set-group-ID with it
 *  when the group may execute (it then means set-group-ID, not mandatory locking). */
export function chownBits(mode: number): number {
  let perm = mode & 0o7777;
  perm &= ~S_ISUID;
  if ((perm & (S_ISGID | 0o010)) === (S_ISGID | 0o010)) perm &= ~S_ISGID;
  return perm;
}

/** Owner, group and bits of a new node in directory `dir` (POSIX with the BSD group rule on
 *  set-group-ID directories, as Linux's inode_init_owner): in a set-group-ID directory the
 *  group is the directory's, a new subdirectory inherits the bit, and a caller outside that
 *  group cannot make a group-executable set-group-ID file there; elsewhere the group is the
 *  caller's. */
export function newOwner(c: Cred, dir: FileStat, perm: number, directory: boolean): { uid: number; gid: number; perm: number } {
  const sgidDir = (dir.mode & S_ISGID) !== 0;
  perm &= 0o7777;
  if (!sgidDir) return { uid: c.uid, gid: c.gid, perm };
  if (directory) perm |= S_ISGID;
  else if ((perm & (S_ISGID | 0o010)) === (S_ISGID | 0o010) && c.uid !== 0 && !inGroup(c, dir.gid)) perm &= ~S_ISGID;
  return { uid: c.uid, gid: dir.gid, perm };
}
