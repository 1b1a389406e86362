// The structurer turns a region's Gotos into loops, labelled blocks and a dispatch switch. These
// tests build control-flow graphs (hand-written ones with loops, merges, irreducible parts and
// several entries, then random ones), structure them, run the printed JavaScript, and check it
// visits exactly the nodes a direct walk of the graph visits, for many branch decisions.

import { describe, expect, it } from "vitest";
import { structure, type CfgNode } from "../../src/jit/structure.js";
import { type Node, t, num, id, ifs, goto, expr, call, labeled, block, forever, switchStmt, switchCase, brk, print, EXIT_LABEL, DISPATCH_LABEL } from "../../src/jit/ast.js";

/** A graph: node → successors (one: jump; two: `if (decide()) goto a; goto b`). */
type Graph = Map<number, number[]>;

function nodesOf(g: Graph): CfgNode[] {
  return [...g].map(([eip, succ]) => {
    const stmts: Node[] = [expr(call(id("visit"), [num(eip)]))];
    if (succ.length === 2) stmts.push(ifs(t("decide()"), [goto(succ[0])]), goto(succ[1]));
    else if (succ.length === 1) stmts.push(goto(succ[0]));
    else stmts.push(expr(t("pc = -1")), brk(EXIT_LABEL));
    return { eip, stmts };
  });
}

/** Runs the structured code from `start` for at most `steps` visits. */
function runStructured(g: Graph, entries: number[], start: number, decisions: boolean[], steps: number): number[] {
  const s = structure(nodesOf(g), entries);
  const sw = switchStmt(id("pc"), [...s.cases.map(([e, code]) => switchCase(num(e), code)), switchCase(null, [brk(EXIT_LABEL)])]);
  const src = print(labeled(EXIT_LABEL, block([labeled(DISPATCH_LABEL, forever([sw]))])));
  const trail: number[] = [];
  let k = 0;
  const f = new Function("visit", "decide", "pc", `${src}\nreturn pc;`) as (v: (e: number) => void, d: () => boolean, pc: number) => number;
  try {
    f(
      (e) => {
        trail.push(e);
        if (trail.length >= steps) throw new Error("steps");
      },
      () => decisions[k++ % decisions.length],
      start,
    );
  } catch (e) {
    if (!(e instanceof Error) || e.message !== "steps") throw e;
  }
  return trail;
}

/** The reference: walks the graph directly. Gotos to non-nodes end the walk. */
function runDirect(g: Graph, start: number, decisions: boolean[], steps: number): number[] {
  const trail: number[] = [];
  let k = 0;
  for (let n: number | undefined = start; n !== undefined && g.has(n) && trail.length < steps; ) {
    trail.push(n);
    const succ = g.get(n) as number[];
    n = succ.length === 2 ? (decisions[k++ % decisions.length] ? succ[0] : succ[1]) : succ[0];
  }
  return trail;
}

function check(g: Graph, entries: number[], seeds = 20): void {
  let x = 12345;
  for (let s = 0; s < seeds; s++) {
    const decisions: boolean[] = [];
    for (let k = 0; k < 37 + s; k++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      decisions.push((x >>> 16) % 3 !== 0);
    }
    for (const start of entries) {
      expect(runStructured(g, entries, start, decisions, 400)).toEqual(runDirect(g, start, decisions, 400));
    }
  }
}

const graph = (edges: Record<number, number[]>): Graph => new Map(Object.entries(edges).map(([k, v]) => [Number(k), v]));

describe("structured control flow", () => {
  it("keeps a straight line and an if/else diamond", () => {
    check(graph({ 1: [2], 2: [3, 4], 3: [5], 4: [5], 5: [99] }), [1]);
  });

  it("turns a back edge into a loop, with an exit out of it", () => {
    check(graph({ 1: [2], 2: [3, 6], 3: [4, 5], 4: [2], 5: [2], 6: [99] }), [1]);
  });

  it("nests loops and breaks out of the inner one to the outer one's latch", () => {
    check(graph({ 1: [2], 2: [3, 8], 3: [4], 4: [5, 7], 5: [4, 6], 6: [2], 7: [2], 8: [99] }), [1]);
  });

  it("handles a self loop", () => {
    check(graph({ 1: [1, 2], 2: [99] }), [1]);
  });

  it("dispatches an irreducible loop (two ways into a cycle) through the switch", () => {
    check(graph({ 1: [2, 3], 2: [3, 4], 3: [2, 4], 4: [99] }), [1]);
  });

  it("enters at every entry point, including ones inside another's loop", () => {
    check(graph({ 1: [2], 2: [3, 5], 3: [4], 4: [2], 5: [6], 6: [1, 99] }), [1, 3, 6]);
  });

  it("falls through from one entry's code into the next where a straight line runs on into it", () => {
    // budget check points in straight-line code are entries (jit/budget.ts): 1 → 2 → 3 → 4 → 5,
    // entered at 1, 3 and 4, runs as one straight line with no trip round the dispatch loop
    const g = graph({ 1: [2], 2: [3], 3: [4], 4: [5], 5: [99] });
    check(g, [1, 3, 4]);
    const s = structure(nodesOf(g), [4, 1, 3]);
    expect(s.cases.map(([e]) => e)).toEqual([1, 3, 4]);
    const src = s.cases.map(([, code]) => code.map((x) => print(x)).join("\n")).join("\n");
    expect(src).not.toContain(`continue ${DISPATCH_LABEL}`);
    // a case that goes elsewhere still dispatches: 1 → 3 and 2 → 3, entered at 1, 2 and 3
    const loop = structure(nodesOf(graph({ 1: [3], 2: [3], 3: [99] })), [1, 2, 3]);
    expect(loop.cases.map(([, code]) => code.map((x) => print(x)).join("\n")).join("\n").split(`continue ${DISPATCH_LABEL}`).length - 1).toBe(1);
  });

  it("agrees with a direct walk on random graphs", () => {
    let x = 99;
    const rnd = (n: number): number => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return (x >>> 8) % n;
    };
    for (let trial = 0; trial < 150; trial++) {
      const size = 2 + rnd(12);
      const g: Graph = new Map();
      for (let n = 1; n <= size; n++) {
        const k = rnd(4);
        // Node 1000 is outside the graph: a Goto there leaves the region.
        const target = (): number => (rnd(8) === 0 ? 1000 : 1 + rnd(size));
        g.set(n, k === 0 ? [target()] : [target(), target()]);
      }
      const entries = [1, ...(rnd(2) ? [1 + rnd(size)] : [])];
      check(g, entries, 4);
    }
  });
});
