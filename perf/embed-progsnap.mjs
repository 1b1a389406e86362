// Program snapshots for fuzzing (docs/embedding.md, "Stepping and snapshots"): a Linux program
// run once per input, either started afresh each time (runProgram) or started once, stopped at
// its first read of standard input, snapshotted, and restored before each input
// (loadProgram). Prints inputs per second both ways and what a restore costs. Programs: our
// wc (perf/programs/wc.c, a static program whose run is mostly start-up) and, when the Debian
// root is there, Debian's dynamically linked python3 parsing JSON. Then the same snapshots
// written out as bytes (toBuffer), read back (fromBuffer) and loaded before each input into
// another program.
//
//   npm run build && node perf/embed-progsnap.mjs [inputs]

import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { spawnSync } from "node:child_process";
import { loadProgram, runProgram, SystemSnapshot } from "../dist/index.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const INPUTS = Number(process.argv[2] ?? 200);
const DEBIAN_ROOT = "/var/cache/exojit/debian-bookworm-i386";
const ENV = { LANG: "C", PATH: "/usr/bin:/bin" };

function buildWc() {
  const out = path.join(HERE, ".build", "wc");
  if (!fs.existsSync(out)) {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const r = spawnSync("gcc", ["-m32", "-static", "-O2", "-o", out, path.join(HERE, "programs", "wc.c")], { stdio: "inherit" });
    if (r.status !== 0) throw new Error("cannot build wc (gcc -m32: apt-get install gcc-multilib)");
  }
  return out;
}

const input = (k) => `input number ${k}\n${"word ".repeat(k % 50)}\n`;
const readsStdin = (c) => c.nr === 3 && c.args[0] === 0;
const savedRows = [];

/** Restores `snap` into `prog` before each input and runs it, checking the run against the
 *  fresh one; returns the milliseconds the restores took and the whole loop took. */
async function restoredRuns(name, prog, snap, fresh, makeInput, what) {
  let restoreMs = 0;
  const t0 = performance.now();
  for (let k = 0; k < fresh.length; k++) {
    const r0 = performance.now();
    prog.restore(snap, { stdin: makeInput(k) });
    restoreMs += performance.now() - r0;
    const end = await prog.run();
    const want = fresh[k];
    if (end.reason !== "exit" || end.status !== want.status || !prog.stdout.equals(want.stdout)) throw new Error(`${name}: input ${k}${what} differs from a fresh run`);
  }
  return { restoreMs, totalMs: performance.now() - t0 };
}

async function measure(name, path, opts, inputs, makeInput) {
  const t0 = performance.now();
  const fresh = [];
  for (let k = 0; k < inputs; k++) fresh.push(await runProgram(path, { ...opts, stdin: makeInput(k) }));
  const freshMs = performance.now() - t0;

  const t1 = performance.now();
  const p = loadProgram(path, { ...opts, stdin: makeInput(0) });
  const stop = await p.run({ stopAt: readsStdin });
  if (stop.reason !== "syscall") throw new Error(`${name} did not read its input (${stop.reason})`);
  const snap = p.snapshot();
  const setupMs = performance.now() - t1;
  const { restoreMs, totalMs: snapMs } = await restoredRuns(name, p, snap, fresh, makeInput, "");

  // The same snapshot written out as bytes, read back, and loaded before each input into
  // another program (a fresh machine's whole state replaced each time).
  const w0 = performance.now();
  const bytes = snap.toBuffer();
  const saveMs = performance.now() - w0;
  const saved = await SystemSnapshot.fromBuffer(bytes);
  const parseMs = performance.now() - w0 - saveMs;
  const q = loadProgram(path, { ...opts, stdin: makeInput(0) });
  const { restoreMs: loadMs, totalMs: loadedMs } = await restoredRuns(name, q, saved, fresh, makeInput, " loaded from bytes");
  q.dispose();
  snap.release();
  p.dispose();
  savedRows.push(`${name.padEnd(22)} ${(bytes.length / 1048576).toFixed(1).padStart(8)} ${saveMs.toFixed(1).padStart(8)} ${parseMs.toFixed(1).padStart(8)} ${(loadMs / inputs).toFixed(2).padStart(8)} ${((inputs * 1000) / loadedMs).toFixed(inputs * 1000 < 10 * loadedMs ? 2 : 0).padStart(10)}`);
  const rate = (ms) => {
    const r = (inputs * 1000) / ms;
    return r.toFixed(r < 10 ? 2 : 0).padStart(8);
  };
  console.log(
    `${name.padEnd(22)} ${rate(freshMs)} ${rate(snapMs)} ${(freshMs / snapMs).toFixed(1).padStart(8)}x ${(restoreMs / inputs).toFixed(2).padStart(10)} ${setupMs.toFixed(0).padStart(9)} ${(snap.memoryBytes / 1048576).toFixed(1).padStart(8)}`,
  );
}

console.log(`program                 fresh/s  restored/s  speed-up  restore ms  setup ms  snap MiB   (${INPUTS} inputs; each restored run checked against the fresh one)`);
await measure("wc (static)", buildWc(), { argv: ["wc"], env: ENV }, INPUTS, input);
if (fs.existsSync(path.join(DEBIAN_ROOT, "usr/bin/python3"))) {
  const script = "import sys, json\nd = json.loads(sys.stdin.read())\nprint(sorted(d.items()))";
  await measure("python3 json (Debian)", "/usr/bin/python3", { root: DEBIAN_ROOT, argv: ["python3", "-c", script], env: ENV }, Math.max(2, Math.floor(INPUTS / 40)), (k) => JSON.stringify({ k, v: "x".repeat(k % 7) }));
} else console.log(`(python3: no Debian root at ${DEBIAN_ROOT})`);
console.log(`\nthe snapshot as bytes   size MiB  save ms  read ms  load ms  loaded/s   (each loaded run checked against the fresh one)`);
for (const r of savedRows) console.log(r);
