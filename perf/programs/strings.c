/* String-heavy code: strlen, memcpy, strcmp, strchr and snprintf on many short strings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
  int reps = argc > 1 ? atoi(argv[1]) : 20000;
  char a[128], b[128], out[256];
  unsigned long h = 0;
  for (int r = 0; r < reps; r++) {
    int n = snprintf(a, sizeof a, "item-%d-%x-%s", r, r * 7919, r & 1 ? "odd" : "even");
    memcpy(b, a, (size_t)n + 1);
    b[n / 2] ^= 1;
    h += strlen(a) + (unsigned)(strcmp(a, b) > 0) + (unsigned)(strchr(a, 'd') != NULL);
    snprintf(out, sizeof out, "%s|%s|%lu", a, b, h);
    h = h * 33 + strlen(out);
  }
  printf("%lu\n", h);
  return 0;
}
