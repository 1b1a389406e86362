/* rm [-r|-R] [-f] FILE...: removes files; -r removes directories with their contents; -f
 * ignores files that do not exist and never complains about them. */
#include "libc.h"

static int force, recursive;

static int remove_path(const char *path) {
  struct stat st;
  if (lstat(path, &st) < 0) {
    if (force && errno == ENOENT) return 0;
    return warn("cannot remove '%s'", path), 1;
  }
  if (!S_ISDIR(st.st_mode)) {
    if (unlink(path) == 0) return 0;
    return warn("cannot remove '%s'", path), 1;
  }
  if (!recursive) {
    errno = EISDIR;
    return warn("cannot remove '%s'", path), 1;
  }
  int status = 0;
  DIR *d = opendir(path);
  if (d == NULL) return warn("cannot remove '%s'", path), 1;
  struct dirent *e;
  size_t plen = strlen(path);
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    char *child = xmalloc(plen + strlen(e->d_name) + 2);
    sprintf(child, "%s%s%s", path, path[plen - 1] == '/' ? "" : "/", e->d_name);
    status |= remove_path(child);
    free(child);
  }
  closedir(d);
  if (rmdir(path) < 0 && !status) return warn("cannot remove '%s'", path), 1;
  return status;
}

int main(int argc, char **argv) {
  int c, status = 0;
  while ((c = getopt(argc, argv, "rRf")) != -1) {
    if (c == 'f') force = 1;
    else if (c == 'r' || c == 'R') recursive = 1;
    else return 1;
  }
  if (optind == argc && !force) errx(1, "missing operand");
  for (int i = optind; i < argc; i++) status |= remove_path(argv[i]);
  return status;
}
