// Loop devices: /dev/loop0 and on (block major 7) show a file as a disk, and /dev/loop-control
// (char 10:237) finds and makes them, as Linux's loop driver does. A device is bound to a file
// (LOOP_SET_FD, LOOP_CONFIGURE) from an offset and up to a size limit; reads and writes of the
// device are the file's bytes there, and the ext2, ext3 and ext4 file system types mount it
// (mount -o loop, mkfs on /dev/loopN), one volume per device. Detaching a device still open or
// mounted is deferred until its last user lets go (LO_FLAGS_AUTOCLEAR), as Linux does. The
// ioctls' structures are the ABI's (posix/sys/blkioctl.ts).

import { OpenFile, PositionalFile, seekPosition, S_IFMT, S_IFREG, S_IFBLK, type FileStat, type OpenMode } from "./file.js";
import { sysError, SysError } from "./errors.js";
import { Ext2Fs } from "./ext2/fs.js";
import { Ext2Volume } from "./ext2/volume.js";
import { MountError } from "./ext2/errors.js";
import type { Disk } from "./ext2/cache.js";
import { devMajor, devMinor, type DeviceOpen } from "./vfs/devices.js";
import type { MountSource } from "./vfs/fstypes.js";
import { addDeviceNode, removeDeviceNode } from "./volumes/devfs.js";
import type { System } from "./system.js";
import type { BlockInfo } from "./sysfs.js";

export const LOOP_MAJOR = 7;
const MISC_MAJOR = 10, LOOP_CTRL_MINOR = 237;
/** Debian's "disk" group, which owns the device nodes. */
const DISK_GROUP = 6;
const SECTOR = 512;
/** Devices made at the start (CONFIG_BLK_DEV_LOOP_MIN_COUNT), and at most (minors). */
const MIN_COUNT = 8, MAX_COUNT = 1 << 20;
export const LO_FLAGS_READ_ONLY = 1, LO_FLAGS_AUTOCLEAR = 4, LO_FLAGS_PARTSCAN = 8, LO_FLAGS_DIRECT_IO = 16;

export class Loop {
  /** The backing file (null: unbound), and where in it the device starts and how much of it
   *  the device holds (0: to its end). */
  file: OpenFile | null = null;
  offset = 0;
  sizeLimit = 0;
  flags = 0;
  blockSize = SECTOR;
  /** The names LOOP_SET_STATUS gave (lo_file_name, lo_crypt_name), 64 bytes each. */
  fileName = new Uint8Array(64);
  cryptName = new Uint8Array(64);
  /** Detached, but still open: it comes apart when its last user lets go (Linux's
   *  Lo_rundown), meanwhile neither bound nor free. */
  rundown = false;
  /** BLKROSET's read-only policy (apart from a read-only binding), and BLKRASET's read-ahead
   *  in sectors. */
  roPolicy = false;
  readAhead = 256;
  /** Reads, sectors read, writes and sectors written through it, and the host time (ns) the
   *  reads and the writes took (/sys/block/loopN/stat). */
  readonly io: [number, number, number, number] = [0, 0, 0, 0];
  readonly ioNs: [number, number] = [0, 0];
  /** Open descriptions of the device, and the file system mounted from it. */
  opens = 0;
  volume: Ext2Volume | null = null;

  constructor(readonly number: number) {}

  get rdev(): bigint {
    return BigInt((LOOP_MAJOR << 8) | (this.number & 0xff) | ((this.number & ~0xff) << 12));
  }

  /** Bytes the device holds: the file's from the offset, within the limit, in whole sectors. */
  get size(): number {
    if (this.file === null) return 0;
    let n = Math.max(0, Number(this.file.stat().size) - this.offset);
    if (this.sizeLimit > 0) n = Math.min(n, this.sizeLimit);
    return n - (n % SECTOR);
  }

  get readOnly(): boolean {
    return (this.flags & LO_FLAGS_READ_ONLY) !== 0 || this.roPolicy;
  }

  /** Whether a file system on it is mounted. */
  get mounted(): boolean {
    return this.volume !== null && !this.volume.gone;
  }

  pread(buf: Uint8Array, off: number): number {
    const f = this.bound();
    const len = Math.max(0, Math.min(buf.length, this.size - off));
    this.io[0]++;
    this.io[1] += Math.ceil(len / SECTOR);
    const t0 = performance.now();
    let done = 0;
    while (done < len) {
      const n = f.pread(buf.subarray(done, len), this.offset + off + done);
      if (n <= 0) {
        buf.fill(0, done, len);
        break;
      }
      done += n;
    }
    this.ioNs[0] += (performance.now() - t0) * 1e6;
    return len;
  }

  pwrite(buf: Uint8Array, off: number): number {
    const f = this.bound();
    if (this.readOnly) sysError("EPERM");
    if (off >= this.size && buf.length > 0) sysError("ENOSPC");
    const len = Math.min(buf.length, this.size - off);
    this.io[2]++;
    this.io[3] += Math.ceil(len / SECTOR);
    const t0 = performance.now();
    let done = 0;
    while (done < len) {
      const n = f.pwrite(buf.subarray(done, len), this.offset + off + done);
      if (n <= 0) sysError("EIO");
      done += n;
    }
    this.ioNs[1] += (performance.now() - t0) * 1e6;
    return len;
  }

  private bound(): OpenFile {
    if (this.file === null) return sysError("ENXIO");
    return this.file;
  }
}

/** A loop device as the ext2 driver's medium: its sectors through the backing file. */
export class LoopDisk implements Disk {
  constructor(private readonly loop: Loop) {}

  get sectors(): number {
    return this.loop.size / SECTOR;
  }

  get writable(): boolean {
    return !this.loop.readOnly;
  }

  read(sector: number, buf: Uint8Array): void {
    this.loop.pread(buf, sector * SECTOR);
  }

  write(sector: number, buf: Uint8Array): void {
    this.loop.pwrite(buf, sector * SECTOR);
  }

  flush(): void {
    this.loop.file?.fsync(false);
  }
}

/** A volume on a loop device, which lets the device go when it is unmounted. */
export class LoopVolume extends Ext2Volume {
  constructor(
    fs: Ext2Fs,
    private readonly loops: LoopDevices,
    private readonly loop: Loop,
  ) {
    super(fs, loop.rdev);
  }

  override unmount(): void {
    super.unmount();
    this.loops.released(this.loop);
  }
}

export class LoopDevices {
  private readonly loops = new Map<number, Loop>();

  constructor(private readonly sys: System) {
    sys.devices.register("block", LOOP_MAJOR, "*", { name: "loop", open: (o) => this.open(o) });
    sys.devices.register("char", MISC_MAJOR, LOOP_CTRL_MINOR, { name: "loop-control", open: (o) => new LoopControlFile(o.path, o.mode, this, o.stat) });
    addDeviceNode(sys.devfs, "loop-control", "char", MISC_MAJOR, LOOP_CTRL_MINOR, 0o660, 0, DISK_GROUP);
    for (let n = 0; n < MIN_COUNT; n++) this.add(n);
  }

  get(n: number): Loop | undefined {
    return this.loops.get(n);
  }

  /** LOOP_CTL_ADD: device `n` and its node (EEXIST if it is there). */
  add(n: number): number {
    if (n < 0 || n >= MAX_COUNT) sysError("EINVAL");
    if (this.loops.has(n)) sysError("EEXIST");
    const l = new Loop(n);
    this.loops.set(n, l);
    addDeviceNode(this.sys.devfs, `loop${n}`, "block", LOOP_MAJOR, n, 0o660, 0, DISK_GROUP);
    return n;
  }

  /** LOOP_CTL_REMOVE: a device in use or bound stays (EBUSY). */
  remove(n: number): number {
    // (0 on success, as Linux 6 answers)
    const l = this.loops.get(n);
    if (l === undefined) sysError("ENODEV");
    if (l.file !== null || l.opens > 0 || l.mounted) sysError("EBUSY");
    this.loops.delete(n);
    removeDeviceNode(this.sys.devfs, `loop${n}`);
    return 0;
  }

  /** LOOP_CTL_GET_FREE: the first device not bound, made if every one is. */
  getFree(): number {
    for (const [n, l] of [...this.loops].sort((a, b) => a[0] - b[0])) if (l.file === null) return n;
    let n = 0;
    while (this.loops.has(n)) n++;
    return this.add(n);
  }

  /** Binds `l` to `file` (LOOP_SET_FD, LOOP_CONFIGURE): a regular file or a block device; read
   *  only when the file or the device is not open for writing. The file's description is
   *  held until the device is detached. */
  attach(l: Loop, file: OpenFile, deviceWritable: boolean): void {
    if (l.file !== null || l.rundown) sysError("EBUSY");
    const type = file.stat().mode & S_IFMT;
    if (type !== S_IFREG && type !== S_IFBLK) sysError("EINVAL");
    file.refs++;
    l.file = file;
    l.flags = file.mode.write && deviceWritable ? 0 : LO_FLAGS_READ_ONLY;
    l.offset = 0;
    l.sizeLimit = 0;
    l.blockSize = SECTOR;
    l.fileName.fill(0);
    l.cryptName.fill(0);
  }

  /** LOOP_CLR_FD: the device comes apart when its last user (the caller included) lets go,
   *  taking no new binding meanwhile (ENXIO when not bound). */
  detach(l: Loop): void {
    if (l.file === null || l.rundown) sysError("ENXIO");
    l.flags |= LO_FLAGS_AUTOCLEAR;
    if (l.opens > 0 || l.mounted) l.rundown = true;
    else this.clear(l);
  }

  private clear(l: Loop): void {
    const f = l.file;
    l.file = null;
    l.flags = 0;
    l.offset = 0;
    l.sizeLimit = 0;
    l.fileName.fill(0);
    l.cryptName.fill(0);
    l.volume = null;
    l.rundown = false;
    f?.drop();
  }

  /** Something let the device go (a description closed, its file system unmounted): a device
   *  marked for autoclear with no users left is detached. */
  released(l: Loop): void {
    if (l.file !== null && (l.flags & LO_FLAGS_AUTOCLEAR) !== 0 && l.opens === 0 && !l.mounted) this.clear(l);
  }

  private open(o: DeviceOpen): OpenFile {
    const l = o.major === LOOP_MAJOR ? this.loops.get(o.minor) : undefined;
    if (l === undefined) return sysError("ENXIO");
    if (o.mode.write && l.readOnly) sysError("EROFS");
    l.opens++;
    return new LoopFile(o.path, o.mode, this, l, o.stat);
  }

  /** mount(2) of an ext2-family file system from a loop device (Disks.mount sends these). */
  mount(s: MountSource): Ext2Volume {
    if (s.device === null) return sysError("ENOTBLK");
    const l = devMajor(s.device.rdev) === LOOP_MAJOR ? this.loops.get(devMinor(s.device.rdev)) : undefined;
    if (l === undefined || l.file === null) return sysError("ENXIO");
    if (!s.readOnly && l.readOnly) sysError("EACCES", `loop${l.number} is read-only`);
    if (l.mounted) {
      const v = l.volume as Ext2Volume;
      if (!s.readOnly && v.readOnly) sysError("EBUSY", `loop${l.number} is mounted read-only`);
      return v;
    }
    try {
      const fs = new Ext2Fs(new LoopDisk(l), { readOnly: s.readOnly || l.readOnly });
      const vol = new LoopVolume(fs, this, l);
      vol.pageCache = this.sys.pageCache;
      l.volume = vol;
      return vol;
    } catch (e) {
      if (e instanceof MountError) sysError("EINVAL", `loop${l.number}: ${e.message}`);
      throw e;
    }
  }

  /** What /sys/block shows of each device. */
  blockInfos(): BlockInfo[] {
    return [...this.loops.values()].sort((a, b) => a.number - b.number).map((l) => ({
      name: `loop${l.number}`, major: LOOP_MAJOR, minor: l.number, sectors: l.size / SECTOR, readOnly: l.readOnly, io: l.io, ioNs: l.ioNs, readAheadSectors: l.readAhead, loop: l,
    }));
  }

  /** Syncs and unmounts the file systems on loop devices (the run is over). */
  closeAll(): void {
    for (const l of this.loops.values()) {
      if (l.mounted) l.volume?.unmount();
    }
  }
}

/** An open loop device: the backing file's bytes as the device's. */
export class LoopFile extends PositionalFile {
  constructor(
    path: string,
    mode: OpenMode,
    readonly loops: LoopDevices,
    readonly loop: Loop,
    private readonly statOf: () => FileStat,
  ) {
    super(path, mode);
  }

  override pread(buf: Uint8Array, off: number): number {
    if (!this.mode.read) sysError("EBADF");
    if (this.loop.file === null) return 0;
    return this.loop.pread(buf, off);
  }

  override pwrite(buf: Uint8Array, off: number): number {
    if (!this.mode.write) sysError("EBADF");
    if (this.loop.file === null) sysError("ENOSPC");
    return this.loop.pwrite(buf, off);
  }

  override seek(off: number, whence: number): number {
    this.offset = seekPosition(off, whence, this.offset, () => this.loop.size);
    return this.offset;
  }

  stat(): FileStat {
    return this.statOf();
  }

  override fsync(_dataOnly: boolean): void {
    try {
      this.loop.file?.fsync(false);
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
    }
  }

  override release(): void {
    this.loop.opens--;
    this.loops.released(this.loop);
  }
}

/** /dev/loop-control: only its ioctls. */
export class LoopControlFile extends OpenFile {
  constructor(
    path: string,
    mode: OpenMode,
    readonly loops: LoopDevices,
    private readonly statOf: () => FileStat,
  ) {
    super(path, mode);
  }

  read(_buf: Uint8Array): number {
    return sysError("EINVAL");
  }

  write(_buf: Uint8Array): number {
    return sysError("EINVAL");
  }

  stat(): FileStat {
    return this.statOf();
  }
}
