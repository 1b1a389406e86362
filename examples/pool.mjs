// Runs a program over many inputs through a pool of worker threads ("exojit/worker"), then again
// with one worker, and prints how many results came back and the speed-up.
// Usage (after `npm run build`): node examples/pool.mjs PROGRAM [COUNT] [--list]
//   PROGRAM reads its standard input (perf/programs/wc.c, tests/guest/stdin_lines.c...);
//   COUNT inputs (default 1000), input i being 1 + i % 17 lines of words; --list prints each
//   input's result (its last line of output) as "i: ...".
import * as os from "node:os";
import { createPool } from "exojit/worker";

const [program, countArg] = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const list = process.argv.includes("--list");
if (program === undefined) {
  console.error("usage: node examples/pool.mjs PROGRAM [COUNT] [--list]");
  process.exit(2);
}
const count = Number(countArg ?? 1000);

/** Input i: 1 + i % 17 lines of a few words each. */
function input(i) {
  let s = "";
  for (let j = 0; j <= i % 17; j++) s += `input ${i} line ${j} ${"word ".repeat(j % 5)}\n`;
  return s;
}

/** Runs every input through a pool of `size` workers; returns the results and the time. */
async function runAll(size) {
  const pool = createPool({ size });
  const t0 = performance.now();
  try {
    const results = await Promise.all(Array.from({ length: count }, (_, i) => pool.runProgram(program, { stdin: input(i), memory: 32 << 20 })));
    return { results, ms: performance.now() - t0 };
  } finally {
    await pool.close();
  }
}

const workers = os.availableParallelism();
const many = await runAll(workers);
const one = await runAll(1);
const same = many.results.every((r, i) => r.status === one.results[i].status && r.stdout.equals(one.results[i].stdout));
const failed = many.results.filter((r) => r.status !== 0).length;
if (list) many.results.forEach((r, i) => console.log(`${i}: ${r.stdout.toString().trimEnd().split("\n").pop()}`));
console.log(`${many.results.length} results (${failed} with a non-zero status); ${same ? "the same" : "NOT the same"} with 1 worker`);
const rate = (x) => ((count / x.ms) * 1000).toFixed(1);
console.log(`${workers} workers: ${rate(many)} runs/s; 1 worker: ${rate(one)} runs/s; speed-up ${(one.ms / many.ms).toFixed(2)}x`);
