/* Ways a program ends with a status: exit(n) for several n (256 wraps to 0), return from main,
 * and _exit, which skips stdio's flush (stdout is a pipe, so fully buffered, in both runs).
 * Usage: exit_codes MODE, MODE one of exit0 exit1 exit42 exit255 exit256 ret7 _exit atexit */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void bye(void) { printf("atexit handler ran\n"); }

int main(int argc, char **argv) {
  const char *m = argc > 1 ? argv[1] : "";
  printf("mode %s\n", m);
  if (strcmp(m, "exit0") == 0) exit(0);
  if (strcmp(m, "exit1") == 0) exit(1);
  if (strcmp(m, "exit42") == 0) exit(42);
  if (strcmp(m, "exit255") == 0) exit(255);
  if (strcmp(m, "exit256") == 0) exit(256);
  if (strcmp(m, "ret7") == 0) return 7;
  if (strcmp(m, "_exit") == 0) _exit(3); /* "mode _exit" stays in the stdio buffer */
  if (strcmp(m, "atexit") == 0) {
    atexit(bye);
    fprintf(stderr, "to stderr\n");
    return 5;
  }
  fprintf(stderr, "unknown mode\n");
  return 2;
}
