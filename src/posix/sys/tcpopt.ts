// IPPROTO_TCP's socket options and UDP's UDP_CORK, as Linux 6.1's do_tcp_setsockopt checks them
// and do_tcp_getsockopt reads them back. On the loopback, which never loses, delays or reorders
// a segment, what the timing options tune (keepalives, retries, delayed acks, user timeouts)
// cannot be seen: they are kept and read back. TCP_CORK (and MSG_MORE) hold data back
// (libexoc/socket.ts); TCP_MAXSEG reads the segment size a loopback connection gets; TCP_INFO
// gives what a connection on it has at rest (no retransmissions, no loss). TCP_CONGESTION names
// one of the algorithms Linux builds in, cubic (the default) or reno.

import { sysError } from "../../libexoc/errors.js";
import { SOCK_STREAM, TCP_LO_MSS, type UnixSocket } from "../../libexoc/socket.js";

export const TCP_NODELAY = 1, TCP_MAXSEG = 2, TCP_CORK = 3, TCP_INFO = 11, TCP_CONGESTION = 13;
const TCP_KEEPIDLE = 4, TCP_KEEPINTVL = 5, TCP_KEEPCNT = 6, TCP_SYNCNT = 7, TCP_LINGER2 = 8, TCP_DEFER_ACCEPT = 9;
const TCP_QUICKACK = 12, TCP_THIN_LINEAR_TIMEOUTS = 16, TCP_THIN_DUPACK = 17, TCP_USER_TIMEOUT = 18;
const TCP_FASTOPEN = 23, TCP_NOTSENT_LOWAT = 25;
export const UDP_CORK = 1;
/** The IPPROTO_UDP level's number. */
export const SOL_UDP = 17;

/** The smallest segment size a user may ask for, and the largest (TCP_MIN_MSS, MAX_TCP_WINDOW). */
const TCP_MIN_MSS = 88, MAX_TCP_WINDOW = 32767;
/** TCP_MSS_DEFAULT: what an unconnected socket reports. */
const TCP_MSS_DEFAULT = 536;
/** The bytes of the timestamp option every loopback segment carries. */
const TCPOLEN_TSTAMP = 12;
/** Half the window a new loopback connection's peer offers (64 KiB). */
const HALF_WINDOW = 32768;
/** FIN timeout's default and ceiling (net.ipv4.tcp_fin_timeout, TCP_FIN_TIMEOUT_MAX), seconds. */
const FIN_TIMEOUT = 60, FIN_TIMEOUT_MAX = 120;
/** net.core.somaxconn: a fast-open queue's bound. */
const SOMAXCONN = 4096;
/** The congestion control algorithms built in. */
export const CONGESTION = ["cubic", "reno"];
/** TCP_CA_NAME_MAX. */
export const TCP_CA_NAME_MAX = 16;

/** Options that are plain numbers: their default and the range setsockopt takes. */
const NUMBERS = new Map<number, { def: number; min: number; max: number }>([
  [TCP_KEEPIDLE, { def: 7200, min: 1, max: 32767 }],
  [TCP_KEEPINTVL, { def: 75, min: 1, max: 32767 }],
  [TCP_KEEPCNT, { def: 9, min: 1, max: 127 }],
  [TCP_SYNCNT, { def: 6, min: 1, max: 127 }],
  [TCP_USER_TIMEOUT, { def: 0, min: 0, max: 0x7fffffff }],
  [TCP_THIN_LINEAR_TIMEOUTS, { def: 0, min: 0, max: 1 }],
  [TCP_THIN_DUPACK, { def: 0, min: 0, max: 1 }],
]);

/** A TCP option's value as getsockopt reads it (a number; TCP_INFO and TCP_CONGESTION are
 *  read by tcpInfo and congestion). */
export function getTcpOption(s: UnixSocket, opt: number): number {
  const o = s.tcpOptions;
  switch (opt) {
    case TCP_NODELAY:
      return s.noDelay ? 1 : 0;
    case TCP_CORK:
      return s.cork ? 1 : 0;
    case TCP_MAXSEG: {
      // (connected: the segment size, which Linux also bounds by half the largest window the
      // peer offered, 64 KiB on a new loopback connection: tcp_bound_to_half_wnd)
      const user = o.get(TCP_MAXSEG) ?? 0;
      if (!s.connected) return user !== 0 ? user : TCP_MSS_DEFAULT;
      return Math.min(user !== 0 ? user - TCPOLEN_TSTAMP : TCP_LO_MSS, HALF_WINDOW);
    }
    case TCP_LINGER2: {
      const v = o.get(TCP_LINGER2) ?? 0;
      return v < 0 ? -1 : v === 0 ? FIN_TIMEOUT : v;
    }
    case TCP_DEFER_ACCEPT:
      return retransToSecs(o.get(TCP_DEFER_ACCEPT) ?? 0);
    case TCP_QUICKACK:
      return o.get(TCP_QUICKACK) ?? 1;
    case TCP_FASTOPEN:
      return o.get(TCP_FASTOPEN) ?? 0;
    case TCP_NOTSENT_LOWAT:
      return o.get(TCP_NOTSENT_LOWAT) ?? -1;
  }
  const n = NUMBERS.get(opt);
  if (n === undefined) return sysError("ENOPROTOOPT");
  return o.get(opt) ?? n.def;
}

/** setsockopt of a TCP option with value `v` (an int). */
export function setTcpOption(s: UnixSocket, opt: number, v: number): void {
  const o = s.tcpOptions;
  switch (opt) {
    case TCP_NODELAY:
      s.noDelay = v !== 0;
      // (pushes what MSG_MORE held back; not what TCP_CORK holds, which is stronger)
      if (s.noDelay && !s.cork) s.flushHeld();
      return;
    case TCP_CORK:
      s.cork = v !== 0;
      if (!s.cork) s.flushHeld();
      return;
    case TCP_MAXSEG:
      if (v !== 0 && (v < TCP_MIN_MSS || v > MAX_TCP_WINDOW)) sysError("EINVAL");
      o.set(TCP_MAXSEG, v);
      return;
    case TCP_LINGER2:
      o.set(TCP_LINGER2, v < 0 ? -1 : Math.min(v, FIN_TIMEOUT_MAX));
      return;
    case TCP_DEFER_ACCEPT:
      o.set(TCP_DEFER_ACCEPT, secsToRetrans(v));
      return;
    case TCP_QUICKACK:
      o.set(TCP_QUICKACK, v !== 0 ? 1 : 0);
      return;
    case TCP_FASTOPEN:
      // (a listening or unconnected socket's fast-open queue length)
      if (s.connected) sysError("EINVAL");
      o.set(TCP_FASTOPEN, Math.min(v >>> 0, SOMAXCONN));
      return;
    case TCP_NOTSENT_LOWAT:
      o.set(TCP_NOTSENT_LOWAT, v);
      return;
  }
  const n = NUMBERS.get(opt);
  if (n === undefined) return sysError("ENOPROTOOPT");
  if (v < n.min || v > n.max) sysError("EINVAL");
  o.set(opt, v);
}

/** TCP_DEFER_ACCEPT's seconds as the SYN-ACK retransmissions they cover (secs_to_retrans with
 *  a 1 s initial timeout doubling up to 120 s), and back (retrans_to_secs). */
function secsToRetrans(secs: number): number {
  if (secs <= 0) return 0;
  let res = 1, timeout = 1, period = 1;
  while (secs > period && res < 255) {
    res++;
    timeout = Math.min(timeout * 2, 120);
    period += timeout;
  }
  return res;
}

function retransToSecs(retrans: number): number {
  if (retrans <= 0) return 0;
  let timeout = 1, period = 1;
  while (--retrans > 0) {
    timeout = Math.min(timeout * 2, 120);
    period += timeout;
  }
  return period;
}

/** TCP_CONGESTION: the name asked for, which must be one built in (ENOENT otherwise). */
export function setCongestion(s: UnixSocket, name: string): void {
  if (!CONGESTION.includes(name)) sysError("ENOENT");
  s.congestion = name;
}

/** TCP states as tcp_info's tcpi_state numbers them. */
const TCP_ESTABLISHED = 1, TCP_CLOSE = 7, TCP_CLOSE_WAIT = 8, TCP_LISTEN = 10;
/** struct tcp_info's size in Linux 6.1. */
const TCP_INFO_SIZE = 232;
const TCPI_OPT_TIMESTAMPS = 1, TCPI_OPT_SACK = 2, TCPI_OPT_WSCALE = 4;

/** TCP_INFO: what a loopback connection has with nothing lost or retransmitted: its state,
 *  options, segment sizes, the initial window and timeouts; counters of what was sent and
 *  measured round trips, which exojit does not keep, are 0. */
export function tcpInfo(s: UnixSocket): Uint8Array {
  const b = new Uint8Array(TCP_INFO_SIZE);
  const dv = new DataView(b.buffer);
  if (s.type !== SOCK_STREAM) return b;
  const up = s.connected;
  const state = s.listening ? TCP_LISTEN : !up ? TCP_CLOSE : s.rx.writeClosed ? TCP_CLOSE_WAIT : TCP_ESTABLISHED;
  b[0] = state;
  if (up) {
    b[5] = TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE;
    b[6] = 0x77;
  }
  dv.setUint32(8, up ? 201000 : 1000000, true); // rto (µs)
  dv.setUint32(12, up ? 40000 : 0, true); // ato
  dv.setUint32(16, up ? TCP_LO_MSS : TCP_MSS_DEFAULT, true); // snd_mss
  dv.setUint32(20, TCP_MSS_DEFAULT, true); // rcv_mss
  dv.setUint32(60, up ? 65535 : 0, true); // pmtu
  dv.setUint32(64, up ? 65483 : 0, true); // rcv_ssthresh
  dv.setUint32(76, 0x7fffffff, true); // snd_ssthresh
  dv.setUint32(80, 10, true); // snd_cwnd
  dv.setUint32(84, up ? TCP_LO_MSS : TCP_MSS_DEFAULT, true); // advmss
  dv.setUint32(88, 3, true); // reordering
  return b;
}
