/* Directory listing through readdir (getdents64 underneath): every entry with its d_type and
 * an inode number that matches lstat, sorted (the order is the file system's); rewinddir lists
 * the same again; the raw system calls refuse a buffer too small for one entry (EINVAL) and a
 * file that is not a directory (ENOTDIR); small buffers page through the whole directory. The
 * order of entries is the file system's, so nothing printed depends on it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv) {
  const char *d = argc > 1 ? argv[1] : ".";
  DIR *dir = opendir(d);
  if (!dir) {
    perror("opendir");
    return 1;
  }
  char *names[256];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(dir)) != NULL && n < 256) {
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", d, e->d_name);
    int ino = lstat(path, &st) == 0 && st.st_ino == e->d_ino;
    names[n] = malloc(600);
    snprintf(names[n], 600, "%s type %d ino %s", e->d_name, e->d_type, ino ? "matches" : "DIFFERS");
    n++;
  }
  qsort(names, n, sizeof *names, cmp);
  for (int i = 0; i < n; i++) puts(names[i]);

  rewinddir(dir);
  int again = 0;
  while (readdir(dir) != NULL) again++;
  printf("after rewinddir: %d of %d entries\n", again, n);
  closedir(dir);

  int fd = open(d, O_RDONLY | O_DIRECTORY);
  char tiny[8];
  long r = syscall(SYS_getdents64, fd, tiny, sizeof tiny);
  printf("8-byte buffer: %ld %s\n", r, r < 0 ? strerror(errno) : "");
  int pages = 0, seen = 0;
  char small[256];
  for (;;) {
    r = syscall(SYS_getdents64, fd, small, sizeof small);
    if (r <= 0) break;
    pages++;
    for (long off = 0; off < r; seen++) off += *(unsigned short *)(small + off + 16);
  }
  printf("256-byte buffers: all %d entries %s, in more than one call %d, then %ld\n", n, seen == n ? "seen" : "NOT SEEN", pages > 1, r);
  close(fd);

  int f = open("data.txt", O_RDONLY);
  r = syscall(SYS_getdents64, f, small, sizeof small);
  printf("on a file: %ld %s\n", r, r < 0 ? strerror(errno) : "");
  r = syscall(SYS_getdents64, 12345, small, sizeof small);
  printf("on a bad fd: %ld %s\n", r, r < 0 ? strerror(errno) : "");
  return 0;
}
