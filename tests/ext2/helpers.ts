// Helpers of the ext2 tests: images made by the host's e2fsprogs (the oracle), mounted through
// the block device and its capability exactly as exojit mounts them, and checked afterwards
// with e2fsck -fn and debugfs. Every test works in its own temporary directory.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "vitest";
import { BlockDevice } from "../../src/hw/devices/blockdev.js";
import { BlockService } from "../../src/exokernel/blockcap.js";
import { CapSpace } from "../../src/exokernel/caps.js";
import { capDisk } from "../../src/libexoc/ext2/cache.js";
import { Ext2Fs } from "../../src/libexoc/ext2/fs.js";
import { Ext2Volume } from "../../src/libexoc/ext2/volume.js";
import type { VolumeNode } from "../../src/libexoc/volume.js";

export const RW = { read: true, write: true, append: false, nonblock: false };

/** A temporary directory removed by the returned function. */
export function tempDir(tag: string): [string, () => void] {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `exojit-${tag}-`));
  return [d, () => fs.rmSync(d, { recursive: true, force: true })];
}

/** Runs mke2fs on a new image of `mb` MiB with `args` (e.g. ["-t", "ext4"]). */
export function mke2fs(img: string, mb: number, args: string[], from?: string): void {
  fs.writeFileSync(img, "");
  fs.truncateSync(img, mb * 2 ** 20);
  const r = spawnSync("mke2fs", ["-q", "-F", ...args, ...(from ? ["-d", from] : []), img], { encoding: "utf8", env: { ...process.env, MKE2FS_CONFIG: "/etc/mke2fs.conf", E2FSPROGS_FAKE_TIME: "" } });
  if (r.status !== 0) throw new Error(`mke2fs ${args.join(" ")}: ${r.stderr}`);
}

/** e2fsck -fn's status and output. */
export function fsck(img: string): { status: number; out: string } {
  const r = spawnSync("e2fsck", ["-fn", img], { encoding: "utf8" });
  return { status: r.status ?? -1, out: r.stdout + r.stderr };
}

export function expectClean(img: string): void {
  const r = fsck(img);
  if (r.status !== 0) throw new Error(`e2fsck -fn ${img} exited ${r.status}:\n${r.out}`);
  expect(r.status).toBe(0);
}

/** debugfs -R CMD's standard output. */
export function debugfs(img: string, cmd: string): string {
  const r = spawnSync("debugfs", ["-R", cmd, img], { encoding: "buffer", maxBuffer: 1 << 28 });
  return r.stdout.toString("latin1");
}

export interface Mounted {
  vol: Ext2Volume;
  fs: Ext2Fs;
  close(): void;
}

/** Mounts `img` through a block device, its capability and a Volume. */
export function mount(img: string, readOnly = false, cacheBlocks?: number): Mounted {
  const blocks = new BlockService(new CapSpace());
  const cap = blocks.attach(new BlockDevice(img, { readOnly }));
  let efs: Ext2Fs;
  try {
    efs = new Ext2Fs(capDisk(blocks, cap), { readOnly, cacheBlocks });
  } catch (e) {
    blocks.detach(cap);
    throw e;
  }
  const vol = new Ext2Volume(efs);
  return {
    vol, fs: efs,
    close: () => {
      try {
        vol.unmount();
      } finally {
        blocks.detach(cap);
      }
    },
  };
}

/** The node at `p` (a path from the root), following no symlinks. */
export function walk(vol: Ext2Volume, p: string): VolumeNode {
  let n = vol.root();
  for (const part of p.split("/").filter((x) => x !== "")) {
    const next = vol.lookup(n, Buffer.from(part));
    if (next === null) throw new Error(`no ${part} in ${p}`);
    n = next;
  }
  return n;
}

/** A whole regular file's contents through an open file. */
export function readAll(vol: Ext2Volume, n: VolumeNode): Buffer {
  const size = Number(vol.getattr(n).size);
  const f = vol.openData(n, "", { read: true, write: false, append: false, nonblock: false });
  const out = Buffer.alloc(size);
  let off = 0;
  while (off < size) {
    const k = f.pread(out.subarray(off), off);
    if (k === 0) break;
    off += k;
  }
  f.release();
  return out;
}

export function writeFile(vol: Ext2Volume, dir: VolumeNode, name: string, data: Buffer, mode = 0o100644): VolumeNode {
  const n = vol.create(dir, Buffer.from(name), mode, 0n, 0, 0);
  const f = vol.openData(n, "", RW);
  let off = 0;
  while (off < data.length) off += f.pwrite(data.subarray(off), off);
  f.release();
  return n;
}

/** Every path of a tree as `path type perm size uid gid`, sorted: the same listing from us and
 *  debugfs (link counts are e2fsck's to check). */
export function listTree(vol: Ext2Volume, n: VolumeNode = vol.root(), prefix = ""): string[] {
  const out: string[] = [];
  for (const e of vol.readdir(n)) {
    const child = vol.lookup(n, e.name);
    if (child === null) throw new Error(`${e.name} listed but not found`);
    const st = vol.getattr(child);
    const p = `${prefix}/${e.name.toString("latin1")}`;
    const t = st.mode & 0o170000;
    out.push(`${p} ${t.toString(8)} ${(st.mode & 0o7777).toString(8)} ${t === 0o040000 ? "" : st.size} ${st.uid} ${st.gid}`);
    if (t === 0o040000) out.push(...listTree(vol, child, p));
  }
  return out.sort();
}

/** The same listing from debugfs (ls -p prints /ino/mode/uid/gid/name/size/). */
export function debugfsTree(img: string, dir = "/", prefix = ""): string[] {
  const out: string[] = [];
  for (const line of debugfs(img, `ls -p "${dir}"`).split("\n")) {
    const m = /^\/(\d+)\/(\d+)\/(\d+)\/(\d+)\/(.*)\/(\d*)\/$/.exec(line);
    if (!m || m[1] === "0" || m[5] === "." || m[5] === "..") continue;
    const mode = parseInt(m[2], 8);
    const p = `${prefix}/${m[5]}`;
    const t = mode & 0o170000;
    out.push(`${p} ${t.toString(8)} ${(mode & 0o7777).toString(8)} ${t === 0o040000 ? "" : t === 0o100000 || t === 0o120000 ? m[6] : 0} ${m[3]} ${m[4]}`);
    if (t === 0o040000) out.push(...debugfsTree(img, `${dir === "/" ? "" : dir}/${m[5]}`, p));
  }
  return out.sort();
}
