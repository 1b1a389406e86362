// A saved CPU context: everything an environment needs to resume on the CPU (registers, flags,
// segments, privilege, page-table root). The exokernel swaps these on environment switches.

import type { Cpu } from "./cpu.js";
import { REG_SLOTS, MXCSR } from "./state.js";
import { MXCSR_DEFAULT } from "./simd/state.js";

/** The register file, segment registers (selector, base, limit, attributes) and LDT, as a
 *  saved context or a snapshot holds them. */
export interface RegisterState {
  readonly r: Int32Array;
  readonly sreg: Int32Array;
  readonly sbase: Int32Array;
  readonly slimit: Int32Array;
  readonly sattr: Int32Array;
  readonly ldtBase: number;
  readonly ldtLimit: number;
}

/** Copies the register state `from` into `to` (the CPU or a saved context). */
function copyRegisterState(to: RegisterState & { ldtBase: number; ldtLimit: number }, from: RegisterState): void {
  to.r.set(from.r);
  to.sreg.set(from.sreg);
  to.sbase.set(from.sbase);
  to.slimit.set(from.slimit);
  to.sattr.set(from.sattr);
  to.ldtBase = from.ldtBase;
  to.ldtLimit = from.ldtLimit;
}

/** Puts `s` on the CPU (and recomputes whether its segments are flat). */
export function loadRegisterState(c: Cpu, s: RegisterState): void {
  copyRegisterState(c, s);
  c.updateFlat();
}

export class CpuContext implements RegisterState {
  readonly r = new Int32Array(REG_SLOTS);
  readonly sreg = new Int32Array(6);
  readonly sbase = new Int32Array(6);
  readonly slimit = new Int32Array(6);
  readonly sattr = new Int32Array(6);
  cr3 = 0;
  cpl = 3;
  /** The environment's LDT (linear base and limit; limit 0 and base 0: none). */
  ldtBase = 0;
  ldtLimit = 0;
  /** Saved x87/SSE state, owned by the FPU unit (null until the environment first ran). */
  fpu: Uint8Array | null = null;

  constructor() {
    this.r[MXCSR] = MXCSR_DEFAULT;
  }

  save(c: Cpu): void {
    copyRegisterState(this, c);
    this.cr3 = c.cr3;
    this.cpl = c.cpl;
    if (c.fpuSave) this.fpu = c.fpuSave(this.fpu);
  }

  load(c: Cpu): void {
    loadRegisterState(c, this);
    if (c.cpl !== this.cpl || c.cr3 !== this.cr3) {
      c.cpl = this.cpl;
      c.cr3 = this.cr3;
      c.flushTlb();
    }
    if (c.fpuLoad) c.fpuLoad(this.fpu);
  }

  copyFrom(o: CpuContext): void {
    copyRegisterState(this, o);
    this.cr3 = o.cr3;
    this.cpl = o.cpl;
    this.fpu = o.fpu ? o.fpu.slice() : null;
  }
}
