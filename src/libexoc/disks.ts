// Disks as the guest sees them: each disk the system was given (through a block capability) is a
// block device /dev/sdX (major 8, minor 16 per disk), and the first Linux partition of an MBR
// table /dev/sdX1. Opening one gives its sectors as a file (what dd, mkfs and fsck read); the
// ext2, ext3 and ext4 file system types mount them, one volume per device however often it is
// mounted (as Linux shares a superblock), so two mounts never cache one file system twice.
// At the end of the run `closeAll` syncs and unmounts every volume and lets the disks go.

import type { BlockService } from "../exokernel/blockcap.js";
import type { CapHandle } from "../exokernel/caps.js";
import { R_READ, R_WRITE } from "../exokernel/caps.js";
import { ExoError } from "../exokernel/errors.js";
import { DEV_BLOCK } from "./exo/index.js";
import { OpenFile, PositionalFile, seekPosition, type FileStat, type OpenMode } from "./file.js";
import { sysError } from "./errors.js";
import { capDisk, capReader, type Disk, type AsyncReader } from "./ext2/cache.js";
import { MountError } from "./ext2/errors.js";
import { Ext2Fs } from "./ext2/fs.js";
import { Ext2Volume } from "./ext2/volume.js";
import { devMajor, devMinor, type DeviceOpen } from "./vfs/devices.js";
import type { MountSource } from "./vfs/fstypes.js";
import { addDeviceNode } from "./volumes/devfs.js";
import type { System } from "./system.js";
import { LOOP_MAJOR } from "./loop.js";
import type { BlockInfo } from "./sysfs.js";

/** SCSI disks' major number, and minors per disk (the whole disk, then 15 partitions). */
export const SD_MAJOR = 8;
const MINORS_PER_DISK = 16;
/** Debian's "disk" group. */
const DISK_GROUP = 6;
const SECTOR = 512;

/** MBR layout: the boot signature and the first partition entry. */
const MBR_SIGNATURE = 510, MBR_PART1 = 446, PART_TYPE = 4, PART_LBA = 8, PART_SECTORS = 12;
const PART_TYPE_LINUX = 0x83;
const EXT2_MAGIC_AT = 1024 + 56;

interface BlockDev {
  name: string;
  minor: number;
  cap: CapHandle;
  sectors: number;
  readOnly: boolean;
  /** For a partition: the whole disk's capability and the partition's first sector there. */
  whole: { cap: CapHandle; first: number } | null;
  /** The file system mounted from it (by boot or by mount(2)), shared by every mount. */
  volume: Ext2Volume | null;
  /** BLKROSET's read-only policy, and BLKRASET's read-ahead in sectors. */
  roPolicy?: boolean;
  readAhead?: number;
  /** Reads, sectors read, writes, sectors written, and the host time reads and writes took
   *  (ns), as /sys/block/NAME/stat and /proc/diskstats show them. */
  io: [number, number, number, number];
  ioNs: [number, number];
  /** A partition's whole disk, which counts the partition's transfers too (as Linux's). */
  parent: BlockDev | null;
}

/** Counts a transfer of `bytes` on `d` (and on its whole disk) that took `ns`. */
function account(d: BlockDev, write: boolean, bytes: number, ns: number): void {
  for (let x: BlockDev | null = d; x !== null; x = x.parent) {
    x.io[write ? 2 : 0]++;
    x.io[write ? 3 : 1] += Math.ceil(bytes / SECTOR);
    x.ioNs[write ? 1 : 0] += ns;
  }
}

/** Host time now in ns, for the transfers' times. */
const nowNs = (): number => performance.now() * 1e6;

/** Runs `f`, a transfer of `bytes` on `d`, and counts it with the time it took. */
function timed(d: BlockDev, write: boolean, bytes: number, f: () => void): void {
  const t0 = nowNs();
  try {
    f();
  } finally {
    account(d, write, bytes, nowNs() - t0);
  }
}

/** `disk` with its transfers counted on `d`. */
function countedDisk(d: BlockDev, disk: Disk): Disk {
  return {
    sectors: disk.sectors,
    writable: disk.writable,
    read: (sector, buf) => timed(d, false, buf.length, () => disk.read(sector, buf)),
    write: (sector, buf) => timed(d, true, buf.length, () => disk.write(sector, buf)),
    flush: () => disk.flush(),
  };
}

/** `reader` with its reads counted on `d` (when submitted; their time is not known here). */
function countedReader(d: BlockDev, reader: AsyncReader): AsyncReader {
  return {
    submitRead: (sector, buf) => {
      account(d, false, buf.length, 0);
      return reader.submitRead(sector, buf);
    },
  };
}

/**
 * The first Linux partition of an MBR table on the disk `whole` as [first sector, count], or
 * null when the disk has no table, or holds an ext2 file system itself.
 */
export function linuxPartition(blocks: BlockService, whole: CapHandle): [number, number] | null {
  const info = blocks.info(whole);
  if (info.sectors < 3) return null;
  const head = Buffer.alloc(3 * SECTOR);
  blocks.read(whole, 0, head);
  if (head.readUInt16LE(EXT2_MAGIC_AT) === 0xef53) return null;
  if (head[MBR_SIGNATURE] !== 0x55 || head[MBR_SIGNATURE + 1] !== 0xaa || head[MBR_PART1 + PART_TYPE] !== PART_TYPE_LINUX) return null;
  const lba = head.readUInt32LE(MBR_PART1 + PART_LBA);
  const count = head.readUInt32LE(MBR_PART1 + PART_SECTORS);
  return lba > 0 && count > 0 && lba + count <= info.sectors ? [lba, count] : null;
}

export class Disks {
  private readonly devs = new Map<number, BlockDev>();
  private count = 0;

  constructor(
    private readonly sys: System,
    private readonly blocks: BlockService,
    /** File reads that miss an ext2 cache wait for the disk through the scheduler. */
    private readonly asyncReads = true,
  ) {
    sys.devices.register("block", SD_MAJOR, "*", { name: "sd", open: (o) => this.open(o) });
    sys.disks = this;
    for (const name of ["ext2", "ext3", "ext4"]) sys.fsTypes.register({ name, nodev: false, mount: (s) => this.mount(s) });
    sys.exo.provide(DEV_BLOCK, (minor, rights) => this.grant(minor, rights));
  }

  /**
   * exojit_dev_open of a block device: a capability for device `minor` (as /dev/sdX numbers
   * them: sda 0, sda1 1, sdb 16, ...) derived from the disk's root capability, with at most
   * `rights` (R_READ, R_WRITE, R_GRANT). ENXIO for no such device, EROFS for write on a
   * read-only one. Raw writes bypass the ext2 cache of a volume mounted from the device.
   */
  grant(minor: number, rights: number): CapHandle {
    const d = this.devs.get(minor);
    if (d === undefined) return sysError("ENXIO", `no block device with minor ${minor}`);
    if ((rights & R_WRITE) !== 0 && d.readOnly) sysError("EROFS", `${d.name} is read-only`);
    const [from, first] = d.whole === null ? [d.cap, 0] : [d.whole.cap, d.whole.first];
    return this.blocks.range(from, first, d.sectors, rights);
  }

  /**
   * Adds disk `whole` as the next /dev/sdX, and its first Linux partition as /dev/sdX1. Returns
   * the device the file system lives on (the partition, or the whole disk) and its capability.
   */
  add(whole: CapHandle, readOnly: boolean): { name: string; cap: CapHandle } {
    const letter = String.fromCharCode(0x61 + this.count);
    const base = this.count * MINORS_PER_DISK;
    this.count++;
    const rights = R_READ | (readOnly ? 0 : R_WRITE);
    const info = this.blocks.info(whole);
    const name = `sd${letter}`;
    const disk: BlockDev = { name, minor: base, cap: whole, sectors: info.sectors, readOnly, whole: null, volume: null, io: [0, 0, 0, 0], ioNs: [0, 0], parent: null };
    this.addDev(disk);
    const part = linuxPartition(this.blocks, whole);
    if (part === null) return { name, cap: whole };
    const cap = this.blocks.range(whole, part[0], part[1], rights);
    this.addDev({ name: `${name}1`, minor: base + 1, cap, sectors: part[1], readOnly, whole: { cap: whole, first: part[0] }, volume: null, io: [0, 0, 0, 0], ioNs: [0, 0], parent: disk });
    return { name: `${name}1`, cap };
  }

  private addDev(d: BlockDev): void {
    this.devs.set(d.minor, d);
    addDeviceNode(this.sys.devfs, d.name, "block", SD_MAJOR, d.minor, 0o660, 0, DISK_GROUP);
  }

  /** The file system on device `name` (mounted on first use; throws MountError when the
   *  device holds none we can mount, and says why). */
  volume(name: string, readOnly: boolean): Ext2Volume {
    const d = [...this.devs.values()].find((x) => x.name === name);
    if (d === undefined) throw new Error(`no disk ${name}`);
    return this.volumeOn(d, readOnly);
  }

  private volumeOn(d: BlockDev, readOnly: boolean): Ext2Volume {
    if (d.volume !== null && !d.volume.gone) return d.volume;
    const fs = new Ext2Fs(countedDisk(d, capDisk(this.blocks, d.cap)), { readOnly: readOnly || d.readOnly });
    if (this.asyncReads) fs.cache.reader = countedReader(d, capReader(this.blocks, d.cap));
    const vol = new Ext2Volume(fs, BigInt((SD_MAJOR << 8) | d.minor));
    vol.pageCache = this.sys.pageCache;
    d.volume = vol;
    return vol;
  }

  /** mount(2) of ext2/ext3/ext4: the device's volume (made on first mount). */
  private mount(s: MountSource): Ext2Volume {
    if (s.device === null) return sysError("ENOTBLK");
    if (devMajor(s.device.rdev) === LOOP_MAJOR) return this.sys.loops.mount(s);
    const d = devMajor(s.device.rdev) === SD_MAJOR ? this.devs.get(devMinor(s.device.rdev)) : undefined;
    if (d === undefined) return sysError("ENXIO");
    if (!s.readOnly && (d.readOnly || d.roPolicy === true)) sysError("EACCES", `${d.name} is read-only`);
    if (d.volume !== null && !d.volume.gone && !s.readOnly && d.volume.readOnly) sysError("EBUSY", `${d.name} is mounted read-only`);
    try {
      return this.volumeOn(d, s.readOnly);
    } catch (e) {
      if (e instanceof MountError) sysError("EINVAL", `${d.name}: ${e.message}`);
      throw e;
    }
  }

  /** Opening /dev/sdX: the device's sectors as a file. */
  private open(o: DeviceOpen): OpenFile {
    const d = o.major === SD_MAJOR ? this.devs.get(o.minor) : undefined;
    if (d === undefined) return sysError("ENXIO");
    if (o.mode.write && d.readOnly) sysError("EROFS");
    return new BlockFile(o.path, o.mode, this.blocks, d, o.stat);
  }

  /** What /sys/block shows of each disk and partition. */
  blockInfos(): BlockInfo[] {
    return [...this.devs.values()].map((d) => ({
      name: d.name, major: SD_MAJOR, minor: d.minor, sectors: d.sectors, readOnly: d.readOnly || d.roPolicy === true, io: [...d.io] as [number, number, number, number], ioNs: [...d.ioNs] as [number, number],
      readAheadSectors: d.readAhead ?? 256, loop: null,
    }));
  }

  /** Syncs and unmounts every volume on these disks (the run is over). */
  closeAll(): void {
    // (loop devices first: their files may live on these disks)
    this.sys.loops.closeAll();
    for (const d of this.devs.values()) {
      d.volume?.unmount();
      d.volume = null;
    }
  }
}

/** An open block device: reads and writes of any size and offset, in whole sectors below. */
export class BlockFile extends PositionalFile {
  constructor(
    path: string,
    mode: OpenMode,
    private readonly blocks: BlockService,
    private readonly dev: BlockDev,
    private readonly statOf: () => FileStat,
  ) {
    super(path, mode);
  }

  private get size(): number {
    return this.dev.sectors * SECTOR;
  }

  /** The device's size in bytes, and whether it is read-only (BLKGETSIZE64, BLKROGET). */
  get bytes(): number {
    return this.size;
  }

  get readOnly(): boolean {
    return this.dev.readOnly || this.dev.roPolicy === true;
  }

  /** BLKROSET and BLKRASET. */
  setReadOnlyPolicy(ro: boolean): void {
    this.dev.roPolicy = ro;
  }

  get readAhead(): number {
    return this.dev.readAhead ?? 256;
  }

  set readAhead(sectors: number) {
    this.dev.readAhead = sectors;
  }

  override pread(buf: Uint8Array, off: number): number {
    if (!this.mode.read) sysError("EBADF");
    const len = Math.max(0, Math.min(buf.length, this.size - off));
    if (len === 0) return 0;
    const first = Math.floor(off / SECTOR), last = Math.ceil((off + len) / SECTOR);
    const tmp = new Uint8Array((last - first) * SECTOR);
    this.transfer(false, tmp, () => this.blocks.read(this.dev.cap, first, tmp));
    buf.set(tmp.subarray(off - first * SECTOR, off - first * SECTOR + len));
    return len;
  }

  override pwrite(buf: Uint8Array, off: number): number {
    if (!this.mode.write) sysError("EBADF");
    if (off >= this.size && buf.length > 0) sysError("ENOSPC");
    const len = Math.min(buf.length, this.size - off);
    if (len <= 0) return 0;
    const first = Math.floor(off / SECTOR), last = Math.ceil((off + len) / SECTOR);
    const tmp = new Uint8Array((last - first) * SECTOR);
    // Partial sectors at the ends keep what the disk has there.
    if (off % SECTOR !== 0 || (off + len) % SECTOR !== 0) this.transfer(false, tmp, () => this.blocks.read(this.dev.cap, first, tmp));
    tmp.set(buf.subarray(0, len), off - first * SECTOR);
    this.transfer(true, tmp, () => this.blocks.write(this.dev.cap, first, tmp));
    return len;
  }

  override seek(off: number, whence: number): number {
    this.offset = seekPosition(off, whence, this.offset, () => this.size);
    return this.offset;
  }

  stat(): FileStat {
    return this.statOf();
  }

  override fsync(_dataOnly: boolean): void {
    if (this.mode.write) this.io(() => this.blocks.flush(this.dev.cap));
  }

  private io(f: () => void): void {
    try {
      f();
    } catch (e) {
      if (e instanceof ExoError) sysError(e.code === "E_PERM" ? "EROFS" : "EIO", e.message);
      throw e;
    }
  }

  /** A transfer of `buf` through the device's capability, counted on the device. */
  private transfer(write: boolean, buf: Uint8Array, f: () => void): void {
    timed(this.dev, write, buf.length, () => this.io(f));
  }
}
