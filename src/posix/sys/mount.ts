// mount, umount2 and umount: Linux's MS_* and MNT_* flags become libexoc's mount requests
// (vfs/mountops.ts holds the rules).

import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import { sysError } from "../../libexoc/errors.js";
import type { MountFlags } from "../../libexoc/vfs/mounts.js";
import { pathArg } from "./file.js";

export const MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_SYNCHRONOUS = 16, MS_REMOUNT = 32;
export const MS_MANDLOCK = 64, MS_DIRSYNC = 128, MS_NOSYMFOLLOW = 256, MS_NOATIME = 1024, MS_NODIRATIME = 2048;
export const MS_BIND = 4096, MS_MOVE = 8192, MS_REC = 16384, MS_SILENT = 32768, MS_POSIXACL = 1 << 16;
export const MS_UNBINDABLE = 1 << 17, MS_PRIVATE = 1 << 18, MS_SLAVE = 1 << 19, MS_SHARED = 1 << 20;
export const MS_RELATIME = 1 << 21, MS_KERNMOUNT = 1 << 22, MS_I_VERSION = 1 << 23, MS_STRICTATIME = 1 << 24, MS_LAZYTIME = 1 << 25;
/** The magic number old programs put in the high 16 bits. */
const MS_MGC_VAL = 0xc0ed0000, MS_MGC_MSK = 0xffff0000;
const PROPAGATION = MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE;

export const MNT_FORCE = 1, MNT_DETACH = 2, MNT_EXPIRE = 4, UMOUNT_NOFOLLOW = 8;

/** Longest options string (a page, as the kernel copies it). */
const DATA_MAX = 4096;

function optString(t: Task, va: number, max = DATA_MAX): string {
  return va === 0 ? "" : t.mem.cstring(va, max).toString("latin1");
}

export const mount: Sys = (t, srcVa, targetVa, typeVa, flagsArg, dataVa) => {
  let flags = flagsArg >>> 0;
  if ((flags & MS_MGC_MSK) >>> 0 === MS_MGC_VAL) flags &= ~MS_MGC_MSK;
  const target = pathArg(t, targetVa);
  const remount = (flags & MS_REMOUNT) !== 0, bind = (flags & MS_BIND) !== 0, move = (flags & MS_MOVE) !== 0;
  const propagationOnly = !remount && !bind && !move && (flags & PROPAGATION) !== 0;
  const fsType = remount || bind || move || propagationOnly ? "" : optString(t, typeVa, 256);
  if (!remount && !bind && !move && !propagationOnly && fsType === "") sysError("EINVAL");
  const f: MountFlags = {
    readOnly: (flags & MS_RDONLY) !== 0,
    nosuid: (flags & MS_NOSUID) !== 0,
    nodev: (flags & MS_NODEV) !== 0,
    noexec: (flags & MS_NOEXEC) !== 0,
    atime: flags & MS_NOATIME ? "noatime" : flags & MS_STRICTATIME ? "strictatime" : "relatime",
    nodiratime: (flags & MS_NODIRATIME) !== 0,
    nosymfollow: (flags & MS_NOSYMFOLLOW) !== 0,
  };
  t.fs.mount(t, {
    source: srcVa === 0 ? "" : pathArg(t, srcVa),
    target,
    base: t.cwd,
    fsType,
    options: optString(t, dataVa),
    flags: f,
    remount,
    bind,
    move,
    propagationOnly,
  });
  return 0;
};

export const umount2: Sys = (t, targetVa, flags) => {
  if ((flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW)) !== 0) sysError("EINVAL");
  if (flags & MNT_EXPIRE && flags & (MNT_FORCE | MNT_DETACH)) sysError("EINVAL");
  t.fs.umount(t, { target: pathArg(t, targetVa), base: t.cwd, detach: (flags & MNT_DETACH) !== 0, expire: (flags & MNT_EXPIRE) !== 0, noFollow: (flags & UMOUNT_NOFOLLOW) !== 0 });
  return 0;
};

export const umount: Sys = (t, targetVa) => umount2(t, targetVa, 0, 0, 0, 0, 0);
