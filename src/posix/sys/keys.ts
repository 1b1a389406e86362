// add_key, request_key and keyctl: the key retention service's calls (libexoc/keys.ts holds the
// keys), with Linux's argument checks in its order. Key types: "user", "logon" and "keyring";
// other types are not available (ENODEV, as from a kernel without their module). request_key
// finds keys but cannot construct one (the /sbin/request-key upcall): ENOKEY. Operations for
// key construction (INSTANTIATE, NEGATE, REJECT, ASSUME_AUTHORITY) find no authorisation key,
// persistent keyrings, Diffie-Hellman and public keys are not configured (EOPNOTSUPP).

import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import { sysError, SysError } from "../../libexoc/errors.js";
import { monotonicNs } from "../../libexoc/time.js";
import {
  Key, checkUsable, checkPermission, keyPermits, possessed, searchKeyring, linkKey, mayChown, ownKeyrings,
  KEY_VIEW, KEY_READ, KEY_WRITE, KEY_SEARCH, KEY_LINK, KEY_SETATTR, KEY_ALL,
  KEY_SPEC_THREAD, KEY_SPEC_PROCESS, KEY_SPEC_SESSION, KEY_SPEC_USER, KEY_SPEC_USER_SESSION, KEY_SPEC_GROUP,
  KEY_SPEC_REQKEY_AUTH, KEY_SPEC_REQUESTOR, NEGATIVE_TIMEOUT_NS, type KeyType,
} from "../../libexoc/keys.js";

const KEYCTL_GET_KEYRING_ID = 0, KEYCTL_JOIN_SESSION_KEYRING = 1, KEYCTL_UPDATE = 2, KEYCTL_REVOKE = 3, KEYCTL_CHOWN = 4;
const KEYCTL_SETPERM = 5, KEYCTL_DESCRIBE = 6, KEYCTL_CLEAR = 7, KEYCTL_LINK = 8, KEYCTL_UNLINK = 9, KEYCTL_SEARCH = 10;
const KEYCTL_READ = 11, KEYCTL_INSTANTIATE = 12, KEYCTL_NEGATE = 13, KEYCTL_SET_REQKEY_KEYRING = 14, KEYCTL_SET_TIMEOUT = 15;
const KEYCTL_ASSUME_AUTHORITY = 16, KEYCTL_GET_SECURITY = 17, KEYCTL_SESSION_TO_PARENT = 18, KEYCTL_REJECT = 19;
const KEYCTL_INSTANTIATE_IOV = 20, KEYCTL_INVALIDATE = 21, KEYCTL_MOVE = 30, KEYCTL_CAPABILITIES = 31;
/** KEYCTL_MOVE's flag: fail if the destination has a key of the same type and description. */
const KEYCTL_MOVE_EXCL = 1;
/** KEYCTL_CAPABILITIES' first byte: what this kernel supports (KEYCTL_CAPS0_CAPABILITIES,
 *  _MOVE; no persistent keyrings, DH, public keys, big keys, invalidation is supported) and
 *  the second byte's namespaced keyring names, notifications... none. */
const KEYCTL_CAPS0_CAPABILITIES = 0x01, KEYCTL_CAPS0_INVALIDATE = 0x20, KEYCTL_CAPS0_MOVE = 0x80;
/** request_key's default destinations (KEY_REQKEY_DEFL_*). */
const REQKEY_NO_CHANGE = -1, REQKEY_DEFAULT = 0, REQKEY_THREAD = 1, REQKEY_PROCESS = 2, REQKEY_SESSION = 3, REQKEY_USER = 4;
const REQKEY_GROUP = 6, REQKEY_REQUESTOR = 7;
/** Longest type name, description, payload. */
const TYPE_MAX = 32, DESC_MAX = 4096, PAYLOAD_MAX = 1024 * 1024 - 1, USER_PAYLOAD_MAX = 32767;

/** The usual permissions of a key a process makes: possessor all but... as key_create_or_update
 *  gives them (read only for types that can be read), and the owner may view it. */
function defaultPerm(type: KeyType): number {
  let pos = KEY_VIEW | KEY_SEARCH | KEY_LINK | KEY_SETATTR | KEY_WRITE;
  if (type !== "logon") pos |= KEY_READ;
  return ((pos << 24) | (KEY_VIEW << 16)) >>> 0;
}

/** The keyrings the kernel makes for a thread or process (all to the possessor, view to the
 *  owner), an anonymous session keyring (read too), a named one (link too). */
const OWN_KEYRING_PERM = ((KEY_ALL << 24) | (KEY_VIEW << 16)) >>> 0;
const SESSION_PERM = ((KEY_ALL << 24) | ((KEY_VIEW | KEY_READ) << 16)) >>> 0;
const NAMED_SESSION_PERM = ((KEY_ALL << 24) | ((KEY_VIEW | KEY_READ | KEY_LINK) << 16)) >>> 0;

function now(t: Task): number {
  return monotonicNs(t.sys);
}

function newKeyring(t: Task, description: string, perm = OWN_KEYRING_PERM): Key {
  return t.sys.keys.make("keyring", description, t.proc.uid, t.proc.gid, perm, new Uint8Array(0));
}

/** A key by id (a serial or a special id), made where `create` allows, with whether the caller
 *  possesses it; then its state and permission `need` checked (lookup_user_key). */
function lookup(t: Task, id: number, create: boolean, need: number, validate = true): { key: Key; poss: boolean } {
  const table = t.sys.keys;
  const p = t.proc;
  table.collect(t.sys);
  let key: Key;
  let poss = true;
  switch (id) {
    case KEY_SPEC_THREAD:
      if (t.threadKeyring === null) {
        if (!create) sysError("ENOKEY");
        t.threadKeyring = newKeyring(t, "_tid");
      }
      key = t.threadKeyring;
      break;
    case KEY_SPEC_PROCESS:
      if (p.keys.process === null) {
        if (!create) sysError("ENOKEY");
        p.keys.process = newKeyring(t, "_pid");
      }
      key = p.keys.process;
      break;
    case KEY_SPEC_SESSION:
      // (a process without one gets a new one if asked to create, else its user's)
      p.keys.session ??= create ? newKeyring(t, "_ses", SESSION_PERM) : table.userKeyring(p.uid, true);
      key = p.keys.session;
      break;
    case KEY_SPEC_USER:
      key = table.userKeyring(p.uid, false);
      break;
    case KEY_SPEC_USER_SESSION:
      key = table.userKeyring(p.uid, true);
      break;
    case KEY_SPEC_GROUP:
      return sysError("EINVAL");
    case KEY_SPEC_REQKEY_AUTH:
    case KEY_SPEC_REQUESTOR:
      return sysError("ENOKEY");
    default: {
      if (id < 1) sysError("EINVAL");
      const k = table.keys.get(id);
      if (k === undefined || k.invalidated) sysError("ENOKEY");
      key = k;
      poss = possessed(t, table, key, now(t));
    }
  }
  if (validate) checkUsable(key, now(t));
  if (need !== 0) checkPermission(t, key, need, poss);
  return { key, poss };
}

function keyringOf(t: Task, id: number, create: boolean, need: number): Key {
  const r = lookup(t, id, create, need).key;
  if (r.type !== "keyring") sysError("ENOTDIR");
  return r;
}

/** A key type named in user memory (EINVAL if empty or too long, EPERM for the kernel's own,
 *  ENODEV for one this kernel does not have). */
function typeArg(t: Task, va: number): KeyType {
  const raw = t.mem.cstring(va, TYPE_MAX).toString("latin1");
  if (raw.length === 0 || raw.length >= TYPE_MAX) sysError("EINVAL");
  if (raw.startsWith(".")) sysError("EPERM");
  return raw as KeyType;
}

function knownType(type: string): KeyType {
  if (type !== "user" && type !== "logon" && type !== "keyring") sysError("ENODEV");
  return type;
}

function descArg(t: Task, va: number): string {
  const d = t.mem.cstring(va, DESC_MAX).toString("latin1");
  if (d.length >= DESC_MAX) sysError("EINVAL");
  return d;
}

/** A new payload for a key of `type` (the type's preparse checks). */
function checkPayload(type: KeyType, description: string, payload: Uint8Array | null): void {
  if (type === "keyring") {
    if (payload !== null && payload.length > 0) sysError("EINVAL");
    return;
  }
  if (payload === null || payload.length === 0 || payload.length > USER_PAYLOAD_MAX) sysError("EINVAL");
  // (a logon key's description names a service: "service:name")
  if (type === "logon" && description.indexOf(":") <= 0) sysError("EINVAL");
}

function payloadArg(t: Task, va: number, len: number): Uint8Array | null {
  if (len >>> 0 > PAYLOAD_MAX) sysError("EINVAL");
  if (len === 0) return null;
  if (va === 0) sysError("EFAULT");
  return t.mem.read(va, len >>> 0);
}

export const addKey: Sys = (t, typeVa, descVa, payloadVa, plen, ringId) => {
  const typeName = typeArg(t, typeVa);
  let description: string | null = null;
  if (descVa !== 0) {
    description = descArg(t, descVa);
    if (description === "") description = null;
    else if (description.startsWith(".") && typeName.startsWith("keyring")) sysError("EPERM");
  }
  const payload = payloadArg(t, payloadVa, plen);
  const ring = lookup(t, ringId, true, KEY_WRITE).key;
  const type = knownType(typeName);
  if (ring.type !== "keyring") sysError("ENOTDIR");
  checkPayload(type, description ?? "", payload);
  if (description === null) sysError("EINVAL");
  // (a key of the type and description already there is updated, if its type can be)
  if (type !== "keyring") {
    const old = ring.links.find((k) => k.type === type && k.description === description && !k.invalidated);
    if (old !== undefined && !old.revoked) {
      checkPermission(t, old, KEY_WRITE, true);
      t.sys.keys.setPayload(old, (payload as Uint8Array).slice());
      return old.serial;
    }
  }
  const k = t.sys.keys.make(type, description, t.proc.fsuid, t.proc.fsgid, defaultPerm(type), payload?.slice() ?? new Uint8Array(0));
  linkKey(ring, k);
  return k.serial;
};

/** request_key: a key found in the caller's keyrings, linked into the destination (or the
 *  default one KEYCTL_SET_REQKEY_KEYRING chose). Nothing constructs missing keys: ENOKEY. */
export const requestKey: Sys = (t, typeVa, descVa, calloutVa, destId) => {
  const typeName = typeArg(t, typeVa);
  const description = descArg(t, descVa);
  if (calloutVa !== 0) t.mem.cstring(calloutVa, PAYLOAD_MAX);
  const dest = destId !== 0 ? keyringOf(t, destId, true, KEY_WRITE) : null;
  const type = knownType(typeName);
  if (type === "keyring" && description.startsWith(".")) sysError("EPERM");
  const k = searchOwn(t, type, description);
  if (k === null) {
    if (calloutVa === 0) return sysError("ENOKEY");
    // Constructing it would run /sbin/request-key; without that upcall the key is made
    // negative in the destination (which must be writable), refusing requests for a minute,
    // as after a failed upcall (construct_alloc_key, key_negate_and_link).
    const ring = dest ?? defaultDestination(t);
    checkPermission(t, ring, KEY_WRITE, true);
    const neg = t.sys.keys.make(type, description, t.proc.fsuid, t.proc.fsgid, defaultPerm(type), new Uint8Array(0));
    neg.negative = "ENOKEY";
    neg.expiry = now(t) + NEGATIVE_TIMEOUT_NS;
    linkKey(ring, neg);
    return sysError("ENOKEY");
  }
  if (dest !== null) {
    checkPermission(t, k, KEY_LINK, true);
    linkKey(dest, k);
  }
  return k.serial;
};

/** Where request_key puts a key it makes without a destination (construct_get_dest_keyring):
 *  the KEYCTL_SET_REQKEY_KEYRING choice, by default the first the caller has of its thread,
 *  process and session keyrings, then its user's session keyring. */
function defaultDestination(t: Task): Key {
  const p = t.proc, table = t.sys.keys;
  const d = p.keys.reqkeyDefault;
  if (d === REQKEY_USER) return table.userKeyring(p.uid, false);
  if ((d === REQKEY_DEFAULT || d === REQKEY_THREAD || d === REQKEY_REQUESTOR) && t.threadKeyring !== null) return t.threadKeyring;
  if (d <= REQKEY_PROCESS || d === REQKEY_REQUESTOR) {
    if (p.keys.process !== null) return p.keys.process;
  }
  if (d <= REQKEY_SESSION || d === REQKEY_REQUESTOR) {
    if (p.keys.session !== null) return p.keys.session;
  }
  return table.userKeyring(p.uid, true);
}

function searchOwn(t: Task, type: KeyType, description: string): Key | null {
  let err: unknown = null;
  for (const ring of ownKeyrings(t, t.sys.keys)) {
    if (ring.type === type && ring.description === description && keyPermits(t, ring, KEY_SEARCH, true)) return ring;
    try {
      const k = searchKeyring(t, ring, type, description, true, now(t));
      if (k !== null) return k;
    } catch (e) {
      err ??= e;
    }
  }
  if (err !== null) throw err;
  return null;
}

export const keyctl: Sys = (t, op, a2, a3, a4, a5) => {
  const keys = t.sys.keys;
  switch (op) {
    case KEYCTL_GET_KEYRING_ID:
      return lookup(t, a2, a3 !== 0, KEY_SEARCH).key.serial;
    case KEYCTL_JOIN_SESSION_KEYRING:
      return joinSession(t, a2 === 0 ? null : descArg(t, a2));
    case KEYCTL_UPDATE: {
      const payload = payloadArg(t, a3, a4);
      const { key } = lookup(t, a2, true, KEY_WRITE);
      if (key.type === "keyring") sysError("EOPNOTSUPP");
      checkPayload(key.type, key.description, payload);
      keys.setPayload(key, (payload as Uint8Array).slice());
      return 0;
    }
    case KEYCTL_REVOKE: {
      let key: Key;
      try {
        key = lookup(t, a2, false, KEY_WRITE).key;
      } catch (e) {
        // (SETATTR also lets a caller revoke)
        if (!(e instanceof SysError) || e.errno !== "EACCES") throw e;
        key = lookup(t, a2, false, KEY_SETATTR).key;
      }
      key.revoked = true;
      return 0;
    }
    case KEYCTL_CHOWN: {
      const { key } = lookup(t, a2, true, KEY_SETATTR);
      const uid = a3 === -1 || a3 >>> 0 === 0xffffffff ? -1 : a3 >>> 0, gid = a4 === -1 || a4 >>> 0 === 0xffffffff ? -1 : a4 >>> 0;
      if (uid === -1 && gid === -1) return 0;
      if (!mayChown(t.proc, key, uid, gid)) sysError("EACCES");
      if (uid !== -1) keys.chown(key, uid);
      if (gid !== -1) key.gid = gid;
      return 0;
    }
    case KEYCTL_SETPERM: {
      const perm = a3 >>> 0;
      if ((perm & ~0x3f3f3f3f) !== 0) sysError("EINVAL");
      const { key } = lookup(t, a2, true, KEY_SETATTR);
      // (only its owner may change a key's permissions)
      if (key.uid !== t.proc.fsuid) sysError("EACCES");
      key.perm = perm;
      return 0;
    }
    case KEYCTL_DESCRIBE: {
      const { key } = lookup(t, a2, false, KEY_VIEW);
      const text = `${key.type};${key.uid};${key.gid};${key.perm.toString(16).padStart(8, "0")};${key.description}\0`;
      return copyOut(t, a3, a4, Buffer.from(text, "latin1"), false);
    }
    case KEYCTL_CLEAR: {
      const ring = keyringOf(t, a2, true, KEY_WRITE);
      ring.links.length = 0;
      return 0;
    }
    case KEYCTL_LINK: {
      const ring = keyringOf(t, a3, true, KEY_WRITE);
      const { key } = lookup(t, a2, true, KEY_LINK);
      linkKey(ring, key);
      return 0;
    }
    case KEYCTL_UNLINK: {
      const ring = keyringOf(t, a3, false, KEY_WRITE);
      const k = keys.keys.get(a2);
      const i = k === undefined ? -1 : ring.links.indexOf(k);
      if (i < 0) sysError("ENOENT");
      ring.links.splice(i, 1);
      return 0;
    }
    case KEYCTL_SEARCH: {
      const type = knownType(typeArg(t, a3));
      const description = descArg(t, a4);
      const { key: ring, poss } = lookup(t, a2, false, KEY_SEARCH);
      if (ring.type !== "keyring") sysError("ENOTDIR");
      const dest = a5 !== 0 ? keyringOf(t, a5, true, KEY_WRITE) : null;
      const k = searchKeyring(t, ring, type, description, poss, now(t));
      if (k === null) return sysError("ENOKEY");
      if (dest !== null) {
        checkPermission(t, k, KEY_LINK, poss);
        linkKey(dest, k);
      }
      return k.serial;
    }
    case KEYCTL_READ:
      return readKey(t, a2, a3, a4);
    case KEYCTL_INSTANTIATE:
    case KEYCTL_NEGATE:
    case KEYCTL_REJECT:
    case KEYCTL_INSTANTIATE_IOV:
      // (no key is under construction, so the caller holds no authority over one)
      return sysError("EPERM");
    case KEYCTL_ASSUME_AUTHORITY:
      return a2 === 0 ? 0 : sysError("ENOKEY");
    case KEYCTL_SET_REQKEY_KEYRING: {
      const old = t.proc.keys.reqkeyDefault;
      if (a2 === REQKEY_NO_CHANGE) return old;
      if (a2 < 0 || a2 > REQKEY_REQUESTOR || a2 === REQKEY_GROUP) sysError("EINVAL");
      t.proc.keys.reqkeyDefault = a2;
      return old;
    }
    case KEYCTL_SET_TIMEOUT: {
      const { key } = lookup(t, a2, true, KEY_SETATTR);
      key.expiry = a3 >>> 0 === 0 ? 0 : now(t) + (a3 >>> 0) * 1e9;
      return 0;
    }
    case KEYCTL_GET_SECURITY: {
      // (no security module labels keys: an empty label)
      lookup(t, a2, false, KEY_VIEW, false);
      return copyOut(t, a3, a4, new Uint8Array(1), false);
    }
    case KEYCTL_SESSION_TO_PARENT:
      return sessionToParent(t);
    case KEYCTL_INVALIDATE: {
      const { key } = lookup(t, a2, false, KEY_SEARCH, false);
      key.invalidated = true;
      keys.collect(t.sys);
      return 0;
    }
    case KEYCTL_MOVE: {
      if ((a5 & ~KEYCTL_MOVE_EXCL) !== 0) sysError("EINVAL");
      const { key } = lookup(t, a2, true, KEY_LINK);
      const from = keyringOf(t, a3, false, KEY_WRITE), to = keyringOf(t, a4, true, KEY_WRITE);
      const i = from.links.indexOf(key);
      if (i < 0) sysError("ENOENT");
      if ((a5 & KEYCTL_MOVE_EXCL) !== 0 && to.links.some((l) => l !== key && l.type === key.type && l.description === key.description)) sysError("EEXIST");
      linkKey(to, key);
      if (from !== to) from.links.splice(from.links.indexOf(key), 1);
      return 0;
    }
    case KEYCTL_CAPABILITIES: {
      const caps = new Uint8Array(2);
      caps[0] = KEYCTL_CAPS0_CAPABILITIES | KEYCTL_CAPS0_INVALIDATE | KEYCTL_CAPS0_MOVE;
      return copyOut(t, a2, a3, caps, true);
    }
    default:
      return sysError("EOPNOTSUPP", `keyctl operation ${op}`);
  }
};

/** Copies `data` to a buffer of `len` bytes at `va` (as much as fits when `partial`, else
 *  only if all of it does); returns the data's whole length. */
function copyOut(t: Task, va: number, len: number, data: Uint8Array, partial: boolean): number {
  if (va !== 0 && len > 0) {
    const n = Math.min(len >>> 0, data.length);
    if (partial || n === data.length) t.mem.write(va, data.subarray(0, n));
  }
  return data.length;
}

/** KEYCTL_READ: a user key's payload, a keyring's serials; readable with READ permission, or
 *  when possessed and searchable. */
function readKey(t: Task, id: number, va: number, len: number): number {
  const { key, poss } = lookup(t, id, false, 0);
  if (!keyPermits(t, key, KEY_READ, poss)) {
    if (!poss || !keyPermits(t, key, KEY_SEARCH, poss)) sysError("EACCES");
  }
  if (key.type === "logon") sysError("EOPNOTSUPP");
  let data: Uint8Array;
  if (key.type === "keyring") {
    // (a keyring is read as whole serial numbers)
    if (va !== 0 && len >>> 0 > 0 && len % 4 !== 0) sysError("EINVAL");
    const live = key.links.filter((k) => !k.invalidated);
    data = new Uint8Array(4 * live.length);
    const dv = new DataView(data.buffer);
    live.forEach((k, i) => dv.setInt32(4 * i, k.serial, true));
  } else {
    data = key.payload;
  }
  // (copied only if it all fits: the length tells the caller how much room to make)
  if (va !== 0 && len >>> 0 >= data.length) t.mem.write(va, data);
  return data.length;
}

/** KEYCTL_JOIN_SESSION_KEYRING: a new anonymous session keyring, or the caller's keyring of
 *  that name (made if there is none it may search). */
function joinSession(t: Task, name: string | null): number {
  const p = t.proc;
  // (the kernel's own keyrings, named with a dot, are not to be joined)
  if (name !== null && name.startsWith(".")) sysError("EPERM");
  if (name === null) {
    p.keys.session = newKeyring(t, "_ses", SESSION_PERM);
    return p.keys.session.serial;
  }
  for (const k of t.sys.keys.keys.values()) {
    if (k.type !== "keyring" || k.description !== name || k.invalidated || k.revoked) continue;
    if (!keyPermits(t, k, KEY_SEARCH, false) && k.uid !== p.uid) continue;
    if (!keyPermits(t, k, KEY_LINK, false) && k.uid !== p.uid) sysError("EACCES");
    p.keys.session = k;
    return k.serial;
  }
  const k = t.sys.keys.make("keyring", name, p.uid, p.gid, NAMED_SESSION_PERM, new Uint8Array(0));
  p.keys.session = k;
  return k.serial;
}

/** KEYCTL_SESSION_TO_PARENT: the parent takes the caller's session keyring, if it belongs to
 *  the same user. */
function sessionToParent(t: Task): number {
  const p = t.proc;
  const parent = p.parent;
  const session = lookup(t, KEY_SPEC_SESSION, false, KEY_LINK).key;
  if (parent === null || parent.termination !== null || parent.pid === 1) sysError("EPERM");
  if (parent.uid !== p.uid || parent.euid !== p.euid || parent.suid !== p.suid || parent.gid !== p.gid) sysError("EPERM");
  parent.keys.session = session;
  return 0;
}
