// "Text file busy" (ETXTBSY): a program being run cannot be opened for writing or truncated,
// and a file open for writing cannot be run (Linux's i_writecount, which exec denies for as
// long as a process's memory has the file as its executable, forks included). Counted by the
// file's key (its device and inode, as locks know it).

import { sysError } from "../errors.js";

export class WriteDenial {
  /** Open descriptions with write access, by file. */
  private readonly writers = new Map<string, number>();
  /** Memories running the file as their program, by file. */
  private readonly running = new Map<string, number>();

  /** ETXTBSY if the file is being run (an open for writing, a truncation). */
  checkWrite(key: string): void {
    if ((this.running.get(key) ?? 0) > 0) sysError("ETXTBSY");
  }

  /** ETXTBSY if the file is open for writing (an exec). */
  checkRun(key: string): void {
    if ((this.writers.get(key) ?? 0) > 0) sysError("ETXTBSY");
  }

  writer(key: string, delta: number): void {
    bump(this.writers, key, delta);
  }

  runner(key: string, delta: number): void {
    bump(this.running, key, delta);
  }
}

function bump(m: Map<string, number>, key: string, delta: number): void {
  const n = (m.get(key) ?? 0) + delta;
  if (n > 0) m.set(key, n);
  else m.delete(key);
}

/** What a memory (Mm) holds while it runs a program: the denial and the file's key. */
export interface RunningProgram {
  denial: WriteDenial;
  key: string;
}
