/* Terminal control through ioctl: the termios calls map to TCGETS/TCSETS(W/F), the foreground
 * process group to TIOCGPGRP/TIOCSPGRP; isatty asks TCGETS whether fd is a terminal. */
#include "libc.h"

int tcgetattr(int fd, struct termios *t) { return ioctl(fd, TCGETS, t); }

int tcsetattr(int fd, int when, const struct termios *t) {
  if (when < TCSANOW || when > TCSAFLUSH) return errno = EINVAL, -1;
  return ioctl(fd, TCSETS + when, t);
}

pid_t tcgetpgrp(int fd) {
  pid_t pg;
  return ioctl(fd, TIOCGPGRP, &pg) < 0 ? -1 : pg;
}

int tcsetpgrp(int fd, pid_t pg) { return ioctl(fd, TIOCSPGRP, &pg); }

int isatty(int fd) {
  struct termios t;
  int saved = errno;
  int r = tcgetattr(fd, &t) == 0;
  errno = r ? saved : ENOTTY;
  return r;
}
