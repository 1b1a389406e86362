#!/usr/bin/env node
// Probe for a WebAssembly tier: what compiling a large region costs. Builds one function of
// BLOCKS blocks of translated integer code, dispatched by a br_table on a block index in a loop
// (the general shape, for code entered anywhere; structured loops would be cheaper to run). Each
// block is 15 guest instructions: a load and a store through the TLB, ALU operations with the
// lazy flags kept, and a branch to one of two successors. Times WebAssembly.Module and the first
// call (V8 compiles a wasm function with Liftoff at its first call by default; with
// --no-wasm-lazy-compilation, in WebAssembly.Module), then a run of 10M guest instructions. The
// JavaScript tier spends 30-50 us per guest instruction translating while cold, then V8's
// compiles of the source (TurboFan: 300-500 us per guest instruction).
//
//   node perf/probes/wasm-compile.mjs [blocks]            (100 blocks: 1,500 guest instructions)
//   node --no-wasm-lazy-compilation perf/probes/wasm-compile.mjs 400

import { Fn, moduleOf, mapPages, leb } from "./wasmasm.mjs";

const PAGES = 256, TLB = 8 << 20;
const mem = new WebAssembly.Memory({ initial: PAGES, maximum: PAGES });
const i32 = new Int32Array(mem.buffer);
const BLOCKS = Number(process.argv[2] ?? 100);
const INSNS_PER_BLOCK = 15;

function build() {
  const f = new Fn(["pc", "eax", "ecx", "edx", "ebx", "esi", "edi", "fop", "fa", "fb", "fr", "t", "e"], [], TLB);
  const DATA = 0x08100000;
  // block $exit { loop $dispatch { block $default { block $b(N-1) ... { block $b0 {
  //   br_table pc } code 0; br $dispatch } code 1; br $dispatch } ... } br $exit } }
  f.op(0x02, 0x40).op(0x03, 0x40);
  for (let k = 0; k <= BLOCKS; k++) f.op(0x02, 0x40);
  f.get("pc").op(0x0e, ...leb(BLOCKS), ...Array.from({ length: BLOCKS }, (_, k) => leb(k)).flat(), ...leb(BLOCKS));
  for (let k = 0; k < BLOCKS; k++) {
    f.op(0x0b); // block k's code follows
    f.budget(INSNS_PER_BLOCK);
    // mov eax, [ebx+d]; add eax, ecx; xor edx, eax; shl edx, 3; add esi, edx; cmp esi, edi;
    // inc edi; or ecx, eax; and eax, 0xffff; mov [ebx+d+4], edx; cmp edi, k; jcc
    f.get("ebx").i32(DATA + ((k * 4) & 0xff0)).op(0x6a).set("t");
    f.translate(4).op(0x28, 2, 0).set("eax");
    f.flags(6, () => f.get("eax"), () => f.get("ecx"), () => f.get("eax").get("ecx").op(0x6a)).get("eax").get("ecx").op(0x6a).set("eax");
    f.get("edx").get("eax").op(0x73).set("edx");
    f.get("edx").i32(3).op(0x74).set("edx");
    f.get("esi").get("edx").op(0x6a).set("esi");
    f.flags(10, () => f.get("esi"), () => f.get("edi"), () => f.get("esi").get("edi").op(0x6b));
    f.get("edi").i32(1).op(0x6a).set("edi");
    f.get("ecx").get("eax").op(0x72).set("ecx");
    f.get("eax").i32(0xffff).op(0x71).set("eax");
    f.get("ebx").i32(DATA + ((k * 4) & 0xff0) + 4).op(0x6a).set("t");
    f.translate(4).get("edx").op(0x36, 2, 0);
    f.flags(10, () => f.get("edi"), () => f.i32(k), () => f.get("edi").i32(k).op(0x6b));
    // to block k+1 or k+2 (wrapping), by the low bit of edx
    f.i32((k + 1) % BLOCKS).i32((k + 2) % BLOCKS).get("edx").i32(1).op(0x71, 0x1b).set("pc");
    f.op(0x0c, ...leb(BLOCKS - k)); // br $dispatch
  }
  f.op(0x0b).op(0x0c, 1); // $default: br $exit
  f.op(0x0b, 0x0b); // end $dispatch, end $exit
  f.get("n");
  return moduleOf(f, PAGES);
}
const t0 = performance.now();
const bytes = build();
const t1 = performance.now();
const module = new WebAssembly.Module(bytes);
const t2 = performance.now();
const instance = new WebAssembly.Instance(module, { m: { mem } });
const t3 = performance.now();
mapPages(i32, TLB, 0x08100000, 1 << 20, 2);
const first = instance.exports.run(1); // (a budget of one instruction: returns at once)
const t3b = performance.now();
const left = instance.exports.run(10_000_000);
const t4 = performance.now();
if (left < 0 || first < 0) throw new Error(`the probe left at its exit ${-left}`);
const insns = BLOCKS * INSNS_PER_BLOCK;
console.log(`${BLOCKS} blocks (${insns} guest instructions): ${bytes.length} bytes of wasm built in ${(t1 - t0).toFixed(1)} ms`);
console.log(`WebAssembly.Module in ${(t2 - t1).toFixed(2)} ms (${(((t2 - t1) * 1000) / insns).toFixed(2)} us per guest instruction), instantiated in ${(t3 - t2).toFixed(2)} ms`);
console.log(`first call ${(t3b - t3).toFixed(2)} ms; then ${((10_000_000 - left) / 1e6).toFixed(1)} M guest instructions in ${(t4 - t3b).toFixed(1)} ms (${((10_000_000 - left) / (t4 - t3b) / 1000).toFixed(0)} M/s, tiering up meanwhile)`);
