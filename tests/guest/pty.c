/* Pseudo-terminals and the line discipline, driven from the master side: opening a pair the
 * glibc way (posix_openpt, grantpt, unlockpt, ptsname), default settings, canonical editing
 * (erase, kill, werase, lnext, EOF), echo variants, ICRNL/INLCR/IGNCR and ONLCR/OCRNL, VMIN and
 * VTIME, ISIG signals to the foreground group, job control (SIGTTOU, SIGTTIN, EIO), window size
 * and SIGWINCH, tcflush, tcflow, FIONREAD, poll, controlling terminals (open, TIOCSCTTY,
 * TIOCNOTTY, /dev/tty), and hangups: the master closing, the slave closing, the session leader
 * exiting. Output is printed with control characters escaped and without pids or pty numbers. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* Prints `label: "bytes"` with non-printing bytes escaped. */
static void show(const char *label, const char *b, long n) {
  printf("%s: ", label);
  if (n < 0) {
    printf("-1 %s\n", strerrorname_np(errno));
    return;
  }
  putchar('"');
  for (long i = 0; i < n; i++) {
    unsigned char c = b[i];
    if (c == '\\') printf("\\\\");
    else if (c >= 0x20 && c < 0x7f) putchar(c);
    else printf("\\x%02x", c);
  }
  printf("\"\n");
}

static void result(const char *label, long r) {
  if (r < 0) printf("%s: -1 %s\n", label, strerrorname_np(errno));
  else printf("%s: %ld\n", label, r);
}

/* Everything the master can read until it stays quiet for a while (the host's pty moves data
 * asynchronously; under exojit it is there at once). */
static void collect(int m, const char *label) {
  char buf[4096];
  long n = 0;
  struct pollfd p = {m, POLLIN, 0};
  while (n < (long)sizeof buf && poll(&p, 1, 150) == 1 && (p.revents & POLLIN)) {
    long k = read(m, buf + n, sizeof buf - n);
    if (k <= 0) break;
    n += k;
  }
  show(label, buf, n);
}

static void put(int m, const char *s) {
  if (write(m, s, strlen(s)) != (long)strlen(s)) printf("short write to master\n");
}

/* Reads the slave once (after waiting for it to be readable) and shows the result. */
static void take(int s, const char *label) {
  char buf[256];
  struct pollfd p = {s, POLLIN, 0};
  poll(&p, 1, 2000);
  show(label, buf, read(s, buf, sizeof buf));
}

static int open_pair(int *m, int *s, int sflags) {
  *m = posix_openpt(O_RDWR | O_NOCTTY);
  if (*m < 0 || grantpt(*m) != 0 || unlockpt(*m) != 0) return -1;
  *s = open(ptsname(*m), O_RDWR | sflags);
  return *s < 0 ? -1 : 0;
}

static void set_lflag(int s, tcflag_t on, tcflag_t off) {
  struct termios t;
  tcgetattr(s, &t);
  t.c_lflag = (t.c_lflag | on) & ~off;
  tcsetattr(s, TCSANOW, &t);
}

static void set_iflag(int s, tcflag_t on, tcflag_t off) {
  struct termios t;
  tcgetattr(s, &t);
  t.c_iflag = (t.c_iflag | on) & ~off;
  tcsetattr(s, TCSANOW, &t);
}

static void set_raw(int s, int min, int time) {
  struct termios t;
  tcgetattr(s, &t);
  t.c_lflag &= ~(ICANON | ECHO);
  t.c_cc[VMIN] = min;
  t.c_cc[VTIME] = time;
  tcsetattr(s, TCSANOW, &t);
}

static volatile sig_atomic_t got[65];
static void on_sig(int sig) { got[sig]++; }

static void catch(int sig, int restart) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sig;
  sa.sa_flags = restart ? SA_RESTART : 0;
  sigaction(sig, &sa, NULL);
}

static int status_of(pid_t p) {
  int st;
  if (waitpid(p, &st, WUNTRACED) < 0) return -1;
  if (WIFSTOPPED(st)) return 1000 + WSTOPSIG(st);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The pair's master: session children close their copy (the master closing is a test). */
static int master_fd = -1;

/* A child that leads a new session with the slave (opened by name) as its controlling
 * terminal, runs `fn`, and exits with its result. The parent waits for its "ready" byte. */
static pid_t session(const char *name, int (*fn)(int s, int ready), int *readyfd) {
  int p[2];
  pipe(p);
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    close(master_fd);
    setsid();
    int s = open(name, O_RDWR);
    _exit(fn(s, p[1]));
  }
  close(p[1]);
  char c;
  if (read(p[0], &c, 1) != 1) printf("session child did not start\n");
  *readyfd = p[0];
  return pid;
}

static void ready(int fd) {
  write(fd, "r", 1);
}

/* ---- the sessions' bodies ---- */

static int sig_reader(int s, int r) {
  catch(SIGINT, 0);
  catch(SIGQUIT, 0);
  catch(SIGTSTP, 0);
  sigset_t block, none;
  sigemptyset(&block);
  sigemptyset(&none);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGQUIT);
  sigaddset(&block, SIGTSTP);
  sigprocmask(SIG_BLOCK, &block, NULL);
  for (int k = 0; k < 3; k++) {
    ready(r);
    sigsuspend(&none);
    printf("  reader: INT=%d QUIT=%d TSTP=%d\n", got[SIGINT], got[SIGQUIT], got[SIGTSTP]);
  }
  sigprocmask(SIG_SETMASK, &none, NULL);
  ready(r);
  char buf[64];
  long n;
  do n = read(s, buf, sizeof buf);
  while (n < 0 && errno == EINTR);
  show("  reader: after the flush", buf, n);
  return 0;
}

static int jobs(int s, int r) {
  ready(r);
  struct termios t;
  tcgetattr(s, &t);
  t.c_lflag |= TOSTOP;
  tcsetattr(s, TCSANOW, &t);
  printf("  fg is leader: %d, sid is leader: %d\n", tcgetpgrp(s) == getpid(), tcgetsid(s) == getpid());
  const char *what[] = {"write", "read", "write (SIGTTOU ignored)", "read (SIGTTIN ignored)", "tcsetattr", "tcsetpgrp from the background", "read in the foreground"};
  for (int k = 0; k < 7; k++) {
    int go[2];
    pipe(go);
    pid_t b = fork();
    if (b == 0) {
      close(go[1]);
      char c;
      read(go[0], &c, 1);
      if (k == 2) signal(SIGTTOU, SIG_IGN);
      if (k == 3) signal(SIGTTIN, SIG_IGN);
      char buf[8];
      long n = 0;
      errno = 0;
      if (k == 0 || k == 2) n = write(s, "bg\n", 3);
      else if (k == 1 || k == 3 || k == 6) n = read(s, buf, sizeof buf);
      else if (k == 4) n = tcsetattr(s, TCSANOW, &t);
      else n = tcsetpgrp(s, getpgrp());
      printf("  %s: %ld %s\n", what[k], n, n < 0 ? strerrorname_np(errno) : "");
      _exit(0);
    }
    setpgid(b, b);
    if (k == 6) tcsetpgrp(s, b);
    close(go[0]);
    write(go[1], "g", 1);
    close(go[1]);
    int st = status_of(b);
    printf("  %s from the background: %s%d\n", what[k], st >= 1000 ? "stopped by " : "exit ", st >= 1000 ? st - 1000 : st);
    if (st >= 1000) {
      kill(b, SIGKILL);
      status_of(b);
    }
    if (k == 6) {
      signal(SIGTTOU, SIG_IGN);
      tcsetpgrp(s, getpgrp());
      signal(SIGTTOU, SIG_DFL);
    }
    if (k == 5) ready(r); /* the parent feeds the foreground reader next */
  }
  /* An orphaned background group reading its terminal gets EIO, not SIGTTIN. */
  int done[2];
  pipe(done);
  pid_t x = fork();
  if (x == 0) {
    setpgid(0, 0);
    if (fork() == 0) {
      close(done[0]);
      pid_t px = getppid();
      for (int i = 0; i < 5000 && getppid() == px; i++) usleep(1000); /* until x is gone */
      char c;
      errno = 0;
      long n = read(s, &c, 1);
      printf("  orphaned group read: %ld %s\n", n, n < 0 ? strerrorname_np(errno) : "");
      write(done[1], "d", 1);
      _exit(0);
    }
    _exit(0);
  }
  close(done[1]);
  status_of(x);
  char c;
  read(done[0], &c, 1);
  return 0;
}

static int winch(int s, int r) {
  catch(SIGWINCH, 1);
  ready(r);
  char c;
  read(s, &c, 1); /* the parent resizes twice (once to the same size), then sends a line */
  struct winsize w;
  ioctl(s, TIOCGWINSZ, &w);
  printf("  SIGWINCH %d times, size %dx%d (%dx%d px)\n", got[SIGWINCH], w.ws_row, w.ws_col, w.ws_xpixel, w.ws_ypixel);
  return 0;
}

/* vhangup: the caller's own terminal hung up as if its line dropped; only with
 * CAP_SYS_TTY_CONFIG (a user gets EPERM). */
static int hangs_itself_up(int s, int r) {
  catch(SIGHUP, 1);
  ready(r);
  if (getuid() == 0) {
    fflush(stdout);
    pid_t u = fork();
    if (u == 0) {
      setuid(1000);
      result("  vhangup as a user", vhangup());
      fflush(stdout);
      _exit(0);
    }
    waitpid(u, NULL, 0);
  }
  result("  vhangup", vhangup());
  printf("  SIGHUP %d\n", got[SIGHUP]);
  char buf[16];
  printf("  read after it: %ld\n", (long)read(s, buf, sizeof buf));
  errno = 0;
  result("  write", write(s, "x", 1));
  result("  tcgetsid", tcgetsid(s));
  result("  vhangup again, no terminal", vhangup());
  return 0;
}

static int hup_reader(int s, int r) {
  catch(SIGHUP, 1);
  sigset_t block, none;
  sigemptyset(&block);
  sigemptyset(&none);
  sigaddset(&block, SIGHUP);
  sigprocmask(SIG_BLOCK, &block, NULL);
  ready(r);
  /* (A read waiting when the master closes races with the hangup on Linux: EIO or 0.) */
  sigsuspend(&none);
  char buf[16];
  long n = read(s, buf, sizeof buf);
  printf("  read after the master closed: %ld, SIGHUP %d\n", n, got[SIGHUP]);
  errno = 0;
  result("  write", write(s, "x", 1));
  struct pollfd p = {s, POLLIN | POLLOUT, 0};
  poll(&p, 1, 0);
  printf("  poll: %#x\n", p.revents);
  struct termios t;
  result("  tcgetattr", tcgetattr(s, &t));
  result("  tcgetpgrp", tcgetpgrp(s));
  return 0;
}

static int leader(int s, int r) {
  (void)s;
  /* A member of the foreground group hears SIGHUP when the session leader exits. */
  int p[2];
  pipe(p);
  pid_t f = fork();
  if (f == 0) {
    catch(SIGHUP, 1);
    write(p[1], "f", 1);
    while (!got[SIGHUP]) pause();
    printf("  foreground member: SIGHUP after the leader exited\n");
    _exit(0);
  }
  char c;
  read(p[0], &c, 1);
  ready(r);
  return 0;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int m, s;

  /* 1. Opening a pair. */
  m = posix_openpt(O_RDWR | O_NOCTTY);
  master_fd = m;
  result("posix_openpt", m < 0 ? -1 : 0);
  result("grantpt", grantpt(m));
  char *name = ptsname(m);
  printf("ptsname under /dev/pts/: %d\n", name != NULL && strncmp(name, "/dev/pts/", 9) == 0);
  char pname[64];
  strcpy(pname, name);
  result("open while locked", open(pname, O_RDWR | O_NOCTTY));
  int lock = -1;
  ioctl(m, TIOCGPTLCK, &lock);
  printf("locked: %d\n", lock);
  result("unlockpt", unlockpt(m));
  s = open(pname, O_RDWR | O_NOCTTY);
  result("open slave", s < 0 ? -1 : 0);
  printf("isatty master %d slave %d\n", isatty(m), isatty(s));
  printf("ttyname matches: %d\n", ttyname(s) != NULL && strcmp(ttyname(s), pname) == 0);
  unsigned ptn;
  errno = 0;
  result("TIOCGPTN on the slave", ioctl(s, TIOCGPTN, &ptn));
  printf("TIOCGPTN names the slave: %d\n", ioctl(m, TIOCGPTN, &ptn) == 0 && atoi(pname + 9) == (int)ptn);
  result("tcgetpgrp without a controlling terminal", tcgetpgrp(s));

  /* 2. Default settings. */
  struct termios t;
  tcgetattr(s, &t);
  printf("iflag %#o oflag %#o cflag %#o lflag %#o speed %d\n", t.c_iflag, t.c_oflag, t.c_cflag, t.c_lflag, (int)cfgetospeed(&t));
  printf("cc:");
  for (int k = 0; k < 17; k++) printf(" %d", t.c_cc[k]);
  printf("\n");
  struct termios mt;
  memset(&t, 0, sizeof t);
  memset(&mt, 0, sizeof mt);
  tcgetattr(s, &t);
  tcgetattr(m, &mt);
  printf("master sees the slave's settings: %d\n", memcmp(&mt, &t, sizeof t) == 0);
  t.c_cflag |= PARENB;
  t.c_cflag &= ~CSIZE;
  t.c_cflag |= CS7;
  tcsetattr(s, TCSANOW, &t);
  tcgetattr(s, &t);
  printf("cflag after asking for 7 bits with parity: %#o\n", t.c_cflag);

  /* 3. Canonical input and echo. */
  put(m, "hello\n");
  take(s, "line");
  collect(m, "echo");
  put(m, "abx\x7f" "c\n");
  take(s, "erase");
  collect(m, "echo");
  put(m, "junk\x15ok\n");
  take(s, "kill");
  collect(m, "echo");
  put(m, "foo bar  \x17" "baz\n");
  take(s, "werase");
  collect(m, "echo");
  put(m, "a\x16\x7f" "b\x16\x03\n");
  take(s, "lnext");
  collect(m, "echo");
  put(m, "ta\tb\x7f\x7f\n");
  take(s, "tab erase");
  collect(m, "echo");
  put(m, "xy\x04");
  take(s, "eof ends a line");
  put(m, "\x04");
  take(s, "eof alone");
  collect(m, "echo");
  put(m, "ab\x12" "c\n");
  take(s, "reprint");
  collect(m, "echo");
  put(m, "\x01\x1b\n");
  take(s, "control characters");
  collect(m, "echo");

  /* 4. Echo variants. */
  set_lflag(s, 0, ECHOE);
  put(m, "ab\x7f\n");
  take(s, "no ECHOE");
  collect(m, "echo");
  set_lflag(s, ECHOE, ECHOKE);
  put(m, "ab\x15\n");
  take(s, "no ECHOKE");
  collect(m, "echo");
  set_lflag(s, ECHOKE | ECHOPRT, ECHOE);
  put(m, "abc\x7f\x7f" "d\n");
  take(s, "ECHOPRT");
  collect(m, "echo");
  set_lflag(s, ECHOE, ECHOPRT | ECHOCTL);
  put(m, "\x01z\n");
  take(s, "no ECHOCTL");
  collect(m, "echo");
  set_lflag(s, ECHOCTL | ECHONL, ECHO);
  put(m, "quiet\n");
  take(s, "ECHONL without ECHO");
  collect(m, "echo");
  set_lflag(s, ECHO, ECHONL);

  /* 5. Input and output mapping. */
  put(m, "ab\r");
  take(s, "ICRNL");
  collect(m, "echo");
  set_iflag(s, IGNCR, 0);
  put(m, "c\rd\n");
  take(s, "IGNCR");
  set_iflag(s, INLCR, IGNCR | ICRNL);
  set_lflag(s, 0, ECHO);
  put(m, "e\nf\x04");
  take(s, "INLCR");
  set_iflag(s, ICRNL, INLCR);
  set_lflag(s, ECHO, 0);
  collect(m, "before output");
  write(s, "x\ny\tz\n", 6);
  collect(m, "ONLCR");
  tcgetattr(s, &t);
  t.c_oflag = OPOST | OCRNL | ONOCR;
  tcsetattr(s, TCSANOW, &t);
  write(s, "\rp\rq\n", 5);
  collect(m, "OCRNL ONOCR");
  t.c_oflag = 0;
  tcsetattr(s, TCSANOW, &t);
  write(s, "r\ns\n", 4);
  collect(m, "no OPOST");
  t.c_oflag = OPOST | ONLCR;
  tcsetattr(s, TCSANOW, &t);

  /* 6. Non-canonical reads. */
  char buf[64];
  set_raw(s, 0, 0);
  result("MIN 0 TIME 0, nothing there", read(s, buf, sizeof buf));
  set_raw(s, 2, 0);
  put(m, "1");
  struct pollfd pf = {s, POLLIN, 0};
  result("MIN 2, one byte: poll", poll(&pf, 1, 300));
  put(m, "2");
  show("MIN 2, two bytes", buf, read(s, buf, sizeof buf));
  set_raw(s, 0, 2);
  result("MIN 0 TIME 2, nothing comes", read(s, buf, sizeof buf));
  put(m, "q");
  poll(&pf, 1, 2000);
  show("MIN 0 TIME 2, a byte", buf, read(s, buf, sizeof buf));
  set_raw(s, 5, 1);
  put(m, "ab");
  show("MIN 5 TIME 1, two bytes then silence", buf, read(s, buf, sizeof buf));
  set_raw(s, 1, 0);
  put(m, "\n\r");
  poll(&pf, 1, 2000);
  usleep(20000);
  show("raw newline and CR", buf, read(s, buf, sizeof buf));
  set_lflag(s, ECHO | ECHOCTL, 0);
  put(m, "\x01\n");
  collect(m, "raw echo");
  tcflush(s, TCIFLUSH);
  set_lflag(s, ICANON, 0);

  /* 7. FIONREAD, tcflush, poll. */
  int n = -1;
  put(m, "abc\ndef");
  poll(&pf, 1, 2000);
  ioctl(s, FIONREAD, &n);
  printf("FIONREAD with one complete line: %d\n", n);
  result("tcflush input", tcflush(s, TCIFLUSH));
  ioctl(s, FIONREAD, &n);
  printf("FIONREAD after the flush: %d\n", n);
  put(m, "x\n");
  take(s, "after the flush");
  collect(m, "echo");
  write(s, "out", 3);
  struct pollfd mp = {m, POLLIN | POLLOUT, 0};
  poll(&mp, 1, 2000);
  ioctl(m, FIONREAD, &n);
  printf("master poll %#x, FIONREAD %d\n", mp.revents, n);
  collect(m, "drained");
  struct pollfd sp = {s, POLLIN | POLLOUT, 0};
  int pr = poll(&sp, 1, 0);
  printf("slave poll, nothing to read: %d %#x\n", pr, sp.revents);
  pr = poll(&mp, 1, 0);
  printf("master poll, nothing to read: %d %#x\n", pr, mp.revents);
  result("TIOCOUTQ", ioctl(s, TIOCOUTQ, &n) == 0 ? n : -1);
  result("tcdrain", tcdrain(s));
  result("tcsendbreak", tcsendbreak(s, 0));
  result("tcflush bad queue", tcflush(s, 7));
  result("TCGETS to a null pointer", ioctl(s, TCGETS, NULL));
  result("TCSETS from a bad pointer", ioctl(s, TCSETS, (void *)16));
  result("TIOCSWINSZ from a null pointer", ioctl(m, TIOCSWINSZ, NULL));
  result("an unknown terminal ioctl", ioctl(s, 0x54ff, 0));
  result("TIOCGPTN on the master to a null pointer", ioctl(m, TIOCGPTN, NULL));
  result("tcflow bad action", tcflow(s, 9));

  /* 8. Flow control: ^S stops output, ^Q restarts it; tcflow. */
  int fl = fcntl(s, F_GETFL);
  fcntl(s, F_SETFL, fl | O_NONBLOCK);
  put(m, "\x13");
  usleep(50000);
  result("write while stopped by ^S", write(s, "w", 1));
  put(m, "\x11");
  usleep(50000);
  result("write after ^Q", write(s, "w", 1));
  collect(m, "output");
  result("tcflow TCOOFF", tcflow(s, TCOOFF));
  result("write after TCOOFF", write(s, "w", 1));
  put(m, "\x11");
  usleep(50000);
  result("^Q after TCOOFF", write(s, "w", 1));
  result("tcflow TCOON", tcflow(s, TCOON));
  result("write after TCOON", write(s, "v", 1));
  collect(m, "output");
  tcflow(s, TCIOFF);
  tcflow(s, TCION);
  collect(m, "TCIOFF TCION");
  fcntl(s, F_SETFL, fl);

  /* 9. Signals from the keyboard to the foreground group of the slave's session. */
  int rd;
  printf("ISIG:\n");
  pid_t c = session(pname, sig_reader, &rd);
  char ch;
  put(m, "\x03");
  read(rd, &ch, 1);
  put(m, "\x1c");
  read(rd, &ch, 1);
  put(m, "\x1a");
  read(rd, &ch, 1);
  put(m, "abc");
  usleep(50000);
  put(m, "\x03");
  usleep(50000);
  put(m, "d\n");
  printf("  reader exit %d\n", status_of(c));
  collect(m, "echo");

  /* 10. Job control. */
  printf("job control:\n");
  c = session(pname, jobs, &rd);
  read(rd, &ch, 1);
  put(m, "fg\n");
  printf("  leader exit %d\n", status_of(c));
  collect(m, "output");

  /* 11. Window size. */
  printf("window size:\n");
  c = session(pname, winch, &rd);
  struct winsize w = {30, 100, 800, 600};
  ioctl(m, TIOCSWINSZ, &w);
  ioctl(m, TIOCSWINSZ, &w);
  usleep(50000);
  put(m, "x\n");
  printf("  exit %d\n", status_of(c));
  collect(m, "echo");

  /* 12. Controlling terminals. */
  printf("controlling terminals:\n");
  pid_t k = fork();
  if (k == 0) {
    setsid();
    int a = open(pname, O_RDWR | O_NOCTTY);
    result("  tcgetpgrp after O_NOCTTY", tcgetpgrp(a));
    result("  open /dev/tty without one", open("/dev/tty", O_RDWR));
    result("  TIOCSCTTY", ioctl(a, TIOCSCTTY, 0));
    printf("  tcgetsid is me: %d\n", tcgetsid(a) == getpid());
    int dt = open("/dev/tty", O_RDWR);
    result("  open /dev/tty", dt < 0 ? -1 : 0);
    result("  write /dev/tty", write(dt, "via /dev/tty\n", 13));
    pid_t g = fork();
    if (g == 0) {
      result("  TIOCSCTTY from a non-leader", ioctl(a, TIOCSCTTY, 0));
      result("  TIOCNOTTY from a non-leader", ioctl(a, TIOCNOTTY));
      result("  tcgetpgrp after it", tcgetpgrp(a));
      _exit(0);
    }
    status_of(g);
    catch(SIGHUP, 1);
    catch(SIGCONT, 1);
    result("  TIOCNOTTY", ioctl(a, TIOCNOTTY));
    printf("  leader got SIGHUP %d SIGCONT %d\n", got[SIGHUP], got[SIGCONT]);
    result("  tcgetsid after it", tcgetsid(a));
    int o = open(pname, O_RDWR);
    printf("  reopening acquires it again: %d\n", tcgetsid(o) == getpid());
    _exit(0);
  }
  status_of(k);
  collect(m, "output");

  /* 13. The session leader exits: its foreground group gets SIGHUP. */
  printf("leader exit:\n");
  c = session(pname, leader, &rd);
  int lst = status_of(c);
  read(rd, &ch, 1); /* EOF once the foreground member is done */
  printf("  leader exit %d\n", lst);

  /* 14. The slave closing: the master reads what is left, then EIO. */
  int m2 = -1, s2 = -1;
  open_pair(&m2, &s2, O_NOCTTY);
  write(s2, "last", 4);
  close(s2);
  usleep(50000);
  struct pollfd hp = {m2, POLLIN, 0};
  poll(&hp, 1, 1000);
  printf("master poll after the slave closed: %#x\n", hp.revents);
  show("master read", buf, read(m2, buf, sizeof buf));
  show("master read again", buf, read(m2, buf, sizeof buf));
  result("master write", write(m2, "z", 1));
  close(m2);

  /* 15. The master closing: the slave is hung up, its session leader gets SIGHUP. */
  printf("master close:\n");
  tcflush(s, TCIFLUSH);
  close(s);
  c = session(pname, hup_reader, &rd);
  usleep(50000);
  close(m);
  printf("  exit %d\n", status_of(c));
  result("reopening the slave", open(pname, O_RDWR | O_NOCTTY));

  /* 16. vhangup: the caller hangs up its own controlling terminal. */
  printf("vhangup:\n");
  int m3 = -1, s3 = -1;
  open_pair(&m3, &s3, O_NOCTTY);
  char p3[64];
  strcpy(p3, ptsname(m3));
  close(s3);
  master_fd = m3;
  c = session(p3, hangs_itself_up, &rd);
  printf("  exit %d\n", status_of(c));
  close(m3);
  return 0;
}
