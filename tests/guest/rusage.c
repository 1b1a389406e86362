/* getrusage's ru_maxrss: the resident high-water mark, of the process (kept after the memory is
 * freed) and of its reaped children; a fork's starts at what it holds. Sizes are compared with
 * bounds, as the host's and exojit's resident sets differ in what the C library maps. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static long maxrss(int who) {
  struct rusage ru;
  getrusage(who, &ru);
  return ru.ru_maxrss;
}

static char *touch(size_t n) {
  char *m = mmap(0, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m != MAP_FAILED) memset(m, 1, n);
  return m;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("at first: own below 20 MB %d, children's 0 %d\n", maxrss(RUSAGE_SELF) < 20480, maxrss(RUSAGE_CHILDREN) == 0);
  if (fork() == 0) {
    touch(30 << 20);
    _exit(0);
  }
  wait(NULL);
  long c = maxrss(RUSAGE_CHILDREN);
  printf("children's after a 30 MB child: at least 30 MB %d, below 40 MB %d\n", c >= 30720, c < 40960);
  char *m = touch(20 << 20);
  munmap(m, 20 << 20);
  long s = maxrss(RUSAGE_SELF);
  printf("own after touching and freeing 20 MB: at least 20 MB %d, below 30 MB %d\n", s >= 20480, s < 30720);
  if (fork() == 0) {
    printf("a fork's own below 20 MB %d, its children's 0 %d\n", maxrss(RUSAGE_SELF) < 20480, maxrss(RUSAGE_CHILDREN) == 0);
    _exit(0);
  }
  wait(NULL);
  printf("a thread's (RUSAGE_THREAD) at least 20 MB: %d\n", maxrss(1) >= 20480);
  return 0;
}
