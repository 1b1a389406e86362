#!/usr/bin/env node
// Probe for a WebAssembly tier (issue 11): the sieve pass of perf/programs/sieve.c as gcc -m32
// -O2 compiles it (main+0x50 to main+0x9f: six blocks, a byte load and a byte store through the
// TLB, lazy flags, a budget per block), written as a translator would, and timed in guest
// instructions per second. Compare with exojit's steady state on the same program:
//
//   node perf/probes/wasm-sieve.mjs [passes]
//   node --liftoff-only perf/probes/wasm-sieve.mjs        (the baseline compiler alone)
//   node dist/cli/main.cjs run --stats BIN 500            (BIN: sieve.c built as perf/run.js does)

import { Fn, moduleOf, mapPages } from "./wasmasm.mjs";

const PAGES = 1024, TLB = 48 << 20;
const mem = new WebAssembly.Memory({ initial: PAGES, maximum: PAGES });
const u8 = new Uint8Array(mem.buffer), i32 = new Int32Array(mem.buffer);
const f = new Fn(["eax", "ecx", "edx", "ebx", "fop", "fa", "fb", "fr", "t", "e"], [], TLB);
const LIMIT = 0x20000, FLAGS_DISP = 0x12ec;
const cmpFlags = (a, b) => f.flags(10, () => f.get(a), () => f.i32(b), () => f.get(a).i32(b).op(0x6b));

f.i32(0).op(0x28, 2, 0).set("ebx");
f.op(0x02, 0x40); // 804960f: the pass's end
f.budget(3).i32(2).set("edx").i32(0).set("ecx");
f.op(0x03, 0x40); // 80495db: cmpb $0, flags[edx]; je 80495d0
f.budget(2);
f.get("edx").get("ebx").op(0x6a).i32(FLAGS_DISP).op(0x6a).set("t");
f.translate(1).op(0x2d, 0, 0).set("t");
f.flags(11, () => f.get("t"), () => f.i32(0), () => f.get("t"));
f.get("t").op(0x45, 0x04, 0x40); // 80495d0: add $1, %edx; cmp $0x20000, %edx; je 804960f
f.budget(3).get("edx").i32(1).op(0x6a).set("edx");
cmpFlags("edx", LIMIT);
f.get("edx").i32(LIMIT).op(0x46, 0x0d, 2, 0x0c, 1, 0x0b);
f.budget(3).get("edx").get("edx").op(0x6a).set("eax"); // 80495e5: lea (%edx,%edx), %eax; cmp; ja
cmpFlags("eax", 0x1ffff);
f.op(0x02, 0x40).get("eax").i32(0x1ffff).op(0x4b, 0x0d, 0);
f.op(0x03, 0x40); // 80495f0: movb $0, flags[eax]; add %edx, %eax; cmp; jle
f.budget(4);
f.get("eax").get("ebx").op(0x6a).i32(FLAGS_DISP).op(0x6a).set("t");
f.translate(1).i32(0).op(0x3a, 0, 0);
f.get("eax").get("edx").op(0x6a).set("eax");
cmpFlags("eax", 0x1ffff);
f.get("eax").i32(0x1ffff).op(0x4c, 0x0d, 0, 0x0b, 0x0b);
f.budget(4).get("edx").i32(1).op(0x6a).set("edx").get("ecx").i32(1).op(0x6a).set("ecx"); // 8049601
cmpFlags("edx", LIMIT);
f.get("edx").i32(LIMIT).op(0x47, 0x0d, 0, 0x0b, 0x0b);
f.i32(4).get("ecx").op(0x36, 2, 0).get("n");

const bytes = moduleOf(f, PAGES);
const t0 = performance.now();
const { instance } = await WebAssembly.instantiate(bytes, { m: { mem } });
console.log(`module: ${bytes.length} bytes, compiled and instantiated in ${(performance.now() - t0).toFixed(2)} ms`);
const run = instance.exports.run;

const EBX = 0x080f0000, FLAGS = EBX + FLAGS_DISP, PHYS = 1 << 20;
mapPages(i32, TLB, FLAGS & ~0xfff, PHYS, (LIMIT >> 12) + 2);
const at = PHYS + (FLAGS & 0xfff);
i32[0] = EBX;
const passes = Number(process.argv[2] ?? 500);
let insns = 0;
const t1 = performance.now();
for (let r = 0; r < passes; r++) {
  u8.fill(1, at, at + LIMIT); // (memset's part, not counted)
  const left = run(1 << 30);
  if (left < 0) throw new Error(`the probe left at its exit ${-left}`);
  insns += (1 << 30) - left;
}
const ms = performance.now() - t1;
if (i32[1] !== 12251) throw new Error(`${i32[1]} primes, not 12251`);
console.log(`sieve as wasm: ${i32[1]} primes; ${passes} passes, ${(insns / 1e6).toFixed(0)} M guest instructions in ${ms.toFixed(0)} ms (${(insns / ms / 1000).toFixed(0)} M/s)`);
