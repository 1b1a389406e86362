// The host directory view as a volume: a host directory (exojit run's --root, "/" by default)
// whose files are the host's. Nodes are host paths; lookups are lstat calls, so the view sees
// the host's changes at once, and it spans whatever host file systems lie below the root (a
// node's identity combines the host device and inode). Permission checks are the VFS's, from
// the guest's credentials, before the host (which checks exojit's own) is asked.
//
// Policy: the view is read-only except below its writable directories (the working directory,
// for exojit run without --rw), or writable everywhere. What the guest creates belongs to the
// guest's file-system ids when exojit may give it away (it runs as root), and gets exactly the
// permission bits asked for, whatever exojit's own umask. Device nodes cannot be made here (a
// host device node is never opened as the host's device anyway: the VFS opens devices through
// its registry); FIFOs are host FIFOs whose pipes are exojit's (fifo.ts).

import * as fs from "node:fs";
import * as path from "node:path";
import { createRequire } from "node:module";
import { sysError, fromHostError } from "../errors.js";
import { hostBytes, hostRealpath, toNodeString } from "../hostpath.js";
import { HostFile, hostFileKey, statFromHost, S_IFMT, S_IFREG, S_IFIFO, S_IFLNK, S_IFSOCK, type FileStat, type OpenFile, type OpenMode } from "../file.js";
import { direntType, type DirEntry } from "../dirfile.js";
import type { PageCache } from "../pagecache.js";
import { HOST_FDS, HOST_REOPEN, closeHostFd, type HostFdHolder } from "../hostfds.js";
import type { FsCaller, SetAttr, Volume, VolumeFigures, VolumeNode } from "../volume.js";

/** A host file: its path, and the status lookup read (handed to the first getattr that
 *  follows, which is the walk's, so a lookup costs one lstat). */
export class HostNode implements VolumeNode {
  constructor(
    readonly ino: bigint,
    /** (a rename of it or of a directory above it changes it while it is held open) */
    public hostPath: string,
    public fresh: fs.BigIntStats | null,
  ) {}
}

/** A node of this volume (the VFS hands a volume only the nodes it made). */
function hn(n: VolumeNode): HostNode {
  return n as HostNode;
}

/** A node's identity: host device and inode together. */
function identity(st: fs.BigIntStats): bigint {
  return (st.dev << 64n) | st.ino;
}

const hostIsRoot = typeof process.geteuid === "function" && process.geteuid() === 0;

function host<T>(op: () => T): T {
  try {
    return op();
  } catch (e) {
    throw fromHostError(e);
  }
}

/** Linux's O_NOATIME (Node's fs.constants has it only on Linux builds). */
const O_NOATIME = fs.constants.O_NOATIME ?? 0o1000000;

export class HostVolume implements Volume, HostFdHolder {
  readonly fsType = "ext2";
  /** st_dev of the root (each file reports its own host device). */
  readonly dev: bigint;
  readOnly: boolean;
  /** Host root, absolute and without symbolic links. */
  readonly rootPath: string;
  /** The page cache kept coherent with reads and writes through this view (set by System). */
  pageCache: PageCache | null = null;
  /** A file just created with bits its creator could not open it by again (exojit is not
   *  root): the descriptor that created it, for the open that follows. */
  private pending: { hostPath: string; fd: number } | null = null;

  constructor(
    root: string,
    /** Whether every path is writable. */
    writableAll: boolean,
    /** Paths (relative to the root, "/"-based) below which writes are allowed otherwise. */
    readonly writableDirs: string[],
  ) {
    this.rootPath = hostRealpath(root);
    this.dev = fs.statSync(hostBytes(this.rootPath), { bigint: true }).dev;
    this.readOnly = !writableAll;
  }

  /** Host path of a path relative to the root ("/a/b"). */
  hostOf(rel: string): string {
    return this.rootPath === "/" ? rel : path.join(this.rootPath, rel);
  }

  /** The path relative to the root of a host path inside it, or null if it is outside. */
  relOf(hostPath: string): string | null {
    const rel = path.relative(this.rootPath, hostPath);
    if (rel.startsWith("..") || path.isAbsolute(rel)) return null;
    return "/" + rel.split(path.sep).filter(Boolean).join("/");
  }

  private node(hostPath: string, st: fs.BigIntStats): HostNode {
    return new HostNode(identity(st), hostPath, st);
  }

  private child(dir: VolumeNode, name: Buffer): string {
    const d = hn(dir).hostPath;
    return d === "/" ? `/${name.toString("latin1")}` : `${d}/${name.toString("latin1")}`;
  }

  private lstat(hostPath: string): fs.BigIntStats {
    return host(() => fs.lstatSync(hostBytes(hostPath), { bigint: true }));
  }

  root(_who: FsCaller): VolumeNode {
    return this.node(this.rootPath, this.lstat(this.rootPath));
  }

  lookup(dir: VolumeNode, name: Buffer): VolumeNode | null {
    const p = this.child(dir, name);
    try {
      // (a missing name, the usual answer of a path search, without an exception)
      const st = fs.lstatSync(hostBytes(p), { bigint: true, throwIfNoEntry: false });
      return st === undefined ? null : this.node(p, st);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === "ENOENT" || code === "ENOTDIR") return null;
      throw fromHostError(e);
    }
  }

  getattr(n: VolumeNode): FileStat {
    const h = hn(n);
    const st = h.fresh ?? this.lstat(h.hostPath);
    h.fresh = null;
    return statFromHost(st);
  }

  readlink(n: VolumeNode): Buffer {
    return host(() => fs.readlinkSync(hostBytes(hn(n).hostPath), { encoding: "buffer" }));
  }

  readdir(dir: VolumeNode): DirEntry[] {
    const d = hn(dir).hostPath;
    const dirents: fs.Dirent[] = [];
    host(() => {
      // opendir keeps the file system's order (readdir sorts); Buffer names keep bytes that
      // are not UTF-8 intact.
      const h = fs.opendirSync(hostBytes(d), { encoding: "buffer" as unknown as "utf8", bufferSize: 128 });
      try {
        for (let e = h.readSync(); e !== null; e = h.readSync()) dirents.push(e);
      } finally {
        h.closeSync();
      }
    });
    const out: DirEntry[] = [];
    const prefix = Buffer.from(d === "/" ? "/" : `${d}/`, "latin1");
    for (const e of dirents) {
      const name = e.name as unknown as Buffer; // opened with buffer encoding above
      try {
        const ino = fs.lstatSync(Buffer.concat([prefix, name]), { bigint: true }).ino;
        out.push({ ino, type: direntType(e), name });
      } catch {
        // removed since the listing was read
      }
    }
    return out;
  }

  /** Whether a path relative to the root lies in a writable directory. */
  private canWrite(rel: string): boolean {
    return this.writableDirs.some((d) => rel === d || rel.startsWith(d === "/" ? "/" : d + "/"));
  }

  writable(n: VolumeNode, name?: Buffer): boolean {
    const rel = this.relOf(hn(n).hostPath);
    if (rel === null) return false;
    return this.canWrite(name === undefined ? rel : rel === "/" ? `/${name.toString("latin1")}` : `${rel}/${name.toString("latin1")}`);
  }

  /** Gives a new node the guest's ids and exactly the bits asked for. */
  private settle(p: string, perm: number, uid: number, gid: number, link = false): HostNode {
    let st = this.lstat(p);
    if (!link && (Number(st.mode) & 0o7777) !== perm) host(() => fs.chmodSync(hostBytes(p), perm));
    if (hostIsRoot && (Number(st.uid) !== uid || Number(st.gid) !== gid)) {
      host(() => fs.lchownSync(hostBytes(p), uid, gid));
      // chown clears set-id bits: put back what was asked for.
      if (!link && perm & 0o6000) host(() => fs.chmodSync(hostBytes(p), perm));
    }
    st = this.lstat(p);
    return this.node(p, st);
  }

  create(dir: VolumeNode, name: Buffer, mode: number, _rdev: bigint, uid: number, gid: number): VolumeNode {
    const p = this.child(dir, name);
    const perm = mode & 0o7777;
    const type = mode & S_IFMT;
    if (type === S_IFIFO) {
      // Node has no mkfifo(3); the host's mkfifo(1) makes the node (the pipe is ours: fifo.ts).
      // node:child_process is required here only: loading it costs ~3 ms of every start-up.
      // `as`: require() is untyped; this is Node's own module.
      const { spawnSync } = createRequire(import.meta.url)("node:child_process") as typeof import("node:child_process");
      // (mkfifo(1) refuses set-id and sticky bits in -m: settle() sets them)
      const res = spawnSync("mkfifo", ["-m", (perm & 0o777).toString(8), toNodeString(p)], { encoding: "utf8" });
      if (res.error !== undefined || res.status !== 0) sysError(fs.existsSync(hostBytes(p)) ? "EEXIST" : "EACCES", res.stderr ?? String(res.error));
    } else if (type === S_IFREG) {
      this.dropPending();
      const fd = host(() => fs.openSync(hostBytes(p), fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_RDWR, perm));
      if (!hostIsRoot && (perm & 0o600) !== 0o600) this.pending = { hostPath: p, fd };
      else fs.closeSync(fd);
    } else if (type === S_IFSOCK) {
      makeSocketNode(p);
    } else {
      sysError("EPERM", "device nodes are not made in the host's file system");
    }
    return this.settle(p, perm, uid, gid);
  }

  mkdir(dir: VolumeNode, name: Buffer, perm: number, uid: number, gid: number): VolumeNode {
    const p = this.child(dir, name);
    host(() => fs.mkdirSync(hostBytes(p), perm & 0o7777));
    return this.settle(p, perm & 0o7777, uid, gid);
  }

  symlink(dir: VolumeNode, name: Buffer, target: Buffer, uid: number, gid: number): VolumeNode {
    const p = this.child(dir, name);
    host(() => fs.symlinkSync(target, hostBytes(p)));
    return this.settle(p, 0o777, uid, gid, true);
  }

  link(dir: VolumeNode, name: Buffer, target: VolumeNode): void {
    host(() => fs.linkSync(hostBytes(hn(target).hostPath), hostBytes(this.child(dir, name))));
  }

  unlink(dir: VolumeNode, name: Buffer): void {
    host(() => fs.unlinkSync(hostBytes(this.child(dir, name))));
  }

  rmdir(dir: VolumeNode, name: Buffer): void {
    host(() => fs.rmdirSync(hostBytes(this.child(dir, name))));
  }

  rename(fromDir: VolumeNode, fromName: Buffer, toDir: VolumeNode, toName: Buffer, flags: { noReplace: boolean; exchange: boolean }): void {
    const a = this.child(fromDir, fromName), b = this.child(toDir, toName);
    if (flags.exchange) return this.exchange(a, b);
    if (flags.noReplace && this.lookup(toDir, toName) !== null) sysError("EEXIST");
    host(() => fs.renameSync(hostBytes(a), hostBytes(b)));
    this.moved((p) => (p === a ? b : p.startsWith(`${a}/`) ? b + p.slice(a.length) : p));
  }

  /** RENAME_EXCHANGE, which Node cannot ask of the host: three renames through a name of
   *  exojit's own beside `a`, undone if one fails. No guest sees the steps between (every
   *  system call runs to its end before the next); a host process looking at the directory
   *  meanwhile could. */
  private exchange(a: string, b: string): void {
    let tmp = "";
    for (let k = 0; tmp === "" || fs.existsSync(hostBytes(tmp)); k++) tmp = `${path.dirname(a)}/.exojit-exchange-${process.pid}-${k}`;
    const step = (from: string, to: string): void => host(() => fs.renameSync(hostBytes(from), hostBytes(to)));
    // (undoing is done as far as it goes: the step's own error is what the guest gets)
    const undo = (...steps: [string, string][]): void => {
      for (const [from, to] of steps) {
        try {
          step(from, to);
        } catch {
          return;
        }
      }
    };
    step(a, tmp);
    try {
      step(b, a);
    } catch (e) {
      undo([tmp, a]);
      throw e;
    }
    try {
      step(tmp, b);
    } catch (e) {
      undo([a, b], [tmp, a]);
      throw e;
    }
    const swap = (p: string, from: string, to: string): string | null => (p === from ? to : p.startsWith(`${from}/`) ? to + p.slice(from.length) : null);
    this.moved((p) => swap(p, a, b) ?? swap(p, b, a) ?? p);
  }

  /** Renames the host paths of the nodes open descriptions hold, so that they name the files
   *  where they are now. */
  private moved(where: (p: string) => string): void {
    for (const n of this.holds.keys()) n.hostPath = where(n.hostPath);
  }

  /** Nodes held by open descriptions, and how many hold each. */
  private readonly holds = new Map<HostNode, number>();

  pinned(n: VolumeNode): void {
    this.holds.set(hn(n), (this.holds.get(hn(n)) ?? 0) + 1);
  }

  unpinned(n: VolumeNode): void {
    const k = (this.holds.get(hn(n)) ?? 1) - 1;
    if (k > 0) this.holds.set(hn(n), k);
    else this.holds.delete(hn(n));
  }

  setattr(n: VolumeNode, a: SetAttr): void {
    const p = hn(n).hostPath;
    const st = this.lstat(p);
    const isLink = (Number(st.mode) & S_IFMT) === S_IFLNK;
    if (a.uid !== undefined || a.gid !== undefined) {
      const uid = a.uid ?? Number(st.uid), gid = a.gid ?? Number(st.gid);
      host(() => fs.lchownSync(hostBytes(p), uid, gid));
    }
    if (a.perm !== undefined && !isLink) host(() => fs.chmodSync(hostBytes(p), a.perm as number));
    if (a.size !== undefined) {
      const size = a.size;
      host(() => fs.truncateSync(hostBytes(p), size));
      this.pageCache?.lookup(hostFileKey(st.dev, st.ino))?.truncated(size);
    }
    if (a.atimeNs !== undefined || a.mtimeNs !== undefined) {
      const at = utimeSeconds(a.atimeNs ?? st.atimeNs), mt = utimeSeconds(a.mtimeNs ?? st.mtimeNs);
      host(() => (isLink ? fs.lutimesSync(hostBytes(p), at, mt) : fs.utimesSync(hostBytes(p), at, mt)));
    }
  }

  private dropPending(): void {
    if (this.pending === null) return;
    closeHostFd(this.pending.fd);
    this.pending = null;
  }

  [HOST_FDS](): number[] {
    return this.pending === null ? [] : [this.pending.fd];
  }

  /** A file kept open since its creation is simply opened again when the guest opens it. */
  [HOST_REOPEN](): void {
    this.pending = null;
  }

  openData(n: VolumeNode, guestPath: string, mode: OpenMode): OpenFile {
    const p = hn(n).hostPath;
    if (this.pending?.hostPath === p) {
      const fd = this.pending.fd;
      this.pending = null;
      return new HostFile(guestPath, mode, fd, p, this.pageCache);
    }
    this.dropPending();
    let flags = mode.write ? (mode.read ? fs.constants.O_RDWR : fs.constants.O_WRONLY) : fs.constants.O_RDONLY;
    flags |= fs.constants.O_NOFOLLOW;
    // (O_NOATIME: the guest's permission was checked; the host refuses it for a file exojit
    // does not own, which then has its access time kept as the host keeps it)
    let fd: number;
    try {
      fd = fs.openSync(hostBytes(p), mode.noatime === true ? flags | O_NOATIME : flags);
    } catch {
      fd = host(() => fs.openSync(hostBytes(p), flags));
    }
    return new HostFile(guestPath, mode, fd, p, this.pageCache);
  }

  statfs(n: VolumeNode): VolumeFigures {
    const s = host(() => fs.statfsSync(hostBytes(hn(n).hostPath), { bigint: true }));
    return {
      type: Number(s.type), bsize: Number(s.bsize), blocks: Number(s.blocks), bfree: Number(s.bfree), bavail: Number(s.bavail),
      files: Number(s.files), ffree: Number(s.ffree), namelen: 255,
    };
  }

  sync(): void {}
}

/** A time in ns as the seconds Node's utimes takes, so that the host file gets the time's
 *  microsecond exactly. libuv truncates the double it is given to whole microseconds
 *  (uv__fs_to_timespec), and 4.005006 is 4.00500599... as a double: aiming at the middle of the
 *  microsecond makes the truncation land on it. (Sub-microsecond parts are lost: Node has no
 *  call that sets nanoseconds.) A string, because Node takes a negative number (a time before
 *  1970) for "now", and a numeric string as it is. */
function utimeSeconds(ns: bigint): string {
  const us = ns >= 0n ? ns / 1000n : -((-ns + 999n) / 1000n);
  return String((Number(us) + (us >= 0n ? 0.5 : -0.5)) / 1e6);
}

let socketSeq = 0;

/** Makes a socket node at host path `p` (a guest's bind: the socket itself is one of ours,
 *  libexoc/socket.ts, found again through the node's identity). Node has no mknod(2): a server
 *  of node:net binds a host socket beside it, synchronously, under a temporary name, which is
 *  linked to `p`; closing the server then removes the temporary name only. */
function makeSocketNode(p: string): void {
  if (fs.existsSync(hostBytes(p))) sysError("EEXIST");
  const tmp = path.join(path.dirname(p), `.exojit-sock-${process.pid}-${socketSeq++}`);
  // (a unix socket path holds at most 107 bytes)
  if (tmp.length > 107) sysError("ENAMETOOLONG", "the host cannot bind a socket this deep");
  const net = createRequire(import.meta.url)("node:net") as typeof import("node:net");
  const server = net.createServer();
  // (listen reports its errors on the next tick: whether the name appeared says it all)
  server.on("error", () => {});
  server.listen(toNodeString(tmp));
  try {
    if (!fs.existsSync(hostBytes(tmp))) sysError("EACCES", "the host refused to bind a socket here");
    host(() => fs.linkSync(hostBytes(tmp), hostBytes(p)));
  } finally {
    server.close();
    fs.rmSync(hostBytes(tmp), { force: true });
  }
}
