/* System V shared memory between processes: a producer and a consumer share a ring buffer in a
 * segment, synchronised by a semaphore set (empty slots, full slots, a lock); segment state
 * through IPC_STAT (size, attach counts, creator, mode) across attach, fork, detach, exec and
 * exit; IPC_RMID while attached (SHM_DEST, the key goes private, the last detach destroys it);
 * SHM_RDONLY (a write faults, mprotect cannot make it writable), SHM_RND, attaching at a given
 * address and SHM_REMAP; the errors of each call. Prints only what is the same on any run. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#define T(what, expr)                                                        \
  do {                                                                       \
    errno = 0;                                                               \
    long r_ = (long)(expr);                                                  \
    printf("%-48s %s\n", what, r_ == -1 ? strerror(errno) : "ok");           \
  } while (0)

union semun {
  int val;
  struct semid_ds *buf;
  unsigned short *array;
};

static int sem_add(int id, int num, int op) {
  struct sembuf b = {(unsigned short)num, (short)op, 0};
  return semop(id, &b, 1);
}

static struct shmid_ds st(int id) {
  struct shmid_ds d;
  memset(&d, 0, sizeof d);
  if (shmctl(id, IPC_STAT, &d) != 0) printf("  IPC_STAT: %s\n", strerror(errno));
  return d;
}

static void show(const char *when, int id) {
  struct shmid_ds d = st(id);
  printf("  %-26s size %lu nattch %lu mode %04o dest %d cpid-is-me %d\n", when, (unsigned long)d.shm_segsz, (unsigned long)d.shm_nattch,
         d.shm_perm.mode & 0777, (d.shm_perm.mode & SHM_DEST) != 0, d.shm_cpid == getpid());
}

static int status_of(pid_t pid) {
  int s;
  waitpid(pid, &s, 0);
  return WIFEXITED(s) ? WEXITSTATUS(s) : 128 + WTERMSIG(s);
}

#define SLOTS 8
#define ITEMS 2000
struct ring {
  int head, tail;
  int slot[SLOTS];
  unsigned result;
};

static void producer_consumer(void) {
  printf("producer and consumer:\n");
  int shm = shmget(IPC_PRIVATE, sizeof(struct ring), IPC_CREAT | 0600);
  int sem = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
  unsigned short init[3] = {SLOTS, 0, 1}; /* empty, full, lock */
  union semun a = {.array = init};
  T("semctl SETALL", semctl(sem, 0, SETALL, a));
  struct ring *r = shmat(shm, NULL, 0);
  memset(r, 0, sizeof *r);
  pid_t c = fork();
  if (c == 0) {
    unsigned sum = 0;
    for (int k = 0; k < ITEMS; k++) {
      sem_add(sem, 1, -1);
      sem_add(sem, 2, -1);
      sum = sum * 31 + (unsigned)r->slot[r->tail];
      r->tail = (r->tail + 1) % SLOTS;
      sem_add(sem, 2, 1);
      sem_add(sem, 0, 1);
    }
    r->result = sum;
    _exit(0);
  }
  unsigned expect = 0;
  for (int k = 0; k < ITEMS; k++) {
    int v = k * 7 + 3;
    expect = expect * 31 + (unsigned)v;
    sem_add(sem, 0, -1);
    sem_add(sem, 2, -1);
    r->slot[r->head] = v;
    r->head = (r->head + 1) % SLOTS;
    sem_add(sem, 2, 1);
    sem_add(sem, 1, 1);
  }
  int status = status_of(c);
  printf("  consumer status %d, checksum matches %d\n", status, r->result == expect);
  printf("  empty slots %d, full slots %d\n", semctl(sem, 0, GETVAL), semctl(sem, 1, GETVAL));
  shmdt(r);
  shmctl(shm, IPC_RMID, NULL);
  semctl(sem, 0, IPC_RMID);
}

static void lifecycle(const char *self) {
  printf("attachments:\n");
  int id = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0640);
  show("created", id);
  char *p = shmat(id, NULL, 0);
  printf("  attached page-aligned %d\n", ((unsigned long)p & 4095) == 0);
  show("attached", id);
  strcpy(p, "written by the parent");
  p[9999] = 'z';
  struct shmid_ds d = st(id);
  printf("  lpid is me %d, atime set %d\n", d.shm_lpid == getpid(), d.shm_atime != 0);
  pid_t c = fork();
  if (c == 0) {
    show("in the forked child", id);
    char *q = shmat(id, NULL, SHM_RDONLY);
    printf("  child sees '%s' and '%c' through a second attachment\n", q, q[9999]);
    show("child attached twice", id);
    shmdt(q);
    strcpy(p, "written by the child");
    _exit(0);
  }
  printf("  child status %d\n", status_of(c));
  printf("  parent reads '%s'\n", p);
  show("child exited", id);
  c = fork();
  if (c == 0) {
    char idarg[16];
    snprintf(idarg, sizeof idarg, "%d", id);
    execl(self, self, "nattch", idarg, (char *)NULL);
    _exit(99);
  }
  printf("  exec'd child status %d\n", status_of(c));
  T("shmdt", shmdt(p));
  show("detached", id);
  T("shmdt again", shmdt(p));
  T("shmdt of an address not page-aligned", shmdt(p + 1));

  printf("removal while attached:\n");
  key_t key = 0x5e000000 | (getpid() & 0xffff);
  int k = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
  T("shmget the key again", shmget(key, 4096, 0600));
  T("shmget IPC_CREAT|IPC_EXCL", shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600));
  T("shmget a larger size", shmget(key, 8192, 0600));
  char *a = shmat(k, NULL, 0);
  char *b = shmat(k, NULL, 0);
  a[0] = 'x';
  printf("  two attachments share the page: %c\n", b[0]);
  show("attached twice", k);
  T("IPC_RMID", shmctl(k, IPC_RMID, NULL));
  d = st(k);
  printf("  key now private %d, dest %d, nattch %lu\n", d.shm_perm.__key == IPC_PRIVATE, (d.shm_perm.mode & SHM_DEST) != 0, (unsigned long)d.shm_nattch);
  T("shmget the old key", shmget(key, 4096, 0600));
  T("shmdt one", shmdt(a));
  T("IPC_STAT with one attachment left", shmctl(k, IPC_STAT, &d));
  T("shmdt the last", shmdt(b));
  T("IPC_STAT after the last detach", shmctl(k, IPC_STAT, &d));
  T("shmat of the destroyed id", (long)shmat(k, NULL, 0));
  shmctl(id, IPC_RMID, NULL);
}

static void flags(void) {
  printf("attach flags:\n");
  int id = shmget(IPC_PRIVATE, 3 * 4096, IPC_CREAT | 0600);
  char *w = shmat(id, NULL, 0);
  strcpy(w, "shared");
  char *ro = shmat(id, NULL, SHM_RDONLY);
  printf("  read-only attachment reads '%s'\n", ro);
  T("mprotect it writable", mprotect(ro, 4096, PROT_READ | PROT_WRITE));
  T("mprotect it read-only (allowed)", mprotect(ro, 4096, PROT_READ));
  pid_t c = fork();
  if (c == 0) {
    ro[0] = 'X';
    _exit(0);
  }
  printf("  child writing to it: status %d\n", status_of(c));
  shmdt(ro);
  /* a free range: map three pages and give them back */
  char *hole = mmap(NULL, 3 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(hole, 3 * 4096);
  char *at = shmat(id, hole, 0);
  printf("  attached at the given address %d, reads '%s'\n", at == hole, at);
  T("attach over it without SHM_REMAP", (long)shmat(id, hole, 0));
  char *re = shmat(id, hole, SHM_REMAP);
  printf("  SHM_REMAP over it: same address %d\n", re == hole);
  show("after remap", id);
  T("misaligned address", (long)shmat(id, hole + 123, 0));
  shmdt(hole);
  char *rnd = shmat(id, hole + 123, SHM_RND);
  printf("  SHM_RND rounds down %d\n", rnd == hole);
  shmdt(rnd);
  T("SHM_REMAP without an address", (long)shmat(id, NULL, SHM_REMAP));
  show("all detached", id);
  shmdt(w);
  shmctl(id, IPC_RMID, NULL);
}

static void errors(void) {
  printf("errors:\n");
  T("shmget size 0", shmget(IPC_PRIVATE, 0, 0600));
  T("shmget a missing key", shmget(0x5e7f0000 | (getpid() & 0xffff), 4096, 0600));
  T("shmat bad id", (long)shmat(-1, NULL, 0));
  T("shmat unused id", (long)shmat(0x7ff0, NULL, 0));
  struct shmid_ds d;
  T("shmctl IPC_STAT bad id", shmctl(-1, IPC_STAT, &d));
  int id = shmget(IPC_PRIVATE, 4096, 0600);
  T("shmctl unknown command", shmctl(id, 99, &d));
  d = st(id);
  d.shm_perm.mode = 0604;
  T("IPC_SET mode 0604", shmctl(id, IPC_SET, &d));
  printf("  mode now %04o\n", st(id).shm_perm.mode & 0777);
  struct shminfo si;
  printf("  IPC_INFO returns an index %d\n", shmctl(0, IPC_INFO, (struct shmid_ds *)&si) >= 0);
  struct shm_info in;
  printf("  SHM_INFO counts it %d\n", shmctl(0, SHM_INFO, (struct shmid_ds *)&in) >= 0 && in.used_ids >= 1);
  shmctl(id, IPC_RMID, NULL);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 2 && strcmp(argv[1], "nattch") == 0) {
    struct shmid_ds d;
    shmctl(atoi(argv[2]), IPC_STAT, &d);
    printf("  after exec the child is detached: nattch %lu\n", (unsigned long)d.shm_nattch);
    return 7;
  }
  producer_consumer();
  lifecycle(argv[0]);
  flags();
  errors();
  return 0;
}
