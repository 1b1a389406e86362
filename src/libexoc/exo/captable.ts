// A process's capabilities for the exokernel extensions (endpoints, and devices from
// exojit_dev_open): small integers
// naming capability handles, as file descriptors name open files. Programs never see a handle:
// a slot number is all they hold, and the exokernel checks the handle behind it on every use
// (a revoked or stale one fails there, never here). A forked child gets the same slots naming
// the same capabilities; derive() makes a new slot with fewer rights, revoke() invalidates a
// capability and everything derived from it (in every process), drop() forgets a slot only.
// An endpoint goes with the process that created it: its waiters wake with EPIPE.

import { ExoError } from "../../exokernel/errors.js";
import type { Exokernel } from "../../exokernel/kernel.js";
import type { CapHandle } from "../../exokernel/caps.js";
import { sysError, type ErrnoName } from "../errors.js";

/** Most slots a process may hold. */
export const CAP_SLOTS = 256;

interface Slot {
  cap: CapHandle;
  /** Created by this process (the root capability: destroyed when the process ends). */
  root: boolean;
}

/** The errno of an exokernel error: a bad slot or revoked capability is EBADF, a missing
 *  right EPERM, a vanished peer EPIPE. */
export function exoErrno(e: ExoError): ErrnoName {
  switch (e.code) {
    case "E_CAP":
      return "EBADF";
    case "E_PERM":
      return "EPERM";
    case "E_GONE":
      return "EPIPE";
    case "E_NOMEM":
    case "E_QUOTA":
      return "ENOMEM";
    case "E_FAULT":
      return "EFAULT";
    case "E_IO":
      return "EIO";
    default:
      return "EINVAL";
  }
}

/** Runs `fn`, turning exokernel errors into SysErrors. */
export function exo<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ExoError) sysError(exoErrno(e), e.message);
    throw e;
  }
}

export class CapTable {
  private readonly slots: (Slot | undefined)[] = [];

  constructor(private readonly kernel: Exokernel) {}

  /** A copy for a forked child: the same capabilities, none of them its own root. */
  fork(): CapTable {
    const t = new CapTable(this.kernel);
    this.slots.forEach((s, k) => {
      if (s !== undefined) t.slots[k] = { cap: s.cap, root: false };
    });
    return t;
  }

  private add(s: Slot): number {
    for (let k = 0; k < CAP_SLOTS; k++) {
      if (this.slots[k] === undefined) {
        this.slots[k] = s;
        return k;
      }
    }
    return sysError("EMFILE");
  }

  /** The handle in slot `k` (EBADF if empty). */
  get(k: number): CapHandle {
    const s = k >= 0 && k < CAP_SLOTS ? this.slots[k] : undefined;
    if (s === undefined) sysError("EBADF");
    return s.cap;
  }

  /** A new endpoint, with every right. */
  newEndpoint(): number {
    if (this.slots.filter((s) => s !== undefined).length >= CAP_SLOTS) sysError("EMFILE");
    return this.add({ cap: this.kernel.endpoints.create(), root: true });
  }

  /** A new slot for a device capability handed out by exojit_dev_open (derived from the
   *  system's: revoking the slot revokes only it and what the process derived from it). */
  addDevice(cap: CapHandle): number {
    return this.add({ cap, root: false });
  }

  /** A new slot naming a capability derived from slot `k` with at most `rights`. */
  derive(k: number, rights: number): number {
    const cap = exo(() => this.kernel.caps.derive(this.get(k), rights));
    return this.add({ cap, root: false });
  }

  rights(k: number): number {
    return exo(() => this.kernel.caps.rights(this.get(k)));
  }

  /** Revokes slot `k`'s capability and everything derived from it; the slot is emptied. A
   *  root endpoint capability destroys the endpoint (needs the control right). */
  revoke(k: number): void {
    const s = this.slots[k];
    const cap = this.get(k);
    exo(() => (s?.root === true ? this.kernel.endpoints.destroy(cap) : this.kernel.caps.revoke(cap)));
    this.slots[k] = undefined;
  }

  /** Forgets slot `k` (the capability itself stays valid for others). */
  drop(k: number): void {
    this.get(k);
    this.slots[k] = undefined;
  }

  /** The process ended: the endpoints it created are destroyed. */
  close(): void {
    for (const s of this.slots) {
      if (s?.root !== true) continue;
      try {
        this.kernel.endpoints.destroy(s.cap);
      } catch (e) {
        if (!(e instanceof ExoError)) throw e; // already revoked
      }
    }
    this.slots.length = 0;
  }
}
