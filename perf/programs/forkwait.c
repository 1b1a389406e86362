/* fork + _exit + waitpid, N times: what every shell command costs before its exec. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  long ok = 0;
  for (int i = 0; i < n; i++) {
    pid_t p = fork();
    if (p == 0) _exit(i & 0x7f);
    int st;
    if (waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == (i & 0x7f)) ok++;
  }
  printf("%ld\n", ok);
  return 0;
}
