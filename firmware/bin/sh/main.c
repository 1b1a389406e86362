/* sh: a small POSIX-style shell.
 *   sh [-ix] [FILE [ARG...]]     run FILE (or read commands from stdin) with $1... set
 *   sh [-ix] -c COMMAND [NAME [ARG...]]
 *   sh -s [ARG...]               commands from stdin, $1... set
 * It is interactive (prompts, ^C returns to the prompt, job control on a terminal) with -i,
 * or when it reads commands from stdin and stdin and stderr are terminals. A login shell
 * (argv[0] starting with '-') first runs /etc/profile and $HOME/.profile; an interactive one
 * then runs the file named by $ENV. */
#include "sh.h"

void sh_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fflush(stdout);
  fputs("sh: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

static void usage(void) {
  fputs("usage: sh [-isx] [-c COMMAND [NAME [ARG...]] | FILE [ARG...]]\n", stderr);
  exit(2);
}

int main(int argc, char **argv) {
  shell_pid = getpid();
  vars_import(environ);
  arg0 = argv[0];
  int force_i = 0, from_stdin = 0, i = 1;
  const char *command = NULL;
  for (; i < argc && (argv[i][0] == '-' || argv[i][0] == '+') && argv[i][1]; i++) {
    if (strcmp(argv[i], "--") == 0) {
      i++;
      break;
    }
    for (char *p = argv[i] + 1; *p; p++) {
      switch (*p) {
        case 'c': command = ""; break;
        case 'i': force_i = 1; break;
        case 's': from_stdin = 1; break;
        case 'x': xtrace = argv[i][0] == '-'; break;
        case 'e': case 'u': case 'f': break; /* accepted, not implemented */
        default: usage();
      }
    }
  }
  const char *file = NULL;
  if (command) {
    if (i == argc) usage();
    command = argv[i++];
    if (i < argc) arg0 = argv[i++];
  } else if (!from_stdin && i < argc) {
    file = argv[i++];
    arg0 = (char *)file;
  }
  set_positional(argv + i, argc - i);

  interactive = force_i || (!command && !file && isatty(0) && isatty(2));
  if (interactive) {
    jobs_init();
    shell_signals();
  }
  if (argv[0][0] == '-') {
    run_file("/etc/profile", 0);
    const char *home = var_get("HOME");
    if (home) {
      char *p = xmalloc(strlen(home) + 12);
      sprintf(p, "%s/.profile", home);
      run_file(p, 0);
      free(p);
    }
  }
  if (interactive && var_get("ENV")) run_file(expand_string(var_get("ENV")), 0);

  int st;
  if (command) {
    st = run_string(command);
  } else if (file) {
    st = run_file(file, 1);
  } else {
    Source *src = source_fd(0, interactive);
    st = run_source(src);
    if (interactive) fputc('\n', stderr);
  }
  (void)st;
  exit(last_status);
}
