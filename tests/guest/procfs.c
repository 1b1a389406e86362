/* /proc as a program sees its own process and its children: the self links, maps, status,
 * stat, statm, cmdline, environ, comm, limits, fd/ and fdinfo/ (magic links to pipes and to
 * stdin included), task/ with threads, a child's state as it sleeps, stops, becomes a zombie
 * and is reaped, the system-wide files, /proc/sys, walking in and out of /proc through `..`
 * and symlinks, and the errors of things /proc refuses. Only what is the same natively and
 * under exojit is printed: answers to questions, never pids, addresses or times.
 * Run with arguments "alpha" "beta gamma", stdin "hello\n", in an empty working directory; or
 * with the one argument "stdin" to check only reading stdin through /proc/self/fd/0. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "guest.h"

static const char *yesno(int b) { return b ? "yes" : "no"; }

static const char *err(int r) {
  if (r >= 0) return "ok";
  switch (errno) {
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EINVAL: return "EINVAL";
    case EIO: return "EIO";
    case EROFS: return "EROFS";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EEXIST: return "EEXIST";
    case EXDEV: return "EXDEV";
    case ELOOP: return "ELOOP";
    case ENXIO: return "ENXIO";
    default: return strerror(errno);
  }
}

/* Reads a whole file into buf (NUL-terminated); returns the length or -1. */
static ssize_t slurp(const char *path, char *buf, size_t size) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  size_t n = 0;
  for (;;) {
    ssize_t k = read(fd, buf + n, size - 1 - n);
    if (k <= 0) break;
    n += (size_t)k;
  }
  close(fd);
  buf[n] = 0;
  return (ssize_t)n;
}

/* The value after "Key:\t" in a status-like text, up to the end of the line. */
static const char *field(const char *text, const char *key, char *out, size_t size) {
  char pat[64];
  snprintf(pat, sizeof pat, "\n%s:", key);
  const char *p = strncmp(text, pat + 1, strlen(pat + 1)) == 0 ? text - 1 : strstr(text, pat);
  out[0] = 0;
  if (p == NULL) return out;
  p += strlen(pat);
  while (*p == '\t' || *p == ' ') p++;
  size_t n = strcspn(p, "\n");
  if (n >= size) n = size - 1;
  memcpy(out, p, n);
  out[n] = 0;
  return out;
}

static long status_num(const char *text, const char *key) {
  char v[128];
  return atol(field(text, key, v, sizeof v));
}

/* Splits /proc/PID/stat: comm into `comm`, the fields after it into f[3..] (1-based numbering
 * as proc(5) has it: f[3] is the state). Returns how many fields there were in all. */
static int parse_stat(const char *text, char *comm, size_t csize, char *state, unsigned long long *f, int max) {
  const char *open = strchr(text, '('), *close = strrchr(text, ')');
  if (open == NULL || close == NULL) return 0;
  size_t n = (size_t)(close - open - 1);
  if (n >= csize) n = csize - 1;
  memcpy(comm, open + 1, n);
  comm[n] = 0;
  f[1] = strtoull(text, NULL, 10);
  const char *p = close + 2;
  *state = *p;
  p += 1;
  int count = 3;
  while (*p == ' ' && count < max) {
    p++;
    f[++count] = strtoull(p, (char **)&p, 10);
    if (*p == 0 || *p == '\n') break;
  }
  return count;
}

static char buf[1 << 16];

static void self_links(const char *argv0) {
  char exe[PATH_MAX], real[PATH_MAX], link[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  exe[n > 0 ? n : 0] = 0;
  printf("exe is argv[0]: %s\n", yesno(realpath(argv0, real) != NULL && strcmp(exe, real) == 0));
  n = readlink("/proc/self", link, sizeof link - 1);
  link[n > 0 ? n : 0] = 0;
  printf("self -> pid: %s\n", yesno(atoi(link) == getpid()));
  char expect[64];
  snprintf(expect, sizeof expect, "%d/task/%ld", getpid(), (long)syscall(SYS_gettid));
  n = readlink("/proc/thread-self", link, sizeof link - 1);
  link[n > 0 ? n : 0] = 0;
  printf("thread-self -> pid/task/tid: %s\n", yesno(strcmp(link, expect) == 0));
  char cwd[PATH_MAX];
  n = readlink("/proc/self/cwd", link, sizeof link - 1);
  link[n > 0 ? n : 0] = 0;
  printf("cwd link is getcwd: %s\n", yesno(getcwd(cwd, sizeof cwd) != NULL && strcmp(cwd, link) == 0));
  n = readlink("/proc/self/root", link, sizeof link - 1);
  link[n > 0 ? n : 0] = 0;
  printf("root link: %s\n", link);
  struct stat a, b;
  printf("stat(/proc/self/exe) is the binary: %s\n", yesno(stat("/proc/self/exe", &a) == 0 && stat(argv0, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev));
  printf("lstat(/proc/self) is a link: %s, stat is a directory: %s\n", yesno(lstat("/proc/self", &a) == 0 && S_ISLNK(a.st_mode)),
         yesno(stat("/proc/self", &b) == 0 && S_ISDIR(b.st_mode)));
  printf("/proc/self/.. is /proc: %s\n", yesno(stat("/proc/self/..", &a) == 0 && stat("/proc", &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev));
  printf("/proc/self/cwd/.. is the parent of cwd: %s\n", yesno(stat("/proc/self/cwd/..", &a) == 0 && stat("..", &b) == 0 && a.st_ino == b.st_ino));
  printf("/proc/.. is /: %s\n", yesno(stat("/proc/..", &a) == 0 && stat("/", &b) == 0 && a.st_ino == b.st_ino));
  /* Links into /proc from outside, and out of /proc through cwd. */
  printf("symlink to /proc/self/status: %s\n", err(symlink("/proc/self/status", "st")));
  int fd = open("st", O_RDONLY);
  n = fd >= 0 ? read(fd, buf, 5) : -1;
  printf("read through it: %.*s\n", n > 0 ? (int)n : 0, buf);
  if (fd >= 0) close(fd);
  printf("relative symlink ../proc/self/comm: %s\n", err(symlink("../../../../../../../../../proc/self/comm", "comm")));
  n = slurp("comm", buf, sizeof buf);
  printf("read through it: %s", n > 0 ? buf : "?\n");
  fd = open("out.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (fd >= 0) {
    write(fd, "outside\n", 8);
    close(fd);
  }
  n = slurp("/proc/self/cwd/out.txt", buf, sizeof buf);
  printf("file through /proc/self/cwd: %s", n > 0 ? buf : "?\n");
  int here = open(".", O_RDONLY | O_DIRECTORY);
  printf("chdir(/proc/self/cwd) stays: %s\n", yesno(chdir("/proc/self/cwd") == 0 && getcwd(link, sizeof link) != NULL && strcmp(link, cwd) == 0));
  int r = chdir("/proc/self");
  printf("chdir(/proc/self) then stat(status): %s, getcwd is /proc/PID: %s\n", err(r == 0 && stat("status", &a) == 0 ? 0 : -1),
         yesno(getcwd(link, sizeof link) != NULL && atoi(link + 6) == getpid() && strncmp(link, "/proc/", 6) == 0));
  printf("back with fchdir: %s\n", err(fchdir(here)));
  close(here);
}

static void maps_file(const char *argv0) {
  char real[PATH_MAX];
  if (realpath(argv0, real) == NULL) strcpy(real, "?");
  slurp("/proc/self/maps", buf, sizeof buf);
  int lines = 0, parsed = 0, exe_r_x = 0, stack = 0, heap_or_anon = 0;
  int local = 0;
  unsigned long here = (unsigned long)&local, stack_has_local = 0;
  for (char *line = strtok(buf, "\n"); line != NULL; line = strtok(NULL, "\n")) {
    lines++;
    unsigned long lo, hi, off, ino;
    unsigned maj, min;
    char perms[8];
    int pos = 0;
    if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu %n", &lo, &hi, perms, &off, &maj, &min, &ino, &pos) >= 7 && strlen(perms) == 4 && lo < hi) parsed++;
    const char *name = line + pos;
    if (strcmp(name, real) == 0 && strcmp(perms, "r-xp") == 0) exe_r_x++;
    if (strcmp(name, "[stack]") == 0) {
      stack++;
      stack_has_local = lo <= here && here < hi;
    }
    if (*name == 0 || strcmp(name, "[heap]") == 0) heap_or_anon++;
  }
  printf("maps: every line parses: %s, binary r-xp: %s, [stack]: %d holding a local: %s, anonymous: %s\n",
         yesno(lines > 0 && parsed == lines), yesno(exe_r_x > 0), stack, yesno(stack_has_local), yesno(heap_or_anon > 0));
  pthread_attr_t attr;
  void *addr = NULL;
  size_t size = 0;
  int r = pthread_getattr_np(pthread_self(), &attr);
  if (r == 0) pthread_attr_getstack(&attr, &addr, &size);
  printf("pthread_getattr_np(main): %d, stack holds a local: %s\n", r,
         yesno(r == 0 && (unsigned long)addr <= here && here < (unsigned long)addr + size));
}

static void nop(int sig) { (void)sig; }

static void status_file(void) {
  umask(027);
  /* Caught: SIGHUP, SIGUSR1, SIGUSR2; ignored: SIGPIPE; blocked: SIGUSR1, SIGUSR2, SIGRTMIN+3;
   * pending for the thread: SIGUSR1 (raise), for the process: SIGUSR2 (kill). */
  struct sigaction sa = {0};
  sa.sa_handler = nop;
  sigaction(SIGHUP, &sa, NULL);
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGUSR2, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGUSR2);
  sigaddset(&set, SIGRTMIN + 3);
  sigprocmask(SIG_BLOCK, &set, NULL);
  raise(SIGUSR1);
  kill(getpid(), SIGUSR2);
  slurp("/proc/self/status", buf, sizeof buf);
  char v[256];
  printf("Name: %s\n", field(buf, "Name", v, sizeof v));
  printf("Umask: %s\n", field(buf, "Umask", v, sizeof v));
  printf("State: %s\n", field(buf, "State", v, sizeof v));
  printf("Tgid is getpid: %s, Pid is getpid: %s, PPid is getppid: %s, TracerPid: %ld\n", yesno(status_num(buf, "Tgid") == getpid()),
         yesno(status_num(buf, "Pid") == getpid()), yesno(status_num(buf, "PPid") == getppid()), status_num(buf, "TracerPid"));
  char expect[128];
  snprintf(expect, sizeof expect, "%d\t%d\t%d\t%d", getuid(), geteuid(), getuid(), geteuid());
  printf("Uid matches: %s\n", yesno(strcmp(field(buf, "Uid", v, sizeof v), expect) == 0));
  snprintf(expect, sizeof expect, "%d\t%d\t%d\t%d", getgid(), getegid(), getgid(), getegid());
  printf("Gid matches: %s\n", yesno(strcmp(field(buf, "Gid", v, sizeof v), expect) == 0));
  printf("NSpid is getpid: %s\n", yesno(status_num(buf, "NSpid") == getpid()));
  printf("Threads: %s\n", field(buf, "Threads", v, sizeof v));
  printf("SigPnd: %s\n", field(buf, "SigPnd", v, sizeof v));
  printf("ShdPnd: %s\n", field(buf, "ShdPnd", v, sizeof v));
  printf("SigBlk: %s\n", field(buf, "SigBlk", v, sizeof v));
  printf("SigIgn: %s\n", field(buf, "SigIgn", v, sizeof v));
  printf("SigCgt: %s\n", field(buf, "SigCgt", v, sizeof v));
  printf("VmSize > VmRSS > 0: %s, VmStk > 0: %s, VmExe > 0: %s\n", yesno(status_num(buf, "VmSize") > status_num(buf, "VmRSS") && status_num(buf, "VmRSS") > 0),
         yesno(status_num(buf, "VmStk") > 0), yesno(status_num(buf, "VmExe") > 0));
  const char *keys[] = {"Name", "Umask", "State", "Tgid", "Ngid", "Pid", "PPid", "TracerPid", "Uid", "Gid", "FDSize", "Groups",
                        "VmPeak", "VmSize", "VmRSS", "VmData", "VmStk", "VmExe", "VmLib", "Threads", "SigQ", "SigPnd", "ShdPnd",
                        "SigBlk", "SigIgn", "SigCgt", "CapInh", "CapPrm", "CapEff", "CapBnd", "Cpus_allowed_list",
                        "voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"};
  int present = 0;
  for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
    char pat[64];
    snprintf(pat, sizeof pat, "%s:\t", keys[k]);
    present += strstr(buf, pat) != NULL;
  }
  printf("status keys present: %d of %zu\n", present, sizeof keys / sizeof *keys);
  sigprocmask(SIG_UNBLOCK, &set, NULL); /* the pending signals run their handlers now */
  slurp("/proc/self/status", buf, sizeof buf);
  printf("after unblocking: SigPnd %s, ShdPnd %s\n", field(buf, "SigPnd", v, sizeof v), field(buf, "ShdPnd", expect, sizeof expect));
}

static void stat_files(void) {
  slurp("/proc/self/stat", buf, sizeof buf);
  char comm[64], state;
  unsigned long long f[64] = {0};
  int n = parse_stat(buf, comm, sizeof comm, &state, f, 63);
  printf("stat: %d fields, comm (%s), state %c\n", n, comm, state);
  printf("stat ids: pid %s, ppid %s, pgrp %s, session %s, threads %llu, exit signal %llu\n", yesno(f[1] == (unsigned)getpid()),
         yesno(f[4] == (unsigned)getppid()), yesno(f[5] == (unsigned)getpgrp()), yesno(f[6] == (unsigned)getsid(0)), f[20], f[38]);
  printf("stat: vsize > 0: %s, rss > 0: %s, startcode < endcode: %s, arg_start < arg_end <= env_start < env_end: %s, priority %llu nice %llu\n",
         yesno(f[23] > 0), yesno(f[24] > 0), yesno(f[26] < f[27]), yesno(f[48] < f[49] && f[49] <= f[50] && f[50] < f[51]), f[18], f[19]);
  unsigned long long vsize = f[23];
  slurp("/proc/self/statm", buf, sizeof buf);
  unsigned long long m[7] = {0};
  int k = sscanf(buf, "%llu %llu %llu %llu %llu %llu %llu", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5], &m[6]);
  printf("statm: %d fields, size is vsize: %s, resident <= size: %s\n", k, yesno(m[0] * 4096 == vsize), yesno(m[1] <= m[0]));
}

static void args_env(int argc, char **argv, char **envp) {
  ssize_t n = slurp("/proc/self/cmdline", buf, sizeof buf);
  char expect[4096];
  size_t e = 0;
  for (int i = 0; i < argc; i++) {
    size_t l = strlen(argv[i]) + 1;
    memcpy(expect + e, argv[i], l);
    e += l;
  }
  printf("cmdline is argv: %s (%d args)\n", yesno(n == (ssize_t)e && memcmp(buf, expect, e) == 0), argc);
  n = slurp("/proc/self/environ", buf, sizeof buf);
  e = 0;
  for (char **p = envp; *p != NULL && e < sizeof expect - 256; p++) {
    size_t l = strlen(*p) + 1;
    memcpy(expect + e, *p, l);
    e += l;
  }
  printf("environ is envp: %s\n", yesno(n == (ssize_t)e && memcmp(buf, expect, e) == 0));
  slurp("/proc/self/comm", buf, sizeof buf);
  printf("comm: %s", buf);
  /* Linux shows a program's own writes to its argument strings. */
  argv[1][0] = 'A';
  slurp("/proc/self/cmdline", buf, sizeof buf);
  printf("cmdline after argv[1][0] = 'A': %s\n", buf + strlen(buf) + 1);
}

static void limits_file(void) {
  struct rlimit rl = {100, 200};
  setrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = 0;
  rl.rlim_max = RLIM_INFINITY;
  setrlimit(RLIMIT_CORE, &rl);
  slurp("/proc/self/limits", buf, sizeof buf);
  for (char *line = strtok(buf, "\n"); line != NULL; line = strtok(NULL, "\n")) {
    if (strncmp(line, "Limit ", 6) == 0 || strncmp(line, "Max open files", 14) == 0 || strncmp(line, "Max core file size", 18) == 0)
      printf("limits: [%s]\n", line);
  }
}

/* stdin read through /proc/self/fd/0: a pipe opens again (and reads what was written to it),
 * a socket does not (ENXIO). */
static void read_stdin(void) {
  char link[PATH_MAX], got[8] = {0};
  ssize_t n = readlink("/proc/self/fd/0", link, sizeof link - 1);
  link[n > 0 ? n : 0] = 0;
  char *colon = strchr(link, ':');
  printf("fd/0 is a %.*s\n", colon != NULL ? (int)(colon - link) : 4, colon != NULL ? link : "file");
  int in = open("/proc/self/fd/0", O_RDONLY);
  n = in >= 0 ? read(in, got, 6) : -1;
  printf("read stdin through fd/0: %s %zd %s", err(in), n, n > 0 ? got : "\n");
  if (in >= 0) close(in);
}

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

static void fd_files(void) {
  int file = open("data.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
  write(file, "0123456789", 10);
  lseek(file, 4, SEEK_SET);
  int app = open("data.txt", O_WRONLY | O_APPEND | O_CLOEXEC);
  int p[2];
  pipe(p);
  int fds[64], nfd = 0;
  DIR *d = opendir("/proc/self/fd");
  for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
    if (e->d_name[0] != '.' && nfd < 64) fds[nfd++] = atoi(e->d_name);
  }
  if (d != NULL) closedir(d);
  qsort(fds, (size_t)nfd, sizeof *fds, cmp_int);
  printf("fd/:");
  for (int i = 0; i < nfd; i++) printf(" %d", fds[i]);
  printf("\n");
  char path[64], link[PATH_MAX], cwd[PATH_MAX];
  snprintf(path, sizeof path, "/proc/self/fd/%d", file);
  ssize_t n = readlink(path, link, sizeof link - 1);
  link[n > 0 ? n : 0] = 0;
  getcwd(cwd, sizeof cwd);
  strcat(cwd, "/data.txt");
  printf("fd of a file links to its path: %s\n", yesno(strcmp(link, cwd) == 0));
  struct stat a, b;
  int r = lstat(path, &a);
  printf("fd link of a read-write file: %s mode %o\n", err(r), r == 0 ? a.st_mode & 07777 : 0);
  snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
  n = readlink(path, link, sizeof link - 1);
  link[n > 0 ? n : 0] = 0;
  fstat(p[0], &b);
  char expect[64];
  snprintf(expect, sizeof expect, "pipe:[%lu]", (unsigned long)b.st_ino);
  r = lstat(path, &a);
  printf("fd of a pipe: %s, mode %o", yesno(strcmp(link, expect) == 0), r == 0 ? a.st_mode & 07777 : 0);
  printf(", stat follows to the pipe: %s\n", yesno(stat(path, &a) == 0 && S_ISFIFO(a.st_mode) && a.st_ino == b.st_ino));
  /* Opening a pipe's fd link opens the pipe itself. */
  snprintf(path, sizeof path, "/proc/self/fd/%d", p[1]);
  int w = open(path, O_WRONLY);
  printf("open write end through fd/: %s, write: %zd\n", err(w), w >= 0 ? write(w, "via", 3) : -1);
  char got[8] = {0};
  read(p[0], got, 3);
  printf("read end got: %s\n", got);
  if (w >= 0) close(w);
  printf("stat of fd/N/x for a pipe: %s\n", err(stat("/proc/self/fd/0/x", &a)));
  /* stdin (a pipe from the test) read through /proc/self/fd/0 and /dev/stdin-style paths. */
  read_stdin();
  /* fdinfo: position and open flags (octal). */
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", file);
  slurp(path, buf, sizeof buf);
  char v[64];
  printf("fdinfo of the file: pos %s flags %s\n", field(buf, "pos", v, sizeof v), field(buf, "flags", expect, sizeof expect));
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", app);
  slurp(path, buf, sizeof buf);
  printf("fdinfo of the O_APPEND|O_CLOEXEC fd: pos %s flags %s\n", field(buf, "pos", v, sizeof v), field(buf, "flags", expect, sizeof expect));
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", p[0]);
  slurp(path, buf, sizeof buf);
  printf("fdinfo of the pipe: flags %s\n", field(buf, "flags", expect, sizeof expect));
  close(file);
  close(app);
  close(p[0]);
  close(p[1]);
  snprintf(path, sizeof path, "/proc/self/fd/%d", file);
  printf("closed fd's link: %s\n", err(lstat(path, &a)));
}

static pthread_barrier_t bar;

static void *sleeper(void *arg) {
  (void)arg;
  pthread_barrier_wait(&bar);
  pthread_barrier_wait(&bar);
  return NULL;
}

static void threads_dir(void) {
  pthread_t th[2];
  pthread_barrier_init(&bar, NULL, 3);
  for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, sleeper, NULL);
  pthread_barrier_wait(&bar);
  int n = 0, own = 0, ok = 0, other = 0;
  DIR *d = opendir("/proc/self/task");
  for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
    if (e->d_name[0] == '.') continue;
    n++;
    int tid = atoi(e->d_name);
    own += tid == getpid();
    if (tid != getpid()) other = tid;
    char path[64], comm[32], state;
    unsigned long long f[64] = {0};
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
    slurp(path, buf, sizeof buf);
    ok += parse_stat(buf, comm, sizeof comm, &state, f, 63) == 52 && f[1] == (unsigned)tid && f[20] == 3;
  }
  if (d != NULL) closedir(d);
  slurp("/proc/self/status", buf, sizeof buf);
  printf("task/: %d entries, the main thread among them: %s, each stat names its tid: %s, status Threads: %ld\n", n, yesno(own == 1), yesno(ok == n),
         status_num(buf, "Threads"));
  /* A thread's directory is reachable as /proc/TID too, but /proc does not list it. */
  char path[64], name[16];
  snprintf(path, sizeof path, "/proc/%d/status", other);
  slurp(path, buf, sizeof buf);
  printf("/proc/TID of a thread: Tgid is ours: %s, Pid is the tid: %s", yesno(status_num(buf, "Tgid") == getpid()), yesno(status_num(buf, "Pid") == other));
  snprintf(name, sizeof name, "%d", other);
  int listed = 0;
  d = opendir("/proc");
  for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) listed += strcmp(e->d_name, name) == 0;
  if (d != NULL) closedir(d);
  printf(", listed in /proc: %s\n", yesno(listed));
  pthread_barrier_wait(&bar);
  for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
  /* pthread_join returns when the kernel clears the thread's tid, which Linux does before the
   * thread has left its group: natively task/ may still list it for a moment (more often on a
   * loaded machine). Look again until it is gone, for up to two seconds. */
  for (int tries = 0; tries < 2000; tries++) {
    n = 0;
    d = opendir("/proc/self/task");
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) n += e->d_name[0] != '.';
    if (d != NULL) closedir(d);
    if (n <= 1) break;
    usleep(1000);
  }
  printf("task/ after join: %d entries\n", n);
}

/* The state letter of process `pid`, waiting (up to 5 s) until it is not `skip`. */
static char state_of(pid_t pid, char skip, char *ppid_ok) {
  char path[64], comm[32], state = '?';
  unsigned long long f[64] = {0};
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  for (int i = 0; i < 5000; i++) {
    if (slurp(path, buf, sizeof buf) < 0) return '-';
    parse_stat(buf, comm, sizeof comm, &state, f, 63);
    if (state != skip) break;
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  if (ppid_ok != NULL) *ppid_ok = f[4] == (unsigned)getpid() ? 'y' : 'n';
  return state;
}

static void child_states(void) {
  int p[2];
  pipe(p);
  pid_t c = fork();
  if (c == 0) {
    char x;
    close(p[1]);
    read(p[0], &x, 1); /* sleeps until the parent closes its end */
    _exit(7);
  }
  close(p[0]);
  char ppid_ok = '?';
  char s = state_of(c, 'R', &ppid_ok);
  char path[64], v[64];
  snprintf(path, sizeof path, "/proc/%d/status", c);
  slurp(path, buf, sizeof buf);
  printf("child blocked in read: %c, ppid is us: %c, status State: %s\n", s, ppid_ok, field(buf, "State", v, sizeof v));
  snprintf(path, sizeof path, "/proc/%d/cmdline", c);
  ssize_t n = slurp(path, buf, sizeof buf);
  printf("child's cmdline is ours: %s\n", yesno(n > 0 && strstr(buf, "procfs") != NULL));
  kill(c, SIGSTOP);
  int st;
  waitpid(c, &st, WUNTRACED);
  snprintf(path, sizeof path, "/proc/%d/status", c);
  slurp(path, buf, sizeof buf);
  printf("stopped child: %c, status State: %s\n", state_of(c, 'R', NULL), field(buf, "State", v, sizeof v));
  kill(c, SIGCONT);
  close(p[1]);
  siginfo_t si;
  waitid(P_PID, (id_t)c, &si, WEXITED | WNOWAIT);
  snprintf(path, sizeof path, "/proc/%d/status", c);
  slurp(path, buf, sizeof buf);
  printf("exited, not yet reaped: %c, status State: %s, Umask line: %s\n", state_of(c, 'R', NULL), field(buf, "State", v, sizeof v),
         yesno(strstr(buf, "Umask:") != NULL));
  snprintf(path, sizeof path, "/proc/%d/stat", c);
  slurp(path, buf, sizeof buf);
  char comm[32], state;
  unsigned long long f[64] = {0};
  parse_stat(buf, comm, sizeof comm, &state, f, 63);
  printf("zombie stat: comm (%s), vsize %llu, exit code %llu\n", comm, f[23], f[52]);
  snprintf(path, sizeof path, "/proc/%d/exe", c);
  char link[PATH_MAX];
  printf("zombie exe link: %s\n", err((int)readlink(path, link, sizeof link)));
  snprintf(path, sizeof path, "/proc/%d/cmdline", c);
  printf("zombie cmdline length: %zd\n", slurp(path, buf, sizeof buf));
  waitpid(c, &st, 0);
  printf("reaped (status %d): /proc/PID is %s\n", WEXITSTATUS(st), state_of(c, 'R', NULL) == '-' ? "gone" : "still there");
  struct stat a;
  snprintf(path, sizeof path, "/proc/%d", c);
  printf("stat(/proc/PID) after reaping: %s\n", err(stat(path, &a)));
}

static void root_listing(void) {
  DIR *d = opendir("/proc");
  int self = 0, me = 0, nondir = 0, numeric = 0;
  char mine[16];
  snprintf(mine, sizeof mine, "%d", getpid());
  for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
    self += strcmp(e->d_name, "self") == 0 && e->d_type == DT_LNK;
    me += strcmp(e->d_name, mine) == 0;
    if (e->d_name[0] >= '1' && e->d_name[0] <= '9') {
      numeric++;
      nondir += e->d_type != DT_DIR;
    }
  }
  if (d != NULL) closedir(d);
  printf("/proc lists: self link %s, our pid %s, pid entries all directories: %s\n", yesno(self == 1), yesno(me == 1), yesno(numeric > 0 && nondir == 0));
  struct stat a;
  int r = stat("/proc/self/status", &a);
  printf("/proc/self/status: %s mode %o size %lld nlink %lu\n", err(r), a.st_mode, (long long)a.st_size, (unsigned long)a.st_nlink);
  r = stat("/proc/self/environ", &a);
  printf("/proc/self/environ: %s mode %o", err(r), a.st_mode);
  r = stat("/proc/self/fd", &a);
  printf(", /proc/self/fd: %s mode %o\n", err(r), a.st_mode);
  printf("/proc/self owned by our euid: %s\n", yesno(stat("/proc/self", &a) == 0 && a.st_uid == geteuid()));
}

static void global_files(void) {
  int r;
  slurp("/proc/meminfo", buf, sizeof buf);
  unsigned long total = 0, freek = 0, avail = 0;
  char *p = strstr(buf, "MemTotal:");
  if (p) sscanf(p, "MemTotal: %lu kB", &total);
  p = strstr(buf, "MemFree:");
  if (p) sscanf(p, "MemFree: %lu kB", &freek);
  p = strstr(buf, "MemAvailable:");
  if (p) sscanf(p, "MemAvailable: %lu kB", &avail);
  printf("meminfo: starts with MemTotal: %s, 0 < MemFree <= MemTotal: %s, MemAvailable: %s, SwapTotal line: %s\n",
         yesno(strncmp(buf, "MemTotal:", 9) == 0), yesno(freek > 0 && freek <= total), yesno(avail > 0), yesno(strstr(buf, "\nSwapTotal:") != NULL));
  slurp("/proc/cpuinfo", buf, sizeof buf);
  printf("cpuinfo: processor 0: %s, vendor_id: %s, flags: %s, fpu yes: %s\n", yesno(strncmp(buf, "processor\t: 0\n", 14) == 0),
         yesno(strstr(buf, "\nvendor_id\t: ") != NULL), yesno(strstr(buf, "\nflags\t\t: ") != NULL), yesno(strstr(buf, "\nfpu\t\t: yes\n") != NULL));
  slurp("/proc/stat", buf, sizeof buf);
  unsigned long long u, ni, sy, id;
  printf("stat: cpu line: %s, btime: %s, processes: %s, procs_running: %s\n", yesno(sscanf(buf, "cpu  %llu %llu %llu %llu", &u, &ni, &sy, &id) == 4),
         yesno(strstr(buf, "\nbtime ") != NULL), yesno(strstr(buf, "\nprocesses ") != NULL), yesno(strstr(buf, "\nprocs_running ") != NULL));
  double up, idle;
  slurp("/proc/uptime", buf, sizeof buf);
  printf("uptime: two numbers: %s\n", yesno(sscanf(buf, "%lf %lf", &up, &idle) == 2 && up > 0));
  slurp("/proc/loadavg", buf, sizeof buf);
  double l1, l5, l15;
  int run, all, last;
  int k = sscanf(buf, "%lf %lf %lf %d/%d %d", &l1, &l5, &l15, &run, &all, &last);
  printf("loadavg: five fields: %s, running <= total: %s\n", yesno(k == 6), yesno(k == 6 && run <= all));
  slurp("/proc/version", buf, sizeof buf);
  printf("version starts with Linux version: %s\n", yesno(strncmp(buf, "Linux version ", 14) == 0));
  slurp("/proc/filesystems", buf, sizeof buf);
  printf("filesystems has proc: %s\n", yesno(strstr(buf, "nodev\tproc\n") != NULL));
  slurp("/proc/sys/kernel/ostype", buf, sizeof buf);
  printf("sys/kernel/ostype: %s", buf);
  slurp("/proc/sys/kernel/pid_max", buf, sizeof buf);
  printf("pid_max > our pid: %s\n", yesno(atol(buf) > getpid()));
  slurp("/proc/sys/kernel/osrelease", buf, sizeof buf);
  struct stat a;
  r = stat("/proc/sys/kernel/osrelease", &a);
  printf("osrelease ends in a newline: %s, %s mode %o\n", yesno(buf[0] != 0 && buf[strlen(buf) - 1] == '\n'), err(r), a.st_mode);
  slurp("/proc/sys/vm/overcommit_memory", buf, sizeof buf);
  printf("overcommit_memory is 0, 1 or 2: %s\n", yesno(buf[0] >= '0' && buf[0] <= '2' && buf[1] == '\n'));
  buf[0] = 0;
  slurp("/proc/sys/vm/max_map_count", buf, sizeof buf);
  printf("max_map_count at least Linux's default 65530: %s\n", yesno(atol(buf) >= 65530));
  char link[64];
  ssize_t n = readlink("/proc/mounts", link, sizeof link - 1);
  link[n > 0 ? n : 0] = 0;
  printf("/proc/mounts -> %s\n", link);
  slurp("/proc/self/mounts", buf, sizeof buf);
  printf("mounts has proc on /proc: %s\n", yesno(strstr(buf, "proc /proc proc ") != NULL));
}

static void refusals(void) {
  int fd = open("/proc/self/status", O_WRONLY);
  printf("open status for writing: %s", err(fd));
  if (fd >= 0) {
    printf(", write: %s", err((int)write(fd, "x", 1)));
    close(fd);
  }
  fd = open("/proc/version", O_WRONLY);
  printf("; version: %s", err(fd));
  if (fd >= 0) {
    printf(", write: %s", err((int)write(fd, "x", 1)));
    close(fd);
  }
  fd = open("/proc/sys/kernel/ostype", O_WRONLY);
  printf("; ostype: %s\n", err(fd));
  if (fd >= 0) close(fd);
  printf("create /proc/new: %s, mkdir /proc/x: %s, unlink /proc/version: %s, rmdir /proc/self/fd: %s\n",
         err(open("/proc/new", O_CREAT | O_WRONLY, 0644)), err(mkdir("/proc/x", 0755)), err(unlink("/proc/version")), err(rmdir("/proc/self/fd")));
  printf("rename /proc/version out: %s, symlink in /proc: %s, open O_EXCL existing: %s\n", err(rename("/proc/version", "v")),
         err(symlink("x", "/proc/self/y")), err(open("/proc/version", O_CREAT | O_EXCL | O_WRONLY, 0644)));
  struct stat a;
  char l[8];
  printf("stat /proc/nothere: %s, /proc/version/x: %s, readlink /proc/version: %s, open /proc/self O_WRONLY: %s, /proc/version O_DIRECTORY: %s, /proc/self O_NOFOLLOW: %s\n",
         err(stat("/proc/nothere", &a)), err(stat("/proc/version/x", &a)), err((int)readlink("/proc/version", l, sizeof l)),
         err(open("/proc/self", O_WRONLY)), err(open("/proc/version", O_RDONLY | O_DIRECTORY)), err(open("/proc/self", O_RDONLY | O_NOFOLLOW)));
  fd = open("/proc/meminfo", O_RDONLY);
  printf("lseek SEEK_END on meminfo: %s, SEEK_SET 5: %s", err((int)lseek(fd, 0, SEEK_END)), err((int)lseek(fd, 5, SEEK_SET)));
  char b[6] = {0};
  printf(", then read: %s\n", read(fd, b, 5) == 5 ? b : "?");
  close(fd);
  fd = open("/proc/self", O_RDONLY | O_DIRECTORY);
  printf("read a /proc directory: %s\n", err((int)read(fd, b, 1)));
  close(fd);
}

static void oom_read(const char *f) {
  char b[32] = {0};
  int fd = open(f, O_RDONLY);
  int n = fd < 0 ? -1 : (int)read(fd, b, sizeof b - 1);
  if (fd >= 0) close(fd);
  printf("  %s: %s", f, n > 0 ? b : "(unreadable)\n");
}

static void oom_write(const char *f, const char *v) {
  int fd = open(f, O_WRONLY);
  if (fd < 0) {
    printf("  open %s for writing: %s\n", f, strerror(errno));
    return;
  }
  ssize_t n = write(fd, v, strlen(v));
  printf("  %s <- %s: %s\n", f, v, n < 0 ? strerror(errno) : "ok");
  close(fd);
}

/* oom_score_adj and oom_adj: kept, mapped between their scales, checked. CAP_SYS_RESOURCE is
 * dropped first (a sandboxed host's root may lack it): going below 0 is then EACCES. After
 * setuid a process is no longer dumpable: its /proc files are root's. */
static void oom_files(void) {
  printf("oom:\n");
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    if (drop_capability(24) != 0) printf("  capset: %s\n", strerror(errno)); /* CAP_SYS_RESOURCE */
    oom_read("/proc/self/oom_score_adj");
    oom_read("/proc/self/oom_adj");
    oom_write("/proc/self/oom_score_adj", "100\n");
    oom_read("/proc/self/oom_score_adj");
    oom_read("/proc/self/oom_adj");
    oom_write("/proc/self/oom_score_adj", "1001");
    oom_write("/proc/self/oom_score_adj", "ten");
    oom_write("/proc/self/oom_score_adj", "-100");
    oom_write("/proc/self/oom_adj", "15");
    oom_read("/proc/self/oom_score_adj");
    oom_write("/proc/self/oom_adj", "16");
    oom_write("/proc/self/oom_adj", "-17");
    oom_write("/proc/self/oom_score_adj", "0");
    oom_read("/proc/self/oom_adj");
    /* (fopen's "w" truncates on the way: accepted, as on Linux) */
    FILE *w = fopen("/proc/self/oom_score_adj", "w");
    printf("  fopen(\"w\"): %s", w != NULL ? "ok" : strerror(errno));
    if (w != NULL) printf(", fprintf and fclose: %s\n", fprintf(w, "%d", 300) > 0 && fclose(w) == 0 ? "ok" : strerror(errno));
    else printf("\n");
    oom_read("/proc/self/oom_score_adj");
    printf("  dumpable %d, ", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
    if (setuid(65534) != 0) printf("setuid: %s\n", strerror(errno));
    printf("after setuid %d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
    oom_write("/proc/self/oom_score_adj", "500");
    struct stat st;
    stat("/proc/self/status", &st);
    printf("  /proc/self/status owned by uid %u\n", (unsigned)st.st_uid);
    fflush(stdout);
    _exit(0);
  }
  waitpid(c, NULL, 0);
}

int main(int argc, char **argv, char **envp) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc == 2 && strcmp(argv[1], "stdin") == 0) {
    read_stdin();
    return 0;
  }
  /* Only descriptors this program opens are listed: close what a test runner may leak. */
  for (int fd = 3; fd < 1024; fd++) close(fd);
  self_links(argv[0]);
  maps_file(argv[0]);
  status_file();
  stat_files();
  args_env(argc, argv, envp);
  limits_file();
  fd_files();
  threads_dir();
  child_states();
  root_listing();
  global_files();
  refusals();
  oom_files();
  return 0;
}
