/* date [-u] [-d @SECONDS] [-r FILE] [+FORMAT]: prints the time (now, the given seconds since
 * the epoch, or FILE's modification time) in UTC (the image has no time zones; -u is accepted
 * for compatibility). FORMAT takes %a %A %b %B %c %d %D %e %F %H %I %j %m %M %n %p %s %S %t
 * %T %u %w %y %Y %Z %%; the default is "%a %b %e %H:%M:%S %Z %Y". */
#include "libc.h"

static void put(const char *fmt, const struct tm *tm, time_t t);

static void conv(char c, const struct tm *tm, time_t t) {
  switch (c) {
    case 'a': printf("%.3s", __day_names[tm->tm_wday]); break;
    case 'A': fputs(__day_names[tm->tm_wday], stdout); break;
    case 'b': case 'h': printf("%.3s", __month_names[tm->tm_mon]); break;
    case 'B': fputs(__month_names[tm->tm_mon], stdout); break;
    case 'c': put("%a %b %e %H:%M:%S %Y", tm, t); break;
    case 'd': printf("%02d", tm->tm_mday); break;
    case 'D': put("%m/%d/%y", tm, t); break;
    case 'e': printf("%2d", tm->tm_mday); break;
    case 'F': put("%Y-%m-%d", tm, t); break;
    case 'H': printf("%02d", tm->tm_hour); break;
    case 'I': printf("%02d", (tm->tm_hour + 11) % 12 + 1); break;
    case 'j': printf("%03d", tm->tm_yday + 1); break;
    case 'm': printf("%02d", tm->tm_mon + 1); break;
    case 'M': printf("%02d", tm->tm_min); break;
    case 'n': putchar('\n'); break;
    case 'p': fputs(tm->tm_hour < 12 ? "AM" : "PM", stdout); break;
    case 's': printf("%ld", (long)t); break;
    case 'S': printf("%02d", tm->tm_sec); break;
    case 't': putchar('\t'); break;
    case 'T': put("%H:%M:%S", tm, t); break;
    case 'u': printf("%d", tm->tm_wday ? tm->tm_wday : 7); break;
    case 'w': printf("%d", tm->tm_wday); break;
    case 'y': printf("%02d", tm->tm_year % 100); break;
    case 'Y': printf("%d", tm->tm_year + 1900); break;
    case 'Z': fputs("UTC", stdout); break;
    case '%': putchar('%'); break;
    default: putchar('%'); putchar(c);
  }
}

static void put(const char *fmt, const struct tm *tm, time_t t) {
  for (; *fmt; fmt++) {
    if (*fmt != '%' || !fmt[1]) putchar(*fmt);
    else conv(*++fmt, tm, t);
  }
}

int main(int argc, char **argv) {
  time_t t = time(NULL);
  const char *fmt = "%a %b %e %H:%M:%S %Z %Y";
  int c;
  while ((c = getopt(argc, argv, "ud:r:")) != -1) {
    if (c == 'u') continue;
    if (c == 'd') {
      char *end;
      if (optarg[0] != '@' || (t = strtol(optarg + 1, &end, 10), *end) || !optarg[1]) errx(1, "invalid date '%s'", optarg);
    } else if (c == 'r') {
      struct stat st;
      if (stat(optarg, &st) < 0) err(1, "%s", optarg);
      t = st.st_mtime;
    } else {
      return 1;
    }
  }
  if (optind < argc) {
    if (argv[optind][0] != '+' || optind + 1 < argc) errx(1, "invalid date '%s'", argv[optind]);
    fmt = argv[optind] + 1;
  }
  struct tm tm;
  gmtime_r(&t, &tm);
  put(fmt, &tm, t);
  putchar('\n');
  return 0;
}
