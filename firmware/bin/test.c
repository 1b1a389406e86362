/* test EXPRESSION, [ EXPRESSION ]: evaluates a condition; status 0 if true, 1 if false, 2 on
 * a malformed expression. Files: -e -f -d -h/-L -r -w -x -s -b -c -p -S, -t FD; strings: -n,
 * -z, = (==), !=, STRING; integers: -eq -ne -lt -le -gt -ge; files by time: -nt -ot; and
 * ! EXPR, EXPR -a EXPR, EXPR -o EXPR, ( EXPR ). Also the shell's builtin (-DIN_SHELL). */
#include "libc.h"

static char **args;
static int nargs, pos;
static int malformed; /* set by fail(): the expression is malformed */

static int fail(const char *fmt, const char *what) {
  fprintf(stderr, "test: ");
  fprintf(stderr, fmt, what);
  fputc('\n', stderr);
  malformed = 1;
  return 0;
}

static const char *peek(int k) { return pos + k < nargs ? args[pos + k] : NULL; }

static long long integer(const char *s) {
  char *end;
  long long v = strtoll(s, &end, 10);
  while (isspace(*end)) end++;
  if (*s == 0 || *end) fail("%s: integer expression expected", s);
  return v;
}

static int unary_file(char op, const char *path) {
  struct stat st;
  if (op == 'h' || op == 'L') return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
  if (op == 'r' || op == 'w' || op == 'x') return access(path, op == 'r' ? R_OK : op == 'w' ? W_OK : X_OK) == 0;
  if (stat(path, &st) < 0) return 0;
  switch (op) {
    case 'e': return 1;
    case 'f': return S_ISREG(st.st_mode);
    case 'd': return S_ISDIR(st.st_mode);
    case 's': return st.st_size > 0;
    case 'b': return S_ISBLK(st.st_mode);
    case 'c': return S_ISCHR(st.st_mode);
    case 'p': return S_ISFIFO(st.st_mode);
    case 'S': return S_ISSOCK(st.st_mode);
  }
  return 0;
}

static int is_unary(const char *s) { return s && s[0] == '-' && s[1] && !s[2] && strchr("efdhLrwxsbcpSntz", s[1]); }

static const char *const binaries[] = { "=", "==", "!=", "-eq", "-ne", "-lt", "-le", "-gt", "-ge", "-nt", "-ot", NULL };
static int is_binary(const char *s) {
  for (int i = 0; s && binaries[i]; i++)
    if (strcmp(s, binaries[i]) == 0) return 1;
  return 0;
}

static int binary(const char *a, const char *op, const char *b) {
  if (strcmp(op, "=") == 0 || strcmp(op, "==") == 0) return strcmp(a, b) == 0;
  if (strcmp(op, "!=") == 0) return strcmp(a, b) != 0;
  if (op[1] == 'n' || op[1] == 'o') { /* -nt, -ot */
    struct stat sa, sb;
    int ha = stat(a, &sa) == 0, hb = stat(b, &sb) == 0;
    long long ta = ha ? (long long)sa.st_mtime * 1000000000 + sa.st_mtime_nsec : 0;
    long long tb = hb ? (long long)sb.st_mtime * 1000000000 + sb.st_mtime_nsec : 0;
    return op[1] == 'n' ? ha && (!hb || ta > tb) : hb && (!ha || ta < tb);
  }
  long long x = integer(a), y = integer(b);
  if (strcmp(op, "-eq") == 0) return x == y;
  if (strcmp(op, "-ne") == 0) return x != y;
  if (strcmp(op, "-lt") == 0) return x < y;
  if (strcmp(op, "-le") == 0) return x <= y;
  if (strcmp(op, "-gt") == 0) return x > y;
  return x >= y;
}

static int expr_or(void);

static int primary(void) {
  const char *a = peek(0);
  if (!a) return fail("%sargument expected", "");
  if (strcmp(a, "(") == 0 && peek(1) && !is_binary(peek(1))) {
    pos++;
    int v = expr_or();
    if (!peek(0) || strcmp(peek(0), ")") != 0) return fail("%smissing ')'", "");
    pos++;
    return v;
  }
  if (is_binary(peek(1)) && peek(2)) {
    pos += 3;
    return binary(a, args[pos - 2], args[pos - 1]);
  }
  if (is_unary(a) && peek(1)) {
    const char *v = args[pos + 1];
    pos += 2;
    if (a[1] == 'n') return *v != 0;
    if (a[1] == 'z') return *v == 0;
    if (a[1] == 't') return isatty((int)integer(v));
    return unary_file(a[1], v);
  }
  pos++;
  return *a != 0;
}

static int expr_not(void) {
  if (peek(0) && strcmp(peek(0), "!") == 0 && peek(1)) {
    pos++;
    return !expr_not();
  }
  return primary();
}

static int expr_and(void) {
  int v = expr_not();
  while (peek(0) && strcmp(peek(0), "-a") == 0 && peek(1)) {
    pos++;
    v = expr_not() && v;
  }
  return v;
}

static int expr_or(void) {
  int v = expr_and();
  while (peek(0) && strcmp(peek(0), "-o") == 0 && peek(1)) {
    pos++;
    v = expr_and() || v;
  }
  return v;
}

int test_main(int argc, char **argv) {
  const char *name = strrchr(argv[0], '/');
  name = name ? name + 1 : argv[0];
  if (strcmp(name, "[") == 0) {
    if (strcmp(argv[argc - 1], "]") != 0) {
      fprintf(stderr, "[: missing ']'\n");
      return 2;
    }
    argc--;
  }
  args = argv + 1;
  nargs = argc - 1;
  pos = 0;
  malformed = 0;
  if (nargs == 0) return 1;
  int v = expr_or();
  if (!malformed && pos < nargs) fail("%s: unexpected operator", args[pos]);
  return malformed ? 2 : !v;
}

#ifndef IN_SHELL
int main(int argc, char **argv) { return test_main(argc, argv); }
#endif
