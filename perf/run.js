#!/usr/bin/env node
// exojit's perf suite (`npm run bench`): our own guest programs (perf/programs/*.c), each run
// natively, under the JIT and under the interpreter in the same session, then micro-benchmarks of
// the engine's hot paths (perf/micro.js, tinybench). Prints a table of ratios with the median and
// spread over several runs and writes everything as JSON under perf/results/.
//
// Two times are kept per exojit run: `wall` (the whole process, Node start-up included) and
// `run` (guest execution only, as `exojit run --stats` reports it). Ratios use `run`, since
// start-up is a fixed cost that says nothing about the code generated; the wall figures are in
// the JSON and the table's last columns.
//
// Usage: node perf/run.js [--runs N] [--only name,name] [--no-interp] [--no-micro] [--quick]

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { runMicro } from "./micro.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, "..");
const CLI = path.join(REPO, "dist", "cli", "main.js");
const BUILD = path.join(HERE, ".build");
const RESULTS = path.join(HERE, "results");

/** name, argument (sized so a native run takes ~0.1 s), the group it is summarised in, and
 *  (for the SIMD ones) its source and extra compiler flags. */
const PROGRAMS = [
  { name: "sieve", args: ["500"], kind: "integer" },
  { name: "sha256", args: ["100"], kind: "integer" },
  { name: "qsort", args: ["10"], kind: "integer" },
  { name: "bytecode", args: ["5000000"], kind: "integer" },
  { name: "strings", args: ["400000"], kind: "integer" },
  { name: "mandelbrot", args: ["700"], kind: "x87", optional: false },
  { name: "nbody", args: ["800000"], kind: "x87", optional: false },
  { name: "nbody_sse", src: "nbody", flags: ["-msse2", "-mfpmath=sse"], args: ["800000"], kind: "sse" },
  { name: "imgfilter", flags: ["-msse2"], args: ["800"], kind: "sse" },
  { name: "getpid", args: ["500000"], kind: "syscall" },
  { name: "devnull", args: ["500000"], kind: "syscall" },
];

function parseArgs(argv) {
  const o = { runs: 3, only: null, interp: true, micro: true, quick: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--runs") o.runs = Math.max(1, Number(argv[++i]));
    else if (a === "--only") o.only = new Set(argv[++i].split(","));
    else if (a === "--no-interp") o.interp = false;
    else if (a === "--no-micro") o.micro = false;
    else if (a === "--quick") o.quick = true;
    else if (a === "--help" || a === "-h") {
      console.log("usage: node perf/run.js [--runs N] [--only name,name] [--no-interp] [--no-micro] [--quick]");
      process.exit(0);
    } else {
      console.error(`perf/run.js: unknown option '${a}'`);
      process.exit(2);
    }
  }
  if (o.quick) o.runs = 1;
  return o;
}

function progress(msg) {
  process.stderr.write(`\r\x1b[K${msg}`);
}

function build(p) {
  const src = path.join(HERE, "programs", `${p.src ?? p.name}.c`);
  if (!fs.existsSync(src)) return null;
  const out = path.join(BUILD, p.name);
  if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= fs.statSync(src).mtimeMs) return out;
  fs.mkdirSync(BUILD, { recursive: true });
  const r = spawnSync("gcc", ["-m32", "-static", "-O2", ...(p.flags ?? []), "-o", out, src, "-lm"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`building ${p.name} failed (is gcc-multilib installed?):\n${r.stderr}`);
  return out;
}

/** Runs a command once; returns wall ms, the guest-run ms exojit reported, and its stdout. */
function timeOnce(cmd, args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited with ${r.status}: ${r.stderr.slice(-500)}`);
  const m = /guest instructions in ([\d.]+) ms/.exec(r.stderr);
  const insns = /exojit stats: (\d+) guest instructions/.exec(r.stderr);
  return { wall, run: m ? Number(m[1]) : wall, insns: insns ? Number(insns[1]) : 0, stdout: r.stdout };
}

function stats(values) {
  const v = [...values].sort((a, b) => a - b);
  const median = v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  return { median, min: v[0], max: v[v.length - 1], spread: median > 0 ? (v[v.length - 1] - v[0]) / median : 0, values };
}

function measure(label, cmd, args, runs, expect) {
  const out = [];
  for (let k = 0; k < runs; k++) {
    progress(`${label} run ${k + 1}/${runs}`);
    const r = timeOnce(cmd, args);
    if (expect !== undefined && r.stdout !== expect) throw new Error(`${label}: output differs from the native run`);
    out.push(r);
  }
  return { wall: stats(out.map((r) => r.wall)), run: stats(out.map((r) => r.run)), insns: out[0].insns, stdout: out[0].stdout };
}

function geomean(xs) {
  return xs.length ? Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length) : NaN;
}

const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : "-");
const pct = (s) => `±${fmt(s.spread * 50, 0)}%`;

function main() {
  const o = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(CLI)) {
    console.error("perf/run.js: dist/ is missing: run `npm run build` first (npm run bench does)");
    process.exit(1);
  }
  const rows = [];
  for (const p of PROGRAMS) {
    if (o.only && !o.only.has(p.name)) continue;
    const bin = build(p);
    if (bin === null) {
      if (!p.optional) throw new Error(`perf/programs/${p.name}.c is missing`);
      continue;
    }
    const native = measure(`${p.name}: native`, bin, p.args, Math.max(o.runs, 3));
    const exo = (engine) => measure(`${p.name}: ${engine}`, "node", [CLI, "run", "--stats", "--engine", engine, bin, ...p.args], o.runs, native.stdout);
    const jit = exo("auto");
    const interp = o.interp ? exo("interp") : null;
    rows.push({ name: p.name, kind: p.kind, args: p.args, native, jit, interp });
  }
  progress("");

  const head = ["program", "native ms", "jit ms", "interp ms", "jit/native", "interp/native", "interp/jit", "jit M insn/s", "jit wall ms", "interp wall ms"];
  const lines = [head];
  for (const r of rows) {
    const n = r.native.wall.median, j = r.jit.run.median, i = r.interp?.run.median ?? NaN;
    lines.push([
      r.name, `${fmt(n)} ${pct(r.native.wall)}`, `${fmt(j)} ${pct(r.jit.run)}`, r.interp ? `${fmt(i)} ${pct(r.interp.run)}` : "-",
      fmt(j / n), fmt(i / n), fmt(i / j), fmt(r.jit.insns / j / 1000), fmt(r.jit.wall.median, 0), r.interp ? fmt(r.interp.wall.median, 0) : "-",
    ]);
  }
  const widths = head.map((_, c) => Math.max(...lines.map((l) => l[c].length)));
  for (const l of lines) console.log(l.map((x, c) => (c === 0 ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join("  "));
  const summary = {};
  for (const kind of ["integer", "x87", "sse", "syscall"]) {
    const rs = rows.filter((r) => r.kind === kind);
    if (rs.length === 0) continue;
    summary[kind] = {
      jitOverNative: geomean(rs.map((r) => r.jit.run.median / r.native.wall.median)),
      worstJitOverNative: Math.max(...rs.map((r) => r.jit.run.median / r.native.wall.median)),
      interpOverJit: o.interp ? geomean(rs.map((r) => r.interp.run.median / r.jit.run.median)) : null,
    };
    const s = summary[kind];
    console.log(`${kind}: geomean jit/native ${fmt(s.jitOverNative)}x (worst ${fmt(s.worstJitOverNative)}x)${s.interpOverJit ? `, geomean interp/jit ${fmt(s.interpOverJit)}x` : ""}`);
  }

  let micro = null;
  if (o.micro) {
    progress("micro-benchmarks");
    micro = runMicro(o.quick);
    progress("");
    for (const m of micro) console.log(`micro: ${m.name}: ${m.value}`);
  }

  fs.mkdirSync(RESULTS, { recursive: true });
  const file = path.join(RESULTS, `${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  const strip = (m) => m && { wall: m.wall, run: m.run, insns: m.insns };
  fs.writeFileSync(
    file,
    JSON.stringify(
      {
        date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model, runs: o.runs,
        programs: rows.map((r) => ({ name: r.name, kind: r.kind, args: r.args, native: strip(r.native), jit: strip(r.jit), interp: strip(r.interp) })),
        summary, micro,
      },
      null,
      2,
    ),
  );
  console.log(`results written to ${path.relative(REPO, file)}`);
}

main();
