/* oracle: portable: its x86-64 build runs the same x87/SIMD instructions, so on a host without
 * i386 the host CPU is still the oracle (tests/helpers/oracle.ts). */
/* glibc's string functions on every alignment and many lengths, with strings that end right
 * before an unmapped page (the vector routines read whole aligned blocks and must not fault).
 * With CPUID reporting SSE2 to SSE4.2, glibc's ifuncs pick its SSE2/SSSE3/SSE4.2 variants
 * (strcspn/strspn/strpbrk use pcmpistri); every result is hashed and printed. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <wchar.h>

static uint32_t h = 2166136261u;
static void mix(long v) { h = (h ^ (uint32_t)v) * 16777619u; }
static void mixp(const void *p, const void *base) { mix(p ? (long)((const char *)p - (const char *)base) : -1); }
static int sgn(int v) { return (v > 0) - (v < 0); }

int main(void) {
  /* two pages, the second one unmapped: strings end at the first page's end */
  char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(page + 4096, 4096);
  static char a[512], b[512], big[70000], big2[70000];
  uint32_t seed = 7;
  for (int k = 0; k < 70000; k++) { seed = seed * 1103515245u + 12345u; big[k] = (char)('A' + (seed >> 16) % 50); }
  for (int len = 0; len < 300; len += (len < 40 ? 1 : 7)) {
    for (int al = 0; al < 16; al++) {
      char *s = page + 4096 - len - 1 - (al & 3) * 16;
      memcpy(s, big + al * 31, len);
      s[len] = 0;
      mix(strlen(s));
      mix(strnlen(s, len / 2));
      mixp(strchr(s, 'Q'), s);
      mixp(strchr(s, 0), s);
      mixp(strrchr(s, 'Z'), s);
      mixp(memchr(s, 'a', len), s);
      mixp(memrchr(s, 'b', len), s);
      mixp(rawmemchr(s, 0), s);
      mix(strcspn(s, "xyzQ"));
      mix(strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
      mixp(strpbrk(s, "qrs"), s);
      mixp(strstr(s, "Bd"), s);
      mixp(strcasestr(s, "ab"), s);
      char *d = a + al;
      strcpy(d, s);
      mix(strcmp(d, s));
      if (len > 0) {
        d[len - 1] ^= 1;
        mix(sgn(strcmp(d, s)));
        mix(sgn(strncmp(d, s, len - 1)));
        mix(sgn(memcmp(d, s, len)));
        mix(sgn(strcasecmp(d, s)));
        mix(sgn(strncasecmp(d, s, len)));
      }
      char *e = stpcpy(b + (al * 3 & 15), s);
      mix(e - b);
      strncpy(b, s, 40);
      mix(sgn(memcmp(b, s, len < 40 ? len : 40)));
      b[0] = 0;
      strcat(b + 1, "x");
      strncat(b, s, 50);
      mix(strlen(b));
      memset(a + al, al * 17, len);
      mix(a[al + len / 2]);
      memmove(a + al + 3, a + al, len);
      memmove(a + al, a + al + 5, len);
      for (int k = 0; k < len + 8; k++) mix(a[k]);
    }
  }
  for (size_t n = 1; n < 70000; n = n * 3 + 1) {
    for (int al = 0; al < 4; al++) {
      memcpy(big2 + al * 5, big + al, n);
      mix(memcmp(big2 + al * 5, big + al, n));
      memset(big2 + al, 0x5a, n / 2);
      bzero(big2 + n / 3, n / 4);
      memmove(big2 + 1, big2, n / 2);
      for (size_t k = 0; k < n; k += 97) mix(big2[k]);
    }
  }
  wchar_t w[100];
  for (int k = 0; k < 99; k++) w[k] = L'a' + k % 26;
  w[99] = 0;
  mix(wcslen(w));
  mixp(wcschr(w, L'q'), w);
  mix(sgn(wcscmp(w, w + 1)));
  wmemset(w, L'z', 50);
  mix(wcslen(w));
  printf("hash %08x\n", h);
  return 0;
}
