// Structured control flow for a region: the blocks' Goto nodes become JavaScript loops, labelled
// blocks, `break`/`continue` and inlined code, so V8 sees the guest's loops as real loops with
// no dispatch switch in them. This is the algorithm of Ramsey, "Beyond Relooper: recursive
// translation of unstructured control flow to structured control flow" (ICFP 2022), which
// WebAssembly compilers use for the same purpose: for a reducible graph, walk the dominator tree;
// a node that is the target of a back edge becomes a loop, a node with several forward
// predecessors ("merge node") follows a labelled block that branches to it break out of, and a
// node with a single predecessor is emitted in place of the branch.
//
// Edges that would make the graph irreducible (a retreating edge whose target does not dominate
// its source) are not structured: they leave the region, and the engine comes back in.

import { type Node, id, num, assign, brk, cont, labeled, forever, block, mapStatements, EXIT_LABEL, DISPATCH_LABEL } from "./ast.js";

export interface CfgNode {
  eip: number;
  /** The node's statements, with Goto nodes for its static jumps. */
  stmts: Node[];
}

/** Calls `fn` on every Goto in a statement list (nested ifs, blocks, switches), in order. */
function eachGoto(stmts: Node[], fn: (target: number) => void): void {
  for (const s of stmts) visit(s, fn);
}

function visit(s: Node, fn: (target: number) => void): void {
  switch (s.type) {
    case "Goto":
      fn(s.target as number);
      return;
    case "IfStatement":
      visit(s.consequent as Node, fn);
      if (s.alternate) visit(s.alternate as Node, fn);
      return;
    case "BlockStatement":
      eachGoto(s.body as Node[], fn);
      return;
    case "LabeledStatement":
      visit(s.body as Node, fn);
      return;
    case "ForStatement":
      visit(s.body as Node, fn);
      return;
    case "SwitchStatement":
      for (const c of s.cases as Node[]) eachGoto(c.consequent as Node[], fn);
      return;
  }
}

/** A copy of `stmts` with each Goto replaced by the statements `fn` returns for it. */
function replaceGotos(stmts: Node[], fn: (target: number) => Node[]): Node[] {
  return mapStatements(stmts, (s) => (s.type === "Goto" ? fn(s.target as number) : null));
}

/** Every static target jumped to from `stmts` (with repeats). */
export function gotoTargets(stmts: Node[]): number[] {
  const out: number[] = [];
  eachGoto(stmts, (t) => out.push(t));
  return out;
}

const hex = (eip: number): string => (eip >>> 0).toString(16);

/** The virtual root above every entry point: not an int32, so never a block's address. */
const ROOT = 2 ** 32;

export interface Structured {
  /** `switch (pc)` cases, one per entry point, each a structured tree. */
  cases: [number, Node[]][];
  /** Entry points: where the engine (and computed jumps) may enter the region. */
  entries: number[];
  reachable: number;
}

/**
 * Structures the region's nodes. `entries` are the addresses where control can arrive from
 * outside the static edges (the region's entry, targets of computed jumps and returns, places
 * execution resumes after an exit); each becomes a case of a dispatch `switch (pc)`, heading
 * the tree of nodes it dominates. A node reachable from two entries without either dominating
 * it, or the target of an edge that would make its tree irreducible, becomes an entry too.
 * Gotos between trees set `pc` and continue the dispatch loop D; Gotos to addresses that are
 * not nodes leave the region.
 */
export function structure(nodes: readonly CfgNode[], entries: readonly number[]): Structured {
  const byEip = new Map<number, CfgNode>(nodes.map((n) => [n.eip, n]));
  const succ = new Map<number, number[]>();
  for (const n of nodes) succ.set(n.eip, gotoTargets(n.stmts).filter((t) => byEip.has(t)));
  const heads = new Set<number>(entries.filter((e) => byEip.has(e)));
  const next = (n: number): number[] => (n === ROOT ? [...heads] : (succ.get(n) as number[]));

  let rpo = new Map<number, number>();
  let order: number[] = [];
  let idom = new Map<number, number>();
  for (;;) {
    ({ rpo, order } = reversePostorder(ROOT, next));
    const preds = new Map<number, number[]>();
    for (const n of order) {
      for (const t of next(n)) {
        const list = preds.get(t);
        if (list) list.push(n);
        else preds.set(t, [n]);
      }
    }
    idom = dominators(order, rpo, (n) => preds.get(n) ?? []);
    let grew = false;
    for (const n of order) {
      if (n === ROOT) continue;
      if (!heads.has(n) && idom.get(n) === ROOT) {
        heads.add(n);
        grew = true;
      }
      for (const t of next(n)) {
        // A retreating edge whose target does not dominate its source: irreducible.
        if ((rpo.get(t) as number) <= (rpo.get(n) as number) && !heads.has(t) && !dominates(idom, t, n)) {
          heads.add(t);
          grew = true;
        }
      }
    }
    if (!grew) break;
  }

  /** Whether the edge src → target is a jump within one tree (else a dispatch or an exit). */
  const rootOf = new Map<number, number>();
  for (const n of order) {
    if (n === ROOT) continue;
    let r = n;
    while (!heads.has(r)) r = idom.get(r) as number;
    rootOf.set(n, r);
  }
  const inTree = (src: number, target: number): boolean =>
    rpo.has(target) && rootOf.get(target) === rootOf.get(src) && (!heads.has(target) || dominates(idom, target, src));

  // Forward in-degree (with repeats) and loop headers, over the edges inside trees.
  const forwardIn = new Map<number, number>();
  const loopHeader = new Set<number>();
  for (const n of order) {
    if (n === ROOT) continue;
    for (const t of next(n)) {
      if (!inTree(n, t)) continue;
      if ((rpo.get(t) as number) <= (rpo.get(n) as number)) loopHeader.add(t);
      else forwardIn.set(t, (forwardIn.get(t) ?? 0) + 1);
    }
  }
  const isMerge = (n: number): boolean => (forwardIn.get(n) ?? 0) >= 2;
  const children = new Map<number, number[]>();
  for (const n of order) {
    if (n === ROOT || heads.has(n)) continue;
    const d = idom.get(n) as number;
    const list = children.get(d);
    if (list) list.push(n);
    else children.set(d, [n]);
  }

  // The loops and labelled blocks enclosing the code being written, by node: a back edge
  // continues its loop, a forward edge to a merge node breaks out of its block. (Sets entered
  // and left as the recursion goes: copying a list of frames per level made structuring
  // quadratic in a region's nesting, most of the JIT's time on large regions.)
  const openLoops = new Set<number>();
  const openBlocks = new Set<number>();

  const doBranch = (src: number, target: number): Node[] => {
    if (!rpo.has(target)) return [assign(id("pc"), num(target)), brk(EXIT_LABEL)];
    if (!inTree(src, target)) return [assign(id("pc"), num(target)), cont(DISPATCH_LABEL)];
    if ((rpo.get(target) as number) <= (rpo.get(src) as number)) {
      if (!openLoops.has(target)) throw new Error(`structure: no loop for back edge to 0x${hex(target)}`);
      return [cont(`L${hex(target)}`)];
    }
    if (isMerge(target)) {
      if (!openBlocks.has(target)) throw new Error(`structure: no block for merge node 0x${hex(target)}`);
      return [brk(`B${hex(target)}`)];
    }
    return doTree(target);
  };

  /** x's code inside the labelled blocks of its merge children merges[k..] (the first
   *  outermost), each followed by that child's tree. */
  const nodeWithin = (x: number, merges: number[], k: number): Node[] => {
    if (k === merges.length) {
      const n = byEip.get(x) as CfgNode;
      return replaceGotos(n.stmts, (t) => doBranch(x, t));
    }
    const y = merges[k];
    openBlocks.add(y);
    const inner = nodeWithin(x, merges, k + 1);
    openBlocks.delete(y);
    const out: Node[] = [labeled(`B${hex(y)}`, block(inner))];
    for (const st of doTree(y)) out.push(st);
    return out;
  };

  function doTree(x: number): Node[] {
    // Merge children, the one with the highest reverse-postorder number outermost (its code last).
    const merges = (children.get(x) ?? []).filter(isMerge).sort((a, b) => (rpo.get(b) as number) - (rpo.get(a) as number));
    if (loopHeader.has(x)) {
      openLoops.add(x);
      const body = nodeWithin(x, merges, 0);
      openLoops.delete(x);
      return [labeled(`L${hex(x)}`, forever(body))];
    }
    return nodeWithin(x, merges, 0);
  }

  const roots = order.filter((n) => heads.has(n));
  return { cases: fallThrough(roots.map((r) => [r, doTree(r)])), entries: roots, reachable: order.length - 1 };
}

/** The dispatch target of a tree that ends by going to another tree (`pc = P; continue D`). */
function tailDispatch(code: Node[]): number | null {
  if (code.length < 2) return null;
  const c = code[code.length - 1], a = code[code.length - 2];
  if (c.type !== "ContinueStatement" || (c.label as Node | null)?.name !== DISPATCH_LABEL || a.type !== "ExpressionStatement") return null;
  const e = a.expression as Node;
  if (e.type !== "AssignmentExpression" || e.operator !== "=" || (e.left as Node).name !== "pc" || (e.right as Node).type !== "Literal") return null;
  return (e.right as Node).value as number;
}

/**
 * Orders the cases so that a tree ending in a dispatch to another case is followed by that
 * case, and drops the dispatch: it falls through (a chain of entries in straight-line code, as
 * budget check points make, runs as straight-line code). Going round the dispatch loop instead
 * makes every local a phi of one loop spanning the region: sha256sum's compiled code took 1.6
 * times as long so.
 */
function fallThrough(cases: [number, Node[]][]): [number, Node[]][] {
  const byEip = new Map(cases);
  const placed = new Set<number>();
  const out: [number, Node[]][] = [];
  for (const [first] of cases) {
    for (let eip: number | null = first; eip !== null && !placed.has(eip); ) {
      placed.add(eip);
      const code = byEip.get(eip) as Node[];
      const next = tailDispatch(code);
      if (next !== null && byEip.has(next) && !placed.has(next)) {
        out.push([eip, code.slice(0, -2)]);
        eip = next;
      } else {
        out.push([eip, code]);
        eip = null;
      }
    }
  }
  return out;
}
/** Depth-first reverse postorder from `entry`: node → number (0 for the entry), and the order. */
function reversePostorder(entry: number, next: (n: number) => number[]): { rpo: Map<number, number>; order: number[] } {
  const post: number[] = [];
  const seen = new Set<number>([entry]);
  const stack: [number, number][] = [[entry, 0]];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const out = next(top[0]);
    if (top[1] < out.length) {
      const t = out[top[1]++];
      if (!seen.has(t)) {
        seen.add(t);
        stack.push([t, 0]);
      }
    } else {
      post.push(top[0]);
      stack.pop();
    }
  }
  const order = post.reverse();
  return { rpo: new Map(order.map((n, k) => [n, k])), order };
}

/** Immediate dominators (Cooper, Harvey and Kennedy's iterative algorithm over reverse postorder). */
function dominators(order: number[], rpo: Map<number, number>, predsOf: (n: number) => number[]): Map<number, number> {
  const idom = new Map<number, number>([[order[0], order[0]]]);
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while ((rpo.get(a) as number) > (rpo.get(b) as number)) a = idom.get(a) as number;
      while ((rpo.get(b) as number) > (rpo.get(a) as number)) b = idom.get(b) as number;
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let k = 1; k < order.length; k++) {
      const n = order[k];
      let d: number | undefined;
      for (const p of predsOf(n)) {
        if (!idom.has(p)) continue;
        d = d === undefined ? p : intersect(p, d);
      }
      if (d !== undefined && idom.get(n) !== d) {
        idom.set(n, d);
        changed = true;
      }
    }
  }
  return idom;
}

function dominates(idom: Map<number, number>, a: number, b: number): boolean {
  for (let n = b; ; ) {
    if (n === a) return true;
    const d = idom.get(n);
    if (d === undefined || d === n) return false;
    n = d;
  }
}
