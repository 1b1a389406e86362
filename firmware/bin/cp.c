/* cp [-r|-R] SOURCE DEST, cp [-r] SOURCE... DIR: copies files (DEST gets SOURCE's permission
 * bits, less the umask); -r copies directories and everything in them, symbolic links as links. */
#include "libc.h"

static int recursive;

static int copy_file(const char *from, const char *to, mode_t mode) {
  int in = open(from, O_RDONLY);
  if (in < 0) return warn("cannot open '%s' for reading", from), 1;
  int out = open(to, O_WRONLY | O_CREAT | O_TRUNC, mode & 07777);
  if (out < 0) {
    warn("cannot create regular file '%s'", to);
    close(in);
    return 1;
  }
  char buf[8192];
  int status = 0;
  for (;;) {
    ssize_t n = read(in, buf, sizeof buf);
    if (n < 0) {
      warn("error reading '%s'", from);
      status = 1;
      break;
    }
    if (n == 0) break;
    if (write(out, buf, n) != n) {
      warn("error writing '%s'", to);
      status = 1;
      break;
    }
  }
  close(in);
  if (close(out) < 0) status = 1;
  return status;
}

static char *join(const char *dir, const char *name) {
  char *p = xmalloc(strlen(dir) + strlen(name) + 2);
  sprintf(p, "%s/%s", dir, name);
  return p;
}

static int copy(const char *from, const char *to, int top) {
  struct stat st;
  if ((top ? stat(from, &st) : lstat(from, &st)) < 0) return warn("cannot stat '%s'", from), 1;
  if (S_ISLNK(st.st_mode)) {
    char target[PATH_MAX];
    ssize_t n = readlink(from, target, sizeof target - 1);
    if (n < 0) return warn("cannot read symbolic link '%s'", from), 1;
    target[n] = 0;
    if (symlink(target, to) < 0) return warn("cannot create symbolic link '%s'", to), 1;
    return 0;
  }
  if (!S_ISDIR(st.st_mode)) return copy_file(from, to, st.st_mode);
  if (!recursive) return warnx("-r not specified; omitting directory '%s'", from), 1;
  struct stat dst;
  if (mkdir(to, (st.st_mode & 07777) | 0700) < 0 && (errno != EEXIST || stat(to, &dst) < 0 || !S_ISDIR(dst.st_mode)))
    return warn("cannot create directory '%s'", to), 1;
  DIR *d = opendir(from);
  if (d == NULL) return warn("cannot access '%s'", from), 1;
  int status = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    char *a = join(from, e->d_name), *b = join(to, e->d_name);
    status |= copy(a, b, 0);
    free(a);
    free(b);
  }
  closedir(d);
  return status;
}

static const char *base(const char *p) {
  static char buf[PATH_MAX];
  size_t n = strlen(p);
  while (n > 1 && p[n - 1] == '/') n--;
  if (n >= sizeof buf) n = sizeof buf - 1;
  memcpy(buf, p, n);
  buf[n] = 0;
  char *s = strrchr(buf, '/');
  return s ? s + 1 : buf;
}

int main(int argc, char **argv) {
  int c, status = 0;
  while ((c = getopt(argc, argv, "rR")) != -1) {
    if (c == 'r' || c == 'R') recursive = 1;
    else return 1;
  }
  int n = argc - optind;
  if (n < 2) errx(1, n ? "missing destination file operand after '%s'" : "missing file operand", argv[optind]);
  const char *dest = argv[argc - 1];
  struct stat st;
  int into_dir = stat(dest, &st) == 0 && S_ISDIR(st.st_mode);
  if (n > 2 && !into_dir) errx(1, "target '%s' is not a directory", dest);
  for (int i = optind; i < argc - 1; i++) {
    if (!into_dir) return copy(argv[i], dest, 1);
    char *to = join(dest, base(argv[i]));
    status |= copy(argv[i], to, 1);
    free(to);
  }
  return status;
}
