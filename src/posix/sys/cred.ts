// Credentials: the set*id family and the group list, in their 32-bit forms and the 16-bit ones
// of the original i386 ABI (where 0xffff means "unchanged" and ids above 0xffff read as
// 65534). The rules are libexoc's (creds.ts); this file converts ids and guest arrays.

import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import { sysError } from "../../libexoc/errors.js";
import { setId, setReId, setResId, setFsId, setGroups, NGROUPS_MAX } from "../../libexoc/creds.js";
import { Struct } from "../abi/structs.js";

/** An id argument of a 32-bit call: -1 stays -1 (unchanged), others are unsigned. */
const id32 = (v: number): number => (v === -1 ? -1 : v >>> 0);
/** An id argument of a 16-bit call: 0xffff is -1. */
const id16 = (v: number): number => ((v & 0xffff) === 0xffff ? -1 : v & 0xffff);
/** An id as a 16-bit call reports it (overflowuid 65534 when it does not fit). */
const out16 = (v: number): number => (v > 0xffff ? 65534 : v);

export const setuid32: Sys = (t, uid) => (setId(t.proc, "u", id32(uid)), 0);
export const setgid32: Sys = (t, gid) => (setId(t.proc, "g", id32(gid)), 0);
export const setuid16: Sys = (t, uid) => (setId(t.proc, "u", id16(uid)), 0);
export const setgid16: Sys = (t, gid) => (setId(t.proc, "g", id16(gid)), 0);

export const setreuid32: Sys = (t, r, e) => (setReId(t.proc, "u", id32(r), id32(e)), 0);
export const setregid32: Sys = (t, r, e) => (setReId(t.proc, "g", id32(r), id32(e)), 0);
export const setreuid16: Sys = (t, r, e) => (setReId(t.proc, "u", id16(r), id16(e)), 0);
export const setregid16: Sys = (t, r, e) => (setReId(t.proc, "g", id16(r), id16(e)), 0);

export const setresuid32: Sys = (t, r, e, s) => (setResId(t.proc, "u", id32(r), id32(e), id32(s)), 0);
export const setresgid32: Sys = (t, r, e, s) => (setResId(t.proc, "g", id32(r), id32(e), id32(s)), 0);
export const setresuid16: Sys = (t, r, e, s) => (setResId(t.proc, "u", id16(r), id16(e), id16(s)), 0);
export const setresgid16: Sys = (t, r, e, s) => (setResId(t.proc, "g", id16(r), id16(e), id16(s)), 0);

/** getresuid/getresgid: the three ids to three pointers, as u32 or u16. */
function getRes(t: Task, ids: [number, number, number], ptrs: number[], wide: boolean): number {
  ids.forEach((v, k) => {
    if (wide) t.mem.putU32(ptrs[k], v);
    else t.mem.write(ptrs[k], new Struct(2).u16(0, out16(v)).bytes);
  });
  return 0;
}

export const getresuid32: Sys = (t, a, b, c) => getRes(t, [t.proc.uid, t.proc.euid, t.proc.suid], [a, b, c], true);
export const getresgid32: Sys = (t, a, b, c) => getRes(t, [t.proc.gid, t.proc.egid, t.proc.sgid], [a, b, c], true);
export const getresuid16: Sys = (t, a, b, c) => getRes(t, [t.proc.uid, t.proc.euid, t.proc.suid], [a, b, c], false);
export const getresgid16: Sys = (t, a, b, c) => getRes(t, [t.proc.gid, t.proc.egid, t.proc.sgid], [a, b, c], false);

/** setfsuid/setfsgid return the previous file-system id whatever happens. */
export const setfsuid32: Sys = (t, uid) => setFsId(t.proc, "u", id32(uid));
export const setfsgid32: Sys = (t, gid) => setFsId(t.proc, "g", id32(gid));
export const setfsuid16: Sys = (t, uid) => out16(setFsId(t.proc, "u", id16(uid)));
export const setfsgid16: Sys = (t, gid) => out16(setFsId(t.proc, "g", id16(gid)));

/** getgroups: size 0 asks for the count; a smaller array than the list is EINVAL. */
function getGroups(t: Task, size: number, list: number, wide: boolean): number {
  const groups = t.proc.groups;
  if (size < 0) sysError("EINVAL");
  if (size === 0) return groups.length;
  if (size < groups.length) sysError("EINVAL");
  if (groups.length === 0) return 0;
  const w = wide ? 4 : 2;
  const s = new Struct(groups.length * w);
  groups.forEach((g, k) => (wide ? s.u32(k * w, g) : s.u16(k * w, out16(g))));
  t.mem.write(list, s.bytes);
  return groups.length;
}

function putGroups(t: Task, size: number, list: number, wide: boolean): number {
  if (size < 0 || size > NGROUPS_MAX) sysError("EINVAL");
  const groups: number[] = [];
  if (size > 0) {
    const b = t.mem.read(list, size * (wide ? 4 : 2));
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let k = 0; k < size; k++) groups.push(wide ? dv.getUint32(k * 4, true) : dv.getUint16(k * 2, true));
  }
  setGroups(t.proc, groups);
  return 0;
}

export const getgroups32: Sys = (t, size, list) => getGroups(t, size, list, true);
export const getgroups16: Sys = (t, size, list) => getGroups(t, size, list, false);
export const setgroups32: Sys = (t, size, list) => putGroups(t, size, list, true);
export const setgroups16: Sys = (t, size, list) => putGroups(t, size, list, false);
