// What a pool (worker.ts) and its worker threads (worker-thread.ts) post to each other.

import type { ExojitErrorCode } from "./errors.js";
import type { MachineOptions } from "./machine.js";
import type { ProgramOptions } from "./program.js";
import type { RemoteMethod } from "./remote.js";

/** A task as posted to a worker thread: queued ones (a program, a call, a new machine), and a
 *  machine's method calls and its end, which go straight to the machine's worker. */
export type TaskMessage =
  | { id: number; kind: "program"; path: string; opts: Omit<ProgramOptions, "logger"> }
  | { id: number; kind: "call"; url: string; name: string; input: unknown }
  | { id: number; kind: "machine"; opts: Omit<MachineOptions, "logger"> }
  | { id: number; kind: "mcall"; mid: number; method: RemoteMethod; args: unknown[] }
  | { id: number; kind: "mclose"; mid: number };

/** An error as a worker thread posts it. */
export interface ErrorData {
  name: string;
  message: string;
  code?: ExojitErrorCode;
  stack?: string;
}

export type ReplyMessage = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: ErrorData };
