// Chaining: a region leaving to an address calls the region that goes on there itself, instead
// of returning to the engine's loop. The engine records, in a small direct-mapped table, the
// region it enters at each address; compiled code looks there when it leaves (two array loads
// and a compare) and calls the region found if it is still valid. That region's entry checks
// then verify its code pages are mapped as compiled, as they do when the engine enters it, so a
// stale entry (another address space, a remapped page) costs a call that returns at once, and
// the engine takes over. The call is the region's last act, outside its try (a fault further
// down the chain is not seen by it), and the depth is bounded, since JavaScript has no tail
// calls.

import type { Cpu } from "../hw/cpu.js";

/** A region's function: runs from EIP with `n` instructions of budget and returns the budget
 *  left. `d` is how many regions deep its chain is. */
export type RegionFn = (c: Cpu, n: number, d: number) => number;

/** What a chain table entry needs of a region. */
export interface Chainable {
  readonly fn: RegionFn;
  valid: boolean;
  /** Entered through a chain since the cache last looked (for its LRU eviction). */
  chained: boolean;
}

/** Regions one chain may nest before it unwinds to the engine. */
export const MAX_CHAIN = 24;

export const CHAIN_BITS = 12;
export const CHAIN_MASK = (1 << CHAIN_BITS) - 1;

/** The slot of address `eip` (the generated code computes the same). */
export function chainSlot(eip: number): number {
  return (eip ^ (eip >>> CHAIN_BITS)) & CHAIN_MASK;
}

const NONE: Chainable = { fn: () => 0, valid: false, chained: false };

export class ChainTable {
  /** Address of each slot's region entry (0 with NONE: never matches a valid region). */
  readonly pcs = new Int32Array(CHAIN_MASK + 1);
  readonly regions: Chainable[] = new Array<Chainable>(CHAIN_MASK + 1).fill(NONE);
  /** [0]: region entries made through chains. */
  readonly count = new Float64Array(1);

  /** Enters `r` from a region `d` deep. One function shared by every region's exit, so its
   *  call site soon sees many targets and V8 never speculates on one (a region calling a
   *  region directly got optimised for the one it called first, and deoptimised at the next). */
  readonly enter = (r: Chainable, c: Cpu, n: number, d: number): number => {
    r.chained = true;
    this.count[0]++;
    return r.fn(c, n, d + 1);
  };

  /** Compiled code leaving to `eip` will go on in `r`. */
  set(eip: number, r: Chainable): void {
    const h = chainSlot(eip);
    this.pcs[h] = eip;
    this.regions[h] = r;
  }
}
