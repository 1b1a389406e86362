/* The shell's shared declarations. The shell reads commands from a source (input.c), turns
 * them into tokens (lex.c) and a tree of nodes (parse.c, allocated in an arena: arena.c),
 * expands words (expand.c, with arith.c and glob.c) and runs the tree (exec.c), keeping
 * processes in jobs (jobs.c); builtins.c holds the commands it runs itself, vars.c its
 * variables, main.c the start-up and the read-parse-run loop. */
#ifndef SH_H
#define SH_H
#include "libc.h"

/* ---- a growable byte buffer (arena.c) ---- */
typedef struct {
  char *s;
  size_t len, cap;
} Buf;
void buf_add(Buf *b, char c);
void buf_str(Buf *b, const char *s, size_t n);
/* The contents as a NUL-terminated string (still owned by b). */
char *buf_cstr(Buf *b);
void buf_free(Buf *b);

/* ---- the arena: parse trees and expansion results live until released (arena.c) ---- */
void *amalloc(size_t n);
char *astrdup(const char *s);
char *astrndup(const char *s, size_t n);
typedef void *Mark;
Mark arena_mark(void);
/* Frees everything allocated since m, except what arena_pin protected. */
void arena_release(Mark m);
/* Keeps everything allocated so far (function bodies outlive the command that defined them). */
void arena_pin(void);

/* ---- input sources (input.c) ---- */
typedef struct Source Source;
Source *source_fd(int fd, int interactive);
Source *source_string(const char *s);
void source_free(Source *s);
/* Reads one line (with its '\n') into b; prompt is shown first when the source is interactive.
 * Returns 1 for a line, 0 at end of input, -1 if SIGINT interrupted the read. */
int source_line(Source *s, Buf *b, const char *prompt);
int source_interactive(Source *s);

/* ---- tokens (lex.c) ---- */
enum {
  T_WORD, T_NEWLINE, T_EOF, T_SEMI, T_DSEMI, T_AMP, T_PIPE, T_ANDAND, T_OROR, T_LPAREN, T_RPAREN,
  T_REDIR, T_ERROR,
};
/* Redirection operators. */
enum { R_IN, R_OUT, R_APPEND, R_DUPIN, R_DUPOUT, R_RDWR, R_HEREDOC, R_HEREDOC_TABS, R_CLOBBER };
typedef struct {
  int type;
  char *text;   /* T_WORD: the raw word, quotes and all */
  int quoted;   /* T_WORD: holds a quote or backslash (never a reserved word) */
  int op, fd;   /* T_REDIR: operator, and the descriptor (explicit or the operator's default) */
} Token;
typedef struct Redir Redir;
typedef struct Lexer Lexer;
/* Makes a new lexer reading s current; returns the one it replaces, for lex_pop. */
Lexer *lex_push(Source *s);
void lex_pop(Lexer *prev);
/* Starts a new command: the next line read gets PS1, later ones PS2. */
void lex_new_command(void);
Token lex_next(void);
/* Queues a here-document whose body the lexer reads after the current line. */
void lex_heredoc(Redir *r, const char *delim);
/* Drops the rest of the current line (after a syntax error). */
void lex_discard_line(void);
/* Set when the last read was interrupted by ^C. */
extern int lex_interrupted;

/* ---- the syntax tree (parse.c) ---- */
struct Redir {
  Redir *next;
  int op, fd;
  char *word;  /* target word; for here-documents the body */
  int quoted;  /* here-document: its delimiter was quoted, so the body is not expanded */
};
enum {
  N_SIMPLE, N_PIPE, N_AND, N_OR, N_SEQ, N_BG, N_NOT, N_IF, N_WHILE, N_UNTIL, N_FOR, N_CASE,
  N_GROUP, N_SUBSHELL, N_FUNC,
};
typedef struct Node Node;
struct Node {
  int type;
  Redir *redirs;
  char **words;   /* SIMPLE: argument words; FOR: the list (NULL: "$@"); CASE item: patterns */
  char **assigns; /* SIMPLE: NAME=value words */
  char *name;     /* FOR: the variable; CASE: the word; FUNC: the name */
  Node *a, *b, *c; /* operands: AND/OR/SEQ (a, b), IF (cond a, then b, else c), loops (a, b),
                      BG/NOT/GROUP/SUBSHELL/FUNC (a), CASE items (a, then b for the next) */
  Node **cmds;    /* PIPE */
  int ncmds;
};
/* Parses one complete command (up to a newline). Returns NULL for an empty line; *status is
 * 0, or 1 at end of input, or 2 after a syntax error (already reported). */
Node *parse_command(int *status);
/* The command as text, for job reports. */
char *node_text(Node *n);

/* ---- variables (vars.c) ---- */
char *var_get(const char *name);
void var_set(const char *name, const char *value, int export);
void var_unset(const char *name);
void var_export(const char *name);
int var_valid_name(const char *s, size_t n);
/* Every exported variable as NAME=value (a malloc'd, NULL-terminated array). */
char **var_environ(void);
void var_print(int exported_only);
void vars_import(char **envp);
extern char *arg0;      /* $0 */
extern char **posv;     /* $1... */
extern int posc;        /* $# */
void set_positional(char **v, int n);

/* ---- expansion (expand.c, arith.c, glob.c) ---- */
typedef struct {
  char **v;
  int n, cap;
} Args;
void args_add(Args *a, char *s);
/* Expands word into fields (with splitting and pathname expansion), appended to out. */
void expand_fields(const char *word, Args *out);
/* Expands word into one string (no splitting, no globbing): assignments, redirections. */
char *expand_string(const char *word);
/* Expands word into a pattern: quoted characters come out backslash-escaped. */
char *expand_pattern(const char *word);
/* A here-document body: $ expansions and backslashes only. */
char *expand_heredoc(const char *body);
/* Runs cmd in a subshell and returns its output without trailing newlines. */
char *command_output(const char *cmd);
long long arith(const char *expr, int *ok);
/* Shell pattern match: * ? [...] [!...] and \ escapes. */
int pattern_match(const char *pat, const char *s);
/* Whether pat has anything to expand: * or ?, or [ with a closing ]. */
int glob_magic(const char *pat);
/* Pathname expansion: the sorted matches of pat appended to out; 0 if none. */
int glob_expand(const char *pat, Args *out);

/* ---- running (exec.c) ---- */
enum { F_NOFORK = 1 };
int run(Node *n, int flags);
/* Applies redirections; with save, remembers what they replaced for undo_redirs. */
typedef struct Saved Saved;
int apply_redirs(Redir *r, Saved **save);
void undo_redirs(Saved *s);
/* Runs every complete command of src; returns the last status. */
int run_source(Source *src);
int run_string(const char *s);
int run_file(const char *path, int must_exist);
/* Finds name on PATH: a malloc'd path, or NULL. */
char *find_command(const char *name);
/* In a freshly forked child: signals back to their defaults, job control off. */
void child_reset(int background);
/* The interactive shell's signals: ^C interrupts input, SIGQUIT and SIGTERM are ignored, and
 * with job control SIGTSTP, SIGTTIN and SIGTTOU too. */
void shell_signals(void);
extern int last_status;
extern int subst_status; /* the status of the last command substitution, or -1 */
extern pid_t last_bg_pid;
extern pid_t shell_pid;
extern int interactive, jobctl, xtrace;
/* Set by break/continue/return: how many loop levels to leave, or a function to leave. */
extern int breaking, continuing, returning;
extern int loop_depth, func_depth;

/* ---- functions (exec.c) ---- */
Node *func_get(const char *name);
void func_set(const char *name, Node *body);

/* ---- jobs (jobs.c) ---- */
typedef struct Job Job;
extern int tty_fd;
extern pid_t shell_pgid;
void jobs_init(void);
Job *job_new(const char *text, int background);
void job_add(Job *j, pid_t pid);
pid_t job_pgid(Job *j);
/* Waits for a foreground job to finish or stop; returns its status (128+N for signal N). */
int job_wait_fg(Job *j);
/* Announces a background job ("[1] 1234") when interactive. */
void job_started_bg(Job *j);
/* Collects finished children without waiting; with report, prints changes (interactive). */
void jobs_poll(int report);
int builtin_jobs(int argc, char **argv);
int builtin_fg(int argc, char **argv);
int builtin_bg(int argc, char **argv);
int builtin_wait(int argc, char **argv);
/* Appends kill's operands for job spec %JOB: -pgid, or each pid without job control; 0 if
 * there is no such job. */
int job_kill_operands(const char *spec, Args *out);

/* ---- builtins (builtins.c) ---- */
typedef int (*Builtin)(int argc, char **argv);
Builtin builtin_find(const char *name);
int echo_main(int argc, char **argv);
int test_main(int argc, char **argv);
int kill_main(int argc, char **argv);

void sh_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#endif
