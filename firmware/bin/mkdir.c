/* mkdir [-p] [-m MODE] DIR...: makes directories; -p makes missing parents and accepts
 * directories that already exist. MODE is octal. */
#include "libc.h"

static int make(char *path, mode_t mode, int parents) {
  if (parents) {
    for (char *p = path + 1; *p; p++) {
      if (*p != '/' || p[-1] == '/') continue;
      *p = 0;
      struct stat st;
      int r = mkdir(path, 0777), e = errno;
      /* an existing name is fine if it is a directory (or a link to one) */
      int ok = r == 0 || (e == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode));
      if (!ok) {
        if (r < 0 && e == EEXIST) e = ENOTDIR;
        errno = e;
        warn("cannot create directory '%s'", path);
        *p = '/';
        return 1;
      }
      *p = '/';
    }
  }
  if (mkdir(path, mode) == 0) return 0;
  struct stat st;
  if (parents && errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) return 0;
  return warn("cannot create directory '%s'", path), 1;
}

int main(int argc, char **argv) {
  int parents = 0, status = 0, c;
  mode_t mode = 0777;
  while ((c = getopt(argc, argv, "pm:")) != -1) {
    if (c == 'p') parents = 1;
    else if (c == 'm') {
      char *end;
      mode = strtoul(optarg, &end, 8);
      if (*end || mode > 07777) errx(1, "invalid mode '%s'", optarg);
    } else return 1;
  }
  if (optind == argc) errx(1, "missing operand");
  for (int i = optind; i < argc; i++) {
    status |= make(argv[i], mode, parents);
    if (mode != 0777 && !status) chmod(argv[i], mode); /* -m is not subject to the umask */
  }
  return status;
}
