/* Signal-driven I/O: O_ASYNC on a pipe's read end with an owner (F_SETOWN, F_SETOWN_EX) sends
 * SIGIO when a write makes it readable, or F_SETSIG's signal with si_code POLL_IN; a process
 * group as owner; F_GETOWN, F_GETOWN_EX, F_GETSIG and the errors. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void show(const char *what, long r) {
  if (r < 0) printf("%s: -1 %s\n", what, strerror(errno));
  else printf("%s: %ld\n", what, r);
}

/* The signal `sig` within 2 s (blocked, so it waits pending): its si_code, or -1. */
static int caught(int sig) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  siginfo_t si;
  struct timespec ts = {2, 0};
  int r = sigtimedwait(&set, &si, &ts);
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
  printf("a write: its code %d (POLL_IN %d)\n", caught(SIGRTMIN + 1), POLL_IN);
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
  return 0;
}
