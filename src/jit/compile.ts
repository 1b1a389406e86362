// Region compilation: a set of blocks becomes one JavaScript function that keeps the guest
// registers and lazy flags in locals, with the blocks' jumps turned into structured control flow
// (structure.ts), so the guest's loops are JavaScript loops V8 optimises as such. Computed jumps
// and returns compare the target with the addresses seen before and continue inside when they
// match. At an address outside the region the function writes its locals back and calls the
// region that goes on there (chain.ts), or returns to the engine if there is none; a system
// call or the end of its instruction budget returns to the engine; a fault thrown inside writes
// the locals back first. Flags are computed only where a later instruction of the region may
// read them.
//
// Every page its code came from must still be mapped as at compile time when it runs, since the
// guest can remap pages between two runs of it: its caller checks that (codepages.ts), or, for a
// function compiled without a Region, the function itself on entry.

import * as vm from "node:vm";
import {
  type Node, id, num, t, assign, ifs, brk, letDecl, labeled, block, forever, switchCase, switchStmt, tryCatch, throwStmt, fn, ret, str, expr, call, cond, print, goto,
  EXIT_LABEL, DISPATCH_LABEL,
} from "./ast.js";
import { Emitter, REG_LOCALS, FLAG_LOCALS, FLAG_VARS, FUSED_VARS, FUSED_LOCALS } from "./emit.js";
import { translate, translateInline, fallback, type Ending } from "./translate.js";
import { translateRun, runnable, X87_HELPERS, X87_LOCALS } from "./x87.js";
import { SIMD_RUNTIME, SIMD_OP_HELPERS, LaneUse, simdLocals, simdBarrier, simdBoundary, simdBeginBlock, simdFaultFlush, simdPinnedReload, simdLanesClean } from "./simd.js";
import { faultOnlyRotates, flagLiveness, flagsLiveIn } from "./liveness.js";
import { type CfgNode } from "./structure.js";
import { resumableFlow, budgetTests, type BudgetMark } from "./budget.js";
import { baselineNow, codeCacheFlags, COLD_PREFIX, HOT_PREFIX } from "./v8tuning.js";
import { planStack, windowKey, WINDOW_MISS, BASE_MISS, WINDOW_SHAPE_MISS, BASE_SHAPE_MISS, WINDOWS_ALL, WINDOWS_NONE, type StackWindow } from "./stackwin.js";
import { staticTargets } from "./successors.js";
import { foldedThunkCalls, thunkInsns } from "./pcthunk.js";
import { type Insn, Op, K_MEM, K_IMM } from "../hw/isa.js";
import { EIP, ESP, FLAGS, FOP, FA, FB, FR, ARITH_FLAGS } from "../hw/state.js";
import { Block } from "../decoder/block.js";
import { cfOf, condOf, flagsOf, PARITY } from "../hw/flags.js";
import { imulFlags, mulHiU32, mulHiS32 } from "../hw/alu.js";
import { checkLimit } from "../hw/interp/operand.js";
import { TLB_KEY, type Cpu } from "../hw/cpu.js";
import { codePage, codePagesOf } from "./codepages.js";
import { type Machine, MACHINE_VIEWS, SIMD_VIEWS, boundView, NO_MACHINE } from "./views.js";
import { HANDLER_CALLS } from "./handlercalls.js";
import { linkBack, MAX_CHAIN, type RegionFn, type ChainTable } from "./chain.js";
import { HOOK_HELPERS, emitHookCall, blockHooked, codeHooked, nextCodeHook } from "./hookcode.js";

export type { RegionFn } from "./chain.js";

/** A region's code before V8 compiles it: all a saved translation needs besides the blocks
 *  (saved.ts). It is a function of the blocks' bytes, the successors predicted for them and
 *  compileRegion's options alone. */
export interface RegionCode {
  source: string;
  insns: number;
  /** Blocks reachable from the entry points (the others were left out of the code). */
  reachable: number;
  /** Addresses where the engine may enter the function (the first is the region's entry). */
  entries: number[];
  /** Addresses of the instructions its code hands to their interpreter handlers (I[k]). */
  fallbacks: number[];
  /** Names of what its factory takes from H (helpersNamed). */
  helpers: string[];
}

export interface Compiled extends RegionCode {
  fn: RegionFn;
  /** How V8 made `fn`'s factory (factoryFor). */
  from: MadeFrom;
  /** For code named as a first tier (v8tuning.ts COLD_PREFIX): makes the function V8 may optimise. */
  hot: (() => RegionFn) | null;
  /** Its code pages, which the caller checks when it has a token (codepages.ts). */
  pages: Int32Array;
  /** For each instruction address: how many instructions of its block (as compiled) are
   *  counted but not run when it faults there (itself and those after it); -1 where that is
   *  ambiguous (an address compiled in two blocks). */
  notRun: Map<number, number>;
  /** A wasm region's module (wasm/region.ts), which a store keeps with it (saved.ts). */
  module?: Uint8Array;
}

/** Compiled.notRun for the (cut) blocks of a region (a block that folds a PC thunk's call
 *  counts the thunk's instructions too: pcthunk.ts). */
function notRunMap(blocks: readonly Block[]): Map<number, number> {
  const out = new Map<number, number>();
  const folded = foldedThunkCalls(blocks);
  for (const b of blocks) {
    const len = b.insns.length, extra = thunkInsns(b, folded);
    for (let k = 0; k < len; k++) {
      const eip = b.insns[k].eip, old = out.get(eip), n = len - k + extra;
      out.set(eip, old === undefined || old === n ? n : -1);
    }
  }
  return out;
}

const FLAG_SLOTS = [FLAGS, FOP, FA, FB, FR];

/** Writes the register and flag locals back to the register file. Compiled code calls it
 *  rather than storing inline: exits are rare until a function has been optimised, and V8
 *  deoptimises stores that have no type feedback yet, while a call without feedback is fine. */
function writeBack(
  c: Cpu, r0: number, r1: number, r2: number, r3: number, r4: number, r5: number, r6: number, r7: number,
  fl: number, fop: number, fa: number, fb: number, fr: number, pc: number, nb: number,
): void {
  const R = c.r;
  R[0] = r0; R[1] = r1; R[2] = r2; R[3] = r3; R[4] = r4; R[5] = r5; R[6] = r6; R[7] = r7;
  R[FLAGS] = fl; R[FOP] = fop; R[FA] = fa; R[FB] = fb; R[FR] = fr;
  R[EIP] = pc;
  c.jitLeftAt = nb;
}

/** A call writing every local back, with EIP = `pc` (and Cpu.jitLeftAt = `nb`). */
function flushAll(pc: Node, nb: Node = num(0)): Node[] {
  return [expr(call(id("writeBack"), [id("c"), ...REG_LOCALS.map(id), ...FLAG_LOCALS.map(id), pc, nb]))];
}

/** The chain depth a region function is called with to run its fault handler (warmCatch). */
const WARM_CATCH = -1;

/**
 * Runs the fault handler of a region function V8 may optimise once, before it does: called
 * with WARM_CATCH, the function throws at once, and its handler writes back the registers it
 * has just loaded (no change) and rethrows. The handler is otherwise first run by a fault, or a
 * stack window's failed check, long after V8 optimised the function, and its comparisons and
 * calls, which had no type feedback, deoptimised the whole region (3 of the 5 deopts of Debian's
 * sort's regions, 8 of 16 in a bash loop's). A region with SIMD code writes back every lane it
 * uses there (LaneUse.all), from locals that hold the slots' values only where the region loads
 * them on entry. What it sets of the CPU's own is put back, the XMM register file included.
 */
export function warmCatch(fn: RegionFn, c: Cpu): void {
  const from = c.jitFrom, left = c.jitLeft, leftAt = c.jitLeftAt;
  const xmm = c.sse.i32.slice();
  try {
    fn(c, 0, WARM_CATCH);
  } catch {
    // (the point: it threw, through its handler)
  }
  c.sse.i32.set(xmm);
  c.jitFrom = from;
  c.jitLeft = left;
  c.jitLeftAt = leftAt;
}

/** Memory slow paths, called as functions for the same reason. */
const rd8 = (c: Cpu, a: number): number => c.rd8(a);
const rd16 = (c: Cpu, a: number): number => c.rd16(a);
const rd32 = (c: Cpu, a: number): number => c.rd32(a);
const wr8 = (c: Cpu, a: number, v: number): void => c.wr8(a, v);
const wr16 = (c: Cpu, a: number, v: number): void => c.wr16(a, v);
const wr32 = (c: Cpu, a: number, v: number): void => c.wr32(a, v);
/** A trap to the host (`int n`): EIP is set by the exit's writeBack. */
const trap = (c: Cpu, vector: number): void => {
  c.exit = 1;
  c.exitArg = vector;
};
/** A fault or code write inside compiled code: how much budget was left (the engine's count). */
const faulted = (c: Cpu, n: number, me: object | null): void => {
  c.jitLeft = n;
  if (me !== null) c.jitFrom = me;
};

/** Live arithmetic flags at the end of each block, given the region's static edges: a block
 *  whose every successor is a block of the region needs only what they need on entry; one
 *  that can leave the region (computed jumps, exits) needs every flag. */
function regionLiveness(blocks: readonly Block[], inRegion: Map<number, Block>): Map<Block, number> {
  const succ = new Map<Block, Block[] | null>();
  for (const b of blocks) {
    const known = staticTargets(b)?.map((t) => inRegion.get(t));
    succ.set(b, known && known.every((s) => s !== undefined) ? (known as Block[]) : null);
  }
  const liveIn = new Map<Block, number>(blocks.map((b) => [b, 0]));
  const atEnd = (b: Block): number => {
    const ss = succ.get(b);
    return ss ? ss.reduce((m, s) => m | (liveIn.get(s) as number), 0) : ARITH_FLAGS;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let k = blocks.length - 1; k >= 0; k--) {
      const b = blocks[k];
      // (a hooked block may be seen by a hook on entry: with every flag)
      const v = b.hooks !== 0 ? ARITH_FLAGS : flagsLiveIn(b.insns, atEnd(b));
      if (v !== liveIn.get(b)) {
        liveIn.set(b, v);
        changed = true;
      }
    }
  }
  return new Map(blocks.map((b) => [b, atEnd(b)]));
}

/** Flag producers translated inline, whose record can live in scratch locals. */
const FUSABLE_PRODUCERS = new Set<number>([Op.CMP, Op.TEST, Op.ADD, Op.SUB, Op.AND, Op.OR, Op.XOR, Op.INC, Op.DEC]);

/** Whether x's flags are read by y alone (a compare-and-branch): y is a Jcc, or a SETcc/CMOVcc
 *  that cannot fault (a fault between them would restart y without x's flags); y reads only
 *  flags x writes; and none of x's flags is live after y. */
function fusable(x: Insn, y: Insn, liveAfterY: number): boolean {
  if (!FUSABLE_PRODUCERS.has(x.op)) return false;
  const consumer = y.op === Op.JCC || ((y.op === Op.SETCC || y.op === Op.CMOV) && y.k0 !== K_MEM && y.k1 !== K_MEM);
  if (!consumer) return false;
  const written = x.flagsWritten & ARITH_FLAGS;
  return (y.flagsRead & ARITH_FLAGS & ~written) === 0 && (liveAfterY & written) === 0;
}

/** Where control can enter the region's code other than by its static edges: the entry, the
 *  blocks computed jumps and returns were seen to reach, return addresses of its calls, and
 *  where execution resumes after its exits to the host. */
function entryPoints(blocks: readonly Block[], inRegion: Map<number, Block>, predicted: (b: Block) => readonly number[]): number[] {
  const out = [blocks[0].eip];
  for (const b of blocks) {
    const x = b.insns[b.insns.length - 1];
    if (staticTargets(b) === null || x.op === Op.CALL) {
      out.push(x.next);
      out.push(...predicted(b));
    }
  }
  return out.filter((e) => inRegion.has(e));
}

/** Whether x is a 32-bit call whose return address is one of the region's blocks. */
function callsBack(x: Insn, inRegion: Map<number, Block>): boolean {
  return x.op === Op.CALL && x.osz === 4 && inRegion.has(x.next);
}

/** Whether call x, the last instruction of its block, leaves the region through link()
 *  (chain.ts): its return address is one of the region's blocks, and its target is not known
 *  to be (a call within the region stays in its code anyway). */
function linkedCall(x: Insn, inRegion: Map<number, Block>): boolean {
  return callsBack(x, inRegion) && !(x.k0 === K_IMM && inRegion.has(x.target));
}

/** Whether call x, the last instruction of its block, goes to a stub of the region's own code
 *  that leaves it at once, and returns to a block of it: a call through the PLT, whose stub
 *  (`jmp *GOT`, a block of one jump through memory) the region holds, where the function it
 *  jumps to has not been seen in the region. Such a call's return address is noted (`cr`) as a
 *  linked call's is, so that the stub's exit goes through link(), and the function's return to
 *  this frame; it came back through a chain into a region entered at the return address, one
 *  level deeper (Debian's bash: 868,000 of its 13.4 M chained entries in a loop of 10,000
 *  passes were malloc's returns). (Noting it for every call that goes on in the region's code,
 *  whatever exit its callee then took, made many more regions link their calls: Debian's perl
 *  and sort took 8-10% more CPU.) The return address's block forgets it (returnSites), should
 *  the jump stay in the region after all. */
function callToStub(x: Insn, inRegion: Map<number, Block>): boolean {
  if (!callsBack(x, inRegion) || x.k0 !== K_IMM) return false;
  const stub = inRegion.get(x.target);
  if (stub === undefined || stub.insns.length !== 1) return false;
  const j = stub.insns[0];
  return j.op === Op.JMP && j.k0 === K_MEM && stub.succ.every((s) => !inRegion.has(s.eip));
}

/** Code-page checks at entry, for a region compiled without a token (a Region): each page the
 *  code was decoded from must still be mapped as it was. A Region's pages are checked before it
 *  is called instead (codepages.ts). */
function entryChecks(pages: Int32Array): Node[] {
  const checks: Node[] = [];
  for (let k = 0; k < pages.length; k += 2) {
    const v = pages[k], tag = pages[k + 1];
    // (the TLB holds entries XORed with TLB_KEY: hw/cpu.ts)
    checks.push(ifs(t("tlbR[$v] !== $s && !codePage(c, $a, $k)", { v: num(v), s: num((tag ^ TLB_KEY) | 0), k: num(tag), a: num((v << 12) | 0) }), [ret(id("n"))]));
  }
  return checks;
}

/** Helpers generated code calls (the flag evaluations are the interpreter's own). */
const HELPERS = { PARITY, cfOf, condOf, flagsOf, imulFlags, mulHiU32, mulHiS32, segLimit: checkLimit, codePage, writeBack, rd8, rd16, rd32, wr8, wr16, wr32, trap, faulted, WM: WINDOW_MISS, BM: BASE_MISS, WX: WINDOW_SHAPE_MISS, BX: BASE_SHAPE_MISS, HC: HANDLER_CALLS };

/** Blocks are decoded from their address to the next branch, so one block of a region can hold
 *  another (a loop's first block, entered both by falling into the loop and by its back edge,
 *  is inside the block before the loop). Each block is cut where another of the region begins
 *  and falls through to it, so the code is emitted once: V8's compile time grows with the
 *  function, and a copy that first runs after the function was optimised deoptimises it. */
function cutOverlaps(blocks: readonly Block[]): Block[] {
  // (not where a block hook runs: the interpreter reaches that address inside the longer block
  // without calling it, and so must compiled code)
  const starts = new Set(blocks.filter((b) => !blockHooked(b)).map((b) => b.eip));
  return blocks.map((b) => {
    for (let k = 1; k < b.insns.length; k++) {
      if (starts.has(b.insns[k].eip)) {
        // The same block with fewer instructions: a Block of its own, not one made with the
        // original as its prototype (V8 gives an object that becomes a prototype a map of its
        // own, and the engine's accesses to blocks then met a new map, and deoptimised, for each).
        const view = new Block(b.eip, b.phys, b.insns.slice(0, k), b.csBase, b.bits);
        view.ppn1 = b.ppn1;
        view.hooks = b.hooks;
        view.codeHooks = b.codeHooks;
        view.misalignedAt = b.misalignedAt;
        return view;
      }
    }
    return b;
  });
}

type Factory = (i: Insn[], h: Record<string, unknown>, m: Machine) => RegionFn;

/** A factory, and the script V8 compiled it from (whose code cache a store may keep). */
interface Made {
  fn: Factory;
  script: vm.Script;
}

/** How a region's factory was made: found made already in this process, read from the V8 code
 *  cache given, compiled from its source with no cache given, or compiled from its source
 *  because V8 rejected the cache given. */
export type MadeFrom = "reused" | "cache" | "source" | "rejected";

/** Region factories by source, process-wide, least recently used first. The same code compiled
 *  again (by another machine, another run of a program, a worker's next task) gets the same
 *  factory, so V8 parses it once, and the region functions it makes share their function
 *  literal's feedback and optimised code: the second run of a program starts with optimised
 *  regions instead of compiling them all again. (Everything a region depends on besides its
 *  source comes in through I and H, per machine.) */
const factories = new Map<string, Made>();
let factoryBytes = 0;
/** Factories made from new source, and found made already (process-wide). */
export const factoryStats = { made: 0, reused: 0 };
/** Source bytes kept (the functions V8 made from them cost a few times that). */
export const FACTORY_CACHE_BYTES = 64 << 20;
/** The file name generated code has in V8's stack traces and profiles (each function is named
 *  for its region's entry). */
const REGION_FILE = "exojit:region";

/** The factory of region source `source`, and how it was made: made already, or compiled, from
 *  V8's code cache `cache` of that very source when one is given (a saved region's: its bytecode
 *  is read instead of the source parsed and compiled, about 10x faster; V8 compiles the source
 *  if it rejects the cache, as it does under other flags or another V8). */
function factoryFor(source: string, cache: Uint8Array | null = null): { fn: Factory; from: MadeFrom } {
  const made = factories.get(source);
  if (made !== undefined) {
    factories.delete(source); // (to the most recent end)
    factories.set(source, made);
    factoryStats.reused++;
    return { fn: made.fn, from: "reused" };
  }
  const script = codeCacheFlags(() => new vm.Script(`(function (I, H, M) {\n${source}\n})`, { filename: REGION_FILE, cachedData: cache ?? undefined }));
  const fn = script.runInThisContext() as Factory;
  factoryStats.made++;
  factories.set(source, { fn, script });
  factoryBytes += source.length;
  for (const [old] of factories) {
    if (factoryBytes <= FACTORY_CACHE_BYTES) break;
    factories.delete(old);
    factoryBytes -= old.length;
  }
  return { fn, from: cache === null ? "source" : script.cachedDataRejected === true ? "rejected" : "cache" };
}

/** V8's code cache of the factory of region source `source` (null if this process has not
 *  compiled it, or no longer keeps it), for a store to keep beside the source. Made under the
 *  flags factoryFor reads caches under. */
export function codeCacheOf(source: string): Buffer | null {
  const made = factories.get(source);
  if (made === undefined) return null;
  try {
    return codeCacheFlags(() => made.script.createCachedData());
  } catch {
    return null;
  }
}

/** Cpu.jitLeftAt when compiled code left before a stack window whose check failed: the
 *  instructions of the block not run, plus WINDOW_LEFT times the window's kind (WINDOW_KINDS:
 *  the engine counts them as the thrown misses, RegionCache.windowMiss). */
export const WINDOW_LEFT = 1 << 16;
/** Window kinds, by the miss objects a check throws where it may not leave: a stack window's
 *  page not in the TLB (WM), ESP's value ruling it out (WX), and the same of another base
 *  register's window (BM, BX). */
export const WINDOW_KINDS = { WM: 1, WX: 2, BM: 3, BX: 4 } as const;

/** The check before a stack window (stackwin.ts): its byte range from ESP lies in one page
 *  the TLB maps for its accesses, and ESP is 4-aligned; then `sk` holds the page's entry. If
 *  not, compiled code stops before the window's first instruction (at `eip`) as a fault there
 *  would, with nothing V8 would need type feedback for on a path first taken after the region
 *  is optimised: where it may leave (`notRun`, the instructions of the block from there, not
 *  0), as a memory access that cannot be made inline does (Emitter.sideExit), its kind in
 *  Cpu.jitLeftAt (WINDOW_LEFT); else by throwing WINDOW_MISS or its like, whose handler writes
 *  the state back. The engine goes on there either way. Leaving made TurboFan's zone allocation
 *  for Debian's bash loop 5% smaller (2.29 -> 2.18 GB, `node --turbo-stats`): a throw is a
 *  runtime call with a frame state and an edge to the handler, and most blocks that touch the
 *  stack have a check. */
function windowCheck(w: StackWindow, eip: number, notRun: number): Node[] {
  const lo = num(w.lo), r = id(`r${w.base}`), k = id(windowKey(w));
  const out: Node[] = [assign(k, t(w.writes ? "tlbW[($r + $lo | 0) >>> 12] ^ 4095" : "tlbR[($r + $lo | 0) >>> 12] ^ 4095", { r, lo }))];
  const a = num(w.align), room = num(4096 - (w.hi - w.lo));
  // Which of the two it is (the value's shape, or the TLB) is worked out on the way in, where
  // every pass has type feedback for it: the cold path only picks a constant on a boolean.
  out.push(assign(id("sx"), t("($r & $a) !== 0 || ($r + $lo & 4095) > $room", { r, a, lo, room })));
  let bad = t("sx || ($k & 4095) !== 0", { k });
  // (a page the TLB maps for writing but not reading, as a read hook leaves it, is not used)
  if (w.writes && w.reads) bad = t("$b || (tlbR[($r + $lo | 0) >>> 12] ^ 4095) !== $k", { b: bad, r, lo, k });
  const [tlbMiss, shapeMiss] = w.base === ESP ? ["WM", "WX"] as const : ["BM", "BX"] as const;
  if (notRun === 0) out.push(ifs(bad, [assign(id("ip"), num(eip)), throwStmt(cond(id("sx"), id(shapeMiss), id(tlbMiss)))]));
  else {
    const left = (kind: number): Node => num(notRun + kind * WINDOW_LEFT);
    out.push(ifs(bad, [
      assign(id("nb"), cond(id("sx"), left(WINDOW_KINDS[shapeMiss]), left(WINDOW_KINDS[tlbMiss]))), assign(id("pc"), num(eip)), assign(id("d"), num(MAX_CHAIN)), brk(EXIT_LABEL),
    ]));
  }
  return out;
}

/** XMM registers are pinned in locals across a region's blocks only when the blocks with SIMD
 *  code hold at least 1/PIN_SHARE of its instructions. Pinned lanes are loaded at every entry
 *  and written back at every exit, and stay live, with an edge into the fault handler, across
 *  the whole region: a packed loop gains (imgfilter runs 1.6 times slower unpinned), but a
 *  large region with a copy of glibc's SSE2 strchr or memcpy among its blocks pays at every
 *  call and return it makes. Pinning only regions at least half SIMD: the strings benchmark
 *  3.97 -> 3.80 s of CPU, Debian's python3 9.6 -> 9.2 s, bash 16.1 -> 15.7 s; imgfilter and
 *  nbody_sse the same. */
export const PIN_SHARE = 2;

/** No instruction addresses (compileRegion's anyAlignAt default, Region.anyAlignAt's). */
export const NO_ADDRESSES: ReadonlySet<number> = new Set();

/** Compiles blocks (the first is the entry) into a region function. */
export function compileRegion(
  regionBlocks: readonly Block[],
  name: string,
  predicted: (b: Block) => readonly number[] = () => [],
  chain: ChainTable | null = null,
  /** The engine's token for this region: compiled code leaves it in Cpu.jitFrom when it
   *  returns to the engine or faults (the last region of a chain is the one that did). */
  self: object | null = null,
  /** Indented source (for people reading it; the engine compiles it without). */
  pretty = true,
  /** The windows it uses (stackwin.ts WINDOWS_*): fewer for a region whose checks kept failing. */
  windows = WINDOWS_ALL,
  /** Whether a memory access the inline path cannot make leaves the region (Emitter.sideExit)
   *  rather than calling the slow path: not while an embedder's hooks watch memory, whose
   *  pages never get a TLB entry (every access to them would leave). */
  leaves = true,
  /** Instructions whose accesses may be misaligned inline (an earlier version kept leaving
   *  there: Region.leftAt), besides those the interpreter saw misaligned data at
   *  (Block.misalignedAt); elsewhere a misaligned access leaves too. */
  anyAlignAt: ReadonlySet<number> = NO_ADDRESSES,
  /** Instructions whose SIMD memory operands call the slow path rather than stop the region
   *  where their page is out of reach (an earlier version kept stopping there: Region.callAt). */
  callAt: ReadonlySet<number> = NO_ADDRESSES,
  /** The CPU the code runs on (views.ts MACHINE_VIEWS); null: none (code made to be read:
   *  entering it throws). */
  machine: Machine | null = null,
): Compiled {
  const blocks = cutOverlaps(regionBlocks);
  const inRegion = new Map(blocks.map((b) => [b.eip, b]));
  const liveOut = regionLiveness(blocks, inRegion);
  let fallbacks: Insn[] = [];
  let nodes: CfgNode[] = [];
  let maxTemps = 0;
  let insns = 0;
  let x87 = false;
  let simd = false;
  let simdUses = new Set<string>();
  let lanes = new LaneUse();
  /** Instructions of the blocks with SIMD code. */
  let simdInsns = 0;
  /** Some rotate keeps its CF and OF aside in `fx` (Emitter.deferCfOf). */
  let usesFx = false;
  /** FS (1) and GS (2) segment overrides in the code (Emitter.segsUsed). */
  let segsUsed = 0;
  /** Calls that leave the region through link() (linkedCall), or may (callToStub). */
  let linkSites = 0;
  /** The blocks whose last instruction is such a call, and the return addresses of the calls
   *  to stubs within the region (callToStub): their blocks forget the return address noted
   *  (`cr`), the callee having returned. */
  const linking = new Set<number>(), returnSites = new Set<number>();
  if (chain !== null && self !== null) {
    for (const b of blocks) {
      const x = b.insns[b.insns.length - 1];
      if (linkedCall(x, inRegion)) linking.add(b.eip);
      else if (callToStub(x, inRegion)) {
        linking.add(b.eip);
        returnSites.add(x.next);
      }
    }
  }
  const hooked = blocks.some((b) => b.hooks !== 0);
  // (calls of PC thunks compiled as what they do)
  const folded = foldedThunkCalls(blocks);

  // Translated twice when the region has SIMD code (PIN_SHARE): XMM0-7 used as int32 lanes are
  // then pinned in their locals across the region's blocks (loop back edges keep them there).
  const translateBlocks = (pinned: number, pinnedD: number): void => {
  fallbacks = [];
  nodes = [];
  maxTemps = 0;
  insns = 0;
  x87 = false;
  simd = false;
  simdInsns = 0;
  usesFx = false;
  segsUsed = 0;
  linkSites = 0;
  simdUses = new Set<string>();
  lanes = new LaneUse();
  lanes.pinned = pinned;
  lanes.pinnedD = pinnedD;
  for (const b of blocks) {
    const em = new Emitter();
    const begin = simdBeginBlock(em, pinned, pinnedD);
    const live = flagLiveness(b.insns, liveOut.get(b), b.codeHooks);
    const last = b.insns[b.insns.length - 1];
    const len = b.insns.length;
    insns += len;
    // (a call of a PC thunk that the block does as well counts the thunk's instructions too)
    const thunk = folded.get(b.eip) ?? -1;
    const extra = thunkInsns(b, folded);
    // Budget: a block runs only if the whole of it fits; else compiled code stops before it.
    // (The exit path has no arithmetic: V8 would deoptimise on its first use for lack of type
    // feedback, since it is rarely taken before the function is optimised.)
    // (budget.ts keeps this test only at check points, for the longest way on from there)
    const test = ifs(t("n < $l", { l: num(len + extra) }), [assign(id("pc"), num(b.eip)), brk(EXIT_LABEL)]);
    test.budget = { eip: b.eip } satisfies BudgetMark;
    em.emit(test, assign(id("n"), t("n - $l | 0", { l: num(len + extra) })), ...begin);
    if (returnSites.has(b.eip)) em.emit(assign(id("cr"), num(0)));
    if (blockHooked(b)) emitHookCall(em, "hookBlock", b.eip, regionBlocks.find((o) => o.eip === b.eip)!.end - b.eip, len);
    let ending: Ending = { kind: "next" };
    const fxEnd = hooked ? null : faultOnlyRotates(b.insns);
    let fxUntil = -1;
    const stack = windows !== WINDOWS_NONE && b.hooks === 0 ? planStack(b.insns, windows === WINDOWS_ALL) : null;
    for (let k = 0; k < len; k++) {
      if (codeHooked(b, k)) emitHookCall(em, "hookCode", b.insns[k].eip, b.insns[k].len, len - k);
      // Whether code may leave the region at this instruction (Emitter.sideExit): not in hooked
      // code (the engine would run the instruction's hooks again), nor with XMM lanes not
      // written back.
      const mayLeave = leaves && !hooked && simdLanesClean(em);
      // (a failed check leaves the region as a memory access that cannot be made inline does
      // where one may, and no rotate's CF and OF are kept aside, which only the fault handler
      // applies: Emitter.leaveAt; else it throws, and the catch clause writes back the XMM
      // lanes `xdm` names and applies `fx`)
      const windowLeaves = mayLeave && !em.fxPending ? len - k + extra : 0;
      for (const w of stack?.windows ?? []) if (w.start === k) em.emit(...windowCheck(w, b.insns[k].eip, windowLeaves));
      em.window = stack !== null ? stack.covered[k] : null;
      // (an x87 run, or a compare fused with its branch, ends before the next hooked instruction)
      const upTo = nextCodeHook(b, k + 1);
      if (runnable(b.insns[k])) {
        em.emit(...simdBarrier(em));
        const base = k;
        const taken = translateRun(em, b.insns.slice(k, upTo), {
          slow: (x) => fallback({ em, x, live: 0, fallbackSlot: () => fallbacks.push(x) - 1 }),
          inline: (x, j) => translateInline({ em, x, live: live[base + j], fallbackSlot: () => fallbacks.push(x) - 1 }),
          fused: (j) => base + j + 1 < upTo && fusable(b.insns[base + j], b.insns[base + j + 1], live[base + j + 1]),
        });
        if (taken > 0) {
          x87 = true;
          em.x87Runs++;
          ending = { kind: "next" };
          k += taken - 1;
          continue;
        }
      }
      const consumer = em.flagVars !== FLAG_VARS;
      const fuse = !consumer && k + 1 < upTo && fusable(b.insns[k], b.insns[k + 1], live[k + 1]);
      if (fuse) em.flagVars = FUSED_VARS;
      if (k === len - 1 && linking.has(b.eip)) {
        em.emit(assign(id("cr"), num(b.insns[k].next)));
        linkSites++;
      }
      const mark = em.out.length, calls = em.handlerCalls, sets = em.fxSets;
      const faultOnlyFlags = fxEnd !== null && fxEnd[k] >= 0;
      // (nor for a repeated string instruction, whose misaligned accesses the interpreter makes
      // in bulk, not through the accessors that tell: RegionCache.leftAt)
      em.sideExit = mayLeave && b.insns[k].rep === 0 ? { eip: b.insns[k].eip, notRun: len - k + extra, anyAlign: b.misalignedAt.has(b.insns[k].eip) || anyAlignAt.has(b.insns[k].eip) } : null;
      em.simdMiss = leaves && !hooked && !callAt.has(b.insns[k].eip);
      em.simdMisaligned = b.misalignedAt.has(b.insns[k].eip) || anyAlignAt.has(b.insns[k].eip);
      ending = translate({ em, x: b.insns[k], live: live[k], after: len - k - 1 + extra, faultOnlyFlags, thunk: k === len - 1 ? thunk : -1, fallbackSlot: () => fallbacks.push(b.insns[k]) - 1 });
      em.sideExit = null;
      em.simdMiss = false;
      // CF and OF kept aside by a rotate hold until the instruction that overwrites them.
      if (em.fxSets !== sets) fxUntil = fxEnd![k];
      else if (k === fxUntil) em.dropFx();
      // Handlers, branches and exits see the XMM register file: cached lanes go back before them.
      if (ending.kind !== "next") em.out.splice(mark, 0, ...simdBoundary(em, em.handlerCalls !== calls));
      else if (em.handlerCalls !== calls) em.out.splice(mark, 0, ...simdBarrier(em));
      // After the consumer of a scratch record, the region's flag locals hold an older record
      // (the scratch one is dead by then): what produced it is not known statically. (If the
      // producer went to its handler, the handler wrote the region's locals and flagVars is
      // back to them already, which the consumer then reads.)
      if (consumer) {
        em.flagVars = FLAG_VARS;
        em.producer = -1;
      }
    }
    em.window = null;
    if (em.fxPending) throw new Error(`rotate flags kept aside past the end of block 0x${(b.eip >>> 0).toString(16)}`);
    if (em.fxSets !== 0) usesFx = true;
    segsUsed |= em.segsUsed;
    if (ending.kind === "next") em.emit(...simdBoundary(em, false), goto(last.next));
    if (em.simd) {
      simd = true;
      simdInsns += len;
    }
    for (const u of em.simdUses) simdUses.add(u);
    lanes.add(em);
    maxTemps = Math.max(maxTemps, em.maxTemps);
    nodes.push({ eip: b.eip, stmts: em.out });
  }
  };
  translateBlocks(0, 0);
  if (simd) {
    // int32 registers, and the double lanes of registers never used as int32 lanes
    const pinI = lanes.i & 0xff;
    let pinD = 0;
    for (let r = 0; r < 8; r++) if (((pinI >>> r) & 1) === 0) pinD |= lanes.d & (3 << (2 * r));
    // (not with hook calls: they write the XMM lanes back like handler calls, unpinned)
    // (and only where SIMD code is at least 1/PIN_SHARE of the region: see PIN_SHARE)
    if ((pinI !== 0 || pinD !== 0) && !hooked && simdInsns * PIN_SHARE >= insns) translateBlocks(pinI, pinD);
  }
  const lengths = new Map(blocks.map((b) => [b.eip, b.insns.length + thunkInsns(b, folded)]));
  const { flow, need } = resumableFlow(nodes, entryPoints(blocks, inRegion, predicted), (eip) => lengths.get(eip) as number);
  const budgeted = (code: Node[]): Node[] => budgetTests(code, need, (k) => t("n < $k", { k: num(k) }));
  const dispatch = switchStmt(id("pc"), [...flow.cases.map(([eip, code]) => switchCase(num(eip), budgeted(code))), switchCase(null, [brk(EXIT_LABEL)])]);

  const temps: [string, Node][] = [];
  for (let k = 0; k < maxTemps; k++) temps.push([`t${k}`, num(0)]);
  // The state the region's locals start from (at each entry, and in a region that links its
  // calls, each time it goes on after one: the same loads, which have V8's type feedback from
  // every entry; loads of their own there would have none when TurboFan compiles the region
  // before its first linked return, and deoptimise it there).
  const linked = linkSites !== 0;
  const state: [string, Node][] = [
    ...REG_LOCALS.map((r, k): [string, Node] => [r, t("R[$k]", { k: num(k) })]),
    ...FLAG_LOCALS.map((f, k): [string, Node] => [f, t("R[$k]", { k: num(FLAG_SLOTS[k]) })]),
    ["pc", t("R[$k]", { k: num(EIP) })],
    ["ip", id("pc")],
  ];
  const body: Node[] = [
    // (FS's and GS's base and limit only where the code uses them: each is a typed array's
    // element, a bounds check every entry pays for)
    ifs(t("c !== M"), [throwStmt(t("new Error(\"region code entered on a CPU it was not made for\")"))]),
    // The CPU itself from here on as the factory's constant: TurboFan then reads its fields
    // that never change (c.r in the write-back of every exit, c.sbase, c.sse) as constants, with
    // no map check, and the arrays they hold with known lengths (--print-opt-code of the largest
    // region of Debian's bash's loop: 22,509 instructions instead of 28,192, 16 "wrong map"
    // deopt exits instead of 58, 438 bounds checks instead of 673)
    expr(t("c = M")),
    // (the register file and memory's views, copied from the factory's constants: MACHINE_VIEWS)
    letDecl(MACHINE_VIEWS.map(([v, f]): [string, Node] => [v, id(boundView(f))]), "const"),
    ...(segsUsed !== 0 ? [letDecl([
      ...((segsUsed & 1) !== 0 ? [["fsb", t("c.sbase[4]")], ["fsl", t("c.slimit[4]")]] as [string, Node][] : []),
      ...((segsUsed & 2) !== 0 ? [["gsb", t("c.sbase[5]")], ["gsl", t("c.slimit[5]")]] as [string, Node][] : []),
    ], "const")] : []),
    ...(self === null ? entryChecks(codePagesOf(blocks)) : []),
    // An int32 from here on whatever the caller passed (the engine's count is a double; it
    // passes an int32): a region entered at a check point other than its first, which tests the
    // budget before subtracting from it, took a heap number to an exit optimised for a small
    // integer and deoptimised there.
    expr(t("n = n | 0")),
    letDecl([
      // (the budget at entry: the exit tells leave() how much this region ran, tiering)
      ...(chain !== null ? [["n0", id("n")] as [string, Node]] : []),
      ...state.map(([v, load]): [string, Node] => [v, linked ? num(0) : load]),
      ["e", num(0)],
      ["sk", num(0)],
      ["bk", num(0)],
      ["hx", num(0)],
      ["nb", num(0)],
      ["sx", t("false")],
      ...(usesFx ? [["fx", num(0)] as [string, Node]] : []),
      ...FUSED_LOCALS.map((v): [string, Node] => [v, num(0)]),
      ...(x87 ? X87_LOCALS : []),
      ...(simd ? simdLocals(lanes, linked) : []),
      ...(linked ? [["cr", num(0)] as [string, Node]] : []),
      ...temps,
    ]),
  ];
  const exit: Node[] = [
    // (a memory access or window check that left gives back the budget of the instructions not
    // run, and tells the engine: Emitter.sideExit; the bits of `nb` above them are a window's
    // kind, WINDOW_LEFT)
    assign(id("n"), t("n + (nb & $m) | 0", { m: num(WINDOW_LEFT - 1) })),
    // lanes still in locals at an exit (pinned registers) go back to the slots
    ...(lanes.pinned !== 0 || lanes.pinnedD !== 0 ? [simdFaultFlush(lanes)] : []),
    ...flushAll(id("pc"), id("nb")),
    assign(id("nb"), num(0)),
  ];
  // The dispatch loop holds the try and the exit's write-back: every way out of the region's
  // code (`break X`, thousands in a large region) ends the switch and goes on at the write-back
  // within the loop, and a fault's handler is within the loop too, so the loop has one exit, the
  // `break` after them. An exit or a call's exception edge that left the loop carried out every
  // value live after it: V8's graph builder made a LoopExitValue for each (14,347 of the 26,355
  // nodes TurboFan started from in one of Debian's bash's regions), and every phase until loop
  // peeling walked them.
  const run = labeled(DISPATCH_LABEL, forever([
    tryCatch(
      [ifs(t("d < 0"), [...(simd ? [assign(id("xdm"), num(lanes.all))] : []), throwStmt(id("ME"))]), labeled(EXIT_LABEL, dispatch), ...exit],
      "err",
      // After a fallback handler started (hx), the register file is already the truth.
      [
        ...(simd ? [simdFaultFlush(lanes)] : []),
        // (a rotate's CF and OF kept aside are part of the state the fault leaves)
        ...(usesFx ? [ifs(t("fx !== 0"), [assign(id("fl"), t("flagsOf(fop, fa, fb, fr, fl) & -2050 | fx & 2049")), assign(id("fop"), num(0))])] : []),
        ifs(t("hx === 0"), flushAll(id("ip")), [expr(t("R[8] = ip"))]),
        expr(t("faulted(c, n, ME)")),
        throwStmt(id("err")),
      ],
    ),
    brk(),
  ]));
  // (chain.ts: the next region runs from there, or the engine takes over)
  const leave = chain !== null ? [ret(t("leave(c, n, d, pc, ME, n0)"))] : [...(self !== null ? [expr(t("c.jitFrom = ME"))] : []), ret(id("n"))];
  if (!linked) body.push(run, ...leave);
  else {
    // A call that left the region runs its callee through link() (chain.ts), and when the
    // callee returns to `cr` (linkBack), the region goes on from there in this frame, its
    // locals loaded from the register file as on entry. (Calls only, on the way back: a
    // comparison or property load V8 has no feedback for deoptimises the region there.)
    body.push(forever([
      ...state.map(([v, load]) => assign(id(v), load)),
      ...(simd ? simdPinnedReload(lanes) : []),
      run,
      // (every exit through the one call of link(), which leaves as leave() does when no call
      // is under way: an exit of its own to leave(), seldom taken in a region most of whose
      // exits are calls, deoptimised it the first time it was, for want of type feedback)
      assign(id("n"), t("link(c, n, d, pc, ME, n0, cr)")),
      ifs(t("cr === 0 || !linkBack(c, cr, ME)"), [ret(id("n"))]),
      assign(id("cr"), num(0)),
      assign(id("n0"), id("n")),
      assign(id("hx"), num(0)),
    ]));
  }
  const helpers = [
    // (a region that links its calls leaves through link() alone)
    ...Object.keys(HELPERS), ...(chain !== null && !linked ? ["leave"] : []), ...(linked ? ["link", "linkBack"] : []), "ME", ...(x87 ? Object.keys(X87_HELPERS) : []), ...(simd ? Object.keys(SIMD_RUNTIME) : []),
    ...(hooked ? Object.keys(HOOK_HELPERS) : []), ...simdUses,
  ];
  const factory: Node[] = [
    expr(str("use strict")),
    letDecl([...helpers.map((k): [string, Node] => [k, t(`H.${k}`)]), ["mathImul", t("Math.imul")]], "const"),
    // (SIMD code reads guest memory's DataView as mdv, the same view as dv)
    letDecl([...new Set([...MACHINE_VIEWS, ...(simd ? SIMD_VIEWS : [])].map(([, f]) => f))].map((f): [string, Node] => [boundView(f), t(`M.${f}`)]), "const"),
  ];
  if (fallbacks.length > 0) {
    factory.push(letDecl(fallbacks.flatMap((_, k): [string, Node][] => [[`I${k}`, t("I[$k]", { k: num(k) })], [`H${k}`, t("$i.fn", { i: id(`I${k}`) })]]), "const"));
  }
  factory.push(ret(fn(name, ["c", "n", "d"], body)));
  const source = factory.map((s) => print(s, pretty)).join("\n");
  const code: RegionCode = { source, insns, reachable: flow.reachable, entries: flow.entries, fallbacks: fallbacks.map((x) => x.eip), helpers };
  return instantiate(blocks, code, fallbacks, chain, self, machine);
}

/** Everything generated code may take from H, by name (compiled code names what it takes). */
const ALL_HELPERS: Record<string, unknown> = { ...HELPERS, linkBack, ...X87_HELPERS, ...SIMD_RUNTIME, ...HOOK_HELPERS, ...SIMD_OP_HELPERS };

/** The helpers `names` for a region of `chain` with token `self`. */
function helpersNamed(names: readonly string[], chain: ChainTable | null, self: object | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of names) {
    if (k === "ME") out.ME = self;
    else if (k === "leave" || k === "link") {
      if (chain === null) throw new Error("the code chains, and there is no chain table");
      out[k] = chain[k];
    } else if (Object.hasOwn(ALL_HELPERS, k)) out[k] = ALL_HELPERS[k];
    else throw new Error(`the code takes an unknown helper '${k}'`);
  }
  return out;
}

/** The region function of `code` for its (cut) blocks, with the instructions it hands to
 *  their handlers. */
function instantiate(blocks: readonly Block[], code: RegionCode, fallbacks: Insn[], chain: ChainTable | null, self: object | null, machine: Machine | null, cache: Uint8Array | null = null): Compiled {
  const helpers = helpersNamed(code.helpers, chain, self);
  const m = machine ?? NO_MACHINE;
  const { fn, from } = baselineNow(() => {
    const made = factoryFor(code.source, cache);
    return { fn: made.fn(fallbacks, helpers, m), from: made.from };
  });
  const hot = coldName(code.source) ? () => baselineNow(() => factoryFor(hotSource(code.source)).fn(fallbacks, helpers, m)) : null;
  return { ...code, fn, from, hot, notRun: notRunMap(blocks), pages: codePagesOf(blocks) };
}

/** How a factory's source returns a first-tier region function (named with v8tuning.ts
 *  COLD_PREFIX), and the same under the name V8 optimises. */
const COLD_RETURN = `return (function ${COLD_PREFIX}`, HOT_RETURN = `return (function ${HOT_PREFIX}`;

/** Whether region source `source` is a first-tier function. */
function coldName(source: string): boolean {
  return source.includes(COLD_RETURN);
}

/** The same code under the name V8 optimises. */
export function hotSource(source: string): string {
  return source.replace(COLD_RETURN, HOT_RETURN);
}

/** compileRegion's result made again from its RegionCode (a saved translation, saved.ts), for
 *  blocks decoded from the same bytes as those it was compiled from, with the same options;
 *  `cache` is V8's code cache of its source (codeCacheOf), when the store kept one. */
export function restoreRegion(regionBlocks: readonly Block[], code: RegionCode, chain: ChainTable | null, self: object | null, cache: Uint8Array | null = null, machine: Machine | null = null): Compiled {
  const blocks = cutOverlaps(regionBlocks);
  const byEip = new Map<number, Insn>();
  for (const b of blocks) for (const x of b.insns) byEip.set(x.eip, x);
  const fallbacks = code.fallbacks.map((eip) => {
    const x = byEip.get(eip);
    if (x === undefined) throw new Error(`no instruction at 0x${(eip >>> 0).toString(16)} for the code's fallback`);
    return x;
  });
  return instantiate(blocks, code, fallbacks, chain, self, machine, cache);
}
