// Where a block can continue, from its last instruction: what region formation follows and what
// flag liveness may assume.

import type { Block } from "../decoder/block.js";
import { Op, K_IMM, FLOW_NEXT } from "../hw/isa.js";

/** Every address the block continues at, if that is known statically; null when it can also
 *  continue elsewhere (computed jumps, returns, exits to the host, REP yields). */
export function staticTargets(b: Block): number[] | null {
  const x = b.insns[b.insns.length - 1];
  if (x.flow === FLOW_NEXT) return [x.next];
  if (x.rep !== 0) return null;
  switch (x.op) {
    case Op.JCC:
    case Op.JCXZ:
    case Op.LOOP:
    case Op.LOOPE:
    case Op.LOOPNE:
      return [x.target, x.next];
    case Op.JMP:
    case Op.CALL:
      return x.k0 === K_IMM && x.osz === 4 ? [x.target] : null;
    default:
      return null;
  }
}

/** The static targets plus where execution comes back to after a call, an `int` or a REP
 *  instruction's yield: the code a region formed from this block should consider. */
export function likelySuccessors(b: Block): number[] {
  const x = b.insns[b.insns.length - 1];
  const out = staticTargets(b) ?? [];
  if ((x.op === Op.JMP || x.op === Op.CALL) && x.k0 === K_IMM && x.osz !== 4) out.push(x.target);
  if (x.op === Op.CALL || x.op === Op.INT) out.push(x.next);
  if (x.rep !== 0) out.push(x.next, x.eip);
  return out;
}

/** Whether `b` ends with a jump through a register or memory (a jump table, a computed goto). */
export function computedJump(b: Block): boolean {
  const x = b.insns[b.insns.length - 1];
  return x.op === Op.JMP && x.k0 !== K_IMM;
}
