/* Signal-driven I/O: O_ASYNC on a pipe's read end with an owner (F_SETOWN, F_SETOWN_EX) sends
 * SIGIO when a write makes it readable, or F_SETSIG's signal with si_code POLL_IN; a process
 * group as owner; F_GETOWN, F_GETOWN_EX, F_GETSIG and the errors; si_fd and si_band. dnotify
 * (F_NOTIFY): a directory's changes signal the process that asked, once or with DN_MULTISHOT
 * until F_NOTIFY 0 or a close. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void show(const char *what, long r) {
  if (r < 0) printf("%s: -1 %s\n", what, strerror(errno));
  else printf("%s: %ld\n", what, r);
}

static int last_fd;
static long last_band;

/* The signal `sig` within 0.5 s (blocked, so it waits pending): its si_code, or -1 (with its
 * si_fd and si_band in last_fd and last_band). */
static int caught(int sig) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  siginfo_t si;
  struct timespec ts = {0, 500000000};
  int r = sigtimedwait(&set, &si, &ts);
  last_fd = si.si_fd;
  last_band = si.si_band;
  return r == sig ? si.si_code : -1;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  /* a group of its own: the group's SIGIO below must reach no one else */
  setpgid(0, 0);
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGIO);
  sigaddset(&block, SIGRTMIN + 1);
  sigprocmask(SIG_BLOCK, &block, NULL);
  int p[2];
  pipe(p);
  show("F_GETOWN before", fcntl(p[0], F_GETOWN));
  show("F_GETSIG before", fcntl(p[0], F_GETSIG));
  show("F_SETOWN to no process", fcntl(p[0], F_SETOWN, 999999));
  show("F_SETSIG 65", fcntl(p[0], F_SETSIG, 65));
  struct f_owner_ex bad = {7, getpid()};
  show("F_SETOWN_EX bad type", fcntl(p[0], F_SETOWN_EX, &bad));

  show("F_SETFL O_ASYNC", fcntl(p[0], F_SETFL, O_ASYNC));
  printf("O_ASYNC set: %d\n", (fcntl(p[0], F_GETFL) & O_ASYNC) != 0);
  write(p[1], "x", 1);
  printf("no owner, a write: code %d\n", caught(SIGIO));
  char c;
  read(p[0], &c, 1);
  show("F_SETOWN", fcntl(p[0], F_SETOWN, getpid()));
  printf("F_GETOWN is me: %d\n", fcntl(p[0], F_GETOWN) == getpid());
  write(p[1], "x", 1);
  printf("a write: SIGIO code %#x\n", caught(SIGIO));
  read(p[0], &c, 1);

  show("F_SETSIG SIGRTMIN+1", fcntl(p[0], F_SETSIG, SIGRTMIN + 1));
  printf("F_GETSIG is it: %d\n", fcntl(p[0], F_GETSIG) == SIGRTMIN + 1);
  write(p[1], "x", 1);
  int code = caught(SIGRTMIN + 1);
  printf("a write: its code %d (POLL_IN %d)\n", code, POLL_IN);
  printf("  si_fd is the fd: %d, si_band %#lx\n", last_fd == p[0], last_band);
  read(p[0], &c, 1);

  /* the process group as owner, set from F_SETOWN_EX; a child writes */
  struct f_owner_ex grp = {F_OWNER_PGRP, getpgrp()}, got;
  show("F_SETOWN_EX pgrp", fcntl(p[0], F_SETOWN_EX, &grp));
  fcntl(p[0], F_GETOWN_EX, &got);
  printf("F_GETOWN_EX: type %d, mine %d; F_GETOWN %d\n", got.type, got.pid == getpgrp(), fcntl(p[0], F_GETOWN) == -getpgrp());
  fcntl(p[0], F_SETSIG, 0);
  pid_t child = fork();
  if (child == 0) {
    write(p[1], "y", 1);
    _exit(0);
  }
  waitpid(child, NULL, 0);
  printf("the group's write: SIGIO code %#x\n", caught(SIGIO));
  read(p[0], &c, 1);
  show("F_SETFL without O_ASYNC", fcntl(p[0], F_SETFL, 0));
  write(p[1], "x", 1);
  printf("O_ASYNC cleared, a write: code %d\n", caught(SIGIO));
  /* dnotify */
  mkdir("dn", 0755);
  int d = open("dn", O_RDONLY | O_DIRECTORY);
  show("F_NOTIFY on a pipe", fcntl(p[0], F_NOTIFY, DN_CREATE));
  show("F_NOTIFY 0 on a pipe", fcntl(p[0], F_NOTIFY, 0));
  show("F_NOTIFY DN_CREATE", fcntl(d, F_NOTIFY, DN_CREATE));
  printf("F_GETOWN is me: %d\n", fcntl(d, F_GETOWN) == getpid());
  close(open("dn/a", O_CREAT | O_WRONLY, 0644));
  printf("a file made: SIGIO code %#x\n", caught(SIGIO));
  close(open("dn/b", O_CREAT | O_WRONLY, 0644));
  printf("one shot, another: code %d\n", caught(SIGIO));
  fcntl(d, F_SETSIG, SIGRTMIN + 1);
  show("F_NOTIFY DN_DELETE|DN_RENAME|DN_MULTISHOT", fcntl(d, F_NOTIFY, DN_DELETE | DN_RENAME | DN_MULTISHOT));
  unlink("dn/a");
  code = caught(SIGRTMIN + 1);
  printf("a file removed: code %d (POLL_MSG %d), si_fd is the fd %d, si_band %#lx\n", code, POLL_MSG, last_fd == d, last_band);
  rename("dn/b", "dn/c");
  printf("renamed: code %d\n", caught(SIGRTMIN + 1));
  unlink("dn/c");
  printf("and again: code %d\n", caught(SIGRTMIN + 1));
  close(open("dn/e", O_CREAT | O_WRONLY, 0644));
  printf("a file made, not asked for: code %d\n", caught(SIGRTMIN + 1));
  show("F_NOTIFY 0", fcntl(d, F_NOTIFY, 0));
  unlink("dn/e");
  printf("after F_NOTIFY 0: code %d\n", caught(SIGRTMIN + 1));
  /* DN_RENAME is a rename within the directory; a move out or in is a delete or a create */
  close(open("dn/g", O_CREAT | O_WRONLY, 0644));
  fcntl(d, F_NOTIFY, DN_RENAME | DN_MULTISHOT);
  rename("dn/g", "g_out");
  printf("moved out, DN_RENAME only: code %d\n", caught(SIGRTMIN + 1));
  rename("g_out", "dn/g");
  printf("moved in: code %d\n", caught(SIGRTMIN + 1));
  rename("dn/g", "dn/h");
  printf("renamed within: code %d\n", caught(SIGRTMIN + 1));
  unlink("dn/h");
  fcntl(d, F_NOTIFY, 0);
  fcntl(d, F_NOTIFY, DN_CREATE | DN_MULTISHOT);
  int d2 = dup(d);
  close(d2);
  close(open("dn/f", O_CREAT | O_WRONLY, 0644));
  printf("after a dup of it was closed: code %d\n", caught(SIGRTMIN + 1));
  unlink("dn/f");
  close(d);
  rmdir("dn");
  return 0;
}
