// The fields of the engine's hot objects keep the shape V8 first saw (hw/v8fields.ts): a field
// whose kind of value changes in the middle of a run (a first object where there was null, a
// first write after construction, a double where there were small integers) makes V8 throw away
// every optimised function that relied on it, which it then optimises again. In Debian's perl
// and python3, node --trace-deopt showed tens of regions thrown away that way ("reason: code
// dependencies"): on the guest's first x87 instruction (the Cpu's x87 state), on the first
// chained entry, recompile or stack-window miss of a region (the Region fields chains and the
// cache write), and when run-time counts in nanoseconds or instructions outgrew a small integer
// (the exokernel's run loop and scheduler). V8's --trace-generalization names every such change
// and the function that made it; these tests make the changes a run makes and check that none
// is left to make.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO } from "./helpers/guest.js";

const DIST = path.join(REPO, "dist");

/** Runs `lines` (an ES module importing dist/ through `D`: it makes the objects, then writes
 *  their fields as a run would later) under --trace-generalization; returns the generalizations
 *  of `fields` that the script's own writes made. */
function generalizedLate(lines: string[], fields: string[]): string[] {
  if (!fs.existsSync(path.join(DIST, "hw", "cpu.js"))) throw new Error("dist/ is missing: run `npx tsc -p .` (npm test does it first)");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "exojit-fields-"));
  try {
    const script = path.join(dir, "fields.mjs");
    fs.writeFileSync(script, [`const D = ${JSON.stringify(DIST)};`, ...lines, "console.log('done');"].join("\n"));
    // (--no-sparkplug: V8 11.3 fails a check when it names a frame of baseline code in this trace)
    const r = spawnSync(process.execPath, ["--no-sparkplug", "--trace-generalization", script], { encoding: "utf8", timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("done");
    const made = r.stdout.split("\n").filter((l) => fields.some((f) => l.startsWith(`[generalizing]${f}:`)));
    // (each field is settled once, so it is generalized somewhere: the test sees the trace)
    expect(made.length).toBeGreaterThan(0);
    return made.filter((l) => l.includes(script));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("the fields V8 optimises the engine against", () => {
  it("of the Cpu are settled when the first one is made: attaching the x87 state changes none", () => {
    const late = generalizedLate([
      "const { Cpu } = await import(`${D}/hw/cpu.js`);",
      "const { PhysMemory } = await import(`${D}/hw/memory.js`);",
      "const { FpuState } = await import(`${D}/hw/fpu/state.js`);",
      "const c = new Cpu(new PhysMemory(1 << 20));",
      "c.fpu = new FpuState();",
    ], ["fpu"]);
    expect(late).toEqual([]);
  });

  it("of a Region are settled on the first one compiled: chains, recompiles and the LRU change none", () => {
    // A counting loop compiled at once (--engine jit), then the writes the engine makes later
    // to a region: its first chained entry, a new TLB epoch, a stack-window miss, its drop at
    // a recompile, an LRU tick, and a compile time of a whole number of milliseconds.
    const late = generalizedLate([
      "const { Exokernel } = await import(`${D}/exokernel/kernel.js`);",
      "const { Region } = await import(`${D}/jit/region.js`);",
      "const { EIP, ESP } = await import(`${D}/hw/state.js`);",
      "const k = new Exokernel({ memory: 16 << 20, engine: { engine: 'jit' } });",
      "const env = k.newEnv(k.newPool(64));",
      "const as = k.aspaceOf(env);",
      "const ppn = k.mapNew(as, 0x400000, 7); k.mapNew(as, 0x800000, 7);",
      "k.mem.u8.set([0xb9, 0xe8, 0x03, 0, 0, 0x83, 0xc0, 0x01, 0x49, 0x75, 0xfa, 0xcd, 0x80], ppn << 12);",
      "const regs = k.regs(env); regs[EIP] = 0x400000; regs[ESP] = 0x801000;",
      "k.run(env, 100000);",
      "const r = k.engine.chain.regions.find((x) => x instanceof Region);",
      "if (r === undefined) throw new Error('no region compiled');",
      "r.chained = true; r.ep = 7; r.windowMisses = 3; r.valid = false; r.lastUsed = 99; r.compileMs = 2;",
    ], ["valid", "chained", "lastUsed", "windowMisses", "ep", "compileMs"]);
    expect(late).toEqual([]);
  });

  it("of the exokernel, an environment and the scheduler hold the counts that outgrow a small integer", () => {
    // Nanoseconds of run time pass 2^30 after about a second, instruction counts after about
    // 2^30 instructions: the kernel's turnStart, an environment's cpuNs, insns and vruntime,
    // and the fair-share scheduler's minVruntime became doubles then, in the middle of a run.
    const late = generalizedLate([
      "const { Exokernel } = await import(`${D}/exokernel/kernel.js`);",
      "const k = new Exokernel({ memory: 16 << 20, engine: { engine: 'interp' } });",
      "const env = k.env(k.newEnv(k.newPool(64)));",
      "const big = 2 ** 31 + 0.5;",
      "k.turnStart = big; env.cpuNs = big; env.insns = 2 ** 31; env.vruntime = big; k.sched.minVruntime = big;",
    ], ["turnStart", "cpuNs", "insns", "vruntime", "minVruntime"]);
    expect(late).toEqual([]);
  });
});
