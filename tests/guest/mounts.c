/* Mounts, in an empty working directory, as root: a tmpfs mounted over a directory (hiding
 * what it held), files, directories, links, FIFOs and device nodes in it, statfs, ".." across
 * the mount point, rename and link between the tmpfs and the file system below (EXDEV), a
 * symbolic link out of it, mmap and exec of a file in it, its size limit, busy mounts (EBUSY),
 * nested and bind mounts, remounting read-only, /proc/self/mounts and mountinfo, and the
 * refusals (unknown type, missing or non-directory target, not root). Natively it first moves
 * into a mount name space of its own (unshare), so the host's mounts are untouched; exojit's
 * run is a name space of its own already (its unshare refuses new name spaces with EINVAL, as
 * a kernel built without them does). Paths print
 * relative to the working directory. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#define TMPFS_MAGIC 0x01021994
#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

static char cwd[1024];

static void report(const char *what, long r) { printf("%-44s %s\n", what, r < 0 ? strerror(errno) : "ok"); }
#define T(what, expr)           \
  do {                          \
    errno = 0;                  \
    report(what, (long)(expr)); \
  } while (0)

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list(const char *dir) {
  DIR *d = opendir(dir);
  if (d == NULL) {
    printf("  ls %s: %s\n", dir, strerror(errno));
    return;
  }
  char *names[64];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL && n < 64) names[n++] = strdup(e->d_name);
  closedir(d);
  qsort(names, n, sizeof *names, cmp);
  printf("  ls %s:", dir);
  for (int i = 0; i < n; i++) printf(" %s", names[i]);
  printf("\n");
}

static void show(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) {
    printf("  %s: %s\n", path, strerror(errno));
    return;
  }
  printf("  %s: mode %06o nlink %lu size %lld blocks %lld", path, st.st_mode, (unsigned long)st.st_nlink, (long long)st.st_size, (long long)st.st_blocks);
  if (S_ISCHR(st.st_mode)) printf(" rdev %u,%u", major(st.st_rdev), minor(st.st_rdev));
  printf("\n");
}

/* The lines of a /proc table that mention the working directory, with it shown as ".". */
static void table(const char *file, int mountinfo) {
  FILE *f = fopen(file, "r");
  char line[2048];
  printf("  %s:\n", file);
  while (fgets(line, sizeof line, f) != NULL) {
    char *at = strstr(line, cwd);
    if (at == NULL) continue;
    char out[2048];
    snprintf(out, sizeof out, "%.*s.%s", (int)(at - line), line, at + strlen(cwd));
    if (mountinfo) {
      /* id, parent id and device differ between runs: from the root field on. */
      char *p = out;
      for (int k = 0; k < 3 && p != NULL; k++) p = strchr(p, ' ') ? strchr(p, ' ') + 1 : NULL;
      printf("    %s", p != NULL ? p : out);
    } else {
      printf("    %s", out);
    }
  }
  fclose(f);
}

static void statfs_of(const char *path) {
  struct statfs s;
  if (statfs(path, &s) != 0) {
    printf("  statfs %s: %s\n", path, strerror(errno));
    return;
  }
  if (s.f_type != TMPFS_MAGIC) {
    /* the host's file system: its free space changes between runs */
    printf("  statfs %s: tmpfs 0 namelen %ld\n", path, (long)s.f_namelen);
    return;
  }
  printf("  statfs %s: tmpfs %d bsize %ld blocks %ld free %ld avail %ld namelen %ld flags 0x%lx\n", path, s.f_type == TMPFS_MAGIC, (long)s.f_bsize, (long)s.f_blocks,
         (long)s.f_bfree, (long)s.f_bavail, (long)s.f_namelen, (long)s.f_flags);
}

static void put(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  write(fd, text, strlen(text));
  close(fd);
}

static void cat(const char *path) {
  char buf[128] = {0};
  int fd = open(path, O_RDONLY);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
  if (n < 0) printf("  cat %s: %s\n", path, strerror(errno));
  else printf("  cat %s: %s", path, buf);
  if (fd >= 0) close(fd);
}

/* open() that closes what it opened. */
/* A file's access time after a one-byte read through a descriptor opened with `flags`, as
 * "kept" (still `was`) or "moved". */
static const char *atime_after_read(const char *path, int flags, time_t was) {
  char c;
  int fd = open(path, O_RDONLY | flags);
  if (fd < 0 || read(fd, &c, 1) != 1) return strerror(errno);
  close(fd);
  struct stat st;
  stat(path, &st);
  return st.st_atime == was ? "kept" : "moved";
}

/* Sets a file's access time alone (its change time becomes now). */
static void set_atime(const char *path, time_t t) {
  struct timespec ts[2] = { { t, 0 }, { 0, UTIME_OMIT } };
  utimensat(AT_FDCWD, path, ts, 0);
}

static int try_open(const char *path, int flags) {
  int fd = open(path, flags, 0644);
  if (fd >= 0) close(fd);
  return fd < 0 ? -1 : 0;
}

static ino_t ino(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? st.st_ino : 0;
}

static void copy_self(const char *to) {
  int in = open("/proc/self/exe", O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
  char buf[65536];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0) write(out, buf, n);
  close(in);
  close(out);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "hello") == 0) {
    printf("  hello from a program in tmpfs\n");
    return 0;
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  if (getuid() != 0) {
    printf("not run as root: nothing to test\n");
    return 0;
  }
  if (unshare(CLONE_NEWNS) != 0 && errno != ENOSYS && errno != EINVAL) {
    printf("no mount name space of our own: %s\n", strerror(errno));
    return 0;
  }
  T("make every mount private", mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL));
  getcwd(cwd, sizeof cwd);
  chmod(".", 0755);
  mkdir("m", 0755);
  mkdir("m/under", 0755);
  put("hostfile", "on the file system below\n");
  list("m");
  /* A change of the mount table wakes poll and epoll on /proc/self/mounts with POLLPRI and
   * POLLERR, until the table is read again. */
  int mfd = open("/proc/self/mounts", O_RDONLY), ep = epoll_create1(0);
  struct epoll_event ev = { .events = EPOLLPRI, .data.fd = mfd }, got;
  T("epoll_ctl ADD /proc/self/mounts (EPOLLPRI)", epoll_ctl(ep, EPOLL_CTL_ADD, mfd, &ev));
  printf("before the mount: %d events\n", epoll_wait(ep, &got, 1, 0));
  T("mount tmpfs on m (size=1m)", mount("none", "m", "tmpfs", 0, "size=1m"));
  int n = epoll_wait(ep, &got, 1, 1000);
  printf("after it: %d events (POLLPRI %d, POLLERR %d)\n", n, n > 0 && (got.events & EPOLLPRI) != 0, n > 0 && (got.events & EPOLLERR) != 0);
  struct pollfd pf = { .fd = mfd, .events = POLLPRI };
  printf("poll: %d, revents POLLPRI %d\n", poll(&pf, 1, 0), (pf.revents & POLLPRI) != 0);
  char drain[4096];
  lseek(mfd, 0, SEEK_SET);
  while (read(mfd, drain, sizeof drain) > 0) {}
  printf("read again: %d events\n", epoll_wait(ep, &got, 1, 0));
  close(ep);
  close(mfd);
  list("m");
  show("m");
  table("/proc/self/mounts", 0);
  table("/proc/self/mountinfo", 1);
  statfs_of("m");
  statfs_of(".");
  put("m/f", "hello\n");
  show("m/f");
  show("m");
  T("mkdir m/d", mkdir("m/d", 0755));
  show("m");
  /* Access times on tmpfs: O_NOATIME keeps them; relatime moves one older than the last
   * change and keeps a newer one; strictatime moves it anyway; noatime never. */
  put("m/at", "x\n");
  time_t later = time(NULL) + 100000;
  set_atime("m/at", 1000000);
  printf("m/at, old access time, read with O_NOATIME: %s\n", atime_after_read("m/at", O_NOATIME, 1000000));
  printf("m/at, old access time, read: %s\n", atime_after_read("m/at", 0, 1000000));
  set_atime("m/at", later);
  printf("m/at, access time after the change, read: %s\n", atime_after_read("m/at", 0, later));
  T("remount m strictatime", mount("none", "m", NULL, MS_REMOUNT | MS_STRICTATIME, "size=1m"));
  printf("m/at, strictatime, read: %s\n", atime_after_read("m/at", 0, later));
  T("remount m noatime", mount("none", "m", NULL, MS_REMOUNT | MS_NOATIME, "size=1m"));
  set_atime("m/at", 1000000);
  printf("m/at, noatime, old access time, read: %s\n", atime_after_read("m/at", 0, 1000000));
  T("remount m relatime", mount("none", "m", NULL, MS_REMOUNT | MS_RELATIME, "size=1m"));
  T("unlink m/at", unlink("m/at"));
  T("symlink m/l -> f", symlink("f", "m/l"));
  T("link m/f m/h", link("m/f", "m/h"));
  show("m/f");
  T("mkfifo m/p", mkfifo("m/p", 0600));
  T("mknod m/null (1,3)", mknod("m/null", S_IFCHR | 0666, makedev(1, 3)));
  show("m/null");
  int nul = open("m/null", O_RDWR);
  char b[8];
  printf("  m/null: write %ld, read %ld\n", (long)write(nul, "xyz", 3), (long)read(nul, b, sizeof b));
  close(nul);
  list("m");
  printf("  m/.. is .: %d, m/d/../.. is .: %d, m is not .: %d\n", ino("m/..") == ino("."), ino("m/d/../..") == ino("."), ino("m") != ino("."));
  T("rename m/f to ./moved (other mount)", rename("m/f", "moved"));
  T("link m/f to ./hard (other mount)", link("m/f", "hard"));
  T("rename hostfile into m", rename("hostfile", "m/hostfile"));
  T("rename m/f to m/d/g", rename("m/f", "m/d/g"));
  T("symlink m/up -> ../hostfile", symlink("../hostfile", "m/up"));
  cat("m/up");
  cat("m/h");

  /* mmap and exec of files in the tmpfs */
  int fd = open("m/d/g", O_RDWR);
  char *map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) printf("  mmap: %s\n", strerror(errno));
  else {
    map[0] = 'J';
    pwrite(fd, "Y", 1, 1);
    char back[8] = {0};
    pread(fd, back, 5, 0);
    printf("  mmap'ed m/d/g: read() sees %s, the mapping sees %.5s\n", back, map);
    munmap(map, 4096);
  }
  copy_self("m/prog");
  pid_t c = fork();
  if (c == 0) {
    execl("m/prog", "prog", "hello", (char *)NULL);
    printf("  exec m/prog: %s\n", strerror(errno));
    _exit(1);
  }
  int st;
  waitpid(c, &st, 0);
  unlink("m/prog");

  /* busy mounts */
  T("umount m with a file open in it", umount("m"));
  close(fd);
  chdir("m/d");
  char there[1100];
  snprintf(there, sizeof there, "%s/m", cwd);
  T("umount m with the working directory in it", umount(there));
  chdir(cwd);
  mkdir("m/n", 0755);
  T("mount tmpfs on m/n", mount("inner", "m/n", "tmpfs", 0, "size=64k,mode=700"));
  show("m/n");
  T("umount m with a mount inside", umount("m"));
  T("umount m/n", umount("m/n"));

  /* a bind mount of a directory of the tmpfs */
  mkdir("bind", 0755);
  T("bind m/d on bind", mount("m/d", "bind", NULL, MS_BIND, NULL));
  list("bind");
  put("bind/new", "through the bind mount\n");
  cat("m/d/new");
  table("/proc/self/mountinfo", 1);
  T("rename bind/new to m/d/new2 (other mount)", rename("bind/new", "m/d/new2"));
  T("umount bind", umount("bind"));

  /* read-only */
  int w = open("m/h", O_WRONLY);
  T("remount m read-only with a file open for writing", mount(NULL, "m", NULL, MS_REMOUNT | MS_RDONLY, NULL));
  close(w);
  T("remount m read-only", mount(NULL, "m", NULL, MS_REMOUNT | MS_RDONLY, NULL));
  T("create m/ro", try_open("m/ro", O_WRONLY | O_CREAT));
  T("open m/h for writing", try_open("m/h", O_WRONLY));
  T("unlink m/h", unlink("m/h"));
  T("chmod m/h", chmod("m/h", 0600));
  T("access m/h W_OK", access("m/h", W_OK));
  T("write to m/null (a device)", (nul = open("m/null", O_WRONLY)) < 0 ? -1 : write(nul, "x", 1));
  close(nul);
  cat("m/h");
  statfs_of("m");
  table("/proc/self/mounts", 0);
  T("remount m read-write", mount(NULL, "m", NULL, MS_REMOUNT, "size=1m"));
  T("create m/rw", try_open("m/rw", O_WRONLY | O_CREAT));

  /* the size limit */
  static char big[2 << 20];
  memset(big, 'z', sizeof big);
  int full = open("m/full", O_WRONLY | O_CREAT, 0644);
  long n1 = write(full, big, sizeof big);
  errno = 0;
  long n2 = write(full, big, 4096);
  printf("  filling m: wrote %ld, then %ld (%s)\n", n1, n2, n2 < 0 ? strerror(errno) : "?");
  statfs_of("m");
  close(full);
  unlink("m/full");
  statfs_of("m");

  /* refusals */
  T("mount type nosuchfs", mount("none", "bind", "nosuchfs", 0, NULL));
  T("mount on a missing directory", mount("none", "missing", "tmpfs", 0, NULL));
  T("mount on a file", mount("none", "m/h", "tmpfs", 0, NULL));
  T("umount a directory that is no mount point", umount("bind"));
  T("umount2 with unknown flags", umount2("m", 0x100));
  T("mount tmpfs with a bad option", mount("none", "bind", "tmpfs", 0, "colour=blue"));
  if ((c = fork()) == 0) {
    setuid(1000);
    T("mount as uid 1000", mount("none", "bind", "tmpfs", 0, NULL));
    T("umount as uid 1000", umount("m"));
    _exit(0);
  }
  waitpid(c, &st, 0);

  /* nosymfollow: links on the mount are read but not followed; statfs and the table say so */
  T("mount tmpfs nosymfollow", mount("none", "bind", "tmpfs", MS_NOSYMFOLLOW, NULL));
  close(open("bind/target", O_CREAT | O_WRONLY, 0644));
  symlink("target", "bind/link");
  T("open through a link on it", open("bind/link", O_RDONLY));
  char lt[32] = {0};
  printf("  readlink: %s\n", readlink("bind/link", lt, sizeof lt - 1) > 0 ? lt : strerror(errno));
  struct statfs nsf;
  statfs("bind", &nsf);
  printf("  ST_NOSYMFOLLOW %d\n", (nsf.f_flags & 0x2000) != 0);
  T("umount it", umount("bind"));
  /* MNT_EXPIRE: a first call marks the mount, a use clears the mark, a second call unmounts */
  T("mount tmpfs on bind", mount("none", "bind", "tmpfs", 0, NULL));
  T("expire with MNT_DETACH", umount2("bind", MNT_EXPIRE | MNT_DETACH));
  T("expire, first call", umount2("bind", MNT_EXPIRE));
  T("  then used", access("bind/.", F_OK));
  T("expire after the use", umount2("bind", MNT_EXPIRE));
  T("expire, second call", umount2("bind", MNT_EXPIRE));
  T("umount m", umount("m"));
  list("m");
  table("/proc/self/mounts", 0);
  show("/dev/null");
  return 0;
}
