// A process's memory as library policy sees it: the address-space capability, the region map
// (vm.ts) and checked access for system calls (uaccess.ts). Threads share one Mm (CLONE_VM), as
// does a vfork child until it execs; fork gives the child a copy-on-write duplicate.

import type { AioContext } from "./aio.js";
import type { Exokernel } from "../exokernel/kernel.js";
import type { CapHandle } from "../exokernel/caps.js";
import { AddressMap } from "./vm.js";
import { UserMemory } from "./uaccess.js";
import type { WriteDenial, RunningProgram } from "./vfs/denywrite.js";

let nextMmId = 1;

/** Where exec put the program (addresses; 0 until exec fills them), as Linux's mm_struct keeps
 *  them for /proc: the text and data of the program file (not its interpreter's), the start of
 *  the heap, the stack pointer the program started with, and its argument and environment
 *  strings (contiguous, in order, each NUL-terminated). */
export interface ExecLayout {
  startCode: number;
  endCode: number;
  startData: number;
  endData: number;
  startBrk: number;
  startStack: number;
  argStart: number;
  argEnd: number;
  envStart: number;
  envEnd: number;
}

export function emptyLayout(): ExecLayout {
  return { startCode: 0, endCode: 0, startData: 0, endData: 0, startBrk: 0, startStack: 0, argStart: 0, argEnd: 0, envStart: 0, envEnd: 0 };
}

export class Mm {
  /** Identifies the memory in private futex keys. */
  readonly id = nextMmId++;
  /** Tasks using this memory. */
  users = 1;
  /** The program's layout (exec sets it; fork copies it). */
  layout: ExecLayout = emptyLayout();
  /** Native AIO contexts by their ring's address (aio.ts): not inherited by fork, gone at exec
   *  and exit with the memory. */
  readonly aio = new Map<number, AioContext>();
  /** The auxiliary vector exec gave the program, as bytes (type, value pairs to AT_NULL's):
   *  /proc/PID/auxv. */
  auxv: Uint8Array = new Uint8Array(0);
  /** The program file it runs, which may not be opened for writing meanwhile (ETXTBSY). */
  running: RunningProgram | null = null;

  readonly mem: UserMemory;

  constructor(
    readonly kernel: Exokernel,
    readonly aspace: CapHandle,
    readonly vm: AddressMap,
  ) {
    this.mem = new UserMemory(kernel, aspace, vm);
  }

  /** An Mm over an address space whose regions are still to be mapped. */
  static empty(kernel: Exokernel, aspace: CapHandle): Mm {
    return new Mm(kernel, aspace, new AddressMap(kernel, aspace));
  }

  /** The regions of this Mm over `aspace`, the copy-on-write duplicate the exokernel made of
   *  its address space (fork). */
  fork(aspace: CapHandle): Mm {
    const m = new Mm(this.kernel, aspace, this.vm.fork(aspace));
    m.layout = { ...this.layout };
    m.auxv = this.auxv;
    if (this.running !== null) m.runs(this.running.denial, this.running.key);
    return m;
  }

  /** It runs the program file `key` (exec, and a fork's copy). */
  runs(denial: WriteDenial, key: string): void {
    this.running = { denial, key };
    denial.runner(key, 1);
  }

  /** A task stopped using this memory; the last one writes back shared pages, lets every
   *  region go and gives up its capability for the address space (the space itself goes with
   *  the last environment in it). Nothing reads a released Mm's space (users 0). */
  release(): void {
    if (--this.users !== 0) return;
    this.vm.clear();
    this.kernel.caps.revoke(this.aspace);
    if (this.running !== null) this.running.denial.runner(this.running.key, -1);
    this.running = null;
  }
}
