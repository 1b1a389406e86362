// The differential harness: builds our guest programs (tests/guest/*.c, *.S) as static i386
// binaries with the host's gcc, runs them natively and under `exojit run`, and compares the two
// runs byte for byte. The host CPU is the oracle (DESIGN.md, "Testing tiers"; oracle.ts for
// hosts that run no i386 programs): tests never hard-code what a guest prints, they only demand
// that exojit prints the same.
//
// Both runs get the same controlled environment and working directory, stdin from a buffer
// (never the terminal), and a death by signal N is reported as status 128+N, as a shell does.

import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { i386Host, i386Only, tellOracle } from "./oracle.js";

/** The repository root (this file is tests/helpers/guest.ts). */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const GUEST_DIR = path.join(REPO, "tests", "guest");
export const BUILD_DIR = path.join(REPO, "tests", ".build");
export const CLI = path.join(REPO, "dist", "cli", "main.cjs");

/** The compiler command every guest is built with (flags are appended). */
const CC = ["gcc", "-m32", "-static", "-O2"];
/** What to run when the i386 toolchain is missing (also the error message when we cannot). */
const INSTALL_CMD = "apt-get install -y gcc-multilib";

/** The environment both runs get unless a test overrides it. */
export const DEFAULT_ENV: Readonly<Record<string, string>> = { LANG: "C", PATH: "/usr/bin:/bin" };
const NATIVE_TIMEOUT_MS = 10_000;
const EXOJIT_TIMEOUT_MS = 180_000;
/** Output larger than this is a runaway guest, not a result. */
const MAX_OUTPUT = 64 << 20;

export interface RunResult {
  stdout: Buffer;
  stderr: Buffer;
  /** Exit status, or 128+N for a death by signal N. */
  status: number;
}

export interface RunOptions {
  /** Working directory of both runs (default: the repository root). */
  cwd?: string;
  /** The complete environment (default DEFAULT_ENV); nothing of the test runner's leaks in. */
  env?: Record<string, string>;
  /** Standard input (default: empty). */
  stdin?: Buffer | string;
  timeoutMs?: number;
  /** argv[0] of a native run of a program (its own or its host twin's), when not its path. */
  argv0?: string;
  /** Run the program itself, never a stand-in (oracle.ts): through binfmt_misc's emulator on a
   *  host without an i386 CPU. */
  asIs?: boolean;
}

export interface ExojitOptions extends RunOptions {
  engine?: "interp" | "jit" | "auto";
  /** `--root DIR`: the guest's file-system root (the binary path is then a guest path). */
  root?: string;
  /** More exojit options, placed before the program name. */
  extra?: string[];
}

// ---------------------------------------------------------------------------------------------
// Toolchain and builds

let toolchainOk = false;

/** Whether `gcc -m32 -static -O2` links a trivial program; the compiler's complaint otherwise. */
function probeToolchain(): string | null {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "exojit-cc-"));
  try {
    const src = path.join(dir, "t.c");
    fs.writeFileSync(src, "#include <stdio.h>\nint main(void) { puts(\"ok\"); return 0; }\n");
    const r = spawnSync(CC[0], [...CC.slice(1), "-o", path.join(dir, "t"), src], { encoding: "utf8" });
    if (r.error) return r.error.message;
    return r.status === 0 ? null : r.stderr || `gcc exited with status ${r.status}`;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function aptGet(args: string[]): boolean {
  const r = spawnSync("apt-get", args, { stdio: "ignore", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  return r.status === 0;
}

/**
 * Makes sure static i386 programs can be built. As root it installs gcc-multilib when needed;
 * otherwise it throws an Error whose message is the command to run. It never skips silently.
 */
export function ensureToolchain(): void {
  if (toolchainOk) return;
  if (probeToolchain() === null) {
    toolchainOk = true;
    return;
  }
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!isRoot) throw new Error(`sudo ${INSTALL_CMD}`);
  const install = INSTALL_CMD.split(" ").slice(1);
  if (!aptGet(install)) {
    aptGet(["update"]);
    aptGet(install);
  }
  const why = probeToolchain();
  if (why !== null) throw new Error(`${INSTALL_CMD}\n(installing did not help: ${why.trim()})`);
  toolchainOk = true;
}

/** Debian's static i386 busybox, the third-party program of the conformance tests. */
export const BUSYBOX = "/bin/busybox";
const BUSYBOX_INSTALL = "dpkg --add-architecture i386 && apt-get update && apt-get install -y busybox-static:i386";

/** Whether BUSYBOX is an i386 ELF executable. */
function busyboxIsI386(): boolean {
  try {
    const h = Buffer.alloc(20);
    const fd = fs.openSync(BUSYBOX, "r");
    fs.readSync(fd, h, 0, 20, 0);
    fs.closeSync(fd);
    return h.readUInt32BE(0) === 0x7f454c46 && h[4] === 1 && h.readUInt16LE(18) === 3;
  } catch {
    return false;
  }
}

/**
 * Makes sure the i386 busybox is installed: as root it installs it (retrying apt's index
 * download, which can catch a mirror mid-sync); otherwise it throws the command to run.
 */
export function ensureBusybox(): string {
  if (busyboxIsI386()) return BUSYBOX;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!isRoot) throw new Error(`busybox-static:i386 is needed: sudo sh -c '${BUSYBOX_INSTALL}'`);
  spawnSync("dpkg", ["--add-architecture", "i386"], { stdio: "ignore" });
  for (let k = 0; k < 3 && !busyboxIsI386(); k++) {
    aptGet(["update"]);
    aptGet(["install", "-y", "busybox-static:i386"]);
  }
  if (!busyboxIsI386()) throw new Error(`installing busybox-static:i386 failed; run: ${BUSYBOX_INSTALL}`);
  return BUSYBOX;
}

/** Headers shared by guest programs: a change to any of them rebuilds every guest. */
function sharedHeaders(): string[] {
  return fs.readdirSync(GUEST_DIR).filter((f) => f.endsWith(".h")).sort().map((f) => path.join(GUEST_DIR, f));
}

/** How a binary in tests/.build was made (for its host-architecture twin: oracle.ts). */
interface BuildSpec {
  src: string;
  flags: string[];
  libs: string[];
  dynamic: boolean;
}
const builtFrom = new Map<string, BuildSpec>();

/**
 * Builds tests/guest/<src> (C or assembler) with `gcc -m32 -static -O2` plus `flags` into
 * tests/.build/, unless a binary built from the same source, headers and flags is already there.
 * Returns the binary's absolute path. Safe when several test files build the same guest at once:
 * the binary is written under a temporary name and renamed into place.
 */
export function buildGuest(src: string, opts: { flags?: string[]; libs?: string[]; dynamic?: boolean } = {}): string {
  ensureToolchain();
  const spec: BuildSpec = { src, flags: opts.flags ?? [], libs: opts.libs ?? [], dynamic: opts.dynamic === true };
  const bin = compileGuest(spec, CC, BUILD_DIR);
  builtFrom.set(bin, spec);
  return bin;
}

/** The same program built for the host's own architecture (gcc without -m32), for hosts that
 *  cannot run the i386 build (oracle.ts). */
function hostTwin(spec: BuildSpec): string {
  // (in a folder of their own under the same name: the name is the process's comm, which
  // /proc shows)
  return compileGuest(spec, CC.filter((f) => f !== "-m32"), path.join(BUILD_DIR, "host"));
}

function compileGuest(spec: BuildSpec, baseCc: readonly string[], dir: string): string {
  const { src, flags, libs } = spec;
  /** A dynamically linked build drops -static (the host's glibc and its loader). */
  const cc = spec.dynamic ? baseCc.filter((f) => f !== "-static") : [...baseCc];
  /** Libraries go after the source, where a static link looks for what it still needs. */
  const srcPath = path.join(GUEST_DIR, src);
  if (!fs.existsSync(srcPath)) throw new Error(`no guest program ${srcPath}`);
  const h = createHash("sha256");
  h.update(JSON.stringify([cc, flags, libs]));
  for (const f of [srcPath, ...sharedHeaders()]) h.update(f).update(fs.readFileSync(f));
  const digest = h.digest("hex");

  const base = src.replace(/\.(c|S|s)$/, "").replace(/[\/\\]/g, "_");
  const extra = [...flags, ...libs, ...(spec.dynamic ? ["dynamic"] : [])];
  const name = extra.length === 0 ? base : `${base}-${createHash("sha256").update(extra.join("\0")).digest("hex").slice(0, 8)}`;
  fs.mkdirSync(dir, { recursive: true });
  const bin = path.join(dir, name);
  const stamp = `${bin}.stamp`;
  if (fs.existsSync(bin) && fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === digest) return bin;

  const tmp = `${bin}.tmp-${process.pid}`;
  const r = spawnSync(cc[0], [...cc.slice(1), ...flags, "-I", GUEST_DIR, "-o", tmp, srcPath, ...libs], { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`building ${src} failed:\n${cc.join(" ")} ${flags.join(" ")} ${srcPath} ${libs.join(" ")}\n${r.error?.message ?? r.stderr}`);
  }
  fs.renameSync(tmp, bin);
  fs.writeFileSync(stamp, digest);
  return bin;
}

/** Binaries the tests built themselves that only an i386 CPU can be the oracle of (isa.test.ts's
 *  instruction programs). */
const cpuPrograms = new Set<string>();
export function markI386Only(bin: string): void {
  cpuPrograms.add(bin);
}

/** Whether a run of tests/guest/`src` under `engine` is compared with the program's native run:
 *  not under the interpreter where the interpreter is that run (an i386-only program on a host
 *  without an i386 CPU: oracle.ts), which would compare it with itself. */
export function engineCompared(engine: string, src: string): boolean {
  return engine !== "interp" || i386Host() === "native" || !i386Only(path.join(GUEST_DIR, src));
}

/** Whether `bin` (a path as buildGuest returned it) is compared with exojit's interpreter on
 *  this host rather than run natively (oracle.ts). */
export function referenceIsInterp(bin: string): boolean {
  if (i386Host() === "native") return false;
  const spec = builtFrom.get(bin);
  return cpuPrograms.has(bin) || (spec !== undefined && i386Only(path.join(GUEST_DIR, spec.src)));
}

// ---------------------------------------------------------------------------------------------
// Running

function signalNumber(name: NodeJS.Signals): number {
  const n = os.constants.signals[name];
  if (n === undefined) throw new Error(`unknown signal ${name}`);
  return n;
}

function toResult(what: string, r: SpawnSyncReturns<Buffer>, timeoutMs: number): RunResult {
  const code = (r.error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ETIMEDOUT") throw new Error(`${what}: timed out after ${timeoutMs} ms\nstdout so far:\n${tail(r.stdout)}\nstderr so far:\n${tail(r.stderr)}`);
  if (r.error) throw new Error(`${what}: ${r.error.message}`);
  const status = r.signal !== null ? 128 + signalNumber(r.signal) : (r.status ?? -1);
  return { stdout: r.stdout, stderr: r.stderr, status };
}

function tail(b: Buffer | null): string {
  if (b === null) return "";
  const s = b.toString("latin1");
  return s.length > 2000 ? `...${s.slice(-2000)}` : s;
}

/** What runs as the native run of `bin`: itself, or on a host without an i386 CPU its host
 *  twin (a program of ours with a portable source) or, for an i386-only program, exojit's
 *  interpreter (oracle.ts). Binaries that are not ours (Debian's, busybox) run as they are. */
function nativeCommand(bin: string, args: string[], asIs = false): Command {
  if (asIs || i386Host() === "native") return [bin, args];
  tellOracle();
  if (referenceIsInterp(bin)) return exojitCommand(bin, args, { engine: "interp" });
  const spec = builtFrom.get(bin);
  // (the twin runs as itself, argv[0] included: programs exec argv[0] to start a copy)
  return [spec === undefined ? bin : hostTwin(spec), args];
}

type Command = [string, string[]];

function exojitCommand(bin: string, args: string[], opts: ExojitOptions): Command {
  if (!fs.existsSync(CLI)) throw new Error(`${path.relative(REPO, CLI)} is missing: run \`npx tsc -p .\` (npm test does it first)`);
  const argv = [CLI, "run"];
  if (opts.root !== undefined) argv.push("--root", opts.root);
  if (opts.engine !== undefined) argv.push("--engine", opts.engine);
  argv.push(...(opts.extra ?? []), bin, ...args);
  return [process.execPath, argv];
}

function spawnOptions(opts: RunOptions, timeoutMs: number) {
  return {
    cwd: opts.cwd ?? REPO,
    env: opts.env ?? { ...DEFAULT_ENV },
    input: opts.stdin ?? "",
    argv0: opts.argv0,
    timeout: timeoutMs,
    killSignal: "SIGKILL" as const,
    maxBuffer: MAX_OUTPUT,
  };
}

/** A native run's time limit: an interpreted reference run gets exojit's. */
function nativeTimeout(bin: string, opts: RunOptions): number {
  const t = opts.timeoutMs ?? NATIVE_TIMEOUT_MS;
  return referenceIsInterp(bin) && opts.asIs !== true ? Math.max(t, EXOJIT_TIMEOUT_MS) : t;
}

/** Runs `bin` natively (see nativeCommand). */
export function runNative(bin: string, args: string[], opts: RunOptions = {}): RunResult {
  const t = nativeTimeout(bin, opts);
  const [cmd, argv] = nativeCommand(bin, args, opts.asIs);
  return toResult(`native ${path.basename(bin)}`, spawnSync(cmd, argv, spawnOptions(opts, t)), t);
}

/** Runs `bin` under `node dist/cli/main.cjs run`. */
export function runExojit(bin: string, args: string[], opts: ExojitOptions = {}): RunResult {
  const t = opts.timeoutMs ?? EXOJIT_TIMEOUT_MS;
  const [cmd, argv] = exojitCommand(bin, args, opts);
  return toResult(`exojit ${path.basename(bin)}`, spawnSync(cmd, argv, spawnOptions(opts, t)), t);
}

/** runNative without blocking the test worker (for concurrent tests). */
export function runNativeAsync(bin: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const t = nativeTimeout(bin, opts);
  return spawnAsync(`native ${path.basename(bin)}`, nativeCommand(bin, args, opts.asIs), opts, t);
}

/** runExojit without blocking the test worker (for concurrent tests). */
export function runExojitAsync(bin: string, args: string[], opts: ExojitOptions = {}): Promise<RunResult> {
  const t = opts.timeoutMs ?? EXOJIT_TIMEOUT_MS;
  return spawnAsync(`exojit ${path.basename(bin)}`, exojitCommand(bin, args, opts), opts, t);
}

function spawnAsync(what: string, [cmd, argv]: Command, opts: RunOptions, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const so = spawnOptions(opts, timeoutMs);
    const child = spawn(cmd, argv, { cwd: so.cwd, env: so.env, argv0: so.argv0, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let why: string | null = null;
    const kill = (reason: string): void => {
      if (why === null) why = reason;
      child.kill("SIGKILL");
    };
    const timer = setTimeout(() => kill(`timed out after ${timeoutMs} ms`), timeoutMs);
    const collect = (into: Buffer[]) => (b: Buffer): void => {
      into.push(b);
      size += b.length;
      if (size > MAX_OUTPUT) kill(`more than ${MAX_OUTPUT} bytes of output`);
    };
    child.stdout.on("data", collect(out));
    child.stderr.on("data", collect(err));
    // A guest that exits without reading its input closes the pipe under us: not an error.
    child.stdin.on("error", () => {});
    child.stdin.end(so.input);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`${what}: ${e.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out), stderr = Buffer.concat(err);
      if (why !== null) {
        reject(new Error(`${what}: ${why}\nstdout so far:\n${tail(stdout)}\nstderr so far:\n${tail(stderr)}`));
        return;
      }
      resolve({ stdout, stderr, status: signal !== null ? 128 + signalNumber(signal) : (code ?? -1) });
    });
  });
}

/** A counting semaphore: at most `n` of the functions passed to it run at once. */
export function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((res) => waiting.push(res));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Comparison

const CONTEXT_LINES = 3;
const SHOWN_LINES = 8;

/** Shows a line with control characters and non-ASCII bytes escaped. */
function visible(line: string): string {
  return JSON.stringify(line).slice(1, -1);
}

/**
 * Describes how two outputs differ: the first differing line with some context before it and
 * the next lines of each side, or "" when they are identical.
 */
export function describeDifference(name: string, expected: Buffer, actual: Buffer): string {
  if (expected.equals(actual)) return "";
  const a = expected.toString("latin1").split("\n");
  const b = actual.toString("latin1").split("\n");
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const out = [`${name} differs at line ${i + 1} (native ${expected.length} bytes, exojit ${actual.length} bytes):`];
  for (let k = Math.max(0, i - CONTEXT_LINES); k < i; k++) out.push(`    ${visible(a[k])}`);
  const side = (tag: string, lines: string[]): void => {
    const shown = lines.slice(i, i + SHOWN_LINES);
    if (shown.length === 0) out.push(`  ${tag} <end of output>`);
    for (const l of shown) out.push(`  ${tag} ${visible(l)}`);
    if (lines.length > i + SHOWN_LINES) out.push(`  ${tag} ... ${lines.length - i - SHOWN_LINES} more line(s)`);
  };
  side("- native:", a);
  side("+ exojit:", b);
  return out.join("\n");
}

/** Every difference between a native run and an exojit run, as readable text ("" if none). */
export function compareRuns(native: RunResult, emu: RunResult): string {
  const parts: string[] = [];
  if (native.status !== emu.status) parts.push(`exit status: native ${native.status}, exojit ${emu.status}`);
  const so = describeDifference("stdout", native.stdout, emu.stdout);
  if (so) parts.push(so);
  const se = describeDifference("stderr", native.stderr, emu.stderr);
  if (se) parts.push(se);
  return parts.join("\n\n");
}

/** Asserts that exojit's run matches the native one byte for byte, showing a diff if not. */
export function expectSameRun(native: RunResult, emu: RunResult, label = ""): void {
  const diff = compareRuns(native, emu);
  if (diff !== "") expect.fail(`${label ? `${label}: ` : ""}exojit's run differs from the native run\n${diff}`);
}
