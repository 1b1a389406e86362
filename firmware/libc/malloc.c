/* malloc over brk, in the manner of K&R's allocator: one free list kept in address order, first
 * fit, neighbours merged on free. Requests of MMAP_MIN bytes or more get their own mapping and
 * go back to the kernel when freed. Every block starts with a Header; blocks are multiples of
 * the header's size (8 bytes), which is also their alignment. */
#include "libc.h"

typedef struct Header {
  struct Header *next; /* next free block (free blocks), or MAPPED for a block with its own mapping */
  size_t units;        /* size of the block in headers, this header included */
} Header;

#define MAPPED ((Header *)1)
#define MMAP_MIN (256 * 1024)
#define GROW_UNITS 8192 /* ask the kernel for at least 64 KiB at a time */

static Header base;
static Header *freep;

void free(void *p) {
  if (p == NULL) return;
  Header *b = (Header *)p - 1;
  if (b->next == MAPPED) {
    munmap(b, b->units * sizeof(Header));
    return;
  }
  Header *q = freep;
  while (!(b > q && b < q->next)) {
    if (q >= q->next && (b > q || b < q->next)) break; /* at an end of the arena */
    q = q->next;
  }
  if (b + b->units == q->next) { /* merge with the next block */
    b->units += q->next->units;
    b->next = q->next->next;
  } else {
    b->next = q->next;
  }
  if (q + q->units == b) { /* merge with the previous block */
    q->units += b->units;
    q->next = b->next;
  } else {
    q->next = b;
  }
  freep = q;
}

static Header *grow(size_t units) {
  if (units < GROW_UNITS) units = GROW_UNITS;
  char *p = sbrk(units * sizeof(Header));
  if (p == (char *)-1) return NULL;
  Header *h = (Header *)p;
  h->units = units;
  free(h + 1);
  return freep;
}

void *malloc(size_t n) {
  if (n >= MMAP_MIN) {
    size_t len = (n + sizeof(Header) + 4095) & ~4095u;
    Header *h = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (h == MAP_FAILED) return NULL;
    h->next = MAPPED;
    h->units = len / sizeof(Header);
    return h + 1;
  }
  size_t units = (n + sizeof(Header) - 1) / sizeof(Header) + 1;
  if (freep == NULL) {
    base.next = freep = &base;
    base.units = 0;
  }
  Header *prev = freep;
  for (Header *p = prev->next;; prev = p, p = p->next) {
    if (p->units >= units) {
      if (p->units == units) {
        prev->next = p->next;
      } else { /* hand out the tail of the block */
        p->units -= units;
        p += p->units;
        p->units = units;
      }
      p->next = NULL;
      freep = prev;
      return p + 1;
    }
    if (p == freep && (p = grow(units)) == NULL) {
      errno = ENOMEM;
      return NULL;
    }
  }
}

void *calloc(size_t n, size_t size) {
  if (size && n > UINT_MAX / size) return errno = ENOMEM, NULL;
  void *p = malloc(n * size);
  if (p) memset(p, 0, n * size);
  return p;
}

void *realloc(void *p, size_t n) {
  if (p == NULL) return malloc(n);
  Header *h = (Header *)p - 1;
  size_t have = (h->units - 1) * sizeof(Header);
  if (n <= have) return p;
  void *q = malloc(n);
  if (q == NULL) return NULL;
  memcpy(q, p, have < n ? have : n);
  free(p);
  return q;
}

void *xmalloc(size_t n) {
  void *p = malloc(n);
  if (p == NULL && n != 0) {
    write(2, "out of memory\n", 14);
    _exit(127);
  }
  return p;
}

void *xrealloc(void *p, size_t n) {
  p = realloc(p, n);
  if (p == NULL && n != 0) {
    write(2, "out of memory\n", 14);
    _exit(127);
  }
  return p;
}

char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(xmalloc(n), s, n);
}
