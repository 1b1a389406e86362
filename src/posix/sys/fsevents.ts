// The events reads and writes make for inotify's watches (vfs/notify.ts): a call that moved
// bytes from or to a file opened through the VFS reports access or modify on it, as Linux's
// vfs_read and vfs_write do, and directory listings report access whatever they returned.

import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import { VfsRef } from "../../libexoc/vfs/ref.js";
import { IN_ACCESS, IN_MODIFY } from "../../libexoc/vfs/notify.js";

/** Argument positions of the descriptors a call reads from and writes to (absent: none). */
interface Sides {
  from?: number;
  to?: number;
  /** The event even when the call returned 0 (getdents; fallocate, which returns 0). */
  onZero?: boolean;
}

function event(t: Task, fd: number, mask: number): void {
  if (!t.fds.has(fd)) return;
  const r = t.fds.get(fd).ref;
  if (r instanceof VfsRef) r.event(mask);
}

/** `sys`, followed by access on its `from` descriptor and modify on its `to` one when it
 *  succeeded (moved bytes, unless `onZero`). */
export function touching(sys: Sys, sides: Sides): Sys {
  return (t, a, b, c, d, e, f) => {
    const r = sys(t, a, b, c, d, e, f);
    // (nothing to do, and nothing allocated, while no watch exists)
    if (t.fs.notify.count === 0) return r;
    if (r > 0 || (r === 0 && sides.onZero === true)) {
      const args = [a, b, c, d, e, f];
      if (sides.from !== undefined) event(t, args[sides.from], IN_ACCESS);
      if (sides.to !== undefined) event(t, args[sides.to], IN_MODIFY);
    }
    return r;
  };
}
