/* What an i386 kernel answers where the x86-64 host's compat layer answers otherwise, so this
 * runs under exojit only, against expected output: mmap2's page offset overflowing 32 bits with
 * the length (EOVERFLOW, before the search for room), and the machine uname reports. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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
  return 0;
}
