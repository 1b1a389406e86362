// System V IPC objects share one naming scheme and one permission model (ipc/util.c in Linux):
// each kind (shared memory, semaphore sets, message queues) has a table of objects named by
// an id that combines a slot index with a sequence number, so an id of a removed object never
// names its successor in the same slot; a key (an integer chosen by the programs, or
// IPC_PRIVATE for "always new") finds a public object. Every object carries its owner and
// creator, its group and creator group, and nine permission bits checked against the caller's
// effective ids and groups; an effective uid of 0 bypasses them (CAP_IPC_OWNER), and only the
// owner, the creator or root may change (IPC_SET) or remove (IPC_RMID) an object.
//
// The rules for each kind are in shm.ts, sem.ts and msg.ts; the ABI (flag numbers, structure
// layouts, the i386 multiplexer) is src/posix/sys/ipc.ts.

import { sysError } from "../errors.js";
import type { Process } from "../process.js";
import { capable, CAP_IPC_OWNER, CAP_SYS_ADMIN } from "../capability.js";

/** The key that always makes a new object. */
export const IPC_PRIVATE = 0;
/** Ids are sequence * SEQ_MULTIPLIER + slot (Linux's ipcmni without extension). */
export const SEQ_MULTIPLIER = 32768;
/** Largest sequence number before it wraps (IPCID_SEQ_MAX). */
const SEQ_MAX = 65535;

/** Access an operation needs: read, write (alter), or the bits a get call asks for. */
export const IPC_READ = 0o444, IPC_WRITE = 0o222;

/** The permission record of an object (kern_ipc_perm). */
export class IpcPerm {
  uid: number;
  gid: number;
  readonly cuid: number;
  readonly cgid: number;
  /** The nine permission bits, plus kind-specific state bits above them (SHM_DEST...). */
  mode: number;
  /** Slot and sequence number; `id` is what programs hold. */
  slot = -1;
  seq = 0;
  /** Removed (IPC_RMID): no longer found by id or key. */
  removed = false;

  constructor(
    public key: number,
    creator: Process,
    mode: number,
  ) {
    this.uid = this.cuid = creator.euid;
    this.gid = this.cgid = creator.egid;
    this.mode = mode & 0o777;
  }

  get id(): number {
    return this.seq * SEQ_MULTIPLIER + this.slot;
  }
}

export interface IpcObject {
  readonly perm: IpcPerm;
}

/** Whether `p` may access an object with permission record `perm` for `want` (IPC_READ,
 *  IPC_WRITE, or a get call's requested mode bits): the owner or creator class, the group
 *  class (owner or creator group, the effective group or a supplementary one), or others;
 *  root may do anything (ipcperms). */
export function permits(p: Process, perm: IpcPerm, want: number): boolean {
  const requested = ((want >> 6) | (want >> 3) | want) & 7;
  let granted = perm.mode;
  if (p.euid === perm.cuid || p.euid === perm.uid) granted >>= 6;
  else if (inGroup(p, perm.cgid) || inGroup(p, perm.gid)) granted >>= 3;
  return (requested & ~granted & 7) === 0 || capable(p, CAP_IPC_OWNER);
}

function inGroup(p: Process, gid: number): boolean {
  return p.egid === gid || p.groups.includes(gid);
}

/** EACCES unless `p` may access the object for `want`. */
export function checkAccess(p: Process, perm: IpcPerm, want: number): void {
  if (!permits(p, perm, want)) sysError("EACCES");
}

/** EPERM unless `p` owns or created the object, or is root: who may IPC_SET and IPC_RMID. */
export function checkOwner(p: Process, perm: IpcPerm): void {
  if (p.euid !== perm.cuid && p.euid !== perm.uid && !capable(p, CAP_SYS_ADMIN)) sysError("EPERM");
}

/** IPC_SET's change of owner, group and permission bits (state bits above them are kept). */
export function setPerm(perm: IpcPerm, uid: number, gid: number, mode: number): void {
  if (uid < 0 || gid < 0 || uid > 0xfffffffe || gid > 0xfffffffe) sysError("EINVAL");
  perm.uid = uid;
  perm.gid = gid;
  perm.mode = (perm.mode & ~0o777) | (mode & 0o777);
}

/** What a get call (shmget, semget, msgget) asked for, decoded from its flags. */
export interface GetRequest {
  key: number;
  create: boolean;
  exclusive: boolean;
  /** The permission bits given (a new object's mode; an existing one's access check). */
  mode: number;
}

/** The objects of one kind, by slot, with the next sequence number. */
export class IpcTable<T extends IpcObject> {
  private readonly slots = new Map<number, T>();
  private seq = 0;

  /** The id the next object made gets (the *_next_id sysctls: its slot, or the lowest free one
   *  above it, and its sequence number), once; -1: the lowest free slot, as usual. */
  nextId = -1;

  constructor(
    /** Most objects at once (SHMMNI, SEMMNI, MSGMNI: sysctls root may change). */
    public max: number,
  ) {}

  get size(): number {
    return this.slots.size;
  }

  /** Live objects, by slot. */
  entries(): [number, T][] {
    return [...this.slots.entries()].sort((a, b) => a[0] - b[0]);
  }

  /** The highest slot in use, or -1 (what IPC_INFO and *_INFO return). */
  get highest(): number {
    let h = -1;
    for (const s of this.slots.keys()) if (s > h) h = s;
    return h;
  }

  /** The object `id` names; EINVAL for ids that name nothing (never used, removed, or from an
   *  earlier occupant of the slot). */
  lookup(id: number): T {
    if (id < 0) sysError("EINVAL");
    const o = this.slots.get(id % SEQ_MULTIPLIER);
    if (o === undefined || o.perm.seq !== Math.floor(id / SEQ_MULTIPLIER)) sysError("EINVAL");
    return o;
  }

  /** The object in slot `index` (the *_STAT commands), EINVAL if none. */
  atSlot(index: number): T {
    const o = index >= 0 ? this.slots.get(index) : undefined;
    if (o === undefined) sysError("EINVAL");
    return o;
  }

  private byKey(key: number): T | undefined {
    if (key === IPC_PRIVATE) return undefined;
    for (const o of this.slots.values()) if (o.perm.key === key) return o;
    return undefined;
  }

  /**
   * The get call's rules (ipcget): IPC_PRIVATE always makes an object; a key finds its object,
   * or makes one with IPC_CREAT (ENOENT without); IPC_CREAT|IPC_EXCL on an existing key is
   * EEXIST; an existing object is checked by `check` (its size or count) and then for the
   * access the mode bits ask (EACCES). `make` builds a new object (whose perm this fills in).
   */
  get(p: Process, r: GetRequest, check: (o: T) => void, make: () => T): T {
    const found = this.byKey(r.key);
    if (found !== undefined) {
      if (r.create && r.exclusive) sysError("EEXIST");
      check(found);
      checkAccess(p, found.perm, r.mode);
      return found;
    }
    if (r.key !== IPC_PRIVATE && !r.create) sysError("ENOENT");
    if (this.slots.size >= this.max) sysError("ENOSPC");
    const o = make();
    const next = this.nextId;
    this.nextId = -1;
    let slot = next < 0 ? 0 : next % SEQ_MULTIPLIER;
    while (this.slots.has(slot)) slot++;
    o.perm.slot = slot;
    if (next < 0) {
      o.perm.seq = this.seq;
      this.seq = this.seq >= SEQ_MAX ? 0 : this.seq + 1;
    } else {
      o.perm.seq = Math.floor(next / SEQ_MULTIPLIER);
    }
    this.slots.set(slot, o);
    return o;
  }

  /** Takes the object out of the table: its id and key name nothing from now on. */
  remove(o: T): void {
    if (this.slots.get(o.perm.slot) === o) this.slots.delete(o.perm.slot);
    o.perm.removed = true;
  }
}

/** Wall-clock seconds, as the *_time fields of the IPC structures hold them. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
