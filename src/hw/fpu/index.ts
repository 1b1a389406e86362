// The x87 FPU unit's entry points: handlers keyed by lowercase Intel mnemonic ("fld", "fnstcw",
// "fxsave", ...). The decoder gives every instruction whose mnemonic appears here op FPU and this
// handler, and treats it as implemented whatever CPUID feature it belongs to.

import type { Exec } from "../isa.js";

export const FPU_HANDLERS: Record<string, Exec> = {};
