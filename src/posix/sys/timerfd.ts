// timerfd_create, timerfd_settime and timerfd_gettime (32- and 64-bit time): timers read
// through a file descriptor (libexoc/timerfd.ts).

import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import { sysError } from "../../libexoc/errors.js";
import { TimerFd } from "../../libexoc/timerfd.js";
import { CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM } from "../../libexoc/time.js";
import { O_NONBLOCK, O_CLOEXEC } from "../abi/fcntl.js";
import { itimerspec, readItimerspec } from "./timer.js";
import { capable, CAP_WAKE_ALARM } from "../../libexoc/capability.js";

const TFD_NONBLOCK = O_NONBLOCK, TFD_CLOEXEC = O_CLOEXEC;
const TFD_TIMER_ABSTIME = 1, TFD_TIMER_CANCEL_ON_SET = 2;

export const timerfdCreate: Sys = (t, clock, flags) => {
  if ((flags & ~(TFD_NONBLOCK | TFD_CLOEXEC)) !== 0) sysError("EINVAL");
  if (clock !== CLOCK_REALTIME && clock !== CLOCK_MONOTONIC && clock !== CLOCK_BOOTTIME && clock !== CLOCK_REALTIME_ALARM && clock !== CLOCK_BOOTTIME_ALARM) sysError("EINVAL");
  if ((clock === CLOCK_REALTIME_ALARM || clock === CLOCK_BOOTTIME_ALARM) && !capable(t.proc, CAP_WAKE_ALARM)) sysError("EPERM");
  const wall = clock === CLOCK_REALTIME || clock === CLOCK_REALTIME_ALARM;
  return t.fds.add(new TimerFd(t.sys, wall, (flags & TFD_NONBLOCK) !== 0), (flags & TFD_CLOEXEC) !== 0);
};

/** The timerfd `fd` names: EBADF if none is open, EINVAL if it is another kind of file. */
function timerfd(t: Task, fd: number): TimerFd {
  const f = t.fds.get(fd);
  if (!(f instanceof TimerFd)) return sysError("EINVAL");
  return f;
}

function settime(t: Task, fd: number, flags: number, nv: number, ov: number, wide: boolean): number {
  const f = timerfd(t, fd);
  if ((flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) !== 0) sysError("EINVAL");
  if (nv === 0) sysError("EFAULT");
  const [interval, value] = readItimerspec(t, nv, wide);
  const old = f.set(value, interval, (flags & TFD_TIMER_ABSTIME) !== 0);
  if (ov !== 0) t.mem.write(ov, itimerspec(old[0], old[1], wide));
  return 0;
}

function gettime(t: Task, fd: number, cur: number, wide: boolean): number {
  const [v, i] = timerfd(t, fd).get();
  t.mem.write(cur, itimerspec(v, i, wide));
  return 0;
}

export const timerfdSettime32: Sys = (t, fd, flags, nv, ov) => settime(t, fd, flags, nv, ov, false);
export const timerfdSettime64: Sys = (t, fd, flags, nv, ov) => settime(t, fd, flags, nv, ov, true);
export const timerfdGettime32: Sys = (t, fd, cur) => gettime(t, fd, cur, false);
export const timerfdGettime64: Sys = (t, fd, cur) => gettime(t, fd, cur, true);
