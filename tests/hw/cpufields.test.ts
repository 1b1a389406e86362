// The Cpu's fields keep the shape V8 first saw (hw/v8fields.ts): a field whose kind of value
// changes in the middle of a run makes V8 throw away every optimised function that relied on
// it. The x87 state is made on the guest's first x87 instruction, often late in a run; its field
// going from null to an FpuState then threw away optimised regions and interpreter handlers
// (36 regions in one Debian perl run, node --trace-deopt: "reason: code dependencies").
// V8's --trace-generalization names every such change and the function that made it.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO } from "../helpers/guest.js";

const DIST = path.join(REPO, "dist");

describe("the Cpu's fields", () => {
  it("are settled when the first Cpu is made: attaching the x87 state changes no field's kind", () => {
    if (!fs.existsSync(path.join(DIST, "hw", "cpu.js"))) throw new Error("dist/ is missing: run `npx tsc -p .` (npm test does it first)");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "exojit-fields-"));
    try {
      const script = path.join(dir, "attach.mjs");
      fs.writeFileSync(script, [
        `const { Cpu } = await import(${JSON.stringify(path.join(DIST, "hw", "cpu.js"))});`,
        `const { PhysMemory } = await import(${JSON.stringify(path.join(DIST, "hw", "memory.js"))});`,
        `const { fpuOf } = await import(${JSON.stringify(path.join(DIST, "hw", "fpu", "state.js"))});`,
        "const c = new Cpu(new PhysMemory(1 << 20));",
        "fpuOf(c);",
        "console.log(c.fpu !== null ? 'attached' : 'none');",
      ].join("\n"));
      const r = spawnSync(process.execPath, ["--trace-generalization", script], { encoding: "utf8", timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain("attached");
      // Generalizations of `fpu` happen in the Cpu's constructor (settleFields) only.
      const fpu = r.stdout.split("\n").filter((l) => l.startsWith("[generalizing]fpu:"));
      expect(fpu.length).toBeGreaterThan(0);
      expect(fpu.filter((l) => !/~Cpu\+|~settleFields\+/.test(l))).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
