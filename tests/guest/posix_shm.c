/* POSIX shared memory across processes: shm_open makes an object in /dev/shm (a tmpfs),
 * ftruncate sizes it, MAP_SHARED mappings in a parent, its forked child and a process that
 * opens the object by name see each other's writes (the same pages), a MAP_PRIVATE mapping
 * keeps its own copy once written, a named semaphore (sem_open: also a /dev/shm file) and a
 * process-shared mutex in the object synchronise the processes, and shm_unlink removes the
 * name while mappings live on. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define T(what, expr)                                                        \
  do {                                                                       \
    errno = 0;                                                               \
    long r_ = (long)(expr);                                                  \
    printf("%-44s %s\n", what, r_ == -1 ? strerror(errno) : "ok");           \
  } while (0)

#define TMPFS_MAGIC 0x01021994
#define SIZE (3 * 4096)

struct shared {
  pthread_mutex_t lock;
  int counter;
  char text[64];
};

static int status_of(pid_t pid) {
  int s;
  waitpid(pid, &s, 0);
  return WIFEXITED(s) ? WEXITSTATUS(s) : 128 + WTERMSIG(s);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  char name[64], semname[64];
  if (argc > 2 && strcmp(argv[1], "opener") == 0) {
    /* a process unrelated by memory: it finds the object by name */
    int fd = shm_open(argv[2], O_RDWR, 0);
    char *p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("  the opener reads '%s' and '%s'\n", ((struct shared *)p)->text, p + 2 * 4096);
    strcpy(p + 2 * 4096, "written by the opener");
    return 5;
  }
  snprintf(name, sizeof name, "/exojit-shm-%d", (int)getpid());
  snprintf(semname, sizeof semname, "/exojit-sem-%d", (int)getpid());
  struct statfs sf;
  T("statfs /dev/shm", statfs("/dev/shm", &sf));
  printf("  /dev/shm is a tmpfs %d\n", sf.f_type == TMPFS_MAGIC);
  int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
  printf("shm_open made it %d\n", fd >= 0);
  T("shm_open O_EXCL again", shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600));
  T("ftruncate to three pages", ftruncate(fd, SIZE));
  struct stat st;
  fstat(fd, &st);
  printf("  size %lld mode %04o\n", (long long)st.st_size, st.st_mode & 07777);
  char path[128];
  snprintf(path, sizeof path, "/dev/shm%s", name);
  T("it is a file in /dev/shm", stat(path, &st));
  struct shared *s = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  char *bytes = (char *)s;
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
  pthread_mutex_init(&s->lock, &ma);
  strcpy(s->text, "from the parent");
  strcpy(bytes + 2 * 4096, "third page");
  char *priv = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  printf("  a private mapping reads '%s'\n", priv + 2 * 4096);
  strcpy(priv + 2 * 4096, "private copy");

  printf("across fork:\n");
  sem_t *sem = sem_open(semname, O_CREAT | O_EXCL, 0600, 0);
  printf("  sem_open made a semaphore %d\n", sem != SEM_FAILED);
  enum { KIDS = 3, ROUNDS = 2000 };
  pid_t kids[KIDS];
  for (int k = 0; k < KIDS; k++) {
    kids[k] = fork();
    if (kids[k] == 0) {
      for (int r = 0; r < ROUNDS; r++) {
        pthread_mutex_lock(&s->lock);
        s->counter++;
        pthread_mutex_unlock(&s->lock);
      }
      sem_post(sem);
      _exit(0);
    }
  }
  for (int k = 0; k < KIDS; k++) sem_wait(sem);
  printf("  counter after %d children added %d each under the shared mutex: %d\n", KIDS, ROUNDS, s->counter);
  for (int k = 0; k < KIDS; k++) status_of(kids[k]);
  pid_t c = fork();
  if (c == 0) {
    printf("  the child reads '%s'\n", s->text);
    strcpy(s->text, "from the child");
    _exit(0);
  }
  status_of(c);
  printf("  the parent reads '%s'\n", s->text);
  printf("  the private mapping still reads '%s'\n", priv + 2 * 4096);

  printf("by name:\n");
  c = fork();
  if (c == 0) {
    execl(argv[0], argv[0], "opener", name, (char *)NULL);
    _exit(99);
  }
  int code = status_of(c);
  printf("  opener status %d; the parent reads '%s'\n", code, bytes + 2 * 4096);
  char buf[32] = {0};
  pread(fd, buf, sizeof buf - 1, 2 * 4096);
  printf("  read() sees '%s'\n", buf);
  pwrite(fd, "by pwrite", 10, 2 * 4096);
  printf("  the mapping sees pwrite's '%s'\n", bytes + 2 * 4096);

  printf("unlink:\n");
  T("shm_unlink", shm_unlink(name));
  T("shm_open after unlink", shm_open(name, O_RDWR, 0));
  T("shm_unlink again", shm_unlink(name));
  printf("  the mapping lives on: '%s'\n", s->text);
  T("sem_unlink", sem_unlink(semname));
  T("sem_close", sem_close(sem));
  T("munmap", munmap(s, SIZE));
  close(fd);
  return 0;
}
