// A coverage-guided fuzz loop: a snippet of x86 code that crashes only for the input "FUZZ"
// (it compares the input byte by byte), run from a snapshot once per input; a block hook
// records which blocks each run reached, inputs that reach a new block join the corpus, and
// mutating those finds the crash in a few thousand runs instead of 2^32 guesses.
// Usage (after `npm run build`): node examples/fuzz.mjs [interp|jit|auto] [seed]
import { createMachine } from "exojit";

const engine = process.argv[2] ?? "jit";
let seed = Number(process.argv[3] ?? 1) >>> 0 || 1;
const CODE = 0x1000, INPUT = 0x3000;
// mov esi, INPUT; cmp byte [esi], 'F'; jne done; cmp byte [esi+1], 'U'; jne done;
// cmp byte [esi+2], 'Z'; jne done; cmp byte [esi+3], 'Z'; jne done; mov [0], eax; done: hlt
const TARGET = [
  0xbe, 0x00, 0x30, 0x00, 0x00, 0x80, 0x3e, 0x46, 0x75, 0x17, 0x80, 0x7e, 0x01, 0x55, 0x75, 0x11,
  0x80, 0x7e, 0x02, 0x5a, 0x75, 0x0b, 0x80, 0x7e, 0x03, 0x5a, 0x75, 0x05, 0xa3, 0x00, 0x00, 0x00,
  0x00, 0xf4,
];

/** xorshift32: the same runs for the same seed. */
function random(n) {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
}

const m = createMachine({ memory: 4 << 20, engine });
m.map(INPUT, 0x1000, "rw");
m.loadCode(CODE, TARGET);
const start = m.snapshot();

const seen = new Set();
let reached = new Set();
m.hookBlock((_m, address) => reached.add(address));

const corpus = [Uint8Array.of(0, 0, 0, 0)];
const t0 = performance.now();
for (let runs = 1; runs <= 200_000; runs++) {
  const input = corpus[random(corpus.length)].slice();
  input[random(input.length)] = random(256);
  m.restore(start);
  m.write(INPUT, input);
  reached = new Set();
  const exit = m.run({ budget: 1000 });
  const fresh = [...reached].filter((a) => !seen.has(a));
  for (const a of fresh) seen.add(a);
  if (fresh.length > 0) corpus.push(input);
  if (exit.reason === "fault") {
    const s = (performance.now() - t0) / 1000;
    console.log(`crash after ${runs} runs (${Math.round(runs / s)} runs/s): input ${JSON.stringify(Buffer.from(input).toString("latin1"))}, fault vector ${exit.vector} at address 0x${exit.address.toString(16)}`);
    console.log(`corpus ${corpus.length} inputs, ${seen.size} blocks covered`);
    process.exit(0);
  }
}
console.log("no crash found");
process.exit(1);
