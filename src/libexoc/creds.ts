// Process credentials (POSIX, with Linux's file-system ids): the real, effective and saved
// user and group ids, the supplementary groups, and the file-system ids that permission checks
// use (they follow the effective ids unless setfsuid/setfsgid set them apart). The values live on
// Process; these are the rules for changing them.
//
// Privilege is CAP_SETUID for user ids and CAP_SETGID for group ids, in the effective set; a
// change of user ids then adjusts the capability sets (capability.ts). Every change of an
// effective id makes the file-system id follow it.

import { sysError } from "./errors.js";
import { capable, fixSetuid, fixSetfsuid, CAP_SETUID, CAP_SETGID, type CapState } from "./capability.js";

/** Most supplementary groups (NGROUPS_MAX). */
export const NGROUPS_MAX = 65536;

/** The credential fields of a process. */
export interface Creds extends CapState {
  uid: number;
  euid: number;
  suid: number;
  gid: number;
  egid: number;
  sgid: number;
  groups: number[];
  /** A file-system user/group id set apart from the effective one, or null (it follows). */
  fsuidSet: number | null;
  fsgidSet: number | null;
  /** prctl's dumpable flag: a change of effective or file-system id clears it (Linux's
   *  commit_creds sets suid_dumpable, 0), which also gives /proc/PID's files to root. */
  dumpable: number;
}

/** An id argument: -1 leaves it unchanged; other values must be valid ids (not -1 as u32). */
function valid(id: number): boolean {
  return id >= 0 && id <= 0xfffffffe;
}

type Which = "u" | "g";

function get(c: Creds, w: Which): [number, number, number] {
  return w === "u" ? [c.uid, c.euid, c.suid] : [c.gid, c.egid, c.sgid];
}

/** Whether the caller may set ids of kind `w` at will. */
function privileged(c: Creds, w: Which): boolean {
  return capable(c, w === "u" ? CAP_SETUID : CAP_SETGID);
}

function set(c: Creds, w: Which, r: number, e: number, s: number): void {
  if (fsId(c, w) !== e || (w === "u" ? c.euid : c.egid) !== e) c.dumpable = 0;
  if (w === "u") {
    const old = { uid: c.uid, euid: c.euid, suid: c.suid };
    c.uid = r;
    c.euid = e;
    c.suid = s;
    c.fsuidSet = null;
    fixSetuid(c, old);
  } else {
    c.gid = r;
    c.egid = e;
    c.sgid = s;
    c.fsgidSet = null;
  }
}

/** setuid/setgid: privileged, all three ids; otherwise the effective id, to the real or
 *  saved one. */
export function setId(c: Creds, w: Which, id: number): void {
  if (!valid(id)) sysError("EINVAL");
  const [r, , s] = get(c, w);
  if (privileged(c, w)) set(c, w, id, id, id);
  else if (id === r || id === s) set(c, w, r, id, s);
  else sysError("EPERM");
}

/** setreuid/setregid (-1: unchanged). Unprivileged, the real id may become the real or
 *  effective one, the effective id the real, effective or saved one. The saved id becomes the
 *  new effective one when the real id is set, or the effective id is set to other than the old
 *  real one. */
export function setReId(c: Creds, w: Which, nr: number, ne: number): void {
  if ((nr !== -1 && !valid(nr)) || (ne !== -1 && !valid(ne))) sysError("EINVAL");
  const [r, e, s] = get(c, w);
  const priv = privileged(c, w);
  if (nr !== -1 && !priv && nr !== r && nr !== e) sysError("EPERM");
  if (ne !== -1 && !priv && ne !== r && ne !== e && ne !== s) sysError("EPERM");
  const r2 = nr === -1 ? r : nr, e2 = ne === -1 ? e : ne;
  const s2 = nr !== -1 || (ne !== -1 && ne !== r) ? e2 : s;
  set(c, w, r2, e2, s2);
}

/** setresuid/setresgid (-1: unchanged). Unprivileged, each may become any of the current three. */
export function setResId(c: Creds, w: Which, nr: number, ne: number, ns: number): void {
  for (const v of [nr, ne, ns]) if (v !== -1 && !valid(v)) sysError("EINVAL");
  const cur = get(c, w);
  if (!privileged(c, w)) for (const v of [nr, ne, ns]) if (v !== -1 && !cur.includes(v)) sysError("EPERM");
  set(c, w, nr === -1 ? cur[0] : nr, ne === -1 ? cur[1] : ne, ns === -1 ? cur[2] : ns);
}

/** The file-system user or group id now. */
export function fsId(c: Creds, w: Which): number {
  return w === "u" ? (c.fsuidSet ?? c.euid) : (c.fsgidSet ?? c.egid);
}

/** setfsuid/setfsgid: returns the old file-system id; sets the new one if privileged or if it is
 *  one of the real, effective, saved or current file-system ids (it never fails). */
export function setFsId(c: Creds, w: Which, id: number): number {
  const old = fsId(c, w);
  if (!valid(id)) return old;
  const [r, e, s] = get(c, w);
  if (privileged(c, w) || id === r || id === e || id === s || id === old) {
    if (id !== old) c.dumpable = 0;
    if (w === "u") {
      c.fsuidSet = id === c.euid ? null : id;
      fixSetfsuid(c, old, id);
    } else c.fsgidSet = id === c.egid ? null : id;
  }
  return old;
}

/** setgroups: CAP_SETGID only. */
export function setGroups(c: Creds, groups: number[]): void {
  if (!privileged(c, "g")) sysError("EPERM");
  if (groups.length > NGROUPS_MAX) sysError("EINVAL");
  for (const g of groups) if (!valid(g)) sysError("EINVAL");
  c.groups = [...groups];
}

/** exec of a set-user-ID or set-group-ID program: the effective ids become the file's owner
 *  and group; the saved ids become the effective ones in any case (POSIX). */
export function execIds(c: Creds, st: { mode: number; uid: number; gid: number }, honourSetId: boolean): void {
  const S_ISUID = 0o4000, S_ISGID = 0o2000, S_IXGRP = 0o010;
  if (honourSetId && st.mode & S_ISUID && st.uid !== c.euid) {
    c.euid = st.uid;
    c.fsuidSet = null;
  }
  if (honourSetId && (st.mode & (S_ISGID | S_IXGRP)) === (S_ISGID | S_IXGRP) && st.gid !== c.egid) {
    c.egid = st.gid;
    c.fsgidSet = null;
  }
  c.suid = c.euid;
  c.sgid = c.egid;
}
