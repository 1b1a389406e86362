/* Waiting: raw futex operations (value mismatch, relative and absolute timeouts, wake counts,
 * requeue, wake-op, bitsets), sleeps, and signals that arrive while a call waits: EINTR with
 * the time left, SA_RESTART restarting a read, sigsuspend, pause, and poll/select interrupted.
 * A helper process keeps signalling until the waiting call has reacted, so the results do not
 * depend on timing. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long futex(int *uaddr, int op, int val, const struct timespec *ts, int *uaddr2, int val3) {
  return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

static int word, word2;
static int woken, ready;

static void *waiter(void *arg) {
  int bits = (int)(long)arg;
  __atomic_add_fetch(&ready, 1, __ATOMIC_SEQ_CST);
  long r = futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL, bits);
  if (r == 0) __atomic_add_fetch(&woken, 1, __ATOMIC_SEQ_CST);
  return NULL;
}

/* Waits until `n` waiters are about to block, then gives them time to (nothing observable
 * tells when a thread sleeps in FUTEX_WAIT). */
static void let_block(int n) {
  while (__atomic_load_n(&ready, __ATOMIC_SEQ_CST) < n) sched_yield();
  usleep(20000);
}

static volatile sig_atomic_t hits;
static void on_usr1(int s) {
  (void)s;
  hits++;
}

/* A child that sends SIGUSR1 to `target` every 2 ms until killed. */
static pid_t nagger(pid_t target) {
  pid_t p = fork();
  if (p == 0) {
    for (;;) {
      kill(target, SIGUSR1);
      usleep(2000);
    }
  }
  return p;
}

static void stop(pid_t p) {
  kill(p, SIGKILL);
  waitpid(p, NULL, 0);
}

static void handle(int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sa.sa_flags = flags;
  sigaction(SIGUSR1, &sa, NULL);
}

/* futex_waitv (Linux 5.16): waiting on several futexes at once. */
struct waitv_entry {
  uint64_t val, uaddr;
  uint32_t flags, reserved;
};
#define WV_U32_PRIVATE (2 | 128)
static int wv_a, wv_b;
static long wv_result = -99;
static long waitv_call(struct waitv_entry *w, unsigned n, unsigned flags, struct timespec *abs, int clk) {
  struct { long long sec, nsec; } ts64;
  if (abs != NULL) ts64.sec = abs->tv_sec, ts64.nsec = abs->tv_nsec;
  return syscall(449, w, n, flags, abs != NULL ? (void *)&ts64 : NULL, clk);
}
static void *waitv_thread(void *arg) {
  (void)arg;
  struct waitv_entry w[2] = {{0, (uintptr_t)&wv_a, WV_U32_PRIVATE, 0}, {0, (uintptr_t)&wv_b, WV_U32_PRIVATE, 0}};
  __atomic_add_fetch(&ready, 1, __ATOMIC_SEQ_CST);
  wv_result = waitv_call(w, 2, 0, NULL, CLOCK_MONOTONIC);
  return NULL;
}
static void waitv(void) {
  struct waitv_entry w[2] = {{0, (uintptr_t)&wv_a, WV_U32_PRIVATE, 0}, {1, (uintptr_t)&wv_b, WV_U32_PRIVATE, 0}};
  long r = waitv_call(w, 2, 0, NULL, CLOCK_MONOTONIC);
  printf("futex_waitv, the second value changed: %ld %s\n", r, strerror(errno));
  r = waitv_call(w, 2, 1, NULL, CLOCK_MONOTONIC);
  printf("futex_waitv with flags: %ld %s\n", r, strerror(errno));
  r = waitv_call(w, 0, 0, NULL, CLOCK_MONOTONIC);
  printf("futex_waitv of none: %ld %s\n", r, strerror(errno));
  w[1].val = 0;
  w[1].reserved = 1;
  r = waitv_call(w, 2, 0, NULL, CLOCK_MONOTONIC);
  printf("futex_waitv with reserved bits: %ld %s\n", r, strerror(errno));
  w[1].reserved = 0;
  w[1].flags = 3;
  r = waitv_call(w, 2, 0, NULL, CLOCK_MONOTONIC);
  printf("futex_waitv of a 64-bit futex: %ld %s\n", r, strerror(errno));
  w[1].flags = WV_U32_PRIVATE;
  struct timespec abs;
  clock_gettime(CLOCK_MONOTONIC, &abs);
  abs.tv_nsec += 20 * 1000 * 1000;
  if (abs.tv_nsec >= 1000000000) abs.tv_sec++, abs.tv_nsec -= 1000000000;
  r = waitv_call(w, 2, 0, &abs, CLOCK_BOOTTIME);
  printf("futex_waitv on CLOCK_BOOTTIME: %ld %s\n", r, strerror(errno));
  r = waitv_call(w, 2, 0, &abs, CLOCK_MONOTONIC);
  printf("futex_waitv with a 20 ms deadline: %ld %s\n", r, strerror(errno));
  ready = 0;
  pthread_t th;
  pthread_create(&th, NULL, waitv_thread, NULL);
  let_block(1);
  long n = futex(&wv_b, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
  pthread_join(th, NULL);
  long after = futex(&wv_a, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
  printf("futex_waitv woken on the second futex: wake %ld, result %ld; the first one then wakes %ld\n", n, wv_result, after);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  long r;

  /* 1. futex basics */
  word = 1;
  r = futex(&word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
  printf("FUTEX_WAIT on a changed value: %ld %s\n", r, strerror(errno));
  struct timespec rel = {0, 30 * 1000 * 1000};
  word = 0;
  r = futex(&word, FUTEX_WAIT_PRIVATE, 0, &rel, NULL, 0);
  printf("FUTEX_WAIT with a 30 ms timeout: %ld %s\n", r, strerror(errno));
  struct timespec abs;
  clock_gettime(CLOCK_MONOTONIC, &abs);
  abs.tv_nsec += 20 * 1000 * 1000;
  if (abs.tv_nsec >= 1000000000) abs.tv_sec++, abs.tv_nsec -= 1000000000;
  r = futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, &abs, NULL, FUTEX_BITSET_MATCH_ANY);
  printf("FUTEX_WAIT_BITSET with an absolute monotonic deadline: %ld %s\n", r, strerror(errno));
  clock_gettime(CLOCK_REALTIME, &abs);
  abs.tv_nsec += 20 * 1000 * 1000;
  if (abs.tv_nsec >= 1000000000) abs.tv_sec++, abs.tv_nsec -= 1000000000;
  r = futex(&word, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, &abs, NULL, FUTEX_BITSET_MATCH_ANY);
  printf("... on the realtime clock: %ld %s\n", r, strerror(errno));
  r = futex(&word, FUTEX_WAKE_PRIVATE, 5, NULL, NULL, 0);
  printf("FUTEX_WAKE with no waiters: %ld\n", r);
  r = futex((int *)((char *)&word + 1), FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
  printf("FUTEX_WAIT on an unaligned word: %ld %s\n", r, strerror(errno));
  /* a shared futex's page must be there (EFAULT); a private one is only an address */
  int *hole = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  r = futex(hole, FUTEX_WAKE, 1, NULL, NULL, 0);
  printf("FUTEX_WAKE on a PROT_NONE page: %ld %s\n", r, strerror(errno));
  munmap(hole, 4096);
  r = futex(hole, FUTEX_WAKE, 1, NULL, NULL, 0);
  printf("FUTEX_WAKE on an unmapped page: %ld %s\n", r, strerror(errno));
  r = futex(hole, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
  printf("FUTEX_WAKE_PRIVATE there: %ld\n", r);
  r = futex(&word, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)-1L, &word2, 0);
  printf("FUTEX_CMP_REQUEUE of a negative count: %ld %s\n", r, strerror(errno));
  r = futex((int *)16, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
  printf("FUTEX_WAIT on an unmapped word: %ld %s\n", r, strerror(errno));

  /* 2. wake counts and bitsets: 4 waiters, bitsets 1 1 2 2 */
  pthread_t th[4];
  for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, waiter, (void *)(long)(i < 2 ? 1 : 2));
  let_block(4);
  int n1 = (int)futex(&word, FUTEX_WAKE_BITSET_PRIVATE, 10, NULL, NULL, 2);
  int n2 = (int)futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
  int n3 = (int)futex(&word, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0);
  for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
  printf("bitset wake of set 2: %d, then wake 1: %d, then the rest: %d; %d woke with 0\n", n1, n2, n3, woken);

  /* 3. requeue: 3 waiters on word, wake 1 and move the others to word2 */
  woken = 0;
  ready = 0;
  for (int i = 0; i < 3; i++) pthread_create(&th[i], NULL, waiter, (void *)-1L);
  let_block(3);
  r = futex(&word, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)2L, &word2, 99);
  printf("CMP_REQUEUE with a stale value: %ld %s\n", r, strerror(errno));
  r = futex(&word, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)2L, &word2, 0);
  long left_on_word = futex(&word, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0);
  long on_word2 = futex(&word2, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0);
  for (int i = 0; i < 3; i++) pthread_join(th[i], NULL);
  printf("CMP_REQUEUE woke+moved %ld; then %ld left on the first word, %ld on the second\n", r, left_on_word, on_word2);

  /* 4. wake-op: word2 += 5, wake on word, and on word2 if its old value was 0 */
  word2 = 0;
  r = futex(&word, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1L, &word2, FUTEX_OP(FUTEX_OP_ADD, 5, FUTEX_OP_CMP_EQ, 0));
  printf("WAKE_OP: %ld, word2 now %d\n", r, word2);

  /* 5. sleeps */
  struct timespec req = {0, 10 * 1000 * 1000}, rem = {9, 9};
  r = nanosleep(&req, &rem);
  printf("nanosleep 10 ms: %ld\n", r);
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  now.tv_nsec += 10 * 1000 * 1000;
  if (now.tv_nsec >= 1000000000) now.tv_sec++, now.tv_nsec -= 1000000000;
  r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &now, NULL);
  struct timespec after;
  clock_gettime(CLOCK_MONOTONIC, &after);
  printf("clock_nanosleep TIMER_ABSTIME: %ld, woke after the deadline %d\n", r,
         after.tv_sec > now.tv_sec || (after.tv_sec == now.tv_sec && after.tv_nsec >= now.tv_nsec));
  req.tv_nsec = 2000000000;
  r = nanosleep(&req, NULL);
  printf("nanosleep with tv_nsec out of range: %ld %s\n", r, strerror(errno));

  /* 6. signals interrupting waits */
  handle(0);
  pid_t me = getpid();
  pid_t nag = nagger(me);
  req.tv_sec = 30;
  req.tv_nsec = 0;
  r = nanosleep(&req, &rem);
  int e = errno;
  stop(nag);
  /* (Linux may report a little more than was asked for: timer slack.) */
  printf("nanosleep 30 s under signals: %ld %s, some time left, about 30 s at most %d\n", r, strerror(e), rem.tv_sec <= 30 && rem.tv_sec >= 25);

  int p[2];
  pipe(p);
  char c;
  nag = nagger(me);
  r = read(p[0], &c, 1);
  e = errno;
  stop(nag);
  printf("read without SA_RESTART: %ld %s\n", r, strerror(e));

  handle(SA_RESTART);
  pid_t writer = fork();
  if (writer == 0) {
    for (int i = 0; i < 10; i++) {
      kill(me, SIGUSR1);
      usleep(2000);
    }
    write(p[1], "R", 1);
    _exit(0);
  }
  hits = 0;
  r = read(p[0], &c, 1);
  waitpid(writer, NULL, 0);
  printf("read with SA_RESTART: %ld '%c', handler ran %d\n", r, c, hits > 0);

  handle(0);
  struct pollfd pf = {p[0], POLLIN, 0};
  nag = nagger(me);
  r = poll(&pf, 1, 30000);
  e = errno;
  stop(nag);
  printf("poll under signals: %ld %s\n", r, strerror(e));
  handle(SA_RESTART);
  fd_set rd;
  FD_ZERO(&rd);
  FD_SET(p[0], &rd);
  struct timeval tv = {30, 0};
  nag = nagger(me);
  r = select(p[0] + 1, &rd, NULL, NULL, &tv);
  e = errno;
  stop(nag);
  printf("select under signals, even with SA_RESTART: %ld %s\n", r, strerror(e));

  /* sigsuspend: SIGUSR1 blocked, then atomically unblocked while waiting */
  sigset_t block, old, wait_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigprocmask(SIG_BLOCK, &block, &old);
  nag = nagger(me);
  sigemptyset(&wait_mask);
  hits = 0;
  r = sigsuspend(&wait_mask);
  e = errno;
  stop(nag);
  sigset_t cur;
  sigprocmask(SIG_BLOCK, NULL, &cur);
  printf("sigsuspend: %ld %s, handler ran %d, SIGUSR1 blocked again %d\n", r, strerror(e), hits > 0, sigismember(&cur, SIGUSR1));
  sigpending(&cur);
  if (sigismember(&cur, SIGUSR1)) {
    sigprocmask(SIG_SETMASK, &old, NULL); /* take the pending one */
  }
  sigprocmask(SIG_SETMASK, &old, NULL);
  /* a signal both blocked and ignored stays pending (a handler may come before the unblock) */
  sigset_t b2, pend2;
  sigemptyset(&b2);
  sigaddset(&b2, SIGUSR2);
  sigprocmask(SIG_BLOCK, &b2, NULL);
  signal(SIGUSR2, SIG_IGN);
  raise(SIGUSR2);
  sigpending(&pend2);
  int was = sigismember(&pend2, SIGUSR2);
  sigprocmask(SIG_UNBLOCK, &b2, NULL);
  sigpending(&pend2);
  printf("blocked and ignored SIGUSR2: pending %d, after the unblock %d\n", was, sigismember(&pend2, SIGUSR2));
  nag = nagger(me);
  r = pause();
  e = errno;
  stop(nag);
  printf("pause: %ld %s\n", r, strerror(e));
  waitv();
  return 0;
}
