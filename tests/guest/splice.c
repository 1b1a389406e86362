/* splice, tee and vmsplice: bytes moved between files, pipes and sockets, at given offsets
 * (updated through the pointer, the file's own offset left alone) or at the file's offset;
 * tee copying without taking; waiting for a writer; and the errors Linux gives (EINVAL, ESPIPE,
 * EBADF, EAGAIN, EPIPE). Runs in a temporary working directory. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "guest.h"

static const char TEXT[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/* Reads what is in pipe end `fd` now (non-blocking) and prints it. */
static void drain(const char *label, int fd) {
  char buf[256];
  int fl = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, fl | O_NONBLOCK);
  ssize_t n = read(fd, buf, sizeof buf - 1);
  fcntl(fd, F_SETFL, fl);
  if (n < 0) n = 0;
  buf[n] = 0;
  printf("%s: [%s]\n", label, buf);
}

/* Reads everything a pipe holds; returns the count. */
static ssize_t empty(int fd) {
  static char sink[1 << 16];
  int fl = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, fl | O_NONBLOCK);
  ssize_t total = 0, n;
  while ((n = read(fd, sink, sizeof sink)) > 0) total += n;
  fcntl(fd, F_SETFL, fl);
  return total;
}

static void file_contents(const char *label, const char *name) {
  char buf[256];
  int fd = open(name, O_RDONLY);
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n < 0) n = 0;
  for (ssize_t i = 0; i < n; i++) if (buf[i] == 0) buf[i] = '.';
  buf[n] = 0;
  printf("%s: [%s]\n", label, buf);
}

int main(void) {
  int fd = open("in.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
  write(fd, TEXT, strlen(TEXT));
  lseek(fd, 5, SEEK_SET);
  int p[2], q[2];
  pipe(p);
  pipe(q);

  /* file -> pipe at an offset: *off moves, the file offset does not */
  loff_t off = 10;
  TRY("file->pipe at 10", splice(fd, &off, p[1], NULL, 8, 0));
  printf("off %lld, file offset %ld\n", (long long)off, (long)lseek(fd, 0, SEEK_CUR));
  drain("pipe", p[0]);
  /* file -> pipe at the file offset (5): it moves */
  TRY("file->pipe at the file offset", splice(fd, NULL, p[1], NULL, 4, SPLICE_F_MORE));
  printf("file offset %ld\n", (long)lseek(fd, 0, SEEK_CUR));
  /* more asked than the file has left */
  off = strlen(TEXT) - 3;
  TRY("file->pipe near the end", splice(fd, &off, p[1], NULL, 100, 0));
  off = strlen(TEXT);
  TRY("file->pipe at the end", splice(fd, &off, p[1], NULL, 100, 0));
  drain("pipe", p[0]);

  /* pipe -> file at an offset (past the end: a hole) and at the file offset */
  int out = open("out.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
  write(p[1], "hello", 5);
  off = 3;
  TRY("pipe->file at 3", splice(p[0], NULL, out, &off, 64, 0));
  printf("off %lld, file offset %ld\n", (long long)off, (long)lseek(out, 0, SEEK_CUR));
  write(p[1], "world!", 6);
  TRY("pipe->file, 4 of 6", splice(p[0], NULL, out, NULL, 4, 0));
  file_contents("out.txt", "out.txt");
  drain("left in the pipe", p[0]);

  /* pipe -> pipe, and tee (the bytes stay in the first pipe) */
  write(p[1], "through", 7);
  TRY("tee", tee(p[0], q[1], 100, 0));
  drain("tee's copy", q[0]);
  TRY("pipe->pipe", splice(p[0], NULL, q[1], NULL, 3, 0));
  drain("moved", q[0]);
  drain("still in the first", p[0]);

  /* pipe <-> socket */
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  write(p[1], "over a socket", 13);
  TRY("pipe->socket", splice(p[0], NULL, sv[0], NULL, 100, 0));
  TRY("socket->pipe", splice(sv[1], NULL, q[1], NULL, 5, 0));
  drain("from the socket", q[0]);
  off = 0;
  TRY("socket->pipe with an offset", splice(sv[1], &off, q[1], NULL, 5, 0));

  /* vmsplice: iovecs into a pipe, and out of one */
  char a[] = "vm", b[] = "splice";
  struct iovec iv[2] = {{a, 2}, {b, 6}};
  TRY("vmsplice in", vmsplice(p[1], iv, 2, 0));
  char r1[3] = {0}, r2[6] = {0};
  struct iovec ov[2] = {{r1, 2}, {r2, 5}};
  TRY("vmsplice out", vmsplice(p[0], ov, 2, 0));
  printf("got [%s] [%s]\n", r1, r2);
  drain("left", p[0]);
  TRY("vmsplice on a file", vmsplice(fd, iv, 1, 0));
  /* more than the pipe holds: each call moves what fits and returns (a write would wait) */
  static char big[1 << 17] __attribute__((aligned(4096)));
  memset(big, 'v', sizeof big);
  struct iovec bv = {big, sizeof big};
  while (bv.iov_len > 0) {
    ssize_t w = vmsplice(p[1], &bv, 1, 0);
    printf("vmsplice of %zu moved %zd\n", bv.iov_len, w);
    if (w <= 0) break;
    bv.iov_base = (char *)bv.iov_base + w;
    bv.iov_len -= w;
    printf("  emptied %zd\n", empty(p[0]));
  }
  bv.iov_base = big;
  bv.iov_len = sizeof big;
  printf("vmsplice with SPLICE_F_NONBLOCK: %zd, ", vmsplice(p[1], &bv, 1, SPLICE_F_NONBLOCK));
  ssize_t again = vmsplice(p[1], &bv, 1, SPLICE_F_NONBLOCK);
  printf("then into the full pipe: %zd %s\n", again, again < 0 ? strerror(errno) : "");
  printf("  emptied %zd\n", empty(p[0]));

  /* errors */
  TRY("zero length", splice(fd, NULL, out, NULL, 0, 0));
  TRY("no pipe", splice(fd, NULL, out, NULL, 10, 0));
  off = 0;
  TRY("offset on the pipe side", splice(p[0], &off, out, NULL, 10, 0));
  TRY("offset on the output pipe", splice(fd, NULL, p[1], &off, 10, 0));
  TRY("bad flags", splice(fd, NULL, p[1], NULL, 10, 0x100));
  TRY("same pipe", splice(p[0], NULL, p[1], NULL, 10, 0));
  TRY("tee on one pipe", tee(p[0], p[1], 10, 0));
  TRY("tee from a file", tee(fd, p[1], 10, 0));
  off = -1;
  TRY("negative offset", splice(fd, &off, p[1], NULL, 10, 0));
  TRY("read end as output", splice(fd, NULL, p[0], NULL, 10, 0));
  int dir = open(".", O_RDONLY | O_DIRECTORY);
  TRY("from a directory", splice(dir, NULL, p[1], NULL, 10, 0));
  int wo = open("wo.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  TRY("write-only input", splice(wo, NULL, p[1], NULL, 10, 0));
  int ap = open("out.txt", O_WRONLY | O_APPEND);
  write(p[1], "x", 1);
  TRY("append output", splice(p[0], NULL, ap, NULL, 10, 0));
  drain("drained", p[0]);
  TRY("empty pipe, SPLICE_F_NONBLOCK", splice(p[0], NULL, out, NULL, 10, SPLICE_F_NONBLOCK));
  TRY("empty pipe, tee non-blocking", tee(p[0], q[1], 10, SPLICE_F_NONBLOCK));
  /* a full pipe: file -> pipe does not wait with SPLICE_F_NONBLOCK */
  fcntl(q[1], F_SETFL, O_NONBLOCK);
  long filled = 0;
  char junk[4096];
  memset(junk, 'j', sizeof junk);
  for (;;) {
    ssize_t n = write(q[1], junk, sizeof junk);
    if (n <= 0) break;
    filled += n;
  }
  printf("filled %ld\n", filled);
  fcntl(q[1], F_SETFL, 0);
  TRY("full pipe, SPLICE_F_NONBLOCK", splice(fd, NULL, q[1], NULL, 10, SPLICE_F_NONBLOCK));
  printf("file offset %ld\n", (long)lseek(fd, 0, SEEK_CUR));

  /* no writer: end of file; no reader: EPIPE (SIGPIPE ignored) */
  close(p[1]);
  TRY("no writer", splice(p[0], NULL, out, NULL, 10, 0));
  signal(SIGPIPE, SIG_IGN);
  close(q[0]);
  TRY("no reader", splice(fd, NULL, q[1], NULL, 10, 0));

  /* a splice that waits for a writer */
  int w[2];
  pipe(w);
  pid_t pid = fork();
  if (pid == 0) {
    close(w[0]);
    usleep(100000);
    write(w[1], "late", 4);
    _exit(0);
  }
  close(w[1]);
  int late = open("late.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
  TRY("waited for a writer", splice(w[0], NULL, late, NULL, 100, 0));
  TRY("then end of file", splice(w[0], NULL, late, NULL, 100, 0));
  waitpid(pid, NULL, 0);
  file_contents("late.txt", "late.txt");

  /* files splice cannot write to or read from are EINVAL at once, even from an empty pipe */
  int e[2];
  pipe(e);
  int efd = eventfd(0, 0), tfd = timerfd_create(CLOCK_MONOTONIC, 0), epf = epoll_create1(0);
  TRY("empty pipe->eventfd", splice(e[0], NULL, efd, NULL, 1, 0));
  TRY("empty pipe->timerfd", splice(e[0], NULL, tfd, NULL, 1, 0));
  TRY("empty pipe->epoll", splice(e[0], NULL, epf, NULL, 1, 0));
  TRY("eventfd->pipe", splice(efd, NULL, e[1], NULL, 8, 0));
  TRY("epoll->pipe", splice(epf, NULL, e[1], NULL, 8, 0));
  int dirfd = open(".", O_RDONLY | O_DIRECTORY);
  TRY("directory->pipe", splice(dirfd, NULL, e[1], NULL, 8, 0));
  /* those files are open for reading and writing, as Linux makes them, and write() to them
   * is EINVAL */
  printf("timerfd, epoll access modes: %d %d\n", fcntl(tfd, F_GETFL) & O_ACCMODE, fcntl(epf, F_GETFL) & O_ACCMODE);
  TRY("write to a timerfd", write(tfd, "12345678", 8));
  int lone = socket(AF_UNIX, SOCK_STREAM, 0);
  TRY("unconnected unix stream socket->pipe", splice(lone, NULL, e[1], NULL, 8, 0));
  char rb[4];
  TRY("read of it", read(lone, rb, sizeof rb));
  return 0;
}
