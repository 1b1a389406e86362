// inotify_init, inotify_init1, inotify_add_watch, inotify_rm_watch: watches on files and their
// events through a descriptor (libexoc/inotify.ts; the VFS makes the events, vfs/notify.ts).
// The checks are Linux's, in its order: the mask (EINVAL), the descriptor (EBADF, EINVAL for
// one that is no inotify instance), the path (its walk's errors, ENOTDIR for in_onlydir), read
// permission on the file (EACCES), then the watch itself (EEXIST, ENOSPC).

import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import { sysError } from "../../libexoc/errors.js";
import { Inotify } from "../../libexoc/inotify.js";
import { S_IFMT, S_IFDIR } from "../../libexoc/file.js";
import { MAY_READ } from "../../libexoc/volume.js";
import { checkPermission } from "../../libexoc/vfs/walk.js";
import { lockKey } from "../../libexoc/vfs/ref.js";
import { IN_ALL_EVENTS, IN_UNMOUNT, IN_Q_OVERFLOW, IN_IGNORED, IN_ONLYDIR, IN_DONT_FOLLOW, IN_EXCL_UNLINK, IN_MASK_CREATE, IN_MASK_ADD, IN_ISDIR, IN_ONESHOT } from "../../libexoc/vfs/notify.js";
import { O_NONBLOCK, O_CLOEXEC } from "../abi/fcntl.js";
import { pathArg } from "./file.js";

const IN_NONBLOCK = O_NONBLOCK, IN_CLOEXEC = O_CLOEXEC;
/** Every bit inotify_add_watch knows (ALL_INOTIFY_BITS). */
const ALL_BITS = IN_ALL_EVENTS | IN_UNMOUNT | IN_Q_OVERFLOW | IN_IGNORED | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK | IN_MASK_CREATE | IN_MASK_ADD | IN_ISDIR | IN_ONESHOT;

function init(t: Task, flags: number): number {
  if ((flags & ~(IN_NONBLOCK | IN_CLOEXEC)) !== 0) sysError("EINVAL");
  const n = t.fs.notify;
  const uid = t.proc.euid;
  if ((n.instancesOf.get(uid) ?? 0) >= n.limits.maxUserInstances) sysError("EMFILE");
  return t.fds.add(new Inotify(n, uid, (flags & IN_NONBLOCK) !== 0), (flags & IN_CLOEXEC) !== 0);
}

export const inotify_init1: Sys = (t, flags) => init(t, flags);
export const inotify_init: Sys = (t) => init(t, 0);

function instance(t: Task, fd: number): Inotify {
  const f = t.fds.get(fd);
  if (!(f instanceof Inotify)) return sysError("EINVAL");
  return f;
}

export const inotify_add_watch: Sys = (t, fd, pathVa, mask) => {
  if ((mask & ALL_BITS) === 0) sysError("EINVAL");
  if ((mask & IN_MASK_ADD) !== 0 && (mask & IN_MASK_CREATE) !== 0) sysError("EINVAL");
  const inst = instance(t, fd);
  const path = pathArg(t, pathVa);
  const w = t.fs.walk(t, path, t.cwd, (mask & IN_DONT_FOLLOW) === 0);
  const st = w.jump !== null ? w.jump.stat() : w.place?.st;
  if (st === undefined) return sysError("ENOENT");
  if ((mask & IN_ONLYDIR) !== 0 && (st.mode & S_IFMT) !== S_IFDIR) sysError("ENOTDIR");
  if (w.place !== null) checkPermission(t, w.place, MAY_READ);
  return inst.watch(lockKey(st.dev, st.ino), st.dev, mask, t.proc.euid);
};

export const inotify_rm_watch: Sys = (t, fd, wd) => {
  instance(t, fd).unwatch(wd | 0);
  return 0;
};
