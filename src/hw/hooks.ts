// What the CPU and the engine see of an embedder's hooks (the table itself is src/api/hooks.ts).
// Cpu.hooks is null while no hook exists, and every check below is on a slow path (a TLB miss,
// a decode, a region compile), so a machine without hooks pays nothing for them.

import type { Cpu } from "./cpu.js";

/** Bits of CpuHooks.watch: the page overlaps a read / write memory hook's range, so it never
 *  gets a TLB entry for that kind of access (every such access takes the slow path). */
export const WATCH_READ = 1;
export const WATCH_WRITE = 2;

export interface CpuHooks {
  /** Per virtual page (2^20 entries): WATCH_* bits. */
  readonly watch: Uint8Array;
  /** Whether a block hook covers the block starting at linear `eip`. */
  blockHooked(eip: number): boolean;
  /** Whether an instruction hook (or a fetch hook) covers the instruction at linear `eip`. */
  codeHooked(eip: number): boolean;
  /** Runs the block hooks for the block at `eip` (`size` bytes) before it executes, with the
   *  register file current and EIP = `eip`. Returns HOOK_GO_ON, HOOK_REGS (a hook changed
   *  general registers: compiled code reloads them) or HOOK_LEAVE (leave to the engine: the
   *  machine stops, or a hook moved EIP or changed EFLAGS, segments, hooks or code; Cpu.exit is
   *  then EXIT_HOOK). */
  block(eip: number, size: number): number;
  /** The same for the instruction hooks of the instruction at `eip`. */
  code(eip: number, size: number): number;
  /** A read of `size` bytes at `lin` on a watched page returned `value`. */
  read(lin: number, size: number, value: number): void;
  /** A write of `value` (`size` bytes) at `lin` on a watched page is about to be stored. */
  write(lin: number, size: number, value: number): void;
  /** Whether the engine should end its run after an EXIT_HOOK (false: go on at EIP). */
  ending(): boolean;
  /** Set by the engine while it runs an instruction again alone for its memory hooks (see
   *  HOOK_REPLAY), at linear `replayEip`. */
  replaying: boolean;
  replayEip: number;
}

/** Thrown by an access to a watched page outside a replay: the instruction is abandoned like a
 *  fault (registers as before it, in either tier) and the engine runs it again alone in the
 *  interpreter with `replaying` set, where the hooks are called with the register file exact. */
export class HookReplay {}
export const HOOK_REPLAY = new HookReplay();

/** What a block or instruction hook call asks of the code that made it. */
export const HOOK_GO_ON = 0;
export const HOOK_LEAVE = 1;
export const HOOK_REGS = 2;

/** Block.hooks bits: a block hook runs at the block's start; instruction hooks run before
 *  some of its instructions (Block.codeHooks says which). */
export const HOOK_BLOCK = 1;
export const HOOK_CODE = 2;

/** Thrown by a memory hook's dispatch when the hook stopped the machine or threw: the access
 *  is abandoned like a fault (the instruction has not completed, EIP is at it), and the run
 *  ends. */
export class HookAbort {}
export const HOOK_ABORT = new HookAbort();

/** Whether `lin`'s page is watched for `bit` (always false without hooks). */
export function watched(c: Cpu, lin: number, bit: number): boolean {
  const h = c.hooks;
  return h !== null && (h.watch[lin >>> 12] & bit) !== 0;
}
