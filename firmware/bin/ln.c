/* ln [-s] [-f] TARGET [LINK], ln [-s] [-f] TARGET... DIR: makes hard links, or symbolic links
 * with -s; -f first removes an existing LINK. Without LINK the link goes in the working
 * directory under TARGET's last name. */
#include "libc.h"

static int symbolic, force;

static int make(const char *target, const char *name) {
  if (force) unlink(name);
  if ((symbolic ? symlink(target, name) : link(target, name)) == 0) return 0;
  warn(symbolic ? "failed to create symbolic link '%s'" : "failed to create hard link '%s'", name);
  return 1;
}

static const char *base(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

int main(int argc, char **argv) {
  int c, status = 0;
  while ((c = getopt(argc, argv, "sf")) != -1) {
    if (c == 's') symbolic = 1;
    else if (c == 'f') force = 1;
    else return 1;
  }
  int n = argc - optind;
  if (n == 0) errx(1, "missing file operand");
  if (n == 1) return make(argv[optind], base(argv[optind]));
  const char *dest = argv[argc - 1];
  struct stat st;
  if (stat(dest, &st) < 0 || !S_ISDIR(st.st_mode)) {
    if (n > 2) errx(1, "target '%s' is not a directory", dest);
    return make(argv[optind], dest);
  }
  for (int i = optind; i < argc - 1; i++) {
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s/%s", dest, base(argv[i]));
    status |= make(argv[i], buf);
  }
  return status;
}
