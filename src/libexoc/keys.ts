// The kernel's key retention service (keyrings(7)): keys of the types "user" (a payload a
// process may read back), "logon" (one it may not) and "keyring" (a list of links to keys),
// each with a serial number, an owner, a permission mask and an optional expiry; the special
// keyrings a thread finds by their negative ids (its thread, process and session keyrings, its
// user's keyrings); possession (a key reached through the caller's own keyrings, whose
// possessor permissions then add to the others); quotas per user. The system calls that use
// them are posix/sys/keys.ts. Keys requested with a callout would need /sbin/request-key
// run by the kernel: that upcall does not exist here (request_key finds keys, or fails ENOKEY).

import type { Process } from "./process.js";
import type { Task } from "./task.js";
import { sysError } from "./errors.js";
import { capable, CAP_SYS_ADMIN } from "./capability.js";

export type KeyType = "user" | "logon" | "keyring";

/** Permission bits (each of the four 8-bit groups: possessor, user, group, other). */
export const KEY_VIEW = 0x01, KEY_READ = 0x02, KEY_WRITE = 0x04, KEY_SEARCH = 0x08, KEY_LINK = 0x10, KEY_SETATTR = 0x20;
export const KEY_ALL = 0x3f;
const POS = 24, USR = 16, GRP = 8;

/** Special ids (KEY_SPEC_*). */
export const KEY_SPEC_THREAD = -1, KEY_SPEC_PROCESS = -2, KEY_SPEC_SESSION = -3, KEY_SPEC_USER = -4, KEY_SPEC_USER_SESSION = -5;
export const KEY_SPEC_GROUP = -6, KEY_SPEC_REQKEY_AUTH = -7, KEY_SPEC_REQUESTOR = -8;

/** How long a key that could not be constructed stays, refusing requests (key_negative_timeout). */
export const NEGATIVE_TIMEOUT_NS = 60e9;

export class Key {
  /** Links, for a keyring. */
  readonly links: Key[] = [];
  payload: Uint8Array = new Uint8Array(0);
  revoked = false;
  invalidated = false;
  /** Expiry in monotonic ns (0: none). */
  expiry = 0;
  /** A key that could not be constructed: the error it gives (ENOKEY), until it expires. */
  negative: "ENOKEY" | "EKEYREJECTED" | null = null;

  constructor(
    readonly serial: number,
    readonly type: KeyType,
    readonly description: string,
    public uid: number,
    public gid: number,
    public perm: number,
  ) {}

  /** Bytes charged to the owner's quota: the description and the payload. */
  get quotaBytes(): number {
    return this.description.length + 1 + (this.type === "keyring" ? 0 : this.payload.length);
  }
}

/** A user's keyrings and what its keys use of the quotas. */
interface KeyUser {
  keyring: Key | null;
  session: Key | null;
  keys: number;
  bytes: number;
}

export class KeyTable {
  readonly keys = new Map<number, Key>();
  /** The quotas per user (kernel.keys.maxkeys and maxbytes; root's are larger). */
  readonly quotas = { maxKeys: 200, maxBytes: 20000, rootMaxKeys: 1000000, rootMaxBytes: 25000000 };
  private readonly users = new Map<number, KeyUser>();
  private seed = 0x2545f491;

  /** A new serial: random-looking, positive, at least 3 (as Linux's key_alloc_serial). */
  private serial(): number {
    for (;;) {
      this.seed ^= this.seed << 13;
      this.seed ^= this.seed >>> 17;
      this.seed ^= this.seed << 5;
      const s = (this.seed >>> 1) & 0x7fffffff;
      if (s >= 3 && !this.keys.has(s)) return s;
    }
  }

  private user(uid: number): KeyUser {
    let u = this.users.get(uid);
    if (u === undefined) this.users.set(uid, (u = { keyring: null, session: null, keys: 0, bytes: 0 }));
    return u;
  }

  /** User `uid`'s quotas (root's are larger). */
  private quotaOf(uid: number): { keys: number; bytes: number } {
    const q = this.quotas;
    return uid === 0 ? { keys: q.rootMaxKeys, bytes: q.rootMaxBytes } : { keys: q.maxKeys, bytes: q.maxBytes };
  }

  /** Whether user `uid` (record `u`) may own one more key, `k`, within its quotas. */
  private fits(uid: number, u: KeyUser, k: Key): boolean {
    const q = this.quotaOf(uid);
    return u.keys + 1 <= q.keys && u.bytes + k.quotaBytes <= q.bytes;
  }

  /** Makes a key owned by `uid` (EDQUOT past its quotas; `charge` false: the kernel's own
   *  keyrings, which count but are not refused). */
  make(type: KeyType, description: string, uid: number, gid: number, perm: number, payload: Uint8Array, charge = true): Key {
    const k = new Key(this.serial(), type, description, uid, gid, perm);
    k.payload = payload;
    const u = this.user(uid);
    if (charge && !this.fits(uid, u, k)) sysError("EDQUOT");
    u.keys++;
    u.bytes += k.quotaBytes;
    this.keys.set(k.serial, k);
    return k;
  }

  /** A key's payload changes (its owner's byte quota with it: EDQUOT). */
  setPayload(k: Key, payload: Uint8Array): void {
    const u = this.user(k.uid);
    const delta = payload.length - k.payload.length;
    if (delta > 0 && u.bytes + delta > this.quotaOf(k.uid).bytes) sysError("EDQUOT");
    u.bytes += delta;
    k.payload = payload;
  }

  /** The key changes owner: the new one's quota takes it (EDQUOT). */
  chown(k: Key, uid: number): void {
    if (uid === k.uid) return;
    const to = this.user(uid), from = this.user(k.uid);
    if (!this.fits(uid, to, k)) sysError("EDQUOT");
    from.keys--;
    from.bytes -= k.quotaBytes;
    to.keys++;
    to.bytes += k.quotaBytes;
    k.uid = uid;
  }

  /** /proc/key-users: per user with keys, by uid, proc_key_users_show's line: its uid, the
   *  references to its record (one per key, and its own), its keys (all instantiated), and its
   *  keys and bytes against its quotas (what make() and update() check). */
  usersText(): string {
    let out = "";
    for (const uid of [...this.users.keys()].sort((a, b) => a - b)) {
      const u = this.users.get(uid) as KeyUser;
      if (u.keys === 0) continue;
      const q = this.quotaOf(uid);
      out += `${String(uid >>> 0).padStart(5)}: ${String(u.keys + 1).padStart(5)} ${u.keys}/${u.keys} ${u.keys}/${q.keys} ${u.bytes}/${q.bytes}\n`;
    }
    return out;
  }

  /** Drops keys no keyring links and nothing holds (Linux's garbage collector): a key lives
   *  while a keyring, a process or a user refers to it. */
  collect(sys: { procs: Map<number, Process> }): void {
    const live = new Set<Key>();
    const mark = (k: Key | null): void => {
      if (k === null || live.has(k)) return;
      live.add(k);
      for (const l of k.links) mark(l);
    };
    for (const u of this.users.values()) {
      mark(u.keyring);
      mark(u.session);
    }
    for (const p of sys.procs.values()) {
      if (p.termination !== null) continue;
      mark(p.keys.session);
      mark(p.keys.process);
      for (const t of p.threads) mark(t.threadKeyring);
    }
    for (const k of this.keys.values()) {
      // (expired and invalidated keys leave their keyrings)
      if (k.type === "keyring") {
        for (let i = k.links.length - 1; i >= 0; i--) if (k.links[i].invalidated) k.links.splice(i, 1);
      }
      if (live.has(k) && !k.invalidated) continue;
      const u = this.user(k.uid);
      u.keys--;
      u.bytes -= k.quotaBytes;
      this.keys.delete(k.serial);
    }
  }

  /** User `uid`'s keyring and its default session keyring (made on first use). */
  userKeyring(uid: number, session: boolean): Key {
    const u = this.user(uid);
    u.keyring ??= this.make("keyring", `_uid.${uid}`, uid, -1, ((KEY_ALL & ~KEY_SETATTR) << POS) | (KEY_ALL << USR), new Uint8Array(0), false);
    if (!session) return u.keyring;
    if (u.session === null) {
      u.session = this.make("keyring", `_uid_ses.${uid}`, uid, -1, ((KEY_ALL & ~KEY_SETATTR) << POS) | (KEY_ALL << USR), new Uint8Array(0), false);
      u.session.links.push(u.keyring);
    }
    return u.session;
  }
}

/** A process's keyrings: its session keyring (kept by fork and exec) and its process keyring
 *  (shared by its threads, gone at exec and not inherited). */
export class ProcessKeys {
  session: Key | null = null;
  process: Key | null = null;
  /** KEYCTL_SET_REQKEY_KEYRING's default destination for request_key. */
  reqkeyDefault = 0;
}

/** A key's state as an error, for operations that need a usable key. */
export function checkUsable(k: Key, now: number): void {
  if (k.revoked) sysError("EKEYREVOKED");
  if (k.expiry !== 0 && now >= k.expiry) sysError("EKEYEXPIRED");
  if (k.negative !== null) sysError(k.negative);
}

/** The caller's own keyrings, in the order request_key searches them: thread, process,
 *  session (or its user's session keyring when it has none). */
export function ownKeyrings(t: Task, table: KeyTable): Key[] {
  const p = t.proc;
  const out: Key[] = [];
  if (t.threadKeyring !== null) out.push(t.threadKeyring);
  if (p.keys.process !== null) out.push(p.keys.process);
  out.push(p.keys.session ?? table.userKeyring(p.uid, true));
  return out;
}

/** Permission `need` (KEY_* bits) on `k` for `t`: the user, group or other bits by who the
 *  caller is, plus the possessor bits when `possessed` (key_task_permission). */
export function keyPermits(t: Task, k: Key, need: number, possessed: boolean): boolean {
  const p = t.proc;
  let perm: number;
  if (k.uid === p.fsuid) perm = (k.perm >>> USR) & 0xff;
  else if (k.gid !== -1 && (k.perm & (KEY_ALL << GRP)) !== 0 && (k.gid === p.fsgid || p.groups.includes(k.gid))) perm = (k.perm >>> GRP) & 0xff;
  else perm = k.perm & 0xff;
  if (possessed) perm |= (k.perm >>> POS) & 0xff;
  return (perm & need) === need;
}

export function checkPermission(t: Task, k: Key, need: number, possessed: boolean): void {
  if (!keyPermits(t, k, need, possessed)) sysError("EACCES");
}

/** Whether `k` is reached from the caller's own keyrings through keyrings it may search
 *  (is_key_possessed, found by search_process_keyrings). */
export function possessed(t: Task, table: KeyTable, k: Key, now: number): boolean {
  const seen = new Set<Key>();
  // (a search finds only keys that let the searcher search them)
  if (!keyPermits(t, k, KEY_SEARCH, true)) return false;
  const walk = (ring: Key): boolean => {
    if (seen.has(ring)) return false;
    seen.add(ring);
    if (ring === k) return true;
    if (ring.type !== "keyring" || ring.revoked || ring.invalidated || (ring.expiry !== 0 && now >= ring.expiry)) return false;
    if (!keyPermits(t, ring, KEY_SEARCH, true)) return false;
    return ring.links.some(walk);
  };
  return ownKeyrings(t, table).some(walk);
}

/** Searches keyring `ring` and those it links (with search permission) for a key of `type`
 *  and `description` the caller may find (search permission on it too): keyring_search. */
export function searchKeyring(t: Task, ring: Key, type: KeyType, description: string, isPossessed: boolean, now: number): Key | null {
  const seen = new Set<Key>();
  let err: "EKEYREVOKED" | "EKEYEXPIRED" | "ENOKEY" | "EKEYREJECTED" | null = null;
  const walk = (r: Key): Key | null => {
    if (seen.has(r)) return null;
    seen.add(r);
    for (const k of r.links) {
      if (k.invalidated || k.type !== type || k.description !== description) continue;
      if (!keyPermits(t, k, KEY_SEARCH, isPossessed)) continue;
      if (k.revoked) {
        err ??= "EKEYREVOKED";
        continue;
      }
      if (k.expiry !== 0 && now >= k.expiry) {
        err ??= "EKEYEXPIRED";
        continue;
      }
      if (k.negative !== null) {
        err ??= k.negative;
        continue;
      }
      return k;
    }
    for (const k of r.links) {
      if (k.type !== "keyring" || k.revoked || k.invalidated || (k.expiry !== 0 && now >= k.expiry)) continue;
      if (!keyPermits(t, k, KEY_SEARCH, isPossessed)) continue;
      const f = walk(k);
      if (f !== null) return f;
    }
    return null;
  };
  const found = walk(ring);
  if (found === null && err !== null) sysError(err);
  return found;
}

/** Links `k` into keyring `ring`, replacing a link to a key of the same type and description;
 *  a keyring may not come to contain itself (EDEADLK). */
export function linkKey(ring: Key, k: Key): void {
  if (ring.type !== "keyring") sysError("ENOTDIR");
  if (k.type === "keyring") {
    const seen = new Set<Key>();
    const reaches = (r: Key): boolean => r === ring || (!seen.has(r) && (seen.add(r), r.links.some(reaches)));
    if (reaches(k)) sysError("EDEADLK");
  }
  const i = ring.links.findIndex((l) => l === k || (l.type === k.type && l.description === k.description));
  if (i >= 0) ring.links[i] = k;
  else ring.links.push(k);
}

/** Whether `p` may change ownership of a key to `uid`/`gid` (KEYCTL_CHOWN's rules). */
export function mayChown(p: Process, k: Key, uid: number, gid: number): boolean {
  if (capable(p, CAP_SYS_ADMIN)) return true;
  if (uid !== -1 && uid !== k.uid) return false;
  if (gid !== -1 && gid !== k.gid && gid !== p.fsgid && !p.groups.includes(gid)) return false;
  return true;
}
