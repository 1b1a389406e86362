// The VFS over in-memory volumes: the mount table (mount points, what a mount hides, stacked
// and bind mounts, "..", mounts over absent names), path walking (symbolic links within and
// across mounts, ELOOP, ENAMETOOLONG, trailing slashes), permission checks from the caller's
// ids, open flags, FIFOs and device nodes through the registry, the cross-mount refusals, busy
// mounts, /proc/mounts text, and record locks' ranges and deadlock detection.

import { beforeEach, describe, expect, it } from "vitest";
import { Vfs, type OpenRequest } from "../../src/libexoc/vfs/vfs.js";
import { DEFAULT_FLAGS } from "../../src/libexoc/vfs/mounts.js";
import { DeviceRegistry, makeDev } from "../../src/libexoc/vfs/devices.js";
import { registerStandardDevices, MemDevice } from "../../src/libexoc/vfs/memdev.js";
import { FsTypes } from "../../src/libexoc/vfs/fstypes.js";
import { mountsText, mountinfoText } from "../../src/libexoc/vfs/mountops.js";
import { LockTable } from "../../src/libexoc/vfs/locks.js";
import { TmpFs } from "../../src/libexoc/volumes/tmpfs.js";
import { DirFile } from "../../src/libexoc/dirfile.js";
import { FifoEnd } from "../../src/libexoc/fifo.js";
import { PathFile, S_IFMT, S_IFLNK, S_IFDIR, S_IFCHR, S_IFIFO, type OpenMode } from "../../src/libexoc/file.js";
import { SysError } from "../../src/libexoc/errors.js";
import { WouldBlock } from "../../src/libexoc/blocking.js";
import type { FsCaller } from "../../src/libexoc/volume.js";

const who = (uid: number, gid = uid, groups: number[] = []): FsCaller => ({ tid: 1, proc: { pid: 1, euid: uid, egid: gid, groups } });
const ROOT = who(0);
const USER = who(1000, 1000, [50]);
const OTHER = who(2000);
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

let vfs: Vfs;
let rootVol: TmpFs;
let devices: DeviceRegistry;
let nextDev = 100n;

function tmpfs(): TmpFs {
  return new TmpFs({ dev: nextDev++ });
}

function write(p: string, text: string, as: FsCaller = ROOT): void {
  const f = vfs.open(as, p, "/", req({ mode: WRITE, create: true, truncate: true }));
  f.write(Buffer.from(text));
  f.drop();
}

function read(p: string, as: FsCaller = ROOT): string {
  const f = vfs.open(as, p, "/", req());
  const buf = new Uint8Array(256);
  const n = f.read(buf);
  f.drop();
  return Buffer.from(buf.subarray(0, n)).toString();
}

function list(p: string): string[] {
  const d = vfs.open(ROOT, p, "/", req({ directory: true })) as DirFile;
  const names = d.entries().map((e) => e.name.toString());
  d.drop();
  return names.sort();
}

function mount(target: string, vol = tmpfs(), flags = DEFAULT_FLAGS): TmpFs {
  const fsTypes = vfs.fsTypes;
  if (!fsTypes.has("testfs")) fsTypes.register({ name: "testfs", nodev: true, mount: () => pending as TmpFs });
  pending = vol;
  vfs.mount(ROOT, { source: "test", target, base: "/", fsType: "testfs", options: "", flags, remount: false, bind: false, move: false, propagationOnly: false });
  return vol;
}
let pending: TmpFs | null = null;

beforeEach(() => {
  rootVol = tmpfs();
  rootVol.setattr(rootVol.rootNode, { perm: 0o755 });
  devices = new DeviceRegistry();
  registerStandardDevices(devices);
  vfs = new Vfs(rootVol, { devices, fsTypes: new FsTypes() });
  vfs.mkdir(ROOT, "/mnt", "/", 0o755);
  vfs.mkdir(ROOT, "/home", "/", 0o755);
  write("/mnt/hidden", "below the mount");
});

describe("mount points", () => {
  it("a mount hides what the directory held, and umount shows it again", () => {
    const v = mount("/mnt");
    expect(list("/mnt")).toEqual([".", ".."]);
    write("/mnt/new", "on the mount");
    expect(vfs.stat(ROOT, "/mnt/new", "/", true).dev).toBe(v.dev);
    expect(vfs.stat(ROOT, "/mnt", "/", true).dev).toBe(v.dev);
    vfs.umount(ROOT, { target: "/mnt", base: "/", detach: false, expire: false, noFollow: false });
    expect(list("/mnt")).toEqual([".", "..", "hidden"]);
    expect(read("/mnt/hidden")).toBe("below the mount");
  });

  it('".." at a mount\'s root reaches the covered directory\'s parent; at "/" it stays', () => {
    mount("/mnt");
    vfs.mkdir(ROOT, "/mnt/sub", "/", 0o755);
    const rootIno = vfs.stat(ROOT, "/", "/", true).ino;
    expect(vfs.stat(ROOT, "/mnt/..", "/", true).ino).toBe(rootIno);
    expect(vfs.stat(ROOT, "/mnt/sub/../../home", "/", true).ino).toBe(vfs.stat(ROOT, "/home", "/", true).ino);
    expect(vfs.stat(ROOT, "/../../..", "/", true).ino).toBe(rootIno);
    expect(vfs.resolve(ROOT, "..", "/mnt/sub", true).guest).toBe("/mnt");
    const d = vfs.open(ROOT, "/mnt", "/", req({ directory: true })) as DirFile;
    expect(d.entries()[1].ino).toBe(rootIno);
  });

  it("mounts stack: the newest is seen, and unmounting it shows the one below", () => {
    mount("/mnt");
    write("/mnt/first", "1");
    mount("/mnt");
    expect(list("/mnt")).toEqual([".", ".."]);
    vfs.umount(ROOT, { target: "/mnt", base: "/", detach: false, expire: false, noFollow: false });
    expect(list("/mnt")).toEqual([".", "..", "first"]);
  });

  it("the system mounts over names its root does not have", () => {
    const v = tmpfs();
    vfs.mountInternal(v, "/proc", "none", DEFAULT_FLAGS);
    expect(vfs.stat(ROOT, "/proc", "/", true).dev).toBe(v.dev);
    expect(errno(() => vfs.mountInternal(tmpfs(), "/absent/deeper", "none", DEFAULT_FLAGS))).toBe("ENOENT");
  });

  it("a bind mount shows a directory elsewhere; mountinfo names the directory as its root", () => {
    const v = mount("/mnt");
    vfs.mkdir(ROOT, "/mnt/d", "/", 0o755);
    write("/mnt/d/f", "bound");
    vfs.mount(ROOT, { source: "/mnt/d", target: "/home", base: "/", fsType: "", options: "", flags: DEFAULT_FLAGS, remount: false, bind: true, move: false, propagationOnly: false });
    expect(read("/home/f")).toBe("bound");
    expect(vfs.stat(ROOT, "/home", "/", true).dev).toBe(v.dev);
    expect(mountinfoText(vfs).split("\n")[2]).toMatch(/^\d+ \d+ 0:\d+ \/d \/home rw,relatime - tmpfs test rw$/);
    expect(errno(() => vfs.rename(ROOT, "/home/f", "/", "/mnt/f", "/", false))).toBe("EXDEV");
  });

  it("a mount moves elsewhere (MS_MOVE), and a bind remount changes only that mount's flags", () => {
    mount("/mnt");
    write("/mnt/f", "moving");
    vfs.mount(ROOT, { source: "/mnt", target: "/home", base: "/", fsType: "", options: "", flags: DEFAULT_FLAGS, remount: false, bind: false, move: true, propagationOnly: false });
    expect(read("/home/f")).toBe("moving");
    expect(list("/mnt")).toEqual([".", "..", "hidden"]);
    expect(errno(() => vfs.mount(ROOT, { source: "/home", target: "/home/sub", base: "/", fsType: "", options: "", flags: DEFAULT_FLAGS, remount: false, bind: false, move: true, propagationOnly: false }))).toBe("ENOENT");
    vfs.mount(ROOT, { source: "/home", target: "/mnt", base: "/", fsType: "", options: "", flags: DEFAULT_FLAGS, remount: false, bind: true, move: false, propagationOnly: false });
    vfs.mount(ROOT, { source: "", target: "/mnt", base: "/", fsType: "", options: "", flags: { ...DEFAULT_FLAGS, readOnly: true }, remount: true, bind: true, move: false, propagationOnly: false });
    expect(errno(() => write("/mnt/g", "no"))).toBe("EROFS");
    expect(errno(() => write("/home/g", "yes"))).toBe("ok");
    expect(read("/mnt/g")).toBe("yes");
  });

  it("/proc/mounts lists the mount table in mount order", () => {
    mount("/mnt", tmpfs(), { ...DEFAULT_FLAGS, nosuid: true, nodev: true });
    expect(mountsText(vfs)).toBe("/dev/root / tmpfs rw,relatime 0 0\ntest /mnt tmpfs rw,nosuid,nodev,relatime 0 0\n");
  });

  it("umount refuses a busy mount: open files, mounts inside, working directories; MNT_DETACH goes anyway", () => {
    mount("/mnt");
    vfs.mkdir(ROOT, "/mnt/in", "/", 0o755);
    const um = (detach = false): string => errno(() => vfs.umount(ROOT, { target: "/mnt", base: "/", detach, expire: false, noFollow: false }));
    write("/mnt/f", "x");
    const f = vfs.open(ROOT, "/mnt/f", "/", req());
    expect(um()).toBe("EBUSY");
    f.drop();
    mount("/mnt/in");
    expect(um()).toBe("EBUSY");
    vfs.umount(ROOT, { target: "/mnt/in", base: "/", detach: false, expire: false, noFollow: false });
    vfs.busyPaths = () => ["/mnt/in"];
    expect(um()).toBe("EBUSY");
    expect(um(true)).toBe("ok");
    expect(errno(() => vfs.umount(ROOT, { target: "/home", base: "/", detach: false, expire: false, noFollow: false }))).toBe("EINVAL");
    expect(errno(() => vfs.umount(ROOT, { target: "/", base: "/", detach: false, expire: false, noFollow: false }))).toBe("EBUSY");
    expect(errno(() => vfs.umount(USER, { target: "/home", base: "/", detach: false, expire: false, noFollow: false }))).toBe("EPERM");
  });

  it("a read-only mount refuses changes with EROFS, but its devices still work", () => {
    mount("/mnt");
    vfs.mknod(ROOT, "/mnt/null", "/", S_IFCHR, 0o666, makeDev(1, 3));
    write("/mnt/f", "x");
    vfs.mount(ROOT, { source: "", target: "/mnt", base: "/", fsType: "", options: "", flags: { ...DEFAULT_FLAGS, readOnly: true }, remount: true, bind: false, move: false, propagationOnly: false });
    expect(errno(() => write("/mnt/g", "y"))).toBe("EROFS");
    expect(errno(() => vfs.unlink(ROOT, "/mnt/f", "/"))).toBe("EROFS");
    expect(errno(() => vfs.mkdir(ROOT, "/mnt/f", "/", 0o755))).toBe("EEXIST");
    expect(vfs.open(ROOT, "/mnt/null", "/", req({ mode: WRITE })).write(Buffer.from("ok"))).toBe(2);
    expect(vfs.statfs(ROOT, "/mnt", "/").flags.readOnly).toBe(true);
  });
});

describe("walking", () => {
  it("follows symbolic links within and across mounts", () => {
    mount("/mnt");
    write("/home/target", "home");
    vfs.symlink(ROOT, "../home/target", "/mnt/up", "/");
    vfs.symlink(ROOT, "/mnt", "/m", "/");
    expect(read("/mnt/up")).toBe("home");
    expect(read("/m/up")).toBe("home");
    expect(vfs.resolve(ROOT, "/m/up", "/", true).guest).toBe("/home/target");
    expect(vfs.stat(ROOT, "/m", "/", false).mode & S_IFMT).toBe(S_IFLNK);
    expect(vfs.stat(ROOT, "/m/", "/", false).mode & S_IFMT).toBe(S_IFDIR);
  });

  it("gives up after 40 links (ELOOP), on long names (ENAMETOOLONG), on files used as directories (ENOTDIR)", () => {
    for (let k = 0; k < 41; k++) vfs.symlink(ROOT, `/l${k + 1}`, `/l${k}`, "/");
    write("/l41", "end");
    expect(errno(() => read("/l0"))).toBe("ELOOP");
    expect(read("/l1")).toBe("end");
    vfs.symlink(ROOT, "self", "/self", "/");
    expect(errno(() => vfs.stat(ROOT, "/self", "/", true))).toBe("ELOOP");
    expect(errno(() => vfs.stat(ROOT, "/" + "x".repeat(256), "/", true))).toBe("ENAMETOOLONG");
    expect(errno(() => vfs.stat(ROOT, "/" + "a/".repeat(2048), "/", true))).toBe("ENAMETOOLONG");
    expect(errno(() => vfs.stat(ROOT, "/mnt/hidden/x", "/", true))).toBe("ENOTDIR");
    expect(errno(() => vfs.stat(ROOT, "/mnt/hidden/", "/", true))).toBe("ENOTDIR");
    expect(errno(() => vfs.stat(ROOT, "", "/", true))).toBe("ENOENT");
  });

  it("needs search permission on every directory walked, but not on the base's ancestors", () => {
    vfs.mkdir(ROOT, "/home/locked", "/", 0o700);
    vfs.mkdir(ROOT, "/home/locked/open", "/", 0o777);
    write("/home/locked/open/f", "inside");
    expect(errno(() => read("/home/locked/open/f", USER))).toBe("EACCES");
    expect(vfs.stat(USER, "f", "/home/locked/open", true).size).toBe(6n);
    expect(read("/home/locked/open/f")).toBe("inside");
  });
});

describe("permissions", () => {
  beforeEach(() => {
    vfs.chmod(ROOT, "/home", "/", 0o777, true);
  });

  it("owner, group and other bits; root reads anything but executes only with an x bit", () => {
    write("/home/f", "secret");
    vfs.chown(ROOT, "/home/f", "/", 1000, 50, true);
    vfs.chmod(ROOT, "/home/f", "/", 0o640, true);
    expect(read("/home/f", USER)).toBe("secret");
    expect(read("/home/f", who(3000, 3000, [50]))).toBe("secret");
    expect(errno(() => read("/home/f", OTHER))).toBe("EACCES");
    expect(errno(() => vfs.open(ROOT, "/home/f", "/", req({ exec: true })))).toBe("EACCES");
    vfs.chmod(ROOT, "/home/f", "/", 0o641, true);
    expect(errno(() => vfs.open(ROOT, "/home/f", "/", req({ exec: true })))).toBe("ok");
    expect(errno(() => vfs.open(USER, "/home/f", "/", req({ exec: true })))).toBe("EACCES");
    expect(errno(() => vfs.access(OTHER, "/home/f", "/", 1, true))).toBe("ok");
  });

  it("a sticky directory lets only the owners remove or rename an entry", () => {
    vfs.mkdir(ROOT, "/tmp", "/", 0o1777);
    vfs.chmod(ROOT, "/tmp", "/", 0o1777, true);
    write("/tmp/users", "u", USER);
    expect(errno(() => vfs.unlink(OTHER, "/tmp/users", "/"))).toBe("EPERM");
    expect(errno(() => vfs.rename(OTHER, "/tmp/users", "/", "/tmp/x", "/", false))).toBe("EPERM");
    expect(errno(() => vfs.unlink(ROOT, "/tmp/users", "/"))).toBe("ok");
    write("/tmp/mine", "m", OTHER);
    expect(errno(() => vfs.unlink(OTHER, "/tmp/mine", "/"))).toBe("ok");
  });

  it("a set-group-ID directory gives new entries its group, and subdirectories its bit", () => {
    vfs.mkdir(ROOT, "/home/g", "/", 0o777);
    vfs.chown(ROOT, "/home/g", "/", 0, 77, true);
    vfs.chmod(ROOT, "/home/g", "/", 0o2777, true);
    write("/home/g/f", "x", USER);
    vfs.mkdir(USER, "/home/g/d", "/", 0o755);
    const f = vfs.stat(ROOT, "/home/g/f", "/", true), d = vfs.stat(ROOT, "/home/g/d", "/", true);
    expect([f.uid, f.gid, f.mode & 0o7777]).toEqual([1000, 77, 0o644]);
    expect([d.gid, d.mode & 0o7777]).toEqual([77, 0o2755]);
  });

  it("chown: root gives anything away; an owner changes only the group, to one of its own; set-id bits go", () => {
    write("/home/f", "x", USER);
    vfs.chmod(USER, "/home/f", "/", 0o6755, true);
    expect(vfs.stat(ROOT, "/home/f", "/", true).mode & 0o7777).toBe(0o6755);
    expect(errno(() => vfs.chmod(who(1000, 9, []), "/home/f", "/", 0o2755, true))).toBe("ok");
    expect(vfs.stat(ROOT, "/home/f", "/", true).mode & 0o7777).toBe(0o755); // not in the file's group: no set-group-ID
    vfs.chmod(USER, "/home/f", "/", 0o6755, true);
    expect(errno(() => vfs.chown(USER, "/home/f", "/", 0, -1, true))).toBe("EPERM");
    expect(errno(() => vfs.chown(USER, "/home/f", "/", -1, 0, true))).toBe("EPERM");
    expect(errno(() => vfs.chown(OTHER, "/home/f", "/", -1, 2000, true))).toBe("EPERM");
    expect(errno(() => vfs.chown(USER, "/home/f", "/", -1, 50, true))).toBe("ok");
    expect(vfs.stat(ROOT, "/home/f", "/", true).mode & 0o7777).toBe(0o755);
    expect(errno(() => vfs.chmod(OTHER, "/home/f", "/", 0o777, true))).toBe("EPERM");
    expect(errno(() => vfs.utimes(OTHER, "/home/f", "/", 5n, 5n, true))).toBe("EPERM");
    expect(errno(() => vfs.utimes(OTHER, "/home/f", "/", "now", "now", true))).toBe("EACCES");
    expect(errno(() => vfs.chown(ROOT, "/home/f", "/", 2000, 2000, true))).toBe("ok");
    expect(errno(() => vfs.utimes(OTHER, "/home/f", "/", 5n, 5n, true))).toBe("ok");
  });

  it("moving a directory to another parent needs write permission on the directory itself", () => {
    vfs.mkdir(ROOT, "/home/a", "/", 0o777);
    vfs.mkdir(ROOT, "/home/b", "/", 0o777);
    vfs.mkdir(ROOT, "/home/a/sub", "/", 0o755);
    expect(errno(() => vfs.rename(USER, "/home/a/sub", "/", "/home/b/sub", "/", false))).toBe("EACCES");
    expect(errno(() => vfs.rename(USER, "/home/a/sub", "/", "/home/a/sub2", "/", false))).toBe("ok");
    expect(errno(() => vfs.rename(ROOT, "/home/a", "/", "/home/a/sub2/x", "/", false))).toBe("EINVAL");
    expect(errno(() => vfs.rename(ROOT, "/home/a/sub2", "/", "/home", "/", false))).toBe("ENOTEMPTY");
  });
});

describe("open", () => {
  it("O_CREAT|O_EXCL fails on anything there, a dangling link included; without O_EXCL the link's target is made", () => {
    vfs.symlink(ROOT, "/home/made", "/dangling", "/");
    expect(errno(() => vfs.open(ROOT, "/dangling", "/", req({ mode: WRITE, create: true, exclusive: true })))).toBe("EEXIST");
    expect(errno(() => vfs.open(ROOT, "/dangling", "/", req({ mode: WRITE, create: true, noFollow: true })))).toBe("ELOOP");
    vfs.open(ROOT, "/dangling", "/", req({ mode: WRITE, create: true })).drop();
    expect(vfs.stat(ROOT, "/home/made", "/", true).size).toBe(0n);
    expect(errno(() => vfs.open(ROOT, "/home", "/", req({ mode: READ, create: true })))).toBe("EISDIR");
    expect(errno(() => vfs.open(ROOT, "/home/new/", "/", req({ mode: WRITE, create: true })))).toBe("EISDIR");
  });

  it("O_DIRECTORY, O_NOFOLLOW, O_PATH and O_TRUNC", () => {
    vfs.symlink(ROOT, "/mnt/hidden", "/link", "/");
    expect(errno(() => vfs.open(ROOT, "/mnt/hidden", "/", req({ directory: true })))).toBe("ENOTDIR");
    expect(errno(() => vfs.open(ROOT, "/link", "/", req({ noFollow: true })))).toBe("ELOOP");
    const p = vfs.open(ROOT, "/link", "/", req({ noFollow: true, pathOnly: true }));
    expect(p).toBeInstanceOf(PathFile);
    expect(p.stat().mode & S_IFMT).toBe(S_IFLNK);
    expect(errno(() => vfs.open(ROOT, "/home", "/", req({ mode: WRITE })))).toBe("EISDIR");
    vfs.open(ROOT, "/mnt/hidden", "/", req({ mode: READ, truncate: true })).drop();
    expect(vfs.stat(ROOT, "/mnt/hidden", "/", true).size).toBe(0n);
  });

  it("opens FIFOs as one pipe per node, and devices through the registry (ENXIO without a driver, EACCES on nodev)", () => {
    vfs.mknod(ROOT, "/fifo", "/", S_IFIFO, 0o666);
    const w = vfs.open(ROOT, "/fifo", "/", req({ mode: { ...WRITE, read: true } }));
    expect(w).toBeInstanceOf(FifoEnd);
    w.write(Buffer.from("through"));
    const r = vfs.open(ROOT, "/fifo", "/", req({ mode: { ...READ, nonblock: true } }));
    const buf = new Uint8Array(16);
    expect(Buffer.from(buf.subarray(0, r.read(buf))).toString()).toBe("through");
    vfs.mknod(ROOT, "/zero", "/", S_IFCHR, 0o666, makeDev(1, 5));
    const z = vfs.open(ROOT, "/zero", "/", req());
    expect(z).toBeInstanceOf(MemDevice);
    expect(z.stat().ino).toBe(vfs.stat(ROOT, "/zero", "/", true).ino);
    vfs.mknod(ROOT, "/nodriver", "/", S_IFCHR, 0o666, makeDev(42, 1));
    expect(errno(() => vfs.open(ROOT, "/nodriver", "/", req()))).toBe("ENXIO");
    devices.register("char", 42, "*", { name: "test", open: (o) => new MemDevice(o.path, o.mode, "zero", o.stat) });
    expect(errno(() => vfs.open(ROOT, "/nodriver", "/", req()))).toBe("ok");
    expect(errno(() => vfs.mknod(USER, "/home/dev", "/", S_IFCHR, 0o666, makeDev(1, 3)))).toBe("EACCES");
    mount("/mnt", tmpfs(), { ...DEFAULT_FLAGS, nodev: true });
    vfs.mknod(ROOT, "/mnt/zero", "/", S_IFCHR, 0o666, makeDev(1, 5));
    expect(errno(() => vfs.open(ROOT, "/mnt/zero", "/", req()))).toBe("EACCES");
  });
});

describe("across mounts", () => {
  it("rename and link between mounts fail with EXDEV; a mount point cannot be removed or renamed", () => {
    mount("/mnt");
    write("/mnt/f", "x");
    write("/home/g", "y");
    expect(errno(() => vfs.rename(ROOT, "/mnt/f", "/", "/home/f", "/", false))).toBe("EXDEV");
    expect(errno(() => vfs.rename(ROOT, "/home/g", "/", "/mnt/g", "/", false))).toBe("EXDEV");
    expect(errno(() => vfs.link(ROOT, "/mnt/f", "/", "/home/f", "/", false))).toBe("EXDEV");
    expect(errno(() => vfs.rmdir(ROOT, "/mnt", "/"))).toBe("EBUSY");
    expect(errno(() => vfs.rename(ROOT, "/mnt", "/", "/mnt2", "/", false))).toBe("EBUSY");
    expect(errno(() => vfs.rename(ROOT, "/mnt/f", "/", "/mnt/f2", "/", false))).toBe("ok");
  });
});

describe("record locks", () => {
  const A = {}, B = {};

  it("merge an owner's ranges, split them on unlock, and report conflicts", () => {
    const t = new LockTable();
    t.set("k", A, 1, "write", 0, 9, false);
    t.set("k", A, 1, "write", 10, 19, false);
    expect(t.records("k").map((l) => [l.start, l.end])).toEqual([[0, 19]]);
    t.set("k", A, 1, null, 5, 14, false);
    expect(t.records("k").map((l) => [l.start, l.end])).toEqual([[0, 4], [15, 19]]);
    expect(t.test("k", B, "read", 0, Infinity)?.start).toBe(0);
    expect(t.test("k", B, "read", 5, 14)).toBeNull();
    expect(errno(() => t.set("k", B, 2, "read", 3, 3, false))).toBe("EAGAIN");
    expect(() => t.set("k", B, 2, "read", 3, 3, true)).toThrow(WouldBlock);
    t.releaseOwner("k", A);
    t.set("k", B, 2, "read", 3, 3, false);
    expect(t.records("k").map((l) => l.owner === B)).toEqual([true]);
  });

  it("detect a wait that would close a cycle (EDEADLK)", () => {
    const t = new LockTable();
    t.set("k", A, 1, "write", 0, 0, false);
    t.set("k", B, 2, "write", 1, 1, false);
    expect(() => t.set("k", A, 1, "write", 1, 1, true)).toThrow(WouldBlock);
    expect(errno(() => t.set("k", B, 2, "write", 0, 0, true))).toBe("EDEADLK");
  });
});
