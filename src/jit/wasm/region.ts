// The wasm tier in the engine (docs/wasm-tier.md): where a region is formed from a block this
// tier translates, the blocks it translates that the entry reaches through each other become one
// WebAssembly function, if they loop: a Region like any other to the engine and the chain table,
// entered at any of its blocks. It leaves, with the state exact, at a block outside it, at the
// end of its budget, or before an access the TLB cannot serve (the interpreter then runs that
// instruction: a fault, a code write, a TLB refill, MMIO); then it goes on as compiled code
// leaving does (chain.ts). The blocks it does not take stay with the JavaScript tier.

import type { Block } from "../../decoder/block.js";
import { Op } from "../../hw/isa.js";
import type { PhysMemory } from "../../hw/memory.js";
import { EIP } from "../../hw/state.js";
import { staticTargets } from "../successors.js";
import { codePagesOf } from "../codepages.js";
import type { ChainTable, Chainable, RegionFn } from "../chain.js";
import type { Compiled } from "../compile.js";
import { compileRegion, takes } from "./block.js";
import { simdName, packedInteger, usesMxcsr } from "./simd.js";
import type { Insn } from "../../hw/isa.js";

/** Most blocks and instructions in one wasm region. */
const MAX_BLOCKS = 256, MAX_INSNS = 4000;

/** Blocks of the hot graph looked at from one entry. */
const MAX_HOT = 2048;

/** The blocks the tier would compile from `entry`: the decoded blocks it translates that the
 *  entry reaches through them over static and observed edges (loops other regions hold
 *  included: a loop nest becomes one function, with no transitions between its levels). Null
 *  unless the entry is in a loop of the hot code (blocks run `hot` times or more, with their
 *  calls and returns) whose blocks the tier all translates: a loop that goes through other code
 *  on its way round would leave and enter the region on every iteration. */
export function wasmBlocks(entry: Block, blockAt: (eip: number) => Block | null, hot: number, decodeAt: (eip: number) => Block | null): Block[] | null {
  if (!usable(entry) || !closedLoop(entry, blockAt, hot)) return null;
  const out: Block[] = [];
  const seen = new Set<number>([entry.eip]);
  const queue = [entry];
  let insns = 0;
  while (queue.length > 0 && out.length < MAX_BLOCKS) {
    const b = queue.shift() as Block;
    if (insns + b.insns.length > MAX_INSNS) continue;
    out.push(b);
    insns += b.insns.length;
    // (static successors not run yet are decoded: the code that runs after an inner loop's
    // first exit belongs to the region too, though it may not have run when the loop came due)
    const statics = staticTargets(b) ?? [];
    for (const eip of successors(b)) {
      if (seen.has(eip)) continue;
      const s = statics.includes(eip) ? decodeAt(eip) : blockAt(eip);
      if (s === null || !usable(s)) continue;
      seen.add(eip);
      queue.push(s);
    }
  }
  return out;
}

function successors(b: Block): number[] {
  return [...(staticTargets(b) ?? []), ...b.succ.map((s) => s.eip)];
}

/** Whether `entry` lies on a cycle of the hot graph, every block of its strongly connected
 *  component (every loop through it) is one the tier translates, and they have packed integer
 *  SSE instructions and no double arithmetic. Packed integer SSE is where WebAssembly's SIMD
 *  beats the JavaScript tier's int32 lanes five times over (imgfilter). Measured with the others
 *  taken (interleaved runs, guest time): loops of integer code alone (sieve, qsort, sha256,
 *  strings, the bytecode interpreter) ran no faster and often slower, TurboFan's code for them
 *  being about as good and their loops short; nbody's scalar and packed double SSE loop took
 *  2.5-3.1 s against 1.8-2.3 s in JavaScript, whose guards skip the checks of operands a block
 *  already proved ordinary (jit/simd.ts).
 *
 *  The component is found first among the blocks the tier translates: a component it takes lies
 *  wholly among them, and is then the same one, so one found there without packed integer SSE
 *  settles it. Only one that passes is looked for again in all the hot code, to tell whether
 *  the loops through the entry leave the translated code. (Searching all the hot code for every
 *  block that came due took 12% of the compiling time of Debian's bash running a loop, where
 *  no block but glibc's string routines has SSE.) */
function closedLoop(entry: Block, blockAt: (eip: number) => Block | null, hot: number): boolean {
  const inner = component(entry, blockAt, hot, usable);
  const simd = (b: Block, f: (x: Insn) => boolean): boolean => b.insns.some((x) => x.op === Op.SIMD && f(x));
  if (inner === null || !inner.some((b) => simd(b, packedInteger)) || inner.some((b) => simd(b, (x) => usesMxcsr(simdName(x) as string)))) return false;
  const all = component(entry, blockAt, hot, () => true);
  return all !== null && all.length === inner.length;
}

/** The strongly connected component of `entry` in the hot graph (blocks run `hot` times or
 *  more, with their calls and returns) among the blocks `within` takes (Tarjan's algorithm,
 *  iterative); null unless it is a cycle (more than one block, or the entry going on at
 *  itself). */
function component(entry: Block, blockAt: (eip: number) => Block | null, hot: number, within: (b: Block) => boolean): Block[] | null {
  const index = new Map<Block, number>(), low: number[] = [], stack: Block[] = [], onStack = new Set<Block>();
  let selfLoop = false, found: Block[] | null = null;
  const next = (b: Block): Block[] => {
    const out: Block[] = [];
    for (const eip of successors(b)) {
      const s = blockAt(eip);
      if (s === b) selfLoop ||= b === entry;
      if (s !== null && s.valid && (s.execs >= hot || s === entry) && (index.has(s) || (index.size < MAX_HOT && within(s)))) out.push(s);
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
  while (frames.length > 0 && found === null) {
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
  return found === null || (found.length === 1 && !selfLoop) ? null : found;
}

function usable(b: Block): boolean {
  return b.valid && !b.nojit && !b.nowasm && b.hooks === 0 && takes(b.insns);
}

/** Entries after which a wasm region's work per entry is judged, and the least it must average:
 *  below that, leaving and entering cost more than WebAssembly saves (a loop that leaves the
 *  region for code it does not take, on every iteration), and it is demoted. */
const JUDGE_RUNS = 1024, MIN_WORK = 128;

/** `blocks` (wasmBlocks) compiled to a module, as what makes the engine's Region's code given
 *  the Region itself; null if the module was refused. */
export function compileWasm(
  blocks: readonly Block[], mem: PhysMemory, chain: ChainTable | null,
  /** Called (once) when the region is demoted: it is dropped, its blocks marked nowasm. */
  demote: (self: Chainable) => void,
): ((self: Chainable) => Compiled) | null {
  const w = compileRegion(blocks.map((b) => b.insns), mem);
  if (w === null) return null;
  const insns = blocks.reduce((s, b) => s + b.insns.length, 0);
  const notRun = new Map<number, number>();
  for (const b of blocks) b.insns.forEach((x, k) => notRun.set(x.eip, b.insns.length - k));
  return (self) => {
    let runs = 0, work = 0;
    const fn: RegionFn = (c, n, d) => {
      // (the TLB it reads is the one in the memory: a CPU with arrays of its own gets no
      // progress, and the interpreter runs the block)
      if (!c.tlbInMemory) return n;
      const left = w.run(c, n);
      work += n - left;
      if (++runs === JUDGE_RUNS) {
        if (work < MIN_WORK * JUDGE_RUNS && self.valid) demote(self);
        runs = work = 0;
      }
      if (left === n || chain === null) {
        c.jitFrom = self;
        return left;
      }
      return chain.leave(c, left, d, c.r[EIP], self, n);
    };
    return {
      source: `/* wasm: ${blocks.length} blocks */`, insns, reachable: blocks.length, entries: blocks.map((b) => b.eip), fallbacks: [], helpers: [],
      fn, from: "source", hot: null, pages: codePagesOf(blocks), notRun,
    };
  };
}
