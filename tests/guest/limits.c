/* Resource limits, compared with the host kernel: RLIMIT_NOFILE (EMFILE, and dup2 beyond it is
 * EBADF), RLIMIT_AS and RLIMIT_DATA (mmap, mremap and brk fail with ENOMEM), getrlimit/prlimit round
 * trips, lowering a hard limit for good, and what children inherit. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int xcpu_pipe = -1;
static void on_xcpu(int sig) {
  (void)sig;
  write(xcpu_pipe, "x", 1);
}

static void show_limit(const char *name, int res) {
  struct rlimit r;
  getrlimit(res, &r);
  printf("%s: soft %s%lu, hard %s%lu\n", name, r.rlim_cur == RLIM_INFINITY ? "inf " : "", r.rlim_cur == RLIM_INFINITY ? 0 : (unsigned long)r.rlim_cur,
         r.rlim_max == RLIM_INFINITY ? "inf " : "", r.rlim_max == RLIM_INFINITY ? 0 : (unsigned long)r.rlim_max);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  /* RLIMIT_CPU: SIGXCPU at the soft limit (1 s of CPU), SIGKILL at the hard one (2 s) */
  int xp[2];
  pipe(xp);
  pid_t spin = fork();
  if (spin == 0) {
    close(xp[0]);
    xcpu_pipe = xp[1];
    signal(SIGXCPU, on_xcpu);
    struct rlimit cpu = {1, 2};
    setrlimit(RLIMIT_CPU, &cpu);
    for (volatile unsigned long n = 0;; n++) {
    }
  }
  close(xp[1]);
  int st;
  waitpid(spin, &st, 0);
  char got[16];
  ssize_t nx = read(xp[0], got, sizeof got);
  printf("RLIMIT_CPU 1 s soft, 2 s hard: killed by signal %d, SIGXCPU %ld time(s)\n", WIFSIGNALED(st) ? WTERMSIG(st) : 0, (long)nx);
  close(xp[0]);
  /* NOFILE */
  struct rlimit r = {16, 16};
  setrlimit(RLIMIT_NOFILE, &r);
  int fd, last = -1, e = 0;
  while ((fd = open("/dev/null", O_RDONLY)) >= 0) last = fd;
  e = errno;
  printf("RLIMIT_NOFILE 16: opened up to fd %d, then %s\n", last, strerror(e));
  /* No descriptor left: a file or a queue to be created is not (Linux takes the fd first). */
  fd = open("emfile-new", O_CREAT | O_WRONLY, 0600);
  printf("creating a file with no fd free: %d %s; it exists: %s\n", fd, strerror(errno), access("emfile-new", F_OK) == 0 ? "yes" : "no");
  unlink("emfile-new");
  mqd_t q = mq_open("/limits-emfile", O_CREAT | O_RDWR, 0600, NULL);
  printf("creating a queue with no fd free: %d %s\n", (int)q, strerror(errno));
  close(last);
  q = mq_open("/limits-emfile", O_RDWR);
  printf("the queue exists: %s\n", q == (mqd_t)-1 ? strerror(errno) : "yes");
  if (q != (mqd_t)-1) mq_close(q);
  mq_unlink("/limits-emfile");
  int d = dup2(0, 20);
  printf("dup2 beyond the limit: %d %s\n", d, strerror(errno));
  for (int i = 3; i < 16; i++) close(i);
  show_limit("NOFILE", RLIMIT_NOFILE);
  r.rlim_cur = 8;
  int down = setrlimit(RLIMIT_NOFILE, &r);
  printf("lowering the soft limit: %d\n", down);

  /* AS: a big mapping fails, a small one works */
  struct rlimit as = {256 << 20, 256 << 20};
  setrlimit(RLIMIT_AS, &as);
  void *big = mmap(NULL, 400 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("RLIMIT_AS 256 MiB, mmap 400 MiB: %s\n", big == MAP_FAILED ? strerror(errno) : "mapped");
  void *small = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("mmap 1 MiB: %s\n", small == MAP_FAILED ? strerror(errno) : "mapped");
  as.rlim_cur = 128 << 20;
  int lower = setrlimit(RLIMIT_AS, &as);
  printf("lowering RLIMIT_AS below what is mapped: %d\n", lower);
  /* the break and mremap's growth count against it too */
  void *heap = sbrk(200 << 20);
  printf("RLIMIT_AS 128 MiB, sbrk 200 MiB: %s\n", heap == (void *)-1 ? strerror(errno) : "grew");
  void *grown = small == MAP_FAILED ? MAP_FAILED : mremap(small, 1 << 20, 200 << 20, MREMAP_MAYMOVE);
  printf("mremap 1 MiB to 200 MiB: %s\n", grown == MAP_FAILED ? strerror(errno) : "grown");

  /* DATA: brk and private writable mappings */
  struct rlimit data = {8 << 20, 8 << 20};
  setrlimit(RLIMIT_DATA, &data);
  void *b = sbrk(16 << 20);
  printf("RLIMIT_DATA 8 MiB, sbrk 16 MiB: %s\n", b == (void *)-1 ? strerror(errno) : "grew");
  void *m = mmap(NULL, 16 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("private writable mmap 16 MiB: %s\n", m == MAP_FAILED ? strerror(errno) : "mapped");
  void *ro = mmap(NULL, 16 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("read-only mmap 16 MiB: %s\n", ro == MAP_FAILED ? strerror(errno) : "mapped");

  /* prlimit on a child, inheritance, and invalid requests */
  struct rlimit core = {0, 1 << 20};
  setrlimit(RLIMIT_CORE, &core);
  pid_t p = fork();
  if (p == 0) {
    show_limit("child CORE", RLIMIT_CORE);
    pause();
    _exit(0);
  }
  usleep(50000);
  struct rlimit nr = {4096, 1 << 20}, old;
  int pr = prlimit(p, RLIMIT_CORE, &nr, &old);
  printf("prlimit on the child: %d, old soft %lu\n", pr, (unsigned long)old.rlim_cur);
  kill(p, SIGKILL);
  waitpid(p, NULL, 0);
  struct rlimit bad = {10, 5};
  int sb = setrlimit(RLIMIT_CORE, &bad);
  printf("soft above hard: %d %s\n", sb, strerror(errno));
  errno = 0;
  int br = setrlimit(1000, &bad);
  printf("unknown resource: %d %s\n", br, strerror(errno));
  errno = 0;
  int gp = prlimit(999999, RLIMIT_CORE, NULL, &old);
  printf("prlimit on no process: %d %s\n", gp, strerror(errno));
  return 0;
}
