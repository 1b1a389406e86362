/* A guest for the host-interaction tests (tests/hostio.test.ts); the first argument picks what
 * it does:
 *   signals    install handlers for SIGINT, SIGUSR1, SIGHUP and SIGWINCH, print "ready", wait in
 *              pause() and print each signal that arrives until SIGHUP
 *   yes        write "y" lines forever (ended by SIGPIPE when the reader goes)
 *   stdin      a child prints "child working" lines while the parent waits for a line on
 *              standard input, then echoes it and both end
 *   sleep N    print "sleeping", sleep N ms, print "awake"
 *   deadlock   wait forever on a pipe that nobody writes (every guest blocked)
 *   sigwait    print "waiting", wait in sigtimedwait for a blocked signal (60 s timeout)
 *   timers     print "timers armed", then sleep in sigsuspend with a POSIX timer and an
 *              interval timer both due in 60 s
 *   orphan     a child in a group of its own stops, its parent (the group's leader) exits:
 *              the group is orphaned with a stopped member and gets SIGHUP and SIGCONT
 *              (natively the outcome depends on where the host reparents orphans)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int hup_fd;
static void on_hup_report(int s) {
  (void)s;
  write(hup_fd, "orphaned stopped group: SIGHUP delivered after the stop\n", 56);
  _exit(0);
}

static volatile sig_atomic_t last;
static void on(int s) { last = s; }

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  const char *mode = argc > 1 ? argv[1] : "";
  if (strcmp(mode, "signals") == 0) {
    signal(SIGINT, on);
    signal(SIGUSR1, on);
    signal(SIGHUP, on);
    signal(SIGWINCH, on);
    printf("ready\n");
    for (;;) {
      pause();
      printf("got %s\n", strsignal(last));
      if (last == SIGHUP) return 3;
    }
  }
  if (strcmp(mode, "yes") == 0) {
    for (;;) write(1, "y\n", 2);
  }
  if (strcmp(mode, "stdin") == 0) {
    pid_t p = fork();
    if (p == 0) {
      for (int i = 0; i < 5; i++) {
        printf("child working %d\n", i);
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
      }
      return 0;
    }
    char line[256];
    if (fgets(line, sizeof line, stdin) == NULL) return 1;
    printf("parent read: %s", line);
    waitpid(p, NULL, 0);
    return 0;
  }
  if (strcmp(mode, "sleep") == 0) {
    long ms = argc > 2 ? atol(argv[2]) : 1000;
    printf("sleeping\n");
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    printf("awake\n");
    return 0;
  }
  if (strcmp(mode, "orphan") == 0) {
    int og[2];
    pipe(og);
    pid_t p = fork();
    if (p == 0) {
      setpgid(0, 0);
      pid_t g = fork();
      if (g == 0) {
        signal(SIGHUP, on_hup_report);
        hup_fd = og[1];
        raise(SIGSTOP);
        write(og[1], "continued without SIGHUP\n", 25);
        _exit(0);
      }
      int st;
      waitpid(g, &st, WUNTRACED);
      _exit(0); /* leaves g's group orphaned, with g stopped */
    }
    close(og[1]);
    waitpid(p, NULL, 0);
    char buf[128];
    ssize_t n = read(og[0], buf, sizeof buf);
    if (n > 0) write(1, buf, n);
    return 0;
  }
  if (strcmp(mode, "sigwait") == 0) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    printf("waiting\n");
    struct timespec ts = {60, 0};
    return sigtimedwait(&set, NULL, &ts) == SIGUSR1 ? 0 : 1;
  }
  if (strcmp(mode, "timers") == 0) {
    signal(SIGALRM, on);
    timer_t t;
    struct sigevent ev = {0};
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGALRM;
    timer_create(CLOCK_MONOTONIC, &ev, &t);
    struct itimerspec its = {{0, 0}, {60, 0}};
    timer_settime(t, 0, &its, NULL);
    struct itimerval itv = {{0, 0}, {60, 0}};
    setitimer(ITIMER_REAL, &itv, NULL);
    printf("timers armed\n");
    sigset_t none;
    sigemptyset(&none);
    sigsuspend(&none);
    return 0;
  }
  if (strcmp(mode, "deadlock") == 0) {
    int p[2];
    pipe(p);
    char c;
    printf("blocked\n");
    read(p[0], &c, 1);
    return 0;
  }
  return 2;
}
