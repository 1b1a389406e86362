/* Time and timers, compared natively and under exojit (tests/timers.test.ts): alarm,
 * interval timers (real, virtual and profiling), POSIX timers with SIGEV_SIGNAL, SIGEV_NONE,
 * SIGEV_THREAD_ID and glibc's SIGEV_THREAD, signal values and overruns, clock_nanosleep with
 * TIMER_ABSTIME, sleeps interrupted by signals, CPU-time clocks, getrusage and times, and
 * setting the clock without the privilege. Nothing printed depends on exact timing: only
 * orders, values and generous bounds. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "guest.h"

static long long ns_of(struct timespec ts) { return ts.tv_sec * 1000000000LL + ts.tv_nsec; }
static long long now_ns(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return ns_of(ts);
}
static void spin_cpu_ms(long ms) {
  long long end = now_ns(CLOCK_PROCESS_CPUTIME_ID) + ms * 1000000LL;
  while (now_ns(CLOCK_PROCESS_CPUTIME_ID) < end) {}
}

static volatile sig_atomic_t alrm, vt, prof;
static void on_alrm(int s) { (void)s; alrm++; }
static void on_vt(int s) { (void)s; vt++; }
static void on_prof(int s) { (void)s; prof++; }

static void handle(int sig, void (*fn)(int), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = fn;
  sa.sa_flags = flags;
  sigaction(sig, &sa, NULL);
}

static volatile int info_code, info_value, info_count;
static void on_info(int s, siginfo_t *si, void *uc) {
  (void)s, (void)uc;
  info_code = si->si_code;
  info_value = si->si_value.sival_int;
  info_count++;
}

static void wait_until(volatile sig_atomic_t *v, int n) {
  sigset_t none;
  sigemptyset(&none);
  while (*v < n) sigsuspend(&none);
}

static void section_alarm(void) {
  handle(SIGALRM, on_alrm, 0);
  printf("alarm(5) with none pending: %u\n", alarm(5));
  printf("alarm(0) with 5 s pending returns: %u\n", alarm(0));
  alarm(1);
  pause();
  printf("SIGALRM from alarm(1): %d\n", alrm);
}

static void section_itimers(void) {
  struct itimerval it = {{0, 10000}, {0, 10000}}, cur;
  alrm = 0;
  setitimer(ITIMER_REAL, &it, NULL);
  getitimer(ITIMER_REAL, &cur);
  printf("ITIMER_REAL armed: interval %ld us, value in (0, 10 ms]: %d\n", (long)cur.it_interval.tv_usec,
         cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0 && cur.it_value.tv_usec <= 10000);
  wait_until(&alrm, 5);
  struct itimerval off = {{0, 0}, {0, 0}}, old;
  setitimer(ITIMER_REAL, &off, &old);
  printf("ITIMER_REAL fired at least 5 times: %d; old interval %ld us\n", alrm >= 5, (long)old.it_interval.tv_usec);
  getitimer(ITIMER_REAL, &cur);
  printf("disarmed reads 0: %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0 && cur.it_interval.tv_usec == 0);

  handle(SIGVTALRM, on_vt, SA_RESTART);
  handle(SIGPROF, on_prof, SA_RESTART);
  struct itimerval v = {{0, 20000}, {0, 20000}};
  setitimer(ITIMER_VIRTUAL, &v, NULL);
  setitimer(ITIMER_PROF, &v, NULL);
  while (vt < 3 || prof < 3) spin_cpu_ms(5);
  setitimer(ITIMER_VIRTUAL, &off, NULL);
  setitimer(ITIMER_PROF, &off, NULL);
  printf("ITIMER_VIRTUAL and ITIMER_PROF fired while the process computed: %d %d\n", vt >= 3, prof >= 3);

  TRY("setitimer(7)", setitimer(7, &v, NULL));
  struct itimerval bad = {{0, 0}, {0, 1000000}};
  TRY("setitimer with 1000000 us", setitimer(ITIMER_REAL, &bad, NULL));

  /* fork: the child starts with no timers. */
  struct itimerval ten = {{0, 0}, {10, 0}};
  setitimer(ITIMER_REAL, &ten, NULL);
  pid_t c = fork();
  if (c == 0) {
    getitimer(ITIMER_REAL, &cur);
    printf("child after fork has no ITIMER_REAL: %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);
    fflush(stdout);
    _exit(0);
  }
  waitpid(c, NULL, 0);
  setitimer(ITIMER_REAL, &off, NULL);
}

static void section_posix_timers(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_info;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, NULL);

  timer_t t;
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGUSR1;
  ev.sigev_value.sival_int = 42;
  printf("timer_create: %d\n", timer_create(CLOCK_MONOTONIC, &ev, &t));
  struct itimerspec once = {{0, 0}, {0, 10000000}};
  timer_settime(t, 0, &once, NULL);
  sigset_t none;
  sigemptyset(&none);
  while (info_count == 0) sigsuspend(&none);
  printf("one-shot: si_code SI_TIMER %d, value %d, overrun %d\n", info_code == SI_TIMER, info_value, timer_getoverrun(t));
  struct itimerspec cur;
  timer_gettime(t, &cur);
  printf("expired one-shot reads 0: %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
  timer_delete(t);

  /* Overruns: a 1 ms timer whose signal stays blocked for 60 ms. */
  sigset_t rt;
  sigemptyset(&rt);
  sigaddset(&rt, SIGRTMIN);
  sigprocmask(SIG_BLOCK, &rt, NULL);
  ev.sigev_signo = SIGRTMIN;
  ev.sigev_value.sival_int = 1234;
  timer_create(CLOCK_MONOTONIC, &ev, &t);
  struct itimerspec fast = {{0, 1000000}, {0, 1000000}};
  timer_settime(t, 0, &fast, NULL);
  struct timespec nap = {0, 60000000};
  nanosleep(&nap, NULL);
  siginfo_t si;
  int s = sigwaitinfo(&rt, &si);
  int ovr = si.si_overrun;
  printf("blocked periodic timer: signal %d, value %d, si_overrun >= 10 %d, timer_getoverrun agrees %d\n", s == SIGRTMIN,
         si.si_value.sival_int, ovr >= 10, timer_getoverrun(t) == ovr);
  struct itimerspec zero = {{0, 0}, {0, 0}}, old;
  timer_settime(t, 0, &zero, &old);
  printf("old setting: interval %ld ns, value in (0, 1 ms]: %d\n", old.it_interval.tv_nsec, old.it_value.tv_sec == 0 && old.it_value.tv_nsec > 0 && old.it_value.tv_nsec <= 1000000);
  timer_delete(t);
  struct timespec z = {0, 0};
  printf("nothing more pending after disarm: %d\n", sigtimedwait(&rt, &si, &z) == -1 && errno == EAGAIN);

  /* An absolute wall-clock time already past: the timer goes off at once, and the intervals
   * since then are its overrun, capped at INT_MAX (DELAYTIMER_MAX). */
  ev.sigev_signo = SIGRTMIN;
  timer_create(CLOCK_REALTIME, &ev, &t);
  struct itimerspec past = {{0, 1000000}, {0, 0}};
  clock_gettime(CLOCK_REALTIME, &past.it_value);
  past.it_value.tv_sec -= 10;
  timer_settime(t, TIMER_ABSTIME, &past, NULL);
  s = sigwaitinfo(&rt, &si);
  printf("past absolute time, 1 ms interval: signal %d, overrun in [9990, 11000] %d\n", s == SIGRTMIN,
         si.si_overrun >= 9990 && si.si_overrun <= 11000);
  past.it_interval.tv_nsec = 1;
  clock_gettime(CLOCK_REALTIME, &past.it_value);
  past.it_value.tv_sec -= 4;
  timer_settime(t, TIMER_ABSTIME, &past, NULL);
  s = sigwaitinfo(&rt, &si);
  printf("past absolute time, 1 ns interval: signal %d, overrun %d, timer_getoverrun %d\n", s == SIGRTMIN, si.si_overrun,
         timer_getoverrun(t));
  timer_delete(t);

  /* SIGEV_NONE: only read. */
  ev.sigev_notify = SIGEV_NONE;
  timer_create(CLOCK_REALTIME, &ev, &t);
  struct itimerspec sec = {{0, 0}, {1, 0}};
  timer_settime(t, 0, &sec, NULL);
  timer_gettime(t, &cur);
  printf("SIGEV_NONE: remaining in (0.5 s, 1 s]: %d\n", ns_of(cur.it_value) > 500000000 && ns_of(cur.it_value) <= 1000000000);
  struct itimerspec per = {{0, 5000000}, {0, 5000000}};
  timer_settime(t, 0, &per, NULL);
  nanosleep(&nap, NULL);
  timer_gettime(t, &cur);
  printf("SIGEV_NONE periodic after its expiries: remaining in (0, 5 ms]: %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 5000000);
  timer_delete(t);
  TRY("timer_gettime of a deleted timer", timer_gettime(t, &cur));

  /* Absolute expiry on the realtime clock. */
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGUSR1;
  ev.sigev_value.sival_int = 77;
  timer_create(CLOCK_REALTIME, &ev, &t);
  struct itimerspec abs = {{0, 0}, {0, 0}};
  long long when = now_ns(CLOCK_REALTIME) + 20000000;
  abs.it_value.tv_sec = when / 1000000000;
  abs.it_value.tv_nsec = when % 1000000000;
  info_count = 0;
  timer_settime(t, TIMER_ABSTIME, &abs, NULL);
  while (info_count == 0) sigsuspend(&none);
  printf("TIMER_ABSTIME realtime timer: value %d, fired after its time %d\n", info_value, now_ns(CLOCK_REALTIME) >= when);
  timer_delete(t);

  /* A timer on the process's CPU clock. */
  timer_create(CLOCK_PROCESS_CPUTIME_ID, &ev, &t);
  struct itimerspec cpu = {{0, 0}, {0, 30000000}};
  info_count = 0;
  ev.sigev_value.sival_int = 0;
  timer_settime(t, 0, &cpu, NULL);
  while (info_count == 0) spin_cpu_ms(5);
  printf("CPU-time timer fired while computing: value %d\n", info_value);
  timer_delete(t);

  /* Bad arguments. */
  TRY("timer_create on clock 99", timer_create(99, &ev, &t));
  ev.sigev_notify = 77;
  TRY("timer_create with sigev_notify 77", timer_create(CLOCK_MONOTONIC, &ev, &t));
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = 0;
  TRY("timer_create with signal 0", timer_create(CLOCK_MONOTONIC, &ev, &t));
  ev.sigev_signo = SIGUSR1;
  timer_create(CLOCK_MONOTONIC, &ev, &t);
  struct itimerspec badts = {{0, 0}, {0, 1000000000}};
  TRY("timer_settime with tv_nsec 1e9", timer_settime(t, 0, &badts, NULL));
  TRY("timer_settime with flags 2", timer_settime(t, 2, &once, NULL));
  timer_delete(t);
  TRY("timer_delete twice", timer_delete(t));
  sigprocmask(SIG_UNBLOCK, &rt, NULL);
}

static pid_t waiter_tid;
static sem_t ready;
static void *sigwaiter(void *arg) {
  (void)arg;
  waiter_tid = syscall(SYS_gettid);
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGRTMIN + 1);
  sem_post(&ready);
  siginfo_t si;
  int sig = sigwaitinfo(&s, &si);
  printf("SIGEV_THREAD_ID: the thread took signal RTMIN+%d, value %d, SI_TIMER %d\n", sig - SIGRTMIN, si.si_value.sival_int, si.si_code == SI_TIMER);
  return NULL;
}

static sem_t fired;
static volatile int thread_value;
static void notify_fn(union sigval v) {
  thread_value = v.sival_int;
  sem_post(&fired);
}

static void section_thread_timers(void) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGRTMIN + 1);
  pthread_sigmask(SIG_BLOCK, &s, NULL);
  sem_init(&ready, 0, 0);
  pthread_t th;
  pthread_create(&th, NULL, sigwaiter, NULL);
  sem_wait(&ready);
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_THREAD_ID;
  ev.sigev_signo = SIGRTMIN + 1;
  ev.sigev_value.sival_int = 7;
  ev._sigev_un._tid = waiter_tid;
  timer_t t;
  timer_create(CLOCK_MONOTONIC, &ev, &t);
  struct itimerspec once = {{0, 0}, {0, 5000000}};
  timer_settime(t, 0, &once, NULL);
  pthread_join(th, NULL);
  timer_delete(t);
  ev._sigev_un._tid = 999999;
  TRY("SIGEV_THREAD_ID naming no thread of ours", timer_create(CLOCK_MONOTONIC, &ev, &t));

  sem_init(&fired, 0, 0);
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_THREAD;
  ev.sigev_notify_function = notify_fn;
  ev.sigev_value.sival_int = 99;
  timer_create(CLOCK_MONOTONIC, &ev, &t);
  timer_settime(t, 0, &once, NULL);
  sem_wait(&fired);
  printf("SIGEV_THREAD: the function ran in a new thread with value %d\n", thread_value);
  timer_delete(t);
}

static void section_sleeps(void) {
  struct timespec target;
  clock_gettime(CLOCK_MONOTONIC, &target);
  long long goal = ns_of(target) + 20000000;
  target.tv_sec = goal / 1000000000;
  target.tv_nsec = goal % 1000000000;
  int r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &target, NULL);
  printf("clock_nanosleep MONOTONIC TIMER_ABSTIME: %d, after the target %d\n", r, now_ns(CLOCK_MONOTONIC) >= goal);
  goal = now_ns(CLOCK_REALTIME) + 20000000;
  target.tv_sec = goal / 1000000000;
  target.tv_nsec = goal % 1000000000;
  r = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &target, NULL);
  printf("clock_nanosleep REALTIME TIMER_ABSTIME: %d, after the target %d\n", r, now_ns(CLOCK_REALTIME) >= goal);
  target.tv_sec = 0;
  target.tv_nsec = 0;
  printf("clock_nanosleep to a past time: %d\n", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &target, NULL));

  /* Interrupted by a handler (no SA_RESTART): EINTR with the time left. */
  handle(SIGALRM, on_alrm, 0);
  struct itimerval in20 = {{0, 0}, {0, 20000}};
  setitimer(ITIMER_REAL, &in20, NULL);
  struct timespec req = {2, 0}, rem = {0, 0};
  errno = 0;
  r = nanosleep(&req, &rem);
  int e = errno;
  printf("nanosleep(2 s) interrupted: %d %s, remaining in (1 s, 2 s]: %d\n", r, strerror(e), ns_of(rem) > 1000000000LL && ns_of(rem) <= 2000000000LL);
  setitimer(ITIMER_REAL, &in20, NULL);
  rem.tv_sec = rem.tv_nsec = 0;
  r = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem);
  printf("clock_nanosleep(2 s) interrupted returns EINTR: %d, remaining in (1 s, 2 s]: %d\n", r == EINTR, ns_of(rem) > 1000000000LL && ns_of(rem) <= 2000000000LL);
  /* SA_RESTART does not restart sleeps. */
  handle(SIGALRM, on_alrm, SA_RESTART);
  setitimer(ITIMER_REAL, &in20, NULL);
  TRY("nanosleep under SA_RESTART still fails", nanosleep(&req, NULL));

  printf("clock_nanosleep on THREAD_CPUTIME_ID: %d\n", clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &req, NULL) == EINVAL);
  printf("clock_nanosleep on clock 99: %d\n", clock_nanosleep(99, 0, &req, NULL) == EINVAL);
  req.tv_nsec = -1;
  printf("clock_nanosleep with tv_nsec -1: %d\n", clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL) == EINVAL);
}

/* A POSIX timer on another process's CPU clock: SIGUSR1 reaches the parent once its spinning
 * child has used 30 ms of CPU. */
static void section_other_cpu_clock(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, NULL);
  pid_t kid = fork();
  if (kid == 0) {
    for (;;) {}
  }
  clockid_t cc;
  printf("clock_getcpuclockid(child): %d\n", clock_getcpuclockid(kid, &cc));
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGUSR1;
  sev.sigev_value.sival_int = 77;
  timer_t tm;
  TRY("timer_create on the child's CPU clock", timer_create(cc, &sev, &tm));
  struct itimerspec its = {{0, 0}, {0, 30000000}};
  TRY("timer_settime", timer_settime(tm, 0, &its, NULL));
  struct timespec to = {20, 0};
  siginfo_t si;
  memset(&si, 0, sizeof si);
  int sig = sigtimedwait(&set, &si, &to);
  long long used = now_ns(cc);
  printf("got %s (code SI_TIMER %d, value %d) once the child had used 30 ms: %d\n", sig == SIGUSR1 ? "SIGUSR1" : "nothing", si.si_code == SI_TIMER,
         si.si_value.sival_int, used >= 30000000);
  kill(kid, SIGKILL);
  waitpid(kid, NULL, 0);
  TRY("timer_delete", timer_delete(tm));
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  /* The CPU clock of a pid that is no process: ((~pid) << 3) | CPUCLOCK_SCHED. */
  TRY("timer_create on a missing process's CPU clock", syscall(SYS_timer_create, (clockid_t)((~99999 << 3) | 2), &sev, &tm));
}

static void section_clocks(void) {
  static const clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW,
                                  CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME};
  for (unsigned i = 0; i < sizeof ids / sizeof ids[0]; i++) {
    struct timespec a, b, res;
    int ok = clock_gettime(ids[i], &a) == 0 && clock_gettime(ids[i], &b) == 0 && clock_getres(ids[i], &res) == 0;
    printf("clock %d: readable %d, not backwards %d, resolution in (0, 10 ms]: %d\n", (int)ids[i], ok, ns_of(b) >= ns_of(a),
           ns_of(res) > 0 && ns_of(res) <= 10000000);
  }
  struct timespec ts;
  TRY("clock_gettime(99)", clock_gettime(99, &ts));
  TRY("clock_getres(99)", clock_getres(99, &ts));
  TRY("clock_gettime to a bad pointer", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)16));
  struct timeval tv;
  gettimeofday(&tv, NULL);
  time_t t0 = time(NULL);
  /* time() reads the coarse clock (one tick behind at most), so at a second's edge it may still
     show the second before gettimeofday's. */
  printf("time and gettimeofday agree within 2 s: %d\n", (long)(t0 - tv.tv_sec) >= -1 && (long)(t0 - tv.tv_sec) <= 2);
  long long real = now_ns(CLOCK_REALTIME);
  printf("the wall clock is past 2020: %d\n", real > 1577836800LL * 1000000000LL);

  clockid_t pc, tc;
  printf("clock_getcpuclockid(self): %d\n", clock_getcpuclockid(getpid(), &pc));
  printf("pthread_getcpuclockid(self): %d\n", pthread_getcpuclockid(pthread_self(), &tc));
  spin_cpu_ms(10);
  printf("process and thread CPU clocks by id read >= 10 ms: %d %d\n", now_ns(pc) >= 10000000, now_ns(tc) >= 10000000);
}

static void section_usage(void) {
  struct rusage ru;
  struct tms tm;
  long hz = sysconf(_SC_CLK_TCK);
  spin_cpu_ms(60);
  getrusage(RUSAGE_SELF, &ru);
  long long self = ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec;
  printf("RUSAGE_SELF after 60 ms of CPU: >= 50 ms %d, maxrss > 0 %d\n", self >= 50000, ru.ru_maxrss > 0);
  getrusage(RUSAGE_THREAD, &ru);
  printf("RUSAGE_THREAD: >= 50 ms %d\n", ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec >= 50000);
  clock_t c0 = times(&tm);
  printf("times: clock ticks %ld, user+system >= 5 ticks %d\n", hz, tm.tms_utime + tm.tms_stime >= 5);
  pid_t c = fork();
  if (c == 0) {
    spin_cpu_ms(60);
    _exit(0);
  }
  waitpid(c, NULL, 0);
  getrusage(RUSAGE_CHILDREN, &ru);
  printf("RUSAGE_CHILDREN after a child's 60 ms: >= 30 ms %d\n", ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec >= 30000);
  clock_t c1 = times(&tm);
  printf("times after the child: elapsed not backwards %d\n", c1 >= c0);
  /* system time: what is spent in system calls */
  struct rusage before, after;
  getrusage(RUSAGE_SELF, &before);
  for (int i = 0; i < 300000; i++) syscall(SYS_getppid);
  getrusage(RUSAGE_SELF, &after);
  long long sys0 = before.ru_stime.tv_sec * 1000000LL + before.ru_stime.tv_usec, sys1 = after.ru_stime.tv_sec * 1000000LL + after.ru_stime.tv_usec;
  printf("300000 system calls add system time: %d\n", sys1 > sys0);
  struct tms tsys;
  times(&tsys);
  printf("times reports system time: %d\n", tsys.tms_stime > 0);
  TRY("getrusage(5)", getrusage(5, &ru));
}

static void section_settime(void) {
  /* Setting the clock needs the privilege; as root, drop it in a child first (natively the
   * host's clock must not be touched). */
  pid_t c = fork();
  if (c == 0) {
    if (geteuid() == 0 && setuid(65534) != 0) _exit(1);
    struct timespec ts = {1000000000, 0};
    TRY("clock_settime(REALTIME) unprivileged", clock_settime(CLOCK_REALTIME, &ts));
    TRY("clock_settime(MONOTONIC) unprivileged", clock_settime(CLOCK_MONOTONIC, &ts));
    struct timeval tv = {1000000000, 0};
    TRY("settimeofday unprivileged", settimeofday(&tv, NULL));
    ts.tv_nsec = 2000000000;
    TRY("clock_settime with a bad timespec", clock_settime(CLOCK_REALTIME, &ts));
    fflush(stdout);
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  printf("child status %d\n", WEXITSTATUS(st));
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  section_clocks();
  section_other_cpu_clock();
  section_alarm();
  section_itimers();
  section_posix_timers();
  section_thread_timers();
  section_sleeps();
  section_usage();
  section_settime();
  return 0;
}
