/* POSIX getopt: clustered flags (-la), arguments attached or separate (-n5, -n 5), "--" ends
 * the options; no reordering of operands and no long options. */
#include "libc.h"

char *optarg;
int optind = 1, opterr = 1, optopt;
static int next_char = 1; /* position inside a cluster of flags */

int getopt(int argc, char *const argv[], const char *opts) {
  if (optind >= argc || argv[optind][0] != '-' || argv[optind][1] == 0) return -1;
  if (strcmp(argv[optind], "--") == 0) {
    optind++;
    return -1;
  }
  char c = argv[optind][next_char++];
  const char *spec = c == ':' ? NULL : strchr(opts, c);
  int last = argv[optind][next_char] == 0;
  optopt = c;
  if (spec == NULL) {
    if (opterr && *opts != ':') fprintf(stderr, "%s: invalid option -- '%c'\n", argv[0], c);
    if (last) optind++, next_char = 1;
    return '?';
  }
  if (spec[1] == ':') {
    if (!last) optarg = (char *)argv[optind] + next_char;
    else if (optind + 1 < argc) optarg = argv[++optind];
    else {
      optind++, next_char = 1;
      if (opterr && *opts != ':') fprintf(stderr, "%s: option requires an argument -- '%c'\n", argv[0], c);
      return *opts == ':' ? ':' : '?';
    }
    optind++, next_char = 1;
    return c;
  }
  if (last) optind++, next_char = 1;
  return c;
}
