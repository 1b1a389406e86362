#!/usr/bin/env node
// The embedding pool ("exojit/worker", issue 14): one short program (perf/programs/wc.c: counts
// and hashes its standard input) over many inputs, through a pool of 1 worker thread and of N
// (default: the host's cores), each pool warmed up first (its workers started and their modules
// loaded by a first round of size runs, untimed). Prints runs/s for each and the speed-up, and
// checks that both pools gave the same results. On a shared machine the figures are noisy: the
// load average is printed before and after.
//
// Each run gets --memory MiB of guest memory (default 32: allocating runProgram's default 256 MiB
// costs more than this program's 15k instructions).
//
// `--program NAME [--args "A B"]` runs another program of perf/programs instead (its arguments,
// the same input on stdin): a longer one such as `--program sha256 --args 1` (23M instructions
// a run, nearly all in compiled code) shows what a worker's later runs gain from the compiled
// code its first runs left (jit/compile.ts shares region factories within a thread).
//
// Then, unless --no-ceiling, the same runs split over N separate processes of one worker each,
// started together: what the host gives independent processes, the most the pool can reach.
//
// Usage: node perf/embed-pool.mjs [--inputs 1000] [--workers N] [--memory 32] [--program wc] [--args ""] [--no-ceiling]
//        (after npm run build)

import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { createPool } from "../dist/api/worker.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BUILD = path.join(HERE, ".build");

function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}
const inputs = arg("--inputs", 1000);
const workers = arg("--workers", os.availableParallelism());
const memory = arg("--memory", 32) << 20;
const strArg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const progName = strArg("--program", "wc");
const progArgs = strArg("--args", "").split(" ").filter((a) => a !== "");

function build(name) {
  fs.mkdirSync(BUILD, { recursive: true });
  const out = path.join(BUILD, name);
  const src = path.join(HERE, "programs", `${name}.c`);
  if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= fs.statSync(src).mtimeMs) return out;
  const r = spawnSync("gcc", ["-m32", "-static", "-O2", "-o", out, src], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`building ${name} failed (is gcc-multilib installed?):\n${r.stderr}`);
  return out;
}

/** Input i: a few hundred bytes to a few KiB of text. */
function input(i) {
  let s = "";
  for (let j = 0; j < 4 + (i % 61); j++) s += `record ${i}.${j} ${"lorem ipsum ".repeat(j % 7)}\n`;
  return s;
}

async function measure(prog, size) {
  const pool = createPool({ size });
  try {
    await Promise.all(Array.from({ length: size }, (_, i) => pool.runProgram(prog, { argv: [prog, ...progArgs], stdin: input(i), memory })));
    const t0 = performance.now();
    const results = await Promise.all(Array.from({ length: inputs }, (_, i) => pool.runProgram(prog, { argv: [prog, ...progArgs], stdin: input(i), memory })));
    const ms = performance.now() - t0;
    return { results, ms, rate: (inputs / ms) * 1000 };
  } finally {
    await pool.close();
  }
}

/** What the host gives N independent processes: `workers` copies of this script, each timing
 *  its share of the runs with one worker, started together. Their summed rates over the
 *  1-worker rate is the most a pool of that size can gain here (on a VM whose cores share a
 *  physical one, or under a CPU quota, it is well below the core count). */
async function ceiling() {
  const share = Math.ceil(inputs / workers);
  const args = [fileURLToPath(import.meta.url), "--child", "--inputs", String(share), "--memory", String(memory >> 20), "--program", progName, "--args", progArgs.join(" ")];
  const rates = await Promise.all(Array.from({ length: workers }, () => new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.on("exit", (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`a ceiling process exited with ${code}`))));
  })));
  return rates.reduce((a, b) => a + b, 0);
}

const prog = build(progName);
if (process.argv.includes("--child")) {
  // (its own rate, timed after its warm-up like the others; the processes start together, so
  // their timed parts overlap)
  console.log(String((await measure(prog, 1)).rate));
  process.exit(0);
}
console.log(`embed-pool: ${inputs} runs of ${[progName, ...progArgs].join(" ")} (${memory >> 20} MiB each), host ${os.availableParallelism()} cores, load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
const one = await measure(prog, 1);
console.log(`  1 worker:  ${one.rate.toFixed(1)} runs/s (${(one.ms / 1000).toFixed(2)} s)`);
const many = await measure(prog, workers);
console.log(`  ${workers} workers: ${many.rate.toFixed(1)} runs/s (${(many.ms / 1000).toFixed(2)} s)`);
const same = many.results.every((r, i) => r.status === 0 && r.stdout.equals(one.results[i].stdout));
console.log(`  speed-up ${(one.ms / many.ms).toFixed(2)}x; results ${same ? "identical, all status 0" : "DIFFER"}`);
if (!process.argv.includes("--no-ceiling")) {
  const rate = await ceiling();
  console.log(`  host ceiling: ${workers} separate processes, one worker each, together ${rate.toFixed(1)} runs/s = ${(rate / one.rate).toFixed(2)}x one worker`);
}
console.log(`  load average after ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
if (!same) process.exit(1);
