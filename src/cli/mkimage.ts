// `exojit mkimage DIR IMAGE`: a new ext2 image holding the tree DIR — regular files, directories,
// symbolic links, hard links (files with several names stay one inode), device nodes, FIFOs and
// sockets, with their modes, owners and times. The file system is made by libexoc's mkfs and
// filled through the same Volume the guests use, so an image that e2fsck accepts here is also a
// test of that code. A progress bar goes to the terminal for large trees.

import * as fs from "node:fs";
import type { MkimageArgs } from "./args.js";
import { CliError, cliError } from "./errors.js";
import { BlockDevice, DiskOpenError } from "../hw/devices/blockdev.js";
import { ImageLock, ImageLockedError } from "../hw/devices/imagelock.js";
import { BlockService } from "../exokernel/blockcap.js";
import { CapSpace } from "../exokernel/caps.js";
import { capDisk } from "../libexoc/ext2/cache.js";
import { mkfs } from "../libexoc/ext2/mkfs.js";
import { Ext2Volume } from "../libexoc/ext2/volume.js";
import { SysError } from "../libexoc/errors.js";
import type { VolumeNode } from "../libexoc/volume.js";
import { isTerminal } from "../exokernel/hostio.js";

const S_IFMT = 0o170000, S_IFDIR = 0o040000, S_IFREG = 0o100000, S_IFLNK = 0o120000;
const SLASH = Buffer.from("/");
/** Bytes copied per write. */
const CHUNK = 1 << 20;
/** Trees past this many entries or bytes get a progress bar. */
const PROGRESS_ENTRIES = 2000, PROGRESS_BYTES = 64 << 20;

interface Tally {
  entries: number;
  bytes: number;
  /** Blocks the data needs at 4 KiB and at 1 KiB (with indirect blocks). */
  blocks4k: number;
  blocks1k: number;
  dirs: number;
}

/** Walks the tree once to size the image (lstat only; symlinks are not followed). */
function survey(dir: Buffer, t: Tally): void {
  let names: Buffer[];
  try {
    names = fs.readdirSync(dir, { encoding: "buffer" });
  } catch (e) {
    throw cliError("badSource", dir.toString(), `cannot read directory (${(e as { code?: string }).code ?? String(e)})`);
  }
  t.dirs++;
  t.blocks4k += 1 + Math.ceil((names.length * 24) / 4096);
  t.blocks1k += 1 + Math.ceil((names.length * 24) / 1024);
  for (const name of names) {
    const p = Buffer.concat([dir, SLASH, name]);
    const st = fs.lstatSync(p);
    t.entries++;
    if (st.isDirectory()) survey(p, t);
    else if (st.isFile() || st.isSymbolicLink()) {
      t.bytes += st.size;
      const b4 = Math.ceil(st.size / 4096), b1 = Math.ceil(st.size / 1024);
      t.blocks4k += b4 + (b4 > 12 ? Math.ceil(b4 / 1024) + 1 : 0);
      t.blocks1k += b1 + (b1 > 12 ? Math.ceil(b1 / 256) + 2 : 0);
    }
  }
}

/** A progress bar on stderr, redrawn at most ten times a second. */
class Progress {
  private last = 0;
  done = 0;
  bytes = 0;
  constructor(
    private readonly total: number,
    private readonly totalBytes: number,
    private readonly on: boolean,
  ) {}
  tick(bytes = 0): void {
    this.bytes += bytes;
    if (!this.on) return;
    const now = Date.now();
    if (now - this.last < 100) return;
    this.last = now;
    const frac = Math.min(1, (this.done + this.bytes / 65536) / (this.total + this.totalBytes / 65536 || 1));
    const width = 30;
    const fill = Math.round(frac * width);
    process.stderr.write(`\r[${"#".repeat(fill)}${".".repeat(width - fill)}] ${(frac * 100).toFixed(0).padStart(3)}% ${this.done}/${this.total} files, ${(this.bytes / 2 ** 20).toFixed(0)} MiB`);
  }
  end(): void {
    if (this.on) process.stderr.write("\r" + " ".repeat(70) + "\r");
  }
}

export function mkimageCommand(a: MkimageArgs): number {
  let st: fs.Stats;
  try {
    st = fs.statSync(a.dir);
  } catch {
    throw cliError("badSource", a.dir, "no such directory");
  }
  if (!st.isDirectory()) throw cliError("badSource", a.dir, "not a directory");
  const t: Tally = { entries: 0, bytes: 0, blocks4k: 0, blocks1k: 0, dirs: 0 };
  survey(Buffer.from(a.dir), t);
  const inodes = Math.max(64, Math.ceil((t.entries + 16) * 1.25));
  let size = a.size;
  if (size === 0) {
    // Data plus a quarter spare, the inode tables and per-group metadata, in whole MiB.
    const big = t.blocks4k * 4096 > 400 << 20;
    const data = big ? t.blocks4k * 4096 : t.blocks1k * 1024;
    size = data * 1.25 + inodes * 256 + (8 << 20);
    size = Math.ceil(size / 2 ** 20) * 2 ** 20;
  }
  const blockSize = a.blockSize || undefined;

  const root = fs.statSync(a.dir, { bigint: true });
  buildImage(a.image, { size, blockSize, inodes, label: a.label, rootMode: st.mode & 0o7777, rootUid: st.uid, rootGid: st.gid }, (vol) => {
    const progress = new Progress(t.entries, t.bytes, isTerminal(2) && (t.entries > PROGRESS_ENTRIES || t.bytes > PROGRESS_BYTES));
    try {
      copyTree(vol, Buffer.from(a.dir), vol.root(), new Map(), progress, null);
      vol.setattr(vol.root(), { atimeNs: root.atimeNs, mtimeNs: root.mtimeNs });
    } catch (e) {
      progress.end();
      if (e instanceof SysError && e.errno === "ENOSPC") throw cliError("imageFull", a.image, `the tree (${t.entries} files, ${(t.bytes / 2 ** 20).toFixed(1)} MiB)`);
      throw e;
    }
    progress.end();
  });
  return 0;
}

export interface ImageLayout {
  size: number;
  blockSize?: number;
  inodes: number;
  label: string;
  rootMode: number;
  rootUid: number;
  rootGid: number;
}

/**
 * Makes a new ext2 file system in the file `image` (created, or emptied: it is locked first, so
 * an image another exojit has open stays intact) and lets `fill` put files in it through the
 * Volume; the volume is then unmounted, which writes everything back.
 */
export function buildImage(image: string, layout: ImageLayout, fill: (vol: Ext2Volume) => void): void {
  let lock: ImageLock;
  try {
    const exists = fs.existsSync(image) ? fs.statSync(image) : null;
    if (exists !== null && !exists.isFile()) throw cliError("badImage", image, "exists and is not a regular file");
    const fd = fs.openSync(image, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    try {
      lock = ImageLock.acquire(fd);
      fs.ftruncateSync(fd, 0);
      fs.ftruncateSync(fd, layout.size);
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    if (e instanceof CliError) throw e;
    if (e instanceof ImageLockedError) throw cliError("badImage", image, e.message);
    throw cliError("badImage", image, `cannot create (${(e as { code?: string }).code ?? String(e)})`);
  }
  const blocks = new BlockService(new CapSpace());
  let dev: BlockDevice;
  try {
    dev = new BlockDevice(image, { lock: false });
  } catch (e) {
    lock.release();
    if (e instanceof DiskOpenError) throw cliError("badImage", image, e.message);
    throw e;
  }
  const cap = blocks.attach(dev);
  try {
    let efs;
    try {
      efs = mkfs(capDisk(blocks, cap), { blockSize: layout.blockSize, inodes: layout.inodes, zeroed: true, label: layout.label, rootMode: layout.rootMode, rootUid: layout.rootUid, rootGid: layout.rootGid });
    } catch (e) {
      throw cliError("badImage", image, `cannot make a file system of ${layout.size} bytes (${e instanceof Error ? e.message : String(e)})`);
    }
    const vol = new Ext2Volume(efs);
    try {
      fill(vol);
    } catch (e) {
      if (e instanceof HostReadError) throw cliError("badSource", e.path, `cannot read (${e.code})`);
      throw e;
    }
    vol.unmount();
  } finally {
    blocks.detach(cap);
    lock.release();
  }
}

/** A source file or directory that could not be read. */
class HostReadError extends Error {
  constructor(
    readonly path: string,
    readonly code: string,
  ) {
    super(`${path}: ${code}`);
  }
}

function host<T>(p: Buffer, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new HostReadError(p.toString(), (e as { code?: string }).code ?? String(e));
  }
}

/** Copies the host tree `dir` into directory `node` of `vol`; `owner` overrides the files'
 *  owners ([uid, gid]; null: the host's). */
export function copyTree(vol: Ext2Volume, dir: Buffer, node: VolumeNode, links: Map<string, VolumeNode>, progress: Progress | null, owner: [number, number] | null): void {
  const names = host(dir, () => fs.readdirSync(dir, { encoding: "buffer" })).sort(Buffer.compare);
  for (const name of names) {
    const p = Buffer.concat([dir, SLASH, name]);
    const st = host(p, () => fs.lstatSync(p, { bigint: true }));
    const mode = Number(st.mode);
    const type = mode & S_IFMT;
    const uid = owner?.[0] ?? Number(st.uid), gid = owner?.[1] ?? Number(st.gid);
    const key = `${st.dev}:${st.ino}`;
    if (progress !== null) progress.done++;
    if (type !== S_IFDIR && st.nlink > 1n) {
      const first = links.get(key);
      if (first !== undefined) {
        vol.link(node, name, first);
        progress?.tick();
        continue;
      }
    }
    let child: VolumeNode;
    if (type === S_IFDIR) {
      child = vol.mkdir(node, name, mode & 0o7777, uid, gid);
      copyTree(vol, p, child, links, progress, owner);
    } else if (type === S_IFLNK) {
      child = vol.symlink(node, name, host(p, () => fs.readlinkSync(p, { encoding: "buffer" })), uid, gid);
    } else {
      child = vol.create(node, name, mode, st.rdev, uid, gid);
      if (type === S_IFREG && st.size > 0n) copyData(vol, p, child, progress);
    }
    vol.setattr(child, { perm: mode & 0o7777, atimeNs: st.atimeNs, mtimeNs: st.mtimeNs });
    if (type !== S_IFDIR && st.nlink > 1n) links.set(key, child);
    progress?.tick();
  }
}

function copyData(vol: Ext2Volume, p: Buffer, node: VolumeNode, progress: Progress | null): void {
  const fd = host(p, () => fs.openSync(p, "r"));
  const f = vol.openData(node, "", { read: false, write: true, append: false, nonblock: false });
  const buf = Buffer.allocUnsafe(CHUNK);
  try {
    let off = 0;
    for (;;) {
      const n = host(p, () => fs.readSync(fd, buf, 0, CHUNK, off));
      if (n === 0) break;
      let done = 0;
      while (done < n) done += f.pwrite(buf.subarray(done, n), off + done);
      off += n;
      progress?.tick(n);
    }
  } finally {
    f.release();
    fs.closeSync(fd);
  }
}
