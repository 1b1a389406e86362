// Instruction coverage: which iced-x86 Code values of a feature set the CPU model implements.
// A Code is one encoding form (`add r/m32, imm8` and `add r/m32, imm32` are two). Used by the
// coverage test and `node dist/decoder/coverage.js` for a report.

import { loadIced } from "./iced.js";
import { implemented } from "./convert.js";

/** The i686 integer set plus the x87 FPU (what issue-level "i686+x87" means): the features of
 *  the Pentium Pro/II generation, without MMX/SSE. */
export const I686_X87 = [
  "INTEL8086", "INTEL186", "INTEL286", "INTEL386", "INTEL486", "CPUID", "CMOV", "CX8", "TSC", "MSR",
  "SEP", "PAUSE", "MULTIBYTENOP", "FPU", "FPU287", "FPU387",
];

export interface Coverage {
  total: number;
  implemented: number;
  /** Code names of the set that decode to #UD. */
  missing: string[];
}

/** Codes valid in 32-bit mode whose CPUID features all lie in `features`. */
export function coverage(features: readonly string[] = I686_X87): Coverage {
  const { Instruction, Code, CodeExt, CpuidFeature } = loadIced();
  const allowed = new Set(features.map((n) => (CpuidFeature as unknown as Record<string, number>)[n]));
  const names = Code as unknown as Record<number, string>;
  const out: Coverage = { total: 0, implemented: 0, missing: [] };
  for (let code = 1; names[code] !== undefined; code++) {
    const info = CodeExt.opCode(code);
    const relevant = info.isInstruction && info.mode32;
    info.free();
    if (!relevant) continue;
    const ins = Instruction.create(code);
    try {
      const feats = [...ins.cpuidFeatures()];
      if (feats.length === 0 || !feats.every((f) => allowed.has(f))) continue;
      out.total++;
      if (implemented(ins)) out.implemented++;
      else out.missing.push(names[code]);
    } finally {
      ins.free();
    }
  }
  return out;
}
