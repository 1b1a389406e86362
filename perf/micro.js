// Micro-benchmarks of the engine's hot paths (tinybench): a memory access that hits the TLB,
// dispatching small blocks through the engine in each tier, the JIT's compile latency for a
// block of 100 instructions, and x87 arithmetic at glibc's 64-bit precision (the double-double
// fast path against the exact integer core; independent operations, and a dependent chain as
// numerical loops have). Built on the exokernel's public API, as an embedder would use it.

import { Bench } from "tinybench";
import { Exokernel } from "../dist/exokernel/kernel.js";
import { EIP, ESP } from "../dist/hw/state.js";
import { compileRegion } from "../dist/jit/compile.js";
import { ddAdd, ddMul, ddDecode } from "../dist/hw/fpu/dd.js";
import { add as extAdd } from "../dist/hw/fpu/ext80.js";
import { mul as extMul } from "../dist/hw/fpu/muldiv.js";

const CODE = 0x08048000;
const DATA = 0x08100000;

/** A machine with `code` at CODE, one data page at DATA, and the given engine (`chain`: whether
 *  regions call one another directly; `wasm`: whether the WebAssembly tier takes the loops it
 *  takes). */
function machine(code, engine, chain = true, threshold = undefined, wasm = true) {
  const k = new Exokernel({ memory: 32 << 20, engine: { engine, chain, threshold, wasm } });
  const env = k.newEnv(k.newPool(4096));
  const as = k.aspaceOf(env);
  const pages = Math.ceil(code.length / 4096) || 1;
  for (let p = 0; p < pages; p++) {
    const ppn = k.mapNew(as, CODE + p * 4096, 7);
    k.mem.u8.set(code.subarray(p * 4096, (p + 1) * 4096), ppn << 12);
  }
  k.mapNew(as, DATA, 7);
  const r = k.regs(env);
  r[EIP] = CODE;
  r[ESP] = DATA + 4096;
  return { k, env, r };
}

/** A loop of `blocks` blocks, each `add eax, 1; jmp next`, the last jumping back: every block
 *  is one dispatch in the interpreter (and one switch case in compiled code). */
function blockChain(blocks) {
  const out = [];
  for (let b = 0; b < blocks; b++) {
    out.push(0x83, 0xc0, 0x01); // add eax, 1
    const next = b === blocks - 1 ? 0 : (b + 1) * 5;
    const rel = next - (b * 5 + 5);
    out.push(0xeb, rel & 0xff); // jmp short
  }
  return Uint8Array.from(out);
}

/** `mov esi, DATA; mov ecx, 2^31 - 1; l: call f; dec ecx; jnz l` and f = 240 times `add eax, 1`,
 *  then `ret` (tests/jit/engine.test.ts's caller and callee): two regions, so every call and
 *  every return leaves one for the other (the adds fold into one in V8's code: what is left is
 *  the transition). */
function callerCallee() {
  const le = (v) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
  const out = [0xbe, ...le(DATA), 0xb9, ...le(0x7fffffff), 0xe8, ...le(5), 0x49, 0x75, 0xf8, 0xcd, 0x80];
  for (let k = 0; k < 240; k++) out.push(0x83, 0xc0, 0x01);
  out.push(0xc3);
  return Uint8Array.from(out);
}

/** 100 straight-line instructions (mixed ALU and memory) ending in `int 0x80`. */
function hundred() {
  const out = [0xb9, ...[DATA & 0xff, (DATA >> 8) & 0xff, (DATA >> 16) & 0xff, DATA >>> 24]]; // mov ecx, DATA
  for (let k = 0; k < 98; k++) {
    switch (k % 4) {
      case 0: out.push(0x01, 0xd8); break; // add eax, ebx
      case 1: out.push(0x89, 0x01); break; // mov [ecx], eax
      case 2: out.push(0x8b, 0x11); break; // mov edx, [ecx]
      default: out.push(0x31, 0xd3); // xor ebx, edx
    }
  }
  out.push(0xcd, 0x80);
  return Uint8Array.from(out);
}

export function runMicro(quick) {
  const time = quick ? 100 : 400;
  const results = [];
  const bench = new Bench({ time, warmupTime: 50 });

  // TLB hit: 1000 aligned 32-bit reads of a mapped page through the CPU's accessor.
  const m = machine(new Uint8Array([0xcd, 0x80]), "interp");
  m.k.run(m.env, 1); // loads the environment onto the CPU
  const cpu = m.k.cpu;
  cpu.rd32(DATA);
  let sink = 0;
  bench.add("tlb-hit rd32 x1000", () => {
    for (let i = 0; i < 1000; i++) sink ^= cpu.rd32(DATA + ((i & 255) << 2));
  });

  // Block dispatch: 1000 guest blocks of two instructions, per tier.
  for (const engine of ["interp", "jit"]) {
    const d = machine(blockChain(16), engine);
    d.k.run(d.env, 10000);
    bench.add(`dispatch 1000 blocks (${engine})`, () => {
      d.k.run(d.env, 2000);
    });
  }

  // Region transitions: 100 calls and 100 returns between two regions, chained or through the
  // engine's loop (each round runs 244 instructions: the budget is 100 of them).
  // (threshold 2 in auto mode, as in tests/jit/engine.test.ts: f becomes a region of its own
  // before the loop does; with --engine jit the loop's region would take f in. Without the
  // wasm tier, as there: the loop with its call and return is a direct loop of 244
  // instructions, which it takes whole, so there were no transitions to time, and this check
  // stopped every run of the suite.)
  for (const chain of [true, false]) {
    const t = machine(callerCallee(), "auto", chain, 2, false);
    t.k.run(t.env, 244 * 1000);
    const s = t.k.engine.stats;
    if (s.regionRuns + s.chained < 1000) throw new Error("micro: the caller and callee did not become two regions");
    bench.add(`100 calls+returns between regions (${chain ? "chained" : "through the engine"})`, () => {
      t.k.run(t.env, 244 * 100);
    });
  }

  // Compile latency: decode once, then compile the same 100-instruction block repeatedly.
  const c = machine(hundred(), "jit");
  c.k.run(c.env, 1);
  const block = c.k.engine.lookup(CODE);
  let n = 0;
  bench.add("compile 100 insns", () => {
    compileRegion([block], `bench_${n++}`);
  });

  // x87 arithmetic: 1000 operands in [1, 2) with full 64-bit significands, as pairs and encodings.
  const N = 1000;
  const H = new Float64Array(N + 5), L = new Float64Array(N + 5);
  H[N + 2] = 1;
  H[N + 3] = 4;
  const se = new Int32Array(N), mh = new Int32Array(N), ml = new Int32Array(N);
  let seed = 7;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) | 0) >>> 0;
  for (let i = 0; i < N; i++) {
    se[i] = 16383;
    mh[i] = (next() | 0x80000000) | 0;
    ml[i] = next() | 0;
    ddDecode(H, L, i, se[i], mh[i], ml[i]);
  }
  bench.add("x87 add x1000 (pairs)", () => {
    for (let i = 0; i + 1 < N; i++) ddAdd(H, L, N, i, 1, i + 1, 1);
  });
  bench.add("x87 mul x1000 (pairs)", () => {
    for (let i = 0; i + 1 < N; i++) ddMul(H, L, N, i, i + 1);
  });
  bench.add("x87 add x1000 (integer core)", () => {
    for (let i = 0; i + 1 < N; i++) extAdd(se[i], mh[i], ml[i], se[i + 1], mh[i + 1], ml[i + 1], 0, 64, 0);
  });
  bench.add("x87 mul x1000 (integer core)", () => {
    for (let i = 0; i + 1 < N; i++) extMul(se[i], mh[i], ml[i], se[i + 1], mh[i + 1], ml[i + 1], 64, 0);
  });
  // the logistic map x = 4x(1 - x): each result feeds the next, so this measures latency
  const X = N + 1, ONE = N + 2, FOUR = N + 3, T = N + 4;
  bench.add("x87 logistic map x1000 (pairs, 3 dependent ops each)", () => {
    H[X] = 0.3;
    L[X] = 0;
    for (let i = 0; i < N; i++) {
      ddAdd(H, L, T, ONE, 1, X, -1);
      ddMul(H, L, X, X, T);
      ddMul(H, L, X, X, FOUR);
    }
  });

  bench.runSync();
  for (const t of bench.tasks) {
    const res = t.result;
    const mean = res && "latency" in res ? res.latency.mean : NaN;
    results.push({ name: t.name, meanMs: mean, value: `${(mean * 1000).toFixed(2)} us/op` });
  }
  if (sink === 42) console.log(""); // keeps the reads observable
  return results;
}
