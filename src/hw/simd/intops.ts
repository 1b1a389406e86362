// Packed-integer arithmetic, comparisons, logic and shifts (MMX, SSE2, SSSE3, SSE4.1, SSE4.2).
// Every helper has the SIMD helper shape (table.ts): `d` and `s` are slots of the SSE register
// file (`s` < 0: the count is the immediate), `w` the operand width in bytes (8 for MMX
// registers, 16 for XMM). Lane-wise operations run in place (lane k reads only lane k); the
// others build their result in a scratch slot first, since `d` and `s` may be the same slot.

import type { Cpu } from "../cpu.js";
import { TMP } from "./state.js";
import { mulHiU32, mulHiS32 } from "../alu.js";

export type SimdFn = (c: Cpu, d: number, s: number, imm: number, w: number) => number | void;

const sat8 = (v: number): number => (v > 127 ? 127 : v < -128 ? -128 : v);
const satU8 = (v: number): number => (v > 255 ? 255 : v < 0 ? 0 : v);
const sat16 = (v: number): number => (v > 32767 ? 32767 : v < -32768 ? -32768 : v);
const satU16 = (v: number): number => (v > 65535 ? 65535 : v < 0 ? 0 : v);

/** Lane-wise operation on lanes of `bytes` (1, 2, 4), read signed or unsigned. */
function lanes(bytes: 1 | 2 | 4, signed: boolean, f: (a: number, b: number) => number): SimdFn {
  return (c, d, s, _imm, w) => {
    const x = c.sse;
    const A = bytes === 1 ? (signed ? x.i8 : x.u8) : bytes === 2 ? (signed ? x.i16 : x.u16) : signed ? x.i32 : x.u32;
    const per = 16 / bytes, n = w / bytes;
    for (let k = 0; k < n; k++) A[d * per + k] = f(A[d * per + k], A[s * per + k]);
  };
}

/** Unary lane-wise operation on the source (pabs*). */
function unary(bytes: 1 | 2 | 4, f: (b: number) => number): SimdFn {
  return (c, d, s, _imm, w) => {
    const x = c.sse;
    const S = bytes === 1 ? x.i8 : bytes === 2 ? x.i16 : x.i32;
    const D = bytes === 1 ? x.u8 : bytes === 2 ? x.u16 : x.u32;
    const per = 16 / bytes, n = w / bytes;
    for (let k = 0; k < n; k++) D[d * per + k] = f(S[s * per + k]);
  };
}

/** 64-bit lanes as dword pairs: f gets and returns [lo, hi] through out. */
function quads(f: (alo: number, ahi: number, blo: number, bhi: number, out: Int32Array, o: number) => void): SimdFn {
  return (c, d, s, _imm, w) => {
    const X = c.sse.i32;
    for (let k = 0; k < w / 8; k++) f(X[d * 4 + 2 * k], X[d * 4 + 2 * k + 1], X[s * 4 + 2 * k], X[s * 4 + 2 * k + 1], X, d * 4 + 2 * k);
  };
}

function addq(alo: number, ahi: number, blo: number, bhi: number, o: Int32Array, i: number): void {
  const lo = (alo >>> 0) + (blo >>> 0);
  o[i] = lo | 0;
  o[i + 1] = (ahi + bhi + (lo > 0xffffffff ? 1 : 0)) | 0;
}

function subq(alo: number, ahi: number, blo: number, bhi: number, o: Int32Array, i: number): void {
  o[i] = (alo - blo) | 0;
  o[i + 1] = (ahi - bhi - ((alo >>> 0) < (blo >>> 0) ? 1 : 0)) | 0;
}

/** Shift counts come from the immediate or the source's low quadword (all 64 bits count). */
function shiftCount(c: Cpu, s: number, imm: number): number {
  if (s < 0) return imm & 0xff;
  const X = c.sse.i32;
  return X[s * 4 + 1] !== 0 ? 0x7fffffff : X[s * 4] >>> 0;
}

function shifts(bytes: 2 | 4 | 8, kind: "l" | "r" | "a"): SimdFn {
  const bits = bytes * 8;
  return (c, d, s, imm, w) => {
    const n = shiftCount(c, s, imm);
    const x = c.sse;
    if (bytes === 8) {
      const X = x.i32;
      for (let k = 0; k < w / 8; k++) {
        const i = d * 4 + 2 * k, lo = X[i], hi = X[i + 1];
        if (n > 63) X[i] = X[i + 1] = 0;
        else if (n >= 32) {
          X[i] = kind === "l" ? 0 : hi >>> (n - 32);
          X[i + 1] = kind === "l" ? lo << (n - 32) : 0;
        } else if (n > 0) {
          X[i] = kind === "l" ? lo << n : (lo >>> n) | (hi << (32 - n));
          X[i + 1] = kind === "l" ? (hi << n) | (lo >>> (32 - n)) : hi >>> n;
        }
      }
      return;
    }
    const A = bytes === 2 ? (kind === "a" ? x.i16 : x.u16) : x.i32;
    const per = 16 / bytes;
    for (let k = 0; k < w / bytes; k++) {
      const v = A[d * per + k];
      if (kind === "a") A[d * per + k] = v >> (n >= bits ? bits - 1 : n);
      else if (n >= bits) A[d * per + k] = 0;
      else A[d * per + k] = kind === "l" ? v << n : bytes === 4 ? v >>> n : v >>> n;
    }
  };
}

/** pslldq/psrldq: whole-register byte shifts by the immediate. */
function byteShift(left: boolean): SimdFn {
  return (c, d, _s, imm) => {
    const B = c.sse.u8, n = imm & 0xff;
    for (let k = 0; k < 16; k++) {
      const from = left ? k - n : k + n;
      B[TMP * 16 + k] = from >= 0 && from < 16 ? B[d * 16 + from] : 0;
    }
    for (let k = 0; k < 16; k++) B[d * 16 + k] = B[TMP * 16 + k];
  };
}

function bitwise(f: (a: number, b: number) => number): SimdFn {
  return (c, d, s, _imm, w) => {
    const X = c.sse.i32;
    for (let k = 0; k < w / 4; k++) X[d * 4 + k] = f(X[d * 4 + k], X[s * 4 + k]);
  };
}

/** Pairs of 16-bit lanes combined into 32-bit lanes, or pairs of 8/16-bit lanes horizontally. */
function pmaddwd(c: Cpu, d: number, s: number, _imm: number, w: number): void {
  const H = c.sse.i16, X = c.sse.i32;
  for (let k = 0; k < w / 4; k++) {
    const a0 = H[d * 8 + 2 * k], a1 = H[d * 8 + 2 * k + 1], b0 = H[s * 8 + 2 * k], b1 = H[s * 8 + 2 * k + 1];
    X[d * 4 + k] = (a0 * b0 + a1 * b1) | 0;
  }
}

function pmaddubsw(c: Cpu, d: number, s: number, _imm: number, w: number): void {
  const U = c.sse.u8, S = c.sse.i8, H = c.sse.i16;
  for (let k = 0; k < w / 2; k++) {
    H[d * 8 + k] = sat16(U[d * 16 + 2 * k] * S[s * 16 + 2 * k] + U[d * 16 + 2 * k + 1] * S[s * 16 + 2 * k + 1]);
  }
}

function psadbw(c: Cpu, d: number, s: number, _imm: number, w: number): void {
  const U = c.sse.u8, W = c.sse.u16;
  for (let q = 0; q < w / 8; q++) {
    let sum = 0;
    for (let k = 0; k < 8; k++) sum += Math.abs(U[d * 16 + q * 8 + k] - U[s * 16 + q * 8 + k]);
    W[d * 8 + q * 4] = sum;
    W[d * 8 + q * 4 + 1] = W[d * 8 + q * 4 + 2] = W[d * 8 + q * 4 + 3] = 0;
  }
}

/** Horizontal add/subtract of adjacent lanes: the destination's pairs, then the source's. */
function horizontal(bytes: 2 | 4, f: (a: number, b: number) => number): SimdFn {
  return (c, d, s, _imm, w) => {
    const x = c.sse;
    const A = bytes === 2 ? x.i16 : x.i32;
    const per = 16 / bytes, n = w / bytes, half = n / 2;
    for (let k = 0; k < half; k++) {
      A[TMP * per + k] = f(A[d * per + 2 * k], A[d * per + 2 * k + 1]);
      A[TMP * per + half + k] = f(A[s * per + 2 * k], A[s * per + 2 * k + 1]);
    }
    for (let k = 0; k < n; k++) A[d * per + k] = A[TMP * per + k];
  };
}

function mulU32q(c: Cpu, d: number, s: number, _imm: number, w: number, signed: boolean): void {
  const X = c.sse.i32;
  for (let k = 0; k < w / 8; k++) {
    const a = X[d * 4 + 2 * k], b = X[s * 4 + 2 * k];
    X[d * 4 + 2 * k] = Math.imul(a, b);
    X[d * 4 + 2 * k + 1] = signed ? mulHiS32(a, b) : mulHiU32(a, b);
  }
}

function pcmpgtq(c: Cpu, d: number, s: number): void {
  const X = c.sse.i32;
  for (let k = 0; k < 2; k++) {
    const ah = X[d * 4 + 2 * k + 1], bh = X[s * 4 + 2 * k + 1];
    const gt = ah > bh || (ah === bh && X[d * 4 + 2 * k] >>> 0 > X[s * 4 + 2 * k] >>> 0);
    X[d * 4 + 2 * k] = X[d * 4 + 2 * k + 1] = gt ? -1 : 0;
  }
}

function pcmpeqq(c: Cpu, d: number, s: number): void {
  const X = c.sse.i32;
  for (let k = 0; k < 2; k++) {
    const eq = X[d * 4 + 2 * k] === X[s * 4 + 2 * k] && X[d * 4 + 2 * k + 1] === X[s * 4 + 2 * k + 1];
    X[d * 4 + 2 * k] = X[d * 4 + 2 * k + 1] = eq ? -1 : 0;
  }
}

/** ptest: ZF when d AND s is zero, CF when (NOT d) AND s is zero; the other flags clear. */
function ptest(c: Cpu, d: number, s: number): number {
  const X = c.sse.i32;
  let and = 0, andn = 0;
  for (let k = 0; k < 4; k++) {
    and |= X[d * 4 + k] & X[s * 4 + k];
    andn |= ~X[d * 4 + k] & X[s * 4 + k];
  }
  return (and === 0 ? 0x40 : 0) | (andn === 0 ? 1 : 0);
}

function phminposuw(c: Cpu, d: number, s: number): void {
  const W = c.sse.u16;
  let min = W[s * 8], at = 0;
  for (let k = 1; k < 8; k++) {
    if (W[s * 8 + k] < min) {
      min = W[s * 8 + k];
      at = k;
    }
  }
  for (let k = 0; k < 8; k++) W[d * 8 + k] = 0;
  W[d * 8] = min;
  W[d * 8 + 1] = at;
}

function mpsadbw(c: Cpu, d: number, s: number, imm: number): void {
  const U = c.sse.u8, W = c.sse.u16;
  const so = (imm & 3) * 4, dof = ((imm >> 2) & 1) * 4;
  for (let i = 0; i < 8; i++) {
    let sum = 0;
    for (let j = 0; j < 4; j++) sum += Math.abs(U[d * 16 + dof + i + j] - U[s * 16 + so + j]);
    W[TMP * 8 + i] = sum;
  }
  for (let i = 0; i < 8; i++) W[d * 8 + i] = W[TMP * 8 + i];
}

const sign = (a: number, b: number): number => (b < 0 ? -a : b === 0 ? 0 : a);

export const INT_OPS: Record<string, SimdFn> = {
  paddb: lanes(1, false, (a, b) => a + b),
  paddw: lanes(2, false, (a, b) => a + b),
  paddd: lanes(4, true, (a, b) => a + b),
  paddq: quads(addq),
  psubb: lanes(1, false, (a, b) => a - b),
  psubw: lanes(2, false, (a, b) => a - b),
  psubd: lanes(4, true, (a, b) => a - b),
  psubq: quads(subq),
  paddsb: lanes(1, true, (a, b) => sat8(a + b)),
  paddsw: lanes(2, true, (a, b) => sat16(a + b)),
  paddusb: lanes(1, false, (a, b) => satU8(a + b)),
  paddusw: lanes(2, false, (a, b) => satU16(a + b)),
  psubsb: lanes(1, true, (a, b) => sat8(a - b)),
  psubsw: lanes(2, true, (a, b) => sat16(a - b)),
  psubusb: lanes(1, false, (a, b) => satU8(a - b)),
  psubusw: lanes(2, false, (a, b) => satU16(a - b)),
  pmullw: lanes(2, true, (a, b) => Math.imul(a, b)),
  pmulhw: lanes(2, true, (a, b) => (a * b) >> 16),
  pmulhuw: lanes(2, false, (a, b) => (a * b) >>> 16),
  pmulhrsw: lanes(2, true, (a, b) => (((a * b) >> 14) + 1) >> 1),
  pmulld: lanes(4, true, (a, b) => Math.imul(a, b)),
  pmuludq: (c, d, s, imm, w) => mulU32q(c, d, s, imm, w, false),
  pmuldq: (c, d, s, imm) => mulU32q(c, d, s, imm, 16, true),
  pmaddwd,
  pmaddubsw,
  pavgb: lanes(1, false, (a, b) => (a + b + 1) >> 1),
  pavgw: lanes(2, false, (a, b) => (a + b + 1) >> 1),
  pminub: lanes(1, false, Math.min),
  pmaxub: lanes(1, false, Math.max),
  pminsw: lanes(2, true, Math.min),
  pmaxsw: lanes(2, true, Math.max),
  pminsb: lanes(1, true, Math.min),
  pmaxsb: lanes(1, true, Math.max),
  pminuw: lanes(2, false, Math.min),
  pmaxuw: lanes(2, false, Math.max),
  pminsd: lanes(4, true, Math.min),
  pmaxsd: lanes(4, true, Math.max),
  pminud: lanes(4, false, Math.min),
  pmaxud: lanes(4, false, Math.max),
  psadbw,
  pcmpeqb: lanes(1, false, (a, b) => (a === b ? 0xff : 0)),
  pcmpeqw: lanes(2, false, (a, b) => (a === b ? 0xffff : 0)),
  pcmpeqd: lanes(4, true, (a, b) => (a === b ? -1 : 0)),
  pcmpeqq,
  pcmpgtb: lanes(1, true, (a, b) => (a > b ? -1 : 0)),
  pcmpgtw: lanes(2, true, (a, b) => (a > b ? -1 : 0)),
  pcmpgtd: lanes(4, true, (a, b) => (a > b ? -1 : 0)),
  pcmpgtq,
  pand: bitwise((a, b) => a & b),
  pandn: bitwise((a, b) => ~a & b),
  por: bitwise((a, b) => a | b),
  pxor: bitwise((a, b) => a ^ b),
  psllw: shifts(2, "l"),
  pslld: shifts(4, "l"),
  psllq: shifts(8, "l"),
  psrlw: shifts(2, "r"),
  psrld: shifts(4, "r"),
  psrlq: shifts(8, "r"),
  psraw: shifts(2, "a"),
  psrad: shifts(4, "a"),
  pslldq: byteShift(true),
  psrldq: byteShift(false),
  phaddw: horizontal(2, (a, b) => a + b),
  phaddd: horizontal(4, (a, b) => a + b),
  phaddsw: horizontal(2, (a, b) => sat16(a + b)),
  phsubw: horizontal(2, (a, b) => a - b),
  phsubd: horizontal(4, (a, b) => a - b),
  phsubsw: horizontal(2, (a, b) => sat16(a - b)),
  psignb: lanes(1, true, sign),
  psignw: lanes(2, true, sign),
  psignd: lanes(4, true, sign),
  pabsb: unary(1, Math.abs),
  pabsw: unary(2, Math.abs),
  pabsd: unary(4, Math.abs),
  ptest,
  phminposuw,
  mpsadbw,
};

export { bitwise };
