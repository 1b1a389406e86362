// Saved translations: the code of regions compiled in earlier runs, kept by a store (the command
// line's is a directory on disk: cli/jitcache.ts) and used again when the same code runs, so a
// program run again skips our translator (30-50 us per guest instruction while it is still cold
// JavaScript itself) and has its hot code compiled sooner.
//
// A region's code is a function of the bytes of its blocks, the successors predicted for them
// when it was compiled, and the compile options (compile.ts RegionCode), given this build of the
// engine, which the store's key covers. A saved region is found by its entry address and the
// bytes of its entry block, and used only if every one of its blocks decodes now from the very
// bytes it was compiled from (a 128-bit hash over them all, ContentHash): other code at the
// address, a library loaded elsewhere, a page written since, and the region is compiled afresh
// (and saved again).

import { ContentHash } from "../decoder/hash.js";
import type { Cpu } from "../hw/cpu.js";
import type { Block } from "../decoder/block.js";
import type { PhysMemory } from "../hw/memory.js";
import type { RegionCode } from "./compile.js";
import { WINDOWS_NONE, WINDOWS_STACK, WINDOWS_ALL } from "./stackwin.js";

/** A region's translation as a store keeps it. */
export interface SavedRegion extends RegionCode {
  /** The region's blocks by address (the first is the entry), as its code was formed from. */
  blocks: number[];
  /** Each block's length in bytes. */
  lengths: number[];
  /** SHA-1 (hex) of the blocks' addresses, code sizes and bytes. */
  hash: string;
  /** The windows it was compiled with (stackwin.ts WINDOWS_*; fewer after region.ts
   *  WINDOW_MISSES or BASE_WINDOW_MISSES). */
  windows: number;
  /** Whether its code chains to the next region (chain.ts) rather than returning. */
  chains: boolean;
  /** A loop the wasm tier took (the source is only a comment): its function is made from
   *  `module` where that is kept and fits (moduleOf), else from the blocks again. */
  wasm?: boolean;
  /** The wasm region's module (base64), its bytes' checksum, and the layout of the memory it
   *  was made for (layoutOf): its code reads the registers and the TLB at fixed offsets. */
  module?: string;
  moduleSum?: number;
  layout?: number[];
}

/** What a wasm region's module depends on in the memory it runs on, besides the engine's build:
 *  where the TLB and the register words lie in it, and its size in wasm pages. */
function layoutOf(mem: PhysMemory): number[] {
  return [mem.tlbOffset, mem.stateOffset, mem.wasmPages];
}

/** FNV-1a over `bytes`. */
function checksum(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}

/** The fields a saved wasm region keeps of its `module`, made on `mem`. */
export function savedModule(module: Uint8Array | undefined, mem: PhysMemory): Pick<SavedRegion, "module" | "moduleSum" | "layout"> {
  if (module === undefined) return {};
  return { module: Buffer.from(module.buffer, module.byteOffset, module.byteLength).toString("base64"), moduleSum: checksum(module), layout: layoutOf(mem) };
}

/** The module a saved wasm region kept, if it was made for a memory laid out as `mem` is and
 *  its bytes are the ones saved (else null: the region is translated from its blocks again). */
export function moduleOf(r: SavedRegion, mem: PhysMemory): Uint8Array | null {
  if (r.module === undefined || r.layout === undefined || r.moduleSum === undefined) return null;
  const want = layoutOf(mem);
  if (r.layout.length !== want.length || r.layout.some((v, k) => v !== want[k])) return null;
  const bytes = new Uint8Array(Buffer.from(r.module, "base64"));
  return checksum(bytes) === r.moduleSum ? bytes : null;
}

/** Where saved translations live. Keys are entryKey()s. */
export interface RegionStore {
  /** Whether a region entered at `eip` may be saved (the cheap first test, on every block
   *  decoded). */
  mayHave(eip: number): boolean;
  /** Whether one is saved under `key`. */
  has(key: string): boolean;
  /** The one saved under `key` (null if none, or unreadable). */
  get(key: string): SavedRegion | null;
  /** Saves one under `key` (replacing what was there). */
  put(key: string, r: SavedRegion): void;
  /** V8's code cache of the source of the one saved under `key` (compile.ts codeCacheOf), if
   *  the store keeps one (null if not, or unreadable). */
  codeCache?(key: string): Uint8Array | null;
}

/**
 * `store` as an engine that compiles code after `threshold` executions sees it, where that is
 * not the threshold whose keys are plain (engine.ts DEFAULT_THRESHOLD): every key it asks for
 * and gives names the threshold. A saved region is made again at its entry's first execution
 * (engine.ts savedExecs) because it was hot when saved; one saved by `--engine jit`, which
 * compiles each block at its first execution, or by an embedder's low threshold, was not. After
 * one `exojit run --engine jit` of a static hello-world, every later run of it made 818 regions
 * from that run's code (0.55 s instead of 0.18 s). Regions saved under one threshold serve runs
 * under that threshold only.
 */
export function storeAt(store: RegionStore, threshold: number): RegionStore {
  const tag = `-t${threshold.toString(36)}`;
  const cache = store.codeCache;
  return {
    mayHave: (eip) => store.mayHave(eip),
    has: (key) => store.has(key + tag),
    get: (key) => store.get(key + tag),
    put: (key, r) => store.put(key + tag, r),
    codeCache: cache === undefined ? undefined : (key) => cache.call(store, key + tag),
  };
}

/** Counts, for --stats. */
export interface SavedStats {
  /** Regions made from saved code, and saved ones not used (their bytes differed, or a block
   *  of theirs is not mapped now). */
  restored: number;
  stale: number;
  /** Regions given to the store. */
  saved: number;
}

/** The bytes block `b` was decoded from (a view where they lie in one page), or null where they
 *  are not in RAM. */
function blockBytes(c: Cpu, b: Block): Uint8Array | null {
  const len = (b.end - b.eip) >>> 0;
  if (len === 0 || len > 0x1000) return null;
  const first = Math.min(len, 0x1000 - (b.phys & 0xfff));
  const size = c.mem.size;
  if (b.phys < 0 || b.phys + first > size) return null;
  if (first === len) return c.u8.subarray(b.phys, b.phys + len);
  const p1 = b.ppn1 * 0x1000;
  if (b.ppn1 < 0 || p1 + len - first > size) return null;
  const out = new Uint8Array(len);
  out.set(c.u8.subarray(b.phys, b.phys + first));
  out.set(c.u8.subarray(p1, p1 + len - first), first);
  return out;
}

/** The key of a region entered at block `b`: its address and a hash of its bytes (FNV-1a). */
export function entryKey(c: Cpu, b: Block): string | null {
  const bytes = blockBytes(c, b);
  if (bytes === null) return null;
  return `${(b.eip >>> 0).toString(16)}-${bytes.length.toString(16)}-${checksum(bytes).toString(36)}`;
}

/** What a region's code was made from, as bytes: a hash of its blocks' addresses, code sizes,
 *  lengths and bytes (null if a block's bytes are not in RAM). */
export function blocksHash(c: Cpu, blocks: readonly Block[]): string | null {
  const h = new ContentHash();
  const head = new Int32Array(3);
  for (const b of blocks) {
    const bytes = blockBytes(c, b);
    if (bytes === null) return null;
    head[0] = b.eip;
    head[1] = b.bits;
    head[2] = bytes.length;
    h.update(head);
    h.update(bytes);
  }
  return h.digest();
}

/** Whether `v` looks like a SavedRegion (a store's file may be damaged or from elsewhere). */
export function isSavedRegion(v: unknown): v is SavedRegion {
  if (typeof v !== "object" || v === null) return false;
  const r = v as Record<string, unknown>;
  const nums = (x: unknown): boolean => Array.isArray(x) && x.every((n) => Number.isInteger(n));
  return (
    typeof r.source === "string" && typeof r.hash === "string" && typeof r.insns === "number" && typeof r.reachable === "number" &&
    nums(r.entries) && nums(r.fallbacks) && nums(r.blocks) && nums(r.lengths) && (r.blocks as number[]).length > 0 &&
    (r.lengths as number[]).length === (r.blocks as number[]).length &&
    Array.isArray(r.helpers) && (r.helpers as unknown[]).every((s) => typeof s === "string") &&
    (r.windows === WINDOWS_NONE || r.windows === WINDOWS_STACK || r.windows === WINDOWS_ALL) && typeof r.chains === "boolean" &&
    (r.wasm === undefined || typeof r.wasm === "boolean") && (r.module === undefined || typeof r.module === "string") &&
    (r.moduleSum === undefined || Number.isInteger(r.moduleSum)) && (r.layout === undefined || nums(r.layout))
  );
}

/** A store in memory (embedders, tests; the command line's is on disk). */
export class MemoryRegionStore implements RegionStore {
  private readonly map = new Map<string, SavedRegion>();
  private readonly eips = new Set<number>();
  mayHave(eip: number): boolean {
    return this.eips.has(eip >>> 0);
  }
  has(key: string): boolean {
    return this.map.has(key);
  }
  get(key: string): SavedRegion | null {
    return this.map.get(key) ?? null;
  }
  put(key: string, r: SavedRegion): void {
    this.map.set(key, r);
    this.eips.add(r.blocks[0] >>> 0);
  }
  /** The keys of the regions it holds. */
  keys(): IterableIterator<string> {
    return this.map.keys();
  }
  get size(): number {
    return this.map.size;
  }
}
