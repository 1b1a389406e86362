// Where compiled code keeps XMM registers: their typed-array slots in the Cpu's SSE register file
// (`XI`/`XF`/`XS`: int32, float64 and float32 views), and, within one block, double lanes in
// locals (`xd0`..`xd17`, lane k of XMM r in xd(2r+k); 16-17 are the scratch slot SRC's), so
// chains of double arithmetic and moves
// run on JavaScript values instead of typed-array loads and stores.
//
// The cache is per block and static: for each double lane the translator knows whether the slot
// (0), a clean local (1) or a dirty local (2) holds the truth. A double copied through a local
// keeps its bit pattern (plain loads and stores never touch NaN payloads; only arithmetic does),
// so moves, permutations and loads/stores of doubles may use locals whatever the bits are.
// Float and integer views of a register first write its dirty lanes back (`sync`). Everything
// else sees the slots: before a handler call, a branch or the end of the block every dirty lane
// is written back (`barrier`), and a fault thrown in between writes back the lanes named by the
// dynamic mask `xdm`, which the translator updates whenever the set of dirty lanes changes.
//
// Also here: the runtime helpers for memory operands of 8 and 16 bytes.

import { type Node, id, num, t, assign, ifs, expr, call } from "./ast.js";
import type { Emitter } from "./emit.js";
import { MXCSR } from "../hw/state.js";
import { fault, GP } from "../hw/fault.js";
import type { Cpu } from "../hw/cpu.js";
import { SRC, loadSlot, storeSlot } from "../hw/simd/state.js";

/** XMM0-7 and the scratch slot SRC (memory operands). */
const LANES = 18;

/** Per-block state of the double-lane cache (kept on the Emitter). */
class LaneCache {
  /** Per lane: 0 slot holds it, 1 clean local, 2 dirty local. */
  readonly st = new Uint8Array(LANES);
  /** The mask `xdm` holds at this point of the generated code. */
  emitted = 0;
  /** `mxf` holds MXCSR (reloaded after anything that may change it). */
  mx = false;

  dirty(): number {
    let m = 0;
    for (let i = 0; i < LANES; i++) if (this.st[i] === 2) m |= 1 << i;
    return m;
  }
}

function cacheOf(em: Emitter): LaneCache {
  em.simdState ??= new LaneCache();
  return em.simdState as LaneCache;
}

export const xi = (k: number): Node => t("XI[$k]", { k: num(k) });
export const xf = (k: number): Node => t("XF[$k]", { k: num(k) });
export const xs = (k: number): Node => t("XS[$k]", { k: num(k) });
const xd = (i: number): Node => id(`xd${i}`);

/** The value of double lane i (XMM i >> 1, lane i & 1) as an expression. */
export function getD(em: Emitter, i: number): Node {
  const c = cacheOf(em);
  if (c.st[i] === 0) {
    em.emit(assign(xd(i), xf(i)));
    c.st[i] = 1;
  }
  return xd(i);
}

/** Double lane i = v (v must not read lane i's local after this statement starts). */
export function setD(em: Emitter, i: number, v: Node): void {
  em.emit(assign(xd(i), v));
  cacheOf(em).st[i] = 2;
}

/** Whether either double lane of XMM r is held in a local (then stores take them from there). */
export function isCachedD(em: Emitter, r: number): boolean {
  const c = cacheOf(em);
  return c.st[2 * r] !== 0 || c.st[2 * r + 1] !== 0;
}

/** Lane i was assigned by code the caller emitted itself (on every path). */
export function markDirty(em: Emitter, i: number): void {
  cacheOf(em).st[i] = 2;
}

/** Statements writing dirty lanes back (the cache state is left as it is). */
function writeBack(c: LaneCache, lanes: (i: number) => boolean): Node[] {
  const out: Node[] = [];
  for (let i = 0; i < LANES; i++) if (c.st[i] === 2 && lanes(i)) out.push(assign(xf(i), xd(i)));
  return out;
}

/** Makes the slots of XMM r current before it is used through another view; `write`: the
 *  caller will change them, so the locals become stale. */
export function sync(em: Emitter, r: number, write: boolean): void {
  const c = cacheOf(em);
  em.emit(...writeBack(c, (i) => i >> 1 === r));
  for (const i of [2 * r, 2 * r + 1]) {
    if (c.st[i] === 2) c.st[i] = 1;
    if (write) c.st[i] = 0;
  }
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
  return out;
}

/** Writes every dirty lane back and forgets the cache (before handler calls, branches, the
 *  end of the block). Returns the statements; `invalidate` also drops MXCSR. */
export function barrierCode(em: Emitter): Node[] {
  const c = em.simdState as LaneCache | null;
  if (c === null) return [];
  const out = writeBack(c, () => true);
  c.st.fill(0);
  c.mx = false;
  if (c.emitted !== 0) out.push(assign(id("xdm"), num(0)));
  c.emitted = 0;
  return out;
}

/** Forgets the cache after a call that may change any XMM slot (its lanes are clean). */
export function forget(em: Emitter): void {
  const c = em.simdState as LaneCache | null;
  if (c === null) return;
  for (let i = 0; i < LANES; i++) if (c.st[i] === 1) c.st[i] = 0;
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

// ---- memory operands ----

/** Loads `lanes` doubles (1 or 2) at `a` into the double lanes from `i`: one TLB lookup and
 *  float64 loads when 8-byte aligned within a page, else through ldx into SRC. */
export function loadD(em: Emitter, a: Node, i: number, lanes: number): void {
  const p = em.tmp();
  const fast: Node[] = [assign(p, t("(e ^ $a) >>> 3", { a }))];
  const slow: Node[] = [expr(call(id("ldx"), [id("c"), a, num(SRC), num(lanes * 8)]))];
  for (let k = 0; k < lanes; k++) {
    fast.push(assign(xd(i + k), t("mf64[$p + $k]", { p, k: num(k) })));
    slow.push(assign(xd(i + k), xf(SRC * 2 + k)));
  }
  em.emit(assign(id("e"), t("tlbR[$a >>> 12]", { a })));
  // an 8-byte-aligned double lies in one page; two of them need the check
  const test = lanes === 1 ? t("((e | $a & 7) & 4095) === 0", { a }) : t("((e | $a & 7) & 4095) === 0 && ($a & 4095) <= 4080", { a });
  em.emit(ifs(test, fast, slow));
  for (let k = 0; k < lanes; k++) cacheOf(em).st[i + k] = 2;
}

/** Stores `lanes` doubles from the double lanes from `i` at `a` (all checked before the first
 *  byte changes, by the TLB entry or by stx). */
export function storeD(em: Emitter, a: Node, i: number, lanes: number): void {
  const vals = Array.from({ length: lanes }, (_, k) => getD(em, i + k));
  const p = em.tmp();
  const fast: Node[] = [assign(p, t("(e ^ $a) >>> 3", { a }))];
  vals.forEach((v, k) => fast.push(assign(t("mf64[$p + $k]", { p, k: num(k) }), v)));
  const slow: Node[] = [...vals.map((v, k) => assign(xf(SRC * 2 + k), v)), expr(call(id("stx"), [id("c"), a, num(SRC), num(lanes * 8)]))];
  em.emit(assign(id("e"), t("tlbW[$a >>> 12]", { a })));
  const test = lanes === 1 ? t("((e | $a & 7) & 4095) === 0", { a }) : t("((e | $a & 7) & 4095) === 0 && ($a & 4095) <= 4080", { a });
  em.emit(ifs(test, fast, slow));
}

/** Loads `size` bytes (4, 8 or 16) at `a` into slot `slot` (SRC or a synced register):
 *  inline when 4-byte aligned within a page the TLB has, else through ldx. */
export function loadSlotCode(em: Emitter, a: Node, slot: number, size: number): void {
  const p = em.tmp();
  const fast: Node[] = [assign(p, t("(e ^ $a) >>> 2", { a }))];
  for (let k = 0; k < size / 4; k++) fast.push(assign(xi(slot * 4 + k), t("i32[$p + $k]", { p, k: num(k) })));
  em.emit(assign(id("e"), t("tlbR[$a >>> 12]", { a })));
  em.emit(ifs(t("((e | $a & 3) & 4095) === 0 && ($a & 4095) <= $lim", { a, lim: num(4096 - size) }), fast, [expr(call(id("ldx"), [id("c"), a, num(slot), num(size)]))]));
}

/** Loads 16 bytes at any address `a` into slot `slot`: inline, from the five aligned dwords
 *  that cover them, when they lie in one page the TLB has; else through ldx. */
export function loadUnalignedCode(em: Emitter, a: Node, slot: number): void {
  const p = em.tmp(), sh = em.tmp(), w = em.tmp();
  const aligned: Node[] = [0, 1, 2, 3].map((k) => assign(xi(slot * 4 + k), t("i32[$p + $k]", { p, k: num(k) })));
  const funnel: Node[] = [assign(w, t("i32[$p]", { p }))];
  for (let k = 0; k < 4; k++) {
    const next = t("i32[$p + $k]", { p, k: num(k + 1) });
    funnel.push(assign(xi(slot * 4 + k), t("$w >>> $sh | $n << 32 - $sh", { w, sh, n: next })));
    if (k < 3) funnel.push(assign(w, t("i32[$p + $k]", { p, k: num(k + 1) })));
  }
  const fast: Node[] = [assign(p, t("(e ^ $a) >>> 2", { a })), assign(sh, t("($a & 3) << 3", { a })), ifs(t("$sh === 0", { sh }), aligned, funnel)];
  em.emit(assign(id("e"), t("tlbR[$a >>> 12]", { a })));
  em.emit(ifs(t("(e & 4095) === 0 && ($a & 4095) <= 4076", { a }), fast, [expr(call(id("ldx"), [id("c"), a, num(slot), num(16)]))]));
}

/** Stores slot `slot`'s low `size` bytes (4, 8 or 16) at `a`, inline as loadSlotCode. */
export function storeSlotCode(em: Emitter, a: Node, slot: number, size: number): void {
  const p = em.tmp();
  const fast: Node[] = [assign(p, t("(e ^ $a) >>> 2", { a }))];
  for (let k = 0; k < size / 4; k++) fast.push(assign(t("i32[$p + $k]", { p, k: num(k) }), xi(slot * 4 + k)));
  em.emit(assign(id("e"), t("tlbW[$a >>> 12]", { a })));
  em.emit(ifs(t("((e | $a & 3) & 4095) === 0 && ($a & 4095) <= $lim", { a, lim: num(4096 - size) }), fast, [expr(call(id("stx"), [id("c"), a, num(slot), num(size)]))]));
}

// ---- runtime helpers ----

/** Raises #GP(0) (misaligned 128-bit operand). */
function gpf(): never {
  fault(GP, 0);
}

/** Reads `size` bytes at `a` into slot `slot`: one TLB lookup when they lie in one page;
 *  otherwise through the Cpu's accessors into SRC first, so a fault leaves `slot` unchanged. */
function ldx(c: Cpu, a: number, slot: number, size: number): void {
  const e = c.tlbR[a >>> 12];
  if ((e & 0xfff) === 0 && (a & 0xfff) <= 0x1000 - size) {
    const p = e ^ a;
    if (size >= 4 && (p & 3) === 0) {
      const M = c.i32, X = c.sse.i32, q = p >>> 2, s = slot << 2;
      for (let k = 0; k < size >> 2; k++) X[s + k] = M[q + k];
    } else {
      const B = c.u8, X = c.sse.u8, s = slot << 4;
      for (let k = 0; k < size; k++) X[s + k] = B[p + k];
    }
    return;
  }
  loadSlot(c, SRC, a, size);
  if (slot !== SRC) {
    const X = c.sse.i32;
    for (let k = 0; k < (size + 3) >> 2; k++) X[slot * 4 + k] = X[SRC * 4 + k];
  }
}

/** Writes slot `slot`'s low `size` bytes at `a` (all checked before the first byte changes). */
function stx(c: Cpu, a: number, slot: number, size: number): void {
  const e = c.tlbW[a >>> 12];
  if ((e & 0xfff) === 0 && (a & 0xfff) <= 0x1000 - size) {
    const p = e ^ a;
    if (size >= 4 && (p & 3) === 0) {
      const M = c.i32, X = c.sse.i32, q = p >>> 2, s = slot << 2;
      for (let k = 0; k < size >> 2; k++) M[q + k] = X[s + k];
    } else {
      const B = c.u8, X = c.sse.u8, s = slot << 4;
      for (let k = 0; k < size; k++) B[p + k] = X[s + k];
    }
    return;
  }
  storeSlot(c, slot, a, size);
}

/** Writes the dirty double lanes (mask m) back after a fault inside a block. */
function xflush(c: Cpu, m: number, ...v: number[]): void {
  const F = c.sse.f64;
  for (let i = 0; i < LANES; i++) if ((m >> i) & 1) F[i] = v[i];
}

export const LANE_RUNTIME = { gpf, ldx, stx, xflush };

/** Locals a region with SIMD code declares (doubles start as doubles for V8's sake). */
export const LANE_LOCALS: [string, Node][] = [
  ["XI", t("c.sse.i32")], ["XF", t("c.sse.f64")], ["XS", t("c.sse.f32")], ["mf64", t("c.f64")], ["xdm", num(0)], ["mxf", num(0)],
  ...Array.from({ length: LANES }, (_, i): [string, Node] => [`xd${i}`, num(0.5)]),
];

/** The catch clause's first statement: dirty lanes back to the slots. */
export function faultFlush(): Node {
  return ifs(t("xdm !== 0"), [expr(call(id("xflush"), [id("c"), id("xdm"), ...Array.from({ length: LANES }, (_, i) => xd(i))]))]);
}
