// The process's view of the file system: guest paths resolve under a host root directory,
// component by component, following symbolic links inside the root (an absolute link target
// restarts at the root, `..` never climbs above it). Writes are allowed only below the writable
// directories unless the whole root is writable. A few device nodes are provided by the library
// itself, so they exist whatever the root holds, and synthetic trees (synthfs.ts: /proc) are
// mounted over guest paths, hiding what the host has there.
//
// Every path operation names its caller (FsCaller: the calling thread): a synthetic tree may
// answer differently for each (/proc/self), and checks its permission bits against the
// caller's ids. Host files are checked by the host.

import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { FifoTable } from "./fifo.js";
import { sysError, fromHostError } from "./errors.js";
import type { PageCache } from "./pagecache.js";
import { type OpenFile, type OpenMode, HostFile, CharDevice, PathFile, statFromHost, S_IFMT, S_IFDIR, S_IFLNK, S_IFIFO, S_IFREG, type FileStat } from "./file.js";
import { DirFile, hostListing } from "./dirfile.js";
import { SynthOpenFile, synthStat, synthListing, checkAccess, permitted, MAY_READ, MAY_WRITE, MAY_EXEC, type FsCaller, type SynthMount, type SynthNode } from "./synthfs.js";

/** Longest path and most symbolic links followed in one resolution (Linux's limits). */
export const PATH_MAX = 4096;
export const MAX_SYMLINKS = 40;

export interface Resolved {
  /** Normalised guest path. */
  guest: string;
  /** Host path ("" for a library-provided device or a synthetic node). */
  host: string;
  /** Status of the final component (lstat-like unless a magic link was followed), or null if
   *  it does not exist. */
  st: FileStat | null;
  /** The synthetic tree the final component is in, and its node (null if it does not exist). */
  mount: SynthMount | null;
  node: SynthNode | null;
  /** The open description a magic link led to (/proc/PID/fd/N of a pipe), or null. */
  jump: OpenFile | null;
}

export interface OpenRequest {
  mode: OpenMode;
  create: boolean;
  exclusive: boolean;
  truncate: boolean;
  directory: boolean;
  noFollow: boolean;
  /** O_PATH: a descriptor naming the file (even a symbolic link with noFollow), not opening
   *  it for I/O. */
  pathOnly?: boolean;
  /** Permission bits for a created file (already masked by umask). */
  perm: number;
}

/** Figures of statfs. */
export interface FsFigures {
  type: number;
  bsize: number;
  blocks: bigint;
  bfree: bigint;
  bavail: bigint;
  files: bigint;
  ffree: bigint;
}

/** Access modes of access(): read, write, execute (POSIX R_OK, W_OK, X_OK). */
export const R_OK = 4, W_OK = 2, X_OK = 1;

const DEVICES: Record<string, { kind: "null" | "zero" | "full" | "random"; rdev: bigint }> = {
  "/dev/null": { kind: "null", rdev: 0x103n },
  "/dev/zero": { kind: "zero", rdev: 0x105n },
  "/dev/full": { kind: "full", rdev: 0x107n },
  "/dev/random": { kind: "random", rdev: 0x108n },
  "/dev/urandom": { kind: "random", rdev: 0x109n },
};

/** A component of a path being resolved: a synthetic node (with its tree), or null on the host. */
type Place = { node: SynthNode; mount: SynthMount } | null;

export class FileSystem {
  /** Host root, absolute and without symlinks. */
  readonly root: string;
  /** The page cache kept coherent with reads and writes through this view (set by System). */
  pageCache: PageCache | null = null;
  /** Synthetic trees by guest mount point (one component below the root, e.g. "/proc"). */
  private readonly mounts = new Map<string, SynthMount>();
  /** The pipes behind the FIFO nodes opened through this view. */
  private readonly fifos = new FifoTable();

  constructor(
    root: string,
    /** Whether every path is writable. */
    readonly writableAll: boolean,
    /** Guest directories below which writes are allowed. */
    readonly writableDirs: string[],
  ) {
    this.root = fs.realpathSync(root);
  }

  /** Mounts a synthetic tree at guest path `at` ("/proc"), over whatever the host has there. */
  mount(at: string, m: SynthMount): void {
    if (!/^\/[^/]+$/.test(at)) throw new Error(`mount point ${at} must be one component below the root`);
    this.mounts.set(at, m);
  }

  /** The mounted synthetic trees, by mount point. */
  mountTable(): [string, SynthMount][] {
    return [...this.mounts];
  }

  /** Host path for a normalised guest path. */
  hostOf(guest: string): string {
    return this.root === "/" ? guest : path.join(this.root, guest);
  }

  /** Guest path of a host path inside the root, or null if it is outside. */
  guestOf(host: string): string | null {
    const rel = path.relative(this.root, host);
    if (rel.startsWith("..") || path.isAbsolute(rel)) return null;
    return "/" + rel.split(path.sep).filter(Boolean).join("/");
  }

  /**
   * Resolves `p` (relative to guest directory `base`) for `who`. Intermediate symbolic links are
   * always followed, the last one only if `follow` or if the path ends in "/" or "/." (it must
   * then be a directory). The last component may not exist (st = null); a missing or
   * non-directory intermediate component is an error, and so is a synthetic directory `who`
   * may not search (EACCES).
   */
  resolve(who: FsCaller, p: string, base: string, follow: boolean): Resolved {
    if (p.length === 0) sysError("ENOENT");
    if (p.length >= PATH_MAX) sysError("ENAMETOOLONG");
    if (/[^/]\/\.?$/.test(p)) {
      const r = this.resolveParts(who, p, base, true);
      if (r.st !== null && (r.st.mode & S_IFMT) !== S_IFDIR) sysError("ENOTDIR");
      return r;
    }
    return this.resolveParts(who, p, base, follow);
  }

  private resolveParts(who: FsCaller, p: string, base: string, follow: boolean): Resolved {
    let todo = (p.startsWith("/") ? p : base + "/" + p).split("/").filter((s) => s !== "" && s !== ".");
    const done: string[] = [];
    /** What each component of `done` is (parallel to it). */
    const places: Place[] = [];
    let links = 0;
    /** lstat of the last component when it is on the host and was just looked at. */
    let hostSt: fs.BigIntStats | null = null;
    const follows = (): void => {
      if (++links > MAX_SYMLINKS) sysError("ELOOP");
    };
    const restart = (target: string): void => {
      done.pop();
      if (target.startsWith("/")) {
        done.length = 0;
        places.length = 0;
      }
      todo = [...target.split("/").filter((s) => s !== "" && s !== "."), ...todo];
    };
    while (todo.length > 0) {
      const name = todo.shift() as string; // loop condition guarantees an element
      hostSt = null;
      if (name === "..") {
        done.pop();
        places.pop();
        continue;
      }
      if (name.length > 255) sysError("ENAMETOOLONG");
      const parent = places.length > 0 ? places[places.length - 1] : null;
      done.push(name);
      const guest = "/" + done.join("/");
      const last = todo.length === 0;
      const mount = parent === null ? this.mounts.get(guest) : parent.mount;
      if (mount !== undefined) {
        let node: SynthNode | null;
        if (parent === null) {
          node = mount.root(who);
        } else {
          checkAccess(who, parent.node, MAY_EXEC);
          node = parent.node.kind === "dir" ? parent.node.lookup(name) : null;
        }
        if (node === null) {
          if (!last) sysError("ENOENT");
          return { guest, host: "", st: null, mount, node: null, jump: null };
        }
        if (node.kind === "link" && (!last || follow)) {
          follows();
          node.guard?.(who);
          const jump = node.jump?.() ?? null;
          if (jump !== null) {
            if (!last) sysError("ENOTDIR");
            return { guest, host: "", st: jump.stat(), mount, node, jump };
          }
          restart(node.target());
          continue;
        }
        if (!last && node.kind !== "dir") sysError("ENOTDIR");
        places.push({ node, mount });
        continue;
      }
      if (DEVICES[guest] && last) return { guest, host: "", st: null, mount: null, node: null, jump: null };
      const host = this.hostOf(guest);
      let st: fs.BigIntStats;
      try {
        st = fs.lstatSync(host, { bigint: true });
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code !== "ENOENT" && code !== "ENOTDIR") throw fromHostError(e);
        if (!last) sysError(code === "ENOTDIR" ? "ENOTDIR" : "ENOENT");
        return { guest, host, st: null, mount: null, node: null, jump: null };
      }
      const type = Number(st.mode) & S_IFMT;
      if (type === S_IFLNK && (!last || follow)) {
        follows();
        restart(fs.readlinkSync(host, { encoding: "latin1" }));
        continue;
      }
      if (!last && type !== S_IFDIR) sysError("ENOTDIR");
      places.push(null);
      hostSt = st;
    }
    const guest = "/" + done.join("/");
    const place = places.length > 0 ? places[places.length - 1] : null;
    if (place !== null) return { guest, host: "", st: synthStat(place.node, place.mount.dev), mount: place.mount, node: place.node, jump: null };
    const host = this.hostOf(guest);
    // After a trailing "..", or at the root: stat the directory we ended in.
    const st = hostSt ?? this.host(() => fs.lstatSync(host, { bigint: true }));
    return { guest, host, st: statFromHost(st), mount: null, node: null, jump: null };
  }

  /** Whether the process may modify `guest` (create, write, remove). */
  canWrite(guest: string): boolean {
    if (this.writableAll) return true;
    return this.writableDirs.some((d) => guest === d || guest.startsWith(d === "/" ? "/" : d + "/"));
  }

  private device(r: Resolved): (typeof DEVICES)[string] | undefined {
    return r.mount === null && r.host === "" ? DEVICES[r.guest] : undefined;
  }

  open(who: FsCaller, p: string, base: string, req: OpenRequest): OpenFile {
    const r = this.resolve(who, p, base, !req.noFollow);
    if (req.pathOnly) {
      const st = r.st !== null ? r.st : this.device(r) ? this.stat(who, p, base, !req.noFollow) : sysError("ENOENT");
      if (req.directory && (st.mode & S_IFMT) !== S_IFDIR) sysError("ENOTDIR");
      return new PathFile(r.guest, st);
    }
    const dev = this.device(r);
    if (dev) {
      if (req.directory) sysError("ENOTDIR");
      return new CharDevice(r.guest, req.mode, dev.kind, dev.rdev);
    }
    if (r.mount !== null) return this.openSynthetic(who, r, req);
    if (r.st === null) {
      if (!req.create) sysError("ENOENT");
      if (!this.canWrite(r.guest)) sysError("EROFS");
    } else {
      if (req.create && req.exclusive) sysError("EEXIST");
      const type = r.st.mode & S_IFMT;
      if (type === S_IFLNK) sysError("ELOOP");
      if (type === S_IFDIR) {
        if (req.mode.write) sysError("EISDIR");
        const st = r.st;
        return this.withFlags(new DirFile(r.guest, st, () => hostListing(r.host, st)), req.mode);
      }
      if (req.directory) sysError("ENOTDIR");
      if (type === S_IFIFO) {
        const st = r.st;
        return this.fifos.open(`${st.dev}:${st.ino}`, r.guest, req.mode, () => this.stat(who, r.guest, "/", true));
      }
      if ((req.mode.write || req.truncate) && !this.canWrite(r.guest)) sysError("EROFS");
    }
    let flags = req.mode.write ? (req.mode.read ? fs.constants.O_RDWR : fs.constants.O_WRONLY) : fs.constants.O_RDONLY;
    if (req.create) flags |= fs.constants.O_CREAT;
    if (req.exclusive) flags |= fs.constants.O_EXCL;
    if (req.truncate && req.mode.write) flags |= fs.constants.O_TRUNC;
    flags |= fs.constants.O_NOFOLLOW;
    try {
      const fd = fs.openSync(r.host, flags, req.perm);
      const f = new HostFile(r.guest, req.mode, fd, r.host, this.pageCache);
      if (req.truncate && req.mode.write) f.truncated(0);
      return f;
    } catch (e) {
      throw fromHostError(e);
    }
  }

  /** A directory keeps the status flags it was opened with (reported by F_GETFL, fdinfo). */
  private withFlags(d: DirFile, mode: OpenMode): DirFile {
    d.mode = { ...d.mode, nonblock: mode.nonblock, largeFile: mode.largeFile };
    return d;
  }

  /** Opens a synthetic node: nothing can be created there (ENOENT, as in Linux's /proc); the
   *  permission bits and the node's guard decide the rest. Files open for writing when the
   *  bits allow it; their writes then fail as the node says. */
  private openSynthetic(who: FsCaller, r: Resolved, req: OpenRequest): OpenFile {
    if (r.jump !== null) return r.jump.reopen(req.mode);
    const n = r.node;
    if (n === null || r.st === null) return sysError("ENOENT");
    if (req.create && req.exclusive) sysError("EEXIST");
    if (n.kind === "link") sysError("ELOOP");
    if (n.kind === "dir") {
      if (req.mode.write) sysError("EISDIR");
      checkAccess(who, n, MAY_READ);
      return this.withFlags(new DirFile(r.guest, r.st, () => synthListing(n, this.stat(who, r.guest + "/..", "/", true).ino)), req.mode);
    }
    if (req.directory) sysError("ENOTDIR");
    checkAccess(who, n, (req.mode.read ? MAY_READ : 0) | (req.mode.write ? MAY_WRITE : 0));
    return new SynthOpenFile(r.guest, req.mode, n, r.st);
  }

  /** Resolves a path whose last component the call creates or removes: not followed if it is a
   *  symlink, refused (EROFS) outside the writable part, devices excepted (EPERM). Synthetic
   *  paths are returned unchecked: each call answers for them as Linux's /proc does. */
  private forChange(who: FsCaller, p: string, base: string): Resolved {
    // The last component itself is what changes: a trailing slash does not follow a symlink here.
    const r = this.resolveParts(who, p.length > 1 ? p.replace(/\/+$/, "") || "/" : p, base, false);
    if (r.mount !== null) return r;
    if (this.device(r)) sysError("EPERM");
    if (r.guest === "/") sysError("EBUSY");
    if (!this.canWrite(r.guest)) sysError("EROFS");
    return r;
  }

  private host<T>(op: () => T): T {
    try {
      return op();
    } catch (e) {
      throw fromHostError(e);
    }
  }

  /** mknod: a regular file or a FIFO (`perm` already masked by the umask). Device nodes and
   *  sockets are refused (EPERM): the host's file system is not the place for them. */
  mknod(who: FsCaller, p: string, base: string, type: number, perm: number): void {
    const r = this.forChange(who, p, base);
    if (r.st !== null) sysError("EEXIST");
    if (r.mount !== null) sysError("ENOENT");
    if (type === S_IFIFO) {
      // Node has no mkfifo(3); the host's mkfifo(1) makes the node (the pipe is ours: fifo.ts).
      const res = spawnSync("mkfifo", ["-m", (perm & 0o7777).toString(8), r.host], { encoding: "utf8" });
      if (res.error !== undefined || res.status !== 0) sysError(fs.existsSync(r.host) ? "EEXIST" : "EACCES", res.stderr ?? String(res.error));
      return;
    }
    if (type !== 0 && type !== S_IFREG) sysError("EPERM");
    this.host(() => fs.closeSync(fs.openSync(r.host, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, perm & 0o7777)));
  }

  /** mkdir: `perm` is already masked by the umask. */
  mkdir(who: FsCaller, p: string, base: string, perm: number): void {
    const r = this.forChange(who, p, base);
    if (r.st !== null) sysError("EEXIST");
    if (r.mount !== null) sysError("ENOENT");
    this.host(() => fs.mkdirSync(r.host, perm & 0o7777));
  }

  rmdir(who: FsCaller, p: string, base: string): void {
    const r = this.forChange(who, p, base);
    if (r.st === null) sysError("ENOENT");
    if (r.mount !== null) sysError("EPERM");
    if ((r.st.mode & S_IFMT) !== S_IFDIR) sysError("ENOTDIR");
    this.host(() => fs.rmdirSync(r.host));
  }

  unlink(who: FsCaller, p: string, base: string): void {
    const r = this.forChange(who, p, base);
    if (r.st === null) sysError("ENOENT");
    if (r.mount !== null) sysError("EPERM");
    if ((r.st.mode & S_IFMT) === S_IFDIR) sysError("EISDIR");
    this.host(() => fs.unlinkSync(r.host));
  }

  /** rename; with `noReplace` an existing target is EEXIST (RENAME_NOREPLACE). Between a
   *  synthetic tree and anything else: EXDEV; inside one: nothing can be renamed. */
  rename(who: FsCaller, from: string, fromBase: string, to: string, toBase: string, noReplace: boolean): void {
    const a = this.forChange(who, from, fromBase);
    const b = this.forChange(who, to, toBase);
    if (a.mount !== b.mount) sysError("EXDEV");
    if (a.st === null) sysError("ENOENT");
    if (a.mount !== null) sysError(b.st === null ? "ENOENT" : "EPERM");
    if (noReplace && b.st !== null) sysError("EEXIST");
    this.host(() => fs.renameSync(a.host, b.host));
  }

  /** symlink: `target` is stored as given (resolved later within the guest root). */
  symlink(who: FsCaller, target: string, p: string, base: string): void {
    const r = this.forChange(who, p, base);
    if (r.st !== null) sysError("EEXIST");
    if (r.mount !== null) sysError("ENOENT");
    this.host(() => fs.symlinkSync(Buffer.from(target, "latin1"), r.host));
  }

  link(who: FsCaller, from: string, fromBase: string, to: string, toBase: string, follow: boolean): void {
    const a = this.resolve(who, from, fromBase, follow);
    const b = this.forChange(who, to, toBase);
    if (a.mount !== b.mount) sysError("EXDEV");
    if (a.st === null) sysError("ENOENT");
    if (b.st !== null) sysError("EEXIST");
    if (b.mount !== null) sysError("ENOENT");
    this.host(() => fs.linkSync(a.host, b.host));
  }

  /** Resolves a path whose attributes a call changes (chmod, utimes, truncate): synthetic
   *  nodes keep theirs (EPERM), and host ones must be in the writable part. */
  private forAttrs(who: FsCaller, p: string, base: string, follow: boolean): Resolved & { st: FileStat } {
    const r = this.resolve(who, p, base, follow);
    if (r.st === null) return sysError("ENOENT");
    if (r.mount !== null) sysError("EPERM");
    if (!this.canWrite(r.guest)) sysError("EROFS");
    return { ...r, st: r.st };
  }

  chmod(who: FsCaller, p: string, base: string, perm: number, follow: boolean): void {
    const r = this.forAttrs(who, p, base, follow);
    if ((r.st.mode & S_IFMT) === S_IFLNK) sysError("EOPNOTSUPP"); // Linux has no lchmod
    this.host(() => fs.chmodSync(r.host, perm & 0o7777));
  }

  /** chown/lchown: -1 keeps an id as it is. */
  chown(who: FsCaller, p: string, base: string, uid: number, gid: number, follow: boolean): void {
    const r = this.forAttrs(who, p, base, follow);
    const u = uid === -1 ? r.st.uid : uid, g = gid === -1 ? r.st.gid : gid;
    this.host(() => (follow ? fs.chownSync(r.host, u, g) : fs.lchownSync(r.host, u, g)));
  }

  /** Sets access and modification times (seconds, fractional); null keeps a time as it is. */
  utimes(who: FsCaller, p: string, base: string, atime: number | null, mtime: number | null, follow: boolean): void {
    const r = this.forAttrs(who, p, base, follow);
    const a = atime ?? Number(r.st.atimeNs) / 1e9, m = mtime ?? Number(r.st.mtimeNs) / 1e9;
    this.host(() => (follow ? fs.utimesSync(r.host, a, m) : fs.lutimesSync(r.host, a, m)));
  }

  truncate(who: FsCaller, p: string, base: string, len: number): void {
    const r = this.resolve(who, p, base, true);
    if (r.st === null) sysError("ENOENT");
    if ((r.st.mode & S_IFMT) === S_IFDIR) sysError("EISDIR");
    const w = this.forAttrs(who, p, base, true);
    this.host(() => fs.truncateSync(w.host, len));
    this.pageCache?.lookup(`${w.st.dev}:${w.st.ino}`)?.truncated(len);
  }

  /** The file system holding a path: statfs figures (counts as bigints). */
  statfs(who: FsCaller, p: string, base: string): FsFigures {
    const r = this.resolve(who, p, base, true);
    if (r.mount !== null && r.jump === null) {
      if (r.st === null) sysError("ENOENT");
      return { type: r.mount.magic, bsize: 4096, blocks: 0n, bfree: 0n, bavail: 0n, files: 0n, ffree: 0n };
    }
    if (r.st === null && !this.device(r)) sysError("ENOENT");
    const s = this.host(() => fs.statfsSync(r.host === "" ? this.root : r.host, { bigint: true }));
    return { type: Number(s.type), bsize: Number(s.bsize), blocks: s.blocks, bfree: s.bfree, bavail: s.bavail, files: s.files, ffree: s.ffree };
  }

  stat(who: FsCaller, p: string, base: string, follow: boolean): FileStat {
    const r = this.resolve(who, p, base, follow);
    const dev = this.device(r);
    if (dev) return new CharDevice(r.guest, { read: true, write: false, append: false, nonblock: false }, dev.kind, dev.rdev).stat();
    if (r.st === null) sysError("ENOENT");
    return r.st;
  }

  readlink(who: FsCaller, p: string, base: string): Buffer {
    const r = this.resolve(who, p, base, false);
    if (r.node !== null && r.node.kind === "link") {
      r.node.guard?.(who);
      return Buffer.from(r.node.target(), "latin1");
    }
    if (r.st === null) sysError(this.device(r) ? "EINVAL" : "ENOENT");
    if (r.mount !== null || (r.st.mode & S_IFMT) !== S_IFLNK) sysError("EINVAL");
    try {
      return fs.readlinkSync(r.host, { encoding: "buffer" });
    } catch (e) {
      throw fromHostError(e);
    }
  }

  /** access(): whether `who` may use a path as `mode` (R_OK | W_OK | X_OK, or 0 for existence)
   *  says. Host files answer with the host's checks, synthetic ones with their bits. */
  access(who: FsCaller, p: string, base: string, mode: number, follow: boolean): void {
    const r = this.resolve(who, p, base, follow);
    if (this.device(r)) return; // readable and writable by all
    if (r.st === null) sysError("ENOENT");
    if (mode === 0 || r.jump !== null) return;
    if (r.node !== null) {
      if (!permitted(who, r.node, mode)) sysError("EACCES");
      return;
    }
    if (mode & W_OK && !this.canWrite(r.guest)) sysError("EROFS");
    this.host(() => fs.accessSync(r.host, mode));
  }
}
