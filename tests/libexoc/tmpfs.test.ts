// tmpfs as a volume, through the Volume contract only: what it stores (files, directories,
// links, device nodes), how it counts (link counts, sizes, blocks, space and inodes), what it
// refuses, and how its open files read and write.

import { describe, expect, it } from "vitest";
import { TmpFs, TMPFS_MAGIC } from "../../src/libexoc/volumes/tmpfs.js";
import { S_IFMT, S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFIFO, SEEK_END, type OpenMode } from "../../src/libexoc/file.js";
import { SysError } from "../../src/libexoc/errors.js";
import { makeDev } from "../../src/libexoc/vfs/devices.js";
import { makeDevfs, addDeviceNode } from "../../src/libexoc/volumes/devfs.js";
import type { VolumeNode } from "../../src/libexoc/volume.js";

const WHO = { tid: 1, proc: { pid: 1, euid: 0, egid: 0, groups: [] } };
const RW: OpenMode = { read: true, write: true, append: false, nonblock: false };
const name = (s: string): Buffer => Buffer.from(s, "latin1");

function errno(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof SysError) return e.errno;
    throw e;
  }
  return "ok";
}

function fresh(o: { maxBytes?: number; maxInodes?: number } = {}): { v: TmpFs; root: VolumeNode } {
  const v = new TmpFs({ dev: 77n, ...o });
  return { v, root: v.root(WHO) };
}

function file(v: TmpFs, dir: VolumeNode, n: string, text = ""): VolumeNode {
  const node = v.create(dir, name(n), S_IFREG | 0o644, 0n, 1000, 100);
  if (text !== "") {
    const f = v.openData(node, `/${n}`, RW);
    f.write(Buffer.from(text));
    f.drop();
  }
  return node;
}

function read(v: TmpFs, node: VolumeNode): string {
  const f = v.openData(node, "/x", RW);
  const buf = new Uint8Array(Number(v.getattr(node).size));
  const n = f.read(buf);
  f.drop();
  return Buffer.from(buf.subarray(0, n)).toString("latin1");
}

describe("tmpfs", () => {
  it("starts with a sticky root open to all, and reports its statfs figures", () => {
    const { v, root } = fresh({ maxBytes: 1 << 20, maxInodes: 100 });
    const st = v.getattr(root);
    expect(st.mode).toBe(S_IFDIR | 0o1777);
    expect([st.nlink, st.size, st.dev]).toEqual([2, 40n, 77n]);
    expect(v.statfs(root)).toEqual({ type: TMPFS_MAGIC, bsize: 4096, blocks: 256, bfree: 256, bavail: 256, files: 100, ffree: 99, namelen: 255 });
  });

  it("makes files with the owner, group and bits asked for, and counts their pages", () => {
    const { v, root } = fresh({ maxBytes: 1 << 20 });
    const f = file(v, root, "a", "hello");
    const st = v.getattr(f);
    expect([st.mode, st.uid, st.gid, st.nlink, st.size, st.blocks]).toEqual([S_IFREG | 0o644, 1000, 100, 1, 5n, 8n]);
    expect(v.lookup(root, name("a"))).toBe(f);
    expect(v.lookup(root, name("b"))).toBeNull();
    expect(v.statfs(root).bfree).toBe(255);
    expect(errno(() => v.create(root, name("a"), S_IFREG | 0o600, 0n, 0, 0))).toBe("EEXIST");
  });

  it("keeps directory link counts and sizes as entries come and go", () => {
    const { v, root } = fresh();
    const d = v.mkdir(root, name("d"), 0o755, 0, 0);
    v.mkdir(d, name("e"), 0o755, 0, 0);
    file(v, d, "f");
    expect(v.getattr(root).nlink).toBe(3);
    expect([v.getattr(d).nlink, v.getattr(d).size]).toEqual([3, 80n]);
    expect(errno(() => v.rmdir(root, name("d")))).toBe("ENOTEMPTY");
    v.rename(d, name("e"), root, name("e2"), { noReplace: false, exchange: false });
    expect([v.getattr(d).nlink, v.getattr(root).nlink]).toEqual([2, 4]);
    v.unlink(d, name("f"));
    v.rmdir(root, name("d"));
    expect(v.getattr(root).nlink).toBe(3);
    expect(v.readdir(root).map((e) => e.name.toString())).toEqual(["e2"]);
  });

  it("lists entries newest first, as Linux 6.1's tmpfs", () => {
    const { v, root } = fresh();
    for (const n of ["one", "two", "three"]) file(v, root, n);
    expect(v.readdir(root).map((e) => e.name.toString())).toEqual(["three", "two", "one"]);
  });

  it("counts hard links, and keeps a removed file's data while it is open", () => {
    const { v, root } = fresh({ maxBytes: 1 << 20 });
    const f = file(v, root, "a", "data");
    v.link(root, name("b"), f);
    expect(v.getattr(f).nlink).toBe(2);
    const open = v.openData(f, "/a", RW);
    v.unlink(root, name("a"));
    v.unlink(root, name("b"));
    expect(v.getattr(f).nlink).toBe(0);
    const buf = new Uint8Array(8);
    expect(Buffer.from(buf.subarray(0, open.pread(buf, 0))).toString()).toBe("data");
    expect(v.statfs(root).bfree).toBe(255);
    open.drop();
    expect(v.statfs(root).bfree).toBe(256);
  });

  it("keeps files sparse: holes read as zeroes and cost nothing", () => {
    const { v, root } = fresh({ maxBytes: 1 << 20 });
    const f = file(v, root, "s");
    v.setattr(f, { size: 1 << 30 });
    expect([v.getattr(f).size, v.getattr(f).blocks]).toEqual([1n << 30n, 0n]);
    const o = v.openData(f, "/s", RW);
    o.pwrite(Buffer.from("end"), (1 << 30) - 3);
    const buf = new Uint8Array(6);
    o.pread(buf, (1 << 30) - 6);
    expect(Buffer.from(buf).toString("latin1")).toBe("\0\0\0end");
    expect(v.getattr(f).blocks).toBe(8n);
    expect(o.seek(0, 3 /* SEEK_DATA */)).toBe(0);
    expect(o.seek(5, 4 /* SEEK_HOLE */)).toBe(1 << 30);
    expect(errno(() => o.seek(1 << 30, 3))).toBe("ENXIO");
    v.setattr(f, { size: 2 });
    expect(v.getattr(f).blocks).toBe(0n);
    o.drop();
  });

  it("fails writes past its size with a short count, then ENOSPC; inodes run out too", () => {
    const { v, root } = fresh({ maxBytes: 3 * 4096, maxInodes: 3 });
    const f = file(v, root, "big");
    const o = v.openData(f, "/big", RW);
    expect(o.write(new Uint8Array(5 * 4096))).toBe(3 * 4096);
    expect(errno(() => o.write(new Uint8Array(1)))).toBe("ENOSPC");
    expect(v.statfs(root).bfree).toBe(0);
    file(v, root, "x");
    expect(errno(() => file(v, root, "y"))).toBe("ENOSPC");
    o.drop();
  });

  it("appends at the end whatever the offset, and truncates with zeroes past the new end", () => {
    const { v, root } = fresh();
    const f = file(v, root, "log", "abc");
    const o = v.openData(f, "/log", { ...RW, append: true });
    o.seek(0, 0);
    o.write(Buffer.from("def"));
    expect(read(v, f)).toBe("abcdef");
    v.setattr(f, { size: 2 });
    v.setattr(f, { size: 4 });
    expect(read(v, f)).toBe("ab\0\0");
    expect(o.seek(0, SEEK_END)).toBe(4);
    o.drop();
  });

  it("renames: replaces a file or an empty directory, refuses with noReplace, swaps with exchange", () => {
    const { v, root } = fresh();
    const a = file(v, root, "a", "A");
    file(v, root, "b", "B");
    v.rename(root, name("a"), root, name("b"), { noReplace: false, exchange: false });
    expect(v.lookup(root, name("b"))).toBe(a);
    expect(v.lookup(root, name("a"))).toBeNull();
    const c = file(v, root, "c", "C");
    expect(errno(() => v.rename(root, name("c"), root, name("b"), { noReplace: true, exchange: false }))).toBe("EEXIST");
    v.rename(root, name("c"), root, name("b"), { noReplace: false, exchange: true });
    expect([v.lookup(root, name("b")), v.lookup(root, name("c"))]).toEqual([c, a]);
    const d1 = v.mkdir(root, name("d1"), 0o755, 0, 0);
    const d2 = v.mkdir(root, name("d2"), 0o755, 0, 0);
    file(v, d2, "inside");
    expect(errno(() => v.rename(root, name("d1"), root, name("d2"), { noReplace: false, exchange: false }))).toBe("ENOTEMPTY");
    v.mkdir(root, name("d3"), 0o755, 0, 0);
    v.rename(root, name("d1"), root, name("d3"), { noReplace: false, exchange: false });
    expect(v.lookup(root, name("d3"))).toBe(d1);
    expect(v.getattr(root).nlink).toBe(4);
  });

  it("stores symbolic links, FIFOs and device nodes", () => {
    const { v, root } = fresh();
    const l = v.symlink(root, name("l"), name("target/path"), 0, 0);
    expect([v.getattr(l).mode, v.getattr(l).size]).toEqual([S_IFLNK | 0o777, 11n]);
    expect(v.readlink(l).toString()).toBe("target/path");
    expect(errno(() => v.readlink(root))).toBe("EINVAL");
    const dev = v.create(root, name("null"), S_IFCHR | 0o666, makeDev(1, 3), 0, 0);
    expect(v.getattr(dev).rdev).toBe(makeDev(1, 3));
    const fifo = v.create(root, name("p"), S_IFIFO | 0o600, makeDev(9, 9), 0, 0);
    expect([v.getattr(fifo).mode & S_IFMT, v.getattr(fifo).rdev]).toEqual([S_IFIFO, 0n]);
    expect(errno(() => v.openData(fifo, "/p", RW))).toBe("EINVAL");
  });

  it("keeps times: a directory's change and modification times move with its entries", async () => {
    const { v, root } = fresh();
    const before = v.getattr(root).mtimeNs;
    await new Promise((r) => setTimeout(r, 5));
    const f = file(v, root, "t");
    expect(v.getattr(root).mtimeNs > before).toBe(true);
    v.setattr(f, { atimeNs: 1000n, mtimeNs: 2000n });
    const st = v.getattr(f);
    expect([st.atimeNs, st.mtimeNs]).toEqual([1000n, 2000n]);
    expect(st.ctimeNs > 2000n).toBe(true);
  });
});

describe("devfs", () => {
  it("holds the standard devices, links and directories, and takes drivers' nodes", () => {
    const v = makeDevfs();
    const root = v.root(WHO);
    expect(v.readdir(root).map((e) => e.name.toString()).sort()).toEqual(["console", "fd", "full", "mqueue", "null", "pts", "random", "shm", "stderr", "stdin", "stdout", "tty", "urandom", "zero"]);
    const nul = v.getattr(v.lookup(root, name("null")) as VolumeNode); // it was just listed
    expect([nul.mode, nul.rdev, nul.dev]).toEqual([S_IFCHR | 0o666, makeDev(1, 3), makeDev(0, 5)]);
    expect(v.readlink(v.lookup(root, name("stdout")) as VolumeNode).toString()).toBe("/proc/self/fd/1"); // listed above
    expect(v.getattr(v.lookup(root, name("shm")) as VolumeNode).mode).toBe(S_IFDIR | 0o1777); // listed above
    addDeviceNode(v, "tty1", "char", 4, 1, 0o620, 0, 5);
    addDeviceNode(v, "pts/0", "char", 136, 0, 0o620, 1000, 5);
    const pts = v.lookup(root, name("pts")) as VolumeNode; // made by makeDevfs
    const p0 = v.getattr(v.lookup(pts, name("0")) as VolumeNode); // just added
    expect([p0.rdev, p0.uid, p0.gid, p0.mode & 0o7777]).toEqual([makeDev(136, 0), 1000, 5, 0o620]);
  });
});
