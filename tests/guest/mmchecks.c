/* mmap's and mlock's checks in Linux's order: a closed descriptor is EBADF before the length
 * is looked at; MAP_SHARED_VALIDATE refuses flags it does not know (EOPNOTSUPP); a caller
 * without RLIMIT_MEMLOCK may not lock at all (EPERM), one over it gets ENOMEM. A file removed
 * while open can still be mapped shared; a shared mapping keeps its file after close(). */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static sigjmp_buf bus_jump;
static int bus_code;
static char *bus_addr;
static void on_bus(int sig, siginfo_t *si, void *uc) {
  (void)sig;
  (void)uc;
  bus_code = si->si_code;
  bus_addr = si->si_addr;
  siglongjmp(bus_jump, 1);
}

/* VmLck of /proc/self/status, in kB */
static long vmlck(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  while (f != NULL && fgets(line, sizeof line, f) != NULL)
    if (strncmp(line, "VmLck:", 6) == 0) kb = atol(line + 6);
  if (f != NULL) fclose(f);
  return kb;
}

static void show(const char *what, long ok) {
  printf("%s: %s\n", what, ok ? "ok" : strerror(errno));
}

/* Pages of the /proc/self/maps line starting at or below `at` and ending above it, or -1. */
static long region_pages(char *at) {
  FILE *f = fopen("/proc/self/maps", "r");
  char line[512];
  long pages = -1;
  while (f != NULL && fgets(line, sizeof line, f) != NULL) {
    unsigned long lo, hi;
    if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && lo <= (unsigned long)at && (unsigned long)at < hi) pages = (long)((hi - lo) / 4096);
  }
  if (f != NULL) fclose(f);
  return pages;
}

/* MAP_GROWSDOWN: a touch below the region extends it; one within the stack guard gap (256
 * pages) of a region below is a SIGSEGV. Each in a child of its own. */
static void growsdown(void) {
  for (int gap = 0; gap < 2; gap++) {
    pid_t pid = fork();
    if (pid == 0) {
      long pg = 4096;
      char *hole = mmap(NULL, 400 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      munmap(hole, 400 * pg);
      char *top = hole + 400 * pg;
      char *g = mmap(top - pg, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN, -1, 0);
      if (g == MAP_FAILED) _exit(2);
      if (gap) mmap(hole, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
      top[-11 * pg] = 1; /* 10 pages below the region */
      printf("grew to %ld pages\n", region_pages(top - pg));
      fflush(stdout);
      top[-300 * pg] = 1; /* 100 pages above the hole's start: within the guard gap of a region there */
      printf("grew to %ld pages\n", region_pages(top - pg));
      _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st)) printf("growsdown child %d: killed by signal %d\n", gap, WTERMSIG(st));
    else printf("growsdown child %d: exit %d\n", gap, WEXITSTATUS(st));
  }
}

/* remap_file_pages: a shared mapping's pages show the file from another page on (Linux maps
 * the file there again); only shared mappings, and prot must be 0 */
static void remap(void) {
  char name[] = "/tmp/exojit-remap-XXXXXX";
  int fd = mkstemp(name);
  unlink(name);
  char page[4096];
  for (int i = 0; i < 4; i++) {
    memset(page, 'A' + i, sizeof page);
    write(fd, page, sizeof page);
  }
  char *m = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  printf("remap_file_pages page 0 to file page 3: %d\n", remap_file_pages(m, 4096, 0, 3, 0));
  printf("  pages now %c %c %c %c\n", m[0], m[4096], m[8192], m[12288]);
  m[0] = 'z';
  char c = 0;
  pread(fd, &c, 1, 3 * 4096);
  printf("  a write through it reaches file page 3: %c\n", c);
  printf("remap_file_pages of pages 1-2 to 0: %d\n", remap_file_pages(m + 4096, 2 * 4096 + 100, 0, 0, 0));
  printf("  pages now %c %c %c %c\n", m[0], m[4096], m[8192], m[12288]);
  int r = remap_file_pages(m, 4096, PROT_READ, 1, 0);
  printf("with prot: %d %s\n", r, r < 0 ? strerror(errno) : "");
  char *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
  r = remap_file_pages(p, 4096, 0, 1, 0);
  printf("of a private mapping: %d %s\n", r, r < 0 ? strerror(errno) : "");
  r = remap_file_pages(m, 5 * 4096, 0, 0, 0);
  printf("past the mapping: %d %s\n", r, r < 0 ? strerror(errno) : "");
  munmap(p, 4096);
  munmap(m, 4 * 4096);
  close(fd);
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
  /* madvise: fork-time advice, the checks per region, a hole */
  char *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  two[0] = 1;
  two[4096] = 2;
  show("MADV_WIPEONFORK", madvise(two, 4096, MADV_WIPEONFORK) == 0);
  show("MADV_DONTFORK", madvise(two + 4096, 4096, MADV_DONTFORK) == 0);
  pid_t k = fork();
  if (k == 0) {
    printf("child: wiped page holds %d\n", two[0]);
    signal(SIGSEGV, SIG_DFL);
    printf("child: touching the region it did not get\n");
    printf("%d\n", two[4096]);
    _exit(0);
  }
  int st;
  waitpid(k, &st, 0);
  printf("child: %s %d; parent still has %d %d\n", WIFSIGNALED(st) ? "killed by" : "exited", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), two[0], two[4096]);
  void *filemap = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
  show("MADV_FREE on a file mapping", madvise(filemap, 4096, MADV_FREE) == 0);
  show("MADV_WIPEONFORK on a file mapping", madvise(filemap, 4096, MADV_WIPEONFORK) == 0);
  show("advice 1212", madvise(two, 4096, 1212) == 0);
  char *shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  shm[10] = 7;
  show("MADV_REMOVE on shared memory", madvise(shm, 4096, MADV_REMOVE) == 0);
  printf("  it reads %d now\n", shm[10]);
  show("MADV_REMOVE on private memory", madvise(two, 4096, MADV_REMOVE) == 0);
  munmap(two + 4096, 4096);
  show("MADV_NORMAL over a hole", madvise(two, 8192, MADV_NORMAL) == 0);
  show("MADV_DONTNEED over a hole", madvise(two, 8192, MADV_DONTNEED) == 0);
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
  /* a file removed while open, made longer and mapped shared: the mapping reads it, a child's writes
   * through its copy of the mapping reach the parent's and the file */
  {
    char name[] = "/tmp/mmchecks-XXXXXX";
    int t = mkstemp(name);
    unlink(name);
    char text[64] = "written before the mapping";
    show("write to the removed file", write(t, text, sizeof text) == sizeof text);
    show("ftruncate of the removed file to 8192", ftruncate(t, 8192) == 0);
    struct stat ts;
    fstat(t, &ts);
    printf("its size: %ld\n", (long)ts.st_size);
    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, t, 0);
    show("mmap of the removed file", m != MAP_FAILED);
    if (m != MAP_FAILED) {
      printf("mapping reads: %s\n", m);
      pid_t c = fork();
      if (c == 0) {
        strcpy(m, "written by the child");
        _exit(0);
      }
      waitpid(c, NULL, 0);
      char back[64] = "";
      pread(t, back, sizeof back, 0);
      printf("parent's mapping: %s; the file: %s\n", m, back);
    }
    close(t);
  }
  /* a shared mapping outlives its descriptor: written after close(), msync and munmap write
   * the file through the description the mapping holds */
  {
    char name[] = "/tmp/mmchecks-XXXXXX";
    int t = mkstemp(name);
    ftruncate(t, 4096);
    char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, t, 0);
    close(t);
    int other = open("/dev/null", O_RDONLY); /* (takes the closed descriptor's number) */
    strcpy(m, "written after close");
    show("msync after close", msync(m, 4096, MS_SYNC) == 0);
    strcpy(m + 100, "and before munmap");
    show("munmap after close", munmap(m, 4096) == 0);
    char back[128] = "";
    t = open(name, O_RDONLY);
    pread(t, back, sizeof back, 0);
    printf("the file: %s, %s\n", back, back + 100);
    close(t);
    close(other);
    unlink(name);
  }
  /* a file mapping's page wholly past the end of the file is a bus error (SIGBUS, BUS_ADRERR);
   * the rest of the last page reads as zeroes; a system call given such a page gets EFAULT */
  {
    char name[] = "/tmp/mmchecks-XXXXXX";
    int t = mkstemp(name);
    unlink(name);
    write(t, "short", 5);
    char *m = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, t, 0);
    printf("past the end, in the last page: %d %d\n", m[4], m[100]);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_bus;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, NULL);
    if (sigsetjmp(bus_jump, 1) == 0) {
      volatile char c = m[4096];
      (void)c;
      printf("a page past the end: no signal\n");
    } else {
      printf("a page past the end: SIGBUS code %d at +%ld\n", bus_code, (long)(bus_addr - m));
    }
    int p[2];
    pipe(p);
    write(p[1], "x", 1);
    errno = 0;
    long r = read(p[0], m + 4096, 1);
    printf("read() into it: %ld %s\n", r, strerror(errno));
    ftruncate(t, 8192);
    m[4096] = 'y';
    printf("after ftruncate to two pages: %c\n", m[4096]);
    munmap(m, 2 * 4096);
    close(t);
  }
  /* mincore tells what is in memory: an anonymous page never touched is not, one written is,
   * mlock and MAP_POPULATE fault pages in and mlock2(MLOCK_ONFAULT) does not, a shared page
   * another mapping touched is, and a page of a file in the page cache is */
  {
    unsigned char vec[8];
    char *a = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    a[4096] = 1;
    (void)*(volatile char *)(a + 3 * 4096);
    mlock(a + 5 * 4096, 2 * 4096);
    mincore(a, 8 * 4096, vec);
    printf("mincore of private pages:");
    for (int k = 0; k < 8; k++) printf(" %d", vec[k] & 1);
    printf("\n");
    munlock(a + 5 * 4096, 2 * 4096);
    madvise(a, 8 * 4096, MADV_DONTNEED);
    mincore(a, 8 * 4096, vec);
    printf("after MADV_DONTNEED:");
    for (int k = 0; k < 8; k++) printf(" %d", vec[k] & 1);
    printf("\n");
    munmap(a, 8 * 4096);
    char *s = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    s[0] = 1;
    long r2 = syscall(SYS_mlock2, s + 4096, 4096, 1 /* MLOCK_ONFAULT */);
    long r3 = mlock(s + 2 * 4096, 4096);
    mincore(s, 4 * 4096, vec);
    printf("mincore of shared pages (mlock2 onfault %ld, mlock %ld):", r2, r3);
    for (int k = 0; k < 4; k++) printf(" %d", vec[k] & 1);
    printf("\n");
    munlock(s, 4 * 4096);
    munmap(s, 4 * 4096);
    char *p = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    mincore(p, 4 * 4096, vec);
    printf("mincore after MAP_POPULATE:");
    for (int k = 0; k < 4; k++) printf(" %d", vec[k] & 1);
    printf("\n");
    munmap(p + 2 * 4096, 2 * 4096);
    long rc = mincore(p, 3 * 4096, vec);
    printf("mincore over an unmapped page: %ld %s\n", rc, strerror(errno));
    rc = mincore(p + 1, 4096, vec);
    printf("mincore of an unaligned start: %ld %s\n", rc, strerror(errno));
    munmap(p, 2 * 4096);
    int fd = open("mc.tmp", O_RDWR | O_CREAT | O_TRUNC, 0600);
    char buf[4096] = {0};
    for (int k = 0; k < 3; k++) write(fd, buf, sizeof buf);
    char *f = mmap(NULL, 3 * 4096, PROT_READ, MAP_SHARED, fd, 0);
    mlock(f, 3 * 4096);
    mincore(f, 3 * 4096, vec);
    printf("mincore of a file mapping locked:");
    for (int k = 0; k < 3; k++) printf(" %d", vec[k] & 1);
    printf("\n");
    munlock(f, 3 * 4096);
    munmap(f, 3 * 4096);
    close(fd);
    unlink("mc.tmp");
  }
  /* locked memory is counted: mlock within RLIMIT_MEMLOCK counts what is locked already,
   * mlockall(MCL_FUTURE) locks later mappings (EAGAIN past the limit), munlockall ends both;
   * /proc/self/status's VmLck follows */
  {
    pid_t c = fork();
    if (c == 0) {
      struct rlimit lim = {16384, 16384};
      setrlimit(RLIMIT_MEMLOCK, &lim);
      setresuid(65534, 65534, 65534);
      char *six = mmap(NULL, 6 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      show("mlock of 2 pages of 4", mlock(six, 8192) == 0);
      printf("VmLck: %ld kB\n", vmlck());
      show("mlock of 4 more", mlock(six + 8192, 16384) == 0);
      show("mlock of the same 2 again", mlock(six, 8192) == 0);
      show("msync(MS_INVALIDATE) of a locked page", msync(six, 4096, MS_SYNC | MS_INVALIDATE) == 0);
      show("munlock of one", munlock(six, 4096) == 0);
      printf("VmLck: %ld kB\n", vmlck());
      show("mlockall(MCL_FUTURE)", mlockall(MCL_FUTURE) == 0);
      printf("VmLck: %ld kB\n", vmlck());
      void *big = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      show("mmap of 8 pages past the limit", big != MAP_FAILED);
      void *small = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      show("mmap of 2 within it", small != MAP_FAILED);
      printf("VmLck: %ld kB\n", vmlck());
      munlockall();
      printf("VmLck after munlockall: %ld kB\n", vmlck());
      big = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      show("mmap of 8 pages after it", big != MAP_FAILED);
      _exit(0);
    }
    waitpid(c, NULL, 0);
  }

  /* A shared mapping of a file opened read-only never becomes writable; a private one may. */
  char name[] = "/tmp/exojit-mmro-XXXXXX";
  int wfd = mkstemp(name);
  if (ftruncate(wfd, 4096) != 0) printf("ftruncate failed\n");
  int rfd = open(name, O_RDONLY);
  void *ro = mmap(NULL, 4096, PROT_READ, MAP_SHARED, rfd, 0);
  show("mprotect PROT_WRITE of a shared read-only file mapping", mprotect(ro, 4096, PROT_READ | PROT_WRITE) == 0);
  void *rp = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, rfd, 0);
  show("mprotect PROT_WRITE of a private one", mprotect(rp, 4096, PROT_READ | PROT_WRITE) == 0);
  void *rw = mmap(NULL, 4096, PROT_READ, MAP_SHARED, wfd, 0);
  show("mprotect PROT_WRITE of a shared mapping of a writable descriptor", mprotect(rw, 4096, PROT_READ | PROT_WRITE) == 0);
  /* MADV_REMOVE punches a hole through a shared mapping of a writable descriptor,
   * not through one of a read-only descriptor; locked pages cannot be let go */
  if (pwrite(wfd, "abcd", 4, 0) != 4) printf("pwrite failed\n");
  show("MADV_REMOVE through a shared mapping of a writable fd", madvise(rw, 4096, MADV_REMOVE) == 0);
  char first = 'x';
  if (pread(wfd, &first, 1, 0) != 1) printf("pread failed\n");
  printf("the file's first byte after it: %d, the mapping's: %d\n", first, ((char *)rw)[0]);
  show("MADV_REMOVE through a read-only fd", madvise(ro, 4096, MADV_REMOVE) == 0);
  if (mlock(rw, 4096) == 0) {
    show("MADV_DONTNEED of locked pages", madvise(rw, 4096, MADV_DONTNEED) == 0);
    show("MADV_REMOVE of locked pages", madvise(rw, 4096, MADV_REMOVE) == 0);
    munlock(rw, 4096);
  }
  /* the same rule for /dev/zero opened read-only */
  int zfd = open("/dev/zero", O_RDONLY);
  void *z = mmap(NULL, 4096, PROT_READ, MAP_SHARED, zfd, 0);
  show("mprotect PROT_WRITE of a shared mapping of read-only /dev/zero", mprotect(z, 4096, PROT_READ | PROT_WRITE) == 0);
  show("mmap PROT_WRITE shared of it", mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, zfd, 0) != MAP_FAILED);
  munmap(z, 4096);
  close(zfd);
  munmap(ro, 4096);
  munmap(rp, 4096);
  munmap(rw, 4096);
  close(rfd);
  close(wfd);
  unlink(name);
  growsdown();
  remap();
  return 0;
}
