// "exojit/worker": a pool of worker threads, each with its own exojit, for running many
// programs (or an embedder's own functions using the API) in parallel on the host's cores.
//
// Each worker runs one task at a time; tasks beyond the workers wait in a FIFO queue. Workers
// are started when there is work for them and replaced when one crashes. A worker thread holds
// no state between tasks that a task could see, except what modules keep (a module an embedder's
// task imports is imported once per worker). Idle workers do not keep Node running. A machine
// made with createMachine has a worker to itself until it is disposed.

import * as os from "node:os";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { ExojitError } from "./errors.js";
import type { ProgramOptions, ProgramResult } from "./program.js";
import type { MachineOptions } from "./machine.js";
import { remoteMachine, type RemoteMachine } from "./remote.js";
import type { TaskMessage, ReplyMessage, ErrorData } from "./pool-protocol.js";

export type { RemoteMachine, RemoteMethod } from "./remote.js";
export { REMOTE_METHODS } from "./remote.js";
export type { ProgramOptions, ProgramResult } from "./program.js";
export type { MachineOptions } from "./machine.js";

export interface PoolOptions {
  /** Worker threads (default: os.availableParallelism()). */
  size?: number;
}

interface Task {
  msg: TaskMessage;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

interface Slot {
  worker: Worker;
  task: Task | null;
  /** The uncaught exception that ended the worker, if one did. */
  crash: unknown;
  /** The machine living in this worker (which then takes no other task), or null. */
  machine: MachineState | null;
  /** Method calls of that machine awaiting their reply. */
  calls: Map<number, Task>;
  exited: boolean;
}

interface MachineState {
  slot: Slot;
  /** Its id in the worker (the id of the task that created it). */
  mid: number;
  disposed: boolean;
}

const THREAD = new URL("./worker-thread.js", import.meta.url);

/** Creates a pool (see Pool). */
export function createPool(opts: PoolOptions = {}): Pool {
  return new Pool(opts);
}

export class Pool {
  /** Most worker threads running at once. */
  readonly size: number;
  private readonly slots = new Set<Slot>();
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;
  private closing: Promise<void> | null = null;

  constructor(opts: PoolOptions = {}) {
    const size = opts.size ?? os.availableParallelism();
    if (!Number.isInteger(size) || size < 1) throw new ExojitError("E_BADARG", `size ${String(size)}`);
    this.size = size;
  }

  /** runProgram in a worker thread: the same result. Options as runProgram's, but for
   *  `logger` (a logger cannot be sent to another thread: E_BADARG). */
  runProgram(path: string, opts: ProgramOptions = {}): Promise<ProgramResult> {
    if (opts.logger !== undefined) return Promise.reject(new ExojitError("E_BADARG", "logger: a pool's programs cannot log to this thread's logger"));
    return this.submit({ id: 0, kind: "program", path, opts }).then((v) => {
      // Buffers arrive as Uint8Arrays.
      const r = v as ProgramResult;
      return { ...r, stdout: Buffer.from(r.stdout.buffer, r.stdout.byteOffset, r.stdout.byteLength), stderr: Buffer.from(r.stderr.buffer, r.stderr.byteOffset, r.stderr.byteLength) };
    });
  }

  /** Calls `exportName` of the module at `moduleUrl` (a file: URL or an absolute path) with
   *  `input` in a worker thread and resolves with what it returns (or resolves to). Input and
   *  result are copied between threads (structured clone). */
  run<T = unknown>(moduleUrl: string | URL, exportName: string, input?: unknown): Promise<T> {
    const url = moduleUrl instanceof URL ? moduleUrl.href : moduleUrl.startsWith("/") ? pathToFileURL(moduleUrl).href : moduleUrl;
    return this.submit({ id: 0, kind: "call", url, name: exportName, input }) as Promise<T>;
  }

  /** A machine in a worker thread, with Machine's methods, async (see RemoteMachine). It has
   *  its worker to itself until dispose(): it is a task, queued while every worker is busy.
   *  Options as createMachine's, but for `logger`. */
  async createMachine(opts: MachineOptions = {}): Promise<RemoteMachine> {
    if (opts.logger !== undefined) throw new ExojitError("E_BADARG", "logger: a pool's machines cannot log to this thread's logger");
    const mid = (await this.submit({ id: 0, kind: "machine", opts })) as number;
    const slot = [...this.slots].find((s) => s.machine?.mid === mid);
    if (slot === undefined || slot.machine === null) throw new ExojitError("E_WORKER", "the machine's worker ended");
    const st = slot.machine;
    return remoteMachine(
      (method, args) => this.machineCall(st, { id: 0, kind: "mcall", mid, method, args }),
      async () => {
        if (st.disposed) return;
        if (!slot.exited) await this.machineCall(st, { id: 0, kind: "mclose", mid });
        st.disposed = true;
        slot.machine = null;
        this.dispatch();
      },
    );
  }

  /** `msg` with the next id, as the worker will get it (copied now, so that a bad input is the
   *  caller's E_BADARG); null after rejecting with that error. */
  private numbered(msg: TaskMessage, reject: (e: unknown) => void): TaskMessage | null {
    try {
      return structuredClone({ ...msg, id: this.nextId++ });
    } catch (e) {
      reject(new ExojitError("E_BADARG", `cannot be sent to a worker: ${(e as Error).message}`));
      return null;
    }
  }

  private machineCall(st: MachineState, msg: TaskMessage): Promise<unknown> {
    if (st.disposed) return Promise.reject(new ExojitError("E_CLOSED", "the machine was disposed"));
    if (st.slot.exited) return Promise.reject(new ExojitError("E_WORKER", "the machine's worker has ended"));
    return new Promise((resolve, reject) => {
      const m = this.numbered(msg, reject);
      if (m === null) return;
      st.slot.calls.set(m.id, { msg: m, resolve, reject });
      st.slot.worker.ref();
      st.slot.worker.postMessage(m);
    });
  }

  /** Tasks waiting for a worker. */
  get pending(): number {
    return this.queue.length;
  }

  /** Stops taking tasks: queued ones are rejected with E_CLOSED, running ones (and machine
   *  calls under way) finish, then the workers end, machines included. Resolves when they
   *  have. */
  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.closed = true;
    for (const t of this.queue.splice(0)) t.reject(new ExojitError("E_CLOSED", "the task was still queued"));
    this.closing = Promise.all(
      [...this.slots].map(async (s) => {
        while (!s.exited && (s.task !== null || s.calls.size > 0)) await nextEvent(s.worker);
        if (s.machine !== null) s.machine.disposed = true;
        await s.worker.terminate();
      }),
    ).then(() => undefined);
    return this.closing;
  }

  private submit(msg: TaskMessage): Promise<unknown> {
    if (this.closed) return Promise.reject(new ExojitError("E_CLOSED"));
    return new Promise((resolve, reject) => {
      const m = this.numbered(msg, reject);
      if (m === null) return;
      this.queue.push({ msg: m, resolve, reject });
      this.dispatch();
    });
  }

  /** Gives queued tasks to idle workers, starting workers up to the pool's size. */
  private dispatch(): void {
    while (this.queue.length > 0 && !this.closed) {
      let slot: Slot | undefined;
      for (const s of this.slots) if (s.task === null && s.machine === null) slot = s;
      if (slot === undefined) {
        if (this.slots.size >= this.size) return;
        slot = this.spawn();
      }
      const t = this.queue.shift()!;
      slot.task = t;
      slot.worker.ref();
      // (the machine is there as soon as the worker has made it: until then, no other task)
      if (t.msg.kind === "machine") slot.machine = { slot, mid: t.msg.id, disposed: false };
      slot.worker.postMessage(t.msg);
    }
  }

  private spawn(): Slot {
    const worker = new Worker(THREAD);
    const slot: Slot = { worker, task: null, crash: null, machine: null, calls: new Map(), exited: false };
    worker.on("message", (r: ReplyMessage) => {
      const t = slot.task !== null && slot.task.msg.id === r.id ? slot.task : slot.calls.get(r.id);
      if (t === undefined) return;
      if (t === slot.task) slot.task = null;
      else slot.calls.delete(r.id);
      if (t.msg.kind === "machine" && !r.ok) slot.machine = null;
      if (slot.task === null && slot.calls.size === 0) worker.unref();
      if (r.ok) t.resolve(t.msg.kind === "machine" ? t.msg.id : r.value);
      else t.reject(fromData(r.error));
      this.dispatch();
    });
    worker.on("error", (e) => {
      slot.crash = e;
    });
    worker.on("exit", (code) => {
      this.slots.delete(slot);
      slot.exited = true;
      const lost = [...(slot.task !== null ? [slot.task] : []), ...slot.calls.values()];
      slot.task = null;
      slot.calls.clear();
      const why = slot.crash !== null ? `the worker crashed: ${slot.crash instanceof Error ? slot.crash.message : String(slot.crash)}` : `the worker exited with code ${code}`;
      for (const t of lost) t.reject(new ExojitError("E_WORKER", why, { cause: slot.crash ?? undefined }));
      // A new worker takes its place when there is work for it.
      this.dispatch();
    });
    this.slots.add(slot);
    return slot;
  }
}

/** Resolves at the worker's next message or exit (after the pool's own handlers saw it). */
function nextEvent(w: Worker): Promise<void> {
  return new Promise((res) => {
    const seen = (): void => {
      w.off("message", seen).off("exit", seen);
      res();
    };
    w.on("message", seen).on("exit", seen);
  });
}

/** The error a worker posted, as an ExojitError: with its own code if it was one, else E_WORKER
 *  with the original (name, message, stack) as `cause`. */
function fromData(d: ErrorData): ExojitError {
  if (d.code !== undefined) {
    const e = new ExojitError(d.code);
    Object.defineProperty(e, "message", { value: d.message, writable: true, configurable: true });
    if (d.stack !== undefined) e.stack = d.stack;
    return e;
  }
  const cause = new Error(d.message);
  cause.name = d.name;
  if (d.stack !== undefined) cause.stack = d.stack;
  return new ExojitError("E_WORKER", `${d.name}: ${d.message}`, { cause });
}
