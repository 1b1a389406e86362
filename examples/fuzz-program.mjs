// A snapshot fuzz loop over a whole Linux program: the program starts once, runs up to its first
// read of standard input and is snapshotted there (its start-up, its libraries, whatever it set
// up before reading: all in the snapshot); then each input is a restore and a run from that
// point. Inputs are mutations of a seed; the loop stops at the first crash (a death by signal).
// Usage (after `npm run build`): node examples/fuzz-program.mjs PROGRAM SEED-INPUT [ARGS...]
import { loadProgram } from "exojit";

const [program, seedInput, ...args] = process.argv.slice(2);
if (program === undefined || seedInput === undefined) {
  console.error("usage: node examples/fuzz-program.mjs PROGRAM SEED-INPUT [ARGS...]");
  process.exit(2);
}
const MAX_RUNS = 20_000;
let seed = 1;
/** xorshift32: the same runs every time. */
function random(n) {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
}

const p = loadProgram(program, { argv: [program, ...args], env: { LANG: "C" }, stdin: seedInput });
// read(0, ...) on i386: system call 3 with EBX 0.
const first = await p.run({ stopAt: (call) => call.nr === 3 && call.args[0] === 0 });
if (first.reason !== "syscall") {
  console.error(`${program} ended before reading its input (${first.reason})`);
  process.exit(1);
}
console.log(`snapshot before read(0) after ${first.insns} instructions`);
const start = p.snapshot();

const statuses = new Map();
const t0 = performance.now();
let found = null;
let runs = 0;
while (runs < MAX_RUNS && found === null) {
  const input = Buffer.from(seedInput);
  input[random(input.length)] = 0x61 + random(26); // a random lowercase letter somewhere
  p.restore(start, { stdin: input });
  const end = await p.run({ maxInsns: 50_000_000 });
  runs++;
  const status = end.reason === "exit" ? end.status : -1;
  statuses.set(status, (statuses.get(status) ?? 0) + 1);
  if (status >= 128) found = { input: input.toString(), status };
}
const perSec = Math.round(runs / ((performance.now() - t0) / 1000));
if (found !== null) console.log(`crash after ${runs} runs (${perSec} runs/s): input ${JSON.stringify(found.input)}, status ${found.status}`);
else console.log(`no crash in ${runs} runs (${perSec} runs/s)`);
console.log(`statuses: ${[...statuses.keys()].sort((a, b) => a - b).join(" ")}`);
start.release();
p.dispose();
