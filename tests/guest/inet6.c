/* IPv6 on the loopback: TCP between two processes over ::1 with sockaddr_in6 names of both
 * ends, a dual-stack listener on :: that IPv4 clients reach as v4-mapped peers, IPV6_V6ONLY
 * (a port's IPv4 and IPv6 sides, EADDRINUSE, ECONNREFUSED and ENETUNREACH it decides), UDP
 * over ::1 and from IPv4 to a dual-stack socket, the IPPROTO_IPV6 options and their defaults,
 * and the errors of bad addresses. Ports are the system's choice: only relations are printed. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "guest.h"
#include "sockcheck.h"

static struct sockaddr_in6 at6(const char *ip, int port) {
  struct sockaddr_in6 a;
  memset(&a, 0, sizeof a);
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(port);
  inet_pton(AF_INET6, ip, &a.sin6_addr);
  return a;
}

static struct sockaddr_in at4(const char *ip, int port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

#define SA(a) ((struct sockaddr *)&(a))

/* A socket's name or its peer's, as "address len N" (the port left out). */
static const char *name_of(int s, int peer, int *port) {
  static char out[128];
  struct sockaddr_storage ss;
  socklen_t l = sizeof ss;
  memset(&ss, 0, sizeof ss);
  int r = peer ? getpeername(s, SA(ss), &l) : getsockname(s, SA(ss), &l);
  if (r != 0) {
    snprintf(out, sizeof out, "(%s)", strerror(errno));
    return out;
  }
  char ip[64];
  if (ss.ss_family == AF_INET6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
    if (port) *port = ntohs(a->sin6_port);
    snprintf(out, sizeof out, "AF_INET6 %s len %u flow %u scope %u", ip, (unsigned)l, (unsigned)a->sin6_flowinfo, (unsigned)a->sin6_scope_id);
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
    if (port) *port = ntohs(a->sin_port);
    snprintf(out, sizeof out, "AF_INET %s len %u", ip, (unsigned)l);
  }
  return out;
}

static int port_of(int s) {
  int p = -1;
  name_of(s, 0, &p);
  return p;
}

static int opt6(int s, int o) {
  int v = -99;
  socklen_t l = sizeof v;
  if (getsockopt(s, IPPROTO_IPV6, o, &v, &l) != 0) return -errno * 1000;
  return v;
}

/* A listener bound to `ip` port 0 (v6only: IPV6_V6ONLY first, unless -1). */
static int listener6(const char *ip, int v6only) {
  int l = socket(AF_INET6, SOCK_STREAM, 0);
  check(l >= 0, "socket");
  if (v6only >= 0) check(setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only) == 0, "IPV6_V6ONLY");
  struct sockaddr_in6 a = at6(ip, 0);
  check(bind(l, SA(a), sizeof a) == 0, "bind");
  check(listen(l, 8) == 0, "listen");
  return l;
}

static void options(void) {
  int s = socket(AF_INET6, SOCK_STREAM, 0);
  int v;
  socklen_t l = sizeof v;
  getsockopt(s, SOL_SOCKET, SO_DOMAIN, &v, &l);
  printf("options: SO_DOMAIN %d, V6ONLY %d, UNICAST_HOPS %d, MTU_DISCOVER %d, RECVERR %d, TCLASS %d\n", v, opt6(s, IPV6_V6ONLY),
         opt6(s, IPV6_UNICAST_HOPS), opt6(s, IPV6_MTU_DISCOVER), opt6(s, IPV6_RECVERR), opt6(s, IPV6_TCLASS));
  int vals[] = {7, -1, 256, -2};
  for (int k = 0; k < 4; k++) {
    int r = setsockopt(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &vals[k], sizeof vals[k]);
    printf("options: UNICAST_HOPS %d: %s, reads %d\n", vals[k], err(r), opt6(s, IPV6_UNICAST_HOPS));
  }
  v = 5;
  setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof v);
  printf("options: V6ONLY 5 reads %d\n", opt6(s, IPV6_V6ONLY));
  v = 0;
  setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof v);
  v = 1;
  printf("options: TCP_NODELAY %s", err(setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v)));
  printf(", IP_TOS %s", err(setsockopt(s, IPPROTO_IP, IP_TOS, &v, sizeof v)));
  printf(", an unknown IPv6 option %s\n", err(setsockopt(s, IPPROTO_IPV6, 9999, &v, sizeof v)));
  struct sockaddr_in6 a = at6("::1", 0);
  bind(s, SA(a), sizeof a);
  printf("options: V6ONLY once bound: %s\n", err(setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof v)));
  close(s);
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  printf("options: IPV6_V6ONLY on an IPv4 socket: %s / %s\n", err(setsockopt(u, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof v)),
         opt6(u, IPV6_V6ONLY) == -EOPNOTSUPP * 1000 ? "EOPNOTSUPP" : "other");
  close(u);
  int sv[2];
  printf("options: socketpair(AF_INET6): %s\n", err(socketpair(AF_INET6, SOCK_STREAM, 0, sv)));
}

static void tcp6(void) {
  int l = listener6("::1", -1);
  int port = port_of(l);
  printf("tcp6: listener %s, ephemeral %s\n", name_of(l, 0, NULL), port >= 1024 ? "yes" : "no");
  pid_t p = fork();
  if (p == 0) {
    int c = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 to = at6("::1", port);
    if (connect(c, SA(to), sizeof to) != 0) _exit(2);
    uint32_t st = 7, h = FNV_INIT;
    static unsigned char chunk[5003];
    for (int k = 0; k < 40; k++) {
      for (size_t i = 0; i < sizeof chunk; i++) chunk[i] = rng_next(&st);
      h = fnv(h, chunk, sizeof chunk);
      for (size_t done = 0; done < sizeof chunk;) {
        ssize_t w = write(c, chunk + done, sizeof chunk - done);
        if (w <= 0) _exit(3);
        done += w;
      }
    }
    shutdown(c, SHUT_WR);
    uint32_t got = 0;
    ssize_t n = read(c, &got, 4);
    _exit(n == 4 && got == h ? 0 : 4);
  }
  struct sockaddr_in6 peer;
  socklen_t pl = sizeof peer;
  int c = accept(l, SA(peer), &pl);
  check(c >= 0, "accept");
  char ip[64];
  inet_ntop(AF_INET6, &peer.sin6_addr, ip, sizeof ip);
  int pport = -1;
  printf("tcp6: accepted from %s len %u, a port other than the server's: %s\n", ip, (unsigned)pl, ntohs(peer.sin6_port) != port ? "yes" : "no");
  const char *me = name_of(c, 0, &pport);
  printf("tcp6: accepted socket %s, at the server's port: %s\n", me, pport == port ? "yes" : "no");
  printf("tcp6: its peer %s\n", name_of(c, 1, NULL));
  uint32_t h = FNV_INIT;
  size_t total = 0;
  static unsigned char buf[4096];
  ssize_t n;
  while ((n = read(c, buf, sizeof buf)) > 0) {
    h = fnv(h, buf, n);
    total += n;
  }
  printf("tcp6: received %zu bytes to EOF\n", total);
  write(c, &h, 4);
  int status;
  waitpid(p, &status, 0);
  printf("tcp6: client exit %d\n", WEXITSTATUS(status));
  close(c);

  int r = socket(AF_INET6, SOCK_STREAM, 0);
  struct sockaddr_in6 none = at6("::1", port);
  close(l);
  printf("tcp6: connect to a closed port: %s\n", err(connect(r, SA(none), sizeof none)));
  close(r);
}

/* One connection from a socket of `family` to `ip` (either family's text) at `port`: prints
 * the client's name and peer and the accepted socket's. */
static void connect_to(int l, int family, const char *ip, int port, const char *what) {
  int c = socket(family, SOCK_STREAM, 0);
  int r;
  if (strchr(ip, ':')) {
    struct sockaddr_in6 a = at6(ip, port);
    r = connect(c, SA(a), sizeof a);
  } else {
    struct sockaddr_in a = at4(ip, port);
    r = connect(c, SA(a), sizeof a);
  }
  printf("%s: connect %s\n", what, err(r));
  if (r == 0) {
    printf("%s: client %s\n", what, name_of(c, 0, NULL));
    printf("%s: client's peer %s\n", what, name_of(c, 1, NULL));
    int a = accept(l, NULL, NULL);
    printf("%s: accepted %s\n", what, name_of(a, 0, NULL));
    printf("%s: accepted's peer %s\n", what, name_of(a, 1, NULL));
    close(a);
  }
  close(c);
}

static void dual(void) {
  int l = listener6("::", -1);
  int port = port_of(l);
  printf("dual: listener %s\n", name_of(l, 0, NULL));
  connect_to(l, AF_INET, "127.0.0.1", port, "dual v4");
  connect_to(l, AF_INET6, "::1", port, "dual v6");
  connect_to(l, AF_INET6, "::ffff:127.0.0.1", port, "dual mapped");
  int d = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in any4 = at4("0.0.0.0", port);
  printf("dual: IPv4 bind to its port: %s\n", err(bind(d, SA(any4), sizeof any4)));
  close(d);
  close(l);

  /* IPV6_V6ONLY: the port's IPv4 side stays free. */
  l = listener6("::", 1);
  port = port_of(l);
  connect_to(l, AF_INET, "127.0.0.1", port, "v6only v4");
  connect_to(l, AF_INET6, "::1", port, "v6only v6");
  int c = socket(AF_INET6, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(c, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  struct sockaddr_in6 mapped = at6("::ffff:127.0.0.1", port);
  printf("v6only: connect to a v4-mapped address: %s\n", err(connect(c, SA(mapped), sizeof mapped)));
  printf("v6only: bind to a v4-mapped address: %s\n", err(bind(c, SA(mapped), sizeof mapped)));
  close(c);
  d = socket(AF_INET, SOCK_STREAM, 0);
  any4 = at4("0.0.0.0", port);
  printf("v6only: IPv4 bind to its port: %s\n", err(bind(d, SA(any4), sizeof any4)));
  int dual2 = socket(AF_INET6, SOCK_STREAM, 0);
  struct sockaddr_in6 any6 = at6("::", port);
  close(l);
  printf("v6only: dual-stack bind to the port IPv4 holds: %s\n", err(bind(dual2, SA(any6), sizeof any6)));
  close(dual2);
  close(d);

  /* 127.0.0.1 and ::1 on one port. */
  int a = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in lo4 = at4("127.0.0.1", 0);
  bind(a, SA(lo4), sizeof lo4);
  int b = socket(AF_INET6, SOCK_STREAM, 0);
  struct sockaddr_in6 lo6 = at6("::1", port_of(a));
  printf("same port: ::1 beside 127.0.0.1: %s\n", err(bind(b, SA(lo6), sizeof lo6)));
  close(a);
  close(b);
}

static void udp6(void) {
  int r = socket(AF_INET6, SOCK_DGRAM, 0);
  struct sockaddr_in6 a = at6("::", 0);
  check(bind(r, SA(a), sizeof a) == 0, "bind udp");
  int port = port_of(r);
  int s = socket(AF_INET6, SOCK_DGRAM, 0);
  struct sockaddr_in6 to = at6("::1", port);
  printf("udp6: sendto ::1: %s\n", err(sendto(s, "six", 3, 0, SA(to), sizeof to)));
  struct sockaddr_in6 from;
  socklen_t fl = sizeof from;
  char buf[16] = {0};
  ssize_t n = recvfrom(r, buf, sizeof buf, 0, SA(from), &fl);
  char ip[64];
  inet_ntop(AF_INET6, &from.sin6_addr, ip, sizeof ip);
  printf("udp6: got %zd \"%s\" from %s len %u, the sender's port: %s\n", n, buf, ip, (unsigned)fl, ntohs(from.sin6_port) == port_of(s) ? "yes" : "no");
  printf("udp6: sender %s\n", name_of(s, 0, NULL));

  int s4 = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in to4 = at4("127.0.0.1", port);
  printf("udp6: IPv4 sendto 127.0.0.1: %s\n", err(sendto(s4, "four", 4, 0, SA(to4), sizeof to4)));
  fl = sizeof from;
  memset(buf, 0, sizeof buf);
  n = recvfrom(r, buf, sizeof buf, 0, SA(from), &fl);
  inet_ntop(AF_INET6, &from.sin6_addr, ip, sizeof ip);
  printf("udp6: got %zd \"%s\" from %s len %u, the sender's port: %s\n", n, buf, ip, (unsigned)fl, ntohs(from.sin6_port) == port_of(s4) ? "yes" : "no");

  /* An IPv6 datagram socket sends to a sockaddr_in too. */
  int r4 = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in b4 = at4("127.0.0.1", 0);
  bind(r4, SA(b4), sizeof b4);
  to4 = at4("127.0.0.1", port_of(r4));
  printf("udp6: IPv6 socket sendto a sockaddr_in: %s\n", err(sendto(s, "mix", 3, 0, SA(to4), sizeof to4)));
  struct sockaddr_in f4;
  fl = sizeof f4;
  memset(buf, 0, sizeof buf);
  n = recvfrom(r4, buf, sizeof buf, MSG_DONTWAIT, SA(f4), &fl);
  printf("udp6: IPv4 socket got %zd \"%s\"%s\n", n, n > 0 ? buf : "", n < 0 ? strerror(errno) : "");

  /* connect, then send and getpeername. */
  printf("udp6: connect %s", err(connect(s, SA(to), sizeof to)));
  printf(", send %s", err(send(s, "conn", 4, 0)));
  printf(", peer %s\n", name_of(s, 1, NULL));
  fl = sizeof from;
  n = recvfrom(r, buf, sizeof buf, 0, SA(from), &fl);
  printf("udp6: got %zd\n", n);
  static char big[65536];
  struct sockaddr_in6 lo = at6("::1", port);
  int u = socket(AF_INET6, SOCK_DGRAM, 0);
  printf("udp6: 65527 bytes: %s", err(sendto(u, big, 65527, 0, SA(lo), sizeof lo)));
  printf(", 65528 bytes: %s\n", err(sendto(u, big, 65528, 0, SA(lo), sizeof lo)));
  close(u);
  /* A datagram whose sender closed before it was read still names the sender. */
  int gone = socket(AF_INET6, SOCK_DGRAM, 0), still = socket(AF_INET6, SOCK_DGRAM, 0);
  struct sockaddr_in6 lo1 = at6("::1", 0);
  bind(gone, SA(lo1), sizeof lo1);
  bind(still, SA(lo1), sizeof lo1);
  int gport = port_of(gone);
  struct sockaddr_in6 sto = at6("::1", port_of(still));
  sendto(gone, "bye", 3, 0, SA(sto), sizeof sto);
  close(gone);
  fl = sizeof from;
  memset(&from, 0, sizeof from);
  n = recvfrom(still, buf, sizeof buf, 0, SA(from), &fl);
  close(still);
  inet_ntop(AF_INET6, &from.sin6_addr, ip, sizeof ip);
  printf("udp6: from a closed sender: %zd bytes from %s len %u, its port: %s\n", n, ip, (unsigned)fl, ntohs(from.sin6_port) == gport ? "yes" : "no");
  close(r);
  close(s);
  close(s4);
  close(r4);
}

static void errors(void) {
  int s = socket(AF_INET6, SOCK_STREAM, 0);
  struct sockaddr_in6 a = at6("::1", 0);
  printf("errors: bind with the length of a sockaddr_in: %s\n", err(bind(s, SA(a), sizeof(struct sockaddr_in))));
  printf("errors: bind with RFC 2133's length (24): %s\n", err(bind(s, SA(a), 24)));
  close(s);
  s = socket(AF_INET6, SOCK_STREAM, 0);
  a.sin6_family = AF_INET;
  printf("errors: bind a sockaddr_in6 saying AF_INET: %s\n", err(bind(s, SA(a), sizeof a)));
  struct sockaddr_in6 far = at6("2001:db8::1", 80);
  printf("errors: bind to 2001:db8::1: %s\n", err(bind(s, SA(far), sizeof far)));
  /* (ENETUNREACH or EHOSTUNREACH, as the host's routes have it) */
  printf("errors: connect to 2001:db8::1 fails: %s\n", connect(s, SA(far), sizeof far) < 0 ? "yes" : "no");
  struct sockaddr_in four = at4("127.0.0.1", 80);
  printf("errors: TCP connect to a sockaddr_in: %s\n", err(connect(s, SA(four), sizeof four)));
  close(s);

  /* A socket bound to :: takes ::1 as its own when it connects (as 0.0.0.0 takes 127.0.0.1). */
  int l = listener6("::1", -1);
  int c = socket(AF_INET6, SOCK_STREAM, 0);
  struct sockaddr_in6 any = at6("::", 0);
  bind(c, SA(any), sizeof any);
  struct sockaddr_in6 to = at6("::1", port_of(l));
  connect(c, SA(to), sizeof to);
  printf("source: bound to ::, connected: %s\n", name_of(c, 0, NULL));
  close(c);
  close(l);
  int l4 = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in b4 = at4("127.0.0.1", 0);
  bind(l4, SA(b4), sizeof b4);
  listen(l4, 1);
  int c4 = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in any4 = at4("0.0.0.0", 0);
  bind(c4, SA(any4), sizeof any4);
  struct sockaddr_in to4 = at4("127.0.0.1", port_of(l4));
  connect(c4, SA(to4), sizeof to4);
  printf("source: bound to 0.0.0.0, connected: %s\n", name_of(c4, 0, NULL));
  close(c4);
  close(l4);

  /* A non-blocking connect over IPv6. */
  l = listener6("::1", -1);
  c = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
  to = at6("::1", port_of(l));
  int r = connect(c, SA(to), sizeof to);
  printf("nonblocking: connect %s", r < 0 && errno == EINPROGRESS ? "EINPROGRESS" : err(r));
  struct pollfd p = {c, POLLOUT, 0};
  poll(&p, 1, 1000);
  int e = -1;
  socklen_t el = sizeof e;
  getsockopt(c, SOL_SOCKET, SO_ERROR, &e, &el);
  printf(", then POLLOUT %d, SO_ERROR %d\n", (p.revents & POLLOUT) != 0, e);
  close(c);
  close(l);
}

/* UDP connect and disconnect (AF_UNSPEC), as glibc's getaddrinfo sorts its answers: one IPv6
 * socket connected to ::1, disconnected, then connected to a sockaddr_in. */
static void disconnect(void) {
  struct sockaddr unspec;
  memset(&unspec, 0, sizeof unspec);
  unspec.sa_family = AF_UNSPEC;
  int s = socket(AF_INET6, SOCK_DGRAM, 0);
  struct sockaddr_in6 to = at6("::1", 9);
  connect(s, SA(to), sizeof to);
  printf("disconnect: connected to ::1: %s\n", name_of(s, 0, NULL));
  printf("disconnect: AF_UNSPEC %s", err(connect(s, &unspec, sizeof unspec)));
  int port = -1;
  const char *n = name_of(s, 0, &port);
  printf(", then %s port %d", n, port);
  printf(", peer %s\n", name_of(s, 1, NULL));
  struct sockaddr_in to4 = at4("127.0.0.1", 9);
  printf("disconnect: connect to a sockaddr_in %s", err(connect(s, SA(to4), sizeof to4)));
  printf(", then %s\n", name_of(s, 0, NULL));
  printf("disconnect: peer %s\n", name_of(s, 1, NULL));
  close(s);

  /* A port bind named stays; an unspecified address bind named comes back. */
  int t = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in any = at4("0.0.0.0", 0);
  bind(t, SA(any), sizeof any);
  int fixed = port_of(t);
  close(t);
  t = socket(AF_INET, SOCK_DGRAM, 0);
  any = at4("0.0.0.0", fixed);
  check(bind(t, SA(any), sizeof any) == 0, "bind fixed");
  to4 = at4("127.0.0.1", 9);
  connect(t, SA(to4), sizeof to4);
  port = -1;
  n = name_of(t, 0, &port);
  printf("disconnect: bound to 0.0.0.0:P, connected: %s, P: %s\n", n, port == fixed ? "yes" : "no");
  connect(t, &unspec, sizeof unspec);
  port = -1;
  n = name_of(t, 0, &port);
  printf("disconnect: then disconnected: %s, P: %s\n", n, port == fixed ? "yes" : "no");
  close(t);
  t = socket(AF_INET, SOCK_DGRAM, 0);
  any = at4("0.0.0.0", 0);
  bind(t, SA(any), sizeof any);
  connect(t, SA(to4), sizeof to4);
  connect(t, &unspec, sizeof unspec);
  port = -1;
  n = name_of(t, 0, &port);
  printf("disconnect: bound to port 0, connected, disconnected: %s port %d\n", n, port);
  close(t);

  /* getaddrinfo's sorting connects a datagram socket to each answer. */
  struct addrinfo hints, *res;
  memset(&hints, 0, sizeof hints);
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  hints.ai_socktype = SOCK_STREAM;
  int r = getaddrinfo(NULL, "8080", &hints, &res);
  printf("getaddrinfo(NULL, 8080, AI_PASSIVE): %s:", r == 0 ? "ok" : gai_strerror(r));
  for (struct addrinfo *p = r == 0 ? res : NULL; p; p = p->ai_next) printf(" %s", p->ai_family == AF_INET6 ? "AF_INET6" : "AF_INET");
  printf("\n");
  if (r == 0) freeaddrinfo(res);
}

/* Prints what a recvmsg got: bytes, MSG_CTRUNC, how much of the control buffer it used (less
 * than given: the negative difference), and each control message: level/type, the bytes of its
 * data, and the data (an int, a byte, or a pktinfo's address and interface). */
static void show(const char *what, int s, size_t controllen) {
  char buf[64];
  static char control[512];
  memset(control, 0x55, sizeof control);
  struct iovec iov = {buf, sizeof buf};
  struct msghdr m;
  memset(&m, 0, sizeof m);
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = controllen ? control : NULL;
  m.msg_controllen = controllen;
  ssize_t n = recvmsg(s, &m, MSG_DONTWAIT);
  if (n < 0) {
    printf("%s: %s\n", what, strerror(errno));
    return;
  }
  printf("%s: %zd bytes%s", what, n, (m.msg_flags & MSG_CTRUNC) ? " MSG_CTRUNC" : "");
  if (m.msg_controllen == 0) m.msg_control = NULL;
  size_t spaces = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
    long dl = (long)c->cmsg_len - (long)CMSG_LEN(0);
    spaces += dl >= 0 ? CMSG_SPACE(dl) : 0;
    unsigned char *d = CMSG_DATA(c);
    printf(" [%d/%d %ld", c->cmsg_level, c->cmsg_type, dl);
    char ip[64];
    if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO && dl >= (long)sizeof(struct in6_pktinfo)) {
      struct in6_pktinfo pi;
      memcpy(&pi, d, sizeof pi);
      inet_ntop(AF_INET6, &pi.ipi6_addr, ip, sizeof ip);
      printf(": %s if %d", ip, pi.ipi6_ifindex);
    } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO && dl >= (long)sizeof(struct in_pktinfo)) {
      struct in_pktinfo pi;
      memcpy(&pi, d, sizeof pi);
      char spec[32];
      inet_ntop(AF_INET, &pi.ipi_spec_dst, spec, sizeof spec);
      inet_ntop(AF_INET, &pi.ipi_addr, ip, sizeof ip);
      printf(": if %d spec %s addr %s", pi.ipi_ifindex, spec, ip);
    } else if (dl >= 4) {
      int v;
      memcpy(&v, d, 4);
      printf(": %d", v);
    } else if (dl >= 1) {
      printf(": byte %d", d[0]);
    }
    printf("]");
    if (dl < 0 || c->cmsg_len == 0) break;
  }
  /* (how much of the buffer it says it used: all of it, or the room of what it holds) */
  printf(", control used %s\n", m.msg_controllen == controllen ? "all" : m.msg_controllen == spaces ? "as held" : "other");
}

/* sendmsg from `s` to `to` with one or two control messages of one int each (type 0: none). */
static int send_ctl(int s, void *to, socklen_t tl, int level, int type, int v, int type2, int v2, size_t extra) {
  static char control[256];
  memset(control, 0, sizeof control);
  struct iovec iov = {"ctl", 3};
  struct msghdr m;
  memset(&m, 0, sizeof m);
  m.msg_name = to;
  m.msg_namelen = tl;
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = control;
  m.msg_controllen = 0;
  struct cmsghdr *c = (struct cmsghdr *)control;
  if (type) {
    c->cmsg_level = level;
    c->cmsg_type = type;
    c->cmsg_len = CMSG_LEN(sizeof(int) + extra);
    memcpy(CMSG_DATA(c), &v, sizeof v);
    m.msg_controllen = CMSG_SPACE(sizeof(int) + extra);
  }
  if (type2) {
    c = (struct cmsghdr *)(control + m.msg_controllen);
    c->cmsg_level = level;
    c->cmsg_type = type2;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &v2, sizeof v2);
    m.msg_controllen += CMSG_SPACE(sizeof(int));
  }
  return sendmsg(s, &m, 0);
}

static void setint(int s, int level, int opt, int v) {
  check(setsockopt(s, level, opt, &v, sizeof v) == 0, "setsockopt");
}

/* Ancillary data (RFC 3542 for IPv6, IP_PKTINFO/IP_RECVTTL/IP_RECVTOS for IPv4). */
static void ancillary(void) {
  int r = socket(AF_INET6, SOCK_DGRAM, 0);
  struct sockaddr_in6 a = at6("::", 0);
  bind(r, SA(a), sizeof a);
  struct sockaddr_in6 to = at6("::1", port_of(r));
  int s = socket(AF_INET6, SOCK_DGRAM, 0);
  sendto(s, "plain", 5, 0, SA(to), sizeof to);
  show("anc6: nothing asked", r, 256);
  setint(r, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
  setint(r, IPPROTO_IPV6, IPV6_RECVTCLASS, 1);
  setint(r, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
  printf("anc6: RECVHOPLIMIT reads %d, RECVPKTINFO %d\n", opt6(r, IPV6_RECVHOPLIMIT), opt6(r, IPV6_RECVPKTINFO));
  sendto(s, "plain", 5, 0, SA(to), sizeof to);
  show("anc6: defaults", r, 256);
  setint(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 9);
  setint(s, IPPROTO_IPV6, IPV6_TCLASS, 0x29);
  sendto(s, "set", 3, 0, SA(to), sizeof to);
  show("anc6: socket's hops 9 and class 0x29", r, 256);
  printf("anc6: sendmsg HOPLIMIT 3, TCLASS 7: %s\n", err(send_ctl(s, &to, sizeof to, IPPROTO_IPV6, IPV6_HOPLIMIT, 3, IPV6_TCLASS, 7, 0)));
  show("anc6: per message", r, 256);
  printf("anc6: sendmsg HOPLIMIT -1: %s\n", err(send_ctl(s, &to, sizeof to, IPPROTO_IPV6, IPV6_HOPLIMIT, -1, 0, 0, 0)));
  show("anc6: -1", r, 256);
  printf("anc6: HOPLIMIT 300: %s", err(send_ctl(s, &to, sizeof to, IPPROTO_IPV6, IPV6_HOPLIMIT, 300, 0, 0, 0)));
  printf(", TCLASS one byte long: %s", err(send_ctl(s, &to, sizeof to, IPPROTO_IPV6, IPV6_TCLASS, 1, 0, 0, 1)));
  printf(", unknown type: %s", err(send_ctl(s, &to, sizeof to, IPPROTO_IPV6, 9999, 1, 0, 0, 0)));
  printf(", SOL_SOCKET SCM_RIGHTS: %s", err(send_ctl(s, &to, sizeof to, SOL_SOCKET, SCM_RIGHTS, 0, 0, 0, 0)));
  printf(", IPPROTO_IP's IP_TTL: %s\n", err(send_ctl(s, &to, sizeof to, IPPROTO_IP, IP_TTL, 5, 0, 0, 0)));
  show("anc6: after those", r, 256);
  setint(r, IPPROTO_IPV6, IPV6_RECVPKTINFO, 0);
  for (int k = 0; k < 6; k++) sendto(s, "cut", 3, 0, SA(to), sizeof to);
  show("anc6: no room", r, 0);
  show("anc6: a header's room", r, CMSG_LEN(0));
  show("anc6: header and 2 bytes", r, CMSG_LEN(2));
  show("anc6: one whole", r, CMSG_SPACE(sizeof(int)));
  show("anc6: one and a header and a byte", r, CMSG_SPACE(sizeof(int)) + CMSG_LEN(0) + 1);
  show("anc6: one and less than a header", r, CMSG_SPACE(sizeof(int)) + CMSG_LEN(0) - 1);

  char junk[16];
  int left = 0;
  while (recv(r, junk, sizeof junk, MSG_DONTWAIT) > 0) left++;
  printf("anc6: %d left queued\n", left);

  /* An IPv4 datagram to the dual-stack socket: IPv4's control messages, then IPV6_PKTINFO. */
  setint(r, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
  setint(r, IPPROTO_IP, IP_RECVTTL, 1);
  int s4 = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in to4 = at4("127.0.0.1", port_of(r));
  sendto(s4, "four", 4, 0, SA(to4), sizeof to4);
  show("anc6: from IPv4", r, 256);

  /* IPv4. */
  int r4 = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in b4 = at4("127.0.0.1", 0);
  bind(r4, SA(b4), sizeof b4);
  to4 = at4("127.0.0.1", port_of(r4));
  setint(r4, IPPROTO_IP, IP_PKTINFO, 1);
  setint(r4, IPPROTO_IP, IP_RECVTTL, 1);
  setint(r4, IPPROTO_IP, IP_RECVTOS, 1);
  sendto(s4, "four", 4, 0, SA(to4), sizeof to4);
  show("anc4: defaults", r4, 256);
  setint(s4, IPPROTO_IP, IP_TTL, 17);
  setint(s4, IPPROTO_IP, IP_TOS, 0x10);
  sendto(s4, "four", 4, 0, SA(to4), sizeof to4);
  show("anc4: socket's TTL 17, TOS 0x10", r4, 256);
  printf("anc4: sendmsg IP_TTL 5, IP_TOS 8: %s\n", err(send_ctl(s4, &to4, sizeof to4, IPPROTO_IP, IP_TTL, 5, IP_TOS, 8, 0)));
  show("anc4: per message", r4, 256);
  printf("anc4: IP_TTL 0: %s", err(send_ctl(s4, &to4, sizeof to4, IPPROTO_IP, IP_TTL, 0, 0, 0, 0)));
  printf(", IPv6's HOPLIMIT: %s\n", err(send_ctl(s4, &to4, sizeof to4, IPPROTO_IPV6, IPV6_HOPLIMIT, 5, 0, 0, 0)));
  show("anc4: after those", r4, 256);
  int v = 0;
  socklen_t vl = sizeof v;
  int vals[] = {-1, 0, 256};
  for (int k = 0; k < 3; k++) {
    int e = setsockopt(s4, IPPROTO_IP, IP_TTL, &vals[k], sizeof vals[k]);
    vl = sizeof v;
    getsockopt(s4, IPPROTO_IP, IP_TTL, &v, &vl);
    printf("anc4: IP_TTL %d: %s, reads %d\n", vals[k], err(e), v);
  }
  int t4 = socket(AF_INET, SOCK_STREAM, 0);
  int tos = 0x1ff;
  setsockopt(s4, IPPROTO_IP, IP_TOS, &tos, sizeof tos);
  setsockopt(t4, IPPROTO_IP, IP_TOS, &tos, sizeof tos);
  int u1 = 0, u2 = 0, md = 0;
  vl = sizeof u1;
  getsockopt(s4, IPPROTO_IP, IP_TOS, &u1, &vl);
  vl = sizeof u2;
  getsockopt(t4, IPPROTO_IP, IP_TOS, &u2, &vl);
  vl = sizeof md;
  getsockopt(t4, IPPROTO_IP, IP_MTU_DISCOVER, &md, &vl);
  printf("anc4: IP_TOS 0x1ff reads %#x on UDP, %#x on TCP; IP_MTU_DISCOVER %d\n", u1, u2, md);
  close(t4);
  close(r);
  close(s);
  close(s4);
  close(r4);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  options();
  tcp6();
  dual();
  udp6();
  errors();
  disconnect();
  ancillary();
  printf("done\n");
  return 0;
}
