/* string.h on unaligned buffers: memcpy, memmove (overlapping both ways), memset, memcmp, memchr,
 * strlen, strchr, strrchr, strcmp, strncmp, strcpy, strncpy, strcat, strstr, strspn, strcspn and
 * strtok, for many lengths and source/destination offsets, with guard bytes around every
 * destination. glibc picks these routines by CPUID, so this also checks that what exojit's CPUID
 * claims works. Each line is one function at one length: a checksum over all offsets, and over
 * the whole destination including its guards. Comparison results are reduced to their sign. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "guest.h"

#define BUF 24576
static unsigned char src[BUF], dst[BUF], ref[BUF];

/* Lengths: every one up to 40, then the sizes where block copy routines change strategy, and a
 * few around a page. */
static const size_t lens[] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10,  11,  12,  13,  14,  15,  16,  17,  18,  19,  20,
                              21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,  32,  33,  34,  35,  36,  37,  38,  39,  40,  47,
                              48, 63, 64, 65, 95, 96, 127, 128, 129, 255, 256, 257, 511, 1000, 4095, 4096, 4097};
#define NLENS (sizeof lens / sizeof lens[0])

/* Offsets tried: all small ones for short lengths, a few for long ones. */
static size_t noffs(size_t len) { return len <= 64 ? 8 : 3; }
static const size_t big_offs[] = {0, 1, 7};
static size_t off(size_t len, size_t k) { return len <= 64 ? k : big_offs[k]; }

/* Region checked around a destination: guards of 32 bytes on each side. */
#define GUARD 32
#define BASE 64

static void reset_dst(void) { memset(dst, 0xee, BUF); }

static uint32_t sum_region(uint32_t h, size_t start, size_t len) {
  return fnv(h, dst + start - GUARD, len + 2 * GUARD);
}

/* Fills src with printable non-NUL text of a given seed. */
static void fill_text(uint32_t seed) {
  uint32_t r = seed;
  for (size_t i = 0; i < BUF; i++) src[i] = 'a' + rng_next(&r) % 26;
}

/* Function pointers keep gcc from replacing calls with inline code for known lengths. */
static void *(*volatile p_memcpy)(void *, const void *, size_t) = memcpy;
static void *(*volatile p_memmove)(void *, const void *, size_t) = memmove;
static void *(*volatile p_memset)(void *, int, size_t) = memset;
static size_t (*volatile p_strlen)(const char *) = strlen;

static void t_memcpy(size_t len) {
  uint32_t h = FNV_INIT;
  for (size_t a = 0; a < noffs(len); a++)
    for (size_t b = 0; b < noffs(len); b++) {
      reset_dst();
      p_memcpy(dst + BASE + off(len, a), src + off(len, b), len);
      h = sum_region(h, BASE + off(len, a), len);
    }
  printf("memcpy  %5zu %08x\n", len, h);
}

/* memmove within one buffer, destination below and above the source, overlapping by any amount. */
static void t_memmove(size_t len) {
  uint32_t h = FNV_INIT;
  static const size_t shifts[] = {1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 33, 64};
  for (size_t s = 0; s < sizeof shifts / sizeof shifts[0]; s++)
    for (size_t a = 0; a < noffs(len); a += len <= 64 ? 3 : 1) {
      size_t d = shifts[s], o = BASE + off(len, a);
      memcpy(dst, src, BUF);
      p_memmove(dst + o + d, dst + o, len); /* forward: destination above */
      h = sum_region(h, o, len + d);
      memcpy(dst, src, BUF);
      p_memmove(dst + o, dst + o + d, len); /* backward: destination below */
      h = sum_region(h, o, len + d);
      /* Check against a byte-by-byte reference. */
      memcpy(ref, src, BUF);
      for (size_t i = 0; i < len; i++) ref[o + i] = src[o + d + i];
      if (memcmp(ref + o - GUARD, dst + o - GUARD, len + d + 2 * GUARD) != 0) printf("BAD memmove %zu shift %zu\n", len, d);
    }
  printf("memmove %5zu %08x\n", len, h);
}

static void t_memset(size_t len) {
  uint32_t h = FNV_INIT;
  for (size_t a = 0; a < noffs(len); a++)
    for (int c = 0; c < 256; c += 85) {
      reset_dst();
      p_memset(dst + BASE + off(len, a), c, len);
      h = sum_region(h, BASE + off(len, a), len);
    }
  printf("memset  %5zu %08x\n", len, h);
}

/* memcmp and memchr: equal buffers, then a difference (or the byte sought) at every position. */
static void t_memcmp_memchr(size_t len) {
  uint32_t h = FNV_INIT, hc = FNV_INIT;
  size_t step = len <= 64 ? 1 : len / 13 + 1;
  for (size_t a = 0; a < noffs(len); a++) {
    size_t o = BASE + off(len, a);
    memcpy(dst + o, src + 3, len);
    h = mix(h, sgn(memcmp(dst + o, src + 3, len)));
    for (size_t i = 0; i < len; i += step) {
      unsigned char save = dst[o + i];
      dst[o + i] = save + 1;
      h = mix(h, sgn(memcmp(dst + o, src + 3, len)) + 3 * sgn(memcmp(src + 3, dst + o, len)));
      dst[o + i] = 0x80 | save;
      h = mix(h, sgn(memcmp(dst + o, src + 3, len)));
      dst[o + i] = '#';
      unsigned char *p = memchr(dst + o, '#', len);
      hc = mix(hc, p ? (uint32_t)(p - (dst + o)) : 0xffffffffu);
      p = memchr(dst + o, '#', i);
      hc = mix(hc, p ? (uint32_t)(p - (dst + o)) : 0xffffffffu);
      dst[o + i] = save;
    }
  }
  printf("memcmp  %5zu %08x\n", len, h);
  printf("memchr  %5zu %08x\n", len, hc);
}

/* String functions on a NUL-terminated text of `len` letters at each offset. */
static void t_str(size_t len) {
  uint32_t hl = FNV_INIT, hch = FNV_INIT, hcmp = FNV_INIT, hcpy = FNV_INIT, hcat = FNV_INIT, hstr = FNV_INIT, hspn = FNV_INIT;
  size_t step = len <= 64 ? 1 : len / 11 + 1;
  for (size_t a = 0; a < noffs(len); a++) {
    size_t o = BASE + off(len, a);
    char *s = (char *)dst + o;
    reset_dst();
    memcpy(s, src + 5, len);
    s[len] = 0;
    hl = mix(hl, p_strlen(s));

    /* strchr/strrchr: for some letters, plus NUL itself. */
    for (int c = 'a'; c <= 'z'; c += 5) {
      char *p = strchr(s, c), *q = strrchr(s, c);
      hch = mix(hch, p ? (uint32_t)(p - s) : 0xffffffffu);
      hch = mix(hch, q ? (uint32_t)(q - s) : 0xffffffffu);
    }
    hch = mix(hch, (uint32_t)(strchr(s, 0) - s));
    hch = mix(hch, (uint32_t)(strrchr(s, 0) - s));

    /* strcmp/strncmp against a copy that differs at position i, or is shorter. */
    static char t[BUF];
    memcpy(t, s, len + 1);
    hcmp = mix(hcmp, sgn(strcmp(s, t)) + 3 * sgn(strncmp(s, t, len + 5)));
    for (size_t i = 0; i < len; i += step) {
      t[i] ^= 0x20;
      hcmp = mix(hcmp, sgn(strcmp(s, t)) + 3 * sgn(strncmp(s, t, i)) + 9 * sgn(strncmp(s, t, i + 1)));
      t[i] ^= 0x20;
      char save = t[i];
      t[i] = 0;
      hcmp = mix(hcmp, sgn(strcmp(s, t)) + 3 * sgn(strcmp(t, s)) + 9 * sgn(strncmp(t, s, len)));
      t[i] = save;
    }

    /* strcpy/strncpy (with NUL padding, and without a terminator)/strcat, into unaligned places. */
    for (size_t b = 0; b < 4; b++) {
      char *d = (char *)dst + BASE + len + 2 * GUARD + 40 + b;
      memset(d - GUARD, 0xee, len + 2 * GUARD + 24);
      strcpy(d, s);
      hcpy = fnv(hcpy, d - GUARD, len + 2 * GUARD + 16);
      memset(d - GUARD, 0xee, len + 2 * GUARD + 24);
      strncpy(d, s, len + 9);
      hcpy = fnv(hcpy, d - GUARD, len + 2 * GUARD + 16);
      memset(d - GUARD, 0xee, len + 2 * GUARD + 24);
      strncpy(d, s, len / 2);
      hcpy = fnv(hcpy, d - GUARD, len + 2 * GUARD + 16);
      /* strcat onto a prefix of b letters. */
      memset(d - GUARD, 0xee, len + 2 * GUARD + 24);
      memcpy(d, "wxyz", b);
      d[b] = 0;
      strcat(d, s);
      hcat = fnv(hcat, d - GUARD, len + 2 * GUARD + 16);
    }

    /* strstr: needles taken from the haystack at several places, and absent ones. */
    for (size_t i = 0; i + 3 <= len; i += step * 2) {
      char needle[8];
      size_t nl = len - i < 7 ? len - i : 1 + i % 7;
      memcpy(needle, s + i, nl);
      needle[nl] = 0;
      char *p = strstr(s, needle);
      hstr = mix(hstr, p ? (uint32_t)(p - s) : 0xffffffffu);
    }
    hstr = mix(hstr, strstr(s, "") == s);
    hstr = mix(hstr, strstr(s, "zzzzzzzz") != NULL);
    hstr = mix(hstr, strstr(s, "0") != NULL);

    /* strspn/strcspn with sets of several sizes. */
    static const char *const sets[] = {"", "a", "abcdefghijklm", "nopqrstuvwxyz", "aeiou", "abcdefghijklmnopqrstuvwxy"};
    for (size_t k = 0; k < sizeof sets / sizeof sets[0]; k++) {
      hspn = mix(hspn, strspn(s, sets[k]));
      hspn = mix(hspn, strcspn(s, sets[k]));
    }
  }
  printf("strlen  %5zu %08x\n", len, hl);
  printf("strchr  %5zu %08x\n", len, hch);
  printf("strcmp  %5zu %08x\n", len, hcmp);
  printf("strcpy  %5zu %08x\n", len, hcpy);
  printf("strcat  %5zu %08x\n", len, hcat);
  printf("strstr  %5zu %08x\n", len, hstr);
  printf("strspn  %5zu %08x\n", len, hspn);
}

/* strtok over texts with runs of separators, leading and trailing ones, and none at all. */
static void t_strtok(void) {
  static const char *const texts[] = {"", "   ", "one", "  one two  three ", "a,b,,c;;d", ",,lead", "trail,,", "x", "no-separators-here-at-all",
                                      "mixed ,; separators ;, everywhere ,"};
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    char buf[64];
    strcpy(buf, texts[i]);
    printf("strtok [%s]:", texts[i]);
    for (char *t = strtok(buf, " ,;"); t != NULL; t = strtok(NULL, " ,;")) printf(" <%s>", t);
    putchar('\n');
  }
  /* Long text: count tokens and their lengths. */
  static char big[BUF];
  uint32_t r = 99;
  for (size_t i = 0; i < BUF - 1; i++) big[i] = rng_next(&r) % 5 == 0 ? " ,"[r >> 16 & 1] : 'a' + (r >> 8) % 26;
  big[BUF - 1] = 0;
  uint32_t h = FNV_INIT, n = 0;
  for (char *t = strtok(big, " ,"); t != NULL; t = strtok(NULL, " ,")) h = mix(h, (uint32_t)strlen(t)), n++;
  printf("strtok big: %u tokens %08x\n", n, h);
}

int main(void) {
  fill_text(1);
  for (size_t i = 0; i < NLENS; i++) {
    size_t len = lens[i];
    t_memcpy(len);
    t_memmove(len);
    t_memset(len);
    t_memcmp_memchr(len);
    t_str(len);
  }
  t_strtok();
  return 0;
}
