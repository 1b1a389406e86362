// The wasm tier in the engine (docs/wasm-tier.md): where a region is formed from a block this
// tier translates, the blocks it translates that the entry reaches through each other become one
// WebAssembly function, if they loop: a Region like any other to the engine and the chain table,
// entered at any of its blocks. It leaves, with the state exact, at a block outside it, at the
// end of its budget, or before an access the TLB cannot serve (the interpreter then runs that
// instruction: a fault, a code write, a TLB refill, MMIO); then it goes on as compiled code
// leaving does (chain.ts). The blocks it does not take stay with the JavaScript tier.

import type { Block } from "../../decoder/block.js";
import type { PhysMemory } from "../../hw/memory.js";
import { EIP } from "../../hw/state.js";
import { staticTargets } from "../successors.js";
import { codePagesOf } from "../codepages.js";
import type { ChainTable, Chainable, RegionFn } from "../chain.js";
import type { Compiled } from "../compile.js";
import { compileRegion, takes } from "./block.js";

/** Most blocks and instructions in one wasm region. */
const MAX_BLOCKS = 256, MAX_INSNS = 4000;

/** The blocks the tier would compile from `entry`: the decoded blocks it translates that the
 *  entry reaches through them over static and observed edges, taking in loops other regions
 *  hold (a loop nest becomes one function, with no transitions between its levels); null
 *  unless they include a loop. */
export function wasmBlocks(entry: Block, blockAt: (eip: number) => Block | null): Block[] | null {
  if (!usable(entry)) return null;
  const out: Block[] = [];
  const seen = new Set<number>([entry.eip]);
  const queue = [entry];
  let loops = false, insns = 0;
  while (queue.length > 0 && out.length < MAX_BLOCKS) {
    const b = queue.shift() as Block;
    if (insns + b.insns.length > MAX_INSNS) continue;
    out.push(b);
    insns += b.insns.length;
    for (const eip of [...(staticTargets(b) ?? []), ...b.succ.map((s) => s.eip)]) {
      if (seen.has(eip)) {
        if (eip <= b.eip) loops = true;
        continue;
      }
      const s = blockAt(eip);
      if (s === null || !usable(s)) continue;
      seen.add(eip);
      queue.push(s);
    }
  }
  return loops ? out : null;
}

function usable(b: Block): boolean {
  return b.valid && !b.nojit && b.hooks === 0 && takes(b.insns);
}

/** `blocks` (wasmBlocks) compiled to a module, as what makes the engine's Region's code given
 *  the Region itself; null if the module was refused. */
export function compileWasm(blocks: readonly Block[], mem: PhysMemory, chain: ChainTable | null): ((self: Chainable) => Compiled) | null {
  const w = compileRegion(blocks.map((b) => b.insns), mem);
  if (w === null) return null;
  const insns = blocks.reduce((s, b) => s + b.insns.length, 0);
  const notRun = new Map<number, number>();
  for (const b of blocks) b.insns.forEach((x, k) => notRun.set(x.eip, b.insns.length - k));
  return (self) => {
    const fn: RegionFn = (c, n, d) => {
      // (the TLB it reads is the one in the memory: a CPU with arrays of its own gets no
      // progress, and the interpreter runs the block)
      if (!c.tlbInMemory) return n;
      const left = w.run(c, n);
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
