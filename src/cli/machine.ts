// What `exojit run` and `exojit boot` share: the exokernel and the POSIX system over it, built
// from the engine and machine options; host signals passed on to the guest; the run loop until
// a given process ends (or the instruction limit); and the statistics of --stats.

import * as os from "node:os";
import { createRequire } from "node:module";

import type { MachineArgs } from "./args.js";
import { Exokernel } from "../exokernel/kernel.js";
import { RunLoop } from "../exokernel/runloop.js";
import { System } from "../libexoc/system.js";
import type { Process } from "../libexoc/process.js";
import { Console } from "../exokernel/console.js";
import { HostConsole } from "./console.js";
import { LinuxPersonality } from "../posix/linux.js";
import { SYSCALLS } from "../posix/table.js";
import { configureLog, parseTraceList } from "../log.js";
import { tuneV8ForGeneratedCode, releaseOptimization } from "../jit/v8tuning.js";
import { WARMUP_INSNS, sampleWeight, type EngineStats } from "../jit/engine.js";
import { handlerCallCounts } from "../jit/handlercalls.js";
import { fastStats } from "../decoder/fast.js";
import { icedLoaded } from "../decoder/iced.js";
import { loadForms, saveForms } from "./formcache.js";
import { DiskRegionStore, jitCacheDir, packStamp } from "./jitcache.js";
import { mainThreadCpuMs } from "./threadcpu.js";
import { hostNowMs } from "../hw/devices/hosttime.js";

/** When V8's optimising compiler is let loose (launch.ts holds it back at start-up): after this
 *  many guest instructions or this much time running the guest, whichever comes first. */
const OPTIMIZE_AFTER_INSNS = 4_000_000;
const OPTIMIZE_AFTER_MS = 100;

/** Host signals exojit passes on to the guest's foreground process group, as a terminal would
 *  (qemu-user forwards the same ones). */
const FORWARDED: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH", "SIGCONT", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGALRM"];
/** With a console of its own the guest's terminal signals come from its line discipline, and
 *  window changes through the console: exojit's job-control and window signals stay exojit's. */
const FORWARDED_TO_CONSOLE: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM"];

export interface Machine {
  kernel: Exokernel;
  personality: LinuxPersonality;
  sys: System;
  /** Time in system calls, with --stats (callClock; absent for machines made elsewhere). */
  calls?: { ms: number } | null;
  /** Saved translations (null: not used). */
  jitCache?: DiskRegionStore | null;
}

export function newMachine(a: MachineArgs): Machine {
  configureLog({ categories: a.trace ? parseTraceList(a.trace) : [], file: a.logFile ?? undefined });
  if (a.engine !== "interp") tuneV8ForGeneratedCode();
  loadForms();
  const dir = a.jitCache && a.engine !== "interp" ? jitCacheDir() : null;
  const jitCache = dir === null ? null : new DiskRegionStore(dir);
  const kernel = new Exokernel({ memory: a.memory, engine: { engine: a.engine, threshold: a.jitThreshold || undefined, timing: a.stats, store: jitCache, wasm: a.wasm } });
  const personality = new LinuxPersonality();
  const calls = a.stats ? callClock(personality) : null;
  const sys = new System({ kernel, personality });
  return { kernel, personality, sys, calls, jitCache };
}

/** Times the personality's system calls for --stats, sampled as the engine samples region
 *  entries (jit/engine.ts sampleWeight): two clock reads cost a tenth of a cheap call such as
 *  getpid, and the perf suite runs everything with --stats. */
function callClock(p: LinuxPersonality): { ms: number } {
  const clock = { ms: 0 };
  const call = p.syscall.bind(p);
  let seen = 0;
  p.syscall = (t) => {
    const weight = sampleWeight(++seen);
    if (weight === 0) return call(t);
    const t0 = hostNowMs();
    try {
      call(t);
    } finally {
      clock.ms += (hostNowMs() - t0) * weight;
    }
  };
  return clock;
}

/** The guest's console and its line on the host (exojit's stdin and stdout). */
export interface ConsoleLink {
  host: HostConsole;
  /** Set when the user quit from the console (C-a x). */
  quit: boolean;
}

/** Attaches a console (a UART model, as a console capability, under the system's terminal
 *  driver) whose line is exojit's stdin and stdout. */
export function attachHostConsole(m: Machine): ConsoleLink {
  const link: ConsoleLink = {
    quit: false,
    host: new HostConsole({
      onQuit: () => {
        link.quit = true;
        m.kernel.onRunnable?.();
      },
      onResize: (rows, cols) => m.sys.terminals.console?.resize({ rows, cols, xpixel: 0, ypixel: 0 }),
    }),
  };
  const dev = new Console(link.host);
  link.host.attach(dev);
  const tty = m.sys.terminals.attachConsole(m.kernel.newConsole(dev));
  const size = link.host.size();
  if (size !== null) tty.winsize = { rows: size.rows, cols: size.cols, xpixel: 0, ypixel: 0 };
  return link;
}

export interface RunResult {
  /** Whether the instruction limit stopped the run before `until` ended. */
  limited: boolean;
  /** Whether the user quit from the console while `until` still ran. */
  quit: boolean;
  insns: number;
  ms: number;
  loop: RunLoop;
}

/**
 * Runs every guest process until `until` has ended (or the user quits from the console, or the
 * instruction limit is reached), with host signals passed on to the guest meanwhile. What the
 * guest leaves behind is killed, as the processes of a PID namespace are when its init exits.
 */
export async function runUntil(m: Machine, a: MachineArgs, until: Process, console: ConsoleLink | null = null): Promise<RunResult> {
  const forwarded = console !== null ? FORWARDED_TO_CONSOLE : FORWARDED;
  const handlers = forwarded.map((name): [NodeJS.Signals, () => void] => [name, () => m.sys.hostSignal(os.constants.signals[name])]);
  for (const [name, h] of handlers) process.on(name, h);
  const startAt = hostNowMs();
  const t0 = process.hrtime.bigint();
  const limit = a.maxInsns > 0 ? a.maxInsns : Infinity;
  const cpu = m.kernel.cpu;
  const start = cpu.icount;
  const loop = new RunLoop(m.kernel);
  let optimizing = false;
  const gc = a.stats ? gcClock() : null;
  console?.host.start();
  try {
    await loop.run({
      done: () => {
        if (!optimizing && (cpu.icount - start >= OPTIMIZE_AFTER_INSNS || hostNowMs() - startAt >= OPTIMIZE_AFTER_MS)) {
          optimizing = true;
          releaseOptimization();
        }
        return until.termination !== null || cpu.icount - start >= limit || console?.quit === true || m.sys.halt !== null;
      },
    });
  } finally {
    console?.host.stop();
    for (const [name, h] of handlers) process.off(name, h);
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const quit = console?.quit === true && until.termination === null;
  const limited = until.termination === null && !quit && m.sys.halt === null;
  m.sys.killAll();
  // (file systems on loop devices reach their files)
  m.sys.loops.closeAll();
  saveForms();
  m.jitCache?.flush();
  const insns = cpu.icount - start;
  if (a.stats) printStats(m, loop, insns, ms, startAt, gc === null ? 0 : await gc.stop());
  return { limited, quit, insns, ms, loop };
}

/** Where the time went before and while the guest ran: exojit's start-up (Node, loading modules,
 *  setting up the machine and the first program), the first WARMUP_INSNS guest instructions
 *  (decoding, interpreting, first compiles) and the rest. */
function phases(e: EngineStats, insns: number, ms: number, startAt: number): string[] {
  const out = [`  start-up ${startAt.toFixed(1)} ms from process start to the first guest instruction, ${buildKind()}`];
  const cpu = process.cpuUsage();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  if (e.warmupAt < 0) {
    out.push(`  warm-up: all ${insns} instructions in ${ms.toFixed(1)} ms (fewer than ${WARMUP_INSNS / 1000}k)`);
  } else {
    const warm = e.warmupAt - startAt, rest = ms - warm, n = insns - WARMUP_INSNS;
    out.push(`  warm-up: first ${WARMUP_INSNS / 1000}k instructions in ${warm.toFixed(1)} ms; steady state: ${n} more in ${rest.toFixed(1)} ms (${rest > 0 ? ((n / rest) * 1e-3).toFixed(1) : "-"} M/s)`);
  }
  const mainMs = mainThreadCpuMs();
  const threads = mainMs === null ? "all threads, V8's compiler threads included" : `${mainMs.toFixed(0)} ms on the main thread, the rest on V8's compiler and heap threads`;
  out.push(`  process CPU time ${cpuMs.toFixed(0)} ms (${threads}), peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  return out;
}

/** Which build runs: the packed one (cli/packload.cts), or the ES modules, which start slower
 *  and run cold code slower (python3 -c pass took 15% more CPU). The ES modules run when told
 *  to, when there is no pack, or when the pack is older than its loader: a `tsc` that did not
 *  pack again, or a copy of dist/ that did not keep the files' times (`cp -r`). */
function buildKind(): string {
  if (packStamp() !== null) return "packed build";
  return process.env.EXOJIT_NO_PACK
    ? "ES modules (EXOJIT_NO_PACK)"
    : "ES modules: dist/exojit-pack.cjs is missing or older than dist/cli/packload.cjs (rebuild, or copy dist/ keeping file times)";
}

/** Main-thread garbage collection time, from Node's 'gc' performance entries (which arrive a
 *  turn of the event loop after the collection). (node:perf_hooks is loaded here, for --stats
 *  only: a dozen of Node's modules, 2-3 ms of every start-up otherwise.) */
function gcClock(): { stop(): Promise<number> } {
  let ms = 0;
  const { PerformanceObserver } = createRequire(import.meta.url)("node:perf_hooks") as typeof import("node:perf_hooks");
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) ms += e.duration;
  });
  obs.observe({ entryTypes: ["gc"] });
  return {
    async stop(): Promise<number> {
      await new Promise((r) => setTimeout(r, 0));
      obs.disconnect();
      return ms;
    },
  };
}

function printStats({ kernel, sys, personality, calls: callClock, jitCache }: Machine, loop: RunLoop, insns: number, ms: number, startAt: number, gcMs: number): void {
  const e = kernel.engine.stats;
  const j = e.jit;
  const callMs = callClock?.ms ?? 0;
  const calls = [...personality.counts.entries()].sort((x, y) => y[1] - x[1]);
  const totalCalls = calls.reduce((s, [, n]) => s + n, 0);
  const handlers = handlerCallCounts();
  const pct = (n: number): string => (insns > 0 ? ((100 * n) / insns).toFixed(1) : "0.0");
  const live = kernel.engine.regions.size;
  const lines = [
    `exojit stats: ${insns} guest instructions in ${ms.toFixed(1)} ms (${((insns / ms) * 1e-3).toFixed(1)} M/s)`,
    `  interpreter ${e.interpInsns} insns (${pct(e.interpInsns)}%), compiled code ${e.jitInsns} insns (${pct(e.jitInsns)}%) in ${e.regionRuns} region entries (+${e.chained} chained, ${e.linkedReturns} returns into the caller's frame)`,
    ...phases(e, insns, ms, startAt),
    `  time: about ${e.jitMs.toFixed(0)} ms in compiled code (sampled), ${j.compileMs.toFixed(1)} ms compiling, ${e.decodeMs.toFixed(1)} ms decoding, ` +
      `${callMs.toFixed(1)} ms in system calls, ${gcMs.toFixed(1)} ms collecting garbage, ` +
      `${Math.max(0, ms - e.jitMs - j.compileMs - e.decodeMs - callMs - gcMs).toFixed(1)} ms interpreting and the rest`,
    `  jit: ${j.regionsCompiled} regions compiled + ${j.recompiles} recompiled (${j.promoted} promoted to V8's optimising tier), ${j.insnsCompiled} insns -> ${(j.jsBytes / 1024).toFixed(0)} KiB JS in ${j.compileMs.toFixed(1)} ms` +
      ` (${j.insnsCompiled > 0 ? ((j.compileMs * 1000) / j.insnsCompiled).toFixed(1) : "0"} us/insn); ${live.regions} live (${live.insns} insns, ${live.distinct} distinct), ${j.invalidations} invalidated, ${j.evictions} evicted, ${j.failures} failed`,
    `  wasm: ${j.wasmRegions} regions compiled to WebAssembly (${j.wasmInsns} insns; ${j.wasmModules} from modules saved by earlier runs), ${j.wasmDemoted} demoted to JavaScript`,
    `  saved code: ${jitCache ? `${j.restored} regions made from code saved by earlier runs (${j.codeCached} from V8's code cache, ${j.codeCacheRejected} whose cache V8 rejected), ${j.stale} saved ones stale, ${j.saved} saved for later runs${jitCache.dropped > 0 ? ` (${jitCache.dropped} of them beyond what the folder keeps, not written)` : ""} (${jitCache.dir})` : "off"}`,
    `  blocks decoded ${e.blocksDecoded} (${fastStats.decoded} instructions by the fast path, ${fastStats.learned} forms learned (${fastStats.seeded} more from the build's seed), ${fastStats.refused} left to iced; iced-x86 ${icedLoaded() ? "loaded" : "not loaded"}), code-page writes ${e.codeWrites}, faults ${e.faults}, stops at SIMD memory operands ${e.memStops}`,
    `  system calls ${totalCalls}: ${calls.slice(0, 8).map(([nr, n]) => `${SYSCALLS[nr]?.name ?? nr} ${n}`).join(", ")}`,
    `  handler calls from compiled code ${handlers.reduce((s, [, n]) => s + n, 0)}${handlers.length > 0 ? ": " : ""}${handlers.slice(0, 6).map(([form, n]) => `${form} ${n}`).join("; ")}`,
    `  guest memory peak ${kernel.frames.peak * 4} KiB of ${kernel.frames.total * 4} KiB (page cache now ${sys.pageCache.frames * 4} KiB)`,
    `  processes: ${sys.ended} ended, most tasks at once ${sys.peakTasks}; idle ${loop.idleSleeps} times for ${(loop.idleNs / 1e6).toFixed(1)} ms`,
    ...sys.history.slice(0, 12).map((h) => `    pid ${h.pid} ${h.name}: ${h.insns} insns, ${(h.cpuNs / 1e6).toFixed(1)} ms, ${h.switches} switches, ${h.status}`),
    ...(sys.history.length > 12 ? [`    ... ${sys.history.length - 12} more`] : []),
  ];
  process.stderr.write(lines.join("\n") + "\n");
}


