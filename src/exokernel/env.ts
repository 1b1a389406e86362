// Environments: a CPU context, an address space and a GDT of their own. The exokernel runs one
// on the CPU until it exits (system call trap, fault, halt, budget), then hands the exit record
// to the environment's handler, which a library OS (libexoc) provides.

import { CpuContext } from "../hw/context.js";
import type { AddressSpace } from "./aspace.js";
import type { FramePool } from "./frames.js";

/** Exit kinds. */
export const X_BUDGET = 0; // the instruction budget ran out
export const X_INT = 1; // software interrupt `int n` (vector), EIP after it
export const X_SYSENTER = 2; // `sysenter`, EIP after it
export const X_FAULT = 3; // processor exception (vector, error code, address), EIP at the instruction
export const X_HALT = 4; // `hlt` in ring 0

export const EXIT_NAMES = ["budget", "int", "sysenter", "fault", "halt"] as const;

/** Why an environment stopped. One record per environment, reused for every exit. */
export class Exit {
  kind = X_BUDGET;
  vector = 0;
  error = 0;
  addr = 0;
}

/** Implemented by a library OS: what to do when its environment exits. */
export interface ExitHandler {
  handleExit(env: Environment, exit: Exit): void;
}

let nextEnvId = 1;

export class Environment {
  readonly id = nextEnvId++;
  readonly ctx = new CpuContext();
  readonly exit = new Exit();
  handler: ExitHandler | null = null;
  /** Cleared when destroyed. */
  alive = true;

  constructor(
    readonly aspace: AddressSpace,
    readonly pool: FramePool,
    /** Frame holding this environment's GDT. */
    readonly gdtFrame: number,
  ) {}
}
