// Images exojit must refuse, each with one clear line and without writing to them: missing,
// empty, truncated, not ext2, a corrupted superblock, group descriptor or inode table, features
// we do not support, a journal that needs recovery, an image another exojit has open
// read-write. Then random corruption: whatever the bytes, mounting and walking the image gives
// SysError or MountError only, and a rejected image is left byte for byte as it was. Last,
// durability: data fsync'ed by a process that is then killed is on the image, which is clean.

import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, REPO } from "../helpers/guest.js";
import { SysError } from "../../src/libexoc/errors.js";
import { MountError } from "../../src/libexoc/ext2/errors.js";
import { DiskOpenError } from "../../src/hw/devices/blockdev.js";
import { lockDir } from "../../src/hw/devices/imagelock.js";
import { debugfs, expectClean, mke2fs, mount, readAll, tempDir, walk, writeFile } from "./helpers.js";

let dir = "";
let cleanup = (): void => {};
let ext2img = "", ext4img = "", src = "";

function boot(img: string): { status: number; stderr: string } {
  const r = spawnSync("node", [CLI, "boot", img], { encoding: "utf8", cwd: dir, timeout: 30_000 });
  return { status: r.status ?? -1, stderr: r.stderr };
}

function sha(p: string): string {
  return createHash("sha256").update(fs.readFileSync(p)).digest("hex");
}

/** A copy of `img` with `edit` applied to its bytes. */
function variant(img: string, name: string, edit: (b: Buffer) => void): string {
  const b = fs.readFileSync(img);
  edit(b);
  const p = path.join(dir, name);
  fs.writeFileSync(p, b);
  return p;
}

/** Expects `exojit boot img` to refuse the image with one line matching `what`, unchanged. */
function refused(img: string, what: RegExp): void {
  const before = fs.existsSync(img) && fs.statSync(img).isFile() ? sha(img) : "";
  const r = boot(img);
  expect(r.stderr).toMatch(/^exojit: [^\n]*\n$/);
  expect(r.stderr).toMatch(what);
  expect(r.status).toBe(2);
  if (before !== "") expect(sha(img)).toBe(before);
}

beforeAll(() => {
  [dir, cleanup] = tempDir("badimg");
  src = path.join(dir, "src");
  fs.mkdirSync(path.join(src, "d"), { recursive: true });
  for (let i = 0; i < 30; i++) fs.writeFileSync(path.join(src, "d", `f${i}`), `file ${i}\n`.repeat(i * 40));
  fs.symlinkSync("d/f1", path.join(src, "l"));
  ext2img = path.join(dir, "ext2.img");
  ext4img = path.join(dir, "ext4.img");
  mke2fs(ext2img, 2, ["-t", "ext2", "-b", "1024", "-N", "64"], src);
  mke2fs(ext4img, 4, ["-t", "ext4", "-N", "64"], src);
});

afterAll(() => cleanup());

describe("exojit refuses bad images with one line", { timeout: 60_000 }, () => {
  it("accepts a good image (which has no init: the boot gets as far as starting it)", () => {
    const r = boot(ext4img);
    expect(r.stderr).toMatch(/^exojit: [^\n]*ext4\.img: cannot start \/sbin\/init \(ENOENT\)\n$/);
    expect(r.status).toBe(127);
  });

  it("finds the file system in the first partition of an MBR disk", () => {
    const fsBytes = fs.readFileSync(ext2img);
    const disk = Buffer.alloc(2048 * 512 + fsBytes.length);
    fsBytes.copy(disk, 2048 * 512);
    const part = 446;
    disk[part + 4] = 0x83; // Linux
    disk.writeUInt32LE(2048, part + 8);
    disk.writeUInt32LE(fsBytes.length / 512, part + 12);
    disk[510] = 0x55;
    disk[511] = 0xaa;
    const img = path.join(dir, "mbr.img");
    fs.writeFileSync(img, disk);
    expect(boot(img).stderr).toMatch(/cannot start \/sbin\/init \(ENOENT\)/);
    disk[part + 4] = 0x07; // not Linux: the whole disk is tried, and is not ext2
    fs.writeFileSync(img, disk);
    refused(img, /not an ext2\/ext3\/ext4 file system/);
  });

  it("missing, empty, truncated, not ext2", () => {
    refused(path.join(dir, "nope.img"), /nope\.img: no such file/);
    fs.writeFileSync(path.join(dir, "empty.img"), "");
    refused(path.join(dir, "empty.img"), /the image is empty/);
    refused(variant(ext4img, "trunc.img", () => {}) && truncateTo(path.join(dir, "trunc.img"), 1 << 20), /image is truncated: the file system has \d+ blocks/);
    fs.writeFileSync(path.join(dir, "text.img"), "just text\n".repeat(1000));
    refused(path.join(dir, "text.img"), /not an ext2\/ext3\/ext4 file system/);
    refused(dir, /is a directory|not a regular file/);
  });

  it("a corrupted superblock, group descriptor or inode table", () => {
    refused(variant(ext2img, "sb.img", (b) => b.writeUInt32LE(25, 1024 + 0x18)), /corrupted superblock: block size/);
    refused(variant(ext4img, "sbcsum.img", (b) => (b[1024 + 0x78] ^= 1)), /corrupted superblock: checksum mismatch/);
    // ext2 without checksums: the descriptor of group 0 (block 2) points its inode table away.
    refused(variant(ext2img, "gd.img", (b) => b.writeUInt32LE(0xfffffff, 2048 + 8)), /corrupted file system: group 0: inode table/);
    refused(variant(ext4img, "gdcsum.img", (b) => (b[2048 + 0x0c] ^= 1)), /group descriptor 0 checksum mismatch/);
    const at = /located at block (\d+), offset (0x[0-9a-f]+)/.exec(debugfs(ext2img, "imap <2>"));
    const rootAt = Number(at?.[1]) * 1024 + Number(at?.[2]);
    refused(variant(ext2img, "root.img", (b) => b.writeUInt16LE(0o100644, rootAt)), /the root inode is not a directory/);
    refused(variant(ext4img, "rootcsum.img", (b) => (b[rootAt4(ext4img) + 0x20] ^= 8)), /inode 2 checksum mismatch/);
  });

  it("features we do not support, and a journal that needs recovery", () => {
    const inl = path.join(dir, "inline.img");
    mke2fs(inl, 4, ["-t", "ext4", "-O", "inline_data"]);
    refused(inl, /unsupported ext4 features: inline_data/);
    const rec = path.join(dir, "recover.img");
    fs.copyFileSync(ext4img, rec);
    spawnSync("debugfs", ["-w", "-R", "feature needs_recovery", rec]);
    refused(rec, /the journal needs recovery .*e2fsck/);
    // Read-only-compatible features we cannot keep up to date: mounted read-only, with the reason.
    const q = path.join(dir, "quota.img");
    mke2fs(q, 8, ["-t", "ext4", "-O", "quota"]);
    const m = mount(q);
    try {
      expect(m.fs.readOnly).toBe(true);
      expect(m.fs.readOnlyWhy).toMatch(/quota/);
    } finally {
      m.close();
    }
  });

  it("an image another exojit has open read-write, and a stale lock", async () => {
    const img = path.join(dir, "locked.img");
    fs.copyFileSync(ext4img, img);
    const holder = spawn("node", ["--input-type=module", "-e", `
      import { BlockDevice } from ${JSON.stringify(path.join(REPO, "dist/hw/devices/blockdev.js"))};
      new BlockDevice(${JSON.stringify(img)});
      process.stdout.write("open\\n");
      setInterval(() => {}, 1000);`], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      await new Promise<void>((res) => holder.stdout.once("data", () => res()));
      refused(img, new RegExp(`in use read-write by another exojit \\(pid ${holder.pid}\\)`));
      expect(() => mount(img)).toThrow(DiskOpenError);
    } finally {
      holder.kill("SIGKILL");
      await new Promise((res) => holder.once("exit", res));
    }
    // The killed holder's lock is stale now: opening works and takes it over.
    const m = mount(img);
    m.close();
    expect(fs.readdirSync(lockDir()).filter((f) => f.includes(".stale-"))).toEqual([]);
  });
});

function truncateTo(p: string, n: number): string {
  fs.truncateSync(p, n);
  return p;
}

/** Byte offset of the root inode in an image. */
function rootAt4(img: string): number {
  const at = /located at block (\d+), offset (0x[0-9a-f]+)/.exec(debugfs(img, "imap <2>"));
  const bs = Number(/Block size: +(\d+)/.exec(debugfs(img, "stats"))?.[1]);
  return Number(at?.[1]) * bs + Number(at?.[2]);
}

/** Deterministic random numbers for the corruption test. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** Walks everything a guest could reach and tries a few changes; returns the errors met. */
function exerciseCorrupt(img: string): string[] {
  const seen: string[] = [];
  const guard = (f: () => void): void => {
    try {
      f();
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
      seen.push(e.errno);
    }
  };
  const m = mount(img);
  try {
    const visit = (n: ReturnType<typeof m.vol.root>, depth: number): void => {
      guard(() => {
        for (const e of m.vol.readdir(n)) {
          guard(() => {
            const c = m.vol.lookup(n, e.name);
            if (c === null) return;
            const st = m.vol.getattr(c);
            const t = st.mode & 0o170000;
            if (t === 0o040000 && depth < 6) visit(c, depth + 1);
            else if (t === 0o120000) m.vol.readlink(c);
            else if (t === 0o100000) {
              const f = m.vol.openData(c, "", { read: true, write: false, append: false, nonblock: false });
              f.pread(Buffer.alloc(Math.min(Number(st.size), 1 << 20)), 0);
              f.release();
            }
          });
        }
      });
    };
    visit(m.vol.root(), 0);
    if (!m.fs.readOnly) {
      guard(() => writeFile(m.vol, m.vol.root(), "new", Buffer.alloc(5000, 1)));
      guard(() => m.vol.mkdir(m.vol.root(), Buffer.from("newdir"), 0o755, 0, 0));
      guard(() => m.vol.unlink(walk(m.vol, "/d"), Buffer.from("f3")));
      guard(() => m.vol.setattr(walk(m.vol, "/d/f20"), { size: 10 }));
    }
  } finally {
    guard(() => m.close());
  }
  return seen;
}

describe("random corruption", { timeout: 120_000 }, () => {
  it.each([["ext2", 40], ["ext4", 40]])("%s: neither crashes nor writes to an image it rejected (%i images)", (kind, count) => {
    const base = kind === "ext2" ? ext2img : ext4img;
    const pristine = fs.readFileSync(base);
    // Metadata lives in the first blocks: superblock, descriptors, bitmaps, inode tables, dirs.
    const span = Math.min(pristine.length, 160 * 1024);
    const rand = rng(kind === "ext2" ? 12345 : 67890);
    let rejected = 0, accepted = 0;
    for (let k = 0; k < count; k++) {
      const b = Buffer.from(pristine);
      const hits = 1 + Math.floor(rand() * 16);
      // A third of the bytes hit the superblock and descriptors, the rest anywhere in the metadata.
      for (let h = 0; h < hits; h++) b[Math.floor(rand() < 0.3 ? 1024 + rand() * 2048 : rand() * span)] = Math.floor(rand() * 256);
      const img = path.join(dir, `fuzz-${kind}.img`);
      fs.writeFileSync(img, b);
      const before = sha(img);
      try {
        exerciseCorrupt(img);
        accepted++;
      } catch (e) {
        if (!(e instanceof MountError)) throw new Error(`image ${k}: ${e instanceof Error ? e.stack : String(e)}`);
        rejected++;
        expect(sha(img)).toBe(before);
      }
    }
    expect(rejected + accepted).toBe(count);
    // Both outcomes happen, or the test would not be testing both paths.
    expect(rejected).toBeGreaterThan(0);
    expect(accepted).toBeGreaterThan(0);
  });
});

describe("durability", { timeout: 60_000 }, () => {
  it("data fsync'ed before the process is killed is on the image, and the image is clean", async () => {
    const img = path.join(dir, "durable.img");
    fs.copyFileSync(ext4img, img);
    const child = spawn("node", ["--input-type=module", "-e", `
      import { BlockDevice } from ${JSON.stringify(path.join(REPO, "dist/hw/devices/blockdev.js"))};
      import { CapSpace } from ${JSON.stringify(path.join(REPO, "dist/exokernel/caps.js"))};
      import { BlockService } from ${JSON.stringify(path.join(REPO, "dist/exokernel/blockcap.js"))};
      import { capDisk } from ${JSON.stringify(path.join(REPO, "dist/libexoc/ext2/cache.js"))};
      import { Ext2Fs } from ${JSON.stringify(path.join(REPO, "dist/libexoc/ext2/fs.js"))};
      import { Ext2Volume } from ${JSON.stringify(path.join(REPO, "dist/libexoc/ext2/volume.js"))};
      const blocks = new BlockService(new CapSpace());
      const cap = blocks.attach(new BlockDevice(${JSON.stringify(img)}));
      const vol = new Ext2Volume(new Ext2Fs(capDisk(blocks, cap)));
      const n = vol.create(vol.root(), Buffer.from("kept"), 0o100644, 0n, 0, 0);
      const f = vol.openData(n, "", { read: true, write: true, append: false, nonblock: false });
      f.write(Buffer.from("survives a kill\\n".repeat(1000)));
      f.fsync();
      process.stdout.write("synced\\n");
      setInterval(() => {}, 1000);`], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((res) => child.stdout.once("data", () => res()));
    child.kill("SIGKILL");
    await new Promise((res) => child.once("exit", res));
    expectClean(img);
    const m = mount(img, true);
    try {
      expect(readAll(m.vol, walk(m.vol, "/kept")).toString()).toBe("survives a kill\n".repeat(1000));
    } finally {
      m.close();
    }
  });
});
