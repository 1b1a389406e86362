// The command line's saved translations (jit/saved.ts): compiled regions kept in the cache
// directory, under a folder named for this build of the engine. What a run compiled is written
// when it ends, as one file of JSON lines, and an index line per region (its key, file and
// place) is appended to the folder's index, which a machine reads when it is made; a region is
// read when a block where it starts is met. A region that cannot be read or parsed is compiled
// afresh; a failure to write is ignored (the cache only saves time). Several exojit processes
// may share the folder: each writes a file of its own, renamed into place whole, and appends its
// index lines in one write.
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
const FORMAT = 2;
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
  /** The index as read, and where its lines start, by the address in their key (a key is
   *  found by comparing with the lines of its address, and a place is parsed when its region
   *  is read: a run reads a few of thousands, and the index is read at every start). */
  private text = "";
  private readonly linesAt = new Map<number, number[]>();
  /** Regions given this run (kept: a later machine of the process may use them), and those
   *  flush() has not written yet. */
  private readonly given = new Map<string, SavedRegion>();
  private readonly pending = new Set<string>();
  private readonly givenAt = new Set<number>();
  /** Lines of the index read (a key saved again has a line for each time). */
  private lines = 0;

  constructor(readonly dir: string) {
    try {
      this.text = fs.readFileSync(path.join(dir, "index"), "latin1");
    } catch {
      return; // none yet
    }
    const text = this.text;
    for (let at = 0; at < text.length; ) {
      let end = text.indexOf("\n", at);
      if (end < 0) end = text.length;
      const eip = parseInt(text.slice(at, at + 8), 16);
      if (eip === eip) {
        const list = this.linesAt.get(eip);
        if (list === undefined) this.linesAt.set(eip, [at]);
        else list.push(at);
        this.lines++;
      }
      at = end + 1;
    }
  }

  /** Where the last index line of `key` starts (-1 if none). */
  private lineOf(key: string): number {
    const list = this.linesAt.get(parseInt(key, 16) >>> 0);
    if (list === undefined) return -1;
    for (let k = list.length - 1; k >= 0; k--) if (this.text.startsWith(`${key} `, list[k])) return list[k];
    return -1;
  }

  /** Where the region saved under `key` is, from its index line (null if the line is bad):
   *  its file, its record's offset and length there, and its code cache's offset, length (0 if
   *  none) and checksum in the file's code caches. */
  private place(key: string): { file: string; at: number; length: number; cacheAt: number; cacheLength: number; sum: string } | null {
    const start = this.lineOf(key);
    if (start < 0) return null;
    let end = this.text.indexOf("\n", start);
    if (end < 0) end = this.text.length;
    const m = /^([0-9a-f]+-[0-9a-f]+-[0-9a-z]+(?:-t[0-9a-z]+)?) ([0-9a-z]+-[0-9a-z]+)\.json (\d+) (\d+) (\d+) (\d+) ([0-9a-f]+|-)$/.exec(this.text.slice(start, end));
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
    return this.linesAt.has(eip >>> 0) || this.givenAt.has(eip >>> 0);
  }

  has(key: string): boolean {
    return this.given.has(key) || this.lineOf(key) >= 0;
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
   *  to the index; returns how many. Old builds' folders go. */
  flush(): number {
    if (this.pending.size === 0) return 0;
    const name = `${process.pid.toString(36)}-${Date.now().toString(36)}`;
    const f = path.join(this.dir, `${name}.json`), tmp = `${f}.tmp`;
    const v8f = path.join(this.dir, `${name}.v8`), v8tmp = `${v8f}.tmp`;
    try {
      if (this.lines + this.pending.size > MAX_SAVED_REGIONS) {
        fs.rmSync(this.dir, { recursive: true, force: true });
        this.linesAt.clear();
        this.text = "";
        this.lines = 0;
      }
      fs.mkdirSync(this.dir, { recursive: true });
      const parts: Buffer[] = [], caches: Buffer[] = [];
      const index: string[] = [];
      let at = 0, cacheAt = 0;
      for (const key of this.pending) {
        const r = this.given.get(key) as SavedRegion;
        const b = Buffer.from(`${JSON.stringify(r)}\n`, "utf8");
        parts.push(b);
        const cache = codeCacheOf(r.source);
        const place = cache === null ? "0 0 -" : `${cacheAt} ${cache.length} ${checksum(cache)}`;
        if (cache !== null) {
          caches.push(cache);
          cacheAt += cache.length;
        }
        index.push(`${key} ${name}.json ${at} ${b.length - 1} ${place}\n`);
        at += b.length;
      }
      fs.writeFileSync(tmp, Buffer.concat(parts));
      fs.writeFileSync(v8tmp, Buffer.concat(caches));
      fs.renameSync(tmp, f);
      fs.renameSync(v8tmp, v8f);
      // (after the files are in place: a reader finds no key whose file is missing)
      fs.appendFileSync(path.join(this.dir, "index"), index.join(""));
      this.lines += index.length;
      const n = this.pending.size;
      this.pending.clear();
      pruneOtherBuilds(this.dir);
      return n;
    } catch {
      fs.rmSync(tmp, { force: true });
      fs.rmSync(v8tmp, { force: true });
      return 0; // (the cache only saves time)
    }
  }
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
