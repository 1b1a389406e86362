/* Setting the clock as root, run only under exojit (natively it would set the host's clock):
 * the guest system's wall clock moves, monotonic time does not, an absolute realtime sleep and
 * an absolute realtime timer follow the change, and settimeofday's time zone is kept. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static long long ns(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static const long long Y2001 = 978307200LL * 1000000000LL;
static const long long HOUR = 3600LL * 1000000000LL;
static volatile int woke;

static void *sleeper(void *arg) {
  (void)arg;
  struct timespec until = {(Y2001 + HOUR) / 1000000000LL, 0};
  int r = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &until, NULL);
  woke = 1;
  printf("absolute sleep to 01:00 ended when the clock was set to 02:00: %d\n", r);
  return NULL;
}

static volatile int fired;
static void on_usr1(int s) { (void)s; fired++; }

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  long long mono0 = ns(CLOCK_MONOTONIC);
  struct timespec y = {Y2001 / 1000000000LL, 0};
  printf("clock_settime as root: %d\n", clock_settime(CLOCK_REALTIME, &y));
  long long now = ns(CLOCK_REALTIME);
  printf("the clock reads 2001-01-01 within a second: %d\n", now >= Y2001 && now < Y2001 + 1000000000LL);
  printf("time() agrees: %d\n", time(NULL) / 60 == Y2001 / 1000000000LL / 60);
  printf("monotonic time did not jump: %d\n", ns(CLOCK_MONOTONIC) - mono0 < 5000000000LL);

  pthread_t th;
  pthread_create(&th, NULL, sleeper, NULL);
  signal(SIGUSR1, on_usr1);
  timer_t t;
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGUSR1;
  timer_create(CLOCK_REALTIME, &ev, &t);
  struct itimerspec at = {{0, 0}, {(Y2001 + HOUR) / 1000000000LL, 0}};
  timer_settime(t, TIMER_ABSTIME, &at, NULL);
  struct timespec nap = {0, 50000000};
  nanosleep(&nap, NULL);
  printf("before the change: sleeper awake %d, timer fired %d\n", woke, fired);
  struct timeval two = {(Y2001 + 2 * HOUR) / 1000000000LL, 0};
  struct timezone tz = {-60, 0};
  printf("settimeofday to 02:00: %d\n", settimeofday(&two, NULL));
  printf("settimeofday with a zone only: %d\n", settimeofday(NULL, &tz));
  pthread_join(th, NULL);
  while (!fired) nanosleep(&nap, NULL);
  printf("the absolute timer fired: %d\n", fired);
  struct timezone back;
  struct timeval tv;
  syscall(SYS_gettimeofday, &tv, &back); /* glibc's own gettimeofday reports no zone */
  printf("gettimeofday's zone: %d minutes west\n", back.tz_minuteswest);
  return 0;
}
