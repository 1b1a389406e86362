/* sendfile with and without an offset pointer, into a pipe that fills up (the call waits for
 * the reader and moves everything), statfs on the working directory, sched_getaffinity, and
 * the memory devices (/dev/null and /dev/zero take a write without reading its buffer);
 * printing only what does not depend on the machine. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

/* 300 KB through a pipe (64 KB of room) read slowly by a child, with and without an offset
 * pointer: sendfile waits for room and returns the whole count; the child checks the bytes. */
static void sendfile_pipe(int src, int with_offset) {
  int p[2];
  if (pipe(p) != 0) return;
  pid_t kid = fork();
  if (kid == 0) {
    close(p[1]);
    char buf[7000];
    long got = 0, sum = 0;
    ssize_t r;
    usleep(20000);
    while ((r = read(p[0], buf, sizeof buf)) > 0) {
      for (ssize_t k = 0; k < r; k++) sum = (sum * 31 + (unsigned char)buf[k]) % 1000003;
      got += r;
      if (got % 70000 < 7000) usleep(2000);
    }
    printf("  reader got %ld bytes, sum %ld\n", got, sum);
    _exit(0);
  }
  close(p[0]);
  off_t off = 1000;
  lseek(src, 500, SEEK_SET);
  /* Each call moves what the pipe takes (a short count once it is full) or waits while it
     can move nothing; how much one call moves depends on the kernel's pipe buffers, so only
     the totals are printed. */
  long total = 0, calls = 0, bad = 0;
  while (total < 300000) {
    ssize_t n = sendfile(p[1], src, with_offset ? &off : NULL, 300000 - total);
    if (n <= 0) break;
    long at = with_offset ? (long)off - 1000 : (long)lseek(src, 0, SEEK_CUR) - 500;
    if (at != total + n) bad++;
    total += n;
    calls++;
  }
  printf("sendfile into a full pipe (%s): %ld bytes, more than one call %d, offsets right %d, offset %ld, file offset %ld\n",
         with_offset ? "offset pointer" : "file offset", total, calls > 1, bad == 0, (long)off, (long)lseek(src, 0, SEEK_CUR));
  fflush(stdout);
  close(p[1]);
  waitpid(kid, NULL, 0);
}

/* Writes and reads of the memory devices, with a buffer and with an address nothing is mapped
 * at (write(2) to /dev/null and /dev/zero never reads the buffer on Linux). */
static void memdevs(void) {
  static const char *names[] = {"/dev/null", "/dev/zero", "/dev/full"};
  void *volatile nowhere = (void *)16;
  for (int k = 0; k < 3; k++) {
    int fd = open(names[k], O_RDWR);
    errno = 0;
    ssize_t w1 = write(fd, "abc", 3);
    int e1 = errno;
    errno = 0;
    ssize_t w2 = write(fd, nowhere, 100);
    int e2 = errno;
    char buf[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    ssize_t r = read(fd, buf, sizeof buf);
    printf("%s: write %zd (%s), unmapped write %zd (%s), read %zd [%d %d]\n", names[k], w1, e1 ? strerror(e1) : "ok", w2, e2 ? strerror(e2) : "ok", r, buf[0], buf[7]);
    close(fd);
  }
  errno = 0;
  ssize_t w = write(12345, "x", 1);
  printf("bad fd write: %zd %s\n", w, strerror(errno));
}

int main(void) {
  memdevs();
  int a = open("a.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (write(a, "0123456789abcdefghij", 20) != 20) return 1;
  int b = open("b.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
  off_t off = 5;
  ssize_t n = sendfile(b, a, &off, 8);
  printf("sendfile at 5: %zd, offset now %ld, file offset %ld\n", n, (long)off, (long)lseek(a, 0, SEEK_CUR));
  lseek(a, 2, SEEK_SET);
  n = sendfile(b, a, NULL, 100);
  printf("sendfile from file offset 2: %zd, file offset %ld\n", n, (long)lseek(a, 0, SEEK_CUR));
  char buf[64] = {0};
  pread(b, buf, sizeof buf - 1, 0);
  printf("b.txt: %s\n", buf);
  n = sendfile(b, 12345, NULL, 10);
  printf("bad fd: %zd %s\n", n, strerror(errno));

  int big = open("big.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
  static char block[4096];
  for (int k = 0; k < 100; k++) {
    for (int j = 0; j < 4096; j++) block[j] = (char)(k * 7 + j * 13);
    if (write(big, block, sizeof block) != sizeof block) return 1;
  }
  sendfile_pipe(big, 0);
  sendfile_pipe(big, 1);
  close(big);

  struct statfs sf;
  struct statvfs sv;
  int r = statfs(".", &sf);
  printf("statfs: %d, bsize > 0 %d, namelen %ld\n", r, sf.f_bsize > 0, (long)sf.f_namelen);
  r = statvfs(".", &sv);
  printf("statvfs: %d, blocks >= free %d\n", r, sv.f_blocks >= sv.f_bfree);
  r = statfs("no-such-dir", &sf);
  printf("statfs missing: %d %s\n", r, strerror(errno));

  cpu_set_t set;
  CPU_ZERO(&set);
  r = sched_getaffinity(0, sizeof set, &set);
  printf("affinity: %d, cpus >= 1 %d\n", r, CPU_COUNT(&set) >= 1);
  return 0;
}
