// The execution engine with the JIT: budgets honoured inside compiled loops (--max-insns, and
// the exokernel's slices), compiled code evicted when the cache is over its bound and compiled
// again on demand, and statistics that account for every instruction.

import { describe, expect, it } from "vitest";
import { EAX, ECX } from "../../src/hw/state.js";
import { machine } from "../helpers/machine.js";
import { X_BUDGET, X_INT } from "../../src/exokernel/env.js";
import { buildGuest, runExojit } from "../helpers/guest.js";
import { CODE } from "../helpers/machine.js";
import { compileRegion } from "../../src/jit/compile.js";

function machineWith(code: number[], engine: "interp" | "jit" | "auto", maxCompiledInsns?: number) {
  return machine(code, { engine, maxCompiledInsns, threshold: 2 });
}

/** `n` separate counting loops, each `mov ecx, 1000; l: add eax, 1; dec ecx; jnz l`, then
 *  `int 0x80`. */
function loops(n: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < n; k++) out.push(0xb9, 0xe8, 0x03, 0, 0, 0x83, 0xc0, 0x01, 0x49, 0x75, 0xfa);
  out.push(0xcd, 0x80);
  return out;
}

describe("the JIT engine", () => {
  it("compiles a block that holds another block of its region once, falling through to it", () => {
    // 0: mov ecx, 1000; 5: l: add eax, 1; dec ecx; jnz l; int 0x80. The block at 0 holds the
    // loop's block at 5 (blocks run to the next branch): 4 instructions, not 1 + 3 + 3.
    const code = loops(1);
    const { k, env } = machineWith(code, "interp");
    k.run(env, 0);
    const outer = k.engine.lookup(CODE), loop = k.engine.lookup(CODE + 5);
    expect(outer.insns.length).toBe(4);
    const compiled = compileRegion([outer, loop], "overlap");
    expect(compiled.insns).toBe(4);
    expect(compiled.source.split("n = n - 3 | 0").length - 1).toBe(1); // the loop body, once
    // and it computes the same
    const j = machineWith(code, "jit");
    expect(j.k.run(j.env, 100_000).kind).toBe(X_INT);
    expect(j.k.regs(j.env)[EAX]).toBe(1000);
    expect(j.k.regs(j.env)[ECX]).toBe(0);
  });

  it("stops a compiled tight loop at the budget, with the count exact", () => {
    for (const engine of ["interp", "jit", "auto"] as const) {
      const { k, env } = machineWith([0x40, 0xeb, 0xfd], engine); // l: inc eax; jmp l
      let x = k.run(env, 100_000);
      expect(x.kind).toBe(X_BUDGET);
      const first = k.cpu.icount;
      x = k.run(env, 250_001);
      expect(x.kind).toBe(X_BUDGET);
      const ran = k.cpu.icount;
      // Blocks run whole: the budget may be overshot by less than one block.
      expect(first).toBeGreaterThanOrEqual(100_000);
      expect(first).toBeLessThan(100_002);
      expect(ran - first).toBeGreaterThanOrEqual(250_001);
      expect(ran - first).toBeLessThan(250_003);
      // eax counts the incs: half the instructions retired.
      expect(Math.abs(k.regs(env)[EAX] - Math.floor(ran / 2))).toBeLessThanOrEqual(1);
    }
  });

  it("evicts compiled code over its bound, compiles it again, and still computes the same", () => {
    const { k, env } = machineWith(loops(12), "auto", 12);
    const x = k.run(env, 10_000_000);
    expect(x.kind).toBe(X_INT);
    expect(k.regs(env)[EAX]).toBe(12_000);
    expect(k.regs(env)[ECX]).toBe(0);
    const s = k.engine.stats;
    expect(s.jit.evictions).toBeGreaterThan(0);
    expect(k.engine.regions.size.insns).toBeLessThanOrEqual(12 + 4);
    expect(s.interpInsns + s.jitInsns).toBe(k.cpu.icount);
    expect(s.jitInsns).toBeGreaterThan(s.interpInsns);
  });

  it("ends a spinning guest at --max-insns with status 124 under every engine", () => {
    const bin = buildGuest("spin.c");
    for (const engine of ["interp", "jit", "auto"] as const) {
      const r = runExojit(bin, [], { engine, extra: ["--max-insns", "20000000"], timeoutMs: 30_000 });
      expect(r.status).toBe(124);
      expect(r.stderr.toString()).toMatch(/^exojit: instruction limit of 20000000 reached\n$/);
    }
  });
});
