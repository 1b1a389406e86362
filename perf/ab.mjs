#!/usr/bin/env node
// Interleaved A/B timing of two exojit builds, or of two option sets, on the same commands.
//
// A change to the engine is judged on CPU time against the build before it, and the machines
// this is developed on are shared VMs whose speed drifts (by 2x within a session on ours): runs
// taken at different times do not compare. This tool runs each command under A and B in turn,
// `--runs` rounds (the order swapped every round), after one untimed run of each that fills its
// own cache of saved code, as a user's earlier run would. It prints medians and ranges of wall
// and CPU time (user + system of every process), the guest time --stats reports, and a verdict
// only where the CPU ranges do not overlap.
//
// With --turbo, both sides run under `node --turbo-stats`, and it also prints what V8's optimising
// compiler did at exit: its time and the memory its zones allocated, summed over every function
// it compiled. The allocation follows the size of the graphs TurboFan built (region code is most
// of them), and moves by a few percent between runs where CPU time moves by tens: the measure
// for a change to what the JIT generates. (The flag changes V8's flag hash, so the pack's code
// cache is not used on either side.)
//
// Usage: node perf/ab.mjs [--runs N] [--turbo] [--a DIR] [--b DIR] [--a-opts OPTS] [--b-opts OPTS] -- ARGS...
//   DIR    an exojit checkout with dist/ built (default: this one); e.g. a worktree of the
//          commit before (git worktree add /tmp/before HEAD~1; cd /tmp/before; npm ci; npm run build)
//   OPTS   node options for that side (e.g. "--max-semi-space-size=32")
//   ARGS   one shell string per command, what follows `exojit`: 'run perf/.build/sha256 100',
//          'run --root /var/cache/exojit/debian-bookworm-i386 /usr/bin/sort < in.txt'

import { spawnSync } from "node:child_process";
import { BASH } from "./shell.mjs";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function parseArgs(argv) {
  const o = { runs: 3, turbo: false, a: HERE, b: HERE, aOpts: "", bOpts: "", commands: [] };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    const value = () => {
      if (k + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++k];
    };
    if (a === "--") {
      o.commands.push(...argv.slice(k + 1));
      break;
    } else if (a === "--runs") o.runs = Number(value());
    else if (a === "--turbo") o.turbo = true;
    else if (a === "--a") o.a = path.resolve(value());
    else if (a === "--b") o.b = path.resolve(value());
    else if (a === "--a-opts") o.aOpts = value();
    else if (a === "--b-opts") o.bOpts = value();
    else if (a === "--help" || a === "-h") usage();
    else usage(`unknown option ${a}`);
  }
  if (!Number.isInteger(o.runs) || o.runs < 1) usage("--runs takes a positive integer");
  if (o.commands.length === 0) usage("no commands (after --)");
  if (o.a === o.b && o.aOpts === o.bOpts) usage("A and B are the same build with the same options");
  return o;
}

function usage(error) {
  if (error) console.error(`perf/ab.mjs: ${error}`);
  console.error("usage: node perf/ab.mjs [--runs N] [--turbo] [--a DIR] [--b DIR] [--a-opts OPTS] [--b-opts OPTS] -- 'ARGS' ['ARGS'...]");
  process.exit(error ? 2 : 0);
}

/** One run of `exojit ARGS` with side `s`: wall and CPU ms, the guest time --stats gave, and
 *  with `turbo` TurboFan's ms and zone bytes (the totals --turbo-stats prints at exit). */
function runOnce(s, args, turbo) {
  const t0 = process.hrtime.bigint();
  // (--turbo-stats writes to stdout, after the program's own output: kept in a file)
  const out = turbo ? path.join(s.cache, "stdout") : "/dev/null";
  const script = `node ${turbo ? "--turbo-stats " : ""}${s.opts} "$1" ${args} > "$2"; s=$?; times >&2; exit $s`;
  const r = spawnSync("bash", [...BASH, "-c", script, "_", s.cli, out], { encoding: "utf8", maxBuffer: 64 << 20, env: { ...process.env, EXOJIT_CACHE: s.cache } });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  let tfMs = NaN, tfBytes = NaN;
  if (turbo) {
    const m = /^\s*totals\s+([\d.]+) \([\d.]+%\)\s+(\d+) \(/m.exec(fs.readFileSync(out, "utf8"));
    if (m) [tfMs, tfBytes] = [Number(m[1]), Number(m[2])];
    fs.rmSync(out, { force: true });
  }
  if (r.status !== 0) {
    const said = r.stderr.replace(/^\d+m[\d.]+s \d+m[\d.]+s\n?/gm, "").trim();
    throw new Error(`${s.name}: exojit ${args} exited with ${r.status}: ${said.slice(-400)}`);
  }
  // `times`: the shell's own times, then its children's ("0m0.082s 0m0.102s")
  const t = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(r.stderr.trimEnd());
  const cpu = t ? (Number(t[1]) * 60 + Number(t[2]) + Number(t[3]) * 60 + Number(t[4])) * 1000 : NaN;
  const g = /guest instructions in ([\d.]+) ms/.exec(r.stderr);
  return { wall, cpu, guest: g ? Number(g[1]) : NaN, tfMs, tfMb: tfBytes / 2 ** 20 };
}

function summary(values) {
  const v = values.filter(Number.isFinite).sort((x, y) => x - y);
  if (v.length === 0) return null;
  const median = v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  return { median, min: v[0], max: v[v.length - 1] };
}

const ms = (s) => (s === null ? "-" : `${Math.round(s.median)} [${Math.round(s.min)}-${Math.round(s.max)}]`);

function main() {
  const o = parseArgs(process.argv.slice(2));
  const sides = [
    { name: "A", dir: o.a, opts: o.aOpts },
    { name: "B", dir: o.b, opts: o.bOpts },
  ].map((s) => ({ ...s, cli: path.join(s.dir, "dist", "cli", "main.cjs"), cache: fs.mkdtempSync(path.join(os.tmpdir(), `exojit-ab-${s.name}-`)) }));
  try {
    for (const s of sides) if (!fs.existsSync(s.cli)) throw new Error(`${s.name}: ${s.cli} is missing: run \`npm run build\` in ${s.dir}`);
    for (const s of sides) console.log(`${s.name}: ${s.dir}${s.opts ? ` (node ${s.opts})` : ""}`);
    const times = o.commands.map(() => sides.map(() => []));
    o.commands.forEach((args) => sides.forEach((s) => runOnce(s, args, o.turbo)));
    for (let round = 0; round < o.runs; round++) {
      const order = round % 2 === 0 ? [0, 1] : [1, 0];
      o.commands.forEach((args, c) => {
        for (const k of order) {
          if (process.stderr.isTTY) process.stderr.write(`\r\x1b[Kround ${round + 1}/${o.runs}: ${sides[k].name} ${args.slice(0, 60)}`);
          times[c][k].push(runOnce(sides[k], args, o.turbo));
        }
      });
    }
    if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
    o.commands.forEach((args, c) => {
      const [a, b] = times[c].map((runs) => ({
        wall: summary(runs.map((r) => r.wall)), cpu: summary(runs.map((r) => r.cpu)), guest: summary(runs.map((r) => r.guest)),
        tfMs: summary(runs.map((r) => r.tfMs)), tfMb: summary(runs.map((r) => r.tfMb)),
      }));
      let verdict = "within noise";
      if (a.cpu && b.cpu && b.cpu.max < a.cpu.min) verdict = "B takes less CPU";
      else if (a.cpu && b.cpu && b.cpu.min > a.cpu.max) verdict = "B takes more CPU";
      console.log(`\nexojit ${args}`);
      for (const [name, s] of [["A", a], ["B", b]]) {
        console.log(`  ${name}: wall ${ms(s.wall)} ms, CPU ${ms(s.cpu)} ms${s.guest ? `, guest ${ms(s.guest)} ms` : ""}`);
        if (o.turbo) console.log(`     TurboFan ${ms(s.tfMs)} ms, zones ${ms(s.tfMb)} MB`);
      }
      const ratio = a.cpu && b.cpu ? (b.cpu.median / a.cpu.median).toFixed(3) : "-";
      console.log(`  B/A CPU ${ratio}, wall ${(b.wall.median / a.wall.median).toFixed(3)}: ${verdict} (${o.runs} runs each)`);
      if (o.turbo && a.tfMb && b.tfMb) console.log(`  B/A TurboFan zones ${(b.tfMb.median / a.tfMb.median).toFixed(3)}, time ${(b.tfMs.median / a.tfMs.median).toFixed(3)}`);
    });
  } finally {
    for (const s of sides) fs.rmSync(s.cache, { recursive: true, force: true });
  }
}

try {
  main();
} catch (e) {
  console.error(`perf/ab.mjs: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
}
