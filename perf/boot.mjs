#!/usr/bin/env node
// Boot speed: from `exojit boot` to a shell that answers, for the default image and for a
// busybox image (Debian's busybox-static:i386 with its applet links, made with mke2fs -d).
// Each boot gets `echo READY` on stdin; the time is taken when READY appears on stdout (the
// shell has started, read a command and run it: what a person sees as the prompt), and the
// CPU time (user + system) of the whole exojit process after `exit`. Targets (issue 10): the
// default image in at most 0.5 s, busybox in at most 1 s.
//
// Usage: node perf/boot.mjs [--runs N]

import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CLI = path.join(REPO, "dist", "cli", "main.cjs");
const runs = process.argv.includes("--runs") ? Number(process.argv[process.argv.indexOf("--runs") + 1]) : 5;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "exojit-bootperf-"));
const env = { ...process.env, EXOJIT_CACHE: path.join(tmp, "cache"), TERM: "dumb" };

/** One boot: ms until READY is printed, and the process's CPU ms (from /proc at exit). */
function bootOnce(args) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn("node", [CLI, "boot", ...args], { env, stdio: ["pipe", "pipe", "inherit"] });
    let out = "", ready = -1, cpu = 0;
    child.stdout.on("data", (d) => {
      out += d;
      if (ready < 0 && out.includes("READY")) {
        ready = Number(process.hrtime.bigint() - t0) / 1e6;
        // CPU so far, read before the shell is told to exit.
        try {
          const f = fs.readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1].split(" ");
          cpu = ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, in clock ticks
        } catch {
          cpu = NaN;
        }
        child.stdin.end("exit\n");
      }
    });
    child.on("error", reject);
    child.on("exit", (code) => (ready < 0 ? reject(new Error(`boot ${args.join(" ")} exited ${code} before READY:\n${out}`)) : resolve({ ready, cpu })));
    child.stdin.write("echo READY\n");
  });
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function measure(name, args, target) {
  await bootOnce(args); // first boot: makes the default image, fills the host's file cache
  const rs = [];
  for (let i = 0; i < runs; i++) rs.push(await bootOnce(args));
  const ready = median(rs.map((r) => r.ready)), cpu = median(rs.map((r) => r.cpu));
  const ok = ready <= target ? "met" : "missed";
  console.log(`${name.padEnd(16)} to READY ${ready.toFixed(0).padStart(6)} ms wall (min ${Math.min(...rs.map((r) => r.ready)).toFixed(0)}), ${cpu.toFixed(0).padStart(5)} ms CPU; target ${target} ms: ${ok}`);
}

function busyboxImage() {
  const bb = "/bin/busybox";
  if (!fs.existsSync(bb)) return null;
  const tree = path.join(tmp, "bbtree");
  for (const d of ["bin", "proc", "dev", "tmp", "root"]) fs.mkdirSync(path.join(tree, d), { recursive: true });
  fs.copyFileSync(bb, path.join(tree, "bin", "busybox"));
  fs.chmodSync(path.join(tree, "bin", "busybox"), 0o755);
  for (const n of spawnSync(bb, ["--list"], { encoding: "utf8" }).stdout.split("\n")) if (n && n !== "busybox") fs.symlinkSync("busybox", path.join(tree, "bin", n));
  const img = path.join(tmp, "busybox.img");
  fs.writeFileSync(img, "");
  fs.truncateSync(img, 16 << 20);
  const r = spawnSync("mke2fs", ["-q", "-F", "-t", "ext2", "-d", tree, img], { encoding: "utf8" });
  return r.status === 0 ? img : null;
}

try {
  console.log(`exojit boot, median of ${runs} (load average ${os.loadavg()[0].toFixed(2)})`);
  const node0 = Date.now();
  spawnSync("node", ["-e", "0"]);
  console.log(`${"node -e 0".padEnd(16)} ${String(Date.now() - node0).padStart(6)} ms wall (for reference)`);
  await measure("default image", [], 500);
  const bb = busyboxImage();
  if (bb) await measure("busybox image", [bb, "--init", "/bin/sh"], 1000);
  else console.log("busybox image: skipped (needs /bin/busybox and mke2fs)");
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
