/* Patterns: matching (* ? [...] [!...] and \ escapes, as case and ${x%pat} use them) and
 * pathname expansion (each component of a path matched against a directory's entries; a
 * leading '.' must be matched explicitly; results sorted). */
#include "sh.h"

/* Matches s against the bracket expression at pat (just past '['); *end gets its end. */
static int bracket(const char *pat, int c, const char **end) {
  int neg = *pat == '!' || *pat == '^', hit = 0;
  const char *p = pat + neg;
  for (int first = 1; *p && (first || *p != ']'); first = 0) {
    int lo = *p == '\\' && p[1] ? *++p : *p;
    p++;
    if (*p == '-' && p[1] && p[1] != ']') {
      int hi = p[1] == '\\' && p[2] ? p[2] : p[1];
      p += p[1] == '\\' ? 3 : 2;
      if (c >= lo && c <= hi) hit = 1;
    } else if (c == lo) {
      hit = 1;
    }
  }
  if (*p != ']') return -1; /* not a bracket expression: '[' is literal */
  *end = p + 1;
  return hit != neg;
}

int pattern_match(const char *pat, const char *s) {
  for (; *pat; pat++, s++) {
    switch (*pat) {
      case '*':
        while (pat[1] == '*') pat++;
        if (!pat[1]) return 1;
        for (; *s; s++)
          if (pattern_match(pat + 1, s)) return 1;
        return pattern_match(pat + 1, s);
      case '?':
        if (!*s) return 0;
        break;
      case '[': {
        const char *end;
        int m = *s ? bracket(pat + 1, (unsigned char)*s, &end) : 0;
        if (m < 0) {
          if (*s != '[') return 0;
          break;
        }
        if (!m) return 0;
        pat = end - 1;
        break;
      }
      case '\\':
        if (pat[1]) pat++;
        /* fall through */
      default:
        if (*pat != *s) return 0;
    }
  }
  return *s == 0;
}

/* Whether the first n bytes of pattern s hold an unescaped * or ?, or a [ closed by a ]. */
static int has_magic(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\\') i++;
    else if (s[i] == '*' || s[i] == '?') return 1;
    else if (s[i] == '[' && memchr(s + i + 2, ']', n > i + 2 ? n - i - 2 : 0)) return 1;
  }
  return 0;
}

int glob_magic(const char *pat) { return has_magic(pat, strlen(pat)); }

/* A pattern component without magic, backslashes removed. */
static void unescape(Buf *b, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\\' && i + 1 < n) i++;
    buf_add(b, s[i]);
  }
}

/* Expands the components of pat after the directory path already in `dir` (its length dlen). */
static void expand(Buf *dir, const char *pat, Args *out) {
  while (*pat == '/') pat++, buf_add(dir, '/');
  if (*pat == 0) {
    struct stat st;
    if (lstat(buf_cstr(dir), &st) == 0) args_add(out, astrdup(buf_cstr(dir)));
    return;
  }
  const char *slash = strchr(pat, '/');
  size_t n = slash ? (size_t)(slash - pat) : strlen(pat);
  size_t dlen = dir->len;
  if (!has_magic(pat, n)) {
    unescape(dir, pat, n);
    expand(dir, pat + n, out);
    dir->len = dlen;
    return;
  }
  char *comp = astrndup(pat, n);
  DIR *d = opendir(dlen ? buf_cstr(dir) : ".");
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' && comp[0] != '.') continue;
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (!pattern_match(comp, e->d_name)) continue;
    buf_str(dir, e->d_name, strlen(e->d_name));
    if (slash) expand(dir, pat + n, out);
    else args_add(out, astrdup(buf_cstr(dir)));
    dir->len = dlen;
  }
  closedir(d);
}

static int by_string(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int glob_expand(const char *pat, Args *out) {
  int before = out->n;
  Buf dir = { 0, 0, 0 };
  expand(&dir, pat, out);
  buf_free(&dir);
  qsort(out->v + before, out->n - before, sizeof *out->v, by_string);
  return out->n - before;
}
