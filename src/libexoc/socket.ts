// Unix domain sockets (AF_UNIX), as Linux has them (net/unix/af_unix.c): stream, datagram and
// sequenced-packet sockets; socketpair; names in the file system (a socket node made by bind,
// found again through its file identity) and in the abstract namespace (a leading NUL byte);
// listen, connect and accept; shutdown of either direction; file descriptors (SCM_RIGHTS) and
// credentials (SCM_CREDENTIALS) carried with the data.
//
// Each socket receives into a queue of its own (SockQueue). A stream socket's queue is bytes,
// read across what the writer sent in pieces; a datagram or sequenced-packet socket's queue is
// messages, each read whole (the rest of a message longer than the reader's buffer is lost, as
// MSG_TRUNC says). A write goes into the peer's queue: the sender's room is what the receiver
// has left, as in Linux, where a unix socket's sender is charged for what waits in its peer.

import { WaitQueue } from "../exokernel/wait.js";
import { WouldBlock, EINTR_ON_HANDLER, later } from "./blocking.js";
import type { Task } from "./task.js";
import type { System } from "./system.js";
import type { Timer } from "../exokernel/clock.js";
import { sysError, SysError, type ErrnoName } from "./errors.js";
import { OpenFile, S_IFSOCK, POLLIN, POLLRDNORM, POLLOUT, POLLWRNORM, POLLHUP, POLLERR, POLLRDHUP, POLLPRI, type FileStat } from "./file.js";

export const SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_SEQPACKET = 5;
/** What a socket's receive queue holds at most (Linux's default net.core.rmem_default). */
export const SOCK_BUF = 212992;
/** Datagrams a receive queue holds at most (Linux's net.unix.max_dgram_qlen). */
export const MAX_DGRAM_QLEN = 512;
/** Most descriptors one message carries (Linux's SCM_MAX_FD). */
export const SCM_MAX_FD = 253;

/** AF_INET and AF_INET6, the families of exojit's loopback IPv4 and IPv6 sockets
 *  (posix/sys/inet.ts). */
export const AF_INET = 2, AF_INET6 = 10;

let nextSocketIno = 1n;

/** Who sent a message: the process and the ids it ran with (SO_PEERCRED, SCM_CREDENTIALS). */
export interface Creds {
  pid: number;
  uid: number;
  gid: number;
}

/** What an IP datagram's header said that its receiver may ask for (IP_RECVTTL,
 *  IPV6_RECVHOPLIMIT, IPV6_RECVPKTINFO and the like, posix/sys/inetopt.ts): its hop limit (IPv4's
 *  TTL), traffic class (IPv4's TOS) and the address it was sent to (16 bytes, IPv4 v4-mapped). */
export interface IpHeader {
  hops: number;
  tclass: number;
  dst: Uint8Array;
}

/** What one write put in a queue: its bytes (data[off..]), who sent them, the descriptions it
 *  carried (held, with a reference each, until read or dropped), and an IP datagram's header. */
export interface SockChunk {
  data: Uint8Array;
  off: number;
  from: UnixSocket | null;
  creds: Creds;
  files: OpenFile[] | null;
  ip: IpHeader | null;
}

/** Drops the references a message held to the descriptions it carried (none: null). */
export function dropAll(files: OpenFile[] | null): void {
  if (files !== null) for (const f of files) f.drop();
}

/** A socket's receive queue. */
/** TCP's segment size on the loopback (its 65,536-byte MTU less the IP and TCP headers and
 *  the timestamp option): a held-back send goes once it fills one. */
export const TCP_LO_MSS = 65483;
/** How long TCP_CORK or MSG_MORE holds bytes back at most (Linux's 200 ms ceiling). */
const CORK_CEILING_NS = 200_000_000;

export class SockQueue {
  readonly chunks: SockChunk[] = [];
  /** Bytes queued, and ever queued and taken (a stream's positions: TCP's urgent mark). */
  bytes = 0;
  pushed = 0;
  taken = 0;
  /** The owner will read no more (closed, or shut down for reading): writers get EPIPE. */
  readClosed = false;
  /** Nothing more will come (the peer closed, or shut down for writing): reads end at EOF. */
  writeClosed = false;
  /** Notified when data arrives or the writers go. */
  readonly readable = new WaitQueue();
  /** Notified when room frees up or the reader goes. */
  readonly writable = new WaitQueue();

  /** Room for more bytes, in a queue that holds `cap`: a stream takes part of a write; a
   *  message needs room for all of it (and a free slot). */
  room(messages: boolean, cap = SOCK_BUF): number {
    if (messages && this.chunks.length >= MAX_DGRAM_QLEN) return 0;
    // (an empty queue takes any one message up to the buffer's size)
    return Math.max(0, cap - this.bytes);
  }

  push(c: SockChunk): void {
    this.chunks.push(c);
    this.bytes += c.data.length - c.off;
    this.pushed += c.data.length - c.off;
    this.readable.notify();
  }

  /** Drops everything queued (the descriptions carried lose their reference). */
  clear(): void {
    for (const c of this.chunks) dropAll(c.files);
    this.chunks.length = 0;
    this.taken += this.bytes;
    this.bytes = 0;
    this.writable.notify();
  }
}

/** What one receive got: bytes copied, the message's whole length (datagrams), its sender,
 *  its credentials and the descriptions it carried (the caller installs or drops them). */
export interface Received {
  n: number;
  whole: number;
  from: UnixSocket | null;
  creds: Creds | null;
  files: OpenFile[] | null;
  ip: IpHeader | null;
}

/** Bound names → sockets: file-system names by their file's identity, abstract ones by "@"
 *  and their bytes. */
export class SocketNames {
  private readonly byKey = new Map<string, UnixSocket>();

  get(key: string): UnixSocket | undefined {
    return this.byKey.get(key);
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  set(key: string, s: UnixSocket): void {
    this.byKey.set(key, s);
  }

  /** `s` no longer answers to `key` (it closed). */
  forget(key: string, s: UnixSocket): void {
    if (this.byKey.get(key) === s) this.byKey.delete(key);
  }
}

const STATES = { unconnected: 0, listening: 1, connected: 2 } as const;

export class UnixSocket extends OpenFile {
  state: number = STATES.unconnected;
  /** The address bound, as sockaddr_un's sun_path bytes (a leading 0 for an abstract name),
   *  or null. */
  name: Uint8Array | null = null;
  /** Its keys in `names` while bound (an IPv6 socket bound to :: answers for IPv4 too). */
  keys: readonly string[] = [];
  /** An IP socket's address as bind() was given it (its port may be 0); null when the system
   *  bound it. A UDP disconnect goes back to it (posix/sys/socket.ts). */
  boundAs: Uint8Array | null = null;
  names: SocketNames | null = null;
  /** The connected peer (a datagram socket's default destination). */
  peer: UnixSocket | null = null;
  readonly rx = new SockQueue();
  /** This side shut down for writing. */
  shutWrite = false;
  /** A listener's connections not yet accepted, and its backlog. */
  readonly pending: UnixSocket[] = [];
  backlog = 0;
  /** Notified when a connection arrives at a listener, or one waiting for room gets in. */
  readonly incoming = new WaitQueue();
  /** Who made it (socket, socketpair) or connected it: what its peer's SO_PEERCRED reads. */
  creds: Creds;
  /** SO_PASSCRED: received messages carry their sender's credentials. */
  passCred = false;
  /** SO_RCVTIMEO and SO_SNDTIMEO, in ns (0: wait without end). */
  rcvTimeoNs = 0;
  sndTimeoNs = 0;
  /** When the waits of calls under those timeouts end, by the waiting thread: set at a call's
   *  first wait, dropped when the call ends (it runs again from the start after each wait). */
  private readonly deadlines = new Map<Task, number>();
  /** SO_SNDBUF and SO_RCVBUF as set (Linux doubles what it is given). */
  sndBuf = SOCK_BUF;
  rcvBuf = SOCK_BUF;
  readonly ino: bigint;
  readonly created = BigInt(Date.now()) * 1000000n;

  /** An IP datagram socket's connected destination (its sockaddr after the family), looked
   *  up at each send: UDP connects to an address, whether or not a socket is bound there. */
  peerName: Uint8Array | null = null;
  /** An error reported by the next receive (or SO_ERROR, or poll's POLLERR): what an ICMP
   *  "port unreachable" leaves on a connected UDP socket that sent to a port nobody has. */
  softError: ErrnoName | null = null;
  /** The protocol asked for when it is not the family's default for the type (IPPROTO_UDPLITE),
   *  else 0. */
  protocol = 0;
  /** The TCP connection was reset: by the peer's close with data unread, or in answer to a send
   *  after its FIN (that send was taken). Sends fail with EPIPE, after the reset's error. */
  peerReset = false;
  /** TCP urgent data here (a send with MSG_OOB made the last byte it sent urgent): the urgent
   *  byte's position in the stream, its value, and whether recv(MSG_OOB) took it; null: none,
   *  or the reader went past it. */
  urgent: { at: number; byte: number; read: boolean } | null = null;
  /** SO_OOBINLINE: the urgent byte stays in the stream (else reads step over it). */
  oobInline = false;
  /** A non-blocking TCP connect returned EINPROGRESS and no connect has asked since. */
  connectInProgress = false;
  /** TCP_NODELAY, SO_REUSEADDR, SO_KEEPALIVE, SO_BROADCAST as set (nothing here depends on them). */
  noDelay = false;
  /** TCP_CORK, and UDP_CORK. */
  cork = false;
  /** The other IPPROTO_TCP options as set (posix/sys/tcpopt.ts), and TCP_CONGESTION. */
  readonly tcpOptions = new Map<number, number>();
  congestion = "cubic";
  udpCork = false;
  /** UDP: the datagram being built from sends with MSG_MORE or under UDP_CORK (posix/sys/
   *  socket.ts keeps its parts and destination). */
  pendingDatagram: object | null = null;
  /** TCP: bytes sent with MSG_MORE or under TCP_CORK, held back from the peer (Linux keeps
   *  them unsent in its queue) until a send lets them go, the cork comes out, a full segment
   *  gathers, the connection is shut down or closed, or 200 ms pass (Linux's ceiling). */
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  private heldTimer: { sys: System; timer: Timer } | null = null;
  reuseAddr = false;
  keepAlive = false;
  broadcast = false;
  /** SOL_SOCKET options kept as set and read back, without effect here (posix/sys/socket.ts
   *  PLAIN_OPTIONS), by option number; SO_LINGER's seconds under -SO_LINGER. */
  readonly plainOptions = new Map<number, number>();
  /** IPPROTO_IP options as set (posix/sys/inetopt.ts), and UDP-Lite's under their negated
   *  numbers. */
  readonly ipOptions = new Map<number, number>();
  /** IPPROTO_IPV6 options as set (IPV6_V6ONLY among them). */
  readonly ip6Options = new Map<number, number>();

  constructor(
    readonly type: number,
    creds: Creds,
    nonblock: boolean,
    /** AF_UNIX, or AF_INET or AF_INET6 for the loopback sockets (posix/sys/inet.ts). */
    readonly family = 1,
  ) {
    // (what /proc/PID/fd/N reads as)
    super(`socket:[${nextSocketIno}]`, { read: true, write: true, append: false, nonblock });
    this.ino = nextSocketIno++;
    this.creds = { ...creds };
  }

  /** An IPv4 or IPv6 socket: TCP or UDP semantics, not a unix socket's. */
  get inet(): boolean {
    return this.family === AF_INET || this.family === AF_INET6;
  }

  get messages(): boolean {
    return this.type !== SOCK_STREAM;
  }

  /** A message socket's read takes one message whole (the largest a queue takes). */
  override wholeReadMax(): number {
    return this.messages ? SOCK_BUF : 0;
  }

  get connected(): boolean {
    return this.state === STATES.connected;
  }

  get listening(): boolean {
    return this.state === STATES.listening;
  }

  /** Waits on `queues`, for at most `timeoutNs` of the call `who` is making (SO_RCVTIMEO,
   *  SO_SNDTIMEO): EAGAIN once that has passed. A signal ends a timed wait with EINTR, even
   *  under SA_RESTART, as Linux's socket calls with a timeout do. */
  private waitFor(queues: WaitQueue[], timeoutNs: number, who: Task | null): never {
    if (timeoutNs <= 0 || who === null) throw new WouldBlock(queues);
    const until = this.deadlineOf(who, timeoutNs);
    if (who.kernel.clock.now() >= until) {
      this.deadlines.delete(who);
      sysError("EAGAIN");
    }
    throw new WouldBlock(queues, until, EINTR_ON_HANDLER, null, later(this, "forgetWait", who, 0));
  }

  private deadlineOf(who: Task, timeoutNs: number): number {
    let until = this.deadlines.get(who);
    if (until === undefined) {
      until = who.kernel.clock.now() + timeoutNs;
      this.deadlines.set(who, until);
    }
    return until;
  }

  /** A signal ended `who`'s timed wait: the call ends (with `count` if it moved some bytes). */
  forgetWait(who: Task | null, count: number): number | null {
    if (who !== null) this.deadlines.delete(who);
    return count > 0 ? count : null;
  }

  /** Runs one call of `who`'s, forgetting its deadline when the call ends (not when it waits). */
  private call<T>(who: Task | null, f: () => T): T {
    try {
      const r = f();
      if (who !== null) this.deadlines.delete(who);
      return r;
    } catch (e) {
      if (who !== null && !(e instanceof WouldBlock)) this.deadlines.delete(who);
      throw e;
    }
  }

  /** A datagram socket's connect: its default destination is `peer` (a unix socket) or the
   *  address `peerName` (an IP one); both null disconnects it. */
  aimAt(peer: UnixSocket | null, peerName: Uint8Array | null): void {
    this.peer = peer;
    this.peerName = peerName;
    this.state = peer !== null || peerName !== null ? STATES.connected : STATES.unconnected;
  }

  /** Connects a pair of new sockets to each other (socketpair, and connect's two ends). */
  static join(a: UnixSocket, b: UnixSocket): void {
    a.peer = b;
    b.peer = a;
    a.state = b.state = STATES.connected;
  }

  /** Binds it to `name`, answering to each of `keys` in `names` (EADDRINUSE if any is taken). */
  bind(name: Uint8Array, keys: readonly string[], names: SocketNames): void {
    if (this.name !== null) sysError("EINVAL");
    if (keys.some((k) => names.has(k))) sysError("EADDRINUSE");
    this.name = name;
    this.keys = keys;
    this.names = names;
    for (const k of keys) names.set(k, this);
  }

  /** Gives up its name and keys (a UDP disconnect gives back a port the system chose). */
  unbind(): void {
    this.forgetKeys();
    this.name = null;
  }

  /** No longer answers to its keys. */
  private forgetKeys(): void {
    if (this.names !== null) for (const k of this.keys) this.names.forget(k, this);
    this.keys = [];
    this.names = null;
  }

  listen(backlog: number): void {
    if (this.type === SOCK_DGRAM) sysError("EOPNOTSUPP");
    if (this.connected) sysError("EINVAL");
    if (this.name === null) sysError("EINVAL");
    this.state = STATES.listening;
    // (Linux caps it by net.core.somaxconn, 4096, and a negative one means that)
    this.backlog = backlog < 0 || backlog > 4096 ? 4096 : backlog;
    this.incoming.notify();
  }

  /** connect() of a stream or sequenced-packet socket to the listener `to`: a new socket of the
   *  listener's joins this one and waits in its backlog for accept(). */
  connectTo(to: UnixSocket, creds: Creds, who: Task | null = null): void {
    this.call(who, () => this.connectNow(to, creds, who));
  }

  private connectNow(to: UnixSocket, creds: Creds, who: Task | null): void {
    if (this.connected) sysError("EISCONN");
    if (this.listening) sysError("EINVAL");
    if (!to.listening) sysError("ECONNREFUSED");
    // (Linux lets the queue hold one more than the backlog)
    if (to.pending.length > to.backlog) {
      if (this.mode.nonblock) sysError("EAGAIN");
      this.waitFor([to.incoming], this.sndTimeoNs, who);
    }
    const server = new UnixSocket(this.type, to.creds, false, to.family);
    server.name = to.name;
    if (to.inet) server.inheritOptions(to);
    this.creds = { ...creds };
    UnixSocket.join(this, server);
    to.pending.push(server);
    to.incoming.notify();
  }

  /** A TCP connection's socket starts with its listener's options, as Linux clones the
   *  listening socket for it (sk_clone_lock): buffer sizes, timeouts, flags, IP options. */
  private inheritOptions(l: UnixSocket): void {
    for (const [k, v] of l.tcpOptions) this.tcpOptions.set(k, v);
    this.congestion = l.congestion;
    this.rcvBuf = l.rcvBuf;
    this.sndBuf = l.sndBuf;
    this.rcvTimeoNs = l.rcvTimeoNs;
    this.sndTimeoNs = l.sndTimeoNs;
    this.noDelay = l.noDelay;
    this.reuseAddr = l.reuseAddr;
    this.keepAlive = l.keepAlive;
    this.broadcast = l.broadcast;
    this.oobInline = l.oobInline;
    for (const [from, to] of [[l.plainOptions, this.plainOptions], [l.ipOptions, this.ipOptions], [l.ip6Options, this.ip6Options]]) {
      for (const [k, v] of from) to.set(k, v);
    }
  }

  /** accept(): the next connection waiting at this listener. */
  accept(who: Task | null = null): UnixSocket {
    return this.call(who, () => {
      if (!this.listening) sysError("EINVAL");
      const s = this.pending.shift();
      if (s === undefined) {
        if (this.mode.nonblock) sysError("EAGAIN");
        this.waitFor([this.incoming], this.rcvTimeoNs, who);
      }
      this.incoming.notify();
      return s;
    });
  }

  /** Sends `data` (with `files`, each already holding a reference for the message) to `to`
   *  (null: the peer). A stream send waits until all of it is in, unless `nonblock`, and
   *  returns the bytes sent; a message goes whole or not at all. */
  send(data: Uint8Array, to: UnixSocket | null, creds: Creds, files: OpenFile[] | null, nonblock: boolean, who: Task | null = null, ip: IpHeader | null = null): number {
    return this.call(who, () => this.sendNow(data, to, creds, files, nonblock, who, ip));
  }

  private sendNow(data: Uint8Array, to: UnixSocket | null, creds: Creds, files: OpenFile[] | null, nonblock: boolean, who: Task | null, ip: IpHeader | null): number {
    // (a reset's error goes to the next send: ECONNRESET, or EPIPE after the peer's FIN; then
    // EPIPE below)
    if (this.peerReset && this.softError !== null) {
      const e = this.softError;
      this.softError = null;
      sysError(e);
    }
    // TCP: the peer's close reached this end as a FIN only. It learns that the peer is gone
    // from the reset its next data gets: that send is taken (and lost), later ones fail with
    // EPIPE (Linux's CLOSE_WAIT, then tcp_reset). A unix socket knows at once.
    if (this.inet && this.type === SOCK_STREAM && !this.peerReset && this.connected && !this.shutWrite && this.peer !== null && this.peer.rx.readClosed) {
      // (nothing sent, no reset)
      if (data.length > 0) {
        this.peerReset = true;
        this.softError = "EPIPE";
        this.rx.readable.notify();
      }
      dropAll(files);
      return data.length;
    }
    let q: SockQueue;
    try {
      q = this.destQueue(to);
      if (this.messages) {
        if (data.length > SOCK_BUF) sysError("EMSGSIZE");
        if (q.room(true) < data.length) {
          if (nonblock || this.mode.nonblock) sysError("EAGAIN");
          this.waitFor([q.writable], this.sndTimeoNs, who);
        }
      }
    } catch (e) {
      dropAll(files);
      throw e;
    }
    if (this.messages) {
      q.push({ data: data.slice(), off: 0, from: this, creds, files, ip });
      return data.length;
    }
    return this.streamFrom(q, data, 0, creds, files, nonblock, who);
  }

  /** The queue a send from this socket goes to (`to`: a datagram's destination, else the
   *  peer's), or the error that stops it. */
  private destQueue(to: UnixSocket | null): SockQueue {
    if (this.listening) sysError(this.messages ? "ENOTCONN" : "EINVAL");
    if (this.shutWrite) throw new SysError("EPIPE", "shut down for writing", 0);
    let dest: UnixSocket;
    if (to !== null && this.type === SOCK_DGRAM) {
      dest = to;
    } else {
      if (!this.connected || this.peer === null) {
        // (Linux's answers for a socket with nowhere to send: TCP EPIPE, with SIGPIPE; UDP
        // EDESTADDRREQ; unix sockets ENOTCONN)
        if (this.inet && this.type === SOCK_STREAM) throw new SysError("EPIPE", "not connected", 0);
        sysError(this.inet ? "EDESTADDRREQ" : "ENOTCONN");
      }
      dest = this.peer;
    }
    if (dest.rx.readClosed) {
      if (this.type === SOCK_DGRAM) sysError("ECONNREFUSED");
      throw new SysError("EPIPE", "peer gone", 0);
    }
    // A unix datagram socket connected to another takes datagrams from that one only (EPERM).
    if (this.type === SOCK_DGRAM && dest.peer !== null && dest.peer !== this) sysError("EPERM");
    return dest.rx;
  }

  /** Puts data[done..] into `q`, waiting for room as a blocking stream write does. The
   *  descriptions go with the first piece; a wait before it sends nothing, drops them and
   *  makes the call start again, which takes them again. */
  private streamFrom(q: SockQueue, data: Uint8Array, done: number, creds: Creds, files: OpenFile[] | null, nonblock: boolean, who: Task | null): number {
    for (;;) {
      if (done === data.length) return done;
      if (q.readClosed || this.shutWrite) {
        if (done === 0) dropAll(files);
        throw new SysError("EPIPE", q.readClosed ? "peer gone" : "shut down for writing", done);
      }
      const room = q.room(false, this.inFlight());
      if (room > 0) {
        const k = Math.min(room, data.length - done);
        q.push({ data: data.slice(done, done + k), off: 0, from: this, creds, files: done === 0 ? files : null, ip: null });
        done += k;
        continue;
      }
      if (done === 0) {
        dropAll(files);
        if (nonblock || this.mode.nonblock) sysError("EAGAIN");
        this.waitFor([q.writable], this.sndTimeoNs, who);
      }
      if (nonblock || this.mode.nonblock) return done;
      // (part of it went: the rest is a later call, which a timeout ends with the count)
      let until: number | null = null;
      if (this.sndTimeoNs > 0 && who !== null) {
        until = this.deadlineOf(who, this.sndTimeoNs);
        if (who.kernel.clock.now() >= until) return done;
      }
      throw new WouldBlock([q.writable], until, until === null ? undefined : EINTR_ON_HANDLER, later(this, "streamRest", q, data, done, creds, nonblock, who), later(this, "forgetWait", who, done));
    }
  }

  /** What a stream from this socket may have unread at its peer: a TCP connection holds what
   *  the receiver's SO_RCVBUF and the sender's SO_SNDBUF make room for (so small buffers make
   *  a sender wait, or a sendfile stop part way, as on Linux); a unix stream, the queue's size. */
  private inFlight(): number {
    const p = this.peer;
    if (!this.inet || this.type !== SOCK_STREAM || p === null) return SOCK_BUF;
    return Math.min(SOCK_BUF, p.rcvBuf + this.sndBuf);
  }

  /** The rest of a stream send that waited part way (the call's deadline is forgotten when it
   *  ends). */
  streamRest(q: SockQueue, data: Uint8Array, done: number, creds: Creds, nonblock: boolean, who: Task | null): number {
    return this.call(who, () => this.streamFrom(q, data, done, creds, null, nonblock, who));
  }

  /** Receives into `buf`: a stream gets what is there (across what was sent in pieces, up to
   *  the first piece that carries descriptions after the start); a message socket gets one
   *  message. `peek` leaves it queued. Waits while there is nothing (EOF: n 0). */
  receive(buf: Uint8Array, peek: boolean, nonblock: boolean, who: Task | null = null): Received {
    return this.call(who, () => this.receiveNow(buf, peek, nonblock, who));
  }

  private receiveNow(buf: Uint8Array, peek: boolean, nonblock: boolean, who: Task | null): Received {
    const q = this.rx;
    // A TCP read standing on the urgent byte steps over it (unless SO_OOBINLINE), and that
    // ends the urgent data even when nothing follows it yet (Linux's tcp_recvmsg); a peek looks
    // past it.
    const over = this.atUrgentByte() ? 1 : 0;
    if (over !== 0 && !peek) {
      this.consume(1);
      this.urgent = null;
    }
    const lead = peek ? over : 0;
    // (a reset after the peer's FIN leaves its EPIPE for SO_ERROR and sends: reads end at EOF;
    // a reset without one fails the next read, ECONNRESET)
    if (this.softError !== null && !(this.peerReset && this.softError === "EPIPE")) {
      const e = this.softError;
      this.softError = null;
      sysError(e);
    }
    if (this.listening) sysError("EINVAL");
    if (q.bytes === lead && (!this.messages || q.chunks.length === 0)) {
      // (a datagram socket has no end of file: its peer may close and another send)
      if (q.readClosed || (q.writeClosed && this.type !== SOCK_DGRAM)) return { n: 0, whole: 0, from: null, creds: null, files: null, ip: null };
      // (an AF_UNIX stream socket never connected is EINVAL, as Linux's
      // unix_stream_read_generic says; sequenced-packet and TCP sockets ENOTCONN)
      if (this.type !== SOCK_DGRAM && !this.connected) sysError(!this.inet && !this.messages ? "EINVAL" : "ENOTCONN");
      if (nonblock || this.mode.nonblock) sysError("EAGAIN");
      this.waitFor([q.readable], this.rcvTimeoNs, who);
    }
    const first = q.chunks[0];
    if (this.messages) {
      const len = first.data.length;
      const n = Math.min(len, buf.length);
      buf.set(first.data.subarray(0, n));
      if (!peek) {
        q.chunks.shift();
        q.bytes -= len;
        q.writable.notify();
      }
      return { n, whole: len, from: first.from, creds: first.creds, files: peek ? null : first.files, ip: first.ip };
    }
    // (a read stops before TCP's urgent byte)
    const u = this.urgent;
    const limit = u !== null && u.at > q.taken ? Math.min(buf.length, u.at - q.taken) : buf.length;
    let n = 0;
    let files: OpenFile[] | null = null;
    let k = 0;
    let skip = lead;
    while (n < limit && k < q.chunks.length) {
      const c = q.chunks[k];
      if (k > 0 && c.files !== null) break;
      const from = c.off + skip;
      skip = Math.max(0, skip - (c.data.length - c.off));
      const take = Math.max(0, Math.min(c.data.length - from, limit - n));
      buf.set(c.data.subarray(from, from + take), n);
      n += take;
      if (!peek) {
        if (c.files !== null) {
          files = c.files;
          c.files = null;
        }
        c.off += take;
        if (c.off === c.data.length) {
          q.chunks.shift();
          continue;
        }
      }
      k++;
    }
    if (!peek) {
      q.bytes -= n;
      q.taken += n;
      if (u !== null && q.taken > u.at) this.urgent = null;
      q.writable.notify();
    }
    return { n, whole: n, from: first.from, creds: first.creds, files, ip: null };
  }

  /** Takes `n` bytes from the front of the receive queue, unread. */
  private consume(n: number): void {
    const q = this.rx;
    while (n > 0 && q.chunks.length > 0) {
      const c = q.chunks[0];
      const k = Math.min(n, c.data.length - c.off);
      c.off += k;
      q.bytes -= k;
      q.taken += k;
      n -= k;
      if (c.off === c.data.length) q.chunks.shift();
    }
    q.writable.notify();
  }

  /** The next byte of the stream is TCP's urgent byte, and reads step over it. */
  private atUrgentByte(): boolean {
    const u = this.urgent;
    return u !== null && !this.oobInline && u.at === this.rx.taken && this.rx.pushed > u.at;
  }

  /** The read position is at TCP's urgent mark (SIOCATMARK). */
  get atMark(): boolean {
    return this.urgent !== null && this.urgent.at === this.rx.taken;
  }

  /** send(MSG_OOB) on a TCP connection: the last byte of `data`, sent next, is urgent at the
   *  peer. A new urgent byte replaces one not yet read (which stays in the stream, unless the
   *  peer's reader stands on it: Linux's tcp_check_urg), and the peer's owner gets SIGURG. */
  /** A datagram from the kernel (a netlink socket's answers and notifications): queued
   *  whatever room is left, as Linux queues rtnetlink's answers and mq_notify's cookies. */
  fromKernel(data: Uint8Array): void {
    this.rx.push({ data, off: 0, from: null, creds: { pid: 0, uid: 0, gid: 0 }, files: null, ip: null });
  }

  markUrgent(data: Uint8Array): void {
    const p = this.peer;
    if (!this.inet || this.type !== SOCK_STREAM || !this.connected || p === null || p.peer !== this || data.length === 0) return;
    const at = p.rx.pushed + data.length - 1;
    if (p.urgent !== null && at <= p.urgent.at) return;
    if (p.atUrgentByte()) p.consume(1);
    p.urgent = { at, byte: data[data.length - 1], read: false };
    p.fasync?.urgent();
    p.rx.readable.notify();
  }

  /** recv(MSG_OOB) on a TCP socket: the urgent byte (`peek` leaves it), or null at the end of
   *  the stream; EINVAL when there is none or it was taken (or SO_OOBINLINE), EAGAIN while it
   *  has not come (never a wait: Linux's tcp_recv_urg). */
  receiveUrgent(peek: boolean): number | null {
    const u = this.urgent;
    if (this.oobInline || u === null || u.read) sysError("EINVAL");
    if (this.rx.pushed > u.at) {
      if (!peek) u.read = true;
      return u.byte;
    }
    if (this.rx.readClosed || this.rx.writeClosed) return null;
    return sysError("EAGAIN");
  }

  /** Holds `data` back (a TCP send with MSG_MORE or under TCP_CORK), once the connection is
   *  known to take it (the errors a send would meet: EPIPE and the like). */
  hold(data: Uint8Array, sys: System): void {
    this.destQueue(null);
    if (data.length === 0) return;
    this.held.push(data.slice());
    this.heldBytes += data.length;
    if (this.heldBytes >= TCP_LO_MSS) this.flushHeld();
    else this.heldTimer ??= { sys, timer: sys.kernel.clocks.at(sys.clockCap, sys.kernel.clocks.now(sys.clockCap) + CORK_CEILING_NS, later(this, "flushHeld")) };
  }

  get holding(): boolean {
    return this.heldBytes > 0;
  }

  /** Lets the held bytes go to the peer, ahead of anything sent after them (Linux had taken
   *  them into its queue: they need no room). Lost if the connection went meanwhile. */
  flushHeld(): void {
    if (this.heldTimer !== null) {
      this.heldTimer.sys.kernel.clocks.cancel(this.heldTimer.sys.clockCap, this.heldTimer.timer);
      this.heldTimer = null;
    }
    if (this.heldBytes === 0) return;
    const data = new Uint8Array(this.heldBytes);
    let at = 0;
    for (const b of this.held) {
      data.set(b, at);
      at += b.length;
    }
    this.held = [];
    this.heldBytes = 0;
    const q = this.peer?.rx;
    if (q === undefined || q.readClosed || !this.connected) return;
    q.push({ data, off: 0, from: this, creds: this.creds, files: null, ip: null });
  }

  /** shutdown(): SHUT_RD (0), SHUT_WR (1) or both (2). */
  shutdown(how: number): void {
    if (how < 0 || how > 2) sysError("EINVAL");
    if (how !== 0) this.flushHeld();
    if (how !== 1) {
      this.rx.readClosed = true;
      this.rx.readable.notify();
      this.rx.writable.notify();
      if (this.peer !== null) this.peer.incoming.notify();
    }
    if (how !== 0) {
      this.shutWrite = true;
      // (a datagram peer is not told: it may still get datagrams from others)
      if (this.peer !== null && this.type !== SOCK_DGRAM) {
        this.peer.rx.writeClosed = true;
        this.peer.rx.readable.notify();
      }
    }
  }

  read(buf: Uint8Array): number {
    return this.receive(buf, false, false).n;
  }

  write(buf: Uint8Array): number {
    return this.send(buf, null, this.creds, null, false);
  }

  override readBy(who: Task, buf: Uint8Array): number {
    return this.receive(buf, false, false, who).n;
  }

  override writeBy(who: Task, buf: Uint8Array): number {
    return this.send(buf, null, this.creds, null, false, who);
  }

  stat(): FileStat {
    const t = this.created;
    return {
      dev: 0x8n, ino: this.ino, mode: S_IFSOCK | 0o777, nlink: 1, uid: this.creds.uid, gid: this.creds.gid, rdev: 0n,
      size: 0n, blksize: 4096, blocks: 0n, atimeNs: t, mtimeNs: t, ctimeNs: t,
    };
  }

  override poll(): number {
    if (this.listening) return this.pending.length > 0 ? POLLIN | POLLRDNORM : 0;
    const q = this.rx;
    let ev = this.softError !== null ? POLLERR : 0;
    const eof = q.readClosed || (q.writeClosed && this.type !== SOCK_DGRAM);
    // (TCP: an urgent byte that reads step over does not make the stream readable alone; one
    // not yet taken by recv(MSG_OOB) is POLLPRI)
    if (q.bytes > (this.atUrgentByte() ? 1 : 0) || (this.messages && q.chunks.length > 0) || eof) ev |= POLLIN | POLLRDNORM;
    const u = this.urgent;
    if (u !== null && !u.read && q.pushed > u.at) ev |= POLLPRI;
    if (eof) ev |= POLLRDHUP;
    if (eof && (this.shutWrite || this.peerReset)) ev |= POLLHUP;
    const peer = this.peer;
    if (peer === null || !this.connected) {
      if (this.type === SOCK_DGRAM) ev |= POLLOUT | POLLWRNORM;
      // A connection-mode socket neither connected nor listening is closed: it hangs up, and
      // a write fails at once (Linux's tcp_poll and unix_poll); one whose connect failed reads
      // its error too.
      else ev |= POLLOUT | POLLWRNORM | POLLHUP | (this.softError !== null ? POLLIN | POLLRDNORM : 0);
    } else if (this.shutWrite || peer.rx.readClosed || peer.rx.room(this.messages, this.inFlight()) > 0) {
      // (a write that would fail at once does not block either)
      ev |= POLLOUT | POLLWRNORM;
    }
    return ev;
  }

  override pollQueues(): WaitQueue[] {
    const qs = [this.rx.readable, this.incoming];
    if (this.peer !== null) qs.push(this.peer.rx.writable);
    return qs;
  }

  override pollable(): boolean {
    return true;
  }

  override available(): number {
    if (this.messages) return this.rx.chunks.length > 0 ? this.rx.chunks[0].data.length : 0;
    return this.rx.bytes;
  }

  override release(): void {
    this.flushHeld();
    // (its name stays: datagrams it sent still name their sender)
    this.forgetKeys();
    // (TCP closes a connection with data not read by a reset, not a FIN: Linux's tcp_close)
    const unread = this.rx.chunks.length > 0;
    this.rx.readClosed = true;
    this.rx.clear();
    this.rx.readable.notify();
    for (const s of this.pending.splice(0)) s.drop();
    this.incoming.notify();
    const peer = this.peer;
    if (peer !== null && peer.peer === this) {
      // The survivor of a stream or sequenced-packet pair is shut down both ways (Linux sets
      // its SHUTDOWN_MASK): reads end at EOF, writes fail, and poll says POLLHUP.
      // A TCP peer only hears a FIN: it may still send, and learns of the close from the
      // reset its data gets (sendNow).
      const tcp = this.inet && this.type === SOCK_STREAM;
      if (this.type !== SOCK_DGRAM && !tcp) peer.shutWrite = true;
      if (tcp && unread && !peer.peerReset) {
        peer.peerReset = true;
        peer.softError = "ECONNRESET";
      }
      peer.rx.writeClosed = true;
      peer.rx.readable.notify();
      peer.rx.writable.notify();
      peer.incoming.notify();
    }
  }
}
