/* System-call fuzzing from inside a guest (tests/fuzz.test.ts). A runner starts workers one
 * after another; each worker makes thousands of system calls with random numbers and arguments
 * drawn from a pool of interesting values (small numbers, -1, huge values, pointers into a
 * scratch buffer full of random bytes, short valid paths, unmapped and kernel addresses), and
 * sometimes forks or starts a thread that does the same. A worker that blocks for good or dies
 * is replaced; the runner kills a worker that runs past its time. Calls that could reach
 * outside the worker (kill and friends, prlimit on other processes) get safe arguments.
 *
 * Usage: fuzz SEED WORKERS CALLS_PER_WORKER. Prints "fuzz done" and the workers' fates. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint32_t seed;
static uint32_t rnd(void) {
  seed ^= seed << 13;
  seed ^= seed >> 17;
  seed ^= seed << 5;
  return seed;
}

static unsigned char scratch[3 * 4096] __attribute__((aligned(4096)));
/* Memory calls get addresses in this arena, so they do not take the program's own memory away. */
static unsigned char *arena;
#define ARENA (64 * 4096)
/* Calls made, over all workers (a shared page). */
static volatile unsigned *made;
static const char *paths[] = {"f1", "f2", "/dev/null", ".", "/tmp", "sub/f3", "/proc/self/exe", ""};

static long arg(void) {
  switch (rnd() % 14) {
    case 0: return 0;
    case 1: return 1;
    case 2: return -1;
    case 3: return rnd() % 64;
    case 4: return rnd() % 4096;
    case 5: return (long)rnd();
    case 6: return 0x7fffffff;
    case 7: return (long)0x80000000u;
    case 8: return (long)(scratch + rnd() % sizeof scratch);
    case 9: return (long)scratch;
    case 10: return (long)paths[rnd() % (sizeof paths / sizeof paths[0])];
    case 11: return 16; /* unmapped */
    case 12: return (long)0xc0001000u; /* kernel half */
    default: return (long)(scratch + 4096);
  }
}

/* Numbers whose random use would reach outside the worker, or end it at once. */
static int unsafe(long nr) {
  switch (nr) {
    case SYS_exit: case SYS_exit_group: case SYS_kill: case SYS_tkill: case SYS_tgkill:
    case SYS_rt_sigqueueinfo: case SYS_rt_tgsigqueueinfo: case SYS_prlimit64: case SYS_setpriority:
    case SYS_reboot: case SYS_ptrace: case SYS_pidfd_send_signal: case SYS_setrlimit:
    case SYS_sigreturn: case SYS_rt_sigreturn: /* a jump to whatever the stack holds */
    case SYS_pause: case SYS_sigsuspend: case SYS_rt_sigsuspend: /* wait for a signal, for good */
      return 1;
    default:
      return 0;
  }
}

static int memory_call(long nr) {
  switch (nr) {
    case SYS_munmap: case SYS_mprotect: case SYS_mremap: case SYS_madvise: case SYS_brk: case SYS_mmap2:
    case SYS_mmap: case SYS_msync: case SYS_mlock: case SYS_munlock: case SYS_remap_file_pages:
    case SYS_pkey_mprotect: case SYS_shmdt: case SYS_set_thread_area: case SYS_modify_ldt:
    case SYS_sigaltstack: case SYS_set_robust_list: case SYS_set_tid_address:
      return 1;
    default:
      return 0;
  }
}

static void churn(int calls) {
  for (int i = 0; i < calls; i++) {
    for (size_t k = 0; k < 64; k++) scratch[rnd() % sizeof scratch] = rnd();
    long nr = rnd() % 450;
    if (unsafe(nr)) continue;
    long a[6];
    for (int k = 0; k < 6; k++) a[k] = arg();
    if (memory_call(nr)) {
      a[0] = (long)(arena + (rnd() % 48) * 4096);
      a[1] = (long)(rnd() % (16 * 4096));
    }
    if (nr == SYS_mmap2 && (a[3] & 0x10)) a[0] = (long)(arena + (rnd() % 48) * 4096); /* MAP_FIXED */
    if (nr == SYS_fork || nr == SYS_vfork || nr == SYS_clone || nr == SYS_clone3) {
      /* forks are made here, so the child does its own churn and ends */
      if (rnd() % 8 != 0) continue;
      pid_t p = fork();
      if (p == 0) {
        churn(calls / 20);
        _exit(0);
      }
      continue;
    }
    __atomic_add_fetch(made, 1, __ATOMIC_RELAXED);
    syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
  }
}

static void nothing(int s) { (void)s; }

static void *thread_churn(void *arg) {
  churn((int)(long)arg);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 4) return 2;
  uint32_t base = (uint32_t)strtoul(argv[1], NULL, 0);
  int workers = atoi(argv[2]), calls = atoi(argv[3]);
  made = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  int fates[4] = {0}; /* exited, killed by a signal, killed by the runner, other */
  for (int w = 0; w < workers; w++) {
    pid_t p = fork();
    if (p == 0) {
      seed = base * 2654435761u + w + 1;
      if (seed == 0) seed = 1;
      setpgid(0, 0);
      arena = mmap(NULL, ARENA, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      /* Signals the churn raises (SIGPIPE, SIGCHLD, timers) should not end the worker early. */
      for (int s = 1; s < 32; s++) if (s != SIGKILL && s != SIGSTOP && s != SIGSEGV && s != SIGBUS) signal(s, SIG_IGN);
      /* The runner's SIGUSR1 interrupts a call that waits for good. */
      signal(SIGUSR1, nothing);
      pthread_t th;
      if (rnd() % 2 == 0) pthread_create(&th, NULL, thread_churn, (void *)(long)(calls / 4));
      churn(calls);
      _exit(0);
    }
    int st, waited = 0;
    pid_t r;
    while ((r = waitpid(p, &st, WNOHANG)) == 0 && waited < 3000) {
      struct timespec ts = {0, 20 * 1000 * 1000};
      nanosleep(&ts, NULL);
      waited += 20;
      if (waited % 200 == 0) kill(p, SIGUSR1);
    }
    if (r == 0) {
      kill(-p, SIGKILL);
      kill(p, SIGKILL);
      waitpid(p, &st, 0);
      fates[2]++;
    } else if (r == p && WIFEXITED(st)) {
      fates[0]++;
    } else if (r == p && WIFSIGNALED(st)) {
      fates[1]++;
    } else {
      fates[3]++;
    }
    /* reap what the worker left behind */
    while (waitpid(-1, &st, WNOHANG) > 0) {
    }
  }
  printf("fuzz done: %u calls; %d workers exited, %d died of a signal, %d timed out, %d other\n", *made, fates[0], fates[1], fates[2], fates[3]);
  fflush(stdout);
  /* linger so the test can count exojit's open host files */
  struct timespec ts = {1, 500 * 1000 * 1000};
  nanosleep(&ts, NULL);
  return 0;
}
