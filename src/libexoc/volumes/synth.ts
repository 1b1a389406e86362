// A synthetic tree (synthfs.ts: /proc) as a volume. The tree gives each caller its own view
// (/proc/self), so a node here is a synthetic node with the caller it was reached by. Nothing
// can be created, removed or changed in it (as in Linux's /proc: creating fails with ENOENT,
// removing and changing with EPERM); its files open for writing when their bits allow, and
// their writes then fail as the node says. Its permission rule is the tree's own (sysctl files
// bind root too; some entries need the right to inspect a process: the node's guard).

import { sysError } from "../errors.js";
import type { FileStat, OpenFile, OpenMode } from "../file.js";
import type { DirEntry } from "../dirfile.js";
import { SynthOpenFile, synthStat, permitted, type SynthMount, type SynthNode } from "../synthfs.js";
import type { FsCaller, SetAttr, Volume, VolumeFigures, VolumeNode } from "../volume.js";
import { REBUILD } from "../../exokernel/later.js";

export class SynthVNode implements VolumeNode {
  /** The node: closures over the running system, so not a field (snapshots neither keep nor
   *  write it; it never changes). A snapshot loaded from bytes finds it again by its names
   *  from the tree's root, as `who` sees it (REBUILD). */
  declare readonly n: SynthNode;

  constructor(
    n: SynthNode,
    readonly who: FsCaller,
    readonly tree: SynthMount,
    /** Names looked up from the root to reach it. */
    readonly names: readonly string[],
  ) {
    Object.defineProperty(this, "n", { value: n, writable: true, enumerable: false });
  }

  [REBUILD](): void {
    let n: SynthNode | null = this.tree.root(this.who);
    for (const name of this.names) n = n !== null && n.kind === "dir" ? n.lookup(name) : null;
    if (n === null) throw new Error(`${this.tree.fsType} entry ${this.names.join("/")} is gone`);
    Object.defineProperty(this, "n", { value: n, writable: true, enumerable: false });
  }

  get ino(): bigint {
    return this.n.ino;
  }
}

/** A node of this volume (the VFS hands a volume only the nodes it made). */
function sn(n: VolumeNode): SynthVNode {
  return n as SynthVNode;
}

export class SynthVolume implements Volume {
  readonly fsType: string;
  readonly dev: bigint;
  readOnly = false;

  constructor(readonly tree: SynthMount) {
    this.fsType = tree.fsType;
    this.dev = tree.dev;
  }

  root(who: FsCaller): VolumeNode {
    return new SynthVNode(this.tree.root(who), who, this.tree, []);
  }

  lookup(dir: VolumeNode, name: Buffer): VolumeNode | null {
    const d = sn(dir);
    if (d.n.kind !== "dir") return null;
    const s = name.toString("latin1");
    const n = d.n.lookup(s);
    return n === null ? null : new SynthVNode(n, d.who, this.tree, [...d.names, s]);
  }

  getattr(n: VolumeNode): FileStat {
    return synthStat(sn(n).n, this.dev);
  }

  readlink(n: VolumeNode): Buffer {
    const s = sn(n);
    if (s.n.kind !== "link") return sysError("EINVAL");
    s.n.guard?.(s.who);
    return Buffer.from(s.n.target(), "latin1");
  }

  jump(n: VolumeNode): OpenFile | null {
    const s = sn(n);
    if (s.n.kind !== "link" || s.n.jump === undefined) return null;
    s.n.guard?.(s.who);
    return s.n.jump();
  }

  magic(n: VolumeNode): boolean {
    const l = sn(n).n;
    return l.kind === "link" && l.magic === true;
  }

  readdir(dir: VolumeNode): DirEntry[] {
    const d = sn(dir).n;
    if (d.kind !== "dir") return sysError("ENOTDIR");
    return d.entries().map((e) => ({ ino: e.ino, type: e.type, name: Buffer.from(e.name, "latin1") }));
  }

  permission(n: VolumeNode, who: FsCaller, want: number): boolean {
    const s = sn(n);
    if (!permitted(who, s.n, want)) return false;
    s.n.guard?.(who);
    return true;
  }

  create(): VolumeNode {
    return sysError("ENOENT");
  }

  mkdir(): VolumeNode {
    return sysError("ENOENT");
  }

  symlink(): VolumeNode {
    return sysError("ENOENT");
  }

  link(): void {
    sysError("ENOENT");
  }

  unlink(): void {
    sysError("EPERM");
  }

  rmdir(): void {
    sysError("EPERM");
  }

  rename(_fromDir: VolumeNode, _fromName: Buffer, toDir: VolumeNode, toName: Buffer): void {
    sysError(this.lookup(toDir, toName) === null ? "ENOENT" : "EPERM");
  }

  /** Modes and owners do not change (EPERM); a truncation, as open's O_TRUNC makes on the way
   *  to writing a /proc file, and times are accepted and change nothing, as Linux's
   *  proc_setattr. */
  setattr(_n: VolumeNode, a: SetAttr): void {
    if (a.perm !== undefined || a.uid !== undefined || a.gid !== undefined) sysError("EPERM");
  }

  openData(n: VolumeNode, path: string, mode: OpenMode): OpenFile {
    const v = sn(n);
    if (v.n.kind !== "file") return sysError("EINVAL");
    const st = synthStat(v.n, this.dev);
    return v.n.open !== undefined ? v.n.open(path, mode, st) : new SynthOpenFile(path, mode, v, st);
  }

  statfs(_n: VolumeNode): VolumeFigures {
    return { type: this.tree.magic, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, namelen: 255 };
  }

  sync(): void {}
}
