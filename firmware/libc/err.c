/* BSD-style diagnostics: "prog: message: strerror(errno)" on stderr (warn, err) or without the
 * errno part (warnx, errx); err and errx then exit. prog is argv[0] without its directory. */
#include "libc.h"

const char *__progname = "";

static void report(int with_errno, const char *fmt, va_list ap) {
  int e = errno;
  fprintf(stderr, "%s: ", __progname);
  if (fmt) vfprintf(stderr, fmt, ap);
  if (with_errno) fprintf(stderr, fmt ? ": %s\n" : "%s\n", strerror(e));
  else fputc('\n', stderr);
}

void warn(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  report(1, fmt, ap);
  va_end(ap);
}

void warnx(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  report(0, fmt, ap);
  va_end(ap);
}

void err(int status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  report(1, fmt, ap);
  va_end(ap);
  exit(status);
}

void errx(int status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  report(0, fmt, ap);
  va_end(ap);
  exit(status);
}
