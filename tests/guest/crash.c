/* Programs killed by the CPU: a store through a null pointer (SIGSEGV, status 139), ud2
 * (SIGILL, 132), integer division by zero and INT_MIN / -1 (SIGFPE, 136). Output printed before
 * the crash is flushed first, so it must appear in both runs; nothing after it may.
 * A call to an unmapped address is SIGSEGV too.
 * Usage: crash MODE, MODE one of null ud2 div0 divover jump */
#include <limits.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  const char *m = argc > 1 ? argv[1] : "";
  volatile int zero = 0, minus1 = -1, min = INT_MIN;
  printf("about to crash: %s\n", m);
  fflush(stdout);
  if (strcmp(m, "null") == 0) *(volatile int *)(size_t)zero = 1;
  else if (strcmp(m, "ud2") == 0) __asm__ volatile("ud2");
  else if (strcmp(m, "div0") == 0) printf("%d\n", 10 / zero);
  else if (strcmp(m, "divover") == 0) printf("%d\n", min / minus1);
  else if (strcmp(m, "jump") == 0) ((void (*)(void))(size_t)(0x10 + zero))();
  printf("still alive\n");
  return 0;
}
