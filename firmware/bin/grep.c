/* grep [-v] [-c] [-i] [-n] [-l] [-q] [-h|-H] [-F] [-e] PATTERN [FILE...]: prints the lines that
 * match PATTERN, a basic regular expression of literal characters, '.', bracket expressions
 * ([abc], [a-z], [^...]), '*' after any of them, '^' and '$' anchors and '\' escapes; -F
 * takes PATTERN as a fixed string. Exit status 0 if a line was selected, 1 if none, 2 on error. */
#include "libc.h"

static int invert, count_only, icase, numbers, list_files, quiet, fixed, with_names = -1;
static const char *pattern;

static int same(int a, int b) { return icase ? tolower(a) == tolower(b) : a == b; }

/* Length of the atom starting at re: a character, "\c", or a bracket expression. */
static int atom_len(const char *re) {
  if (re[0] == '\\' && re[1]) return 2;
  if (re[0] != '[') return 1;
  int i = 1;
  if (re[i] == '^') i++;
  if (re[i] == ']') i++;
  while (re[i] && re[i] != ']') i++;
  return re[i] ? i + 1 : 1; /* an unclosed '[' is an ordinary character */
}

static int atom_match(const char *re, int len, int c) {
  if (len == 2 && re[0] == '\\') return same(re[1], c);
  if (len == 1) return re[0] == '.' || same(re[0], c);
  int i = 1, neg = re[1] == '^', hit = 0;
  if (neg) i++;
  for (int first = 1; i < len - 1; i++, first = 0) {
    if (re[i] == ']' && !first) break;
    if (re[i + 1] == '-' && i + 2 < len - 1) {
      int lo = re[i], hi = re[i + 2];
      if ((c >= lo && c <= hi) || (icase && tolower(c) >= tolower(lo) && tolower(c) <= tolower(hi))) hit = 1;
      i += 2;
    } else if (same(re[i], c)) {
      hit = 1;
    }
  }
  return hit != neg;
}

static int match_here(const char *re, const char *text);

/* Zero or more of the atom, then the rest: tries the shortest run first. */
static int match_star(const char *atom, int len, const char *rest, const char *text) {
  do {
    if (match_here(rest, text)) return 1;
  } while (*text && atom_match(atom, len, (unsigned char)*text++));
  return 0;
}

static int match_here(const char *re, const char *text) {
  if (re[0] == 0) return 1;
  if (re[0] == '$' && re[1] == 0) return *text == 0;
  int len = atom_len(re);
  if (re[len] == '*') return match_star(re, len, re + len + 1, text);
  if (*text && atom_match(re, len, (unsigned char)*text)) return match_here(re + len, text + 1);
  return 0;
}

static int matches(const char *line) {
  if (fixed) {
    size_t n = strlen(pattern);
    for (const char *p = line;; p++) {
      size_t k = 0;
      while (k < n && p[k] && same(p[k], pattern[k])) k++;
      if (k == n) return 1;
      if (!*p) return 0;
    }
  }
  if (pattern[0] == '^') return match_here(pattern + 1, line);
  do
    if (match_here(pattern, line)) return 1;
  while (*line++);
  return 0;
}

static int grep(FILE *f, const char *name) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  long lineno = 0, hits = 0;
  while ((len = getline(&line, &cap, f)) >= 0) {
    lineno++;
    if (len > 0 && line[len - 1] == '\n') line[--len] = 0;
    if (matches(line) == invert) continue;
    hits++;
    if (quiet) exit(0);
    if (list_files) break;
    if (count_only) continue;
    if (with_names) printf("%s:", name);
    if (numbers) printf("%ld:", lineno);
    fwrite(line, 1, len, stdout);
    putchar('\n');
  }
  free(line);
  if (count_only) {
    if (with_names) printf("%s:", name);
    printf("%ld\n", hits);
  }
  if (list_files && hits) puts(name);
  return hits > 0;
}

int main(int argc, char **argv) {
  int c, found = 0, error = 0;
  while ((c = getopt(argc, argv, "vcinlqhHFe:")) != -1) {
    switch (c) {
      case 'v': invert = 1; break;
      case 'c': count_only = 1; break;
      case 'i': icase = 1; break;
      case 'n': numbers = 1; break;
      case 'l': list_files = 1; break;
      case 'q': quiet = 1; break;
      case 'h': with_names = 0; break;
      case 'H': with_names = 1; break;
      case 'F': fixed = 1; break;
      case 'e': pattern = optarg; break;
      default: return 2;
    }
  }
  if (!pattern) {
    if (optind == argc) errx(2, "usage: grep [-vcinlqhHF] PATTERN [FILE...]");
    pattern = argv[optind++];
  }
  /* A leading "*" (or one after '^') is an ordinary character, as in POSIX basic expressions. */
  int at = pattern[0] == '^';
  if (!fixed && pattern[at] == '*') {
    char *p = xmalloc(strlen(pattern) + 2);
    sprintf(p, "%.*s\\%s", at, pattern, pattern + at);
    pattern = p;
  }
  int nfiles = argc - optind;
  if (with_names < 0) with_names = nfiles > 1;
  if (nfiles == 0) return grep(stdin, "(standard input)") ? 0 : 1;
  for (int i = optind; i < argc; i++) {
    FILE *f = strcmp(argv[i], "-") == 0 ? stdin : fopen(argv[i], "r");
    if (!f) {
      warn("%s", argv[i]);
      error = 1;
      continue;
    }
    found |= grep(f, strcmp(argv[i], "-") == 0 ? "(standard input)" : argv[i]);
    if (f != stdin) fclose(f);
  }
  return error ? 2 : found ? 0 : 1;
}
