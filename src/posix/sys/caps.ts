// The capability calls: capget and capset, and prctl's capability options (the keep-caps flag,
// the bounding set, the secure bits, the ambient set). The sets and their rules are libexoc's
// (libexoc/capability.ts); this file reads and writes the guest's structures.

import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import type { Process } from "../../libexoc/process.js";
import { sysError } from "../../libexoc/errors.js";
import { Struct } from "../abi/structs.js";
import {
  capable, capset as applyCapset, has, or, without, word, fromWords, bits, CAP_SETPCAP, CAP_LAST_CAP,
  SECBIT_KEEP_CAPS, SECBIT_NO_CAP_AMBIENT_RAISE, SECURE_ALL_BITS, SECURE_ALL_LOCKS,
} from "../../libexoc/capability.js";

const LINUX_CAPABILITY_VERSION_1 = 0x19980330, LINUX_CAPABILITY_VERSION_2 = 0x20071026, LINUX_CAPABILITY_VERSION_3 = 0x20080522;

export const PR_GET_KEEPCAPS = 7, PR_SET_KEEPCAPS = 8, PR_CAPBSET_READ = 23, PR_CAPBSET_DROP = 24;
export const PR_GET_SECUREBITS = 27, PR_SET_SECUREBITS = 28, PR_CAP_AMBIENT = 47;
const PR_CAP_AMBIENT_IS_SET = 1, PR_CAP_AMBIENT_RAISE = 2, PR_CAP_AMBIENT_LOWER = 3, PR_CAP_AMBIENT_CLEAR_ALL = 4;
/** SECBIT_KEEP_CAPS's lock. */
const SECBIT_KEEP_CAPS_LOCKED = SECBIT_KEEP_CAPS << 1;

/** The header's version as a number of 32-bit words per set (1 for version 1, 2 after), or 0
 *  for one Linux does not know: then the version it prefers is written back, and the call is
 *  EINVAL unless the data pointer is null (how a library asks which version to use). */
function words(t: Task, hdrVa: number, dataVa: number): number {
  const version = t.mem.u32(hdrVa);
  const n = version === LINUX_CAPABILITY_VERSION_1 ? 1 : version === LINUX_CAPABILITY_VERSION_2 || version === LINUX_CAPABILITY_VERSION_3 ? 2 : 0;
  if (n === 0) {
    t.mem.putU32(hdrVa, LINUX_CAPABILITY_VERSION_3);
    if (dataVa !== 0) sysError("EINVAL");
  }
  return n;
}

/** capget: the effective, permitted and inheritable sets of process `pid` (0: the caller) as
 *  struct __user_cap_data_struct, one per 32 capabilities. A negative pid is EINVAL, a missing
 *  one ESRCH. */
export const capget: Sys = (t, hdrVa, dataVa) => {
  const n = words(t, hdrVa, dataVa);
  if (n === 0 || dataVa === 0) return 0;
  const pid = t.mem.i32(hdrVa + 4);
  if (pid < 0) sysError("EINVAL");
  const p = pid === 0 ? t.proc : (t.sys.findProcess(pid) ?? t.sys.tasks.get(pid)?.proc);
  if (p === undefined || p.termination !== null) return sysError("ESRCH");
  const data = new Struct(12 * n);
  for (let k = 0; k < n; k++) data.u32(12 * k, word(p.capEff, k)).u32(12 * k + 4, word(p.capPrm, k)).u32(12 * k + 8, word(p.capInh, k));
  t.mem.write(dataVa, data.bytes);
  return 0;
};

/** capset: the caller's own sets (a pid other than 0 or its own is EPERM), within the rules of
 *  capability.ts (EPERM otherwise). Version 1 gives the first 32 capabilities; the others are
 *  then cleared. */
export const capset: Sys = (t, hdrVa, dataVa) => {
  const n = words(t, hdrVa, dataVa);
  if (n === 0) return 0;
  const pid = t.mem.i32(hdrVa + 4);
  if (pid !== 0 && pid !== t.pid && pid !== t.tid) sysError("EPERM");
  const b = t.mem.read(dataVa, 12 * n);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const set = (field: number): number => fromWords(dv.getUint32(field, true), n > 1 ? dv.getUint32(12 + field, true) : 0);
  if (!applyCapset(t.proc, set(0), set(4), set(8))) sysError("EPERM");
  return 0;
};

/** A capability number prctl takes: EINVAL if Linux knows no such capability. */
function validCap(cap: number): number {
  if (cap < 0 || cap > CAP_LAST_CAP) sysError("EINVAL");
  return cap;
}

/** PR_SET_SECUREBITS: needs CAP_SETPCAP; a locked flag cannot change, a lock cannot be
 *  removed, and unknown bits are refused (all EPERM, as Linux). */
function setSecurebits(p: Process, v: number): number {
  const old = p.securebits;
  const lockedFlags = (old & SECURE_ALL_LOCKS) >>> 1;
  if ((lockedFlags & (old ^ v)) !== 0 || (old & SECURE_ALL_LOCKS & ~v) !== 0 || (v & ~(SECURE_ALL_LOCKS | SECURE_ALL_BITS)) !== 0 || !capable(p, CAP_SETPCAP)) {
    sysError("EPERM");
  }
  p.securebits = v;
  return 0;
}

/** prctl's capability options. */
export function capPrctl(t: Task, option: number, arg2: number, arg3: number, arg4: number, arg5: number): number {
  const p = t.proc;
  switch (option) {
    case PR_GET_KEEPCAPS:
      return (p.securebits & SECBIT_KEEP_CAPS) !== 0 ? 1 : 0;
    case PR_SET_KEEPCAPS:
      if (arg2 >>> 0 > 1) sysError("EINVAL");
      if ((p.securebits & SECBIT_KEEP_CAPS_LOCKED) !== 0) sysError("EPERM");
      p.securebits = arg2 === 1 ? p.securebits | SECBIT_KEEP_CAPS : p.securebits & ~SECBIT_KEEP_CAPS;
      return 0;
    case PR_CAPBSET_READ:
      return has(p.capBnd, validCap(arg2)) ? 1 : 0;
    case PR_CAPBSET_DROP:
      if (!capable(p, CAP_SETPCAP)) sysError("EPERM");
      p.capBnd = without(p.capBnd, bits(validCap(arg2)));
      return 0;
    case PR_GET_SECUREBITS:
      return p.securebits;
    case PR_SET_SECUREBITS:
      return setSecurebits(p, arg2 >>> 0);
    case PR_CAP_AMBIENT: {
      if (arg2 === PR_CAP_AMBIENT_CLEAR_ALL) {
        if (arg3 !== 0 || arg4 !== 0 || arg5 !== 0) sysError("EINVAL");
        p.capAmb = 0;
        return 0;
      }
      if (arg3 < 0 || arg3 > CAP_LAST_CAP || arg4 !== 0 || arg5 !== 0) sysError("EINVAL");
      const cap = bits(arg3);
      switch (arg2) {
        case PR_CAP_AMBIENT_IS_SET:
          return has(p.capAmb, arg3) ? 1 : 0;
        case PR_CAP_AMBIENT_RAISE:
          if (!has(p.capPrm, arg3) || !has(p.capInh, arg3) || (p.securebits & SECBIT_NO_CAP_AMBIENT_RAISE) !== 0) sysError("EPERM");
          p.capAmb = or(p.capAmb, cap);
          return 0;
        case PR_CAP_AMBIENT_LOWER:
          p.capAmb = without(p.capAmb, cap);
          return 0;
        default:
          return sysError("EINVAL");
      }
    }
    default:
      return sysError("EINVAL");
  }
}
