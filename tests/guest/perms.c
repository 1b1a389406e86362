/* File permissions as POSIX gives them to an unprivileged user: root sets up files and
 * directories in the (fresh, empty) working directory, then a child drops to uid/gid 1000
 * (supplementary group 100) and tries what the mode bits allow and refuse: reading, writing,
 * truncating, searching, listing, creating, removing and renaming (sticky directories), the
 * group of new files in set-group-ID directories, chmod/chown/utimensat by the owner and by
 * others, access() with the real ids, setfsuid, and exec (which needs an execute bit, and no
 * read permission). Prints only what is the same on any Linux run by root. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char *what, long r) { printf("%-44s %s\n", what, r < 0 ? strerror(errno) : "ok"); }
#define T(what, expr)        \
  do {                       \
    errno = 0;               \
    report(what, (long)(expr)); \
  } while (0)

/* open() that closes what it opened: the result is all that matters. */
static int try_open(const char *path, int flags) {
  int fd = open(path, flags, 0644);
  if (fd >= 0) close(fd);
  return fd < 0 ? -1 : 0;
}

static void put(const char *path, mode_t mode, const char *text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || write(fd, text, strlen(text)) < 0) perror(path);
  close(fd);
  chmod(path, mode);
}

static void show(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) {
    printf("  %s: %s\n", path, strerror(errno));
    return;
  }
  printf("  %s: mode %04o uid %u gid %u\n", path, st.st_mode & 07777, (unsigned)st.st_uid, (unsigned)st.st_gid);
}

static void copy_self(const char *to, mode_t mode) {
  int in = open("/proc/self/exe", O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0700);
  char buf[65536];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0) write(out, buf, n);
  close(in);
  close(out);
  chmod(to, mode);
}

/* Runs `path` in a child and reports how it went. */
static void try_exec(const char *what, const char *path) {
  int p[2];
  pipe(p);
  pid_t c = fork();
  if (c == 0) {
    close(p[0]);
    execl(path, path, "exit7", (char *)NULL);
    int e = errno;
    write(p[1], &e, sizeof e);
    _exit(127);
  }
  close(p[1]);
  int e = 0, st;
  ssize_t got = read(p[0], &e, sizeof e);
  close(p[0]);
  waitpid(c, &st, 0);
  if (got == sizeof e) printf("%-44s %s\n", what, strerror(e));
  else printf("%-44s ran, status %d\n", what, WEXITSTATUS(st));
}

static void unprivileged(void) {
  gid_t groups[] = {100};
  if (setgroups(1, groups) != 0 || setgid(1000) != 0 || setuid(1000) != 0) {
    perror("dropping privileges");
    _exit(1);
  }
  uid_t r, e, s;
  getresuid(&r, &e, &s);
  printf("now uid %u/%u/%u gid %u, %d group(s)\n", (unsigned)r, (unsigned)e, (unsigned)s, (unsigned)getgid(), getgroups(0, NULL));
  T("open secret (0600 root) for reading", try_open("secret", O_RDONLY));
  T("open public (0644 root) for reading", try_open("public", O_RDONLY));
  T("open public for writing", try_open("public", O_WRONLY));
  T("open public O_RDONLY|O_TRUNC", try_open("public", O_RDONLY | O_TRUNC));
  T("open shared (0666 root) for writing", try_open("shared", O_WRONLY));
  T("stat private/f (dir 0700 root)", access("private/f", F_OK));
  T("stat searchonly/f (dir 0711 root)", access("searchonly/f", F_OK));
  T("open searchonly/f", try_open("searchonly/f", O_RDONLY));
  T("list searchonly", try_open("searchonly", O_RDONLY | O_DIRECTORY));
  T("chdir private (0700 root)", chdir("private"));
  int pfd = open("private", O_PATH | O_DIRECTORY);
  T("fchdir to an O_PATH fd of private", fchdir(pfd));
  close(pfd);
  T("chdir searchonly", chdir("searchonly"));
  T("chdir back", chdir(".."));
  T("create ro/new (dir 0755 root)", try_open("ro/new", O_WRONLY | O_CREAT));
  T("mkdir ro/d", mkdir("ro/d", 0755));
  T("create open/mine (dir 0777 root)", try_open("open/mine", O_WRONLY | O_CREAT | O_EXCL));
  show("open/mine");
  T("O_EXCL create of open/mine again", try_open("open/mine", O_WRONLY | O_CREAT | O_EXCL));
  T("mkdir open/d", mkdir("open/d", 0777));
  show("open/d");
  T("unlink sticky/rootfile (sticky 1777)", unlink("sticky/rootfile"));
  T("rename sticky/rootfile within sticky", rename("sticky/rootfile", "sticky/moved"));
  T("write sticky/rootfile (0666)", try_open("sticky/rootfile", O_WRONLY));
  T("create sticky/mine", try_open("sticky/mine", O_WRONLY | O_CREAT));
  T("rename sticky/mine within sticky", rename("sticky/mine", "sticky/mine2"));
  T("unlink sticky/mine2", unlink("sticky/mine2"));
  T("create sgid/f (dir 2777 group 1234)", try_open("sgid/f", O_WRONLY | O_CREAT));
  show("sgid/f");
  T("mkdir sgid/d", mkdir("sgid/d", 0755));
  show("sgid/d");
  T("chmod public (not ours)", chmod("public", 0777));
  T("chmod open/mine 0640", chmod("open/mine", 0640));
  T("chmod open/mine 02755 (group 1000 is ours)", chmod("open/mine", 02755));
  show("open/mine");
  T("chown open/mine to uid 0", chown("open/mine", 0, -1));
  T("chown open/mine to gid 0 (not a member)", chown("open/mine", -1, 0));
  T("chown open/mine to gid 100 (a member)", chown("open/mine", -1, 100));
  show("open/mine");
  T("chown open/mine to its own ids", chown("open/mine", 1000, 1000));
  T("chown public to uid 1000", chown("public", 1000, -1));
  struct timespec ts[2] = {{1000000000, 0}, {1000000000, 0}};
  T("utimensat explicit times on shared", utimensat(AT_FDCWD, "shared", ts, 0));
  T("utimensat now on shared (0666)", utimensat(AT_FDCWD, "shared", NULL, 0));
  {
    /* "now" for one time and the other left alone counts as times of one's own choosing */
    struct timespec nowomit[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
    T("utimensat now and omit on shared", utimensat(AT_FDCWD, "shared", nowomit, 0));
  }
  T("utimensat now on public (0644)", utimensat(AT_FDCWD, "public", NULL, 0));
  T("utimensat explicit times on open/mine", utimensat(AT_FDCWD, "open/mine", ts, 0));
  T("truncate public", truncate("public", 0));
  T("truncate shared", truncate("shared", 1));
  T("access secret R_OK", access("secret", R_OK));
  T("access public W_OK", access("public", W_OK));
  T("access public R_OK", access("public", R_OK));
  T("access execonly X_OK", access("execonly", X_OK));
  T("rename a/rootsub to b/ (dir not ours)", rename("a/rootsub", "b/rootsub"));
  T("rename a/rootsub to a/other (same parent)", rename("a/rootsub", "a/other"));
  T("rename open/mine to a/mine", rename("open/mine", "a/mine"));
  T("unlink public (dir . is 0755 root)", unlink("public"));
  T("rmdir private", rmdir("private"));
  T("mknod open/fifo (a FIFO)", mknod("open/fifo", S_IFIFO | 0644, 0));
  T("mknod open/null (a character device)", mknod("open/null", S_IFCHR | 0666, makedev(1, 3)));
  T("setuid(0)", setuid(0));
  T("setgid(0)", setgid(0));
  T("setgroups", setgroups(0, NULL));
  try_exec("exec script (0644)", "./script");
  try_exec("exec execonly (0711 root, unreadable)", "./execonly");
  T("read execonly", try_open("execonly", O_RDONLY));
  _exit(0);
}

/* Real uid 1000, effective root: access() answers for the real ids, AT_EACCESS for the
 * effective ones, and opening goes by the effective ones. */
static void real_ids(void) {
  if (setreuid(1000, 0) != 0) {
    perror("setreuid");
    _exit(1);
  }
  T("real 1000: access secret R_OK", access("secret", R_OK));
  T("real 1000: faccessat AT_EACCESS secret", faccessat(AT_FDCWD, "secret", R_OK, AT_EACCESS));
  T("real 1000: open secret", try_open("secret", O_RDONLY));
  _exit(0);
}

/* setfsuid: the file-system user id alone decides file access. */
static void fs_ids(void) {
  int before = setfsuid(1000);
  printf("setfsuid(1000) returned %d, fsuid now %d\n", before, setfsuid(-1));
  T("fsuid 1000: open secret", try_open("secret", O_RDONLY));
  T("fsuid 1000: create ro/x", try_open("ro/x", O_WRONLY | O_CREAT));
  setfsuid(0);
  T("fsuid 0 again: open secret", try_open("secret", O_RDONLY));
  if (seteuid(2000) == 0) printf("after seteuid(2000) fsuid is %d\n", setfsuid(-1));
  _exit(0);
}

static void in_child(void (*fn)(void)) {
  pid_t c = fork();
  if (c == 0) fn();
  int st;
  waitpid(c, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) printf("child ended with status 0x%x\n", st);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "exit7") == 0) return 7;
  setvbuf(stdout, NULL, _IONBF, 0);
  if (getuid() != 0) {
    printf("not run as root: nothing to test\n");
    return 0;
  }
  umask(022);
  chmod(".", 0755);
  mkdir("private", 0700);
  put("private/f", 0644, "p");
  mkdir("searchonly", 0711);
  put("searchonly/f", 0644, "s");
  mkdir("ro", 0755);
  mkdir("open", 0777);
  chmod("open", 0777);
  mkdir("sticky", 01777);
  chmod("sticky", 01777);
  put("sticky/rootfile", 0666, "r");
  mkdir("sgid", 0777);
  chown("sgid", 0, 1234);
  chmod("sgid", 02777);
  mkdir("a", 0777);
  mkdir("b", 0777);
  chmod("a", 0777);
  chmod("b", 0777);
  mkdir("a/rootsub", 0755);
  put("secret", 0600, "secret\n");
  put("public", 0644, "public\n");
  put("shared", 0666, "shared\n");
  put("script", 0644, "#!/bin/sh\nexit 3\n");
  copy_self("execonly", 0711);
  put("setid", 04755, "");
  chmod("setid", 06755);
  show("setid");
  T("root: chown setid to 1000:1000", chown("setid", 1000, 1000));
  show("setid");
  try_exec("root: exec script (0644, no x bit)", "./script");
  T("root: open secret", try_open("secret", O_RDONLY));
  T("root: access script X_OK", access("script", X_OK));
  T("root: access secret W_OK", access("secret", W_OK));
  /* A set-group-ID FIFO in a set-group-ID directory: the bit stays (root), the group is the
   * directory's. */
  T("root: mknod sgid/fifo (S_ISGID | 0777)", mknod("sgid/fifo", S_IFIFO | S_ISGID | 0777, 0));
  show("sgid/fifo");
  in_child(unprivileged);
  in_child(real_ids);
  in_child(fs_ids);
  show("sticky/rootfile");
  show("shared");
  show("a/mine");
  show("open/fifo");
  T("root: unlink sticky/rootfile", unlink("sticky/rootfile"));
  return 0;
}
