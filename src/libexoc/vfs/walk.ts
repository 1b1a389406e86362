// Path walking: a guest path, relative to a base directory, becomes the places (mount and node)
// it leads through. Component by component: the caller needs search permission on every
// directory it walks (not on those of the base, which it reached before); a name covered by a
// mount leads to the mounted root; ".." pops back to where the walk came from, so at a mount's
// root it reaches the parent of the covered directory, and it never climbs above "/".
// Symbolic links in the middle are always followed, the last one when asked or when the path
// ends in "/" (which also demands a directory); at most 40 per walk (ELOOP). An absolute link
// target restarts at "/".

import { S_IFMT, S_IFDIR, S_IFLNK, type FileStat, type OpenFile } from "../file.js";
import { sysError } from "../errors.js";
import { MAY_EXEC, type FsCaller, type VolumeNode } from "../volume.js";
import type { Mount, MountTable } from "./mounts.js";
import { credOf, modePermits } from "./perm.js";

/** Longest path and most symbolic links followed in one resolution (Linux's limits). */
export const PATH_MAX = 4096;
export const MAX_SYMLINKS = 40;
export const NAME_MAX = 255;

/** A node reached by a walk: its mount, the node, its status then, and the name it was reached
 *  by ("" for the root). */
export interface Place {
  mnt: Mount;
  node: VolumeNode;
  st: FileStat;
  name: string;
}

/** What the last component of a path is: a name, ".", "..", or nothing ("/"). */
export type LastType = "norm" | "dot" | "dotdot" | "root";

export interface Walk {
  /** The directories from "/" to the one holding the last component (for "." and "..": to the
   *  directory they name). */
  dirs: Place[];
  lastType: LastType;
  /** The last component when it is a name. */
  name: string;
  /** What the path names (null: the last name does not exist, or was not looked up). */
  place: Place | null;
  /** The open description a magic link led to (/proc/PID/fd/N of a pipe), or null. */
  jump: OpenFile | null;
  /** The path ended in "/". */
  slash: boolean;
}

export function isDirSt(st: FileStat): boolean {
  return (st.mode & S_IFMT) === S_IFDIR;
}

export function isLinkSt(st: FileStat): boolean {
  return (st.mode & S_IFMT) === S_IFLNK;
}

/** Whether `who` may access `p` as `want` (MAY_* bits) says: the volume's own rule if it has
 *  one, else the mode bits. */
export function permitted(who: FsCaller, p: Place, want: number): boolean {
  const vol = p.mnt.vol;
  return vol.permission !== undefined ? vol.permission(p.node, who, want) : modePermits(credOf(who), p.st, want);
}

export function checkPermission(who: FsCaller, p: Place, want: number): void {
  if (!permitted(who, p, want)) sysError("EACCES");
}

/** The guest path of a walk's result. */
export function guestPath(w: Walk): string {
  const names = w.dirs.slice(1).map((d) => d.name);
  if (w.lastType === "norm") names.push(w.name);
  return "/" + names.join("/");
}

export interface WalkOptions {
  /** Follow a symbolic link in the last component. */
  follow: boolean;
  /** Stop before looking the last component up (the calls that create or remove it). */
  parentOnly?: boolean;
  /** Skip search permission checks (walking back to a directory the caller already reached). */
  unchecked?: boolean;
  /** openat2's RESOLVE_* restrictions (RESOLVE_NO_XDEV and the others below; 0: none). */
  resolve?: number;
}

/** openat2's restrictions on a walk (linux/openat2.h): no mount crossed (EXDEV); no magic link
 *  (/proc/PID/fd/N) followed, or no symbolic link at all (ELOOP); the walk kept beneath its
 *  starting directory (EXDEV for an absolute path or link, or ".." above it), or that
 *  directory taken for "/" (absolute paths and links start there, ".." stops there). */
export const RESOLVE_NO_XDEV = 0x01, RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_NO_SYMLINKS = 0x04;
export const RESOLVE_BENEATH = 0x08, RESOLVE_IN_ROOT = 0x10;

export class Walker {
  constructor(private readonly mounts: MountTable) {}

  /** "/" as `who` sees it: the system's root, or the directory it was confined to (chroot),
   *  beyond which ".." does not climb. ENOENT if that directory is gone. */
  rootPlace(who: FsCaller): Place {
    const m = this.mounts.top(this.mounts.root);
    const node = m.root(who);
    const top: Place = { mnt: m, node, st: m.vol.getattr(node), name: "" };
    const r = who.fsRoot;
    if (r === undefined || r === "/") return top;
    // (walked as a caller of the system's root: the path is canonical, no link in it)
    const w = this.walk({ tid: who.tid, proc: who.proc }, r, [top], { follow: true, unchecked: true });
    if (w.place === null || !isDirSt(w.place.st)) sysError("ENOENT");
    return { ...w.place, name: "" };
  }

  /** The entry `name` of directory `dir`, through a mount covering it; null if none. */
  step(who: FsCaller, dir: Place, name: string): Place | null {
    const m = this.mounts.covering(dir.mnt, dir.node.ino, name);
    if (m !== undefined) {
      m.expiry = false;
      const node = m.root(who);
      return { mnt: m, node, st: m.vol.getattr(node), name };
    }
    const vol = dir.mnt.vol;
    const node = vol.lookup(dir.node, Buffer.from(name, "latin1"));
    return node === null ? null : { mnt: dir.mnt, node, st: vol.getattr(node), name };
  }

  /** The directories of an absolute path already resolved once (a working directory). */
  private baseDirs(who: FsCaller, base: string): Place[] {
    const w = this.walk(who, base, [this.rootPlace(who)], { follow: true, unchecked: true });
    if (w.place === null) sysError("ENOENT");
    if (!isDirSt(w.place.st)) sysError("ENOTDIR");
    return w.lastType === "norm" ? [...w.dirs, w.place] : w.dirs;
  }

  /** Walks `p` relative to guest directory `base` for `who`. */
  resolve(who: FsCaller, p: string, base: string, o: WalkOptions): Walk {
    if (p.length === 0) sysError("ENOENT");
    if (p.length >= PATH_MAX) sysError("ENAMETOOLONG");
    const resolve = o.resolve ?? 0;
    const scoped = (resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) !== 0;
    if (p.startsWith("/") && (resolve & RESOLVE_BENEATH) !== 0) sysError("EXDEV");
    const start = p.startsWith("/") && !scoped ? [this.rootPlace(who)] : this.baseDirs(who, base);
    return this.walk(who, p, start, o);
  }

  private walk(who: FsCaller, p: string, start: Place[], o: WalkOptions): Walk {
    const slash = p.endsWith("/");
    let todo = p.split("/").filter((s) => s !== "");
    let dirs = start;
    let links = 0;
    const resolve = o.resolve ?? 0;
    // (RESOLVE_BENEATH and RESOLVE_IN_ROOT: the starting directory, below which the walk stays)
    const floor = (resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) !== 0 ? start.length : 1;
    const beneath = (resolve & RESOLVE_BENEATH) !== 0;
    const top = (): Place => dirs[dirs.length - 1];
    const done = (lastType: LastType, name: string, place: Place | null, jump: OpenFile | null = null): Walk => ({ dirs, lastType, name, place, jump, slash });
    while (todo.length > 0) {
      const name = todo.shift() as string; // the loop condition guarantees an element
      const last = todo.length === 0;
      const cur = top();
      if (!o.unchecked) checkPermission(who, cur, MAY_EXEC);
      if (name === ".") {
        if (last) return done("dot", "", cur);
        continue;
      }
      if (name === "..") {
        if (dirs.length === floor && beneath) sysError("EXDEV");
        if (dirs.length > floor) {
          if ((resolve & RESOLVE_NO_XDEV) !== 0 && dirs[dirs.length - 2].mnt !== cur.mnt) sysError("EXDEV");
          dirs = dirs.slice(0, -1);
        }
        if (last) return done("dotdot", "", top());
        continue;
      }
      if (Buffer.byteLength(name, "latin1") > NAME_MAX) sysError("ENAMETOOLONG");
      if (last && o.parentOnly) return done("norm", name, null);
      const next = this.step(who, cur, name);
      if (next === null) {
        if (!last) sysError("ENOENT");
        return done("norm", name, null);
      }
      if ((resolve & RESOLVE_NO_XDEV) !== 0 && next.mnt !== cur.mnt) sysError("EXDEV");
      if (isLinkSt(next.st) && (!last || o.follow || slash)) {
        if (++links > MAX_SYMLINKS) sysError("ELOOP");
        if (next.mnt.flags.nosymfollow === true) sysError("ELOOP");
        const vol = next.mnt.vol;
        const jump = vol.jump?.(next.node) ?? null;
        if (resolve !== 0) {
          const magic = jump !== null || vol.magic?.(next.node) === true;
          if ((resolve & RESOLVE_NO_SYMLINKS) !== 0 || (magic && (resolve & RESOLVE_NO_MAGICLINKS) !== 0)) sysError("ELOOP");
          // (a magic link jumps out of the tree: no scoped walk follows one, nor one that keeps
          // to a mount where it leads to an open description)
          if (magic && (resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) !== 0) sysError("EXDEV");
          if (jump !== null && (resolve & RESOLVE_NO_XDEV) !== 0) sysError("EXDEV");
        }
        if (jump !== null) {
          if (!last) sysError("ENOTDIR");
          return done("norm", name, next, jump);
        }
        const target = vol.readlink(next.node).toString("latin1");
        if (target.length === 0) sysError("ENOENT");
        if (target.startsWith("/")) {
          if (beneath) sysError("EXDEV");
          dirs = floor > 1 ? dirs.slice(0, floor) : [this.rootPlace(who)];
          if ((resolve & RESOLVE_NO_XDEV) !== 0 && top().mnt !== cur.mnt) sysError("EXDEV");
        }
        todo = [...target.split("/").filter((s) => s !== ""), ...todo];
        if (todo.length === 0) return done("root", "", top());
        continue;
      }
      if (!last) {
        if (!isDirSt(next.st)) sysError("ENOTDIR");
        dirs = [...dirs, next];
        continue;
      }
      if (slash && !isDirSt(next.st)) sysError("ENOTDIR");
      return done("norm", name, next);
    }
    return done("root", "", top());
  }
}
