// The embedder's logger option (createMachine, runProgram, spawnProgram): checked and turned
// into a log scope (src/log.ts).

import type { Logger } from "pino";
import { logScope, type LogScope, type TraceCategory } from "../log.js";
import { ExojitError } from "./errors.js";

/** The scope for a `logger` and `trace` option pair, or null when there is no logger. */
export function scopeOf(logger: Logger | undefined, trace: readonly TraceCategory[] | "all" | undefined): LogScope | null {
  if (logger === undefined) {
    if (trace !== undefined && (trace === "all" || trace.length > 0)) throw new ExojitError("E_BADARG", "trace categories need a logger");
    return null;
  }
  if (typeof logger !== "object" || logger === null || typeof logger.child !== "function") throw new ExojitError("E_BADARG", "logger: not a pino logger");
  if (trace !== undefined && trace !== "all" && !Array.isArray(trace)) throw new ExojitError("E_BADARG", `trace ${String(trace)}: an array of categories or "all"`);
  try {
    return logScope(logger, trace ?? []);
  } catch (e) {
    throw new ExojitError("E_BADARG", (e as Error).message);
  }
}
