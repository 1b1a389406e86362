// Memory operands of translated SIMD instructions: 4-, 8- and 16-byte loads and stores between
// guest memory and the lane cache (simdlanes.ts), inline when the bytes lie in one page the TLB
// has: one lookup, then typed-array elements at aligned addresses, or the DataView at any
// address where the instruction needs it (16-byte loads that need not be aligned; anyAlign). A
// register held in int32 locals is loaded into and stored from them.
//
// Otherwise the region stops before the instruction by throwing MEM_MISS, as a fault there
// would, and the engine runs the instruction (which fills the TLB, or faults). The runtime
// helpers ldx/stx, which go through the Cpu's accessors, were called there: a call on a path
// first taken long after V8 optimised the region (a page first touched then, a TLB flushed at a
// process switch, memcmp's 16-byte loads at data-dependent addresses meeting a page's end) had
// no type feedback, and deoptimised the whole region: Debian's sort compiled its 1,900-line
// region of memcmp's callers ten times (60-150 ms of TurboFan each). A throw needs none, and the
// handler it reaches is warmed (compile.ts warmCatch). The helpers are still called where
// stops for the page would come too often (an earlier version kept stopping there, region.ts
// STOP_AT: a fixed place across a page, met on every pass) or cannot be made
// (Emitter.simdMiss); they work on the register's slot, so those paths copy around its locals.
// Misaligned data within a page that keeps stopping an instruction counts as a side exit's
// does (region.ts LEFT_AT), and its next version takes it through the DataView.

import { type Node, id, num, t, assign, ifs, expr, call, throwStmt } from "./ast.js";
import type { Emitter } from "./emit.js";
import { fault, GP } from "../hw/fault.js";
import { TLB_KEY, type Cpu } from "../hw/cpu.js";
import { type Insn, K_MEM } from "../hw/isa.js";
import { SRC, loadSlot, storeSlot } from "../hw/simd/state.js";
import { ea } from "../hw/interp/operand.js";
import { xi, xf, xd, xw, getD, markDirty, isCachedI } from "./simdlanes.js";

/** Whether an access of the instruction being translated goes to memory at any alignment
 *  inline (the DataView: one machine load or store in optimised code, a builtin call in V8's
 *  baseline tier) rather than by a typed array's element: where the interpreter saw its data
 *  misaligned, and a miss stops the region. (With ldx/stx for misaligned data, a region whose
 *  passes until V8 optimised it all met misaligned data had no type feedback for its inline
 *  path, and deoptimised at the first aligned pass: 4 of Debian's perl's 8 region deopts.) */
function anyAlign(em: Emitter): boolean {
  return em.simdMiss && em.simdMisaligned;
}

/** Loads `lanes` doubles (1 or 2) at `a` into the double lanes from `i`: one TLB lookup and
 *  float64 loads (8-byte aligned, or any: anyAlign) within a page, else the slow path. */
export function loadD(em: Emitter, a: Node, i: number, lanes: number): void {
  const p = em.tmp();
  const any = anyAlign(em);
  const fast: Node[] = [assign(p, any ? t("e ^ $a", { a }) : t("(e ^ $a) >>> 3", { a }))];
  const slow: Node[] = [expr(call(id("ldx"), [id("c"), a, num(SRC), num(lanes * 8)]))];
  for (let k = 0; k < lanes; k++) {
    fast.push(assign(xd(i + k), any ? t("mdv.getFloat64($p + $k, true)", { p, k: num(8 * k) }) : t("mf64[$p + $k]", { p, k: num(k) })));
    slow.push(assign(xd(i + k), xf(SRC * 2 + k)));
  }
  em.emit(assign(id("e"), t("tlbR[$a >>> 12] ^ 4095", { a })));
  em.emit(inPage(em, a, lanes * 8, any ? 0 : 7, fast, slow));
  for (let k = 0; k < lanes; k++) markDirty(em, i + k);
}

/** The choice between the inline path `fast` (the `size` bytes at `a` lie in one page the TLB
 *  entry in `e` maps, at an address whose bits `align` are clear) and the slow path: where the
 *  instruction may stop (Emitter.simdMiss), a stop, a statement with nothing V8 needs type
 *  feedback for; else `slow` (ldx/stx). */
function inPage(em: Emitter, a: Node, size: number, align: number, fast: Node[], slow: Node[]): Node {
  const page = align === 0 ? t("(e & 4095) === 0", {}) : t("((e | $a & $al) & 4095) === 0", { a, al: num(align) });
  // (aligned bytes that fill at most their alignment never cross a page)
  const test = size - 1 > align ? t("$page && ($a & 4095) <= $lim", { page, a, lim: num(4096 - size) }) : page;
  return ifs(test, fast, em.simdMiss ? [throwStmt(id("MS"))] : slow);
}

/** Stores `lanes` doubles from the double lanes from `i` at `a` (all checked before the first
 *  byte changes, by the TLB entry or by stx). */
export function storeD(em: Emitter, a: Node, i: number, lanes: number): void {
  const vals = Array.from({ length: lanes }, (_, k) => getD(em, i + k));
  const p = em.tmp();
  const any = anyAlign(em);
  const fast: Node[] = [assign(p, any ? t("e ^ $a", { a }) : t("(e ^ $a) >>> 3", { a }))];
  vals.forEach((v, k) => fast.push(any ? expr(t("mdv.setFloat64($p + $k, $v, true)", { p, k: num(8 * k), v })) : assign(t("mf64[$p + $k]", { p, k: num(k) }), v)));
  const slow: Node[] = [...vals.map((v, k) => assign(xf(SRC * 2 + k), v)), expr(call(id("stx"), [id("c"), a, num(SRC), num(lanes * 8)]))];
  em.emit(assign(id("e"), t("tlbW[$a >>> 12] ^ 4095", { a })));
  em.emit(inPage(em, a, lanes * 8, any ? 0 : 7, fast, slow));
}

/** Where dword k of slot `slot` lives: its int32 local when the register is held there. */
function dword(em: Emitter, slot: number, k: number): Node {
  return isCachedI(em, slot) ? xw(slot * 4 + k) : xi(slot * 4 + k);
}

/** After ldx filled slot `slot`: its int32 locals (if held there) reloaded from it. */
function reloadInts(em: Emitter, slot: number, size: number): Node[] {
  if (!isCachedI(em, slot)) return [];
  return Array.from({ length: size / 4 }, (_, k) => assign(xw(slot * 4 + k), xi(slot * 4 + k)));
}

/** Loads `size` bytes (4, 8 or 16) at `a` into register `slot` (SRC or a register taken by
 *  `ints` or `sync`): inline within a page the TLB has, by dwords 4-byte aligned, or at any
 *  address (`any`, or anyAlign) as little-endian dwords read through the memory's DataView
 *  (TurboFan makes each one unaligned host load); else the slow path. */
export function loadSlotCode(em: Emitter, a: Node, slot: number, size: number, any = anyAlign(em)): void {
  const p = em.tmp();
  const fast: Node[] = [assign(p, any ? t("e ^ $a", { a }) : t("(e ^ $a) >>> 2", { a }))];
  for (let k = 0; k < size / 4; k++) fast.push(assign(dword(em, slot, k), any ? t("mdv.getInt32($p + $k, true)", { p, k: num(4 * k) }) : t("i32[$p + $k]", { p, k: num(k) })));
  const slow = [expr(call(id("ldx"), [id("c"), a, num(slot), num(size)])), ...reloadInts(em, slot, size)];
  em.emit(assign(id("e"), t("tlbR[$a >>> 12] ^ 4095", { a })));
  em.emit(inPage(em, a, size, any ? 0 : 3, fast, slow));
}

/** Loads 16 bytes at any address `a` into register `slot` (loadSlotCode). */
export function loadUnalignedCode(em: Emitter, a: Node, slot: number): void {
  loadSlotCode(em, a, slot, 16, true);
}

/** The last 16-byte integer load of a block: its operand, destination, alignment check, the
 *  address of the instruction after it and how far the block's code had got. */
interface LastLoad {
  key: string;
  reg: number;
  aligned: boolean;
  next: number;
  mark: number;
}
const lastLoads = new WeakMap<Emitter, LastLoad>();
const operandKey = (x: Insn): string => `${x.seg}:${x.base}:${x.index}:${x.scale}:${x.disp}:${x.asz}`;

/** The register that the instruction just before `x` loaded from the same 16 bytes, with
 *  nothing emitted in between (no hook call, no other code: memory and the address registers
 *  are unchanged, and a hook or fault on those bytes stopped that load already), or -1. A
 *  load needing the alignment check repeats one that made it. */
export function repeatedLoad(em: Emitter, x: Insn, aligned: boolean): number {
  const l = lastLoads.get(em);
  if (l === undefined || l.next !== x.eip || l.mark !== em.out.length || l.key !== operandKey(x)) return -1;
  return aligned && !l.aligned ? -1 : l.reg;
}

/** Records `x`, a 16-byte load into XMM `reg`, as the block's last (after its code). */
export function noteLoad(em: Emitter, x: Insn, reg: number, aligned: boolean): void {
  lastLoads.set(em, { key: operandKey(x), reg, aligned, next: x.next, mark: em.out.length });
}

/** Stores register `slot`'s low `size` bytes (4, 8 or 16) at `a`, inline as loadSlotCode. */
export function storeSlotCode(em: Emitter, a: Node, slot: number, size: number): void {
  const p = em.tmp();
  const any = anyAlign(em);
  const fast: Node[] = [assign(p, any ? t("e ^ $a", { a }) : t("(e ^ $a) >>> 2", { a }))];
  for (let k = 0; k < size / 4; k++) {
    const v = dword(em, slot, k);
    fast.push(any ? expr(t("mdv.setInt32($p + $k, $v, true)", { p, k: num(4 * k), v })) : assign(t("i32[$p + $k]", { p, k: num(k) }), v));
  }
  const slow: Node[] = [];
  if (isCachedI(em, slot)) for (let k = 0; k < size / 4; k++) slow.push(assign(xi(slot * 4 + k), xw(slot * 4 + k)));
  slow.push(expr(call(id("stx"), [id("c"), a, num(slot), num(size)])));
  em.emit(assign(id("e"), t("tlbW[$a >>> 12] ^ 4095", { a })));
  em.emit(inPage(em, a, size, any ? 0 : 3, fast, slow));
}

// ---- runtime helpers ----

/** Raises #GP(0) (misaligned 128-bit operand). */
function gpf(): never {
  fault(GP, 0);
}

/** Reads `size` bytes at `a` into slot `slot`: one TLB lookup when they lie in one page;
 *  otherwise through the Cpu's accessors into SRC first, so a fault leaves `slot` unchanged. */
function ldx(c: Cpu, a: number, slot: number, size: number): void {
  const e = c.tlbR[a >>> 12] ^ TLB_KEY;
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
  const e = c.tlbW[a >>> 12] ^ TLB_KEY;
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

/** What a region throws where an instruction's SIMD memory operand is not in reach of its
 *  inline path: the engine runs the instruction (engine.ts recover). */
export const MEM_MISS: object = Object.freeze({ memMiss: true });

export const MEM_RUNTIME = { gpf, ldx, stx, MS: MEM_MISS };

/** Whether instruction `x`, at which compiled code stopped (MEM_MISS), has its memory operand
 *  in one page the TLB maps for the access: then its data was misaligned for the inline path.
 *  (A destination in memory is a store.) */
export function misalignedInPage(c: Cpu, x: Insn): boolean {
  if (x.msz === 0) return false;
  let a: number;
  try {
    a = ea(c, x);
  } catch {
    return false;
  }
  const tlb = x.k0 === K_MEM ? c.tlbW : c.tlbR;
  return (a & 0xfff) + x.msz <= 0x1000 && ((tlb[a >>> 12] ^ TLB_KEY) & 0xfff) === 0;
}
