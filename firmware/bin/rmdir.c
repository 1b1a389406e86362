/* rmdir [-p] DIR...: removes empty directories; -p also removes each parent named in DIR. */
#include "libc.h"

int main(int argc, char **argv) {
  int parents = 0, status = 0, c;
  while ((c = getopt(argc, argv, "p")) != -1) {
    if (c == 'p') parents = 1;
    else return 1;
  }
  if (optind == argc) errx(1, "missing operand");
  for (int i = optind; i < argc; i++) {
    char *path = argv[i];
    for (;;) {
      if (rmdir(path) < 0) {
        warn("failed to remove '%s'", path);
        status = 1;
        break;
      }
      char *slash;
      if (!parents || (slash = strrchr(path, '/')) == NULL) break;
      while (slash > path && slash[-1] == '/') slash--;
      if (slash == path) break;
      *slash = 0;
    }
  }
  return status;
}
