/* Vectored reads and writes at offsets (preadv, pwritev, preadv2, pwritev2), close_range,
 * getcpu, membarrier and unshare, compared natively and under exojit (tests/sysmisc.test.ts).
 * With an argument ("uts", under exojit only: natively it would rename the host), it sets
 * the host and domain names as root and reads them back. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/membarrier.h>
#ifndef MEMBARRIER_CMD_GET_REGISTRATIONS
#define MEMBARRIER_CMD_GET_REGISTRATIONS (1 << 9)
#endif
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/random.h>
#include <signal.h>
#include <sys/sysinfo.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include "guest.h"

#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static void show(int fd, const char *label) {
  char buf[64];
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  buf[n > 0 ? n : 0] = 0;
  printf("%s: [%s], offset %ld\n", label, buf, (long)lseek(fd, 0, SEEK_CUR));
}

static int other_fd_open(int fd) {
  return fcntl(fd, F_GETFD) != -1;
}

static void *idle_thread(void *arg) {
  (void)arg;
  usleep(100000);
  return NULL;
}

static void uts(void) {
  TRY("sethostname", sethostname("jailhost", 8));
  TRY("setdomainname", setdomainname("example.org", 11));
  struct utsname u;
  uname(&u);
  printf("uname: %s, %s\n", u.nodename, u.domainname);
  char buf[80] = "";
  int fd = open("/proc/sys/kernel/hostname", O_RDONLY);
  read(fd, buf, sizeof buf - 1);
  printf("/proc/sys/kernel/hostname: %s", buf);
  char big[70];
  memset(big, 'h', sizeof big);
  TRY("sethostname of 65 bytes", sethostname(big, 65));
  TRY("unshare a new UTS namespace", unshare(CLONE_NEWUTS));
}

/* sysinfo's memory figures as a program that ignores mem_unit reads them (in bytes on Linux
 * when RAM and swap fit in 32 bits), and in bytes as one that multiplies by it. */
static void meminfo(void) {
  struct sysinfo s;
  TRY("sysinfo", sysinfo(&s));
  printf("mem_unit %u\n", s.mem_unit);
  printf("totalram %llu MiB, freeram below it: %d, free at least 1 MiB: %d\n", (unsigned long long)s.totalram * s.mem_unit >> 20,
         s.freeram <= s.totalram, (unsigned long long)s.freeram * s.mem_unit >= 1 << 20);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1 && strcmp(argv[1], "uts") == 0) {
    uts();
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "sysinfo") == 0) {
    meminfo();
    return 0;
  }
  int fd = open("vec.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
  char a[] = "hello ", b[] = "vector ", c[] = "world";
  struct iovec w[3] = { { a, 6 }, { b, 7 }, { c, 5 } };
  TRY("pwritev at 2", pwritev(fd, w, 3, 2));
  show(fd, "after pwritev");
  char r1[4], r2[5], r3[40];
  memset(r3, 0, sizeof r3);
  struct iovec r[3] = { { r1, 4 }, { r2, 5 }, { r3, 40 } };
  TRY("preadv at 3", preadv(fd, r, 3, 3));
  printf("read: [%.4s] [%.5s] [%s]\n", r1, r2, r3);
  TRY("preadv at a negative offset", preadv(fd, r, 3, -5));
  TRY("preadv past the end", preadv(fd, r, 3, 1000));
  TRY("pwritev2 at the file offset (-1)", pwritev2(fd, w, 1, -1, 0));
  show(fd, "after pwritev2 at -1");
  TRY("pwritev2 with RWF_APPEND", pwritev2(fd, w + 2, 1, 0, RWF_APPEND));
  show(fd, "after the append");
  TRY("pwritev2 with RWF_DSYNC at 0", pwritev2(fd, w + 1, 1, 0, RWF_DSYNC));
  show(fd, "after the synchronous write");
  lseek(fd, 0, SEEK_SET);
  memset(r3, 0, sizeof r3);
  TRY("preadv2 at the file offset", preadv2(fd, r, 2, -1, 0));
  printf("offset after preadv2 at -1: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
  TRY("preadv2 with an unknown flag", preadv2(fd, r, 2, 0, 0x1000));
  TRY("preadv2 with RWF_HIPRI at 6", preadv2(fd, r, 2, 6, RWF_HIPRI));
  printf("read: [%.4s] [%.5s]\n", r1, r2);
  int p[2];
  pipe(p);
  TRY("preadv on a pipe", preadv(p[0], r, 1, 0));
  TRY("pwritev on a pipe", pwritev(p[1], w, 1, 0));
  TRY("preadv with 2000 iovecs", preadv(fd, r, 2000, 0));
  close(fd);
  unlink("vec.dat");

  /* close_range */
  int base = open("/dev/null", O_RDONLY);
  for (int k = 0; k < 5; k++) dup(base);
  printf("open before: %d %d %d %d %d %d\n", other_fd_open(base), other_fd_open(base + 1), other_fd_open(base + 2), other_fd_open(base + 3), other_fd_open(base + 4), other_fd_open(base + 5));
  TRY("close_range of the middle three", close_range(base + 1, base + 3, 0));
  printf("open after: %d %d %d %d %d %d\n", other_fd_open(base), other_fd_open(base + 1), other_fd_open(base + 2), other_fd_open(base + 3), other_fd_open(base + 4), other_fd_open(base + 5));
  TRY("close_range with CLOEXEC", close_range(base, ~0U, CLOSE_RANGE_CLOEXEC));
  printf("close-on-exec: %d %d\n", (fcntl(base, F_GETFD) & FD_CLOEXEC) != 0, (fcntl(base + 5, F_GETFD) & FD_CLOEXEC) != 0);
  TRY("close_range backwards", close_range(10, 5, 0));
  TRY("close_range with an unknown flag", close_range(base, base, 1));
  TRY("close_range of everything above", close_range(base, ~0U, CLOSE_RANGE_UNSHARE));
  printf("open after: %d %d\n", other_fd_open(base), other_fd_open(base + 5));

  /* getcpu */
  unsigned cpu = 99, node = 99;
  TRY("getcpu", syscall(SYS_getcpu, &cpu, &node, NULL));
  cpu_set_t set;
  sched_getaffinity(0, sizeof set, &set);
  printf("the cpu is one the thread may run on: %d, node %u\n", CPU_ISSET(cpu, &set), node);
  TRY("getcpu with null pointers", syscall(SYS_getcpu, NULL, NULL, NULL));
  /* sched_setaffinity: the mask first (EFAULT), the process (ESRCH), the right to change it
   * (EPERM), then the CPUs (EINVAL) */
  unsigned long one = 1, none = 0;
  TRY("sched_setaffinity to CPU 0", syscall(SYS_sched_setaffinity, 0, sizeof one, &one));
  TRY("sched_setaffinity to no CPU", syscall(SYS_sched_setaffinity, 0, sizeof none, &none));
  TRY("sched_setaffinity from a bad pointer", syscall(SYS_sched_setaffinity, 0, sizeof one, (void *)8));
  TRY("sched_setaffinity of no process", syscall(SYS_sched_setaffinity, 999999, sizeof one, &one));
  if (geteuid() == 0) {
    pid_t kid = fork();
    if (kid == 0) {
      pause();
      _exit(0);
    }
    seteuid(65534);
    TRY("sched_setaffinity of root's process as nobody", syscall(SYS_sched_setaffinity, kid, sizeof one, &one));
    seteuid(0);
    kill(kid, SIGKILL);
    waitpid(kid, NULL, 0);
  }

  /* membarrier */
  long q = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
  printf("query: global %d, private expedited %d\n", (q & MEMBARRIER_CMD_GLOBAL) != 0, (q & MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0);
  TRY("global", syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0));
  TRY("private expedited before registering", syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0));
  TRY("register private expedited", syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0));
  TRY("private expedited", syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0));
  TRY("sync-core before registering", syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0));
  TRY("get registrations", syscall(SYS_membarrier, MEMBARRIER_CMD_GET_REGISTRATIONS, 0, 0));
  TRY("unknown command", syscall(SYS_membarrier, 1 << 20, 0, 0));
  TRY("bad flags", syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 2, 0));
  pid_t ch = fork();
  if (ch == 0) {
    TRY("a child's private expedited (not registered)", syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0));
    _exit(0);
  }
  waitpid(ch, NULL, 0);

  /* unshare */
  TRY("unshare nothing", unshare(0));
  TRY("unshare files and fs", unshare(CLONE_FILES | CLONE_FS));
  TRY("unshare thread, single-threaded", unshare(CLONE_THREAD | CLONE_SIGHAND | CLONE_VM));
  TRY("unshare an unknown bit", unshare(0x1));
  pthread_t th;
  pthread_create(&th, NULL, idle_thread, NULL);
  TRY("unshare vm with two threads", unshare(CLONE_VM));
  TRY("unshare files with two threads", unshare(CLONE_FILES));
  int probe = open("/dev/null", O_RDONLY);
  printf("a new fd after unsharing: %d\n", probe >= 0);
  pthread_join(th, NULL);
  ch = fork();
  if (ch == 0) {
    if (setuid(65534) != 0) printf("setuid failed\n");
    TRY("unprivileged sethostname", sethostname("x", 1));
    TRY("unprivileged setdomainname", setdomainname("x", 1));
    _exit(0);
  }
  waitpid(ch, NULL, 0);

  /* pidfds: a non-blocking one makes waitid say EAGAIN while the child runs (0 with WNOHANG);
   * a siginfo for another signal than the one sent is EINVAL */
  int go[2];
  if (pipe(go) != 0) return 1;
  ch = fork();
  if (ch == 0) {
    char b;
    if (read(go[0], &b, 1) != 1) _exit(2);
    _exit(0);
  }
  int pfd = syscall(SYS_pidfd_open, ch, PIDFD_NONBLOCK);
  siginfo_t si;
  TRY("waitid on a non-blocking pidfd of a running child", waitid(P_PIDFD, pfd, &si, WEXITED));
  TRY("the same with WNOHANG", waitid(P_PIDFD, pfd, &si, WEXITED | WNOHANG));
  siginfo_t mine = {0};
  mine.si_signo = SIGUSR1;
  mine.si_code = SI_QUEUE;
  TRY("pidfd_send_signal SIGUSR2 with a SIGUSR1 siginfo", syscall(SYS_pidfd_send_signal, pfd, SIGUSR2, &mine, 0));
  if (write(go[1], "x", 1) != 1) return 1;
  waitpid(ch, NULL, 0);
  close(pfd);
  /* get_robust_list of another user's thread, and SIOCATMARK where there is no urgent data */
  ch = fork();
  if (ch == 0) {
    if (setuid(65534) != 0) printf("setuid failed\n");
    void *head;
    size_t hl;
    TRY("unprivileged get_robust_list of pid 1", syscall(SYS_get_robust_list, 1, &head, &hl));
    _exit(0);
  }
  waitpid(ch, NULL, 0);
  int us = socket(AF_INET, SOCK_DGRAM, 0), at = 0;
  TRY("SIOCATMARK on a UDP socket", ioctl(us, SIOCATMARK, &at));
  close(us);
  int rnd = open("/dev/urandom", O_RDONLY), cnt = -1;
  TRY("RNDGETENTCNT on /dev/urandom", ioctl(rnd, RNDGETENTCNT, &cnt));
  printf("an entropy count: %d\n", cnt >= 0);
  close(rnd);
  return 0;
}
