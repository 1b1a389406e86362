// `npm run bench`'s micro-benchmarks (perf/micro.js), run briefly: each one's set-up checks that
// it measures what it says (the region transitions' machine must make two regions), and a
// failed check stopped the whole suite. Times are not asserted; only that each benchmark ran.

import * as path from "node:path";
import { describe, expect, it } from "vitest";

interface MicroResult {
  name: string;
  meanMs: number;
}

describe("the perf suite's micro-benchmarks", () => {
  it("all run, each with a time, the region transitions' among them", async () => {
    // (perf/micro.js is the suite's own JavaScript, on the built dist/: imported by its path)
    const file = path.resolve(__dirname, "..", "perf", "micro.js");
    const { runMicro } = (await import(file)) as { runMicro: (quick: boolean) => MicroResult[] };
    const results = runMicro(true);
    const names = results.map((r) => r.name);
    expect(names).toContain("100 calls+returns between regions (chained)");
    expect(names).toContain("100 calls+returns between regions (through the engine)");
    for (const r of results) expect(r.meanMs, r.name).toBeGreaterThan(0);
  }, 120_000);
});
