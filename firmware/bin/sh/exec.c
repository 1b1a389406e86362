/* Running the syntax tree: simple commands (functions, builtins, or programs found on PATH and
 * started in a child), pipelines, and-or lists, background jobs, subshells, and the compound
 * commands; redirections for all of them. A child that will do nothing after one command gets
 * F_NOFORK and execs it directly. Each program or pipeline runs as a job (jobs.c). */
#include "sh.h"

int last_status;
int subst_status = -1;
pid_t last_bg_pid;
pid_t shell_pid;
int interactive, jobctl, xtrace;
int breaking, continuing, returning;
int loop_depth, func_depth;

/* Set by break/continue/return: stop running the rest of a list. */
static int unwinding(void) { return breaking || continuing || returning; }

/* ---- redirections ---- */

struct Saved {
  Saved *next;
  int fd;   /* the descriptor that was redirected */
  int copy; /* where its old file waits (close-on-exec, 10 or above), or -1 if it was closed */
};

/* A here-document becomes the read end of a pipe holding its text (written by a child when it
 * is too big for the pipe's buffer). */
static int heredoc_fd(Redir *r) {
  char *text = r->quoted ? r->word : expand_heredoc(r->word);
  size_t len = strlen(text);
  int p[2];
  if (pipe(p) < 0) return -1;
  if (len <= 4096) {
    write(p[1], text, len);
  } else {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
      close(p[0]);
      write(p[1], text, len);
      _exit(0);
    }
  }
  close(p[1]);
  return p[0];
}

/* The descriptor a redirection reads or writes: a newly opened one, or `fd` itself for a
 * duplication (*dup_of gets the source), -2 for closing; -1 after reporting an error. */
static int redir_source(Redir *r, int *dup_of) {
  if (r->op == R_HEREDOC || r->op == R_HEREDOC_TABS) return heredoc_fd(r);
  char *word = expand_string(r->word);
  if (r->op == R_DUPIN || r->op == R_DUPOUT) {
    if (strcmp(word, "-") == 0) return -2;
    char *end;
    long fd = strtol(word, &end, 10);
    if (!*word || *end || fd < 0 || fcntl((int)fd, F_GETFD) < 0) {
      sh_error("%s: bad file descriptor", word);
      return -1;
    }
    *dup_of = (int)fd;
    return r->fd;
  }
  static const int flags[] = {
    [R_IN] = O_RDONLY, [R_OUT] = O_WRONLY | O_CREAT | O_TRUNC, [R_CLOBBER] = O_WRONLY | O_CREAT | O_TRUNC,
    [R_APPEND] = O_WRONLY | O_CREAT | O_APPEND, [R_RDWR] = O_RDWR | O_CREAT,
  };
  int fd = open(word, flags[r->op], 0666);
  if (fd < 0) sh_error("%s: %s", word, strerror(errno));
  return fd;
}

int apply_redirs(Redir *r, Saved **save) {
  if (save) *save = NULL;
  fflush(stdout);
  for (; r; r = r->next) {
    int dup_of = -1;
    int src = redir_source(r, &dup_of);
    if (src == -1) return -1;
    if (save) {
      Saved *s = xmalloc(sizeof *s);
      s->fd = r->fd;
      s->copy = fcntl(r->fd, F_DUPFD_CLOEXEC, 10);
      s->next = *save;
      *save = s;
    }
    if (src == -2) {
      close(r->fd);
    } else if (dup_of >= 0) {
      if (dup_of != r->fd) dup2(dup_of, r->fd);
    } else if (src != r->fd) {
      dup2(src, r->fd);
      close(src);
    }
  }
  return 0;
}

void undo_redirs(Saved *s) {
  fflush(stdout);
  while (s) {
    Saved *next = s->next;
    if (s->copy >= 0) {
      dup2(s->copy, s->fd);
      close(s->copy);
    } else {
      close(s->fd);
    }
    free(s);
    s = next;
  }
}

/* ---- functions ---- */

typedef struct Func {
  struct Func *next;
  char *name;
  Node *body;
} Func;
static Func *funcs;

Node *func_get(const char *name) {
  for (Func *f = funcs; f; f = f->next)
    if (strcmp(f->name, name) == 0) return f->body;
  return NULL;
}

void func_set(const char *name, Node *body) {
  for (Func *f = funcs; f; f = f->next)
    if (strcmp(f->name, name) == 0) {
      f->body = body;
      return;
    }
  Func *f = xmalloc(sizeof *f);
  f->name = xstrdup(name);
  f->body = body;
  f->next = funcs;
  funcs = f;
}

static int call_function(Node *body, Args *args) {
  char **saved_v = posv;
  int saved_c = posc;
  posv = NULL;
  posc = 0;
  set_positional(args->v + 1, args->n - 1);
  func_depth++;
  int st = run(body, 0);
  func_depth--;
  if (returning) {
    returning = 0;
    st = last_status;
  }
  set_positional(NULL, 0);
  free(posv);
  posv = saved_v;
  posc = saved_c;
  return st;
}

/* ---- programs ---- */

char *find_command(const char *name) {
  if (strchr(name, '/')) return xstrdup(name);
  const char *path = var_get("PATH");
  if (!path) path = "/bin:/usr/bin";
  for (const char *p = path;;) {
    const char *end = strchr(p, ':');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    char *full = xmalloc(n + strlen(name) + 3);
    sprintf(full, "%.*s%s%s", (int)n, n ? p : ".", "/", name);
    struct stat st;
    if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0) return full;
    free(full);
    if (!end) return NULL;
    p = end + 1;
  }
}

/* Sets NAME=value words, exported (for a program) or not. */
static void assign(Node *n, int export) {
  for (char **a = n->assigns; a && *a; a++) {
    char *eq = strchr(*a, '=');
    char *name = astrndup(*a, eq - *a);
    var_set(name, expand_string(eq + 1), export);
  }
}

/* Runs a program in this process (a child, or exec); never returns. */
static void exec_program(char **argv) {
  char *path = find_command(argv[0]);
  if (!path) {
    sh_error("%s: not found", argv[0]);
    exit(127);
  }
  char **env = var_environ();
  fflush(NULL);
  execve(path, argv, env);
  if (errno == ENOEXEC) { /* not a binary: a script for this shell */
    arg0 = path;
    int n = 0;
    while (argv[n]) n++;
    set_positional(argv + 1, n - 1);
    exit(run_file(path, 1));
  }
  int e = errno;
  sh_error("%s: %s", argv[0], strerror(e));
  exit(e == ENOENT || e == ENOTDIR ? 127 : 126);
}

static int sigs_changed; /* the interactive shell set SIGINT & co.; children restore them */

void child_reset(int background) {
  static const int sigs[] = { SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGTERM };
  if (sigs_changed)
    for (unsigned i = 0; i < sizeof sigs / sizeof *sigs; i++) signal(sigs[i], SIG_DFL);
  sigs_changed = 0;
  if (background && !jobctl) { /* POSIX: without job control, & commands ignore ^C and get no input */
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    int fd = open("/dev/null", O_RDONLY);
    if (fd > 0) {
      dup2(fd, 0);
      close(fd);
    }
  }
  jobctl = 0;
  interactive = 0;
  if (tty_fd >= 0) close(tty_fd);
  tty_fd = -1;
}

static void on_sigint(int sig) { (void)sig; }

void shell_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigint; /* no SA_RESTART: ^C interrupts reading a line, and waits */
  sigaction(SIGINT, &sa, NULL);
  signal(SIGQUIT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  if (jobctl) {
    signal(SIGTSTP, SIG_IGN);
    signal(SIGTTIN, SIG_IGN);
    signal(SIGTTOU, SIG_IGN);
  }
  sigs_changed = 1;
}

/* Forks a member of job j: in the child it joins the job's process group (taking the terminal
 * when in the foreground) and returns 0. */
static pid_t spawn(Job *j, int background) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    sh_error("fork: %s", strerror(errno));
    return -1;
  }
  pid_t pgid = job_pgid(j);
  if (pid == 0) {
    if (jobctl) {
      pid_t me = getpid();
      setpgid(0, pgid ? pgid : me);
      if (!background) tcsetpgrp(tty_fd, pgid ? pgid : me);
    }
    child_reset(background);
    return 0;
  }
  if (jobctl) setpgid(pid, pgid ? pgid : pid); /* also here, so neither side races the other */
  job_add(j, pid);
  return pid;
}

static int run_pipeline(Node **cmds, int n, int background, Node *whole) {
  char *text = node_text(whole);
  Job *j = job_new(text, background);
  free(text);
  int prev = -1;
  pid_t pid = -1;
  for (int i = 0; i < n; i++) {
    int p[2] = { -1, -1 };
    if (i < n - 1 && pipe(p) < 0) {
      sh_error("pipe: %s", strerror(errno));
      break;
    }
    pid = spawn(j, background);
    if (pid == 0) {
      if (prev >= 0 && prev != 0) {
        dup2(prev, 0);
        close(prev);
      }
      if (p[1] >= 0) {
        close(p[0]);
        if (p[1] != 1) {
          dup2(p[1], 1);
          close(p[1]);
        }
      }
      exit(run(cmds[i], F_NOFORK));
    }
    if (prev >= 0) close(prev);
    if (p[1] >= 0) close(p[1]);
    prev = p[0];
    if (pid < 0) break;
  }
  if (prev >= 0) close(prev);
  if (background) {
    last_bg_pid = pid;
    job_started_bg(j);
    return 0;
  }
  return job_wait_fg(j);
}

/* ---- simple commands ---- */

static void trace(Node *n, Args *args) {
  fputs("+", stderr);
  for (char **a = n->assigns; a && *a; a++) fprintf(stderr, " %s", *a);
  for (int i = 0; i < args->n; i++) fprintf(stderr, " %s", args->v[i]);
  fputc('\n', stderr);
}

/* Builtins and functions see prefix assignments only while they run. */
typedef struct { char *name, *old; } OldVar;

static int run_in_shell(Node *n, Args *args, Builtin b, Node *f) {
  int na = 0;
  for (char **a = n->assigns; a && *a; a++) na++;
  OldVar old[na + 1];
  for (int i = 0; i < na; i++) {
    char *eq = strchr(n->assigns[i], '=');
    old[i].name = astrndup(n->assigns[i], eq - n->assigns[i]);
    char *v = var_get(old[i].name);
    old[i].old = v ? xstrdup(v) : NULL;
  }
  assign(n, 0);
  Saved *saved;
  int st = 1;
  if (apply_redirs(n->redirs, &saved) == 0) {
    if (f) st = call_function(f, args);
    else st = b(args->n, args->v);
    fflush(stdout);
  }
  undo_redirs(saved);
  for (int i = 0; i < na; i++) {
    if (old[i].old) var_set(old[i].name, old[i].old, 0);
    else var_unset(old[i].name);
    free(old[i].old);
  }
  return st;
}

static int run_simple(Node *n, int flags) {
  Args args = { 0, 0, 0 };
  subst_status = -1; /* a command of assignments alone has the status of its last $(...) */
  for (char **w = n->words; *w; w++) expand_fields(*w, &args);
  if (xtrace) trace(n, &args);
  int st;
  if (args.n == 0) {
    assign(n, 0);
    Saved *saved;
    st = apply_redirs(n->redirs, &saved) < 0 ? 1 : subst_status >= 0 ? subst_status : 0;
    undo_redirs(saved);
  } else if (strcmp(args.v[0], "exec") == 0) {
    /* exec: redirections stay; with a command, it replaces the shell */
    assign(n, 1);
    if (apply_redirs(n->redirs, NULL) < 0) st = 1;
    else if (args.n == 1) st = 0;
    else exec_program(args.v + 1);
  } else {
    Node *f = func_get(args.v[0]);
    Builtin b = f ? NULL : builtin_find(args.v[0]);
    if (f || b) {
      st = run_in_shell(n, &args, b, f);
    } else if (flags & F_NOFORK) {
      assign(n, 1);
      if (apply_redirs(n->redirs, NULL) < 0) exit(1);
      exec_program(args.v);
    } else {
      char *text = node_text(n);
      Job *j = job_new(text, 0);
      free(text);
      pid_t pid = spawn(j, 0);
      if (pid == 0) {
        assign(n, 1);
        if (apply_redirs(n->redirs, NULL) < 0) exit(1);
        exec_program(args.v);
      }
      st = job_wait_fg(j);
    }
  }
  free(args.v);
  return st;
}

/* ---- compound commands ---- */

static int run_loop(Node *n) {
  int st = 0;
  loop_depth++;
  for (;;) {
    int c = run(n->a, 0);
    if (unwinding()) break;
    if ((c == 0) != (n->type == N_WHILE)) break;
    st = run(n->b, 0);
    if (breaking) {
      breaking--;
      break;
    }
    if (continuing && --continuing > 0) break;
    if (returning) break;
  }
  loop_depth--;
  return st;
}

static int run_for(Node *n) {
  Args list = { 0, 0, 0 };
  if (n->words)
    for (char **w = n->words; *w; w++) expand_fields(*w, &list);
  else
    for (int i = 0; i < posc; i++) args_add(&list, astrdup(posv[i]));
  int st = 0;
  loop_depth++;
  for (int i = 0; i < list.n; i++) {
    var_set(n->name, list.v[i], 0);
    st = run(n->a, 0);
    if (breaking) {
      breaking--;
      break;
    }
    if (continuing && --continuing > 0) break;
    if (returning) break;
  }
  loop_depth--;
  free(list.v);
  return st;
}

static int run_case(Node *n) {
  char *word = expand_string(n->name);
  for (Node *item = n->a; item; item = item->b)
    for (char **p = item->words; *p; p++)
      if (pattern_match(expand_pattern(*p), word)) return run(item->a, 0);
  return 0;
}

static int run_subshell(Node *n, int flags) {
  if (flags & F_NOFORK) exit(run(n->a, F_NOFORK));
  char *text = node_text(n);
  Job *j = job_new(text, 0);
  free(text);
  pid_t pid = spawn(j, 0);
  if (pid == 0) exit(run(n->a, F_NOFORK));
  return job_wait_fg(j);
}

static int run_compound(Node *n, int flags) {
  switch (n->type) {
    case N_GROUP: return run(n->a, flags);
    case N_SUBSHELL: return run_subshell(n, flags);
    case N_IF: {
      int c = run(n->a, 0);
      if (unwinding()) return c;
      if (c == 0) return run(n->b, flags);
      return n->c ? run(n->c, flags) : 0;
    }
    case N_WHILE: case N_UNTIL: return run_loop(n);
    case N_FOR: return run_for(n);
    case N_CASE: return run_case(n);
  }
  return 0;
}

int run(Node *n, int flags) {
  if (!n) return 0;
  int st = 0;
  Mark m = arena_mark();
  switch (n->type) {
    case N_SIMPLE: st = run_simple(n, flags); break;
    case N_PIPE: st = run_pipeline(n->cmds, n->ncmds, 0, n); break;
    case N_AND: case N_OR:
      st = run(n->a, 0);
      if (!unwinding() && (st == 0) == (n->type == N_AND)) st = run(n->b, flags);
      break;
    case N_SEQ:
      run(n->a, 0);
      st = unwinding() ? last_status : run(n->b, flags);
      break;
    case N_NOT: st = !run(n->a, 0); break;
    case N_BG:
      if (n->a->type == N_PIPE) st = run_pipeline(n->a->cmds, n->a->ncmds, 1, n->a);
      else st = run_pipeline(&n->a, 1, 1, n->a);
      break;
    case N_FUNC:
      func_set(n->name, n->a);
      arena_pin();
      break;
    default: {
      Saved *saved = NULL;
      if (n->redirs && apply_redirs(n->redirs, (flags & F_NOFORK) ? NULL : &saved) < 0) {
        st = 1;
      } else {
        st = run_compound(n, flags);
      }
      undo_redirs(saved);
    }
  }
  arena_release(m);
  last_status = st;
  return st;
}

/* ---- sources ---- */

int run_source(Source *src) {
  Lexer *prev = lex_push(src);
  int st = 0;
  for (;;) {
    jobs_poll(interactive && source_interactive(src));
    Mark m = arena_mark();
    int ps;
    Node *n = parse_command(&ps);
    if (ps == 1) break;
    if (ps == 2) {
      if (lex_interrupted) {
        last_status = 130;
        continue;
      }
      last_status = st = 2;
      if (!interactive) exit(2);
      if (!source_interactive(src)) break;
      continue;
    }
    if (n) st = run(n, 0);
    arena_release(m);
    if (unwinding()) break;
  }
  lex_pop(prev);
  return st;
}

int run_string(const char *s) {
  Source *src = source_string(s);
  int st = run_source(src);
  source_free(src);
  return st;
}

int run_file(const char *path, int must_exist) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (!must_exist && errno == ENOENT) return 0;
    sh_error("%s: %s", path, strerror(errno));
    return 127;
  }
  int high = fcntl(fd, F_DUPFD_CLOEXEC, 10);
  if (high >= 0) {
    close(fd);
    fd = high;
  }
  Source *src = source_fd(fd, 0);
  int st = run_source(src);
  source_free(src);
  close(fd);
  return st;
}
