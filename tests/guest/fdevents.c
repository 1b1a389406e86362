/* eventfd, timerfd and memfd, compared natively and under exojit (tests/fdevents.test.ts): counting
 * and semaphore reads, the overflow limit, bad sizes and flags, poll, epoll and blocking reads
 * woken by a thread or a child; one-shot, periodic and absolute timers, their readings, missed
 * expirations counted, disarming, and the errors of bad arguments; a memfd written, grown,
 * mapped shared into a child and read back. Times are printed only as generous bounds. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "guest.h"

static uint64_t rd(int fd, const char *label) {
  uint64_t v = 0;
  errno = 0;
  ssize_t n = read(fd, &v, sizeof v);
  if (n < 0) printf("%s: -1 %s\n", label, strerror(errno));
  else printf("%s: %zd bytes, %llu\n", label, n, (unsigned long long)v);
  return v;
}
static void wr(int fd, uint64_t v, const char *label) {
  errno = 0;
  ssize_t n = write(fd, &v, sizeof v);
  printf("%s: %zd%s%s\n", label, n, n < 0 ? " " : "", n < 0 ? strerror(errno) : "");
}
static int revents(int fd) {
  struct pollfd p = { fd, POLLIN | POLLOUT, 0 };
  poll(&p, 1, 0);
  return p.revents;
}
/* What /proc/self/fd shows for `fd`. */
static void show_link(int fd) {
  char link[64] = "";
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(path, link, sizeof link - 1);
  if (n > 0) link[n] = 0;
  printf("its link: %s\n", link);
}
static long long mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
static void msleep(int ms) {
  struct timespec ts = { 0, ms * 1000000L };
  nanosleep(&ts, NULL);
}

static int efd_for_thread;
static void *late_writer(void *arg) {
  (void)arg;
  msleep(30);
  uint64_t v = 9;
  write(efd_for_thread, &v, sizeof v);
  return NULL;
}

static void eventfds(void) {
  int fd = eventfd(5, 0);
  printf("eventfd(5): %s\n", fd >= 0 ? "a descriptor" : strerror(errno));
  show_link(fd);
  printf("poll with 5: %#x\n", revents(fd));
  rd(fd, "read");
  wr(fd, 3, "write 3");
  wr(fd, 4, "write 4");
  rd(fd, "read the sum");
  char small[4];
  TRY("read of 4 bytes", read(fd, small, 4));
  TRY("write of 4 bytes", write(fd, small, 4));
  wr(fd, UINT64_MAX, "write of 2^64-1");
  printf("poll at 0: %#x\n", revents(fd));
  int fl = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, fl | O_NONBLOCK);
  rd(fd, "nonblocking read at 0");
  wr(fd, UINT64_MAX - 1, "write of 2^64-2");
  printf("poll at the limit: %#x\n", revents(fd));
  wr(fd, 1, "one more, nonblocking");
  wr(fd, 0, "write of 0");
  rd(fd, "read at the limit");
  close(fd);

  int s = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC);
  printf("semaphore cloexec: %d\n", (fcntl(s, F_GETFD) & FD_CLOEXEC) != 0);
  for (int k = 0; k < 4; k++) rd(s, "semaphore read");
  close(s);
  TRY("eventfd with a bad flag", eventfd(0, 0x10));
  TRY("eventfd2 with a bad flag (raw)", syscall(SYS_eventfd2, 0, 4));

  /* A blocking read woken by another thread, then by a child; and through epoll. */
  efd_for_thread = eventfd(0, 0);
  pthread_t th;
  pthread_create(&th, NULL, late_writer, NULL);
  rd(efd_for_thread, "blocking read, woken by a thread");
  pthread_join(th, NULL);
  int ep = epoll_create1(0);
  struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 77 };
  TRY("epoll_ctl add", epoll_ctl(ep, EPOLL_CTL_ADD, efd_for_thread, &ev));
  pid_t c = fork();
  if (c == 0) {
    msleep(20);
    uint64_t v = 2;
    write(efd_for_thread, &v, sizeof v);
    _exit(0);
  }
  struct epoll_event got;
  int k = epoll_wait(ep, &got, 1, 5000);
  printf("epoll_wait: %d, data %u, events %#x\n", k, got.data.u32, got.events);
  rd(efd_for_thread, "read after epoll");
  waitpid(c, NULL, 0);
  close(ep);
  close(efd_for_thread);
}

static void show_time(int fd, const char *label, long long max_ns) {
  struct itimerspec cur;
  if (timerfd_gettime(fd, &cur) != 0) {
    printf("%s: %s\n", label, strerror(errno));
    return;
  }
  long long v = cur.it_value.tv_sec * 1000000000LL + cur.it_value.tv_nsec;
  long long i = cur.it_interval.tv_sec * 1000000000LL + cur.it_interval.tv_nsec;
  printf("%s: value %s, interval %lld ms\n", label, v == 0 ? "0" : v > 0 && v <= max_ns ? "in range" : "OUT OF RANGE", i / 1000000);
}

static void timerfds(void) {
  TRY("timerfd on clock 2", timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0));
  TRY("timerfd on clock 99", timerfd_create(99, 0));
  TRY("timerfd with a bad flag", timerfd_create(CLOCK_MONOTONIC, 0x10));
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
  printf("timerfd cloexec: %d\n", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
  show_link(fd);
  show_time(fd, "new", 0);
  /* (long enough that a slow first run, compiling as it goes, still polls before it expires) */
  struct itimerspec its = { { 0, 0 }, { 0, 300 * 1000000L } }, old;
  TRY("settime, bad flags", timerfd_settime(fd, 8, &its, NULL));
  struct itimerspec bad = { { 0, 0 }, { 0, 1000000000L } };
  TRY("settime, nsec 1e9", timerfd_settime(fd, 0, &bad, NULL));
  TRY("settime, null", syscall(SYS_timerfd_settime, fd, 0, NULL, NULL));
  int e = eventfd(0, 0);
  TRY("settime on an eventfd", timerfd_settime(e, 0, &its, NULL));
  TRY("gettime on an eventfd", timerfd_gettime(e, &old));
  close(e);
  TRY("settime on a closed fd", timerfd_settime(99, 0, &its, NULL));

  long long t0 = mono_ns();
  TRY("one-shot 300 ms", timerfd_settime(fd, 0, &its, NULL));
  show_time(fd, "armed", 300 * 1000000LL);
  printf("poll before: %#x\n", revents(fd));
  rd(fd, "blocking read");
  printf("waited at least 290 ms: %d\n", mono_ns() - t0 >= 290 * 1000000LL);
  show_time(fd, "after expiry", 0);
  char small[4];
  TRY("read of 4 bytes", read(fd, small, 4));

  /* Periodic, read late: the missed expirations are counted. */
  struct itimerspec per = { { 0, 10 * 1000000L }, { 0, 10 * 1000000L } };
  long long p0 = mono_ns();
  TRY("periodic 10 ms", timerfd_settime(fd, 0, &per, NULL));
  msleep(55);
  long long p1 = mono_ns();
  uint64_t v = 0;
  read(fd, &v, sizeof v);
  long long p2 = mono_ns();
  /* (every 10 ms due between the setting and the read, however late the sleep ended) */
  long long lo = (p1 - p0) / 10000000LL - 1, hi = (p2 - p0) / 10000000LL + 1;
  printf("expirations after a 55 ms sleep: %s\n", (long long)v >= lo && (long long)v <= hi && v >= 4 ? "every one due" : "WRONG");
  show_time(fd, "periodic", 10 * 1000000LL);
  struct itimerspec off = { { 0, 0 }, { 0, 0 } };
  TRY("disarm", timerfd_settime(fd, 0, &off, &old));
  printf("the old setting: interval %ld ms, value %s\n", old.it_interval.tv_nsec / 1000000, old.it_value.tv_nsec > 0 && old.it_value.tv_nsec <= 10000000 ? "in range" : "OUT OF RANGE");
  show_time(fd, "disarmed", 0);
  fcntl(fd, F_SETFL, O_NONBLOCK);
  rd(fd, "nonblocking read, disarmed");

  /* Absolute, on the monotonic clock, and on the wall clock with poll and epoll. */
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  struct itimerspec abs = { { 0, 0 }, { now.tv_sec, now.tv_nsec + 30 * 1000000L } };
  if (abs.it_value.tv_nsec >= 1000000000L) { abs.it_value.tv_sec++; abs.it_value.tv_nsec -= 1000000000L; }
  TRY("absolute monotonic", timerfd_settime(fd, TFD_TIMER_ABSTIME, &abs, NULL));
  struct pollfd p = { fd, POLLIN, 0 };
  int pr = poll(&p, 1, 5000);
  printf("poll: %d, revents %#x\n", pr, p.revents);
  rd(fd, "read");
  int w = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
  clock_gettime(CLOCK_REALTIME, &now);
  struct itimerspec wabs = { { 0, 0 }, { now.tv_sec, now.tv_nsec + 30 * 1000000L } };
  if (wabs.it_value.tv_nsec >= 1000000000L) { wabs.it_value.tv_sec++; wabs.it_value.tv_nsec -= 1000000000L; }
  TRY("absolute wall clock", timerfd_settime(w, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &wabs, NULL));
  int ep = epoll_create1(0);
  struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 5 };
  epoll_ctl(ep, EPOLL_CTL_ADD, w, &ev);
  struct epoll_event got;
  int k = epoll_wait(ep, &got, 1, 5000);
  printf("epoll_wait: %d, data %u\n", k, got.data.u32);
  rd(w, "read");
  rd(w, "read again");
  struct itimerspec past = { { 0, 0 }, { 1, 0 } };
  TRY("absolute time in the past", timerfd_settime(w, TFD_TIMER_ABSTIME, &past, NULL));
  msleep(5);
  rd(w, "read at once");
  /* periodic from a past time: the intervals since then are counted as expirations */
  clock_gettime(CLOCK_REALTIME, &now);
  struct itimerspec back = { { 1, 0 }, { now.tv_sec - 10, now.tv_nsec } };
  TRY("periodic from 10 s ago", timerfd_settime(w, TFD_TIMER_ABSTIME, &back, NULL));
  uint64_t many = 0;
  read(w, &many, sizeof many);
  printf("expirations counted at once: %llu\n", (unsigned long long)many);
  close(ep);
  close(w);
  close(fd);
}

static void memfds(void) {
  int fd = memfd_create("my buffer", MFD_CLOEXEC);
  printf("memfd: %s, cloexec %d\n", fd >= 0 ? "a descriptor" : strerror(errno), (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
  TRY("write", write(fd, "hello", 5));
  TRY("ftruncate", ftruncate(fd, 8192));
  struct stat st;
  fstat(fd, &st);
  printf("size %lld, regular %d, links %d, mode %o\n", (long long)st.st_size, S_ISREG(st.st_mode), (int)st.st_nlink, st.st_mode & 0777);
  char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  printf("mmap: %s, first bytes %.5s\n", p == MAP_FAILED ? "failed" : "ok", p == MAP_FAILED ? "" : p);
  if (p == MAP_FAILED) return;
  pid_t c = fork();
  if (c == 0) {
    memcpy(p + 4096, "child", 6);
    _exit(0);
  }
  waitpid(c, NULL, 0);
  printf("the child wrote: %s\n", p + 4096);
  char buf[6] = { 0 };
  TRY("pread", pread(fd, buf, 5, 4096));
  printf("pread saw: %s\n", buf);
  TRY("memfd with a bad flag", memfd_create("x", 0x100));
  char longname[300];
  memset(longname, 'a', 299);
  longname[299] = 0;
  TRY("memfd with a 299-byte name", memfd_create(longname, 0));
  TRY("memfd with a null name", syscall(SYS_memfd_create, NULL, 0));
  /* Seals: without MFD_ALLOW_SEALING only F_SEAL_SEAL; with it each seal refuses what it names
   * (EPERM), F_SEAL_WRITE is EBUSY while a shared mapping may write, and a sealed file maps
   * shared read-only for good; a file that is no memfd cannot be sealed (EINVAL) */
  TRY("F_GET_SEALS without MFD_ALLOW_SEALING", fcntl(fd, F_GET_SEALS));
  TRY("F_ADD_SEALS there", fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
  munmap(p, 8192);
  close(fd);
  int s = memfd_create("sealed", MFD_ALLOW_SEALING);
  TRY("F_GET_SEALS", fcntl(s, F_GET_SEALS));
  TRY("write 3 pages", write(s, longname, 299) + write(s, longname, 299));
  TRY("F_SEAL_SHRINK | F_SEAL_GROW", fcntl(s, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW));
  TRY("F_GET_SEALS then", fcntl(s, F_GET_SEALS));
  TRY("ftruncate smaller", ftruncate(s, 100));
  TRY("ftruncate larger", ftruncate(s, 10000));
  TRY("ftruncate to the same size", ftruncate(s, 598));
  TRY("pwrite inside", pwrite(s, "abc", 3, 10));
  TRY("pwrite past the end", pwrite(s, "abc", 3, 597));
  char *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, s, 0);
  TRY("F_SEAL_WRITE with a shared writable mapping", fcntl(s, F_ADD_SEALS, F_SEAL_WRITE));
  munmap(w, 4096);
  TRY("F_SEAL_WRITE after munmap", fcntl(s, F_ADD_SEALS, F_SEAL_WRITE));
  TRY("write then", write(s, "x", 1));
  TRY("mmap shared writable then", mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, s, 0) == MAP_FAILED ? -1 : 0);
  char *r = mmap(NULL, 4096, PROT_READ, MAP_SHARED, s, 0);
  printf("mmap shared read-only then: %s, reads %.3s\n", r == MAP_FAILED ? strerror(errno) : "ok", r == MAP_FAILED ? "" : r + 10);
  TRY("mprotect it writable", mprotect(r, 4096, PROT_READ | PROT_WRITE));
  char *q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, s, 0);
  TRY("mmap private writable", q == MAP_FAILED ? -1 : 0);
  TRY("F_SEAL_SEAL", fcntl(s, F_ADD_SEALS, F_SEAL_SEAL));
  TRY("F_ADD_SEALS after it", fcntl(s, F_ADD_SEALS, F_SEAL_FUTURE_WRITE));
  TRY("F_GET_SEALS at last", fcntl(s, F_GET_SEALS));
  TRY("F_ADD_SEALS of an unknown seal", fcntl(memfd_create("u", MFD_ALLOW_SEALING), F_ADD_SEALS, 0x100));
  int plain = open(".", O_RDONLY);
  TRY("F_GET_SEALS of a directory", fcntl(plain, F_GET_SEALS));
  close(plain);
  int fu = memfd_create("future", MFD_ALLOW_SEALING);
  ftruncate(fu, 4096);
  char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fu, 0);
  TRY("F_SEAL_FUTURE_WRITE with a mapping", fcntl(fu, F_ADD_SEALS, F_SEAL_FUTURE_WRITE));
  memcpy(m, "kept", 5);
  TRY("write after F_SEAL_FUTURE_WRITE", write(fu, "x", 1));
  char back[5] = {0};
  pread(fu, back, 4, 0);
  printf("what the earlier mapping wrote: %s\n", back);
  /* /proc/self/fd/N leads to the file itself, though it has no path: O_TRUNC through it
   * truncates a memfd (refused under F_SEAL_SHRINK), and a removed file reopens with its data */
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fu);
  int again = open(link, O_RDWR | O_CREAT | O_TRUNC, 0600);
  fstat(fu, &st);
  printf("memfd reopened with O_TRUNC: %s, size now %lld\n", again >= 0 ? "ok" : strerror(errno), (long long)st.st_size);
  close(again);
  snprintf(link, sizeof link, "/proc/self/fd/%d", s);
  TRY("O_TRUNC through the link under F_SEAL_SHRINK", open(link, O_RDWR | O_TRUNC));
  char tmpl[] = "/tmp/fdevents-XXXXXX";
  int gone = mkstemp(tmpl);
  write(gone, "still here", 10);
  unlink(tmpl);
  snprintf(link, sizeof link, "/proc/self/fd/%d", gone);
  char target[128] = {0};
  readlink(link, target, sizeof target - 1);
  printf("link of a removed file ends in ' (deleted)': %d\n", strlen(target) > 10 && strcmp(target + strlen(target) - 10, " (deleted)") == 0);
  int re = open(link, O_RDONLY);
  char words[11] = {0};
  if (re >= 0) read(re, words, 10);
  printf("the removed file reopened: %s, reads '%s'\n", re >= 0 ? "ok" : strerror(errno), words);
  close(re);
  close(gone);
  munmap(m, 4096);
  munmap(r, 4096);
  if (q != MAP_FAILED) munmap(q, 4096);
  close(fu);
  close(s);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  eventfds();
  timerfds();
  memfds();
  return 0;
}
