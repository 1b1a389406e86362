/* Calls that reach into another process: process_vm_readv/process_vm_writev between a parent
 * and its forked child (scattered iovecs, a partial copy that ends at an unmapped page, the
 * errors), kcmp on what fork and clone share or copy, pidfd_getfd taking the child's
 * descriptor, mlock2's flags; and the ptrace rule: a child that changed its ids is out of reach. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define KCMP_FILE 0
#define KCMP_VM 1
#define KCMP_FILES 2
#define KCMP_FS 3
#define KCMP_SIGHAND 4

static long kcmp(pid_t a, pid_t b, int type, unsigned long x, unsigned long y) {
  return syscall(SYS_kcmp, a, b, type, x, y);
}

static void show(const char *what, long r) {
  if (r < 0) printf("%s: -1 %s\n", what, strerror(errno));
  else printf("%s: %ld\n", what, r);
}

/* kcmp's order is scrambled: only equal (0) or not (1, 2) means something */
static void same(const char *what, long r) {
  if (r < 0) printf("%s: -1 %s\n", what, strerror(errno));
  else printf("%s: %s\n", what, r == 0 ? "same" : r == 1 || r == 2 ? "different" : "?");
}

static char shared_text[64] = "the child's own text";
static int pipefd[2], back[2];

static int thread_fn(void *arg) {
  (void)arg;
  char c;
  read(pipefd[0], &c, 1);
  return 0;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  pipe(pipefd);
  pipe(back);
  char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(page + 4096, 4096); /* the second page is a hole */
  memcpy(page + 4096 - 6, "tail!", 6);
  int fd = open("/dev/null", O_RDONLY);
  pid_t child = fork();
  if (child == 0) {
    strcpy(shared_text, "changed in the child");
    int dupfd = dup2(fd, 40);
    (void)dupfd;
    write(back[1], "r", 1);
    char c;
    read(pipefd[0], &c, 1); /* until the parent is done */
    printf("child sees: %s\n", shared_text);
    _exit(0);
  }
  char c;
  read(back[0], &c, 1);

  /* process_vm_readv: the child's copy of shared_text into two pieces */
  char a[8] = {0}, b[32] = {0};
  struct iovec local[2] = {{a, 7}, {b, 20}};
  struct iovec remote[1] = {{shared_text, 27}};
  show("readv", process_vm_readv(child, local, 2, remote, 1, 0));
  printf("pieces: [%s] [%s]\n", a, b);
  /* partial: the remote range runs into the hole */
  char tail[32] = {0};
  struct iovec lt = {tail, 32}, rt = {page + 4096 - 6, 32};
  show("readv into a hole", process_vm_readv(child, &lt, 1, &rt, 1, 0));
  printf("tail: %s\n", tail);
  struct iovec rh = {page + 4096, 8};
  show("readv of the hole only", process_vm_readv(child, &lt, 1, &rh, 1, 0));
  show("readv bad flags", process_vm_readv(child, local, 2, remote, 1, 1));
  show("readv zero length", process_vm_readv(child, local, 0, remote, 1, 0));
  show("readv no such process", process_vm_readv(999999, local, 2, remote, 1, 0));
  show("readv too many iovecs", process_vm_readv(child, local, 2000, remote, 1, 0));
  show("readv bad local buffer", process_vm_readv(child, &(struct iovec){(void *)16, 8}, 1, remote, 1, 0));
  /* process_vm_writev into the child */
  char msg[] = "written by the parent";
  struct iovec lw = {msg, sizeof msg}, rw = {shared_text, sizeof msg};
  show("writev", process_vm_writev(child, &lw, 1, &rw, 1, 0));
  struct iovec ro = {(void *)main, 4};
  show("writev into code", process_vm_writev(child, &lw, 1, &ro, 1, 0));

  /* kcmp */
  same("kcmp file: the child's dup of the parent's fd", kcmp(getpid(), child, KCMP_FILE, fd, 40));
  same("kcmp file: a different file", kcmp(getpid(), child, KCMP_FILE, fd, pipefd[0]));
  show("kcmp file: not open", kcmp(getpid(), child, KCMP_FILE, fd, 99));
  same("kcmp vm: parent and forked child", kcmp(getpid(), child, KCMP_VM, 0, 0));
  same("kcmp vm: itself", kcmp(getpid(), getpid(), KCMP_VM, 0, 0));
  same("kcmp files: parent and forked child", kcmp(getpid(), child, KCMP_FILES, 0, 0));
  same("kcmp fs: parent and forked child", kcmp(getpid(), child, KCMP_FS, 0, 0));
  same("kcmp sighand: parent and forked child", kcmp(getpid(), child, KCMP_SIGHAND, 0, 0));
  show("kcmp bad type", kcmp(getpid(), child, 99, 0, 0));
  show("kcmp no such process", kcmp(getpid(), 999999, KCMP_VM, 0, 0));
  /* a thread-like clone shares the address space, files and handlers */
  char *stack = malloc(65536);
  pid_t th = clone(thread_fn, stack + 65536, CLONE_VM | CLONE_FILES | CLONE_FS | CLONE_SIGHAND | SIGCHLD, NULL);
  same("kcmp vm: CLONE_VM", kcmp(getpid(), th, KCMP_VM, 0, 0));
  same("kcmp files: CLONE_FILES", kcmp(getpid(), th, KCMP_FILES, 0, 0));
  same("kcmp fs: CLONE_FS", kcmp(getpid(), th, KCMP_FS, 0, 0));
  same("kcmp sighand: CLONE_SIGHAND", kcmp(getpid(), th, KCMP_SIGHAND, 0, 0));

  /* pidfd_getfd */
  int pfd = syscall(SYS_pidfd_open, child, 0);
  int got = syscall(SYS_pidfd_getfd, pfd, 40, 0);
  printf("pidfd_getfd: %s, cloexec %d\n", got >= 0 ? "a descriptor" : strerror(errno), got >= 0 ? (fcntl(got, F_GETFD) & FD_CLOEXEC) != 0 : -1);
  same("kcmp file: the one taken", kcmp(getpid(), getpid(), KCMP_FILE, got, fd));
  show("pidfd_getfd not open there", syscall(SYS_pidfd_getfd, pfd, 99, 0));
  show("pidfd_getfd bad flags", syscall(SYS_pidfd_getfd, pfd, 40, 1));
  show("pidfd_getfd not a pidfd", syscall(SYS_pidfd_getfd, fd, 40, 0));

  /* a pidfd from clone itself (CLONE_PIDFD), and waitid on it */
  int cfd = -1;
  pid_t pc = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, &cfd, 0, 0);
  if (pc == 0) _exit(7);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  show("waitid P_PIDFD", waitid(P_PIDFD, cfd, &si, WEXITED));
  printf("  its pid %d, status %d, pidfd cloexec %d\n", si.si_pid == pc, si.si_status, (fcntl(cfd, F_GETFD) & FD_CLOEXEC) != 0);
  show("waitid P_PIDFD not a pidfd", waitid(P_PIDFD, fd, &si, WEXITED));
  show("clone CLONE_PIDFD to a bad address", syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, (void *)16, 0, 0));
  show("clone CLONE_PIDFD with CLONE_PARENT_SETTID", syscall(SYS_clone, CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD, 0, &cfd, 0, 0));
  close(cfd);

  /* mlock2 */
  show("mlock2", syscall(SYS_mlock2, page, 4096, 0));
  show("mlock2 onfault", syscall(SYS_mlock2, page, 4096, 1));
  show("mlock2 bad flags", syscall(SYS_mlock2, page, 4096, 2));
  show("mlock2 hole", syscall(SYS_mlock2, page + 4096, 4096, 0));
  munlock(page, 4096);

  write(pipefd[1], "xx", 2);
  waitpid(child, NULL, 0);
  waitpid(th, NULL, 0);

  /* a child with other ids is out of reach (as root only: others cannot change theirs) */
  if (geteuid() == 0) {
    pid_t other = fork();
    if (other == 0) {
      setresgid(1000, 1000, 1000);
      setresuid(1000, 1000, 1000);
      write(back[1], "r", 1);
      pause();
      _exit(0);
    }
    read(back[0], &c, 1);
    show("readv as root of another user's process", process_vm_readv(other, local, 2, remote, 1, 0));
    pid_t prober = fork();
    if (prober == 0) {
      setresuid(2000, 2000, 2000);
      show("readv of another user's process", process_vm_readv(other, local, 2, remote, 1, 0));
      same("kcmp of another user's process", kcmp(getpid(), other, KCMP_VM, 0, 0));
      _exit(0);
    }
    waitpid(prober, NULL, 0);
    kill(other, SIGKILL);
    waitpid(other, NULL, 0);
  }
  /* the clone that failed on its pidfd left no child behind */
  int left = waitpid(-1, NULL, WNOHANG);
  printf("no child left: %d\n", left == -1 && errno == ECHILD);
  return 0;
}
