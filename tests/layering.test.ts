// The layering rule of DESIGN.md ("Allowed imports"), checked on every .ts and .cts file under
// src/: a small scanner finds each file's imports (`import ... from`, `import type`, side-effect
// imports, `export ... from`, dynamic `import()`, `require`), and each one is checked against
// the table below. Only direct imports count. TypeScript 7 has no compiler API, hence the
// scanner, which is tested too.

import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO } from "./helpers/guest.js";

const SRC = path.join(REPO, "src");

/** One import found in a source file. */
interface ImportRef {
  specifier: string;
  /** `import type ...` or `export type ... from`: erased at compile time. */
  typeOnly: boolean;
  line: number;
}

// ---------------------------------------------------------------------------------------------
// Scanner

/**
 * Blanks out comments and the contents of string, template and regular-expression literals
 * (keeping their delimiters, newlines and length), so the import patterns below can only match
 * real code. Module specifiers are read back from the original text at the same offsets.
 */
function blankNonCode(src: string): string {
  const out = src.split("");
  const blank = (from: number, to: number): void => {
    for (let k = from; k < to; k++) if (out[k] !== "\n") out[k] = " ";
  };
  // Whether a "/" at this point starts a regular expression rather than a division.
  const regexAllowed = (i: number): boolean => {
    let j = i - 1;
    while (j >= 0 && /\s/.test(out[j])) j--;
    if (j < 0) return true;
    const ch = out[j];
    if (/[(,=:[!&|?{};+\-*%<>~^]/.test(ch)) return true;
    if (/[\w$]/.test(ch)) {
      let k = j;
      while (k >= 0 && /[\w$]/.test(out[k])) k--;
      return /^(return|typeof|instanceof|in|of|new|delete|void|throw|case|do|else|yield|await)$/.test(src.slice(k + 1, j + 1));
    }
    return false;
  };
  let i = 0;
  const templateDepth: number[] = []; // brace depth at which each open `${` resumes its template
  let braces = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === "/" && src[i + 1] === "/") {
      const end = src.indexOf("\n", i);
      const stop = end < 0 ? src.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === "/" && src[i + 1] === "*") {
      const end = src.indexOf("*/", i + 2);
      const stop = end < 0 ? src.length : end + 2;
      blank(i, stop);
      i = stop;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < src.length && src[j] !== c && src[j] !== "\n") j += src[j] === "\\" ? 2 : 1;
      blank(i + 1, j);
      i = j + 1;
    } else if (c === "`" || (c === "}" && templateDepth.length > 0 && templateDepth[templateDepth.length - 1] === braces)) {
      // Template text up to the closing backtick or the next `${`.
      if (c === "}") templateDepth.pop();
      let j = i + 1;
      while (j < src.length && src[j] !== "`" && !(src[j] === "$" && src[j + 1] === "{")) j += src[j] === "\\" ? 2 : 1;
      blank(i + 1, j);
      if (src[j] === "$") {
        templateDepth.push(braces);
        i = j + 2;
      } else {
        i = j + 1;
      }
    } else if (c === "/" && regexAllowed(i)) {
      let j = i + 1;
      let inClass = false;
      while (j < src.length && src[j] !== "\n" && (inClass || src[j] !== "/")) {
        if (src[j] === "\\") j++;
        else if (src[j] === "[") inClass = true;
        else if (src[j] === "]") inClass = false;
        j++;
      }
      blank(i + 1, j);
      i = j + 1;
    } else {
      if (c === "{") braces++;
      else if (c === "}") braces--;
      i++;
    }
  }
  return out.join("");
}

const IMPORT_PATTERNS: { re: RegExp; typeGroup: number }[] = [
  // import x from "m"; import { a, b } from "m"; import * as ns from "m"; import type { T } from "m"
  { re: /\bimport\s+(type\s+)?(?:[\w$]+\s*,?\s*)?(?:\{[^}]*\}|\*\s*as\s+[\w$]+)?\s*from\s*(["'])/g, typeGroup: 1 },
  // import "m" (side effects only)
  { re: /\bimport\s*(["'])/g, typeGroup: 0 },
  // export { a } from "m"; export * from "m"; export * as ns from "m"; export type { T } from "m"
  { re: /\bexport\s+(type\s+)?(?:\*(?:\s*as\s+[\w$]+)?|\{[^}]*\})\s*from\s*(["'])/g, typeGroup: 1 },
  // import("m")
  { re: /\bimport\s*\(\s*(["'`])/g, typeGroup: 0 },
  // require("m"), createRequire(import.meta.url)("m"): CommonJS packages loaded from ESM
  { re: /\brequire\s*\(\s*(["'`])/g, typeGroup: 0 },
  { re: /\bcreateRequire\s*\([^)]*\)\s*\(\s*(["'`])/g, typeGroup: 0 },
];

/** Every import in a TypeScript source text, in order of appearance. */
function scanImports(src: string): ImportRef[] {
  const code = blankNonCode(src);
  const found: { at: number; ref: ImportRef }[] = [];
  for (const { re, typeGroup } of IMPORT_PATTERNS) {
    re.lastIndex = 0;
    for (let m = re.exec(code); m !== null; m = re.exec(code)) {
      // Skip member accesses such as `x.import(...)`.
      if (m.index > 0 && code[m.index - 1] === ".") continue;
      const quoteAt = m.index + m[0].length - 1;
      const quote = src[quoteAt];
      const end = src.indexOf(quote, quoteAt + 1);
      if (end < 0) continue;
      const specifier = src.slice(quoteAt + 1, end);
      const line = src.slice(0, m.index).split("\n").length;
      found.push({ at: m.index, ref: { specifier, typeOnly: typeGroup > 0 && m[typeGroup] !== undefined, line } });
    }
  }
  return found.sort((a, b) => a.at - b.at).map((f) => f.ref);
}

// ---------------------------------------------------------------------------------------------
// The table of DESIGN.md

/** Layers by folder under src/; src/log.ts and src/index.ts are their own. src/api holds the
 *  embedding API that src/index.ts exports: like the CLI, a top layer over everything. */
type Layer = "hw" | "decoder" | "jit" | "exokernel" | "libexoc" | "posix" | "cli" | "api" | "log" | "index";
const FOLDER_LAYERS: readonly Layer[] = ["hw", "decoder", "jit", "exokernel", "libexoc", "posix", "cli", "api"];

interface Rule {
  /** Layers whose modules may be imported (a layer may always import itself). */
  may: readonly Layer[];
  /** Layers that may be imported with `import type` only. */
  mayType?: readonly Layer[];
  /** May import iced-x86. */
  iced?: boolean;
}

const ALL: readonly Layer[] = ["hw", "decoder", "jit", "exokernel", "libexoc", "posix", "cli", "api", "log", "index"];
const RULES: Record<Layer, Rule> = {
  hw: { may: ["log"] },
  decoder: { may: ["hw", "log"], iced: true },
  jit: { may: ["decoder", "hw", "log"] },
  exokernel: { may: ["jit", "decoder", "hw", "log"] },
  libexoc: { may: ["exokernel", "log"], mayType: ["hw"] },
  posix: { may: ["libexoc", "log"], mayType: ["exokernel"] },
  cli: { may: ALL },
  api: { may: ALL },
  log: { may: [] },
  index: { may: ALL },
};

/** The layer of a file under src/, or null if the table has none for it. */
function layerOf(relToSrc: string): Layer | null {
  const parts = relToSrc.split(/[\\/]/);
  if (parts.length === 1) return parts[0] === "log.ts" ? "log" : parts[0] === "index.ts" ? "index" : null;
  return (FOLDER_LAYERS as readonly string[]).includes(parts[0]) ? (parts[0] as Layer) : null;
}

/** Why an import breaks the rules, or null if it is allowed. `file` is relative to src/. */
function violation(file: string, ref: ImportRef): string | null {
  const from = layerOf(file);
  if (from === null) return "file is in no layer of DESIGN.md's table";
  const rule = RULES[from];
  const spec = ref.specifier;
  if (spec === "iced-x86" || spec.startsWith("iced-x86/")) return rule.iced ? null : "only src/decoder may import iced-x86";
  if (!spec.startsWith(".")) return null; // node: built-ins and other packages
  const target = path.relative(SRC, path.resolve(SRC, path.dirname(file), spec));
  if (target.startsWith("..") || path.isAbsolute(target)) return "imports from outside src/";
  const to = layerOf(target.replace(/\.js$/, ".ts").replace(/\.cjs$/, ".cts"));
  if (to === null) return `imports ${target}, which is in no layer`;
  if (to === from || rule.may.includes(to)) return null;
  if (rule.mayType?.includes(to)) return ref.typeOnly ? null : `${from} may import ${to} with \`import type\` only`;
  return `${from} may not import ${to}`;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (e.name.endsWith(".ts") || e.name.endsWith(".cts")) out.push(p);
  }
  return out.sort();
}

// ---------------------------------------------------------------------------------------------

describe("import scanner", () => {
  it("finds default, named, namespace, type-only and side-effect imports", () => {
    const src = [
      'import a from "./a.js";',
      "import { b,",
      "  c } from './b.js';",
      'import * as d from "../d.js";',
      'import type { T } from "./t.js";',
      'import e, { f } from "./e.js";',
      'import "./side.js";',
      'import { type U, g } from "./u.js";',
    ].join("\n");
    expect(scanImports(src)).toEqual([
      { specifier: "./a.js", typeOnly: false, line: 1 },
      { specifier: "./b.js", typeOnly: false, line: 2 },
      { specifier: "../d.js", typeOnly: false, line: 4 },
      { specifier: "./t.js", typeOnly: true, line: 5 },
      { specifier: "./e.js", typeOnly: false, line: 6 },
      { specifier: "./side.js", typeOnly: false, line: 7 },
      // Inline `type` modifiers leave the import in the output (verbatimModuleSyntax).
      { specifier: "./u.js", typeOnly: false, line: 8 },
    ]);
  });

  it("finds re-exports and dynamic imports", () => {
    const src = [
      'export { x } from "./x.js";',
      'export * from "./all.js";',
      'export * as ns from "./ns.js";',
      'export type { Y } from "./y.js";',
      'const m = await import("./lazy.js");',
      'export const z = 1;',
      'export { z as w };',
      'const c = createRequire(import.meta.url)("cjs-package");',
      'const r = require("./other.cjs");',
    ].join("\n");
    expect(scanImports(src).map((r) => [r.specifier, r.typeOnly])).toEqual([
      ["./x.js", false],
      ["./all.js", false],
      ["./ns.js", false],
      ["./y.js", true],
      ["./lazy.js", false],
      ["cjs-package", false],
      ["./other.cjs", false],
    ]);
  });

  it("ignores imports inside comments, strings, templates and regular expressions", () => {
    const src = [
      '// import a from "./c1.js";',
      '/* import b from "./c2.js";',
      '   export * from "./c3.js"; */',
      'const s = "import c from \'./s1.js\'";',
      "const t = `import(\"./t1.js\") ${'x'} import d from './t2.js'`;",
      'const r = /import e from "\\.\\/r1\\.js"/;',
      'obj.import("./member.js");',
      'import real from "./real.js";',
    ].join("\n");
    expect(scanImports(src).map((r) => r.specifier)).toEqual(["./real.js"]);
  });

  it("keeps scanning after a division that looks like the start of a regular expression", () => {
    const src = 'const q = a / b; const w = c / 2;\nimport k from "./k.js";\n';
    expect(scanImports(src).map((r) => r.specifier)).toEqual(["./k.js"]);
  });
});

describe("layer rules", () => {
  const ref = (specifier: string, typeOnly = false): ImportRef => ({ specifier, typeOnly, line: 1 });

  it("lets each layer import the layers below it", () => {
    expect(violation("decoder/block.ts", ref("../hw/isa.js"))).toBeNull();
    expect(violation("jit/engine.ts", ref("../decoder/block.js"))).toBeNull();
    expect(violation("exokernel/kernel.ts", ref("../jit/engine.js"))).toBeNull();
    expect(violation("posix/linux.ts", ref("../libexoc/process.js"))).toBeNull();
    expect(violation("cli/run.ts", ref("../posix/linux.js"))).toBeNull();
    expect(violation("hw/cpu.ts", ref("./mmu.js"))).toBeNull();
    expect(violation("hw/fpu/index.ts", ref("../cpu.js"))).toBeNull();
    expect(violation("hw/cpu.ts", ref("../log.js"))).toBeNull();
  });

  it("rejects imports that point up or skip a layer", () => {
    expect(violation("hw/cpu.ts", ref("../jit/engine.js"))).toMatch(/hw may not import jit/);
    expect(violation("libexoc/fs.ts", ref("../jit/engine.js"))).toMatch(/libexoc may not import jit/);
    expect(violation("posix/linux.ts", ref("../hw/cpu.js", true))).toMatch(/posix may not import hw/);
    expect(violation("log.ts", ref("./hw/cpu.js"))).toMatch(/log may not import hw/);
  });

  it("allows hw in libexoc and exokernel in posix only as `import type`", () => {
    expect(violation("libexoc/vm.ts", ref("../hw/memory.js", true))).toBeNull();
    expect(violation("libexoc/vm.ts", ref("../hw/memory.js"))).toMatch(/import type/);
    expect(violation("posix/linux.ts", ref("../exokernel/kernel.js", true))).toBeNull();
    expect(violation("posix/linux.ts", ref("../exokernel/kernel.js"))).toMatch(/import type/);
  });

  it("lets only the decoder import iced-x86", () => {
    expect(violation("decoder/iced.ts", ref("iced-x86"))).toBeNull();
    expect(violation("jit/compile.ts", ref("iced-x86"))).toMatch(/only src\/decoder/);
    expect(violation("cli/main.ts", ref("iced-x86"))).toMatch(/only src\/decoder/);
    expect(violation("hw/cpu.ts", ref("node:fs"))).toBeNull();
    expect(scanImports('const iced = createRequire(import.meta.url)("iced-x86");').map((r) => r.specifier)).toEqual(["iced-x86"]);
  });

  it("flags files and imports outside the table", () => {
    expect(violation("misc.ts", ref("./hw/cpu.js"))).toMatch(/no layer/);
    expect(violation("hw/cpu.ts", ref("../../package.json"))).toMatch(/outside src/);
    expect(violation("index.ts", ref("./cli/run.js"))).toBeNull();
    expect(violation("index.ts", ref("./api/machine.js"))).toBeNull();
    expect(violation("api/machine.ts", ref("../exokernel/kernel.js"))).toBeNull();
    expect(violation("hw/cpu.ts", ref("../api/errors.js"))).toMatch(/hw may not import api/);
  });
});

describe("src/ follows the layering of DESIGN.md", () => {
  const files = sourceFiles(SRC);
  const scanned = files.map((f) => ({ rel: path.relative(SRC, f), imports: scanImports(fs.readFileSync(f, "utf8")) }));

  it("finds the source files and their imports", () => {
    expect(files.length).toBeGreaterThan(20);
    const relative = scanned.flatMap((s) => s.imports).filter((r) => r.specifier.startsWith("."));
    expect(relative.length).toBeGreaterThan(50);
  });

  it("has no import that breaks the allowed-import table", () => {
    const bad: string[] = [];
    for (const { rel, imports } of scanned) {
      for (const r of imports) {
        const why = violation(rel, r);
        if (why !== null) bad.push(`src/${rel}:${r.line} → ${r.specifier}${r.typeOnly ? " (type)" : ""}: ${why}`);
      }
    }
    expect(bad, `layering violations:\n${bad.join("\n")}`).toEqual([]);
  });

  it("has every relative import resolve to a file under src/", () => {
    const missing: string[] = [];
    for (const { rel, imports } of scanned) {
      for (const r of imports) {
        if (!r.specifier.startsWith(".")) continue;
        const target = path.resolve(SRC, path.dirname(rel), r.specifier).replace(/\.js$/, ".ts").replace(/\.cjs$/, ".cts");
        if (!fs.existsSync(target)) missing.push(`src/${rel}:${r.line} → ${r.specifier}`);
      }
    }
    expect(missing, `unresolved imports:\n${missing.join("\n")}`).toEqual([]);
  });

  it("has iced-x86 imported by src/decoder only", () => {
    const importers = scanned.filter((s) => s.imports.some((r) => r.specifier === "iced-x86" || r.specifier.startsWith("iced-x86/"))).map((s) => s.rel);
    expect(importers.length).toBeGreaterThan(0);
    expect(importers.filter((f) => !f.startsWith("decoder/"))).toEqual([]);
  });
});
