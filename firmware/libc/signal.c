/* Signals. sigaction always goes through rt_sigaction with SA_RESTORER pointing at
 * __restore_rt (start.S), so a handler returns through rt_sigreturn; our struct sigaction has
 * the kernel's layout (handler, flags, restorer, 64-bit mask). */
#include "libc.h"

#define NR_kill 37
#define NR_rt_sigaction 174
#define NR_rt_sigprocmask 175
#define NR_rt_sigsuspend 179
#define KSIGSET 8 /* bytes in the kernel's sigset_t on i386 */

void __restore_rt(void);

int sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
  struct sigaction k;
  if (act) {
    k = *act;
    k.sa_flags |= SA_RESTORER;
    k.sa_restorer = __restore_rt;
  }
  return __sysret(__syscall(NR_rt_sigaction, sig, act ? (long)&k : 0, (long)old, KSIGSET, 0, 0));
}

/* BSD semantics, as glibc's signal(): the handler stays, interrupted calls restart. */
sighandler_t signal(int sig, sighandler_t fn) {
  struct sigaction sa = { fn, SA_RESTART, NULL, { { 0, 0 } } }, old;
  if (sigaction(sig, &sa, &old) < 0) return SIG_ERR;
  return old.sa_handler;
}

int sigprocmask(int how, const sigset_t *set, sigset_t *old) {
  return __sysret(__syscall(NR_rt_sigprocmask, how, (long)set, (long)old, KSIGSET, 0, 0));
}

int sigsuspend(const sigset_t *mask) { return __sysret(__syscall(NR_rt_sigsuspend, (long)mask, KSIGSET, 0, 0, 0, 0)); }
int sigemptyset(sigset_t *s) { return s->sig[0] = s->sig[1] = 0; }
int sigfillset(sigset_t *s) { return s->sig[0] = s->sig[1] = ~0ul, 0; }

static int bad(int sig) { return sig < 1 || sig >= NSIG ? (errno = EINVAL, 1) : 0; }
int sigaddset(sigset_t *s, int sig) { return bad(sig) ? -1 : (s->sig[(sig - 1) / 32] |= 1ul << ((sig - 1) % 32), 0); }
int sigdelset(sigset_t *s, int sig) { return bad(sig) ? -1 : (s->sig[(sig - 1) / 32] &= ~(1ul << ((sig - 1) % 32)), 0); }
int sigismember(const sigset_t *s, int sig) { return bad(sig) ? -1 : (int)((s->sig[(sig - 1) / 32] >> ((sig - 1) % 32)) & 1); }
int raise(int sig) { return kill(getpid(), sig); }

/* Names and descriptions of signals 1..31, as Linux and glibc give them. */
static const char *const names[32] = {
  0, "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
  "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU",
  "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
};
static const char *const descriptions[32] = {
  0, "Hangup", "Interrupt", "Quit", "Illegal instruction", "Trace/breakpoint trap", "Aborted",
  "Bus error", "Floating point exception", "Killed", "User defined signal 1", "Segmentation fault",
  "User defined signal 2", "Broken pipe", "Alarm clock", "Terminated", "Stack fault",
  "Child exited", "Continued", "Stopped (signal)", "Stopped", "Stopped (tty input)",
  "Stopped (tty output)", "Urgent I/O condition", "CPU time limit exceeded",
  "File size limit exceeded", "Virtual timer expired", "Profiling timer expired",
  "Window changed", "I/O possible", "Power failure", "Bad system call",
};

const char *signame(int sig) { return sig > 0 && sig < 32 ? names[sig] : NULL; }

int signum(const char *name) {
  if (strncasecmp(name, "SIG", 3) == 0) name += 3;
  for (int i = 1; i < 32; i++)
    if (strcasecmp(name, names[i]) == 0) return i;
  return 0;
}

const char *strsignal(int sig) {
  static char buf[32];
  if (sig > 0 && sig < 32) return descriptions[sig];
  snprintf(buf, sizeof buf, "Real-time signal %d", sig - 34);
  return buf;
}
