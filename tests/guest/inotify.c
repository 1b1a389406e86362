/* inotify: the events of creating, opening, reading, writing, closing, changing attributes,
 * linking, renaming (within and across directories, over a file, exchanging), unlinking and
 * removing, on watches on directories and files; in_oneshot, in_mask_add, in_mask_create,
 * in_onlydir, in_dont_follow, in_excl_unlink; merging of equal events, FIONREAD, poll, a read
 * that waits for another process, the overflow event; and the calls' errors. Runs in an empty
 * directory of its own. Watch descriptors print as the names given to them, cookies as the
 * order they were first seen in. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int fd;
static const char *label[64];
static unsigned cookies[64];
static int ncookies;

static const char *names[] = {"ACCESS", "MODIFY", "ATTRIB", "CLOSE_WRITE", "CLOSE_NOWRITE", "OPEN", "MOVED_FROM", "MOVED_TO", "CREATE", "DELETE", "DELETE_SELF", "MOVE_SELF", "?", "UNMOUNT", "Q_OVERFLOW", "IGNORED"};

static void mask_str(unsigned m, char *out) {
  out[0] = 0;
  for (int i = 0; i < 16; i++)
    if (m & (1u << i)) {
      if (out[0]) strcat(out, "|");
      strcat(out, names[i]);
    }
  if (m & IN_ISDIR) strcat(out, "|ISDIR");
}

static int cookie_no(unsigned c) {
  if (c == 0) return 0;
  for (int i = 0; i < ncookies; i++)
    if (cookies[i] == c) return i + 1;
  cookies[ncookies++] = c;
  return ncookies;
}

/* Prints every event queued now (the descriptor is non-blocking). */
static void drain(const char *what) {
  char buf[4096] __attribute__((aligned(8)));
  printf("-- %s\n", what);
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno != EAGAIN) printf("read: %s\n", strerror(errno));
      return;
    }
    for (char *p = buf; p < buf + n;) {
      struct inotify_event *e = (struct inotify_event *)p;
      char m[256];
      mask_str(e->mask, m);
      const char *w = e->wd >= 0 && e->wd < 64 && label[e->wd] ? label[e->wd] : "?";
      printf("%s %s", e->wd == -1 ? "-1" : w, m);
      if (e->cookie) printf(" cookie#%d", cookie_no(e->cookie));
      if (e->len) printf(" \"%s\" (len %u)", e->name, e->len);
      printf("\n");
      p += sizeof *e + e->len;
    }
  }
}

static int watch(const char *path, unsigned mask, const char *name) {
  int wd = inotify_add_watch(fd, path, mask);
  if (wd < 0) {
    printf("add_watch %s: %s\n", name, strerror(errno));
    return -1;
  }
  if (wd < 64) label[wd] = name;
  return wd;
}

static void expect_err(const char *what, int r, int err) {
  printf("%s: %s\n", what, r == -1 ? (errno == err ? "expected error" : strerror(errno)) : "succeeded");
}

static void writefile(const char *path, const char *text) {
  int f = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
  write(f, text, strlen(text));
  close(f);
}

int main(void) {
  char buf[64];
  setvbuf(stdout, NULL, _IOLBF, 0);
  /* errors */
  expect_err("init1 bad flags", inotify_init1(0x1234), EINVAL);
  fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return perror("inotify_init1"), 1;
  printf("cloexec %d, nonblock %d\n", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0, (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
  expect_err("mask 0", inotify_add_watch(fd, ".", 0), EINVAL);
  expect_err("mask_add with mask_create", inotify_add_watch(fd, ".", IN_CREATE | IN_MASK_ADD | IN_MASK_CREATE), EINVAL);
  expect_err("bad fd", inotify_add_watch(99, ".", IN_CREATE), EBADF);
  expect_err("not inotify", inotify_add_watch(1, ".", IN_CREATE), EINVAL);
  expect_err("missing path", inotify_add_watch(fd, "nothing/here", IN_CREATE), ENOENT);
  expect_err("null path", inotify_add_watch(fd, NULL, IN_CREATE), EFAULT);
  expect_err("rm_watch unknown", inotify_rm_watch(fd, 12345), EINVAL);
  expect_err("rm_watch not inotify", inotify_rm_watch(1, 1), EINVAL);
  expect_err("empty read", read(fd, buf, sizeof buf), EAGAIN);
  expect_err("write", write(fd, "x", 1), EINVAL);

  mkdir("d", 0755);
  writefile("d/plain", "plain");
  expect_err("onlydir on a file", inotify_add_watch(fd, "d/plain", IN_ONLYDIR | IN_ALL_EVENTS), ENOTDIR);
  symlink("plain", "d/link");
  int wl = watch("d/link", IN_ALL_EVENTS | IN_DONT_FOLLOW, "link");
  int wp = watch("d/plain", IN_ATTRIB, "plain");
  printf("dont_follow gives another watch: %d\n", wl != wp);
  chmod("d/link", 0600); /* follows: the file's watch hears it */
  drain("chmod through a symbolic link");
  inotify_rm_watch(fd, wl);
  inotify_rm_watch(fd, wp);
  drain("rm_watch");
  unlink("d/link");
  unlink("d/plain");

  int wd = watch("d", IN_ALL_EVENTS, "d");
  printf("same watch again: %d\n", watch("d", IN_ALL_EVENTS | IN_MASK_ADD, "d") == wd);
  expect_err("mask_create on a watched directory", inotify_add_watch(fd, "d", IN_CREATE | IN_MASK_CREATE), EEXIST);

  int f = open("d/a", O_CREAT | O_WRONLY, 0644);
  write(f, "hello", 5);
  write(f, " world", 6); /* merged with the first modify */
  int avail = -1;
  ioctl(fd, FIONREAD, &avail);
  printf("FIONREAD %d\n", avail);
  struct pollfd pf = {fd, POLLIN, 0};
  printf("poll %d revents %#x\n", poll(&pf, 1, 0), pf.revents);
  close(f);
  drain("create, write twice, close");
  printf("poll empty %d\n", poll(&pf, 1, 0));

  watch("d/a", IN_ALL_EVENTS, "a");
  f = open("d/a", O_RDONLY);
  read(f, buf, sizeof buf);
  read(f, buf, sizeof buf); /* end of file: nothing read, no event */
  close(f);
  drain("open, read, close a watched file");

  chmod("d/a", 0600);
  truncate("d/a", 3);
  utimensat(AT_FDCWD, "d/a", NULL, 0);
  struct timespec only_m[2] = {{0, UTIME_OMIT}, {1000, 0}};
  utimensat(AT_FDCWD, "d/a", only_m, 0);
  struct timespec only_a[2] = {{1000, 0}, {0, UTIME_OMIT}};
  utimensat(AT_FDCWD, "d/a", only_a, 0);
  f = open("d/a", O_WRONLY | O_TRUNC);
  fchmod(f, 0644);
  ftruncate(f, 10);
  close(f);
  drain("chmod, truncate, utimensat, open O_TRUNC, fchmod, ftruncate");

  link("d/a", "d/b");
  rename("d/b", "d/c");
  unlink("d/c");
  drain("link, rename the new name, unlink it");

  mkdir("d/sub", 0755);
  DIR *dir = opendir("d/sub");
  while (readdir(dir) != NULL) {
  }
  closedir(dir);
  symlink("a", "d/sym");
  unlink("d/sym");
  drain("mkdir, list it, symlink, unlink");

  rename("d/a", "d/sub/a2");
  drain("rename a into another directory");
  watch("d/sub", IN_CREATE | IN_ONESHOT, "sub");
  writefile("d/sub/x", "x");
  writefile("d/sub/y", "y");
  drain("oneshot: the first create only");
  unlink("d/sub/a2");
  drain("unlink the watched file's last link");
  unlink("d/sub/x");
  unlink("d/sub/y");
  watch("d/sub", IN_DELETE_SELF | IN_MOVE_SELF, "sub2");
  rename("d/sub", "d/sub3");
  rename("d/sub3", "d/sub");
  rmdir("d/sub");
  drain("rmdir");

  writefile("d/o", "open");
  watch("d/o", IN_ALL_EVENTS, "o");
  f = open("d/o", O_RDONLY);
  unlink("d/o");
  drain("unlink while open");
  close(f);
  drain("then close");

  writefile("d/p", "p");
  writefile("d/q", "q");
  watch("d/p", IN_ALL_EVENTS, "p");
  watch("d/q", IN_ALL_EVENTS, "q");
  rename("d/p", "d/q");
  drain("rename over a watched file");
  unlink("d/q");
  drain("unlink the survivor");

  /* excl_unlink: the directory's watch hears nothing of an entry once it is unlinked */
  int wx = watch("d", IN_ALL_EVENTS | IN_EXCL_UNLINK, "dx");
  printf("same descriptor: %d\n", wx == wd);
  f = open("d/e", O_CREAT | O_RDWR, 0644);
  unlink("d/e");
  write(f, "e", 1);
  close(f);
  drain("excl_unlink");

  /* a blocking read waits for another process's event */
  int bfd = inotify_init();
  int bw = inotify_add_watch(bfd, "d", IN_CREATE);
  pid_t pid = fork();
  if (pid == 0) {
    usleep(100000);
    writefile("d/late", "late");
    _exit(0);
  }
  char eb[256] __attribute__((aligned(8)));
  ssize_t n = read(bfd, eb, sizeof eb);
  struct inotify_event *e = (struct inotify_event *)eb;
  printf("blocking read: %zd bytes, wd ok %d, mask %#x, name %s\n", n, e->wd == bw, e->mask, e->name);
  waitpid(pid, NULL, 0);
  writefile("d/late2", "2");
  expect_err("read into a buffer too small", read(bfd, eb, 8), EINVAL);
  close(bfd);
  unlink("d/late");
  unlink("d/late2");
  drain("the other instance's files");

  /* overflow: more events than max_queued_events */
  FILE *mq = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
  int max = 0;
  if (mq == NULL || fscanf(mq, "%d", &max) != 1) max = 16384;
  if (mq) fclose(mq);
  printf("max_queued_events %d\n", max);
  inotify_rm_watch(fd, wd);
  drain("rm_watch of the directory");
  int ofd = inotify_init1(IN_NONBLOCK);
  inotify_add_watch(ofd, "d", IN_OPEN | IN_CLOSE);
  writefile("d/z", "z");
  for (int i = 0; i < max / 2 + 10; i++) close(open("d/z", O_RDONLY));
  int count = 0, last_wd = 0;
  unsigned last_mask = 0;
  for (;;) {
    char ob[4096] __attribute__((aligned(8)));
    ssize_t m = read(ofd, ob, sizeof ob);
    if (m <= 0) break;
    for (char *p = ob; p < ob + m;) {
      struct inotify_event *oe = (struct inotify_event *)p;
      count++;
      last_wd = oe->wd;
      last_mask = oe->mask;
      p += sizeof *oe + oe->len;
    }
  }
  printf("overflow: %d events, the last wd %d mask %#x\n", count, last_wd, last_mask);
  close(ofd);
  unlink("d/z");
  rmdir("d");
  drain("the end");
  return 0;
}
