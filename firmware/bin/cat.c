/* cat [FILE...]: copies the files (or stdin, also for "-") to stdout. */
#include "libc.h"

static int copy(int fd, const char *name) {
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return warn("%s", name), 1;
    if (n == 0) return 0;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write(1, buf + done, n - done);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) err(1, "write error");
      done += w;
    }
  }
}

int main(int argc, char **argv) {
  int status = 0;
  if (argc < 2) return copy(0, "-");
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-") == 0) {
      status |= copy(0, "-");
      continue;
    }
    int fd = open(argv[i], O_RDONLY);
    if (fd < 0) {
      warn("%s", argv[i]);
      status = 1;
      continue;
    }
    status |= copy(fd, argv[i]);
    close(fd);
  }
  return status;
}
