// futex and futex_time64: the operation in the low bits of `op`, FUTEX_PRIVATE_FLAG and
// FUTEX_CLOCK_REALTIME above them. Timeouts are relative for FUTEX_WAIT and absolute (on the
// chosen clock) for FUTEX_WAIT_BITSET and FUTEX_LOCK_PI. The semantics are libexoc/futex.ts.

import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import { sysError } from "../../libexoc/errors.js";
import { BITSET_ALL } from "../../libexoc/futex.js";
import { readTimespec, CLOCK_REALTIME, CLOCK_MONOTONIC } from "./time.js";
import { clockRead } from "../../libexoc/time.js";

const FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_FD = 2, FUTEX_REQUEUE = 3, FUTEX_CMP_REQUEUE = 4, FUTEX_WAKE_OP = 5;
const FUTEX_LOCK_PI = 6, FUTEX_UNLOCK_PI = 7, FUTEX_TRYLOCK_PI = 8, FUTEX_WAIT_BITSET = 9, FUTEX_WAKE_BITSET = 10;
const FUTEX_WAIT_REQUEUE_PI = 11, FUTEX_CMP_REQUEUE_PI = 12, FUTEX_LOCK_PI2 = 13;
const FUTEX_PRIVATE_FLAG = 128, FUTEX_CLOCK_REALTIME = 256;
const FUTEX_CMD_MASK = ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);

/** The clock deadline (exokernel ns) for a timeout argument, or null for none. */
function deadline(t: Task, va: number, wide: boolean, absolute: boolean, realtime: boolean): number | null {
  if (va === 0) return null;
  const ns = readTimespec(t, va, wide);
  if (!absolute) return t.deadlineAfter(Number(ns));
  // An absolute time on the guest's clock becomes a distance from now on the exokernel's.
  const now = clockRead(t, realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC);
  return t.kernel.clock.now() + Math.max(0, Number(ns - now));
}

function futex(t: Task, uaddr: number, op: number, val: number, timeout: number, uaddr2: number, val3: number, wide: boolean): number {
  const cmd = op & FUTEX_CMD_MASK;
  const priv = (op & FUTEX_PRIVATE_FLAG) !== 0;
  const realtime = (op & FUTEX_CLOCK_REALTIME) !== 0;
  if (realtime && cmd !== FUTEX_WAIT && cmd !== FUTEX_WAIT_BITSET && cmd !== FUTEX_WAIT_REQUEUE_PI && cmd !== FUTEX_LOCK_PI2) sysError("ENOSYS");
  const f = t.sys.futex;
  // For the requeue and wake-op commands the "timeout" argument is a count (val2).
  const val2 = timeout;
  switch (cmd) {
    case FUTEX_WAIT:
      return f.wait(t, uaddr, val, deadline(t, timeout, wide, false, realtime), BITSET_ALL, priv);
    case FUTEX_WAIT_BITSET:
      return f.wait(t, uaddr, val, deadline(t, timeout, wide, true, realtime), val3, priv);
    case FUTEX_WAKE:
      return f.wake(t, uaddr, val, BITSET_ALL, priv);
    case FUTEX_WAKE_BITSET:
      return f.wake(t, uaddr, val, val3, priv);
    case FUTEX_REQUEUE:
      return f.requeue(t, uaddr, val, uaddr2, val2, null, priv);
    case FUTEX_CMP_REQUEUE:
      return f.requeue(t, uaddr, val, uaddr2, val2, val3, priv);
    case FUTEX_WAKE_OP:
      return f.wakeOp(t, uaddr, val, uaddr2, val2, val3, priv);
    case FUTEX_LOCK_PI:
      return f.lockPi(t, uaddr, deadline(t, timeout, wide, true, true), false, priv);
    case FUTEX_LOCK_PI2:
      return f.lockPi(t, uaddr, deadline(t, timeout, wide, true, realtime), false, priv);
    case FUTEX_TRYLOCK_PI:
      return f.lockPi(t, uaddr, null, true, priv);
    case FUTEX_UNLOCK_PI:
      return f.unlockPi(t, uaddr, priv);
    case FUTEX_FD:
    case FUTEX_WAIT_REQUEUE_PI:
    case FUTEX_CMP_REQUEUE_PI:
    default:
      // FUTEX_FD left Linux in 2.6.26; requeue-PI serves only PI condition variables.
      return sysError("ENOSYS", `futex command ${cmd}`);
  }
}

export const futex32: Sys = (t, uaddr, op, val, timeout, uaddr2, val3) => futex(t, uaddr, op, val, timeout, uaddr2, val3, false);
export const futexTime64: Sys = (t, uaddr, op, val, timeout, uaddr2, val3) => futex(t, uaddr, op, val, timeout, uaddr2, val3, true);

/** futex_waitv's limits and flags (linux/futex.h: FUTEX_WAITV_MAX, FUTEX2_SIZE_U32, FUTEX2_PRIVATE). */
const FUTEX_WAITV_MAX = 128, FUTEX2_SIZE_MASK = 3, FUTEX2_SIZE_U32 = 2, FUTEX2_PRIVATE = FUTEX_PRIVATE_FLAG;

/** futex_waitv(waiters, nr, flags, timeout, clockid): waits on up to 128 futexes at once (Wine's
 *  fsync waits on several objects so); struct futex_waitv is { u64 val; u64 uaddr; u32 flags;
 *  u32 reserved }, only 32-bit futexes; the timeout is absolute on CLOCK_MONOTONIC or
 *  CLOCK_REALTIME. Returns the index of the futex woken. */
export const futexWaitv: Sys = (t, waiters, nr, flags, timeout, clockid) => {
  if (flags !== 0 || nr >>> 0 === 0 || nr >>> 0 > FUTEX_WAITV_MAX || waiters === 0) sysError("EINVAL");
  let until: number | null = null;
  if (timeout !== 0) {
    if (clockid !== CLOCK_MONOTONIC && clockid !== CLOCK_REALTIME) sysError("EINVAL");
    until = deadline(t, timeout, true, true, clockid === CLOCK_REALTIME);
  }
  const b = t.mem.read(waiters, 24 * (nr >>> 0));
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const list: { uaddr: number; val: number; priv: boolean }[] = [];
  for (let i = 0; i < nr >>> 0; i++) {
    const val = dv.getBigUint64(24 * i, true), uaddr = dv.getBigUint64(24 * i + 8, true);
    const f = dv.getUint32(24 * i + 16, true), reserved = dv.getUint32(24 * i + 20, true);
    if ((f & ~(FUTEX2_SIZE_MASK | FUTEX2_PRIVATE)) !== 0 || reserved !== 0 || (f & FUTEX2_SIZE_MASK) !== FUTEX2_SIZE_U32) sysError("EINVAL");
    if (val > 0xffffffffn || uaddr > 0xffffffffn) sysError("EINVAL");
    list.push({ uaddr: Number(uaddr), val: Number(val), priv: (f & FUTEX2_PRIVATE) !== 0 });
  }
  return t.sys.futex.waitv(t, list, until);
};
