// Data movement between lanes: moves, packs and unpacks, shuffles, inserts and extracts, blends
// and sign masks (MMX through SSE4.1). Helper shape as in intops.ts. For a memory or general-
// register destination the plumbing passes the scratch slot TMP as `d` and stores from it; a
// source held in memory or a general register arrives in slot SRC (`s === SRC` is how the
// load forms that differ from the register forms, such as movss, tell them apart).

import type { Cpu } from "../cpu.js";
import { SRC, TMP, copySlot } from "./state.js";
import type { SimdFn } from "./intops.js";

/** d = s (all 16 bytes; a memory destination stores what it needs). */
const move: SimdFn = (c, d, s) => copySlot(c, d, s);

/** Copies `dwords` dwords from s to d starting at lane 0; zero the rest of d when `zero`. */
function low(dwords: number, zero: boolean | "mem"): SimdFn {
  return (c, d, s) => {
    const X = c.sse.i32;
    for (let k = 0; k < dwords; k++) X[d * 4 + k] = X[s * 4 + k];
    if (zero === true || (zero === "mem" && s === SRC)) for (let k = dwords; k < 4; k++) X[d * 4 + k] = 0;
  };
}

/** Quadword moves: d.q[dq] = s.q[sq]. */
function quad(dq: number, sq: number): SimdFn {
  return (c, d, s) => {
    const X = c.sse.i32;
    const a = X[s * 4 + 2 * sq], b = X[s * 4 + 2 * sq + 1];
    X[d * 4 + 2 * dq] = a;
    X[d * 4 + 2 * dq + 1] = b;
  };
}

const toLow = quad(0, 1), toHigh = quad(1, 0);
/** movhps/movhpd: a load fills the high quadword; a store (d = TMP) takes it. */
const highQuad: SimdFn = (c, d, s) => (d === TMP ? toLow : toHigh)(c, d, s, 0, 16);

/** Builds a result of 32-bit lanes from [d0..d3, s0..s3] by index (in TMP, then into d). */
function pick32(c: Cpu, d: number, s: number, idx: number[]): void {
  const X = c.sse.i32;
  for (let k = 0; k < 4; k++) {
    const i = idx[k];
    X[TMP * 4 + k] = i < 4 ? X[d * 4 + i] : X[s * 4 + i - 4];
  }
  copySlot(c, d, TMP);
}

/** Interleaves lanes of `bytes` from the low (`high` false) or high halves of d and s. */
function unpack(bytes: 1 | 2 | 4 | 8, high: boolean): SimdFn {
  return (c, d, s, _imm, w) => {
    const B = c.sse.u8;
    const n = w / bytes / 2, base = high ? w / 2 : 0;
    for (let k = 0; k < n; k++) {
      for (let b = 0; b < bytes; b++) {
        B[TMP * 16 + 2 * k * bytes + b] = B[d * 16 + base + k * bytes + b];
        B[TMP * 16 + (2 * k + 1) * bytes + b] = B[s * 16 + base + k * bytes + b];
      }
    }
    for (let k = 0; k < w; k++) B[d * 16 + k] = B[TMP * 16 + k];
  };
}

/** Packs lanes of d then s into lanes of half the size with saturation. */
function pack(from: 2 | 4, signed: boolean, satTo: (v: number) => number): SimdFn {
  return (c, d, s, _imm, w) => {
    const x = c.sse;
    const S = from === 2 ? x.i16 : x.i32;
    const D = from === 2 ? x.u8 : x.u16;
    const per = 16 / from, n = w / from;
    for (let k = 0; k < n; k++) {
      D[TMP * per * 2 + k] = satTo(S[d * per + k]);
      D[TMP * per * 2 + n + k] = satTo(S[s * per + k]);
    }
    for (let k = 0; k < w / 4; k++) x.i32[d * 4 + k] = x.i32[TMP * 4 + k];
    void signed;
  };
}

const satS8 = (v: number): number => (v > 127 ? 127 : v < -128 ? -128 : v) & 0xff;
const satU8 = (v: number): number => (v > 255 ? 255 : v < 0 ? 0 : v);
const satS16 = (v: number): number => (v > 32767 ? 32767 : v < -32768 ? -32768 : v) & 0xffff;
const satU16 = (v: number): number => (v > 65535 ? 65535 : v < 0 ? 0 : v);

function pshufb(c: Cpu, d: number, s: number, _imm: number, w: number): void {
  const B = c.sse.u8;
  for (let k = 0; k < w; k++) {
    const m = B[s * 16 + k];
    B[TMP * 16 + k] = m & 0x80 ? 0 : B[d * 16 + (m & (w - 1))];
  }
  for (let k = 0; k < w; k++) B[d * 16 + k] = B[TMP * 16 + k];
}

function palignr(c: Cpu, d: number, s: number, imm: number, w: number): void {
  const B = c.sse.u8;
  // the concatenation d:s (d high) shifted right by imm bytes
  for (let k = 0; k < w; k++) {
    const i = k + (imm & 0xff);
    B[TMP * 16 + k] = i < w ? B[s * 16 + i] : i < 2 * w ? B[d * 16 + i - w] : 0;
  }
  for (let k = 0; k < w; k++) B[d * 16 + k] = B[TMP * 16 + k];
}

function shufWords(c: Cpu, d: number, s: number, imm: number, at: number): void {
  const W = c.sse.u16;
  for (let k = 0; k < 8; k++) W[TMP * 8 + k] = W[s * 8 + k];
  for (let k = 0; k < 4; k++) W[TMP * 8 + at + k] = W[s * 8 + at + ((imm >> (2 * k)) & 3)];
  copySlot(c, d, TMP);
}

/** Sign bits of lanes of `bytes` into an integer (movmskps/pd, pmovmskb). */
function mask(bytes: 1 | 4 | 8): SimdFn {
  return (c, d, s, _imm, w) => {
    const B = c.sse.u8;
    let m = 0;
    const n = (bytes === 1 ? w : 16) / bytes;
    for (let k = 0; k < n; k++) m |= (B[s * 16 + k * bytes + bytes - 1] >> 7) << k;
    c.sse.i32[d * 4] = m;
  };
}

/** Blends lanes of `bytes`: lane k from s where `sel(k)` says so. */
function blend(bytes: 1 | 2 | 4 | 8, sel: (c: Cpu, k: number, imm: number) => boolean): SimdFn {
  return (c, d, s, imm) => {
    const B = c.sse.u8;
    for (let k = 0; k < 16 / bytes; k++) {
      if (sel(c, k, imm)) for (let b = 0; b < bytes; b++) B[d * 16 + k * bytes + b] = B[s * 16 + k * bytes + b];
    }
  };
}
const byImm = (_c: Cpu, k: number, imm: number): boolean => ((imm >> k) & 1) !== 0;
/** Variable blends select by the sign bit of each lane of XMM0. */
const byXmm0 = (bytes: number) => (c: Cpu, k: number): boolean => (c.sse.u8[k * bytes + bytes - 1] & 0x80) !== 0;

/** pmovsx/pmovzx: lanes of `from` bytes widened to `to` bytes. */
function extend(from: 1 | 2 | 4, to: 2 | 4 | 8, signed: boolean): SimdFn {
  return (c, d, s) => {
    const x = c.sse;
    const S = from === 1 ? (signed ? x.i8 : x.u8) : from === 2 ? (signed ? x.i16 : x.u16) : signed ? x.i32 : x.u32;
    const n = 16 / to, per = 16 / from;
    for (let k = 0; k < n; k++) {
      const v = S[s * per + k];
      if (to === 8) {
        x.i32[TMP * 4 + 2 * k] = v;
        x.i32[TMP * 4 + 2 * k + 1] = signed && v < 0 ? -1 : 0;
      } else if (to === 4) x.i32[TMP * 4 + k] = v;
      else x.u16[TMP * 8 + k] = v;
    }
    copySlot(c, d, TMP);
  };
}

/** Extracts lane (imm mod count) of `bytes` into d's first dword, zero-extended. */
function extract(bytes: 1 | 2 | 4): SimdFn {
  return (c, d, s, imm, w) => {
    const x = c.sse;
    const n = w / bytes, k = imm & (n - 1);
    x.i32[d * 4] = bytes === 1 ? x.u8[s * 16 + k] : bytes === 2 ? x.u16[s * 8 + k] : x.i32[s * 4 + k];
  };
}

/** Inserts the source's low lane of `bytes` at lane (imm mod count). */
function insert(bytes: 1 | 2 | 4): SimdFn {
  return (c, d, s, imm, w) => {
    const x = c.sse;
    const n = w / bytes, k = imm & (n - 1);
    if (bytes === 1) x.u8[d * 16 + k] = x.u8[s * 16];
    else if (bytes === 2) x.u16[d * 8 + k] = x.u16[s * 8];
    else x.i32[d * 4 + k] = x.i32[s * 4];
  };
}

function insertps(c: Cpu, d: number, s: number, imm: number): void {
  const X = c.sse.i32;
  const v = X[s * 4 + (s === SRC ? 0 : (imm >> 6) & 3)];
  X[d * 4 + ((imm >> 4) & 3)] = v;
  for (let k = 0; k < 4; k++) if ((imm >> k) & 1) X[d * 4 + k] = 0;
}

export const SHUFFLE_OPS: Record<string, SimdFn> = {
  movaps: move, movups: move, movapd: move, movupd: move, movdqa: move, movdqu: move, lddqu: move,
  movntps: move, movntpd: move, movntdq: move, movntdqa: move, movntq: move,
  movss: low(1, "mem"),
  movsd: low(2, "mem"),
  /** movq: to a register, the upper quadword is zeroed; to memory the low quadword is stored. */
  movq: low(2, true),
  movd: low(1, true),
  movq2dq: low(2, true),
  movdq2q: low(2, false),
  movlps: quad(0, 0), movlpd: quad(0, 0),
  movhlps: quad(0, 1),
  movlhps: quad(1, 0),
  movhps: highQuad,
  movhpd: highQuad,
  movddup: (c, d, s) => pick32(c, d, s, [4, 5, 4, 5]),
  movshdup: (c, d, s) => pick32(c, d, s, [5, 5, 7, 7]),
  movsldup: (c, d, s) => pick32(c, d, s, [4, 4, 6, 6]),
  shufps: (c, d, s, imm) => pick32(c, d, s, [imm & 3, (imm >> 2) & 3, 4 + ((imm >> 4) & 3), 4 + ((imm >> 6) & 3)]),
  shufpd: (c, d, s, imm) => pick32(c, d, s, imm & 1 ? (imm & 2 ? [2, 3, 6, 7] : [2, 3, 4, 5]) : imm & 2 ? [0, 1, 6, 7] : [0, 1, 4, 5]),
  unpcklps: unpack(4, false), unpckhps: unpack(4, true), unpcklpd: unpack(8, false), unpckhpd: unpack(8, true),
  punpcklbw: unpack(1, false), punpcklwd: unpack(2, false), punpckldq: unpack(4, false), punpcklqdq: unpack(8, false),
  punpckhbw: unpack(1, true), punpckhwd: unpack(2, true), punpckhdq: unpack(4, true), punpckhqdq: unpack(8, true),
  packsswb: pack(2, true, satS8),
  packuswb: pack(2, true, satU8),
  packssdw: pack(4, true, satS16),
  packusdw: pack(4, true, satU16),
  pshufb,
  palignr,
  pshufd: (c, d, s, imm) => pick32(c, d, s, [4 + (imm & 3), 4 + ((imm >> 2) & 3), 4 + ((imm >> 4) & 3), 4 + ((imm >> 6) & 3)]),
  pshuflw: (c, d, s, imm) => shufWords(c, d, s, imm, 0),
  pshufhw: (c, d, s, imm) => shufWords(c, d, s, imm, 4),
  pshufw: (c, d, s, imm) => {
    const W = c.sse.u16;
    for (let k = 0; k < 4; k++) W[TMP * 8 + k] = W[s * 8 + ((imm >> (2 * k)) & 3)];
    for (let k = 0; k < 4; k++) W[d * 8 + k] = W[TMP * 8 + k];
  },
  movmskps: mask(4),
  movmskpd: mask(8),
  pmovmskb: mask(1),
  blendps: blend(4, byImm), blendpd: blend(8, byImm), pblendw: blend(2, byImm),
  blendvps: blend(4, byXmm0(4)), blendvpd: blend(8, byXmm0(8)), pblendvb: blend(1, byXmm0(1)),
  pmovsxbw: extend(1, 2, true), pmovsxbd: extend(1, 4, true), pmovsxbq: extend(1, 8, true),
  pmovsxwd: extend(2, 4, true), pmovsxwq: extend(2, 8, true), pmovsxdq: extend(4, 8, true),
  pmovzxbw: extend(1, 2, false), pmovzxbd: extend(1, 4, false), pmovzxbq: extend(1, 8, false),
  pmovzxwd: extend(2, 4, false), pmovzxwq: extend(2, 8, false), pmovzxdq: extend(4, 8, false),
  pextrb: extract(1), pextrw: extract(2), pextrd: extract(4), extractps: extract(4),
  pinsrb: insert(1), pinsrw: insert(2), pinsrd: insert(4),
  insertps,
};
