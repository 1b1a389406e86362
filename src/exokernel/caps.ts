// Capabilities: unforgeable handles to exokernel objects. A handle is a slot number plus the
// slot's generation, so a stale handle (slot reused after revocation) never matches. Every
// operation names a capability and the rights it needs; derive() makes a child with fewer rights,
// and revoke() invalidates a capability and everything derived from it.

import { ExoError } from "./errors.js";

/** Object types. */
export const CAP_FRAMES = 1; // a page-frame pool (allocation quota)
export const CAP_ASPACE = 2; // an address space (page tables)
export const CAP_ENV = 3; // an environment (CPU context + address space)
export const CAP_BLOCK = 4; // a range of a block device
export const CAP_CONSOLE = 5; // the console
export const CAP_CLOCK = 6; // clock and timers
export const CAP_ENDPOINT = 7; // an IPC endpoint (endpoint.ts): R_WRITE calls, R_READ receives

export const CAP_TYPE_NAMES: Record<number, string> = {
  [CAP_FRAMES]: "frames",
  [CAP_ASPACE]: "aspace",
  [CAP_ENV]: "env",
  [CAP_BLOCK]: "block",
  [CAP_CONSOLE]: "console",
  [CAP_CLOCK]: "clock",
  [CAP_ENDPOINT]: "endpoint",
};

/** Rights. */
export const R_READ = 1 << 0;
export const R_WRITE = 1 << 1;
export const R_MAP = 1 << 2; // map/unmap pages, allocate frames
export const R_RUN = 1 << 3; // run an environment
export const R_CONTROL = 1 << 4; // change an object's configuration (registers, descriptors)
export const R_GRANT = 1 << 5; // derive capabilities for others
export const R_ALL = 0x3f;

export type CapHandle = number;

interface CapRecord {
  type: number;
  rights: number;
  object: unknown;
  parent: CapRecord | null;
  children: CapRecord[];
  live: boolean;
  slot: number;
}

const SLOT_BITS = 20;
const SLOT_MASK = (1 << SLOT_BITS) - 1;

export class CapSpace {
  private readonly slots: (CapRecord | null)[] = [null];
  private readonly gens: number[] = [0];
  private readonly freeSlots: number[] = [];

  /** Capabilities in force (slots in use). */
  get live(): number {
    return this.slots.length - 1 - this.freeSlots.length;
  }

  /** Creates a root capability for a new object. */
  create(type: number, rights: number, object: unknown): CapHandle {
    return this.insert({ type, rights, object, parent: null, children: [], live: true, slot: 0 });
  }

  private insert(rec: CapRecord): CapHandle {
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      slot = this.slots.length;
      this.slots.push(null);
      this.gens.push(0);
    }
    rec.slot = slot;
    this.slots[slot] = rec;
    return slot | (this.gens[slot] << SLOT_BITS);
  }

  private record(h: CapHandle): CapRecord {
    const slot = h & SLOT_MASK;
    const rec = this.slots[slot];
    if (!rec || !rec.live || this.gens[slot] !== h >>> SLOT_BITS) throw new ExoError("E_CAP", `invalid capability ${h}`);
    return rec;
  }

  /** The object behind `h`, checking its type and that it carries `rights`. */
  get<T>(h: CapHandle, type: number, rights: number): T {
    const rec = this.record(h);
    if (rec.type !== type) throw new ExoError("E_CAP", `capability ${h} is a ${CAP_TYPE_NAMES[rec.type]}, not a ${CAP_TYPE_NAMES[type]}`);
    if ((rec.rights & rights) !== rights) throw new ExoError("E_PERM", `capability ${h} lacks rights ${rights & ~rec.rights}`);
    return rec.object as T;
  }

  rights(h: CapHandle): number {
    return this.record(h).rights;
  }

  /** A child capability with a subset of the parent's rights (needs R_GRANT). With `narrower`,
   *  the child names that object instead (a part of the parent's, such as a sub-range of a
   *  block range: the caller checks that it is a part). */
  derive(h: CapHandle, rights: number, narrower?: unknown): CapHandle {
    const rec = this.record(h);
    if ((rec.rights & R_GRANT) === 0) throw new ExoError("E_PERM", `capability ${h} cannot be derived`);
    const object = narrower === undefined ? rec.object : narrower;
    const child: CapRecord = { type: rec.type, rights: rec.rights & rights, object, parent: rec, children: [], live: true, slot: 0 };
    rec.children.push(child);
    return this.insert(child);
  }

  /** Invalidates `h` and, transitively, everything derived from it. */
  revoke(h: CapHandle): void {
    const rec = this.record(h);
    this.kill(rec);
    if (rec.parent) rec.parent.children = rec.parent.children.filter((c) => c !== rec);
  }

  private kill(rec: CapRecord): void {
    rec.live = false;
    this.slots[rec.slot] = null;
    this.gens[rec.slot] = (this.gens[rec.slot] + 1) & 0xfff;
    this.freeSlots.push(rec.slot);
    for (const c of rec.children) this.kill(c);
    rec.children = [];
  }
}
