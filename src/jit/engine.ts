// The execution engine: finds the block at EIP (code cache, else decode), runs it (interpreter or
// compiled code), and repeats until the budget is spent or the CPU stops for the host. Faults and
// code writes come back as exceptions from either tier with EIP precise.

import type { Cpu } from "../hw/cpu.js";
import { EXIT_NONE } from "../hw/cpu.js";
import { EIP } from "../hw/state.js";
import { Fault, CodeWrite, PF } from "../hw/fault.js";
import { execInsns, execOne } from "../hw/interp/run.js";
import { BlockDecoder, type Block } from "../decoder/block.js";
import { BlockCache } from "../decoder/cache.js";
import { logger, trace } from "../log.js";

/** run() results beyond the CPU's EXIT_* codes. */
export const RUN_BUDGET = 0;
export const RUN_FAULT = 100;

export type EngineKind = "interp" | "jit" | "auto";

export interface EngineOptions {
  engine: EngineKind;
}

export interface EngineStats {
  blocksDecoded: number;
  codeWrites: number;
  faults: number;
}

export class Engine {
  readonly decoder = new BlockDecoder();
  readonly cache: BlockCache;
  /** The fault that ended the last run() with RUN_FAULT. */
  lastFault: Fault | null = null;
  readonly stats: EngineStats = { blocksDecoded: 0, codeWrites: 0, faults: 0 };
  private readonly log = logger("exec");

  constructor(
    readonly cpu: Cpu,
    readonly opts: EngineOptions = { engine: "auto" },
  ) {
    this.cache = new BlockCache(cpu);
  }

  /** The block at linear address `eip`, decoding and caching it on a miss. */
  lookup(eip: number): Block {
    const c = this.cpu;
    const phys = c.fetchPhys(eip);
    let b = this.cache.get(phys, eip);
    if (b === undefined) {
      b = this.decoder.decode(c, eip);
      this.cache.add(b);
      this.stats.blocksDecoded++;
    }
    return b;
  }

  /**
   * Runs guest code for about `budget` instructions (whole blocks). Returns RUN_BUDGET, one of the
   * CPU's EXIT_* codes (with EIP after the instruction that stopped), or RUN_FAULT (with EIP at the
   * faulting instruction and the fault in lastFault).
   */
  run(budget: number): number {
    const c = this.cpu;
    c.exit = EXIT_NONE;
    const stop = c.icount + budget;
    while (c.icount < stop) {
      try {
        const b = this.lookup(c.r[EIP]);
        b.execs++;
        execInsns(c, b.insns);
      } catch (e) {
        const r = this.recover(e);
        if (r !== RUN_BUDGET) return r;
        continue;
      }
      if (c.exit !== EXIT_NONE) return c.exit;
    }
    return RUN_BUDGET;
  }

  /** Turns an exception from guest execution into a run() result, or resolves it and returns
   *  RUN_BUDGET to keep going. */
  private recover(e: unknown): number {
    const c = this.cpu;
    if (e instanceof Fault) {
      this.lastFault = e;
      if (e.vector === PF) c.cr2 = e.addr;
      this.stats.faults++;
      return RUN_FAULT;
    }
    if (e instanceof CodeWrite) {
      this.stats.codeWrites++;
      return this.stepAfterCodeWrite(e);
    }
    throw e;
  }

  /** A write hit a page holding translated code: drop the page's blocks and execute the writing
   *  instruction alone, decoded fresh and not cached, so its write goes through. */
  private stepAfterCodeWrite(first: CodeWrite): number {
    const c = this.cpu;
    let pending: CodeWrite | null = first;
    for (let tries = 0; pending !== null; tries++) {
      const n = this.cache.invalidatePage(pending.ppn);
      if (trace.exec) this.log.trace({ ppn: pending.ppn, blocks: n }, `code write to page ${pending.ppn.toString(16)}: ${n} block(s) dropped`);
      if (tries > 4) throw new Error("code write did not resolve (engine bug)");
      pending = null;
      try {
        const one = this.decoder.decode(c, c.r[EIP], false, 1);
        c.exit = EXIT_NONE;
        execOne(c, one.insns[0]);
        if (c.exit !== EXIT_NONE) return c.exit;
      } catch (e) {
        if (e instanceof CodeWrite) pending = e;
        else return this.recover(e);
      }
    }
    return RUN_BUDGET;
  }
}
