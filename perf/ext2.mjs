// Throughput of the ext2/ext4 Volume on an image made by mke2fs (needs e2fsprogs and a built
// dist/): sequential writes and reads of a large file, files created and stat'ed per second.
// Usage: node perf/ext2.mjs [ext4|ext2] [MiB]   (figures only; nothing here passes or fails)

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BlockDevice } from "../dist/hw/devices/blockdev.js";
import { CapSpace } from "../dist/exokernel/caps.js";
import { BlockService } from "../dist/exokernel/blockcap.js";
import { capDisk } from "../dist/libexoc/ext2/cache.js";
import { Ext2Fs } from "../dist/libexoc/ext2/fs.js";
import { Ext2Volume } from "../dist/libexoc/ext2/volume.js";

const kind = process.argv[2] ?? "ext4";
const MB = Number(process.argv[3] ?? 64);
const FILES = 2000;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "exojit-bench-"));
const img = path.join(dir, "b.img");
fs.writeFileSync(img, "");
fs.truncateSync(img, Math.max(512, MB * 3) * 2 ** 20);
execFileSync("mke2fs", ["-q", "-F", "-t", kind, img]);
const RW = { read: true, write: true, append: false, nonblock: false };

function mount() {
  const blocks = new BlockService(new CapSpace());
  const cap = blocks.attach(new BlockDevice(img));
  const vol = new Ext2Volume(new Ext2Fs(capDisk(blocks, cap)));
  return { vol, close: () => { vol.unmount(); blocks.detach(cap); } };
}

const secs = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;
const out = [];
for (const chunk of [65536, 4096]) {
  let m = mount();
  const n = m.vol.create(m.vol.root(), Buffer.from(`big${chunk}`), 0o100644, 0n, 0, 0);
  const f = m.vol.openData(n, "", RW);
  const buf = Buffer.alloc(chunk, 7);
  let t0 = process.hrtime.bigint();
  for (let off = 0; off < MB * 2 ** 20; off += chunk) f.pwrite(buf, off);
  f.release();
  m.vol.sync();
  out.push(`write ${MB} MiB in ${chunk / 1024} KiB writes, then sync: ${(MB / secs(t0)).toFixed(0)} MB/s`);
  m.close();
  m = mount();
  const g = m.vol.openData(m.vol.lookup(m.vol.root(), Buffer.from(`big${chunk}`)), "", RW);
  t0 = process.hrtime.bigint();
  for (let off = 0; off < MB * 2 ** 20; off += chunk) g.pread(buf, off);
  out.push(`read ${MB} MiB in ${chunk / 1024} KiB reads (fresh mount): ${(MB / secs(t0)).toFixed(0)} MB/s`);
  g.release();
  m.close();
}
let m = mount();
const d = m.vol.mkdir(m.vol.root(), Buffer.from("d"), 0o755, 0, 0);
let t0 = process.hrtime.bigint();
for (let i = 0; i < FILES; i++) {
  const n = m.vol.create(d, Buffer.from(`f${i}`), 0o100644, 0n, 0, 0);
  const f = m.vol.openData(n, "", RW);
  f.write(Buffer.from(`hello ${i}`));
  f.release();
}
m.vol.sync();
out.push(`create+write ${FILES} small files in one directory, then sync: ${(FILES / secs(t0)).toFixed(0)} files/s`);
m.close();
m = mount();
t0 = process.hrtime.bigint();
const dd = m.vol.lookup(m.vol.root(), Buffer.from("d"));
for (let i = 0; i < FILES; i++) m.vol.getattr(m.vol.lookup(dd, Buffer.from(`f${i}`)));
out.push(`lookup+stat ${FILES} files (fresh mount): ${(FILES / secs(t0)).toFixed(0)} per s`);
m.close();
let fsck = "clean";
try {
  execFileSync("e2fsck", ["-fn", img], { stdio: "pipe" });
} catch (e) {
  fsck = `NOT clean (status ${e.status})`;
}
console.log(`${kind}, ${MB} MiB:\n  ${out.join("\n  ")}\n  e2fsck -fn afterwards: ${fsck}`);
fs.rmSync(dir, { recursive: true, force: true });
