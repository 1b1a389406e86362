// The ext2/ext3/ext4 Volume against the host's e2fsprogs: images made by mke2fs in each layout
// users have (ext2 revisions 0 and 1 with 1, 2 and 4 KiB blocks, ext3, ext4 as mkfs.ext4 makes
// it, hashed directories), read through the Volume and compared with debugfs, then changed
// through it and checked with e2fsck -fn (clean) and debugfs (same tree, same bytes).

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SysError } from "../../src/libexoc/errors.js";
import type { Ext2Volume } from "../../src/libexoc/ext2/volume.js";
import { debugfs, debugfsTree, expectClean, listTree, mke2fs, mount, readAll, tempDir, walk, writeFile, RW } from "./helpers.js";

let dir = "";
let cleanup = (): void => {};
let src = "";
const isRoot = process.getuid?.() === 0;

/** Deterministic bytes (so failures are reproducible). */
function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

beforeAll(() => {
  [dir, cleanup] = tempDir("ext2");
  src = path.join(dir, "src");
  fs.mkdirSync(path.join(src, "sub", "deep"), { recursive: true });
  fs.writeFileSync(path.join(src, "empty"), "");
  fs.writeFileSync(path.join(src, "small.txt"), "hello, ext2\n");
  fs.writeFileSync(path.join(src, "thirteen"), pattern(13 * 1024 + 7, 1)); // past the direct blocks at 1 KiB
  fs.writeFileSync(path.join(src, "sub", "big.bin"), pattern(300_000, 2));
  fs.symlinkSync("small.txt", path.join(src, "fastlink"));
  fs.symlinkSync("x".repeat(120), path.join(src, "slowlink"));
  fs.linkSync(path.join(src, "small.txt"), path.join(src, "sub", "hardlink"));
  spawnSync("mkfifo", [path.join(src, "fifo")]);
  if (isRoot) spawnSync("mknod", [path.join(src, "tty0"), "c", "4", "0"]);
  fs.mkdirSync(path.join(src, "many"));
  for (let i = 0; i < 400; i++) fs.writeFileSync(path.join(src, "many", `entry-with-a-longish-name-${i}`), String(i));
  fs.chmodSync(path.join(src, "sub", "deep"), 0o750);
});

afterAll(() => cleanup());

const LAYOUTS: [string, string[], boolean?][] = [
  ["ext2 revision 0, 1 KiB blocks", ["-t", "ext2", "-r", "0", "-b", "1024"]],
  ["ext2 revision 1, 1 KiB blocks", ["-t", "ext2", "-b", "1024"]],
  ["ext2 revision 1, 2 KiB blocks", ["-t", "ext2", "-b", "2048"]],
  ["ext2 revision 1, 4 KiB blocks", ["-t", "ext2", "-b", "4096"]],
  ["ext3", ["-t", "ext3"]],
  ["ext4 as mkfs.ext4 makes it", ["-t", "ext4"]],
  ["ext4 with 4 KiB blocks", ["-t", "ext4", "-b", "4096"]],
  ["ext4 with hashed directories (e2fsck -D)", ["-t", "ext4"], true],
];

/** Changes of every kind through the Volume. */
function exercise(vol: Ext2Volume): void {
  const root = vol.root();
  const d = vol.mkdir(root, Buffer.from("newdir"), 0o755, 1000, 100);
  for (let i = 0; i < 150; i++) writeFile(vol, d, `f${i}`, pattern(i * 37, i));
  writeFile(vol, root, "large", pattern(1_500_000, 9));
  vol.symlink(d, Buffer.from("short"), Buffer.from("../large"), 0, 0);
  vol.symlink(d, Buffer.from("long"), Buffer.from("y".repeat(300)), 0, 0);
  vol.create(d, Buffer.from("pipe"), 0o010640, 0n, 0, 0);
  vol.create(d, Buffer.from("disk"), 0o060660, (8n << 8n) | 1n, 0, 6);
  vol.create(d, Buffer.from("bigdev"), 0o020600, (300n << 8n) | 5n | (0x1234n << 12n), 0, 0); // needs the new encoding
  vol.link(d, Buffer.from("large-again"), walk(vol, "/large"));
  for (let i = 0; i < 150; i += 3) vol.unlink(d, Buffer.from(`f${i}`));
  vol.rename(root, Buffer.from("sub"), d, Buffer.from("moved-sub"), { noReplace: false, exchange: false });
  vol.rename(d, Buffer.from("f1"), d, Buffer.from("f2"), { noReplace: false, exchange: false });
  vol.mkdir(d, Buffer.from("gone"), 0o700, 0, 0);
  vol.rmdir(d, Buffer.from("gone"));
  // Changes to a large directory (hashed in some layouts).
  const many = walk(vol, "/many");
  for (let i = 0; i < 400; i += 2) vol.unlink(many, Buffer.from(`entry-with-a-longish-name-${i}`));
  for (let i = 0; i < 200; i++) writeFile(vol, many, `added-${i}`, Buffer.from(`added ${i}`));
  vol.setattr(walk(vol, "/thirteen"), { size: 5000 });
  vol.setattr(walk(vol, "/small.txt"), { perm: 0o600, uid: 123, gid: 456, mtimeNs: 1_000_000_000_123_456_789n });
}

describe.each(LAYOUTS)("ext2 Volume on %s", { timeout: 60_000 }, (_name, args, hashed) => {
  let img = "";
  beforeAll(() => {
    img = path.join(dir, `${args.join("")}${hashed ? "D" : ""}.img`);
    mke2fs(img, 32, args, src);
    if (hashed) spawnSync("e2fsck", ["-fyD", img]);
    expectClean(img);
    if (hashed) expect(debugfs(img, "htree /many")).toMatch(/Root node dump/);
  });

  it("reads the tree as debugfs does", () => {
    const m = mount(img, true);
    try {
      expect(listTree(m.vol)).toEqual(debugfsTree(img));
      expect(readAll(m.vol, walk(m.vol, "/sub/big.bin")).equals(fs.readFileSync(path.join(src, "sub", "big.bin")))).toBe(true);
      expect(readAll(m.vol, walk(m.vol, "/thirteen")).equals(fs.readFileSync(path.join(src, "thirteen")))).toBe(true);
      expect(m.vol.readlink(walk(m.vol, "/fastlink")).toString()).toBe("small.txt");
      expect(m.vol.readlink(walk(m.vol, "/slowlink")).toString()).toBe("x".repeat(120));
      expect(m.vol.getattr(walk(m.vol, "/sub/hardlink")).ino).toBe(m.vol.getattr(walk(m.vol, "/small.txt")).ino);
      expect(m.vol.getattr(walk(m.vol, "/fifo")).mode & 0o170000).toBe(0o010000);
      if (isRoot) expect(m.vol.getattr(walk(m.vol, "/tty0")).rdev).toBe(fs.statSync(path.join(src, "tty0"), { bigint: true }).rdev);
      const names = m.vol.readdir(walk(m.vol, "/many")).map((e) => e.name.toString());
      expect(names.length).toBe(400);
      expect(m.vol.lookup(walk(m.vol, "/many"), Buffer.from("entry-with-a-longish-name-399"))).not.toBeNull();
      expect(() => m.vol.mkdir(m.vol.root(), Buffer.from("x"), 0o755, 0, 0)).toThrow(/EROFS/);
    } finally {
      m.close();
    }
  });

  it("writes files, directories, links and nodes that e2fsck accepts and debugfs agrees with", () => {
    const w = path.join(dir, `w-${path.basename(img)}`);
    fs.copyFileSync(img, w);
    const m = mount(w);
    try {
      exercise(m.vol);
    } finally {
      m.close();
    }
    expectClean(w);
    const again = mount(w, true);
    try {
      expect(listTree(again.vol)).toEqual(debugfsTree(w));
      expect(readAll(again.vol, walk(again.vol, "/large")).equals(pattern(1_500_000, 9))).toBe(true);
      expect(again.vol.readlink(walk(again.vol, "/newdir/long")).toString()).toBe("y".repeat(300));
      expect(again.vol.getattr(walk(again.vol, "/newdir/bigdev")).rdev).toBe((300n << 8n) | 5n | (0x1234n << 12n));
      const st = again.vol.getattr(walk(again.vol, "/small.txt"));
      expect([st.mode & 0o7777, st.uid, st.gid, st.mtimeNs]).toEqual([0o600, 123, 456, again.fs.itable.isz > 128 ? 1_000_000_000_123_456_789n : 1_000_000_000_000_000_000n]);
    } finally {
      again.close();
    }
    expect(Buffer.from(debugfs(w, "cat /newdir/f2"), "latin1").equals(pattern(37, 1))).toBe(true);
    expect(Buffer.from(debugfs(w, "cat /large"), "latin1").equals(pattern(1_500_000, 9))).toBe(true);
    expect(debugfs(w, "stat /newdir/disk")).toMatch(/Device major\/minor number: 08:01/);
  });
});

describe("ext2 Volume, special cases", { timeout: 60_000 }, () => {
  it("maps files through single, double and triple indirect blocks and frees them all", () => {
    const img = path.join(dir, "indirect.img");
    mke2fs(img, 16, ["-t", "ext2", "-b", "1024"]);
    const m = mount(img);
    const before = m.vol.statfs().bfree;
    const n = writeFile(m.vol, m.vol.root(), "sparse", Buffer.alloc(0));
    const f = m.vol.openData(n, "", RW);
    const offsets = [0, 12 * 1024, (12 + 256) * 1024 + 5, (12 + 256 + 65536) * 1024 + 77]; // direct, single, double, triple
    for (const [k, off] of offsets.entries()) f.pwrite(pattern(3000, k), off);
    for (const [k, off] of offsets.entries()) {
      const b = Buffer.alloc(3000);
      expect(f.pread(b, off)).toBe(3000);
      expect(b.equals(pattern(3000, k))).toBe(true);
    }
    const hole = Buffer.alloc(100, 1);
    f.pread(hole, 40 * 1024);
    expect(hole.every((x) => x === 0)).toBe(true);
    f.release();
    m.close();
    expectClean(img);
    expect(Buffer.from(debugfs(img, "cat /sparse"), "latin1").subarray(offsets[3], offsets[3] + 3000).equals(pattern(3000, 3))).toBe(true);
    const m2 = mount(img);
    m2.vol.setattr(walk(m2.vol, "/sparse"), { size: 100 });
    expect(m2.vol.statfs().bfree).toBe(before - 1);
    m2.vol.unlink(m2.vol.root(), Buffer.from("sparse"));
    expect(m2.vol.statfs().bfree).toBe(before);
    m2.close();
    expectClean(img);
  });

  it("keeps deep extent trees valid as a file fragments and heals", () => {
    const img = path.join(dir, "extents.img");
    mke2fs(img, 16, ["-t", "ext4", "-b", "1024"]);
    const m = mount(img);
    const a = writeFile(m.vol, m.vol.root(), "a", Buffer.alloc(0));
    const b = writeFile(m.vol, m.vol.root(), "b", Buffer.alloc(0));
    const fa = m.vol.openData(a, "", RW), fb = m.vol.openData(b, "", RW);
    // Interleaved appends make every block of each file its own extent: depth 2 at 1 KiB.
    for (let i = 0; i < 800; i++) {
      fa.pwrite(pattern(1024, i), i * 1024);
      fb.pwrite(pattern(1024, i + 1), i * 1024);
    }
    fa.release();
    fb.release();
    m.close();
    expectClean(img);
    expect(debugfs(img, "stat /a")).toMatch(/\(1\):|Level Entries/);
    const m2 = mount(img);
    expect(readAll(m2.vol, walk(m2.vol, "/a")).subarray(799 * 1024).equals(pattern(1024, 799))).toBe(true);
    m2.vol.unlink(m2.vol.root(), Buffer.from("b"));
    m2.vol.setattr(walk(m2.vol, "/a"), { size: 3000 });
    m2.close();
    expectClean(img);
  });

  it("fails with ENOSPC when full and stays consistent", () => {
    for (const args of [["-t", "ext2", "-b", "1024"], ["-t", "ext4"]]) {
      const img = path.join(dir, `full${args[1]}.img`);
      mke2fs(img, 4, args);
      const m = mount(img);
      const n = writeFile(m.vol, m.vol.root(), "fill", Buffer.alloc(0));
      const f = m.vol.openData(n, "", RW);
      let off = 0;
      let err: unknown = null;
      try {
        for (;;) off += f.pwrite(pattern(65536, off), off);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SysError);
      expect((err as SysError).errno).toBe("ENOSPC");
      expect(m.vol.statfs().bfree).toBe(0);
      expect(() => m.vol.mkdir(m.vol.root(), Buffer.from("d"), 0o755, 0, 0)).toThrow(/ENOSPC/);
      f.release();
      // Inodes run out too (each file needs none of the blocks while empty).
      let made = 0;
      try {
        for (;;) m.vol.create(m.vol.root(), Buffer.from(`e${made++}`), 0o100644, 0n, 0, 0);
      } catch (e) {
        expect((e as SysError).errno).toBe("ENOSPC");
      }
      m.close();
      expectClean(img);
      const m2 = mount(img);
      expect(readAll(m2.vol, walk(m2.vol, "/fill")).length).toBe(off);
      m2.vol.unlink(m2.vol.root(), Buffer.from("fill"));
      writeFile(m2.vol, walk(m2.vol, "/"), "after", pattern(50_000, 5));
      m2.close();
      expectClean(img);
    }
  });

  it("keeps an unlinked file's data until its last open file closes", () => {
    const img = path.join(dir, "orphan.img");
    mke2fs(img, 8, ["-t", "ext4"]);
    const m = mount(img);
    const free0 = m.vol.statfs().bfree;
    const n = writeFile(m.vol, m.vol.root(), "tmp", pattern(20_000, 3));
    const f = m.vol.openData(n, "", RW);
    m.vol.unlink(m.vol.root(), Buffer.from("tmp"));
    expect(m.vol.lookup(m.vol.root(), Buffer.from("tmp"))).toBeNull();
    const b = Buffer.alloc(20_000);
    expect(f.pread(b, 0)).toBe(20_000);
    expect(b.equals(pattern(20_000, 3))).toBe(true);
    expect(f.stat().nlink).toBe(0);
    // A run killed now leaves the inode on the orphan chain; the next mount frees it.
    m.vol.sync();
    const killed = path.join(dir, "orphan-killed.img");
    fs.copyFileSync(img, killed);
    f.release();
    expect(m.vol.statfs().bfree).toBe(free0);
    m.close();
    expectClean(img);
    expect(debugfs(killed, "stats")).toMatch(/First orphan inode: +\d+/);
    const m2 = mount(killed);
    expect(m2.vol.statfs().bfree).toBe(free0);
    m2.close();
    expectClean(killed);
  });

  it("keeps inode flags (chattr), reports them, birth times, holes and extents, and enforces immutable and append-only", () => {
    const img = path.join(dir, "flags.img");
    mke2fs(img, 8, ["-t", "ext4", "-b", "1024"]);
    const m = mount(img);
    const root = m.vol.root();
    const n = writeFile(m.vol, root, "f", pattern(3000, 5));
    const st = m.vol.getattr(n);
    expect(st.btimeNs).toBeGreaterThan(0n);
    expect(st.attributesMask).toBe(0x74);
    expect(m.vol.inodeFlags(n) & 0x80000).toBe(0x80000); // (extents)
    m.vol.setInodeFlags(n, m.vol.inodeFlags(n) | 0x10, true);
    expect(m.vol.getattr(n).attributes).toBe(0x10);
    expect(() => m.vol.setInodeFlags(n, 0, false)).toThrow(SysError); // (needs CAP_LINUX_IMMUTABLE)
    expect(() => m.vol.openData(n, "", RW)).toThrow(SysError);
    expect(() => m.vol.unlink(root, Buffer.from("f"))).toThrow(SysError);
    expect(() => m.vol.setattr(n, { perm: 0o600 })).toThrow(SysError);
    m.vol.setInodeFlags(n, (m.vol.inodeFlags(n) & ~0x10) | 0x20, true);
    expect(() => m.vol.openData(n, "", RW)).toThrow(SysError);
    expect(m.vol.openData(n, "", { ...RW, append: true })).toBeDefined();
    m.vol.setInodeFlags(n, m.vol.inodeFlags(n) & ~0x20, true);
    // a hole: 20 KiB written at 40 KiB of an empty file
    const h = writeFile(m.vol, root, "holey", Buffer.alloc(0));
    const hf = m.vol.openData(h, "", RW);
    hf.pwrite(pattern(20 * 1024, 7), 40 * 1024);
    expect(m.vol.nextDataOrHole(m.vol.fs.iget(Number(m.vol.getattr(h).ino)), 0, false)).toBe(40 * 1024);
    expect(m.vol.nextDataOrHole(m.vol.fs.iget(Number(m.vol.getattr(h).ino)), 0, true)).toBe(0);
    const ext = m.vol.fileExtents(h, 0, 2 ** 40);
    expect(ext.map((e) => [e.logical, e.length, e.last])).toEqual([[40 * 1024, 20 * 1024, true]]);
    m.close();
    expectClean(img);
    // (debugfs sees the flags as set: extents only, immutable and append-only cleared again)
    expect(debugfs(img, "stat /f")).toMatch(/Flags: 0x80000\b/);
  });

  it("renames as POSIX says, and refuses what would break the tree", () => {
    const img = path.join(dir, "rename.img");
    mke2fs(img, 8, ["-t", "ext4"]);
    const m = mount(img);
    const v = m.vol, root = v.root();
    const a = v.mkdir(root, Buffer.from("a"), 0o755, 0, 0);
    const b = v.mkdir(a, Buffer.from("b"), 0o755, 0, 0);
    v.mkdir(root, Buffer.from("empty"), 0o755, 0, 0);
    writeFile(v, root, "x", Buffer.from("x"));
    writeFile(v, root, "y", Buffer.from("y"));
    const no = { noReplace: false, exchange: false };
    expect(() => v.rename(root, Buffer.from("a"), b, Buffer.from("inside"), no)).toThrow(/EINVAL/);
    expect(() => v.rename(root, Buffer.from("x"), root, Buffer.from("y"), { noReplace: true, exchange: false })).toThrow(/EEXIST/);
    expect(() => v.rename(root, Buffer.from("x"), root, Buffer.from("a"), no)).toThrow(/EISDIR/);
    expect(() => v.rename(root, Buffer.from("empty"), root, Buffer.from("a"), no)).toThrow(/ENOTEMPTY/);
    v.rename(root, Buffer.from("x"), root, Buffer.from("y"), no);
    expect(readAll(v, walk(v, "/y")).toString()).toBe("x");
    v.rename(root, Buffer.from("y"), a, Buffer.from("b"), { noReplace: false, exchange: true });
    expect(v.getattr(walk(v, "/y")).mode & 0o170000).toBe(0o040000);
    expect(v.getattr(root).nlink).toBe(6); // 2, and lost+found, a, empty, y (the exchanged directory)
    v.rename(root, Buffer.from("y"), a, Buffer.from("b"), { noReplace: false, exchange: true });
    v.rename(a, Buffer.from("b"), root, Buffer.from("empty"), no);
    expect(v.getattr(a).nlink).toBe(2);
    m.close();
    expectClean(img);
  });

  it("reports bad checksums as EUCLEAN, never a crash", () => {
    const img = path.join(dir, "csum.img");
    mke2fs(img, 8, ["-t", "ext4"], src);
    // The inode of /small.txt: corrupt one byte of its record.
    const imap = debugfs(img, "imap /small.txt");
    const m1 = /located at block (\d+), offset (0x[0-9a-f]+)/.exec(imap);
    expect(m1).not.toBeNull();
    const bs = 1024;
    const fd = fs.openSync(img, "r+");
    const at = Number(m1?.[1]) * bs + Number(m1?.[2]) + 0x20; // i_flags
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, at);
    b[0] ^= 0x40;
    fs.writeSync(fd, b, 0, 1, at);
    fs.closeSync(fd);
    const m = mount(img, true);
    try {
      let err: unknown = null;
      try {
        m.vol.getattr(walk(m.vol, "/small.txt"));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SysError);
      expect((err as SysError).errno).toBe("EUCLEAN");
      expect(readAll(m.vol, walk(m.vol, "/sub/big.bin")).length).toBe(300_000);
    } finally {
      m.close();
    }
  });
});
