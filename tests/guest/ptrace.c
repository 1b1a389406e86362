/* oracle: i386: the program is about the i386 ABI itself (its system-call numbers, struct user and register sets; tests/helpers/oracle.ts). */
/* ptrace: a tracer and its tracees. System-call stops with their registers and
 * PTRACE_GET_SYSCALL_INFO, a call changed or skipped at its entry, signal-delivery stops with the
 * signal suppressed or replaced, memory and struct user read and written, the FPU register sets,
 * events (fork, exec, exit) with auto-attached children, PTRACE_SEIZE with PTRACE_INTERRUPT and
 * LISTEN, PTRACE_ATTACH and DETACH, a call interrupted by a signal (ERESTARTSYS at its exit stop),
 * PTRACE_O_EXITKILL, and the requests' errors. */
#define _GNU_SOURCE
#include "guest.h"
#include <signal.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>


static volatile int counter = 1234;
static volatile int got_usr1, got_usr2;
static void on_usr1(int s) { (void)s; got_usr1++; }
static void on_usr2(int s) { (void)s; got_usr2++; }

/* What a wait status says, stop events included. */
static void show(const char *label, int st) {
  if (WIFEXITED(st)) printf("%s: exited %d\n", label, WEXITSTATUS(st));
  else if (WIFSIGNALED(st)) printf("%s: killed by %d\n", label, WTERMSIG(st));
  else if (WIFSTOPPED(st)) printf("%s: stopped by %d%s, event %d\n", label, WSTOPSIG(st) & 0x7f, (WSTOPSIG(st) & 0x80) ? " (syscall)" : "", st >> 16);
  else printf("%s: status 0x%x\n", label, st);
}

static int wait_for(pid_t pid, const char *label) {
  int st;
  if (waitpid(pid, &st, __WALL) != pid) {
    printf("%s: waitpid: %s\n", label, strerror(errno));
    exit(1);
  }
  show(label, st);
  return st;
}

/* A child traced with PTRACE_TRACEME, stopped by its own SIGSTOP. */
static pid_t traced_child(void (*body)(void)) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0) _exit(90);
    raise(SIGSTOP);
    body();
    _exit(0);
  }
  wait_for(pid, "first stop");
  return pid;
}

static void calls_body(void) {
  long ppid = syscall(__NR_getppid);
  long changed = syscall(__NR_getpid); /* changed into getppid at its entry */
  errno = 0;
  long r = syscall(__NR_getuid32); /* skipped: returns what the tracer put in eax */
  printf("child: getpid gave the parent: %d, skipped call returned %ld\n", changed == ppid, r);
  fflush(stdout);
  syscall(__NR_chdir, "");
  syscall(__NR_exit_group, 7);
}

static void syscall_stops(void) {
  pid_t pid = traced_child(calls_body);
  TRY("PTRACE_SETOPTIONS", ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXIT));
  struct __ptrace_syscall_info info;
  TRY("syscall info at a signal stop", ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof info, &info));
  printf("op %d arch 0x%x\n", info.op, info.arch);
  int changed = 0;
  for (int stops = 0; stops < 200; stops++) {
    ptrace(PTRACE_SYSCALL, pid, 0, 0);
    int st;
    waitpid(pid, &st, __WALL);
    if (!WIFSTOPPED(st)) {
      show("end", st);
      return;
    }
    if (st >> 16 == PTRACE_EVENT_EXIT) {
      unsigned long msg;
      ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg);
      printf("exit event, message 0x%lx\n", msg);
      continue;
    }
    if (WSTOPSIG(st) != (SIGTRAP | 0x80)) {
      show("unexpected", st);
      continue;
    }
    struct user_regs_struct regs;
    ptrace(PTRACE_GETREGS, pid, 0, &regs);
    long n = ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof info, &info);
    siginfo_t si;
    ptrace(PTRACE_GETSIGINFO, pid, 0, &si);
    if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
      int nr = (int)regs.orig_eax;
      if (nr == __NR_getppid || nr == __NR_getpid || nr == __NR_getuid32 || nr == __NR_chdir || nr == __NR_exit_group)
        printf("entry %d (info %d, size %ld, eax %ld, arg0 %s, siginfo code 0x%x)\n", nr, (int)info.entry.nr, n, regs.eax,
               nr == __NR_exit_group ? (info.entry.args[0] == 7 ? "7" : "?") : "-", si.si_code);
      if (nr == __NR_getpid && !changed++) {
        regs.orig_eax = __NR_getppid;
        ptrace(PTRACE_SETREGS, pid, 0, &regs);
      }
      if (nr == __NR_getuid32) {
        regs.orig_eax = -1;
        regs.eax = 4242;
        ptrace(PTRACE_SETREGS, pid, 0, &regs);
      }
    } else if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
      if (regs.orig_eax == __NR_chdir || regs.orig_eax == -1 || regs.orig_eax == __NR_getuid32)
        printf("exit of %ld: rval %lld error %d (size %ld)\n", regs.orig_eax, (long long)info.exit.rval, info.exit.is_error, n);
    }
  }
}

static void signals_body(void) {
  signal(SIGUSR1, on_usr1);
  signal(SIGUSR2, on_usr2);
  raise(SIGUSR1); /* suppressed by the tracer */
  raise(SIGUSR1); /* replaced by SIGUSR2 */
  raise(SIGUSR2); /* passed on */
  printf("child: usr1 %d usr2 %d, counter %d\n", got_usr1, got_usr2, counter);
  fflush(stdout);
}

static void signal_stops(void) {
  pid_t pid = traced_child(signals_body);
  /* memory: the child's copy of counter, read and written */
  errno = 0;
  long v = ptrace(PTRACE_PEEKDATA, pid, (void *)&counter, 0);
  printf("peek counter: %ld errno %d\n", v, errno);
  TRY("poke counter", ptrace(PTRACE_POKEDATA, pid, (void *)&counter, (void *)5678));
  TRY("peek unmapped", ptrace(PTRACE_PEEKDATA, pid, (void *)16, 0));
  TRY("poke unmapped", ptrace(PTRACE_POKEDATA, pid, (void *)16, 0));
  /* struct user: EIP's slot, an odd offset, past the end */
  struct user_regs_struct regs;
  ptrace(PTRACE_GETREGS, pid, 0, &regs);
  errno = 0;
  long eip = ptrace(PTRACE_PEEKUSER, pid, (void *)offsetof(struct user, regs.eip), 0);
  printf("PEEKUSER eip matches GETREGS: %d\n", eip == regs.eip);
  TRY("PEEKUSER odd offset", ptrace(PTRACE_PEEKUSER, pid, (void *)2, 0));
  TRY("PEEKUSER past struct user", ptrace(PTRACE_PEEKUSER, pid, (void *)(sizeof(struct user) + 4), 0));
  TRY("PEEKUSER a debug register", ptrace(PTRACE_PEEKUSER, pid, (void *)offsetof(struct user, u_debugreg[7]), 0));
  TRY("POKEUSER ebx", ptrace(PTRACE_POKEUSER, pid, (void *)offsetof(struct user, regs.ebx), (void *)regs.ebx));
  struct user_fpregs_struct fp;
  TRY("GETFPREGS", ptrace(PTRACE_GETFPREGS, pid, 0, &fp));
  printf("fpu control word 0x%lx\n", fp.cwd & 0xffff);
  struct user_fpxregs_struct fpx;
  TRY("GETFPXREGS", ptrace(PTRACE_GETFPXREGS, pid, 0, &fpx));
  printf("mxcsr 0x%lx\n", fpx.mxcsr);
  TRY("SETFPXREGS", ptrace(PTRACE_SETFPXREGS, pid, 0, &fpx));
  struct iovec iov = {&regs, sizeof regs};
  TRY("GETREGSET NT_PRSTATUS", ptrace(PTRACE_GETREGSET, pid, (void *)1, &iov));
  printf("regset length %zu\n", iov.iov_len);
  iov.iov_len = 8;
  TRY("GETREGSET short", ptrace(PTRACE_GETREGSET, pid, (void *)1, &iov));
  printf("regset length %zu\n", iov.iov_len);
  TRY("GETREGSET unknown", ptrace(PTRACE_GETREGSET, pid, (void *)0x999, &iov));
  siginfo_t si;
  TRY("GETSIGINFO", ptrace(PTRACE_GETSIGINFO, pid, 0, &si));
  printf("siginfo: signo %d code %d\n", si.si_signo, si.si_code);
  int replaced = 0;
  for (;;) {
    ptrace(PTRACE_CONT, pid, 0, 0);
    int st = wait_for(pid, "stop");
    if (!WIFSTOPPED(st)) break;
    int sig = WSTOPSIG(st);
    ptrace(PTRACE_GETSIGINFO, pid, 0, &si);
    printf("  siginfo code %d, from the child %d\n", si.si_code, si.si_pid == pid);
    if (sig == SIGUSR1 && replaced++ == 0) continue; /* suppressed */
    ptrace(PTRACE_CONT, pid, 0, sig == SIGUSR1 ? SIGUSR2 : sig);
    st = wait_for(pid, "after");
    if (!WIFSTOPPED(st)) break;
    ptrace(PTRACE_GETSIGINFO, pid, 0, &si);
    printf("  siginfo code %d\n", si.si_code);
    ptrace(PTRACE_CONT, pid, 0, WSTOPSIG(st));
    st = wait_for(pid, "after that");
    if (!WIFSTOPPED(st)) break;
  }
}

static void fork_body(void) {
  fflush(stdout);
  pid_t g = fork();
  if (g == 0) _exit(3);
  int st;
  waitpid(g, &st, 0);
  printf("child: grandchild %s\n", WIFEXITED(st) && WEXITSTATUS(st) == 3 ? "exited 3" : "?");
  fflush(stdout);
  char *argv[] = {"/proc/self/exe", "exec-child", NULL};
  execv("/proc/self/exe", argv);
}

static void events(void) {
  pid_t pid = traced_child(fork_body);
  TRY("PTRACE_SETOPTIONS", ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACEFORK | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT));
  pid_t grandchild = 0;
  for (int i = 0; i < 20; i++) {
    ptrace(PTRACE_CONT, pid, 0, 0);
    int st;
    pid_t w = waitpid(-1, &st, __WALL);
    if (w == grandchild && grandchild != 0) {
      show("grandchild", st);
      if (WIFSTOPPED(st)) ptrace(PTRACE_CONT, grandchild, 0, 0);
      /* the child is still stopped at its fork event or running: wait for it next */
      w = waitpid(pid, &st, __WALL);
    }
    if (w != pid) {
      if (w == grandchild) {
        show("grandchild", st);
        continue;
      }
      printf("waitpid: %d\n", w);
      return;
    }
    show("child", st);
    if (!WIFSTOPPED(st)) return;
    unsigned long msg = 0;
    ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg);
    int ev = st >> 16;
    if (ev == PTRACE_EVENT_FORK) {
      grandchild = (pid_t)msg;
      printf("fork event: new pid is a new process %d\n", grandchild > pid);
      int gst;
      waitpid(grandchild, &gst, __WALL);
      show("grandchild's first stop", gst);
      ptrace(PTRACE_CONT, grandchild, 0, 0);
      waitpid(grandchild, &gst, __WALL);
      show("grandchild", gst);
      if (WIFSTOPPED(gst)) {
        ptrace(PTRACE_CONT, grandchild, 0, 0);
        waitpid(grandchild, &gst, __WALL);
        show("grandchild", gst);
      }
    } else if (ev == PTRACE_EVENT_EXEC) {
      printf("exec event: message is the pid %d\n", (pid_t)msg == pid);
    } else if (ev == PTRACE_EVENT_EXIT) {
      printf("exit event: message 0x%lx\n", msg);
    } else if (WSTOPSIG(st) == SIGCHLD) {
      ptrace(PTRACE_CONT, pid, 0, SIGCHLD);
      i--;
      int st2;
      waitpid(pid, &st2, __WALL);
      show("child", st2);
      if (!WIFSTOPPED(st2)) return;
      if (st2 >> 16 == PTRACE_EVENT_EXEC) printf("exec event\n");
      else if (st2 >> 16 == PTRACE_EVENT_EXIT) printf("exit event\n");
    }
  }
}

static int pipe_fds[2];

/* A child that reads two bytes from a pipe, with a SIGUSR1 handler (SA_RESTART). */
static pid_t reader(int traceme) {
  if (pipe(pipe_fds) != 0) exit(1);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    if (traceme) {
      ptrace(PTRACE_TRACEME, 0, 0, 0);
      TRY("TRACEME again", ptrace(PTRACE_TRACEME, 0, 0, 0));
      fflush(stdout);
      raise(SIGSTOP);
    }
    char c;
    for (int k = 0; k < 2; k++) {
      long n = read(pipe_fds[0], &c, 1);
      printf("child: read %ld, usr1 %d\n", n, got_usr1);
      fflush(stdout);
    }
    _exit(0);
  }
  return pid;
}

static void interrupted_call(void) {
  /* a signal arrives while the tracee waits in read: the call's exit stop shows ERESTARTSYS,
   * the handler runs, and the call is made again */
  pid_t pid = reader(1);
  wait_for(pid, "first stop");
  int st;
  for (;;) {
    ptrace(PTRACE_SYSCALL, pid, 0, 0);
    waitpid(pid, &st, __WALL);
    struct user_regs_struct regs;
    ptrace(PTRACE_GETREGS, pid, 0, &regs);
    if (WIFSTOPPED(st) && WSTOPSIG(st) == SIGTRAP && regs.orig_eax == __NR_read && regs.eax == -ENOSYS) break;
  }
  printf("at read's entry\n");
  ptrace(PTRACE_SYSCALL, pid, 0, 0);
  usleep(50000);
  kill(pid, SIGUSR1);
  for (int i = 0; i < 8; i++) {
    st = wait_for(pid, "stop");
    if (!WIFSTOPPED(st)) return;
    int sig = WSTOPSIG(st);
    if (sig == SIGTRAP) {
      struct user_regs_struct regs;
      ptrace(PTRACE_GETREGS, pid, 0, &regs);
      printf("  call %ld, eax %ld\n", regs.orig_eax, regs.eax);
      if (regs.orig_eax == __NR_read && regs.eax == -ENOSYS) break; /* the read made again */
      ptrace(PTRACE_SYSCALL, pid, 0, 0);
    } else {
      ptrace(PTRACE_SYSCALL, pid, 0, sig);
    }
  }
  TRY("DETACH", ptrace(PTRACE_DETACH, pid, 0, 0));
  if (write(pipe_fds[1], "xy", 2) != 2) return;
  wait_for(pid, "end");
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

static void seize_and_attach(void) {
  /* a child waiting in read(2): seized, interrupted, detached; attached, detached */
  pid_t pid = reader(0);
  usleep(50000);
  TRY("SEIZE with an address", ptrace(PTRACE_SEIZE, pid, (void *)4, 0));
  TRY("SEIZE with a bad option", ptrace(PTRACE_SEIZE, pid, 0, (void *)0x400));
  TRY("SEIZE", ptrace(PTRACE_SEIZE, pid, 0, (void *)PTRACE_O_TRACESYSGOOD));
  TRY("SEIZE again", ptrace(PTRACE_SEIZE, pid, 0, 0));
  TRY("CONT while running", ptrace(PTRACE_CONT, pid, 0, 0));
  TRY("INTERRUPT", ptrace(PTRACE_INTERRUPT, pid, 0, 0));
  wait_for(pid, "interrupted");
  siginfo_t si;
  TRY("GETSIGINFO", ptrace(PTRACE_GETSIGINFO, pid, 0, &si));
  printf("siginfo: signo %d code 0x%x\n", si.si_signo, si.si_code);
  TRY("DETACH", ptrace(PTRACE_DETACH, pid, 0, 0));
  TRY("CONT after DETACH", ptrace(PTRACE_CONT, pid, 0, 0));
  if (write(pipe_fds[1], "x", 1) != 1) return;
  usleep(50000);
  TRY("ATTACH", ptrace(PTRACE_ATTACH, pid, 0, 0));
  wait_for(pid, "attached");
  TRY("INTERRUPT, not seized", ptrace(PTRACE_INTERRUPT, pid, 0, 0));
  TRY("LISTEN, not seized", ptrace(PTRACE_LISTEN, pid, 0, 0));
  TRY("DETACH", ptrace(PTRACE_DETACH, pid, 0, 0));
  if (write(pipe_fds[1], "y", 1) != 1) return;
  wait_for(pid, "end");
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

__attribute__((noinline)) static int stepme(int n) {
  int s = 0;
  for (int i = 0; i < n; i++) s += i * 3;
  return s;
}
__attribute__((noinline)) static void stepme_end(void) { __asm__ volatile(""); }

static void step_body(void) {
  int s = stepme(5);
  stepme_end();
  printf("child: stepped through, s = %d\n", s);
  fflush(stdout);
}

static void single_step(void) {
  pid_t pid = traced_child(step_body);
  unsigned long lo = (unsigned long)stepme, hi = (unsigned long)stepme_end;
  int inside = 0, traps = 0, hidden = 1, code_ok = 1;
  for (int i = 0; i < 100000; i++) {
    if (ptrace(PTRACE_SINGLESTEP, pid, 0, 0) != 0) {
      printf("SINGLESTEP: %s\n", strerror(errno));
      break;
    }
    int st;
    waitpid(pid, &st, __WALL);
    if (!WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP) {
      show("step", st);
      break;
    }
    traps++;
    siginfo_t si;
    ptrace(PTRACE_GETSIGINFO, pid, 0, &si);
    if (si.si_code != 2 /* TRAP_TRACE */) code_ok = 0;
    struct user_regs_struct regs;
    ptrace(PTRACE_GETREGS, pid, 0, &regs);
    if (regs.eflags & 0x100) hidden = 0;
    if ((unsigned long)regs.eip >= lo && (unsigned long)regs.eip < hi) inside++;
    else if (inside > 0) break;
  }
  printf("single steps inside stepme: %d (more than 10: %d), TF hidden %d, TRAP_TRACE %d\n", inside, traps > 10, hidden, code_ok);
  ptrace(PTRACE_CONT, pid, 0, 0);
  wait_for(pid, "stepped child");
}

/* A breakpoint: int3 written over stepme's first byte in the child's read-only code. */
static void breakpoint(void) {
  pid_t pid = traced_child(step_body);
  unsigned long at = (unsigned long)stepme;
  errno = 0;
  long orig = ptrace(PTRACE_PEEKTEXT, pid, (void *)at, 0);
  printf("peek code: errno %d, same as ours %d\n", errno, orig == *(long *)at);
  TRY("POKETEXT int3", ptrace(PTRACE_POKETEXT, pid, (void *)at, (void *)((orig & ~0xffL) | 0xcc)));
  printf("our code unchanged %d, stepme(5) here %d\n", *(long *)at == orig, stepme(5));
  ptrace(PTRACE_CONT, pid, 0, 0);
  int st = wait_for(pid, "breakpoint");
  if (!WIFSTOPPED(st)) return;
  struct user_regs_struct regs;
  ptrace(PTRACE_GETREGS, pid, 0, &regs);
  siginfo_t si;
  ptrace(PTRACE_GETSIGINFO, pid, 0, &si);
  printf("stopped after the int3 %d, si_code 0x%x\n", (unsigned long)regs.eip == at + 1, si.si_code);
  TRY("POKETEXT back", ptrace(PTRACE_POKETEXT, pid, (void *)at, (void *)orig));
  regs.eip = at;
  TRY("SETREGS", ptrace(PTRACE_SETREGS, pid, 0, &regs));
  ptrace(PTRACE_CONT, pid, 0, 0);
  wait_for(pid, "end");
}

static void crash_body(void) {
  volatile int *p = NULL;
  *p = 1;
}

/* A fault in a tracee stops it first: the tracer sees SIGSEGV with its siginfo, and decides. */
static void faults(void) {
  for (int pass = 0; pass < 2; pass++) {
    pid_t pid = traced_child(crash_body);
    ptrace(PTRACE_CONT, pid, 0, 0);
    int st = wait_for(pid, "fault");
    siginfo_t si;
    ptrace(PTRACE_GETSIGINFO, pid, 0, &si);
    printf("siginfo: signo %d code %d addr %p\n", si.si_signo, si.si_code, si.si_addr);
    if (pass == 1) {
      /* suppressed, the instruction faults again */
      ptrace(PTRACE_CONT, pid, 0, 0);
      st = wait_for(pid, "fault again");
      ptrace(PTRACE_KILL, pid, 0, 0);
      wait_for(pid, "killed");
    } else {
      ptrace(PTRACE_CONT, pid, 0, WSTOPSIG(st));
      wait_for(pid, "passed on");
    }
  }
}

/* /proc/PID/mem: the tracee's memory by address, its read-only code written too; and auxv. */
static void proc_mem(void) {
  pid_t pid = traced_child(step_body);
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/mem", pid);
  int fd = open(path, O_RDWR);
  printf("open mem: %s\n", fd >= 0 ? "ok" : strerror(errno));
  int v = 0;
  TRY("pread counter", pread(fd, &v, sizeof v, (off_t)(unsigned long)&counter));
  printf("counter %d\n", v);
  v = 4321;
  TRY("pwrite counter", pwrite(fd, &v, sizeof v, (off_t)(unsigned long)&counter));
  unsigned char code[4];
  TRY("pread code", pread(fd, code, sizeof code, (off_t)(unsigned long)stepme));
  printf("same code %d\n", memcmp(code, (void *)stepme, sizeof code) == 0);
  TRY("pwrite code (unchanged bytes)", pwrite(fd, code, sizeof code, (off_t)(unsigned long)stepme));
  TRY("pread unmapped", pread(fd, &v, sizeof v, 4096));
  errno = 0;
  long w = ptrace(PTRACE_PEEKDATA, pid, (void *)&counter, 0);
  printf("counter in the child now %ld\n", w);
  close(fd);
  snprintf(path, sizeof path, "/proc/%d/auxv", pid);
  fd = open(path, O_RDONLY);
  unsigned long aux[128];
  ssize_t n = read(fd, aux, sizeof aux);
  close(fd);
  int pagesz = 0, entry = 0, ends = 0;
  for (ssize_t k = 0; k + 1 < n / (ssize_t)sizeof(long); k += 2) {
    if (aux[k] == 6) pagesz = (int)aux[k + 1];
    if (aux[k] == 9) entry = aux[k + 1] == getauxval(9);
    if (aux[k] == 0) ends = k + 2 == n / (ssize_t)sizeof(long);
  }
  printf("auxv: AT_PAGESZ %d, AT_ENTRY ours %d, ends with AT_NULL %d\n", pagesz, entry, ends);
  ptrace(PTRACE_CONT, pid, 0, 0);
  wait_for(pid, "end");
}

static volatile int spinning = 1;
static void *spinner(void *arg) {
  (void)arg;
  while (spinning) {
  }
  return NULL;
}
static void threads_body(void) {
  pthread_t th;
  pthread_create(&th, NULL, spinner, NULL);
  pthread_join(th, NULL);
}

/* A debugger's stop of every thread: tkill(SIGSTOP) to each, a thread computing and a thread
 * waiting in pthread_join; each stops in its own signal-delivery stop. */
static void stop_all(void) {
  pid_t pid = traced_child(threads_body);
  ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACECLONE | PTRACE_O_EXITKILL);
  ptrace(PTRACE_CONT, pid, 0, 0);
  pid_t tid = 0;
  int st;
  while (tid == 0) {
    pid_t w = waitpid(-1, &st, __WALL);
    if (w == pid && st >> 16 == PTRACE_EVENT_CLONE) {
      unsigned long msg;
      ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg);
      tid = (pid_t)msg;
      printf("clone event\n");
    }
    ptrace(PTRACE_CONT, w, 0, 0);
  }
  waitpid(tid, &st, __WALL);
  show("new thread", st);
  ptrace(PTRACE_CONT, tid, 0, 0);
  usleep(100000);
  for (int round = 0; round < 3; round++) {
    syscall(__NR_tkill, pid, SIGSTOP);
    syscall(__NR_tkill, tid, SIGSTOP);
    int seen = 0;
    for (int k = 0; k < 2; k++) {
      pid_t w = waitpid(-1, &st, __WALL);
      seen |= w == pid ? 1 : w == tid ? 2 : 4;
      if (!WIFSTOPPED(st) || WSTOPSIG(st) != SIGSTOP) seen |= 8;
    }
    printf("round %d: both stopped by SIGSTOP %d\n", round, seen == 3);
    ptrace(PTRACE_CONT, pid, 0, 0);
    ptrace(PTRACE_CONT, tid, 0, 0);
  }
  /* (the process's end is reported once its traced thread's is reaped: the thread first) */
  kill(pid, SIGKILL);
  for (int k = 0; k < 2; k++) {
    pid_t w = waitpid(-1, &st, __WALL);
    show(w == tid ? "thread" : w == pid ? "process" : "?", st);
  }
}

static void errors(void) {
  TRY("CONT, no such process", ptrace(PTRACE_CONT, 999999, 0, 0));
  TRY("CONT, not traced", ptrace(PTRACE_CONT, getppid(), 0, 0));
  TRY("ATTACH to itself", ptrace(PTRACE_ATTACH, getpid(), 0, 0));
  TRY("SEIZE itself", ptrace(PTRACE_SEIZE, getpid(), 0, 0));
  pid_t pid = traced_child(calls_body);
  TRY("SETOPTIONS, unknown", ptrace(PTRACE_SETOPTIONS, pid, 0, 0x800));
  TRY("CONT with a bad signal", ptrace(PTRACE_CONT, pid, 0, 100));
  TRY("unknown request", ptrace(0x4299, pid, 0, 0));
  TRY("GETSIGMASK, bad size", ptrace(PTRACE_GETSIGMASK, pid, (void *)4, 0));
  TRY("KILL", ptrace(PTRACE_KILL, pid, 0, 0));
  wait_for(pid, "killed");

  /* PTRACE_O_EXITKILL: the tracee dies with its tracer */
  if (pipe(pipe_fds) != 0) return;
  fflush(stdout);
  pid_t tracer = fork();
  if (tracer == 0) {
    pid_t t = fork();
    if (t == 0) {
      close(pipe_fds[0]);
      ptrace(PTRACE_TRACEME, 0, 0, 0);
      raise(SIGSTOP);
      for (;;) pause();
    }
    close(pipe_fds[1]);
    int st;
    waitpid(t, &st, 0);
    ptrace(PTRACE_SETOPTIONS, t, 0, PTRACE_O_EXITKILL);
    ptrace(PTRACE_CONT, t, 0, 0);
    _exit(0);
  }
  close(pipe_fds[1]);
  wait_for(tracer, "tracer");
  char c;
  TRY("read from the killed tracee's pipe", read(pipe_fds[0], &c, 1));
  close(pipe_fds[0]);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "exec-child") == 0) return 5;
  setvbuf(stdout, NULL, _IOLBF, 0);
  syscall_stops();
  signal_stops();
  events();
  interrupted_call();
  seize_and_attach();
  single_step();
  breakpoint();
  faults();
  proc_mem();
  stop_all();
  errors();
  return 0;
}
