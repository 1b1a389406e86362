// The socket system calls, for Unix domain sockets (libexoc/socket.ts): socket, socketpair,
// bind, listen, connect, accept/accept4, getsockname, getpeername, send/sendto/sendmsg,
// recv/recvfrom/recvmsg, shutdown, getsockopt, setsockopt, and i386's socketcall multiplexer,
// which glibc uses. IPv4 and IPv6 sockets are loopback ones (inet.ts), their protocol levels
// and ancillary data in inetopt.ts. Other address families fail with EAFNOSUPPORT, as on a
// Linux built without them; a program then sees "address family not supported", not a
// missing system call.

import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import { sysError, SysError } from "../../libexoc/errors.js";
import { ERRNO } from "../abi/errno.js";
import { WouldBlock, RESTART_IF_SA, laterFn, partialCount, resumable } from "../../libexoc/blocking.js";
import { S_IFMT, S_IFSOCK, PathFile, type OpenFile } from "../../libexoc/file.js";
import { lockKey } from "../../libexoc/vfs/ref.js";
import { UnixSocket, dropAll, SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_BUF, SCM_MAX_FD, type Creds, type IpHeader } from "../../libexoc/socket.js";
import { MAX_RW, writeTo } from "./file.js";
import { readTimespec } from "./time.js";
import { getInetOption, setInetOption, readIpControl, ipHeader, ipCmsgs, type Cmsg } from "./inetopt.js";
import { tcpInfo, setCongestion, TCP_INFO, TCP_CONGESTION, TCP_CA_NAME_MAX, SOL_UDP, UDP_CORK } from "./tcpopt.js";
import { AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE, portSpace, readInet, encodeName, decodeName, nameIn, portOf, isLocal, isV4, anyOf, localAddr, loopbackOf, unspecified, bindKeys, destKey, v6only, ephemeralPort, type InetAddr } from "./inet.js";
import { capable, CAP_NET_ADMIN, CAP_NET_BIND_SERVICE, CAP_SYS_ADMIN, CAP_SETUID, CAP_SETGID } from "../../libexoc/capability.js";
import { AF_NETLINK, NETLINK_ROUTE, routeRequest } from "../../libexoc/netlink.js";

export const AF_UNIX = 1;
const SOCK_RAW = 3;
const SOCK_NONBLOCK = 0o4000, SOCK_CLOEXEC = 0o2000000;
const MSG_OOB = 0x1, MSG_PEEK = 0x2, MSG_CTRUNC = 0x8, MSG_TRUNC = 0x20, MSG_DONTWAIT = 0x40, MSG_WAITALL = 0x100, MSG_NOSIGNAL = 0x4000, MSG_MORE = 0x8000;
/** The error queue (IP_RECVERR) is empty here: nothing is lost on the loopback network. */
const MSG_ERRQUEUE = 0x2000;
const MSG_WAITFORONE = 0x10000, MSG_CMSG_CLOEXEC = 0x40000000;
/** struct mmsghdr (i386): a msghdr and the message's length. */
const MMSG = 32;
/** Most messages one sendmmsg/recvmmsg takes (Linux's UIO_MAXIOV). */
const MAX_MMSG = 1024;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1, SCM_CREDENTIALS = 2;
const SO_REUSEADDR = 2, SO_TYPE = 3, SO_ERROR = 4, SO_SNDBUF = 7, SO_RCVBUF = 8, SO_KEEPALIVE = 9;
const SO_PASSCRED = 16, SO_PEERCRED = 17, SO_ACCEPTCONN = 30, SO_SNDBUFFORCE = 32, SO_RCVBUFFORCE = 33;
const SO_PROTOCOL = 38, SO_DOMAIN = 39, SO_BROADCAST = 6;
const SO_DONTROUTE = 5, SO_OOBINLINE = 10, SO_NO_CHECK = 11, SO_PRIORITY = 12, SO_LINGER = 13, SO_BSDCOMPAT = 14;
const SO_REUSEPORT = 15, SO_RCVLOWAT = 18, SO_TIMESTAMP_OLD = 29, SO_TIMESTAMPNS_OLD = 35;
/** SOL_SOCKET options that are stored and read back (Socket.plainOptions) with no effect on
 *  loopback sockets: flags (read back as 0 or 1, as Linux's sock_valbool_flag keeps them) and
 *  plain numbers, with their defaults. */
const PLAIN_FLAGS = new Set([SO_DONTROUTE, SO_NO_CHECK, SO_BSDCOMPAT, SO_REUSEPORT, SO_TIMESTAMP_OLD, SO_TIMESTAMPNS_OLD]);
const PLAIN_NUMBERS = new Map([[SO_PRIORITY, 0], [SO_RCVLOWAT, 1]]);
/** SO_RCVTIMEO and SO_SNDTIMEO with a struct timeval of 32-bit words, and of 64-bit ones. */
const SO_RCVTIMEO_OLD = 20, SO_SNDTIMEO_OLD = 21, SO_RCVTIMEO_NEW = 66, SO_SNDTIMEO_NEW = 67;
const TIMEOUTS = new Set([SO_RCVTIMEO_OLD, SO_SNDTIMEO_OLD, SO_RCVTIMEO_NEW, SO_SNDTIMEO_NEW]);
/** The largest UDP payload of one IPv4 packet, and of one IPv6 packet (65,535 bytes less the
 *  headers). */
const UDP_MAX = 65507, UDP6_MAX = 65527;
/** sockaddr_un: sa_family (2 bytes) and sun_path (108). */
const SUN_PATH = 108;

function credsOf(t: Task): Creds {
  return { pid: t.pid, uid: t.proc.euid, gid: t.proc.egid };
}

function sockOf(t: Task, fd: number): UnixSocket {
  const f = t.fds.get(fd);
  if (f instanceof PathFile) sysError("EBADF");
  if (!(f instanceof UnixSocket)) sysError("ENOTSOCK");
  return f;
}

function makeSocket(t: Task, domain: number, type: number, protocol: number): UnixSocket {
  if (domain !== AF_UNIX && domain !== AF_INET && domain !== AF_INET6 && domain !== AF_NETLINK) sysError("EAFNOSUPPORT");
  if ((type & ~(0xf | SOCK_NONBLOCK | SOCK_CLOEXEC)) !== 0) sysError("EINVAL");
  const nonblock = (type & SOCK_NONBLOCK) !== 0;
  if (domain === AF_NETLINK) return makeNetlink(t, type & 0xf, protocol, nonblock);
  if (domain !== AF_UNIX) return makeInet(t, domain, type & 0xf, protocol, nonblock);
  let kind = type & 0xf;
  // (Linux makes a raw unix socket a datagram one)
  if (kind === SOCK_RAW) kind = SOCK_DGRAM;
  if (kind !== SOCK_STREAM && kind !== SOCK_DGRAM && kind !== SOCK_SEQPACKET) sysError("ESOCKTNOSUPPORT");
  if (protocol !== 0 && protocol !== AF_UNIX) sysError("EPROTONOSUPPORT");
  return new UnixSocket(kind, credsOf(t), nonblock);
}

/** An IPv4 or IPv6 socket: TCP (a stream) or UDP (datagrams) on the loopback network. */
function makeInet(t: Task, family: number, kind: number, protocol: number, nonblock: boolean): UnixSocket {
  if (kind === SOCK_STREAM) {
    if (protocol !== 0 && protocol !== IPPROTO_TCP) sysError("EPROTONOSUPPORT");
  } else if (kind === SOCK_DGRAM) {
    // (UDP-Lite: UDP whose checksum may cover part of a datagram, which changes nothing on a
    // loopback network that loses no bits; its ports are its own)
    if (protocol !== 0 && protocol !== IPPROTO_UDP && protocol !== IPPROTO_UDPLITE) sysError("EPROTONOSUPPORT");
  } else {
    sysError(kind === SOCK_RAW ? "EPROTONOSUPPORT" : "ESOCKTNOSUPPORT");
  }
  const s = new UnixSocket(kind, credsOf(t), nonblock, family);
  if (protocol === IPPROTO_UDPLITE) s.protocol = IPPROTO_UDPLITE;
  return s;
}

/** A routing netlink socket (raw or datagram, as Linux takes both): what it sends goes to the
 *  kernel's rtnetlink (libexoc/netlink.ts), whose answers it receives. Other netlink protocols
 *  (uevents, audit, generic netlink...) are EPROTONOSUPPORT. */
function makeNetlink(t: Task, kind: number, protocol: number, nonblock: boolean): UnixSocket {
  if (kind !== SOCK_RAW && kind !== SOCK_DGRAM) sysError("ESOCKTNOSUPPORT");
  if (protocol !== NETLINK_ROUTE) sysError("EPROTONOSUPPORT");
  return new UnixSocket(SOCK_DGRAM, credsOf(t), nonblock, AF_NETLINK);
}

/** A netlink socket's name (struct sockaddr_nl after the family): padding, port id, groups. */
function netlinkName(portId: number, groups: number): Uint8Array {
  const b = new Uint8Array(10);
  const dv = new DataView(b.buffer);
  dv.setUint32(2, portId >>> 0, true);
  dv.setUint32(6, groups >>> 0, true);
  return b;
}

/** SOL_NETLINK, and its options that are kept as flags: NETLINK_ADD_MEMBERSHIP,
 *  DROP_MEMBERSHIP, PKTINFO, BROADCAST_ERROR, NO_ENOBUFS, LISTEN_ALL_NSID, CAP_ACK, EXT_ACK,
 *  GET_STRICT_CHK (stored apart from SOL_SOCKET's in plainOptions). */
const SOL_NETLINK = 270, SOL_NETLINK_KEY = 270 << 16;
const NETLINK_OPTIONS = new Set([1, 2, 3, 4, 5, 8, 10, 11, 12]);

/** The kernel's netlink address: port id 0. */
const NL_KERNEL = netlinkName(0, 0);

/** A sockaddr_nl from the guest: its port id and groups (EINVAL if short or of another
 *  family). */
function readNetlink(t: Task, va: number, len: number): { portId: number; groups: number } {
  if (len < 12) sysError("EINVAL");
  const b = t.mem.read(va, 12);
  const dv = new DataView(b.buffer, b.byteOffset, 12);
  if (dv.getUint16(0, true) !== AF_NETLINK) sysError("EINVAL");
  return { portId: dv.getUint32(4, true), groups: dv.getUint32(8, true) };
}

/** Binds a netlink socket to port id `portId` (0: the process's id if free, else one below
 *  -4096, as Linux's netlink_autobind). Binding again to its own id changes nothing; to
 *  another (0 included) is EINVAL. */
function bindNetlink(t: Task, s: UnixSocket, portId: number, groups: number): void {
  const names = t.fs.sockets;
  const key = (id: number): string => `netlink:${id >>> 0}`;
  if (s.name !== null) {
    if (portId >>> 0 !== portIdOf(s.name)) sysError("EINVAL");
    return;
  }
  if (portId === 0) {
    portId = t.pid;
    for (let id = -4096; names.has(key(portId)); id--) portId = id;
  }
  s.bind(netlinkName(portId, groups), [key(portId)], names);
}

/** The port id in a netlink socket's name (netlinkName's layout). */
function portIdOf(name: Uint8Array): number {
  return new DataView(name.buffer, name.byteOffset).getUint32(2, true);
}

/** The port id of a netlink socket, bound first if it is not. */
function netlinkPort(t: Task, s: UnixSocket): number {
  if (s.name === null) bindNetlink(t, s, 0, 0);
  return portIdOf(s.name as Uint8Array);
}

/** What a netlink socket sends: a message for the kernel (port id 0; another port is
 *  ECONNREFUSED, as no process listens), whose answers are queued for it at once. */
function sendNetlink(t: Task, s: UnixSocket, data: Uint8Array, addrVa: number, addrLen: number): number {
  if (addrVa !== 0 && readNetlink(t, addrVa, addrLen).portId !== 0) sysError("ECONNREFUSED");
  const pid = netlinkPort(t, s);
  for (const d of routeRequest(data, pid, capable(t.proc, CAP_NET_ADMIN))) s.fromKernel(d);
  return data.length;
}

export const socket: Sys = (t, domain, type, protocol) => t.fds.add(makeSocket(t, domain, type, protocol), (type & SOCK_CLOEXEC) !== 0);

export const socketpair: Sys = (t, domain, type, protocol, svVa) => {
  // (Linux's order: the result's place, then the sockets as socket() makes them, and only
  // then the domain's answer: IP has no pairs)
  if ((type & ~(0xf | SOCK_NONBLOCK | SOCK_CLOEXEC)) !== 0) sysError("EINVAL");
  t.mem.check(svVa, 8, true);
  const a = makeSocket(t, domain, type, protocol);
  if (a.inet || a.family === AF_NETLINK) {
    a.drop();
    return sysError("EOPNOTSUPP");
  }
  const b = makeSocket(t, domain, type, protocol);
  UnixSocket.join(a, b);
  const [fa, fb] = t.fds.addPair(a, b, (type & SOCK_CLOEXEC) !== 0);
  t.mem.putU32(svVa, fa);
  t.mem.putU32(svVa + 4, fb);
  return 0;
};

/** A sockaddr_un read from the guest: the bound name's bytes as getsockname gives them back
 *  (a path with its NUL, or an abstract name with its leading 0), and the path if it is one. An
 *  address of the family alone (length 2) has no name. */
interface UnixAddr {
  name: Uint8Array | null;
  path: string | null;
}

function readAddr(t: Task, va: number, len: number, family: "EINVAL" | "EAFNOSUPPORT"): UnixAddr {
  if (len < 2 || len > 2 + SUN_PATH) sysError("EINVAL");
  const raw = t.mem.read(va, len);
  if ((raw[0] | (raw[1] << 8)) !== AF_UNIX) sysError(family);
  const sun = raw.subarray(2);
  if (sun.length === 0) return { name: null, path: null };
  if (sun[0] === 0) return { name: sun.slice(), path: null };
  let end = sun.indexOf(0);
  if (end < 0) end = sun.length;
  const path = Buffer.from(sun.subarray(0, end)).toString("latin1");
  const name = new Uint8Array(end + 1);
  name.set(sun.subarray(0, end));
  return { name, path };
}

/** The registry key of an abstract name. Linux hashes the socket type in with it, so
 *  sockets of different types may share a name, and a lookup of the wrong type finds nothing. */
function abstractKey(name: Uint8Array, type: number): string {
  return `@${type}:${Buffer.from(name).toString("hex")}`;
}

/** A socket's name as a sockaddr of `family`: the family, then the name's bytes (an IP name
 *  of either family's encoding as `family` has it; none: the unspecified address, port 0). */
function sockaddr(name: Uint8Array | null, family: number): Uint8Array {
  if (family === AF_INET || family === AF_INET6) name = nameIn(name, family);
  if (family === AF_NETLINK && name === null) name = NL_KERNEL;
  const full = new Uint8Array(2 + (name?.length ?? 0));
  full[0] = family;
  if (name !== null) full.set(name, 2);
  return full;
}

/** Writes a socket's name as a sockaddr of `family` at `va` (cut to the room *lenVa says),
 *  and its whole length to *lenVa. */
function putAddr(t: Task, va: number, lenVa: number, name: Uint8Array | null, family = AF_UNIX, optional = true): void {
  // (accept and recvfrom take no address where none is asked for; getsockname and getpeername
  // write wherever they are told, so NULL is EFAULT there: Linux's move_addr_to_user)
  if (va === 0 && optional) return;
  const room = t.mem.i32(lenVa);
  if (room < 0) sysError("EINVAL");
  const full = sockaddr(name, family);
  if (room > 0) t.mem.write(va, full.subarray(0, Math.min(room, full.length)));
  t.mem.putU32(lenVa, full.length);
}

let autobindSeq = 0;

/** Binds an IP socket to `a` (port 0: a free ephemeral one). */
function bindInet(t: Task, s: UnixSocket, a: InetAddr): void {
  if (s.name !== null) sysError("EINVAL");
  // (a v4-mapped address on an IPv6-only socket "makes no sense": Linux's __inet6_bind)
  if (isV4(a.ip) && v6only(s)) sysError("EINVAL");
  if (!isLocal(a.ip)) sysError("EADDRNOTAVAIL");
  const names = t.fs.sockets;
  const port = a.port === 0 ? ephemeralPort(names, (p) => bindKeys(s, a.ip, p)) : a.port;
  // (ports below 1024 are root's)
  if (port < 1024 && !capable(t.proc, CAP_NET_BIND_SERVICE)) sysError("EACCES");
  s.bind(encodeName({ port, ip: a.ip }, s.family), bindKeys(s, a.ip, port), names);
}

/** An unbound IP socket gets an ephemeral port of address `ip` (connect, listen, and a
 *  datagram's first send). */
function autobindInet(t: Task, s: UnixSocket, ip: Uint8Array): void {
  if (s.name === null) bindInet(t, s, { port: 0, ip });
}

export const bind: Sys = (t, fd, addrVa, len) => {
  const s = sockOf(t, fd);
  if (s.family === AF_NETLINK) {
    const a = readNetlink(t, addrVa, len);
    bindNetlink(t, s, a.portId, a.groups);
    return 0;
  }
  if (s.inet) {
    const a = readInet(t, addrVa, len, s.family) as InetAddr;
    bindInet(t, s, a);
    s.boundAs = encodeName(a, s.family);
    return 0;
  }
  const a = readAddr(t, addrVa, len, "EINVAL");
  const names = t.fs.sockets;
  // (a path is made first: binding a bound socket to a name in use is EADDRINUSE, as in Linux)
  if (s.name !== null && a.path === null) sysError("EINVAL");
  if (a.name === null) {
    // Autobind: an abstract name of five hex digits, as Linux picks.
    for (let tries = 0; tries < 0x100000; tries++) {
      const name = Buffer.from(`\0${(autobindSeq++ & 0xfffff).toString(16).padStart(5, "0")}`, "latin1");
      if (!names.has(abstractKey(name, s.type))) {
        s.bind(new Uint8Array(name), [abstractKey(name, s.type)], names);
        return 0;
      }
    }
    sysError("ENOSPC");
  }
  if (a.path === null) {
    s.bind(a.name, [abstractKey(a.name, s.type)], names);
    return 0;
  }
  try {
    t.fs.mknod(t, a.path, t.cwd, S_IFSOCK, 0o777 & ~t.umask);
  } catch (e) {
    if (e instanceof SysError && e.errno === "EEXIST") sysError("EADDRINUSE");
    throw e;
  }
  if (s.name !== null) {
    t.fs.unlink(t, a.path, t.cwd);
    sysError("EINVAL");
  }
  const st = t.fs.stat(t, a.path, t.cwd, false);
  s.bind(a.name, [lockKey(st.dev, st.ino)], names);
  return 0;
};

/** The socket of type `type` bound at the address `a` names (connect, sendto). */
function findNamed(t: Task, a: UnixAddr, type: number): UnixSocket {
  if (a.name === null) sysError("EINVAL");
  const names = t.fs.sockets;
  if (a.path === null) {
    const to = names.get(abstractKey(a.name, type));
    if (to === undefined) sysError("ECONNREFUSED");
    return to;
  }
  const st = t.fs.stat(t, a.path, t.cwd, true);
  if ((st.mode & S_IFMT) !== S_IFSOCK) sysError("ECONNREFUSED");
  t.fs.access(t, a.path, t.cwd, 2, true, true);
  const to = names.get(lockKey(st.dev, st.ino));
  if (to === undefined) sysError("ECONNREFUSED");
  if (to.type !== type) sysError("EPROTOTYPE");
  return to;
}

export const listen: Sys = (t, fd, backlog) => {
  const s = sockOf(t, fd);
  // (an unbound TCP socket listens on an ephemeral port of every address, as Linux's
  // inet_listen binds it; an unbound Unix socket cannot listen: EINVAL)
  if (s.inet && s.type === SOCK_STREAM && s.name === null && !s.connected) autobindInet(t, s, anyOf(s.family));
  s.listen(backlog);
  return 0;
};

/** The socket of `s`'s port space bound at port `a.port` of this machine, or null; ENETUNREACH
 *  for an address elsewhere, or an IPv4 one from an IPv6-only socket. */
function findInet(t: Task, s: UnixSocket, a: InetAddr): UnixSocket | null {
  checkReach(s, a);
  return t.fs.sockets.get(destKey(a, portSpace(s))) ?? null;
}

/** ENETUNREACH unless `s` can reach `a`. */
function checkReach(s: UnixSocket, a: InetAddr): void {
  if (!isLocal(a.ip) || (isV4(a.ip) && v6only(s))) sysError("ENETUNREACH");
}

/** A socket bound to an unspecified address takes the source address of a connection to `a`
 *  as its name: the loopback of `a`'s family (Linux's connect sets inet_saddr). */
function takeSource(s: UnixSocket, a: InetAddr): void {
  if (s.name !== null && unspecified(decodeName(s.name).ip)) s.name = encodeName({ port: portOf(s.name), ip: loopbackOf(a.ip) }, s.family);
}

/** A UDP socket's connect to AF_UNSPEC, as Linux's __udp_disconnect: a port the system chose
 *  (or bind's port 0) is given back, and an address bind did not name is unspecified again. */
function udpDisconnect(s: UnixSocket): void {
  const b = s.boundAs === null ? null : decodeName(s.boundAs);
  if (b === null || (b.port === 0 && unspecified(b.ip))) s.unbind();
  else if (b.port !== 0) s.name = s.boundAs;
}

function connectInet(t: Task, s: UnixSocket, addrVa: number, len: number): number {
  const a = readInet(t, addrVa, len, s.family, s.type === SOCK_DGRAM, s.type === SOCK_DGRAM);
  if (s.type === SOCK_DGRAM) {
    // UDP connects to an address, whether or not a socket is bound there yet.
    if (a === null) {
      s.aimAt(null, null);
      udpDisconnect(s);
      return 0;
    }
    checkReach(s, a);
    autobindInet(t, s, loopbackOf(a.ip));
    takeSource(s, a);
    s.aimAt(null, encodeName(localAddr(a), s.family));
    return 0;
  }
  if (a === null) return sysError("EAFNOSUPPORT");
  // A non-blocking connect said EINPROGRESS: the next one reports how it ended (its error, or
  // 0 once), then EISCONN, as Linux's inet_stream_connect does.
  if (s.connectInProgress) {
    s.connectInProgress = false;
    const e = s.softError;
    s.softError = null;
    if (e !== null) sysError(e);
    if (s.connected) return 0;
  }
  if (s.connected) sysError("EISCONN");
  const to = findInet(t, s, a);
  // TCP's handshake is not done within a non-blocking connect, even on the loopback: it says
  // EINPROGRESS, and the outcome (ECONNREFUSED here) comes as SO_ERROR, POLLERR and POLLOUT.
  const nonblock = s.mode.nonblock;
  if (to === null && !nonblock) sysError("ECONNREFUSED");
  autobindInet(t, s, loopbackOf(a.ip));
  takeSource(s, a);
  if (to === null) {
    s.softError = "ECONNREFUSED";
  } else {
    s.connectTo(to, credsOf(t), t);
    // The accepted socket's own address is the one the client reached.
    if (s.peer !== null) s.peer.name = encodeName(localAddr(a), s.peer.family);
  }
  if (!nonblock) return 0;
  s.connectInProgress = true;
  s.rx.readable.notify();
  return sysError("EINPROGRESS");
}

export const connect: Sys = (t, fd, addrVa, len) => {
  const s = sockOf(t, fd);
  if (s.inet) return connectInet(t, s, addrVa, len);
  if (s.family === AF_NETLINK) {
    // (only the kernel answers: connecting to it binds the socket and changes nothing else)
    if (readNetlink(t, addrVa, len).portId !== 0) sysError("ECONNREFUSED");
    netlinkPort(t, s);
    return 0;
  }
  const a = readAddr(t, addrVa, len, "EAFNOSUPPORT");
  if (s.type === SOCK_DGRAM) {
    // A datagram socket's connect names its default destination (an address of the family
    // alone disconnects it).
    s.aimAt(a.name === null ? null : findNamed(t, a, SOCK_DGRAM), null);
    return 0;
  }
  s.connectTo(findNamed(t, a, s.type), credsOf(t), t);
  return 0;
};

export const accept4: Sys = (t, fd, addrVa, lenVa, flags) => {
  if ((flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) !== 0) sysError("EINVAL");
  const s = sockOf(t, fd);
  if (s.type === SOCK_DGRAM) sysError("EOPNOTSUPP");
  if (addrVa !== 0) t.mem.check(lenVa, 4, true);
  const n = s.accept(t);
  n.mode.nonblock = (flags & SOCK_NONBLOCK) !== 0;
  const nfd = t.fds.add(n, (flags & SOCK_CLOEXEC) !== 0);
  putAddr(t, addrVa, lenVa, n.peer?.name ?? null, s.family);
  return nfd;
};

export const accept: Sys = (t, fd, addrVa, lenVa) => accept4(t, fd, addrVa, lenVa, 0, 0, 0);

export const getsockname: Sys = (t, fd, addrVa, lenVa) => {
  const s = sockOf(t, fd);
  putAddr(t, addrVa, lenVa, s.name, s.family, false);
  return 0;
};

export const getpeername: Sys = (t, fd, addrVa, lenVa) => {
  const s = sockOf(t, fd);
  if (s.inet && s.type === SOCK_DGRAM) {
    if (s.peerName === null) sysError("ENOTCONN");
    putAddr(t, addrVa, lenVa, s.peerName, s.family, false);
    return 0;
  }
  if (!s.connected || s.peer === null) sysError("ENOTCONN");
  putAddr(t, addrVa, lenVa, s.peer.name, s.family, false);
  return 0;
};

export const shutdown: Sys = (t, fd, how) => {
  const s = sockOf(t, fd);
  s.shutdown(how);
  // (an IP socket neither connected nor listening is ENOTCONN, its shutdown done all the
  // same: Linux's inet_shutdown for TCP_CLOSE)
  if (s.inet && !s.listening && (s.type === SOCK_DGRAM ? s.peerName === null : !s.connected)) sysError("ENOTCONN");
  return 0;
};

/** A TCP socket: the one kind with urgent data (MSG_OOB) here. */
function tcp(s: UnixSocket): boolean {
  return s.inet && s.type === SOCK_STREAM;
}

/** What a send refuses before anything moves: MSG_OOB but on TCP, and a UDP datagram whose
 *  payload does not fit one IP packet. */
function sendable(s: UnixSocket, len: number, flags: number): void {
  if ((flags & MSG_OOB) !== 0 && !tcp(s)) sysError("EOPNOTSUPP");
  if (s.inet && s.type === SOCK_DGRAM && len > (s.family === AF_INET ? UDP_MAX : UDP6_MAX)) sysError("EMSGSIZE");
}

/** Sends `data` from `s` as send/sendto/sendmsg do: SIGPIPE (unless MSG_NOSIGNAL) and EPIPE
 *  when the peer is gone. */
function sendData(t: Task, s: UnixSocket, data: Uint8Array, flags: number, to: UnixSocket | null, creds: Creds, files: OpenFile[] | null, ip: IpHeader | null = null): number {
  try {
    sendable(s, data.length, flags);
  } catch (e) {
    dropAll(files);
    throw e;
  }
  const nonblock = (flags & MSG_DONTWAIT) !== 0;
  if (tcp(s)) {
    // (MSG_MORE and TCP_CORK hold the bytes back; any other send lets what was held go first)
    if ((flags & MSG_OOB) === 0 && ((flags & MSG_MORE) !== 0 || s.cork)) {
      return writeTo(t, () => {
        s.hold(data, t.sys);
        return data.length;
      });
    }
    s.flushHeld();
  }
  if ((flags & MSG_OOB) !== 0) s.markUrgent(data);
  const send = (): number => s.send(data, to, creds, files, nonblock, t, ip);
  if ((flags & MSG_NOSIGNAL) !== 0) {
    try {
      return send();
    } catch (e) {
      if (e instanceof SysError && e.errno === "EPIPE" && e.partial > 0) return e.partial;
      throw e;
    }
  }
  return writeTo(t, send);
}

/** Where a send goes: the socket (null: the peer), or nowhere (`drop`: a UDP datagram with
 *  nobody at its port is sent and lost, as without ICMP), and a UDP datagram's address. */
interface Dest {
  to: UnixSocket | null;
  drop: boolean;
  addr: InetAddr | null;
}

/** The destination of a send with an address: a datagram socket's; a connected stream's is
 *  EISCONN, an unconnected one's EOPNOTSUPP (as Linux). */
function destination(t: Task, s: UnixSocket, addrVa: number, len: number): Dest {
  if (s.inet) {
    // (TCP ignores an address given to sendto, as Linux's tcp_sendmsg does)
    return s.type === SOCK_DGRAM ? udpDestination(t, s, addrVa, len) : { to: null, drop: false, addr: null };
  }
  if (addrVa === 0) return { to: null, drop: false, addr: null };
  if (s.type !== SOCK_DGRAM) sysError(s.connected ? "EISCONN" : "EOPNOTSUPP");
  return { to: findNamed(t, readAddr(t, addrVa, len, "EINVAL"), SOCK_DGRAM), drop: false, addr: null };
}

/** Where a UDP datagram from `s` goes: the address given, else the connected one. A socket
 *  connected elsewhere takes datagrams from its peer only; the others are lost. */
function udpDestination(t: Task, s: UnixSocket, addrVa: number, len: number): Dest {
  let addr: InetAddr;
  if (addrVa !== 0) addr = readInet(t, addrVa, len, s.family, false, true) as InetAddr;
  else if (s.peerName !== null) addr = decodeName(s.peerName);
  else return sysError("EDESTADDRREQ");
  const to = findInet(t, s, addr);
  autobindInet(t, s, anyOf(s.family));
  if (to === null || s.name === null) {
    // A connected socket hears of it: its next receive fails (Linux's ICMP port unreachable).
    if (to === null && addrVa === 0) {
      s.softError = "ECONNREFUSED";
      s.rx.readable.notify();
    }
    return { to: null, drop: true, addr };
  }
  const drop = to.peerName !== null && portOf(to.peerName) !== portOf(s.name);
  return { to, drop, addr };
}

/** Sends `data` from `s` to `d` (a datagram with its IP header, its control messages at
 *  `control`): a datagram nobody receives is dropped once it passed the checks. */
function sendTo(t: Task, s: UnixSocket, d: Dest, data: Uint8Array, flags: number, creds: Creds, files: OpenFile[] | null, ip: IpHeader | null): number {
  if (s.inet && s.type === SOCK_DGRAM && (s.pendingDatagram !== null || (flags & MSG_MORE) !== 0 || s.udpCork)) {
    // UDP with MSG_MORE or UDP_CORK: the bytes join the datagram being built, which goes, to
    // where its first part was sent, with the first send that lets it (udp_sendmsg's pending
    // frames); one grown past what a datagram holds is dropped (EMSGSIZE).
    const p = (s.pendingDatagram ??= { parts: [], bytes: 0, dest: d, ip }) as PendingDatagram;
    if (p.bytes + data.length > (s.family === AF_INET ? UDP_MAX : UDP6_MAX)) {
      s.pendingDatagram = null;
      sysError("EMSGSIZE");
    }
    p.parts.push(data.slice());
    p.bytes += data.length;
    if ((flags & MSG_MORE) !== 0 || s.udpCork) return data.length;
    sendPendingDatagram(t, s, flags);
    return data.length;
  }
  if (d.drop) {
    sendable(s, data.length, flags);
    dropAll(files);
    return data.length;
  }
  return sendData(t, s, data, flags, d.to, creds, files, ip);
}

/** A UDP datagram being built from sends with MSG_MORE or under UDP_CORK. */
interface PendingDatagram {
  parts: Uint8Array[];
  bytes: number;
  dest: Dest;
  ip: IpHeader | null;
}

/** Sends the datagram built so far (a send without MSG_MORE, UDP_CORK taken out). */
export function sendPendingDatagram(t: Task, s: UnixSocket, flags = 0): void {
  const p = s.pendingDatagram as PendingDatagram | null;
  if (p === null) return;
  s.pendingDatagram = null;
  const data = new Uint8Array(p.bytes);
  let at = 0;
  for (const b of p.parts) {
    data.set(b, at);
    at += b.length;
  }
  sendTo(t, s, p.dest, data, flags & ~MSG_MORE, credsOf(t), null, p.ip);
}

/** Where a send goes: a UDP socket building a datagram sends to where its first part went,
 *  whatever address this send names (udp_sendmsg looks at the pending frames first). */
function destinationOf(t: Task, s: UnixSocket, addrVa: number, len: number): Dest {
  const p = s.pendingDatagram as PendingDatagram | null;
  return p !== null ? p.dest : destination(t, s, addrVa, len);
}

/** A send without control messages (sendto, send, and write on a socket that must send):
 *  the destination found first, then the bytes read (a netlink socket's go to the kernel). */
function sendPlain(t: Task, s: UnixSocket, read: () => Uint8Array, flags: number, addrVa: number, addrLen: number): number {
  if (s.family === AF_NETLINK) return sendNetlink(t, s, read(), addrVa, addrLen);
  const d = destinationOf(t, s, addrVa, addrLen);
  const data = read();
  const ip = d.addr === null ? null : ipHeader(s, d.addr, { hops: null, tclass: null });
  return sendTo(t, s, d, data, flags, credsOf(t), null, ip);
}

export const sendto: Sys = (t, fd, buf, len, flags, addrVa, addrLen) =>
  sendPlain(t, sockOf(t, fd), () => t.mem.read(buf, Math.min(len >>> 0, MAX_RW)), flags, addrVa, addrLen);

export const send: Sys = (t, fd, buf, len, flags) => sendto(t, fd, buf, len, flags, 0, 0);

/** Whether write(2) on `s` must go the way of send(2): a UDP socket's destination is the
 *  address it connected to, and a netlink socket's the kernel, which the socket itself does not
 *  hold (its own write handles streams and unix sockets). */
export function sendsOnWrite(s: UnixSocket): boolean {
  return (s.inet && s.type === SOCK_DGRAM) || s.family === AF_NETLINK;
}

/** write/writev on such a socket: a send without flags or address of the bytes gathered. */
export function writeAsSend(t: Task, s: UnixSocket, data: Uint8Array): number {
  return sendPlain(t, s, () => data, 0, 0, 0);
}

/** MSG_OOB on a receive that is not TCP's: a unix stream has no urgent data to give (EINVAL,
 *  as unix_stream_recv_urg says when none was sent), and unix datagrams have no such thing
 *  (EOPNOTSUPP); UDP ignores the flag. */
function noUrgentData(s: UnixSocket, flags: number): void {
  if ((flags & MSG_OOB) === 0) return;
  if (s.type === SOCK_STREAM) sysError("EINVAL");
  if (s.family === AF_UNIX) sysError("EOPNOTSUPP");
}

/** recv(MSG_OOB) on TCP into `buf` (room `len`): the urgent byte, or 0 at the end of the
 *  stream; with no room, 0 and `truncated` (MSG_TRUNC). */
function receiveUrgent(t: Task, s: UnixSocket, buf: number, len: number, flags: number): { n: number; truncated: boolean } {
  const byte = s.receiveUrgent((flags & MSG_PEEK) !== 0);
  if (byte === null) return { n: 0, truncated: false };
  if (len === 0) return { n: 0, truncated: true };
  if ((flags & MSG_TRUNC) === 0) t.mem.write(buf, new Uint8Array([byte]));
  return { n: 1, truncated: false };
}

export const recvfrom: Sys = (t, fd, buf, len, flags, addrVa, lenVa) => {
  const s = sockOf(t, fd);
  if ((flags & MSG_ERRQUEUE) !== 0) sysError("EAGAIN");
  if ((flags & MSG_OOB) !== 0 && tcp(s)) {
    if (addrVa !== 0) t.mem.putU32(lenVa, 0);
    return receiveUrgent(t, s, buf, len >>> 0, flags).n;
  }
  noUrgentData(s, flags);
  const n = Math.min(len >>> 0, MAX_RW);
  t.mem.check(buf, n, true);
  if (addrVa !== 0) t.mem.check(lenVa, 4, true);
  const tmp = t.staging(n);
  const peek = (flags & MSG_PEEK) !== 0, nonblock = (flags & MSG_DONTWAIT) !== 0;
  const r = s.receive(tmp, peek, nonblock, t);
  dropAll(r.files);
  t.mem.write(buf, tmp.subarray(0, r.n));
  // (a sender without a name gives an address of length 0, as Linux's unix_copy_addr)
  const from = senderName(s, r.from);
  // (a negative address length is EINVAL once the data is taken, as move_addr_to_user finds it)
  if (addrVa !== 0 && t.mem.i32(lenVa) < 0) sysError("EINVAL");
  if (from !== null) putAddr(t, addrVa, lenVa, from, s.family);
  else if (addrVa !== 0) t.mem.putU32(lenVa, 0);
  if ((flags & MSG_WAITALL) !== 0 && s.type === SOCK_STREAM && !peek && !nonblock && !s.mode.nonblock && r.n > 0 && r.n < n) {
    return recvRest(t, s, buf, n, r.n);
  }
  return (flags & MSG_TRUNC) !== 0 && s.messages ? r.whole : r.n;
};

/** The rest of a MSG_WAITALL receive on a stream: waits until `len` bytes are in (from `got`),
 *  the peer ends the stream, an error comes after some bytes, or a signal (which returns the
 *  count so far). */
const recvRest = resumable("posix/socket.recvRest", function recvRest(t: Task, s: UnixSocket, buf: number, len: number, got: number): number {
  while (got < len) {
    const tmp = t.staging(len - got);
    let r;
    try {
      r = s.receive(tmp, false, false, t);
    } catch (e) {
      // (under SO_RCVTIMEO the wait keeps its deadline, and a timeout returns what came)
      if (e instanceof WouldBlock) throw new WouldBlock(e.queues, e.deadline, e.restart, laterFn(recvRest, t, s, buf, len, got), laterFn(partialCount, got));
      if (e instanceof SysError) return got;
      throw e;
    }
    dropAll(r.files);
    if (r.n === 0) break;
    t.mem.write(buf + got, tmp.subarray(0, r.n));
    got += r.n;
  }
  return got;
});

/** The address a receive reports for `from`: none for TCP (Linux leaves it empty); a UDP
 *  sender bound to an unspecified address sent from the loopback (an IPv4 sender reads as
 *  v4-mapped on an IPv6 socket). */
function senderName(s: UnixSocket, from: UnixSocket | null): Uint8Array | null {
  // (a netlink socket hears only the kernel)
  if (s.family === AF_NETLINK) return NL_KERNEL;
  if (from === null || from.name === null) return null;
  if (!s.inet) return from.name;
  if (s.type === SOCK_STREAM) return null;
  return encodeName(localAddr(decodeName(from.name)), s.family);
}

export const recv: Sys = (t, fd, buf, len, flags) => recvfrom(t, fd, buf, len, flags, 0, 0);

/** struct msghdr (i386): name, namelen, iov, iovlen, control, controllen, flags. */
interface MsgHdr {
  name: number;
  namelen: number;
  iov: [number, number][];
  control: number;
  controllen: number;
}

function readMsg(t: Task, va: number): MsgHdr {
  const w = (k: number): number => t.mem.u32(va + 4 * k) >>> 0;
  // (a negative msg_namelen with a name is EINVAL, as Linux's copy of the header finds it;
  // without a name the length is taken as 0)
  if (w(0) !== 0 && (w(1) | 0) < 0) sysError("EINVAL");
  const iovlen = w(3);
  if (iovlen > 1024) sysError("EMSGSIZE");
  const iov: [number, number][] = [];
  let total = 0;
  for (let k = 0; k < iovlen; k++) {
    const base = t.mem.u32(w(2) + 8 * k) >>> 0, len = t.mem.u32(w(2) + 8 * k + 4) >>> 0;
    total += len;
    if (len > MAX_RW || total > MAX_RW) sysError("EINVAL");
    iov.push([base, len]);
  }
  return { name: w(0), namelen: w(1), iov, control: w(4), controllen: w(5) };
}

export const sendmsg: Sys = (t, fd, msgVa, flags) => {
  const s = sockOf(t, fd);
  const m = readMsg(t, msgVa);
  const gather = (): Uint8Array => {
    const data = new Uint8Array(m.iov.reduce((n, [, len]) => n + len, 0));
    let at = 0;
    for (const [base, len] of m.iov) {
      data.set(t.mem.read(base, len), at);
      at += len;
    }
    return data;
  };
  if (s.family === AF_NETLINK) return sendNetlink(t, s, gather(), m.namelen === 0 ? 0 : m.name, m.namelen);
  const d = destinationOf(t, s, m.namelen === 0 ? 0 : m.name, m.namelen);
  const data = gather();
  if (s.inet) {
    const sent = readIpControl(t, s, d.addr, m.control, m.controllen);
    return sendTo(t, s, d, data, flags, credsOf(t), null, d.addr === null ? null : ipHeader(s, d.addr, sent));
  }
  // Control messages: descriptions to pass (each gets a reference of the message's own) and
  // credentials to claim.
  let creds = credsOf(t);
  const take: OpenFile[] = [];
  for (let off = 0; off + 12 <= m.controllen; ) {
    const len = t.mem.u32(m.control + off) >>> 0, level = t.mem.i32(m.control + off + 4), type = t.mem.i32(m.control + off + 8);
    if (len < 12 || off + len > m.controllen) sysError("EINVAL");
    if (level !== SOL_SOCKET) sysError("EINVAL");
    if (type === SCM_RIGHTS) {
      const n = (len - 12) >> 2;
      if (n + take.length > SCM_MAX_FD) sysError("EINVAL");
      for (let k = 0; k < n; k++) take.push(t.fds.get(t.mem.i32(m.control + off + 12 + 4 * k)));
    } else if (type === SCM_CREDENTIALS) {
      if (len < 24) sysError("EINVAL");
      const c = { pid: t.mem.i32(m.control + off + 12), uid: t.mem.u32(m.control + off + 16) >>> 0, gid: t.mem.u32(m.control + off + 20) >>> 0 };
      // (ids other than its own need CAP_SYS_ADMIN for the pid, CAP_SETUID for the user and
      // CAP_SETGID for the group, as Linux's scm_check_creds)
      const mine = credsOf(t), p = t.proc;
      if (c.pid !== mine.pid && !capable(p, CAP_SYS_ADMIN)) sysError("EPERM");
      if (c.uid !== mine.uid && c.uid !== p.uid && c.uid !== p.suid && !capable(p, CAP_SETUID)) sysError("EPERM");
      if (c.gid !== mine.gid && c.gid !== p.gid && c.gid !== p.sgid && !capable(p, CAP_SETGID)) sysError("EPERM");
      creds = c;
    } else {
      sysError("EINVAL");
    }
    off += (len + 3) & ~3;
  }
  for (const f of take) f.refs++;
  return sendTo(t, s, d, data, flags, creds, take.length > 0 ? take : null, null);
};

export const recvmsg: Sys = (t, fd, msgVa, flags) => {
  const s = sockOf(t, fd);
  // (the header is read and checked before the flags are looked at)
  const m = readMsg(t, msgVa);
  if ((flags & MSG_ERRQUEUE) !== 0) sysError("EAGAIN");
  if ((flags & MSG_OOB) !== 0 && tcp(s)) {
    const first = m.iov.find(([, len]) => len > 0);
    const r = receiveUrgent(t, s, first?.[0] ?? 0, first?.[1] ?? 0, flags);
    t.mem.putU32(msgVa + 4, 0);
    t.mem.putU32(msgVa + 20, 0);
    t.mem.putU32(msgVa + 24, MSG_OOB | (r.truncated ? MSG_TRUNC : 0));
    return r.n;
  }
  noUrgentData(s, flags);
  const total = m.iov.reduce((n, [, len]) => n + len, 0);
  for (const [base, len] of m.iov) t.mem.check(base, len, true);
  t.mem.check(msgVa, 28, true);
  const tmp = t.staging(total);
  const r = s.receive(tmp, (flags & MSG_PEEK) !== 0, (flags & MSG_DONTWAIT) !== 0, t);
  let at = 0;
  for (const [base, len] of m.iov) {
    if (at >= r.n) break;
    const k = Math.min(len, r.n - at);
    t.mem.write(base, tmp.subarray(at, at + k));
    at += k;
  }
  let outFlags = s.messages && r.whole > r.n ? MSG_TRUNC : 0;
  // The sender's address.
  const from = senderName(s, r.from);
  if (m.name !== 0 && m.namelen > 0 && from !== null) {
    const full = sockaddr(from, s.family);
    t.mem.write(m.name, full.subarray(0, Math.min(m.namelen, full.length)));
    t.mem.putU32(msgVa + 4, full.length);
  } else {
    t.mem.putU32(msgVa + 4, 0);
  }
  // Control messages: an IP datagram's header as asked for, credentials (SO_PASSCRED), then
  // the descriptions passed. Each is written as Linux's put_cmsg does: one the room left cuts
  // short is written as far as it fits, with that length, and says MSG_CTRUNC.
  let used = 0;
  const put = ([level, type, data]: Cmsg): void => {
    const room = m.controllen - used;
    if (m.control === 0 || room < 12) {
      outFlags |= MSG_CTRUNC;
      return;
    }
    let len = 12 + data.length;
    if (room < len) {
      outFlags |= MSG_CTRUNC;
      len = room;
    }
    const b = new Uint8Array(len);
    const h = new DataView(b.buffer);
    h.setUint32(0, len, true);
    h.setInt32(4, level, true);
    h.setInt32(8, type, true);
    b.set(data.subarray(0, len - 12), 12);
    t.mem.write(m.control + used, b);
    used += Math.min(12 + ((data.length + 3) & ~3), room);
  };
  const words = (w: number[]): Uint8Array => new Uint8Array(new Int32Array(w).buffer);
  if (s.inet && r.ip !== null) ipCmsgs(s, r.ip).forEach(put);
  if (s.passCred && r.creds !== null) put([SOL_SOCKET, SCM_CREDENTIALS, words([r.creds.pid, r.creds.uid, r.creds.gid])]);
  if (r.files !== null) {
    const room = Math.max(0, Math.floor((m.controllen - used - 12) / 4));
    const fds: number[] = [];
    r.files.forEach((f, k) => {
      if (k < room) {
        // (the message's reference becomes the new descriptor's)
        fds.push(t.fds.add(f, (flags & MSG_CMSG_CLOEXEC) !== 0));
      } else {
        f.drop();
      }
    });
    if (fds.length < r.files.length) outFlags |= MSG_CTRUNC;
    if (fds.length > 0) put([SOL_SOCKET, SCM_RIGHTS, words(fds)]);
  }
  t.mem.putU32(msgVa + 20, used);
  t.mem.putU32(msgVa + 24, outFlags);
  return (flags & MSG_TRUNC) !== 0 && s.messages ? r.whole : r.n;
};

/** sendmmsg from message `k` on: each as sendmsg sends it, its length written beside it. An
 *  error after the first message ends the call with the count sent; a wait after it goes on
 *  as a later call (a signal then returns the count). */
const sendmmsgFrom = resumable("posix/socket.sendmmsgFrom", function sendmmsgFrom(t: Task, fd: number, vec: number, vlen: number, flags: number, k: number): number {
  for (; k < vlen; k++) {
    let n: number;
    try {
      n = sendmsg(t, fd, vec + MMSG * k, flags, 0, 0, 0);
    } catch (e) {
      if (k === 0) throw e;
      if (e instanceof WouldBlock) {
        throw new WouldBlock(e.queues, null, RESTART_IF_SA, laterFn(sendmmsgRest, t, fd, vec, vlen, flags, k, e.retry), laterFn(partialCount, k));
      }
      return k;
    }
    t.mem.putU32(vec + MMSG * k + 28, n);
  }
  return k;
});

/** After a wait in message `k` of a sendmmsg: the rest of that message (`retry`, when part of
 *  a stream message went before the wait; else the message again), then the messages after. */
const sendmmsgRest = resumable("posix/socket.sendmmsgRest", function sendmmsgRest(t: Task, fd: number, vec: number, vlen: number, flags: number, k: number, retry: (() => number) | null): number {
  if (retry === null) return sendmmsgFrom(t, fd, vec, vlen, flags, k);
  let n: number;
  try {
    n = retry();
  } catch (e) {
    if (e instanceof WouldBlock) throw new WouldBlock(e.queues, null, RESTART_IF_SA, laterFn(sendmmsgRest, t, fd, vec, vlen, flags, k, e.retry), laterFn(partialCount, k));
    return k;
  }
  t.mem.putU32(vec + MMSG * k + 28, n);
  return sendmmsgFrom(t, fd, vec, vlen, flags, k + 1);
});

export const sendmmsg: Sys = (t, fd, vec, vlen, flags) => {
  sockOf(t, fd);
  return sendmmsgFrom(t, fd, vec, Math.min(vlen >>> 0, MAX_MMSG), flags, 0);
};

/** recvmmsg from message `k` on: the first waits as recvmsg does; the others wait too, unless
 *  MSG_WAITFORONE, until `deadline` (clock ns), checked after each message as Linux does. */
const recvmmsgFrom = resumable("posix/socket.recvmmsgFrom", function recvmmsgFrom(t: Task, fd: number, vec: number, vlen: number, flags: number, deadline: number | null, k: number): number {
  for (; k < vlen; k++) {
    if (k > 0 && deadline !== null && t.kernel.clock.now() >= deadline) return k;
    const f = (flags & ~MSG_WAITFORONE) | (k > 0 && (flags & MSG_WAITFORONE) !== 0 ? MSG_DONTWAIT : 0);
    let n: number;
    try {
      n = recvmsg(t, fd, vec + MMSG * k, f, 0, 0, 0);
    } catch (e) {
      if (k === 0) throw e;
      if (e instanceof WouldBlock) throw new WouldBlock(e.queues, deadline, RESTART_IF_SA, laterFn(recvmmsgFrom, t, fd, vec, vlen, flags, deadline, k), laterFn(partialCount, k));
      return k;
    }
    t.mem.putU32(vec + MMSG * k + 28, n);
  }
  return k;
});

function recvmmsgImpl(t: Task, fd: number, vec: number, vlen: number, flags: number, timeout: number, wide: boolean): number {
  sockOf(t, fd);
  const deadline = timeout === 0 ? null : t.kernel.clock.now() + Number(readTimespec(t, timeout, wide));
  return recvmmsgFrom(t, fd, vec, Math.min(vlen >>> 0, MAX_MMSG), flags, deadline, 0);
}

export const recvmmsg: Sys = (t, fd, vec, vlen, flags, timeout) => recvmmsgImpl(t, fd, vec, vlen, flags, timeout, false);
export const recvmmsgTime64: Sys = (t, fd, vec, vlen, flags, timeout) => recvmmsgImpl(t, fd, vec, vlen, flags, timeout, true);

export const getsockopt: Sys = (t, fd, level, opt, valVa, lenVa) => {
  const s = sockOf(t, fd);
  const room = t.mem.i32(lenVa);
  if (room < 0) sysError("EINVAL");
  let words: number[];
  if (s.inet && level === IPPROTO_TCP && s.type === SOCK_STREAM && (opt === TCP_INFO || opt === TCP_CONGESTION)) {
    // (structures and names, copied as far as the room given goes)
    const bytes = opt === TCP_INFO ? tcpInfo(s) : new Uint8Array(TCP_CA_NAME_MAX);
    if (opt === TCP_CONGESTION) bytes.set(Buffer.from(s.congestion, "latin1"));
    const n = Math.min(room, bytes.length);
    t.mem.write(valVa, bytes.subarray(0, n));
    t.mem.putU32(lenVa, n);
    return 0;
  }
  if (s.inet && level !== SOL_SOCKET) {
    words = [getInetOption(s, level, opt)];
  } else if (s.family === AF_NETLINK && level === SOL_NETLINK) {
    if (!NETLINK_OPTIONS.has(opt)) sysError("ENOPROTOOPT");
    words = [s.plainOptions.get(SOL_NETLINK_KEY + opt) ?? 0];
  } else if (level === SOL_SOCKET && TIMEOUTS.has(opt)) {
    const ns = opt === SO_RCVTIMEO_OLD || opt === SO_RCVTIMEO_NEW ? s.rcvTimeoNs : s.sndTimeoNs;
    const sec = Math.floor(ns / 1e9), usec = Math.floor((ns % 1e9) / 1000);
    words = opt === SO_RCVTIMEO_NEW || opt === SO_SNDTIMEO_NEW ? [sec, 0, usec, 0] : [sec, usec];
  } else {
    if (level !== SOL_SOCKET) sysError("EOPNOTSUPP");
    words = solSocketOption(s, opt);
  }
  const bytes = new Uint8Array(new Int32Array(words).buffer);
  t.mem.write(valVa, bytes.subarray(0, Math.min(room, bytes.length)));
  t.mem.putU32(lenVa, Math.min(room, bytes.length));
  return 0;
};

/** The value of SOL_SOCKET option `opt`, as words. */
function solSocketOption(s: UnixSocket, opt: number): number[] {
  const inet = s.inet;
  let words: number[];
  switch (opt) {
    case SO_TYPE: words = [s.type]; break;
    case SO_ERROR: {
      words = [s.softError === null ? 0 : ERRNO[s.softError]];
      s.softError = null;
      break;
    }
    case SO_DOMAIN: words = [s.family]; break;
    case SO_PROTOCOL: words = [inet ? s.protocol || (s.type === SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP) : 0]; break;
    case SO_ACCEPTCONN: words = [s.listening ? 1 : 0]; break;
    case SO_SNDBUF: words = [s.sndBuf]; break;
    case SO_RCVBUF: words = [s.rcvBuf]; break;
    case SO_PASSCRED: words = [s.passCred ? 1 : 0]; break;
    case SO_REUSEADDR: words = [s.reuseAddr ? 1 : 0]; break;
    case SO_KEEPALIVE: words = [s.keepAlive ? 1 : 0]; break;
    case SO_BROADCAST: words = [s.broadcast ? 1 : 0]; break;
    case SO_OOBINLINE: words = [s.oobInline ? 1 : 0]; break;
    case SO_PEERCRED: {
      // (a TCP socket's peer has no credentials: Linux gives pid 0 and ids -1)
      const c = !inet && s.peer !== null && s.connected && s.type !== SOCK_DGRAM ? s.peer.creds : null;
      words = c === null ? [0, -1, -1] : [c.pid, c.uid, c.gid];
      break;
    }
    case SO_LINGER: words = [s.plainOptions.get(SO_LINGER) ?? 0, s.plainOptions.get(-SO_LINGER) ?? 0]; break;
    default:
      if (PLAIN_FLAGS.has(opt)) words = [s.plainOptions.get(opt) ?? 0];
      else if (PLAIN_NUMBERS.has(opt)) words = [s.plainOptions.get(opt) ?? PLAIN_NUMBERS.get(opt) ?? 0];
      else return sysError("ENOPROTOOPT");
  }
  return words;
}

export const setsockopt: Sys = (t, fd, level, opt, valVa, len) => {
  const s = sockOf(t, fd);
  if (s.inet && level === IPPROTO_TCP && s.type === SOCK_STREAM && opt === TCP_CONGESTION) {
    if (len < 1) sysError("EINVAL");
    const name = t.mem.read(valVa, Math.min(len, TCP_CA_NAME_MAX - 1));
    const nul = name.indexOf(0);
    setCongestion(s, Buffer.from(nul < 0 ? name : name.subarray(0, nul)).toString("latin1"));
    return 0;
  }
  if (len < 4) sysError("EINVAL");
  if (s.inet && level === SOL_UDP && s.type === SOCK_DGRAM && s.protocol !== IPPROTO_UDPLITE && opt === UDP_CORK) {
    // (taking the cork out sends the datagram built so far)
    s.udpCork = t.mem.i32(valVa) !== 0;
    if (!s.udpCork) sendPendingDatagram(t, s);
    return 0;
  }
  const v = t.mem.i32(valVa);
  if (s.inet && level !== SOL_SOCKET) {
    setInetOption(s, level, opt, v);
    return 0;
  }
  if (s.family === AF_NETLINK && level === SOL_NETLINK) {
    // (flags kept and read back; group memberships too, though no group has events here)
    if (!NETLINK_OPTIONS.has(opt)) sysError("ENOPROTOOPT");
    s.plainOptions.set(SOL_NETLINK_KEY + opt, v !== 0 ? 1 : 0);
    return 0;
  }
  if (level !== SOL_SOCKET) sysError("EOPNOTSUPP");
  if (TIMEOUTS.has(opt)) {
    const wide = opt === SO_RCVTIMEO_NEW || opt === SO_SNDTIMEO_NEW;
    if (len < (wide ? 16 : 8)) sysError("EINVAL");
    const sec = wide ? t.mem.i64(valVa) : t.mem.i32(valVa), usec = wide ? t.mem.i64(valVa + 8) : t.mem.i32(valVa + 4);
    if (usec < 0 || usec >= 1000000) sysError("EDOM");
    // (0 waits without end; a negative time, which Linux takes as no wait, is the shortest)
    const ns = sec < 0 ? 1 : sec * 1e9 + usec * 1000;
    if (opt === SO_RCVTIMEO_OLD || opt === SO_RCVTIMEO_NEW) s.rcvTimeoNs = ns;
    else s.sndTimeoNs = ns;
    return 0;
  }
  switch (opt) {
    case SO_PASSCRED: s.passCred = v !== 0; return 0;
    // (Linux doubles the size it is given, for its bookkeeping; the queues here stay SOCK_BUF)
    case SO_SNDBUF: case SO_SNDBUFFORCE: s.sndBuf = Math.max(4608, Math.min(v, SOCK_BUF) * 2); return 0;
    case SO_RCVBUF: case SO_RCVBUFFORCE: s.rcvBuf = Math.max(2304, Math.min(v, SOCK_BUF) * 2); return 0;
    // (no meaning here: loopback sockets have no TIME_WAIT, keepalives or broadcasts)
    case SO_REUSEADDR: s.reuseAddr = v !== 0; return 0;
    case SO_KEEPALIVE: s.keepAlive = v !== 0; return 0;
    case SO_BROADCAST: s.broadcast = v !== 0; return 0;
    // (TCP's urgent byte stays in the stream)
    case SO_OOBINLINE: s.oobInline = v !== 0; return 0;
    case SO_LINGER: {
      if (len < 8) sysError("EINVAL");
      s.plainOptions.set(SO_LINGER, v !== 0 ? 1 : 0);
      s.plainOptions.set(-SO_LINGER, t.mem.i32(valVa + 4));
      return 0;
    }
    // (a negative low-water mark is the largest: Linux's sock_setsockopt)
    case SO_RCVLOWAT: s.plainOptions.set(opt, v < 0 ? 0x7fffffff : v === 0 ? 1 : v); return 0;
    // (priorities above 6 need CAP_NET_ADMIN)
    case SO_PRIORITY: if ((v < 0 || v > 6) && !capable(t.proc, CAP_NET_ADMIN)) sysError("EPERM"); s.plainOptions.set(opt, v); return 0;
    default:
      if (PLAIN_FLAGS.has(opt)) s.plainOptions.set(opt, v !== 0 ? 1 : 0);
      else if (PLAIN_NUMBERS.has(opt)) s.plainOptions.set(opt, v);
      else return sysError("ENOPROTOOPT");
      return 0;
  }
};

/** socketcall's calls by number, with how many arguments each reads from the guest's array. */
const SOCKETCALLS: [Sys | null, number][] = [
  [null, 0], [socket, 3], [bind, 3], [connect, 3], [listen, 2], [accept, 3], [getsockname, 3], [getpeername, 3],
  [socketpair, 4], [send, 4], [recv, 4], [sendto, 6], [recvfrom, 6], [shutdown, 2], [setsockopt, 5],
  [getsockopt, 5], [sendmsg, 3], [recvmsg, 3], [accept4, 4],
  [recvmmsg, 5], [sendmmsg, 4],
];

/** socketcall(call, args): i386's one entry for the socket calls, their arguments in an array. */
export const socketcall: Sys = (t, call, argsVa) => {
  if (call < 1 || call >= SOCKETCALLS.length) sysError("EINVAL");
  const [fn, n] = SOCKETCALLS[call];
  if (fn === null) sysError("EINVAL");
  const a = [0, 0, 0, 0, 0, 0];
  for (let k = 0; k < n; k++) a[k] = t.mem.i32(argsVa + 4 * k);
  return fn(t, a[0], a[1], a[2], a[3], a[4], a[5]);
};
