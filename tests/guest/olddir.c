/* readdir, the original system call (89): one entry a call, checked against the C library's
 * readdir (getdents64) on the same directory. Prints 1 for each check that holds. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "guest.h"

struct old_linux_dirent {
  unsigned long d_ino, d_offset;
  unsigned short d_namlen;
  char d_name[256];
};

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(void) {
  char *libc[512], *raw[512];
  int nl = 0, nr = 0, ok = 1;
  DIR *d = opendir("/etc");
  struct dirent *e;
  while ((e = readdir(d)) != NULL && nl < 512) libc[nl++] = strdup(e->d_name);
  closedir(d);
  int fd = open("/etc", O_RDONLY | O_DIRECTORY);
  struct old_linux_dirent o;
  long r;
  while ((r = syscall(SYS_readdir, fd, &o, 1)) == 1 && nr < 512) {
    ok &= o.d_namlen == strlen(o.d_name) && o.d_offset == (unsigned long)nr;
    raw[nr++] = strdup(o.d_name);
  }
  printf("last call returned %ld, entries agree %d\n", r, ok);
  qsort(libc, nl, sizeof *libc, cmp);
  qsort(raw, nr, sizeof *raw, cmp);
  int same = nl == nr && nr > 2;
  for (int k = 0; same && k < nr; k++) same = !strcmp(libc[k], raw[k]);
  printf("same names as the C library's readdir %d\n", same);
  int file = open("/proc/self/exe", O_RDONLY);
  TRY("readdir on a file", syscall(SYS_readdir, file, &o, 1));
  TRY("readdir on a closed fd", syscall(SYS_readdir, 999, &o, 1));
  lseek(fd, 0, SEEK_SET);
  TRY("readdir, bad buffer", syscall(SYS_readdir, fd, (void *)16, 1));
  return 0;
}
