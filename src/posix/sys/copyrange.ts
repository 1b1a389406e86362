// copy_file_range: bytes copied from one regular file to another without passing through the
// caller, at given offsets (updated through the pointers) or at the files' own offsets.
// Files on different mounts are EXDEV, as Linux 6 has it for file systems without a copy
// operation of their own (cp then copies by reading and writing).

import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import { sysError } from "../../libexoc/errors.js";
import { PathFile, S_IFMT, S_IFDIR, S_IFREG, type OpenFile } from "../../libexoc/file.js";
import { VfsRef } from "../../libexoc/vfs/ref.js";
import { Struct } from "../abi/structs.js";
import { MAX_RW } from "./file.js";

const CHUNK = 1 << 16;

/** Both regular files: a directory is EISDIR, anything else EINVAL (directories first). */
function regular(a: OpenFile, b: OpenFile): void {
  const ta = a.stat().mode & S_IFMT, tb = b.stat().mode & S_IFMT;
  if (ta === S_IFDIR || tb === S_IFDIR) sysError("EISDIR");
  if (ta !== S_IFREG || tb !== S_IFREG) sysError("EINVAL");
}

export const copyFileRange: Sys = (t, fdIn, offInVa, fdOut, offOutVa, len, flags) => {
  // Linux's order: the descriptors, the offsets read (EFAULT), the flags, the kinds of file,
  // how they are open, then the offsets' values.
  const src = t.fds.get(fdIn), dst = t.fds.get(fdOut);
  if (src instanceof PathFile || dst instanceof PathFile) sysError("EBADF");
  let inAt = offInVa !== 0 ? t.mem.i64(offInVa) : src.offset;
  let outAt = offOutVa !== 0 ? t.mem.i64(offOutVa) : dst.offset;
  if (flags !== 0) sysError("EINVAL");
  regular(src, dst);
  if (!src.mode.read || !dst.mode.write || dst.mode.append) sysError("EBADF");
  if (inAt < 0 || outAt < 0) sysError("EOVERFLOW");
  const count = Math.min(len >>> 0, MAX_RW);
  const a = src.ref, b = dst.ref;
  // The same file: the ranges may not overlap.
  if (a instanceof VfsRef && b instanceof VfsRef && a.mnt === b.mnt && a.node.ino === b.node.ino && inAt < outAt + count && outAt < inAt + count) sysError("EINVAL");
  if (count === 0) return 0;
  if (!(a instanceof VfsRef) || !(b instanceof VfsRef) || a.mnt.vol !== b.mnt.vol) sysError("EXDEV");
  const buf = new Uint8Array(Math.min(CHUNK, count));
  let done = 0;
  while (done < count) {
    const n = src.pread(buf.subarray(0, Math.min(buf.length, count - done)), inAt);
    if (n <= 0) break;
    let w = 0;
    while (w < n) {
      const k = dst.pwrite(buf.subarray(w, n), outAt + w);
      if (k <= 0) sysError("EIO");
      w += k;
    }
    done += n;
    inAt += n;
    outAt += n;
  }
  if (offInVa !== 0) t.mem.write(offInVa, new Struct(8).i64(0, inAt).bytes);
  else src.offset = inAt;
  if (offOutVa !== 0) t.mem.write(offOutVa, new Struct(8).i64(0, outAt).bytes);
  else dst.offset = outAt;
  return done;
};
