/* The older timestamp calls (utime, utimes, futimesat, made as raw system calls, as programs
 * built against old C libraries make them), the I/O hints readahead and sync_file_range, and
 * mincore: results and the errors Linux gives. Runs in a temporary working directory. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>
#include <utime.h>
#include "guest.h"

static void times_of(const char *name) {
  struct stat st;
  if (stat(name, &st) != 0) {
    printf("  stat %s: %s\n", name, strerror(errno));
    return;
  }
  printf("  %s: atime %ld.%09ld mtime %ld.%09ld\n", name, (long)st.st_atim.tv_sec, (long)st.st_atim.tv_nsec,
         (long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
}

int main(void) {
  int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
  char block[10000];
  memset(block, 'b', sizeof block);
  write(fd, block, sizeof block);

  /* utime: whole seconds, or now */
  struct utimbuf ub = {1000000000, 1200000000};
  TRY("utime", syscall(SYS_utime, "f", &ub));
  times_of("f");
  TRY("utime now", syscall(SYS_utime, "f", NULL));
  struct stat st;
  stat("f", &st);
  printf("  recent %d\n", st.st_mtime > 1700000000);
  TRY("utime bad buffer", syscall(SYS_utime, "f", (void *)16));
  TRY("utime missing file", syscall(SYS_utime, "missing", &ub));

  /* utimes and futimesat: microseconds */
  struct timeval tv[2] = {{1000000000, 500000}, {1100000000, 250000}};
  TRY("utimes", syscall(SYS_utimes, "f", tv));
  times_of("f");
  tv[0].tv_usec = 1000000;
  TRY("utimes usec 10^6", syscall(SYS_utimes, "f", tv));
  tv[0].tv_usec = -1;
  TRY("utimes usec -1", syscall(SYS_utimes, "f", tv));
  tv[0].tv_usec = 0;
  int dfd = open(".", O_RDONLY | O_DIRECTORY);
  tv[1].tv_sec = 1300000000;
  TRY("futimesat", syscall(SYS_futimesat, dfd, "f", tv));
  times_of("f");
  tv[1].tv_sec = 1400000000;
  TRY("futimesat on the fd (null path)", syscall(SYS_futimesat, fd, NULL, tv));
  times_of("f");
  TRY("futimesat AT_FDCWD, null path", syscall(SYS_futimesat, AT_FDCWD, NULL, tv));
  TRY("futimesat relative to a file", syscall(SYS_futimesat, fd, "f", tv));

  /* readahead: regular files open for reading */
  int p[2];
  pipe(p);
  TRY("readahead", readahead(fd, 0, 4096));
  TRY("readahead past the end", readahead(fd, 1 << 20, 4096));
  TRY("readahead on a pipe", readahead(p[0], 0, 10));
  int wo = open("f", O_WRONLY);
  TRY("readahead write-only", readahead(wo, 0, 10));
  TRY("readahead closed fd", readahead(999, 0, 10));
  TRY("readahead on a directory", readahead(dfd, 0, 10));

  /* sync_file_range */
  TRY("sync_file_range", sync_file_range(fd, 0, 100, SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER));
  TRY("sync_file_range whole file", sync_file_range(fd, 0, 0, 0));
  TRY("sync_file_range bad flags", sync_file_range(fd, 0, 100, 8));
  TRY("sync_file_range negative offset", sync_file_range(fd, -1, 100, 0));
  TRY("sync_file_range negative length", sync_file_range(fd, 0, -5, 0));
  TRY("sync_file_range on a pipe", sync_file_range(p[1], 0, 100, 0));
  TRY("sync_file_range on a directory", sync_file_range(dfd, 0, 100, 0));
  TRY("sync_file_range closed fd", sync_file_range(999, 0, 100, 0));

  /* mincore: touched pages are resident; unmapped ones are ENOMEM */
  long pg = sysconf(_SC_PAGESIZE);
  char *m = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (int i = 0; i < 4; i++) m[i * pg] = 1;
  unsigned char vec[4] = {9, 9, 9, 9};
  TRY("mincore", mincore(m, 4 * pg, vec));
  printf("  vec %d %d %d %d\n", vec[0] & 1, vec[1] & 1, vec[2] & 1, vec[3] & 1);
  TRY("mincore partial page", mincore(m, pg + 1, vec));
  TRY("mincore zero length", mincore(m, 0, vec));
  TRY("mincore unaligned", mincore(m + 1, pg, vec));
  munmap(m + 2 * pg, pg);
  TRY("mincore over a hole", mincore(m, 4 * pg, vec));
  TRY("mincore unmapped", mincore(m + 2 * pg, pg, vec));
  TRY("mincore bad vector", mincore(m, pg, (unsigned char *)16));
  return 0;
}
