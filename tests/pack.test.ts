// tools/packxform.mjs: the rewrites the packed build's modules get. Each must leave a module
// doing what tsc's CommonJS text did, with its exports object in V8's fast layout and its own
// exported constants read as locals.

import { describe, expect, it } from "vitest";
// @ts-expect-error (a build tool in plain JavaScript, without declarations)
import { dedent, inlineImportedConsts, keepExportsFast, linesWithinLiterals, localConsts, plainNamespaces } from "../tools/packxform.mjs";

type Xform = (code: string) => string;
const keep = keepExportsFast as Xform, locals = localConsts as Xform, plain = plainNamespaces as Xform;
const inline = inlineImportedConsts as (modules: Map<string, string>) => number;
const within = linesWithinLiterals as (code: string) => Set<number>;

/** Runs CommonJS `code` as the packed build's loader would, with `deps` for require. */
function load(code: string, deps: Record<string, object> = {}): Record<string, unknown> {
  const exports: Record<string, unknown> = {};
  new Function("exports", "require", "module", code)(exports, (spec: string) => deps[spec], { exports });
  return exports;
}

describe("the packed build's module rewrites", () => {
  it("leave re-exports out of the void 0 line, so that their getters are new properties", () => {
    const code = [
      `exports.B = exports.getA = exports.C = void 0;`,
      `const a_js_1 = require("./a.js");`,
      `Object.defineProperty(exports, "getA", { enumerable: true, get: function () { return a_js_1.getA; } });`,
      `exports.B = 2;`,
      `exports.C = 3;`,
    ].join("\n");
    const out = keep(code);
    expect(out).toContain("exports.B = exports.C = void 0;");
    expect(out).not.toMatch(/exports\.getA = /);
    expect(load(out, { "./a.js": { getA: 7 } })).toEqual({ B: 2, getA: 7, C: 3 });
  });

  it("bind a namespace import to the module itself, a Node builtin as our modules (a dynamic import left wrapped)", () => {
    const code = [
      `const fs = __importStar(require("node:fs"));`,
      `const st = __importStar(require("../hw/state.js"));`,
      `exports.f = (p) => import(p).then(s => __importStar(require(s)));`,
      `exports.read = fs.readFileSync; exports.eip = st.EIP;`,
    ].join("\n");
    const out = plain(code);
    expect(out).toContain(`const fs = require("node:fs");`);
    expect(out).toContain(`const st = require("../hw/state.js");`);
    expect(out).toContain(`__importStar(require(s))`);
    const fs = { readFileSync: () => "x" }, st = { __esModule: true, EIP: 8 };
    const x = load(out, { "node:fs": fs, "../hw/state.js": st });
    expect(x.read).toBe(fs.readFileSync);
    expect(x.eip).toBe(8);
  });

  it("read exported constants as locals, one declaration or several on a line", () => {
    const code = [
      `exports.f = f;`,
      `exports.K = exports.A = exports.B = exports.M = void 0;`,
      `exports.A = 1, exports.B = 2;`,
      `exports.M = {`,
      `    x: exports.A + exports.B,`,
      `};`,
      `exports.K = exports.M.x << 4;`,
      `function f() { return exports.K + exports.A; }`,
    ].join("\n");
    const out = locals(code);
    expect(out).toContain("const A = exports.A = 1, B = exports.B = 2;");
    expect(out).toContain("const M = exports.M = {");
    expect(out).toContain("const K = exports.K = M.x << 4;");
    expect(out).toContain("function f() { return K + A; }");
    const x = load(out);
    expect((x.f as () => number)()).toBe(49);
    expect(x).toMatchObject({ A: 1, B: 2, K: 48, M: { x: 3 } });
  });

  it("leave alone what is not a constant of the module's own", () => {
    const code = [
      `exports.n = exports.C = exports.D = exports.E = void 0;`,
      `exports.n = 0;`,
      `function bump() { exports.n++; return exports.n; }`,
      `class C {}`,
      `exports.C = C;`,
      // a declaration continued on the next line (not one these patterns read)
      `exports.D = 1, exports.E = g(1,`,
      `  2);`,
      `function g(a, b) { return a + b + exports.D; }`,
      `exports.bump = bump;`,
      // a name that would hide the wrapper's require
      `exports.require = 5;`,
      `exports.R = exports.require + 1;`,
    ].join("\n");
    const out = locals(code);
    expect(out).toBe(code.replace("exports.R = exports.require + 1;", "const R = exports.R = exports.require + 1;"));
    const x = load(out);
    expect((x.bump as () => number)()).toBe(1);
    expect(x.E).toBe(4);
  });

  it("write imported numeric constants as numbers, and leave every other import a read", () => {
    const modules = new Map([
      ["hw/state.js", locals([
        `exports.NAMES = exports.NEG = exports.MASK = exports.SHIFT = exports.EIP = exports.EAX = void 0;`,
        `exports.EAX = 0, exports.EIP = 8;`,
        `exports.SHIFT = 12; // a comment; with a semicolon`,
        `exports.MASK = ~((1 << exports.SHIFT) - 1);`,
        `exports.NEG = -5;`,
        `exports.NAMES = ["eax"];`,
      ].join("\n"))],
      ["hw/more.js", locals([
        `exports.PAGE = exports.NAN = void 0;`,
        `const state_js_1 = require("./state.js");`,
        `exports.PAGE = 1 << state_js_1.SHIFT;`,
        `exports.NAN = 0 / 0;`,
      ].join("\n"))],
      ["jit/use.js", [
        `exports.f = f;`,
        `const state_js_1 = require("../hw/state.js");`,
        `const more_js_1 = require("../hw/more.js");`,
        `const alu = __importStar(require("../hw/state.js"));`,
        `function f(r) { return r[state_js_1.EIP] - state_js_1.NEG + more_js_1.PAGE + alu.EAX + state_js_1.NAMES.length + (more_js_1.NAN === more_js_1.NAN ? 1 : 0) + (state_js_1.MASK >>> 0) + state_js_1.MISSING; }`,
      ].join("\n")],
      ["jit/shadow.js", [
        `exports.g = g;`,
        `const st = __importStar(require("../hw/state.js"));`,
        `function g(st) { return st.EIP; }`,
      ].join("\n")],
    ]);
    const before = new Map(modules);
    // (five reads in jit/use.js, and hw/more.js's of SHIFT)
    expect(inline(modules)).toBe(6);
    expect(modules.get("hw/more.js")).toContain("const PAGE = exports.PAGE = 1 << 12;");
    const use = modules.get("jit/use.js") as string;
    expect(use).toContain("return r[8] - (-5) + 4096 + 0 + state_js_1.NAMES.length + (more_js_1.NAN === more_js_1.NAN ? 1 : 0) + ((-4096) >>> 0) + state_js_1.MISSING;");
    // (a module whose namespace local is bound again somewhere is left alone)
    expect(modules.get("jit/shadow.js")).toBe(before.get("jit/shadow.js"));
    // Loaded, each module computes what it did before.
    const run = (mods: Map<string, string>): number => {
      const done = new Map<string, Record<string, unknown>>();
      const req = (from: string) => (spec: string): unknown => {
        const rel = spec.startsWith("../") ? spec.slice(3) : `${from.split("/")[0]}/${spec.slice(2)}`;
        let x = done.get(rel);
        if (x === undefined) {
          x = {};
          done.set(rel, x);
          new Function("exports", "require", "module", "__importStar", mods.get(rel) as string)(x, req(rel), { exports: x }, (m: unknown) => m);
        }
        return x;
      };
      const use = req("jit/x")("../jit/use.js") as { f: (r: number[]) => number };
      const shadow = req("jit/x")("../jit/shadow.js") as { g: (s: object) => unknown };
      expect(shadow.g({ EIP: "mine" })).toBe("mine");
      return use.f([0, 0, 0, 0, 0, 0, 0, 0, 100]);
    };
    expect(run(modules)).toBeNaN();
    modules.set("jit/use.js", use.replace(" + state_js_1.MISSING", ""));
    before.set("jit/use.js", (before.get("jit/use.js") as string).replace(" + state_js_1.MISSING", ""));
    expect(run(modules)).toBe(run(before));
    expect(run(modules)).toBe(100 + 5 + 4096 + 0 + 1 + 0 + 4294963200);
  });

  it("take the indentation off code lines only: a template's text, a continued string and what follows regular expressions and nested templates keep theirs", () => {
    const lines = [
      `exports.f = function (x) {`,
      `    const q = "\`", r = /["'\`]/g, d = x / 2 / 1;`,
      `    if (x) {`,
      `        return \`head ${"${"}x > 1 ? \`in ${"${"}x}\` : "}"} line`,
      `    two spaces`,
      `        eight\`;`,
      `    }`,
      `    return "a\\`,
      `    b" + q + r.source + d;`,
      `};`,
    ];
    const code = lines.join("\n");
    expect([...within(code)]).toEqual([4, 5, 8]);
    const out = (dedent as Xform)(code);
    // (lines 4, 5 and 8 start within the template and the continued string)
    expect(out.split("\n")).toEqual(lines.map((l, k) => ([4, 5, 8].includes(k) ? l : l.trimStart())));
    const f = (c: string) => load(c).f as (x: number) => string;
    expect(f(out)(2)).toBe(f(code)(2));
    expect(f(out)(0)).toBe(f(code)(0));
    expect(f(out)(2)).toContain("in 2 line\n    two spaces\n        eight");
  });
});
