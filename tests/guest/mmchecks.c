/* mmap's and mlock's checks in Linux's order: a closed descriptor is EBADF before the length
 * is looked at; MAP_SHARED_VALIDATE refuses flags it does not know (EOPNOTSUPP); a caller
 * without RLIMIT_MEMLOCK may not lock at all (EPERM), one over it gets ENOMEM. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *what, long ok) {
  printf("%s: %s\n", what, ok ? "ok" : strerror(errno));
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int fd = open("/dev/null", O_RDONLY);
  close(fd);
  void *p = mmap(NULL, 0, PROT_WRITE, MAP_SHARED, fd, 0);
  show("mmap of a closed descriptor, length 0", p != MAP_FAILED);
  fd = open("/proc/self/exe", O_RDONLY);
  p = mmap(NULL, 4096, PROT_READ, MAP_SHARED_VALIDATE | 0x400, fd, 0);
  show("MAP_SHARED_VALIDATE with an unknown flag", p != MAP_FAILED);
  p = mmap(NULL, 4096, PROT_READ, MAP_SHARED_VALIDATE | MAP_POPULATE, fd, 0);
  show("MAP_SHARED_VALIDATE with MAP_POPULATE", p != MAP_FAILED);
  p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | 0x400, fd, 0);
  show("MAP_PRIVATE with the same unknown flag", p != MAP_FAILED);
  char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (geteuid() == 0) {
    pid_t c = fork();
    if (c == 0) {
      setresuid(65534, 65534, 65534);
      struct rlimit none = {0, 0};
      setrlimit(RLIMIT_MEMLOCK, &none);
      show("mlock with RLIMIT_MEMLOCK 0", mlock(page, 4096) == 0);
      show("mlockall with RLIMIT_MEMLOCK 0", mlockall(MCL_CURRENT) == 0);
      _exit(0);
    }
    waitpid(c, NULL, 0);
    c = fork();
    if (c == 0) {
      struct rlimit small = {4096, 4096};
      setrlimit(RLIMIT_MEMLOCK, &small);
      setresuid(65534, 65534, 65534);
      show("mlock of 2 pages with a 1-page RLIMIT_MEMLOCK", mlock(page, 8192) == 0);
      show("mlockall(MCL_CURRENT) over it", mlockall(MCL_CURRENT) == 0);
      _exit(0);
    }
    waitpid(c, NULL, 0);
  }
  return 0;
}
