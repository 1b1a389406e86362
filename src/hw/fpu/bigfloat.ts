// Binary floating point with a 256-bit significand on BigInt, for the x87 transcendental
// instructions (trans.ts): their results are the exact function values correctly rounded to
// the register's 64-bit significand, which a 53-bit host libm cannot give. Values are m * 2^e
// with a signed BigInt m; every operation keeps about 256 significant bits (far more than the
// 64 + guard bits a rounding needs), and a result is never exact by accident: callers know the
// exact cases (zero arguments, powers of two, the ends of f2xm1's domain) and handle them apart.

export interface BF {
  m: bigint;
  e: number;
}

const PREC = 160;
const PREC_N = 160n;

/** Bits in |m| (0 for zero): estimated from the double nearest m, then corrected (far
 *  cheaper than printing the number in binary). */
export function bitLength(m: bigint): number {
  if (m < 0n) m = -m;
  if (m === 0n) return 0;
  if (m < 0x20000000000000n) return 64 - Math.clz32(Number(m >> 32n)) - (Number(m >> 32n) === 0 ? 32 - (32 - Math.clz32(Number(m & 0xffffffffn))) : 0);
  const v = Number(m);
  let n = v === Infinity ? 1024 : Math.floor(Math.log2(v)) + 1;
  while (n < 2000 && m >> BigInt(n) !== 0n) n++;
  while (n > 1 && m >> BigInt(n - 1) === 0n) n--;
  return n;
}

/** m * 2^e kept to PREC bits (truncated: the lost bits are far below any rounding point). */
export function bf(m: bigint, e: number): BF {
  const n = bitLength(m);
  if (n === 0) return { m: 0n, e: 0 };
  if (n > PREC) return { m: m >> BigInt(n - PREC), e: e + n - PREC };
  return { m: m << BigInt(PREC - n), e: e - (PREC - n) };
}

export const ZERO: BF = { m: 0n, e: 0 };
export const fromInt = (v: number | bigint): BF => bf(BigInt(v), 0);

export function neg(a: BF): BF {
  return { m: -a.m, e: a.e };
}

export function mul(a: BF, b: BF): BF {
  return bf(a.m * b.m, a.e + b.e);
}

export function add(a: BF, b: BF): BF {
  if (a.m === 0n) return b;
  if (b.m === 0n) return a;
  if (a.e < b.e) [a, b] = [b, a];
  const d = a.e - b.e;
  if (d > PREC + 8) return a;
  return bf((a.m << BigInt(d)) + b.m, b.e);
}

export function sub(a: BF, b: BF): BF {
  return add(a, neg(b));
}

export function div(a: BF, b: BF): BF {
  return bf((a.m << PREC_N) / b.m, a.e - b.e - PREC);
}

export function divInt(a: BF, k: number): BF {
  return bf((a.m << 32n) / BigInt(k), a.e - 32);
}

/** floor(log2 |a|) + 1 (-Infinity for zero): how large a value is, for series ends. */
export function magnitude(a: BF): number {
  return a.m === 0n ? -Infinity : a.e + bitLength(a.m);
}

export function sign(a: BF): number {
  return a.m < 0n ? -1 : a.m > 0n ? 1 : 0;
}

export function abs(a: BF): BF {
  return a.m < 0n ? neg(a) : a;
}

export function cmp(a: BF, b: BF): number {
  return sign(sub(a, b));
}

export function sqrt(a: BF): BF {
  // a = m * 2^e with e even after adjustment; isqrt of m shifted to 2 * PREC bits
  let m = a.m, e = a.e;
  if ((e & 1) !== 0) {
    m <<= 1n;
    e -= 1;
  }
  const shift = 2 * PREC - bitLength(m);
  const k = shift + (shift & 1);
  m <<= BigInt(k);
  e -= k;
  let x = 1n << BigInt(Math.ceil(bitLength(m) / 2));
  for (;;) {
    const y = (x + m / x) >> 1n;
    if (y >= x) break;
    x = y;
  }
  return bf(x, e / 2);
}

/** Sum of a series whose terms shrink: term(k) from term(k-1), until negligible. */
function series(first: BF, next: (t: BF, k: number) => BF): BF {
  let sum = first, t = first;
  for (let k = 1; k < 2000; k++) {
    t = next(t, k);
    if (t.m === 0n || magnitude(t) < magnitude(sum) - PREC - 8) break;
    sum = add(sum, t);
  }
  return sum;
}

/** atanh(z) = z + z^3/3 + z^5/5 + ... for |z| well below 1. */
function atanh(z: BF): BF {
  const z2 = mul(z, z);
  let p = z;
  return series(z, (_t, k) => {
    p = mul(p, z2);
    return divInt(p, 2 * k + 1);
  });
}

/** atan(z) for |z| <= 1/8: z - z^3/3 + z^5/5 - ... */
function atanSmall(z: BF): BF {
  const z2 = neg(mul(z, z));
  let p = z;
  return series(z, (_t, k) => {
    p = mul(p, z2);
    return divInt(p, 2 * k + 1);
  });
}

// ---- constants ----

// Computed on first use (not at load time, which every start-up would pay).

let ln2Value: BF | null = null;
/** ln 2 = 2 atanh(1/3). */
export function ln2(): BF {
  if (ln2Value === null) ln2Value = mul(fromInt(2), atanh(div(fromInt(1), fromInt(3))));
  return ln2Value;
}

/** pi to 640 bits (Machin), for the reduction of arguments up to 2^63. */
const PI_BITS = 640n;
let piFixedValue: bigint | null = null;
function piFixed(): bigint {
  if (piFixedValue !== null) return piFixedValue;
  const one = 1n << (PI_BITS + 16n);
  const atanInv = (n: bigint): bigint => {
    let sum = 0n, t = one / n, k = 1n, s = 1n;
    const n2 = n * n;
    while (t !== 0n) {
      sum += (s * t) / k;
      t /= n2;
      k += 2n;
      s = -s;
    }
    return sum;
  };
  piFixedValue = (16n * atanInv(5n) - 4n * atanInv(239n)) >> 16n;
  return piFixedValue;
}
let piValue: BF | null = null;
export function pi(): BF {
  if (piValue === null) piValue = bf(piFixed(), -Number(PI_BITS));
  return piValue;
}

// ---- functions ----

/** e^x - 1 for |x| <= 1 (Taylor: x + x^2/2! + ...; no cancellation near 0). */
export function expm1(x: BF): BF {
  return series(x, (t, k) => divInt(mul(t, x), k + 1));
}

/** 2^x - 1 for |x| <= 1. */
export function exp2m1(x: BF): BF {
  return expm1(mul(x, ln2()));
}

/** ln(x) for x > 0: x = 2^k * m with m in [sqrt(1/2), sqrt(2)), ln m = 2 atanh((m-1)/(m+1)). */
export function ln(x: BF): BF {
  let k = magnitude(x) - 1; // 2^k <= x < 2^(k+1)
  let m = bf(x.m, x.e - k); // in [1, 2)
  if (cmp(m, bf(181n, -7)) > 0) {
    // above ~sqrt(2): use m/2 and k + 1 (keeps the atanh argument small)
    m = bf(m.m, m.e - 1);
    k += 1;
  }
  const one = fromInt(1);
  const z = div(sub(m, one), add(m, one));
  return add(mul(fromInt(k), ln2()), mul(fromInt(2), atanh(z)));
}

/** ln(1 + x): 2 atanh(x / (2 + x)) for small |x| (no cancellation near 0), ln itself beyond. */
export function ln1p(x: BF): BF {
  if (magnitude(x) > -2) return ln(add(fromInt(1), x));
  return mul(fromInt(2), atanh(div(x, add(fromInt(2), x))));
}

/** atan(z) for any z: halve the argument until small, z / (1 + sqrt(1 + z^2)), then the series. */
export function atan(z: BF): BF {
  let a = abs(z);
  let doublings = 0;
  const one = fromInt(1), eighth = bf(1n, -3);
  while (cmp(a, eighth) > 0) {
    a = div(a, add(one, sqrt(add(one, mul(a, a)))));
    doublings++;
  }
  const small = atanSmall(a);
  const r = bf(small.m, small.e + doublings);
  return sign(z) < 0 ? neg(r) : r;
}

/** The angle of (x, y), in (-pi, pi], as fpatan computes arctan(y / x). */
export function atan2(y: BF, x: BF): BF {
  const ay = abs(y), ax = abs(x);
  let t: BF;
  const PI = pi();
  if (cmp(ay, ax) <= 0) t = atan(div(ay, ax));
  else t = sub(bf(PI.m, PI.e - 1), atan(div(ax, ay)));
  if (sign(x) < 0) t = sub(PI, t);
  return sign(y) < 0 ? neg(t) : t;
}

/** The pi the x87 reduces trigonometric arguments with: 66 significant bits (Intel SDM vol. 1,
 *  8.3.10; the reference AMD part uses the same), so results for arguments near multiples of
 *  pi/2 differ from the true function exactly as the CPU's do. */
const pi66 = (): bigint => piFixed() >> (PI_BITS - 64n); // pi * 2^64, truncated

/** x reduced by multiples of pi/2 (the 66-bit one): [r, k mod 4] with |r| <= pi/4, exactly. */
function reduce(x: BF): [BF, number] {
  // in units of 2^-65: pi/2 = pi66(); x = m * 2^e
  if (magnitude(x) < 0) return [x, 0];
  const shift = 65 + x.e;
  const X = shift >= 0 ? x.m << BigInt(shift) : null;
  if (X === null) {
    // x has bits below 2^-65: scale both instead
    const s = -shift;
    const half = pi66() << BigInt(s);
    return reduceScaled(x.m, half, -65 - s);
  }
  return reduceScaled(X, pi66(), -65);
}

function reduceScaled(X: bigint, half: bigint, e: number): [BF, number] {
  let k = X / half;
  let r = X - k * half;
  if (2n * r > half) {
    k += 1n;
    r -= half;
  } else if (2n * r < -half) {
    k -= 1n;
    r += half;
  }
  return [bf(r, e), Number(((k % 4n) + 4n) % 4n)];
}

/** sin and cos of a reduced argument |r| <= pi/4 by their Taylor series. */
function sinCosReduced(r: BF): [BF, BF] {
  const r2 = neg(mul(r, r));
  const s = series(r, (t, k) => divInt(mul(t, r2), 2 * k * (2 * k + 1)));
  const c = series(fromInt(1), (t, k) => divInt(mul(t, r2), (2 * k - 1) * 2 * k));
  return [s, c];
}

/** [sin x, cos x] for |x| < 2^63. */
export function sinCos(x: BF): [BF, BF] {
  const [r, q] = reduce(x);
  const [s, c] = sinCosReduced(r);
  switch (q) {
    case 0: return [s, c];
    case 1: return [c, neg(s)];
    case 2: return [neg(s), neg(c)];
    default: return [neg(c), s];
  }
}
