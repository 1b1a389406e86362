// A machine in a pool's worker thread (Pool.createMachine): the Machine methods below, each
// returning a promise of what the machine's own method returns. Arguments and results are
// copied between the threads; hooks (functions) cannot be, so onSyscall is not among them.

import type { Machine } from "./machine.js";

/** The Machine methods a remote machine has. */
export const REMOTE_METHODS = ["map", "unmap", "protect", "query", "read", "write", "loadCode", "loadElf", "getReg", "setReg", "readRegs", "getFpuRaw", "setFpuRaw", "getXmm", "setXmm", "run"] as const;
export type RemoteMethod = (typeof REMOTE_METHODS)[number];

/** A machine living in a worker thread: Machine's methods, async. `dispose()` ends it and
 *  gives its worker back to the pool. */
export type RemoteMachine = {
  readonly [K in RemoteMethod]: (...args: Parameters<Machine[K]>) => Promise<ReturnType<Machine[K]>>;
} & {
  dispose(): Promise<void>;
};

/** The remote machine whose every method is `call(method, args)`. */
export function remoteMachine(call: (method: RemoteMethod, args: unknown[]) => Promise<unknown>, dispose: () => Promise<void>): RemoteMachine {
  const m: Record<string, unknown> = { dispose };
  for (const name of REMOTE_METHODS) m[name] = (...args: unknown[]) => call(name, args);
  // `as`: the object has exactly the methods of the mapped type, built in the loop above.
  return Object.freeze(m) as RemoteMachine;
}
