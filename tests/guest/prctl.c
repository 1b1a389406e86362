/* oracle: i386: the program is about the i386 CPU and ABI itself (arch_prctl codes as i386 has them, TSC and CPUID faulting, which a host CPU may lack; tests/helpers/oracle.ts). */
/* prctl: the no-new-privileges flag (off by default, set once, kept by a forked child and across
 * exec), the dumpable flag, the process name, the parent-death signal, and the capability
 * queries' argument checks; capget (how a library finds the version, root's sets, a user's
 * after setuid); each error as Linux gives it. Runs as root. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "guest.h"

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "cpuid") == 0) {
    /* after exec: CPUID works again */
    unsigned a = 0, b, c, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
    printf("after exec: cpuid enabled %ld, cpuid ran\n", (long)syscall(SYS_arch_prctl, 0x1011, 0));
    return 0;
  }
  if (argc > 1) {
    /* after exec: what was kept */
    printf("after exec: no_new_privs %d, dumpable %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
    return 0;
  }
  TRY("get no_new_privs", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
  TRY("get no_new_privs, arg2 set", prctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0));
  TRY("set no_new_privs 2", prctl(PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0));
  TRY("set no_new_privs, arg3 set", prctl(PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0));
  TRY("get no_new_privs still", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
  TRY("set no_new_privs", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
  TRY("get no_new_privs now", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
  TRY("get dumpable", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
  TRY("set dumpable 0", prctl(PR_SET_DUMPABLE, 0, 0, 0, 0));
  TRY("get dumpable now", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
  TRY("set dumpable 2", prctl(PR_SET_DUMPABLE, 2, 0, 0, 0));
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    printf("child: no_new_privs %d, dumpable %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
    fflush(stdout);
    execl("/proc/self/exe", argv[0], "exec", (char *)NULL);
    _exit(127);
  }
  int st;
  waitpid(pid, &st, 0);
  char name[16] = {0};
  /* timer slack: set, read back, and 0 puts back the default (what the thread started with) */
  long slack0 = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
  TRY("set timer slack 1000", prctl(PR_SET_TIMERSLACK, 1000, 0, 0, 0));
  printf("timer slack now %ld\n", (long)prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
  TRY("set timer slack 0", prctl(PR_SET_TIMERSLACK, 0, 0, 0, 0));
  printf("timer slack back to the start: %d\n", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0) == slack0);
  TRY("set name", prctl(PR_SET_NAME, "a-rather-long-process-name", 0, 0, 0));
  TRY("get name", prctl(PR_GET_NAME, name, 0, 0, 0));
  printf("name [%s]\n", name);
  int sig = -1;
  TRY("set pdeathsig", prctl(PR_SET_PDEATHSIG, 10, 0, 0, 0));
  TRY("get pdeathsig", prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0));
  printf("pdeathsig %d\n", sig);
  TRY("set pdeathsig 99", prctl(PR_SET_PDEATHSIG, 99, 0, 0, 0));
  TRY("capbset read 99", prctl(PR_CAPBSET_READ, 99, 0, 0, 0));
  TRY("ambient, bad operation", prctl(PR_CAP_AMBIENT, 9, 0, 0, 0));
  TRY("ambient is_set 99", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 99, 0, 0));
  TRY("ambient is_set, arg4 set", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 0, 1, 0));
  TRY("ambient clear_all, arg3 set", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 1, 0, 0));
  TRY("unknown option", prctl(12345, 0, 0, 0, 0));

  struct __user_cap_header_struct h = {0x12345678, 0};
  struct __user_cap_data_struct d[2];
  TRY("capget, unknown version, no data", syscall(SYS_capget, &h, NULL));
  printf("version now %#x\n", h.version);
  h.version = 0x12345678;
  TRY("capget, unknown version", syscall(SYS_capget, &h, d));
  h.version = _LINUX_CAPABILITY_VERSION_3;
  TRY("capget", syscall(SYS_capget, &h, d));
  printf("root: setuid %d, kill %d, inheritable %x\n", (d[0].effective >> 7) & 1, (d[0].permitted >> 5) & 1, d[0].inheritable | d[1].inheritable);
  h.pid = -1;
  TRY("capget pid -1", syscall(SYS_capget, &h, d));
  h.pid = 999999;
  TRY("capget missing pid", syscall(SYS_capget, &h, d));
  h.pid = 0;
  TRY("capget bad data", syscall(SYS_capget, &h, (void *)16));
  TRY("capget bad header", syscall(SYS_capget, (void *)16, d));
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    setuid(1000);
    h.version = _LINUX_CAPABILITY_VERSION_1;
    memset(d, 0xff, sizeof d);
    TRY("user: capget v1", syscall(SYS_capget, &h, d));
    printf("user: %x %x %x, next word untouched %d\n", d[0].effective, d[0].permitted, d[0].inheritable, d[1].effective == 0xffffffffu);
    fflush(stdout);
    _exit(0);
  }
  waitpid(pid, &st, 0);

  /* PR_SET_TSC: RDTSC faults (SIGSEGV) in the thread that asked and in what it forks */
  int tsc = -1;
  TRY("get tsc", prctl(PR_GET_TSC, &tsc, 0, 0, 0));
  printf("tsc mode %d\n", tsc);
  TRY("set tsc 3", prctl(PR_SET_TSC, 3, 0, 0, 0));
  TRY("get tsc, bad pointer", prctl(PR_GET_TSC, (void *)16, 0, 0, 0));
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0);
    pid_t g = fork();
    if (g == 0) {
      int m = -1;
      prctl(PR_GET_TSC, &m, 0, 0, 0);
      printf("grandchild: tsc mode %d\n", m);
      fflush(stdout);
      unsigned lo, hi;
      __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
      _exit(0);
    }
    int gs;
    waitpid(g, &gs, 0);
    printf("grandchild: signaled %d, signal %d\n", WIFSIGNALED(gs), WIFSIGNALED(gs) ? WTERMSIG(gs) : 0);
    prctl(PR_SET_TSC, PR_TSC_ENABLE, 0, 0, 0);
    unsigned lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    printf("child: rdtsc works again\n");
    fflush(stdout);
    _exit(0);
  }
  waitpid(pid, &st, 0);
  printf("child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);

  /* ARCH_SET_CPUID: CPUID faults (SIGSEGV) in the thread and what it forks, until an exec */
  TRY("arch_prctl get cpuid", syscall(SYS_arch_prctl, 0x1011, 0));
  TRY("arch_prctl unknown code", syscall(SYS_arch_prctl, 0x1001, 0));
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    syscall(SYS_arch_prctl, 0x1012, 0);
    printf("child: cpuid enabled %ld\n", (long)syscall(SYS_arch_prctl, 0x1011, 0));
    fflush(stdout);
    pid_t g = fork();
    if (g == 0) {
      unsigned a = 0, b, c, d;
      __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
      _exit(0);
    }
    int gs;
    waitpid(g, &gs, 0);
    printf("grandchild: signal %d\n", WIFSIGNALED(gs) ? WTERMSIG(gs) : 0);
    fflush(stdout);
    execl("/proc/self/exe", argv[0], "cpuid", (char *)NULL);
    _exit(127);
  }
  waitpid(pid, &st, 0);
  return 0;
}
