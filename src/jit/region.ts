// The compiled-code cache: regions (sets of hot blocks compiled into one function), how they are
// formed from the blocks the interpreter saw run and the edges it saw taken, when they are
// recompiled to absorb frequent exits, and how they are dropped (a block of theirs invalidated
// by a code write, or evicted when the cache is over its budget).

import type { Block } from "../decoder/block.js";
import { Op } from "../hw/isa.js";
import { compileRegion, restoreRegion, hotSource, NO_ADDRESSES, type Compiled } from "./compile.js";
import { COLD_PREFIX, HOT_PREFIX } from "./v8tuning.js";
import { entryKey, blocksHash, savedModule, moduleOf, type RegionStore, type SavedRegion } from "./saved.js";
import type { Cpu } from "../hw/cpu.js";
import type { RegionFn, ChainTable, Chainable } from "./chain.js";
import { computedJump, likelySuccessors, staticTargets } from "./successors.js";
import { logger, trace } from "../log.js";
import { WINDOWS_ALL, WINDOWS_STACK, WINDOWS_NONE } from "./stackwin.js";
import { settleOnce } from "../hw/v8fields.js";
import { mkdirSync, writeFileSync } from "node:fs";
import type { PhysMemory } from "../hw/memory.js";
import { wasmBlocks, compileWasm, EARLY_HOT, hasPackedInteger } from "./wasm/region.js";
import { hostNowMs } from "../hw/devices/hosttime.js";

/** Developer aid: when set, every region's generated source is written to this folder. */
const DUMP_DIR = process.env.EXOJIT_JIT_DUMP ?? "";

/** Most blocks and instructions in one region (V8 handles huge functions badly). A transition
 *  between regions costs some 65-80 ns in all (not in chain.ts's own code, which perf puts at
 *  3% of strings' samples, but spread over the regions' exits and entries and the work TurboFan
 *  cannot share across them): at 96 blocks, vfprintf's code of perf's strings made 8.4 M
 *  chained entries, Debian's bash running a 40,000-pass loop 42.5 M; at 192, 6.7 M and 31.6 M,
 *  and they ran 4% and 6-10% faster (guest ms, interleaved runs, nothing saved), perl 3%, the
 *  others within noise. At 384 bash was slower again (TurboFan's time grows faster than the
 *  regions). */
export const MAX_REGION_BLOCKS = 192;
/** Largest caller region (a loop) whose blocks a region takes in after a return (form()). */
export const CALLER_COPY_MAX = 32;
export const MAX_REGION_INSNS = 1500;
/** Exits to one outside address after which the region is recompiled to include it (at least;
 *  the cache uses its compile threshold when that is higher). */
export const MERGE_AFTER = 64;
/** A region V8 may optimise (promoted) is compiled again to take in an outside address its
 *  exits go to only after this many times mergeAfter exits there: each new version of such a
 *  region is compiled by TurboFan again, some 28 ms on average in Debian's bash by V8's own
 *  timings (5.9 s for 206 compiles of regions in a 10,000-pass loop, node --trace-opt), where
 *  the mergeAfter (3,000) exits it would save, each a transition and a block interpreted, cost
 *  about a millisecond. In that loop 51 of the 71 new versions were for such exits; with this
 *  factor 30 were made in all, and its CPU was 0.83 of what it was (perf/ab.mjs, 5 runs; a
 *  noisy hour, every verdict within noise), python3 importing 8 modules 0.95, gzip -9 0.92.
 *  Code a loop leaves to at every pass still comes due on its own, or is taken in when it does
 *  (compileDue). */
export const PROMOTED_MERGE_FACTOR = 8;
/** Largest region compiled again to take in a block that came due on its exits (compileDue):
 *  TurboFan takes some 0.3-0.5 ms per instruction of a region again, at this size what four to
 *  six million transitions between regions cost (about 33 ns each). */
export const ABSORB_MAX_INSNS = 400;
/** Largest region compileDue takes blocks into again after its first version: TurboFan
 *  compiles a region this small in some 5-15 ms (perf's strings, node --trace-opt: regions of
 *  12 to 22 instructions in 6-10 ms, of 49 and 59 in 30 ms, of 541 in 270 ms), and a
 *  function's tail that came due block by block otherwise stayed in pieces (perf's strings
 *  with glibc's SSE4.2 strcmp: its byte-compare tail in three regions, 322,000 transitions
 *  between two of them; with this, 8.38 M chained entries in all instead of 8.71 M.
 *  perf/ab.mjs, 5 runs, CPU: strings 0.99, gzip -9 1.00, a bash loop 0.97, all within noise). */
export const ABSORB_SMALL = 32;
/** Recompilations allowed per region lineage. */
export const MAX_RECOMPILES = 3;
/** Times an instruction of a region leaves it for misaligned data (a memory access its code
 *  cannot make inline: jit/emit.ts Emitter.sideExit) before the region is compiled again with
 *  misaligned accesses made inline there, and at every instruction that left LEFT_AT_SOME
 *  times. */
export const LEFT_AT = 64;
export const LEFT_AT_SOME = 4;
/** `known` and the addresses counted LEFT_AT_SOME times or more in `counts`: where a region's
 *  next version takes the other way (anyAlignAt, callAt). */
function often(known: ReadonlySet<number>, counts: ReadonlyMap<number, number>): ReadonlySet<number> {
  return new Set([...known, ...[...counts].filter(([, n]) => n >= LEFT_AT_SOME).map(([pc]) => pc)]);
}

/** Times an instruction's SIMD memory operand stops its region for its page (jit/simdmem.ts: a
 *  page the TLB has no entry for, bytes across a page's end) before the region is compiled
 *  again calling the slow path there. (Misaligned data within a page counts as a side exit's
 *  does: LEFT_AT.) Higher than LEFT_AT: 16-byte loads at data-dependent addresses (memcmp,
 *  strcmp) cross a page every few hundred, and each version of a large region costs TurboFan
 *  some 100 ms, and a deopt at the first call of the slow path (at 64, Debian's sort made 25
 *  more versions of its regions); a fixed place across a page, met on every pass of a loop,
 *  reaches it within milliseconds. */
export const STOP_AT = 4096;
/** Versions a region may have for LEFT_AT beyond MAX_RECOMPILES: one that reached it for other
 *  reasons (a block that turned hot later, windows that kept failing) would otherwise leave at
 *  misaligned data for good (Debian's bash: a word-at-a-time string compare in one of its
 *  shared libraries, 88,000 times in a loop of 10,000 passes). */
export const LEFT_RECOMPILES = 2;
/** Failed checks of windows on base registers after which a region is compiled without them
 *  (keeping ESP's). Higher than for ESP's: a loop that writes an array as it goes meets a
 *  page the TLB does not yet map for writing every 4 KiB, and each such stop costs about what
 *  the interpreter takes for one block, while compiling the region again costs TurboFan tens
 *  of milliseconds. (A structure straddling two pages, met at every call, fails for the
 *  register's value and counts more: SHAPE_MISSES.) */
export const BASE_WINDOW_MISSES = 1024;
/** Failed stack-window checks after which a region is compiled without windows. */
export const WINDOW_MISSES = 64;
/** Failed checks of either kind that a region is compiled again after when each failed for the
 *  value of the register (stackwin.ts WINDOW_SHAPE_MISS), not for a page the TLB did not map
 *  yet. In a loop of Debian's bash, two windows on EBX (the GOT pointer) crossed a page
 *  boundary at every pass, and frames near the top of the stack crossed one: 4,900 failed
 *  checks in 4,000 passes, each an exception through every chained region (V8 looks up each
 *  frame's handler), and only 6 of them for the TLB. */
export const SHAPE_MISSES = 16;
/** Tiering. A region's code first runs under a name V8 does not optimise (v8tuning.ts
 *  COLD_PREFIX), in its interpreter and baseline tiers; once the region has run this many guest
 *  instructions per instruction of its code, promote() puts the same code under a name V8 does
 *  optimise. TurboFan costs about 0.3-0.5 ms per guest instruction of a region (superlinear in
 *  its size), and saves some 30 ns per instruction run: V8's own rule, which optimises a
 *  function once it has run a few hundred times its own size in bytecode, compiled python3's
 *  regions for 3.9 s of CPU on a run that spent 1% of its samples in their optimised code.
 *  A region promoted is saved promoted (RegionCache.promoted), so the bar decides what later
 *  runs optimise early too: with nothing saved, python3 -c pass took as much CPU at 700, 1,500
 *  and 4,000, and sort and gzip -d 3-8% less at 1,500 than at 4,000; but run again with saved
 *  code, python3 -c pass optimised 52 regions for 3.1 s of TurboFan at 1,500, and took 0.91 of
 *  the CPU it took before tiering, against 0.70 at 4,000.
 *  Measured again on the AMD EPYC machines of 2026-12 (Debian's bash running a 2,000-pass shell
 *  loop, 117M guest instructions, nothing saved): the first tier runs at 8.9 M guest
 *  instructions/s there, slower than exojit's own interpreter (21.9 M/s), since V8's baseline
 *  code calls an inline-cache stub for every typed-array access and arithmetic operation. The
 *  run took 9.1 s at 4,000 (12.9 M/s: slower than interpreting it all, 5.3 s) and 6.2 s at
 *  1,000; with nothing saved, wall time at 1,000 against 4,000 (two runs each, then three
 *  interleaved): bash 5.6 s against 8.5 s, perl's word count 4.0 against 5.3, gzip -9 1.44
 *  against 1.55, python3 -c pass 3.0 against 3.1, sort and perl -e 1 the same; with saved code
 *  gzip 1.17 against 1.5, sort 1.1 against 1.6, perl 3.1 against 4.0, bash 3.5 against 4.3, and
 *  python3 -c pass 3.0 against 3.3 s (its CPU 4.6 against 4.4 s: the one cost seen).
 *  Those figures judged one bar for both promoting and saving promoted; the bar for saving is
 *  KEEP_PER_INSN now, where this one was (1,000), and promoting comes sooner. At 250 against
 *  1,000 (guest ms / process CPU ms, interleaved runs, nothing saved): bash running a 10,000-pass
 *  loop 6,073-6,105 / 9,312-9,497 against 7,133-7,162 / 10,524-10,754, perl's word count on
 *  2.7 MB 4,048-4,228 / 6,425-6,848 against 4,456-4,677 / 6,628-7,163; with saved code,
 *  python3 -c pass 2,143-2,198 / 3,634-3,835 against 2,112-2,237 / 3,506-3,688. */
export const PROMOTE_PER_INSN = 250;
/** Work per instruction of its code at which a promoted region is saved promoted, so that later
 *  runs optimise it from the start (see PROMOTE_PER_INSN): below it, a region is saved with
 *  its first tier, and promoted again in each run that gets it that hot. */
export const KEEP_PER_INSN = 1000;
/** Work per instruction of its code, after it became the code V8 may optimise, at which the
 *  cache runs that code's fault handler once (compile.ts warmCatch): not when it is made, since
 *  V8 gives a function somewhere to keep type feedback only once it has run a while (lazy
 *  feedback allocation), and what runs before that leaves none. */
export const WARM_PER_INSN = 64;

/** The marks Region.promote() passes: the code V8 may optimise put in place, then WARM_PER_INSN
 *  later, then KEEP_PER_INSN. */
export type PromoteMark = "promoted" | "warm" | "keep";

export class Region implements Chainable {
  valid = true;
  /** Entered through a chain since the cache last looked (see evict). */
  chained = false;
  /** Engine iteration of the last entry, for LRU eviction. */
  lastUsed = 0;
  /** Exits to addresses outside the region, counted per address. */
  readonly misses = new Map<number, number>();
  readonly eips: Set<number>;
  /** Whether its code loops (a static jump back to an address of its own at or before the
   *  jump): such a region is copied into others only below LOOP_SHARE_BELOW. */
  readonly loops: boolean;
  /** Its code: first the tier V8 does not optimise, then (promote) the one it may. */
  fn: RegionFn;
  /** Guest instructions run in it, counted at its exits (chain.ts leave). */
  work = 0;
  /** The work at which promote() runs next: PROMOTE_PER_INSN per instruction of its code, then
   *  KEEP_PER_INSN once promoted, then Infinity (from the start when its code has one tier). */
  promoteAt: number;
  private hot: (() => RegionFn) | null;
  readonly insns: number;
  readonly jsBytes: number;
  /** Instructions counted but not run when compiled code faults at an address (Compiled.notRun). */
  readonly notRun: ReadonlyMap<number, number>;

  /** Stack-window checks that failed in its code (stackwin.ts) since compiled, and checks of
   *  windows on other base registers. */
  windowMisses = 0;
  baseMisses = 0;
  /** The TLB epoch (hw/cpu.ts TLB_EPOCH) at which its code pages were last found mapped as
   *  compiled (they are checked again before it runs only when the epoch has moved on:
   *  codepages.ts). */
  ep = -1;
  /** Its code pages and their tags (codepages.ts). */
  readonly pages: Int32Array;

  /** Compiles `blocks` (the first is the entry) with `compile`, which gets the region itself
   *  as the token its code leaves in Cpu.jitFrom. */
  constructor(
    readonly blocks: Block[],
    readonly generation: number,
    compile: (self: Region) => Compiled,
    /** The windows it is compiled with (stackwin.ts WINDOWS_*: fewer when an earlier version
     *  kept failing their checks). */
    readonly windows = WINDOWS_ALL,
    /** Told of each mark promote() passes (the cache counts promotions, warms the code V8 may
     *  optimise, and saves the region promoted at KEEP_PER_INSN). */
    private readonly onPromote: ((r: Region, mark: PromoteMark) => void) | null = null,
  ) {
    this.eips = new Set(blocks.map((b) => b.eip));
    this.loops = blocks.some((b) => staticTargets(b)?.some((t) => t <= b.eip && this.eips.has(t)) === true);
    const t0 = hostNowMs();
    const c = compile(this);
    this.compileMs = hostNowMs() - t0;
    this.fn = c.fn;
    this.hot = c.hot;
    this.insns = c.insns;
    this.promoteAt = (c.hot === null ? WARM_PER_INSN : PROMOTE_PER_INSN) * c.insns;
    this.keeps = c.hot !== null;
    this.jsBytes = c.source.length;
    this.notRun = c.notRun;
    this.entryPoints = new Set(c.entries);
    this.pages = c.pages;
  }

  readonly compileMs: number;
  /** Where its code may be entered (the dispatch cases of its code). */
  readonly entryPoints: ReadonlySet<number>;

  get entry(): Block {
    return this.blocks[0];
  }

  /** Times the engine ran an instruction of its own that its code left at (Emitter.sideExit),
   *  by address (RegionCache.leftAt). */
  readonly leftAt = new Map<number, number>();
  /** Instructions its code makes misaligned accesses of inline (compileRegion anyAlignAt). */
  anyAlignAt: ReadonlySet<number> = NO_ADDRESSES;
  /** Times its code stopped at a SIMD memory operand in a page out of reach, by address
   *  (RegionCache.stoppedAt), and the instructions whose code calls the slow path instead
   *  (compileRegion callAt). */
  readonly stopsAt = new Map<number, number>();
  callAt: ReadonlySet<number> = NO_ADDRESSES;

  /** Whether its code is the kind V8 optimises (promoted, or made so). */
  get promoted(): boolean {
    return this.hot === null;
  }

  /** Puts the code V8 may optimise in place of the first tier (the chain table and the engine
   *  call `fn` as they find it). */
  promote(): void {
    const hot = this.hot;
    if (hot !== null) {
      this.hot = null;
      this.fn = hot();
      this.promoteAt = (PROMOTE_PER_INSN + WARM_PER_INSN) * this.insns;
      this.onPromote?.(this, "promoted");
    } else if (!this.warmed) {
      // (the code V8 may optimise has run a while: WARM_PER_INSN)
      this.warmed = true;
      this.promoteAt = this.keeps ? KEEP_PER_INSN * this.insns : Infinity;
      this.onPromote?.(this, "warm");
    } else {
      // (the last mark, KEEP_PER_INSN: worth optimising from the start in later runs)
      this.promoteAt = Infinity;
      this.onPromote?.(this, "keep");
    }
  }

  /** Whether promote() has passed the WARM_PER_INSN mark. */
  private warmed = false;
  /** Whether it passes KEEP_PER_INSN too (a region whose code was not made promoted). */
  private readonly keeps: boolean;
}

export interface JitStats {
  regionsCompiled: number;
  recompiles: number;
  insnsCompiled: number;
  jsBytes: number;
  compileMs: number;
  invalidations: number;
  evictions: number;
  failures: number;
  /** Regions made from saved translations (saved.ts), saved ones found stale, and regions
   *  given to the store. */
  restored: number;
  stale: number;
  saved: number;
  /** Restored regions whose function V8 made from the code cache the store kept (compile.ts
   *  codeCacheOf), and those whose cache it rejected (and compiled from source). */
  codeCached: number;
  codeCacheRejected: number;
  /** Regions whose first tier gave way to code V8 may optimise (Region.promote). */
  promoted: number;
  /** Regions compiled to WebAssembly (wasm/region.ts), their instructions, and those demoted
   *  (too little work per entry: their blocks go to the JavaScript tier). */
  wasmRegions: number;
  wasmInsns: number;
  wasmDemoted: number;
  /** Wasm regions made from the module a saved region kept (no translation). */
  wasmModules: number;
}

/** What the cache needs for the wasm tier (wasm/region.ts). */
export interface WasmLink {
  mem: PhysMemory;
  /** The block at a linear address, decoded now if need be (null where not mapped). */
  decodeAt: (eip: number) => Block | null;
}

/** What the cache needs to use saved translations (saved.ts). */
export interface SavedLink {
  store: RegionStore;
  cpu: Cpu;
  /** The block at a linear address, decoded now if it is not cached (null if its page is not
   *  mapped). */
  decodeAt: (eip: number) => Block | null;
}

/** Regions smaller than this are copied into the regions that reach them (small leaf
 *  functions: a call to one then costs no trip through the engine). */
export const SHARE_BELOW = 200;

/** The same for regions that loop: copied, a loop is compiled (and optimised by V8) once per
 *  region that reaches it, and the copies compete for V8's time. Measured with the regions
 *  chaining (one more call and return per loop entered, not per iteration) and V8 compiling on
 *  the main thread, against copying them below SHARE_BELOW: Debian's gzip -9 on 4 MB 3.6-4.2 s
 *  -> 3.1 s (2.6x less code compiled), bzip2 6.4 -> 5.4 s, sort 3.3 -> 2.3 s, sha256sum 1.38 ->
 *  1.24 s, xz the same, perl 11.4 -> 12.5 s. */
export const LOOP_SHARE_BELOW = 64;

/** The number of ways a computed jump's runs are shared among the targets it was seen to take
 *  (Block.succ), for form()'s "ran its share of the bar": all of them up to FAN_OUT_FLOOR, and
 *  beyond that as many as its runs are spread over evenly (the targets' executions over the
 *  most run one's). glibc's SSE4.2 memcmp enters one of 80 unrolled tails by the length left,
 *  each about as often as the others, and its region takes them all: Debian's sort (`LC_ALL=C`,
 *  nothing saved) compiled 31 regions of 1,219 instructions instead of 60 of 2,857, and with
 *  saved code took 1,571 ms of guest time instead of 2,304 (2.51 s of CPU instead of 4.01,
 *  medians of 5 interleaved runs). An interpreter's dispatch through a table of a hundred
 *  handlers, a few of them hot, takes those that ran a FAN_OUT_FLOOR-th of the bar, as when no
 *  more targets than that were kept: counted as as many ways as targets, python3's dispatch took
 *  in handlers run rarely (11% more code compiled for python3 -c pass, and 6% more time). */
function fanOut(b: Block): number {
  const s = b.succ;
  let sum = 0, most = 0;
  for (const t of s) {
    sum += t.execs;
    if (t.execs > most) most = t.execs;
  }
  return Math.max(1, Math.min(s.length, FAN_OUT_FLOOR), most > 0 ? sum / most : 1);
}
/** What fanOut counts a jump's targets as at least (up to as many as it has). */
const FAN_OUT_FLOOR = 16;

/** Removes and returns the block of `queue` that ran most often (the first such). */
function takeHottest(queue: Block[]): Block {
  let k = 0;
  for (let i = 1; i < queue.length; i++) if (queue[i].execs > queue[k].execs) k = i;
  return queue.splice(k, 1)[0];
}

/** Whether `b` holds SIMD code, which compileDue leaves to a region of its own: in Debian's
 *  perl, glibc's SSE2 loops taken into regions of perl's integer code ran slower than in their
 *  own, where their XMM registers stay in locals across blocks (compile.ts PIN_SHARE). (A block
 *  of x87 code is left alone only while it is weighted, on a loop of its own: engine.ts due.) */
function hasSimd(b: Block): boolean {
  return b.insns.some((x) => x.op === Op.SIMD);
}

/** Whether `r`'s code jumps to `eip` directly: code of its own functions it left out. (Not a
 *  call: a function called from many places comes due as a region of its own that they all
 *  chain to; nor a computed jump, a PLT stub's way to a library's function; nor a return: a
 *  caller's code after a call belongs to the caller's region, form().) */
function leavesTo(r: Region, eip: number): boolean {
  for (const b of r.blocks) {
    if (b.insns[b.insns.length - 1].op === Op.CALL) continue;
    if (staticTargets(b)?.includes(eip)) return true;
  }
  return false;
}

/** Whether `b` is where a live region other than the one being formed from `entry` (or
 *  recompiled from `previous`) is entered, and that region is large enough to be left to
 *  itself: its first block (a loop region's from LOOP_SHARE_BELOW), or another of its entry
 *  points, a return address or a computed jump's target, from SHARE_BELOW. Copying the code
 *  behind such entries too made bash's hot code compiled 2.7 times over (24,100 instructions
 *  for 8,900); stopping there, 2.1 times, and a bash loop 5% faster, others the same. */
function startsRegion(b: Block, entry: Block, previous: Region | null): boolean {
  const r = b.compiled as Region | null;
  if (b === entry || r === null || !r.valid || r === previous) return false;
  return r.insns >= (r.entry === b && r.loops ? LOOP_SHARE_BELOW : SHARE_BELOW);
}

/** The blocks of saved region `rec` for `entry` as they decode now, or null where one is not
 *  mapped, not compiled, hooked or of another length, or the options differ. */
function savedBlocks(entry: Block, rec: SavedRegion, link: SavedLink, chains: boolean): Block[] | null {
  if (rec.blocks[0] !== entry.eip || rec.chains !== chains) return null;
  const blocks: Block[] = [];
  for (let k = 0; k < rec.blocks.length; k++) {
    const b = k === 0 ? entry : link.decodeAt(rec.blocks[k]);
    if (b === null || !b.valid || b.nojit || b.hooks !== 0 || ((b.end - b.eip) >>> 0) !== rec.lengths[k]) return null;
    blocks.push(b);
  }
  return blocks;
}

/** Blocks of a region made from saved code count as run `execs` times at least: what a block
 *  needs to be taken into a region (RegionCache.minExecs), as they were in the run that saved
 *  it. (As often as the entry, which came due, engine.ts savedExecs, they came due at their
 *  next execution the interpreter made: Debian's python3 -c pass made 143 regions instead of 71.) */
function restoredHot(blocks: readonly Block[], execs: number): void {
  for (const b of blocks) if (b.execs < execs) b.execs = execs;
}

export class RegionCache {
  readonly stats: JitStats = { regionsCompiled: 0, recompiles: 0, insnsCompiled: 0, jsBytes: 0, compileMs: 0, invalidations: 0, evictions: 0, failures: 0, restored: 0, stale: 0, saved: 0, codeCached: 0, codeCacheRejected: 0, promoted: 0, wasmRegions: 0, wasmInsns: 0, wasmDemoted: 0, wasmModules: 0 };
  private readonly live = new Set<Region>();
  /** The live regions each block is compiled into (for invalidation). */
  private readonly owners = new Map<Block, Region[]>();
  private liveInsns = 0;
  private readonly log = logger("jit");
  /** Whether regions compiled now may leave at a memory access the inline path cannot make
   *  (compileRegion `leaves`); the engine says: not while an embedder's hooks are installed. */
  leaves: () => boolean = () => true;
  /** Runs the fault handler of region code V8 may optimise, before it does (compile.ts
   *  warmCatch); the engine gives its CPU. */
  warm: ((fn: RegionFn) => void) | null = null;

  constructor(
    /** Finds the cached block at a linear address (null if not decoded or not mapped as cached). */
    private readonly blockAt: (eip: number) => Block | null,
    /** Most compiled instructions kept at once; the least recently used regions go first. */
    readonly maxInsns = 400000,
    /** Executions a block needs to be compiled into another block's region (cold code stays out). */
    readonly minExecs = 1,
    /** Exits to one address that make the region recompile to include it. */
    readonly mergeAfter = MERGE_AFTER,
    /** Where compiled regions find the region to go on in when they leave (null: they always
     *  return to the engine). */
    private readonly chain: ChainTable | null = null,
    /** Where translations are saved and found again (null: nowhere). */
    private readonly saved: SavedLink | null = null,
    /** The wasm tier: the memory its regions run on, and where blocks not decoded yet are
     *  decoded for it (null: no wasm tier). */
    private readonly wasm: WasmLink | null = null,
    /** The CPU its regions run on: their code is bound to its register file and memory
     *  (views.ts MACHINE_VIEWS; null: code that is only read, as tests do). */
    private readonly machine: Cpu | null = null,
  ) {}

  /** Blocks to compile together starting at `entry`: those reachable over static and observed
   *  edges that have run before, plus `extra` addresses the previous version kept exiting to. */
  form(entry: Block, extra: Iterable<number>, previous: Region | null = null): Block[] {
    const out: Block[] = [];
    const seen = new Set<number>();
    const queue: Block[] = [entry];
    // (the order each block was first queued in: the blocks taken are compiled in that order,
    // the one plain breadth-first formation took them in)
    const order = new Map<Block, number>([[entry, 0]]);
    const enqueue = (b: Block): void => {
      queue.push(b);
      if (!order.has(b)) order.set(b, order.size);
    };
    for (const eip of extra) {
      const b = this.blockAt(eip);
      if (b) enqueue(b);
    }
    let insns = 0;
    // (blocks that ran a quarter as often as the entry, which may have come due early: a block
    // of x87 or SIMD code counts its executions with Block.weight)
    const minExecs = this.hotExecs(entry);
    // Hottest first: where a region reaches more code than MAX_REGION_BLOCKS, what it leaves out
    // is the code that ran least (taken in the order reached, a region of a caller left out a
    // callee's hot path for the cold blocks near its entry).
    while (queue.length > 0 && out.length < MAX_REGION_BLOCKS) {
      const b = out.length === 0 ? (queue.shift() as Block) : takeHottest(queue);
      if (seen.has(b.eip) || !b.valid || b.nojit) continue;
      if (insns + b.insns.length > MAX_REGION_INSNS && out.length > 0) continue;
      seen.add(b.eip);
      out.push(b);
      insns += b.insns.length;
      // Seen successors of computed jumps and calls (switch tables, function pointers) are part
      // of the code; those of returns are the callers', which belong to their own regions...
      const last = b.insns[b.insns.length - 1];
      const returns = last.op === Op.RET || last.op === Op.RETF || last.op === Op.IRET;
      const next = returns ? likelySuccessors(b) : [...likelySuccessors(b), ...b.succ.map((s) => s.eip)];
      // A jump through a table or a register shares its runs among its targets: each is taken
      // if it ran its share of the bar (a switch of 12 cases, each run a twelfth as often as
      // the entry, had each case come due as a region of its own, and every pass chained out of
      // the switch's region and back: two transitions a pass, 19.6 M for a 20 M-pass loop).
      const spread = computedJump(b) ? fanOut(b) : 1;
      // ...except a caller that is a tiny loop in a region of its own (a dispatch loop: up to
      // CALLER_COPY_MAX instructions): its blocks are copied in whole, and nothing beyond them.
      // perl's ops each return to Perl_runops_standard's 8-instruction loop, which calls the
      // next: with the loop copied into the ops' regions, an op costs one transition between
      // regions, not two.
      if (returns) {
        const from = out.length;
        insns = this.takeCaller(b, out, seen, insns, previous);
        for (let k = from; k < out.length; k++) if (!order.has(out[k])) order.set(out[k], order.size);
      }
      for (const eip of next) {
        if (seen.has(eip)) continue;
        const s = this.blockAt(eip);
        // Code another region starts at stays there (entered through the engine): regions
        // partition the hot code instead of each compiling its own copy of shared callees.
        if (s && (s.execs * spread >= minExecs || s === entry) && !startsRegion(s, entry, previous) && !this.wasmLoop(s, entry)) enqueue(s);
      }
    }
    return out.sort((a, b) => (order.get(a) as number) - (order.get(b) as number));
  }

  /** Executions that make a block part of the hot code around `entry` (as form() takes it). */
  private hotExecs(entry: Block): number {
    return Math.min(this.minExecs, Math.max(1, entry.execs >> 2));
  }

  /** With the wasm tier, whether `b` (not the entry) is in a loop that tier compiles: a
   *  JavaScript region leaves it out, for the wasm region compiled when it comes due. */
  private wasmLoop(b: Block, entry: Block): boolean {
    // (only a block with packed integer code of its own is looked at: the test walks the hot
    // graph, and answering it for every block of every JavaScript region formed made a run of
    // strings twice as slow; remembering answers for whole floods of blocks kept blocks out of
    // JavaScript regions that no wasm region then took)
    if (this.wasm === null || b === entry || b.nowasm || !hasPackedInteger(b)) return false;
    return wasmBlocks(b, this.blockAt, this.hotExecs(entry), this.wasm.decodeAt) !== null;
  }

  /** For form(): adds to `out` the blocks of each tiny looping region a return `b` was seen to
   *  go to (see there); returns the instruction count with them. */
  private takeCaller(b: Block, out: Block[], seen: Set<number>, insns: number, previous: Region | null): number {
    for (const s of b.succ) {
      const r = s.compiled as Region | null;
      if (r === null || !r.valid || r === previous || !r.loops || r.insns > CALLER_COPY_MAX || seen.has(s.eip)) continue;
      if (insns + r.insns > MAX_REGION_INSNS || out.length + r.blocks.length > MAX_REGION_BLOCKS) continue;
      for (const rb of r.blocks) {
        if (seen.has(rb.eip) || !rb.valid || rb.nojit) continue;
        seen.add(rb.eip);
        out.push(rb);
        insns += rb.insns.length;
      }
    }
    return insns;
  }

  /** Compiles a region from `entry`; the blocks it contains will enter it when dispatched. */
  compile(entry: Block, previous: Region | null, tick: number, mergeBar = this.mergeAfter): Region | null {
    // (the wasm tier first: a loop it takes compiles in a fraction of a millisecond, where
    // JavaScript saved by an earlier run for the same entry would run it slower)
    if (this.wasm !== null) {
      const r = this.compileWasm(entry, previous, tick, this.wasm);
      if (r !== null) return r;
    }
    if (previous === null && this.saved !== null) {
      const r = this.restore(entry, this.saved);
      if (r !== null) return this.install(r, previous, tick);
    }
    const extra = previous ? [...previous.misses.entries()].filter(([, n]) => n >= mergeBar).map(([eip]) => eip) : [];
    const blocks = this.form(entry, previous ? [...previous.eips, ...extra] : [], previous);
    const gen = previous ? previous.generation + 1 : 0;
    // (instructions that left at least LEFT_AT_SOME times: others met misaligned data too)
    const anyAlignAt = previous === null ? NO_ADDRESSES : often(previous.anyAlignAt, previous.leftAt);
    const callAt = previous === null ? NO_ADDRESSES : often(previous.callAt, previous.stopsAt);
    const windows = previous === null ? WINDOWS_ALL
      : Math.min(previous.windows, previous.windowMisses >= WINDOW_MISSES ? WINDOWS_NONE : previous.baseMisses >= BASE_WINDOW_MISSES ? WINDOWS_STACK : WINDOWS_ALL);
    // A new version of a promoted region is compiled promoted: it would otherwise wait again,
    // in V8's lower tiers, for work its predecessor has shown.
    const cold = this.chain !== null && (previous === null || !previous.promoted);
    let r: Region;
    let code = null as Compiled | null;
    try {
      r = new Region(blocks, gen, (self) => {
        const c = compileRegion(blocks, `${cold ? COLD_PREFIX : HOT_PREFIX}${(entry.eip >>> 0).toString(16)}`, (b) => b.succ.map((s) => s.eip), this.chain, self, DUMP_DIR !== "", windows, this.leaves(), anyAlignAt, callAt, this.machine);
        if (DUMP_DIR !== "") {
          mkdirSync(DUMP_DIR, { recursive: true });
          writeFileSync(`${DUMP_DIR}/r_${(entry.eip >>> 0).toString(16)}_${this.stats.regionsCompiled + this.stats.recompiles}.js`, c.source);
        }
        code = c;
        return c;
      }, windows, this.promoted);
      r.anyAlignAt = anyAlignAt;
      r.callAt = callAt;
    } catch (e) {
      this.stats.failures++;
      entry.nojit = true;
      this.log.error({ eip: entry.eip }, `compiling the region at 0x${(entry.eip >>> 0).toString(16)} failed: ${e instanceof Error ? e.message : String(e)}`);
      return null;
    }
    // (and a new version of one not yet promoted goes on from its predecessor's count)
    if (previous !== null) r.work = previous.work;
    if (this.saved !== null && code !== null) this.save(this.saved, r, code);
    return this.install(r, previous, tick);
  }

  /** A region of WebAssembly from `entry`, which came due early (engine.ts WASM_DUE_SHARE), or
   *  null where the tier takes no loop from there: the block then counts on to the threshold,
   *  as any other does. */
  compileEarly(entry: Block, tick: number, minInsns = 0): Region | null {
    return this.wasm === null ? null : this.compileWasm(entry, null, tick, this.wasm, EARLY_HOT, minInsns);
  }

  /** A region of WebAssembly from `entry` (wasm/region.ts), or null where the tier takes no loop
   *  from there (the JavaScript tier compiles it then). */
  private compileWasm(entry: Block, previous: Region | null, tick: number, link: WasmLink, cap?: number, minInsns = 0): Region | null {
    const blocks = wasmBlocks(entry, this.blockAt, this.hotExecs(entry), link.decodeAt, cap, minInsns);
    if (blocks === null) return null;
    const kept = this.keptModule(entry, blocks, link);
    const made = this.wasmRegion(blocks, previous, link, kept?.module ?? null);
    if (made === null) return null;
    // (saved as its blocks and module: a later run makes the region from them at the loop's
    // first execution, instead of interpreting it until it comes due, or from the module when
    // the loop comes due in compiled code, entered from a region of the JavaScript tier)
    if (kept !== null && made.code.from === "cache") {
      this.stats.restored++;
      this.savedAs.set(made.r, { key: kept.key, rec: kept.rec });
    } else if (this.saved !== null) this.save(this.saved, made.r, made.code, true);
    return this.install(made.r, previous, tick);
  }

  /** The module a saved region kept for a wasm region of exactly `blocks` from `entry`, with the
   *  bytes it was made from (null if there is none, or it does not fit). */
  private keptModule(entry: Block, blocks: readonly Block[], link: WasmLink): { key: string; rec: SavedRegion; module: Uint8Array } | null {
    const saved = this.saved;
    if (saved === null || saved.cpu.hooks !== null) return null;
    const key = entryKey(saved.cpu, entry);
    if (key === null || !saved.store.has(key)) return null;
    const rec = saved.store.get(key);
    if (rec === null || rec.wasm !== true || rec.blocks.length !== blocks.length || rec.blocks.some((eip, k) => eip !== blocks[k].eip)) return null;
    if (blocksHash(saved.cpu, blocks) !== rec.hash) return null;
    const module = moduleOf(rec, link.mem);
    return module === null ? null : { key, rec, module };
  }

  /** The wasm region of `blocks` (wasm/region.ts compileWasm; from `module` if that is given
   *  and V8 takes it), and its code; null if the tier refused them. */
  private wasmRegion(blocks: Block[], previous: Region | null, link: WasmLink, module: Uint8Array | null = null): { r: Region; code: Compiled } | null {
    const make = compileWasm(blocks, link.mem, this.chain, (self) => {
      const r = self as Region;
      for (const b of r.blocks) b.nowasm = true;
      this.stats.wasmDemoted++;
      if (trace.jit) this.log.trace({ eip: r.entry.eip >>> 0 }, `demoted the wasm region at 0x${(r.entry.eip >>> 0).toString(16)}: too little work per entry`);
      this.drop(r, false);
    }, module);
    if (make === null) return null;
    let code = null as Compiled | null;
    const r = new Region(blocks, previous ? previous.generation + 1 : 0, (self) => (code = make(self)));
    if (previous !== null) r.work = previous.work;
    this.stats.wasmRegions++;
    this.stats.wasmInsns += r.insns;
    if ((code as unknown as Compiled).from === "cache") this.stats.wasmModules++;
    return { r, code: code as unknown as Compiled };
  }

  /** The region saved for `entry` made again, if its blocks decode from the bytes it was
   *  compiled from (else null: it is compiled afresh). */
  private restore(entry: Block, link: SavedLink): Region | null {
    const c = link.cpu;
    if (c.hooks !== null || entry.hooks !== 0) return null;
    const key = entryKey(c, entry);
    if (key === null || !link.store.has(key)) return null;
    const rec = link.store.get(key);
    const blocks = rec === null ? null : savedBlocks(entry, rec, link, this.chain !== null);
    if (rec === null || blocks === null || blocksHash(c, blocks) !== rec.hash) {
      this.stats.stale++;
      return null;
    }
    if (rec.wasm === true) {
      // (a loop the wasm tier took: its function made from the module kept, or again from the
      // blocks, where the tier is on and takes them still; else the JavaScript tier compiles the
      // entry, and saves that)
      const wasm = this.wasm;
      const made = wasm === null || blocks.some((b) => b.nowasm) ? null : this.wasmRegion(blocks, null, wasm, moduleOf(rec, wasm.mem));
      if (wasm === null || made === null) return null;
      this.stats.restored++;
      // (a module made afresh here, the one kept being missing, damaged or for another layout
      // of memory, is kept instead)
      if (made.code.from !== "cache" && made.code.module !== undefined) {
        const again = { ...rec, ...savedModule(made.code.module, wasm.mem) };
        link.store.put(key, again);
        this.stats.saved++;
        this.savedAs.set(made.r, { key, rec: again });
      } else this.savedAs.set(made.r, { key, rec });
      return made.r;
    }
    try {
      const cache = link.store.codeCache?.(key) ?? null;
      let code = null as Compiled | null;
      const r = new Region(blocks, 0, (self) => (code = restoreRegion(blocks, rec, this.chain, self, cache, this.machine)), rec.windows, this.promoted);
      const from = code?.from;
      if (from === "cache") this.stats.codeCached++;
      if (from === "rejected") this.stats.codeCacheRejected++;
      this.stats.restored++;
      this.savedAs.set(r, { key, rec });
      // Its blocks were hot in the run that saved it, and run compiled from now on, uncounted:
      // they count as hot, or a later compile from this entry (taking in code the region
      // leaves to in this run) would find no hot loop through them, and the wasm tier never
      // took a loop that a fresh run makes a wasm region of (restoredHot).
      restoredHot(blocks, this.minExecs);
      // A region V8 compiled from its source here, in a store that keeps code caches (it had
      // none, a damaged one, or one V8 rejected: another Node, other V8 flags), is given to the
      // store again, which keeps a cache made now: the next run reads that.
      if (link.store.codeCache !== undefined && (from === "source" || from === "rejected")) {
        link.store.put(key, rec);
        this.stats.saved++;
      }
      return r;
    } catch (e) {
      this.stats.stale++;
      this.log.warn({ eip: entry.eip }, `the saved region at 0x${(entry.eip >>> 0).toString(16)} could not be used: ${e instanceof Error ? e.message : String(e)}`);
      return null;
    }
  }

  /** Where each region made or saved this run is in the store, for promoted. */
  private readonly savedAs = new WeakMap<Region, { key: string; rec: SavedRegion }>();

  /** Region.promote's report: counted when its code gives way to the kind V8 optimises; at
   *  KEEP_PER_INSN (`keep`), saved again with that code, so later runs start with it (a region
   *  that got this hot once will again). */
  private readonly promoted = (r: Region, mark: PromoteMark): void => {
    if (mark === "promoted") {
      this.stats.promoted++;
      return;
    }
    if (mark === "warm") {
      this.warm?.(r.fn);
      return;
    }
    const s = this.savedAs.get(r);
    if (s !== undefined && this.saved !== null) this.saved.store.put(s.key, { ...s.rec, source: hotSource(s.rec.source) });
  };

  /** Gives a region just compiled to the store. */
  private save(link: SavedLink, r: Region, code: Compiled, wasm = false): void {
    const c = link.cpu;
    if (c.hooks !== null || r.blocks.some((b) => b.hooks !== 0)) return;
    const key = entryKey(c, r.entry), hash = blocksHash(c, r.blocks);
    if (key === null || hash === null) return;
    const { source, insns, reachable, entries, fallbacks, helpers } = code;
    const rec: SavedRegion = {
      source, insns, reachable, entries, fallbacks, helpers, hash,
      blocks: r.blocks.map((b) => b.eip), lengths: r.blocks.map((b) => (b.end - b.eip) >>> 0), windows: r.windows, chains: this.chain !== null,
      ...(wasm ? { wasm, ...savedModule(code.module, c.mem) } : {}),
    };
    link.store.put(key, rec);
    this.stats.saved++;
    this.savedAs.set(r, { key, rec });
  }

  /** Puts a region made for `r.entry` in place (replacing `previous`). */
  private install(r: Region, previous: Region | null, tick: number): Region {
    const entry = r.entry, blocks = r.blocks, gen = r.generation;
    // The fields the engine and chains write, settled on the first region compiled, before
    // anything is optimised (hw/v8fields.ts). (Settled on a stand-in made when this module
    // loaded, they did not stay settled: the first chained entry (`chained`) and the first
    // recompile (`valid`) still threw away every optimised region, each of which inlines
    // chain.ts's leave. compileMs first: a whole number of milliseconds is stored as a small
    // integer, and that change of representation would give every region a new shape.)
    settleOnce(r, { compileMs: [1, 0.5], valid: [false], chained: [true], lastUsed: [1], windowMisses: [1], baseMisses: [1], ep: [1],
      work: [1, 0.5], promoteAt: [Infinity, 1, 0.5], fn: [() => 0], hot: [null] });
    const ms = r.compileMs;
    r.lastUsed = tick;
    // A previous version is replaced. Other regions that share blocks with this one stay: a
    // block may be code inside several regions (each entered at its own entry). Dropping them
    // instead makes overlapping regions recompile each other forever (each drop re-arms the
    // other's hot blocks).
    if (previous) this.drop(previous, false);
    // The engine enters the region at its entry points.
    for (const b of blocks) {
      let owners = this.owners.get(b);
      if (owners === undefined) this.owners.set(b, (owners = []));
      owners.push(r);
      if (b === entry || (r.entryPoints.has(b.eip) && (b.compiled === null || !(b.compiled as Region).valid))) b.compiled = r;
    }
    this.live.add(r);
    this.liveInsns += r.insns;
    const s = this.stats;
    if (previous) s.recompiles++;
    else s.regionsCompiled++;
    s.insnsCompiled += r.insns;
    s.jsBytes += r.jsBytes;
    s.compileMs += ms;
    if (trace.jit) {
      this.log.trace(
        { eip: entry.eip >>> 0, blocks: blocks.length, insns: r.insns, js: r.jsBytes, ms, generation: gen },
        `compiled 0x${(entry.eip >>> 0).toString(16)}: ${blocks.length} blocks, ${r.insns} insns, ${r.jsBytes} bytes JS in ${ms.toFixed(2)} ms${gen ? ` (version ${gen + 1})` : ""}`,
      );
    }
    if (this.liveInsns > this.maxInsns) this.evict(tick);
    return r;
  }

  /** `b` came due (engine.ts) where compiled code of `from` (null: none) had just left to it.
   *  When that region's exits account for a quarter of the block's runs or more, `from` is
   *  compiled again to take the block in (with its other exits that ran a quarter as often),
   *  instead of starting a region at the block: a region's exit to a block it left out at
   *  formation (not hot yet, or behind code that came due early) is otherwise counted from
   *  when the region was compiled, while the block's own count ran from the start, so the
   *  block always came due first (exitedTo never merged it) and every pass between the two
   *  crossed a transition. In perf's strings, vfprintf's region left _IO_default_xsputn's copy
   *  loop, and the region at strcmp's byte-compare tail its last two blocks, to regions of their
   *  own: 12.1 M chained entries, 9.5 M with them taken in. Only static jumps (leavesTo), only
   *  blocks without SIMD code that count plainly (hasSimd; weight 1), only regions up to
   *  ABSORB_MAX_INSNS, and only a region's first version (a small one's, ABSORB_SMALL, up to
   *  MAX_RECOMPILES): Debian's gzip -9 took blocks into its deflate loop's region one at a
   *  time, three versions each compiled and optimised again, for 11% more CPU time, where once
   *  takes 6% less wall time than never (and a bash loop 6% less, bzip2 3%). */
  compileDue(b: Block, from: Region | null, tick: number): Region | null {
    const m = from === null ? 0 : (from.misses.get(b.eip) ?? 0);
    // (a small region may take in block after block, up to MAX_RECOMPILES versions: ABSORB_SMALL)
    if (from !== null && m >= MERGE_AFTER && 4 * m >= b.execs && b.weight === 1 && !hasSimd(b) && from.valid &&
        (from.generation === 0 || (from.insns <= ABSORB_SMALL && from.generation < MAX_RECOMPILES)) && from.blocks.length < MAX_REGION_BLOCKS &&
        from.insns <= ABSORB_MAX_INSNS && leavesTo(from, b.eip)) {
      const r = this.compile(from.entry, from, tick, Math.max(MERGE_AFTER, m >> 2));
      // (taken in, the block counts anew the runs that still reach it from elsewhere)
      if (r !== null && r.eips.has(b.eip)) {
        if (trace.jit) this.log.trace({ eip: b.eip >>> 0, region: from.entry.eip >>> 0 }, `took 0x${(b.eip >>> 0).toString(16)} into the region at 0x${(from.entry.eip >>> 0).toString(16)}, which left to it ${m} times`);
        b.execs = 0;
        return r;
      }
    }
    return this.compile(b, null, tick);
  }

  /** Compiled code of `r` left to `pc`, which is interpreted: often enough (mergeAfter, and
   *  PROMOTED_MERGE_FACTOR times that once promoted), and `r` is compiled again to take it in. */
  exitedTo(r: Region, pc: number, tick: number, inside = false): void {
    // (nor to an instruction of its own that left, leftAt)
    if (inside || r.eips.has(pc)) return;
    const n = (r.misses.get(pc) ?? 0) + 1;
    r.misses.set(pc, n);
    if (n === (r.promoted ? this.mergeAfter * PROMOTED_MERGE_FACTOR : this.mergeAfter) && r.generation < MAX_RECOMPILES && r.blocks.length < MAX_REGION_BLOCKS && r.insns < MAX_REGION_INSNS && r.valid) {
      this.compile(r.entry, r, tick);
    }
  }

  /** Compiled code of `r` left at its own instruction `pc` (Emitter.sideExit), which the engine
   *  ran, and found misaligned data: once that has happened LEFT_AT times, the next version
   *  takes any alignment there. (A TLB miss, the other reason to leave, is filled in by the
   *  engine's run of the instruction, and does not count.) Also where a SIMD memory operand
   *  stopped it for misaligned data within a page (jit/simdmem.ts): the next version reaches
   *  it through the DataView there. */
  leftAt(r: Region, pc: number, tick: number): void {
    this.countAt(r, pc, tick, r.leftAt, r.anyAlignAt, LEFT_AT);
  }

  /** Counts one more of `counts` at `pc`, and compiles `r` again when that makes `limit` there
   *  (unless its code takes the other way there already: `taken`). */
  private countAt(r: Region, pc: number, tick: number, counts: Map<number, number>, taken: ReadonlySet<number>, limit: number): void {
    const n = (counts.get(pc) ?? 0) + 1;
    counts.set(pc, n);
    if (n === limit && !taken.has(pc) && r.generation < MAX_RECOMPILES + LEFT_RECOMPILES && r.valid) this.compile(r.entry, r, tick);
  }

  /** Compiled code of `r` stopped at `pc`, whose SIMD memory operand lay in a page the TLB had
   *  no entry for or across a page's end (jit/simdmem.ts): once that has happened STOP_AT
   *  times, the next version calls the slow path there (and at every instruction that stopped
   *  LEFT_AT_SOME times). */
  stoppedAt(r: Region, pc: number, tick: number): void {
    this.countAt(r, pc, tick, r.stopsAt, r.callAt, STOP_AT);
  }

  /** A stack window's check failed in `r` (a page boundary in its range, a TLB entry
   *  missing: jit/stackwin.ts), or a base register's (`base`). Whether the region should now
   *  be compiled again without such windows (at WINDOW_MISSES: a hot function whose frame
   *  straddles two pages would stop at every call; at BASE_WINDOW_MISSES for the others). */
  windowMiss(r: Region, base = false, shape = false): boolean {
    // (a miss of the value's shape counts as LIMIT / SHAPE_MISSES: the limit is reached once,
    // exactly, whatever mix of misses gets there)
    if (base) {
      const was = r.baseMisses;
      r.baseMisses = was + (shape ? BASE_WINDOW_MISSES / SHAPE_MISSES : 1);
      return was < BASE_WINDOW_MISSES && r.baseMisses >= BASE_WINDOW_MISSES && r.valid && r.windows === WINDOWS_ALL;
    }
    const was = r.windowMisses;
    r.windowMisses = was + (shape ? WINDOW_MISSES / SHAPE_MISSES : 1);
    return was < WINDOW_MISSES && r.windowMisses >= WINDOW_MISSES && r.valid && r.windows !== WINDOWS_NONE;
  }

  /** A block was invalidated (its page written): every region holding it goes too. */
  blockDropped(b: Block): void {
    const owners = this.owners.get(b);
    if (owners === undefined) return;
    // A copy: dropping a region takes it out of this very list.
    for (const r of [...owners]) {
      if (!r.valid) continue;
      this.stats.invalidations++;
      if (trace.jit) this.log.trace({ eip: r.entry.eip >>> 0 }, `invalidated region 0x${(r.entry.eip >>> 0).toString(16)} (code at 0x${(b.eip >>> 0).toString(16)} written)`);
      this.drop(r, true);
    }
    this.owners.delete(b);
  }

  private drop(r: Region, resetHeat: boolean): void {
    if (!r.valid) return;
    r.valid = false;
    this.live.delete(r);
    this.liveInsns -= r.insns;
    for (const b of r.blocks) {
      if (b.compiled === r) b.compiled = null;
      if (resetHeat) b.execs = 0;
      const owners = this.owners.get(b);
      if (owners !== undefined) {
        const k = owners.indexOf(r);
        if (k >= 0) owners.splice(k, 1);
        if (owners.length === 0) this.owners.delete(b);
      }
    }
  }

  private evict(tick: number): void {
    // Regions entered through chains count as used just now (but the region just compiled
    // stays, below).
    for (const r of this.live) {
      if (r.chained) {
        r.chained = false;
        r.lastUsed = tick - 1;
      }
    }
    const byAge = [...this.live].sort((a, b) => a.lastUsed - b.lastUsed);
    for (const r of byAge) {
      if (this.liveInsns <= this.maxInsns * 0.75) break;
      if (r.lastUsed === tick) continue;
      this.stats.evictions++;
      if (trace.jit) this.log.trace({ eip: r.entry.eip >>> 0 }, `evicted region 0x${(r.entry.eip >>> 0).toString(16)} (${r.insns} insns)`);
      this.drop(r, true);
    }
  }

  /** Regions currently compiled, their instructions, and at how many distinct addresses those
   *  are (code copied into several regions, a small function each of its callers' regions
   *  takes in, counts once: `insns / distinct` is what formation duplicates, and V8 compiles
   *  every copy). */
  get size(): { regions: number; insns: number; distinct: number } {
    const blocks = new Set<Block>();
    for (const r of this.live) for (const b of r.blocks) blocks.add(b);
    const at = new Set<number>();
    for (const b of blocks) for (const x of b.insns) at.add(x.eip);
    return { regions: this.live.size, insns: this.liveInsns, distinct: at.size };
  }
}
