// The x87 FPU unit's entry points: handlers keyed by lowercase Intel mnemonic ("fld", "fnstcw",
// "fxsave", ...). The decoder gives every instruction whose mnemonic appears here op FPU and this
// handler, and treats it as implemented whatever CPUID feature it belongs to.
//
// Files: state.ts (registers, TOP, tags, control/status words, exceptions, context-switch hooks),
// ext80.ts + muldiv.ts (exact 80-bit arithmetic), formats.ts (memory formats), arith.ts,
// move.ts, compare.ts, control.ts, trans.ts + bigfloat.ts (transcendentals), remainder.ts
// (fprem, fscale, fxtract) (the instructions).
// fisttp (SSE3) is here too; MMX and SSE are the SIMD unit's (hw/simd).

import type { Exec } from "../isa.js";
import { ARITH_HANDLERS } from "./arith.js";
import { MOVE_HANDLERS } from "./move.js";
import { COMPARE_HANDLERS } from "./compare.js";
import { CONTROL_HANDLERS } from "./control.js";
import { TRANS_HANDLERS } from "./trans.js";
import { REMAINDER_HANDLERS } from "./remainder.js";
import { withFastPaths } from "./fast.js";

export const FPU_HANDLERS: Record<string, Exec> = withFastPaths({
  ...ARITH_HANDLERS,
  ...MOVE_HANDLERS,
  ...COMPARE_HANDLERS,
  ...CONTROL_HANDLERS,
  ...TRANS_HANDLERS,
  ...REMAINDER_HANDLERS,
  // D9 D8+i, a reserved alias that 387 and later CPUs execute as fstp st(i).
  fstpnce: MOVE_HANDLERS.fstp,
});
