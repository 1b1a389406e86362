// ESTree construction for generated code. Expression fragments are written as JavaScript with
// $-placeholders ("($a + $b) | 0"), parsed once by acorn, and instantiated by cloning with the
// placeholders replaced; statements are built directly. astring prints the finished tree.

// acorn and astring load on the first compile (through require: both ship CommonJS), so a
// program that never gets hot never loads them.

import { createRequire } from "node:module";
import type * as Acorn from "acorn";
import type * as Astring from "astring";

let acorn: typeof Acorn | null = null;
let astring: typeof Astring | null = null;
// `as`: require() is untyped; the types are the packages' own declarations for these modules.
const loadAcorn = (): typeof Acorn => (acorn ??= createRequire(import.meta.url)("acorn") as typeof Acorn);
const loadAstring = (): typeof Astring => (astring ??= createRequire(import.meta.url)("astring") as typeof Astring);

/** An ESTree node (we only build, never inspect deeply, so a loose shape suffices). */
export interface Node {
  type: string;
  [key: string]: unknown;
}

export function id(name: string): Node {
  return { type: "Identifier", name };
}

/** A numeric literal; negative values become unary minus (ESTree literals are non-negative). */
export function num(v: number): Node {
  if (v < 0 || Object.is(v, -0)) return { type: "UnaryExpression", operator: "-", prefix: true, argument: num(-v) };
  return { type: "Literal", value: v, raw: String(v) };
}

export function str(s: string): Node {
  return { type: "Literal", value: s, raw: JSON.stringify(s) };
}

export function bin(op: string, left: Node, right: Node): Node {
  const logical = op === "&&" || op === "||";
  return { type: logical ? "LogicalExpression" : "BinaryExpression", operator: op, left, right };
}

export function unary(op: string, argument: Node): Node {
  return { type: "UnaryExpression", operator: op, prefix: true, argument };
}

export function member(object: Node, index: Node): Node {
  return { type: "MemberExpression", object, property: index, computed: true, optional: false };
}

export function prop(object: Node, name: string): Node {
  return { type: "MemberExpression", object, property: id(name), computed: false, optional: false };
}

export function call(callee: Node, args: Node[]): Node {
  return { type: "CallExpression", callee, arguments: args, optional: false };
}

export function cond(test: Node, consequent: Node, alternate: Node): Node {
  return { type: "ConditionalExpression", test, consequent, alternate };
}

export function assign(target: Node, value: Node, op = "="): Node {
  return { type: "ExpressionStatement", expression: { type: "AssignmentExpression", operator: op, left: target, right: value } };
}

export function expr(e: Node): Node {
  return { type: "ExpressionStatement", expression: e };
}

export function block(body: Node[]): Node {
  return { type: "BlockStatement", body };
}

export function ifs(test: Node, then: Node[], otherwise?: Node[]): Node {
  return { type: "IfStatement", test, consequent: block(then), alternate: otherwise ? block(otherwise) : null };
}

export function brk(label?: string): Node {
  return { type: "BreakStatement", label: label ? id(label) : null };
}

export function cont(label?: string): Node {
  return { type: "ContinueStatement", label: label ? id(label) : null };
}

export function ret(argument: Node): Node {
  return { type: "ReturnStatement", argument };
}

export function letDecl(names: [string, Node][], kind: "let" | "const" = "let"): Node {
  return {
    type: "VariableDeclaration",
    kind,
    declarations: names.map(([n, init]) => ({ type: "VariableDeclarator", id: id(n), init })),
  };
}

export function labeled(label: string, body: Node): Node {
  return { type: "LabeledStatement", label: id(label), body };
}

export function forever(body: Node[]): Node {
  return { type: "ForStatement", init: null, test: null, update: null, body: block(body) };
}

export function switchCase(test: Node | null, consequent: Node[]): Node {
  return { type: "SwitchCase", test, consequent };
}

export function switchStmt(discriminant: Node, cases: Node[]): Node {
  return { type: "SwitchStatement", discriminant, cases };
}

export function tryCatch(body: Node[], param: string, handler: Node[]): Node {
  return { type: "TryStatement", block: block(body), handler: { type: "CatchClause", param: id(param), body: block(handler) }, finalizer: null };
}

export function throwStmt(argument: Node): Node {
  return { type: "ThrowStatement", argument };
}

export function fn(name: string, params: string[], body: Node[]): Node {
  return { type: "FunctionExpression", id: id(name), params: params.map(id), body: block(body), generator: false, async: false, expression: false };
}

/** A jump to a static guest address, resolved when the region's control flow is structured
 *  (into `continue`, `break`, the target's code itself, or an exit). Never printed. */
export function goto(target: number): Node {
  return { type: "Goto", target };
}

/** The label of the region function's outermost statement: `break X` leaves compiled code. */
export const EXIT_LABEL = "X";
/** The label of the dispatch loop around `switch (pc)`: `continue D` jumps to the entry point
 *  in `pc` (or leaves compiled code if `pc` is not one). */
export const DISPATCH_LABEL = "D";

export function comment(text: string): Node {
  // astring prints no comments without source maps; an empty statement marks the spot instead.
  return { type: "EmptyStatement", exojitComment: text };
}

/** A template compiled to a function that builds a fresh copy of its tree with the placeholders
 *  filled in: object literals of fixed shape, much cheaper than cloning a tree generically. */
type Builder = (args: Record<string, Node>) => Node;
const templates = new Map<string, Builder>();

function compileTemplate(src: string): Builder {
  const tree = loadAcorn().parseExpressionAt(src, 0, { ecmaVersion: 2022 }) as unknown as Node;
  const names = new Set<string>();
  const gen = (v: unknown): string => {
    if (Array.isArray(v)) return `[${v.map(gen).join(",")}]`;
    if (v === null || typeof v !== "object") return v === undefined ? "undefined" : JSON.stringify(v);
    const n = v as Node;
    if (n.type === "Identifier" && typeof n.name === "string" && n.name.startsWith("$")) {
      names.add(n.name.slice(1));
      return `a[${JSON.stringify(n.name.slice(1))}]`;
    }
    const fields = Object.entries(n)
      .filter(([k]) => k !== "start" && k !== "end")
      .map(([k, x]) => `${JSON.stringify(k)}:${gen(x)}`);
    return `{${fields.join(",")}}`;
  };
  const body = gen(tree);
  const check = [...names].map((k) => `if(a[${JSON.stringify(k)}]===undefined)throw new Error("template argument $${k} missing");`).join("");
  return new Function("a", `${check}return ${body};`) as Builder;
}

/** Instantiates an expression template: t("($a + $b) | 0", { a: id("r0"), b: num(4) }). */
export function t(src: string, args: Record<string, Node> = {}): Node {
  let b = templates.get(src);
  if (b === undefined) templates.set(src, (b = compileTemplate(src)));
  return b(args);
}

/** JavaScript source for a tree. */
export function print(node: Node): string {
  return loadAstring().generate(node as never);
}
