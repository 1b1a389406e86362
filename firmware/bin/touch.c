/* touch [-c] FILE...: sets the files' access and modification times to now, creating empty
 * files that do not exist (not with -c). */
#include "libc.h"

int main(int argc, char **argv) {
  int c, status = 0, create = 1;
  while ((c = getopt(argc, argv, "c")) != -1) {
    if (c == 'c') create = 0;
    else return 1;
  }
  if (optind == argc) errx(1, "missing file operand");
  for (int i = optind; i < argc; i++) {
    if (utimensat(AT_FDCWD, argv[i], NULL, 0) == 0) continue;
    if (errno == ENOENT && !create) continue;
    int fd = errno == ENOENT ? open(argv[i], O_WRONLY | O_CREAT | O_NOCTTY, 0666) : -1;
    if (fd < 0) {
      warn("cannot touch '%s'", argv[i]);
      status = 1;
      continue;
    }
    close(fd);
  }
  return status;
}
