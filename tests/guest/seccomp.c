/* oracle: i386: the program is about the i386 ABI itself (its system-call numbers and the registers a SIGSYS handler reads; tests/helpers/oracle.ts). */
/* seccomp: strict mode, filters and what each of their answers does, the checks a program
 * passes before it is attached, the right to attach one, inheritance by fork, threads and exec,
 * TSYNC, the limit on filters' total length, and the classic BPF instructions computed as
 * Linux computes them. Each part runs in a child of its own (filters cannot be taken off). */
#define _GNU_SOURCE
#include "guest.h"
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/ucontext.h>
#include <sys/wait.h>

#define DATA_NR offsetof(struct seccomp_data, nr)
#define DATA_ARCH offsetof(struct seccomp_data, arch)
#define DATA_ARG(i) (offsetof(struct seccomp_data, args) + 8 * (i))

static long sc(unsigned op, unsigned flags, void *args) { return syscall(__NR_seccomp, op, flags, args); }

static long attach(struct sock_filter *f, unsigned short n, unsigned flags) {
  struct sock_fprog p = {n, f};
  return sc(SECCOMP_SET_MODE_FILTER, flags, &p);
}

/* A filter that answers `ret` for call `nr` and allows the rest. */
static long on_call(int nr, unsigned ret, unsigned flags) {
  struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, DATA_NR),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, ret),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  return attach(f, 4, flags);
}

static void status_of(const char *label, pid_t pid) {
  int st;
  if (waitpid(pid, &st, 0) != pid) {
    printf("%s: waitpid failed\n", label);
    return;
  }
  if (WIFEXITED(st)) printf("%s: exit %d\n", label, WEXITSTATUS(st));
  else if (WIFSIGNALED(st)) printf("%s: killed by signal %d\n", label, WTERMSIG(st));
}

#define CHILD(label, ...)           \
  do {                              \
    fflush(stdout);                 \
    pid_t pid_ = fork();            \
    if (pid_ == 0) {                \
      __VA_ARGS__;                  \
      fflush(stdout);               \
      _exit(0);                     \
    }                               \
    status_of(label, pid_);         \
  } while (0)

static void strict_mode(void) {
  CHILD("strict, write and exit", {
    TRY("set strict", prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT));
    fflush(stdout);
    static const char msg[] = "strict: write works\n";
    syscall(__NR_write, 1, msg, sizeof msg - 1);
    syscall(__NR_exit, 7);
  });
  CHILD("strict, getpid", {
    TRY("seccomp strict", sc(SECCOMP_SET_MODE_STRICT, 0, NULL));
    fflush(stdout);
    syscall(__NR_getpid);
  });
  CHILD("strict, exit_group", {
    prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT);
    syscall(__NR_exit_group, 3);
  });
  CHILD("strict, then a filter", {
    prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT);
    on_call(__NR_getpid, SECCOMP_RET_ERRNO | 1, 0);
  });
  CHILD("strict with arguments", {
    TRY("seccomp strict, flags", sc(SECCOMP_SET_MODE_STRICT, 1, NULL));
    TRY("seccomp strict, args", sc(SECCOMP_SET_MODE_STRICT, 0, (void *)4));
  });
}

static void checks(void) {
  static const unsigned actions[] = {SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP, SECCOMP_RET_ERRNO,
                                     SECCOMP_RET_TRACE, SECCOMP_RET_LOG, SECCOMP_RET_ALLOW, 0x00010000, 0x7fff0001};
  for (unsigned i = 0; i < sizeof actions / sizeof *actions; i++) {
    char label[64];
    snprintf(label, sizeof label, "action 0x%08x available", actions[i]);
    TRY(label, sc(SECCOMP_GET_ACTION_AVAIL, 0, (void *)&actions[i]));
  }
  TRY("action avail, flags", sc(SECCOMP_GET_ACTION_AVAIL, 1, (void *)&actions[0]));
  TRY("action avail, bad pointer", sc(SECCOMP_GET_ACTION_AVAIL, 0, (void *)16));
  TRY("unknown operation", sc(99, 0, NULL));
  TRY("PR_GET_SECCOMP", prctl(PR_GET_SECCOMP));
  TRY("PR_SET_SECCOMP mode 3", prctl(PR_SET_SECCOMP, 3, 0));
  /* (how libseccomp asks whether a flag is known: a null program is EFAULT for one that is) */
  static const unsigned flags[] = {SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_SPEC_ALLOW,
                                   SECCOMP_FILTER_FLAG_TSYNC_ESRCH, 0x40, 0x80000000u,
                                   SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_NEW_LISTENER, 32};
  for (unsigned i = 0; i < sizeof flags / sizeof *flags; i++) {
    char label[64];
    snprintf(label, sizeof label, "flag 0x%x with no program", flags[i]);
    TRY(label, sc(SECCOMP_SET_MODE_FILTER, flags[i], NULL));
  }

  CHILD("attach rights", {
    TRY("drop CAP_SYS_ADMIN", drop_capability(21));
    struct sock_filter ok[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    TRY("attach without no_new_privs", attach(ok, 1, 0));
    TRY("no_new_privs", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
    TRY("attach with no_new_privs", attach(ok, 1, 0));
    TRY("PR_GET_SECCOMP", prctl(PR_GET_SECCOMP));
    TRY("strict after a filter", prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT));
  });

  struct sock_filter ret_allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  struct {
    const char *label;
    struct sock_filter f[3];
    unsigned short n;
  } bad[] = {
      {"empty program", {ret_allow}, 0},
      {"unknown instruction", {BPF_STMT(0xffff, 0), ret_allow}, 2},
      {"modulo", {BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 3), ret_allow}, 2},
      {"half-word load", {BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 0), ret_allow}, 2},
      {"indirect load", {BPF_STMT(BPF_LD | BPF_W | BPF_IND, 0), ret_allow}, 2},
      {"misaligned load", {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2), ret_allow}, 2},
      {"load past seccomp_data", {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64), ret_allow}, 2},
      {"ancillary load", {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0xfffff000u), ret_allow}, 2},
      {"jump past the end", {BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0), ret_allow}, 2},
      {"ja past the end", {BPF_STMT(BPF_JMP | BPF_JA, 1), ret_allow}, 2},
      {"no return at the end", {ret_allow, BPF_STMT(BPF_LD | BPF_IMM, 0)}, 2},
      {"return X", {BPF_STMT(BPF_RET | BPF_X, 0), ret_allow}, 2},
      {"divide by constant 0", {BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0), ret_allow}, 2},
      {"shift by 32", {BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 32), ret_allow}, 2},
      {"scratch cell 16", {BPF_STMT(BPF_ST, 16), ret_allow}, 2},
      {"scratch read before written", {BPF_STMT(BPF_LD | BPF_MEM, 3), ret_allow}, 2},
      {"scratch written on one way only",
       {BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1), BPF_STMT(BPF_ST, 1), BPF_STMT(BPF_LDX | BPF_MEM, 1)}, 3},
  };
  CHILD("program checks", {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    for (unsigned i = 0; i < sizeof bad / sizeof *bad; i++) TRY(bad[i].label, attach(bad[i].f, bad[i].n, 0));
    struct sock_filter ok[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    TRY("too long", attach(ok, 4097, 0));
    TRY("null program", attach(NULL, 1, 0));
    TRY("program at a bad address", attach((void *)64, 1, 0));
    TRY("header at a bad address", sc(SECCOMP_SET_MODE_FILTER, 0, (void *)64));
    struct sock_filter stores[] = {BPF_STMT(BPF_LD | BPF_IMM, 5), BPF_STMT(BPF_ST, 15), BPF_STMT(BPF_LDX | BPF_MEM, 15), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    TRY("scratch written first", attach(stores, 4, 0));
    TRY("length load", attach((struct sock_filter[]){BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)}, 2, 0));
  });

  CHILD("total length", {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    static struct sock_filter big[4096];
    for (int i = 0; i < 4096; i++) big[i] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    int n = 0;
    long r;
    while ((r = attach(big, 4096, 0)) == 0) n++;
    printf("attached %d filters of 4096 instructions, then %s\n", n, strerror(errno));
    struct sock_filter small[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    TRY("a small one more", attach(small, 1, 0));
  });
}

static void on_sigsys(int sig, siginfo_t *si, void *uc) {
  ucontext_t *u = uc;
  printf("SIGSYS: signo %d code %d errno %d syscall %d arch 0x%x call_addr set %d eax %d\n", sig, si->si_code, si->si_errno,
         si->si_syscall, si->si_arch, si->si_call_addr != NULL, (int)u->uc_mcontext.gregs[REG_EAX]);
  u->uc_mcontext.gregs[REG_EAX] = 4242; /* what the call returns */
}

static void *thread_getpid(void *arg) {
  (void)arg;
  errno = 0;
  long r = syscall(__NR_getpid);
  printf("thread: getpid %s, errno %d\n", r == getpid() ? "ok" : "failed", errno);
  return NULL;
}

static void *thread_killed(void *arg) {
  (void)arg;
  syscall(__NR_getppid);
  printf("thread: not killed\n");
  return NULL;
}

static void actions(void) {
  CHILD("errno", {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    TRY("attach", on_call(__NR_getpid, SECCOMP_RET_ERRNO | 77, 0));
    TRY("getpid", syscall(__NR_getpid));
    TRY("PR_GET_SECCOMP", prctl(PR_GET_SECCOMP));
    on_call(__NR_getppid, SECCOMP_RET_ERRNO | 0, 0);
    TRY("getppid with errno 0", syscall(__NR_getppid));
    on_call(__NR_getuid32, SECCOMP_RET_ERRNO | 5000, 0);
    TRY("getuid32 with errno 5000", syscall(__NR_getuid32));
    on_call(999, SECCOMP_RET_ERRNO | 9, 0);
    TRY("call 999", syscall(999));
    TRY("call 998", syscall(998));
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
      if (strncmp(line, "Seccomp", 7) == 0 || strncmp(line, "NoNewPrivs", 10) == 0) fputs(line, stdout);
    if (f != NULL) fclose(f);
  });
  CHILD("arguments and arch", {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, DATA_ARCH),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, DATA_NR),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_write, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, DATA_ARG(0)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 2, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, DATA_ARG(0) + 4),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | E2BIG),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    TRY("attach", attach(f, sizeof f / sizeof *f, 0));
    TRY("write to 2", write(2, "x", 1));
    TRY("write to 1", write(1, "written\n", 8));
    TRY("getpid", syscall(__NR_getpid) == getpid());
  });
  CHILD("trap", {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    struct sigaction sa = {0};
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSYS, &sa, NULL);
    TRY("attach", on_call(__NR_getppid, SECCOMP_RET_TRAP | 33, 0));
    TRY("getppid", syscall(__NR_getppid));
  });
  CHILD("trap without a handler", {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    on_call(__NR_getppid, SECCOMP_RET_TRAP, 0);
    syscall(__NR_getppid);
    printf("not killed\n");
  });
  CHILD("trap, SIGSYS ignored", {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    signal(SIGSYS, SIG_IGN);
    on_call(__NR_getppid, SECCOMP_RET_TRAP, 0);
    syscall(__NR_getppid);
    printf("not killed\n");
  });
  CHILD("kill process", {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    struct sigaction sa = {0};
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSYS, &sa, NULL);
    on_call(__NR_getppid, SECCOMP_RET_KILL_PROCESS, 0);
    syscall(__NR_getppid);
    printf("not killed\n");
  });
  CHILD("kill thread, the only one", {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    on_call(__NR_getppid, SECCOMP_RET_KILL_THREAD, 0);
    syscall(__NR_getppid);
    printf("not killed\n");
  });
  CHILD("kill thread, one of two", {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    on_call(__NR_getppid, SECCOMP_RET_KILL_THREAD, 0);
    pthread_t th;
    pthread_create(&th, NULL, thread_killed, NULL);
    pthread_join(th, NULL);
    printf("main thread goes on\n");
  });
  CHILD("unknown action", {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    on_call(__NR_getppid, 0x00010000, 0);
    syscall(__NR_getppid);
    printf("not killed\n");
  });
  CHILD("trace, user notification and log", {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    on_call(__NR_getppid, SECCOMP_RET_TRACE | 5, 0);
    on_call(__NR_getpgrp, SECCOMP_RET_USER_NOTIF, 0);
    on_call(__NR_getpid, SECCOMP_RET_LOG, 0);
    TRY("getppid (trace, no tracer)", syscall(__NR_getppid));
    TRY("getpgrp (no listener)", syscall(__NR_getpgrp));
    TRY("getpid (log)", syscall(__NR_getpid) == getpid());
  });
  CHILD("precedence", {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    on_call(__NR_getpid, SECCOMP_RET_ERRNO | 1, 0);
    on_call(__NR_getpid, SECCOMP_RET_ERRNO | 2, 0);
    TRY("getpid, two errno filters", syscall(__NR_getpid));
    on_call(__NR_getpid, SECCOMP_RET_LOG, 0);
    on_call(__NR_getpid, SECCOMP_RET_TRACE | 3, 0);
    TRY("getpid, with log and trace after", syscall(__NR_getpid));
    on_call(__NR_getpid, SECCOMP_RET_ERRNO | 6, SECCOMP_FILTER_FLAG_LOG);
    TRY("getpid, a newer errno", syscall(__NR_getpid));
    struct sigaction sa = {0};
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSYS, &sa, NULL);
    on_call(__NR_getpid, SECCOMP_RET_TRAP | 4, 0);
    TRY("getpid, a trap", syscall(__NR_getpid));
  });
}

static void inheritance(const char *self) {
  CHILD("fork and exec", {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    on_call(__NR_getpid, SECCOMP_RET_ERRNO | 55, 0);
    CHILD("forked child", { TRY("child getpid", syscall(__NR_getpid)); });
    fflush(stdout);
    execl(self, self, "exec-check", (char *)NULL);
    printf("exec failed: %s\n", strerror(errno));
  });
  CHILD("threads", {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    on_call(__NR_getpid, SECCOMP_RET_ERRNO | 56, 0);
    pthread_t th;
    pthread_create(&th, NULL, thread_getpid, NULL);
    pthread_join(th, NULL);
  });
}

static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int stage;
static long waiter_tid;

static void *waiter(void *arg) {
  long own = (long)arg;
  waiter_tid = syscall(__NR_gettid);
  if (own) on_call(__NR_getpgrp, SECCOMP_RET_ERRNO | 3, 0);
  pthread_mutex_lock(&gate);
  stage = 1;
  pthread_cond_broadcast(&cond);
  while (stage != 2) pthread_cond_wait(&cond, &gate);
  pthread_mutex_unlock(&gate);
  errno = 0;
  long r = syscall(__NR_getpid);
  printf("waiter: getpid %s, errno %d\n", r == getpid() ? "ok" : "failed", errno);
  return NULL;
}

static void tsync_case(long own, unsigned flags) {
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  stage = 0;
  pthread_t th;
  pthread_create(&th, NULL, waiter, (void *)own);
  pthread_mutex_lock(&gate);
  while (stage != 1) pthread_cond_wait(&cond, &gate);
  pthread_mutex_unlock(&gate);
  long r = on_call(__NR_getpid, SECCOMP_RET_ERRNO | 57, flags);
  printf("attach: %s\n", r == 0 ? "0" : r == waiter_tid ? "the waiter's id" : strerror(errno));
  pthread_mutex_lock(&gate);
  stage = 2;
  pthread_cond_broadcast(&cond);
  pthread_mutex_unlock(&gate);
  pthread_join(th, NULL);
}

static void tsync(void) {
  CHILD("tsync", tsync_case(0, SECCOMP_FILTER_FLAG_TSYNC));
  CHILD("without tsync", tsync_case(0, 0));
  CHILD("tsync, a thread with its own filter", tsync_case(1, SECCOMP_FILTER_FLAG_TSYNC));
  CHILD("tsync_esrch, a thread with its own filter", tsync_case(1, SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH));
}

/* A filter that computes with every ALU operation, the scratch cells and X from getpgid's
 * argument, and answers the result's low 12 bits as an errno for it. */
static void arithmetic(void) {
  CHILD("arithmetic", {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, DATA_NR),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getpgid, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, DATA_ARG(0)),
        BPF_STMT(BPF_ST, 0),                               /* M[0] = x */
        BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 2654435761u),  /* a = x * 2654435761 */
        BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 12345),
        BPF_STMT(BPF_MISC | BPF_TAX, 0),                   /* X = a */
        BPF_STMT(BPF_LD | BPF_MEM, 0),                     /* a = x */
        BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
        BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 7),
        BPF_STMT(BPF_ALU | BPF_SUB | BPF_K, 99),
        BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 3),
        BPF_STMT(BPF_ALU | BPF_OR | BPF_K, 0x5),
        BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0x7ffffff7),
        BPF_STMT(BPF_ST, 1),
        BPF_STMT(BPF_LDX | BPF_IMM, 7),
        BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0),            /* a /= 7, unsigned */
        BPF_STMT(BPF_ALU | BPF_NEG, 0),
        BPF_STMT(BPF_LDX | BPF_MEM, 1),
        BPF_STMT(BPF_ALU | BPF_ADD | BPF_X, 0),
        BPF_STMT(BPF_ALU | BPF_MUL | BPF_X, 0),
        BPF_STMT(BPF_LDX | BPF_MEM, 0),
        BPF_STMT(BPF_ALU | BPF_LSH | BPF_X, 0),            /* shift by x (masked) */
        BPF_STMT(BPF_MISC | BPF_TAX, 0),
        BPF_STMT(BPF_LD | BPF_MEM, 0),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x10, 0, 2),  /* bit 4 of x: take the other way */
        BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 3),
        BPF_STMT(BPF_JMP | BPF_JA, 1),
        BPF_STMT(BPF_ALU | BPF_SUB | BPF_X, 0),
        BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 0x80000000u, 0, 1), /* unsigned compares */
        BPF_STMT(BPF_ALU | BPF_XOR | BPF_K, 0xabc),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_X, 0, 1, 0),
        BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 1),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_X, 0, 0, 1),
        BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
        BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xfff),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
        BPF_STMT(BPF_LD | BPF_IMM, 1),
        BPF_STMT(BPF_ALU | BPF_OR | BPF_K, SECCOMP_RET_ERRNO),
        BPF_STMT(BPF_RET | BPF_A, 0),
    };
    TRY("attach", attach(f, sizeof f / sizeof *f, 0));
    uint32_t s = 12345, h = FNV_INIT;
    for (int i = 0; i < 400; i++) {
      uint32_t x = i < 40 ? (uint32_t)i * 0x07ffffffu : rng_next(&s);
      errno = 0;
      long r = syscall(__NR_getpgid, x);
      h = mix(mix(h, (uint32_t)r), (uint32_t)errno);
      if (i < 6) printf("getpgid(0x%x): %ld errno %d\n", x, r, errno);
    }
    printf("arithmetic checksum %08x\n", h);
    /* divide by a zero X ends the program with 0: SECCOMP_RET_KILL_THREAD */
    struct sock_filter z[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, DATA_NR), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getppid, 0, 3),
                              BPF_STMT(BPF_LDX | BPF_IMM, 0), BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0),
                              BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    TRY("attach divide by X", attach(z, 6, 0));
    fflush(stdout);
    syscall(__NR_getppid);
    printf("not killed\n");
  });
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "exec-check") == 0) {
    TRY("after exec, getpid", syscall(__NR_getpid));
    TRY("after exec, PR_GET_SECCOMP", prctl(PR_GET_SECCOMP));
    return 0;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("seccomp\n"); /* (stdout's buffer is made now, not in a child in strict mode) */
  strict_mode();
  checks();
  actions();
  inheritance(argv[0]);
  tsync();
  arithmetic();
  return 0;
}
