/* mremap as Linux does it: a range split by mprotect and given its old protection back is one
 * region again (and moves whole); a range over two unlike regions is EFAULT; MREMAP_FIXED moves
 * to a given address, replacing what was there; MREMAP_DONTUNMAP leaves the old range mapped and
 * empty; an old length of 0 maps a shared mapping's pages again; growing in place twice leaves
 * one region. The regions show in /proc/self/maps. Then lseek's SEEK_DATA and SEEK_HOLE on a
 * file without holes. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG 4096

static void *map(size_t len, int prot, int flags) {
  void *p = mmap(NULL, len, prot, flags | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    perror("mmap");
    exit(1);
  }
  return p;
}

/* mremap's result: the errno it failed with, or 0 */
static int fails(void *r) {
  return r == MAP_FAILED ? errno : 0;
}

/* how many lines of /proc/self/maps meet [a, a+len) (a region may go on beyond it, merged with
 * a neighbour) */
static int regions(char *a, size_t len) {
  FILE *f = fopen("/proc/self/maps", "r");
  char line[512];
  int n = 0;
  while (f != NULL && fgets(line, sizeof line, f) != NULL) {
    unsigned long s, e;
    if (sscanf(line, "%lx-%lx", &s, &e) == 2 && s < (unsigned long)a + len && e > (unsigned long)a) n++;
  }
  if (f != NULL) fclose(f);
  return n;
}

int main(void) {
  /* split by mprotect, joined again */
  char *m = map(2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  m[0] = 1;
  m[PG] = 2;
  printf("mprotect: %d\n", mprotect(m, PG, PROT_READ));
  printf("regions while split: %d\n", regions(m, 2 * PG));
  printf("mprotect back: %d\n", mprotect(m, PG, PROT_READ | PROT_WRITE));
  printf("regions joined: %d\n", regions(m, 2 * PG));
  char *m2 = mremap(m, 2 * PG, 4 * PG, MREMAP_MAYMOVE);
  printf("whole range moved: errno %d, contents %d %d\n", fails(m2), m2 == MAP_FAILED ? -1 : m2[0], m2 == MAP_FAILED ? -1 : m2[PG]);

  /* unlike regions side by side */
  char *a = map(2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  mprotect(a + PG, PG, PROT_READ);
  printf("over two regions: errno %d\n", fails(mremap(a, 2 * PG, 4 * PG, MREMAP_MAYMOVE)));
  printf("still there: %d\n", a[0]);

  /* MREMAP_FIXED */
  char *src = map(3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  memset(src, 'a', 3 * PG);
  char *dst = map(4 * PG, PROT_READ, MAP_PRIVATE);
  char *r = mremap(src, 3 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
  printf("fixed: at the address asked %d, errno %d\n", r == dst, fails(r));
  printf("fixed: contents %c %c, the new page %d\n", dst[0], dst[3 * PG - 1], dst[4 * PG - 1]);
  dst[4 * PG - 1] = 1;
  unsigned char vec;
  errno = 0;
  int mc = mincore(src, PG, &vec);
  printf("fixed: old range unmapped: %d errno %d\n", mc, errno);
  printf("fixed without MAYMOVE: errno %d\n", fails(mremap(dst, PG, PG, MREMAP_FIXED, dst + 8 * PG)));
  printf("fixed overlapping: errno %d\n", fails(mremap(dst, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, dst + PG)));
  printf("fixed unaligned: errno %d\n", fails(mremap(dst, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, dst + 8 * PG + 1)));

  /* MREMAP_DONTUNMAP */
  char *b = map(2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  memset(b, 'b', 2 * PG);
  char *c = mremap(b, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
  printf("dontunmap: errno %d\n", fails(c));
  if (c != MAP_FAILED) printf("dontunmap: moved %d, contents %c, old range reads %d\n", c != b, c[PG], b[PG]);
  printf("dontunmap resizing: errno %d\n", fails(mremap(b, PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL)));
  printf("dontunmap without MAYMOVE: errno %d\n", fails(mremap(b, PG, PG, MREMAP_DONTUNMAP, NULL)));

  /* an old length of 0 */
  char *s = map(PG, PROT_READ | PROT_WRITE, MAP_SHARED);
  s[0] = 'S';
  char *s2 = mremap(s, 0, PG, MREMAP_MAYMOVE);
  printf("shared mapped again: errno %d\n", fails(s2));
  if (s2 != MAP_FAILED) {
    s2[1] = 'T';
    printf("shared mapped again: elsewhere %d, %c %c\n", s2 != s, s2[0], s[1]);
  }
  printf("private with length 0: errno %d\n", fails(mremap(b, 0, PG, MREMAP_MAYMOVE)));

  /* grown in place twice, then moved whole */
  char *g = map(16 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  munmap(g + PG, 15 * PG);
  g[0] = 'g';
  printf("grown in place: %d", mremap(g, PG, 2 * PG, 0) == g);
  printf(" %d\n", mremap(g, 2 * PG, 3 * PG, 0) == g);
  printf("regions after growing: %d\n", regions(g, 3 * PG));
  char *g2 = mremap(g, 3 * PG, 64 * PG, MREMAP_MAYMOVE);
  printf("moved whole: errno %d, %c\n", fails(g2), g2 == MAP_FAILED ? '?' : g2[0]);

  /* SEEK_DATA and SEEK_HOLE on a file written throughout */
  int fd = open("seekfile", O_RDWR | O_CREAT | O_TRUNC, 0600);
  char buf[3 * PG];
  memset(buf, 'x', sizeof buf);
  if (fd < 0 || write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) {
    perror("seekfile");
    return 1;
  }
  printf("SEEK_DATA 0: %ld\n", (long)lseek(fd, 0, SEEK_DATA));
  printf("SEEK_DATA 100: %ld\n", (long)lseek(fd, 100, SEEK_DATA));
  printf("SEEK_HOLE 0: %ld\n", (long)lseek(fd, 0, SEEK_HOLE));
  static const struct { const char *what; off_t off; int whence; } bad[] = {
    {"SEEK_DATA at the end", 3 * PG, SEEK_DATA}, {"SEEK_HOLE past the end", 5 * PG, SEEK_HOLE}, {"SEEK_DATA negative", -1, SEEK_DATA},
  };
  for (unsigned k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    errno = 0;
    long pos = (long)lseek(fd, bad[k].off, bad[k].whence);
    printf("%s: %ld errno %d\n", bad[k].what, pos, errno);
  }
  printf("offset after the failures: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
  close(fd);
  unlink("seekfile");
  return 0;
}
