// A bare machine for engine-level tests: an exokernel with one ring-3 environment, a code page
// at CODE holding the given bytes, a data/stack page at DATA, and EIP/ESP set up to run it.

import { Exokernel, type KernelOptions } from "../../src/exokernel/kernel.js";
import type { CapHandle } from "../../src/exokernel/caps.js";
import type { EngineOptions } from "../../src/jit/engine.js";
import { EIP, ESP } from "../../src/hw/state.js";

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
