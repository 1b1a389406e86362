// mount and umount over the VFS's mount table, and the tables /proc shows of it (mounts and
// mountinfo, in Linux's formats: the system's own, so they live with the mount table).
//
// Only root mounts (the target is looked up first, as Linux does). A new mount makes a volume of a registered type (fstypes.ts) and covers a
// directory; a bind mount shows a directory of a mounted volume elsewhere; a remount changes a
// mount's flags (read-only, nosuid, nodev, noexec, access times) and, unless it is a bind
// remount, the volume's read-only state (refused with EBUSY while files are open for writing on
// it); a move takes a mount elsewhere. umount refuses a mount in use (open files, working
// directories, mounts inside it) with EBUSY unless detached (MNT_DETACH).

import { S_IFMT, S_IFBLK } from "../file.js";
import { sysError } from "../errors.js";
import type { FsCaller } from "../volume.js";
import { devMajor, devMinor } from "./devices.js";
import { guestPath, isDirSt, type Place, type Walk } from "./walk.js";
import type { Mount, MountFlags, MountPoint } from "./mounts.js";
import type { Vfs } from "./vfs.js";
import { CAP_SYS_ADMIN } from "../capability.js";
import { credOf, credCapable } from "./perm.js";

export interface MountRequest {
  source: string;
  target: string;
  /** Directory relative paths are resolved against. */
  base: string;
  fsType: string;
  /** File-system specific options (mount's data). */
  options: string;
  flags: MountFlags;
  remount: boolean;
  bind: boolean;
  move: boolean;
  /** Only propagation flags were given (MS_PRIVATE, MS_SHARED...): nothing changes here, as
   *  this system has one name space. */
  propagationOnly: boolean;
}

export interface UmountRequest {
  target: string;
  base: string;
  /** MNT_DETACH: take the mount away even if busy. */
  detach: boolean;
  /** MNT_EXPIRE: only mark it (the first call fails with EAGAIN). */
  expire: boolean;
  /** UMOUNT_NOFOLLOW: a final symbolic link is not followed. */
  noFollow: boolean;
}

function privileged(who: FsCaller): void {
  if (!credCapable(credOf(who), CAP_SYS_ADMIN)) sysError("EPERM");
}

/** The places from "/" to what a walk names, what it names last. */
function chainOf(w: Walk): Place[] {
  if (w.place === null) return sysError("ENOENT");
  return w.lastType === "norm" ? [...w.dirs, w.place] : w.dirs;
}

/** The mount whose root `chain` ends at, or null if it ends inside a mount. */
function mountRootOf(vfs: Vfs, chain: Place[]): Mount | null {
  return vfs.isMountRoot(chain) ? chain[chain.length - 1].mnt : null;
}

/** Where a new mount on `chain`'s end goes: on the mount whose root it is (stacked), or on the
 *  entry that names it. */
function pointOf(vfs: Vfs, chain: Place[]): { parent: Mount; at: MountPoint } {
  const end = chain[chain.length - 1];
  const root = mountRootOf(vfs, chain);
  if (root !== null) return { parent: root, at: { dirIno: 0n, name: null } };
  return { parent: end.mnt, at: { dirIno: chain[chain.length - 2].node.ino, name: end.name } };
}

function mountPath(chain: Place[]): string {
  return "/" + chain.slice(1).map((p) => p.name).join("/");
}

/** Whether guest path `p` is `dir` or lies below it. */
function within(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir === "/" ? "/" : dir + "/");
}

export function mount(vfs: Vfs, who: FsCaller, r: MountRequest): void {
  const tw = vfs.walk(who, r.target, r.base, true);
  privileged(who);
  if (tw.jump !== null) sysError("ENOTDIR");
  const chain = chainOf(tw);
  const end = chain[chain.length - 1];
  if (r.propagationOnly) {
    if (mountRootOf(vfs, chain) === null) sysError("EINVAL");
    return;
  }
  if (r.remount) {
    const m = mountRootOf(vfs, chain);
    if (m === null) return sysError("EINVAL");
    remount(vfs, m, r);
    vfs.mounts.touched();
    return;
  }
  if (r.move) {
    const sw = vfs.walk(who, r.source, r.base, true);
    const sc = chainOf(sw);
    const m = mountRootOf(vfs, sc);
    if (m === null || m.parent === null) return sysError("EINVAL");
    const to = mountPath(chain);
    if (within(to, m.path)) sysError("ELOOP");
    if (!isDirSt(end.st)) sysError("ENOTDIR");
    const { parent, at } = pointOf(vfs, chain);
    vfs.mounts.remove(m);
    vfs.mounts.add(m.vol, parent, at, to, m.source, m.flags, m.rootNode, m.rootPath);
    return;
  }
  if (r.bind) {
    const sw = vfs.walk(who, r.source, r.base, true);
    const src = chainOf(sw);
    const s = src[src.length - 1];
    if (isDirSt(s.st) !== isDirSt(end.st)) sysError(isDirSt(s.st) ? "ENOTDIR" : "EISDIR");
    if (!isDirSt(s.st)) sysError("EINVAL", "only directories are bound");
    const rel = guestPath(sw).slice(s.mnt.path === "/" ? 0 : s.mnt.path.length);
    const rootPath = (s.mnt.rootPath === "/" ? "" : s.mnt.rootPath) + (rel === "/" || rel === "" ? "" : rel) || "/";
    const { parent, at } = pointOf(vfs, chain);
    vfs.mounts.add(s.mnt.vol, parent, at, mountPath(chain), s.mnt.source, { ...s.mnt.flags }, s.node, rootPath);
    return;
  }
  const type = vfs.fsTypes.get(r.fsType);
  let device: { path: string; rdev: bigint } | null = null;
  if (!type.nodev) {
    if (r.source === "") sysError("ENOENT");
    const dw = vfs.walk(who, r.source, r.base, true);
    const d = dw.place;
    if (d === null) return sysError("ENOENT");
    if ((d.st.mode & S_IFMT) !== S_IFBLK) sysError("ENOTBLK");
    if (d.mnt.flags.nodev) sysError("EACCES");
    device = { path: guestPath(dw), rdev: d.st.rdev };
  }
  if (!isDirSt(end.st)) sysError("ENOTDIR");
  const vol = type.mount({ source: r.source, readOnly: r.flags.readOnly, options: r.options, device });
  vol.readOnly = r.flags.readOnly;
  const { parent, at } = pointOf(vfs, chain);
  vfs.mounts.add(vol, parent, at, mountPath(chain), r.source === "" ? "none" : r.source, { ...r.flags, readOnly: false });
}

function remount(vfs: Vfs, m: Mount, r: MountRequest): void {
  if (r.bind) {
    m.flags = { ...r.flags };
    return;
  }
  const vol = m.vol;
  if (r.flags.readOnly && !vol.readOnly) {
    if (vfs.mounts.all().some((x) => x.vol === vol && x.writers > 0)) sysError("EBUSY");
    vol.sync();
  }
  if (vol.setReadOnly !== undefined) vol.setReadOnly(r.flags.readOnly);
  else vol.readOnly = r.flags.readOnly;
  m.flags = { ...r.flags, readOnly: m.flags.readOnly && r.flags.readOnly };
}

export function umount(vfs: Vfs, who: FsCaller, r: UmountRequest): void {
  // (this call's own walk into the mount does not count as a use: path_umount's
  // mntput_no_expire)
  const marked = new Set(vfs.mounts.all().filter((x) => x.expiry));
  const w = vfs.walk(who, r.target, r.base, !r.noFollow);
  privileged(who);
  const chain = chainOf(w);
  const m = mountRootOf(vfs, chain);
  if (m === null) return sysError("EINVAL");
  if (m.parent === null) return sysError("EBUSY");
  if (!r.detach) {
    if (m.children.size > 0 || m.openFiles > 0) sysError("EBUSY");
    if (vfs.busyPaths().some((p) => within(p, m.path))) sysError("EBUSY");
  }
  // MNT_EXPIRE: the first call marks the mount (EAGAIN); a second one, with no use between,
  // unmounts it
  if (r.expire && !marked.has(m)) {
    m.expiry = true;
    sysError("EAGAIN");
  }
  m.vol.sync();
  vfs.mounts.remove(m);
  if (vfs.mounts.all().some((x) => x.vol === m.vol)) return;
  const finish = (): void => {
    // (the watches on its files hear unmount, then ignored)
    vfs.notify.unmounted(m.vol.dev);
    m.vol.unmount?.();
  };
  // A lazy unmount leaves the volume to the files still open on it (path walks no longer reach
  // it): it goes with the last of them, as Linux keeps a detached superblock until then.
  if (r.detach && m.openFiles > 0) m.onIdle = finish;
  else finish();
}

/** One row of the mount table as /proc shows it. */
export interface MountRow {
  id: number;
  parent: number;
  /** major:minor of the volume. */
  dev: string;
  root: string;
  point: string;
  /** Per-mount options (rw/ro, nosuid, nodev, noexec, atime) and, for mounts, the volume's. */
  mountOpts: string;
  superOpts: string;
  type: string;
  source: string;
}

function flagWords(f: MountFlags, ro: boolean): string[] {
  return [
    ro ? "ro" : "rw", ...(f.nosuid ? ["nosuid"] : []), ...(f.nodev ? ["nodev"] : []), ...(f.noexec ? ["noexec"] : []),
    ...(f.nosymfollow === true ? ["nosymfollow"] : []), ...(f.nodiratime === true ? ["nodiratime"] : []), f.atime,
  ];
}

/** The mount table, in mount order; the root's parent is shown as 1 (outside the name space,
 *  as a container's root shows it). */
export function mountRows(vfs: Vfs): MountRow[] {
  return vfs.mounts.all().map((m) => {
    const extra = m.vol.mountOptions?.() ?? "";
    const words = flagWords(m.flags, m.readOnly);
    return {
      id: m.id,
      parent: m.parent?.id ?? 1,
      dev: `${devMajor(m.vol.dev)}:${devMinor(m.vol.dev)}`,
      root: m.rootPath,
      point: m.path,
      mountOpts: words.join(","),
      superOpts: [m.vol.readOnly ? "ro" : "rw", ...(extra !== "" ? [extra] : [])].join(","),
      type: m.vol.fsType,
      source: m.source,
    };
  });
}

/** /proc/PID/mounts (show_vfsmnt). */
export function mountsText(vfs: Vfs): string {
  return mountRows(vfs).map((r) => `${r.source} ${r.point} ${r.type} ${[r.mountOpts, ...(r.superOpts.includes(",") ? [r.superOpts.slice(r.superOpts.indexOf(",") + 1)] : [])].join(",")} 0 0\n`).join("");
}

/** /proc/PID/mountinfo (show_mountinfo). */
export function mountinfoText(vfs: Vfs): string {
  return mountRows(vfs).map((r) => `${r.id} ${r.parent} ${r.dev} ${r.root} ${r.point} ${r.mountOpts} - ${r.type} ${r.source} ${r.superOpts}\n`).join("");
}
