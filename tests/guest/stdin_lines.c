/* Standard input through stdio: counts lines and bytes, echoes the first lines reversed, and
 * checksums the rest; then read(2) at end of input returns 0. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "guest.h"

int main(void) {
  char line[256];
  unsigned lines = 0, bytes = 0;
  uint32_t h = FNV_INIT;
  while (fgets(line, sizeof line, stdin) != NULL) {
    size_t n = strlen(line);
    bytes += n;
    lines++;
    if (lines <= 5) {
      size_t m = n && line[n - 1] == '\n' ? n - 1 : n;
      printf("line %u: ", lines);
      for (size_t i = m; i > 0; i--) putchar(line[i - 1]);
      putchar('\n');
    } else {
      h = fnv(h, line, n);
    }
  }
  printf("%u lines, %u bytes, rest %08x, eof %d\n", lines, bytes, h, feof(stdin));
  char c;
  printf("read at eof: %zd\n", read(0, &c, 1));
  return 0;
}
