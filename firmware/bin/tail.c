/* tail [-n [+]N] [-c [+]N] [-N] [FILE...]: the last N lines (default 10) or bytes of each
 * file, or everything from line/byte N on with +N; "==> FILE <==" headers for several files.
 * Reads each file whole into memory. */
#include "libc.h"

static long count = 10;
static int bytes, from_start;

static char *slurp(int fd, size_t *len) {
  size_t cap = 8192, n = 0;
  char *buf = xmalloc(cap);
  for (;;) {
    if (n == cap && (buf = realloc(buf, cap *= 2)) == NULL) err(1, "out of memory");
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0) {
      free(buf);
      return NULL;
    }
    if (r == 0) break;
    n += r;
  }
  *len = n;
  return buf;
}

static int tail(int fd) {
  size_t len, start;
  char *buf = slurp(fd, &len);
  if (!buf) return -1;
  if (bytes) {
    if (from_start) start = count > 0 ? (size_t)count - 1 : 0;
    else start = (size_t)count < len ? len - count : 0;
    if (start > len) start = len;
  } else if (from_start) {
    long line = 1;
    for (start = 0; start < len && line < count; start++)
      if (buf[start] == '\n') line++;
  } else {
    /* Walk back over count newlines; a last line without one still counts as a line. */
    long seen = 0;
    start = len;
    if (start > 0 && buf[start - 1] == '\n') start--;
    while (start > 0) {
      if (buf[start - 1] == '\n' && ++seen == count) break;
      start--;
    }
    if (count == 0) start = len;
  }
  fwrite(buf + start, 1, len - start, stdout);
  free(buf);
  return 0;
}

static void number(const char *s) {
  from_start = *s == '+';
  if (*s == '+' || *s == '-') s++;
  char *end;
  count = strtol(s, &end, 10);
  if (*s == 0 || *end || count < 0) errx(1, "invalid number of %s: '%s'", bytes ? "bytes" : "lines", s);
}

int main(int argc, char **argv) {
  int status = 0, i = 1;
  for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
    char *a = argv[i];
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if (isdigit(a[1])) {
      number(a + 1);
    } else if (a[1] == 'n' || a[1] == 'c') {
      bytes = a[1] == 'c';
      const char *v = a[2] ? a + 2 : i + 1 < argc ? argv[++i] : NULL;
      if (!v) errx(1, "option requires an argument -- '%c'", a[1]);
      number(v);
    } else {
      errx(1, "invalid option -- '%c'", a[1]);
    }
  }
  if (i == argc) return tail(0) < 0;
  for (int k = i; k < argc; k++) {
    int fd = strcmp(argv[k], "-") == 0 ? 0 : open(argv[k], O_RDONLY);
    if (fd < 0) {
      warn("cannot open '%s' for reading", argv[k]);
      status = 1;
      continue;
    }
    if (argc - i > 1) printf("%s==> %s <==\n", k > i ? "\n" : "", argv[k]);
    fflush(stdout);
    if (tail(fd) < 0) warn("error reading '%s'", argv[k]), status = 1;
    if (fd > 0) close(fd);
  }
  return status;
}
