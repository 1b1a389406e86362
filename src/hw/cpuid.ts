// The CPU model CPUID reports. It claims exactly the features this emulator implements: glibc and
// compilers choose code paths by these bits, so claiming one that does not work breaks programs.

/** Feature bits of leaf 1 EDX (Intel SDM vol. 2, CPUID, table 3-11). */
export const CPUID_EDX = {
  FPU: 1 << 0,
  DE: 1 << 2,
  PSE: 1 << 3,
  TSC: 1 << 4,
  CX8: 1 << 8,
  SEP: 1 << 11,
  PGE: 1 << 13,
  CMOV: 1 << 15,
  CLFSH: 1 << 19,
  MMX: 1 << 23,
  FXSR: 1 << 24,
  SSE: 1 << 25,
  SSE2: 1 << 26,
} as const;

/** Feature bits of leaf 1 ECX. */
export const CPUID_ECX = {
  SSE3: 1 << 0,
  SSSE3: 1 << 9,
  SSE4_1: 1 << 19,
  SSE4_2: 1 << 20,
  POPCNT: 1 << 23,
} as const;

/** Vendor string. glibc reads the leaf-1 feature bits only for vendors it knows (for any other
 *  it assumes a bare i386 and never enables SSE in fenv or its string functions), so the model
 *  is the Intel part whose signature it reports. */
export const VENDOR = "GenuineIntel";

export interface CpuidModel {
  /** Leaf 1 EDX feature bits. */
  edx1: number;
  /** Leaf 1 ECX feature bits. */
  ecx1: number;
}

/** Features implemented by the CPU (both tiers): the i686 integer set and x87, and the SIMD
 *  sets up to SSE4.2 with POPCNT (tests/coverage.test.ts checks each claimed set is complete). */
export const DEFAULT_MODEL: CpuidModel = {
  edx1: CPUID_EDX.FPU | CPUID_EDX.TSC | CPUID_EDX.CX8 | CPUID_EDX.CMOV | CPUID_EDX.PSE | CPUID_EDX.PGE |
    CPUID_EDX.MMX | CPUID_EDX.FXSR | CPUID_EDX.SSE | CPUID_EDX.SSE2,
  ecx1: CPUID_ECX.SSE3 | CPUID_ECX.SSSE3 | CPUID_ECX.SSE4_1 | CPUID_ECX.SSE4_2 | CPUID_ECX.POPCNT,
};

/** Leaf 1 EAX: family 6, model 0x1a, stepping 5 (a Nehalem-EP Core i7, the first generation
 *  with SSE4.2 and POPCNT and nothing newer). */
export const SIGNATURE = 0x000106a5;

function str4(s: string, at: number): number {
  return s.charCodeAt(at) | (s.charCodeAt(at + 1) << 8) | (s.charCodeAt(at + 2) << 16) | (s.charCodeAt(at + 3) << 24);
}

/** Returns [eax, ebx, ecx, edx] for a leaf/subleaf. */
export function cpuid(model: CpuidModel, leaf: number, _sub: number): [number, number, number, number] {
  switch (leaf >>> 0) {
    case 0:
      return [1, str4(VENDOR, 0), str4(VENDOR, 8), str4(VENDOR, 4)];
    case 1:
      // CLFLUSH line size 8 quadwords.
      return [SIGNATURE, 8 << 8, model.ecx1, model.edx1];
    case 0x80000000:
      return [0x80000004, 0, 0, 0];
    case 0x80000001:
      return [0, 0, 0, 0];
    case 0x80000002:
    case 0x80000003:
    case 0x80000004: {
      const brand = "exojit virtual CPU (SSE4.2)".padEnd(48, "\0");
      const o = (leaf - 0x80000002) * 16;
      return [str4(brand, o), str4(brand, o + 4), str4(brand, o + 8), str4(brand, o + 12)];
    }
    default:
      // Leaves above the maximum return the highest basic leaf's data on Intel; zeros are what
      // software treats as "nothing to report".
      return [0, 0, 0, 0];
  }
}
