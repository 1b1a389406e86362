/* uname [-asnrvm]: the kernel's name (default), node name, release, version and machine; -a
 * prints all five in that order. */
#include "libc.h"

int main(int argc, char **argv) {
  int c, want = 0;
  enum { S = 1, N = 2, R = 4, V = 8, M = 16 };
  while ((c = getopt(argc, argv, "asnrvm")) != -1) {
    switch (c) {
      case 'a': want = S | N | R | V | M; break;
      case 's': want |= S; break;
      case 'n': want |= N; break;
      case 'r': want |= R; break;
      case 'v': want |= V; break;
      case 'm': want |= M; break;
      default: return 1;
    }
  }
  if (optind < argc) errx(1, "extra operand '%s'", argv[optind]);
  if (!want) want = S;
  struct utsname u;
  if (uname(&u) < 0) err(1, "cannot get system name");
  const char *fields[] = { u.sysname, u.nodename, u.release, u.version, u.machine };
  int first = 1;
  for (int k = 0; k < 5; k++) {
    if (!(want & (1 << k))) continue;
    printf(first ? "%s" : " %s", fields[k]);
    first = 0;
  }
  putchar('\n');
  return 0;
}
