// IPv4 sockets on the loopback network only: TCP and UDP between the guest's own processes, as
// a machine with no network but `lo` has them. They are the unix sockets' objects
// (libexoc/socket.ts: a stream for TCP, datagrams for UDP) under sockaddr_in names: a port in
// the system's table of bound names, an address that is 127.0.0.0/8 or INADDR_ANY. Other
// addresses are unreachable (ENETUNREACH; EADDRNOTAVAIL to bind), and nothing leaves the guest.

import type { Task } from "../../libexoc/task.js";
import { sysError } from "../../libexoc/errors.js";
import { AF_INET, type SocketNames } from "../../libexoc/socket.js";

export { AF_INET };
export const IPPROTO_TCP = 6, IPPROTO_UDP = 17, IPPROTO_UDPLITE = 136;
export const INADDR_LOOPBACK = 0x7f000001;
/** Linux's default net.ipv4.ip_local_port_range. */
const EPHEMERAL_FIRST = 32768, EPHEMERAL_LAST = 60999;
/** Bytes of a sockaddr_in after its family: port, address, 8 bytes of zero. */
export const INET_NAME = 14;

/** A sockaddr_in's port and address (host order). */
export interface InetAddr {
  port: number;
  addr: number;
}

/** Reads a sockaddr_in (`unspec`: an AF_UNSPEC address, which disconnects a datagram socket,
 *  reads as null). */
export function readInet(t: Task, va: number, len: number, unspec = false): InetAddr | null {
  if (len < 2) sysError("EINVAL");
  const family = t.mem.u32(va) & 0xffff;
  if (unspec && family === 0) return null;
  if (len < 16) sysError("EINVAL");
  if (family !== AF_INET) sysError("EAFNOSUPPORT");
  const b = t.mem.read(va + 2, 6);
  return { port: (b[0] << 8) | b[1], addr: ((b[2] << 24) | (b[3] << 16) | (b[4] << 8) | b[5]) >>> 0 };
}

/** The name bytes (after the family) of an address. */
export function inetName(a: InetAddr): Uint8Array {
  const n = new Uint8Array(INET_NAME);
  n[0] = a.port >>> 8;
  n[1] = a.port & 0xff;
  n[2] = a.addr >>> 24;
  n[3] = (a.addr >>> 16) & 0xff;
  n[4] = (a.addr >>> 8) & 0xff;
  n[5] = a.addr & 0xff;
  return n;
}

/** The name of `a` as this machine's: INADDR_ANY reads as 127.0.0.1 (where a connection or a
 *  datagram to it arrives from, or lands). */
export function localName(a: InetAddr): Uint8Array {
  return inetName({ port: a.port, addr: a.addr === 0 ? INADDR_LOOPBACK : a.addr });
}

export function nameAddr(n: Uint8Array): InetAddr {
  return { port: (n[0] << 8) | n[1], addr: ((n[2] << 24) | (n[3] << 16) | (n[4] << 8) | n[5]) >>> 0 };
}

/** Whether `addr` is this machine: the loopback network or INADDR_ANY. */
export function isLocal(addr: number): boolean {
  return addr >>> 24 === 127 || addr === 0;
}

/** The key of port `port` of socket type `type` in the system's names (`type`: a port space,
 *  see portSpace). */
export function inetKey(type: number, port: number): string {
  return `inet:${type}:${port}`;
}

/** The ports a socket's own are among: TCP's (SOCK_STREAM), UDP's (SOCK_DGRAM), or UDP-Lite's,
 *  a protocol of its own whose ports are apart from UDP's. */
export function portSpace(s: { type: number; protocol: number }): number {
  return s.protocol === IPPROTO_UDPLITE ? IPPROTO_UDPLITE : s.type;
}

let nextEphemeral = EPHEMERAL_FIRST;

/** A free port of the ephemeral range, for a socket of type `type`. */
export function ephemeralPort(names: SocketNames, type: number): number {
  for (let k = 0; k <= EPHEMERAL_LAST - EPHEMERAL_FIRST; k++) {
    const port = nextEphemeral;
    nextEphemeral = port === EPHEMERAL_LAST ? EPHEMERAL_FIRST : port + 1;
    if (!names.has(inetKey(type, port))) return port;
  }
  return sysError("EADDRINUSE");
}
