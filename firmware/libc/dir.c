/* Directory streams over getdents64: a buffer of kernel records walked one at a time. */
#include "libc.h"

#define NR_getdents64 220

struct DIR {
  int fd;
  int pos, len;
  char buf[4096];
};

DIR *opendir(const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return NULL;
  DIR *d = malloc(sizeof *d);
  if (!d) {
    close(fd);
    return NULL;
  }
  d->fd = fd;
  d->pos = d->len = 0;
  return d;
}

/* The kernel's linux_dirent64 has the same layout as our struct dirent's head. */
struct dirent *readdir(DIR *d) {
  if (d->pos >= d->len) {
    long n = __sysret(__syscall(NR_getdents64, d->fd, (long)d->buf, sizeof d->buf, 0, 0, 0));
    if (n <= 0) return NULL;
    d->pos = 0;
    d->len = n;
  }
  struct dirent *e = (struct dirent *)(d->buf + d->pos);
  d->pos += e->d_reclen;
  return e;
}

int closedir(DIR *d) {
  int r = close(d->fd);
  free(d);
  return r;
}
