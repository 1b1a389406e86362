/* The kernel log through klogctl (syslog(2)): its size, what a boot and a killing fault leave
 * in it, READ taking records once, CLEAR and READ_CLEAR, and the errors. Prints the records with
 * their timestamps cut, for tests/klog.test.ts to check (the host's own log differs). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "guest.h"

/* Prints each record of buf[0..n) as "<level> text", without its "[seconds.micros] ". */
static void records(const char *label, char *buf, int n) {
  printf("%s (%d bytes):\n", label, n);
  buf[n] = 0;
  for (char *line = strtok(buf, "\n"); line != NULL; line = strtok(NULL, "\n")) {
    char *close = strchr(line, ']');
    printf("  %.3s%s\n", line, close != NULL ? close + 1 : line);
  }
}

int main(int argc, char **argv) {
  static char buf[1 << 17];
  if (argc > 1) {
    /* the child: dies of a page fault it does not handle */
    volatile int *p = (int *)0x10;
    return *p;
  }
  TRY("size of the buffer", klogctl(10, NULL, 0));
  pid_t pid = fork();
  if (pid == 0) {
    execl("/proc/self/exe", "crasher", "crash", (char *)NULL);
    _exit(127);
  }
  int st;
  waitpid(pid, &st, 0);
  printf("child: signal %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  int n = klogctl(3, buf, sizeof buf - 1);
  records("read all", buf, n);
  int unread = klogctl(9, NULL, 0);
  printf("unread equals all: %d\n", unread == n);
  n = klogctl(2, buf, 40);
  printf("read 40: %d bytes, a whole record: %d\n", n, n > 0 && buf[n - 1] == '\n');
  printf("unread after: %d\n", klogctl(9, NULL, 0) == unread - n);
  TRY("clear", klogctl(5, NULL, 0));
  TRY("read all after clear", klogctl(3, buf, sizeof buf));
  TRY("read, null buffer", klogctl(2, NULL, 10));
  TRY("read all, negative length", klogctl(3, buf, -1));
  TRY("read all, zero length", klogctl(3, buf, 0));
  TRY("console level 9", klogctl(8, NULL, 9));
  TRY("console level 4", klogctl(8, NULL, 4));
  TRY("unknown action", klogctl(11, NULL, 0));
  TRY("bad buffer", klogctl(3, (char *)16, 100));
  /* (magic numbers no kernel takes: the call can only fail, wherever it runs) */
  TRY("reboot, not a booted system", syscall(SYS_reboot, 0, 0, 0, 0));
  if (setuid(1000) == 0) TRY("as a user", klogctl(10, NULL, 0));
  return 0;
}
