/* posix_fadvise, fallocate, copy_file_range and personality, compared natively and under
 * exojit (tests/filespace.test.ts): advice taken or refused (pipes, bad advice, negative
 * lengths, O_PATH descriptors), space allocated past the end, kept within it, holes punched
 * and ranges zeroed, and every error of bad modes, descriptors and ranges; ranges copied at
 * file offsets and at given ones, to the end, within one file, across file systems, and the
 * errors; the execution domain set, queried and inherited. Files are made in the working
 * directory. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "guest.h"

/* posix_fadvise returns the error number itself. */
#define ADV(label, expr) printf("%s: %s\n", label, strerror(expr))

static long long size_of(int fd) {
  struct stat st;
  fstat(fd, &st);
  return (long long)st.st_size;
}
static void show(int fd, const char *label) {
  char buf[40];
  memset(buf, '?', sizeof buf);
  ssize_t n = pread(fd, buf, sizeof buf, 0);
  printf("%s: size %lld, bytes:", label, size_of(fd));
  for (ssize_t k = 0; k < n; k++) putchar(buf[k] == 0 ? '0' : buf[k]);
  putchar('\n');
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int fd = open("space.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
  write(fd, "abcdefghijklmnopqrst", 20);

  ADV("fadvise sequential", posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL));
  ADV("fadvise willneed", posix_fadvise(fd, 0, 4096, POSIX_FADV_WILLNEED));
  ADV("fadvise dontneed", posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED));
  ADV("fadvise noreuse", posix_fadvise(fd, 0, 0, POSIX_FADV_NOREUSE));
  ADV("fadvise advice 9", posix_fadvise(fd, 0, 0, 9));
  /* (i386's calls take each 64-bit value as two words; x86-64's fadvise64 is the same call
   * with whole values, for the host-architecture oracle: tests/helpers/oracle.ts) */
#ifdef __i386__
  TRY("raw fadvise64_64, negative length", syscall(272, fd, 0, 0, -1, -1, POSIX_FADV_NORMAL));
  TRY("raw fadvise64_64, negative offset", syscall(272, fd, -1, -1, 10, 0, POSIX_FADV_NORMAL));
#else
  TRY("raw fadvise64_64, negative length", syscall(SYS_fadvise64, fd, 0L, -1L, POSIX_FADV_NORMAL));
  TRY("raw fadvise64_64, negative offset", syscall(SYS_fadvise64, fd, -1L, 10L, POSIX_FADV_NORMAL));
#endif
  ADV("fadvise closed fd", posix_fadvise(77, 0, 0, POSIX_FADV_NORMAL));
  int p[2];
  pipe(p);
  ADV("fadvise on a pipe", posix_fadvise(p[0], 0, 0, POSIX_FADV_NORMAL));
  int opath = open("space.dat", O_PATH);
  ADV("fadvise on O_PATH", posix_fadvise(opath, 0, 0, POSIX_FADV_NORMAL));
#ifdef __i386__
  TRY("raw fadvise64 (32-bit length)", syscall(250, fd, 0, 0, 100, POSIX_FADV_RANDOM));
  TRY("raw fadvise64, length 2^32-1", syscall(250, fd, 0, 0, -1, POSIX_FADV_NORMAL));
#else
  TRY("raw fadvise64 (32-bit length)", syscall(SYS_fadvise64, fd, 0L, 100L, POSIX_FADV_RANDOM));
  TRY("raw fadvise64, length 2^32-1", syscall(SYS_fadvise64, fd, 0L, 4294967295L, POSIX_FADV_NORMAL));
#endif

  show(fd, "start");
  TRY("allocate past the end", fallocate(fd, 0, 16, 16));
  show(fd, "after");
  TRY("allocate within", fallocate(fd, 0, 0, 8));
  TRY("keep size past the end", fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 100));
  show(fd, "kept");
  TRY("punch a hole", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 2, 3));
  show(fd, "punched");
  TRY("punch past the end", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 30, 100));
  show(fd, "punched to the end");
  TRY("punch without keep-size", fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 1));
  TRY("zero a range", fallocate(fd, FALLOC_FL_ZERO_RANGE, 8, 2));
  show(fd, "zeroed");
  TRY("zero past the end", fallocate(fd, FALLOC_FL_ZERO_RANGE, 36, 4));
  show(fd, "zeroed and grown");
  TRY("zero and punch", fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 1));
  TRY("unknown mode bit", fallocate(fd, 0x100, 0, 1));
  TRY("zero length", fallocate(fd, 0, 0, 0));
  TRY("negative offset", fallocate(fd, 0, -1, 10));
  TRY("on a pipe", fallocate(p[1], 0, 0, 10));
  TRY("on a closed fd", fallocate(77, 0, 0, 10));
  int ro = open("space.dat", O_RDONLY);
  TRY("read-only descriptor", fallocate(ro, 0, 0, 10));
  int dir = open(".", O_RDONLY | O_DIRECTORY);
  TRY("on a directory", fallocate(dir, 0, 0, 10));
  int null = open("/dev/null", O_WRONLY);
  TRY("on /dev/null", fallocate(null, 0, 0, 10));
  TRY("posix_fallocate grows", posix_fallocate(fd, 0, 64));
  printf("size now %lld\n", size_of(fd));

  int a = open("from.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
  int b = open("to.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
  write(a, "0123456789", 10);
  lseek(a, 0, SEEK_SET);
  TRY("copy 4 at the file offsets", copy_file_range(a, NULL, b, NULL, 4, 0));
  printf("offsets now %ld and %ld\n", (long)lseek(a, 0, SEEK_CUR), (long)lseek(b, 0, SEEK_CUR));
  off64_t in = 2, out = 8;
  TRY("copy 5 at given offsets", copy_file_range(a, &in, b, &out, 5, 0));
  printf("given offsets now %lld and %lld, file offsets %ld and %ld\n", (long long)in, (long long)out, (long)lseek(a, 0, SEEK_CUR), (long)lseek(b, 0, SEEK_CUR));
  show(b, "copied");
  in = 8;
  TRY("copy past the end of the source", copy_file_range(a, &in, b, NULL, 100, 0));
  in = 100;
  TRY("copy from beyond the end", copy_file_range(a, &in, b, NULL, 10, 0));
  TRY("copy nothing", copy_file_range(a, NULL, b, NULL, 0, 0));
  TRY("copy with flags", copy_file_range(a, NULL, b, NULL, 4, 1));
  TRY("copy with a bad offset pointer", copy_file_range(a, (off64_t *)16, b, NULL, 4, 0));
  TRY("copy from a pipe with a bad offset pointer", copy_file_range(p[0], (off64_t *)16, b, NULL, 4, 0));
  in = -1;
  TRY("copy from a negative offset", copy_file_range(a, &in, b, NULL, 4, 0));
  in = 0, out = 2;
  TRY("copy within one file, overlapping", copy_file_range(a, &in, a, &out, 4, 0));
  in = 0, out = 20;
  TRY("copy within one file, apart", copy_file_range(a, &in, a, &out, 4, 0));
  show(a, "the source");
  int bro = open("to.dat", O_RDONLY), bap = open("to.dat", O_WRONLY | O_APPEND);
  TRY("copy to a read-only descriptor", copy_file_range(a, NULL, bro, NULL, 4, 0));
  TRY("copy to an append descriptor", copy_file_range(a, NULL, bap, NULL, 4, 0));
  TRY("copy from a write-only descriptor", copy_file_range(bap, NULL, b, NULL, 4, 0));
  TRY("copy to a directory", copy_file_range(a, NULL, dir, NULL, 4, 0));
  TRY("copy to a pipe", copy_file_range(a, NULL, p[1], NULL, 4, 0));
  TRY("copy from a closed fd", copy_file_range(77, NULL, b, NULL, 4, 0));
  int shm = open("/dev/shm/exojit-filespace", O_RDWR | O_CREAT | O_TRUNC, 0600);
  TRY("copy to another file system", copy_file_range(a, NULL, shm, NULL, 4, 0));
  unlink("/dev/shm/exojit-filespace");
  unlink("from.dat");
  unlink("to.dat");

  TRY("personality query", personality(0xffffffff));
  TRY("set ADDR_NO_RANDOMIZE", personality(PER_LINUX | ADDR_NO_RANDOMIZE));
  TRY("query", personality(0xffffffff));
  pid_t c = fork();
  if (c == 0) {
    printf("child's: %d\n", personality(0xffffffff));
    _exit(0);
  }
  waitpid(c, NULL, 0);
  TRY("set PER_LINUX32", personality(PER_LINUX32));
  TRY("back to PER_LINUX", personality(PER_LINUX));
  TRY("query", personality(0xffffffff));
  unlink("space.dat");
  return 0;
}
