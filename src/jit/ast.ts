// Syntax trees for generated code, and their printer. Statements and the expressions the
// translators combine are built as ESTree nodes; expression fragments are written as JavaScript
// text with $-placeholders ("($a + $b) | 0") and kept as text: t() makes a Raw node holding the
// fragment's pieces and its arguments, and print() writes each argument in its place (in
// parentheses unless it is a single name, number or member/call expression, so the fragment
// reads exactly as it would with an identifier there). Nothing is parsed, so the first compile
// pays for no JavaScript parser and no general printer.

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

/** A copy of `stmts` in which each statement that `replace` gives a list for is replaced by
 *  that list, and the others are copied with their nested statement lists (blocks, switch
 *  cases) mapped the same way. */
export function mapStatements(stmts: Node[], replace: (s: Node) => Node[] | null): Node[] {
  const out: Node[] = [];
  for (const s of stmts) {
    const r = replace(s);
    if (r !== null) out.push(...r);
    else out.push(mapInside(s, replace));
  }
  return out;
}

function mapInside(s: Node, replace: (s: Node) => Node[] | null): Node {
  switch (s.type) {
    case "IfStatement":
      return { ...s, consequent: mapInside(s.consequent as Node, replace), alternate: s.alternate ? mapInside(s.alternate as Node, replace) : null };
    case "BlockStatement":
      return { ...s, body: mapStatements(s.body as Node[], replace) };
    case "LabeledStatement":
    case "ForStatement":
      return { ...s, body: mapInside(s.body as Node, replace) };
    case "SwitchStatement":
      return { ...s, cases: (s.cases as Node[]).map((c) => ({ ...c, consequent: mapStatements(c.consequent as Node[], replace) })) };
    default:
      return s;
  }
}

export function comment(text: string): Node {
  // Printed as an empty statement (the text is for whoever reads the tree).
  return { type: "EmptyStatement", exojitComment: text };
}

/** A fragment of JavaScript text with arguments: parts[0] args[0] parts[1] ... args[n-1] parts[n]. */
export interface Raw extends Node {
  type: "Raw";
  parts: string[];
  args: Node[];
}

/** A template split at its placeholders, once per template text. */
interface Template {
  parts: string[];
  names: string[];
  /** The node itself when the template is one name or number (kept as an Identifier or Literal:
   *  code generation looks at those). */
  simple: Node | null;
}
const templates = new Map<string, Template>();
const PLACEHOLDER = /\$([A-Za-z_][A-Za-z0-9_]*)/g;

function split(src: string): Template {
  const parts: string[] = [];
  const names: string[] = [];
  let at = 0;
  for (const m of src.matchAll(PLACEHOLDER)) {
    parts.push(src.slice(at, m.index));
    names.push(m[1]);
    at = (m.index ?? 0) + m[0].length;
  }
  parts.push(src.slice(at));
  const text = src.trim();
  const simple = names.length > 0 ? null : /^[A-Za-z_][A-Za-z0-9_]*$/.test(text) ? id(text) : /^\d+$/.test(text) ? num(Number(text)) : null;
  return { parts, names, simple };
}

/** Instantiates an expression template: t("($a + $b) | 0", { a: id("r0"), b: num(4) }). */
export function t(src: string, args: Record<string, Node> = {}): Node {
  let tp = templates.get(src);
  if (tp === undefined) templates.set(src, (tp = split(src)));
  if (tp.simple !== null) return tp.simple;
  const values = tp.names.map((k) => {
    const v = args[k];
    if (v === undefined) throw new Error(`template argument $${k} missing`);
    return v;
  });
  // A template that is one placeholder is its argument.
  if (values.length === 1 && tp.parts[0].trim() === "" && tp.parts[1].trim() === "") return values[0];
  const raw: Raw = { type: "Raw", parts: tp.parts, args: values };
  return raw;
}

// ---- printing ----

/** Binding power of binary and logical operators (higher binds tighter). */
const BINARY: Record<string, number> = {
  "||": 5, "??": 5, "&&": 6, "|": 7, "^": 8, "&": 9, "==": 10, "!=": 10, "===": 10, "!==": 10,
  "<": 11, ">": 11, "<=": 11, ">=": 11, in: 11, instanceof: 11, "<<": 12, ">>": 12, ">>>": 12,
  "+": 13, "-": 13, "*": 14, "/": 14, "%": 14, "**": 15,
};
const P_ASSIGN = 3, P_COND = 4, P_UNARY = 16, P_CALL = 18, P_ATOM = 20;
const SIMPLE_TEXT = /^\s*[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*\s*$/;

function precedence(n: Node): number {
  switch (n.type) {
    case "Identifier":
      return P_ATOM;
    case "Literal":
      return typeof n.value === "number" && (n.value < 0 || Object.is(n.value, -0)) ? P_UNARY : P_ATOM;
    case "MemberExpression":
    case "CallExpression":
      return P_CALL;
    case "UnaryExpression":
      return P_UNARY;
    case "BinaryExpression":
    case "LogicalExpression":
      return BINARY[n.operator as string] ?? 0;
    case "ConditionalExpression":
      return P_COND;
    case "AssignmentExpression":
      return P_ASSIGN;
    case "Raw": {
      const r = n as Raw;
      return r.args.length === 0 && SIMPLE_TEXT.test(r.parts[0]) ? P_ATOM : 0;
    }
    default:
      return 0;
  }
}

/** An expression, in parentheses when it binds less tightly than `min`. */
function sub(n: Node, min: number): string {
  const e = expression(n);
  // Where any expression but a comma sequence may stand, a fragment needs no parentheses
  // (templates never use the comma operator at their top level).
  if (n.type === "Raw" && min <= P_ASSIGN) return e;
  return precedence(n) < min ? `(${e})` : e;
}

function expression(n: Node): string {
  switch (n.type) {
    case "Identifier":
      return n.name as string;
    case "Literal":
      return typeof n.raw === "string" ? n.raw : JSON.stringify(n.value);
    case "Raw": {
      const r = n as Raw;
      let out = r.parts[0];
      for (let k = 0; k < r.args.length; k++) out += sub(r.args[k], P_CALL) + r.parts[k + 1];
      return out;
    }
    case "UnaryExpression": {
      const op = n.operator as string;
      const arg = n.argument as Node;
      // "- -x" must not print as "--x"
      const inner = arg.type === "UnaryExpression" ? `(${expression(arg)})` : sub(arg, P_UNARY);
      return /^[a-z]/.test(op) ? `${op} ${inner}` : `${op}${inner}`;
    }
    case "BinaryExpression":
    case "LogicalExpression": {
      const op = n.operator as string;
      const p = BINARY[op];
      // left-associative: an operand of the same precedence needs parentheses on the right
      // (** is right-associative: on the left).
      const left = sub(n.left as Node, op === "**" ? p + 1 : p);
      const right = sub(n.right as Node, op === "**" ? p : p + 1);
      return `${left} ${op} ${right}`;
    }
    case "MemberExpression": {
      const obj = sub(n.object as Node, P_CALL);
      return n.computed ? `${obj}[${expression(n.property as Node)}]` : `${obj}.${expression(n.property as Node)}`;
    }
    case "CallExpression":
      return `${sub(n.callee as Node, P_CALL)}(${(n.arguments as Node[]).map((a) => sub(a, P_ASSIGN)).join(", ")})`;
    case "ConditionalExpression":
      return `${sub(n.test as Node, P_COND + 1)} ? ${sub(n.consequent as Node, P_ASSIGN)} : ${sub(n.alternate as Node, P_ASSIGN)}`;
    case "AssignmentExpression":
      // A fragment on the left is an assignable expression as written (a name or member).
      return `${(n.left as Node).type === "Raw" ? expression(n.left as Node) : sub(n.left as Node, P_CALL)} ${n.operator as string} ${sub(n.right as Node, P_ASSIGN)}`;
    case "FunctionExpression":
      return `function ${(n.id as Node | null)?.name ?? ""}(${(n.params as Node[]).map(expression).join(", ")}) ${statement(n.body as Node, "")}`;
    default:
      throw new Error(`cannot print a ${n.type} expression`);
  }
}

/** A block's statements, one per line at `indent`. */
function body(stmts: Node[], indent: string): string {
  return stmts.map((s) => `${indent}${statement(s, indent)}\n`).join("");
}

function blockOf(stmts: Node[], indent: string): string {
  return stmts.length === 0 ? "{}" : `{\n${body(stmts, indent + unit)}${indent}}`;
}

/** One level of indentation: two spaces, or none (print's `pretty`). */
let unit = "  ";

/** A statement at `indent` (the caller writes the indentation of its first line). */
function statement(n: Node, indent: string): string {
  switch (n.type) {
    case "ExpressionStatement": {
      const e = n.expression as Node;
      // An expression statement cannot start with "function" or "{"; ours never do.
      return `${expression(e)};`;
    }
    case "BlockStatement":
      return blockOf(n.body as Node[], indent);
    case "IfStatement": {
      let out = `if (${expression(n.test as Node)}) ${statement(n.consequent as Node, indent)}`;
      const alt = n.alternate as Node | null;
      if (alt) out += ` else ${statement(alt, indent)}`;
      return out;
    }
    case "BreakStatement":
      return n.label ? `break ${expression(n.label as Node)};` : "break;";
    case "ContinueStatement":
      return n.label ? `continue ${expression(n.label as Node)};` : "continue;";
    case "ReturnStatement": {
      const arg = n.argument as Node | null;
      if (arg === null || arg === undefined) return "return;";
      // A returned function (a region's factory returns the region function) is written in
      // parentheses: V8 then compiles it with its factory instead of preparsing it there and
      // parsing it again at its first call (248 of bash's regions: 210-260 -> 140-180 ms).
      return arg.type === "FunctionExpression" ? `return (${expression(arg)});` : `return ${expression(arg)};`;
    }
    case "ThrowStatement":
      return `throw ${expression(n.argument as Node)};`;
    case "VariableDeclaration": {
      const decls = (n.declarations as Node[]).map((d) => {
        const init = d.init as Node | null;
        return init ? `${expression(d.id as Node)} = ${sub(init, P_ASSIGN)}` : expression(d.id as Node);
      });
      return `${n.kind as string} ${decls.join(", ")};`;
    }
    case "LabeledStatement":
      return `${expression(n.label as Node)}: ${statement(n.body as Node, indent)}`;
    case "ForStatement":
      return `for (;;) ${statement(n.body as Node, indent)}`;
    case "SwitchStatement": {
      const inner = indent + unit;
      const cases = (n.cases as Node[]).map((c) => {
        const head = c.test ? `case ${expression(c.test as Node)}:` : "default:";
        return `${inner}${head}\n${body(c.consequent as Node[], inner + unit)}`;
      });
      return `switch (${expression(n.discriminant as Node)}) {\n${cases.join("")}${indent}}`;
    }
    case "TryStatement": {
      const h = n.handler as Node;
      return `try ${statement(n.block as Node, indent)} catch (${expression(h.param as Node)}) ${statement(h.body as Node, indent)}`;
    }
    case "EmptyStatement":
      return ";";
    default:
      throw new Error(`cannot print a ${n.type} statement`);
  }
}

/** JavaScript source for a statement, indented if `pretty` (without, generated regions are
 *  40% smaller: less for V8 to scan and keep, and for the factory cache to hash). */
export function print(node: Node, pretty = true): string {
  unit = pretty ? "  " : "";
  try {
    return statement(node, "");
  } finally {
    unit = "  ";
  }
}
