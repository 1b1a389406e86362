// Where compiled code keeps XMM registers: their typed-array slots in the Cpu's SSE register file
// (`XI`/`XF`/`XS`: int32, float64 and float32 views), and, within one block, locals: double
// lanes (`xd0`..`xd17`, lane k of XMM r in xd(2r+k)) for chains of double arithmetic and moves,
// and int32 lanes (`xw0`..`xw35`, dword k of XMM r in xw(4r+k)) for packed integer code.
// Registers 0-7 and the scratch slot SRC (memory operands) are cached; other slots never are.
//
// The cache is per block and static: the translator knows, for each double lane, whether the
// slot (0), a clean local (1) or a dirty local (2) holds the truth, and the same for each
// register's four int32 lanes as a whole. A register is cached in one view at a time: taking it
// in the other view first writes the dirty lanes back. A double copied through a local keeps
// its bit pattern (plain loads and stores never touch NaN payloads; only arithmetic does), so
// moves, permutations and loads/stores of doubles may use locals whatever the bits are.
// Float32 views and helpers see the slots (`sync`): before a handler call, a branch or the end
// of the block every dirty lane is written back (`barrier`), and a fault thrown in between
// writes back the lanes named by the dynamic mask `xdm` (bits 0-17 double lanes, 18-26 int
// registers), which the translator updates whenever the set of dirty lanes changes.
//
// A region may pin registers across its blocks (compile.ts translates it a second time once it
// knows which XMM0-7 its code uses): int32 registers, and the double lanes of registers never
// used as int32 lanes. Pinned lanes are loaded into their locals on entry to the region, start
// every block as dirty locals (`xdm` names them), and are brought back into their locals at the
// end of each block instead of being written back, so loops keep them in JS locals; the
// region's exit writes back what `xdm` names, as the catch clause does.

import { type Node, id, num, t, assign, ifs } from "./ast.js";
import type { Emitter } from "./emit.js";
import { MXCSR } from "../hw/state.js";
import { SRC } from "../hw/simd/state.js";
import { SIMD_VIEWS, boundView } from "./views.js";

/** Double lanes of XMM0-7 and SRC. */
const LANES = 18;
/** Registers whose int32 lanes are cached (XMM0-7 and SRC), and their bit in `xdm`. */
const IREGS = 9, IBIT = 18;

/** Per-block state of the lane cache (kept on the Emitter). */
class LaneCache {
  /** Per double lane: 0 slot holds it, 1 clean local, 2 dirty local. */
  readonly st = new Uint8Array(LANES);
  /** Per register, its four int32 lanes: 0 slot, 1 clean locals, 2 dirty locals. */
  readonly iw = new Uint8Array(IREGS);
  /** The mask `xdm` holds at this point of the generated code. */
  emitted = 0;
  /** `mxf` holds MXCSR (reloaded after anything that may change it). */
  mx = false;
  /** Double lanes and int32 registers the block's code uses (the region declares just those). */
  usedD = 0;
  usedI = 0;
  /** Registers (0-7) the region keeps in int32 locals across block boundaries: at every block
   *  start and end their locals hold the truth (dirty, named by `xdm`). */
  pinned = 0;
  /** Double lanes (0-15) the region keeps in their locals across block boundaries, likewise. */
  pinnedD = 0;

  dirty(): number {
    let m = 0;
    for (let i = 0; i < LANES; i++) if (this.st[i] === 2) m |= 1 << i;
    for (let r = 0; r < IREGS; r++) if (this.iw[r] === 2) m |= 1 << (IBIT + r);
    return m;
  }
}

/** Starts a block of a region that pins `pinned` (int32 registers held in locals across
 *  blocks): the block begins with their locals as the truth and `xdm` naming them. */
export function beginBlock(em: Emitter, pinned: number, pinnedD: number): Node[] {
  if (pinned === 0 && pinnedD === 0) return [];
  const c = cacheOf(em);
  c.pinned = pinned;
  c.pinnedD = pinnedD;
  for (let r = 0; r < 8; r++) if ((pinned >>> r) & 1) c.iw[r] = 2;
  for (let i = 0; i < 16; i++) if ((pinnedD >>> i) & 1) c.st[i] = 2;
  c.usedI |= pinned;
  c.usedD |= pinnedD;
  c.emitted = pinnedD | (pinned << IBIT);
  return [assign(id("xdm"), num(c.emitted))];
}

/** An emitter stand-in collecting statements into `out` (for leaveInts). */
function em0(out: Node[]): Emitter {
  return { emit: (...s: Node[]) => void out.push(...s) } as unknown as Emitter;
}

/** Whether XMM r is pinned in int32 locals by the region. */
export function isPinned(em: Emitter, r: number): boolean {
  const c = em.simdState as LaneCache | null;
  return c !== null && r < 8 && ((c.pinned >>> r) & 1) !== 0;
}

/** The end of a block (before its branch, or falling through): non-pinned dirty lanes written
 *  back and forgotten, pinned registers brought into their locals as the truth. `synced`: the
 *  branch runs a handler, so the slots are made current too and `xdm` is 0 (the next block
 *  sets it again on entry). */
export function boundaryCode(em: Emitter, synced: boolean): Node[] {
  const c = em.simdState as LaneCache | null;
  if (c === null || (c.pinned === 0 && c.pinnedD === 0)) return barrierCode(em);
  const out: Node[] = [];
  for (let i = 0; i < 16; i++) {
    if (((c.pinnedD >>> i) & 1) === 0) continue;
    leaveInts(em0(out), c, i >> 1, true);
    if (c.st[i] === 0) out.push(assign(xd(i), xf(i)));
    else if (c.st[i] === 2 && synced) out.push(assign(xf(i), xd(i)));
    c.st[i] = synced ? 1 : 2;
  }
  for (let r = 0; r < 8; r++) {
    if (((c.pinned >>> r) & 1) === 0) continue;
    for (const i of [2 * r, 2 * r + 1]) {
      if (c.st[i] === 2) out.push(assign(xf(i), xd(i)));
      c.st[i] = 0;
    }
    if (c.iw[r] === 0) for (let k = 0; k < 4; k++) out.push(assign(xw(r * 4 + k), xi(r * 4 + k)));
    else if (c.iw[r] === 2 && synced) out.push(...intsBack(r));
    c.iw[r] = synced ? 1 : 2;
  }
  // everything else: written back and forgotten, as at a barrier
  out.push(...writeBack(c, (i) => i >> 1 !== SRC && ((c.pinned >>> (i >> 1)) & 1) === 0 && ((c.pinnedD >>> i) & 1) === 0));
  for (let i = 0; i < LANES; i++) if (((c.pinnedD >>> i) & 1) === 0) c.st[i] = 0;
  for (let r = 0; r < IREGS; r++) if (((c.pinned >>> r) & 1) === 0) c.iw[r] = 0;
  c.mx = false;
  const m = synced ? 0 : c.pinnedD | (c.pinned << IBIT);
  if (c.emitted !== m) out.push(assign(id("xdm"), num(m)));
  c.emitted = m;
  return out;
}

function cacheOf(em: Emitter): LaneCache {
  em.simdState ??= new LaneCache();
  return em.simdState as LaneCache;
}

export const xi = (k: number): Node => t("XI[$k]", { k: num(k) });
export const xf = (k: number): Node => t("XF[$k]", { k: num(k) });
export const xs = (k: number): Node => t("XS[$k]", { k: num(k) });
export const xd = (i: number): Node => id(`xd${i}`);
/** Int32 lane k (XMM k >> 2) in its local: valid after `ints`. */
export const xw = (k: number): Node => id(`xw${k}`);

/** Statements writing register r's int32 locals back to its slot. */
function intsBack(r: number): Node[] {
  return [0, 1, 2, 3].map((k) => assign(xi(r * 4 + k), xw(r * 4 + k)));
}

/** Register r leaves the int32 view: dirty locals written back, the locals kept as clean
 *  (`drop`: forgotten, because the caller is about to change the slot or the doubles). */
function leaveInts(em: Emitter, c: LaneCache, r: number, drop: boolean): void {
  if (r >= IREGS) return;
  if (c.iw[r] === 2) {
    em.emit(...intsBack(r));
    c.iw[r] = 1;
  }
  if (drop) c.iw[r] = 0;
}

/** The value of double lane i (XMM i >> 1, lane i & 1) as an expression. */
export function getD(em: Emitter, i: number): Node {
  const c = cacheOf(em);
  leaveInts(em, c, i >> 1, false);
  c.usedD |= 1 << i;
  if (c.st[i] === 0) {
    em.emit(assign(xd(i), xf(i)));
    c.st[i] = 1;
  }
  return xd(i);
}

/** Double lane i = v (v must not read lane i's local after this statement starts). */
export function setD(em: Emitter, i: number, v: Node): void {
  const c = cacheOf(em);
  leaveInts(em, c, i >> 1, true);
  em.emit(assign(xd(i), v));
  c.st[i] = 2;
  c.usedD |= 1 << i;
}

/** Whether either double lane of XMM r is held in a local (then stores take them from there). */
export function isCachedD(em: Emitter, r: number): boolean {
  const c = cacheOf(em);
  return c.st[2 * r] !== 0 || c.st[2 * r + 1] !== 0;
}

/** Whether XMM r's int32 lanes are held in locals. */
export function isCachedI(em: Emitter, r: number): boolean {
  return r < IREGS && cacheOf(em).iw[r] !== 0;
}

/** Double lane i was assigned by code the caller emitted itself (on every path). Its
 *  register's int32 locals are stale now (written back first if dirty: the order against the
 *  caller's statement does not matter, the lane's local is written back after them). */
export function markDirty(em: Emitter, i: number): void {
  const c = cacheOf(em);
  leaveInts(em, c, i >> 1, true);
  c.st[i] = 2;
  c.usedD |= 1 << i;
}

/** Register r's double lanes leave the cache: dirty ones written back, and forgotten. */
function leaveDoubles(em: Emitter, c: LaneCache, r: number, drop: boolean): void {
  for (const i of [2 * r, 2 * r + 1]) {
    if (c.st[i] === 2) {
      em.emit(assign(xf(i), xd(i)));
      c.st[i] = 1;
    }
    if (drop) c.st[i] = 0;
  }
}

/** Takes XMM r (0-7 or SRC) into its int32 locals `xw(4r..4r+3)`; `write`: the caller will
 *  assign them (all four, or the ones it changes when `load`), so they become the truth.
 *  `load` false: the caller assigns all four before reading any, so the slot is not read. */
export function ints(em: Emitter, r: number, write: boolean, load = true): void {
  const c = cacheOf(em);
  leaveDoubles(em, c, r, write);
  c.usedI |= 1 << r;
  if (c.iw[r] === 0 && load) for (let k = 0; k < 4; k++) em.emit(assign(xw(r * 4 + k), xi(r * 4 + k)));
  if (c.iw[r] === 0) c.iw[r] = 1;
  if (write) c.iw[r] = 2;
}

/** Statements writing dirty lanes back (the cache state is left as it is). */
function writeBack(c: LaneCache, lanes: (i: number) => boolean): Node[] {
  const out: Node[] = [];
  for (let i = 0; i < LANES; i++) if (c.st[i] === 2 && lanes(i)) out.push(assign(xf(i), xd(i)));
  for (let r = 0; r < IREGS; r++) if (c.iw[r] === 2 && lanes(2 * r)) out.push(...intsBack(r));
  return out;
}

/** Makes the slots of XMM r current before it is used through another view; `write`: the
 *  caller will change them, so the locals become stale. */
export function sync(em: Emitter, r: number, write: boolean): void {
  const c = cacheOf(em);
  leaveDoubles(em, c, r, write);
  leaveInts(em, c, r, write);
}

/** Statements for a cold path that calls code reading the slots: every dirty lane written back
 *  (the fast path keeps them dirty, so the state after both is unchanged). */
export function coldFlush(em: Emitter): Node[] {
  return writeBack(cacheOf(em), () => true);
}

/** After a cold-path call that may have written XMM r: its cached lanes reloaded. */
export function coldReload(em: Emitter, r: number): Node[] {
  const c = cacheOf(em);
  const out: Node[] = [];
  for (const i of [2 * r, 2 * r + 1]) if (c.st[i] !== 0) out.push(assign(xd(i), xf(i)));
  if (r < IREGS && c.iw[r] !== 0) for (let k = 0; k < 4; k++) out.push(assign(xw(r * 4 + k), xi(r * 4 + k)));
  return out;
}

/** Writes every dirty lane back and forgets the cache (before handler calls, branches, the
 *  end of the block). Returns the statements; `invalidate` also drops MXCSR. */
export function barrierCode(em: Emitter): Node[] {
  const c = em.simdState as LaneCache | null;
  if (c === null) return [];
  // SRC is scratch: nothing after the instruction that filled it reads it (a handler or
  // helper that needs a memory operand loads SRC itself)
  const out = writeBack(c, (i) => i >> 1 !== SRC);
  c.st.fill(0);
  c.iw.fill(0);
  c.mx = false;
  if (c.emitted !== 0) out.push(assign(id("xdm"), num(0)));
  c.emitted = 0;
  return out;
}

/** Whether the XMM register file is the truth here: no lane held in a local only (cached and
 *  dirty, or pinned), so code may leave the region without writing lanes back. */
export function lanesClean(em: Emitter): boolean {
  const c = em.simdState as LaneCache | null;
  return c === null || (c.dirty() === 0 && c.pinned === 0 && c.pinnedD === 0);
}

/** Forgets the cache after a call that may change any XMM slot (its lanes are clean). */
export function forget(em: Emitter): void {
  const c = em.simdState as LaneCache | null;
  if (c === null) return;
  for (let i = 0; i < LANES; i++) if (c.st[i] === 1) c.st[i] = 0;
  for (let r = 0; r < IREGS; r++) if (c.iw[r] === 1) c.iw[r] = 0;
  c.mx = false;
}

/** Keeps `xdm` equal to the dirty set (call at the end of each translated instruction). */
export function noteDirty(em: Emitter): void {
  const c = em.simdState as LaneCache | null;
  if (c === null) return;
  const m = c.dirty();
  if (m !== c.emitted) {
    em.emit(assign(id("xdm"), num(m)));
    c.emitted = m;
  }
}

/** MXCSR as a local (loaded once per block, again after calls that may change it). */
export function mxcsr(em: Emitter): Node {
  const c = cacheOf(em);
  if (!c.mx) {
    em.emit(assign(id("mxf"), t("R[$m]", { m: num(MXCSR) })));
    c.mx = true;
  }
  return id("mxf");
}

/** MXCSR may have changed (a helper ran on some path). */
export function mxChanged(em: Emitter): void {
  cacheOf(em).mx = false;
}

// ---- the region's declarations ----

/** The lanes a region's blocks use (their locals are declared, and flushed on a fault). */
export class LaneUse {
  d = 0;
  i = 0;
  /** Registers pinned in int32 locals across the region's blocks (loaded on entry). */
  pinned = 0;
  pinnedD = 0;
  add(em: Emitter): void {
    const c = em.simdState as LaneCache | null;
    if (c === null) return;
    this.d |= c.usedD;
    this.i |= c.usedI;
  }
  /** `xdm` naming every lane the region uses: what its fault handler is warmed with
   *  (compile.ts warmCatch), so that each of its write-backs has run once before V8 optimises
   *  the region. (Warmed with none, the first fault with dirty lanes deoptimised the region at
   *  its first test of `xdm`'s bits: memcmp's regions in Debian's sort, at page misses.) */
  get all(): number {
    return this.d | (this.i << IBIT);
  }
}

function* each(mask: number): Generator<number> {
  for (let k = 0; mask >>> k !== 0; k++) if ((mask >>> k) & 1) yield k;
}

/** Locals a region with SIMD code declares (doubles start as doubles for V8's sake), pinned
 *  lanes loaded from their slots unless `reloaded` (the region loads them itself: pinnedReload). */
export function laneLocals(u: LaneUse, reloaded = false): [string, Node][] {
  const loads = new Map(reloaded ? [] : pinnedLoads(u));
  return [
    ...SIMD_VIEWS.map(([v, path]): [string, Node] => [v, id(boundView(path))]), ["xdm", num(0)], ["mxf", num(0)],
    ...[...each(u.d)].map((i): [string, Node] => [`xd${i}`, loads.get(`xd${i}`) ?? num(0.5)]),
    ...[...each(u.i)].flatMap((r) => [0, 1, 2, 3].map((k): [string, Node] => [`xw${r * 4 + k}`, loads.get(`xw${r * 4 + k}`) ?? num(0)])),
  ];
}

/** Each pinned lane's local and the load of its slot. */
function pinnedLoads(u: LaneUse): [string, Node][] {
  return [
    ...[...each(u.d & u.pinnedD)].map((i): [string, Node] => [`xd${i}`, xf(i)]),
    ...[...each(u.i & u.pinned)].flatMap((r) => [0, 1, 2, 3].map((k): [string, Node] => [`xw${r * 4 + k}`, xi(r * 4 + k)])),
  ];
}

/** Statements loading the pinned lanes' locals from the slots again, as on entry to the region
 *  (where it goes on after other code ran: chain.ts link). */
export function pinnedReload(u: LaneUse): Node[] {
  return pinnedLoads(u).map(([v, load]) => assign(id(v), load));
}

/** The catch clause's first statement: the dirty lanes `xdm` names written back to the slots
 *  (straight-line code over the lanes the region uses). */
export function faultFlush(u: LaneUse): Node {
  const out: Node[] = [];
  for (const i of each(u.d)) out.push(ifs(t("(xdm & $b) !== 0", { b: num(1 << i) }), [assign(xf(i), xd(i))]));
  for (const r of each(u.i)) out.push(ifs(t("(xdm & $b) !== 0", { b: num(1 << (IBIT + r)) }), intsBack(r)));
  return ifs(t("xdm !== 0"), out);
}
