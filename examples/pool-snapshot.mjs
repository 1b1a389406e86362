// A program started once, stopped at its first read of standard input, and its snapshot written
// to a file; then a pool of worker threads runs it from there on many inputs: each worker reads
// the snapshot once and restores it into its own program before each input. Start-up (dynamic
// linking, the program's own set-up) is paid once, on one thread; every core runs inputs.
// Usage (after `npm run build`): node examples/pool-snapshot.mjs PROGRAM [COUNT] [--list]
//   PROGRAM reads its standard input (tests/guest/stdin_lines.c, perf/programs/wc.c...); COUNT
//   inputs (default 1000), input i being 1 + i % 17 lines of words; --list prints each input's
//   result (its last line of output) as "i: ...".
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { isMainThread } from "node:worker_threads";
import { loadProgram, SystemSnapshot } from "exojit";
import { createPool } from "exojit/worker";

const MEMORY = 32 << 20;

// ---- in each worker: one snapshot and one program, kept from input to input ----

let mine = null;

/** Runs the snapshot in `file` on `input`; the pool calls this in a worker. */
export async function runInput({ file, program, input }) {
  if (mine === null || mine.file !== file) {
    // Any program will do as the vessel: a restore replaces its whole state.
    mine = { file, snap: await SystemSnapshot.load(file), p: loadProgram(program, { memory: MEMORY }) };
  }
  mine.p.restore(mine.snap, { stdin: input });
  const end = await mine.p.run();
  return { status: end.reason === "exit" ? end.status : -1, stdout: mine.p.stdout.toString() };
}

// ---- the main thread ----

/** Input i: 1 + i % 17 lines of a few words each. */
function input(i) {
  let s = "";
  for (let j = 0; j <= i % 17; j++) s += `input ${i} line ${j} ${"word ".repeat(j % 5)}\n`;
  return s;
}

async function main() {
  const [program, countArg] = process.argv.slice(2).filter((a) => !a.startsWith("--"));
  const list = process.argv.includes("--list");
  if (program === undefined) {
    console.error("usage: node examples/pool-snapshot.mjs PROGRAM [COUNT] [--list]");
    process.exit(2);
  }
  const count = Number(countArg ?? 1000);

  // Start the program once and snapshot it before its read(0, ...) (i386 call 3, EBX 0).
  const p = loadProgram(program, { argv: [program], memory: MEMORY });
  const stop = await p.run({ stopAt: (call) => call.nr === 3 && call.args[0] === 0 });
  if (stop.reason !== "syscall") {
    console.error(`${program} ended before reading its input (${stop.reason})`);
    process.exit(1);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "exojit-pool-snapshot-"));
  const file = path.join(dir, "program.snap");
  const snap = p.snapshot();
  await snap.save(file);
  console.log(`snapshot after ${stop.insns} instructions: ${(fs.statSync(file).size / 1024).toFixed(0)} KiB in ${file}`);
  snap.release();
  p.dispose();

  const workers = os.availableParallelism();
  const pool = createPool({ size: workers });
  const t0 = performance.now();
  try {
    const results = await Promise.all(Array.from({ length: count }, (_, i) => pool.run(import.meta.url, "runInput", { file, program, input: input(i) })));
    const ms = performance.now() - t0;
    if (list) results.forEach((r, i) => console.log(`${i}: ${r.stdout.trimEnd().split("\n").pop()}`));
    const failed = results.filter((r) => r.status !== 0).length;
    console.log(`${results.length} results (${failed} with a non-zero status) from ${workers} workers: ${((count / ms) * 1000).toFixed(1)} runs/s`);
  } finally {
    await pool.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// (workers import this module too, for runInput: only the main thread runs main)
if (isMainThread && process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
