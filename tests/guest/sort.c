/* qsort and bsearch on ints (random, sorted, reversed, all equal, few distinct values), on
 * strings and on structs. Comparators break every tie, so the order is fully determined. Prints
 * whether each result is sorted, a checksum of it, and what bsearch found for present and absent
 * keys. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "guest.h"

#define N 3000

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

static int cmp_int_desc(const void *a, const void *b) { return cmp_int(b, a); }

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

struct rec {
  short group;
  char name[11];
  int id;
};

static int cmp_rec(const void *a, const void *b) {
  const struct rec *x = a, *y = b;
  if (x->group != y->group) return x->group < y->group ? -1 : 1;
  int c = strcmp(x->name, y->name);
  if (c != 0) return c;
  return (x->id > y->id) - (x->id < y->id);
}

static int ints[N];
static char words[N][12];
static char *wordp[N];
static struct rec recs[N];

static void report_ints(const char *what, size_t n, int (*cmp)(const void *, const void *)) {
  int sorted = 1;
  for (size_t i = 1; i < n; i++) sorted &= cmp(&ints[i - 1], &ints[i]) <= 0;
  printf("%-12s n=%4zu sorted=%d sum=%08x\n", what, n, sorted, fnv(FNV_INIT, ints, n * sizeof ints[0]));
}

int main(void) {
  uint32_t r = 2024;
  static const size_t sizes[] = {0, 1, 2, 3, 7, 16, 100, 1000, N};

  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    size_t n = sizes[k];
    for (size_t i = 0; i < n; i++) ints[i] = (int)rng_next(&r);
    qsort(ints, n, sizeof ints[0], cmp_int);
    report_ints("random", n, cmp_int);

    /* bsearch every present element and some absent keys (the gaps between neighbours). */
    uint32_t h = FNV_INIT;
    unsigned found = 0, missing = 0;
    for (size_t i = 0; i < n; i++) {
      int *p = bsearch(&ints[i], ints, n, sizeof ints[0], cmp_int);
      found += p != NULL && *p == ints[i];
      h = mix(h, p ? (uint32_t)(p - ints) : 0xffffffffu);
      if (i + 1 < n && (long long)ints[i + 1] - ints[i] > 1) {
        int key = ints[i] + 1;
        missing += bsearch(&key, ints, n, sizeof ints[0], cmp_int) == NULL;
      }
    }
    int lo = (int)((unsigned)ints[0] - 1u), hi = (int)((unsigned)ints[n ? n - 1 : 0] + 1u);
    printf("bsearch n=%zu found=%u missing=%u below=%d above=%d idx=%08x\n", n, found, missing,
           n && ints[0] != -2147483647 - 1 ? bsearch(&lo, ints, n, sizeof ints[0], cmp_int) == NULL : -1,
           n && ints[n - 1] != 2147483647 ? bsearch(&hi, ints, n, sizeof ints[0], cmp_int) == NULL : -1, h);

    qsort(ints, n, sizeof ints[0], cmp_int); /* already sorted */
    report_ints("sorted", n, cmp_int);
    qsort(ints, n, sizeof ints[0], cmp_int_desc);
    report_ints("reversed", n, cmp_int_desc);
    for (size_t i = 0; i < n; i++) ints[i] = 5;
    qsort(ints, n, sizeof ints[0], cmp_int);
    report_ints("equal", n, cmp_int);
    for (size_t i = 0; i < n; i++) ints[i] = (int)(rng_next(&r) % 4) - 2;
    qsort(ints, n, sizeof ints[0], cmp_int);
    report_ints("few-values", n, cmp_int);
  }

  /* Strings: random words of 1..10 letters, with duplicates. */
  for (size_t i = 0; i < N; i++) {
    size_t len = 1 + rng_next(&r) % 10;
    for (size_t j = 0; j < len; j++) words[i][j] = 'a' + rng_next(&r) % (i % 3 == 0 ? 3 : 26);
    words[i][len] = 0;
    wordp[i] = words[i];
  }
  qsort(wordp, N, sizeof wordp[0], cmp_str);
  uint32_t h = FNV_INIT;
  int sorted = 1;
  for (size_t i = 0; i < N; i++) {
    h = fnv(h, wordp[i], strlen(wordp[i]) + 1);
    if (i) sorted &= strcmp(wordp[i - 1], wordp[i]) <= 0;
  }
  printf("strings sorted=%d sum=%08x first=%s last=%s\n", sorted, h, wordp[0], wordp[N - 1]);
  unsigned found = 0;
  for (size_t i = 0; i < N; i += 7) {
    char **p = bsearch(&wordp[i], wordp, N, sizeof wordp[0], cmp_str);
    found += p != NULL && strcmp(*p, wordp[i]) == 0;
  }
  const char *absent = "zzzzzzzzzzz", *absent2 = "aaaaaaaaaaab0";
  printf("strings bsearch found=%u absent=%d %d\n", found, bsearch(&absent, wordp, N, sizeof wordp[0], cmp_str) == NULL,
         bsearch(&absent2, wordp, N, sizeof wordp[0], cmp_str) == NULL);

  /* Structs: by group, then name, then id. */
  for (size_t i = 0; i < N; i++) {
    recs[i].group = (short)(rng_next(&r) % 9) - 4;
    for (size_t j = 0; j < 4; j++) recs[i].name[j] = 'a' + rng_next(&r) % 4;
    recs[i].name[4] = 0;
    recs[i].id = (int)i;
  }
  qsort(recs, N, sizeof recs[0], cmp_rec);
  h = FNV_INIT;
  sorted = 1;
  for (size_t i = 0; i < N; i++) {
    h = mix(h, (uint32_t)recs[i].group);
    h = fnv(h, recs[i].name, 4);
    h = mix(h, (uint32_t)recs[i].id);
    if (i) sorted &= cmp_rec(&recs[i - 1], &recs[i]) < 0;
  }
  printf("structs sorted=%d sum=%08x first=%d:%s:%d last=%d:%s:%d\n", sorted, h, recs[0].group, recs[0].name, recs[0].id,
         recs[N - 1].group, recs[N - 1].name, recs[N - 1].id);
  found = 0;
  for (size_t i = 0; i < N; i += 3) {
    struct rec *p = bsearch(&recs[i], recs, N, sizeof recs[0], cmp_rec);
    found += p == &recs[i];
  }
  printf("structs bsearch found=%u\n", found);
  return 0;
}
