// Instruction-level differential tests: tests/isa/gen.ts writes one i386 assembly program per
// instruction group; each is built with `gcc -m32 -static -nostdlib -no-pie`, run natively (the
// host CPU is the oracle; on a host without i386, the program's x86-64 twin where its cases run
// the same in 64-bit mode (isa/host64.ts), otherwise exojit's interpreter: helpers/oracle.ts)
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
import { programText64, x86_64Parts } from "./isa/host64.js";

const ENGINES = ["interp", "jit"] as const;
/** At most two guest processes at a time: the machines running this have two cores. */
const slot = limiter(2);
const OUT_DIR = path.join(BUILD_DIR, "isa");
const CC = ["gcc", "-m32", "-static", "-nostdlib", "-no-pie"];
const CC64 = ["gcc", "-static", "-nostdlib", "-no-pie"];

const BASE: Program[] = [...programs(), ...simdIntPrograms(), ...simdFpPrograms()];
/** Each program's i386 source, and on a host without i386 its x86-64 twin's (null: none;
 *  isa/host64.ts), each made once. */
const texts = new Map<string, string>();
const texts64 = new Map<string, string | null>();
function addTexts(ps: Program[]): void {
  for (const p of ps) {
    const text = programText(p);
    texts.set(p.name, text);
    if (i386Host() !== "native") texts64.set(p.name, programText64(p, text));
  }
}
addTexts(BASE);
/** With, on a host without i386, the x86-64-compatible cases of i386-only programs as programs
 *  of their own. */
const PARTS = i386Host() === "native" ? [] : x86_64Parts(BASE.filter((p) => texts64.get(p.name) === null));
addTexts(PARTS);
const PROGRAMS: Program[] = [...BASE, ...PARTS];
const bins = new Map<string, string>();

/** Writes and builds a program unless the same source was built before. */
function build(p: Program): string {
  return buildText(texts.get(p.name) as string, CC, path.join(OUT_DIR, p.name));
}

/** The x86-64 twin of `p` (isa/host64.ts), or null, with its data and bss where they are in
 *  `bin`, p's i386 build: the cases print addresses (ESP, registers set to a symbol's), which
 *  must be equal. */
function buildTwin(p: Program, bin: string): string | null {
  const text = texts64.get(p.name) ?? null;
  if (text === null) return null;
  const at = sectionAddresses(bin);
  const cc = [...CC64, `-Wl,--section-start=.data=0x${at[".data"]},--section-start=.bss=0x${at[".bss"]}`];
  return buildText(text, cc, path.join(OUT_DIR, "host64", p.name));
}

/** Addresses (hex) of an ELF file's sections by name, as readelf shows them. */
function sectionAddresses(bin: string): Record<string, string> {
  const r = spawnSync("readelf", ["-SW", bin], { encoding: "utf8" });
  if (r.error || r.status !== 0) throw new Error(`readelf -SW ${bin} failed: ${r.error?.message ?? r.stderr}`);
  const out: Record<string, string> = {};
  for (const m of r.stdout.matchAll(/\]\s+(\.\S+)\s+\S+\s+([0-9a-f]+)\s/g)) out[m[1]] = m[2];
  if (out[".data"] === undefined || out[".bss"] === undefined) throw new Error(`${bin}: no .data or .bss in readelf's listing`);
  return out;
}

function buildText(text: string, cc: string[], bin: string): string {
  const digest = createHash("sha256").update(JSON.stringify(cc)).update(text).digest("hex");
  const src = `${bin}.S`, stamp = `${bin}.stamp`;
  if (fs.existsSync(bin) && fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === digest) return bin;
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  fs.writeFileSync(src, text);
  const tmp = `${bin}.tmp-${process.pid}`;
  const r = spawnSync(cc[0], [...cc.slice(1), "-o", tmp, src], { encoding: "utf8" });
  if (r.error || r.status !== 0) throw new Error(`building ${src} failed:\n${r.error?.message ?? r.stderr}`);
  fs.renameSync(tmp, bin);
  fs.writeFileSync(stamp, digest);
  return bin;
}

/** On a host without i386: the x86-64 twins built. */
const twins = new Map<string, string>();

const nativeRuns = new Map<string, Promise<RunResult>>();
function native(p: Program): Promise<RunResult> {
  let r = nativeRuns.get(p.name);
  if (r === undefined) {
    const twin = twins.get(p.name);
    r = slot(() => (twin !== undefined ? runNativeAsync(twin, [], { asIs: true }) : runNativeAsync(bins.get(p.name) as string, [])));
    nativeRuns.set(p.name, r);
  }
  return r;
}

beforeAll(() => {
  ensureToolchain();
  fs.mkdirSync(OUT_DIR, { recursive: true });
  for (const p of PROGRAMS) {
    const bin = build(p);
    bins.set(p.name, bin);
    if (i386Host() === "native") continue;
    const twin = buildTwin(p, bin);
    if (twin !== null) twins.set(p.name, twin);
    else markI386Only(bin);
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
  // (on a host without i386, a program with no x86-64 twin has the interpreter for its
  // reference: helpers/oracle.ts)
  for (const engine of ["jit", "interp"] as const) {
    for (const p of bySize.filter((q) => (q.engines ?? ENGINES).includes(engine) && (engine === "jit" || i386Host() === "native" || texts64.get(q.name) !== null))) {
      it.concurrent(`${p.name} --engine ${engine}`, async () => {
        const n = await native(p);
        const e = await slot(() => runExojitAsync(bins.get(p.name) as string, [], { engine }));
        expectSameRun(n, e, `${p.name} --engine ${engine}`);
      }, 240_000);
    }
  }
});
