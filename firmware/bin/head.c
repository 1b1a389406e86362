/* head [-n N] [-c N] [-N] [FILE...]: the first N lines (default 10) or bytes of each file, with
 * "==> FILE <==" headers when there are several. */
#include "libc.h"

static long count = 10;
static int bytes;

static int head(int fd) {
  char buf[4096];
  long left = count;
  while (left > 0) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) return -1;
    if (n == 0) break;
    ssize_t take = 0;
    if (bytes) take = n < left ? n : left, left -= take;
    else
      while (take < n && left > 0)
        if (buf[take++] == '\n') left--;
    fwrite(buf, 1, take, stdout);
  }
  return 0;
}

static long number(const char *s) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == 0 || *end || v < 0) errx(1, "invalid number of %s: '%s'", bytes ? "bytes" : "lines", s);
  return v;
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
      count = number(a + 1);
    } else if (a[1] == 'n' || a[1] == 'c') {
      bytes = a[1] == 'c';
      const char *v = a[2] ? a + 2 : i + 1 < argc ? argv[++i] : NULL;
      if (!v) errx(1, "option requires an argument -- '%c'", a[1]);
      count = number(v);
    } else {
      errx(1, "invalid option -- '%c'", a[1]);
    }
  }
  if (i == argc) return head(0) < 0;
  for (int k = i; k < argc; k++) {
    int fd = strcmp(argv[k], "-") == 0 ? 0 : open(argv[k], O_RDONLY);
    if (fd < 0) {
      warn("cannot open '%s' for reading", argv[k]);
      status = 1;
      continue;
    }
    if (argc - i > 1) printf("%s==> %s <==\n", k > i ? "\n" : "", argv[k]);
    if (head(fd) < 0) warn("error reading '%s'", argv[k]), status = 1;
    if (fd > 0) close(fd);
  }
  return status;
}
