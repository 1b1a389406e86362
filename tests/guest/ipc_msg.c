/* System V message queues: messages picked by type (any, equal, MSG_EXCEPT, the lowest up to a
 * bound), MSG_NOERROR and E2BIG, IPC_NOWAIT (ENOMSG, EAGAIN), the queue's byte limit making a
 * sender wait until a receiver makes room, a receiver waiting for its type while others pass,
 * IPC_STAT's counts and pids, IPC_SET of msg_qbytes, removal waking a waiter with EIDRM, a
 * signal ending a wait with EINTR, and the calls' errors. The parent polls the queue's state
 * before acting, so nothing depends on timing. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <unistd.h>

#define T(what, expr)                                                        \
  do {                                                                       \
    errno = 0;                                                               \
    long r_ = (long)(expr);                                                  \
    printf("%-44s %s\n", what, r_ == -1 ? strerror(errno) : "ok");           \
  } while (0)

struct msg {
  long type;
  char text[200];
};

static int put(int q, long type, const char *text, int flg) {
  struct msg m;
  m.type = type;
  snprintf(m.text, sizeof m.text, "%s", text);
  return msgsnd(q, &m, strlen(text) + 1, flg);
}

static void get(int q, long type, int flg, size_t room) {
  struct msg m;
  memset(&m, 0, sizeof m);
  errno = 0;
  ssize_t n = msgrcv(q, &m, room, type, flg);
  if (n < 0)
    printf("  msgrcv(type %ld, flags %#o): %s\n", type, flg, strerror(errno));
  else
    printf("  msgrcv(type %ld, flags %#o) = %zd: type %ld '%.*s'\n", type, flg, n, m.type, (int)n, m.text);
}

static struct msqid_ds st(int q) {
  struct msqid_ds d;
  memset(&d, 0, sizeof d);
  msgctl(q, IPC_STAT, &d);
  return d;
}

static void show(int q) {
  struct msqid_ds d = st(q);
  printf("  qnum %lu cbytes %lu qbytes %lu\n", (unsigned long)d.msg_qnum, (unsigned long)d.__msg_cbytes, (unsigned long)d.msg_qbytes);
}

static int status_of(pid_t pid) {
  int s;
  waitpid(pid, &s, 0);
  return WIFEXITED(s) ? WEXITSTATUS(s) : 128 + WTERMSIG(s);
}

static void on_usr1(int s) { (void)s; }

/* Waits until process `pid` sleeps (in the call it was forked to make: nothing else sleeps). */
static void await_sleeping(pid_t pid) {
  char path[64], buf[256];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  for (;;) {
    FILE *f = fopen(path, "r");
    char *close = NULL;
    if (f != NULL) {
      size_t n = fread(buf, 1, sizeof buf - 1, f);
      buf[n] = 0;
      fclose(f);
      close = strrchr(buf, ')');
    }
    if (close != NULL && close[1] == ' ' && close[2] == 'S') return;
    usleep(1000);
  }
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  printf("types:\n");
  put(q, 3, "three", 0);
  put(q, 1, "one", 0);
  put(q, 2, "two", 0);
  put(q, 1, "one again", 0);
  put(q, 5, "five", 0);
  show(q);
  struct msqid_ds d = st(q);
  printf("  lspid is me %d, lrpid %d, stime set %d\n", d.msg_lspid == getpid(), d.msg_lrpid, d.msg_stime != 0);
  get(q, 0, 0, 200);
  get(q, 1, 0, 200);
  get(q, -2, 0, 200);
  get(q, 1, MSG_EXCEPT, 200);
  get(q, 4, IPC_NOWAIT, 200);
  get(q, -4, IPC_NOWAIT, 200);
  get(q, 5, 0, 200);
  get(q, 0, IPC_NOWAIT, 200);
  d = st(q);
  printf("  lrpid is me %d\n", d.msg_lrpid == getpid());

  printf("sizes:\n");
  put(q, 9, "a message longer than the receiver's buffer", 0);
  get(q, 9, IPC_NOWAIT, 10);
  show(q);
  get(q, 9, IPC_NOWAIT | MSG_NOERROR, 10);
  show(q);
  T("msgsnd type 0", put(q, 0, "x", 0));
  T("msgsnd type -1", put(q, -1, "x", 0));
  static struct {
    long type;
    char text[9000];
  } huge = {1, {0}};
  T("msgsnd 8193 bytes", msgsnd(q, &huge, 8193, 0));
  T("msgsnd 8192 bytes", msgsnd(q, &huge, 8192, 0));
  get(q, 0, MSG_NOERROR, 4);
  T("msgrcv negative size", msgrcv(q, &huge, (size_t)-1, 0, 0));

  printf("a full queue:\n");
  d = st(q);
  d.msg_qbytes = 250;
  T("IPC_SET msg_qbytes 250", msgctl(q, IPC_SET, &d));
  show(q);
  char hundred[101];
  memset(hundred, 'h', 100);
  hundred[100] = 0;
  T("send 101 bytes", put(q, 1, hundred, 0));
  T("send 101 more", put(q, 2, hundred, 0));
  T("a third with IPC_NOWAIT", put(q, 3, hundred, IPC_NOWAIT));
  pid_t c = fork();
  if (c == 0) _exit(put(q, 3, "the waiting sender's message, sixty bytes long, does not fit", 0) == 0 ? 1 : 9);
  await_sleeping(c);
  show(q);
  get(q, 1, 0, 200);
  int status = status_of(c);
  printf("  child status %d\n", status);
  get(q, 3, IPC_NOWAIT, 200);
  get(q, 2, IPC_NOWAIT | MSG_NOERROR, 5);
  show(q);

  printf("a waiting receiver:\n");
  c = fork();
  if (c == 0) {
    struct msg m;
    ssize_t n = msgrcv(q, &m, sizeof m.text, 7, 0);
    printf("  child received %zd bytes of type %ld: '%s'\n", n, m.type, m.text);
    _exit(2);
  }
  await_sleeping(c);
  put(q, 6, "for nobody in particular", 0);
  put(q, 7, "for the child", 0);
  status = status_of(c);
  printf("  child status %d\n", status);
  show(q);
  get(q, 0, IPC_NOWAIT, 200);
  d = st(q);
  printf("  lrpid is me %d\n", d.msg_lrpid == getpid());

  printf("signals and removal:\n");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &sa, NULL);
  c = fork();
  if (c == 0) {
    struct msg m;
    ssize_t n = msgrcv(q, &m, sizeof m.text, 0, 0);
    printf("  child's msgrcv after SIGUSR1 (SA_RESTART): %zd %s\n", n, strerror(errno));
    _exit(3);
  }
  await_sleeping(c);
  kill(c, SIGUSR1);
  status = status_of(c);
  printf("  child status %d\n", status);
  c = fork();
  if (c == 0) {
    struct msg m;
    ssize_t n = msgrcv(q, &m, sizeof m.text, 0, 0);
    _exit(n == -1 && errno == EIDRM ? 4 : 5); /* status 4: EIDRM */
  }
  await_sleeping(c);
  T("IPC_RMID", msgctl(q, IPC_RMID, NULL));
  status = status_of(c);
  printf("  child's msgrcv when the queue was removed: %s\n", status == 4 ? "EIDRM" : "something else");
  T("msgsnd to the removed queue", put(q, 1, "x", 0));
  T("IPC_STAT of the removed queue", msgctl(q, IPC_STAT, &d));

  printf("errors:\n");
  key_t key = 0x5e600000 | (getpid() & 0xffff);
  int k = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
  T("msgget the key", msgget(key, 0));
  T("msgget IPC_CREAT|IPC_EXCL", msgget(key, IPC_CREAT | IPC_EXCL | 0600));
  T("msgget a missing key", msgget(key + 1, 0600));
  T("msgctl unknown command", msgctl(k, 99, &d));
  T("msgsnd bad id", put(-1, 1, "x", 0));
  T("msgrcv unused id", msgrcv(0x7ff0, &huge, 10, 0, IPC_NOWAIT));
  struct msginfo mi;
  /* (what glibc leaves of msgmax differs between ABIs: i386's converts the buffer as a msqid_ds) */
  printf("  MSG_INFO returns an index %d\n", msgctl(0, MSG_INFO, (struct msqid_ds *)&mi) >= 0);
  msgctl(k, IPC_RMID, NULL);
  return 0;
}
