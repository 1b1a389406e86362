import { afterEach, describe, it, expect } from "vitest";
import { ContentHash, hashWithWasm } from "../../src/decoder/hash.js";
import { wasmBlocks } from "../../src/decoder/hashwasm.js";

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

describe("ContentHash's wasm loop (decoder/hashwasm.ts)", () => {
  // bytes that are not periodic, long enough to cross the loop's 64 KiB chunks
  const big = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 2654435761) >>> 24);
  afterEach(() => hashWithWasm(true));

  it("is made where WebAssembly runs", () => {
    expect(wasmBlocks()).not.toBeNull();
  });

  it("gives the digests the JavaScript loop gives (and gave before it: saved caches keep them)", () => {
    const known: [number, string][] = [
      [0, "518d7b55f39990132bebfab919c38d56"],
      [17, "c59db24c6cb0e019ccab5f050a2ec90e"],
      [300, "d777be02fdf56b3b07e571764ae89b24"],
      [4096, "df33d4a6e30d97557a0fd8141fbaa9f8"],
      [65536 + 48, "9a4e92af38755b2761c07c8968403490"],
      [200_000, "cab10a329442373bb9322c325e3ecaad"],
    ];
    for (const wasm of [true, false]) {
      hashWithWasm(wasm);
      for (const [n, d] of known) expect(digest(big.subarray(0, n)), `${n} bytes, wasm ${wasm}`).toBe(d);
    }
  });

  it("agrees with the JavaScript loop on every length and split around its threshold and chunk", () => {
    for (const [n, cut] of [[255, 0], [256, 0], [257, 1], [272, 15], [65536, 7], [65552, 65536], [131088, 3], [131072 + 300, 131072]]) {
      hashWithWasm(false);
      const js = digest(big.subarray(0, cut), big.subarray(cut, n));
      hashWithWasm(true);
      expect(digest(big.subarray(0, cut), big.subarray(cut, n)), `${n} bytes cut at ${cut}`).toBe(js);
    }
  });
});
