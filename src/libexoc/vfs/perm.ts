// Permission rules of the VFS (POSIX, with Linux's choices where POSIX leaves them open). The
// caller's file-system ids and groups decide which class of the mode bits applies: owner, group
// or other. Capabilities override them (Linux's generic_permission): CAP_DAC_OVERRIDE reads and
// writes anything, searches any directory and executes a file that has some execute bit;
// CAP_DAC_READ_SEARCH reads any file and reads and searches any directory; CAP_FOWNER acts as
// any file's owner; CAP_FSETID keeps set-group-ID bits; CAP_CHOWN gives files away. Root holds
// them all unless it gave them up. A volume may replace the mode-bit check with its own
// (Volume.permission: /proc).

import { S_IFMT, S_IFDIR, type FileStat } from "../file.js";
import { MAY_EXEC, MAY_READ, MAY_WRITE, type FsCaller } from "../volume.js";
import { has, CAP_ALL, CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID, CAP_MKNOD } from "../capability.js";

export const S_ISUID = 0o4000, S_ISGID = 0o2000, S_ISVTX = 0o1000;

/** The ids and capabilities a permission check uses. */
export interface Cred {
  uid: number;
  gid: number;
  groups: readonly number[];
  /** The effective capability set. */
  caps: number;
}

/** The caller's file-system ids, groups and effective capabilities (a caller that does not
 *  carry capabilities, as a test's, holds all of them with file-system id 0, none without). */
export function credOf(who: FsCaller): Cred {
  const p = who.proc;
  const uid = p.fsuid ?? p.euid;
  return { uid, gid: p.fsgid ?? p.egid, groups: p.groups, caps: p.capEff ?? (uid === 0 ? CAP_ALL : 0) };
}

/** The caller with its real ids as file-system ids (what access(2) checks with). Its
 *  capabilities follow, as Linux's access_override_creds: none unless the real user id is 0,
 *  then the permitted set. */
export function withRealIds(who: FsCaller): FsCaller {
  const p = who.proc;
  const fsuid = p.uid ?? p.euid;
  const capEff = fsuid !== 0 ? 0 : p.capPrm ?? CAP_ALL;
  return { tid: who.tid, proc: { ...p, pid: p.pid, euid: p.euid, egid: p.egid, groups: p.groups, fsuid, fsgid: p.gid ?? p.egid, capEff } };
}

/** Whether the caller holds capability `cap`. */
export function credCapable(c: Cred, cap: number): boolean {
  return has(c.caps, cap);
}

export function inGroup(c: Cred, gid: number): boolean {
  return c.gid === gid || c.groups.includes(gid);
}

export function isDir(st: FileStat): boolean {
  return (st.mode & S_IFMT) === S_IFDIR;
}

/** Whether the mode bits of `st`, or the caller's capabilities, give `c` every permission in
 *  `want` (MAY_* bits). */
export function modePermits(c: Cred, st: FileStat, want: number): boolean {
  return bitsPermit(c, st.mode, st.uid, st.gid, isDir(st), want);
}

/** modePermits for a node described by its permission bits, owner, group and kind. */
export function bitsPermit(c: Cred, mode: number, uid: number, gid: number, dir: boolean, want: number): boolean {
  const bits = c.uid === uid ? mode >> 6 : inGroup(c, gid) ? mode >> 3 : mode;
  if ((bits & want & 7) === (want & 7)) return true;
  if (c.caps === 0) return false;
  if (dir) return ((want & MAY_WRITE) === 0 && credCapable(c, CAP_DAC_READ_SEARCH)) || credCapable(c, CAP_DAC_OVERRIDE);
  if ((want & (MAY_READ | MAY_WRITE | MAY_EXEC)) === MAY_READ && credCapable(c, CAP_DAC_READ_SEARCH)) return true;
  return ((want & MAY_EXEC) === 0 || (mode & 0o111) !== 0) && credCapable(c, CAP_DAC_OVERRIDE);
}

/** The owner of `st`, or a caller with CAP_FOWNER: who may chmod, set times explicitly, and so
 *  on. */
export function ownerOrRoot(c: Cred, st: FileStat): boolean {
  return c.uid === st.uid || credCapable(c, CAP_FOWNER);
}

/** A sticky directory lets only the owner of an entry, the owner of the directory or a caller
 *  with CAP_FOWNER remove or rename the entry (the /tmp rule). */
export function stickyForbids(c: Cred, dir: FileStat, st: FileStat): boolean {
  return (dir.mode & S_ISVTX) !== 0 && c.uid !== st.uid && c.uid !== dir.uid && !credCapable(c, CAP_FOWNER);
}

/** Whether the caller may give a file away (chown to another user or a group not its own). */
export function mayChown(c: Cred): boolean {
  return credCapable(c, CAP_CHOWN);
}

/** Whether the caller may make device nodes. */
export function mayMknod(c: Cred): boolean {
  return credCapable(c, CAP_MKNOD);
}

/** The permission bits chmod may set: a caller outside the file's group (without CAP_FSETID)
 *  cannot set its set-group-ID bit. */
export function chmodBits(c: Cred, st: FileStat, perm: number): number {
  perm &= 0o7777;
  if (!inGroup(c, st.gid) && !credCapable(c, CAP_FSETID)) perm &= ~S_ISGID;
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
export function newOwner(c: Cred, dir: FileStat, perm: number, directory: boolean, requested = perm): { uid: number; gid: number; perm: number } {
  const sgidDir = (dir.mode & S_ISGID) !== 0;
  perm &= 0o7777;
  if (!sgidDir) return { uid: c.uid, gid: c.gid, perm };
  if (directory) perm |= S_ISGID;
  // (judged on the mode asked for, before the umask took bits away: Linux's vfs_prepare_mode
  // strips the bit first, so a umask without group execute does not keep it)
  else if ((requested & (S_ISGID | 0o010)) === (S_ISGID | 0o010) && !inGroup(c, dir.gid) && !credCapable(c, CAP_FSETID)) perm &= ~S_ISGID;
  return { uid: c.uid, gid: dir.gid, perm };
}
