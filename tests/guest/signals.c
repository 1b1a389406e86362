/* Asynchronous signals sent by the process to itself: handlers with and without SA_SIGINFO
 * (sigreturn and rt_sigreturn), blocking and pending, SA_RESETHAND, SA_NODEFER, handlers that
 * change the interrupted registers' memory, the alternate stack, and abort(). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

static volatile int hits[65];
static volatile int lastcode, lastpid_ok, nested, onalt;
static char altbuf[65536];

static void plain(int sig) { hits[sig]++; }

static void info(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  hits[sig]++;
  lastcode = si->si_code;
  lastpid_ok = si->si_pid == getpid();
}

static void reenter(int sig) {
  hits[sig]++;
  if (nested++ == 0) raise(sig); /* with SA_NODEFER this runs the handler again, nested */
}

/* Leaves the x87 rounding control at "up" and the stack with one value more: sigreturn must
 * put back the FPU state the handler interrupted, as Linux does. */
static void fpuclobber(int sig) {
  unsigned short cw;
  hits[sig]++;
  __asm__ volatile("fnstcw %0" : "=m"(cw));
  cw = (cw & ~0xc00) | 0x800;
  __asm__ volatile("fldcw %0; fld1" : : "m"(cw));
}

static void altcheck(int sig) {
  char here;
  hits[sig]++;
  onalt = &here >= altbuf && &here < altbuf + sizeof altbuf;
}

int main(void) {
  struct sigaction sa;
  sigset_t set, old, pend;

  signal(SIGUSR1, plain);
  raise(SIGUSR1);
  raise(SIGUSR1);
  printf("plain handler: %d hits\n", hits[SIGUSR1]);

  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = info;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR2, &sa, NULL);
  kill(getpid(), SIGUSR2);
  printf("siginfo handler: %d hits, code %d, pid ok %d\n", hits[SIGUSR2], lastcode, lastpid_ok);
  raise(SIGUSR2);
  printf("raise: code %d\n", lastcode);

  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, &old);
  raise(SIGUSR1);
  raise(SIGUSR1);
  sigpending(&pend);
  printf("blocked: %d hits, pending %d\n", hits[SIGUSR1], sigismember(&pend, SIGUSR1));
  sigprocmask(SIG_SETMASK, &old, NULL);
  printf("unblocked: %d hits\n", hits[SIGUSR1]);

  memset(&sa, 0, sizeof sa);
  sa.sa_handler = plain;
  sa.sa_flags = SA_RESETHAND;
  sigaction(SIGHUP, &sa, NULL);
  raise(SIGHUP);
  sigaction(SIGHUP, NULL, &sa);
  printf("resethand: %d hits, now default %d\n", hits[SIGHUP], sa.sa_handler == SIG_DFL);

  memset(&sa, 0, sizeof sa);
  sa.sa_handler = reenter;
  sa.sa_flags = SA_NODEFER;
  sigaction(SIGALRM, &sa, NULL);
  raise(SIGALRM);
  printf("nodefer: %d hits\n", hits[SIGALRM]);

  signal(SIGCHLD, SIG_DFL);
  raise(SIGCHLD);
  signal(SIGTERM, SIG_IGN);
  raise(SIGTERM);
  printf("ignored: still running\n");

  stack_t ss = { .ss_sp = altbuf, .ss_size = sizeof altbuf, .ss_flags = SS_ONSTACK | SS_DISABLE };
  errno = 0;
  int bad = sigaltstack(&ss, NULL);
  printf("sigaltstack with two modes: %d %s\n", bad, strerror(errno));
  ss.ss_flags = 0;
  sigaltstack(&ss, NULL);
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = altcheck;
  sa.sa_flags = SA_ONSTACK;
  sigaction(SIGWINCH, &sa, NULL);
  raise(SIGWINCH);
  printf("altstack: %d hits, on alt stack %d\n", hits[SIGWINCH], onalt);

  signal(SIGUSR1, fpuclobber);
  volatile double one = 1.0, three = 3.0;
  double before = one / three;
  raise(SIGUSR1);
  double after = one / three;
  /* (compared as stored doubles: i386 code may keep one of them at the x87's 80 bits) */
  volatile double b = before, a = after;
  printf("fpu state across a handler: %a %a same %d\n", before, after, b == a);

  fflush(stdout);
  abort();
}
