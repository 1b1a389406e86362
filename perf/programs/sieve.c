/* Byte sieve of Eratosthenes: a tight store loop (the loop DESIGN.md measures). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static unsigned char flags[1 << 17];
int main(int argc, char **argv) {
  int reps = argc > 1 ? atoi(argv[1]) : 100, count = 0;
  for (int r = 0; r < reps; r++) {
    count = 0;
    memset(flags, 1, sizeof flags);
    for (int i = 2; i < (int)sizeof flags; i++)
      if (flags[i]) { for (int k = i + i; k < (int)sizeof flags; k += i) flags[k] = 0; count++; }
  }
  printf("%d primes\n", count);
  return 0;
}
