// Basic-block discovery: guest bytes at a linear address → a run of decoded instructions ending
// at the first control transfer (or exit, or size limit). Bytes are fetched through the CPU's
// page tables; an instruction may straddle into the next page, but a block never starts an
// instruction beyond its first page, so invalidating a page drops every block that read it.

import type { Cpu } from "../hw/cpu.js";
import { CS, CR0_PE, FLAGS, VM } from "../hw/state.js";
import { DESC_DB, DESC_S } from "../hw/segment.js";
import { type Insn, newInsn, FLOW_NEXT, Op } from "../hw/isa.js";
import { markCodePage } from "../hw/mmu.js";
import { PAGE_SHIFT } from "../hw/memory.js";
import { loadIced, type IcedInstruction, type IcedDecoder } from "./iced.js";
import { armSeed } from "./seed.js";
import { fastInsn, fastStraddles, learn } from "./fast.js";
import { convert, mayHavePrefix } from "./convert.js";
import { findDecoded, keepDecoded } from "./shared.js";
import { specialize } from "../hw/interp/special.js";
import { settleFields } from "../hw/v8fields.js";

/** Longest block, in instructions. */
export const MAX_BLOCK_INSNS = 128;
/** Bytes of the first page decoded at most per block. */
const WINDOW = 1024;
/** Longest x86 instruction. */
const MAX_INSN_LEN = 15;

/** An empty array in V8's elements kind for objects (kinds only ever widen). */
export function objectArray<T>(): T[] {
  const a: unknown[] = [null];
  a.pop();
  return a as T[];
}

/** Block.misalignedAt of a block the interpreter met no misaligned access in (shared, never
 *  added to). */
export const NO_MISALIGNED: ReadonlySet<number> = new Set<number>();

/** Block.succ of a block no successor was recorded for yet, shared (never added to: the engine
 *  gives a block an array of its own with its first successor, jit/engine.ts addSucc). Most
 *  blocks never get one (python3 -c pass: 38,000 blocks, an array each was 2 MB of its heap). */
export const NO_SUCC: Block[] = objectArray();

export class Block {
  /** Physical page(s) whose bytes the block was decoded from (ppn1 = -1 if only one). */
  ppn1 = -1;
  /** Set when a write to one of its pages dropped it. */
  valid = true;
  /** Times executed (the interpreter counts; the JIT's tiering reads it). */
  execs = 0;
  /** The CPU's instruction count when it was decoded, that is at its first execution (the
   *  JIT's tiering reads how often it ran since: jit/engine.ts DUE_RATE). */
  born = 0;
  /** The JIT's compiled form (opaque to the decoder). */
  compiled: unknown = null;
  /** Set when the JIT failed on this block: it stays interpreted. */
  nojit = false;
  /** Its instructions the interpreter saw access memory at an address not aligned to the
   *  access's size (Cpu.misaligned), whose accesses the JIT makes of any alignment inline.
   *  NO_MISALIGNED until the interpreter first meets such an access in the block, which it
   *  runs instruction by instruction, noting them, from then on (interp/run.ts execNoting):
   *  a whole block of DataView accesses cost Debian's bash loop 9% more CPU. */
  misalignedAt: ReadonlySet<number> = NO_MISALIGNED;
  /** Not to be compiled to WebAssembly again: a wasm region it was in gave too little work per
   *  entry (jit/wasm/region.ts). */
  nowasm = false;
  /** Whether the wasm tier translates every instruction of the block (jit/wasm/block.ts takes):
   *  0 not asked yet, 1 it does, -1 it does not. Asked again for each loop looked for through
   *  the block, it was most of the time taken looking. */
  wasmTakes = 0;
  /** Blocks seen to run right after this one (up to engine.ts MAX_SUCC), for region formation:
   *  NO_SUCC until the first. Made in V8's elements kind for objects (objectArray): an empty
   *  literal's is the one for small integers, which the first block pushed changed, and the
   *  engine's loop (where it is pushed) was optimised for one kind and deoptimised ("not a Smi")
   *  at the other, then compiled again. */
  succ: Block[] = NO_SUCC;
  /** How many successors the engine records in `succ`: 1 until it records the first, then its
   *  cap for the block (jit/engine.ts addSucc). */
  succCap = 1;
  /** Embedder hooks covering the block (hw/hooks.ts): HOOK_BLOCK, HOOK_CODE; and with
   *  HOOK_CODE, which instructions (nonzero: hooked). Set when the block is cached; adding or
   *  removing a hook drops the blocks whose addresses it covers, so these never go stale. */
  hooks = 0;
  codeHooks: Uint8Array | null = null;
  /** The TLB entry that maps this block's page as it was decoded: physical XOR linear. */
  readonly tag: number;
  /** The next block cached for the same physical address (decoded at another linear page, or
   *  for another code segment: BlockCache). */
  alias: Block | null = null;
  /** What one execution costs the interpreter against a block of as many integer instructions:
   *  1, up to FP_COST for a block of x87 and SIMD instructions only (the JIT's tiering counts
   *  executions times this: jit/engine.ts), or 1 once the engine found it on no loop of its own
   *  function's code, where coming due early does not pay (jit/localloop.ts). */
  weight: number;

  constructor(
    /** Address of the first instruction: its offset in the code segment (the linear address
     *  in flat code, where the segment's base is 0). */
    readonly eip: number,
    /** Physical address of the first instruction. */
    readonly phys: number,
    readonly insns: Insn[],
    /** The code segment's base and default size (16 or 32) it was decoded for. */
    readonly csBase = 0,
    readonly bits = 32,
  ) {
    this.tag = (phys ^ eip) | 0;
    this.weight = weightOf(insns);
  }

  get ppn0(): number {
    return this.phys >>> PAGE_SHIFT;
  }

  /** Address after the last instruction. */
  get end(): number {
    return this.insns[this.insns.length - 1].next;
  }
}

/** What an x87 or SIMD instruction costs the interpreter, in integer instructions. Each goes
 *  through an operand loader and a handler on a register file in typed arrays (the x87's in
 *  soft-float): in the warm-up of an SSE2 n-body (perf/programs/nbody.c with -mfpmath=sse),
 *  358k interpreted instructions, most of them SSE, took about 100 ms, 280 ns each, where
 *  integer code is interpreted at 20-50 ns. */
export const FP_COST = 5;

function weightOf(insns: readonly Insn[]): number {
  let fp = 0;
  // (indexed loops here and in decode: a for-of makes an iterator and calls it per element,
  // which counts while V8 still runs the decoder in its baseline tiers)
  for (let k = 0; k < insns.length; k++) if (insns[k].op === Op.FPU || insns[k].op === Op.SIMD) fp++;
  return fp === 0 ? 1 : (insns.length + fp * (FP_COST - 1)) / insns.length;
}

// (hw/v8fields.ts: the fields the engine writes, settled before anything is optimised)
// (weight: a double from the first block, which has no x87 or SIMD instruction: a whole number
// is kept as a small integer, and the first fractional weight would change its representation)
settleFields(new Block(0, 0, []), { ppn1: [1], valid: [false], execs: [1], compiled: [{}, []], nojit: [true], nowasm: [true], wasmTakes: [-1], succCap: [128], hooks: [1], codeHooks: [new Uint8Array(1)], weight: [0.5], alias: [new Block(0, 0, [])], born: [2 ** 40 + 0.5] });

/** The code segment's default size: 16 in real and virtual-8086 mode and for code segments
 *  with the D bit clear, else 32. */
export function codeBits(c: Cpu): number {
  if ((c.cr0 & CR0_PE) === 0 || (c.r[FLAGS] & VM) !== 0) return 16;
  // a CS whose cache holds no code descriptor (set up by the host, never loaded) runs 32-bit
  const a = c.sattr[CS];
  return (a & DESC_DB) !== 0 || (a & DESC_S) === 0 ? 32 : 16;
}

/** Decodes blocks from guest memory. One long-lived iced Instruction is reused, made when iced
 *  first decodes (iced-x86 is loaded only then: iced.ts). */
export class BlockDecoder {
  private insOrNull: IcedInstruction | null = null;
  private readonly buf = new Uint8Array(WINDOW + MAX_INSN_LEN);
  /** Blocks decoded so far (statistics). */
  decoded = 0;

  constructor() {
    // (the forms the build learned, read if a form not known yet is met: seed.ts)
    armSeed();
  }

  /**
   * Decodes the block at linear address `eip`. Throws a #PF Fault if the first instruction's
   * bytes are not mapped. `mark` makes the pages read-protected for code-write detection (false
   * for one-off decodes that are not cached).
   */
  decode(c: Cpu, eip: number, mark = true, maxInsns = MAX_BLOCK_INSNS): Block {
    const base = c.sbase[CS], bits = codeBits(c);
    const lin = (base + eip) | 0;
    const phys = c.fetchPhys(lin);
    const inPage = 0x1000 - (lin & 0xfff);
    const first = Math.min(inPage, WINDOW);
    this.copy(c, phys, 0, first);
    // (one-off decodes, of one instruction, are not what other machines run)
    const shared = mark && maxInsns === MAX_BLOCK_INSNS;
    const known = shared ? findDecoded(this, this.buf, first, eip | 0, bits) : null;
    if (known !== null) return this.made(c, eip, phys, known, -1, base, bits, mark);
    const insns: Insn[] = [];
    let ppn1 = -1;
    // iced's Decoder is made only for an instruction the fast path (fast.ts) does not decode.
    let d: IcedDecoder | null = null;
    let pos = 0;
    try {
      while (insns.length < maxInsns && pos < first) {
        const at = (eip + pos) | 0;
        const fx = bits === 32 ? fastInsn(this.buf, pos, first, at) : null;
        if (fx !== null) {
          pos += fx.len;
          insns.push(fx);
          if (fx.flow !== FLOW_NEXT) break;
          continue;
        }
        const x = newInsn();
        // Whether the window ends inside this instruction: the fast path knows for a learned
        // form at the page end (without loading iced), else iced finds out.
        let cut = bits === 32 && first === inPage && fastStraddles(this.buf, pos, first);
        let len = 0;
        if (!cut) {
          d ??= new (loadIced().Decoder)(bits, this.buf.subarray(0, first), 0);
          d.position = pos;
          d.ip = BigInt(at >>> 0);
          d.decodeOut(this.ins);
          cut = d.lastError === loadIced().DecoderError.NoMoreBytes;
          len = d.position - pos;
        }
        if (cut) {
          // The window ends inside this instruction. At a window boundary, end the block; at the
          // page end, the instruction straddles into the next page, which must be mapped (if it
          // is not, the fetch faults only when this instruction is the one to execute).
          if (first !== inPage) break;
          let p2: number;
          try {
            p2 = c.fetchPhys((lin + inPage) | 0);
          } catch (e) {
            if (insns.length === 0) throw e;
            break;
          }
          insns.push(this.decodeStraddling(c, at, pos, first, p2, bits));
          ppn1 = p2 >>> PAGE_SHIFT;
          break;
        }
        convert(this.ins, x, at, len, mayHavePrefix(this.buf[pos]));
        if (bits === 32) learn(x);
        pos += len;
        insns.push(x);
        if (x.flow !== FLOW_NEXT) break;
      }
    } finally {
      d?.free();
    }
    // (after the fast path learned its forms: a form's template keeps the generic handler)
    for (let k = 0; k < insns.length; k++) specialize(insns[k]);
    // (a copy of exactly its length: grown by push, a block's array of 5 instructions had room
    // for 17, about 100 bytes more per block, 3.6 MB of python3 -c pass's 38,000 blocks)
    const exact = insns.slice();
    // Kept for other machines if it ended on its own (see shared.ts).
    const last = exact[exact.length - 1];
    if (shared && ppn1 < 0 && exact.length > 0 && (last.flow !== FLOW_NEXT || exact.length === maxInsns)) keepDecoded(this, this.buf, first, pos, eip | 0, bits, exact);
    return this.made(c, eip, phys, exact, ppn1, base, bits, mark);
  }

  private made(c: Cpu, eip: number, phys: number, insns: Insn[], ppn1: number, base: number, bits: number, mark: boolean): Block {
    const b = new Block(eip | 0, phys, insns, base, bits);
    b.ppn1 = ppn1;
    if (mark) {
      markCodePage(c, b.ppn0);
      if (ppn1 >= 0) markCodePage(c, ppn1);
    }
    this.decoded++;
    return b;
  }

  /** Decodes the instruction at window offset `pos` whose bytes continue at physical `p2`. */
  private decodeStraddling(c: Cpu, eip: number, pos: number, first: number, p2: number, bits: number): Insn {
    const head = first - pos;
    this.buf.copyWithin(0, pos, first);
    this.copy(c, p2, head, MAX_INSN_LEN);
    if (bits === 32) {
      const x = fastInsn(this.buf, 0, head + MAX_INSN_LEN, eip);
      if (x !== null) return x;
    }
    const d = new (loadIced().Decoder)(bits, this.buf.subarray(0, head + MAX_INSN_LEN), 0);
    let len: number;
    try {
      d.ip = BigInt(eip >>> 0);
      d.decodeOut(this.ins);
      len = d.position;
    } finally {
      d.free();
    }
    const x = newInsn();
    convert(this.ins, x, eip, len, mayHavePrefix(this.buf[0]));
    return x;
  }

  private get ins(): IcedInstruction {
    return (this.insOrNull ??= new (loadIced().Instruction)());
  }

  /** Copies `n` code bytes from physical address `p` into the window at `at`. */
  private copy(c: Cpu, p: number, at: number, n: number): void {
    if (p + n <= c.mem.size) this.buf.set(c.u8.subarray(p, p + n), at);
    else this.buf.fill(0xff, at, at + n); // executing outside RAM: reads as all-ones
  }
}
