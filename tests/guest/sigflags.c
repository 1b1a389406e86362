/* sigaction's flags at work: SA_RESETHAND puts back SIG_DFL after one delivery and leaves the
 * flags and mask as they were; SA_NODEFER leaves the signal unblocked in its handler, sa_mask
 * blocks its signals there; the mask is back after the handler. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
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
  return 0;
}
