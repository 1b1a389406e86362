// The perf suite's real-programs section: Debian's own i386 binaries, from the debootstrap root
// the userland tests use, on the same inputs natively (chroot ROOT), under qemu-i386 (-L ROOT)
// and under exojit (run --root ROOT). minbase has gzip, sha256sum, sort, perl and bash; bzip2,
// xz and python3 are installed into the root the first time (`chroot ROOT apt-get install
// bzip2 xz-utils python3-minimal`, which needs the network); a program still missing is listed
// as skipped with the command that adds it.
//
// Inputs are made here, the same bytes every run: about 4 MiB of words drawn from a fixed
// vocabulary by a fixed pseudo-random sequence (text that compresses and sorts like prose,
// not like random bytes), its gzip form made natively, and nothing else.
//
// Besides the workloads (kind "real"), the start-up of the two script interpreters, which is
// what every short run of them pays (kind "start": python3 runs 31 M instructions before its
// first line of script, most of them once or a few times each).

import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";

/** Environment for every side: the C locale, so sort and perl agree and skip locale files. */
const ENV = { PATH: "/usr/bin:/bin", LC_ALL: "C", HOME: "/" };

/** name, the program in the root, its arguments, and the input it reads on stdin. */
const REAL = [
  { name: "gzip -9", prog: "/usr/bin/gzip", args: ["-9", "-c"], input: "text" },
  { name: "gzip -d", prog: "/usr/bin/gzip", args: ["-d", "-c"], input: "gz" },
  { name: "bzip2", prog: "/usr/bin/bzip2", pkg: "bzip2", args: ["-9", "-c"], input: "text" },
  { name: "xz -3", prog: "/usr/bin/xz", pkg: "xz-utils", args: ["-3", "-T1", "-c"], input: "text" },
  { name: "sha256sum", prog: "/usr/bin/sha256sum", args: [], input: "text" },
  { name: "sort", prog: "/usr/bin/sort", args: [], input: "lines" },
  { name: "perl", prog: "/usr/bin/perl", args: ["-ne", "$w{$_}++ for split /\\W+/; END { print scalar(keys %w), qq(\\n) }"], input: "text" },
  { name: "python3", prog: "/usr/bin/python3", pkg: "python3-minimal", args: ["-c", "import sys, collections\nc = collections.Counter(sys.stdin.read().split())\nprint(len(c), c.most_common(3))"], input: "text" },
  { name: "bash script", prog: "/bin/bash", args: ["-c", "i=0; s=0; while [ $i -lt 40000 ]; do s=$(( (s + i * i) % 1000003 )); i=$((i + 1)); done; echo $s"], input: "none" },
  { name: "python3 -c pass", kind: "start", prog: "/usr/bin/python3", pkg: "python3-minimal", args: ["-c", "pass"], input: "none" },
  { name: "perl -e 1", kind: "start", prog: "/usr/bin/perl", args: ["-e", "1"], input: "none" },
];

/** Whether the suite's --only list (h.only) takes program `p`. */
function wanted(p, h) {
  return !h.only || h.only.has(p.name) || h.only.has("real");
}

/** Installs the packages of the programs `root` lacks (once per run of the suite; root only).
 *  Returns why not when it could not. */
function installMissing(root, h) {
  const pkgs = [...new Set(REAL.filter((p) => p.pkg && wanted(p, h) && !fs.existsSync(path.join(root, p.prog))).map((p) => p.pkg))];
  if (pkgs.length === 0) return null;
  process.stderr.write(`real programs: installing ${pkgs.join(", ")} into ${root} (apt-get, needs the network)\n`);
  const r = spawnSync("chroot", [root, "apt-get", "install", "-y", "-q", "--no-install-recommends", ...pkgs], {
    encoding: "utf8",
    timeout: 600_000,
    // (dpkg wants the sbin directories on the PATH, and so does finding chroot)
    env: { ...ENV, PATH: "/usr/sbin:/usr/bin:/sbin:/bin", DEBIAN_FRONTEND: "noninteractive" },
  });
  if (r.status === 0) return null;
  const why = (r.error?.message ?? r.stderr ?? "").trim().split("\n").pop();
  return `apt-get install ${pkgs.join(" ")} failed${why ? `: ${why}` : ""}`;
}

/** Deterministic text: lines of 4-14 words from a 2,000-word vocabulary. */
function makeText(bytes) {
  let x = 0x12345678;
  const rnd = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  const letters = "etaoinshrdlucmfwypvbgkjqxz";
  const vocab = [];
  for (let i = 0; i < 2000; i++) {
    let w = "";
    const len = 2 + Math.floor(rnd() * rnd() * 10);
    for (let k = 0; k < len; k++) w += letters[Math.floor(rnd() * rnd() * letters.length)];
    vocab.push(w);
  }
  const parts = [];
  let size = 0;
  while (size < bytes) {
    const n = 4 + Math.floor(rnd() * 11);
    const words = [];
    // Zipf-like: low indices are much more frequent.
    for (let k = 0; k < n; k++) words.push(vocab[Math.floor(vocab.length * rnd() ** 3)]);
    const line = words.join(" ") + "\n";
    parts.push(line);
    size += line.length;
  }
  return parts.join("");
}

/** Makes the inputs in `dir` (once); returns kind → host path. */
function inputs(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const text = path.join(dir, "real-text.txt");
  if (!fs.existsSync(text)) fs.writeFileSync(text, makeText(4 << 20));
  const lines = path.join(dir, "real-lines.txt");
  if (!fs.existsSync(lines)) {
    // Each line of the text with its number, so sort has 4 MiB of distinct lines to order.
    const src = fs.readFileSync(text, "utf8").split("\n");
    fs.writeFileSync(lines, src.map((l, i) => `${l} ${(i * 7919) % 100003}`).join("\n"));
  }
  const none = path.join(dir, "real-empty");
  if (!fs.existsSync(none)) fs.writeFileSync(none, "");
  return { text, lines, none, gz: path.join(dir, "real-text.gz") };
}

/**
 * Measures each real program natively, under qemu-i386 and under exojit. `h` gives the suite's
 * helpers: measure(label, cmd, args, runs, expect, input, env), the qemu path or null, the CLI,
 * the build directory and the options. Returns rows for the suite's table, and the names
 * skipped with why.
 */
export function realPrograms(root, h) {
  const rows = [];
  const skipped = [];
  if (!fs.existsSync(path.join(root, "bin", "bash"))) return { rows, skipped: [`all: no Debian root at ${root} (see tests/helpers/debian.ts)`] };
  if (process.getuid?.() !== 0) return { rows, skipped: ["all: the native side runs under chroot, which needs root"] };
  // A native run of the root's `prog`: under chroot, or on a host that runs no i386 programs
  // the host's own Debian binary of the same release (run.js).
  const native = (prog, args) => (h.i386Native ? ["chroot", [root, prog, ...args]] : [prog, args]);
  const files = inputs(h.buildDir);
  if (!fs.existsSync(files.gz)) {
    // The gzip form, made natively.
    const r = h.timeOnce(...native("/usr/bin/gzip", ["-9", "-c"]), files.text, ENV);
    fs.writeFileSync(files.gz, r.stdoutBytes);
  }
  const installFailed = installMissing(root, h);
  for (const p of REAL) {
    if (!wanted(p, h)) continue;
    if (!fs.existsSync(path.join(root, p.prog))) {
      skipped.push(`${p.name}: ${p.prog} is not in the root (chroot ${root} apt-get install ${p.pkg ?? "..."}${installFailed ? `; ${installFailed}` : ""})`);
      continue;
    }
    const input = files[p.input];
    const nat = h.measure(`${p.name}: native${h.i386Native ? "" : ` (host's ${p.prog})`}`, ...native(p.prog, p.args), Math.max(h.runs, 3), undefined, input, ENV);
    const jit = h.measure(`${p.name}: exojit`, "node", [h.cli, "run", "--stats", "--root", root, p.prog, ...p.args], h.runs, nat.stdout, input, ENV, true);
    const qemu = h.qemu !== null ? h.measure(`${p.name}: qemu-i386`, h.qemu, ["-L", root, path.join(root, p.prog), ...p.args], h.runs, nat.stdout, input, ENV) : null;
    rows.push({ name: p.name, kind: p.kind ?? "real", args: p.args, native: nat, jit, interp: null, qemu });
  }
  return { rows, skipped };
}
