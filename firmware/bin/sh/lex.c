/* The lexer: turns the current source's lines into tokens. Words keep their quotes and
 * substitutions as written (expansion happens later, in expand.c); the lexer only finds where
 * each word ends, reading more lines while a quote, $( ), ${ } or ` ` is open. Operators:
 * ; ;; & && | || ( ) and the redirections < > >> >| <> <& >& << <<-, with an optional
 * descriptor number written right before them (2>err). Here-document bodies are read from the
 * lines after the one that named them. */
#include "sh.h"

#define MAX_HEREDOCS 16

/* One per source being read (sources nest: eval, ".", command substitution). */
struct Lexer {
  Source *src;
  Buf line;          /* the current line, '\n' included */
  size_t pos;        /* the next byte of it */
  int first_line;    /* the next line read starts a command (prompt PS1, else PS2) */
  struct { Redir *r; char *delim; } pending[MAX_HEREDOCS];
  int npending;
};

static Lexer *L;
int lex_interrupted;

Lexer *lex_push(Source *s) {
  Lexer *prev = L;
  L = xmalloc(sizeof *L);
  memset(L, 0, sizeof *L);
  L->src = s;
  return prev;
}

void lex_pop(Lexer *prev) {
  buf_free(&L->line);
  free(L);
  L = prev;
}

void lex_new_command(void) { L->first_line = 1; }
void lex_discard_line(void) { L->pos = L->line.len; L->npending = 0; }

/* PS1 (default "$ ", or "# " for root) goes through parameter expansion; PS2 ("> ") does not. */
static const char *prompt(void) {
  if (!source_interactive(L->src)) return NULL;
  if (!L->first_line) {
    const char *p = var_get("PS2");
    return p ? p : "> ";
  }
  const char *p = var_get("PS1");
  return p ? expand_string(p) : geteuid() == 0 ? "# " : "$ ";
}

/* Reads the next line: 1, or 0 at the end of input, or -1 after ^C. */
static int fetch(void) {
  L->pos = 0;
  int r = source_line(L->src, &L->line, prompt());
  L->first_line = 0;
  if (r < 0) lex_interrupted = 1;
  return r;
}

static int cur(void) { return L->pos < L->line.len ? (unsigned char)L->line.s[L->pos] : 0; }
static int at(size_t k) { return L->pos + k < L->line.len ? (unsigned char)L->line.s[L->pos + k] : 0; }

static Token error_token(const char *what) {
  Token t = { T_ERROR, NULL, 0, 0, 0 };
  if (!lex_interrupted) sh_error("syntax error: %s", what);
  return t;
}

/* A quote or substitution continues on the next line; 0 at the end of input. */
static int more(void) { return fetch() > 0; }

static int copy_single(Buf *w);
static int copy_double(Buf *w);
static int copy_nested(Buf *w, char open, char close);
static int copy_backquote(Buf *w);

/* The quoted and substituted parts of a word; each returns 0 if input ends inside it. */
static int copy_part(Buf *w) {
  int c = cur();
  if (c == '\'') return copy_single(w);
  if (c == '"') return copy_double(w);
  if (c == '`') return copy_backquote(w);
  if (c == '$' && at(1) == '(') return copy_nested(w, '(', ')');
  if (c == '$' && at(1) == '{') return copy_nested(w, '{', '}');
  if (c == '\\') {
    buf_add(w, '\\');
    L->pos++;
    if (L->pos == L->line.len && !more()) return 1;
    buf_add(w, (char)cur());
    L->pos++;
    return 1;
  }
  buf_add(w, (char)c);
  L->pos++;
  return 1;
}

static int copy_single(Buf *w) {
  buf_add(w, '\'');
  L->pos++;
  for (;;) {
    if (L->pos == L->line.len && !more()) return 0;
    char c = L->line.s[L->pos++];
    buf_add(w, c);
    if (c == '\'') return 1;
  }
}

static int copy_double(Buf *w) {
  buf_add(w, '"');
  L->pos++;
  for (;;) {
    if (L->pos == L->line.len && !more()) return 0;
    if (cur() == '"') {
      buf_add(w, '"');
      L->pos++;
      return 1;
    }
    if (cur() == '\'') { /* an ordinary character inside double quotes */
      buf_add(w, '\'');
      L->pos++;
    } else if (!copy_part(w)) {
      return 0;
    }
  }
}

/* $( ... ) and ${ ... }: up to the matching close, skipping quoted parts. */
static int copy_nested(Buf *w, char open, char close) {
  buf_add(w, '$');
  buf_add(w, open);
  L->pos += 2;
  int depth = 1;
  for (;;) {
    if (L->pos == L->line.len && !more()) return 0;
    int c = cur();
    if (c == open) depth++;
    if (c == close && --depth == 0) {
      buf_add(w, close);
      L->pos++;
      return 1;
    }
    if (c == '#' && open == '(' && (w->len == 0 || strchr(" \t\n;", w->s[w->len - 1]))) { /* a comment */
      while (L->pos < L->line.len && cur() != '\n') L->pos++;
      continue;
    }
    if (!copy_part(w)) return 0;
  }
}

static int copy_backquote(Buf *w) {
  buf_add(w, '`');
  L->pos++;
  for (;;) {
    if (L->pos == L->line.len && !more()) return 0;
    int c = cur();
    buf_add(w, (char)c);
    L->pos++;
    if (c == '`') return 1;
    if (c == '\\' && L->pos < L->line.len) buf_add(w, L->line.s[L->pos++]);
  }
}

static int is_meta(int c) { return c == 0 || strchr(" \t\n;&|<>()", c) != NULL; }

/* Reads the here-documents the line just ended has asked for. */
static void read_heredocs(void) {
  Buf body = { 0, 0, 0 };
  for (int i = 0; i < L->npending; i++) {
    Redir *r = L->pending[i].r;
    body.len = 0;
    for (;;) {
      if (fetch() <= 0) break;
      size_t start = 0;
      if (r->op == R_HEREDOC_TABS)
        while (start < L->line.len && L->line.s[start] == '\t') start++;
      size_t end = L->line.len;
      if (end > start && L->line.s[end - 1] == '\n') end--;
      if (end - start == strlen(L->pending[i].delim) && memcmp(L->line.s + start, L->pending[i].delim, end - start) == 0) break;
      buf_str(&body, L->line.s + start, L->line.len - start);
    }
    r->word = astrndup(body.s ? body.s : "", body.len);
  }
  buf_free(&body);
  L->npending = 0;
  L->line.len = L->pos = 0;
}

void lex_heredoc(Redir *r, const char *delim) {
  if (L->npending == MAX_HEREDOCS) {
    sh_error("too many here-documents on one line");
    return;
  }
  L->pending[L->npending].r = r;
  L->pending[L->npending++].delim = astrdup(delim);
}

static Token redir_token(int op, int fd) {
  Token t = { T_REDIR, NULL, 0, op, fd };
  return t;
}

/* The redirection operator at the current position (whose first byte is < or >), with an explicit fd or -1. */
static Token lex_redir(int fd) {
  int c = cur(), n = at(1);
  L->pos++;
  if (c == '<') {
    if (fd < 0) fd = 0;
    if (n == '<') {
      L->pos++;
      if (cur() == '-') return L->pos++, redir_token(R_HEREDOC_TABS, fd);
      return redir_token(R_HEREDOC, fd);
    }
    if (n == '&') return L->pos++, redir_token(R_DUPIN, fd);
    if (n == '>') return L->pos++, redir_token(R_RDWR, fd);
    return redir_token(R_IN, fd);
  }
  if (fd < 0) fd = 1;
  if (n == '>') return L->pos++, redir_token(R_APPEND, fd);
  if (n == '&') return L->pos++, redir_token(R_DUPOUT, fd);
  if (n == '|') return L->pos++, redir_token(R_CLOBBER, fd);
  return redir_token(R_OUT, fd);
}

Token lex_next(void) {
  Token t = { T_EOF, NULL, 0, 0, 0 };
  lex_interrupted = 0;
  for (;;) {
    while (cur() == ' ' || cur() == '\t') L->pos++;
    if (L->pos < L->line.len) {
      if (cur() == '#') {
        while (L->pos < L->line.len && cur() != '\n') L->pos++;
        continue;
      }
      if (cur() == '\\' && at(1) == '\n') {
        L->pos += 2;
        continue;
      }
      break;
    }
    int r = fetch();
    if (r < 0) return error_token("interrupted");
    if (r == 0) return t;
  }
  int c = cur(), n = at(1);
  switch (c) {
    case '\n':
      L->pos++;
      t.type = T_NEWLINE;
      if (L->npending) read_heredocs();
      return t;
    case ';':
      L->pos += n == ';' ? 2 : 1;
      t.type = n == ';' ? T_DSEMI : T_SEMI;
      return t;
    case '&':
      L->pos += n == '&' ? 2 : 1;
      t.type = n == '&' ? T_ANDAND : T_AMP;
      return t;
    case '|':
      L->pos += n == '|' ? 2 : 1;
      t.type = n == '|' ? T_OROR : T_PIPE;
      return t;
    case '(': L->pos++; t.type = T_LPAREN; return t;
    case ')': L->pos++; t.type = T_RPAREN; return t;
    case '<': case '>': return lex_redir(-1);
  }
  /* A word; all digits right before < or > make a descriptor number instead. */
  size_t start = L->pos;
  while (isdigit(cur())) L->pos++;
  if (L->pos > start && (cur() == '<' || cur() == '>')) return lex_redir(atoi(L->line.s + start));
  L->pos = start;
  Buf w = { 0, 0, 0 };
  int quoted = 0;
  while (!is_meta(cur())) {
    if (cur() == '\\' && at(1) == '\n') { /* a continued line inside a word */
      L->pos += 2;
      if (L->pos == L->line.len && !more()) break;
      continue;
    }
    if (strchr("'\"\\", cur())) quoted = 1;
    if (!copy_part(&w)) {
      buf_free(&w);
      return error_token("unexpected end of file (an unclosed quote or substitution)");
    }
  }
  t.type = T_WORD;
  t.text = astrndup(w.s ? w.s : "", w.len);
  t.quoted = quoted;
  buf_free(&w);
  return t;
}
