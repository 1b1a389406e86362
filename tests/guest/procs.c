/* Processes: fork trees with exit codes, every wait variant, SIGCHLD handling and automatic
 * reaping, orphans adopted by the reaper, process groups and kill(0)/kill(-pgid), job-control
 * stop and continue seen through wait, copy-on-write isolation, shared memory across fork, and
 * vfork. Children report through exit statuses and pipes, so the output does not depend on how
 * processes were scheduled. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t chld_seen;
static void count_chld(int sig) {
  (void)sig;
  chld_seen++;
}

static void show(const char *what, int st) {
  if (WIFEXITED(st)) printf("%s: exited %d\n", what, WEXITSTATUS(st));
  else if (WIFSIGNALED(st)) printf("%s: killed by %s%s\n", what, strsignal(WTERMSIG(st)), WCOREDUMP(st) ? " (core)" : "");
  else if (WIFSTOPPED(st)) printf("%s: stopped by %s\n", what, strsignal(WSTOPSIG(st)));
  else if (WIFCONTINUED(st)) printf("%s: continued\n", what);
  else printf("%s: status 0x%x\n", what, st);
}

/* A tree: each node forks `fan` children to depth `d` and exits with the sum of theirs + 1
 * (mod 256). */
static int tree(int d, int fan) {
  if (d == 0) return 1;
  pid_t kids[4];
  for (int i = 0; i < fan; i++) {
    kids[i] = fork();
    if (kids[i] == 0) _exit(tree(d - 1, fan));
  }
  int sum = 1;
  for (int i = 0; i < fan; i++) {
    int st;
    if (waitpid(kids[i], &st, 0) != kids[i] || !WIFEXITED(st)) return 255;
    sum += WEXITSTATUS(st);
  }
  return sum & 0xff;
}

static volatile sig_atomic_t chld_count;
static volatile int chld_code, chld_status;
static void on_chld(int s, siginfo_t *si, void *uc) {
  (void)s;
  (void)uc;
  chld_count++;
  chld_code = si->si_code;
  chld_status = si->si_status;
}

int main(void) {
  int r;
  setvbuf(stdout, NULL, _IONBF, 0);
  struct rlimit nocore = {0, 0};
  setrlimit(RLIMIT_CORE, &nocore);

  /* 1. fork tree: 3 levels of 3 */
  pid_t p = fork();
  if (p == 0) _exit(tree(3, 3));
  int st;
  waitpid(p, &st, 0);
  show("fork tree (1+3+9+27 nodes)", st);

  /* 2. exit codes and deaths */
  int codes[] = {0, 1, 42, 255, 256};
  for (int i = 0; i < 5; i++) {
    if ((p = fork()) == 0) exit(codes[i]);
    waitpid(p, &st, 0);
    char what[32];
    snprintf(what, sizeof what, "exit(%d)", codes[i]);
    show(what, st);
  }
  if ((p = fork()) == 0) {
    raise(SIGTERM);
    _exit(0);
  }
  waitpid(p, &st, 0);
  show("raise(SIGTERM)", st);
  if ((p = fork()) == 0) {
    *(volatile int *)0 = 1;
    _exit(0);
  }
  waitpid(p, &st, 0);
  show("null write", st);
  if ((p = fork()) == 0) abort();
  waitpid(p, &st, 0);
  show("abort", st);

  /* 3. wait variants */
  if ((p = fork()) == 0) {
    usleep(50000);
    _exit(9);
  }
  int nh = waitpid(p, &st, WNOHANG);
  printf("WNOHANG on a running child: %d\n", nh);
  siginfo_t si;
  memset(&si, 0xff, sizeof si);
  int wi = waitid(P_PID, p, &si, WEXITED | WNOWAIT);
  printf("waitid WNOWAIT: %d signo %d code %d status %d pid ok %d\n", wi, si.si_signo, si.si_code, si.si_status, si.si_pid == p);
  /* a zombie can still be sent signals (which it drops) until it is waited for */
  int k1 = kill(p, SIGTERM), k0 = kill(p, 0);
  printf("kill a zombie: %d, signal 0: %d\n", k1, k0);
  struct rusage ru;
  pid_t w = wait4(p, &st, 0, &ru);
  printf("wait4 after WNOWAIT: same pid %d, ", w == p);
  show("status", st);
  r = kill(p, 0);
  printf("kill after the wait: %d %s\n", r, strerror(errno));
  r = waitpid(-2147483647 - 1, NULL, WNOHANG);
  printf("waitpid(INT_MIN): %d %s\n", r, strerror(errno));
  r = syscall(SYS_tgkill, -1, getpid(), 0);
  printf("tgkill with tgid -1: %d %s\n", r, strerror(errno));
  /* a real-time signal past RLIMIT_SIGPENDING is refused (EAGAIN); a standard one is not */
  pid_t lim = fork();
  if (lim == 0) {
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_SIGPENDING, &none);
    sigset_t rt;
    sigemptyset(&rt);
    sigaddset(&rt, SIGRTMIN + 2);
    sigaddset(&rt, SIGUSR2);
    sigprocmask(SIG_BLOCK, &rt, NULL);
    long a = syscall(SYS_tgkill, getpid(), getpid(), SIGRTMIN + 2);
    int ea = errno;
    long b = syscall(SYS_tgkill, getpid(), getpid(), SIGUSR2);
    printf("tgkill over RLIMIT_SIGPENDING: real-time %ld %s, SIGUSR2 %ld\n", a, strerror(ea), b);
    _exit(0);
  }
  waitpid(lim, NULL, 0);
  r = wait(&st);
  printf("wait with no children: %d %s\n", r, strerror(errno));
  r = waitpid(1, &st, 0);
  printf("waitpid for a non-child: %d %s\n", r, strerror(errno));
  pid_t a = fork();
  if (a == 0) _exit(1);
  pid_t b = fork();
  if (b == 0) _exit(2);
  int got = 0;
  for (int i = 0; i < 2; i++) {
    pid_t x = wait(&st);
    got += (x == a || x == b) ? WEXITSTATUS(st) : 100;
  }
  printf("wait() for two children: sum of codes %d\n", got);
  memset(&si, 0, sizeof si);
  r = waitid(P_ALL, 0, &si, WEXITED | WNOHANG);
  printf("waitid WNOHANG with no children: %d %s\n", r, strerror(errno));

  /* 4. stop and continue, seen by the parent */
  int go[2];
  pipe(go);
  if ((p = fork()) == 0) {
    char c;
    read(go[0], &c, 1); /* waits, gets stopped meanwhile */
    _exit(c);
  }
  kill(p, SIGSTOP);
  waitpid(p, &st, WUNTRACED);
  show("after SIGSTOP, WUNTRACED", st);
  kill(p, SIGCONT);
  waitpid(p, &st, WCONTINUED);
  show("after SIGCONT, WCONTINUED", st);
  write(go[1], "\x11", 1);
  waitpid(p, &st, 0);
  show("then", st);
  memset(&si, 0, sizeof si);
  /* SIGTSTP is discarded in an orphaned process group, and whether ours is orphaned depends on
   * who started us: the child gets a group of its own, which our group in our session keeps
   * un-orphaned. */
  if ((p = fork()) == 0) {
    setpgid(0, 0);
    for (;;) pause();
  }
  setpgid(p, p);
  kill(p, SIGTSTP);
  waitid(P_PID, p, &si, WSTOPPED);
  printf("waitid WSTOPPED: code %d status %d\n", si.si_code, si.si_status);
  kill(p, SIGKILL);
  waitpid(p, &st, 0);
  show("stopped child killed", st);

  /* 5. SIGCHLD handler with siginfo */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_chld;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigaction(SIGCHLD, &sa, NULL);
  if ((p = fork()) == 0) _exit(5);
  while (chld_count == 0) pause();
  waitpid(p, &st, 0);
  printf("SIGCHLD: %d delivered, code %d (CLD_EXITED %d), status %d\n", (int)chld_count, chld_code, CLD_EXITED, chld_status);
  /* SA_NOCLDSTOP: stops are not signalled */
  sa.sa_flags = SA_SIGINFO | SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, NULL);
  chld_count = 0;
  if ((p = fork()) == 0) {
    for (;;) pause();
  }
  kill(p, SIGSTOP);
  waitpid(p, &st, WUNTRACED);
  int after_stop = chld_count;
  kill(p, SIGKILL);
  waitpid(p, &st, 0);
  printf("SA_NOCLDSTOP: signals after a stop %d, after the kill %d\n", after_stop, chld_count > 0);
  /* SIG_IGN: children are reaped at once, wait finds none */
  signal(SIGCHLD, SIG_IGN);
  if ((p = fork()) == 0) _exit(3);
  r = waitpid(p, &st, 0);
  printf("SIGCHLD ignored: waitpid %d %s\n", r, strerror(errno));
  signal(SIGCHLD, SIG_DFL);

  /* 6. orphans are adopted by the reaper */
  int pp[2];
  pipe(pp);
  if ((p = fork()) == 0) {
    pid_t mid = getpid();
    if (fork() == 0) {
      while (getppid() == mid) usleep(1000);
      char msg[64];
      int n = snprintf(msg, sizeof msg, "orphan adopted: parent changed, ppid is not the old parent %d\n", getppid() != mid);
      write(pp[1], msg, n);
      _exit(0);
    }
    _exit(0);
  }
  close(pp[1]);
  waitpid(p, &st, 0);
  char buf[128];
  int n = read(pp[0], buf, sizeof buf);
  if (n > 0) fwrite(buf, 1, n, stdout);
  close(pp[0]);

  /* 7. process groups and sessions */
  pid_t me = getpid();
  printf("getpgrp == getpgid(0): %d, getsid(0) == getsid(me): %d\n", getpgrp() == getpgid(0), getsid(0) == getsid(me));
  int ready1[2], done[2];
  pipe(ready1);
  pipe(done);
  pid_t g1 = fork();
  if (g1 == 0) {
    setpgid(0, 0);
    write(ready1[1], "x", 1);
    for (;;) pause();
  }
  char c;
  read(ready1[0], &c, 1);
  pid_t g2 = fork();
  if (g2 == 0) {
    setpgid(0, g1);
    write(done[1], "y", 1);
    for (;;) pause();
  }
  read(done[0], &c, 1);
  printf("children in their own group: pgid(g1)==g1 %d, pgid(g2)==g1 %d, ours differs %d\n", getpgid(g1) == g1, getpgid(g2) == g1, getpgrp() != g1);
  kill(-g1, SIGUSR1);
  int both = 0;
  for (int i = 0; i < 2; i++) {
    waitpid(-g1, &st, 0);
    both += WIFSIGNALED(st) && WTERMSIG(st) == SIGUSR1;
  }
  printf("kill(-pgid, SIGUSR1) ended both members: %d\n", both);
  r = kill(-g1, SIGUSR1);
  printf("kill of an empty group: %d %s\n", r, strerror(errno));
  if ((p = fork()) == 0) {
    setpgid(0, 0);
    pid_t s = setsid();
    printf("setsid in a group leader: %d %s\n", s, strerror(errno));
    _exit(0);
  }
  waitpid(p, &st, 0);
  if ((p = fork()) == 0) {
    pid_t s = setsid();
    printf("setsid in a child: new session is its pid %d, pgid too %d\n", s == getpid(), getpgrp() == getpid());
    _exit(0);
  }
  waitpid(p, &st, 0);
  /* kill(0, sig) reaches the caller's whole group: a group leader of our own (so nothing
   * outside this test is hit) ignores it, the member it forked dies of it */
  if ((p = fork()) == 0) {
    setpgid(0, 0);
    signal(SIGUSR2, SIG_IGN);
    int kp[2];
    pipe(kp);
    pid_t m = fork();
    if (m == 0) {
      signal(SIGUSR2, SIG_DFL);
      write(kp[1], "r", 1);
      for (;;) pause();
    }
    read(kp[0], &c, 1);
    kill(0, SIGUSR2);
    waitpid(m, &st, 0);
    show("kill(0, SIGUSR2) on a group member", st);
    _exit(0);
  }
  waitpid(p, &st, 0);

  /* 8. copy-on-write isolation */
  static int global = 100;
  int local = 200;
  char *heap = malloc(64);
  strcpy(heap, "parent heap");
  int cp[2];
  pipe(cp);
  if ((p = fork()) == 0) {
    global = 1;
    local = 2;
    strcpy(heap, "child heap");
    char msg[96];
    int k = snprintf(msg, sizeof msg, "child sees %d %d %s\n", global, local, heap);
    write(cp[1], msg, k);
    _exit(0);
  }
  waitpid(p, &st, 0);
  n = read(cp[0], buf, sizeof buf);
  fwrite(buf, 1, n, stdout);
  printf("parent still sees %d %d %s\n", global, local, heap);

  /* 9. shared memory across fork: anonymous and file-backed */
  int *sh = mmap(NULL, 4096 * 3, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  int *pr = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  sh[0] = 1;
  pr[0] = 1;
  if ((p = fork()) == 0) {
    sh[0] = 7;
    sh[2048] = 8; /* a page the parent never touched */
    pr[0] = 9;
    _exit(0);
  }
  waitpid(p, &st, 0);
  printf("MAP_SHARED after the child wrote: %d %d; MAP_PRIVATE: %d\n", sh[0], sh[2048], pr[0]);
  char path[] = "procs-shared-XXXXXX";
  int fd = mkstemp(path);
  ftruncate(fd, 8192);
  char *fm = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if ((p = fork()) == 0) {
    strcpy(fm + 4096, "written through a shared file mapping");
    _exit(0);
  }
  waitpid(p, &st, 0);
  char back[64] = {0};
  pread(fd, back, sizeof back - 1, 4096);
  printf("file mapping: parent sees '%s', read() sees '%s'\n", fm + 4096, back);
  pwrite(fd, "updated by pwrite", 17, 100);
  printf("mapping after pwrite: '%.17s'\n", fm + 100);
  msync(fm, 8192, MS_SYNC);
  munmap(fm, 8192);
  close(fd);
  unlink(path);

  /* 10. vfork: the parent waits until the child exits or execs; memory is shared meanwhile */
  volatile int vf = 0;
  p = vfork();
  if (p == 0) {
    vf = 123;
    _exit(4);
  }
  waitpid(p, &st, 0);
  printf("vfork: child's store seen %d, ", vf);
  show("child", st);

  /* 11. pid 1 is there, root's (under `exojit run`, a stand-in that never runs). Only signal 0
   * goes to it: this runs natively too. */
  struct sched_param sp = {5};
  printf("pid 1: kill 0 -> %d, ", kill(1, 0));
  printf("getpgid %s, ", getpgid(1) >= 0 ? "ok" : strerror(errno));
  printf("getsid %s, ", getsid(1) >= 0 ? "ok" : strerror(errno));
  r = sched_getparam(1, &sp);
  printf("sched_getparam %d (priority %d), ", r, sp.sched_priority);
  clockid_t cpu = 0;
  struct timespec ts;
  r = clock_getcpuclockid(1, &cpu);
  printf("its CPU clock %d %d, ", r, clock_gettime(cpu, &ts));
  printf("/proc/1/stat %s\n", access("/proc/1/stat", R_OK) == 0 ? "readable" : strerror(errno));
  p = fork();
  if (p == 0) {
    if (setuid(65534) != 0) _exit(99);
    errno = 0;
    printf("pid 1, unprivileged: kill 0 -> %s, ", kill(1, 0) == 0 ? "ok" : strerror(errno));
    sp.sched_priority = 1;
    printf("sched_setscheduler -> %s, ", sched_setscheduler(1, SCHED_FIFO, &sp) == 0 ? "ok" : strerror(errno));
    printf("setpriority -> %s, ", setpriority(PRIO_PROCESS, 1, 5) == 0 ? "ok" : strerror(errno));
    printf("sigqueue 0 -> %s\n", sigqueue(1, 0, (union sigval){0}) == 0 ? "ok" : strerror(errno));
    _exit(0);
  }
  waitpid(p, &st, 0);
  show("unprivileged child", st);

  /* 12. A SIGCHLD handler without SA_RESTART and a parent asleep in wait(): the wait reports
   * the child (or, with SA_NOCLDWAIT, that there is none: ECHILD), not EINTR; the handler runs
   * after it. */
  struct sigaction ca = {0};
  ca.sa_handler = count_chld;
  sigemptyset(&ca.sa_mask);
  sigaction(SIGCHLD, &ca, NULL);
  chld_seen = 0;
  p = fork();
  if (p == 0) {
    usleep(20000);
    _exit(5);
  }
  r = wait(&st);
  printf("wait with a SIGCHLD handler: %s, ", r == p ? "the child" : strerror(errno));
  show("status", st);
  printf("handler ran %d time(s)\n", chld_seen);
  ca.sa_flags = SA_NOCLDWAIT;
  sigaction(SIGCHLD, &ca, NULL);
  p = fork();
  if (p == 0) {
    usleep(20000);
    _exit(6);
  }
  r = wait(&st);
  printf("wait under SA_NOCLDWAIT: %d %s, handler ran %d time(s)\n", r, r < 0 ? strerror(errno) : "", chld_seen);
  ca.sa_handler = SIG_DFL;
  ca.sa_flags = 0;
  sigaction(SIGCHLD, &ca, NULL);
  return 0;
}
