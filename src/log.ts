// The one logger. Every subsystem gets a child logger named for its trace category; a category
// that is off costs one boolean test (`trace.jit`) on hot paths, never a call into pino. An
// embedder's own logger takes over for the work of its machine or program (log scopes, below).
//
// Output goes to stderr as one human-readable line per record ("[syscall] write(1, ...) = 6"), or
// to a file as pino's JSON lines (`--log-file`), so traces are both readable and machine-parsable.
//
// pino itself is loaded on the first record (through `require`: it is CommonJS, and a static ESM
// import would make Node load and format-scan its dozen files on every start-up), so a run that
// logs nothing never loads it.

import type { Logger, DestinationStream } from "pino";
import * as fs from "node:fs";
import { createRequire } from "node:module";

type Pino = typeof import("pino");
let pinoModule: Pino | null = null;
function loadPino(): Pino {
  // `as`: require() is untyped; the type is pino's own declaration for this very module.
  if (pinoModule === null) pinoModule = createRequire(import.meta.url)("pino") as Pino;
  return pinoModule;
}

/** What subsystems log through: pino's levels, without creating pino until a record is made. */
export type Log = Pick<Logger, "trace" | "debug" | "info" | "warn" | "error" | "fatal">;

/** Trace categories users can switch on with `--trace a,b,c`. */
export const TRACE_CATEGORIES = ["syscall", "fault", "jit", "mmu", "dev", "exec", "signal", "sched"] as const;
export type TraceCategory = (typeof TRACE_CATEGORIES)[number];

/** Hot-path switches: read as plain boolean fields. */
export const trace: Record<TraceCategory, boolean> = {
  syscall: false,
  fault: false,
  jit: false,
  mmu: false,
  dev: false,
  exec: false,
  signal: false,
  sched: false,
};

/** Formats pino's JSON records as short text lines for a terminal. */
class TextDestination implements DestinationStream {
  constructor(private readonly fd: number) {}
  write(line: string): void {
    let text = line;
    try {
      const rec = JSON.parse(line) as { cat?: string; msg?: string; level?: number };
      const lvl = rec.level !== undefined && rec.level >= 50 ? "error: " : rec.level === 40 ? "warning: " : "";
      text = `[${rec.cat ?? "exojit"}] ${lvl}${rec.msg ?? ""}\n`;
    } catch {
      // not JSON: pass through unchanged
    }
    fs.writeSync(this.fd, text);
  }
}

let options: LogOptions = { categories: [] };
let root: Logger | null = null;
const children = new Map<string, Logger>();

export interface LogOptions {
  categories: readonly TraceCategory[];
  /** Write JSON lines to this file instead of text to stderr. */
  file?: string;
}

/** Configures the logger; call once at start-up, before any child logger is used. */
export function configureLog(opts: LogOptions): void {
  options = opts;
  setSwitches();
  root = null;
  children.clear();
  // A log file is created now, as before, even if nothing is written to it.
  if (opts.file || opts.categories.length > 0) rootLogger();
}

function rootLogger(): Logger {
  if (root !== null) return root;
  const { pino } = loadPino();
  const opts = options;
  const level = (Object.keys(LEVELS) as (keyof typeof LEVELS)[]).find((k) => LEVELS[k] === minLevel()) ?? "error";
  const dest: DestinationStream = opts.file
    ? pino.destination({ dest: opts.file, sync: true })
    : new TextDestination(2);
  root = pino({ level, base: undefined, timestamp: opts.file ? pino.stdTimeFunctions.isoTime : false }, dest);
  return root;
}

function childLogger(cat: string): Logger {
  let l = children.get(cat);
  if (!l) {
    l = rootLogger().child({ cat });
    children.set(cat, l);
  }
  return l;
}

/** pino's numeric levels, and the lowest one the configuration lets through. */
const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
function minLevel(): number {
  return options.categories.length > 0 ? LEVELS.trace : options.file ? LEVELS.warn : LEVELS.error;
}

/** Forwards each record to the category's pino child, made when the first record that the
 *  configured level lets through is (a warning nobody will see loads no pino). */
export class LazyLog implements Log {
  constructor(private readonly cat: string) {}
  /** The subsystem it logs for (a saved system's loggers are made again from it). */
  get category(): string {
    return this.cat;
  }
  private send(level: keyof typeof LEVELS, args: unknown[]): void {
    const s = active;
    if (s !== null && (LEVELS[level] >= LEVELS.warn || s.categories.includes(this.cat as TraceCategory))) {
      // `as`: as below, the arguments go through unchanged.
      (scopeChild(s, this.cat)[level] as (...x: unknown[]) => void)(...args);
      return;
    }
    if (LEVELS[level] < minLevel()) return;
    // `as`: the arguments go through unchanged to the same method of pino's logger.
    (childLogger(this.cat)[level] as (...x: unknown[]) => void)(...args);
  }
  readonly trace = ((...a: unknown[]) => this.send("trace", a)) as Logger["trace"];
  readonly debug = ((...a: unknown[]) => this.send("debug", a)) as Logger["debug"];
  readonly info = ((...a: unknown[]) => this.send("info", a)) as Logger["info"];
  readonly warn = ((...a: unknown[]) => this.send("warn", a)) as Logger["warn"];
  readonly error = ((...a: unknown[]) => this.send("error", a)) as Logger["error"];
  readonly fatal = ((...a: unknown[]) => this.send("fatal", a)) as Logger["fatal"];
}

/** Logger for one subsystem; records carry `cat` so traces can be filtered. */
export function logger(cat: string): Log {
  return new LazyLog(cat);
}

/** Parses a `--trace` value; throws a one-line message naming the bad category. */
export function parseTraceList(s: string): TraceCategory[] {
  const out: TraceCategory[] = [];
  for (const part of s.split(",").map((x) => x.trim()).filter(Boolean)) {
    if (part === "all") return [...TRACE_CATEGORIES];
    if (!(TRACE_CATEGORIES as readonly string[]).includes(part)) {
      throw new Error(`unknown trace category '${part}' (known: ${TRACE_CATEGORIES.join(", ")}, all)`);
    }
    out.push(part as TraceCategory);
  }
  return out;
}

// ---- log scopes: an embedder's own logger for the work of one machine or program ----
//
// The switches in `trace` and the loggers subsystems hold are process-wide, so a scope is
// entered around the synchronous stretches of work done for its owner (a bare machine's run(),
// each iteration of a program's run loop) and left before anything else can run: while it is
// active, the switches are the union of the CLI's categories and the scope's, warnings and
// errors go to the scope's logger, and so do trace records of the scope's categories.

/** An embedder's pino logger and the trace categories it asked for. */
export interface LogScope {
  readonly logger: Logger;
  readonly categories: readonly TraceCategory[];
  readonly children: Map<string, Logger>;
}

let active: LogScope | null = null;

function setSwitches(): void {
  for (const c of TRACE_CATEGORIES) trace[c] = options.categories.includes(c) || (active !== null && active.categories.includes(c));
}

/** A scope for `logger` with the given categories ("all" for every one). Throws a one-line
 *  Error naming an unknown category. */
export function logScope(logger: Logger, categories: readonly string[] | "all" = []): LogScope {
  const cats = categories === "all" ? [...TRACE_CATEGORIES] : parseTraceList(categories.join(","));
  return { logger, categories: cats, children: new Map() };
}

/** Makes `s` (or no scope) the active one; returns the one it replaces, for leaveLog. */
export function enterLog(s: LogScope | null): LogScope | null {
  const prev = active;
  if (prev !== s) {
    active = s;
    setSwitches();
  }
  return prev;
}

/** Restores the scope enterLog returned. */
export function leaveLog(prev: LogScope | null): void {
  enterLog(prev);
}

/** The scope's logger for one category: records carry `cat`, and a category the scope traces
 *  has its child at level trace whatever the embedder's logger's level is. */
function scopeChild(s: LogScope, cat: string): Logger {
  let l = s.children.get(cat);
  if (!l) {
    l = s.categories.includes(cat as TraceCategory) ? s.logger.child({ cat }, { level: "trace" }) : s.logger.child({ cat });
    s.children.set(cat, l);
  }
  return l;
}
