// Routing netlink (NETLINK_ROUTE) as far as a machine with only a loopback interface has it:
// what glibc's getifaddrs and if_nameindex, and tools like `ip addr`, ask the kernel through a
// netlink socket. A request (one or more struct nlmsghdr) gets its answer at once, as Linux's
// rtnetlink does in the sender's context:
//   - RTM_GETLINK: interface 1, "lo" (a dump, or one asked for by index or name);
//   - RTM_GETADDR: 127.0.0.1/8 and ::1/128 on it (a dump, filtered by family);
//   - the other GET requests' dumps are empty (no routes, neighbours or rules to list);
//   - a change (RTM_NEW*, RTM_DEL*, RTM_SET*) is EPERM without CAP_NET_ADMIN, else EOPNOTSUPP,
//     and a type rtnetlink does not know EOPNOTSUPP; each as an NLMSG_ERROR carrying the
//     request, as Linux's netlink_ack. NLM_F_ACK asks for an error message of 0 after success.
// A dump is one datagram: its messages marked NLM_F_MULTI, then NLMSG_DONE.

export const AF_NETLINK = 16;
export const NETLINK_ROUTE = 0;

const NLMSG_HDRLEN = 16;
const NLMSG_ERROR = 2, NLMSG_DONE = 3;
const NLM_F_REQUEST = 1, NLM_F_MULTI = 2, NLM_F_ACK = 4, NLM_F_DUMP = 0x300, NLM_F_CAPPED = 0x100;
const RTM_BASE = 16, RTM_MAX = 127;
const RTM_NEWLINK = 16, RTM_GETLINK = 18, RTM_NEWADDR = 20, RTM_GETADDR = 22;
const IFLA_ADDRESS = 1, IFLA_BROADCAST = 2, IFLA_IFNAME = 3, IFLA_MTU = 4, IFLA_STATS = 7, IFLA_TXQLEN = 13, IFLA_OPERSTATE = 16, IFLA_LINKMODE = 17, IFLA_GROUP = 27;
const IFA_ADDRESS = 1, IFA_LOCAL = 2, IFA_LABEL = 3, IFA_CACHEINFO = 6, IFA_FLAGS = 8;
const AF_UNSPEC = 0, AF_INET = 2, AF_INET6 = 10;
/** The one interface, lo, as both netlink and the interface ioctls (posix/sys/ifioctl.ts)
 *  describe it: its index, name, hardware type, flags (IFF_UP, IFF_LOOPBACK, IFF_RUNNING,
 *  IFF_LOWER_UP), MTU, queue length, and its IPv4 address and prefix. */
export const LO = {
  index: 1, name: "lo", type: 772, flags: 0x1 | 0x8 | 0x40 | 0x10000, mtu: 65536, txqlen: 1000,
  ipv4: [127, 0, 0, 1], prefix4: 8,
} as const;
const IFA_F_PERMANENT = 0x80, RT_SCOPE_HOST = 254;
const EPERM = 1, ENODEV = 19, EINVAL = 22, EOPNOTSUPP = 95;
/** struct rtnl_link_stats: 24 counters. */
const LINK_STATS_LEN = 96;

/** One netlink message being built: the header, a fixed part, then attributes. (Exported, as
 *  every class of libexoc is, for the snapshot serializer's registry.) */
export class NetlinkMessage {
  private readonly parts: Uint8Array[] = [];
  private len = NLMSG_HDRLEN;

  constructor(private readonly type: number, private readonly flags: number, private readonly seq: number, private readonly pid: number) {}

  /** Appends bytes, padded to 4. */
  raw(b: Uint8Array): this {
    const padded = new Uint8Array((b.length + 3) & ~3);
    padded.set(b);
    this.parts.push(padded);
    this.len += padded.length;
    return this;
  }

  /** Appends an attribute (struct rtattr, then its data). */
  attr(type: number, data: Uint8Array): this {
    const h = new DataView(new ArrayBuffer(4));
    h.setUint16(0, 4 + data.length, true);
    h.setUint16(2, type, true);
    const b = new Uint8Array(4 + data.length);
    b.set(new Uint8Array(h.buffer));
    b.set(data, 4);
    return this.raw(b);
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.len);
    const h = new DataView(out.buffer);
    h.setUint32(0, this.len, true);
    h.setUint16(4, this.type, true);
    h.setUint16(6, this.flags, true);
    h.setUint32(8, this.seq, true);
    h.setUint32(12, this.pid, true);
    let at = NLMSG_HDRLEN;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

const u32 = (v: number): Uint8Array => new Uint8Array(new Uint32Array([v]).buffer);
const cstr = (s: string): Uint8Array => new Uint8Array(Buffer.from(`${s}\0`, "latin1"));

/** lo's RTM_NEWLINK. */
function linkMessage(flags: number, seq: number, pid: number): Uint8Array {
  const ifi = new DataView(new ArrayBuffer(16));
  ifi.setUint8(0, AF_UNSPEC);
  ifi.setUint16(2, LO.type, true);
  ifi.setInt32(4, LO.index, true);
  ifi.setUint32(8, LO.flags, true);
  return new NetlinkMessage(RTM_NEWLINK, flags, seq, pid)
    .raw(new Uint8Array(ifi.buffer))
    .attr(IFLA_IFNAME, cstr(LO.name))
    .attr(IFLA_TXQLEN, u32(LO.txqlen))
    .attr(IFLA_OPERSTATE, Uint8Array.of(0))
    .attr(IFLA_LINKMODE, Uint8Array.of(0))
    .attr(IFLA_MTU, u32(LO.mtu))
    .attr(IFLA_GROUP, u32(0))
    .attr(IFLA_ADDRESS, new Uint8Array(6))
    .attr(IFLA_BROADCAST, new Uint8Array(6))
    .attr(IFLA_STATS, new Uint8Array(LINK_STATS_LEN))
    .bytes();
}

/** One RTM_NEWADDR of lo: `addr` (4 or 16 bytes) with its prefix length. */
function addrMessage(family: number, addr: Uint8Array, prefix: number, flags: number, seq: number, pid: number): Uint8Array {
  const ifa = Uint8Array.of(family, prefix, IFA_F_PERMANENT, RT_SCOPE_HOST, LO.index, 0, 0, 0);
  const cache = new Uint8Array(new Uint32Array([0xffffffff, 0xffffffff, 0, 0]).buffer);
  const m = new NetlinkMessage(RTM_NEWADDR, flags, seq, pid).raw(ifa).attr(IFA_ADDRESS, addr);
  if (family === AF_INET) m.attr(IFA_LOCAL, addr).attr(IFA_LABEL, cstr(LO.name));
  return m.attr(IFA_FLAGS, u32(IFA_F_PERMANENT)).attr(IFA_CACHEINFO, cache).bytes();
}

const LOOPBACK4 = Uint8Array.from(LO.ipv4);
const LOOPBACK6 = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);

/** NLMSG_ERROR for request `req` (its header and, for an error, its payload). */
function errorMessage(req: Uint8Array, errno: number, seq: number, pid: number): Uint8Array {
  const echoed = errno === 0 ? req.subarray(0, NLMSG_HDRLEN) : req;
  return new NetlinkMessage(NLMSG_ERROR, errno === 0 ? NLM_F_CAPPED : 0, seq, pid).raw(u32(-errno >>> 0)).raw(echoed).bytes();
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The attribute `type` of a message's attributes from `off` on, or null. */
function findAttr(msg: Uint8Array, off: number, type: number): Uint8Array | null {
  const dv = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  while (off + 4 <= msg.length) {
    const len = dv.getUint16(off, true);
    if (len < 4 || off + len > msg.length) return null;
    if (dv.getUint16(off + 2, true) === type) return msg.subarray(off + 4, off + len);
    off += (len + 3) & ~3;
  }
  return null;
}

/** The answer to one request message: datagrams, and an errno (0: none). */
function answer(req: Uint8Array, type: number, flags: number, seq: number, pid: number, netAdmin: boolean): { out: Uint8Array[]; errno: number } {
  if (type < RTM_BASE || type > RTM_MAX) return { out: [], errno: EOPNOTSUPP };
  const kind = (type - RTM_BASE) & 3; // 0 new, 1 del, 2 get, 3 set
  if (kind !== 2) return { out: [], errno: netAdmin ? EOPNOTSUPP : EPERM };
  const body = req.subarray(NLMSG_HDRLEN);
  const family = body.length > 0 ? body[0] : AF_UNSPEC;
  const done = (): Uint8Array => new NetlinkMessage(NLMSG_DONE, NLM_F_MULTI, seq, pid).raw(u32(0)).bytes();
  if ((flags & NLM_F_DUMP) === NLM_F_DUMP) {
    const parts: Uint8Array[] = [];
    if (type === RTM_GETLINK) parts.push(linkMessage(NLM_F_MULTI, seq, pid));
    if (type === RTM_GETADDR) {
      if (family === AF_UNSPEC || family === AF_INET) parts.push(addrMessage(AF_INET, LOOPBACK4, LO.prefix4, NLM_F_MULTI, seq, pid));
      if (family === AF_UNSPEC || family === AF_INET6) parts.push(addrMessage(AF_INET6, LOOPBACK6, 128, NLM_F_MULTI, seq, pid));
    }
    parts.push(done());
    return { out: [concat(parts)], errno: 0 };
  }
  if (type === RTM_GETLINK) {
    // (struct ifinfomsg, then attributes: the interface by index, or by IFLA_IFNAME)
    if (body.length < 16) return { out: [], errno: EINVAL };
    const index = new DataView(body.buffer, body.byteOffset, 16).getInt32(4, true);
    const name = findAttr(body, 16, IFLA_IFNAME);
    const named = name !== null ? Buffer.from(name).toString("latin1").replace(/\0.*$/s, "") : null;
    if (index === LO.index || (index === 0 && named === LO.name)) return { out: [linkMessage(0, seq, pid)], errno: 0 };
    return { out: [], errno: ENODEV };
  }
  return { out: [], errno: EOPNOTSUPP };
}

/**
 * The kernel's answer to what a routing netlink socket with port id `pid` sent: the datagrams
 * its receive queue gets, in order. `netAdmin`: the sender holds CAP_NET_ADMIN.
 */
export function routeRequest(data: Uint8Array, pid: number, netAdmin: boolean): Uint8Array[] {
  const out: Uint8Array[] = [];
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let off = 0; off + NLMSG_HDRLEN <= data.length; ) {
    const len = dv.getUint32(off, true);
    if (len < NLMSG_HDRLEN || off + len > data.length) break;
    const type = dv.getUint16(off + 4, true), flags = dv.getUint16(off + 6, true), seq = dv.getUint32(off + 8, true);
    const req = data.subarray(off, off + len);
    off += (len + 3) & ~3;
    // (what is not a request, and the control types below RTM_BASE, get only the
    // acknowledgement asked for)
    if ((flags & NLM_F_REQUEST) === 0 || type < RTM_BASE) {
      if ((flags & NLM_F_ACK) !== 0) out.push(errorMessage(req, 0, seq, pid));
      continue;
    }
    const r = answer(req, type, flags, seq, pid, netAdmin);
    out.push(...r.out);
    if (r.errno !== 0 || (flags & NLM_F_ACK) !== 0) out.push(errorMessage(req, r.errno, seq, pid));
  }
  return out;
}
