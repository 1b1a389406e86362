// A program's or a booted system's snapshot (progsnap.ts, syssnap.ts) as bytes, and loaded
// from bytes into another program's or system's machine, in this process or another one. A
// booted system's bytes also hold its disks: each image read through with the snapshot's
// sectors on top, in 4 KiB pieces (those all zeros left out); loading puts every sector that
// differs from the target's image into the target disk's overlay.
//
// What is written: guest RAM's frames in use, monotonic time, and the object graph the snapshot
// kept (stategraph.ts): every object with its class's name and its fields, typed arrays' bytes
// (views of one buffer share it again when loaded), Maps' and Sets' entries. Values are
// primitives (NaN, -0, bigint, undefined included), references to other objects, references to
// the machine's own parts (guest RAM, the CPU, the engine: kept out of the graph, found again in
// the target machine), and functions:
// - a `later` call (src/exokernel/later.ts: blocked calls' continuations, timers' actions) is
//   its object, method name and arguments, and is rebuilt;
// - a function registered with `resumable` is its name;
// - any other function is one the system made when it started (a callback one part of the
//   system gave another): it is found at the same place in the target.
//
// Loading matches objects to the target's by where they are: the roots are the same objects,
// and an object reached from a matched one through the same field (array index, Map key) with
// the same class is the target's object there, given the saved fields. Every other object is
// made anew (Object.create of its class's prototype, stateclasses.ts). So the callbacks and
// references the target made when it started stay valid, and nothing of the target's own state
// survives: what the roots reach afterwards is exactly the saved graph.
//
// Host descriptors are not numbers that mean anything in another process: objects that hold
// them reopen theirs by path (HOST_REOPEN, hostfds.ts), and the target's own that are no longer
// reachable are closed. Objects that keep closures of the running system outside their fields
// (a /proc node) make them again once everything is loaded (REBUILD, later.ts).

import { PAGE_SIZE } from "../hw/memory.js";
import { SECTOR_SIZE, type BlockDevice } from "../hw/devices/blockdev.js";
import type { Exokernel } from "../exokernel/kernel.js";
import { laterCall, rebuildAll, rebuildLater, registered, registeredName, type LaterCall } from "../exokernel/later.js";
import { closeHostFd, hostFdsOf, reopenHostFds } from "../libexoc/hostfds.js";
import { ExojitError } from "./errors.js";
import { LazyLog, logger } from "../log.js";
import { stateClasses } from "./snapclasses.js";
import { K_ARRAY, K_BYTES, K_MAP, K_OBJECT, K_SET, walkGraph, writeFields, type OpaqueTest, type Saved } from "./stategraph.js";
import { restoreFrames, type SystemImage, type SystemImageStats } from "./progsnap.js";

const MAGIC = "EXOJSYS\n";
/** A function found nowhere in the target: the field keeps the target's value. */
const KEEP = Symbol("keep");
const VERSION = 1;

/** A step from an object to one it refers to: a field, an array index, a Map's value for a
 *  primitive key (["m", key]); null where there is none to follow (Set members, Map keys). */
type Step = string | number | ["m", Enc] | null;
/** An encoded value. */
type Enc = string | number | boolean | null | Enc[];

interface Wire {
  version: number;
  kind: "program" | "system";
  pages: number;
  nframes: number;
  now: number;
  roots: number[];
  classes: string[];
  /** [kind, class, parent, step, ...payload] */
  objects: Enc[][];
  /** ["L", record object] | ["R", name] | ["H", homes] */
  fns: Enc[][];
  /** Machine parts: ["h", homes ([parent, step] pairs)], or ["log", category] for a logger. */
  ext: Enc[][];
  /** Typed-array buffers: [blob offset, byte length]. */
  bufs: [number, number][];
  /** A booted system's disks, in the kernel's order: [sectors, read-only, chunks], the chunks
   *  being the 4 KiB pieces that are not all zeros, as [index, blob offset] (a read-only disk
   *  cannot have changed: its contents are not written). */
  disks: [number, boolean, [number, number][]][];
}

/** Disk contents are written in pieces of this size (those all zeros are left out). */
const CHUNK = 4096;

const fail = (msg: string): never => {
  throw new ExojitError("E_SNAPSHOT", msg);
};

function className(o: object): string {
  const p = Object.getPrototypeOf(o) as { constructor?: { name?: string; prototype?: unknown } } | null;
  if (p === null) return "null";
  const c = p.constructor;
  if (c === undefined || c.prototype !== p || typeof c.name !== "string" || c.name === "") return fail("an object of an unnamed class cannot be saved");
  return c.name;
}

// ---- writing ----

/** The bytes of `img`. */
export function encodeSystem(img: SystemImage): Uint8Array {
  const roots = img.roots;
  const savedOf = new Map<object, Saved>();
  for (const s of img.graph.saved) savedOf.set(s.o, s);
  const index = new Map<object, number>();
  const order: Saved[] = [];
  const parents: number[] = [];
  const steps: Step[] = [];
  const classes: string[] = [];
  const classIx = new Map<string, number>();
  const ext = new Map<object, Enc[]>();
  const extIx = new Map<object, number>();
  const fnIx = new Map<unknown, number>();
  const fns: Enc[][] = [];
  const fnHomes = new Map<number, Enc[]>();

  const cls = (name: string): number => {
    let i = classIx.get(name);
    if (i === undefined) {
      i = classes.length;
      classes.push(name);
      classIx.set(name, i);
    }
    return i;
  };
  const home = (parent: number, step: Step): Enc => [parent, step === null ? null : (step as Enc)];

  const enc = (v: unknown, parent: number, step: Step): Enc => {
    switch (typeof v) {
      case "string":
      case "boolean":
        return v;
      case "number":
        return Number.isFinite(v) && !Object.is(v, -0) ? v : ["d", Object.is(v, -0) ? "-0" : String(v)];
      case "undefined":
        return ["u"];
      case "bigint":
        return ["b", v.toString()];
      case "symbol": {
        const k = Symbol.keyFor(v);
        return k !== undefined ? ["y", k] : fail(`a symbol (${v.description}) cannot be saved`);
      }
      case "function": {
        let i = fnIx.get(v);
        if (i === undefined) {
          i = fns.length;
          fnIx.set(v, i);
          const call = laterCall(v);
          const name = registeredName(v);
          if (call !== null && savedOf.has(call)) fns.push(["L", enc(call, parent, null)]);
          else if (name !== undefined) fns.push(["R", name]);
          else {
            const homes: Enc[] = [];
            fnHomes.set(i, homes);
            fns.push(["H", homes]);
          }
        }
        const homes = fnHomes.get(i);
        if (homes !== undefined && step !== null && homes.length < 8) homes.push(home(parent, step));
        return ["f", i];
      }
      default: {
        if (v === null) return null;
        const o = v as object;
        if (savedOf.has(o)) {
          let i = index.get(o);
          if (i === undefined) {
            i = order.length;
            index.set(o, i);
            order.push(savedOf.get(o)!);
            parents.push(parent);
            steps.push(step);
          }
          return ["o", i];
        }
        let i = extIx.get(o);
        if (i === undefined) {
          i = ext.size;
          extIx.set(o, i);
          // A logger is made again for its category; other parts are found where they were.
          ext.set(o, o instanceof LazyLog ? ["log", o.category] : ["h", []]);
        }
        const e = ext.get(o)!;
        if (e[0] === "h" && step !== null && (e[1] as Enc[]).length < 8) (e[1] as Enc[]).push(home(parent, step));
        return ["x", i];
      }
    }
  };

  const rootIx = roots.map((r) => {
    if (!savedOf.has(r)) fail("a root of the snapshot is not in it");
    return (enc(r, -1, null) as [string, number])[1];
  });

  // Typed arrays: the bytes of each buffer the graph views, over the span its views cover.
  const spans = new Map<ArrayBufferLike, { lo: number; hi: number; views: Saved[] }>();
  const objects: Enc[][] = [];
  for (let i = 0; i < order.length; i++) {
    const s = order[i];
    const head: Enc[] = [s.kind, 0, parents[i], steps[i] === null ? null : (steps[i] as Enc)];
    switch (s.kind) {
      case K_BYTES: {
        const v = s.o as ArrayBufferView;
        head[1] = cls(v.constructor.name);
        let sp = spans.get(v.buffer);
        if (sp === undefined) spans.set(v.buffer, (sp = { lo: v.byteOffset, hi: v.byteOffset + v.byteLength, views: [] }));
        sp.lo = Math.min(sp.lo, v.byteOffset);
        sp.hi = Math.max(sp.hi, v.byteOffset + v.byteLength);
        sp.views.push(s);
        objects.push(head); // completed below, once spans are known
        break;
      }
      case K_ARRAY:
        head[1] = cls(className(s.o));
        // (a hole in a sparse array is written as ["h"] and stays a hole)
        objects.push([...head, Array.from({ length: s.items!.length }, (_, k) => (k in s.items! ? enc(s.items![k], i, k) : ["h"]))]);
        break;
      default: {
        head[1] = cls(className(s.o));
        const keys: Enc[] = s.keys!.map((k) => (typeof k === "symbol" ? ["y", Symbol.keyFor(k) ?? fail(`a field keyed by a symbol (${k.description}) cannot be saved`)] : k));
        const vals = s.vals!.map((x, k) => enc(x, i, typeof s.keys![k] === "string" ? (s.keys![k] as string) : null));
        if (s.kind === K_OBJECT) objects.push([...head, keys, vals]);
        else if (s.kind === K_SET) objects.push([...head, keys, vals, s.items!.map((x) => enc(x, i, null))]);
        else {
          const mk = s.items!.map((x) => enc(x, i, null));
          const mv = s.itemVals!.map((x, k) => {
            const key = s.items![k];
            const prim = key === null || (typeof key !== "object" && typeof key !== "function");
            return enc(x, i, prim ? ["m", mk[k]] : null);
          });
          objects.push([...head, keys, vals, mk, mv]);
        }
      }
    }
  }

  // The blob: frame numbers, frames, then buffers.
  const bufs: [number, number][] = [];
  const bufIx = new Map<ArrayBufferLike, number>();
  let blobLen = img.frames.byteLength + img.bytes.byteLength;
  for (const [b, sp] of spans) {
    bufIx.set(b, bufs.length);
    bufs.push([blobLen, sp.hi - sp.lo]);
    blobLen += sp.hi - sp.lo;
  }
  for (let i = 0; i < order.length; i++) {
    const s = order[i];
    if (s.kind !== K_BYTES) continue;
    const v = s.o as ArrayBufferView;
    const sp = spans.get(v.buffer)!;
    const len = "length" in v ? (v as unknown as { length: number }).length : v.byteLength;
    objects[i].push(bufIx.get(v.buffer)!, v.byteOffset - sp.lo, len);
  }

  // Disks: each image read through, with the snapshot's sectors on top.
  const disks: Wire["disks"] = [];
  const pieces: Uint8Array[] = [];
  for (const { dev, sectors } of img.disks) {
    const chunks: [number, number][] = [];
    disks.push([dev.sectors, dev.readOnly, chunks]);
    if (dev.readOnly) continue;
    const per = CHUNK / SECTOR_SIZE;
    for (const [first, buf] of imagePieces(dev, dev.sectors)) {
      const n = buf.length / SECTOR_SIZE;
      if (sectors !== null) for (let k = 0; k < n; k++) {
        const over = sectors.get(first + k);
        if (over !== undefined) buf.set(over, k * SECTOR_SIZE);
      }
      for (let off = 0; off < buf.length; off += CHUNK) {
        const c = buf.subarray(off, Math.min(off + CHUNK, buf.length));
        if (allZero(c)) continue;
        chunks.push([(first + off / SECTOR_SIZE) / per, blobLen]);
        pieces.push(c.slice());
        blobLen += c.length;
      }
    }
  }

  const wire: Wire = {
    version: VERSION,
    kind: img.kind,
    pages: img.inUse.length,
    nframes: img.frames.length,
    now: img.now,
    roots: rootIx,
    classes,
    objects,
    fns,
    ext: [...ext.values()],
    bufs,
    disks,
  };
  const json = Buffer.from(JSON.stringify(wire));
  const out = Buffer.alloc(MAGIC.length + 8 + json.length + blobLen);
  let at = out.write(MAGIC, 0, "latin1");
  at = out.writeUInt32LE(json.length, at);
  at = out.writeUInt32LE(blobLen, at);
  at += json.copy(out, at);
  const blob = at;
  out.set(new Uint8Array(img.frames.buffer, img.frames.byteOffset, img.frames.byteLength), at);
  at += img.frames.byteLength;
  out.set(img.bytes, at);
  for (const [b, sp] of spans) {
    const base = blob + bufs[bufIx.get(b)!][0];
    for (const s of sp.views) {
      const v = s.o as ArrayBufferView;
      out.set(s.bytes!, base + v.byteOffset - sp.lo);
    }
  }
  let k = 0;
  for (const [, , chunks] of disks) for (const [, off] of chunks) out.set(pieces[k++], blob + off);
  return out;
}

/** A disk image's first `sectors` sectors read in 1 MiB pieces (no overlay applied): the
 *  first sector of each and its bytes, in one buffer reused from piece to piece. */
function* imagePieces(dev: BlockDevice, sectors: number): Generator<[number, Uint8Array]> {
  const piece = new Uint8Array(256 * CHUNK);
  for (let first = 0; first < sectors; first += piece.length / SECTOR_SIZE) {
    const buf = piece.subarray(0, Math.min(piece.length / SECTOR_SIZE, sectors - first) * SECTOR_SIZE);
    dev.readImage(first, buf);
    yield [first, buf];
  }
}

function allZero(b: Uint8Array): boolean {
  const w = new Int32Array(b.buffer, b.byteOffset, b.length >> 2);
  for (let i = 0; i < w.length; i++) if (w[i] !== 0) return false;
  for (let i = w.length << 2; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

// ---- reading ----

/** A parsed saved system, its classes resolved, ready to load into a machine. */
export interface ParsedSystem {
  readonly wire: Wire;
  readonly protos: (object | null)[];
  readonly frames: Int32Array;
  readonly bytes: Uint8Array;
  readonly blob: Uint8Array;
  readonly memoryBytes: number;
}

const TYPED: Record<string, new (b: ArrayBufferLike, off: number, len: number) => ArrayBufferView> = {
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array, DataView,
  Buffer: class {
    constructor(b: ArrayBufferLike, off: number, len: number) {
      return Buffer.from(b as ArrayBuffer, off, len);
    }
  } as unknown as new (b: ArrayBufferLike, off: number, len: number) => ArrayBufferView,
};

/** Checks and parses bytes from encodeSystem (E_SNAPSHOT when they are not such bytes). */
export async function parseSystem(buf: Uint8Array): Promise<ParsedSystem> {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < MAGIC.length + 8 || b.toString("latin1", 0, MAGIC.length) !== MAGIC) fail("not a saved exojit program snapshot");
  const jsonLen = b.readUInt32LE(MAGIC.length);
  const blobLen = b.readUInt32LE(MAGIC.length + 4);
  const start = MAGIC.length + 8;
  if (start + jsonLen + blobLen !== b.length) fail(`a saved snapshot of ${start + jsonLen + blobLen} bytes, ${b.length} given (truncated or padded)`);
  let wire: Wire;
  try {
    wire = JSON.parse(b.toString("utf8", start, start + jsonLen)) as Wire;
  } catch {
    return fail("the snapshot's description is corrupt");
  }
  if (wire === null || typeof wire !== "object") fail("the snapshot's description is corrupt");
  if (wire.version !== VERSION) fail(`snapshot format ${wire.version}, this exojit reads ${VERSION}`);
  checkShape(wire);
  const blob = new Uint8Array(b.buffer, b.byteOffset + start + jsonLen, blobLen).slice();
  const nf = wire.nframes;
  if (!(nf >= 0) || nf * (4 + PAGE_SIZE) > blobLen) fail("the snapshot's memory is truncated");
  const frames = new Int32Array(blob.buffer, 0, nf);
  for (const f of frames) if (!(f >= 0 && f < wire.pages)) fail(`the snapshot names frame ${f} of ${wire.pages}`);
  for (const [off, len] of wire.bufs) if (!(off >= 0 && len >= 0 && off + len <= blobLen)) fail("the snapshot's buffers are out of range");
  if (wire.kind !== "program" && wire.kind !== "system") fail("the snapshot's description is corrupt");
  for (const [sectors, , chunks] of wire.disks ?? []) {
    for (const [c, off] of chunks) if (!(c >= 0 && c * CHUNK < sectors * SECTOR_SIZE && off >= 0 && off + Math.min(CHUNK, sectors * SECTOR_SIZE - c * CHUNK) <= blobLen)) fail("the snapshot's disk contents are out of range");
  }
  const known = await stateClasses();
  const protos = wire.classes.map((n) => {
    if (n === "null") return null;
    if (n === "Object") return Object.prototype;
    if (n === "Array") return Array.prototype;
    if (n === "Map") return Map.prototype;
    if (n === "Set") return Set.prototype;
    if (n in TYPED) return n === "Buffer" ? Buffer.prototype : (TYPED[n] as unknown as { prototype: object }).prototype;
    return known.get(n) ?? fail(`the snapshot has an object of class ${n}, which this exojit does not have`);
  });
  return { wire, protos, frames, bytes: blob.subarray(nf * 4, nf * 4 + nf * PAGE_SIZE), blob, memoryBytes: wire.pages * PAGE_SIZE };
}

/** E_SNAPSHOT unless `p` can load into kernel `k`'s machine, a `kind` with `roots` roots and
 *  disks `devs` (nothing is changed). */
export function checkFits(p: ParsedSystem, k: Exokernel, roots: number, kind: Wire["kind"], devs: readonly BlockDevice[]): void {
  const w = p.wire;
  if (w.kind !== kind) fail(`the snapshot is of a ${w.kind === "system" ? "booted system" : "program"}, not of a ${kind === "system" ? "booted system" : "program"}`);
  if (w.pages !== k.mem.pages) fail(`the snapshot is of a machine with ${w.pages * PAGE_SIZE} bytes of memory, this one has ${k.mem.pages * PAGE_SIZE}`);
  if (w.roots.length !== roots) fail("the snapshot is of another kind of machine");
  if (w.disks.length !== devs.length) fail(`the snapshot's system has ${w.disks.length} disk(s), this one ${devs.length}`);
  w.disks.forEach(([sectors, ro], i) => {
    if (devs[i].sectors !== sectors) fail(`disk ${i} of the snapshot has ${sectors} sectors, this system's ${devs[i].sectors}`);
    if (devs[i].readOnly !== ro) fail(`disk ${i} is ${ro ? "read-only" : "writable"} in the snapshot, not here`);
  });
}

/** Gives disks `devs` (checked by checkFits) the contents `p` saved: each sector that differs
 *  from the image goes into the disk's overlay, as if the system had written it. */
export function loadDisks(p: ParsedSystem, devs: readonly BlockDevice[]): void {
  const zero = new Uint8Array(SECTOR_SIZE);
  p.wire.disks.forEach(([sectors, ro, chunks], i) => {
    if (ro) return;
    const dev = devs[i];
    const saved = new Map<number, number>(chunks.map(([c, off]) => [c, off]));
    const over = new Map<number, Uint8Array>();
    for (const [first, now] of imagePieces(dev, sectors)) {
      const n = now.length / SECTOR_SIZE;
      for (let k = 0; k < n; k++) {
        const sector = first + k;
        const at = saved.get(Math.floor((sector * SECTOR_SIZE) / CHUNK));
        const want = at === undefined ? zero : p.blob.subarray(at + ((sector * SECTOR_SIZE) % CHUNK), at + ((sector * SECTOR_SIZE) % CHUNK) + SECTOR_SIZE);
        const have = now.subarray(k * SECTOR_SIZE, (k + 1) * SECTOR_SIZE);
        if (Buffer.compare(have, want) !== 0) over.set(sector, want === zero ? zero : want.slice());
      }
    }
    dev.setOverlay(over);
  });
}

/** The description's structure (indices in range, parents before children), so that loading
 *  it cannot fail halfway on a corrupt one. */
function checkShape(w: Wire): void {
  const bad = (): never => fail("the snapshot's description is corrupt");
  const arrays = [w.roots, w.classes, w.objects, w.fns, w.ext, w.bufs, w.disks];
  if (!arrays.every(Array.isArray) || !Number.isInteger(w.pages) || !Number.isInteger(w.nframes) || typeof w.now !== "number") bad();
  const n = w.objects.length;
  const ref = (e: Enc): void => {
    if (!Array.isArray(e)) return;
    const [tag, x] = e;
    if (tag === "o" && !(Number.isInteger(x) && (x as number) >= 0 && (x as number) < n)) bad();
    if (tag === "x" && !(Number.isInteger(x) && (x as number) >= 0 && (x as number) < w.ext.length)) bad();
    if (tag === "f" && !(Number.isInteger(x) && (x as number) >= 0 && (x as number) < w.fns.length)) bad();
  };
  const refs = (v: unknown): void => {
    if (!Array.isArray(v)) bad();
    for (const e of v as Enc[]) ref(e);
  };
  for (const r of w.roots) if (!(Number.isInteger(r) && r >= 0 && r < n)) bad();
  w.objects.forEach((e, i) => {
    if (!Array.isArray(e) || !(Number.isInteger(e[1]) && (e[1] as number) >= 0 && (e[1] as number) < w.classes.length)) bad();
    const parent = e[2] as number;
    if (!(Number.isInteger(parent) && parent >= -1 && parent < i)) bad();
    switch (e[0]) {
      case K_BYTES:
        if (!(Number.isInteger(e[4]) && (e[4] as number) >= 0 && (e[4] as number) < w.bufs.length && Number.isInteger(e[5]) && Number.isInteger(e[6]))) bad();
        if (!(w.classes[e[1] as number] in TYPED)) bad();
        break;
      case K_ARRAY:
        refs(e[4]);
        break;
      case K_OBJECT:
      case K_MAP:
      case K_SET:
        if (!Array.isArray(e[4]) || !Array.isArray(e[5]) || (e[4] as Enc[]).length !== (e[5] as Enc[]).length) bad();
        refs(e[5]);
        if (e[0] === K_SET) refs(e[6]);
        if (e[0] === K_MAP) {
          refs(e[6]);
          refs(e[7]);
          if ((e[6] as Enc[]).length !== (e[7] as Enc[]).length) bad();
        }
        break;
      default:
        bad();
    }
  });
  for (const f of w.fns) {
    if (!Array.isArray(f)) bad();
    if (f[0] === "L") {
      ref(f[1]);
      const r = f[1] as [string, number];
      if (!Array.isArray(r) || r[0] !== "o" || w.objects[r[1]][0] !== K_OBJECT) bad();
    } else if (f[0] === "R") {
      if (typeof f[1] !== "string") bad();
    } else if (f[0] !== "H" || !Array.isArray(f[1])) bad();
  }
  for (const e of w.ext) if (!Array.isArray(e) || (e[0] !== "h" && e[0] !== "log")) bad();
  for (const d of w.disks) if (!Array.isArray(d) || !Number.isInteger(d[0]) || !Array.isArray(d[2])) bad();
}

function own(o: object, k: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, k) ? (o as Record<string, unknown>)[k] : undefined;
}

/** Loads `p` into the system of kernel `k`, whose roots are `roots` (those the snapshot was
 *  taken with, in the same order). No environment may be running. */
export function loadSystem(k: Exokernel, roots: readonly object[], p: ParsedSystem, stats: SystemImageStats, opaque: OpaqueTest): void {
  const w = p.wire;
  k.park();
  const n = w.objects.length;
  const live: (object | undefined)[] = new Array(n);
  const used = new Set<object>();

  /** Where an object or function was found first: Class.field of its first home. */
  const placeOf = (homes: Enc[][]): string => {
    const h = homes[0];
    if (h === undefined) return "no field";
    const path: string[] = [JSON.stringify(h[1])];
    for (let i = h[0] as number; i >= 0 && path.length < 12; i = w.objects[i][2] as number) path.unshift(`${w.classes[w.objects[i][1] as number]}${w.objects[i][3] === null ? "" : `(${JSON.stringify(w.objects[i][3])})`}`);
    return path.join(" > ");
  };
  const prim = (e: Enc): unknown => {
    if (!Array.isArray(e)) return e;
    switch (e[0]) {
      case "d":
        return e[1] === "-0" ? -0 : Number(e[1]);
      case "u":
        return undefined;
      case "b":
        return BigInt(e[1] as string);
      case "y":
        return Symbol.for(e[1] as string);
    }
    return fail("the snapshot's description is corrupt");
  };
  const stepInto = (o: object, step: Enc): unknown => {
    if (typeof step === "string") return own(o, step);
    if (typeof step === "number") return Array.isArray(o) ? o[step] : undefined;
    if (Array.isArray(step) && step[0] === "m" && o instanceof Map) return o.get(prim(step[1]));
    return undefined;
  };
  const fits = (e: Enc[], o: unknown): o is object => {
    if (o === null || typeof o !== "object" || used.has(o)) return false;
    const kind = e[0] as number;
    if (kind === K_BYTES) return ArrayBuffer.isView(o) && o.constructor.name === w.classes[e[1] as number] && ("length" in o ? (o as unknown as { length: number }).length : o.byteLength) === e[6];
    return Object.getPrototypeOf(o) === p.protos[e[1] as number] && (kind === K_ARRAY) === Array.isArray(o);
  };

  // Host descriptors the target holds now (those no longer reachable afterwards are closed).
  const before: number[] = [];
  walkGraph(roots, opaque, (o) => before.push(...hostFdsOf(o)));

  // Match: the roots, then objects where the target has one of the same class.
  w.roots.forEach((ix, r) => {
    if (!fits(w.objects[ix], roots[r])) fail("the snapshot is of another kind of machine (its roots differ)");
    live[ix] = roots[r];
    used.add(roots[r]);
  });
  for (let i = 0; i < n; i++) {
    if (live[i] !== undefined) continue;
    const e = w.objects[i];
    const parent = e[2] as number, step = e[3];
    if (parent < 0 || step === null || live[parent] === undefined) continue;
    const cand = stepInto(live[parent]!, step);
    if (fits(e, cand)) {
      live[i] = cand;
      used.add(cand);
    }
  }
  const ext = w.ext.map((e) => {
    if (e[0] === "log") return logger(e[1] as string);
    const homes = e[1] as Enc[][];
    for (const h of homes) {
      const par = live[h[0] as number];
      const cand = par === undefined ? undefined : stepInto(par, h[1]);
      if (cand !== null && typeof cand === "object") return cand;
    }
    return fail(`a part of the machine (at ${placeOf(homes)}) has no counterpart in this one`);
  });

  // Make the rest. Typed arrays of one saved buffer share a new one.
  const buffers = new Map<number, ArrayBuffer>();
  for (let i = 0; i < n; i++) {
    const e = w.objects[i];
    const kind = e[0] as number;
    if (kind === K_BYTES) {
      const [, , , , bi, off, len] = e as [number, number, number, Enc, number, number, number];
      const [boff, blen] = w.bufs[bi];
      const ctor = w.classes[e[1] as number];
      const width = ctor === "DataView" || ctor === "Buffer" ? 1 : (TYPED[ctor] as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
      if (!(off >= 0 && off + len * width <= blen)) fail("the snapshot's typed arrays are out of range");
      if (live[i] !== undefined) {
        const v = live[i] as ArrayBufferView;
        new Uint8Array(v.buffer, v.byteOffset, v.byteLength).set(p.blob.subarray(boff + off, boff + off + len * width));
        continue;
      }
      let ab = buffers.get(bi);
      if (ab === undefined) buffers.set(bi, (ab = p.blob.slice(boff, boff + blen).buffer));
      live[i] = new TYPED[ctor](ab, off, len);
      continue;
    }
    if (live[i] !== undefined) continue;
    if (kind === K_ARRAY) live[i] = [];
    else if (kind === K_MAP) live[i] = new Map();
    else if (kind === K_SET) live[i] = new Set();
    else live[i] = Object.create(p.protos[e[1] as number]) as object;
  }

  // Functions, then every object's fields.
  const fns: unknown[] = new Array(w.fns.length);
  const val = (e: Enc): unknown => {
    if (!Array.isArray(e)) return e;
    if (e[0] === "o") return live[e[1] as number];
    if (e[0] === "x") return ext[e[1] as number];
    if (e[0] === "f") return fn(e[1] as number);
    return prim(e);
  };
  const fn = (i: number): unknown => {
    if (fns[i] !== undefined) return fns[i];
    const f = w.fns[i];
    if (f[0] === "L") {
      // The record's own fields are filled below; read them from the wire now.
      const re = w.objects[(f[1] as [string, number])[1]];
      const fields = new Map((re[4] as string[]).map((k, j) => [k, val((re[5] as Enc[])[j])]));
      fns[i] = rebuildLater({ self: fields.get("self") as object | null, name: fields.get("name") as string, args: (fields.get("args") as unknown[]) ?? [] } satisfies LaterCall);
    } else if (f[0] === "R") {
      fns[i] = registered(f[1] as string) ?? fail(`the snapshot calls ${f[1] as string}, which this exojit does not have`);
    } else {
      for (const h of f[1] as Enc[][]) {
        const par = live[h[0] as number];
        const cand = par === undefined || !used.has(par) ? undefined : stepInto(par, h[1]);
        if (typeof cand === "function") return (fns[i] = cand);
      }
      // Not found: a matched object keeps what its field holds now (the host's wiring, such as
      // a run loop's wake-up callback); another object cannot have it (below).
      return (fns[i] = KEEP);
    }
    return fns[i];
  };
  const keepOrFail = (o: object, keys: (string | symbol)[], vals: unknown[], i: number): void => {
    for (let j = vals.length - 1; j >= 0; j--) {
      if (vals[j] !== KEEP) continue;
      if (!used.has(o)) fail(`a callback (${w.classes[w.objects[i][1] as number]}.${String(keys[j])}) has no counterpart in this machine`);
      keys.splice(j, 1);
      vals.splice(j, 1);
    }
  };
  for (let i = 0; i < n; i++) {
    const e = w.objects[i];
    const o = live[i]!;
    const kind = e[0] as number;
    if (kind === K_BYTES) continue;
    if (kind === K_ARRAY) {
      const a = o as unknown[];
      const items = e[4] as Enc[];
      a.length = items.length;
      for (let j = 0; j < items.length; j++) {
        const x = items[j];
        if (Array.isArray(x) && x[0] === "h") delete a[j];
        else a[j] = val(x);
      }
      continue;
    }
    const keys = (e[4] as Enc[]).map((x) => (Array.isArray(x) ? Symbol.for(x[1] as string) : (x as string)));
    const vals = (e[5] as Enc[]).map(val);
    if (kind === K_MAP) {
      const m = o as Map<unknown, unknown>;
      m.clear();
      const mk = (e[6] as Enc[]).map(val), mv = (e[7] as Enc[]).map(val);
      for (let j = 0; j < mk.length; j++) m.set(mk[j], mv[j]);
    } else if (kind === K_SET) {
      const s = o as Set<unknown>;
      s.clear();
      for (const x of e[6] as Enc[]) s.add(val(x));
    }
    keepOrFail(o, keys, vals, i);
    writeFields(o, keys, vals);
  }

  // Host descriptors: reopened by the objects that hold them; the target's own that nothing
  // reaches any more are closed.
  const after = new Set<number>();
  const loaded = live.filter((o): o is object => o !== undefined);
  reopenHostFds(loaded);
  rebuildAll(loaded);
  walkGraph(roots, opaque, (o) => {
    for (const fd of hostFdsOf(o)) after.add(fd);
  });
  for (const fd of before) if (!after.has(fd)) closeHostFd(fd);

  // Guest RAM: every frame in use put back; code from changed frames, or frames now free, goes.
  const inUse = new Uint8Array(w.pages);
  for (const f of p.frames) inUse[f] = 1;
  restoreFrames(k, p.frames, p.bytes, inUse, stats);
  k.clock.resumeAt(w.now);
  k.cpu.flushTlb();
}
