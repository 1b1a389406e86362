// The protocol levels of IPv4 and IPv6 sockets (inet.ts): their options (IPPROTO_IP,
// IPPROTO_IPV6, IPPROTO_TCP, UDP-Lite's), and the ancillary data of datagrams: what sendmsg may
// set for one datagram (its hop limit or TTL, its traffic class or TOS), and what recvmsg reports
// when asked (IP_PKTINFO, IP_RECVTTL, IP_RECVTOS, IPV6_RECVPKTINFO, IPV6_RECVHOPLIMIT,
// IPV6_RECVTCLASS), as Linux's ip_cmsg_send, ip6_datagram_send_ctl, ip_cmsg_recv and
// ip6_datagram_recv_ctl do. A datagram carries its header to the receiver (IpHeader in
// libexoc/socket.ts); the loopback changes none of it.

import type { Task } from "../../libexoc/task.js";
import { sysError } from "../../libexoc/errors.js";
import { SOCK_STREAM, SOCK_DGRAM, type IpHeader, type UnixSocket } from "../../libexoc/socket.js";
import { getTcpOption, setTcpOption, SOL_UDP, UDP_CORK } from "./tcpopt.js";
import { AF_INET6, IPPROTO_TCP, IPPROTO_IPV6, IPPROTO_UDPLITE, IPV6_V6ONLY, isV4, localAddr, type InetAddr } from "./inet.js";

export const IPPROTO_IP = 0;
const SOL_SOCKET = 1, SCM_RIGHTS = 1, SCM_CREDENTIALS = 2;
const IP_TOS = 1, IP_TTL = 2, IP_PKTINFO = 8, IP_MTU_DISCOVER = 10, IP_RECVERR = 11, IP_RECVTTL = 12, IP_RECVTOS = 13;
const IPV6_UNICAST_HOPS = 16, IPV6_MTU_DISCOVER = 23, IPV6_RECVERR = 25, IPV6_RECVPKTINFO = 49, IPV6_PKTINFO = 50;
const IPV6_RECVHOPLIMIT = 51, IPV6_HOPLIMIT = 52, IPV6_RECVTCLASS = 66, IPV6_TCLASS = 67;
/** UDP-Lite's checksum coverage options (linux/udp.h). */
const UDPLITE_SEND_CSCOV = 10, UDPLITE_RECV_CSCOV = 11;
/** The loopback interface's index, where every datagram here arrives. */
const LO_INDEX = 1;

/** An option kept and read back: its default; a flag (read back as 0 or 1); else the range
 *  setsockopt takes (`unset`: the value that goes back to the default); a traffic class (a byte,
 *  whose ECN bits a stream keeps as they were). */
interface Opt {
  def: number;
  flag?: true;
  min?: number;
  max?: number;
  unset?: number;
  tclass?: true;
}

/** IPPROTO_IP's, as Linux's do_ip_setsockopt checks and do_ip_getsockopt reads them. IP_RECVERR
 *  is kept too (glibc's resolver sets it; loopback datagrams are never lost on the way, so its
 *  error queue stays empty). */
const IP_OPTIONS = new Map<number, Opt>([
  [IP_TOS, { def: 0, tclass: true }],
  [IP_TTL, { def: 64, min: 1, max: 255, unset: -1 }],
  [IP_PKTINFO, { def: 0, flag: true }],
  [IP_MTU_DISCOVER, { def: 1, min: 0, max: 5 }],
  [IP_RECVERR, { def: 0, flag: true }],
  [IP_RECVTTL, { def: 0, flag: true }],
  [IP_RECVTOS, { def: 0, flag: true }],
]);

/** IPPROTO_IPV6's, as do_ipv6_setsockopt checks them (net.ipv6.bindv6only's 0 for V6ONLY; the
 *  route's 64 hops; IPV6_PMTUDISC_WANT; RFC 3542's traffic class 0). */
const IP6_OPTIONS = new Map<number, Opt>([
  [IPV6_V6ONLY, { def: 0, flag: true }],
  [IPV6_UNICAST_HOPS, { def: 64, min: 0, max: 255, unset: -1 }],
  [IPV6_MTU_DISCOVER, { def: 1, min: 0, max: 5 }],
  [IPV6_RECVERR, { def: 0, flag: true }],
  [IPV6_RECVPKTINFO, { def: 0, flag: true }],
  [IPV6_RECVHOPLIMIT, { def: 0, flag: true }],
  [IPV6_RECVTCLASS, { def: 0, flag: true }],
  [IPV6_TCLASS, { def: 0, min: 0, max: 255, unset: -1, tclass: true }],
]);

/** The table and store of protocol level `level` for socket `s`, or null if it has none. */
function levelOf(s: UnixSocket, level: number): [Map<number, Opt>, Map<number, number>] | null {
  if (level === IPPROTO_IP) return [IP_OPTIONS, s.ipOptions];
  if (level === IPPROTO_IPV6 && s.family === AF_INET6) return [IP6_OPTIONS, s.ip6Options];
  return null;
}

/** IP option `opt` of level `level` as `s` has it. */
function value(s: UnixSocket, level: number, opt: number): number {
  const [table, store] = levelOf(s, level) as [Map<number, Opt>, Map<number, number>];
  return store.get(opt) ?? (table.get(opt) as Opt).def;
}

/** getsockopt of an IP socket at a level other than SOL_SOCKET: the value. */
export function getInetOption(s: UnixSocket, level: number, opt: number): number {
  if (level === IPPROTO_TCP && s.type === SOCK_STREAM) return getTcpOption(s, opt);
  if (level === SOL_UDP && s.type === SOCK_DGRAM && s.protocol !== IPPROTO_UDPLITE) {
    if (opt !== UDP_CORK) sysError("ENOPROTOOPT");
    return s.udpCork ? 1 : 0;
  }
  if (level === IPPROTO_UDPLITE && s.protocol === IPPROTO_UDPLITE) {
    if (opt !== UDPLITE_SEND_CSCOV && opt !== UDPLITE_RECV_CSCOV) sysError("ENOPROTOOPT");
    return s.ipOptions.get(-opt) ?? 0;
  }
  const l = levelOf(s, level);
  // (an unknown level, or another protocol's: Linux's ip_getsockopt says EOPNOTSUPP, and
  // ipv6_getsockopt ENOPROTOOPT)
  if (l === null) return sysError(s.family === AF_INET6 ? "ENOPROTOOPT" : "EOPNOTSUPP");
  if (!l[0].has(opt)) sysError("ENOPROTOOPT");
  return value(s, level, opt);
}

/** setsockopt of an IP socket at a level other than SOL_SOCKET, with value `v`. */
export function setInetOption(s: UnixSocket, level: number, opt: number, v: number): void {
  if (level === IPPROTO_TCP && s.type === SOCK_STREAM) return setTcpOption(s, opt, v);
  if (level === IPPROTO_UDPLITE && s.protocol === IPPROTO_UDPLITE) {
    // Checksum coverage: kept (under the negated option number) and read back, as Linux
    // rounds it: 1-7 is the header's 8, at most 65535.
    if (opt !== UDPLITE_SEND_CSCOV && opt !== UDPLITE_RECV_CSCOV) sysError("ENOPROTOOPT");
    s.ipOptions.set(-opt, v !== 0 && v < 8 ? 8 : Math.min(v, 0xffff));
    return;
  }
  const l = levelOf(s, level);
  const o = l?.[0].get(opt);
  if (l === null || o === undefined) return sysError("ENOPROTOOPT");
  // (a socket's sides of its port are chosen when it is bound: Linux's IPV6_V6ONLY)
  if (level === IPPROTO_IPV6 && opt === IPV6_V6ONLY && s.name !== null) sysError("EINVAL");
  if (v === o.unset) {
    l[1].delete(opt);
    return;
  }
  if (o.min !== undefined && (v < o.min || v > (o.max as number))) sysError("EINVAL");
  // (a stream's ECN bits are TCP's own: Linux keeps them as they were)
  if (o.tclass) v = (v & 0xff & (s.type === SOCK_STREAM ? 0xfc : 0xff)) | (s.type === SOCK_STREAM ? value(s, level, opt) & 3 : 0);
  l[1].set(opt, o.flag ? (v !== 0 ? 1 : 0) : v);
}

/** What sendmsg's control messages set for one datagram (null: the socket's own). */
export interface SentControl {
  hops: number | null;
  tclass: number | null;
}

/** Reads the control messages of a sendmsg from IP socket `s` to `a` (null: a stream, whose
 *  sendmsg looks only at SOL_SOCKET's): a datagram to an IPv4 address takes IPPROTO_IP's IP_TTL
 *  and IP_TOS, one to an IPv6 address IPPROTO_IPV6's IPV6_HOPLIMIT and IPV6_TCLASS; other levels
 *  are passed over, as Linux does. */
export function readIpControl(t: Task, s: UnixSocket, a: InetAddr | null, control: number, controllen: number): SentControl {
  const out: SentControl = { hops: null, tclass: null };
  const mine = a === null ? -1 : isV4(a.ip) ? IPPROTO_IP : IPPROTO_IPV6;
  for (let off = 0; off + 12 <= controllen; ) {
    const len = t.mem.u32(control + off) >>> 0, level = t.mem.i32(control + off + 4), type = t.mem.i32(control + off + 8);
    if (len < 12 || off + len > controllen) sysError("EINVAL");
    // (SCM_RIGHTS and SCM_CREDENTIALS are passed over, "semantically in SOL_UNIX"; the rest of
    // Linux's __sock_cmsg_send, marks and timestamping, is not here)
    if (level === SOL_SOCKET && type !== SCM_RIGHTS && type !== SCM_CREDENTIALS) sysError("EINVAL");
    if (level === mine) {
      const int = len === 16 ? t.mem.i32(control + off + 12) : null;
      if (mine === IPPROTO_IP && type === IP_TTL) {
        if (int === null || int < 1 || int > 255) sysError("EINVAL");
        out.hops = int;
      } else if (mine === IPPROTO_IP && type === IP_TOS) {
        // (an int, or a byte)
        const tos = len === 13 ? t.mem.read(control + off + 12, 1)[0] : int;
        if (tos === null || tos < 0 || tos > 255) sysError("EINVAL");
        out.tclass = tos;
      } else if (mine === IPPROTO_IPV6 && (type === IPV6_HOPLIMIT || type === IPV6_TCLASS)) {
        if (int === null || int < -1 || int > 255) sysError("EINVAL");
        if (int !== -1 && type === IPV6_HOPLIMIT) out.hops = int;
        else if (type === IPV6_TCLASS) out.tclass = int === -1 ? 0 : int;
      } else {
        sysError("EINVAL");
      }
    }
    off += (len + 3) & ~3;
  }
  return out;
}

/** The header of a datagram `s` sends to `a`, with what its control messages set. */
export function ipHeader(s: UnixSocket, a: InetAddr, sent: SentControl): IpHeader {
  const v4 = isV4(a.ip);
  return {
    hops: sent.hops ?? (v4 ? value(s, IPPROTO_IP, IP_TTL) : value(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS)),
    tclass: sent.tclass ?? (v4 ? value(s, IPPROTO_IP, IP_TOS) : value(s, IPPROTO_IPV6, IPV6_TCLASS)),
    dst: localAddr(a).ip,
  };
}

/** A control message for recvmsg: level, type, data. */
export type Cmsg = [number, number, Uint8Array];

function int32(v: number): Uint8Array {
  return new Uint8Array(new Int32Array([v]).buffer);
}

/** The control messages datagram header `h` gives IP socket `s`, in Linux's order: an IPv4
 *  datagram's IPV6_PKTINFO (on an IPv6 socket), then the IP_PKTINFO, IP_TTL and IP_TOS that
 *  IPPROTO_IP's options ask for; an IPv6 one's IPV6_PKTINFO, IPV6_HOPLIMIT and IPV6_TCLASS. */
export function ipCmsgs(s: UnixSocket, h: IpHeader): Cmsg[] {
  if (s.type !== SOCK_DGRAM) return [];
  const out: Cmsg[] = [];
  const on = (level: number, opt: number): boolean => value(s, level, opt) !== 0;
  if (s.family === AF_INET6 && on(IPPROTO_IPV6, IPV6_RECVPKTINFO)) {
    // struct in6_pktinfo: the header's destination, the interface
    const b = new Uint8Array(20);
    b.set(h.dst);
    b.set(int32(LO_INDEX), 16);
    out.push([IPPROTO_IPV6, IPV6_PKTINFO, b]);
  }
  if (isV4(h.dst)) {
    if (on(IPPROTO_IP, IP_PKTINFO)) {
      // struct in_pktinfo: the interface, the local address (spec_dst), the header's destination
      const b = new Uint8Array(12);
      b.set(int32(LO_INDEX));
      b.set(h.dst.subarray(12), 4);
      b.set(h.dst.subarray(12), 8);
      out.push([IPPROTO_IP, IP_PKTINFO, b]);
    }
    if (on(IPPROTO_IP, IP_RECVTTL)) out.push([IPPROTO_IP, IP_TTL, int32(h.hops)]);
    if (on(IPPROTO_IP, IP_RECVTOS)) out.push([IPPROTO_IP, IP_TOS, new Uint8Array([h.tclass])]);
    return out;
  }
  if (on(IPPROTO_IPV6, IPV6_RECVHOPLIMIT)) out.push([IPPROTO_IPV6, IPV6_HOPLIMIT, int32(h.hops)]);
  if (on(IPPROTO_IPV6, IPV6_RECVTCLASS)) out.push([IPPROTO_IPV6, IPV6_TCLASS, int32(h.tclass)]);
  return out;
}
