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

/** Implicit length of slot s: the index of its first zero element (8 or 16 when none), a
 *  dword at a time: (v - 0x01010101) & ~v & 0x80808080 has the top bit of each zero byte set,
 *  and of no byte below the first zero one (a borrow only reaches bytes above it), so its
 *  lowest set bit marks the first zero byte (0x00010001 and 0x80008000 for words). glibc's
 *  SSE4.2 strcmp and friends run this twice per 16-byte chunk. */
function implicitLength(i32: Int32Array, s: number, words: boolean): number {
  const ones = words ? 0x00010001 : 0x01010101, tops = words ? 0x80008000 : 0x80808080;
  for (let k = 0; k < 4; k++) {
    const v = i32[s * 4 + k];
    const z = (v - ones) & ~v & tops;
    if (z !== 0) {
      const byte = 4 * k + ((31 - Math.clz32(z & -z)) >> 3);
      return words ? byte >> 1 : byte;
    }
  }
  return words ? 8 : 16;
}

/** Explicit length: |reg| saturated to n. */
function explicitLength(v: number, n: number): number {
  const a = Math.abs(v);
  return a > n ? n : a;
}

/** A set of byte values (equal any), bit v of word v >> 5. */
const SET = new Int32Array(8);

/** Bit j set where bytes j of slots d and s are equal: four dwords at once, each byte of
 *  their XOR tested for zero without carries between bytes. */
function equalBytes(i32: Int32Array, d: number, s: number): number {
  let eq = 0;
  for (let k = 0; k < 4; k++) {
    const t = i32[d * 4 + k] ^ i32[s * 4 + k];
    const z = ~(((t & 0x7f7f7f7f) + 0x7f7f7f7f) | t | 0x7f7f7f7f);
    eq |= ((z >>> 7) & 1 | (z >>> 14) & 2 | (z >>> 21) & 4 | (z >>> 28) & 8) << (4 * k);
  }
  return eq;
}

/** Bit j set where words j of the slots at element offsets a0 and b0 are equal. */
function equalWords(u16: Uint16Array, a0: number, b0: number): number {
  let eq = 0;
  for (let j = 0; j < 8; j++) if (u16[a0 + j] === u16[b0 + j]) eq |= 1 << j;
  return eq;
}

/** The flags of the last compareStrings (a module variable: glibc's SSE4.2 string functions
 *  run these per 16-byte chunk, and returning a pair allocated an array for each). */
let cmpFlags = 0;

/** IntRes2 of the comparison (bit j for element j) with the polarity applied; its flags in
 *  cmpFlags. Equality does not depend on the elements' signedness (the unsigned views compare
 *  as the signed ones would); only ranges read the signed views for signed formats. */
function compareStrings(c: Cpu, d: number, s: number, imm: number, la: number, lb: number): number {
  const x = c.sse;
  const words = (imm & 1) !== 0, n = words ? 8 : 16;
  const e = words ? x.u16 : x.u8;
  const a0 = d * n, b0 = s * n;
  const agg = (imm >> 2) & 3;
  let res = 0;
  if (agg === 2) {
    // equal each: element-wise where both are valid, true where neither is
    const lo = la < lb ? la : lb, hi = la < lb ? lb : la;
    const eq = words ? equalWords(x.u16, a0, b0) : equalBytes(x.i32, d, s);
    res = (eq & ((1 << lo) - 1)) | ((words ? 0xff : 0xffff) & ~((1 << hi) - 1));
  } else if (agg === 0 && !words) {
    // equal any on bytes: the set as a 256-bit map, one look-up per string byte
    SET.fill(0);
    for (let i = 0; i < la; i++) {
      const v = e[a0 + i];
      SET[v >>> 5] |= 1 << (v & 31);
    }
    for (let j = 0; j < lb; j++) {
      const v = e[b0 + j];
      if ((SET[v >>> 5] >>> (v & 31)) & 1) res |= 1 << j;
    }
  } else if (agg === 0) {
    // equal any: string element j is one of the set's elements
    for (let j = 0; j < lb; j++) {
      const v = e[b0 + j];
      for (let i = 0; i < la; i++) {
        if (e[a0 + i] === v) {
          res |= 1 << j;
          break;
        }
      }
    }
  } else if (agg === 1) {
    // ranges: set element pairs [lo, hi], compared as the format's (signed) numbers
    const r = (imm & 2) === 0 ? e : words ? x.i16 : x.i8;
    for (let j = 0; j < lb; j++) {
      const v = r[b0 + j];
      for (let i = 0; i + 1 < la; i += 2) {
        if (r[a0 + i] <= v && v <= r[a0 + i + 1]) {
          res |= 1 << j;
          break;
        }
      }
    }
  } else {
    // equal ordered: the needle (set) occurs at position j of the string
    for (let j = 0; j < n; j++) {
      let bit = true;
      for (let i = 0; i + j < n && bit; i++) {
        if (i >= la) break;
        bit = i + j < lb && e[a0 + i] === e[b0 + i + j];
      }
      if (bit) res |= 1 << j;
    }
  }
  const pol = (imm >> 4) & 3;
  if (pol === 1) res = ~res & (words ? 0xff : 0xffff);
  else if (pol === 3) res ^= (1 << lb) - 1;
  cmpFlags = (res !== 0 ? CF : 0) | (lb < n ? ZF : 0) | (la < n ? SF : 0) | (res & 1 ? OF : 0);
  return res;
}

/** The comparison for the explicit (EAX, EDX) or implicit (zero-terminated) lengths. */
function compare(c: Cpu, d: number, s: number, imm: number, explicit: boolean): number {
  const words = (imm & 1) !== 0, n = words ? 8 : 16;
  if (explicit) return compareStrings(c, d, s, imm, explicitLength(c.r[EAX], n), explicitLength(c.r[EDX], n));
  return compareStrings(c, d, s, imm, implicitLength(c.sse.i32, d, words), implicitLength(c.sse.i32, s, words));
}

/** pcmpestri/pcmpistri: ECX = index of the lowest (imm[6]: highest) set bit, n when none. */
function index(explicit: boolean): SimdFn {
  return (c, d, s, imm) => {
    const res = compare(c, d, s, imm, explicit);
    const n = imm & 1 ? 8 : 16;
    c.r[ECX] = res === 0 ? n : imm & 0x40 ? 31 - Math.clz32(res) : 31 - Math.clz32(res & -res);
    return cmpFlags;
  };
}

/** pcmpestrm/pcmpistrm: XMM0 = the bit mask, or (imm[6]) each element all ones or zeros. */
function mask(explicit: boolean): SimdFn {
  return (c, d, s, imm) => {
    const res = compare(c, d, s, imm, explicit);
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
    return cmpFlags;
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
