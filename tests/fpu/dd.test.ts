// The x87 fast path's double-double arithmetic (hw/fpu/dd.ts) against the exact integer core
// (ext80.ts / muldiv.ts / formats.ts, itself checked against a BigInt reference in
// ext80.test.ts), at glibc's setting (64-bit precision, round to nearest). Every result the fast
// path gives must be bit-identical, with the same PE and C1; where it declines (-1) the exact
// core runs instead, so declining is allowed but must stay rare for ordinary operands.

import { describe, expect, it } from "vitest";
import { R, add } from "../../src/hw/fpu/ext80.js";
import { mul, div, sqrt } from "../../src/hw/fpu/muldiv.js";
import { storeF64, storeF32, SC } from "../../src/hw/fpu/formats.js";
import { ddAdd, ddMul, ddDiv, ddSqrt, ddCompare, ddDecode, ddEncode, ddLoadF64, ddToF64, ddToF32, ENC, BITS, SAFE } from "../../src/hw/fpu/dd.js";

const PE = 0x20, C1 = 0x200;
type V = [number, number, number];

/** A deterministic generator (xorshift) so a failure names its case. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** Normal operands with significands that make ties, carries and exact results likely. */
function operand(next: () => number, spread: number): V {
  let mh = (next() | 0x80000000) | 0, ml = next() | 0;
  switch (next() % 9) {
    case 0: ml = 0; break; // a double
    case 1: ml &= ~0x7ff; break;
    case 2: mh = 0x80000000 | 0; ml = 0; break; // a power of two
    case 3: mh = -1; ml = ~(next() & 7); break; // all ones: rounding carries
    case 4: ml = (ml & 0xfffff000) | 0x400; break; // a half at bit 10
    case 5: mh = (0x80000000 | (next() & 0x7f000000)) | 0; ml = 0; break; // few bits: exact products
    case 6: ml &= 0x80000000; break;
    case 7: mh &= 0xffff0000; ml = 0; break;
  }
  const e = 16383 + (next() % (2 * spread + 1)) - spread;
  return [((next() & 1) << 15) | e, mh, ml];
}

const H = new Float64Array(4), L = new Float64Array(4);
const enc = (h: number, l: number): V => {
  ddEncode(h, l);
  return [ENC[0], ENC[1], ENC[2]];
};

type Op = "add" | "sub" | "mul" | "div" | "sqrt";

function check(op: Op, a: V, b: V): boolean {
  if (op === "sqrt") a[0] &= 0x7fff;
  expect(ddDecode(H, L, 0, ...a)).toBe(true);
  expect(ddDecode(H, L, 1, ...b)).toBe(true);
  const x =
    op === "mul" ? ddMul(H, L, 2, 0, 1) :
    op === "div" ? ddDiv(H, L, 2, 0, 1) :
    op === "sqrt" ? ddSqrt(H, L, 2, 0) :
    ddAdd(H, L, 2, 0, 1, 1, op === "sub" ? -1 : 1);
  if (x < 0) return false;
  R[3] = 0;
  if (op === "mul") mul(a[0], a[1], a[2], b[0], b[1], b[2], 64, 0);
  else if (op === "div") div(a[0], a[1], a[2], b[0], b[1], b[2], 64, 0);
  else if (op === "sqrt") sqrt(a[0], a[1], a[2], 64, 0);
  else add(a[0], a[1], a[2], b[0], b[1], b[2], op === "sub" ? 1 : 0, 64, 0);
  const want = { r: [R[0] & 0xffff, R[1], R[2]], flags: R[3] & (PE | C1) };
  const got = { r: enc(H[2], L[2]), flags: x };
  if (JSON.stringify(got) !== JSON.stringify(want)) expect({ op, a, b, got }).toEqual({ op, a, b, got: want });
  // canonical: hi is the double nearest the value
  expect(H[2] + L[2] === H[2]).toBe(true);
  return true;
}

describe("double-double fast path", () => {
  it("decodes and encodes every representable value exactly", () => {
    const next = rng(1);
    for (let k = 0; k < 20000; k++) {
      const v = operand(next, SAFE);
      expect(ddDecode(H, L, 0, ...v)).toBe(true);
      expect(enc(H[0], L[0])).toEqual(v);
      expect(H[0] + L[0] === H[0]).toBe(true);
    }
    expect(ddDecode(H, L, 0, 0x8000, 0, 0)).toBe(true);
    expect(Object.is(H[0], -0)).toBe(true);
    expect(enc(H[0], L[0])).toEqual([0x8000, 0, 0]);
    // denormals, unnormals, infinities, NaNs and huge exponents stay with the exact core
    for (const v of [[0, 0, 1], [0x3fff, 0x40000000, 0], [0x7fff, 0x80000000 | 0, 0], [0x7fff, 0xc0000000 | 0, 0], [16383 + SAFE + 1, 0x80000000 | 0, 0]] as V[]) {
      expect(ddDecode(H, L, 0, ...v)).toBe(false);
    }
  });

  for (const op of ["add", "sub", "mul", "div", "sqrt"] as const) {
    it(`${op} matches the exact core bit for bit, PE and C1 included`, () => {
      const next = rng(op.length * 7919);
      let decided = 0, near = 0;
      for (let k = 0; k < 100000; k++) {
        const spread = k % 3 === 0 ? 2 : k % 3 === 1 ? 45 : 400;
        const a = operand(next, spread), b = operand(next, k % 5 === 0 ? 0 : spread);
        if (k % 7 === 0) b[0] = (b[0] & 0x8000) | (a[0] & 0x7fff);
        if (k % 11 === 0) b.splice(0, 3, a[0] ^ 0x8000, a[1], a[2] ^ (next() & 0xff)); // cancellation
        if (k % 50 === 3) a.splice(0, 3, (next() & 1) << 15, 0, 0); // signed zeros
        if (k % 50 === 4) b.splice(0, 3, (next() & 1) << 15, 0, 0);
        const ok = check(op, a, b);
        if (k % 3 === 0) {
          near++;
          if (ok) decided++;
        }
      }
      // operands of similar size: the fast path decides nearly all of them itself
      expect(decided / near).toBeGreaterThan(0.95);
    });
  }

  it("add and mul round on the grid of s or p only where that is the result's binade", () => {
    // ddAdd and ddMul round on the grid of the first rounded sum or product and give up to
    // ddAddGen/ddMulGen when the result is on or across a power of two, or out of range: sums
    // and products landing just under, on and just over powers of two (significands of all
    // ones, 1, 1 + ulp and their neighbours), at exponents up to the fast path's limits and
    // beyond them (infinite and underflowing double products).
    const sigs: [number, number][] = [
      [0x80000000 | 0, 0], [0x80000000 | 0, 1], [0x80000000 | 0, 0x800], [0x80000000 | 0, 0x400], [-1, -1], [-1, -2], [-1, -0x800], [-1, -0x401],
      [0xb504f333 | 0, 0xf9de6484 | 0], [0xb504f334 | 0, 0], [0xfffffffe | 0, 0x7ff], [0xc0000000 | 0, 0],
    ];
    const exps = [0, 1, -1, 63, -64, 440, -440, SAFE, -SAFE, SAFE - 1, -SAFE + 1, SAFE / 2, -SAFE / 2];
    let decided = 0, all = 0;
    for (const [ah, al] of sigs) for (const [bh, bl] of sigs) for (const ea of exps) for (const eb of [0, 1, -1, ea, -ea, 64 - ea]) {
      for (const signs of [0, 0x8000]) {
        const a: V = [16383 + ea, ah, al], b: V = [(signs | (16383 + eb)) & 0xffff, bh, bl];
        if (Math.abs(eb) > SAFE) continue;
        for (const op of ["add", "sub", "mul"] as const) {
          all++;
          if (check(op, [...a] as V, [...b] as V)) decided++;
        }
      }
    }
    expect(decided / all).toBeGreaterThan(0.4); // the rest is out of range or across the limits
  });

  it("stores to m64 and m32 as the exact core rounds them", () => {
    const next = rng(99);
    let m32 = 0;
    for (let k = 0; k < 50000; k++) {
      const v = operand(next, k % 2 ? 100 : 10);
      ddDecode(H, L, 0, ...v);
      R[3] = 0;
      storeF64(v[0], v[1], v[2], 0);
      const flags64 = R[3] & (PE | C1);
      const want64 = [SC[22] | 0, SC[23] | 0];
      expect(ddToF64(H, L, 0)).toBe(flags64);
      expect([BITS[0], BITS[1]]).toEqual(want64);
      const x = ddToF32(H, L, 0);
      if (x >= 0) {
        m32++;
        R[3] = 0;
        storeF32(v[0], v[1], v[2], 0);
        expect(x).toBe(R[3] & (PE | C1));
        const bits = new Int32Array(new Float32Array([Math.fround(H[0])]).buffer)[0];
        expect(bits).toBe(SC[22] | 0);
      }
    }
    expect(m32).toBeGreaterThan(49000);
  });

  it("loads m64 operands it can hold and compares canonical pairs in order", () => {
    const F = new Float64Array(1), W = new Int32Array(F.buffer);
    for (const v of [1.5, -2.25e200, 3e-250, 0, -0]) {
      F[0] = v;
      expect(ddLoadF64(H, L, 3, W[0], W[1])).toBe(true);
      expect(Object.is(H[3], v)).toBe(true);
    }
    for (const v of [5e-324, Infinity, NaN, 1e300]) {
      F[0] = v;
      expect(ddLoadF64(H, L, 3, W[0], W[1])).toBe(false);
    }
    const next = rng(5);
    for (let k = 0; k < 20000; k++) {
      const a = operand(next, 3), b = k % 4 === 0 ? ([...a] as V) : operand(next, 3);
      if (k % 4 === 0) b[2] = (b[2] + (k % 3) - 1) | 0;
      ddDecode(H, L, 0, ...a);
      ddDecode(H, L, 1, ...b);
      // reference: compare sign, exponent, significand
      const key = (v: V): number[] => {
        if ((v[0] & 0x7fff) === 0) return [0, 0, 0, 0]; // +0 and -0 compare equal
        const s = v[0] & 0x8000 ? -1 : 1;
        return [s, s * (v[0] & 0x7fff), s * (v[1] >>> 0), s * (v[2] >>> 0)];
      };
      const ka = key(a), kb = key(b);
      let want = 0;
      for (let j = 0; j < 4 && want === 0; j++) want = Math.sign(ka[j] - kb[j]);
      expect(Math.sign(ddCompare(H, L, 0, 1))).toBe(want);
    }
  });
});
