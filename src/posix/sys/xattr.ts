// Extended attributes: exojit's file-system view keeps none, and answers as Linux does on a file
// system without them: reading one finds no data (ENODATA), listing finds an empty list,
// setting one is not supported (EOPNOTSUPP). The path or descriptor and the attribute name are
// still checked, so errors about them come first.

import { PathFile } from "../../libexoc/file.js";
import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import { sysError } from "../../libexoc/errors.js";
import { pathArg } from "./file.js";

/** Longest attribute name (XATTR_NAME_MAX). */
const NAME_MAX = 255;

function checkPath(t: Task, pathVa: number, follow: boolean): void {
  const p = pathArg(t, pathVa);
  t.fs.stat(t, p, t.cwd, follow);
}

function checkName(t: Task, nameVa: number): void {
  const n = t.mem.cstring(nameVa, NAME_MAX + 1);
  if (n.length === 0 || n.length > NAME_MAX) sysError("ERANGE");
}

export const getxattr: Sys = (t, path, name) => {
  checkPath(t, path, true);
  checkName(t, name);
  return sysError("ENODATA");
};

export const lgetxattr: Sys = (t, path, name) => {
  checkPath(t, path, false);
  checkName(t, name);
  return sysError("ENODATA");
};

export const fgetxattr: Sys = (t, fd, name) => {
  if (t.fds.get(fd) instanceof PathFile) sysError("EBADF");
  checkName(t, name);
  return sysError("ENODATA");
};

export const listxattr: Sys = (t, path) => {
  checkPath(t, path, true);
  return 0;
};

export const llistxattr: Sys = (t, path) => {
  checkPath(t, path, false);
  return 0;
};

export const flistxattr: Sys = (t, fd) => {
  if (t.fds.get(fd) instanceof PathFile) sysError("EBADF");
  return 0;
};

const XATTR_CREATE = 1, XATTR_REPLACE = 2;

function set(t: Task, name: number, flags: number): number {
  if ((flags & ~(XATTR_CREATE | XATTR_REPLACE)) !== 0) sysError("EINVAL");
  checkName(t, name);
  return sysError("EOPNOTSUPP");
}

export const setxattr: Sys = (t, path, name, _v, _n, flags) => {
  checkPath(t, path, true);
  return set(t, name, flags);
};

export const lsetxattr: Sys = (t, path, name, _v, _n, flags) => {
  checkPath(t, path, false);
  return set(t, name, flags);
};

export const fsetxattr: Sys = (t, fd, name, _v, _n, flags) => {
  if (t.fds.get(fd) instanceof PathFile) sysError("EBADF");
  return set(t, name, flags);
};

export const removexattr: Sys = (t, path, name) => {
  checkPath(t, path, true);
  checkName(t, name);
  return sysError("ENODATA");
};

export const lremovexattr: Sys = (t, path, name) => {
  checkPath(t, path, false);
  checkName(t, name);
  return sysError("ENODATA");
};

export const fremovexattr: Sys = (t, fd, name) => {
  if (t.fds.get(fd) instanceof PathFile) sysError("EBADF");
  checkName(t, name);
  return sysError("ENODATA");
};
