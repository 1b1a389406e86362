// Embedder hooks in the interpreter tier: which blocks and instructions a hook covers (noted on
// the block when it is cached), and the interpreter's way of running such a block, with the
// hooks called before the block and before each hooked instruction. Blocks no hook covers run
// through execInsns as before (the engine tests Block.hooks, one field load per block).

import type { Cpu } from "../hw/cpu.js";
import { EXIT_NONE } from "../hw/cpu.js";
import { EIP } from "../hw/state.js";
import { HOOK_BLOCK, HOOK_CODE, HOOK_LEAVE, type CpuHooks } from "../hw/hooks.js";
import { execInsns, execOne } from "../hw/interp/run.js";
import type { Block } from "../decoder/block.js";

/** Notes on `b` which hooks cover it (flat linear addresses: the hooks' ranges are linear). */
export function markHooks(h: CpuHooks, b: Block): void {
  const lin = (b.csBase + b.eip) | 0;
  let flags = h.blockHooked(lin) ? HOOK_BLOCK : 0;
  let code: Uint8Array | null = null;
  for (let k = 0; k < b.insns.length; k++) {
    if (!h.codeHooked((b.csBase + b.insns[k].eip) | 0)) continue;
    code ??= new Uint8Array(b.insns.length);
    code[k] = 1;
    flags |= HOOK_CODE;
  }
  b.hooks = flags;
  b.codeHooks = code;
}

/** Runs a hooked block in the interpreter. When a hook leaves (Cpu.exit = EXIT_HOOK), the
 *  instructions from the hooked one on have not run and EIP is where the hook left it. */
export function execHooked(c: Cpu, b: Block): void {
  const h = c.hooks as CpuHooks;
  const insns = b.insns;
  if ((b.hooks & HOOK_BLOCK) !== 0) {
    c.r[EIP] = b.eip;
    if (h.block(b.eip, b.end - b.eip) === HOOK_LEAVE) return;
  }
  const code = b.codeHooks;
  if (code === null) {
    execInsns(c, insns);
    return;
  }
  for (let k = 0; k < insns.length; k++) {
    const x = insns[k];
    if (code[k] !== 0) {
      c.r[EIP] = x.eip;
      if (h.code(x.eip, x.len) === HOOK_LEAVE) return;
    }
    execOne(c, x);
    if (c.exit !== EXIT_NONE) return;
  }
}
