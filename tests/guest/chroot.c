/* chroot, compared natively and under exojit (tests/chroot.test.ts; as root, as CI runs):
 * a jail made in the working directory, paths and ".." confined to it, an absolute symbolic
 * link resolved inside it, the working directory, a child that inherits the root and runs a
 * program from inside the jail, nested chroot, and the errors (ENOENT, ENOTDIR, EPERM for an
 * unprivileged user, EFAULT). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "guest.h"

static void put(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
  write(fd, text, strlen(text));
  close(fd);
}
static void cat(const char *label, const char *path) {
  char buf[64] = "";
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    printf("%s: %s\n", label, strerror(errno));
    return;
  }
  ssize_t n = read(fd, buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = 0;
  close(fd);
  printf("%s: %s", label, buf);
}
static void copy(const char *from, const char *to) {
  int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
  char buf[65536];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0) write(out, buf, n);
  close(in);
  close(out);
}
static void cwd(const char *label) {
  char buf[256];
  printf("%s: %s\n", label, getcwd(buf, sizeof buf) ? buf : strerror(errno));
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1) {
    /* run from inside the jail */
    cat("inside, the child program reads /etc/name", "/etc/name");
    cwd("inside, its working directory");
    return 0;
  }
  mkdir("jail", 0755);
  mkdir("jail/etc", 0755);
  mkdir("jail/sub", 0755);
  mkdir("jail/sub/deeper", 0755);
  put("jail/etc/name", "the jail's\n");
  put("outside.txt", "outside\n");
  symlink("/etc", "jail/sub/etclink");
  copy("/proc/self/exe", "jail/prog");

  TRY("chroot to a missing directory", chroot("no-such-dir"));
  TRY("chroot to a file", chroot("outside.txt"));
  TRY("chroot with a bad pointer", chroot((const char *)16));
  pid_t c = fork();
  if (c == 0) {
    if (setuid(65534) != 0) printf("setuid failed\n");
    TRY("unprivileged chroot", chroot("jail"));
    TRY("unprivileged chroot to a missing directory", chroot("no-such-dir"));
    _exit(0);
  }
  waitpid(c, NULL, 0);

  TRY("chdir jail/sub", chdir("jail/sub"));
  TRY("chroot ..", chroot(".."));
  cwd("working directory after chroot");
  cat("/etc/name", "/etc/name");
  cat("/../../../etc/name", "/../../../etc/name");
  cat("through the absolute link", "/sub/etclink/name");
  cat("the file outside", "/../outside.txt");
  c = fork();
  if (c == 0) {
    execl("/prog", "prog", "inner", (char *)NULL);
    printf("exec /prog: %s\n", strerror(errno));
    _exit(1);
  }
  waitpid(c, NULL, 0);
  TRY("chdir /../..", chdir("/../.."));
  cwd("after chdir /../..");
  TRY("chdir sub/deeper", chdir("sub/deeper"));
  cwd("after chdir sub/deeper");
  TRY("chroot . (nested)", chroot("."));
  cwd("after the nested chroot");
  cat("/etc/name now", "/etc/name");
  TRY("chroot / again", chroot("/"));
  TRY("chdir /", chdir("/"));
  cwd("at the nested root");
  c = fork();
  if (c == 0) {
    cat("a child of the nested jail reads /etc/name", "/etc/name");
    _exit(0);
  }
  waitpid(c, NULL, 0);
  return 0;
}
