// Basic blocks translated to WebAssembly (docs/wasm-tier.md): integer code (integer.ts), SSE
// integer code (simd.ts), and the stack and control transfers here: PUSH/POP of a register or
// immediate, LEAVE, and a block-ending JMP, CALL (direct or through a register or memory), RET
// or Jcc. A block with any other instruction is not taken (compileRegion returns null: it stays
// with the other tiers).
//
// The function reads the registers and the lazy-flags record from the state words (after the
// TLB arrays, PhysMemory.stateOffset) into locals, runs, and writes them back. Memory goes
// through the TLB inline; an access the TLB cannot serve (a miss, a page crossing) ends the
// block before that instruction does anything: the state is as it was after the instructions
// before it, EIP is at it, and the function returns how many instructions it retired, for the
// interpreter to go on. Flat segments only (the engine runs compiled code only then).

import { FnBuilder, buildModule, I32, F64, V128, OP, type ValType, type ModuleSpec } from "./asm.js";
import { simdName, emitSimd, usesMxcsr, type SimdContext } from "./simd.js";
import { intSupported, emitInt, condition, conditionFunction, flagsFunction, load, store, type IntContext } from "./integer.js";
import { type Insn, Op, K_R32, K_MEM, K_IMM, K_NONE, NO_REG } from "../../hw/isa.js";
import { EIP, EBP, ESP, EAX, ECX, ESI, EDI, MXCSR, CF, OF, DF, DS, FS, GS } from "../../hw/state.js";
import { faultOnlyRotates } from "../liveness.js";
import { condOf, cfOf, flagsOf } from "../../hw/flags.js";
import { TLB_KEY, type Cpu } from "../../hw/cpu.js";
import { TLB_ARRAY_BYTES, type PhysMemory } from "../../hw/memory.js";

/** State words: EAX..EDI, EIP, FLAGS, FOP, FA, FB, FR (as Cpu.r), then from XMM_WORD the XMM
 *  registers (as Cpu.sse.i32's first eight slots). */
const STATE_WORDS = 14;
const XMM_WORD = 16, XMM_WORDS = 32;
/** Elements a REP MOVS or STOS moves in compiled code before leaving the rest to the
 *  interpreter (which counts them as work for a scheduler's slice: Cpu.repWork). */
const REP_IN_WASM = 4096;
/** The state word MXCSR is copied to (read only). */
const MXCSR_WORD = 14;
/** The state words FS's base and limit, then GS's, are copied to (read only), for a region with
 *  FS- or GS-relative operands (usesSegments). */
const SEG_WORD = XMM_WORD + XMM_WORDS;

/** Whether `x` has a memory operand relative to FS or GS (a thread's TLS: glibc's stack
 *  protector reads its canary at %gs:0x14, and its system calls go through %gs:0x10). */
function segmentRelative(x: Insn): boolean {
  return (x.seg === FS || x.seg === GS) && x.op !== Op.LEA && (x.k0 === K_MEM || x.k1 === K_MEM || x.k2 === K_MEM);
}

export interface WasmBlock {
  /** Runs the block on `c` (whose memory it was compiled for); returns the instructions it
   *  retired (fewer than `insns` when it stopped before an access the TLB could not serve). */
  run(c: Cpu): number;
  readonly insns: number;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: Record<string, (n: number) => number> };
}
const WA = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

function supported(x: Insn): boolean {
  if (x.op === Op.SIMD) return simdName(x) !== null;
  // MOVS and STOS, with REP too, on flat segments (no override of MOVS's source)
  if (x.op === Op.MOVS || x.op === Op.STOS) return x.asz === 4 && x.lock === 0 && (x.osz === 1 || x.osz === 2 || x.osz === 4) && (x.op === Op.STOS || x.seg === DS);
  if (x.lock !== 0 || x.rep !== 0 || x.k2 !== K_NONE) return intSupported(x);
  const mem = (k: number): boolean => k !== K_MEM || (x.msz === 4 && x.asz === 4);
  switch (x.op) {
    case Op.JMP:
    case Op.CALL:
      return x.osz === 4 && x.k1 === K_NONE && (x.k0 === K_IMM || x.k0 === K_R32 || (x.k0 === K_MEM && mem(x.k0)));
    case Op.PUSH:
      return x.osz === 4 && (x.k0 === K_R32 || x.k0 === K_IMM || (x.k0 === K_MEM && mem(x.k0))) && x.k1 === K_NONE;
    case Op.POP:
      return x.osz === 4 && x.k0 === K_R32 && x.k1 === K_NONE;
    case Op.RET:
      return x.osz === 4 && (x.k0 === K_NONE || x.k0 === K_IMM);
    case Op.LEAVE:
      return x.osz === 4 && x.k0 === K_NONE;
    case Op.JCC:
      return x.k0 === K_IMM && x.k1 === K_NONE;
    default:
      return intSupported(x);
  }
}

/** The flags functions compiled code calls where the block does not know the flags' kind. */
const FLAG_IMPORTS = {
  cond: (fop: number, a: number, b: number, r: number, fl: number, cc: number): number => (condOf(fop, a, b, r, fl, cc) ? 1 : 0),
  cf: (fop: number, a: number, b: number, r: number, fl: number): number => cfOf(fop, a, b, r, fl),
  flags: (fop: number, a: number, b: number, r: number, fl: number): number => flagsOf(fop, a, b, r, fl),
};
const COND_FN = 0, CF_FN = 1, FLAGS_FN = 2;
/** The module's own flags functions (integer.ts conditionFunction and flagsFunction), after
 *  the imports and the region's function: they call the imports only for the kinds of record
 *  they do not compute. */
const COND_WASM = 4, FLAGS_WASM = 5;

/** Operations whose translation here sets CF and OF whenever liveness.ts counts them as
 *  overwriting both. */
const SETS_CF_OF = new Set<number>([Op.ADD, Op.SUB, Op.ADC, Op.SBB, Op.AND, Op.OR, Op.XOR, Op.CMP, Op.TEST, Op.NEG, Op.SHL, Op.SHR, Op.SAR, Op.ROL, Op.ROR, Op.IMUL]);

/** Whether this tier translates every instruction of a block (and its Jcc's condition). */
export function takes(insns: readonly Insn[]): boolean {
  return insns.length > 0 && insns.every(supported);
}

/** The block as a wasm function over `mem`, or null if it has a form this tier does not take. */
export function compileBlock(insns: readonly Insn[], mem: PhysMemory): WasmBlock | null {
  const r = compileRegion([insns], mem);
  return r === null ? null : { insns: insns.length, run: (c) => insns.length - r.run(c, insns.length) };
}

export interface WasmRegion {
  /** The module its function is made from (for a store to keep: compileRegion makes it again
   *  from these bytes for the same blocks, on a memory of the same layout). */
  readonly module: Uint8Array;
  /** Runs the region on `c` from its EIP with a budget of `n` instructions, block by block
   *  while the next block is one of the region's and the budget covers it; returns the budget
   *  left. EIP is then where it stopped: a block outside the region, one the budget did not
   *  cover, or an instruction whose access the TLB could not serve (the instructions before it
   *  retired). An EIP at none of its blocks' starts returns `n` at once. */
  run(c: Cpu, n: number): number;
}

/** Blocks (the first is the entry) as one wasm function over `mem` with a dispatch loop between
 *  them, or null if one has a form this tier does not take. With `module`, the bytes this made
 *  for the same blocks and memory layout before (WasmRegion.module, kept by a saved region): the
 *  translation is skipped, and if V8 refuses them, the blocks are translated after all. */
export function compileRegion(blocks: readonly (readonly Insn[])[], mem: PhysMemory, module: Uint8Array | null = null): WasmRegion | null {
  if (WA === undefined || mem.wasm === null || blocks.length === 0 || !blocks.every(takes)) return null;
  const xmmUsed = xmmRegisters(blocks);
  const usesSegments = blocks.some((insns) => insns.some(segmentRelative));
  // (double arithmetic is computed inline only with MXCSR in its default state and PE set)
  const mxcsr = blocks.some((insns) => insns.some((x) => x.op === Op.SIMD && usesMxcsr(simdName(x) as string)));
  if (module !== null) {
    const r = instantiate(module, mem, xmmUsed, mxcsr, usesSegments);
    if (r !== null) return r;
  }
  const bytes = translateRegion(blocks, mem, xmmUsed, mxcsr);
  return bytes === null ? null : instantiate(bytes, mem, xmmUsed, mxcsr, usesSegments);
}

/** The XMM registers the blocks' SSE instructions name (bit k for XMMk; XMM0 with any, for the
 *  forms that use it implicitly), 0 without SSE: the only ones a region copies in and out on
 *  each entry. (All eight were: 64 words through typed arrays and 16 v128 loads and stores per
 *  entry, where glibc's SSE string routines, entered once a call, name two to four.) A register
 *  number of another kind of operand adds one more, which costs a copy and nothing else. */
function xmmRegisters(blocks: readonly (readonly Insn[])[]): number {
  let used = 0;
  for (const insns of blocks) {
    for (const x of insns) {
      if (x.op !== Op.SIMD) continue;
      used |= 1;
      for (const r of [x.r0, x.r1, x.r2]) if (r >= 0 && r < 8) used |= 1 << r;
    }
  }
  return used;
}

/** The module of compileRegion's function (null if the builder refused it). */
function translateRegion(blocks: readonly (readonly Insn[])[], mem: PhysMemory, xmmUsed: number, mxcsr: boolean): Uint8Array | null {
  const usesXmm = xmmUsed !== 0;
  // (in address order: a block's code then follows the block it falls through from)
  blocks = [...blocks].sort((x, y) => (x[0].eip >>> 0) - (y[0].eip >>> 0));
  const f = new FnBuilder([I32], [I32]);
  const n = 0;
  const reg = Array.from({ length: 8 }, () => f.local(I32));
  const [fl, fop, fa, fb, fr, a, e, e2, v, at, p, w, res] = Array.from({ length: 13 }, () => f.local(I32));
  const xmm = usesXmm ? Array.from({ length: 8 }, () => f.local(V128)) : [];
  const [tmp, tmp2] = usesXmm ? [f.local(V128), f.local(V128)] : [-1, -1];
  const [da, db, dr] = usesXmm ? [f.local(F64), f.local(F64), f.local(F64)] : [-1, -1, -1];
  const state = mem.stateOffset, tlbR = mem.tlbOffset, tlbW = mem.tlbOffset + TLB_ARRAY_BYTES;
  const indexOf = new Map(blocks.map((insns, k) => [insns[0].eip, k]));
  /** The label whose end block k's code follows (the dispatch's br_table goes there). */
  const labels = blocks.map((_, k) => `b${k}`);
  const saved = [...reg, -1, fl, fop, fa, fb, fr]; // in state-word order; EIP is written apart
  /** CF and OF of a rotate whose flags nothing reads before they are overwritten (liveness.ts
   *  faultOnlyRotates), kept aside while `rotPending`: only a way out before the overwriting
   *  instruction has retired applies them, to the record made concrete. */
  const rx = f.local(I32);
  let rotPending = false;
  /** Where the run ends: EIP then (the write-back at the function's end stores it). */
  const outEip = f.local(I32);
  /** Ends the run with EIP as the i32 `eip()` leaves and the budget less `used`: through the
   *  function's one write-back of the locals (after the dispatch loop), which every way out
   *  branches to. Each way out wrote its own before, some 250 bytes of wasm for every memory
   *  access and block start: a 643-instruction region of glibc's strnlen and its caller was
   *  393 KB, which TurboFan took 5.4 s (and 570 MB) to compile, and ran slower than Liftoff. */
  const leave = (eip: () => void, used: number): void => {
    if (rotPending) {
      f.get(fop).get(fa).get(fb).get(fr).get(fl).call(FLAGS_WASM).i32(~(CF | OF)).op(OP.i32And).get(rx).op(OP.i32Or).set(fl);
      f.i32(0).set(fop);
    }
    eip();
    f.set(outEip);
    if (used !== 0) f.get(n).i32(used).op(OP.i32Sub).set(n);
    f.br("out");
  };
  /** The block being translated. */
  let cur = -1;
  /** Goes on at `target`: the region's block there, or out. A block going on at itself branches
   *  to its own start, and one going on at the next block (`last`: at the end of its code) falls
   *  into that block's code. A later block's code follows the end of its label, which is open
   *  around this block's code: a branch there goes straight to it. An earlier block is reached
   *  through the dispatch. */
  const goTo = (target: number, last = false): void => {
    const k = indexOf.get(target);
    if (k === undefined) leave(() => f.i32(target), 0);
    else if (k === cur) f.br(`self${k}`);
    else if (k > cur) {
      if (!last || k !== cur + 1) f.br(labels[k]);
    } else f.i32(k).set(at).br("dispatch");
  };
  /** Runs `found(k)` if local `l` holds the address of block k: a binary search over the
   *  blocks, which are in address order (a return in a region of 50 blocks compared its address
   *  with each of them in turn). */
  const search = (l: number, found: (k: number) => void, lo = 0, hi = blocks.length): void => {
    if (hi - lo <= 4) {
      for (let k = lo; k < hi; k++) {
        f.get(l).i32(blocks[k][0].eip).op(OP.i32Eq).if();
        found(k);
        f.end();
      }
      return;
    }
    const mid = (lo + hi) >> 1;
    f.get(l).i32(blocks[mid][0].eip).op(OP.i32LtU).if();
    search(l, found, lo, mid);
    f.else();
    search(l, found, mid, hi);
    f.end();
  };
  /** Goes on at the address in local `l`: the region's block there, or out (the dispatch loop
   *  looks it up: one search in the function, not one per return). */
  const goToDynamic = (l: number): void => {
    if (l !== v) f.get(l).set(v);
    f.i32(-1).set(at).br("dispatch");
  };
  // Registers in, and the entry block for EIP (none: the budget back, untouched).
  saved.forEach((l, k) => {
    if (l >= 0) f.i32(state + 4 * k).mem(OP.i32Load, 2).set(l);
  });
  xmm.forEach((l, k) => {
    if ((xmmUsed & (1 << k)) !== 0) f.i32(state + 4 * XMM_WORD + 16 * k).simd(0x00, 4, 0).set(l);
  });
  if (mxcsr) f.i32(state + 4 * MXCSR_WORD).mem(OP.i32Load, 2).i32(0xffe0).op(OP.i32And).i32(0x1fa0).op(OP.i32Ne).if().get(n).op(OP.return).end();
  // The block at EIP: looked up by the dispatch loop, as a return's is (at -1, address in v).
  f.i32(-1).set(at);
  f.i32(state + 4 * EIP).mem(OP.i32Load, 2).set(v);
  f.block("out");
  f.loop("dispatch");
  f.block("found");
  f.get(at).i32(0).op(OP.i32GeS).brIf("found");
  search(v, (k) => f.i32(k).set(at).br("found"));
  leave(() => f.get(v), 0);
  f.end(); // found
  f.block("none");
  for (let k = blocks.length - 1; k >= 0; k--) f.block(labels[k]);
  f.get(at).brTable(labels, "none");
  blocks.forEach((insns, k) => {
    f.end(); // this block's code follows
    cur = k;
    f.loop(`self${k}`);
    // The budget covers the whole block, or it is not begun.
    f.get(n).i32(insns.length).op(OP.i32LtS).if();
    leave(() => f.i32(insns[0].eip), 0);
    f.end();
    emitBlock(insns);
    f.end(); // (the next block's code follows a block that falls through)
  });
  f.end(); // none (never taken)
  f.get(n).op(OP.return);
  f.end(); // dispatch
  f.end(); // out: the locals back, EIP, and the budget left
  saved.forEach((l, k) => {
    if (l >= 0) f.i32(state + 4 * k).get(l).mem(OP.i32Store, 2);
  });
  xmm.forEach((l, k) => {
    if ((xmmUsed & (1 << k)) !== 0) f.i32(state + 4 * XMM_WORD + 16 * k).get(l).simd(0x0b, 4, 0);
  });
  f.i32(state + 4 * EIP).get(outEip).mem(OP.i32Store, 2);
  f.get(n);

  function emitBlock(insns: readonly Insn[]): void {
    /** The instruction being translated (its index in the block). */
    let current = 0;
    /** The effective address of x's memory operand into local a. */
    const address = (x: Insn): void => {
      f.i32(x.disp);
      if (x.base !== NO_REG && x.base >= 0) f.get(reg[x.base]).op(OP.i32Add);
      if (x.index !== NO_REG && x.index >= 0) f.get(reg[x.index]).i32(x.scale).op(OP.i32Shl).op(OP.i32Add);
      if (segmentRelative(x)) {
        // FS or GS: its base added; a limit below 4 GiB (-1) ends the run before the
        // instruction, whose access the interpreter checks (as the JavaScript tier calls
        // segLimit then)
        const word = state + 4 * (SEG_WORD + (x.seg === GS ? 2 : 0));
        f.i32(word + 4).mem(OP.i32Load, 2).i32(-1).op(OP.i32Ne).if();
        leave(() => f.i32(x.eip), current);
        f.end();
        f.i32(word).mem(OP.i32Load, 2).op(OP.i32Add);
      }
      f.set(a);
    };
    /** Leaves the physical address of the `size` bytes at local a on the stack, or ends the run
     *  before instruction k (at `eip`) when the TLB (read or write) cannot serve them. */
    /** Replaces the linear address on the stack with its TLB entry (read or write; its low 12
     *  bits are zero when the TLB maps the page, and it XORs with the address to the physical). */
    const tlbEntry = (write: boolean): void => {
      f.i32(12).op(OP.i32ShrU).i32(2).op(OP.i32Shl).mem(OP.i32Load, 2, write ? tlbW : tlbR).i32(TLB_KEY).op(OP.i32Xor);
    };
    const translate = (write: boolean, k: number, eip: number, size = 4): void => {
      f.get(a);
      tlbEntry(write);
      f.set(e);
      f.get(e).i32(0xfff).op(OP.i32And).get(a).i32(0xfff).op(OP.i32And).i32(0x1000 - size).op(OP.i32GtU).op(OP.i32Or);
      f.if();
      leave(() => f.i32(eip), k);
      f.end();
      f.get(e).get(a).op(OP.i32Xor);
    };
    /** Leaves the TLB entry for the linear address `lin()` leaves in local `into`, or ends the
     *  run before instruction k when the TLB has none. */
    const entry = (lin: () => void, into: number, k: number, eip: number): void => {
      lin();
      tlbEntry(false);
      f.tee(into).i32(0xfff).op(OP.i32And).if();
      leave(() => f.i32(eip), k);
      f.end();
    };
    /** Leaves the 16 bytes at local a on the stack, or ends the run before instruction k when the
     *  TLB cannot serve them; bytes across two pages the TLB has are put together from both. */
    const load16 = (k: number, eip: number): void => {
      const iota = Array.from({ length: 16 }, (_, b) => b);
      entry(() => f.get(a), e, k, eip);
      f.get(a).i32(0xfff).op(OP.i32And).i32(0xff0).op(OP.i32GtU).if("", V128);
      entry(() => f.get(a).i32(15).op(OP.i32Add), e2, k, eip);
      // the first page's bytes where the lane is below n = 4096 - (a & 0xfff), the second's after
      f.get(e).get(a).op(OP.i32Xor).simd(0x00, 0, 0);
      f.simd(0x0c, ...iota).i32(0x1000).get(a).i32(0xfff).op(OP.i32And).op(OP.i32Sub).simd(0x0f).simd(0x26).simd(0x4e);
      f.get(e2).get(a).i32(15).op(OP.i32Add).i32(~0xfff).op(OP.i32And).op(OP.i32Xor).simd(0x00, 0, 0);
      f.simd(0x0c, ...iota).i32(0x1000).get(a).i32(0xfff).op(OP.i32And).op(OP.i32Sub).simd(0x0f).simd(0x71).simd(0x0e);
      f.simd(0x50);
      f.else();
      f.get(e).get(a).op(OP.i32Xor).simd(0x00, 0, 0);
      f.end();
    };
    const operand = (x: Insn, k: number, r: number): void => {
      if (k === K_IMM) f.i32(x.imm);
      else if (k === K_MEM) f.get(v);
      else f.get(reg[r]);
    };
    const int: IntContext = { f, reg, a, p, v, w, res, fl, fop, fa, fb, fr, rx, known: -1, address, translate, condFn: COND_WASM, cfFn: CF_FN, flagsFn: FLAGS_WASM, deferRotate: false };
    // (only where what ends the window sets CF and OF itself, as the interpreter does: BSF and
    // BSR count as writing them, being undefined there, but keep them)
    const rotateEnds = faultOnlyRotates(insns).map((j) => (j >= 0 && SETS_CF_OF.has(insns[j].op) ? j : -1));
    /** The instruction whose retiring ends the rotate window under way (-1: none). */
    let rotEnd = -1;
    const simd: SimdContext = {
      f, reg, xmm, tmp, tmp2, da, db, dr, int, address, translate, load16,
      aligned: (k: number, eip: number): void => {
        f.get(a).i32(15).op(OP.i32And).if();
        leave(() => f.i32(eip), k);
        f.end();
      },
      unless: (k: number, eip: number): void => {
        f.op(OP.i32Eqz).if();
        leave(() => f.i32(eip), k);
        f.end();
      },
    };
    /** The dword at [local a] into local `into`, or the run ends before instruction k. */
    const read32 = (k: number, eip: number, into: number): void => {
      translate(false, k, eip, 4);
      f.mem(OP.i32Load, 0).set(into);
    };
    /** MOVS or STOS (x, instruction k), as hw/interp/string.ts: an element moved at a time,
     *  ESI and EDI stepped by DF, ECX counted down under REP; where the TLB cannot serve an
     *  element, or after REP_IN_WASM of them, the run ends before the instruction with the
     *  elements done retired (the interpreter goes on from there, as after a fault). */
    const stringOp = (x: Insn, k: number): void => {
      const size = x.osz, movs = x.op === Op.MOVS, rep = x.rep !== 0, label = `str${cur}_${k}`;
      // the step into local w: -size with DF set
      f.get(fl).i32(DF).op(OP.i32And).if().i32(-size).set(w).else().i32(size).set(w).end();
      if (rep) {
        f.i32(0).set(e2);
        f.block(`${label}done`).loop(label);
        f.get(reg[ECX]).op(OP.i32Eqz).brIf(`${label}done`);
        f.get(e2).i32(REP_IN_WASM).op(OP.i32GeU).if();
        leave(() => f.i32(x.eip), k);
        f.end();
      }
      // (STOS stores AL, AX or EAX: the store of `size` bytes takes EAX's low ones)
      if (movs) {
        f.get(reg[ESI]).set(a);
        translate(false, k, x.eip, size);
        load(f, size);
        f.set(v);
      }
      f.get(reg[EDI]).set(a);
      translate(true, k, x.eip, size);
      f.get(movs ? v : reg[EAX]);
      store(f, size);
      if (movs) f.get(reg[ESI]).get(w).op(OP.i32Add).set(reg[ESI]);
      f.get(reg[EDI]).get(w).op(OP.i32Add).set(reg[EDI]);
      if (rep) {
        f.get(reg[ECX]).i32(1).op(OP.i32Sub).set(reg[ECX]);
        f.get(e2).i32(1).op(OP.i32Add).set(e2);
        f.br(label).end().end();
      }
    };
    insns.forEach((x, k) => {
      current = k;
      switch (x.op) {
        case Op.SIMD:
          emitSimd(simd, x, k, simdName(x) as string);
          break;
        case Op.PUSH:
        case Op.CALL:
          // a call's target (from a register or memory), or the dword pushed from memory, into
          // local v first (read at ESP as it was before the push)
          if (x.k0 === K_MEM) {
            address(x);
            read32(k, x.eip, v);
          } else if (x.op === Op.CALL && x.k0 === K_R32) f.get(reg[x.r0]).set(v);
          // ESP - 4 written first (a fault leaves ESP as it was), then ESP
          f.get(reg[ESP]).i32(4).op(OP.i32Sub).set(a);
          translate(true, k, x.eip);
          if (x.op === Op.CALL) f.i32(x.next);
          else operand(x, x.k0, x.r0);
          f.mem(OP.i32Store, 0);
          f.get(a).set(reg[ESP]);
          break;
        case Op.POP:
        case Op.RET:
          f.get(reg[ESP]).set(a);
          read32(k, x.eip, v);
          f.get(reg[ESP]).i32(x.op === Op.RET && x.k0 === K_IMM ? 4 + (x.imm & 0xffff) : 4).op(OP.i32Add).set(reg[ESP]);
          if (x.op === Op.POP) f.get(v).set(reg[x.r0]); // (pop esp: the value read)
          break;
        case Op.LEAVE:
          f.get(reg[EBP]).set(a);
          read32(k, x.eip, v);
          f.get(reg[EBP]).i32(4).op(OP.i32Add).set(reg[ESP]);
          f.get(v).set(reg[EBP]);
          break;
        case Op.JMP:
          if (x.k0 === K_MEM) {
            address(x);
            read32(k, x.eip, v);
          } else if (x.k0 === K_R32) f.get(reg[x.r0]).set(v);
          break;
        case Op.MOVS:
        case Op.STOS:
          stringOp(x, k);
          break;
        case Op.JCC:
          break; // (the block's end, below)
        default:
          int.deferRotate = rotateEnds[k] >= 0;
          emitInt(int, x, k);
          if (int.deferRotate) {
            rotPending = true;
            rotEnd = rotateEnds[k];
          }
      }
      // (the instruction that overwrites the rotate's CF and OF has retired: they are its now)
      if (k === rotEnd) {
        rotPending = false;
        rotEnd = -1;
      }
    });
    // The block retired: its instructions off the budget, then on to its successor.
    f.get(n).i32(insns.length).op(OP.i32Sub).set(n);
    const last = insns[insns.length - 1];
    if ((last.op === Op.JMP || last.op === Op.CALL) && last.k0 === K_IMM) goTo(last.target, true);
    else if (last.op === Op.RET || last.op === Op.JMP || last.op === Op.CALL) goToDynamic(v);
    else if (last.op === Op.JCC) {
      condition(int, last.cc & 15);
      f.if();
      goTo(last.target);
      f.end();
      goTo(last.next, true);
    } else goTo(last.next, true);
  }

  try {
    const sig5: ValType[] = [I32, I32, I32, I32, I32];
    const imports: NonNullable<ModuleSpec["imports"]> = [
      { module: "m", name: "cond", params: [...sig5, I32], results: [I32] },
      { module: "m", name: "cf", params: sig5, results: [I32] },
      { module: "m", name: "flags", params: sig5, results: [I32] },
    ];
    return buildModule({ memory: { module: "m", name: "mem", pages: mem.wasmPages }, imports, funcs: [
      { name: "run", fn: f },
      { name: "cond", fn: conditionFunction(COND_FN) },
      { name: "flags", fn: flagsFunction(FLAGS_FN) },
    ] });
  } catch {
    return null;
  }
}

/** compileRegion's function from its module (null if V8 refuses the module, or `mem` is not
 *  what it was made for: an instance's import of a memory smaller than the module says fails). */
function instantiate(module: Uint8Array, mem: PhysMemory, xmmUsed: number, mxcsr: boolean, usesSegments: boolean): WasmRegion | null {
  if (WA === undefined || mem.wasm === null) return null;
  let exports: Record<string, (n: number) => number>;
  try {
    exports = new WA.Instance(new WA.Module(module), { m: { mem: mem.wasm, ...FLAG_IMPORTS } }).exports;
  } catch {
    return null;
  }
  const fn = exports.run;
  if (typeof fn !== "function") return null;
  /** The words of the XMM registers copied (xmmRegisters). */
  const xw: number[] = [];
  for (let k = 0; k < 8; k++) if ((xmmUsed & (1 << k)) !== 0) xw.push(4 * k, 4 * k + 1, 4 * k + 2, 4 * k + 3);
  const usesXmm = xw.length !== 0;
  return {
    module,
    run(c: Cpu, budget: number): number {
      // (element by element: subarray() views cost an allocation each, and a call's copies
      // made more garbage than anything else in a run of imgfilter)
      const s = mem.stateOffset >>> 2, w = mem.words, r = c.r;
      for (let k = 0; k < STATE_WORDS; k++) w[s + k] = r[k];
      if (mxcsr) w[s + MXCSR_WORD] = r[MXCSR];
      if (usesSegments) {
        const o = s + SEG_WORD;
        w[o] = c.sbase[FS];
        w[o + 1] = c.slimit[FS];
        w[o + 2] = c.sbase[GS];
        w[o + 3] = c.slimit[GS];
      }
      if (usesXmm) {
        const x = c.sse.i32, o = s + XMM_WORD;
        for (let j = 0; j < xw.length; j++) w[o + xw[j]] = x[xw[j]];
      }
      const left = fn(budget);
      for (let k = 0; k < STATE_WORDS; k++) r[k] = w[s + k];
      if (usesXmm) {
        const x = c.sse.i32, o = s + XMM_WORD;
        for (let j = 0; j < xw.length; j++) x[xw[j]] = w[o + xw[j]];
      }
      return left;
    },
  };
}
