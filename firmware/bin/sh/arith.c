/* Arithmetic expansion, $((...)): integers (decimal, 0x hex, 0 octal) and variable names
 * (unset or empty is 0), with C's operators and precedence: unary + - ! ~, * / %, + -, << >>,
 * < <= > >=, == !=, &, ^, |, &&, ||, ?: and parentheses. Errors (division by zero, a stray
 * character) are reported; the result is then 0. */
#include "sh.h"

static const char *p;
static int ok;

static void fail(const char *what) {
  if (ok) sh_error("arithmetic: %s", what);
  ok = 0;
}

static void blanks(void) {
  while (isspace(*p)) p++;
}

/* Consumes op if it comes next and is not the start of a longer operator in `not_before`. */
static int take(const char *op, const char *not_before) {
  blanks();
  size_t n = strlen(op);
  if (strncmp(p, op, n) != 0) return 0;
  if (not_before && p[n] && strchr(not_before, p[n])) return 0;
  p += n;
  return 1;
}

static long long ternary(void);

static long long primary(void) {
  blanks();
  if (take("(", NULL)) {
    long long v = ternary();
    if (!take(")", NULL)) fail("missing ')'");
    return v;
  }
  if (take("-", "-=")) return -primary();
  if (take("+", "+=")) return primary();
  if (take("!", "=")) return !primary();
  if (take("~", NULL)) return ~primary();
  if (isdigit(*p)) {
    char *end;
    long long v = strtoll(p, &end, 0);
    p = end;
    return v;
  }
  if (isalpha(*p) || *p == '_') {
    const char *s = p;
    while (isalnum(*p) || *p == '_') p++;
    char name[p - s + 1];
    memcpy(name, s, p - s);
    name[p - s] = 0;
    const char *v = var_get(name);
    return v && *v ? strtoll(v, NULL, 0) : 0;
  }
  fail(*p ? "syntax error" : "operand expected");
  return 0;
}

static long long mul(void) {
  long long v = primary();
  for (;;) {
    if (take("*", "=")) v *= primary();
    else if (take("/", "=") || take("%", "=")) {
      char op = p[-1];
      long long d = primary();
      if (d == 0) {
        fail("division by zero");
        return 0;
      }
      v = op == '/' ? v / d : v % d;
    } else return v;
  }
}

static long long add(void) {
  long long v = mul();
  for (;;) {
    if (take("+", "=")) v += mul();
    else if (take("-", "=")) v -= mul();
    else return v;
  }
}

static long long shift(void) {
  long long v = add();
  for (;;) {
    if (take("<<", "=")) v <<= add();
    else if (take(">>", "=")) v >>= add();
    else return v;
  }
}

static long long compare(void) {
  long long v = shift();
  for (;;) {
    if (take("<=", NULL)) v = v <= shift();
    else if (take(">=", NULL)) v = v >= shift();
    else if (take("<", "<")) v = v < shift();
    else if (take(">", ">")) v = v > shift();
    else return v;
  }
}

static long long equality(void) {
  long long v = compare();
  for (;;) {
    if (take("==", NULL)) v = v == compare();
    else if (take("!=", NULL)) v = v != compare();
    else return v;
  }
}

static long long bit_and(void) {
  long long v = equality();
  while (take("&", "&=")) v &= equality();
  return v;
}

static long long bit_xor(void) {
  long long v = bit_and();
  while (take("^", "=")) v ^= bit_and();
  return v;
}

static long long bit_or(void) {
  long long v = bit_xor();
  while (take("|", "|=")) v |= bit_xor();
  return v;
}

static long long logical_and(void) {
  long long v = bit_or();
  while (take("&&", NULL)) {
    long long r = bit_or();
    v = v && r;
  }
  return v;
}

static long long logical_or(void) {
  long long v = logical_and();
  while (take("||", NULL)) {
    long long r = logical_and();
    v = v || r;
  }
  return v;
}

static long long ternary(void) {
  long long v = logical_or();
  if (!take("?", NULL)) return v;
  long long a = ternary();
  if (!take(":", NULL)) fail("missing ':'");
  long long b = ternary();
  return v ? a : b;
}

long long arith(const char *expr, int *result_ok) {
  p = expr;
  ok = 1;
  blanks();
  long long v = *p ? ternary() : 0;
  blanks();
  if (*p) fail("syntax error");
  *result_ok = ok;
  return ok ? v : 0;
}
