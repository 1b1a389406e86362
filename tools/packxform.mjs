// Rewrites of tsc's CommonJS output that tools/pack.mjs applies to each module of the packed
// build (dist/exojit-pack.cjs), so that V8 reads exports as it reads the ES modules' bindings.

import * as path from "node:path";
import * as vm from "node:vm";

/**
 * A module's CommonJS text with its exports object kept in V8's fast (map-based) layout. tsc
 * first sets every export to `void 0`, then redefines each re-export (`export { x } from`) as
 * a getter; turning a data property into an accessor makes V8 move the whole object to a hash
 * table, and every `alu.add(...)` the interpreter made was then a dictionary lookup (hw/alu.js
 * was one of 16 such modules). A re-export is left out of the `void 0` line, so its getter is a
 * new property, which keeps the layout fast.
 */
export function keepExportsFast(code) {
  const reexported = new Set([...code.matchAll(/^Object\.defineProperty\(exports, "([\w$]+)", \{ enumerable: true, get: /gm)].map((m) => m[1]));
  if (reexported.size === 0) return code;
  return code.replace(/^exports\.[\w$]+ = (?:exports\.[\w$]+ = )*void 0;$/gm, (line) => {
    const names = [...line.matchAll(/exports\.([\w$]+) = /g)].map((m) => m[1]).filter((n) => !reexported.has(n));
    return names.length === 0 ? "" : `${names.map((n) => `exports.${n} = `).join("")}void 0;`;
  });
}

/**
 * A module's CommonJS text with each `import * as x` bound to the module itself. tsc wraps the
 * require in __importStar, which returns one of our modules as it is (they set __esModule) but
 * copies a Node builtin into a new object with a getter for each export: 40 imports of node:fs,
 * node:path and node:os made some 4,000 getters at every start-up (130 page faults, ~1.5 ms).
 * The builtin's own properties read the same; only `x.default` differs, which no module uses
 * (tools/pack.mjs fails the build if one does).
 */
export function plainNamespaces(code) {
  return code.replace(/__importStar\((require\("[^"]+"\))\)/g, "$1");
}

/** Names the packed build's module wrapper and tsc's helpers bind, and words no const may take. */
const WRAPPER_NAMES = new Set(["exports", "require", "module", "default", "arguments", "eval"]);

/**
 * A module's CommonJS text with its exported constants read from local constants. tsc compiles
 * `export const X = ...` to `exports.X = ...` and every use of X in the module to a property
 * read of `exports.X`: a map check and a load each time, and, on a path first taken after V8
 * optimised the function, a deoptimisation for want of type feedback (the engine's run loop met
 * one at `exports.MAX_RECOMPILES`). Where `exports.X = ` starts a top-level line once, X is
 * assigned nowhere else and the module has no other binding X, the line becomes
 * `const X = exports.X = ...` and the reads `X`. (A use of X in the source is not shadowed, so
 * neither is the local; a read before the line runs is a TDZ error, as in the ES module.)
 */
export function localConsts(code) {
  const re = (name) => name.replace(/\$/g, "\\$");
  const names = [];
  for (const m of code.matchAll(/^exports\.([\w$]+) = (?!exports\.[\w$]+ = )/gm)) names.push(m[1]);
  const counts = new Map();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  let out = code;
  let done = 0;
  /** Names each `exports.A = exports.B = … void 0;` line declares (tsc's first line, once each). */
  const voided = new Map();
  for (const m of code.matchAll(/^exports\.[\w$]+ = (?:exports\.[\w$]+ = )*void 0;$/gm)) {
    for (const v of m[0].matchAll(/exports\.([\w$]+) = /g)) voided.set(v[1], (voided.get(v[1]) ?? 0) + 1);
  }
  /** Whether `name` is exported once, as a constant, and bound nowhere else in the module. */
  const constant = (name) => {
    // (a local of one of these names would hide the module wrapper's parameter or a tsc helper)
    if (WRAPPER_NAMES.has(name) || name.startsWith("__")) return false;
    const n = re(name);
    // (a function's or class's export names a binding the module has already)
    if (new RegExp(`^exports\\.${n} = ${n};$`, "m").test(code)) return false;
    if (new RegExp(`^(?:const|let|var|class|function\\*?|async function) ${n}(?![\\w$])`, "m").test(code)) return false;
    // assigned anywhere but its declaration and the void 0 line: not a constant
    const writes = [...code.matchAll(new RegExp(`(?<![\\w$.])exports\\.${n}\\s*(?:[-+*/%&|^]|<<|>>>?|\\*\\*|&&|\\|\\||\\?\\?)?=(?!=)`, "g"))].length;
    if (new RegExp(`(?:\\+\\+|--)\\s*exports\\.${n}(?![\\w$])|(?<![\\w$.])exports\\.${n}\\s*(?:\\+\\+|--)`).test(code)) return false;
    return writes === 1 + (voided.get(name) ?? 0);
  };
  const readsOf = (name) => new RegExp(`(?<![\\w$.])exports\\.${re(name)}(?![\\w$])(?!\\s*=[^=])`, "g");
  // `export const A = 1, B = 2` on one line: `exports.A = 1, exports.B = 2;`
  const listed = new Set();
  out = out.replace(/^exports\.[\w$]+ = [^,;=]+(?:, exports\.[\w$]+ = [^,;=]+)+;$/gm, (line) => {
    const pairs = line.slice(0, -1).split(", exports.").map((p, k) => (k === 0 ? p.slice("exports.".length) : p));
    const decl = pairs.map((p) => p.split(" = "));
    if (decl.some((d) => d.length !== 2 || !/^[\w$]+$/.test(d[0]) || !constant(d[0]))) return line;
    for (const [name] of decl) listed.add(name);
    done += decl.length;
    return `const ${decl.map(([name, v]) => `${name} = exports.${name} = ${v}`).join(", ")};`;
  });
  for (const name of listed) out = out.replace(readsOf(name), name);
  for (const [name, k] of counts) {
    if (k !== 1 || listed.has(name)) continue;
    const n = re(name);
    if (!constant(name)) continue;
    // (one of several in one statement, `export const A = 1, B = 2`: not a declaration of its own)
    if (new RegExp(`, exports\\.${n} = |^exports\\.${n} = [^\\n]*, exports\\.`, "m").test(code)) continue;
    out = out.replace(new RegExp(`^exports\\.${n} = (?!exports\\.[\\w$]+ = )`, "m"), `const ${name} = exports.${name} = `);
    out = out.replace(readsOf(name), name);
    done++;
  }
  // A statement these patterns misread (a declaration continued on another line) fails to parse:
  // the module then stays as tsc wrote it.
  try {
    new vm.Script(`(function (exports, require, module) {\n${out}\n})`);
  } catch {
    localStats.skipped++;
    return code;
  }
  localStats.names += done;
  return out;
}
/** What localConsts did in this process (for the build's message). */
export const localStats = { names: 0, skipped: 0 };

/** A constant expression localConsts left: numerals, operators, parentheses and names. */
const CONST_EXPR = /^[\w$\s().+\-*/%<>|&^~]+$/;
/** A declaration localConsts wrote, `const X = exports.X = <expression>;` on one line, or
 *  several, `const A = exports.A = <expression>, B = exports.B = <expression>;`. */
const CONST_LINE = /^(const [\w$]+ = exports\.[\w$]+ = [^\n]*;)(?:[ \t]*\/\/[^\n]*)?$/gm;

/** The [name, expression] pairs of a CONST_LINE (none if it is not made of such pairs alone). */
function constPairs(line) {
  const parts = line.slice("const ".length, -1).split(/, (?=[\w$]+ = exports\.[\w$]+ = )/);
  const pairs = [];
  for (const p of parts) {
    const m = /^([\w$]+) = exports\.([\w$]+) = (.+)$/.exec(p);
    if (m === null || m[1] !== m[2]) return [];
    pairs.push([m[1], m[3]]);
  }
  return pairs;
}
/** A module bound to a local by tsc: `const a = require("./x.js");`, or with __importStar. */
const REQUIRE_DECL = /^const ([\w$]+) = (?:__importStar\()?require\("(\.{1,2}\/[^"]+)"\)\)?;$/gm;

/** Whether `name` (a module's local from `import * as name`) is bound again in the module: a
 *  parameter, a declaration or a destructured name that would hide it in some scope. (tsc's
 *  own locals, `x_js_1`, are never bound twice.) */
function bindsElsewhere(code, name) {
  const n = name.replace(/\$/g, "\\$");
  const binds = code.match(new RegExp(`(?:\\b(?:const|let|var|function|class)\\s+|[(,{]\\s*|\\.\\.\\.)${n}(?![\\w$])(?!\\s*[.(:])`, "g"));
  return (binds?.length ?? 0) > 1;
}

/**
 * Modules' CommonJS texts (by their path in dist/, after localConsts) with the numeric
 * constants they import written as numbers. tsc compiles `EIP` imported from hw/state.ts to
 * `state_js_1.EIP`, a property read at every use: V8's optimising compiler cannot fold it
 * (it does not know the module object as a constant), so each register index, flag bit and
 * TLB key the interpreter's handlers and the engine use costs a context load, a map check and
 * a field load. A constant is inlined when its module declares it once with a value made of
 * numbers, operators and other such constants (its own or imported), and the value is a
 * number other than -0 (NaN and the infinities stay reads). Reads only: a constant is never
 * assigned (localConsts checked), and an import binding cannot be. Modules that no longer
 * parse afterwards are kept as they were. Returns how many reads were rewritten.
 */
export function inlineImportedConsts(modules) {
  /** Each module's constants, by name: the number, as text. */
  const values = new Map([...modules.keys()].map((rel) => [rel, new Map()]));
  /** Each module's imports: local name -> module path. */
  const imports = new Map();
  for (const [rel, code] of modules) {
    const m = new Map();
    for (const [, local, spec] of code.matchAll(REQUIRE_DECL)) {
      if (!/_js_\d+$/.test(local) && bindsElsewhere(code, local)) continue;
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(rel), spec));
      if (modules.has(target)) m.set(local, target);
    }
    imports.set(rel, m);
  }
  /** The text of a constant's value, or null: names resolved to numbers, then evaluated. */
  const evaluate = (rel, expr) => {
    if (!CONST_EXPR.test(expr)) return null;
    let unresolved = false;
    const text = expr.replace(/(?<![\w$.])([A-Za-z_$][\w$]*)(?:\.([A-Za-z_$][\w$]*))?/g, (all, a, b) => {
      const v = b === undefined ? values.get(rel).get(a) : values.get(imports.get(rel).get(a) ?? "")?.get(b);
      if (v === undefined) unresolved = true;
      return v === undefined ? all : `(${v})`;
    });
    if (unresolved) return null;
    let v;
    try {
      v = vm.runInNewContext(text, Object.create(null), { timeout: 50 });
    } catch {
      return null;
    }
    if (typeof v !== "number" || !Number.isFinite(v) || Object.is(v, -0)) return null;
    return String(v);
  };
  // Until nothing new resolves: a constant may be made of another module's.
  for (let changed = true; changed; ) {
    changed = false;
    for (const [rel, code] of modules) {
      const mine = values.get(rel);
      for (const [, line] of code.matchAll(CONST_LINE)) for (const [name, expr] of constPairs(line)) {
        if (mine.has(name)) continue;
        const v = evaluate(rel, expr.trim());
        if (v !== null) {
          mine.set(name, v);
          changed = true;
        }
      }
    }
  }
  let rewritten = 0;
  for (const [rel, code] of modules) {
    let n = 0;
    let out = code;
    for (const [local, target] of imports.get(rel)) {
      const consts = values.get(target);
      if (consts.size === 0) continue;
      out = out.replace(new RegExp(`(?<![\\w$.])${local.replace(/\$/g, "\\$")}\\.([A-Za-z_$][\\w$]*)(?![\\w$])(?!\\s*=[^=])`, "g"), (all, name) => {
        const v = consts.get(name);
        if (v === undefined) return all;
        n++;
        return v.startsWith("-") ? `(${v})` : v;
      });
    }
    if (n === 0) continue;
    try {
      new vm.Script(`(function (exports, require, module) {\n${out}\n})`);
    } catch {
      continue;
    }
    modules.set(rel, out);
    rewritten += n;
  }
  return rewritten;
}

/** Words after which a `/` starts a regular expression (elsewhere an identifier or a number
 *  before it makes it a division). */
const BEFORE_EXPRESSION = new Set(["return", "typeof", "instanceof", "in", "of", "new", "delete", "void", "throw", "case", "do", "else", "yield", "await"]);

/**
 * The indexes of the lines of `code` (JavaScript) that start within a literal: a template
 * literal's text, a string continued on the next line with a backslash, a block comment. A
 * lexer of just what that takes: strings, templates (and the code of their `${}`), comments,
 * and regular expressions, told from a division by the token before them.
 */
export function linesWithinLiterals(code) {
  const within = new Set();
  const n = code.length;
  let i = 0, line = 0, depth = 0;
  /** Whether a `/` here starts a regular expression: after an operator, an opening bracket, a
   *  keyword of BEFORE_EXPRESSION or at the start; not after a name, a number, a literal or a
   *  closing bracket (a division). */
  let regex = true;
  /** Brace depths at which a template's `${` was opened: its `}` goes back into the template. */
  const resume = [];
  const newline = () => {
    line++;
    within.add(line);
  };
  const template = () => {
    while (i < n) {
      const c = code[i];
      if (c === "\\") {
        if (code[i + 1] === "\n") newline();
        i += 2;
      } else if (c === "`") {
        i++;
        regex = false;
        return;
      } else if (c === "$" && code[i + 1] === "{") {
        i += 2;
        resume.push(depth);
        regex = true;
        return;
      } else {
        if (c === "\n") newline();
        i++;
      }
    }
  };
  while (i < n) {
    const c = code[i];
    if (c === "\n") {
      line++;
      i++;
    } else if (c === " " || c === "\t" || c === "\r") {
      i++;
    } else if (c === "/" && code[i + 1] === "/") {
      while (i < n && code[i] !== "\n") i++;
    } else if (c === "/" && code[i + 1] === "*") {
      const end = code.indexOf("*/", i + 2);
      const stop = end < 0 ? n : end + 2;
      for (; i < stop; i++) if (code[i] === "\n") newline();
    } else if (c === '"' || c === "'") {
      for (i++; i < n && code[i] !== c; i++) {
        if (code[i] === "\\") {
          i++;
          if (code[i] === "\n") newline();
        } else if (code[i] === "\n") break; // (unterminated: the lexer goes on at the next line)
      }
      i++;
      regex = false;
    } else if (c === "`") {
      i++;
      template();
    } else if (c === "/" && regex) {
      let cls = false;
      for (i++; i < n && code[i] !== "\n"; i++) {
        if (code[i] === "\\") i++;
        else if (code[i] === "[") cls = true;
        else if (code[i] === "]") cls = false;
        else if (code[i] === "/" && !cls) break;
      }
      i++;
      while (i < n && /[\w$]/.test(code[i])) i++;
      regex = false;
    } else if (c === "{" || c === "(" || c === "[") {
      if (c === "{") depth++;
      i++;
      regex = true;
    } else if (c === "}") {
      if (resume.length > 0 && resume[resume.length - 1] === depth) {
        resume.pop();
        i++;
        template();
      } else {
        depth--;
        i++;
        regex = false;
      }
    } else if (c === ")" || c === "]") {
      i++;
      regex = false;
    } else if (/[\w$]/.test(c)) {
      const start = i;
      while (i < n && /[\w$.]/.test(code[i]) && !(code[i] === "." && !/\d/.test(code[start]))) i++;
      regex = BEFORE_EXPRESSION.has(code.slice(start, i));
    } else {
      i++;
      regex = true;
    }
  }
  return within;
}

/**
 * `code` (JavaScript) without the indentation of its lines: tsc indents its output by four
 * spaces a level, 16% of the packed build, which every start-up reads and copies into a string
 * (a hello-world: about 190 page faults fewer and 0.45 MB less at its peak; its CPU time the
 * same within noise). Lines that start
 * within a literal keep theirs (linesWithinLiterals), and so, as a second guard, does every line
 * between two lines with an odd number of backquotes (a template literal's text spanning them).
 */
export function dedent(code) {
  const within = linesWithinLiterals(code);
  const lines = code.split("\n");
  let open = false;
  return lines
    .map((l, k) => {
      const keep = open || within.has(k);
      if ((l.split("`").length - 1) % 2 === 1) open = !open;
      return keep ? l : l.replace(/^[ \t]+/, "");
    })
    .join("\n");
}
