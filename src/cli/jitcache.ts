// The command line's saved translations (jit/saved.ts): compiled regions kept in the cache
// directory, under a folder named for this build of the engine. What a run compiled is written
// when it ends, as one file of JSON lines, and an index line per region (its key, file and
// place) is appended to the index shard of its entry's megabyte of address space, which a
// machine reads when it first asks about an address there; a region is read when a block where
// it starts is met. A region that cannot be read or parsed is compiled afresh; a failure to
// write is ignored (the cache only saves time). Several exojit processes may share the folder:
// each writes a file of its own, renamed into place whole, and appends each shard's lines in one
// write.
//
// Beside each file of regions is one of V8's code caches of their sources (compile.ts
// codeCacheOf), a region's found by the offset, length and checksum its index line gives: a
// run that reads a cache gets the region's function without V8 parsing and compiling its source
// (python3 -c pass restores about 2 MB of it).

import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { cacheDir } from "./cachedir.js";
import { ContentHash } from "../decoder/hash.js";
import { isSavedRegion, type RegionStore, type SavedRegion } from "../jit/saved.js";
import { codeCacheOf } from "../jit/compile.js";

/** Regions kept at most: past this many the folder is emptied and filled again (a region is
 *  about 10 KB). */
export const MAX_SAVED_REGIONS = 8192;
/** The format of the files (part of the folder's name). */
const FORMAT = 3;
/** What the code of a region depends on besides its bytes: the translator and the instruction
 *  set and flags it calls into, and the decoder. */
const ENGINE_DIRS = ["../jit", "../hw", "../decoder"];

/** The packed build's stamp (its size and time), which cli/packload.cts leaves when it loads
 *  the pack; null when the ES modules run. */
export function packStamp(): string | null {
  const pack = (globalThis as Record<symbol, unknown>)[Symbol.for("exojit.packStamp")];
  return typeof pack === "string" ? pack : null;
}

/** The folder of this build's saved regions, named by the engine's files' sizes and times (null
 *  if they cannot be found): the packed build's file (cli/packload.cts), or, run from the ES
 *  modules, every file of the engine's folders (8 ms of start-up to stat them all). */
export function jitCacheDir(): string | null {
  try {
    let h = 0x811c9dc5;
    const mix = (s: string): void => {
      for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    };
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const f = path.join(dir, e.name);
        if (e.isDirectory()) walk(f);
        else if (/\.(js|ts|json)$/.test(e.name)) {
          const st = fs.statSync(f);
          mix(`${e.name}:${st.size}:${Math.floor(st.mtimeMs)};`);
        }
      }
    };
    const pack = packStamp();
    if (pack !== null) mix(`pack:${pack}`);
    else for (const d of ENGINE_DIRS) walk(fileURLToPath(new URL(d, import.meta.url)));
    return path.join(cacheDir(), "jit", `${FORMAT}-${(h >>> 0).toString(36)}`);
  } catch {
    return null;
  }
}

export class DiskRegionStore implements RegionStore {
  /** Each shard of the index (by the megabyte of address space of a key's address:
   *  indexShard) as read, and where its lines start, by the address in their key. A shard is
   *  read when an address in it is first asked about: a run reads the shards where it runs code,
   *  not the lines of every program the folder saved regions for (all of them, read at each
   *  start-up, took 8 ms of a static hello-world's with 8,192 regions saved, 45 ms with 36,000).
   *  A key is found by comparing with the lines of its address, and a place is parsed when its
   *  region is read. */
  private readonly texts: (string | null)[] = new Array<string | null>(INDEX_SHARDS).fill(null);
  private readonly linesAt = new Map<number, number[]>();
  /** Regions given this run (kept: a later machine of the process may use them), and those
   *  flush() has not written yet. */
  private readonly given = new Map<string, SavedRegion>();
  private readonly pending = new Set<string>();
  private readonly givenAt = new Set<number>();
  /** Regions given that the last flush() left out, the folder's cap being reached by this run's
   *  alone (MAX_SAVED_REGIONS). */
  dropped = 0;

  constructor(
    readonly dir: string,
    /** Regions the folder keeps at most (MAX_SAVED_REGIONS). */
    readonly maxRegions = MAX_SAVED_REGIONS,
  ) {}

  /** The text of the index shard of address `eip`, read (and its lines noted) at the first ask. */
  private shard(eip: number): string {
    const s = indexShard(eip);
    const known = this.texts[s];
    if (known !== null) return known;
    let text = "";
    try {
      text = fs.readFileSync(path.join(this.dir, shardName(s)), "latin1");
    } catch {
      text = ""; // none yet
    }
    this.texts[s] = text;
    for (let at = 0; at < text.length; ) {
      let end = text.indexOf("\n", at);
      if (end < 0) end = text.length;
      const a = parseInt(text.slice(at, at + 8), 16);
      if (a === a) {
        const list = this.linesAt.get(a);
        if (list === undefined) this.linesAt.set(a, [at]);
        else list.push(at);
      }
      at = end + 1;
    }
    return text;
  }

  /** The last index line of `key` (null if none). */
  private lineOf(key: string): string | null {
    const eip = parseInt(key, 16) >>> 0;
    const text = this.shard(eip);
    const list = this.linesAt.get(eip);
    if (list === undefined) return null;
    for (let k = list.length - 1; k >= 0; k--) {
      const start = list[k];
      if (!text.startsWith(`${key} `, start)) continue;
      const end = text.indexOf("\n", start);
      return text.slice(start, end < 0 ? text.length : end);
    }
    return null;
  }

  /** Where the region saved under `key` is, from its index line (null if the line is bad):
   *  its file, its record's offset and length there, and its code cache's offset, length (0 if
   *  none) and checksum in the file's code caches. */
  private place(key: string): { file: string; at: number; length: number; cacheAt: number; cacheLength: number; sum: string } | null {
    const line = this.lineOf(key);
    if (line === null) return null;
    const m = /^([0-9a-f]+-[0-9a-f]+-[0-9a-z]+(?:-t[0-9a-z]+)?) ([0-9a-z]+-[0-9a-z]+-[0-9a-z]+)\.json (\d+) (\d+) (\d+) (\d+) ([0-9a-f]+|-)$/.exec(line);
    return m === null || m[1] !== key ? null : { file: m[2], at: Number(m[3]), length: Number(m[4]), cacheAt: Number(m[5]), cacheLength: Number(m[6]), sum: m[7] };
  }

  /** `length` bytes at `at` of the folder's file `file` (null if they cannot all be read). */
  private read(file: string, at: number, length: number): Buffer | null {
    let fd = -1;
    try {
      fd = fs.openSync(path.join(this.dir, file), "r");
      const buf = Buffer.alloc(length);
      return fs.readSync(fd, buf, 0, length, at) === length ? buf : null;
    } catch {
      return null;
    } finally {
      if (fd >= 0) fs.closeSync(fd);
    }
  }

  mayHave(eip: number): boolean {
    this.shard(eip);
    return this.linesAt.has(eip >>> 0) || this.givenAt.has(eip >>> 0);
  }

  has(key: string): boolean {
    return this.given.has(key) || this.lineOf(key) !== null;
  }

  get(key: string): SavedRegion | null {
    const p = this.given.get(key);
    if (p !== undefined) return p;
    const at = this.place(key);
    const buf = at === null ? null : this.read(`${at.file}.json`, at.at, at.length);
    if (buf === null) return null;
    try {
      const v: unknown = JSON.parse(buf.toString("utf8"));
      return isSavedRegion(v) ? v : null;
    } catch {
      return null;
    }
  }

  codeCache(key: string): Uint8Array | null {
    // (one given this run has its function made already, in this process)
    if (this.given.has(key)) return null;
    const at = this.place(key);
    if (at === null || at.cacheLength === 0) return null;
    const buf = this.read(`${at.file}.v8`, at.cacheAt, at.cacheLength);
    // (V8 checks a cache's version and flags, not its bytes: a damaged one must not reach it)
    return buf !== null && checksum(buf) === at.sum ? buf : null;
  }

  put(key: string, r: SavedRegion): void {
    this.given.set(key, r);
    this.pending.add(key);
    this.givenAt.add(r.blocks[0] >>> 0);
  }

  /** Writes the regions given this run, in one file of their own with their places appended
   *  to the index's shards; returns how many. The folder holds `maxRegions` at most: when
   *  this run's would take it past that, it is emptied first, and of a run that gave more than
   *  that on its own (`--engine jit` compiles every block it meets: python3 -c pass gave 37,000
   *  regions, 240 MB), the first given are written. Old builds' folders go. */
  flush(): number {
    this.dropped = 0;
    if (this.pending.size === 0) return 0;
    const keys = [...this.pending].slice(0, this.maxRegions);
    this.dropped = this.pending.size - keys.length;
    const name = `${process.pid.toString(36)}-${Date.now().toString(36)}-${keys.length.toString(36)}`;
    const f = path.join(this.dir, `${name}.json`), tmp = `${f}.tmp`;
    const v8f = path.join(this.dir, `${name}.v8`), v8tmp = `${v8f}.tmp`;
    try {
      if (savedIn(this.dir) + keys.length > this.maxRegions) {
        fs.rmSync(this.dir, { recursive: true, force: true });
        this.linesAt.clear();
        this.texts.fill(null);
      }
      fs.mkdirSync(this.dir, { recursive: true });
      const parts: Buffer[] = [], caches: Buffer[] = [];
      const shards = new Map<number, string[]>();
      let at = 0, cacheAt = 0;
      for (const key of keys) {
        const r = this.given.get(key) as SavedRegion;
        const b = Buffer.from(`${JSON.stringify(r)}\n`, "utf8");
        parts.push(b);
        const cache = codeCacheOf(r.source);
        const place = cache === null ? "0 0 -" : `${cacheAt} ${cache.length} ${checksum(cache)}`;
        if (cache !== null) {
          caches.push(cache);
          cacheAt += cache.length;
        }
        const s = indexShard(parseInt(key, 16));
        const lines = shards.get(s) ?? [];
        lines.push(`${key} ${name}.json ${at} ${b.length - 1} ${place}\n`);
        shards.set(s, lines);
        at += b.length;
      }
      fs.writeFileSync(tmp, Buffer.concat(parts));
      fs.writeFileSync(v8tmp, Buffer.concat(caches));
      fs.renameSync(tmp, f);
      fs.renameSync(v8tmp, v8f);
      // (after the files are in place: a reader finds no key whose file is missing; each shard's
      // lines in one write, which processes sharing the folder do not interleave)
      for (const [s, lines] of shards) fs.appendFileSync(path.join(this.dir, shardName(s)), lines.join(""));
      this.pending.clear();
      pruneOtherBuilds(this.dir);
      return keys.length;
    } catch {
      fs.rmSync(tmp, { force: true });
      fs.rmSync(v8tmp, { force: true });
      return 0; // (the cache only saves time)
    }
  }
}

/** The index is kept in this many files (indexShard). */
const INDEX_SHARDS = 256;

/** The index shard of the region entered at `eip`: by the megabyte of address space it is in,
 *  so that a run reads the shards of the few stretches its programs' code is mapped in (a
 *  static hello-world one, python3 and its libraries a dozen). By the code page instead, a
 *  hello-world read 40 shards, which took as long as reading the whole index had. */
function indexShard(eip: number): number {
  return (eip >>> 20) & (INDEX_SHARDS - 1);
}

function shardName(s: number): string {
  return `index-${s.toString(16).padStart(2, "0")}`;
}

/** Regions saved in folder `dir`: the counts its files of regions are named with. */
function savedIn(dir: string): number {
  let n = 0;
  try {
    for (const f of fs.readdirSync(dir)) {
      const m = /^[0-9a-z]+-[0-9a-z]+-([0-9a-z]+)\.json$/.exec(f);
      if (m !== null) n += parseInt(m[1], 36);
    }
  } catch {
    return 0; // (none yet)
  }
  return n;
}

/** Builds whose folders of saved regions are kept, this one included (cli/packload.cts keeps
 *  as many of the pack's code caches): two installed versions used by turns would otherwise
 *  delete each other's regions whenever one saved some. */
export const KEEP_BUILDS = 3;

/** Deletes the folders of other builds' regions beside `dir`, but for the KEEP_BUILDS - 1 written
 *  to last. */
function pruneOtherBuilds(dir: string): void {
  const parent = path.dirname(dir), mine = path.basename(dir);
  const others = fs.readdirSync(parent).filter((g) => g !== mine && /^\d+-[0-9a-z]+$/.test(g));
  const when = new Map(others.map((g) => [g, fs.statSync(path.join(parent, g), { throwIfNoEntry: false })?.mtimeMs ?? 0]));
  others.sort((a, b) => (when.get(b) as number) - (when.get(a) as number));
  for (const g of others.slice(KEEP_BUILDS - 1)) fs.rmSync(path.join(parent, g), { recursive: true, force: true });
}

/** A code cache's checksum, as its index line keeps it. */
function checksum(bytes: Uint8Array): string {
  return new ContentHash().update(bytes).digest().slice(0, 16);
}
