/* A system-call-bound loop: getpid through the raw system call (no caching in libc). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 200000;
  long s = 0;
  for (int i = 0; i < n; i++) s += syscall(SYS_getpid) > 0;
  printf("%ld\n", s);
  return 0;
}
