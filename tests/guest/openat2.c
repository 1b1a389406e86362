/* openat2: struct open_how checked strictly (its size, unknown flags, a mode without O_CREAT,
 * O_PATH's companions), and the RESOLVE_* restrictions on the walk: no symbolic links, no magic
 * links, no mount crossed, beneath the starting directory or inside it as "/". Each case prints
 * the errno it failed with, or what it opened. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

struct how {
  uint64_t flags, mode, resolve;
  uint64_t extra[2];
};

#define NO_XDEV 0x01
#define NO_MAGICLINKS 0x02
#define NO_SYMLINKS 0x04
#define BENEATH 0x08
#define IN_ROOT 0x10
#define CACHED 0x20

static void show(const char *what, int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve, size_t size) {
  struct how h = {flags, mode, resolve, {0, 0}};
  errno = 0;
  long fd = syscall(SYS_openat2, dirfd, path, &h, size);
  if (fd < 0) {
    printf("%s: errno %d\n", what, errno);
    return;
  }
  char buf[32] = {0};
  ssize_t n = (flags & O_PATH) ? 0 : read((int)fd, buf, sizeof buf - 1);
  printf("%s: opened%s%s\n", what, n > 0 ? ", reads " : "", n > 0 ? buf : "");
  close((int)fd);
}

static void put(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, text, strlen(text)) < 0) perror(path);
  close(fd);
}

int main(void) {
  mkdir("top", 0755);
  mkdir("top/sub", 0755);
  put("top/f", "inside");
  put("outside", "outside");
  symlink("sub", "top/linkdir");
  symlink("/f", "top/abslink");
  symlink("../outside", "top/uplink");
  int top = open("top", O_RDONLY | O_DIRECTORY);

  /* the struct */
  show("plain", top, "f", O_RDONLY, 0, 0, 24);
  show("size below the first version", top, "f", O_RDONLY, 0, 0, 16);
  show("larger struct, zero tail", top, "f", O_RDONLY, 0, 0, sizeof(struct how));
  struct how h = {O_RDONLY, 0, 0, {1, 0}};
  errno = 0;
  long r = syscall(SYS_openat2, top, "f", &h, sizeof h);
  printf("larger struct, nonzero tail: %ld errno %d\n", r < 0 ? -1L : 0L, errno);
  show("size above a page", top, "f", O_RDONLY, 0, 0, 8192);
  show("unknown flag", top, "f", O_RDONLY | 0x40000000, 0, 0, 24);
  show("flag in the upper half", top, "f", O_RDONLY | (1ULL << 40), 0, 0, 24);
  show("mode without O_CREAT", top, "f", O_RDONLY, 0644, 0, 24);
  show("mode beyond permission bits", top, "new", O_RDWR | O_CREAT, 0100644, 0, 24);
  show("O_CREAT and O_DIRECTORY", top, "new2", O_RDWR | O_CREAT | O_DIRECTORY, 0644, 0, 24);
  show("O_PATH with O_RDWR", top, "f", O_PATH | O_RDWR, 0, 0, 24);
  show("O_PATH with O_NOFOLLOW", top, "abslink", O_PATH | O_NOFOLLOW | O_CLOEXEC, 0, 0, 24);
  show("unknown resolve flag", top, "f", O_RDONLY, 0, 0x40, 24);
  show("BENEATH with IN_ROOT", top, "f", O_RDONLY, 0, BENEATH | IN_ROOT, 24);
  show("CACHED with O_CREAT", top, "f", O_RDWR | O_CREAT, 0644, CACHED, 24);
  show("created", top, "made", O_RDWR | O_CREAT | O_EXCL, 0600, 0, 24);
  struct stat st;
  if (stat("top/made", &st) == 0) printf("created with mode %o\n", st.st_mode & 0777);

  /* symbolic links */
  show("NO_SYMLINKS through a link", top, "linkdir/../f", O_RDONLY, 0, NO_SYMLINKS, 24);
  show("NO_SYMLINKS, none on the way", top, "sub/../f", O_RDONLY, 0, NO_SYMLINKS, 24);
  show("NO_SYMLINKS, last one not followed", top, "abslink", O_PATH | O_NOFOLLOW, 0, NO_SYMLINKS, 24);
  show("NO_MAGICLINKS, an ordinary link", top, "uplink", O_RDONLY, 0, NO_MAGICLINKS, 24);

  /* scoping */
  show("BENEATH", top, "sub/../f", O_RDONLY, 0, BENEATH, 24);
  show("BENEATH, .. above", top, "../outside", O_RDONLY, 0, BENEATH, 24);
  show("BENEATH, absolute path", top, "/etc/hostname", O_RDONLY, 0, BENEATH, 24);
  show("BENEATH, absolute link", top, "abslink", O_RDONLY, 0, BENEATH, 24);
  show("BENEATH, link going up", top, "uplink", O_RDONLY, 0, BENEATH, 24);
  show("IN_ROOT, absolute path", top, "/f", O_RDONLY, 0, IN_ROOT, 24);
  show("IN_ROOT, .. at the root", top, "../../f", O_RDONLY, 0, IN_ROOT, 24);
  show("IN_ROOT, absolute link", top, "abslink", O_RDONLY, 0, IN_ROOT, 24);
  show("IN_ROOT, link going up", top, "uplink", O_RDONLY, 0, IN_ROOT, 24);
  show("no restriction, link going up", top, "uplink", O_RDONLY, 0, 0, 24);

  /* mounts: /proc is a mount of its own */
  show("NO_XDEV into /proc", AT_FDCWD, "/proc/self/comm", O_RDONLY, 0, NO_XDEV, 24);
  show("/proc without NO_XDEV", AT_FDCWD, "/proc/self/comm", O_RDONLY, 0, 0, 24);
  char fdlink[64];
  snprintf(fdlink, sizeof fdlink, "/proc/self/fd/%d", top);
  show("NO_MAGICLINKS, /proc/self/fd", AT_FDCWD, fdlink, O_RDONLY | O_DIRECTORY, 0, NO_MAGICLINKS, 24);
  return 0;
}
