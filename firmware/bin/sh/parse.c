/* The parser: tokens into a syntax tree, by recursive descent over the POSIX shell grammar:
 *   list      := and_or ((';' | '&' | newline) and_or)*
 *   and_or    := pipeline (('&&' | '||') newline* pipeline)*
 *   pipeline  := ['!'] command ('|' newline* command)*
 *   command   := simple | compound redirection* | NAME '(' ')' newline* compound
 *   compound  := if | while | until | for | case | '{' list '}' | '(' list ')'
 * At the top level a list ends at a newline, so each line runs as soon as it is complete;
 * inside compound commands newlines separate commands and reserved words end the lists.
 * A syntax error is reported and unwinds (longjmp) to parse_command. */
#include "sh.h"

static Token tok;
static int peeked;
static jmp_buf on_error;

static Token *peek(void) {
  if (!peeked) {
    tok = lex_next();
    peeked = 1;
    if (tok.type == T_ERROR) longjmp(on_error, 1);
  }
  return &tok;
}

static void consume(void) { peeked = 0; }

static const char *describe(Token *t) {
  static const char *const names[] = { "word", "newline", "end of file", ";", ";;", "&", "|", "&&", "||", "(", ")", "redirection" };
  return t->type == T_WORD ? t->text : names[t->type];
}

static void syntax(Token *t) {
  sh_error("syntax error: unexpected %s%s%s", t->type == T_WORD ? "'" : "", describe(t), t->type == T_WORD ? "'" : "");
  longjmp(on_error, 1);
}

static int is_word(Token *t, const char *w) { return t->type == T_WORD && !t->quoted && strcmp(t->text, w) == 0; }

static void expect(const char *w) {
  if (!is_word(peek(), w)) syntax(peek());
  consume();
}

static void skip_newlines(void) {
  while (peek()->type == T_NEWLINE) consume();
}

static Node *mk(int type, Node *a, Node *b) {
  Node *n = amalloc(sizeof *n);
  memset(n, 0, sizeof *n);
  n->type = type;
  n->a = a;
  n->b = b;
  return n;
}

static char **vec(Args *a) {
  char **v = amalloc((a->n + 1) * sizeof *v);
  for (int i = 0; i < a->n; i++) v[i] = a->v[i];
  v[a->n] = NULL;
  free(a->v);
  a->v = NULL;
  a->n = a->cap = 0;
  return v;
}

static Node *list(int top);
static Node *command(void);

/* Reserved words and tokens that end a list inside a compound command. */
static int ends_list(Token *t) {
  static const char *const enders[] = { "then", "else", "elif", "fi", "do", "done", "esac", "}", NULL };
  if (t->type == T_RPAREN || t->type == T_DSEMI || t->type == T_EOF) return 1;
  for (int i = 0; enders[i]; i++)
    if (is_word(t, enders[i])) return 1;
  return 0;
}

static Node *pipeline(void) {
  int negate = 0;
  if (is_word(peek(), "!")) {
    consume();
    negate = 1;
  }
  Args cmds = { 0, 0, 0 };
  args_add(&cmds, (char *)command());
  while (peek()->type == T_PIPE) {
    consume();
    skip_newlines();
    args_add(&cmds, (char *)command());
  }
  Node *n;
  if (cmds.n == 1) {
    n = (Node *)cmds.v[0];
    free(cmds.v);
  } else {
    n = mk(N_PIPE, NULL, NULL);
    n->ncmds = cmds.n;
    n->cmds = (Node **)vec(&cmds);
  }
  return negate ? mk(N_NOT, n, NULL) : n;
}

static Node *and_or(void) {
  Node *n = pipeline();
  for (;;) {
    int t = peek()->type;
    if (t != T_ANDAND && t != T_OROR) return n;
    consume();
    skip_newlines();
    n = mk(t == T_ANDAND ? N_AND : N_OR, n, pipeline());
  }
}

static Node *seq(Node *a, Node *b) { return a ? mk(N_SEQ, a, b) : b; }

static Node *list(int top) {
  Node *n = NULL;
  for (;;) {
    if (!top) skip_newlines();
    Token *t = peek();
    if (top && t->type == T_NEWLINE) {
      consume();
      return n;
    }
    if (top ? t->type == T_EOF : ends_list(t)) return n;
    Node *x = and_or();
    t = peek();
    if (t->type == T_AMP) {
      consume();
      x = mk(N_BG, x, NULL);
    } else if (t->type == T_SEMI) {
      consume();
    } else if (t->type == T_NEWLINE) {
      consume();
      if (top) return seq(n, x);
    } else if (!(top ? t->type == T_EOF : ends_list(t))) {
      syntax(t);
    }
    n = seq(n, x);
  }
}

/* A list that must not be empty (the body of if, while, { }, ...). */
static Node *body(void) {
  Node *n = list(0);
  if (!n) syntax(peek());
  return n;
}

static void redirection(Redir ***tail) {
  Token r = *peek();
  consume();
  Token *w = peek();
  if (w->type != T_WORD) syntax(w);
  Redir *rd = amalloc(sizeof *rd);
  memset(rd, 0, sizeof *rd);
  rd->op = r.op;
  rd->fd = r.fd;
  rd->word = w->text;
  if (r.op == R_HEREDOC || r.op == R_HEREDOC_TABS) {
    /* The delimiter with its quotes removed; any quoting means a literal body. */
    char *d = astrdup(w->text), *o = d;
    for (char *p = w->text; *p; p++)
      if (!strchr("'\"\\", *p)) *o++ = *p;
    *o = 0;
    rd->quoted = w->quoted;
    rd->word = "";
    lex_heredoc(rd, d);
  }
  consume();
  **tail = rd;
  *tail = &rd->next;
}

static void redirections(Node *n) {
  Redir **tail = &n->redirs;
  while (*tail) tail = &(*tail)->next;
  while (peek()->type == T_REDIR) redirection(&tail);
}

static int is_assignment(const char *w) {
  const char *eq = strchr(w, '=');
  return eq && eq > w && var_valid_name(w, eq - w);
}

static Node *if_clause(void) {
  Node *n = mk(N_IF, body(), NULL);
  expect("then");
  n->b = body();
  if (is_word(peek(), "elif")) {
    consume();
    n->c = if_clause();
    return n;
  }
  if (is_word(peek(), "else")) {
    consume();
    n->c = body();
  }
  expect("fi");
  return n;
}

static Node *for_clause(void) {
  Token *t = peek();
  if (t->type != T_WORD || !var_valid_name(t->text, strlen(t->text))) syntax(t);
  Node *n = mk(N_FOR, NULL, NULL);
  n->name = t->text;
  consume();
  skip_newlines();
  if (is_word(peek(), "in")) {
    consume();
    Args words = { 0, 0, 0 };
    while (peek()->type == T_WORD) {
      args_add(&words, peek()->text);
      consume();
    }
    n->words = vec(&words);
    if (peek()->type != T_SEMI && peek()->type != T_NEWLINE) syntax(peek());
    consume();
  } else if (peek()->type == T_SEMI) {
    consume();
  }
  skip_newlines();
  expect("do");
  n->a = body();
  expect("done");
  return n;
}

static Node *case_clause(void) {
  Token *t = peek();
  if (t->type != T_WORD) syntax(t);
  Node *n = mk(N_CASE, NULL, NULL);
  n->name = t->text;
  consume();
  skip_newlines();
  expect("in");
  Node **item = &n->a;
  for (;;) {
    skip_newlines();
    if (is_word(peek(), "esac")) break;
    if (peek()->type == T_LPAREN) consume();
    Args pats = { 0, 0, 0 };
    for (;;) {
      if (peek()->type != T_WORD) syntax(peek());
      args_add(&pats, peek()->text);
      consume();
      if (peek()->type != T_PIPE) break;
      consume();
    }
    if (peek()->type != T_RPAREN) syntax(peek());
    consume();
    Node *it = mk(N_CASE, list(0), NULL);
    it->words = vec(&pats);
    *item = it;
    item = &it->b;
    if (peek()->type == T_DSEMI) consume();
    else if (!is_word(peek(), "esac")) syntax(peek());
  }
  consume();
  return n;
}

static Node *compound(void) {
  Token *t = peek();
  Node *n = NULL;
  if (t->type == T_LPAREN) {
    consume();
    n = mk(N_SUBSHELL, body(), NULL);
    if (peek()->type != T_RPAREN) syntax(peek());
    consume();
  } else if (is_word(t, "{")) {
    consume();
    n = mk(N_GROUP, body(), NULL);
    expect("}");
  } else if (is_word(t, "if")) {
    consume();
    n = if_clause();
  } else if (is_word(t, "while") || is_word(t, "until")) {
    int type = strcmp(t->text, "while") == 0 ? N_WHILE : N_UNTIL;
    consume();
    n = mk(type, body(), NULL);
    expect("do");
    n->b = body();
    expect("done");
  } else if (is_word(t, "for")) {
    consume();
    n = for_clause();
  } else if (is_word(t, "case")) {
    consume();
    n = case_clause();
  } else {
    return NULL;
  }
  redirections(n);
  return n;
}

static Node *command(void) {
  Node *n = compound();
  if (n) return n;
  n = mk(N_SIMPLE, NULL, NULL);
  Args words = { 0, 0, 0 }, assigns = { 0, 0, 0 };
  Redir **tail = &n->redirs;
  for (;;) {
    Token *t = peek();
    if (t->type == T_REDIR) {
      redirection(&tail);
    } else if (t->type == T_WORD) {
      if (words.n == 0 && is_assignment(t->text)) {
        args_add(&assigns, t->text);
        consume();
        continue;
      }
      args_add(&words, t->text);
      consume();
      if (words.n == 1 && assigns.n == 0 && n->redirs == NULL && peek()->type == T_LPAREN &&
          var_valid_name(words.v[0], strlen(words.v[0]))) {
        consume();
        if (peek()->type != T_RPAREN) syntax(peek());
        consume();
        skip_newlines();
        Node *f = mk(N_FUNC, compound(), NULL);
        if (!f->a) syntax(peek());
        f->name = words.v[0];
        free(words.v);
        return f;
      }
    } else {
      break;
    }
  }
  if (words.n == 0 && assigns.n == 0 && n->redirs == NULL) syntax(peek());
  n->words = vec(&words);
  n->assigns = vec(&assigns);
  return n;
}

Node *parse_command(int *status) {
  if (setjmp(on_error)) {
    peeked = 0;
    lex_discard_line();
    *status = 2;
    return NULL;
  }
  lex_new_command();
  *status = 0;
  if (peek()->type == T_EOF) {
    peeked = 0;
    *status = 1;
    return NULL;
  }
  Node *n = list(1);
  /* Only an end-of-file token can be left over; the lexer gives it again, and a nested parse
   * (eval, a command substitution) must not inherit it. */
  peeked = 0;
  return n;
}

/* ---- the text of a command, for job reports ---- */

static void text(Buf *b, Node *n) {
  static const char *const ops[] = { [R_IN] = "<", [R_OUT] = ">", [R_APPEND] = ">>", [R_DUPIN] = "<&", [R_DUPOUT] = ">&",
                                     [R_RDWR] = "<>", [R_HEREDOC] = "<<", [R_HEREDOC_TABS] = "<<-", [R_CLOBBER] = ">|" };
  if (!n) return;
  switch (n->type) {
    case N_SIMPLE: {
      const char *sep = "";
      for (char **p = n->assigns; p && *p; p++, sep = " ") buf_str(b, sep, strlen(sep)), buf_str(b, *p, strlen(*p));
      for (char **p = n->words; p && *p; p++, sep = " ") buf_str(b, sep, strlen(sep)), buf_str(b, *p, strlen(*p));
      for (Redir *r = n->redirs; r; r = r->next) {
        int deflt = r->fd == (r->op == R_IN || r->op == R_DUPIN || r->op == R_RDWR || r->op == R_HEREDOC || r->op == R_HEREDOC_TABS ? 0 : 1);
        if (*sep) buf_add(b, ' ');
        if (!deflt) {
          char fd[12];
          buf_str(b, fd, snprintf(fd, sizeof fd, "%d", r->fd));
        }
        buf_str(b, ops[r->op], strlen(ops[r->op]));
        if (r->op != R_HEREDOC && r->op != R_HEREDOC_TABS) buf_str(b, r->word, strlen(r->word));
        sep = " ";
      }
      return;
    }
    case N_PIPE:
      for (int i = 0; i < n->ncmds; i++) {
        if (i) buf_str(b, " | ", 3);
        text(b, n->cmds[i]);
      }
      return;
    case N_AND: case N_OR: case N_SEQ:
      text(b, n->a);
      buf_str(b, n->type == N_AND ? " && " : n->type == N_OR ? " || " : "; ", n->type == N_SEQ ? 2 : 4);
      text(b, n->b);
      return;
    case N_BG: text(b, n->a); buf_str(b, " &", 2); return;
    case N_NOT: buf_str(b, "! ", 2); text(b, n->a); return;
    case N_SUBSHELL: buf_str(b, "(", 1); text(b, n->a); buf_str(b, ")", 1); return;
    case N_GROUP: buf_str(b, "{ ", 2); text(b, n->a); buf_str(b, "; }", 3); return;
    case N_IF: buf_str(b, "if ...", 6); return;
    case N_WHILE: buf_str(b, "while ...", 9); return;
    case N_UNTIL: buf_str(b, "until ...", 9); return;
    case N_FOR: buf_str(b, "for ...", 7); return;
    case N_CASE: buf_str(b, "case ...", 8); return;
    case N_FUNC: buf_str(b, n->name, strlen(n->name)); buf_str(b, "() ...", 6); return;
  }
}

char *node_text(Node *n) {
  Buf b = { 0, 0, 0 };
  text(&b, n);
  char *s = xstrdup(b.s ? buf_cstr(&b) : "");
  buf_free(&b);
  return s;
}
