// Tests never assert timings, so their time limits are only there to catch hangs: generous
// enough for a loaded 2-core machine (several exojit processes each, natively and emulated).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Two test files at a time (vitest's default on two cores is one): most files wait on guest
    // processes at some point, and a single worker left a core idle then. The whole suite took
    // 750 s instead of 990 s here; each test takes up to twice as long under the extra load,
    // which the time limits allow for (the longest, an ISA program under the JIT, took 66 s).
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
