// Thread-local storage descriptors: set_thread_area/get_thread_area write and read the TLS
// entries of the process's GDT (glibc puts its thread pointer in GS through one of them), and
// modify_ldt the process's LDT (16-bit code and data segments for DOS-style or legacy code).

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
  t.mem.write(uinfo, userDesc(t, t.mem.i32(uinfo)));
  return 0;
};

/** The struct user_desc of TLS entry `entry` of thread `t` (get_thread_area; a tracer's
 *  PTRACE_GET_THREAD_AREA and NT_386_TLS); EINVAL for an entry that is not a TLS slot. */
export function userDesc(t: Task, entry: number): Uint8Array {
  if (entry < GDT_TLS_FIRST || entry >= GDT_TLS_FIRST + GDT_TLS_COUNT) sysError("EINVAL");
  const d = t.tls[entry - GDT_TLS_FIRST];
  const s = new Struct(16).i32(0, entry);
  if (d) s.u32(4, d.base).u32(8, d.limit).u32(12, d.flags);
  else s.u32(12, READ_EXEC_ONLY | SEG_NOT_PRESENT);
  return s.bytes;
}

/** The TLS slots' entry numbers (NT_386_TLS lists them all). */
export const TLS_ENTRIES = [GDT_TLS_FIRST, GDT_TLS_FIRST + 1, GDT_TLS_FIRST + 2];

/** modify_ldt's LDT size and the default LDT's (what a 64-bit kernel reports to i386 code). */
const LDT_ENTRIES = 8192, DEFAULT_LDT_BYTES = 128;

/** modify_ldt(func, ptr, bytecount): 0 reads the LDT, 1 (the old form, without the "useable"
 *  bit) and 0x11 write one entry from a struct user_desc, 2 reads the default LDT (zeros).
 *  After a write, DS and ES are reloaded when they name LDT entries, as Linux does. */
export const modifyLdt: Sys = (p, func, ptr, bytecount) => {
  const count = bytecount >>> 0;
  switch (func) {
    case 0: {
      const ldt = p.kernel.readLdt(p.env);
      if (ldt.length === 0) return 0;
      const n = Math.min(count, LDT_ENTRIES * 8);
      const out = new Uint8Array(n);
      out.set(ldt.subarray(0, Math.min(n, ldt.length)));
      p.mem.write(ptr, out);
      return n;
    }
    case 2: {
      const n = Math.min(count, DEFAULT_LDT_BYTES);
      p.mem.write(ptr, new Uint8Array(n));
      return n;
    }
    case 1:
    case 0x11:
      writeLdt(p, ptr, count, func === 1);
      return 0;
    default:
      return sysError("ENOSYS");
  }
};

function writeLdt(p: Parameters<Sys>[0], ptr: number, count: number, oldMode: boolean): void {
  if (count !== 16) sysError("EINVAL");
  const entry = p.mem.u32(ptr) >>> 0, base = p.mem.u32(ptr + 4), limit = p.mem.u32(ptr + 8), flags = p.mem.u32(ptr + 12);
  if (entry >= LDT_ENTRIES) sysError("EINVAL");
  const contents = (flags >> CONTENTS_SHIFT) & 3;
  if (contents === 3 && (oldMode || !(flags & SEG_NOT_PRESENT))) sysError("EINVAL");
  // Linux's LDT_empty (or, in the old form, base and limit both zero) clears the entry.
  const empty = base === 0 && limit === 0 && contents === 0 && (flags & READ_EXEC_ONLY) !== 0 && !(flags & SEG_32BIT) &&
    !(flags & LIMIT_IN_PAGES) && (flags & SEG_NOT_PRESENT) !== 0 && !(flags & USEABLE);
  let d: UserDescriptor | null = null;
  if (!(empty || (oldMode && base === 0 && limit === 0))) {
    d = {
      base: base >>> 0,
      limit: limit & 0xfffff,
      pages: (flags & LIMIT_IN_PAGES) !== 0,
      big: (flags & SEG_32BIT) !== 0,
      code: contents >= 2,
      readOnly: (flags & READ_EXEC_ONLY) !== 0,
      contents: (contents & 1) !== 0,
      present: !(flags & SEG_NOT_PRESENT),
      available: !oldMode && (flags & USEABLE) !== 0,
    };
  }
  p.kernel.setLdt(p.env, entry, d);
  for (const seg of [DS, ES]) {
    if ((p.kernel.selector(p.env, seg) & 4) === 0) continue;
    try {
      p.kernel.reloadSegment(p.env, seg);
    } catch {
      // the entry no longer fits the register: Linux's fixup leaves it with a null selector
    }
  }
}

const ES = 0, DS = 3;
