/* sendfile with and without an offset pointer, statfs on the working directory, and
 * sched_getaffinity; printing only what does not depend on the machine. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

int main(void) {
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
