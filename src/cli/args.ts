// Command-line parsing: global options, the subcommand, and options up to the program name
// (everything after it belongs to the guest).

import { cliError } from "./errors.js";

/** What `run` and `boot` share: the engine, the machine and the diagnostics. */
export interface MachineArgs {
  engine: "interp" | "jit" | "auto";
  trace: string | null;
  logFile: string | null;
  stats: boolean;
  maxInsns: number;
  memory: number;
  /** Block executions before the JIT compiles it (auto engine); 0 = the engine's default. */
  jitThreshold: number;
  /** Whether compiled regions are saved in the cache directory and used again (jit/saved.ts). */
  jitCache: boolean;
  /** Whether hot loops the wasm tier translates are compiled to WebAssembly (jit/wasm). */
  wasm: boolean;
}

export interface RunArgs extends MachineArgs {
  root: string | null;
  rw: boolean;
  /** The guest's fds 0-2 are its console (a UART on exojit's stdin and stdout). */
  console: boolean;
  program: string;
  args: string[];
}

export interface BootArgs extends MachineArgs {
  /** The disk image (null: the default image). */
  image: string | null;
  /** The program started as pid 1. */
  init: string;
  /** Words passed to init as its arguments (--append, split at blanks). */
  append: string[];
  readOnly: boolean;
  /** More disk images, /dev/sdb and on (not mounted: the guest mounts them). */
  disks: { path: string; readOnly: boolean }[];
  /** The console (UART and terminal driver) on exojit's stdin and stdout: on a terminal
   *  always, otherwise when asked (--console); else init gets exojit's streams as they are. */
  console: boolean;
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
  | { kind: "boot"; boot: BootArgs }
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
  if (first === "boot") return parseBoot(argv.slice(1));
  if (first === "mkimage") return { kind: "mkimage", mkimage: parseMkimage(argv.slice(1)) };
  if (first !== "run") throw cliError("usage", `unknown command '${first}'`);
  const run: RunArgs = { ...machineDefaults(), root: null, rw: false, console: false, program: "", args: [] };
  let i = 1;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("-") || a === "-") break;
    if (a === "--") {
      i++;
      break;
    }
    const o = option(argv, i);
    if (o.opt === "--help" || o.opt === "-h") return { kind: "help" };
    if (o.opt === "--root") run.root = o.value();
    else if (o.opt === "--rw") run.rw = true;
    else if (o.opt === "--console") run.console = true;
    else if (!machineOption(run, o)) throw cliError("usage", `unknown option '${o.opt}'`);
    i = o.next;
  }
  if (i >= argv.length) throw cliError("usage", "no program given");
  run.program = argv[i];
  run.args = argv.slice(i + 1);
  return { kind: "run", run };
}

function machineDefaults(): MachineArgs {
  return { engine: "auto", trace: null, logFile: null, stats: false, maxInsns: 0, memory: 1 << 30, jitThreshold: 0, jitCache: true, wasm: true };
}

/** An option at argv[i]: its name, its value (inline after '=' or the next word, taken on
 *  demand), and where the next option starts. */
interface Option {
  opt: string;
  value(): string;
  next: number;
}

function option(argv: string[], i: number): Option {
  const a = argv[i];
  const eq = a.startsWith("--") ? a.indexOf("=") : -1;
  const o: Option = {
    opt: eq > 0 ? a.slice(0, eq) : a,
    next: i,
    value: () => {
      if (eq > 0) return a.slice(eq + 1);
      const v = needValue(argv, o.next, o.opt);
      o.next++;
      return v;
    },
  };
  return o;
}

/** Applies one of the options `run` and `boot` share; false if `o` is not one of them. */
function machineOption(m: MachineArgs, o: Option): boolean {
  switch (o.opt) {
    case "--engine": {
      const e = o.value();
      if (e !== "interp" && e !== "jit" && e !== "auto") throw cliError("usage", `--engine must be interp, jit or auto (got '${e}')`);
      m.engine = e;
      return true;
    }
    case "--trace":
      m.trace = o.value();
      return true;
    case "--log-file":
      m.logFile = o.value();
      return true;
    case "--stats":
      m.stats = true;
      return true;
    case "--max-insns": {
      const v = o.value();
      if (!/^\d+$/.test(v)) throw cliError("usage", `--max-insns needs a number (got '${v}')`);
      m.maxInsns = Number(v);
      return true;
    }
    case "--jit-threshold": {
      const v = o.value();
      if (!/^\d+$/.test(v) || Number(v) < 1) throw cliError("usage", `--jit-threshold needs a positive number (got '${v}')`);
      m.jitThreshold = Number(v);
      return true;
    }
    case "--no-jit-cache":
      m.jitCache = false;
      return true;
    case "--no-wasm":
      m.wasm = false;
      return true;
    case "--memory": {
      const bytes = parseSize(o.value());
      if (bytes < 16 << 20 || bytes > 2 ** 31 - 4096) throw cliError("usage", "--memory must be between 16M and 2047M");
      m.memory = bytes - (bytes % 4096);
      return true;
    }
    default:
      return false;
  }
}

/** `exojit boot [IMAGE] [--init PATH] [--ro] [--append ARGS] [machine options]`. */
function parseBoot(argv: string[]): Command {
  const b: BootArgs = { ...machineDefaults(), image: null, init: "/sbin/init", append: [], readOnly: false, disks: [], console: process.stdin.isTTY === true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("-") || a === "-") {
      if (b.image !== null) throw cliError("usage", `boot takes one image (got '${b.image}' and '${a}')`);
      b.image = a;
      continue;
    }
    const o = option(argv, i);
    if (o.opt === "--help" || o.opt === "-h") return { kind: "help" };
    if (o.opt === "--init") {
      b.init = o.value();
      if (!b.init.startsWith("/")) throw cliError("usage", `--init needs an absolute path in the image (got '${b.init}')`);
    } else if (o.opt === "--append") b.append.push(...o.value().split(/\s+/).filter((w) => w !== ""));
    else if (o.opt === "--ro") b.readOnly = true;
    else if (o.opt === "--console") b.console = true;
    else if (o.opt === "--disk" || o.opt === "--disk-ro") b.disks.push({ path: o.value(), readOnly: o.opt === "--disk-ro" });
    else if (!machineOption(b, o)) throw cliError("usage", `unknown option '${o.opt}'`);
    i = o.next;
  }
  return { kind: "boot", boot: b };
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
  exojit boot [IMAGE] [options]            boot a guest system from an ext2/ext4 disk image
                                           (default: the image that ships with exojit)
  exojit run [options] PROGRAM [ARGS...]   run a Linux i386 program (static or dynamic ELF)
  exojit mkimage DIR IMAGE [options]       make an ext2 disk image holding the tree DIR
  exojit --help | --version

Options for boot:
  --init PATH         the program started as pid 1 (default /sbin/init)
  --append 'ARGS'     arguments for init, like a kernel command line (the default image's init
                      takes sh=PATH, rc=PATH, single, NAME=VALUE)
  --ro                open the image read-only (writes get EROFS; /tmp is in memory)
  --disk IMAGE        one more disk for the guest (repeatable): /dev/sdb, /dev/sdc... (and
                      sdb1 for the first Linux partition of an MBR table), which the guest
                      mounts itself (mount -t ext4 /dev/sdb /mnt); --disk-ro: read-only
  --console           the guest's console (a serial line with its own terminal driver) on
                      exojit's stdin and stdout even when stdin is not a terminal; on a
                      terminal it always is, which goes into raw mode: C-a x quits (syncing
                      the disk), C-a h lists the keys. Without it, init gets exojit's stdin,
                      stdout and stderr as they are (scripted sessions).
  The image's root is mounted at /, with /proc, /dev and a tmpfs at /tmp (and /run if the
  image has it); the image itself is /dev/sda. When init exits, the disk is synced and init's status becomes exojit's. The
  default image is made on first use in $XDG_CACHE_HOME/exojit (or ~/.cache/exojit; set
  EXOJIT_CACHE to choose) and keeps what the guest writes.

Options for run:
  --root DIR          resolve the program's paths under DIR (default: the host's /)
  --rw                allow writes anywhere under the root (default: only below the
                      working directory and in /tmp)
  --console           give the program a terminal of its own: fds 0-2 are /dev/console (a
                      serial console on exojit's stdin and stdout) and its controlling
                      terminal. On a host terminal, which goes into raw mode: C-a x quits
                      (status 0), C-a h lists the keys. From a pipe or file, input ends with it.

Options for run and boot:
  --engine KIND       interp, jit or auto (default auto: interpret cold code, compile hot code;
                      jit compiles every block on its first execution)
  --jit-threshold N   executions of a block before auto compiles it (default 3000, and 6000
                      for a block that ran less than once per 10000 instructions)
  --no-jit-cache      neither use nor save the code compiled in earlier runs (kept in the
                      cache directory, where it makes the same program start faster)
  --no-wasm           compile every hot region to JavaScript (by default, hot loops of the
                      integer and SSE integer instructions the wasm tier translates become
                      WebAssembly)
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
