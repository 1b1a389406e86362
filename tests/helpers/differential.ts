// A differential suite of guest C programs: each is built once, run natively once (the host
// kernel is the oracle; oracle.ts for hosts without an i386 CPU) and under exojit with every
// engine, each run in a fresh working directory when the suite asks for one; stdout, stderr and
// the exit status must match byte for byte. Two guests run at a time (two cores; a guest may
// itself run several processes). The test files of processes, IPC, the file-system name space,
// timers and the terminal are such suites, plus tests of their own.

import { afterAll, beforeAll, describe, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildGuest, engineCompared, ensureToolchain, expectSameRun, limiter, runExojitAsync, runNativeAsync, type RunResult } from "./guest.js";

export const ENGINES = ["auto", "interp", "jit"] as const;
export type Engine = (typeof ENGINES)[number];

export interface DiffCase {
  /** The test's title under each engine. */
  name: string;
  /** Source in tests/guest. */
  src: string;
  flags?: string[];
  args?: string[];
}

export interface DiffOptions<C extends DiffCase> {
  cases: readonly C[];
  /** describe() title of the native runs (the oracle's own test). */
  oracleTitle: string;
  /** Checks a native run is one to compare with (it exits 0, prints its report...). */
  checkNative(c: C, r: RunResult): void;
  /** Title of a case's native test (default "SRC exits 0 and prints its report"). */
  oracleTest?(c: C): string;
  /** Prefix of each run's fresh working directory (none: runs share the test's). */
  tmpPrefix?: string;
  /** Arguments of a case (default its `args`), once `setup` ran. */
  args?(c: C): string[];
  /** Runs before the cases are built (helpers their arguments name). */
  setup?(): void;
  /** Compares a case's runs (default: byte for byte). */
  compare?(c: C, native: RunResult, emu: RunResult, engine: Engine): void;
  nativeTimeoutMs?: number;
  exojitTimeoutMs?: number;
  oracleTestTimeoutMs?: number;
  testTimeoutMs?: number;
}

export interface DiffSuite<C extends DiffCase> {
  /** The case's binary (after the suite's beforeAll). */
  bin(c: C): string;
  /** The case's native run (made once). */
  native(c: C): Promise<RunResult>;
  /** A fresh working directory, removed after the file's tests. */
  freshDir(): string;
}

/** Declares the suite's hooks and tests (call at the top level of a test file). */
export function differentialSuite<C extends DiffCase>(o: DiffOptions<C>): DiffSuite<C> {
  const slot = limiter(2);
  const bins = new Map<C, string>();
  const natives = new Map<C, Promise<RunResult>>();
  const dirs: string[] = [];
  const freshDir = (): string => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), o.tmpPrefix ?? "exojit-diff-"));
    dirs.push(d);
    return d;
  };
  const cwd = (): string | undefined => (o.tmpPrefix === undefined ? undefined : freshDir());
  const args = (c: C): string[] => (o.args ? o.args(c) : (c.args ?? []));
  const bin = (c: C): string => bins.get(c) as string;
  const native = (c: C): Promise<RunResult> => {
    let p = natives.get(c);
    if (p === undefined) {
      p = slot(() => runNativeAsync(bin(c), args(c), { cwd: cwd(), timeoutMs: o.nativeTimeoutMs ?? 30_000 }));
      natives.set(c, p);
    }
    return p;
  };

  beforeAll(() => {
    ensureToolchain();
    o.setup?.();
    for (const c of o.cases) bins.set(c, buildGuest(c.src, { flags: c.flags }));
  }, 120_000);

  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  describe(o.oracleTitle, () => {
    for (const c of o.cases) {
      it.concurrent(o.oracleTest ? o.oracleTest(c) : `${c.src} exits 0 and prints its report`, async () => {
        o.checkNative(c, await native(c));
      }, o.oracleTestTimeoutMs ?? 120_000);
    }
  });

  for (const engine of ENGINES) {
    describe(`exojit --engine ${engine} matches the native run`, () => {
      for (const c of o.cases) {
        // (an i386-only program on a host without an i386 CPU: the interpreter is the reference)
        if (!engineCompared(engine, c.src)) continue;
        it.concurrent(c.name, async () => {
          const n = await native(c);
          const e = await slot(() => runExojitAsync(bin(c), args(c), { engine, cwd: cwd(), timeoutMs: o.exojitTimeoutMs ?? 120_000 }));
          if (o.compare) o.compare(c, n, e, engine);
          else expectSameRun(n, e, `${c.src} --engine ${engine}`);
        }, o.testTimeoutMs ?? 300_000);
      }
    });
  }

  return { bin, native, freshDir };
}
