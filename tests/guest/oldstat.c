/* The original i386 stat calls (stat, lstat, fstat: system calls 106-108, struct stat; and
 * oldstat, oldlstat, oldfstat: 18, 84, 28, struct __old_kernel_stat), made raw as old binaries
 * make them, each checked against what stat64 says of the same file; with Linux's EOVERFLOW
 * (a file of 2 GiB or more; an inode number over 65535 for the oldest) and 16-bit ids (65534
 * for an id that does not fit). Prints 1 for each check that holds. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "guest.h"

struct kstat32 {
  unsigned long dev, ino;
  unsigned short mode, nlink, uid, gid;
  unsigned long rdev, size, blksize, blocks, atime, atime_nsec, mtime, mtime_nsec, ctime, ctime_nsec, unused4, unused5;
};

struct kstat_old {
  unsigned short dev, ino, mode, nlink, uid, gid, rdev;
  unsigned long size, atime, mtime, ctime;
};

static int same(const struct kstat32 *k, const struct stat64 *s) {
  return k->dev == (unsigned long)(((major(s->st_dev) & 0xfff) << 8) | (minor(s->st_dev) & 0xff) | ((minor(s->st_dev) & ~0xffu) << 12)) &&
         k->ino == s->st_ino && k->mode == s->st_mode && k->nlink == s->st_nlink && k->uid == (s->st_uid > 0xffff ? 65534 : s->st_uid) &&
         k->gid == (s->st_gid > 0xffff ? 65534 : s->st_gid) && k->size == (unsigned long)s->st_size && k->blksize == (unsigned long)s->st_blksize &&
         k->blocks == (unsigned long)s->st_blocks && k->atime == (unsigned long)s->st_atim.tv_sec && k->atime_nsec == (unsigned long)s->st_atim.tv_nsec &&
         k->mtime == (unsigned long)s->st_mtim.tv_sec && k->mtime_nsec == (unsigned long)s->st_mtim.tv_nsec && k->ctime == (unsigned long)s->st_ctim.tv_sec;
}

/* oldstat as Linux: EOVERFLOW when the inode number needs more than 16 bits, else the fields. */
static int old_as_linux(long r, int err, const struct kstat_old *o, const struct stat64 *s) {
  if (s->st_ino > 0xffff) return r == -1 && err == EOVERFLOW;
  return r == 0 && o->ino == s->st_ino && o->mode == s->st_mode && o->nlink == s->st_nlink && o->size == (unsigned long)s->st_size &&
         o->mtime == (unsigned long)s->st_mtim.tv_sec && o->dev == (((major(s->st_dev) & 0xff) << 8) | (minor(s->st_dev) & 0xff));
}

int main(void) {
  int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0640);
  char buf[5000];
  memset(buf, 'x', sizeof buf);
  write(fd, buf, sizeof buf);
  symlink("f", "link");
  struct stat64 s, ls;
  stat64("f", &s);
  lstat64("link", &ls);
  struct kstat32 k;
  struct kstat_old o;
  long r = syscall(SYS_stat, "f", &k);
  printf("stat: %ld, as stat64 %d\n", r, same(&k, &s));
  r = syscall(SYS_lstat, "link", &k);
  printf("lstat: %ld, as lstat64 %d, a link %d\n", r, same(&k, &ls), S_ISLNK(k.mode));
  r = syscall(SYS_fstat, fd, &k);
  printf("fstat: %ld, as stat64 %d\n", r, same(&k, &s));
  errno = 0;
  r = syscall(SYS_oldstat, "f", &o);
  printf("oldstat as Linux %d\n", old_as_linux(r, errno, &o, &s));
  errno = 0;
  r = syscall(SYS_oldfstat, fd, &o);
  printf("oldfstat as Linux %d\n", old_as_linux(r, errno, &o, &s));
  errno = 0;
  r = syscall(SYS_oldlstat, "link", &o);
  printf("oldlstat as Linux %d\n", old_as_linux(r, errno, &o, &ls));
  TRY("stat, missing file", syscall(SYS_stat, "missing", &k));
  TRY("stat, bad buffer", syscall(SYS_stat, "f", (void *)16));
  TRY("fstat, closed fd", syscall(SYS_fstat, 999, &k));
  /* ids that do not fit in 16 bits (root only) */
  if (fchown(fd, 70000, 70001) == 0) {
    syscall(SYS_fstat, fd, &k);
    printf("big ids: %u %u\n", k.uid, k.gid);
  } else {
    printf("big ids: not root\n");
  }
  /* 2 GiB and more: EOVERFLOW from these, stat64 still fine */
  ftruncate64(fd, 3ll << 30);
  TRY("fstat of 3 GiB", syscall(SYS_fstat, fd, &k));
  TRY("stat of 3 GiB", syscall(SYS_stat, "f", &k));
  TRY("oldfstat of 3 GiB", syscall(SYS_oldfstat, fd, &o));
  stat64("f", &s);
  printf("stat64 of 3 GiB: %lld\n", (long long)s.st_size);
  ftruncate64(fd, (1ll << 31) - 1);
  TRY("fstat of 2 GiB - 1", syscall(SYS_fstat, fd, &k));
  printf("  size %lu\n", k.size);
  unlink("f");
  unlink("link");
  return 0;
}
