// A machine in a pool's worker thread (Pool.createMachine): the Machine methods below, each
// returning a promise of what the machine's own method returns. Arguments and results are
// copied between the threads; hooks (functions) cannot be, so onSyscall is not among them.
// Snapshots stay in the worker: the remote machine names them by number.

import type { Machine } from "./machine.js";

/** The Machine methods a remote machine has. */
export const REMOTE_METHODS = ["map", "unmap", "protect", "query", "read", "write", "loadCode", "loadElf", "getReg", "setReg", "readRegs", "getFpuRaw", "setFpuRaw", "getXmm", "setXmm", "run"] as const;
/** Snapshot methods of a remote machine (the snapshots live in the worker, named by number). */
export const REMOTE_SNAPSHOT_METHODS = ["snapshot", "restore", "releaseSnapshot"] as const;
export type RemoteMethod = (typeof REMOTE_METHODS)[number] | (typeof REMOTE_SNAPSHOT_METHODS)[number];

/** A machine living in a worker thread: Machine's methods, async. `dispose()` ends it and
 *  gives its worker back to the pool. */
export type RemoteMachine = {
  readonly [K in (typeof REMOTE_METHODS)[number]]: (...args: Parameters<Machine[K]>) => Promise<ReturnType<Machine[K]>>;
} & {
  /** Takes a snapshot in the worker (Machine.snapshot) and gives its number. */
  snapshot(): Promise<number>;
  /** Restores snapshot `id` of this machine (E_SNAPSHOT if there is none such). */
  restore(id: number): Promise<void>;
  /** Releases snapshot `id` (its frames go back); unknown ids are ignored. */
  releaseSnapshot(id: number): Promise<void>;
  dispose(): Promise<void>;
};

/** The remote machine whose every method is `call(method, args)`. */
export function remoteMachine(call: (method: RemoteMethod, args: unknown[]) => Promise<unknown>, dispose: () => Promise<void>): RemoteMachine {
  const m: Record<string, unknown> = { dispose };
  for (const name of [...REMOTE_METHODS, ...REMOTE_SNAPSHOT_METHODS]) m[name] = (...args: unknown[]) => call(name, args);
  // `as`: the object has exactly the methods of the mapped type, built in the loop above.
  return Object.freeze(m) as RemoteMachine;
}
