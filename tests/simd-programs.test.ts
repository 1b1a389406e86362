// SIMD differential tests: guest programs built for SSE (tests/guest/simd_*.c) run natively and
// under `exojit run --engine interp` and `--engine jit`; stdout, stderr and the exit status
// must be identical byte for byte (the host CPU is the oracle).
//   simd_kernels  n-body, mandelbrot, sums, matrix multiply, conversions, fenv and libm with
//                 every double and float in SSE registers (-mfpmath=sse), scalar at -O0/-O2 and
//                 vectorized at -O3 for SSSE3 and SSE4.2
//   simd_intrin   SSE2..SSE4.2 intrinsics: image filter, Adler-32, CRC-32C, byte search,
//                 pcmpistri/pcmpestri, packed float math, unmasked exceptions -> SIGFPE
//   simd_strings  glibc's string functions, which pick their SSE2/SSSE3/SSE4.2 variants from
//                 CPUID, on every alignment and on strings ending before an unmapped page
//   simd_signals  signal handlers reading and changing XMM registers, MXCSR and x87 registers
//                 through the signal frame's fpstate; a #XM handler masking the exception
//   simd_loops    hot loops of packed integer SSE code (blur, saturating levels, word and dword
//                 kernels, loads across pages, a fault at an unmapped page) that the wasm tier
//                 compiles under the default engine, run with and without it
//
// Needs dist/ (`npx tsc -p .`) and gcc-multilib.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildGuest, DEFAULT_ENV, engineCompared, ensureToolchain, expectSameRun, limiter, runExojitAsync, runNativeAsync, type RunResult } from "./helpers/guest.js";

const ENGINES = ["interp", "jit"] as const;
/** Two guest processes at a time: the machines running this have two cores. */
const slot = limiter(2);

interface Case {
  name: string;
  src: string;
  flags: string[];
  libs?: string[];
}

const CASES: Case[] = [
  { name: "simd_kernels_O2_sse2", src: "simd_kernels.c", flags: ["-O2", "-msse2", "-mfpmath=sse"], libs: ["-lm"] },
  { name: "simd_kernels_O0_sse2", src: "simd_kernels.c", flags: ["-O0", "-msse2", "-mfpmath=sse"], libs: ["-lm"] },
  { name: "simd_kernels_O3_ssse3", src: "simd_kernels.c", flags: ["-O3", "-mssse3", "-mfpmath=sse"], libs: ["-lm"] },
  { name: "simd_kernels_O3_sse42", src: "simd_kernels.c", flags: ["-O3", "-msse4.2", "-mfpmath=sse"], libs: ["-lm"] },
  { name: "simd_intrin", src: "simd_intrin.c", flags: ["-O2", "-msse4.2"] },
  { name: "simd_strings", src: "simd_strings.c", flags: ["-O2"] },
  { name: "simd_signals", src: "simd_signals.c", flags: ["-O2", "-msse2"] },
  { name: "simd_loops", src: "simd_loops.c", flags: ["-O2", "-msse2"] },
];

const bins = new Map<string, string>();
const natives = new Map<string, Promise<RunResult>>();

beforeAll(() => {
  ensureToolchain();
  for (const c of CASES) {
    const bin = buildGuest(c.src, { flags: c.flags, libs: c.libs });
    bins.set(c.name, bin);
    natives.set(c.name, slot(() => runNativeAsync(bin, [])));
  }
}, 120_000);

describe.concurrent("SIMD programs: native vs exojit", () => {
  for (const c of CASES) {
    it(`${c.name}: native run ends cleanly`, async () => {
      const n = await natives.get(c.name)!;
      expect(n.status).toBe(0);
      expect(n.stdout.length).toBeGreaterThan(0);
    });
    for (const engine of ENGINES) {
      // (no i386 CPU on this host: the interpreter is the reference, helpers/oracle.ts)
      if (!engineCompared(engine, c.src)) continue;
      it(`${c.name} (${engine})`, async () => {
        const native = await natives.get(c.name)!;
        const emu = await slot(() => runExojitAsync(bins.get(c.name)!, [], { engine }));
        expectSameRun(native, emu, `${c.name} --engine ${engine}`);
      }, 60_000);
    }
  }
});

describe("SIMD loops in the wasm tier", () => {
  it("simd_loops under the default engine: its loops run as WebAssembly, with the output of the native run and of --no-wasm", async () => {
    const native = await natives.get("simd_loops")!;
    const bin = bins.get("simd_loops")!;
    const runs = await Promise.all([[], ["--no-wasm"]].map((extra) => slot(() => runExojitAsync(bin, [], { engine: "auto", extra: ["--stats", "--no-jit-cache", ...extra] }))));
    const counts = runs.map((r) => {
      const err = r.stderr.toString();
      const m = /wasm: (\d+) regions compiled to WebAssembly/.exec(err);
      expect(m, err).not.toBeNull();
      return Number(m![1]);
    });
    expect(counts[0], "regions compiled to WebAssembly").toBeGreaterThan(0);
    expect(counts[1], "none with --no-wasm").toBe(0);
    for (const r of runs) {
      expect(r.status).toBe(native.status);
      expect(r.stdout.equals(native.stdout)).toBe(true);
    }
  }, 120_000);

  it("simd_loops run again: its wasm regions are made from the modules the first run kept in the cache directory", async () => {
    const native = await natives.get("simd_loops")!;
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), "exojit-wasm-cache-"));
    try {
      const run = async (): Promise<{ regions: number; kept: number }> => {
        const r = await slot(() => runExojitAsync(bins.get("simd_loops")!, [], { engine: "auto", extra: ["--stats"], env: { ...DEFAULT_ENV, EXOJIT_CACHE: cache } }));
        expect(r.status).toBe(native.status);
        expect(r.stdout.equals(native.stdout)).toBe(true);
        const err = r.stderr.toString();
        const m = /wasm: (\d+) regions compiled to WebAssembly \(\d+ insns; (\d+) from modules saved by earlier runs\)/.exec(err);
        expect(m, err).not.toBeNull();
        return { regions: Number(m![1]), kept: Number(m![2]) };
      };
      const first = await run();
      expect(first.regions).toBeGreaterThan(0);
      expect(first.kept).toBe(0);
      // (every region of the first run made from its module; the second may also take a loop
      // early that the first run's early looks, rationed, did not reach: jit/engine.ts
      // EARLY_LOOK_INSNS, whose time the first run's looks at the loops restored now took)
      const second = await run();
      expect(second.kept).toBe(first.regions);
      expect(second.regions).toBeGreaterThanOrEqual(first.regions);
      const third = await run();
      expect(third.kept).toBe(third.regions);
      expect(third.regions).toBe(second.regions);
    } finally {
      fs.rmSync(cache, { recursive: true, force: true });
    }
  }, 120_000);
});
