/* Pipe throughput: a child writes MiB megabytes in 64 KiB writes, the parent reads them and
 * checks a running sum. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
  long mib = argc > 1 ? atol(argv[1]) : 256;
  static unsigned char buf[65536];
  int fds[2];
  pipe(fds);
  pid_t p = fork();
  if (p == 0) {
    close(fds[0]);
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (unsigned char)i;
    for (long k = 0; k < mib * 16; k++) {
      size_t done = 0;
      while (done < sizeof buf) {
        ssize_t w = write(fds[1], buf + done, sizeof buf - done);
        if (w <= 0) _exit(1);
        done += w;
      }
    }
    _exit(0);
  }
  close(fds[1]);
  unsigned long long total = 0, sum = 0;
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) {
    total += n;
    sum += buf[0] + buf[n - 1];
  }
  int st;
  waitpid(p, &st, 0);
  printf("%llu bytes, %llu\n", total, sum);
  return 0;
}
