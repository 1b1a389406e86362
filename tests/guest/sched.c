/* Scheduling policies, compared natively and under exojit (tests/sched.test.ts): the priority
 * ranges of every policy, SCHED_FIFO and SCHED_RR set and read back per thread, parameters
 * out of range, bad pids and pointers, sched_rr_get_interval, inheritance by fork and by
 * threads, SCHED_RESET_ON_FORK, and an unprivileged user's EPERM; I/O priorities
 * (ioprio_get/ioprio_set) by thread, group and user, inherited; sched_setattr and
 * sched_getattr with nice values, flags and every size rule. Run as root (the oracle
 * needs the right to set a real-time policy). Nothing printed depends on timing. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "guest.h"

#define SCHED_FLAG_KEEP_POLICY_X 8
#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif

/* The raw calls: glibc's wrappers would hide nothing here, but the raw ones take any pid. */
static long setsched(int pid, int policy, int prio) {
  struct sched_param p = { .sched_priority = prio };
  return syscall(SYS_sched_setscheduler, pid, policy, &p);
}
static long getparam(int pid) {
  struct sched_param p = { .sched_priority = -7 };
  long r = syscall(SYS_sched_getparam, pid, &p);
  return r < 0 ? r : p.sched_priority;
}
static void show(const char *who) {
  printf("%s: policy %ld, priority %ld\n", who, syscall(SYS_sched_getscheduler, 0), getparam(0));
}
static const char *interval(int pid, int all_share) {
  static char buf[64];
  struct timespec ts = { -1, -1 };
  if (sched_rr_get_interval(pid, &ts) != 0) snprintf(buf, sizeof buf, "error %s", strerror(errno));
  else if (ts.tv_sec == 0 && ts.tv_nsec == 0) snprintf(buf, sizeof buf, "zero");
  else snprintf(buf, sizeof buf, "%s", ts.tv_sec == 0 && ts.tv_nsec > 0 && ts.tv_nsec <= 200000000 ? "a slice of at most 0.2 s" : "out of range");
  /* (under the time-sharing policies Linux reports the fair scheduler's slice, or zero: it
   * depends on the kernel's version and load) */
  if (all_share && strcmp(buf, "zero") == 0) snprintf(buf, sizeof buf, "a slice of at most 0.2 s");
  return buf;
}

struct attr {
  uint32_t size, policy;
  uint64_t flags;
  int32_t nice;
  uint32_t priority;
  uint64_t runtime, deadline, period;
  uint32_t util_min, util_max;
  uint8_t extra[8];
};
static void show_attr(const char *label) {
  struct attr a;
  memset(&a, 0x55, sizeof a);
  long r = syscall(SYS_sched_getattr, 0, &a, 48, 0);
  if (r != 0) printf("%s: getattr %s\n", label, strerror(errno));
  else printf("%s: size %u, policy %u, flags %llu, nice %d, priority %u\n", label, a.size, a.policy, (unsigned long long)a.flags, a.nice, a.priority);
}
static long setattr(uint32_t size, uint32_t policy, uint64_t flags, int nice, uint32_t prio, int trailing) {
  struct attr a;
  memset(&a, 0, sizeof a);
  a.size = size;
  a.policy = policy;
  a.flags = flags;
  a.nice = nice;
  a.priority = prio;
  a.extra[0] = trailing;
  return syscall(SYS_sched_setattr, 0, &a, 0);
}

/* /proc/self/stat's priority, nice, rt_priority and policy fields (18, 19, 40, 41). */
static void stat_fields(const char *label) {
  char buf[1024];
  int fd = open("/proc/self/stat", O_RDONLY);
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  buf[n > 0 ? n : 0] = 0;
  char *p = strrchr(buf, ')');
  long f[64] = { 0 };
  int k = 3; /* the field after ") " is the third */
  for (char *tok = strtok(p + 2, " "); tok != NULL && k < 64; tok = strtok(NULL, " "), k++) f[k] = strtol(tok, NULL, 10);
  printf("%s: /proc/self/stat priority %ld, nice %ld, rt_priority %ld, policy %ld\n", label, f[18], f[19], f[40], f[41]);
}

static void *thread_main(void *arg) {
  (void)arg;
  show("thread");
  TRY("thread sets RR 3 for itself", setsched(0, SCHED_RR, 3));
  show("thread");
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int policies[] = { SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE, 6, 4, -1 };
  for (unsigned k = 0; k < sizeof policies / sizeof policies[0]; k++) {
    char l[64];
    snprintf(l, sizeof l, "max of policy %d", policies[k]);
    TRY(l, sched_get_priority_max(policies[k]));
    snprintf(l, sizeof l, "min of policy %d", policies[k]);
    TRY(l, sched_get_priority_min(policies[k]));
  }
  show("start");
  stat_fields("start");
  printf("interval under OTHER: %s\n", interval(0, 1));

  TRY("FIFO 0", setsched(0, SCHED_FIFO, 0));
  TRY("FIFO 100", setsched(0, SCHED_FIFO, 100));
  TRY("OTHER 5", setsched(0, SCHED_OTHER, 5));
  TRY("policy 42", setsched(0, 42, 0));
  TRY("pid -1", setsched(-1, SCHED_OTHER, 0));
  TRY("no such pid", setsched(999999, SCHED_OTHER, 0));
  TRY("null param", syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, NULL));
  TRY("bad param pointer", syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, (void *)16));
  TRY("getparam null", syscall(SYS_sched_getparam, 0, NULL));
  TRY("getscheduler -1", syscall(SYS_sched_getscheduler, -1));
  TRY("getscheduler of no such pid", syscall(SYS_sched_getscheduler, 999999));
  show("after refusals");

  TRY("FIFO 50", setsched(0, SCHED_FIFO, 50));
  show("FIFO");
  stat_fields("FIFO 50");
  printf("interval under FIFO: %s\n", interval(0, 0));
  struct sched_param p = { .sched_priority = 60 };
  TRY("setparam 60", sched_setparam(0, &p));
  show("setparam");
  p.sched_priority = 0;
  TRY("setparam 0 under FIFO", sched_setparam(0, &p));
  TRY("RR 10", setsched(0, SCHED_RR, 10));
  show("RR");
  printf("interval under RR: %s\n", interval(0, 0));
  printf("interval under RR, by pid: %s\n", interval(getpid(), 0));
  printf("interval of no such pid: %s\n", interval(999999, 0));
  TRY("yield", sched_yield());

  /* Inherited by fork and by threads. */
  pid_t c = fork();
  if (c == 0) {
    show("child");
    _exit(0);
  }
  waitpid(c, NULL, 0);
  pthread_t th;
  pthread_create(&th, NULL, thread_main, NULL);
  pthread_join(th, NULL);
  show("main after its thread changed");

  /* SCHED_RESET_ON_FORK: the child starts under OTHER, with a nice value of at least 0. */
  TRY("RR 20 with reset on fork", setsched(0, SCHED_RR | SCHED_RESET_ON_FORK, 20));
  show("reset-on-fork");
  TRY("nice -5", setpriority(PRIO_PROCESS, 0, -5));
  c = fork();
  if (c == 0) {
    show("child of reset-on-fork");
    printf("child's nice: %d\n", getpriority(PRIO_PROCESS, 0));
    _exit(0);
  }
  waitpid(c, NULL, 0);
  setpriority(PRIO_PROCESS, 0, 0);

  /* An unprivileged user (RLIMIT_RTPRIO 0) may neither take a real-time policy nor clear the
   * reset-on-fork flag; it may go back to OTHER... with the flag kept. */
  c = fork();
  if (c == 0) {
    struct rlimit rl = { 0, 0 };
    setrlimit(RLIMIT_RTPRIO, &rl);
    if (setuid(65534) != 0) printf("setuid failed\n");
    TRY("unprivileged: RR 20 without the flag", setsched(0, SCHED_RR, 20));
    TRY("unprivileged: OTHER with the flag", setsched(0, SCHED_OTHER | SCHED_RESET_ON_FORK, 0));
    TRY("unprivileged: FIFO 1", setsched(0, SCHED_FIFO, 1));
    TRY("unprivileged: BATCH with the flag", setsched(0, SCHED_BATCH | SCHED_RESET_ON_FORK, 0));
    show("unprivileged");
    TRY("unprivileged: of its root parent", setsched(getppid(), SCHED_OTHER, 0));
    _exit(0);
  }
  waitpid(c, NULL, 0);

  /* I/O priorities: class << 13 | data (a level, and a hint above it). */
  TRY("ioprio at start", syscall(SYS_ioprio_get, 1, 0));
  TRY("ioprio idle", syscall(SYS_ioprio_set, 1, 0, 3 << 13));
  TRY("ioprio now", syscall(SYS_ioprio_get, 1, 0));
  TRY("ioprio best effort 8 (a hint)", syscall(SYS_ioprio_set, 1, 0, (2 << 13) | 8));
  TRY("ioprio best effort 5", syscall(SYS_ioprio_set, 1, 0, (2 << 13) | 5));
  TRY("ioprio class 4", syscall(SYS_ioprio_set, 1, 0, 4 << 13));
  TRY("ioprio none with data", syscall(SYS_ioprio_set, 1, 0, 3));
  TRY("ioprio which 9", syscall(SYS_ioprio_get, 9, 0));
  TRY("ioprio of no such pid", syscall(SYS_ioprio_get, 1, 999999));
  c = fork();
  if (c == 0) {
    TRY("the child's ioprio", syscall(SYS_ioprio_get, 1, 0));
    if (setuid(65534) != 0) printf("setuid failed\n");
    TRY("unprivileged real-time ioprio", syscall(SYS_ioprio_set, 1, 0, 1 << 13));
    TRY("unprivileged ioprio of its root parent", syscall(SYS_ioprio_set, 1, getppid(), 3 << 13));
    _exit(0);
  }
  waitpid(c, NULL, 0);
  TRY("ioprio real-time 0 as root", syscall(SYS_ioprio_set, 1, 0, 1 << 13));
  TRY("ioprio of the group", syscall(SYS_ioprio_get, 2, 0));
  TRY("ioprio of the user", syscall(SYS_ioprio_get, 3, 0));

  /* sched_setattr and sched_getattr */
  TRY("back to OTHER first", setsched(0, SCHED_OTHER, 0));
  show_attr("attr");
  struct attr g;
  TRY("getattr, size 40", syscall(SYS_sched_getattr, 0, &g, 40, 0));
  TRY("getattr, size 5000", syscall(SYS_sched_getattr, 0, &g, 5000, 0));
  TRY("getattr, flags", syscall(SYS_sched_getattr, 0, &g, 48, 1));
  TRY("getattr, null", syscall(SYS_sched_getattr, 0, NULL, 48, 0));
  TRY("setattr OTHER nice 5", setattr(48, SCHED_OTHER, 0, 5, 0, 0));
  show_attr("attr");
  stat_fields("nice 5");
  printf("getpriority: %d\n", getpriority(PRIO_PROCESS, 0));
  TRY("setattr size 0 (the first version) nice 3", setattr(0, SCHED_OTHER, 0, 3, 0, 0));
  show_attr("attr");
  struct attr small = { .size = 20 };
  errno = 0;
  long r = syscall(SYS_sched_setattr, 0, &small, 0);
  printf("setattr size 20: %ld %s, size written back %u\n", r, strerror(errno), small.size);
  TRY("setattr size 64, nonzero trailing byte", setattr(64, SCHED_OTHER, 0, 0, 0, 1));
  TRY("setattr size 64, zero trailing bytes", setattr(64, SCHED_OTHER, 0, 2, 0, 0));
  TRY("setattr an unknown flag", setattr(48, SCHED_OTHER, 0x1000, 0, 0, 0));
  TRY("setattr FIFO 30", setattr(48, SCHED_FIFO, 0, 0, 30, 0));
  show_attr("attr");
  TRY("setattr keep-policy, priority 40", setattr(48, SCHED_OTHER, SCHED_FLAG_KEEP_POLICY_X, 0, 40, 0));
  show_attr("attr");
  TRY("setattr RR with reset-on-fork", setattr(48, SCHED_RR, 1, 0, 7, 0));
  show_attr("attr");
  TRY("setattr FIFO priority 0", setattr(48, SCHED_FIFO, 0, 0, 0, 0));
  TRY("setattr OTHER nice 0", setattr(48, SCHED_OTHER, 0, 0, 0, 0));
  show_attr("attr");

  TRY("back to OTHER", setsched(0, SCHED_OTHER, 0));
  TRY("IDLE", setsched(0, SCHED_IDLE, 0));
  show("IDLE");
  TRY("back from IDLE as root", setsched(0, SCHED_OTHER, 0));
  show("end");
  return 0;
}
