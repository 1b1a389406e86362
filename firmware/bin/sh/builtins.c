/* The commands the shell runs itself: those that change the shell (cd, exit, export, unset,
 * set, shift, ., eval, read, umask, break, continue, return, the job commands), and a few that
 * are only faster here (echo, test, [, true, false, kill, pwd, type). exec is handled in
 * exec.c, since it keeps its redirections. */
#include "sh.h"

static int b_true(int argc, char **argv) { return 0; }
static int b_false(int argc, char **argv) { return 1; }

static int b_cd(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : var_get("HOME");
  int dash = dir && strcmp(dir, "-") == 0;
  if (dash) dir = var_get("OLDPWD");
  if (!dir) return sh_error("cd: %s not set", dash ? "OLDPWD" : "HOME"), 1;
  if (chdir(dir) < 0) return sh_error("cd: %s: %s", dir, strerror(errno)), 1;
  char buf[PATH_MAX];
  const char *old = var_get("PWD");
  if (old) var_set("OLDPWD", old, 0);
  if (getcwd(buf, sizeof buf)) var_set("PWD", buf, 0);
  if (dash) printf("%s\n", buf);
  return 0;
}

static int b_pwd(int argc, char **argv) {
  char buf[PATH_MAX];
  if (!getcwd(buf, sizeof buf)) return sh_error("pwd: %s", strerror(errno)), 1;
  printf("%s\n", buf);
  return 0;
}

static int b_exit(int argc, char **argv) {
  exit(argc > 1 ? atoi(argv[1]) & 255 : last_status);
}

static int b_export(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "-p") == 0) {
    var_print(1);
    return 0;
  }
  int status = 0;
  for (int i = 1; i < argc; i++) {
    char *eq = strchr(argv[i], '=');
    size_t n = eq ? (size_t)(eq - argv[i]) : strlen(argv[i]);
    if (!var_valid_name(argv[i], n)) {
      sh_error("export: %s: bad variable name", argv[i]);
      status = 1;
      continue;
    }
    char *name = astrndup(argv[i], n);
    var_set(name, eq ? eq + 1 : NULL, 1);
  }
  return status;
}

static int b_unset(int argc, char **argv) {
  int i = 1, funcs = 0;
  if (i < argc && (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "-f") == 0)) funcs = argv[i++][1] == 'f';
  for (; i < argc; i++) {
    if (funcs) func_set(argv[i], NULL);
    else var_unset(argv[i]);
  }
  return 0;
}

static int b_set(int argc, char **argv) {
  if (argc == 1) {
    var_print(0);
    return 0;
  }
  int i = 1;
  for (; i < argc && (argv[i][0] == '-' || argv[i][0] == '+'); i++) {
    if (strcmp(argv[i], "--") == 0) {
      i++;
      break;
    }
    for (char *p = argv[i] + 1; *p; p++) {
      if (*p == 'x') xtrace = argv[i][0] == '-';
      else if (*p != 'e' && *p != 'u' && *p != 'f') return sh_error("set: -%c: unknown option", *p), 2;
    }
  }
  if (i < argc || strcmp(argv[i - 1], "--") == 0) set_positional(argv + i, argc - i);
  return 0;
}

static int b_shift(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1;
  if (n < 0 || n > posc) return sh_error("shift: can't shift that many"), 1;
  set_positional(posv + n, posc - n);
  return 0;
}

static int b_dot(int argc, char **argv) {
  if (argc < 2) return sh_error("%s: filename argument required", argv[0]), 2;
  char *path = strchr(argv[1], '/') ? NULL : find_command(argv[1]);
  char **saved_v = posv;
  int saved_c = posc;
  if (argc > 2) {
    posv = NULL;
    posc = 0;
    set_positional(argv + 2, argc - 2);
  }
  int st = run_file(path ? path : argv[1], 1);
  free(path);
  if (returning) {
    returning = 0;
    st = last_status;
  }
  if (argc > 2) {
    set_positional(NULL, 0);
    free(posv);
    posv = saved_v;
    posc = saved_c;
  }
  return st;
}

static int b_eval(int argc, char **argv) {
  Buf b = { 0, 0, 0 };
  for (int i = 1; i < argc; i++) {
    if (i > 1) buf_add(&b, ' ');
    buf_str(&b, argv[i], strlen(argv[i]));
  }
  int st = run_string(b.s ? buf_cstr(&b) : "");
  buf_free(&b);
  return st;
}

/* read [-r] [-p PROMPT] NAME...: one line from stdin, read a byte at a time (the rest stays
 * for whoever reads next), split at IFS; the last NAME gets the rest of the line. */
static int b_read(int argc, char **argv) {
  int raw = 0, i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (strcmp(argv[i], "-r") == 0) raw = 1;
    else if (strcmp(argv[i], "-p") == 0 && i + 1 < argc) fputs(argv[++i], stderr);
    else return sh_error("read: %s: unknown option", argv[i]), 2;
  }
  Buf line = { 0, 0, 0 };
  int got_newline = 0;
  for (;;) {
    char c;
    ssize_t n = read(0, &c, 1);
    if (n < 0 && errno == EINTR) {
      buf_free(&line);
      return 130;
    }
    if (n <= 0) break;
    if (c == '\n') {
      got_newline = 1;
      break;
    }
    if (c == '\\' && !raw) {
      if (read(0, &c, 1) <= 0) break;
      if (c == '\n') continue;
      buf_add(&line, '\001'); /* marks the next byte as escaped: never a separator */
    }
    buf_add(&line, c);
  }
  const char *ifs = var_get("IFS");
  if (!ifs) ifs = " \t\n";
  char *s = line.s ? buf_cstr(&line) : "";
  static char *reply[] = { "REPLY", NULL };
  char **names = i < argc ? argv + i : reply;
  int nnames = i < argc ? argc - i : 1;
  for (int k = 0; k < nnames; k++) {
    int last = k == nnames - 1;
    while (*s && strchr(ifs, *s) && isspace(*s)) s++;
    Buf field = { 0, 0, 0 };
    for (; *s; s++) {
      if (*s == '\001' && s[1]) {
        buf_add(&field, *++s);
        continue;
      }
      if (!last && strchr(ifs, *s)) {
        s++;
        break;
      }
      buf_add(&field, *s);
    }
    if (last) /* the last name: trailing separators go */
      while (field.len && strchr(ifs, field.s[field.len - 1]) && isspace(field.s[field.len - 1])) field.len--;
    var_set(names[k], field.s ? buf_cstr(&field) : "", 0);
    buf_free(&field);
  }
  buf_free(&line);
  return got_newline ? 0 : 1;
}

static int b_umask(int argc, char **argv) {
  if (argc < 2) {
    mode_t m = umask(0);
    umask(m);
    printf("%04o\n", m);
    return 0;
  }
  char *end;
  unsigned long m = strtoul(argv[1], &end, 8);
  if (*end || m > 0777) return sh_error("umask: %s: bad mode", argv[1]), 1;
  umask(m);
  return 0;
}

static int loop_control(int argc, char **argv, int *counter) {
  int n = argc > 1 ? atoi(argv[1]) : 1;
  if (n < 1) return sh_error("%s: %s: bad number", argv[0], argv[1]), 1;
  if (loop_depth == 0) return 0;
  *counter = n > loop_depth ? loop_depth : n;
  return 0;
}

static int b_break(int argc, char **argv) { return loop_control(argc, argv, &breaking); }
static int b_continue(int argc, char **argv) { return loop_control(argc, argv, &continuing); }

static int b_return(int argc, char **argv) {
  int st = argc > 1 ? atoi(argv[1]) & 255 : last_status;
  returning = 1;
  last_status = st;
  return st;
}

static int b_kill(int argc, char **argv) {
  Args args = { 0, 0, 0 };
  for (int i = 0; i < argc; i++) {
    if (argv[i][0] == '%' && i > 0) {
      if (!job_kill_operands(argv[i], &args)) {
        sh_error("kill: %s: no such job", argv[i]);
        free(args.v);
        return 1;
      }
    } else {
      args_add(&args, argv[i]);
    }
  }
  int st = kill_main(args.n, args.v);
  free(args.v);
  fflush(stdout);
  return st;
}

static int b_type(int argc, char **argv) {
  int status = 0;
  for (int i = 1; i < argc; i++) {
    char *path;
    if (func_get(argv[i])) printf("%s is a function\n", argv[i]);
    else if (builtin_find(argv[i]) || strcmp(argv[i], "exec") == 0) printf("%s is a shell builtin\n", argv[i]);
    else if ((path = find_command(argv[i])) != NULL) printf("%s is %s\n", argv[i], path), free(path);
    else printf("%s: not found\n", argv[i]), status = 1;
  }
  return status;
}

static const struct { const char *name; Builtin fn; } BUILTINS[] = {
  { ":", b_true }, { "true", b_true }, { "false", b_false }, { "cd", b_cd }, { "pwd", b_pwd },
  { "exit", b_exit }, { "export", b_export }, { "unset", b_unset }, { "set", b_set },
  { "shift", b_shift }, { ".", b_dot }, { "source", b_dot }, { "eval", b_eval }, { "read", b_read },
  { "umask", b_umask }, { "break", b_break }, { "continue", b_continue }, { "return", b_return },
  { "echo", echo_main }, { "test", test_main }, { "[", test_main }, { "kill", b_kill },
  { "jobs", builtin_jobs }, { "fg", builtin_fg }, { "bg", builtin_bg }, { "wait", builtin_wait },
  { "type", b_type },
};

Builtin builtin_find(const char *name) {
  for (unsigned i = 0; i < sizeof BUILTINS / sizeof *BUILTINS; i++)
    if (strcmp(BUILTINS[i].name, name) == 0) return BUILTINS[i].fn;
  return NULL;
}
