/* Memory a program gets starts zeroed however dirty the last program's was: anonymous
 * mappings and the heap are checked for zeros, then filled (with the stack) with a pattern before
 * exit (tests/api/program.test.ts runs it several times in one thread, where guest RAM and TLBs
 * are recycled from one run to the next). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int all_zero(const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != 0) return 0;
  return 1;
}

int main(void) {
  size_t n = 2 << 20;
  unsigned char *m = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return 1;
  unsigned char *h = sbrk(1 << 20);
  if (h == (void *)-1) return 1;
  unsigned char stack[64 << 10];
  volatile unsigned char *s = stack;
  printf("mmap zero %d, heap zero %d\n", all_zero(m, n), all_zero(h, 1 << 20));
  memset(m, 0xa5, n);
  memset(h, 0x5a, 1 << 20);
  memset((void *)stack, 0x77, sizeof stack);
  printf("filled %d\n", m[n - 1] == 0xa5 && h[0] == 0x5a && s[100] == 0x77);
  return 0;
}
