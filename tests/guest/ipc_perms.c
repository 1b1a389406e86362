/* IPC permissions as POSIX gives them to an unprivileged user: root makes shared memory,
 * semaphores, message queues, a POSIX message queue and a POSIX shared memory object with
 * various modes; a child drops to uid/gid 1000 and tries what the mode bits allow and refuse
 * (attach read-only or read-write, read or set a semaphore, send or receive, a get call asking
 * for more than it is granted, IPC_STAT, IPC_SET and IPC_RMID by someone who neither owns nor
 * created the object, and after root gives it away); then the scheduling and limit rules for
 * an unprivileged user (nice, setpriority of its own and of root's processes, raising a hard
 * limit). Needs root; prints only what is the same on any Linux run by root. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define T(what, expr)                                                        \
  do {                                                                       \
    errno = 0;                                                               \
    long r_ = (long)(expr);                                                  \
    printf("%-52s %s\n", what, r_ == -1 ? strerror(errno) : "ok");           \
  } while (0)

union semun {
  int val;
  struct semid_ds *buf;
  unsigned short *array;
};

struct msg {
  long type;
  char text[16];
};

static int shm_priv, shm_ro, shm_rw, shm_key, shm_key2, sem_priv, sem_rw, msg_w, msg_r;
static key_t key;
static char mq_name[64], shm_name[64];

static long attach(int id, int flg) {
  void *p = shmat(id, NULL, flg);
  if (p == (void *)-1) return -1;
  shmdt(p);
  return 0;
}

static void as_user(void) {
  printf("as uid 1000:\n");
  struct msg m = {1, "hello"};
  T("shmat 0600 read-only", attach(shm_priv, SHM_RDONLY));
  T("shmat 0644 read-only", attach(shm_ro, SHM_RDONLY));
  T("shmat 0644 read-write", attach(shm_ro, 0));
  T("shmat 0666 read-write", attach(shm_rw, 0));
  T("shmget root's key (0644 object) asking 0600", shmget(key + 1, 4096, 0600));
  T("shmget root's key (0644 object) asking 0400", shmget(key + 1, 4096, 0400));
  T("shmget root's key (0644 object) asking 0002", shmget(key + 1, 4096, 0002));
  T("shmget the key given away asking 0600", shmget(key, 4096, 0600));
  struct shmid_ds sd;
  T("IPC_STAT of 0600", shmctl(shm_priv, IPC_STAT, &sd));
  T("IPC_STAT of 0644", shmctl(shm_ro, IPC_STAT, &sd));
  sd.shm_perm.mode = 0666;
  T("IPC_SET of root's 0644", shmctl(shm_ro, IPC_SET, &sd));
  T("IPC_RMID of root's 0666", shmctl(shm_rw, IPC_RMID, NULL));
  T("IPC_RMID of the one root gave away", shmctl(shm_key, IPC_RMID, NULL));
  union semun one = {.val = 1};
  T("GETVAL 0600", semctl(sem_priv, 0, GETVAL));
  T("SETVAL 0600", semctl(sem_priv, 0, SETVAL, one));
  T("GETVAL 0664 (group)", semctl(sem_rw, 0, GETVAL));
  T("SETVAL 0664 (group)", semctl(sem_rw, 0, SETVAL, one));
  struct sembuf b = {0, 0, IPC_NOWAIT};
  T("semop wait-for-zero on 0606 (read)", semop(sem_rw, &b, 1));
  T("IPC_RMID of root's set", semctl(sem_rw, 0, IPC_RMID));
  T("msgsnd to 0602", msgsnd(msg_w, &m, 6, IPC_NOWAIT));
  T("msgrcv from 0602", msgrcv(msg_w, &m, sizeof m.text, 0, IPC_NOWAIT));
  T("msgsnd to 0604", msgsnd(msg_r, &m, 6, IPC_NOWAIT));
  T("msgrcv from 0604", msgrcv(msg_r, &m, sizeof m.text, 0, IPC_NOWAIT));
  T("msgctl IPC_STAT of 0602", msgctl(msg_w, IPC_STAT, (struct msqid_ds *)&sd));
  T("mq_open 0600 read-only", mq_open(mq_name, O_RDONLY));
  T("shm_open 0600 read-write", shm_open(shm_name, O_RDWR, 0));
  T("mq_unlink of root's queue", mq_unlink(mq_name));
  T("shm_unlink of root's object", shm_unlink(shm_name));
  printf("scheduling and limits as uid 1000:\n");
  T("nice(2)", nice(2));
  T("nice(-1) (back up)", nice(-1));
  T("setpriority own process to 5", setpriority(PRIO_PROCESS, 0, 5));
  T("setpriority own process to 3 (higher)", setpriority(PRIO_PROCESS, 0, 3));
  T("setpriority of the parent (root's)", setpriority(PRIO_PROCESS, getppid(), 5));
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max / 2;
  T("lower RLIMIT_NOFILE soft", setrlimit(RLIMIT_NOFILE, &rl));
  rl.rlim_max = rl.rlim_max - 1;
  T("lower RLIMIT_NOFILE hard", setrlimit(RLIMIT_NOFILE, &rl));
  rl.rlim_max = rl.rlim_max + 1;
  T("raise it back", setrlimit(RLIMIT_NOFILE, &rl));
  T("prlimit of the parent (root's)", prlimit(getppid(), RLIMIT_NOFILE, NULL, &rl));
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (getuid() != 0) {
    printf("not run as root: nothing to test\n");
    return 0;
  }
  key = 0x5e800000 | (getpid() & 0xffff);
  snprintf(mq_name, sizeof mq_name, "/exojit-perm-%d", (int)getpid());
  snprintf(shm_name, sizeof shm_name, "/exojit-perm-%d", (int)getpid());
  shm_priv = shmget(IPC_PRIVATE, 4096, 0600);
  shm_ro = shmget(IPC_PRIVATE, 4096, 0644);
  shm_rw = shmget(IPC_PRIVATE, 4096, 0666);
  shm_key = shmget(key, 4096, IPC_CREAT | 0640);
  shm_key2 = shmget(key + 1, 4096, IPC_CREAT | 0644);
  struct shmid_ds sd;
  shmctl(shm_key, IPC_STAT, &sd);
  sd.shm_perm.uid = 1000;
  T("root gives a segment to uid 1000 (IPC_SET)", shmctl(shm_key, IPC_SET, &sd));
  shmctl(shm_key, IPC_STAT, &sd);
  printf("  owner %u group %u creator %u\n", (unsigned)sd.shm_perm.uid, (unsigned)sd.shm_perm.gid, (unsigned)sd.shm_perm.cuid);
  sem_priv = semget(IPC_PRIVATE, 1, 0600);
  sem_rw = semget(IPC_PRIVATE, 1, 0604);
  struct semid_ds semd;
  union semun sb = {.buf = &semd};
  semctl(sem_rw, 0, IPC_STAT, sb);
  semd.sem_perm.gid = 1000;
  semd.sem_perm.mode = 0664;
  T("root sets the set's group 1000, mode 0664", semctl(sem_rw, 0, IPC_SET, sb));
  msg_w = msgget(IPC_PRIVATE, 0602);
  msg_r = msgget(IPC_PRIVATE, 0604);
  struct msg m = {1, "queued"};
  msgsnd(msg_r, &m, 7, 0);
  mqd_t q = mq_open(mq_name, O_CREAT | O_EXCL | O_RDWR, 0600, NULL);
  int fd = shm_open(shm_name, O_CREAT | O_EXCL | O_RDWR, 0600);
  printf("  made a POSIX queue %d and object %d\n", q != (mqd_t)-1, fd >= 0);

  pid_t c = fork();
  if (c == 0) {
    if (setgid(1000) != 0 || setuid(1000) != 0) {
      printf("cannot become uid 1000: %s\n", strerror(errno));
      _exit(1);
    }
    as_user();
    _exit(0);
  }
  int s;
  waitpid(c, &s, 0);
  printf("child status %d\n", WIFEXITED(s) ? WEXITSTATUS(s) : 128 + WTERMSIG(s));
  T("the segment given away was removed by its owner", shmctl(shm_key, IPC_STAT, &sd));
  T("root removes uid 1000's... root's segment", shmctl(shm_rw, IPC_RMID, NULL));
  shmctl(shm_priv, IPC_RMID, NULL);
  shmctl(shm_key2, IPC_RMID, NULL);
  shmctl(shm_ro, IPC_RMID, NULL);
  semctl(sem_priv, 0, IPC_RMID);
  semctl(sem_rw, 0, IPC_RMID);
  msgctl(msg_w, IPC_RMID, NULL);
  msgctl(msg_r, IPC_RMID, NULL);
  T("mq_unlink", mq_unlink(mq_name));
  T("shm_unlink", shm_unlink(shm_name));
  return 0;
}
