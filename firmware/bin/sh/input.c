/* Input sources: a descriptor (a script, or the terminal or a pipe on stdin) or a string (-c,
 * eval, command substitution), read a line at a time. Standard input that cannot seek is read
 * one byte at a time, so the commands the shell starts find the rest of it unread (POSIX asks
 * this of a shell reading commands from a pipe). */
#include "sh.h"

struct Source {
  int fd;           /* -1 for a string */
  const char *str;  /* the string, and how far it has been read */
  size_t spos;
  int interactive;  /* show prompts */
  int bytewise;     /* read(2) one byte at a time */
  char buf[1024];
  int pos, len;
};

Source *source_fd(int fd, int interactive) {
  Source *s = xmalloc(sizeof *s);
  memset(s, 0, sizeof *s);
  s->fd = fd;
  s->interactive = interactive;
  s->bytewise = lseek(fd, 0, SEEK_CUR) < 0;
  return s;
}

Source *source_string(const char *str) {
  Source *s = xmalloc(sizeof *s);
  memset(s, 0, sizeof *s);
  s->fd = -1;
  s->str = str;
  return s;
}

void source_free(Source *s) { free(s); }
int source_interactive(Source *s) { return s->interactive; }

/* The next byte: 1, or 0 at the end, or -1 when a signal interrupted the read. */
static int next_byte(Source *s, char *c) {
  if (s->fd < 0) {
    if (!s->str[s->spos]) return 0;
    *c = s->str[s->spos++];
    return 1;
  }
  if (s->pos == s->len) {
    ssize_t n;
    do n = read(s->fd, s->buf, s->bytewise ? 1 : sizeof s->buf);
    while (n < 0 && errno == EINTR && !s->interactive);
    if (n < 0 && errno == EINTR) return -1; /* ^C at the prompt */
    if (n <= 0) return 0;
    s->pos = 0;
    s->len = n;
  }
  *c = s->buf[s->pos++];
  return 1;
}

int source_line(Source *s, Buf *b, const char *prompt) {
  b->len = 0;
  if (s->interactive && prompt) {
    fflush(stdout);
    fputs(prompt, stderr);
  }
  for (;;) {
    char c;
    int r = next_byte(s, &c);
    if (r < 0) {
      if (s->interactive) fputc('\n', stderr);
      b->len = 0;
      return -1;
    }
    if (r == 0) return b->len > 0;
    buf_add(b, c);
    if (c == '\n') return 1;
  }
}
