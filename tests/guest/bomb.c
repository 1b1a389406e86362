/* Guests that try to exhaust exojit (tests/limits.test.ts runs them under exojit only: natively
 * they would exhaust the host):
 *   bomb   a child process group forks without end; its members see fork fail with EAGAIN at
 *          the task cap, while the parent stays responsive, kills the group and reports
 *   oom    a child allocates and touches memory until there is none: it is killed (SIGKILL),
 *          and the parent, still running, reports how the child ended
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void nap(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  const char *mode = argc > 1 ? argv[1] : "";
  if (strcmp(mode, "bomb") == 0) {
    int report[2];
    pipe2(report, O_NONBLOCK);
    pid_t g = fork();
    if (g == 0) {
      setpgid(0, 0);
      int told = 0;
      for (;;) {
        pid_t p = fork();
        if (p < 0 && errno == EAGAIN && !told) {
          write(report[1], "E", 1);
          told = 1;
        }
        if (p < 0) nap(5);
      }
    }
    setpgid(g, g);
    close(report[1]);
    char c = 0;
    int waited = 0;
    while (read(report[0], &c, 1) != 1 && waited < 60000) {
      nap(50);
      waited += 50;
    }
    printf("the bomb saw fork fail with EAGAIN: %d\n", c == 'E');
    kill(-g, SIGKILL);
    int st;
    waitpid(g, &st, 0);
    printf("bomb leader killed: %d\n", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    pid_t p = fork();
    if (p == 0) _exit(7);
    waitpid(p, &st, 0);
    printf("fork works again afterwards: status %d\n", WEXITSTATUS(st));
    return 0;
  }
  if (strcmp(mode, "oom") == 0) {
    pid_t p = fork();
    if (p == 0) {
      for (long mb = 0;; mb++) {
        char *m = malloc(1 << 20);
        if (m == NULL) {
          printf("malloc failed after %ld MiB\n", mb);
          _exit(1);
        }
        memset(m, 1, 1 << 20);
      }
    }
    int st;
    waitpid(p, &st, 0);
    if (WIFSIGNALED(st)) printf("the child was killed by %s\n", strsignal(WTERMSIG(st)));
    else printf("the child exited %d\n", WEXITSTATUS(st));
    char *m = malloc(4 << 20);
    memset(m, 2, 4 << 20);
    printf("the parent can still allocate: %d\n", m[12345] == 2);
    return 0;
  }
  return 2;
}
