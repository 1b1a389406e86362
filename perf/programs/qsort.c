/* qsort with a comparator: calls through a function pointer from libc into the program. */
#include <stdio.h>
#include <stdlib.h>
static int cmp(const void *a, const void *b) { int x = *(const int *)a, y = *(const int *)b; return (x > y) - (x < y); }
int main(int argc, char **argv) {
  int reps = argc > 1 ? atoi(argv[1]) : 5, n = 100000;
  int *a = malloc(n * sizeof *a);
  unsigned s = 1, sum = 0;
  for (int r = 0; r < reps; r++) {
    for (int i = 0; i < n; i++) { s = s * 1664525u + 1013904223u; a[i] = (int)(s >> 1); }
    qsort(a, n, sizeof *a, cmp);
    for (int i = 0; i < n; i += 1000) sum += (unsigned)a[i];
  }
  printf("%u\n", sum);
  free(a);
  return 0;
}
