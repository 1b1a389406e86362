#!/usr/bin/env node
// Makes dist/exojit-pack.cjs, the packed build src/cli/packload.cts loads: every module of dist/
// compiled by tsc once more, from the ES modules tsc just wrote, to CommonJS (which keeps ES
// live bindings as property reads on the exporting module), and wrapped one function per module
// in a single script. `import.meta.url` becomes a parameter each module is given.
// Run after `tsc -p .` (npm run build does both).

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { dedent, inlineImportedConsts, keepExportsFast, localConsts, localStats, plainNamespaces } from "./packxform.mjs";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DIST = path.join(REPO, "dist");
const OUT = path.join(DIST, "exojit-pack.cjs");
/** import.meta.url becomes a call, made only by the few modules that use it. */
const META = "__exojitMetaUrl";

function jsFiles(dir, rel = "") {
  const out = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = path.posix.join(rel, e.name);
    if (e.isDirectory()) out.push(...jsFiles(dir, r));
    else if (e.name.endsWith(".js")) out.push(r);
  }
  return out.sort();
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "exojit-pack-"));
try {
  const esm = path.join(tmp, "esm"), cjs = path.join(tmp, "cjs");
  const files = jsFiles(DIST);
  for (const rel of files) {
    let src = fs.readFileSync(path.join(DIST, rel), "utf8").replace(/^#!.*/, "");
    src = src.replaceAll("import.meta.url", `${META}()`);
    if (/\bimport\.meta\b/.test(src)) throw new Error(`${rel}: import.meta other than import.meta.url cannot be packed`);
    fs.mkdirSync(path.dirname(path.join(esm, rel)), { recursive: true });
    fs.writeFileSync(path.join(esm, rel), src);
  }
  // (without comments: the pack is 2.0 MB instead of 2.7, which every start-up reads, converts
  // and keeps as a string; a hello-world's peak RSS 62.8 instead of 64.6 MB, medians of 6)
  const tsconfig = {
    compilerOptions: { allowJs: true, checkJs: false, module: "commonjs", moduleResolution: "bundler", target: "ES2022", outDir: cjs, rootDir: esm, noResolve: true, isolatedModules: true, types: [], sourceMap: false, removeComments: true },
    include: ["**/*.js"],
  };
  fs.writeFileSync(path.join(esm, "tsconfig.json"), JSON.stringify(tsconfig));
  const tsc = path.join(REPO, "node_modules", "typescript", "bin", "tsc");
  const r = spawnSync(process.execPath, [tsc, "-p", esm], { stdio: "inherit" });
  if (r.status !== 0) throw new Error(`tsc (CommonJS pass) failed with status ${r.status}`);
  const modules = new Map(files.map((rel) => [rel, plainNamespaces(localConsts(keepExportsFast(fs.readFileSync(path.join(cjs, rel), "utf8").replace(/^\/\/# sourceMappingURL=.*$/m, ""))))]));
  for (const [rel, code] of modules) {
    const ns = new Set([...code.matchAll(/^const ([\w$]+) = require\("node:[^"]+"\);$/gm)].map((m) => m[1]));
    for (const m of code.matchAll(/([\w$]+)\.default\b/g)) if (ns.has(m[1])) throw new Error(`${rel}: ${m[0]} of a Node builtin imported as a namespace cannot be packed`);
  }
  const inlined = inlineImportedConsts(modules);
  const parts = ["(function (define) {"];
  for (const rel of files) {
    const code = modules.get(rel);
    // Relative requires resolved now, so loading does no path arithmetic.
    const deps = {};
    for (const m of code.matchAll(/\brequire\("(\.{1,2}\/[^"]+)"\)/g)) deps[m[1]] = path.posix.normalize(path.posix.join(path.posix.dirname(rel), m[1]));
    parts.push(`define(${JSON.stringify(rel)}, ${JSON.stringify(deps)}, function (exports, require, module, __filename, __dirname, ${META}) {\n${code}\n});`);
  }
  parts.push("})");
  // ASCII only (the few other characters, in comments and the help text, as \u escapes): the
  // loader reads the script as Latin-1, 3x faster than decoding UTF-8 (~6 ms of every start-up),
  // and V8 keeps a one-byte string (one character beyond Latin-1 made it two bytes a character).
  const text = dedent(parts.join("\n"));
  if (/\\[^\x00-\x7f]/.test(text)) throw new Error("a character beyond ASCII after a backslash cannot be escaped");
  fs.writeFileSync(`${OUT}.tmp`, text.replace(/[^\x00-\x7f]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`));
  fs.renameSync(`${OUT}.tmp`, OUT);
  console.log(`tools/pack.mjs: ${files.length} modules -> ${path.relative(REPO, OUT)} (${(fs.statSync(OUT).size / 1024).toFixed(0)} KiB; ${localStats.names} exported constants read as locals, ${inlined} reads of imported ones as numbers${localStats.skipped > 0 ? `, ${localStats.skipped} modules left as they were` : ""})`);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}

// The decoder's seed of learned forms, keyed by this build's files (tools/formseed.mjs).
const seed = spawnSync(process.execPath, [path.join(REPO, "tools", "formseed.mjs")], { stdio: "inherit" });
if (seed.status !== 0) console.error("tools/pack.mjs: making the decoder's form seed failed; the build works without it");
