/* /proc/self/smaps and smaps_rollup as a program's memory changes: anonymous pages written
 * or not, shared after fork and private again after a write, shared anonymous memory, a file's
 * pages clean and dirty, a locked range; and /proc/self/coredump_filter. Only each region's
 * permissions and block are printed (no addresses, no inode numbers), and not the KSM line, which
 * Linux 6.1 did not have. Run in an empty working directory. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>
/* print the smaps block of the region holding addr, only the fields that do not depend on libc */
static void show(const char *what, void *addr) {
  FILE *f = fopen("/proc/self/smaps", "r");
  char line[256];
  unsigned long a = (unsigned long)addr, s, e;
  int in = 0;
  printf("%s:\n", what);
  while (fgets(line, sizeof line, f)) {
    /* (a region's first line: "start-end perms ...", the addresses as wide as they need) */
    int n = 0;
    if (sscanf(line, "%lx-%lx %n", &s, &e, &n) == 2 && n > 0) { in = a >= s && a < e; if (in) printf("  %.4s\n", line + n); continue; }
    if (in && strncmp(line, "KSM:", 4) != 0) printf("  %s", line);
  }
  fclose(f);
}
int main(void) {
  /* (between two inaccessible pages, so that no neighbour merges with it) */
  char *g = mmap(0, 10 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *p = mmap(g + 4096, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  memset(p, 1, 3 * 4096);
  show("anon, 3 of 8 written", p);
  char *s = mmap(0, 4 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  memset(s, 2, 2 * 4096);
  mlock(p, 4096);
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    show("child: anon after fork", p);
    volatile char sink = s[0] + s[4096];
    (void)sink;
    show("child: shared anon, read", s);
    p[0] = 9;
    show("child: anon after a write", p);
    fflush(stdout);
    _exit(0);
  }
  waitpid(c, 0, 0);
  show("parent: locked", p);
  int ff = open("data", O_CREAT | O_RDWR | O_TRUNC, 0644);
  static char page[3 * 4096];
  memset(page, 'x', sizeof page);
  for (int k = 0; k < 3; k++) write(ff, page, 4096); /* (a page at a time: Linux 6.18 keeps a larger write in one folio, dirty as a whole) */
  fsync(ff); /* (clean pages: Linux counts a page not yet written back as dirty) */
  /* every page of each mapping is touched: Linux maps a read fault's neighbours too */
  char *fm = mmap(0, 3 * 4096, PROT_READ, MAP_PRIVATE, ff, 0);
  volatile char rd = fm[0] + fm[4096] + fm[8192];
  show("file, private, read", fm);
  char *fs = mmap(0, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ff, 0);
  fs[0] = 'y';
  rd = fs[4096] + fs[8192];
  show("file, shared, one page written", fs);
  msync(fs, 3 * 4096, MS_SYNC); /* (written back: clean again, in every mapping) */
  show("file, shared, after msync", fs);
  show("file, private, read, now shared", fm);
  char *fw = mmap(0, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, ff, 0);
  rd = fw[0] + fw[4096];
  (void)rd;
  fw[2 * 4096] = 'z';
  show("file, private, one page read and one copied", fw);
  int fd = open("/proc/self/coredump_filter", O_RDWR);
  char buf[32] = {0};
  read(fd, buf, sizeof buf - 1);
  printf("coredump_filter %s", buf);
  lseek(fd, 0, SEEK_SET);
  printf("write 0x7ff: %ld\n", (long)write(fd, "0x7ff", 5));
  lseek(fd, 0, SEEK_SET);
  memset(buf, 0, sizeof buf);
  read(fd, buf, sizeof buf - 1);
  printf("coredump_filter %s", buf);
  printf("write junk: %ld\n", (long)write(fd, "zz", 2));
  /* pagemap: present, file page, mapped here alone, and a frame number for root */
  {
    int pm = open("/proc/self/pagemap", O_RDONLY);
    const char *what[] = {"anon written", "anon untouched", "file read", "file shared, written"};
    char *at[] = {p, p + 5 * 4096, fm, fs};
    for (int k = 0; k < 4; k++) {
      unsigned long long e = 0;
      pread(pm, &e, 8, (unsigned long)at[k] / 4096 * 8);
      printf("pagemap %s: present %d file %d exclusive %d frame %d\n", what[k], (int)(e >> 63), (int)(e >> 61) & 1, (int)(e >> 56) & 1,
             (e & ((1ULL << 55) - 1)) != 0 && getuid() == 0);
    }
    unsigned long long e2[2];
    ssize_t ur = pread(pm, e2, 8, 3);
    printf("pagemap unaligned read: %zd %s\n", ur, ur < 0 ? strerror(errno) : "");
    close(pm);
  }
  FILE *r = fopen("/proc/self/smaps_rollup", "r");
  char line[256];
  fgets(line, sizeof line, r);
  printf("rollup header ends: %s", strstr(line, "[rollup]") ? "[rollup]\n" : line);
  int n = 0;
  while (fgets(line, sizeof line, r)) {
    char name[64];
    if (sscanf(line, "%63[^:]:", name) == 1 && strcmp(name, "KSM") != 0) printf("%s%s", n++ ? " " : "", name);
  }
  printf("\n");
  return 0;
}
