// The code of a pool's worker thread (src/api/worker.ts): takes one task at a time from the
// pool, runs it, and posts back its result or its error (as plain data: the pool makes it an
// ExojitError again). Tasks are running a program (runProgram) or calling an export of an
// embedder's module with an input.

import { parentPort } from "node:worker_threads";
import { runProgram, type ProgramOptions } from "./program.js";
import { ExojitError } from "./errors.js";
import type { TaskMessage, ReplyMessage, ErrorData } from "./worker.js";

const port = parentPort;
if (port === null) throw new Error("exojit's worker-thread.js runs only as a worker thread of a pool");

function errorData(e: unknown): ErrorData {
  if (e instanceof ExojitError) return { name: e.name, message: e.message, code: e.code, stack: e.stack };
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { name: "Error", message: String(e) };
}

async function perform(t: TaskMessage): Promise<unknown> {
  if (t.kind === "program") return runProgram(t.path, t.opts as ProgramOptions);
  const mod = (await import(t.url)) as Record<string, unknown>;
  const fn = mod[t.name];
  if (typeof fn !== "function") throw new ExojitError("E_BADARG", `${t.url} has no function export ${t.name}`);
  return (fn as (input: unknown) => unknown)(t.input);
}

port.on("message", (t: TaskMessage) => {
  perform(t).then(
    (value) => {
      try {
        port.postMessage({ id: t.id, ok: true, value } satisfies ReplyMessage);
      } catch (e) {
        // A result that cannot be cloned (a function, a class instance with private state...).
        port.postMessage({ id: t.id, ok: false, error: errorData(e) } satisfies ReplyMessage);
      }
    },
    (e: unknown) => port.postMessage({ id: t.id, ok: false, error: errorData(e) } satisfies ReplyMessage),
  );
});
