// The network-interface ioctls every socket takes (Linux's dev_ioctl and devinet_ioctl), for the
// one interface exojit's machine has: lo, index 1, 127.0.0.1/8. glibc's if_nametoindex and
// if_indextoname use them, as do ifconfig-style tools. Changing an interface (SIOCSIF*) is EPERM
// without CAP_NET_ADMIN and EOPNOTSUPP with it.

import type { Task } from "../../libexoc/task.js";
import { sysError } from "../../libexoc/errors.js";
import { capable, CAP_NET_ADMIN } from "../../libexoc/capability.js";

const SIOCGIFNAME = 0x8910, SIOCGIFCONF = 0x8912, SIOCGIFFLAGS = 0x8913, SIOCGIFADDR = 0x8915;
const SIOCGIFNETMASK = 0x891b, SIOCGIFMTU = 0x8921, SIOCGIFHWADDR = 0x8927, SIOCGIFINDEX = 0x8933, SIOCGIFTXQLEN = 0x8942;
/** The interface-changing requests Linux has between these numbers. */
const SETTERS = new Set([0x8914, 0x8916, 0x8918, 0x891a, 0x891c, 0x891e, 0x8922, 0x8924, 0x8930, 0x8931, 0x8934, 0x8943]);
/** struct ifreq on i386: the name (16 bytes), then a 16-byte union. */
const IFREQ = 32, IFNAMSIZ = 16;
/** lo's flags as a short: IFF_UP, IFF_LOOPBACK, IFF_RUNNING. */
const LO_FLAGS = 0x1 | 0x8 | 0x40;
const AF_INET = 2, ARPHRD_LOOPBACK = 772;

function sockaddrIn(ip: number[]): Uint8Array {
  const b = new Uint8Array(16);
  b[0] = AF_INET;
  b.set(ip, 4);
  return b;
}

function loName(): Uint8Array {
  const b = new Uint8Array(IFNAMSIZ);
  b.set([0x6c, 0x6f]); // "lo"
  return b;
}

/** The interface struct ifreq at `arg` names: ENODEV unless it is lo. */
function checkName(t: Task, arg: number): void {
  const name = t.mem.read(arg, IFNAMSIZ);
  const end = name.indexOf(0);
  if (Buffer.from(name.subarray(0, end < 0 ? IFNAMSIZ : end)).toString("latin1") !== "lo") sysError("ENODEV");
}

/** Handles `req` if it is an interface ioctl (returning its result), else returns null. */
export function ifIoctl(t: Task, req: number, arg: number): number | null {
  if (SETTERS.has(req)) {
    checkName(t, arg);
    return sysError(capable(t.proc, CAP_NET_ADMIN) ? "EOPNOTSUPP" : "EPERM");
  }
  switch (req) {
    case SIOCGIFNAME:
      if (t.mem.i32(arg + IFNAMSIZ) !== 1) sysError("ENODEV");
      t.mem.write(arg, loName());
      return 0;
    case SIOCGIFINDEX:
      checkName(t, arg);
      t.mem.putU32(arg + IFNAMSIZ, 1);
      return 0;
    case SIOCGIFFLAGS:
      checkName(t, arg);
      t.mem.write(arg + IFNAMSIZ, Uint8Array.of(LO_FLAGS, 0));
      return 0;
    case SIOCGIFMTU:
      checkName(t, arg);
      t.mem.putU32(arg + IFNAMSIZ, 65536);
      return 0;
    case SIOCGIFTXQLEN:
      checkName(t, arg);
      t.mem.putU32(arg + IFNAMSIZ, 1000);
      return 0;
    case SIOCGIFADDR:
    case SIOCGIFNETMASK:
      checkName(t, arg);
      t.mem.write(arg + IFNAMSIZ, sockaddrIn(req === SIOCGIFADDR ? [127, 0, 0, 1] : [255, 0, 0, 0]));
      return 0;
    case SIOCGIFHWADDR: {
      checkName(t, arg);
      const sa = new Uint8Array(16);
      sa[0] = ARPHRD_LOOPBACK & 0xff;
      sa[1] = ARPHRD_LOOPBACK >> 8;
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
      r.set(sockaddrIn([127, 0, 0, 1]), IFNAMSIZ);
      t.mem.write(buf, r);
      t.mem.putU32(arg, IFREQ);
      return 0;
    }
    default:
      return null;
  }
}
