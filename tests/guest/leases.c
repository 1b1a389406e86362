/* File leases (F_SETLEASE, F_GETLEASE): who may take which lease, and a break: another process's
 * open fails at once with O_NONBLOCK or waits, while the holder hears of it (SIGIO, or F_SETSIG's
 * signal with POLL_MSG and the fd) and answers by letting the lease go or downgrading it. */
#define _GNU_SOURCE
#include "guest.h"
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

static const char *lease_name(long v) { return v == F_RDLCK ? "F_RDLCK" : v == F_WRLCK ? "F_WRLCK" : v == F_UNLCK ? "F_UNLCK" : "?"; }

/* Waits for `sig` (blocked) up to two seconds: prints its si_code and whether si_fd is `fd`. */
static void await_signal(int sig, int fd) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  struct timespec ts = {2, 0};
  siginfo_t si;
  int got = sigtimedwait(&s, &si, &ts);
  if (got < 0) printf("no signal: %s\n", strerror(errno));
  else printf("holder got signal %s, si_code %d, si_fd ours %d\n", got == SIGIO ? "SIGIO" : "F_SETSIG's", si.si_code, got == SIGIO ? -1 : si.si_fd == fd);
}

/* What TRY prints, for a result `rc` and errno `err` kept from earlier. */
static void report(const char *label, long rc, int err) { printf("%s: %ld%s%s\n", label, rc, rc == -1 ? " " : "", rc == -1 ? strerror(err) : ""); }

/* A child that opens the file with `flags` (after `delay` ms) and prints what happened. */
static pid_t opener(const char *path, int flags, int delay) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    usleep(delay * 1000);
    int fd = open(path, flags);
    printf("child open(%s%s): %s\n", (flags & O_ACCMODE) == O_RDONLY ? "O_RDONLY" : (flags & O_ACCMODE) == O_WRONLY ? "O_WRONLY" : "O_RDWR",
           flags & O_NONBLOCK ? "|O_NONBLOCK" : "", fd >= 0 ? "ok" : strerror(errno));
    fflush(stdout);
    _exit(0);
  }
  return pid;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGIO);
  sigaddset(&block, SIGRTMIN + 1);
  sigprocmask(SIG_BLOCK, &block, NULL);
  const char *path = "leased";
  int w = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (write(w, "data", 4) != 4) return 1;
  TRY("F_GETLEASE of none", fcntl(w, F_GETLEASE));
  TRY("F_SETLEASE F_RDLCK on a fd open for writing", fcntl(w, F_SETLEASE, F_RDLCK));
  TRY("F_SETLEASE F_WRLCK on the only fd", fcntl(w, F_SETLEASE, F_WRLCK));
  printf("F_GETLEASE: %s\n", lease_name(fcntl(w, F_GETLEASE)));
  TRY("F_SETLEASE F_UNLCK", fcntl(w, F_SETLEASE, F_UNLCK));
  TRY("F_SETLEASE 7", fcntl(w, F_SETLEASE, 7));
  int d = open(".", O_RDONLY);
  TRY("F_SETLEASE on a directory", fcntl(d, F_SETLEASE, F_RDLCK));
  close(d);
  int r = open(path, O_RDONLY);
  TRY("F_SETLEASE F_WRLCK with another fd open", fcntl(r, F_SETLEASE, F_WRLCK));
  close(w);
  TRY("F_SETLEASE F_RDLCK on a read-only fd", fcntl(r, F_SETLEASE, F_RDLCK));
  printf("F_GETLEASE: %s\n", lease_name(fcntl(r, F_GETLEASE)));

  /* a read lease: opening to read does not break it; opening to write does */
  pid_t c = opener(path, O_RDONLY | O_NONBLOCK, 0);
  waitpid(c, NULL, 0);
  c = opener(path, O_WRONLY | O_NONBLOCK, 0);
  waitpid(c, NULL, 0);
  await_signal(SIGIO, r);
  printf("F_GETLEASE while broken: %s\n", lease_name(fcntl(r, F_GETLEASE)));
  c = opener(path, O_WRONLY, 0);
  usleep(100000);
  /* (the child's line first: it prints as soon as its open returns, which races with ours) */
  errno = 0;
  long done = fcntl(r, F_SETLEASE, F_UNLCK);
  int err = errno;
  waitpid(c, NULL, 0);
  report("holder lets go", done, err);

  /* a write lease with F_SETSIG: an open to read waits until the holder downgrades it (the
   * lease is on a read-only fd, which the child inherits: its close would not end the lease) */
  close(r);
  w = open(path, O_RDONLY);
  TRY("F_SETSIG", fcntl(w, F_SETSIG, SIGRTMIN + 1));
  TRY("F_SETLEASE F_WRLCK on the only fd, read-only", fcntl(w, F_SETLEASE, F_WRLCK));
  c = opener(path, O_RDONLY, 0);
  await_signal(SIGRTMIN + 1, w);
  printf("F_GETLEASE while broken: %s\n", lease_name(fcntl(w, F_GETLEASE)));
  usleep(100000);
  errno = 0;
  done = fcntl(w, F_SETLEASE, F_RDLCK);
  err = errno;
  waitpid(c, NULL, 0);
  report("holder downgrades to F_RDLCK", done, err);
  printf("F_GETLEASE: %s\n", lease_name(fcntl(w, F_GETLEASE)));
  close(w);

  /* another user may not take a lease on root's file */
  fflush(stdout);
  pid_t u = fork();
  if (u == 0) {
    if (setresuid(1000, 1000, 1000) != 0) _exit(1);
    int fd = open(path, O_RDONLY);
    TRY("F_SETLEASE by another user", fcntl(fd, F_SETLEASE, F_RDLCK));
    _exit(0);
  }
  waitpid(u, NULL, 0);
  FILE *f = fopen("/proc/sys/fs/lease-break-time", "r");
  int secs = -1;
  if (f != NULL && fscanf(f, "%d", &secs) != 1) secs = -2;
  if (f != NULL) fclose(f);
  printf("lease-break-time %d\n", secs);
  unlink(path);
  return 0;
}
