/* File locks and concurrent writers between processes, in an empty working directory: fcntl
 * record locks (conflicts, shared read locks, split ranges, F_GETLK's answer, F_SETLKW waiting
 * and being woken, release by closing any fd of the file, no inheritance by fork, EDEADLK),
 * open-description locks, flock (conflicts, sharing through a dup'ed or inherited fd,
 * independence from fcntl locks), O_APPEND writers in two processes, O_CREAT|O_EXCL races,
 * and fsync/fdatasync/sync/syncfs. Output is unbuffered, and ordered by the locks themselves. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t parent;

static void report(const char *what, long r) { printf("%-46s %s\n", what, r < 0 ? strerror(errno) : "ok"); }
#define T(what, expr)           \
  do {                          \
    errno = 0;                  \
    report(what, (long)(expr)); \
  } while (0)

static int lk(int fd, int cmd, short type, off_t start, off_t len) {
  struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
  return fcntl(fd, cmd, &fl);
}

static void getlk(const char *what, int fd, short type, off_t start, off_t len) {
  struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
  if (fcntl(fd, F_GETLK, &fl) != 0) {
    printf("%-46s %s\n", what, strerror(errno));
    return;
  }
  const char *t = fl.l_type == F_UNLCK ? "unlocked" : fl.l_type == F_WRLCK ? "write" : "read";
  if (fl.l_type == F_UNLCK) printf("%-46s %s\n", what, t);
  else printf("%-46s %s [%ld, +%ld) held by %s\n", what, t, (long)fl.l_start, (long)fl.l_len, fl.l_pid == parent ? "the parent" : fl.l_pid == getpid() ? "us" : "someone else");
}

static void wait_child(pid_t c) {
  int st;
  waitpid(c, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) printf("child ended with status 0x%x\n", st);
}

/* Waits until process `pid` sleeps (blocked in a system call), as /proc says. */
static void until_sleeping(pid_t pid) {
  char path[64], buf[256];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  for (int k = 0; k < 2000; k++) {
    int fd = open(path, O_RDONLY);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n > 0) {
      buf[n] = 0;
      char *p = strrchr(buf, ')');
      if (p != NULL && p[2] == 'S') {
        usleep(20000);
        return;
      }
    }
    usleep(5000);
  }
  printf("process %d never slept\n", (int)pid);
}

static int open_data(void) { return open("data", O_RDWR); }

static void record_locks(void) {
  int fd = open("data", O_RDWR | O_CREAT | O_TRUNC, 0644);
  char block[100];
  memset(block, 'x', sizeof block);
  write(fd, block, sizeof block);
  T("parent: write-lock [0, 10)", lk(fd, F_SETLK, F_WRLCK, 0, 10));
  T("parent: relock [0, 10) (own lock)", lk(fd, F_SETLK, F_WRLCK, 0, 10));
  getlk("parent: F_GETLK of its own range", fd, F_WRLCK, 0, 10);
  pid_t c = fork();
  if (c == 0) {
    int f = open_data();
    getlk("child: F_GETLK [0, 100)", f, F_WRLCK, 0, 100);
    T("child: write-lock [5, 10)", lk(f, F_SETLK, F_WRLCK, 5, 5));
    T("child: read-lock [5, 10)", lk(f, F_SETLK, F_RDLCK, 5, 5));
    T("child: write-lock [10, 20)", lk(f, F_SETLK, F_WRLCK, 10, 10));
    _exit(0);
  }
  wait_child(c);
  getlk("parent: after the child exited, [10, 20)", fd, F_WRLCK, 10, 10);
  T("parent: unlock everything", lk(fd, F_SETLK, F_UNLCK, 0, 0));

  /* shared read locks */
  T("parent: read-lock [0, EOF)", lk(fd, F_SETLK, F_RDLCK, 0, 0));
  if ((c = fork()) == 0) {
    int f = open_data();
    T("child: read-lock [50, 60)", lk(f, F_SETLK, F_RDLCK, 50, 10));
    T("child: write-lock [50, 60)", lk(f, F_SETLK, F_WRLCK, 50, 10));
    getlk("child: F_GETLK write [0, 1)", f, F_WRLCK, 0, 1);
    getlk("child: F_GETLK read [0, 1)", f, F_RDLCK, 0, 1);
    _exit(0);
  }
  wait_child(c);
  lk(fd, F_SETLK, F_UNLCK, 0, 0);

  /* a range split by an unlock in its middle */
  lk(fd, F_SETLK, F_WRLCK, 0, 100);
  T("parent: unlock [40, 60) of [0, 100)", lk(fd, F_SETLK, F_UNLCK, 40, 20));
  if ((c = fork()) == 0) {
    int f = open_data();
    getlk("child: F_GETLK at 50", f, F_WRLCK, 50, 1);
    getlk("child: F_GETLK at 30", f, F_WRLCK, 30, 1);
    getlk("child: F_GETLK at 70", f, F_WRLCK, 70, 1);
    getlk("child: F_GETLK [45, EOF)", f, F_WRLCK, 45, 0);
    _exit(0);
  }
  wait_child(c);
  lk(fd, F_SETLK, F_UNLCK, 0, 0);

  /* F_SETLKW waits until the holder lets go */
  lk(fd, F_SETLK, F_WRLCK, 0, 1);
  if ((c = fork()) == 0) {
    int f = open_data();
    T("child: F_SETLK [0, 1) while the parent holds it", lk(f, F_SETLK, F_WRLCK, 0, 1));
    T("child: F_SETLKW [0, 1)", lk(f, F_SETLKW, F_WRLCK, 0, 1));
    printf("child: got the lock the parent released\n");
    _exit(0);
  }
  until_sleeping(c);
  printf("parent: the child waits; unlocking\n");
  lk(fd, F_SETLK, F_UNLCK, 0, 1);
  wait_child(c);

  /* closing any fd of the file releases the process's locks */
  lk(fd, F_SETLK, F_WRLCK, 0, 10);
  int other = open_data();
  close(other);
  if ((c = fork()) == 0) {
    int f = open_data();
    T("child: lock after the parent closed another fd", lk(f, F_SETLK, F_WRLCK, 0, 10));
    _exit(0);
  }
  wait_child(c);

  /* locks are not inherited by fork */
  lk(fd, F_SETLK, F_WRLCK, 0, 10);
  if ((c = fork()) == 0) {
    getlk("child: F_GETLK through the inherited fd", fd, F_WRLCK, 0, 10);
    T("child: lock through the inherited fd", lk(fd, F_SETLK, F_WRLCK, 0, 10));
    _exit(0);
  }
  wait_child(c);
  lk(fd, F_SETLK, F_UNLCK, 0, 0);

  /* a cycle of waiters: EDEADLK for whoever would close it */
  int go[2];
  pipe(go);
  lk(fd, F_SETLK, F_WRLCK, 0, 1);
  if ((c = fork()) == 0) {
    int f = open_data();
    lk(f, F_SETLK, F_WRLCK, 1, 1);
    write(go[1], "g", 1);
    until_sleeping(parent);
    T("child: F_SETLKW [0, 1) (the parent waits for us)", lk(f, F_SETLKW, F_WRLCK, 0, 1));
    _exit(0);
  }
  char ch;
  read(go[0], &ch, 1);
  T("parent: F_SETLKW [1, 2) held by the child", lk(fd, F_SETLKW, F_WRLCK, 1, 1));
  wait_child(c);
  lk(fd, F_SETLK, F_UNLCK, 0, 0);

  /* argument checks */
  int ro = open("data", O_RDONLY);
  T("write-lock on a read-only fd", lk(ro, F_SETLK, F_WRLCK, 0, 1));
  T("read-lock on a read-only fd", lk(ro, F_SETLK, F_RDLCK, 0, 1));
  T("lock type 7", lk(ro, F_SETLK, 7, 0, 1));
  struct flock bad = {.l_type = F_RDLCK, .l_whence = SEEK_END, .l_start = -200, .l_len = 1};
  T("a range before the start of the file", fcntl(ro, F_SETLK, &bad));
  struct flock back = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 20, .l_len = -10};
  T("a negative length: [10, 20)", fcntl(ro, F_SETLK, &back));
  if ((c = fork()) == 0) {
    int f = open_data();
    getlk("child: F_GETLK [0, EOF)", f, F_WRLCK, 0, 0);
    _exit(0);
  }
  wait_child(c);
  close(ro);
  close(fd);
}

static void ofd_locks(void) {
  int a = open_data(), b = open_data();
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
  T("OFD lock on the first description", fcntl(a, F_OFD_SETLK, &fl));
  T("OFD lock on a second description", fcntl(b, F_OFD_SETLK, &fl));
  struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
  fcntl(b, F_OFD_GETLK, &q);
  printf("%-46s type %s pid %d\n", "OFD F_GETLK from the second", q.l_type == F_WRLCK ? "write" : "other", q.l_pid);
  struct flock nonzero = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1, .l_pid = 5};
  T("OFD lock with l_pid set", fcntl(b, F_OFD_SETLK, &nonzero));
  close(a);
  T("OFD lock once the first is closed", fcntl(b, F_OFD_SETLK, &fl));
  close(b);
}

static void flocks(void) {
  int fd = open_data();
  T("flock LOCK_EX", flock(fd, LOCK_EX));
  int d = dup(fd);
  T("flock LOCK_EX through a dup (same description)", flock(d, LOCK_EX | LOCK_NB));
  pid_t c = fork();
  if (c == 0) {
    int f = open_data();
    T("child: flock LOCK_EX|LOCK_NB", flock(f, LOCK_EX | LOCK_NB));
    T("child: flock LOCK_SH|LOCK_NB", flock(f, LOCK_SH | LOCK_NB));
    T("child: flock through the inherited fd", flock(fd, LOCK_EX | LOCK_NB));
    T("child: fcntl lock while flocked", lk(f, F_SETLK, F_WRLCK, 0, 0));
    T("child: flock with a bad operation", flock(f, 0));
    _exit(0);
  }
  wait_child(c);
  close(d);
  if ((c = fork()) == 0) {
    int f = open_data();
    T("child: flock while one fd still holds it", flock(f, LOCK_SH | LOCK_NB));
    _exit(0);
  }
  wait_child(c);
  T("flock LOCK_SH (downgrade)", flock(fd, LOCK_SH));
  if ((c = fork()) == 0) {
    int f = open_data();
    T("child: flock LOCK_SH|LOCK_NB beside a shared one", flock(f, LOCK_SH | LOCK_NB));
    T("child: flock LOCK_EX|LOCK_NB beside a shared one", flock(f, LOCK_EX | LOCK_NB));
    _exit(0);
  }
  wait_child(c);
  close(fd);
  if ((c = fork()) == 0) {
    int f = open_data();
    T("child: flock LOCK_EX after the last close", flock(f, LOCK_EX | LOCK_NB));
    _exit(0);
  }
  wait_child(c);
}

#define RECORDS 400
static void appenders(void) {
  pid_t kids[2];
  for (int k = 0; k < 2; k++) {
    if ((kids[k] = fork()) == 0) {
      int f = open("log", O_WRONLY | O_APPEND | O_CREAT, 0644);
      char rec[16];
      for (int i = 0; i < RECORDS; i++) {
        snprintf(rec, sizeof rec, "%c%04d-----\n", 'A' + k, i);
        write(f, rec, 11);
      }
      _exit(0);
    }
  }
  for (int k = 0; k < 2; k++) wait_child(kids[k]);
  FILE *f = fopen("log", "r");
  char line[64];
  int good[2] = {0, 0}, bad = 0, next[2] = {0, 0};
  while (fgets(line, sizeof line, f) != NULL) {
    int who = line[0] - 'A', n;
    if ((who == 0 || who == 1) && strlen(line) == 11 && sscanf(line + 1, "%4d", &n) == 1 && n == next[who]) {
      good[who]++;
      next[who]++;
    } else {
      bad++;
    }
  }
  fclose(f);
  struct stat st;
  stat("log", &st);
  printf("O_APPEND from two processes: size %ld, %d + %d records in order, %d damaged\n", (long)st.st_size, good[0], good[1], bad);
}

#define RACERS 6
static void excl_race(void) {
  int gate[2];
  pipe(gate);
  pid_t kids[RACERS];
  for (int k = 0; k < RACERS; k++) {
    if ((kids[k] = fork()) == 0) {
      char c;
      close(gate[1]);
      read(gate[0], &c, 1);
      int fd = open("excl", O_WRONLY | O_CREAT | O_EXCL, 0644);
      _exit(fd >= 0 ? 0 : errno == EEXIST ? 1 : 2);
    }
  }
  close(gate[0]);
  close(gate[1]);
  int won = 0, lost = 0, other = 0;
  for (int k = 0; k < RACERS; k++) {
    int st;
    waitpid(kids[k], &st, 0);
    int code = WEXITSTATUS(st);
    if (code == 0) won++;
    else if (code == 1) lost++;
    else other++;
  }
  printf("O_CREAT|O_EXCL race of %d: %d created, %d EEXIST, %d other\n", RACERS, won, lost, other);
}

static void syncing(void) {
  int fd = open_data();
  int p[2];
  pipe(p);
  int dir = open(".", O_RDONLY | O_DIRECTORY);
  T("fsync a file", fsync(fd));
  T("fdatasync a file", fdatasync(fd));
  T("fsync a directory", fsync(dir));
  T("fsync a pipe", fsync(p[0]));
  T("fsync /dev/null", fsync(open("/dev/null", O_WRONLY)));
  T("syncfs", syncfs(fd));
  sync();
  printf("sync done\n");
  T("fsync a bad fd", fsync(999));
  close(fd);
  close(dir);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  parent = getpid();
  record_locks();
  ofd_locks();
  flocks();
  appenders();
  excl_race();
  syncing();
  return 0;
}
