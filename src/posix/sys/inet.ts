// IPv4 and IPv6 sockets on the loopback network only: TCP and UDP between the guest's own
// processes, as a machine with no network but `lo` has them. They are the unix sockets' objects
// (libexoc/socket.ts: a stream for TCP, datagrams for UDP) under sockaddr_in and sockaddr_in6
// names: a port in the system's table of bound names, an address that is this machine's
// (127.0.0.0/8, ::1, or the unspecified address of either family). Other addresses are
// unreachable (ENETUNREACH; EADDRNOTAVAIL to bind), and nothing leaves the guest.
//
// Addresses are kept as IPv6 ones, IPv4 addresses v4-mapped (::ffff:a.b.c.d), as Linux's IPv6
// stack sees them. IPv4 and IPv6 share each protocol's ports, as in Linux, but a port has an
// IPv4 side and an IPv6 side: a socket answers to the key of each side it was bound on. An
// IPv4 socket has the IPv4 side; an IPv6 socket bound to a specific address has the side of
// that address; one bound to :: has both unless IPV6_V6ONLY is set (dual-stack: IPv4 peers
// reach it from v4-mapped addresses). So 0.0.0.0 and :: with IPV6_V6ONLY may share a port, and
// 0.0.0.0 and a dual-stack :: may not (EADDRINUSE), as on Linux with net.ipv6.bindv6only = 0.

import type { Task } from "../../libexoc/task.js";
import { sysError } from "../../libexoc/errors.js";
import { AF_INET, AF_INET6, type SocketNames } from "../../libexoc/socket.js";

export { AF_INET, AF_INET6 };
export const IPPROTO_TCP = 6, IPPROTO_UDP = 17, IPPROTO_UDPLITE = 136, IPPROTO_IPV6 = 41;
export const IPV6_V6ONLY = 26;
/** Linux's default net.ipv4.ip_local_port_range. */
const EPHEMERAL_FIRST = 32768, EPHEMERAL_LAST = 60999;
/** Bytes of a sockaddr_in after its family: port, address, 8 bytes of zero. */
const INET_NAME = 14;
/** Bytes of a sockaddr_in6 after its family: port, flow information, address, scope id. */
const INET6_NAME = 26;
/** The shortest sockaddr_in6 Linux takes: RFC 2133's, without the scope id. */
const SIN6_LEN_RFC2133 = 24;

/** An address and port. The address is an IPv6 one of 16 bytes, an IPv4 one v4-mapped. */
export interface InetAddr {
  port: number;
  ip: Uint8Array;
}

/** The v4-mapped form of IPv4 address `a` (host order). */
function v4(a: number): Uint8Array {
  const ip = new Uint8Array(16);
  ip[10] = ip[11] = 0xff;
  ip[12] = a >>> 24;
  ip[13] = (a >>> 16) & 0xff;
  ip[14] = (a >>> 8) & 0xff;
  ip[15] = a & 0xff;
  return ip;
}

const V4_ANY = v4(0), V4_LOOPBACK = v4(0x7f000001);
const V6_ANY = new Uint8Array(16), V6_LOOPBACK = new Uint8Array(16);
V6_LOOPBACK[15] = 1;

/** Whether `ip` is an IPv4 address (v4-mapped). */
export function isV4(ip: Uint8Array): boolean {
  for (let k = 0; k < 10; k++) if (ip[k] !== 0) return false;
  return ip[10] === 0xff && ip[11] === 0xff;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.every((x, k) => x === b[k]);
}

/** Whether `ip` is the unspecified address of its family (0.0.0.0 or ::). */
export function unspecified(ip: Uint8Array): boolean {
  return same(ip, isV4(ip) ? V4_ANY : V6_ANY);
}

/** The unspecified address of `family`: what an unbound socket is bound to. */
export function anyOf(family: number): Uint8Array {
  return family === AF_INET ? V4_ANY : V6_ANY;
}

/** Whether `ip` is this machine: the loopback network, ::1 or an unspecified address. */
export function isLocal(ip: Uint8Array): boolean {
  return isV4(ip) ? ip[12] === 127 || unspecified(ip) : unspecified(ip) || same(ip, V6_LOOPBACK);
}

/** The loopback address of `ip`'s family: where what is sent to `ip` comes from. */
export function loopbackOf(ip: Uint8Array): Uint8Array {
  return isV4(ip) ? V4_LOOPBACK : V6_LOOPBACK;
}

/** `a` as this machine's address: an unspecified address reads as the loopback of its family
 *  (where a connection or a datagram to it arrives from, or lands). */
export function localAddr(a: InetAddr): InetAddr {
  return unspecified(a.ip) ? { port: a.port, ip: loopbackOf(a.ip) } : a;
}

/** Reads the sockaddr at `va` for a socket of `family`. `unspec`: an AF_UNSPEC address (which
 *  disconnects a datagram socket) reads as null. `v4`: an IPv6 datagram socket takes a
 *  sockaddr_in too, as a v4-mapped address (Linux's udpv6_sendmsg and ip6_datagram_connect). */
export function readInet(t: Task, va: number, len: number, family: number, unspec = false, v4too = false): InetAddr | null {
  if (len < 2) sysError("EINVAL");
  const given = t.mem.u32(va) & 0xffff;
  if (unspec && given === 0) return null;
  if (family === AF_INET || (v4too && given === AF_INET)) {
    if (len < 16) sysError("EINVAL");
    if (given !== AF_INET) sysError("EAFNOSUPPORT");
    const b = t.mem.read(va + 2, 6);
    return { port: (b[0] << 8) | b[1], ip: v4(((b[2] << 24) | (b[3] << 16) | (b[4] << 8) | b[5]) >>> 0) };
  }
  if (len < SIN6_LEN_RFC2133) sysError("EINVAL");
  if (given !== AF_INET6) sysError("EAFNOSUPPORT");
  const b = t.mem.read(va + 2, 22);
  return { port: (b[0] << 8) | b[1], ip: b.slice(6, 22) };
}

/** The name bytes (after the family) of `a` in a sockaddr of `family`. An IPv6 address that is
 *  not v4-mapped reads in IPv4 as 127.0.0.1: only this machine's addresses reach IPv4 sockets. */
export function encodeName(a: InetAddr, family: number): Uint8Array {
  const n = new Uint8Array(family === AF_INET ? INET_NAME : INET6_NAME);
  n[0] = a.port >>> 8;
  n[1] = a.port & 0xff;
  if (family === AF_INET) n.set((isV4(a.ip) ? a.ip : V4_LOOPBACK).subarray(12), 2);
  else n.set(a.ip, 6);
  return n;
}

/** The address a name of either family's encoding holds. */
export function decodeName(n: Uint8Array): InetAddr {
  const port = (n[0] << 8) | n[1];
  if (n.length === INET6_NAME) return { port, ip: n.slice(6, 22) };
  return { port, ip: v4(((n[2] << 24) | (n[3] << 16) | (n[4] << 8) | n[5]) >>> 0) };
}

/** Name `n` (of either family) as a sockaddr of `family` has it after the family field; an
 *  IP socket without a name is its family's unspecified address, port 0. */
export function nameIn(n: Uint8Array | null, family: number): Uint8Array {
  if (n === null) return new Uint8Array(family === AF_INET ? INET_NAME : INET6_NAME);
  if (n.length === (family === AF_INET ? INET_NAME : INET6_NAME)) return n;
  return encodeName(decodeName(n), family);
}

/** The port of a name of either family. */
export function portOf(n: Uint8Array): number {
  return (n[0] << 8) | n[1];
}

/** The key of one side (IPv4 or IPv6) of port `port` in port space `space` (see portSpace) in
 *  the system's names. */
function inetKey(space: number, port: number, v6: boolean): string {
  return `inet${v6 ? "6" : ""}:${space}:${port}`;
}

/** What a socket's keys depend on. */
interface InetSocket {
  family: number;
  type: number;
  protocol: number;
  ip6Options: Map<number, number>;
}

/** The ports a socket's own are among: TCP's (SOCK_STREAM), UDP's (SOCK_DGRAM), or UDP-Lite's,
 *  a protocol of its own whose ports are apart from UDP's. */
export function portSpace(s: { type: number; protocol: number }): number {
  return s.protocol === IPPROTO_UDPLITE ? IPPROTO_UDPLITE : s.type;
}

/** IPV6_V6ONLY is set: an IPv6 socket that IPv4 never reaches. */
export function v6only(s: InetSocket): boolean {
  return s.family === AF_INET6 && s.ip6Options.get(IPV6_V6ONLY) === 1;
}

/** The keys of socket `s` bound to port `port` of address `ip`: the sides of the port it has. */
export function bindKeys(s: InetSocket, ip: Uint8Array, port: number): string[] {
  const space = portSpace(s);
  if (s.family === AF_INET || isV4(ip)) return [inetKey(space, port, false)];
  if (unspecified(ip) && !v6only(s)) return [inetKey(space, port, false), inetKey(space, port, true)];
  return [inetKey(space, port, true)];
}

/** The key of the socket that what is sent to `a` reaches, in port space `space`. */
export function destKey(a: InetAddr, space: number): string {
  return inetKey(space, a.port, !isV4(a.ip));
}

let nextEphemeral = EPHEMERAL_FIRST;

/** A free port of the ephemeral range: one none of whose keys (`keys(port)`) is taken. */
export function ephemeralPort(names: SocketNames, keys: (port: number) => string[]): number {
  for (let k = 0; k <= EPHEMERAL_LAST - EPHEMERAL_FIRST; k++) {
    const port = nextEphemeral;
    nextEphemeral = port === EPHEMERAL_LAST ? EPHEMERAL_FIRST : port + 1;
    if (!keys(port).some((key) => names.has(key))) return port;
  }
  return sysError("EADDRINUSE");
}
