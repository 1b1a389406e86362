// What hooks cost compiled code: a 4-instruction loop (add eax, 1; add edx, eax; dec ecx; jnz)
// run for 100M instructions under the jit engine with no hook, with a block hook on the loop
// (one call per iteration), with an instruction hook on the whole loop (one call per
// instruction), and with a memory hook on a page the loop never touches (it must cost nothing).
// Prints guest instructions per second for each.
// Usage (after `npm run build`): node perf/embed-hooks.mjs [instructions, default 100000000]

import { createMachine } from "exojit";

const TOTAL = Number(process.argv[2] ?? 100_000_000);
const ITER = Math.floor(TOTAL / 4);
const CODE = 0x1000;

function variant(name, addHook) {
  const m = createMachine({ memory: 16 << 20, engine: "jit" });
  // mov ecx, ITER; L: add eax, 1; add edx, eax; dec ecx; jnz L; int3
  m.loadCode(CODE, [0xb9, ITER & 255, (ITER >> 8) & 255, (ITER >> 16) & 255, ITER >>> 24, 0x83, 0xc0, 0x01, 0x01, 0xc2, 0x49, 0x75, 0xf8, 0xcc]);
  let calls = 0;
  addHook(m, () => void calls++);
  // best of three runs (the first includes compiling the loop)
  let s = Infinity, x;
  for (let k = 0; k < 3; k++) {
    m.regs.eip = CODE;
    m.regs.eax = 0;
    calls = 0;
    const t0 = performance.now();
    x = m.run();
    s = Math.min(s, (performance.now() - t0) / 1000);
    if (x.reason !== "breakpoint" || m.regs.eax !== ITER) throw new Error(`${name}: ${JSON.stringify(x)} eax=${m.regs.eax}`);
  }
  const rate = x.insns / s;
  console.log(`${name.padEnd(36)} ${(rate / 1e6).toFixed(1).padStart(8)} M insns/s  ${s.toFixed(2).padStart(6)} s  hook calls ${calls}`);
  return rate;
}

console.log(`${TOTAL / 1e6}M instructions, jit engine, node ${process.version}`);
const base = variant("no hook", () => {});
variant("memory hook on another page", (m, f) => {
  m.map(0x100000, 0x1000, "rw");
  m.hookMemory(f, { kind: ["read", "write"], begin: 0x100000, end: 0x100fff });
});
variant("block hook on another page", (m, f) => m.hookBlock(f, { begin: 0x200000, end: 0x200fff }));
const block = variant("block hook (every block)", (m, f) => m.hookBlock(f));
const code = variant("code hook (every instruction)", (m, f) => m.hookCode(f));
console.log(`block hook: ${(base / block).toFixed(1)}x slower; code hook: ${(base / code).toFixed(1)}x slower`);
