// exojit's embedding API side by side with Unicorn (python3-unicorn, Debian's 2.0.1), on the
// same x86 code in the same run: perf/unicorn/bench.py measures Unicorn, this script exojit.
//
// - snippets: the snapshot benchmark's 100-instruction snippet (perf/embed-snapshot.mjs) run
//   RUNS times, with the machine put back between runs: for exojit a full snapshot restore
//   (memory included, copy-on-write), for Unicorn its register context plus a write of the two
//   pages the snippet changes (and, as the reference figure, the register context only).
// - loop: a 4-instruction loop (add eax, 1; add ebx, eax; dec ecx; jnz), bare, with a block
//   hook and with an instruction hook (JavaScript functions for exojit, Python for Unicorn).
//
//   npm run build && node perf/embed-unicorn.mjs [runs] [loop-iterations]

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { createMachine } from "../dist/index.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const RUNS = Number(process.argv[2] ?? 10_000);
const ITERS = Number(process.argv[3] ?? 100_000_000);
const CODE = 0x1000, DATA = 0x3000, STACK = 0x8000;
const SNIPPET = [0xb9, 14, 0, 0, 0, 0x51, 0x89, 0x0c, 0x8d, 0, 0x30, 0, 0, 0x01, 0xc8, 0x31, 0xc3, 0x5a, 0x49, 0x75, 0xf0, 0xf4];
const LOOP = [0x83, 0xc0, 0x01, 0x01, 0xc3, 0x49, 0x75, 0xf8, 0xf4];
/** Python with python3-unicorn: Debian's, not a pyenv or venv one without it. */
const PYTHON = ["/usr/bin/python3", "python3"].find((p) => spawnSync(p, ["-c", "import unicorn"]).status === 0) ?? null;

function best(fn, rounds = 3) {
  let t = Infinity;
  for (let k = 0; k < rounds; k++) t = Math.min(t, fn());
  return t;
}

function snippets(engine) {
  const m = createMachine({ memory: 16 << 20, engine });
  m.map(DATA, 0x1000, "rw");
  m.map(STACK, 0x1000, "rw");
  m.loadCode(CODE, SNIPPET);
  m.regs.esp = STACK + 0x1000;
  const s = m.snapshot();
  for (let k = 0; k < 2000; k++) {
    m.run();
    m.restore(s);
  }
  const ms = best(() => {
    const t0 = performance.now();
    for (let k = 0; k < RUNS; k++) {
      m.run();
      m.restore(s);
    }
    return performance.now() - t0;
  });
  if ((m.run(), m.regs.eax) !== 105) throw new Error(`snippet computed ${m.regs.eax}`);
  s.release();
  return (RUNS / ms) * 1000;
}

function loop(hook) {
  const m = createMachine({ memory: 16 << 20, engine: "jit" });
  m.loadCode(CODE, LOOP);
  let calls = 0;
  const count = () => {
    calls++;
  };
  if (hook === "block") m.hookBlock(count);
  if (hook === "code") m.hookCode(count);
  const iters = hook === null ? ITERS : ITERS / 100;
  m.regs.ecx = iters;
  const t0 = performance.now();
  const x = m.run();
  const ms = performance.now() - t0;
  if (x.reason !== "halt") throw new Error(`loop ended with ${x.reason}`);
  const insns = 4 * iters;
  if (hook === "block" && calls !== iters + 1) throw new Error(`${calls} block hook calls for ${iters} iterations`);
  if (hook === "code" && calls !== insns + 1) throw new Error(`${calls} code hook calls for ${insns} instructions`);
  return (insns / ms) * 1000;
}

const ours = {
  snippetsJit: snippets("jit"),
  snippetsInterp: snippets("interp"),
  loop: loop(null),
  loopBlockHook: loop("block"),
  loopCodeHook: loop("code"),
};
let uni = null;
if (PYTHON === null) console.log("Unicorn: not installed (apt-get install python3-unicorn); exojit's figures only");
else {
  const r = spawnSync(PYTHON, [path.join(HERE, "unicorn", "bench.py"), String(RUNS), String(ITERS)], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`perf/unicorn/bench.py failed: ${r.stderr}`);
  uni = JSON.parse(r.stdout);
}

const f = (x, unit) => (x === undefined || x === null ? "-" : unit === "M" ? `${(x / 1e6).toFixed(1)} M/s` : `${Math.round(x).toLocaleString("en")}/s`);
const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}x` : "-");
const rows = [
  ["snippets, memory restored (jit)", f(ours.snippetsJit), f(uni?.snippets.memoryPerSec), ratio(ours.snippetsJit, uni?.snippets.memoryPerSec)],
  ["snippets, memory restored (interp)", f(ours.snippetsInterp), f(uni?.snippets.memoryPerSec), ratio(ours.snippetsInterp, uni?.snippets.memoryPerSec)],
  ["snippets, Unicorn registers only", "-", f(uni?.snippets.regsOnlyPerSec), "-"],
  ["loop, instructions", f(ours.loop, "M"), f(uni?.loop.insnsPerSec, "M"), ratio(ours.loop, uni?.loop.insnsPerSec)],
  ["loop with a block hook", f(ours.loopBlockHook, "M"), f(uni?.loopBlockHook.insnsPerSec, "M"), ratio(ours.loopBlockHook, uni?.loopBlockHook.insnsPerSec)],
  ["loop with an instruction hook", f(ours.loopCodeHook, "M"), f(uni?.loopCodeHook.insnsPerSec, "M"), ratio(ours.loopCodeHook, uni?.loopCodeHook.insnsPerSec)],
];
const head = ["workload", "exojit", `unicorn ${uni?.unicorn ?? ""}`.trim(), "exojit/unicorn"];
const w = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
for (const r of [head, ...rows]) console.log(r.map((x, c) => (c === 0 ? x.padEnd(w[c]) : x.padStart(w[c]))).join("  "));
fs.mkdirSync(path.join(HERE, "results"), { recursive: true });
const file = path.join(HERE, "results", `embed-unicorn-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
fs.writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), runs: RUNS, iters: ITERS, exojit: ours, unicorn: uni }, null, 2));
console.log(`results written to ${path.relative(path.resolve(HERE, ".."), file)}`);
