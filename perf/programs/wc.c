/* wc for the embedding pool benchmark (perf/embed-pool.mjs): counts the lines, words and bytes
 * of its standard input and hashes it (FNV-1a), a short program whose run is mostly start-up. */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
  static unsigned char buf[65536];
  unsigned long lines = 0, words = 0, bytes = 0;
  uint32_t h = 2166136261u;
  int inword = 0;
  ssize_t n;
  while ((n = read(0, buf, sizeof buf)) > 0) {
    for (ssize_t i = 0; i < n; i++) {
      unsigned char c = buf[i];
      h = (h ^ c) * 16777619u;
      if (c == '\n') lines++;
      int space = c == ' ' || c == '\n' || c == '\t';
      if (!space && !inword) words++;
      inword = !space;
    }
    bytes += (unsigned long)n;
  }
  printf("%lu %lu %lu %08x\n", lines, words, bytes, h);
  return 0;
}
