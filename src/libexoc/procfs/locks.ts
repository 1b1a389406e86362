// /proc/locks: the file locks held, one line each, as Linux's lock_get_status prints them
// (fs/locks.c): "N: POSIX  ADVISORY  WRITE PID MAJ:MIN:INODE START END" for a record lock
// (OFDLCK and pid -1 for an open description's), "N: FLOCK  ADVISORY  READ PID MAJ:MIN:INODE
// 0 EOF" for a flock; the device in hex, a range to the end of any file as EOF. What lslocks
// reads. Waiters, which Linux lists under the lock they wait for, are not shown.

import type { HeldLock } from "../vfs/locks.js";
import { lockKeyParts } from "../vfs/ref.js";
import { hexDev } from "./linux.js";

/** The text for `locks` (LockTable.list of the reader's name space). */
export function locksText(locks: HeldLock[]): string {
  return locks.map((l, i) => {
    const [dev, ino] = lockKeyParts(l.key);
    const what = l.flock ? "FLOCK  ADVISORY  " : l.pid === -1 ? "OFDLCK ADVISORY  " : "POSIX  ADVISORY  ";
    const range = l.flock ? "0 EOF" : `${l.start} ${l.end === Infinity ? "EOF" : l.end}`;
    return `${i + 1}: ${what}${l.kind === "write" ? "WRITE" : "READ"} ${l.pid} ${hexDev(dev)}:${ino} ${range}\n`;
  }).join("");
}
