// SIMD translation: XMM-form SSE instructions in compiled code (simdlanes.ts says where the
// registers live). Moves, permutations and logic become straight-line JavaScript on double or
// 32-bit lanes (packed integer operations: simdint.ts); scalar and packed float/double arithmetic
// becomes the JavaScript operation under a guard written into the code (round to nearest,
// masked exceptions, PE already set, ordinary operands and result: then JavaScript's result is
// the CPU's bit for bit and no flag changes). Every other instruction, and every case a guard
// refuses, calls the instruction's own helper from hw/simd with constant slot numbers, which is
// exact (NaN payloads, other rounding modes, denormals, flags, #XM). MMX forms of the helper
// shape call their helper too, the MMX registers copied through scratch slots as their handler
// does (helperCall, mmxBody); the few instructions outside the helper shape (ldmxcsr, maskmov, crc32, ...)
// go to their handler.
//
// Faults stay precise: `ip` is set before anything that can fault, and a destination changes
// only after every memory operand was read and every check passed.

import { type Node, id, num, t, assign, ifs, expr, call, brk, EXIT_LABEL } from "./ast.js";
import type { InsnContext } from "./translate.js";
import type { Emitter } from "./emit.js";
import { type Insn, K_R32, K_R16, K_MEM, K_XMM, K_MM, K_IMM } from "../hw/isa.js";
import { ARITH_FLAGS, EAX, ECX, EDX, MXCSR } from "../hw/state.js";
import { SIMD_HANDLERS, SIMD_SPECS } from "../hw/simd/index.js";
import { SRC, TMP, MMS, MMD, mmxEnter } from "../hw/simd/state.js";
import { FORM_ENC } from "../hw/fpu/state.js";
import { helper, slowCall, setIp, address, gpr, regOrMem, sourceSlot, setFlags } from "./simdoperand.js";
import { INT_INLINE } from "./simdint.js";
import {
  xi, xs, xw, getD, setD, markDirty, sync, ints, coldFlush, barrierCode, forget, noteDirty, mxcsr, isCachedD, isCachedI, type LaneUse, laneLocals,
} from "./simdlanes.js";
import { loadD, storeD, loadSlotCode, storeSlotCode, loadUnalignedCode, repeatedLoad, noteLoad, MEM_RUNTIME } from "./simdmem.js";

const MIN64 = 2.2250738585072014e-308, MAX64 = 1.7976931348623157e308;
const MIN32 = 1.1754943508222875e-38, MAX32 = 3.4028234663852886e38;
/** MXCSR & FAST_MASK === FAST: round to nearest, all masked, no DAZ/FTZ, PE set. */
const FAST_MASK = 0xffe0, FAST = 0x1fa0;

const NAME_OF = new Map<unknown, string>(Object.entries(SIMD_HANDLERS).map(([k, v]) => [v, k]));

/** Helpers every region with SIMD code declares. */
export const SIMD_RUNTIME: Record<string, unknown> = { ...MEM_RUNTIME, mmE: mmxEnter };
/** Instruction helpers (S_name), declared by the regions that call them. */
export const SIMD_OP_HELPERS: Record<string, unknown> = Object.fromEntries(Object.entries(SIMD_SPECS).map(([k, s]) => [`S_${k}`, s.fn]));
/** Locals a region with SIMD code declares, given the lanes its blocks use. */
export function simdLocals(u: LaneUse, reloaded = false): [string, Node][] {
  // (mf: the FPU state of the last MMX instruction, mmxEntry)
  return [...laneLocals(u, reloaded), ["q0", num(0.5)], ["q1", num(0.5)], ["q2", num(0.5)], ["q3", num(0.5)], ["mf", t("null")]];
}
export { barrierCode as simdBarrier, boundaryCode as simdBoundary, beginBlock as simdBeginBlock, faultFlush as simdFaultFlush, pinnedReload as simdPinnedReload, lanesClean as simdLanesClean, LaneUse } from "./simdlanes.js";

// ---- guards ----

/** `v` is not a denormal (a denormal operand flags DE; NaNs and infinities are let through:
 *  they make the result a NaN or infinity, which the result check refuses, or are exact). */
function notDenormal(v: Node, double: boolean): Node {
  return t("(Math.abs($v) >= $min || $v === 0)", { v, min: num(double ? MIN64 : MIN32) });
}

/** `v` is finite (not a NaN: IE or a NaN operand; not an infinity: OE or ZE). */
function finite(v: Node, double: boolean): Node {
  return t("Math.abs($v) <= $max", { v, max: num(double ? MAX64 : MAX32) });
}

/** `v` is finite and normal, above the smallest normal (a tiny product or quotient is
 *  inexact: UE; the smallest normal may be a tiny value rounded up, which the helper decides). */
function normalResult(v: Node, double: boolean): Node {
  return t("Math.abs($v) > $min && $f", { v, min: num(double ? MIN64 : MIN32), f: finite(v, double) });
}

const OPS: Record<string, string> = { add: "$a + $b", sub: "$a - $b", mul: "$a * $b", div: "$a / $b" };

/** r = a op b (op: add, sub, mul, div, sqrt) and the condition under which r is the CPU's
 *  result with no flag to raise, given MXCSR in the fast state (checked apart). Sums and
 *  differences are exact when tiny, so only their finiteness matters. */
function guarded(op: string, a: Node, b: Node, r: Node, double: boolean, la = -1, lb = -1, k = 0): { value: Node; ok: Node } {
  let value = op === "sqrt" ? t("Math.sqrt($b)", { b }) : t(OPS[op], { a, b });
  if (!double) value = t("Math.fround($v)", { v: value });
  const all = (xs: (Node | null)[]): Node => xs.filter((x): x is Node => x !== null).reduce((x, y) => t("$x && $y", { x, y }));
  const na = ordinary(a, la, k, double), nb = ordinary(b, lb, k, double);
  let ok: Node;
  if (op === "sqrt") ok = all([t("$b >= 0", { b }), nb, finite(b, double)]);
  else if (op === "mul") ok = all([na, nb, t("($r === 0 ? $a === 0 || $b === 0 : $n)", { r, a, b, n: normalResult(r, double) })]);
  else if (op === "div") ok = all([na, nb, t("($r === 0 ? $a === 0 : $n)", { r, a, n: normalResult(r, double) })]);
  else ok = all([na, nb, finite(r, double), notDenormal(r, double)]);
  return { value, ok };
}

/** The known lanes after a guarded double operation on lane pairs (dest `d`, source `s`): its
 *  checked operands, and its result when a product, quotient or root (else dropped). */
function knownAfter(k: number, op: string, dl: number, sl: number): number {
  const checked = sl < 16 ? k | (1 << sl) : k;
  // the destination lane holds the result now: ordinary or zero, whatever the operation
  return checked | (1 << dl);
}

// Double lanes of XMM0-7 known, within a block, to hold no denormal: an operand a guard's fast
// path checked, or a result of guarded arithmetic (ordinary or zero by its guard). A guard's
// slow path (the helper) may leave a denormal in such a lane: it then leaves compiled code after
// the instruction, so the code that follows always runs with what the fast path proved. A lane
// written any other way is dropped, and a handler call forgets them all. Guards skip the
// denormal test of known operands.
interface Known {
  lanes: number;
  calls: number;
}
const knownOf = new WeakMap<Emitter, Known>();

function known(em: Emitter): number {
  const k = knownOf.get(em);
  return k === undefined || k.calls !== em.handlerCalls ? 0 : k.lanes;
}

function setKnown(em: Emitter, lanes: number): void {
  knownOf.set(em, { lanes: lanes & 0xffff, calls: em.handlerCalls });
}

/** `v` (lane `lane`, -1 for none) is no denormal: nothing to test for a known lane. */
function ordinary(v: Node, lane: number, k: number, double: boolean): Node | null {
  return lane >= 0 && lane < 16 && ((k >>> lane) & 1) !== 0 ? null : notDenormal(v, double);
}

/** The end of a guarded double operation's slow path when the block relies on what its fast
 *  path proves (`lanes`: the lanes it makes known): compiled code is left after the
 *  instruction unless they hold no denormal after all. */
function slowExit(c: InsnContext, lanes: number[]): Node[] {
  const after = c.after;
  if (after === undefined || lanes.length === 0) return [];
  const test = lanes.map((l) => notDenormal(id(`xd${l}`), true)).reduce((p, q) => t("$p && $q", { p, q }));
  return [ifs(t("!($x)", { x: test }), [assign(id("n"), t("n + $k | 0", { k: num(after) })), assign(id("pc"), num(c.x.next)), brk(EXIT_LABEL)])];
}

const FULL_MOVES = new Set(["movaps", "movups", "movapd", "movupd", "movdqa", "movdqu", "lddqu"]);

/** The known lanes after an inline instruction other than guarded double arithmetic writing
 *  XMM x.r0: moves and permutations of double lanes carry what is known of the lanes they
 *  copy (bit for bit), a zeroed upper lane is known, anything else in x.r0 is not. */
function movedKnown(k: number, name: string, x: Insn): number {
  const d = x.r0 * 2, s = (x.k1 === K_XMM ? x.r1 : SRC) * 2;
  const of = (l: number): number => (l < 16 ? (k >>> l) & 1 : 0);
  // per result lane: the lane it copies, or -1 unknown, -2 unchanged, -3 zero
  let from = [-1, -1];
  if (FULL_MOVES.has(name) && x.k1 === K_XMM) from = [s, s + 1];
  else if (name === "movsd") from = x.k1 === K_XMM ? [s, -2] : [-1, -3];
  else if (name === "movq") from = x.k1 === K_XMM ? [s, -3] : [-1, -3];
  else if (DPERMS[name] !== undefined) from = DPERMS[name](x.imm & 0xff).map((i) => [d, d + 1, s, s + 1][i]);
  const bits = from.map((l, j) => (l === -3 ? 1 : l === -2 ? of(d + j) : l === -1 ? 0 : of(l)));
  return (k & ~(3 << d)) | (bits[0] << d) | (bits[1] << (d + 1));
}

function fastMode(c: InsnContext): Node {
  return t("($m & $k) === $f", { m: mxcsr(c.em), k: num(FAST_MASK), f: num(FAST) });
}

// ---- moves ----

const UNALIGNED = new Set(["movups", "movupd", "movdqu", "lddqu"]);
/** Full-register moves whose data is most likely integer (kept as int32 lanes, not doubles). */
const INT_MOVES = new Set(["movdqa", "movdqu", "lddqu"]);

/** Moves: full registers and quadwords through the double lanes, dwords through the slots. */
function move(c: InsnContext, name: string): boolean {
  const { em, x } = c;
  const n = name === "movss" || name === "movd" ? 1 : name === "movsd" || name === "movq" ? 2 : 4;
  const align = n === 4 && !UNALIGNED.has(name);
  if (x.k0 === K_XMM && x.k1 === K_XMM) {
    if (n === 1) {
      ints(em, x.r1, false);
      ints(em, x.r0, true);
      em.emit(assign(xw(x.r0 * 4), xw(x.r1 * 4)));
    } else if (n === 4 && !isCachedD(em, x.r1) && (isCachedI(em, x.r1) || INT_MOVES.has(name))) {
      // a register held as int32 lanes, or integer data by the instruction's type, is copied
      // as int32 lanes; movaps/movapd of a register in its slot go through the doubles
      ints(em, x.r1, false);
      ints(em, x.r0, true, false);
      if (x.r0 !== x.r1) for (let k = 0; k < 4; k++) em.emit(assign(xw(x.r0 * 4 + k), xw(x.r1 * 4 + k)));
    } else {
      const lo = getD(em, x.r1 * 2), hi = n === 4 ? getD(em, x.r1 * 2 + 1) : null;
      setD(em, x.r0 * 2, lo);
      if (hi !== null) setD(em, x.r0 * 2 + 1, hi);
      else if (name === "movq") setD(em, x.r0 * 2 + 1, num(0));
    }
  } else if (x.k0 === K_XMM && x.k1 === K_MEM) {
    const same = n === 4 && INT_MOVES.has(name) ? repeatedLoad(em, x, align) : -1;
    if (same >= 0) {
      // the same 16 bytes again (two unpacks of one load): a copy of the register
      ints(em, same, false);
      ints(em, x.r0, true, false);
      if (x.r0 !== same) for (let k = 0; k < 4; k++) em.emit(assign(xw(x.r0 * 4 + k), xw(same * 4 + k)));
      noteLoad(em, x, x.r0, align);
      return true;
    }
    const a = address(c, align);
    if (n === 1) {
      const v = em.load(4, a);
      ints(em, x.r0, true, false);
      em.emit(assign(xw(x.r0 * 4), v), assign(xw(x.r0 * 4 + 1), num(0)), assign(xw(x.r0 * 4 + 2), num(0)), assign(xw(x.r0 * 4 + 3), num(0)));
    } else if (INT_MOVES.has(name)) {
      // integer data: loaded into the int32 lanes, where the integer operations read it
      ints(em, x.r0, true, false);
      if (align) loadSlotCode(em, a, x.r0, 16);
      else loadUnalignedCode(em, a, x.r0);
      noteLoad(em, x, x.r0, align);
    } else {
      loadD(em, a, x.r0 * 2, n / 2);
      if (n === 2) setD(em, x.r0 * 2 + 1, num(0));
    }
  } else if (x.k0 === K_MEM && x.k1 === K_XMM) {
    const a = address(c, align);
    if (n === 1) {
      ints(em, x.r1, false);
      em.store(4, a, xw(x.r1 * 4));
    } else if (n === 4 && !isCachedD(em, x.r1)) storeSlotCode(em, a, x.r1, 16);
    else storeD(em, a, x.r1 * 2, n / 2);
  } else if (x.k0 === K_XMM && x.k1 === K_R32) {
    ints(em, x.r0, true, false);
    em.emit(assign(xw(x.r0 * 4), gpr(x.k1, x.r1)), assign(xw(x.r0 * 4 + 1), num(0)), assign(xw(x.r0 * 4 + 2), num(0)), assign(xw(x.r0 * 4 + 3), num(0)));
  } else if (x.k0 === K_R32 && x.k1 === K_XMM) {
    ints(em, x.r1, false);
    em.emit(assign(gpr(x.k0, x.r0), xw(x.r1 * 4)));
  } else return false;
  return true;
}

/** movlpd/movlps/movhpd/movhps: one quadword between memory and the low or high half of a
 *  register, the other half unchanged (glibc's SSE2 memcpy and string routines use them for
 *  the 8-byte pieces; through the helper, each flushed every cached lane). */
function moveHalf(c: InsnContext, name: string): boolean {
  const { em, x } = c;
  const half = name === "movhpd" || name === "movhps" ? 1 : 0;
  if (x.k0 === K_XMM && x.k1 === K_MEM) loadD(em, address(c, false), x.r0 * 2 + half, 1);
  else if (x.k0 === K_MEM && x.k1 === K_XMM) storeD(em, address(c, false), x.r1 * 2 + half, 1);
  else return false;
  return true;
}

/** Permutations of double lanes: result lane k = lane idx[k] of [d0, d1, s0, s1]. */
const DPERMS: Record<string, (imm: number) => number[]> = {
  unpcklpd: () => [0, 2], unpckhpd: () => [1, 3], punpcklqdq: () => [0, 2], punpckhqdq: () => [1, 3],
  movlhps: () => [0, 2], movhlps: () => [3, 1], shufpd: (imm) => [imm & 1, 2 + ((imm >> 1) & 1)], movddup: () => [2, 2],
};

function dpermute(c: InsnContext, name: string): boolean {
  const { em, x } = c;
  if (!regOrMem(x)) return false;
  let s = x.r1;
  if (x.k1 === K_MEM) {
    const a = address(c, name !== "movddup");
    const lanes = name === "movddup" ? 1 : 2;
    // the memory operand goes to SRC's lanes through the cache's loader
    loadD(em, a, SRC * 2, lanes);
    s = SRC;
  }
  const src = [getD(em, x.r0 * 2), getD(em, x.r0 * 2 + 1), getD(em, s * 2), getD(em, s * 2 + 1)];
  const idx = DPERMS[name](x.imm & 0xff);
  const v = idx.map((i) => src[i]);
  // both results before either lane changes (they may read each other)
  em.emit(assign(id("q0"), v[0]), assign(id("q1"), v[1]));
  setD(em, x.r0 * 2, id("q0"));
  setD(em, x.r0 * 2 + 1, id("q1"));
  return true;
}

/** Permutations of 32-bit lanes: result dword k = dword idx[k] of [d0..d3, s0..s3]. */
const PERMS: Record<string, (imm: number) => number[]> = {
  unpcklps: () => [0, 4, 1, 5], unpckhps: () => [2, 6, 3, 7], punpckldq: () => [0, 4, 1, 5], punpckhdq: () => [2, 6, 3, 7],
  shufps: (imm) => [imm & 3, (imm >> 2) & 3, 4 + ((imm >> 4) & 3), 4 + ((imm >> 6) & 3)],
  pshufd: (imm) => [4 + (imm & 3), 4 + ((imm >> 2) & 3), 4 + ((imm >> 4) & 3), 4 + ((imm >> 6) & 3)],
  movshdup: () => [5, 5, 7, 7], movsldup: () => [4, 4, 6, 6],
};

function permute(c: InsnContext, name: string): boolean {
  const { em, x } = c;
  if (!regOrMem(x)) return false;
  const s = sourceSlot(c, true);
  ints(em, x.r0, true);
  const d = x.r0;
  const vals = PERMS[name](x.imm & 0xff).map((i) => em.hold(xw(i < 4 ? d * 4 + i : s * 4 + i - 4)));
  vals.forEach((v, k) => em.emit(assign(xw(d * 4 + k), v)));
  return true;
}

// ---- arithmetic ----

const FAST_ARITH: Record<string, [string, boolean]> = {
  addsd: ["add", true], subsd: ["sub", true], mulsd: ["mul", true], divsd: ["div", true], sqrtsd: ["sqrt", true],
  addss: ["add", false], subss: ["sub", false], mulss: ["mul", false], divss: ["div", false], sqrtss: ["sqrt", false],
};

/** The scalar source as a JavaScript number in q1, and the slot the helper reads it from. */
function scalarSource(c: InsnContext, double: boolean): number {
  const { em, x } = c;
  if (double) {
    if (x.k1 === K_XMM) {
      em.emit(assign(id("q1"), getD(em, x.r1 * 2)));
      return x.r1;
    }
    const a = address(c, false);
    loadD(em, a, SRC * 2, 1);
    em.emit(assign(id("q1"), getD(em, SRC * 2)));
    return SRC;
  }
  if (x.k1 === K_XMM) {
    sync(em, x.r1, false);
    em.emit(assign(id("q1"), xs(x.r1 * 4)));
    return x.r1;
  }
  const a = address(c, false);
  const v = em.load(4, a);
  sync(em, SRC, true);
  em.emit(assign(xi(SRC * 4), v));
  em.emit(assign(id("q1"), xs(SRC * 4)));
  return SRC;
}

function scalarArith(c: InsnContext, name: string): boolean {
  const { em, x } = c;
  if (!regOrMem(x)) return false;
  const [op, double] = FAST_ARITH[name];
  setIp(c);
  const k = double && c.after !== undefined ? known(em) : 0;
  const s = scalarSource(c, double);
  const d = x.r0;
  if (!double) sync(em, d, false);
  em.emit(assign(id("q0"), double ? getD(em, d * 2) : xs(d * 4)));
  const g = guarded(op, id("q0"), id("q1"), id("q2"), double, d * 2, s * 2, k);
  em.emit(assign(id("q2"), g.value));
  const ok = t("$m && $g", { m: fastMode(c), g: g.ok });
  if (double) {
    const kAfter = c.after !== undefined ? knownAfter(k, op, d * 2, s * 2) : 0;
    // (the destination holds the helper's result; a source lane known before stays as it was)
    const fresh = [d * 2, s * 2].filter((l) => l < 16 && ((kAfter >>> l) & 1) !== 0 && (l === d * 2 || ((k >>> l) & 1) === 0));
    em.emit(ifs(ok, [assign(id(`xd${d * 2}`), id("q2"))], [...slowCall(c, name, d, s), ...slowExit(c, fresh)]));
    markDirty(em, d * 2);
    setKnown(em, kAfter);
  } else {
    em.emit(ifs(ok, [assign(xs(d * 4), id("q2"))], slowCall(c, name, d, s)));
    sync(em, d, true);
  }
  return true;
}

const FAST_PACKED: Record<string, [string, boolean]> = {
  addpd: ["add", true], subpd: ["sub", true], mulpd: ["mul", true], divpd: ["div", true],
  addps: ["add", false], subps: ["sub", false], mulps: ["mul", false], divps: ["div", false],
};

/** Packed arithmetic: every lane through its guard, the results written only if all pass. */
function packedArith(c: InsnContext, name: string): boolean {
  const { em, x } = c;
  if (!regOrMem(x)) return false;
  const [op, double] = FAST_PACKED[name];
  setIp(c);
  const kn = double && c.after !== undefined ? known(em) : 0;
  const d = x.r0;
  let s = x.r1;
  if (double && x.k1 === K_MEM) {
    loadD(em, address(c, true), SRC * 2, 2);
    s = SRC;
  } else if (!double) {
    // the float32 lanes are read from the slots
    s = sourceSlot(c, true);
    sync(em, s, false);
    sync(em, d, false);
  }
  const n = double ? 2 : 4;
  const lane = (slot: number, k: number): Node => (double ? getD(em, slot * 2 + k) : xs(slot * 4 + k));
  const oks: Node[] = [fastMode(c)];
  const res: Node[] = [];
  for (let k = 0; k < n; k++) {
    const r = id(`q${k}`);
    const g = guarded(op, lane(d, k), lane(s, k), r, double, d * 2 + k, s * 2 + k, kn);
    em.emit(assign(r, g.value));
    oks.push(g.ok);
    res.push(r);
  }
  const test = oks.reduce((p, q) => t("$p && $q", { p, q }));
  const target = (k: number): Node => (double ? id(`xd${d * 2 + k}`) : xs(d * 4 + k));
  const kAfter = double && c.after !== undefined ? knownAfter(knownAfter(kn, op, d * 2, s * 2), op, d * 2 + 1, s * 2 + 1) : 0;
  const fresh = double ? [d * 2, d * 2 + 1, s * 2, s * 2 + 1].filter((l) => l < 16 && ((kAfter >>> l) & 1) !== 0 && (l >> 1 === d || ((kn >>> l) & 1) === 0)) : [];
  em.emit(ifs(test, res.map((v, k) => assign(target(k), v)), [...slowCall(c, name, d, s), ...slowExit(c, [...new Set(fresh)])]));
  if (double) {
    markDirty(em, d * 2);
    markDirty(em, d * 2 + 1);
    setKnown(em, kAfter);
  } else sync(em, d, true);
  return true;
}

/** ucomisd/comisd/ucomiss/comiss: flags from a JavaScript comparison of ordinary operands
 *  (NaNs and denormals go to the helper: they raise flags in MXCSR). */
function comis(c: InsnContext, name: string): boolean {
  const { em, x } = c;
  if (!regOrMem(x)) return false;
  const double = name.endsWith("d");
  setIp(c);
  const s = scalarSource(c, double);
  if (!double) sync(em, x.r0, false);
  em.emit(assign(id("q0"), double ? getD(em, x.r0 * 2) : xs(x.r0 * 4)));
  const v = em.tmp();
  mxcsr(em);
  const slow = [...coldFlush(em), assign(v, helper(c, name, [num(x.r0), num(s), num(0), num(16)])), assign(id("mxf"), t("R[$m]", { m: num(MXCSR) }))];
  const ok = t("$a && $b && $c && $d", { a: notDenormal(id("q0"), double), b: notDenormal(id("q1"), double), c: t("q0 === q0"), d: t("q1 === q1") });
  em.emit(ifs(ok, [assign(v, t("q0 < q1 ? 1 : q0 > q1 ? 0 : 64"))], slow));
  setFlags(c, v);
  return true;
}

/** cvtsi2sd: exact, always. */
function cvtsi2sd(c: InsnContext): boolean {
  const { em, x } = c;
  if (x.k0 !== K_XMM) return false;
  let v: Node;
  if (x.k1 === K_R32) v = gpr(x.k1, x.r1);
  else if (x.k1 === K_MEM) v = em.load(4, address(c, false));
  else return false;
  setD(em, x.r0 * 2, v);
  return true;
}

/** cvttsd2si/cvttss2si r32, xmm/m: JavaScript's truncation when in range and PE is set. */
function cvtt(c: InsnContext, name: string): boolean {
  const { em, x } = c;
  if (x.k0 !== K_R32 || (x.k1 !== K_XMM && x.k1 !== K_MEM)) return false;
  setIp(c);
  const s = scalarSource(c, name === "cvttsd2si");
  const slow = [...slowCall(c, name, TMP, s), assign(gpr(x.k0, x.r0), xi(TMP * 4))];
  const ok = t("$m && q1 > -2147483649 && q1 < 2147483648", { m: fastMode(c) });
  em.emit(ifs(ok, [assign(gpr(x.k0, x.r0), t("q1 | 0"))], slow));
  return true;
}

const INLINE: Record<string, (c: InsnContext, name: string) => boolean> = {
  ...INT_INLINE,
  cvtsi2sd: cvtsi2sd, cvttsd2si: cvtt, cvttss2si: cvtt,
  ucomisd: comis, comisd: comis, ucomiss: comis, comiss: comis,
};
for (const n of ["movaps", "movups", "movapd", "movupd", "movdqa", "movdqu", "lddqu", "movss", "movsd", "movq", "movd"]) INLINE[n] = move;
for (const n of ["movlpd", "movlps", "movhpd", "movhps"]) INLINE[n] = moveHalf;
for (const n of Object.keys(FAST_ARITH)) INLINE[n] = scalarArith;
for (const n of Object.keys(FAST_PACKED)) INLINE[n] = packedArith;
for (const n of Object.keys(DPERMS)) INLINE[n] = dpermute;
for (const n of Object.keys(PERMS)) INLINE[n] = permute;

/** General registers some helpers read or write through the register file. */
const IMPLICIT: Record<string, { before: number[]; after: number[] }> = {
  pcmpestri: { before: [EAX, EDX], after: [ECX] },
  pcmpestrm: { before: [EAX, EDX], after: [] },
  pcmpistri: { before: [], after: [ECX] },
};

/** Any helper-shaped SIMD instruction: operands into slots, one call, the result out. An MMX
 *  register operand is copied through a scratch slot (MMS, MMD) around the call, after the
 *  MMX entry (mmxEntry), as its handler does; the MMX operations OpenSSL's bignum loops run are
 *  written out instead of called (MMX_INLINE). */
function helperCall(c: InsnContext, name: string): boolean {
  const { em, x } = c;
  const spec = SIMD_SPECS[name];
  if (spec === undefined) return false;
  const mmx = x.k0 === K_MM || x.k1 === K_MM;
  const align = spec.unaligned !== true;
  let a: Node | null = null;
  if (x.k0 === K_MEM || x.k1 === K_MEM) a = address(c, align);
  else setIp(c);
  // the helper sees the slots: every cached lane goes back first
  em.emit(...barrierCode(em));
  const f = mmx ? mmxEntry(em) : null;
  let s = -1;
  if (x.k1 === K_XMM) s = x.r1;
  else if (x.k1 === K_MM) {
    em.emit(...mmIn(f as Node, x.r1, MMS));
    s = MMS;
  } else if (x.k1 === K_MEM) {
    if (x.msz === 4 || x.msz === 8 || x.msz === 16) loadSlotCode(em, a as Node, SRC, x.msz);
    else em.emit(expr(call(id("ldx"), [id("c"), a as Node, num(SRC), num(x.msz)])));
    s = SRC;
  } else if (x.k1 === K_R32) {
    em.emit(assign(xi(SRC * 4), gpr(x.k1, x.r1)));
    s = SRC;
  } else if (x.k1 !== K_IMM && x.k1 !== 0) return false;
  let d = x.k0 === K_XMM ? x.r0 : TMP;
  if (x.k0 === K_MM) {
    em.emit(...mmIn(f as Node, x.r0, MMD));
    d = MMD;
  }
  const imm = x.k1 === K_IMM || x.k2 === K_IMM ? x.imm : 0;
  const implicit = IMPLICIT[name];
  for (const r of implicit?.before ?? []) em.emit(assign(t("R[$r]", { r: num(r) }), id(`r${r}`)));
  const inline = mmx && x.k0 !== K_XMM && x.k1 !== K_XMM ? MMX_INLINE[name]?.(em, d, s, imm) : undefined;
  if (inline !== undefined) em.emit(...inline);
  else {
    const callNode = helper(c, name, [num(d), num(s), num(imm), num(mmx ? 8 : 16)]);
    if (spec.flags) {
      const v = em.tmp();
      em.emit(assign(v, callNode));
      setFlags(c, v);
    } else em.emit(expr(callNode));
  }
  for (const r of implicit?.after ?? []) em.emit(assign(id(`r${r}`), t("R[$r]", { r: num(r) })));
  if (x.k0 === K_MM) em.emit(...mmOut(f as Node, x.r0, MMD));
  else if (x.k0 === K_MEM) {
    if (x.msz === 4 || x.msz === 8 || x.msz === 16) storeSlotCode(em, a as Node, TMP, x.msz);
    else em.emit(expr(call(id("stx"), [id("c"), a as Node, num(TMP), num(x.msz)])));
  } else if (x.k0 === K_R32) em.emit(assign(gpr(x.k0, x.r0), xi(TMP * 4)));
  forget(em);
  if (mmx) mmxEntered.set(em, { calls: em.handlerCalls, x87: em.x87Runs });
  return true;
}

/** An MMX-form instruction of the helper shape (MMX registers, and memory, general or XMM
 *  registers beside them): helperCall, with the operands known when the region is compiled,
 *  instead of the handler's generic dispatch. MMX code is hot in places (OpenSSL's bignum
 *  multiplication on i386 is pmuludq/paddq on MMX registers). */
function mmxBody(c: InsnContext): boolean {
  const { em, x } = c;
  const name = NAME_OF.get(x.fn);
  if (name === undefined || IMPLICIT[name] !== undefined || x.k2 === K_MM) return false;
  if (SIMD_SPECS[name] === undefined || (x.k0 !== K_MM && x.k1 !== K_MM)) return false;
  const ok = (k: number): boolean => k === K_MM || k === K_XMM || k === K_MEM || k === K_R32;
  if (!ok(x.k0) || !(ok(x.k1) || x.k1 === K_IMM)) return false;
  em.simd = true;
  const done = helperCall(c, name);
  setKnown(em, 0);
  if (done) noteDirty(em);
  return done;
}

/** The MMX entry (TOP 0 and every register valid, #MF if an x87 exception is pending), before
 *  any operand, leaving the FPU state in the region local `mf`. An earlier MMX instruction of
 *  the block did it already when no handler and no x87 code came between (nothing else
 *  changes the x87 state), and its FPU state serves. */
function mmxEntry(em: Emitter): Node {
  const prev = mmxEntered.get(em);
  const f = id("mf");
  if (prev === undefined || prev.calls !== em.handlerCalls || prev.x87 !== em.x87Runs) em.emit(assign(f, call(id("mmE"), [id("c")])));
  return f;
}

/** hw/simd/state.ts's mmIn, written out: MMX register r (the significand of physical x87
 *  register r, in FPU state `f`) into slot `slot`. */
function mmIn(f: Node, r: number, slot: number): Node[] {
  return [assign(xi(slot * 4), t("$f.ml[$r]", { f, r: num(r) })), assign(xi(slot * 4 + 1), t("$f.mh[$r]", { f, r: num(r) }))];
}

/** hw/simd/state.ts's mmOut, written out: slot `slot`'s low quadword into MMX register r, its
 *  sign and exponent all ones. */
function mmOut(f: Node, r: number, slot: number): Node[] {
  const n = num(r);
  return [
    assign(t("$f.ml[$r]", { f, r: n }), xi(slot * 4)), assign(t("$f.mh[$r]", { f, r: n }), xi(slot * 4 + 1)),
    assign(t("$f.se[$r]", { f, r: n }), num(0xffff)), assign(t("$f.form[$r]", { f, r: n }), num(FORM_ENC)),
  ];
}

/** MMX operations written out on the scratch slots, for those OpenSSL's bignum loops run (the
 *  others call their helper): destination slot `d` (its low quadword, as two int32 lanes),
 *  source slot `s` (-1 for an immediate count). Each is its helper's operation for 64 bits. */
const MMX_INLINE: Record<string, (em: Emitter, d: number, s: number, imm: number) => Node[] | undefined> = {
  paddq: (em, d, s) => addSubQ(em, d, s, "+", "$v > 4294967295"),
  psubq: (em, d, s) => addSubQ(em, d, s, "-", "$v < 0"),
  // (the low doublewords' unsigned product, 64 bits)
  pmuludq: (em, d, s) => {
    const v = em.tmp();
    return [
      assign(v, call(id("mulHiU32"), [xi(d * 4), xi(s * 4)])),
      assign(xi(d * 4), call(id("mathImul"), [xi(d * 4), xi(s * 4)])),
      assign(xi(d * 4 + 1), v),
    ];
  },
  psrlq: (_em, d, s, imm) => (s < 0 ? shiftQ(d, imm, false) : undefined),
  psllq: (_em, d, s, imm) => (s < 0 ? shiftQ(d, imm, true) : undefined),
  pand: (_em, d, s) => lanes2(d, s, "$a & $b"),
  por: (_em, d, s) => lanes2(d, s, "$a | $b"),
  pxor: (_em, d, s) => lanes2(d, s, "$a ^ $b"),
  pandn: (_em, d, s) => lanes2(d, s, "~$a & $b"),
  movq: (_em, d, s) => [assign(xi(d * 4), xi(s * 4)), assign(xi(d * 4 + 1), xi(s * 4 + 1))],
  // (to an MMX register: the doubleword zero-extended; from one: its low doubleword)
  movd: (_em, d, s) => [assign(xi(d * 4), xi(s * 4)), assign(xi(d * 4 + 1), num(0))],
};

/** Slot d's quadword plus or minus slot s's: the low doublewords as unsigned numbers, whose
 *  sum or difference `v` carries or borrows (`carry`) into the high ones. */
function addSubQ(em: Emitter, d: number, s: number, op: "+" | "-", carry: string): Node[] {
  const v = em.tmp();
  return [
    assign(v, t(`(XI[$a] >>> 0) ${op} (XI[$b] >>> 0)`, { a: num(d * 4), b: num(s * 4) })),
    assign(xi(d * 4), t("$v | 0", { v })),
    assign(xi(d * 4 + 1), t(`XI[$a] ${op} XI[$b] ${op} (${carry} ? 1 : 0) | 0`, { a: num(d * 4 + 1), b: num(s * 4 + 1), v })),
  ];
}

/** Both doublewords of slot d become `op` of slot d's and slot s's. */
function lanes2(d: number, s: number, op: string): Node[] {
  return [0, 1].map((k) => assign(xi(d * 4 + k), t(op, { a: xi(d * 4 + k), b: xi(s * 4 + k) })));
}

/** Slot d's quadword shifted by the constant `count` (psllq/psrlq: 64 or more clears it). */
function shiftQ(d: number, count: number, left: boolean): Node[] {
  const lo = xi(d * 4), hi = xi(d * 4 + 1);
  const n = count & 0xff;
  if (n === 0) return [];
  if (n > 63) return [assign(lo, num(0)), assign(hi, num(0))];
  if (n >= 32) {
    return left ? [assign(hi, t("$l << $n", { l: lo, n: num(n - 32) })), assign(lo, num(0))] : [assign(lo, t("$h >>> $n | 0", { h: hi, n: num(n - 32) })), assign(hi, num(0))];
  }
  return left
    ? [assign(hi, t("$h << $n | $l >>> $m", { h: hi, l: lo, n: num(n), m: num(32 - n) })), assign(lo, t("$l << $n", { l: lo, n: num(n) }))]
    : [assign(lo, t("$l >>> $n | $h << $m", { l: lo, h: hi, n: num(n), m: num(32 - n) })), assign(hi, t("$h >>> $n | 0", { h: hi, n: num(n) }))];
}

/** Per block: the handler calls and x87 runs emitted by the time of its last MMX instruction
 *  (whose mmxEnter left the FPU state in the local `mf`). */
const mmxEntered = new WeakMap<Emitter, { calls: number; x87: number }>();

/** The SIMD instruction's name when it is one this file translates (XMM forms), else null. */
export function simdName(x: Insn): string | null {
  const name = NAME_OF.get(x.fn);
  if (name === undefined || x.k0 === K_MM || x.k1 === K_MM || x.k2 === K_MM) return null;
  return name;
}

/** Translates an XMM-form SIMD instruction inline (false: leave it to its handler). */
export function simdBody(c: InsnContext): boolean {
  const name = simdName(c.x);
  if (name === null) return mmxBody(c);
  c.em.simd = true;
  const inline = INLINE[name];
  let done = false;
  const k = known(c.em);
  if (inline !== undefined) {
    const saved = c.em.out.length;
    done = inline(c, name);
    if (!done) c.em.out.length = saved;
  }
  // guarded arithmetic set the known lanes itself; other inline code writes at most the
  // destination register; a helper may write anything
  const arith = FAST_ARITH[name] ?? FAST_PACKED[name];
  if (done && arith !== undefined && arith[1] && (inline === scalarArith || inline === packedArith)) {
    // (double arithmetic set them)
  } else if (done) setKnown(c.em, c.x.k0 === K_XMM ? movedKnown(k, name, c.x) : k);
  else setKnown(c.em, 0);
  if (!done) done = helperCall(c, name);
  if (done) noteDirty(c.em);
  return done;
}

/** Registers and flags the handler of a SIMD instruction (fallback) reads and writes. */
export function simdFallbackSets(x: Insn): { before: number[]; after: number[]; flagsIn: boolean; flagsOut: boolean; full: boolean } {
  const name = NAME_OF.get(x.fn) ?? "";
  const reg = (k: number, r: number): number[] => (k === K_R32 ? [r] : k === K_R16 ? [r >> 1] : k === 1 ? [r >> 2] : []);
  const before = [x.base, x.index, ...reg(x.k0, x.r0), ...reg(x.k1, x.r1), ...(IMPLICIT[name]?.before ?? [])].filter((r) => r >= 0);
  if (name === "maskmovq" || name === "maskmovdqu") before.push(7);
  const after = [...reg(x.k0, x.r0), ...(IMPLICIT[name]?.after ?? [])];
  return { before, after, flagsIn: (x.flagsWritten & ARITH_FLAGS) !== 0, flagsOut: (x.flagsWritten & ARITH_FLAGS) !== 0, full: false };
}

