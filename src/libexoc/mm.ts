// A process's memory as library policy sees it: the address-space capability, the region map
// (vm.ts) and checked access for system calls (uaccess.ts). Threads share one Mm (CLONE_VM), as
// does a vfork child until it execs; fork gives the child a copy-on-write duplicate.

import type { Exokernel } from "../exokernel/kernel.js";
import type { CapHandle } from "../exokernel/caps.js";
import { AddressMap } from "./vm.js";
import { UserMemory } from "./uaccess.js";

let nextMmId = 1;

export class Mm {
  /** Identifies the memory in private futex keys. */
  readonly id = nextMmId++;
  /** Tasks using this memory. */
  users = 1;

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
    return new Mm(this.kernel, aspace, this.vm.fork(aspace));
  }

  /** A task stopped using this memory; the last one writes back shared pages and lets every
   *  region go (the address space itself goes with the last environment in it). */
  release(): void {
    if (--this.users === 0) this.vm.clear();
  }
}
