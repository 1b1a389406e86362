// Tests never assert timings, so their time limits are only there to catch hangs: generous
// enough for a loaded 2-core machine (several exojit processes each, natively and emulated).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 300_000,
  },
});
