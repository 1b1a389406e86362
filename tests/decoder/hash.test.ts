import { describe, it, expect } from "vitest";
import { ContentHash } from "../../src/decoder/hash.js";

const digest = (...parts: (Uint8Array | Int32Array)[]): string => {
  const h = new ContentHash();
  for (const p of parts) h.update(p);
  return h.digest();
};

describe("ContentHash", () => {
  const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 37 + 11) & 0xff);

  it("gives the same digest however the bytes are split", () => {
    const whole = digest(data);
    expect(whole).toMatch(/^[0-9a-f]{32}$/);
    for (const cut of [1, 3, 15, 16, 17, 100, 299]) {
      expect(digest(data.subarray(0, cut), data.subarray(cut))).toBe(whole);
    }
    expect(digest(...Array.from(data, (b) => Uint8Array.of(b)))).toBe(whole);
  });

  it("reads an Int32Array as its bytes in memory", () => {
    const words = Int32Array.of(0x04030201, -1, 0x7fffffff);
    expect(digest(words)).toBe(digest(new Uint8Array(words.buffer)));
  });

  it("changes with any one bit of the input, and with the length", () => {
    const seen = new Set<string>([digest(data)]);
    for (let i = 0; i < data.length; i++) {
      for (const bit of [0, 7]) {
        const d = data.slice();
        d[i] ^= 1 << bit;
        seen.add(digest(d));
      }
    }
    expect(seen.size).toBe(1 + 2 * data.length);
    // trailing zero bytes, and the empty input
    const z = new Uint8Array(20);
    const lengths = new Set([0, 1, 4, 15, 16, 17, 20].map((n) => digest(z.subarray(0, n))));
    expect(lengths.size).toBe(7);
  });

  it("spreads a one-bit change over the whole digest", () => {
    // (every output bit flips for about half of the inputs: an avalanche, not a checksum)
    const flips = new Array<number>(128).fill(0);
    const bits = (hex: string): number[] => [...hex].flatMap((c) => [3, 2, 1, 0].map((k) => (parseInt(c, 16) >> k) & 1));
    const base = bits(digest(data));
    for (let i = 0; i < 64; i++) {
      const d = data.slice();
      d[i * 4] ^= 1 << (i & 7);
      bits(digest(d)).forEach((b, k) => (flips[k] += b ^ base[k]));
    }
    for (const f of flips) {
      expect(f).toBeGreaterThan(12);
      expect(f).toBeLessThan(52);
    }
  });
});
