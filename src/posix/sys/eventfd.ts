// eventfd and eventfd2: a counter as a file descriptor (libexoc/eventfd.ts).

import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import { sysError } from "../../libexoc/errors.js";
import { EventFd } from "../../libexoc/eventfd.js";
import { O_NONBLOCK, O_CLOEXEC } from "../abi/fcntl.js";

const EFD_SEMAPHORE = 1, EFD_NONBLOCK = O_NONBLOCK, EFD_CLOEXEC = O_CLOEXEC;

function make(t: Task, initval: number, flags: number): number {
  if ((flags & ~(EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC)) !== 0) sysError("EINVAL");
  return t.fds.add(new EventFd(BigInt(initval >>> 0), (flags & EFD_SEMAPHORE) !== 0, (flags & EFD_NONBLOCK) !== 0), (flags & EFD_CLOEXEC) !== 0);
}

export const eventfd2: Sys = (t, initval, flags) => make(t, initval, flags);
export const eventfd: Sys = (t, initval) => make(t, initval, 0);
