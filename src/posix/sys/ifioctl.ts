// The network-interface ioctls every socket takes (Linux's dev_ioctl and devinet_ioctl), for the
// one interface exojit's machine has: lo, as libexoc/netlink.ts describes it. glibc's if_nametoindex and
// if_indextoname use them, as do ifconfig-style tools. Changing an interface (SIOCSIF*) is EPERM
// without CAP_NET_ADMIN and EOPNOTSUPP with it.

import type { Task } from "../../libexoc/task.js";
import { sysError } from "../../libexoc/errors.js";
import { capable, CAP_NET_ADMIN } from "../../libexoc/capability.js";
import { LO } from "../../libexoc/netlink.js";

const SIOCGIFNAME = 0x8910, SIOCGIFCONF = 0x8912, SIOCGIFFLAGS = 0x8913, SIOCGIFADDR = 0x8915;
const SIOCGIFNETMASK = 0x891b, SIOCGIFMTU = 0x8921, SIOCGIFHWADDR = 0x8927, SIOCGIFINDEX = 0x8933, SIOCGIFTXQLEN = 0x8942;
/** The interface-changing requests Linux has between these numbers. */
const SETTERS = new Set([0x8914, 0x8916, 0x8918, 0x891a, 0x891c, 0x891e, 0x8922, 0x8924, 0x8930, 0x8931, 0x8934, 0x8943]);
/** struct ifreq on i386: the name (16 bytes), then a 16-byte union. */
const IFREQ = 32, IFNAMSIZ = 16;
const AF_INET = 2;
/** The requests answered with one int of lo's in the union. */
const INT_VALUES = new Map<number, number>([[SIOCGIFINDEX, LO.index], [SIOCGIFMTU, LO.mtu], [SIOCGIFTXQLEN, LO.txqlen]]);

function sockaddrIn(ip: readonly number[]): Uint8Array {
  const b = new Uint8Array(16);
  b[0] = AF_INET;
  b.set(ip, 4);
  return b;
}

function loName(): Uint8Array {
  const b = new Uint8Array(IFNAMSIZ);
  b.set(Buffer.from(LO.name, "latin1"));
  return b;
}

/** The interface struct ifreq at `arg` names: ENODEV unless it is lo. */
function checkName(t: Task, arg: number): void {
  const name = t.mem.read(arg, IFNAMSIZ);
  const end = name.indexOf(0);
  if (Buffer.from(name.subarray(0, end < 0 ? IFNAMSIZ : end)).toString("latin1") !== LO.name) sysError("ENODEV");
}

/** Handles `req` if it is an interface ioctl (returning its result), else returns null. */
export function ifIoctl(t: Task, req: number, arg: number): number | null {
  if (SETTERS.has(req)) {
    checkName(t, arg);
    return sysError(capable(t.proc, CAP_NET_ADMIN) ? "EOPNOTSUPP" : "EPERM");
  }
  const value = INT_VALUES.get(req);
  if (value !== undefined) {
    checkName(t, arg);
    t.mem.putU32(arg + IFNAMSIZ, value);
    return 0;
  }
  switch (req) {
    case SIOCGIFNAME:
      if (t.mem.i32(arg + IFNAMSIZ) !== LO.index) sysError("ENODEV");
      t.mem.write(arg, loName());
      return 0;
    case SIOCGIFFLAGS:
      // (a short: the flags of the low 16 bits)
      checkName(t, arg);
      t.mem.write(arg + IFNAMSIZ, Uint8Array.of(LO.flags & 0xff, (LO.flags >> 8) & 0xff));
      return 0;
    case SIOCGIFADDR:
    case SIOCGIFNETMASK:
      checkName(t, arg);
      t.mem.write(arg + IFNAMSIZ, sockaddrIn(req === SIOCGIFADDR ? LO.ipv4 : [255, 0, 0, 0]));
      return 0;
    case SIOCGIFHWADDR: {
      checkName(t, arg);
      const sa = new Uint8Array(16);
      sa[0] = LO.type & 0xff;
      sa[1] = LO.type >> 8;
      t.mem.write(arg + IFNAMSIZ, sa);
      return 0;
    }
    case SIOCGIFCONF: {
      // struct ifconf: the buffer's length, then the buffer (null: just the length needed)
      const len = t.mem.i32(arg), buf = t.mem.u32(arg + 4) >>> 0;
      if (buf === 0) {
        t.mem.putU32(arg, IFREQ);
        return 0;
      }
      if (len < IFREQ) {
        t.mem.putU32(arg, 0);
        return 0;
      }
      const r = new Uint8Array(IFREQ);
      r.set(loName());
      r.set(sockaddrIn(LO.ipv4), IFNAMSIZ);
      t.mem.write(buf, r);
      t.mem.putU32(arg, IFREQ);
      return 0;
    }
    default:
      return null;
  }
}
