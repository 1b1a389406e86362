// `exojit run`: set up the exokernel, the file-system view and the process, run it to the end,
// and turn the way it ended into exojit's exit status.

import * as fs from "node:fs";
import * as os from "node:os";
import * as tty from "node:tty";

import type { RunArgs } from "./args.js";
import { cliError } from "./errors.js";
import { Exokernel } from "../exokernel/kernel.js";
import { RunLoop } from "../exokernel/runloop.js";
import { Console } from "../exokernel/console.js";
import { HostConsole } from "./console.js";
import { HostVolume } from "../libexoc/volumes/host.js";
import { ExecError } from "../libexoc/exec.js";
import { SysError } from "../libexoc/errors.js";
import { System } from "../libexoc/system.js";
import { startProgram, LinuxPersonality } from "../posix/linux.js";
import { SYSCALLS } from "../posix/table.js";
import { configureLog, parseTraceList } from "../log.js";
import { tuneV8ForGeneratedCode } from "../jit/v8tuning.js";

/** Host signals exojit passes on to the guest's foreground process group, as a terminal would
 *  (qemu-user forwards the same ones). */
const FORWARDED: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH", "SIGCONT", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGALRM"];
/** With a console of its own the guest's terminal signals come from its line discipline, and
 *  window changes through the console: exojit's job-control and window signals stay exojit's. */
const FORWARDED_TO_CONSOLE: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM"];

export async function runCommand(a: RunArgs): Promise<number> {
  configureLog({ categories: a.trace ? parseTraceList(a.trace) : [], file: a.logFile ?? undefined });
  const root = a.root ?? "/";
  let st: fs.Stats;
  try {
    st = fs.statSync(root);
  } catch {
    throw cliError("badRoot", root, "no such directory");
  }
  if (!st.isDirectory()) throw cliError("badRoot", root, "not a directory");
  const hostCwd = process.cwd();
  // The root is the host directory; writes go only below the working directory unless --rw.
  const rootVol = new HostVolume(root, a.rw, []);
  const guestCwd = rootVol.relOf(fs.realpathSync(hostCwd)) ?? "/";
  if (a.root === null) rootVol.writableDirs.push(guestCwd);

  if (a.engine !== "interp") tuneV8ForGeneratedCode();
  const kernel = new Exokernel({ memory: a.memory, engine: { engine: a.engine, threshold: a.jitThreshold || undefined, timing: a.stats } });
  const personality = new LinuxPersonality();
  const sys = new System({ kernel, personality });
  rootVol.pageCache = sys.pageCache;
  const fsys = sys.newVfs(rootVol);
  const env = Object.entries(process.env).map(([k, v]) => `${k}=${v ?? ""}`);

  // --console: a UART whose line is exojit's stdin and stdout, as the guest's console.
  let quit = false;
  let host: HostConsole | null = null;
  if (a.console) {
    host = new HostConsole({
      onQuit: () => {
        quit = true;
        kernel.onRunnable?.();
      },
      onResize: (rows, cols) => sys.terminals.console?.resize({ rows, cols, xpixel: 0, ypixel: 0 }),
    });
    const dev = new Console(host);
    host.attach(dev);
    const tty = sys.terminals.attachConsole(kernel.newConsole(dev));
    const size = host.size();
    if (size !== null) tty.winsize = { rows: size.rows, cols: size.cols, xpixel: 0, ypixel: 0 };
  }

  let first;
  try {
    first = startProgram({ sys, fs: fsys, path: a.program, argv: [a.program, ...a.args], env, cwd: guestCwd, console: a.console });
  } catch (e) {
    if (e instanceof ExecError) throw cliError("cannotExec", a.program, e.reason);
    if (e instanceof SysError) {
      if (e.errno === "ENOENT") throw cliError("noProgram", a.program);
      throw cliError("cannotExec", a.program, `cannot open (${e.errno})`);
    }
    throw e;
  }
  const proc = first.proc;

  // Job control with the real terminal: when the guest's first process stops (^Z), exojit stops
  // too, and the SIGCONT that resumes exojit resumes it.
  // (With a console the guest's own terminal does job control.)
  const interactive = tty.isatty(0) && !a.console;
  sys.onStop = (p) => {
    if (interactive && p === proc) process.kill(process.pid, "SIGSTOP");
  };
  const handlers = (a.console ? FORWARDED_TO_CONSOLE : FORWARDED).map((name): [NodeJS.Signals, () => void] => [name, () => sys.hostSignal(os.constants.signals[name])]);
  for (const [name, h] of handlers) process.on(name, h);

  const t0 = process.hrtime.bigint();
  const limit = a.maxInsns > 0 ? a.maxInsns : Infinity;
  const cpu = kernel.cpu;
  const start = cpu.icount;
  const loop = new RunLoop(kernel);
  host?.start();
  try {
    await loop.run({ done: () => quit || proc.termination !== null || cpu.icount - start >= limit });
  } finally {
    host?.stop();
    for (const [name, h] of handlers) process.off(name, h);
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const limited = proc.termination === null && !quit;
  const quitRunning = quit && proc.termination === null;
  // The run ends with its first process; what it leaves behind ends with it, as the processes
  // of a PID namespace do when its init exits.
  sys.killAll();

  if (a.stats) printStats(kernel, sys, personality, loop, cpu.icount - start, ms);
  if (limited) throw cliError("insnLimit", String(a.maxInsns));
  // Quitting from the console (C-a x) ends the run as the user asked: status 0.
  return quitRunning ? 0 : proc.status;
}

function printStats(kernel: Exokernel, sys: System, personality: LinuxPersonality, loop: RunLoop, insns: number, ms: number): void {
  const e = kernel.engine.stats;
  const j = e.jit;
  const calls = [...personality.counts.entries()].sort((x, y) => y[1] - x[1]);
  const totalCalls = calls.reduce((s, [, n]) => s + n, 0);
  const pct = (n: number): string => (insns > 0 ? ((100 * n) / insns).toFixed(1) : "0.0");
  const live = kernel.engine.regions.size;
  const lines = [
    `exojit stats: ${insns} guest instructions in ${ms.toFixed(1)} ms (${((insns / ms) * 1e-3).toFixed(1)} M/s)`,
    `  interpreter ${e.interpInsns} insns (${pct(e.interpInsns)}%), compiled code ${e.jitInsns} insns (${pct(e.jitInsns)}%) in ${e.regionRuns} region entries`,
    `  time: ${e.jitMs.toFixed(1)} ms in compiled code, ${j.compileMs.toFixed(1)} ms compiling, ${Math.max(0, ms - e.jitMs - j.compileMs).toFixed(1)} ms interpreting and in system calls`,
    `  jit: ${j.regionsCompiled} regions compiled + ${j.recompiles} recompiled, ${j.insnsCompiled} insns -> ${(j.jsBytes / 1024).toFixed(0)} KiB JS in ${j.compileMs.toFixed(1)} ms` +
      ` (${j.insnsCompiled > 0 ? ((j.compileMs * 1000) / j.insnsCompiled).toFixed(1) : "0"} us/insn); ${live.regions} live (${live.insns} insns), ${j.invalidations} invalidated, ${j.evictions} evicted, ${j.failures} failed`,
    `  blocks decoded ${e.blocksDecoded}, code-page writes ${e.codeWrites}, faults ${e.faults}`,
    `  system calls ${totalCalls}: ${calls.slice(0, 8).map(([nr, n]) => `${SYSCALLS[nr]?.name ?? nr} ${n}`).join(", ")}`,
    `  guest memory peak ${kernel.frames.peak * 4} KiB of ${kernel.frames.total * 4} KiB (page cache now ${sys.pageCache.frames * 4} KiB)`,
    `  processes: ${sys.ended} ended, most tasks at once ${sys.peakTasks}; idle ${loop.idleSleeps} times for ${(loop.idleNs / 1e6).toFixed(1)} ms`,
    ...sys.history.slice(0, 12).map((h) => `    pid ${h.pid} ${h.name}: ${h.insns} insns, ${(h.cpuNs / 1e6).toFixed(1)} ms, ${h.switches} switches, ${h.status}`),
    ...(sys.history.length > 12 ? [`    ... ${sys.history.length - 12} more`] : []),
  ];
  process.stderr.write(lines.join("\n") + "\n");
}


