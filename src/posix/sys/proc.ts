// Process identity and lifetime: exit/exit_group, the id getters, set_tid_address, resource
// limits, umask, kill/tgkill to the process itself, and the startup calls glibc makes
// (set_robust_list, prctl names).

import type { Sys } from "../types.js";
import { sysError } from "../../libexoc/errors.js";
import { NSIG } from "../../libexoc/signal.js";

export const exit: Sys = (p, code) => {
  p.exit(code);
  return 0;
};

export const getpid: Sys = (p) => p.pid;
export const gettid: Sys = (p) => p.pid;
export const getppid: Sys = (p) => p.ppid;
export const getuid: Sys = (p) => p.uid;
export const geteuid: Sys = (p) => p.euid;
export const getgid: Sys = (p) => p.gid;
export const getegid: Sys = (p) => p.egid;
/** The 16-bit id calls of the original i386 ABI truncate to 16 bits (65534 when too large). */
const id16 = (v: number): number => (v > 0xffff ? 65534 : v);
export const getuid16: Sys = (p) => id16(p.uid);
export const geteuid16: Sys = (p) => id16(p.euid);
export const getgid16: Sys = (p) => id16(p.gid);
export const getegid16: Sys = (p) => id16(p.egid);
export const getpgrp: Sys = (p) => p.pgid;
export const getpgid: Sys = (p, pid) => {
  if (pid !== 0 && pid !== p.pid) sysError("ESRCH");
  return p.pgid;
};
export const getsid: Sys = (p, pid) => {
  if (pid !== 0 && pid !== p.pid) sysError("ESRCH");
  return p.sid;
};
export const setpgid: Sys = (p, pid, pgid) => {
  if (pid !== 0 && pid !== p.pid) sysError("ESRCH");
  if (pgid < 0) sysError("EINVAL");
  if (p.sid === p.pid) sysError("EPERM");
  p.pgid = pgid === 0 ? p.pid : pgid;
  return 0;
};
export const setsid: Sys = (p) => {
  if (p.pgid === p.pid) sysError("EPERM");
  p.sid = p.pgid = p.pid;
  return p.sid;
};

export const setTidAddress: Sys = (p, addr) => {
  p.clearTid = addr >>> 0;
  return p.pid;
};

export const umask: Sys = (p, mask) => {
  const old = p.umask;
  p.umask = mask & 0o777;
  return old;
};

/** kill/tkill/tgkill addressed to this process (there are no others yet). */
function signalSelf(p: Parameters<Sys>[0], target: number, sig: number, code: number): number {
  if (sig < 0 || sig > NSIG) sysError("EINVAL");
  if (target !== p.pid && target !== 0 && target !== -1 && target !== -p.pgid) sysError("ESRCH");
  p.sendSignal(sig, code);
  return 0;
}

/** si_code of signals sent by kill and by tkill/tgkill. */
const SI_USER = 0, SI_TKILL = -6;

export const kill: Sys = (p, pid, sig) => signalSelf(p, pid, sig, SI_USER);
export const tkill: Sys = (p, tid, sig) => signalSelf(p, tid, sig, SI_TKILL);
export const tgkill: Sys = (p, tgid, tid, sig) => {
  if (tgid !== p.pid) sysError("ESRCH");
  return signalSelf(p, tid, sig, SI_TKILL);
};

export const schedYield: Sys = () => 0;

/** set_robust_list: recorded only by its length check; a single-threaded process never needs
 *  the kernel to walk it. */
export const setRobustList: Sys = (_p, _head, len) => {
  if (len !== 12) sysError("EINVAL");
  return 0;
};

/** Default resource limits: [soft, hard] per resource, bytes or counts (Infinity = unlimited). */
const DEFAULT_LIMITS: Record<number, [number, number]> = {
  0: [Infinity, Infinity], // RLIMIT_CPU
  1: [Infinity, Infinity], // RLIMIT_FSIZE
  2: [Infinity, Infinity], // RLIMIT_DATA
  3: [8 << 20, Infinity], // RLIMIT_STACK
  4: [0, Infinity], // RLIMIT_CORE
  5: [Infinity, Infinity], // RLIMIT_RSS
  6: [4096, 4096], // RLIMIT_NPROC
  7: [1024, 1024], // RLIMIT_NOFILE
  8: [8 << 20, 8 << 20], // RLIMIT_MEMLOCK
  9: [Infinity, Infinity], // RLIMIT_AS
  10: [Infinity, Infinity], // RLIMIT_LOCKS
  11: [4096, 4096], // RLIMIT_SIGPENDING
  12: [819200, 819200], // RLIMIT_MSGQUEUE
  13: [0, 0], // RLIMIT_NICE
  14: [0, 0], // RLIMIT_RTPRIO
  15: [Infinity, Infinity], // RLIMIT_RTTIME
};

function limit(p: Parameters<Sys>[0], res: number): [number, number] {
  const l = p.rlimits.get(res) ?? DEFAULT_LIMITS[res];
  if (!l) sysError("EINVAL");
  return l;
}

const clamp32 = (v: number, inf: number): number => (v === Infinity || v > inf ? inf : v);

/** ugetrlimit: unsigned 32-bit limits, RLIM_INFINITY = 0xffffffff. */
export const ugetrlimit: Sys = (p, res, buf) => {
  const [cur, max] = limit(p, res);
  p.mem.putU32(buf, clamp32(cur, 0xffffffff));
  p.mem.putU32(buf + 4, clamp32(max, 0xffffffff));
  return 0;
};

/** Old getrlimit: signed limits, infinity reported as 0x7fffffff. */
export const getrlimit: Sys = (p, res, buf) => {
  const [cur, max] = limit(p, res);
  p.mem.putU32(buf, clamp32(cur, 0x7fffffff));
  p.mem.putU32(buf + 4, clamp32(max, 0x7fffffff));
  return 0;
};

export const setrlimit: Sys = (p, res, buf) => {
  const [, max] = limit(p, res);
  const cur = p.mem.u32(buf) >>> 0, nmax = p.mem.u32(buf + 4) >>> 0;
  const c = cur === 0xffffffff ? Infinity : cur, m = nmax === 0xffffffff ? Infinity : nmax;
  if (c > m || m > max) sysError("EPERM");
  p.rlimits.set(res, [c, m]);
  return 0;
};

export const prlimit64: Sys = (p, pid, res, newBuf, oldBuf) => {
  if (pid !== 0 && pid !== p.pid) sysError("ESRCH");
  const [cur, max] = limit(p, res);
  if (oldBuf !== 0) {
    const enc = (v: number): bigint => (v === Infinity ? 0xffffffffffffffffn : BigInt(v));
    const b = new Uint8Array(16);
    const dv = new DataView(b.buffer);
    dv.setBigUint64(0, enc(cur), true);
    dv.setBigUint64(8, enc(max), true);
    p.mem.write(oldBuf, b);
  }
  if (newBuf !== 0) {
    const b = p.mem.read(newBuf, 16);
    const dv = new DataView(b.buffer);
    const dec = (v: bigint): number => (v === 0xffffffffffffffffn ? Infinity : Number(v));
    const c = dec(dv.getBigUint64(0, true)), m = dec(dv.getBigUint64(8, true));
    if (c > m || m > max) sysError("EPERM");
    p.rlimits.set(res, [c, m]);
  }
  return 0;
};

const PR_SET_NAME = 15, PR_GET_NAME = 16, PR_SET_DUMPABLE = 4, PR_GET_DUMPABLE = 3;

export const prctl: Sys = (p, option, arg2) => {
  switch (option) {
    case PR_SET_NAME: {
      const s = p.mem.cstring(arg2, 4096).subarray(0, 15);
      p.comm = Buffer.alloc(16);
      s.copy(p.comm);
      return 0;
    }
    case PR_GET_NAME:
      p.mem.write(arg2, p.comm);
      return 0;
    case PR_GET_DUMPABLE:
      return 1;
    case PR_SET_DUMPABLE:
      if (arg2 !== 0 && arg2 !== 1) sysError("EINVAL");
      return 0;
    default:
      return sysError("EINVAL", `prctl option ${option}`);
  }
};

/** sched_getaffinity: the emulated machine has one CPU. The kernel's mask is one long (4 bytes
 *  on i386); a smaller buffer is EINVAL. */
export const schedGetaffinity: Sys = (p, pid, len, mask) => {
  if (pid !== 0 && pid !== p.pid) sysError("ESRCH");
  if (len >>> 0 < 4 || (len & 3) !== 0) sysError("EINVAL");
  p.mem.putU32(mask, 1);
  return 4;
};
