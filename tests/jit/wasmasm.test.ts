// The wasm tier's assembler (src/jit/wasm/asm.ts): LEB128 encodings, and modules that V8
// validates and runs with the results a translator relies on (named branches, br_table
// dispatch, memory and SIMD).

import { describe, expect, it } from "vitest";
import { FnBuilder, buildModule, uleb, sleb, I32, V128, OP, SIMD } from "../../src/jit/wasm/asm.js";

/** The part of the WebAssembly API the tests use (the project's TypeScript lib has none). */
interface Wasm {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: Record<string, (...args: number[]) => number> };
  Memory: new (d: { initial: number; maximum: number }) => { buffer: ArrayBuffer };
}
const WA = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;

function instantiate(bytes: Uint8Array, memory?: { buffer: ArrayBuffer }) {
  return new WA.Instance(new WA.Module(bytes), memory === undefined ? {} : { m: { mem: memory } }).exports;
}

describe("wasm assembler", () => {
  it("encodes LEB128 at the edges of each byte count", () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(127)).toEqual([127]);
    expect(uleb(128)).toEqual([0x80, 1]);
    expect(uleb(0xffffffff)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(sleb(63)).toEqual([63]);
    expect(sleb(64)).toEqual([0xc0, 0]);
    expect(sleb(-64)).toEqual([0x40]);
    expect(sleb(-65)).toEqual([0xbf, 0x7f]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(-0x80000000)).toEqual([0x80, 0x80, 0x80, 0x80, 0x78]);
  });

  it("builds a function that V8 runs", () => {
    const f = new FnBuilder([I32, I32], [I32]);
    f.get(0).get(1).op(OP.i32Add);
    const { add } = instantiate(buildModule({ funcs: [{ name: "add", fn: f }] }));
    expect(add(40, 2)).toBe(42);
    expect(add(0x7fffffff, 1)).toBe(-0x80000000);
  });

  it("resolves named branches through nested blocks and loops", () => {
    // sum of 1..n, leaving early past 1000 through a branch out of two levels
    const f = new FnBuilder([I32], [I32]);
    const sum = f.local(I32);
    f.block("out").loop("again").block("skip");
    f.get(sum).get(0).op(OP.i32Add).set(sum);
    f.get(sum).i32(1000).op(OP.i32GtS).brIf("out");
    f.end(); // skip
    f.get(0).i32(1).op(OP.i32Sub).tee(0).brIf("again");
    f.end().end();
    f.get(sum);
    const { sum: run } = instantiate(buildModule({ funcs: [{ name: "sum", fn: f }] }));
    expect(run(10)).toBe(55);
    expect(run(100)).toBe(100 + 99 + 98 + 97 + 96 + 95 + 94 + 93 + 92 + 91 + 90); // 1,045: out early
  });

  it("dispatches with br_table as a translator's block switch does", () => {
    // block k adds 10^k to acc and goes on to block next[k]; 3 ends
    const f = new FnBuilder([I32], [I32]);
    const acc = f.local(I32);
    const next = [2, 0, 3];
    f.block("exit").loop("dispatch").block("default").block("b2").block("b1").block("b0");
    f.get(0).brTable(["b0", "b1", "b2"], "default");
    ["b0", "b1", "b2"].forEach((label, k) => {
      f.end(); // label's code follows
      f.get(acc).i32(10 ** k).op(OP.i32Add).set(acc);
      f.i32(next[k]).set(0).br("dispatch");
    });
    f.end().br("exit"); // default
    f.end().end();
    f.get(acc);
    const { run } = instantiate(buildModule({ funcs: [{ name: "run", fn: f }] }));
    expect(run(1)).toBe(111); // 1 -> 0 -> 2 -> 3
    expect(run(2)).toBe(100); // 2 -> 3
    expect(run(7)).toBe(0);
  });

  it("reads and writes an imported memory, with SIMD lanes", () => {
    const mem = new WA.Memory({ initial: 1, maximum: 1 });
    const i16 = new Int16Array(mem.buffer);
    for (let k = 0; k < 8; k++) {
      i16[k] = 1000 * k - 3000;
      i16[8 + k] = 30000;
    }
    // out[0..8) = a + b as i16 lanes (wrapping), at address 32; returns the i32 at 32
    const f = new FnBuilder([], [I32]);
    const v = f.local(V128);
    f.i32(0).simd(SIMD.v128Load, 4, 0).i32(16).simd(SIMD.v128Load, 4, 0).simd(SIMD.i16x8Add, 1).set(v);
    f.i32(32).get(v).simd(SIMD.v128Store, 4, 0);
    f.i32(32).mem(OP.i32Load, 2);
    const { run } = instantiate(buildModule({ memory: { module: "m", name: "mem", pages: 1 }, funcs: [{ name: "run", fn: f }] }), mem);
    const first = run();
    for (let k = 0; k < 8; k++) expect(i16[16 + k]).toBe(((1000 * k - 3000 + 30000 + 0x8000) & 0xffff) - 0x8000);
    expect(first).toBe(new Int32Array(mem.buffer)[8]);
  });

  it("refuses branches to blocks that are not open, and bodies left open", () => {
    const f = new FnBuilder([], []);
    f.block("a");
    expect(() => f.br("b")).toThrow(/no open block named 'b'/);
    expect(() => f.body()).toThrow(/left open/);
    f.end();
    expect(() => f.end()).toThrow(/nothing open/);
  });
});
