// The chain table's exits (jit/chain.ts) as V8 sees them. Every region's exit runs leave()
// (link() for a linked call, linkBack() on its return), and V8 inlines them into the regions it
// optimises: a path of theirs that had never run when a region was optimised deoptimises that
// region the first time it runs. ChainTable.warm() runs each path before any region does. Its
// own file: V8 shares the feedback of leave() among every table of the process, which other
// tests' engines would warm first.

import { setFlagsFromString } from "node:v8";
import { describe, expect, it } from "vitest";
import { ChainTable, CHAIN_MIN_BUDGET, linkBack, type Chainable } from "../../src/jit/chain.js";
import { TLB_EPOCH, type Cpu } from "../../src/hw/cpu.js";
import { EIP } from "../../src/hw/state.js";

/** %GetOptimizationStatus's bit for code V8's optimising compiler made. */
const OPTIMIZED = 16;

describe("the chain table", () => {
  it("runs every path of leave(), link() and linkBack() before a region does: code V8 optimised before the first linked return keeps running at it", () => {
    setFlagsFromString("--allow-natives-syntax");
    const optimize = new Function("f", "call", "%PrepareFunctionForOptimization(f); call(); call(); %OptimizeFunctionOnNextCall(f); call();") as (f: unknown, call: () => void) => void;
    const optimized = new Function("f", "return (%GetOptimizationStatus(f) & " + OPTIMIZED + ") !== 0") as (f: unknown) => boolean;
    const c = { exit: 0, flat: true, jitFrom: null, r: new Int32Array(16) } as unknown as Cpu;
    const region: Chainable = { fn: (_c, n) => n, valid: true, chained: false, pages: new Int32Array(0), ep: TLB_EPOCH[0], work: 0, promoteAt: Infinity, promote: () => {} };
    const t = new ChainTable();
    const at = 0x8049000, ret = 0x8049100;
    t.set(at, region, c);
    expect(t.count[0]).toBe(0);
    expect(t.count[1]).toBe(0);
    expect(t.rsp).toBe(0);
    // Optimised on the paths the regions take first: a chained exit, a linked call chaining on.
    const chainOn = (): void => void t.link(c, CHAIN_MIN_BUDGET, 0, at, region, CHAIN_MIN_BUDGET, ret);
    optimize(t.link, chainOn);
    optimize(t.leave, () => void t.leave(c, CHAIN_MIN_BUDGET, 0, at, region, CHAIN_MIN_BUDGET));
    c.r[EIP] = at;
    const back = (): boolean => linkBack(c, ret, region);
    optimize(linkBack, back);
    expect([optimized(t.link), optimized(t.leave), optimized(linkBack)]).toEqual([true, true, true]);
    // Then the first return of a linked call to its caller, and the caller's test of it.
    expect(t.link(c, CHAIN_MIN_BUDGET, 0, ret, region, CHAIN_MIN_BUDGET, ret)).toBe(CHAIN_MIN_BUDGET);
    expect(t.count[1]).toBe(1);
    c.r[EIP] = ret;
    expect(back()).toBe(true);
    expect([optimized(t.link), optimized(t.leave), optimized(linkBack)]).toEqual([true, true, true]);
    // And an exit with no call under way, which a region that links its calls makes through
    // link() too (compile.ts): leave()'s chain from there.
    const chains = t.count[0];
    expect(t.link(c, CHAIN_MIN_BUDGET, 0, at, region, CHAIN_MIN_BUDGET, 0)).toBe(CHAIN_MIN_BUDGET);
    expect(t.count[0]).toBe(chains + 1);
    expect([optimized(t.link), optimized(t.leave), optimized(linkBack)]).toEqual([true, true, true]);
  });
});
