/* IPv4 on the loopback network: a TCP server and client in two processes (bind to port 0 and
 * getsockname, listen, connect, accept, addresses of both ends, a transfer with a checksum,
 * shutdown and EOF), UDP datagrams with sender addresses, a connected UDP socket, and the
 * errors: a port nobody listens on, a port in use, an address that is not this machine's.
 * Port numbers are the system's choice, so only their relations are printed. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/uio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "guest.h"
#include "sockcheck.h"


static struct sockaddr_in loopback(int port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

static int port_of(int s) {
  struct sockaddr_in a;
  socklen_t l = sizeof a;
  check(getsockname(s, (struct sockaddr *)&a, &l) == 0, "getsockname");
  return ntohs(a.sin_port);
}

/* A TCP socket listening on an ephemeral loopback port; `at` gets the address to connect to. */
static int tcp_listener(int backlog, struct sockaddr_in *at) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = loopback(0);
  bind(l, (struct sockaddr *)&a, sizeof a);
  listen(l, backlog);
  *at = loopback(port_of(l));
  return l;
}

static void tcp(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  check(s >= 0, "socket");
  int one = 1;
  check(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0, "SO_REUSEADDR");
  struct sockaddr_in a = loopback(0);
  check(bind(s, (struct sockaddr *)&a, sizeof a) == 0, "bind");
  int port = port_of(s);
  printf("tcp: bound to an ephemeral port: %s\n", port >= 1024 ? "yes" : "no");
  check(listen(s, 4) == 0, "listen");
  int opt;
  socklen_t ol = sizeof opt;
  getsockopt(s, SOL_SOCKET, SO_PROTOCOL, &opt, &ol);
  printf("tcp: SO_PROTOCOL %d", opt);
  getsockopt(s, SOL_SOCKET, SO_DOMAIN, &opt, &ol);
  printf(", SO_DOMAIN %d", opt);
  getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &opt, &ol);
  printf(", SO_ACCEPTCONN %d\n", opt);

  int d = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in taken = loopback(port);
  printf("tcp: bind to the port in use: %s\n", err(bind(d, (struct sockaddr *)&taken, sizeof taken)));
  close(d);

  pid_t p = fork();
  if (p == 0) {
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in to = loopback(port);
    if (connect(c, (struct sockaddr *)&to, sizeof to) != 0) _exit(2);
    int on = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    uint32_t st = 99, h = FNV_INIT;
    static unsigned char chunk[3001];
    for (int k = 0; k < 100; k++) {
      for (size_t i = 0; i < sizeof chunk; i++) chunk[i] = rng_next(&st);
      h = fnv(h, chunk, sizeof chunk);
      for (size_t done = 0; done < sizeof chunk;) {
        ssize_t w = write(c, chunk + done, sizeof chunk - done);
        if (w <= 0) _exit(3);
        done += w;
      }
    }
    shutdown(c, SHUT_WR);
    char reply[64];
    ssize_t n = read(c, reply, sizeof reply);
    uint32_t got;
    memcpy(&got, reply, 4);
    _exit(n == 4 && got == h ? 0 : 4);
  }
  struct sockaddr_in peer;
  socklen_t pl = sizeof peer;
  int c = accept(s, (struct sockaddr *)&peer, &pl);
  check(c >= 0, "accept");
  struct sockaddr_in me;
  socklen_t ml = sizeof me;
  getsockname(c, (struct sockaddr *)&me, &ml);
  struct sockaddr_in pn;
  socklen_t pnl = sizeof pn;
  getpeername(c, (struct sockaddr *)&pn, &pnl);
  printf("tcp: accepted from %s, len %u, an ephemeral port other than the server's: %s\n", inet_ntoa(peer.sin_addr), (unsigned)pl,
         ntohs(peer.sin_port) >= 1024 && ntohs(peer.sin_port) != port ? "yes" : "no");
  printf("tcp: the accepted socket is %s at the server's port: %s; getpeername agrees: %s\n", inet_ntoa(me.sin_addr),
         ntohs(me.sin_port) == port ? "yes" : "no", pn.sin_port == peer.sin_port ? "yes" : "no");
  getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &opt, &ol);
  printf("tcp: TCP_NODELAY on the accepted socket %d\n", opt);
  uint32_t h = FNV_INIT;
  size_t total = 0;
  static unsigned char buf[4096];
  ssize_t n;
  while ((n = read(c, buf, sizeof buf)) > 0) {
    h = fnv(h, buf, n);
    total += n;
  }
  printf("tcp: %zu bytes until EOF, checksum %08x\n", total, h);
  write(c, &h, 4);
  int st;
  waitpid(p, &st, 0);
  printf("tcp: client exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 99);
  close(c);
  close(s);

  int r = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in none = loopback(port);
  printf("tcp: connect to the closed port: %s\n", err(connect(r, (struct sockaddr *)&none, sizeof none)));
  close(r);
}

static void udp(void) {
  int s = socket(AF_INET, SOCK_DGRAM, 0), c = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = loopback(0);
  check(bind(s, (struct sockaddr *)&a, sizeof a) == 0, "bind udp");
  int port = port_of(s);
  struct sockaddr_in to = loopback(port), from;
  sendto(c, "first", 5, 0, (struct sockaddr *)&to, sizeof to);
  sendto(c, "second!", 7, 0, (struct sockaddr *)&to, sizeof to);
  char buf[64];
  socklen_t fl = sizeof from;
  ssize_t n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
  printf("udp: %zd \"%.*s\" from %s (len %u), the sender's port: %s\n", n, (int)n, buf, inet_ntoa(from.sin_addr), (unsigned)fl,
         ntohs(from.sin_port) == port_of(c) ? "yes" : "no");
  n = recv(s, buf, 3, 0);
  printf("udp: 3 bytes of a 7-byte datagram: %zd, the rest is gone: %s\n", n, err(recv(s, buf, sizeof buf, MSG_DONTWAIT)));
  struct sockaddr_in back = from;
  check(connect(s, (struct sockaddr *)&back, sizeof back) == 0, "connect udp");
  send(s, "reply", 5, 0);
  n = recv(c, buf, sizeof buf, 0);
  printf("udp: reply %zd \"%.*s\"\n", n, (int)n, buf);
  /* write and writev on a connected UDP socket send to its peer, one datagram each (an empty
   * one too) */
  printf("udp: write %zd, ", write(s, "by write", 8));
  struct iovec wv[2] = {{"by ", 3}, {"writev", 6}};
  printf("writev %zd, ", writev(s, wv, 2));
  printf("empty write %zd\n", write(s, "", 0));
  for (int k = 0; k < 3; k++) {
    n = recv(c, buf, sizeof buf, 0);
    printf("udp: the peer got %zd \"%.*s\"\n", n, (int)n, buf);
  }
  int other = socket(AF_INET, SOCK_DGRAM, 0);
  sendto(other, "stray", 5, 0, (struct sockaddr *)&to, sizeof to);
  sendto(c, "from peer", 9, 0, (struct sockaddr *)&to, sizeof to);
  n = recv(s, buf, sizeof buf, 0);
  printf("udp: a connected socket gets its peer's datagram only: %zd \"%.*s\"\n", n, (int)n, buf);
  struct sockaddr_in pn;
  socklen_t pl = sizeof pn;
  printf("udp: getpeername %s\n", err(getpeername(s, (struct sockaddr *)&pn, &pl)));
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  printf("udp: send without a destination: %s\n", err(send(u, "x", 1, 0)));
  printf("udp: write without a destination: %s\n", err(write(u, "x", 1)));
  close(s);
  printf("udp: sendto a port nobody has: %s\n", err(sendto(c, "lost", 4, 0, (struct sockaddr *)&to, sizeof to)));
  int k = socket(AF_INET, SOCK_DGRAM, 0);
  check(connect(k, (struct sockaddr *)&to, sizeof to) == 0, "connect to nobody");
  printf("udp: connected to a port nobody has, send: %s", err(send(k, "x", 1, 0)));
  struct pollfd pf = {k, POLLIN, 0};
  int r = poll(&pf, 1, 2000);
  printf(", poll %d revents %x", r, pf.revents);
  printf(", then recv: %s", err(recv(k, buf, sizeof buf, MSG_DONTWAIT)));
  printf(", then recv again: %s\n", err(recv(k, buf, sizeof buf, MSG_DONTWAIT)));
  close(k);
  close(c);
  close(other);
  close(u);
}

static void errors(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in far;
  memset(&far, 0, sizeof far);
  far.sin_family = AF_INET;
  far.sin_port = htons(9);
  far.sin_addr.s_addr = inet_addr("192.0.2.1");
  printf("bind to an address not this machine's: %s\n", err(bind(s, (struct sockaddr *)&far, sizeof far)));
  printf("bind with a short address: %s\n", err(bind(s, (struct sockaddr *)&far, 8)));
  int sv[2];
  printf("socketpair(AF_INET): %s\n", err(socketpair(AF_INET, SOCK_STREAM, 0, sv)));
  printf("socketpair(AF_INET, bad type): %s\n", err(socketpair(AF_INET, 75, 0, sv)));
  {
    /* sends with nowhere to go: TCP EPIPE (SIGPIPE unless MSG_NOSIGNAL), UDP EDESTADDRREQ;
     * a UDP datagram larger than an IPv4 packet is EMSGSIZE, MSG_OOB on UDP EOPNOTSUPP */
    int ts = socket(AF_INET, SOCK_STREAM, 0), us = socket(AF_INET, SOCK_DGRAM, 0);
    printf("send on an unconnected TCP socket: %s\n", err(send(ts, "x", 1, MSG_NOSIGNAL)));
    printf("send on an unconnected UDP socket: %s\n", err(send(us, "x", 1, 0)));
    static char huge[70000];
    struct sockaddr_in lo = {AF_INET, htons(9), {htonl(INADDR_LOOPBACK)}, {0}};
    printf("a 70000-byte UDP datagram: %s\n", err(sendto(us, huge, sizeof huge, 0, (struct sockaddr *)&lo, sizeof lo)));
    printf("UDP MSG_OOB: %s\n", err(sendto(us, "x", 1, MSG_OOB, (struct sockaddr *)&lo, sizeof lo)));
    close(ts);
    close(us);
  }
  printf("socketpair(AF_INET, UDP as TCP): %s\n", err(socketpair(AF_INET, SOCK_DGRAM, IPPROTO_TCP, sv)));
  printf("socket(AF_INET, SOCK_STREAM, IPPROTO_UDP): %s\n", err(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP)));
  int opt;
  socklen_t ol = sizeof opt;
  printf("getsockopt of an unknown TCP option: %s\n", err(getsockopt(s, IPPROTO_TCP, 999, &opt, &ol)));
  /* SOL_SOCKET's plain options, and the errors of the levels: an unknown level or another
   * protocol's is EOPNOTSUPP for getsockopt and ENOPROTOOPT for setsockopt (Linux's
   * ip_getsockopt and ip_setsockopt), a bad value or length pointer EFAULT */
  static const struct { int opt; const char *name; } plain[] = {
    {SO_OOBINLINE, "SO_OOBINLINE"}, {SO_DONTROUTE, "SO_DONTROUTE"}, {SO_REUSEPORT, "SO_REUSEPORT"},
    {SO_PRIORITY, "SO_PRIORITY"}, {SO_RCVLOWAT, "SO_RCVLOWAT"}, {SO_TIMESTAMP, "SO_TIMESTAMP"},
  };
  for (unsigned k = 0; k < sizeof plain / sizeof plain[0]; k++) {
    int v = -7, five = 5;
    ol = sizeof v;
    int r1 = getsockopt(s, SOL_SOCKET, plain[k].opt, &v, &ol);
    int before = v;
    int r2 = setsockopt(s, SOL_SOCKET, plain[k].opt, &five, sizeof five);
    ol = sizeof v;
    getsockopt(s, SOL_SOCKET, plain[k].opt, &v, &ol);
    printf("%s: get %d (%d), set 5 %d, then %d (len %d)\n", plain[k].name, r1, before, r2, v, (int)ol);
  }
  struct linger lg = {1, 30}, lg2 = {7, 7};
  ol = sizeof lg2;
  getsockopt(s, SOL_SOCKET, SO_LINGER, &lg2, &ol);
  printf("SO_LINGER default: %d %d (len %d)\n", lg2.l_onoff, lg2.l_linger, (int)ol);
  setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  getsockopt(s, SOL_SOCKET, SO_LINGER, &lg2, &ol);
  printf("SO_LINGER set: %d %d\n", lg2.l_onoff, lg2.l_linger);
  ol = sizeof opt;
  printf("getsockopt into NULL: %s\n", err(getsockopt(s, SOL_SOCKET, SO_OOBINLINE, NULL, &ol)));
  printf("getsockopt with a NULL length: %s\n", err(getsockopt(s, SOL_SOCKET, SO_OOBINLINE, &opt, NULL)));
  printf("getsockopt at level 500: %s\n", err(getsockopt(s, 500, SO_OOBINLINE, &opt, &ol)));
  printf("getsockopt at UDP's level on TCP: %s\n", err(getsockopt(s, IPPROTO_UDP, SO_OOBINLINE, &opt, &ol)));
  printf("getsockopt of IP option -1: %s\n", err(getsockopt(s, IPPROTO_IP, -1, &opt, &ol)));
  printf("setsockopt at level 500: %s\n", err(setsockopt(s, 500, SO_OOBINLINE, &opt, sizeof opt)));
  printf("setsockopt from NULL: %s\n", err(setsockopt(s, SOL_SOCKET, SO_OOBINLINE, NULL, sizeof opt)));
  struct sockaddr_in me;
  socklen_t ml = sizeof me;
  printf("getsockname into NULL: %s\n", err(getsockname(s, NULL, &ml)));
  printf("getsockname with a NULL length: %s\n", err(getsockname(s, (struct sockaddr *)&me, NULL)));
  ml = 0;
  printf("getsockname with room 0: %s, length then %d\n", err(getsockname(s, (struct sockaddr *)&me, &ml)), (int)ml);
  int lone = socket(AF_INET, SOCK_STREAM, 0), ulone = socket(AF_INET, SOCK_DGRAM, 0);
  printf("shutdown of an unconnected TCP socket: %s\n", err(shutdown(lone, SHUT_RDWR)));
  printf("shutdown of an unconnected UDP socket: %s\n", err(shutdown(ulone, SHUT_WR)));
  printf("shutdown with how -1: %s\n", err(shutdown(lone, -1)));
  close(lone);
  lone = socket(AF_INET, SOCK_STREAM, 0);
  printf("listen without bind: %s\n", err(listen(lone, 1)));
  ml = sizeof me;
  getsockname(lone, (struct sockaddr *)&me, &ml);
  printf("it listens on an ephemeral port of INADDR_ANY: %d %d\n", ntohs(me.sin_port) >= 1024, me.sin_addr.s_addr == htonl(INADDR_ANY));
  printf("shutdown of a listening socket: %s\n", err(shutdown(lone, SHUT_RD)));
  close(lone);
  close(ulone);
  close(s);
}

/* A non-blocking TCP connect says EINPROGRESS even on the loopback; the outcome comes through
 * poll and SO_ERROR, and the next connect reports it once. A socket neither connected nor
 * listening polls as hung up and writable, for TCP and for AF_UNIX streams alike. */
static void nonblocking(void) {
  int fams[2] = {AF_INET, AF_UNIX};
  for (int i = 0; i < 2; i++) {
    int s = socket(fams[i], SOCK_STREAM, 0);
    struct pollfd p = {s, POLLIN | POLLOUT, 0};
    int n = poll(&p, 1, 0);
    printf("fresh %s stream socket polls %d: %#x\n", i ? "unix" : "inet", n, p.revents);
    close(s);
  }
  struct sockaddr_in a;
  int l = tcp_listener(4, &a);
  int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  printf("non-blocking connect: %s\n", err(connect(c, (struct sockaddr *)&a, sizeof a)));
  struct pollfd p = {c, POLLIN | POLLOUT, 0};
  int n = poll(&p, 1, 1000);
  printf("then poll %d: %#x\n", n, p.revents);
  int e = -1;
  socklen_t el = sizeof e;
  getsockopt(c, SOL_SOCKET, SO_ERROR, &e, &el);
  printf("SO_ERROR %d\n", e);
  printf("connect again: %s\n", err(connect(c, (struct sockaddr *)&a, sizeof a)));
  printf("and again: %s\n", err(connect(c, (struct sockaddr *)&a, sizeof a)));
  int s = accept(l, NULL, NULL);
  printf("accepted %d, sent %d\n", s >= 0, (int)write(c, "x", 1));
  close(s);
  close(c);
  close(l);
  /* nobody listens there now */
  c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  printf("non-blocking connect to a closed port: %s\n", err(connect(c, (struct sockaddr *)&a, sizeof a)));
  p.fd = c;
  p.revents = 0;
  n = poll(&p, 1, 1000);
  printf("then poll %d: %#x\n", n, p.revents);
  getsockopt(c, SOL_SOCKET, SO_ERROR, &e, &el);
  printf("SO_ERROR %s\n", strerror(e));
  getsockopt(c, SOL_SOCKET, SO_ERROR, &e, &el);
  printf("SO_ERROR read again %d\n", e);
  close(c);
}

/* The peer of a TCP connection closed: this end saw a FIN only (readable at EOF, writable, no
 * hang-up). Its first send is taken; the reset that answers it makes SO_ERROR EPIPE and later
 * sends fail with EPIPE. A send of nothing sends nothing and draws no reset. */
static void closed_peer(void) {
  signal(SIGPIPE, SIG_IGN);
  struct sockaddr_in a;
  int l = tcp_listener(1, &a);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  connect(c, (struct sockaddr *)&a, sizeof a);
  int s = accept(l, NULL, NULL);
  close(c);
  usleep(100000);
  struct pollfd p = {s, POLLIN | POLLOUT | POLLRDHUP, 0};
  int n = poll(&p, 1, 0);
  printf("after the peer's close, poll %d: %#x\n", n, p.revents);
  char b[8];
  printf("recv: %s\n", err(recv(s, b, sizeof b, 0)));
  printf("send of nothing: %s\n", err(send(s, "", 0, 0)));
  printf("first send: %s\n", err(send(s, "abc", 3, 0)));
  usleep(100000);
  n = poll(&p, 1, 0);
  printf("after the reset, poll %d: %#x\n", n, p.revents);
  printf("second send: %s\n", err(send(s, "abc", 3, 0)));
  printf("recv: %s\n", err(recv(s, b, sizeof b, 0)));
  int e = -1;
  socklen_t el = sizeof e;
  getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &el);
  printf("SO_ERROR %s\n", strerror(e));
  n = poll(&p, 1, 0);
  printf("then poll %d: %#x\n", n, p.revents);
  close(s);
  close(l);
  signal(SIGPIPE, SIG_DFL);
}

/* UDP-Lite: datagrams as UDP's, in a port space of its own; its checksum coverage options are
 * kept as Linux rounds them. */
static void udplite(void) {
  int s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE);
  printf("UDP-Lite socket: %d\n", s >= 0);
  int v = 0;
  socklen_t vl = sizeof v;
  getsockopt(s, SOL_SOCKET, SO_PROTOCOL, &v, &vl);
  printf("SO_PROTOCOL %d\n", v);
  int covs[4] = {0, 5, 20, 70000};
  for (int i = 0; i < 4; i++) {
    int r = setsockopt(s, IPPROTO_UDPLITE, 10, &covs[i], sizeof covs[i]);
    vl = sizeof v;
    getsockopt(s, IPPROTO_UDPLITE, 10, &v, &vl);
    printf("send coverage %d: %d, reads %d\n", covs[i], r, v);
  }
  vl = sizeof v;
  printf("receive coverage: %s", err(getsockopt(s, IPPROTO_UDPLITE, 11, &v, &vl)));
  printf(" %d\n", v);
  printf("an unknown option: %s\n", err(setsockopt(s, IPPROTO_UDPLITE, 99, &v, sizeof v)));
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  printf("a UDP socket's UDP-Lite option: %s\n", err(setsockopt(u, IPPROTO_UDPLITE, 10, &v, sizeof v)));
  struct sockaddr_in a = loopback(0);
  bind(s, (struct sockaddr *)&a, sizeof a);
  int port = port_of(s);
  a = loopback(port);
  printf("UDP binds the same port: %s\n", err(bind(u, (struct sockaddr *)&a, sizeof a)));
  printf("sendto itself: %s\n", err(sendto(s, "lite", 4, 0, (struct sockaddr *)&a, sizeof a)));
  char b[16];
  printf("received: %s\n", err(recv(s, b, sizeof b, MSG_DONTWAIT)));
  int u2 = socket(AF_INET, SOCK_DGRAM, 0);
  sendto(u2, "udp", 3, 0, (struct sockaddr *)&a, sizeof a);
  printf("UDP's datagram to the port reaches UDP's socket: %s;", err(recv(u, b, sizeof b, MSG_DONTWAIT)));
  printf(" UDP-Lite's: %s\n", err(recv(s, b, sizeof b, MSG_DONTWAIT)));
  close(u2);
  close(u);
  close(s);
}

/* A TCP socket closed with data it had not read resets its connection: the peer's next read
 * or send fails with ECONNRESET, then reads end at EOF and sends fail with EPIPE. */
static void reset_peer(void) {
  signal(SIGPIPE, SIG_IGN);
  struct sockaddr_in a;
  int l = tcp_listener(2, &a);
  for (int round = 0; round < 2; round++) {
    int c = socket(AF_INET, SOCK_STREAM, 0);
    connect(c, (struct sockaddr *)&a, sizeof a);
    int s = accept(l, NULL, NULL);
    write(c, "unread", 6);
    usleep(50000);
    close(s);
    usleep(100000);
    struct pollfd p = {c, POLLIN | POLLOUT | POLLRDHUP, 0};
    int n = poll(&p, 1, 0);
    printf("reset: poll %d: %#x\n", n, p.revents);
    char b[8];
    if (round == 0) {
      printf("recv: %s\n", err(recv(c, b, sizeof b, 0)));
      printf("recv again: %s\n", err(recv(c, b, sizeof b, 0)));
      printf("send: %s\n", err(send(c, "x", 1, 0)));
    } else {
      printf("send: %s\n", err(send(c, "x", 1, 0)));
      printf("send again: %s\n", err(send(c, "x", 1, 0)));
      printf("recv: %s\n", err(recv(c, b, sizeof b, 0)));
    }
    close(c);
  }
  close(l);
  signal(SIGPIPE, SIG_DFL);
}

static volatile sig_atomic_t urgs;
static void on_urg(int sig) {
  (void)sig;
  urgs++;
}

/* What recv says: the bytes it got as text, or its error. */
static const char *got(int s, int flags) {
  static char out[64];
  char b[32];
  ssize_t n = recv(s, b, sizeof b - 1, flags | MSG_DONTWAIT);
  if (n < 0) snprintf(out, sizeof out, "(%s)", strerror(errno));
  else {
    b[n] = 0;
    snprintf(out, sizeof out, "%zd \"%s\"", n, b);
  }
  return out;
}

static int mark(int s) {
  int m = -1;
  ioctl(s, SIOCATMARK, &m);
  return m;
}

static int pollbits(int s) {
  struct pollfd p = {s, POLLIN | POLLPRI, 0};
  poll(&p, 1, 0);
  return p.revents;
}

/* TCP urgent data: send's MSG_OOB makes the last byte urgent; reads stop at the mark and step
 * over the byte, recv(MSG_OOB) takes it, SIOCATMARK, POLLPRI, SO_OOBINLINE, SIGURG. */
static void urgent(void) {
  struct sockaddr_in at;
  int l = tcp_listener(1, &at);
  int a = socket(AF_INET, SOCK_STREAM, 0);
  check(connect(a, (struct sockaddr *)&at, sizeof at) == 0, "connect");
  int b = accept(l, NULL, NULL);
  close(l);
  signal(SIGURG, on_urg);
  fcntl(b, F_SETOWN, getpid());
  printf("urgent: none: MSG_OOB %s", got(b, MSG_OOB));
  printf(", mark %d", mark(b));
  printf(", poll %#x\n", pollbits(b));
  send(a, "abc", 3, 0);
  printf("urgent: send XY with MSG_OOB: %s", err(send(a, "XY", 2, MSG_OOB)));
  printf(", SIGURG %d\n", (int)urgs);
  printf("urgent: poll %#x", pollbits(b));
  printf(", mark %d\n", mark(b));
  printf("urgent: peek MSG_OOB %s", got(b, MSG_OOB | MSG_PEEK));
  printf(", read %s", got(b, 0));
  printf(", mark %d", mark(b));
  printf(", poll %#x\n", pollbits(b));
  printf("urgent: MSG_OOB %s", got(b, MSG_OOB));
  printf(", again %s", got(b, MSG_OOB));
  printf(", poll %#x", pollbits(b));
  printf(", mark %d", mark(b));
  printf(", read %s", got(b, 0));
  printf(", mark %d\n", mark(b));
  send(a, "12", 2, 0);
  printf("urgent: then read %s\n", got(b, 0));

  /* A read at the mark steps over a byte MSG_OOB never took. */
  send(a, "Z", 1, MSG_OOB);
  printf("urgent: Z alone: poll %#x", pollbits(b));
  printf(", mark %d", mark(b));
  printf(", read %s", got(b, 0));
  printf(", MSG_OOB %s\n", got(b, MSG_OOB));
  send(a, "Qr", 2, MSG_OOB);
  printf("urgent: Qr: read %s", got(b, 0));
  printf(", read %s", got(b, 0));
  printf(", MSG_OOB %s\n", got(b, MSG_OOB));

  /* A second urgent byte before the first was read. */
  send(a, "1", 1, MSG_OOB);
  send(a, "2", 1, MSG_OOB);
  printf("urgent: two: MSG_OOB %s", got(b, MSG_OOB));
  printf(", read %s", got(b, 0));
  printf(", read %s\n", got(b, 0));
  send(a, "ab", 2, MSG_OOB);
  send(a, "cd", 2, MSG_OOB);
  printf("urgent: ab then cd: read %s", got(b, 0));
  printf(", MSG_OOB %s", got(b, MSG_OOB));
  printf(", read %s\n", got(b, 0));

  /* SO_OOBINLINE: the byte stays in the stream; reads still stop at the mark. */
  int one = 1;
  setsockopt(b, SOL_SOCKET, SO_OOBINLINE, &one, sizeof one);
  send(a, "pq", 2, MSG_OOB);
  printf("urgent: inline: poll %#x", pollbits(b));
  printf(", MSG_OOB %s", got(b, MSG_OOB));
  printf(", read %s", got(b, 0));
  printf(", mark %d", mark(b));
  printf(", read %s", got(b, 0));
  printf(", mark %d\n", mark(b));

  /* recvmsg's MSG_OOB flag. */
  int zero = 0;
  setsockopt(b, SOL_SOCKET, SO_OOBINLINE, &zero, sizeof zero);
  send(a, "k", 1, MSG_OOB);
  char c = 0;
  struct iovec iov = {&c, 1};
  struct msghdr m;
  memset(&m, 0, sizeof m);
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  ssize_t n = recvmsg(b, &m, MSG_OOB);
  int sigs = urgs;
  printf("urgent: recvmsg %zd '%c' flags %#x, SIGURG %d\n", n, c, m.msg_flags, sigs);
  close(a);
  printf("urgent: after the peer's close: MSG_OOB %s", got(b, MSG_OOB));
  printf(", read %s\n", got(b, 0));
  close(b);
  signal(SIGURG, SIG_DFL);
}

/* Small SO_RCVBUF and SO_SNDBUF bound what a connection holds unread; accepted sockets take
 * the listener's options. */
static void buffers(void) {
  for (int small = 0; small < 2; small++) {
    struct sockaddr_in at;
    int l = tcp_listener(1, &at);
    int v = 4096, on = 1;
    if (small) setsockopt(l, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
    setsockopt(l, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    setsockopt(l, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    setsockopt(l, SOL_SOCKET, SO_OOBINLINE, &on, sizeof on);
    int a = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    connect(a, (struct sockaddr *)&at, sizeof at);
    int b = accept(l, NULL, NULL);
    if (small) setsockopt(a, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
    int rb = 0, ka = 0, nd = 0, oi = 0;
    socklen_t ol = sizeof rb;
    getsockopt(b, SOL_SOCKET, SO_RCVBUF, &rb, &ol);
    getsockopt(b, SOL_SOCKET, SO_KEEPALIVE, &ka, &ol);
    getsockopt(b, IPPROTO_TCP, TCP_NODELAY, &nd, &ol);
    getsockopt(b, SOL_SOCKET, SO_OOBINLINE, &oi, &ol);
    printf("buffers: accepted socket: SO_RCVBUF %s, SO_KEEPALIVE %d, TCP_NODELAY %d, SO_OOBINLINE %d\n", small ? (rb == 8192 ? "8192" : "other") : "default", ka, nd, oi);
    static char big[300000];
    size_t total = 0;
    for (;;) {
      ssize_t n = send(a, big, sizeof big, 0);
      if (n <= 0) break;
      total += n;
    }
    printf("buffers: %s: a non-blocking sender got %s 64 KiB in\n", small ? "4 KiB buffers" : "default buffers", total < 65536 ? "less than" : "more than");
    close(a);
    close(b);
    close(l);
  }
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  tcp();
  udp();
  errors();
  nonblocking();
  closed_peer();
  udplite();
  reset_peer();
  urgent();
  buffers();
  printf("done\n");
  return 0;
}
