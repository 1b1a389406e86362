// Host descriptors behind guest-visible objects (host files, the page cache's readers), and what
// program snapshots (src/api/progsnap.ts) need of them. A snapshot brings back the objects that
// held descriptors when it was taken, so a descriptor a live snapshot saw open is not closed when
// the guest closes it: its closing waits until no snapshot can bring it back (and a restore
// that brings it back cancels it). The number therefore still names the same host file after
// any restore; descriptors opened after a snapshot are closed by the restore that drops them.

import * as fs from "node:fs";

/** An object holding host descriptors reports those open now through this method. */
export const HOST_FDS = Symbol("exojit.hostFds");

/** A holder whose state was loaded in another process (a saved program, src/api/snapserial.ts)
 *  opens its descriptors again through this method: by path, or lazily (the numbers it holds
 *  mean nothing here). It throws when what it held cannot be opened again. */
export const HOST_REOPEN = Symbol("exojit.hostReopen");

export interface HostFdHolder {
  [HOST_FDS](): number[];
  [HOST_REOPEN](): void;
}

/** Host descriptor → live snapshots that saw it open. */
const pinned = new Map<number, number>();
/** Pinned descriptors the guest has closed. */
const closing = new Set<number>();

/** The guest is done with `fd`: closes it, or defers that while a snapshot may bring it back. */
export function closeHostFd(fd: number): void {
  if (fd < 0) return;
  if (pinned.has(fd)) {
    closing.add(fd);
    return;
  }
  try {
    fs.closeSync(fd);
  } catch {
    // closing only fails for a descriptor already gone
  }
}

/** The host descriptors `o` holds now (none if it holds none). */
export function hostFdsOf(o: object): number[] {
  const f = (o as Partial<HostFdHolder>)[HOST_FDS];
  return typeof f === "function" ? f.call(o) : [];
}

/** A snapshot saw these descriptors open. */
export function pinHostFds(fds: Iterable<number>): void {
  for (const fd of fds) pinned.set(fd, (pinned.get(fd) ?? 0) + 1);
}

/** A snapshot that saw these open is gone. */
export function unpinHostFds(fds: Iterable<number>): void {
  for (const fd of fds) {
    const n = (pinned.get(fd) ?? 1) - 1;
    if (n > 0) {
      pinned.set(fd, n);
      continue;
    }
    pinned.delete(fd);
    if (closing.delete(fd)) closeHostFd(fd);
  }
}

/** A restore made `fd` open to the guest again. */
export function reviveHostFd(fd: number): void {
  closing.delete(fd);
}

/** The holders among `objects` open their descriptors again (HOST_REOPEN); an object that
 *  holds descriptors but cannot do that is refused. */
export function reopenHostFds(objects: Iterable<object>): void {
  for (const o of objects) {
    const h = o as Partial<HostFdHolder>;
    if (typeof h[HOST_FDS] !== "function") continue;
    if (typeof h[HOST_REOPEN] !== "function") throw new Error(`${o.constructor.name} holds host descriptors and cannot open them again`);
    h[HOST_REOPEN]();
  }
}
