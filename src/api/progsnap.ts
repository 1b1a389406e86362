// Snapshots of a whole Linux system as a program runs it (progctl.ts): guest RAM, every
// environment's registers, and the exokernel's and libexoc's state (processes, threads, memory
// maps, open files and their offsets, pipes and their contents, signals, timers, futexes, the
// page cache, the program's captured output). Taken and restored between scheduler turns, with
// no environment on the CPU (Exokernel.park), so the whole state is in RAM and in JavaScript
// objects.
//
// - RAM: the frames in use (reference count not zero) are copied. A restore compares each with
//   its copy and puts back those that differ (a 4 KiB compare per frame, native memcmp); code
//   translated from a frame that changed, or that is free in the snapshot, is dropped; code
//   from frames that did not change stays compiled.
// - Objects: stategraph.ts keeps every reachable object's fields and writes them back into the
//   same objects. Guest RAM, the CPU and the execution engine are opaque (kept by reference):
//   their state is RAM and registers, handled above, or caches keyed by frame contents. So are
//   disks: a booted system's snapshot (system.ts) keeps their written sectors through their
//   overlays.
// - Host descriptors: those open to the guest are pinned while the snapshot lives (hostfds.ts),
//   so a restore finds them open, naming the same files; those opened since are closed.
//
// Time: monotonic time is put back to the snapshot's (timers armed then fire as they would
// have), so a program restored twice sees the same times; the wall clock goes on.
//
// What is not in a snapshot: the host's files themselves (a program writing into its root
// changes the host's file system, which no restore undoes) and the count of guest
// instructions run.

import { EventEmitter } from "node:events";
import { LazyLog } from "../log.js";
import type { Exokernel } from "../exokernel/kernel.js";
import { PhysMemory, PAGE_SHIFT, PAGE_SIZE } from "../hw/memory.js";
import { Cpu } from "../hw/cpu.js";
import { Engine } from "../jit/engine.js";
import { RunLoop } from "../exokernel/runloop.js";
import { BlockDevice } from "../hw/devices/blockdev.js";
import { closeHostFd, hostFdsOf, pinHostFds, reviveHostFd, unpinHostFds } from "../libexoc/hostfds.js";
import { ExojitError } from "./errors.js";
import { encodeSystem, parseSystem, type ParsedSystem } from "./snapserial.js";
import * as fs from "node:fs";
import { captureGraph, restoreGraph, walkGraph, type GraphImage, type OpaqueTest } from "./stategraph.js";

/** The state of a system at one moment, held by its owner (progctl.ts). */
export interface SystemImage {
  /** What it was taken from (in the order its owner gives them again). */
  roots: readonly object[];
  /** A program's or a booted system's (they are written out and loaded as such). */
  kind: "program" | "system";
  /** Why it cannot be written out now (a booted system's, once its disks moved on), or null. */
  unsaveable: (() => string | null) | null;
  /** Frames in use, ascending, their bytes (PAGE_SIZE each), and a per-frame membership map. */
  frames: Int32Array;
  bytes: Uint8Array;
  inUse: Uint8Array;
  graph: GraphImage;
  /** Host descriptors open to the guest (pinned until released). */
  fds: number[];
  /** Monotonic time when it was taken (a restore goes on from there). */
  now: number;
  /** Disks' written sectors (their overlays), for a booted system. */
  disks: { dev: BlockDevice; sectors: ReadonlyMap<number, Uint8Array> | null }[];
  released: boolean;
  /** Called once when it is released (by release() or by the garbage collector). */
  onRelease: (() => void) | null;
}

/** What restores counted. */
export interface SystemImageStats {
  framesCompared: number;
  framesRestored: number;
  codePagesDropped: number;
}

/** Counters of a program's or a system's snapshots. */
export interface SystemSnapshotStats extends SystemImageStats {
  taken: number;
  restores: number;
}

export function newSnapshotStats(): SystemSnapshotStats {
  return { taken: 0, restores: 0, framesCompared: 0, framesRestored: 0, codePagesDropped: 0 };
}

/** The objects of a kernel that are not state kept by a snapshot. */
export function opaqueOf(k: Exokernel, more: OpaqueTest | null = null): OpaqueTest {
  // Typed arrays over the CPU's own buffers (registers, TLB) or guest RAM are the machine's.
  const machineBuffers = new Set<ArrayBufferLike>([k.mem.buffer]);
  for (const v of Object.values(k.cpu)) if (ArrayBuffer.isView(v)) machineBuffers.add(v.buffer);
  return (o) =>
    o instanceof PhysMemory || o instanceof Cpu || o instanceof LazyLog || o instanceof Engine || o instanceof RunLoop || o instanceof EventEmitter || o instanceof BlockDevice ||
    (ArrayBuffer.isView(o) && machineBuffers.has(o.buffer)) || (more !== null && more(o));
}

/** Takes the state of the system of kernel `k`, reachable from `roots` (the kernel, the
 *  library OS and whatever the owner keeps). No environment may be running. */
export function captureSystem(k: Exokernel, roots: readonly object[], opaque: OpaqueTest | null = null): SystemImage {
  k.park();
  const refs = k.frames.refs;
  const pages = k.mem.pages;
  const inUse = new Uint8Array(pages);
  let n = 0;
  for (let p = 0; p < pages; p++) {
    if (refs[p] !== 0 || p < k.frames.reserved) {
      inUse[p] = 1;
      n++;
    }
  }
  const frames = new Int32Array(n);
  const bytes = new Uint8Array(n * PAGE_SIZE);
  const ram = k.mem.u8;
  for (let p = 0, i = 0; p < pages; p++) {
    if (inUse[p] === 0) continue;
    frames[i] = p;
    bytes.set(ram.subarray(p << PAGE_SHIFT, (p + 1) << PAGE_SHIFT), i << PAGE_SHIFT);
    i++;
  }
  const graph = captureGraph(roots, opaqueOf(k, opaque));
  const fds: number[] = [];
  for (const o of graph.objects) for (const fd of hostFdsOf(o)) fds.push(fd);
  pinHostFds(fds);
  return { roots: [...roots], kind: "program", unsaveable: null, frames, bytes, inUse, graph, fds, now: k.clock.now(), disks: [], released: false, onRelease: null };
}

/** Puts the system of kernel `k` back into the state of `img` (taken of the same kernel, with
 *  the same roots). No environment may be running. */
export function restoreSystem(k: Exokernel, roots: readonly object[], img: SystemImage, stats: SystemImageStats, opaque: OpaqueTest | null = null): void {
  k.park();
  // Host descriptors opened since the snapshot are closed; those it saw open are open again.
  const keep = new Set(img.fds);
  walkGraph(roots, opaqueOf(k, opaque), (o) => {
    for (const fd of hostFdsOf(o)) if (!keep.has(fd)) closeHostFd(fd);
  });
  for (const fd of img.fds) reviveHostFd(fd);

  restoreFrames(k, img.frames, img.bytes, img.inUse, stats);
  restoreGraph(img.graph);
  k.clock.resumeAt(img.now);
  k.cpu.flushTlb();
}

/** Puts guest RAM back: frames `frames` (ascending; membership map `inUse`) get their bytes
 *  from `bytes` where they differ. Code translated from a frame that changed, or from a frame
 *  the snapshot does not use (it will be given out again), is dropped. */
export function restoreFrames(k: Exokernel, frames: Int32Array, bytes: Uint8Array, inUse: Uint8Array, stats: SystemImageStats): void {
  const ram = k.mem.u8;
  const code = k.cpu.codePages;
  for (let i = 0; i < frames.length; i++) {
    const p = frames[i];
    // (in use, and written from here on, though this RAM's allocator never handed it out: the
    // snapshot's did)
    k.mem.dirtied(p);
    const live = ram.subarray(p << PAGE_SHIFT, (p + 1) << PAGE_SHIFT);
    const saved = bytes.subarray(i << PAGE_SHIFT, (i + 1) << PAGE_SHIFT);
    stats.framesCompared++;
    if (Buffer.compare(live, saved) === 0) continue;
    if (code[p] !== 0) stats.codePagesDropped++;
    k.frameReused(p);
    live.set(saved);
    stats.framesRestored++;
  }
  for (let p = 0; p < code.length; p++) {
    if (code[p] !== 0 && inUse[p] === 0) {
      stats.codePagesDropped++;
      k.frameReused(p);
    }
  }
}

/** The snapshot is gone: its host descriptors are no longer pinned. */
function releaseSystem(img: SystemImage): void {
  if (img.released) return;
  img.released = true;
  unpinHostFds(img.fds);
  img.onRelease?.();
}

const owners = new WeakMap<SystemSnapshot, object>();
const images = new WeakMap<SystemSnapshot, SystemImage>();
const parsedOnes = new WeakMap<SystemSnapshot, { bytes: Uint8Array; parsed: ParsedSystem | null }>();
const finalizer = new FinalizationRegistry<SystemImage>((img) => releaseSystem(img));

/** The whole state of a program's or a booted system's machine at one moment
 *  (LoadedProgram.snapshot, RunningSystem.snapshot), or a program's read from bytes
 *  (fromBuffer, load). */
export class SystemSnapshot {
  private constructor() {}

  /** @internal */
  static make(owner: object, img: SystemImage): SystemSnapshot {
    const s = new SystemSnapshot();
    owners.set(s, owner);
    images.set(s, img);
    finalizer.register(s, img, s);
    return s;
  }

  /** A program snapshot from toBuffer()'s bytes; it restores into any program (loadProgram)
   *  with the same memory size, in this process or another. E_SNAPSHOT when the bytes are not
   *  such a snapshot, or are of another exojit's format. */
  static async fromBuffer(bytes: Uint8Array): Promise<SystemSnapshot> {
    const own = Uint8Array.from(bytes);
    const parsed = await parseSystem(own);
    const s = new SystemSnapshot();
    parsedOnes.set(s, { bytes: own, parsed });
    return s;
  }

  /** fromBuffer() of a file's contents. */
  static async load(file: string): Promise<SystemSnapshot> {
    let bytes: Uint8Array;
    try {
      bytes = await fs.promises.readFile(file);
    } catch (e) {
      throw new ExojitError("E_SNAPSHOT", `cannot read ${file}: ${(e as Error).message}`, { cause: e });
    }
    return SystemSnapshot.fromBuffer(bytes);
  }

  /** Guest RAM bytes it holds (the frames in use when it was taken). */
  get memoryBytes(): number {
    const p = parsedOnes.get(this);
    if (p !== undefined) return p.parsed === null ? 0 : p.parsed.bytes.length;
    return images.get(this)!.bytes.length;
  }

  get released(): boolean {
    const p = parsedOnes.get(this);
    return p !== undefined ? p.parsed === null : images.get(this)!.released;
  }

  /** The snapshot as bytes (a program's only: a booted system's includes its disks and
   *  devices, which are not written out): everything restore() puts back, for fromBuffer()
   *  here or in another process. */
  toBuffer(): Uint8Array {
    const p = parsedOnes.get(this);
    if (p !== undefined) {
      if (p.parsed === null) throw new ExojitError("E_SNAPSHOT", "the snapshot was released");
      return p.bytes.slice();
    }
    const img = images.get(this)!;
    if (img.released) throw new ExojitError("E_SNAPSHOT", "the snapshot was released");
    const why = img.unsaveable?.() ?? null;
    if (why !== null) throw new ExojitError("E_SNAPSHOT", `the snapshot cannot be written out: ${why}`);
    return encodeSystem(img);
  }

  /** toBuffer() written to `file`. */
  async save(file: string): Promise<void> {
    const bytes = this.toBuffer();
    try {
      await fs.promises.writeFile(file, bytes);
    } catch (e) {
      throw new ExojitError("E_SNAPSHOT", `cannot write ${file}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Gives its memory back and unpins the host files it kept open; restoring it afterwards is
   *  an E_SNAPSHOT error. */
  release(): void {
    const p = parsedOnes.get(this);
    if (p !== undefined) {
      p.parsed = null;
      return;
    }
    const img = images.get(this)!;
    finalizer.unregister(this);
    releaseSystem(img);
  }
}

/** What restoring `snap` into `owner` means: an image of its own, or a parsed one to load.
 *  E_SNAPSHOT for another owner's snapshot or a released one. */
export function imageOf(snap: SystemSnapshot, owner: object): { img: SystemImage } | { parsed: ParsedSystem } {
  if (!(snap instanceof SystemSnapshot)) throw new ExojitError("E_SNAPSHOT", "not a snapshot");
  const p = parsedOnes.get(snap);
  if (p !== undefined) {
    if (p.parsed === null) throw new ExojitError("E_SNAPSHOT", "the snapshot was released");
    return { parsed: p.parsed };
  }
  if (owners.get(snap) !== owner) throw new ExojitError("E_SNAPSHOT", "the snapshot belongs to another machine (restore its toBuffer() bytes instead)");
  const img = images.get(snap)!;
  if (img.released) throw new ExojitError("E_SNAPSHOT", "the snapshot was released");
  return { img };
}
