/* Jobs: each pipeline or program the shell starts is a job, its processes one process group
 * when job control is on (an interactive shell on a terminal). A foreground job gets the
 * terminal (tcsetpgrp) until it ends or stops; a stopped job keeps its terminal modes for fg.
 * Children are reaped with waitpid(-1) wherever the shell waits, and the status is filed with
 * the job the pid belongs to. An interactive shell reports finished and stopped background jobs
 * before its prompt; a script keeps them until `wait` collects them. */
#include "sh.h"

enum { RUNNING, STOPPED, DONE };

typedef struct {
  pid_t pid;
  int state;
  int status; /* the wait status, once it has one */
} Proc;

struct Job {
  Job *next;
  int id;
  pid_t pgid;
  Proc *procs;
  int nprocs;
  char *text;
  int background;
  int reported;     /* its stop has been announced */
  int has_tmodes;
  struct termios tmodes; /* the terminal as it was when the job stopped */
};

static Job *jobs;
static Job *current; /* what fg and bg act on without an operand: the newest job started or stopped */
int tty_fd = -1;
pid_t shell_pgid;
static struct termios shell_tmodes;
static int have_shell_tmodes;

void jobs_init(void) {
  int fd = fcntl(0, F_DUPFD_CLOEXEC, 10);
  if (fd < 0 || !isatty(fd)) {
    if (fd >= 0) close(fd);
    return;
  }
  /* Wait to be in the foreground (a shell started in the background stops here). */
  for (;;) {
    pid_t fg = tcgetpgrp(fd);
    if (fg < 0) {
      close(fd);
      return;
    }
    if (fg == getpgrp()) break;
    kill(0, SIGTTIN);
  }
  signal(SIGTTOU, SIG_IGN);
  shell_pgid = getpid();
  if (getpgrp() != shell_pgid && setpgid(0, shell_pgid) < 0) shell_pgid = getpgrp();
  tcsetpgrp(fd, shell_pgid);
  have_shell_tmodes = tcgetattr(fd, &shell_tmodes) == 0;
  tty_fd = fd;
  jobctl = 1;
}

Job *job_new(const char *text, int background) {
  Job *j = xmalloc(sizeof *j);
  memset(j, 0, sizeof *j);
  int id = 0;
  for (Job *k = jobs; k; k = k->next)
    if (k->id > id) id = k->id;
  j->id = id + 1;
  j->text = xstrdup(text);
  j->background = background;
  Job **tail = &jobs;
  while (*tail) tail = &(*tail)->next;
  *tail = j;
  return j;
}

void job_add(Job *j, pid_t pid) {
  Proc *p = xrealloc(j->procs, (j->nprocs + 1) * sizeof *p);
  j->procs = p;
  p[j->nprocs++] = (Proc){ pid, RUNNING, 0 };
  if (!j->pgid) j->pgid = pid;
}

pid_t job_pgid(Job *j) { return j->pgid; }

static void job_free(Job *j) {
  for (Job **p = &jobs; *p; p = &(*p)->next)
    if (*p == j) {
      *p = j->next;
      break;
    }
  if (current == j) current = NULL;
  free(j->procs);
  free(j->text);
  free(j);
}

static int job_state(Job *j) {
  int stopped = 0;
  for (int i = 0; i < j->nprocs; i++) {
    if (j->procs[i].state == RUNNING) return RUNNING;
    if (j->procs[i].state == STOPPED) stopped = 1;
  }
  return stopped ? STOPPED : DONE;
}

/* The status $? gets from a wait status. */
static int exit_code(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSTOPPED(st)) return 128 + WSTOPSIG(st);
  return 128 + WTERMSIG(st);
}

static int job_status(Job *j) { return j->nprocs ? exit_code(j->procs[j->nprocs - 1].status) : 0; }

/* Files a wait status with the process it belongs to. */
static void record(pid_t pid, int st) {
  for (Job *j = jobs; j; j = j->next)
    for (int i = 0; i < j->nprocs; i++) {
      Proc *p = &j->procs[i];
      if (p->pid != pid) continue;
      p->status = st;
      if (WIFSTOPPED(st)) p->state = STOPPED, j->reported = 0;
      else if (WIFCONTINUED(st)) p->state = RUNNING;
      else p->state = DONE;
      return;
    }
}

/* Waits for any child and files its status; 0 when there is nothing to wait for. */
static int reap(int options) {
  int st;
  pid_t pid = waitpid(-1, &st, options | WUNTRACED);
  if (pid > 0) {
    record(pid, st);
    return 1;
  }
  if (pid < 0 && errno == ECHILD) /* nothing left: every job we believe running has ended */
    for (Job *j = jobs; j; j = j->next)
      for (int i = 0; i < j->nprocs; i++)
        if (j->procs[i].state != DONE) j->procs[i].state = DONE;
  return pid < 0 && errno == EINTR ? -1 : 0;
}

/* "Done", "Exit 3", "Stopped", "Running" or a signal's description, as jobs shows them. */
static const char *state_text(Job *j, char *buf, size_t n) {
  int s = job_state(j);
  if (s == RUNNING) return "Running";
  if (s == STOPPED) return "Stopped";
  int st = j->procs[j->nprocs - 1].status;
  if (WIFSIGNALED(st)) return strsignal(WTERMSIG(st));
  if (WEXITSTATUS(st)) return snprintf(buf, n, "Exit %d", WEXITSTATUS(st)), buf;
  return "Done";
}

static char marker(Job *j) {
  if (j == current) return '+';
  Job *prev = NULL;
  for (Job *k = jobs; k; k = k->next)
    if (k != current && (!prev || k->id > prev->id)) prev = k;
  return j == prev ? '-' : ' ';
}

static void print_job(Job *j) {
  char buf[32];
  int running = job_state(j) == RUNNING;
  fprintf(stdout, "[%d]%c  %-24s%s%s\n", j->id, marker(j), state_text(j, buf, sizeof buf), j->text, running ? " &" : "");
}

/* Takes the terminal back for the shell after a foreground job. */
static void reclaim_terminal(Job *j) {
  if (!jobctl) return;
  tcsetpgrp(tty_fd, shell_pgid);
  if (job_state(j) == STOPPED) j->has_tmodes = tcgetattr(tty_fd, &j->tmodes) == 0;
  if (have_shell_tmodes) tcsetattr(tty_fd, TCSADRAIN, &shell_tmodes);
}

int job_wait_fg(Job *j) {
  while (job_state(j) == RUNNING)
    if (reap(0) == 0 && job_state(j) == RUNNING) break;
  reclaim_terminal(j);
  if (job_state(j) == STOPPED) {
    j->background = 1;
    j->reported = 1;
    current = j;
    fflush(stdout);
    fprintf(stderr, "\n[%d]+  %-24s%s\n", j->id, "Stopped", j->text);
    for (int i = j->nprocs - 1; i >= 0; i--)
      if (j->procs[i].state == STOPPED) return exit_code(j->procs[i].status);
  }
  int st = j->nprocs ? j->procs[j->nprocs - 1].status : 0;
  if (j->nprocs && WIFSIGNALED(st)) {
    int sig = WTERMSIG(st);
    if (sig == SIGINT) {
      if (interactive) fputc('\n', stderr);
    } else if (sig != SIGPIPE) {
      fprintf(stderr, "%s%s\n", strsignal(sig), (st & 0x80) ? " (core dumped)" : "");
    }
  }
  int code = job_status(j);
  job_free(j);
  return code;
}

void job_started_bg(Job *j) {
  current = j;
  if (interactive) fprintf(stderr, "[%d] %d\n", j->id, j->procs[j->nprocs - 1].pid);
}

void jobs_poll(int report) {
  while (reap(WNOHANG) > 0) {}
  if (!report) return;
  for (Job *j = jobs, *next; j; j = next) {
    next = j->next;
    int s = job_state(j);
    if (s == DONE && j->background) {
      print_job(j);
      job_free(j);
    } else if (s == STOPPED && !j->reported) {
      j->reported = 1;
      print_job(j);
    }
  }
  fflush(stdout);
}

/* The job an operand names: %N, %+ (or %% or nothing), %-, %PREFIX, or a bare job number. */
static Job *find(const char *spec) {
  if (!spec || strcmp(spec, "%%") == 0 || strcmp(spec, "%+") == 0 || strcmp(spec, "%") == 0) {
    if (current) return current;
    Job *last = NULL;
    for (Job *j = jobs; j; j = j->next) last = j;
    return last;
  }
  if (*spec == '%') spec++;
  if (strcmp(spec, "-") == 0) {
    for (Job *j = jobs; j; j = j->next)
      if (marker(j) == '-') return j;
    return NULL;
  }
  char *end;
  long id = strtol(spec, &end, 10);
  for (Job *j = jobs; j; j = j->next) {
    if (*spec && !*end && j->id == id) return j;
    if (*end && strncmp(j->text, spec, strlen(spec)) == 0) return j;
  }
  return NULL;
}

static void continue_job(Job *j, int foreground) {
  for (int i = 0; i < j->nprocs; i++)
    if (j->procs[i].state == STOPPED) j->procs[i].state = RUNNING;
  j->background = !foreground;
  if (jobctl) kill(-j->pgid, SIGCONT);
  else
    for (int i = 0; i < j->nprocs; i++) kill(j->procs[i].pid, SIGCONT);
}

int builtin_fg(int argc, char **argv) {
  if (!jobctl) return sh_error("fg: no job control"), 1;
  Job *j = find(argc > 1 ? argv[1] : NULL);
  if (!j) return sh_error("fg: %s: no such job", argc > 1 ? argv[1] : "current"), 1;
  /* The terminal goes to the job before anything is printed: whoever sees the command's name
   * can type at the job. */
  tcsetpgrp(tty_fd, j->pgid);
  if (j->has_tmodes) tcsetattr(tty_fd, TCSADRAIN, &j->tmodes);
  printf("%s\n", j->text);
  fflush(stdout);
  continue_job(j, 1);
  return job_wait_fg(j);
}

int builtin_bg(int argc, char **argv) {
  if (!jobctl) return sh_error("bg: no job control"), 1;
  int status = 0;
  for (int i = 1; i < argc || i == 1; i++) {
    Job *j = find(argc > 1 ? argv[i] : NULL);
    if (!j) {
      sh_error("bg: %s: no such job", argc > 1 ? argv[i] : "current");
      status = 1;
      continue;
    }
    continue_job(j, 0);
    current = j;
    printf("[%d]%c %s &\n", j->id, marker(j), j->text);
  }
  return status;
}

int builtin_jobs(int argc, char **argv) {
  jobs_poll(0);
  for (Job *j = jobs, *next; j; j = next) {
    next = j->next;
    if (argc > 1 && find(argv[1]) != j) continue;
    print_job(j);
    if (job_state(j) == DONE) job_free(j);
  }
  return 0;
}

/* Waits until j is no longer running; -1 if a signal (^C) interrupted the wait. */
static int wait_job(Job *j) {
  while (job_state(j) == RUNNING) {
    int r = reap(0);
    if (r < 0 && interactive) return -1;
    if (r == 0 && job_state(j) == RUNNING) break;
  }
  return 0;
}

int builtin_wait(int argc, char **argv) {
  if (argc < 2) {
    for (Job *j = jobs, *next; j; j = next) {
      next = j->next;
      if (wait_job(j) < 0) return 130;
      if (job_state(j) == DONE) job_free(j);
    }
    return 0;
  }
  int status = 0;
  for (int i = 1; i < argc; i++) {
    Job *j = NULL;
    int proc = -1;
    if (argv[i][0] == '%') {
      j = find(argv[i]);
    } else {
      pid_t pid = atoi(argv[i]);
      for (Job *k = jobs; k && !j; k = k->next)
        for (int p = 0; p < k->nprocs; p++)
          if (k->procs[p].pid == pid) j = k, proc = p;
    }
    if (!j) {
      sh_error("wait: %s: no such job or child process", argv[i]);
      status = 127;
      continue;
    }
    if (wait_job(j) < 0) return 130;
    status = proc >= 0 && j->procs[proc].state == DONE ? exit_code(j->procs[proc].status) : job_status(j);
    if (job_state(j) == DONE) job_free(j);
  }
  return status;
}

int job_kill_operands(const char *spec, Args *out) {
  Job *j = find(spec);
  if (!j) return 0;
  char buf[16];
  if (jobctl) {
    snprintf(buf, sizeof buf, "-%d", j->pgid);
    args_add(out, astrdup(buf));
  } else {
    for (int i = 0; i < j->nprocs; i++) {
      snprintf(buf, sizeof buf, "%d", j->procs[i].pid);
      args_add(out, astrdup(buf));
    }
  }
  return 1;
}
