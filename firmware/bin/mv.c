/* mv SOURCE DEST, mv SOURCE... DIR: renames files (within one file system). */
#include "libc.h"

int main(int argc, char **argv) {
  int i = 1, status = 0;
  if (i < argc && strcmp(argv[i], "--") == 0) i++;
  int n = argc - i;
  if (n < 2) errx(1, n ? "missing destination file operand after '%s'" : "missing file operand", argv[i]);
  const char *dest = argv[argc - 1];
  struct stat st;
  int into_dir = stat(dest, &st) == 0 && S_ISDIR(st.st_mode);
  if (n > 2 && !into_dir) errx(1, "target '%s' is not a directory", dest);
  for (; i < argc - 1; i++) {
    const char *to = dest;
    char buf[PATH_MAX];
    if (into_dir) {
      const char *b = strrchr(argv[i], '/');
      b = b ? b + 1 : argv[i];
      snprintf(buf, sizeof buf, "%s/%s", dest, b);
      to = buf;
    }
    if (rename(argv[i], to) < 0) {
      warn("cannot move '%s' to '%s'", argv[i], to);
      status = 1;
    }
  }
  return status;
}
