// The SIMD unit's instruction table: every MMX/SSE/SSE2/SSE3/SSSE3/SSE4.1/SSE4.2 mnemonic with
// the helper that computes it (intops.ts, shuffle.ts, fpops.ts, strings.ts) and the operand
// plumbing both engines share: where the operands live (XMM registers are slots 0-7 of the
// register file; MMX registers, memory and general registers are copied into scratch slots),
// alignment checks, the MMX state transition, and where the result goes.
//
// A helper `fn(c, d, s, imm, w)` reads slots d and s and writes slot d (for a memory or
// general-register destination, d is TMP and the plumbing stores from there); it may return
// the arithmetic flags it sets (spec.flags). Legacy SSE requires 16-byte alignment of every
// 128-bit memory operand except the ones marked `unaligned` (#GP(0) otherwise).

import type { Cpu } from "../cpu.js";
import { type Exec, type Insn, K_MEM, K_R32, K_IMM, K_MM, K_XMM } from "../isa.js";
import { ea, checkLimit } from "../interp/operand.js";
import { fault, GP } from "../fault.js";
import { ARITH_FLAGS, MXCSR, EDI } from "../state.js";
import { setArith } from "../flags.js";
import type { FpuState } from "../fpu/state.js";
import { SRC, MMD, MMS, TMP, MXCSR_MASK, mmxEnter, mmIn, mmOut, emms, loadSlot, storeSlot } from "./state.js";
import { INT_OPS, bitwise, type SimdFn } from "./intops.js";
import { SHUFFLE_OPS } from "./shuffle.js";
import { FP_OPS } from "./fpops.js";
import { STRING_OPS, GPR_HANDLERS } from "./strings.js";

export interface SimdSpec {
  fn: SimdFn;
  /** 128-bit memory operands need no alignment. */
  unaligned?: boolean;
  /** fn returns the arithmetic flags (all six are written). */
  flags?: boolean;
}

const UNALIGNED = new Set(["movups", "movupd", "movdqu", "lddqu", "pcmpestri", "pcmpestrm", "pcmpistri", "pcmpistrm"]);
const FLAGS = new Set(["comiss", "ucomiss", "comisd", "ucomisd", "ptest", "pcmpestri", "pcmpestrm", "pcmpistri", "pcmpistrm"]);

const logic = {
  andps: bitwise((a, b) => a & b), andpd: bitwise((a, b) => a & b),
  andnps: bitwise((a, b) => ~a & b), andnpd: bitwise((a, b) => ~a & b),
  orps: bitwise((a, b) => a | b), orpd: bitwise((a, b) => a | b),
  xorps: bitwise((a, b) => a ^ b), xorpd: bitwise((a, b) => a ^ b),
};

export const SIMD_SPECS: Record<string, SimdSpec> = {};
for (const [name, fn] of Object.entries({ ...INT_OPS, ...SHUFFLE_OPS, ...FP_OPS, ...STRING_OPS, ...logic })) {
  SIMD_SPECS[name] = { fn, unaligned: UNALIGNED.has(name), flags: FLAGS.has(name) };
}

/** Width in bytes of the instruction's packed operands: 8 when it names an MMX register. */
export function widthOf(i: Insn): number {
  return i.k0 === K_MM || i.k1 === K_MM ? 8 : 16;
}

/** Checks the alignment of a 128-bit memory operand. */
function aligned(spec: SimdSpec, i: Insn, a: number): void {
  if (i.msz === 16 && (a & 15) !== 0 && spec.unaligned !== true) fault(GP, 0);
}

/** The interpreter handler of a spec: operands in, helper, result out. */
export function simdHandler(spec: SimdSpec): Exec {
  const fn = spec.fn;
  return (c: Cpu, i: Insn) => {
    let f: FpuState | null = null;
    if (i.k0 === K_MM || i.k1 === K_MM) f = mmxEnter(c);
    let a = 0;
    if (i.k0 === K_MEM || i.k1 === K_MEM) {
      a = ea(c, i);
      aligned(spec, i, a);
    }
    let s = -1;
    switch (i.k1) {
      case K_XMM:
        s = i.r1;
        break;
      case K_MM:
        mmIn(c, f as FpuState, i.r1, MMS);
        s = MMS;
        break;
      case K_MEM:
        loadSlot(c, SRC, a, i.msz);
        s = SRC;
        break;
      case K_R32:
        c.sse.i32[SRC * 4] = c.r[i.r1];
        s = SRC;
        break;
    }
    let d = TMP;
    if (i.k0 === K_XMM) d = i.r0;
    else if (i.k0 === K_MM) {
      mmIn(c, f as FpuState, i.r0, MMD);
      d = MMD;
    }
    const imm = i.k1 === K_IMM || i.k2 === K_IMM ? i.imm : 0;
    const flags = fn(c, d, s, imm, widthOf(i));
    if (spec.flags) setArith(c.r, ARITH_FLAGS, flags as number);
    switch (i.k0) {
      case K_MM:
        mmOut(c, f as FpuState, i.r0, MMD);
        break;
      case K_MEM:
        storeSlot(c, TMP, a, i.msz);
        break;
      case K_R32:
        c.r[i.r0] = c.sse.i32[TMP * 4];
        break;
    }
  };
}

// ---- instructions outside the helper shape ----

const LDMXCSR: Exec = (c, i) => {
  const v = c.rd32(ea(c, i));
  if ((v & ~MXCSR_MASK) !== 0) fault(GP, 0);
  c.r[MXCSR] = v;
};

const STMXCSR: Exec = (c, i) => {
  c.wr32(ea(c, i), c.r[MXCSR]);
};

/** maskmovq/maskmovdqu: the bytes of the first register whose mask byte (second register) has
 *  its top bit set, stored at DS:EDI (the instruction's implicit memory operand). */
const MASKMOV: Exec = (c, i) => {
  let f: FpuState | null = null;
  let v = i.r1, m = i.r2, w = 16;
  if (i.k1 === K_MM) {
    f = mmxEnter(c);
    mmIn(c, f, i.r1, MMD);
    mmIn(c, f, i.r2, MMS);
    v = MMD;
    m = MMS;
    w = 8;
  }
  const off = i.asz === 2 ? c.r[EDI] & 0xffff : c.r[EDI];
  if (c.slimit[i.seg] !== -1) checkLimit(c, i.seg, off, w);
  const base = (c.sbase[i.seg] + off) | 0;
  const B = c.sse.u8;
  let any = false;
  for (let k = 0; k < w; k++) any ||= (B[m * 16 + k] & 0x80) !== 0;
  if (any) c.probeWrite(base, w);
  for (let k = 0; k < w; k++) if (B[m * 16 + k] & 0x80) c.wr8((base + k) | 0, B[v * 16 + k]);
};

/** movnti m32, r32: a plain store (the non-temporal hint means nothing here). */
const MOVNTI: Exec = (c, i) => {
  c.wr32(ea(c, i), c.r[i.r1]);
};

/** Handlers keyed by lower-case Intel mnemonic. */
export const SIMD_HANDLERS: Record<string, Exec> = {
  ldmxcsr: LDMXCSR,
  stmxcsr: STMXCSR,
  emms: (c) => emms(c),
  maskmovq: MASKMOV,
  maskmovdqu: MASKMOV,
  movnti: MOVNTI,
  ...GPR_HANDLERS,
};
for (const [name, spec] of Object.entries(SIMD_SPECS)) SIMD_HANDLERS[name] = simdHandler(spec);

