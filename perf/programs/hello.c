/* A static hello-world: what every short process of a shell script pays before doing anything
 * (perf/startup.mjs times it natively, under qemu-i386 and under exojit). */
#include <stdio.h>

int main(void) {
  puts("hello, world");
  return 0;
}
