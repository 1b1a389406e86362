/* Numbers from text, and sorting. */
#include "libc.h"

/* The shared parser: optional space and sign, base prefixes as strtol(3) allows them. */
static unsigned long long parse(const char *s, char **end, int base, int *neg) {
  const char *p = s;
  unsigned long long v = 0;
  int any = 0;
  while (isspace(*p)) p++;
  *neg = 0;
  if (*p == '-' || *p == '+') *neg = *p++ == '-';
  if ((base == 0 || base == 16) && p[0] == '0' && (p[1] | 0x20) == 'x' && isxdigit(p[2])) p += 2, base = 16;
  else if (base == 0) base = *p == '0' ? 8 : 10;
  for (;; p++) {
    int d = isdigit(*p) ? *p - '0' : isalpha(*p) ? (*p | 0x20) - 'a' + 10 : 99;
    if (d >= base) break;
    v = v * base + d;
    any = 1;
  }
  if (end) *end = (char *)(any ? p : s);
  return v;
}

long long strtoll(const char *s, char **end, int base) {
  int neg;
  unsigned long long v = parse(s, end, base, &neg);
  return neg ? -(long long)v : (long long)v;
}

long strtol(const char *s, char **end, int base) {
  int neg;
  unsigned long long v = parse(s, end, base, &neg);
  if (!neg && v > LONG_MAX) return errno = ERANGE, LONG_MAX;
  if (neg && v > (unsigned long long)LONG_MAX + 1) return errno = ERANGE, LONG_MIN;
  return neg ? -(long)v : (long)v;
}

unsigned long strtoul(const char *s, char **end, int base) {
  int neg;
  unsigned long long v = parse(s, end, base, &neg);
  if (v > UINT_MAX) return errno = ERANGE, UINT_MAX;
  return neg ? -(unsigned long)v : (unsigned long)v;
}

int atoi(const char *s) { return (int)strtol(s, NULL, 10); }
int abs(int v) { return v < 0 ? -v : v; }

/* Shell sort over byte swaps: small, no recursion, fine for directory listings. */
static void swap(char *a, char *b, size_t n) {
  while (n--) {
    char t = *a;
    *a++ = *b;
    *b++ = t;
  }
}

void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *)) {
  char *b = base;
  for (size_t gap = n / 2; gap > 0; gap /= 2)
    for (size_t i = gap; i < n; i++)
      for (size_t j = i; j >= gap && cmp(b + (j - gap) * size, b + j * size) > 0; j -= gap)
        swap(b + (j - gap) * size, b + j * size, size);
}
