/* The original i386 signal calls (signal, sigaction, sigprocmask, sigpending, sgetmask,
 * ssetmask: system calls 48, 67, 126, 73, 68, 69), made raw as old binaries make them; i386
 * only (x86-64 has none of them). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "guest.h"

struct old_sigaction {
  void (*handler)(int);
  unsigned long mask;
  unsigned long flags;
  void (*restorer)(void);
};

static volatile int hits;
static volatile long mask_in_handler;

static void handler(int sig) {
  hits++;
  mask_in_handler = syscall(SYS_sgetmask);
  (void)sig;
}

int main(void) {
  const unsigned long usr1 = 1ul << (SIGUSR1 - 1), usr2 = 1ul << (SIGUSR2 - 1);
  /* signal(): System V's: the handler runs once, its signal not blocked while it runs */
  long old = syscall(SYS_signal, SIGUSR1, handler);
  printf("signal: old handler %s\n", old == (long)SIG_DFL ? "SIG_DFL" : "?");
  raise(SIGUSR1);
  printf("hits %d, SIGUSR1 blocked in the handler %d\n", hits, (mask_in_handler & usr1) != 0);
  struct old_sigaction oa;
  memset(&oa, 0xff, sizeof oa);
  TRY("sigaction, query", syscall(SYS_sigaction, SIGUSR1, NULL, &oa));
  printf("  reset to SIG_DFL %d, flags %#lx\n", oa.handler == SIG_DFL, oa.flags);
  TRY("signal SIGKILL", syscall(SYS_signal, SIGKILL, handler));
  TRY("signal 0", syscall(SYS_signal, 0, handler));
  TRY("signal 65", syscall(SYS_signal, 65, handler));

  /* sigaction with one word of mask, no restorer: the kernel's own return code on the stack */
  struct old_sigaction sa = {handler, usr2, 0, NULL};
  TRY("sigaction", syscall(SYS_sigaction, SIGUSR1, &sa, NULL));
  hits = 0;
  raise(SIGUSR1);
  raise(SIGUSR1);
  printf("hits %d, in the handler SIGUSR1 blocked %d, SIGUSR2 blocked %d\n", hits, (mask_in_handler & usr1) != 0, (mask_in_handler & usr2) != 0);
  TRY("sigaction, query", syscall(SYS_sigaction, SIGUSR1, NULL, &oa));
  printf("  handler ours %d, mask %#lx, flags %#lx\n", oa.handler == handler, oa.mask, oa.flags);
  TRY("sigaction SIGSTOP", syscall(SYS_sigaction, SIGSTOP, &sa, NULL));
  TRY("sigaction bad pointer", syscall(SYS_sigaction, SIGUSR1, (void *)16, NULL));

  /* sigprocmask, sigpending, sgetmask, ssetmask: the low word of the mask */
  unsigned long set = usr1 | (1ul << (SIGKILL - 1)), got = 0;
  TRY("sigprocmask block", syscall(SYS_sigprocmask, SIG_BLOCK, &set, &got));
  printf("  was %#lx, now %#lx (SIGKILL never blocked)\n", got, syscall(SYS_sgetmask));
  hits = 0;
  raise(SIGUSR1);
  TRY("sigpending", syscall(SYS_sigpending, &got));
  printf("  pending %#lx, hits %d\n", got, hits);
  TRY("ssetmask", syscall(SYS_ssetmask, usr2));
  printf("  hits after unblocking %d, mask %#lx\n", hits, syscall(SYS_sgetmask));
  set = usr1;
  TRY("sigprocmask setmask", syscall(SYS_sigprocmask, SIG_SETMASK, &set, NULL));
  TRY("sigprocmask unblock", syscall(SYS_sigprocmask, SIG_UNBLOCK, &set, &got));
  printf("  was %#lx, now %#lx\n", got, syscall(SYS_sgetmask));
  TRY("sigprocmask bad how", syscall(SYS_sigprocmask, 7, &set, NULL));
  TRY("sigprocmask bad pointer", syscall(SYS_sigprocmask, SIG_BLOCK, (void *)16, NULL));
  return 0;
}
