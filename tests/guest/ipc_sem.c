/* System V semaphores: SETALL/GETALL/GETVAL/GETPID/IPC_STAT, atomic semop (all or nothing),
 * IPC_NOWAIT (EAGAIN), semtimedop's timeout (EAGAIN), waiters counted by GETNCNT and GETZCNT
 * and woken by the operations that let them go on, SEM_UNDO applied when a process exits,
 * IPC_RMID waking a waiter with EIDRM, a signal ending a wait with EINTR (never restarted),
 * ERANGE and EFBIG. Waits are arranged so the output never depends on timing: the parent polls
 * the waiter counts before acting. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define T(what, expr)                                                        \
  do {                                                                       \
    errno = 0;                                                               \
    long r_ = (long)(expr);                                                  \
    printf("%-44s %s\n", what, r_ == -1 ? strerror(errno) : "ok");           \
  } while (0)

union semun {
  int val;
  struct semid_ds *buf;
  unsigned short *array;
};

static int op1(int id, int num, int op, int flg) {
  struct sembuf b = {(unsigned short)num, (short)op, (short)flg};
  return semop(id, &b, 1);
}

static void vals(const char *when, int id, int n) {
  unsigned short v[8];
  union semun a = {.array = v};
  semctl(id, 0, GETALL, a);
  printf("  %-30s", when);
  for (int k = 0; k < n; k++) printf(" %d", v[k]);
  printf("\n");
}

static int status_of(pid_t pid) {
  int s;
  waitpid(pid, &s, 0);
  return WIFEXITED(s) ? WEXITSTATUS(s) : 128 + WTERMSIG(s);
}

/* Waits until `n` processes wait on counter `num` (GETNCNT, or GETZCNT with `zero`). */
static void await_waiters(int id, int num, int zero, int n) {
  while (semctl(id, num, zero ? GETZCNT : GETNCNT) != n) usleep(1000);
}

static void on_usr1(int s) { (void)s; }

/* /proc/sysvipc: the header of each file, and the row of each object made here, its fields
 * read back (the ids and times differ between runs; shm's widths between 32- and 64-bit
 * kernels) */
static void sysvipc_rows(void) {
  int q = msgget(IPC_PRIVATE, 0640), s = semget(IPC_PRIVATE, 3, 0600), m = shmget(IPC_PRIVATE, 10000, 0644);
  struct { long type; char text[8]; } msg = {1, "hello"};
  msgsnd(q, &msg, 5, 0);
  char *at = shmat(m, NULL, 0);
  at[0] = 1;
  const char *files[] = {"/proc/sysvipc/msg", "/proc/sysvipc/sem", "/proc/sysvipc/shm"};
  int want[] = {q, s, m};
  for (int k = 0; k < 3; k++) {
    FILE *f = fopen(files[k], "r");
    if (f == NULL) {
      printf("%s: %s\n", files[k], strerror(errno));
      continue;
    }
    char line[512];
    if (fgets(line, sizeof line, f) != NULL && k < 2) printf("%s", line);
    int found = 0;
    while (fgets(line, sizeof line, f) != NULL) {
      long v[20];
      int n = sscanf(line, "%ld %ld %lo %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10], &v[11], &v[12], &v[13], &v[14], &v[15]);
      if (n < 3 || v[1] != want[k]) continue;
      found = 1;
      if (k == 0) printf("msg row: key %ld perms %lo cbytes %ld qnum %ld lspid is me %d uid %ld, %d fields\n", v[0], v[2], v[3], v[4], v[5] == getpid(), v[7], n);
      if (k == 1) printf("sem row: key %ld perms %lo nsems %ld uid %ld, %d fields\n", v[0], v[2], v[3], v[4], n);
      if (k == 2) printf("shm row: key %ld perms %lo size %ld cpid is me %d nattch %ld rss %ld swap %ld, %d fields\n", v[0], v[2], v[3], v[4] == getpid(), v[6], v[14], v[15], n);
    }
    if (!found) printf("%s: no row for the object made\n", files[k]);
    fclose(f);
  }
  shmdt(at);
  msgctl(q, IPC_RMID, NULL);
  semctl(s, 0, IPC_RMID);
  shmctl(m, IPC_RMID, NULL);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int id = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
  unsigned short init[3] = {1, 0, 5};
  union semun a = {.array = init};
  T("SETALL 1 0 5", semctl(id, 0, SETALL, a));
  vals("values", id, 3);
  printf("  GETVAL 2 = %d, GETPID is me %d\n", semctl(id, 2, GETVAL), semctl(id, 0, GETPID) == getpid());
  struct semid_ds d;
  union semun sb = {.buf = &d};
  semctl(id, 0, IPC_STAT, sb);
  printf("  nsems %lu mode %04o otime %d ctime set %d\n", (unsigned long)d.sem_nsems, d.sem_perm.mode & 0777, d.sem_otime != 0, d.sem_ctime != 0);

  printf("atomic operations:\n");
  struct sembuf two[2] = {{0, -1, 0}, {1, -1, IPC_NOWAIT}};
  T("take 0 and 1 (1 is zero, IPC_NOWAIT)", semop(id, two, 2));
  vals("nothing was applied", id, 3);
  T("decrement zero with IPC_NOWAIT", op1(id, 1, -1, IPC_NOWAIT));
  T("wait for zero on 2 with IPC_NOWAIT", op1(id, 2, 0, IPC_NOWAIT));
  struct timespec ts = {0, 30 * 1000 * 1000};
  struct sembuf dec1 = {1, -1, 0};
  T("semtimedop 30 ms on zero", semtimedop(id, &dec1, 1, &ts));
  struct sembuf three[3] = {{0, -1, 0}, {2, 2, 0}, {1, 0, 0}};
  T("take 0, add 2 to 2, 1 is zero", semop(id, three, 3));
  vals("all applied", id, 3);
  semctl(id, 0, GETALL, a);
  d.sem_otime = 0;
  semctl(id, 0, IPC_STAT, sb);
  printf("  otime set %d\n", d.sem_otime != 0);

  printf("waiters:\n");
  pid_t c = fork();
  if (c == 0) {
    int r = op1(id, 1, -2, 0);
    printf("  child took 2 from counter 1: %d\n", r);
    _exit(3);
  }
  await_waiters(id, 1, 0, 1);
  printf("  GETNCNT 1 = %d, GETZCNT 1 = %d\n", semctl(id, 1, GETNCNT), semctl(id, 1, GETZCNT));
  op1(id, 1, 1, 0);
  usleep(20000);
  printf("  after adding 1: still waiting %d, value %d\n", semctl(id, 1, GETNCNT), semctl(id, 1, GETVAL));
  op1(id, 1, 1, 0);
  printf("  child status %d\n", status_of(c));
  vals("values", id, 3);
  printf("  GETPID of 1 is the child %d\n", semctl(id, 1, GETPID) == c);
  c = fork();
  if (c == 0) {
    int r = op1(id, 2, 0, 0);
    printf("  child saw counter 2 reach zero: %d\n", r);
    _exit(4);
  }
  await_waiters(id, 2, 1, 1);
  printf("  GETZCNT 2 = %d\n", semctl(id, 2, GETZCNT));
  struct sembuf drain = {2, (short)-semctl(id, 2, GETVAL), 0};
  semop(id, &drain, 1);
  printf("  child status %d\n", status_of(c));

  printf("SEM_UNDO:\n");
  union semun five = {.val = 5};
  semctl(id, 2, SETVAL, five);
  c = fork();
  if (c == 0) {
    op1(id, 2, -2, SEM_UNDO);
    op1(id, 2, 3, SEM_UNDO);
    op1(id, 2, -1, 0);
    printf("  in the child: %d\n", semctl(id, 2, GETVAL));
    _exit(0);
  }
  status_of(c);
  int v2 = semctl(id, 2, GETVAL);
  printf("  after the child exited: %d (its undoable changes undone), GETPID is the child %d\n", v2, semctl(id, 2, GETPID) == c);
  c = fork();
  if (c == 0) {
    op1(id, 2, -4, SEM_UNDO);
    union semun v = {.val = 1};
    semctl(id, 2, SETVAL, v); /* SETVAL clears the adjustment */
    _exit(0);
  }
  status_of(c);
  printf("  SETVAL in the child cleared its adjustment: %d\n", semctl(id, 2, GETVAL));
  c = fork();
  if (c == 0) {
    op1(id, 2, 10, SEM_UNDO);
    _exit(0);
  }
  /* the child's +10 is undone, but the value cannot go below zero */
  status_of(c);
  union semun zero = {.val = 0};
  semctl(id, 2, SETVAL, zero);
  c = fork();
  if (c == 0) {
    op1(id, 2, 4, SEM_UNDO);
    op1(id, 2, -4, 0);
    _exit(0);
  }
  status_of(c);
  printf("  undo clamps at zero: %d\n", semctl(id, 2, GETVAL));
  /* a waiter woken by an exit's undo */
  semctl(id, 0, SETVAL, zero);
  pid_t holder = fork();
  if (holder == 0) {
    op1(id, 0, 1, SEM_UNDO);
    /* wait for the other child to wait for zero, then exit (undoing the +1) */
    await_waiters(id, 0, 1, 1);
    _exit(0);
  }
  while (semctl(id, 0, GETVAL) != 1) usleep(1000);
  c = fork();
  if (c == 0) {
    op1(id, 0, 0, 0);
    _exit(0);
  }
  int hs = status_of(holder);
  printf("  holder status %d, zero-waiter status %d\n", hs, status_of(c));

  printf("signals and removal:\n");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &sa, NULL);
  semctl(id, 1, SETVAL, zero);
  c = fork();
  if (c == 0) {
    int r = op1(id, 1, -1, 0);
    printf("  child's semop after SIGUSR1 (SA_RESTART): %d %s\n", r, strerror(errno));
    _exit(5);
  }
  await_waiters(id, 1, 0, 1);
  kill(c, SIGUSR1);
  int st = status_of(c);
  printf("  child status %d, waiters left %d\n", st, semctl(id, 1, GETNCNT));
  c = fork();
  if (c == 0) {
    struct timespec longer = {30, 0};
    struct sembuf b = {1, -1, 0};
    int r = semtimedop(id, &b, 1, &longer);
    _exit(r == -1 && errno == EIDRM ? 6 : 7); /* status 6: EIDRM */
  }
  await_waiters(id, 1, 0, 1);
  T("IPC_RMID", semctl(id, 0, IPC_RMID));
  st = status_of(c);
  printf("  child's semop when the set was removed: %s\n", st == 6 ? "EIDRM" : "something else");
  T("GETVAL of the removed set", semctl(id, 0, GETVAL));
  T("semop on the removed set", op1(id, 0, 1, 0));

  printf("errors:\n");
  id = semget(IPC_PRIVATE, 2, 0600);
  union semun big = {.val = 40000};
  T("SETVAL 40000", semctl(id, 0, SETVAL, big));
  union semun max = {.val = 32767};
  T("SETVAL 32767", semctl(id, 0, SETVAL, max));
  T("add 1 to 32767", op1(id, 0, 1, 0));
  T("counter 2 of 2", op1(id, 2, 1, 0));
  T("GETVAL counter 5", semctl(id, 5, GETVAL));
  T("semop with no operations", semop(id, two, 0));
  T("semget 0 counters", semget(IPC_PRIVATE, 0, 0600));
  T("semget -1 counters", semget(IPC_PRIVATE, -1, 0600));
  key_t key = 0x5e500000 | (getpid() & 0xffff);
  int k = semget(key, 2, IPC_CREAT | 0600);
  T("semget the key with more counters", semget(key, 3, 0600));
  T("semget the key with fewer", semget(key, 1, 0600));
  T("semctl unknown command", semctl(id, 0, 99));
  T("semop bad id", op1(-1, 0, 1, 0));
  semctl(k, 0, IPC_RMID);
  /* a waiter killed while it waits takes nothing any more: the next increment is there for
   * whoever comes after (Linux drops a dying task's queued operations) */
  {
    int d = semget(IPC_PRIVATE, 1, 0600);
    pid_t w = fork();
    if (w == 0) {
      op1(d, 0, -1, 0);
      _exit(0);
    }
    while (semctl(d, 0, GETNCNT) != 1) usleep(1000);
    kill(w, SIGKILL);
    waitpid(w, NULL, 0);
    printf("waiting after the waiter was killed: %d\n", semctl(d, 0, GETNCNT));
    op1(d, 0, 1, 0);
    printf("value after an increment: %d\n", semctl(d, 0, GETVAL));
    semctl(d, 0, IPC_RMID);
  }
  semctl(id, 0, IPC_RMID);
  sysvipc_rows();
  return 0;
}
