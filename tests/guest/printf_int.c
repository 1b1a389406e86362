/* oracle: i386: the program is about the i386 CPU or ABI itself (tests/helpers/oracle.ts). */
/* printf's integer conversions: %d %i %u %o %x %X with every combination of the flags
 * '-' '+' ' ' '#' '0', several widths and precisions (also from '*' arguments, negative ones
 * included), the length modifiers hh h l ll j z t, %c, %s, %% and %n, at the limits of each type.
 * Every line shows the format and what snprintf made of it; some go through printf directly. */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

static const int ints[] = {0, 1, -1, 7, -42, 255, 65536, 123456789, INT_MAX, INT_MIN};
#define NINTS (sizeof ints / sizeof ints[0])

static const char *const flagsets[] = {"", "-", "+", " ", "#", "0", "-+", "- ", "-#", "-0", "+ ", "+#", "+0", " #", " 0", "#0",
                                       "-+ ", "-+#", "+ #", "+#0", " #0", "-+ #", "+ #0", "-+ #0"};
#define NFLAGS (sizeof flagsets / sizeof flagsets[0])

static const char *const widths[] = {"", "1", "6", "14"};
static const char *const precs[] = {"", ".", ".0", ".1", ".4", ".12"};
static const char convs[] = "diuoxX";

static char buf[512];

/* Prints one formatted value: "[fmt] -> [result] n=len". */
#define SHOW(fmt, ...)                                        \
  do {                                                        \
    int n_ = snprintf(buf, sizeof buf, fmt, __VA_ARGS__);     \
    printf("[%s] -> [%s] n=%d\n", fmt, buf, n_);              \
  } while (0)

int main(void) {
  char fmt[64];

  /* Plain int conversions: flags x width x precision x conversion, each value in one line. */
  for (size_t c = 0; c < sizeof convs - 1; c++)
    for (size_t f = 0; f < NFLAGS; f++)
      for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++)
        for (size_t p = 0; p < sizeof precs / sizeof precs[0]; p++) {
          /* Keep the product modest: the full cross product only for some widths. */
          if (w != 0 && w != 2 && (f + p) % 3 != 0) continue;
          snprintf(fmt, sizeof fmt, "%%%s%s%s%c", flagsets[f], widths[w], precs[p], convs[c]);
          printf("%-10s|", fmt);
          for (size_t v = 0; v < NINTS; v++) {
            printf(fmt, ints[v]);
            putchar('|');
          }
          putchar('\n');
        }

  /* Widths and precisions from arguments, negative ones included. */
  static const int stars[] = {-12, -3, -1, 0, 1, 5, 11};
  for (size_t a = 0; a < sizeof stars / sizeof stars[0]; a++)
    for (size_t b = 0; b < sizeof stars / sizeof stars[0]; b++) {
      SHOW("%*.*d", stars[a], stars[b], -4242);
      SHOW("%-*.*x", stars[a], stars[b], 0xbeefu);
      SHOW("%0*d", stars[a], 99);
    }

  /* Length modifiers at the limits of their types. */
  static const long long lls[] = {0, 1, -1, 127, 128, -128, -129, 255, 256, 32767, 32768, -32768, 65535, 65536,
                                  INT_MAX, (long long)INT_MAX + 1, INT_MIN, (long long)INT_MIN - 1, UINT_MAX,
                                  (long long)UINT_MAX + 1, 1234567890123LL, LLONG_MAX, LLONG_MIN};
  for (size_t i = 0; i < sizeof lls / sizeof lls[0]; i++) {
    long long v = lls[i];
    SHOW("%hhd", (int)v);
    SHOW("%hhu", (int)v);
    SHOW("%#hhx", (int)v);
    SHOW("%hd", (int)v);
    SHOW("%+hi", (int)v);
    SHOW("%hu", (int)v);
    SHOW("%#ho", (int)v);
    SHOW("%ld", (long)v);
    SHOW("%-12lu|", (unsigned long)v);
    SHOW("%#lX", (unsigned long)v);
    SHOW("%lld", v);
    SHOW("%+25lli", v);
    SHOW("%llu", (unsigned long long)v);
    SHOW("%#llo", (unsigned long long)v);
    SHOW("%#.20llx", (unsigned long long)v);
    SHOW("% 030lld", v);
    SHOW("%jd", (intmax_t)v);
    SHOW("%ju", (uintmax_t)v);
    SHOW("%zd", (ssize_t)v);
    SHOW("%zu", (size_t)v);
    SHOW("%#zx", (size_t)v);
    SHOW("%td", (ptrdiff_t)v);
    SHOW("%-+8.3td|", (ptrdiff_t)v);
  }
  SHOW("%llu", ULLONG_MAX);
  SHOW("%llx", ULLONG_MAX);
  SHOW("%lld %llu %lld", LLONG_MIN, ULLONG_MAX, LLONG_MAX);
  SHOW("%d %u %x %o", INT_MIN, UINT_MAX, UINT_MAX, UINT_MAX);

  /* Characters and strings. */
  static const char *const strs[] = {"", "a", "hello", "a longer string, with commas"};
  for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
    SHOW("%s", strs[i]);
    SHOW("%10s|", strs[i]);
    SHOW("%-10s|", strs[i]);
    SHOW("%.3s|", strs[i]);
    SHOW("%-8.2s|", strs[i]);
    SHOW("%*.*s|", 7, 4, strs[i]);
  }
  for (int ch = 32; ch < 127; ch += 7) {
    SHOW("%c", ch);
    SHOW("%5c|", ch);
    SHOW("%-3c|", ch);
  }
  SHOW("%c%c%c", 'x', 'y', 'z');
  SHOW("100%% %d%%", 5);

  /* %n stores the count so far. */
  int n1 = -1, n2 = -1;
  signed char hn = 0;
  snprintf(buf, sizeof buf, "abc%ndefgh%n %hhn", &n1, &n2, &hn);
  printf("%%n: [%s] %d %d %d\n", buf, n1, n2, hn);

  /* Truncation by snprintf and the return value it still reports. */
  char small[8];
  for (size_t sz = 0; sz <= sizeof small; sz++) {
    memset(small, '#', sizeof small);
    int n = snprintf(small, sz, "%d-%s", -123456, "xyz");
    printf("snprintf size %zu -> %d [%.*s]\n", sz, n, (int)sizeof small, small);
  }
  return 0;
}
