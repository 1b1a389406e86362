// System information and device control: uname, getrandom, sysinfo, and ioctl: the requests
// every file takes (FIOCLEX, FIONBIO, FIONREAD), a socket's SIOCATMARK, terminals of our own
// (tty.ts), and the host's terminal behind inherited streams (TCGETS/TCSETS*, TIOCGWINSZ,
// TIOCGPGRP: a record of what the guest set, the host's window size).

import { blockIoctl } from "./blkioctl.js";
import { PathFile, S_IFMT, S_IFDIR, S_IFREG, type OpenFile } from "../../libexoc/file.js";
import { UnixSocket, SOCK_STREAM } from "../../libexoc/socket.js";
import { MemDevice } from "../../libexoc/vfs/memdev.js";
import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import { sysError } from "../../libexoc/errors.js";
import { hostRandom } from "../../libexoc/random.js";
import { FSHIFT } from "../../libexoc/sysstat.js";
import { utsname, winsize, Struct, TERMIOS_SIZE } from "../abi/structs.js";
import { TerminalFile } from "../../libexoc/tty/ttyfile.js";
import { filesystemTypes } from "../../libexoc/procfs/global.js";
import { ttyIoctl } from "./tty.js";
import { capable, CAP_SYS_ADMIN } from "../../libexoc/capability.js";
import { ifIoctl } from "./ifioctl.js";

/** What uname reports: a Linux kernel on an i686 machine. */
export const UTS = {
  sysname: "Linux",
  release: "6.1.0-exojit",
  version: "#1 SMP PREEMPT_DYNAMIC exojit",
  machine: "i686",
  domainname: "(none)",
};

export const uname: Sys = (t, buf) => {
  t.mem.write(buf, utsname(t.personality.uname()));
  return 0;
};

/** olduname: struct old_utsname, the five names of 65 bytes without the domain name. */
export const olduname: Sys = (t, buf) => {
  t.mem.write(buf, utsname(t.personality.uname()).subarray(0, 325));
  return 0;
};

/** oldolduname: struct oldold_utsname, five names of 9 bytes (8 and a NUL). */
export const oldolduname: Sys = (t, buf) => {
  const u = t.personality.uname();
  const s = new Struct(45);
  [u.sysname, u.nodename, u.release, u.version, u.machine].forEach((name, k) => s.str(9 * k, name, 9));
  t.mem.write(buf, s.bytes);
  return 0;
};

/** sysfs: the file system types, as /proc/filesystems lists them (option 1: a name's index,
 *  2: an index's name into a buffer, 3: how many). */
export const sysfs: Sys = (t, option, arg1, arg2) => {
  const names = filesystemTypes(t.sys).map((f) => f.name);
  switch (option) {
    case 1: {
      const k = names.indexOf(t.mem.cstring(arg1, 256).toString("latin1"));
      return k >= 0 ? k : sysError("EINVAL");
    }
    case 2: {
      if (arg1 < 0 || arg1 >= names.length) sysError("EINVAL");
      t.mem.write(arg2, Buffer.from(`${names[arg1]}\0`, "latin1"));
      return 0;
    }
    case 3:
      return names.length;
    default:
      return sysError("EINVAL");
  }
};

/** Longest host and domain name (__NEW_UTS_LEN). */
const UTS_LEN = 64;

/** sethostname/setdomainname: root only; EINVAL past 64 bytes. */
function setName(t: Task, va: number, len: number, which: "hostname" | "domainname"): number {
  if (!capable(t.proc, CAP_SYS_ADMIN)) sysError("EPERM");
  if (len < 0 || len > UTS_LEN) sysError("EINVAL");
  const bytes = t.mem.read(va, len);
  const name = Buffer.from(bytes).toString("latin1");
  // (the name ends at a NUL within the length, as uname will show it)
  const cut = name.indexOf("\0");
  if (t.personality.rename === undefined) sysError("EPERM");
  t.personality.rename(which, cut < 0 ? name : name.slice(0, cut));
  return 0;
}

export const sethostname: Sys = (t, va, len) => setName(t, va, len, "hostname");
export const setdomainname: Sys = (t, va, len) => setName(t, va, len, "domainname");

const GRND_NONBLOCK = 1, GRND_RANDOM = 2, GRND_INSECURE = 4;

export const getrandom: Sys = (t, buf, len, flags) => {
  if ((flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) !== 0) sysError("EINVAL");
  if ((flags & (GRND_RANDOM | GRND_INSECURE)) === (GRND_RANDOM | GRND_INSECURE)) sysError("EINVAL");
  const n = Math.min(len >>> 0, 33554431);
  return t.mem.eachChunk(buf, n, true, (v) => {
    hostRandom(v);
    return v.length;
  });
};

/** sysinfo: the guest system's uptime, load averages (scaled from FSHIFT to SI_LOAD_SHIFT 16
 *  bits), memory and task count: the figures /proc shows too. Memory is in bytes (mem_unit 1)
 *  when RAM and swap together fit in 32 bits, else in pages, as Linux reports it to 32-bit
 *  programs (do_sysinfo; programs that ignore mem_unit read bytes on a small machine). */
export const sysinfo: Sys = (t, buf) => {
  const stats = t.sys.stats;
  const loads = stats.loadAverage();
  const total = t.kernel.frames.total;
  const unit = total * 4096 <= 0xffffffff ? 1 : 4096;
  const mem = (pages: number): number => (pages * 4096) / unit;
  const s = new Struct(64)
    .u32(0, Math.floor(stats.uptimeNs() / 1e9))
    .u32(16, mem(total))
    .u32(20, mem(t.kernel.frames.available))
    .u32(24, mem(t.sys.pageCache.usage().shmem))
    .u16(40, Math.min(stats.counts().total, 0xffff))
    .u32(52, unit);
  for (let k = 0; k < 3; k++) s.u32(4 + k * 4, loads[k] * (1 << (16 - FSHIFT)));
  t.mem.write(buf, s.bytes);
  return 0;
};

/** ioctl request numbers (asm-generic/ioctls.h). */
export const TCGETS = 0x5401, TCSETS = 0x5402, TCSETSW = 0x5403, TCSETSF = 0x5404, TIOCGPGRP = 0x540f;
export const TIOCSPGRP = 0x5410, TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414, FIONREAD = 0x541b, FIONBIO = 0x5421;
/** A socket's: whether reads are at TCP's urgent mark. */
const SIOCATMARK = 0x8905;
/** /dev/random's: the entropy count, _IOR('R', 0, int). */
const RNDGETENTCNT = 0x80045200;
export const TIOCGSID = 0x5429, FIOCLEX = 0x5451, FIONCLEX = 0x5450;
const FS_IOC_GETFLAGS = 0x80046601, FS_IOC_SETFLAGS = 0x40046602;
const FICLONE = 0x40049409, FICLONERANGE = 0x4020940d, FIDEDUPERANGE = 0xc0189436, FS_IOC_FIEMAP = 0xc020660b;
/** struct fiemap's flags this kernel takes (FIEMAP_FLAG_SYNC, FIEMAP_FLAG_XATTR), an extent's
 *  (FIEMAP_EXTENT_LAST, FIEMAP_EXTENT_MERGED), and the structures' sizes. */
const FIEMAP_FLAG_SYNC = 1, FIEMAP_FLAG_XATTR = 2, FIEMAP_EXTENT_LAST = 1, FIEMAP_EXTENT_MERGED = 0x1000;
const FIEMAP_SIZE = 32, FIEMAP_EXTENT_SIZE = 56;

/** FS_IOC_FIEMAP: the file's extents in the range asked for, as many as the caller made room
 *  for (none: only their count); unknown flags are EBADR, with them written back. */
function fiemap(t: Task, f: OpenFile, va: number): number {
  const h = t.mem.read(va, FIEMAP_SIZE);
  const dv = new DataView(h.buffer, h.byteOffset, FIEMAP_SIZE);
  const start = Number(dv.getBigUint64(0, true)), length = dv.getBigUint64(8, true);
  const flags = dv.getUint32(16, true), room = dv.getUint32(24, true);
  const bad = flags & ~(FIEMAP_FLAG_SYNC | FIEMAP_FLAG_XATTR);
  if (bad !== 0) {
    t.mem.putU32(va + 16, bad);
    sysError("EBADR");
  }
  if (length === 0n) sysError("EINVAL");
  if ((flags & FIEMAP_FLAG_SYNC) !== 0) f.fsync(false);
  // (the extended attributes' block: none is kept)
  const end = Number(length > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : BigInt(start) + length);
  const ext = (flags & FIEMAP_FLAG_XATTR) !== 0 ? [] : t.fs.fileExtents(f, start, end);
  const n = room === 0 ? ext.length : Math.min(room, ext.length);
  if (room > 0) {
    const out = new Uint8Array(n * FIEMAP_EXTENT_SIZE);
    const ov = new DataView(out.buffer);
    ext.slice(0, n).forEach((e, i) => {
      const at = i * FIEMAP_EXTENT_SIZE;
      ov.setBigUint64(at, BigInt(e.logical), true);
      ov.setBigUint64(at + 8, BigInt(e.physical), true);
      ov.setBigUint64(at + 16, BigInt(e.length), true);
      ov.setUint32(at + 40, (e.last ? FIEMAP_EXTENT_LAST : 0) | (e.merged ? FIEMAP_EXTENT_MERGED : 0), true);
    });
    t.mem.write(va + FIEMAP_SIZE, out);
  }
  t.mem.putU32(va + 20, n);
  return 0;
}

/** Termios a terminal starts with (cooked mode, as `stty sane` sets): iflag, oflag, cflag, lflag. */
const SANE = {
  iflag: 0x4500, // ICRNL IXON IUTF8
  oflag: 0x5, // OPOST ONLCR
  cflag: 0xbf, // B38400 CS8 CREAD
  lflag: 0x8a3b, // ISIG ICANON ECHO ECHOE ECHOK ECHOCTL ECHOKE IEXTEN
};
/** c_cc: VINTR ^C, VQUIT ^\, VERASE DEL, VKILL ^U, VEOF ^D, VTIME 0, VMIN 1, ... */
const SANE_CC = [3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0, 0, 0];

export const ioctl: Sys = (t, fd, req, arg) => {
  const f = t.fds.get(fd);
  if (f instanceof PathFile) sysError("EBADF");
  switch (req >>> 0) {
    case FIOCLEX:
      t.fds.setCloexec(fd, true);
      return 0;
    case FIONCLEX:
      t.fds.setCloexec(fd, false);
      return 0;
    case FIONBIO:
      f.mode = { ...f.mode, nonblock: t.mem.u32(arg) !== 0 };
      return 0;
  }
  if (f instanceof TerminalFile) return ttyIoctl(t, f, req >>> 0, arg);
  const blk = blockIoctl(t, f, req >>> 0, arg);
  if (blk !== null) return blk;
  switch (req >>> 0) {
    case FIONREAD:
      t.mem.putU32(arg, f.available());
      return 0;
    case SIOCATMARK:
      // (whether a TCP or unix socket's reads are at its urgent mark; UDP has none: ENOTTY)
      if (!(f instanceof UnixSocket) || (f.inet && f.type !== SOCK_STREAM)) sysError("ENOTTY");
      t.mem.putU32(arg, f.atMark ? 1 : 0);
      return 0;
  }
  if (f instanceof UnixSocket) {
    const r = ifIoctl(t, req >>> 0, arg);
    if (r !== null) return r;
  }
  // (the random devices' entropy count: the pool is always full, as Linux 5.18's)
  if (f instanceof MemDevice && f.kind === "random" && req >>> 0 === RNDGETENTCNT) {
    t.mem.putU32(arg, 256);
    return 0;
  }
  // (chattr and lsattr: a file's inode flags, where its file system keeps them; the _IOR of a
  // long, 4 bytes on i386, so FS_IOC32_GETFLAGS is the same number)
  if (req >>> 0 === FS_IOC_GETFLAGS) {
    t.mem.putU32(arg, t.fs.inodeFlags(f));
    return 0;
  }
  if (req >>> 0 === FS_IOC_SETFLAGS) {
    t.fs.setInodeFlags(t, f, t.mem.i32(arg));
    return 0;
  }
  if (req >>> 0 === FS_IOC_FIEMAP) return fiemap(t, f, arg);
  // (reflinks and deduplication: no file system here shares extents between files)
  if (req >>> 0 === FICLONE || req >>> 0 === FICLONERANGE || req >>> 0 === FIDEDUPERANGE) {
    if (req >>> 0 === FICLONE) t.fds.get(arg);
    const type = f.stat().mode & S_IFMT;
    if (type === S_IFDIR) sysError("EISDIR");
    if (type !== S_IFREG) sysError("EINVAL");
    return sysError("EOPNOTSUPP");
  }
  if (!f.isatty()) sysError("ENOTTY");
  const tty = t.sys.tty;
  switch (req >>> 0) {
    case TCGETS: {
      const tio = tty.termios ?? { ...SANE, cc: SANE_CC };
      const s = new Struct(TERMIOS_SIZE).u32(0, tio.iflag).u32(4, tio.oflag).u32(8, tio.cflag).u32(12, tio.lflag);
      tio.cc.forEach((c, k) => s.u8(17 + k, c));
      t.mem.write(arg, s.bytes);
      return 0;
    }
    case TCSETS:
    case TCSETSW:
    case TCSETSF: {
      const b = t.mem.read(arg, TERMIOS_SIZE);
      const dv = new DataView(b.buffer);
      tty.termios = { iflag: dv.getUint32(0, true), oflag: dv.getUint32(4, true), cflag: dv.getUint32(8, true), lflag: dv.getUint32(12, true), cc: [...b.subarray(17, 36)] };
      return 0;
    }
    case TIOCGWINSZ: {
      const out = process.stdout;
      t.mem.write(arg, winsize(out.isTTY ? out.rows : 24, out.isTTY ? out.columns : 80));
      return 0;
    }
    case TIOCSWINSZ:
      return 0;
    case TIOCGPGRP:
      if (t.proc.sid !== tty.sid) sysError("ENOTTY");
      t.mem.putU32(arg, tty.fgPgrp);
      return 0;
    case TIOCSPGRP: {
      if (t.proc.sid !== tty.sid) sysError("ENOTTY");
      const pgid = t.mem.i32(arg);
      if (pgid < 0) sysError("EINVAL");
      if (!t.sys.group(pgid).some((p) => p.sid === t.proc.sid)) sysError("EPERM");
      tty.fgPgrp = pgid;
      return 0;
    }
    case TIOCGSID:
      if (t.proc.sid !== tty.sid) sysError("ENOTTY");
      t.mem.putU32(arg, tty.sid);
      return 0;
    default:
      return sysError("ENOTTY", `ioctl 0x${(req >>> 0).toString(16)}`);
  }
};
