// Thread-local storage descriptors: set_thread_area/get_thread_area write and read the TLS
// entries of the process's GDT (glibc puts its thread pointer in GS through one of them).

import type { Sys } from "../types.js";
import { sysError } from "../../libexoc/errors.js";
import type { UserDescriptor } from "../../exokernel/kernel.js";
import { Struct } from "../abi/structs.js";
import type { Task } from "../../libexoc/task.js";

/** Linux i386 GDT_ENTRY_TLS_MIN and GDT_ENTRY_TLS_ENTRIES (asm/segment.h). */
const GDT_TLS_FIRST = 6, GDT_TLS_COUNT = 3;

/** struct user_desc flag bits (asm/ldt.h). */
const SEG_32BIT = 1 << 0, CONTENTS_SHIFT = 1, READ_EXEC_ONLY = 1 << 3, LIMIT_IN_PAGES = 1 << 4;
const SEG_NOT_PRESENT = 1 << 5, USEABLE = 1 << 6;

function decode(base: number, limit: number, flags: number): UserDescriptor | null {
  const contents = (flags >> CONTENTS_SHIFT) & 3;
  const readOnly = (flags & READ_EXEC_ONLY) !== 0;
  const notPresent = (flags & SEG_NOT_PRESENT) !== 0;
  // Linux's LDT_empty: an all-clear request (or the "zero" form) frees the entry.
  if ((base === 0 && limit === 0 && contents === 0 && readOnly && !(flags & SEG_32BIT) && !(flags & LIMIT_IN_PAGES) && notPresent && !(flags & USEABLE)) ||
      (base === 0 && limit === 0 && flags === 0)) {
    return null;
  }
  if (contents === 3 && !notPresent) sysError("EINVAL"); // conforming code is not allowed
  return {
    base: base >>> 0,
    limit: limit & 0xfffff,
    pages: (flags & LIMIT_IN_PAGES) !== 0,
    big: (flags & SEG_32BIT) !== 0,
    code: contents >= 2,
    readOnly,
    contents: (contents & 1) !== 0,
    present: !notPresent,
    available: (flags & USEABLE) !== 0,
  };
}

/** set_thread_area on `target` with the struct user_desc at `uinfo` in `src`'s memory (a
 *  new thread's CLONE_SETTLS reads its creator's). An entry of -1 picks a free slot, which is
 *  written back. */
function setArea(target: Task, src: Task, uinfo: number): void {
  let entry = src.mem.i32(uinfo);
  const base = src.mem.u32(uinfo + 4), limit = src.mem.u32(uinfo + 8), flags = src.mem.u32(uinfo + 12);
  if (entry === -1) {
    entry = -1;
    for (let k = 0; k < GDT_TLS_COUNT; k++) {
      if (!target.tls[k]) {
        entry = GDT_TLS_FIRST + k;
        break;
      }
    }
    if (entry < 0) sysError("ESRCH");
    src.mem.putU32(uinfo, entry);
  }
  if (entry < GDT_TLS_FIRST || entry >= GDT_TLS_FIRST + GDT_TLS_COUNT) sysError("EINVAL");
  const d = decode(base, limit, flags);
  target.kernel.setTls(target.env, entry, d);
  target.tls[entry - GDT_TLS_FIRST] = d === null ? null : { base: base >>> 0, limit, flags };
}

export const setThreadArea: Sys = (t, uinfo) => {
  setArea(t, t, uinfo);
  return 0;
};

/** CLONE_SETTLS on i386: `tls` points to a struct user_desc, as for set_thread_area. */
export function setTlsFrom(child: Task, uinfo: number, creator: Task): void {
  setArea(child, creator, uinfo);
}

export const getThreadArea: Sys = (t, uinfo) => {
  const entry = t.mem.i32(uinfo);
  if (entry < GDT_TLS_FIRST || entry >= GDT_TLS_FIRST + GDT_TLS_COUNT) sysError("EINVAL");
  const d = t.tls[entry - GDT_TLS_FIRST];
  const s = new Struct(16).i32(0, entry);
  if (d) s.u32(4, d.base).u32(8, d.limit).u32(12, d.flags);
  else s.u32(12, READ_EXEC_ONLY | SEG_NOT_PRESENT);
  t.mem.write(uinfo, s.bytes);
  return 0;
};
