/* TCP and UDP over the loopback with data held back: MSG_MORE and TCP_CORK keep bytes from the
 * peer until a send lets them go, the cork comes out, the connection is shut down, or Linux's
 * 200 ms ceiling passes; UDP's MSG_MORE and UDP_CORK build one datagram from several sends.
 * Then IPPROTO_TCP's options as setsockopt checks them and getsockopt reads them back. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void got(const char *what, long n) { printf("%s: %ld %s\n", what, n, n < 0 ? strerror(errno) : ""); }

static long take(int fd, int wait_ms) {
  char buf[256];
  struct pollfd p = {fd, POLLIN, 0};
  if (wait_ms > 0) poll(&p, 1, wait_ms);
  return recv(fd, buf, sizeof buf, MSG_DONTWAIT);
}

static int opt(int fd, int level, int name) {
  int v = -12345;
  socklen_t l = sizeof v;
  if (getsockopt(fd, level, name, &v, &l) < 0) return -errno * 1000;
  return v;
}

static int set(int fd, int level, int name, int v) { return setsockopt(fd, level, name, &v, sizeof v) < 0 ? -errno : 0; }

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  bind(l, (struct sockaddr *)&a, sizeof a);
  listen(l, 1);
  getsockname(l, (struct sockaddr *)&a, &al);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  printf("MAXSEG unconnected %d\n", opt(c, IPPROTO_TCP, TCP_MAXSEG));
  connect(c, (struct sockaddr *)&a, sizeof a);
  int s = accept(l, NULL, NULL);
  char sixteen[16];
  memset(sixteen, 'x', sizeof sixteen);

  got("send MSG_MORE", send(c, sixteen, 16, MSG_MORE));
  got("  the peer reads", take(s, 0));
  got("send", send(c, sixteen, 16, 0));
  got("  the peer reads", take(s, 1000));
  set(c, IPPROTO_TCP, TCP_CORK, 1);
  got("send under TCP_CORK", send(c, sixteen, 10, 0));
  got("  the peer reads", take(s, 0));
  printf("TCP_CORK now %d\n", opt(c, IPPROTO_TCP, TCP_CORK));
  set(c, IPPROTO_TCP, TCP_CORK, 0);
  got("  after the cork comes out, the peer reads", take(s, 1000));
  set(c, IPPROTO_TCP, TCP_CORK, 1);
  got("send under TCP_CORK, left in", send(c, sixteen, 5, 0));
  got("  the peer reads at once", take(s, 0));
  got("  the peer reads within a second", take(s, 1000));
  set(c, IPPROTO_TCP, TCP_CORK, 0);
  got("send MSG_MORE, then shutdown", send(c, sixteen, 7, MSG_MORE));
  shutdown(c, SHUT_WR);
  got("  the peer reads", take(s, 1000));
  got("  then", take(s, 1000));

  /* options */
  printf("MAXSEG connected %d\n", opt(c, IPPROTO_TCP, TCP_MAXSEG));
  printf("MAXSEG 50: %d, 40000: %d\n", set(c, IPPROTO_TCP, TCP_MAXSEG, 50), set(c, IPPROTO_TCP, TCP_MAXSEG, 40000));
  printf("KEEPIDLE %d KEEPINTVL %d KEEPCNT %d SYNCNT %d\n", opt(c, IPPROTO_TCP, TCP_KEEPIDLE), opt(c, IPPROTO_TCP, TCP_KEEPINTVL),
         opt(c, IPPROTO_TCP, TCP_KEEPCNT), opt(c, IPPROTO_TCP, TCP_SYNCNT));
  printf("set KEEPIDLE 10: %d, 0: %d, 40000: %d; now %d\n", set(c, IPPROTO_TCP, TCP_KEEPIDLE, 10), set(c, IPPROTO_TCP, TCP_KEEPIDLE, 0),
         set(c, IPPROTO_TCP, TCP_KEEPIDLE, 40000), opt(c, IPPROTO_TCP, TCP_KEEPIDLE));
  printf("set KEEPCNT 128: %d, KEEPINTVL 5: %d, SYNCNT 0: %d\n", set(c, IPPROTO_TCP, TCP_KEEPCNT, 128), set(c, IPPROTO_TCP, TCP_KEEPINTVL, 5),
         set(c, IPPROTO_TCP, TCP_SYNCNT, 0));
  printf("LINGER2 %d", opt(c, IPPROTO_TCP, TCP_LINGER2));
  set(c, IPPROTO_TCP, TCP_LINGER2, 500);
  printf(", after 500: %d", opt(c, IPPROTO_TCP, TCP_LINGER2));
  set(c, IPPROTO_TCP, TCP_LINGER2, -5);
  printf(", after -5: %d\n", opt(c, IPPROTO_TCP, TCP_LINGER2));
  set(l, IPPROTO_TCP, TCP_DEFER_ACCEPT, 5);
  printf("DEFER_ACCEPT 5 reads %d; QUICKACK %d; USER_TIMEOUT -1: %d; THIN_DUPACK 2: %d\n", opt(l, IPPROTO_TCP, TCP_DEFER_ACCEPT),
         opt(c, IPPROTO_TCP, TCP_QUICKACK), set(c, IPPROTO_TCP, TCP_USER_TIMEOUT, -1), set(c, IPPROTO_TCP, TCP_THIN_DUPACK, 2));
  printf("NODELAY %d, after set %d\n", opt(c, IPPROTO_TCP, TCP_NODELAY), (set(c, IPPROTO_TCP, TCP_NODELAY, 1), opt(c, IPPROTO_TCP, TCP_NODELAY)));
  printf("unknown option 99: %d\n", opt(c, IPPROTO_TCP, 99));
  char cc[32] = {0};
  socklen_t cl = sizeof cc;
  getsockopt(c, IPPROTO_TCP, TCP_CONGESTION, cc, &cl);
  /* (the default is the system's: Linux's is cubic, a host may choose bbr) */
  printf("congestion default built in %d (%u bytes)", strcmp(cc, "cubic") == 0 || strcmp(cc, "bbr") == 0 || strcmp(cc, "reno") == 0, cl);
  printf(", reno: %d", setsockopt(c, IPPROTO_TCP, TCP_CONGESTION, "reno", 4) < 0 ? -errno : 0);
  cl = sizeof cc;
  getsockopt(c, IPPROTO_TCP, TCP_CONGESTION, cc, &cl);
  printf(" -> %s, nope: %d\n", cc, setsockopt(c, IPPROTO_TCP, TCP_CONGESTION, "nope", 4) < 0 ? -errno : 0);
  struct tcp_info ti;
  socklen_t tl = sizeof ti;
  getsockopt(s, IPPROTO_TCP, TCP_INFO, &ti, &tl);
  printf("tcp_info: state %d (close-wait after the peer's shutdown), cwnd %u", ti.tcpi_state, ti.tcpi_snd_cwnd);
  tl = sizeof ti;
  getsockopt(l, IPPROTO_TCP, TCP_INFO, &ti, &tl);
  printf("; listening: state %d\n", ti.tcpi_state);
  close(c);
  close(s);
  close(l);

  /* UDP */
  int u1 = socket(AF_INET, SOCK_DGRAM, 0), u2 = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in b = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t bl = sizeof b;
  bind(u2, (struct sockaddr *)&b, sizeof b);
  getsockname(u2, (struct sockaddr *)&b, &bl);
  connect(u1, (struct sockaddr *)&b, sizeof b);
  got("udp send MSG_MORE", send(u1, "abc", 3, MSG_MORE));
  got("udp send MSG_MORE", send(u1, "def", 3, MSG_MORE));
  got("  the peer reads", take(u2, 0));
  got("udp send", send(u1, "gh", 2, 0));
  got("  the peer reads one datagram of", take(u2, 1000));
  got("  then", take(u2, 0));
  printf("UDP_CORK %d: %d\n", set(u1, IPPROTO_UDP, UDP_CORK, 1), opt(u1, IPPROTO_UDP, UDP_CORK));
  send(u1, "x", 1, 0);
  send(u1, "yz", 2, 0);
  got("  under UDP_CORK the peer reads", take(u2, 0));
  set(u1, IPPROTO_UDP, UDP_CORK, 0);
  got("  the cork out, the peer reads", take(u2, 1000));
  printf("unknown UDP option 99: %d\n", opt(u1, IPPROTO_UDP, 99));
  printf("done\n");
  return 0;
}
