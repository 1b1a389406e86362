// The execution engine: finds the block at EIP (jump cache, then the code cache, else decode),
// runs it compiled if a region holds it and in the interpreter otherwise, and tiers blocks up:
// a block interpreted `threshold` times is compiled together with the blocks it leads to
// (with --engine jit, on its first execution). Faults and code writes come back as exceptions
// from either tier with EIP precise.

import type { Cpu } from "../hw/cpu.js";
import { EXIT_NONE, EXIT_HOOK, TLB_KEY, TLB_EPOCH } from "../hw/cpu.js";
import { codeStillMapped } from "./codepages.js";
import { EIP, CS } from "../hw/state.js";
import { Fault, CodeWrite, PF } from "../hw/fault.js";
import { execInsns, execNoting, execOne } from "../hw/interp/run.js";
import { BlockDecoder, codeBits, NO_MISALIGNED, NO_SUCC, objectArray, type Block } from "../decoder/block.js";
import { BlockCache } from "../decoder/cache.js";
import { RegionCache, MERGE_AFTER, MAX_REGION_INSNS, Region, type JitStats } from "./region.js";
import { entryKey, storeAt, type RegionStore } from "./saved.js";
import { WINDOW_MISS, BASE_MISS, WINDOW_SHAPE_MISS, BASE_SHAPE_MISS } from "./stackwin.js";
import { MEM_MISS, misalignedInPage } from "./simdmem.js";
import { ChainTable } from "./chain.js";
import { warmCatch, WINDOW_LEFT, WINDOW_KINDS } from "./compile.js";
import { Op } from "../hw/isa.js";
import { computedJump } from "./successors.js";
import { inLocalLoop } from "./localloop.js";
import { logger, trace } from "../log.js";
import { execHooked, markHooks } from "./hookexec.js";
import { HOOK_REPLAY, type CpuHooks } from "../hw/hooks.js";
import { hostNowMs } from "../hw/devices/hosttime.js";

/** run() results beyond the CPU's EXIT_* codes. (Declared, then exported: the CommonJS build
 *  reads an `export const` of the module it is declared in as a property of the module's
 *  exports, and run() met its `return RUN_BUDGET` first after V8 had optimised it, which threw
 *  the optimised engine loop away for want of type feedback at that property access.) */
const RUN_BUDGET = 0;
const RUN_FAULT = 100;
export { RUN_BUDGET, RUN_FAULT };

export type EngineKind = "interp" | "jit" | "auto";

export interface EngineOptions {
  engine: EngineKind;
  /** Interpretations of a block before it is compiled (auto mode). */
  threshold?: number;
  /** Most compiled instructions kept (the rest are evicted, least recently used first). */
  maxCompiledInsns?: number;
  /** Measure the time spent in compiled code (two clock reads per region entry). */
  timing?: boolean;
  /** Whether regions call the region they leave to directly (default true). */
  chain?: boolean;
  /** Where compiled regions are saved, and found again when the same code runs (saved.ts). */
  store?: RegionStore | null;
  /** Whether loops of the instructions the wasm tier translates become WebAssembly
   *  (jit/wasm/region.ts); default true. */
  wasm?: boolean;
  /** Guest instructions per execution beyond which a block is lukewarm at the default
   *  threshold (default DUE_RATE; 0: none is). */
  dueRate?: number;
}

/** Executions of a block before `auto` compiles it. Code that runs fewer times than this costs
 *  less interpreted than compiled, even with its region restored from saved code and V8's code
 *  cache. python3 -c pass, run again: with the threshold at 1,000, compiled code took 51 ns per
 *  guest instruction (1,629 ms for 31.8 M); at 3,000, 27 ns (655 ms for 24.6 M), while the 7 M
 *  instructions interpreted instead cost 52 ns each. CPU medians of 5 interleaved runs: 5.25 s
 *  instead of 5.98 s. perf/ab.mjs against 1,000 (5 runs): python3 -c pass with nothing saved
 *  0.77 of the CPU, sort 0.90, gzip -d 0.96; hello, perl -e 1 and a bash loop of short
 *  commands the same. At 200 it was worse: 2.3 M instructions interpreted instead of 8.1 M,
 *  and 6.0-6.6 s of CPU. */
export const DEFAULT_THRESHOLD = 3000;

/** With the default threshold, a block comes due at it only if it ran, on average, at least
 *  once every DUE_RATE guest instructions since it was first run; a block that ran more rarely
 *  ("lukewarm": start-up code run once per process, a function called now and then) is compiled
 *  only at LUKEWARM_FACTOR times the threshold, or once its average rate rises to that.
 *  Compiled, such code runs in regions entered for a few dozen instructions at a time, in V8's
 *  baseline tier (slower than this interpreter: region.ts PROMOTE_PER_INSN), and costs its
 *  compiling: Debian's python3 importing 8 modules (286 M instructions) compiled 546 regions
 *  and interpreted 27% of its instructions, in 17.8 s of guest time, where `--engine interp`
 *  took less CPU time than the JIT (8.2-11.2 s against 15.4-17.8 s in interleaved runs); with
 *  this rule 146 regions, 39% interpreted, 12.8 s in the same hour. At 1,000 instructions it
 *  compiled 68 regions, but also took blocks run once per pass of perf's strings loop (3,500
 *  instructions) for lukewarm, and their regions formed late chained twice as often; at 10,000
 *  every perf program forms the regions it formed before, with the same counts of interpreted
 *  instructions and entries. (Raising the threshold itself to 20,000 helped python3 as much,
 *  but changed the regions formed elsewhere: bytecode's two regions chained 9.8 M times, for
 *  2.5 times its CPU.)
 *  LUKEWARM_FACTOR was 8 until 2026-12-05, when Debian's bash running a loop of 40,000 passes
 *  (59,000 guest instructions each, the real-programs suite's bash script) still interpreted
 *  the 4,500 instructions of each pass that run once per pass until pass 24,000: 55 M
 *  instructions, about 2.5 s of its 9.4 s (--stats, nothing saved); at 2, 29 M. perf/ab.mjs,
 *  2 against 8, CPU medians, 3 runs each unless said: that bash script 0.91, python3 -c pass
 *  0.93 (0.96 with nothing saved), perl -e 1 0.94, a shell script of 130 short commands 0.94,
 *  python3 importing 8 modules 0.97, and with nothing saved 1.055 (5 runs: it compiled 144
 *  regions instead of 113, and interpreted 42% of its instructions instead of 44%); Debian's
 *  perl word count, sort, gzip -9 (5 runs) and python3 counting words within noise; every
 *  perf program formed the regions it formed before. At 1 (no rule) the bash script took
 *  another 11% less CPU, but python3's imports 38% more with nothing saved and 13% more with
 *  saved code. */
export const DUE_RATE = 10000;

/** A block comes due at 1/WASM_DUE_SHARE of the threshold if a loop the wasm tier takes starts
 *  there (wasm/region.ts: a direct loop of integer code of DIRECT_MIN_INSNS instructions or
 *  more, or one with packed integer SSE); any other block counts on to the threshold. The
 *  threshold weighs what compiling a region costs against interpreting it, and the wasm tier
 *  compiles in microseconds per instruction where the JavaScript tier and TurboFan take a tenth
 *  of a millisecond or more: Debian's sha256sum on 4 MB interpreted 11.9 M instructions (3,000
 *  passes of its 3,849-instruction loop), about 400 ms of its 750, before its loop came due. */
export const WASM_DUE_SHARE = 8;
/** Guest instructions between two blocks looked at early (WASM_DUE_SHARE). Looking walks the hot
 *  code from the block (wasm/region.ts wasmBlocks), about half a millisecond in Debian's
 *  python3, where 2,200 blocks reached the early bar while it started. And of the blocks that
 *  reach the bar within one such stretch, the first is the one run most often there: a
 *  program's hottest loop, where an early region pays most. Unrationed (with walks capped and
 *  the blocks of walks given up on never looked at again), python3 -c pass took 1.10-1.18 times
 *  the CPU and bzip2 -9 1.30 (9 wasm regions of 18,900 instructions where the threshold made 7
 *  of 10,900); rationed, bzip2 0.88, sha256sum 0.85, python3 -c pass 1.06 (noise), perf/ab.mjs
 *  with nothing saved, 5 runs each. A later run, which makes the regions saved at their loops'
 *  first execution, may take early a loop the first run's looks did not reach. */
export const EARLY_LOOK_INSNS = 1 << 20;
export const LUKEWARM_FACTOR = 2;

export interface EngineStats {
  blocksDecoded: number;
  codeWrites: number;
  faults: number;
  /** Stops of compiled code before a SIMD memory operand its inline path could not reach (no
   *  TLB entry, across a page's end, misaligned), which the interpreter then ran (simdmem.ts). */
  memStops: number;
  /** Guest instructions executed by each tier. */
  interpInsns: number;
  jitInsns: number;
  /** Entries into compiled regions from the engine, and from other regions (chained). */
  regionRuns: number;
  chained: number;
  /** Returns from compiled code to the frame of the region whose call it was (chain.ts link):
   *  these enter no region. */
  linkedReturns: number;
  /** Milliseconds spent in compiled code (estimated: see TIME_ALL_ENTRIES) and decoding
   *  (measured only with `EngineOptions.timing`). */
  jitMs: number;
  decodeMs: number;
  /** hostNowMs() when the CPU had run WARMUP_INSNS instructions (with `timing`; -1 before). */
  warmupAt: number;
  jit: JitStats;
}

/** The engine's EngineStats. A class, with `chained` read from the chain table's counter by a
 *  getter: the object these were before had `chained` turned from a data property into an
 *  accessor (Object.defineProperty), which put it in V8's dictionary mode, so that the engine
 *  loop's updates of its counters (one or two per interpreted block and per region entry) were
 *  each a generic property lookup: the inline-cache stubs fell from 11.7% to 6.9% of the samples
 *  of an interpreted sieve with this class, which ran 15% faster. */
class EngineCounters implements EngineStats {
  blocksDecoded = 0;
  codeWrites = 0;
  faults = 0;
  memStops = 0;
  interpInsns = 0;
  jitInsns = 0;
  regionRuns = 0;
  jitMs = 0;
  decodeMs = 0;
  warmupAt = -1;
  constructor(
    readonly jit: JitStats,
    private readonly chainCount: Float64Array,
  ) {}
  get chained(): number {
    return this.chainCount[0];
  }
  get linkedReturns(): number {
    return this.chainCount[1];
  }
}

/** Instructions after which --stats takes the warm-up time (the rest is steady state). */
export const WARMUP_INSNS = 100_000;

/** Successors remembered per block (targets of computed jumps and returns, for prediction and
 *  region formation). 16: with 8, a switch of 10 cases kept two out of its region (formation
 *  takes only targets seen), and perf's bytecode interpreter chained 9.8 M times between them. */
export const MAX_SUCC = 16;
/** Targets remembered for a block that ends in a computed jump (through a register or memory),
 *  beyond MAX_SUCC: a jump table's cases. glibc's SSE4.2 memcmp enters one of 80 unrolled tails
 *  by the length left; with 16 of them kept, the others came due as regions of their own, and
 *  Debian's sort (`LC_ALL=C`, 4.7 MB of lines) compiled 60 regions, 130 of whose entries were
 *  in memcmp (region.ts fanOut says which of the targets its region takes). */
export const MAX_JUMP_TARGETS = 128;
/** A block's successors are recorded once it has run minExecs / SUCC_AFTER times (minExecs: what
 *  region formation takes in), not from its first run: a cold block's successor list is one more
 *  object the interpreter loop reads per block, and its cache misses were 4% of an interpreted
 *  `python3 -c pass`. Region formation still sees a warm block's successors over most of its runs. */
const SUCC_AFTER = 4;

/** The instructions compiled code given `n0` of budget ran before it faulted (0 for a fault
 *  in the interpreter: `inRegion` null). The faulting
 *  block was counted whole on entry: the faulting instruction and those after it did not run
 *  (EIP is at it); the region that faulted is the last one its chain entered. (A function of its
 *  own: run() first meets a fault in compiled code long after V8 optimised it, and the property
 *  accesses here, without type feedback, made the optimised engine loop deoptimise.) */
function ranBeforeFault(c: Cpu, inRegion: Region | null, n0: number): number {
  if (inRegion === null) return 0;
  const back = (c.jitFrom as Region).notRun.get(c.r[EIP]) ?? 0;
  return n0 - c.jitLeft - (back > 0 ? back : 0);
}

/** Records `b` among `prev`'s observed successors (up to MAX_SUCC, MAX_JUMP_TARGETS after a
 *  computed jump). The search is a loop V8
 *  inlines into the engine's run loop, where Array.prototype.includes was a builtin call per
 *  interpreted block (2% of an interpreted run's profile). The cap is the block's own
 *  (Block.succCap), set with its first successor, so that the test made on every call is the
 *  only one: a test of the kind of jump made only once a list was full had no type feedback
 *  when V8 first optimised the engine's loop, and deoptimised it the first time a list filled
 *  (a return to 16 call sites: in every real program). */
function addSucc(prev: Block, b: Block): void {
  const s = prev.succ;
  if (s.length >= prev.succCap) return;
  for (let k = 0; k < s.length; k++) if (s[k] === b) return;
  if (s === NO_SUCC) {
    const own = objectArray<Block>();
    own.push(b);
    prev.succ = own;
    prev.succCap = computedJump(prev) ? MAX_JUMP_TARGETS : MAX_SUCC;
  } else s.push(b);
}
/** addSucc, if `prev` ends with a near return. */
function noteReturn(prev: Block, b: Block): void {
  if (prev.insns[prev.insns.length - 1].op === Op.RET) addSucc(prev, b);
}

/** Jump cache: linear EIP → block, direct-mapped. 2^16 entries: with 2^12, a shell script
 *  running 250 short processes (bash, ld.so, libc and the programs' code) missed it 644,000
 *  times, 609,000 of them on another block in the slot; with 2^16, 108,000 times, and the
 *  script ran 7% faster. It starts at 2^JC_FIRST_BITS entries and grows to 2^JC_BITS at its
 *  JC_GROW_AT-th miss on another block in the slot: 2^16 holes are 512 KB written at start-up,
 *  3-5 ms of a hello-world's (page faults), whose 900 blocks fit the small one. */
const JC_BITS = 16;
const JC_FIRST_BITS = 12;
const JC_GROW_AT = 4096;
const JC_MASK = (1 << JC_BITS) - 1;
/** With timing, the first this many region entries are each timed; after that one in
 *  TIME_SAMPLE is, and counts TIME_SAMPLE times. Two clock reads cost about as much as a short
 *  region, so timing every entry would make programs that enter regions millions of times (one
 *  system call is two or three entries) look far slower under --stats than they are. */
const TIME_ALL_ENTRIES = 4096;
const TIME_SAMPLE = 64;

/** The weight the k-th (from 1) of a stream of timed events counts with under that rule: 1 for
 *  the first TIME_ALL_ENTRIES, then TIME_SAMPLE for one in TIME_SAMPLE and 0 (not timed) for
 *  the others. (The personality's system-call clock of --stats uses it too.) */
export function sampleWeight(k: number): number {
  return k <= TIME_ALL_ENTRIES ? 1 : (k & (TIME_SAMPLE - 1)) === 0 ? TIME_SAMPLE : 0;
}
/** Largest budget handed to compiled code at once. V8 starts compiling a region's optimised
 *  code, and puts it in place, only when the region's function is next called (there is no
 *  on-stack replacement here: v8tuning.ts), so a loop region given the scheduler's whole slice
 *  ran that long in V8's baseline tier each time: x87 nbody's loop region waited 0.43 s between
 *  V8 marking it for optimisation and starting to compile it, and as long again for its code.
 *  Returning to the engine every 2^16 instructions costs one pass of its loop (under 0.1 us,
 *  against 30-130 us of compiled code); run() then enters the same region again (`resuming`). */
export const REGION_BUDGET = 1 << 16;
/** Blocks run in the interpreter after compiled code left at an instruction of its own (jit/
 *  emit.ts Emitter.sideExit) that do not count towards compiling them, unless compiled code
 *  runs first: the rest of the way the region that left would have taken. */
export const QUIET_BLOCKS = 8;
/** A soft run (a scheduler's time slice) ends instead of interpreting its last this many
 *  instructions: compiled code stops at a budget check point when what is left will not carry
 *  it to the next, and the interpreter would finish the slice there, stopping at some block in
 *  the middle of a region, where the next slice would go on interpreting until it reached a
 *  region's entry (and count those blocks towards compiling more regions from there). Ending
 *  the slice where compiled code stopped, the next one enters the region there (check points
 *  are entries: budget.ts). It exceeds the longest way a check point tests. */
const SOFT_TAIL = 1024;

export class Engine {
  readonly decoder = new BlockDecoder();
  readonly cache: BlockCache;
  readonly regions: RegionCache;
  /** The next block dispatched runs in the interpreter even if compiled (after a stack
   *  window's check failed at its start). */
  private interpretNext = false;
  /** The fault that ended the last run() with RUN_FAULT. */
  lastFault: Fault | null = null;
  readonly stats: EngineStats;
  private jc: (Block | undefined)[] = new Array(1 << JC_FIRST_BITS);
  private jcMask = (1 << JC_FIRST_BITS) - 1;
  /** Misses of the jump cache on another block in the slot, while it is small. */
  private jcConflicts = 0;
  private tick = 0;
  private readonly threshold: number;
  /** Executions at which a block where a wasm loop starts comes due (WASM_DUE_SHARE; 0: none). */
  private readonly wasmBar: number;
  /** Instruction count before which no block is looked at early (EARLY_LOOK_INSNS). */
  private earlyAt = 0;
  /** The rate (DUE_RATE) at which blocks come due at the threshold; 0: any (a threshold the
   *  caller chose is taken as it is). */
  private readonly dueRate: number;
  /** Executions after which a block's successors are recorded (Infinity: never, interp). */
  private readonly succFrom: number;
  private readonly store: RegionStore | null;
  /** Executions a block where a saved region starts is given when decoded: one short of the
   *  threshold, so that it is compiled (from the saved code) at its first execution. The region
   *  was hot in a run before, and making it from saved code costs little (V8 reads its function
   *  from the code cache kept beside it, saved.ts). (Restored after a quarter of the threshold
   *  instead, python3 -c pass interpreted 9.3 M of its 40 M instructions run again; at once,
   *  8.5 M.) */
  private readonly savedExecs: number;
  /** Instruction count at which warmupAt is taken (Infinity: taken, or not timing). */
  private markAt: number;
  private readonly log = logger("exec");
  /** What one hostNowMs() costs, taken out of each timed region entry. */
  private readonly clockCost: number;
  /** Regions by entry address, for compiled code leaving to one (chain.ts). */
  readonly chain = new ChainTable();

  constructor(
    readonly cpu: Cpu,
    readonly opts: EngineOptions = { engine: "auto" },
  ) {
    this.cache = new BlockCache(cpu);
    this.threshold = opts.engine === "jit" ? 1 : Math.max(1, opts.threshold ?? DEFAULT_THRESHOLD);
    this.dueRate = opts.engine !== "jit" && opts.threshold === undefined ? (opts.dueRate ?? DUE_RATE) : 0;
    this.wasmBar = (opts.wasm ?? true) ? Math.floor(this.threshold / WASM_DUE_SHARE) : 0;
    const store = opts.engine === "interp" ? null : (opts.store ?? null);
    this.store = store === null || this.threshold === DEFAULT_THRESHOLD ? store : storeAt(store, this.threshold);
    this.savedExecs = this.threshold - 1;
    const minExecs = Math.max(1, this.threshold >> 2);
    this.succFrom = opts.engine === "interp" ? Infinity : Math.floor(minExecs / SUCC_AFTER);
    this.regions = new RegionCache(
      (eip) => this.blockAt(eip), opts.maxCompiledInsns, minExecs, Math.max(MERGE_AFTER, this.threshold),
      opts.chain === false ? null : this.chain,
      this.store === null ? null : { store: this.store, cpu, decodeAt: (eip) => this.decodeAt(eip) },
      (opts.wasm ?? true) ? { mem: cpu.mem, decodeAt: (eip) => this.decodeAt(eip) } : null,
      cpu,
    );
    this.cache.onDrop = (b) => this.regions.blockDropped(b);
    this.regions.leaves = () => cpu.hooks === null;
    this.regions.warm = (fn) => warmCatch(fn, cpu);
    this.stats = new EngineCounters(this.regions.stats, this.chain.count);
    this.markAt = opts.timing === true ? cpu.icount + WARMUP_INSNS : Infinity;
    this.clockCost = opts.timing === true ? clockReadCost() : 0;
  }

  /** The block at linear address `eip`, decoding and caching it on a miss. */
  lookup(eip: number): Block {
    const c = this.cpu;
    const base = c.sbase[CS];
    const phys = c.fetchPhys((base + eip) | 0);
    let b = c.flat ? this.cache.get(phys, eip) : this.cache.get(phys, eip, base, codeBits(c));
    if (b === undefined) {
      const t0 = this.opts.timing === true ? hostNowMs() : 0;
      b = this.decoder.decode(c, eip);
      b.born = c.icount;
      if (t0 !== 0) this.stats.decodeMs += hostNowMs() - t0;
      if (c.hooks !== null) markHooks(c.hooks, b);
      this.cache.add(b);
      this.stats.blocksDecoded++;
      // Where a saved region starts, the block is compiled (from what was saved) sooner.
      if (this.store !== null && this.store.mayHave(eip) && c.flat && c.hooks === null) {
        const key = entryKey(c, b);
        if (key !== null && this.store.has(key)) b.execs = this.savedExecs;
      }
    }
    return b;
  }

  /** The block at `eip`, decoded now if need be; null if its page is not mapped. */
  private decodeAt(eip: number): Block | null {
    try {
      return this.lookup(eip);
    } catch {
      return null;
    }
  }

  /** Whether `b`, whose executions times its weight reached the threshold, comes due now: a
   *  block weighted for its x87 or SIMD code does so early only on a loop of its own function
   *  (localloop.ts); elsewhere it counts on unweighted, to the threshold. */
  private due(b: Block): boolean {
    // (early, at wasmBar: a wasm loop comes due now, compiled here, if no other block was looked
    // at in the last EARLY_LOOK_INSNS instructions; the block is interpreted this once more, and
    // enters its region from its next execution. A lukewarm block too (the rule below), if the
    // loop is at least half as long as the instructions run per execution of the block: a loop
    // whose own passes are longer than DUE_RATE, Debian's sha512sum's 12,000 instructions of
    // unrolled rounds, was otherwise interpreted until the threshold, 36 M instructions; but an
    // outer loop that runs rarely for its inner loops' passes stays lukewarm: sieve's loop nest
    // of 140 instructions, taken early, ran in wasm 20-40% slower than its JavaScript regions)
    if (b.execs * b.weight < this.threshold) {
      if (this.cpu.icount < this.earlyAt) return false;
      this.earlyAt = this.cpu.icount + EARLY_LOOK_INSNS;
      const perExec = (this.cpu.icount - b.born) / b.execs;
      this.regions.compileEarly(b, this.tick, this.dueRate !== 0 && perExec > this.dueRate ? perExec / 2 : 0);
      return false;
    }
    // (lukewarm: it keeps counting, and is asked again at its next execution)
    if (this.dueRate !== 0 && b.execs < this.threshold * LUKEWARM_FACTOR && this.cpu.icount - b.born > this.dueRate * b.execs) return false;
    if (b.weight === 1 || b.execs >= this.threshold || inLocalLoop(b, (eip) => this.blockAt(eip))) return true;
    b.weight = 1;
    return false;
  }

  private find(eip: number): Block {
    // Segmented or 16-bit code (no compiled code runs there) skips the jump cache.
    if (!this.cpu.flat) return this.lookup(eip);
    const h = (eip ^ (eip >>> JC_BITS)) & this.jcMask;
    const b = this.jc[h];
    const same = b !== undefined && b.eip === eip;
    if (same && b.valid) {
      if ((this.cpu.tlbR[eip >>> 12] ^ TLB_KEY) === b.tag) return b;
      // The TLB entry may only have been flushed (a context switch, an exec): refilled, it
      // says whether the page still maps where the block came from.
      if (((this.cpu.fetchPhys(eip) ^ eip) & ~0xfff) === b.tag) return b;
    }
    const nb = this.lookup(eip);
    // (a miss on another block in the slot counted at every miss while the table is small: a
    // count made at such misses alone had no type feedback when V8 optimised the engine's loop,
    // which deoptimised at the first of them)
    if (this.jcMask !== JC_MASK && (this.jcConflicts += b !== undefined && !same ? 1 : 0) === JC_GROW_AT) {
      this.jc = new Array(1 << JC_BITS);
      this.jcMask = JC_MASK;
      return nb;
    }
    this.jc[h] = nb;
    return nb;
  }

  /** An already decoded block at `eip` whose page is still mapped as decoded, or null. */
  private blockAt(eip: number): Block | null {
    let phys: number;
    try {
      phys = this.cpu.fetchPhys(eip);
    } catch {
      return null;
    }
    return this.cache.get(phys, eip) ?? null;
  }

  /**
   * Runs guest code for about `budget` instructions. Returns RUN_BUDGET, one of the CPU's EXIT_*
   * codes (with EIP after the instruction that stopped), or RUN_FAULT (with EIP at the faulting
   * instruction and the fault in lastFault). A `soft` run may end up to SOFT_TAIL instructions
   * early, where compiled code stopped (a scheduler's slice; the exact budget of a machine's
   * run() is not soft).
   */
  run(budget: number, soft = false): number {
    const c = this.cpu;
    c.exit = EXIT_NONE;
    if (c.icount >= this.markAt) this.passMark();
    const end = c.icount + budget;
    const softEnd = soft && budget >= 4 * SOFT_TAIL ? end - SOFT_TAIL : Infinity;
    // With timing, the run stops at the warm-up mark too (compiled code runs to a budget).
    let stop = this.markAt < end ? this.markAt : end;
    // (a flag, not `stop === end`: that comparison ran only once a slice ran out, long after V8
    // optimised this loop, which it then deoptimised for want of type feedback)
    let marking = stop !== end;
    // (a soft run counts the elements REP string instructions process too, Cpu.repWork: one
    // `repne scasb` of 200 bytes retires as one instruction, and a loop of them ran a single
    // slice for seconds, with no timer, signal or other process served, and V8's optimising
    // compiler, held until the first slices end, never let loose: 450 ns a byte)
    const repEnd = softEnd === Infinity ? Infinity : softEnd - c.icount + c.repWork;
    const jit = this.opts.engine !== "interp";
    const timing = this.opts.timing === true;
    const regions = this.regions;
    let prev: Block | null = null;
    /** The region that ran last, until the next block dispatched (for RegionCache.exitedTo). */
    let from: Region | null = null;
    /** The first block dispatched: where the last run stopped (a system call, a budget). */
    let resuming = true;
    // (blocks still to run uncounted after a region left at its own instruction, below)
    let quiet = 0;
    for (;;) {
      if (c.icount >= stop || c.repWork >= repEnd) {
        if (c.icount < stop) break;
        if (!marking) break;
        marking = false;
        this.passMark();
        stop = end;
        continue;
      }
      let inRegion: Region | null = null;
      let n0 = 0;
      try {
        const b = this.find(c.r[EIP]);
        let r = b.compiled as Region | null;
        if (resuming) {
          // The region that stopped for a system call (or at the end of its budget) goes on
          // where it stopped, which it has an entry for, rather than the region the block is
          // compiled in (often a small one of its own, whose return then chains back): a
          // system-call loop stays in one region.
          resuming = false;
          const last = c.jitFrom;
          if (last !== r && last instanceof Region && last.valid && last.entryPoints.has(b.eip)) r = last;
        }
        if (r !== null && c.flat && !this.interpretNext && (r.ep === TLB_EPOCH[0] || codeStillMapped(c, r))) {
          quiet = 0;
          // (a return into compiled code is a successor too: region formation copies a tiny
          // caller loop into the returning function's region, RegionCache.form)
          if (prev !== null && prev.execs >= this.succFrom) noteReturn(prev, b);
          inRegion = r;
          const left = stop - c.icount;
          // (an int32: the count is a double, and a region given a heap number deoptimised)
          n0 = (left < REGION_BUDGET ? left : REGION_BUDGET) | 0;
          // (for the case of no progress, below: a test made on that rare way alone had no type
          // feedback when V8 optimised this loop, which then deoptimised there)
          const roomy = n0 >= MAX_REGION_INSNS;
          r.lastUsed = ++this.tick;
          const runs = ++this.stats.regionRuns;
          const weight = timing ? sampleWeight(runs) : 0;
          const timed = weight !== 0;
          const t0 = timed ? hostNowMs() : 0;
          c.jitFrom = r;
          this.chain.set(c.r[EIP], r, c);
          const n = r.fn(c, n0, 0);
          if (timed) this.stats.jitMs += Math.max(0, hostNowMs() - t0 - this.clockCost) * weight;
          inRegion = null;
          // (c.exit compared first: `n !== n0 ||` left that comparison to the rare regions that
          // make no progress, and the first of them deoptimised this loop)
          if (c.exit !== EXIT_NONE || n !== n0) {
            c.icount += n0 - n;
            this.stats.jitInsns += n0 - n;
            if (c.exit === EXIT_HOOK) {
              if (this.hookEnds()) return RUN_BUDGET;
              from = prev = null;
              continue;
            }
            if (c.exit !== EXIT_NONE) return c.exit;
            // Where it left to matters only if no region takes over there (see below); it left
            // from the last region of its chain. A region that stopped for its budget
            // (REGION_BUDGET) goes on where it stopped (`resuming`). It stops with less left
            // than one stretch of its code between checks, so never with MAX_REGION_INSNS or
            // more (other exits rarely are: they need not look).
            from = c.jitFrom as Region;
            prev = null;
            if (n < MAX_REGION_INSNS) resuming = true;
            continue;
          }
          // No progress: the budget left is smaller than the block, or its first instruction
          // left at once (Emitter.sideExit; then the exit had more budget than any stretch of
          // code between checks). The interpreter runs it, as where the region left at an
          // instruction of its own, if it did (leftAt, below; otherwise the exit is to the
          // region's own entry, which exitedTo does not count).
          if (roomy) from = r;
        }
        // (also where a region's code pages are not mapped as when compiled: the interpreter
        // runs the block, and refills the TLB)
        if (c.icount >= softEnd) break;
        // (the region whose compiled code just left to this block)
        const left = from;
        // (it left at an instruction of its own, this one: Emitter.sideExit)
        const leftAt = left !== null && c.jitLeftAt !== 0;
        // (before a stack window whose check failed: counted as the thrown misses are, recover)
        if (leftAt && c.jitLeftAt >= WINDOW_LEFT) this.windowLeft(left as Region, c.jitLeftAt);
        if (from !== null) {
          // (one call, whatever it decides: a branch first taken once V8 has optimised this
          // loop deoptimises it for want of type feedback)
          regions.exitedTo(from, b.eip, this.tick, leftAt);
          from = null;
        }
        if (prev !== null && prev.execs >= this.succFrom) addSucc(prev, b);
        // (the blocks run after a region left at an instruction of its own, for a TLB miss or
        // misaligned data, up to QUIET_BLOCKS of them until compiled code runs again, do not
        // count towards compiling them on their own: they are the rest of that region's way,
        // and in a shell script's processes, whose TLBs start empty, the same accesses left
        // in each, and a dozen such blocks came due as regions of their own)
        if (leftAt) quiet = QUIET_BLOCKS;
        if (quiet > 0) quiet--;
        else if (jit && r === null && (++b.execs * b.weight >= this.threshold || b.execs === this.wasmBar) && !b.nojit && c.flat && this.due(b)) {
          if (regions.compileDue(b, left, this.tick) !== null) {
            prev = null;
            continue;
          }
        }
        const before = c.icount;
        this.interpretNext = false;
        c.misaligned = false;
        const odd = b.misalignedAt;
        if (b.hooks !== 0) execHooked(c, b);
        else if (odd === NO_MISALIGNED) execInsns(c, b.insns);
        else execNoting(c, b.insns, odd as Set<number>);
        if (c.misaligned) {
          // (compiled code makes the accesses of the instructions that met it of any alignment
          // inline: which they are, the block's runs from now on note, Block.misalignedAt; a
          // region whose access left for misaligned data counts it, RegionCache.leftAt)
          if (odd === NO_MISALIGNED) b.misalignedAt = new Set<number>();
          if (leftAt && left !== null) regions.leftAt(left, b.eip, this.tick);
        }
        this.stats.interpInsns += c.icount - before;
        prev = b;
      } catch (e) {
        // (called for every fault, the interpreter's too, which come first)
        const ran = ranBeforeFault(c, inRegion, n0);
        c.icount += ran;
        this.stats.jitInsns += ran;
        prev = null;
        const res = this.recover(e);
        if (res !== RUN_BUDGET) return res;
        continue;
      }
      if (c.exit === EXIT_HOOK) {
        if (this.hookEnds()) return RUN_BUDGET;
        prev = null;
      } else if (c.exit !== EXIT_NONE) return c.exit;
    }
    return RUN_BUDGET;
  }

  /** Region `r` left before a stack window whose check failed (Cpu.jitLeftAt `at`: compile.ts
   *  WINDOW_LEFT), as windowMissed. */
  private windowLeft(r: Region, at: number): void {
    const kind = (at / WINDOW_LEFT) | 0;
    this.windowMissed(r, kind === WINDOW_KINDS.BM || kind === WINDOW_KINDS.BX, kind === WINDOW_KINDS.WX || kind === WINDOW_KINDS.BX);
  }

  /** Region `r` stopped before a window (on a base register other than ESP: `base`) whose
   *  check failed (for the register's value: `shape`), by leaving or by throwing: counted, and
   *  `r` compiled again with fewer windows if they keep failing (RegionCache.windowMiss). */
  private windowMissed(r: Region, base: boolean, shape: boolean): void {
    if (this.regions.windowMiss(r, base, shape)) this.regions.compile(r.entry, r, this.tick);
  }

  /** After a hook left (EXIT_HOOK): whether the run ends (the machine stops) rather than going
   *  on at the EIP the hook left. */
  private hookEnds(): boolean {
    const c = this.cpu;
    c.exit = EXIT_NONE;
    return c.hooks === null || c.hooks.ending();
  }

  private passMark(): void {
    this.markAt = Infinity;
    this.stats.warmupAt = hostNowMs();
  }

  /** Turns an exception from guest execution into a run() result, or resolves it and returns
   *  RUN_BUDGET to keep going. */
  private recover(e: unknown): number {
    const c = this.cpu;
    if (e instanceof Fault) {
      this.lastFault = e;
      if (e.vector === PF) c.cr2 = e.addr;
      this.stats.faults++;
      return RUN_FAULT;
    }
    if (e instanceof CodeWrite) {
      this.stats.codeWrites++;
      return this.stepAfterCodeWrite(e);
    }
    if (e === HOOK_REPLAY) return this.replay();
    if (e === MEM_MISS) {
      // Compiled code stopped before an instruction whose SIMD memory operand its inline path
      // could not reach (simdmem.ts): the interpreter runs the block from there, filling the
      // TLB (entering the region again at once would stop there again). Why it stopped decides
      // what its next version does there, if it keeps stopping.
      const r = c.jitFrom as Region, pc = c.r[EIP];
      // (the block at EIP, which the interpreter runs next: one decode for both)
      if (misalignedInPage(c, this.find(pc).insns[0])) this.regions.leftAt(r, pc, this.tick);
      else this.regions.stoppedAt(r, pc, this.tick);
      this.stats.memStops++;
      this.interpretNext = true;
      return RUN_BUDGET;
    }
    if (e === WINDOW_MISS || e === BASE_MISS || e === WINDOW_SHAPE_MISS || e === BASE_SHAPE_MISS) {
      // Compiled code stopped before a window (ESP's or a base register's) whose page it could
      // not use: the interpreter runs the block from there (entering the region again at once
      // would stop there again), filling the TLB.
      this.windowMissed(c.jitFrom as Region, e === BASE_MISS || e === BASE_SHAPE_MISS, e === WINDOW_SHAPE_MISS || e === BASE_SHAPE_MISS);
      this.interpretNext = true;
      return RUN_BUDGET;
    }
    throw e;
  }

  /** An instruction touched a page a memory hook watches (HOOK_REPLAY): run it again alone,
   *  decoded fresh and not cached, with its hooks called from its accesses. Execution then
   *  goes on at the next instruction (which begins a block). */
  private replay(): number {
    const c = this.cpu;
    const h = c.hooks as CpuHooks;
    const x = this.decoder.decode(c, c.r[EIP], false, 1).insns[0];
    c.exit = EXIT_NONE;
    h.replaying = true;
    h.replayEip = x.eip;
    try {
      execOne(c, x);
    } catch (e) {
      h.replaying = false;
      return this.recover(e);
    }
    h.replaying = false;
    this.stats.interpInsns++;
    return c.exit;
  }

  /** Runs the instruction at EIP alone in the interpreter, decoded fresh (the CPU's single step,
   *  EFLAGS.TF: Exokernel.runEnv). Returns what run() does: RUN_BUDGET once it completed. */
  step(): number {
    const c = this.cpu;
    c.exit = EXIT_NONE;
    try {
      const x = this.decoder.decode(c, c.r[EIP], false, 1).insns[0];
      execOne(c, x);
      this.stats.interpInsns++;
      return c.exit;
    } catch (e) {
      return this.recover(e);
    }
  }

  /** A write hit a page holding translated code: drop the page's blocks and execute the writing
   *  instruction alone, decoded fresh and not cached, so its write goes through. */
  private stepAfterCodeWrite(first: CodeWrite): number {
    const c = this.cpu;
    let pending: CodeWrite | null = first;
    for (let tries = 0; pending !== null; tries++) {
      const n = this.cache.invalidatePage(pending.ppn);
      if (trace.exec) this.log.trace({ ppn: pending.ppn, blocks: n }, `code write to page ${pending.ppn.toString(16)}: ${n} block(s) dropped`);
      if (tries > 4) throw new Error("code write did not resolve (engine bug)");
      pending = null;
      try {
        const one = this.decoder.decode(c, c.r[EIP], false, 1);
        c.exit = EXIT_NONE;
        execOne(c, one.insns[0]);
        this.stats.interpInsns++;
        if (c.exit !== EXIT_NONE) return c.exit;
      } catch (e) {
        if (e instanceof CodeWrite) pending = e;
        else return this.recover(e);
      }
    }
    return RUN_BUDGET;
  }
}

/** Milliseconds one hostNowMs() takes, as the smallest of a few averaged batches. */
function clockReadCost(): number {
  let best = Infinity;
  for (let batch = 0; batch < 5; batch++) {
    const t0 = hostNowMs();
    let t = t0;
    for (let i = 0; i < 200; i++) t = hostNowMs();
    best = Math.min(best, (t - t0) / 200);
  }
  return best;
}
