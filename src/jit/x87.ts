// x87 runs: the x87 instructions of a block, with the register-only integer instructions between
// them, compiled as one unit on the fast path's double-double pairs (hw/fpu/dd.ts) instead of
// one handler call each.
//
// Within a run the stack top moves by a statically known amount, so every ST(i) an instruction
// names is a fixed offset ("rel") from the top on entry to the run. The run works on scratch
// pairs, one per rel: a guard checks on entry that the control word is glibc's (any rounding
// control, in a run that does not round: moves, compares and integer stores, which round as it
// says themselves, as gcc's conversion of a double to an int runs fistp under truncation), that
// no exception is pending, that each register the run reads is full and held as a pair, and that
// each one it pushes into is empty; the body works on the scratch pairs, and a commit writes the
// memory stores, the pairs, TOP, the tags, the status word and EFLAGS.
//
// The scratch pairs are locals (xh<slot>, xl<slot>), and add, subtract, multiply, compare and
// the m64 store are written out inline: the fast cases of dd.ts's ddAdd and ddMul, the same
// operations in the same order, whose failing tests (a zero, a result on or across a power of
// two, a near-tie, a cancellation, operands 2^38 apart) leave the run. Division, square root,
// m32 and unaligned operands call dd.ts through the arrays XH and XL. Written out, nbody 800000
// took 5.7-6.0 s instead of 7.0 s with the calls (each call stored and reloaded its operands
// and result, and TurboFan could not schedule across it), mandelbrot 700 4.0-4.3 s instead of
// 4.8 (same load, warm-up on in both); leaving the run instead of calling the general
// ddAddGen/ddMulGen when a fast case fails keeps each operation small: nbody's largest region
// compiled in 0.31 s instead of 0.61 s with those calls written in, and nbody took 5.0 s.
// PE is or-ed from each operation; C1 comes from xc, the signed residual of the last rounding.
//
// Nothing of the x87 state or memory is written before the commit, and the registers and flags
// the integer instructions change are saved on entry: so when any operation cannot decide
// (dd.ts returns -1), a memory operand misses the TLB or overlaps a store of the run, or a value
// is not representable, the whole run is executed again from its first instruction by the
// handlers (and the integer instructions' own translations), which are exact in every case and
// fault precisely.

import { type Node, id, num, t, assign, ifs, expr, labeled, block, brk } from "./ast.js";
import { type Emitter, FLAG_LOCALS, FLAG_VARS } from "./emit.js";
import { type Insn, Op, K_MEM, K_R8, K_R16, K_R32 } from "../hw/isa.js";
import { FS, GS } from "../hw/state.js";
import { FPU_HANDLERS } from "../hw/fpu/index.js";
import { ready } from "../hw/fpu/fast.js";
import {
  ddDiv, ddSqrt, ddLoadF64, ddLoadF32, ddToF32, BITS, BITS_F64, SINGLE, SAFE, SPLIT, TINY_RATIO, MAGIC, HALFG, BINADE,
} from "../hw/fpu/dd.js";

/** Scratch pairs: slot rel + 8 for stack offsets -8..8, MEM for a memory operand. The run
 *  keeps them in the locals xh<slot>, xl<slot>; XH and XL carry them to and from the dd.ts
 *  functions it calls (division, square root, loads and stores of unusual operands). */
const MEM = 17;
const XH = new Float64Array(MEM + 1);
const XL = new Float64Array(MEM + 1);

/** Warm-up. Code V8 optimised before it ever ran has no type feedback, and running it later
 *  deoptimises the whole region (each recompilation of an x87 region took 0.1-0.35 s, and the
 *  region waited in the slower tiers meanwhile): a run's slow path (the handlers, taken when an
 *  operation cannot decide) is rare, but not rare enough, and so is a register the handlers
 *  left as an encoding only. So during the first WARM_ENTRIES entries to a region (keyed by
 *  its array of fallback instructions, the factory's I) x87warm gives 1, and then each run
 *  takes its slow path, and each guard decodes with x87ready, when x87flip says so: half the
 *  time, at random, so that both ways get feedback whatever the loops' periods. The results
 *  are the same either way. */
const WARM_ENTRIES = 3;
function x87warm(I: { x87w?: number }): number {
  const k = I.x87w ?? 0;
  if (k >= WARM_ENTRIES) return 0;
  I.x87w = k + 1;
  return 1;
}
let flipState = 12345;
function x87flip(): boolean {
  flipState = (Math.imul(flipState, 1103515245) + 12345) | 0;
  return flipState < 0;
}

/** Runtime helpers the generated code uses (added to the region's helper table). */
export const X87_HELPERS = {
  x87ready: ready, x87warm, x87flip, XH, XL, ddDiv, ddSqrt, ddLoadF64, ddLoadF32, ddToF32, BITS, BITS_F64, SINGLE, MAGIC, HALFG, BINADE,
};

/** Scratch locals of the inline add and multiply (dead after each operation). */
const Q = ["qp", "qbe", "qc", "qa1", "qa2", "qb1", "qb2", "qe", "qA", "qB", "qz", "qzb", "qw", "qC", "qt", "qr", "qhi", "qP", "qm", "qs", "qbb", "qy", "qah", "qal", "qbh", "qbl", "qaa", "qab", "q0a", "q0b"];

/** Locals a region with runs declares: xs the status a dd.ts call returned, xp the PE bits of
 *  the run, xc a number whose sign is that of the last rounding's residual times the result
 *  (negative: rounded up, C1). */
export const X87_LOCALS: [string, Node][] = [
  ["xd", num(0)], ["xf", t("c.fpu")], ["xw", t("x87warm(I)")], ["xt", num(0)], ["xs", num(0)], ["xp", num(0)], ["xc", num(0)], ["xg", num(0)],
  ...Array.from({ length: MEM + 1 }, (_, k): [string, Node][] => [[`xh${k}`, num(0)], [`xl${k}`, num(0)]]).flat(),
  ...Q.map((q): [string, Node] => [`x${q}`, num(0)]),
];

const NAME_OF = new Map<unknown, string>(Object.entries(FPU_HANDLERS).map(([k, v]) => [v, k]));

const ARITH: Record<string, { op: "add" | "sub" | "subr" | "mul" | "div" | "divr"; pop: boolean; int: boolean }> = {};
for (const op of ["add", "sub", "subr", "mul", "div", "divr"] as const) {
  ARITH[`f${op}`] = { op, pop: false, int: false };
  ARITH[`f${op}p`] = { op, pop: true, int: false };
  ARITH[`fi${op}`] = { op, pop: false, int: true };
}
const COMPARE: Record<string, number> = { fcom: 0, fcomp: 1, fcompp: 2, fucom: 0, fucomp: 1, fucompp: 2, ficom: 0, ficomp: 1 };
const COMI: Record<string, number> = { fcomi: 0, fcomip: 1, fucomi: 0, fucomip: 1 };

/** The x87 mnemonic of x (FPU_HANDLERS' key), or undefined for other instructions. */
export function x87Name(x: Insn): string | undefined {
  return NAME_OF.get(x.fn);
}

/** Whether x can be part of a run (before the checks that depend on its place in the run). */
export function runnable(x: Insn): boolean {
  const name = NAME_OF.get(x.fn);
  if (name === undefined) return false;
  if (x.k0 === K_MEM || x.k1 === K_MEM) {
    if (x.seg === FS || x.seg === GS) return false; // their limit checks may fault mid-run
    if (name === "fld" || name === "fst" || name === "fstp") return x.msz === 4 || x.msz === 8;
    if (name === "fild") return x.msz === 2 || x.msz === 4 || x.msz === 8;
    if (ARITH[name]?.int || name === "ficom" || name === "ficomp" || name in INT_STORES) return x.msz === 2 || x.msz === 4;
  }
  return name in ARITH || name in COMPARE || name in COMI || OTHERS.has(name);
}

/** Integer stores a run takes (m16 and m32), and whether each pops; fisttp truncates whatever
 *  the control word's rounding. */
const INT_STORES: Record<string, { pop: boolean; chop: boolean }> = {
  fist: { pop: false, chop: false },
  fistp: { pop: true, chop: false },
  fisttp: { pop: true, chop: true },
};

/** Whether x (in a run) rounds as the control word says: arithmetic, square roots and stores
 *  of floats; a run of moves, compares and integer stores (which round by the control word
 *  themselves) takes any rounding control. */
function roundsByControl(x: Insn): boolean {
  const name = NAME_OF.get(x.fn);
  if (name === undefined) return false;
  return name in ARITH || name === "fsqrt" || ((name === "fst" || name === "fstp") && x.k0 === K_MEM);
}

const OTHERS = new Set(["fld", "fild", "fst", "fstp", "fxch", "fchs", "fabs", "fsqrt", "fldz", "fld1", "ftst"]);

/** Integer instructions a run may contain: they neither touch memory nor can fault, so the run
 *  can execute them in its body and undo them by restoring the locals they write. */
const INTEGER_OPS = new Set<number>([
  Op.ADD, Op.SUB, Op.AND, Op.OR, Op.XOR, Op.CMP, Op.TEST, Op.ADC, Op.SBB, Op.INC, Op.DEC, Op.NEG, Op.NOT,
  Op.SHL, Op.SHR, Op.SAR, Op.ROL, Op.ROR, Op.MOV, Op.MOVZX, Op.MOVSX, Op.LEA, Op.CMOV, Op.SETCC, Op.NOP,
]);

function integerOk(x: Insn): boolean {
  if (!INTEGER_OPS.has(x.op) || x.rep !== 0) return false;
  return x.op === Op.LEA || (x.k0 !== K_MEM && x.k1 !== K_MEM && x.k2 !== K_MEM);
}

/** The 32-bit register local an integer instruction may write (its first operand). */
function writtenReg(x: Insn): number {
  if (x.k0 === K_R32) return x.r0;
  if (x.k0 === K_R16) return x.r0 >> 1;
  if (x.k0 === K_R8) return x.r0 >> 2;
  return -1;
}

/** What the block translator supplies: the handler translation of an instruction (the slow
 *  path), the inline translation of insns[k] (false if it has none), and whether insns[k] is a
 *  flag producer fused with the branch after it (which then stays outside the run). */
export interface RunHooks {
  slow(x: Insn): void;
  inline(x: Insn, k: number): boolean;
  fused(k: number): boolean;
}

const ENTRY = 0, FULL = 1, EMPTY = 2, READ = 3;

/** Statements setting `w` to the integer that the pair (h, l) rounds to, as fist rounds it: by
 *  the control word's rounding control, or truncating (`chop`, fisttp); PE (xp) when inexact,
 *  C1 (xc < 0) when rounded up in magnitude, as hw/fpu/formats.ts roundToInt sets them. A
 *  result beyond a `size`-byte integer (IE, the handlers' case) leaves the run.
 *  The pair's value v = h + l has |l| at most half an ulp of h: where h is not a whole number,
 *  v lies strictly between the same two integers as h (each is at least an ulp of h away), so
 *  h's floor is v's; where it is, the sign of l says on which side of h the value lies. The
 *  differences below (h less an integer within 1 of it) are exact. */
function intStore(h: Node, l: Node, w: Node, chop: boolean, size: number): Node[] {
  const lim = num(size === 2 ? 32768 : 2147483648);
  return [
    s("xqm = Math.floor($h)", { h }),
    // v's floor, and whether v is a whole number
    s("xqs = xqm === $h && $l < 0 ? xqm - 1 : xqm", { h, l }),
    s("xqt = xqm === $h && $l === 0 ? 1 : 0", { h, l }),
    // below zero (h is the value's nearest double: only a zero value has a zero h)
    s("xq0a = $h < 0", { h }),
    s("xqy = $h - xqs", { h }),
    s(`xqr = ${chop ? "3072" : "xf.cw & 3072"}`),
    // nearest (a tie, h at a half with l zero, to even), down, up, toward zero
    assign(w, t(
      "xqr === 0 ? (xqy === 0.5 ? ($l > 0 ? xqs + 1 : $l < 0 ? xqs : xqs % 2 === 0 ? xqs : xqs + 1) : xqy > 0.5 ? xqs + 1 : xqs) : " +
        "xqr === 1024 || xqr === 3072 && !xq0a || xqt === 1 ? xqs : xqs + 1",
      { l },
    )),
    ifs(t("!($w >= -$m && $w < $m)", { w, m: lim }), [brk("XR")]),
    s("xp |= xqt === 1 ? 0 : 32"),
    s("xc = xqt === 0 && (xq0a ? $w - $h < $l : $w - $h > $l) ? -1 : 0", { w, h, l }),
    assign(w, t("$w | 0", { w })),
  ];
}

const s = (src: string, args: Record<string, Node> = {}): Node => expr(t(src, args));

/** Emits run code starting at insns[0] (an x87 instruction that `runnable` accepts). Returns how
 *  many instructions it took. */
export function translateRun(em: Emitter, insns: readonly Insn[], hooks: RunHooks): number {
  // status of each rel on entry to the instruction being planned; what the guard must check
  const status = new Map<number, number>();
  const mustRead: number[] = [];
  const mustBeEmpty: number[] = [];
  let depth = 0;
  const touched = new Set<number>([0]);
  const everWritten = new Set<number>();
  const body: Node[] = [];
  /** Deferred stores: address, TLB entry, size, the value (a double, a single's bits, or an
   *  integer), and whether it is an integer's. */
  const stores: { a: Node; e: Node; size: number; w: Node; int: boolean }[] = [];
  let lastC1 = false; // whether the last x87 instruction's status (xs) supplies C1
  let anyPE = false;
  let cc: Node | null = null; // C3/C2/C0 of the last compare
  let eflags: Node | null = null;
  let memSeen: Insn | null = null;
  let memSeenAddr: Node = num(0);
  /** Which rels hold the same value (a copy made by fld st(i) or fst st(i)): a number per rel,
   *  the registers on entry each their own. */
  const vid = new Map<number, number>();
  let nextVid = 0;
  const vidOf = (rel: number): number => vid.get(rel) ?? -1 - rel;
  /** Rels known to hold a double (a low part of 0): loaded from memory or a constant, or
   *  copied from such a rel. The inline add and multiply leave out the terms of a zero low
   *  part: each such term is a signed zero added to a sum, which changes at most the sign of a
   *  zero result, and the sums concerned (y, A, B, z1 and w) only reach results and flags
   *  through t = y + C - C (+0 for either zero), a comparison or a zero test. */
  const dbl = new Set<number>();
  const isDbl = (k: number): boolean => k === MEM || dbl.has(k - 8);
  /** State after the last x87 instruction taken (the run ends there). */
  let kept = { taken: 0, body: 0, producer: em.producer };
  const producer0 = em.producer;

  const n = (rel: number): number => rel + 8;
  const H = (k: number): Node => id(`xh${k}`);
  const L = (k: number): Node => id(`xl${k}`);
  /** Calls a dd.ts operation; -1 leaves the run. */
  const op = (call: Node): Node[] => [assign(id("xs"), call), ifs(t("xs < 0"), [brk("XR")]), s("xp |= xs"), s("xc = (xs & 512) !== 0 ? -1 : 0")];
  /** The pairs a call reads go to XH/XL, the one it writes comes back. */
  const toArr = (...ks: number[]): Node[] => [...new Set(ks)].flatMap((k) => [assign(t("XH[$k]", { k: num(k) }), H(k)), assign(t("XL[$k]", { k: num(k) }), L(k))]);
  const fromArr = (k: number): Node[] => [assign(H(k), t("XH[$k]", { k: num(k) })), assign(L(k), t("XL[$k]", { k: num(k) }))];
  const copy = (d: number, a: number): Node[] => [assign(H(d), H(a)), assign(L(d), L(a))];
  /** Plans a read of rel; false when it would read a register the run emptied. */
  const read = (rel: number): boolean => {
    const st = status.get(rel) ?? ENTRY;
    if (st === EMPTY) return false;
    if (st === ENTRY) {
      mustRead.push(rel);
      status.set(rel, READ);
    }
    return true;
  };
  const push = (rel: number): boolean => {
    const st = status.get(rel) ?? ENTRY;
    if (st === FULL || st === READ) return false;
    if (st === ENTRY) mustBeEmpty.push(rel);
    return true;
  };
  /** Whether the rels touched so far plus these still name distinct physical registers. */
  const within = (...rels: number[]): boolean => {
    const all = [...touched, ...rels];
    return Math.max(...all) - Math.min(...all) < 8;
  };

  const saved = em.out;
  em.out = body; // addresses and integer instructions go into the body, in program order
  em.flagVars = FLAG_VARS;
  em.begin();
  em.reserveTemps(true); // the commit reads temporaries of earlier instructions
  for (let k = 0; k < insns.length; k++) {
    const x = insns[k];
    if (!runnable(x)) {
      // an integer instruction the run can carry: not after an fcomi (whose EFLAGS the commit
      // writes last), not a compare fused with the branch after it
      if (!integerOk(x) || eflags !== null || hooks.fused(k)) break;
      const mark = body.length;
      if (!hooks.inline(x, k)) {
        body.length = mark;
        break;
      }
      em.reserveTemps(true);
      continue;
    }
    const name = NAME_OF.get(x.fn) as string;
    const snapshot = { status: new Map(status), mr: mustRead.length, me: mustBeEmpty.length, body: body.length, stores: stores.length };
    const undo = (): void => {
      status.clear();
      for (const [k2, v] of snapshot.status) status.set(k2, v);
      mustRead.length = snapshot.mr;
      mustBeEmpty.length = snapshot.me;
      body.length = snapshot.body;
      stores.length = snapshot.stores;
    };
    let ok = true;
    let written: number[] = [];
    /** Rels whose value this instruction copies from another rel (the rest of written get new values). */
    const copied = new Map<number, number>();
    /** Rels this instruction writes that hold a double afterwards. */
    const dblNew = new Set<number>();
    let popAfter = 0;
    let pushTo: number | null = null;
    let setsStatus = false; // this instruction sets PE (xp) and C1 (xc)
    let mem: Node | null = null;
    /** Loads the memory operand into the MEM pair (TLB hits only: a miss, an unaligned or
     *  page-crossing operand, or one overlapping a store of the run runs the handlers). The
     *  value a store of the run left at the same address, of the same size and kind, is taken
     *  from it: the run's stores are made at its end (Debian's python3 converts a 64-bit
     *  integer to a double with fildll, fstpl and fldl of one stack slot). */
    const memLoad = (int: boolean): void => {
      const a = em.addr(x);
      mem = a;
      const size = x.msz;
      const m = num(MEM);
      const load = memRead(a, int, size, m);
      if (stores.length === 0) {
        body.push(...load);
        return;
      }
      // the latest store it overlaps decides: the same store forwarded, or the handlers
      const fw = em.tmp();
      body.push(assign(fw, num(0)));
      for (let j = stores.length - 1; j >= 0; j--) {
        const st = stores[j];
        // overlap: a - st.a in (-size, st.size), modulo 2^32
        const overlaps = t("$f === 0 && ($a - $b + $k >>> 0) < $w", { f: fw, a, b: st.a, k: num(size - 1), w: num(st.size + size - 1) });
        const same = st.size === size && st.int === int;
        body.push(ifs(overlaps, same ? [ifs(t("$a !== $b", { a, b: st.a }), [brk("XR")]), ...forward(st.w, int, size, m), assign(fw, num(1))] : [brk("XR")]));
      }
      body.push(ifs(t("$f === 0", { f: fw }), load));
    };
    /** The MEM pair from the value a store of the run made (its double, single's bits or
     *  integer). */
    const forward = (w: Node, int: boolean, size: number, m: Node): Node[] => {
      if (int) return [assign(H(MEM), size === 2 ? t("$w << 16 >> 16", { w }) : w), assign(L(MEM), num(0))];
      if (size === 8) return [assign(H(MEM), w), assign(L(MEM), num(0))];
      return [ifs(t("!ddLoadF32(XH, XL, $m, $w)", { m, w }), [brk("XR")]), ...fromArr(MEM)];
    };
    /** The MEM pair read from memory at `a`. */
    const memRead = (a: Node, int: boolean, size: number, m: Node): Node[] => {
      const out: Node[] = [];
      out.push(assign(id("e"), t("tlbR[$a >>> 12] ^ 4095", { a })));
      if (size === 2) {
        out.push(ifs(t("((e | $a & 1) & 4095) !== 0", { a }), [brk("XR")]));
        out.push(assign(H(MEM), t("u16[(e ^ $a) >>> 1] << 16 >> 16", { a })), assign(L(MEM), num(0)));
        return out;
      }
      out.push(ifs(t("((e | $a & 3) & 4095) !== 0", { a }), [brk("XR")]));
      if (int && size === 8) {
        // a 64-bit integer: its high word times 2^32 and its low word, both exact, summed as a
        // pair (the high part the sum rounded, the low part its exact error: |hi * 2^32| is at
        // least the low word unless it is 0)
        const hi = em.tmp(), lo = em.tmp();
        out.push(ifs(t("($a & 4095) > 4088", { a }), [brk("XR")]));
        out.push(assign(hi, t("i32[(e ^ $a) + 4 >>> 2] * 4294967296", { a })), assign(lo, t("i32[(e ^ $a) >>> 2] >>> 0", { a })));
        out.push(assign(H(MEM), t("$h + $l", { h: hi, l: lo })), assign(L(MEM), t("$h - $s + $l", { h: hi, s: H(MEM), l: lo })));
      } else if (int) out.push(assign(H(MEM), t("i32[(e ^ $a) >>> 2]", { a })), assign(L(MEM), num(0)));
      else if (size === 4) out.push(ifs(t("!ddLoadF32(XH, XL, $m, i32[(e ^ $a) >>> 2])", { m, a }), [brk("XR")]), ...fromArr(MEM));
      else if (x.msz === 8) {
        // An aligned double is read as one: two 32-bit stores read back as a double would stall
        // store forwarding. It must be zero or normal within the fast path's range.
        const v = em.tmp();
        out.push(ifs(t("($a & 7) === 0", { a }), [
          assign(H(MEM), t("c.f64[(e ^ $a) >>> 3]", { a })),
          assign(v, t("Math.abs($h)", { h: H(MEM) })),
          ifs(t("((($v >= $lo ? 1 : 0) & ($v <= $hi ? 1 : 0)) | ($v === 0 ? 1 : 0)) === 0", { v, lo: num(2 ** -SAFE), hi: num(2 ** SAFE) }), [brk("XR")]),
          assign(L(MEM), num(0)),
        ], [
          ifs(t("($a & 4095) > 4088", { a }), [brk("XR")]),
          ifs(t("!ddLoadF64(XH, XL, $m, i32[(e ^ $a) >>> 2], i32[(e ^ $a) + 4 >>> 2])", { m, a }), [brk("XR")]),
          ...fromArr(MEM),
        ]));
      }
      return out;
    };

    const top = depth;
    const A = ARITH[name];
    if (A !== undefined) {
      const memForm = x.k0 === K_MEM;
      const d = memForm ? top : top + x.r0;
      const src = memForm ? null : top + x.r1;
      ok = within(d, src ?? d) && read(d) && (src === null || read(src));
      if (ok) {
        if (memForm) memLoad(A.int);
        const bk = src === null ? MEM : n(src), dk = n(d);
        const b = num(bk);
        const D = num(dk);
        if (A.op === "add" && src !== null && vidOf(d) === vidOf(src)) body.push(...doubleInline(dk));
        else if (A.op === "add") body.push(...addInline(dk, dk, 1, bk, 1));
        else if (A.op === "sub") body.push(...addInline(dk, dk, 1, bk, -1));
        else if (A.op === "subr") body.push(...addInline(dk, bk, 1, dk, -1));
        else if (A.op === "mul") body.push(...mulInline(dk, dk, bk));
        else if (A.op === "div") body.push(...toArr(dk, bk), ...op(t("ddDiv(XH, XL, $d, $d, $b)", { d: D, b })), ...fromArr(dk));
        else body.push(...toArr(dk, bk), ...op(t("ddDiv(XH, XL, $d, $b, $d)", { d: D, b })), ...fromArr(dk));
        written = [d];
        setsStatus = true;
        if (A.pop) popAfter = 1;
      }
    } else if (name === "fld" || name === "fild" || name === "fldz" || name === "fld1") {
      const d = top - 1;
      if (name === "fld" && x.k0 !== K_MEM) {
        const src = top + x.r0;
        ok = within(d, src) && read(src) && push(d);
        if (ok) {
          body.push(...copy(n(d), n(src)));
          copied.set(d, vidOf(src));
          if (dbl.has(src)) dblNew.add(d);
        }
      } else {
        ok = within(d) && push(d);
        if (ok) {
          // (a 64-bit integer's pair may have a low part)
          if (!(name === "fild" && x.msz === 8)) dblNew.add(d);
          if (name === "fldz" || name === "fld1") body.push(assign(H(n(d)), num(name === "fld1" ? 1 : 0)), assign(L(n(d)), num(0)));
          else {
            memLoad(name === "fild");
            body.push(...copy(n(d), MEM));
          }
        }
      }
      if (ok) {
        pushTo = d;
        written = [d];
      }
    } else if (name === "fst" || name === "fstp") {
      ok = within(top) && read(top);
      if (ok && x.k0 !== K_MEM) {
        const d = top + x.r0;
        ok = within(d);
        if (ok && d !== top) {
          body.push(...copy(n(d), n(top)));
          written = [d];
          copied.set(d, vidOf(top));
          if (dbl.has(top)) dblNew.add(d);
        }
      } else if (ok) {
        const a = em.addr(x);
        mem = a;
        const e = em.tmp();
        body.push(assign(e, t("tlbW[$a >>> 12] ^ 4095", { a })), ifs(t("(($e | $a & 3) & 4095) !== 0", { e, a }), [brk("XR")]));
        const v = num(n(top));
        if (x.msz === 8) {
          const w0 = em.tmp();
          body.push(ifs(t("($a & 4095) > 4088", { a }), [brk("XR")]));
          // hi is RN53 of the value; inexact when lo is not zero, rounded up when lo points back
          const h = H(n(top)), l = L(n(top));
          body.push(s("xp |= $l !== 0 ? 32 : 0", { l }), s("xc = Math.sign($h) * $l", { h, l }), assign(w0, h));
          stores.push({ a, e, size: 8, w: w0, int: false });
        } else {
          const w0 = em.tmp();
          body.push(...toArr(n(top)), ...op(t("ddToF32(XH, XL, $v)", { v })), assign(w0, t("SINGLE[0]")));
          stores.push({ a, e, size: 4, w: w0, int: false });
        }
        setsStatus = true;
      }
      if (ok && name === "fstp") popAfter = 1;
    } else if (name in INT_STORES) {
      const I = INT_STORES[name];
      ok = x.k0 === K_MEM && within(top) && read(top);
      if (ok) {
        const a = em.addr(x);
        mem = a;
        const e = em.tmp();
        body.push(assign(e, t("tlbW[$a >>> 12] ^ 4095", { a })), ifs(t("(($e | $a & $m) & 4095) !== 0", { e, a, m: num(x.msz - 1) }), [brk("XR")]));
        const w = em.tmp();
        body.push(...intStore(H(n(top)), L(n(top)), w, I.chop, x.msz));
        stores.push({ a, e, size: x.msz, w, int: true });
        setsStatus = true;
        if (I.pop) popAfter = 1;
      }
    } else if (name === "fxch") {
      const o = top + (x.k1 !== 0 ? x.r1 : x.r0);
      ok = within(top, o) && read(top) && read(o);
      if (ok && o !== top) {
        const h = em.tmp(), l = em.tmp();
        body.push(assign(h, H(n(top))), assign(l, L(n(top))), ...copy(n(top), n(o)));
        body.push(assign(H(n(o)), h), assign(L(n(o)), l));
        written = [top, o];
        copied.set(top, vidOf(o)).set(o, vidOf(top));
        if (dbl.has(o)) dblNew.add(top);
        if (dbl.has(top)) dblNew.add(o);
      }
    } else if (name === "fsqrt") {
      ok = within(top) && read(top);
      if (ok) {
        body.push(...toArr(n(top)), ...op(t("ddSqrt(XH, XL, $d, $d)", { d: num(n(top)) })), ...fromArr(n(top)));
        written = [top];
        setsStatus = true;
      }
    } else if (name === "fchs" || name === "fabs") {
      ok = within(top) && read(top);
      if (ok) {
        const h = H(n(top)), l = L(n(top));
        // fabs multiplies by -1 or 1: conditional code would lack type feedback (see dd.ts)
        const kk = name === "fchs" ? num(-1) : t("1 - 2 * (($h < 0 ? 1 : 0) | (1 / $h < 0 ? 1 : 0))", { h });
        const m = em.hold(kk);
        body.push(assign(h, t("$h * $m", { h, m })), assign(l, t("$l * $m", { l, m })));
        written = [top];
      }
    } else if (name in COMI) {
      const o = top + x.r1;
      ok = within(top, o) && read(top) && read(o);
      if (ok) {
        const r = em.tmp();
        body.push(assign(r, compare(n(top), n(o))));
        eflags = t("($r < 0 ? 1 : 0) | ($r === 0 ? 64 : 0)", { r });
        popAfter = COMI[name];
      }
    } else if (name in COMPARE || name === "ftst") {
      ok = within(top) && read(top);
      let other = MEM;
      if (ok && name !== "ftst") {
        if (x.k0 === K_MEM) memLoad(name === "ficom" || name === "ficomp");
        else {
          const o = top + (x.k1 !== 0 ? x.r1 : x.k0 !== 0 ? x.r0 : 1);
          ok = within(o) && read(o);
          other = n(o);
        }
      } else if (ok) body.push(assign(H(MEM), num(0)), assign(L(MEM), num(0)));
      if (ok) {
        const r = em.tmp();
        body.push(assign(r, compare(n(top), other)));
        cc = t("($r < 0 ? 256 : 0) | ($r === 0 ? 16384 : 0)", { r });
        popAfter = name === "ftst" ? 0 : COMPARE[name];
      }
    } else ok = false;

    if (ok && !within(top, pushTo ?? top, top + popAfter, ...written, ...status.keys())) ok = false;
    if (!ok) {
      undo();
      break;
    }
    em.reserveTemps(true);
    // the instruction is in the run
    for (const w of written) {
      vid.set(w, copied.get(w) ?? nextVid++);
      if (dblNew.has(w)) dbl.add(w);
      else dbl.delete(w);
      status.set(w, FULL);
      everWritten.add(w);
      touched.add(w);
    }
    for (const r of status.keys()) touched.add(r);
    if (pushTo !== null) depth = pushTo;
    for (let j = 0; j < popAfter; j++) {
      status.set(depth, EMPTY);
      depth++;
    }
    touched.add(depth);
    lastC1 = setsStatus;
    if (setsStatus) anyPE = true;
    if (mem !== null) {
      memSeen = x;
      memSeenAddr = mem;
    }
    kept = { taken: k + 1, body: body.length, producer: em.producer };
  }
  // the run ends at its last x87 instruction
  body.length = kept.body;
  em.producer = kept.producer;
  em.out = saved;
  const taken = kept.taken;
  const run = insns.slice(0, taken);
  // (the guard wants rounding to nearest only where the run rounds by the control word itself)
  const rounds = run.some(roundsByControl);
  const last = run[run.length - 1];
  const integers = run.filter((x) => !runnable(x));

  const phys = (rel: number): Node => t("xt + $k & 7", { k: num(rel & 7) });
  const guard: Node[] = [
    // a register the handlers left as an encoding only is decoded first (or fails the guard)
    // (x87ready also when warming up, see x87warm: the registers the handlers leave as encodings
    // only are rare in most loops, but then each such call deoptimised the region)
    ...mustRead.map((r) => t("((xf.form[$p] & xg) !== 0 ? xf.empty[$p] === 0 ? 1 : 0 : x87ready(xf, $p) ? 1 : 0)", { p: phys(r) })),
    ...mustBeEmpty.map((r) => t("xf.empty[$p] !== 0 ? 1 : 0", { p: phys(r) })),
  ];
  const load: Node[] = mustRead.flatMap((r) => [
    assign(H(n(r)), t("xf.hi[$p]", { p: phys(r) })),
    assign(L(n(r)), t("xf.lo[$p]", { p: phys(r) })),
  ]);
  const commit: Node[] = [];
  for (const st of stores) {
    const { e, a, w } = st;
    if (st.size === 2) commit.push(s("u16[($e ^ $a) >>> 1] = $w", { e, a, w }));
    else if (st.size === 4) commit.push(s("i32[($e ^ $a) >>> 2] = $w", { e, a, w }));
    else {
      // the double hi is the value stored: as one double when aligned
      commit.push(ifs(t("($a & 7) === 0", { a }), [s("c.f64[($e ^ $a) >>> 3] = $w", { e, a, w })], [
        s("BITS_F64[0] = $w", { w }), s("i32[($e ^ $a) >>> 2] = BITS[0]", { e, a }), s("i32[($e ^ $a) + 4 >>> 2] = BITS[1]", { e, a }),
      ]));
    }
  }
  for (const [rel, st] of status) {
    if (st === FULL || (st === EMPTY && everWritten.has(rel))) {
      // (a register popped after the run wrote it keeps the value, as the handlers leave it)
      commit.push(s("xf.hi[$p] = $h", { p: phys(rel), h: H(n(rel)) }), s("xf.lo[$p] = $l", { p: phys(rel), l: L(n(rel)) }), s("xf.form[$p] = 2", { p: phys(rel) }));
    }
    if (st === FULL && !mustRead.includes(rel)) commit.push(s("xf.empty[$p] = 0", { p: phys(rel) })); // (else full already)
    else if (st === EMPTY) commit.push(s("xf.empty[$p] = 1", { p: phys(rel) }));
  }
  if (everWritten.size > 0) commit.push(s("xf.fast = true"));
  if (depth !== 0) commit.push(s("xf.top = $t", { t: phys(depth) }));
  let sw = "xf.sw & -513";
  const swArgs: Record<string, Node> = {};
  if (cc !== null) {
    sw = "xf.sw & -18177 | $cc";
    swArgs.cc = cc;
  }
  if (anyPE) sw += " | xp & 32";
  if (lastC1) sw += " | (xc < 0 ? 512 : 0)";
  commit.push(s(`xf.sw = ${sw}`, swArgs), s("xf.fip = $e", { e: num(last.eip) }));
  if (memSeen !== null) commit.push(s("xf.fdp = $a", { a: memSeenAddr }), s("xf.fds = c.sreg[$g]", { g: num(memSeen.seg) }));
  // fcomi writes all six arithmetic flags: the lazy record is simply replaced.
  if (eflags !== null) commit.push(assign(id("fl"), t("fl & -2262 | $v", { v: eflags })), assign(id("fop"), num(0)));
  commit.push(s("xd = 1"));

  // entry: save what the integer instructions change, so the slow path can start over
  const saves: [Node, Node][] = [];
  if (integers.length > 0) {
    for (const r of new Set(integers.map(writtenReg).filter((r) => r >= 0))) saves.push([id(`r${r}`), em.tmp()]);
    for (const f of FLAG_LOCALS) saves.push([id(f), em.tmp()]);
  }
  em.reserveTemps(false);
  // slow path: the handlers (and integer translations), one by one, from the saved state
  const producerFast = em.producer;
  const slowCode: Node[] = saves.map(([v, tmp]) => assign(v, tmp));
  em.out = slowCode;
  em.producer = producer0;
  for (let k = 0; k < taken; k++) {
    const x = run[k];
    if (runnable(x)) hooks.slow(x);
    else hooks.inline(x, k);
  }
  em.out = saved;
  em.flagVars = FLAG_VARS;

  const fast: Node[] = [s("xt = xf.top"), s("xp = 0"), ...(mustRead.length > 0 ? [s("xg = xw === 0 || x87flip() ? 3 : 0")] : [])];
  const inner = [...load, labeled("XR", block([...body, ...commit]))];
  // The usual case first, in one test without branches: the registers read are full and held
  // as pairs, those pushed into are empty. Else (and always when warming up) term by term.
  const quick = [
    ...mustRead.map((r) => t("(xf.form[$p] === 0 ? 1 : 0) | xf.empty[$p]", { p: phys(r) })),
    ...mustBeEmpty.map((r) => t("xf.empty[$p] ^ 1", { p: phys(r) })),
  ];
  const full = (): Node => guard.reduce((a, b) => t("$a & $b", { a, b }));
  const or = (): Node => quick.reduce((a, b) => t("$a | $b", { a, b }));
  fast.push(guard.length > 0 ? ifs(t("($q) === 0 && xw === 0 || ($g) !== 0", { q: or(), g: full() }), inner) : block(inner));
  em.emit(
    ...saves.map(([v, tmp]) => assign(tmp, v)),
    s("xd = 0"),
    s("xf = c.fpu"),
    // (precision 64 bits and PE masked; rounding to nearest where the run rounds)
    ifs(t(`xf !== null && (xf.sw & 128) === 0 && (xf.cw & ${rounds ? 3872 : 800}) === 800 && (xw === 0 || x87flip())`), fast),
    ifs(t("xd === 0"), slowCode),
  );
  // What the flag locals hold afterwards, known only when both ways agree: after an fcomi
  // alone both leave them materialised (the handler's setArith materialises them too); with
  // integer instructions alone both end with the same translation.
  if (eflags !== null) em.producer = integers.length === 0 ? 0 : -1;
  else em.producer = em.producer === producerFast ? producerFast : -1;
  return taken;

  /** ddCompare of pairs a and b. */
  function compare(a: number, b: number): Node {
    return t("(($ah > $bh ? 1 : 0) - ($ah < $bh ? 1 : 0)) * 2 + ($al > $bl ? 1 : 0) - ($al < $bl ? 1 : 0)", { ah: H(a), bh: H(b), al: L(a), bl: L(b) });
  }

  /** ddAdd (hw/fpu/dd.ts) on the locals, written out: pair d = sa * pair a + sb * pair b. Its
   *  fast case, the same operations in the same order; every other case (the same tests,
   *  joined: each is computed on whatever the earlier steps gave, which is harmless, and a zero
   *  or out-of-range s makes BINADE 0, which fails them) leaves the run. */
  function addInline(d: number, a: number, sa: number, b: number, sb: number): Node[] {
    const sg = (v: number): string => (v < 0 ? "-" : "");
    const x = { ah: H(a), al: L(a), bh: H(b), bl: L(b), dh: H(d), dl: L(d) };
    return [
      s(`xqah = ${sg(sa)}$ah`, x), s(`xqal = ${sg(sa)}$al`, x), s(`xqbh = ${sg(sb)}$bh`, x), s(`xqbl = ${sg(sb)}$bl`, x),
      s("xqs = xqah + xqbh"),
      s("BITS_F64[0] = xqs"),
      s("xqbe = BITS[1] >>> 20 & 2047"),
      s("xqbb = xqs - xqah"),
      s(`xqy = xqah - (xqs - xqbb) + (xqbh - xqbb)${isDbl(a) && isDbl(b) ? "" : isDbl(b) ? " + xqal" : isDbl(a) ? " + xqbl" : " + (xqal + xqbl)"}`),
      s("xqC = MAGIC[xqbe]"),
      s("xqt = xqy + xqC - xqC"),
      s("xqhi = xqs + xqt"),
      s("xqP = BINADE[xqbe]"),
      s("xqm = Math.abs(xqhi)"),
      s("xqaa = Math.abs(xqah)"),
      s("xqab = Math.abs(xqbh)"),
      // zero operands, as ddAddGen: a + 0 is a, 0 + b is b (s is the IEEE sum either way). The
      // tests are made on every add, so that they have type feedback when first needed.
      s("xq0a = xqah === 0"),
      s("xq0b = xqbh === 0"),
      ifs(t("xqab < xqaa * $k || xqaa < xqab * $k || Math.abs(xqy) >= xqP * $f || !(xqm > xqP && xqm < 2 * xqP)", { k: num(TINY_RATIO), f: num(2 ** -12) }), [
        ifs(id("xq0b"), [assign(x.dh, id("xqs")), assign(x.dl, id("xqal")), s("xc = 0")], [
          ifs(id("xq0a"), [assign(x.dh, id("xqs")), assign(x.dl, id("xqbl")), s("xc = 0")], [brk("XR")]),
        ]),
      ], [
        assign(x.dh, id("xqhi")),
        assign(x.dl, t("xqt - (xqhi - xqs)")),
        s("xqr = xqy - xqt"),
        s("xp |= xqr !== 0 ? 32 : 0"),
        s("xc = Math.sign(xqs) * xqr"),
      ]),
    ];
  }

  /** Pair d = pair d + pair d (fadd st, st, or an operand fld copied): 2x is exact, and a
   *  canonical pair doubled is canonical, so the status is 0 (ddAdd computes the same) unless the
   *  result leaves the fast path's range. */
  function doubleInline(d: number): Node[] {
    const x = { dh: H(d), dl: L(d), lim: num(2 ** (SAFE + 1)) };
    return [
      s("xqhi = 2 * $dh", x),
      ifs(t("!(Math.abs(xqhi) < $lim)", x), [brk("XR")], [
        assign(x.dh, id("xqhi")),
        assign(x.dl, t("2 * $dl", x)),
        s("xc = 0"),
      ]),
    ];
  }

  /** ddMul on the locals, written out as addInline: pair d = pair a * pair b. */
  function mulInline(d: number, a: number, b: number): Node[] {
    const x = { ah: H(a), al: L(a), bh: H(b), bl: L(b), dh: H(d), dl: L(d), S: num(SPLIT) };
    return [
      s("xqp = $ah * $bh", x),
      s("BITS_F64[0] = xqp"),
      s("xqbe = BITS[1] >>> 20 & 2047"),
      s("xqc = $S * $ah", x),
      s("xqa1 = xqc - (xqc - $ah)", x),
      s("xqa2 = $ah - xqa1", x),
      s("xqc = $S * $bh", x),
      s("xqb1 = xqc - (xqc - $bh)", x),
      s("xqb2 = $bh - xqb1", x),
      s("xqe = xqa1 * xqb1 - xqp + xqa1 * xqb2 + xqa2 * xqb1 + xqa2 * xqb2"),
      ...(isDbl(a) && isDbl(b) ? [s("xqz = xqe"), s("xqw = 0")] : [
        isDbl(b) ? s("xqA = xqb1 * $al", x) : isDbl(a) ? s("xqA = xqa1 * $bl", x) : s("xqA = xqa1 * $bl + xqb1 * $al", x),
        isDbl(b) ? s("xqB = xqb2 * $al", x) : isDbl(a) ? s("xqB = xqa2 * $bl", x) : s("xqB = xqa2 * $bl + xqb2 * $al + $al * $bl", x),
        s("xqz = xqe + xqA"),
        s("xqzb = xqz - xqe"),
        s("xqw = xqe - (xqz - xqzb) + (xqA - xqzb) + xqB"),
      ]),
      s("xqC = MAGIC[xqbe]"),
      s("xqt = xqz + xqC - xqC"),
      s("xqr = xqz - xqt + xqw"),
      s("xqhi = xqp + xqt"),
      s("xqP = BINADE[xqbe]"),
      s("xqm = Math.abs(xqhi)"),
      // (the binade test is written so that it fails on a NaN: a product beyond the double range
      // makes p infinite and e NaN, where dd.ts tests the exponent first)
      // a zero operand, as ddMulGen: the product is the signed zero p, exactly
      s("xq0a = $ah === 0", x),
      s("xq0b = $bh === 0", x),
      ifs(t("(xqw !== 0 && Math.abs(xqr) >= HALFG[xqbe]) || !(xqm > xqP && xqm < 2 * xqP)"), [
        ifs(t("xq0a || xq0b"), [assign(x.dh, id("xqp")), assign(x.dl, num(0)), s("xc = 0")], [brk("XR")]),
      ], [
        assign(x.dh, id("xqhi")),
        assign(x.dl, t("xqt - (xqhi - xqp)")),
        s("xp |= xqr !== 0 ? 32 : 0"),
        s("xc = Math.sign(xqp) * xqr"),
      ]),
    ];
  }
}
