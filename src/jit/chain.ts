// Chaining: a region leaving to an address calls the region that goes on there itself, instead
// of returning to the engine's loop. The engine records, in a small direct-mapped table, the
// region it enters at each address; compiled code looks there when it leaves (two array loads
// and a compare) and calls the region found if it is still valid and its code pages were
// found mapped as compiled in the current TLB epoch (codepages.ts). After the epoch moves (a
// context switch, an unmap), a region is left to the engine, which checks its pages again
// before entering it: so a stale entry (another address space, a remapped page) never runs,
// and compiled code makes no call that is first taken long after V8 optimised it (the check's
// call, inlined into every region with leave(), made V8 deoptimise regions of perl). The call is
// the region's last act, outside its try (a fault further down the chain is not seen by it),
// and the depth is bounded, since JavaScript has no tail calls.

import { TLB_EPOCH, type Cpu } from "../hw/cpu.js";
import { EIP } from "../hw/state.js";
import type { CodeChecked } from "./codepages.js";

/** A region's function: runs from EIP with `n` instructions of budget and returns the budget
 *  left. `d` is how many regions deep its chain is. */
export type RegionFn = (c: Cpu, n: number, d: number) => number;

/** What a chain table entry needs of a region. */
export interface Chainable extends CodeChecked {
  /** (ChainTable.warm puts stand-ins in place for a moment) */
  fn: RegionFn;
  valid: boolean;
  /** Guest instructions it has run (counted at its exits; region.ts tiering). */
  work: number;
  /** At this much work its first tier gives way to code V8 optimises (Infinity: done). */
  promoteAt: number;
  promote(): void;
  /** Entered through a chain since the cache last looked (for its LRU eviction). */
  chained: boolean;
}

/** Regions one chain may nest before it unwinds to the engine. Each level costs a region's
 *  frame and leave()'s on the host stack: 64 levels of x87 n-body's regions (the largest frames
 *  seen) run within 150 KB of stack (`node --stack-size=150`), and 96 did not; V8's default is
 *  984 KB. Each unwinding costs an entry from the engine: at 24, perf/programs/strings made
 *  610k of them for 14M chained entries; at 64, 152-180k for 10-11.5M (`--stats`), and it ran
 *  8% faster (wall, three interleaved runs each), Debian's perl and bash the same. */
export const MAX_CHAIN = 64;

/** Least budget a region must have left to chain. A region stops at a check point when less is
 *  left than the way ahead of it (budget.ts), and the region registered there would stop at
 *  once for the same reason, leave, and chain again: every budget a region ran out of ended in
 *  MAX_CHAIN calls of regions that did nothing (`--stats`: sieve made 8.8 M chained entries for
 *  148k entries from the engine, n-body with SSE 567k for 9k). With less than this left, the
 *  engine takes over, once per budget (REGION_BUDGET), and hands out the next. Above what any
 *  check point needs (MAX_AHEAD and two blocks of at most 128 instructions). */
export const CHAIN_MIN_BUDGET = 1024;

export const CHAIN_BITS = 12;
export const CHAIN_MASK = (1 << CHAIN_BITS) - 1;

/** The slot of address `eip` (the generated code computes the same). */
export function chainSlot(eip: number): number {
  return (eip ^ (eip >>> CHAIN_BITS)) & CHAIN_MASK;
}

const NONE: Chainable = { fn: () => 0, valid: false, chained: false, pages: new Int32Array(0), ep: -1, work: 0, promoteAt: Infinity, promote: () => {} };

export class ChainTable {
  /** Address of each slot's region entry (0 with NONE: never matches a valid region). */
  readonly pcs = new Int32Array(CHAIN_MASK + 1);
  readonly regions: Chainable[] = new Array<Chainable>(CHAIN_MASK + 1).fill(NONE);
  /** [0]: region entries made through chains; [1]: returns to the frame of a region whose call
   *  went through link(). */
  readonly count = new Float64Array(2);

  /**
   * A region's exit, shared by every region: unless the CPU leaves for the host (a system call,
   * a hook) or the chain is `MAX_CHAIN` deep already, the region registered at `pc` runs next,
   * from here; otherwise `me` (the region leaving) is left in Cpu.jitFrom for the engine.
   *
   * One function for all regions, for two reasons. Its call of the next region soon sees many
   * targets, so V8 never speculates on one (a region calling a region directly got optimised
   * for the one it called first, and deoptimised at the next). And V8 inlines it with its own
   * type feedback, which every region's exits warm: written out in each region, a region
   * optimised before its first chained exit deoptimised there ("insufficient type feedback"),
   * and was optimised again from scratch.
   */
  readonly leave = (c: Cpu, n: number, d: number, pc: number, me: Chainable | null, n0: number): number => {
    if (me !== null && (me.work += n0 - n) >= me.promoteAt) me.promote();
    // (the address a region calling through link() expects its callee to return to: back to
    // that region's frame, which goes on there itself, rather than one chain deeper)
    const sp = this.rsp;
    if (sp !== 0 && this.rets[sp - 1] === pc) {
      this.count[1]++;
      if (me !== null) c.jitFrom = me;
      return n;
    }
    if (c.exit === 0 && d < MAX_CHAIN && n >= CHAIN_MIN_BUDGET && c.flat) {
      const h = chainSlot(pc);
      const r = this.regions[h];
      if (this.pcs[h] === pc && r.valid && r.ep === TLB_EPOCH[0]) {
        r.chained = true;
        this.count[0]++;
        return r.fn(c, n, d + 1);
      }
    }
    if (me !== null) c.jitFrom = me;
    return n;
  };

  /** Return addresses expected by the regions whose calls are under way through link(),
   *  innermost last (`rsp` of them). */
  readonly rets = new Int32Array(MAX_CHAIN + 2);
  rsp = 0;

  /**
   * A region's exit by a call to `pc` whose return address `ret` is one of its own entry
   * points: the callee runs through leave(), as for any exit, but when compiled code returns to
   * `ret` (leave() sees it expected), the chain unwinds to the caller's frame, which goes on
   * from `ret` itself if the state allows (compile.ts). So a call and its return cost one
   * region entry instead of two, and calls made in a loop do not deepen the chain until it
   * unwinds to the engine at MAX_CHAIN. Returns the budget left; the registers are in the
   * register file (the caller reloads its locals from there).
   *
   * Nothing here is trusted: the caller goes on only if EIP is `ret`, no exit is pending and
   * its own code is still valid in this TLB epoch; any other return (a longjmp past it, a
   * budget running out, a stale expectation) leaves EIP where execution goes on, as every exit
   * does. A fault thrown through the caller leaves `rsp` behind; set() starts it at 0 again.
   */
  readonly link = (c: Cpu, n: number, d: number, pc: number, me: Chainable, n0: number, ret: number): number => {
    const sp = this.rsp;
    // (0: no call under way, an exit like any other, which a region that links its calls makes
    // through here too: compile.ts)
    if (ret === 0 || sp >= this.rets.length) return this.leave(c, n, d, pc, me, n0);
    this.rets[sp] = ret;
    this.rsp = sp + 1;
    n = this.leave(c, n, d, pc, me, n0);
    this.rsp = sp;
    return n;
  };

  /** Whether leave() has called the two stand-ins (see warm). */
  private warmed = false;

  /** Compiled code leaving to `eip` will go on in `r`, which the engine enters now on CPU `c`. */
  set(eip: number, r: Chainable, c: Cpu): void {
    this.rsp = 0;
    const h = chainSlot(eip);
    this.pcs[h] = eip;
    this.regions[h] = r;
    if (!this.warmed) this.warm(c, eip, r);
  }

  /**
   * Has leave() chain to region `r` (entered at `eip`) a few dozen times, with two functions of
   * its own in place of r's, before any region runs: its call of the next region then has
   * megamorphic feedback from the start, and V8 never speculates on its target. Otherwise a
   * region optimised while every chain so far had gone to one region got leave() inlined with
   * a call of that one only, and deoptimised ("wrong call target") at the first chain
   * elsewhere, then ran in the baseline tier until optimised again (sha256: 3 regions, each
   * compiled twice; nbody with SSE: its 50 KB loop region). A real region, not a stand-in
   * object: what leave() reads of it then has feedback for regions only (stand-ins gave a
   * region optimised before any real chain a "wrong map" deopt at the first).
   *
   * The calls go through link() too, as a call whose return comes back (leave() finds it on the
   * shadow stack), as one whose callee chains on, and as an exit with no call under way (which
   * a region that links its calls makes there: compile.ts): those paths of leave() and link() are
   * otherwise first taken when some region's call is linked, often after V8 optimised regions
   * with leave() inlined, and each such region deoptimised there ("insufficient type feedback
   * for generic named access": Debian's sort and perl), with its activations further up the
   * chain, and was compiled again. So is linkBack(), which the caller's code runs then.
   */
  private warm(c: Cpu, eip: number, r: Chainable): void {
    if (c.exit !== 0 || !c.flat || !r.valid || r.ep !== TLB_EPOCH[0]) return;
    this.warmed = true;
    const fn = r.fn, chained = r.chained, jitFrom = c.jitFrom, count = this.count[0], returns = this.count[1], sp = this.rsp;
    // (as the region leaving, for link(): it gains no work, so it is not promoted here)
    const me = r.work < r.promoteAt ? r : null;
    try {
      // (V8 gives a function its feedback vector only after a few calls: calls before then
      // leave no feedback)
      for (let k = 0; k < WARM_CALLS; k++) {
        r.fn = WARM_FNS[k & 1];
        const way = k % 4;
        if (me === null || way === 0) this.leave(c, CHAIN_MIN_BUDGET, 0, eip, null, CHAIN_MIN_BUDGET);
        else {
          // (and an exit with no call under way, which a region that links calls makes here)
          this.link(c, CHAIN_MIN_BUDGET, 0, eip, me, CHAIN_MIN_BUDGET, way === 1 ? eip : way === 2 ? eip ^ 1 : 0);
          // (and the test a region makes on a linked call's return, through to its last clause)
          if (way === 1) linkBack(c, c.r[EIP], me);
        }
        this.rsp = 0;
      }
    } finally {
      r.fn = fn;
      r.chained = chained;
      c.jitFrom = jitFrom;
      this.count[0] = count;
      this.count[1] = returns;
      this.rsp = sp;
    }
  }
}

/** Whether a region whose call went through link() goes on from its return address `ret`: the
 *  callee returned there, no exit is pending, and the region's code is still valid in this TLB
 *  epoch (leave's test for a region it calls). */
export function linkBack(c: Cpu, ret: number, me: Chainable): boolean {
  return c.r[EIP] === ret && c.exit === 0 && me.valid && me.ep === TLB_EPOCH[0];
}

/** Calls of leave() by ChainTable.warm, alternately to each of two functions of their own (two
 *  function literals: V8 tells call targets apart by theirs). */
const WARM_CALLS = 64;
const WARM_FNS: RegionFn[] = [(_c, n) => n, (_c, n) => n | 0];
