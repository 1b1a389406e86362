// Command-line parsing: global options, the subcommand, and options up to the program name
// (everything after it belongs to the guest).

import { cliError } from "./errors.js";

export interface RunArgs {
  root: string | null;
  rw: boolean;
  engine: "interp" | "jit" | "auto";
  trace: string | null;
  logFile: string | null;
  stats: boolean;
  maxInsns: number;
  memory: number;
  /** Block executions before the JIT compiles it (auto engine); 0 = the engine's default. */
  jitThreshold: number;
  /** The guest's fds 0-2 are its console (a UART on exojit's stdin and stdout). */
  console: boolean;
  program: string;
  args: string[];
}

export type Command = { kind: "help" } | { kind: "version" } | { kind: "run"; run: RunArgs } | { kind: "boot"; image: string | null };

const SIZE_UNITS: Record<string, number> = { "": 1, k: 1 << 10, m: 1 << 20, g: 1 << 30 };

/** Parses "512M", "1G", "65536". */
export function parseSize(s: string): number {
  const m = /^(\d+)([kmg]?)i?b?$/i.exec(s.trim());
  if (!m) throw cliError("usage", `bad size '${s}'`);
  return Number(m[1]) * SIZE_UNITS[m[2].toLowerCase()];
}

function needValue(argv: string[], i: number, opt: string): string {
  const v = argv[i + 1];
  if (v === undefined) throw cliError("usage", `option ${opt} needs a value`);
  return v;
}

export function parseArgs(argv: string[]): Command {
  if (argv.length === 0) return { kind: "help" };
  const first = argv[0];
  if (first === "--help" || first === "-h" || first === "help") return { kind: "help" };
  if (first === "--version" || first === "-V" || first === "version") return { kind: "version" };
  if (first === "boot") return { kind: "boot", image: argv[1] ?? null };
  if (first !== "run") throw cliError("usage", `unknown command '${first}'`);
  const run: RunArgs = {
    root: null, rw: false, engine: "auto", trace: null, logFile: null, stats: false, maxInsns: 0, memory: 1 << 30, jitThreshold: 0, console: false, program: "", args: [],
  };
  let i = 1;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("-") || a === "-") break;
    if (a === "--") {
      i++;
      break;
    }
    const eq = a.indexOf("=");
    const opt = eq > 0 ? a.slice(0, eq) : a;
    const inline = eq > 0 ? a.slice(eq + 1) : null;
    const value = (): string => {
      if (inline !== null) return inline;
      const v = needValue(argv, i, opt);
      i++;
      return v;
    };
    switch (opt) {
      case "--root":
        run.root = value();
        break;
      case "--rw":
        run.rw = true;
        break;
      case "--console":
        run.console = true;
        break;
      case "--engine": {
        const e = value();
        if (e !== "interp" && e !== "jit" && e !== "auto") throw cliError("usage", `--engine must be interp, jit or auto (got '${e}')`);
        run.engine = e;
        break;
      }
      case "--trace":
        run.trace = value();
        break;
      case "--log-file":
        run.logFile = value();
        break;
      case "--stats":
        run.stats = true;
        break;
      case "--max-insns": {
        const v = value();
        if (!/^\d+$/.test(v)) throw cliError("usage", `--max-insns needs a number (got '${v}')`);
        run.maxInsns = Number(v);
        break;
      }
      case "--jit-threshold": {
        const v = value();
        if (!/^\d+$/.test(v) || Number(v) < 1) throw cliError("usage", `--jit-threshold needs a positive number (got '${v}')`);
        run.jitThreshold = Number(v);
        break;
      }
      case "--memory": {
        const bytes = parseSize(value());
        if (bytes < 16 << 20 || bytes > 2 ** 31 - 4096) throw cliError("usage", "--memory must be between 16M and 2047M");
        run.memory = bytes - (bytes % 4096);
        break;
      }
      case "--help":
      case "-h":
        return { kind: "help" };
      default:
        throw cliError("usage", `unknown option '${opt}'`);
    }
  }
  if (i >= argv.length) throw cliError("usage", "no program given");
  run.program = argv[i];
  run.args = argv.slice(i + 1);
  return { kind: "run", run };
}

export const HELP = `exojit — a JIT-compiling x86 runtime

Usage:
  exojit run [options] PROGRAM [ARGS...]   run a Linux i386 program (static or dynamic ELF)
  exojit --help | --version

Options for run:
  --root DIR          resolve the program's paths under DIR (default: the host's /)
  --rw                allow writes anywhere under the root (default: only below the
                      working directory)
  --engine KIND       interp, jit or auto (default auto: interpret cold code, compile hot code;
                      jit compiles every block on its first execution)
  --jit-threshold N   executions of a block before auto compiles it (default 1000)
  --trace LIST        comma-separated trace categories: syscall (with the process and thread
                      id, like strace -f), fault, jit, mmu, dev, exec, signal, sched (switches,
                      waits and wake-ups), or all
  --log-file FILE     write traces as JSON lines to FILE instead of text on stderr
  --stats             print execution statistics to stderr at exit
  --max-insns N       stop after about N guest instructions (exit status 124)
  --memory SIZE       guest RAM, e.g. 512M (default 1G)
  --console           give the program a terminal of its own: fds 0-2 are /dev/console (a
                      serial console on exojit's stdin and stdout) and its controlling
                      terminal. On a host terminal, which goes into raw mode: C-a x quits
                      (status 0), C-a h lists the keys. From a pipe or file, input ends with it.

The guest's exit status becomes exojit's; a guest killed by signal N exits with 128+N.
`;
