// Instruction coverage of the CPU model: every iced-x86 Code (encoding form) of the i686 integer
// set and the x87 FPU that is valid in 32-bit mode decodes to an implemented operation; the
// SIMD sets the model does not claim in CPUID decode to #UD.

import { describe, expect, it } from "vitest";
import { coverage, I686_X87 } from "../src/decoder/coverage.js";

describe("instruction coverage", () => {
  it("implements every i686 + x87 encoding form", () => {
    const c = coverage();
    expect(c.total).toBeGreaterThan(800);
    expect(c.missing).toEqual([]);
    expect(c.implemented).toBe(c.total);
  });

  it("leaves MMX and SSE forms unimplemented, as CPUID says", () => {
    const mmx = coverage([...I686_X87, "MMX"]);
    const sse = coverage([...I686_X87, "SSE", "SSE2"]);
    expect(mmx.missing.length).toBeGreaterThan(40);
    expect(sse.missing.length).toBeGreaterThan(100);
    expect(mmx.missing.every((n) => /^(Mov|P|Emms|Pack|Punpck)/i.test(n))).toBe(true);
  });
});
