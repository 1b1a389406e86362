/* init: the first process of the default image (exojit boot starts /sbin/init as pid 1).
 *
 * What it does, in order:
 *  1. If descriptors 0, 1 or 2 are not open, opens the console (console=, default
 *     /dev/console) read-write onto them.
 *  2. As pid 1: changes to /, starts a session (setsid) and makes the console its controlling
 *     terminal (TIOCSCTTY) when stdin is a terminal.
 *  3. Runs the start-up script (rc=, default /etc/rc) with the shell, if it exists, and waits;
 *     as pid 1 it runs "sh /etc/rc autoboot" (the BSD convention), so the script can tell a
 *     boot from a test.
 *  4. Starts the shell (sh=, default /bin/sh) in a process group of its own, in the terminal's
 *     foreground: interactive (sh -i) when stdin is a terminal, otherwise it reads commands
 *     from stdin (a scripted session). As pid 1 the shell is a login shell (argv[0] "-sh",
 *     which runs /etc/profile).
 *  5. Reaps every child (orphans are re-parented to pid 1) until the shell exits; then syncs
 *     the file systems and exits with the shell's status (128+N if signal N killed it).
 *
 * Arguments (exojit boot passes its --append words as argv, as Linux passes the kernel command
 * line): sh=PATH, rc=PATH (empty: no script), console=PATH, "single" (no start-up script),
 * and NAME=VALUE for any other NAME, which goes into the environment. Anything else is
 * reported and ignored. The environment gets PATH, HOME, SHELL and TERM unless given.
 *
 * Not process 1 (run by hand, or natively in tests) it degrades to a supervisor: it keeps its
 * working directory and session, asks to be its descendants' reaper instead of pid 1
 * (PR_SET_CHILD_SUBREAPER, where the kernel has it) and starts a plain (non-login) shell;
 * the rest is the same.
 *
 * Signals: init ignores SIGTTOU, SIGTTIN and SIGTSTP (it hands the terminal over with
 * tcsetpgrp and must never stop) and, as pid 1, SIGINT, SIGQUIT, SIGHUP and SIGTERM; its
 * children start with every signal at its default. */
#include "libc.h"

#define NR_prctl 172
#define PR_SET_CHILD_SUBREAPER 36

static const char *shell = "/bin/sh", *rc = "/etc/rc", *console = "/dev/console";
static int is_pid1, on_tty;

static const int IGNORED[] = { SIGTTOU, SIGTTIN, SIGTSTP, SIGINT, SIGQUIT, SIGHUP, SIGTERM };
#define N_IGNORED (is_pid1 ? 7 : 3)

static void open_console(void) {
  for (int fd = 0; fd < 3; fd++) {
    if (fcntl(fd, F_GETFD) >= 0) continue;
    int c = open(console, O_RDWR);
    if (c < 0) return; /* nowhere to speak: go on silently */
    if (c != fd) {
      dup2(c, fd);
      close(c);
    }
  }
}

static void parse_args(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    char *a = argv[i], *eq = strchr(a, '=');
    if (strncmp(a, "sh=", 3) == 0) shell = a + 3;
    else if (strncmp(a, "rc=", 3) == 0) rc = a + 3;
    else if (strncmp(a, "console=", 8) == 0) console = a + 8;
    else if (strcmp(a, "single") == 0) rc = "";
    else if (eq && eq > a) {
      *eq = 0;
      setenv(a, eq + 1, 1);
      *eq = '=';
    } else fprintf(stderr, "init: ignoring argument '%s'\n", a);
  }
}

/* fork, with the child's signals back at their defaults. */
static pid_t spawn(void) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0)
    for (int i = 0; i < N_IGNORED; i++) signal(IGNORED[i], SIG_DFL);
  if (pid < 0) fprintf(stderr, "init: fork: %s\n", strerror(errno));
  return pid;
}

/* Reaps children until `pid` ends; returns its wait status. */
static int wait_for(pid_t pid) {
  for (;;) {
    int st;
    pid_t got = waitpid(-1, &st, 0);
    if (got == pid) return st;
    if (got < 0 && errno != EINTR) return 0;
  }
}

static void run_rc(void) {
  if (!*rc || access(rc, R_OK) < 0) return;
  pid_t pid = spawn();
  if (pid == 0) {
    execl(shell, "sh", rc, is_pid1 ? "autoboot" : (char *)NULL, (char *)NULL);
    fprintf(stderr, "init: cannot run %s: %s\n", shell, strerror(errno));
    _exit(127);
  }
  if (pid < 0) return;
  int st = wait_for(pid);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
    fprintf(stderr, "init: %s failed (status %d)\n", rc, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

static int run_shell(void) {
  pid_t pid = spawn();
  if (pid == 0) {
    setpgid(0, 0);
    if (on_tty) tcsetpgrp(0, getpid());
    const char *name = is_pid1 ? "-sh" : "sh";
    if (on_tty) execl(shell, name, "-i", (char *)NULL);
    else execl(shell, name, (char *)NULL);
    fprintf(stderr, "init: cannot run %s: %s\n", shell, strerror(errno));
    _exit(127);
  }
  if (pid < 0) return 127;
  setpgid(pid, pid);
  if (on_tty) tcsetpgrp(0, pid);
  int st = wait_for(pid);
  if (on_tty) tcsetpgrp(0, getpgrp());
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv) {
  is_pid1 = getpid() == 1;
  parse_args(argc, argv);
  open_console();
  for (int i = 0; i < N_IGNORED; i++) signal(IGNORED[i], SIG_IGN);
  setenv("PATH", "/bin:/sbin:/usr/bin:/usr/sbin", 0);
  setenv("HOME", "/root", 0);
  setenv("SHELL", shell, 0);
  setenv("TERM", "linux", 0);
  on_tty = isatty(0);
  if (is_pid1) {
    chdir("/");
    setsid();
    if (on_tty) ioctl(0, TIOCSCTTY, 0);
  } else {
    __syscall(NR_prctl, PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0, 0);
  }
  run_rc();
  int status = run_shell();
  sync();
  return status;
}
