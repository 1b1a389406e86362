/* echo [-n] [-e] [ARG...]: the arguments separated by spaces, then a newline (not with -n).
 * -e interprets \n \t \\ \a \b \r \v \0NNN, and \c, which ends the output there. Options are
 * recognised only as whole leading arguments made of those letters, as bash does.
 * Also the shell's builtin (compiled into sh with -DIN_SHELL). */
#include "libc.h"

/* Writes s with -e's escapes; returns 0 after \c (stop everything). */
static int escaped(const char *s) {
  for (; *s; s++) {
    if (*s != '\\' || !s[1]) {
      putchar(*s);
      continue;
    }
    int c = *++s, v;
    switch (c) {
      case 'n': putchar('\n'); break;
      case 't': putchar('\t'); break;
      case 'r': putchar('\r'); break;
      case 'a': putchar('\a'); break;
      case 'b': putchar('\b'); break;
      case 'v': putchar('\v'); break;
      case 'f': putchar('\f'); break;
      case '\\': putchar('\\'); break;
      case 'c': return 0;
      case '0':
        v = 0;
        for (int k = 0; k < 3 && s[1] >= '0' && s[1] <= '7'; k++) v = v * 8 + (*++s - '0');
        putchar(v);
        break;
      default: putchar('\\'); putchar(c);
    }
  }
  return 1;
}

int echo_main(int argc, char **argv) {
  int newline = 1, esc = 0, i = 1;
  for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
    if (strspn(argv[i] + 1, "neE") != strlen(argv[i] + 1)) break;
    for (char *p = argv[i] + 1; *p; p++) {
      if (*p == 'n') newline = 0;
      else esc = *p == 'e';
    }
  }
  for (int first = 1; i < argc; i++, first = 0) {
    if (!first) putchar(' ');
    if (!esc) fputs(argv[i], stdout);
    else if (!escaped(argv[i])) return fflush(stdout), 0;
  }
  if (newline) putchar('\n');
  return fflush(stdout) ? 1 : 0;
}

#ifndef IN_SHELL
int main(int argc, char **argv) { return echo_main(argc, argv); }
#endif
