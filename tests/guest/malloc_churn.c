/* malloc/calloc/realloc/free churn driven by a deterministic PRNG. Every block is filled with a
 * pattern derived from its slot and generation and checked before it is freed or grown, so heap
 * corruption (brk, mmap2, munmap, mremap, page-crossing stores) shows up as a "BAD" line or a
 * different checksum. Large blocks (above glibc's 128 KiB mmap threshold) go through mmap. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "guest.h"

#define SLOTS 256
#define OPS 10000

struct slot {
  unsigned char *p;
  size_t size;
  uint32_t tag;
};
static struct slot slots[SLOTS];
static unsigned bad;

static unsigned char pat(uint32_t tag, size_t i) { return (unsigned char)(tag * 31 + i * 7 + (i >> 8)); }

/* Large blocks are filled and checked sparsely (first and last 64 bytes and every 4 KiB), which
 * still touches every page. */
static int sparse(size_t size) { return size > 8192; }

static void fill(struct slot *s) {
  if (!sparse(s->size)) {
    for (size_t i = 0; i < s->size; i++) s->p[i] = pat(s->tag, i);
    return;
  }
  for (size_t i = 0; i < 64; i++) s->p[i] = pat(s->tag, i), s->p[s->size - 1 - i] = pat(s->tag, s->size - 1 - i);
  for (size_t i = 0; i < s->size; i += 4096) s->p[i] = pat(s->tag, i);
}

/* Checks the bytes below `n` that fill() wrote for a block of `filled` bytes with tag `tag`,
 * mixing them into the checksum. */
static uint32_t check(const unsigned char *p, uint32_t tag, size_t filled, size_t n, uint32_t h, const char *what) {
  size_t wrong = 0;
  if (!sparse(filled)) {
    for (size_t i = 0; i < n; i++) wrong += p[i] != pat(tag, i);
    h = fnv(h, p, n);
  } else {
    for (size_t i = 0; i < n; i++) {
      if (i == 64 && filled - 64 > i) i = filled - 64 < n ? filled - 64 : n;
      if (i >= n) break;
      wrong += p[i] != pat(tag, i);
    }
    for (size_t i = 0; i < n; i += 4096) {
      wrong += p[i] != pat(tag, i);
      h = mix(h, p[i]);
    }
  }
  if (wrong) {
    printf("BAD %s: %zu of %zu bytes wrong (block of %zu)\n", what, wrong, n, filled);
    bad++;
  }
  return h;
}

static size_t pick_size(uint32_t *rng) {
  uint32_t r = rng_next(rng);
  switch (r % 16) {
    case 0: return 0;
    case 1: return 1 + (r >> 8) % 8;
    case 2: case 3: case 4: case 5: case 6: return 1 + (r >> 8) % 64;
    case 7: case 8: case 9: return 64 + (r >> 8) % 512;
    case 10: case 11: return 512 + (r >> 8) % 4096;
    case 12: return 4096 + (r >> 8) % 30000;
    case 13: return (r & 0x100) ? 130 * 1024 + (r >> 12) % (400 * 1024) : 1 + (r >> 8) % 100;
    default: return 16 + (r >> 8) % 200;
  }
}

int main(void) {
  uint32_t rng = 0x12345678, h = FNV_INIT;
  unsigned nmalloc = 0, ncalloc = 0, nrealloc = 0, nfree = 0, nlarge = 0;
  uint32_t gen = 1;

  for (int op = 0; op < OPS; op++) {
    struct slot *s = &slots[rng_next(&rng) % SLOTS];
    uint32_t what = rng_next(&rng) % 10;
    if (s->p == NULL && s->size == 0 && what < 7) {
      size_t size = pick_size(&rng);
      if (what < 5) {
        s->p = malloc(size);
        nmalloc++;
      } else {
        s->p = calloc(1, size);
        ncalloc++;
        for (size_t i = 0; i < size; i += sparse(size) ? 997 : 1)
          if (s->p[i] != 0) {
            printf("BAD calloc: nonzero byte at %zu of %zu\n", i, size);
            bad++;
            break;
          }
      }
      if (s->p == NULL && size != 0) {
        printf("malloc(%zu) failed\n", size);
        return 1;
      }
      s->size = size;
      s->tag = gen++;
      nlarge += size >= 128 * 1024;
      if (s->p) fill(s);
    } else if (s->p != NULL && what < 4) {
      /* Grow or shrink: the common prefix must survive. */
      size_t size = pick_size(&rng);
      size_t keep = size < s->size ? size : s->size;
      unsigned char *q = realloc(s->p, size ? size : 1);
      nrealloc++;
      if (q == NULL) {
        printf("realloc(%zu) failed\n", size);
        return 1;
      }
      s->p = q;
      h = check(q, s->tag, s->size, keep, h, "realloc");
      s->size = size ? size : 1;
      nlarge += size >= 128 * 1024;
      fill(s);
    } else if (s->p != NULL) {
      h = check(s->p, s->tag, s->size, s->size, h, "free");
      free(s->p);
      nfree++;
      s->p = NULL;
      s->size = 0;
    } else {
      /* malloc(0) left a NULL or unique pointer; nothing to do. */
      s->size = 0;
    }
    if ((op + 1) % 1000 == 0) printf("op %5d: checksum %08x\n", op + 1, h);
  }
  for (int i = 0; i < SLOTS; i++)
    if (slots[i].p) {
      h = check(slots[i].p, slots[i].tag, slots[i].size, slots[i].size, h, "final");
      free(slots[i].p);
    }

  /* A few big blocks in a row, written completely. */
  for (size_t mb = 1; mb <= 2; mb++) {
    size_t size = mb << 20;
    unsigned char *p = malloc(size);
    if (p == NULL) {
      printf("malloc(%zu MiB) failed\n", mb);
      return 1;
    }
    memset(p, (int)mb, size);
    uint32_t sum = 0;
    for (size_t i = 0; i < size; i += 512) sum += p[i] + (unsigned)i;
    p = realloc(p, size * 2);
    for (size_t i = 0; i < size; i += 4096) sum += p[i];
    memset(p + size, 0xa5, size);
    sum += p[2 * size - 1];
    free(p);
    printf("big %zu MiB: %08x\n", mb, sum);
  }
  printf("malloc %u calloc %u realloc %u free %u large %u bad %u\n", nmalloc, ncalloc, nrealloc, nfree, nlarge, bad);
  printf("checksum %08x\n", h);
  return bad != 0;
}
