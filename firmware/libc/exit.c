/* Program start and exit: __libc_start (called from start.S) sets up environ and calls main;
 * exit runs the atexit functions in reverse order, flushes every stream and ends the process. */
#include "libc.h"

int main(int argc, char **argv, char **envp);

#define ATEXIT_MAX 32
static void (*handlers[ATEXIT_MAX])(void);
static int nhandlers;

int atexit(void (*fn)(void)) {
  if (nhandlers == ATEXIT_MAX) return -1;
  handlers[nhandlers++] = fn;
  return 0;
}

void exit(int status) {
  while (nhandlers > 0) handlers[--nhandlers]();
  fflush(NULL);
  _exit(status);
}

void __libc_start(int argc, char **argv, char **envp) {
  environ = envp;
  if (argc > 0) {
    const char *slash = strrchr(argv[0], '/');
    __progname = slash ? slash + 1 : argv[0];
  }
  exit(main(argc, argv, envp));
}
