// SSE4.2 string and text instructions (pcmpestri, pcmpestrm, pcmpistri, pcmpistrm), crc32 and
// popcnt. The string compares follow the SDM's pseudo-code (vol. 2, 4.1 "Imm8 Control Byte
// Operation for PCMPESTRI / PCMPESTRM / PCMPISTRI / PCMPISTRM"): element format imm[1:0],
// aggregation imm[3:2], polarity imm[5:4], output selection imm[6]. The first operand (xmm1,
// slot d) is the "set" or "needle", the second (xmm2/m128, slot s) the string searched.

import type { Cpu } from "../cpu.js";
import type { Exec, Insn } from "../isa.js";
import { K_MEM, K_R8, K_R16 } from "../isa.js";
import { EAX, ECX, EDX, ARITH_FLAGS, CF, ZF, SF, OF } from "../state.js";
import { setArith } from "../flags.js";
import { ea } from "../interp/operand.js";
import type { SimdFn } from "./intops.js";

/** Implicit length: the index of the first zero element (n when none). */
function implicitLength(c: Cpu, s: number, fmt: number, n: number): number {
  const x = c.sse;
  for (let i = 0; i < n; i++) {
    const v = fmt & 1 ? x.u16[s * 8 + i] : x.u8[s * 16 + i];
    if (v === 0) return i;
  }
  return n;
}

/** Explicit length: |reg| saturated to n. */
function explicitLength(v: number, n: number): number {
  const a = Math.abs(v);
  return a > n ? n : a;
}

/** The elements of slot s in the format imm[1:0], into an array (no closures on this path:
 *  glibc's SSE4.2 string functions run it per 16-byte chunk). */
const EA = new Int32Array(16), EB = new Int32Array(16);
function elems(c: Cpu, s: number, fmt: number, out: Int32Array): void {
  const x = c.sse;
  const n = fmt & 1 ? 8 : 16;
  for (let i = 0; i < n; i++) {
    switch (fmt & 3) {
      case 0: out[i] = x.u8[s * 16 + i]; break;
      case 1: out[i] = x.u16[s * 8 + i]; break;
      case 2: out[i] = x.i8[s * 16 + i]; break;
      default: out[i] = x.i16[s * 8 + i];
    }
  }
}

/** IntRes2 of the comparison (bit j for element j), and the flags it implies. */
function compareStrings(c: Cpu, d: number, s: number, imm: number, la: number, lb: number): [number, number] {
  const fmt = imm & 3, n = fmt & 1 ? 8 : 16;
  const agg = (imm >> 2) & 3;
  elems(c, d, fmt, EA);
  elems(c, s, fmt, EB);
  let res = 0;
  for (let j = 0; j < n; j++) {
    let bit = false;
    if (agg === 0) {
      // equal any: string element j is one of the set's elements
      if (j < lb) for (let i = 0; i < la && !bit; i++) bit = EA[i] === EB[j];
    } else if (agg === 1) {
      // ranges: set element pairs [lo, hi]
      if (j < lb) for (let i = 0; i + 1 < la && !bit; i += 2) bit = EA[i] <= EB[j] && EB[j] <= EA[i + 1];
    } else if (agg === 2) {
      // equal each: element-wise; both invalid counts as equal
      bit = j < la && j < lb ? EA[j] === EB[j] : j >= la && j >= lb;
    } else {
      // equal ordered: the needle (set) occurs at position j of the string
      bit = true;
      for (let i = 0; i + j < n && bit; i++) {
        if (i >= la) break;
        bit = i + j < lb && EA[i] === EB[i + j];
      }
    }
    if (bit) res |= 1 << j;
  }
  const all = n === 16 ? 0xffff : 0xff;
  const pol = (imm >> 4) & 3;
  if (pol === 1) res = ~res & all;
  else if (pol === 3) res ^= (1 << lb) - 1;
  const flags = (res !== 0 ? CF : 0) | (lb < n ? ZF : 0) | (la < n ? SF : 0) | (res & 1 ? OF : 0);
  return [res, flags];
}

function lengths(c: Cpu, d: number, s: number, imm: number, explicit: boolean): [number, number] {
  const n = imm & 1 ? 8 : 16;
  if (explicit) return [explicitLength(c.r[EAX], n), explicitLength(c.r[EDX], n)];
  return [implicitLength(c, d, imm, n), implicitLength(c, s, imm, n)];
}

/** pcmpestri/pcmpistri: ECX = index of the lowest (imm[6]: highest) set bit, n when none. */
function index(explicit: boolean): SimdFn {
  return (c, d, s, imm) => {
    const [la, lb] = lengths(c, d, s, imm, explicit);
    const [res, flags] = compareStrings(c, d, s, imm, la, lb);
    const n = imm & 1 ? 8 : 16;
    c.r[ECX] = res === 0 ? n : imm & 0x40 ? 31 - Math.clz32(res) : 31 - Math.clz32(res & -res);
    return flags;
  };
}

/** pcmpestrm/pcmpistrm: XMM0 = the bit mask, or (imm[6]) each element all ones or zeros. */
function mask(explicit: boolean): SimdFn {
  return (c, d, s, imm) => {
    const [la, lb] = lengths(c, d, s, imm, explicit);
    const [res, flags] = compareStrings(c, d, s, imm, la, lb);
    const x = c.sse;
    if (imm & 0x40) {
      const words = (imm & 1) !== 0;
      for (let k = 0; k < (words ? 8 : 16); k++) {
        const v = (res >> k) & 1 ? -1 : 0;
        if (words) x.i16[k] = v;
        else x.i8[k] = v;
      }
    } else {
      x.i32[0] = res;
      x.i32[1] = x.i32[2] = x.i32[3] = 0;
    }
    return flags;
  };
}

export const STRING_OPS: Record<string, SimdFn> = {
  pcmpestri: index(true),
  pcmpistri: index(false),
  pcmpestrm: mask(true),
  pcmpistrm: mask(false),
};

// ---- crc32 and popcnt: general-register instructions ----

/** CRC-32C (Castagnoli, reflected polynomial 0x82f63b78) byte table. */
const CRC32C = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let v = n;
  for (let k = 0; k < 8; k++) v = v & 1 ? (v >>> 1) ^ 0x82f63b78 : v >>> 1;
  CRC32C[n] = v;
}

/** The source operand of a general-register instruction and its size in bytes. */
function source(c: Cpu, i: Insn): [number, number] {
  if (i.k1 === K_MEM) return [c.rd(ea(c, i), i.msz), i.msz];
  if (i.k1 === K_R8) return [c.r8[i.r1], 1];
  if (i.k1 === K_R16) return [c.r16[i.r1], 2];
  return [c.r[i.r1], 4];
}

/** crc32 r32, r/m8/16/32: the accumulated CRC-32C (no inversion, as the instruction does). */
const CRC32: Exec = (c, i) => {
  const [v, size] = source(c, i);
  let crc = c.r[i.r0];
  for (let k = 0; k < size; k++) crc = CRC32C[(crc ^ (v >>> (8 * k))) & 0xff] ^ (crc >>> 8);
  c.r[i.r0] = crc;
};

/** popcnt r, r/m: the number of set bits; ZF when the source is zero, the other flags clear. */
const POPCNT: Exec = (c, i) => {
  let [v] = source(c, i);
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  const n = Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
  if (i.k0 === K_R16) c.r16[i.r0] = n;
  else c.r[i.r0] = n;
  setArith(c.r, ARITH_FLAGS, n === 0 ? ZF : 0);
};

export const GPR_HANDLERS: Record<string, Exec> = { crc32: CRC32, popcnt: POPCNT };
