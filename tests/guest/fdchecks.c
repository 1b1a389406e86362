/* What a descriptor allows, in Linux's order: positioned I/O (ESPIPE before EBADF, EISDIR for
 * a directory, pwrite on O_APPEND going to the end), O_PATH descriptors (EBADF for what would
 * act on the file), O_NOATIME for another user's file, and epoll instances inside others (a
 * cycle or more than four levels is ELOOP). Runs in an empty directory of its own. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *what, long r) {
  if (r < 0) printf("%s: -1 %s\n", what, strerror(errno));
  else printf("%s: %ld\n", what, r);
}

/* EPOLLEXCLUSIVE: four processes, each with an epoll instance watching one pipe so; a byte
 * written wakes one of them, not all. */
static void exclusive_wakeups(void) {
  int p[2];
  if (pipe(p) != 0) return;
  int *woken = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  *woken = 0;
  pid_t kids[4];
  int ready[2];
  if (pipe(ready) != 0) return;
  for (int i = 0; i < 4; i++) {
    kids[i] = fork();
    if (kids[i] == 0) {
      int ep = epoll_create1(0);
      struct epoll_event ev = {.events = EPOLLIN | EPOLLET | EPOLLEXCLUSIVE};
      if (epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) != 0) _exit(2);
      if (write(ready[1], "r", 1) != 1) _exit(3);
      if (epoll_wait(ep, &ev, 1, 1500) == 1) __atomic_add_fetch(woken, 1, __ATOMIC_SEQ_CST);
      _exit(0);
    }
  }
  char c;
  for (int i = 0; i < 4; i++)
    if (read(ready[0], &c, 1) != 1) return;
  usleep(100000);
  if (write(p[1], "x", 1) != 1) return;
  for (int i = 0; i < 4; i++) waitpid(kids[i], NULL, 0);
  printf("EPOLLEXCLUSIVE: one write woke %d of 4 waiters\n", *woken);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE};
  int ep = epoll_create1(0);
  epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
  int r = epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev);
  printf("EPOLL_CTL_MOD of an exclusive entry: %d %s\n", r, r == 0 ? "" : strerror(errno));
  ev.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT;
  r = epoll_ctl(ep, EPOLL_CTL_ADD, ready[0], &ev);
  printf("EPOLLEXCLUSIVE with EPOLLONESHOT: %d %s\n", r, r == 0 ? "" : strerror(errno));
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  char buf[16];
  int p[2];
  pipe(p);
  show("pwrite on a pipe's read end", pwrite(p[0], "x", 1, 0));
  show("pread on a pipe's write end", pread(p[1], buf, 1, 0));
  int d = open(".", O_RDONLY | O_DIRECTORY);
  show("pread on a directory", pread(d, buf, 1, 0));
  int f = open("appended", O_CREAT | O_RDWR | O_APPEND, 0644);
  write(f, "0123456789", 10);
  show("pwrite at 2 on O_APPEND", pwrite(f, "ab", 2, 2));
  struct stat st;
  fstat(f, &st);
  memset(buf, 0, sizeof buf);
  pread(f, buf, 12, 0);
  printf("  size %lld, contents %s, offset %ld\n", (long long)st.st_size, buf, (long)lseek(f, 0, SEEK_CUR));

  int o = open("appended", O_PATH);
  show("fchmod on O_PATH", fchmod(o, 0600));
  show("fchown on O_PATH", fchown(o, -1, -1));
  int n;
  show("ioctl on O_PATH", ioctl(o, FIONREAD, &n));
  show("mmap on O_PATH", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, o, 0) == MAP_FAILED ? -1 : 0);
  int ep = epoll_create1(0);
  struct epoll_event ev = {EPOLLIN, {0}};
  show("epoll_ctl on O_PATH", epoll_ctl(ep, EPOLL_CTL_ADD, o, &ev));
  show("fstat on O_PATH", fstat(o, &st));
  struct statx sx;
  show("statx with a reserved mask bit", statx(AT_FDCWD, "appended", 0, 0x80000000u, &sx));
  show("statx with both sync types", statx(AT_FDCWD, "appended", AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &sx));

  /* epoll inside epoll */
  int e[6];
  for (int i = 0; i < 6; i++) e[i] = epoll_create1(0);
  for (int i = 1; i < 6; i++) show("epoll level", epoll_ctl(e[i], EPOLL_CTL_ADD, e[i - 1], &ev));
  show("a cycle", epoll_ctl(e[0], EPOLL_CTL_ADD, e[5], &ev));
  int a = epoll_create1(0), b = epoll_create1(0);
  show("a watches b", epoll_ctl(a, EPOLL_CTL_ADD, b, &ev));
  show("b watches a", epoll_ctl(b, EPOLL_CTL_ADD, a, &ev));

  if (geteuid() == 0) {
    pid_t c = fork();
    if (c == 0) {
      setresuid(65534, 65534, 65534);
      show("O_NOATIME on another user's file", open("appended", O_RDONLY | O_NOATIME));
      _exit(0);
    }
    waitpid(c, NULL, 0);
  }
  show("O_NOATIME on one's own", open("appended", O_RDONLY | O_NOATIME) >= 0 ? 0 : -1);
  {
    /* a read through O_NOATIME leaves an access time older than the last change, which a
     * plain read (relatime) moves */
    struct timespec old[2] = {{1000000, 0}, {0, UTIME_OMIT}};
    utimensat(AT_FDCWD, "appended", old, 0);
    char ch;
    int na = open("appended", O_RDONLY | O_NOATIME);
    read(na, &ch, 1);
    close(na);
    struct stat ast;
    stat("appended", &ast);
    printf("read with O_NOATIME: access time kept %d\n", ast.st_atime == 1000000);
    int pl = open("appended", O_RDONLY);
    read(pl, &ch, 1);
    close(pl);
    stat("appended", &ast);
    printf("plain read: access time moved %d\n", ast.st_atime != 1000000);
  }
  unlink("appended");

  /* RLIMIT_FSIZE: a write is cut at the limit, one at or past it gets SIGXFSZ and EFBIG, and
   * so does growing a file past it (in a child: the limit is for good) */
  pid_t c = fork();
  if (c == 0) {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit r = {100, 100};
    setrlimit(RLIMIT_FSIZE, &r);
    int z = open("limited", O_CREAT | O_RDWR | O_TRUNC, 0644);
    char big[150];
    memset(big, 'a', sizeof big);
    show("write 150 under a 100-byte limit", write(z, big, 150));
    show("write past it", write(z, big, 10));
    show("pwrite at 95", pwrite(z, big, 10, 95));
    show("ftruncate to 200", ftruncate(z, 200));
    show("ftruncate to 50", ftruncate(z, 50));
    signal(SIGXFSZ, SIG_DFL);
    lseek(z, 0, SEEK_END);
    write(z, big, 60);
    write(z, big, 10);
    _exit(0);
  }
  int cs;
  waitpid(c, &cs, 0);
  printf("the child: %s %d\n", WIFSIGNALED(cs) ? "killed by" : "exited", WIFSIGNALED(cs) ? WTERMSIG(cs) : WEXITSTATUS(cs));
  unlink("limited");
  exclusive_wakeups();
  return 0;
}
