// openat2(2): openat with its arguments in an extensible struct open_how, checked strictly, and
// restrictions on how the path may be resolved (RESOLVE_*: libexoc/vfs/walk.ts).

import type { Sys } from "../types.js";
import { sysError } from "../../libexoc/errors.js";
import { RESOLVE_NO_XDEV, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS, RESOLVE_BENEATH, RESOLVE_IN_ROOT } from "../../libexoc/vfs/walk.js";
import { openRequest, VALID_OPEN_FLAGS, O_CREAT, O_TRUNC, O_DIRECTORY, O_NOFOLLOW, O_PATH, O_CLOEXEC, O_TMPFILE } from "../abi/fcntl.js";
import { install, baseDir, pathArg } from "./file.js";

/** struct open_how's first version: u64 flags, mode and resolve. */
const OPEN_HOW_SIZE_VER0 = 24;
/** Largest struct a caller may pass (a page: E2BIG beyond). */
const OPEN_HOW_MAX = 4096;
/** Lookups only from what is cached: nothing is cached apart from what every lookup reads here,
 *  so only what needs writing (O_CREAT, O_TRUNC, O_TMPFILE) is refused with EAGAIN. */
const RESOLVE_CACHED = 0x20;
const VALID_RESOLVE = RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_IN_ROOT | RESOLVE_CACHED;
/** What O_PATH may come with in openat2 (Linux's O_PATH_FLAGS). */
const O_PATH_FLAGS = O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC;

/** openat2(dirfd, path, how, size), in Linux's order of checks: the struct's size (EINVAL below
 *  the first version, E2BIG above a page or with nonzero bytes this kernel does not know), then
 *  the flags (unknown ones EINVAL), the resolve flags (unknown ones, or RESOLVE_BENEATH with
 *  RESOLVE_IN_ROOT, EINVAL), a mode only with O_CREAT or O_TMPFILE and only permission bits,
 *  O_PATH only with O_DIRECTORY, O_NOFOLLOW and O_CLOEXEC, and then the path. */
export const openat2: Sys = (t, dirfd, pathVa, howVa, size) => {
  size >>>= 0;
  if (size < OPEN_HOW_SIZE_VER0) sysError("EINVAL");
  if (size > OPEN_HOW_MAX) sysError("E2BIG");
  const raw = t.mem.read(howVa, size);
  for (let k = OPEN_HOW_SIZE_VER0; k < size; k++) if (raw[k] !== 0) sysError("E2BIG");
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const flags = dv.getUint32(0, true), mode = dv.getUint32(8, true), resolve = dv.getUint32(16, true);
  if (dv.getUint32(4, true) !== 0 || (flags & ~VALID_OPEN_FLAGS) !== 0) sysError("EINVAL");
  if (dv.getUint32(20, true) !== 0 || (resolve & ~VALID_RESOLVE) !== 0) sysError("EINVAL");
  if ((resolve & RESOLVE_BENEATH) !== 0 && (resolve & RESOLVE_IN_ROOT) !== 0) sysError("EINVAL");
  const creates = (flags & O_CREAT) !== 0 || (flags & O_TMPFILE) === O_TMPFILE;
  if (dv.getUint32(12, true) !== 0 || (creates ? (mode & ~0o7777) !== 0 : mode !== 0)) sysError("EINVAL");
  if ((flags & O_CREAT) !== 0 && (flags & O_DIRECTORY) !== 0) sysError("EINVAL");
  if ((flags & O_PATH) !== 0 && (flags & ~O_PATH_FLAGS) !== 0) sysError("EINVAL");
  if ((resolve & RESOLVE_CACHED) !== 0 && (flags & (O_TRUNC | O_CREAT | O_TMPFILE)) !== 0) sysError("EAGAIN");
  const path = pathArg(t, pathVa);
  const req = { ...openRequest(flags, mode, t.umask), resolve: resolve & ~RESOLVE_CACHED };
  t.fds.needFree();
  // (under RESOLVE_IN_ROOT an absolute path starts at the directory too)
  const base = baseDir(t, dirfd, (resolve & RESOLVE_IN_ROOT) !== 0 && path.startsWith("/") ? "." : path);
  return install(t, t.fs.open(t, path, base, req), req.cloexec);
};
