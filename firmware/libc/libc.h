/* exojit's guest libc: the one header of the small C runtime the default image's programs are
 * built on (firmware/bin, firmware/build.sh). Linux i386 only, static only, no threads, no
 * locales: just what a shell and a set of small utilities need.
 *
 * Where things live: start.S (entry, system call gate, signal return trampoline), setjmp.S,
 * sys.c (system call wrappers and errno), string.c, ctype.c, stdlib.c (numbers, qsort),
 * malloc.c (brk and mmap), printf.c, stdio.c (FILE), env.c, dir.c (getdents64), signal.c,
 * exec.c (execvp and friends), termios.c, time.c (gmtime, sleeping), errno.c (strerror),
 * err.c (warn, err), getopt.c, exit.c (start-up, atexit, exit). */
#ifndef EXOJIT_LIBC_H
#define EXOJIT_LIBC_H

/* ---- types ------------------------------------------------------------------------------- */
typedef unsigned int size_t;
typedef int ssize_t;
typedef int pid_t;
typedef unsigned int uid_t, gid_t, mode_t;
typedef long long off_t;   /* always 64-bit: every file call here uses the 64-bit forms */
typedef long time_t;       /* 32-bit, as the i386 system calls we use return it */
typedef int intptr_t;
typedef unsigned int uintptr_t;
typedef unsigned long long uint64_t;
typedef long long int64_t;
typedef unsigned int uint32_t;
typedef int int32_t;
typedef unsigned short uint16_t;
typedef unsigned char uint8_t;
typedef __builtin_va_list va_list;
#define va_start(ap, last) __builtin_va_start(ap, last)
#define va_arg(ap, t) __builtin_va_arg(ap, t)
#define va_end(ap) __builtin_va_end(ap)
#define va_copy(d, s) __builtin_va_copy(d, s)
#define NULL ((void *)0)
#define offsetof(t, m) __builtin_offsetof(t, m)
#define INT_MAX 0x7fffffff
#define INT_MIN (-INT_MAX - 1)
#define UINT_MAX 0xffffffffu
#define LONG_MAX INT_MAX
#define LONG_MIN INT_MIN
#define PATH_MAX 4096
#define EOF (-1)

/* ---- system calls (sys.c) ----------------------------------------------------------------- */
/* Raw call: returns the kernel's value, -errno on failure (no errno set). */
long __syscall(long nr, long a, long b, long c, long d, long e, long f);
#define syscall0(n) __syscall(n, 0, 0, 0, 0, 0, 0)
#define syscall1(n, a) __syscall(n, (long)(a), 0, 0, 0, 0, 0)
#define syscall2(n, a, b) __syscall(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define syscall3(n, a, b, c) __syscall(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define syscall4(n, a, b, c, d) __syscall(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define syscall5(n, a, b, c, d, e) __syscall(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)
/* A raw result turned into the C convention: -1 with errno set, or the value. */
long __sysret(long r);

extern int errno;

ssize_t read(int fd, void *buf, size_t n);
ssize_t write(int fd, const void *buf, size_t n);
int open(const char *path, int flags, ...);
int openat(int dirfd, const char *path, int flags, ...);
int close(int fd);
off_t lseek(int fd, off_t off, int whence);
int dup(int fd);
int dup2(int from, int to);
int fcntl(int fd, int cmd, ...);
int pipe(int fds[2]);
int ioctl(int fd, unsigned long req, ...);
int unlink(const char *path);
int rmdir(const char *path);
int mkdir(const char *path, mode_t mode);
int rename(const char *from, const char *to);
int link(const char *from, const char *to);
int symlink(const char *target, const char *path);
ssize_t readlink(const char *path, char *buf, size_t n);
int chmod(const char *path, mode_t mode);
int fchmod(int fd, mode_t mode);
int chdir(const char *path);
char *getcwd(char *buf, size_t n);
int access(const char *path, int mode);
mode_t umask(mode_t mask);
int utimensat(int dirfd, const char *path, const void *times, int flags);
int mount(const char *src, const char *dir, const char *type, unsigned long flags, const void *data);
int umount2(const char *dir, int flags);
void sync(void);
pid_t fork(void);
int execve(const char *path, char *const argv[], char *const envp[]);
pid_t waitpid(pid_t pid, int *status, int options);
pid_t wait(int *status);
void _exit(int status) __attribute__((noreturn));
pid_t getpid(void);
pid_t getppid(void);
pid_t getpgrp(void);
pid_t getpgid(pid_t pid);
int setpgid(pid_t pid, pid_t pgid);
pid_t setsid(void);
pid_t getsid(pid_t pid);
uid_t getuid(void);
uid_t geteuid(void);
gid_t getgid(void);
gid_t getegid(void);
int kill(pid_t pid, int sig);
void *sbrk(int inc);
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int munmap(void *addr, size_t len);

/* open flags, file modes, access modes */
#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_ACCMODE 3
#define O_CREAT 0100
#define O_EXCL 0200
#define O_NOCTTY 0400
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_NONBLOCK 04000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW 0400000
#define O_CLOEXEC 02000000
#define O_LARGEFILE 0100000
#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_DUPFD_CLOEXEC 1030
#define FD_CLOEXEC 1
#define F_OK 0
#define X_OK 1
#define W_OK 2
#define R_OK 4
#define S_IFMT 0170000
#define S_IFSOCK 0140000
#define S_IFLNK 0120000
#define S_IFREG 0100000
#define S_IFBLK 0060000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFIFO 0010000
#define S_ISUID 04000
#define S_ISGID 02000
#define S_ISVTX 01000
#define S_ISDIR(m) (((m) & S_IFMT) == S_IFDIR)
#define S_ISREG(m) (((m) & S_IFMT) == S_IFREG)
#define S_ISLNK(m) (((m) & S_IFMT) == S_IFLNK)
#define S_ISCHR(m) (((m) & S_IFMT) == S_IFCHR)
#define S_ISBLK(m) (((m) & S_IFMT) == S_IFBLK)
#define S_ISFIFO(m) (((m) & S_IFMT) == S_IFIFO)
#define S_ISSOCK(m) (((m) & S_IFMT) == S_IFSOCK)
#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_PRIVATE 2
#define MAP_ANONYMOUS 0x20
#define MAP_FAILED ((void *)-1)
#define UTIME_NOW ((1l << 30) - 1l)
#define UTIME_OMIT ((1l << 30) - 2l)

/* wait status */
#define WNOHANG 1
#define WUNTRACED 2
#define WCONTINUED 8
#define WEXITSTATUS(s) (((s) >> 8) & 0xff)
#define WTERMSIG(s) ((s) & 0x7f)
#define WSTOPSIG(s) WEXITSTATUS(s)
#define WIFEXITED(s) (WTERMSIG(s) == 0)
#define WIFSIGNALED(s) (((signed char)(((s) & 0x7f) + 1) >> 1) > 0)
#define WIFSTOPPED(s) (((s) & 0xff) == 0x7f)
#define WIFCONTINUED(s) ((s) == 0xffff)

/* ---- files: stat (sys.c) ------------------------------------------------------------------ */
/* The kernel's struct stat64 on i386 (96 bytes; long long is 4-aligned in the i386 ABI). */
struct stat {
  unsigned long long st_dev;
  unsigned char __pad0[4];
  unsigned long __st_ino;
  unsigned int st_mode;
  unsigned int st_nlink;
  unsigned long st_uid;
  unsigned long st_gid;
  unsigned long long st_rdev;
  unsigned char __pad3[4];
  long long st_size;
  unsigned long st_blksize;
  unsigned long long st_blocks;
  unsigned long st_atime, st_atime_nsec;
  unsigned long st_mtime, st_mtime_nsec;
  unsigned long st_ctime, st_ctime_nsec;
  unsigned long long st_ino;
};
int stat(const char *path, struct stat *st);
int lstat(const char *path, struct stat *st);
int fstat(int fd, struct stat *st);
#define major(d) ((unsigned)((((d) >> 31 >> 1) & 0xfffff000) | (((d) >> 8) & 0xfff)))
#define minor(d) ((unsigned)((((d) >> 12) & 0xffffff00) | ((d) & 0xff)))

/* ---- strings (string.c, ctype.c) ---------------------------------------------------------- */
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
int strcasecmp(const char *a, const char *b);
int strncasecmp(const char *a, const char *b, size_t n);
char *strcpy(char *d, const char *s);
char *strncpy(char *d, const char *s, size_t n);
char *strcat(char *d, const char *s);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
char *strstr(const char *h, const char *n);
size_t strspn(const char *s, const char *accept);
size_t strcspn(const char *s, const char *reject);
char *strdup(const char *s);
char *strndup(const char *s, size_t n);
char *strerror(int err);
int isdigit(int c);
int isalpha(int c);
int isalnum(int c);
int isspace(int c);
int isupper(int c);
int islower(int c);
int isprint(int c);
int isxdigit(int c);
int tolower(int c);
int toupper(int c);

/* ---- numbers, sorting, memory (stdlib.c, malloc.c) ---------------------------------------- */
int atoi(const char *s);
long strtol(const char *s, char **end, int base);
unsigned long strtoul(const char *s, char **end, int base);
long long strtoll(const char *s, char **end, int base);
int abs(int v);
void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
void *malloc(size_t n);
void free(void *p);
void *realloc(void *p, size_t n);
void *calloc(size_t n, size_t size);
/* malloc and realloc that print "out of memory" and exit instead of returning NULL. */
void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* ---- environment (env.c), exit (exit.c), exec (exec.c) ------------------------------------ */
extern char **environ;
char *getenv(const char *name);
int setenv(const char *name, const char *value, int overwrite);
int unsetenv(const char *name);
void exit(int status) __attribute__((noreturn));
int atexit(void (*fn)(void));
int execv(const char *path, char *const argv[]);
int execvp(const char *file, char *const argv[]);
/* execvp with an explicit environment (searches PATH from the caller's environment). */
int execvpe(const char *file, char *const argv[], char *const envp[]);
int execl(const char *path, const char *arg, ...);
int execlp(const char *file, const char *arg, ...);

/* ---- stdio (stdio.c, printf.c) ------------------------------------------------------------ */
typedef struct FILE FILE;
extern FILE *stdin, *stdout, *stderr;
FILE *fopen(const char *path, const char *mode);
FILE *fdopen(int fd, const char *mode);
int fclose(FILE *f);
int fflush(FILE *f);
int fileno(FILE *f);
int feof(FILE *f);
int ferror(FILE *f);
int fgetc(FILE *f);
#define getc fgetc
int getchar(void);
char *fgets(char *buf, int n, FILE *f);
/* Reads a whole line of any length into *line (grown with realloc); returns its length or -1. */
ssize_t getline(char **line, size_t *cap, FILE *f);
size_t fread(void *buf, size_t size, size_t n, FILE *f);
size_t fwrite(const void *buf, size_t size, size_t n, FILE *f);
int fputc(int c, FILE *f);
#define putc fputc
int putchar(int c);
int fputs(const char *s, FILE *f);
int puts(const char *s);
void perror(const char *what);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int fprintf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int dprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int sprintf(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vfprintf(FILE *f, const char *fmt, va_list ap);
int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
/* The printf engine: calls out(ctx, bytes, n) for each piece; returns the total length. */
int __format(void (*out)(void *ctx, const char *s, size_t n), void *ctx, const char *fmt, va_list ap);

/* ---- directories (dir.c) ------------------------------------------------------------------ */
struct dirent {
  unsigned long long d_ino;
  long long d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[256];
};
#define DT_UNKNOWN 0
#define DT_DIR 4
#define DT_REG 8
#define DT_LNK 10
typedef struct DIR DIR;
DIR *opendir(const char *path);
struct dirent *readdir(DIR *d);
int closedir(DIR *d);

/* ---- signals (signal.c) ------------------------------------------------------------------- */
#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGSTKFLT 16
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGURG 23
#define SIGXCPU 24
#define SIGXFSZ 25
#define SIGVTALRM 26
#define SIGPROF 27
#define SIGWINCH 28
#define SIGIO 29
#define SIGPWR 30
#define SIGSYS 31
#define NSIG 65
typedef void (*sighandler_t)(int);
#define SIG_DFL ((sighandler_t)0)
#define SIG_IGN ((sighandler_t)1)
#define SIG_ERR ((sighandler_t)-1)
typedef struct { unsigned long sig[2]; } sigset_t;
struct sigaction {
  sighandler_t sa_handler;
  unsigned long sa_flags;
  void (*sa_restorer)(void);
  sigset_t sa_mask;
};
#define SA_NOCLDSTOP 1
#define SA_SIGINFO 4
#define SA_RESTORER 0x04000000
#define SA_RESTART 0x10000000
#define SA_NODEFER 0x40000000
#define SA_RESETHAND 0x80000000
#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2
/* Installs act (always through rt_sigaction with our restorer); saves the old one in old. */
int sigaction(int sig, const struct sigaction *act, struct sigaction *old);
sighandler_t signal(int sig, sighandler_t fn);
int sigprocmask(int how, const sigset_t *set, sigset_t *old);
int sigemptyset(sigset_t *s);
int sigfillset(sigset_t *s);
int sigaddset(sigset_t *s, int sig);
int sigdelset(sigset_t *s, int sig);
int sigismember(const sigset_t *s, int sig);
int sigsuspend(const sigset_t *mask);
int raise(int sig);
/* "HUP", "INT", ... for 1..31 (NULL otherwise), and the reverse (0 if unknown). */
const char *signame(int sig);
int signum(const char *name);
/* "Hangup", "Interrupt", ... as strsignal(3). */
const char *strsignal(int sig);

/* ---- terminals (termios.c) ---------------------------------------------------------------- */
/* The kernel's struct termios (what TCGETS/TCSETS move). */
struct termios {
  unsigned int c_iflag, c_oflag, c_cflag, c_lflag;
  unsigned char c_line;
  unsigned char c_cc[19];
};
struct winsize { unsigned short ws_row, ws_col, ws_xpixel, ws_ypixel; };
#define TCSANOW 0
#define TCSADRAIN 1
#define TCSAFLUSH 2
#define TCGETS 0x5401
#define TCSETS 0x5402
#define TIOCSCTTY 0x540e
#define TIOCGPGRP 0x540f
#define TIOCSPGRP 0x5410
#define TIOCGWINSZ 0x5413
#define TIOCNOTTY 0x5422
#define ICANON 0000002
#define ECHO 0000010
#define ISIG 0000001
int tcgetattr(int fd, struct termios *t);
int tcsetattr(int fd, int when, const struct termios *t);
pid_t tcgetpgrp(int fd);
int tcsetpgrp(int fd, pid_t pgrp);
int isatty(int fd);

/* ---- time (time.c) ------------------------------------------------------------------------ */
struct timespec { long tv_sec; long tv_nsec; };
struct timeval { long tv_sec; long tv_usec; };
struct tm {
  int tm_sec, tm_min, tm_hour, tm_mday, tm_mon, tm_year, tm_wday, tm_yday, tm_isdst;
};
time_t time(time_t *t);
int clock_gettime(int clock, struct timespec *ts);
#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
/* Always UTC: there is no time zone database in the image. */
struct tm *gmtime_r(const time_t *t, struct tm *tm);
int nanosleep(const struct timespec *req, struct timespec *rem);
unsigned sleep(unsigned secs);
extern const char *const __day_names[7];
extern const char *const __month_names[12];

/* ---- non-local jumps (setjmp.S) ----------------------------------------------------------- */
typedef int jmp_buf[6];
int setjmp(jmp_buf env) __attribute__((returns_twice));
void longjmp(jmp_buf env, int v) __attribute__((noreturn));

/* ---- diagnostics (err.c) ----------------------------------------------------------------- */
extern const char *__progname; /* argv[0] without its directory, set before main */
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void err(int status, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
void errx(int status, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));

/* ---- misc (getopt.c, uname in sys.c) ------------------------------------------------------ */
extern char *optarg;
extern int optind, opterr, optopt;
int getopt(int argc, char *const argv[], const char *opts);
struct utsname { char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65]; };
int uname(struct utsname *u);
struct statfs64 {
  unsigned f_type, f_bsize;
  unsigned long long f_blocks, f_bfree, f_bavail, f_files, f_ffree;
  int f_fsid[2];
  unsigned f_namelen, f_frsize, f_flags, f_spare[4];
};
int statfs(const char *path, struct statfs64 *s);

/* errno values (asm-generic/errno-base.h and errno.h) */
#define EPERM 1
#define ENOENT 2
#define ESRCH 3
#define EINTR 4
#define EIO 5
#define ENXIO 6
#define E2BIG 7
#define ENOEXEC 8
#define EBADF 9
#define ECHILD 10
#define EAGAIN 11
#define ENOMEM 12
#define EACCES 13
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define EXDEV 18
#define ENODEV 19
#define ENOTDIR 20
#define EISDIR 21
#define EINVAL 22
#define ENFILE 23
#define EMFILE 24
#define ENOTTY 25
#define ETXTBSY 26
#define EFBIG 27
#define ENOSPC 28
#define ESPIPE 29
#define EROFS 30
#define EMLINK 31
#define EPIPE 32
#define EDOM 33
#define ERANGE 34
#define ENAMETOOLONG 36
#define ENOSYS 38
#define ENOTEMPTY 39
#define ELOOP 40

#endif
