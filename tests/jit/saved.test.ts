// Saved translations (jit/saved.ts): regions compiled by one machine, kept in a store, are made
// again from their saved code by another machine running the same code, at once and without the
// translator (a wasm region's module from its blocks); a saved region whose blocks' bytes differ
// now, or whose saved code is damaged, is compiled afresh, and the guest sees the same results
// either way.

import { describe, expect, it } from "vitest";
import { EAX, EBX, EDX, ESI } from "../../src/hw/state.js";
import { X_INT } from "../../src/exokernel/env.js";
import { machine } from "../helpers/machine.js";
import { MemoryRegionStore, entryKey, type RegionStore, type SavedRegion } from "../../src/jit/saved.js";
import { compileRegion, restoreRegion } from "../../src/jit/compile.js";
import { KEEP_PER_INSN, PROMOTE_PER_INSN, type Region } from "../../src/jit/region.js";
import { BlockDecoder } from "../../src/decoder/block.js";
import { CODE, DATA } from "../helpers/machine.js";

function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

/** `mov esi, DATA; mov ecx, 64; i: imul edx, ecx, 0x9e3779b9; mov [esi+ecx*4-4], edx; dec ecx;
 *  jnz i; mov ecx, n; l: 25 x (add eax, [esi]; add esi, 4); jmp m; m: 25 x (the same); and esi,
 *  ~0xff; dec ecx; jnz l; int 0x80`: a loop of two blocks and 104 instructions that calls
 *  nothing, which the wasm tier takes (once both blocks are hot). */
function leafLoop(n: number): number[] {
  const body = [...HALF, 0xeb, 0x00, ...HALF];
  const l = INIT.length + 5;
  return [...INIT, 0xb9, ...le32(n), ...body, 0x81, 0xe6, ...le32(~0xff), 0x49, 0x0f, 0x85, ...le32(l - (l + body.length + 13)), 0xcd, 0x80];
}

/** leafLoop's start (`mov esi, DATA; mov ecx, 64; i: ...; jnz i`) and half of its loop's body. */
const INIT = [0xbe, ...le32(DATA), 0xb9, ...le32(64), 0x69, 0xd1, ...le32(0x9e3779b9), 0x89, 0x54, 0x8e, 0xfc, 0x49, 0x75, 0xf3];
const HALF = Array.from({ length: 25 }, () => [0x03, 0x06, 0x83, 0xc6, 0x04]).flat();

/** `mov esi, DATA; mov ecx, n; l: call f; dec ecx; jnz l; int 0x80`, with f = 240 times `add
 *  eax, 1` (the last one adding `last`), then `mov edx, [esi]; add esi, 0; ret`: f is two
 *  blocks (of 128 and 115 instructions), and `last` is in the second. */
function program(n: number, last = 1): number[] {
  const f = 5 + 5 + 5 + 1 + 2 + 2;
  const out = [0xbe, ...le32(DATA), 0xb9, ...le32(n), 0xe8, ...le32(f - 15), 0x49, 0x75, 0xf8, 0xcd, 0x80];
  for (let k = 0; k < 240; k++) out.push(0x83, 0xc0, k === 239 ? last : 1);
  out.push(0x8b, 0x16, 0x81, 0xc6, ...le32(0), 0xc3);
  return out;
}

/** leafLoop's start, then its loop as a function L (`l: ...; dec ecx; jnz l; ret`), called once
 *  with ecx = n, then `calls` times with ecx = `passes`: first a loop the wasm tier takes, then
 *  one entered for a few passes (104 instructions each, 105 with `paddd xmm0, xmm0` in it: a
 *  loop of packed integer SSE) each time, which it demotes below its least work per entry
 *  (wasm/region.ts JUDGE_RUNS: 1,024 entries of less than 256 instructions on average, 1,024
 *  without packed SSE). */
function shortVisits(n: number, calls: number, passes = 1, packed = false): number[] {
  const main = (at: number): number[] => {
    // mov ecx, n; call L; mov edi, calls; o: mov ecx, passes; call L; dec edi; jnz o; int 0x80
    const L = at + 30;
    const o = at + 15;
    return [0xb9, ...le32(n), 0xe8, ...le32(L - (at + 10)), 0xbf, ...le32(calls), 0xb9, ...le32(passes), 0xe8, ...le32(L - (at + 25)), 0x4f, 0x75, (o - (at + 28)) & 0xff, 0xcd, 0x80];
  };
  const L = INIT.length + 30;
  const body = [...HALF, 0xeb, 0x00, ...HALF, ...(packed ? [0x66, 0x0f, 0xfe, 0xc0] : []), 0x81, 0xe6, ...le32(~0xff), 0x49];
  return [...INIT, ...main(INIT.length), ...body, 0x0f, 0x85, ...le32(L - (L + body.length + 6)), 0xc3];
}

/** `mov esi, DATA; mov ebx, sel; mov ecx, n; l: call F; 10 x add eax, [esi]; dec ecx; jnz l;
 *  int 0x80`, with F = `test ebx, ebx; jz out; 70 x add edx, 1; out: ret`. With sel 0 the loop
 *  is 16 instructions, which the JavaScript tier takes; otherwise 86, calling only F, a direct
 *  loop the wasm tier takes. Only the first block holds sel: the loop's blocks are the same
 *  bytes either way. */
function detour(sel: number, n: number): number[] {
  const loop = [0xe8, ...le32(25), ...Array.from({ length: 10 }, () => [0x03, 0x06]).flat(), 0x49, 0x75, 0xe4, 0xcd, 0x80];
  const f = [0x85, 0xdb, 0x0f, 0x84, ...le32(210), ...Array.from({ length: 70 }, () => [0x83, 0xc2, 0x01]).flat(), 0xc3];
  return [0xbe, ...le32(DATA), 0xbb, ...le32(sel), 0xb9, ...le32(n), ...loop, ...f];
}

/** Runs `code` to its int 0x80 (by default without the wasm tier: these tests are about the
 *  JavaScript tier's saved code, and program()'s loop is one the wasm tier may take). */
function run(code: number[], engine: "interp" | "auto", store: RegionStore | null, wasm = false) {
  const { k, env } = machine(code, { engine, threshold: 40, store, wasm });
  expect(k.run(env, 10_000_000).kind).toBe(X_INT);
  const r = k.regs(env);
  return { eax: r[EAX], edx: r[EDX], esi: r[ESI], count: k.cpu.icount, s: k.engine.stats };
}

describe("saved translations", () => {
  it("makes a second machine's regions from the first one's saved code, at their first execution", () => {
    const ref = run(program(3000), "interp", null);
    expect(ref.eax).toBe(3000 * 240);
    const store = new MemoryRegionStore();
    const first = run(program(3000), "auto", store);
    expect(first.s.jit.saved).toBeGreaterThan(0);
    expect(first.s.jit.restored).toBe(0);
    expect(store.size).toBeGreaterThan(0);
    const second = run(program(3000), "auto", store);
    for (const x of [first, second]) {
      expect({ eax: x.eax, edx: x.edx, esi: x.esi, count: x.count }).toEqual({ eax: ref.eax, edx: ref.edx, esi: ref.esi, count: ref.count });
      expect(x.s.interpInsns + x.s.jitInsns).toBe(x.count);
    }
    // Every region of the first run that the second compiled came from its saved code.
    expect(second.s.jit.restored).toBeGreaterThan(0);
    expect(second.s.jit.stale).toBe(0);
    expect(second.s.jit.saved).toBe(second.s.jit.regionsCompiled + second.s.jit.recompiles - second.s.jit.restored);
    // A block where a saved region starts is compiled at its first execution: not even one
    // pass of f (243 instructions) is interpreted.
    expect(first.s.interpInsns).toBeGreaterThan(243);
    expect(second.s.interpInsns).toBeLessThan(243);
  });

  it("makes regions only from code saved under its own threshold: not a cold region --engine jit saved for an auto run", () => {
    const at = (engine: "jit" | "auto", threshold: number | undefined, store: RegionStore) => {
      const { k, env } = machine(program(3000), { engine, threshold, store, wasm: false });
      expect(k.run(env, 10_000_000).kind).toBe(X_INT);
      expect(k.regs(env)[EAX]).toBe(3000 * 240);
      return k.engine.stats.jit;
    };
    const store = new MemoryRegionStore();
    // (--engine jit compiles every block at its first execution, and saves those regions)
    const jit = at("jit", undefined, store);
    expect(jit.saved).toBeGreaterThan(0);
    expect([...store.keys()].every((key) => key.endsWith("-t1"))).toBe(true);
    // An auto machine, at the default threshold or another, makes none of them: it compiles
    // what comes due under its own threshold, and saves that under its own keys.
    for (const threshold of [undefined, 40]) {
      const auto = at("auto", threshold, store);
      expect(auto.restored).toBe(0);
      expect(auto.saved).toBeGreaterThan(0);
    }
    expect([...store.keys()].filter((key) => key.endsWith("-t14")).length).toBeGreaterThan(0);
    expect([...store.keys()].filter((key) => !/-t[0-9a-z]+$/.test(key)).length).toBeGreaterThan(0);
    // Each threshold's runs make their regions from what was saved under it.
    expect(at("jit", undefined, store).restored).toBeGreaterThan(0);
    expect(at("auto", 40, store).restored).toBeGreaterThan(0);
    expect(at("auto", undefined, store).restored).toBeGreaterThan(0);
  });

  it("saves a region again once it has run KEEP_PER_INSN, and a later machine starts with the code V8 optimises", () => {
    // f's region runs at least 243 instructions a call, and holds at most 250: 2 * KEEP_PER_INSN
    // calls are enough for it to be kept promoted.
    const n = 2 * KEEP_PER_INSN;
    const ref = run(program(n), "interp", null);
    const store = new MemoryRegionStore();
    const first = run(program(n), "auto", store);
    expect(first.s.jit.promoted).toBeGreaterThan(0);
    const second = run(program(n), "auto", store);
    for (const x of [first, second]) expect({ eax: x.eax, edx: x.edx, count: x.count }).toEqual({ eax: ref.eax, edx: ref.edx, count: ref.count });
    expect(second.s.jit.restored).toBeGreaterThan(0);
    // (what got kept promoted in the first run is made promoted: nothing runs its first tier again)
    expect(second.s.jit.promoted).toBe(0);
  });

  it("saves a region promoted in a run but short of KEEP_PER_INSN with its first tier", () => {
    // (2 * PROMOTE_PER_INSN calls promote f's region, as above, and stay well short of keeping it)
    expect(4 * PROMOTE_PER_INSN).toBeLessThanOrEqual(KEEP_PER_INSN);
    const n = 2 * PROMOTE_PER_INSN;
    const store = new MemoryRegionStore();
    const first = run(program(n), "auto", store);
    expect(first.s.jit.promoted).toBeGreaterThan(0);
    const second = run(program(n), "auto", store);
    expect(second.s.jit.restored).toBeGreaterThan(0);
    // (restored with its first tier, it is promoted again in this run)
    expect(second.s.jit.promoted).toBe(first.s.jit.promoted);
    expect(second.eax).toBe(first.eax);
  });

  it("makes a loop the wasm tier took in a first run again at its first execution, and the JavaScript tier's code without that tier", () => {
    const ref = run(leafLoop(2000), "interp", null);
    const store = new MemoryRegionStore();
    const first = run(leafLoop(2000), "auto", store, true);
    expect(first.s.jit.wasmRegions).toBeGreaterThan(0);
    expect(first.s.jit.saved).toBeGreaterThan(0);
    const second = run(leafLoop(2000), "auto", store, true);
    expect(second.s.jit.restored).toBeGreaterThan(0);
    expect(second.s.jit.wasmRegions).toBe(first.s.jit.wasmRegions);
    // (the loop's 104 instructions run compiled from its first pass, from the saved blocks: the
    // first run interpreted it until both blocks came due)
    expect(first.s.interpInsns).toBeGreaterThan(104 * 40);
    expect(second.s.interpInsns).toBeLessThan(first.s.interpInsns - 104 * 30);
    // without the wasm tier, the saved loop is compiled to JavaScript instead
    const js = run(leafLoop(2000), "auto", store, false);
    expect(js.s.jit.wasmRegions).toBe(0);
    expect(js.s.jit.regionsCompiled).toBeGreaterThan(0);
    for (const x of [first, second, js]) expect({ eax: x.eax, esi: x.esi, count: x.count }).toEqual({ eax: ref.eax, esi: ref.esi, count: ref.count });
  });

  it("takes a loop into the wasm tier when code a saved JavaScript region of it leaves to makes it one the tier takes", () => {
    // (the first run saves the JavaScript region of the short loop; the second goes through F
    // each pass, which that region leaves to: a fresh run makes a wasm region of the loop, and
    // so must a run that starts from the saved region, whose blocks ran uncounted)
    const ref = run(detour(1, 3000), "interp", null);
    expect(ref.edx).toBe(3000 * 70);
    const fresh = run(detour(1, 3000), "auto", null, true);
    expect(fresh.s.jit.wasmRegions).toBeGreaterThan(0);
    const store = new MemoryRegionStore();
    const first = run(detour(0, 3000), "auto", store, true);
    expect(first.s.jit.wasmRegions).toBe(0);
    expect(first.s.jit.saved).toBeGreaterThan(0);
    const second = run(detour(1, 3000), "auto", store, true);
    expect(second.s.jit.restored).toBeGreaterThan(0);
    expect(second.s.jit.wasmRegions).toBeGreaterThan(0);
    for (const x of [fresh, second]) expect({ eax: x.eax, edx: x.edx, count: x.count }).toEqual({ eax: ref.eax, edx: ref.edx, count: ref.count });
  });

  it("keeps a wasm region's module, and makes the region from it without translating its blocks again", () => {
    const ref = run(leafLoop(2000), "interp", null);
    const store = new MemoryRegionStore();
    const first = run(leafLoop(2000), "auto", store, true);
    expect(first.s.jit.wasmRegions).toBeGreaterThan(0);
    expect(first.s.jit.wasmModules).toBe(0);
    const kept = [...store.keys()].map((key) => store.get(key) as SavedRegion).filter((r) => r.wasm === true);
    expect(kept.length).toBeGreaterThan(0);
    for (const r of kept) {
      expect(r.module).toMatch(/^AGFzbQ/); // "\0asm", base64
      expect(r.layout).toHaveLength(3);
    }
    const second = run(leafLoop(2000), "auto", store, true);
    expect(second.s.jit.restored).toBeGreaterThan(0);
    expect(second.s.jit.wasmModules).toBe(second.s.jit.wasmRegions);
    expect(second.s.jit.saved).toBe(0);
    for (const x of [first, second]) expect({ eax: x.eax, esi: x.esi, count: x.count }).toEqual({ eax: ref.eax, esi: ref.esi, count: ref.count });
  });

  it("makes a wasm region from the module kept for it when its loop comes due in this run too", () => {
    // (a store that does not tell the decoder where its regions start: the loop is interpreted
    // until it comes due, as one entered from a JavaScript region's code would run there, and
    // the wasm tier then finds the module kept for the blocks it formed)
    const ref = run(leafLoop(2000), "interp", null);
    const good = new MemoryRegionStore();
    const first = run(leafLoop(2000), "auto", good, true);
    const puts: SavedRegion[] = [];
    const late: RegionStore = { mayHave: () => false, has: (key) => good.has(key), get: (key) => good.get(key), put: (_key, r) => void puts.push(r) };
    const x = run(leafLoop(2000), "auto", late, true);
    expect({ eax: x.eax, esi: x.esi, count: x.count }).toEqual({ eax: ref.eax, esi: ref.esi, count: ref.count });
    expect(x.s.interpInsns).toBeGreaterThan(104 * 30);
    expect(x.s.jit.wasmRegions).toBe(first.s.jit.wasmRegions);
    expect(x.s.jit.wasmModules).toBe(x.s.jit.wasmRegions);
    expect(x.s.jit.restored).toBeGreaterThanOrEqual(x.s.jit.wasmModules);
    // (nothing saved again: the store has that module)
    expect(puts.filter((r) => r.wasm === true)).toEqual([]);
  });

  it("demotes a wasm region entered for too little work at a time (the JavaScript tier takes its loop), with the same results", () => {
    // (demoted after 1,024 entries of one pass each; not saved again as wasm: the JavaScript
    // region compiled for the same entry replaces the saved one)
    const ref = run(shortVisits(2000, 3000), "interp", null);
    const store = new MemoryRegionStore();
    const first = run(shortVisits(2000, 3000), "auto", store, true);
    expect(first.s.jit.wasmRegions).toBe(1);
    expect(first.s.jit.wasmDemoted).toBe(1);
    expect(first.s.jit.regionsCompiled).toBeGreaterThan(1);
    expect([...store.keys()].map((key) => store.get(key)?.wasm === true)).not.toContain(true);
    expect({ eax: first.eax, esi: first.esi, count: first.count }).toEqual({ eax: ref.eax, esi: ref.esi, count: ref.count });
  });

  it("demotes a wasm region of integer code entered for a few hundred instructions at a time, and keeps one of packed SSE unless it gets fewer still", () => {
    // (four passes, 416 and 420 instructions an entry: what WebAssembly saves on packed SSE lanes
    // pays for its entries, where on integer code it saves nothing: wasm/region.ts MIN_WORK_DIRECT;
    // two passes of packed SSE, 210 an entry, are below MIN_WORK)
    for (const [packed, passes, demoted] of [[false, 4, 1], [true, 4, 0], [true, 2, 1]] as const) {
      const ref = run(shortVisits(2000, 3000, passes, packed), "interp", null);
      const x = run(shortVisits(2000, 3000, passes, packed), "auto", new MemoryRegionStore(), true);
      expect(x.s.jit.wasmRegions, `packed ${packed}, ${passes} passes`).toBe(1);
      expect(x.s.jit.wasmDemoted, `packed ${packed}, ${passes} passes`).toBe(demoted);
      expect({ eax: x.eax, esi: x.esi, count: x.count }).toEqual({ eax: ref.eax, esi: ref.esi, count: ref.count });
    }
  });

  it("does not make a PC thunk its loop calls an entry point of a wasm region: other callers of the thunk would enter it for two instructions", () => {
    // mov esi, DATA; mov ecx, 3000; l: call T; 25 x (add eax, [esi]; add esi, 4); jmp m; m: call
    // T; the same 25; and esi, ~0xff; dec ecx; jnz l; int 0x80; T: mov ebx, [esp]; ret (a thunk
    // that returns to two places, where no region starts: wasm/region.ts sharedReturn)
    const T = 287;
    const code = [0xbe, ...le32(DATA), 0xb9, ...le32(3000), 0xe8, ...le32(T - 15), ...HALF, 0xeb, 0x00, 0xe8, ...le32(T - 147), ...HALF,
      0x81, 0xe6, ...le32(~0xff), 0x49, 0x0f, 0x85, ...le32(10 - 285), 0xcd, 0x80, 0x8b, 0x1c, 0x24, 0xc3];
    expect(code.length).toBe(T + 4);
    const ref = run(code, "interp", null);
    const { k, env } = machine(code, { engine: "auto", threshold: 40, store: null, wasm: true });
    expect(k.run(env, 10_000_000).kind).toBe(X_INT);
    expect(k.engine.stats.jit.wasmRegions).toBe(1);
    const r = k.engine.lookup(CODE + 142).compiled as Region;
    expect(r.eips.has(CODE + T)).toBe(true);
    expect(r.entryPoints.has(CODE + T)).toBe(false);
    expect(r.entryPoints.has(CODE + 10)).toBe(true);
    expect(k.engine.lookup(CODE + T).compiled).not.toBe(r);
    expect({ eax: k.regs(env)[EAX], ebx: k.regs(env)[EBX], count: k.cpu.icount }).toEqual({ eax: ref.eax, ebx: CODE + 147, count: ref.count });
  });

  it("translates a saved wasm region's blocks again when its module is damaged or was made for another memory layout, and keeps the new module", () => {
    const ref = run(leafLoop(2000), "interp", null);
    const good = new MemoryRegionStore();
    run(leafLoop(2000), "auto", good, true);
    const flip = (b64: string): string => {
      const bytes = Buffer.from(b64, "base64");
      bytes[bytes.length >> 1] ^= 0x10;
      return bytes.toString("base64");
    };
    const damages = [
      (r: SavedRegion): SavedRegion => ({ ...r, module: flip(r.module as string) }),
      (r: SavedRegion): SavedRegion => ({ ...r, layout: (r.layout as number[]).map((v, k) => (k === 1 ? v + 64 : v)) }),
      (r: SavedRegion): SavedRegion => ({ ...r, module: undefined }),
    ];
    for (const damage of damages) {
      const puts: [string, SavedRegion][] = [];
      const bad: RegionStore = {
        mayHave: (eip) => good.mayHave(eip),
        has: (key) => good.has(key),
        get: (key) => {
          const r = good.get(key);
          return r === null ? null : r.wasm === true ? damage(r) : r;
        },
        put: (key, r) => void puts.push([key, r]),
      };
      const x = run(leafLoop(2000), "auto", bad, true);
      expect({ eax: x.eax, esi: x.esi, count: x.count }).toEqual({ eax: ref.eax, esi: ref.esi, count: ref.count });
      expect(x.s.jit.restored).toBeGreaterThan(0);
      expect(x.s.jit.wasmRegions).toBeGreaterThan(0);
      expect(x.s.jit.wasmModules).toBe(0);
      // (the module made now replaces the one that could not be used)
      const again = puts.filter(([, r]) => r.wasm === true);
      expect(again.length).toBe(x.s.jit.wasmRegions);
      for (const [key, r] of again) expect({ module: r.module, sum: r.moduleSum, layout: r.layout }).toEqual({ module: good.get(key)?.module, sum: good.get(key)?.moduleSum, layout: good.get(key)?.layout });
    }
  });

  it("compiles a region afresh when a block of it holds other bytes now, with the right results", () => {
    const store = new MemoryRegionStore();
    run(program(3000), "auto", store);
    const changed = program(3000, 2);
    const ref = run(changed, "interp", null);
    expect(ref.eax).toBe(3000 * 241);
    const x = run(changed, "auto", store);
    expect({ eax: x.eax, count: x.count }).toEqual({ eax: ref.eax, count: ref.count });
    // f's entry block is the same bytes, its second block is not: its saved region is stale.
    expect(x.s.jit.stale).toBeGreaterThan(0);
    expect(x.s.jit.regionsCompiled).toBeGreaterThan(x.s.jit.restored);
  });

  it("compiles a region afresh when its saved code is damaged", () => {
    const good = new MemoryRegionStore();
    run(program(3000), "auto", good);
    // A store that hands out each region with code that does not parse, or takes a helper no
    // build has.
    for (const damage of [(r: SavedRegion) => ({ ...r, source: `${r.source} )(` }), (r: SavedRegion) => ({ ...r, helpers: [...r.helpers, "noSuchHelper"] })]) {
      const bad: RegionStore = {
        mayHave: (eip) => good.mayHave(eip),
        has: (key) => good.has(key),
        get: (key) => {
          const r = good.get(key);
          return r === null ? null : damage(r);
        },
        put: () => {},
      };
      const ref = run(program(3000), "interp", null);
      const x = run(program(3000), "auto", bad);
      expect({ eax: x.eax, count: x.count }).toEqual({ eax: ref.eax, count: ref.count });
      expect(x.s.jit.restored).toBe(0);
      expect(x.s.jit.stale).toBeGreaterThan(0);
      expect(x.s.jit.regionsCompiled).toBeGreaterThan(0);
    }
  });

  it("restores exactly the code compileRegion makes, and keys a region by its entry block's bytes", () => {
    const { k, env } = machine(program(10), { engine: "interp" });
    // (run, so that its address space is the one loaded)
    expect(k.run(env, 100_000).kind).toBe(X_INT);
    const d = new BlockDecoder();
    const a = d.decode(k.cpu, 0x08048000 + 20), b = d.decode(k.cpu, a.end);
    const fresh = compileRegion([a, b], "r_test", () => [], null, {}, false);
    const again = restoreRegion([a, b], fresh, null, {});
    expect(again.source).toBe(fresh.source);
    expect(again.entries).toEqual(fresh.entries);
    expect([...again.notRun]).toEqual([...fresh.notRun]);
    expect(again.pages).toEqual(fresh.pages);
    expect(entryKey(k.cpu, a)).toMatch(/^8048014-180-[0-9a-z]+$/);
    // A fallback at an address no block holds cannot be restored.
    expect(() => restoreRegion([a, b], { ...fresh, fallbacks: [0x1234] }, null, {})).toThrow(/no instruction at 0x1234/);
  });
});
