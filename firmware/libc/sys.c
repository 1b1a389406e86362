/* System call wrappers: each turns the kernel's -errno convention into -1 and errno. The
 * numbers are Linux i386's (asm/unistd_32.h); file calls use the 64-bit forms (stat64,
 * _llseek, fcntl64, getdents64) so large files and inode numbers work. */
#include "libc.h"

int errno;

enum {
  NR_exit = 1, NR_fork = 2, NR_read = 3, NR_write = 4, NR_open = 5, NR_close = 6, NR_link = 9,
  NR_unlink = 10, NR_execve = 11, NR_chdir = 12, NR_chmod = 15, NR_getpid = 20, NR_mount = 21,
  NR_access = 33, NR_sync = 36, NR_kill = 37, NR_rename = 38, NR_mkdir = 39, NR_rmdir = 40,
  NR_dup = 41, NR_pipe = 42, NR_brk = 45, NR_umount2 = 52, NR_ioctl = 54, NR_setpgid = 57,
  NR_umask = 60, NR_dup2 = 63, NR_getppid = 64, NR_getpgrp = 65, NR_setsid = 66, NR_symlink = 83,
  NR_readlink = 85, NR_munmap = 91, NR_fchmod = 94, NR_wait4 = 114, NR_uname = 122,
  NR_getpgid = 132, NR_llseek = 140, NR_getsid = 147, NR_getcwd = 183, NR_mmap2 = 192,
  NR_stat64 = 195, NR_lstat64 = 196, NR_fstat64 = 197, NR_getuid32 = 199, NR_getgid32 = 200,
  NR_geteuid32 = 201, NR_getegid32 = 202, NR_fcntl64 = 221, NR_exit_group = 252,
  NR_statfs64 = 268, NR_openat = 295, NR_utimensat = 320,
};

long __sysret(long r) {
  if ((unsigned long)r > -4096ul) {
    errno = (int)-r;
    return -1;
  }
  return r;
}

#define SYS(n, ...) __sysret(__syscall(n, __VA_ARGS__))

ssize_t read(int fd, void *buf, size_t n) { return SYS(NR_read, fd, (long)buf, n, 0, 0, 0); }
ssize_t write(int fd, const void *buf, size_t n) { return SYS(NR_write, fd, (long)buf, n, 0, 0, 0); }
int close(int fd) { return SYS(NR_close, fd, 0, 0, 0, 0, 0); }
int dup(int fd) { return SYS(NR_dup, fd, 0, 0, 0, 0, 0); }
int dup2(int from, int to) { return SYS(NR_dup2, from, to, 0, 0, 0, 0); }
int pipe(int fds[2]) { return SYS(NR_pipe, (long)fds, 0, 0, 0, 0, 0); }
int unlink(const char *p) { return SYS(NR_unlink, (long)p, 0, 0, 0, 0, 0); }
int rmdir(const char *p) { return SYS(NR_rmdir, (long)p, 0, 0, 0, 0, 0); }
int mkdir(const char *p, mode_t m) { return SYS(NR_mkdir, (long)p, m, 0, 0, 0, 0); }
int rename(const char *a, const char *b) { return SYS(NR_rename, (long)a, (long)b, 0, 0, 0, 0); }
int link(const char *a, const char *b) { return SYS(NR_link, (long)a, (long)b, 0, 0, 0, 0); }
int symlink(const char *t, const char *p) { return SYS(NR_symlink, (long)t, (long)p, 0, 0, 0, 0); }
ssize_t readlink(const char *p, char *b, size_t n) { return SYS(NR_readlink, (long)p, (long)b, n, 0, 0, 0); }
int chmod(const char *p, mode_t m) { return SYS(NR_chmod, (long)p, m, 0, 0, 0, 0); }
int fchmod(int fd, mode_t m) { return SYS(NR_fchmod, fd, m, 0, 0, 0, 0); }
int chdir(const char *p) { return SYS(NR_chdir, (long)p, 0, 0, 0, 0, 0); }
int access(const char *p, int m) { return SYS(NR_access, (long)p, m, 0, 0, 0, 0); }
mode_t umask(mode_t m) { return (mode_t)__syscall(NR_umask, m, 0, 0, 0, 0, 0); }
int utimensat(int d, const char *p, const void *t, int f) { return SYS(NR_utimensat, d, (long)p, (long)t, f, 0, 0); }
int mount(const char *s, const char *d, const char *t, unsigned long f, const void *data) {
  return SYS(NR_mount, (long)s, (long)d, (long)t, f, (long)data, 0);
}
int umount2(const char *d, int f) { return SYS(NR_umount2, (long)d, f, 0, 0, 0, 0); }
void sync(void) { __syscall(NR_sync, 0, 0, 0, 0, 0, 0); }
pid_t fork(void) { return SYS(NR_fork, 0, 0, 0, 0, 0, 0); }
int execve(const char *p, char *const a[], char *const e[]) { return SYS(NR_execve, (long)p, (long)a, (long)e, 0, 0, 0); }
pid_t waitpid(pid_t pid, int *st, int opt) { return SYS(NR_wait4, pid, (long)st, opt, 0, 0, 0); }
pid_t wait(int *st) { return waitpid(-1, st, 0); }
void _exit(int st) {
  for (;;) __syscall(NR_exit_group, st, 0, 0, 0, 0, 0);
}
pid_t getpid(void) { return __syscall(NR_getpid, 0, 0, 0, 0, 0, 0); }
pid_t getppid(void) { return __syscall(NR_getppid, 0, 0, 0, 0, 0, 0); }
pid_t getpgrp(void) { return __syscall(NR_getpgrp, 0, 0, 0, 0, 0, 0); }
pid_t getpgid(pid_t p) { return SYS(NR_getpgid, p, 0, 0, 0, 0, 0); }
int setpgid(pid_t p, pid_t g) { return SYS(NR_setpgid, p, g, 0, 0, 0, 0); }
pid_t setsid(void) { return SYS(NR_setsid, 0, 0, 0, 0, 0, 0); }
pid_t getsid(pid_t p) { return SYS(NR_getsid, p, 0, 0, 0, 0, 0); }
uid_t getuid(void) { return __syscall(NR_getuid32, 0, 0, 0, 0, 0, 0); }
uid_t geteuid(void) { return __syscall(NR_geteuid32, 0, 0, 0, 0, 0, 0); }
gid_t getgid(void) { return __syscall(NR_getgid32, 0, 0, 0, 0, 0, 0); }
gid_t getegid(void) { return __syscall(NR_getegid32, 0, 0, 0, 0, 0, 0); }
int kill(pid_t p, int s) { return SYS(NR_kill, p, s, 0, 0, 0, 0); }
int uname(struct utsname *u) { return SYS(NR_uname, (long)u, 0, 0, 0, 0, 0); }
int stat(const char *p, struct stat *st) { return SYS(NR_stat64, (long)p, (long)st, 0, 0, 0, 0); }
int lstat(const char *p, struct stat *st) { return SYS(NR_lstat64, (long)p, (long)st, 0, 0, 0, 0); }
int fstat(int fd, struct stat *st) { return SYS(NR_fstat64, fd, (long)st, 0, 0, 0, 0); }
int statfs(const char *p, struct statfs64 *s) { return SYS(NR_statfs64, (long)p, sizeof *s, (long)s, 0, 0, 0); }
int munmap(void *a, size_t n) { return SYS(NR_munmap, (long)a, n, 0, 0, 0, 0); }

/* The mode argument is read only when a file may be created, as POSIX says. */
int open(const char *p, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = (flags & O_CREAT) ? va_arg(ap, mode_t) : 0;
  va_end(ap);
  return SYS(NR_open, (long)p, flags | O_LARGEFILE, mode, 0, 0, 0);
}

int openat(int dirfd, const char *p, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = (flags & O_CREAT) ? va_arg(ap, mode_t) : 0;
  va_end(ap);
  return SYS(NR_openat, dirfd, (long)p, flags | O_LARGEFILE, mode, 0, 0);
}

off_t lseek(int fd, off_t off, int whence) {
  long long res;
  long r = __syscall(NR_llseek, fd, (long)(off >> 32), (long)off, (long)&res, whence, 0);
  return __sysret(r) < 0 ? -1 : res;
}

int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  long arg = va_arg(ap, long);
  va_end(ap);
  return SYS(NR_fcntl64, fd, cmd, arg, 0, 0, 0);
}

int ioctl(int fd, unsigned long req, ...) {
  va_list ap;
  va_start(ap, req);
  long arg = va_arg(ap, long);
  va_end(ap);
  return SYS(NR_ioctl, fd, req, arg, 0, 0, 0);
}

/* The kernel returns the length it stored; C returns the buffer. */
char *getcwd(char *buf, size_t n) {
  return SYS(NR_getcwd, (long)buf, n, 0, 0, 0, 0) < 0 ? NULL : buf;
}

void *mmap(void *a, size_t n, int prot, int flags, int fd, off_t off) {
  long r = __syscall(NR_mmap2, (long)a, n, prot, flags, fd, (long)(off >> 12));
  return (void *)__sysret(r);
}

/* sbrk over brk: the kernel answers brk with the break it now has (the old one on failure). */
static char *cur_brk;
void *sbrk(int inc) {
  if (cur_brk == NULL) cur_brk = (char *)__syscall(NR_brk, 0, 0, 0, 0, 0, 0);
  char *old = cur_brk;
  if (inc == 0) return old;
  char *want = old + inc;
  char *got = (char *)__syscall(NR_brk, (long)want, 0, 0, 0, 0, 0);
  if (got != want) {
    errno = ENOMEM;
    return (void *)-1;
  }
  cur_brk = got;
  return old;
}
