// Embedder hooks in compiled code. A region is compiled for the hooks that exist when it is
// compiled (Block.hooks, noted when the block was cached; adding or removing a hook drops the
// blocks it covers, and the regions holding them). Only blocks a hook covers get anything: a
// call into the hook table at the start of the block (block hooks) or before each hooked
// instruction (instruction and fetch hooks). Regions of blocks no hook covers are compiled
// exactly as without hooks: no call, no helper, no check.
//
// At a hook call the register and flag locals are written back (EIP = the hooked address), so
// the hook sees the machine as the interpreter would leave it; the general registers are loaded
// again after it if the hook changed them. When the hook stops the machine, moves EIP or
// changes anything else the region keeps in locals (EFLAGS, segment bases), the region leaves
// with the budget of the instructions not executed given back (the block's count was taken at
// its start), so the instruction count and EIP are exact.

import { type Node, id, num, t, assign, ifs, expr, call, brk, EXIT_LABEL } from "./ast.js";
import { type Emitter, REG_LOCALS, FLAG_LOCALS, rSlot } from "./emit.js";
import { simdBarrier } from "./simd.js";
import { EIP, FLAGS, FOP, FA, FB, FR } from "../hw/state.js";
import { HOOK_BLOCK, HOOK_GO_ON, HOOK_LEAVE, type CpuHooks } from "../hw/hooks.js";
import type { Cpu } from "../hw/cpu.js";
import type { Block } from "../decoder/block.js";

/** Helpers a region with hook calls adds to its table (HOOK_GO_ON, HOOK_LEAVE, HOOK_REGS). */
export const HOOK_HELPERS = {
  hookBlock: (c: Cpu, eip: number, size: number): number => (c.hooks as CpuHooks).block(eip, size),
  hookCode: (c: Cpu, eip: number, size: number): number => (c.hooks as CpuHooks).code(eip, size),
};

const FLAG_SLOTS = [FLAGS, FOP, FA, FB, FR];

/** Whether instruction k of b has an instruction hook. */
export function codeHooked(b: Block, k: number): boolean {
  return b.codeHooks !== null && b.codeHooks[k] !== 0;
}

export function blockHooked(b: Block): boolean {
  return (b.hooks & HOOK_BLOCK) !== 0;
}

/** Index of the first instruction of b from `k` on with an instruction hook (or its length). */
export function nextCodeHook(b: Block, k: number): number {
  const code = b.codeHooks;
  if (code === null) return b.insns.length;
  while (k < b.insns.length && code[k] === 0) k++;
  return k;
}

/** Emits a call of the block hooks (`helper` "hookBlock") or instruction hooks ("hookCode") of
 *  `eip`; `notRun` instructions of the block (counted at its start) have not run if it leaves. */
export function emitHookCall(em: Emitter, helper: keyof typeof HOOK_HELPERS, eip: number, size: number, notRun: number): void {
  const out: Node[] = [...simdBarrier(em)];
  out.push(expr(call(id("writeBack"), [id("c"), ...REG_LOCALS.map(id), ...FLAG_LOCALS.map(id), num(eip), num(0)])));
  out.push(assign(id("ip"), num(eip)));
  out.push(assign(id("e"), call(id(helper), [id("c"), num(eip), num(size)])));
  // Going on, only the general registers may have changed (the flag record in the locals is
  // still the truth); leaving, everything is taken from the register file, which the exit
  // writes back.
  const leave = [
    ...FLAG_LOCALS.map((f, k) => assign(id(f), rSlot(FLAG_SLOTS[k]))),
    assign(id("n"), t("n + $k | 0", { k: num(notRun) })), assign(id("pc"), rSlot(EIP)), brk(EXIT_LABEL),
  ];
  out.push(ifs(t("e !== $g", { g: num(HOOK_GO_ON) }), [...REG_LOCALS.map((r, k) => assign(id(r), rSlot(k))), ifs(t("e === $l", { l: num(HOOK_LEAVE) }), leave)]));
  em.emit(...out);
}
