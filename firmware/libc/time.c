/* Time: the clock, calendar fields (UTC only: the image has no time zone database), sleeping. */
#include "libc.h"

#define NR_nanosleep 162
#define NR_clock_gettime 265

int clock_gettime(int clock, struct timespec *ts) { return __sysret(__syscall(NR_clock_gettime, clock, (long)ts, 0, 0, 0, 0)); }

time_t time(time_t *t) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  if (t) *t = ts.tv_sec;
  return ts.tv_sec;
}

int nanosleep(const struct timespec *req, struct timespec *rem) {
  return __sysret(__syscall(NR_nanosleep, (long)req, (long)rem, 0, 0, 0, 0));
}

unsigned sleep(unsigned secs) {
  struct timespec ts = { (long)secs, 0 };
  return nanosleep(&ts, &ts) < 0 ? (unsigned)ts.tv_sec : 0;
}

const char *const __day_names[7] = { "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday" };
const char *const __month_names[12] = {
  "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December",
};

static int leap(long y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* Days since the epoch → civil date, one year and one month at a time (clear, fast enough). */
struct tm *gmtime_r(const time_t *t, struct tm *tm) {
  long long s = *t;
  long long days = s / 86400;
  long rem = (long)(s % 86400);
  if (rem < 0) rem += 86400, days--;
  tm->tm_hour = rem / 3600;
  tm->tm_min = rem % 3600 / 60;
  tm->tm_sec = rem % 60;
  tm->tm_wday = (int)(((days + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
  long y = 1970;
  for (;;) {
    int len = leap(y) ? 366 : 365;
    if (days < 0) days += leap(--y) ? 366 : 365;
    else if (days >= len) days -= len, y++;
    else break;
  }
  tm->tm_year = (int)(y - 1900);
  tm->tm_yday = (int)days;
  static const unsigned char mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  int m = 0;
  for (;; m++) {
    int len = mdays[m] + (m == 1 && leap(y));
    if (days < len) break;
    days -= len;
  }
  tm->tm_mon = m;
  tm->tm_mday = (int)days + 1;
  tm->tm_isdst = 0;
  return tm;
}
