// Snapshot restore for fuzzing (docs/embedding.md, "Snapshots"): runs a snippet of ~100
// instructions (a loop writing the stack page and a data page) 10,000 times with a full machine
// restore (memory included) between runs, under each engine, and prints snippets per second,
// the cost of restore() alone, and for comparison runs with only the registers reset.
//
// Each measurement is repeated (5 rounds by default) and printed as best / median; the CPU
// time the process used per snippet is printed too, as a check when the machine is shared.
//
//   npm run build && node perf/embed-snapshot.mjs [runs] [rounds]

import { createMachine } from "../dist/index.js";

const RUNS = Number(process.argv[2] ?? 10_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const CODE = 0x1000, DATA = 0x3000, STACK = 0x8000;
// mov ecx, 14; loop: push ecx; mov [DATA + ecx*4], ecx; add eax, ecx; xor ebx, eax; pop edx;
// dec ecx; jnz loop; hlt -- 2 + 14 * 7 = 100 instructions
const SNIPPET = [0xb9, 14, 0, 0, 0, 0x51, 0x89, 0x0c, 0x8d, 0, 0x30, 0, 0, 0x01, 0xc8, 0x31, 0xc3, 0x5a, 0x49, 0x75, 0xf0, 0xf4];

function setup(engine) {
  const m = createMachine({ memory: 16 << 20, engine });
  m.map(DATA, 0x1000, "rw");
  m.map(STACK, 0x1000, "rw");
  m.loadCode(CODE, SNIPPET);
  m.regs.esp = STACK + 0x1000;
  return m;
}

function check(m) {
  if (m.regs.eax !== 105) throw new Error(`snippet computed ${m.regs.eax}`);
}

/** Runs `fn` ROUNDS times; returns the times in ms, fastest first (the machine is shared, so
 *  the fastest round is the one least disturbed; the median is printed too). */
function rounds(fn) {
  const t = [];
  for (let r = 0; r < ROUNDS; r++) t.push(fn());
  return t.sort((a, b) => a - b);
}

function bench(engine) {
  const m = setup(engine);
  const s = m.snapshot();
  for (let k = 0; k < 2000; k++) {
    m.run();
    check(m);
    m.restore(s);
  }
  let insns = 0;
  const cpu = [];
  const full = rounds(() => {
    insns = 0;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let k = 0; k < RUNS; k++) {
      insns += m.run().insns;
      m.restore(s);
    }
    const t = performance.now() - t0;
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    return t;
  });
  cpu.sort((a, b) => a - b);
  check((m.run(), m));
  // restore() alone, after each run (the run is not timed)
  const restore = rounds(() => {
    let ms = 0;
    for (let k = 0; k < RUNS; k++) {
      m.run();
      const r0 = performance.now();
      m.restore(s);
      ms += performance.now() - r0;
    }
    return ms;
  });
  // registers only (what a register-context restore gives; memory keeps the last run's bytes)
  const regsOnly = rounds(() => {
    const t1 = performance.now();
    for (let k = 0; k < RUNS; k++) {
      m.run();
      m.regs.eip = CODE;
      m.regs.esp = STACK + 0x1000;
      m.regs.eax = 0;
    }
    return performance.now() - t1;
  });
  const st = m.snapshotStats();
  s.release();
  return { engine, full, cpu, restore, regsOnly, insnsPerRun: insns / RUNS, pagesPerRestore: st.pagesRestored / st.restores };
}

console.log(`${RUNS} runs of a ${SNIPPET.length}-byte snippet, restore() between runs; best / median of ${ROUNDS} rounds`);
const fmt = (n) => Math.round(n).toLocaleString("en-US");
const rate = (t) => `${fmt(RUNS / (t[0] / 1000))} / ${fmt(RUNS / (t[t.length >> 1] / 1000))}`;
const us = (t) => `${((t[0] / RUNS) * 1000).toFixed(2)} / ${((t[t.length >> 1] / RUNS) * 1000).toFixed(2)}`;
for (const engine of ["interp", "jit"]) {
  const r = bench(engine);
  console.log(`${engine}: ${r.insnsPerRun} insns a run, ${r.pagesPerRestore.toFixed(1)} pages restored a restore`);
  console.log(`  with memory restored:   ${rate(r.full)} snippets/s (process CPU time: ${us(r.cpu)} us a snippet)`);
  console.log(`  restore() alone:        ${us(r.restore)} us`);
  console.log(`  registers reset only:   ${rate(r.regsOnly)} snippets/s`);
}
