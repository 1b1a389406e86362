// The process's view of the file system: guest paths resolve under a host root directory,
// component by component, following symbolic links inside the root (an absolute link target
// restarts at the root, `..` never climbs above it). Writes are allowed only below the writable
// directories unless the whole root is writable. A few device nodes and /proc entries are
// provided by the library itself, so they exist whatever the root holds.

import * as fs from "node:fs";
import * as path from "node:path";
import { sysError, fromHostError } from "./errors.js";
import type { PageCache } from "./pagecache.js";
import { type OpenFile, type OpenMode, HostFile, CharDevice, DirFile, PathFile, statFromHost, S_IFMT, S_IFDIR, S_IFLNK, type FileStat } from "./file.js";

/** Longest path and most symbolic links followed in one resolution (Linux's limits). */
export const PATH_MAX = 4096;
export const MAX_SYMLINKS = 40;

export interface Resolved {
  /** Normalised guest path. */
  guest: string;
  /** Host path. */
  host: string;
  /** lstat of the final component, or null if it does not exist. */
  st: fs.BigIntStats | null;
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

const DEVICES: Record<string, { kind: "null" | "zero" | "full" | "random"; rdev: bigint }> = {
  "/dev/null": { kind: "null", rdev: 0x103n },
  "/dev/zero": { kind: "zero", rdev: 0x105n },
  "/dev/full": { kind: "full", rdev: 0x107n },
  "/dev/random": { kind: "random", rdev: 0x108n },
  "/dev/urandom": { kind: "random", rdev: 0x109n },
};

export class FileSystem {
  /** Host root, absolute and without symlinks. */
  readonly root: string;
  /** The page cache kept coherent with reads and writes through this view (set by System). */
  pageCache: PageCache | null = null;

  constructor(
    root: string,
    /** Whether every path is writable. */
    readonly writableAll: boolean,
    /** Guest directories below which writes are allowed. */
    readonly writableDirs: string[],
  ) {
    this.root = fs.realpathSync(root);
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
   * Resolves `p` (relative to guest directory `base`) to a guest and host path. Intermediate
   * symbolic links are always followed, the last one only if `follow`. The last component may
   * not exist (st = null); a missing or non-directory intermediate component is an error.
   */
  resolve(p: string, base: string, follow: boolean): Resolved {
    if (p.length === 0) sysError("ENOENT");
    if (p.length >= PATH_MAX) sysError("ENAMETOOLONG");
    let todo = (p.startsWith("/") ? p : base + "/" + p).split("/").filter((s) => s !== "" && s !== ".");
    const done: string[] = [];
    let links = 0;
    let st: fs.BigIntStats | null = null;
    while (todo.length > 0) {
      const name = todo.shift() as string; // loop condition guarantees an element
      if (name === "..") {
        done.pop();
        st = null;
        continue;
      }
      if (name.length > 255) sysError("ENAMETOOLONG");
      done.push(name);
      const guest = "/" + done.join("/");
      if (DEVICES[guest] && todo.length === 0) return { guest, host: "", st: null };
      const host = this.hostOf(guest);
      try {
        st = fs.lstatSync(host, { bigint: true });
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code !== "ENOENT" && code !== "ENOTDIR") throw fromHostError(e);
        if (todo.length > 0) sysError(code === "ENOTDIR" ? "ENOTDIR" : "ENOENT");
        return { guest, host, st: null };
      }
      const isLink = (Number(st.mode) & S_IFMT) === S_IFLNK;
      if (isLink && (todo.length > 0 || follow)) {
        if (++links > MAX_SYMLINKS) sysError("ELOOP");
        const target = fs.readlinkSync(host, { encoding: "latin1" });
        done.pop();
        const parts = target.split("/").filter((s) => s !== "" && s !== ".");
        if (target.startsWith("/")) done.length = 0;
        todo = [...parts, ...todo];
        st = null;
        continue;
      }
      if (todo.length > 0 && (Number(st.mode) & S_IFMT) !== S_IFDIR) sysError("ENOTDIR");
    }
    const guest = "/" + done.join("/");
    if (st === null && done.length > 0) {
      // After a trailing "..": stat the directory we ended in.
      try {
        st = fs.lstatSync(this.hostOf(guest), { bigint: true });
      } catch (e) {
        throw fromHostError(e);
      }
    }
    if (done.length === 0) st = fs.lstatSync(this.root, { bigint: true });
    return { guest, host: this.hostOf(guest), st };
  }

  /** Whether the process may modify `guest` (create, write, remove). */
  canWrite(guest: string): boolean {
    if (this.writableAll) return true;
    return this.writableDirs.some((d) => guest === d || guest.startsWith(d === "/" ? "/" : d + "/"));
  }

  open(p: string, base: string, req: OpenRequest): OpenFile {
    const r = this.resolve(p, base, !req.noFollow);
    if (req.pathOnly) {
      const st = DEVICES[r.guest] ? this.stat(p, base, !req.noFollow) : r.st !== null ? statFromHost(r.st) : sysError("ENOENT");
      if (req.directory && (st.mode & S_IFMT) !== S_IFDIR) sysError("ENOTDIR");
      return new PathFile(r.guest, st);
    }
    const dev = DEVICES[r.guest];
    if (dev) {
      if (req.directory) sysError("ENOTDIR");
      return new CharDevice(r.guest, req.mode, dev.kind, dev.rdev);
    }
    if (r.st === null) {
      if (!req.create) sysError("ENOENT");
      if (!this.canWrite(r.guest)) sysError("EROFS");
    } else {
      if (req.create && req.exclusive) sysError("EEXIST");
      const type = Number(r.st.mode) & S_IFMT;
      if (type === S_IFLNK) sysError("ELOOP");
      if (type === S_IFDIR) {
        if (req.mode.write) sysError("EISDIR");
        return new DirFile(r.guest, r.host, statFromHost(r.st));
      }
      if (req.directory) sysError("ENOTDIR");
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

  /** Resolves a path whose last component the call creates or removes: not followed if it is a
   *  symlink, refused (EROFS) outside the writable part, devices excepted (EPERM). */
  private forChange(p: string, base: string): Resolved {
    const r = this.resolve(p, base, false);
    if (DEVICES[r.guest]) sysError("EPERM");
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

  /** mkdir: `perm` is already masked by the umask. */
  mkdir(p: string, base: string, perm: number): void {
    const r = this.forChange(p, base);
    if (r.st !== null) sysError("EEXIST");
    this.host(() => fs.mkdirSync(r.host, perm & 0o7777));
  }

  rmdir(p: string, base: string): void {
    const r = this.forChange(p, base);
    if (r.st === null) sysError("ENOENT");
    if ((Number(r.st.mode) & S_IFMT) !== S_IFDIR) sysError("ENOTDIR");
    this.host(() => fs.rmdirSync(r.host));
  }

  unlink(p: string, base: string): void {
    const r = this.forChange(p, base);
    if (r.st === null) sysError("ENOENT");
    if ((Number(r.st.mode) & S_IFMT) === S_IFDIR) sysError("EISDIR");
    this.host(() => fs.unlinkSync(r.host));
  }

  /** rename; with `noReplace` an existing target is EEXIST (RENAME_NOREPLACE). */
  rename(from: string, fromBase: string, to: string, toBase: string, noReplace: boolean): void {
    const a = this.forChange(from, fromBase);
    const b = this.forChange(to, toBase);
    if (a.st === null) sysError("ENOENT");
    if (noReplace && b.st !== null) sysError("EEXIST");
    this.host(() => fs.renameSync(a.host, b.host));
  }

  /** symlink: `target` is stored as given (resolved later within the guest root). */
  symlink(target: string, p: string, base: string): void {
    const r = this.forChange(p, base);
    if (r.st !== null) sysError("EEXIST");
    this.host(() => fs.symlinkSync(Buffer.from(target, "latin1"), r.host));
  }

  link(from: string, fromBase: string, to: string, toBase: string, follow: boolean): void {
    const a = this.resolve(from, fromBase, follow);
    const b = this.forChange(to, toBase);
    if (a.st === null) sysError("ENOENT");
    if (b.st !== null) sysError("EEXIST");
    this.host(() => fs.linkSync(a.host, b.host));
  }

  chmod(p: string, base: string, perm: number, follow: boolean): void {
    const r = this.resolve(p, base, follow);
    if (r.st === null) sysError("ENOENT");
    if (!this.canWrite(r.guest)) sysError("EROFS");
    if ((Number(r.st.mode) & S_IFMT) === S_IFLNK) sysError("EOPNOTSUPP"); // Linux has no lchmod
    this.host(() => fs.chmodSync(r.host, perm & 0o7777));
  }

  /** chown/lchown: -1 keeps an id as it is. */
  chown(p: string, base: string, uid: number, gid: number, follow: boolean): void {
    const r = this.resolve(p, base, follow);
    if (r.st === null) sysError(DEVICES[r.guest] ? "EPERM" : "ENOENT");
    if (!this.canWrite(r.guest)) sysError("EROFS");
    const u = uid === -1 ? Number(r.st.uid) : uid, g = gid === -1 ? Number(r.st.gid) : gid;
    this.host(() => (follow ? fs.chownSync(r.host, u, g) : fs.lchownSync(r.host, u, g)));
  }

  /** Sets access and modification times (seconds, fractional); null keeps a time as it is. */
  utimes(p: string, base: string, atime: number | null, mtime: number | null, follow: boolean): void {
    const r = this.resolve(p, base, follow);
    if (r.st === null) sysError("ENOENT");
    if (!this.canWrite(r.guest)) sysError("EROFS");
    const st = r.st;
    const a = atime ?? Number(st.atimeNs) / 1e9, m = mtime ?? Number(st.mtimeNs) / 1e9;
    this.host(() => (follow ? fs.utimesSync(r.host, a, m) : fs.lutimesSync(r.host, a, m)));
  }

  truncate(p: string, base: string, len: number): void {
    const r = this.resolve(p, base, true);
    if (r.st === null) sysError("ENOENT");
    if ((Number(r.st.mode) & S_IFMT) === S_IFDIR) sysError("EISDIR");
    if (!this.canWrite(r.guest)) sysError("EROFS");
    this.host(() => fs.truncateSync(r.host, len));
    this.pageCache?.lookup(`${r.st.dev}:${r.st.ino}`)?.truncated(len);
  }

  /** The file system holding a path: statfs figures (counts as bigints). */
  statfs(p: string, base: string): { type: number; bsize: number; blocks: bigint; bfree: bigint; bavail: bigint; files: bigint; ffree: bigint } {
    const r = this.resolve(p, base, true);
    if (r.st === null && !DEVICES[r.guest]) sysError("ENOENT");
    const s = this.host(() => fs.statfsSync(r.host === "" ? this.root : r.host, { bigint: true }));
    return { type: Number(s.type), bsize: Number(s.bsize), blocks: s.blocks, bfree: s.bfree, bavail: s.bavail, files: s.files, ffree: s.ffree };
  }

  stat(p: string, base: string, follow: boolean): FileStat {
    const r = this.resolve(p, base, follow);
    const dev = DEVICES[r.guest];
    if (dev) return new CharDevice(r.guest, { read: true, write: false, append: false, nonblock: false }, dev.kind, dev.rdev).stat();
    if (r.st === null) sysError("ENOENT");
    return statFromHost(r.st);
  }

  readlink(p: string, base: string): Buffer {
    const r = this.resolve(p, base, false);
    if (r.st === null) sysError(DEVICES[r.guest] ? "EINVAL" : "ENOENT");
    if ((Number(r.st.mode) & S_IFMT) !== S_IFLNK) sysError("EINVAL");
    try {
      return fs.readlinkSync(r.host, { encoding: "buffer" });
    } catch (e) {
      throw fromHostError(e);
    }
  }
}
