#!/usr/bin/env node
// Start-up and cold code (issue 11): what every user and every short process of a shell script
// feels. Times, each as the median of several runs with CPU time (user + system of every process
// and thread, V8's compiler threads included) and peak RSS:
//   - `exojit --version` against `node -e 0` (module loading before any work);
//   - a static hello-world (perf/programs/hello.c) natively, under qemu-i386 when installed, and
//     under `exojit run`, from the packed build and from the ES modules (EXOJIT_NO_PACK=1);
//   - from `--stats`: start-up (process start to the first guest instruction) and the time of
//     the first 100k guest instructions, for the hello-world and a few short programs;
//   - `exojit boot` of the default image with `exit` piped into its shell.
// Everything runs with EXOJIT_CACHE set to a fresh directory, after one untimed run that makes
// the default image and the code caches. Ratios are against native where that makes sense.
// The machine's load average is printed before and after: on a shared machine, CPU times are
// the figures to compare.
//
// Usage: node perf/startup.mjs [--runs N] [--cli PATH]   (after npm run build)
//   --cli PATH: time another build's dist/cli/main.cjs (a checkout of main, for a before/after).

import { spawnSync } from "node:child_process";
import { BASH } from "./shell.mjs";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, "..");
const CLI = (() => {
  const i = process.argv.indexOf("--cli");
  return i > 0 ? path.resolve(process.argv[i + 1]) : path.join(REPO, "dist", "cli", "main.cjs");
})();
const BUILD = path.join(HERE, ".build");
const RESULTS = path.join(HERE, "results");

const runs = (() => {
  const i = process.argv.indexOf("--runs");
  return i > 0 ? Math.max(1, Number(process.argv[i + 1])) : 7;
})();

const CACHE = fs.mkdtempSync(path.join(os.tmpdir(), "exojit-startup-"));
const ENV = { ...process.env, EXOJIT_CACHE: CACHE };
const TIME = fs.existsSync("/usr/bin/time") ? "/usr/bin/time" : null;

function build(name) {
  fs.mkdirSync(BUILD, { recursive: true });
  const src = path.join(HERE, "programs", `${name}.c`);
  const out = path.join(BUILD, name);
  if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= fs.statSync(src).mtimeMs) return out;
  const r = spawnSync("gcc", ["-m32", "-static", "-O2", "-o", out, src, "-lm"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`building ${name} failed (is gcc-multilib installed?):\n${r.stderr}`);
  return out;
}

/** One run: wall ms, CPU ms (bash's `times` for its children), peak RSS MB, stderr. */
function once(argv, { input = "", env = ENV } = {}) {
  const rssFile = path.join(CACHE, `rss-${process.pid}`);
  const timed = TIME ? [TIME, "-f", "%M", "-o", rssFile, ...argv] : argv;
  const t0 = process.hrtime.bigint();
  const r = spawnSync("bash", [...BASH, "-c", '"$@" >/dev/null 2>"$ERRFILE"; s=$?; times; exit $s', "_", ...timed], {
    encoding: "utf8", input, env: { ...env, ERRFILE: path.join(CACHE, "stderr") },
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const stderr = fs.readFileSync(path.join(CACHE, "stderr"), "utf8");
  if (r.status !== 0) throw new Error(`${argv.join(" ")} exited with ${r.status}: ${stderr.slice(-400)}`);
  // times prints the shell's own times, then its children's: "0m0.082s 0m0.102s".
  const t = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(r.stdout.trimEnd());
  const cpu = t ? (Number(t[1]) * 60 + Number(t[2]) + Number(t[3]) * 60 + Number(t[4])) * 1000 : NaN;
  const rss = TIME && fs.existsSync(rssFile) ? Number(fs.readFileSync(rssFile, "utf8").trim().split("\n").pop()) / 1024 : NaN;
  return { wall, cpu, rss, stderr };
}

const median = (xs) => {
  const v = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

function measure(label, argv, opts = {}) {
  once(argv, opts); // untimed: code caches, the default image
  const rs = [];
  for (let k = 0; k < runs; k++) {
    process.stderr.write(`\r\x1b[K${label} ${k + 1}/${runs}`);
    rs.push(once(argv, opts));
  }
  process.stderr.write("\r\x1b[K");
  return { wall: median(rs.map((r) => r.wall)), cpu: median(rs.map((r) => r.cpu)), rss: median(rs.map((r) => r.rss)), stderr: rs.map((r) => r.stderr) };
}

/** --stats figures: start-up ms, first-100k ms (or all, when fewer), and the instruction count. */
function phases(stderrs) {
  const f = (re) => median(stderrs.map((s) => Number(re.exec(s)?.[1] ?? NaN)));
  return {
    insns: f(/exojit stats: (\d+) guest instructions/),
    startup: f(/start-up ([\d.]+) ms/),
    warm: f(/warm-up: (?:first 100k|all \d+) instructions in ([\d.]+) ms/),
    total: f(/guest instructions in ([\d.]+) ms/),
  };
}

const fmt = (x, d = 1) => (Number.isNaN(x) ? "-" : x.toFixed(d));
const rows = [];
const row = (name, m, base) => rows.push([name, fmt(m.wall), fmt(m.cpu), fmt(m.rss), base ? fmt(m.wall / base.wall) : "", base ? fmt(m.cpu / base.cpu) : ""]);

const load0 = os.loadavg();
const hello = build("hello");
const qemu = spawnSync("which", ["qemu-i386"], { encoding: "utf8" }).stdout.trim() || null;
const result = { date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model, runs, cli: CLI, load: { before: load0 } };
console.log(`exojit: ${CLI}`);

const node0 = measure("node -e 0", [process.execPath, "-e", "0"]);
const version = measure("exojit --version", [process.execPath, CLI, "--version"]);
row("node -e 0", node0);
row("exojit --version", version, node0);
// Node reads NODE_EXTRA_CA_CERTS at every start, before any script runs (OpenSSL's set-up and
// the file's certificates: 15 ms for an empty file and 30 ms for Debian's bundle on the machine
// this was written on). Where it is set, every Node figure here carries that cost.
let nodeNoCerts = null;
if (process.env.NODE_EXTRA_CA_CERTS) {
  const env = { ...ENV };
  delete env.NODE_EXTRA_CA_CERTS;
  nodeNoCerts = measure("node -e 0 (no NODE_EXTRA_CA_CERTS)", [process.execPath, "-e", "0"], { env });
  row("node -e 0 without NODE_EXTRA_CA_CERTS", nodeNoCerts);
}

const native = measure("hello native", [hello]);
row("hello: native", native);
let qemuM = null;
if (qemu) {
  qemuM = measure("hello qemu-i386", [qemu, hello]);
  row("hello: qemu-i386", qemuM, native);
}
const packed = measure("hello exojit", [process.execPath, CLI, "run", "--stats", hello]);
row("hello: exojit run", packed, native);
if (nodeNoCerts) {
  // The start-up target as a machine without the variable sees it.
  const env = { ...ENV };
  delete env.NODE_EXTRA_CA_CERTS;
  const clean = measure("hello exojit (no NODE_EXTRA_CA_CERTS)", [process.execPath, CLI, "run", "--stats", hello], { env });
  row("hello: exojit run, no NODE_EXTRA_CA_CERTS", clean, native);
  result.helloNoCerts = { wall: clean.wall, cpu: clean.cpu, rss: clean.rss };
}
const esm = measure("hello exojit (ES modules)", [process.execPath, CLI, "run", "--stats", hello], { env: { ...ENV, EXOJIT_NO_PACK: "1" } });
row("hello: exojit run, ES modules", esm, native);
const boot = measure("exojit boot", [process.execPath, CLI, "boot", "--stats"], { input: "exit\n" });
row("boot default image, exit", boot);
// A dynamic third-party program: Debian's gzip --version (ld.so, libc), with the root of the
// Debian tests (tests/helpers/debian.ts), natively under chroot (as root) and under exojit.
const DEBIAN = process.env.EXOJIT_DEBIAN_ROOT ?? "/var/cache/exojit/debian-bookworm-i386";
let gzip = null;
if (fs.existsSync(path.join(DEBIAN, "bin", "gzip")) && process.getuid?.() === 0) {
  const gzNative = measure("gzip native", ["chroot", DEBIAN, "/bin/gzip", "--version"]);
  row("gzip --version: native (chroot)", gzNative);
  if (qemu) row("gzip --version: qemu-i386", measure("gzip qemu-i386", [qemu, "-L", DEBIAN, path.join(DEBIAN, "bin", "gzip"), "--version"]), gzNative);
  gzip = measure("gzip exojit", [process.execPath, CLI, "run", "--stats", "--root", DEBIAN, "/bin/gzip", "--version"]);
  row("gzip --version: exojit run", gzip, gzNative);
}

console.log(`\nstart-up (median of ${runs}; wall and CPU ms, peak RSS MB; ratios against native or node -e 0)`);
const head = ["", "wall ms", "cpu ms", "rss MB", "wall x", "cpu x"];
const all = [head, ...rows];
const widths = head.map((_, c) => Math.max(...all.map((r) => String(r[c]).length)));
for (const r of all) console.log(r.map((v, c) => (c === 0 ? String(v).padEnd(widths[c]) : String(v).padStart(widths[c]))).join("  "));
console.log(`exojit --version - node -e 0: ${fmt(version.wall - node0.wall)} ms wall, ${fmt(version.cpu - node0.cpu)} ms CPU (target: within 20 ms)`);
if (nodeNoCerts) {
  console.log(`NODE_EXTRA_CA_CERTS is set: Node's own start takes ${fmt(node0.wall - nodeNoCerts.wall)} ms more wall time with it, in every exojit figure above`);
  result.nodeExtraCaCertsMs = node0.wall - nodeNoCerts.wall;
}

// The first 100k instructions of short programs, from --stats.
const warm = [["hello", packed.stderr]];
for (const [name, args] of [["sieve", ["1"]], ["bytecode", ["1000"]], ["strings", ["100"]]]) {
  if (!fs.existsSync(path.join(HERE, "programs", `${name}.c`))) continue;
  warm.push([`${name} ${args.join(" ")}`, measure(name, [process.execPath, CLI, "run", "--stats", build(name), ...args]).stderr]);
}
warm.push(["boot", boot.stderr]);
if (gzip) warm.push(["gzip --version", gzip.stderr]);
console.log("\ncold code, from --stats (median ms): start-up = process start to the first guest instruction");
console.log("program          insns  start-up  first 100k (or all)  whole run");
result.warm = {};
for (const [name, stderrs] of warm) {
  const p = phases(stderrs);
  result.warm[name] = p;
  console.log(`${name.padEnd(14)} ${fmt(p.insns, 0).padStart(7)} ${fmt(p.startup).padStart(9)} ${fmt(p.warm).padStart(20)} ${fmt(p.total).padStart(10)}`);
}

result.load.after = os.loadavg();
console.log(`\nload average before ${load0.map((x) => x.toFixed(1)).join(" ")}, after ${result.load.after.map((x) => x.toFixed(1)).join(" ")} (${os.cpus().length} CPUs)`);
const strip = (m) => m && { wall: m.wall, cpu: m.cpu, rss: m.rss };
Object.assign(result, { node0: strip(node0), version: strip(version), native: strip(native), qemu: strip(qemuM), exojit: strip(packed), exojitEsm: strip(esm), boot: strip(boot), gzip: strip(gzip) });
fs.mkdirSync(RESULTS, { recursive: true });
const file = path.join(RESULTS, `startup-${result.date.replace(/[:.]/g, "-")}.json`);
fs.writeFileSync(file, JSON.stringify(result, null, 2));
console.log(`results: ${path.relative(REPO, file)}`);
fs.rmSync(CACHE, { recursive: true, force: true });
