/* env [-i] [-u NAME] [NAME=VALUE]... [COMMAND [ARG...]]: runs COMMAND (found on PATH) with the
 * environment changed as asked, or prints the resulting environment. Status 127 if COMMAND is
 * not found, 126 if it cannot be run. */
#include "libc.h"

int main(int argc, char **argv) {
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (strcmp(argv[i], "-i") == 0 || strcmp(argv[i], "-") == 0) {
      static char *empty[] = { NULL };
      environ = empty;
    } else if (strcmp(argv[i], "-u") == 0 && i + 1 < argc) {
      unsetenv(argv[++i]);
    } else if (strcmp(argv[i], "--") == 0) {
      i++;
      break;
    } else {
      errx(125, "invalid option '%s'", argv[i]);
    }
  }
  for (; i < argc && strchr(argv[i], '='); i++) {
    char *eq = strchr(argv[i], '=');
    *eq = 0;
    if (setenv(argv[i], eq + 1, 1) < 0) err(125, "cannot set '%s'", argv[i]);
  }
  if (i == argc) {
    for (char **e = environ; *e; e++) puts(*e);
    return 0;
  }
  execvp(argv[i], argv + i);
  int e = errno;
  warn("'%s'", argv[i]);
  return e == ENOENT ? 127 : 126;
}
