// Region compilation: a set of blocks becomes one JavaScript function that keeps the guest
// registers and lazy flags in locals and loops over `switch (pc)`, so jumps, calls and returns
// between its blocks stay inside one function V8 can optimise as a loop. It returns to the
// engine when it reaches an address outside the region, a system call, or the end of its
// instruction budget; a fault thrown inside writes the locals back first.
//
// Each case checks that its page is still mapped as at compile time (one TLB load), since a
// region may span pages that the guest can remap between two runs of it.

import {
  type Node, id, num, t, assign, ifs, brk, cont, letDecl, labeled, forever, switchCase, switchStmt, tryCatch, throwStmt, fn, ret, str, expr, print,
} from "./ast.js";
import { Emitter, rSlot, REG_LOCALS, FLAG_LOCALS } from "./emit.js";
import { translate, type InsnContext, type Ending } from "./translate.js";
import { flagLiveness } from "./liveness.js";
import { type Insn, Op } from "../hw/isa.js";
import { EIP, FLAGS, FOP, FA, FB, FR } from "../hw/state.js";
import type { Block } from "../decoder/block.js";
import { cfOf, condOf, flagsOf } from "../hw/flags.js";
import { imulFlags } from "../hw/alu.js";
import type { Cpu } from "../hw/cpu.js";

export type RegionFn = (c: Cpu, n: number) => number;

/** Helpers generated code calls (the same functions the interpreter uses). */
const HELPERS = { cfOf, condOf, flagsOf, imulFlags };

export interface Compiled {
  fn: RegionFn;
  source: string;
  insns: number;
}

const FLAG_SLOTS = [FLAGS, FOP, FA, FB, FR];

/** Statements writing every local back to the register file. */
function flushAll(): Node[] {
  return [
    ...REG_LOCALS.map((r, k) => assign(rSlot(k), id(r))),
    ...FLAG_LOCALS.map((f, k) => assign(rSlot(FLAG_SLOTS[k]), id(f))),
  ];
}

/** The condition of a self-loop's back edge, translated with the block's flag state. */
function selfLoopTest(em: Emitter, x: Insn): Node | null {
  if (x.op === Op.JCC) return em.cond(x.cc);
  if ((x.op === Op.LOOP || x.op === Op.LOOPE || x.op === Op.LOOPNE) && x.asz === 4) {
    em.emit(assign(id("r1"), t("r1 - 1 | 0")));
    if (x.op === Op.LOOP) return t("r1 !== 0");
    return t("r1 !== 0 && $z", { z: em.cond(x.op === Op.LOOPE ? 4 : 5) });
  }
  return null;
}

/** Compiles blocks (the first is the entry) into a region function. */
export function compileRegion(blocks: readonly Block[], name: string): Compiled {
  const sorted = [...blocks].sort((a, b) => (a.eip >>> 0) - (b.eip >>> 0));
  const inRegion = new Set(sorted.map((b) => b.eip));
  const fallbacks: Insn[] = [];
  const cases: Node[] = [];
  let maxTemps = 0;
  let insns = 0;

  for (let bi = 0; bi < sorted.length; bi++) {
    const b = sorted[bi];
    const next = sorted[bi + 1];
    const em = new Emitter();
    const live = flagLiveness(b.insns);
    const last = b.insns[b.insns.length - 1];
    const selfLoop = (last.op === Op.JCC || last.op === Op.LOOP || last.op === Op.LOOPE || last.op === Op.LOOPNE) && last.target === b.eip && last.rep === 0;
    const len = b.insns.length;
    insns += len;
    const budget = (pcOnExit: boolean): Node =>
      ifs(t("(n = n - $l | 0) < 0", { l: num(len) }), [assign(id("n"), t("n + $l | 0", { l: num(len) })), ...(pcOnExit ? [assign(id("pc"), num(b.eip))] : []), brk("L")]);
    const head: Node[] = [ifs(t("tlbR[$v] !== $k", { v: num(b.eip >>> 12), k: num(b.phys ^ b.eip) }), [brk("L")])];
    const ctx = (k: number): InsnContext => {
      const x = b.insns[k];
      return { em, x, live: live[k], inRegion: (eip) => inRegion.has(eip), fallbackSlot: () => fallbacks.push(x) - 1 };
    };

    let ending: Ending = { kind: "next", targets: [b.end] };
    const bodyCount = selfLoop ? len - 1 : len;
    for (let k = 0; k < bodyCount; k++) ending = translate(ctx(k));
    let stmts: Node[];
    if (selfLoop) {
      em.begin();
      const test = selfLoopTest(em, last);
      if (test === null) throw new Error("self-loop terminator not translatable");
      const loopBody = [budget(true), ...em.out, ifs(t("!$c", { c: test }), [brk()])];
      stmts = [...head, forever(loopBody), assign(id("pc"), num(last.next))];
      ending = { kind: "next", targets: [last.next] };
      if (next && next.eip === last.next) {
        // fall through into the next case
      } else {
        stmts.push(inRegion.has(last.next) ? cont("L") : brk("L"));
      }
    } else {
      stmts = [...head, budget(false), ...em.out];
      if (ending.kind === "next") {
        // Conditional branches already set pc to the fall-through address.
        if (!ending.pcSet) stmts.push(assign(id("pc"), num(last.next)));
        if (!(next && next.eip === last.next)) stmts.push(inRegion.has(last.next) ? cont("L") : brk("L"));
      }
    }
    maxTemps = Math.max(maxTemps, em.maxTemps);
    cases.push(switchCase(num(b.eip), stmts));
  }
  cases.push(switchCase(null, [brk("L")]));

  const temps: [string, Node][] = [];
  for (let k = 0; k < maxTemps; k++) temps.push([`t${k}`, num(0)]);
  const body: Node[] = [
    letDecl([["R", t("c.r")], ["tlbR", t("c.tlbR")], ["tlbW", t("c.tlbW")], ["u8", t("c.u8")], ["u16", t("c.u16")], ["i32", t("c.i32")], ["fsb", t("c.sbase[4]")], ["gsb", t("c.sbase[5]")]], "const"),
    letDecl([
      ...REG_LOCALS.map((r, k): [string, Node] => [r, t("R[$k]", { k: num(k) })]),
      ...FLAG_LOCALS.map((f, k): [string, Node] => [f, t("R[$k]", { k: num(FLAG_SLOTS[k]) })]),
      ["pc", t("R[$k]", { k: num(EIP) })],
      ["ip", id("pc")],
      ["e", num(0)],
      ["hx", num(0)],
      ...temps,
    ]),
    tryCatch(
      [labeled("L", forever([switchStmt(id("pc"), cases)]))],
      "err",
      [ifs(t("hx === 0"), flushAll()), assign(rSlot(EIP), id("ip")), assign(t("c.jitLeft"), id("n")), throwStmt(id("err"))],
    ),
    ...flushAll(),
    assign(rSlot(EIP), id("pc")),
    ret(id("n")),
  ];
  const factory: Node[] = [
    expr(str("use strict")),
    letDecl([["cfOf", t("H.cfOf")], ["condOf", t("H.condOf")], ["flagsOf", t("H.flagsOf")], ["imulFlags", t("H.imulFlags")], ["mathImul", t("Math.imul")]], "const"),
  ];
  if (fallbacks.length > 0) {
    factory.push(letDecl(fallbacks.flatMap((_, k): [string, Node][] => [[`I${k}`, t("I[$k]", { k: num(k) })], [`H${k}`, t("$i.fn", { i: id(`I${k}`) })]]), "const"));
  }
  factory.push(ret(fn(name, ["c", "n"], body)));
  const source = factory.map((s) => print(s)).join("\n");
  const make = new Function("I", "H", source) as (i: Insn[], h: typeof HELPERS) => RegionFn;
  return { fn: make(fallbacks, HELPERS), source, insns };
}

