// Our ext2/ext4 Volume against the `ext2fs` npm package (e2fsprogs' libext2fs built to wasm),
// both driven over the same block capability, on the workloads of perf/ext2.mjs: sequential
// writes (then sync) and fresh-mount reads of a large file in 64 KiB and 4 KiB chunks, small
// files created in one directory (then sync) and looked up + stat'ed on a fresh mount; plus the
// time to mount, the peak RSS added by the run, and e2fsck -fn of the image afterwards.
//
// Usage: node perf/ext2-compare.mjs [ext4|ext2|both] [MiB] [--ext2fs DIR]
//   DIR (or $EXT2FS_MODULE) is a directory from which require("ext2fs") resolves, or the
//   package's own directory; ext2fs is not a dependency of exojit (see docs/ext2-choice.md).
// Each (implementation, file system) pair runs in its own child process so that its peak RSS
// (VmHWM, reset after the common imports) is its own. Figures only; nothing passes or fails.

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const SELF = fileURLToPath(import.meta.url);
const FILES = 2000;
const secs = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;

function argValue(name) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function loadExt2fs(dir) {
  const req = createRequire(path.join(path.resolve(dir), "noop.js"));
  try {
    return req("ext2fs");
  } catch {
    return req(path.resolve(dir));
  }
}

function vmHwmKiB() {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) : NaN;
}

function resetPeak() {
  try {
    fs.writeFileSync("/proc/self/clear_refs", "5"); // resets VmHWM to the current RSS
  } catch {
    /* older kernels: the peak then includes the imports */
  }
}

// ---- child: one implementation on one fresh image ------------------------------------------

async function child(impl, kind, MB, ext2fsDir) {
  const { BlockDevice } = await import("../dist/hw/devices/blockdev.js");
  const { CapSpace } = await import("../dist/exokernel/caps.js");
  const { BlockService } = await import("../dist/exokernel/blockcap.js");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "exojit-cmp-"));
  const img = path.join(dir, "b.img");
  fs.writeFileSync(img, "");
  fs.truncateSync(img, Math.max(512, MB * 3) * 2 ** 20);
  execFileSync("mke2fs", ["-q", "-F", "-t", kind, img]);
  global.gc?.();
  resetPeak();
  const rss0 = process.memoryUsage().rss;
  const r = { impl, kind };

  let t0 = process.hrtime.bigint();
  const api = impl === "ours" ? await ours() : await wasm(loadExt2fs(ext2fsDir));
  r.init = secs(t0); // loading the implementation; ext2fs instantiates its wasm asynchronously,
  // so that lands in its first mount

  // Both mount through a block capability on the image, as a guest's file system would.
  async function attach() {
    const blocks = new BlockService(new CapSpace());
    const cap = blocks.attach(new BlockDevice(img));
    const t = process.hrtime.bigint();
    const m = await api.mount(blocks, cap);
    const took = secs(t);
    return { m, took, close: async () => { await m.unmount(); blocks.detach(cap); } };
  }

  for (const chunk of [65536, 4096]) {
    let a = await attach();
    if (chunk === 65536) r.mount = a.took;
    const buf = Buffer.alloc(chunk, 7);
    t0 = process.hrtime.bigint();
    const f = await a.m.createFile(`/big${chunk}`);
    for (let off = 0; off < MB * 2 ** 20; off += chunk) await f.pwrite(buf, off);
    await f.close();
    await a.m.sync();
    r[`w${chunk}`] = MB / secs(t0);
    await a.close();
    a = await attach();
    const g = await a.m.openFile(`/big${chunk}`);
    t0 = process.hrtime.bigint();
    for (let off = 0; off < MB * 2 ** 20; off += chunk) await g.pread(buf, off);
    r[`r${chunk}`] = MB / secs(t0);
    await g.close();
    await a.close();
  }
  let a = await attach();
  await a.m.mkdir("/d");
  t0 = process.hrtime.bigint();
  for (let i = 0; i < FILES; i++) {
    const f = await a.m.createFile(`/d/f${i}`);
    await f.pwrite(Buffer.from(`hello ${i}`), 0);
    await f.close();
  }
  await a.m.sync();
  r.create = FILES / secs(t0);
  await a.close();
  a = await attach();
  r.remount = a.took;
  t0 = process.hrtime.bigint();
  await a.m.statAll("/d", FILES);
  r.stat = FILES / secs(t0);
  await a.close();

  r.peakRssMiB = (vmHwmKiB() * 1024 - rss0) / 2 ** 20;
  try {
    execFileSync("e2fsck", ["-fn", img], { stdio: "pipe" });
    r.fsck = "clean";
  } catch (e) {
    r.fsck = `NOT clean (${e.status})`;
  }
  fs.rmSync(dir, { recursive: true, force: true });
  process.stdout.write(JSON.stringify(r) + "\n");
}

// Our Volume: synchronous; the async wrappers only give both the same driver loop.
async function ours() {
  const { capDisk } = await import("../dist/libexoc/ext2/cache.js");
  const { Ext2Fs } = await import("../dist/libexoc/ext2/fs.js");
  const { Ext2Volume } = await import("../dist/libexoc/ext2/volume.js");
  const RW = { read: true, write: true, append: false, nonblock: false };
  return {
    async mount(blocks, cap) {
      const vol = new Ext2Volume(new Ext2Fs(capDisk(blocks, cap)));
      const walk = (p) => p.split("/").filter(Boolean).reduce((n, s) => vol.lookup(n, Buffer.from(s)), vol.root());
      const split = (p) => [walk(path.posix.dirname(p)), Buffer.from(path.posix.basename(p))];
      const handle = (f) => ({ pwrite: (b, o) => f.pwrite(b, o), pread: (b, o) => f.pread(b, o), close: () => f.release() });
      return {
        createFile: (p) => { const [d, n] = split(p); return handle(vol.openData(vol.create(d, n, 0o100644, 0n, 0, 0), "", RW)); },
        openFile: (p) => handle(vol.openData(walk(p), "", RW)),
        mkdir: (p) => { const [d, n] = split(p); vol.mkdir(d, n, 0o755, 0, 0); },
        statAll: (p, n) => { const d = walk(p); for (let i = 0; i < n; i++) vol.getattr(vol.lookup(d, Buffer.from(`f${i}`))); },
        sync: () => vol.sync(),
        unmount: () => vol.unmount(),
      };
    },
  };
}

// ext2fs: its disk is any object with async read/write/flush/discard(byte offsets); this one
// forwards to the block capability, so it sees only the capability's sectors.
async function wasm(ext2fs) {
  const { SECTOR_SIZE } = await import("../dist/exokernel/blockcap.js");
  class CapDisk {
    constructor(blocks, cap) { this.blocks = blocks; this.cap = cap; }
    io(write, buffer, bufferOffset, length, position) {
      const view = buffer.subarray(bufferOffset, bufferOffset + length);
      const first = Math.floor(position / SECTOR_SIZE);
      const end = Math.ceil((position + length) / SECTOR_SIZE);
      if (position % SECTOR_SIZE === 0 && length % SECTOR_SIZE === 0) {
        if (write) this.blocks.write(this.cap, first, view);
        else this.blocks.read(this.cap, first, view);
        return;
      }
      const bounce = Buffer.alloc((end - first) * SECTOR_SIZE); // unaligned: read-modify-write
      this.blocks.read(this.cap, first, bounce);
      const at = position - first * SECTOR_SIZE;
      if (!write) { bounce.copy(view, 0, at, at + length); return; }
      view.copy(bounce, at);
      this.blocks.write(this.cap, first, bounce);
    }
    async read(buffer, bufferOffset, length, position) { this.io(false, buffer, bufferOffset, length, position); return { bytesRead: length, buffer }; }
    async write(buffer, bufferOffset, length, position) { this.io(true, buffer, bufferOffset, length, position); return { bytesWritten: length, buffer }; }
    async flush() { this.blocks.flush(this.cap); }
    async discard() {}
  }
  return {
    async mount(blocks, cap) {
      const efs = await ext2fs.mount(new CapDisk(blocks, cap), 0);
      const P = efs.promises;
      let unmounted = false;
      const handle = async (p, flags) => {
        const fd = (await P.open(p, flags, 0o644)).fd;
        return {
          pwrite: (b, o) => P.write(fd, b, 0, b.length, o),
          pread: (b, o) => P.read(fd, b, 0, b.length, o),
          close: () => P.close(fd),
        };
      };
      return {
        createFile: (p) => handle(p, "w+"),
        openFile: (p) => handle(p, "r+"),
        mkdir: (p) => P.mkdir(p, 0o755),
        statAll: async (p, n) => { for (let i = 0; i < n; i++) await P.stat(`${p}/f${i}`); },
        // It has no sync (fsync/fdatasync throw "unimplemented"): the bitmaps, group
        // descriptors and superblock reach the disk at unmount (ext2fs_close), so the timed
        // "sync" here is an unmount, and the harness's later unmount is skipped.
        sync: async () => { await ext2fs.umount(efs); unmounted = true; },
        unmount: async () => { if (!unmounted) await ext2fs.umount(efs); },
      };
    },
  };
}

// ---- parent: run the children, print the table --------------------------------------------

async function main() {
  const which = process.argv[2] && !process.argv[2].startsWith("--") ? process.argv[2] : "both";
  const MB = Number(process.argv[3] && !process.argv[3].startsWith("--") ? process.argv[3] : 64);
  const kinds = which === "both" ? ["ext4", "ext2"] : [which];
  const ext2fsDir = argValue("--ext2fs") ?? process.env.EXT2FS_MODULE;
  let haveWasm = false;
  if (ext2fsDir) {
    try {
      loadExt2fs(ext2fsDir);
      haveWasm = true;
    } catch {
      /* reported below */
    }
  }
  const impls = haveWasm ? ["ours", "ext2fs"] : ["ours"];
  const load = os.loadavg().map((x) => x.toFixed(2)).join(" ");
  const rows = [];
  for (const kind of kinds) {
    for (const impl of impls) {
      const out = execFileSync(process.execPath, ["--expose-gc", SELF, "--child", impl, kind, String(MB), ext2fsDir ?? ""], {
        encoding: "utf8",
        maxBuffer: 1 << 20,
        stdio: ["ignore", "pipe", "inherit"],
      });
      rows.push(JSON.parse(out.trim().split("\n").pop()));
    }
  }
  const version = haveWasm ? (() => {
    try {
      const req = createRequire(path.join(path.resolve(ext2fsDir), "noop.js"));
      return JSON.parse(fs.readFileSync(req.resolve("ext2fs/package.json"), "utf8")).version;
    } catch {
      return "?";
    }
  })() : "";
  console.log(`ext2 compare: ${MB} MiB files, ${FILES} small files; node ${process.version}, ${os.cpus().length} CPUs, load average before: ${load}`);
  if (!haveWasm) console.log("ext2fs column skipped: pass --ext2fs DIR or EXT2FS_MODULE=DIR (a directory with node_modules/ext2fs)");
  else console.log(`ext2fs ${version} from ${ext2fsDir}`);
  const f0 = (x) => x.toFixed(0);
  const ms = (x) => (x * 1000).toFixed(1);
  const lines = [
    ["", ...rows.map((r) => `${r.kind} ${r.impl}`)],
    ["load module (ms)", ...rows.map((r) => ms(r.init))],
    ["first mount, empty fs (ms)", ...rows.map((r) => ms(r.mount))],
    [`mount, ${FILES} files (ms)`, ...rows.map((r) => ms(r.remount))],
    ["write 64K + sync (MB/s)", ...rows.map((r) => f0(r.w65536))],
    ["read 64K (MB/s)", ...rows.map((r) => f0(r.r65536))],
    ["write 4K + sync (MB/s)", ...rows.map((r) => f0(r.w4096))],
    ["read 4K (MB/s)", ...rows.map((r) => f0(r.r4096))],
    ["create+write+sync (files/s)", ...rows.map((r) => f0(r.create))],
    ["lookup+stat (per s)", ...rows.map((r) => f0(r.stat))],
    ["peak RSS delta (MiB)", ...rows.map((r) => f0(r.peakRssMiB))],
    ["e2fsck -fn after", ...rows.map((r) => r.fsck)],
  ];
  const w = lines[0].map((_, i) => Math.max(...lines.map((l) => String(l[i]).length)));
  for (const l of lines) console.log(l.map((c, i) => (i === 0 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join("  "));
  console.log(`load average after: ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
}

if (process.argv[2] === "--child") {
  await child(process.argv[3], process.argv[4], Number(process.argv[5]), process.argv[6]);
  process.exit(0); // ext2fs keeps its runtime alive
} else {
  await main();
}
