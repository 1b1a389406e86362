// tools/packxform.mjs: the rewrites the packed build's modules get. Each must leave a module
// doing what tsc's CommonJS text did, with its exports object in V8's fast layout and its own
// exported constants read as locals.

import { describe, expect, it } from "vitest";
// @ts-expect-error (a build tool in plain JavaScript, without declarations)
import { keepExportsFast, localConsts } from "../tools/packxform.mjs";

type Xform = (code: string) => string;
const keep = keepExportsFast as Xform, locals = localConsts as Xform;

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
});
