// The wasm tier in the engine (docs/wasm-tier.md): where a region is formed from a block this
// tier translates, the blocks it translates that the entry reaches through each other become one
// WebAssembly function, if they loop: a Region like any other to the engine and the chain table,
// entered at any of its blocks. It leaves, with the state exact, at a block outside it, at the
// end of its budget, or before an access the TLB cannot serve (the interpreter then runs that
// instruction: a fault, a code write, a TLB refill, MMIO); then it goes on as compiled code
// leaving does (chain.ts). The blocks it does not take stay with the JavaScript tier.

import type { Block } from "../../decoder/block.js";
import { type Insn, Op, K_IMM, K_MEM, NO_REG } from "../../hw/isa.js";
import type { PhysMemory } from "../../hw/memory.js";
import { EIP } from "../../hw/state.js";
import { staticTargets } from "../successors.js";
import { codePagesOf } from "../codepages.js";
import type { ChainTable, Chainable, RegionFn } from "../chain.js";
import type { Compiled } from "../compile.js";
import { thunkRegister } from "../pcthunk.js";
import { compileRegion, takes } from "./block.js";
import { simdName, packedInteger, usesMxcsr } from "./simd.js";

/** Most blocks and instructions in one wasm region. A loop of unrolled rounds can be long:
 *  Debian's sha512sum's is 12,055 instructions (80 rounds of 64-bit arithmetic in 32-bit
 *  registers). At 4,000 the rest of it came due block by block as six JavaScript regions of
 *  1,160-1,470 instructions (700 KB of JavaScript for TurboFan); in one wasm region it is
 *  translated and made in 3.6 ms (--stats). */
const MAX_BLOCKS = 256, MAX_INSNS = 16000;

/** Fewest instructions in an integer (direct) loop itself, every block of its strongly
 *  connected component counted once (not the code it reaches after: a small loop before a long
 *  stretch of code would count that too). TurboFan's code for a small loop inside a JavaScript
 *  region is as good as Liftoff's and TurboFan's for wasm, and stays inline with the code
 *  around it; a large loop nest (a compressor's match finder, a hash's unrolled rounds) is
 *  where the JavaScript tier pays most (its regions wait in V8's lower tiers, then take
 *  TurboFan 0.3-0.5 ms per instruction) and the wasm tier compiles in microseconds per
 *  instruction. Measured (three interleaved runs each, guest ms or process CPU ms): with every
 *  integer loop that calls nothing taken, sieve ran 443-575 against 552-590 guest ms and
 *  strings 2,253-2,456 against 2,585-2,726 (their loops are 8-24 instructions); counting a
 *  loop's region (the code after it too) rather than the loop, small loops before long code
 *  went to wasm. With loops that call nothing of 100 instructions or more, against the engine
 *  before: sha256 661-742 against 503-620 guest ms, Debian's sha256sum on 4 MB 324-664 against
 *  268-606, bzip2 -9 3,872-4,894 against 3,419-4,398 ms of CPU; gzip, xz, sort, perl, python3,
 *  bash, sieve and strings within their noise. Then with direct calls and returns taken too,
 *  and 64 instructions: gzip -9 on 4 MB 1,281-1,645 against 972-1,546 guest ms, xz -3
 *  5,714-6,071 against 5,026-5,652, bzip2 2,021-2,516 against 2,077-2,658, the others within
 *  their noise. Then with jumps and calls through fixed memory slots (PLT entries) too: gzip -d
 *  477-689 against 323-426 guest ms (its inflate loop calls memcpy), xz -3 6,758-7,252 against
 *  5,704-5,935, the others within their noise. */
const DIRECT_MIN_INSNS = 64;

/** Blocks of the hot graph looked at from one entry. */
const MAX_HOT = 2048;

/** Blocks of the hot graph looked at from a block that came due early (engine.ts
 *  WASM_DUE_SHARE), beyond which there is no loop to take early: the walk stops and the block
 *  waits for the threshold. A compressor's or a hash's loop is a few dozen blocks (Debian's
 *  sha256sum: 34; its walk opened no others), but the loops through an interpreter's dispatch
 *  are hundreds to thousands (Debian's python3 starting: 300 to 1,800), and a walk of those was
 *  about half a millisecond for each of the 2,200 blocks that reached the early bar; the wasm
 *  regions the few such loops made early, entered a few instructions at a time, were demoted. */
export const EARLY_HOT = 256;

/** The blocks the tier would compile from `entry`: the decoded blocks it translates that the
 *  entry reaches through them over static and observed edges (loops other regions hold
 *  included: a loop nest becomes one function, with no transitions between its levels). Null
 *  unless the entry is in a loop of the hot code (blocks run `hot` times or more, with their
 *  calls and returns) whose blocks the tier all translates, and that loop has packed integer
 *  SSE or is a direct loop (LoopKind) of DIRECT_MIN_INSNS instructions or more: a loop that
 *  goes through other code on its way round would leave and enter the region on every
 *  iteration. */
export function wasmBlocks(entry: Block, blockAt: (eip: number) => Block | null, hot: number, decodeAt: (eip: number) => Block | null, cap = MAX_HOT, minInsns = 0): Block[] | null {
  if (!usable(entry) || sharedReturn(entry, hot)) return null;
  const loop = loopOf(entry, blockAt, hot, cap);
  if (loop === null) return null;
  // (`minInsns`: a loop the caller wants at least this long, whatever its kind)
  const size = loop.blocks.reduce((n, b) => n + b.insns.length, 0);
  if ((loop.kind === "direct" && size < DIRECT_MIN_INSNS) || size < minInsns) return null;
  // Only a loop that passes is looked for again in all the hot code, to tell whether the loops
  // through the entry leave the translated code (searching all the hot code for every block
  // that came due took 12% of the compiling time of Debian's bash running a loop); and before
  // the region's blocks are gathered, which decodes the static successors not run yet: Debian's
  // python3 -c pass, nothing saved, looked 158 times, 56 of them failing only here, and
  // gathering first had it decode some 700 blocks that never ran (37,930-38,024 blocks decoded
  // in all, against 37,260-37,275).
  const all = component(entry, blockAt, hot, () => true, cap);
  if (all === null || all.length !== loop.blocks.length) return null;
  // (a direct loop's region grows through direct blocks only: the code around a loop of packed
  // SSE is taken with its indirect jumps and calls, which an integer loop's would add for little)
  const within = loop.kind === "packed" ? usable : direct;
  const out: Block[] = [];
  const seen = new Set<number>([entry.eip]);
  const queue = [entry];
  const follow = (eip: number, decode: boolean): void => {
    if (seen.has(eip)) return;
    const s = decode ? decodeAt(eip) : blockAt(eip);
    if (s === null || !within(s)) return;
    seen.add(eip);
    queue.push(s);
  };
  // A return is followed to a block of the loop (a loop that calls a function and is entered in
  // it goes round through the return) or to the return site of a call the region has taken (one
  // met before its call waits in `parked`), and nowhere else: the region of a loop inside a
  // function does not grow through its returns into every caller. (Once glibc's stack protector
  // no longer kept those out, xz's loop through memcmp's packed SSE grew into its callers to a
  // region of 256 blocks, left and entered 20 M times instead of 6.9 M, and then to one of 55
  // that held the entry of xz's main loop, whose own region never formed.)
  const looping = new Set(loop.blocks.map((b) => b.eip));
  const sites = new Set<number>(), parked = new Set<number>();
  let insns = 0;
  while (queue.length > 0 && out.length < MAX_BLOCKS) {
    const b = queue.shift() as Block;
    if (insns + b.insns.length > MAX_INSNS) continue;
    out.push(b);
    insns += b.insns.length;
    const last = b.insns[b.insns.length - 1];
    if (last.op === Op.CALL) {
      sites.add(last.next);
      if (parked.delete(last.next)) follow(last.next, false);
    }
    // (static successors not run yet are decoded: the code that runs after an inner loop's
    // first exit belongs to the region too, though it may not have run when the loop came due)
    const statics = staticTargets(b) ?? [];
    for (const eip of successors(b)) {
      if (last.op === Op.RET && !looping.has(eip) && !sites.has(eip)) parked.add(eip);
      else follow(eip, statics.includes(eip));
    }
  }
  // The loop must fit: one cut short by the region's size would leave and enter it on every
  // pass. (perf's strings: a loop through vfprintf taken into 256 blocks of its region, which
  // was demoted for too little work per entry; its JavaScript regions formed late then, and
  // chained 13 M times instead of 7.5 M.)
  const inside = new Set(out);
  return loop.blocks.every((b) => inside.has(b)) ? out : null;
}

/** Whether `b` returns to more than one place of the hot code: a function shared by other code
 *  (glibc's PIC thunk, called from everywhere), which no wasm region starts at. Through its
 *  returns, the hot graph makes one "loop" of a program's hot paths: perf's strings, which has
 *  no loop of its own the tier takes, got one of 1,200 instructions from __x86.get_pc_thunk.bx
 *  (its first block to reach the early bar) once its string copies (rep movs) no longer kept its
 *  functions out, and made 13 M transitions between regions instead of 7.5 M, in 1.6 times
 *  the time. (Such a function inside a loop is taken: bzip2's loops call helpers
 *  from several places, and excluding those loops made 4 M transitions instead of 0.1 M.) */
function sharedReturn(b: Block, hot: number): boolean {
  if (b.insns[b.insns.length - 1].op !== Op.RET) return false;
  let places = 0;
  for (const s of b.succ) if (s.execs >= hot && ++places > 1) return true;
  return false;
}

function successors(b: Block): number[] {
  return [...(staticTargets(b) ?? []), ...b.succ.map((s) => s.eip)];
}

/** The loops the tier takes: those with packed integer SSE, where WebAssembly's SIMD beats the
 *  JavaScript tier's int32 lanes five times over (imgfilter), and direct loops of integer code,
 *  which jump and call only to static targets or through fixed memory slots (and return), with
 *  DIRECT_MIN_INSNS instructions or more: an interpreter's dispatch through a table stays
 *  JavaScript. Loops of double arithmetic stay with JavaScript: nbody's scalar and packed double
 *  SSE loop took 2.5-3.1 s in wasm against 1.8-2.3 s there, whose guards skip the checks of
 *  operands a block already proved ordinary (jit/simd.ts). */
type LoopKind = "packed" | "direct";

/** The strongly connected component of `entry` in the hot graph among the blocks the tier
 *  translates (among direct blocks, for a loop without packed integer SSE), and its kind; null if
 *  there is none or it uses MXCSR. A component the tier takes lies wholly among those blocks,
 *  and is then the same one as in all the hot code (wasmBlocks checks that last). */
function loopOf(entry: Block, blockAt: (eip: number) => Block | null, hot: number, cap: number): { kind: LoopKind; blocks: Block[] } | null {
  const mxcsr = (b: Block): boolean => simdWhere(b, (x) => usesMxcsr(simdName(x) as string));
  const inner = component(entry, blockAt, hot, usable, cap);
  if (inner === null || inner.some(mxcsr)) return null;
  if (inner.some(hasPackedInteger)) return { kind: "packed", blocks: inner };
  const straight = component(entry, blockAt, hot, direct, cap);
  return straight === null ? null : { kind: "direct", blocks: straight };
}

/** Whether `b` has a SIMD instruction that `f` takes. */
function simdWhere(b: Block, f: (x: Insn) => boolean): boolean {
  return b.insns.some((x) => x.op === Op.SIMD && f(x));
}

/** Whether `b` has packed integer SSE, what makes a loop one this tier takes (LoopKind) and a
 *  region of it be judged by MIN_WORK. */
export function hasPackedInteger(b: Block): boolean {
  return simdWhere(b, packedInteger);
}

/** Whether the tier translates `b` and it jumps and calls only to static targets, or through a
 *  memory slot at a fixed place (a PLT entry's `jmp *GOT(%ebx)`: a loop that calls memcpy goes
 *  through one), returns included: the blocks of a direct loop. Not through a register, nor a
 *  table indexed by one (an interpreter's dispatch), except a call with one target seen so far
 *  (a function pointer's usual use: glibc's qsort calling the comparator, 0.78 of the time its
 *  JavaScript regions took; the region ends at the call of another, which leaves it). */
function direct(b: Block): boolean {
  return usable(b) && b.insns.every((x) =>
    (x.op !== Op.CALL && x.op !== Op.JMP) || x.k0 === K_IMM || (x.k0 === K_MEM && x.index === NO_REG) || (x.op === Op.CALL && b.succ.length === 1));
}

/** The strongly connected component of `entry` in the hot graph (blocks run `hot` times or
 *  more, with their calls and returns) among the blocks `within` takes (Tarjan's algorithm,
 *  iterative); null unless it is a cycle (more than one block, or the entry going on at
 *  itself). */
function component(entry: Block, blockAt: (eip: number) => Block | null, hot: number, within: (b: Block) => boolean, cap: number): Block[] | null {
  const index = new Map<Block, number>(), low: number[] = [], stack: Block[] = [], onStack = new Set<Block>();
  let selfLoop = false, found: Block[] | null = null;
  // (past MAX_HOT the walk goes on among the blocks it has; past a lower cap, it gives up)
  const limit = Math.min(cap, MAX_HOT);
  let over = false;
  const next = (b: Block): Block[] => {
    const out: Block[] = [];
    for (const eip of successors(b)) {
      const s = blockAt(eip);
      if (s === b) selfLoop ||= b === entry;
      if (s === null || !s.valid || (s.execs < hot && s !== entry)) continue;
      if (index.has(s)) out.push(s);
      else if (within(s)) {
        if (index.size < limit) out.push(s);
        else if (cap < MAX_HOT) over = true;
      }
    }
    return out;
  };
  const frames: { b: Block; succ: Block[]; k: number }[] = [];
  const open = (b: Block): void => {
    index.set(b, low.length);
    low.push(low.length);
    stack.push(b);
    onStack.add(b);
    frames.push({ b, succ: next(b), k: 0 });
  };
  open(entry);
  while (frames.length > 0 && found === null && !over) {
    const fr = frames[frames.length - 1];
    if (fr.k < fr.succ.length) {
      const s = fr.succ[fr.k++];
      if (!index.has(s)) open(s);
      else if (onStack.has(s)) low[index.get(fr.b)!] = Math.min(low[index.get(fr.b)!], index.get(s)!);
      continue;
    }
    frames.pop();
    const i = index.get(fr.b)!;
    if (frames.length > 0) {
      const p = index.get(frames[frames.length - 1].b)!;
      low[p] = Math.min(low[p], low[i]);
    }
    if (low[i] !== i) continue;
    // fr.b roots a component: pop it
    const comp: Block[] = [];
    let x: Block;
    do {
      x = stack.pop() as Block;
      onStack.delete(x);
      comp.push(x);
    } while (x !== fr.b);
    if (comp.includes(entry)) found = comp;
  }
  return over || found === null || (found.length === 1 && !selfLoop) ? null : found;
}

function usable(b: Block): boolean {
  if (b.wasmTakes === 0) b.wasmTakes = takes(b.insns) ? 1 : -1;
  return b.valid && !b.nojit && !b.nowasm && b.hooks === 0 && b.wasmTakes === 1;
}

/** Entries after which a wasm region's work per entry is judged, and the least it must average:
 *  below that, leaving and entering cost more than WebAssembly saves (a loop that leaves the
 *  region for code it does not take, on every iteration), and it is demoted.
 *  MIN_WORK: a region with packed integer SSE, whose lanes WebAssembly's SIMD computes several
 *  times faster than the JavaScript tier. A loop of integer code that calls an SSE routine is
 *  such a region too: Debian's bash had one of 1,049 instructions of glibc's code at 137 per
 *  entry, and its 10,000-pass loop ran 4% slower with it kept (at 128) than demoted; xz -3's loop
 *  through memcmp averages 1,660 (no window below 515), imgfilter's 27,000 and 58,000.
 *  MIN_WORK_DIRECT: a region of integer code only, which gains nothing per instruction
 *  (TurboFan's code for it is as good) and is there for loop nests JavaScript would wait long in
 *  V8's lower tiers for, which run thousands of instructions per entry (averages over their
 *  judgements: Debian's sha256sum, bzip2 and gzip -d 28,000-58,000). vfprintf's format loop,
 *  through strchrnul and its other callees by their PLT entries, is a direct loop of 973
 *  instructions that ran 150 per entry (perf's strings built dynamically, one entry per call of
 *  snprintf): 3,170 ms of guest time in wasm against 2,365 with --no-wasm (five interleaved runs
 *  each). */
const JUDGE_RUNS = 1024, MIN_WORK = 256, MIN_WORK_DIRECT = 1024;

/** Where the engine may enter the region made of `blocks`: at any of them (a loop left for an
 *  instruction the tier does not run goes on in it at the next block) but a PC thunk the loop
 *  calls (`mov (%esp), %ebx; ret`, pcthunk.ts), which every function of its module calls: the
 *  region would be that code's, and every other caller of the thunk would enter it for two
 *  instructions and leave. Debian's gzip -9: its deflate loop's region ran 29,572 instructions
 *  per entry, then 2 when send_bits, not yet compiled, began calling the thunk, and the judge
 *  demoted it (JUDGE_RUNS). */
function entriesOf(blocks: readonly Block[]): number[] {
  return blocks.filter((b, k) => k === 0 || thunkRegister(b) < 0).map((b) => b.eip);
}

/** `blocks` (wasmBlocks) compiled to a module, as what makes the engine's Region's code given
 *  the Region itself; null if the module was refused. */
export function compileWasm(
  blocks: readonly Block[], mem: PhysMemory, chain: ChainTable | null,
  /** Called (once) when the region is demoted: it is dropped, its blocks marked nowasm. */
  demote: (self: Chainable) => void,
  /** The module made for these blocks before (Compiled.module, as a store kept it), if any. */
  module: Uint8Array | null = null,
): ((self: Chainable) => Compiled) | null {
  const w = compileRegion(blocks.map((b) => b.insns), mem, module);
  if (w === null) return null;
  const insns = blocks.reduce((s, b) => s + b.insns.length, 0);
  const notRun = new Map<number, number>();
  for (const b of blocks) b.insns.forEach((x, k) => notRun.set(x.eip, b.insns.length - k));
  const least = (blocks.some(hasPackedInteger) ? MIN_WORK : MIN_WORK_DIRECT) * JUDGE_RUNS;
  return (self) => {
    let runs = 0, work = 0;
    const fn: RegionFn = (c, n, d) => {
      // (the TLB it reads is the one in the memory: a CPU with arrays of its own gets no
      // progress, and the interpreter runs the block)
      if (!c.tlbInMemory) return n;
      const left = w.run(c, n);
      work += n - left;
      if (++runs === JUDGE_RUNS) {
        if (work < least && self.valid) demote(self);
        runs = work = 0;
      }
      if (left === n || chain === null) {
        c.jitFrom = self;
        return left;
      }
      return chain.leave(c, left, d, c.r[EIP], self, n);
    };
    return {
      source: `/* wasm: ${blocks.length} blocks */`, insns, reachable: blocks.length, entries: entriesOf(blocks), fallbacks: [], helpers: [],
      fn, from: w.module === module ? "cache" : "source", hot: null, pages: codePagesOf(blocks), notRun, module: w.module,
    };
  };
}
