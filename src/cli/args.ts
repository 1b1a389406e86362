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
  program: string;
  args: string[];
}

export interface MkimageArgs {
  dir: string;
  image: string;
  /** Image size in bytes (0: fitted to the tree). */
  size: number;
  /** Block size (0: chosen from the size). */
  blockSize: number;
  label: string;
}

export type Command =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "run"; run: RunArgs }
  | { kind: "boot"; image: string | null }
  | { kind: "mkimage"; mkimage: MkimageArgs };

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
  if (first === "mkimage") return { kind: "mkimage", mkimage: parseMkimage(argv.slice(1)) };
  if (first !== "run") throw cliError("usage", `unknown command '${first}'`);
  const run: RunArgs = {
    root: null, rw: false, engine: "auto", trace: null, logFile: null, stats: false, maxInsns: 0, memory: 1 << 30, jitThreshold: 0, program: "", args: [],
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

/** `exojit mkimage DIR IMAGE [--size N] [--block-size N] [--label L]`. */
function parseMkimage(argv: string[]): MkimageArgs {
  const m: MkimageArgs = { dir: "", image: "", size: 0, blockSize: 0, label: "" };
  const pos: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf("=");
    const opt = a.startsWith("--") && eq > 0 ? a.slice(0, eq) : a;
    const value = (): string => {
      if (a.startsWith("--") && eq > 0) return a.slice(eq + 1);
      const v = needValue(argv, i, opt);
      i++;
      return v;
    };
    switch (opt) {
      case "--size":
        m.size = parseSize(value());
        if (m.size < 1 << 20) throw cliError("usage", "--size must be at least 1M");
        break;
      case "--block-size": {
        const v = value();
        if (!["1024", "2048", "4096"].includes(v)) throw cliError("usage", `--block-size must be 1024, 2048 or 4096 (got '${v}')`);
        m.blockSize = Number(v);
        break;
      }
      case "--label":
        m.label = value();
        if (Buffer.byteLength(m.label) > 16) throw cliError("usage", "--label is at most 16 bytes");
        break;
      default:
        if (a.startsWith("-") && a !== "-") throw cliError("usage", `unknown option '${opt}'`);
        pos.push(a);
    }
  }
  if (pos.length !== 2) throw cliError("usage", "mkimage needs a directory and an image file");
  [m.dir, m.image] = pos;
  return m;
}

export const HELP = `exojit — a JIT-compiling x86 runtime

Usage:
  exojit run [options] PROGRAM [ARGS...]   run a Linux i386 program (static or dynamic ELF)
  exojit mkimage DIR IMAGE [options]       make an ext2 disk image holding the tree DIR
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

Options for mkimage:
  --size SIZE         image size, e.g. 256M (default: the tree's size plus room to spare)
  --block-size N      1024, 2048 or 4096 (default: 1024 below 512M, else 4096)
  --label NAME        volume label (up to 16 bytes)

The guest's exit status becomes exojit's; a guest killed by signal N exits with 128+N.
`;
