// The shape of a system call implementation: the process and the six register arguments
// (EBX, ECX, EDX, ESI, EDI, EBP) as int32; the result is the value for EAX (a negative errno
// for failures, which implementations report by throwing SysError).

import type { Task } from "../libexoc/task.js";

export type Sys = (t: Task, a: number, b: number, c: number, d: number, e: number, f: number) => number;
