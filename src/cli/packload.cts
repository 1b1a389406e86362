// The packed build: every module of dist/ as CommonJS in one script (dist/exojit-pack.cjs, made
// by tools/pack.mjs after tsc), loaded with a V8 code cache kept in the cache directory.
//
// Why: Node 20 loads ES modules one by one (resolve, stat, read, parse, link; ~0.3 ms each
// before any code runs, for ~180 modules) and has no compile cache for them (Node 22's
// module.enableCompileCache does not exist here). One script compiled from a code cache skips
// both; iced-x86's 900 KB of glue gets a code cache of its own. This file is CommonJS, as the
// command line's entry (main.cts) is: with no ES module loaded before the pack, Node never starts
// its ES-module loader (~15-20 ms of every start-up, with the modules it loads).
//
// The pack is compiled under V8's default flags, and the command sets its own (v8tuning.ts)
// only once it runs and puts them back before the cache is saved: a code cache is only valid
// under the flags it was made with, so one cache serves every command and engine.
//
// The pack is used only when it is at least as new as this file (tsc rewrites every output on
// each build, so a `tsc -p .` without tools/pack.mjs falls back to the ES modules), and not with
// EXOJIT_NO_PACK=1. A code cache is written after a run that had none, or whose cache V8
// rejected (another Node, other V8 flags); any failure to read or write one is ignored.

import fs = require("node:fs");
import path = require("node:path");
import vm = require("node:vm");
import nodeModule = require("node:module");
import os = require("node:os");
import url = require("node:url");

type ModuleFn = (exports: object, require: (spec: string) => unknown, module: { exports: object }, filename: string, dirname: string, metaUrl: () => string) => void;

interface Packed {
  /** Runs the command line `argv` (cli/launch.ts): its exit status and the kind of its work. */
  launch(argv: string[], version: () => string): Promise<import("./launch.js").Launched>;
  /** Writes the code caches that were missing or rejected, or that no command of `kind`
   *  (Launched.kind) has added its functions to yet (call once the command is done). */
  saveCaches(kind: string): void;
}

/** Node options that leave V8's flags alone. */
const NON_V8_ARGS = /^--(cpu-prof|heap-prof|inspect|diagnostic-dir|title|no-warnings|trace-warnings|enable-source-maps)/;

const DIST = path.dirname(__dirname);
const PACK = path.join(DIST, "exojit-pack.cjs");
const DIST_SLASH = `${DIST}/`;
const SELF = __filename;

/** exojit's cache directory: cachedir.ts's rule, which the ES modules use (this file must stay
 *  CommonJS, and Node 20 cannot require an ES module). */
function cacheDir(): string {
  if (process.env.EXOJIT_CACHE) return process.env.EXOJIT_CACHE;
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "exojit");
}

/** A script compiled with a code cache, and where its cache goes. */
interface Cached {
  script: vm.Script;
  file: string;
  /** Whether the cache must be written (it was missing, or V8 rejected it). */
  save: boolean;
  /** The kinds of command (launch.ts Launched.kind) whose runs wrote the cache: it holds the
   *  functions they compiled (V8 caches only functions compiled by then), and a command of
   *  another kind writes it again, with its own added to those read from it (`exojit --help`
   *  first, and every later `run` compiled its code lazily from source: 30-50 ms of its
   *  start-up). */
  kinds: string[];
  /** Names of the caches of its kind, whatever their build, Node version and flags (the
   *  tag, $1), and its own tag: those with its tag are older builds' it replaces. */
  tagged: RegExp;
  tag: string;
}

function compileCached(file: string, source: string, kind: string, st: fs.Stats, tag: string): Cached {
  const cacheFile = path.join(cacheDir(), "code", `${kind}-${stamp(st)}-${tag}.v8`);
  let cachedData: Buffer | undefined;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(source, { filename: file, cachedData });
  const ok = cachedData !== undefined && !script.cachedDataRejected;
  let kinds: string[] = [];
  if (ok) {
    try {
      kinds = fs.readFileSync(`${cacheFile}${KINDS}`, "latin1").split("\n").filter((k) => k !== "");
    } catch {
      kinds = [];
    }
    // (its time is when it was last used: pruneOtherBuilds keeps the caches used last; a cache
    // directory one may not write to is used all the same)
    try {
      const now = new Date();
      fs.utimesSync(cacheFile, now, now);
    } catch {
      // (kept as it is)
    }
  }
  const tagged = new RegExp(`^${escaped(kind)}-[0-9a-z]+-[0-9a-z]+-(.+)\\.v8$`);
  return { script, file: cacheFile, save: !ok, kinds, tagged, tag };
}

/** `s` as a regular expression that matches it alone. */
function escaped(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The suffix of the file beside a cache that lists its kinds. */
const KINDS = ".kinds";

function saveCache(c: Cached, kind: string): void {
  if (!c.save && c.kinds.includes(kind)) return;
  const tmp = `${c.file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(c.file), { recursive: true });
    fs.writeFileSync(tmp, c.script.createCachedData());
    fs.renameSync(tmp, c.file);
    c.kinds = c.save ? [kind] : [...c.kinds, kind];
    fs.writeFileSync(tmp, `${c.kinds.join("\n")}\n`);
    fs.renameSync(tmp, `${c.file}${KINDS}`);
    pruneOtherBuilds(c);
  } catch {
    fs.rmSync(tmp, { force: true });
  }
  c.save = false;
}

/** Builds whose code caches are kept, this one included: two installed versions used by turns
 *  (a global one and a project's) each deleted the other's cache when it wrote its own, so each
 *  start compiled the pack from source (30-50 ms) and wrote a cache again. */
const KEEP_BUILDS = 3; // (jitcache.ts KEEP_BUILDS keeps as many folders of saved regions)

/** Node versions and V8 flag states whose caches of a kind are kept, this run's included: the
 *  ones used last. Each state a command ran under (a Node upgraded, `node --max-old-space-size`,
 *  a test's flags) wrote caches of its own, which nothing deleted: 85 MB of the pack's in one
 *  developer's cache directory. */
const KEEP_TAGS = 4;

/** Deletes the caches of other builds of `c`'s kind and flags, but for the KEEP_BUILDS - 1
 *  written or used last, and those of its kind under other flag states or Node versions but
 *  for the KEEP_TAGS - 1 states used last. */
function pruneOtherBuilds(c: Cached): void {
  const dir = path.dirname(c.file), mine = path.basename(c.file);
  // (each cache of the kind, but this one, and its tag)
  const tagOf = new Map<string, string>();
  for (const f of fs.readdirSync(dir)) {
    const m = c.tagged.exec(f);
    if (m !== null && f !== mine) tagOf.set(f, m[1]);
  }
  const files = [...tagOf.keys()];
  const when = new Map(files.map((f) => [f, fs.statSync(path.join(dir, f), { throwIfNoEntry: false })?.mtimeMs ?? 0]));
  files.sort((a, b) => (when.get(b) as number) - (when.get(a) as number));
  const remove = (f: string): void => {
    fs.rmSync(path.join(dir, f), { force: true });
    fs.rmSync(path.join(dir, `${f}${KINDS}`), { force: true });
  };
  for (const f of files.filter((f) => tagOf.get(f) === c.tag).slice(KEEP_BUILDS - 1)) remove(f);
  // (other states, ordered by the cache of theirs used last)
  const tags = [...new Set(files.map((f) => tagOf.get(f) as string).filter((t) => t !== c.tag))];
  const dropped = new Set(tags.slice(KEEP_TAGS - 1));
  for (const f of files) if (dropped.has(tagOf.get(f) as string)) remove(f);
}

/** The pack's text. tools/pack.mjs writes it in ASCII (any other character as a \u escape), so
 *  its bytes are its characters: read as Latin-1, 3x faster than decoding UTF-8 (~6 ms of
 *  start-up), and unchecked (node:buffer's isAscii over its 2.4 MB took 3.4 ms of each). */
function readSource(file: string): string {
  return fs.readFileSync(file, "latin1");
}

/** What identifies a file's contents cheaply, for a cache key. */
function stamp(st: fs.Stats): string {
  return `${st.size.toString(36)}-${Math.floor(st.mtimeMs).toString(36)}`;
}

/** The packed build's command line, or null to use the ES modules. */
function loadPacked(): Packed | null {
  if (process.env.EXOJIT_NO_PACK) return null;
  let st: fs.Stats;
  try {
    st = fs.statSync(PACK);
    if (st.mtimeMs < fs.statSync(SELF).mtimeMs) return null;
  } catch {
    return null;
  }
  // Node's command-line flags that reach V8 (--max-old-space-size, V8's own) change its flag
  // hash too; profiling and diagnostic options do not, and their values differ run to run.
  // (node:crypto is required only then: it loads 36 of Node's modules.)
  const flagArgs = process.execArgv.filter((a) => !NON_V8_ARGS.test(a) && !/^\d+$/.test(a));
  const argv = flagArgs.length === 0 ? "" : `-${(require("node:crypto") as typeof import("node:crypto")).createHash("sha256").update(flagArgs.join("\0")).digest("hex").slice(0, 8)}`;
  const tag = `${process.version}${argv}`;
  // What identifies this build of the engine, for the folder of saved regions (jitcache.ts).
  (globalThis as Record<symbol, unknown>)[Symbol.for("exojit.packStamp")] = stamp(st);
  const caches: Cached[] = [];
  const pack = compileCached(PACK, readSource(PACK), "pack", st, tag);
  caches.push(pack);
  const defs = new Map<string, { deps: Record<string, string>; fn: ModuleFn }>();
  (pack.script.runInThisContext() as (define: (name: string, deps: Record<string, string>, fn: ModuleFn) => void) => void)((name, deps, fn) => defs.set(name, { deps, fn }));

  const loaded = new Map<string, { exports: object }>();
  const external = new Map<string, unknown>();
  const load = (name: string): object => {
    const done = loaded.get(name);
    if (done !== undefined) return done.exports;
    const def = defs.get(name);
    if (def === undefined) throw new Error(`packed build has no module ${name}`);
    const deps = def.deps;
    const module = { exports: {} };
    loaded.set(name, module);
    const file = DIST_SLASH + name;
    let fileRequire: NodeJS.Require | null = null;
    const require = (spec: string): unknown => {
      if (spec.startsWith(".")) return load(deps[spec] ?? path.posix.join(path.posix.dirname(name), spec));
      let m = external.get(spec);
      if (m === undefined) {
        fileRequire ??= nodeModule.createRequire(file);
        m = spec === "node:module" ? moduleWithCache(tag, caches) : fileRequire(spec);
        external.set(spec, m);
      }
      return m;
    };
    def.fn(module.exports, require, module, file, file.slice(0, file.lastIndexOf("/")), () => url.pathToFileURL(file).href);
    return module.exports;
  };
  // `as`: the entry module is cli/launch.ts, compiled; its exports are typed there.
  const cli = load("cli/launch.js") as typeof import("./launch.js");
  const saveCaches = (kind: string): void => {
    for (const c of caches) saveCache(c, kind);
  };
  return { launch: (argv, version) => cli.launch(argv, version), saveCaches };
}

/** Packages loaded from a code cache (single-file CommonJS required on every run): iced-x86's
 *  900 KB of glue. */
const CACHED_PACKAGES = new Set(["iced-x86"]);

/** node:module, except that a require made by createRequire loads CACHED_PACKAGES through
 *  loadCached (src/decoder/iced.ts loads iced-x86 with createRequire). */
function moduleWithCache(tag: string, caches: Cached[]): object {
  const done = new Map<string, unknown>();
  const wrapped = (from: string | URL): NodeJS.Require => {
    const req = nodeModule.createRequire(from);
    // `as`: a require function with the same properties as Node's (resolve, cache, ...).
    return Object.assign((spec: string): unknown => {
      if (!CACHED_PACKAGES.has(spec)) return req(spec);
      let m = done.get(spec);
      if (m === undefined) done.set(spec, (m = loadCached(spec, req.resolve(spec), tag, caches)));
      return m;
    }, req) as NodeJS.Require;
  };
  return { ...nodeModule, createRequire: wrapped };
}

/** A single-file CommonJS package, compiled with a code cache. */
function loadCached(name: string, file: string, tag: string, caches: Cached[]): unknown {
  const st = fs.statSync(file);
  const source = `(function (exports, require, module, __filename, __dirname) {${fs.readFileSync(file, "utf8")}\n})`;
  const c = compileCached(file, source, name, st, tag);
  caches.push(c);
  const module = { exports: {} };
  (c.script.runInThisContext() as ModuleFn)(module.exports, nodeModule.createRequire(file), module, file, path.dirname(file), () => "");
  return module.exports;
}

export = { loadPacked };
