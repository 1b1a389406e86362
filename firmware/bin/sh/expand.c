/* Word expansion, in POSIX's order: tilde, parameters ($x ${x} ${x:-w} ${#x} ${x%p} ...),
 * command substitution ($(...) and `...`), arithmetic ($((...))), then field splitting on IFS
 * and pathname expansion for the parts that were not quoted, and quote removal.
 * A field is built twice over: `lit` with the quotes removed (what a command receives) and
 * `pat` where every quoted character that is special in patterns is backslash-escaped (what
 * globbing and case patterns see), so quoting survives into matching. */
#include "sh.h"

enum { M_FIELDS, M_STRING, M_PATTERN, M_HEREDOC };

typedef struct {
  Buf lit, pat;
  int has;      /* a field exists here, even an empty one ("" or '') */
  int glob;     /* it holds an unquoted * ? or [ */
  int suppress; /* "$@" with no parameters: no field unless something else adds to it */
  int mode;
  Args *out;
} Ctx;

void args_add(Args *a, char *s) {
  if (a->n + 2 > a->cap) {
    a->cap = a->cap ? a->cap * 2 : 8;
    a->v = xrealloc(a->v, a->cap * sizeof *a->v);
  }
  a->v[a->n++] = s;
  a->v[a->n] = NULL;
}

static void add_quoted(Ctx *c, char ch) {
  buf_add(&c->lit, ch);
  if (strchr("*?[]\\", ch)) buf_add(&c->pat, '\\');
  buf_add(&c->pat, ch);
  c->has = 1;
}

static void add_plain(Ctx *c, char ch) {
  buf_add(&c->lit, ch);
  buf_add(&c->pat, ch);
  if (ch == '*' || ch == '?' || ch == '[') c->glob = 1;
  c->has = 1;
}

static void end_field(Ctx *c) {
  if (c->has && !(c->suppress && c->lit.len == 0)) {
    if (c->glob && c->mode == M_FIELDS && glob_magic(buf_cstr(&c->pat)) && glob_expand(buf_cstr(&c->pat), c->out)) {
      /* the matches were added */
    } else {
      args_add(c->out, astrdup(c->mode == M_PATTERN ? buf_cstr(&c->pat) : buf_cstr(&c->lit)));
    }
  }
  c->lit.len = c->pat.len = 0;
  c->has = c->glob = c->suppress = 0;
}

static const char *ifs(void) {
  const char *s = var_get("IFS");
  return s ? s : " \t\n";
}

/* The value of an expansion: quoted, it is text; unquoted in a command's words it is split
 * into fields at IFS characters, and its pattern characters stay active. */
static void add_value(Ctx *c, const char *v, int quoted) {
  if (!v) return;
  if (quoted || c->mode == M_HEREDOC) {
    while (*v) add_quoted(c, *v++);
    return;
  }
  if (c->mode != M_FIELDS) {
    while (*v) add_plain(c, *v++);
    return;
  }
  const char *sep = ifs();
  for (; *v; v++) {
    if (!strchr(sep, *v)) {
      add_plain(c, *v);
    } else if (isspace(*v)) {
      if (c->has) end_field(c);
    } else { /* a non-blank separator always ends a field, empty or not */
      c->has = 1;
      end_field(c);
    }
  }
}

static void walk(Ctx *c, const char *s, size_t n, int dq);

/* The end of a $( ), ${ } or $(( )) starting at s (just past the opening), skipping quotes. */
static const char *closing(const char *s, char open, char close) {
  int depth = 1;
  for (; *s; s++) {
    if (*s == '\\' && s[1]) s++;
    else if (*s == '\'') {
      const char *q = strchr(s + 1, '\'');
      if (q) s = q;
    } else if (*s == '"') {
      const char *q = s + 1;
      while (*q && *q != '"') q += *q == '\\' && q[1] ? 2 : 1;
      if (*q) s = q;
    } else if (*s == open) depth++;
    else if (*s == close && --depth == 0) return s;
  }
  return s;
}

static char *special_param(const char *name, char *buf) {
  if (strcmp(name, "?") == 0) return sprintf(buf, "%d", last_status), buf;
  if (strcmp(name, "$") == 0) return sprintf(buf, "%d", shell_pid), buf;
  if (strcmp(name, "#") == 0) return sprintf(buf, "%d", posc), buf;
  if (strcmp(name, "!") == 0) return last_bg_pid ? (sprintf(buf, "%d", last_bg_pid), buf) : NULL;
  if (strcmp(name, "-") == 0) return strcpy(buf, interactive ? (xtrace ? "ix" : "i") : xtrace ? "x" : "");
  if (strcmp(name, "0") == 0) return arg0;
  if (isdigit(name[0])) {
    int k = atoi(name);
    return k >= 1 && k <= posc ? posv[k - 1] : NULL;
  }
  return var_get(name);
}

/* "$*" and unquoted $* and $@: the parameters joined (quoted) or as separate fields. */
static void positional(Ctx *c, char which, int dq) {
  if (dq && which == '@' && c->mode == M_FIELDS) {
    if (posc == 0) c->suppress = 1;
    for (int i = 0; i < posc; i++) {
      if (i) end_field(c);
      c->has = 1;
      add_value(c, posv[i], 1);
    }
    return;
  }
  char sep = dq ? (ifs()[0]) : ' ';
  for (int i = 0; i < posc; i++) {
    if (i) {
      if (!dq && c->mode == M_FIELDS) end_field(c);
      else if (sep) add_value(c, (char[]){ sep, 0 }, 1);
    }
    add_value(c, posv[i], dq);
  }
}

/* Removes the shortest or longest prefix or suffix of v matching pat (${v#p} ${v##p} ${v%p} ${v%%p}). */
static char *trim(const char *v, const char *pat, int suffix, int longest) {
  size_t n = strlen(v);
  char *tmp = astrdup(v);
  for (size_t k = 0; k <= n; k++) {
    size_t len = longest ? n - k : k; /* the length of the part to remove */
    if (suffix) {
      if (pattern_match(pat, v + n - len)) return astrndup(v, n - len);
    } else {
      tmp[len] = 0;
      int m = pattern_match(pat, tmp);
      tmp[len] = v[len];
      if (m) return astrdup(v + len);
    }
  }
  return astrdup(v);
}

/* ${...}: inner is the text between the braces. */
static void brace(Ctx *c, const char *inner, size_t n, int dq) {
  char *s = astrndup(inner, n), buf[32];
  if (s[0] == '#' && s[1]) { /* ${#name} */
    char *v = special_param(s + 1, buf);
    add_value(c, (sprintf(buf, "%u", v ? (unsigned)strlen(v) : 0u), buf), 1);
    return;
  }
  size_t len = 0;
  if (isdigit(s[0])) while (isdigit(s[len])) len++;
  else if (strchr("?$#!@*-", s[0]) && s[0]) len = 1;
  else while (isalnum(s[len]) || s[len] == '_') len++;
  char *op = s + len;
  char name[len + 1];
  memcpy(name, s, len);
  name[len] = 0;
  if (len == 0) {
    sh_error("${%s}: bad substitution", s);
    return;
  }
  if ((name[0] == '@' || name[0] == '*') && *op == 0) {
    positional(c, name[0], dq);
    return;
  }
  char *v = name[0] == '@' || name[0] == '*' ? (posc ? posv[0] : NULL) : special_param(name, buf);
  if (*op == 0) {
    add_value(c, v, dq);
    return;
  }
  int colon = *op == ':';
  char kind = op[colon];
  const char *word = op + colon + 1;
  int set = colon ? v && *v : v != NULL;
  switch (kind) {
    case '-':
      if (set) add_value(c, v, dq);
      else walk(c, word, strlen(word), dq);
      return;
    case '=':
      if (!set) var_set(name, v = expand_string(word), 0);
      add_value(c, v, dq);
      return;
    case '+':
      if (set) walk(c, word, strlen(word), dq);
      return;
    case '?':
      if (set) {
        add_value(c, v, dq);
        return;
      }
      sh_error("%s: %s", name, *word ? expand_string(word) : "parameter not set");
      if (!interactive) exit(2);
      return;
    case '%': case '#': {
      int longest = op[1] == kind;
      add_value(c, trim(v ? v : "", expand_pattern(word + longest), kind == '%', longest), dq);
      return;
    }
  }
  sh_error("${%s}: bad substitution", s);
}

/* $... at s; returns how many bytes it took. */
static size_t dollar(Ctx *c, const char *s, int dq) {
  char buf[32];
  if (s[1] == '(' && s[2] == '(') {
    const char *e = closing(s + 3, '(', ')');
    if (*e && e[1] == ')') {
      int ok;
      long long v = arith(expand_string(astrndup(s + 3, e - s - 3)), &ok);
      if (!ok && !interactive) exit(2);
      sprintf(buf, "%lld", v);
      add_value(c, buf, 1);
      return e + 2 - s;
    }
  }
  if (s[1] == '(') {
    const char *e = closing(s + 2, '(', ')');
    add_value(c, command_output(astrndup(s + 2, e - s - 2)), dq);
    return e - s + (*e ? 1 : 0);
  }
  if (s[1] == '{') {
    const char *e = closing(s + 2, '{', '}');
    brace(c, s + 2, e - s - 2, dq);
    return e - s + (*e ? 1 : 0);
  }
  if (s[1] == '@' || s[1] == '*') {
    positional(c, s[1], dq);
    return 2;
  }
  if (s[1] && strchr("?$#!-0123456789", s[1])) {
    char name[2] = { s[1], 0 };
    add_value(c, special_param(name, buf), dq);
    return 2;
  }
  size_t n = 1;
  while (isalnum(s[n]) || s[n] == '_') n++;
  if (n == 1 || isdigit(s[1])) {
    add_quoted(c, '$');
    return 1;
  }
  char *name = astrndup(s + 1, n - 1);
  add_value(c, var_get(name), dq);
  return n;
}

/* `...`: backslash keeps its meaning only before $ ` and \. */
static size_t backquote(Ctx *c, const char *s, int dq) {
  Buf cmd = { 0, 0, 0 };
  size_t i = 1;
  for (; s[i] && s[i] != '`'; i++) {
    if (s[i] == '\\' && s[i + 1] && strchr("$`\\", s[i + 1])) i++;
    buf_add(&cmd, s[i]);
  }
  add_value(c, command_output(cmd.s ? buf_cstr(&cmd) : ""), dq);
  buf_free(&cmd);
  return i + (s[i] ? 1 : 0);
}

static void walk(Ctx *c, const char *s, size_t n, int dq) {
  for (size_t i = 0; i < n;) {
    char ch = s[i];
    if (c->mode == M_HEREDOC) {
      if (ch == '\\' && i + 1 < n && strchr("$`\\\n", s[i + 1])) {
        if (s[i + 1] != '\n') add_quoted(c, s[i + 1]);
        i += 2;
      } else if (ch == '$') {
        i += dollar(c, s + i, 1);
      } else if (ch == '`') {
        i += backquote(c, s + i, 1);
      } else {
        add_quoted(c, ch);
        i++;
      }
      continue;
    }
    if (ch == '\'' && !dq) {
      size_t j = i + 1;
      while (j < n && s[j] != '\'') add_quoted(c, s[j++]);
      c->has = 1;
      i = j + 1;
    } else if (ch == '"') {
      dq = !dq;
      c->has = 1;
      i++;
    } else if (ch == '\\' && i + 1 < n) {
      char next = s[i + 1];
      if (next == '\n') {
      } else if (!dq || strchr("$`\"\\", next)) {
        add_quoted(c, next);
      } else {
        add_quoted(c, '\\');
        add_quoted(c, next);
      }
      i += 2;
    } else if (ch == '$') {
      i += dollar(c, s + i, dq);
    } else if (ch == '`') {
      i += backquote(c, s + i, dq);
    } else if (ch == '~' && i == 0 && !dq && c->lit.len == 0) {
      size_t j = 1;
      while (j < n && s[j] != '/') j++;
      const char *home = j == 1 ? var_get("HOME") : NULL;
      if (home) add_value(c, home, 1);
      else add_quoted(c, '~'), j = 1;
      i = j;
    } else {
      if (dq) add_quoted(c, ch);
      else add_plain(c, ch);
      i++;
    }
  }
}

static char *expand_one(const char *word, int mode) {
  Args out = { 0, 0, 0 };
  Ctx c = { { 0, 0, 0 }, { 0, 0, 0 }, 0, 0, 0, mode, &out };
  walk(&c, word, strlen(word), 0);
  c.has = 1;
  end_field(&c);
  char *r = out.n ? out.v[0] : astrdup("");
  free(out.v);
  buf_free(&c.lit);
  buf_free(&c.pat);
  return r;
}

void expand_fields(const char *word, Args *out) {
  Ctx c = { { 0, 0, 0 }, { 0, 0, 0 }, 0, 0, 0, M_FIELDS, out };
  walk(&c, word, strlen(word), 0);
  end_field(&c);
  buf_free(&c.lit);
  buf_free(&c.pat);
}

char *expand_string(const char *word) { return expand_one(word, M_STRING); }
char *expand_pattern(const char *word) { return expand_one(word, M_PATTERN); }
char *expand_heredoc(const char *body) { return expand_one(body, M_HEREDOC); }

char *command_output(const char *cmd) {
  int p[2];
  if (pipe(p) < 0) {
    sh_error("pipe: %s", strerror(errno));
    return "";
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    sh_error("fork: %s", strerror(errno));
    close(p[0]);
    close(p[1]);
    return "";
  }
  if (pid == 0) {
    close(p[0]);
    if (p[1] != 1) {
      dup2(p[1], 1);
      close(p[1]);
    }
    child_reset(0);
    exit(run_string(cmd));
  }
  close(p[1]);
  Buf b = { 0, 0, 0 };
  char chunk[1024];
  for (;;) {
    ssize_t n = read(p[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    buf_str(&b, chunk, n);
  }
  close(p[0]);
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
  subst_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  while (b.len && b.s[b.len - 1] == '\n') b.len--;
  char *r = astrndup(b.s ? b.s : "", b.len);
  buf_free(&b);
  return r;
}
