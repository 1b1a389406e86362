/* Unix domain sockets: socketpair of each type (stream bytes across writes, datagram and
 * sequenced-packet boundaries, MSG_PEEK, MSG_TRUNC, MSG_DONTWAIT), EOF on close and on
 * shutdown, EPIPE with and without MSG_NOSIGNAL; named stream and datagram sockets in the working
 * directory and in the abstract namespace (bind, listen, connect, accept, getsockname,
 * getpeername, sender addresses); descriptors passed with SCM_RIGHTS, SO_PEERCRED, socket
 * options, poll readiness, a megabyte through a forked child, and the usual errors. Prints only
 * what Linux makes deterministic. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include "guest.h"
#include "sockcheck.h"


static int status_of(pid_t p) {
  int st;
  waitpid(p, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static socklen_t addr_of(struct sockaddr_un *a, const char *path, int abstract) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  if (abstract) {
    a->sun_path[0] = 0;
    memcpy(a->sun_path + 1, path, strlen(path));
    return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(path);
  }
  strcpy(a->sun_path, path);
  return offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

static void pairs(void) {
  int sv[2];
  char buf[64];
  check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair stream");
  write(sv[0], "hello ", 6);
  write(sv[0], "world", 5);
  ssize_t n = read(sv[1], buf, sizeof buf);
  printf("stream: one read of two writes: %zd \"%.*s\"\n", n, (int)n, buf);
  write(sv[1], "back", 4);
  n = recv(sv[0], buf, 2, MSG_PEEK);
  printf("stream: peek %zd \"%.*s\"", n, (int)n, buf);
  n = recv(sv[0], buf, sizeof buf, 0);
  printf(", then read %zd \"%.*s\"\n", n, (int)n, buf);
  n = recv(sv[0], buf, sizeof buf, MSG_DONTWAIT);
  printf("stream: empty with MSG_DONTWAIT: %s\n", err(n));
  check(shutdown(sv[0], SHUT_WR) == 0, "shutdown");
  n = read(sv[1], buf, sizeof buf);
  printf("stream: after the peer's SHUT_WR: read %zd\n", n);
  n = send(sv[0], "x", 1, MSG_NOSIGNAL);
  printf("stream: send after own SHUT_WR: %s\n", err(n));
  n = write(sv[1], "still", 5);
  n = read(sv[0], buf, sizeof buf);
  printf("stream: the other direction still works: %zd\n", n);
  close(sv[1]);
  n = read(sv[0], buf, sizeof buf);
  printf("stream: read after the peer closed: %zd\n", n);
  n = send(sv[0], "x", 1, MSG_NOSIGNAL);
  printf("stream: send to a closed peer with MSG_NOSIGNAL: %s\n", err(n));
  close(sv[0]);

  check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair stream 2");
  close(sv[1]);
  signal(SIGPIPE, SIG_IGN);
  n = write(sv[0], "x", 1);
  printf("stream: write to a closed peer (SIGPIPE ignored): %s\n", err(n));
  signal(SIGPIPE, SIG_DFL);
  close(sv[0]);

  check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair stream 3");
  pid_t p = fork();
  if (p == 0) {
    close(sv[0]);
    write(sv[1], "x", 1);
    _exit(0);
  }
  close(sv[1]);
  status_of(p);
  /* the child's write went in before it exited: then EOF */
  n = read(sv[0], buf, sizeof buf);
  ssize_t m = read(sv[0], buf, sizeof buf);
  printf("stream: from an exited child: %zd then %zd\n", n, m);
  p = fork();
  if (p == 0) {
    char b;
    read(sv[0], &b, 1); /* never comes: the parent closes first */
    _exit(0);
  }
  close(sv[0]);
  printf("stream: a child with the other end: exit %d\n", status_of(p) == 0 ? 0 : 1);

  check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair waitall");
  p = fork();
  if (p == 0) {
    close(sv[0]);
    write(sv[1], "abc", 3);
    usleep(20000);
    write(sv[1], "defg", 4);
    usleep(20000);
    write(sv[1], "hijk", 4);
    _exit(0);
  }
  close(sv[1]);
  n = recv(sv[0], buf, 10, MSG_WAITALL);
  m = recv(sv[0], buf + 10, 10, MSG_WAITALL);
  printf("stream: MSG_WAITALL %zd \"%.*s\", then %zd at EOF\n", n, (int)n, buf, m);
  status_of(p);
  close(sv[0]);

  for (int type = 0; type < 2; type++) {
    int t = type == 0 ? SOCK_DGRAM : SOCK_SEQPACKET;
    const char *name = type == 0 ? "dgram" : "seqpacket";
    check(socketpair(AF_UNIX, t, 0, sv) == 0, "socketpair dgram");
    send(sv[0], "first", 5, 0);
    send(sv[0], "second!", 7, 0);
    send(sv[0], "", 0, 0);
    n = recv(sv[1], buf, sizeof buf, 0);
    printf("%s: %zd \"%.*s\"", name, n, (int)n, buf);
    n = recv(sv[1], buf, 3, MSG_PEEK | MSG_TRUNC);
    printf(", peek 3 with MSG_TRUNC: %zd", n);
    n = recv(sv[1], buf, 3, 0);
    printf(", read 3: %zd \"%.*s\"", n, (int)n, buf);
    n = recv(sv[1], buf, sizeof buf, 0);
    printf(", empty message: %zd\n", n);
    struct iovec iov = {buf, 2};
    struct msghdr mh = {0};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    send(sv[1], "abcdef", 6, 0);
    n = recvmsg(sv[0], &mh, 0);
    printf("%s: recvmsg 2 of 6: %zd, MSG_TRUNC %s\n", name, n, (mh.msg_flags & MSG_TRUNC) ? "set" : "clear");
    /* read() and readv() take one message whole, also into a buffer across pages */
    char *pages = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *msg = malloc(6000), *at = pages + 4096 - 100;
    for (int k = 0; k < 6000; k++) msg[k] = (char)(k * 7);
    send(sv[1], msg, 6000, 0);
    send(sv[1], msg, 6000, 0);
    n = read(sv[0], at, 8000);
    printf("%s: read of a 6000-byte message across pages: %zd, %s", name, n, n == 6000 && memcmp(at, msg, 6000) == 0 ? "intact" : "damaged");
    struct iovec two[2] = {{at, 50}, {at + 4000, 4000}};
    memset(at, 0, 8000);
    n = readv(sv[0], two, 2);
    printf("; readv into 50 + 4000: %zd, %s\n", n, n == 4050 && memcmp(at, msg, 50) == 0 && memcmp(at + 4000, msg + 50, 4000) == 0 ? "intact" : "damaged");
    free(msg);
    munmap(pages, 3 * 4096);
    close(sv[1]);
    n = recv(sv[0], buf, sizeof buf, MSG_DONTWAIT);
    printf("%s: after the peer closed: %s\n", name, n == 0 ? "EOF" : err(n));
    close(sv[0]);
  }
}

static void big_transfer(void) {
  int sv[2];
  check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair big");
  pid_t p = fork();
  if (p == 0) {
    close(sv[0]);
    uint32_t s = 12345;
    static unsigned char chunk[7919];
    size_t left = 1 << 20;
    while (left > 0) {
      size_t k = left < sizeof chunk ? left : sizeof chunk;
      for (size_t i = 0; i < k; i++) chunk[i] = rng_next(&s);
      size_t done = 0;
      while (done < k) {
        ssize_t w = write(sv[1], chunk + done, k - done);
        if (w <= 0) _exit(2);
        done += w;
      }
      left -= k;
    }
    _exit(0);
  }
  close(sv[1]);
  uint32_t h = FNV_INIT;
  size_t total = 0;
  static unsigned char buf[5000];
  ssize_t n;
  while ((n = read(sv[0], buf, sizeof buf)) > 0) {
    h = fnv(h, buf, n);
    total += n;
  }
  close(sv[0]);
  printf("a megabyte through a child: %zu bytes, checksum %08x, child exit %d\n", total, h, status_of(p));
}

static void named(void) {
  struct sockaddr_un a, got;
  socklen_t len = addr_of(&a, "srv.sock", 0), glen;
  char buf[64];
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  check(s >= 0, "socket");
  int opt;
  socklen_t ol = sizeof opt;
  getsockopt(s, SOL_SOCKET, SO_TYPE, &opt, &ol);
  printf("SO_TYPE %d (len %u)", opt, (unsigned)ol);
  getsockopt(s, SOL_SOCKET, SO_DOMAIN, &opt, &ol);
  printf(", SO_DOMAIN %d", opt);
  printf(", listen before bind: %s", err(listen(s, 5)));
  printf(", accept before listen: %s\n", err(accept(s, NULL, NULL)));
  check(bind(s, (struct sockaddr *)&a, len) == 0, "bind");
  struct stat st;
  check(stat("srv.sock", &st) == 0, "stat");
  printf("bound: the name is a socket: %s\n", S_ISSOCK(st.st_mode) ? "yes" : "no");
  int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
  printf("bind of a second socket to the name: %s\n", err(bind(s2, (struct sockaddr *)&a, len)));
  printf("bind of the bound socket again: %s\n", err(bind(s, (struct sockaddr *)&a, len)));
  close(s2);
  check(listen(s, 5) == 0, "listen");
  getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &opt, &ol);
  printf("SO_ACCEPTCONN %d\n", opt);
  glen = sizeof got;
  getsockname(s, (struct sockaddr *)&got, &glen);
  printf("getsockname: len %u path \"%s\"\n", (unsigned)glen, got.sun_path);
  fcntl(s, F_SETFL, O_NONBLOCK);
  printf("accept with nobody waiting (O_NONBLOCK): %s\n", err(accept(s, NULL, NULL)));
  fcntl(s, F_SETFL, 0);

  pid_t p = fork();
  if (p == 0) {
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&a, len) != 0) _exit(3);
    struct ucred cr;
    socklen_t cl = sizeof cr;
    getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &cl);
    char b[64];
    ssize_t n = read(c, b, sizeof b);
    if (n != 7 || memcmp(b, "welcome", 7) != 0) _exit(4);
    write(c, "thanks", 6);
    int again = connect(c, (struct sockaddr *)&a, len);
    _exit(again == -1 && errno == EISCONN && cr.pid == getppid() ? 0 : 5);
  }
  struct sockaddr_un peer;
  socklen_t plen = sizeof peer;
  int c = accept(s, (struct sockaddr *)&peer, &plen);
  check(c >= 0, "accept");
  printf("accepted: peer address len %u (unnamed)\n", (unsigned)plen);
  struct ucred cr;
  socklen_t cl = sizeof cr;
  getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &cl);
  printf("SO_PEERCRED: the peer is the child: %s, uid matches: %s\n", cr.pid == p ? "yes" : "no", cr.uid == geteuid() ? "yes" : "no");
  glen = sizeof got;
  getsockname(c, (struct sockaddr *)&got, &glen);
  printf("the accepted socket's name: \"%s\"\n", got.sun_path);
  write(c, "welcome", 7);
  ssize_t n = read(c, buf, sizeof buf);
  printf("from the client: \"%.*s\"; child exit %d\n", (int)n, buf, status_of(p));
  close(c);
  close(s);

  int d = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un none;
  socklen_t nlen = addr_of(&none, "nothing-here", 0);
  printf("connect to a missing name: %s\n", err(connect(d, (struct sockaddr *)&none, nlen)));
  printf("connect to the name of a closed socket: %s\n", err(connect(d, (struct sockaddr *)&a, len)));
  close(open("plain", O_CREAT | O_WRONLY, 0644));
  nlen = addr_of(&none, "plain", 0);
  printf("connect to a regular file: %s\n", err(connect(d, (struct sockaddr *)&none, nlen)));
  printf("getpeername unconnected: %s\n", err(getpeername(d, (struct sockaddr *)&got, &glen)));
  a.sun_family = AF_INET;
  printf("bind with another family: %s\n", err(bind(d, (struct sockaddr *)&a, len)));
  close(d);
  unlink("srv.sock");
  unlink("plain");
  int fds[2];
  pipe(fds);
  printf("a socket call on a pipe: %s\n", err(listen(fds[0], 1)));
  close(fds[0]);
  close(fds[1]);
}

static void datagrams(void) {
  struct sockaddr_un sa, ca, from;
  socklen_t sl = addr_of(&sa, "dg.srv", 0), cl = addr_of(&ca, "dg.cli", 0), fl;
  char buf[64];
  int s = socket(AF_UNIX, SOCK_DGRAM, 0), c = socket(AF_UNIX, SOCK_DGRAM, 0), u = socket(AF_UNIX, SOCK_DGRAM, 0);
  check(bind(s, (struct sockaddr *)&sa, sl) == 0 && bind(c, (struct sockaddr *)&ca, cl) == 0, "bind dgram");
  sendto(c, "from c", 6, 0, (struct sockaddr *)&sa, sl);
  sendto(u, "from u", 6, 0, (struct sockaddr *)&sa, sl);
  fl = sizeof from;
  ssize_t n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
  printf("dgram: \"%.*s\" from \"%s\" (len %u)\n", (int)n, buf, from.sun_path, (unsigned)fl);
  fl = sizeof from;
  n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
  printf("dgram: \"%.*s\" from an unbound socket (len %u)\n", (int)n, buf, (unsigned)fl);
  printf("dgram: send without a destination: %s\n", err(send(u, "x", 1, 0)));
  check(connect(u, (struct sockaddr *)&sa, sl) == 0, "connect dgram");
  send(u, "connected", 9, 0);
  n = recv(s, buf, sizeof buf, 0);
  printf("dgram: after connect, send: \"%.*s\"\n", (int)n, buf);
  check(connect(s, (struct sockaddr *)&ca, cl) == 0, "connect dgram 2");
  printf("dgram: to a socket connected elsewhere: %s\n", err(send(u, "x", 1, 0)));
  close(s);
  printf("dgram: to a closed destination: %s\n", err(send(u, "x", 1, 0)));
  close(c);
  close(u);
  unlink("dg.srv");
  unlink("dg.cli");

  /* the abstract namespace: names without files */
  char name[64];
  snprintf(name, sizeof name, "exojit-sockets-test-%d", (int)getpid());
  struct sockaddr_un aa;
  socklen_t al = addr_of(&aa, name, 1);
  int x = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  check(bind(x, (struct sockaddr *)&aa, al) == 0 && listen(x, 1) == 0, "abstract bind");
  struct sockaddr_un got;
  socklen_t gl = sizeof got;
  getsockname(x, (struct sockaddr *)&got, &gl);
  printf("abstract: getsockname len matches: %s, leading NUL: %s\n", gl == al ? "yes" : "no", got.sun_path[0] == 0 ? "yes" : "no");
  int y = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  check(connect(y, (struct sockaddr *)&aa, al) == 0, "abstract connect");
  int z = accept(x, NULL, NULL);
  send(y, "packet one", 10, 0);
  send(y, "two", 3, 0);
  n = recv(z, buf, sizeof buf, 0);
  ssize_t m = recv(z, buf + 20, sizeof buf - 20, 0);
  printf("abstract seqpacket: %zd then %zd\n", n, m);
  int w = socket(AF_UNIX, SOCK_STREAM, 0);
  printf("abstract: a stream socket to a seqpacket listener: %s\n", err(connect(w, (struct sockaddr *)&aa, al)));
  close(w);
  close(x);
  close(y);
  close(z);
  int q = socket(AF_UNIX, SOCK_STREAM, 0);
  printf("abstract: connect after the listener closed: %s\n", err(connect(q, (struct sockaddr *)&aa, al)));
  /* autobind: an address of the family alone */
  struct sockaddr_un fam = {.sun_family = AF_UNIX};
  check(bind(q, (struct sockaddr *)&fam, sizeof(sa_family_t)) == 0, "autobind");
  gl = sizeof got;
  getsockname(q, (struct sockaddr *)&got, &gl);
  printf("autobind: len %u, abstract %s\n", (unsigned)gl, got.sun_path[0] == 0 ? "yes" : "no");
  close(q);
}

static void passing(void) {
  int sv[2], pfd[2];
  check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair rights");
  check(pipe(pfd) == 0, "pipe");
  pid_t p = fork();
  if (p == 0) {
    close(sv[0]);
    char b[16];
    struct iovec iov = {b, sizeof b};
    union {
      struct cmsghdr h;
      char space[CMSG_SPACE(2 * sizeof(int))];
    } u;
    struct msghdr mh = {0};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = u.space;
    mh.msg_controllen = sizeof u.space;
    ssize_t n = recvmsg(sv[1], &mh, 0);
    struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
    if (n != 3 || h == NULL || h->cmsg_type != SCM_RIGHTS || h->cmsg_len != CMSG_LEN(2 * sizeof(int))) _exit(6);
    int got[2];
    memcpy(got, CMSG_DATA(h), sizeof got);
    char line[32];
    ssize_t k = read(got[0], line, sizeof line);
    write(got[1], "via passed fd\n", 14);
    printf("child: %zd bytes from the passed read end: \"%.*s\"\n", k, (int)k, line);
    fflush(stdout);
    _exit(0);
  }
  close(sv[1]);
  write(pfd[1], "through the pipe", 16);
  int pass[2] = {pfd[0], 1};
  struct iovec iov = {"fds", 3};
  union {
    struct cmsghdr h;
    char space[CMSG_SPACE(2 * sizeof(int))];
  } u;
  memset(&u, 0, sizeof u);
  struct msghdr mh = {0};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = u.space;
  mh.msg_controllen = sizeof u.space;
  struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
  h->cmsg_level = SOL_SOCKET;
  h->cmsg_type = SCM_RIGHTS;
  h->cmsg_len = CMSG_LEN(sizeof pass);
  memcpy(CMSG_DATA(h), pass, sizeof pass);
  fflush(stdout);
  check(sendmsg(sv[0], &mh, 0) == 3, "sendmsg rights");
  close(pfd[0]);
  printf("parent: child exit %d\n", status_of(p));
  close(pfd[1]);

  /* a control buffer too small for what came: MSG_CTRUNC, and the descriptors are not installed */
  int sp[2];
  check(socketpair(AF_UNIX, SOCK_DGRAM, 0, sp) == 0, "socketpair ctrunc");
  memset(&u, 0, sizeof u);
  mh.msg_control = u.space;
  mh.msg_controllen = CMSG_SPACE(2 * sizeof(int));
  h = CMSG_FIRSTHDR(&mh);
  h->cmsg_level = SOL_SOCKET;
  h->cmsg_type = SCM_RIGHTS;
  h->cmsg_len = CMSG_LEN(sizeof pass);
  int two[2] = {0, 1};
  memcpy(CMSG_DATA(h), two, sizeof two);
  iov.iov_base = "m";
  iov.iov_len = 1;
  check(sendmsg(sp[0], &mh, 0) == 1, "sendmsg 2");
  char small[CMSG_SPACE(0)];
  char b1[4];
  struct iovec riov = {b1, sizeof b1};
  struct msghdr rm = {0};
  rm.msg_iov = &riov;
  rm.msg_iovlen = 1;
  rm.msg_control = small;
  rm.msg_controllen = sizeof small;
  int before = dup(0);
  close(before);
  ssize_t n = recvmsg(sp[1], &rm, 0);
  int after = dup(0);
  close(after);
  printf("small control buffer: %zd bytes, MSG_CTRUNC %s, no descriptor installed: %s\n", n, (rm.msg_flags & MSG_CTRUNC) ? "set" : "clear", before == after ? "yes" : "no");
  close(sp[0]);
  close(sp[1]);
  close(sv[0]);
}

static void readiness(void) {
  int sv[2];
  check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair poll");
  struct pollfd pf[2] = {{sv[0], POLLIN | POLLOUT, 0}, {sv[1], POLLIN | POLLOUT, 0}};
  poll(pf, 2, 0);
  printf("poll fresh pair: %x %x\n", pf[0].revents, pf[1].revents);
  write(sv[0], "x", 1);
  poll(pf, 2, 0);
  printf("poll after a write: %x %x\n", pf[0].revents, pf[1].revents);
  int avail = 0;
  struct pollfd one = {sv[1], POLLIN, 0};
  pid_t p = fork();
  if (p == 0) {
    usleep(20000);
    write(sv[0], "late", 4);
    _exit(0);
  }
  char b[8];
  read(sv[1], b, 1);
  int r = poll(&one, 1, 5000);
  avail = read(sv[1], b, sizeof b);
  printf("poll waited for a child's write: %d, then read %d\n", r, avail);
  status_of(p);
  shutdown(sv[0], SHUT_WR);
  pf[1].events = POLLIN | POLLRDHUP;
  poll(&pf[1], 1, 0);
  printf("poll after the peer's SHUT_WR: %x\n", pf[1].revents);
  close(sv[0]);
  pf[1].events = POLLIN | POLLOUT;
  poll(&pf[1], 1, 0);
  printf("poll after the peer closed: %x\n", pf[1].revents);
  close(sv[1]);

  /* fill a non-blocking stream until it would block */
  check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0, "socketpair nonblock");
  static char chunk[4096];
  long total = 0;
  ssize_t w;
  while ((w = write(sv[0], chunk, sizeof chunk)) > 0) total += w;
  printf("non-blocking stream fills up: %s after some bytes: %s\n", err(w), total > 0 ? "yes" : "no");
  pf[0].fd = sv[0];
  pf[0].events = POLLOUT;
  poll(pf, 1, 0);
  printf("poll POLLOUT when full: %x\n", pf[0].revents);
  close(sv[0]);
  close(sv[1]);
}

static void show(const char *what, int r) {
  printf("%s: %d %s\n", what, r, r < 0 ? strerror(errno) : "");
}

/* Bad arguments: EFAULT for pointers to nowhere (and a receive into one loses nothing), EINVAL
 * and the other errors for bad lengths, flags and options. */
/* sendmmsg and recvmmsg: lengths written beside each message, MSG_WAITFORONE, a blocking call
 * waiting for all it asked for. */
static void multiple(void) {
  int sv[2];
  check(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0, "socketpair mmsg");
  struct mmsghdr m[4];
  struct iovec iov[4];
  char bufs[4][16];
  const char *words[3] = {"one", "three", "seventeen"};
  memset(m, 0, sizeof m);
  for (int i = 0; i < 3; i++) {
    iov[i].iov_base = (void *)words[i];
    iov[i].iov_len = strlen(words[i]);
    m[i].msg_hdr.msg_iov = &iov[i];
    m[i].msg_hdr.msg_iovlen = 1;
  }
  int n = sendmmsg(sv[0], m, 3, 0);
  printf("sendmmsg: %d, lengths %u %u %u\n", n, m[0].msg_len, m[1].msg_len, m[2].msg_len);
  memset(m, 0, sizeof m);
  for (int i = 0; i < 4; i++) {
    iov[i].iov_base = bufs[i];
    iov[i].iov_len = sizeof bufs[i];
    m[i].msg_hdr.msg_iov = &iov[i];
    m[i].msg_hdr.msg_iovlen = 1;
  }
  n = recvmmsg(sv[1], m, 4, MSG_WAITFORONE, NULL);
  printf("recvmmsg of 4 with MSG_WAITFORONE: %d:", n);
  for (int i = 0; i < n; i++) printf(" %.*s", (int)m[i].msg_len, bufs[i]);
  printf("\n");
  printf("recvmmsg on an empty socket (MSG_DONTWAIT): %s\n", err(recvmmsg(sv[1], m, 4, MSG_DONTWAIT, NULL)));
  pid_t p = fork();
  if (p == 0) {
    usleep(20000);
    send(sv[0], "a", 1, 0);
    usleep(20000);
    send(sv[0], "bc", 2, 0);
    _exit(0);
  }
  n = recvmmsg(sv[1], m, 2, 0, NULL);
  printf("recvmmsg waiting for 2: %d (lengths %u, %u)\n", n, m[0].msg_len, m[1].msg_len);
  status_of(p);
  close(sv[0]);
  close(sv[1]);
}

/* SO_RCVTIMEO and SO_SNDTIMEO: a receive, an accept and a send into a full socket end with
 * EAGAIN after the time; a signal ends a timed wait with EINTR even under SA_RESTART. */
static void on_alarm(int sig) {
  (void)sig;
}

static long ms_since(struct timespec *t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void timeouts(void) {
  int sv[2];
  check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair timeouts");
  struct timeval tv = {0, 80000}, got;
  socklen_t gl = sizeof got;
  check(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0, "SO_RCVTIMEO");
  getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &got, &gl);
  printf("SO_RCVTIMEO reads back %ld.%06ld (len %s)\n", (long)got.tv_sec, (long)got.tv_usec, gl == sizeof got ? "a timeval's" : "wrong");
  struct timespec t0;
  char b[8];
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int r = recv(sv[0], b, sizeof b, 0);
  long ms = ms_since(&t0);
  printf("recv with nothing to read: %s after the timeout: %s\n", err(r), ms >= 70 ? "yes" : "no");
  write(sv[1], "x", 1);
  printf("then with data: %s\n", err(read(sv[0], b, sizeof b)));
  struct timeval bad = {0, 1000000};
  printf("a timeout of 1000000 us: %s\n", err(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &bad, sizeof bad)));

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  struct timeval longer = {2, 0};
  setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &longer, sizeof longer);
  struct itimerval it = {{0, 0}, {0, 30000}};
  setitimer(ITIMER_REAL, &it, NULL);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  r = recv(sv[0], b, sizeof b, 0);
  ms = ms_since(&t0);
  printf("a signal during a timed recv (SA_RESTART): %s, before the timeout: %s\n", err(r), ms < 1500 ? "yes" : "no");
  signal(SIGALRM, SIG_DFL);

  /* fill the other end, then a timed send */
  fcntl(sv[1], F_SETFL, O_NONBLOCK);
  static char chunk[4096];
  while (write(sv[1], chunk, sizeof chunk) > 0) {
  }
  fcntl(sv[1], F_SETFL, 0);
  check(setsockopt(sv[1], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == 0, "SO_SNDTIMEO");
  clock_gettime(CLOCK_MONOTONIC, &t0);
  r = write(sv[1], chunk, sizeof chunk);
  ms = ms_since(&t0);
  printf("send into a full socket: %s after the timeout: %s\n", err(r), ms >= 70 ? "yes" : "no");
  close(sv[0]);
  close(sv[1]);

  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un a;
  socklen_t len = addr_of(&a, "timed.sock", 0);
  check(bind(l, (struct sockaddr *)&a, len) == 0 && listen(l, 1) == 0, "listen timed");
  setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  r = accept(l, NULL, NULL);
  ms = ms_since(&t0);
  printf("accept with nobody connecting: %s after the timeout: %s\n", err(r), ms >= 70 ? "yes" : "no");
  close(l);
  unlink("timed.sock");
}

static void *volatile nowhere = (void *)16;

static void bad_arguments(void) {
  int sv[2], v;
  void *bad = nowhere;
  show("socketpair with a bad array", socketpair(AF_UNIX, SOCK_STREAM, 0, bad));
  show("socket of type 99", socket(AF_UNIX, 99, 0));
  show("socket of protocol 7", socket(AF_UNIX, SOCK_STREAM, 7));
  show("socket with unknown flags", socket(AF_UNIX, SOCK_STREAM | 0x10000000, 0));
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  show("bind NULL", bind(s, NULL, 10));
  show("bind to a bad address", bind(s, bad, 10));
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  show("bind length 200", bind(s, (struct sockaddr *)&a, 200));
  show("bind length 1", bind(s, (struct sockaddr *)&a, 1));
  show("connect to a bad address", connect(s, bad, 10));
  check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair bad");
  show("send from a bad buffer", send(sv[0], bad, 10, 0));
  write(sv[1], "abc", 3);
  show("recv into a bad buffer", recv(sv[0], bad, 10, 0));
  char keep[8];
  show("recv after it", recv(sv[0], keep, sizeof keep, MSG_DONTWAIT));
  show("sendmsg of a bad msghdr", sendmsg(sv[0], bad, 0));
  show("recvmsg of a bad msghdr", recvmsg(sv[0], bad, 0));
  socklen_t l = 4;
  show("getsockopt with a bad length pointer", getsockopt(s, SOL_SOCKET, SO_TYPE, &v, bad));
  show("getsockopt into a bad buffer", getsockopt(s, SOL_SOCKET, SO_TYPE, bad, &l));
  show("getsockopt of an unknown option", getsockopt(s, SOL_SOCKET, 9999, &v, &l));
  show("getsockopt at level TCP", getsockopt(s, 6, 1, &v, &l));
  show("setsockopt with 2 bytes", setsockopt(s, SOL_SOCKET, SO_PASSCRED, &v, 2));
  show("shutdown how 7", shutdown(sv[0], 7));
  show("shutdown unconnected", shutdown(s, SHUT_RDWR));
  show("accept4 with unknown flags", accept4(s, NULL, NULL, 0x1));
  int d = socket(AF_UNIX, SOCK_DGRAM, 0);
  show("listen on a datagram socket", listen(d, 1));
  struct msghdr mh = {0};
  mh.msg_iovlen = 5000;
  show("sendmsg of 5000 iovecs", sendmsg(sv[0], &mh, 0));
  close(d);
  close(s);
  close(sv[0]);
  close(sv[1]);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  pairs();
  big_transfer();
  named();
  datagrams();
  passing();
  readiness();
  multiple();
  timeouts();
  bad_arguments();
  printf("done\n");
  /* no urgent data: a stream's MSG_OOB receive is EINVAL, a datagram's EOPNOTSUPP; a negative
   * msg_namelen is EINVAL with a name, nothing without one */
  {
    int ov[2], dv2[2];
    char ob[8];
    socketpair(AF_UNIX, SOCK_STREAM, 0, ov);
    socketpair(AF_UNIX, SOCK_DGRAM, 0, dv2);
    ssize_t k = recv(ov[0], ob, sizeof ob, MSG_OOB | MSG_DONTWAIT);
    printf("stream MSG_OOB: %zd %s\n", k, strerror(errno));
    k = recv(dv2[0], ob, sizeof ob, MSG_OOB | MSG_DONTWAIT);
    printf("dgram MSG_OOB: %zd %s\n", k, strerror(errno));
    struct sockaddr_un from;
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_name = &from;
    m.msg_namelen = -1;
    k = recvmsg(ov[0], &m, MSG_DONTWAIT);
    printf("negative msg_namelen: %zd %s\n", k, strerror(errno));
    m.msg_name = NULL;
    k = recvmsg(ov[0], &m, MSG_DONTWAIT);
    printf("negative msg_namelen, no name: %zd %s\n", k, strerror(errno));
    close(ov[0]);
    close(ov[1]);
    close(dv2[0]);
    close(dv2[1]);
  }
  return 0;
}
