import { describe, it, expect } from "vitest";
import { hostRandom } from "../../src/libexoc/random.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("hostRandom", () => {
  it("never hands out the same bytes twice, small requests from its pool and large ones read directly", () => {
    const seen = new Set<string>();
    // 16-byte requests (AT_RANDOM) across several refills of the 4 KiB pool, odd sizes between
    for (let k = 0; k < 1200; k++) {
      const b = new Uint8Array(k % 7 === 0 ? 33 : 16);
      hostRandom(b);
      const h = hex(b);
      expect(seen.has(h)).toBe(false);
      seen.add(h);
    }
    const big = new Uint8Array(1 << 16);
    hostRandom(big);
    // (random bytes: every value appears, none far more often than the others)
    const counts = new Array<number>(256).fill(0);
    for (const v of big) counts[v]++;
    expect(Math.min(...counts)).toBeGreaterThan(150);
    expect(Math.max(...counts)).toBeLessThan(380);
  });

  it("fills a request exactly as large as the pool allows and one larger", () => {
    for (const n of [0, 1, 255, 256, 257, 4096, 5000]) {
      const b = new Uint8Array(n + 2);
      b[0] = 0xaa;
      b[n + 1] = 0x55;
      hostRandom(b.subarray(1, n + 1));
      expect(b[0]).toBe(0xaa);
      expect(b[n + 1]).toBe(0x55);
      if (n >= 64) expect(b.subarray(1, n + 1).some((v) => v !== 0)).toBe(true);
    }
  });
});
