// Floating-point SSE instructions (SSE, SSE2, SSE3, SSE4.1): packed and scalar arithmetic,
// comparisons, conversions, rounding and dot products, built from the lane operations of
// fparith.ts. Results go to the scratch slot TMP first and reach the destination only after
// `commit` has decided that no unmasked exception stops the instruction.

import type { Cpu } from "../cpu.js";
import { MXCSR } from "../state.js";
import { TMP, TMP2, commit } from "./state.js";
import type { SimdFn } from "./intops.js";
import {
  OP_ADD, OP_SUB, OP_MUL, OP_DIV, arith32, arith64, sqrt32, sqrt64, minmax32, minmax64, compare32, compare64,
  f32to64, f64to32, fromInt32, toInt32, roundLane, approx32,
} from "./fparith.js";

type Lane = (c: Cpu, di: number, ai: number, bi: number) => void;

const add32: Lane = (c, d, a, b) => arith32(c, OP_ADD, d, a, b);
const sub32: Lane = (c, d, a, b) => arith32(c, OP_SUB, d, a, b);
const mul32: Lane = (c, d, a, b) => arith32(c, OP_MUL, d, a, b);
const div32: Lane = (c, d, a, b) => arith32(c, OP_DIV, d, a, b);
const add64: Lane = (c, d, a, b) => arith64(c, OP_ADD, d, a, b);
const sub64: Lane = (c, d, a, b) => arith64(c, OP_SUB, d, a, b);
const mul64: Lane = (c, d, a, b) => arith64(c, OP_MUL, d, a, b);
const div64: Lane = (c, d, a, b) => arith64(c, OP_DIV, d, a, b);
const min32: Lane = (c, d, a, b) => minmax32(c, d, a, b, false);
const max32: Lane = (c, d, a, b) => minmax32(c, d, a, b, true);
const min64: Lane = (c, d, a, b) => minmax64(c, d, a, b, false);
const max64: Lane = (c, d, a, b) => minmax64(c, d, a, b, true);
const sq32: Lane = (c, d, _a, b) => sqrt32(c, d, b);
const sq64: Lane = (c, d, _a, b) => sqrt64(c, d, b);
const rcp: Lane = (c, d, _a, b) => approx32(c, d, b, false);
const rsq: Lane = (c, d, _a, b) => approx32(c, d, b, true);

/** Copies `n` dwords of TMP into slot d. */
function take(c: Cpu, d: number, n: number): void {
  const X = c.sse.i32;
  for (let k = 0; k < n; k++) X[d * 4 + k] = X[TMP * 4 + k];
}

/** All lanes (4 floats or 2 doubles). */
function packed(double: boolean, f: Lane): SimdFn {
  const n = double ? 2 : 4;
  return (c, d, s) => {
    for (let k = 0; k < n; k++) f(c, TMP * n + k, d * n + k, s * n + k);
    commit(c);
    take(c, d, 4);
  };
}

/** Lane 0 only; the destination's other lanes are kept. */
function scalar(double: boolean, f: Lane): SimdFn {
  const n = double ? 2 : 4;
  return (c, d, s) => {
    f(c, TMP * n, d * n, s * n);
    commit(c);
    take(c, d, double ? 2 : 1);
  };
}

/** cmpps/cmpss/cmppd/cmpsd predicate (imm & 7) on a comparison result. */
function holds(rel: number, pred: number): boolean {
  switch (pred & 7) {
    case 0: return rel === 0; // eq
    case 1: return rel === -1; // lt
    case 2: return rel === -1 || rel === 0; // le
    case 3: return rel === 2; // unord
    case 4: return rel !== 0; // neq
    case 5: return rel !== -1; // nlt
    case 6: return rel === 1 || rel === 2; // nle
    default: return rel !== 2; // ord
  }
}
/** lt, le, nlt and nle signal on quiet NaNs too. */
const signals = (pred: number): boolean => ((pred & 3) === 1 || (pred & 3) === 2);

function cmp(double: boolean, lanes: number): SimdFn {
  const n = double ? 2 : 4;
  return (c, d, s, imm) => {
    const X = c.sse.i32;
    for (let k = 0; k < lanes; k++) {
      const rel = double ? compare64(c, d * 2 + k, s * 2 + k, signals(imm)) : compare32(c, d * 4 + k, s * 4 + k, signals(imm));
      const v = holds(rel, imm) ? -1 : 0;
      if (double) X[TMP * 4 + 2 * k] = X[TMP * 4 + 2 * k + 1] = v;
      else X[TMP * 4 + k] = v;
    }
    commit(c);
    take(c, d, (lanes * 4) / n);
  };
}

/** comiss/ucomiss/comisd/ucomisd: ZF PF CF = 111 unordered, 000 greater, 001 less, 100 equal;
 *  OF SF AF cleared. comis* signal on quiet NaNs. */
function comis(double: boolean, signal: boolean): SimdFn {
  return (c, d, s) => {
    const rel = double ? compare64(c, d * 2, s * 2, signal) : compare32(c, d * 4, s * 4, signal);
    commit(c);
    return rel === 2 ? 0x45 : rel === 1 ? 0 : rel === -1 ? 1 : 0x40;
  };
}

/** Horizontal operations: [d0 op d1, d2 op d3, s0 op s1, s2 op s3] (doubles: [d0 op d1, s0 op s1]). */
function horizontal(double: boolean, f: Lane): SimdFn {
  const n = double ? 2 : 4;
  return (c, d, s) => {
    for (let k = 0; k < n / 2; k++) {
      f(c, TMP * n + k, d * n + 2 * k, d * n + 2 * k + 1);
      f(c, TMP * n + n / 2 + k, s * n + 2 * k, s * n + 2 * k + 1);
    }
    commit(c);
    take(c, d, 4);
  };
}

/** addsubps/pd: even lanes subtract, odd lanes add. */
function addsub(double: boolean): SimdFn {
  const n = double ? 2 : 4;
  return (c, d, s) => {
    for (let k = 0; k < n; k++) (k & 1 ? (double ? add64 : add32) : double ? sub64 : sub32)(c, TMP * n + k, d * n + k, s * n + k);
    commit(c);
    take(c, d, 4);
  };
}

// ---- conversions ----

type Conv = (c: Cpu, k: number, s: number) => void;

/** Converts `count` lanes with `f` into TMP, then writes count * `per` dwords to d and zeroes
 *  the rest of d when `zeroRest`. */
function conv(count: number, per: number, zeroRest: boolean, f: Conv): SimdFn {
  return (c, d, s) => {
    const X = c.sse.i32;
    for (let k = 0; k < count; k++) f(c, k, s);
    commit(c);
    const n = count * per;
    for (let k = 0; k < n; k++) X[d * 4 + k] = X[TMP * 4 + k];
    if (zeroRest) for (let k = n; k < 4; k++) X[d * 4 + k] = 0;
  };
}

const ps2pd: Conv = (c, k, s) => f32to64(c, TMP * 2 + k, s * 4 + k);
const pd2ps: Conv = (c, k, s) => f64to32(c, TMP * 4 + k, s * 2 + k);
const dq2ps: Conv = (c, k, s) => fromInt32(c, TMP * 4 + k, c.sse.i32[s * 4 + k], false);
const dq2pd: Conv = (c, k, s) => fromInt32(c, TMP * 2 + k, c.sse.i32[s * 4 + k], true);
const ps2dq = (trunc: boolean): Conv => (c, k, s) => {
  c.sse.i32[TMP * 4 + k] = toInt32(c, s * 4 + k, false, trunc);
};
const pd2dq = (trunc: boolean): Conv => (c, k, s) => {
  c.sse.i32[TMP * 4 + k] = toInt32(c, s * 2 + k, true, trunc);
};

/** Scalar float/double to a general register (the plumbing passes d = TMP). */
function toGpr(double: boolean, trunc: boolean): SimdFn {
  return (c, d, s) => {
    const v = toInt32(c, s * (double ? 2 : 4), double, trunc);
    commit(c);
    c.sse.i32[d * 4] = v;
  };
}

// ---- rounding and dot products ----

function round(double: boolean, lanes: number): SimdFn {
  const n = double ? 2 : 4;
  return (c, d, s, imm) => {
    const rc = imm & 4 ? (c.r[MXCSR] >> 13) & 3 : imm & 3;
    for (let k = 0; k < lanes; k++) roundLane(c, TMP * n + k, s * n + k, double, rc, (imm & 8) !== 0);
    commit(c);
    take(c, d, (lanes * 4) / n);
  };
}

/** dpps: the products selected by imm[7:4] summed as (p0 + p1) + (p2 + p3), each step rounded;
 *  the sum goes to the lanes imm[3:0] selects, zeros elsewhere. dppd the same on two lanes. */
function dp(double: boolean): SimdFn {
  const n = double ? 2 : 4;
  const mul = double ? mul64 : mul32, add = double ? add64 : add32;
  return (c, d, s, imm) => {
    const X = c.sse.i32;
    for (let k = 0; k < 4; k++) X[TMP2 * 4 + k] = 0;
    for (let k = 0; k < n; k++) if ((imm >> (4 + k)) & 1) mul(c, TMP2 * n + k, d * n + k, s * n + k);
    if (double) add(c, TMP * 2, TMP2 * 2, TMP2 * 2 + 1);
    else {
      add(c, TMP * 4 + 1, TMP2 * 4, TMP2 * 4 + 1);
      add(c, TMP * 4 + 2, TMP2 * 4 + 2, TMP2 * 4 + 3);
      add(c, TMP * 4, TMP * 4 + 1, TMP * 4 + 2);
    }
    commit(c);
    const per = 4 / n;
    for (let k = 0; k < n; k++) {
      for (let j = 0; j < per; j++) X[d * 4 + k * per + j] = (imm >> k) & 1 ? X[TMP * 4 + j] : 0;
    }
  };
}

/** Scalar conversions with a general-register or memory integer source (in SRC). */
function fromGpr(double: boolean): SimdFn {
  return (c, d, s) => {
    fromInt32(c, TMP * (double ? 2 : 4), c.sse.i32[s * 4], double);
    commit(c);
    take(c, d, double ? 2 : 1);
  };
}

export const FP_OPS: Record<string, SimdFn> = {
  addps: packed(false, add32), addss: scalar(false, add32), addpd: packed(true, add64), addsd: scalar(true, add64),
  subps: packed(false, sub32), subss: scalar(false, sub32), subpd: packed(true, sub64), subsd: scalar(true, sub64),
  mulps: packed(false, mul32), mulss: scalar(false, mul32), mulpd: packed(true, mul64), mulsd: scalar(true, mul64),
  divps: packed(false, div32), divss: scalar(false, div32), divpd: packed(true, div64), divsd: scalar(true, div64),
  minps: packed(false, min32), minss: scalar(false, min32), minpd: packed(true, min64), minsd: scalar(true, min64),
  maxps: packed(false, max32), maxss: scalar(false, max32), maxpd: packed(true, max64), maxsd: scalar(true, max64),
  sqrtps: packed(false, sq32), sqrtss: scalar(false, sq32), sqrtpd: packed(true, sq64), sqrtsd: scalar(true, sq64),
  rcpps: packed(false, rcp), rcpss: scalar(false, rcp), rsqrtps: packed(false, rsq), rsqrtss: scalar(false, rsq),
  cmpps: cmp(false, 4), cmpss: cmp(false, 1), cmppd: cmp(true, 2), cmpsd: cmp(true, 1),
  comiss: comis(false, true), ucomiss: comis(false, false), comisd: comis(true, true), ucomisd: comis(true, false),
  haddps: horizontal(false, add32), haddpd: horizontal(true, add64),
  hsubps: horizontal(false, sub32), hsubpd: horizontal(true, sub64),
  addsubps: addsub(false), addsubpd: addsub(true),
  roundps: round(false, 4), roundpd: round(true, 2), roundss: round(false, 1), roundsd: round(true, 1),
  dpps: dp(false), dppd: dp(true),
  cvtps2pd: conv(2, 2, false, ps2pd),
  cvtpd2ps: conv(2, 1, true, pd2ps),
  cvtss2sd: conv(1, 2, false, ps2pd),
  cvtsd2ss: conv(1, 1, false, pd2ps),
  cvtdq2ps: conv(4, 1, false, dq2ps),
  cvtdq2pd: conv(2, 2, false, dq2pd),
  cvtps2dq: conv(4, 1, false, ps2dq(false)),
  cvttps2dq: conv(4, 1, false, ps2dq(true)),
  cvtpd2dq: conv(2, 1, true, pd2dq(false)),
  cvttpd2dq: conv(2, 1, true, pd2dq(true)),
  cvtpi2ps: conv(2, 1, false, dq2ps),
  cvtpi2pd: conv(2, 2, false, dq2pd),
  cvtps2pi: conv(2, 1, false, ps2dq(false)),
  cvttps2pi: conv(2, 1, false, ps2dq(true)),
  cvtpd2pi: conv(2, 1, false, pd2dq(false)),
  cvttpd2pi: conv(2, 1, false, pd2dq(true)),
  cvtsi2ss: fromGpr(false),
  cvtsi2sd: fromGpr(true),
  cvtss2si: toGpr(false, false),
  cvttss2si: toGpr(false, true),
  cvtsd2si: toGpr(true, false),
  cvttsd2si: toGpr(true, true),
};

