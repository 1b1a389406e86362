/* sigaction's flags at work: SA_RESETHAND puts back SIG_DFL after one delivery and leaves the
 * flags and mask as they were; SA_NODEFER leaves the signal unblocked in its handler, sa_mask
 * blocks its signals there; the mask is back after the handler. The kernel tells the stack a
 * signal frame needs (AT_MINSIGSTKSZ, glibc's sysconf(_SC_MINSIGSTKSZ)), and a handler runs on
 * an alternate stack of that size. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/auxv.h>
#include "guest.h"

static volatile int hits, usr1_blocked, usr2_blocked;

static void handler(int sig) {
  sigset_t now;
  sigprocmask(SIG_BLOCK, NULL, &now);
  hits++;
  usr1_blocked = sigismember(&now, SIGUSR1);
  usr2_blocked = sigismember(&now, SIGUSR2);
  (void)sig;
}

static void show(const char *label) {
  struct sigaction o;
  sigaction(SIGUSR1, NULL, &o);
  printf("%s: hits %d, in the handler SIGUSR1 blocked %d, SIGUSR2 blocked %d; now SIG_DFL %d, flags %#x, SIGUSR2 in the mask %d\n", label, hits,
         usr1_blocked, usr2_blocked, o.sa_handler == SIG_DFL, (unsigned)(o.sa_flags & (SA_RESETHAND | SA_NODEFER | SA_RESTART | SA_SIGINFO)),
         sigismember(&o.sa_mask, SIGUSR2));
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sigaddset(&sa.sa_mask, SIGUSR2);
  sa.sa_flags = SA_RESETHAND | SA_NODEFER;
  sigaction(SIGUSR1, &sa, NULL);
  raise(SIGUSR1);
  show("SA_RESETHAND|SA_NODEFER");
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &sa, NULL);
  raise(SIGUSR1);
  raise(SIGUSR1);
  show("SA_RESTART");
  sigset_t now;
  sigprocmask(SIG_BLOCK, NULL, &now);
  printf("after the handlers: SIGUSR1 blocked %d, SIGUSR2 blocked %d\n", sigismember(&now, SIGUSR1), sigismember(&now, SIGUSR2));

  unsigned long frame = getauxval(AT_MINSIGSTKSZ);
  long min = sysconf(_SC_MINSIGSTKSZ), size = min < MINSIGSTKSZ ? MINSIGSTKSZ : min;
  printf("AT_MINSIGSTKSZ given %d, a multiple of 16 %d, sysconf's minimum covers it %d\n", frame != 0, frame % 16 == 0, min >= (long)frame);
  stack_t ss = {.ss_sp = malloc(size), .ss_size = size, .ss_flags = 0};
  printf("sigaltstack of that size: %d\n", sigaltstack(&ss, NULL));
  sa.sa_flags = SA_ONSTACK;
  sigaction(SIGUSR1, &sa, NULL);
  hits = 0;
  raise(SIGUSR1);
  printf("handled on it: %d\n", hits);
  return 0;
}
