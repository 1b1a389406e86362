// What hooks cost compiled code: a 4-instruction loop (add eax, 1; add edx, eax; dec ecx; jnz)
// run for 100M instructions under the jit engine with no hook, with a memory hook and a block
// hook on pages the loop never touches (they must cost nothing), with a block hook on the loop
// (one call per iteration) and with an instruction hook on it (one call per instruction); then
// a memory hook that sees every iteration's read (3-instruction loop, 1M iterations). Prints
// guest instructions per second and the time per hook call. Each variant runs in its own
// process (machines in one process share V8's compiled code for identical regions, which
// makes later ones faster or slower by accident).
// Usage (after `npm run build`): node perf/embed-hooks.mjs [instructions, default 100000000]

import { createMachine } from "exojit";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const TOTAL = Number(process.argv[2] ?? 100_000_000);
const CODE = 0x1000;

const VARIANTS = {
  "no hook": () => {},
  "memory hook on another page": (m, f) => {
    m.map(0x100000, 0x1000, "rw");
    m.hookMemory(f, { kind: ["read", "write"], begin: 0x100000, end: 0x100fff });
  },
  "block hook on another page": (m, f) => m.hookBlock(f, { begin: 0x200000, end: 0x200fff }),
  "block hook (every block)": (m, f) => m.hookBlock(f),
  "code hook (every instruction)": (m, f) => m.hookCode(f),
};

function loop(name) {
  const iter = Math.floor(TOTAL / 4);
  const m = createMachine({ memory: 16 << 20, engine: "jit" });
  // mov ecx, iter; L: add eax, 1; add edx, eax; dec ecx; jnz L; int3
  m.loadCode(CODE, [0xb9, iter & 255, (iter >> 8) & 255, (iter >> 16) & 255, iter >>> 24, 0x83, 0xc0, 0x01, 0x01, 0xc2, 0x49, 0x75, 0xf8, 0xcc]);
  let calls = 0;
  VARIANTS[name](m, () => void calls++);
  // best of several runs (the first includes compiling the loop; the machine is shared)
  let s = Infinity, x;
  for (let k = 0, spent = 0; k < 2 || (k < 7 && spent < 2); k++) {
    m.regs.eip = CODE;
    m.regs.eax = 0;
    calls = 0;
    const t0 = performance.now();
    x = m.run();
    const t = (performance.now() - t0) / 1000;
    s = Math.min(s, t);
    spent += t;
    if (x.reason !== "breakpoint" || m.regs.eax !== iter) throw new Error(`${name}: ${JSON.stringify(x)} eax=${m.regs.eax}`);
  }
  report(name, x.insns, s, calls);
}

function memoryLoop() {
  const n = 1_000_000;
  const m = createMachine({ memory: 16 << 20, engine: "jit" });
  m.map(0x100000, 0x1000, "rw");
  // mov ecx, n; L: mov ebx, [0x100000]; dec ecx; jnz L; int3
  m.loadCode(CODE, [0xb9, n & 255, (n >> 8) & 255, (n >> 16) & 255, 0, 0x8b, 0x1d, 0, 0, 0x10, 0, 0x49, 0x75, 0xf7, 0xcc]);
  let reads = 0;
  m.hookMemory(() => void reads++, { kind: "read", begin: 0x100000, end: 0x100003 });
  const t0 = performance.now();
  const x = m.run();
  const s = (performance.now() - t0) / 1000;
  if (x.reason !== "breakpoint" || reads !== n) throw new Error(`memory hook: ${JSON.stringify(x)} reads=${reads}`);
  report("memory read hook (every iteration)", x.insns, s, reads);
}

function report(name, insns, s, calls) {
  const per = calls > 0 ? `  ${((s / calls) * 1e9).toFixed(0).padStart(5)} ns/call` : "";
  console.log(`${name.padEnd(36)} ${(insns / s / 1e6).toFixed(1).padStart(8)} M insns/s  ${s.toFixed(3).padStart(7)} s  ${String(calls).padStart(10)} calls${per}`);
}

const one = process.env.EMBED_HOOKS_VARIANT;
if (one === "memory") memoryLoop();
else if (one !== undefined) loop(one);
else {
  console.log(`${TOTAL / 1e6}M instructions (memory hook: 3M), jit engine, node ${process.version}, one process per line`);
  const self = fileURLToPath(import.meta.url);
  for (const v of [...Object.keys(VARIANTS), "memory"]) {
    process.stdout.write(execFileSync(process.execPath, [self, String(TOTAL)], { env: { ...process.env, EMBED_HOOKS_VARIANT: v } }));
  }
}
