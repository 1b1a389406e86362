// Operands of translated SIMD instructions: helper calls and their cold paths, memory
// addresses with the alignment check, general-register locals, the source operand's slot and
// EFLAGS results. Shared by simd.ts (moves, permutations, arithmetic) and simdint.ts (packed
// integer lanes).

import { type Node, id, num, t, assign, ifs, expr, call } from "./ast.js";
import type { InsnContext } from "./translate.js";
import { type Insn, K_R16, K_MEM, K_XMM } from "../hw/isa.js";
import { ARITH_FLAGS, MXCSR } from "../hw/state.js";
import { SRC } from "../hw/simd/state.js";
import { ints, xi, xw, coldFlush, coldReload } from "./simdlanes.js";
import { loadSlotCode } from "./simdmem.js";

/** A call of instruction `name`'s helper (recorded so the region declares it). */
export function helper(c: InsnContext, name: string, args: Node[]): Node {
  c.em.simdUses.add(`S_${name}`);
  return call(id(`S_${name}`), [id("c"), ...args]);
}

/** The cold path of a guarded instruction: lanes back to the slots, the helper, the
 *  destination's cached lanes reloaded. */
export function slowCall(c: InsnContext, name: string, d: number, s: number, pre: Node[] = [], imm = 0): Node[] {
  const out = [...coldFlush(c.em), ...pre, expr(helper(c, name, [num(d), num(s), num(imm), num(16)]))];
  if (d < 8) out.push(...coldReload(c.em, d));
  // MXCSR may have new flags; mxcsr() loaded it before the branch, so reload it here
  out.push(assign(id("mxf"), t("R[$m]", { m: num(MXCSR) })));
  return out;
}

export function setIp(c: InsnContext): void {
  c.em.emit(assign(id("ip"), num(c.x.eip)));
}

/** The memory operand's address in a temporary, alignment-checked for 128-bit operands of
 *  instructions that require it. */
export function address(c: InsnContext, align: boolean): Node {
  setIp(c);
  const a = c.em.addr(c.x);
  if (align && c.x.msz === 16) c.em.emit(ifs(t("($a & 15) !== 0", { a }), [expr(call(id("gpf"), []))]));
  return a;
}

/** The 32-bit local of a general-register operand. */
export function gpr(k: number, r: number): Node {
  return id(`r${k === K_R16 ? r >> 1 : r}`);
}

export const regOrMem = (x: Insn): boolean => x.k0 === K_XMM && (x.k1 === K_XMM || x.k1 === K_MEM);

/** The source operand's register for an integer-view use, taken into its int32 locals (`xw`):
 *  an XMM register, or SRC holding the memory operand. */
export function sourceSlot(c: InsnContext, align: boolean): number {
  const { em, x } = c;
  if (x.k1 === K_XMM) {
    ints(em, x.r1, false);
    return x.r1;
  }
  const a = address(c, align);
  if (x.msz === 4 || x.msz === 8 || x.msz === 16) {
    // the lanes beyond the operand are don't-cares of the scratch register
    ints(em, SRC, true, false);
    loadSlotCode(em, a, SRC, x.msz);
  } else {
    ints(em, SRC, true);
    em.emit(expr(call(id("ldx"), [id("c"), a, num(SRC), num(x.msz)])));
    for (let k = 0; k < 4; k++) em.emit(assign(xw(SRC * 4 + k), xi(SRC * 4 + k)));
  }
  return SRC;
}

export function setFlags(c: InsnContext, v: Node): void {
  if ((c.live & c.x.flagsWritten & ARITH_FLAGS) === 0) return;
  c.em.emit(assign(id("fl"), t("fl & $m | $v", { m: num(~ARITH_FLAGS), v })));
  c.em.flagsMaterialized();
}
