/* "Text file busy", on a copy of this program in /tmp: a file open for writing cannot be run,
 * and once the writer closes it runs; while a process runs it, it cannot be opened for writing
 * or truncated (it can be read); after that process ends, it can be written again. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *res(int r) {
  return r < 0 ? strerror(errno) : "ok";
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1) {
    if (strcmp(argv[1], "wait") == 0) pause();
    return 0;
  }
  char self[256];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n < 0) return 1;
  self[n] = 0;
  int fd;

  char copy[] = "/tmp/exojit-txtbsy-XXXXXX";
  int c = mkstemp(copy);
  int in = open(self, O_RDONLY);
  char buf[65536];
  ssize_t k;
  while ((k = read(in, buf, sizeof buf)) > 0)
    if (write(c, buf, k) != k) return 1;
  close(in);
  fchmod(c, 0755);
  pid_t p = fork();
  if (p == 0) {
    execl(copy, copy, "x", (char *)0);
    printf("exec of a file open for writing: %s\n", strerror(errno));
    _exit(1);
  }
  int st;
  waitpid(p, &st, 0);
  close(c);
  p = fork();
  if (p == 0) {
    execl(copy, copy, "x", (char *)0);
    _exit(99);
  }
  waitpid(p, &st, 0);
  printf("once the writer closed it, it runs: status %d\n", WEXITSTATUS(st));
  p = fork();
  if (p == 0) {
    execl(copy, copy, "wait", (char *)0);
    _exit(99);
  }
  /* (wait until the child runs the copy: its /proc/PID/exe names it) */
  char exe[64], target[256];
  snprintf(exe, sizeof exe, "/proc/%d/exe", (int)p);
  for (int i = 0; i < 2000; i++) {
    ssize_t m = readlink(exe, target, sizeof target - 1);
    if (m > 0 && (target[m] = 0, strcmp(target, copy) == 0)) break;
    usleep(1000);
  }
  printf("while a child runs it, open for writing: %s\n", res(open(copy, O_WRONLY)));
  printf("O_RDWR: %s\n", res(open(copy, O_RDWR)));
  printf("truncate it: %s\n", res(truncate(copy, 0)));
  fd = open(copy, O_RDONLY);
  printf("open it read-only: %s\n", res(fd));
  close(fd);
  kill(p, SIGKILL);
  waitpid(p, &st, 0);
  fd = open(copy, O_WRONLY);
  printf("after it ended: %s\n", res(fd));
  close(fd);
  unlink(copy);
  return 0;
}
