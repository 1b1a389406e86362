/* Memory that lives as long as a command: every allocation is a block on one list, newest
 * first. A mark is the list's head at some moment; releasing to a mark frees everything newer,
 * but never below the pin (function bodies must outlive the command that defined them).
 * Also the growable buffer the lexer and the expander build text in. */
#include "sh.h"

typedef struct Block {
  struct Block *next;
  long long align; /* keeps the payload 8-byte aligned */
} Block;

static Block *head, *pin;

void *amalloc(size_t n) {
  Block *b = xmalloc(sizeof *b + n);
  b->next = head;
  head = b;
  return b + 1;
}

char *astrndup(const char *s, size_t n) {
  char *d = amalloc(n + 1);
  memcpy(d, s, n);
  d[n] = 0;
  return d;
}

char *astrdup(const char *s) { return astrndup(s, strlen(s)); }

Mark arena_mark(void) { return head; }

void arena_release(Mark m) {
  while (head && head != m && head != pin) {
    Block *b = head;
    head = b->next;
    free(b);
  }
}

void arena_pin(void) { pin = head; }

void buf_add(Buf *b, char c) {
  if (b->len + 2 > b->cap) {
    b->cap = b->cap ? b->cap * 2 : 64;
    b->s = xrealloc(b->s, b->cap);
  }
  b->s[b->len++] = c;
}

void buf_str(Buf *b, const char *s, size_t n) {
  while (n--) buf_add(b, *s++);
}

char *buf_cstr(Buf *b) {
  buf_add(b, 0);
  b->len--;
  return b->s;
}

void buf_free(Buf *b) {
  free(b->s);
  b->s = NULL;
  b->len = b->cap = 0;
}
