// x87 runs: consecutive x87 instructions of a block compiled as one unit on the fast path's
// double-double pairs (hw/fpu/dd.ts), instead of one handler call each.
//
// Within a run the stack top moves by a statically known amount, so every ST(i) an instruction
// names is a fixed offset ("rel") from the top on entry to the run. The run works on scratch
// slots, one per rel: a guard checks on entry that the control word is glibc's, that no
// exception is pending, that each register the run reads is full and representable as a pair,
// and that each one it pushes into is empty; the body then runs the dd operations on the slots,
// and a commit writes the slots, TOP, the tags, the status word and EFLAGS back. Nothing is
// written before the commit, so when any operation cannot decide (dd.ts returns -1), a memory
// operand misses the TLB or a value is not representable, the whole run is simply executed
// again by the instructions' handlers, which are exact in every case and fault precisely. A
// store to memory ends a run, so loads never need to see a store of the same run.

import { type Node, id, num, t, assign, ifs, expr, labeled, block, brk } from "./ast.js";
import type { Emitter } from "./emit.js";
import { type Insn, K_MEM } from "../hw/isa.js";
import { FS, GS } from "../hw/state.js";
import { FPU_HANDLERS } from "../hw/fpu/index.js";
import { ready } from "../hw/fpu/fast.js";
import { ddAdd, ddMul, ddCompare, ddLoadF64, ddLoadF32, ddToF32, setF64Bits, BITS, SINGLE } from "../hw/fpu/dd.js";

/** Scratch pairs: slot rel + 8 for stack offsets -8..8, MEM for a memory operand. */
const SLOTS = 18, MEM = 17;
const XH = new Float64Array(SLOTS);
const XL = new Float64Array(SLOTS);

/** Status of the last m64 store: PE when inexact, C1 when rounded up. */
function storeStatus(h: Float64Array, l: Float64Array, s: number): number {
  const lo = l[s];
  return lo === 0 ? 0 : (lo < 0) === (h[s] < 0) ? 0x20 : 0x220;
}

/** Runtime helpers the generated code uses (added to the region's helper table). */
export const X87_HELPERS = { XH, XL, ddAdd, ddMul, ddCompare, ddLoadF64, ddLoadF32, ddToF32, setF64Bits, BITS, SINGLE, x87ready: ready, storeStatus };

/** Locals a region with runs declares. */
export const X87_LOCALS: [string, Node][] = [["xd", num(0)], ["xf", t("c.fpu")], ["xt", num(0)], ["xs", num(0)], ["xp", num(0)]];

const NAME_OF = new Map<unknown, string>(Object.entries(FPU_HANDLERS).map(([k, v]) => [v, k]));

const ARITH: Record<string, { op: "add" | "sub" | "subr" | "mul"; pop: boolean; int: boolean }> = {};
for (const op of ["add", "sub", "subr", "mul"] as const) {
  ARITH[`f${op}`] = { op, pop: false, int: false };
  ARITH[`f${op}p`] = { op, pop: true, int: false };
  ARITH[`fi${op}`] = { op, pop: false, int: true };
}
const COMPARE: Record<string, number> = { fcom: 0, fcomp: 1, fcompp: 2, fucom: 0, fucomp: 1, fucompp: 2, ficom: 0, ficomp: 1 };
const COMI: Record<string, number> = { fcomi: 0, fcomip: 1, fucomi: 0, fucomip: 1 };

/** Whether x can be part of a run (before the checks that depend on its place in the run). */
export function runnable(x: Insn): boolean {
  const name = NAME_OF.get(x.fn);
  if (name === undefined) return false;
  if (x.k0 === K_MEM || x.k1 === K_MEM) {
    if (x.seg === FS || x.seg === GS) return false; // their limit checks may fault mid-run
    if (name === "fld" || name === "fst" || name === "fstp") return x.msz === 4 || x.msz === 8;
    if (name === "fild" || ARITH[name]?.int || name === "ficom" || name === "ficomp") return x.msz === 2 || x.msz === 4;
  }
  return name in ARITH || name in COMPARE || name in COMI || ["fld", "fild", "fst", "fstp", "fxch", "fchs", "fabs", "fldz", "fld1", "ftst"].includes(name);
}

/** Whether x ends a run after it (a memory store). */
function endsRun(x: Insn): boolean {
  const name = NAME_OF.get(x.fn);
  return (name === "fst" || name === "fstp") && x.k0 === K_MEM;
}

const ENTRY = 0, FULL = 1, EMPTY = 2, READ = 3;

const s = (src: string, args: Record<string, Node> = {}): Node => expr(t(src, args));

/** Emits run code for x87 instructions; the slow path is built by `slow`, which translates the
 *  same instructions by their handlers. Returns how many instructions of `insns` (from the
 *  first) it took, 0 when the first cannot start a run. */
export function translateRun(em: Emitter, insns: readonly Insn[], slow: (x: Insn) => void): number {
  // status of each rel on entry to the instruction being planned; what the guard must check
  const status = new Map<number, number>();
  const mustRead: number[] = [];
  const mustBeEmpty: number[] = [];
  let depth = 0;
  const touched = new Set<number>([0]);
  const everWritten = new Set<number>();
  const body: Node[] = [];
  const commitStores: Node[] = [];
  let lastC1 = false; // whether the last instruction's status (xs) supplies C1
  let anyPE = false;
  let cc: Node | null = null; // C3/C2/C0 of the last compare
  let eflags: Node | null = null;
  let memSeen: Insn | null = null;
  let memSeenAddr: Node = num(0);
  let taken = 0;

  const slot = (rel: number): Node => num(rel + 8);
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

  em.begin(); // temporaries stay distinct across the run: the commit reads some of them
  for (const x of insns) {
    if (!runnable(x)) break;
    const name = NAME_OF.get(x.fn) as string;
    const snapshot = { status: new Map(status), mr: mustRead.length, me: mustBeEmpty.length, body: body.length };
    const undo = (): void => {
      status.clear();
      for (const [k, v] of snapshot.status) status.set(k, v);
      mustRead.length = snapshot.mr;
      mustBeEmpty.length = snapshot.me;
      body.length = snapshot.body;
    };
    let ok = true;
    let written: number[] = [];
    let popAfter = 0;
    let pushTo: number | null = null;
    let setsStatus = false; // this instruction's xs carries PE/C1
    let mem: Node | null = null;
    const memLoad = (int: boolean): void => {
      // TLB hits only: a miss (or an unaligned or page-crossing operand) runs the handlers.
      mem = em.addr(x);
      const a = mem;
      const size = x.msz;
      body.push(assign(id("e"), t("tlbR[$a >>> 12]", { a })));
      if (size === 2) {
        body.push(ifs(t("((e | $a & 1) & 4095) !== 0", { a }), [brk("XR")]));
        const v = t("u16[(e ^ $a) >>> 1]", { a });
        body.push(s("XH[$m] = $v", { m: num(MEM), v: int ? t("$v << 16 >> 16", { v }) : v }));
      } else {
        body.push(ifs(t("((e | $a & 3) & 4095) !== 0", { a }), [brk("XR")]));
        if (int) body.push(s("XH[$m] = i32[(e ^ $a) >>> 2]", { m: num(MEM), a }));
        else if (size === 4) body.push(ifs(t("!ddLoadF32(XH, $m, i32[(e ^ $a) >>> 2])", { m: num(MEM), a }), [brk("XR")]));
        else {
          body.push(ifs(t("($a & 4095) > 4088", { a }), [brk("XR")]));
          body.push(ifs(t("!ddLoadF64(XH, $m, i32[(e ^ $a) >>> 2], i32[(e ^ $a) + 4 >>> 2])", { m: num(MEM), a }), [brk("XR")]));
        }
      }
      body.push(s("XL[$m] = 0", { m: num(MEM) }));
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
        const b = src === null ? num(MEM) : slot(src);
        const call =
          A.op === "add" ? t("ddAdd(XH, XL, $d, $d, 1, $b, 1)", { d: slot(d), b }) :
          A.op === "sub" ? t("ddAdd(XH, XL, $d, $d, 1, $b, -1)", { d: slot(d), b }) :
          A.op === "subr" ? t("ddAdd(XH, XL, $d, $b, 1, $d, -1)", { d: slot(d), b }) :
          t("ddMul(XH, XL, $d, $d, $b)", { d: slot(d), b });
        body.push(assign(id("xs"), call), ifs(t("xs < 0"), [brk("XR")]), s("xp |= xs"));
        written = [d];
        setsStatus = true;
        if (A.pop) popAfter = 1;
      }
    } else if (name === "fld" || name === "fild" || name === "fldz" || name === "fld1") {
      const d = top - 1;
      if (name === "fld" && x.k0 !== K_MEM) {
        const src = top + x.r0;
        ok = within(d, src) && read(src) && push(d);
        if (ok) body.push(s("XH[$d] = XH[$s]", { d: slot(d), s: slot(src) }), s("XL[$d] = XL[$s]", { d: slot(d), s: slot(src) }));
      } else {
        ok = within(d) && push(d);
        if (ok) {
          if (name === "fldz" || name === "fld1") body.push(s("XH[$d] = $v", { d: slot(d), v: num(name === "fld1" ? 1 : 0) }));
          else {
            memLoad(name === "fild");
            body.push(s("XH[$d] = XH[$m]", { d: slot(d), m: num(MEM) }));
          }
          body.push(s("XL[$d] = 0", { d: slot(d) }));
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
          body.push(s("XH[$d] = XH[$s]", { d: slot(d), s: slot(top) }), s("XL[$d] = XL[$s]", { d: slot(d), s: slot(top) }));
          written = [d];
        }
      } else if (ok) {
        const a = em.addr(x);
        mem = a;
        body.push(assign(id("e"), t("tlbW[$a >>> 12]", { a })), ifs(t("((e | $a & 3) & 4095) !== 0", { a }), [brk("XR")]));
        const w0 = em.tmp(), w1 = em.tmp();
        if (x.msz === 8) {
          body.push(ifs(t("($a & 4095) > 4088", { a }), [brk("XR")]));
          body.push(s("setF64Bits(XH, $s)", { s: slot(top) }), assign(w0, t("BITS[0]")), assign(w1, t("BITS[1]")));
          body.push(assign(id("xs"), t("storeStatus(XH, XL, $s)", { s: slot(top) })), s("xp |= xs"));
          commitStores.push(s("i32[(e ^ $a) >>> 2] = $w", { a, w: w0 }), s("i32[(e ^ $a) + 4 >>> 2] = $w", { a, w: w1 }));
        } else {
          body.push(assign(id("xs"), t("ddToF32(XH, XL, $s)", { s: slot(top) })), ifs(t("xs < 0"), [brk("XR")]), s("xp |= xs"));
          body.push(assign(w0, t("SINGLE[0]")));
          commitStores.push(s("i32[(e ^ $a) >>> 2] = $w", { a, w: w0 }));
        }
        setsStatus = true;
      }
      if (ok && name === "fstp") popAfter = 1;
    } else if (name === "fxch") {
      const o = top + (x.k1 !== 0 ? x.r1 : x.r0);
      ok = within(top, o) && read(top) && read(o);
      if (ok && o !== top) {
        const h = em.tmp(), l = em.tmp();
        body.push(assign(h, t("XH[$a]", { a: slot(top) })), assign(l, t("XL[$a]", { a: slot(top) })));
        body.push(s("XH[$a] = XH[$b]", { a: slot(top), b: slot(o) }), s("XL[$a] = XL[$b]", { a: slot(top), b: slot(o) }));
        body.push(s("XH[$b] = $h", { b: slot(o), h }), s("XL[$b] = $l", { b: slot(o), l }));
        written = [top, o];
      }
    } else if (name === "fchs" || name === "fabs") {
      ok = within(top) && read(top);
      if (ok) {
        const neg = [s("XH[$a] = -XH[$a]", { a: slot(top) }), s("XL[$a] = -XL[$a]", { a: slot(top) })];
        body.push(...(name === "fchs" ? neg : [ifs(t("XH[$a] < 0 || 1 / XH[$a] < 0", { a: slot(top) }), neg)]));
        written = [top];
      }
    } else if (name in COMI) {
      const o = top + x.r1;
      ok = within(top, o) && read(top) && read(o);
      if (ok) {
        const r = em.tmp();
        body.push(assign(r, t("ddCompare(XH, XL, $a, $b)", { a: slot(top), b: slot(o) })));
        eflags = t("$r < 0 ? 1 : $r === 0 ? 64 : 0", { r });
        popAfter = COMI[name];
      }
    } else if (name in COMPARE || name === "ftst") {
      ok = within(top) && read(top);
      let other: Node = num(MEM);
      if (ok && name !== "ftst") {
        if (x.k0 === K_MEM) memLoad(name === "ficom" || name === "ficomp");
        else {
          const o = top + (x.k1 !== 0 ? x.r1 : x.k0 !== 0 ? x.r0 : 1);
          ok = within(o) && read(o);
          other = slot(o);
        }
      } else if (ok) body.push(s("XH[$m] = 0", { m: num(MEM) }), s("XL[$m] = 0", { m: num(MEM) }));
      if (ok) {
        const r = em.tmp();
        body.push(assign(r, t("ddCompare(XH, XL, $a, $b)", { a: slot(top), b: other })));
        cc = t("$r < 0 ? 256 : $r === 0 ? 16384 : 0", { r });
        popAfter = name === "ftst" ? 0 : COMPARE[name];
      }
    } else ok = false;

    if (ok && !within(top, pushTo ?? top, top + popAfter, ...written, ...status.keys())) ok = false;
    if (!ok) {
      undo();
      break;
    }
    // the instruction is in the run
    for (const w of written) {
      status.set(w, FULL);
      everWritten.add(w);
      touched.add(w);
    }
    for (const r of status.keys()) touched.add(r);
    if (pushTo !== null) depth = pushTo;
    for (let k = 0; k < popAfter; k++) {
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
    taken++;
    if (endsRun(x)) break;
  }
  if (taken === 0) return 0;
  const run = insns.slice(0, taken);
  const last = run[run.length - 1];

  // EFLAGS from a compare: the locals must hold materialised flags that both paths update.
  if (eflags !== null) em.materialize();

  const phys = (rel: number): Node => t("xt + $k & 7", { k: num(rel & 7) });
  const guard: Node[] = [
    ...mustRead.map((r) => t("x87ready(xf, $p)", { p: phys(r) })),
    ...mustBeEmpty.map((r) => t("xf.empty[$p] !== 0", { p: phys(r) })),
  ];
  const load: Node[] = mustRead.flatMap((r) => [
    s("XH[$s] = xf.hi[$p]", { s: slot(r), p: phys(r) }),
    s("XL[$s] = xf.lo[$p]", { s: slot(r), p: phys(r) }),
  ]);
  const commit: Node[] = [...commitStores];
  for (const [rel, st] of status) {
    if (st === FULL || (st === EMPTY && everWritten.has(rel))) {
      commit.push(s("xf.hi[$p] = XH[$s]", { p: phys(rel), s: slot(rel) }), s("xf.lo[$p] = XL[$s]", { p: phys(rel), s: slot(rel) }), s("xf.form[$p] = 2", { p: phys(rel) }));
    }
    if (st === FULL) commit.push(s("xf.empty[$p] = 0", { p: phys(rel) }));
    else if (st === EMPTY) commit.push(s("xf.empty[$p] = 1", { p: phys(rel) }));
  }
  commit.push(s("xf.fast = true"));
  if (depth !== 0) commit.push(s("xf.top = $t", { t: phys(depth) }));
  let sw = "xf.sw & -513";
  const swArgs: Record<string, Node> = {};
  if (cc !== null) {
    sw = "xf.sw & -18177 | $cc";
    swArgs.cc = cc;
  }
  if (anyPE) sw += " | xp & 32";
  if (lastC1) sw += " | xs & 512";
  commit.push(s(`xf.sw = ${sw}`, swArgs), s("xf.fip = $e", { e: num(last.eip) }));
  if (memSeen !== null) commit.push(s("xf.fdp = $a", { a: memSeenAddr }), s("xf.fds = c.sreg[$g]", { g: num(memSeen.seg) }));
  if (eflags !== null) commit.push(assign(id("fl"), t("fl & -2262 | $v", { v: eflags })));
  commit.push(s("xd = 1"));

  // slow path: the handlers, one by one
  const saved = em.out;
  em.out = [];
  for (const x of run) slow(x);
  const slowCode = em.out;
  em.out = saved;

  const fast: Node[] = [s("xt = xf.top"), s("xp = 0")];
  const inner = [...load, labeled("XR", block([...body, ...commit]))];
  fast.push(guard.length > 0 ? ifs(guard.reduce((a, b) => t("$a && $b", { a, b })), inner) : block(inner));
  em.emit(
    s("xd = 0"),
    s("xf = c.fpu"),
    ifs(t("xf !== null && (xf.sw & 128) === 0 && (xf.cw & 3872) === 800"), fast),
    ifs(t("xd === 0"), slowCode),
  );
  em.producer = -1;
  return taken;
}
