// Calls of i386 position-independent code's PC thunks, compiled as what they do. A PIC function
// finds its GOT with `call __x86.get_pc_thunk.bx; add $GOT, %ebx`, the thunk being the two
// instructions `mov (%esp), %ebx; ret`; Debian's bash and perl run one every 60-80 instructions.
// Compiled as a call, the thunk's code runs in the caller's region (a block it takes in: region
// formation copies small shared code) and returns through the region's dispatch switch. Folded,
// the call block does the call's push, sets the register to the return address, and goes on at
// the return address as a jump: the same memory, registers and instruction count (the call, the
// `mov` and the `ret`) as running the three, with no dispatch and no check of the stack window
// for the thunk's own accesses; a fault at the call's push leaves all three not run. Measured
// with saved code, medians of interleaved runs against the engine before: Debian's perl counting
// words in 4 MB, 6,019 -> 5,320 ms of guest time (4 runs each); bash running a 10,000-pass loop,
// 4,031 -> 3,941 (5 runs); the same loop of 40,000 passes, 10,691 -> 8,219 (3 runs, the machine's
// speed drifting). The regions, their entries and chains are the same: the gain is within them.

import type { Block } from "../decoder/block.js";
import { Op, K_IMM, K_MEM, K_R32, NO_REG } from "../hw/isa.js";
import { ESP, SS } from "../hw/state.js";

/** Instructions of a PC thunk, counted for a call block that folds one. */
export const THUNK_INSNS = 2;

/** The register a block that is a PC thunk (`mov r32, [esp]; ret`) loads, or -1. */
export function thunkRegister(b: Block): number {
  const i = b.insns;
  if (i.length !== THUNK_INSNS) return -1;
  const [m, r] = i;
  const load = m.op === Op.MOV && m.k0 === K_R32 && m.k1 === K_MEM && m.msz === 4 && m.asz === 4 && m.base === ESP && m.index === NO_REG && m.disp === 0 && m.seg === SS && m.r0 !== ESP;
  const ret = r.op === Op.RET && r.osz === 4 && r.k0 !== K_IMM;
  return load && ret ? m.r0 : -1;
}

/** The blocks of a region's `blocks` whose last instruction is a 32-bit direct call of a PC
 *  thunk among them, with the register the thunk sets; none in hooked code, whose hooks see
 *  each instruction run. */
export function foldedThunkCalls(blocks: readonly Block[]): ReadonlyMap<number, number> {
  const out = new Map<number, number>();
  if (blocks.some((b) => b.hooks !== 0)) return out;
  const at = new Map(blocks.map((b) => [b.eip, b]));
  for (const b of blocks) {
    const x = b.insns[b.insns.length - 1];
    if (x.op !== Op.CALL || x.osz !== 4 || x.k0 !== K_IMM) continue;
    const thunk = at.get(x.target);
    const reg = thunk === undefined ? -1 : thunkRegister(thunk);
    if (reg >= 0) out.set(b.eip, reg);
  }
  return out;
}

/** Instructions block `b` counts beyond its own: a PC thunk's whose call it folds (`folded`,
 *  from foldedThunkCalls). */
export function thunkInsns(b: Block, folded: ReadonlyMap<number, number>): number {
  return folded.has(b.eip) ? THUNK_INSNS : 0;
}
