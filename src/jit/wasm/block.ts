// A basic block translated to one WebAssembly function (docs/wasm-tier.md), for the integer
// forms a first version handles: dword moves between registers, immediates and memory, LEA,
// ADD/SUB/AND/OR/XOR/CMP/TEST on registers and immediates, PUSH and POP of a register (and PUSH
// of an immediate), and a block-ending JMP, CALL, RET or Jcc whose flags the block itself set. Anything else, or a Jcc reading flags from before the block, and
// compileBlock returns null (the block stays with the other tiers).
//
// The function reads the registers and the lazy-flags record from the state words (after the
// TLB arrays, PhysMemory.stateOffset) into locals, runs, and writes them back. Memory goes
// through the TLB inline; an access the TLB cannot serve (a miss, a page crossing) ends the
// block before that instruction does anything: the state is as it was after the instructions
// before it, EIP is at it, and the function returns how many instructions it retired, for the
// interpreter to go on. Flat segments only (the engine runs compiled code only then).

import { FnBuilder, buildModule, I32, V128, OP } from "./asm.js";
import { simdName, emitSimd } from "./simd.js";
import { type Insn, Op, K_R32, K_MEM, K_IMM, K_NONE, NO_REG } from "../../hw/isa.js";
import { EIP } from "../../hw/state.js";
import { FK_ADD, FK_SUB, FK_LOGIC } from "../../hw/flags.js";
import { TLB_KEY, type Cpu } from "../../hw/cpu.js";
import { TLB_ARRAY_BYTES, type PhysMemory } from "../../hw/memory.js";

/** State words: EAX..EDI, EIP, FLAGS, FOP, FA, FB, FR (as Cpu.r), then from XMM_WORD the XMM
 *  registers (as Cpu.sse.i32's first eight slots). */
const STATE_WORDS = 14;
const XMM_WORD = 16, XMM_WORDS = 32;

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

/** The flags kinds whose conditions are computed here (dword operations). */
const KNOWN = new Set([FK_ADD, FK_SUB, FK_LOGIC]);

function supported(x: Insn): boolean {
  if (x.op === Op.SIMD) return simdName(x) !== null;
  if (x.lock !== 0 || x.rep !== 0 || x.k2 !== K_NONE) return false;
  const mem = (k: number): boolean => k !== K_MEM || (x.msz === 4 && x.asz === 4 && x.seg !== 4 && x.seg !== 5);
  switch (x.op) {
    case Op.MOV:
      return x.osz === 4 && mem(x.k0) && mem(x.k1) && ((x.k0 === K_R32 && (x.k1 === K_R32 || x.k1 === K_IMM || x.k1 === K_MEM)) || (x.k0 === K_MEM && (x.k1 === K_R32 || x.k1 === K_IMM)));
    case Op.LEA:
      return x.osz === 4 && x.asz === 4 && x.k0 === K_R32 && x.k1 === K_MEM;
    case Op.NEG:
      return x.osz === 4 && x.k0 === K_R32 && x.k1 === K_NONE;
    case Op.ADD: case Op.SUB: case Op.AND: case Op.OR: case Op.XOR: case Op.CMP: case Op.TEST:
      return x.osz === 4 && x.k0 === K_R32 && (x.k1 === K_R32 || x.k1 === K_IMM);
    case Op.JMP:
    case Op.CALL:
      return x.k0 === K_IMM && x.k1 === K_NONE && x.osz === 4;
    case Op.PUSH:
      return x.osz === 4 && (x.k0 === K_R32 || x.k0 === K_IMM) && x.k1 === K_NONE;
    case Op.POP:
      return x.osz === 4 && x.k0 === K_R32 && x.k1 === K_NONE;
    case Op.RET:
      return x.osz === 4 && x.k0 === K_NONE;
    case Op.JCC:
      return x.k0 === K_IMM && x.k1 === K_NONE;
    default:
      return false;
  }
}

/** The flags kind an instruction records, or -1 if it records none. */
function kindOf(x: Insn): number {
  switch (x.op) {
    case Op.ADD: return FK_ADD;
    case Op.SUB: case Op.CMP: case Op.NEG: return FK_SUB;
    case Op.AND: case Op.OR: case Op.XOR: case Op.TEST: return FK_LOGIC;
    default: return -1;
  }
}

/** Whether this tier translates every instruction of a block (and its Jcc's condition). */
export function takes(insns: readonly Insn[]): boolean {
  if (insns.length === 0) return false;
  let kind = -1;
  for (const x of insns) {
    if (!supported(x)) return false;
    if (x.op === Op.JCC && !KNOWN.has(kind)) return false;
    const k = kindOf(x);
    if (k >= 0) kind = k;
  }
  return true;
}

/** The block as a wasm function over `mem`, or null if it has a form this tier does not take. */
export function compileBlock(insns: readonly Insn[], mem: PhysMemory): WasmBlock | null {
  const r = compileRegion([insns], mem);
  return r === null ? null : { insns: insns.length, run: (c) => insns.length - r.run(c, insns.length) };
}

export interface WasmRegion {
  /** Runs the region on `c` from its EIP with a budget of `n` instructions, block by block
   *  while the next block is one of the region's and the budget covers it; returns the budget
   *  left. EIP is then where it stopped: a block outside the region, one the budget did not
   *  cover, or an instruction whose access the TLB could not serve (the instructions before it
   *  retired). An EIP at none of its blocks' starts returns `n` at once. */
  run(c: Cpu, n: number): number;
}

/** Blocks (the first is the entry) as one wasm function over `mem` with a dispatch loop between
 *  them, or null if one has a form this tier does not take. */
export function compileRegion(blocks: readonly (readonly Insn[])[], mem: PhysMemory): WasmRegion | null {
  if (WA === undefined || mem.wasm === null || blocks.length === 0 || !blocks.every(takes)) return null;
  // (in address order: a block's code then follows the block it falls through from)
  blocks = [...blocks].sort((x, y) => (x[0].eip >>> 0) - (y[0].eip >>> 0));
  const f = new FnBuilder([I32], [I32]);
  const n = 0;
  const reg = Array.from({ length: 8 }, () => f.local(I32));
  const [fl, fop, fa, fb, fr, a, e, e2, v, at] = Array.from({ length: 10 }, () => f.local(I32));
  const usesXmm = blocks.some((insns) => insns.some((x) => x.op === Op.SIMD));
  const xmm = usesXmm ? Array.from({ length: 8 }, () => f.local(V128)) : [];
  const tmp = usesXmm ? f.local(V128) : -1;
  const state = mem.stateOffset, tlbR = mem.tlbOffset, tlbW = mem.tlbOffset + TLB_ARRAY_BYTES;
  const indexOf = new Map(blocks.map((insns, k) => [insns[0].eip, k]));
  const saved = [...reg, -1, fl, fop, fa, fb, fr]; // in state-word order; EIP is written apart
  /** Writes the locals back, EIP as the i32 `eip()` leaves, and returns the budget less `used`. */
  const leave = (eip: () => void, used: number): void => {
    saved.forEach((l, k) => {
      if (l >= 0) f.i32(state + 4 * k).get(l).mem(OP.i32Store, 2);
    });
    xmm.forEach((l, k) => f.i32(state + 4 * XMM_WORD + 16 * k).get(l).simd(0x0b, 4, 0));
    f.i32(state + 4 * EIP);
    eip();
    f.mem(OP.i32Store, 2).get(n).i32(used).op(OP.i32Sub).op(OP.return);
  };
  /** The block being translated. */
  let cur = -1;
  /** Goes on at `target`: the region's block there, or out. A block going on at itself branches
   *  to its own start, and one going on at the next block (`last`: at the end of its code) falls
   *  into that block's code; the others go through the dispatch. */
  const goTo = (target: number, last = false): void => {
    const k = indexOf.get(target);
    if (k === undefined) leave(() => f.i32(target), 0);
    else if (k === cur) f.br(`self${k}`);
    else if (!last || k !== cur + 1) f.i32(k).set(at).br("dispatch");
  };
  /** Goes on at the address in local `l`: the region's block there, or out. */
  const goToDynamic = (l: number): void => {
    blocks.forEach((insns, k) => {
      f.get(l).i32(insns[0].eip).op(OP.i32Eq).if().i32(k).set(at).br("dispatch").end();
    });
    leave(() => f.get(l), 0);
  };
  // Registers in, and the entry block for EIP (none: the budget back, untouched).
  saved.forEach((l, k) => {
    if (l >= 0) f.i32(state + 4 * k).mem(OP.i32Load, 2).set(l);
  });
  xmm.forEach((l, k) => f.i32(state + 4 * XMM_WORD + 16 * k).simd(0x00, 4, 0).set(l));
  f.i32(-1).set(at);
  blocks.forEach((insns, k) => {
    f.i32(state + 4 * EIP).mem(OP.i32Load, 2).i32(insns[0].eip).op(OP.i32Eq).if().i32(k).set(at).end();
  });
  f.get(at).i32(0).op(OP.i32LtS).if().get(n).op(OP.return).end();
  const labels = blocks.map((_, k) => `b${k}`);
  f.loop("dispatch").block("none");
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
  f.i32(0);

  function emitBlock(insns: readonly Insn[]): void {
    /** The effective address of x's memory operand into local a. */
    const address = (x: Insn): void => {
      f.i32(x.disp);
      if (x.base !== NO_REG && x.base >= 0) f.get(reg[x.base]).op(OP.i32Add);
      if (x.index !== NO_REG && x.index >= 0) f.get(reg[x.index]).i32(x.scale).op(OP.i32Shl).op(OP.i32Add);
      f.set(a);
    };
    /** Leaves the physical address of the `size` bytes at local a on the stack, or ends the run
     *  before instruction k (at `eip`) when the TLB (read or write) cannot serve them. */
    const translate = (write: boolean, k: number, eip: number, size = 4): void => {
      f.get(a).i32(12).op(OP.i32ShrU).i32(2).op(OP.i32Shl).mem(OP.i32Load, 2, write ? tlbW : tlbR).i32(TLB_KEY).op(OP.i32Xor).set(e);
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
      f.i32(12).op(OP.i32ShrU).i32(2).op(OP.i32Shl).mem(OP.i32Load, 2, tlbR).i32(TLB_KEY).op(OP.i32Xor).tee(into).i32(0xfff).op(OP.i32And).if();
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
      else f.get(reg[r]);
    };
    const simd = {
      f, reg, xmm, tmp, address, translate, load16,
      aligned: (k: number, eip: number): void => {
        f.get(a).i32(15).op(OP.i32And).if();
        leave(() => f.i32(eip), k);
        f.end();
      },
    };
    let kind = -1;
    insns.forEach((x, k) => {
      switch (x.op) {
        case Op.SIMD:
          emitSimd(simd, x, k, simdName(x) as string);
          break;
        case Op.NEG:
          kind = FK_SUB;
          f.i32(0).get(reg[x.r0]).op(OP.i32Sub).set(v);
          f.i32((FK_SUB << 2) | 2).set(fop).i32(0).set(fa).get(reg[x.r0]).set(fb).get(v).set(fr).get(v).set(reg[x.r0]);
          break;
        case Op.MOV:
          if (x.k0 === K_R32 && x.k1 === K_MEM) {
            address(x);
            translate(false, k, x.eip);
            f.mem(OP.i32Load, 0).set(reg[x.r0]);
          } else if (x.k0 === K_MEM) {
            address(x);
            translate(true, k, x.eip);
            operand(x, x.k1, x.r1);
            f.mem(OP.i32Store, 0);
          } else {
            operand(x, x.k1, x.r1);
            f.set(reg[x.r0]);
          }
          break;
        case Op.LEA:
          address(x);
          f.get(a).set(reg[x.r0]);
          break;
        case Op.PUSH:
        case Op.CALL:
          // ESP - 4 written first (a fault leaves ESP as it was), then ESP
          f.get(reg[4]).i32(4).op(OP.i32Sub).set(a);
          translate(true, k, x.eip);
          if (x.op === Op.CALL) f.i32(x.next);
          else operand(x, x.k0, x.r0);
          f.mem(OP.i32Store, 0);
          f.get(a).set(reg[4]);
          break;
        case Op.POP:
        case Op.RET:
          f.get(reg[4]).set(a);
          translate(false, k, x.eip);
          f.mem(OP.i32Load, 0).set(v);
          f.get(reg[4]).i32(4).op(OP.i32Add).set(reg[4]);
          if (x.op === Op.POP) f.get(v).set(reg[x.r0]); // (pop esp: the value read)
          break;
        case Op.JMP:
        case Op.JCC:
          break; // (the block's end, below)
        default: {
          kind = kindOf(x);
          const op = x.op === Op.ADD ? OP.i32Add : x.op === Op.SUB || x.op === Op.CMP ? OP.i32Sub : x.op === Op.OR ? OP.i32Or : x.op === Op.XOR ? OP.i32Xor : OP.i32And;
          f.get(reg[x.r0]);
          operand(x, x.k1, x.r1);
          f.op(op).set(v);
          f.i32((kind << 2) | 2).set(fop);
          if (kind === FK_LOGIC) f.i32(0).set(fa).i32(0).set(fb);
          else {
            f.get(reg[x.r0]).set(fa);
            operand(x, x.k1, x.r1);
            f.set(fb);
          }
          f.get(v).set(fr);
          if (x.op !== Op.CMP && x.op !== Op.TEST) f.get(v).set(reg[x.r0]);
        }
      }
    });
    // The block retired: its instructions off the budget, then on to its successor.
    f.get(n).i32(insns.length).op(OP.i32Sub).set(n);
    const last = insns[insns.length - 1];
    if (last.op === Op.JMP || last.op === Op.CALL) goTo(last.target, true);
    else if (last.op === Op.RET) goToDynamic(v);
    else if (last.op === Op.JCC) {
      condition(f, last.cc & 15, kind, fa, fb, fr);
      f.if();
      goTo(last.target);
      f.end();
      goTo(last.next, true);
    } else goTo(last.next, true);
  }

  let exports: Record<string, (n: number) => number>;
  try {
    exports = new WA.Instance(new WA.Module(buildModule({ memory: { module: "m", name: "mem", pages: mem.wasmPages }, funcs: [{ name: "run", fn: f }] })), { m: { mem: mem.wasm } }).exports;
  } catch {
    return null;
  }
  const fn = exports.run;
  return {
    run(c: Cpu, budget: number): number {
      // (element by element: subarray() views cost an allocation each, and a call's copies
      // made more garbage than anything else in a run of imgfilter)
      const s = mem.stateOffset >>> 2, w = mem.words, r = c.r;
      for (let k = 0; k < STATE_WORDS; k++) w[s + k] = r[k];
      if (usesXmm) {
        const x = c.sse.i32, o = s + XMM_WORD;
        for (let k = 0; k < XMM_WORDS; k++) w[o + k] = x[k];
      }
      const left = fn(budget);
      for (let k = 0; k < STATE_WORDS; k++) r[k] = w[s + k];
      if (usesXmm) {
        const x = c.sse.i32, o = s + XMM_WORD;
        for (let k = 0; k < XMM_WORDS; k++) x[k] = w[o + k];
      }
      return left;
    },
  };
}

/** Leaves 1 if condition `cc` holds for the flags of a `kind` operation with operands fa, fb and
 *  result fr (dword), else 0. */
function condition(f: FnBuilder, cc: number, kind: number, fa: number, fb: number, fr: number): void {
  const cf = (): void => {
    if (kind === FK_ADD) f.get(fr).get(fa).op(OP.i32LtU);
    else if (kind === FK_SUB) f.get(fa).get(fb).op(OP.i32LtU);
    else f.i32(0);
  };
  const zf = (): void => void f.get(fr).op(OP.i32Eqz);
  const sf = (): void => void f.get(fr).i32(0).op(OP.i32LtS);
  const of = (): void => {
    if (kind === FK_ADD) f.get(fa).get(fr).op(OP.i32Xor).get(fb).get(fr).op(OP.i32Xor).op(OP.i32And).i32(0).op(OP.i32LtS);
    else if (kind === FK_SUB) f.get(fa).get(fb).op(OP.i32Xor).get(fa).get(fr).op(OP.i32Xor).op(OP.i32And).i32(0).op(OP.i32LtS);
    else f.i32(0);
  };
  const pf = (): void => void f.get(fr).i32(0xff).op(OP.i32And).op(0x69).i32(1).op(OP.i32And).op(OP.i32Eqz); // i32.popcnt
  const base = cc >> 1;
  if (base === 0) of();
  else if (base === 1) cf();
  else if (base === 2) zf();
  else if (base === 3) {
    cf();
    zf();
    f.op(OP.i32Or);
  } else if (base === 4) sf();
  else if (base === 5) pf();
  else if (base === 6) {
    sf();
    of();
    f.op(OP.i32Ne);
  } else {
    zf();
    sf();
    of();
    f.op(OP.i32Ne).op(OP.i32Or);
  }
  if (cc & 1) f.op(OP.i32Eqz);
}

