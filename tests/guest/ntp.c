/* The wall clock's NTP discipline through adjtimex, clock_adjtime and adjtime: the state a fresh
 * system reports, root's changes read back, a frequency correction and a slew moving the wall
 * clock against the monotonic one, a step by ADJ_SETOFFSET, and the errors (EINVAL, EPERM,
 * EFAULT, EOPNOTSUPP). Run as root under exojit only: natively it would discipline the host. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>
#include "guest.h"

static long long ns_of(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The wall clock minus the monotonic one (ns): the largest of a few readings, each read wall
 * first, so a reading delayed between the two is smaller, never larger. */
static long long wall_ahead(void) {
  long long best = -(1LL << 62);
  for (int k = 0; k < 20; k++) {
    long long w = ns_of(CLOCK_REALTIME), m = ns_of(CLOCK_MONOTONIC);
    if (w - m > best) best = w - m;
  }
  return best;
}

static void show(const char *label, int r, const struct timex *t) {
  printf("%s: %d status %#x offset %ld freq %ld maxerror %ld esterror %ld constant %ld precision %ld tolerance %ld tick %ld tai %d\n", label, r,
         t->status, t->offset, t->freq, t->maxerror, t->esterror, t->constant, t->precision, t->tolerance, t->tick, t->tai);
}

/* How far the wall clock moved against the monotonic one over `ms` milliseconds (us). */
static long drift_us(int ms) {
  long long before = wall_ahead();
  usleep(ms * 1000);
  return (long)((wall_ahead() - before) / 1000);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  struct timex t;
  memset(&t, 0, sizeof t);
  show("fresh", adjtimex(&t), &t);

  /* The same through the 32-bit call (glibc's adjtimex uses clock_adjtime64). */
  memset(&t, 0, sizeof t);
  show("adjtimex (32-bit)", (int)syscall(SYS_adjtimex, &t), &t);

  memset(&t, 0, sizeof t);
  t.modes = ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR | ADJ_TIMECONST | ADJ_TAI;
  t.status = STA_PLL;
  t.maxerror = 1000;
  t.esterror = 50;
  t.constant = 3;
  show("synchronised", adjtimex(&t), &t);
  memset(&t, 0, sizeof t);
  t.modes = ADJ_TAI;
  t.constant = 37;
  show("tai 37", adjtimex(&t), &t);
  memset(&t, 0, sizeof t);
  t.modes = ADJ_STATUS;
  t.status = STA_PLL | STA_INS;
  show("leap second announced", adjtimex(&t), &t);
  t.modes = ADJ_STATUS;
  t.status = STA_PLL;
  adjtimex(&t);

  /* A frequency correction of +500 ppm (the most): 100 us more per 200 ms. */
  memset(&t, 0, sizeof t);
  t.modes = ADJ_FREQUENCY;
  t.freq = 500 << 16;
  show("freq +500 ppm", adjtimex(&t), &t);
  long d = drift_us(200);
  printf("wall clock ahead by 100 us over 200 ms: %s\n", d >= 60 && d <= 140 ? "yes" : "no");
  t.modes = ADJ_FREQUENCY;
  t.freq = 600 << 16;
  show("freq +600 ppm (clamped)", adjtimex(&t), &t);
  t.modes = ADJ_FREQUENCY;
  t.freq = 0;
  adjtimex(&t);
  /* The tick: 10,010 us a tick is 1000 ppm fast. */
  t.modes = ADJ_TICK;
  t.tick = 10010;
  adjtimex(&t);
  d = drift_us(100);
  printf("tick 10010: ahead by 100 us over 100 ms: %s\n", d >= 60 && d <= 140 ? "yes" : "no");
  t.modes = ADJ_TICK;
  t.tick = 10000;
  adjtimex(&t);
  d = drift_us(100);
  printf("tick 10000: no drift: %s\n", d >= -30 && d <= 30 ? "yes" : "no");

  /* A phase offset of 1 ms under the loop (STA_PLL): it decays into the clock, 1/2^(2+7) of
   * what is left each second at time constant 7. */
  memset(&t, 0, sizeof t);
  t.modes = ADJ_OFFSET;
  t.offset = 1000;
  adjtimex(&t);
  printf("phase offset of 1000 us taken: %s\n", t.offset > 990 && t.offset <= 1000 ? "yes" : "no");
  usleep(100000);
  memset(&t, 0, sizeof t);
  adjtimex(&t);
  printf("after 100 ms, about 999.8 us left: %s\n", t.offset > 990 && t.offset < 1000 ? "yes" : "no");

  /* adjtime(3): half a second slewed in at 500 us per second. */
  struct timeval delta = { 0, 500000 }, old;
  TRY("adjtime +0.5 s", adjtime(&delta, &old));
  printf("nothing left before: %ld.%06ld\n", (long)old.tv_sec, (long)old.tv_usec);
  usleep(200000);
  TRY("adjtime read", adjtime(NULL, &old));
  long left = old.tv_sec * 1000000 + old.tv_usec;
  printf("left after 200 ms: about 499900 us: %s\n", left >= 499850 && left <= 499950 ? "yes" : "no");
  delta.tv_usec = 0;
  TRY("adjtime cancelled", adjtime(&delta, NULL));
  TRY("adjtime read", adjtime(NULL, &old));
  printf("left: %ld.%06ld\n", (long)old.tv_sec, (long)old.tv_usec);

  /* ADJ_SETOFFSET steps the wall clock. */
  long long before = ns_of(CLOCK_REALTIME);
  memset(&t, 0, sizeof t);
  t.modes = ADJ_SETOFFSET | ADJ_NANO;
  t.time.tv_sec = 10;
  t.time.tv_usec = 500000000;
  TRY("ADJ_SETOFFSET +10.5 s", adjtimex(&t) >= 0 ? 0 : -1);
  long long step = ns_of(CLOCK_REALTIME) - before;
  printf("stepped 10.5 s: %s\n", step >= 10500000000LL && step < 10600000000LL ? "yes" : "no");
  memset(&t, 0, sizeof t);
  int r = adjtimex(&t);
  printf("nanoseconds now: status has STA_NANO: %s, time's fraction below 1e9: %s\n", t.status & STA_NANO ? "yes" : "no", r >= 0 && t.time.tv_usec < 1000000000 ? "yes" : "no");
  t.modes = ADJ_SETOFFSET | ADJ_NANO;
  t.time.tv_sec = 0;
  t.time.tv_usec = 1000000000;
  TRY("ADJ_SETOFFSET with 1e9 ns", adjtimex(&t));
  t.modes = ADJ_MICRO;
  adjtimex(&t);

  memset(&t, 0, sizeof t);
  t.modes = ADJ_TICK;
  t.tick = 8999;
  TRY("tick 8999", adjtimex(&t));
  t.tick = 11001;
  TRY("tick 11001", adjtimex(&t));
  t.modes = 0x8000;
  t.tai = 0;
  TRY("ADJ_ADJTIME without ADJ_OFFSET", adjtimex(&t));
  printf("nothing written back: %s\n", t.tai == 0 ? "yes" : "no");
  TRY("bad pointer", syscall(SYS_adjtimex, (void *)16));
  TRY("clock_adjtime(CLOCK_MONOTONIC)", clock_adjtime(CLOCK_MONOTONIC, &t));
  TRY("clock_adjtime(100)", clock_adjtime(100, &t));

  if (seteuid(65534) != 0) perror("seteuid");
  memset(&t, 0, sizeof t);
  TRY("unprivileged read", adjtimex(&t));
  t.modes = ADJ_FREQUENCY;
  TRY("unprivileged write", adjtimex(&t));
  TRY("unprivileged adjtime read", adjtime(NULL, &old));
  TRY("unprivileged adjtime", adjtime(&delta, NULL));
  return 0;
}
