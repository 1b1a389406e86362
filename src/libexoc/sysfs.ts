// /sys, as much of Linux's sysfs as programs here look at: the block devices
// (/sys/devices/virtual/block/NAME with dev, size, ro, removable, stat and queue/, a loop
// device's loop/ with its backing file, offset, size limit and flags; /sys/block/NAME and
// /sys/dev/block/MAJOR:MINOR linking to them), and the CPUs
// (/sys/devices/system/cpu: online, possible, present, cpu0). Read-only; everything else is
// absent (ENOENT).

import type { FsCaller, SynthMount, SynthDir, SynthFile, SynthLink, SynthNode, SynthEntry } from "./synthfs.js";
import { DT_DIR, DT_REG, DT_LNK } from "./dirfile.js";
import { LOOP_MAJOR, LO_FLAGS_AUTOCLEAR, LO_FLAGS_PARTSCAN, LO_FLAGS_DIRECT_IO, type Loop } from "./loop.js";

/** statfs f_type of sysfs (SYSFS_MAGIC), and its anonymous device. */
const SYSFS_MAGIC = 0x62656572;
const SYSFS_DEV = 22n;

/** What sysfs shows of a block device. */
export interface BlockInfo {
  name: string;
  major: number;
  minor: number;
  sectors: number;
  readOnly: boolean;
  /** Reads, sectors read, writes, sectors written since it appeared. */
  io: [number, number, number, number];
  /** Host time the reads and the writes took, ns. */
  ioNs: [number, number];
  readAheadSectors: number;
  loop: Loop | null;
}

type Tree = { [name: string]: Tree | string | (() => string) | { link: string } };

export class SysFs implements SynthMount {
  readonly dev = SYSFS_DEV;
  readonly magic = SYSFS_MAGIC;
  readonly fsType = "sysfs";
  readonly source = "sysfs";
  readonly options = "rw,nosuid,nodev,noexec,relatime";
  private readonly inodes = new Map<string, bigint>();
  private readonly bootNs: bigint;

  constructor(
    /** Block devices now (the disks and the loop devices). */
    private readonly blocks: () => BlockInfo[],
  ) {
    this.bootNs = BigInt(Date.now()) * 1_000_000n;
  }

  private ino(path: string): bigint {
    let n = this.inodes.get(path);
    if (n === undefined) this.inodes.set(path, (n = BigInt(this.inodes.size + 1)));
    return n;
  }

  /** The tree as it is now. */
  private tree(): Tree {
    // (the devices live under devices/virtual/block, as loop devices do on Linux; block/ and
    // dev/block/ link to them)
    const block: Tree = {}, devBlock: Tree = {}, virtual: Tree = {};
    for (const b of this.blocks()) {
      virtual[b.name] = blockDir(b);
      block[b.name] = { link: `../devices/virtual/block/${b.name}` };
      devBlock[`${b.major}:${b.minor}`] = { link: `../../devices/virtual/block/${b.name}` };
    }
    const cpu0: Tree = { online: "1\n", topology: { core_id: "0\n", physical_package_id: "0\n", thread_siblings_list: "0\n", core_siblings_list: "0\n" } };
    return {
      block,
      dev: { block: devBlock, char: {} },
      devices: { system: { cpu: { online: "0\n", possible: "0\n", present: "0\n", offline: "\n", kernel_max: "0\n", cpu0 } }, virtual: { block: virtual } },
      fs: {},
      kernel: {},
      class: {},
      bus: {},
      module: {},
      firmware: {},
      power: {},
    };
  }

  root(_who: FsCaller): SynthDir {
    return this.dirOf("", this.tree());
  }

  private node(path: string, v: Tree[string]): SynthNode {
    const base = { ino: this.ino(path), uid: 0, gid: 0, timeNs: this.bootNs };
    if (typeof v === "string" || typeof v === "function") {
      const text = typeof v === "string" ? (): string => v : v;
      const f: SynthFile = { kind: "file", ...base, perm: 0o444, content: () => Buffer.from(text(), "latin1"), writeError: "EACCES", size: 4096 };
      return f;
    }
    if ("link" in v && typeof v.link === "string") {
      const target = v.link;
      const l: SynthLink = { kind: "link", ...base, perm: 0o777, target: () => target };
      return l;
    }
    return this.dirOf(path, v as Tree);
  }

  private dirOf(path: string, t: Tree): SynthDir {
    const type = (x: Tree[string]): number => (typeof x === "string" || typeof x === "function" ? DT_REG : "link" in x && typeof x.link === "string" ? DT_LNK : DT_DIR);
    return {
      kind: "dir",
      ino: path === "" ? 1n : this.ino(path),
      perm: 0o755,
      uid: 0,
      gid: 0,
      timeNs: this.bootNs,
      entries: (): SynthEntry[] => Object.entries(t).map(([name, x]) => ({ name, ino: this.ino(`${path}/${name}`), type: type(x) })),
      lookup: (name: string): SynthNode | null => (Object.prototype.hasOwnProperty.call(t, name) ? this.node(`${path}/${name}`, t[name]) : null),
    };
  }
}

/**
 * A block device's 17 I/O statistics, as Linux keeps them (Documentation/admin-guide/
 * iostats.rst): reads completed, merged, sectors read, ms reading; the same for writes; I/Os in
 * flight, ms doing I/O, weighted ms; then discards (4) and flushes (2), which exojit's disks
 * never get. Requests are never merged and none is in flight between system calls. What
 * /sys/block/NAME/stat and /proc/diskstats print.
 */
export function ioStats(b: BlockInfo): number[] {
  // (the ticks are milliseconds; a device that did any I/O has spent at least one on it)
  const ms = (ns: number, count: number): number => (count === 0 ? 0 : Math.max(1, Math.ceil(ns / 1e6)));
  const [reads, rsec, writes, wsec] = b.io;
  const rt = ms(b.ioNs[0], reads), wt = ms(b.ioNs[1], writes);
  return [reads, 0, rsec, rt, writes, 0, wsec, wt, 0, rt + wt, rt + wt, 0, 0, 0, 0, 0, 0];
}

/** /sys/block/NAME. */
function blockDir(b: BlockInfo): Tree {
  const stat = (): string => ioStats(b).map((x) => String(x).padStart(8)).join(" ") + "\n";
  const d: Tree = {
    dev: `${b.major}:${b.minor}\n`,
    size: `${b.sectors}\n`,
    ro: `${b.readOnly ? 1 : 0}\n`,
    removable: "0\n",
    stat,
    queue: {
      logical_block_size: `${b.loop?.blockSize ?? 512}\n`,
      physical_block_size: `${b.loop?.blockSize ?? 512}\n`,
      hw_sector_size: `${b.loop?.blockSize ?? 512}\n`,
      rotational: "0\n",
      read_ahead_kb: `${b.readAheadSectors / 2}\n`,
      max_sectors_kb: "1280\n",
    },
  };
  const l = b.loop;
  if (b.major === LOOP_MAJOR && l !== null && l.file !== null) {
    const flag = (f: number): string => ((l.flags & f) !== 0 ? "1\n" : "0\n");
    d.loop = {
      backing_file: `${l.file.path}\n`,
      offset: `${l.offset}\n`,
      sizelimit: `${l.sizeLimit}\n`,
      autoclear: flag(LO_FLAGS_AUTOCLEAR),
      partscan: flag(LO_FLAGS_PARTSCAN),
      dio: flag(LO_FLAGS_DIRECT_IO),
    };
  }
  return d;
}
