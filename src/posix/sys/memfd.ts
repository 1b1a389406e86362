// memfd_create: an anonymous file in memory. It is made in the tmpfs at /dev/shm (the one that
// makes shared mappings of one frame in every process) under a unique name, and unlinked at
// once: a regular file that ftruncate, mmap with MAP_SHARED, fstat and /proc/self/fd (which
// shows that name, where Linux shows "/memfd:NAME") treat like any tmpfs file, except that it
// can be sealed (fcntl F_ADD_SEALS; volumes/tmpfs.ts enforces the seals): with
// MFD_ALLOW_SEALING, or MFD_NOEXEC_SEAL, which also takes the execute bits away for good.

import type { Sys } from "../types.js";
import { sysError, SysError } from "../../libexoc/errors.js";
import { TmpFile, F_SEAL_SEAL, F_SEAL_EXEC } from "../../libexoc/volumes/tmpfs.js";

const MFD_CLOEXEC = 1, MFD_ALLOW_SEALING = 2, MFD_HUGETLB = 4, MFD_NOEXEC_SEAL = 8, MFD_EXEC = 0x10;
/** Longest name (Linux's MFD_NAME_MAX_LEN: NAME_MAX less the "memfd:" prefix). */
const NAME_MAX = 249;
/** Where the files are made. */
const DIR = "/dev/shm";

let serial = 0;

export const memfdCreate: Sys = (t, nameVa, flags) => {
  if ((flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC)) !== 0) sysError("EINVAL");
  // (no huge pages; MFD_EXEC and MFD_NOEXEC_SEAL exclude each other)
  if ((flags & MFD_HUGETLB) !== 0 || (flags & (MFD_EXEC | MFD_NOEXEC_SEAL)) === (MFD_EXEC | MFD_NOEXEC_SEAL)) sysError("EINVAL");
  if (nameVa === 0) sysError("EFAULT");
  let name: Buffer;
  try {
    name = t.mem.cstring(nameVa, NAME_MAX + 1);
  } catch (e) {
    if (e instanceof SysError && e.errno === "ENAMETOOLONG") sysError("EINVAL");
    throw e;
  }
  const path = `${DIR}/.memfd-${t.pid}-${++serial}-${name.toString("latin1").replace(/[^\w.-]/g, "_").slice(0, 64)}`;
  const mode = { read: true, write: true, append: false, nonblock: false };
  const noExec = (flags & MFD_NOEXEC_SEAL) !== 0;
  const f = t.fs.open(t, path, "/", { mode, create: true, exclusive: true, truncate: false, directory: false, noFollow: true, perm: noExec ? 0o666 : 0o777 });
  try {
    // (Linux's memfd_create: F_SEAL_SEAL, so no seal can be added, unless sealing is allowed)
    if (f instanceof TmpFile) f.sealable(noExec ? F_SEAL_EXEC : (flags & MFD_ALLOW_SEALING) !== 0 ? 0 : F_SEAL_SEAL);
    t.fs.unlink(t, path, "/");
    return t.fds.add(f, (flags & MFD_CLOEXEC) !== 0);
  } catch (e) {
    f.drop();
    throw e;
  }
};
