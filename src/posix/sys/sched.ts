// The scheduling policy calls: sched_setscheduler, sched_getscheduler, sched_setparam,
// sched_getparam, sched_get_priority_max/min and sched_rr_get_interval, per thread as in Linux.
// SCHED_OTHER, SCHED_BATCH and SCHED_IDLE share the exokernel's fair share (nice values);
// SCHED_FIFO and SCHED_RR give the thread's environment a fixed priority, which the exokernel's
// FairShare serves above every other, within 95% of the CPU while others are runnable
// (exokernel/sched.ts). SCHED_DEADLINE needs sched_setattr, which is not implemented.

import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import { sysError } from "../../libexoc/errors.js";
import { RLIMIT_RTPRIO } from "../../libexoc/limits.js";
import { mayChange, niceLimitAllows, prioTargets } from "./proc.js";
import { timespec32, timespec64, Struct } from "../abi/structs.js";
import { capable, CAP_SYS_ADMIN, CAP_SYS_NICE } from "../../libexoc/capability.js";

export const SCHED_OTHER = 0, SCHED_FIFO = 1, SCHED_RR = 2, SCHED_BATCH = 3, SCHED_IDLE = 5, SCHED_DEADLINE = 6;
/** ORed into a policy: a child made by fork or clone starts with SCHED_OTHER and a nice value
 *  of at least 0. */
export const SCHED_RESET_ON_FORK = 0x40000000;
/** SCHED_RR's time slice (Linux's sched_rr_timeslice_ms). SCHED_FIFO has none, and for the
 *  time-sharing policies Linux 6 reports the fair scheduler's slice or, as here, zero. */
const RR_SLICE_NS = 100_000_000n;

const realtime = (policy: number): boolean => policy === SCHED_FIFO || policy === SCHED_RR;
const known = (policy: number): boolean => policy === SCHED_OTHER || policy === SCHED_BATCH || policy === SCHED_IDLE || realtime(policy) || policy === SCHED_DEADLINE;

/** The thread `pid` names (0: the caller); EINVAL if negative, ESRCH if there is none. */
function thread(t: Task, pid: number): Task {
  if (pid < 0) sysError("EINVAL");
  if (pid === 0) return t;
  const x = t.sys.tasks.get(pid);
  if (x === undefined || !x.alive) sysError("ESRCH");
  return x;
}


/** Sets thread `x`'s policy and priority (and, from sched_setattr, the nice value of a
 *  time-sharing policy) for caller `t`, with Linux's checks (the value first, then what an
 *  unprivileged caller may do: __sched_setscheduler). */
function setPolicy(t: Task, x: Task, policy: number, prio: number, resetOnFork: boolean, nice: number | null = null): void {
  if (!known(policy) || policy === SCHED_DEADLINE) sysError("EINVAL");
  if (realtime(policy) ? prio < 1 || prio > 99 : prio !== 0) sysError("EINVAL");
  if (!capable(t.proc, CAP_SYS_NICE)) {
    if (!mayChange(t, x)) sysError("EPERM");
    if (nice !== null && !realtime(policy) && nice < x.kernel.env(x.env).nice && !niceLimitAllows(x.proc, nice)) sysError("EPERM");
    if (realtime(policy)) {
      const limit = x.proc.limit(RLIMIT_RTPRIO)[0];
      // (a new real-time policy needs some RLIMIT_RTPRIO; a higher priority, enough of it)
      if (policy !== x.schedPolicy && limit === 0) sysError("EPERM");
      if (prio > x.fixedPriority && prio > limit) sysError("EPERM");
    }
    // Leaving SCHED_IDLE takes what lowering the nice value to the current one would.
    const now = x.kernel.env(x.env).nice;
    if (x.schedPolicy === SCHED_IDLE && policy !== SCHED_IDLE && !niceLimitAllows(x.proc, now)) sysError("EPERM");
    if (x.resetOnFork && !resetOnFork) sysError("EPERM");
  }
  x.schedPolicy = policy;
  x.resetOnFork = resetOnFork;
  x.kernel.setFixedPriority(x.env, realtime(policy) ? prio : 0, policy === SCHED_FIFO);
  if (nice !== null && !realtime(policy)) x.kernel.setNice(x.env, nice);
}

/** struct sched_param: its one int, sched_priority. EINVAL for a null pointer. */
function readParam(t: Task, param: number): number {
  if (param === 0) sysError("EINVAL");
  return t.mem.i32(param);
}

export const schedSetscheduler: Sys = (t, pid, policy, param) => {
  if (param === 0 || pid < 0) sysError("EINVAL");
  const prio = readParam(t, param);
  const x = thread(t, pid);
  setPolicy(t, x, policy & ~SCHED_RESET_ON_FORK, prio, (policy & SCHED_RESET_ON_FORK) !== 0);
  return 0;
};

export const schedGetscheduler: Sys = (t, pid) => {
  const x = thread(t, pid);
  return x.schedPolicy | (x.resetOnFork ? SCHED_RESET_ON_FORK : 0);
};

/** sched_setparam: a new priority under the thread's current policy. */
export const schedSetparam: Sys = (t, pid, param) => {
  if (param === 0 || pid < 0) sysError("EINVAL");
  const prio = readParam(t, param);
  const x = thread(t, pid);
  setPolicy(t, x, x.schedPolicy, prio, x.resetOnFork);
  return 0;
};

export const schedGetparam: Sys = (t, pid, param) => {
  if (param === 0 || pid < 0) sysError("EINVAL");
  const x = thread(t, pid);
  t.mem.putU32(param, x.fixedPriority);
  return 0;
};

/** struct sched_attr: its first version's size, and this kernel's (with the utilization
 *  clamps). */
const SCHED_ATTR_SIZE_VER0 = 48, SCHED_ATTR_SIZE = 56;
const SCHED_FLAG_RESET_ON_FORK = 1, SCHED_FLAG_RECLAIM = 2, SCHED_FLAG_DL_OVERRUN = 4, SCHED_FLAG_KEEP_POLICY = 8;
const SCHED_FLAG_KEEP_PARAMS = 0x10, SCHED_FLAG_UTIL_CLAMP_MIN = 0x20, SCHED_FLAG_UTIL_CLAMP_MAX = 0x40;
const SCHED_FLAGS_ALL = SCHED_FLAG_RESET_ON_FORK | SCHED_FLAG_RECLAIM | SCHED_FLAG_DL_OVERRUN | SCHED_FLAG_KEEP_POLICY |
  SCHED_FLAG_KEEP_PARAMS | SCHED_FLAG_UTIL_CLAMP_MIN | SCHED_FLAG_UTIL_CLAMP_MAX;
/** Largest size a caller may claim (a page). */
const PAGE = 4096;

/** sched_getattr(pid, attr, size, flags): the thread's policy, flags, nice value or
 *  priority, and the utilization clamps (0 and 1024: no clamp), as much as `size` holds. */
export const schedGetattr: Sys = (t, pid, uattr, usize, flags) => {
  if (uattr === 0 || pid < 0 || usize >>> 0 > PAGE || usize >>> 0 < SCHED_ATTR_SIZE_VER0 || flags !== 0) sysError("EINVAL");
  const x = thread(t, pid);
  const size = Math.min(usize >>> 0, SCHED_ATTR_SIZE);
  const b = new Struct(SCHED_ATTR_SIZE);
  b.u32(0, size).u32(4, x.schedPolicy).u32(8, x.resetOnFork ? SCHED_FLAG_RESET_ON_FORK : 0);
  if (realtime(x.schedPolicy)) b.u32(20, x.fixedPriority);
  else b.i32(16, x.kernel.env(x.env).nice);
  b.u32(48, 0).u32(52, 1024);
  t.mem.write(uattr, b.bytes.subarray(0, size));
  return 0;
};

/** sched_setattr(pid, attr, flags): sched_setscheduler with a nice value for the
 *  time-sharing policies and flags (SCHED_FLAG_RESET_ON_FORK, KEEP_POLICY, KEEP_PARAMS).
 *  Sizes as Linux reads them: 0 is the first version, below it or above a page E2BIG (with
 *  this kernel's size written back), unknown trailing bytes must be 0. SCHED_DEADLINE and
 *  utilization clamps are not implemented (EINVAL and EOPNOTSUPP). */
export const schedSetattr: Sys = (t, pid, uattr, flags) => {
  if (uattr === 0 || pid < 0 || flags !== 0) sysError("EINVAL");
  let size = t.mem.u32(uattr) >>> 0;
  const tooBig = (): never => {
    t.mem.putU32(uattr, SCHED_ATTR_SIZE);
    return sysError("E2BIG");
  };
  if (size > PAGE) tooBig();
  if (size === 0) size = SCHED_ATTR_SIZE_VER0;
  if (size < SCHED_ATTR_SIZE_VER0) tooBig();
  const raw = t.mem.read(uattr, size);
  for (let k = SCHED_ATTR_SIZE; k < size; k++) if (raw[k] !== 0) tooBig();
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.length);
  let policy = dv.getUint32(4, true) | 0;
  const schedFlags = dv.getUint32(8, true), flagsHi = dv.getUint32(12, true);
  const nice = Math.max(-20, Math.min(19, dv.getInt32(16, true)));
  const prio = dv.getUint32(20, true) | 0;
  if ((schedFlags & (SCHED_FLAG_UTIL_CLAMP_MIN | SCHED_FLAG_UTIL_CLAMP_MAX)) !== 0 && size < SCHED_ATTR_SIZE) sysError("EINVAL");
  if (policy < 0) sysError("EINVAL");
  const x = thread(t, pid);
  if ((schedFlags & SCHED_FLAG_KEEP_POLICY) !== 0) policy = x.schedPolicy;
  if ((schedFlags & ~SCHED_FLAGS_ALL) !== 0 || flagsHi !== 0) sysError("EINVAL");
  if ((schedFlags & (SCHED_FLAG_UTIL_CLAMP_MIN | SCHED_FLAG_UTIL_CLAMP_MAX)) !== 0) sysError("EOPNOTSUPP");
  const keepParams = (schedFlags & SCHED_FLAG_KEEP_PARAMS) !== 0;
  setPolicy(t, x, policy, keepParams ? x.fixedPriority : prio, (schedFlags & SCHED_FLAG_RESET_ON_FORK) !== 0, keepParams ? null : nice);
  return 0;
};

export const schedGetPriorityMax: Sys = (_t, policy) => (realtime(policy) ? 99 : known(policy) ? 0 : sysError("EINVAL"));
export const schedGetPriorityMin: Sys = (_t, policy) => (realtime(policy) ? 1 : known(policy) ? 0 : sysError("EINVAL"));

function rrInterval(t: Task, pid: number): bigint {
  const x = thread(t, pid);
  return x.schedPolicy === SCHED_RR ? RR_SLICE_NS : 0n;
}

export const schedRrGetInterval: Sys = (t, pid, ts) => {
  t.mem.write(ts, timespec32(rrInterval(t, pid)));
  return 0;
};

export const schedRrGetIntervalTime64: Sys = (t, pid, ts) => {
  t.mem.write(ts, timespec64(rrInterval(t, pid)));
  return 0;
};

/** getcpu(cpu, node, cache): the emulated machine has one CPU on one node. */
export const getcpu: Sys = (t, cpu, node) => {
  if (cpu !== 0) t.mem.putU32(cpu, 0);
  if (node !== 0) t.mem.putU32(node, 0);
  return 0;
};

const MEMBARRIER_CMD_QUERY = 0, MEMBARRIER_CMD_GLOBAL = 1, MEMBARRIER_CMD_GLOBAL_EXPEDITED = 2;
const MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED = 4, MEMBARRIER_CMD_PRIVATE_EXPEDITED = 8;
const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED = 16, MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE = 32;
const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE = 64, MEMBARRIER_CMD_GET_REGISTRATIONS = 512;
/** The commands answered (the rseq ones need rseq, which is not implemented). */
const MEMBARRIER_COMMANDS = MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_GLOBAL_EXPEDITED | MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED |
  MEMBARRIER_CMD_PRIVATE_EXPEDITED | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED | MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE |
  MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE | MEMBARRIER_CMD_GET_REGISTRATIONS;

/**
 * membarrier(cmd, flags, cpu). Every barrier is already met when it is asked for: one guest
 * thread runs at a time on the one emulated CPU, and each memory access is done before the
 * next instruction, so no thread can see another's accesses out of order. What remains is
 * the interface: the query, the registrations a process must make before the private
 * expedited commands (EPERM without), and EINVAL for unknown commands and flags.
 */
export const membarrier: Sys = (t, cmd, flags) => {
  if (flags !== 0) sysError("EINVAL");
  const p = t.proc;
  switch (cmd) {
    case MEMBARRIER_CMD_QUERY:
      return MEMBARRIER_COMMANDS;
    case MEMBARRIER_CMD_GLOBAL:
    case MEMBARRIER_CMD_GLOBAL_EXPEDITED:
      return 0;
    case MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED:
    case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED:
    case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE:
      p.membarrierRegistered |= cmd;
      return 0;
    case MEMBARRIER_CMD_PRIVATE_EXPEDITED:
    case MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE:
      // (each needs its own registration: the command's bit shifted once)
      if ((p.membarrierRegistered & (cmd << 1)) === 0) sysError("EPERM");
      return 0;
    case MEMBARRIER_CMD_GET_REGISTRATIONS:
      return p.membarrierRegistered;
    default:
      return sysError("EINVAL");
  }
};

/** ioprio's `which` (IOPRIO_WHO_PROCESS 1, PGRP 2, USER 3) is getpriority's plus one. */
const IOPRIO_WHO_OFFSET = 1;
const IOPRIO_CLASS_NONE = 0, IOPRIO_CLASS_RT = 1, IOPRIO_CLASS_BE = 2, IOPRIO_CLASS_IDLE = 3;
const IOPRIO_CLASS_SHIFT = 13, IOPRIO_LEVELS = 8;

/** ioprio_set: Linux 6's checks of the value (a known class, its data a level in the low 3
 *  bits and a hint above them; the real-time class for root only; none: no data), then of
 *  each target (the caller's user or root). */
export const ioprioSet: Sys = (t, which, who, ioprio) => {
  const cls = ioprio >>> IOPRIO_CLASS_SHIFT, data = ioprio & ((1 << IOPRIO_CLASS_SHIFT) - 1);
  switch (cls) {
    case IOPRIO_CLASS_RT:
      if (!capable(t.proc, CAP_SYS_NICE) && !capable(t.proc, CAP_SYS_ADMIN)) sysError("EPERM");
      break;
    case IOPRIO_CLASS_BE:
    case IOPRIO_CLASS_IDLE:
      break;
    case IOPRIO_CLASS_NONE:
      if (data !== 0) sysError("EINVAL");
      break;
    default:
      sysError("EINVAL");
  }
  const ts = prioTargets(t, which - IOPRIO_WHO_OFFSET, who);
  if (ts.length === 0) sysError("ESRCH");
  for (const x of ts) if (!mayChange(t, x)) sysError("EPERM");
  for (const x of ts) x.ioprio = ioprio;
  return 0;
};

/** ioprio_get: the thread's priority; for a group or a user, the highest of theirs (the
 *  real-time class first, then best effort, then idle; the lowest level in a class). */
export const ioprioGet: Sys = (t, which, who) => {
  const ts = prioTargets(t, which - IOPRIO_WHO_OFFSET, who);
  if (ts.length === 0) sysError("ESRCH");
  const rank = (p: number): number => {
    const cls = p >>> IOPRIO_CLASS_SHIFT;
    // (a thread that set none counts as best effort, as Linux ranks it)
    const order = cls === IOPRIO_CLASS_RT ? 0 : cls === IOPRIO_CLASS_IDLE ? 2 : 1;
    return order * IOPRIO_LEVELS + (p & (IOPRIO_LEVELS - 1));
  };
  let best = ts[0].ioprio;
  for (const x of ts) if (rank(x.ioprio) < rank(best)) best = x.ioprio;
  return best;
};
