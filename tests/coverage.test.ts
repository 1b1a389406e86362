// Instruction coverage of the CPU model: every iced-x86 Code (encoding form) of the i686 integer
// set, the x87 FPU and the SIMD sets up to SSE4.2 that is valid in 32-bit mode decodes to an
// implemented operation; the sets the model does not claim in CPUID (AVX, AES, ...) decode to
// #UD; and CPUID claims exactly the complete sets.

import { describe, expect, it } from "vitest";
import { coverage, I686_X87 } from "../src/decoder/coverage.js";
import { cpuid, DEFAULT_MODEL, CPUID_EDX, CPUID_ECX } from "../src/hw/cpuid.js";

/** The SIMD feature sets (iced CpuidFeature names) and how many encoding forms each adds. */
const SIMD_SETS: [string, number][] = [
  ["MMX", 58], ["FXSR", 2], ["SSE", 77], ["SSE2", 157], ["SSE3", 13], ["SSSE3", 32], ["SSE4_1", 47], ["SSE4_2", 8], ["POPCNT", 2],
];
const ALL_SIMD = SIMD_SETS.map(([f]) => f);
/** Sets this model lacks: their forms must stay #UD. */
const ABSENT = ["AVX", "AVX2", "AES", "PCLMULQDQ", "MOVBE", "SSE4A", "MONITOR", "FMA", "F16C", "SHA", "XSAVE"];

/** CPUID leaf 1 bits that name an instruction set, with the iced feature of its instructions. */
const CPUID_SETS: { reg: "edx" | "ecx"; bit: number; feature: string }[] = [
  { reg: "edx", bit: CPUID_EDX.FPU, feature: "FPU" },
  { reg: "edx", bit: CPUID_EDX.TSC, feature: "TSC" },
  { reg: "edx", bit: CPUID_EDX.CX8, feature: "CX8" },
  { reg: "edx", bit: CPUID_EDX.CMOV, feature: "CMOV" },
  { reg: "edx", bit: CPUID_EDX.MMX, feature: "MMX" },
  { reg: "edx", bit: CPUID_EDX.FXSR, feature: "FXSR" },
  { reg: "edx", bit: CPUID_EDX.SSE, feature: "SSE" },
  { reg: "edx", bit: CPUID_EDX.SSE2, feature: "SSE2" },
  { reg: "ecx", bit: CPUID_ECX.SSE3, feature: "SSE3" },
  { reg: "ecx", bit: CPUID_ECX.SSSE3, feature: "SSSE3" },
  { reg: "ecx", bit: CPUID_ECX.SSE4_1, feature: "SSE4_1" },
  { reg: "ecx", bit: CPUID_ECX.SSE4_2, feature: "SSE4_2" },
  { reg: "ecx", bit: CPUID_ECX.POPCNT, feature: "POPCNT" },
  // bits the model does not claim, whose instruction sets it lacks
  { reg: "ecx", bit: 1 << 1, feature: "PCLMULQDQ" },
  { reg: "ecx", bit: 1 << 3, feature: "MONITOR" },
  { reg: "ecx", bit: 1 << 12, feature: "FMA" },
  { reg: "ecx", bit: 1 << 22, feature: "MOVBE" },
  { reg: "ecx", bit: 1 << 25, feature: "AES" },
  { reg: "ecx", bit: 1 << 26, feature: "XSAVE" },
  { reg: "ecx", bit: 1 << 28, feature: "AVX" },
];

/** Forms a feature adds on top of everything else implemented. */
function added(feature: string): { total: number; implemented: number; missing: string[] } {
  const base = [...I686_X87, ...ALL_SIMD];
  const withIt = coverage([...base, feature]);
  const without = coverage(base.filter((f) => f !== feature));
  return {
    total: withIt.total - without.total,
    implemented: withIt.implemented - without.implemented,
    missing: withIt.missing.filter((m) => !without.missing.includes(m)),
  };
}

describe("instruction coverage", () => {
  it("implements every i686 + x87 encoding form", () => {
    const c = coverage();
    expect(c.total).toBeGreaterThan(800);
    expect(c.missing).toEqual([]);
    expect(c.implemented).toBe(c.total);
  });

  for (const [feature, forms] of SIMD_SETS) {
    it(`implements all ${forms} ${feature} encoding forms`, () => {
      const a = added(feature);
      expect(a.missing).toEqual([]);
      expect(a.total).toBe(forms);
      expect(a.implemented).toBe(forms);
    });
  }

  it("implements the whole i686 + x87 + SIMD set (1212 forms)", () => {
    const c = coverage([...I686_X87, ...ALL_SIMD]);
    expect(c.missing).toEqual([]);
    expect(c.total).toBe(1212);
  });

  it("leaves AVX, AES and the other absent sets unimplemented", () => {
    for (const f of ABSENT) {
      const a = added(f);
      expect(a.total, f).toBeGreaterThan(0);
      expect(a.implemented, f).toBe(0);
    }
  });

  it("CPUID claims exactly the instruction sets that are complete", () => {
    const [, , ecx, edx] = cpuid(DEFAULT_MODEL, 1, 0);
    for (const { reg, bit, feature } of CPUID_SETS) {
      const claimed = ((reg === "edx" ? edx : ecx) & bit) !== 0;
      const c = coverage([...I686_X87, ...ALL_SIMD, feature]);
      const a = added(feature);
      const complete = c.missing.length === 0 && (a.total === 0 || a.implemented === a.total);
      const implementedAny = I686_X87.includes(feature) || a.implemented > 0;
      expect(claimed, `${feature} claimed`).toBe(complete && implementedAny);
    }
  });

  it("reports the signature of a real SSE4.2 CPU (family 6, model 0x1a)", () => {
    const [eax] = cpuid(DEFAULT_MODEL, 1, 0);
    const family = (eax >> 8) & 0xf, model = ((eax >> 12) & 0xf0) | ((eax >> 4) & 0xf);
    expect([family, model]).toEqual([6, 0x1a]);
  });
});
