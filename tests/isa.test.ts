// Instruction-level differential tests: tests/isa/gen.ts writes one i386 assembly program per
// instruction group; each is built with `gcc -m32 -static -nostdlib -no-pie`, run natively (the
// host CPU is the oracle; on a host without an i386 CPU, exojit's interpreter: helpers/oracle.ts)
// and under `exojit run --engine interp` and `--engine jit`, and the outputs must be identical
// byte for byte. Every output line names its case (instruction, size, form and inputs) and
// holds the registers, EFLAGS already masked to the flags the Intel SDM defines for that case,
// and the memory the case touched, so a difference reads as a repro.
// The `faults*` and `segment-limits` programs record, through a SA_SIGINFO handler, the signal,
// si_code, si_addr, faulting EIP and register state of every fault; `opcode-sweep` runs every
// opcode and only demands that exojit survives it as the CPU does. The simd-* programs
// (isa/simd.ts, isa/simdfp.ts) also print the XMM/MMX registers and MXCSR each case used. To look
// at one program by hand: tests/.build/isa/<name>.S is its source and <name> the binary.
//
// Needs dist/ (`npx tsc -p .`) and gcc-multilib.

import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { BUILD_DIR, ensureToolchain, expectSameRun, limiter, markI386Only, runExojitAsync, runNativeAsync, type RunResult } from "./helpers/guest.js";
import { i386Host } from "./helpers/oracle.js";
import { programs, programText, type Program } from "./isa/gen.js";
import { simdIntPrograms } from "./isa/simd.js";
import { simdFpPrograms } from "./isa/simdfp.js";

const ENGINES = ["interp", "jit"] as const;
/** At most two guest processes at a time: the machines running this have two cores. */
const slot = limiter(2);
const OUT_DIR = path.join(BUILD_DIR, "isa");
const CC = ["gcc", "-m32", "-static", "-nostdlib", "-no-pie"];

const PROGRAMS: Program[] = [...programs(), ...simdIntPrograms(), ...simdFpPrograms()];
const bins = new Map<string, string>();

/** Writes and builds a program unless the same source was built before. */
function build(p: Program): string {
  const text = programText(p);
  const digest = createHash("sha256").update(JSON.stringify(CC)).update(text).digest("hex");
  const src = path.join(OUT_DIR, `${p.name}.S`), bin = path.join(OUT_DIR, p.name), stamp = `${bin}.stamp`;
  if (fs.existsSync(bin) && fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === digest) return bin;
  fs.writeFileSync(src, text);
  const tmp = `${bin}.tmp-${process.pid}`;
  const r = spawnSync(CC[0], [...CC.slice(1), "-o", tmp, src], { encoding: "utf8" });
  if (r.error || r.status !== 0) throw new Error(`building ${src} failed:\n${r.error?.message ?? r.stderr}`);
  fs.renameSync(tmp, bin);
  fs.writeFileSync(stamp, digest);
  return bin;
}

const nativeRuns = new Map<string, Promise<RunResult>>();
function native(p: Program): Promise<RunResult> {
  let r = nativeRuns.get(p.name);
  if (r === undefined) {
    r = slot(() => runNativeAsync(bins.get(p.name) as string, []));
    nativeRuns.set(p.name, r);
  }
  return r;
}

beforeAll(() => {
  ensureToolchain();
  fs.mkdirSync(OUT_DIR, { recursive: true });
  for (const p of PROGRAMS) {
    const bin = build(p);
    markI386Only(bin);
    bins.set(p.name, bin);
  }
}, 120_000);

describe("isa programs natively (the oracle itself)", () => {
  for (const p of PROGRAMS) {
    const lines = p.lines ?? p.cases.length;
    it.concurrent(`${p.name}: ${lines} line(s) (${p.cases.length || "no"} cases), exit 0`, async () => {
      const r = await native(p);
      expect(r.status, r.stderr.toString()).toBe(0);
      const out = r.stdout.toString("latin1").split("\n");
      expect(out.pop()).toBe("");
      expect(out.length).toBe(lines);
    });
  }
});

// One suite for both engines, so the two guest slots stay busy until the last run ends.
describe("isa: exojit matches the CPU", () => {
  // The slower JIT runs first, big programs first, so no long run starts last.
  const bySize = PROGRAMS.slice().sort((a, b) => (b.lines ?? b.cases.length * 4) - (a.lines ?? a.cases.length * 4));
  // (on a host without an i386 CPU the interpreter is the reference: helpers/oracle.ts)
  const engines = i386Host() === "native" ? (["jit", "interp"] as const) : (["jit"] as const);
  for (const engine of engines) {
    for (const p of bySize.filter((q) => (q.engines ?? ENGINES).includes(engine))) {
      it.concurrent(`${p.name} --engine ${engine}`, async () => {
        const n = await native(p);
        const e = await slot(() => runExojitAsync(bins.get(p.name) as string, [], { engine }));
        expectSameRun(n, e, `${p.name} --engine ${engine}`);
      }, 120_000);
    }
  }
});
