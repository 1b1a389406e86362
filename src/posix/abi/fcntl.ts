// Linux i386 open(2)/fcntl(2)/*at() flag values (asm-generic/fcntl.h) and their translation to
// libexoc's open request.

import type { OpenRequest } from "../../libexoc/vfs/vfs.js";
import { sysError } from "../../libexoc/errors.js";

export const O_ACCMODE = 3, O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2;
export const O_CREAT = 0o100, O_EXCL = 0o200, O_NOCTTY = 0o400, O_TRUNC = 0o1000, O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000, O_DSYNC = 0o10000, O_ASYNC = 0o20000, O_DIRECT = 0o40000;
export const O_LARGEFILE = 0o100000, O_DIRECTORY = 0o200000, O_NOFOLLOW = 0o400000, O_NOATIME = 0o1000000;
export const O_CLOEXEC = 0o2000000, O_SYNC = 0o4010000, O_PATH = 0o10000000, O_TMPFILE = 0o20200000;

/** The flags open(2) knows (Linux's VALID_OPEN_FLAGS, with __O_SYNC and __O_TMPFILE): openat2
 *  refuses others (EINVAL), where open ignores them. */
export const VALID_OPEN_FLAGS = O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC | O_ASYNC |
  O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_SYNC | O_PATH | O_TMPFILE;

export const OPEN_FLAG_NAMES: [number, string][] = [
  [O_CREAT, "O_CREAT"], [O_EXCL, "O_EXCL"], [O_NOCTTY, "O_NOCTTY"], [O_TRUNC, "O_TRUNC"], [O_APPEND, "O_APPEND"],
  [O_NONBLOCK, "O_NONBLOCK"], [O_DSYNC, "O_DSYNC"], [O_ASYNC, "O_ASYNC"], [O_DIRECT, "O_DIRECT"],
  [O_LARGEFILE, "O_LARGEFILE"], [O_DIRECTORY, "O_DIRECTORY"], [O_NOFOLLOW, "O_NOFOLLOW"], [O_NOATIME, "O_NOATIME"],
  [O_CLOEXEC, "O_CLOEXEC"], [O_PATH, "O_PATH"],
];

export const AT_FDCWD = -100;
export const AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_SYMLINK_FOLLOW = 0x400, AT_NO_AUTOMOUNT = 0x800;
export const AT_EMPTY_PATH = 0x1000, AT_EACCESS = 0x200;

export const F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, F_GETLK = 5, F_SETLK = 6, F_SETLKW = 7;
export const F_GETLK64 = 12, F_SETLK64 = 13, F_SETLKW64 = 14, F_DUPFD_CLOEXEC = 1030;
export const F_OFD_GETLK = 36, F_OFD_SETLK = 37, F_OFD_SETLKW = 38;
export const F_RDLCK = 0, F_WRLCK = 1, F_UNLCK = 2;
export const LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;
export const FD_CLOEXEC = 1;

/** Translates open(2) flags; unknown bits are ignored, as Linux does for open (not openat2). */
export function openRequest(flags: number, mode: number, umask: number): OpenRequest & { cloexec: boolean } {
  const acc = flags & O_ACCMODE;
  if (acc === 3) sysError("EINVAL");
  if ((flags & O_TMPFILE) === O_TMPFILE) sysError("EOPNOTSUPP", "O_TMPFILE");
  return {
    mode: {
      read: acc !== O_WRONLY, write: acc !== O_RDONLY, append: (flags & O_APPEND) !== 0, nonblock: (flags & O_NONBLOCK) !== 0,
      largeFile: (flags & O_LARGEFILE) !== 0, noatime: (flags & O_NOATIME) !== 0,
    },
    create: (flags & O_CREAT) !== 0,
    exclusive: (flags & O_EXCL) !== 0,
    truncate: (flags & O_TRUNC) !== 0,
    directory: (flags & O_DIRECTORY) !== 0,
    noFollow: (flags & O_NOFOLLOW) !== 0,
    pathOnly: (flags & O_PATH) !== 0,
    noctty: (flags & O_NOCTTY) !== 0,
    noatime: (flags & O_NOATIME) !== 0,
    perm: mode & 0o7777 & ~umask,
    requestedPerm: mode & 0o7777,
    cloexec: (flags & O_CLOEXEC) !== 0,
  };
}

/** Symbolic open flags for traces. */
export function openFlagsText(flags: number): string {
  const acc = ["O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"][flags & O_ACCMODE];
  const parts = [acc];
  let rest = flags & ~O_ACCMODE;
  for (const [v, n] of OPEN_FLAG_NAMES) {
    if ((rest & v) === v) {
      parts.push(n);
      rest &= ~v;
    }
  }
  if (rest) parts.push("0x" + rest.toString(16));
  return parts.join("|");
}
