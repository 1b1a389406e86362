// A bare machine for engine-level tests: an exokernel with one ring-3 environment, a code page
// at CODE holding the given bytes, a data/stack page at DATA, and EIP/ESP set up to run it.

import { Exokernel, type KernelOptions } from "../../src/exokernel/kernel.js";
import type { CapHandle } from "../../src/exokernel/caps.js";
import type { EngineOptions } from "../../src/jit/engine.js";
import { EIP, ESP } from "../../src/hw/state.js";
import { X_INT } from "../../src/exokernel/env.js";

export const CODE = 0x08048000;
export const DATA = 0x08100000;

export interface Machine {
  k: Exokernel;
  env: CapHandle;
  /** Frame holding the code page. */
  ppn: number;
}

export function machine(code: number[], engine: EngineOptions, opts: Partial<KernelOptions> = {}): Machine {
  const k = new Exokernel({ memory: 16 << 20, ...opts, engine });
  const env = k.newEnv(k.newPool(64));
  const as = k.aspaceOf(env);
  const ppn = k.mapNew(as, CODE, 7);
  k.mapNew(as, DATA, 7);
  k.mem.u8.set(code, ppn << 12);
  const r = k.regs(env);
  r[EIP] = CODE;
  r[ESP] = DATA + 0x1000;
  return { k, env, ppn };
}

/**
 * Runs a machine's program `times` times over from CODE (each time to its `int 0x80`), in small
 * budgets, so that each call enters the compiled regions afresh (past their warm-up entries);
 * returns, after each time, `bytes` bytes from the frames `frames` (in order).
 */
export function runRepeatedly(m: Machine, frames: readonly number[], bytes: number, times: number, budget = 3000): Uint8Array[] {
  const { k, env } = m;
  const outs: Uint8Array[] = [];
  for (let t = 0; t < times; t++) {
    const r = k.regs(env);
    r[EIP] = CODE;
    r[ESP] = DATA + 0x1000;
    for (let guard = 0; k.run(env, budget).kind !== X_INT; guard++) {
      if (guard >= 100000) throw new Error("the program did not end");
    }
    const out = new Uint8Array(bytes);
    let at = 0;
    for (const ppn of frames) {
      if (at >= bytes) break;
      const n = Math.min(4096, bytes - at);
      out.set(k.mem.u8.subarray(ppn << 12, (ppn << 12) + n), at);
      at += n;
    }
    outs.push(out);
  }
  return outs;
}
