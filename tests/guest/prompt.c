/* A conversation over standard streams: writes a prompt (flushed, so it leaves while the program
 * runs), waits for a line of input, answers it, and so on until end of input; then reports on
 * stderr how many lines it got and exits with that number. With an argument N it first writes N
 * bytes of "y" and a newline (more than a reader that does not read can hold). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  char line[256];
  unsigned n = 0;
  if (argc > 1) {
    for (long i = atol(argv[1]); i > 0; i--) putchar('y');
    putchar('\n');
  }
  for (;;) {
    printf("ready %u\n", n);
    fflush(stdout);
    if (fgets(line, sizeof line, stdin) == NULL) break;
    line[strcspn(line, "\n")] = 0;
    printf("got %s\n", line);
    n++;
  }
  fprintf(stderr, "%u lines\n", n);
  return n;
}
