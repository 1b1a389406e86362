#!/usr/bin/env node
// Probe for a WebAssembly tier (issue 12's packed-integer target): the 3x3 blur loop of
// perf/programs/imgfilter.c as gcc -m32 -O2 -msse2 compiles it (blur+0x37 to blur+0xde), written
// instruction by instruction as a translator would: XMM registers as v128 locals (punpcklbw/hbw
// as i8x16.shuffle, paddw as i16x8.add, pmulhuw as the high halves of i32x4.extmul, packuswb as
// i8x16.narrow_i16x8_u), the other registers as i32 locals, every load and store through the
// TLB, movaps's alignment check, a budget per block and the lazy flags. Checked against a plain
// reference blur, then timed for imgfilter's 800 passes (two blurs each).
//
//   node perf/probes/wasm-blur.mjs [passes]            (V8's default wasm tiers)
//   node --liftoff-only perf/probes/wasm-blur.mjs      (the baseline compiler alone)
//
// Compare with exojit on the whole program: node dist/cli/main.cjs run --stats BIN 800, where
// BIN is perf/programs/imgfilter.c built as perf/run.js builds it (the blur is ~90% of it).

import { Fn, moduleOf, mapPages } from "./wasmasm.mjs";

const PAGES = 1024; // 64 MiB of "guest RAM"
const TLB = 48 << 20; // the TLB inside it
const mem = new WebAssembly.Memory({ initial: PAGES, maximum: PAGES });
const u8 = new Uint8Array(mem.buffer), i32 = new Int32Array(mem.buffer);

const f = new Fn(["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "fop", "fa", "fb", "fr", "t", "e"], ["x0", "x1", "x2", "x3", "x4", "x5"], TLB);
const zero = () => f.simd(12, ...new Array(16).fill(0));
const lea = (d, b, disp) => f.get(b).i32(disp).op(0x6a).set(d);
const load32 = (b, disp, d) => { f.get(b).i32(disp).op(0x6a).set("t"); f.translate(4).op(0x28, 2, 0).set(d); };
const store32 = (b, disp, s) => { f.get(b).i32(disp).op(0x6a).set("t"); f.translate(4).get(s).op(0x36, 2, 0); };
const operand = (b) => (typeof b === "number" ? f.i32(b) : f.get(b));
/** cmp a, b; jne to the enclosing loop's head. */
const cmpJne = (a, b) => {
  f.flags(10, () => f.get(a), () => operand(b), () => {
    f.get(a);
    operand(b).op(0x6b);
  });
  f.get("fa").get("fb").op(0x47, 0x0d, 0);
};
const LO = [0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23], HI = LO.map((v) => v + 8);
const HIGH_HALVES = [2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 26, 27, 30, 31];
const pmulhuw = (d, s) => { f.get(d).get(s).simd(190, 1).get(d).get(s).simd(191, 1).simd(13, ...HIGH_HALVES).set(d); };

// entry state (what the code before blur+0x37 leaves): the CPU state block at physical 0
f.i32(0).simd(0, 4, 0).set("x3"); // xmm3 = ninth
f.i32(16).op(0x28, 2, 0).set("eax").i32(20).op(0x28, 2, 0).set("edx").i32(24).op(0x28, 2, 0).set("esp").i32(28).op(0x28, 2, 0).set("edi");
f.op(0x03, 0x40); // 80498b7: rows
f.budget(9);
load32("esp", 0xc, "esi");
store32("esp", 4, "edi");
lea("ebx", "edx", 0x410);
zero().set("x2");
store32("esp", 8, "edx");
f.get("esi").get("eax").op(0x6a).set("ebp");
f.i32(-16).set("esi");
f.op(0x03, 0x40); // 80498d8: columns
f.budget(6);
f.get("esi").set("edi");
zero().set("x5");
lea("ecx", "ebx", -0x600);
f.flags(10, () => f.i32(0), () => f.get("edi"), () => f.i32(0).get("edi").op(0x6b)).i32(0).get("edi").op(0x6b).set("edi");
f.get("x5").set("x4");
f.op(0x03, 0x40); // 80498ea: dy
f.budget(1).i32(-1).set("edx");
f.op(0x03, 0x40); // 80498ef: dx
f.budget(11);
f.get("ecx").get("edx").op(0x6a).set("t"); f.translate(16).simd(0, 0, 0).set("x1");
f.get("ecx").get("edx").op(0x6a).set("t"); f.translate(16).simd(0, 0, 0).set("x0");
f.flags(6, () => f.get("edx"), () => f.i32(1), () => f.get("edx").i32(1).op(0x6a)).get("edx").i32(1).op(0x6a).set("edx");
f.get("x1").get("x2").simd(13, ...LO).set("x1");
f.get("x0").get("x2").simd(13, ...HI).set("x0");
f.get("x1").get("x4").simd(142, 1).set("x1");
f.get("x0").get("x5").simd(142, 1).set("x0");
f.get("x1").set("x4").get("x0").set("x5");
cmpJne("edx", 2);
f.op(0x0b);
f.budget(3);
lea("ecx", "ecx", 0x200);
cmpJne("ebx", "ecx");
f.op(0x0b);
f.budget(8);
pmulhuw("x1", "x3");
pmulhuw("x0", "x3");
f.get("esi").i32(16).op(0x6b).set("esi");
f.flags(6, () => f.get("ebx"), () => f.i32(16), () => f.get("ebx").i32(16).op(0x6a)).get("ebx").i32(16).op(0x6a).set("ebx");
f.get("x1").get("x0").simd(102).set("x1");
f.get("ebp").get("edi").op(0x6a).tee("t").i32(15).op(0x71).exitIf(); // movaps: #GP unless aligned
f.translate(16).get("x1").simd(11, 4, 0);
cmpJne("esi", -0x1f0);
f.op(0x0b);
f.budget(7);
load32("esp", 4, "edi");
load32("esp", 8, "edx");
f.get("eax").i32(0x200).op(0x6a).set("eax");
f.get("edi").i32(1).op(0x6a).set("edi");
f.get("edx").i32(0x200).op(0x6a).set("edx");
cmpJne("edi", 0xff);
f.op(0x0b);
f.get("n");

const bytes = moduleOf(f, PAGES);
const t0 = performance.now();
const { instance } = await WebAssembly.instantiate(bytes, { m: { mem } });
console.log(`module: ${bytes.length} bytes, compiled and instantiated in ${(performance.now() - t0).toFixed(2)} ms`);
const run = instance.exports.run;

const W = 512, H = 256;
const IMG = 0x080e0000, TMP = IMG + W * H, STACK = 0xbfff0000, PHYS_IMG = 1 << 20, PHYS_STACK = 8 << 20;
mapPages(i32, TLB, IMG, PHYS_IMG, (2 * W * H) >> 12);
mapPages(i32, TLB, STACK, PHYS_STACK, 4);
let seed = 1;
for (let k = 0; k < W * H; k++) {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  u8[PHYS_IMG + k] = (seed >>> 16) & 255;
}
u8.set(new Uint8Array(new Uint16Array(8).fill(7282).buffer), 0); // 65536 / 9

function blur(dst, src) {
  i32[4] = 0; // eax: row offset
  i32[5] = src + 0x200; // edx
  i32[6] = STACK + 0x100; // esp
  i32[7] = 1; // edi: y
  i32[(PHYS_STACK + 0x100 + 0xc) >> 2] = dst + 0x200;
  const left = run(1 << 30);
  if (left < 0) throw new Error(`the probe left at its exit ${-left}`);
}
function reference(dst, src) {
  for (let y = 1; y < H - 1; y++) {
    for (let x = 16; x < W - 16; x++) {
      let s = 0;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) s += u8[src + (y + dy) * W + x + dx];
      u8[dst + y * W + x] = (s * 7282) >>> 16;
    }
  }
}
const before = u8.slice(PHYS_IMG, PHYS_IMG + 2 * W * H);
blur(TMP, IMG);
const got = u8.slice(PHYS_IMG + W * H, PHYS_IMG + 2 * W * H);
u8.set(before, PHYS_IMG);
reference(PHYS_IMG + W * H, PHYS_IMG);
let diff = 0;
for (let k = 0; k < W * H; k++) if (got[k] !== u8[PHYS_IMG + W * H + k]) diff++;
if (diff !== 0) throw new Error(`${diff} bytes differ from the reference blur`);
const passes = Number(process.argv[2] ?? 800);
const t1 = performance.now();
for (let k = 0; k < passes; k++) {
  blur(TMP, IMG);
  blur(IMG, TMP);
}
console.log(`blur as wasm: ${passes} passes (two blurs each) in ${(performance.now() - t1).toFixed(0)} ms, same bytes as the reference`);
