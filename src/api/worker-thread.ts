// The code of a pool's worker thread (src/api/worker.ts): takes one task at a time from the
// pool, runs it, and posts back its result or its error (as plain data: the pool makes it an
// ExojitError again). Tasks are running a program (runProgram) or calling an export of an
// embedder's module with an input.

import { parentPort } from "node:worker_threads";
import { runProgram, type ProgramOptions } from "./program.js";
import { ExojitError } from "./errors.js";
import { Machine, type MachineOptions } from "./machine.js";
import { REMOTE_METHODS } from "./remote.js";
import type { Snapshot } from "./snapshot.js";
import type { TaskMessage, ReplyMessage, ErrorData } from "./pool-protocol.js";

const port = parentPort;
if (port === null) throw new Error("exojit's worker-thread.js runs only as a worker thread of a pool");

function errorData(e: unknown): ErrorData {
  if (e instanceof ExojitError) return { name: e.name, message: e.message, code: e.code, stack: e.stack };
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { name: "Error", message: String(e) };
}

/** The machines of Pool.createMachine living in this worker, by id, with their snapshots. */
const machines = new Map<number, Machine>();
const snapshots = new Map<number, Map<number, Snapshot>>();
let snapshotIds = 0;

/** The snapshot methods of a remote machine (remote.ts): snapshots stay here, named by number. */
function snapshotCall(mid: number, m: Machine, method: string, args: unknown[]): unknown {
  let own = snapshots.get(mid);
  if (own === undefined) snapshots.set(mid, (own = new Map()));
  if (method === "snapshot") {
    own.set(++snapshotIds, m.snapshot());
    return snapshotIds;
  }
  const s = own.get(args[0] as number);
  if (method === "restore") {
    if (s === undefined) throw new ExojitError("E_SNAPSHOT", `no snapshot ${String(args[0])} of this machine`);
    m.restore(s);
    return null;
  }
  s?.release();
  own.delete(args[0] as number);
  return null;
}

async function perform(t: TaskMessage): Promise<unknown> {
  if (t.kind === "program") return runProgram(t.path, t.opts as ProgramOptions);
  if (t.kind === "machine") {
    machines.set(t.id, new Machine(t.opts as MachineOptions));
    return null;
  }
  if (t.kind === "mclose") {
    for (const s of snapshots.get(t.mid)?.values() ?? []) s.release();
    snapshots.delete(t.mid);
    return machines.delete(t.mid);
  }
  if (t.kind === "mcall") {
    const m = machines.get(t.mid);
    if (m === undefined) throw new ExojitError("E_CLOSED", "the machine was disposed");
    if (t.method === "snapshot" || t.method === "restore" || t.method === "releaseSnapshot") return snapshotCall(t.mid, m, t.method, t.args);
    if (!(REMOTE_METHODS as readonly string[]).includes(t.method)) throw new ExojitError("E_BADARG", `no machine method ${t.method}`);
    // `as`: a method of the list above, called with the arguments the embedder gave it.
    return (m[t.method] as (...a: unknown[]) => unknown).apply(m, t.args);
  }
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
