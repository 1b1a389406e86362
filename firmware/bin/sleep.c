/* sleep NUMBER[smhd]...: pauses for the sum of the times given; NUMBER may have a fraction
 * (0.25, 1.5m). */
#include "libc.h"

/* Parses "1.5m" into nanoseconds; -1 if it is not a duration. */
static long long duration(const char *s) {
  long long whole = 0, frac = 0, scale = 1000000000;
  const char *p = s;
  if (!isdigit(*p) && *p != '.') return -1;
  while (isdigit(*p)) whole = whole * 10 + (*p++ - '0');
  if (*p == '.') {
    for (p++; isdigit(*p); p++) {
      if (scale > 1) scale /= 10, frac += (*p - '0') * scale;
    }
  }
  long long unit = 1;
  switch (*p) {
    case 0: break;
    case 's': p++; break;
    case 'm': unit = 60, p++; break;
    case 'h': unit = 3600, p++; break;
    case 'd': unit = 86400, p++; break;
    default: return -1;
  }
  if (*p || p == s || (p == s + 1 && *s == '.')) return -1;
  return (whole * 1000000000 + frac) * unit;
}

int main(int argc, char **argv) {
  if (argc < 2) errx(1, "missing operand");
  long long ns = 0;
  for (int i = 1; i < argc; i++) {
    long long d = duration(argv[i]);
    if (d < 0) errx(1, "invalid time interval '%s'", argv[i]);
    ns += d;
  }
  struct timespec ts = { (long)(ns / 1000000000), (long)(ns % 1000000000) };
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
  return 0;
}
