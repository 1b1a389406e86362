// The exact 80-bit arithmetic core (hw/fpu/ext80.ts, muldiv.ts, formats.ts) against an
// independent BigInt reference that computes each exact result as a rational number and rounds it
// to 24/53/64 bits in the extended exponent range (gradual underflow, overflow) by each rounding
// control. Then hand-checked cases: ties to even, directed rounding, precision control, denormals,
// infinities, NaN propagation and the real indefinite, huge exponents, conversions.

import { describe, expect, it } from "vitest";
import { R, add } from "../../src/hw/fpu/ext80.js";
import { mul, div, sqrt } from "../../src/hw/fpu/muldiv.js";
import { loadF64, storeF64, storeF32, storeInt, roundInt, SC } from "../../src/hw/fpu/formats.js";

const BIAS = 16383;
const IE = 1, DE = 2, ZE = 4, OE = 8, UE = 16, PE = 32, C1 = 0x200;

type V = [number, number, number]; // se, mantissa high, low
const hex = (v: V): string => (v[0] & 0xffff).toString(16).padStart(4, "0") + (v[1] >>> 0).toString(16).padStart(8, "0") + (v[2] >>> 0).toString(16).padStart(8, "0");
const res = (): string => hex([R[0], R[1], R[2]]);
const V = (s: string): V => [parseInt(s.slice(0, 4), 16), parseInt(s.slice(4, 12), 16) | 0, parseInt(s.slice(12, 20), 16) | 0];

function run(fn: () => void): { r: string; exc: number } {
  R[3] = 0;
  fn();
  return { r: res(), exc: R[3] };
}

// ---- reference ----
/** Exact value of a finite encoding: [sign, mantissa, exponent k] with value = m * 2^k. */
function decode(v: V): [number, bigint, number] {
  const e = v[0] & 0x7fff;
  const m = (BigInt(v[1] >>> 0) << 32n) | BigInt(v[2] >>> 0);
  return [(v[0] >> 15) & 1, m, (e === 0 ? 1 : e) - BIAS - 63];
}

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/** Rounds sign * n/d * 2^k (n, d > 0) to p bits, extended range; returns [encoding, flags]. */
function refRound(s: number, n: bigint, d: bigint, k: number, p: number, rc: number): [string, number] {
  // exponent E with 2^E <= n/d * 2^k < 2^(E+1)
  let E = bitLength(n) - bitLength(d) + k;
  const ge = (e: number): boolean => (e - k >= 0 ? n >= (d << BigInt(e - k)) : n << BigInt(k - e) >= d);
  while (!ge(E)) E--;
  while (ge(E + 1)) E++;
  let flags = 0;
  const be = E + BIAS;
  // quantum: 2^(E - p + 1); tiny values round at the same bit position as the smallest normal
  // (the x87 denormalizes, then rounds off the same low 64 - p bits of the significand field)
  let qexp = E - p + 1;
  const minq = 1 - BIAS - 63;
  const tinyBefore = be < 1;
  if (qexp < minq + 64 - p) qexp = minq + 64 - p;
  // q = n/d * 2^(k - qexp)
  let num = n, den = d;
  if (k - qexp >= 0) num <<= BigInt(k - qexp);
  else den <<= BigInt(qexp - k);
  let q = num / den;
  const rem = num - q * den;
  if (rem !== 0n) {
    flags |= PE;
    let inc = false;
    if (rc === 0) inc = 2n * rem > den || (2n * rem === den && (q & 1n) === 1n);
    else if (rc === 1) inc = s === 1;
    else if (rc === 2) inc = s === 0;
    if (inc) {
      q += 1n;
      flags |= C1;
    }
  }
  // tininess after rounding: the result rounded with unbounded exponent below 2^-16382
  if (tinyBefore && rem !== 0n) {
    // recompute with unbounded exponent at p bits
    const qe2 = E - p + 1;
    let n2 = n, d2 = d;
    if (k - qe2 >= 0) n2 <<= BigInt(k - qe2);
    else d2 <<= BigInt(qe2 - k);
    let q2 = n2 / d2;
    const r2 = n2 - q2 * d2;
    if (r2 !== 0n) {
      let inc = false;
      if (rc === 0) inc = 2n * r2 > d2 || (2n * r2 === d2 && (q2 & 1n) === 1n);
      else if (rc === 1) inc = s === 1;
      else if (rc === 2) inc = s === 0;
      if (inc) q2 += 1n;
    }
    const stillTiny = bitLength(q2) + qe2 - 1 < 1 - BIAS;
    if (stillTiny) flags |= UE;
  }
  if (q === 0n) return [hex([s << 15, 0, 0]), flags];
  // normalize q * 2^qexp to a 64-bit mantissa
  const bl = bitLength(q);
  let re = qexp + bl - 1 + BIAS; // biased exponent of the result
  let m = q << BigInt(64 - bl);
  if (re < 1) {
    // denormal: value = m' * 2^(1 - BIAS - 63)
    m = q << BigInt(qexp - minq);
    re = 0;
  }
  if (re > 0x7ffe) {
    flags |= OE | PE;
    const toInf = rc === 0 || (rc === 1 && s === 1) || (rc === 2 && s === 0);
    if (toInf) return [hex([(s << 15) | 0x7fff, 0x80000000 | 0, 0]), flags | C1];
    const max = ((1n << BigInt(p)) - 1n) << BigInt(64 - p);
    return [hex([(s << 15) | 0x7ffe, Number(max >> 32n) | 0, Number(max & 0xffffffffn) | 0]), flags & ~C1];
  }
  return [hex([(s << 15) | re, Number(m >> 32n) | 0, Number(m & 0xffffffffn) | 0]), flags];
}

function refBinary(op: string, a: V, b: V, p: number, rc: number): [string, number] {
  const [sa, ma, ka] = decode(a), [sb0, mb, kb] = decode(b);
  if (op === "mul") return refRound(sa ^ sb0, ma * mb, 1n, ka + kb, p, rc);
  if (op === "div") return refRound(sa ^ sb0, ma, mb, ka - kb, p, rc);
  const sb = op === "sub" ? sb0 ^ 1 : sb0;
  const k = Math.min(ka, kb);
  const x = (sa ? -ma : ma) << BigInt(ka - k), y = (sb ? -mb : mb) << BigInt(kb - k);
  const sum = x + y;
  if (sum === 0n) return [hex([rc === 1 ? 0x8000 : 0, 0, 0]), 0];
  return refRound(sum < 0n ? 1 : 0, sum < 0n ? -sum : sum, 1n, k, p, rc);
}

function refSqrt(a: V, p: number, rc: number): [string, number] {
  const [, m, k0] = decode(a);
  // sqrt(m * 2^k): make k even and scale up for 80 extra bits, then the integer root with sticky
  let mm = m, k = k0;
  if (k & 1) { mm <<= 1n; k -= 1; }
  mm <<= 160n;
  k -= 160;
  let r = BigInt(Math.floor(Math.sqrt(Number(mm))));
  for (let i = 0; i < 8; i++) r = (r + mm / r) >> 1n;
  while (r * r > mm) r--;
  while ((r + 1n) * (r + 1n) <= mm) r++;
  // sqrt = r (+ fraction) * 2^(k/2); feed as (2r+1)/2 when inexact (sticky below the rounding point)
  if (r * r === mm) return refRound(0, r, 1n, k / 2, p, rc);
  return refRound(0, 2n * r + 1n, 2n, k / 2, p, rc);
}

// ---- random operands ----
let seed = 12345;
function rnd32(): number {
  seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
  return seed >>> 0;
}
function randomNormal(spread: number, low = false): V {
  const e = BIAS + (rnd32() % (2 * spread + 1)) - spread;
  const h = (rnd32() | 0x80000000) >>> 0;
  let l = rnd32();
  if (low) l &= 0xfffff800; // an exact double
  return [((rnd32() & 1) << 15) | e, h | 0, l | 0];
}
function randomAny(): V {
  const k = rnd32() % 8;
  if (k === 0) return randomNormal(3, true);
  if (k === 1) { // denormal
    return [(rnd32() & 1) << 15, (rnd32() >>> (1 + (rnd32() % 31))) | 0, rnd32() | 0];
  }
  if (k === 2) return [((rnd32() & 1) << 15) | (1 + (rnd32() % 70)), (rnd32() | 0x80000000) | 0, rnd32() | 0];
  if (k === 3) return [((rnd32() & 1) << 15) | (0x7ffe - (rnd32() % 70)), (rnd32() | 0x80000000) | 0, rnd32() | 0];
  if (k === 4) return [((rnd32() & 1) << 15) | (BIAS + (rnd32() % 8)), 0x80000000 | (rnd32() & 0xff000000), 0]; // few bits: ties
  return randomNormal(70);
}

const PCS = [24, 53, 64];

describe("exact rounding against a BigInt reference", () => {
  for (const op of ["add", "sub", "mul", "div"]) {
    it(`${op}: random operands at every precision and rounding control`, () => {
      let checked = 0;
      for (let i = 0; i < 1500; i++) {
        const a = randomAny(), b = randomAny();
        if ((a[0] & 0x7fff) === 0 && (a[1] | a[2]) === 0) continue;
        if ((b[0] & 0x7fff) === 0 && (b[1] | b[2]) === 0) continue;
        const denorm = (v: V) => (v[0] & 0x7fff) === 0;
        for (const p of PCS) {
          for (let rc = 0; rc < 4; rc++) {
            const got = run(() => {
              if (op === "add") add(a[0], a[1], a[2], b[0], b[1], b[2], 0, p, rc);
              else if (op === "sub") add(a[0], a[1], a[2], b[0], b[1], b[2], 1, p, rc);
              else if (op === "mul") mul(a[0], a[1], a[2], b[0], b[1], b[2], p, rc);
              else div(a[0], a[1], a[2], b[0], b[1], b[2], p, rc);
            });
            const [want, flags] = refBinary(op, a, b, p, rc);
            const expFlags = flags | (denorm(a) || denorm(b) ? DE : 0);
            const ctx = `${op} ${hex(a)} ${hex(b)} pc${p} rc${rc}`;
            expect(got.r, ctx).toBe(want);
            expect(got.exc & (PE | UE | OE | C1 | DE), ctx).toBe(expFlags & (PE | UE | OE | C1 | DE));
            checked++;
          }
        }
      }
      expect(checked).toBeGreaterThan(10000);
    });
  }
  it("sqrt: random operands at every precision and rounding control", () => {
    for (let i = 0; i < 1500; i++) {
      const a = randomAny();
      a[0] &= 0x7fff;
      if ((a[0] & 0x7fff) === 0 && (a[1] | a[2]) === 0) continue;
      for (const p of PCS) {
        for (let rc = 0; rc < 4; rc++) {
          const got = run(() => sqrt(a[0], a[1], a[2], p, rc));
          const [want, flags] = refSqrt(a, p, rc);
          expect(got.r, `sqrt ${hex(a)} pc${p} rc${rc}`).toBe(want);
          expect(got.exc & (PE | C1), `sqrt ${hex(a)} pc${p} rc${rc}`).toBe(flags & (PE | C1));
        }
      }
    }
  });
});

describe("hand-checked cases", () => {
  const one = V("3fff8000000000000000");
  const ulp64 = V("3fc08000000000000000"); // 2^-63: the last bit of a 64-bit significand at 1.0
  it("ties to even and directed rounding at 64 bits", () => {
    const half = V("3fbf8000000000000000"); // 2^-64: half an ulp of 1.0
    expect(run(() => add(...one, ...half, 0, 64, 0)).r).toBe("3fff8000000000000000"); // tie -> even
    const oneUlp = V("3fff8000000000000001");
    expect(run(() => add(...oneUlp, ...half, 0, 64, 0)).r).toBe("3fff8000000000000002"); // tie -> even (up)
    expect(run(() => add(...one, ...half, 0, 64, 2)).r).toBe("3fff8000000000000001"); // up
    expect(run(() => add(...one, ...half, 0, 64, 1)).r).toBe("3fff8000000000000000"); // down
    expect(run(() => add(...one, ...half, 1, 64, 1)).r).toBe("3ffeffffffffffffffff"); // 1 - 2^-64 down
    expect(run(() => add(...one, ...half, 1, 64, 0)).r).toBe("3ffeffffffffffffffff"); // exact
    expect(run(() => add(...one, ...ulp64, 0, 64, 0)).exc & PE).toBe(0);
  });
  it("precision control rounds the significand, not the exponent range", () => {
    const third = run(() => div(...one, ...V("4000c000000000000000"), 64, 0)).r;
    expect(third).toBe("3ffdaaaaaaaaaaaaaaab");
    expect(run(() => div(...one, ...V("4000c000000000000000"), 53, 0)).r).toBe("3ffdaaaaaaaaaaaaa800");
    expect(run(() => div(...one, ...V("4000c000000000000000"), 24, 0)).r).toBe("3ffdaaaaab0000000000");
    expect(run(() => div(...one, ...V("4000c000000000000000"), 24, 3)).r).toBe("3ffdaaaaaa0000000000");
    // 2^-16000 squared at PC 53 still has the extended range (a denormal, not zero)
    const tiny = V("01bf8000000000000000");
    const sq = run(() => mul(...tiny, ...V("3fff8000000000000000"), 53, 0));
    expect(sq.r).toBe("01bf8000000000000000");
  });
  it("denormals, underflow and overflow", () => {
    const min = V("00010000000000000001"); // pseudo... smallest normal exponent with small mantissa
    expect(run(() => mul(...V("00018000000000000000"), ...V("3ffe8000000000000000"), 64, 0)).r).toBe("00004000000000000000");
    const u = run(() => mul(...V("00018000000000000001"), ...V("3ffe8000000000000000"), 64, 0));
    expect(u.r).toBe("00004000000000000000"); // ties to even in the denormal
    expect(u.exc & (UE | PE)).toBe(UE | PE);
    void min;
    const big = V("7ffe8000000000000000");
    const o = run(() => mul(...big, ...V("40008000000000000000"), 64, 0));
    expect(o.r).toBe("7fff8000000000000000");
    expect(o.exc & (OE | PE)).toBe(OE | PE);
    expect(run(() => mul(...big, ...V("40008000000000000000"), 64, 3)).r).toBe("7ffeffffffffffffffff");
    expect(run(() => mul(...big, ...V("40008000000000000000"), 53, 3)).r).toBe("7ffefffffffffffff800");
    expect(run(() => mul(...big, ...V("c0008000000000000000"), 64, 2)).r).toBe("fffeffffffffffffffff");
  });
  it("infinities, zeros, NaNs and the real indefinite", () => {
    const inf = V("7fff8000000000000000"), ninf = V("ffff8000000000000000");
    const qnan = V("7fffc000000000000123"), snan = V("7fffa000000000000000");
    expect(run(() => add(...inf, ...ninf, 0, 64, 0))).toEqual({ r: "ffffc000000000000000", exc: IE });
    expect(run(() => mul(...inf, ...V("00000000000000000000"), 64, 0))).toEqual({ r: "ffffc000000000000000", exc: IE });
    expect(run(() => div(...one, ...V("80000000000000000000"), 64, 0))).toEqual({ r: "ffff8000000000000000", exc: ZE });
    expect(run(() => div(...V("00000000000000000000"), ...V("00000000000000000000"), 64, 0)).r).toBe("ffffc000000000000000");
    expect(run(() => add(...qnan, ...one, 0, 64, 0))).toEqual({ r: "7fffc000000000000123", exc: 0 });
    expect(run(() => add(...one, ...snan, 0, 64, 0))).toEqual({ r: "7fffe000000000000000", exc: IE });
    expect(run(() => add(...qnan, ...snan, 0, 64, 0))).toEqual({ r: "7fffc000000000000123", exc: IE });
    expect(run(() => sqrt(...V("bfff8000000000000000"), 64, 0))).toEqual({ r: "ffffc000000000000000", exc: IE });
    expect(run(() => add(...one, ...V("bfff8000000000000000"), 0, 64, 0)).r).toBe("00000000000000000000");
    expect(run(() => add(...one, ...V("bfff8000000000000000"), 0, 64, 1)).r).toBe("80000000000000000000");
    expect(run(() => add(...V("3fff0000000000000001"), ...one, 0, 64, 0))).toEqual({ r: "ffffc000000000000000", exc: IE }); // unnormal
  });
  it("conversions: m64 loads are exact, stores round by RC", () => {
    run(() => loadF64(0x55555555, 0x3fd55555));
    expect(res()).toBe("3ffdaaaaaaaaaaaaa800");
    run(() => loadF64(1, 0)); // smallest double denormal
    expect(res()).toBe("3bcd8000000000000000");
    const third = V("3ffdaaaaaaaaaaaaaaab");
    for (const [rc, lo] of [[0, 0x55555555], [1, 0x55555555], [2, 0x55555556], [3, 0x55555555]]) {
      run(() => storeF64(...third, rc));
      expect([SC[22] >>> 0, SC[23] >>> 0], `rc${rc}`).toEqual([lo >>> 0, 0x3fd55555]);
    }
    run(() => storeF32(...third, 0));
    expect(SC[22] >>> 0).toBe(0x3eaaaaab);
    const x = run(() => storeF64(...V("7ffe8000000000000000"), 0));
    expect([SC[22] >>> 0, SC[23] >>> 0, x.exc & (OE | PE)]).toEqual([0, 0x7ff00000, OE | PE]);
    run(() => storeF64(...V("3bcc8000000000000000"), 0)); // half the smallest denormal: tie to 0
    expect([SC[22], SC[23]]).toEqual([0, 0]);
    run(() => storeF64(...V("3bcc8000000000000001"), 0));
    expect([SC[22], SC[23]]).toEqual([1, 0]);
  });
  it("integers and frndint", () => {
    const twoHalf = V("4000a000000000000000");
    for (const [rc, want] of [[0, 2], [1, 2], [2, 3], [3, 2]]) {
      run(() => storeInt(...twoHalf, 4, rc));
      expect(SC[22], `rc${rc}`).toBe(want);
    }
    run(() => storeInt(...V("c01e8000000000000000"), 4, 0)); // -2^31
    expect(SC[22]).toBe(0x80000000 | 0);
    const big = run(() => storeInt(...V("401e8000000000000000"), 4, 0)); // 2^31: out of range
    expect([SC[22], big.exc & IE]).toEqual([0x80000000 | 0, IE]);
    run(() => storeInt(...V("c03e8000000000000000"), 8, 0)); // -2^63
    expect([SC[22], SC[23]]).toEqual([0, 0x80000000 | 0]);
    run(() => storeInt(...V("c001a000000000000000"), 2, 0)); // -5
    expect(SC[22] & 0xffff).toBe(0xfffb);
    expect(run(() => roundInt(...V("bffe8000000000000000"), 0)).r).toBe("80000000000000000000"); // -0.5 -> -0
    expect(run(() => roundInt(...V("3fffc000000000000000"), 0)).r).toBe("40008000000000000000"); // 1.5 -> 2
    expect(run(() => roundInt(...V("4000a000000000000000"), 0)).r).toBe("40008000000000000000"); // 2.5 -> 2
    expect(run(() => roundInt(...V("bfffc000000000000000"), 1)).r).toBe("c0008000000000000000"); // -1.5 down -> -2
  });
});
