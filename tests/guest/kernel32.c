/* What an i386 kernel answers where the x86-64 host's compat layer answers otherwise, so this
 * runs under exojit only, against expected output: mmap2's page offset overflowing 32 bits with
 * the length (EOVERFLOW, before the search for room), the machine uname reports, and memory
 * protection keys on a CPU without PKU (none: pkey_mprotect takes only -1). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

int main(void) {
  char path[] = "/tmp/exojit-k32-XXXXXX";
  int fd = mkstemp(path);
  unlink(path);
  long r = syscall(SYS_mmap2, 0, 0xfffff000u, PROT_READ, MAP_SHARED, fd, 0xffffffffu);
  printf("mmap2 of 4 GiB at page offset 2^32-1: %s\n", r == -1 ? strerror(errno) : "mapped");
  r = syscall(SYS_mmap2, 0, 0xfffff000u, PROT_READ, MAP_SHARED, fd, 0);
  printf("the same at offset 0: %s\n", r == -1 ? strerror(errno) : "mapped");
  struct utsname u;
  uname(&u);
  printf("machine %s\n", u.machine);
  char *p = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  r = syscall(SYS_pkey_alloc, 0, 0);
  printf("pkey_alloc: %ld %s\n", r, r < 0 ? strerror(errno) : "");
  r = syscall(SYS_pkey_alloc, 1, 0);
  printf("pkey_alloc with flags: %ld %s\n", r, r < 0 ? strerror(errno) : "");
  r = syscall(SYS_pkey_mprotect, p, 4096, PROT_READ, -1);
  printf("pkey_mprotect -1: %ld\n", r);
  r = syscall(SYS_pkey_mprotect, p, 4096, PROT_READ, 0);
  printf("pkey_mprotect 0: %ld %s\n", r, r < 0 ? strerror(errno) : "");
  r = syscall(SYS_pkey_mprotect, p, 4096, PROT_READ, 1);
  printf("pkey_mprotect 1: %ld %s\n", r, r < 0 ? strerror(errno) : "");
  r = syscall(SYS_pkey_free, 1);
  printf("pkey_free 1: %ld %s\n", r, r < 0 ? strerror(errno) : "");
  r = syscall(SYS_pkey_free, 0);
  printf("pkey_free 0: %ld %s\n", r, r < 0 ? strerror(errno) : "");
  return 0;
}
