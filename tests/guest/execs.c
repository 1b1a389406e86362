/* exec: a chain of execs of this program (static), of a dynamically linked helper, and of #!
 * scripts (with and without an interpreter argument, nested), keeping the pid; what exec keeps
 * and what it drops: close-on-exec descriptors close, others stay open at the same offset;
 * caught signals revert to SIG_DFL, ignored ones stay ignored, the mask and pending signals
 * stay; and the errors: ENOENT, EACCES, ENOEXEC, E2BIG not hit by a long argument list but by
 * one argument over 32 pages; execveat of an O_PATH descriptor.
 *
 * Run as: execs DYNAMIC_HELPER (the path of a dynamically linked program that prints its
 * arguments). Scripts are written to the working directory. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void usr1(int s) { (void)s; }

/* The later links of the chain: this program exec'd with "stage N". */
static int stage(int argc, char **argv) {
  int n = atoi(argv[2]);
  printf("stage %d: pid %s, argc %d, args:", n, getpid() == atoi(getenv("CHAIN_PID")) ? "kept" : "CHANGED", argc);
  for (int i = 3; i < argc; i++) printf(" [%s]", argv[i]);
  printf("\n");
  if (n == 1) {
    /* fd 10 was close-on-exec, fd 11 not; 11's offset was 3 */
    char c;
    int r10 = fcntl(10, F_GETFD);
    off_t off = lseek(11, 0, SEEK_CUR);
    int rd = read(11, &c, 1);
    printf("fd 10 after exec: %s; fd 11: offset %ld, reads '%c' %d\n", r10 < 0 ? strerror(errno) : "open", (long)off, c, rd);
    struct sigaction sa;
    sigaction(SIGUSR1, NULL, &sa);
    printf("caught SIGUSR1 now %s; ", sa.sa_handler == SIG_DFL ? "SIG_DFL" : "still caught");
    sigaction(SIGUSR2, NULL, &sa);
    printf("ignored SIGUSR2 %s; ", sa.sa_handler == SIG_IGN ? "still ignored" : "reset");
    sigset_t m, pend;
    sigprocmask(SIG_BLOCK, NULL, &m);
    sigpending(&pend);
    printf("SIGHUP still blocked %d, still pending %d\n", sigismember(&m, SIGHUP), sigismember(&pend, SIGHUP));
    fflush(stdout);
    char *next[] = {argv[0], "stage", "2", "many", "args", NULL};
    execv("/proc/self/exe", next);
    printf("exec /proc/self/exe: %s\n", strerror(errno));
    return 1;
  }
  return 40 + n;
}

static void write_script(const char *name, const char *text) {
  FILE *f = fopen(name, "w");
  fputs(text, f);
  fclose(f);
  chmod(name, 0755);
}

static int run(char *const *argv) {
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    execv(argv[0], argv);
    printf("exec %s: %s\n", argv[0], strerror(errno));
    fflush(stdout);
    _exit(127);
  }
  int st;
  waitpid(p, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv) {
  if (getenv("EXECS_WAIT") != NULL) {
    /* exec'd by the setpgid check: says so on fd 20, then waits for fd 21 to close */
    char c;
    write(20, "x", 1);
    read(21, &c, 1);
    return 0;
  }
  if (getenv("EXECS_NO_ARGS") != NULL) {
    /* exec'd with an empty argument list: Linux (5.18+) passes one empty argv[0] */
    printf("exec with no arguments: argc %d, argv[0] '%s', argv[1] %s\n", argc, argc > 0 ? argv[0] : "(none)", argc > 0 && argv[1] == NULL ? "NULL" : "set");
    return 0;
  }
  if (argc >= 3 && strcmp(argv[1], "stage") == 0) return stage(argc, argv);
  if (argc >= 2 && strncmp(argv[1], "echo", 4) == 0) {
    /* used as a #! interpreter: print what the kernel passed */
    printf("interpreter got %d args:", argc);
    for (int i = 1; i < argc; i++) printf(" [%s]", argv[i]);
    printf("\n");
    return 0;
  }
  if (argc < 2) return 2;
  const char *dynamic = argv[1];
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  self[n < 0 ? 0 : n] = 0;

  /* 1. the chain, run in a child so its exit status can be checked */
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    char pid[16];
    snprintf(pid, sizeof pid, "%d", getpid());
    setenv("CHAIN_PID", pid, 1);
    int fd = open(self, O_RDONLY);
    dup2(fd, 10);
    dup2(fd, 11);
    close(fd);
    fcntl(10, F_SETFD, FD_CLOEXEC);
    lseek(11, 1, SEEK_SET);
    char magic[2];
    read(11, magic, 2); /* offset 3 now: reads the 'F' of "\177ELF" next */
    signal(SIGUSR1, usr1);
    signal(SIGUSR2, SIG_IGN);
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGHUP);
    sigprocmask(SIG_BLOCK, &m, NULL);
    raise(SIGHUP);
    char *next[] = {self, "stage", "1", "a b", "", NULL};
    execv(self, next);
    _exit(99);
  }
  int st;
  waitpid(p, &st, 0);
  printf("chain ended with status %d\n", WEXITSTATUS(st));

  /* an empty argument list */
  fflush(stdout);
  if ((p = fork()) == 0) {
    char *none[] = {NULL}, *env[] = {"EXECS_NO_ARGS=1", NULL};
    execve(self, none, env);
    _exit(98);
  }
  waitpid(p, &st, 0);

  /* setpgid of a child: allowed before its exec, EACCES after (POSIX) */
  {
    int ready[2], go[2];
    pipe(ready);
    pipe(go);
    fflush(stdout);
    if ((p = fork()) == 0) {
      dup2(ready[1], 20);
      dup2(go[0], 21);
      close(ready[0]), close(ready[1]), close(go[0]), close(go[1]);
      char *wargs[] = {self, NULL}, *wenv[] = {"EXECS_WAIT=1", NULL};
      execve(self, wargs, wenv);
      _exit(97);
    }
    close(ready[1]);
    close(go[0]);
    char c;
    read(ready[0], &c, 1);
    errno = 0;
    int r = setpgid(p, p);
    printf("setpgid of a child after its exec: %d %s\n", r, strerror(errno));
    close(go[1]);
    waitpid(p, &st, 0);
    close(ready[0]);
  }

  /* 2. a dynamically linked program */
  char *dyn[] = {(char *)dynamic, "dynamic", "works", NULL};
  printf("dynamic: status %d\n", run(dyn));
  /* the same with an unlimited stack (ulimit -s unlimited): the program and its interpreter
   * still find room below the stack */
  struct rlimit keep, unlimited = {RLIM_INFINITY, RLIM_INFINITY};
  getrlimit(RLIMIT_STACK, &keep);
  unlimited.rlim_max = keep.rlim_max;
  setrlimit(RLIMIT_STACK, &unlimited);
  printf("dynamic, unlimited stack: status %d\n", run(dyn));
  setrlimit(RLIMIT_STACK, &keep);

  /* 3. #! scripts: plain, with one argument (spaces kept), nested, and broken ones */
  char text[5000];
  snprintf(text, sizeof text, "#!%s echo\nignored\n", self);
  write_script("script-plain", text);
  snprintf(text, sizeof text, "#!%s   echo  with  spaces  \n", self);
  write_script("script-arg", text);
  snprintf(text, sizeof text, "#!./script-plain\n"); /* relative to the working directory */
  write_script("script-nested", text);
  write_script("script-missing", "#!/no/such/interpreter\n");
  write_script("script-empty", "#!\n");
  write_script("not-a-program", "just text\n");
  chmod("not-a-program", 0755);
  write_script("not-executable", "#!/bin/sh\n");
  chmod("not-executable", 0644);
  char *s1[] = {"./script-plain", "x", "y", NULL};
  printf("script-plain: status %d\n", run(s1));
  char *s2[] = {"./script-arg", "z", NULL};
  printf("script-arg: status %d\n", run(s2));
  char *s3[] = {"./script-nested", "q", NULL};
  printf("script-nested: status %d\n", run(s3));
  const char *bad[] = {"./script-missing", "./script-empty", "./not-a-program", "./not-executable", "./no-such-file", "."};
  for (int i = 0; i < 6; i++) {
    errno = 0;
    char *av[] = {(char *)bad[i], NULL};
    execv(bad[i], av);
    printf("exec %s fails: %s\n", bad[i], strerror(errno));
  }

  /* 4. a long argument list and environment reach the program intact */
  static char *many[2100];
  static char store[2100][16];
  many[0] = self;
  many[1] = "stage";
  many[2] = "7";
  for (int i = 3; i < 2099; i++) {
    snprintf(store[i], sizeof store[i], "%d", i);
    many[i] = store[i];
  }
  many[2099] = NULL;
  fflush(stdout);
  if ((p = fork()) == 0) {
    int out = open("/dev/null", O_WRONLY);
    dup2(out, 1);
    char pid[16];
    snprintf(pid, sizeof pid, "%d", getpid());
    setenv("CHAIN_PID", pid, 1);
    execv(self, many);
    _exit(99);
  }
  waitpid(p, &st, 0);
  printf("2099 arguments: status %d\n", WEXITSTATUS(st));
  /* one argument longer than MAX_ARG_STRLEN (32 pages) */
  size_t longest = 40 * 4096;
  char *huge = malloc(longest);
  memset(huge, 'a', longest - 1);
  huge[longest - 1] = 0;
  char *toolong[] = {self, "stage", "8", huge, NULL};
  errno = 0;
  execv(self, toolong);
  printf("an argument of %zu bytes: %s\n", longest, strerror(errno));
  free(huge);

  /* 5. execveat on a descriptor opened with O_PATH (fexecve's way for a file it may not read) */
  fflush(stdout);
  if ((p = fork()) == 0) {
    int fd = open(self, O_PATH | O_CLOEXEC);
    char pid[16];
    snprintf(pid, sizeof pid, "%d", getpid());
    setenv("CHAIN_PID", pid, 1);
    char *args[] = {self, "stage", "9", "by", "descriptor", NULL};
    syscall(SYS_execveat, fd, "", args, environ, AT_EMPTY_PATH);
    printf("execveat of an O_PATH descriptor: %s\n", strerror(errno));
    _exit(99);
  }
  waitpid(p, &st, 0);
  printf("execveat of an O_PATH descriptor: status %d\n", WEXITSTATUS(st));
  unlink("script-plain");
  unlink("script-arg");
  unlink("script-nested");
  unlink("script-missing");
  unlink("script-empty");
  unlink("not-a-program");
  unlink("not-executable");
  return 0;
}
