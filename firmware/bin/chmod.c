/* chmod [-R] MODE FILE...: sets permission bits. MODE is octal (755) or symbolic: clauses
 * separated by commas, each [ugoa]*[+-=][rwxXst]* (chmod u+x,go-w f). */
#include "libc.h"

static int recursive;

/* The new mode for a file whose mode is old; -1 if spec is not a mode. */
static long apply(const char *spec, unsigned old) {
  if (isdigit(*spec)) {
    char *end;
    unsigned long v = strtoul(spec, &end, 8);
    return *end || v > 07777 ? -1 : (long)v;
  }
  unsigned mode = old & 07777;
  const char *p = spec;
  for (;;) {
    unsigned who = 0;
    for (;; p++) {
      if (*p == 'u') who |= 04700;
      else if (*p == 'g') who |= 02070;
      else if (*p == 'o') who |= 01007;
      else if (*p == 'a') who |= 07777;
      else break;
    }
    int masked = who == 0;
    if (masked) {
      mode_t mask = umask(0);
      umask(mask);
      who = 07777 & ~mask;
    }
    if (*p != '+' && *p != '-' && *p != '=') return -1;
    while (*p == '+' || *p == '-' || *p == '=') {
      char op = *p++;
      unsigned bits = 0;
      for (; *p && *p != ',' && *p != '+' && *p != '-' && *p != '='; p++) {
        switch (*p) {
          case 'r': bits |= 0444; break;
          case 'w': bits |= 0222; break;
          case 'x': bits |= 0111; break;
          case 'X': if (S_ISDIR(old) || (old & 0111)) bits |= 0111; break;
          case 's': bits |= 06000; break;
          case 't': bits |= 01000; break;
          default: return -1;
        }
      }
      bits &= who;
      if (op == '+') mode |= bits;
      else if (op == '-') mode &= ~bits;
      else mode = (mode & ~(masked ? 07777 : who)) | bits;
    }
    if (*p == 0) return mode;
    if (*p++ != ',') return -1;
  }
}

static int change(const char *spec, const char *path) {
  struct stat st;
  if (stat(path, &st) < 0) return warn("cannot access '%s'", path), 1;
  long mode = apply(spec, st.st_mode);
  if (mode < 0) errx(1, "invalid mode: '%s'", spec);
  int status = 0;
  if (chmod(path, (mode_t)mode) < 0) warn("changing permissions of '%s'", path), status = 1;
  if (recursive && S_ISDIR(st.st_mode)) {
    DIR *d = opendir(path);
    if (!d) return warn("cannot read directory '%s'", path), 1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      char *child = xmalloc(strlen(path) + strlen(e->d_name) + 2);
      sprintf(child, "%s/%s", path, e->d_name);
      struct stat cst;
      if (lstat(child, &cst) == 0 && !S_ISLNK(cst.st_mode)) status |= change(spec, child);
      free(child);
    }
    closedir(d);
  }
  return status;
}

int main(int argc, char **argv) {
  int i = 1, status = 0;
  if (i < argc && strcmp(argv[i], "-R") == 0) recursive = 1, i++;
  if (argc - i < 2) errx(1, "usage: chmod [-R] MODE FILE...");
  const char *spec = argv[i++];
  if (apply(spec, 0) < 0) errx(1, "invalid mode: '%s'", spec);
  for (; i < argc; i++) status |= change(spec, argv[i]);
  return status;
}
