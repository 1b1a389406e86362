// Handler calls made by compiled code, counted per instruction form, process-wide. An
// instruction with no inline translation calls the interpreter's handler with the register
// locals written back around the call (translate.ts fallback): tens of nanoseconds each, and
// the compiled code around it cannot keep values in registers across it. --stats lists the
// forms that made the most, which is how the hot ones are found (Debian's python3 made 28
// million SHLD calls before SHLD was translated inline).

import { type Insn, OP_NAMES, Op, K_NONE, K_R8, K_R16, K_R32, K_MEM, K_IMM, K_SEG, K_ST, K_CR, K_DR, K_MM, K_XMM } from "../hw/isa.js";
import { FPU_HANDLERS } from "../hw/fpu/index.js";
import { SIMD_HANDLERS } from "../hw/simd/index.js";

/** Forms counted apart; the rest share the last slot. */
const MAX_FORMS = 1024;

/** Calls per form (indexed by formSlot); compiled code increments its own slot. */
export const HANDLER_CALLS = new Float64Array(MAX_FORMS);
const forms: string[] = [];
const slots = new Map<string, number>();
let handlerNames: Map<unknown, string> | null = null;

const KIND_NAMES: Record<number, string> = { [K_R8]: "r8", [K_R16]: "r16", [K_R32]: "r32", [K_IMM]: "imm", [K_SEG]: "sreg", [K_ST]: "st", [K_CR]: "cr", [K_DR]: "dr", [K_MM]: "mm", [K_XMM]: "xmm" };

/** `x`'s form as people read it: its mnemonic (the handler's, for x87 and SIMD instructions)
 *  and its operand kinds, e.g. "shld r32, r32, imm" or "rep movs m32". */
export function formName(x: Insn): string {
  let name = OP_NAMES[x.op].toLowerCase();
  if (x.op === Op.FPU || x.op === Op.SIMD) {
    handlerNames ??= new Map<unknown, string>([...Object.entries(FPU_HANDLERS), ...Object.entries(SIMD_HANDLERS)].map(([k, v]) => [v, k]));
    name = handlerNames.get(x.fn) ?? name;
  }
  const kinds = [x.k0, x.k1, x.k2].filter((k) => k !== K_NONE).map((k) => (k === K_MEM ? `m${x.msz * 8}` : (KIND_NAMES[k] ?? "?")));
  return `${x.rep !== 0 ? "rep " : ""}${name}${kinds.length > 0 ? ` ${kinds.join(", ")}` : ""}`;
}

/** The counter slot of `x`'s form. */
export function formSlot(x: Insn): number {
  const name = formName(x);
  let k = slots.get(name);
  if (k === undefined) {
    k = Math.min(forms.length, MAX_FORMS - 1);
    if (forms.length < MAX_FORMS - 1) forms.push(name);
    else forms[MAX_FORMS - 1] = "(other forms)";
    slots.set(name, k);
  }
  return k;
}

/** Forms whose handlers compiled code has called, most calls first. */
export function handlerCallCounts(): [string, number][] {
  const out: [string, number][] = [];
  forms.forEach((name, k) => {
    if (HANDLER_CALLS[k] > 0) out.push([name, HANDLER_CALLS[k]]);
  });
  return out.sort((a, b) => b[1] - a[1]);
}
