// The command line: help and version, and bad input — a missing program, a file that is not an
// i386 ELF executable, a truncated one, an x86-64 one, a directory, bad options — each a single
// "exojit: ..." line on stderr and the documented status, never a stack trace.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, REPO, buildGuest, ensureBusybox } from "./helpers/guest.js";
import { statCpuMs } from "../src/cli/threadcpu.js";

let dir = "";

function exojit(...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync("node", [CLI, ...args], { encoding: "utf8", cwd: dir, timeout: 30_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** One line starting with "exojit: " that contains `what`. */
function expectOneLine(stderr: string, what: RegExp): void {
  expect(stderr).toMatch(/^exojit: [^\n]*\n$/);
  expect(stderr).toMatch(what);
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "exojit-cli-"));
  fs.writeFileSync(path.join(dir, "text.txt"), "just some text\n");
  const elf = fs.readFileSync(buildGuest("hello.c"));
  fs.writeFileSync(path.join(dir, "truncated"), elf.subarray(0, 200));
  fs.writeFileSync(path.join(dir, "header-only"), elf.subarray(0, 52));
  fs.writeFileSync(path.join(dir, "empty"), "");
  fs.mkdirSync(path.join(dir, "adir"));
  // The header of an x86-64 executable (ELFCLASS64, EM_X86_64), as the host's own binaries have.
  const h64 = Buffer.alloc(64);
  h64.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  h64.writeUInt16LE(2, 16); // ET_EXEC
  h64.writeUInt16LE(62, 18); // EM_X86_64
  h64.writeUInt32LE(1, 20);
  h64.writeUInt16LE(64, 52); // e_ehsize
  fs.writeFileSync(path.join(dir, "x86-64"), h64);
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("exojit command line", () => {
  it("prints help and version", () => {
    const h = exojit("--help");
    expect(h.status).toBe(0);
    expect(h.stdout).toMatch(/Usage:\n\s+exojit boot \[IMAGE\][^\n]*\n[^\n]*\n\s+exojit run/);
    expect(h.stdout).toContain("--jit-threshold");
    const v = exojit("--version");
    expect(v.status).toBe(0);
    expect(v.stdout).toMatch(/^exojit \d+\.\d+\.\d+\n$/);
    // (the entry answers these before loading anything; the same words as the argument parser)
    for (const w of ["-V", "version"]) expect(exojit(w).stdout, w).toBe(v.stdout);
    expect(exojit("--help").stdout).toBe(h.stdout);
  });

  it("reports a missing program with status 127", () => {
    const r = exojit("run", "no-such-program");
    expect(r.status).toBe(127);
    expectOneLine(r.stderr, /no-such-program: no such file/);
  });

  it("refuses files that are not i386 executables with status 126", () => {
    const cases: [string, RegExp][] = [
      ["text.txt", /not an ELF file/],
      ["empty", /not an ELF file|truncated/],
      ["truncated", /truncated/],
      ["header-only", /truncated/],
      ["x86-64", /x86-64 guests are not supported yet/],
      ["adir", /is a directory/],
    ];
    for (const [file, why] of cases) {
      const r = exojit("run", file);
      expect(r.status, file).toBe(126);
      expectOneLine(r.stderr, why);
    }
  });

  it("rejects bad options with status 2", () => {
    for (const args of [["run", "--bogus", "x"], ["frob"], ["run"], ["run", "--engine", "fast", "x"], ["run", "--memory", "1K", "x"], ["run", "--jit-threshold", "0", "x"]]) {
      const r = exojit(...args);
      expect(r.status, args.join(" ")).toBe(2);
      expectOneLine(r.stderr, /see 'exojit --help'/);
    }
  });
});

describe("exojit run's file-system view", () => {
  it("lets the guest write below its working directory and in /tmp, and nowhere else without --rw", () => {
    const bb = ensureBusybox();
    const name = `exojit-cli-${process.pid}`;
    const script = `echo scratch > /tmp/${name} && cat /tmp/${name} && rm /tmp/${name}; echo here > ./${name} && cat ./${name} && rm ./${name}; echo x > /usr/${name} || echo refused`;
    // (the working directory: a fresh one outside /tmp, so only the rule for /tmp lets that write)
    fs.mkdirSync(path.join(REPO, "tests", ".build"), { recursive: true });
    const cwd = fs.mkdtempSync(path.join(REPO, "tests", ".build", "cwd-"));
    try {
      const r = spawnSync("node", [CLI, "run", bb, "sh", "-c", script], { encoding: "utf8", cwd, timeout: 60_000 });
      expect(r.stdout).toBe("scratch\nhere\nrefused\n");
      expect(r.stderr).toMatch(/Read-only file system/);
      expect(r.status).toBe(0);
      expect(fs.existsSync(`/tmp/${name}`) || fs.existsSync(`/usr/${name}`)).toBe(false);
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });
});

describe("exojit run --stats", () => {
  it("splits the run's time: compiled code, compiling, decoding, system calls, garbage collection, the rest", () => {
    const hello = buildGuest("hello.c");
    const r = spawnSync("node", [CLI, "run", "--stats", hello], { encoding: "utf8", cwd: dir, timeout: 30_000, env: { ...process.env, EXOJIT_CACHE: path.join(dir, "cache-stats") } });
    expect(r.status, r.stderr).toBe(0);
    const total = /guest instructions in ([\d.]+) ms/.exec(r.stderr);
    const m = /time: about (\d+) ms in compiled code \(sampled\), ([\d.]+) ms compiling, ([\d.]+) ms decoding, ([\d.]+) ms in system calls, ([\d.]+) ms collecting garbage, ([\d.]+) ms interpreting and the rest/.exec(r.stderr);
    expect(total, r.stderr).not.toBeNull();
    expect(m, r.stderr).not.toBeNull();
    const [jit, compiling, decoding, calls, gc, rest] = m!.slice(1).map(Number);
    // hello makes system calls (brk, write, exit_group...), each timed
    expect(calls).toBeGreaterThan(0);
    expect(gc).toBeGreaterThanOrEqual(0);
    expect(jit + compiling + decoding + calls + gc + rest).toBeLessThanOrEqual(Number(total![1]) + 1);
    expect(r.stderr).toMatch(/start-up [\d.]+ ms from process start to the first guest instruction, packed build\n/);
    // the main thread's share of the process's CPU time (Linux's /proc: this test runs there)
    const cpu = /process CPU time (\d+) ms \((\d+) ms on the main thread, the rest on V8's compiler and heap threads\)/.exec(r.stderr);
    expect(cpu, r.stderr).not.toBeNull();
    const [all, main] = cpu!.slice(1).map(Number);
    expect(main).toBeGreaterThan(0);
    // (/proc counts in 10 ms ticks)
    expect(main).toBeLessThanOrEqual(all + 10);
  });

  it("reads a thread's CPU time from a /proc stat line, whatever its command name holds", () => {
    const fields = (comm: string, utime: string, stime: string): string =>
      `4242 (${comm}) R 1 4242 4242 0 -1 4194560 1186 0 0 0 ${utime} ${stime} 0 0 20 0 11 0 123 1300000000 30000 18446744073709551615 1 1 0 0 0 0 0 16781312 134235650 0 0 0 17 1 0 0 0 0 0`;
    expect(statCpuMs(fields("node", "250", "17"))).toBe(2670);
    expect(statCpuMs(fields("a) b (c", "3", "0"))).toBe(30);
    expect(statCpuMs(fields("node", "x", "1"))).toBeNull();
    expect(statCpuMs("4242 node R 1")).toBeNull();
    expect(statCpuMs("4242 (node) R 1 2")).toBeNull();
  });

  it("says when it runs from the ES modules, and why: a copy of dist/ that did not keep the files' times", () => {
    // (the packed build is used only when it is at least as new as its loader: cp -r gives
    // every file a new time, in the order copied)
    const hello = buildGuest("hello.c");
    const copy = path.join(dir, "dist-copy");
    fs.cpSync(path.join(REPO, "dist"), copy, { recursive: true, preserveTimestamps: true });
    // (the ES modules find their packages from where they are)
    if (!fs.existsSync(path.join(dir, "node_modules"))) fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"));
    const later = new Date(fs.statSync(path.join(copy, "exojit-pack.cjs")).mtimeMs + 60_000);
    fs.utimesSync(path.join(copy, "cli", "packload.cjs"), later, later);
    const env = { ...process.env, EXOJIT_CACHE: path.join(dir, "cache-copy") };
    const r = spawnSync("node", [path.join(copy, "cli", "main.cjs"), "run", "--stats", hello], { encoding: "utf8", cwd: dir, timeout: 60_000, env });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe("hello, world\n");
    expect(r.stderr).toMatch(/first guest instruction, ES modules: dist\/exojit-pack.cjs is missing or older than dist\/cli\/packload.cjs/);
    const told = spawnSync("node", [CLI, "run", "--stats", hello], { encoding: "utf8", cwd: dir, timeout: 60_000, env: { ...env, EXOJIT_NO_PACK: "1" } });
    expect(told.status, told.stderr).toBe(0);
    expect(told.stderr).toMatch(/first guest instruction, ES modules \(EXOJIT_NO_PACK\)\n/);
  });
});

describe("exojit's cache directory", () => {
  it("keeps the decoder's learned forms: a second run of a program learns none and still runs it", () => {
    const cache = path.join(dir, "cache");
    const hello = buildGuest("hello.c");
    const run = (): { status: number; stdout: string; stderr: string } => {
      const r = spawnSync("node", [CLI, "run", "--stats", hello], { encoding: "utf8", cwd: dir, timeout: 30_000, env: { ...process.env, EXOJIT_CACHE: cache } });
      return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    };
    // (learned from iced, or taken from the build's seed)
    const learned = (stderr: string): number => {
      const m = /(\d+) forms learned \((\d+) more from the build's seed\)/.exec(stderr);
      return Number(m?.[1]) + Number(m?.[2]);
    };
    const first = run();
    expect(first.status).toBe(0);
    expect(learned(first.stderr)).toBeGreaterThan(50);
    expect(fs.readdirSync(path.join(cache, "code")).filter((f) => f.startsWith("forms-"))).toHaveLength(1);
    const second = run();
    expect(second.status).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(learned(second.stderr)).toBe(0);
  });

  it("decodes a first run's forms from the build's seed, without loading iced-x86, from the command line and embedded", () => {
    // (tools/formseed.mjs learns the forms of the firmware's programs, among others, at build
    // time; a run that loads iced loses V8's ArrayBufferDetaching protector: decoder/fast.ts)
    const echo = path.join(REPO, "firmware", "image", "root", "bin", "echo");
    const r = spawnSync("node", [CLI, "run", "--stats", echo, "seeded"], { encoding: "utf8", cwd: dir, timeout: 30_000, env: { ...process.env, EXOJIT_CACHE: path.join(dir, "cache-seed") } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe("seeded\n");
    const m = /(\d+) forms learned \((\d+) more from the build's seed\), (\d+) left to iced; iced-x86 (not loaded|loaded)/.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    expect(Number(m?.[1])).toBe(0);
    expect(Number(m?.[2])).toBeGreaterThan(20);
    expect(m?.[4]).toBe("not loaded");
    // embedded (the API keeps no forms cache: the seed alone)
    const script = `import { runProgram } from ${JSON.stringify(path.join(REPO, "dist", "index.js"))};
      import { icedLoaded } from ${JSON.stringify(path.join(REPO, "dist", "decoder", "iced.js"))};
      import { fastStats } from ${JSON.stringify(path.join(REPO, "dist", "decoder", "fast.js"))};
      const r = await runProgram(${JSON.stringify(echo)}, { argv: ["echo", "embedded"], stdin: "" });
      console.log(r.stdout.toString().trim(), icedLoaded(), fastStats.seeded > 20);`;
    const e = spawnSync("node", ["--input-type=module", "-e", script], { encoding: "utf8", cwd: dir, timeout: 30_000 });
    expect(e.stdout, e.stderr).toBe("embedded false true\n");
  });

  it("starts a program without loading Node's modules only --stats needs (perf_hooks: 2.5 ms of each start)", () => {
    const echo = path.join(REPO, "firmware", "image", "root", "bin", "echo");
    const probe = path.join(dir, "modules.cjs");
    fs.writeFileSync(probe, `process.on("exit", () => process.stderr.write("modules: " + process.moduleLoadList.join(",") + "\\n"));\n`);
    const loaded = (...opts: string[]): string[] => {
      const r = spawnSync("node", ["--require", probe, CLI, "run", ...opts, echo, "x"], { encoding: "utf8", cwd: dir, timeout: 30_000 });
      expect(r.status, r.stderr).toBe(0);
      return /modules: (.*)/.exec(r.stderr)?.[1].split(",") ?? [];
    };
    expect(loaded()).not.toContain("NativeModule perf_hooks");
    expect(loaded("--stats")).toContain("NativeModule perf_hooks");
  });

  it("keeps the pack's code caches of the two other builds that wrote theirs last, and deletes older ones", () => {
    const cache = path.join(dir, "cache-builds"), code = path.join(cache, "code");
    fs.mkdirSync(code, { recursive: true });
    const other = (k: number, tag = process.version): string => `pack-${k}a-${k}b-${tag}.v8`;
    const made = [1, 2, 3, 4].map((k) => other(k)).concat(other(5, `${process.version}-0badf1a9`));
    made.forEach((f, k) => {
      for (const name of [f, `${f}.kinds`]) {
        fs.writeFileSync(path.join(code, name), "run/auto\n");
        fs.utimesSync(path.join(code, name), 1000 * (k + 1), 1000 * (k + 1));
      }
    });
    const echo = path.join(REPO, "firmware", "image", "root", "bin", "echo");
    const r = spawnSync("node", [CLI, "run", echo, "x"], { encoding: "utf8", cwd: dir, timeout: 30_000, env: { ...process.env, EXOJIT_CACHE: cache } });
    expect(r.status, r.stderr).toBe(0);
    const packs = fs.readdirSync(code).filter((f) => f.startsWith("pack-")).sort();
    const mine = packs.filter((f) => !made.some((m) => f.startsWith(m)));
    expect(mine.map((f) => f.replace(/^pack-[0-9a-z]+-[0-9a-z]+-/, "pack-*-"))).toEqual([`pack-*-${process.version}.v8`, `pack-*-${process.version}.v8.kinds`]);
    // the two last written of the other builds with these flags, and the one with other flags
    expect(packs.filter((f) => !mine.includes(f))).toEqual([other(3), `${other(3)}.kinds`, other(4), `${other(4)}.kinds`, other(5, `${process.version}-0badf1a9`), `${other(5, `${process.version}-0badf1a9`)}.kinds`]);
  });

  it("keeps the pack's code caches of the three other Node versions or flag states used last, and marks a cache it uses as used", () => {
    const cache = path.join(dir, "cache-tags"), code = path.join(cache, "code");
    fs.mkdirSync(code, { recursive: true });
    const echo = path.join(REPO, "firmware", "image", "root", "bin", "echo");
    const run = (): void => {
      const r = spawnSync("node", [CLI, "run", echo, "x"], { encoding: "utf8", cwd: dir, timeout: 30_000, env: { ...process.env, EXOJIT_CACHE: cache } });
      expect(r.status, r.stderr).toBe(0);
    };
    run();
    const mine = fs.readdirSync(code).filter((f) => f.startsWith("pack-") && f.endsWith(".v8"));
    expect(mine).toHaveLength(1);
    // used again, its time is now (it was written once, at time 500 s)
    fs.utimesSync(path.join(code, mine[0]), 500, 500);
    run();
    expect(fs.statSync(path.join(code, mine[0])).mtimeMs).toBeGreaterThan(Date.now() - 600_000);
    // five other states' caches, used at times 1000..5000 s, two builds of the last; and this
    // state's cache gone, so that the next run writes one (pruning is done when one is written)
    const tags = ["v18.0.0", "v19.1.0", "v20.0.0-0badf1a9", "v21.2.0", "v22.3.0-12345678"];
    const made: string[] = [];
    tags.forEach((tag, k) => {
      for (const b of k === 4 ? [1, 2] : [1]) {
        const f = `pack-${b}a-${b}b-${tag}.v8`;
        made.push(f);
        for (const name of [f, `${f}.kinds`]) {
          fs.writeFileSync(path.join(code, name), "run/auto\n");
          fs.utimesSync(path.join(code, name), 1000 * (k + 1) + b, 1000 * (k + 1) + b);
        }
      }
    });
    fs.rmSync(path.join(code, mine[0]));
    run();
    const left = fs.readdirSync(code).filter((f) => made.includes(f)).sort();
    expect(left).toEqual(["pack-1a-1b-v20.0.0-0badf1a9.v8", "pack-1a-1b-v21.2.0.v8", "pack-1a-1b-v22.3.0-12345678.v8", "pack-2a-2b-v22.3.0-12345678.v8"]);
    expect(fs.readdirSync(code).filter((f) => f.endsWith(".kinds") && made.includes(f.slice(0, -6))).sort()).toEqual(left.map((f) => `${f}.kinds`));
  });

  it("runs from the ES modules as well when told not to use the packed build (EXOJIT_NO_PACK=1)", () => {
    const hello = buildGuest("hello.c");
    const env = { ...process.env, EXOJIT_NO_PACK: "1", EXOJIT_CACHE: path.join(dir, "cache-esm") };
    const r = spawnSync("node", [CLI, "run", hello], { encoding: "utf8", cwd: dir, timeout: 60_000, env });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe("hello, world\n");
    // (no code cache of the pack is made or read on that path)
    expect(fs.existsSync(path.join(dir, "cache-esm", "code")) ? fs.readdirSync(path.join(dir, "cache-esm", "code")).filter((f) => f.startsWith("pack-")) : []).toEqual([]);
    const bad = spawnSync("node", [CLI, "frob"], { encoding: "utf8", cwd: dir, timeout: 30_000, env });
    expect(bad.status).toBe(2);
    expectOneLine(bad.stderr, /unknown command 'frob'/);
  });

  it("keeps the regions a run compiled: the next run makes them from the saved code and V8's code cache of it, and damaged files are compiled afresh", () => {
    const cache = path.join(dir, "cache-jit");
    const hello = buildGuest("hello.c");
    const run = (args: string[] = [], nodeArgs: string[] = []): { stdout: string; saved: string } => {
      // (--no-wasm: V8's code caches are the JavaScript tier's; the wasm tier's regions are saved
      // as their blocks and modules, jit/saved.test.ts and simd-programs.test.ts)
      const r = spawnSync("node", [...nodeArgs, CLI, "run", "--stats", "--jit-threshold", "20", "--no-wasm", ...args, hello], { encoding: "utf8", cwd: dir, timeout: 30_000, env: { ...process.env, EXOJIT_CACHE: cache } });
      expect(r.status, r.stderr).toBe(0);
      const line = /saved code: (.*)/.exec(r.stderr);
      expect(line, r.stderr).not.toBeNull();
      return { stdout: r.stdout, saved: line![1] };
    };
    /** Regions restored, of them made from V8's code cache, whose cache V8 rejected; stale; saved. */
    const counts = (s: string): number[] => {
      const m = /^(\d+) regions made from code saved by earlier runs \((\d+) from V8's code cache, (\d+) whose cache V8 rejected\), (\d+) saved ones stale, (\d+) saved for later runs/.exec(s);
      expect(m, s).not.toBeNull();
      return m!.slice(1, 6).map(Number);
    };
    const first = run();
    expect(first.stdout).toBe("hello, world\n");
    const [restored1, , , , saved1] = counts(first.saved);
    expect(restored1).toBe(0);
    expect(saved1).toBeGreaterThan(0);
    const [dirName] = fs.readdirSync(path.join(cache, "jit"));
    const folder = path.join(cache, "jit", dirName);
    // One file of the run's regions and one of their code caches, and a line of the index for
    // each, in the shards of the index.
    const files = fs.readdirSync(folder).filter((f) => f.endsWith(".json"));
    expect(files).toHaveLength(1);
    expect(fs.readdirSync(folder).filter((f) => f.endsWith(".v8"))).toEqual([files[0].replace(/json$/, "v8")]);
    const shards = fs.readdirSync(folder).filter((f) => f.startsWith("index-"));
    expect(shards.length).toBeGreaterThan(0);
    expect(shards.flatMap((f) => fs.readFileSync(path.join(folder, f), "utf8").trim().split("\n"))).toHaveLength(saved1);
    // The next run makes every region it restores from its code cache.
    const second = run();
    expect(second.stdout).toBe(first.stdout);
    const [restored2, cached2, rejected2] = counts(second.saved);
    expect(restored2).toBeGreaterThan(0);
    expect([cached2, rejected2]).toEqual([restored2, 0]);
    expect(counts(second.saved)[4]).toBe(0);
    // Under other V8 flags (its flag hash is in a cache), V8 rejects them: the regions are
    // compiled from their source, and saved again with caches made under those flags. The next
    // run under the first flags rejects those, and saves its own, which the run after it reads.
    expect(counts(run([], ["--no-expose-wasm"]).saved)).toEqual([restored2, 0, restored2, 0, restored2]);
    expect(counts(run().saved)).toEqual([restored2, 0, restored2, 0, restored2]);
    expect(counts(run().saved)).toEqual([restored2, restored2, 0, 0, 0]);
    // A damaged code cache is never given to V8 (its checksum in the index): the regions are
    // compiled from their source, and saved again with a sound one.
    for (const f of fs.readdirSync(folder).filter((g) => g.endsWith(".v8"))) {
      const bytes = fs.readFileSync(path.join(folder, f));
      for (let k = 64; k < bytes.length; k += 97) bytes[k] ^= 0x5a;
      fs.writeFileSync(path.join(folder, f), bytes);
    }
    const damaged = run();
    expect(damaged.stdout).toBe(first.stdout);
    expect(counts(damaged.saved)).toEqual([restored2, 0, 0, 0, restored2]);
    expect(counts(run().saved)).toEqual([restored2, restored2, 0, 0, 0]);
    // What is saved damaged: JSON of another shape, and (the records moved) not JSON where the
    // index says a region is. Those regions are compiled again.
    for (const f of fs.readdirSync(folder).filter((g) => g.endsWith(".json"))) {
      const text = fs.readFileSync(path.join(folder, f), "utf8");
      fs.writeFileSync(path.join(folder, f), text.replace(/"source":"/g, '"source":1,"x":"'));
    }
    const third = run();
    expect(third.stdout).toBe(first.stdout);
    const [restored4, , , stale4, saved4] = counts(third.saved);
    expect(restored4).toBe(0);
    expect(stale4).toBeGreaterThan(0);
    expect(saved4).toBeGreaterThan(0);
    expect(run(["--no-jit-cache"]).saved).toBe("off");
  });

  it("has V8 optimise a region's second tier and never its first, and start region code in its baseline tier (jit/v8tuning.ts)", () => {
    // Two functions with the same hot loop, named as a region's first tier (q_) and as its
    // second (r_): after the tuning the command line applies, V8 optimises only the second.
    const script = path.join(dir, "tiers.cjs");
    fs.writeFileSync(script, `
      const { tuneV8ForGeneratedCode } = require(${JSON.stringify(path.join(REPO, "dist", "jit", "v8tuning.js"))});
      tuneV8ForGeneratedCode();
      const out = {};
      for (const name of ["q_cold", "r_hot"]) {
        const f = new Function("return function " + name + "(x) { let s = 0; for (let i = 0; i < x; i++) s = (s + i * 3) | 0; return s; }")();
        let sum = 0;
        for (let k = 0; k < 200000; k++) sum = (sum + f(50)) | 0;
        out[name] = (%GetOptimizationStatus(f) & 16) !== 0;
      }
      // A region function made under baselineNow has V8's baseline code from its first call on
      // (kBaseline, 1 << 15, of %GetOptimizationStatus); one made as usual starts interpreted.
      const { baselineNow } = require(${JSON.stringify(path.join(REPO, "dist", "jit", "v8tuning.js"))});
      const src = (k) => "return (function q_b" + k + "(a) { let s = 0; for (let i = 0; i < a; i++) s = (s + i) | 0; return s; });";
      const plain = new Function("I", "H", src(1))(0, 0), early = baselineNow(() => new Function("I", "H", src(2))(0, 0));
      plain(3);
      early(3);
      out.baseline = [(%GetOptimizationStatus(plain) & 32768) !== 0, (%GetOptimizationStatus(early) & 32768) !== 0];
      console.log(JSON.stringify(out));
    `);
    const r = spawnSync("node", ["--allow-natives-syntax", "--no-concurrent-recompilation", script], { encoding: "utf8", timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split("\n").pop() as string)).toEqual({ q_cold: false, r_hot: true, baseline: [false, true] });
  });

  it("has regions chain through a call V8 never speculates on, from the first region on (jit/chain.ts warm), and blocks list successors in one elements kind", () => {
    // A function standing for a region, which leaves through the chain table's leave() to the
    // region at the address it is given, is optimised (leave() inlined) while every chain has
    // gone to one region, then chains to another: it must stay optimised.
    const script = path.join(dir, "chaincall.cjs");
    fs.writeFileSync(script, `
      const { ChainTable, CHAIN_MIN_BUDGET } = require(${JSON.stringify(path.join(REPO, "dist", "jit", "chain.js"))});
      const { TLB_EPOCH } = require(${JSON.stringify(path.join(REPO, "dist", "hw", "cpu.js"))});
      const t = new ChainTable();
      const c = { exit: 0, flat: true, jitFrom: null, r: new Int32Array(16) };
      const region = (fn) => ({ fn, valid: true, chained: false, pages: new Int32Array(0), ep: TLB_EPOCH[0], work: 0, promoteAt: Infinity, promote() {} });
      const a = region(function a(c, n) { return n - 1; }), b = region(function b(c, n) { return n - 2; });
      function leaving(c, n, pc) { return t.leave(c, n, 0, pc, null, n); }
      t.set(0x1000, a, c);
      // (with the least budget that chains; sum counts what the regions took of it)
      const N = CHAIN_MIN_BUDGET;
      let sum = 0;
      %PrepareFunctionForOptimization(leaving);
      for (let k = 0; k < 1000; k++) sum += leaving(c, N, 0x1000) - N;
      %OptimizeFunctionOnNextCall(leaving);
      sum += leaving(c, N, 0x1000) - N;
      const before = (%GetOptimizationStatus(leaving) & 16) !== 0;
      t.set(0x2000, b, c);
      for (let k = 0; k < 10; k++) sum += leaving(c, N, 0x2000) - N;
      const after = (%GetOptimizationStatus(leaving) & 16) !== 0;
      // A block's successor list starts in the elements kind for objects, which it holds (the
      // engine's loop pushes onto it: a change of kind there deoptimised it).
      const { Block } = require(${JSON.stringify(path.join(REPO, "dist", "decoder", "block.js"))});
      const succObjects = %HasObjectElements(new Block(0x1000, 0x1000, []).succ);
      console.log(JSON.stringify({ before, after, sum, fn: a.fn.name, chained: t.count[0], succObjects }));
    `);
    const r = spawnSync("node", ["--allow-natives-syntax", "--no-concurrent-recompilation", script], { encoding: "utf8", timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    // (and what the warm-up changes for a moment is put back: the region's function, the count)
    expect(JSON.parse(r.stdout.trim().split("\n").pop() as string)).toEqual({ before: true, after: true, sum: -(1001 * 1 + 10 * 2), fn: "a", chained: 1011, succObjects: true });
  });

  it("keeps every module's exports of the packed build in V8's fast layout (tools/pack.mjs)", () => {
    // Loads each module of dist/exojit-pack.cjs as the loader does and asks V8 (natives syntax)
    // which exports objects went to a hash table: a re-export made so had every
    // `alu.add(...)` of the interpreter look its function up by name.
    const script = path.join(dir, "fastexports.cjs");
    fs.writeFileSync(script, `
      const fs = require("node:fs"), path = require("node:path"), vm = require("node:vm"), { createRequire } = require("node:module");
      const defs = new Map(), loaded = new Map();
      vm.runInThisContext(fs.readFileSync(${JSON.stringify(path.join(REPO, "dist", "exojit-pack.cjs"))}, "latin1"))((name, deps, fn) => defs.set(name, { deps, fn }));
      const load = (name) => {
        if (loaded.has(name)) return loaded.get(name).exports;
        const def = defs.get(name), module = { exports: {} }, file = ${JSON.stringify(path.join(REPO, "dist"))} + "/" + name;
        loaded.set(name, module);
        def.fn(module.exports, (spec) => (spec.startsWith(".") ? load(def.deps[spec]) : createRequire(file)(spec)), module, file, path.dirname(file), () => "file://" + file);
        return module.exports;
      };
      for (const name of defs.keys()) {
        try {
          load(name);
        } catch {
          // (a worker thread's entry point refuses to run on the main thread)
        }
      }
      console.log(JSON.stringify({ modules: loaded.size, slow: [...loaded].filter(([, m]) => !%HasFastProperties(m.exports)).map(([n]) => n) }));
    `);
    const r = spawnSync("node", ["--allow-natives-syntax", script], { encoding: "utf8", timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split("\n").pop() as string) as { modules: number; slow: string[] };
    expect(out.modules).toBeGreaterThan(200);
    expect(out.slow).toEqual([]);
  });

  it("keeps one code cache of the packed build for every engine: V8's flags are put back before it is saved, and a command of a new kind adds its functions", () => {
    const cache = path.join(dir, "cache-pack");
    const hello = buildGuest("hello.c");
    const code = path.join(cache, "code");
    // (a cache written again is a new file renamed into place: a new inode; its time is not a
    // sign of that, a run that uses a cache marks it used)
    const packs = (): { name: string; ino: number; size: number }[] =>
      fs.readdirSync(code).filter((f) => f.startsWith("pack-") && f.endsWith(".v8")).map((name) => {
        const st = fs.statSync(path.join(code, name));
        return { name, ino: st.ino, size: st.size };
      });
    const kinds = (): string[] => fs.readFileSync(path.join(code, `${packs()[0].name}.kinds`), "latin1").trim().split("\n");
    const exo = (...args: string[]): string => {
      const r = spawnSync("node", [CLI, ...args], { encoding: "utf8", cwd: dir, timeout: 30_000, env: { ...process.env, EXOJIT_CACHE: cache } });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
    const run = (...args: string[]): void => expect(exo("run", ...args, hello)).toBe("hello, world\n");
    // The help first: its cache holds little of what a run compiles, and the first run adds that.
    // A command's help is the help, and a run that stopped before its program ran (no such
    // program: status 127) did not compile what a run does, so neither counts as a run.
    exo("--help");
    const help = packs();
    expect(help, "the packed build's code cache (dist/exojit-pack.cjs is made by `npm run build`)").toHaveLength(1);
    expect(kinds()).toEqual(["help"]);
    exo("run", "--help");
    expect(spawnSync("node", [CLI, "run", path.join(dir, "no-such-program")], { cwd: dir, timeout: 30_000, env: { ...process.env, EXOJIT_CACHE: cache } }).status).toBe(127);
    expect(packs()).toEqual(help);
    expect(kinds()).toEqual(["help"]);
    run();
    const made = packs();
    expect(made.map((p) => p.name)).toEqual(help.map((p) => p.name));
    expect(made[0].size).toBeGreaterThan(help[0].size * 2);
    expect(kinds()).toEqual(["help", "run/auto"]);
    // A cache made under other flags than those at start would be rejected by the next run and
    // written again: after a run with each engine (each adding its kind once), it is not.
    run();
    expect(packs()).toEqual(made);
    run("--engine", "interp");
    run("--engine", "jit");
    expect(kinds()).toEqual(["help", "run/auto", "run/interp", "run/jit"]);
    const all = packs();
    run("--engine", "interp");
    run("--engine", "jit");
    run();
    expect(packs()).toEqual(all);
  });
});
