// The engine's run loop as V8 sees it (jit/engine.ts run). V8 optimises the loop early in a
// process, with the type feedback its paths have by then; a path first taken later whose tests
// or calls have no feedback deoptimises it, and V8 compiles it again (30-40 ms of its compiler
// a time, in every process). These tests optimise the loop, then take such a path, and check
// that its optimised code is still in place. Their own file: feedback belongs to the function,
// which other tests' engines would have warmed.

import { setFlagsFromString } from "node:v8";
import { describe, expect, it } from "vitest";
import { machine, CODE, DATA } from "../helpers/machine.js";
import { X_INT, X_BUDGET } from "../../src/exokernel/env.js";
import { EIP, EAX } from "../../src/hw/state.js";
import { MAX_SUCC } from "../../src/jit/engine.js";
import { MAX_REGION_INSNS } from "../../src/jit/region.js";

/** %GetOptimizationStatus's bit for code V8's optimising compiler made. */
const OPTIMIZED = 16;

function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

/** Loops at CODE + AT[k]: `mov ecx, n; l: call f` from `sites` call sites of its own, `dec ecx;
 *  jnz l; int 0x80`; f (`ret`) at CODE + F. */
const AT = [0, 0x200, 0x400], F = 0x800;
function callLoops(loops: { n: number; sites: number }[]): number[] {
  const code = new Array<number>(F + 1).fill(0x90);
  loops.forEach(({ n, sites }, k) => {
    const at = AT[k], out = [0xb9, ...le32(n)];
    for (let s = 0; s < sites; s++) out.push(0xe8, ...le32(F - (at + out.length + 5)));
    // (jnz back to the first call: rel32 from the end of the 6-byte jump after dec ecx)
    out.push(0x49, 0x0f, 0x85, ...le32(5 - (out.length + 7)), 0xcd, 0x80);
    code.splice(at, out.length, ...out);
  });
  code[F] = 0xc3;
  return code;
}

describe("the engine's run loop", () => {
  setFlagsFromString("--allow-natives-syntax");
  const optimize = new Function("f", "call", "%PrepareFunctionForOptimization(f); call(); call(); %OptimizeFunctionOnNextCall(f); call(); %FinalizeOptimization();") as (f: unknown, call: () => void) => void;
  const optimized = new Function("f", "return (%GetOptimizationStatus(f) & " + OPTIMIZED + ") !== 0") as (f: unknown) => boolean;

  it("keeps its optimised code when a block's list of successors first fills (Block.succCap)", () => {
    // f's return goes back to 10 call sites, then to 20 more: its list fills at MAX_SUCC. No
    // block runs often enough to be compiled or looked at for the wasm tier (threshold 100,000:
    // 12,500), so the loop interprets them all; successors are recorded from 6,250 runs.
    const { k, env } = machine(callLoops([{ n: 10, sites: 1 }, { n: 1000, sites: 10 }, { n: 2, sites: 20 }]), { engine: "auto", threshold: 100_000, wasm: false });
    expect(10 + 20).toBeGreaterThan(MAX_SUCC);
    const run = Object.getPrototypeOf(k.engine).run as unknown;
    const slice = (): void => void expect(k.run(env, 500).kind).toBe(X_BUDGET);
    const toEnd = (at: number): void => {
      k.regs(env)[EIP] = CODE + at;
      while (k.run(env, 500).kind !== X_INT);
    };
    // (the first loop, to its int 0x80; then the second, optimised once f's successors are
    // being recorded, 625 of its passes of 22 instructions in: V8's optimising compiler held
    // until then, as the command line holds it at first, so that it optimises the loop only
    // here, with the feedback of both)
    setFlagsFromString("--no-turbofan");
    try {
      toEnd(AT[0]);
      k.regs(env)[EIP] = CODE + AT[1];
      for (let t = 0; t < 30; t++) slice();
    } finally {
      setFlagsFromString("--turbofan");
    }
    const ret = k.engine.lookup(CODE + F);
    expect(ret.succ.length).toBeGreaterThan(0);
    optimize(run, slice);
    while (k.run(env, 500).kind !== X_INT);
    expect(optimized(run)).toBe(true);
    expect(ret.succ.length).toBe(10);
    toEnd(AT[2]);
    expect(ret.succ.length).toBe(MAX_SUCC);
    expect(optimized(run)).toBe(true);
  });

  it("keeps its optimised code when a region makes no progress, its first instruction leaving at once", () => {
    // mov ecx, n; l: mov eax, [DATA]; add eax, 1; mov [DATA2], eax; mov [DATA], eax; dec ecx;
    // jnz l; int 0x80: the loop is a region, entered at l, whose first instruction reads DATA
    // (absolute addresses: no window on a base register, whose failed check is another way).
    // Dropping DATA2's TLB entry makes it leave inside (at the store there), which the loop is
    // optimised after; dropping DATA's makes it leave at once.
    const DATA2 = DATA + 0x1000, n = 100_000;
    const code = [0xb9, ...le32(n), 0xa1, ...le32(DATA), 0x83, 0xc0, 0x01, 0xa3, ...le32(DATA2), 0xa3, ...le32(DATA), 0x49, 0x0f, 0x85, ...le32(-25), 0xcd, 0x80];
    const { k, env } = machine(code, { engine: "auto", threshold: 50, wasm: false });
    k.mapNew(k.aspaceOf(env), DATA2, 7);
    const run = Object.getPrototypeOf(k.engine).run as unknown;
    // (slices of more than a region's most instructions: the case of no progress is not the
    // budget's)
    const SLICE = 4 * MAX_REGION_INSNS;
    const slice = (): void => void expect(k.run(env, SLICE).kind).toBe(X_BUDGET);
    setFlagsFromString("--no-turbofan");
    try {
      // (run through four times: the block before the loop is then interpreted often enough
      // that the loop's region entered after it is noted among its successors, as in any
      // program)
      for (let t = 0; t < 4; t++) {
        k.regs(env)[EIP] = CODE;
        while (k.run(env, SLICE).kind !== X_INT);
      }
      expect(k.regs(env)[EAX]).toBe(4 * n);
      k.regs(env)[EIP] = CODE;
      for (let t = 0; t < 20; t++) {
        k.cpu.invlpg(DATA2);
        slice();
      }
    } finally {
      setFlagsFromString("--turbofan");
    }
    optimize(run, slice);
    expect(optimized(run)).toBe(true);
    const entries = k.engine.stats.regionRuns;
    for (let t = 0; t < 5; t++) {
      k.cpu.invlpg(DATA);
      slice();
    }
    expect(k.engine.stats.regionRuns).toBeGreaterThan(entries);
    expect(optimized(run)).toBe(true);
    while (k.run(env, SLICE).kind !== X_INT);
    expect(k.regs(env)[EAX]).toBe(5 * n);
  });

  it("keeps its optimised code at the first miss of its jump cache on another block in the slot", () => {
    // Two programs, each `mov ecx, n; l: call f; dec ecx; jnz l; int 0x80` with f a `ret` on the
    // next page. The first one's blocks all have slots of their own (the jump cache starts
    // small: 2^12 entries); the second one's f is 4 KB after its l, in l's slot, so the two
    // take it from each other at every pass. Interpreted (threshold 100,000).
    const P1 = 0x100, F1 = 0x1300, P2 = 0x800, F2 = P2 + 5 + 0x1000;
    const prog = (at: number, f: number, n: number): number[] => [0xb9, ...le32(n), 0xe8, ...le32(f - (at + 10)), 0x49, 0x75, 0xf8, 0xcd, 0x80];
    const code = new Array<number>(0x2000).fill(0x90);
    code.splice(P1, 13, ...prog(P1, F1, 7000));
    code.splice(P2, 13, ...prog(P2, F2, 100));
    code[F1] = code[F2] = 0xc3;
    const { k, env } = machine(code.slice(0, 0x1000), { engine: "auto", threshold: 100_000, wasm: false });
    const page2 = k.mapNew(k.aspaceOf(env), CODE + 0x1000, 7);
    k.mem.u8.set(code.slice(0x1000), page2 << 12);
    const run = Object.getPrototypeOf(k.engine).run as unknown;
    const toEnd = (at: number): void => {
      k.regs(env)[EIP] = CODE + at;
      while (k.run(env, 500).kind !== X_INT);
    };
    const slice = (): void => void expect(k.run(env, 500).kind).toBe(X_BUDGET);
    setFlagsFromString("--no-turbofan");
    try {
      toEnd(P1);
      k.regs(env)[EIP] = CODE + P1;
      for (let t = 0; t < 10; t++) slice();
    } finally {
      setFlagsFromString("--turbofan");
    }
    optimize(run, slice);
    expect(optimized(run)).toBe(true);
    toEnd(P2);
    expect(optimized(run)).toBe(true);
  });
});
