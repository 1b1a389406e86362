// x87 differential tests: guest programs that exercise the FPU (tests/guest/x87_*.c) run natively
// and under `exojit run --engine interp` and `--engine jit`; stdout, stderr and the exit status
// must be identical byte for byte (the host CPU is the oracle).
//   x87_random  randomized exactness test of the basic operations under every precision and
//               rounding control (hashes per operation group; `x87_random v N` prints everything)
//   x87_libm    glibc printf/strtod/libm/long double/fenv (transcendentals at reduced precision)
//   x87_state   fnsave/frstor, fnstenv/fldenv, fxsave/fxrstor, exception flags, #MF -> SIGFPE
//   x87_kernels numerical loops (n-body, mandelbrot, sums, exact quotients, conversions) at -O0,
//               where every value goes through memory, and -O2: the JIT's x87 runs
//   x87_exact   status words as the CPU leaves them (C1, DE beside IE/ZE, fprem on NaNs), the
//               64-bit results and C1 of the transcendental instructions under every precision
//               and rounding control, the 16-bit fnstenv/fldenv/fnsave/frstor images
//
// Needs dist/ (`npx tsc -p .`) and gcc-multilib.

import { beforeAll, describe, expect, it } from "vitest";
import { buildGuest, engineCompared, ensureToolchain, expectSameRun, limiter, runExojitAsync, runNativeAsync, type RunResult } from "./helpers/guest.js";

const ENGINES = ["interp", "jit"] as const;
/** Two guest processes at a time: the machines running this have two cores. */
const slot = limiter(2);

interface Case {
  name: string;
  src: string;
  flags?: string[];
  libs?: string[];
  args?: string[];
}

const CASES: Case[] = [
  // 40 operands per (operation, PC, RC) group: ~75,000 operations, a few seconds per engine.
  { name: "x87_random", src: "x87_random.c", args: ["s", "40"] },
  { name: "x87_libm", src: "x87_libm.c", libs: ["-lm"] },
  { name: "x87_state", src: "x87_state.c" },
  { name: "x87_kernels_O0", src: "x87_kernels.c", flags: ["-O0"], libs: ["-lm"] },
  { name: "x87_kernels_O2", src: "x87_kernels.c", flags: ["-O2"], libs: ["-lm"] },
  { name: "x87_exact", src: "x87_exact.c" },
];

const bins = new Map<string, string>();
const natives = new Map<string, Promise<RunResult>>();

beforeAll(() => {
  ensureToolchain();
  for (const c of CASES) {
    const bin = buildGuest(c.src, { flags: c.flags, libs: c.libs });
    bins.set(c.name, bin);
    natives.set(c.name, slot(() => runNativeAsync(bin, c.args ?? [])));
  }
}, 120_000);

describe.concurrent("x87 programs: native vs exojit", () => {
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
        const emu = await slot(() => runExojitAsync(bins.get(c.name)!, c.args ?? [], { engine }));
        expectSameRun(native, emu, `${c.name} --engine ${engine}`);
      }, 60_000);
    }
  }
});
