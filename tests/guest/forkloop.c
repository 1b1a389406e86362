/* Forks and reaps N children one after another (argv[1]), each exiting with its index mod 256;
 * prints how many it reaped with the right status. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 10, ok = 0;
  for (int i = 0; i < n; i++) {
    pid_t p = fork();
    if (p == 0) _exit(i & 255);
    int st;
    if (waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == (i & 255)) ok++;
  }
  printf("%d of %d reaped\n", ok, n);
  return 0;
}
