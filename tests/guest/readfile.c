/* Reading a file named on the command line, several ways: stdio (fopen/fread/fgetc/fgets/fseek),
 * read(2) in small chunks, lseek (SET, CUR, END, past the end), pread, fstat and stat sizes; then
 * the errors for a missing file, a directory and a bad descriptor, printed by name. The paths
 * themselves are never printed: natively they are host paths, under exojit guest paths.
 * Usage: readfile DATAFILE MISSINGFILE DIRECTORY */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "guest.h"

static const char *errname(int e) {
  switch (e) {
    case 0: return "0";
    case ENOENT: return "ENOENT";
    case EISDIR: return "EISDIR";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case ENOTDIR: return "ENOTDIR";
    case EACCES: return "EACCES";
    case EROFS: return "EROFS";
    case ESPIPE: return "ESPIPE";
    default: return "other";
  }
}

static unsigned char buf[1 << 16];

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: readfile DATAFILE MISSINGFILE DIRECTORY\n");
    return 2;
  }
  const char *data = argv[1], *missing = argv[2], *dir = argv[3];

  /* stdio: the whole file with fread, then a few reads after fseek. */
  FILE *f = fopen(data, "rb");
  if (f == NULL) {
    printf("fopen: %s\n", errname(errno));
    return 1;
  }
  size_t total = 0;
  uint32_t h = FNV_INIT;
  size_t n;
  while ((n = fread(buf, 1, 1000, f)) > 0) {
    h = fnv(h, buf, n);
    total += n;
  }
  printf("fread: %zu bytes, sum %08x, eof %d, error %d\n", total, h, feof(f), ferror(f));
  fseek(f, 10, SEEK_SET);
  int c1 = fgetc(f), c2 = fgetc(f);
  printf("fseek 10: fgetc %d %d, ftell %ld\n", c1, c2, ftell(f));
  fseek(f, -5, SEEK_END);
  char line[64];
  char *got = fgets(line, sizeof line, f);
  printf("fseek -5 END: fgets %s, %zu chars, sum %08x\n", got ? "ok" : "NULL", got ? strlen(line) : 0, got ? fnv(FNV_INIT, line, strlen(line)) : 0);
  rewind(f);
  unsigned lines = 0;
  while (fgets(line, sizeof line, f) != NULL) lines += strchr(line, '\n') != NULL;
  printf("fgets: %u complete lines\n", lines);
  fclose(f);

  /* read(2) in chunks of 7 bytes, which straddle every internal boundary. */
  int fd = open(data, O_RDONLY);
  if (fd < 0) {
    printf("open: %s\n", errname(errno));
    return 1;
  }
  struct stat st;
  printf("fstat: %d, size %lld, regular %d\n", fstat(fd, &st), (long long)st.st_size, S_ISREG(st.st_mode));
  h = FNV_INIT;
  total = 0;
  unsigned calls = 0;
  ssize_t r;
  while ((r = read(fd, buf, 7)) > 0) {
    h = fnv(h, buf, (size_t)r);
    total += (size_t)r;
    calls++;
  }
  printf("read: %zu bytes in %u calls, sum %08x, last %zd\n", total, calls, h, r);
  printf("read at eof: %zd\n", read(fd, buf, 100));

  /* lseek: absolute, relative, from the end, and past the end. */
  printf("lseek SET 100: %lld\n", (long long)lseek(fd, 100, SEEK_SET));
  r = read(fd, buf, 16);
  printf("read 16: %zd, sum %08x\n", r, fnv(FNV_INIT, buf, r > 0 ? (size_t)r : 0));
  printf("lseek CUR -8: %lld\n", (long long)lseek(fd, -8, SEEK_CUR));
  r = read(fd, buf, 4);
  printf("read 4: %zd, sum %08x\n", r, fnv(FNV_INIT, buf, r > 0 ? (size_t)r : 0));
  printf("lseek END -3: %lld\n", (long long)lseek(fd, -3, SEEK_END));
  r = read(fd, buf, 100);
  printf("read 100: %zd, sum %08x\n", r, fnv(FNV_INIT, buf, r > 0 ? (size_t)r : 0));
  printf("lseek END +1000: %lld\n", (long long)lseek(fd, 1000, SEEK_END));
  printf("read past end: %zd\n", read(fd, buf, 10));
  errno = 0;
  printf("lseek SET -1: %lld %s\n", (long long)lseek(fd, -1, SEEK_SET), errname(errno));
  errno = 0;
  printf("lseek whence 99: %lld %s\n", (long long)lseek(fd, 0, 99), errname(errno));
  r = pread(fd, buf, 32, 64);
  printf("pread 32 at 64: %zd, sum %08x, offset after %lld\n", r, fnv(FNV_INIT, buf, r > 0 ? (size_t)r : 0), (long long)lseek(fd, 0, SEEK_CUR));
  close(fd);

  struct stat st2;
  printf("stat: %d, size %lld, same inode as fstat %d\n", stat(data, &st2), (long long)st2.st_size, st2.st_ino == st.st_ino);

  /* Errors. */
  errno = 0;
  int bad = open(missing, O_RDONLY);
  int e = errno;
  printf("open missing: %d %s (%s)\n", bad, errname(e), strerror(e));
  errno = 0;
  f = fopen(missing, "r");
  e = errno;
  printf("fopen missing: %s %s\n", f ? "FILE" : "NULL", errname(e));
  errno = 0;
  printf("stat missing: %d %s\n", stat(missing, &st2), errname(errno));
  fd = open(dir, O_RDONLY);
  errno = 0;
  printf("open dir: %s, read: %zd %s\n", fd >= 0 ? "ok" : errname(errno), fd >= 0 ? read(fd, buf, 10) : 0, errname(errno));
  if (fd >= 0) close(fd);
  errno = 0;
  printf("stat dir: %d, is dir %d\n", stat(dir, &st2), S_ISDIR(st2.st_mode));
  errno = 0;
  printf("read closed fd: %zd %s\n", read(fd, buf, 1), errname(errno));
  errno = 0;
  printf("close -1: %d %s\n", close(-1), errname(errno));
  return 0;
}
