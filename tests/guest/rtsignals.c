/* Advanced signals, compared natively and under exojit (tests/timers.test.ts): real-time
 * signals queued and delivered in order with their values, standard signals merged, sigqueue
 * with sigtimedwait (timeouts, EAGAIN, EINTR), rt_sigqueueinfo's permission rule,
 * rt_tgsigqueueinfo to a thread, signalfd read through poll and epoll, sigaltstack under
 * nested handlers, and pidfd_open / pidfd_send_signal with poll for a child's exit. Nothing
 * printed depends on timing. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "guest.h"

static int order[32][2];
static volatile int norder;
static void on_rt(int s, siginfo_t *si, void *uc) {
  (void)uc;
  if (norder < 32) {
    order[norder][0] = s;
    order[norder][1] = si->si_value.sival_int;
    norder++;
  }
}

static void sigact(int sig, void (*fn)(int, siginfo_t *, void *), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = fn;
  sa.sa_flags = SA_SIGINFO | flags;
  sigaction(sig, &sa, NULL);
}

static void block(int sig, int how) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  sigprocmask(how, &s, NULL);
}

static void section_queue_order(void) {
  sigact(SIGRTMIN, on_rt, 0);
  sigact(SIGRTMIN + 1, on_rt, 0);
  sigact(SIGUSR1, on_rt, 0);
  block(SIGRTMIN, SIG_BLOCK);
  block(SIGRTMIN + 1, SIG_BLOCK);
  block(SIGUSR1, SIG_BLOCK);
  int vals[][2] = {{1, 10}, {0, 20}, {1, 11}, {0, 21}, {1, 12}, {0, 22}};
  for (int i = 0; i < 6; i++) sigqueue(getpid(), SIGRTMIN + vals[i][0], (union sigval){.sival_int = vals[i][1]});
  for (int i = 0; i < 3; i++) sigqueue(getpid(), SIGUSR1, (union sigval){.sival_int = 100 + i});
  sigset_t pend;
  sigpending(&pend);
  printf("pending: RTMIN %d RTMIN+1 %d USR1 %d\n", sigismember(&pend, SIGRTMIN), sigismember(&pend, SIGRTMIN + 1), sigismember(&pend, SIGUSR1));
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  printf("delivered %d:", norder);
  for (int i = 0; i < norder; i++) {
    int s = order[i][0];
    printf(" %s/%d", s == SIGUSR1 ? "USR1" : s == SIGRTMIN ? "RTMIN" : "RTMIN+1", order[i][1]);
  }
  printf("\n");
}

static void section_sigtimedwait(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGRTMIN + 2);
  sigaddset(&set, SIGUSR2);
  sigprocmask(SIG_BLOCK, &set, NULL);
  siginfo_t si;
  struct timespec zero = {0, 0}, short_wait = {0, 30000000};
  TRY("sigtimedwait with nothing pending, zero timeout", sigtimedwait(&set, &si, &zero));
  TRY("sigtimedwait with nothing pending, 30 ms", sigtimedwait(&set, &si, &short_wait));
  sigqueue(getpid(), SIGRTMIN + 2, (union sigval){.sival_int = 555});
  int s = sigtimedwait(&set, &si, &zero);
  printf("after sigqueue: RTMIN+%d, code SI_QUEUE %d, value %d, pid is mine %d, uid is mine %d\n", s - SIGRTMIN, si.si_code == SI_QUEUE,
         si.si_value.sival_int, si.si_pid == getpid(), si.si_uid == getuid());
  raise(SIGUSR2);
  s = sigwaitinfo(&set, &si);
  printf("after raise: USR2 %d, code %d, pid is mine %d\n", s == SIGUSR2, si.si_code, si.si_pid == getpid());

  /* A child sends while the parent waits without a timeout. */
  pid_t c = fork();
  if (c == 0) {
    struct timespec nap = {0, 20000000};
    nanosleep(&nap, NULL);
    sigqueue(getppid(), SIGRTMIN + 2, (union sigval){.sival_int = 31337});
    _exit(0);
  }
  s = sigwaitinfo(&set, &si);
  printf("from a child: RTMIN+%d, value %d, pid is the child's %d\n", s - SIGRTMIN, si.si_value.sival_int, si.si_pid == c);
  waitpid(c, NULL, 0);

  /* A handler of another signal ends the wait with EINTR. */
  sigact(SIGALRM, on_rt, SA_RESTART);
  struct itimerval in20 = {{0, 0}, {0, 20000}};
  setitimer(ITIMER_REAL, &in20, NULL);
  struct timespec long_wait = {5, 0};
  TRY("sigtimedwait interrupted by a handler (even with SA_RESTART)", sigtimedwait(&set, &si, &long_wait));
  TRY("sigtimedwait with a bad timeout", sigtimedwait(&set, &si, &(struct timespec){0, -5}));

  /* rt_sigqueueinfo may not claim a kernel or kill code for another process. */
  siginfo_t fake;
  memset(&fake, 0, sizeof fake);
  fake.si_signo = SIGRTMIN + 2;
  fake.si_code = SI_USER;
  pid_t other = fork();
  if (other == 0) {
    pause();
    _exit(0);
  }
  TRY("rt_sigqueueinfo with SI_USER to another process", syscall(SYS_rt_sigqueueinfo, other, SIGRTMIN + 2, &fake));
  TRY("rt_sigqueueinfo with SI_USER to myself", syscall(SYS_rt_sigqueueinfo, getpid(), SIGRTMIN + 2, &fake));
  s = sigtimedwait(&set, &si, &zero);
  printf("took it: RTMIN+%d code %d\n", s - SIGRTMIN, si.si_code);
  kill(other, SIGKILL);
  waitpid(other, NULL, 0);
  TRY("sigqueue to a reaped child", sigqueue(other, SIGRTMIN, (union sigval){.sival_int = 0}));
  TRY("sigqueue signal 99", sigqueue(getpid(), 99, (union sigval){.sival_int = 0}));
}

static pid_t thread_tid;
static volatile int thread_ready;
static void *tg_waiter(void *arg) {
  (void)arg;
  thread_tid = syscall(SYS_gettid);
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGRTMIN + 3);
  __atomic_store_n(&thread_ready, 1, __ATOMIC_SEQ_CST);
  siginfo_t si;
  int sig = sigwaitinfo(&s, &si);
  printf("thread took RTMIN+%d value %d code SI_QUEUE %d\n", sig - SIGRTMIN, si.si_value.sival_int, si.si_code == SI_QUEUE);
  return NULL;
}

static void section_tgsigqueue(void) {
  block(SIGRTMIN + 3, SIG_BLOCK);
  pthread_t th;
  pthread_create(&th, NULL, tg_waiter, NULL);
  while (!__atomic_load_n(&thread_ready, __ATOMIC_SEQ_CST)) sched_yield();
  /* printed after the join: the woken thread's line and ours would otherwise race */
  int r = pthread_sigqueue(th, SIGRTMIN + 3, (union sigval){.sival_int = 808});
  pthread_join(th, NULL);
  printf("pthread_sigqueue: %d\n", r);
}

static void section_signalfd(void) {
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGUSR1);
  sigaddset(&m, SIGRTMIN + 4);
  sigprocmask(SIG_BLOCK, &m, NULL);
  int fd = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);
  struct signalfd_siginfo ssi[4];
  TRY("signalfd read with nothing pending", read(fd, ssi, sizeof ssi));
  struct pollfd p = {fd, POLLIN, 0};
  printf("poll with nothing pending: %d\n", poll(&p, 1, 0));
  kill(getpid(), SIGUSR1);
  sigqueue(getpid(), SIGRTMIN + 4, (union sigval){.sival_int = 4242});
  sigqueue(getpid(), SIGRTMIN + 4, (union sigval){.sival_int = 4343});
  int pr = poll(&p, 1, 0);
  printf("poll after sending: %d revents POLLIN %d\n", pr, (p.revents & POLLIN) != 0);
  TRY("read into 100 bytes", read(fd, ssi, 100));
  ssize_t n = read(fd, ssi, sizeof ssi);
  printf("read %d records:", (int)(n / (ssize_t)sizeof ssi[0]));
  for (int i = 0; i < n / (ssize_t)sizeof ssi[0]; i++) {
    printf(" [%s code %d pid-mine %d int %d]", ssi[i].ssi_signo == SIGUSR1 ? "USR1" : "RTMIN+4", (int)ssi[i].ssi_code, ssi[i].ssi_pid == (uint32_t)getpid(),
           ssi[i].ssi_code == SI_QUEUE ? ssi[i].ssi_int : 0);
  }
  printf("\n");
  p.revents = 0;
  printf("poll after reading: %d\n", poll(&p, 1, 0));

  /* A blocking descriptor in epoll, fed by a child. */
  int bfd = signalfd(-1, &m, 0);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 77};
  epoll_ctl(ep, EPOLL_CTL_ADD, bfd, &ev);
  pid_t c = fork();
  if (c == 0) {
    struct timespec nap = {0, 20000000};
    nanosleep(&nap, NULL);
    sigqueue(getppid(), SIGRTMIN + 4, (union sigval){.sival_int = 9});
    _exit(0);
  }
  struct epoll_event out;
  int k = epoll_wait(ep, &out, 1, 10000);
  printf("epoll_wait on the signalfd: %d, data %u\n", k, out.data.u32);
  n = read(bfd, ssi, sizeof ssi);
  printf("blocking read: %d record(s), int %d\n", (int)(n / (ssize_t)sizeof ssi[0]), ssi[0].ssi_int);
  waitpid(c, NULL, 0);
  /* The mask can be changed; a non-signalfd descriptor is refused. */
  sigemptyset(&m);
  sigaddset(&m, SIGUSR1);
  printf("signalfd(fd, new mask) returns the same fd: %d\n", signalfd(fd, &m, 0) == fd);
  TRY("signalfd on a pipe", signalfd(ep, &m, 0));
  TRY("signalfd4 with flags 1", syscall(SYS_signalfd4, -1, &m, 8, 1));
  TRY("signalfd4 with sigset size 4", syscall(SYS_signalfd4, -1, &m, 4, 0));
  close(fd);
  close(bfd);
  close(ep);
}

static char alt[65536];
static volatile int depth_on_alt[2], nested_flags;
static int on_alt_stack(void *p) { return (char *)p >= alt && (char *)p < alt + sizeof alt; }
static void on_usr2(int s, siginfo_t *si, void *uc) {
  (void)s, (void)si, (void)uc;
  int local;
  depth_on_alt[1] = on_alt_stack(&local);
  stack_t cur;
  sigaltstack(NULL, &cur);
  nested_flags = cur.ss_flags;
}
static void on_usr1_alt(int s, siginfo_t *si, void *uc) {
  (void)s, (void)si, (void)uc;
  int local;
  depth_on_alt[0] = on_alt_stack(&local);
  raise(SIGUSR2);
}

static void section_altstack(void) {
  stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0};
  printf("sigaltstack: %d\n", sigaltstack(&ss, NULL));
  sigact(SIGUSR1, on_usr1_alt, SA_ONSTACK);
  sigact(SIGUSR2, on_usr2, SA_ONSTACK);
  block(SIGUSR1, SIG_UNBLOCK);
  block(SIGUSR2, SIG_UNBLOCK);
  raise(SIGUSR1);
  printf("handler on the alternate stack %d, nested handler too %d, nested sees SS_ONSTACK %d\n", depth_on_alt[0], depth_on_alt[1], (nested_flags & SS_ONSTACK) != 0);
  stack_t cur;
  sigaltstack(NULL, &cur);
  printf("after the handlers: flags %d, size %u\n", cur.ss_flags, (unsigned)cur.ss_size);
  stack_t tiny = {.ss_sp = alt, .ss_size = 100, .ss_flags = 0};
  TRY("sigaltstack too small", sigaltstack(&tiny, NULL));
}

static int pidfd_open(pid_t pid, unsigned flags) { return syscall(SYS_pidfd_open, pid, flags); }
static int pidfd_send_signal(int fd, int sig, siginfo_t *info, unsigned flags) { return syscall(SYS_pidfd_send_signal, fd, sig, info, flags); }

static void section_pidfd(void) {
  int go[2];
  pipe(go);
  pid_t c = fork();
  if (c == 0) {
    char x;
    read(go[0], &x, 1);
    _exit(3);
  }
  int fd = pidfd_open(c, 0);
  printf("pidfd_open: ok %d, close-on-exec %d\n", fd >= 0, fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
  struct pollfd p = {fd, POLLIN, 0};
  printf("poll while the child runs: %d\n", poll(&p, 1, 0));
  write(go[1], "x", 1);
  int r = poll(&p, 1, 10000);
  printf("poll after it exits: %d, POLLIN %d\n", r, (p.revents & POLLIN) != 0);
  int st;
  waitpid(c, &st, 0);
  printf("its status: %d\n", WEXITSTATUS(st));
  TRY("pidfd_send_signal after it was reaped", pidfd_send_signal(fd, SIGTERM, NULL, 0));
  close(fd);

  c = fork();
  if (c == 0) {
    for (;;) pause();
  }
  fd = pidfd_open(c, 0);
  TRY("pidfd_send_signal SIGTERM", pidfd_send_signal(fd, SIGTERM, NULL, 0));
  waitpid(c, &st, 0);
  printf("the child was killed by signal %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : -1);
  close(fd);
  TRY("pidfd_open(-1)", pidfd_open(-1, 0));
  TRY("pidfd_open with flags 1", pidfd_open(getpid(), 1));
  TRY("pidfd_send_signal on a pipe", pidfd_send_signal(go[0], SIGTERM, NULL, 0));
  fd = pidfd_open(getpid(), 0);
  TRY("pidfd_send_signal with flags 5", pidfd_send_signal(fd, 0, NULL, 5));
  TRY("pidfd_send_signal signal 0 to myself", pidfd_send_signal(fd, 0, NULL, 0));
  close(fd);
  /* a descriptor of a /proc/PID directory names the process as a pidfd does; another
   * directory does not */
  c = fork();
  if (c == 0) {
    for (;;) pause();
  }
  char dir[64];
  snprintf(dir, sizeof dir, "/proc/%d", (int)c);
  fd = open(dir, O_RDONLY | O_DIRECTORY);
  TRY("pidfd_send_signal through /proc/PID", pidfd_send_signal(fd, SIGTERM, NULL, 0));
  waitpid(c, &st, 0);
  printf("the child was killed by signal %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : -1);
  TRY("through /proc/PID once it was reaped", pidfd_send_signal(fd, SIGTERM, NULL, 0));
  close(fd);
  fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY);
  TRY("pidfd_send_signal through /proc/self/task", pidfd_send_signal(fd, 0, NULL, 0));
  close(fd);
  fd = open("/", O_RDONLY | O_DIRECTORY);
  TRY("pidfd_send_signal through /", pidfd_send_signal(fd, 0, NULL, 0));
  close(fd);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  section_queue_order();
  section_sigtimedwait();
  section_tgsigqueue();
  section_signalfd();
  section_altstack();
  section_pidfd();
  return 0;
}
