// Whether a block lies on a loop of its own function's code: the test that lets a block of x87 or
// SIMD code come due early (Block.weight) only where that pays.
//
// A block of x87 or SIMD code counts its executions with Block.weight, up to five times, so that
// loops of such code leave the slow interpreter sooner (an SSE2 n-body's warm-up). But a block
// that comes due early becomes a region of its own, formed from a quarter of the executions its
// neighbours have had, before the region of the loop that calls it: glibc's __strcmp_sse4_2 came
// due at its SSE block after 715 executions, its caller's loop region then stopped there, and
// the rest of strcmp came due piece by piece in four more small regions, for 2.5 transitions
// between regions per call where the i686 strcmp had none. Outside a loop of its own code such
// a block gains nothing from coming due early: the loop that runs it is its caller's, whose
// region comes due at the usual count and takes it in.

import type { Block } from "../decoder/block.js";
import { Op } from "../hw/isa.js";
import { likelySuccessors } from "./successors.js";

/** Most blocks looked at from one block (a loop larger than this is taken as none). */
const MAX_BLOCKS = 256;

/** Whether `b` can be reached again from itself through decoded blocks of its function: over
 *  static targets and seen successors, with a call going on at its return address and a
 *  return going nowhere (a loop through a caller is the caller's). */
export function inLocalLoop(b: Block, blockAt: (eip: number) => Block | null): boolean {
  const seen = new Set<number>();
  const stack: Block[] = [b];
  while (stack.length > 0) {
    const x = stack.pop() as Block;
    for (const eip of localSuccessors(x)) {
      if (eip === b.eip) return true;
      if (seen.has(eip) || seen.size >= MAX_BLOCKS) continue;
      seen.add(eip);
      const s = blockAt(eip);
      if (s !== null) stack.push(s);
    }
  }
  return false;
}

function localSuccessors(x: Block): number[] {
  const last = x.insns[x.insns.length - 1];
  switch (last.op) {
    case Op.RET:
    case Op.RETF:
    case Op.IRET:
      return [];
    case Op.CALL:
    case Op.INT:
      return [last.next];
    default: {
      // (as region formation follows them: RegionCache.form)
      const out = likelySuccessors(x);
      for (const s of x.succ) out.push(s.eip);
      return out;
    }
  }
}
