// The instruction budget in compiled code. Each block subtracts its length from `n`; compiled
// code never runs past the budget the engine gave it (the count stays exact: the engine
// interprets what is left). Testing `n` at every block made one exit per block, and each exit
// is one more edge into the region's epilogue, where every local of the region needs a phi:
// bash's regions had 6,000 such tests for 24,000 instructions. So the test is made only at
// check points, for the longest way on from there to the next check point: the places the
// engine or a dispatch can enter (the structured code's heads), one target of every cycle
// (the targets of a depth-first search's retreating edges), and, where the longest way would
// exceed MAX_AHEAD instructions, the block where it does (so the engine, at the end of a
// budget, interprets at most that many instructions that compiled code declined to start).

import { type Node, mapStatements } from "./ast.js";
import { gotoTargets, structure, type CfgNode, type Structured } from "./structure.js";

/** Longest way from a check point to the next, in instructions (beyond one block's length). */
export const MAX_AHEAD = 64;

/** What a block's budget test carries, for budgetTests to find it after structuring. */
export interface BudgetMark {
  eip: number;
}

/** For each check point among `nodes` (reachable from `heads`), the budget it must test:
 *  its block and the longest way from it through blocks that are not check points. */
export function checkPoints(nodes: readonly CfgNode[], heads: readonly number[], lengthOf: (eip: number) => number): Map<number, number> {
  const succ = new Map<number, number[]>();
  for (const n of nodes) succ.set(n.eip, []);
  for (const n of nodes) succ.set(n.eip, gotoTargets(n.stmts).filter((t) => succ.has(t)));
  const cps = new Set<number>(heads.filter((h) => succ.has(h)));
  // one target of every cycle: a depth-first search's retreating edges
  const state = new Map<number, number>(); // 1 on the stack, 2 done
  for (const h of cps) {
    if (state.has(h)) continue;
    const stack: [number, number][] = [[h, 0]];
    state.set(h, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const out = succ.get(top[0]) as number[];
      if (top[1] < out.length) {
        const t = out[top[1]++];
        const s = state.get(t);
        if (s === 1) cps.add(t);
        else if (s === undefined) {
          state.set(t, 1);
          stack.push([t, 0]);
        }
      } else {
        state.set(top[0], 2);
        stack.pop();
      }
    }
  }
  // the longest way on from each block, successors first (edges into check points end a way,
  // and every cycle has one, so this is a DAG); a way too long makes its block a check point
  const ahead = new Map<number, number>();
  const need = new Map<number, number>();
  const visit = (root: number): void => {
    const stack: [number, number][] = [[root, 0]];
    ahead.set(root, -1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const out = succ.get(top[0]) as number[];
      if (top[1] < out.length) {
        const t = out[top[1]++];
        if (!cps.has(t) && !ahead.has(t)) {
          ahead.set(t, -1);
          stack.push([t, 0]);
        }
        continue;
      }
      stack.pop();
      const eip = top[0];
      let most = 0;
      for (const t of out) if (!cps.has(t)) most = Math.max(most, ahead.get(t) as number);
      const way = lengthOf(eip) + most;
      if (cps.has(eip) || way - lengthOf(eip) > MAX_AHEAD) {
        cps.add(eip);
        need.set(eip, way);
        ahead.set(eip, 0);
      } else ahead.set(eip, way);
    }
  };
  for (const n of nodes) if (state.has(n.eip) && !ahead.has(n.eip)) visit(n.eip);
  return need;
}

/** Structures a region with every check point an entry (a dispatch case), so that where compiled
 *  code stops at the end of a budget is where the next run enters it again. (A check point that
 *  is not an entry is resumed in the interpreter, up to the next place a region is entered: in
 *  sha256sum's 3,900-instruction loop body, cut by MAX_AHEAD, each of the thousand scheduler
 *  slices ended at such a point and interpreted the rest of the body, 4.2 M instructions in
 *  all, and the blocks counted that way made 26 more regions from those points, compiling the
 *  body four times over.) Entries can make new heads, and so new check points: a few rounds
 *  settle it; one still left over is only resumed the slow way. */
export function resumableFlow(nodes: readonly CfgNode[], entries: readonly number[], lengthOf: (eip: number) => number): { flow: Structured; need: Map<number, number> } {
  let heads = entries;
  for (let round = 0; ; round++) {
    const flow = structure(nodes, heads);
    const need = checkPoints(nodes, flow.entries, lengthOf);
    const known = new Set(flow.entries);
    const more = [...need.keys()].filter((eip) => !known.has(eip));
    if (more.length === 0 || round === 2) return { flow, need };
    heads = [...heads, ...more];
  }
}

/** Rewrites the budget tests in structured code: kept, for the way ahead, at check points;
 *  dropped elsewhere (the subtraction stays). */
export function budgetTests(stmts: Node[], need: ReadonlyMap<number, number>, test: (n: number) => Node): Node[] {
  return mapStatements(stmts, (s) => {
    const mark = s.budget as BudgetMark | undefined;
    if (mark === undefined) return null;
    const n = need.get(mark.eip);
    return n === undefined ? [] : [{ ...s, test: test(n) }];
  });
}
