// The JavaScript half of a program snapshot (progsnap.ts): every object reachable from a set of
// roots (the exokernel and the library OS above it: environments, address-space records,
// processes, files, pipes, signal state, timers), each with its own fields as they were, so a
// restore can write them back into the same objects.
//
// Why in place. Everything outside the state (the embedder's handles, the run loop, closures
// made before the snapshot) holds references to these objects; putting each object's fields
// back keeps every such reference valid, and a field that referred to another object refers to
// the same object again, itself restored. Objects made after the snapshot are simply no longer
// reachable once the fields that led to them are put back.
//
// What is a value here: primitives and functions (a closure is kept as the function it was;
// what it captured is restored only as far as those objects are themselves reachable; a
// `later` call's record and arguments (src/exokernel/later.ts) are walked as objects). Opaque
// objects (the caller says which: guest RAM, the CPU, the execution engine, host streams) are
// kept by reference and never looked into. Typed arrays keep a copy of their bytes; Maps and
// Sets their entries; arrays their elements; other objects their own data properties.

import { laterCall } from "../exokernel/later.js";

/** An object whose state the snapshot does not keep (it is kept by reference only). */
export type OpaqueTest = (o: object) => boolean;

export const K_OBJECT = 0, K_ARRAY = 1, K_MAP = 2, K_SET = 3, K_BYTES = 4;

export interface Saved {
  o: object;
  kind: number;
  /** Own data properties and their values (objects, and Maps' and Sets' own fields). */
  keys: (string | symbol)[] | null;
  vals: unknown[] | null;
  /** Array elements, Set members, or Map keys; and Map values. */
  items: unknown[] | null;
  itemVals: unknown[] | null;
  bytes: Uint8Array | null;
}

/** The objects a capture reached and their fields. */
export interface GraphImage {
  readonly saved: Saved[];
  readonly objects: Set<object>;
}

/** Objects that are never state: their own data is not mutable program state. */
function builtinOpaque(o: object): boolean {
  return o instanceof Promise || o instanceof WeakMap || o instanceof WeakSet || o instanceof WeakRef || o instanceof Date || o instanceof RegExp || o instanceof ArrayBuffer || (typeof SharedArrayBuffer !== "undefined" && o instanceof SharedArrayBuffer);
}

/** Visits every object reachable from `roots` once (functions and opaque objects are not
 *  entered); `visit` gets each. */
export function walkGraph(roots: readonly object[], opaque: OpaqueTest, visit: (o: object) => void): Set<object> {
  const seen = new Set<object>();
  const stack: unknown[] = [...roots];
  const push = (v: unknown): void => {
    if (v === null) return;
    if (typeof v === "object") {
      if (!seen.has(v)) stack.push(v);
    } else if (typeof v === "function") {
      // A later call (a blocked call's continuation, a timer's action): its record and
      // arguments are state like any other.
      const c = laterCall(v);
      if (c !== null && !seen.has(c)) stack.push(c);
    }
  };
  while (stack.length > 0) {
    const o = stack.pop() as object;
    if (seen.has(o)) continue;
    seen.add(o);
    // (a frozen object is not state: nothing can change it, and it may be shared by every
    // machine in the process, so no restore or load may write to it)
    if (opaque(o) || builtinOpaque(o) || Object.isFrozen(o)) continue;
    visit(o);
    if (ArrayBuffer.isView(o)) continue;
    if (Array.isArray(o)) {
      for (let i = 0; i < o.length; i++) push(o[i]);
      continue;
    }
    if (o instanceof Map) {
      for (const [k, v] of o) {
        push(k);
        push(v);
      }
    } else if (o instanceof Set) {
      for (const v of o) push(v);
    }
    const rec = o as Record<string | symbol, unknown>;
    for (const k of Object.keys(o)) push(rec[k]);
    for (const k of Object.getOwnPropertySymbols(o)) push(rec[k]);
  }
  return seen;
}

/** Takes the state of everything reachable from `roots`. */
export function captureGraph(roots: readonly object[], opaque: OpaqueTest): GraphImage {
  const saved: Saved[] = [];
  const objects = walkGraph(roots, opaque, (o) => {
    if (ArrayBuffer.isView(o)) {
      const b = new Uint8Array(o.byteLength);
      b.set(new Uint8Array(o.buffer, o.byteOffset, o.byteLength));
      saved.push({ o, kind: K_BYTES, keys: null, vals: null, items: null, itemVals: null, bytes: b });
      return;
    }
    if (Array.isArray(o)) {
      saved.push({ o, kind: K_ARRAY, keys: null, vals: null, items: o.slice(), itemVals: null, bytes: null });
      return;
    }
    const { keys, vals } = ownFields(o);
    if (o instanceof Map) saved.push({ o, kind: K_MAP, keys, vals, items: [...o.keys()], itemVals: [...o.values()], bytes: null });
    else if (o instanceof Set) saved.push({ o, kind: K_SET, keys, vals, items: [...o], itemVals: null, bytes: null });
    else saved.push({ o, kind: K_OBJECT, keys, vals, items: null, itemVals: null, bytes: null });
  });
  return { saved, objects };
}

/** Own data properties that can be written back (constants of frozen objects are skipped). */
function ownFields(o: object): { keys: (string | symbol)[]; vals: unknown[] } {
  const rec = o as Record<string | symbol, unknown>;
  const keys: (string | symbol)[] = [];
  const vals: unknown[] = [];
  if (Object.isFrozen(o)) return { keys, vals };
  for (const k of Object.keys(o)) {
    keys.push(k);
    vals.push(rec[k]);
  }
  for (const k of Object.getOwnPropertySymbols(o)) {
    const d = Object.getOwnPropertyDescriptor(o, k);
    if (d === undefined || !("value" in d) || d.writable !== true) continue;
    keys.push(k);
    vals.push(d.value);
  }
  return { keys, vals };
}

/** Writes every captured object's fields back as they were at the capture. */
export function restoreGraph(img: GraphImage): void {
  for (const s of img.saved) {
    const o = s.o;
    switch (s.kind) {
      case K_BYTES: {
        const v = o as ArrayBufferView;
        new Uint8Array(v.buffer, v.byteOffset, v.byteLength).set(s.bytes!);
        break;
      }
      case K_ARRAY: {
        const a = o as unknown[];
        const items = s.items!;
        a.length = items.length;
        // (holes stay holes: forEach and friends skip them, which an undefined is not)
        for (let i = 0; i < items.length; i++) {
          if (i in items) a[i] = items[i];
          else delete a[i];
        }
        break;
      }
      case K_MAP: {
        const m = o as Map<unknown, unknown>;
        m.clear();
        const ks = s.items!, vs = s.itemVals!;
        for (let i = 0; i < ks.length; i++) m.set(ks[i], vs[i]);
        writeFields(o, s.keys!, s.vals!);
        break;
      }
      case K_SET: {
        const set = o as Set<unknown>;
        set.clear();
        for (const v of s.items!) set.add(v);
        writeFields(o, s.keys!, s.vals!);
        break;
      }
      default:
        writeFields(o, s.keys!, s.vals!);
    }
  }
}

/** Writes the fields `keys` name into `o`; own enumerable fields not among them are deleted. */
export function writeFields(o: object, keys: (string | symbol)[], vals: unknown[]): void {
  const rec = o as Record<string | symbol, unknown>;
  for (let i = 0; i < keys.length; i++) rec[keys[i]] = vals[i];
  // A property added since the capture goes (rare: class instances keep their shape).
  const now = Object.keys(o);
  if (now.length !== countStrings(keys)) {
    const had = new Set(keys);
    for (const k of now) if (!had.has(k)) delete rec[k];
  }
}

function countStrings(keys: (string | symbol)[]): number {
  let n = 0;
  for (const k of keys) if (typeof k === "string") n++;
  return n;
}
