/* kill [-s SIG | -SIG] PID...: sends a signal (TERM unless named; by name, with or without
 * SIG, or by number) to each process, or to process group -PID. kill -l lists the signal names;
 * kill -l N names signal N (or the signal a status 128+N means). Also the shell's builtin,
 * which turns %JOB operands into process groups before calling kill_main. */
#include "libc.h"

static int parse_signal(const char *s) {
  char *end;
  long n = strtol(s, &end, 10);
  if (*s && !*end) return n >= 0 && n < NSIG ? (int)n : -1;
  int sig = signum(s);
  return sig ? sig : -1;
}

static int list(int argc, char **argv, int i) {
  if (i == argc) {
    for (int s = 1; s < 32; s++) printf("%s%c", signame(s), s % 8 == 0 || s == 31 ? '\n' : ' ');
    return 0;
  }
  int status = 0;
  for (; i < argc; i++) {
    char *end;
    long n = strtol(argv[i], &end, 10);
    if (*end == 0 && n > 128) n -= 128;
    const char *name = *end == 0 ? signame((int)n) : NULL;
    int sig = *end ? signum(argv[i]) : 0;
    if (name) puts(name);
    else if (sig) printf("%d\n", sig);
    else warnx("unknown signal: %s", argv[i]), status = 1;
  }
  return status;
}

int kill_main(int argc, char **argv) {
  int sig = SIGTERM, i = 1, status = 0;
  if (i < argc && strcmp(argv[i], "-l") == 0) return list(argc, argv, i + 1);
  if (i < argc && strcmp(argv[i], "-s") == 0) {
    if (i + 1 == argc || (sig = parse_signal(argv[i + 1])) < 0) {
      warnx("invalid signal: %s", i + 1 < argc ? argv[i + 1] : "");
      return 1;
    }
    i += 2;
  } else if (i < argc && argv[i][0] == '-' && argv[i][1] && !isdigit(argv[i][1]) && strcmp(argv[i], "--")) {
    if ((sig = parse_signal(argv[i] + 1)) < 0) return warnx("invalid signal: %s", argv[i] + 1), 1;
    i++;
  } else if (i < argc && argv[i][0] == '-' && isdigit(argv[i][1]) && i + 1 < argc) {
    if ((sig = parse_signal(argv[i] + 1)) < 0) return warnx("invalid signal: %s", argv[i] + 1), 1;
    i++;
  }
  if (i < argc && strcmp(argv[i], "--") == 0) i++;
  if (i == argc) return warnx("usage: kill [-s SIG | -SIG] PID... | kill -l [N]"), 2;
  for (; i < argc; i++) {
    char *end;
    long pid = strtol(argv[i], &end, 10);
    if (*argv[i] == 0 || *end) {
      warnx("invalid process id: %s", argv[i]);
      status = 1;
    } else if (kill((pid_t)pid, sig) < 0) {
      warn("(%ld)", pid);
      status = 1;
    }
  }
  return status;
}

#ifndef IN_SHELL
int main(int argc, char **argv) { return kill_main(argc, argv); }
#endif
