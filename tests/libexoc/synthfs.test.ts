// The VFS with a synthetic tree mounted over a host directory: how paths walk into it, out of
// it and through it (.., symlinks both ways, magic links), who may open what, what it refuses,
// and how its open files read. The tree here is a small fake, so these are the mechanism's
// rules, independent of procfs.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Vfs, R_OK, W_OK, type OpenRequest } from "../../src/libexoc/vfs/vfs.js";
import { DEFAULT_FLAGS } from "../../src/libexoc/vfs/mounts.js";
import { HostVolume } from "../../src/libexoc/volumes/host.js";
import { SynthVolume } from "../../src/libexoc/volumes/synth.js";
import { S_IFMT, S_IFDIR, S_IFLNK, S_IFREG, S_IFIFO, SEEK_END, SEEK_SET, type OpenMode } from "../../src/libexoc/file.js";
import { DT_DIR, DT_REG, DT_LNK, DirFile } from "../../src/libexoc/dirfile.js";
import { SysError } from "../../src/libexoc/errors.js";
import { makePipe } from "../../src/libexoc/pipe.js";
import type { FsCaller, SynthDir, SynthFile, SynthLink, SynthMount, SynthNode } from "../../src/libexoc/synthfs.js";

const caller = (pid: number, euid = 0): FsCaller => ({ tid: pid, proc: { pid, euid, egid: euid, groups: [] } });
const ROOT = caller(42);
const USER = caller(42, 1000);

const [pipeR, pipeW] = makePipe(false);
let reads = 0;

function file(ino: bigint, perm: number, uid: number, text: () => string): SynthFile {
  return { kind: "file", ino, perm, uid, gid: uid, timeNs: 0n, content: () => Buffer.from(text()), writeError: "EIO" };
}
function link(ino: bigint, target: string, jump?: () => ReturnType<NonNullable<SynthLink["jump"]>>): SynthLink {
  return { kind: "link", ino, perm: 0o777, uid: 0, gid: 0, timeNs: 0n, target: () => target, jump };
}
/** A directory of `kids` in this order (an object would put "42" first). */
function dir(ino: bigint, perm: number, uid: number, kids: [string, () => SynthNode][]): SynthDir {
  return {
    kind: "dir", ino, perm, uid, gid: uid, timeNs: 0n,
    entries: () => kids.map(([name, make]) => {
      const n = make();
      return { name, ino: n.ino, type: n.kind === "dir" ? DT_DIR : n.kind === "file" ? DT_REG : DT_LNK };
    }),
    lookup: (name) => kids.find(([n]) => n === name)?.[1]() ?? null,
  };
}

/** / holds "self" (-> the caller's pid), "42" and "pipe" (a magic link to a pipe's write end). */
const MOUNT: SynthMount = {
  dev: 99n, magic: 0x1234, fsType: "fake", source: "fake", options: "rw",
  root: (who) =>
    dir(1n, 0o555, 0, [
      ["self", () => link(2n, String(who.proc.pid))],
      [
        "42",
        () =>
          dir(3n, 0o555, 0, [
            ["info", () => file(4n, 0o444, 0, () => `n=${++reads}\n`)],
            ["secret", () => file(5n, 0o400, 7, () => "hidden\n")],
            ["out", () => link(6n, "/data/file.txt")],
            ["up", () => link(7n, "../..")],
            ["locked", () => dir(8n, 0o700, 7, [["x", () => file(9n, 0o444, 7, () => "x\n")]])],
          ]),
      ],
      ["pipe", () => link(10n, "pipe:[1]", () => pipeW)],
    ]),
};

let host = "";
let vfs: Vfs;

const READ: OpenMode = { read: true, write: false, append: false, nonblock: false };
const WRITE: OpenMode = { read: false, write: true, append: false, nonblock: false };
const req = (o: Partial<OpenRequest> = {}): OpenRequest => ({ mode: READ, create: false, exclusive: false, truncate: false, directory: false, noFollow: false, perm: 0o644, ...o });

function errno(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof SysError) return e.errno;
    throw e;
  }
  return "ok";
}

const type = (who: FsCaller, p: string, follow = true): number => vfs.stat(who, p, "/", follow).mode & S_IFMT;
const ino = (p: string): bigint => vfs.stat(ROOT, p, "/", true).ino;

beforeAll(() => {
  host = fs.mkdtempSync(path.join(os.tmpdir(), "exojit-synthfs-"));
  fs.chmodSync(host, 0o755); // searchable by the unprivileged caller, as a root is
  fs.mkdirSync(path.join(host, "data"));
  fs.writeFileSync(path.join(host, "data", "file.txt"), "host file\n");
  fs.mkdirSync(path.join(host, "proc"));
  fs.writeFileSync(path.join(host, "proc", "hostonly"), "");
  fs.symlinkSync("/proc/self/info", path.join(host, "lnk"));
  fs.symlinkSync("data", path.join(host, "lnkdir"));
  vfs = new Vfs(new HostVolume(host, true, []));
  vfs.mountInternal(new SynthVolume(MOUNT), "/proc", "fake", DEFAULT_FLAGS);
});

afterAll(() => fs.rmSync(host, { recursive: true, force: true }));

describe("a synthetic tree mounted at /proc", () => {
  it("hides what the host has there, and lists its own entries with . and ..", () => {
    expect(errno(() => vfs.stat(ROOT, "/proc/hostonly", "/", true))).toBe("ENOENT");
    const d = vfs.open(ROOT, "/proc", "/", req({ directory: true }));
    expect(d).toBeInstanceOf(DirFile);
    const list = (d as DirFile).entries();
    expect(list.map((e) => e.name.toString())).toEqual([".", "..", "self", "42", "pipe"]);
    expect(list[0].ino).toBe(1n);
    expect(list[1].ino).toBe(fs.statSync(host, { bigint: true }).ino);
    expect(list.map((e) => e.type)).toEqual([DT_DIR, DT_DIR, DT_LNK, DT_DIR, DT_LNK]);
  });

  it("answers self for each caller", () => {
    expect(vfs.readlink(ROOT, "/proc/self", "/").toString()).toBe("42");
    expect(type(ROOT, "/proc/self/info")).toBe(S_IFREG);
    expect(errno(() => vfs.stat(caller(7), "/proc/self/info", "/", true))).toBe("ENOENT");
  });

  it("walks in and out through .. and symlinks", () => {
    expect(ino("/proc/42/..")).toBe(1n);
    expect(ino("/proc/..")).toBe(fs.statSync(host, { bigint: true }).ino);
    expect(ino("/proc/42/out")).toBe(fs.statSync(path.join(host, "data", "file.txt"), { bigint: true }).ino);
    expect(ino("/lnk")).toBe(4n);
    expect(ino("/proc/42/up/data/file.txt")).toBe(ino("/data/file.txt"));
    expect(vfs.resolve(ROOT, "info", "/proc/self", true).guest).toBe("/proc/42/info");
    expect(vfs.stat(ROOT, "/proc/42/info", "/", true).dev).toBe(99n);
  });

  it("follows a final symlink before a trailing slash, which needs a directory", () => {
    expect(type(ROOT, "/proc/self", false)).toBe(S_IFLNK);
    expect(type(ROOT, "/proc/self/", false)).toBe(S_IFDIR);
    expect(type(ROOT, "/proc/self/.", false)).toBe(S_IFDIR);
    expect(type(ROOT, "/lnkdir/", false)).toBe(S_IFDIR);
    expect(errno(() => vfs.stat(ROOT, "/proc/42/info/", "/", false))).toBe("ENOTDIR");
  });

  it("checks its permission bits against the caller's ids (root reads and writes anything)", () => {
    expect(errno(() => vfs.open(USER, "/proc/42/secret", "/", req()))).toBe("EACCES");
    expect(errno(() => vfs.open(ROOT, "/proc/42/secret", "/", req()))).toBe("ok");
    expect(errno(() => vfs.stat(USER, "/proc/42/locked/x", "/", true))).toBe("EACCES");
    expect(errno(() => vfs.stat(ROOT, "/proc/42/locked/x", "/", true))).toBe("ok");
    expect(errno(() => vfs.access(USER, "/proc/42/info", "/", W_OK, true))).toBe("EACCES");
    expect(errno(() => vfs.access(USER, "/proc/42/info", "/", R_OK, true))).toBe("ok");
    expect(errno(() => vfs.access(ROOT, "/proc/42/info", "/", W_OK, true))).toBe("ok");
    expect(errno(() => vfs.open(USER, "/proc/42/info", "/", req({ mode: WRITE })))).toBe("EACCES");
  });

  it("refuses to create, remove, move or change anything but a size, as Linux's /proc does", () => {
    expect(errno(() => vfs.open(ROOT, "/proc/42/new", "/", req({ create: true, mode: WRITE })))).toBe("ENOENT");
    expect(errno(() => vfs.open(ROOT, "/proc/42/info", "/", req({ create: true, exclusive: true, mode: WRITE })))).toBe("EEXIST");
    expect(errno(() => vfs.mkdir(ROOT, "/proc/new", "/", 0o755))).toBe("ENOENT");
    expect(errno(() => vfs.mkdir(ROOT, "/proc/42", "/", 0o755))).toBe("EEXIST");
    expect(errno(() => vfs.unlink(ROOT, "/proc/42/info", "/"))).toBe("EPERM");
    expect(errno(() => vfs.rmdir(ROOT, "/proc/42", "/"))).toBe("EPERM");
    expect(errno(() => vfs.rename(ROOT, "/proc/42/info", "/", "/data/x", "/", false))).toBe("EXDEV");
    expect(errno(() => vfs.rename(ROOT, "/data/file.txt", "/", "/proc/42/x", "/", false))).toBe("EXDEV");
    expect(errno(() => vfs.rename(ROOT, "/proc/42/info", "/", "/proc/42/y", "/", false))).toBe("ENOENT");
    expect(errno(() => vfs.link(ROOT, "/data/file.txt", "/", "/proc/42/x", "/", false))).toBe("EXDEV");
    expect(errno(() => vfs.symlink(ROOT, "x", "/proc/42/y", "/"))).toBe("ENOENT");
    expect(errno(() => vfs.chmod(ROOT, "/proc/42/info", "/", 0o600, true))).toBe("EPERM");
    // (a truncation is accepted and changes nothing, as Linux's proc_setattr: open's O_TRUNC
    // on the way to writing a /proc file)
    expect(errno(() => vfs.truncate(ROOT, "/proc/42/info", "/", 0))).toBe("ok");
    expect(fs.existsSync(path.join(host, "data", "x"))).toBe(false);
  });

  it("opens nodes as their kind demands", () => {
    expect(errno(() => vfs.open(ROOT, "/proc/42", "/", req({ mode: WRITE })))).toBe("EISDIR");
    expect(errno(() => vfs.open(ROOT, "/proc/42/info", "/", req({ directory: true })))).toBe("ENOTDIR");
    expect(errno(() => vfs.open(ROOT, "/proc/self", "/", req({ noFollow: true })))).toBe("ELOOP");
    expect(errno(() => vfs.readlink(ROOT, "/proc/42/info", "/"))).toBe("EINVAL");
    expect(vfs.statfs(ROOT, "/proc/42/info", "/").type).toBe(0x1234);
  });

  it("reads a file's text as it is when a read starts at offset 0, and keeps it for reads further on", () => {
    const before = reads;
    const f = vfs.open(ROOT, "/proc/42/info", "/", req());
    const buf = new Uint8Array(2);
    expect(f.read(buf)).toBe(2);
    expect(Buffer.from(buf).toString()).toBe("n=");
    expect(f.read(new Uint8Array(16))).toBe(String(before + 1).length + 1);
    expect(reads).toBe(before + 1);
    expect(f.seek(0, SEEK_SET)).toBe(0);
    const again = new Uint8Array(16);
    const n = f.read(again);
    expect(Buffer.from(again.subarray(0, n)).toString()).toBe(`n=${before + 2}\n`);
    expect(errno(() => f.seek(0, SEEK_END))).toBe("EINVAL");
    expect(errno(() => f.write(new Uint8Array(1)))).toBe("EIO");
  });

  it("follows a magic link to its open description: stat shows it, open makes another of it", () => {
    expect(type(ROOT, "/proc/pipe")).toBe(S_IFIFO);
    expect(type(ROOT, "/proc/pipe", false)).toBe(S_IFLNK);
    expect(vfs.readlink(ROOT, "/proc/pipe", "/").toString()).toBe("pipe:[1]");
    expect(errno(() => vfs.stat(ROOT, "/proc/pipe/x", "/", true))).toBe("ENOTDIR");
    const w = vfs.open(ROOT, "/proc/pipe", "/", req({ mode: WRITE }));
    expect(w).not.toBe(pipeW);
    expect(w.write(Buffer.from("hi"))).toBe(2);
    const got = new Uint8Array(8);
    expect(Buffer.from(got.subarray(0, pipeR.read(got))).toString()).toBe("hi");
  });
});
