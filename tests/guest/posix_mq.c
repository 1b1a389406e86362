/* POSIX message queues: mq_open with O_CREAT/O_EXCL and attributes, messages received by
 * priority (FIFO within one), mq_getattr/mq_setattr (O_NONBLOCK: EAGAIN), absolute timeouts
 * (ETIMEDOUT) on both sides, EMSGSIZE and EINVAL, a receiver waiting in a child, a sender
 * waiting on a full queue, mq_notify with SIGEV_SIGNAL (si_code SI_MESGQ, the value, the
 * sender's pid; one registration at a time, EBUSY for another process) and SIGEV_NONE, poll on
 * a queue descriptor, the queue inherited over fork, mq_unlink. The parent waits for children
 * to be asleep before acting, so nothing depends on timing. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define T(what, expr)                                                        \
  do {                                                                       \
    errno = 0;                                                               \
    long r_ = (long)(expr);                                                  \
    printf("%-44s %s\n", what, r_ == -1 ? strerror(errno) : "ok");           \
  } while (0)

static char name[64];

static void attrs(mqd_t q) {
  struct mq_attr a;
  mq_getattr(q, &a);
  printf("  flags %s maxmsg %ld msgsize %ld curmsgs %ld\n", a.mq_flags & O_NONBLOCK ? "O_NONBLOCK" : "0", a.mq_maxmsg, a.mq_msgsize, a.mq_curmsgs);
}

static void recv1(mqd_t q) {
  char buf[128];
  unsigned prio = 99;
  errno = 0;
  ssize_t n = mq_receive(q, buf, sizeof buf, &prio);
  if (n < 0)
    printf("  mq_receive: %s\n", strerror(errno));
  else
    printf("  mq_receive = %zd: prio %u '%.*s'\n", n, prio, (int)n, buf);
}

static struct timespec in_ms(int ms) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  t.tv_nsec += (long)ms * 1000000;
  while (t.tv_nsec >= 1000000000) {
    t.tv_nsec -= 1000000000;
    t.tv_sec++;
  }
  return t;
}

static int status_of(pid_t pid) {
  int s;
  waitpid(pid, &s, 0);
  return WIFEXITED(s) ? WEXITSTATUS(s) : 128 + WTERMSIG(s);
}

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

static volatile sig_atomic_t got_sig, got_code, got_value, got_pid_is_me;
static void on_notify(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  got_sig = sig;
  got_code = si->si_code;
  got_value = si->si_value.sival_int;
  got_pid_is_me = si->si_pid == getpid();
}

static sem_t thread_done;
static volatile int thread_value;

static void on_message(union sigval v) {
  thread_value = v.sival_int;
  sem_post(&thread_done);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  snprintf(name, sizeof name, "/exojit-mq-%d", (int)getpid());
  struct mq_attr a = {0, 4, 64, 0, {0}};
  mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &a);
  printf("created %d\n", q != (mqd_t)-1);
  attrs(q);
  T("mq_open O_CREAT|O_EXCL again", mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &a));
  T("mq_open without a leading slash", mq_open("no-slash", O_RDONLY));
  T("mq_open a missing queue", mq_open("/exojit-no-such-queue", O_RDONLY));
  struct mq_attr bad = {0, 0, 64, 0, {0}};
  T("mq_open maxmsg 0", mq_open("/exojit-bad-attr", O_CREAT | O_RDWR, 0600, &bad));
  mqd_t q2 = mq_open(name, O_WRONLY);
  printf("opened again write-only %d\n", q2 != (mqd_t)-1);

  printf("priorities:\n");
  T("send prio 1", mq_send(q2, "one", 3, 1));
  T("send prio 5", mq_send(q2, "five", 4, 5));
  T("send prio 3", mq_send(q2, "three", 5, 3));
  T("send prio 5 again", mq_send(q2, "five again", 10, 5));
  attrs(q);
  T("send to a full queue with a timeout", ({ struct timespec t = in_ms(30); mq_timedsend(q2, "x", 1, 0, &t); }));
  struct mq_attr nb = {O_NONBLOCK, 0, 0, 0, {0}}, old;
  T("mq_setattr O_NONBLOCK", mq_setattr(q2, &nb, &old));
  T("send to a full queue, non-blocking", mq_send(q2, "x", 1, 0));
  attrs(q2);
  for (int k = 0; k < 4; k++) recv1(q);
  T("receive on the write-only descriptor", mq_receive(q2, (char[128]){0}, 128, NULL));
  T("send on the read-write one", mq_send(q, "zero", 4, 0));
  recv1(q);
  T("receive from an empty queue with a timeout", ({ struct timespec t = in_ms(30); mq_timedreceive(q, (char[128]){0}, 128, NULL, &t); }));
  T("receive into a buffer below msgsize", mq_receive(q, (char[16]){0}, 16, NULL));
  T("send more than msgsize", mq_send(q, (char[65]){0}, 65, 0));
  T("send prio 32768", mq_send(q, "x", 1, 32768));
  T("timeout with tv_nsec 1e9", ({ struct timespec t = {0, 1000000000}; mq_timedreceive(q, (char[128]){0}, 128, NULL, &t); }));
  T("mq_send to a non-queue fd", mq_send(1, "x", 1, 0));

  printf("waiting:\n");
  pid_t c = fork();
  if (c == 0) {
    char buf[128];
    unsigned prio;
    ssize_t n = mq_receive(q, buf, sizeof buf, &prio);
    printf("  child received %zd bytes, prio %u: '%.*s'\n", n, prio, (int)n, buf);
    _exit(1);
  }
  await_sleeping(c);
  mq_send(q2, "to the waiting child", 20, 7);
  int st = status_of(c);
  printf("  child status %d\n", st);
  for (int k = 0; k < 4; k++) mq_send(q, "fill", 4, (unsigned)k);
  c = fork();
  if (c == 0) _exit(mq_send(q, "the waiting sender", 18, 2) == 0 ? 2 : 9);
  await_sleeping(c);
  attrs(q);
  recv1(q);
  st = status_of(c);
  printf("  sender status %d\n", st);
  for (int k = 0; k < 4; k++) recv1(q);
  attrs(q);

  printf("notification:\n");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_notify;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, NULL);
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGUSR1;
  ev.sigev_value.sival_int = 42;
  T("mq_notify SIGEV_SIGNAL", mq_notify(q, &ev));
  T("mq_notify again by the owner", mq_notify(q, &ev));
  c = fork();
  if (c == 0) _exit(mq_notify(q, &ev) == -1 && errno == EBUSY ? 3 : 8);
  st = status_of(c);
  printf("  another process registering: status %d (3: EBUSY)\n", st);
  mq_send(q, "wakes the owner", 15, 1);
  printf("  signal %d code %d (SI_MESGQ %d) value %d sender is me %d\n", (int)got_sig, (int)got_code, SI_MESGQ, (int)got_value, (int)got_pid_is_me);
  got_sig = 0;
  mq_send(q, "no second signal", 16, 1);
  printf("  after a second message: signal %d\n", (int)got_sig);
  recv1(q);
  recv1(q);
  T("register again", mq_notify(q, &ev));
  T("unregister", mq_notify(q, NULL));
  mq_send(q, "unregistered", 12, 1);
  printf("  after unregistering: signal %d\n", (int)got_sig);
  recv1(q);
  ev.sigev_notify = SIGEV_NONE;
  T("mq_notify SIGEV_NONE", mq_notify(q, &ev));
  c = fork();
  if (c == 0) _exit(mq_notify(q, &ev) == -1 && errno == EBUSY ? 3 : 8);
  st = status_of(c);
  printf("  another process registering: status %d\n", st);
  mq_send(q, "silent", 6, 1);
  T("the registration went with the message", mq_notify(q, &ev));
  /* closing any descriptor of the queue in the owner ends its registration */
  mqd_t extra = mq_open(name, O_RDONLY);
  T("close another descriptor of the queue", mq_close(extra));
  c = fork();
  if (c == 0) _exit(mq_notify(q, &ev) == 0 ? 3 : 8);
  st = status_of(c);
  printf("  another process registering after the owner closed a descriptor: status %d\n", st);
  mq_notify(q, NULL);

  /* SIGEV_THREAD: glibc's helper thread hears of the message through a netlink socket and runs
   * the function in a new thread, with the registered value. */
  recv1(q); /* (the queue must be empty for a notification) */
  sem_init(&thread_done, 0, 0);
  struct sigevent tev = {0};
  tev.sigev_notify = SIGEV_THREAD;
  tev.sigev_notify_function = on_message;
  tev.sigev_value.sival_int = 77;
  T("mq_notify SIGEV_THREAD", mq_notify(q, &tev));
  T("mq_notify SIGEV_THREAD again", mq_notify(q, &tev));
  mq_send(q, "wakes a thread", 14, 1);
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += 10;
  T("the thread ran", sem_timedwait(&thread_done, &until));
  printf("  with value %d\n", thread_value);
  recv1(q);
  T("registered again", mq_notify(q, &tev));
  T("unregistered", mq_notify(q, NULL));
  mq_send(q, "nobody hears", 12, 1);
  usleep(50000);
  printf("  the thread ran again: %d\n", sem_trywait(&thread_done) == 0);
  recv1(q);
  mq_send(q, "silent", 6, 1); /* (what the rest of the test expects queued) */
  ev.sigev_notify = 12345;
  T("mq_notify with a bad sigev_notify", mq_notify(q, &ev));

  printf("poll:\n");
  struct pollfd p[2] = {{q, POLLIN | POLLOUT, 0}, {q2, POLLOUT, 0}};
  int n = poll(p, 2, 0);
  printf("  %d ready: %s%s, %s\n", n, p[0].revents & POLLIN ? "in" : "", p[0].revents & POLLOUT ? " out" : "", p[1].revents & POLLOUT ? "out" : "");
  recv1(q);
  n = poll(p, 1, 0);
  printf("  %d ready: %s%s\n", n, p[0].revents & POLLIN ? "in" : "", p[0].revents & POLLOUT ? "out" : "");
  p[0].events = POLLIN;
  c = fork();
  if (c == 0) {
    usleep(20000);
    mq_send(q, "from the child", 14, 4);
    _exit(0);
  }
  n = poll(p, 1, 5000);
  printf("  poll waited for the child's message: %d %s\n", n, p[0].revents & POLLIN ? "in" : "");
  status_of(c);
  recv1(q);

  printf("unlink:\n");
  T("mq_unlink", mq_unlink(name));
  T("mq_open after unlink", mq_open(name, O_RDWR));
  T("mq_unlink again", mq_unlink(name));
  T("the open descriptor still works", mq_send(q, "still here", 10, 0));
  recv1(q);
  T("mq_close", mq_close(q));
  T("mq_close twice", mq_close(q));
  mq_close(q2);
  return 0;
}
