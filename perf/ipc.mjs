#!/usr/bin/env node
// IPC round trips under exojit: an exokernel fast call (libos_fast_call, a direct switch to the
// receiver and back) against a round trip through two pipes and a futex handoff in shared
// memory, each between two processes (perf/ipc/roundtrip.c). Pipes and futexes are also timed
// natively for scale (fast calls exist only under exojit). One run per way: ratios, not a
// pass/fail timing. Usage: node perf/ipc.mjs [N] [--engine jit|interp|auto]

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, "..");
const CLI = path.join(REPO, "dist", "cli", "main.cjs");
const BUILD = path.join(HERE, ".build");
const args = process.argv.slice(2);
const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 20000);
const engineAt = args.indexOf("--engine");
const engine = engineAt >= 0 ? args[engineAt + 1] : "auto";

fs.mkdirSync(BUILD, { recursive: true });
const bin = path.join(BUILD, "roundtrip");
const cc = spawnSync("gcc", ["-m32", "-static", "-O2", "-o", bin, path.join(HERE, "ipc", "roundtrip.c")], { encoding: "utf8" });
if (cc.status !== 0) throw new Error(`building roundtrip.c failed:\n${cc.stderr}`);

function run(cmd, argv) {
  const r = spawnSync(cmd, argv, { encoding: "utf8", timeout: 600_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(" ")} failed (${r.status}):\n${r.stderr}`);
  const [, , ns] = r.stdout.trim().split(" ");
  return Number(ns);
}

const rows = [];
for (const how of ["fastcall", "pipe", "futex"]) {
  const emu = run(process.execPath, [CLI, "run", "--engine", engine, bin, how, String(n)]);
  const native = how === "fastcall" ? null : run(bin, [how, String(n)]);
  rows.push({ how, emu, native });
}
const fast = rows[0].emu;
console.log(`round trips between two processes, ${n} each, exojit --engine ${engine}`);
console.log("way        exojit ns/trip   vs fast call   native ns/trip");
for (const r of rows) {
  console.log(`${r.how.padEnd(10)} ${String(r.emu).padStart(14)}   ${(r.emu / fast).toFixed(2).padStart(10)}x   ${r.native === null ? "-".padStart(14) : String(r.native).padStart(14)}`);
}
