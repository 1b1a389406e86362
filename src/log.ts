// The one logger. Every subsystem gets a child logger named for its trace category; a category
// that is off costs one boolean test (`trace.jit`) on hot paths, never a call into pino.
//
// Output goes to stderr as one human-readable line per record ("[syscall] write(1, ...) = 6"), or
// to a file as pino's JSON lines (`--log-file`), so traces are both readable and machine-parsable.

import { pino, type Logger, type DestinationStream } from "pino";
import * as fs from "node:fs";

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

let root: Logger = pino({ level: "error", base: undefined, timestamp: false }, new TextDestination(2));
const children = new Map<string, Logger>();

export interface LogOptions {
  categories: readonly TraceCategory[];
  /** Write JSON lines to this file instead of text to stderr. */
  file?: string;
}

/** Configures the logger; call once at start-up, before any child logger is used. */
export function configureLog(opts: LogOptions): void {
  for (const c of TRACE_CATEGORIES) trace[c] = opts.categories.includes(c);
  const level = opts.categories.length > 0 ? "trace" : opts.file ? "warn" : "error";
  const dest: DestinationStream = opts.file
    ? pino.destination({ dest: opts.file, sync: true })
    : new TextDestination(2);
  root = pino({ level, base: undefined, timestamp: opts.file ? pino.stdTimeFunctions.isoTime : false }, dest);
  children.clear();
}

/** Child logger for one subsystem; records carry `cat` so traces can be filtered. */
export function logger(cat: string): Logger {
  let l = children.get(cat);
  if (!l) {
    l = root.child({ cat });
    children.set(cat, l);
  }
  return l;
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
