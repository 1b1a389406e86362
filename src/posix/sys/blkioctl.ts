// Block devices' ioctls (linux/fs.h: their size, sector sizes, read-only flag, flushes) for the
// disks and loop devices, and the loop driver's (linux/loop.h: binding a file, its status with
// struct loop_info and loop_info64, LOOP_CONFIGURE) and /dev/loop-control's.

import type { Task } from "../../libexoc/task.js";
import type { OpenFile } from "../../libexoc/file.js";
import { sysError } from "../../libexoc/errors.js";
import { capable, CAP_SYS_ADMIN } from "../../libexoc/capability.js";
import { BlockFile } from "../../libexoc/disks.js";
import { LoopFile, LoopControlFile, LO_FLAGS_AUTOCLEAR, LO_FLAGS_PARTSCAN, LO_FLAGS_DIRECT_IO, LO_FLAGS_READ_ONLY, type Loop } from "../../libexoc/loop.js";
import { Struct } from "../abi/structs.js";

const BLKROSET = 0x125d, BLKROGET = 0x125e, BLKRRPART = 0x125f, BLKGETSIZE = 0x1260, BLKFLSBUF = 0x1261;
const BLKRASET = 0x1262, BLKRAGET = 0x1263, BLKSSZGET = 0x1268, BLKBSZGET = 0x80041270, BLKBSZSET = 0x40041271;
const BLKGETSIZE64 = 0x80041272, BLKIOMIN = 0x1278, BLKIOOPT = 0x1279, BLKALIGNOFF = 0x127a, BLKPBSZGET = 0x127b;
const BLKDISCARDZEROES = 0x127c, BLKROTATIONAL = 0x127e;
const LOOP_SET_FD = 0x4c00, LOOP_CLR_FD = 0x4c01, LOOP_SET_STATUS = 0x4c02, LOOP_GET_STATUS = 0x4c03;
const LOOP_SET_STATUS64 = 0x4c04, LOOP_GET_STATUS64 = 0x4c05, LOOP_CHANGE_FD = 0x4c06, LOOP_SET_CAPACITY = 0x4c07;
const LOOP_SET_DIRECT_IO = 0x4c08, LOOP_SET_BLOCK_SIZE = 0x4c09, LOOP_CONFIGURE = 0x4c0a;
const LOOP_CTL_ADD = 0x4c80, LOOP_CTL_REMOVE = 0x4c81, LOOP_CTL_GET_FREE = 0x4c82;
const SECTOR = 512;
/** The flags LOOP_SET_STATUS may set, and those it may clear (LOOP_SET_STATUS_SETTABLE_FLAGS). */
const SETTABLE = LO_FLAGS_AUTOCLEAR | LO_FLAGS_PARTSCAN, CLEARABLE = LO_FLAGS_AUTOCLEAR;
/** struct loop_info (i386), loop_info64, loop_config. */
const LOOP_INFO_SIZE = 140, LOOP_INFO64_SIZE = 232, LOOP_CONFIG_SIZE = 304;

/** The ioctl of a block device or the loop control device; null when `f` is neither. */
export function blockIoctl(t: Task, f: OpenFile, req: number, arg: number): number | null {
  if (f instanceof LoopControlFile) return loopControl(t, f, req, arg);
  if (!(f instanceof BlockFile) && !(f instanceof LoopFile)) return null;
  const size = f instanceof LoopFile ? f.loop.size : f.bytes;
  switch (req) {
    case BLKGETSIZE64:
      t.mem.write(arg, new Struct(8).u64(0, BigInt(size)).bytes);
      return 0;
    case BLKGETSIZE:
      t.mem.putU32(arg, Math.floor(size / SECTOR));
      return 0;
    case BLKSSZGET:
    case BLKPBSZGET:
    case BLKIOMIN:
      t.mem.putU32(arg, f instanceof LoopFile ? f.loop.blockSize : SECTOR);
      return 0;
    case BLKBSZGET:
      t.mem.putU32(arg, 4096);
      return 0;
    case BLKIOOPT:
    case BLKALIGNOFF:
    case BLKDISCARDZEROES:
      t.mem.putU32(arg, 0);
      return 0;
    case BLKROTATIONAL:
      t.mem.write(arg, new Uint8Array([0, 0]));
      return 0;
    case BLKROGET:
      t.mem.putU32(arg, (f instanceof LoopFile ? f.loop.readOnly : f.readOnly) ? 1 : 0);
      return 0;
    case BLKRAGET:
      t.mem.putU32(arg, f instanceof LoopFile ? f.loop.readAhead : f.readAhead);
      return 0;
    case BLKRASET: {
      // (in 512-byte sectors, kept as whole pages)
      if (!capable(t.proc, CAP_SYS_ADMIN)) sysError("EACCES");
      const sectors = Math.floor((arg >>> 0) / 8) * 8;
      if (f instanceof LoopFile) f.loop.readAhead = sectors;
      else f.readAhead = sectors;
      return 0;
    }
    case BLKROSET: {
      if (!capable(t.proc, CAP_SYS_ADMIN)) sysError("EACCES");
      const ro = t.mem.i32(arg) !== 0;
      if (f instanceof LoopFile) f.loop.roPolicy = ro;
      else f.setReadOnlyPolicy(ro);
      return 0;
    }
    case BLKFLSBUF:
    case BLKBSZSET:
      if (!capable(t.proc, CAP_SYS_ADMIN)) sysError("EACCES");
      if (req === BLKFLSBUF) f.fsync(false);
      return 0;
    case BLKRRPART:
      // (no partitions are read from a loop device; a disk's were read when it was added)
      if (!capable(t.proc, CAP_SYS_ADMIN)) sysError("EACCES");
      return f instanceof LoopFile ? sysError("EINVAL") : 0;
  }
  if (f instanceof LoopFile) return loopIoctl(t, f, req, arg);
  return sysError("ENOTTY");
}

function loopControl(t: Task, f: LoopControlFile, req: number, arg: number): number {
  switch (req) {
    case LOOP_CTL_GET_FREE:
      return f.loops.getFree();
    case LOOP_CTL_ADD:
      if (!capable(t.proc, CAP_SYS_ADMIN)) sysError("EPERM");
      return f.loops.add(arg);
    case LOOP_CTL_REMOVE:
      if (!capable(t.proc, CAP_SYS_ADMIN)) sysError("EPERM");
      return f.loops.remove(arg);
    default:
      return sysError("ENOSYS", `loop-control ioctl 0x${req.toString(16)}`);
  }
}

function loopIoctl(t: Task, f: LoopFile, req: number, arg: number): number {
  const l = f.loop, loops = f.loops;
  switch (req) {
    case LOOP_SET_FD:
      loops.attach(l, t.fds.get(arg), f.mode.write);
      return 0;
    case LOOP_CONFIGURE: {
      const b = t.mem.read(arg, LOOP_CONFIG_SIZE);
      const dv = new DataView(b.buffer, b.byteOffset);
      const fd = dv.getInt32(0, true), blockSize = dv.getUint32(4, true);
      if (blockSize !== 0) checkBlockSize(blockSize);
      const file = t.fds.get(fd);
      loops.attach(l, file, f.mode.write && (dv.getUint32(8 + 52, true) & LO_FLAGS_READ_ONLY) === 0);
      if (blockSize !== 0) l.blockSize = blockSize;
      setStatus64(l, b.subarray(8, 8 + LOOP_INFO64_SIZE), true);
      return 0;
    }
    case LOOP_CLR_FD:
      loops.detach(l);
      return 0;
    case LOOP_CHANGE_FD: {
      // (only a read-only device may swap to another file of the same size)
      if (l.file === null) sysError("ENXIO");
      if (!l.readOnly) sysError("EINVAL");
      const file = t.fds.get(arg);
      if (Number(file.stat().size) !== Number(l.file.stat().size)) sysError("EINVAL");
      file.refs++;
      l.file.drop();
      l.file = file;
      return 0;
    }
    case LOOP_SET_STATUS:
    case LOOP_SET_STATUS64: {
      if (l.file === null) sysError("ENXIO");
      const wide = req === LOOP_SET_STATUS64;
      const b = t.mem.read(arg, wide ? LOOP_INFO64_SIZE : LOOP_INFO_SIZE);
      if (wide) setStatus64(l, b, false);
      else setStatusOld(l, b);
      return 0;
    }
    case LOOP_GET_STATUS:
    case LOOP_GET_STATUS64: {
      if (arg === 0) sysError("EINVAL");
      if (l.file === null || l.rundown) sysError("ENXIO");
      t.mem.write(arg, req === LOOP_GET_STATUS64 ? status64(l) : statusOld(l));
      return 0;
    }
    case LOOP_SET_CAPACITY:
      if (l.file === null) sysError("ENXIO");
      return 0;
    case LOOP_SET_DIRECT_IO:
      if (l.file === null) sysError("ENXIO");
      if (arg !== 0) l.flags |= LO_FLAGS_DIRECT_IO;
      else l.flags &= ~LO_FLAGS_DIRECT_IO;
      return 0;
    case LOOP_SET_BLOCK_SIZE:
      if (l.file === null) sysError("ENXIO");
      checkBlockSize(arg >>> 0);
      l.blockSize = arg >>> 0;
      return 0;
    default:
      return sysError("ENOTTY");
  }
}

/** A logical block size: a power of two from 512 to the page size. */
function checkBlockSize(n: number): void {
  if (n < 512 || n > 4096 || (n & (n - 1)) !== 0) sysError("EINVAL");
}

/** LOOP_SET_STATUS64's fields: offset, size limit, the flags it may change, the names. An
 *  encryption type other than none is EINVAL (there is no cryptoloop). */
function setStatus64(l: Loop, b: Uint8Array, configure: boolean): void {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const encrypt = dv.getUint32(44, true);
  if (encrypt !== 0) sysError("EINVAL");
  const offset = Number(dv.getBigUint64(24, true)), limit = Number(dv.getBigUint64(32, true));
  if (offset % SECTOR !== 0 && l.mounted) sysError("EBUSY");
  l.offset = offset;
  l.sizeLimit = limit;
  setFlags(l, dv.getUint32(52, true), configure);
  l.fileName.set(b.subarray(56, 120));
  l.fileName[63] = 0;
  l.cryptName.set(b.subarray(120, 184));
  l.cryptName[63] = 0;
}

function setStatusOld(l: Loop, b: Uint8Array): void {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (dv.getInt32(20, true) !== 0) sysError("EINVAL");
  l.offset = dv.getInt32(16, true);
  l.sizeLimit = 0;
  setFlags(l, dv.getInt32(28, true), false);
  l.fileName.set(b.subarray(32, 96));
  l.fileName[63] = 0;
}

function setFlags(l: Loop, flags: number, configure: boolean): void {
  // (LOOP_CONFIGURE takes the read-only flag too, applied when it bound the file)
  if (!configure) l.flags &= ~CLEARABLE;
  l.flags |= flags & SETTABLE;
}

/** struct loop_info64 of `l`. */
function status64(l: Loop): Uint8Array {
  const s = new Struct(LOOP_INFO64_SIZE);
  const st = (l.file as OpenFile).stat();
  s.u64(0, st.dev).u64(8, st.ino).u64(16, st.rdev).u64(24, BigInt(l.offset)).u64(32, BigInt(l.sizeLimit));
  s.u32(40, l.number).u32(52, l.flags);
  s.bytes.set(l.fileName, 56);
  s.bytes.set(l.cryptName, 120);
  return s.bytes;
}

/** struct loop_info (the old one: 16-bit device numbers, a 32-bit offset). */
function statusOld(l: Loop): Uint8Array {
  const s = new Struct(LOOP_INFO_SIZE);
  const st = (l.file as OpenFile).stat();
  if (l.offset > 0x7fffffff) sysError("EOVERFLOW");
  s.u32(0, l.number).u16(4, Number(st.dev & 0xffffn)).u32(8, Number(st.ino & 0xffffffffn)).u16(12, Number(st.rdev & 0xffffn));
  s.u32(16, l.offset).u32(28, l.flags);
  s.bytes.set(l.fileName, 32);
  return s.bytes;
}
