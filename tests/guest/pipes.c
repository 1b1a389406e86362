/* Pipes: a three-process pipeline moving 8 MiB with a checksum at the end, end of file when the
 * last writer closes, SIGPIPE and EPIPE, O_NONBLOCK and EAGAIN, PIPE_BUF atomicity with several
 * writers, FIONREAD and F_GETPIPE_SZ; and readiness: poll, select, pselect and epoll (level and
 * edge triggered, one-shot) on pipes, with timeouts. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/personality.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "guest.h"

#define TOTAL (8 << 20)

/* A descriptor number that is surely not open here (the process that started us may have leaked
 * some, so a fixed number is not enough). */
/* The lowest free descriptor, closed: it lies inside Linux's descriptor
   table, whose size (64, then multiples of 128) decides whether select
   reports EBADF for a closed fd or ignores one beyond the table. */
static int closed_fd(void) {
  int fd = dup(1);
  close(fd);
  return fd;
}

static int status_of(pid_t p) {
  int st;
  waitpid(p, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Writes TOTAL deterministic bytes in odd-sized chunks. */
static void produce(int fd) {
  uint32_t s = 12345;
  static unsigned char buf[70000];
  size_t done = 0;
  while (done < TOTAL) {
    size_t n = 1 + rng_next(&s) % sizeof buf;
    if (n > TOTAL - done) n = TOTAL - done;
    for (size_t i = 0; i < n; i++) buf[i] = (unsigned char)(done + i) * 7;
    size_t w = 0;
    while (w < n) {
      ssize_t k = write(fd, buf + w, n - w);
      if (k <= 0) _exit(3);
      w += k;
    }
    done += n;
  }
}

static volatile sig_atomic_t got_pipe;
static void on_pipe(int s) { (void)s; got_pipe++; }

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);

  /* 1. producer | doubler | checksum */
  int a[2], b[2], res[2];
  pipe(a);
  pipe(b);
  pipe(res);
  pid_t p1 = fork();
  if (p1 == 0) {
    close(a[0]), close(b[0]), close(b[1]), close(res[0]), close(res[1]);
    produce(a[1]);
    _exit(0);
  }
  pid_t p2 = fork();
  if (p2 == 0) {
    close(a[1]), close(b[0]), close(res[0]), close(res[1]);
    static unsigned char buf[4096 * 3 + 17];
    ssize_t n;
    while ((n = read(a[0], buf, sizeof buf)) > 0) {
      for (ssize_t i = 0; i < n; i++) buf[i] ^= 0x5a;
      if (write(b[1], buf, n) != n) _exit(4);
    }
    _exit(n == 0 ? 0 : 5);
  }
  pid_t p3 = fork();
  if (p3 == 0) {
    close(a[0]), close(a[1]), close(b[1]), close(res[0]);
    static unsigned char buf[65536];
    uint32_t h = FNV_INIT;
    size_t total = 0;
    ssize_t n;
    while ((n = read(b[0], buf, sizeof buf)) > 0) {
      h = fnv(h, buf, n);
      total += n;
    }
    char msg[80];
    int k = snprintf(msg, sizeof msg, "pipeline: %zu bytes, hash %08x\n", total, h);
    write(res[1], msg, k);
    _exit(0);
  }
  close(a[0]), close(a[1]), close(b[0]), close(b[1]), close(res[1]);
  char msg[128];
  int n = read(res[0], msg, sizeof msg);
  fwrite(msg, 1, n, stdout);
  printf("pipeline statuses %d %d %d\n", status_of(p1), status_of(p2), status_of(p3));
  close(res[0]);

  /* 2. EOF, SIGPIPE, EPIPE */
  int p[2];
  pipe(p);
  close(p[1]);
  char c;
  printf("read after the last writer closed: %zd\n", read(p[0], &c, 1));
  close(p[0]);
  pipe(p);
  int go[2];
  pipe(go);
  pid_t w = fork();
  if (w == 0) {
    close(p[0]);
    close(go[1]);
    read(go[0], &c, 1); /* until the parent has closed its read end */
    write(p[1], "x", 1);
    _exit(0); /* killed above if the reader was gone */
  }
  close(p[0]);
  close(p[1]);
  close(go[0]);
  close(go[1]);
  printf("writer to a pipe with no reader: status %d\n", status_of(w));
  /* a writer waiting for room when the last reader goes */
  pipe(p);
  w = fork();
  if (w == 0) {
    close(p[0]);
    static char lots[200000];
    write(p[1], lots, sizeof lots);
    _exit(0);
  }
  close(p[1]);
  usleep(50000);
  close(p[0]);
  printf("writer waiting on a full pipe when the reader left: status %d\n", status_of(w));
  signal(SIGPIPE, on_pipe);
  pipe(p);
  close(p[0]);
  ssize_t r = write(p[1], "x", 1);
  printf("with a SIGPIPE handler: write %zd %s, handler ran %d\n", r, strerror(errno), (int)got_pipe);
  signal(SIGPIPE, SIG_IGN);
  r = write(p[1], "x", 1);
  printf("with SIGPIPE ignored: write %zd %s\n", r, strerror(errno));
  signal(SIGPIPE, SIG_DFL);
  close(p[1]);

  /* 3. non-blocking, capacity, FIONREAD */
  pipe2(p, O_NONBLOCK);
  r = read(p[0], &c, 1);
  printf("empty non-blocking read: %zd %s\n", r, strerror(errno));
  static char big[1 << 17];
  memset(big, 'b', sizeof big);
  ssize_t filled = 0;
  while ((r = write(p[1], big, 1000)) > 0) filled += r;
  printf("filled a pipe: %zd bytes, then %s; F_GETPIPE_SZ %d\n", filled, strerror(errno), fcntl(p[1], F_GETPIPE_SZ));
  int avail = -1;
  ioctl(p[0], FIONREAD, &avail);
  printf("FIONREAD %d\n", avail);
  r = write(p[1], big, 5000);
  printf("a 5000-byte write to a full pipe: %zd %s\n", r, strerror(errno));
  printf("flags O_NONBLOCK set: %d\n", (fcntl(p[0], F_GETFL) & O_NONBLOCK) != 0);
  close(p[0]);
  close(p[1]);
  pipe(p);
  int sz = fcntl(p[1], F_SETPIPE_SZ, 100000);
  printf("F_SETPIPE_SZ 100000 -> %d\n", sz);
  fflush(stdout);
  if (fork() == 0) {
    /* without CAP_SYS_RESOURCE (a sandboxed host's root may lack it anyway): past 2^31 is
     * EINVAL, past pipe-max-size EPERM, shrinking is allowed */
    drop_capability(24); /* CAP_SYS_RESOURCE */
    printf("F_SETPIPE_SZ 2^31+1: %s\n", fcntl(p[1], F_SETPIPE_SZ, (1u << 31) + 1) < 0 ? strerror(errno) : "ok");
    printf("F_SETPIPE_SZ 2 MiB: %s\n", fcntl(p[1], F_SETPIPE_SZ, 2 << 20) < 0 ? strerror(errno) : "ok");
    printf("F_SETPIPE_SZ 1: %d\n", fcntl(p[1], F_SETPIPE_SZ, 1));
    fflush(stdout);
    _exit(0);
  }
  wait(NULL);
  close(p[0]);
  close(p[1]);

  /* 4. PIPE_BUF atomicity: 4 writers of 4096-byte records, never interleaved */
  pipe(p);
  pid_t ws[4];
  for (int i = 0; i < 4; i++) {
    if ((ws[i] = fork()) == 0) {
      close(p[0]);
      static char rec[4096];
      memset(rec, 'A' + i, sizeof rec);
      for (int k = 0; k < 64; k++) write(p[1], rec, sizeof rec);
      _exit(0);
    }
  }
  close(p[1]);
  static char rec[4096];
  int records = 0, torn = 0;
  for (;;) {
    size_t got = 0;
    while (got < sizeof rec && (r = read(p[0], rec + got, sizeof rec - got)) > 0) got += r;
    if (got == 0) break;
    records++;
    for (size_t i = 1; i < got; i++) torn += rec[i] != rec[0];
  }
  for (int i = 0; i < 4; i++) status_of(ws[i]);
  printf("atomic writes: %d records, %d torn bytes\n", records, torn);
  close(p[0]);

  /* named pipes: the opens wait for each other; ENXIO for a non-blocking writer alone */
  unlink("fifo-test");
  int mk = mkfifo("fifo-test", 0600);
  struct stat fst;
  stat("fifo-test", &fst);
  printf("mkfifo: %d, a FIFO %d\n", mk, S_ISFIFO(fst.st_mode));
  int lone = open("fifo-test", O_WRONLY | O_NONBLOCK);
  printf("non-blocking writer with no reader: %d %s\n", lone, strerror(errno));
  if ((w = fork()) == 0) {
    int wfd = open("fifo-test", O_WRONLY); /* waits for the reader */
    write(wfd, "through the fifo", 16);
    close(wfd);
    _exit(0);
  }
  int rfd = open("fifo-test", O_RDONLY); /* waits for the writer */
  char fb[32] = {0};
  ssize_t fr = read(rfd, fb, sizeof fb - 1);
  ssize_t eof = read(rfd, fb + 20, 1);
  printf("fifo read %zd '%s', then %zd\n", fr, fb, eof);
  status_of(w);
  close(rfd);
  int both = open("fifo-test", O_RDWR);
  write(both, "x", 1);
  printf("O_RDWR open does not wait: %d, reads back %zd\n", both >= 0, read(both, fb, 1));
  close(both);
  unlink("fifo-test");

  /* 5. poll */
  pipe(p);
  struct pollfd pf[3] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}, {-1, POLLIN, 0}};
  int k = poll(pf, 3, 0);
  printf("poll: %d ready; read end %#x, write end %#x, negative fd %#x\n", k, pf[0].revents, pf[1].revents, pf[2].revents);
  pf[1].events = 0;
  k = poll(pf, 2, 30);
  printf("poll with a 30 ms timeout on an empty pipe: %d\n", k);
  if ((w = fork()) == 0) {
    usleep(20000);
    write(p[1], "hi", 2);
    _exit(0);
  }
  k = poll(pf, 1, -1);
  printf("poll woken by a writer: %d, revents %#x\n", k, pf[0].revents);
  status_of(w);
  read(p[0], msg, 2);
  close(p[1]);
  k = poll(pf, 1, -1);
  printf("poll after the writer closed: %d, revents %#x\n", k, pf[0].revents);
  struct pollfd bad = {closed_fd(), POLLIN, 0};
  k = poll(&bad, 1, 0);
  printf("poll on a closed fd: %d revents %#x\n", k, bad.revents);
  close(p[0]);

  /* 6. select and pselect */
  pipe(p);
  fd_set rd, wr;
  FD_ZERO(&rd);
  FD_ZERO(&wr);
  FD_SET(p[0], &rd);
  FD_SET(p[1], &wr);
  struct timeval tv = {0, 0};
  k = select(p[1] + 1, &rd, &wr, NULL, &tv);
  printf("select: %d, readable %d, writable %d\n", k, FD_ISSET(p[0], &rd), FD_ISSET(p[1], &wr));
  FD_ZERO(&rd);
  FD_SET(p[0], &rd);
  tv.tv_sec = 0;
  tv.tv_usec = 20000;
  k = select(p[0] + 1, &rd, NULL, NULL, &tv);
  printf("select timeout: %d, timeval left %ld.%06ld\n", k, (long)tv.tv_sec, (long)tv.tv_usec);
  /* under personality STICKY_TIMEOUTS the timeout is left as it was */
  personality(PER_LINUX | STICKY_TIMEOUTS);
  FD_SET(p[0], &rd);
  tv.tv_usec = 20000;
  k = select(p[0] + 1, &rd, NULL, NULL, &tv);
  personality(PER_LINUX);
  printf("select timeout with STICKY_TIMEOUTS: %d, timeval %ld.%06ld\n", k, (long)tv.tv_sec, (long)tv.tv_usec);
  write(p[1], "z", 1);
  FD_SET(p[0], &rd);
  struct timespec ts = {1, 0};
  sigset_t mask;
  sigemptyset(&mask);
  k = pselect(p[0] + 1, &rd, NULL, NULL, &ts, &mask);
  printf("pselect: %d, readable %d\n", k, FD_ISSET(p[0], &rd));
  FD_ZERO(&rd);
  int gone = closed_fd();
  FD_SET(gone, &rd);
  k = select(gone + 1, &rd, NULL, NULL, &tv);
  printf("select on a closed fd: %d %s\n", k, strerror(errno));
  close(p[0]);
  close(p[1]);

  /* 7. epoll */
  int ep = epoll_create1(EPOLL_CLOEXEC);
  int q[2];
  pipe(p);
  pipe(q);
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1122334455667788ULL};
  epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
  ev.events = EPOLLIN | EPOLLET;
  ev.data.fd = q[0];
  epoll_ctl(ep, EPOLL_CTL_ADD, q[0], &ev);
  struct epoll_event out[4];
  k = epoll_wait(ep, out, 4, 0);
  printf("epoll on empty pipes: %d\n", k);
  write(p[1], "a", 1);
  write(q[1], "b", 1);
  k = epoll_wait(ep, out, 4, 100);
  int ok = 1;
  for (int i = 0; i < k; i++) ok &= out[i].data.u64 == 0x1122334455667788ULL || out[i].data.fd == q[0];
  printf("epoll: %d ready, data intact %d\n", k, ok);
  k = epoll_wait(ep, out, 4, 0);
  printf("again without reading: level-triggered still ready, edge-triggered not: %d\n", k);
  write(q[1], "c", 1);
  k = epoll_wait(ep, out, 4, 0);
  printf("after a new write to the edge-triggered pipe: %d\n", k);
  k = epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
  printf("epoll_ctl ADD twice: %d %s\n", k, strerror(errno));
  ev.events = EPOLLIN | EPOLLONESHOT;
  epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev);
  epoll_ctl(ep, EPOLL_CTL_DEL, q[0], NULL);
  k = epoll_wait(ep, out, 4, 0);
  int k2 = epoll_wait(ep, out, 4, 0);
  printf("one-shot: %d then %d\n", k, k2);
  read(p[0], msg, 1);
  epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev);
  if ((w = fork()) == 0) {
    usleep(20000);
    write(p[1], "w", 1);
    _exit(0);
  }
  k = epoll_wait(ep, out, 4, -1);
  printf("epoll woken by a writer in another process: %d\n", k);
  status_of(w);
  k = epoll_ctl(ep, EPOLL_CTL_DEL, q[0], NULL);
  printf("epoll_ctl DEL of an absent fd: %d %s\n", k, strerror(errno));
  int devnull = open("/dev/null", O_RDONLY);
  k = epoll_ctl(ep, EPOLL_CTL_ADD, devnull, &ev);
  printf("epoll_ctl ADD of /dev/null: %d %s\n", k, strerror(errno));
  k = epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev);
  printf("epoll_ctl ADD of itself: %d %s\n", k, strerror(errno));
  close(devnull);
  close(ep);
  /* more ready than maxevents, never drained: successive waits take turns among them */
  {
    int rep = epoll_create1(0), fds[5][2];
    for (int i = 0; i < 5; i++) {
      pipe(fds[i]);
      write(fds[i][1], "r", 1);
      struct epoll_event re = {.events = EPOLLIN, .data.u32 = i};
      epoll_ctl(rep, EPOLL_CTL_ADD, fds[i][0], &re);
    }
    printf("epoll with 5 ready, 2 at a time:");
    for (int round = 0; round < 5; round++) {
      struct epoll_event two[2];
      int n = epoll_wait(rep, two, 2, 0);
      printf(" [");
      for (int i = 0; i < n; i++) printf("%s%u", i ? " " : "", two[i].data.u32);
      printf("]");
    }
    printf("\n");
    for (int i = 0; i < 5; i++) close(fds[i][0]), close(fds[i][1]);
    close(rep);
  }
  close(p[0]);
  close(p[1]);
  close(q[0]);
  close(q[1]);
  return 0;
}
