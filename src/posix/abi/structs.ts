// Linux i386 structure layouts written to guest memory: stat64, statx, timespec (32- and 64-bit
// time), timeval, utsname, termios, winsize. Offsets follow the kernel's uapi headers for i386
// (asm/stat.h, linux/stat.h, linux/time_types.h, asm-generic/termbits.h).

import type { FileStat } from "../../libexoc/file.js";
import { sysError } from "../../libexoc/errors.js";

/** A little-endian byte buffer with typed setters, for building a struct before one copy-out. */
export class Struct {
  readonly bytes: Uint8Array;
  private readonly dv: DataView;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.dv = new DataView(this.bytes.buffer);
  }

  u8(off: number, v: number): this {
    this.bytes[off] = v;
    return this;
  }

  u16(off: number, v: number): this {
    this.dv.setUint16(off, v, true);
    return this;
  }

  u32(off: number, v: number): this {
    this.dv.setUint32(off, v >>> 0, true);
    return this;
  }

  i32(off: number, v: number): this {
    this.dv.setInt32(off, v | 0, true);
    return this;
  }

  u64(off: number, v: bigint | number): this {
    this.dv.setBigUint64(off, BigInt.asUintN(64, BigInt(v)), true);
    return this;
  }

  i64(off: number, v: bigint | number): this {
    this.dv.setBigInt64(off, BigInt.asIntN(64, BigInt(v)), true);
    return this;
  }

  str(off: number, s: string, max: number): this {
    const b = Buffer.from(s, "latin1");
    this.bytes.set(b.subarray(0, max - 1), off);
    return this;
  }
}

const NS = 1000000000n;

/** struct stat64 (96 bytes). */
export function stat64(st: FileStat): Uint8Array {
  return new Struct(96)
    .u64(0, st.dev)
    .u32(12, Number(st.ino & 0xffffffffn))
    .u32(16, st.mode)
    .u32(20, st.nlink)
    .u32(24, st.uid)
    .u32(28, st.gid)
    .u64(32, st.rdev)
    .i64(44, st.size)
    .u32(52, st.blksize)
    .u64(56, st.blocks)
    .u32(64, Number(st.atimeNs / NS))
    .u32(68, Number(st.atimeNs % NS))
    .u32(72, Number(st.mtimeNs / NS))
    .u32(76, Number(st.mtimeNs % NS))
    .u32(80, Number(st.ctimeNs / NS))
    .u32(84, Number(st.ctimeNs % NS))
    .u64(88, st.ino).bytes;
}

/** The largest file size the 32-bit struct stat calls report (MAX_NON_LFS). */
const MAX_NON_LFS = 0x7fffffffn;
/** A 16-bit id field's stand-in for an id that does not fit (Linux's overflowuid/gid). */
const OVERFLOW_ID = 65534;
const id16 = (id: number): number => (id > 0xffff ? OVERFLOW_ID : id);

/** struct stat of the original i386 stat/lstat/fstat (64 bytes), as Linux's cp_new_stat fills
 *  it: EOVERFLOW where the size (2^31 and more), inode number or link count does not fit; ids
 *  above 65535 read as 65534. */
export function oldStat(st: FileStat): Uint8Array {
  if (st.size > MAX_NON_LFS || st.ino > 0xffffffffn || st.nlink > 0xffff) sysError("EOVERFLOW");
  return new Struct(64)
    .u32(0, Number(st.dev & 0xffffffffn))
    .u32(4, Number(st.ino))
    .u16(8, st.mode)
    .u16(10, st.nlink)
    .u16(12, id16(st.uid))
    .u16(14, id16(st.gid))
    .u32(16, Number(st.rdev & 0xffffffffn))
    .u32(20, Number(st.size))
    .u32(24, st.blksize)
    .u32(28, Number(st.blocks & 0xffffffffn))
    .u32(32, Number(st.atimeNs / NS))
    .u32(36, Number(st.atimeNs % NS))
    .u32(40, Number(st.mtimeNs / NS))
    .u32(44, Number(st.mtimeNs % NS))
    .u32(48, Number(st.ctimeNs / NS))
    .u32(52, Number(st.ctimeNs % NS)).bytes;
}

/** struct __old_kernel_stat (32 bytes) of the oldest stat calls, as cp_old_stat fills it:
 *  16-bit device numbers (major << 8 | minor), inode number and link count (EOVERFLOW if they
 *  do not fit), seconds only. */
export function oldKernelStat(st: FileStat): Uint8Array {
  const old = (dev: bigint): number => ((devMajor(dev) & 0xff) << 8) | (devMinor(dev) & 0xff);
  if (st.size > MAX_NON_LFS || st.ino > 0xffffn || st.nlink > 0xffff) sysError("EOVERFLOW");
  return new Struct(32)
    .u16(0, old(st.dev))
    .u16(2, Number(st.ino))
    .u16(4, st.mode)
    .u16(6, st.nlink)
    .u16(8, id16(st.uid))
    .u16(10, id16(st.gid))
    .u16(12, old(st.rdev))
    .u32(16, Number(st.size))
    .u32(20, Number(st.atimeNs / NS))
    .u32(24, Number(st.mtimeNs / NS))
    .u32(28, Number(st.ctimeNs / NS)).bytes;
}

/** Splits a Linux dev_t (new encoding) into major and minor. */
export function devMajor(dev: bigint): number {
  return Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
}

export function devMinor(dev: bigint): number {
  return Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
}

/** STATX_BASIC_STATS: every field of struct stat. */
export const STATX_BASIC_STATS = 0x7ff, STATX_BTIME = 0x800;

/** struct statx (256 bytes). */
export function statx(st: FileStat): Uint8Array {
  const s = new Struct(256)
    .u32(0, STATX_BASIC_STATS)
    .u32(4, st.blksize)
    .u32(16, st.nlink)
    .u32(20, st.uid)
    .u32(24, st.gid)
    .u16(28, st.mode)
    .u64(32, st.ino)
    .u64(40, st.size)
    .u64(48, st.blocks);
  const ts = (off: number, ns: bigint): void => {
    const sec = ns >= 0n ? ns / NS : -((-ns + NS - 1n) / NS);
    s.i64(off, sec).u32(off + 8, Number(ns - sec * NS));
  };
  if (st.attributesMask !== undefined) s.u64(8, st.attributes ?? 0).u64(56, st.attributesMask);
  ts(64, st.atimeNs);
  // (STATX_BTIME when the file system keeps it)
  if (st.btimeNs !== undefined) {
    ts(80, st.btimeNs);
    s.u32(0, STATX_BASIC_STATS | STATX_BTIME);
  }
  ts(96, st.ctimeNs);
  ts(112, st.mtimeNs);
  return s.u32(128, devMajor(st.rdev)).u32(132, devMinor(st.rdev)).u32(136, devMajor(st.dev)).u32(140, devMinor(st.dev)).bytes;
}

/** struct timespec with 32-bit time_t (8 bytes). */
export function timespec32(ns: bigint): Uint8Array {
  return new Struct(8).i32(0, Number(ns / NS)).i32(4, Number(ns % NS)).bytes;
}

/** struct __kernel_timespec (16 bytes, 64-bit time). */
export function timespec64(ns: bigint): Uint8Array {
  return new Struct(16).i64(0, ns / NS).i64(8, ns % NS).bytes;
}

/** struct timeval with 32-bit time_t. */
export function timeval32(ns: bigint): Uint8Array {
  return new Struct(8).i32(0, Number(ns / NS)).i32(4, Number((ns % NS) / 1000n)).bytes;
}

/** struct new_utsname: six 65-byte fields. */
export function utsname(f: { sysname: string; nodename: string; release: string; version: string; machine: string; domainname: string }): Uint8Array {
  return new Struct(390)
    .str(0, f.sysname, 65)
    .str(65, f.nodename, 65)
    .str(130, f.release, 65)
    .str(195, f.version, 65)
    .str(260, f.machine, 65)
    .str(325, f.domainname, 65).bytes;
}

/** struct termios as TCGETS returns it (36 bytes: four flag words, c_line, 19 control chars). */
export const TERMIOS_SIZE = 36;

/** struct winsize (8 bytes). */
export function winsize(rows: number, cols: number): Uint8Array {
  return new Struct(8).u16(0, rows).u16(2, cols).bytes;
}
