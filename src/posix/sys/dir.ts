// Directory listing: getdents64 and the older getdents fill the caller's buffer with as many
// whole entries as fit (struct linux_dirent64 / linux_dirent, each padded to its alignment),
// starting at the directory's offset, and advance it; the oldest, readdir, takes one entry a
// call. libexoc's DirFile keeps the listing.

import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import { sysError } from "../../libexoc/errors.js";
import { DirFile, type DirEntry } from "../../libexoc/dirfile.js";
import { Struct } from "../abi/structs.js";

/** struct linux_dirent64: u64 d_ino, s64 d_off, u16 d_reclen, u8 d_type, d_name; 8-aligned. */
function dirent64(e: DirEntry, next: number): Uint8Array {
  const len = (19 + e.name.length + 1 + 7) & ~7;
  const s = new Struct(len).u64(0, e.ino).i64(8, next).u16(16, len).u8(18, e.type);
  s.bytes.set(e.name, 19);
  return s.bytes;
}

/** struct linux_dirent: u32 d_ino, u32 d_off, u16 d_reclen, d_name, then d_type in the last
 *  byte; 4-aligned. An inode number that does not fit 32 bits is EOVERFLOW. */
function dirent32(e: DirEntry, next: number): Uint8Array {
  if (e.ino > 0xffffffffn) sysError("EOVERFLOW");
  const len = (10 + e.name.length + 2 + 3) & ~3;
  const s = new Struct(len).u32(0, Number(e.ino)).u32(4, next).u16(8, len).u8(len - 1, e.type);
  s.bytes.set(e.name, 10);
  return s.bytes;
}

function fill(t: Task, fd: number, buf: number, count: number, encode: (e: DirEntry, next: number) => Uint8Array): number {
  const f = t.fds.get(fd);
  if (!(f instanceof DirFile)) sysError("ENOTDIR");
  const list = f.entries();
  const out: Uint8Array[] = [];
  let total = 0, at = f.offset;
  while (at < list.length) {
    const rec = encode(list[at], at + 1);
    if (total + rec.length > count >>> 0) break;
    out.push(rec);
    total += rec.length;
    at++;
  }
  if (total === 0 && at < list.length) sysError("EINVAL"); // the buffer cannot hold one entry
  if (total > 0) t.mem.write(buf, Buffer.concat(out));
  f.offset = at;
  return total;
}

export const getdents64: Sys = (t, fd, buf, count) => fill(t, fd, buf, count, dirent64);
export const getdents: Sys = (t, fd, buf, count) => fill(t, fd, buf, count, dirent32);

/** readdir: the original call, one struct old_linux_dirent a call (u32 d_ino, u32 d_offset of
 *  the entry itself, u16 d_namlen, the name and a NUL; the count argument is not looked at, as
 *  on Linux): 1 for an entry, 0 at the end. */
export const readdir: Sys = (t, fd, buf) => {
  const f = t.fds.get(fd);
  if (!(f instanceof DirFile)) sysError("ENOTDIR");
  const list = f.entries();
  if (f.offset >= list.length) return 0;
  const e = list[f.offset];
  if (e.ino > 0xffffffffn) sysError("EOVERFLOW");
  const s = new Struct(10 + e.name.length + 1).u32(0, Number(e.ino)).u32(4, f.offset).u16(8, e.name.length);
  s.bytes.set(e.name, 10);
  t.mem.write(buf, s.bytes);
  f.offset++;
  return 1;
};
