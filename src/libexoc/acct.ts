// BSD process accounting (acct(2)): while it is on, each process that ends adds a record to the
// accounting file, as Linux's acct_process does when a thread group's last thread exits. The
// record's layout is the ABI's (the personality encodes it: posix/sys/acct.ts); here is the
// file and when records go to it. Records are appended with the file's own opening, whatever
// the ending process's limits (Linux lifts RLIMIT_FSIZE for them), and a failed write loses
// that record only. Linux also suspends accounting while the file system is nearly full; that
// check is not made here.

import type { OpenFile } from "./file.js";
import type { Process } from "./process.js";
import { SysError } from "./errors.js";

export class ProcessAccounting {
  constructor(
    /** The accounting file, opened for appending by the acct(2) caller. */
    readonly file: OpenFile,
    /** The record for a process that ended (its termination is set, its threads gone). */
    private readonly encode: (p: Process) => Uint8Array,
  ) {}

  /** Appends `p`'s record. */
  ended(p: Process): void {
    const rec = this.encode(p);
    try {
      this.file.write(rec);
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
    }
  }

  /** Accounting is turned off or moved to another file. */
  close(): void {
    this.file.drop();
  }
}
