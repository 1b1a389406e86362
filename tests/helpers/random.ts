// Deterministic random values for the differential tests: a failure names its seed.

/** A small deterministic generator (xorshift32), giving int32s. */
export function rng(seed: number): () => number {
  let s = seed | 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s | 0;
  };
}

/** int32 values at the edges of sizes and signs. */
export const EDGE = [0, 1, -1, 0x7fffffff, 0x80000000 | 0, 0xff, 0x80, 0x7f, 0xffff, 0x8000];
