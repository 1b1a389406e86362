/* Fault-around, as Linux does it (fault_around_bytes, 64 KiB): a read fault on a file mapping
 * maps the pages of its 64 KiB window (aligned in the address space, within the mapping) that
 * the page cache holds, so the resident size (statm) grows by the window at once. Writes to
 * pages mapped so still copy a private mapping's page and reach a shared mapping's file.
 * Runs in a temporary working directory. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG 4096
#define WINDOW (16 * PG)

static long resident(void) {
  long size = 0, res = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f || fscanf(f, "%ld %ld", &size, &res) != 2) {
    perror("statm");
    exit(1);
  }
  fclose(f);
  return res;
}

/* A mapping of `len` bytes of `fd` from `off` at an address aligned to the window. */
static char *mapAligned(int fd, size_t len, int prot, int flags, off_t off) {
  char *area = mmap(NULL, len + WINDOW, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (area == MAP_FAILED) return MAP_FAILED;
  char *at = (char *)(((unsigned long)area + WINDOW - 1) & ~(unsigned long)(WINDOW - 1));
  return mmap(at, len, prot, flags | MAP_FIXED, fd, off);
}

int main(void) {
  /* a file of 40 pages, page k holding the byte k + 1 */
  int fd = open("pages.bin", O_RDWR | O_CREAT | O_TRUNC, 0600);
  char page[PG];
  for (int k = 0; k < 40; k++) {
    memset(page, k + 1, PG);
    if (write(fd, page, PG) != PG) return 1;
  }

  char *p = mapAligned(fd, 40 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
  if (p == MAP_FAILED) return 2;
  resident(); /* (stdio's first fopen and fclose fault pages of their own) */
  long r0 = resident();
  int sum = p[3 * PG];
  long r1 = resident();
  for (int k = 0; k < 16; k++) sum += p[k * PG + 7];
  long r2 = resident();
  sum += p[20 * PG];
  long r3 = resident();
  sum += p[39 * PG + 4095];
  long r4 = resident();
  printf("private: first read +%ld pages, the rest of its window +%ld, the next window +%ld, the last (8 pages) +%ld; sum %d\n",
         r1 - r0, r2 - r1, r3 - r2, r4 - r3, sum);

  /* a write to a page the fault mapped around copies it: the file keeps its byte */
  p[5 * PG] = 'x';
  char b = 0;
  pread(fd, &b, 1, 5 * PG);
  printf("private write: mapping has %c, file has %d\n", p[5 * PG], b);
  munmap(p, 40 * PG);

  /* a shared mapping: a write to a page mapped around reaches the file */
  char *s = mapAligned(fd, 40 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
  if (s == MAP_FAILED) return 3;
  long s0 = resident();
  sum = *(volatile char *)s;
  long s1 = resident();
  s[9 * PG] = 'y';
  msync(s, 40 * PG, MS_SYNC);
  pread(fd, &b, 1, 9 * PG);
  printf("shared: first read +%ld pages (page holds %d); write to page 9 reached the file: %c\n", s1 - s0, sum, b);

  /* a read-only mapping of 3 pages of the file: the window stops at the mapping's end */
  char *q = mapAligned(fd, 3 * PG, PROT_READ, MAP_PRIVATE, 4 * PG);
  if (q == MAP_FAILED) return 4;
  long q0 = resident();
  sum = *(volatile char *)(q + PG);
  long q1 = resident();
  printf("3-page mapping: first read +%ld pages (page holds %d)\n", q1 - q0, sum);
  return 0;
}
